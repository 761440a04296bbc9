/*
** Opening the node database, its schema, and cached statements.
*/
#include "store/store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
** The schema. Blocks and the record bytes in entries are the truth. The
** projection lives beside the bytes: the projector fills each entry's
** columns (id, state, category, time, place) when it stores it, and the
** partial index over current entries is the current state that queries
** read (the view rec). One row and two index entries per record: the
** shape of the raw SQLite ceiling in make bench.
*/
static const char schema[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
    /* Nodes whose logs this node holds, itself first. */
    "CREATE TABLE origins(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  pubkey BLOB NOT NULL UNIQUE CHECK(length(pubkey) = 32),\n"
    "  nation TEXT NOT NULL,\n"
    "  name TEXT NOT NULL,\n"
    "  cert BLOB);\n"
    /* One append-only log per (origin, audience). */
    "CREATE TABLE logs(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  origin INTEGER NOT NULL REFERENCES origins(id),\n"
    "  audience TEXT NOT NULL,\n"
    "  next_seq INTEGER NOT NULL DEFAULT 1,\n"
    "  head BLOB,\n"
    "  UNIQUE(origin, audience));\n"
    /* Signed block headers, exactly as signed. */
    "CREATE TABLE blocks(\n"
    "  log INTEGER NOT NULL REFERENCES logs(id),\n"
    "  first_seq INTEGER NOT NULL,\n"
    "  count INTEGER NOT NULL,\n"
    "  header BLOB NOT NULL,\n"
    "  sig BLOB NOT NULL,\n"
    "  hash BLOB NOT NULL,\n"
    "  prec INTEGER NOT NULL,\n"
    "  received_at INTEGER NOT NULL,\n"
    "  PRIMARY KEY(log, first_seq)) WITHOUT ROWID;\n"
    /* Category ids by small number, so that entries stay compact. */
    "CREATE TABLE categories(\n"
    "  code INTEGER PRIMARY KEY,\n"
    "  id TEXT NOT NULL UNIQUE);\n"
    /* Every record ever held: k = log << 40 | seq (appends to a rowid
     * table); body, the bytes exactly as hashed into their block; then
     * the projector's columns. state: 0 current, 1 superseded,
     * 2 retracted, 3 a retraction. zkey: a point's place (62-bit Morton
     * key, 2 cm cells); NULL for lines, polygons and no geometry. cat is
     * a categories code, always made before the row by the one writer
     * (store_category_code): a foreign key would check that again with a
     * lookup on every record stored (databases made before schema 3's
     * last form have it; both work alike). */
    "CREATE TABLE entries(\n"
    "  k INTEGER PRIMARY KEY,\n"
    "  body BLOB NOT NULL,\n"
    "  id BLOB NOT NULL,\n"
    "  state INTEGER NOT NULL,\n"
    "  cat INTEGER NOT NULL,\n"
    "  prec INTEGER NOT NULL,\n"
    "  t INTEGER NOT NULL,\n"
    "  day INTEGER NOT NULL,\n"
    "  zkey INTEGER,\n"
    "  patrol BLOB);\n"
    "CREATE UNIQUE INDEX entries_id ON entries(id);\n"
    /* Time and place of current records: by day, then z-order. */
    "CREATE INDEX entries_dz ON entries(day, zkey) WHERE state = 0;\n"
    /* What belongs to a patrol (its plan, decisions, units, tracks,
     * observations): few records carry one, so the index costs ingest
     * nothing. */
    "CREATE INDEX entries_patrol ON entries(patrol) WHERE patrol IS NOT "
    "NULL;\n"
    "CREATE VIEW rec AS SELECT e.id, e.k >> 40 AS log, e.k & 1099511627775 "
    "AS seq, c.id AS category, e.prec, e.t, e.day, e.zkey, e.patrol "
    "FROM entries e JOIN categories c ON c.code = e.cat WHERE e.state = 0;\n"
    /* The words of text attributes, for q=, are indexed in a file of
     * their own beside this one (store/text.c), by a second writer. */
    /* Current lines and polygons (few): an R*Tree keyed by entry. */
    "CREATE VIRTUAL TABLE rec_box USING rtree(k, minx, maxx, miny, maxy);\n"
    /* History: what replaced or withdrew a record (kind 1 supersede,
     * 2 retract), kept even when the old record has not arrived yet;
     * origin: the node that wrote new. Only a link of the old record's
     * own origin counts, so another node cannot withdraw it by sending
     * its link first. */
    "CREATE TABLE rec_link(\n"
    "  old BLOB NOT NULL,\n"
    "  origin INTEGER NOT NULL,\n"
    "  new BLOB NOT NULL,\n"
    "  kind INTEGER NOT NULL,\n"
    "  PRIMARY KEY(old, origin)) WITHOUT ROWID;\n"
    "CREATE INDEX rec_link_new ON rec_link(new);\n"
    /* Federation. Nation root keys this node pins: it accepts blocks
     * only from origins whose certificate one of them signed. */
    "CREATE TABLE nations(\n"
    "  nation TEXT PRIMARY KEY,\n"
    "  pubkey BLOB NOT NULL CHECK(length(pubkey) = 32),\n"
    "  added INTEGER NOT NULL);\n"
    /* Nodes this one exchanges with; url NULL: bundles only. node: the
     * peer's node key once seen. last_*: the last exchange (ms, 1 ok or
     * 0 failed, a one-line result); fails and next_at drive backoff;
     * wait_in / wait_out: records waiting each way at the last one. */
    "CREATE TABLE peers(\n"
    "  name TEXT PRIMARY KEY,\n"
    "  nation TEXT NOT NULL,\n"
    "  url TEXT,\n"
    "  node BLOB,\n"
    "  added INTEGER NOT NULL,\n"
    "  last_at INTEGER,\n"
    "  last_ok INTEGER,\n"
    "  last_result TEXT,\n"
    "  fails INTEGER NOT NULL DEFAULT 0,\n"
    "  next_at INTEGER NOT NULL DEFAULT 0,\n"
    "  wait_in INTEGER,\n"
    "  wait_out INTEGER);\n"
    /* Received blocks that skip ahead of a gap, until it fills. */
    "CREATE TABLE pending(\n"
    "  origin BLOB NOT NULL,\n"
    "  audience TEXT NOT NULL,\n"
    "  first_seq INTEGER NOT NULL,\n"
    "  block BLOB NOT NULL,\n"
    "  received_at INTEGER NOT NULL,\n"
    "  PRIMARY KEY(origin, audience, first_seq)) WITHOUT ROWID;\n"
    /* Equivocation: two different blocks for one log and sequence; both
     * are kept here, out of the projection, for the administrators. */
    "CREATE TABLE quarantine(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  origin BLOB NOT NULL,\n"
    "  audience TEXT NOT NULL,\n"
    "  first_seq INTEGER NOT NULL,\n"
    "  block BLOB NOT NULL,\n"
    "  reason TEXT NOT NULL,\n"
    "  received_at INTEGER NOT NULL);\n";

static const char *const stmt_sql[ST_COUNT] = {
	[ST_LOG_FIND] = "SELECT id, next_seq, head FROM logs "
	    "WHERE origin = ?1 AND audience = ?2",
	[ST_LOG_INSERT] = "INSERT INTO logs(origin, audience) VALUES(?1, ?2)",
	[ST_LOG_ADVANCE] = "UPDATE logs SET next_seq = ?2, head = ?3 "
	    "WHERE id = ?1",
	[ST_BLOCK_INSERT] = "INSERT INTO blocks(log, first_seq, count, "
	    "header, sig, hash, prec, received_at) "
	    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_ENTRY_INSERT] = "INSERT INTO entries(k, body, id, state, cat, "
	    "prec, t, day, zkey, patrol) "
	    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[ST_ENTRY_GET] = "SELECT body FROM entries WHERE k = ?1",
	[ST_ENTRY_BY_ID] = "SELECT k, state, zkey IS NULL FROM entries "
	    "WHERE id = ?1",
	[ST_ENTRY_STATE] = "UPDATE entries SET state = ?2 WHERE k = ?1",
	[ST_LINK_GET] = "SELECT new, kind FROM rec_link WHERE old = ?1 "
	    "AND origin = ?2",
	[ST_LINK_INSERT] = "INSERT INTO rec_link(old, new, kind, origin) "
	    "VALUES(?1, ?2, ?3, ?4)",
	[ST_BOX_INSERT] = "INSERT INTO rec_box(k, minx, maxx, miny, maxy) "
	    "VALUES(?1, ?2, ?3, ?4, ?5)",
	[ST_BOX_DELETE] = "DELETE FROM rec_box WHERE k = ?1",
	[ST_LOG_ORIGIN] = "SELECT origin FROM logs WHERE id = ?1",
	[ST_ZSCAN] = "SELECT id, t, zkey, cat, k FROM entries "
	    "WHERE state = 0 AND day = ?1 AND zkey BETWEEN ?2 AND ?3",
	[ST_DAYSCAN] = "SELECT id, t, zkey, cat, k FROM entries "
	    "WHERE state = 0 AND day = ?1",
	[ST_CAT_FIND] = "SELECT code FROM categories WHERE id = ?1",
	[ST_CAT_INSERT] = "INSERT INTO categories(id) VALUES(?1)",
	[ST_LOG_INFO] = "SELECT o.pubkey, o.nation, o.name, l.audience FROM "
	    "logs l JOIN origins o ON o.id = l.origin WHERE l.id = ?1",
};

int
store_dberr(struct store *s, struct dib_diag *d, const char *what)
{
	int ext = s && s->db ? sqlite3_extended_errcode(s->db) : 0;

	if ((ext & 0xff) == SQLITE_FULL)
		return dib_fail(d, DIB_EIO, "", "%s: the disk is full; nothing "
		    "was written", what);
	return dib_fail(d, DIB_EDB, "", "%s: %s", what,
	    s && s->db ? sqlite3_errmsg(s->db) : "no database");
}

int
store_exec(struct store *s, const char *sql, struct dib_diag *d)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_dberr(s, d, "database");
	return DIB_OK;
}

/*
** Once per process, before SQLite starts: no memory statistics, whose
** global mutex every allocation would otherwise take.
*/
static void
configure(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* ---- what commits add, for the text index ---- */

static void
on_rollback(void *arg)
{
	struct store *s = arg;

	store_pend_unwind(s, 0);
}

/* After each commit: hand over what it added, then checkpoint. */
static int
on_wal(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct store *s = arg;

	if (s->committed != NULL && s->npend > 0) {
		struct store_item *v = s->pend;
		size_t n = s->npend;

		s->pend = NULL;
		s->npend = s->pcap = 0;
		s->committed(s->committed_arg, v, n);
	}
	if (s->wal != NULL)
		return s->wal(s->wal_arg, db, name, pages);
	if (pages >= 1000)
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE,
		    NULL, NULL);
	return SQLITE_OK;
}

void
store_collect(struct store *s, store_committed_fn fn, void *arg)
{
	s->committed = fn;
	s->committed_arg = arg;
}

void
store_set_wal_hook(struct store *s, store_wal_fn fn, void *arg)
{
	s->wal = fn;
	s->wal_arg = arg;
}

size_t
store_pend_mark(const struct store *s)
{
	return s->npend;
}

void
store_pend_unwind(struct store *s, size_t mark)
{
	while (s->npend > mark)
		free(s->pend[--s->npend].text);
}

int
store_pend_add(struct store *s, int64_t k, const uint8_t id[16],
    char **text)
{
	struct store_item *it;

	if (s->committed == NULL)
		return DIB_OK;
	if (s->npend == s->pcap) {
		size_t cap = s->pcap ? s->pcap * 2 : 1024;
		struct store_item *nv = realloc(s->pend, cap * sizeof *nv);

		if (nv == NULL)
			return DIB_ENOMEM;
		s->pend = nv;
		s->pcap = cap;
	}
	it = &s->pend[s->npend];
	it->k = k;
	memcpy(it->id, id, 16);
	it->text = *text;
	*text = NULL;
	s->npend++;
	return DIB_OK;
}

void
store_items_free(struct store_item *v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i].text);
	free(v);
}

/*
** Version 2 kept the text index in this file: it moves to text.db, which
** the node rebuilds from the records when it opens.
*/
static int
migrate_2(struct store *s, struct dib_diag *d)
{
	char v[16];
	int rc;

	snprintf(v, sizeof v, "%d", STORE_SCHEMA_VERSION);
	if ((rc = store_exec(s, "BEGIN IMMEDIATE", d)) != 0)
		return rc;
	if ((rc = store_exec(s, "DROP TABLE IF EXISTS rec_text", d)) != 0 ||
	    (rc = store_meta_set(s, "schema_version", v, d)) != 0 ||
	    (rc = store_exec(s, "COMMIT", d)) != 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	return DIB_OK;
}

int
store_open(const char *path, int create, struct store **out,
    struct dib_diag *d)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct store *s;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	int rc;
	char v[32];

	*out = NULL;
	pthread_once(&once, configure);
	if ((s = calloc(1, sizeof *s)) == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	if (create)
		flags |= SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
		rc = dib_fail(d, DIB_EIO, "dir", "cannot open database %s: %s",
		    path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 10000);
	sqlite3_extended_result_codes(s->db, 1);
	/* 8 KB pages: half the WAL frames (and their writes and checksums)
	 * of the default 4 KB for the same records; set before the first
	 * write, as a WAL database keeps its page size. */
	if (create && (rc = store_exec(s, "PRAGMA page_size=8192", d)) != 0)
		goto fail;
	if (strcmp(path, ":memory:") != 0 &&
	    (rc = store_exec(s, "PRAGMA journal_mode=WAL", d)) != 0)
		goto fail;
	sqlite3_wal_hook(s->db, on_wal, s);
	sqlite3_rollback_hook(s->db, on_rollback, s);
	/* A small page cache per connection (readers are many); the node's
	 * writing connection takes a bigger one (node_open). */
	if ((rc = store_exec(s, "PRAGMA synchronous=FULL;"
	    "PRAGMA foreign_keys=ON;PRAGMA cache_size=-2000;"
	    "PRAGMA temp_store=MEMORY", d)) != 0)
		goto fail;
	if (create) {
		if (store_count(s, "SELECT count(*) FROM sqlite_schema") > 0) {
			rc = dib_fail(d, DIB_EEXIST, "dir",
			    "%s already holds a database", path);
			goto fail;
		}
		if ((rc = store_exec(s, "BEGIN", d)) != 0 ||
		    (rc = store_exec(s, schema, d)) != 0)
			goto fail;
		snprintf(v, sizeof v, "%d", STORE_SCHEMA_VERSION);
		if ((rc = store_meta_set(s, "schema_version", v, d)) != 0 ||
		    (rc = store_exec(s, "COMMIT", d)) != 0)
			goto fail;
	} else {
		if (store_meta_get(s, "schema_version", v, sizeof v) != 0) {
			rc = dib_fail(d, DIB_EINVAL, "dir",
			    "%s is not a diboli database", path);
			goto fail;
		}
		if (strtol(v, NULL, 10) == 2 && (rc = migrate_2(s, d)) != 0)
			goto fail;
		if (strtol(v, NULL, 10) == 2)
			snprintf(v, sizeof v, "%d", STORE_SCHEMA_VERSION);
		if (strtol(v, NULL, 10) != STORE_SCHEMA_VERSION) {
			rc = dib_fail(d, DIB_EINVAL, "dir",
			    "%s has schema version %s; this diboli reads "
			    "version %d", path, v, STORE_SCHEMA_VERSION);
			goto fail;
		}
	}
	*out = s;
	return DIB_OK;
fail:
	store_close(s);
	return rc;
}

void
store_remove_files(const char *path)
{
	static const char *const sides[] = {"", "-wal", "-shm"};
	char p[4200];
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s%s", path, sides[i]);
		unlink(p);
	}
}

void
store_close(struct store *s)
{
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	for (i = 0; i < s->nxst; i++)
		sqlite3_finalize(s->xst[i].st);
	sqlite3_close(s->db);
	sqlite3_close(s->textdb);
	store_pend_unwind(s, 0);
	free(s->pend);
	store_cache_reset(s);
	free(s);
}

sqlite3_stmt *
store_stmt(struct store *s, enum store_stmt which)
{
	sqlite3_stmt *st = s->st[which];

	if (st == NULL) {
		if (sqlite3_prepare_v3(s->db, stmt_sql[which], -1,
		    SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
			return NULL;
		s->st[which] = st;
		return st;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

sqlite3_stmt *
store_stmt_sql(struct store *s, const char *sql)
{
	sqlite3_stmt *st;
	int i;

	for (i = 0; i < s->nxst; i++)
		if (s->xst[i].sql == sql) {
			st = s->xst[i].st;
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return st;
		}
	if (s->nxst == STORE_XST_MAX || sqlite3_prepare_v3(s->db, sql, -1,
	    SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
		return NULL;
	s->xst[s->nxst].sql = sql;
	s->xst[s->nxst++].st = st;
	return st;
}

int
store_run(struct store *s, const char *sql, struct dib_diag *d)
{
	sqlite3_stmt *st = store_stmt_sql(s, sql);
	int rc;

	if (st == NULL)
		return store_exec(s, sql, d);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE && rc != SQLITE_ROW) {
		rc = store_dberr(s, d, "database");
		sqlite3_reset(st);
		return rc;
	}
	sqlite3_reset(st);
	return DIB_OK;
}

int
store_begin(struct store *s, struct dib_diag *d)
{
	return store_run(s, "BEGIN IMMEDIATE", d);
}

int
store_commit(struct store *s, struct dib_diag *d)
{
	return store_run(s, "COMMIT", d);
}

void
store_rollback(struct store *s)
{
	/* Codes given in the transaction are gone with it. */
	store_cache_reset(s);
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int
store_meta_get(struct store *s, const char *key, char *out, size_t n)
{
	sqlite3_stmt *st = NULL;
	int rc = DIB_ENOTFOUND;

	out[0] = '\0';
	if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = ?1",
	    -1, &st, NULL) != SQLITE_OK)
		return DIB_EDB;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(out, n, "%s", (const char *)sqlite3_column_text(st,
		    0));
		rc = DIB_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

int
store_meta_set(struct store *s, const char *key, const char *value,
    struct dib_diag *d)
{
	sqlite3_stmt *st = NULL;
	int rc = DIB_OK;

	if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO meta(key, value)"
	    " VALUES(?1, ?2)", -1, &st, NULL) != SQLITE_OK)
		return store_dberr(s, d, "meta");
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_dberr(s, d, "meta");
	sqlite3_finalize(st);
	return rc;
}

int64_t
store_count(struct store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t n = -1;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* ---- z-order keys ---- */

#define ZBITS 31
#define ZCELLS (1u << ZBITS)

static uint32_t
quant(double v, double lo, double span)
{
	double q = (v - lo) / span * (double)ZCELLS;

	if (!(q >= 0))
		return 0;
	if (q >= (double)ZCELLS)
		return ZCELLS - 1;
	return (uint32_t)q;
}

static uint64_t
spread(uint32_t v)
{
	/* Bits of v into the even positions of the result. */
	uint64_t x = v;

	x = (x | x << 16) & 0x0000ffff0000ffffULL;
	x = (x | x << 8) & 0x00ff00ff00ff00ffULL;
	x = (x | x << 4) & 0x0f0f0f0f0f0f0f0fULL;
	x = (x | x << 2) & 0x3333333333333333ULL;
	x = (x | x << 1) & 0x5555555555555555ULL;
	return x;
}

static uint64_t
interleave(uint32_t x, uint32_t y)
{
	return spread(x) | spread(y) << 1;
}

/* The inverse of spread: the even bits of x, packed. */
static uint32_t
compact(uint64_t x)
{
	x &= 0x5555555555555555ULL;
	x = (x | x >> 1) & 0x3333333333333333ULL;
	x = (x | x >> 2) & 0x0f0f0f0f0f0f0f0fULL;
	x = (x | x >> 4) & 0x00ff00ff00ff00ffULL;
	x = (x | x >> 8) & 0x0000ffff0000ffffULL;
	x = (x | x >> 16) & 0x00000000ffffffffULL;
	return (uint32_t)x;
}

void
store_zcell(int64_t z, uint32_t *x, uint32_t *y)
{
	*x = compact((uint64_t)z);
	*y = compact((uint64_t)z >> 1);
}

void
store_zbox(double w, double s, double e, double n, uint32_t box[4])
{
	box[0] = quant(w, -180, 360);
	box[1] = quant(s, -90, 180);
	box[2] = quant(e, -180, 360);
	box[3] = quant(n, -90, 180);
}

void
store_zpoint(int64_t z, double *lon, double *lat)
{
	uint32_t x, y;

	store_zcell(z, &x, &y);
	*lon = -180 + ((double)x + 0.5) * 360 / (double)ZCELLS;
	*lat = -90 + ((double)y + 0.5) * 180 / (double)ZCELLS;
}

int64_t
store_zkey(double lon, double lat)
{
	return (int64_t)interleave(quant(lon, -180, 360), quant(lat, -90,
	    180));
}

struct zctx {
	uint32_t x0, x1, y0, y1;        /* the bbox in cells, inclusive */
	int maxlevel;
	int64_t (*out)[2];
	size_t n, max;
};

static void
zcover(struct zctx *c, uint32_t cx, uint32_t cy, int level)
{
	uint32_t size = (uint32_t)1 << (ZBITS - level);
	uint32_t x0 = cx, x1 = cx + size - 1, y0 = cy, y1 = cy + size - 1;
	uint64_t lo, span;

	if (x1 < c->x0 || x0 > c->x1 || y1 < c->y0 || y0 > c->y1)
		return;
	if ((x0 >= c->x0 && x1 <= c->x1 && y0 >= c->y0 && y1 <= c->y1) ||
	    level >= c->maxlevel || c->n + 4 > c->max) {
		lo = interleave(cx, cy);
		span = (uint64_t)size * size;
		if (c->n > 0 && (uint64_t)c->out[c->n - 1][1] + 1 == lo) {
			c->out[c->n - 1][1] = (int64_t)(lo + span - 1);
		} else if (c->n < c->max) {
			c->out[c->n][0] = (int64_t)lo;
			c->out[c->n][1] = (int64_t)(lo + span - 1);
			c->n++;
		}
		return;
	}
	size /= 2;
	/* Children in z order: (0,0), (1,0), (0,1), (1,1). */
	zcover(c, cx, cy, level + 1);
	zcover(c, cx + size, cy, level + 1);
	zcover(c, cx, cy + size, level + 1);
	zcover(c, cx + size, cy + size, level + 1);
}

size_t
store_zranges(double w, double s, double e, double n, int64_t (*out)[2],
    size_t max)
{
	struct zctx c;
	uint32_t span;
	int level = 0;

	c.x0 = quant(w, -180, 360);
	c.x1 = quant(e, -180, 360);
	c.y0 = quant(s, -90, 180);
	c.y1 = quant(n, -90, 180);
	c.out = out;
	c.n = 0;
	c.max = max;
	if (max < 4)
		return 0;
	/* Start at the level whose cells are about the bbox's size. */
	span = c.x1 - c.x0 > c.y1 - c.y0 ? c.x1 - c.x0 : c.y1 - c.y0;
	while (level < ZBITS && ((uint32_t)1 << (ZBITS - level - 1)) > span)
		level++;
	c.maxlevel = level + 3;
	if (c.maxlevel > ZBITS)
		c.maxlevel = ZBITS;
	{
		uint32_t size = (uint32_t)1 << (ZBITS - level);
		uint32_t cx, cy;

		for (cy = c.y0 & ~(size - 1); cy <= c.y1; cy += size) {
			for (cx = c.x0 & ~(size - 1); cx <= c.x1; cx += size) {
				zcover(&c, cx, cy, level);
				if (cx + size < cx)
					break;
			}
			if (cy + size < cy)
				break;
		}
	}
	/* Cells were visited row by row: sort and merge. */
	for (size_t i = 1; i < c.n; i++) {
		int64_t a = out[i][0], b = out[i][1];
		size_t j = i;

		while (j > 0 && out[j - 1][0] > a) {
			out[j][0] = out[j - 1][0];
			out[j][1] = out[j - 1][1];
			j--;
		}
		out[j][0] = a;
		out[j][1] = b;
	}
	{
		size_t k = 0;

		for (size_t i = 0; i < c.n; i++) {
			if (k > 0 && out[k - 1][1] + 1 >= out[i][0]) {
				if (out[i][1] > out[k - 1][1])
					out[k - 1][1] = out[i][1];
			} else {
				out[k][0] = out[i][0];
				out[k][1] = out[i][1];
				k++;
			}
		}
		c.n = k;
	}
	return c.n;
}

/* ---- category codes ---- */

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;     /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

void
store_cache_reset(struct store *s)
{
	size_t i;

	for (i = 0; i < s->ncap; i++)
		free(s->cat[i].id);
	free(s->cat);
	s->cat = NULL;
	s->ncap = s->nused = 0;
}

static int
cache_put(struct store *s, const char *id, int64_t code)
{
	size_t i;

	if (2 * (s->nused + 1) > s->ncap) {
		struct store_cat *old = s->cat;
		size_t oldcap = s->ncap, ncap = oldcap ? 2 * oldcap : 64;

		if ((s->cat = calloc(ncap, sizeof *s->cat)) == NULL) {
			s->cat = old;
			return -1;
		}
		s->ncap = ncap;
		s->nused = 0;
		for (i = 0; i < oldcap; i++)
			if (old[i].id != NULL) {
				cache_put(s, old[i].id, old[i].code);
				free(old[i].id);
			}
		free(old);
	}
	for (i = hash_str(id) & (s->ncap - 1); s->cat[i].id != NULL;
	    i = (i + 1) & (s->ncap - 1))
		;
	if ((s->cat[i].id = strdup(id)) == NULL)
		return -1;
	s->cat[i].code = code;
	s->nused++;
	return 0;
}

int
store_category_code(struct store *s, const char *id, int64_t *code,
    struct dib_diag *d)
{
	sqlite3_stmt *st;
	size_t i;

	if (s->ncap > 0)
		for (i = hash_str(id) & (s->ncap - 1); s->cat[i].id != NULL;
		    i = (i + 1) & (s->ncap - 1))
			if (strcmp(s->cat[i].id, id) == 0) {
				*code = s->cat[i].code;
				return DIB_OK;
			}
	if ((st = store_stmt(s, ST_CAT_FIND)) == NULL)
		return store_dberr(s, d, "category");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*code = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	} else {
		sqlite3_reset(st);
		st = store_stmt(s, ST_CAT_INSERT);
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_reset(st);
			return store_dberr(s, d, "category");
		}
		sqlite3_reset(st);
		*code = sqlite3_last_insert_rowid(s->db);
	}
	if (cache_put(s, id, *code) != 0)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	return DIB_OK;
}
