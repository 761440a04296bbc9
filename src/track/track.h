/*
** GPS tracks of patrols: cleaning of field data, the compact text encoding
** that records carry, GPX in (streaming, no entities) and out, GeoJSON out,
** statistics, simplification and deviation from a planned route.
*/
#ifndef DIB_TRACK_H
#define DIB_TRACK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/buf.h"
#include "util/err.h"

/* One GPS fix. */
struct track_point {
	double lon, lat;        /* WGS84 degrees */
	double ele;             /* metres, meaningful when has_ele */
	int has_ele;            /* 1 when ele was given */
	int64_t t;              /* ms since 1970 UTC; 0 = no time */
};

/*
** A track: points of all segments back to back, and where each segment
** starts. seg[0] is 0 whenever n > 0; segment k is
** pts[seg[k] .. (k + 1 < nseg ? seg[k + 1] : n)).
*/
struct track {
	struct track_point *pts;        /* n points (malloc) */
	size_t n, cap;
	size_t *seg;                    /* nseg segment starts (malloc) */
	size_t nseg, segcap;
	size_t max;                     /* hard cap on n (0: none) */
	char name[128];                 /* UTF-8, "" when none */
};

/* An empty track that refuses to grow past max points (0: no cap). */
void track_init(struct track *tr, size_t max);

/* Release the points and segments; tr may be reused after track_init.
** Accepts NULL. */
void track_free(struct track *tr);

/*
** Start a new segment: the next point added opens it. A segment left
** empty is dropped. DIB_ENOMEM.
*/
int track_segment(struct track *tr);

/* Append a point to the current segment (opening the first one if
** needed). DIB_ETOOBIG past tr->max, DIB_ENOMEM. */
int track_add(struct track *tr, const struct track_point *p);

/* Points of segment k and their count. */
const struct track_point *track_seg_points(const struct track *tr,
    size_t k, size_t *n);

/* How patrols move: each has its own default rules. */
enum track_mode {
	TRACK_FOOT,
	TRACK_VEHICLE,
	TRACK_BOAT,             /* pirogue, motor boat */
	TRACK_MOUNTED,          /* horse, camel */
	TRACK_MIXED,            /* any of the above in one track */
	TRACK_MODE_COUNT
};

/* The rules of cleaning and statistics. */
struct track_rules {
	double max_speed_ms;    /* faster than this from the last kept point:
	                           a spike (m/s) */
	double noise_m;         /* position noise allowed on top of the speed
	                           limit (m), so that jitter is no spike */
	double gap_s;           /* a time gap longer than this splits (s) */
	double jump_m;          /* a jump longer than this between points
	                           without time splits (m) */
	double moving_ms;       /* moving above this speed (m/s) */
	double window_s;        /* speeds are measured over at least this
	                           long, so that jitter does not count (s) */
	size_t rejoin;          /* this many consistent points in a row that
	                           all disagree with the last kept point are
	                           real (the track jumped), not spikes */
};

/* Default rules of a mode; unknown modes get those of TRACK_MIXED. */
void track_rules_default(struct track_rules *r, enum track_mode mode);

/* "foot", "vehicle", "boat" (or "pirogue"), "mounted", "mixed", or in
** French "pied", "véhicule", "bateau", "cheval", "mixte"; any case.
** DIB_EINVAL with field "mode". */
int track_mode_parse(const char *s, enum track_mode *mode,
    struct dib_diag *d);

/* "foot", "vehicle", "boat", "mounted", "mixed". */
const char *track_mode_name(enum track_mode mode);

/* What cleaning did. Every point given is in exactly one of n_out,
** duplicates and spikes. */
struct track_report {
	size_t n_in;            /* points given */
	size_t n_out;           /* points kept */
	size_t out_of_order;    /* timed points earlier than a point given
	                           before them (the track was then sorted) */
	size_t duplicates;      /* exact duplicates (time and position) removed */
	size_t spikes;          /* removed for an impossible speed */
	size_t no_time;         /* kept points without a time */
	size_t bad_ele;         /* elevations outside [-500, 9000] m, dropped */
	size_t time_gaps;       /* splits at a time gap > rules.gap_s */
	size_t jumps;           /* splits at a jump (distance, or a run of
	                           points that disagrees with what came before) */
	double gap_s;           /* total time spent in time gaps (s) */
	size_t segments;        /* segments after cleaning */
};

/*
** Clean a track of field GPS data in place and report what was done.
** Validates first: a latitude or longitude out of range (or not a number),
** an elevation that is not finite or a time outside 1900-2200 is
** DIB_EINVAL naming the point ("points[12].lat"), and tr is left as it
** was. Then:
**   - points are sorted stably by time (a point without time stays after
**     the point it followed); segment starts given are kept;
**   - exact duplicates (same time, same position) are removed;
**   - a point implying a speed above rules->max_speed_ms (plus noise_m)
**     from the last kept point is a spike and removed, unless rejoin
**     points in a row agree with it: then the track jumped, and a new
**     segment starts (a lone first point contradicted by them is the
**     spike instead);
**   - a time gap longer than gap_s, or a jump longer than jump_m where
**     times are missing, starts a new segment.
** rules NULL: the TRACK_MIXED defaults. rep may be NULL. DIB_ENOMEM
** (then tr is left empty: the pass works in place).
*/
int track_clean(struct track *tr, const struct track_rules *rules,
    struct track_report *rep, struct dib_diag *d);

/* ---- Compact encoding: one segment as a record attribute text. ---- */

/* Version of the encoding, in the header byte. */
#define TRACK_CODEC_VERSION 1

/* Most points track_decode accepts unless told fewer. */
#define TRACK_DECODE_MAX 2000000

/*
** Append the base64url text (no padding) of a segment to out: a header
** byte, the count, then per point zig-zag varint deltas of longitude and
** latitude (1e-7 degree), time (s, or ms when any point has ms) and
** elevation (dm). See docs/tracks.md for the byte layout. Positions are
** rounded to 1e-7 degree and elevations to the decimetre. DIB_EINVAL
** naming the point for an invalid position or an elevation beyond
** 1,000 km, DIB_ETOOBIG past the cap of out.
*/
int track_encode(const struct track_point *pts, size_t n, struct buf *out,
    struct dib_diag *d);

/*
** Decode a text of track_encode. Strict, for data from other nodes:
** only the base64url alphabet, no padding, canonical varints, positions
** in range, no trailing bytes; never reads outside text[0..len), and
** allocates at most what len bytes can hold. *pts (the caller frees it
** with free()) holds *n points; NULL and 0 on error. DIB_EINVAL with
** field "track" and a message naming the byte or point at fault,
** DIB_ETOOBIG for more than max points (0: TRACK_DECODE_MAX), DIB_ENOMEM.
*/
int track_decode(const char *text, size_t len, struct track_point **pts,
    size_t *n, size_t max, struct dib_diag *d);

/* ---- GPX ---- */

/* Default caps of the GPX reader. */
#define TRACK_GPX_MAX_POINTS 2000000
#define TRACK_GPX_MAX_BYTES ((uint64_t)1 << 30)

/* How to read a GPX file. Zero fields take the defaults. */
struct track_gpx_opts {
	size_t max_points;      /* all points together (trk, rte, wpt) */
	uint64_t max_bytes;     /* bytes of the file */
	/* Called after each chunk read: bytes so far and the total (0 when
	** unknown, as for a pipe). */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *progress_arg;
};

/* What a GPX file held. */
struct track_gpx {
	struct track trk;       /* trk/trkseg/trkpt: one segment per trkseg */
	struct track rte;       /* rte/rtept: one segment per rte */
	struct track wpt;       /* wpt: one segment */
	int version;            /* 10 or 11 (GPX 1.0 or 1.1), 0 unknown */
	size_t ntrk;            /* trk elements */
	size_t no_time;         /* trkpt without a time */
	size_t bad_time;        /* trkpt with a time before 1980 (GPS clock
	                           not set): taken as no time */
	uint64_t bytes;         /* bytes read */
};

/* Release what a parse filled; g may be reused after. Accepts NULL. */
void track_gpx_free(struct track_gpx *g);

/*
** Parse GPX 1.0 or 1.1 (and files without a namespace) streaming with
** expat, into g (zeroed first; free with track_gpx_free on every path).
** Reads trk/trkseg/trkpt, rte/rtept and wpt: lat and lon attributes,
** ele, time (ISO 8601, with or without fraction and zone; UTC when no
** zone), the first track's name (else the file's). Extensions are
** skipped. Refuses any DOCTYPE (so no entity is ever declared or
** expanded, internal or external). Errors (DIB_EINVAL, field "gpx")
** name the line and column: malformed XML, a DOCTYPE, lat or lon out of
** range, a bad number or time. DIB_ETOOBIG past max_points or max_bytes,
** DIB_EIO for a file that cannot be read ("-" is stdin), DIB_ENOMEM.
*/
int track_gpx_parse_file(const char *path, const struct track_gpx_opts *o,
    struct track_gpx *g, struct dib_diag *d);
int track_gpx_parse_mem(const void *p, size_t n,
    const struct track_gpx_opts *o, struct track_gpx *g,
    struct dib_diag *d);

/*
** GPX 1.1 of a track: creator="diboli", metadata with the name and the
** time now_ms (0: the current time), one trk with a trkseg per non-empty
** segment, trkpt with ele and time (RFC 3339 UTC) when known. name may
** be NULL (then tr->name). Appends to out: DIB_ETOOBIG past its cap,
** DIB_EINVAL for a point out of range or an elevation beyond 1,000 km.
** The _file variant writes to f in chunks (DIB_EIO on a write error).
*/
int track_gpx_write(struct buf *out, const struct track *tr,
    const char *name, int64_t now_ms);
int track_gpx_write_file(FILE *f, const struct track *tr, const char *name,
    int64_t now_ms);

/* Statistics of a track (see track_stats). */
struct track_stats {
	size_t points, segments;
	double length_m;        /* geodesic on WGS84, within segments */
	int64_t t_start, t_end; /* first and last time (ms), 0 when none */
	double total_s;         /* t_end - t_start, gaps included */
	double moving_s;        /* time moving faster than rules.moving_ms */
	double moving_m;        /* distance covered while moving */
	double max_speed_ms;    /* fastest over rules.window_s */
	double mean_moving_ms;  /* moving_m / moving_s */
	double west, south, east, north;        /* bbox, degrees */
	struct track_point start, end;          /* first and last points */
};

/*
** RFC 7946 GeoJSON Feature of a track: a LineString for one segment, a
** MultiLineString for more (segments of a single point are left out;
** null geometry when none remains), positions with at most 7 decimals
** and elevation as third coordinate when every point has one;
** properties: name, points, segments, time_start, time_end and, when st
** is given, length_m, total_s, moving_s, max_speed_ms, mean_moving_ms.
** name may be NULL (tr->name). Appends to out: DIB_ETOOBIG past its cap,
** DIB_EINVAL as track_gpx_write.
*/
int track_geojson_write(struct buf *out, const struct track *tr,
    const char *name, const struct track_stats *st);

/* ---- Statistics and display ---- */

/*
** Geodesic length in metres of a polyline on WGS84. Steps up to 5 km use
** the ellipsoid's radii of curvature at the step's mid-latitude
** (relative error below 1e-6), longer ones PROJ's geod_inverse.
*/
double track_length_m(const struct track_point *pts, size_t n);

/* Geodesic distance between two points, by the same method. */
double track_distance_m(const struct track_point *a,
    const struct track_point *b);

/*
** Statistics of a track (rules NULL: TRACK_MIXED defaults). Length sums
** within segments, never across a gap. Speeds use timed points only,
** over windows of at least rules->window_s: a window is moving when its
** net displacement over its duration exceeds rules->moving_ms (GPS jitter
** of a standing patrol is not movement). st is zeroed first.
*/
void track_stats(const struct track *tr, const struct track_rules *rules,
    struct track_stats *st);

/*
** Douglas-Peucker in metres, iterative (an explicit stack: no recursion
** depth on a million points). keep receives the indices kept (room for
** n), in order, always the first and last; *nkeep their count.
** DIB_ENOMEM (then *nkeep is 0).
*/
int track_simplify(const struct track_point *pts, size_t n, double tol_m,
    size_t *keep, size_t *nkeep);

/* A simplification tolerance (m) for a web map zoom level: one pixel of
** a 256-pixel Web Mercator tile at the equator. zoom clamped to 5..18. */
double track_zoom_tolerance(int zoom);

/* How far a track went from a planned route. */
struct track_deviation {
	double mean_m;          /* mean distance of samples to the route */
	double max_m;           /* largest distance of a sample */
	struct track_point max_at;      /* the sample farthest from it */
	size_t samples;
};

/*
** Distance from a track to a route (a polyline of m >= 1 points): the
** track is sampled every step_m metres along each segment (0: 10 m; at
** most 200,000 samples: the step grows on long tracks) and each sample's
** distance to the nearest route segment found through a grid. DIB_EINVAL
** for an empty track or route or a position out of range ("route[3]"),
** DIB_ENOMEM.
*/
int track_deviation(const struct track *tr, const struct track_point *route,
    size_t m, double step_m, struct track_deviation *out,
    struct dib_diag *d);

#endif
