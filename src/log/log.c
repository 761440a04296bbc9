/*
** Appending signed blocks to logs, and verifying them.
**
** Block header, all integers big-endian:
**   "DIBB" | version (1) | audience length (1) | audience (ASCII) |
**   origin public key (32) | first seq (8) | count (4) | created ms (8) |
**   previous block hash (32) | records hash (32)
** The origin signs the header with Ed25519; a block's hash is
** BLAKE2b-256(header || signature); the records hash is BLAKE2b-256 over
** every record as a 4-byte length followed by its bytes.
*/
#include "log/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log/record.h"
#include "store/project.h"
#include "util/util.h"

static const uint8_t magic[4] = {'D', 'I', 'B', 'B'};

static uint8_t *
put64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--)
		*p++ = (uint8_t)(v >> (8 * i));
	return p;
}

static uint64_t
get64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

size_t
log_header_encode(const struct log_header *h, uint8_t *out)
{
	uint8_t *p = out;
	size_t alen = strlen(h->audience);

	memcpy(p, magic, 4);
	p += 4;
	*p++ = 1;
	*p++ = (uint8_t)alen;
	memcpy(p, h->audience, alen);
	p += alen;
	memcpy(p, h->origin, 32);
	p += 32;
	p = put64(p, h->first_seq);
	*p++ = (uint8_t)(h->count >> 24);
	*p++ = (uint8_t)(h->count >> 16);
	*p++ = (uint8_t)(h->count >> 8);
	*p++ = (uint8_t)h->count;
	p = put64(p, (uint64_t)h->created);
	memcpy(p, h->prev, 32);
	p += 32;
	memcpy(p, h->records, 32);
	p += 32;
	return (size_t)(p - out);
}

int
log_header_decode(const uint8_t *p, size_t n, struct log_header *h)
{
	size_t alen;

	memset(h, 0, sizeof *h);
	if (n < 6 || memcmp(p, magic, 4) != 0 || p[4] != 1)
		return DIB_EINVAL;
	alen = p[5];
	if (alen == 0 || alen >= sizeof h->audience ||
	    n != 6 + alen + 32 + 8 + 4 + 8 + 32 + 32)
		return DIB_EINVAL;
	memcpy(h->audience, p + 6, alen);
	h->audience[alen] = '\0';
	p += 6 + alen;
	memcpy(h->origin, p, 32);
	p += 32;
	h->first_seq = get64(p);
	p += 8;
	h->count = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
	p += 4;
	h->created = (int64_t)get64(p);
	p += 8;
	memcpy(h->prev, p, 32);
	memcpy(h->records, p + 32, 32);
	return DIB_OK;
}

static void
hash_record(crypto_generichash_state *st, const unsigned char *body,
    size_t len)
{
	uint8_t l[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16),
	    (uint8_t)(len >> 8), (uint8_t)len};

	crypto_generichash_update(st, l, 4);
	crypto_generichash_update(st, body, len);
}

static void
block_hash(const uint8_t *hdr, size_t hlen, const uint8_t sig[64],
    uint8_t out[32])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, hdr, hlen);
	crypto_generichash_update(&st, sig, 64);
	crypto_generichash_final(&st, out, 32);
}

/* Find or create the log (origin, audience); its next seq and head. */
static int
open_log(struct store *s, int64_t origin, const char *audience,
    int64_t *log, uint64_t *next, uint8_t head[32], struct dib_diag *d)
{
	sqlite3_stmt *st = store_stmt(s, ST_LOG_FIND);

	if (st == NULL)
		return store_dberr(s, d, "log");
	sqlite3_bind_int64(st, 1, origin);
	sqlite3_bind_text(st, 2, audience, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*log = sqlite3_column_int64(st, 0);
		*next = (uint64_t)sqlite3_column_int64(st, 1);
		memset(head, 0, 32);
		if (sqlite3_column_bytes(st, 2) == 32)
			memcpy(head, sqlite3_column_blob(st, 2), 32);
		sqlite3_reset(st);
		return DIB_OK;
	}
	sqlite3_reset(st);
	st = store_stmt(s, ST_LOG_INSERT);
	sqlite3_bind_int64(st, 1, origin);
	sqlite3_bind_text(st, 2, audience, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_dberr(s, d, "log");
	*log = sqlite3_last_insert_rowid(s->db);
	*next = 1;
	memset(head, 0, 32);
	return DIB_OK;
}

/*
** Write recs[idx[0..n)] as one block of log; rhash is their records hash
** (log_prepare).
*/
static int
write_block(struct store *s, const struct log_signer *k, int64_t log,
    uint64_t *next, uint8_t head[32], const char *audience,
    struct record *recs, const size_t *idx, size_t n,
    const uint8_t rhash[32], int64_t now, struct dib_diag *d)
{
	struct log_header h;
	uint8_t hdr[LOG_HEADER_MAX], sig[64], hash[32];
	sqlite3_stmt *st;
	size_t i, hlen;
	int prec = 3, rc;

	memset(&h, 0, sizeof h);
	memcpy(h.origin, k->pk, 32);
	snprintf(h.audience, sizeof h.audience, "%s", audience);
	h.first_seq = *next;
	h.count = (uint32_t)n;
	h.created = now;
	memcpy(h.prev, head, 32);
	for (i = 0; i < n; i++)
		if (recs[idx[i]].prec < prec)
			prec = recs[idx[i]].prec;
	memcpy(h.records, rhash, 32);
	hlen = log_header_encode(&h, hdr);
	crypto_sign_detached(sig, NULL, hdr, hlen, k->sk);
	block_hash(hdr, hlen, sig, hash);

	if ((st = store_stmt(s, ST_BLOCK_INSERT)) == NULL)
		return store_dberr(s, d, "block");
	sqlite3_bind_int64(st, 1, log);
	sqlite3_bind_int64(st, 2, (int64_t)h.first_seq);
	sqlite3_bind_int64(st, 3, (int64_t)n);
	sqlite3_bind_blob(st, 4, hdr, (int)hlen, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, sig, 64, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, hash, 32, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, prec);
	sqlite3_bind_int64(st, 8, now);
	if (sqlite3_step(st) != SQLITE_DONE)
		return store_dberr(s, d, "block");
	for (i = 0; i < n; i++) {
		struct record *r = &recs[idx[i]];
		int64_t seq = (int64_t)h.first_seq + (int64_t)i;

		if ((rc = store_project(s, log, seq, r, 1, d)) != 0)
			return rc;
	}
	*next += n;
	memcpy(head, hash, 32);
	return DIB_OK;
}

/*
** Order idx so that records of one audience are together, keeping their
** order: a counting pass over the few distinct audiences of a batch.
*/
static int
group_by_audience(const struct record *recs, size_t n, size_t *idx)
{
	const char *aud[UTIL_AUDIENCE_MAX * 4];
	size_t count[UTIL_AUDIENCE_MAX * 4], start[UTIL_AUDIENCE_MAX * 4];
	unsigned char *which;
	size_t na = 0, i, a;

	if ((which = malloc(n)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		for (a = 0; a < na && strcmp(aud[a], recs[i].audience); a++)
			;
		if (a == na) {
			if (na == sizeof aud / sizeof aud[0]) {
				free(which);
				return -1;
			}
			aud[na] = recs[i].audience;
			count[na++] = 0;
		}
		which[i] = (unsigned char)a;
		count[a]++;
	}
	for (a = 0, start[0] = 0; a + 1 < na; a++)
		start[a + 1] = start[a] + count[a];
	for (i = 0; i < n; i++)
		idx[start[which[i]]++] = i;
	free(which);
	return 0;
}

void
log_prep_free(struct log_prep *p)
{
	if (p == NULL)
		return;
	free(p->idx);
	free(p->count);
	free(p->hash);
	memset(p, 0, sizeof *p);
}

int
log_prepare(const struct record *recs, size_t n, struct log_prep *p,
    struct dib_diag *d)
{
	size_t i, start, nb = 0;

	memset(p, 0, sizeof *p);
	if (n == 0)
		return DIB_OK;
	for (i = 0; i < n; i++)
		if (recs[i].body == NULL || recs[i].audience[0] == '\0')
			return dib_fail(d, DIB_EINVAL, "", "record %zu is not "
			    "encoded", i);
	/* At most one block per record: sized for the worst case. */
	if ((p->idx = malloc(n * sizeof *p->idx)) == NULL ||
	    (p->count = malloc(n * sizeof *p->count)) == NULL ||
	    (p->hash = malloc(n * sizeof *p->hash)) == NULL) {
		log_prep_free(p);
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	}
	if (group_by_audience(recs, n, p->idx) != 0) {
		log_prep_free(p);
		return dib_fail(d, DIB_ETOOBIG, "audience", "more than %d "
		    "different audiences in one append",
		    UTIL_AUDIENCE_MAX * 4);
	}
	for (start = 0; start < n;) {
		const char *aud = recs[p->idx[start]].audience;
		size_t end = start;

		while (end < n && strcmp(recs[p->idx[end]].audience, aud) == 0)
			end++;
		while (start < end) {
			crypto_generichash_state hs;
			size_t m = 0, bytes = 0;

			while (start + m < end && m < LOG_MAX_BLOCK_RECORDS &&
			    (m == 0 || bytes + recs[p->idx[start + m]].body_len <=
			    LOG_MAX_BLOCK_BYTES))
				bytes += recs[p->idx[start + m++]].body_len;
			crypto_generichash_init(&hs, NULL, 0, 32);
			for (i = start; i < start + m; i++)
				hash_record(&hs, recs[p->idx[i]].body,
				    recs[p->idx[i]].body_len);
			crypto_generichash_final(&hs, p->hash[nb], 32);
			p->count[nb++] = m;
			start += m;
		}
	}
	p->nblocks = nb;
	return DIB_OK;
}

int
log_append_prepared(struct store *s, const struct log_signer *k,
    struct record *recs, size_t n, const struct log_prep *p,
    struct dib_diag *d)
{
	size_t start, b = 0, mark;
	int64_t now = util_now_ms();
	int rc = DIB_OK;

	if (n == 0)
		return DIB_OK;
	mark = store_pend_mark(s);
	if ((rc = store_exec(s, "SAVEPOINT log_append", d)) != 0)
		return rc;
	for (start = 0; start < n && rc == 0;) {
		const char *aud = recs[p->idx[start]].audience;
		uint8_t head[32];
		uint64_t next = 1;
		int64_t log = -1;

		if ((rc = open_log(s, k->origin, aud, &log, &next, head, d)) !=
		    0)
			break;
		/* The blocks of this audience, as log_prepare cut them. */
		while (rc == 0 && start < n && b < p->nblocks &&
		    strcmp(recs[p->idx[start]].audience, aud) == 0) {
			rc = write_block(s, k, log, &next, head, aud, recs,
			    p->idx + start, p->count[b], p->hash[b], now, d);
			start += p->count[b++];
		}
		if (rc == 0) {
			sqlite3_stmt *st = store_stmt(s, ST_LOG_ADVANCE);

			sqlite3_bind_int64(st, 1, log);
			sqlite3_bind_int64(st, 2, (int64_t)next);
			sqlite3_bind_blob(st, 3, head, 32, SQLITE_STATIC);
			if (sqlite3_step(st) != SQLITE_DONE)
				rc = store_dberr(s, d, "log");
		}
	}
	if (rc != 0) {
		sqlite3_exec(s->db, "ROLLBACK TO log_append; RELEASE log_append",
		    NULL, NULL, NULL);
		store_pend_unwind(s, mark);
		store_cache_reset(s);
		return rc;
	}
	if (sqlite3_exec(s->db, "RELEASE log_append", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		rc = store_dberr(s, d, "commit");
		store_rollback(s);
	}
	return rc;
}

int
log_append(struct store *s, const struct log_signer *k, struct record *recs,
    size_t n, struct dib_diag *d)
{
	struct log_prep p;
	int rc;

	if ((rc = log_prepare(recs, n, &p, d)) != 0)
		return rc;
	rc = log_append_prepared(s, k, recs, n, &p, d);
	log_prep_free(&p);
	return rc;
}

/* ---- verification ---- */

struct logrow {
	int64_t id;
	uint8_t origin[32];
	char name[200];
	char audience[64];
	int64_t next_seq;
	int has_head;
	uint8_t head[32];
};

static int
tamper(struct dib_diag *d, const struct logrow *l, int64_t blockno,
    int64_t first, int64_t count, const char *what)
{
	char hex[65];

	util_hex(l->origin, 4, hex);
	if (blockno > 0)
		return dib_fail(d, DIB_ETAMPER, "log",
		    "log %s/%s (origin \"%s\") block %lld (seq %lld-%lld): %s",
		    hex, l->audience, l->name, (long long)blockno,
		    (long long)first, (long long)(first + count - 1), what);
	return dib_fail(d, DIB_ETAMPER, "log", "log %s/%s (origin \"%s\"): %s",
	    hex, l->audience, l->name, what);
}

static int
verify_log(struct store *s, const struct logrow *l,
    struct log_verify_report *rep, void (*progress)(void *, int64_t,
    int64_t), void *arg, int64_t total, struct dib_diag *d)
{
	sqlite3_stmt *bs = NULL, *es = NULL;
	uint8_t prev[32] = {0}, hash[32], rh[32];
	int64_t expect = 1, blockno = 0;
	int rc = DIB_OK;

	if (sqlite3_prepare_v2(s->db, "SELECT first_seq, count, header, sig, "
	    "hash FROM blocks WHERE log = ?1 ORDER BY first_seq", -1, &bs,
	    NULL) != SQLITE_OK || sqlite3_prepare_v2(s->db, "SELECT k & "
	    "0xffffffffff, body FROM entries WHERE k >= ?1 AND k < ?2 "
	    "ORDER BY k", -1, &es, NULL) != SQLITE_OK) {
		rc = store_dberr(s, d, "verify");
		goto out;
	}
	sqlite3_bind_int64(bs, 1, l->id);
	while (sqlite3_step(bs) == SQLITE_ROW) {
		int64_t first = sqlite3_column_int64(bs, 0);
		int64_t count = sqlite3_column_int64(bs, 1);
		const uint8_t *hdr = sqlite3_column_blob(bs, 2);
		size_t hlen = (size_t)sqlite3_column_bytes(bs, 2);
		const uint8_t *sig = sqlite3_column_blob(bs, 3);
		struct log_header h;
		crypto_generichash_state hs;
		int64_t seq = first, got = 0;

		blockno++;
		if (log_header_decode(hdr, hlen, &h) != 0) {
			rc = tamper(d, l, blockno, first, count,
			    "malformed block header");
			goto out;
		}
		if (memcmp(h.origin, l->origin, 32) != 0 ||
		    strcmp(h.audience, l->audience) != 0 ||
		    (int64_t)h.first_seq != first || (int64_t)h.count != count) {
			rc = tamper(d, l, blockno, first, count,
			    "block header does not match its place");
			goto out;
		}
		if (first != expect) {
			rc = tamper(d, l, blockno, first, count,
			    "sequence gap or overlap");
			goto out;
		}
		if (memcmp(h.prev, prev, 32) != 0) {
			rc = tamper(d, l, blockno, first, count,
			    "broken hash chain (previous block hash differs)");
			goto out;
		}
		if (sqlite3_column_bytes(bs, 3) != 64 ||
		    crypto_sign_verify_detached(sig, hdr, hlen, l->origin) != 0)
		{
			rc = tamper(d, l, blockno, first, count,
			    "bad signature");
			goto out;
		}
		crypto_generichash_init(&hs, NULL, 0, 32);
		sqlite3_reset(es);
		sqlite3_bind_int64(es, 1, STORE_ENTRY_KEY(l->id, first));
		sqlite3_bind_int64(es, 2, STORE_ENTRY_KEY(l->id, first + count));
		while (sqlite3_step(es) == SQLITE_ROW) {
			if (sqlite3_column_int64(es, 0) != seq++)
				break;
			hash_record(&hs, sqlite3_column_blob(es, 1),
			    (size_t)sqlite3_column_bytes(es, 1));
			got++;
		}
		if (got != count) {
			rc = tamper(d, l, blockno, first, count,
			    "records missing from the block");
			goto out;
		}
		crypto_generichash_final(&hs, rh, 32);
		if (memcmp(rh, h.records, 32) != 0) {
			rc = tamper(d, l, blockno, first, count,
			    "records hash mismatch (a record was altered)");
			goto out;
		}
		block_hash(hdr, hlen, sig, hash);
		if (sqlite3_column_bytes(bs, 4) != 32 ||
		    memcmp(hash, sqlite3_column_blob(bs, 4), 32) != 0) {
			rc = tamper(d, l, blockno, first, count,
			    "stored block hash differs");
			goto out;
		}
		memcpy(prev, hash, 32);
		expect += count;
		rep->blocks++;
		rep->records += count;
		if (progress && blockno % 16 == 0)
			progress(arg, rep->records, total);
	}
	if (l->next_seq != expect ||
	    (blockno > 0 && (!l->has_head || memcmp(prev, l->head, 32))) ||
	    (blockno == 0 && l->has_head)) {
		rc = tamper(d, l, 0, 0, 0,
		    "log head or next sequence does not match its blocks");
		goto out;
	}
out:
	sqlite3_finalize(bs);
	sqlite3_finalize(es);
	return rc;
}

/* Rebuild the projection in a scratch store and compare. */
static int
verify_projection(struct store *s, struct log_verify_report *rep,
    struct dib_diag *d)
{
	static const char *const compare[][2] = {
	    {"entries", "SELECT e.k, e.id, e.state, c.id, e.prec, e.t, e.day, "
	     "e.zkey, e.patrol FROM %s.entries e JOIN %s.categories c ON "
	     "c.code = e.cat"},
	    {"rec_link", "SELECT old, origin, new, kind FROM %s.rec_link"},
	    {"rec_box", "SELECT k, minx, maxx, miny, maxy FROM %s.rec_box"},
	};
	struct store *m = NULL;
	sqlite3_stmt *st = NULL;
	char sql[2048], path[4096];
	const char *file;
	int rc, i;

	file = sqlite3_db_filename(s->db, "main");
	if (file == NULL || *file == '\0')
		return DIB_OK; /* A scratch store has nothing to compare. */
	if ((rc = store_open(":memory:", 1, &m, d)) != 0)
		return rc;
	{
		char *q = sqlite3_mprintf("ATTACH %Q AS node", file);

		snprintf(path, sizeof path, "%s", q ? q : "");
		sqlite3_free(q);
	}
	if ((rc = store_exec(m, path, d)) != 0 ||
	    (rc = store_exec(m, "BEGIN;"
	    "INSERT INTO main.origins SELECT * FROM node.origins;"
	    "INSERT INTO main.logs SELECT * FROM node.logs", d)) != 0)
		goto out;
	/* In the order they were stored: blocks as received, records in
	 * sequence. */
	if (sqlite3_prepare_v2(m->db, "SELECT e.k, e.body FROM node.blocks b "
	    "JOIN node.entries e ON e.k >= (b.log << 40) + b.first_seq AND "
	    "e.k < (b.log << 40) + b.first_seq + b.count "
	    "ORDER BY b.received_at, e.k", -1, &st, NULL) != SQLITE_OK) {
		rc = store_dberr(m, d, "verify");
		goto out;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct record r;
		int64_t k = sqlite3_column_int64(st, 0);

		if (record_parse_body(sqlite3_column_blob(st, 1),
		    (size_t)sqlite3_column_bytes(st, 1), &r, d) != 0) {
			char why[sizeof d->msg + sizeof d->field + 4];

			dib_diag_str(d, why, sizeof why);
			rc = dib_fail(d, DIB_ETAMPER, "log", "log %lld seq %lld: "
			    "unreadable record: %.300s",
			    (long long)STORE_ENTRY_LOG(k),
			    (long long)STORE_ENTRY_SEQ(k), why);
			goto out;
		}
		r.body = (unsigned char *)sqlite3_column_blob(st, 1);
		r.body_len = (size_t)sqlite3_column_bytes(st, 1);
		rc = store_project(m, STORE_ENTRY_LOG(k), STORE_ENTRY_SEQ(k),
		    &r, 0, d);
		r.body = NULL;
		record_clear(&r);
		if (rc != 0)
			goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	for (i = 0; i < 3; i++) {
		char a[300], b[300];
		int64_t diff;

		snprintf(a, sizeof a, compare[i][1], "main", "main");
		snprintf(b, sizeof b, compare[i][1], "node", "node");
		snprintf(sql, sizeof sql, "SELECT (SELECT count(*) FROM (%s "
		    "EXCEPT %s)) + (SELECT count(*) FROM (%s EXCEPT %s))", a, b,
		    b, a);
		diff = store_count(m, sql);
		if (diff != 0) {
			rc = dib_fail(d, DIB_ETAMPER, "projection",
			    "the projection (%s) differs from the logs in %lld "
			    "row(s)", compare[i][0], (long long)diff);
			goto out;
		}
	}
	rep->current = store_count(m, "SELECT count(*) FROM main.entries "
	    "WHERE state = 0");
out:
	sqlite3_finalize(st);
	store_close(m);
	return rc;
}

int
log_verify(struct store *s, struct log_verify_report *rep,
    void (*progress)(void *, int64_t, int64_t), void *arg,
    struct dib_diag *d)
{
	sqlite3_stmt *st = NULL;
	int64_t total, held;
	int rc = DIB_OK;

	memset(rep, 0, sizeof *rep);
	total = store_count(s, "SELECT count(*) FROM entries");
	if ((rc = store_exec(s, "BEGIN", d)) != 0)
		return rc;
	if (sqlite3_prepare_v2(s->db, "SELECT l.id, o.pubkey, o.name, "
	    "l.audience, l.next_seq, l.head FROM logs l JOIN origins o ON "
	    "o.id = l.origin ORDER BY l.id", -1, &st, NULL) != SQLITE_OK) {
		rc = store_dberr(s, d, "verify");
		goto out;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct logrow l;

		memset(&l, 0, sizeof l);
		l.id = sqlite3_column_int64(st, 0);
		if (sqlite3_column_bytes(st, 1) == 32)
			memcpy(l.origin, sqlite3_column_blob(st, 1), 32);
		snprintf(l.name, sizeof l.name, "%s",
		    (const char *)sqlite3_column_text(st, 2));
		snprintf(l.audience, sizeof l.audience, "%s",
		    (const char *)sqlite3_column_text(st, 3));
		l.next_seq = sqlite3_column_int64(st, 4);
		if (sqlite3_column_bytes(st, 5) == 32) {
			l.has_head = 1;
			memcpy(l.head, sqlite3_column_blob(st, 5), 32);
		}
		rep->logs++;
		if ((rc = verify_log(s, &l, rep, progress, arg, total, d)) != 0)
			goto out;
	}
	held = store_count(s, "SELECT count(*) FROM entries");
	if (held != rep->records) {
		rc = dib_fail(d, DIB_ETAMPER, "log", "%lld stored record(s) "
		    "belong to no block", (long long)(held - rep->records));
		goto out;
	}
	if (progress)
		progress(arg, rep->records, total);
	rc = verify_projection(s, rep, d);
out:
	sqlite3_finalize(st);
	sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	return rc;
}

/* ---- blocks received from other nodes ---- */

int
log_block_check(const struct log_block *b, struct log_header *h,
    struct dib_diag *d)
{
	crypto_generichash_state hs;
	uint8_t rh[32];
	size_t i, bytes = 0;

	if (log_header_decode(b->hdr, b->hlen, h) != 0)
		return dib_fail(d, DIB_ETAMPER, "block", "malformed block header");
	if (h->first_seq == 0 || h->first_seq > (1ULL << 39) ||
	    h->count == 0 || h->count > LOG_MAX_BLOCK_RECORDS ||
	    h->count != b->count)
		return dib_fail(d, DIB_ETAMPER, "block", "block header: bad "
		    "sequence or count (%u records announced, %u carried)",
		    h->count, b->count);
	{
		char canon[UTIL_AUDIENCE_LEN];
		struct dib_diag ignore;

		if (util_audience_parse(h->audience, canon, &ignore) != 0 ||
		    strcmp(canon, h->audience) != 0)
			return dib_fail(d, DIB_ETAMPER, "block", "block header: "
			    "bad audience \"%.40s\"", h->audience);
	}
	if (crypto_sign_verify_detached(b->sig, b->hdr, b->hlen,
	    h->origin) != 0)
		return dib_fail(d, DIB_ETAMPER, "block", "bad signature on the "
		    "block of seq %llu", (unsigned long long)h->first_seq);
	crypto_generichash_init(&hs, NULL, 0, 32);
	for (i = 0; i < b->count; i++) {
		bytes += b->lens[i];
		hash_record(&hs, b->bodies[i], b->lens[i]);
	}
	crypto_generichash_final(&hs, rh, 32);
	if (memcmp(rh, h->records, 32) != 0)
		return dib_fail(d, DIB_ETAMPER, "block", "records hash mismatch "
		    "in the block of seq %llu (a record was altered)",
		    (unsigned long long)h->first_seq);
	if (bytes > LOG_MAX_BLOCK_BYTES + (size_t)b->count * 4096)
		return dib_fail(d, DIB_ETAMPER, "block", "block too large");
	return DIB_OK;
}

void
log_block_hash(const struct log_block *b, uint8_t out[32])
{
	block_hash(b->hdr, b->hlen, b->sig, out);
}

/* The stored hash of the block of log starting at first, or -1. */
static int
held_hash(struct store *s, int64_t log, uint64_t first, uint8_t out[32])
{
	sqlite3_stmt *st;
	int rc = -1;

	if (sqlite3_prepare_v2(s->db, "SELECT hash FROM blocks WHERE log = ?1 "
	    "AND first_seq = ?2", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, log);
	sqlite3_bind_int64(st, 2, (int64_t)first);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_bytes(st, 0) == 32) {
		memcpy(out, sqlite3_column_blob(st, 0), 32);
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

int
log_receive(struct store *s, int64_t origin, const struct log_block *b,
    const struct log_header *h, enum log_recv *what, struct dib_diag *d)
{
	uint8_t head[32], hash[32], held[32];
	uint64_t next = 1;
	int64_t log = -1, now = util_now_ms();
	sqlite3_stmt *st;
	size_t i;
	int prec = 3, rc;

	if ((rc = open_log(s, origin, h->audience, &log, &next, head, d)) != 0)
		return rc;
	block_hash(b->hdr, b->hlen, b->sig, hash);
	if (h->first_seq < next) {
		/* Held already, unless another block holds that place. */
		*what = held_hash(s, log, h->first_seq, held) == 0 &&
		    memcmp(held, hash, 32) == 0 ? LOG_RECV_HELD : LOG_RECV_FORK;
		return DIB_OK;
	}
	if (h->first_seq > next) {
		*what = LOG_RECV_AHEAD;
		return DIB_OK;
	}
	if (memcmp(h->prev, head, 32) != 0) {
		*what = LOG_RECV_FORK;
		return DIB_OK;
	}
	/* Parse everything before writing anything. */
	struct record *recs = calloc(b->count, sizeof *recs);

	if (recs == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	for (i = 0; i < b->count; i++) {
		if ((rc = record_parse_body(b->bodies[i], b->lens[i], &recs[i],
		    d)) != 0) {
			char p[64];

			snprintf(p, sizeof p, "block seq %llu record %zu",
			    (unsigned long long)h->first_seq, i);
			dib_diag_prefix(d, p);
			goto out;
		}
		snprintf(recs[i].audience, sizeof recs[i].audience, "%.*s",
		    (int)sizeof recs[i].audience - 1, h->audience);
		if (recs[i].prec < prec)
			prec = recs[i].prec;
	}
	if ((st = store_stmt(s, ST_BLOCK_INSERT)) == NULL) {
		rc = store_dberr(s, d, "block");
		goto out;
	}
	sqlite3_bind_int64(st, 1, log);
	sqlite3_bind_int64(st, 2, (int64_t)h->first_seq);
	sqlite3_bind_int64(st, 3, (int64_t)h->count);
	sqlite3_bind_blob(st, 4, b->hdr, (int)b->hlen, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, b->sig, 64, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, hash, 32, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, prec);
	sqlite3_bind_int64(st, 8, now);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = store_dberr(s, d, "block");
		goto out;
	}
	for (i = 0; i < b->count; i++) {
		recs[i].body = (unsigned char *)b->bodies[i];
		recs[i].body_len = b->lens[i];
		rc = store_project(s, log, (int64_t)(h->first_seq + i),
		    &recs[i], 0, d);
		recs[i].body = NULL;
		if (rc != 0)
			goto out;
	}
	st = store_stmt(s, ST_LOG_ADVANCE);
	sqlite3_bind_int64(st, 1, log);
	sqlite3_bind_int64(st, 2, (int64_t)(h->first_seq + h->count));
	sqlite3_bind_blob(st, 3, hash, 32, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = store_dberr(s, d, "log");
		goto out;
	}
	*what = LOG_RECV_APPLIED;
out:
	for (i = 0; i < b->count; i++)
		record_clear(&recs[i]);
	free(recs);
	return rc;
}
