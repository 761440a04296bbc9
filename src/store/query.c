/*
** Bbox + time queries. Points are found through the (day, zkey) index: for
** each day of the window, one index range per z-range covering the bbox.
** Lines and polygons are found through the R*Tree. Other queries walk the
** time index.
*/
#include "store/query.h"

#include <stdlib.h>
#include <string.h>

#include "util/util.h"

#define MAX_ZRANGES 64
#define MAX_DAYS_BY_INDEX 4000  /* beyond this, one scan is cheaper */

struct hits {
	struct store_hit *v;
	size_t n, cap;
};

static int
push(struct hits *h, const void *id, int64_t k, int64_t t)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 256;
		struct store_hit *nv = realloc(h->v, cap * sizeof *nv);

		if (nv == NULL)
			return -1;
		h->v = nv;
		h->cap = cap;
	}
	memcpy(h->v[h->n].id, id, 16);
	h->v[h->n].log = STORE_ENTRY_LOG(k);
	h->v[h->n].seq = STORE_ENTRY_SEQ(k);
	h->v[h->n].t = t;
	h->n++;
	return 0;
}

int
store_category_under(const char *c, const char *p)
{
	size_t n;

	if (p == NULL || *p == '\0')
		return 1;
	n = strlen(p);
	return strncmp(c, p, n) == 0 && (c[n] == '\0' || c[n] == '.');
}

static int
newest_first(const void *a, const void *b)
{
	const struct store_hit *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? 1 : -1;
	return -memcmp(x->id, y->id, 16);
}

static int
by_zindex(struct store *s, const struct store_query *q, int64_t from,
    int64_t to, struct hits *h, struct dib_diag *d)
{
	int64_t ranges[MAX_ZRANGES][2], day;
	size_t nr, i;
	sqlite3_stmt *st;

	nr = store_zranges(q->w, q->s, q->e, q->n, ranges, MAX_ZRANGES);
	for (day = util_day_of(from); day <= util_day_of(to); day++) {
		for (i = 0; i < nr; i++) {
			if ((st = store_stmt(s, ST_ZSCAN)) == NULL)
				return store_dberr(s, d, "query");
			sqlite3_bind_int64(st, 1, day);
			sqlite3_bind_int64(st, 2, ranges[i][0]);
			sqlite3_bind_int64(st, 3, ranges[i][1]);
			while (sqlite3_step(st) == SQLITE_ROW) {
				int64_t t = sqlite3_column_int64(st, 1);
				double lon = sqlite3_column_double(st, 2);
				double lat = sqlite3_column_double(st, 3);

				if (t < from || t > to || lon < q->w ||
				    lon > q->e || lat < q->s || lat > q->n ||
				    !store_category_under((const char *)
				    sqlite3_column_text(st, 4), q->category))
					continue;
				if (push(h, sqlite3_column_blob(st, 0),
				    sqlite3_column_int64(st, 5), t) != 0)
					return dib_fail(d, DIB_ENOMEM, "",
					    "out of memory");
			}
			sqlite3_reset(st);
		}
	}
	return DIB_OK;
}

/*
** Without a bbox: walk the days of the window newest first through the
** (day, zkey) index, so that a limit stops the walk early.
*/
static int
by_day(struct store *s, const struct store_query *q, struct hits *h,
    struct dib_diag *d)
{
	int64_t lo = store_count(s, "SELECT ifnull(min(day), 1) FROM rec");
	int64_t hi = store_count(s, "SELECT ifnull(max(day), 0) FROM rec");
	int64_t day;

	if (q->has_from && util_day_of(q->from) > lo)
		lo = util_day_of(q->from);
	if (q->has_to && util_day_of(q->to) < hi)
		hi = util_day_of(q->to);
	for (day = hi; day >= lo; day--) {
		sqlite3_stmt *st = store_stmt(s, ST_DAYSCAN);

		if (st == NULL)
			return store_dberr(s, d, "query");
		sqlite3_bind_int64(st, 1, day);
		while (sqlite3_step(st) == SQLITE_ROW) {
			int64_t t = sqlite3_column_int64(st, 1);

			if ((q->has_from && t < q->from) ||
			    (q->has_to && t > q->to) ||
			    !store_category_under((const char *)
			    sqlite3_column_text(st, 4), q->category))
				continue;
			if (push(h, sqlite3_column_blob(st, 0),
			    sqlite3_column_int64(st, 5), t) != 0) {
				sqlite3_reset(st);
				return dib_fail(d, DIB_ENOMEM, "",
				    "out of memory");
			}
		}
		sqlite3_reset(st);
		if (q->limit && h->n >= q->limit)
			break;
	}
	return DIB_OK;
}

/* A query binding the window (?1, ?2) and the bbox (?3..?6). */
static int
run(struct store *s, const char *sql, const struct store_query *q,
    struct hits *h, struct dib_diag *d)
{
	sqlite3_stmt *st = NULL;
	int rc = DIB_OK;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return store_dberr(s, d, "query");
	sqlite3_bind_int64(st, 1, q->has_from ? q->from : INT64_MIN);
	sqlite3_bind_int64(st, 2, q->has_to ? q->to : INT64_MAX);
	sqlite3_bind_double(st, 3, q->w);
	sqlite3_bind_double(st, 4, q->e);
	sqlite3_bind_double(st, 5, q->s);
	sqlite3_bind_double(st, 6, q->n);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (!store_category_under((const char *)sqlite3_column_text(st,
		    3), q->category))
			continue;
		if (push(h, sqlite3_column_blob(st, 0),
		    sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2))
		    != 0) {
			rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
			break;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

int
store_query(struct store *s, const struct store_query *q,
    struct store_hit **out, size_t *count, struct dib_diag *d)
{
	struct hits h = {0};
	int rc = DIB_OK;

	*out = NULL;
	*count = 0;
	if (!q->has_bbox) {
		rc = by_day(s, q, &h, d);
		goto out;
	}
	{
		int64_t from = q->has_from ? q->from : store_count(s,
		    "SELECT min(t) FROM rec");
		int64_t to = q->has_to ? q->to : store_count(s,
		    "SELECT max(t) FROM rec");

		if (util_day_of(to) - util_day_of(from) < MAX_DAYS_BY_INDEX)
			rc = by_zindex(s, q, from, to, &h, d);
		else
			rc = run(s, "SELECT id, k, t, category FROM entries "
			    "WHERE state = 0 AND t BETWEEN ?1 AND ?2 AND zkey IS "
			    "NOT NULL AND lon BETWEEN ?3 AND ?4 AND lat BETWEEN "
			    "?5 AND ?6", q,
			    &h, d);
	}
	if (rc == 0)
		rc = run(s, "SELECT e.id, e.k, e.t, e.category FROM rec_box b "
		    "JOIN entries e ON e.k = b.k WHERE e.t BETWEEN ?1 AND ?2 "
		    "AND b.maxx >= ?3 AND b.minx <= ?4 AND b.maxy >= ?5 AND "
		    "b.miny <= ?6", q, &h, d);
out:
	if (rc != 0) {
		free(h.v);
		return rc;
	}
	if (h.n > 1)
		qsort(h.v, h.n, sizeof *h.v, newest_first);
	if (q->limit && h.n > q->limit)
		h.n = q->limit;
	*out = h.v;
	*count = h.n;
	return DIB_OK;
}
