/*
** The text index (see text.h). Schema:
**
**   rec_text   contentless FTS5 of the words, rowid = entries.k: every
**              version (queries keep the current ones); no ranking is
**              used, so no positions (detail=none) and no per-document
**              sizes (columnsize=0)
**   covered    per log, the ranges of sequence numbers whose entries are
**              indexed (words or not): one range per log once caught up
**   meta       the node the index belongs to
**
** synchronous=NORMAL: a power cut may lose the last commits of the index,
** never make it inconsistent; what is lost is not covered and the next
** catch-up restores it.
*/
#include "store/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/record.h"
#include "util/util.h"

#define TEXT_SCHEMA \
    "CREATE VIRTUAL TABLE IF NOT EXISTS rec_text USING fts5(body, " \
    "content='', tokenize='unicode61 remove_diacritics 2', " \
    "detail=none, columnsize=0);\n" \
    "CREATE TABLE IF NOT EXISTS covered(\n" \
    "  log INTEGER NOT NULL,\n" \
    "  first INTEGER NOT NULL,\n" \
    "  last INTEGER NOT NULL,\n" \
    "  PRIMARY KEY(log, first)) WITHOUT ROWID;\n" \
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, " \
    "value TEXT NOT NULL);\n"

#define CATCH_UP_BATCH 2000     /* entries a transaction while catching up */

struct store_text {
	sqlite3 *db;
	sqlite3_stmt *ins;      /* a document */
	sqlite3_stmt *near;     /* ranges touching one */
	sqlite3_stmt *del;      /* a range */
	sqlite3_stmt *put;      /* a range */
};

static int
text_err(sqlite3 *db, struct dib_diag *d, const char *what)
{
	int ext = db ? sqlite3_extended_errcode(db) : 0;

	if ((ext & 0xff) == SQLITE_FULL)
		return dib_fail(d, DIB_EIO, "", "text index: %s: the disk is "
		    "full", what);
	if ((ext & 0xff) == SQLITE_NOTADB || (ext & 0xff) == SQLITE_CORRUPT)
		return dib_fail(d, DIB_ETAMPER, "", "text index: %s: %s", what,
		    sqlite3_errmsg(db));
	return dib_fail(d, DIB_EDB, "", "text index: %s: %s", what,
	    db ? sqlite3_errmsg(db) : "out of memory");
}

static int
exec(sqlite3 *db, const char *sql, struct dib_diag *d)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return text_err(db, d, "schema");
	return DIB_OK;
}

/* The owner recorded in the index, into out ("" if none). */
static void
owner_get(sqlite3 *db, char *out, size_t n)
{
	sqlite3_stmt *st = NULL;

	out[0] = '\0';
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = "
	    "'node_id'", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		util_strlcpy(out, (const char *)sqlite3_column_text(st, 0), n);
	sqlite3_finalize(st);
}

/* Empty the index and make it owner's. */
static int
reset(sqlite3 *db, const char *owner, struct dib_diag *d)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = exec(db, "BEGIN IMMEDIATE; DROP TABLE IF EXISTS rec_text; "
	    "DROP TABLE IF EXISTS covered; DELETE FROM meta;" TEXT_SCHEMA
	    "INSERT INTO rec_text(rec_text, rank) VALUES('automerge', 16);",
	    d)) != 0)
		goto fail;
	if (sqlite3_prepare_v2(db, "INSERT INTO meta(key, value) "
	    "VALUES('node_id', ?1)", -1, &st, NULL) != SQLITE_OK) {
		rc = text_err(db, d, "schema");
		goto fail;
	}
	sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = text_err(db, d, "schema");
		goto fail;
	}
	sqlite3_finalize(st);
	return exec(db, "COMMIT", d);
fail:
	sqlite3_finalize(st);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int
store_text_open(const char *path, const char *owner, struct store_text **out,
    struct dib_diag *d)
{
	struct store_text *t;
	char have[80];
	int rc;

	*out = NULL;
	if ((t = calloc(1, sizeof *t)) == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	if (sqlite3_open_v2(path, &t->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		rc = dib_fail(d, DIB_EIO, "dir", "cannot open the text index "
		    "%s: %s", path, t->db ? sqlite3_errmsg(t->db) :
		    "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(t->db, 10000);
	sqlite3_extended_result_codes(t->db, 1);
	if ((rc = exec(t->db, "PRAGMA journal_mode=WAL; PRAGMA "
	    "synchronous=NORMAL; PRAGMA cache_size=-4000;" TEXT_SCHEMA, d)) !=
	    0)
		goto fail;
	owner_get(t->db, have, sizeof have);
	if (strcmp(have, owner) != 0 && (rc = reset(t->db, owner, d)) != 0)
		goto fail;
	if (sqlite3_prepare_v3(t->db, "INSERT INTO rec_text(rowid, body) "
	    "VALUES(?1, ?2)", -1, SQLITE_PREPARE_PERSISTENT, &t->ins,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(t->db, "SELECT first, last FROM covered WHERE "
	    "log = ?1 AND last >= ?2 - 1 AND first <= ?3 + 1", -1,
	    SQLITE_PREPARE_PERSISTENT, &t->near, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(t->db, "DELETE FROM covered WHERE log = ?1 AND "
	    "first = ?2", -1, SQLITE_PREPARE_PERSISTENT, &t->del, NULL) !=
	    SQLITE_OK ||
	    sqlite3_prepare_v3(t->db, "INSERT INTO covered(log, first, last) "
	    "VALUES(?1, ?2, ?3)", -1, SQLITE_PREPARE_PERSISTENT, &t->put,
	    NULL) != SQLITE_OK) {
		rc = text_err(t->db, d, "open");
		goto fail;
	}
	*out = t;
	return DIB_OK;
fail:
	store_text_close(t);
	return rc;
}

void
store_text_close(struct store_text *t)
{
	if (t == NULL)
		return;
	sqlite3_finalize(t->ins);
	sqlite3_finalize(t->near);
	sqlite3_finalize(t->del);
	sqlite3_finalize(t->put);
	sqlite3_close(t->db);
	free(t);
}

/* Note [first, last] of log covered, merged with the ranges it touches. */
static int
cover(struct store_text *t, int64_t log, int64_t first, int64_t last,
    struct dib_diag *d)
{
	int64_t starts[64];
	size_t n = 0, i;

	sqlite3_reset(t->near);
	sqlite3_bind_int64(t->near, 1, log);
	sqlite3_bind_int64(t->near, 2, first);
	sqlite3_bind_int64(t->near, 3, last);
	while (sqlite3_step(t->near) == SQLITE_ROW) {
		int64_t a = sqlite3_column_int64(t->near, 0);
		int64_t b = sqlite3_column_int64(t->near, 1);

		if (n == sizeof starts / sizeof starts[0])
			break;  /* merged on a later call */
		starts[n++] = a;
		if (a < first)
			first = a;
		if (b > last)
			last = b;
	}
	sqlite3_reset(t->near);
	for (i = 0; i < n; i++) {
		sqlite3_reset(t->del);
		sqlite3_bind_int64(t->del, 1, log);
		sqlite3_bind_int64(t->del, 2, starts[i]);
		if (sqlite3_step(t->del) != SQLITE_DONE)
			return text_err(t->db, d, "covered");
	}
	sqlite3_reset(t->put);
	sqlite3_bind_int64(t->put, 1, log);
	sqlite3_bind_int64(t->put, 2, first);
	sqlite3_bind_int64(t->put, 3, last);
	if (sqlite3_step(t->put) != SQLITE_DONE)
		return text_err(t->db, d, "covered");
	return DIB_OK;
}

/* The range of each log among v: a few logs a commit. */
struct span {
	int64_t log, first, last;
};

static int
add_items(struct store_text *t, const struct store_item *v, size_t n,
    struct dib_diag *d)
{
	struct span sp[32];
	size_t nsp = 0, i, j;
	int rc;

	for (i = 0; i < n; i++) {
		int64_t log = STORE_ENTRY_LOG(v[i].k);
		int64_t seq = STORE_ENTRY_SEQ(v[i].k);

		if (v[i].text != NULL) {
			sqlite3_reset(t->ins);
			sqlite3_bind_int64(t->ins, 1, v[i].k);
			sqlite3_bind_text(t->ins, 2, v[i].text, -1,
			    SQLITE_STATIC);
			if (sqlite3_step(t->ins) != SQLITE_DONE)
				return text_err(t->db, d, "words");
		}
		for (j = 0; j < nsp && sp[j].log != log; j++)
			;
		if (j == nsp) {
			if (nsp == sizeof sp / sizeof sp[0]) {
				/* Many logs at once (a big sync): note these
				 * and start over. */
				for (j = 0; j < nsp; j++)
					if ((rc = cover(t, sp[j].log,
					    sp[j].first, sp[j].last, d)) != 0)
						return rc;
				nsp = j = 0;
			}
			sp[nsp].log = log;
			sp[nsp].first = sp[nsp].last = seq;
			nsp++;
		}
		if (seq < sp[j].first)
			sp[j].first = seq;
		if (seq > sp[j].last)
			sp[j].last = seq;
	}
	for (j = 0; j < nsp; j++)
		if ((rc = cover(t, sp[j].log, sp[j].first, sp[j].last, d)) != 0)
			return rc;
	return DIB_OK;
}

int
store_text_add(struct store_text *t, const struct store_item *v, size_t n,
    struct dib_diag *d)
{
	int rc;

	if (n == 0)
		return DIB_OK;
	if (sqlite3_exec(t->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return text_err(t->db, d, "begin");
	if ((rc = add_items(t, v, n, d)) != 0 ||
	    (sqlite3_exec(t->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK &&
	    (rc = text_err(t->db, d, "commit")) != 0)) {
		sqlite3_exec(t->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	return DIB_OK;
}

/* Index the entries of log with seq in [first, last] from s. */
static int
fill(struct store_text *t, struct store *s, int64_t log, int64_t first,
    int64_t last, int64_t *added, struct dib_diag *d)
{
	struct store_item *v;
	sqlite3_stmt *st = NULL;
	size_t n = 0, i;
	int rc = DIB_OK;

	if ((v = calloc(CATCH_UP_BATCH, sizeof *v)) == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	if (sqlite3_prepare_v2(s->db, "SELECT k, body FROM entries WHERE k "
	    "BETWEEN ?1 AND ?2 ORDER BY k", -1, &st, NULL) != SQLITE_OK) {
		free(v);
		return store_dberr(s, d, "text index");
	}
	sqlite3_bind_int64(st, 1, STORE_ENTRY_KEY(log, first));
	sqlite3_bind_int64(st, 2, STORE_ENTRY_KEY(log, last));
	for (;;) {
		int step = sqlite3_step(st);

		if (step == SQLITE_ROW) {
			struct record r;
			struct dib_diag ignored;

			/* A record that does not read has no words here;
			 * log verify is what reports it. */
			v[n].k = sqlite3_column_int64(st, 0);
			v[n].text = NULL;
			memset(v[n].id, 0, 16);
			if (record_parse_body(sqlite3_column_blob(st, 1),
			    (size_t)sqlite3_column_bytes(st, 1), &r,
			    &ignored) == 0) {
				memcpy(v[n].id, r.id, 16);
				v[n].text = r.text;
				r.text = NULL;
				record_clear(&r);
			}
			n++;
		} else if (step != SQLITE_DONE) {
			rc = store_dberr(s, d, "text index");
			break;
		}
		if (n == CATCH_UP_BATCH || (step == SQLITE_DONE && n > 0)) {
			rc = store_text_add(t, v, n, d);
			*added += (int64_t)n;
			for (i = 0; i < n; i++)
				free(v[i].text);
			n = 0;
			if (rc != 0)
				break;
		}
		if (step == SQLITE_DONE)
			break;
	}
	for (i = 0; i < n; i++)
		free(v[i].text);
	free(v);
	sqlite3_finalize(st);
	return rc;
}

int
store_text_catch_up(struct store_text *t, struct store *s, int64_t *added,
    struct dib_diag *d)
{
	sqlite3_stmt *logs = NULL, *ranges = NULL;
	int rc = DIB_OK;

	*added = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT id, next_seq FROM logs "
	    "ORDER BY id", -1, &logs, NULL) != SQLITE_OK)
		return store_dberr(s, d, "text index");
	if (sqlite3_prepare_v2(t->db, "SELECT first, last FROM covered WHERE "
	    "log = ?1 ORDER BY first", -1, &ranges, NULL) != SQLITE_OK) {
		sqlite3_finalize(logs);
		return text_err(t->db, d, "catch up");
	}
	while (rc == 0 && sqlite3_step(logs) == SQLITE_ROW) {
		int64_t log = sqlite3_column_int64(logs, 0);
		int64_t end = sqlite3_column_int64(logs, 1) - 1, at = 1;
		int64_t gaps[64][2];
		size_t ng = 0, i;

		/* The gaps first: fill writes to the ranges read here. */
		sqlite3_reset(ranges);
		sqlite3_bind_int64(ranges, 1, log);
		while (sqlite3_step(ranges) == SQLITE_ROW && ng < 63) {
			int64_t a = sqlite3_column_int64(ranges, 0);
			int64_t b = sqlite3_column_int64(ranges, 1);

			if (a > at) {
				gaps[ng][0] = at;
				gaps[ng++][1] = a - 1 < end ? a - 1 : end;
			}
			if (b + 1 > at)
				at = b + 1;
		}
		sqlite3_reset(ranges);
		if (at <= end) {
			gaps[ng][0] = at;
			gaps[ng++][1] = end;
		}
		for (i = 0; i < ng && rc == 0; i++)
			if (gaps[i][0] <= gaps[i][1])
				rc = fill(t, s, log, gaps[i][0], gaps[i][1],
				    added, d);
	}
	sqlite3_finalize(logs);
	sqlite3_finalize(ranges);
	return rc;
}

/* s's connection to the index beside its database, opened on first use. */
static int
reader(struct store *s, sqlite3 **out, struct dib_diag *d)
{
	const char *main = sqlite3_db_filename(s->db, "main");
	const char *slash;
	char path[4200];

	*out = s->textdb;
	if (s->textdb != NULL)
		return DIB_OK;
	if (main == NULL || *main == '\0' || (slash = strrchr(main, '/')) ==
	    NULL)
		return dib_fail(d, DIB_EINVAL, "q", "this database has no "
		    "text index");
	snprintf(path, sizeof path, "%.*s/%s", (int)(slash - main), main,
	    STORE_TEXT_DB);
	if (sqlite3_open_v2(path, &s->textdb, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		int rc = dib_fail(d, DIB_EIO, "q", "cannot open the text index "
		    "%s: %s", path, s->textdb ? sqlite3_errmsg(s->textdb) :
		    "out of memory");

		sqlite3_close(s->textdb);
		s->textdb = NULL;
		return rc;
	}
	sqlite3_busy_timeout(s->textdb, 10000);
	*out = s->textdb;
	return DIB_OK;
}

static int
cmp_key(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int
store_text_search(struct store *s, const char *match, int64_t **keys,
    size_t *n, struct dib_diag *d)
{
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int rc, step;

	*keys = NULL;
	*n = 0;
	if ((rc = reader(s, &db, d)) != 0)
		return rc;
	if (sqlite3_prepare_v2(db, "SELECT rowid FROM rec_text WHERE "
	    "rec_text MATCH ?1", -1, &st, NULL) != SQLITE_OK)
		return text_err(db, d, "search");
	sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			int64_t *nk;

			cap = cap ? cap * 2 : 256;
			if ((nk = realloc(*keys, cap * sizeof *nk)) == NULL) {
				rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
				break;
			}
			*keys = nk;
		}
		(*keys)[(*n)++] = sqlite3_column_int64(st, 0);
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = text_err(db, d, "search");
	sqlite3_finalize(st);
	if (rc == 0 && *n > 1)
		qsort(*keys, *n, sizeof **keys, cmp_key);
	return rc;
}
