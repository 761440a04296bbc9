/*
** GPS tracks of joint patrols: an upload (a GPX file, a GeoJSON body) is
** cleaned with the rules of the patrol's type, cut into patrol.track
** records of at most PATROL_PIECE_MAX points and appended all at once;
** reading joins the pieces back into uploads for the map, the exports
** and the debrief. See docs/patrols.md ("Tracks").
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log/record.h"
#include "model/model.h"
#include "node/node.h"
#include "patrol/patrol.h"
#include "patrol/patrol_int.h"
#include "store/store.h"
#include "util/json.h"
#include "util/util.h"

/* Bytes of DIR/track-rules.json read at most. */
#define RULES_FILE_MAX (64 * 1024)

static const char *const source_names[] = {"gpx", "api", "device"};

/* ---- the rules of cleaning ---- */

static int
rules_member(const json_t *o, const char *key, double *v, const char *where,
    const char *type, struct dib_diag *d)
{
	const json_t *x = json_object_get(o, key);

	if (x == NULL)
		return DIB_OK;
	if (!json_is_number(x) || !(json_number_value(x) > 0) ||
	    !(json_number_value(x) <= 1e7))
		return dib_fail(d, DIB_EINVAL, key, "%s: %s.%s must be a number "
		    "> 0", where, type, key);
	*v = json_number_value(x);
	return DIB_OK;
}

/* Every type and member of the file is known and well formed. */
static int
rules_check(const json_t *j, const char *path, struct dib_diag *d)
{
	static const char *const keys[] = {"max_speed_ms", "noise_m",
	    "gap_s", "jump_m", NULL};
	enum track_mode mode;
	const char *type, *key;
	json_t *o, *v;
	double x;
	int i, rc;

	if (!json_is_object(j))
		return dib_fail(d, DIB_EINVAL, "", "%s: must be an object of "
		    "patrol types", path);
	json_object_foreach((json_t *)j, type, o) {
		if (track_mode_parse(type, &mode, NULL) != 0 ||
		    strcmp(type, track_mode_name(mode)) != 0)
			return dib_fail(d, DIB_EINVAL, type, "%s: unknown patrol "
			    "type (foot, vehicle, boat, mounted, mixed)", path);
		if (!json_is_object(o))
			return dib_fail(d, DIB_EINVAL, type, "%s: must be an "
			    "object", path);
		json_object_foreach(o, key, v) {
			for (i = 0; keys[i] && strcmp(keys[i], key) != 0; i++)
				;
			if (keys[i] == NULL)
				return dib_fail(d, DIB_EINVAL, key, "%s: %s.%s is "
				    "unknown (max_speed_ms, noise_m, gap_s, "
				    "jump_m)", path, type, key);
			if ((rc = rules_member(o, key, &x, path, type, d)) != 0)
				return rc;
		}
	}
	return DIB_OK;
}

int
patrol_track_rules(const char *dir, const char *patrol_type,
    struct track_rules *r, struct dib_diag *d)
{
	enum track_mode mode = TRACK_MIXED;
	const char *name;
	char path[2300], *text = NULL;
	size_t len = 0;
	json_t *j = NULL, *o;
	FILE *f;
	int rc;

	if (patrol_type == NULL || track_mode_parse(patrol_type, &mode,
	    NULL) != 0)
		mode = TRACK_MIXED;
	track_rules_default(r, mode);
	if (dir == NULL)
		return DIB_OK;
	snprintf(path, sizeof path, "%s/" PATROL_TRACK_RULES, dir);
	if ((f = fopen(path, "rb")) == NULL)
		return DIB_OK;          /* no file: the defaults */
	fclose(f);
	if ((rc = util_read_file(path, RULES_FILE_MAX, &text, &len, d)) != 0)
		return rc;
	if ((rc = util_json_parse(text, len, path, &j, d)) != 0 ||
	    (rc = rules_check(j, path, d)) != 0)
		goto out;
	name = track_mode_name(mode);
	if ((o = json_object_get(j, name)) != NULL &&
	    ((rc = rules_member(o, "max_speed_ms", &r->max_speed_ms, path,
	    name, d)) != 0 || (rc = rules_member(o, "noise_m", &r->noise_m,
	    path, name, d)) != 0 || (rc = rules_member(o, "gap_s", &r->gap_s,
	    path, name, d)) != 0 || (rc = rules_member(o, "jump_m",
	    &r->jump_m, path, name, d)) != 0))
		goto out;
out:
	json_decref(j);
	free(text);
	return rc;
}

/* ---- GeoJSON in ---- */

/* One line of positions (and its times, or NULL) as a new segment. */
static int
geojson_line(const json_t *coords, const json_t *times, const char *where,
    const char *twhere, struct track *tr, struct dib_diag *d)
{
	size_t i, n = json_array_size(coords);
	int rc;

	if (!json_is_array(coords))
		return dib_fail(d, DIB_EINVAL, where, "must be an array of "
		    "positions");
	if (times != NULL && (!json_is_array(times) ||
	    json_array_size(times) != n))
		return dib_fail(d, DIB_EINVAL, twhere, "must be an array of %zu "
		    "times (RFC 3339 or null), one per position", n);
	if ((rc = track_segment(tr)) != 0)
		return dib_fail(d, rc, where, "out of memory");
	for (i = 0; i < n; i++) {
		const json_t *p = json_array_get(coords, i), *t;
		struct track_point pt;
		char f[256];

		memset(&pt, 0, sizeof pt);
		if (!json_is_array(p) || json_array_size(p) < 2 ||
		    json_array_size(p) > 4 || !json_is_number(json_array_get(p,
		    0)) || !json_is_number(json_array_get(p, 1)) ||
		    (json_array_size(p) >= 3 && !json_is_number(
		    json_array_get(p, 2)) && !json_is_null(json_array_get(p,
		    2)))) {
			snprintf(f, sizeof f, "%s[%zu]", where, i);
			return dib_fail(d, DIB_EINVAL, f, "must be [longitude, "
			    "latitude] or [longitude, latitude, elevation]");
		}
		pt.lon = json_number_value(json_array_get(p, 0));
		pt.lat = json_number_value(json_array_get(p, 1));
		if (json_array_size(p) >= 3 && json_is_number(json_array_get(p,
		    2))) {
			pt.ele = json_number_value(json_array_get(p, 2));
			pt.has_ele = 1;
		}
		if (!(pt.lat >= -90 && pt.lat <= 90) ||
		    !(pt.lon >= -180 && pt.lon <= 180)) {
			snprintf(f, sizeof f, "%s[%zu]", where, i);
			return dib_fail(d, DIB_EINVAL, f, "position out of range: "
			    "longitude %g, latitude %g (GeoJSON puts the "
			    "longitude first)", pt.lon, pt.lat);
		}
		t = times ? json_array_get(times, i) : NULL;
		if (t != NULL && !json_is_null(t)) {
			snprintf(f, sizeof f, "%s[%zu]", twhere, i);
			if (!json_is_string(t))
				return dib_fail(d, DIB_EINVAL, f, "must be an RFC "
				    "3339 time or null");
			if ((rc = util_time_parse(json_string_value(t), &pt.t, f,
			    d)) != 0)
				return rc;
			if (pt.t == 0)
				pt.t = 1;       /* 1970-01-01T00:00:00Z is a time */
		}
		if ((rc = track_add(tr, &pt)) != 0)
			return dib_fail(d, rc, where, rc == DIB_ETOOBIG ? "more "
			    "than %zu points" : "out of memory", tr->max);
	}
	return DIB_OK;
}

/* A LineString or MultiLineString geometry with its times. */
static int
geojson_geometry(const json_t *g, const json_t *times, const char *where,
    const char *twhere, struct track *tr, struct dib_diag *d)
{
	const char *type = json_string_value(json_object_get(g, "type"));
	const json_t *c = json_object_get(g, "coordinates");
	char f[160], tf[192];
	size_t i;
	int rc;

	snprintf(f, sizeof f, "%s%scoordinates", where, *where ? "." : "");
	if (type != NULL && strcmp(type, "LineString") == 0)
		return geojson_line(c, times, f, twhere, tr, d);
	if (type == NULL || strcmp(type, "MultiLineString") != 0)
		return dib_fail(d, DIB_EINVAL, where[0] ? where : "type", "must "
		    "be a LineString or MultiLineString, got %s", type ? type :
		    "no geometry");
	if (!json_is_array(c))
		return dib_fail(d, DIB_EINVAL, f, "must be an array of lines");
	if (times != NULL && (!json_is_array(times) ||
	    json_array_size(times) != json_array_size(c)))
		return dib_fail(d, DIB_EINVAL, twhere, "must hold one array of "
		    "times per line (%zu)", json_array_size(c));
	for (i = 0; i < json_array_size(c); i++) {
		char lf[192];

		snprintf(lf, sizeof lf, "%s[%zu]", f, i);
		snprintf(tf, sizeof tf, "%s[%zu]", twhere, i);
		if ((rc = geojson_line(json_array_get(c, i), times ?
		    json_array_get(times, i) : NULL, lf, tf, tr, d)) != 0)
			return rc;
	}
	return DIB_OK;
}

/* A Feature: its geometry and properties.coordTimes. */
static int
geojson_feature(const json_t *f, const char *where, int skip_others,
    struct track *tr, struct dib_diag *d)
{
	const json_t *g = json_object_get(f, "geometry");
	const json_t *times = json_object_get(json_object_get(f,
	    "properties"), "coordTimes");
	const char *type = json_string_value(json_object_get(g, "type"));
	char gw[64], tw[80];

	snprintf(gw, sizeof gw, "%s%sgeometry", where, *where ? "." : "");
	snprintf(tw, sizeof tw, "%s%sproperties.coordTimes", where,
	    *where ? "." : "");
	if (skip_others && (type == NULL || (strcmp(type, "LineString") != 0 &&
	    strcmp(type, "MultiLineString") != 0)))
		return DIB_OK;
	if (json_is_null(times))
		times = NULL;
	return geojson_geometry(g, times, gw, tw, tr, d);
}

int
patrol_track_from_geojson(const json_t *j, struct track *tr, size_t max,
    struct dib_diag *d)
{
	const char *type = json_string_value(json_object_get(j, "type"));
	const json_t *fs;
	size_t i;
	int rc;

	track_init(tr, max ? max : TRACK_GPX_MAX_POINTS);
	if (!json_is_object(j) || type == NULL)
		return dib_fail(d, DIB_EINVAL, "type", "the body must be a "
		    "GeoJSON LineString, MultiLineString, a Feature of one or a "
		    "FeatureCollection of them");
	if (strcmp(type, "Feature") == 0) {
		rc = geojson_feature(j, "", 0, tr, d);
	} else if (strcmp(type, "FeatureCollection") == 0) {
		fs = json_object_get(j, "features");
		if (!json_is_array(fs)) {
			rc = dib_fail(d, DIB_EINVAL, "features", "must be an "
			    "array");
		} else {
			for (i = 0, rc = 0; rc == 0 && i < json_array_size(fs);
			    i++) {
				char w[40];

				snprintf(w, sizeof w, "features[%zu]", i);
				rc = geojson_feature(json_array_get(fs, i), w, 1,
				    tr, d);
			}
		}
	} else {
		rc = geojson_geometry(j, NULL, "", "coordTimes", tr, d);
	}
	if (rc == 0 && tr->n == 0)
		rc = dib_fail(d, DIB_EINVAL, "coordinates", "no track point: "
		    "send a LineString or MultiLineString with positions");
	if (rc != 0) {
		track_free(tr);
		track_init(tr, max ? max : TRACK_GPX_MAX_POINTS);
	}
	return rc;
}

/* ---- writing an upload ---- */

void
patrol_track_batch_free(struct patrol_track_batch *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; b->recs != NULL && i < b->n; i++)
		record_clear(&b->recs[i]);
	free(b->recs);
	b->recs = NULL;
	b->n = 0;
}

/* May this node add a track to v now? */
static int
track_allowed(struct node *n, const struct patrol_view *v,
    struct dib_diag *d)
{
	if (!util_audience_has(v->nations, n->nation))
		return dib_fail(d, DIB_EPERM, "nation", "%s does not take part "
		    "in this patrol (nations %s): only their nodes add tracks",
		    n->nation, v->nations);
	if (v->st.status != PATROL_UNDERWAY && v->st.status !=
	    PATROL_COMPLETED && v->st.status != PATROL_ABORTED)
		return dib_fail(d, DIB_ECONFLICT, "status", "cannot add a "
		    "track: the patrol is %s (a track needs underway, "
		    "completed or aborted)", patrol_status_name(v->st.status));
	return DIB_OK;
}

/* The id of piece i: from the caller's base id (deterministic) or new. */
static void
piece_id(const struct patrol_track_in *in, size_t i, uint8_t id[16])
{
	uint8_t seed[20], h[16];

	if (in == NULL || in->o == NULL || in->o->id == NULL) {
		util_uuid7(util_now_ms(), id);
		return;
	}
	memcpy(seed, in->o->id, 16);
	seed[16] = (uint8_t)(i >> 24);
	seed[17] = (uint8_t)(i >> 16);
	seed[18] = (uint8_t)(i >> 8);
	seed[19] = (uint8_t)i;
	crypto_generichash(h, sizeof h, seed, sizeof seed, NULL, 0);
	memcpy(id, in->o->id, 6);
	memcpy(id + 6, h + 6, 10);
	if (i == 0)
		memcpy(id, in->o->id, 16);
	id[6] = (uint8_t)(0x70 | (id[6] & 0x0f));
	id[8] = (uint8_t)(0x80 | (id[8] & 0x3f));
}

/* A piece: where in the cleaned track, and its text. */
struct piece {
	size_t seg, start, count;
	char *text;
};

/* The display geometry of pts[0..n): at most PATROL_DISPLAY_MAX vertices,
** two at least (a lone point is repeated). */
static json_t *
display_line(const struct track_point *pts, size_t n, struct dib_diag *d)
{
	size_t *keep, nkeep = 0, i;
	double tol = PATROL_DISPLAY_M;
	json_t *c;

	if ((keep = malloc((n + 1) * sizeof *keep)) == NULL) {
		dib_fail(d, DIB_ENOMEM, "", "out of memory");
		return NULL;
	}
	for (;;) {
		if (track_simplify(pts, n, tol, keep, &nkeep) != 0) {
			free(keep);
			dib_fail(d, DIB_ENOMEM, "", "out of memory");
			return NULL;
		}
		if (nkeep <= PATROL_DISPLAY_MAX)
			break;
		tol *= 2;
	}
	c = json_array();
	for (i = 0; c != NULL && i < nkeep; i++)
		json_array_append_new(c, json_pack("[f,f]", pts[keep[i]].lon,
		    pts[keep[i]].lat));
	if (c != NULL && nkeep == 1)
		json_array_append_new(c, json_pack("[f,f]", pts[keep[0]].lon,
		    pts[keep[0]].lat));
	free(keep);
	if (c == NULL)
		dib_fail(d, DIB_ENOMEM, "", "out of memory");
	return c;
}

static json_t *
time_value(int64_t ms)
{
	char ts[40];

	return json_string(util_time_format(ms, ts, sizeof ts));
}

/* First and last time of pts[0..n), 0 when none. */
static void
time_span(const struct track_point *pts, size_t n, int64_t *a, int64_t *b)
{
	size_t i;

	*a = *b = 0;
	for (i = 0; i < n; i++) {
		if (pts[i].t == 0)
			continue;
		if (*a == 0 || pts[i].t < *a)
			*a = pts[i].t;
		if (*b == 0 || pts[i].t > *b)
			*b = pts[i].t;
	}
}

/* Cut the cleaned track into pieces whose text fits maxlen. */
static int
cut(const struct track *tr, size_t maxlen, struct piece **out, size_t *nout,
    struct dib_diag *d)
{
	struct piece *v = NULL;
	struct buf text;
	size_t nv = 0, cap = 0, k;
	int rc = DIB_OK;

	buf_init(&text, maxlen);
	for (k = 0; k < tr->nseg && rc == 0; k++) {
		size_t m, start = 0;
		const struct track_point *p = track_seg_points(tr, k, &m);

		while (start < m) {
			size_t cnt = m - start < PATROL_PIECE_MAX ? m - start :
			    PATROL_PIECE_MAX;

			for (;;) {
				buf_reset(&text);
				rc = track_encode(p + start, cnt, &text, d);
				if (rc != DIB_ETOOBIG || cnt <= 2)
					break;
				cnt = cnt * 3 / 4 < 2 ? 2 : cnt * 3 / 4;
			}
			if (rc != 0) {
				if (rc == DIB_ETOOBIG)
					rc = dib_fail(d, DIB_ETOOBIG, "points", "two "
					    "points do not fit in %zu characters",
					    maxlen);
				break;
			}
			if (nv == cap) {
				struct piece *nvv;

				cap = cap ? cap * 2 : 16;
				if ((nvv = realloc(v, cap * sizeof *v)) == NULL) {
					rc = dib_fail(d, DIB_ENOMEM, "", "out of "
					    "memory");
					break;
				}
				v = nvv;
			}
			v[nv].seg = k;
			v[nv].start = start;
			v[nv].count = cnt;
			if ((v[nv].text = buf_copy(&text)) == NULL) {
				rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
				break;
			}
			nv++;
			if (start + cnt >= m)
				break;
			/* The next piece starts with this one's last point:
			 * that is how a reader knows the segment goes on. */
			start += cnt - 1;
		}
	}
	buf_free(&text);
	if (rc == 0 && nv > NODE_MAX_BATCH)
		rc = dib_fail(d, DIB_ETOOBIG, "points", "the track makes %zu "
		    "records, more than %d in one upload", nv, NODE_MAX_BATCH);
	if (rc != 0) {
		for (k = 0; k < nv; k++)
			free(v[k].text);
		free(v);
		v = NULL;
		nv = 0;
	}
	*out = v;
	*nout = nv;
	return rc;
}

/* The record of piece i of b (pieces pv[0..npieces)). */
static int
piece_record(struct node *n, const struct patrol_view *v,
    const struct track *tr, const struct patrol_track_in *in,
    const struct piece *pv, size_t npieces, size_t i,
    struct patrol_track_batch *b, struct dib_diag *d)
{
	const struct piece *pc = &pv[i];
	const struct track_point *p = tr->pts + tr->seg[pc->seg] + pc->start;
	json_t *attrs = NULL, *rec = NULL, *line;
	int64_t t0, t1, at;
	uint8_t id[16];
	char ptxt[37];
	int rc;

	time_span(p, pc->count, &t0, &t1);
	at = t0 ? t0 : b->t_start ? b->t_start : in && in->o && in->o->at ?
	    in->o->at : util_now_ms();
	piece_id(in, i, id);
	if (i == 0)
		util_uuid_format(id, b->track_id);
	if ((line = display_line(p, pc->count, d)) == NULL)
		return d ? d->code : DIB_ENOMEM;
	attrs = json_pack("{s:s, s:I, s:s, s:I, s:I, s:s, s:s}", "points",
	    pc->text, "point_count", (json_int_t)pc->count, "track_id",
	    b->track_id, "seq", (json_int_t)(i + 1), "pieces",
	    (json_int_t)npieces, "nation", n->nation, "source",
	    source_names[in ? in->source : PATROL_SOURCE_API]);
	if (attrs != NULL && t0) {
		json_object_set_new(attrs, "t_start", time_value(t0));
		json_object_set_new(attrs, "t_end", time_value(t1));
	}
	/* The upload's cleaning report, once: on its first piece. */
	if (attrs != NULL && i == 0) {
		json_object_set_new(attrs, "out_of_order", json_integer(
		    (json_int_t)b->out_of_order));
		json_object_set_new(attrs, "duplicates", json_integer(
		    (json_int_t)b->duplicates));
		json_object_set_new(attrs, "spikes", json_integer(
		    (json_int_t)b->spikes));
		json_object_set_new(attrs, "gaps", json_integer((json_int_t)
		    (b->time_gaps + b->jumps)));
		json_object_set_new(attrs, "no_time", json_integer(
		    (json_int_t)b->no_time));
	}
	if (attrs != NULL)
		rec = json_pack("{s:s, s:o, s:{s:s, s:o}, s:o, s:s, s:s}",
		    "category", PATROL_CAT_TRACK, "observed_at", time_value(at),
		    "geometry", "type", "LineString", "coordinates", line,
		    "attributes", attrs, "audience", v->audience, "patrol",
		    util_uuid_format(v->id, ptxt));
	else
		json_decref(line);
	if (rec == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	rc = record_from_json(n->model, rec, n->nation, id, &b->recs[i], d);
	json_decref(rec);
	if (rc != 0) {
		char pre[40];

		patrol_flat_field(d, rc);
		snprintf(pre, sizeof pre, "pieces[%zu]", i);
		dib_diag_prefix(d, pre);
	}
	return rc;
}

int
patrol_track_prepare(struct node *n, const uint8_t patrol[16],
    struct track *tr, const struct patrol_track_in *in,
    struct patrol_track_batch *b, struct dib_diag *d)
{
	const struct model_category *cat;
	struct patrol_view v;
	struct track_report rep;
	struct track_rules stats_rules;
	struct track_stats st;
	struct piece *pv = NULL;
	enum track_mode mode = TRACK_MIXED;
	size_t npieces = 0, i, maxlen;
	int rc;

	memset(b, 0, sizeof *b);
	memcpy(b->patrol, patrol, 16);
	if ((rc = patrol_view_get(n, patrol, &v, d)) != 0)
		return rc;
	if ((rc = track_allowed(n, &v, d)) != 0)
		goto out;
	memcpy(b->version, v.version, sizeof b->version);
	memcpy(b->audience, v.audience, sizeof b->audience);
	snprintf(b->patrol_type, sizeof b->patrol_type, "%s",
	    patrol_type_of(&v));
	if (tr->n == 0) {
		rc = dib_fail(d, DIB_EINVAL, "points", "the track has no point");
		goto out;
	}
	if ((rc = patrol_track_rules(n->dir, b->patrol_type, &b->rules, d)) !=
	    0)
		goto out;
	if (in != NULL && in->has_max_speed)
		b->rules.max_speed_ms = in->max_speed_ms;
	if (in != NULL && in->has_gap)
		b->rules.gap_s = in->gap_s;
	if ((rc = track_clean(tr, &b->rules, &rep, d)) != 0)
		goto out;
	b->n_in = rep.n_in;
	b->n_out = rep.n_out;
	b->out_of_order = rep.out_of_order;
	b->duplicates = rep.duplicates;
	b->spikes = rep.spikes;
	b->no_time = rep.no_time;
	b->bad_ele = rep.bad_ele;
	b->time_gaps = rep.time_gaps;
	b->jumps = rep.jumps;
	b->segments = rep.segments;
	b->gap_total_s = rep.gap_s;
	if (tr->n == 0) {
		rc = dib_fail(d, DIB_EINVAL, "points", "no point is left after "
		    "cleaning (%zu spikes, %zu duplicates)", rep.spikes,
		    rep.duplicates);
		goto out;
	}
	/* Length and times as the debrief will measure them. */
	if (track_mode_parse(b->patrol_type, &mode, NULL) != 0)
		mode = TRACK_MIXED;
	track_rules_default(&stats_rules, mode);
	track_stats(tr, &stats_rules, &st);
	b->length_m = st.length_m;
	b->t_start = st.t_start;
	b->t_end = st.t_end;
	cat = model_find(n->model, PATROL_CAT_TRACK);
	if (cat == NULL) {
		rc = dib_fail(d, DIB_ENOTFOUND, "category", "this node's model "
		    "has no %s category", PATROL_CAT_TRACK);
		goto out;
	}
	maxlen = model_attr_max_length(cat, "points");
	if (maxlen == 0 || maxlen > MODEL_TEXT_MAX)
		maxlen = MODEL_TEXT_MAX;
	if ((rc = cut(tr, maxlen, &pv, &npieces, d)) != 0)
		goto out;
	if ((b->recs = calloc(npieces, sizeof *b->recs)) == NULL) {
		rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
		goto out;
	}
	b->n = npieces;
	for (i = 0; i < npieces; i++) {
		b->points += pv[i].count;
		if (i > 0 && pv[i].seg == pv[i - 1].seg)
			b->points--;
	}
	for (i = 0; i < npieces && rc == 0; i++)
		rc = piece_record(n, &v, tr, in, pv, npieces, i, b, d);
out:
	for (i = 0; i < npieces; i++)
		free(pv[i].text);
	free(pv);
	patrol_view_free(&v);
	if (rc != 0)
		patrol_track_batch_free(b);
	return rc;
}

int
patrol_track_commit(struct node *n, struct patrol_track_batch *b,
    struct dib_diag *d)
{
	struct patrol_view v;
	int rc;

	if (b->recs == NULL || b->n == 0)
		return dib_fail(d, DIB_EINVAL, "points", "nothing to append");
	if ((rc = patrol_view_get(n, b->patrol, &v, d)) != 0)
		return rc;
	if ((rc = track_allowed(n, &v, d)) == 0 &&
	    (strcmp(v.audience, b->audience) != 0 ||
	    strcmp(v.version, b->version) != 0))
		rc = dib_fail(d, DIB_ECONFLICT, "status", "the patrol's plan "
		    "changed while the track was prepared: send it again");
	if (rc == 0)
		rc = node_append(n, b->recs, b->n, d);
	patrol_view_free(&v);
	return rc;
}

int
patrol_add_track(struct node *n, const uint8_t patrol[16], struct track *tr,
    const struct patrol_track_in *in, struct patrol_track_batch *b,
    struct dib_diag *d)
{
	int rc;

	if ((rc = patrol_track_prepare(n, patrol, tr, in, b, d)) != 0)
		return rc;
	if ((rc = patrol_track_commit(n, b, d)) != 0)
		patrol_track_batch_free(b);
	return rc;
}

/* x rounded to a tenth. */
static double
tenth(double x)
{
	return round(x * 10) / 10;
}

json_t *
patrol_track_batch_json(const struct patrol_track_batch *b)
{
	json_t *o, *ids = json_array();
	char txt[37];
	size_t i;

	for (i = 0; ids != NULL && i < b->n; i++)
		json_array_append_new(ids, json_string(util_uuid_format(
		    b->recs[i].id, txt)));
	o = json_pack("{s:s, s:s, s:o, s:I, s:f, s:o, s:o, s:s, "
	    "s:{s:f, s:f, s:f, s:f}, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	    "s:I, s:I, s:f, s:I}}", "patrol", util_uuid_format(b->patrol, txt),
	    "track_id", b->track_id, "pieces", ids, "points",
	    (json_int_t)b->points, "length_m", tenth(b->length_m), "t_start",
	    b->t_start ? time_value(b->t_start) : json_null(), "t_end",
	    b->t_end ? time_value(b->t_end) : json_null(), "patrol_type",
	    b->patrol_type, "rules", "max_speed_ms", b->rules.max_speed_ms,
	    "noise_m", b->rules.noise_m, "gap_s", b->rules.gap_s, "jump_m",
	    b->rules.jump_m, "report", "points_in", (json_int_t)b->n_in,
	    "points_kept", (json_int_t)b->n_out, "out_of_order",
	    (json_int_t)b->out_of_order, "duplicates",
	    (json_int_t)b->duplicates, "spikes", (json_int_t)b->spikes,
	    "no_time", (json_int_t)b->no_time, "bad_elevations",
	    (json_int_t)b->bad_ele, "time_gaps", (json_int_t)b->time_gaps,
	    "jumps", (json_int_t)b->jumps, "gap_s", tenth(b->gap_total_s),
	    "segments", (json_int_t)b->segments);
	return o;
}

/* ---- reading uploads back ---- */

/* A piece as read back. */
struct rpiece {
	json_t *rec;
	const char *nation, *track_id, *text;
	json_int_t seq;
	const char *id;
};

static int
by_piece(const void *a, const void *b)
{
	const struct rpiece *x = a, *y = b;
	int c;

	if ((c = strcmp(x->nation, y->nation)) != 0)
		return c;
	if ((c = strcmp(x->track_id, y->track_id)) != 0)
		return c;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return strcmp(x->id, y->id);
}

void
patrol_uploads_free(struct patrol_uploads *u)
{
	size_t i;

	if (u == NULL)
		return;
	for (i = 0; u->v != NULL && i < u->n; i++)
		track_free(&u->v[i].tr);
	free(u->v);
	memset(u, 0, sizeof *u);
}

static int
same_point(const struct track_point *a, const struct track_point *b)
{
	return a->t == b->t && a->lon == b->lon && a->lat == b->lat &&
	    a->has_ele == b->has_ele && (!a->has_ele || a->ele == b->ele);
}

static json_int_t
attr_int(const json_t *rec, const char *key)
{
	return json_integer_value(json_object_get(json_object_get(rec,
	    "attributes"), key));
}

/* Add the points of one piece to u: continuing its segment when the
** piece begins with the last point held. */
static int
join_piece(struct patrol_upload *u, const struct track_point *p, size_t m,
    int first)
{
	size_t i = 0;
	int rc;

	if (!first && u->tr.n > 0 && m > 0 &&
	    same_point(&u->tr.pts[u->tr.n - 1], &p[0]))
		i = 1;
	else if ((rc = track_segment(&u->tr)) != 0)
		return rc;
	for (; i < m; i++)
		if ((rc = track_add(&u->tr, &p[i])) != 0)
			return rc;
	return DIB_OK;
}

int
patrol_uploads_read(struct node *n, const struct patrol_view *v,
    const struct patrol_row *rows, size_t count,
    struct patrol_uploads *out, struct dib_diag *d)
{
	struct rpiece *pv = NULL;
	size_t np = 0, i, j;
	int rc = DIB_OK;

	memset(out, 0, sizeof *out);
	if ((pv = calloc(count + 1, sizeof *pv)) == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	for (i = 0; i < count; i++) {
		const struct patrol_row *r = &rows[i];
		struct rpiece *p = &pv[np];
		const char *on, *an;

		if (r->state != STORE_CURRENT ||
		    strcmp(r->cat, PATROL_CAT_TRACK) != 0 ||
		    (p->rec = patrol_row_json(n, r)) == NULL)
			continue;
		on = patrol_origin_nation(p->rec);
		an = patrol_attr_str(p->rec, "nation");
		p->track_id = patrol_attr_str(p->rec, "track_id");
		p->text = patrol_attr_str(p->rec, "points");
		p->id = json_string_value(json_object_get(p->rec, "id"));
		p->seq = attr_int(p->rec, "seq");
		p->nation = on;
		/* Only a participating nation's own tracks count. */
		if (strlen(on) != 2 || !util_audience_has(v->nations, on) ||
		    an == NULL || strcmp(an, on) != 0 || p->track_id == NULL ||
		    p->text == NULL || p->id == NULL) {
			json_decref(p->rec);
			p->rec = NULL;
			continue;
		}
		np++;
	}
	qsort(pv, np, sizeof *pv, by_piece);
	for (i = 0; i < np && rc == 0; i = j) {
		struct patrol_upload *u, *nu;

		for (j = i; j < np && strcmp(pv[j].nation, pv[i].nation) == 0 &&
		    strcmp(pv[j].track_id, pv[i].track_id) == 0; j++)
			;
		if ((nu = realloc(out->v, (out->n + 1) * sizeof *nu)) == NULL) {
			rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
			break;
		}
		out->v = nu;
		u = &out->v[out->n++];
		memset(u, 0, sizeof *u);
		track_init(&u->tr, 0);
		snprintf(u->nation, sizeof u->nation, "%s", pv[i].nation);
		snprintf(u->track_id, sizeof u->track_id, "%s", pv[i].track_id);
		snprintf(u->source, sizeof u->source, "%s",
		    patrol_attr_str(pv[i].rec, "source") ?
		    patrol_attr_str(pv[i].rec, "source") : "");
		util_time_parse(json_string_value(json_object_get(pv[i].rec,
		    "observed_at")), &u->observed, "observed_at", NULL);
		u->out_of_order = attr_int(pv[i].rec, "out_of_order");
		u->duplicates = attr_int(pv[i].rec, "duplicates");
		u->spikes = attr_int(pv[i].rec, "spikes");
		u->gaps = attr_int(pv[i].rec, "gaps");
		u->no_time = attr_int(pv[i].rec, "no_time");
		for (size_t k = i; k < j && rc == 0; k++) {
			struct track_point *pts = NULL;
			size_t m = 0;

			if (track_decode(pv[k].text, strlen(pv[k].text), &pts, &m,
			    0, NULL) != 0) {
				out->invalid++;
				continue;
			}
			/* A piece after a missing one starts a segment. */
			rc = join_piece(u, pts, m, k == i || pv[k].seq !=
			    pv[k - 1].seq + 1);
			if (rc != 0)
				rc = dib_fail(d, rc, "", "out of memory");
			u->pieces++;
			free(pts);
		}
		if (rc == 0 && u->tr.n == 0) {
			/* Every piece was invalid: no upload. */
			track_free(&u->tr);
			out->n--;
		}
	}
	for (i = 0; i < np; i++)
		json_decref(pv[i].rec);
	free(pv);
	if (rc != 0)
		patrol_uploads_free(out);
	return rc;
}

/* ---- out: GeoJSON and GPX ---- */

/* The uploads of patrol, and its view. */
static int
read_all(struct node *n, const uint8_t patrol[16], struct patrol_view *v,
    struct patrol_uploads *u, struct dib_diag *d)
{
	struct patrol_rows rs;
	int rc;

	memset(u, 0, sizeof *u);
	if ((rc = patrol_rows_load(n, patrol, &rs, d)) != 0)
		return rc;
	if ((rc = patrol_view_load(n, patrol, rs.v, rs.n, v, d)) == 0 &&
	    (rc = patrol_uploads_read(n, v, rs.v, rs.n, u, d)) != 0)
		patrol_view_free(v);
	patrol_rows_free(&rs);
	return rc;
}

/* Upload i is its nation's how many-th (from 1)? */
static size_t
nth_of_nation(const struct patrol_uploads *u, size_t i)
{
	size_t k, nth = 1;

	for (k = 0; k < i; k++)
		nth += strcmp(u->v[k].nation, u->v[i].nation) == 0;
	return nth;
}

/* tr simplified at tol_m, segment by segment, into out. */
static int
simplified(const struct track *tr, double tol_m, struct track *out)
{
	size_t *keep = NULL, k, i, nk;
	int rc = DIB_OK;

	track_init(out, 0);
	if (tr->n > 0 && (keep = malloc(tr->n * sizeof *keep)) == NULL)
		return DIB_ENOMEM;
	for (k = 0; k < tr->nseg && rc == 0; k++) {
		size_t m;
		const struct track_point *p = track_seg_points(tr, k, &m);

		if (m == 0)
			continue;
		if ((rc = track_simplify(p, m, tol_m, keep, &nk)) != 0 ||
		    (rc = track_segment(out)) != 0)
			break;
		for (i = 0; i < nk && rc == 0; i++)
			rc = track_add(out, &p[keep[i]]);
	}
	free(keep);
	return rc;
}

int
patrol_tracks_geojson(struct node *n, const uint8_t patrol[16], int zoom,
    json_t **out, struct dib_diag *d)
{
	struct patrol_view v;
	struct patrol_uploads u;
	struct track_rules rules;
	enum track_mode mode = TRACK_MIXED;
	json_t *fc = NULL, *feats;
	struct buf b;
	size_t i;
	int rc;

	*out = NULL;
	if ((rc = read_all(n, patrol, &v, &u, d)) != 0)
		return rc;
	if (track_mode_parse(patrol_type_of(&v), &mode, NULL) != 0)
		mode = TRACK_MIXED;
	track_rules_default(&rules, mode);
	buf_init(&b, (size_t)1 << 30);
	feats = json_array();
	for (i = 0; feats != NULL && i < u.n && rc == 0; i++) {
		struct patrol_upload *up = &u.v[i];
		struct track_stats st;
		struct track shown;
		json_t *f = NULL, *pr;
		char name[80];

		track_stats(&up->tr, &rules, &st);
		if (zoom >= 0)
			rc = simplified(&up->tr, track_zoom_tolerance(zoom),
			    &shown);
		snprintf(name, sizeof name, "%s %s %zu", patrol_attr_str(v.plan,
		    "code") ? patrol_attr_str(v.plan, "code") : "", up->nation,
		    nth_of_nation(&u, i));
		buf_reset(&b);
		if (rc == 0)
			rc = track_geojson_write(&b, zoom >= 0 ? &shown :
			    &up->tr, name, &st);
		if (rc == 0)
			rc = util_json_parse(b.p, b.len, "track", &f, d);
		if (zoom >= 0)
			track_free(&shown);
		if (rc != 0) {
			rc = dib_fail(d, rc, "track", "%s: cannot write the "
			    "track %s", dib_strerror(rc), up->track_id);
			break;
		}
		pr = json_object_get(f, "properties");
		json_object_set_new(f, "id", json_string(up->track_id));
		json_object_set(pr, "vertices", json_object_get(pr, "points"));
		json_object_set_new(pr, "points", json_integer((json_int_t)
		    up->tr.n));
		json_object_set_new(pr, "track_id", json_string(up->track_id));
		json_object_set_new(pr, "nation", json_string(up->nation));
		json_object_set_new(pr, "source", json_string(up->source));
		json_object_set_new(pr, "pieces", json_integer((json_int_t)
		    up->pieces));
		json_object_set_new(pr, "segments", json_integer((json_int_t)
		    st.segments));
		json_array_append_new(feats, f);
	}
	buf_free(&b);
	if (rc == 0) {
		fc = json_pack("{s:s, s:o}", "type", "FeatureCollection",
		    "features", feats);
		feats = NULL;
		if (fc != NULL && zoom >= 0) {
			json_object_set_new(fc, "zoom", json_integer(zoom < 5 ? 5 :
			    zoom > 18 ? 18 : zoom));
			json_object_set_new(fc, "tolerance_m", json_real(
			    round(track_zoom_tolerance(zoom) * 100) / 100));
		}
		if (fc == NULL)
			rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
	}
	json_decref(feats);
	patrol_uploads_free(&u);
	patrol_view_free(&v);
	*out = fc;
	return rc;
}

/* text[0..len) from the first occurrence of from to the end of to. */
static int
splice(struct buf *out, const struct buf *text, const char *from,
    const char *to, int to_end)
{
	const char *a, *z;

	if (buf_addc((struct buf *)text, '\0') != 0)
		return DIB_ETOOBIG;
	a = strstr(text->p, from);
	z = a ? strstr(a, to) : NULL;
	((struct buf *)text)->len--;
	if (a == NULL || z == NULL)
		return DIB_EINVAL;
	if (to_end)
		z += strlen(to);
	return buf_add(out, to_end ? a : text->p, (size_t)(z - (to_end ? a :
	    text->p))) ? DIB_ETOOBIG : DIB_OK;
}

int
patrol_tracks_gpx(struct node *n, const uint8_t patrol[16], struct buf *out,
    int64_t now_ms, struct dib_diag *d)
{
	struct patrol_view v;
	struct patrol_uploads u;
	struct track empty;
	struct buf one;
	const char *code;
	size_t i;
	int rc;

	if ((rc = read_all(n, patrol, &v, &u, d)) != 0)
		return rc;
	code = patrol_attr_str(v.plan, "code") ? patrol_attr_str(v.plan,
	    "code") : "";
	buf_init(&one, (size_t)1 << 31);
	track_init(&empty, 0);
	/* The header and metadata as the library writes them, then one trk
	 * of each upload as it writes it. */
	if ((rc = track_gpx_write(&one, &empty, code, now_ms)) == 0)
		rc = splice(out, &one, "<?xml", " <trk>\n", 0);
	for (i = 0; i < u.n && rc == 0; i++) {
		char name[80];

		snprintf(name, sizeof name, "%s %s %zu", code, u.v[i].nation,
		    nth_of_nation(&u, i));
		buf_reset(&one);
		if ((rc = track_gpx_write(&one, &u.v[i].tr, name, now_ms)) == 0)
			rc = splice(out, &one, " <trk>\n", " </trk>\n", 1);
	}
	if (rc == 0 && buf_adds(out, "</gpx>\n") != 0)
		rc = DIB_ETOOBIG;
	if (rc != 0)
		rc = dib_fail(d, rc, "tracks", rc == DIB_ETOOBIG ? "the GPX is "
		    "larger than %zu bytes" : "cannot write the GPX", out->max);
	buf_free(&one);
	patrol_uploads_free(&u);
	patrol_view_free(&v);
	return rc;
}
