/*
** The audit trail: an append-only, hash-chained table. Triggers refuse
** edits made through SQL; audit_verify finds those made any other way.
*/
#include "audit/audit.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "util/util.h"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS audit(\n"
    "  seq INTEGER PRIMARY KEY,\n"
    "  at INTEGER NOT NULL,\n"
    "  actor TEXT NOT NULL,\n"
    "  addr TEXT NOT NULL DEFAULT '',\n"
    "  action TEXT NOT NULL,\n"
    "  target TEXT NOT NULL DEFAULT '',\n"
    "  result TEXT NOT NULL,\n"
    "  detail TEXT NOT NULL DEFAULT '',\n"
    "  prev BLOB NOT NULL,\n"
    "  hash BLOB NOT NULL);\n"
    "CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit\n"
    "BEGIN SELECT RAISE(ABORT, 'audit rows cannot be changed'); END;\n"
    "CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit\n"
    "BEGIN SELECT RAISE(ABORT, 'audit rows cannot be deleted'); END;\n"
    /* INSERT OR REPLACE deletes without firing the delete trigger. */
    "CREATE TRIGGER IF NOT EXISTS audit_append_only BEFORE INSERT ON audit\n"
    "WHEN NEW.seq IS NULL OR NEW.seq <= "
    "(SELECT coalesce(max(seq), 0) FROM audit)\n"
    "BEGIN SELECT RAISE(ABORT, 'audit rows are only appended'); END;\n";

int
audit_schema(struct store *s, struct dib_diag *d)
{
	if (store_count(s, "SELECT count(*) FROM sqlite_schema WHERE name IN "
	    "('audit', 'audit_no_update', 'audit_no_delete', "
	    "'audit_append_only')") == 4)
		return DIB_OK;
	return store_exec(s, schema, d);
}

/* ---- the row hash ---- */

enum { F_ACTOR, F_ADDR, F_ACTION, F_TARGET, F_RESULT, F_DETAIL, F_COUNT };

static const char *const field_names[F_COUNT] = {
	"actor", "addr", "action", "target", "result", "detail"
};

struct text {
	const char *p;
	size_t n;
};

static void
be(uint8_t *out, uint64_t v, int bytes)
{
	int i;

	for (i = 0; i < bytes; i++)
		out[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
}

static void
row_hash(const uint8_t prev[32], int64_t seq, int64_t at,
    const struct text f[F_COUNT], uint8_t out[32])
{
	crypto_generichash_state h;
	uint8_t num[8];
	int i;

	crypto_generichash_init(&h, NULL, 0, 32);
	crypto_generichash_update(&h, prev, 32);
	be(num, (uint64_t)seq, 8);
	crypto_generichash_update(&h, num, 8);
	be(num, (uint64_t)at, 8);
	crypto_generichash_update(&h, num, 8);
	for (i = 0; i < F_COUNT; i++) {
		be(num, (uint64_t)f[i].n, 4);
		crypto_generichash_update(&h, num, 4);
		crypto_generichash_update(&h, (const unsigned char *)f[i].p,
		    f[i].n);
	}
	crypto_generichash_final(&h, out, 32);
}

/* ---- append ---- */

static int
check_text(int which, const char *s, struct dib_diag *d)
{
	size_t n = strlen(s), max = which == F_DETAIL ? AUDIT_DETAIL_MAX :
	    AUDIT_FIELD_MAX;
	const unsigned char *p;

	if (n > max)
		return dib_fail(d, DIB_EINVAL, field_names[which], "must be at "
		    "most %zu bytes, got %zu", max, n);
	if (!util_utf8_valid(s, n))
		return dib_fail(d, DIB_EINVAL, field_names[which],
		    "is not valid UTF-8");
	for (p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 || *p == 0x7f) && !(which == F_DETAIL &&
		    (*p == '\t' || *p == '\n')))
			return dib_fail(d, DIB_EINVAL, field_names[which],
			    "contains a control character");
	return DIB_OK;
}

static int
is_result(const char *r)
{
	return strcmp(r, "ok") == 0 || strcmp(r, "denied") == 0 ||
	    strcmp(r, "failed") == 0 || strcmp(r, "error") == 0;
}

int
audit_append(struct store *s, int64_t now, const char *actor,
    const char *addr, const char *action, const char *target,
    const char *result, const char *detail, struct dib_diag *d)
{
	const char *v[F_COUNT] = {actor, addr, action, target, result, detail};
	struct text f[F_COUNT];
	uint8_t prev[32] = {0}, hash[32];
	sqlite3_stmt *st = NULL;
	int64_t seq = 1;
	int i, rc, own, step;

	for (i = 0; i < F_COUNT; i++) {
		if (v[i] == NULL)
			v[i] = "";
		if ((rc = check_text(i, v[i], d)) != 0)
			return rc;
		f[i].p = v[i];
		f[i].n = strlen(v[i]);
	}
	if (f[F_ACTOR].n == 0 || f[F_ACTION].n == 0)
		return dib_fail(d, DIB_EINVAL, f[F_ACTOR].n ? "action" :
		    "actor", "is required");
	if (!is_result(v[F_RESULT]))
		return dib_fail(d, DIB_EINVAL, "result", "must be ok, denied, "
		    "failed or error, got \"%.20s\"", v[F_RESULT]);

	/* The last row and the new one in one write transaction, so that
	 * two writers cannot chain to the same row. */
	own = sqlite3_get_autocommit(s->db) != 0;
	if ((rc = store_run(s, own ? "BEGIN IMMEDIATE" :
	    "SAVEPOINT audit_append", d)) != 0)
		return rc;
	/* Kept prepared (store_stmt_sql): a row goes with every write. */
	if ((st = store_stmt_sql(s, "SELECT seq, hash FROM audit ORDER BY "
	    "seq DESC LIMIT 1")) == NULL) {
		rc = store_dberr(s, d, "audit");
		goto out;
	}
	if ((step = sqlite3_step(st)) == SQLITE_ROW) {
		seq = sqlite3_column_int64(st, 0) + 1;
		/* A damaged last row (audit_verify names it) leaves prev
		 * zero. */
		if (sqlite3_column_bytes(st, 1) == 32)
			memcpy(prev, sqlite3_column_blob(st, 1), 32);
	} else if (step != SQLITE_DONE) {
		rc = store_dberr(s, d, "audit");
		goto out;
	}
	sqlite3_reset(st);
	st = NULL;
	row_hash(prev, seq, now, f, hash);
	if ((st = store_stmt_sql(s, "INSERT INTO audit(seq, at, actor, addr, "
	    "action, target, result, detail, prev, hash) VALUES(?1, ?2, ?3, "
	    "?4, ?5, ?6, ?7, ?8, ?9, ?10)")) == NULL) {
		rc = store_dberr(s, d, "audit");
		goto out;
	}
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_int64(st, 2, now);
	for (i = 0; i < F_COUNT; i++)
		sqlite3_bind_text(st, 3 + i, f[i].p, (int)f[i].n,
		    SQLITE_STATIC);
	sqlite3_bind_blob(st, 9, prev, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 10, hash, 32, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_dberr(s, d, "audit");
out:
	if (st != NULL)
		sqlite3_reset(st);
	if (own) {
		if (rc == 0)
			rc = store_run(s, "COMMIT", d);
		if (rc != 0 && !sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	} else {
		if (rc != 0)
			store_run(s, "ROLLBACK TO audit_append", NULL);
		store_run(s, "RELEASE audit_append", NULL);
	}
	return rc;
}

char *
audit_clip(char *out, size_t n, const char *in)
{
	const unsigned char *p = (const unsigned char *)(in ? in : "");
	size_t o = 0, len;

	if (n == 0)
		return out;
	while (*p != '\0') {
		/* The length of the character at p, 0 for a bad byte. */
		if (*p < 0x80)
			len = 1;
		else if (*p >= 0xc2 && *p <= 0xdf)
			len = 2;
		else if (*p >= 0xe0 && *p <= 0xef)
			len = 3;
		else if (*p >= 0xf0 && *p <= 0xf4)
			len = 4;
		else
			len = 0;
		if (len > 1 && (strnlen((const char *)p, len) < len ||
		    !util_utf8_valid((const char *)p, len)))
			len = 0;
		if (o + (len ? len : 1) > n - 1)
			break;
		if (len == 0 || (len == 1 && (*p < 0x20 || *p == 0x7f))) {
			out[o++] = '?';
			p++;
			continue;
		}
		memmove(out + o, p, len);      /* out may be in */
		o += len;
		p += len;
	}
	out[o] = '\0';
	return out;
}

/* ---- verify ---- */

int
audit_verify(struct store *s, struct audit_report *rep, struct dib_diag *d)
{
	sqlite3_stmt *st = NULL;
	struct text f[F_COUNT];
	uint8_t last[32] = {0}, hash[32];
	int64_t seq, expect = 1;
	int i, rc = DIB_OK, step;

	memset(rep, 0, sizeof *rep);
	if (sqlite3_prepare_v2(s->db, "SELECT seq, at, actor, addr, action, "
	    "target, result, detail, prev, hash FROM audit ORDER BY seq", -1,
	    &st, NULL) != SQLITE_OK)
		return store_dberr(s, d, "audit");
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		seq = sqlite3_column_int64(st, 0);
		/* The chain first: a row moved or missing shows there. */
		if (seq != expect || sqlite3_column_bytes(st, 8) != 32 ||
		    sodium_memcmp(sqlite3_column_blob(st, 8), last, 32) != 0) {
			rc = dib_fail(d, DIB_ETAMPER, "audit", "audit row %lld: "
			    "chain broken (rows missing or reordered)",
			    (long long)seq);
			goto out;
		}
		for (i = 0; i < F_COUNT; i++) {
			f[i].p = (const char *)sqlite3_column_text(st, 2 + i);
			f[i].n = (size_t)sqlite3_column_bytes(st, 2 + i);
			if (f[i].p == NULL)
				f[i].p = "";
		}
		row_hash(last, seq, sqlite3_column_int64(st, 1), f, hash);
		if (sqlite3_column_bytes(st, 9) != 32 ||
		    sodium_memcmp(sqlite3_column_blob(st, 9), hash, 32) != 0) {
			rc = dib_fail(d, DIB_ETAMPER, "audit", "audit row %lld: "
			    "hash does not match its content", (long long)seq);
			goto out;
		}
		memcpy(last, hash, 32);
		rep->rows++;
		expect = seq + 1;
	}
	if (step != SQLITE_DONE)
		rc = store_dberr(s, d, "audit");
	memcpy(rep->head, last, 32);
out:
	sqlite3_finalize(st);
	return rc;
}

/* ---- list ---- */

/* A JSON string of a column, made valid if the file was altered. */
static json_t *
jtext(sqlite3_stmt *st, int col)
{
	const char *p = (const char *)sqlite3_column_text(st, col);
	size_t n = (size_t)sqlite3_column_bytes(st, col);
	char fixed[AUDIT_DETAIL_MAX + 1];
	json_t *j;

	if (p == NULL)
		return json_string("");
	if ((j = json_stringn(p, n)) != NULL)
		return j;
	return json_string(audit_clip(fixed, sizeof fixed, p));
}

int
audit_list(struct store *s, const struct audit_query *q, json_t **out,
    struct dib_diag *d)
{
	char sql[512], ts[40];
	sqlite3_stmt *st = NULL;
	size_t limit = q->limit ? q->limit : AUDIT_LIST_DEFAULT;
	json_t *arr = NULL, *row;
	int rc = DIB_OK, step;
	size_t o;

	*out = NULL;
	if (limit > AUDIT_LIST_MAX)
		return dib_fail(d, DIB_EINVAL, "limit", "must be at most %d, "
		    "got %zu", AUDIT_LIST_MAX, limit);
	o = (size_t)snprintf(sql, sizeof sql, "SELECT seq, at, actor, addr, "
	    "action, target, result, detail FROM audit WHERE 1");
	if (q->has_from)
		o += (size_t)snprintf(sql + o, sizeof sql - o, " AND at >= ?1");
	if (q->has_to)
		o += (size_t)snprintf(sql + o, sizeof sql - o, " AND at <= ?2");
	if (q->actor != NULL)
		o += (size_t)snprintf(sql + o, sizeof sql - o, " AND actor = ?3");
	if (q->action != NULL)
		o += (size_t)snprintf(sql + o, sizeof sql - o,
		    " AND action = ?4");
	if (q->after_seq > 0)
		snprintf(sql + o, sizeof sql - o, " AND seq > ?5 ORDER BY seq "
		    "LIMIT ?6");
	else
		snprintf(sql + o, sizeof sql - o, " ORDER BY seq DESC LIMIT ?6");
	if ((arr = json_array()) == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		rc = store_dberr(s, d, "audit");
		goto out;
	}
	sqlite3_bind_int64(st, 1, q->from);
	sqlite3_bind_int64(st, 2, q->to);
	if (q->actor != NULL)
		sqlite3_bind_text(st, 3, q->actor, -1, SQLITE_STATIC);
	if (q->action != NULL)
		sqlite3_bind_text(st, 4, q->action, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, q->after_seq);
	sqlite3_bind_int64(st, 6, (int64_t)limit);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		util_time_format(sqlite3_column_int64(st, 1), ts, sizeof ts);
		row = json_pack("{s:I, s:s, s:o, s:o, s:o, s:o, s:o, s:o}",
		    "seq", (json_int_t)sqlite3_column_int64(st, 0), "at", ts,
		    "actor", jtext(st, 2), "addr", jtext(st, 3), "action",
		    jtext(st, 4), "target", jtext(st, 5), "result", jtext(st, 6),
		    "detail", jtext(st, 7));
		if (row == NULL || json_array_append_new(arr, row) != 0) {
			rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
			goto out;
		}
	}
	if (step != SQLITE_DONE) {
		rc = store_dberr(s, d, "audit");
		goto out;
	}
	*out = arr;
	arr = NULL;
out:
	sqlite3_finalize(st);
	json_decref(arr);
	return rc;
}
