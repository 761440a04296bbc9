/*
** Bbox + time queries. Points are found through the partial (day, zkey)
** index of current entries: for each day of the window, one index range
** per z-range covering the bbox, then an exact test on the key's cell
** (2 cm: bbox edges are inclusive to that). Lines and polygons are found
** through the R*Tree of their bboxes. A query without bbox walks the same
** index day by day, newest first. With words (q) that few entries have,
** those entries are looked up by key instead of walking anything.
*/
#include "store/query.h"

#include <stdlib.h>
#include <string.h>

#include "store/text.h"
#include "util/buf.h"
#include "util/util.h"

/* Entries with q's words are looked up one by one up to this many (an
 * export; a query: see keys_max); more, and the index is walked. A
 * variable so that tests can try both. */
size_t store_query_keys_max = 20000;

/* One entry by key, if current: the columns of scan and iter_match, and
 * its day (for the iterator's order). */
static const char key_row[] = "SELECT id, t, zkey, cat, k, day FROM "
    "entries WHERE k = ?1 AND state = 0";

#define MAX_ZRANGES 64
#define MAX_DAYS_BY_INDEX 4000  /* beyond this, one scan is cheaper */

struct hits {
	struct store_hit *v;
	size_t n, cap;
};

/*
** What a query keeps besides time and place: the category codes under a
** prefix (or all), and the entries whose text matches (or all).
*/
struct catset {
	int all;
	unsigned char *ok;      /* ok[code] */
	size_t n;
	int has_text;
	int64_t *keys;          /* entries matching the text, sorted */
	size_t nkeys;
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
catset_make(struct store *s, const char *prefix, struct catset *cs,
    struct dib_diag *d)
{
	sqlite3_stmt *st = NULL;
	int64_t max = store_count(s, "SELECT ifnull(max(code), 0) FROM "
	    "categories");

	memset(cs, 0, sizeof *cs);
	if (prefix == NULL || *prefix == '\0') {
		cs->all = 1;
		return DIB_OK;
	}
	cs->n = (size_t)(max > 0 ? max : 0) + 1;
	if ((cs->ok = calloc(cs->n, 1)) == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	if (sqlite3_prepare_v2(s->db, "SELECT code, id FROM categories", -1,
	    &st, NULL) != SQLITE_OK)
		return store_dberr(s, d, "query");
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t code = sqlite3_column_int64(st, 0);

		if (code >= 0 && (size_t)code < cs->n &&
		    store_category_under((const char *)sqlite3_column_text(st,
		    1), prefix))
			cs->ok[code] = 1;
	}
	sqlite3_finalize(st);
	return DIB_OK;
}

static int
catset_has(const struct catset *cs, int64_t code)
{
	return cs->all || (code >= 0 && (size_t)code < cs->n && cs->ok[code]);
}

static int
cmp_key(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int
text_has(const struct catset *cs, int64_t k)
{
	if (!cs->has_text)
		return 1;
	return cs->nkeys > 0 && bsearch(&k, cs->keys, cs->nkeys,
	    sizeof *cs->keys, cmp_key) != NULL;
}

/*
** Length of the UTF-8 character at p that separates words (ASCII other
** than letters and digits, Latin-1 punctuation and symbols, general
** punctuation), or 0 for a word character. The index's tokenizer
** (unicode61) splits there too, so each word of q is one index term.
*/
static size_t
separator(const unsigned char *p)
{
	unsigned cp;

	if (*p < 0x80)
		return ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= 'A' && *p <= 'Z')) ? 0 : 1;
	if ((*p & 0xe0) == 0xc0 && (p[1] & 0xc0) == 0x80) {
		cp = (unsigned)(*p & 0x1f) << 6 | (p[1] & 0x3f);
		return cp >= 0xa0 && cp <= 0xbf ? 2 : 0;
	}
	if ((*p & 0xf0) == 0xe0 && (p[1] & 0xc0) == 0x80 &&
	    (p[2] & 0xc0) == 0x80) {
		cp = (unsigned)(*p & 0x0f) << 12 | (unsigned)(p[1] & 0x3f) << 6 |
		    (p[2] & 0x3f);
		return cp >= 0x2000 && cp <= 0x206f ? 3 : 0;
	}
	return 0;
}

static int
text_make(struct store *s, const char *text, struct catset *cs,
    struct dib_diag *d)
{
	struct buf m;
	const char *p = text;
	int rc;

	if (text == NULL || *text == '\0')
		return DIB_OK;
	cs->has_text = 1;
	buf_init(&m, 4096);
	/* Every word, quoted: FTS5 syntax in q is taken literally. */
	while (*p) {
		size_t n = 0, sep;

		while (*p && (sep = separator((const unsigned char *)p)) > 0)
			p += sep;
		while (p[n] && separator((const unsigned char *)p + n) == 0)
			n++;
		if (n == 0)
			break;
		if (m.len)
			buf_addc(&m, ' ');
		buf_addc(&m, '"');
		buf_add(&m, p, n);
		buf_addc(&m, '"');
		p += n;
	}
	if (m.len == 0 || m.oom) {
		buf_free(&m);
		return m.oom ? dib_fail(d, DIB_EBADREQ, "q", "too long") :
		    DIB_OK;
	}
	rc = store_text_search(s, m.p, &cs->keys, &cs->nkeys, d);
	buf_free(&m);
	return rc;
}

static int
newest_first(const void *a, const void *b)
{
	const struct store_hit *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? 1 : -1;
	return -memcmp(x->id, y->id, 16);
}

/* Is a hit at (t, id) after the cursor in newest-first order? */
static int
after_cursor(const struct store_query *q, int64_t t, const void *id)
{
	if (!q->has_cursor)
		return 1;
	if (t != q->cursor_t)
		return t < q->cursor_t;
	return memcmp(id, q->cursor_id, 16) < 0;
}

/* Rows of ST_ZSCAN / ST_DAYSCAN: id, t, zkey, cat, k. */
static int
scan(sqlite3_stmt *st, const struct store_query *q,
    const struct catset *cs, const uint32_t *box, struct hits *h,
    struct dib_diag *d)
{
	int rc = DIB_OK;

	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t t = sqlite3_column_int64(st, 1);

		if ((q->has_from && t < q->from) || (q->has_to && t > q->to) ||
		    !catset_has(cs, sqlite3_column_int64(st, 3)) ||
		    !text_has(cs, sqlite3_column_int64(st, 4)) ||
		    !after_cursor(q, t, sqlite3_column_blob(st, 0)))
			continue;
		if (box != NULL) {
			uint32_t x, y;

			if (sqlite3_column_type(st, 2) == SQLITE_NULL)
				continue;
			store_zcell(sqlite3_column_int64(st, 2), &x, &y);
			if (x < box[0] || y < box[1] || x > box[2] ||
			    y > box[3])
				continue;
		}
		if (push(h, sqlite3_column_blob(st, 0),
		    sqlite3_column_int64(st, 4), t) != 0) {
			rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
			break;
		}
	}
	sqlite3_reset(st);
	return rc;
}

static int
by_zindex(struct store *s, const struct store_query *q,
    const struct catset *cs, int64_t from, int64_t to, struct hits *h,
    struct dib_diag *d)
{
	int64_t ranges[MAX_ZRANGES][2], day;
	uint32_t box[4];
	size_t nr, i;
	sqlite3_stmt *st;
	int rc;

	nr = store_zranges(q->w, q->s, q->e, q->n, ranges, MAX_ZRANGES);
	store_zbox(q->w, q->s, q->e, q->n, box);
	for (day = util_day_of(from); day <= util_day_of(to); day++) {
		for (i = 0; i < nr; i++) {
			if ((st = store_stmt(s, ST_ZSCAN)) == NULL)
				return store_dberr(s, d, "query");
			sqlite3_bind_int64(st, 1, day);
			sqlite3_bind_int64(st, 2, ranges[i][0]);
			sqlite3_bind_int64(st, 3, ranges[i][1]);
			if ((rc = scan(st, q, cs, box, h, d)) != 0)
				return rc;
		}
	}
	return DIB_OK;
}

/*
** Without a bbox: walk the days of the window newest first, so that a
** limit stops the walk early.
*/
static int
by_day(struct store *s, const struct store_query *q,
    const struct catset *cs, struct hits *h, struct dib_diag *d)
{
	int64_t lo = store_count(s, "SELECT ifnull(min(day), 1) FROM entries "
	    "WHERE state = 0");
	int64_t hi = store_count(s, "SELECT ifnull(max(day), 0) FROM entries "
	    "WHERE state = 0");
	int64_t day;
	int rc;

	if (q->has_from && util_day_of(q->from) > lo)
		lo = util_day_of(q->from);
	if (q->has_to && util_day_of(q->to) < hi)
		hi = util_day_of(q->to);
	if (q->has_cursor && util_day_of(q->cursor_t) < hi)
		hi = util_day_of(q->cursor_t);
	for (day = hi; day >= lo; day--) {
		sqlite3_stmt *st = store_stmt(s, ST_DAYSCAN);

		if (st == NULL)
			return store_dberr(s, d, "query");
		sqlite3_bind_int64(st, 1, day);
		if ((rc = scan(st, q, cs, NULL, h, d)) != 0)
			return rc;
		if (q->limit && h->n >= q->limit)
			break;
	}
	return DIB_OK;
}

/*
** Few entries have the words of q: look each up by its key rather than
** walk the days (a word found nowhere costs nothing, not a walk over
** every record). Points, and without a bbox everything, come from the
** lookups; lines and polygons in a bbox from the R*Tree, as below.
*/
static int
by_keys(struct store *s, const struct store_query *q,
    const struct catset *cs, struct hits *h, struct dib_diag *d)
{
	uint32_t box[4];
	size_t i;
	int rc;

	if (q->has_bbox)
		store_zbox(q->w, q->s, q->e, q->n, box);
	for (i = 0; i < cs->nkeys; i++) {
		sqlite3_stmt *st = store_stmt_sql(s, key_row);

		if (st == NULL)
			return store_dberr(s, d, "query");
		sqlite3_bind_int64(st, 1, cs->keys[i]);
		if ((rc = scan(st, q, cs, q->has_bbox ? box : NULL, h, d)) !=
		    0)
			return rc;
	}
	return DIB_OK;
}

/*
** Up to how many entries with q's words store_query looks up by key. A
** lookup costs about what walking ten entries does, and a walk stops at
** the limit: with one, it is ten times the limit, and at least 1,000
** (a few ms), up to store_query_keys_max.
*/
static size_t
keys_max(const struct store_query *q)
{
	size_t max = store_query_keys_max;

	if (q->limit > 0 && q->limit <= max / 10)
		max = q->limit * 10 < 1000 ? 1000 : q->limit * 10;
	return max < store_query_keys_max ? max : store_query_keys_max;
}

/* Lines and polygons whose bbox meets the query's. */
static int
by_box(struct store *s, const struct store_query *q,
    const struct catset *cs, struct hits *h, struct dib_diag *d)
{
	sqlite3_stmt *st = NULL;
	int rc = DIB_OK;

	if (sqlite3_prepare_v2(s->db, "SELECT e.id, e.k, e.t, e.cat FROM "
	    "rec_box b JOIN entries e ON e.k = b.k WHERE e.t BETWEEN ?1 AND "
	    "?2 AND b.maxx >= ?3 AND b.minx <= ?4 AND b.maxy >= ?5 AND "
	    "b.miny <= ?6", -1, &st, NULL) != SQLITE_OK)
		return store_dberr(s, d, "query");
	sqlite3_bind_int64(st, 1, q->has_from ? q->from : INT64_MIN);
	sqlite3_bind_int64(st, 2, q->has_to ? q->to : INT64_MAX);
	sqlite3_bind_double(st, 3, q->w);
	sqlite3_bind_double(st, 4, q->e);
	sqlite3_bind_double(st, 5, q->s);
	sqlite3_bind_double(st, 6, q->n);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (!catset_has(cs, sqlite3_column_int64(st, 3)) ||
		    !text_has(cs, sqlite3_column_int64(st, 1)) ||
		    !after_cursor(q, sqlite3_column_int64(st, 2),
		    sqlite3_column_blob(st, 0)))
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
	struct catset cs;
	int rc;

	*out = NULL;
	*count = 0;
	if ((rc = catset_make(s, q->category, &cs, d)) != 0 ||
	    (rc = text_make(s, q->text, &cs, d)) != 0)
		goto out;
	if (cs.has_text && cs.nkeys <= keys_max(q)) {
		rc = by_keys(s, q, &cs, &h, d);
		if (rc == 0 && q->has_bbox && cs.nkeys > 0)
			rc = by_box(s, q, &cs, &h, d);
		goto out;
	}
	if (!q->has_bbox) {
		rc = by_day(s, q, &cs, &h, d);
		goto out;
	}
	{
		int64_t from = q->has_from ? q->from : store_count(s,
		    "SELECT ifnull(min(t), 0) FROM entries WHERE state = 0");
		int64_t to = q->has_to ? q->to : store_count(s,
		    "SELECT ifnull(max(t), 0) FROM entries WHERE state = 0");

		if (util_day_of(to) - util_day_of(from) < MAX_DAYS_BY_INDEX) {
			rc = by_zindex(s, q, &cs, from, to, &h, d);
		} else {
			/* A window of a decade or more: every current point. */
			struct store_query all = *q;
			uint32_t box[4];
			sqlite3_stmt *st = NULL;

			store_zbox(q->w, q->s, q->e, q->n, box);
			if (sqlite3_prepare_v2(s->db, "SELECT id, t, zkey, cat, k "
			    "FROM entries WHERE state = 0 AND zkey IS NOT NULL",
			    -1, &st, NULL) != SQLITE_OK) {
				rc = store_dberr(s, d, "query");
				goto out;
			}
			rc = scan(st, &all, &cs, box, &h, d);
			sqlite3_finalize(st);
		}
	}
	if (rc == 0)
		rc = by_box(s, q, &cs, &h, d);
out:
	free(cs.ok);
	free(cs.keys);
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

/* An entry with q's words, in storage order (see key_order). */
struct keyed {
	int64_t day, zkey, k, t;
	int has_z;
	uint8_t id[16];
};

struct store_iter {
	const struct store_query *q;
	struct catset cs;
	uint32_t box[4];
	sqlite3_stmt *st, *shape;
	struct keyed *kv;       /* by key: the matches, sorted */
	size_t nkv, next;
	int by_keys;
};

/* The order of the (day, zkey) index: NULL zkeys first, then by key. */
static int
key_order(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;

	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	if (x->has_z != y->has_z)
		return x->has_z < y->has_z ? -1 : 1;
	if (x->has_z && x->zkey != y->zkey)
		return x->zkey < y->zkey ? -1 : 1;
	return x->k < y->k ? -1 : x->k > y->k;
}

/* Is it->st's row (id, t, zkey, cat, k) a match of it->q? */
static int
iter_match(struct store_iter *it, sqlite3_stmt *st)
{
	const struct store_query *q = it->q;
	int64_t t = sqlite3_column_int64(st, 1);
	int64_t k = sqlite3_column_int64(st, 4);
	int in;

	if ((q->has_from && t < q->from) || (q->has_to && t > q->to) ||
	    !catset_has(&it->cs, sqlite3_column_int64(st, 3)) ||
	    !text_has(&it->cs, k))
		return 0;
	if (!q->has_bbox)
		return 1;
	if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
		uint32_t x, y;

		store_zcell(sqlite3_column_int64(st, 2), &x, &y);
		return x >= it->box[0] && y >= it->box[1] && x <= it->box[2] &&
		    y <= it->box[3];
	}
	sqlite3_reset(it->shape);
	sqlite3_bind_int64(it->shape, 1, k);
	sqlite3_bind_double(it->shape, 2, q->w);
	sqlite3_bind_double(it->shape, 3, q->e);
	sqlite3_bind_double(it->shape, 4, q->s);
	sqlite3_bind_double(it->shape, 5, q->n);
	in = sqlite3_step(it->shape) == SQLITE_ROW;
	sqlite3_reset(it->shape);
	return in;
}

/*
** Few entries have q's words (store_query_keys_max): each is looked up by
** key, and the matches sorted as the walk would give them.
*/
static int
iter_keys(struct store *s, struct store_iter *it, struct dib_diag *d)
{
	size_t i;
	int rc = DIB_OK;

	it->by_keys = 1;
	if (it->cs.nkeys == 0)
		return DIB_OK;
	if ((it->kv = calloc(it->cs.nkeys, sizeof *it->kv)) == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	for (i = 0; i < it->cs.nkeys && rc == 0; i++) {
		sqlite3_stmt *st = store_stmt_sql(s, key_row);
		struct keyed *e = &it->kv[it->nkv];
		int step;

		if (st == NULL)
			return store_dberr(s, d, "query");
		sqlite3_bind_int64(st, 1, it->cs.keys[i]);
		if ((step = sqlite3_step(st)) == SQLITE_ROW &&
		    iter_match(it, st)) {
			memcpy(e->id, sqlite3_column_blob(st, 0), 16);
			e->t = sqlite3_column_int64(st, 1);
			e->has_z = sqlite3_column_type(st, 2) != SQLITE_NULL;
			e->zkey = sqlite3_column_int64(st, 2);
			e->k = sqlite3_column_int64(st, 4);
			e->day = sqlite3_column_int64(st, 5);
			it->nkv++;
		} else if (step != SQLITE_ROW && step != SQLITE_DONE) {
			rc = store_dberr(s, d, "query");
		}
		sqlite3_reset(st);
	}
	if (it->nkv > 1)
		qsort(it->kv, it->nkv, sizeof *it->kv, key_order);
	return rc;
}

int
store_iter_open(struct store *s, const struct store_query *q,
    struct store_iter **out, struct dib_diag *d)
{
	struct store_iter *it;
	int rc;

	*out = NULL;
	if ((it = calloc(1, sizeof *it)) == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	it->q = q;
	if ((rc = catset_make(s, q->category, &it->cs, d)) != 0 ||
	    (rc = text_make(s, q->text, &it->cs, d)) != 0)
		goto fail;
	if (q->has_bbox)
		store_zbox(q->w, q->s, q->e, q->n, it->box);
	if (sqlite3_prepare_v2(s->db, "SELECT id, t, zkey, cat, k FROM "
	    "entries WHERE state = 0 AND day BETWEEN ?1 AND ?2 ORDER BY day",
	    -1, &it->st, NULL) != SQLITE_OK || sqlite3_prepare_v2(s->db,
	    "SELECT 1 FROM rec_box WHERE k = ?1 AND maxx >= ?2 AND minx <= ?3 "
	    "AND maxy >= ?4 AND miny <= ?5", -1, &it->shape, NULL) !=
	    SQLITE_OK) {
		rc = store_dberr(s, d, "query");
		goto fail;
	}
	sqlite3_bind_int64(it->st, 1, q->has_from ? util_day_of(q->from) :
	    INT64_MIN);
	sqlite3_bind_int64(it->st, 2, q->has_to ? util_day_of(q->to) :
	    INT64_MAX);
	if (it->cs.has_text && it->cs.nkeys <= store_query_keys_max &&
	    (rc = iter_keys(s, it, d)) != 0)
		goto fail;
	*out = it;
	return DIB_OK;
fail:
	store_iter_close(it);
	return rc;
}

int
store_iter_next(struct store_iter *it, struct store_hit *h)
{
	int rc;

	if (it->by_keys) {
		const struct keyed *e;

		if (it->next == it->nkv)
			return 0;
		e = &it->kv[it->next++];
		memcpy(h->id, e->id, 16);
		h->log = STORE_ENTRY_LOG(e->k);
		h->seq = STORE_ENTRY_SEQ(e->k);
		h->t = e->t;
		return 1;
	}
	while ((rc = sqlite3_step(it->st)) == SQLITE_ROW) {
		int64_t k = sqlite3_column_int64(it->st, 4);

		if (!iter_match(it, it->st))
			continue;
		memcpy(h->id, sqlite3_column_blob(it->st, 0), 16);
		h->log = STORE_ENTRY_LOG(k);
		h->seq = STORE_ENTRY_SEQ(k);
		h->t = sqlite3_column_int64(it->st, 1);
		return 1;
	}
	return rc == SQLITE_DONE ? 0 : -1;
}

void
store_iter_close(struct store_iter *it)
{
	if (it == NULL)
		return;
	sqlite3_finalize(it->st);
	sqlite3_finalize(it->shape);
	free(it->kv);
	free(it->cs.ok);
	free(it->cs.keys);
	free(it);
}
