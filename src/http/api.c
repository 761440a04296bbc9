/*
** The JSON API v1: routing, authentication and permissions, and the
** handlers. Reads use this thread's own connection; writes go to the
** single writer, with their audit row in the same transaction.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "audit/audit.h"
#include "auth/auth.h"
#include "http/http_int.h"
#include "log/record.h"
#include "model/model.h"
#include "node/node.h"
#include "store/query.h"
#include "util/arena.h"
#include "util/embed.h"
#include "util/json.h"
#include "util/util.h"

#define API "/api/v1"
#define GEOJSON "application/geo+json"
#define COOKIE "diboli_session"
#define PAGE_DEFAULT 100
#define PAGE_MAX 10000

/* ---- audit ---- */

struct audit_job {
	const char *actor, *addr, *action, *target, *result, *detail;
};

static int
job_audit(struct node *n, void *arg, struct dib_diag *d)
{
	struct audit_job *a = arg;

	return audit_append(n->store, util_now_ms(), a->actor, a->addr,
	    a->action, a->target, a->result, a->detail, d);
}

void
http_audit(struct req *r, const char *action, const char *target,
    const char *result, const char *detail)
{
	char actor[AUDIT_FIELD_MAX + 1], tg[AUDIT_FIELD_MAX + 1];
	char dt[AUDIT_DETAIL_MAX + 1];
	struct audit_job a = {actor, r->addr, action, tg, result, dt};

	/* Whatever the client sent, the event is recorded. */
	audit_clip(actor, sizeof actor, r->who.authed ? r->who.login : "-");
	audit_clip(tg, sizeof tg, target);
	audit_clip(dt, sizeof dt, detail);
	writer_run(&r->srv->writer, job_audit, &a, NULL);
}

/* ---- authentication ---- */

/* The value of cookie name in the Cookie header, into out. */
static int
cookie(struct req *r, const char *name, char *out, size_t n)
{
	const char *c = http_header(r, "Cookie");
	size_t len = strlen(name);

	while (c != NULL && *c) {
		while (*c == ' ' || *c == ';')
			c++;
		if (strncmp(c, name, len) == 0 && c[len] == '=') {
			const char *v = c + len + 1, *e = strchr(v, ';');
			size_t vl = e ? (size_t)(e - v) : strlen(v);

			if (vl >= n)
				return -1;
			memcpy(out, v, vl);
			out[vl] = '\0';
			return 0;
		}
		c = strchr(c, ';');
	}
	return -1;
}

/* Who is asking: 0 anonymous or known; DIB_EUNAUTH for bad credentials. */
static int
authenticate(struct req *r, struct node *n, struct dib_diag *d)
{
	const char *h = http_header(r, "Authorization");
	char tok[AUTH_TOKEN_LEN + 8];
	int64_t now = util_now_ms();

	if (h != NULL) {
		struct auth_user u;

		if (strncasecmp(h, "Bearer ", 7) != 0)
			return dib_fail(d, DIB_EUNAUTH, "Authorization",
			    "use \"Authorization: Bearer TOKEN\"");
		if (auth_token_check(n->store, h + 7, now, &u, d) != 0)
			return DIB_EUNAUTH;
		r->who.authed = 2;
		r->who.role = u.role;
		snprintf(r->who.login, sizeof r->who.login, "%s", u.login);
		return DIB_OK;
	}
	if (cookie(r, COOKIE, tok, sizeof tok) == 0) {
		struct auth_session s;

		if (auth_session_check(n->store, tok, now, &s, d) != 0)
			return DIB_EUNAUTH;
		r->who.authed = 1;
		r->who.role = s.user.role;
		snprintf(r->who.login, sizeof r->who.login, "%s",
		    s.user.login);
		snprintf(r->who.csrf, sizeof r->who.csrf, "%s", s.csrf);
	}
	return DIB_OK;
}

/* ---- parameters ---- */

int
http_content_is(struct req *r, const char *type)
{
	const char *t = http_header(r, "Content-Type");
	size_t n = strlen(type);

	return t != NULL && strncasecmp(t, type, n) == 0 && (t[n] == '\0' ||
	    t[n] == ';' || t[n] == ' ');
}

static int
is_json(struct req *r)
{
	return http_content_is(r, "application/json");
}

json_t *
http_body_json(struct req *r, enum MHD_Result *ret)
{
	struct dib_diag d;
	json_t *j = NULL;

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
	return j;
}

json_t *
http_body_object(struct req *r, int optional, int *failed,
    enum MHD_Result *ret)
{
	json_t *j;

	*failed = 0;
	if (optional && r->body.len == 0)
		return NULL;
	*failed = 1;
	if ((j = http_body_json(r, ret)) == NULL)
		return NULL;
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
parse_bbox(const char *s, struct store_query *q, struct dib_diag *d)
{
	char extra;

	if (sscanf(s, "%lf,%lf,%lf,%lf%c", &q->w, &q->s, &q->e, &q->n,
	    &extra) != 4 || !(q->w >= -180 && q->e <= 180 && q->s >= -90 &&
	    q->n <= 90 && q->w <= q->e && q->s <= q->n))
		return dib_fail(d, DIB_EBADREQ, "bbox", "must be W,S,E,N in "
		    "decimal degrees with W <= E and S <= N, got \"%.60s\"", s);
	q->has_bbox = 1;
	return DIB_OK;
}

/* OGC datetime: an instant, "A/B", "../B" or "A/..". */
static int
parse_datetime(const char *s, struct store_query *q, struct dib_diag *d)
{
	const char *slash = strchr(s, '/');
	char a[64], b[64];

	if (slash == NULL) {
		if (util_time_parse(s, &q->from, "datetime", d) != 0)
			return d->code = DIB_EBADREQ;
		q->to = q->from;
		q->has_from = q->has_to = 1;
		return DIB_OK;
	}
	if ((size_t)(slash - s) >= sizeof a || strlen(slash + 1) >= sizeof b)
		return dib_fail(d, DIB_EBADREQ, "datetime", "is too long");
	snprintf(a, sizeof a, "%.*s", (int)(slash - s), s);
	snprintf(b, sizeof b, "%s", slash + 1);
	if (strcmp(a, "..") != 0 && a[0] != '\0') {
		if (util_time_parse(a, &q->from, "datetime", d) != 0)
			return d->code = DIB_EBADREQ;
		q->has_from = 1;
	}
	if (strcmp(b, "..") != 0 && b[0] != '\0') {
		if (util_time_parse(b, &q->to, "datetime", d) != 0)
			return d->code = DIB_EBADREQ;
		q->has_to = 1;
	}
	if (!q->has_from && !q->has_to)
		return dib_fail(d, DIB_EBADREQ, "datetime", "\"../..\" names "
		    "no time");
	if (q->has_from && q->has_to && q->from > q->to)
		return dib_fail(d, DIB_EBADREQ, "datetime", "the start is after "
		    "the end");
	return DIB_OK;
}

static int
parse_cursor(const char *s, struct store_query *q, struct dib_diag *d)
{
	char idhex[33];
	long long t;
	int used = 0;

	if (strlen(s) > 60 || sscanf(s, "%lld_%32[0-9a-f]%n", &t, idhex,
	    &used) != 2 || s[used] != '\0' || strlen(idhex) != 32 ||
	    util_unhex(idhex, q->cursor_id, 16) != 0)
		return dib_fail(d, DIB_EBADREQ, "cursor", "is not a cursor of "
		    "this API (take it from a \"next\" link)");
	q->cursor_t = t;
	q->has_cursor = 1;
	return DIB_OK;
}

static const char *const list_args[] = {"bbox", "datetime", "category",
    "q", "limit", "cursor", NULL};

static enum MHD_Result
count_unknown(void *cls, enum MHD_ValueKind kind, const char *key,
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

static int
parse_query(struct req *r, struct store_query *q, size_t *limit,
    struct dib_diag *d)
{
	const char *v, *bad = NULL;
	int rc;

	memset(q, 0, sizeof *q);
	*limit = PAGE_DEFAULT;
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND,
	    count_unknown, &bad);
	if (bad != NULL)
		return dib_fail(d, DIB_EBADREQ, bad, "unknown parameter (use "
		    "bbox, datetime, category, q, limit, cursor)");
	if ((v = http_arg(r, "bbox")) != NULL &&
	    (rc = parse_bbox(v, q, d)) != 0)
		return rc;
	if ((v = http_arg(r, "datetime")) != NULL &&
	    (rc = parse_datetime(v, q, d)) != 0)
		return rc;
	if ((v = http_arg(r, "category")) != NULL) {
		if (strlen(v) > 127 || !util_utf8_valid(v, strlen(v)))
			return dib_fail(d, DIB_EBADREQ, "category", "is not a "
			    "category id");
		q->category = v;
	}
	if ((v = http_arg(r, "q")) != NULL && (strlen(v) > 200 ||
	    !util_utf8_valid(v, strlen(v))))
		return dib_fail(d, DIB_EBADREQ, "q", "must be valid UTF-8 of "
		    "at most 200 bytes");
	if ((v = http_arg(r, "limit")) != NULL) {
		char *end;
		long n = strtol(v, &end, 10);

		if (*v == '\0' || *end != '\0' || n < 1 || n > PAGE_MAX)
			return dib_fail(d, DIB_EBADREQ, "limit", "must be a "
			    "whole number from 1 to %d", PAGE_MAX);
		*limit = (size_t)n;
	}
	if ((v = http_arg(r, "cursor")) != NULL &&
	    (rc = parse_cursor(v, q, d)) != 0)
		return rc;
	/* Words: the index holds every write acknowledged before now. */
	if ((q->text = http_arg(r, "q")) != NULL && *q->text != '\0')
		writer_text_wait(&r->srv->writer, 5000);
	return DIB_OK;
}

/* ---- features ---- */

static json_t *
feature_of(json_t *rec)
{
	json_t *f = json_object(), *g;

	json_object_set_new(f, "type", json_string("Feature"));
	json_object_set(f, "id", json_object_get(rec, "id"));
	g = json_object_get(rec, "geometry");
	json_object_set(f, "geometry", g ? g : json_null());
	json_object_del(rec, "geometry");
	json_object_set_new(f, "properties", rec);
	return f;
}

/* ---- handlers ---- */

static enum MHD_Result
h_health(struct req *r, const char *id)
{
	(void)id;
	return http_reply_json(r, 200, json_pack("{s:s}", "status", "ok"), NULL);
}

static enum MHD_Result
h_node(struct req *r, const char *id)
{
	struct node *n = http_reader(r->srv);
	struct node_counts c;
	json_t *j, *t;

	(void)id;
	node_counts(n, &c);
	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:I,"
	    " s:I, s:I, s:I, s:I, s:I, s:I}}", "node", n->id, "nation",
	    n->nation, "name", n->name, "created_at", n->created, "model",
	    model_version(n->model), "counts", "origins",
	    (json_int_t)c.origins, "logs", (json_int_t)c.logs, "blocks",
	    (json_int_t)c.blocks, "records", (json_int_t)c.records, "current",
	    (json_int_t)c.current, "superseded", (json_int_t)c.superseded,
	    "retracted", (json_int_t)c.retracted);
	/* The offline base map the UI adds, when the node serves one. */
	if (j != NULL && (t = http_tiles_info(r->srv)) != NULL)
		json_object_set_new(j, "tiles", t);
	return http_reply_json(r, 200, j, NULL);
}

static enum MHD_Result
h_model(struct req *r, const char *id)
{
	struct node *n = http_reader(r->srv);
	const char *lang = http_arg(r, "lang");

	(void)id;
	if (lang != NULL && !model_has_language(n->model, lang))
		return http_reply_error(r, 400, "bad_request", "lang", "this model "
		    "has no labels in \"%.10s\"", lang);
	return http_reply_json(r, 200, model_to_json(n->model, lang), NULL);
}

static enum MHD_Result
h_openapi(struct req *r, const char *id)
{
	const struct dib_embedded *e = dib_embed_find("openapi.json");

	(void)id;
	if (e == NULL)
		return http_reply_error(r, 404, "not_found", "", "no API document");
	return http_reply_text(r, 200, "application/json; charset=utf-8",
	    (const char *)e->data, e->len);
}

static enum MHD_Result
h_metrics(struct req *r, const char *id)
{
	struct server *s = r->srv;
	struct node_counts c;
	struct buf b;
	enum MHD_Result ret;
	int i;

	(void)id;
	node_counts(http_reader(s), &c);
	buf_init(&b, 1 << 16);
	buf_printf(&b, "# HELP diboli_records Records held, by state.\n"
	    "# TYPE diboli_records gauge\n"
	    "diboli_records{state=\"current\"} %lld\n"
	    "diboli_records{state=\"superseded\"} %lld\n"
	    "diboli_records{state=\"retracted\"} %lld\n"
	    "# HELP diboli_blocks Signed blocks held.\n"
	    "# TYPE diboli_blocks gauge\ndiboli_blocks %lld\n"
	    "# HELP diboli_http_requests_total Requests answered, by status "
	    "class.\n# TYPE diboli_http_requests_total counter\n",
	    (long long)c.current, (long long)c.superseded,
	    (long long)c.retracted, (long long)c.blocks);
	for (i = 1; i <= 5; i++)
		buf_printf(&b, "diboli_http_requests_total{code=\"%dxx\"} %llu\n",
		    i, (unsigned long long)atomic_load(&s->status[i]));
	buf_printf(&b, "# HELP diboli_http_request_seconds_sum Time spent "
	    "answering.\n# TYPE diboli_http_request_seconds_sum counter\n"
	    "diboli_http_request_seconds_sum %.6f\n"
	    "# HELP diboli_ingest_records_total Records appended over HTTP.\n"
	    "# TYPE diboli_ingest_records_total counter\n"
	    "diboli_ingest_records_total %llu\n"
	    "# HELP diboli_writer_commits_total Transactions committed by the "
	    "writer.\n# TYPE diboli_writer_commits_total counter\n"
	    "diboli_writer_commits_total %llu\n"
	    "# HELP diboli_start_time_seconds Start time of the server.\n"
	    "# TYPE diboli_start_time_seconds gauge\n"
	    "diboli_start_time_seconds %.3f\n",
	    atomic_load(&s->usec_total) / 1e6,
	    (unsigned long long)atomic_load(&s->records_in),
	    (unsigned long long)s->writer.commits, s->started_ms / 1000.0);
	ret = http_reply_text(r, 200, "text/plain; version=0.0.4; charset=utf-8",
	    b.p ? b.p : "", b.len);
	buf_free(&b);
	return ret;
}

/* -- session -- */

static enum MHD_Result
h_login(struct req *r, const char *id)
{
	struct node *n = http_reader(r->srv);
	struct auth_session s;
	struct dib_diag d;
	enum MHD_Result ret = MHD_NO;
	struct MHD_Response *resp;
	const char *login, *pw, *key;
	char cookie_text[200], ts[40];
	json_t *j, *v, *out;

	(void)id;
	if ((j = http_body_json(r, &ret)) == NULL)
		return ret;
	json_object_foreach(j, key, v)
		if (strcmp(key, "login") && strcmp(key, "password")) {
			ret = http_reply_error(r, 422, "invalid", key, "unknown field "
			    "(expected login and password)");
			goto out;
		}
	login = json_string_value(json_object_get(j, "login"));
	pw = json_string_value(json_object_get(j, "password"));
	if (login == NULL || pw == NULL) {
		ret = http_reply_error(r, 422, "invalid", login ? "password" :
		    "login", "is required, as a string");
		goto out;
	}
	if (auth_login(n->store, r->srv->throttle, login, pw, r->addr,
	    util_now_ms(), &s, &d) != 0) {
		snprintf(r->who.login, sizeof r->who.login, "%.60s", login);
		r->who.authed = 0;
		{
			char who[AUDIT_FIELD_MAX + 1];
			struct audit_job a = {who, r->addr, "session.login",
			    who, d.code == DIB_ETHROTTLED ? "denied" : "failed",
			    d.code == DIB_ETHROTTLED ? "throttled" : ""};

			audit_clip(who, sizeof who, login[0] ? login : "-");
			writer_run(&r->srv->writer, job_audit, &a, NULL);
		}
		ret = http_reply_diag(r, &d);
		goto out;
	}
	r->who.authed = 1;
	r->who.role = s.user.role;
	snprintf(r->who.login, sizeof r->who.login, "%s", s.user.login);
	http_audit(r, "session.login", s.user.login, "ok", "");
	out = json_pack("{s:s, s:{s:s, s:s, s:s}, s:s}", "csrf", s.csrf,
	    "user", "login", s.user.login, "name", s.user.name, "role",
	    auth_role_name(s.user.role), "expires_at",
	    util_time_format(s.expires_at, ts, sizeof ts));
	if ((resp = http_resp_json(r, out, NULL)) == NULL) {
		sodium_memzero(s.token, sizeof s.token);
		ret = MHD_NO;
		goto out;
	}
	snprintf(cookie_text, sizeof cookie_text, "%s=%s; Path=/; HttpOnly; "
	    "SameSite=Strict; Max-Age=%lld%s", COOKIE, s.token,
	    (long long)(AUTH_SESSION_ABSOLUTE_MS / 1000), r->srv->tls ?
	    "; Secure" : "");
	MHD_add_response_header(resp, "Set-Cookie", cookie_text);
	sodium_memzero(s.token, sizeof s.token);
	sodium_memzero(cookie_text, sizeof cookie_text);
	ret = http_queue(r, 200, resp);
out:
	json_decref(j);
	return ret;
}

static enum MHD_Result
h_logout(struct req *r, const char *id)
{
	struct node *n = http_reader(r->srv);
	struct MHD_Response *resp;
	struct dib_diag d;
	char tok[AUTH_TOKEN_LEN + 8], c[160];

	(void)id;
	if (cookie(r, COOKIE, tok, sizeof tok) == 0)
		auth_logout(n->store, tok, &d);
	http_audit(r, "session.logout", r->who.login, "ok", "");
	resp = MHD_create_response_from_buffer(0, (void *)"",
	    MHD_RESPMEM_PERSISTENT);
	snprintf(c, sizeof c, "%s=; Path=/; HttpOnly; SameSite=Strict; "
	    "Max-Age=0%s", COOKIE, r->srv->tls ? "; Secure" : "");
	MHD_add_response_header(resp, "Set-Cookie", c);
	return http_queue(r, 204, resp);
}

static enum MHD_Result
h_whoami(struct req *r, const char *id)
{
	(void)id;
	return http_reply_json(r, 200, json_pack("{s:s, s:s, s:s}", "login",
	    r->who.login, "role", auth_role_name(r->who.role), "csrf",
	    r->who.authed == 1 ? r->who.csrf : ""), NULL);
}

/* -- records: writes -- */

struct append_job {
	struct record *recs;
	size_t n;
	struct log_prep prep;   /* blocks and their records hashes */
	const char *actor, *addr;
	char detail[200];
};

static int
job_append(struct node *n, void *arg, struct dib_diag *d)
{
	struct append_job *a = arg;
	char first[37];
	int rc;

	if ((rc = node_append_prepared(n, a->recs, a->n, &a->prep, d)) != 0)
		return rc;
	util_uuid_format(a->recs[0].id, first);
	snprintf(a->detail, sizeof a->detail, "%zu record(s), first %s", a->n,
	    first);
	return audit_append(n->store, util_now_ms(), a->actor, a->addr,
	    "records.create", first, "ok", a->detail, d);
}

/*
** Writes do not hold a request thread while the writer commits: the
** connection is suspended, the job queued, and the writer resumes the
** connection when its transaction is done; libmicrohttpd then calls the
** handler again, which answers from r->resume.
*/
static void
resume_req(void *arg)
{
	struct req *r = arg;

	MHD_resume_connection(r->conn);
}

enum MHD_Result
http_go_async(struct req *r, struct writer_job *job,
    enum MHD_Result (*finish)(struct req *), void *state,
    void (*state_free)(void *))
{
	r->async = state;
	r->async_free = state_free;
	/* Count first, then look: the stopping server sets its flag, then
	 * waits for the count, so one of the two sees the other. */
	atomic_fetch_add(&r->srv->suspended, 1);
	if (atomic_load(&r->srv->stopping)) {
		/* The server is stopping: no connection may stay suspended,
		 * so wait for the writer here. */
		atomic_fetch_sub(&r->srv->suspended, 1);
		job->rc = writer_run(&r->srv->writer, job->fn, job->arg,
		    &job->d);
		return finish(r);
	}
	r->resume = finish;
	job->done = resume_req;
	job->done_arg = r;
	MHD_suspend_connection(r->conn);
	if (writer_submit(&r->srv->writer, job) != 0) {
		job->rc = DIB_EIO;
		MHD_resume_connection(r->conn);
	}
	return MHD_YES;
}

struct create_state {
	struct append_job a;
	struct writer_job job;
	struct arena bodies;    /* the records' bodies, from a bulk body */
	size_t count;
	int single;
};

static void
create_free(void *p)
{
	struct create_state *c = p;
	size_t i;

	for (i = 0; i < c->count; i++)
		record_clear(&c->a.recs[i]);
	free(c->a.recs);
	arena_free(&c->bodies);
	log_prep_free(&c->a.prep);
	free(c);
}

static enum MHD_Result
create_finish(struct req *r)
{
	struct create_state *c = r->async;
	struct MHD_Response *resp;
	json_t *ids, *o;
	char loc[80];
	size_t i;

	if (c->job.rc != 0)
		return http_reply_diag(r, &c->job.d);
	atomic_fetch_add(&r->srv->records_in, c->count);
	http_sync_kick(r->srv);
	if (!c->single) {
		/* {"ids":[...]} written straight: a thousand ids would be a
		 * thousand jansson strings to make, dump and free. */
		size_t len = 9 + c->count * 39 + 2;
		char *text = malloc(len), *p = text;

		if (text == NULL)
			return MHD_NO;
		memcpy(p, "{\"ids\":[", 8);
		p += 8;
		for (i = 0; i < c->count; i++) {
			if (i)
				*p++ = ',';
			*p++ = '"';
			util_uuid_format(c->a.recs[i].id, p);
			p += 36;
			*p++ = '"';
		}
		memcpy(p, "]}", 2);
		p += 2;
		r->sent = (size_t)(p - text);
		if ((resp = MHD_create_response_from_buffer(r->sent, text,
		    MHD_RESPMEM_MUST_FREE)) == NULL) {
			free(text);
			return MHD_NO;
		}
		MHD_add_response_header(resp, "Content-Type",
		    "application/json; charset=utf-8");
		return http_queue(r, 201, resp);
	}
	ids = json_array();
	for (i = 0; i < c->count; i++) {
		char txt[37];

		json_array_append_new(ids, json_string(util_uuid_format(
		    c->a.recs[i].id, txt)));
	}
	snprintf(loc, sizeof loc, API "/records/%s",
	    json_string_value(json_array_get(ids, 0)));
	o = json_pack("{s:O, s:o}", "id", json_array_get(ids, 0), "ids", ids);
	if ((resp = http_resp_json(r, o, NULL)) == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Location", loc);
	return http_queue(r, 201, resp);
}

/*
** Is count records too few or too many for one request? Then the answer
** (422, 413) is queued into *ret. Both paths of h_create ask it.
*/
static int
batch_bad(struct req *r, size_t count, enum MHD_Result *ret)
{
	if (count == 0)
		*ret = http_reply_error(r, 422, "invalid", "records", "is empty");
	else if (count > NODE_MAX_BATCH)
		*ret = http_reply_error(r, 413, "too_big", "records", "at most %d "
		    "records in one request, got %zu", NODE_MAX_BATCH, count);
	else
		return 0;
	return -1;
}

/* The error of element i of a bulk body. */
static enum MHD_Result
reply_element(struct req *r, struct dib_diag *d, size_t i)
{
	char p[32];

	snprintf(p, sizeof p, "records[%zu]", i);
	dib_diag_prefix(d, p);
	return http_reply_diag(r, d);
}

/* The records of a bulk body, prepared one by one as they are parsed. */
struct bulk {
	struct node *n;
	struct record *recs;
	size_t count;           /* elements seen */
	size_t done;            /* prepared, at recs */
	size_t cap;             /* room at recs */
	struct arena bodies;    /* their bodies (record_body_arena) */
	int failed;             /* 1: element done failed (d), 2: no memory */
	struct dib_diag d;
};

static void
bulk_one(void *arg, size_t i, json_t *v)
{
	struct bulk *b = arg;

	b->count = i + 1;
	if (b->failed || i >= NODE_MAX_BATCH)
		return;
	if (b->done == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		struct record *nr;

		if (cap > NODE_MAX_BATCH)
			cap = NODE_MAX_BATCH;
		if ((nr = realloc(b->recs, cap * sizeof *nr)) == NULL) {
			b->failed = 2;
			return;
		}
		b->recs = nr;
		b->cap = cap;
	}
	if (node_prepare(b->n, v, &b->recs[b->done], &b->d) != 0) {
		record_clear(&b->recs[b->done]);
		b->failed = 1;
		return;
	}
	b->done++;
}

static void
bulk_clear(struct bulk *b)
{
	size_t i;

	for (i = 0; i < b->done; i++)
		record_clear(&b->recs[i]);
	free(b->recs);
	arena_free(&b->bodies);
	b->recs = NULL;
	b->done = 0;
}

static enum MHD_Result
create_submit(struct req *r, struct create_state *c)
{
	struct dib_diag d;

	/* Hash here too, on this request's thread: the writer only signs. */
	if (log_prepare(c->a.recs, c->a.n, &c->a.prep, &d) != 0) {
		create_free(c);
		return http_reply_diag(r, &d);
	}
	c->a.actor = r->who.login;
	c->a.addr = r->addr;
	c->job.fn = job_append;
	c->job.arg = &c->a;
	return http_go_async(r, &c->job, create_finish, c, create_free);
}

/*
** {"records": [...]}, parsed and checked one record at a time: the same
** answers as the general path below in the same order of precedence (bad
** JSON, then the count, then the first bad record), which it falls back
** to for anything else.
*/
static enum MHD_Result
create_bulk(struct req *r, struct bulk *b)
{
	struct create_state *c;
	enum MHD_Result ret;

	if (batch_bad(r, b->count, &ret) != 0) {
		/* Answered. */
	} else if (b->failed == 1) {
		ret = reply_element(r, &b->d, b->done);
	} else if (b->failed == 2 || (c = calloc(1, sizeof *c)) == NULL) {
		ret = http_reply_error(r, 503, "no_memory", "", "out of memory");
	} else {
		c->a.recs = b->recs;
		c->a.n = c->count = b->done;
		c->bodies = b->bodies;
		arena_init(&b->bodies);
		b->recs = NULL;
		b->done = 0;
		return create_submit(r, c);
	}
	bulk_clear(b);
	return ret;
}

static enum MHD_Result
h_create(struct req *r, const char *id)
{
	struct node *n = http_reader(r->srv);
	struct create_state *c;
	struct dib_diag d;
	enum MHD_Result ret = MHD_NO;
	json_t *j, *list;
	size_t i, count;
	int single;

	(void)id;
	if (is_json(r) && r->body.p != NULL) {
		struct bulk b;
		int each;

		memset(&b, 0, sizeof b);
		b.n = n;
		arena_init(&b.bodies);
		record_body_arena(&b.bodies);
		each = util_json_each(r->body.p, r->body.len, "records",
		    bulk_one, &b);
		record_body_arena(NULL);
		if (each == 0)
			return create_bulk(r, &b);
		bulk_clear(&b);
	}
	if ((j = http_body_json(r, &ret)) == NULL)
		return ret;
	list = json_object_get(j, "records");
	single = !json_is_array(list);
	if (!single && json_object_size(j) != 1) {
		ret = http_reply_error(r, 422, "invalid", "", "a bulk body is "
		    "{\"records\": [...]} and nothing else");
		goto out;
	}
	if (single && !json_is_object(j)) {
		ret = http_reply_error(r, 422, "invalid", "", "send one record "
		    "object or {\"records\": [...]}");
		goto out;
	}
	count = single ? 1 : json_array_size(list);
	if (batch_bad(r, count, &ret) != 0)
		goto out;
	if ((c = calloc(1, sizeof *c)) == NULL ||
	    (c->a.recs = calloc(count, sizeof *c->a.recs)) == NULL) {
		free(c);
		ret = http_reply_error(r, 503, "no_memory", "", "out of memory");
		goto out;
	}
	c->count = count;
	c->single = single;
	/* Check and encode here, on this request's thread; the writer only
	 * signs, stores and commits. */
	for (i = 0; i < count; i++) {
		if (node_prepare(n, single ? j : json_array_get(list, i),
		    &c->a.recs[i], &d) != 0) {
			create_free(c);
			ret = single ? http_reply_diag(r, &d) :
			    reply_element(r, &d, i);
			goto out;
		}
		c->a.n++;
	}
	ret = create_submit(r, c);
out:
	json_decref(j);
	return ret;
}

static int
parse_id(struct req *r, const char *id, uint8_t out[16],
    enum MHD_Result *ret)
{
	if (util_uuid_parse(id, out) != 0) {
		*ret = http_reply_error(r, 400, "bad_request", "id", "\"%.40s\" is "
		    "not a record id", id);
		return -1;
	}
	return 0;
}

static enum MHD_Result
h_get(struct req *r, const char *id)
{
	struct node *n = http_reader(r->srv);
	struct dib_diag d;
	enum MHD_Result ret;
	uint8_t uid[16];
	json_t *j;

	if (parse_id(r, id, uid, &ret) != 0)
		return ret;
	if (node_get(n, uid, &j, &d) != 0)
		return http_reply_diag(r, &d);
	http_history_add(n, j);
	return http_reply_json(r, 200, feature_of(j), GEOJSON);
}

struct change_job {
	uint8_t old[16];
	const json_t *in;       /* supersede */
	const char *reason;     /* retract */
	uint8_t id[16];
	const char *actor, *addr;
};

static int
job_supersede(struct node *n, void *arg, struct dib_diag *d)
{
	struct change_job *c = arg;
	char old[37], nw[37];
	int rc;

	if ((rc = node_supersede(n, c->old, c->in, c->id, d)) != 0)
		return rc;
	return audit_append(n->store, util_now_ms(), c->actor, c->addr,
	    "records.supersede", util_uuid_format(c->old, old), "ok",
	    util_uuid_format(c->id, nw), d);
}

static int
job_retract(struct node *n, void *arg, struct dib_diag *d)
{
	struct change_job *c = arg;
	char old[37];
	int rc;

	if ((rc = node_retract(n, c->old, c->reason, c->id, d)) != 0)
		return rc;
	return audit_append(n->store, util_now_ms(), c->actor, c->addr,
	    "records.retract", util_uuid_format(c->old, old), "ok", c->reason,
	    d);
}

struct change_state {
	struct change_job c;
	struct writer_job job;
	json_t *body;
};

static void
change_free(void *p)
{
	struct change_state *cs = p;

	json_decref(cs->body);
	free(cs);
}

static enum MHD_Result
change_finish(struct req *r)
{
	struct change_state *cs = r->async;
	struct MHD_Response *resp;
	char loc[80], txt[37];

	if (cs->job.rc != 0)
		return http_reply_diag(r, &cs->job.d);
	util_uuid_format(cs->c.id, txt);
	snprintf(loc, sizeof loc, API "/records/%s", txt);
	if ((resp = http_resp_json(r, json_pack("{s:s}", "id", txt), NULL)) ==
	    NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Location", loc);
	return http_queue(r, 201, resp);
}

static enum MHD_Result
h_change(struct req *r, const char *id, int retract)
{
	struct change_state *cs;
	enum MHD_Result ret = MHD_NO;
	uint8_t old[16];
	json_t *j;

	if (parse_id(r, id, old, &ret) != 0)
		return ret;
	if ((j = http_body_json(r, &ret)) == NULL)
		return ret;
	if ((cs = calloc(1, sizeof *cs)) == NULL) {
		json_decref(j);
		return http_reply_error(r, 503, "no_memory", "", "out of memory");
	}
	cs->body = j;
	memcpy(cs->c.old, old, 16);
	cs->c.actor = r->who.login;
	cs->c.addr = r->addr;
	if (retract) {
		const char *key;
		json_t *v;

		json_object_foreach(j, key, v)
			if (strcmp(key, "reason") != 0) {
				ret = http_reply_error(r, 422, "invalid", key,
				    "unknown field (expected reason)");
				change_free(cs);
				return ret;
			}
		if ((cs->c.reason = json_string_value(json_object_get(j,
		    "reason"))) == NULL) {
			change_free(cs);
			return http_reply_error(r, 422, "invalid", "reason", "is "
			    "required: say why the record is withdrawn");
		}
	} else {
		cs->c.in = j;
	}
	cs->job.fn = retract ? job_retract : job_supersede;
	cs->job.arg = &cs->c;
	return http_go_async(r, &cs->job, change_finish, cs, change_free);
}

static enum MHD_Result
h_supersede(struct req *r, const char *id)
{
	return h_change(r, id, 0);
}

static enum MHD_Result
h_retract(struct req *r, const char *id)
{
	return h_change(r, id, 1);
}

/* -- records: reads -- */

/* Percent-encode s for a query string. */
static void
url_escape(struct buf *b, const char *s)
{
	static const char hx[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~,:", c) != NULL) {
			buf_addc(b, (char)c);
		} else {
			buf_addc(b, '%');
			buf_addc(b, hx[c >> 4]);
			buf_addc(b, hx[c & 15]);
		}
	}
}

/* The request's query with the cursor moved on, for a "next" link. */
static void
next_link(struct req *r, const struct store_hit *last, size_t limit,
    struct buf *b)
{
	static const char *const keep[] = {"bbox", "datetime", "category",
	    "q", NULL};
	char hex[33];
	int i;

	buf_adds(b, API "/records?");
	for (i = 0; keep[i]; i++) {
		const char *v = http_arg(r, keep[i]);

		if (v == NULL)
			continue;
		buf_printf(b, "%s=", keep[i]);
		url_escape(b, v);
		buf_addc(b, '&');
	}
	util_hex(last->id, 16, hex);
	buf_printf(b, "limit=%zu&cursor=%lld_%s", limit, (long long)last->t,
	    hex);
}

static enum MHD_Result
h_list(struct req *r, const char *id)
{
	struct node *n = http_reader(r->srv);
	struct node_logcache lc;
	struct store_query q;
	struct store_hit *hits = NULL;
	struct MHD_Response *resp;
	struct dib_diag d;
	struct buf b;
	size_t limit, count, i, shown = 0, len;
	char ts[40], *text;
	int rc;

	(void)id;
	if (parse_query(r, &q, &limit, &d) != 0)
		return http_reply_diag(r, &d);
	q.limit = limit + 1;    /* one more says whether there is a next */
	memset(&lc, 0, sizeof lc);
	buf_init(&b, (size_t)1 << 30);
	/* One read transaction for the whole answer: one snapshot, and one
	 * WAL lock instead of one per statement. */
	store_exec(n->store, "BEGIN", NULL);
	rc = store_query(n->store, &q, &hits, &count, &d);
	if (rc != 0) {
		store_exec(n->store, "COMMIT", NULL);
		return http_reply_diag(r, &d);
	}
	/* The features are the stored bytes, spliced, not re-encoded. */
	buf_adds(&b, "{\"type\":\"FeatureCollection\",\"features\":[");
	for (i = 0; i < count && i < limit; i++) {
		size_t mark = b.len;

		if (shown)
			buf_addc(&b, ',');
		if (node_feature(n, hits[i].log, hits[i].seq, "current", &lc,
		    &b) != 0) {
			b.len = mark;   /* vanished under us: skip it */
			continue;
		}
		shown++;
	}
	store_exec(n->store, "COMMIT", NULL);
	node_logcache_clear(&lc);
	buf_printf(&b, "],\"numberReturned\":%zu,\"timeStamp\":\"%s\","
	    "\"links\":[", shown, util_time_format(util_now_ms(), ts,
	    sizeof ts));
	if (count > limit) {
		buf_adds(&b, "{\"rel\":\"next\",\"type\":\"" GEOJSON
		    "\",\"href\":\"");
		next_link(r, &hits[limit - 1], limit, &b);
		buf_adds(&b, "\"}");
	}
	buf_adds(&b, "]}");
	free(hits);
	if (b.oom) {
		buf_free(&b);
		return http_reply_error(r, 503, "no_memory", "", "out of memory");
	}
	len = b.len;
	text = buf_detach(&b, NULL);
	/* Compressed when the client takes it: a map page is bytes first. */
	if ((resp = http_resp_bytes(r, GEOJSON, text, len, 1)) == NULL)
		return MHD_NO;
	return http_queue(r, 200, resp);
}

/* -- CSV export, streamed: one row at a time from its own connection -- */

struct csv_stream {
	struct store *store;
	struct node node;               /* the reader, on that connection */
	struct store_query q;
	size_t limit, rows;             /* at most limit rows (0: all) */
	char *category, *text;          /* owned copies of the parameters */
	struct store_iter *it;
	struct buf row;
	size_t pos;                     /* sent of row */
	int header_sent, done;
};

static ssize_t
csv_more(void *cls, uint64_t offset, char *out, size_t max)
{
	struct csv_stream *c = cls;
	size_t n;

	(void)offset;
	while (c->pos >= c->row.len) {
		struct store_hit h;
		json_t *j;
		int rc;

		buf_reset(&c->row);
		c->pos = 0;
		if (!c->header_sent) {
			buf_adds(&c->row, node_csv_header);
			c->header_sent = 1;
			break;
		}
		if (c->done || (c->limit && c->rows >= c->limit))
			return MHD_CONTENT_READER_END_OF_STREAM;
		if ((rc = store_iter_next(c->it, &h)) <= 0) {
			c->done = 1;
			if (rc < 0)
				return MHD_CONTENT_READER_END_WITH_ERROR;
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
		if ((j = node_record_json(&c->node, h.log, h.seq, "current")) ==
		    NULL)
			continue;
		node_csv_row(j, &c->row);
		json_decref(j);
		c->rows++;
	}
	n = c->row.len - c->pos < max ? c->row.len - c->pos : max;
	memcpy(out, c->row.p + c->pos, n);
	c->pos += n;
	return (ssize_t)n;
}

static void
csv_free(void *cls)
{
	struct csv_stream *c = cls;

	store_iter_close(c->it);
	store_close(c->store);
	buf_free(&c->row);
	free(c->category);
	free(c->text);
	free(c);
}

static enum MHD_Result
h_csv(struct req *r, const char *id)
{
	struct node *n = http_reader(r->srv);
	struct csv_stream *c;
	struct MHD_Response *resp;
	struct dib_diag d;
	size_t limit;

	(void)id;
	if ((c = calloc(1, sizeof *c)) == NULL)
		return http_reply_error(r, 503, "no_memory", "", "out of memory");
	buf_init(&c->row, 64 * 1024 * 1024);
	if (parse_query(r, &c->q, &limit, &d) != 0) {
		csv_free(c);
		return http_reply_diag(r, &d);
	}
	if (c->q.has_cursor) {
		csv_free(c);
		return http_reply_error(r, 400, "bad_request", "cursor", "an export "
		    "streams every match: it takes no cursor");
	}
	/* An export holds every match unless limit is given. */
	c->limit = http_arg(r, "limit") ? limit : 0;
	if ((c->q.category != NULL && (c->category = strdup(c->q.category)) ==
	    NULL) || (c->q.text != NULL && (c->text = strdup(c->q.text)) ==
	    NULL)) {
		csv_free(c);
		return http_reply_error(r, 503, "no_memory", "", "out of memory");
	}
	c->q.category = c->category;
	c->q.text = c->text;
	if (store_open(r->srv->dbpath, 0, &c->store, &d) != 0 ||
	    store_iter_open(c->store, &c->q, &c->it, &d) != 0) {
		csv_free(c);
		return http_reply_diag(r, &d);
	}
	c->node = *n;
	c->node.store = c->store;
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024,
	    csv_more, c, csv_free);
	if (resp == NULL) {
		csv_free(c);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type",
	    "text/csv; charset=utf-8");
	MHD_add_response_header(resp, "Content-Disposition",
	    "attachment; filename=\"diboli-records.csv\"");
	{
		static const char *const keys[] = {"bbox", "datetime",
		    "category", "q", "limit", NULL};
		struct buf detail;
		int i;

		buf_init(&detail, 1900);
		for (i = 0; keys[i]; i++)
			if (http_arg(r, keys[i]) != NULL)
				buf_printf(&detail, "%s%s=%.300s", detail.len ?
				    " " : "", keys[i], http_arg(r, keys[i]));
		http_audit(r, "records.export", "csv", "ok", detail.p ?
		    detail.p : "everything");
		buf_free(&detail);
	}
	return http_queue(r, 200, resp);
}

/* -- audit -- */

static enum MHD_Result
h_audit(struct req *r, const char *id)
{
	struct node *n = http_reader(r->srv);
	struct audit_query q;
	struct dib_diag d;
	const char *v;
	json_t *rows;

	(void)id;
	memset(&q, 0, sizeof q);
	q.limit = PAGE_DEFAULT;
	if ((v = http_arg(r, "limit")) != NULL) {
		char *end;
		long k = strtol(v, &end, 10);

		if (*v == '\0' || *end != '\0' || k < 1 || k > PAGE_MAX)
			return http_reply_error(r, 400, "bad_request", "limit", "must "
			    "be a whole number from 1 to %d", PAGE_MAX);
		q.limit = (size_t)k;
	}
	if ((v = http_arg(r, "after")) != NULL) {
		char *end;
		long long k = strtoll(v, &end, 10);

		if (*v == '\0' || *end != '\0' || k < 0)
			return http_reply_error(r, 400, "bad_request", "after", "must "
			    "be an audit sequence number");
		q.after_seq = k;
	}
	if ((v = http_arg(r, "datetime")) != NULL) {
		struct store_query t;

		memset(&t, 0, sizeof t);
		if (parse_datetime(v, &t, &d) != 0)
			return http_reply_diag(r, &d);
		q.has_from = t.has_from;
		q.from = t.from;
		q.has_to = t.has_to;
		q.to = t.to;
	}
	q.actor = http_arg(r, "actor");
	q.action = http_arg(r, "action");
	if (audit_list(n->store, &q, &rows, &d) != 0)
		return http_reply_diag(r, &d);
	return http_reply_json(r, 200, json_pack("{s:o}", "events", rows), NULL);
}

/* Query parameters must hold text: no NUL byte, valid UTF-8. */
static enum MHD_Result
nul_in_arg(void *cls, enum MHD_ValueKind kind, const char *key,
    size_t key_size, const char *value, size_t value_size)
{
	const char **bad = cls;

	(void)kind;
	if (*bad == NULL && (strlen(key) != key_size ||
	    !util_utf8_valid(key, key_size) || (value != NULL &&
	    (strlen(value) != value_size ||
	    !util_utf8_valid(value, value_size)))))
		*bad = util_utf8_valid(key, strlen(key)) ? key : "query";
	return MHD_YES;
}

/*
** 401, with a challenge, and clearing a session cookie that no longer
** works so that the browser stops sending it.
*/
static enum MHD_Result
reply_unauth(struct req *r, const struct dib_diag *d)
{
	struct MHD_Response *resp;
	const char *sent_cookie = http_header(r, "Cookie");
	char c[160];

	if ((resp = http_resp_error(r, "unauthenticated", d->field, "%s",
	    d->msg[0] ? d->msg : "the session or token is not valid")) ==
	    NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "WWW-Authenticate",
	    "Bearer realm=\"diboli\"");
	if (sent_cookie != NULL && strstr(sent_cookie, COOKIE "=") != NULL) {
		snprintf(c, sizeof c, "%s=; Path=/; HttpOnly; SameSite=Strict; "
		    "Max-Age=0%s", COOKIE, r->srv->tls ? "; Secure" : "");
		MHD_add_response_header(resp, "Set-Cookie", c);
	}
	return http_queue(r, 401, resp);
}

/* ---- routing ---- */

enum { NOAUTH = -1 };

struct route {
	const char *method;
	const char *path;       /* "*" matches one segment (a record id) */
	enum MHD_Result (*fn)(struct req *, const char *);
	int perm;               /* enum auth_perm, or NOAUTH */
};

static const struct route routes[] = {
	{"GET", API "/health", h_health, NOAUTH},
	{"GET", API "/openapi.json", h_openapi, NOAUTH},
	{"POST", API "/session", h_login, NOAUTH},
	{"DELETE", API "/session", h_logout, NOAUTH},
	{"GET", API "/session", h_whoami, AUTH_READ},
	{"GET", API "/node", h_node, AUTH_READ},
	{"GET", API "/model", h_model, AUTH_READ},
	{"GET", API "/metrics", h_metrics, AUTH_READ},
	{"GET", API "/records", h_list, AUTH_READ},
	{"POST", API "/records", h_create, AUTH_CREATE},
	{"GET", API "/records.csv", h_csv, AUTH_EXPORT},
	{"GET", API "/records/*", h_get, AUTH_READ},
	{"POST", API "/records/*/supersede", h_supersede, AUTH_CHANGE},
	{"POST", API "/records/*/retract", h_retract, AUTH_CHANGE},
	{"GET", API "/audit", h_audit, AUTH_AUDIT},
	{"GET", API "/sync/status", http_sync_status, AUTH_READ},
	{"GET", API "/events", http_events, AUTH_READ},
	{"GET", API "/reference", http_reference_list, AUTH_READ},
	{"GET", API "/reference/*", http_reference_layer, AUTH_READ},
	{"GET", API "/patrols", http_patrol_list, AUTH_READ},
	{"POST", API "/patrols", http_patrol_create, AUTH_CREATE},
	{"GET", API "/patrols/*", http_patrol_get, AUTH_READ},
	{"PATCH", API "/patrols/*", http_patrol_update, AUTH_CHANGE},
	{"POST", API "/patrols/*/propose", http_patrol_propose, AUTH_CREATE},
	{"POST", API "/patrols/*/approve", http_patrol_approve, AUTH_APPROVE},
	{"POST", API "/patrols/*/reject", http_patrol_reject, AUTH_APPROVE},
	{"POST", API "/patrols/*/start", http_patrol_start, AUTH_CREATE},
	{"POST", API "/patrols/*/complete", http_patrol_complete, AUTH_CREATE},
	{"POST", API "/patrols/*/abort", http_patrol_abort, AUTH_CREATE},
	{"POST", API "/patrols/*/units", http_patrol_unit, AUTH_CREATE},
	{"POST", API "/patrols/*/legs", http_patrol_leg, AUTH_CREATE},
	{"POST", API "/patrols/*/debrief", http_patrol_debrief, AUTH_CREATE},
	{"POST", API "/patrols/*/track", http_patrol_track, AUTH_CREATE},
	{"GET", API "/patrols/*/tracks", http_patrol_tracks, AUTH_READ},
	{"GET", API "/patrols/*/tracks.gpx", http_patrol_tracks_gpx,
	    AUTH_EXPORT},
	{"GET", API "/patrols/*/summary", http_patrol_summary, AUTH_READ},
	{"GET", API "/sections", http_section_list, AUTH_READ},
	{"GET", API "/sections/*", http_section_get, AUTH_READ},
	{"POST", API "/sections/*/status", http_section_status, AUTH_SECTION},
	{"GET", API "/notifications", http_section_notifications,
	    AUTH_SECTION},
	{"POST", API "/notifications/seen", http_notices_seen, AUTH_SECTION},
	{"GET", API "/users", http_user_list, AUTH_USERS},
	{"POST", API "/users", http_user_add, AUTH_USERS},
	{"PATCH", API "/users/*", http_user_update, AUTH_USERS},
	{"GET", API "/tokens", http_token_list, AUTH_TOKENS},
	{"POST", API "/tokens", http_token_create, AUTH_TOKENS},
	{"DELETE", API "/tokens/*", http_token_revoke, AUTH_TOKENS},
	{"GET", API "/peers", http_peer_list, AUTH_PEERS},
	{"POST", API "/peers", http_peer_add, AUTH_PEERS},
	{"DELETE", API "/peers/*", http_peer_remove, AUTH_PEERS},
	{"GET", API "/nations", http_nation_list, AUTH_PEERS},
	{"POST", API "/sync/run", http_sync_run, AUTH_PEERS},
	{"GET", API "/sync/summary", http_sync_summary, AUTH_PEERS},
	{"POST", API "/bundles/export", http_bundle_export, AUTH_PEERS},
	{"POST", API "/bundles/import", http_bundle_import, AUTH_PEERS},
	/* Nodes, not users: the calling node's key authenticates it. */
	{"POST", "/sync/v1/exchange", http_sync_exchange, NOAUTH},
};

/* Does url match pattern? The "*" segment goes to id. */
static int
match(const char *pattern, const char *url, char *id, size_t n)
{
	const char *star = strchr(pattern, '*');
	size_t pre, seg;

	if (star == NULL)
		return strcmp(pattern, url) == 0;
	pre = (size_t)(star - pattern);
	if (strncmp(pattern, url, pre) != 0)
		return 0;
	seg = strcspn(url + pre, "/");
	if (seg == 0 || seg >= n || strcmp(star + 1, url + pre + seg) != 0)
		return 0;
	memcpy(id, url + pre, seg);
	id[seg] = '\0';
	return 1;
}

enum MHD_Result
http_dispatch(struct req *r)
{
	const struct route *rt = NULL;
	enum MHD_Result ret;
	char id[512] = "", allow[64] = "";
	size_t i;
	int path_known = 0;

	for (i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		char tmp[512];

		if (!match(routes[i].path, r->url, tmp, sizeof tmp))
			continue;
		path_known = 1;
		if (strlen(allow) + 8 < sizeof allow)
			snprintf(allow + strlen(allow), sizeof allow -
			    strlen(allow), "%s%s", allow[0] ? ", " : "",
			    routes[i].method);
		if (strcmp(routes[i].method, r->method) == 0 ||
		    (strcmp(r->method, "HEAD") == 0 &&
		    strcmp(routes[i].method, "GET") == 0)) {
			rt = &routes[i];
			memcpy(id, tmp, sizeof id);
			break;
		}
	}
	if (rt == NULL && path_known)
		return http_reply_not_allowed(r, allow);
	if (rt == NULL)
		return http_reply_error(r, 404, "not_found", "", "no such resource: "
		    "%.100s", r->url);
	{
		const char *bad = NULL;

		MHD_get_connection_values_n(r->conn, MHD_GET_ARGUMENT_KIND,
		    nul_in_arg, &bad);
		if (bad != NULL)
			return http_reply_error(r, 400, "bad_request", bad, "a NUL "
			    "byte or invalid UTF-8 in a query parameter");
	}
	if (http_authorize(r, rt->perm, &ret) != 0)
		return ret;
	if (rt->perm == NOAUTH)
		return rt->fn(r, id);
	/* A write with a session cookie must carry its CSRF token. */
	if (r->who.authed == 1 && strcmp(r->method, "GET") != 0 &&
	    strcmp(r->method, "HEAD") != 0) {
		struct auth_session s;
		const char *t = http_header(r, "X-CSRF-Token");

		memset(&s, 0, sizeof s);
		snprintf(s.csrf, sizeof s.csrf, "%s", r->who.csrf);
		if (t == NULL || !auth_csrf_ok(&s, t)) {
			http_audit(r, "csrf", r->url, "denied", "");
			return http_reply_error(r, 403, "csrf", "X-CSRF-Token",
			    "missing or wrong CSRF token (take it from POST "
			    API "/session)");
		}
	}
	return rt->fn(r, id);
}

int
http_authorize(struct req *r, int perm, enum MHD_Result *ret)
{
	struct dib_diag d;

	dib_diag_clear(&d);
	if (http_reader(r->srv) == NULL) {
		*ret = http_reply_error(r, 503, "unavailable", "", "the database "
		    "cannot be opened now");
		return -1;
	}
	if (authenticate(r, http_reader(r->srv), &d) != 0) {
		/* Open routes (log in, log out, health) ignore stale
		 * credentials: an expired cookie must not lock anyone out. */
		if (perm == NOAUTH) {
			memset(&r->who, 0, sizeof r->who);
			return 0;
		}
		http_audit(r, "auth", r->url, "failed", d.msg);
		*ret = reply_unauth(r, &d);
		return -1;
	}
	if (perm == NOAUTH)
		return 0;
	if (!r->who.authed) {
		dib_fail(&d, DIB_EUNAUTH, "", "log in (POST " API "/session) or "
		    "send a bearer token");
		*ret = reply_unauth(r, &d);
		return -1;
	}
	if (!auth_allowed(r->who.role, perm)) {
		http_audit(r, "authz", r->url, "denied", auth_perm_name(perm));
		*ret = http_reply_error(r, 403, "forbidden", "", "the role %s may "
		    "not do this (%s)", auth_role_name(r->who.role),
		    auth_perm_name(perm));
		return -1;
	}
	return 0;
}
