/*
** Unit tests of store/: schema, z-order keys and ranges, queries.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	assert_string_equal(v, "3");
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

static const uint8_t zero_id[16];

/* What the committed callback was given, in order. */
static int64_t got[16];
static size_t ngot;
static int calls;

static void
on_committed(void *arg, struct store_item *v, size_t n)
{
	size_t i;

	(void)arg;
	calls++;
	for (i = 0; i < n && ngot < 16; i++)
		got[ngot++] = v[i].k;
	store_items_free(v, n);
}

static void
run(struct store *s, const char *sql)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(s->db));
}

/*
** The projector's entries reach the committed callback once their
** transaction commits: not what a savepoint or the whole transaction
** rolled back.
*/
static void
test_pending_commits(void **state)
{
	char dir[] = "/tmp/diboli-store-XXXXXX", path[64], side[80];
	struct store *s = NULL;
	struct dib_diag d;
	char *text, *none = NULL;
	size_t mark;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/x.db", dir);
	assert_int_equal(store_open(path, 1, &s, &d), 0);
	/* Not collecting: nothing kept, the words stay the caller's. */
	assert_non_null(text = strdup("x"));
	assert_int_equal(store_pend_add(s, 99, zero_id, &text), 0);
	assert_non_null(text);
	free(text);
	assert_int_equal(store_pend_mark(s), 0);
	store_collect(s, on_committed, NULL);
	run(s, "BEGIN");
	/* Collecting: the words are taken. */
	assert_non_null(text = strdup("pirogue"));
	assert_int_equal(store_pend_add(s, 1, zero_id, &text), 0);
	assert_null(text);
	mark = store_pend_mark(s);
	run(s, "SAVEPOINT a");
	assert_int_equal(store_pend_add(s, 2, zero_id, &none), 0);
	run(s, "ROLLBACK TO a; RELEASE a");
	store_pend_unwind(s, mark);
	assert_int_equal(store_pend_add(s, 3, zero_id, &none), 0);
	run(s, "INSERT INTO meta VALUES('a', '1'); COMMIT");
	assert_int_equal(calls, 1);
	assert_int_equal(ngot, 2);
	assert_true(got[0] == 1 && got[1] == 3);
	/* A rolled back transaction gives nothing, nor does it leak into
	 * the next. */
	run(s, "BEGIN");
	assert_non_null(text = strdup("camion"));
	assert_int_equal(store_pend_add(s, 4, zero_id, &text), 0);
	run(s, "INSERT INTO meta VALUES('b', '1'); ROLLBACK");
	run(s, "BEGIN");
	assert_int_equal(store_pend_add(s, 5, zero_id, &none), 0);
	run(s, "INSERT INTO meta VALUES('c', '1'); COMMIT");
	assert_int_equal(calls, 2);
	assert_int_equal(ngot, 3);
	assert_true(got[2] == 5);
	/* Autocommit: the outer savepoint's release is the commit. */
	run(s, "SAVEPOINT w");
	assert_int_equal(store_pend_add(s, 6, zero_id, &none), 0);
	run(s, "INSERT INTO meta VALUES('d', '1'); RELEASE w");
	assert_int_equal(ngot, 4);
	assert_true(got[3] == 6);
	store_close(s);
	unlink(path);
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
	assert_int_equal(rmdir(dir), 0);
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
		cmocka_unit_test(test_pending_commits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
