/*
** The store: one SQLite database per node (WAL, synchronous=FULL, foreign
** keys on) holding signed blocks, their records, and the projection
** that queries read. Only log/ appends blocks; records enter through the
** projector (store/project.c), which stores each record's bytes with its
** projection columns and keeps the current state.
*/
#ifndef DIB_STORE_H
#define DIB_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "util/err.h"

struct record;

#define STORE_SCHEMA_VERSION 3

/* The text index beside a node's database (store/text.c). */
#define STORE_TEXT_DB "text.db"

/* The key of record seq of log in the entries table. */
#define STORE_ENTRY_SHIFT 40
#define STORE_ENTRY_KEY(log, seq) \
	((int64_t)(log) << STORE_ENTRY_SHIFT | (int64_t)(seq))
#define STORE_ENTRY_LOG(k) ((int64_t)(k) >> STORE_ENTRY_SHIFT)
#define STORE_ENTRY_SEQ(k) ((int64_t)(k) & ((1LL << STORE_ENTRY_SHIFT) - 1))

#define STORE_XST_MAX 32 /* statements store_stmt_sql keeps */

/* Cached prepared statements, by use. */
enum store_stmt {
	ST_LOG_FIND,
	ST_LOG_INSERT,
	ST_LOG_ADVANCE,
	ST_BLOCK_INSERT,
	ST_ENTRY_INSERT,
	ST_ENTRY_GET,
	ST_ENTRY_BY_ID,
	ST_ENTRY_STATE,
	ST_LINK_GET,
	ST_LINK_INSERT,
	ST_BOX_INSERT,
	ST_BOX_DELETE,
	ST_LOG_ORIGIN,
	ST_ZSCAN,
	ST_DAYSCAN,
	ST_CAT_FIND,
	ST_CAT_INSERT,
	ST_LOG_INFO,
	ST_COUNT
};

/* The projector's state of an entry. */
enum store_state {
	STORE_CURRENT = 0,
	STORE_SUPERSEDED = 1,
	STORE_RETRACTED = 2,
	STORE_RETRACTION = 3
};

/* A cached category code. */
struct store_cat {
	char *id;                       /* the category id, owned */
	int64_t code;                   /* its categories.code */
};

/* An entry the projector added, and its words for the text index. */
struct store_item {
	int64_t k;                      /* entries.k */
	uint8_t id[16];                 /* the record's id */
	char *text;                     /* owned, or NULL: no words */
};

/* Called after each commit with what it added (the callee owns v). */
typedef void (*store_committed_fn)(void *arg, struct store_item *v,
    size_t n);

/* Called after each commit that wrote to the WAL (sqlite3_wal_hook). */
typedef int (*store_wal_fn)(void *arg, sqlite3 *db, const char *name,
    int pages);

struct store {
	sqlite3 *db;                    /* the connection */
	sqlite3_stmt *st[ST_COUNT];     /* prepared on first use */
	struct store_cat *cat;          /* open-addressing table of codes */
	size_t ncap, nused;             /* its size (a power of 2), use */
	/* What the projector added in the open transaction, kept only once
	 * store_collect was called: handed over after the commit, dropped
	 * by a rollback (store_pend_unwind for a savepoint's). */
	store_committed_fn committed;
	void *committed_arg;
	struct store_item *pend;
	size_t npend, pcap;
	store_wal_fn wal;               /* a checkpointer, or NULL */
	void *wal_arg;
	sqlite3 *textdb;                /* the text index, read; lazily */
	/* Statements of other modules' static SQL (store_stmt_sql). */
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} xst[STORE_XST_MAX];
	int nxst;
};

/*
** Open (create = 1: create, and fail if it holds a schema already) the
** database at path; ":memory:" gives a scratch store. Free with
** store_close().
*/
int store_open(const char *path, int create, struct store **out,
    struct dib_diag *d);

/*
** Keep what the projector adds (entries and their words) and hand it to
** fn(arg, ...) after each commit. For a node's writing connection.
*/
void store_collect(struct store *s, store_committed_fn fn, void *arg);

/*
** Around a savepoint that may roll back projections: the mark before it,
** and after ROLLBACK TO, forget what came after the mark.
*/
size_t store_pend_mark(const struct store *s);
void store_pend_unwind(struct store *s, size_t mark);

/* The projector's: remember entry k, its record's id and its words
 * (*text: taken, and NULL afterwards, unless this fails; NULL: none). */
int store_pend_add(struct store *s, int64_t k, const uint8_t id[16],
    char **text);

/* Free items (their texts too). Accepts NULL. */
void store_items_free(struct store_item *v, size_t n);

/*
** Checkpoints: the store owns the connection's WAL hook (it hands over
** what commits added); fn, if set, is then called as the hook would be.
** Unset, the store checkpoints every 1,000 pages like SQLite's default.
*/
void store_set_wal_hook(struct store *s, store_wal_fn fn, void *arg);

/* Remove the database file at path with its -wal and -shm (closed). */
void store_remove_files(const char *path);

/* Finalize statements and close. Accepts NULL. */
void store_close(struct store *s);

/* The cached statement, reset and unbound; NULL on a prepare error. */
sqlite3_stmt *store_stmt(struct store *s, enum store_stmt which);

/* Run SQL without results. */
int store_exec(struct store *s, const char *sql, struct dib_diag *d);

/*
** The statement of sql, a static text (its address is the key), prepared
** on first use and kept, reset and unbound: for the statements other
** modules run on every write (a savepoint, the audit row), which would
** otherwise be parsed each time. The caller resets it after use (a
** SELECT left unreset keeps its read transaction). NULL if it does not
** prepare, or when STORE_XST_MAX texts are kept already (a bug: the few
** hot statements fit).
*/
sqlite3_stmt *store_stmt_sql(struct store *s, const char *sql);

/* store_exec of one statement of static SQL text, kept prepared. */
int store_run(struct store *s, const char *sql, struct dib_diag *d);

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
** The code of category id in this store, given on first use (inside the
** caller's transaction). A rollback must call store_cache_reset (as
** store_rollback does), since codes given in it are gone.
*/
int store_category_code(struct store *s, const char *id, int64_t *code,
    struct dib_diag *d);

/* Forget the cached category codes. */
void store_cache_reset(struct store *s);

/*
** Morton (z-order) key of a position: 31 bits of longitude and of
** latitude interleaved (cells of about 2 cm). Points near each other
** share key prefixes.
*/
int64_t store_zkey(double lon, double lat);

/* The cell (x, y) of a key, and the centre of that cell in degrees. */
void store_zcell(int64_t z, uint32_t *x, uint32_t *y);
void store_zpoint(int64_t z, double *lon, double *lat);

/* The cells of a bbox's corners: west, south, east, north. */
void store_zbox(double w, double s, double e, double n, uint32_t box[4]);

/*
** The z-key ranges [lo, hi] that cover a bbox, at most max of them;
** returns how many. Ranges are sorted and disjoint.
*/
size_t store_zranges(double w, double s, double e, double n,
    int64_t (*out)[2], size_t max);

#endif
