/*
** Unit tests of log/record.c: validation and encoding of record input,
** and reading metadata back from stored bytes.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "log/record.h"
#include "util/arena.h"
#include "model/model.h"

static struct model *m;

static int
setup(void **state)
{
	struct dib_diag d;

	(void)state;
	return model_load_default(&m, &d);
}

static int
teardown(void **state)
{
	(void)state;
	model_free(m);
	return 0;
}

/* Build a record from JSON text; returns the code, fills d. */
static int
try(const char *text, struct record *r, struct dib_diag *d)
{
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);
	int rc;

	assert_non_null(j);
	rc = record_from_json(m, j, "SN", NULL, r, d);
	json_decref(j);
	return rc;
}

static void
expect_fail(const char *text, const char *field, const char *words)
{
	struct record r;
	struct dib_diag d;

	memset(&d, 0, sizeof d);
	assert_int_not_equal(try(text, &r, &d), 0);
	if (strcmp(d.field, field) != 0 || strstr(d.msg, words) == NULL)
		fail_msg("for %s: got field \"%s\" message \"%s\"", text,
		    d.field, d.msg);
	assert_null(r.body);
}

static void
test_encode_roundtrip(void **state)
{
	struct record r, back;
	struct dib_diag d;

	(void)state;
	assert_int_equal(try("{\"category\":\"security.armed_group.sighting\","
	    "\"observed_at\":\"2025-02-21T09:30:00+01:00\",\"geometry\":{"
	    "\"type\":\"Point\",\"coordinates\":[-12.2170000001,14.467]},"
	    "\"attributes\":{\"strength\":12,\"remarks\":\"près du \\\"pont\\\"\"},"
	    "\"audience\":[\"sn\",\"ML\"]}", &r, &d), 0);
	assert_string_equal(r.audience, "ML,SN");
	assert_string_equal(r.kind, "observation");
	assert_int_equal(r.prec, MODEL_IMMEDIATE);
	assert_int_equal(r.geom, RECORD_GEOM_POINT);
	assert_non_null(strstr((char *)r.body,
	    "\"observed_at\":\"2025-02-21T08:30:00Z\""));
	assert_non_null(strstr((char *)r.body, "[-12.217,14.467]"));
	assert_int_equal(record_parse_body(r.body, r.body_len, &back, &d), 0);
	assert_memory_equal(back.id, r.id, 16);
	assert_string_equal(back.category, r.category);
	assert_int_equal(back.t, r.t);
	assert_int_equal(back.prec, r.prec);
	assert_true(back.lon == r.lon && back.lat == r.lat);
	assert_string_equal(back.text, r.text);
	record_clear(&back);
	record_clear(&r);
}

/*
** The words of a new record: its searchable text values in the object's
** order, one a line, found while validating; the same as a received
** record's read from its body.
*/
static void
test_words(void **state)
{
	struct record r, back;
	struct dib_diag d;

	(void)state;
	assert_int_equal(try("{\"category\":\"cooperation.meeting\","
	    "\"observed_at\":\"2025-03-01T10:00:00Z\",\"attributes\":{"
	    "\"subject\":\"Pollution de la Falémé\",\"participants\":12,"
	    "\"meeting_type\":\"joint_commission\",\"venue\":\"Kédougou\","
	    "\"remarks\":\"Prochaine réunion à Kéniéba\"}}", &r, &d), 0);
	assert_string_equal(r.text, "Pollution de la Falémé\nKédougou\n"
	    "Prochaine réunion à Kéniéba");
	assert_int_equal(record_parse_body(r.body, r.body_len, &back, &d), 0);
	assert_string_equal(back.text, r.text);
	record_clear(&back);
	record_clear(&r);
	/* No text attribute: no words. */
	assert_int_equal(try("{\"category\":\"cooperation.meeting\","
	    "\"observed_at\":\"2025-03-01T10:00:00Z\",\"attributes\":{"
	    "\"meeting_type\":\"joint_commission\",\"participants\":3}}", &r,
	    &d), 0);
	assert_null(r.text);
	record_clear(&r);
}

static void
test_precedence_override(void **state)
{
	struct record r;
	struct dib_diag d;

	(void)state;
	assert_int_equal(try("{\"category\":\"corridor.road_condition\","
	    "\"observed_at\":\"2025-03-01T10:00:00Z\",\"location\":"
	    "\"28PFA4410522578\",\"attributes\":{\"condition\":\"impassable\"},"
	    "\"precedence\":\"flash\"}", &r, &d), 0);
	assert_int_equal(r.prec, MODEL_FLASH);
	assert_true(r.lat > 13.76 && r.lat < 13.78);
	record_clear(&r);
}

static void
test_lines_polygons(void **state)
{
	struct record r;
	struct dib_diag d;
	json_t *g = json_loads("{\"type\":\"LineString\",\"coordinates\":"
	    "[[-12.2,14.4],[-12.1,14.5]]}", 0, NULL);

	(void)state;
	assert_int_equal(record_check_geometry(g, &r, &d), 0);
	json_decref(g);
	assert_int_equal(r.geom, RECORD_GEOM_LINE);
	assert_true(r.minx == -12.2 && r.maxy == 14.5);
	expect_fail("{\"category\":\"security.suspicious_activity\","
	    "\"observed_at\":\"2025-03-01T10:00:00Z\",\"geometry\":{\"type\":"
	    "\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,1]]]}}",
	    "geometry.coordinates[0]", "first position");
}

static void
test_rejections(void **state)
{
	(void)state;
	expect_fail("{\"observed_at\":\"2025-03-01T10:00:00Z\"}", "category",
	    "required");
	expect_fail("{\"category\":\"security.nope\",\"observed_at\":"
	    "\"2025-03-01T10:00:00Z\"}", "category", "unknown category");
	expect_fail("{\"category\":\"security\",\"observed_at\":"
	    "\"2025-03-01T10:00:00Z\"}", "category", "group");
	expect_fail("{\"category\":\"security.suspicious_activity\","
	    "\"observed_at\":\"yesterday\"}", "observed_at", "RFC 3339");
	expect_fail("{\"category\":\"security.suspicious_activity\","
	    "\"observed_at\":\"2999-03-01T10:00:00Z\"}", "observed_at",
	    "out of range");
	expect_fail("{\"category\":\"security.suspicious_activity\","
	    "\"observed_at\":\"2100-03-01T10:00:00Z\",\"location\":\"14 -12\"}",
	    "observed_at", "future");
	expect_fail("{\"category\":\"security.suspicious_activity\","
	    "\"observed_at\":\"2025-03-01T10:00:00Z\",\"geometry\":{\"type\":"
	    "\"Point\",\"coordinates\":[-12.2,91]}}", "geometry.coordinates",
	    "latitude");
	expect_fail("{\"category\":\"security.suspicious_activity\","
	    "\"observed_at\":\"2025-03-01T10:00:00Z\",\"geometry\":{\"type\":"
	    "\"Point\",\"coordinates\":[-190,14]}}", "geometry.coordinates",
	    "longitude");
	expect_fail("{\"category\":\"security.suspicious_activity\","
	    "\"observed_at\":\"2025-03-01T10:00:00Z\",\"geometry\":{\"type\":"
	    "\"Circle\",\"coordinates\":[1,2]}}", "geometry.type", "Point");
	expect_fail("{\"category\":\"security.suspicious_activity\","
	    "\"observed_at\":\"2025-03-01T10:00:00Z\",\"location\":\"14 -12\","
	    "\"audience\":\"SN,XX\"}", "audience", "XX");
	expect_fail("{\"category\":\"security.suspicious_activity\","
	    "\"observed_at\":\"2025-03-01T10:00:00Z\",\"location\":\"14 -12\","
	    "\"precedence\":\"URGENT\"}", "precedence", "FLASH");
	expect_fail("{\"category\":\"security.suspicious_activity\","
	    "\"observed_at\":\"2025-03-01T10:00:00Z\",\"location\":\"14 -12\","
	    "\"colour\":\"red\"}", "colour", "unknown field");
	/* Names near the known ones (same first letter, case, prefix,
	 * longer, empty) are unknown too. */
	{
		static const char *const near[] = {"audiences", "attribute",
		    "Category", "p", "patrols", "precedenc", "supersede",
		    "geometryx", "loc", "observed", "", "zzz", "~"};
		char text[256];
		size_t i;

		for (i = 0; i < sizeof near / sizeof near[0]; i++) {
			snprintf(text, sizeof text, "{\"category\":\"security."
			    "suspicious_activity\",\"observed_at\":\"2025-03-"
			    "01T10:00:00Z\",\"%s\":1}", near[i]);
			expect_fail(text, near[i], "unknown field");
		}
	}
	expect_fail("{\"category\":\"security.suspicious_activity\","
	    "\"observed_at\":\"2025-03-01T10:00:00Z\",\"location\":\"14 -12\","
	    "\"patrol\":\"P-1\"}", "patrol", "record id");
	expect_fail("{\"category\":\"environment.water.sample\","
	    "\"observed_at\":\"2025-03-01T10:00:00Z\",\"location\":\"14 -12\","
	    "\"attributes\":{\"mercury_ugl\":\"abc\"}}",
	    "attributes.mercury_ugl", "number");
}

/* With an arena set, bodies go there (and record_clear leaves them);
 * without, each is the record's own. Same bytes either way. */
static void
test_body_arena(void **state)
{
	static const char text[] = "{\"category\":\"security."
	    "suspicious_activity\",\"observed_at\":\"2025-03-01T10:00:00Z\","
	    "\"location\":\"14 -12\",\"attributes\":{\"remarks\":\"pirogue\"}}";
	struct record own, in;
	struct dib_diag d;
	struct arena a;

	(void)state;
	arena_init(&a);
	assert_int_equal(try(text, &own, &d), 0);
	assert_false(own.body_shared);
	record_body_arena(&a);
	assert_int_equal(try(text, &in, &d), 0);
	record_body_arena(NULL);
	assert_true(in.body_shared);
	assert_true(arena_owns(&a, in.body));
	assert_int_equal(in.body[in.body_len], '\0');
	/* Same input, same bytes but for the id (a new one each time). */
	assert_int_equal(in.body_len, own.body_len);
	assert_memory_equal(in.body + 43, own.body + 43, own.body_len - 43);
	assert_string_equal(in.text, "pirogue");
	record_clear(&in);              /* leaves the body to the arena */
	assert_null(in.body);
	assert_false(in.body_shared);
	arena_free(&a);
	record_clear(&own);
	/* A failure in the arena leaves nothing either. */
	record_body_arena(&a);
	assert_int_not_equal(try("{\"observed_at\":\"2025-03-01T10:00:00Z\"}",
	    &in, &d), 0);
	record_body_arena(NULL);
	assert_null(in.body);
	arena_free(&a);
}

static void
test_retraction(void **state)
{
	struct record r, back;
	struct dib_diag d;
	uint8_t old[16] = {1, 2, 3};
	char big[1200];

	(void)state;
	assert_int_equal(record_retraction(old, "Doublon de la fiche", "ML,SN",
	    1740038400000LL, &r, &d), 0);
	assert_int_equal(record_parse_body(r.body, r.body_len, &back, &d), 0);
	assert_true(back.has_retracts);
	assert_memory_equal(back.retracts, old, 16);
	record_clear(&back);
	record_clear(&r);
	assert_int_equal(record_retraction(old, "", "SN", 0, &r, &d),
	    DIB_EINVAL);
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(record_retraction(old, big, "SN", 0, &r, &d),
	    DIB_EINVAL);
	assert_int_equal(record_retraction(old, "bad\001", "SN", 0, &r, &d),
	    DIB_EINVAL);
}

static void
test_parse_body_rejects(void **state)
{
	struct record r;
	struct dib_diag d;
	const char *bad[] = {"", "[]", "{\"id\":\"x\"}",
	    "{\"id\":\"0195224a-3c00-7d1e-8f00-0123456789ab\"}",
	    "{\"id\":\"0195224a-3c00-7d1e-8f00-0123456789ab\",\"category\":\"a\","
	    "\"observed_at\":\"2025-01-01T00:00:00Z\",\"geometry\":7}", NULL};
	int i;

	(void)state;
	for (i = 0; bad[i]; i++) {
		assert_int_not_equal(record_parse_body((const unsigned char *)
		    bad[i], strlen(bad[i]), &r, &d), 0);
		record_clear(&r);
	}
	/* An unknown category from a partner is kept. */
	const char *partner = "{\"id\":\"0195224a-3c00-7d1e-8f00-"
	    "0123456789ab\",\"category\":\"mr.future.thing\",\"observed_at\":"
	    "\"2025-01-01T00:00:00Z\"}";

	assert_int_equal(record_parse_body((const unsigned char *)partner,
	    strlen(partner), &r, &d), 0);
	assert_string_equal(r.category, "mr.future.thing");
	record_clear(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_roundtrip),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_precedence_override),
		cmocka_unit_test(test_lines_polygons),
		cmocka_unit_test(test_rejections),
		cmocka_unit_test(test_body_arena),
		cmocka_unit_test(test_retraction),
		cmocka_unit_test(test_parse_body_rejects),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
