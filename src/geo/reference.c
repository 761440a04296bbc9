/*
** Reference layers (embedded or the node's own, always validated) and the
** geodesic tests of points and tracks against the border sections: bboxes
** widened by the distance skip what is far, a local plane measures what is
** near, PROJ's geodesics settle what lies close to a buffer's edge.
*/
#include <geodesic.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geo.h"
#include "geo/reference.h"
#include "util/embed.h"
#include "util/json.h"
#include "util/util.h"

const char *const ref_layer_names[] = {
	"boundary", "sections", "places", "corridor", NULL
};

/* The geometry types each layer accepts. */
static const struct {
	const char *name;
	const char *types[3];
} layer_types[] = {
	{"boundary", {"LineString", NULL, NULL}},
	{"sections", {"LineString", NULL, NULL}},
	{"places", {"Point", NULL, NULL}},
	{"corridor", {"LineString", "Point", NULL}},
};

/* WGS84. */
#define WGS_A 6378137.0
#define WGS_F (1 / 298.257223563)
#define WGS_E2 (WGS_F * (2 - WGS_F))
#define DEG (M_PI / 180)

int
ref_layer_known(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && ref_layer_names[i] != NULL; i++)
		if (strcmp(name, ref_layer_names[i]) == 0)
			return 1;
	return 0;
}

const char *
ref_source_name(int source)
{
	return source == REF_NODE ? "node" : "embedded";
}

static const char *const *
types_of(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof layer_types / sizeof layer_types[0]; i++)
		if (strcmp(name, layer_types[i].name) == 0)
			return layer_types[i].types;
	return NULL;
}

/* ---- validation ---- */

/* DIB_EINVAL naming the field, with the file in parentheses. */
static int
bad(struct dib_diag *d, const char *where, const char *field,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
bad(struct dib_diag *d, const char *where, const char *field,
    const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return dib_fail(d, DIB_EINVAL, field, "%s (%s)", msg, where);
}

static const char *
kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER:
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

static int
check_position(const json_t *p, const char *where, const char *field,
    struct dib_diag *d)
{
	double lon, lat;
	size_t n;

	if (!json_is_array(p) || (n = json_array_size(p)) < 2 || n > 3)
		return bad(d, where, field, "must be a position [lon, lat] "
		    "or [lon, lat, elevation]");
	if (!json_is_number(json_array_get(p, 0)) ||
	    !json_is_number(json_array_get(p, 1)) ||
	    (n == 3 && !json_is_number(json_array_get(p, 2))))
		return bad(d, where, field, "coordinates must be numbers");
	lon = json_number_value(json_array_get(p, 0));
	lat = json_number_value(json_array_get(p, 1));
	if (!(lon >= -180 && lon <= 180))
		return bad(d, where, field, "longitude must be in [-180, 180], "
		    "got %g", lon);
	if (!(lat >= -90 && lat <= 90))
		return bad(d, where, field, "latitude must be in [-90, 90], "
		    "got %g (GeoJSON is [lon, lat])", lat);
	return DIB_OK;
}

static int
check_geometry(const json_t *g, const char *const *types, const char *where,
    size_t i, struct dib_diag *d)
{
	const json_t *t = json_object_get(g, "type");
	const json_t *c = json_object_get(g, "coordinates");
	char field[96], want[64] = "";
	size_t k;
	int rc;

	snprintf(field, sizeof field, "features[%zu].geometry", i);
	if (!json_is_object(g))
		return bad(d, where, field, "must be a geometry object, got %s",
		    kind(g));
	snprintf(field, sizeof field, "features[%zu].geometry.type", i);
	for (k = 0; types[k] != NULL; k++)
		snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s",
		    k ? " or " : "", types[k]);
	if (!json_is_string(t))
		return bad(d, where, field, "must be %s", want);
	for (k = 0; types[k] != NULL; k++)
		if (strcmp(json_string_value(t), types[k]) == 0)
			break;
	if (types[k] == NULL)
		return bad(d, where, field, "must be %s, got \"%.40s\"", want,
		    json_string_value(t));
	snprintf(field, sizeof field, "features[%zu].geometry.coordinates", i);
	if (strcmp(types[k], "Point") == 0)
		return check_position(c, where, field, d);
	if (!json_is_array(c) || json_array_size(c) < 2)
		return bad(d, where, field, "a LineString needs at least two "
		    "positions");
	for (k = 0; k < json_array_size(c); k++) {
		snprintf(field, sizeof field,
		    "features[%zu].geometry.coordinates[%zu]", i, k);
		if ((rc = check_position(json_array_get(c, k), where, field,
		    d)) != DIB_OK)
			return rc;
	}
	return DIB_OK;
}

/* The sections' own properties: names and an increasing seq. */
static int
check_section(const json_t *props, const char *where, size_t i,
    json_int_t *prev_seq, struct dib_diag *d)
{
	static const char *const names[] = {"name_fr", "name_en"};
	const json_t *seq = json_object_get(props, "seq");
	char field[96];
	size_t k;

	for (k = 0; k < 2; k++) {
		const json_t *v = json_object_get(props, names[k]);

		snprintf(field, sizeof field, "features[%zu].properties.%s", i,
		    names[k]);
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) > REF_NAME_MAX)
			return bad(d, where, field, "must be a name of 1 to %d "
			    "bytes", REF_NAME_MAX);
	}
	snprintf(field, sizeof field, "features[%zu].properties.seq", i);
	if (!json_is_integer(seq) || json_integer_value(seq) <= *prev_seq ||
	    json_integer_value(seq) > 1000000)
		return bad(d, where, field, "must be an integer greater than "
		    "the previous section's (%lld)", (long long)*prev_seq);
	*prev_seq = json_integer_value(seq);
	return DIB_OK;
}

int
ref_layer_parse(const char *name, const char *where, const char *text,
    size_t len, json_t **fc, size_t *count, struct dib_diag *d)
{
	const char *const *types = name ? types_of(name) : NULL;
	json_t *root = NULL, *seen = NULL, *feats, *f;
	json_int_t seq = 0;
	char field[96];
	size_t i;
	int rc;

	*fc = NULL;
	*count = 0;
	if (types == NULL)
		return dib_fail(d, DIB_ENOTFOUND, "layer", "no reference layer "
		    "\"%.40s\"", name ? name : "");
	if ((rc = util_json_parse(text, len, "", &root, d)) != DIB_OK) {
		char msg[sizeof d->msg];

		if (d != NULL) {
			snprintf(msg, sizeof msg, "%s", d->msg);
			snprintf(d->msg, sizeof d->msg, "%.60s: %.330s", where,
			    msg);
		}
		return rc;
	}
	if (!json_is_object(root) || !json_is_string(json_object_get(root,
	    "type")) || strcmp(json_string_value(json_object_get(root,
	    "type")), "FeatureCollection") != 0) {
		rc = bad(d, where, "type", "must be a GeoJSON "
		    "FeatureCollection");
		goto out;
	}
	feats = json_object_get(root, "features");
	if (!json_is_array(feats) || json_array_size(feats) == 0) {
		rc = bad(d, where, "features", "must be a non-empty array of "
		    "features");
		goto out;
	}
	if ((seen = json_object()) == NULL) {
		rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
		goto out;
	}
	json_array_foreach(feats, i, f) {
		const json_t *id = json_object_get(f, "id");
		const json_t *props = json_object_get(f, "properties");

		snprintf(field, sizeof field, "features[%zu]", i);
		if (!json_is_object(f) || !json_is_string(json_object_get(f,
		    "type")) || strcmp(json_string_value(json_object_get(f,
		    "type")), "Feature") != 0) {
			rc = bad(d, where, field, "must be a Feature");
			goto out;
		}
		snprintf(field, sizeof field, "features[%zu].id", i);
		if (!json_is_string(id) || json_string_length(id) == 0 ||
		    json_string_length(id) > REF_ID_MAX) {
			rc = bad(d, where, field, "every feature needs a string "
			    "id of 1 to %d bytes (stable: records refer to it)",
			    REF_ID_MAX);
			goto out;
		}
		if (json_object_get(seen, json_string_value(id)) != NULL) {
			rc = bad(d, where, field, "\"%.64s\" is used twice",
			    json_string_value(id));
			goto out;
		}
		if (json_object_set_new(seen, json_string_value(id),
		    json_true()) != 0) {
			rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
			goto out;
		}
		snprintf(field, sizeof field, "features[%zu].properties", i);
		if (!json_is_object(props)) {
			rc = bad(d, where, field, "must be an object");
			goto out;
		}
		if ((rc = check_geometry(json_object_get(f, "geometry"), types,
		    where, i, d)) != DIB_OK)
			goto out;
		if (strcmp(name, "sections") == 0 && (rc = check_section(props,
		    where, i, &seq, d)) != DIB_OK)
			goto out;
	}
	*count = json_array_size(feats);
	*fc = root;
	root = NULL;
	rc = DIB_OK;
out:
	json_decref(seen);
	json_decref(root);
	return rc;
}

int
ref_layer_load(const char *dir, const char *name, struct ref_layer **out,
    struct dib_diag *d)
{
	struct ref_layer *l = NULL;
	char path[4200], where[64];
	int rc;

	*out = NULL;
	if (!ref_layer_known(name))
		return dib_fail(d, DIB_ENOTFOUND, "layer", "no reference layer "
		    "\"%.40s\"; known: boundary, sections, places, corridor",
		    name ? name : "");
	if ((l = calloc(1, sizeof *l)) == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	snprintf(l->name, sizeof l->name, "%s", name);
	if (dir != NULL) {
		size_t n = (size_t)snprintf(path, sizeof path,
		    "%s/reference/%s.geojson", dir, name);

		if (n >= sizeof path) {
			rc = dib_fail(d, DIB_EINVAL, "dir", "directory name too "
			    "long");
			goto out;
		}
		rc = util_read_file(path, REF_MAX_BYTES, &l->owned, &l->len, d);
		if (rc == DIB_OK) {
			l->source = REF_NODE;
			l->text = l->owned;
			snprintf(where, sizeof where, "reference/%s.geojson",
			    name);
		} else if (rc == DIB_ENOTFOUND) {
			dib_diag_clear(d);
		} else {
			goto out;
		}
	}
	if (l->text == NULL) {
		const struct dib_embedded *e;

		snprintf(where, sizeof where, "%s.geojson", name);
		if ((e = dib_embed_find(where)) == NULL) {
			rc = dib_fail(d, DIB_ENOTFOUND, "layer", "reference layer "
			    "\"%s\" is not embedded in this build and the node "
			    "has no reference/%s.geojson", name, name);
			goto out;
		}
		l->source = REF_EMBEDDED;
		l->text = (const char *)e->data;
		l->len = e->len;
		snprintf(where, sizeof where, "embedded %s.geojson", name);
	}
	if ((rc = ref_layer_parse(name, where, l->text, l->len, &l->fc,
	    &l->count, d)) != DIB_OK)
		goto out;
	*out = l;
	l = NULL;
out:
	ref_layer_free(l);
	return rc;
}

void
ref_layer_free(struct ref_layer *l)
{
	if (l == NULL)
		return;
	json_decref(l->fc);
	free(l->owned);
	free(l);
}

/* ---- a local plane around a point ---- */

/*
** Metres per degree around (lon, lat), with their first-order change in
** latitude so that each offset is scaled at its mean latitude: against
** PROJ, within 1e-5 of the geodesic up to 100 km, 1e-3 at 1000 km (see
** plane_eps).
*/
struct frame {
	double lon, lat;
	double kx, cx;          /* east: kx + cx * dlat, metres per degree */
	double ky, cy;          /* north: ky + cy * dlat */
};

static void
frame_at(struct frame *f, double lon, double lat)
{
	double s = sin(lat * DEG), c = cos(lat * DEG);
	double w2 = 1 - WGS_E2 * s * s, w = sqrt(w2);
	double n = WGS_A / w, m = WGS_A * (1 - WGS_E2) / (w2 * w);

	f->lon = lon;
	f->lat = lat;
	f->kx = n * c * DEG;
	/* d(N cos phi)/dphi = -M sin phi, taken at half the offset. */
	f->cx = -m * s * DEG * DEG / 2;
	f->ky = m * DEG;
	f->cy = 3 * m * WGS_E2 * s * c / w2 * DEG * DEG / 2;
}

static void
frame_xy(const struct frame *f, double lon, double lat, double *x,
    double *y)
{
	double dp = lat - f->lat;

	*x = geo_wrap_dlon(lon - f->lon) * (f->kx + f->cx * dp);
	*y = dp * (f->ky + f->cy * dp);
}

/*
** Planar distance from the frame's point to segment ab: the foot is found
** in the plane at the point's latitude (a linear map, so the segment stays
** straight), then the offset to the foot is measured at the mean latitude.
** *t is the fraction of ab at the foot.
*/
static double
seg_planar(const struct frame *f, double lon0, double lat0, double lon1,
    double lat1, double *t, double *len)
{
	double ax, ay, dx, dy, dd, u, x, y, dl = geo_wrap_dlon(lon1 - lon0);

	ax = geo_wrap_dlon(lon0 - f->lon) * f->kx;
	ay = (lat0 - f->lat) * f->ky;
	dx = dl * f->kx;
	dy = (lat1 - lat0) * f->ky;
	dd = dx * dx + dy * dy;
	*len = sqrt(dd);
	u = dd > 0 ? -(ax * dx + ay * dy) / dd : 0;
	if (u < 0)
		u = 0;
	else if (u > 1)
		u = 1;
	*t = u;
	frame_xy(f, lon0 + u * dl, lat0 + u * (lat1 - lat0), &x, &y);
	return sqrt(x * x + y * y);
}

/*
** How far the planar distance to a segment may be from the geodesic one
** because of the segment, in metres: the geodesic bows away from the
** straight line in degrees by about L^2 tan(phi) / 8R for a segment of
** length L (0.6 m measured for 10.8 km at 14 degrees, 2 cm for 2 km);
** twice that, and more near the equator. The plane's own error, which
** grows with the distance, is plane_eps.
*/
static double
seg_err(double len_m, double lat0, double lat1)
{
	double phi = fmax(fabs(lat0), fabs(lat1));

	if (phi > 89)
		phi = 89;
	return len_m * len_m * (tan(phi * DEG) + 0.2) / (4 * 6.35e6) + 1e-3;
}

/*
** How far the planar distance d may be from the geodesic one, relative,
** beyond seg_err: measured against PROJ at 14 degrees north, 1e-5 at
** 100 km, 1e-4 at 300 km, 1e-3 at 1000 km; this bound has a margin of
** ten and more.
*/
static double
plane_eps(double d)
{
	double r = d / 1e6;

	return 1e-4 + 2e-2 * r * r;
}

/*
** Geodesic distance from (lon, lat) to the geodesic segment from 0 to 1
** (s12 long, azimuth azi at 0), starting from the planar foot at fraction
** t and correcting it once along the segment (one Newton step on the
** geodesic: the foot is where the azimuths meet at a right angle).
*/
static double
seg_geodesic(const struct geod_geodesic *g, double lon0, double lat0,
    double lon1, double lat1, double s12, double azi, double t, double lon,
    double lat)
{
	double flat, flon, fazi, d, d2, azf, u, delta;

	u = t * s12;
	if (u <= 0) {
		flat = lat0, flon = lon0;
		geod_inverse(g, lat0, lon0, lat1, lon1, NULL, &fazi, NULL);
	} else if (u >= s12) {
		flat = lat1, flon = lon1;
		geod_inverse(g, lat0, lon0, lat1, lon1, NULL, NULL, &fazi);
	} else {
		geod_direct(g, lat0, lon0, azi, u, &flat, &flon, &fazi);
	}
	geod_inverse(g, flat, flon, lat, lon, &d, &azf, NULL);
	if (s12 <= 0 || d <= 0)
		return d;
	delta = d * cos((azf - fazi) * DEG);
	if (u + delta < 0)
		delta = -u;
	else if (u + delta > s12)
		delta = s12 - u;
	if (fabs(delta) < 1e-4)
		return d;
	geod_direct(g, lat0, lon0, azi, u + delta, &flat, &flon, NULL);
	geod_inverse(g, flat, flon, lat, lon, &d2, NULL, NULL);
	return d2 < d ? d2 : d;
}

static void
wgs84(struct geod_geodesic *g)
{
	geod_init(g, WGS_A, WGS_F);
}

/* Error margin of a planar distance d to a segment (see seg_err). */
static double
margin(double d, double seg_err_m)
{
	return d * plane_eps(d) + seg_err_m + 1e-3;
}

double
ref_line_distance_m(const double *lonlat, size_t npts, double lon,
    double lat)
{
	struct geod_geodesic g;
	struct frame f;
	double hi = INFINITY, out = INFINITY, t, len;
	size_t i;

	if (lonlat == NULL || npts == 0 || geo_check_latlon(lat, lon, NULL))
		return NAN;
	wgs84(&g);
	if (npts == 1) {
		geod_inverse(&g, lat, lon, lonlat[1], lonlat[0], &out, NULL,
		    NULL);
		return out;
	}
	frame_at(&f, lon, lat);
	/* The least upper bound, then the geodesic of every segment that
	** may be nearer than it. */
	for (i = 1; i < npts; i++) {
		const double *a = lonlat + 2 * i - 2, *b = lonlat + 2 * i;
		double d = seg_planar(&f, a[0], a[1], b[0], b[1], &t, &len);

		hi = fmin(hi, d + margin(d, seg_err(len, a[1], b[1])));
	}
	for (i = 1; i < npts; i++) {
		const double *a = lonlat + 2 * i - 2, *b = lonlat + 2 * i;
		double d = seg_planar(&f, a[0], a[1], b[0], b[1], &t, &len);
		double s12, azi;

		if (d - margin(d, seg_err(len, a[1], b[1])) > hi)
			continue;
		geod_inverse(&g, a[1], a[0], b[1], b[0], &s12, &azi, NULL);
		out = fmin(out, seg_geodesic(&g, a[0], a[1], b[0], b[1], s12,
		    azi, t, lon, lat));
	}
	return out;
}

/* ---- sections ---- */

/* One segment of a section, with its geodesic and bbox. */
struct seg {
	double lon0, lat0, lon1, lat1;
	double s12, azi;
	double err;             /* planar error bound (seg_err) */
	double box[4];          /* west, south, east, north */
};

struct ref_index {
	struct geod_geodesic g;
	struct seg *seg;        /* all segments, section after section */
	size_t *first;          /* section k: seg[first[k] .. first[k + 1]) */
	size_t nseg;
};

/* A bbox widened by dist_m for points near it (see widen()). */
struct wbox {
	double w, s, e, n;
};

/*
** Widen box by dist_m: a point within dist_m of something inside the box
** lies inside the result. Latitude: a meridian degree is at least
** a(1 - e2) * DEG metres. Longitude: a path within that latitude band
** moves east at most 1 / (a cos phimax) radians per metre.
*/
static void
widen(const double box[4], double dist_m, struct wbox *o)
{
	double dlat = dist_m / (WGS_A * (1 - WGS_E2) * DEG) * (1 + 1e-9) +
	    1e-12;
	double phi = fmax(fabs(box[1] - dlat), fabs(box[3] + dlat));
	double dlon = phi >= 89.5 ? 360 : dist_m / (WGS_A * cos(phi * DEG) *
	    DEG) * (1 + 1e-9) + 1e-12;

	o->w = box[0] - dlon;
	o->e = box[2] + dlon;
	o->s = box[1] - dlat;
	o->n = box[3] + dlat;
}

static int
in_wbox(const struct wbox *b, double lon, double lat)
{
	return lon >= b->w && lon <= b->e && lat >= b->s && lat <= b->n;
}

static void
box_add(double box[4], double lon, double lat)
{
	box[0] = fmin(box[0], lon);
	box[1] = fmin(box[1], lat);
	box[2] = fmax(box[2], lon);
	box[3] = fmax(box[3], lat);
}

void
ref_sections_free(struct ref_sections *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; s->v != NULL && i < s->n; i++)
		free(s->v[i].lonlat);
	free(s->v);
	if (s->ix != NULL) {
		free(s->ix->seg);
		free(s->ix->first);
		free(s->ix);
	}
	free(s);
}

int
ref_sections_from_layer(const struct ref_layer *l, struct ref_sections **out,
    struct dib_diag *d)
{
	struct ref_sections *s = NULL;
	struct ref_index *ix;
	json_t *feats, *f;
	double km = 0;
	size_t i, k, nseg = 0;
	int rc = DIB_OK;

	*out = NULL;
	if (l == NULL || l->fc == NULL || strcmp(l->name, "sections") != 0)
		return dib_fail(d, DIB_EINVAL, "layer", "not the sections layer");
	feats = json_object_get(l->fc, "features");
	if ((s = calloc(1, sizeof *s)) == NULL ||
	    (s->ix = calloc(1, sizeof *s->ix)) == NULL ||
	    (s->v = calloc(json_array_size(feats), sizeof *s->v)) == NULL) {
		rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
		goto out;
	}
	ix = s->ix;
	wgs84(&ix->g);
	s->source = l->source;
	json_array_foreach(feats, i, f) {
		struct ref_section *sec = &s->v[i];
		json_t *p = json_object_get(f, "properties");
		json_t *c = json_object_get(json_object_get(f, "geometry"),
		    "coordinates");

		snprintf(sec->id, sizeof sec->id, "%s",
		    json_string_value(json_object_get(f, "id")));
		snprintf(sec->name_fr, sizeof sec->name_fr, "%s",
		    json_string_value(json_object_get(p, "name_fr")));
		snprintf(sec->name_en, sizeof sec->name_en, "%s",
		    json_string_value(json_object_get(p, "name_en")));
		sec->seq = (int)json_integer_value(json_object_get(p, "seq"));
		sec->npts = json_array_size(c);
		if ((sec->lonlat = malloc(2 * sec->npts * sizeof(double))) ==
		    NULL) {
			rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
			goto out;
		}
		sec->bbox[0] = sec->bbox[1] = INFINITY;
		sec->bbox[2] = sec->bbox[3] = -INFINITY;
		for (k = 0; k < sec->npts; k++) {
			json_t *q = json_array_get(c, k);

			sec->lonlat[2 * k] = json_number_value(json_array_get(q,
			    0));
			sec->lonlat[2 * k + 1] = json_number_value(
			    json_array_get(q, 1));
			box_add(sec->bbox, sec->lonlat[2 * k],
			    sec->lonlat[2 * k + 1]);
		}
		sec->length_km = geo_length_m(sec->lonlat, sec->npts) / 1000;
		sec->from_km = km;
		km += sec->length_km;
		sec->to_km = km;
		nseg += sec->npts - 1;
		s->n++;
	}
	if ((ix->seg = calloc(nseg, sizeof *ix->seg)) == NULL ||
	    (ix->first = calloc(s->n + 1, sizeof *ix->first)) == NULL) {
		rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
		goto out;
	}
	for (i = 0; i < s->n; i++) {
		const struct ref_section *sec = &s->v[i];

		ix->first[i] = ix->nseg;
		for (k = 1; k < sec->npts; k++) {
			struct seg *g = &ix->seg[ix->nseg++];

			g->lon0 = sec->lonlat[2 * k - 2];
			g->lat0 = sec->lonlat[2 * k - 1];
			g->lon1 = sec->lonlat[2 * k];
			g->lat1 = sec->lonlat[2 * k + 1];
			geod_inverse(&ix->g, g->lat0, g->lon0, g->lat1, g->lon1,
			    &g->s12, &g->azi, NULL);
			g->err = seg_err(g->s12, g->lat0, g->lat1);
			g->box[0] = fmin(g->lon0, g->lon1);
			g->box[1] = fmin(g->lat0, g->lat1);
			g->box[2] = fmax(g->lon0, g->lon1);
			g->box[3] = fmax(g->lat0, g->lat1);
		}
	}
	ix->first[s->n] = ix->nseg;
	*out = s;
	s = NULL;
out:
	ref_sections_free(s);
	return rc;
}

int
ref_sections_load(const char *dir, struct ref_sections **out,
    struct dib_diag *d)
{
	struct ref_layer *l = NULL;
	int rc;

	*out = NULL;
	if ((rc = ref_layer_load(dir, "sections", &l, d)) == DIB_OK)
		rc = ref_sections_from_layer(l, out, d);
	ref_layer_free(l);
	/* A node file that does not validate is the node's fault, not a
	 * request's: DIB_EIO (500), naming the file. */
	if (rc == DIB_EINVAL && d != NULL)
		d->code = rc = DIB_EIO;
	return rc;
}

static double
seg_exact(const struct ref_index *ix, const struct seg *g, double t,
    double lon, double lat)
{
	return seg_geodesic(&ix->g, g->lon0, g->lat0, g->lon1, g->lat1, g->s12,
	    g->azi, t, lon, lat);
}

/*
** Bounds of the geodesic distance from the frame's point to section k:
** the least planar distance (*best) less and plus its error margin.
*/
static int
section_bounds(const struct ref_sections *s, size_t k, const struct frame *f,
    double *lo, double *best, double *hi)
{
	const struct ref_index *ix = s->ix;
	double t, len;
	size_t j;

	*lo = *best = *hi = INFINITY;
	for (j = ix->first[k]; j < ix->first[k + 1]; j++) {
		const struct seg *g = &ix->seg[j];
		double d, m;

		d = seg_planar(f, g->lon0, g->lat0, g->lon1, g->lat1, &t, &len);
		m = margin(d, g->err);
		*hi = fmin(*hi, d + m);
		*lo = fmin(*lo, d - m);
		*best = fmin(*best, d);
	}
	return *best < INFINITY;
}

/* The geodesic distance to section k: every segment that may be nearer
** than hi (from section_bounds) is measured. */
static double
section_exact(const struct ref_sections *s, size_t k, const struct frame *f,
    double hi)
{
	const struct ref_index *ix = s->ix;
	double out = INFINITY, t, len;
	size_t j;

	for (j = ix->first[k]; j < ix->first[k + 1]; j++) {
		const struct seg *g = &ix->seg[j];
		double d;

		d = seg_planar(f, g->lon0, g->lat0, g->lon1, g->lat1, &t, &len);
		if (d - margin(d, g->err) > hi)
			continue;
		out = fmin(out, seg_exact(ix, g, t, f->lon, f->lat));
	}
	return out;
}

double
ref_sections_distance_m(const struct ref_sections *s, double lon,
    double lat, size_t *idx)
{
	struct frame f;
	double hi = INFINITY, best = NAN, *lo = NULL, stack[64];
	size_t k;

	if (idx != NULL)
		*idx = (size_t)-1;
	if (s == NULL || s->n == 0 || geo_check_latlon(lat, lon, NULL))
		return NAN;
	lo = s->n <= 64 ? stack : malloc(s->n * sizeof *lo);
	if (lo == NULL)
		return NAN;
	frame_at(&f, lon, lat);
	for (k = 0; k < s->n; k++) {
		double b, h;

		section_bounds(s, k, &f, &lo[k], &b, &h);
		hi = fmin(hi, h);
	}
	for (k = 0; k < s->n; k++) {
		double d;

		if (lo[k] > hi)
			continue;
		d = section_exact(s, k, &f, hi);
		if (isnan(best) || d < best) {
			best = d;
			if (idx != NULL)
				*idx = k;
		}
	}
	if (lo != stack)
		free(lo);
	return best;
}

static int
dist_ok(double dist_m)
{
	return dist_m >= 0 && dist_m <= REF_DIST_MAX;
}

/*
** Bounds of the distance to section k from the frame's point, over all
** its segments: [*lo, *hi], exact (lo == hi) when the planar bounds
** straddle dist_m. Returns 1 when the point is within dist_m.
*/
static int
section_test(const struct ref_sections *s, size_t k, const struct frame *f,
    double dist_m, double *lo, double *hi)
{
	double best;

	section_bounds(s, k, f, lo, &best, hi);
	if (*hi <= dist_m)
		return 1;
	if (*lo > dist_m)
		return 0;
	*lo = *hi = section_exact(s, k, f, *hi);
	return *lo <= dist_m;
}

size_t
ref_section_of_point(const struct ref_sections *s, double lon, double lat,
    double dist_m, size_t *idx, size_t cap)
{
	struct frame f;
	struct wbox sb;
	size_t k, found = 0;
	double lo, hi;

	if (s == NULL || !dist_ok(dist_m) || geo_check_latlon(lat, lon, NULL))
		return 0;
	frame_at(&f, lon, lat);
	for (k = 0; k < s->n; k++) {
		widen(s->v[k].bbox, dist_m, &sb);
		if (!in_wbox(&sb, lon, lat) ||
		    !section_test(s, k, &f, dist_m, &lo, &hi))
			continue;
		if (found < cap && idx != NULL)
			idx[found] = k;
		found++;
	}
	return found;
}

/* What ref_sections_near_track knows of one section along the track. */
struct near_state {
	double lo, hi;          /* bounds of the distance at the last test */
	double at;              /* track length up to that point */
	double min_hi;          /* least upper bound seen inside the buffer */
	int tested;             /* lo, hi, at are set */
	int prev_in;            /* the previous point was inside */
};

/*
** The distance to a section changes by at most the length walked: after a
** test at track length at, a point at track length cum is outside while
** lo - walked > dist_m and inside while hi + walked <= dist_m, with no
** test. A test is needed only near the edge of the buffer, or inside it
** when the point may be the closest yet.
*/
int
ref_sections_near_track(const struct ref_sections *s,
    const double *lonlat, size_t n, double dist_m, struct ref_near **out,
    size_t *nout, struct dib_diag *d)
{
	struct wbox *sb = NULL;
	struct ref_near *acc = NULL;
	struct near_state *st = NULL;
	struct dib_diag pd;
	double cum = 0;
	size_t i, k, m = 0;
	int rc = DIB_OK;

	*out = NULL;
	*nout = 0;
	if (!dist_ok(dist_m))
		return dib_fail(d, DIB_EINVAL, "dist_m", "must be a distance in "
		    "metres from 0 to %.0f", REF_DIST_MAX);
	if (s == NULL || s->n == 0 || n == 0)
		return DIB_OK;
	if (lonlat == NULL)
		return dib_fail(d, DIB_EINVAL, "track", "no points");
	if ((sb = malloc(s->n * sizeof *sb)) == NULL ||
	    (acc = calloc(s->n, sizeof *acc)) == NULL ||
	    (st = calloc(s->n, sizeof *st)) == NULL) {
		rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
		goto out;
	}
	for (k = 0; k < s->n; k++) {
		widen(s->v[k].bbox, dist_m, &sb[k]);
		st[k].min_hi = INFINITY;
	}
	for (i = 0; i < n; i++) {
		double lon = lonlat[2 * i], lat = lonlat[2 * i + 1], step = 0;
		struct frame f;
		int framed = 0;

		if (geo_check_latlon(lat, lon, &pd) != DIB_OK) {
			char field[64];

			snprintf(field, sizeof field, "track[%zu]", i);
			rc = dib_fail(d, DIB_EINVAL, field, "%s %s", pd.field,
			    pd.msg);
			goto out;
		}
		/* Within 1e-6 of the geodesic (geo_step_m); the walked
		** length below has 1e-4 and a millimetre of margin. */
		if (i > 0) {
			step = geo_step_m(lonlat[2 * i - 1], lonlat[2 * i - 2],
			    lat, lon);
			cum += step;
		}
		for (k = 0; k < s->n; k++) {
			struct near_state *q = &st[k];
			double walked;
			int in;

			if (!in_wbox(&sb[k], lon, lat)) {
				if (q->prev_in)
					acc[k].length_m += step / 2;
				q->prev_in = 0;
				continue;
			}
			walked = (cum - q->at) * (1 + 1e-4) + 1e-3;
			if (q->tested && q->lo - walked > dist_m)
				in = 0;
			else if (q->tested && q->hi + walked <= dist_m &&
			    q->lo - walked >= q->min_hi)
				in = 1;
			else {
				if (!framed) {
					frame_at(&f, lon, lat);
					framed = 1;
				}
				in = section_test(s, k, &f, dist_m, &q->lo,
				    &q->hi);
				q->at = cum;
				q->tested = 1;
				if (in && q->hi < q->min_hi) {
					q->min_hi = q->hi;
					acc[k].min_at = i;
				}
			}
			if (in && acc[k].points++ == 0)
				acc[k].first = i;
			if (in)
				acc[k].last = i;
			if (i > 0 && (in || q->prev_in))
				acc[k].length_m += in && q->prev_in ? step :
				    step / 2;
			q->prev_in = in;
		}
	}
	for (k = 0; k < s->n; k++) {
		struct frame f;
		size_t at = acc[k].min_at;
		double lo, b, hi;

		if (acc[k].points == 0)
			continue;
		acc[k].section = k;
		frame_at(&f, lonlat[2 * at], lonlat[2 * at + 1]);
		section_bounds(s, k, &f, &lo, &b, &hi);
		acc[k].min_m = section_exact(s, k, &f, hi);
		acc[m++] = acc[k];
	}
	if (m > 0) {
		*out = acc;
		*nout = m;
		acc = NULL;
	}
out:
	free(acc);
	free(st);
	free(sb);
	return rc;
}
