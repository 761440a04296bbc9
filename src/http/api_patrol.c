/*
** The joint patrol routes of the JSON API: GET/POST /api/v1/patrols,
** GET/PATCH /api/v1/patrols/{id} and the decisions, units, legs,
** debriefs, GPS tracks and the computed debrief (summary) under it. Reads
** use this thread's connection; a write runs in the single writer, where
** the patrol's state is read, the transition checked and the records
** appended in one transaction with its audit row. A track upload is
** parsed, cleaned and encoded on the request thread first.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit/audit.h"
#include "geo/reference.h"
#include "http/http_int.h"
#include "node/node.h"
#include "patrol/patrol.h"
#include "store/store.h"
#include "track/track.h"
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
	body = http_body_object(r, kind == P_ACT, &failed, &ret);
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

/* The first query parameter of r not in names, or NULL. */
struct argcheck {
	const char *const *names;
	const char *bad;
};

static enum MHD_Result
arg_unknown(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct argcheck *a = cls;
	int i;

	(void)kind;
	(void)value;
	for (i = 0; a->names[i]; i++)
		if (strcmp(key, a->names[i]) == 0)
			return MHD_YES;
	if (a->bad == NULL)
		a->bad = key;
	return MHD_YES;
}

static const char *
unknown_arg(struct req *r, const char *const *names)
{
	struct argcheck a = {names, NULL};

	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, arg_unknown,
	    &a);
	return a.bad;
}

static const char *const list_args[] = {"from", "to", "status", "nation",
    "section", "buffer", NULL};

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
	const char *bad = NULL;
	json_t *out;
	int rc;

	(void)id;
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND,
	    first_unknown, &bad);
	if (bad != NULL)
		return http_reply_error(r, 400, "bad_request", bad, "unknown "
		    "parameter (use from, to, status, nation, section, "
		    "buffer)");
	if (patrol_filter_parse(&f, http_arg(r, "from"), http_arg(r, "to"),
	    http_arg(r, "status"), http_arg(r, "nation"), http_arg(r,
	    "section"), http_arg(r, "buffer"), &d) != 0)
		return http_reply_error(r, 400, "bad_request", d.field, "%s",
		    d.msg);
	store_exec(n->store, "BEGIN", NULL);
	rc = patrol_list(n, &f, &out, &d);
	store_exec(n->store, "COMMIT", NULL);
	if (rc != 0 && d.code == DIB_EINVAL)
		return http_reply_error(r, 400, "bad_request", d.field, "%s",
		    d.msg);
	if (rc != 0)
		return http_reply_diag(r, &d);
	return http_reply_json(r, 200, out, NULL);
}

/* ---- GPS tracks and the computed debrief ---- */

#define GEOJSON "application/geo+json"

/* One track upload: prepared on the request thread, appended by the
** writer. */
struct twrite {
	struct writer_job job;
	struct patrol_track_batch b;
	const char *actor, *addr;
};

static void
twrite_free(void *p)
{
	struct twrite *w = p;

	patrol_track_batch_free(&w->b);
	free(w);
}

static int
job_track(struct node *n, void *arg, struct dib_diag *d)
{
	struct twrite *w = arg;
	char target[60], detail[200], txt[37];
	int rc;

	if ((rc = patrol_track_commit(n, &w->b, d)) != 0)
		return rc;
	snprintf(target, sizeof target, "patrol:%s",
	    util_uuid_format(w->b.patrol, txt));
	snprintf(detail, sizeof detail, "track=%s records=%zu points=%zu",
	    w->b.track_id, w->b.n, w->b.points);
	return audit_append(n->store, util_now_ms(), w->actor, w->addr,
	    "patrols.track", target, "ok", detail, d);
}

static enum MHD_Result
twrite_finish(struct req *r)
{
	struct twrite *w = r->async;
	struct MHD_Response *resp;
	char loc[100], txt[37];

	if (w->job.rc != 0)
		return http_reply_diag(r, &w->job.d);
	http_sync_kick(r->srv);
	if ((resp = http_resp_json(r, patrol_track_batch_json(&w->b), NULL)) ==
	    NULL)
		return MHD_NO;
	snprintf(loc, sizeof loc, API "/patrols/%s/tracks",
	    util_uuid_format(w->b.patrol, txt));
	MHD_add_response_header(resp, "Location", loc);
	return http_queue(r, 201, resp);
}

/* 1 for a JSON body (GeoJSON), 2 for GPX, 0 for anything else. */
static int
track_media(struct req *r)
{
	static const char *const json[] = {"application/json",
	    "application/geo+json", NULL};
	static const char *const gpx[] = {"application/gpx+xml",
	    "application/xml", "text/xml", NULL};
	const char *t = http_header(r, "Content-Type");
	size_t n;
	int i;

	if (t == NULL)
		return 0;
	n = strcspn(t, "; ");
	for (i = 0; json[i]; i++)
		if (strlen(json[i]) == n && strncasecmp(t, json[i], n) == 0)
			return 1;
	for (i = 0; gpx[i]; i++)
		if (strlen(gpx[i]) == n && strncasecmp(t, gpx[i], n) == 0)
			return 2;
	return 0;
}

/* The body as a track; on failure answers (*ret) and returns -1. */
static int
body_track(struct req *r, int media, struct track *tr, enum MHD_Result *ret)
{
	struct dib_diag d;
	int rc;

	dib_diag_clear(&d);
	track_init(tr, 0);
	if (media == 2) {
		struct track_gpx g;

		rc = track_gpx_parse_mem(r->body.p ? r->body.p : "",
		    r->body.len, NULL, &g, &d);
		if (rc == 0 && g.trk.n == 0)
			rc = dib_fail(&d, DIB_EINVAL, "gpx", "no track point "
			    "(trk/trkseg/trkpt): routes and waypoints are not "
			    "tracks");
		if (rc == 0) {
			/* The track moves out of g. */
			*tr = g.trk;
			memset(&g.trk, 0, sizeof g.trk);
		}
		track_gpx_free(&g);
	} else {
		json_t *j = NULL;

		if (util_json_parse(r->body.p ? r->body.p : "", r->body.len,
		    "body", &j, &d) != 0) {
			*ret = http_reply_error(r, d.code == DIB_ETOOBIG ? 413 :
			    400, d.code == DIB_ETOOBIG ? "too_big" :
			    "bad_request", "body", "%s", d.msg);
			return -1;
		}
		rc = patrol_track_from_geojson(j, tr, 0, &d);
		json_decref(j);
	}
	if (rc != 0) {
		track_free(tr);
		*ret = http_reply_diag(r, &d);
		return -1;
	}
	return 0;
}

static const char *const track_args[] = {"max_speed", "gap", NULL};

enum MHD_Result
http_patrol_track(struct req *r, const char *id)
{
	struct node *n = http_reader(r->srv);
	struct patrol_track_in in;
	struct dib_diag d;
	struct twrite *w;
	struct track tr;
	enum MHD_Result ret = MHD_NO;
	const char *v, *bad;
	uint8_t pid[16];
	char target[60];
	int media, rc;
	char *end;

	if (patrol_id(r, id, pid, &ret) != 0)
		return ret;
	if ((bad = unknown_arg(r, track_args)) != NULL)
		return http_reply_error(r, 400, "bad_request", bad, "unknown "
		    "parameter (use max_speed, gap)");
	memset(&in, 0, sizeof in);
	if ((v = http_arg(r, "max_speed")) != NULL) {
		in.max_speed_ms = strtod(v, &end);
		if (*v == '\0' || *end != '\0' || !(in.max_speed_ms > 0) ||
		    !(in.max_speed_ms <= 1e6))
			return http_reply_error(r, 400, "bad_request",
			    "max_speed", "must be a speed in m/s, more than 0");
		in.has_max_speed = 1;
	}
	if ((v = http_arg(r, "gap")) != NULL) {
		in.gap_s = strtod(v, &end);
		if (*v == '\0' || *end != '\0' || !(in.gap_s > 0) ||
		    !(in.gap_s <= 1e6))
			return http_reply_error(r, 400, "bad_request", "gap",
			    "must be a duration in seconds, more than 0");
		in.has_gap = 1;
	}
	if ((media = track_media(r)) == 0)
		return http_reply_error(r, 415, "unsupported_media_type",
		    "Content-Type", "send a GPX file (application/gpx+xml) or "
		    "GeoJSON (application/json)");
	in.source = media == 2 ? PATROL_SOURCE_GPX : PATROL_SOURCE_API;
	if (body_track(r, media, &tr, &ret) != 0)
		return ret;
	if ((w = calloc(1, sizeof *w)) == NULL) {
		track_free(&tr);
		return http_reply_error(r, 503, "no_memory", "", "out of memory");
	}
	dib_diag_clear(&d);
	/* Clean, cut and encode here, on the request thread, in one read
	 * snapshot; the writer checks the patrol again and appends. */
	store_exec(n->store, "BEGIN", NULL);
	rc = patrol_track_prepare(n, pid, &tr, &in, &w->b, &d);
	store_exec(n->store, "COMMIT", NULL);
	track_free(&tr);
	if (rc != 0) {
		twrite_free(w);
		snprintf(target, sizeof target, "patrol:%.40s", id);
		http_audit(r, "patrols.track", target, "failed", d.msg);
		return http_reply_diag(r, &d);
	}
	w->actor = r->who.login;
	w->addr = r->addr;
	w->job.fn = job_track;
	w->job.arg = w;
	return http_go_async(r, &w->job, twrite_finish, w, twrite_free);
}

static const char *const tracks_args[] = {"zoom", NULL};

enum MHD_Result
http_patrol_tracks(struct req *r, const char *id)
{
	struct node *n = http_reader(r->srv);
	struct dib_diag d;
	enum MHD_Result ret;
	const char *v, *bad;
	uint8_t pid[16];
	long zoom = -1;
	json_t *fc = NULL;
	char *end;
	int rc;

	if (patrol_id(r, id, pid, &ret) != 0)
		return ret;
	if ((bad = unknown_arg(r, tracks_args)) != NULL)
		return http_reply_error(r, 400, "bad_request", bad, "unknown "
		    "parameter (use zoom)");
	if ((v = http_arg(r, "zoom")) != NULL) {
		zoom = strtol(v, &end, 10);
		if (*v == '\0' || *end != '\0' || zoom < 0 || zoom > 24)
			return http_reply_error(r, 400, "bad_request", "zoom",
			    "must be a zoom level from 0 to 24");
	}
	store_exec(n->store, "BEGIN", NULL);
	rc = patrol_tracks_geojson(n, pid, (int)zoom, &fc, &d);
	store_exec(n->store, "COMMIT", NULL);
	if (rc != 0)
		return http_reply_diag(r, &d);
	return http_reply_json(r, 200, fc, GEOJSON);
}

/* The largest GPX export served (the body is built in memory). */
#define GPX_EXPORT_MAX ((size_t)512 * 1024 * 1024)

enum MHD_Result
http_patrol_tracks_gpx(struct req *r, const char *id)
{
	struct node *n = http_reader(r->srv);
	struct dib_diag d;
	enum MHD_Result ret;
	struct buf b;
	uint8_t pid[16];
	int rc;

	if (patrol_id(r, id, pid, &ret) != 0)
		return ret;
	buf_init(&b, GPX_EXPORT_MAX);
	store_exec(n->store, "BEGIN", NULL);
	rc = patrol_tracks_gpx(n, pid, &b, 0, &d);
	store_exec(n->store, "COMMIT", NULL);
	if (rc != 0) {
		buf_free(&b);
		return http_reply_diag(r, &d);
	}
	ret = http_reply_text(r, 200, "application/gpx+xml", b.p, b.len);
	buf_free(&b);
	return ret;
}

static const char *const summary_args[] = {"buffer", NULL};

enum MHD_Result
http_patrol_summary(struct req *r, const char *id)
{
	struct node *n = http_reader(r->srv);
	struct patrol_summary_opts o;
	struct dib_diag d;
	enum MHD_Result ret;
	const char *v, *bad;
	uint8_t pid[16];
	json_t *out = NULL;
	int rc;

	if (patrol_id(r, id, pid, &ret) != 0)
		return ret;
	if ((bad = unknown_arg(r, summary_args)) != NULL)
		return http_reply_error(r, 400, "bad_request", bad, "unknown "
		    "parameter (use buffer)");
	memset(&o, 0, sizeof o);
	if ((v = http_arg(r, "buffer")) != NULL &&
	    patrol_buffer_parse(v, "buffer", &o.buffer_m, &d) != 0)
		return http_reply_error(r, 400, "bad_request", "buffer", "%s",
		    d.msg);
	store_exec(n->store, "BEGIN", NULL);
	rc = patrol_summary(n, pid, &o, &out, &d);
	store_exec(n->store, "COMMIT", NULL);
	if (rc != 0)
		return http_reply_diag(r, &d);
	return http_reply_json(r, 200, out, NULL);
}
