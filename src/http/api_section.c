/*
** The border sections routes of the JSON API: GET /api/v1/sections (the
** board), GET /api/v1/sections/{id} (one section and its history), POST
** /api/v1/sections/{id}/status (this nation's level, in the single
** writer with its audit row), GET /api/v1/notifications (the notices
** of the partner's raises, each marked seen or not for the caller) and
** POST /api/v1/notifications/seen (mark some seen). The domain is
** src/patrol/section.c; what each user has seen, src/auth.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "auth/auth.h"
#include "http/http_int.h"
#include "node/node.h"
#include "patrol/section.h"
#include "store/store.h"
#include "util/json.h"
#include "util/util.h"

#define API "/api/v1"

/* ---- parameters ---- */

struct known {
	const char *const *names;
	const char *bad;
};

static enum MHD_Result
first_unknown(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct known *k = cls;
	int i;

	(void)kind;
	(void)value;
	for (i = 0; k->names[i]; i++)
		if (strcmp(key, k->names[i]) == 0)
			return MHD_YES;
	if (k->bad == NULL)
		k->bad = key;
	return MHD_YES;
}

/* The query parameters of the board and of one section: at, buffer_m.
** 0, or -1 once the error is answered (*ret). */
static int
parse_query(struct req *r, struct section_query *q, enum MHD_Result *ret)
{
	static const char *const names[] = {"at", "buffer_m", NULL};
	struct known k = {names, NULL};
	struct dib_diag d;
	const char *v;

	memset(q, 0, sizeof *q);
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND,
	    first_unknown, &k);
	if (k.bad != NULL) {
		*ret = http_reply_error(r, 400, "bad_request", k.bad, "unknown "
		    "parameter (use at, buffer_m)");
		return -1;
	}
	if ((v = http_arg(r, "at")) != NULL) {
		if (strlen(v) > 64 ||
		    util_time_parse(v, &q->at, "at", &d) != 0) {
			*ret = http_reply_error(r, 400, "bad_request", "at",
			    "must be an RFC 3339 time like "
			    "2025-07-01T00:00:00Z");
			return -1;
		}
		q->has_at = 1;
	}
	if ((v = http_arg(r, "buffer_m")) != NULL) {
		char *end;

		q->buffer_m = strtod(v, &end);
		if (*v == '\0' || *end != '\0' || !isfinite(q->buffer_m) ||
		    q->buffer_m < 0 || q->buffer_m > SECTION_BUFFER_MAX) {
			*ret = http_reply_error(r, 400, "bad_request",
			    "buffer_m", "must be a distance in metres from 0 "
			    "to %.0f", SECTION_BUFFER_MAX);
			return -1;
		}
		q->has_buffer = 1;
	}
	return 0;
}

/* A section id from the path: 0, or -1 once a 404 is answered. */
static int
section_id(struct req *r, const char *id, enum MHD_Result *ret)
{
	if (strlen(id) == 0 || strlen(id) > SECTION_ID_MAX ||
	    !util_utf8_valid(id, strlen(id))) {
		*ret = http_reply_error(r, 404, "not_found", "section", "no "
		    "border section with this id on this node");
		return -1;
	}
	return 0;
}

/* ---- reads ---- */

enum MHD_Result
http_section_list(struct req *r, const char *id)
{
	struct node *n = http_reader(r->srv);
	struct section_query q;
	struct dib_diag d;
	enum MHD_Result ret;
	json_t *out;
	int rc;

	(void)id;
	if (parse_query(r, &q, &ret) != 0)
		return ret;
	/* One read transaction: one snapshot of every level. */
	store_exec(n->store, "BEGIN", NULL);
	rc = section_board(n, &q, &out, &d);
	store_exec(n->store, "COMMIT", NULL);
	if (rc != 0)
		return http_reply_diag(r, &d);
	return http_reply_json(r, 200, out, NULL);
}

enum MHD_Result
http_section_get(struct req *r, const char *id)
{
	struct node *n = http_reader(r->srv);
	struct section_query q;
	struct dib_diag d;
	enum MHD_Result ret;
	json_t *out;
	int rc;

	if (section_id(r, id, &ret) != 0 || parse_query(r, &q, &ret) != 0)
		return ret;
	store_exec(n->store, "BEGIN", NULL);
	rc = section_get(n, id, &q, &out, &d);
	store_exec(n->store, "COMMIT", NULL);
	if (rc != 0)
		return http_reply_diag(r, &d);
	return http_reply_json(r, 200, out, NULL);
}

/* Mark each notice of out ({"notifications": [...]}) seen or not by
 * login: "seen": true / false. */
static int
mark_seen(struct node *n, const char *login, json_t *out,
    struct dib_diag *d)
{
	json_t *list = json_object_get(out, "notifications"), *o;
	uint8_t (*ids)[16], id[16];
	size_t nids, i, k;
	int rc;

	if ((rc = auth_seen_list(n->store, login, &ids, &nids, d)) != 0)
		return rc;
	json_array_foreach(list, i, o) {
		int seen = 0;

		if (util_uuid_parse(json_string_value(json_object_get(o, "id")),
		    id) == 0)
			for (k = 0; k < nids && !seen; k++)
				seen = memcmp(ids[k], id, 16) == 0;
		json_object_set_new(o, "seen", json_boolean(seen));
	}
	free(ids);
	return DIB_OK;
}

enum MHD_Result
http_section_notifications(struct req *r, const char *id)
{
	static const char *const none[] = {NULL};
	struct known k = {none, NULL};
	struct node *n = http_reader(r->srv);
	struct dib_diag d;
	json_t *out;
	int rc;

	(void)id;
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND,
	    first_unknown, &k);
	if (k.bad != NULL)
		return http_reply_error(r, 400, "bad_request", k.bad, "unknown "
		    "parameter (this route takes none)");
	store_exec(n->store, "BEGIN", NULL);
	rc = section_notifications(n, &out, &d);
	if (rc == 0 && (rc = mark_seen(n, r->who.login, out, &d)) != 0)
		json_decref(out);
	store_exec(n->store, "COMMIT", NULL);
	if (rc != 0)
		return http_reply_diag(r, &d);
	return http_reply_json(r, 200, out, NULL);
}

/* ---- notices seen ---- */

struct seen_write {
	struct writer_job job;
	uint8_t (*ids)[16];
	size_t n, added;
	const char *actor, *addr;
};

static void
seen_free(void *p)
{
	struct seen_write *w = p;

	free(w->ids);
	free(w);
}

/* In the writer: the marks and their audit row, in one transaction. */
static int
job_seen(struct node *n, void *arg, struct dib_diag *d)
{
	struct seen_write *w = arg;
	char detail[64];
	int64_t now = util_now_ms();
	int rc;

	if ((rc = auth_seen_mark(n->store, w->actor, (const uint8_t (*)[16])
	    w->ids, w->n, now, &w->added, d)) != 0)
		return rc;
	snprintf(detail, sizeof detail, "ids=%zu new=%zu", w->n, w->added);
	return audit_append(n->store, now, w->actor, w->addr, "notices.seen",
	    "notices", "ok", detail, d);
}

static enum MHD_Result
seen_finish(struct req *r)
{
	struct seen_write *w = r->async;

	if (w->job.rc != 0)
		return http_reply_diag(r, &w->job.d);
	return http_reply_json(r, 200, json_pack("{s:I, s:I}", "marked",
	    (json_int_t)w->n, "new", (json_int_t)w->added), NULL);
}

enum MHD_Result
http_notices_seen(struct req *r, const char *id)
{
	struct seen_write *w;
	enum MHD_Result ret;
	const char *key;
	json_t *body, *ids, *v;
	size_t i, n;
	int failed;

	(void)id;
	if ((body = http_body_object(r, 0, &failed, &ret)) == NULL)
		return ret;
	json_object_foreach(body, key, v)
		if (strcmp(key, "ids") != 0) {
			ret = http_reply_error(r, 422, "invalid", key, "unknown "
			    "field (expected ids)");
			goto out;
		}
	ids = json_object_get(body, "ids");
	if (!json_is_array(ids)) {
		ret = http_reply_error(r, 422, "invalid", "ids", "must be a "
		    "list of notice ids");
		goto out;
	}
	if ((n = json_array_size(ids)) == 0) {
		ret = http_reply_error(r, 422, "invalid", "ids", "is empty");
		goto out;
	}
	if (n > AUTH_SEEN_MAX) {
		ret = http_reply_error(r, 413, "too_big", "ids", "at most %d "
		    "ids at once, got %zu", AUTH_SEEN_MAX, n);
		goto out;
	}
	if ((w = calloc(1, sizeof *w)) == NULL ||
	    (w->ids = calloc(n, sizeof *w->ids)) == NULL) {
		free(w);
		ret = http_reply_error(r, 503, "no_memory", "", "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(ids, i));

		if (s == NULL || util_uuid_parse(s, w->ids[i]) != 0) {
			char field[32];

			snprintf(field, sizeof field, "ids[%zu]", i);
			seen_free(w);
			ret = http_reply_error(r, 422, "invalid", field, "is not "
			    "a notice id (like 0195224a-3c00-7d1e-8f00-"
			    "0123456789ab)");
			goto out;
		}
	}
	w->n = n;
	w->actor = r->who.login;
	w->addr = r->addr;
	w->job.fn = job_seen;
	w->job.arg = w;
	ret = http_go_async(r, &w->job, seen_finish, w, seen_free);
out:
	json_decref(body);
	return ret;
}

/* ---- the write ---- */

struct swrite {
	struct writer_job job;
	char section[SECTION_ID_MAX + 1];
	json_t *body;                   /* owned */
	struct section_result res;
	const char *actor, *addr;
};

static void
swrite_free(void *p)
{
	struct swrite *w = p;

	json_decref(w->body);
	free(w);
}

/* In the writer: the previous level is read, the records appended and
** the audit row written in one transaction. */
static int
job_status(struct node *n, void *arg, struct dib_diag *d)
{
	struct swrite *w = arg;
	char target[80], detail[AUDIT_DETAIL_MAX + 1], txt[37];
	size_t len, i;
	int rc;

	if ((rc = section_set(n, w->section, w->body, NULL, &w->res, d)) != 0)
		return rc;
	snprintf(target, sizeof target, "section:%s", w->section);
	len = (size_t)snprintf(detail, sizeof detail, "record=%s level=%s "
	    "previous=%s", util_uuid_format(w->res.id, txt),
	    section_level_name(w->res.level), w->res.previous >= 0 ?
	    section_level_name(w->res.previous) : "none");
	for (i = 0; i < w->res.nnotices && len < sizeof detail; i++)
		len += (size_t)snprintf(detail + len, sizeof detail - len,
		    " notice=%s:%s", w->res.for_nation[i], util_uuid_format(
		    w->res.notices[i], txt));
	if (len < sizeof detail)
		snprintf(detail + len, sizeof detail - len, " reason=%.1000s",
		    json_string_value(json_object_get(w->body, "reason")));
	audit_clip(detail, sizeof detail, detail);
	return audit_append(n->store, util_now_ms(), w->actor, w->addr,
	    "sections.status", target, "ok", detail, d);
}

/* After the commit: 201 with the new records' ids. */
static enum MHD_Result
swrite_finish(struct req *r)
{
	struct swrite *w = r->async;
	struct MHD_Response *resp;
	json_t *o, *notices;
	char txt[37], loc[120];
	size_t i;

	if (w->job.rc != 0)
		return http_reply_diag(r, &w->job.d);
	http_sync_kick(r->srv);
	notices = json_array();
	for (i = 0; notices != NULL && i < w->res.nnotices; i++)
		json_array_append_new(notices, json_pack("{s:s, s:s}", "id",
		    util_uuid_format(w->res.notices[i], txt), "for_nation",
		    w->res.for_nation[i]));
	o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "id",
	    util_uuid_format(w->res.id, txt), "section", w->section, "nation",
	    http_reader(r->srv)->nation, "level", section_level_name(
	    w->res.level), "previous", w->res.previous >= 0 ? json_string(
	    section_level_name(w->res.previous)) : json_null(), "notices",
	    notices);
	if (o != NULL)
		json_object_set_new(o, "audience", json_stringn(w->res.audience,
		    strlen(w->res.audience)));
	if ((resp = http_resp_json(r, o, NULL)) == NULL)
		return MHD_NO;
	snprintf(loc, sizeof loc, API "/sections/%s", w->section);
	MHD_add_response_header(resp, "Location", loc);
	return http_queue(r, 201, resp);
}

enum MHD_Result
http_section_status(struct req *r, const char *id)
{
	struct swrite *w;
	enum MHD_Result ret;
	json_t *body = NULL;

	if (section_id(r, id, &ret) != 0)
		return ret;
	if ((body = http_body_json(r, &ret)) == NULL)
		return ret;
	if (!json_is_object(body)) {
		json_decref(body);
		return http_reply_error(r, 422, "invalid", "", "the body must "
		    "be a JSON object: {\"level\", \"reason\"}");
	}
	if ((w = calloc(1, sizeof *w)) == NULL) {
		json_decref(body);
		return http_reply_error(r, 503, "no_memory", "",
		    "out of memory");
	}
	snprintf(w->section, sizeof w->section, "%s", id);
	w->body = body;
	w->actor = r->who.login;
	w->addr = r->addr;
	w->job.fn = job_status;
	w->job.arg = w;
	return http_go_async(r, &w->job, swrite_finish, w, swrite_free);
}
