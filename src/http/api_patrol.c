/*
** The joint patrol routes of the JSON API: GET/POST /api/v1/patrols,
** GET/PATCH /api/v1/patrols/{id} and the decisions, units, legs and
** debriefs under it. Reads use this thread's connection; a write runs in
** the single writer, where the patrol's state is read, the transition
** checked and the record appended in one transaction with its audit row.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit/audit.h"
#include "http/http_int.h"
#include "node/node.h"
#include "patrol/patrol.h"
#include "store/store.h"
#include "util/json.h"
#include "util/util.h"

#define API "/api/v1"

enum pkind { P_CREATE, P_UPDATE, P_UNIT, P_LEG, P_DEBRIEF, P_ACT };

/* One write: the body, what to do, and its result. */
struct pwrite {
	struct writer_job job;
	int kind;                       /* enum pkind */
	int verb;                       /* P_ACT: enum patrol_verb */
	uint8_t patrol[16];
	json_t *body;                   /* owned; NULL for none */
	const char *reason;             /* in body */
	uint8_t id[16];                 /* the new record */
	const char *actor, *addr;
	char action[40];
};

static void
pwrite_free(void *p)
{
	struct pwrite *w = p;

	json_decref(w->body);
	free(w);
}

static int
job_patrol(struct node *n, void *arg, struct dib_diag *d)
{
	struct pwrite *w = arg;
	char target[60], detail[AUDIT_DETAIL_MAX + 1], txt[37], rid[37];
	int rc;

	switch (w->kind) {
	case P_CREATE:
		rc = patrol_create(n, w->body, NULL, w->id, d);
		if (rc == 0)
			memcpy(w->patrol, w->id, 16);
		break;
	case P_UPDATE:
		rc = patrol_update(n, w->patrol, w->body, NULL, w->id, d);
		break;
	case P_UNIT:
		rc = patrol_add_unit(n, w->patrol, w->body, NULL, w->id, d);
		break;
	case P_LEG:
		rc = patrol_add_leg(n, w->patrol, w->body, NULL, w->id, d);
		break;
	case P_DEBRIEF:
		rc = patrol_add_debrief(n, w->patrol, w->body, NULL, w->id, d);
		break;
	default:
		rc = patrol_act(n, w->patrol, w->verb, w->reason, NULL, w->id, d);
	}
	if (rc != 0)
		return rc;
	snprintf(target, sizeof target, "patrol:%s",
	    util_uuid_format(w->patrol, txt));
	snprintf(detail, sizeof detail, "record=%s%s%.1000s",
	    util_uuid_format(w->id, rid), w->reason ? " reason=" : "",
	    w->reason ? w->reason : "");
	audit_clip(detail, sizeof detail, detail);
	return audit_append(n->store, util_now_ms(), w->actor, w->addr,
	    w->action, target, "ok", detail, d);
}

/* After the commit: the new record's id and the patrol as it is now. */
static enum MHD_Result
pwrite_finish(struct req *r)
{
	struct pwrite *w = r->async;
	struct MHD_Response *resp;
	struct dib_diag d;
	json_t *p = NULL, *o;
	char txt[37], pid[37], loc[80];

	if (w->job.rc != 0)
		return http_reply_diag(r, &w->job.d);
	http_sync_kick(r->srv);
	util_uuid_format(w->patrol, pid);
	if (patrol_get(http_reader(r->srv), w->patrol, &p, &d) != 0)
		p = json_null();
	o = json_pack("{s:s, s:o}", "id", util_uuid_format(w->id, txt),
	    "patrol", p);
	if ((resp = http_resp_json(r, o, NULL)) == NULL)
		return MHD_NO;
	snprintf(loc, sizeof loc, API "/patrols/%s", pid);
	MHD_add_response_header(resp, "Location", loc);
	return http_queue(r, 201, resp);
}

static int
is_json(struct req *r)
{
	const char *t = http_header(r, "Content-Type");

	return t != NULL && (strncasecmp(t, "application/json", 16) == 0 &&
	    (t[16] == '\0' || t[16] == ';' || t[16] == ' '));
}

/*
** The JSON object of the body (a new reference), or NULL when there is
** none and optional is set; otherwise answers the error itself (*ret)
** and returns NULL with *failed set.
*/
static json_t *
body_object(struct req *r, int optional, int *failed, enum MHD_Result *ret)
{
	struct dib_diag d;
	json_t *j = NULL;

	*failed = 0;
	if (optional && r->body.len == 0)
		return NULL;
	*failed = 1;
	if (!is_json(r)) {
		*ret = http_reply_error(r, 415, "unsupported_media_type",
		    "Content-Type", "send the body as application/json");
		return NULL;
	}
	if (util_json_parse(r->body.p ? r->body.p : "", r->body.len, "body",
	    &j, &d) != 0) {
		*ret = http_reply_error(r, d.code == DIB_ETOOBIG ? 413 : 400,
		    d.code == DIB_ETOOBIG ? "too_big" : "bad_request", "body",
		    "%s", d.msg);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		*ret = http_reply_error(r, 422, "invalid", "", "the body must be "
		    "a JSON object");
		return NULL;
	}
	*failed = 0;
	return j;
}

static int
patrol_id(struct req *r, const char *id, uint8_t out[16],
    enum MHD_Result *ret)
{
	if (util_uuid_parse(id, out) != 0) {
		*ret = http_reply_error(r, 400, "bad_request", "id", "\"%.40s\" is "
		    "not a patrol id", id);
		return -1;
	}
	return 0;
}

/* Start a write of kind on patrol id (NULL for create). */
static enum MHD_Result
submit(struct req *r, const char *id, int kind, int verb, const char *name)
{
	struct pwrite *w;
	enum MHD_Result ret = MHD_NO;
	json_t *body;
	uint8_t pid[16] = {0};
	int failed;

	if (id != NULL && patrol_id(r, id, pid, &ret) != 0)
		return ret;
	body = body_object(r, kind == P_ACT, &failed, &ret);
	if (failed)
		return ret;
	if (kind == P_ACT && body != NULL) {
		const char *key;
		json_t *v;

		json_object_foreach(body, key, v)
			if (strcmp(key, "reason") != 0 || !json_is_string(v)) {
				ret = http_reply_error(r, 422, "invalid", key,
				    strcmp(key, "reason") ? "unknown field "
				    "(expected reason)" : "must be a string");
				json_decref(body);     /* key is in body */
				return ret;
			}
	}
	if ((w = calloc(1, sizeof *w)) == NULL) {
		json_decref(body);
		return http_reply_error(r, 503, "no_memory", "", "out of memory");
	}
	w->kind = kind;
	w->verb = verb;
	w->body = body;
	memcpy(w->patrol, pid, 16);
	w->reason = json_string_value(json_object_get(body, "reason"));
	w->actor = r->who.login;
	w->addr = r->addr;
	snprintf(w->action, sizeof w->action, "patrols.%s", name);
	w->job.fn = job_patrol;
	w->job.arg = w;
	return http_go_async(r, &w->job, pwrite_finish, w, pwrite_free);
}

enum MHD_Result
http_patrol_create(struct req *r, const char *id)
{
	(void)id;
	return submit(r, NULL, P_CREATE, 0, "create");
}

enum MHD_Result
http_patrol_update(struct req *r, const char *id)
{
	return submit(r, id, P_UPDATE, 0, "update");
}

enum MHD_Result
http_patrol_unit(struct req *r, const char *id)
{
	return submit(r, id, P_UNIT, 0, "unit");
}

enum MHD_Result
http_patrol_leg(struct req *r, const char *id)
{
	return submit(r, id, P_LEG, 0, "leg");
}

enum MHD_Result
http_patrol_debrief(struct req *r, const char *id)
{
	return submit(r, id, P_DEBRIEF, 0, "debrief");
}

enum MHD_Result
http_patrol_propose(struct req *r, const char *id)
{
	return submit(r, id, P_ACT, PATROL_PROPOSE, "propose");
}

enum MHD_Result
http_patrol_approve(struct req *r, const char *id)
{
	return submit(r, id, P_ACT, PATROL_APPROVE, "approve");
}

enum MHD_Result
http_patrol_reject(struct req *r, const char *id)
{
	return submit(r, id, P_ACT, PATROL_REJECT, "reject");
}

enum MHD_Result
http_patrol_start(struct req *r, const char *id)
{
	return submit(r, id, P_ACT, PATROL_START, "start");
}

enum MHD_Result
http_patrol_complete(struct req *r, const char *id)
{
	return submit(r, id, P_ACT, PATROL_COMPLETE, "complete");
}

enum MHD_Result
http_patrol_abort(struct req *r, const char *id)
{
	return submit(r, id, P_ACT, PATROL_ABORT, "abort");
}

/* ---- reads ---- */

enum MHD_Result
http_patrol_get(struct req *r, const char *id)
{
	struct node *n = http_reader(r->srv);
	struct dib_diag d;
	enum MHD_Result ret;
	uint8_t pid[16];
	json_t *p;
	int rc;

	if (patrol_id(r, id, pid, &ret) != 0)
		return ret;
	/* One read transaction: one snapshot of everything linked. */
	store_exec(n->store, "BEGIN", NULL);
	rc = patrol_get(n, pid, &p, &d);
	store_exec(n->store, "COMMIT", NULL);
	if (rc != 0)
		return http_reply_diag(r, &d);
	return http_reply_json(r, 200, p, NULL);
}

static const char *const list_args[] = {"from", "to", "status", "nation",
    NULL};

static enum MHD_Result
first_unknown(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	const char **bad = cls;
	int i;

	(void)kind;
	(void)value;
	for (i = 0; list_args[i]; i++)
		if (strcmp(key, list_args[i]) == 0)
			return MHD_YES;
	if (*bad == NULL)
		*bad = key;
	return MHD_YES;
}

enum MHD_Result
http_patrol_list(struct req *r, const char *id)
{
	struct node *n = http_reader(r->srv);
	struct patrol_filter f;
	struct dib_diag d;
	const char *v, *bad = NULL;
	json_t *out;
	int rc;

	(void)id;
	memset(&f, 0, sizeof f);
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND,
	    first_unknown, &bad);
	if (bad != NULL)
		return http_reply_error(r, 400, "bad_request", bad, "unknown "
		    "parameter (use from, to, status, nation)");
	if ((v = http_arg(r, "from")) != NULL) {
		if (util_time_parse(v, &f.from, "from", &d) != 0)
			return http_reply_error(r, 400, "bad_request", "from",
			    "%s", d.msg);
		f.has_from = 1;
	}
	if ((v = http_arg(r, "to")) != NULL) {
		if (util_time_parse(v, &f.to, "to", &d) != 0)
			return http_reply_error(r, 400, "bad_request", "to", "%s",
			    d.msg);
		f.has_to = 1;
	}
	if (f.has_from && f.has_to && f.from > f.to)
		return http_reply_error(r, 400, "bad_request", "to", "is before "
		    "from");
	if ((v = http_arg(r, "status")) != NULL) {
		if ((f.status = patrol_status_parse(v)) < 0)
			return http_reply_error(r, 400, "bad_request", "status",
			    "must be draft, proposed, approved, rejected, "
			    "underway, completed or aborted");
		f.has_status = 1;
	}
	if ((v = http_arg(r, "nation")) != NULL) {
		if (strlen(v) != 2 || !util_nation_valid(v))
			return http_reply_error(r, 400, "bad_request", "nation",
			    "must be an ISO 3166-1 alpha-2 code like SN");
		memcpy(f.nation, v, 3);
	}
	store_exec(n->store, "BEGIN", NULL);
	rc = patrol_list(n, &f, &out, &d);
	store_exec(n->store, "COMMIT", NULL);
	if (rc != 0)
		return http_reply_diag(r, &d);
	return http_reply_json(r, 200, out, NULL);
}
