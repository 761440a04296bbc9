/*
** Queries over the projection: bbox, time window and category prefix,
** the hot path of the map.
*/
#ifndef DIB_QUERY_H
#define DIB_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct store_query {
	int has_bbox;
	double w, s, e, n;      /* west, south, east, north, degrees */
	int has_from, has_to;
	int64_t from, to;       /* observed_at window, ms, inclusive */
	const char *category;   /* id prefix ("security" matches its tree) */
	size_t limit;           /* at most this many hits; 0 for all */
	int has_cursor;         /* only hits after (older than) this one: */
	int64_t cursor_t;       /* its observed_at */
	uint8_t cursor_id[16];  /* and its id, for equal times */
	const char *text;       /* full-text search in text attributes */
};

struct store_hit {
	uint8_t id[16];
	int64_t log, seq;       /* where its bytes are (entries) */
	int64_t t;              /* observed_at, ms */
};

/*
** Current records matching q, newest first (ties by id, descending).
** *hits is a new array (free()) of *n entries.
*/
int store_query(struct store *s, const struct store_query *q,
    struct store_hit **hits, size_t *n, struct dib_diag *d);

/*
** With text, store_iter_open looks up each entry that has the words when
** there are at most this many (20,000), and store_query when there are
** at most ten times its limit (at least 1,000, at most this); else they
** walk the index as without. Both ways give the same hits in the same
** order; tests set it to 0 to walk.
*/
extern size_t store_query_keys_max;

/*
** The same matches one at a time, in storage order (by day), holding
** nothing but the current row: for exports of any size. q must outlive
** the iterator; limit and cursor are ignored.
*/
struct store_iter;
int store_iter_open(struct store *s, const struct store_query *q,
    struct store_iter **out, struct dib_diag *d);
/* 1 and *h filled, 0 at the end, or an error code (negative: none). */
int store_iter_next(struct store_iter *it, struct store_hit *h);
void store_iter_close(struct store_iter *it);

/* Does category c fall under prefix p ("security" covers "security.x")? */
int store_category_under(const char *c, const char *p);

#endif
