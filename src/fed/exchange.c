/*
** The exchange between two nodes over HTTP.
**
** Request: POST /sync/v1/exchange?budget=B&pull=0|1 with body a sync
** payload (docs/sync.md), Content-Type application/vnd.diboli.sync and
**   X-Diboli-Cert:      the caller's certificate, hex
**   X-Diboli-Time:      ms since 1970 at the caller
**   X-Diboli-Signature: Ed25519 by the caller's node key over
**       "diboli-sync/1\n" TIME "\n" BUDGET "\n" PULL "\n" HEX(BLAKE2b-256
**       of the body)
** The time bounds replay; the signature binds the caller to its body.
** Blocks carry their own origins' signatures, so what travels cannot be
** altered on the way whatever the link.
**
** One exchange is two requests: the caller sends its summary and gets
** the server's summary and the blocks it lacks (pull); then it sends the
** blocks the server lacks (push, pull=0) and gets the server's summary
** after them, which tells what still waits.
*/
#include "fed/exchange.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>

#include "log/log.h"
#include "node/node.h"
#include "store/store.h"
#include "util/util.h"

int
sync_tx_direct(void *ctx, sync_tx_fn fn, void *arg, struct dib_diag *d)
{
	struct node *n = ctx;
	int rc;

	if ((rc = store_begin(n->store, d)) != 0)
		return rc;
	if ((rc = fn(n, arg, d)) != 0) {
		store_rollback(n->store);
		return rc;
	}
	return store_commit(n->store, d);
}

int64_t
sync_backoff_ms(int64_t fails)
{
	int64_t ms = 30000;

	while (fails-- > 1 && ms < 15 * 60000)
		ms *= 2;
	return ms < 15 * 60000 ? ms : 15 * 60000;
}

int
sync_note_peer(struct node *n, void *arg, struct dib_diag *d)
{
	const struct sync_note *o = arg;
	sqlite3_stmt *st;
	int64_t now = util_now_ms();
	int rc = DIB_OK;

	if (sqlite3_prepare_v2(n->store->db, "UPDATE peers SET last_at = ?2, "
	    "last_ok = ?3, last_result = ?4, "
	    "fails = CASE WHEN ?3 THEN 0 ELSE fails + 1 END, "
	    "next_at = ?2 + CASE WHEN ?3 THEN ?5 ELSE ?6 END, "
	    "wait_in = CASE WHEN ?7 < 0 THEN wait_in ELSE ?7 END, "
	    "wait_out = CASE WHEN ?8 < 0 THEN wait_out ELSE ?8 END "
	    "WHERE name = ?1", -1, &st, NULL) != SQLITE_OK)
		return store_dberr(n->store, d, "peer");
	sqlite3_bind_text(st, 1, o->peer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int(st, 3, o->ok ? 1 : 0);
	sqlite3_bind_text(st, 4, o->result, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, o->interval_ms);
	sqlite3_bind_int64(st, 7, o->wait_in);
	sqlite3_bind_int64(st, 8, o->wait_out);
	{
		/* The backoff grows with the failures so far. */
		sqlite3_stmt *f;
		int64_t fails = 0;

		if (sqlite3_prepare_v2(n->store->db, "SELECT fails FROM peers "
		    "WHERE name = ?1", -1, &f, NULL) == SQLITE_OK) {
			sqlite3_bind_text(f, 1, o->peer, -1, SQLITE_STATIC);
			if (sqlite3_step(f) == SQLITE_ROW)
				fails = sqlite3_column_int64(f, 0);
			sqlite3_finalize(f);
		}
		sqlite3_bind_int64(st, 6, sync_backoff_ms(fails + 1));
	}
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_dberr(n->store, d, "peer");
	sqlite3_finalize(st);
	return rc;
}

/* ---- signing requests ---- */

static void
request_message(char *out, size_t n, const char *time, int64_t budget,
    int pull, const void *body, size_t len)
{
	uint8_t h[32];
	char hex[65];

	crypto_generichash(h, 32, body, len, NULL, 0);
	util_hex(h, 32, hex);
	snprintf(out, n, "%s\n%s\n%" PRId64 "\n%d\n%s", SYNC_VERSION, time,
	    budget, pull ? 1 : 0, hex);
}

int
sync_auth_check(struct store *s, const char *cert_hex, const char *time,
    const char *sig_hex, int64_t budget, int pull, const void *body,
    size_t n, int64_t now, struct cert *caller, struct dib_diag *d)
{
	uint8_t *cb = NULL, sig[64];
	char msg[256], *end;
	size_t clen;
	long long t;
	int rc;

	if (cert_hex == NULL || time == NULL || sig_hex == NULL)
		return dib_fail(d, DIB_EUNAUTH, "X-Diboli-Cert", "a node must "
		    "present its certificate, time and signature "
		    "(X-Diboli-Cert, X-Diboli-Time, X-Diboli-Signature)");
	clen = strlen(cert_hex) / 2;
	if (clen == 0 || clen > CERT_MAX_LEN || (cb = malloc(clen)) == NULL ||
	    util_unhex(cert_hex, cb, clen) != 0) {
		free(cb);
		return dib_fail(d, DIB_EUNAUTH, "X-Diboli-Cert", "not a "
		    "certificate in hex");
	}
	rc = cert_check_origin(s, cb, clen, now, caller, d);
	free(cb);
	if (rc != 0)
		return rc;
	t = strtoll(time, &end, 10);
	if (*time == '\0' || *end != '\0' || strlen(time) > 20 ||
	    t < now - SYNC_CLOCK_SKEW_MS ||
	    t > now + SYNC_CLOCK_SKEW_MS)
		return dib_fail(d, DIB_EUNAUTH, "X-Diboli-Time", "request time "
		    "\"%.30s\" is not within 15 minutes of this node's clock",
		    time);
	if (util_unhex(sig_hex, sig, 64) != 0)
		return dib_fail(d, DIB_EUNAUTH, "X-Diboli-Signature", "not a "
		    "signature in hex");
	request_message(msg, sizeof msg, time, budget, pull, body, n);
	if (crypto_sign_verify_detached(sig, (const uint8_t *)msg, strlen(msg),
	    caller->node_pk) != 0)
		return dib_fail(d, DIB_EUNAUTH, "X-Diboli-Signature", "the "
		    "request signature does not match the node %s", caller->name);
	return DIB_OK;
}

/* ---- serving ---- */

struct apply_job {
	struct sync_apply *a;
	const void *body;
	size_t n;
};

static int
job_apply(struct node *n, void *arg, struct dib_diag *d)
{
	struct apply_job *j = arg;
	int rc;

	/* The writer's own connection. */
	j->a->s = n->store;
	if ((rc = sync_apply_feed(j->a, j->body, j->n, d)) != 0)
		return rc;
	return sync_apply_finish(j->a, d);
}

struct audit_job {
	struct sync_apply *a;
	const char *actor;
};

static int
job_audit(struct node *n, void *arg, struct dib_diag *d)
{
	struct audit_job *j = arg;

	(void)d;
	j->a->s = n->store;
	sync_apply_audit(j->a, j->actor);
	return DIB_OK;
}

/* The peer row of a caller, by its node key or, once, by its nation. */
struct incoming_job {
	const struct cert *caller;
	const char *result;
};

static int
job_incoming(struct node *n, void *arg, struct dib_diag *d)
{
	struct incoming_job *j = arg;
	sqlite3_stmt *st;
	int rc = DIB_OK;

	if (sqlite3_prepare_v2(n->store->db, "UPDATE peers SET node = ?1 "
	    "WHERE node IS NULL AND nation = ?2 AND NOT EXISTS (SELECT 1 FROM "
	    "peers WHERE node = ?1) AND name = (SELECT min(name) FROM peers "
	    "WHERE node IS NULL AND nation = ?2)", -1, &st, NULL) !=
	    SQLITE_OK)
		return store_dberr(n->store, d, "peer");
	sqlite3_bind_blob(st, 1, j->caller->node_pk, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, j->caller->nation, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_dberr(n->store, d, "peer");
	sqlite3_finalize(st);
	if (rc != 0 || sqlite3_prepare_v2(n->store->db, "UPDATE peers SET "
	    "last_at = ?2, last_ok = 1, last_result = ?3 WHERE node = ?1 AND "
	    "url IS NULL", -1, &st, NULL) != SQLITE_OK)
		return rc ? rc : store_dberr(n->store, d, "peer");
	sqlite3_bind_blob(st, 1, j->caller->node_pk, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, util_now_ms());
	sqlite3_bind_text(st, 3, j->result, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_dberr(n->store, d, "peer");
	sqlite3_finalize(st);
	return rc;
}

int
sync_serve(struct node *r, const struct sync_tx *tx,
    const struct cert *caller, const void *body, size_t n, int64_t budget,
    int pull, struct buf *out, struct sync_apply *a, struct dib_diag *d)
{
	struct sync_sink o = {sync_buf_write, out};
	struct sync_summary mine;
	struct apply_job j = {a, body, n};
	struct audit_job aj;
	struct incoming_job ij;
	struct sync_sent sent;
	struct dib_diag ignore;
	char actor[120], line[400];
	int rc;

	snprintf(actor, sizeof actor, "node:%.100s", caller->name);
	snprintf(a->from, sizeof a->from, "%.70s (%s)", caller->name,
	    caller->nation);
	rc = tx->run(tx->ctx, job_apply, &j, d);
	aj.a = a;
	aj.actor = actor;
	if (a->nev > 0)
		tx->run(tx->ctx, job_audit, &aj, &ignore);
	if (rc != 0)
		return rc;
	a->s = r->store;
	sync_apply_describe(a, line, sizeof line);
	ij.caller = caller;
	ij.result = line;
	tx->run(tx->ctx, job_incoming, &ij, &ignore);
	/* What the caller may see, read after the commit. */
	if ((rc = sync_summary_make(r->store, caller->nation, &mine, d)) != 0)
		return rc;
	if ((rc = sync_put_version(&o, d)) == 0 &&
	    (rc = sync_put_summary(&o, &mine, d)) == 0 && pull)
		rc = sync_put_blocks(r->store, caller->nation, &a->peer, budget,
		    &o, &sent, d);
	if (rc == 0)
		rc = sync_put_end(&o, d);
	sync_summary_free(&mine);
	return rc;
}

/* ---- the client ---- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void
curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t
on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;

	return buf_add(b, p, size * nmemb) == 0 ? size * nmemb : 0;
}

static int
on_progress(void *arg, curl_off_t dlt, curl_off_t dln, curl_off_t ult,
    curl_off_t uln)
{
	const atomic_int *cancel = arg;

	(void)dlt, (void)dln, (void)ult, (void)uln;
	return cancel != NULL && atomic_load(cancel) ? 1 : 0;
}

/* POST body to the peer; answer into ans. DIB_EIO, or the peer's error. */
static int
post(const struct peer *p, const struct log_signer *k, const char *cert_hex,
    int64_t budget, int pull, const struct buf *body, struct buf *ans,
    const atomic_int *cancel, struct dib_diag *d)
{
	struct curl_slist *h = NULL;
	char url[PEER_URL_MAX + 100], time[32], msg[256], sighex[129];
	char *hdr, ctype[128] = "";
	uint8_t sig[64];
	long status = 0;
	CURL *c;
	CURLcode cc;
	int rc = DIB_OK;

	pthread_once(&curl_once, curl_init);
	{
		size_t ul = strlen(p->url);

		while (ul > 0 && p->url[ul - 1] == '/')
			ul--;
		snprintf(url, sizeof url, "%.*s%s?budget=%" PRId64 "&pull=%d",
		    (int)ul, p->url, SYNC_PATH, budget, pull ? 1 : 0);
	}
	snprintf(time, sizeof time, "%" PRId64, util_now_ms());
	request_message(msg, sizeof msg, time, budget, pull, body->p,
	    body->len);
	crypto_sign_detached(sig, NULL, (const uint8_t *)msg, strlen(msg),
	    k->sk);
	util_hex(sig, 64, sighex);
	if ((hdr = malloc(strlen(cert_hex) + 32)) == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	snprintf(hdr, strlen(cert_hex) + 32, "X-Diboli-Cert: %s", cert_hex);
	h = curl_slist_append(h, hdr);
	free(hdr);
	{
		char line[200];

		snprintf(line, sizeof line, "X-Diboli-Time: %s", time);
		h = curl_slist_append(h, line);
		snprintf(line, sizeof line, "X-Diboli-Signature: %s", sighex);
		h = curl_slist_append(h, line);
		h = curl_slist_append(h, "Content-Type: " SYNC_MEDIA);
		h = curl_slist_append(h, "Expect:");
	}
	if ((c = curl_easy_init()) == NULL) {
		curl_slist_free_all(h);
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->p ? body->p : "");
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)body->len);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, ans);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 20L);
	/* A slow link may take long; a dead one must not hang forever. */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 10L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 120L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)cancel);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		rc = dib_fail(d, DIB_EIO, "", "%s: %s", p->url,
		    curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	{
		char *ct = NULL;

		curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
		if (ct)
			snprintf(ctype, sizeof ctype, "%s", ct);
	}
	if (status != 200) {
		json_t *j = json_loadb(ans->p ? ans->p : "", ans->len, 0, NULL);
		const char *m = json_string_value(json_object_get(
		    json_object_get(j, "error"), "message"));

		rc = dib_fail(d, status == 401 ? DIB_EUNAUTH : status == 403 ?
		    DIB_EPERM : DIB_EIO, "", "%s answered %ld: %.300s", p->name,
		    status, m ? m : "(no message)");
		json_decref(j);
		goto out;
	}
	if (strncmp(ctype, SYNC_MEDIA, strlen(SYNC_MEDIA)) != 0)
		rc = dib_fail(d, DIB_EIO, "", "%s answered with %.60s, not a "
		    "sync payload (is the URL a diboli node?)", p->name,
		    ctype[0] ? ctype : "no content type");
out:
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	return rc;
}

/* Keep a copy of what crossed the link (diboli sync --trace DIR). */
static void
trace(const struct sync_tx *tx, const struct peer *p, const char *what,
    const struct buf *b)
{
	static atomic_int seq;
	char path[4200];

	if (tx->trace == NULL)
		return;
	snprintf(path, sizeof path, "%s/%" PRId64 "-%d-%s-%s.sync", tx->trace,
	    util_now_ms(), atomic_fetch_add(&seq, 1), p->name, what);
	util_write_file(path, b->p ? b->p : "", b->len, 0600, NULL);
}

struct pull_job {
	struct sync_apply *a;
	const struct buf *ans;
};

static int
job_pull(struct node *n, void *arg, struct dib_diag *d)
{
	struct pull_job *j = arg;
	int rc;

	j->a->s = n->store;
	if ((rc = sync_apply_feed(j->a, j->ans->p, j->ans->len, d)) != 0)
		return rc;
	return sync_apply_finish(j->a, d);
}

int
sync_with_peer(struct node *r, const struct log_signer *k,
    const struct peer *p, int64_t budget, const struct sync_tx *tx,
    struct sync_result *res, struct dib_diag *d)
{
	struct sync_summary mine;
	struct sync_sink o;
	struct sync_apply a, b;
	struct sync_sent sent;
	struct buf req, ans;
	struct pull_job pj;
	struct sync_note note;
	struct audit_job aj;
	struct dib_diag ignore;
	uint8_t *cert = NULL;
	size_t clen = 0;
	char *cert_hex = NULL, actor[120], line[400];
	int rc, a_live = 0, b_live = 0;

	memset(res, 0, sizeof *res);
	memset(&mine, 0, sizeof mine);
	buf_init(&req, (size_t)budget + SYNC_ITEM_MAX + (1 << 20));
	buf_init(&ans, (size_t)budget + SYNC_ITEM_MAX + (1 << 20));
	o.write = sync_buf_write;
	o.arg = &req;
	snprintf(actor, sizeof actor, "sync:%s", p->name);
	if (p->url[0] == '\0') {
		rc = dib_fail(d, DIB_EINVAL, "peer", "peer %s has no URL: "
		    "exchange bundles with it (diboli bundle export)", p->name);
		goto note;
	}
	if ((rc = cert_node_cert(r, &cert, &clen, d)) != 0) {
		if (rc == DIB_ENOTFOUND)
			rc = dib_fail(d, DIB_EPERM, "", "this node has no "
			    "certificate: diboli node certify --dir DIR "
			    "--nation-key NATION.key");
		goto note;
	}
	if ((cert_hex = malloc(clen * 2 + 1)) == NULL) {
		rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
		goto note;
	}
	util_hex(cert, clen, cert_hex);

	/* Pull: my summary of what the peer may send me. */
	if ((rc = sync_summary_make(r->store, p->nation, &mine, d)) != 0 ||
	    (rc = sync_put_version(&o, d)) != 0 ||
	    (rc = sync_put_summary(&o, &mine, d)) != 0 ||
	    (rc = sync_put_end(&o, d)) != 0 ||
	    (rc = post(p, k, cert_hex, budget, 1, &req, &ans,
	    tx->cancel, d)) != 0)
		goto note;
	trace(tx, p, "pull-request", &req);
	trace(tx, p, "pull-answer", &ans);
	sync_apply_init(&a, r);
	a_live = 1;
	snprintf(a.from, sizeof a.from, "%s (%s)", p->name, p->nation);
	pj.a = &a;
	pj.ans = &ans;
	rc = tx->run(tx->ctx, job_pull, &pj, d);
	if (a.nev > 0) {
		aj.a = &a;
		aj.actor = actor;
		tx->run(tx->ctx, job_audit, &aj, &ignore);
	}
	a.s = r->store;
	if (rc != 0)
		goto note;
	res->pulled_blocks = a.applied_blocks;
	res->pulled_records = a.applied_records;
	res->wait_in = a.wait_records;
	res->refused = a.refused_blocks;
	res->forks = a.forks;

	/* Push: what its summary says it lacks. */
	buf_reset(&req);
	buf_reset(&ans);
	if ((rc = sync_put_version(&o, d)) != 0 ||
	    (rc = sync_put_blocks(r->store, p->nation, &a.peer, budget, &o,
	    &sent, d)) != 0 || (rc = sync_put_end(&o, d)) != 0)
		goto note;
	res->pushed_blocks = sent.blocks;
	res->pushed_records = sent.records;
	res->wait_out = sent.wait_records;
	if (sent.blocks > 0) {
		if ((rc = post(p, k, cert_hex, budget, 0, &req, &ans,
		    tx->cancel, d)) != 0)
			goto note;
		trace(tx, p, "push-request", &req);
		trace(tx, p, "push-answer", &ans);
		/* Its summary after them: what still waits. */
		sync_apply_init(&b, r);
		b_live = 1;
		b.dry_run = 1;
		if ((rc = sync_apply_feed(&b, ans.p, ans.len, d)) != 0 ||
		    (rc = sync_apply_finish(&b, d)) != 0 ||
		    (rc = sync_waiting(r->store, p->nation, &b.peer,
		    &sent.wait_blocks, &res->wait_out, d)) != 0)
			goto note;
	}
note:
	if (rc == 0)
		snprintf(res->text, sizeof res->text, "pulled %" PRId64
		    " record(s) in %" PRId64 " block(s), pushed %" PRId64
		    " record(s) in %" PRId64 " block(s); waiting: %" PRId64
		    " in, %" PRId64 " out%s%s", res->pulled_records,
		    res->pulled_blocks, res->pushed_records, res->pushed_blocks,
		    res->wait_in, res->wait_out, res->refused || res->forks ?
		    "; SECURITY: blocks refused or equivocation, see the audit"
		    : "", "");
	else
		snprintf(res->text, sizeof res->text, "failed: %.380s", d->msg);
	snprintf(line, sizeof line, "%s", res->text);
	note.peer = p->name;
	note.ok = rc == 0;
	note.result = line;
	note.wait_in = rc == 0 ? res->wait_in : -1;
	note.wait_out = rc == 0 ? res->wait_out : -1;
	note.interval_ms = 30000;
	tx->run(tx->ctx, sync_note_peer, &note, &ignore);
	if (a_live)
		sync_apply_free(&a);
	if (b_live)
		sync_apply_free(&b);
	sync_summary_free(&mine);
	buf_free(&req);
	buf_free(&ans);
	free(cert);
	free(cert_hex);
	return rc;
}
