/*
** Unit tests of the GPS tracks of patrols and the computed debrief
** (src/patrol/patrol_track.c, patrol_summary.c): uploads cut into pieces
** that never span a gap and join back exactly, the cleaning report in
** the first piece, who may add a track and when, GeoJSON input with
** coordTimes, the encoded points kept out of full-text search, the
** summary identical on two nodes after sync with the fixtures' geodesic
** lengths, sections near a patrol, and the GPX and GeoJSON exports.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "support/fix.h"
#include "log/record.h"
#include "model/model.h"
#include "node/node.h"
#include "patrol/patrol.h"
#include "store/store.h"
#include "track/track.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/util.h"

/* 2025-02-20T08:00:00Z */
#define T0 1740038400000LL

/* Lengths of the fixtures by GeographicLib's GeodSolve (test_track.c
** says how). */
#define KIDIRA_M 2299.880547
#define FALEME_M 2786.787396

static const char *
fixture(const char *name)
{
	static char path[4096];
	const char *src = getenv("DIBOLI_SRC");

	if (src != NULL && *src != '\0') {
		snprintf(path, sizeof path, "%s/tests/fixtures/gpx/%s", src,
		    name);
	} else {
		const char *f = __FILE__, *slash = strrchr(f, '/');
		int dir = slash ? (int)(slash - f) : 1;

		snprintf(path, sizeof path, "%.*s/../fixtures/gpx/%s", dir,
		    slash ? f : ".", name);
	}
	return path;
}

static int
setup(void **state)
{
	return fix_setup(state, "test_patrol_track");
}

/* ---- fixture: two certified nodes ---- */


/* A joint patrol along the Falémé south of Kidira. */
static json_t *
plan(const char *code, const char *type)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:[s,s], s:{s:s, "
	    "s:[[f,f],[f,f],[f,f]]}}", "code", code, "patrol_type", type,
	    "objective", "Reconnaissance le long de la Falémé", "window_start",
	    "2025-02-20T06:00:00Z", "window_end", "2025-02-21T18:00:00Z",
	    "nations", "SN", "ML", "geometry", "type", "LineString",
	    "coordinates", -12.2135, 14.4635, -12.20, 14.43, -12.10, 14.30);
}

static void
act_ok(struct node *n, const uint8_t id[16], int verb)
{
	struct dib_diag d;
	uint8_t rid[16];

	if (patrol_act(n, id, verb, NULL, NULL, rid, &d) != 0)
		fail_msg("%s on %s: %s: %s", patrol_verb_name(verb), n->nation,
		    d.field, d.msg);
}

/* SN plans, both approve, SN starts: the patrol is underway on both. */
static void
underway(struct fix *f, const char *type, uint8_t id[16])
{
	struct dib_diag d;
	json_t *in = plan("JP-301", type);

	f->sn = fix_node(f, "sn", "SN");
	f->ml = fix_node(f, "ml", "ML");
	if (patrol_create(f->sn, in, NULL, id, &d) != 0)
		fail_msg("create: %s", d.msg);
	json_decref(in);
	act_ok(f->sn, id, PATROL_PROPOSE);
	act_ok(f->sn, id, PATROL_APPROVE);
	fix_send(f->sn, f->ml);
	act_ok(f->ml, id, PATROL_APPROVE);
	fix_send(f->ml, f->sn);
	act_ok(f->sn, id, PATROL_START);
	fix_send(f->sn, f->ml);
}

static void
gpx_track(const char *name, struct track *tr)
{
	struct track_gpx g;
	struct dib_diag d;

	if (track_gpx_parse_file(fixture(name), NULL, &g, &d) != 0)
		fail_msg("%s: %s", name, d.msg);
	*tr = g.trk;
	memset(&g.trk, 0, sizeof g.trk);
	track_gpx_free(&g);
}

static void
add_ok(struct node *n, const uint8_t id[16], struct track *tr, int source,
    struct patrol_track_batch *b)
{
	struct patrol_track_in in;
	struct dib_diag d;

	memset(&in, 0, sizeof in);
	in.source = source;
	if (patrol_add_track(n, id, tr, &in, b, &d) != 0)
		fail_msg("track on %s: %s: %s", n->nation, d.field, d.msg);
}

static int64_t
entries(struct node *n)
{
	return store_count(n->store, "SELECT count(*) FROM entries");
}

/* A straight synthetic walk: n points every 10 s from (lon, lat),
** heading south-east at speed m/s; a gap of gap_s after point at. */
static void
walk(struct track *tr, size_t n, double lon, double lat, double speed,
    size_t at, double gap_s)
{
	size_t i;
	int64_t t = T0;

	track_init(tr, 0);
	for (i = 0; i < n; i++) {
		struct track_point p;

		memset(&p, 0, sizeof p);
		p.lon = lon + (double)i * speed * 10 / 107000 * 0.7;
		p.lat = lat - (double)i * speed * 10 / 110600 * 0.7;
		p.ele = 30 + (double)(i % 7) * 0.3;
		p.has_ele = 1;
		p.t = t;
		assert_int_equal(track_add(tr, &p), 0);
		t += 10000;
		if (i + 1 == at)
			t += (int64_t)(gap_s * 1000);
	}
}

/* ---- tests ---- */

static void
test_search_option(void **state)
{
	static const char bad1[] = "{\"format\": \"diboli-model/1\", "
	    "\"version\": \"t\", \"languages\": [\"fr\"], \"categories\": "
	    "[{\"id\": \"a\", \"label\": {\"fr\": \"A\"}, \"attributes\": "
	    "[{\"key\": \"n\", \"type\": \"integer\", \"label\": {\"fr\": "
	    "\"N\"}, \"search\": false}]}]}";
	static const char bad2[] = "{\"format\": \"diboli-model/1\", "
	    "\"version\": \"t\", \"languages\": [\"fr\"], \"categories\": "
	    "[{\"id\": \"a\", \"label\": {\"fr\": \"A\"}, \"attributes\": "
	    "[{\"key\": \"t\", \"type\": \"text\", \"label\": {\"fr\": "
	    "\"T\"}, \"search\": \"non\"}]}]}";
	struct model *m = NULL, *m2 = NULL;
	const struct model_category *c;
	struct dib_diag d;
	struct record r, back;
	uint8_t id[16];
	json_t *in, *j;
	char *text;

	(void)state;
	assert_int_equal(model_load(bad1, strlen(bad1), &m, &d), DIB_EINVAL);
	assert_non_null(strstr(d.field, "search"));
	assert_int_equal(model_load(bad2, strlen(bad2), &m, &d), DIB_EINVAL);
	assert_non_null(strstr(d.field, "search"));
	assert_int_equal(model_load_default(&m, &d), 0);
	c = model_find(m, PATROL_CAT_TRACK);
	assert_non_null(c);
	assert_false(model_attr_searchable(c, "points"));
	assert_false(model_attr_searchable(c, "track_id"));
	assert_false(model_attr_searchable(c, "point_count"));
	assert_true(model_attr_searchable(model_find(m, PATROL_CAT_DEBRIEF),
	    "text"));
	/* The option survives the model's JSON and loads again. */
	j = model_to_json(m, NULL);
	text = json_dumps(j, 0);
	assert_non_null(strstr(text, "\"search\": false"));
	assert_int_equal(model_load(text, strlen(text), &m2, &d), 0);
	assert_false(model_attr_searchable(model_find(m2, PATROL_CAT_TRACK),
	    "points"));
	free(text);
	json_decref(j);
	model_free(m2);
	/* A track piece gives no words to full-text search, written here or
	 * received from another node. */
	in = json_pack("{s:s, s:s, s:{s:s, s:[[f,f],[f,f]]}, s:{s:s, s:i, "
	    "s:s, s:i, s:i, s:s, s:s}, s:s}", "category", PATROL_CAT_TRACK,
	    "observed_at", "2025-02-20T08:00:00Z", "geometry", "type",
	    "LineString", "coordinates", -12.2, 14.4, -12.1, 14.3,
	    "attributes", "points", "FQKfqsF04PT7iQGAhLf7DPQD0A_PDwIG",
	    "point_count", 2, "track_id",
	    "01951e6c-0000-7000-8000-000000000001", "seq", 1, "pieces", 1,
	    "nation", "SN", "source", "gpx", "audience", "SN");
	util_uuid7(T0, id);
	assert_int_equal(record_from_json(m, in, "SN", id, &r, &d), 0);
	assert_null(r.text);
	assert_int_equal(record_parse_body(r.body, r.body_len, &back, &d), 0);
	assert_null(back.text);
	record_clear(&back);
	record_clear(&r);
	json_decref(in);
	model_free(m);
}

static void
test_geojson_in(void **state)
{
	struct track tr;
	struct dib_diag d;
	json_t *j;

	(void)state;
	/* A Feature with togeojson's coordTimes; a null time is none. */
	j = json_loads("{\"type\": \"Feature\", \"properties\": {"
	    "\"coordTimes\": [\"2025-02-20T08:00:00Z\", null, "
	    "\"2025-02-20T08:00:20.500Z\"]}, \"geometry\": {\"type\": "
	    "\"LineString\", \"coordinates\": [[-12.2, 14.4, 25], [-12.2001, "
	    "14.4001], [-12.2002, 14.4002, 26.5]]}}", 0, NULL);
	assert_int_equal(patrol_track_from_geojson(j, &tr, 0, &d), 0);
	assert_int_equal(tr.n, 3);
	assert_int_equal(tr.nseg, 1);
	assert_int_equal(tr.pts[0].t, T0);
	assert_int_equal(tr.pts[1].t, 0);
	assert_int_equal(tr.pts[2].t, T0 + 20500);
	assert_true(tr.pts[0].has_ele && !tr.pts[1].has_ele);
	track_free(&tr);
	json_decref(j);
	/* A FeatureCollection: lines are segments, waypoints skipped. */
	j = json_loads("{\"type\": \"FeatureCollection\", \"features\": ["
	    "{\"type\": \"Feature\", \"properties\": {}, \"geometry\": "
	    "{\"type\": \"Point\", \"coordinates\": [-12.2, 14.4]}}, "
	    "{\"type\": \"Feature\", \"properties\": {\"coordTimes\": "
	    "[[\"2025-02-20T08:00:00Z\", \"2025-02-20T08:00:10Z\"], "
	    "[\"2025-02-20T09:00:00Z\", \"2025-02-20T09:00:10Z\"]]}, "
	    "\"geometry\": {\"type\": \"MultiLineString\", \"coordinates\": "
	    "[[[-12.2, 14.4], [-12.2001, 14.4001]], [[-12.3, 14.5], [-12.3001, "
	    "14.5001]]]}}]}", 0, NULL);
	assert_int_equal(patrol_track_from_geojson(j, &tr, 0, &d), 0);
	assert_int_equal(tr.n, 4);
	assert_int_equal(tr.nseg, 2);
	assert_int_equal(tr.pts[2].t, T0 + 3600000);
	track_free(&tr);
	json_decref(j);
	/* Errors name the member. */
	j = json_loads("{\"type\": \"Feature\", \"properties\": {"
	    "\"coordTimes\": [\"hier\", \"2025-02-20T08:00:00Z\"]}, "
	    "\"geometry\": {\"type\": \"LineString\", \"coordinates\": "
	    "[[-12.2, 14.4], [-12.2, 14.5]]}}", 0, NULL);
	assert_int_equal(patrol_track_from_geojson(j, &tr, 0, &d), DIB_EINVAL);
	assert_string_equal(d.field, "properties.coordTimes[0]");
	assert_int_equal(tr.n, 0);
	track_free(&tr);
	json_decref(j);
	j = json_loads("{\"type\": \"LineString\", \"coordinates\": "
	    "[[-12.2, 14.4], [14.4, -192.2]]}", 0, NULL);
	assert_int_equal(patrol_track_from_geojson(j, &tr, 0, &d), DIB_EINVAL);
	assert_string_equal(d.field, "coordinates[1]");
	track_free(&tr);
	json_decref(j);
	j = json_loads("{\"type\": \"Feature\", \"properties\": {"
	    "\"coordTimes\": [\"2025-02-20T08:00:00Z\"]}, \"geometry\": "
	    "{\"type\": \"LineString\", \"coordinates\": [[-12.2, 14.4], "
	    "[-12.2, 14.5]]}}", 0, NULL);
	assert_int_equal(patrol_track_from_geojson(j, &tr, 0, &d), DIB_EINVAL);
	assert_string_equal(d.field, "properties.coordTimes");
	track_free(&tr);
	json_decref(j);
	j = json_loads("{\"type\": \"Polygon\", \"coordinates\": []}", 0,
	    NULL);
	assert_int_equal(patrol_track_from_geojson(j, &tr, 0, &d), DIB_EINVAL);
	track_free(&tr);
	json_decref(j);
	j = json_loads("{\"type\": \"FeatureCollection\", \"features\": []}",
	    0, NULL);
	assert_int_equal(patrol_track_from_geojson(j, &tr, 0, &d), DIB_EINVAL);
	track_free(&tr);
	json_decref(j);
	/* Too many points. */
	j = json_loads("{\"type\": \"LineString\", \"coordinates\": "
	    "[[-12.2, 14.4], [-12.2, 14.5], [-12.2, 14.6]]}", 0, NULL);
	assert_int_equal(patrol_track_from_geojson(j, &tr, 2, &d),
	    DIB_ETOOBIG);
	track_free(&tr);
	json_decref(j);
}

static void
test_who_and_when(void **state)
{
	struct fix *f = *state;
	struct patrol_track_batch b;
	struct patrol_track_in in;
	struct dib_diag d;
	struct track tr;
	uint8_t id[16];
	json_t *p;
	int64_t before;

	f->sn = fix_node(f, "sn", "SN");
	p = plan("JP-302", "foot");
	assert_int_equal(patrol_create(f->sn, p, NULL, id, &d), 0);
	json_decref(p);
	memset(&in, 0, sizeof in);
	/* Not underway yet: 409 naming the status; nothing written. */
	before = entries(f->sn);
	gpx_track("kidira_foot_1_1.gpx", &tr);
	assert_int_equal(patrol_add_track(f->sn, id, &tr, &in, &b, &d),
	    DIB_ECONFLICT);
	assert_string_equal(d.field, "status");
	assert_non_null(strstr(d.msg, "draft"));
	patrol_track_batch_free(&b);
	track_free(&tr);
	assert_int_equal(entries(f->sn), before);
	/* An unknown patrol. */
	gpx_track("kidira_foot_1_1.gpx", &tr);
	id[15] ^= 1;
	assert_int_equal(patrol_add_track(f->sn, id, &tr, &in, &b, &d),
	    DIB_ENOTFOUND);
	id[15] ^= 1;
	track_free(&tr);
	/* A national patrol of ML: SN takes no part (403). */
	f->ml = fix_node(f, "ml", "ML");
	p = plan("JP-303", "foot");
	json_object_set_new(p, "nations", json_pack("[s]", "ML"));
	json_object_set_new(p, "audience", json_string("ML,SN"));
	{
		uint8_t mid[16];

		assert_int_equal(patrol_create(f->ml, p, NULL, mid, &d), 0);
		act_ok(f->ml, mid, PATROL_PROPOSE);
		act_ok(f->ml, mid, PATROL_APPROVE);
		act_ok(f->ml, mid, PATROL_START);
		fix_send(f->ml, f->sn);
		gpx_track("kidira_foot_1_1.gpx", &tr);
		assert_int_equal(patrol_add_track(f->sn, mid, &tr, &in, &b, &d),
		    DIB_EPERM);
		assert_string_equal(d.field, "nation");
		track_free(&tr);
	}
	json_decref(p);
	/* Bad points: out of range, nothing written. */
	act_ok(f->sn, id, PATROL_PROPOSE);
	act_ok(f->sn, id, PATROL_APPROVE);
	fix_send(f->sn, f->ml);
	act_ok(f->ml, id, PATROL_APPROVE);
	fix_send(f->ml, f->sn);
	act_ok(f->sn, id, PATROL_START);
	before = entries(f->sn);
	walk(&tr, 10, -12.2, 14.4, 1.3, 0, 0);
	tr.pts[4].lat = 94.5;
	assert_int_equal(patrol_add_track(f->sn, id, &tr, &in, &b, &d),
	    DIB_EINVAL);
	assert_string_equal(d.field, "points[4].lat");
	track_free(&tr);
	track_init(&tr, 0);
	assert_int_equal(patrol_add_track(f->sn, id, &tr, &in, &b, &d),
	    DIB_EINVAL);
	track_free(&tr);
	assert_int_equal(entries(f->sn), before);
	/* Completed and aborted patrols take tracks; the plan's audience. */
	act_ok(f->sn, id, PATROL_COMPLETE);
	gpx_track("kidira_foot_1_1.gpx", &tr);
	add_ok(f->sn, id, &tr, PATROL_SOURCE_GPX, &b);
	/* Its two trkseg make two pieces: a piece never spans a break. */
	assert_int_equal(b.n, 2);
	assert_string_equal(b.audience, "ML,SN");
	assert_int_equal(b.points, 55);
	assert_true(fabs(b.length_m - KIDIRA_M) / KIDIRA_M < 1e-3);
	patrol_track_batch_free(&b);
	track_free(&tr);
	assert_int_equal(entries(f->sn), before + 3);
}

static void
test_pieces(void **state)
{
	struct fix *f = *state;
	struct patrol_track_batch b;
	struct dib_diag d;
	struct track tr, copy;
	uint8_t id[16];
	json_t *fc, *feat, *p, *s;
	size_t i;

	underway(f, "vehicle", id);
	/* 5,000 points, a 20-minute GPS gap after the 3,000th: segments of
	 * 3,000 and 2,000 points, so pieces of 2,000 + 1,001 (sharing a
	 * point) and 2,000. */
	walk(&tr, 5000, -12.21, 14.46, 8, 3000, 1200);
	/* A duplicate and two fixes out of order. */
	assert_int_equal(track_add(&tr, &tr.pts[tr.n - 1]), 0);
	{
		struct track_point x = tr.pts[100];

		tr.pts[100] = tr.pts[101];
		tr.pts[101] = x;
	}
	track_init(&copy, 0);
	for (i = 0; i < tr.n; i++)
		assert_int_equal(track_add(&copy, &tr.pts[i]), 0);
	add_ok(f->sn, id, &tr, PATROL_SOURCE_API, &b);
	assert_int_equal(b.n, 3);
	assert_int_equal(b.n_in, 5001);
	assert_int_equal(b.n_out, 5000);
	assert_int_equal(b.points, 5000);
	assert_int_equal(b.duplicates, 1);
	assert_int_equal(b.out_of_order, 1);
	assert_int_equal(b.time_gaps, 1);
	assert_int_equal(b.segments, 2);
	/* The report is the upload's, on the first piece only. */
	p = NULL;
	assert_int_equal(node_get(f->sn, b.recs[0].id, &p, &d), 0);
	s = json_object_get(p, "attributes");
	assert_int_equal(json_integer_value(json_object_get(s, "point_count")),
	    2000);
	assert_int_equal(json_integer_value(json_object_get(s, "duplicates")),
	    1);
	assert_int_equal(json_integer_value(json_object_get(s, "gaps")), 1);
	assert_int_equal(json_integer_value(json_object_get(s, "pieces")), 3);
	assert_string_equal(json_string_value(json_object_get(s, "source")),
	    "api");
	assert_string_equal(json_string_value(json_object_get(s, "track_id")),
	    b.track_id);
	/* The display geometry: a few vertices for a straight walk. */
	assert_true(json_array_size(json_object_get(json_object_get(p,
	    "geometry"), "coordinates")) <= PATROL_DISPLAY_MAX);
	json_decref(p);
	assert_int_equal(node_get(f->sn, b.recs[1].id, &p, &d), 0);
	s = json_object_get(p, "attributes");
	assert_int_equal(json_integer_value(json_object_get(s, "point_count")),
	    1001);
	assert_null(json_object_get(s, "duplicates"));
	assert_int_equal(json_integer_value(json_object_get(s, "seq")), 2);
	json_decref(p);
	patrol_track_batch_free(&b);
	track_free(&tr);
	/* Read back: the same points, the same two segments. */
	assert_int_equal(patrol_tracks_geojson(f->sn, id, -1, &fc, &d), 0);
	assert_int_equal(json_array_size(json_object_get(fc, "features")), 1);
	feat = json_array_get(json_object_get(fc, "features"), 0);
	p = json_object_get(feat, "properties");
	assert_int_equal(json_integer_value(json_object_get(p, "points")),
	    5000);
	assert_int_equal(json_integer_value(json_object_get(p, "segments")),
	    2);
	assert_int_equal(json_integer_value(json_object_get(p, "pieces")), 3);
	assert_string_equal(json_string_value(json_object_get(p, "nation")),
	    "SN");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    feat, "geometry"), "type")), "MultiLineString");
	json_decref(fc);
	/* At a zoom level: far fewer vertices, the same properties. */
	assert_int_equal(patrol_tracks_geojson(f->sn, id, 12, &fc, &d), 0);
	feat = json_array_get(json_object_get(fc, "features"), 0);
	p = json_object_get(feat, "properties");
	assert_int_equal(json_integer_value(json_object_get(p, "points")),
	    5000);
	assert_true(json_integer_value(json_object_get(p, "vertices")) < 50);
	assert_true(json_number_value(json_object_get(fc, "tolerance_m")) >
	    38);
	json_decref(fc);
	track_free(&copy);
}

/* The summary of id on n as compact JSON with sorted keys. */
static char *
summary_text(struct node *n, const uint8_t id[16], json_t **out)
{
	struct dib_diag d;
	json_t *j = NULL;
	char *t;

	if (patrol_summary(n, id, NULL, &j, &d) != 0)
		fail_msg("summary on %s: %s: %s", n->nation, d.field, d.msg);
	t = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	if (out)
		*out = j;
	else
		json_decref(j);
	return t;
}

static void
test_summary_two_nodes(void **state)
{
	struct fix *f = *state;
	struct patrol_track_batch b;
	struct dib_diag d;
	struct track tr;
	struct record r;
	uint8_t id[16], rid[16];
	json_t *s, *x, *in, *lst;
	char *a, *bb, pid[37];
	double want;

	underway(f, "foot", id);
	/* SN's leg from its GPX 1.1, ML's from its GPX 1.0 (pirogue). */
	gpx_track("kidira_foot_1_1.gpx", &tr);
	add_ok(f->sn, id, &tr, PATROL_SOURCE_GPX, &b);
	patrol_track_batch_free(&b);
	track_free(&tr);
	fix_send(f->sn, f->ml);
	gpx_track("faleme_pirogue_1_0.gpx", &tr);
	add_ok(f->ml, id, &tr, PATROL_SOURCE_GPX, &b);
	patrol_track_batch_free(&b);
	track_free(&tr);
	/* An observation on each side, debriefs, complete. */
	in = json_pack("{s:s, s:s, s:{s:s, s:[f,f]}, s:{s:i, s:s}, s:s, s:s}",
	    "category", "environment.dredge_sighting", "observed_at",
	    "2025-02-20T09:00:00Z", "geometry", "type", "Point",
	    "coordinates", -12.205, 14.45, "attributes", "dredges", 3, "bank",
	    "river", "audience", "ML,SN", "patrol", util_uuid_format(id, pid));
	assert_int_equal(record_from_json(f->ml->model, in, "ML", NULL, &r,
	    &d), 0);
	assert_int_equal(node_append(f->ml, &r, 1, &d), 0);
	record_clear(&r);
	assert_int_equal(record_from_json(f->sn->model, in, "SN", NULL, &r,
	    &d), 0);
	assert_int_equal(node_append(f->sn, &r, 1, &d), 0);
	record_clear(&r);
	json_decref(in);
	in = json_pack("{s:s}", "text", "Relève au gué, RAS.");
	assert_int_equal(patrol_add_debrief(f->ml, id, in, NULL, rid, &d), 0);
	json_decref(in);
	fix_send(f->ml, f->sn);
	act_ok(f->sn, id, PATROL_COMPLETE);
	in = json_pack("{s:s}", "text", "Itinéraire parcouru ; dragues vues.");
	assert_int_equal(patrol_add_debrief(f->sn, id, in, NULL, rid, &d), 0);
	json_decref(in);
	fix_send(f->sn, f->ml);

	/* The same document on both nodes. */
	a = summary_text(f->sn, id, &s);
	bb = summary_text(f->ml, id, NULL);
	assert_string_equal(a, bb);
	free(a);
	free(bb);
	assert_string_equal(json_string_value(json_object_get(s, "status")),
	    "completed");
	/* The stored tracks measure the fixtures' geodesic lengths. */
	want = KIDIRA_M + FALEME_M;
	printf("summary distance %.3f m, GeodSolve %.3f m\n",
	    json_number_value(json_object_get(s, "distance_m")), want);
	assert_true(fabs(json_number_value(json_object_get(s, "distance_m")) -
	    want) / want < 1e-3);
	x = json_object_get(json_object_get(s, "nations"), "SN");
	assert_true(fabs(json_number_value(json_object_get(x, "distance_m")) -
	    KIDIRA_M) / KIDIRA_M < 1e-3);
	assert_int_equal(json_integer_value(json_object_get(x, "points")), 55);
	assert_int_equal(json_integer_value(json_object_get(x, "tracks")), 1);
	/* Moving throughout but the 10 minutes between its segments. */
	assert_true(fabs(json_number_value(json_object_get(x, "moving_s")) -
	    53 * 30) < 1);
	assert_true(fabs(json_number_value(json_object_get(x, "total_s")) -
	    (29 * 30 + 600 + 24 * 30)) < 1);
	x = json_object_get(json_object_get(s, "nations"), "ML");
	assert_true(fabs(json_number_value(json_object_get(x, "distance_m")) -
	    FALEME_M) / FALEME_M < 1e-3);
	assert_int_equal(json_integer_value(json_object_get(s, "points")),
	    55 + 60);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(s,
	    "cleaning"), "no_time")), 1);
	/* Near Kidira: SEC-02, Kidira–Diboli. */
	x = json_object_get(s, "sections");
	assert_true(json_array_size(x) >= 1);
	{
		size_t i;
		int seen = 0;

		for (i = 0; i < json_array_size(x); i++)
			seen |= strcmp(json_string_value(json_object_get(
			    json_array_get(x, i), "id")), "SEC-02") == 0;
		assert_true(seen);
	}
	/* The route starts on the fixture's first point. */
	x = json_object_get(s, "deviation");
	assert_string_equal(json_string_value(json_object_get(x, "plan")),
	    "route");
	assert_true(json_number_value(json_object_get(x, "max_m")) < 3000);
	x = json_object_get(s, "observations_by_category");
	assert_int_equal(json_array_size(x), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(x,
	    0), "count")), 2);
	assert_int_equal(json_integer_value(json_object_get(s,
	    "observations")), 2);
	x = json_object_get(s, "debriefs");
	assert_int_equal(json_array_size(x), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(x,
	    0), "nation")), "ML");
	json_decref(s);

	/* The calendar by section: SEC-02 yes, the Guinea tripoint no. */
	{
		struct patrol_filter flt;

		memset(&flt, 0, sizeof flt);
		snprintf(flt.section, sizeof flt.section, "SEC-02");
		assert_int_equal(patrol_list(f->ml, &flt, &lst, &d), 0);
		assert_int_equal(json_array_size(json_object_get(lst,
		    "patrols")), 1);
		json_decref(lst);
		snprintf(flt.section, sizeof flt.section, "SEC-13");
		assert_int_equal(patrol_list(f->ml, &flt, &lst, &d), 0);
		assert_int_equal(json_array_size(json_object_get(lst,
		    "patrols")), 0);
		json_decref(lst);
		snprintf(flt.section, sizeof flt.section, "SEC-99");
		assert_int_equal(patrol_list(f->ml, &flt, &lst, &d),
		    DIB_EINVAL);
		assert_string_equal(d.field, "section");
	}

	/* GPX out: one trk per upload, every point, and it reads back. */
	{
		struct track_gpx g;
		struct buf out;

		buf_init(&out, 64 << 20);
		assert_int_equal(patrol_tracks_gpx(f->ml, id, &out, T0, &d), 0);
		assert_int_equal(track_gpx_parse_mem(out.p, out.len, NULL, &g,
		    &d), 0);
		assert_int_equal(g.version, 11);
		assert_int_equal(g.ntrk, 2);
		assert_int_equal(g.trk.n, 55 + 60);
		assert_int_equal(g.trk.nseg, 3);
		track_gpx_free(&g);
		buf_free(&out);
	}
}

static void
test_area_and_buffer(void **state)
{
	struct fix *f = *state;
	struct patrol_track_batch b;
	struct patrol_summary_opts o;
	struct dib_diag d;
	struct track tr;
	uint8_t id[16];
	json_t *in, *s, *x;

	f->sn = fix_node(f, "sn", "SN");
	/* A national patrol over an area around Kidira. */
	in = plan("JP-304", "vehicle");
	json_object_set_new(in, "nations", json_pack("[s]", "SN"));
	json_object_set_new(in, "geometry", json_pack("{s:s, s:[[[f,f],[f,f],"
	    "[f,f],[f,f],[f,f]]]}", "type", "Polygon", "coordinates", -12.23,
	    14.44, -12.19, 14.44, -12.19, 14.47, -12.23, 14.47, -12.23,
	    14.44));
	assert_int_equal(patrol_create(f->sn, in, NULL, id, &d), 0);
	json_decref(in);
	act_ok(f->sn, id, PATROL_PROPOSE);
	act_ok(f->sn, id, PATROL_APPROVE);
	act_ok(f->sn, id, PATROL_START);
	gpx_track("kidira_foot_1_1.gpx", &tr);
	add_ok(f->sn, id, &tr, PATROL_SOURCE_GPX, &b);
	patrol_track_batch_free(&b);
	track_free(&tr);
	memset(&o, 0, sizeof o);
	o.buffer_m = 100;
	assert_int_equal(patrol_summary(f->sn, id, &o, &s, &d), 0);
	x = json_object_get(s, "deviation");
	assert_string_equal(json_string_value(json_object_get(x, "plan")),
	    "area");
	assert_true(json_number_value(json_object_get(x, "share_inside")) >
	    0.5);
	assert_true(json_number_value(json_object_get(s, "buffer_m")) == 100);
	json_decref(s);
	o.buffer_m = 1e9;
	assert_int_equal(patrol_summary(f->sn, id, &o, &s, &d), DIB_EINVAL);
	assert_string_equal(d.field, "buffer_m");
}

static void
test_rules_file(void **state)
{
	struct fix *f = *state;
	struct track_rules r;
	struct dib_diag d;
	char path[4300];
	FILE *fp;

	f->sn = fix_node(f, "sn", "SN");
	assert_int_equal(patrol_track_rules(f->sn->dir, "boat", &r, &d), 0);
	assert_true(r.max_speed_ms == 15);
	snprintf(path, sizeof path, "%s/" PATROL_TRACK_RULES, f->sn->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("{\"boat\": {\"max_speed_ms\": 12.5, \"gap_s\": 600}}", fp);
	fclose(fp);
	assert_int_equal(patrol_track_rules(f->sn->dir, "boat", &r, &d), 0);
	assert_true(r.max_speed_ms == 12.5 && r.gap_s == 600);
	assert_int_equal(patrol_track_rules(f->sn->dir, "foot", &r, &d), 0);
	assert_true(r.max_speed_ms == 4);
	fp = fopen(path, "w");
	fputs("{\"boat\": {\"max_speed\": 12}}", fp);
	fclose(fp);
	assert_int_equal(patrol_track_rules(f->sn->dir, "boat", &r, &d),
	    DIB_EINVAL);
	assert_non_null(strstr(d.msg, PATROL_TRACK_RULES));
	fp = fopen(path, "w");
	fputs("{\"helicopter\": {}}", fp);
	fclose(fp);
	assert_int_equal(patrol_track_rules(f->sn->dir, "boat", &r, &d),
	    DIB_EINVAL);
	fp = fopen(path, "w");
	fputs("{\"foot\": {\"gap_s\": -3}}", fp);
	fclose(fp);
	assert_int_equal(patrol_track_rules(f->sn->dir, "boat", &r, &d),
	    DIB_EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_search_option),
		cmocka_unit_test(test_geojson_in),
		cmocka_unit_test_setup_teardown(test_who_and_when, setup,
		    fix_teardown),
		cmocka_unit_test_setup_teardown(test_pieces, setup, fix_teardown),
		cmocka_unit_test_setup_teardown(test_summary_two_nodes, setup,
		    fix_teardown),
		cmocka_unit_test_setup_teardown(test_area_and_buffer, setup,
		    fix_teardown),
		cmocka_unit_test_setup_teardown(test_rules_file, setup,
		    fix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
