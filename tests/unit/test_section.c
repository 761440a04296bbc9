/*
** Unit tests of src/patrol/section: the current level of each side from
** records in any order, raises (notices) against lowerings and repeats,
** the checks of a write, the incidents counted within a section's buffer
** (inside, just outside, too old, retracted, superseded, not an
** incident), and two certified nodes (SN, ML) exchanging sync payloads in
** memory that derive the same board.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <jansson.h>

#include "support/fix.h"
#include "geo/reference.h"
#include "log/record.h"
#include "node/node.h"
#include "patrol/section.h"
#include "store/store.h"
#include "util/util.h"

#define DAY_MS 86400000LL
#define AT "2025-06-01T00:00:00Z"

/* ---- the derivation, pure ---- */

static struct section_mark
mark(const char *section, const char *nation, int level, int64_t t,
    uint8_t last)
{
	struct section_mark m;

	memset(&m, 0, sizeof m);
	snprintf(m.section, sizeof m.section, "%s", section);
	snprintf(m.nation, sizeof m.nation, "%s", nation);
	m.level = level;
	m.t = t;
	m.id[0] = 0x01;
	m.id[15] = last;
	return m;
}

static int
level_now(const struct section_mark *m, size_t n, const char *section,
    const char *nation, int64_t until)
{
	long k = section_current(m, n, section, nation, until);

	return k < 0 ? -1 : m[k].level;
}

/* Every order of m[0..n) gives the same level for each side. */
static void
all_orders(const struct section_mark *in, size_t n, const char *section,
    const char *nation, int want)
{
	struct section_mark a[7];
	size_t c[7] = {0}, i = 1;

	assert_true(n <= 7);
	memcpy(a, in, n * sizeof *a);
	assert_int_equal(level_now(a, n, section, nation, INT64_MAX), want);
	/* Heap's algorithm, iterative. */
	while (i < n) {
		if (c[i] < i) {
			struct section_mark t;
			size_t j = i % 2 == 0 ? 0 : c[i];

			t = a[j];
			a[j] = a[i];
			a[i] = t;
			if (level_now(a, n, section, nation, INT64_MAX) != want)
				fail_msg("order-dependent level: want %d, got %d",
				    want, level_now(a, n, section, nation,
				    INT64_MAX));
			c[i]++;
			i = 1;
		} else {
			c[i] = 0;
			i++;
		}
	}
}

static void
test_names(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < SECTION_LEVEL_COUNT; i++)
		assert_int_equal(section_level_parse(section_level_name(i)), i);
	assert_int_equal(section_level_parse("severe"), -1);
	assert_int_equal(section_level_parse(NULL), -1);
	assert_null(section_level_name(SECTION_LEVEL_COUNT));
	assert_string_equal(section_level_label(SECTION_HIGH, "fr"), "élevé");
	assert_string_equal(section_level_label(SECTION_HIGH, "en"), "high");
	assert_string_equal(section_level_label(SECTION_LOW, NULL), "faible");
	assert_true(section_category_reserved("section.status"));
	assert_true(section_category_reserved("section.notice"));
	assert_false(section_category_reserved("sections.x"));
	assert_false(section_category_reserved("security.armed_attack"));
}

static void
test_current_any_order(void **state)
{
	struct section_mark m[7];

	(void)state;
	m[0] = mark("SEC-02", "SN", SECTION_LOW, 1000, 1);
	m[1] = mark("SEC-02", "SN", SECTION_HIGH, 3000, 2);
	m[2] = mark("SEC-02", "SN", SECTION_MEDIUM, 2000, 3);
	m[3] = mark("SEC-02", "ML", SECTION_CRITICAL, 5000, 4);
	m[4] = mark("SEC-03", "SN", SECTION_CRITICAL, 9000, 5);
	/* Same time: the larger id wins, whatever the arrival order. */
	m[5] = mark("SEC-02", "ML", SECTION_LOW, 5000, 9);
	m[6] = mark("SEC-02", "ML", SECTION_MEDIUM, 4000, 6);
	all_orders(m, 7, "SEC-02", "SN", SECTION_HIGH);
	all_orders(m, 7, "SEC-02", "ML", SECTION_LOW);
	all_orders(m, 7, "SEC-03", "SN", SECTION_CRITICAL);
	all_orders(m, 7, "SEC-03", "ML", -1);
	all_orders(m, 7, "SEC-04", "SN", -1);
	/* As of a time: the latest at or before it. */
	assert_int_equal(level_now(m, 7, "SEC-02", "SN", 2500), SECTION_MEDIUM);
	assert_int_equal(level_now(m, 7, "SEC-02", "SN", 2000), SECTION_MEDIUM);
	assert_int_equal(level_now(m, 7, "SEC-02", "SN", 999), -1);
	/* The level before each, on its own side only. */
	assert_int_equal(section_previous(m, 7, 0), -1);
	assert_int_equal(section_previous(m, 7, 2), SECTION_LOW);
	assert_int_equal(section_previous(m, 7, 1), SECTION_MEDIUM);
	assert_int_equal(section_previous(m, 7, 6), -1);
	assert_int_equal(section_previous(m, 7, 3), SECTION_MEDIUM);
	assert_int_equal(section_previous(m, 7, 5), SECTION_CRITICAL);
	assert_int_equal(section_previous(m, 7, 4), -1);
	assert_true(section_mark_after(&m[5], &m[3]));
	assert_false(section_mark_after(&m[3], &m[5]));
}

static void
test_notifies(void **state)
{
	(void)state;
	/* A raise to medium or more notifies; none counts as lower. */
	assert_true(section_notifies(-1, SECTION_MEDIUM));
	assert_true(section_notifies(-1, SECTION_CRITICAL));
	assert_true(section_notifies(SECTION_LOW, SECTION_MEDIUM));
	assert_true(section_notifies(SECTION_MEDIUM, SECTION_HIGH));
	assert_true(section_notifies(SECTION_HIGH, SECTION_CRITICAL));
	/* Low, the same level again, or a lowering: no notice. */
	assert_false(section_notifies(-1, SECTION_LOW));
	assert_false(section_notifies(SECTION_LOW, SECTION_LOW));
	assert_false(section_notifies(SECTION_HIGH, SECTION_HIGH));
	assert_false(section_notifies(SECTION_CRITICAL, SECTION_HIGH));
	assert_false(section_notifies(SECTION_HIGH, SECTION_MEDIUM));
	assert_false(section_notifies(SECTION_LOW, SECTION_LEVEL_COUNT));
}

static int
setup(void **state)
{
	return fix_setup(state, "test_section");
}

/* ---- on nodes ---- */


static int64_t
ms(const char *t)
{
	int64_t v = 0;

	if (util_time_parse(t, &v, "t", NULL) != 0)
		fail_msg("bad time %s", t);
	return v;
}

/* Set a level; o may be NULL. The result in *res. */
static int
set(struct node *n, const char *section, const char *level,
    const char *reason, const char *audience, const struct section_opts *o,
    struct section_result *res, struct dib_diag *d)
{
	json_t *in = json_object();
	int rc;

	if (level)
		json_object_set_new(in, "level", json_string(level));
	if (reason)
		json_object_set_new(in, "reason", json_string(reason));
	if (audience)
		json_object_set_new(in, "audience", json_string(audience));
	rc = section_set(n, section, in, o, res, d);
	json_decref(in);
	return rc;
}

static void
set_ok(struct node *n, const char *section, const char *level,
    const char *audience, const struct section_opts *o,
    struct section_result *res)
{
	struct dib_diag d;

	if (set(n, section, level, "Motif de l'essai", audience, o, res,
	    &d) != 0)
		fail_msg("set %s %s: %s: %s", section, level, d.field, d.msg);
}

static int64_t
records(struct node *n)
{
	return store_count(n->store, "SELECT count(*) FROM entries");
}

static void
set_bad(struct node *n, const char *section, const char *level,
    const char *reason, const char *audience, int code, const char *field)
{
	struct section_result res;
	struct dib_diag d;
	int64_t before = records(n);

	assert_int_equal(set(n, section, level, reason, audience, NULL, &res,
	    &d), code);
	assert_string_equal(d.field, field);
	assert_int_equal(records(n), before);
	assert_int_equal(res.nnotices, 0);
}

static void
test_set_checks(void **state)
{
	struct fix *f = *state;
	struct section_result res;
	struct dib_diag d;
	json_t *in;

	fix_nodes(f);
	set_bad(f->sn, "SEC-99", "high", "x", NULL, DIB_ENOTFOUND, "section");
	set_bad(f->sn, "", "high", "x", NULL, DIB_ENOTFOUND, "section");
	set_bad(f->sn, "SEC-02", NULL, "x", NULL, DIB_EINVAL, "level");
	set_bad(f->sn, "SEC-02", "severe", "x", NULL, DIB_EINVAL, "level");
	set_bad(f->sn, "SEC-02", "High", "x", NULL, DIB_EINVAL, "level");
	set_bad(f->sn, "SEC-02", "high", NULL, NULL, DIB_EINVAL, "reason");
	set_bad(f->sn, "SEC-02", "high", "", NULL, DIB_EINVAL, "reason");
	set_bad(f->sn, "SEC-02", "high", " \n\t", NULL, DIB_EINVAL, "reason");
	set_bad(f->sn, "SEC-02", "high", "x", "ML", DIB_EINVAL, "audience");
	set_bad(f->sn, "SEC-02", "high", "x", "SN,XX", DIB_EINVAL, "audience");
	/* France is a nation, but the model cannot address a notice to
	 * it: refused before anything is written. */
	set_bad(f->sn, "SEC-02", "high", "x", "FR,SN", DIB_EINVAL, "audience");
	in = json_pack("{s:s, s:s, s:s}", "level", "high", "reason", "x",
	    "nation", "ML");
	assert_int_equal(section_set(f->sn, "SEC-02", in, NULL, &res, &d),
	    DIB_EINVAL);
	assert_string_equal(d.field, "nation");
	json_decref(in);
	in = json_pack("{s:i, s:s}", "level", 3, "reason", "x");
	assert_int_equal(section_set(f->sn, "SEC-02", in, NULL, &res, &d),
	    DIB_EINVAL);
	assert_string_equal(d.field, "level");
	json_decref(in);
	/* A reason over the model's 2000 characters names it too. */
	{
		char *big = malloc(2102);

		memset(big, 'a', 2101);
		big[2101] = '\0';
		set_bad(f->sn, "SEC-02", "high", big, NULL, DIB_EINVAL,
		    "reason");
		free(big);
	}
	/* The generic record paths refuse the domain's categories. */
	in = json_pack("{s:s, s:s, s:{s:s, s:s, s:s}}", "category",
	    "section.status", "observed_at", AT, "attributes", "section",
	    "SEC-02", "level", "critical", "reason", "contourné");
	{
		uint8_t ids[1][16];

		assert_int_equal(node_add(f->sn, &in, 1, ids, &d), DIB_EPERM);
	}
	json_decref(in);
}

/* The attributes of notice id on n. */
static json_t *
notice_attrs(struct node *n, const uint8_t id[16])
{
	struct dib_diag d;
	json_t *rec = NULL, *a;

	if (node_get(n, id, &rec, &d) != 0)
		fail_msg("notice: %s", d.msg);
	assert_string_equal(json_string_value(json_object_get(rec,
	    "category")), SECTION_CAT_NOTICE);
	a = json_incref(json_object_get(rec, "attributes"));
	json_object_set(a, "_precedence", json_object_get(rec, "precedence"));
	json_decref(rec);
	return a;
}

static void
test_raises_notify(void **state)
{
	struct fix *f = *state;
	struct section_result r;
	char sid[37];
	json_t *a;
	const char *msg;

	fix_nodes(f);
	/* No level yet: medium is a raise, one notice to ML. */
	set_ok(f->sn, "SEC-02", "medium", NULL, NULL, &r);
	assert_int_equal(r.previous, -1);
	assert_int_equal(r.level, SECTION_MEDIUM);
	assert_string_equal(r.audience, "ML,SN");
	assert_int_equal(r.nnotices, 1);
	assert_string_equal(r.for_nation[0], "ML");
	a = notice_attrs(f->sn, r.notices[0]);
	assert_string_equal(json_string_value(json_object_get(a,
	    "for_nation")), "ML");
	assert_string_equal(json_string_value(json_object_get(a, "level")),
	    "medium");
	assert_string_equal(json_string_value(json_object_get(a, "section")),
	    "SEC-02");
	assert_string_equal(json_string_value(json_object_get(a,
	    "status_id")), util_uuid_format(r.id, sid));
	assert_string_equal(json_string_value(json_object_get(a,
	    "_precedence")), "IMMEDIATE");
	msg = json_string_value(json_object_get(a, "message"));
	assert_non_null(strstr(msg, "Le Sénégal a relevé"));
	assert_non_null(strstr(msg, "Senegal raised"));
	assert_non_null(strstr(msg, "Kidira–Diboli"));
	assert_non_null(strstr(msg, "Motif de l'essai"));
	json_decref(a);
	/* Higher: a notice; the same again: none; lower: none. */
	set_ok(f->sn, "SEC-02", "high", NULL, NULL, &r);
	assert_int_equal(r.previous, SECTION_MEDIUM);
	assert_int_equal(r.nnotices, 1);
	set_ok(f->sn, "SEC-02", "high", NULL, NULL, &r);
	assert_int_equal(r.previous, SECTION_HIGH);
	assert_int_equal(r.nnotices, 0);
	set_ok(f->sn, "SEC-02", "low", NULL, NULL, &r);
	assert_int_equal(r.previous, SECTION_HIGH);
	assert_int_equal(r.nnotices, 0);
	/* From low to medium again: a raise. */
	set_ok(f->sn, "SEC-02", "medium", NULL, NULL, &r);
	assert_int_equal(r.previous, SECTION_LOW);
	assert_int_equal(r.nnotices, 1);
	/* Critical goes FLASH, to each partner of a wider audience. */
	set_ok(f->sn, "SEC-02", "critical", "ML,MR,SN", NULL, &r);
	assert_int_equal(r.nnotices, 2);
	assert_string_equal(r.for_nation[0], "ML");
	assert_string_equal(r.for_nation[1], "MR");
	a = notice_attrs(f->sn, r.notices[1]);
	assert_string_equal(json_string_value(json_object_get(a,
	    "_precedence")), "FLASH");
	json_decref(a);
	/* Low to medium but national only: no partner to notify. */
	set_ok(f->sn, "SEC-05", "medium", "SN", NULL, &r);
	assert_int_equal(r.nnotices, 0);
	/* Another section has its own history: low is no raise. */
	set_ok(f->sn, "SEC-03", "low", NULL, NULL, &r);
	assert_int_equal(r.previous, -1);
	assert_int_equal(r.nnotices, 0);
	/* Everything above: 8 levels and 5 notices. */
	assert_int_equal(store_count(f->sn->store, "SELECT count(*) FROM "
	    "rec WHERE category = 'section.status'"), 8);
	assert_int_equal(store_count(f->sn->store, "SELECT count(*) FROM "
	    "rec WHERE category = 'section.notice'"), 5);
}

/* The levels object of section id on n's board. */
static json_t *
levels(struct node *n, const char *id, const struct section_query *q)
{
	struct dib_diag d;
	json_t *b = NULL, *l = NULL;
	size_t i;

	if (section_board(n, q, &b, &d) != 0)
		fail_msg("board: %s", d.msg);
	for (i = 0; i < json_array_size(json_object_get(b, "sections")); i++) {
		json_t *s = json_array_get(json_object_get(b, "sections"), i);

		if (strcmp(json_string_value(json_object_get(s, "id")), id) == 0)
			l = json_incref(json_object_get(s, "levels"));
	}
	json_decref(b);
	assert_non_null(l);
	return l;
}

static const char *
side_level(const json_t *levels, const char *nation)
{
	return json_string_value(json_object_get(json_object_get(levels,
	    nation), "level"));
}

static void
test_out_of_order_and_sync(void **state)
{
	struct fix *f = *state;
	struct section_result r;
	struct section_opts o;
	struct section_query q;
	struct dib_diag d;
	struct record rec;
	uint8_t id[16];
	json_t *l, *in, *a, *b, *notes;
	char *ja, *jb;

	fix_nodes(f);
	/* Written out of order (a late report): the latest observed wins. */
	memset(&o, 0, sizeof o);
	o.at = ms("2025-03-03T00:00:00Z");
	set_ok(f->sn, "SEC-02", "high", NULL, &o, &r);
	assert_int_equal(r.previous, -1);
	assert_int_equal(r.nnotices, 1);
	o.at = ms("2025-03-01T00:00:00Z");
	set_ok(f->sn, "SEC-02", "low", NULL, &o, &r);
	assert_int_equal(r.previous, -1);
	o.at = ms("2025-03-02T00:00:00Z");
	set_ok(f->sn, "SEC-02", "medium", NULL, &o, &r);
	/* Its own place in the history: after low, so a raise. */
	assert_int_equal(r.previous, SECTION_LOW);
	assert_int_equal(r.nnotices, 1);
	memset(&q, 0, sizeof q);
	l = levels(f->sn, "SEC-02", &q);
	assert_string_equal(side_level(l, "SN"), "high");
	assert_true(json_is_null(json_object_get(l, "ML")));
	json_decref(l);
	/* As of a time between: the level then. */
	q.has_at = 1;
	q.at = ms("2025-03-02T12:00:00Z");
	l = levels(f->sn, "SEC-02", &q);
	assert_string_equal(side_level(l, "SN"), "medium");
	json_decref(l);
	q.at = ms("2025-02-01T00:00:00Z");
	l = levels(f->sn, "SEC-02", &q);
	assert_true(json_is_null(json_object_get(l, "SN")));
	json_decref(l);
	memset(&q, 0, sizeof q);

	/* ML knows nothing until sync; then SN's side is SN's. */
	l = levels(f->ml, "SEC-02", &q);
	assert_true(json_is_null(json_object_get(l, "SN")));
	json_decref(l);
	fix_send(f->sn, f->ml);
	l = levels(f->ml, "SEC-02", &q);
	assert_string_equal(side_level(l, "SN"), "high");
	json_decref(l);
	/* ML's commanders see SN's two raise notices; SN's see none. */
	assert_int_equal(section_notifications(f->ml, &notes, &d), 0);
	assert_int_equal(json_array_size(json_object_get(notes,
	    "notifications")), 2);
	a = json_array_get(json_object_get(notes, "notifications"), 0);
	assert_string_equal(json_string_value(json_object_get(a, "level")),
	    "high");
	assert_string_equal(json_string_value(json_object_get(a, "nation")),
	    "SN");
	assert_string_equal(json_string_value(json_object_get(a, "name_fr")),
	    "Kidira–Diboli");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    a, "current"), "level")), "high");
	json_decref(notes);
	assert_int_equal(section_notifications(f->sn, &notes, &d), 0);
	assert_int_equal(json_array_size(json_object_get(notes,
	    "notifications")), 0);
	json_decref(notes);

	/* ML sets its side on its node: it is ML's, whatever it says. A
	 * record written around the domain still counts for its signer. */
	o.at = ms("2025-04-01T00:00:00Z");
	set_ok(f->ml, "SEC-02", "critical", NULL, &o, &r);
	assert_int_equal(r.nnotices, 1);
	assert_string_equal(r.for_nation[0], "SN");
	in = json_pack("{s:s, s:s, s:{s:s, s:s, s:s}, s:s}", "category",
	    "section.status", "observed_at", "2025-05-01T00:00:00Z",
	    "attributes", "section", "SEC-02", "level", "low", "reason",
	    "Écrit hors du domaine", "audience", "ML,SN");
	util_uuid7(util_now_ms(), id);
	assert_int_equal(record_from_json(f->ml->model, in, "ML,SN", id, &rec,
	    &d), 0);
	assert_int_equal(node_append(f->ml, &rec, 1, &d), 0);
	record_clear(&rec);
	json_decref(in);
	fix_send(f->ml, f->sn);
	l = levels(f->sn, "SEC-02", &q);
	assert_string_equal(side_level(l, "SN"), "high");
	assert_string_equal(side_level(l, "ML"), "low");
	json_decref(l);
	q.has_at = 1;
	q.at = ms("2025-04-15T00:00:00Z");
	l = levels(f->sn, "SEC-02", &q);
	assert_string_equal(side_level(l, "ML"), "critical");
	json_decref(l);
	/* Both nodes hold the same records: the same board, the same
	 * history, to the byte. */
	fix_send(f->sn, f->ml);
	assert_int_equal(section_board(f->sn, &q, &a, &d), 0);
	assert_int_equal(section_board(f->ml, &q, &b, &d), 0);
	ja = json_dumps(a, JSON_SORT_KEYS | JSON_COMPACT);
	jb = json_dumps(b, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(ja, jb);
	free(ja);
	free(jb);
	json_decref(a);
	json_decref(b);
	assert_int_equal(section_get(f->sn, "SEC-02", &q, &a, &d), 0);
	assert_int_equal(section_get(f->ml, "SEC-02", &q, &b, &d), 0);
	ja = json_dumps(a, JSON_SORT_KEYS | JSON_COMPACT);
	jb = json_dumps(b, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(ja, jb);
	free(ja);
	free(jb);
	/* The history: newest first, both sides, with the level before. */
	l = json_object_get(a, "history");
	assert_int_equal(json_array_size(l), 5);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    l, 0), "nation")), "ML");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    l, 0), "previous")), "critical");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    l, 2), "level")), "high");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    l, 3), "previous")), "low");
	assert_int_equal(json_array_size(json_object_get(json_array_get(l, 3),
	    "notices")), 1);
	assert_true(json_is_null(json_object_get(json_array_get(l, 4),
	    "previous")));
	json_decref(a);
	json_decref(b);
	assert_int_equal(section_get(f->sn, "SEC-99", &q, &a, &d),
	    DIB_ENOTFOUND);
	assert_string_equal(d.field, "section");
	assert_null(a);
}

/* ---- incidents near a section ---- */

/*
** A point due east of the middle vertex of section k whose distance to
** the nearest section is dist metres (by bisection).
*/
static void
point_at(const struct ref_sections *s, size_t k, double dist, double *lon,
    double *lat)
{
	const struct ref_section *sec = &s->v[k];
	double lon0 = sec->lonlat[2 * (sec->npts / 2)];
	double lat0 = sec->lonlat[2 * (sec->npts / 2) + 1];
	double lo = 0, hi = 0.5;
	size_t idx;
	int i;

	for (i = 0; i < 80; i++) {
		double mid = (lo + hi) / 2;

		if (ref_sections_distance_m(s, lon0 + mid, lat0, &idx) < dist)
			lo = mid;
		else
			hi = mid;
	}
	*lon = lon0 + (lo + hi) / 2;
	*lat = lat0;
	assert_true(fabs(ref_sections_distance_m(s, *lon, *lat, &idx) - dist) <
	    0.01);
	assert_int_equal(idx, k);
}

/* Add a record of cat at (lon, lat), observed at t; its id in id. */
static void
add_at(struct node *n, const char *cat, double lon, double lat, int64_t t,
    uint8_t id[16])
{
	struct dib_diag d;
	char ts[40];
	json_t *in;
	uint8_t ids[1][16];

	in = json_pack("{s:s, s:s, s:{s:s, s:[f,f]}, s:o, s:s}", "category",
	    cat, "observed_at", util_time_format(t, ts, sizeof ts), "geometry",
	    "type", "Point", "coordinates", lon, lat, "attributes",
	    strcmp(cat, "security.armed_attack") == 0 ? json_pack("{s:s}",
	    "target_type", "customs") : strcmp(cat, "corridor.checkpoint_stop")
	    == 0 ? json_pack("{s:s}", "agency", "police") : json_object(),
	    "audience", "ML,SN");
	if (node_add(n, &in, 1, ids, &d) != 0)
		fail_msg("add %s: %s: %s", cat, d.field, d.msg);
	memcpy(id, ids[0], 16);
	json_decref(in);
}

/* The incidents object of section id. */
static json_t *
incidents_of(struct node *n, const char *id, double buf)
{
	struct section_query q;
	struct dib_diag d;
	json_t *s = NULL, *inc;

	memset(&q, 0, sizeof q);
	q.has_at = 1;
	q.at = ms(AT);
	if (buf >= 0) {
		q.has_buffer = 1;
		q.buffer_m = buf;
	}
	if (section_get(n, id, &q, &s, &d) != 0)
		fail_msg("get: %s", d.msg);
	inc = json_incref(json_object_get(s, "incidents"));
	json_decref(s);
	return inc;
}

static void
test_incidents(void **state)
{
	struct fix *f = *state;
	struct ref_sections *s = NULL;
	struct dib_diag d;
	uint8_t id[16], gone[16], newest[16], old[16], nid[16];
	double lon, lat, olon, olat;
	int64_t at = ms(AT);
	json_t *inc, *in, *a, *b;
	char txt[37], *ja, *jb;
	long k;

	fix_nodes(f);
	assert_int_equal(ref_sections_load(f->sn->dir, &s, &d), 0);
	for (k = 0; k < (long)s->n && strcmp(s->v[k].id, "SEC-02"); k++)
		;
	assert_true(k < (long)s->n);
	/* Inside: 1 km and 4.9 km from the line, in the window. */
	point_at(s, (size_t)k, 1000, &lon, &lat);
	add_at(f->sn, "security.smuggling.fuel", lon, lat, at - DAY_MS, id);
	point_at(s, (size_t)k, 4900, &lon, &lat);
	add_at(f->sn, "security.suspicious_activity", lon, lat, at -
	    2 * DAY_MS, id);
	/* The newest: an attack three hours before. */
	point_at(s, (size_t)k, 300, &lon, &lat);
	add_at(f->sn, "security.armed_attack", lon, lat, at - 3 * 3600000LL,
	    newest);
	/* Just outside: 5.1 km. */
	point_at(s, (size_t)k, 5100, &olon, &olat);
	add_at(f->sn, "security.smuggling.fuel", olon, olat, at - DAY_MS, id);
	/* Inside but too old (31 days), or after the time asked. */
	point_at(s, (size_t)k, 1000, &lon, &lat);
	add_at(f->sn, "security.smuggling.fuel", lon, lat, at - 31 * DAY_MS,
	    id);
	add_at(f->sn, "security.smuggling.fuel", lon, lat, at + DAY_MS, id);
	/* Inside, then retracted. */
	add_at(f->sn, "security.smuggling.fuel", lon, lat, at - 5 * DAY_MS,
	    gone);
	assert_int_equal(node_retract(f->sn, gone, "Doublon", id, &d), 0);
	/* Inside, then superseded by a version still inside: one. */
	add_at(f->sn, "security.smuggling.fuel", lon, lat, at - 6 * DAY_MS,
	    old);
	in = json_pack("{s:s, s:s, s:{s:s, s:[f,f]}, s:{s:b}, s:s}",
	    "category", "security.smuggling.fuel", "observed_at",
	    "2025-05-25T00:00:00Z", "geometry", "type", "Point", "coordinates",
	    lon, lat, "attributes", "seized", 1, "audience", "ML,SN");
	assert_int_equal(node_supersede(f->sn, old, in, nid, &d), 0);
	json_decref(in);
	/* Inside but not an incident: a checkpoint stop on the corridor. */
	add_at(f->sn, "corridor.checkpoint_stop", lon, lat, at - DAY_MS, id);

	inc = incidents_of(f->sn, "SEC-02", -1);
	assert_int_equal(json_integer_value(json_object_get(inc, "count")), 4);
	a = json_array_get(json_object_get(inc, "latest"), 0);
	assert_string_equal(json_string_value(json_object_get(a, "id")),
	    util_uuid_format(newest, txt));
	assert_string_equal(json_string_value(json_object_get(a,
	    "category")), "security.armed_attack");
	assert_string_equal(json_string_value(json_object_get(a,
	    "precedence")), "FLASH");
	assert_string_equal(json_string_value(json_object_get(a, "nation")),
	    "SN");
	assert_int_equal(json_array_size(json_object_get(inc, "latest")), 4);
	json_decref(inc);
	/* A wider buffer takes the 5.1 km one; a narrower drops 4.9 km. */
	inc = incidents_of(f->sn, "SEC-02", 5200);
	assert_int_equal(json_integer_value(json_object_get(inc, "count")), 5);
	json_decref(inc);
	inc = incidents_of(f->sn, "SEC-02", 4800);
	assert_int_equal(json_integer_value(json_object_get(inc, "count")), 3);
	json_decref(inc);
	/* The other sections far from there count nothing. */
	inc = incidents_of(f->sn, "SEC-09", -1);
	assert_int_equal(json_integer_value(json_object_get(inc, "count")), 0);
	json_decref(inc);
	/* The same records on ML's node: the same counts. */
	fix_send(f->sn, f->ml);
	{
		struct section_query q;

		memset(&q, 0, sizeof q);
		q.has_at = 1;
		q.at = at;
		assert_int_equal(section_board(f->sn, &q, &a, &d), 0);
		assert_int_equal(section_board(f->ml, &q, &b, &d), 0);
	}
	ja = json_dumps(a, JSON_SORT_KEYS | JSON_COMPACT);
	jb = json_dumps(b, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(ja, jb);
	free(ja);
	free(jb);
	json_decref(a);
	json_decref(b);
	ref_sections_free(s);
}

static void
test_bad_query(void **state)
{
	struct fix *f = *state;
	struct section_query q;
	struct dib_diag d;
	json_t *b = NULL;

	fix_nodes(f);
	memset(&q, 0, sizeof q);
	q.has_buffer = 1;
	q.buffer_m = -1;
	assert_int_equal(section_board(f->sn, &q, &b, &d), DIB_EINVAL);
	assert_string_equal(d.field, "buffer_m");
	q.buffer_m = SECTION_BUFFER_MAX + 1;
	assert_int_equal(section_board(f->sn, &q, &b, &d), DIB_EINVAL);
	q.buffer_m = NAN;
	assert_int_equal(section_board(f->sn, &q, &b, &d), DIB_EINVAL);
	assert_null(b);
	/* An empty node: 13 sections, no level, no incident. */
	memset(&q, 0, sizeof q);
	assert_int_equal(section_board(f->sn, &q, &b, &d), 0);
	assert_int_equal(json_array_size(json_object_get(b, "sections")), 13);
	assert_int_equal(json_integer_value(json_object_get(b, "buffer_m")),
	    5000);
	assert_true(json_is_null(json_object_get(json_object_get(
	    json_array_get(json_object_get(b, "sections"), 0), "levels"),
	    "ML")));
	json_decref(b);
	/* A node's own sections file that does not validate is the node's
	 * fault (500), not the request's, and is never replaced. */
	{
		char path[4200];
		FILE *fp;
		struct section_result r;

		snprintf(path, sizeof path, "%s/reference", f->sn->dir);
		assert_int_equal(mkdir(path, 0700), 0);
		snprintf(path, sizeof path, "%s/reference/sections.geojson",
		    f->sn->dir);
		assert_non_null(fp = fopen(path, "w"));
		fputs("{\"type\": \"FeatureCollection\", \"features\": []}",
		    fp);
		fclose(fp);
		assert_int_equal(section_board(f->sn, &q, &b, &d), DIB_EIO);
		assert_non_null(strstr(d.msg, "sections.geojson"));
		assert_int_equal(set(f->sn, "SEC-02", "high", "x", NULL, NULL,
		    &r, &d), DIB_EIO);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_current_any_order),
		cmocka_unit_test(test_notifies),
		cmocka_unit_test_setup_teardown(test_set_checks, setup,
		    fix_teardown),
		cmocka_unit_test_setup_teardown(test_raises_notify, setup,
		    fix_teardown),
		cmocka_unit_test_setup_teardown(test_out_of_order_and_sync,
		    setup, fix_teardown),
		cmocka_unit_test_setup_teardown(test_incidents, setup,
		    fix_teardown),
		cmocka_unit_test_setup_teardown(test_bad_query, setup,
		    fix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
