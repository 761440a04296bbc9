/*
** Validation and encoding of records, and reading their metadata back.
*/
#include "log/record.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geo.h"
#include "model/model.h"
#include "util/arena.h"
#include "util/buf.h"

void
record_clear(struct record *r)
{
	if (r == NULL)
		return;
	if (!r->body_shared)
		free(r->body);
	free(r->text);
	r->body_shared = 0;
	r->body = NULL;
	r->text = NULL;
	r->body_len = 0;
}

static _Thread_local struct arena *body_arena;

void
record_body_arena(struct arena *a)
{
	body_arena = a;
}

/*
** Scratch buffers of this thread for encoding, kept from one record to
** the next: a record then costs one allocation of its exact size, not a
** buffer grown step by step (and freshly faulted in) for each.
*/
struct scratch {
	struct buf body, text;
};

#define SCRATCH_KEEP (64 * 1024)        /* bigger ones are not kept */

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static int scratch_ok;

static void
scratch_free(void *p)
{
	struct scratch *sc = p;

	buf_free(&sc->body);
	buf_free(&sc->text);
	free(sc);
}

static void
scratch_init(void)
{
	scratch_ok = pthread_key_create(&scratch_key, scratch_free) == 0;
}

/* This thread's scratch, or NULL (out of memory: callers use their own). */
static struct scratch *
scratch_get(void)
{
	struct scratch *sc;

	pthread_once(&scratch_once, scratch_init);
	if (!scratch_ok)
		return NULL;
	if ((sc = pthread_getspecific(scratch_key)) != NULL)
		return sc;
	if ((sc = calloc(1, sizeof *sc)) == NULL)
		return NULL;
	if (pthread_setspecific(scratch_key, sc) != 0) {
		free(sc);
		return NULL;
	}
	return sc;
}

/* A buffer for a new record: sc's which, emptied, or own when no sc. */
static struct buf *
scratch_buf(struct scratch *sc, struct buf *which, struct buf *own)
{
	if (sc == NULL) {
		buf_init(own, RECORD_MAX_BODY);
		return own;
	}
	which->max = RECORD_MAX_BODY;
	buf_reset(which);
	return which;
}

/* Done with b (a scratch buffer or the caller's own). */
static void
scratch_done(struct scratch *sc, struct buf *b)
{
	if (sc == NULL || b->cap > SCRATCH_KEEP)
		buf_free(b);
	else
		buf_reset(b);
}

/* The default model, loaded once: how received records are indexed. */
static struct model *text_model;
static pthread_once_t text_model_once = PTHREAD_ONCE_INIT;

static void
text_model_init(void)
{
	if (model_load_default(&text_model, NULL) != 0)
		text_model = NULL;
}

/*
** The words for the full-text index, one value a line: the text
** attributes of category c that go into search (not those the model
** marks "search": false, such as a track's encoded points). A received
** record (c NULL) is read with the default model's category of that id
** when it has one, so that it is indexed as its origin indexed it; a
** category unknown there (a partner's extension) gives every string.
*/
static char *
text_of(const json_t *attrs, const struct model_category *c,
    const char *category)
{
	struct scratch *sc;
	struct buf own, *b;
	const char *key;
	char *text = NULL;
	json_t *v;

	if (c == NULL && category != NULL && category[0] != '\0') {
		pthread_once(&text_model_once, text_model_init);
		c = model_find(text_model, category);
	}
	sc = scratch_get();
	b = scratch_buf(sc, sc ? &sc->text : NULL, &own);
	json_object_foreach((json_t *)attrs, key, v)
		if (json_is_string(v) && (c == NULL ||
		    model_attr_searchable(c, key))) {
			if (b->len)
				buf_addc(b, '\n');
			buf_add(b, json_string_value(v),
			    json_string_length(v));
		}
	if (b->len > 0 && !b->oom)
		text = buf_copy(b);
	scratch_done(sc, b);
	return text;
}

/* ---- geometry ---- */

/*
** Positions are stored with 7 decimals (1 cm), written from the integer
** q = round(v * 1e7); q / 1e7 is the double that reading that text gives
** back (IEEE division is correctly rounded), so the projection holds
** exactly what a reader of the stored bytes gets.
*/
static int64_t
coord_units(double v)
{
	return llround(v * 1e7);
}

static double
quantize(double v)
{
	if (!isfinite(v) || fabs(v) > 1e6)
		return v;
	return (double)coord_units(v) / 1e7;
}

/*
** Position at of field (at < 0: field itself is the position). Its name
** ("geometry.coordinates[3]") is written only for an error message.
*/
static int
check_position(const json_t *pos, const char *field, long at,
    struct record *r, struct dib_diag *d)
{
	double lon, lat;
	const json_t *x, *y;
	const char *why;
	char f[96], msg[160];

	if (!json_is_array(pos) || json_array_size(pos) < 2 ||
	    json_array_size(pos) > 3) {
		why = "a position must be [longitude, latitude] or "
		    "[longitude, latitude, altitude]";
		goto fail;
	}
	x = json_array_get(pos, 0);
	y = json_array_get(pos, 1);
	if (!json_is_number(x) || !json_is_number(y) ||
	    (json_array_size(pos) == 3 &&
	    !json_is_number(json_array_get(pos, 2)))) {
		why = "coordinates must be numbers";
		goto fail;
	}
	lon = quantize(json_number_value(x));
	lat = quantize(json_number_value(y));
	if (!(lon >= -180.0 && lon <= 180.0)) {
		snprintf(msg, sizeof msg, "longitude must be in [-180, 180], "
		    "got %g (GeoJSON puts longitude first)", lon);
		why = msg;
		goto fail;
	}
	if (!(lat >= -90.0 && lat <= 90.0)) {
		snprintf(msg, sizeof msg, "latitude must be in [-90, 90], "
		    "got %g", lat);
		why = msg;
		goto fail;
	}
	if (lon < r->minx)
		r->minx = lon;
	if (lon > r->maxx)
		r->maxx = lon;
	if (lat < r->miny)
		r->miny = lat;
	if (lat > r->maxy)
		r->maxy = lat;
	return DIB_OK;
fail:
	if (at >= 0)
		snprintf(f, sizeof f, "%s[%ld]", field, at);
	return dib_fail(d, DIB_EINVAL, at >= 0 ? f : field, "%s", why);
}

static int
check_line(const json_t *a, size_t min, int closed, const char *field,
    size_t *budget, struct record *r, struct dib_diag *d)
{
	size_t i, n;
	int rc;

	if (!json_is_array(a))
		return dib_fail(d, DIB_EINVAL, field,
		    "must be an array of positions");
	n = json_array_size(a);
	if (n < min)
		return dib_fail(d, DIB_EINVAL, field,
		    "needs at least %zu positions, got %zu", min, n);
	if (n > *budget)
		return dib_fail(d, DIB_ETOOBIG, field,
		    "more than %d positions", RECORD_MAX_POSITIONS);
	*budget -= n;
	for (i = 0; i < n; i++)
		if ((rc = check_position(json_array_get(a, i), field, (long)i,
		    r, d)) != 0)
			return rc;
	if (closed && !json_equal(json_array_get(a, 0),
	    json_array_get(a, n - 1)))
		return dib_fail(d, DIB_EINVAL, field,
		    "a polygon ring must end with its first position");
	return DIB_OK;
}

int
record_check_geometry(const json_t *g, struct record *r, struct dib_diag *d)
{
	const char *type;
	const json_t *c;
	size_t budget = RECORD_MAX_POSITIONS;
	int rc;

	r->minx = r->miny = INFINITY;
	r->maxx = r->maxy = -INFINITY;
	if (!json_is_object(g))
		return dib_fail(d, DIB_EINVAL, "geometry",
		    "must be a GeoJSON geometry object");
	type = json_string_value(json_object_get(g, "type"));
	c = json_object_get(g, "coordinates");
	if (type == NULL)
		return dib_fail(d, DIB_EINVAL, "geometry.type",
		    "is required (Point, LineString or Polygon)");
	if (c == NULL)
		return dib_fail(d, DIB_EINVAL, "geometry.coordinates",
		    "is required");
	if (strcmp(type, "Point") == 0) {
		r->geom = RECORD_GEOM_POINT;
		rc = check_position(c, "geometry.coordinates", -1, r, d);
	} else if (strcmp(type, "LineString") == 0) {
		r->geom = RECORD_GEOM_LINE;
		rc = check_line(c, 2, 0, "geometry.coordinates", &budget, r,
		    d);
	} else if (strcmp(type, "Polygon") == 0) {
		size_t i, n = json_array_size(c);
		char f[96];

		r->geom = RECORD_GEOM_POLYGON;
		if (!json_is_array(c) || n < 1)
			return dib_fail(d, DIB_EINVAL, "geometry.coordinates",
			    "a polygon is an array of rings");
		if (n > 100)
			return dib_fail(d, DIB_ETOOBIG, "geometry.coordinates",
			    "more than 100 rings");
		for (i = 0, rc = 0; i < n && rc == 0; i++) {
			snprintf(f, sizeof f, "geometry.coordinates[%zu]", i);
			rc = check_line(json_array_get(c, i), 4, 1, f, &budget,
			    r, d);
		}
	} else {
		return dib_fail(d, DIB_EINVAL, "geometry.type",
		    "must be Point, LineString or Polygon, got \"%.40s\"",
		    type);
	}
	if (rc != 0)
		return rc;
	if (r->geom == RECORD_GEOM_POINT) {
		r->lon = r->minx;
		r->lat = r->miny;
	} else {
		r->lon = (r->minx + r->maxx) / 2;
		r->lat = (r->miny + r->maxy) / 2;
	}
	return DIB_OK;
}

/* A coordinate with at most 7 decimals (1 cm), without trailing zeros. */
static int
add_coord(struct buf *b, double v)
{
	int64_t q = coord_units(v);
	uint64_t u = (uint64_t)(q < 0 ? -q : q), ip = u / 10000000;
	unsigned frac = (unsigned)(u % 10000000);
	char s[40], *p = s + sizeof s;
	int digits = 7;

	/* Fraction digits right to left, dropping trailing zeros. */
	while (digits > 0 && frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	if (digits > 0) {
		while (digits-- > 0) {
			*--p = (char)('0' + frac % 10);
			frac /= 10;
		}
		*--p = '.';
	}
	do
		*--p = (char)('0' + ip % 10);
	while ((ip /= 10) > 0);
	if (q < 0)
		*--p = '-';
	return buf_add(b, p, (size_t)(s + sizeof s - p));
}

/* depth 0: one position [x, y(, z)]; 1: a list of them; 2: rings. */
static int
add_positions(struct buf *b, const json_t *a, int depth)
{
	size_t i;
	int rc = buf_addc(b, '[');

	for (i = 0; rc == 0 && i < json_array_size(a); i++) {
		const json_t *e = json_array_get(a, i);

		if (i)
			rc |= buf_addc(b, ',');
		if (depth > 0)
			rc |= add_positions(b, e, depth - 1);
		else
			rc |= add_coord(b, json_number_value(e));
	}
	return rc | buf_addc(b, ']');
}

static int
add_geometry(struct buf *b, const json_t *g, int geom)
{
	static const char *names[] = {"", "Point", "LineString", "Polygon"};
	int rc = buf_adds(b, "{\"type\":\"");

	rc |= buf_adds(b, names[geom]);
	rc |= buf_adds(b, "\",\"coordinates\":");

	/* A Point is one position, a LineString a list, a Polygon a list
	 * of lists. */
	return rc | add_positions(b, json_object_get(g, "coordinates"),
	    geom - 1) | buf_addc(b, '}');
}

/* ---- encoding ---- */

/*
** Compact JSON of a validated value, in the object's own key order (what
** json_dumpb(JSON_COMPACT | JSON_REAL_PRECISION(15)) writes, without its
** per-chunk callbacks: this runs for every record).
*/
static int
add_json(struct buf *b, const json_t *v, int depth)
{
	char num[40];
	int rc = 0, n;

	if (depth > 32)
		return -1;
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *key;
		json_t *e;
		int first = 1;

		rc |= buf_addc(b, '{');
		json_object_foreach((json_t *)v, key, e) {
			if (!first)
				rc |= buf_addc(b, ',');
			first = 0;
			rc |= buf_add_json_string(b, key);
			rc |= buf_addc(b, ':');
			rc |= add_json(b, e, depth + 1);
		}
		return rc | buf_addc(b, '}');
	}
	case JSON_ARRAY: {
		size_t i;

		rc |= buf_addc(b, '[');
		for (i = 0; i < json_array_size(v); i++) {
			if (i)
				rc |= buf_addc(b, ',');
			rc |= add_json(b, json_array_get(v, i), depth + 1);
		}
		return rc | buf_addc(b, ']');
	}
	case JSON_STRING:
		return buf_add_json_string(b, json_string_value(v));
	case JSON_INTEGER: {
		json_int_t iv = json_integer_value(v);
		uint64_t u = iv < 0 ? 0 - (uint64_t)iv : (uint64_t)iv;
		char *p = num + sizeof num;

		do
			*--p = (char)('0' + u % 10);
		while ((u /= 10) > 0);
		if (iv < 0)
			*--p = '-';
		return buf_add(b, p, (size_t)(num + sizeof num - p));
	}
	case JSON_REAL:
		if ((n = util_fmt_g15(json_real_value(v), num)) <= 0)
			return -1;
		/* Keep it a real when read back: "3" would be an integer. */
		if (strpbrk(num, ".eE") == NULL && n + 2 < (int)sizeof num) {
			num[n++] = '.';
			num[n++] = '0';
		}
		return buf_add(b, num, (size_t)n);
	case JSON_TRUE:
		return buf_adds(b, "true");
	case JSON_FALSE:
		return buf_adds(b, "false");
	case JSON_NULL:
		return buf_adds(b, "null");
	}
	return -1;
}

static int
add_uuid_field(struct buf *b, const char *key, const uint8_t id[16])
{
	char s[37];

	return buf_printf(b, ",\"%s\":\"%s\"", key, util_uuid_format(id, s));
}

/* v, the member key of a record: absent (NULL), null or a record id. */
static int
parse_uuid_value(const json_t *v, const char *key, int *has, uint8_t *out,
    struct dib_diag *d)
{
	*has = 0;
	if (v == NULL || json_is_null(v))
		return DIB_OK;
	if (!json_is_string(v) || util_uuid_parse(json_string_value(v),
	    out) != 0)
		return dib_fail(d, DIB_EINVAL, key,
		    "must be a record id like 0195224a-3c00-7d1e-8f00-"
		    "0123456789ab");
	*has = 1;
	return DIB_OK;
}

static int
parse_uuid_field(const json_t *in, const char *key, int *has, uint8_t *out,
    struct dib_diag *d)
{
	return parse_uuid_value(json_object_get(in, key), key, has, out, d);
}

static int
parse_audience(const json_t *v, char *out, struct dib_diag *d)
{
	char joined[256] = "";
	size_t i, len = 0;

	if (json_is_string(v))
		return util_audience_parse(json_string_value(v), out, d);
	if (!json_is_array(v))
		return dib_fail(d, DIB_EINVAL, "audience",
		    "must be a list of nation codes like [\"SN\",\"ML\"]");
	for (i = 0; i < json_array_size(v); i++) {
		const char *s = json_string_value(json_array_get(v, i));
		size_t n = s ? strlen(s) : 0;

		if (s == NULL || n > 8 || len + 10 >= sizeof joined)
			return dib_fail(d, DIB_EINVAL, "audience",
			    "must be a list of nation codes like "
			    "[\"SN\",\"ML\"]");
		if (i)
			joined[len++] = ',';
		memcpy(joined + len, s, n + 1);
		len += n;
	}
	return util_audience_parse(joined, out, d);
}

/* The members of a record's input, by their index in top_keys. */
enum {
	TOP_CATEGORY, TOP_OBSERVED_AT, TOP_GEOMETRY, TOP_LOCATION,
	TOP_ATTRIBUTES, TOP_AUDIENCE, TOP_PRECEDENCE, TOP_PATROL,
	TOP_SUPERSEDES, TOP_COUNT
};

static const char *const top_keys[TOP_COUNT] = {"category", "observed_at",
    "geometry", "location", "attributes", "audience", "precedence",
    "patrol", "supersedes"};

/* The index of key in top_keys, or -1: its first letter picks at most
 * two to compare (this runs for every member of every record). */
static int
top_key(const char *key)
{
	static const signed char first[26][2] = {
		['a' - 'a'] = {TOP_ATTRIBUTES, TOP_AUDIENCE},
		['c' - 'a'] = {TOP_CATEGORY, -1},
		['g' - 'a'] = {TOP_GEOMETRY, -1},
		['l' - 'a'] = {TOP_LOCATION, -1},
		['o' - 'a'] = {TOP_OBSERVED_AT, -1},
		['p' - 'a'] = {TOP_PRECEDENCE, TOP_PATROL},
		['s' - 'a'] = {TOP_SUPERSEDES, -1},
	};
	unsigned c = (unsigned char)key[0] - 'a';
	int i;

	if (c >= 26)
		return -1;
	for (i = 0; i < 2; i++) {
		int k = first[c][i];

		/* Unlisted letters are {0, 0}: TOP_CATEGORY never starts
		 * with them, so strcmp refuses. */
		if (k >= 0 && strcmp(top_keys[k], key) == 0)
			return k;
	}
	return -1;
}

int
record_from_json(const struct model *m, const json_t *in,
    const char *default_audience, const uint8_t *id, struct record *r,
    struct dib_diag *d)
{
	const struct model_category *cat;
	const char *key, *s;
	const json_t *v, *geom, *attrs, *top[TOP_COUNT] = {NULL};
	json_t *made = NULL, *e;
	struct scratch *sc = NULL;
	struct buf own, town, *b = NULL, *tb = NULL;
	char ts[40], idtxt[37];
	int64_t now;
	int rc, k;

	memset(r, 0, sizeof *r);
	if (!json_is_object(in))
		return dib_fail(d, DIB_EINVAL, "", "a record must be a JSON "
		    "object");
	/* One pass over the members (keys are unique: the parsers refuse
	 * duplicates), instead of a hash lookup for each possible one. */
	json_object_foreach((json_t *)in, key, e) {
		if ((k = top_key(key)) < 0)
			return dib_fail(d, DIB_EINVAL, key, "unknown field "
			    "(expected category, observed_at, geometry or "
			    "location, attributes, audience, precedence, "
			    "patrol, supersedes)");
		top[k] = e;
	}

	s = json_string_value(top[TOP_CATEGORY]);
	if (s == NULL)
		return dib_fail(d, DIB_EINVAL, "category",
		    "is required: a category id of the model, e.g. "
		    "security.armed_group.sighting");
	if ((cat = model_find(m, s)) == NULL)
		return dib_fail(d, DIB_EINVAL, "category",
		    "unknown category \"%.80s\" (see diboli model show)", s);
	if (!model_category_is_leaf(cat))
		return dib_fail(d, DIB_EINVAL, "category",
		    "\"%.80s\" is a group; choose one of its subcategories",
		    s);
	util_strlcpy(r->category, s, sizeof r->category);
	util_strlcpy(r->kind, model_category_kind(cat), sizeof r->kind);

	v = top[TOP_OBSERVED_AT];
	if (v == NULL)
		return dib_fail(d, DIB_EINVAL, "observed_at",
		    "is required (RFC 3339, e.g. 2025-02-20T08:00:00Z)");
	if ((rc = util_time_parse(json_string_value(v), &r->t, "observed_at",
	    d)) != 0)
		return rc;
	now = util_now_ms();
	if (r->t > now + 86400000LL)
		return dib_fail(d, DIB_EINVAL, "observed_at",
		    "%s is more than a day in the future",
		    json_string_value(v));

	r->prec = model_category_precedence(cat);
	if ((v = top[TOP_PRECEDENCE]) != NULL) {
		r->prec = model_prec_parse(json_string_value(v));
		if (!json_is_string(v) || r->prec < 0)
			return dib_fail(d, DIB_EINVAL, "precedence",
			    "must be FLASH, IMMEDIATE, PRIORITY or ROUTINE");
	}

	geom = top[TOP_GEOMETRY];
	v = top[TOP_LOCATION];
	if (geom != NULL && v != NULL)
		return dib_fail(d, DIB_EINVAL, "location",
		    "give geometry or location, not both");
	if (v != NULL) {
		double lat, lon;

		if (!json_is_string(v))
			return dib_fail(d, DIB_EINVAL, "location",
			    "must be a coordinate text (decimal, DMS, UTM or "
			    "MGRS)");
		if ((rc = geo_parse(json_string_value(v), &lat, &lon, d)) !=
		    0) {
			dib_diag_prefix(d, "location");
			return rc;
		}
		made = json_pack("{s:s, s:[f,f]}", "type", "Point",
		    "coordinates", lon, lat);
		if (made == NULL)
			return dib_fail(d, DIB_ENOMEM, "location",
			    "out of memory");
		geom = made;
	}
	if (geom != NULL && !json_is_null(geom)) {
		if ((rc = record_check_geometry(geom, r, d)) != 0)
			goto out;
	} else {
		geom = NULL;
		r->geom = RECORD_GEOM_NONE;
	}
	if ((rc = model_check_geometry(cat, geom ? json_string_value(
	    json_object_get(geom, "type")) : NULL, d)) != 0)
		goto out;

	attrs = top[TOP_ATTRIBUTES];
	if (attrs != NULL && !json_is_object(attrs)) {
		rc = dib_fail(d, DIB_EINVAL, "attributes", "must be an object");
		goto out;
	}
	/* Its words for the text index are found in the same pass. */
	sc = scratch_get();
	tb = scratch_buf(sc, sc ? &sc->text : NULL, &town);
	if ((rc = model_validate_attributes_text(cat, attrs, tb, d)) != 0)
		goto out;

	if ((v = top[TOP_AUDIENCE]) != NULL) {
		if ((rc = parse_audience(v, r->audience, d)) != 0)
			goto out;
	} else if ((rc = util_audience_parse(default_audience, r->audience,
	    d)) != 0) {
		goto out;
	}
	if ((rc = parse_uuid_value(top[TOP_PATROL], "patrol", &r->has_patrol,
	    r->patrol, d)) != 0 || (rc = parse_uuid_value(top[TOP_SUPERSEDES],
	    "supersedes", &r->has_supersedes, r->supersedes, d)) != 0)
		goto out;

	if (id != NULL)
		memcpy(r->id, id, 16);
	else
		util_uuid7(now, r->id);

	/* The body: fixed key order, so equal input encodes alike. */
	b = scratch_buf(sc, sc ? &sc->body : NULL, &own);
	rc = buf_adds(b, "{\"id\":\"");
	rc |= buf_adds(b, util_uuid_format(r->id, idtxt));
	rc |= buf_adds(b, "\",\"kind\":");
	rc |= buf_add_json_string(b, r->kind);
	rc |= buf_adds(b, ",\"category\":");
	rc |= buf_add_json_string(b, r->category);
	rc |= buf_adds(b, ",\"observed_at\":\"");
	rc |= buf_adds(b, util_time_format(r->t, ts, sizeof ts));
	rc |= buf_adds(b, "\",\"precedence\":\"");
	rc |= buf_adds(b, model_prec_name(r->prec));
	rc |= buf_addc(b, '"');
	if (geom != NULL) {
		rc |= buf_adds(b, ",\"geometry\":");
		rc |= add_geometry(b, geom, r->geom);
	}
	rc |= buf_adds(b, ",\"attributes\":");
	if (attrs != NULL)
		rc |= add_json(b, attrs, 0);
	else
		rc |= buf_adds(b, "{}");
	if (r->has_patrol)
		rc |= add_uuid_field(b, "patrol", r->patrol);
	if (r->has_supersedes)
		rc |= add_uuid_field(b, "supersedes", r->supersedes);
	rc |= buf_addc(b, '}');
	if (rc != 0) {
		rc = dib_fail(d, DIB_ETOOBIG, "", "the record is larger than "
		    "%d bytes once encoded", RECORD_MAX_BODY);
		goto out;
	}
	if (body_arena != NULL) {
		if ((r->body = arena_alloc(body_arena, b->len + 1)) != NULL) {
			memcpy(r->body, b->p, b->len);
			r->body[b->len] = '\0';
		}
		r->body_shared = 1;
	} else {
		r->body = (unsigned char *)buf_copy(b);
	}
	if (r->body == NULL) {
		r->body_shared = 0;
		rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
		goto out;
	}
	r->body_len = b->len;
	if (tb->len > 0 && !tb->oom && (r->text = buf_copy(tb)) == NULL) {
		rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
		goto out;
	}
out:
	json_decref(made);
	if (b != NULL)
		scratch_done(sc, b);
	if (tb != NULL)
		scratch_done(sc, tb);
	return rc;
}

int
record_retraction(const uint8_t old_id[16], const char *reason,
    const char *audience, int64_t now, struct record *r, struct dib_diag *d)
{
	struct buf b;
	char ts[40], a[37], o[37];
	size_t chars = 0;
	const unsigned char *p;
	int rc;

	memset(r, 0, sizeof *r);
	if (reason == NULL || *reason == '\0')
		return dib_fail(d, DIB_EINVAL, "reason",
		    "is required: say why the record is withdrawn");
	for (p = (const unsigned char *)reason; *p; p++) {
		if (*p < 0x20 && *p != '\n' && *p != '\t')
			return dib_fail(d, DIB_EINVAL, "reason",
			    "contains a control character");
		chars += (*p & 0xc0) != 0x80;
	}
	if (chars > RECORD_MAX_REASON)
		return dib_fail(d, DIB_EINVAL, "reason",
		    "is longer than %d characters", RECORD_MAX_REASON);
	if (!util_utf8_valid(reason, strlen(reason)))
		return dib_fail(d, DIB_EINVAL, "reason", "is not valid UTF-8");
	snprintf(r->kind, sizeof r->kind, "retraction");
	snprintf(r->audience, sizeof r->audience, "%s", audience);
	r->t = now;
	r->prec = 3;
	r->has_retracts = 1;
	memcpy(r->retracts, old_id, 16);
	util_uuid7(now, r->id);
	buf_init(&b, RECORD_MAX_BODY);
	rc = buf_printf(&b, "{\"id\":\"%s\",\"kind\":\"retraction\","
	    "\"observed_at\":\"%s\",\"precedence\":\"ROUTINE\","
	    "\"retracts\":\"%s\",\"reason\":", util_uuid_format(r->id, a),
	    util_time_format(now, ts, sizeof ts),
	    util_uuid_format(old_id, o));
	rc |= buf_add_json_string(&b, reason);
	rc |= buf_addc(&b, '}');
	if (rc != 0) {
		buf_free(&b);
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	}
	r->body = (unsigned char *)buf_detach(&b, &r->body_len);
	return DIB_OK;
}

/* ---- decoding ---- */

int
record_parse_body(const unsigned char *body, size_t len, struct record *r,
    struct dib_diag *d)
{
	json_error_t jerr;
	json_t *j;
	const char *s;
	const json_t *g;
	int rc = DIB_OK;

	memset(r, 0, sizeof *r);
	j = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL || !json_is_object(j)) {
		rc = dib_fail(d, DIB_EINVAL, "record",
		    "not a JSON object: %s", j ? "wrong type" : jerr.text);
		goto out;
	}
	if (util_uuid_parse(json_string_value(json_object_get(j, "id")),
	    r->id) != 0) {
		rc = dib_fail(d, DIB_EINVAL, "id", "missing or malformed");
		goto out;
	}
	s = json_string_value(json_object_get(j, "kind"));
	snprintf(r->kind, sizeof r->kind, "%s", s ? s : "observation");
	s = json_string_value(json_object_get(j, "category"));
	if (s != NULL && strlen(s) >= sizeof r->category) {
		rc = dib_fail(d, DIB_EINVAL, "category", "too long");
		goto out;
	}
	snprintf(r->category, sizeof r->category, "%s", s ? s : "");
	if ((rc = util_time_parse(json_string_value(json_object_get(j,
	    "observed_at")), &r->t, "observed_at", d)) != 0)
		goto out;
	r->prec = model_prec_parse(json_string_value(json_object_get(j,
	    "precedence")));
	if (r->prec < 0)
		r->prec = 3;
	g = json_object_get(j, "geometry");
	if (g != NULL && (rc = record_check_geometry(g, r, d)) != 0)
		goto out;
	if ((rc = parse_uuid_field(j, "patrol", &r->has_patrol, r->patrol,
	    d)) != 0 || (rc = parse_uuid_field(j, "supersedes",
	    &r->has_supersedes, r->supersedes, d)) != 0 ||
	    (rc = parse_uuid_field(j, "retracts", &r->has_retracts,
	    r->retracts, d)) != 0)
		goto out;
	if (r->category[0] == '\0' && !r->has_retracts)
		rc = dib_fail(d, DIB_EINVAL, "category", "missing");
	else if (json_is_object(json_object_get(j, "attributes")))
		r->text = text_of(json_object_get(j, "attributes"), NULL,
		    r->category);
out:
	json_decref(j);
	return rc;
}
