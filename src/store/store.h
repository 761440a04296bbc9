/*
** The store: one SQLite database per node (WAL, synchronous=FULL, foreign
** keys on) holding signed blocks, their records, and the projection
** tables that queries read. Only log/ writes blocks and entries; only the
** projector (store/project.c) writes the projection.
*/
#ifndef DIB_STORE_H
#define DIB_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "util/err.h"

struct record;

#define STORE_SCHEMA_VERSION 1

/* The key of record seq of log in the entries table. */
#define STORE_ENTRY_SHIFT 40
#define STORE_ENTRY_KEY(log, seq) \
	((int64_t)(log) << STORE_ENTRY_SHIFT | (int64_t)(seq))

/* Cached prepared statements, by use. */
enum store_stmt {
	ST_LOG_FIND,
	ST_LOG_INSERT,
	ST_LOG_ADVANCE,
	ST_BLOCK_INSERT,
	ST_ENTRY_INSERT,
	ST_REC_INSERT,
	ST_REC_GET,
	ST_REC_DELETE,
	ST_LINK_GET,
	ST_LINK_INSERT,
	ST_LINK_PLACE,
	ST_SHAPE_INSERT,
	ST_SHAPE_BOX,
	ST_SHAPE_GET,
	ST_SHAPE_DELETE,
	ST_BOX_DELETE,
	ST_LOG_ORIGIN,
	ST_ENTRY_GET,
	ST_ZSCAN,
	ST_DAYSCAN,
	ST_COUNT
};

struct store {
	sqlite3 *db;                    /* the connection */
	sqlite3_stmt *st[ST_COUNT];     /* prepared on first use */
};

/*
** Open (create = 1: create, and fail if it holds a schema already) the
** database at path; ":memory:" gives a scratch store. Free with
** store_close().
*/
int store_open(const char *path, int create, struct store **out,
    struct dib_diag *d);

/* Finalize statements and close. Accepts NULL. */
void store_close(struct store *s);

/* The cached statement, reset and unbound; NULL on a prepare error. */
sqlite3_stmt *store_stmt(struct store *s, enum store_stmt which);

/* Run SQL without results. */
int store_exec(struct store *s, const char *sql, struct dib_diag *d);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
int store_begin(struct store *s, struct dib_diag *d);
int store_commit(struct store *s, struct dib_diag *d);
void store_rollback(struct store *s);

/* Fill d from the connection's last error; returns DIB_EDB. */
int store_dberr(struct store *s, struct dib_diag *d, const char *what);

/* meta table: get into out (DIB_ENOTFOUND if absent) and set. */
int store_meta_get(struct store *s, const char *key, char *out, size_t n);
int store_meta_set(struct store *s, const char *key, const char *value,
    struct dib_diag *d);

/* One integer from a query without parameters, or -1. */
int64_t store_count(struct store *s, const char *sql);

/*
** Morton (z-order) key of a position: 24 bits of longitude and of
** latitude interleaved. Points near each other share key prefixes.
*/
int64_t store_zkey(double lon, double lat);

/*
** The z-key ranges [lo, hi] that cover a bbox, at most max of them;
** returns how many. Ranges are sorted and disjoint.
*/
size_t store_zranges(double w, double s, double e, double n,
    int64_t (*out)[2], size_t max);

#endif
