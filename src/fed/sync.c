/*
** Sync payloads: summaries, blocks most urgent first within a budget,
** and their idempotent, convergent application.
**
** A payload is a sequence of items, each a type byte, a 4-byte length
** (big-endian) and that many bytes; docs/sync.md gives each item's
** layout. It starts with the version item and ends with the end item,
** so that a truncated payload is never taken for a complete one.
*/
#include "fed/sync.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "audit/audit.h"
#include "fed/cert.h"
#include "log/log.h"
#include "node/node.h"
#include "store/store.h"
#include "util/util.h"

int
sync_may_send(const char *audience, const char *nation)
{
	return audience != NULL && nation != NULL && nation[0] != '\0' &&
	    util_audience_has(audience, nation);
}

/* ---- items ---- */

static int
put_item(const struct sync_sink *o, int type, const void *p, size_t n,
    struct dib_diag *d)
{
	uint8_t h[5];
	int rc;

	h[0] = (uint8_t)type;
	util_put_be32(h + 1, (uint32_t)n);
	if ((rc = o->write(o->arg, h, 5, d)) != 0)
		return rc;
	return n ? o->write(o->arg, p, n, d) : DIB_OK;
}

int
sync_buf_write(void *arg, const void *p, size_t n, struct dib_diag *d)
{
	if (buf_add(arg, p, n) != 0)
		return dib_fail(d, DIB_ETOOBIG, "", "sync payload over its "
		    "size limit");
	return DIB_OK;
}

int
sync_put_version(const struct sync_sink *o, struct dib_diag *d)
{
	return put_item(o, SYNC_I_VERSION, SYNC_VERSION, strlen(SYNC_VERSION),
	    d);
}

int
sync_put_end(const struct sync_sink *o, struct dib_diag *d)
{
	return put_item(o, SYNC_I_END, NULL, 0, d);
}

/* ---- summaries ---- */

void
sync_summary_free(struct sync_summary *sm)
{
	free(sm->v);
	memset(sm, 0, sizeof *sm);
}

int
sync_summary_add(struct sync_summary *sm, const uint8_t origin[32],
    const char *audience, int64_t next_seq)
{
	struct sync_log *l;

	if (strlen(audience) >= sizeof l->audience)
		return DIB_EINVAL;
	if (sm->n == sm->cap) {
		size_t cap = sm->cap ? sm->cap * 2 : 16;

		if ((l = realloc(sm->v, cap * sizeof *l)) == NULL)
			return DIB_ENOMEM;
		sm->v = l;
		sm->cap = cap;
	}
	l = &sm->v[sm->n++];
	memset(l, 0, sizeof *l);
	memcpy(l->origin, origin, 32);
	memcpy(l->audience, audience, strlen(audience) + 1);
	l->next_seq = next_seq;
	sm->sorted = 0;
	return DIB_OK;
}

static int
cmp_log(const void *a, const void *b)
{
	const struct sync_log *x = a, *y = b;
	int c = memcmp(x->origin, y->origin, 32);

	return c ? c : strcmp(x->audience, y->audience);
}

int64_t
sync_summary_next(struct sync_summary *sm, const uint8_t origin[32],
    const char *audience)
{
	struct sync_log key, *hit;

	if (sm == NULL || sm->n == 0)
		return 1;
	if (!sm->sorted) {
		size_t i, j;

		qsort(sm->v, sm->n, sizeof *sm->v, cmp_log);
		/* A log given twice keeps its highest next_seq. */
		for (i = 0, j = 0; i < sm->n; i++) {
			if (j > 0 && cmp_log(&sm->v[j - 1], &sm->v[i]) == 0) {
				if (sm->v[i].next_seq > sm->v[j - 1].next_seq)
					sm->v[j - 1].next_seq =
					    sm->v[i].next_seq;
				continue;
			}
			sm->v[j++] = sm->v[i];
		}
		sm->n = j;
		sm->sorted = 1;
	}
	memset(&key, 0, sizeof key);
	memcpy(key.origin, origin, 32);
	snprintf(key.audience, sizeof key.audience, "%s", audience);
	hit = bsearch(&key, sm->v, sm->n, sizeof *sm->v, cmp_log);
	return hit && hit->next_seq > 1 ? hit->next_seq : 1;
}

int
sync_summary_make(struct store *s, const char *nation,
    struct sync_summary *out, struct dib_diag *d)
{
	sqlite3_stmt *st;
	int rc = DIB_OK;

	memset(out, 0, sizeof *out);
	if (sqlite3_prepare_v2(s->db, "SELECT o.pubkey, l.audience, "
	    "l.next_seq FROM logs l JOIN origins o ON o.id = l.origin "
	    "WHERE l.next_seq > 1 ORDER BY l.id", -1, &st, NULL) != SQLITE_OK)
		return store_dberr(s, d, "sync summary");
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *aud = (const char *)sqlite3_column_text(st, 1);

		if (sqlite3_column_bytes(st, 0) != 32 ||
		    !sync_may_send(aud, nation))
			continue;
		if (sync_summary_add(out, sqlite3_column_blob(st, 0), aud,
		    sqlite3_column_int64(st, 2)) != 0) {
			rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
			break;
		}
	}
	sqlite3_finalize(st);
	if (rc != 0)
		sync_summary_free(out);
	return rc;
}

int
sync_put_summary(const struct sync_sink *o, const struct sync_summary *sm,
    struct dib_diag *d)
{
	uint8_t item[32 + 8 + 64];
	size_t i, alen;
	int rc;

	for (i = 0; i < sm->n; i++) {
		alen = strlen(sm->v[i].audience);
		memcpy(item, sm->v[i].origin, 32);
		util_put_be64(item + 32, (uint64_t)sm->v[i].next_seq);
		memcpy(item + 40, sm->v[i].audience, alen);
		if ((rc = put_item(o, SYNC_I_SUMMARY, item, 40 + alen, d)) != 0)
			return rc;
	}
	return DIB_OK;
}

/* ---- choosing and writing blocks ---- */

struct cand {
	int64_t log;
	int64_t first, count;
	int prec;               /* as urgent as the most urgent after it */
	int64_t received;
	int64_t origin;         /* origins.id */
};

static int
cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->prec != y->prec)
		return x->prec < y->prec ? -1 : 1;
	if (x->received != y->received)
		return x->received < y->received ? -1 : 1;
	if (x->log != y->log)
		return x->log < y->log ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* Every block nation lacks, by urgency. */
static int
candidates(struct store *s, const char *nation, struct sync_summary *peer,
    struct cand **out, size_t *nout, struct dib_diag *d)
{
	sqlite3_stmt *ls = NULL, *bs = NULL;
	struct cand *c = NULL;
	size_t n = 0, cap = 0;
	int rc = DIB_OK;

	*out = NULL;
	*nout = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT l.id, o.pubkey, l.audience, "
	    "l.next_seq, o.id FROM logs l JOIN origins o ON o.id = l.origin "
	    "WHERE l.next_seq > 1 ORDER BY l.id", -1, &ls, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "SELECT first_seq, count, prec, "
	    "received_at FROM blocks WHERE log = ?1 AND first_seq >= ?2 "
	    "ORDER BY first_seq DESC", -1, &bs, NULL) != SQLITE_OK) {
		rc = store_dberr(s, d, "sync");
		goto out;
	}
	while (sqlite3_step(ls) == SQLITE_ROW) {
		const char *aud = (const char *)sqlite3_column_text(ls, 2);
		int64_t theirs;
		int urgent = 3;

		if (sqlite3_column_bytes(ls, 1) != 32 ||
		    !sync_may_send(aud, nation))
			continue;
		theirs = sync_summary_next(peer, sqlite3_column_blob(ls, 1),
		    aud);
		if (theirs >= sqlite3_column_int64(ls, 3))
			continue;
		sqlite3_reset(bs);
		sqlite3_bind_int64(bs, 1, sqlite3_column_int64(ls, 0));
		sqlite3_bind_int64(bs, 2, theirs);
		while (sqlite3_step(bs) == SQLITE_ROW) {
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 256;
				struct cand *t = realloc(c, nc * sizeof *c);

				if (t == NULL) {
					rc = dib_fail(d, DIB_ENOMEM, "",
					    "out of memory");
					goto out;
				}
				c = t;
				cap = nc;
			}
			c[n].log = sqlite3_column_int64(ls, 0);
			c[n].origin = sqlite3_column_int64(ls, 4);
			c[n].first = sqlite3_column_int64(bs, 0);
			c[n].count = sqlite3_column_int64(bs, 1);
			if (sqlite3_column_int(bs, 2) < urgent)
				urgent = sqlite3_column_int(bs, 2);
			c[n].prec = urgent;
			c[n].received = sqlite3_column_int64(bs, 3);
			n++;
		}
	}
	if (n > 1)      /* qsort(NULL, 0, ...) is undefined */
		qsort(c, n, sizeof *c, cmp_cand);
	*out = c;
	*nout = n;
	c = NULL;
out:
	free(c);
	sqlite3_finalize(ls);
	sqlite3_finalize(bs);
	return rc;
}

int
sync_waiting(struct store *s, const char *nation, struct sync_summary *peer,
    int64_t *blocks, int64_t *records, struct dib_diag *d)
{
	struct cand *c;
	size_t n, i;
	int rc;

	*blocks = *records = 0;
	if ((rc = candidates(s, nation, peer, &c, &n, d)) != 0)
		return rc;
	for (i = 0; i < n; i++)
		*records += c[i].count;
	*blocks = (int64_t)n;
	free(c);
	return DIB_OK;
}

/* Encode the block (log, first) as a block item's content into b. */
static int
encode_block(sqlite3_stmt *bs, sqlite3_stmt *es,
    const struct cand *c, struct buf *b, struct dib_diag *d)
{
	uint8_t l[4];
	int64_t got = 0;
	size_t hlen;

	buf_reset(b);
	sqlite3_reset(bs);
	sqlite3_bind_int64(bs, 1, c->log);
	sqlite3_bind_int64(bs, 2, c->first);
	if (sqlite3_step(bs) != SQLITE_ROW ||
	    sqlite3_column_bytes(bs, 1) != 64)
		return dib_fail(d, DIB_EDB, "", "block %lld of log %lld "
		    "vanished", (long long)c->first, (long long)c->log);
	hlen = (size_t)sqlite3_column_bytes(bs, 0);
	util_put_be16(l, (uint16_t)hlen);
	if (buf_add(b, l, 2) != 0 ||
	    buf_add(b, sqlite3_column_blob(bs, 0), hlen) != 0 ||
	    buf_add(b, sqlite3_column_blob(bs, 1), 64) != 0)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	sqlite3_reset(es);
	sqlite3_bind_int64(es, 1, STORE_ENTRY_KEY(c->log, c->first));
	sqlite3_bind_int64(es, 2, STORE_ENTRY_KEY(c->log, c->first +
	    c->count));
	while (sqlite3_step(es) == SQLITE_ROW) {
		size_t blen = (size_t)sqlite3_column_bytes(es, 0);

		util_put_be32(l, (uint32_t)blen);
		if (buf_add(b, l, 4) != 0 ||
		    buf_add(b, sqlite3_column_blob(es, 0), blen) != 0)
			return dib_fail(d, DIB_ENOMEM, "", "out of memory");
		got++;
	}
	if (got != c->count)
		return dib_fail(d, DIB_EDB, "", "block %lld of log %lld: %lld "
		    "of %lld records held", (long long)c->first,
		    (long long)c->log, (long long)got, (long long)c->count);
	return DIB_OK;
}

static int
put_certs(struct store *s, const struct cand *c, size_t n,
    const struct sync_sink *o, struct dib_diag *d)
{
	sqlite3_stmt *st;
	int64_t *seen = NULL;
	size_t ns = 0, i, j;
	int rc = DIB_OK;

	if (n == 0)
		return DIB_OK;
	if ((seen = calloc(n, sizeof *seen)) == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	if (sqlite3_prepare_v2(s->db, "SELECT cert, name FROM origins "
	    "WHERE id = ?1", -1, &st, NULL) != SQLITE_OK) {
		free(seen);
		return store_dberr(s, d, "sync");
	}
	for (i = 0; i < n && rc == 0; i++) {
		for (j = 0; j < ns && seen[j] != c[i].origin; j++)
			;
		if (j < ns)
			continue;
		seen[ns++] = c[i].origin;
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, c[i].origin);
		if (sqlite3_step(st) != SQLITE_ROW ||
		    sqlite3_column_type(st, 0) != SQLITE_BLOB) {
			rc = dib_fail(d, DIB_ENOTFOUND, "", "origin \"%s\" has "
			    "no certificate: certify it first (diboli node "
			    "certify --nation-key)", sqlite3_column_text(st, 1) ?
			    (const char *)sqlite3_column_text(st, 1) : "?");
			break;
		}
		rc = put_item(o, SYNC_I_CERT, sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0), d);
	}
	sqlite3_finalize(st);
	free(seen);
	return rc;
}

int
sync_put_blocks(struct store *s, const char *nation,
    struct sync_summary *peer, int64_t budget, const struct sync_sink *o,
    struct sync_sent *sent, struct dib_diag *d)
{
	sqlite3_stmt *bs = NULL, *es = NULL;
	struct cand *c = NULL;
	struct buf b;
	int64_t *stuck = NULL;  /* logs whose next block did not fit */
	size_t n = 0, nstuck = 0, i, j;
	uint8_t w[16];
	int rc;

	memset(sent, 0, sizeof *sent);
	buf_init(&b, SYNC_ITEM_MAX);
	if ((rc = candidates(s, nation, peer, &c, &n, d)) != 0)
		return rc;
	if ((rc = put_certs(s, c, n, o, d)) != 0)
		goto out;
	if (sqlite3_prepare_v2(s->db, "SELECT header, sig FROM blocks WHERE "
	    "log = ?1 AND first_seq = ?2", -1, &bs, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "SELECT body FROM entries WHERE k >= ?1 "
	    "AND k < ?2 ORDER BY k", -1, &es, NULL) != SQLITE_OK) {
		rc = store_dberr(s, d, "sync");
		goto out;
	}
	if (n > 0 && (stuck = calloc(n, sizeof *stuck)) == NULL) {
		rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < nstuck && stuck[j] != c[i].log; j++)
			;
		if (j < nstuck)
			goto wait;
		if ((rc = encode_block(bs, es, &c[i], &b, d)) != 0)
			goto out;
		if (budget > 0 && sent->bytes + (int64_t)b.len > budget &&
		    sent->blocks > 0) {
			/* Later blocks of this log must wait for it. */
			stuck[nstuck++] = c[i].log;
			goto wait;
		}
		if ((rc = put_item(o, SYNC_I_BLOCK, b.p, b.len, d)) != 0)
			goto out;
		sent->blocks++;
		sent->records += c[i].count;
		sent->bytes += (int64_t)b.len + 5;
		continue;
wait:
		sent->wait_blocks++;
		sent->wait_records += c[i].count;
	}
	util_put_be64(w, (uint64_t)sent->wait_records);
	util_put_be64(w + 8, (uint64_t)sent->wait_blocks);
	rc = put_item(o, SYNC_I_WAITING, w, 16, d);
out:
	sqlite3_finalize(bs);
	sqlite3_finalize(es);
	buf_free(&b);
	free(stuck);
	free(c);
	return rc;
}

/* ---- applying ---- */

/* An origin whose certificate checked in this payload. */
struct sync_trust {
	uint8_t pk[32];
	int64_t id;             /* origins.id, 0 until stored */
	char nation[3];
};

/*
** The statements of applying a block, prepared on first use in a feed and
** finalized at its end: a payload of many blocks prepares each once, and
** none outlives the call (a's store may change between calls, and only
** the thread that feeds may touch its connection).
*/
enum {
	AS_ORIGIN,              /* an origin by its key */
	AS_FROZEN,
	AS_QUARANTINE,
	AS_PENDING_NEXT,
	AS_PENDING_DEL,
	AS_PENDING_GET,
	AS_PENDING_ADD,
	AS_COUNT
};

static const char *const apply_sql[AS_COUNT] = {
	"SELECT id, nation, cert FROM origins WHERE pubkey = ?1",
	"SELECT 1 FROM quarantine WHERE origin = ?1 AND audience = ?2 LIMIT 1",
	"INSERT INTO quarantine(origin, audience, first_seq, block, reason, "
	"received_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	"SELECT p.block, p.first_seq FROM pending p JOIN origins o ON "
	"o.pubkey = p.origin JOIN logs l ON l.origin = o.id AND l.audience = "
	"p.audience WHERE p.origin = ?1 AND p.audience = ?2 AND p.first_seq "
	"<= l.next_seq ORDER BY p.first_seq LIMIT 1",
	"DELETE FROM pending WHERE origin = ?1 AND audience = ?2 AND "
	"first_seq = ?3",
	"SELECT block FROM pending WHERE origin = ?1 AND audience = ?2 AND "
	"first_seq = ?3",
	"INSERT OR IGNORE INTO pending(origin, audience, first_seq, block, "
	"received_at) VALUES(?1, ?2, ?3, ?4, ?5)",
};

_Static_assert(sizeof(((struct sync_apply *)0)->st) /
    sizeof(((struct sync_apply *)0)->st[0]) == AS_COUNT,
    "one slot per apply statement");

/* The statement, reset and unbound; NULL on a prepare error. */
static sqlite3_stmt *
apply_stmt(struct sync_apply *a, int which)
{
	sqlite3_stmt *st = a->st[which];

	if (st == NULL) {
		if (sqlite3_prepare_v2(a->s->db, apply_sql[which], -1, &st,
		    NULL) != SQLITE_OK)
			return NULL;
		a->st[which] = st;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

static void
apply_stmts_free(struct sync_apply *a)
{
	int i;

	for (i = 0; i < AS_COUNT; i++) {
		sqlite3_finalize(a->st[i]);
		a->st[i] = NULL;
	}
}

/* A statement bound to an origin's key and a log's audience. */
static sqlite3_stmt *
hdr_stmt(struct sync_apply *a, int which, const struct log_header *h)
{
	sqlite3_stmt *st = apply_stmt(a, which);

	if (st != NULL) {
		sqlite3_bind_blob(st, 1, h->origin, 32, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, h->audience, -1, SQLITE_STATIC);
	}
	return st;
}

void
sync_apply_init(struct sync_apply *a, struct node *n)
{
	memset(a, 0, sizeof *a);
	a->s = n->store;
	memcpy(a->nation, n->nation, 3);
	memcpy(a->self, n->signer.pk, 32);
	buf_init(&a->in, SYNC_ITEM_MAX + 5);
	a->now = util_now_ms();
}

void
sync_apply_free(struct sync_apply *a)
{
	apply_stmts_free(a);
	buf_free(&a->in);
	free(a->trust);
	free(a->ev);
	sync_summary_free(&a->peer);
	a->trust = NULL;
	a->ev = NULL;
	a->ntrust = a->trustcap = a->nev = 0;
}

static void
event(struct sync_apply *a, const char *action, const char *target,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
event(struct sync_apply *a, const char *action, const char *target,
    const char *fmt, ...)
{
	struct sync_event *e;
	va_list ap;

	if (a->nev >= 64)       /* enough to alert; do not flood the audit */
		return;
	if ((e = realloc(a->ev, (a->nev + 1) * sizeof *e)) == NULL)
		return;
	a->ev = e;
	e = &a->ev[a->nev++];
	snprintf(e->action, sizeof e->action, "%s", action);
	audit_clip(e->target, sizeof e->target, target);
	va_start(ap, fmt);
	vsnprintf(e->detail, sizeof e->detail, fmt, ap);
	va_end(ap);
	audit_clip(e->detail, sizeof e->detail, e->detail);
}

static struct sync_trust *
trusted(struct sync_apply *a, const uint8_t pk[32])
{
	size_t i;

	for (i = 0; i < a->ntrust; i++)
		if (memcmp(a->trust[i].pk, pk, 32) == 0)
			return &a->trust[i];
	return NULL;
}

static struct sync_trust *
trust_add(struct sync_apply *a, const uint8_t pk[32], const char *nation)
{
	struct sync_trust *t;

	if ((t = trusted(a, pk)) != NULL)
		return t;
	if (a->ntrust == a->trustcap) {
		size_t cap = a->trustcap ? a->trustcap * 2 : 8;

		if ((t = realloc(a->trust, cap * sizeof *t)) == NULL)
			return NULL;
		a->trust = t;
		a->trustcap = cap;
	}
	t = &a->trust[a->ntrust++];
	memset(t, 0, sizeof *t);
	memcpy(t->pk, pk, 32);
	memcpy(t->nation, nation, 3);
	return t;
}

static void
short_id(const uint8_t pk[32], char out[9])
{
	util_hex(pk, 4, out);
}

/* Store (or refresh) a checked origin; t->id set. */
static int
store_origin(struct sync_apply *a, struct sync_trust *t,
    const struct cert *c, struct dib_diag *d)
{
	sqlite3_stmt *st;
	int rc = DIB_OK;

	if ((st = apply_stmt(a, AS_ORIGIN)) == NULL)
		return store_dberr(a->s, d, "origin");
	sqlite3_bind_blob(st, 1, c->node_pk, 32, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		t->id = sqlite3_column_int64(st, 0);
		if (strcmp((const char *)sqlite3_column_text(st, 1),
		    c->nation) != 0)
			rc = dib_fail(d, DIB_ETAMPER, "cert", "origin %s is "
			    "held as a node of %s, its certificate says %s",
			    c->name, sqlite3_column_text(st, 1), c->nation);
		sqlite3_reset(st);
		if (rc != 0 || memcmp(c->node_pk, a->self, 32) == 0)
			return rc;
		if (sqlite3_prepare_v2(a->s->db, "UPDATE origins SET name = ?2, "
		    "cert = ?3 WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
			return store_dberr(a->s, d, "origin");
		sqlite3_bind_int64(st, 1, t->id);
	} else {
		sqlite3_reset(st);
		if (sqlite3_prepare_v2(a->s->db, "INSERT INTO origins(name, "
		    "cert, pubkey, nation) VALUES(?2, ?3, ?4, ?5)", -1, &st,
		    NULL) != SQLITE_OK)
			return store_dberr(a->s, d, "origin");
		sqlite3_bind_blob(st, 4, c->node_pk, 32, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, c->nation, -1, SQLITE_STATIC);
	}
	sqlite3_bind_text(st, 2, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, c->bytes, (int)c->len, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_dberr(a->s, d, "origin");
	else if (t->id == 0)
		t->id = sqlite3_last_insert_rowid(a->s->db);
	sqlite3_finalize(st);
	return rc;
}

static int
on_cert(struct sync_apply *a, const uint8_t *p, size_t n, struct dib_diag *d)
{
	struct cert *c;
	struct dib_diag why;
	struct sync_trust *t;
	int rc;

	if ((c = malloc(sizeof *c)) == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	dib_diag_clear(&why);
	rc = cert_check_origin(a->s, p, n, a->now, c, &why);
	if (rc == DIB_EDB) {
		*d = why;
		free(c);
		return rc;
	}
	if (rc != 0) {
		/* Its blocks will be refused, one by one. */
		event(a, "sync.refused", a->from, "certificate refused: %s",
		    why.msg);
		free(c);
		if (a->strict)
			return dib_fail(d, DIB_EPERM, "cert", "a certificate "
			    "was refused: %s", why.msg);
		return DIB_OK;
	}
	if ((t = trust_add(a, c->node_pk, c->nation)) == NULL) {
		free(c);
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	}
	a->certs++;
	rc = a->dry_run ? DIB_OK : store_origin(a, t, c, d);
	free(c);
	return rc;
}

/* Split a block item into b (pointing into p). */
static int
parse_block(const uint8_t *p, size_t n, struct log_block *b,
    const unsigned char ***bodies, size_t **lens, struct log_header *h,
    struct dib_diag *d)
{
	size_t hlen, off, i;

	memset(b, 0, sizeof *b);
	*bodies = NULL;
	*lens = NULL;
	if (n < 2)
		return dib_fail(d, DIB_ETAMPER, "block", "block item too short");
	hlen = util_get_be16(p);
	if (hlen > LOG_HEADER_MAX || n < 2 + hlen + 64 ||
	    log_header_decode(p + 2, hlen, h) != 0)
		return dib_fail(d, DIB_ETAMPER, "block", "malformed block "
		    "header");
	if (h->count == 0 || h->count > LOG_MAX_BLOCK_RECORDS)
		return dib_fail(d, DIB_ETAMPER, "block", "block of %u records",
		    h->count);
	b->hdr = p + 2;
	b->hlen = hlen;
	b->sig = p + 2 + hlen;
	off = 2 + hlen + 64;
	if ((*bodies = calloc(h->count, sizeof **bodies)) == NULL ||
	    (*lens = calloc(h->count, sizeof **lens)) == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	for (i = 0; i < h->count; i++) {
		uint32_t len;

		if (n - off < 4)
			return dib_fail(d, DIB_ETAMPER, "block", "block of seq "
			    "%llu: truncated at record %zu",
			    (unsigned long long)h->first_seq, i);
		len = util_get_be32(p + off);
		off += 4;
		if (len > n - off)
			return dib_fail(d, DIB_ETAMPER, "block", "block of seq "
			    "%llu: record %zu overruns the item",
			    (unsigned long long)h->first_seq, i);
		(*bodies)[i] = p + off;
		(*lens)[i] = len;
		off += len;
	}
	if (off != n)
		return dib_fail(d, DIB_ETAMPER, "block", "block of seq %llu: "
		    "%zu stray bytes", (unsigned long long)h->first_seq,
		    n - off);
	b->count = h->count;
	b->bodies = *bodies;
	b->lens = *lens;
	return DIB_OK;
}

static int
is_frozen(struct sync_apply *a, const struct log_header *h)
{
	sqlite3_stmt *st;
	int hit;

	if ((st = hdr_stmt(a, AS_FROZEN, h)) == NULL)
		return 0;
	hit = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return hit;
}

static int
quarantine(struct sync_apply *a, const struct log_header *h,
    const uint8_t *p, size_t n, const char *reason, struct dib_diag *d)
{
	sqlite3_stmt *st;
	int rc = DIB_OK;

	if ((st = hdr_stmt(a, AS_QUARANTINE, h)) == NULL)
		return store_dberr(a->s, d, "quarantine");
	sqlite3_bind_int64(st, 3, (int64_t)h->first_seq);
	sqlite3_bind_blob(st, 4, p, (int)n, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, a->now);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_dberr(a->s, d, "quarantine");
	sqlite3_reset(st);
	return rc;
}

/* The held block of the log at or before seq, as an item, into b. */
static int
held_block(struct sync_apply *a, int64_t origin, const char *audience,
    int64_t seq, struct buf *b, struct log_header *hh, struct dib_diag *d)
{
	sqlite3_stmt *bs = NULL, *es = NULL, *st = NULL;
	struct cand c;
	int rc = DIB_ENOTFOUND;

	memset(&c, 0, sizeof c);
	if (sqlite3_prepare_v2(a->s->db, "SELECT b.log, b.first_seq, b.count, "
	    "b.header FROM blocks b JOIN logs l ON l.id = b.log WHERE "
	    "l.origin = ?1 AND l.audience = ?2 AND b.first_seq <= ?3 "
	    "ORDER BY b.first_seq DESC LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return store_dberr(a->s, d, "quarantine");
	sqlite3_bind_int64(st, 1, origin);
	sqlite3_bind_text(st, 2, audience, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, seq);
	if (sqlite3_step(st) == SQLITE_ROW) {
		c.log = sqlite3_column_int64(st, 0);
		c.first = sqlite3_column_int64(st, 1);
		c.count = sqlite3_column_int64(st, 2);
		if (log_header_decode(sqlite3_column_blob(st, 3),
		    (size_t)sqlite3_column_bytes(st, 3), hh) == 0)
			rc = DIB_OK;
	}
	sqlite3_finalize(st);
	if (rc != 0)
		return rc;
	if (sqlite3_prepare_v2(a->s->db, "SELECT header, sig FROM blocks WHERE "
	    "log = ?1 AND first_seq = ?2", -1, &bs, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(a->s->db, "SELECT body FROM entries WHERE k >= ?1 "
	    "AND k < ?2 ORDER BY k", -1, &es, NULL) != SQLITE_OK)
		rc = store_dberr(a->s, d, "quarantine");
	else
		rc = encode_block(bs, es, &c, b, d);
	sqlite3_finalize(bs);
	sqlite3_finalize(es);
	return rc;
}

static int64_t
origin_id(struct sync_apply *a, const uint8_t pk[32])
{
	sqlite3_stmt *st;
	int64_t id = 0;

	if ((st = apply_stmt(a, AS_ORIGIN)) == NULL)
		return 0;
	sqlite3_bind_blob(st, 1, pk, 32, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return id;
}

/*
** An origin held from an earlier exchange whose stored certificate still
** checks against the pinned keys (a sender may leave out what it sent
** before). *id 0 if not.
*/
static int
known_origin(struct sync_apply *a, const uint8_t pk[32], int64_t *id,
    struct dib_diag *d)
{
	sqlite3_stmt *st;
	struct cert *c;
	struct dib_diag why;
	int rc = DIB_OK;

	*id = 0;
	if ((c = malloc(sizeof *c)) == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	if ((st = apply_stmt(a, AS_ORIGIN)) == NULL) {
		free(c);
		return store_dberr(a->s, d, "origin");
	}
	sqlite3_bind_blob(st, 1, pk, 32, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 2) != SQLITE_NULL) {
		rc = cert_check_origin(a->s, sqlite3_column_blob(st, 2),
		    (size_t)sqlite3_column_bytes(st, 2), a->now, c, &why);
		if (rc == 0 && memcmp(c->node_pk, pk, 32) == 0) {
			struct sync_trust *t = trust_add(a, pk, c->nation);

			*id = sqlite3_column_int64(st, 0);
			if (t != NULL)
				t->id = *id;
		}
		if (rc == DIB_EDB)
			*d = why;
		else
			rc = DIB_OK;
	}
	sqlite3_reset(st);
	free(c);
	return rc;
}

/* Is the nation of origin pk in audience? */
static int
origin_in_audience(struct sync_apply *a, const uint8_t pk[32],
    const char *audience)
{
	struct sync_trust *t;
	sqlite3_stmt *st;
	int ok = 0;

	if (memcmp(pk, a->self, 32) == 0)
		return util_audience_has(audience, a->nation);
	if ((t = trusted(a, pk)) != NULL)
		return util_audience_has(audience, t->nation);
	if ((st = apply_stmt(a, AS_ORIGIN)) == NULL)
		return 0;
	sqlite3_bind_blob(st, 1, pk, 32, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		ok = util_audience_has(audience,
		    (const char *)sqlite3_column_text(st, 1));
	sqlite3_reset(st);
	return ok;
}

static int apply_block(struct sync_apply *a, const uint8_t *p, size_t n,
    int from_pending, struct dib_diag *d);

/* Apply the pending blocks that now follow the log's head. */
static int
drain(struct sync_apply *a, const struct log_header *h, struct dib_diag *d)
{
	sqlite3_stmt *st = NULL;
	uint8_t *blk = NULL;
	size_t len = 0;
	int rc = DIB_OK;

	for (;;) {
		int64_t first;

		free(blk);
		blk = NULL;
		if ((st = hdr_stmt(a, AS_PENDING_NEXT, h)) == NULL)
			return store_dberr(a->s, d, "pending");
		if (sqlite3_step(st) != SQLITE_ROW) {
			sqlite3_reset(st);
			break;
		}
		len = (size_t)sqlite3_column_bytes(st, 0);
		if ((blk = malloc(len ? len : 1)) == NULL) {
			sqlite3_reset(st);
			return dib_fail(d, DIB_ENOMEM, "", "out of memory");
		}
		memcpy(blk, sqlite3_column_blob(st, 0), len);
		first = sqlite3_column_int64(st, 1);
		/* Reset before applying: apply_block drains again. */
		sqlite3_reset(st);
		if ((st = hdr_stmt(a, AS_PENDING_DEL, h)) == NULL) {
			rc = store_dberr(a->s, d, "pending");
			break;
		}
		sqlite3_bind_int64(st, 3, first);
		rc = sqlite3_step(st) == SQLITE_DONE ? DIB_OK :
		    store_dberr(a->s, d, "pending");
		sqlite3_reset(st);
		if (rc != 0)
			break;
		if ((rc = apply_block(a, blk, len, 1, d)) != 0)
			break;
	}
	free(blk);
	return rc;
}

static int
apply_block(struct sync_apply *a, const uint8_t *p, size_t n,
    int from_pending, struct dib_diag *d)
{
	const unsigned char **bodies = NULL;
	size_t *lens = NULL;
	struct log_block b;
	struct log_header h;
	struct sync_trust *t;
	enum log_recv what = LOG_RECV_HELD;
	char target[120], oid[9];
	int64_t origin;
	size_t mark;
	int rc;

	if ((rc = parse_block(p, n, &b, &bodies, &lens, &h, d)) != 0 ||
	    (rc = log_block_check(&b, &h, d)) != 0)
		goto out;
	if (a->on_block != NULL)
		a->on_block(a->on_block_arg, &h);
	short_id(h.origin, oid);
	snprintf(target, sizeof target, "log %s/%s seq %llu", oid,
	    h.audience, (unsigned long long)h.first_seq);
	/* The receiver's own check of the egress rule. */
	if (!util_audience_has(h.audience, a->nation)) {
		a->refused_blocks++;
		event(a, "sync.refused", target, "from %s: a block for "
		    "audience %s is not meant for %s", a->from, h.audience,
		    a->nation);
		if (a->strict)
			rc = dib_fail(d, DIB_EPERM, "block", "%s: audience %s "
			    "does not include %s; nothing was applied", target,
			    h.audience, a->nation);
		goto out;
	}
	origin = 0;
	if (memcmp(h.origin, a->self, 32) == 0) {
		origin = origin_id(a, h.origin);
	} else if ((t = trusted(a, h.origin)) != NULL) {
		origin = t->id ? t->id : origin_id(a, h.origin);
	} else if (from_pending) {
		/* Checked when it arrived. */
		origin = origin_id(a, h.origin);
	} else if ((rc = known_origin(a, h.origin, &origin, d)) != 0) {
		goto out;
	}
	if (origin == 0 && !(a->dry_run && trusted(a, h.origin))) {
		a->refused_blocks++;
		event(a, "sync.refused", target, "from %s: no valid "
		    "certificate for its origin", a->from);
		if (a->strict)
			rc = dib_fail(d, DIB_EPERM, "block", "%s: its origin "
			    "has no certificate this node trusts; nothing was "
			    "applied", target);
		goto out;
	}
	/* A node writes only logs its own nation is in: a log "ML" signed by
	 * a Senegalese node is not Mali's national picture. */
	if (!origin_in_audience(a, h.origin, h.audience)) {
		a->refused_blocks++;
		event(a, "sync.refused", target, "from %s: the origin's nation "
		    "is not in the block's audience %s", a->from, h.audience);
		if (a->strict)
			rc = dib_fail(d, DIB_EPERM, "block", "%s: its origin's "
			    "nation is not in its audience; nothing was applied",
			    target);
		goto out;
	}
	if (a->dry_run)
		goto out;
	if (is_frozen(a, &h)) {
		a->forks++;
		goto out;
	}
	/* A block the projection cannot take (a record id another origin
	 * already holds) must not jam the link: it is quarantined and its
	 * log frozen, like an equivocation. */
	mark = store_pend_mark(a->s);
	if ((rc = store_exec(a->s, "SAVEPOINT sync_block", d)) != 0)
		goto out;
	rc = log_receive(a->s, origin, &b, &h, &what, d);
	if (rc == DIB_EEXIST) {
		char why[sizeof d->msg];

		snprintf(why, sizeof why, "%s", d->msg);
		sqlite3_exec(a->s->db, "ROLLBACK TO sync_block; RELEASE "
		    "sync_block", NULL, NULL, NULL);
		store_pend_unwind(a->s, mark);
		store_cache_reset(a->s);
		a->refused_blocks++;
		event(a, "sync.refused", target, "from %s: %s; block "
		    "quarantined, log frozen", a->from, why);
		if (a->strict) {
			rc = dib_fail(d, DIB_EPERM, "block", "%s: %s; nothing "
			    "was applied", target, why);
			goto out;
		}
		rc = quarantine(a, &h, p, n, "conflict", d);
		goto out;
	}
	if (rc != 0) {
		sqlite3_exec(a->s->db, "ROLLBACK TO sync_block; RELEASE "
		    "sync_block", NULL, NULL, NULL);
		store_pend_unwind(a->s, mark);
		store_cache_reset(a->s);
		goto out;
	}
	if (sqlite3_exec(a->s->db, "RELEASE sync_block", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		rc = store_dberr(a->s, d, "sync");
		goto out;
	}
	switch (what) {
	case LOG_RECV_APPLIED:
		a->applied_blocks++;
		a->applied_records += h.count;
		rc = drain(a, &h, d);
		break;
	case LOG_RECV_HELD:
		a->held_blocks++;
		break;
	case LOG_RECV_AHEAD: {
		sqlite3_stmt *st;

		/* Two different blocks waiting for one place: the origin
		 * equivocates. */
		if ((st = hdr_stmt(a, AS_PENDING_GET, &h)) == NULL) {
			rc = store_dberr(a->s, d, "pending");
			break;
		}
		sqlite3_bind_int64(st, 3, (int64_t)h.first_seq);
		if (sqlite3_step(st) == SQLITE_ROW &&
		    ((size_t)sqlite3_column_bytes(st, 0) != n ||
		    memcmp(sqlite3_column_blob(st, 0), p, n) != 0)) {
			a->forks++;
			rc = quarantine(a, &h, sqlite3_column_blob(st, 0),
			    (size_t)sqlite3_column_bytes(st, 0), "pending", d);
			sqlite3_reset(st);
			if (rc == 0)
				rc = quarantine(a, &h, p, n, "received", d);
			event(a, "sync.equivocation", target, "from %s: two "
			    "different blocks wait for one place in this log; "
			    "both quarantined, the log accepts nothing more "
			    "until an administrator acts", a->from);
			break;
		}
		sqlite3_reset(st);
		if ((st = hdr_stmt(a, AS_PENDING_ADD, &h)) == NULL) {
			rc = store_dberr(a->s, d, "pending");
			break;
		}
		sqlite3_bind_int64(st, 3, (int64_t)h.first_seq);
		sqlite3_bind_blob(st, 4, p, (int)n, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, a->now);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = store_dberr(a->s, d, "pending");
		else if (sqlite3_changes(a->s->db) > 0)
			a->pending_blocks++;
		sqlite3_reset(st);
		break;
	}
	case LOG_RECV_FORK: {
		struct buf held;
		struct log_header hh;

		/* Equivocation: keep both, freeze the log, alert. */
		a->forks++;
		buf_init(&held, SYNC_ITEM_MAX);
		if ((rc = quarantine(a, &h, p, n, "received", d)) == 0 &&
		    held_block(a, origin, h.audience, (int64_t)h.first_seq,
		    &held, &hh, d) == 0)
			rc = quarantine(a, &hh, (const uint8_t *)held.p,
			    held.len, "held", d);
		buf_free(&held);
		event(a, "sync.equivocation", target, "from %s: two different "
		    "blocks for one place in this log; both quarantined, the "
		    "log accepts nothing more until an administrator acts",
		    a->from);
		break;
	}
	}
out:
	free(bodies);
	free(lens);
	return rc;
}

static int
on_item(struct sync_apply *a, int type, const uint8_t *p, size_t n,
    struct dib_diag *d)
{
	if (a->saw_end)
		return dib_fail(d, DIB_ETAMPER, "payload", "data after the end "
		    "of the sync payload");
	if (!a->saw_version) {
		if (type != SYNC_I_VERSION || n != strlen(SYNC_VERSION) ||
		    memcmp(p, SYNC_VERSION, n) != 0)
			return dib_fail(d, DIB_EINVAL, "payload", "not a %s "
			    "payload", SYNC_VERSION);
		a->saw_version = 1;
		return DIB_OK;
	}
	switch (type) {
	case SYNC_I_SUMMARY: {
		char aud[64], canon[UTIL_AUDIENCE_LEN];
		struct dib_diag ignore;

		if (n < 40 + 2 || n - 40 >= sizeof aud)
			return dib_fail(d, DIB_ETAMPER, "summary", "malformed "
			    "summary item");
		memcpy(aud, p + 40, n - 40);
		aud[n - 40] = '\0';
		if (util_audience_parse(aud, canon, &ignore) != 0 ||
		    strcmp(aud, canon) != 0 || util_get_be64(p + 32) > (1ULL << 40))
			return dib_fail(d, DIB_ETAMPER, "summary", "malformed "
			    "summary item");
		if (sync_summary_add(&a->peer, p, aud, (int64_t)util_get_be64(p + 32)))
			return dib_fail(d, DIB_ENOMEM, "", "out of memory");
		return DIB_OK;
	}
	case SYNC_I_CERT:
		return on_cert(a, p, n, d);
	case SYNC_I_BLOCK:
		return apply_block(a, p, n, 0, d);
	case SYNC_I_WAITING:
		if (n != 16)
			return dib_fail(d, DIB_ETAMPER, "payload", "malformed "
			    "waiting item");
		a->wait_records = (int64_t)(util_get_be64(p) & INT64_MAX);
		a->wait_blocks = (int64_t)(util_get_be64(p + 8) & INT64_MAX);
		return DIB_OK;
	case SYNC_I_END:
		if (n != 0)
			return dib_fail(d, DIB_ETAMPER, "payload", "malformed "
			    "end item");
		a->saw_end = 1;
		return DIB_OK;
	case SYNC_I_VERSION:
	default:
		return dib_fail(d, DIB_ETAMPER, "payload", "unexpected item "
		    "type 0x%02x in the sync payload", type & 0xff);
	}
}

static int
feed(struct sync_apply *a, const void *p, size_t n, struct dib_diag *d)
{
	const uint8_t *in = p;
	size_t off = 0;
	int rc;

	/* Whole items straight from the input; a partial one is kept. */
	while (off < n || a->in.len > 0) {
		const uint8_t *q;
		size_t avail, need;

		if (a->in.len > 0) {
			/* Complete the kept item first. */
			size_t want = a->in.len < 5 ? 5 : 5 + util_get_be32(
			    (const uint8_t *)a->in.p + 1);
			size_t take;

			if (a->in.len >= 5 && want - 5 > SYNC_ITEM_MAX)
				return dib_fail(d, DIB_ETOOBIG, "payload",
				    "an item of %zu bytes", want - 5);
			take = want - a->in.len < n - off ? want - a->in.len :
			    n - off;
			if (take == 0)
				return DIB_OK;
			if (buf_add(&a->in, in + off, take) != 0)
				return dib_fail(d, DIB_ENOMEM, "", "out of "
				    "memory");
			off += take;
			if (a->in.len < 5 || a->in.len < 5 + util_get_be32(
			    (const uint8_t *)a->in.p + 1))
				continue;
			q = (const uint8_t *)a->in.p;
			rc = on_item(a, q[0], q + 5, a->in.len - 5, d);
			buf_reset(&a->in);
			if (rc != 0)
				return rc;
			continue;
		}
		q = in + off;
		avail = n - off;
		if (avail >= 5) {
			need = util_get_be32(q + 1);
			if (need > SYNC_ITEM_MAX)
				return dib_fail(d, DIB_ETOOBIG, "payload",
				    "an item of %zu bytes", need);
			if (avail >= 5 + need) {
				if ((rc = on_item(a, q[0], q + 5, need, d)) !=
				    0)
					return rc;
				off += 5 + need;
				continue;
			}
		}
		if (buf_add(&a->in, q, avail) != 0)
			return dib_fail(d, DIB_ENOMEM, "", "out of memory");
		off = n;
	}
	return DIB_OK;
}

int
sync_apply_feed(struct sync_apply *a, const void *p, size_t n,
    struct dib_diag *d)
{
	int rc = feed(a, p, n, d);

	apply_stmts_free(a);
	return rc;
}

int
sync_apply_finish(struct sync_apply *a, struct dib_diag *d)
{
	if (a->in.len > 0 || !a->saw_end)
		return dib_fail(d, DIB_ETAMPER, "payload", "the sync payload "
		    "is truncated (no end item)");
	return DIB_OK;
}

void
sync_apply_audit(struct sync_apply *a, const char *actor)
{
	struct dib_diag d;
	size_t i;

	for (i = 0; i < a->nev; i++)
		audit_append(a->s, a->now, actor, NULL, a->ev[i].action,
		    a->ev[i].target, "denied", a->ev[i].detail, &d);
}

void
sync_apply_describe(const struct sync_apply *a, char *out, size_t n)
{
	snprintf(out, n, "%lld block(s) (%lld record(s)) applied, %lld held "
	    "already, %lld pending a gap, %lld refused, %lld equivocation(s)",
	    (long long)a->applied_blocks, (long long)a->applied_records,
	    (long long)a->held_blocks, (long long)a->pending_blocks,
	    (long long)a->refused_blocks, (long long)a->forks);
}
