/*
** Unit tests of store/: schema, z-order keys and ranges, queries.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/query.h"
#include "store/store.h"

static void
test_open_memory(void **state)
{
	struct store *s = NULL;
	struct dib_diag d;
	char v[16];

	(void)state;
	assert_int_equal(store_open(":memory:", 1, &s, &d), 0);
	assert_int_equal(store_meta_get(s, "schema_version", v, sizeof v), 0);
	assert_string_equal(v, "2");
	assert_int_equal(store_meta_get(s, "nope", v, sizeof v),
	    DIB_ENOTFOUND);
	assert_int_equal(store_count(s, "SELECT count(*) FROM rec"), 0);
	store_close(s);
	store_close(NULL);
}

static void
test_open_missing(void **state)
{
	struct store *s = NULL;
	struct dib_diag d;

	(void)state;
	assert_int_not_equal(store_open("/nonexistent/dir/x.db", 0, &s, &d),
	    0);
	assert_null(s);
	assert_true(strlen(d.msg) > 0);
}

/* Every point in a bbox has its key inside one of the bbox's ranges. */
static void
test_zranges_cover(void **state)
{
	int64_t r[64][2];
	unsigned seed = 7;
	int trial, k;

	(void)state;
	for (trial = 0; trial < 300; trial++) {
		double w = -18 + (rand_r(&seed) % 10000) / 10000.0 * 20;
		double s = 8 + (rand_r(&seed) % 10000) / 10000.0 * 12;
		double size = (rand_r(&seed) % 10000) / 10000.0 *
		    (trial % 3 == 0 ? 5 : 0.3);
		double e = w + size, n = s + size / 2;
		size_t nr = store_zranges(w, s, e, n, r, 64), i;

		assert_true(nr >= 1);
		for (i = 1; i < nr; i++)
			assert_true(r[i][0] > r[i - 1][1]);
		for (k = 0; k < 200; k++) {
			double lon = w + (rand_r(&seed) % 10001) / 10000.0 *
			    (e - w);
			double lat = s + (rand_r(&seed) % 10001) / 10000.0 *
			    (n - s);
			int64_t z = store_zkey(lon, lat);
			int hit = 0;

			for (i = 0; i < nr && !hit; i++)
				hit = z >= r[i][0] && z <= r[i][1];
			assert_true(hit);
		}
	}
}

static void
test_zkey_order(void **state)
{
	(void)state;
	/* Nearby points share a long prefix; far ones do not. */
	int64_t a = store_zkey(-12.2170, 14.4670);
	int64_t b = store_zkey(-12.2171, 14.4671);
	int64_t c = store_zkey(-3.0, 16.7);

	assert_true(llabs(a - b) < llabs(a - c));
	assert_true(store_zkey(-180, -90) == 0);
	assert_true(store_zkey(180, 90) == (int64_t)((1ULL << 62) - 1));
}

/* A key's cell centre is within 2 cm of the point. */
static void
test_zpoint(void **state)
{
	unsigned seed = 3;
	int i;

	(void)state;
	for (i = 0; i < 10000; i++) {
		double lon = -180 + (rand_r(&seed) % 3600000) / 10000.0;
		double lat = -90 + (rand_r(&seed) % 1800000) / 10000.0;
		double lo, la;

		store_zpoint(store_zkey(lon, lat), &lo, &la);
		assert_true(fabs(lo - lon) < 2e-7 && fabs(la - lat) < 1e-7);
	}
}

static void
test_category_under(void **state)
{
	(void)state;
	assert_true(store_category_under("security.armed_attack", "security"));
	assert_true(store_category_under("security", "security"));
	assert_false(store_category_under("securityx.a", "security"));
	assert_false(store_category_under("corridor.x", "security"));
	assert_true(store_category_under("anything", NULL));
	assert_true(store_category_under("anything", ""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_memory),
		cmocka_unit_test(test_open_missing),
		cmocka_unit_test(test_zranges_cover),
		cmocka_unit_test(test_zkey_order),
		cmocka_unit_test(test_zpoint),
		cmocka_unit_test(test_category_under),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
