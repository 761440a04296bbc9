/*
** Reference geography: the layers the binary carries (boundary, border
** sections, places, corridor; built by tools/make-reference) or the node's
** own replacements in DIR/reference/, and fast geodesic tests of points
** and tracks against the border sections.
*/
#ifndef DIB_REFERENCE_H
#define DIB_REFERENCE_H

#include <stddef.h>

#include <jansson.h>

#include "util/err.h"

/* Largest layer file a node may supply, in bytes. */
#define REF_MAX_BYTES ((size_t)32 * 1024 * 1024)
/* Longest feature id and name (bytes). */
#define REF_ID_MAX 64
#define REF_NAME_MAX 200
/* Largest buffer distance, in metres: a tenth of the way round the Earth
** keeps the local approximations of the fast path accurate. */
#define REF_DIST_MAX 1000000.0

/* Where a layer came from. */
enum ref_source {
	REF_EMBEDDED = 0,       /* the copy built into the binary */
	REF_NODE = 1            /* DIR/reference/<name>.geojson */
};

/* The layer names, in the order they are listed, then NULL. */
extern const char *const ref_layer_names[];

/* 1 if name is one of ref_layer_names, else 0. */
int ref_layer_known(const char *name);

/* "embedded" or "node". */
const char *ref_source_name(int source);

/* A validated layer: its FeatureCollection and the bytes it came from. */
struct ref_layer {
	char name[16];          /* "sections" */
	int source;             /* enum ref_source */
	json_t *fc;             /* the FeatureCollection (owned) */
	size_t count;           /* its features */
	const char *text;       /* the GeoJSON bytes as stored */
	size_t len;
	char *owned;            /* text, when read from the node's file */
};

/*
** Load the layer name: DIR/reference/<name>.geojson when that file exists
** (dir may be NULL: embedded copies only), else the embedded copy. Either
** is validated (see ref_layer_parse); a node file that does not validate
** is an error, never silently replaced by the embedded copy. Errors:
** DIB_ENOTFOUND (unknown layer, or neither a node file nor an embedded
** copy), DIB_EINVAL (the file, named in the message, and the problem),
** DIB_ETOOBIG, DIB_EIO, DIB_ENOMEM. *out is NULL on failure; free it with
** ref_layer_free().
*/
int ref_layer_load(const char *dir, const char *name, struct ref_layer **out,
    struct dib_diag *d);

/* Accepts NULL. */
void ref_layer_free(struct ref_layer *l);

/*
** Parse and validate GeoJSON text as the layer name: an RFC 7946
** FeatureCollection of at least one Feature, each with a string "id" (1 to
** REF_ID_MAX bytes, unique in the layer), a "properties" object and a
** geometry of the layer's type (boundary, sections: LineString; places:
** Point; corridor: LineString or Point) with [lon, lat] positions in range;
** sections also need string name_fr and name_en and an integer seq,
** increasing in file order. where prefixes the messages ("reference/
** sections.geojson"); the field names the member ("features[3].geometry.
** type"). On success *fc is a new reference (json_decref) and *count the
** number of features; on failure *fc is NULL and *count 0.
*/
int ref_layer_parse(const char *name, const char *where, const char *text,
    size_t len, json_t **fc, size_t *count, struct dib_diag *d);

/* One border section. */
struct ref_section {
	char id[REF_ID_MAX + 1];        /* "SEC-01": stable, never reused */
	int seq;                        /* order along the border, from 1 */
	char name_fr[REF_NAME_MAX + 1];
	char name_en[REF_NAME_MAX + 1];
	double length_km;               /* geodesic, from the geometry */
	double from_km, to_km;          /* cumulative from the first start */
	double *lonlat;                 /* npts lon, lat pairs (degrees) */
	size_t npts;
	double bbox[4];                 /* west, south, east, north */
};

struct ref_index;

/* The border sections in order, with their search index. */
struct ref_sections {
	struct ref_section *v;
	size_t n;
	int source;                     /* enum ref_source of the layer */
	struct ref_index *ix;           /* private to reference.c */
};

/*
** The sections of the layer "sections" of the node in dir (see
** ref_layer_load), ready for the tests below. Free with
** ref_sections_free(). Errors as ref_layer_load, but a node file that
** does not validate is DIB_EIO: the node's fault, never a request's.
*/
int ref_sections_load(const char *dir, struct ref_sections **out,
    struct dib_diag *d);

/* The same from a layer already loaded (its name must be "sections"). */
int ref_sections_from_layer(const struct ref_layer *l,
    struct ref_sections **out, struct dib_diag *d);

/* Accepts NULL. */
void ref_sections_free(struct ref_sections *s);

/*
** Geodesic distance in metres on WGS84 from (lon, lat) to the polyline of
** npts lon, lat pairs: the segment and the foot are found in a local
** plane around the point, the distance is measured by PROJ's geodesics
** (to the foot on the geodesic segment). Within 0.1% (in practice a few
** millimetres) for distances up to REF_DIST_MAX. NaN for an invalid point
** or an empty line. Longitudes must not wrap the antimeridian.
*/
double ref_line_distance_m(const double *lonlat, size_t npts, double lon,
    double lat);

/*
** Distance in metres from (lon, lat) to the nearest border section, as
** ref_line_distance_m; *idx (may be NULL) is that section's index, or
** (size_t)-1 when the distance is NaN.
*/
double ref_sections_distance_m(const struct ref_sections *s, double lon,
    double lat, size_t *idx);

/*
** The sections whose buffer of dist_m metres contains (lon, lat), in
** section order: stores up to cap indexes in idx and returns how many
** there are (which may exceed cap, like snprintf). A point near the end
** of a section is in the buffers of both neighbours. 0 for an invalid
** point or a distance outside [0, REF_DIST_MAX].
*/
size_t ref_section_of_point(const struct ref_sections *s, double lon,
    double lat, double dist_m, size_t *idx, size_t cap);

/* What a track did within the buffer of one section. */
struct ref_near {
	size_t section;         /* index into sections->v */
	size_t points;          /* track points within the buffer */
	double length_m;        /* track length within it: steps with both
				** ends inside, plus half of those with one */
	size_t first, last;     /* indexes of the first and last such point */
	double min_m;           /* closest approach to the section (geodesic) */
	size_t min_at;          /* index of the point of closest approach */
};

/*
** Which sections the track of n lon, lat pairs passed within dist_m
** metres of, in section order, with per section the points and length
** inside the buffer. A bbox per section and per segment, widened by the
** distance, skips what is far; a local plane measures what is near; PROJ's
** geodesics decide the points within 0.1% of the edge. *out (free()) has
** *nout entries (NULL and 0 when the track touches no buffer). DIB_EINVAL
** for a distance outside [0, REF_DIST_MAX] (field "dist_m") or an invalid
** point (field "track[i]"), DIB_ENOMEM.
*/
int ref_sections_near_track(const struct ref_sections *s,
    const double *lonlat, size_t n, double dist_m, struct ref_near **out,
    size_t *nout, struct dib_diag *d);

#endif
