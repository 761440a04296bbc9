/*
** Unit tests of fed/sync and the checks of fed/exchange: three certified
** nodes (SN HQ, SN post, ML HQ) exchange payloads in memory and must end
** with exactly what each may hold; applying is idempotent whatever the
** chunking, fills gaps from the pending table, quarantines equivocation,
** refuses what is not meant for the receiver, sends the most urgent first
** within a budget, and never stores a tampered or truncated payload.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>

#include "fed/cert.h"
#include "fed/exchange.h"
#include "fed/sync.h"
#include "log/log.h"
#include "log/record.h"
#include "node/node.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/util.h"

#define PAYLOAD_MAX (8 * 1024 * 1024)

/* A record written by a test: which node, which log, which id. */
struct rec {
	const struct node *origin;
	char aud[16];
	uint8_t id[16];
};

struct fix {
	char dir[4096];
	uint8_t sn_pk[32], sn_sk[64];   /* nation keys, in memory */
	uint8_t ml_pk[32], ml_sk[64];
	struct node *nodes[8];          /* closed by teardown */
	size_t nnodes;
	struct rec recs[512];
	size_t nrecs;
};

static int
setup(void **state)
{
	const char *base = getenv("DIBOLI_TEST_TMP");
	struct fix *f = calloc(1, sizeof *f);

	if (f == NULL || sodium_init() < 0)
		return -1;
	if (base == NULL || *base == '\0')
		base = "/tmp";
	if (mkdir(base, 0700) != 0 && errno != EEXIST)
		return -1;
	snprintf(f->dir, sizeof f->dir, "%s/test_sync.XXXXXX", base);
	if (mkdtemp(f->dir) == NULL)
		return -1;
	crypto_sign_keypair(f->sn_pk, f->sn_sk);
	crypto_sign_keypair(f->ml_pk, f->ml_sk);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;
	char cmd[4200];
	size_t i;

	for (i = 0; i < f->nnodes; i++)
		node_close(f->nodes[i]);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	sodium_memzero(f->sn_sk, sizeof f->sn_sk);
	sodium_memzero(f->ml_sk, sizeof f->ml_sk);
	free(f);
	return 0;
}

/* ---- nodes ---- */

static struct node *
open_node(struct fix *f, const char *sub)
{
	struct dib_diag d;
	struct node *n = NULL;
	char path[4200];

	snprintf(path, sizeof path, "%s/%s", f->dir, sub);
	if (node_open(path, &n, &d) != 0)
		fail_msg("node_open %s: %s", sub, d.msg);
	assert_true(f->nnodes < sizeof f->nodes / sizeof f->nodes[0]);
	f->nodes[f->nnodes++] = n;
	return n;
}

/* Close n early (it leaves the teardown list). */
static void
close_node(struct fix *f, struct node *n)
{
	size_t i;

	for (i = 0; i < f->nnodes; i++)
		if (f->nodes[i] == n) {
			f->nodes[i] = f->nodes[--f->nnodes];
			break;
		}
	node_close(n);
}

static void
pin(struct fix *f, struct node *n, const char *nation)
{
	struct dib_diag d;

	if (cert_pin(n->store, nation, strcmp(nation, "SN") == 0 ? f->sn_pk :
	    f->ml_pk, 0, &d) != 0)
		fail_msg("pin %s: %s", nation, d.msg);
}

/*
** A node of nation in f->dir/sub, certified by its nation key (unless
** certify is 0), pinning the other nation when pin_other is set.
*/
static struct node *
make_node(struct fix *f, const char *sub, const char *nation,
    const char *name, int certify, int pin_other)
{
	struct dib_diag d;
	struct node *n;
	char path[4200];
	int sn = strcmp(nation, "SN") == 0;

	snprintf(path, sizeof path, "%s/%s", f->dir, sub);
	if (node_init(path, nation, name, &d) != 0)
		fail_msg("node_init %s: %s", sub, d.msg);
	n = open_node(f, sub);
	if (certify && cert_certify_node(n, nation, sn ? f->sn_sk : f->ml_sk,
	    sn ? f->sn_pk : f->ml_pk, &d) != 0)
		fail_msg("certify %s: %s", sub, d.msg);
	if (pin_other)
		pin(f, n, sn ? "ML" : "SN");
	return n;
}

/*
** count records of audience and precedence appended by n in one call
** (one block), each with remarks of pad bytes; their ids go to f->recs.
*/
static void
add(struct fix *f, struct node *n, const char *aud, const char *prec,
    int count, size_t pad)
{
	json_t *in[64];
	uint8_t ids[64][16];
	struct dib_diag d;
	char *remarks;
	int i;

	assert_true(count > 0 && count <= 64);
	assert_true(f->nrecs + (size_t)count <= sizeof f->recs /
	    sizeof f->recs[0]);
	assert_non_null(remarks = malloc(pad + 1));
	memset(remarks, 'x', pad);
	remarks[pad] = '\0';
	for (i = 0; i < count; i++) {
		in[i] = json_pack("{s:s, s:s, s:{s:s, s:[f, f]}, s:{s:i, s:s}, "
		    "s:s, s:s}", "category", "security.armed_group.sighting",
		    "observed_at", "2025-02-21T08:00:00Z", "geometry", "type",
		    "Point", "coordinates", -12.217, 14.467, "attributes",
		    "strength", (int)(f->nrecs + (size_t)i), "remarks",
		    remarks, "audience", aud, "precedence", prec);
		assert_non_null(in[i]);
	}
	if (node_add(n, in, (size_t)count, ids, &d) != 0)
		fail_msg("node_add %s: %s: %s", aud, d.field, d.msg);
	for (i = 0; i < count; i++) {
		struct rec *r = &f->recs[f->nrecs++];

		json_decref(in[i]);
		r->origin = n;
		snprintf(r->aud, sizeof r->aud, "%s", aud);
		memcpy(r->id, ids[i], 16);
	}
	free(remarks);
}

static int64_t
count_sql(struct node *n, const char *sql)
{
	return store_count(n->store, sql);
}

/* Is record id held (in a log) by n? */
static int
holds(struct node *n, const uint8_t id[16])
{
	sqlite3_stmt *st;
	int hit;

	assert_int_equal(sqlite3_prepare_v2(n->store->db, "SELECT 1 FROM "
	    "entries WHERE id = ?1", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
	hit = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return hit;
}

/* Records n holds in the log (origin key, audience). */
static int64_t
log_records(struct node *n, const uint8_t origin[32], const char *aud)
{
	sqlite3_stmt *st;
	int64_t c = -1;

	assert_int_equal(sqlite3_prepare_v2(n->store->db, "SELECT count(*) "
	    "FROM entries e JOIN logs l ON l.id = (e.k >> 40) JOIN origins o "
	    "ON o.id = l.origin WHERE o.pubkey = ?1 AND l.audience = ?2", -1,
	    &st, NULL), SQLITE_OK);
	sqlite3_bind_blob(st, 1, origin, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, aud, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		c = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return c;
}

static void
verify(struct node *n)
{
	struct log_verify_report rep;
	struct dib_diag d;

	if (log_verify(n->store, &rep, NULL, NULL, &d) != 0)
		fail_msg("log_verify %s: %s", n->name, d.msg);
	assert_int_equal(rep.records, count_sql(n, "SELECT count(*) FROM "
	    "entries"));
}

/*
** n holds exactly the records of f->recs that want() says, no other,
** with the right count in each (origin, audience) log, and verifies.
*/
static void
check_holds(struct fix *f, struct node *n,
    int (*want)(const struct rec *, const struct node *))
{
	int64_t expect = 0;
	size_t i, j;

	for (i = 0; i < f->nrecs; i++) {
		const struct rec *r = &f->recs[i];
		int64_t in_log = 0;

		if (want(r, n) != holds(n, r->id))
			fail_msg("%s: record %zu (%s) of %s should%s be held",
			    n->name, i, r->aud, r->origin->name,
			    want(r, n) ? "" : " not");
		if (!want(r, n))
			continue;
		expect++;
		for (j = 0; j < f->nrecs; j++)
			if (f->recs[j].origin == r->origin &&
			    strcmp(f->recs[j].aud, r->aud) == 0 &&
			    want(&f->recs[j], n))
				in_log++;
		assert_int_equal(log_records(n, r->origin->signer.pk, r->aud),
		    in_log);
	}
	assert_int_equal(count_sql(n, "SELECT count(*) FROM entries"),
	    expect);
	verify(n);
}

/* Everything releasable to the node's nation (after convergence). */
static int
want_releasable(const struct rec *r, const struct node *n)
{
	return r->origin == n || util_audience_has(r->aud, n->nation);
}

/* ---- payloads ---- */

/*
** The payload from sends to a node of nation that holds what summary
** "to" gives (to NULL: nothing): version, from's summary, certificates,
** blocks within budget, waiting, end. out is initialised here.
*/
static void
payload(struct node *from, struct node *to, const char *nation,
    int64_t budget, struct buf *out, struct sync_sent *sent)
{
	struct sync_summary theirs, mine;
	struct sync_sink o = {sync_buf_write, NULL};
	struct sync_sent ignore;
	struct dib_diag d;

	buf_init(out, PAYLOAD_MAX);
	o.arg = out;
	memset(&theirs, 0, sizeof theirs);
	if (to != NULL && sync_summary_make(to->store, from->nation, &theirs,
	    &d) != 0)
		fail_msg("summary: %s", d.msg);
	if (sync_summary_make(from->store, nation, &mine, &d) != 0)
		fail_msg("summary: %s", d.msg);
	if (sync_put_version(&o, &d) != 0 ||
	    sync_put_summary(&o, &mine, &d) != 0 ||
	    sync_put_blocks(from->store, nation, to ? &theirs : NULL, budget,
	    &o, sent ? sent : &ignore, &d) != 0 ||
	    sync_put_end(&o, &d) != 0)
		fail_msg("payload: %s", d.msg);
	sync_summary_free(&theirs);
	sync_summary_free(&mine);
}

#define A_STRICT 1
#define A_DRY 2
#define A_ROLLBACK 4    /* roll back even on success */

/* Records held inside the apply's transaction, before it ended. */
static int64_t tx_entries;

/*
** Apply p[0..n) to node to in chunks of chunk bytes (0: at once) in one
** transaction: committed on success unless A_ROLLBACK, rolled back on
** failure; the security events are then audited (unless A_ROLLBACK:
** the scratch runs of the tampering test). a holds the results
** (free with sync_apply_free); returns the first error.
*/
static int
apply_opts(struct node *to, const void *p, size_t n, size_t chunk, int opts,
    struct sync_apply *a, struct dib_diag *d)
{
	const uint8_t *b = p;
	size_t off = 0;
	int rc;

	sync_apply_init(a, to);
	a->strict = (opts & A_STRICT) != 0;
	a->dry_run = (opts & A_DRY) != 0;
	snprintf(a->from, sizeof a->from, "unit test");
	if ((rc = store_begin(to->store, d)) != 0)
		return rc;
	rc = DIB_OK;
	while (rc == 0 && off < n) {
		size_t k = chunk == 0 || n - off < chunk ? n - off : chunk;

		rc = sync_apply_feed(a, b + off, k, d);
		off += k;
	}
	if (rc == 0)
		rc = sync_apply_finish(a, d);
	tx_entries = count_sql(to, "SELECT count(*) FROM entries");
	if (rc == 0 && !(opts & A_ROLLBACK))
		rc = store_commit(to->store, d);
	else
		store_rollback(to->store);
	if (a->nev > 0 && !(opts & A_ROLLBACK))
		sync_apply_audit(a, "test:sync");
	return rc;
}

/* Apply at once, commit; it must succeed. */
static void
apply_ok(struct node *to, const struct buf *b, struct sync_apply *a)
{
	struct dib_diag d;

	if (apply_opts(to, b->p, b->len, 0, 0, a, &d) != 0)
		fail_msg("apply to %s: %s: %s", to->name, d.field, d.msg);
}

/* One item of a payload. */
struct item {
	int type;
	const uint8_t *p;       /* content */
	size_t n;
	size_t off;             /* where the item starts in the payload */
};

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Split a well-formed payload into its items; returns their number. */
static size_t
items(const struct buf *b, struct item *v, size_t max)
{
	const uint8_t *p = (const uint8_t *)b->p;
	size_t off = 0, n = 0;

	while (off < b->len) {
		assert_true(b->len - off >= 5);
		assert_true(n < max);
		v[n].type = p[off];
		v[n].n = be32(p + off + 1);
		v[n].p = p + off + 5;
		v[n].off = off;
		assert_true(v[n].n <= b->len - off - 5);
		off += 5 + v[n].n;
		n++;
	}
	return n;
}

/* The header of a block item. */
static void
block_header(const struct item *it, struct log_header *h)
{
	size_t hlen;

	assert_int_equal(it->type, SYNC_I_BLOCK);
	hlen = (size_t)it->p[0] << 8 | it->p[1];
	assert_int_equal(log_header_decode(it->p + 2, hlen, h), 0);
}

static size_t
count_type(const struct item *v, size_t n, int type)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		c += v[i].type == type;
	return c;
}

/* A payload of the version item, the given items, and the end item. */
static void
rebuild(struct buf *out, const struct item *const *v, size_t n)
{
	struct sync_sink o = {sync_buf_write, NULL};
	struct dib_diag d;
	size_t i;

	buf_init(out, PAYLOAD_MAX);
	o.arg = out;
	assert_int_equal(sync_put_version(&o, &d), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(buf_add(out, (const uint8_t *)v[i]->p - 5,
		    v[i]->n + 5), 0);
	assert_int_equal(sync_put_end(&o, &d), 0);
}

static int64_t
audit_count(struct node *n, const char *action)
{
	char sql[200];

	snprintf(sql, sizeof sql, "SELECT count(*) FROM audit WHERE action = "
	    "'%s'", action);
	return count_sql(n, sql);
}

/* ---- the egress rule ---- */

static void
test_may_send(void **state)
{
	(void)state;
	assert_true(sync_may_send("SN", "SN"));
	assert_false(sync_may_send("SN", "ML"));
	assert_true(sync_may_send("ML,SN", "ML"));
	assert_true(sync_may_send("ML,SN", "SN"));
	assert_false(sync_may_send("ML,SN", "MR"));
	assert_true(sync_may_send("ML,MR,SN", "MR"));
	assert_false(sync_may_send("ML,MR,SN", "GN"));
	assert_false(sync_may_send("ML,SN", ""));
	assert_false(sync_may_send(NULL, "SN"));
	assert_false(sync_may_send("ML,SN", NULL));
	/* No prefix or substring match. */
	assert_false(sync_may_send("ML,SN", "S"));
	assert_false(sync_may_send("ML,SN", "L,"));
}

/* ---- summaries ---- */

static void
test_summary(void **state)
{
	struct sync_summary sm;
	struct sync_sink o = {sync_buf_write, NULL};
	struct sync_apply a;
	struct dib_diag d;
	struct node fake;
	struct buf b;
	uint8_t o1[32], o2[32], o3[32];
	char aud[80];

	(void)state;
	memset(&sm, 0, sizeof sm);
	memset(o1, 1, 32);
	memset(o2, 2, 32);
	memset(o3, 3, 32);
	assert_int_equal(sync_summary_next(NULL, o1, "ML,SN"), 1);
	assert_int_equal(sync_summary_next(&sm, o1, "ML,SN"), 1);
	assert_int_equal(sync_summary_add(&sm, o2, "SN", 2), 0);
	assert_int_equal(sync_summary_add(&sm, o1, "ML,SN", 5), 0);
	assert_int_equal(sync_summary_add(&sm, o1, "ML,SN", 9), 0);
	assert_int_equal(sync_summary_add(&sm, o1, "ML,SN", 3), 0);
	assert_int_equal(sync_summary_add(&sm, o1, "ML,MR,SN", 0), 0);
	memset(aud, 'A', sizeof aud - 1);
	aud[sizeof aud - 1] = '\0';
	assert_int_equal(sync_summary_add(&sm, o1, aud, 4), DIB_EINVAL);
	/* A log given twice keeps its highest; absent or < 1 means 1. */
	assert_int_equal(sync_summary_next(&sm, o1, "ML,SN"), 9);
	assert_int_equal(sync_summary_next(&sm, o1, "SN"), 1);
	assert_int_equal(sync_summary_next(&sm, o2, "SN"), 2);
	assert_int_equal(sync_summary_next(&sm, o1, "ML,MR,SN"), 1);
	assert_int_equal(sync_summary_next(&sm, o3, "SN"), 1);
	assert_int_equal(sm.n, 3);
	/* Added after sorting: sorted again. */
	assert_int_equal(sync_summary_add(&sm, o3, "ML", 7), 0);
	assert_int_equal(sync_summary_next(&sm, o3, "ML"), 7);

	/* Through a payload and back, in a dry run of a scratch store. */
	buf_init(&b, PAYLOAD_MAX);
	o.arg = &b;
	assert_int_equal(sync_put_version(&o, &d), 0);
	assert_int_equal(sync_put_summary(&o, &sm, &d), 0);
	assert_int_equal(sync_put_end(&o, &d), 0);
	assert_int_equal(b.len, 18 + 4 * 45 + 8 + 5 + 2 + 2 + 5);
	memset(&fake, 0, sizeof fake);
	assert_int_equal(store_open(":memory:", 1, &fake.store, &d), 0);
	memcpy(fake.nation, "ML", 3);
	sync_apply_init(&a, &fake);
	a.dry_run = 1;
	assert_int_equal(sync_apply_feed(&a, b.p, b.len, &d), 0);
	assert_int_equal(sync_apply_finish(&a, &d), 0);
	assert_int_equal(a.peer.n, 4);
	assert_int_equal(sync_summary_next(&a.peer, o1, "ML,SN"), 9);
	assert_int_equal(sync_summary_next(&a.peer, o3, "ML"), 7);
	sync_apply_free(&a);
	/* A summary line with an audience not in canonical form. */
	{
		uint8_t item[5 + 40 + 5];

		buf_reset(&b);
		assert_int_equal(sync_put_version(&o, &d), 0);
		item[0] = SYNC_I_SUMMARY;
		item[1] = item[2] = item[3] = 0;
		item[4] = 45;
		memset(item + 5, 1, 40);
		memcpy(item + 45, "SN,ML", 5);
		assert_int_equal(buf_add(&b, item, sizeof item), 0);
		assert_int_equal(sync_put_end(&o, &d), 0);
		sync_apply_init(&a, &fake);
		assert_int_equal(sync_apply_feed(&a, b.p, b.len, &d),
		    DIB_ETAMPER);
		sync_apply_free(&a);
	}
	store_close(fake.store);
	buf_free(&b);
	sync_summary_free(&sm);
	assert_null(sm.v);
	assert_int_equal(sm.n, 0);
}

/* ---- 1. convergence, relaying and the HTTP exchange ---- */

struct apply_job {
	struct sync_apply *a;
	const struct buf *b;
};

static int
job_apply(struct node *n, void *arg, struct dib_diag *d)
{
	struct apply_job *j = arg;
	int rc;

	j->a->s = n->store;
	if ((rc = sync_apply_feed(j->a, j->b->p, j->b->len, d)) != 0)
		return rc;
	return sync_apply_finish(j->a, d);
}

/* One direction, through sync_tx_direct: from sends to what to lacks. */
static int64_t
push(struct node *from, struct node *to, int64_t *records)
{
	struct sync_tx tx = {sync_tx_direct, NULL, NULL, NULL};
	struct sync_apply a;
	struct apply_job j = {&a, NULL};
	struct sync_sent sent;
	struct dib_diag d;
	struct buf b;
	int64_t blocks;

	payload(from, to, to->nation, 0, &b, &sent);
	sync_apply_init(&a, to);
	j.b = &b;
	tx.ctx = to;
	if (tx.run(tx.ctx, job_apply, &j, &d) != 0)
		fail_msg("%s -> %s: %s", from->name, to->name, d.msg);
	assert_int_equal(a.applied_blocks, sent.blocks);
	assert_int_equal(a.applied_records, sent.records);
	assert_int_equal(a.refused_blocks + a.forks + a.pending_blocks +
	    a.held_blocks, 0);
	assert_int_equal(sent.wait_blocks, 0);
	assert_int_equal(a.saw_end, 1);
	blocks = a.applied_blocks;
	if (records != NULL)
		*records = a.applied_records;
	sync_apply_free(&a);
	buf_free(&b);
	return blocks;
}

/* The certificate of n as its peers check it. */
static void
caller_cert(struct node *n, struct node *server, struct cert *c)
{
	struct dib_diag d;
	uint8_t *b = NULL;
	size_t len = 0;

	assert_int_equal(cert_node_cert(n, &b, &len, &d), 0);
	if (cert_check_origin(server->store, b, len, util_now_ms(), c,
	    &d) != 0)
		fail_msg("caller cert: %s", d.msg);
	free(b);
}

/*
** What sync_with_peer does, without HTTP: client pulls from server, then
** pushes what it lacks; the server answers through sync_serve.
*/
static void
exchange(struct node *client, struct node *server, int64_t *pulled,
    int64_t *pushed)
{
	struct sync_tx tx = {sync_tx_direct, NULL, NULL, NULL};
	struct sync_sink o = {sync_buf_write, NULL};
	struct sync_summary mine;
	struct sync_apply sa, a, b;
	struct sync_sent sent;
	struct cert *caller;
	struct buf req, ans;
	struct dib_diag d;
	int64_t wb = -1, wr = -1;

	assert_non_null(caller = malloc(sizeof *caller));
	caller_cert(client, server, caller);
	tx.ctx = server;
	buf_init(&req, PAYLOAD_MAX);
	buf_init(&ans, PAYLOAD_MAX);
	o.arg = &req;

	/* Pull. */
	assert_int_equal(sync_summary_make(client->store, server->nation,
	    &mine, &d), 0);
	assert_int_equal(sync_put_version(&o, &d), 0);
	assert_int_equal(sync_put_summary(&o, &mine, &d), 0);
	assert_int_equal(sync_put_end(&o, &d), 0);
	sync_summary_free(&mine);
	sync_apply_init(&sa, server);
	if (sync_serve(server, &tx, caller, req.p, req.len, 0, 1, &ans, &sa,
	    &d) != 0)
		fail_msg("serve pull: %s", d.msg);
	assert_int_equal(sa.applied_blocks, 0);
	sync_apply_free(&sa);
	apply_ok(client, &ans, &a);
	assert_int_equal(a.refused_blocks + a.forks + a.pending_blocks, 0);
	*pulled = a.applied_records;

	/* Push what its summary says it lacks. */
	buf_reset(&req);
	buf_reset(&ans);
	assert_int_equal(sync_put_version(&o, &d), 0);
	assert_int_equal(sync_put_blocks(client->store, server->nation,
	    &a.peer, 0, &o, &sent, &d), 0);
	assert_int_equal(sync_put_end(&o, &d), 0);
	sync_apply_init(&sa, server);
	if (sync_serve(server, &tx, caller, req.p, req.len, 0, 0, &ans, &sa,
	    &d) != 0)
		fail_msg("serve push: %s", d.msg);
	assert_int_equal(sa.applied_blocks, sent.blocks);
	assert_int_equal(sa.applied_records, sent.records);
	assert_int_equal(sa.refused_blocks + sa.forks + sa.pending_blocks, 0);
	*pushed = sa.applied_records;
	sync_apply_free(&sa);

	/* The answer to a push is the server's summary: nothing waits. */
	assert_int_equal(apply_opts(client, ans.p, ans.len, 0, A_DRY, &b, &d),
	    0);
	assert_int_equal(b.applied_blocks + b.refused_blocks, 0);
	assert_int_equal(sync_waiting(client->store, server->nation, &b.peer,
	    &wb, &wr, &d), 0);
	assert_int_equal(wb, 0);
	assert_int_equal(wr, 0);
	sync_apply_free(&b);
	sync_apply_free(&a);
	buf_free(&req);
	buf_free(&ans);
	free(caller);
}

static void
test_convergence(void **state)
{
	struct fix *f = *state;
	struct node *hq, *post, *ml;
	int64_t recs = -1, pulled, pushed;
	size_t i;

	hq = make_node(f, "sn-hq", "SN", "PC Tambacounda", 1, 1);
	post = make_node(f, "sn-post", "SN", "Poste de Kidira", 1, 1);
	ml = make_node(f, "ml-hq", "ML", "PC Kayes", 1, 1);

	/* Several blocks per log; every kind of audience at every node. */
	add(f, post, "SN", "ROUTINE", 2, 0);
	add(f, post, "ML,SN", "PRIORITY", 3, 0);
	add(f, post, "SN", "FLASH", 1, 0);
	add(f, post, "ML,MR,SN", "ROUTINE", 1, 0);
	add(f, post, "ML,SN", "ROUTINE", 1, 0);
	add(f, hq, "SN", "IMMEDIATE", 1, 0);
	add(f, hq, "ML,SN", "ROUTINE", 2, 0);
	add(f, hq, "ML,MR,SN", "FLASH", 1, 0);
	add(f, ml, "ML", "ROUTINE", 2, 0);
	add(f, ml, "ML,SN", "IMMEDIATE", 2, 0);
	add(f, ml, "ML,MR,SN", "ROUTINE", 1, 0);

	/* The post reports to its HQ: all of its 5 blocks, 8 records. */
	assert_int_equal(push(post, hq, &recs), 5);
	assert_int_equal(recs, 8);
	/* The HQs meet: ML pulls SN's (its own and the post's, relayed),
	 * then pushes its own bilateral and tripartite ones. */
	exchange(ml, hq, &pulled, &pushed);
	assert_int_equal(pulled, 4 + 1 + 2 + 1);
	assert_int_equal(pushed, 2 + 1);
	/* The HQ passes everything down to its post. */
	assert_int_equal(push(hq, post, &recs), 3 + 2);
	assert_int_equal(recs, 1 + 2 + 1 + 2 + 1);

	check_holds(f, hq, want_releasable);
	check_holds(f, post, want_releasable);
	check_holds(f, ml, want_releasable);

	/* ML never holds an SN-only log, and knows the post it never met
	 * as a node of SN. */
	assert_int_equal(count_sql(ml, "SELECT count(*) FROM logs WHERE "
	    "audience = 'SN'"), 0);
	assert_int_equal(log_records(ml, post->signer.pk, "ML,SN"), 4);
	assert_int_equal(log_records(ml, post->signer.pk, "SN"), 0);
	assert_int_equal(count_sql(ml, "SELECT count(*) FROM origins WHERE "
	    "nation = 'SN' AND cert IS NOT NULL"), 2);
	/* Nor does SN hold ML's national log. */
	assert_int_equal(count_sql(hq, "SELECT count(*) FROM logs WHERE "
	    "audience = 'ML'"), 0);
	assert_int_equal(count_sql(post, "SELECT count(*) FROM logs WHERE "
	    "audience = 'ML'"), 0);

	/* Everything the post holds, sent back to its HQ without a summary:
	 * all held, the HQ's own blocks included. */
	{
		struct sync_apply a;
		struct sync_sent sent;
		struct buf b;

		payload(post, NULL, "SN", 0, &b, &sent);
		assert_int_equal(sent.blocks, 5 + 3 + 2);
		apply_ok(hq, &b, &a);
		assert_int_equal(a.held_blocks, 10);
		assert_int_equal(a.applied_blocks + a.refused_blocks + a.forks +
		    a.pending_blocks, 0);
		assert_int_equal(a.certs, 3);
		sync_apply_free(&a);
		buf_free(&b);
	}

	/* Converged: another round moves nothing, in any direction. */
	assert_int_equal(push(post, hq, NULL), 0);
	assert_int_equal(push(hq, post, NULL), 0);
	assert_int_equal(push(hq, ml, NULL), 0);
	assert_int_equal(push(ml, hq, NULL), 0);
	assert_int_equal(push(post, ml, NULL), 0);
	exchange(ml, hq, &pulled, &pushed);
	assert_int_equal(pulled + pushed, 0);

	/* No security event anywhere. */
	for (i = 0; i < f->nnodes; i++) {
		assert_int_equal(audit_count(f->nodes[i], "sync.refused"), 0);
		assert_int_equal(count_sql(f->nodes[i], "SELECT count(*) FROM "
		    "quarantine"), 0);
		assert_int_equal(count_sql(f->nodes[i], "SELECT count(*) FROM "
		    "pending"), 0);
	}
}

/* ---- 2. idempotence and chunking ---- */

/* A digest of what n holds: logs, their heads and every record body. */
static void
digest(struct node *n, uint8_t out[32])
{
	crypto_generichash_state hs;
	sqlite3_stmt *st;

	crypto_generichash_init(&hs, NULL, 0, 32);
	assert_int_equal(sqlite3_prepare_v2(n->store->db, "SELECT o.pubkey, "
	    "l.audience, l.next_seq, l.head FROM logs l JOIN origins o ON "
	    "o.id = l.origin ORDER BY o.pubkey, l.audience", -1, &st, NULL),
	    SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t next = sqlite3_column_int64(st, 2);
		int c;

		for (c = 0; c < 4; c++)
			if (c != 2)
				crypto_generichash_update(&hs,
				    sqlite3_column_blob(st, c),
				    (size_t)sqlite3_column_bytes(st, c));
		crypto_generichash_update(&hs, (const uint8_t *)&next,
		    sizeof next);
	}
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(n->store->db, "SELECT id, body "
	    "FROM entries ORDER BY id", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		crypto_generichash_update(&hs, sqlite3_column_blob(st, 0), 16);
		crypto_generichash_update(&hs, sqlite3_column_blob(st, 1),
		    (size_t)sqlite3_column_bytes(st, 1));
	}
	sqlite3_finalize(st);
	crypto_generichash_final(&hs, out, 32);
}

static void
test_idempotent(void **state)
{
	struct fix *f = *state;
	struct node *sn, *ml, *ml2, *ml3;
	struct sync_apply a;
	struct sync_sent sent;
	struct dib_diag d;
	struct buf b;
	uint8_t h1[32], h2[32], h3[32];
	int64_t held;

	sn = make_node(f, "sn", "SN", "PC Tambacounda", 1, 1);
	ml = make_node(f, "ml", "ML", "PC Kayes", 1, 1);
	ml2 = make_node(f, "ml2", "ML", "Poste de Diboli", 1, 1);
	ml3 = make_node(f, "ml3", "ML", "Poste de Kayes", 1, 1);
	add(f, sn, "ML,SN", "ROUTINE", 3, 10);
	add(f, sn, "ML,SN", "FLASH", 1, 0);
	add(f, sn, "ML,MR,SN", "PRIORITY", 2, 100);
	add(f, sn, "SN", "FLASH", 2, 0);        /* never sent to ML */
	payload(sn, NULL, "ML", 0, &b, &sent);
	assert_int_equal(sent.blocks, 3);
	assert_int_equal(sent.records, 6);

	apply_ok(ml, &b, &a);
	assert_int_equal(a.applied_blocks, 3);
	assert_int_equal(a.applied_records, 6);
	assert_int_equal(a.held_blocks, 0);
	assert_int_equal(a.certs, 1);
	assert_int_equal(a.peer.n, 2);          /* SN's summary for ML */
	sync_apply_free(&a);
	held = count_sql(ml, "SELECT count(*) FROM entries");
	assert_int_equal(held, 6);
	digest(ml, h1);

	/* The same payload again: every block is held, nothing changes. */
	apply_ok(ml, &b, &a);
	assert_int_equal(a.applied_blocks, 0);
	assert_int_equal(a.applied_records, 0);
	assert_int_equal(a.held_blocks, 3);
	assert_int_equal(a.pending_blocks + a.refused_blocks + a.forks, 0);
	sync_apply_free(&a);
	assert_int_equal(count_sql(ml, "SELECT count(*) FROM entries"), held);
	assert_int_equal(count_sql(ml, "SELECT count(*) FROM blocks"), 3);
	digest(ml, h2);
	assert_memory_equal(h1, h2, 32);

	/* Fed one byte at a time, or 7 at a time: the same result. */
	assert_int_equal(apply_opts(ml2, b.p, b.len, 1, 0, &a, &d), 0);
	assert_int_equal(a.applied_blocks, 3);
	assert_int_equal(a.applied_records, 6);
	assert_int_equal(a.peer.n, 2);
	sync_apply_free(&a);
	digest(ml2, h2);
	assert_memory_equal(h1, h2, 32);
	assert_int_equal(apply_opts(ml3, b.p, b.len, 7, 0, &a, &d), 0);
	assert_int_equal(a.applied_blocks, 3);
	sync_apply_free(&a);
	digest(ml3, h3);
	assert_memory_equal(h1, h3, 32);
	/* And again in one-byte chunks: held. */
	assert_int_equal(apply_opts(ml2, b.p, b.len, 1, 0, &a, &d), 0);
	assert_int_equal(a.held_blocks, 3);
	assert_int_equal(a.applied_blocks, 0);
	sync_apply_free(&a);

	/* A dry run on a fresh node checks all and writes nothing. */
	{
		struct node *ml4 = make_node(f, "ml4", "ML", "Poste 4", 1, 1);

		assert_int_equal(apply_opts(ml4, b.p, b.len, 0, A_DRY, &a, &d),
		    0);
		assert_int_equal(a.refused_blocks, 0);
		assert_int_equal(a.applied_blocks, 0);
		assert_int_equal(a.certs, 1);
		sync_apply_free(&a);
		assert_int_equal(count_sql(ml4, "SELECT count(*) FROM entries"),
		    0);
		assert_int_equal(count_sql(ml4, "SELECT count(*) FROM origins"),
		    1);
	}
	verify(ml);
	verify(ml2);
	buf_free(&b);
}

/* ---- 3. gaps ---- */

static void
test_gaps(void **state)
{
	struct fix *f = *state;
	struct node *sn, *ml;
	struct item v[32];
	const struct item *one[2];
	struct sync_apply a;
	struct buf b, part;
	size_t n, i, nb = 0;
	const struct item *cert = NULL, *blk[8];
	int k;

	sn = make_node(f, "sn", "SN", "PC Tambacounda", 1, 1);
	ml = make_node(f, "ml", "ML", "PC Kayes", 1, 1);
	for (k = 0; k < 4; k++)
		add(f, sn, "ML,SN", "ROUTINE", k + 1, 0);
	payload(sn, NULL, "ML", 0, &b, NULL);
	n = items(&b, v, 32);
	for (i = 0; i < n; i++) {
		if (v[i].type == SYNC_I_CERT)
			cert = &v[i];
		if (v[i].type == SYNC_I_BLOCK)
			blk[nb++] = &v[i];
	}
	assert_non_null(cert);
	assert_int_equal(nb, 4);
	/* In order of the log in the payload (all routine, oldest first). */
	for (i = 0; i < nb; i++) {
		struct log_header h;

		block_header(blk[i], &h);
		assert_int_equal(h.first_seq, 1 + i * (i + 1) / 2);
		assert_int_equal(h.count, i + 1);
	}

	/* The last block first, with the certificate: it waits. */
	one[0] = cert;
	one[1] = blk[3];
	rebuild(&part, one, 2);
	apply_ok(ml, &part, &a);
	assert_int_equal(a.pending_blocks, 1);
	assert_int_equal(a.applied_blocks, 0);
	sync_apply_free(&a);
	buf_free(&part);
	assert_int_equal(count_sql(ml, "SELECT count(*) FROM entries"), 0);
	assert_int_equal(count_sql(ml, "SELECT count(*) FROM pending"), 1);

	/* Then the others backwards, without the certificate (held from
	 * before); the same pending block twice is kept once. */
	for (k = 2; k >= 1; k--) {
		one[0] = blk[k];
		rebuild(&part, one, 1);
		apply_ok(ml, &part, &a);
		assert_int_equal(a.pending_blocks, 1);
		assert_int_equal(a.applied_blocks, 0);
		assert_int_equal(a.refused_blocks, 0);
		sync_apply_free(&a);
		buf_free(&part);
		assert_int_equal(count_sql(ml, "SELECT count(*) FROM entries"),
		    0);
	}
	one[0] = blk[2];
	rebuild(&part, one, 1);
	apply_ok(ml, &part, &a);
	assert_int_equal(a.pending_blocks, 0);
	assert_int_equal(a.applied_blocks, 0);
	sync_apply_free(&a);
	buf_free(&part);
	assert_int_equal(count_sql(ml, "SELECT count(*) FROM pending"), 3);
	assert_int_equal(count_sql(ml, "SELECT count(*) FROM entries"), 0);

	/* The first arrives: all four apply, in order, and nothing waits. */
	one[0] = blk[0];
	rebuild(&part, one, 1);
	apply_ok(ml, &part, &a);
	assert_int_equal(a.applied_blocks, 4);
	assert_int_equal(a.applied_records, 10);
	assert_int_equal(a.pending_blocks, 0);
	sync_apply_free(&a);
	buf_free(&part);
	assert_int_equal(count_sql(ml, "SELECT count(*) FROM pending"), 0);
	assert_int_equal(count_sql(ml, "SELECT next_seq FROM logs WHERE "
	    "audience = 'ML,SN'"), 11);
	check_holds(f, ml, want_releasable);

	/* Now the whole payload is held. */
	apply_ok(ml, &b, &a);
	assert_int_equal(a.held_blocks, 4);
	assert_int_equal(a.applied_blocks + a.pending_blocks, 0);
	sync_apply_free(&a);
	buf_free(&b);
}

/* ---- 4. equivocation ---- */

/* Send from's blocks that "to" lacks to it; its results into a. */
static void
send_to(struct node *from, struct node *to, struct sync_apply *a)
{
	struct buf b;

	payload(from, to, to->nation, 0, &b, NULL);
	apply_ok(to, &b, a);
	buf_free(&b);
}

static void
test_equivocation(void **state)
{
	struct fix *f = *state;
	struct node *a1, *a2, *ml, *ml2, *rx[2];
	struct sync_apply a;
	struct buf b;
	char cmd[9000];
	size_t r1, r2, r3, i;

	/* One node, restored carelessly: two copies with the same key. */
	a1 = make_node(f, "copy1", "SN", "Poste de Kidira", 1, 1);
	ml = make_node(f, "ml", "ML", "PC Kayes", 1, 1);
	ml2 = make_node(f, "ml2", "ML", "Poste de Diboli", 1, 1);
	add(f, a1, "ML,SN", "ROUTINE", 2, 0);   /* held by both copies */
	close_node(f, a1);
	snprintf(cmd, sizeof cmd, "cp -a '%s/copy1' '%s/copy2'", f->dir,
	    f->dir);
	assert_int_equal(system(cmd), 0);
	a1 = open_node(f, "copy1");
	a2 = open_node(f, "copy2");
	assert_memory_equal(a1->signer.pk, a2->signer.pk, 32);

	/* Both receivers get the common block, then the first copy's. */
	r1 = f->nrecs;
	add(f, a1, "ML,SN", "ROUTINE", 1, 0);
	rx[0] = ml;
	rx[1] = ml2;
	for (i = 0; i < 2; i++) {
		send_to(a1, rx[i], &a);
		assert_int_equal(a.applied_blocks, 2);
		assert_int_equal(a.forks, 0);
		sync_apply_free(&a);
	}

	/* The other copy's block for seq 3, with the common one: a block
	 * that differs from the one held at its place. */
	r2 = f->nrecs;
	add(f, a2, "ML,SN", "FLASH", 1, 0);
	payload(a2, NULL, "ML", 0, &b, NULL);
	apply_ok(ml2, &b, &a);
	assert_int_equal(a.forks, 1);
	assert_int_equal(a.applied_blocks, 0);
	assert_int_equal(a.held_blocks, 1);     /* the common first block */
	assert_int_equal(a.nev, 1);
	assert_string_equal(a.ev[0].action, "sync.equivocation");
	sync_apply_free(&a);
	buf_free(&b);
	assert_int_equal(count_sql(ml2, "SELECT count(*) FROM quarantine"), 2);
	assert_int_equal(count_sql(ml2, "SELECT count(*) FROM quarantine "
	    "WHERE reason = 'held' AND first_seq = 3"), 1);
	assert_int_equal(count_sql(ml2, "SELECT count(*) FROM quarantine "
	    "WHERE reason = 'received' AND first_seq = 3"), 1);
	assert_int_equal(audit_count(ml2, "sync.equivocation"), 1);
	assert_int_equal(count_sql(ml2, "SELECT count(*) FROM audit WHERE "
	    "action = 'sync.equivocation' AND result = 'denied' AND actor = "
	    "'test:sync'"), 1);
	assert_true(holds(ml2, f->recs[r1].id));
	assert_false(holds(ml2, f->recs[r2].id));

	/* Its next block, seq 4, at the other receiver's next place: it
	 * does not chain to the head held there. */
	r3 = f->nrecs;
	add(f, a2, "ML,SN", "ROUTINE", 1, 0);
	send_to(a2, ml, &a);
	assert_int_equal(a.forks, 1);
	assert_int_equal(a.applied_blocks + a.held_blocks, 0);
	assert_int_equal(a.nev, 1);
	sync_apply_free(&a);
	assert_int_equal(count_sql(ml, "SELECT count(*) FROM quarantine"), 2);
	assert_int_equal(count_sql(ml, "SELECT count(*) FROM quarantine "
	    "WHERE reason = 'held' AND first_seq = 3"), 1);
	assert_int_equal(count_sql(ml, "SELECT count(*) FROM quarantine "
	    "WHERE reason = 'received' AND first_seq = 4"), 1);
	assert_int_equal(audit_count(ml, "sync.equivocation"), 1);
	assert_false(holds(ml, f->recs[r3].id));

	/* Both logs are frozen: the first copy's next block is not
	 * applied either, and nothing more is quarantined. */
	add(f, a1, "ML,SN", "ROUTINE", 1, 0);
	for (i = 0; i < 2; i++) {
		send_to(a1, rx[i], &a);
		assert_int_equal(a.applied_blocks, 0);
		assert_int_equal(a.forks, 1);
		sync_apply_free(&a);
		assert_false(holds(rx[i], f->recs[f->nrecs - 1].id));
		assert_int_equal(count_sql(rx[i], "SELECT next_seq FROM logs "
		    "WHERE audience = 'ML,SN'"), 4);
		assert_int_equal(count_sql(rx[i], "SELECT count(*) FROM "
		    "quarantine"), 2);
		assert_int_equal(count_sql(rx[i], "SELECT count(*) FROM "
		    "pending"), 0);
		assert_int_equal(count_sql(rx[i], "SELECT count(*) FROM "
		    "entries"), 3);
		assert_true(holds(rx[i], f->recs[r1].id));
		/* The held chain stays verifiable. */
		verify(rx[i]);
	}
}

/* ---- 5. refusal by the receiver ---- */

static void
test_refusal(void **state)
{
	struct fix *f = *state;
	struct node *sn, *ml, *ml2, *ml3, *ml4;
	struct sync_apply a;
	struct sync_sent sent;
	struct dib_diag d;
	struct item v[32];
	struct buf b, t;
	size_t n, i, nat_first, nat_end;
	int rc;

	sn = make_node(f, "sn", "SN", "PC Tambacounda", 1, 1);
	ml = make_node(f, "ml", "ML", "PC Kayes", 1, 1);
	ml2 = make_node(f, "ml2", "ML", "Poste de Diboli", 1, 1);
	ml3 = make_node(f, "ml3", "ML", "Poste 3", 1, 0);   /* SN unpinned */
	ml4 = make_node(f, "ml4", "ML", "Poste 4", 1, 1);
	add(f, sn, "ML,SN", "ROUTINE", 2, 0);
	nat_first = f->nrecs;
	add(f, sn, "SN", "FLASH", 2, 0);
	add(f, sn, "SN", "ROUTINE", 1, 0);
	nat_end = f->nrecs;
	add(f, sn, "ML,MR,SN", "ROUTINE", 1, 0);

	/* Built for SN, it carries the national log: 4 blocks. */
	payload(sn, NULL, "SN", 0, &b, &sent);
	assert_int_equal(sent.blocks, 4);
	rc = apply_opts(ml, b.p, b.len, 0, 0, &a, &d);
	assert_int_equal(rc, 0);
	assert_int_equal(a.refused_blocks, 2);
	assert_int_equal(a.applied_blocks, 2);
	assert_int_equal(a.applied_records, 3);
	for (i = 0; i < a.nev; i++)
		assert_string_equal(a.ev[i].action, "sync.refused");
	assert_int_equal(a.nev, 2);
	sync_apply_free(&a);
	for (i = nat_first; i < nat_end; i++)
		assert_false(holds(ml, f->recs[i].id));
	assert_int_equal(count_sql(ml, "SELECT count(*) FROM entries"), 3);
	assert_int_equal(count_sql(ml, "SELECT count(*) FROM logs WHERE "
	    "audience = 'SN'"), 0);
	assert_int_equal(count_sql(ml, "SELECT count(*) FROM pending"), 0);
	assert_int_equal(audit_count(ml, "sync.refused"), 2);
	verify(ml);

	/* Strict: the whole payload fails, and nothing at all stays. */
	rc = apply_opts(ml2, b.p, b.len, 0, A_STRICT, &a, &d);
	assert_int_equal(rc, DIB_EPERM);
	assert_int_equal(d.code, DIB_EPERM);
	assert_int_equal(a.refused_blocks, 1);
	sync_apply_free(&a);
	assert_int_equal(count_sql(ml2, "SELECT count(*) FROM entries"), 0);
	assert_int_equal(count_sql(ml2, "SELECT count(*) FROM blocks"), 0);
	assert_int_equal(count_sql(ml2, "SELECT count(*) FROM logs"), 0);
	assert_int_equal(count_sql(ml2, "SELECT count(*) FROM origins"), 1);
	assert_int_equal(count_sql(ml2, "SELECT count(*) FROM pending"), 0);
	assert_int_equal(audit_count(ml2, "sync.refused"), 1);
	buf_free(&b);

	/* The right payload, but SN is not pinned there: every block is
	 * refused, certificate first. */
	payload(sn, NULL, "ML", 0, &b, &sent);
	assert_int_equal(sent.blocks, 2);
	assert_int_equal(apply_opts(ml3, b.p, b.len, 0, 0, &a, &d), 0);
	assert_int_equal(a.certs, 0);
	assert_int_equal(a.refused_blocks, 2);
	assert_int_equal(a.applied_blocks, 0);
	assert_int_equal(a.nev, 3);
	sync_apply_free(&a);
	assert_int_equal(count_sql(ml3, "SELECT count(*) FROM entries"), 0);
	assert_int_equal(count_sql(ml3, "SELECT count(*) FROM origins"), 1);
	assert_int_equal(audit_count(ml3, "sync.refused"), 3);
	assert_int_equal(apply_opts(ml3, b.p, b.len, 0, A_STRICT, &a, &d),
	    DIB_EPERM);
	sync_apply_free(&a);
	/* Pinned now: the same payload applies. */
	pin(f, ml3, "SN");
	apply_ok(ml3, &b, &a);
	assert_int_equal(a.applied_blocks, 2);
	sync_apply_free(&a);

	/* A certificate altered on the way (one byte of its name): its
	 * blocks are refused, nothing stored. */
	n = items(&b, v, 32);
	assert_int_equal(count_type(v, n, SYNC_I_CERT), 1);
	buf_init(&t, PAYLOAD_MAX);
	assert_int_equal(buf_add(&t, b.p, b.len), 0);
	for (i = 0; i < n; i++)
		if (v[i].type == SYNC_I_CERT)
			t.p[v[i].off + 5 + CERT_FIXED_LEN - 96] ^= 0x20;
	assert_int_equal(apply_opts(ml4, t.p, t.len, 0, 0, &a, &d), 0);
	assert_int_equal(a.certs, 0);
	assert_int_equal(a.refused_blocks, 2);
	assert_int_equal(a.applied_blocks, 0);
	sync_apply_free(&a);
	assert_int_equal(count_sql(ml4, "SELECT count(*) FROM entries"), 0);
	assert_int_equal(count_sql(ml4, "SELECT count(*) FROM origins"), 1);
	assert_true(audit_count(ml4, "sync.refused") >= 1);
	/* Without any certificate: refused too. */
	{
		const struct item *blocks[8];
		size_t nb = 0;
		struct buf u;

		for (i = 0; i < n; i++)
			if (v[i].type == SYNC_I_BLOCK)
				blocks[nb++] = &v[i];
		rebuild(&u, blocks, nb);
		assert_int_equal(apply_opts(ml4, u.p, u.len, 0, 0, &a, &d), 0);
		assert_int_equal(a.refused_blocks, 2);
		assert_int_equal(a.applied_blocks, 0);
		sync_apply_free(&a);
		assert_int_equal(apply_opts(ml4, u.p, u.len, 0, A_STRICT, &a,
		    &d), DIB_EPERM);
		sync_apply_free(&a);
		buf_free(&u);
	}
	assert_int_equal(count_sql(ml4, "SELECT count(*) FROM entries"), 0);
	buf_free(&t);
	buf_free(&b);
}

/* ---- 6. most urgent first, within a budget ---- */

/* The blocks of a payload, in order, as (audience, first seq). */
static size_t
block_list(const struct buf *b, struct log_header *hs, size_t max)
{
	struct item v[256];
	size_t n = items(b, v, 256), i, k = 0;

	for (i = 0; i < n; i++) {
		if (v[i].type != SYNC_I_BLOCK)
			continue;
		assert_true(k < max);
		block_header(&v[i], &hs[k++]);
	}
	return k;
}

/* Exchange from -> to with budget until nothing moves; rounds taken. */
static int
drain_budget(struct node *from, struct node *to, int64_t budget)
{
	struct sync_apply a;
	struct sync_sent sent;
	struct buf b;
	int rounds = 0;

	for (;;) {
		payload(from, to, to->nation, budget, &b, &sent);
		apply_ok(to, &b, &a);
		assert_int_equal(a.applied_blocks, sent.blocks);
		assert_int_equal(a.applied_records, sent.records);
		assert_int_equal(a.wait_blocks, sent.wait_blocks);
		assert_int_equal(a.wait_records, sent.wait_records);
		assert_int_equal(a.pending_blocks + a.refused_blocks, 0);
		sync_apply_free(&a);
		buf_free(&b);
		if (sent.blocks == 0)
			break;
		assert_true(++rounds < 100);
	}
	assert_int_equal(sent.wait_blocks, 0);
	return rounds;
}

static void
test_budget(void **state)
{
	struct fix *f = *state;
	struct node *sn, *sn2, *sn3, *ml, *ml2, *ml3;
	struct log_header h[64];
	struct sync_sent sent;
	struct buf b;
	struct item v[64];
	size_t nb, i, n, flash;
	int64_t budget, total = 0, sizes[64];
	int k, rounds;

	sn = make_node(f, "sn", "SN", "PC Tambacounda", 1, 1);
	ml = make_node(f, "ml", "ML", "PC Kayes", 1, 1);
	/* Ten routine blocks, then one FLASH in another log. */
	for (k = 0; k < 10; k++)
		add(f, sn, "ML,SN", "ROUTINE", 2, 200);
	add(f, sn, "SN", "FLASH", 1, 0);        /* not for ML */
	flash = f->nrecs;
	add(f, sn, "ML,MR,SN", "FLASH", 1, 200);

	/* No budget: everything, the FLASH block first. */
	payload(sn, ml, "ML", 0, &b, &sent);
	assert_int_equal(sent.blocks, 11);
	assert_int_equal(sent.records, 21);
	assert_int_equal(sent.wait_blocks + sent.wait_records, 0);
	nb = block_list(&b, h, 64);
	assert_int_equal(nb, 11);
	assert_string_equal(h[0].audience, "ML,MR,SN");
	for (i = 1; i < nb; i++) {
		assert_string_equal(h[i].audience, "ML,SN");
		assert_int_equal(h[i].first_seq, 1 + 2 * (i - 1));
	}
	n = items(&b, v, 64);
	for (i = 0, nb = 0; i < n; i++)
		if (v[i].type == SYNC_I_BLOCK)
			sizes[nb++] = (int64_t)v[i].n;
	buf_free(&b);

	/* Room for about two blocks: the FLASH goes first. */
	budget = sizes[0] + 5 + sizes[1];
	payload(sn, ml, "ML", budget, &b, &sent);
	assert_int_equal(sent.blocks, 2);
	assert_int_equal(sent.records, 3);
	assert_int_equal(sent.blocks + sent.wait_blocks, 11);
	assert_int_equal(sent.records + sent.wait_records, 21);
	assert_true(sent.bytes <= budget + 5);
	nb = block_list(&b, h, 64);
	assert_int_equal(nb, 2);
	assert_string_equal(h[0].audience, "ML,MR,SN");
	assert_string_equal(h[1].audience, "ML,SN");
	assert_int_equal(h[1].first_seq, 1);
	buf_free(&b);
	/* sync_waiting agrees with an empty summary. */
	{
		struct dib_diag d;
		int64_t wb, wr;

		assert_int_equal(sync_waiting(sn->store, "ML", NULL, &wb, &wr,
		    &d), 0);
		assert_int_equal(wb, 11);
		assert_int_equal(wr, 21);
	}

	/* A budget below one block: one block still goes, alone. */
	assert_true(sizes[0] > 100);
	payload(sn, ml, "ML", 100, &b, &sent);
	assert_int_equal(sent.blocks, 1);
	assert_int_equal(sent.records, 1);
	assert_int_equal(sent.wait_blocks, 10);
	assert_int_equal(sent.wait_records, 20);
	nb = block_list(&b, h, 64);
	assert_int_equal(nb, 1);
	assert_string_equal(h[0].audience, "ML,MR,SN");
	buf_free(&b);

	/* The receiver hears what waits, and says so in one line. */
	{
		struct sync_apply a;
		struct dib_diag d;
		char line[400];

		payload(sn, ml, "ML", budget, &b, &sent);
		assert_int_equal(apply_opts(ml, b.p, b.len, 0, A_ROLLBACK, &a,
		    &d), 0);
		assert_int_equal(a.wait_blocks, 9);
		assert_int_equal(a.wait_records, 18);
		sync_apply_describe(&a, line, sizeof line);
		assert_string_equal(line, "2 block(s) (3 record(s)) applied, "
		    "0 held already, 0 pending a gap, 0 refused, 0 "
		    "equivocation(s)");
		sync_apply_free(&a);
		buf_free(&b);
	}

	/* Repeated exchanges within the budget converge to everything. */
	rounds = drain_budget(sn, ml, budget);
	assert_int_equal(rounds, 10);
	assert_true(holds(ml, f->recs[flash].id));
	check_holds(f, ml, want_releasable);

	/* A FLASH at the end of a log pulls the routine blocks before it
	 * along, ahead of an older routine log. */
	sn2 = make_node(f, "sn2", "SN", "Poste de Kidira", 1, 1);
	ml2 = make_node(f, "ml2", "ML", "Poste de Diboli", 1, 1);
	for (k = 0; k < 5; k++)
		add(f, sn2, "ML,SN", "ROUTINE", 1, 100);
	for (k = 0; k < 3; k++)
		add(f, sn2, "ML,MR,SN", "ROUTINE", 1, 100);
	add(f, sn2, "ML,MR,SN", "FLASH", 1, 100);
	payload(sn2, ml2, "ML", 0, &b, &sent);
	nb = block_list(&b, h, 64);
	assert_int_equal(nb, 9);
	for (i = 0; i < 4; i++) {
		assert_string_equal(h[i].audience, "ML,MR,SN");
		assert_int_equal(h[i].first_seq, i + 1);
	}
	for (i = 4; i < 9; i++) {
		assert_string_equal(h[i].audience, "ML,SN");
		assert_int_equal(h[i].first_seq, i - 3);
	}
	n = items(&b, v, 64);
	for (i = 0, nb = 0; i < n; i++)
		if (v[i].type == SYNC_I_BLOCK)
			sizes[nb++] = (int64_t)v[i].n;
	buf_free(&b);
	/* Exactly the four blocks up to the FLASH fit. */
	for (i = 0, total = 0; i < 3; i++)
		total += sizes[i] + 5;
	budget = total + sizes[3];
	payload(sn2, ml2, "ML", budget, &b, &sent);
	assert_int_equal(sent.blocks, 4);
	assert_int_equal(sent.records, 4);
	assert_int_equal(sent.wait_blocks, 5);
	assert_int_equal(sent.wait_records, 5);
	nb = block_list(&b, h, 64);
	assert_int_equal(nb, 4);
	for (i = 0; i < 4; i++) {
		assert_string_equal(h[i].audience, "ML,MR,SN");
		assert_int_equal(h[i].first_seq, i + 1);
	}
	buf_free(&b);
	rounds = drain_budget(sn2, ml2, budget);
	assert_int_equal(rounds, 3);
	assert_int_equal(log_records(ml2, sn2->signer.pk, "ML,MR,SN"), 4);
	assert_int_equal(log_records(ml2, sn2->signer.pk, "ML,SN"), 5);
	verify(ml2);

	/* Once a block of a log does not fit, the later ones of that log
	 * wait too, even small enough: never a gap at the receiver. */
	sn3 = make_node(f, "sn3", "SN", "Poste de Moussala", 1, 1);
	ml3 = make_node(f, "ml3", "ML", "Poste de Mahinamine", 1, 1);
	add(f, sn3, "ML,SN", "ROUTINE", 1, 1500);
	add(f, sn3, "ML,SN", "ROUTINE", 1, 0);
	add(f, sn3, "ML,SN", "ROUTINE", 1, 0);
	add(f, sn3, "ML,MR,SN", "FLASH", 1, 0);
	payload(sn3, ml3, "ML", 0, &b, &sent);
	n = items(&b, v, 64);
	for (i = 0, nb = 0; i < n; i++)
		if (v[i].type == SYNC_I_BLOCK)
			sizes[nb++] = (int64_t)v[i].n;
	assert_int_equal(nb, 4);
	assert_true(sizes[1] > sizes[2] + 1000);
	buf_free(&b);
	budget = sizes[0] + 5 + sizes[2] + 5 + sizes[3];
	payload(sn3, ml3, "ML", budget, &b, &sent);
	assert_int_equal(sent.blocks, 1);
	assert_int_equal(sent.wait_blocks, 3);
	nb = block_list(&b, h, 64);
	assert_int_equal(nb, 1);
	assert_string_equal(h[0].audience, "ML,MR,SN");
	buf_free(&b);
	rounds = drain_budget(sn3, ml3, budget);
	assert_int_equal(rounds, 3);    /* FLASH; the big one; the rest */
	assert_int_equal(log_records(ml3, sn3->signer.pk, "ML,SN"), 3);
	assert_int_equal(count_sql(ml3, "SELECT count(*) FROM pending"), 0);
}

/* ---- 7. tampering and truncation ---- */

static void
test_tamper(void **state)
{
	struct fix *f = *state;
	struct node *sn, *ml;
	struct sync_apply a;
	struct dib_diag d;
	struct item v[16];
	struct buf b;
	uint8_t *t;
	size_t n, i, bstart = 0, bend = 0, pos;
	int rc;

	sn = make_node(f, "sn", "SN", "PC Tambacounda", 1, 1);
	ml = make_node(f, "ml", "ML", "PC Kayes", 1, 1);
	add(f, sn, "ML,SN", "IMMEDIATE", 2, 0);
	payload(sn, NULL, "ML", 0, &b, NULL);
	n = items(&b, v, 16);
	assert_int_equal(count_type(v, n, SYNC_I_BLOCK), 1);
	for (i = 0; i < n; i++)
		if (v[i].type == SYNC_I_BLOCK) {
			bstart = v[i].off + 5;
			bend = bstart + v[i].n;
		}
	assert_non_null(t = malloc(b.len));

	/* Every single byte of the payload flipped. */
	for (pos = 0; pos < b.len; pos++) {
		memcpy(t, b.p, b.len);
		t[pos] ^= 0x01;
		rc = apply_opts(ml, t, b.len, 0, A_ROLLBACK, &a, &d);
		if (pos >= bstart && pos < bend) {
			/* Header, signature, lengths, record bytes. */
			if (rc != DIB_ETAMPER)
				fail_msg("byte %zu of the block item: %d %s",
				    pos - bstart, rc, d.msg);
			assert_int_equal(tx_entries, 0);
		} else if (rc == 0) {
			/* Outside the block: the summary, the waiting item,
			 * the certificate (refused). Never other records. */
			assert_true(tx_entries == 0 || tx_entries == 2);
			assert_true(tx_entries == 0 || a.applied_blocks == 1);
			if (tx_entries == 0)
				assert_int_equal(a.applied_blocks, 0);
		}
		sync_apply_free(&a);
	}
	assert_int_equal(count_sql(ml, "SELECT count(*) FROM entries"), 0);
	assert_int_equal(count_sql(ml, "SELECT count(*) FROM pending"), 0);
	assert_int_equal(count_sql(ml, "SELECT count(*) FROM quarantine"), 0);

	/* Every prefix is refused as truncated, whatever the chunking. */
	for (pos = 0; pos < b.len; pos++) {
		rc = apply_opts(ml, b.p, pos, pos % 3 ? 0 : 5, 0, &a, &d);
		if (rc == 0)
			fail_msg("prefix of %zu of %zu bytes accepted", pos,
			    b.len);
		sync_apply_free(&a);
	}
	assert_int_equal(count_sql(ml, "SELECT count(*) FROM entries"), 0);
	/* Data after the end item, another version, a huge item. */
	{
		struct buf x;

		buf_init(&x, PAYLOAD_MAX);
		assert_int_equal(buf_add(&x, b.p, b.len), 0);
		assert_int_equal(buf_add(&x, "Z\0\0\0\0", 5), 0);
		assert_int_equal(apply_opts(ml, x.p, x.len, 0, 0, &a, &d),
		    DIB_ETAMPER);
		sync_apply_free(&a);
		buf_reset(&x);
		assert_int_equal(buf_add(&x, "V\0\0\0\rdiboli-sync/2Z\0\0\0\0",
		    23), 0);
		assert_int_equal(apply_opts(ml, x.p, x.len, 0, 0, &a, &d),
		    DIB_EINVAL);
		sync_apply_free(&a);
		/* An item that claims more than the cap. */
		buf_reset(&x);
		assert_int_equal(buf_add(&x, b.p, 18), 0);
		assert_int_equal(buf_add(&x, "B\x7f\xff\xff\xff", 5), 0);
		assert_int_equal(apply_opts(ml, x.p, x.len, 0, 0, &a, &d),
		    DIB_ETOOBIG);
		sync_apply_free(&a);
		assert_int_equal(apply_opts(ml, x.p, x.len, 1, 0, &a, &d),
		    DIB_ETOOBIG);
		sync_apply_free(&a);
		buf_free(&x);
	}
	/* The untouched payload still applies. */
	apply_ok(ml, &b, &a);
	assert_int_equal(a.applied_blocks, 1);
	assert_int_equal(a.applied_records, 2);
	sync_apply_free(&a);
	check_holds(f, ml, want_releasable);
	free(t);
	buf_free(&b);
}

/* ---- 8. sync_auth_check ---- */

/* request_message of exchange.c, as the client signs it. */
static void
sign_request(const struct node *n, const char *time, int64_t budget,
    int pull, const void *body, size_t len, char sighex[129])
{
	uint8_t h[32], sig[64];
	char hex[65], msg[256];

	crypto_generichash(h, 32, body, len, NULL, 0);
	util_hex(h, 32, hex);
	snprintf(msg, sizeof msg, "%s\n%s\n%" PRId64 "\n%d\n%s", SYNC_VERSION,
	    time, budget, pull ? 1 : 0, hex);
	crypto_sign_detached(sig, NULL, (const uint8_t *)msg, strlen(msg),
	    n->signer.sk);
	util_hex(sig, 64, sighex);
}

static void
test_auth(void **state)
{
	struct fix *f = *state;
	struct node *sn, *ml, *ml2;
	struct cert *c;
	struct dib_diag d;
	uint8_t *cb = NULL, rogue_pk[32], rogue_sk[64];
	size_t clen = 0;
	char *chex, sig[129], bad[129], now_s[32], t[32];
	const char body[] = "V\0\0\0\rdiboli-sync/1Z\0\0\0\0";
	int64_t now;

	sn = make_node(f, "sn", "SN", "PC Tambacounda", 1, 1);
	ml = make_node(f, "ml", "ML", "PC Kayes", 1, 1);
	ml2 = make_node(f, "ml2", "ML", "Poste de Diboli", 1, 0);
	now = util_now_ms();    /* the certificates start when certified */
	assert_non_null(c = malloc(sizeof *c));
	assert_int_equal(cert_node_cert(sn, &cb, &clen, &d), 0);
	assert_non_null(chex = malloc(2 * clen + 2));
	util_hex(cb, clen, chex);
	snprintf(now_s, sizeof now_s, "%" PRId64, now);
	sign_request(sn, now_s, 65536, 1, body, sizeof body - 1, sig);

	/* A good request. */
	if (sync_auth_check(ml->store, chex, now_s, sig, 65536, 1, body,
	    sizeof body - 1, now, c, &d) != 0)
		fail_msg("good request refused: %s: %s", d.field, d.msg);
	assert_string_equal(c->nation, "SN");
	assert_memory_equal(c->node_pk, sn->signer.pk, 32);
	assert_string_equal(c->name, "PC Tambacounda");

	/* The signature binds the body, the budget, pull and the time. */
	assert_int_equal(sync_auth_check(ml->store, chex, now_s, sig, 65536, 1,
	    body, sizeof body - 2, now, c, &d), DIB_EUNAUTH);
	assert_string_equal(d.field, "X-Diboli-Signature");
	assert_int_equal(sync_auth_check(ml->store, chex, now_s, sig, 65537, 1,
	    body, sizeof body - 1, now, c, &d), DIB_EUNAUTH);
	assert_int_equal(sync_auth_check(ml->store, chex, now_s, sig, 65536, 0,
	    body, sizeof body - 1, now, c, &d), DIB_EUNAUTH);
	snprintf(t, sizeof t, "%" PRId64, now + 1);
	assert_int_equal(sync_auth_check(ml->store, chex, t, sig, 65536, 1,
	    body, sizeof body - 1, now, c, &d), DIB_EUNAUTH);
	memcpy(bad, sig, sizeof bad);
	bad[10] = bad[10] == '0' ? '1' : '0';
	assert_int_equal(sync_auth_check(ml->store, chex, now_s, bad, 65536, 1,
	    body, sizeof body - 1, now, c, &d), DIB_EUNAUTH);
	assert_string_equal(d.field, "X-Diboli-Signature");
	/* Signed by another node's key. */
	sign_request(ml, now_s, 65536, 1, body, sizeof body - 1, bad);
	assert_int_equal(sync_auth_check(ml->store, chex, now_s, bad, 65536, 1,
	    body, sizeof body - 1, now, c, &d), DIB_EUNAUTH);

	/* Time: within 15 minutes either way. */
	snprintf(t, sizeof t, "%" PRId64, now - SYNC_CLOCK_SKEW_MS + 1000);
	sign_request(sn, t, 65536, 1, body, sizeof body - 1, bad);
	assert_int_equal(sync_auth_check(ml->store, chex, t, bad, 65536, 1,
	    body, sizeof body - 1, now, c, &d), 0);
	snprintf(t, sizeof t, "%" PRId64, now - SYNC_CLOCK_SKEW_MS - 1);
	sign_request(sn, t, 65536, 1, body, sizeof body - 1, bad);
	assert_int_equal(sync_auth_check(ml->store, chex, t, bad, 65536, 1,
	    body, sizeof body - 1, now, c, &d), DIB_EUNAUTH);
	assert_string_equal(d.field, "X-Diboli-Time");
	snprintf(t, sizeof t, "%" PRId64, now + SYNC_CLOCK_SKEW_MS + 1);
	sign_request(sn, t, 65536, 1, body, sizeof body - 1, bad);
	assert_int_equal(sync_auth_check(ml->store, chex, t, bad, 65536, 1,
	    body, sizeof body - 1, now, c, &d), DIB_EUNAUTH);
	assert_string_equal(d.field, "X-Diboli-Time");
	/* The same request, checked 16 minutes later: replay refused. */
	assert_int_equal(sync_auth_check(ml->store, chex, now_s, sig, 65536, 1,
	    body, sizeof body - 1, now + 16 * 60000, c, &d), DIB_EUNAUTH);
	sign_request(sn, "", 65536, 1, body, sizeof body - 1, bad);
	assert_int_equal(sync_auth_check(ml->store, chex, "", bad, 65536, 1,
	    body, sizeof body - 1, now, c, &d), DIB_EUNAUTH);
	snprintf(t, sizeof t, "%" PRId64 "x", now);
	sign_request(sn, t, 65536, 1, body, sizeof body - 1, bad);
	assert_int_equal(sync_auth_check(ml->store, chex, t, bad, 65536, 1,
	    body, sizeof body - 1, now, c, &d), DIB_EUNAUTH);

	/* Malformed or missing headers. */
	assert_int_equal(sync_auth_check(ml->store, NULL, now_s, sig, 65536, 1,
	    body, sizeof body - 1, now, c, &d), DIB_EUNAUTH);
	assert_int_equal(sync_auth_check(ml->store, chex, NULL, sig, 65536, 1,
	    body, sizeof body - 1, now, c, &d), DIB_EUNAUTH);
	assert_int_equal(sync_auth_check(ml->store, chex, now_s, NULL, 65536,
	    1, body, sizeof body - 1, now, c, &d), DIB_EUNAUTH);
	assert_int_equal(sync_auth_check(ml->store, "", now_s, sig, 65536, 1,
	    body, sizeof body - 1, now, c, &d), DIB_EUNAUTH);
	chex[4] = 'z';
	assert_int_equal(sync_auth_check(ml->store, chex, now_s, sig, 65536, 1,
	    body, sizeof body - 1, now, c, &d), DIB_EUNAUTH);
	assert_string_equal(d.field, "X-Diboli-Cert");
	util_hex(cb, clen, chex);
	chex[2 * clen] = '0';   /* odd length */
	chex[2 * clen + 1] = '\0';
	assert_int_equal(sync_auth_check(ml->store, chex, now_s, sig, 65536, 1,
	    body, sizeof body - 1, now, c, &d), DIB_EUNAUTH);
	util_hex(cb, clen, chex);
	chex[2 * clen - 2] = '\0';      /* one byte short */
	assert_int_equal(sync_auth_check(ml->store, chex, now_s, sig, 65536, 1,
	    body, sizeof body - 1, now, c, &d), DIB_EUNAUTH);
	util_hex(cb, clen, chex);
	memcpy(bad, sig, sizeof bad);
	bad[126] = '\0';
	assert_int_equal(sync_auth_check(ml->store, chex, now_s, bad, 65536, 1,
	    body, sizeof body - 1, now, c, &d), DIB_EUNAUTH);
	memcpy(bad, sig, sizeof bad);
	bad[0] = 'g';
	assert_int_equal(sync_auth_check(ml->store, chex, now_s, bad, 65536, 1,
	    body, sizeof body - 1, now, c, &d), DIB_EUNAUTH);
	assert_string_equal(d.field, "X-Diboli-Signature");

	/* A nation this node does not pin: 403. */
	assert_int_equal(sync_auth_check(ml2->store, chex, now_s, sig, 65536, 1,
	    body, sizeof body - 1, now, c, &d), DIB_EPERM);
	assert_int_equal(dib_http_status(DIB_EPERM), 403);

	/* A certificate forged with another SN key, or altered: 401. */
	free(cb);
	crypto_sign_keypair(rogue_pk, rogue_sk);
	assert_int_equal(cert_make(rogue_sk, "SN", sn->signer.pk, sn->name,
	    now - 1000, now + 86400000, &cb, &clen, &d), 0);
	util_hex(cb, clen, chex);
	assert_int_equal(sync_auth_check(ml->store, chex, now_s, sig, 65536, 1,
	    body, sizeof body - 1, now, c, &d), DIB_EUNAUTH);
	assert_int_equal(dib_http_status(DIB_EUNAUTH), 401);
	free(cb);
	assert_int_equal(cert_node_cert(sn, &cb, &clen, &d), 0);
	cb[clen - 1] ^= 0x01;
	util_hex(cb, clen, chex);
	assert_int_equal(sync_auth_check(ml->store, chex, now_s, sig, 65536, 1,
	    body, sizeof body - 1, now, c, &d), DIB_EUNAUTH);
	/* An SN certificate of another node: its key did not sign. */
	free(cb);
	assert_int_equal(cert_make(f->sn_sk, "SN", ml->signer.pk, "Intrus",
	    now - 1000, now + 86400000, &cb, &clen, &d), 0);
	util_hex(cb, clen, chex);
	assert_int_equal(sync_auth_check(ml->store, chex, now_s, sig, 65536, 1,
	    body, sizeof body - 1, now, c, &d), DIB_EUNAUTH);
	/* An expired certificate. */
	free(cb);
	assert_int_equal(cert_make(f->sn_sk, "SN", sn->signer.pk, sn->name,
	    now - 2 * 86400000LL, now - 86400000LL, &cb, &clen, &d), 0);
	util_hex(cb, clen, chex);
	assert_int_equal(sync_auth_check(ml->store, chex, now_s, sig, 65536, 1,
	    body, sizeof body - 1, now, c, &d), DIB_EUNAUTH);

	sodium_memzero(rogue_sk, sizeof rogue_sk);
	free(cb);
	free(chex);
	free(c);
}

/* A log signed by a node whose nation is not in its audience. */
static void
test_origin_nation(void **state)
{
	struct fix *f = *state;
	struct node *sn = make_node(f, "sn", "SN", "PC Tambacounda", 1, 0);
	struct node *ml = make_node(f, "ml", "ML", "PC Kayes", 1, 1);
	struct sync_apply a;
	struct record r;
	struct dib_diag d;
	struct buf b;
	json_t *in;

	/* node_add refuses it; a modified node could still sign one. */
	in = json_pack("{s:s, s:s, s:{s:s, s:[f, f]}, s:{s:i}, s:s}",
	    "category", "security.armed_group.sighting", "observed_at",
	    "2025-02-21T08:00:00Z", "geometry", "type", "Point", "coordinates",
	    -12.217, 14.467, "attributes", "strength", 3, "audience", "ML,SN");
	assert_int_equal(node_prepare(sn, in, &r, &d), 0);
	json_decref(in);
	snprintf(r.audience, sizeof r.audience, "ML");
	assert_int_equal(store_begin(sn->store, &d), 0);
	assert_int_equal(log_append(sn->store, &sn->signer, &r, 1, &d), 0);
	assert_int_equal(store_commit(sn->store, &d), 0);
	record_clear(&r);
	payload(sn, ml, "ML", 0, &b, NULL);
	apply_ok(ml, &b, &a);
	assert_int_equal(a.refused_blocks, 1);
	assert_int_equal(a.applied_blocks, 0);
	assert_int_equal(count_sql(ml, "SELECT count(*) FROM logs WHERE "
	    "audience = 'ML' AND origin <> 1"), 0);
	assert_int_equal(count_sql(ml, "SELECT count(*) FROM entries"), 0);
	assert_int_equal(audit_count(ml, "sync.refused"), 1);
	sync_apply_free(&a);
	buf_free(&b);
}

/* State of record id at n: -1 if not held. */
static int
state_of(struct node *n, const uint8_t id[16])
{
	sqlite3_stmt *st;
	int v = -1;

	assert_int_equal(sqlite3_prepare_v2(n->store->db, "SELECT state FROM "
	    "entries WHERE id = ?1", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/*
** Another node's withdrawal that arrives before its target must not take
** the target down, nor block the origin's own later withdrawal.
*/
static void
test_foreign_withdrawal(void **state)
{
	struct fix *f = *state;
	struct node *sn = make_node(f, "sn", "SN", "PC Tambacounda", 1, 1);
	struct node *ml = make_node(f, "ml", "ML", "PC Kayes", 1, 1);
	struct node *post = make_node(f, "post", "SN", "Poste de Kidira", 1, 1);
	struct sync_apply a;
	struct record r;
	struct dib_diag d;
	struct buf b;
	uint8_t x[16], gone[16];

	add(f, sn, "ML,SN", "ROUTINE", 1, 10);
	memcpy(x, f->recs[f->nrecs - 1].id, 16);
	/* Mali withdraws Senegal's record (its node would refuse; a forged
	 * one signs anyway). */
	assert_int_equal(record_retraction(x, "faux", "ML,SN",
	    util_now_ms(), &r, &d), 0);
	assert_int_equal(store_begin(ml->store, &d), 0);
	assert_int_equal(log_append(ml->store, &ml->signer, &r, 1, &d), 0);
	assert_int_equal(store_commit(ml->store, &d), 0);
	record_clear(&r);
	/* The post hears Mali first, then Senegal. */
	payload(ml, post, "SN", 0, &b, NULL);
	apply_ok(post, &b, &a);
	assert_int_equal(a.applied_blocks, 1);
	sync_apply_free(&a);
	buf_free(&b);
	payload(sn, post, "SN", 0, &b, NULL);
	apply_ok(post, &b, &a);
	sync_apply_free(&a);
	buf_free(&b);
	assert_int_equal(state_of(post, x), STORE_CURRENT);
	/* Senegal's own withdrawal still applies. */
	assert_int_equal(node_retract(sn, x, "Doublon", gone, &d), 0);
	payload(sn, post, "SN", 0, &b, NULL);
	apply_ok(post, &b, &a);
	assert_int_equal(a.applied_blocks, 1);
	sync_apply_free(&a);
	buf_free(&b);
	assert_int_equal(state_of(post, x), STORE_RETRACTED);
	assert_int_equal(state_of(sn, x), STORE_RETRACTED);
	verify(post);
}

/* A block repeating a record id held from another origin cannot jam. */
static void
test_duplicate_id(void **state)
{
	struct fix *f = *state;
	struct node *sn = make_node(f, "sn", "SN", "PC Tambacounda", 1, 1);
	struct node *ml = make_node(f, "ml", "ML", "PC Kayes", 1, 1);
	struct node *post = make_node(f, "post", "SN", "Poste de Kidira", 1, 1);
	struct sync_apply a;
	struct record r;
	struct dib_diag d;
	struct buf b;
	json_t *in;
	uint8_t x[16];

	add(f, sn, "ML,SN", "ROUTINE", 1, 10);
	memcpy(x, f->recs[f->nrecs - 1].id, 16);
	in = json_pack("{s:s, s:s, s:{s:s, s:[f, f]}, s:{s:i}, s:s}",
	    "category", "security.armed_group.sighting", "observed_at",
	    "2025-02-21T08:00:00Z", "geometry", "type", "Point", "coordinates",
	    -12.2, 14.4, "attributes", "strength", 9, "audience", "ML,SN");
	assert_int_equal(record_from_json(ml->model, in, "ML,SN", x, &r, &d),
	    0);
	json_decref(in);
	assert_int_equal(store_begin(ml->store, &d), 0);
	assert_int_equal(log_append(ml->store, &ml->signer, &r, 1, &d), 0);
	assert_int_equal(store_commit(ml->store, &d), 0);
	record_clear(&r);
	payload(sn, post, "SN", 0, &b, NULL);
	apply_ok(post, &b, &a);
	sync_apply_free(&a);
	buf_free(&b);
	payload(ml, post, "SN", 0, &b, NULL);
	apply_ok(post, &b, &a);
	assert_int_equal(a.refused_blocks, 1);
	assert_int_equal(a.applied_blocks, 0);
	sync_apply_free(&a);
	buf_free(&b);
	assert_int_equal(count_sql(post, "SELECT count(*) FROM quarantine "
	    "WHERE reason = 'conflict'"), 1);
	assert_int_equal(audit_count(post, "sync.refused"), 1);
	/* The link still works: later records of Senegal arrive. */
	add(f, sn, "ML,SN", "ROUTINE", 2, 10);
	payload(sn, post, "SN", 0, &b, NULL);
	apply_ok(post, &b, &a);
	assert_int_equal(a.applied_records, 2);
	sync_apply_free(&a);
	buf_free(&b);
	verify(post);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_may_send),
		cmocka_unit_test(test_summary),
		cmocka_unit_test_setup_teardown(test_convergence, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_idempotent, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_gaps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_equivocation, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refusal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_budget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_origin_nation, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_foreign_withdrawal, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_id, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
