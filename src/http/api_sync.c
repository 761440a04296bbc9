/*
** Node-to-node routes: POST /sync/v1/exchange (authenticated by the
** calling node's key, not by a user) and GET /api/v1/sync/status.
** The protocol itself is in src/fed/exchange.c.
*/
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sqlite3.h>

#include "fed/exchange.h"
#include "http/http_int.h"
#include "node/node.h"
#include "store/store.h"
#include "util/util.h"

/* budget= and pull= of a sync request; answers the error itself. */
static int
sync_args(struct req *r, int64_t *budget, int *pull, enum MHD_Result *ret)
{
	const char *b = http_arg(r, "budget"), *p = http_arg(r, "pull");
	char *end;

	*budget = SYNC_BUDGET_DEFAULT;
	*pull = 1;
	if (b != NULL) {
		long long v = strtoll(b, &end, 10);

		if (*b == '\0' || *end != '\0' || v < SYNC_BUDGET_MIN ||
		    v > SYNC_BUDGET_MAX) {
			*ret = http_reply_error(r, 400, "bad_request", "budget",
			    "must be a byte count from %d to %d", SYNC_BUDGET_MIN,
			    SYNC_BUDGET_MAX);
			return -1;
		}
		*budget = v;
	}
	if (p != NULL) {
		if (strcmp(p, "0") != 0 && strcmp(p, "1") != 0) {
			*ret = http_reply_error(r, 400, "bad_request", "pull",
			    "must be 0 or 1");
			return -1;
		}
		*pull = p[0] == '1';
	}
	return 0;
}

enum MHD_Result
http_sync_exchange(struct req *r, const char *id)
{
	struct node *n = http_reader(r->srv);
	const char *ct = http_header(r, "Content-Type");
	struct sync_tx tx = {writer_run_ctx, &r->srv->writer, NULL, NULL};
	struct sync_apply a;
	struct dib_diag d;
	struct cert *caller;
	struct buf out;
	enum MHD_Result ret = MHD_NO;
	int64_t budget;
	int pull, rc;

	(void)id;
	if (sync_args(r, &budget, &pull, &ret) != 0)
		return ret;
	if ((caller = calloc(1, sizeof *caller)) == NULL)
		return http_reply_error(r, 503, "no_memory", "", "out of memory");
	dib_diag_clear(&d);
	rc = sync_auth_check(n->store, http_header(r, "X-Diboli-Cert"),
	    http_header(r, "X-Diboli-Time"),
	    http_header(r, "X-Diboli-Signature"), budget, pull, r->body.p,
	    r->body.len, util_now_ms(), caller, &d);
	if (rc != 0) {
		http_audit(r, "sync.auth", "", "denied", d.msg);
		ret = http_reply_diag(r, &d);
		goto out;
	}
	if (ct == NULL || strncasecmp(ct, SYNC_MEDIA, strlen(SYNC_MEDIA)) != 0) {
		ret = http_reply_error(r, 415, "unsupported_media_type",
		    "Content-Type", "send the body as " SYNC_MEDIA);
		goto out;
	}
	sync_apply_init(&a, n);
	buf_init(&out, (size_t)budget + SYNC_ITEM_MAX + (1 << 20));
	rc = sync_serve(n, &tx, caller, r->body.p, r->body.len, budget, pull,
	    &out, &a, &d);
	if (rc != 0) {
		if (d.code == DIB_ETAMPER || d.code == DIB_EINVAL)
			d.code = DIB_EBADREQ;
		ret = http_reply_diag(r, &d);
	} else {
		ret = http_reply_text(r, 200, SYNC_MEDIA, out.p ? out.p : "",
		    out.len);
	}
	sync_apply_free(&a);
	buf_free(&out);
out:
	free(caller);
	return ret;
}

enum MHD_Result
http_sync_status(struct req *r, const char *id)
{
	struct node *n = http_reader(r->srv);
	struct peer *p = NULL;
	struct dib_diag d;
	json_t *peers, *o;
	size_t np = 0, i;
	char t[40];

	(void)id;
	if (peer_list(n->store, &p, &np, &d) != 0)
		return http_reply_diag(r, &d);
	peers = json_array();
	for (i = 0; i < np; i++) {
		json_t *e = json_pack("{s:s, s:s, s:s?, s:b}", "name", p[i].name,
		    "nation", p[i].nation, "url", p[i].url[0] ? p[i].url : NULL,
		    "ok", p[i].last_ok == 1);

		json_object_set_new(e, "last_exchange", p[i].last_at > 0 ?
		    json_string(util_time_format(p[i].last_at, t, sizeof t)) :
		    json_null());
		json_object_set_new(e, "last_result", p[i].last_result[0] ?
		    json_string(p[i].last_result) : json_null());
		json_object_set_new(e, "waiting_in", p[i].wait_in >= 0 ?
		    json_integer(p[i].wait_in) : json_null());
		json_object_set_new(e, "waiting_out", p[i].wait_out >= 0 ?
		    json_integer(p[i].wait_out) : json_null());
		json_array_append_new(peers, e);
	}
	free(p);
	o = json_pack("{s:o, s:I, s:I}", "peers", peers,
	    "pending_blocks", (json_int_t)store_count(n->store,
	    "SELECT count(*) FROM pending"),
	    "quarantined_blocks", (json_int_t)store_count(n->store,
	    "SELECT count(*) FROM quarantine"));
	return http_reply_json(r, 200, o, NULL);
}
