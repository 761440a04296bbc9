/*
** The administrators' routes of the JSON API: users, bearer tokens,
** peers and pinned nation keys, running sync now, and bundle files
** (export, import, the summary). Each write runs in the single writer
** with its audit rows; the library does the work (src/auth, src/fed).
*/
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "audit/audit.h"
#include "auth/auth.h"
#include "fed/bundle.h"
#include "fed/bundle_io.h"
#include "fed/cert.h"
#include "fed/peer.h"
#include "http/http_int.h"
#include "node/node.h"
#include "util/json.h"
#include "util/util.h"

#define API "/api/v1"
#define OCTETS "application/octet-stream"
#define NOT_IN_BROWSER "encrypted bundles are imported with the command " \
	"line where the nation key is (diboli bundle import --key)"

/* ---- shared pieces ---- */

/* The first member of j not in the NULL-terminated list known, or NULL. */
static const char *
unknown_member(json_t *j, const char *const *known)
{
	const char *key;
	json_t *v;
	int i;

	json_object_foreach(j, key, v) {
		for (i = 0; known[i] != NULL; i++)
			if (strcmp(key, known[i]) == 0)
				break;
		if (known[i] == NULL)
			return key;
	}
	return NULL;
}

/*
** Member name of j as a string: *out is NULL when absent or null, and
** 0; -1 when it is something else (the caller answers 422).
*/
static int
opt_string(json_t *j, const char *name, const char **out)
{
	json_t *v = json_object_get(j, name);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	*out = json_string_value(v);
	return 0;
}

/* A refused write: audited as failed, then answered with d. */
static enum MHD_Result
refuse(struct req *r, const char *action, const char *target,
    const struct dib_diag *d)
{
	char why[sizeof d->msg + sizeof d->field + 4];

	http_audit(r, action, target, "failed", dib_diag_str(d, why,
	    sizeof why));
	return http_reply_diag(r, d);
}

/* As refuse, from a code, field and message. */
static enum MHD_Result
refusef(struct req *r, const char *action, const char *target, int code,
    const char *field, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static enum MHD_Result
refusef(struct req *r, const char *action, const char *target, int code,
    const char *field, const char *fmt, ...)
{
	struct dib_diag d;
	va_list ap;

	d.code = code;
	snprintf(d.field, sizeof d.field, "%s", field);
	va_start(ap, fmt);
	vsnprintf(d.msg, sizeof d.msg, fmt, ap);
	va_end(ap);
	return refuse(r, action, target, &d);
}

static enum MHD_Result
reply_204(struct req *r)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(0,
	    (void *)"", MHD_RESPMEM_PERSISTENT);

	return http_queue(r, 204, resp);
}

/* A 201 with a Location. */
static enum MHD_Result
reply_created(struct req *r, json_t *o, const char *location)
{
	struct MHD_Response *resp = http_resp_json(r, o, NULL);

	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Location", location);
	return http_queue(r, 201, resp);
}

/* RFC 3339 of ms, or JSON null for 0. */
static json_t *
jtime(int64_t ms)
{
	char ts[40];

	if (ms == 0)
		return json_null();
	return json_string(util_time_format(ms, ts, sizeof ts));
}

static json_t *
jcount(int64_t v)
{
	return v < 0 ? json_null() : json_integer((json_int_t)v);
}

/* "20250221T0800Z" of ms, for file names. */
static void
stamp(int64_t ms, char *out, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%Y%m%dT%H%MZ", &tm);
}

/* Events found by sync while applying, audited through the writer. */
struct events_job {
	struct sync_apply *a;
	const char *actor;
};

static int
job_events(struct node *n, void *arg, struct dib_diag *d)
{
	struct events_job *j = arg;

	(void)d;
	j->a->s = n->store;
	sync_apply_audit(j->a, j->actor);
	return DIB_OK;
}

static void
audit_events(struct req *r, struct sync_apply *a)
{
	struct events_job j = {a, r->who.login};

	if (a->nev > 0)
		writer_run(&r->srv->writer, job_events, &j, NULL);
}

/* ---- users ---- */

static json_t *
user_json(struct store *s, const struct auth_user *u)
{
	int64_t last = 0;

	auth_user_last_login(s, u->login, &last, NULL);
	return json_pack("{s:s, s:s, s:s, s:b, s:o, s:o, s:o}", "login",
	    u->login, "name", u->name, "role", auth_role_name(u->role),
	    "disabled", u->disabled, "created_at", jtime(u->created_at),
	    "updated_at", jtime(u->updated_at), "last_login", jtime(last));
}

enum MHD_Result
http_user_list(struct req *r, const char *id)
{
	struct node *n = http_reader(r->srv);
	struct auth_user *v = NULL;
	struct dib_diag d;
	size_t count, i;
	json_t *arr;

	(void)id;
	if (auth_user_list(n->store, &v, &count, &d) != 0)
		return http_reply_diag(r, &d);
	arr = json_array();
	for (i = 0; i < count; i++)
		json_array_append_new(arr, user_json(n->store, &v[i]));
	free(v);
	return http_reply_json(r, 200, json_pack("{s:o}", "users", arr), NULL);
}

/* A user write (add or update) and its audit. */
struct user_write {
	struct writer_job job;
	json_t *body;                   /* owned: holds the texts below */
	char login[AUTH_LOGIN_MAX + 1];
	char target[100];
	const char *name, *password;    /* NULL: unchanged */
	int role;                       /* -1: unchanged */
	int disabled;                   /* -1: unchanged */
	int add;
	const char *actor, *addr;
	char hash[AUTH_PWHASH_LEN];     /* of password, made here, not in
	                                 * the writer */
};

static void
user_write_free(void *p)
{
	struct user_write *w = p;

	/* The parsed copy of the password is wiped (the raw body was once
	 * parsed). */
	if (w->password != NULL)
		sodium_memzero((char *)(uintptr_t)w->password,
		    strlen(w->password));
	sodium_memzero(w->hash, sizeof w->hash);
	json_decref(w->body);
	free(w);
}

static int
job_user_add(struct node *n, void *arg, struct dib_diag *d)
{
	struct user_write *w = arg;
	char detail[AUDIT_DETAIL_MAX + 1];
	int rc;

	if ((rc = auth_user_add_hashed(n->store, w->login, w->role, w->name,
	    w->hash, util_now_ms(), d)) != 0)
		return rc;
	snprintf(detail, sizeof detail, "role=%s name=\"%s\"",
	    auth_role_name(w->role), w->name ? w->name : "");
	audit_clip(detail, sizeof detail, detail);
	return audit_append(n->store, util_now_ms(), w->actor, w->addr,
	    "user.add", w->target, "ok", detail, d);
}

/* Active admins other than login. */
static int
other_admins(struct store *s, const char *login, size_t *count,
    struct dib_diag *d)
{
	struct auth_user *v = NULL;
	size_t n, i;
	int rc;

	*count = 0;
	if ((rc = auth_user_list(s, &v, &n, d)) != 0)
		return rc;
	for (i = 0; i < n; i++)
		if (v[i].role == AUTH_ADMIN && !v[i].disabled &&
		    strcmp(v[i].login, login) != 0)
			(*count)++;
	free(v);
	return DIB_OK;
}

static int
job_user_update(struct node *n, void *arg, struct dib_diag *d)
{
	struct user_write *w = arg;
	struct auth_user u;
	char detail[AUDIT_DETAIL_MAX + 1];
	int64_t now = util_now_ms();
	int rc, role, disabled;
	size_t admins;

	if ((rc = auth_user_get(n->store, w->login, &u, d)) != 0)
		return rc;
	role = w->role >= 0 ? w->role : u.role;
	disabled = w->disabled >= 0 ? w->disabled : u.disabled;
	/* Checked here, in the writer: no two requests can both pass it. */
	if (u.role == AUTH_ADMIN && !u.disabled && (role != AUTH_ADMIN ||
	    disabled)) {
		if ((rc = other_admins(n->store, u.login, &admins, d)) != 0)
			return rc;
		if (admins == 0)
			return dib_fail(d, DIB_ECONFLICT, disabled ? "disabled" :
			    "role", "%s is the last active admin of this node: "
			    "make another user admin first", u.login);
	}
	if (w->role >= 0 || w->name != NULL) {
		if ((rc = auth_user_update(n->store, u.login, w->role, w->name,
		    now, d)) != 0)
			return rc;
		detail[0] = '\0';
		if (w->role >= 0)
			snprintf(detail, sizeof detail, "role=%s->%s",
			    auth_role_name(u.role), auth_role_name(role));
		if (w->name != NULL)
			snprintf(detail + strlen(detail), sizeof detail -
			    strlen(detail), "%sname=\"%s\"", detail[0] ? " " : "",
			    w->name);
		audit_clip(detail, sizeof detail, detail);
		if ((rc = audit_append(n->store, now, w->actor, w->addr,
		    "user.update", w->target, "ok", detail, d)) != 0)
			return rc;
	}
	if (w->disabled >= 0 && w->disabled != u.disabled) {
		if ((rc = auth_user_set_disabled(n->store, u.login, w->disabled,
		    now, d)) != 0 || (rc = audit_append(n->store, now, w->actor,
		    w->addr, w->disabled ? "user.disable" : "user.enable",
		    w->target, "ok", "", d)) != 0)
			return rc;
	}
	if (w->password != NULL) {
		if ((rc = auth_user_passwd_hashed(n->store, u.login, w->hash,
		    now, d)) != 0 || (rc = audit_append(n->store, now, w->actor,
		    w->addr, "user.passwd", w->target, "ok", "", d)) != 0)
			return rc;
	}
	return DIB_OK;
}

static enum MHD_Result
user_finish(struct req *r)
{
	struct user_write *w = r->async;
	struct node *n = http_reader(r->srv);
	struct auth_user u;
	struct dib_diag d;
	char loc[120];

	if (w->job.rc != 0)
		return refuse(r, w->add ? "user.add" : "user.update", w->target,
		    &w->job.d);
	if (auth_user_get(n->store, w->login, &u, &d) != 0)
		return http_reply_diag(r, &d);
	if (!w->add)
		return http_reply_json(r, 200, user_json(n->store, &u), NULL);
	snprintf(loc, sizeof loc, API "/users/%s", u.login);
	return reply_created(r, user_json(n->store, &u), loc);
}

/* Parse and check the members of a user write; answers errors itself. */
static int
user_members(struct req *r, struct user_write *w, const char *action,
    enum MHD_Result *ret)
{
	static const char *const add_keys[] = {"login", "role", "name",
	    "password", NULL};
	static const char *const upd_keys[] = {"role", "name", "disabled",
	    "password", NULL};
	json_t *j = w->body, *v;
	const char *bad, *role;
	struct dib_diag d;

	if ((bad = unknown_member(j, w->add ? add_keys : upd_keys)) != NULL) {
		*ret = refusef(r, action, w->target, DIB_EINVAL, bad, "unknown "
		    "member (expected %s)", w->add ? "login, role, name, "
		    "password" : "role, name, disabled, password");
		return -1;
	}
	if (opt_string(j, "role", &role) != 0 || (w->add && role == NULL)) {
		*ret = refusef(r, action, w->target, DIB_EINVAL, "role", "%s",
		    role == NULL && w->add ? "is required: viewer, reporter, "
		    "analyst, commander or admin" : "must be a string");
		return -1;
	}
	if (role != NULL && (w->role = auth_role_parse(role)) < 0) {
		*ret = refusef(r, action, w->target, DIB_EINVAL, "role", "must "
		    "be viewer, reporter, analyst, commander or admin, got "
		    "\"%.40s\"", role);
		return -1;
	}
	if (opt_string(j, "name", &w->name) != 0) {
		*ret = refusef(r, action, w->target, DIB_EINVAL, "name", "must "
		    "be a string");
		return -1;
	}
	if ((v = json_object_get(j, "disabled")) != NULL) {
		if (!json_is_boolean(v)) {
			*ret = refusef(r, action, w->target, DIB_EINVAL,
			    "disabled", "must be true or false");
			return -1;
		}
		w->disabled = json_is_true(v);
	}
	if (opt_string(j, "password", &w->password) != 0 ||
	    (w->add && w->password == NULL)) {
		*ret = refusef(r, action, w->target, DIB_EINVAL, "password",
		    "%s", w->password == NULL && w->add ? "is required (at "
		    "least 12 characters)" : "must be a string");
		return -1;
	}
	if (w->password != NULL &&
	    (auth_password_check(w->login, w->password, &d) != 0 ||
	    auth_password_hash(w->password, w->hash, &d) != 0)) {
		*ret = refuse(r, action, w->target, &d);
		return -1;
	}
	if (!w->add && w->role < 0 && w->name == NULL && w->disabled < 0 &&
	    w->password == NULL) {
		*ret = refusef(r, action, w->target, DIB_EINVAL, "", "nothing "
		    "to change: give role, name, disabled or password");
		return -1;
	}
	return 0;
}

/* POST /users and PATCH /users/{login}. */
static enum MHD_Result
user_write(struct req *r, const char *login)
{
	const char *action = login ? "user.update" : "user.add";
	struct node *n = http_reader(r->srv);
	struct user_write *w;
	struct auth_user u;
	struct dib_diag d;
	enum MHD_Result ret = MHD_NO;
	int failed, rc;

	if ((w = calloc(1, sizeof *w)) == NULL)
		return http_reply_error(r, 503, "no_memory", "", "out of memory");
	w->add = login == NULL;
	w->role = w->disabled = -1;
	w->body = http_body_object(r, 0, &failed, &ret);
	/* The parsed copy is all this request needs of the body. */
	if (r->body.p != NULL)
		sodium_memzero(r->body.p, r->body.len);
	if (failed)
		goto fail;
	if (w->add) {
		const char *l = NULL;

		if (opt_string(w->body, "login", &l) != 0 || l == NULL) {
			ret = refusef(r, action, "user", DIB_EINVAL, "login",
			    "is required, as a string");
			goto fail;
		}
		login = l;
	}
	snprintf(w->login, sizeof w->login, "%s", login);
	snprintf(w->target, sizeof w->target, "user:%.64s", login);
	if (w->add && auth_login_check(login, &d) != 0) {
		ret = refuse(r, action, w->target, &d);
		goto fail;
	}
	if (user_members(r, w, action, &ret) != 0)
		goto fail;
	/* Said before the writer hashes a password for nothing. */
	rc = auth_user_get(n->store, login, &u, &d);
	if (w->add && rc == 0) {
		ret = refusef(r, action, w->target, DIB_EEXIST, "login", "user "
		    "\"%s\" already exists", login);
		goto fail;
	}
	if (!w->add && rc != 0) {
		ret = refuse(r, action, w->target, &d);
		goto fail;
	}
	w->actor = r->who.login;
	w->addr = r->addr;
	w->job.fn = w->add ? job_user_add : job_user_update;
	w->job.arg = w;
	return http_go_async(r, &w->job, user_finish, w, user_write_free);
fail:
	user_write_free(w);
	return ret;
}

enum MHD_Result
http_user_add(struct req *r, const char *id)
{
	(void)id;
	return user_write(r, NULL);
}

enum MHD_Result
http_user_update(struct req *r, const char *id)
{
	/* Never cut to the login of someone else. */
	if (strlen(id) > AUTH_LOGIN_MAX)
		return http_reply_error(r, 404, "not_found", "login", "no user "
		    "\"%.64s...\"", id);
	return user_write(r, id);
}

/* ---- tokens ---- */

static const char *
token_state(const struct auth_token_info *t, int64_t now)
{
	if (t->revoked_at != 0)
		return "revoked";
	if (t->expires_at != 0 && now >= t->expires_at)
		return "expired";
	return "active";
}

enum MHD_Result
http_token_list(struct req *r, const char *id)
{
	struct node *n = http_reader(r->srv);
	struct auth_token_info *v = NULL;
	struct dib_diag d;
	int64_t now = util_now_ms();
	size_t count, i;
	json_t *arr;

	(void)id;
	if (auth_token_list(n->store, &v, &count, &d) != 0)
		return http_reply_diag(r, &d);
	arr = json_array();
	for (i = 0; i < count; i++)
		json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:o, s:o, "
		    "s:o, s:o, s:s}", "id", (json_int_t)v[i].id, "login",
		    v[i].login, "label", v[i].label, "created_at",
		    jtime(v[i].created_at), "expires_at", jtime(v[i].expires_at),
		    "revoked_at", jtime(v[i].revoked_at), "last_used_at",
		    jtime(v[i].last_used_at), "state", token_state(&v[i], now)));
	free(v);
	return http_reply_json(r, 200, json_pack("{s:o}", "tokens", arr), NULL);
}

struct token_write {
	struct writer_job job;
	json_t *body;
	const char *login, *label;
	int days;
	int64_t id;                     /* revoke: the token; create: new */
	char token[AUTH_TOKEN_LEN + 1]; /* shown once, then wiped */
	int64_t created, expires;
	char target[100];
	const char *actor, *addr;
};

static void
token_write_free(void *p)
{
	struct token_write *w = p;

	sodium_memzero(w->token, sizeof w->token);
	json_decref(w->body);
	free(w);
}

static int
job_token_create(struct node *n, void *arg, struct dib_diag *d)
{
	struct token_write *w = arg;
	char detail[AUDIT_DETAIL_MAX + 1], until[40];
	int rc;

	w->created = util_now_ms();
	if ((rc = auth_token_create(n->store, w->login, w->days, w->label,
	    w->created, w->token, &w->id, d)) != 0) {
		if (rc == DIB_EINVAL && strcmp(d->field, "expires") == 0)
			snprintf(d->field, sizeof d->field, "expires_days");
		return rc;
	}
	w->expires = w->days > 0 ? w->created + w->days * 86400000LL : 0;
	if (w->expires)
		util_time_format(w->expires, until, sizeof until);
	else
		snprintf(until, sizeof until, "never");
	snprintf(w->target, sizeof w->target, "token:%lld", (long long)w->id);
	snprintf(detail, sizeof detail, "user=%s label=\"%s\" expires=%s",
	    w->login, w->label, until);
	audit_clip(detail, sizeof detail, detail);
	return audit_append(n->store, util_now_ms(), w->actor, w->addr,
	    "token.create", w->target, "ok", detail, d);
}

static enum MHD_Result
token_create_finish(struct req *r)
{
	struct token_write *w = r->async;
	char loc[80];

	if (w->job.rc != 0)
		return refuse(r, "token.create", w->target, &w->job.d);
	snprintf(loc, sizeof loc, API "/tokens/%lld", (long long)w->id);
	return reply_created(r, json_pack("{s:I, s:s, s:s, s:s, s:o, s:o}",
	    "id", (json_int_t)w->id, "token", w->token, "login", w->login,
	    "label", w->label, "created_at", jtime(w->created), "expires_at",
	    jtime(w->expires)), loc);
}

enum MHD_Result
http_token_create(struct req *r, const char *id)
{
	static const char *const keys[] = {"login", "expires_days", "label",
	    NULL};
	struct node *n = http_reader(r->srv);
	struct token_write *w;
	struct auth_user u;
	struct dib_diag d;
	enum MHD_Result ret = MHD_NO;
	const char *bad;
	json_t *v;
	int failed;

	(void)id;
	if ((w = calloc(1, sizeof *w)) == NULL)
		return http_reply_error(r, 503, "no_memory", "", "out of memory");
	snprintf(w->target, sizeof w->target, "token");
	if ((w->body = http_body_object(r, 0, &failed, &ret)) == NULL)
		goto fail;
	if ((bad = unknown_member(w->body, keys)) != NULL) {
		ret = refusef(r, "token.create", w->target, DIB_EINVAL, bad,
		    "unknown member (expected login, expires_days, label)");
		goto fail;
	}
	if (opt_string(w->body, "login", &w->login) != 0 || w->login == NULL) {
		ret = refusef(r, "token.create", w->target, DIB_EINVAL, "login",
		    "is required, as a string: the user the token acts for");
		goto fail;
	}
	snprintf(w->target, sizeof w->target, "user:%.64s", w->login);
	if (opt_string(w->body, "label", &w->label) != 0) {
		ret = refusef(r, "token.create", w->target, DIB_EINVAL, "label",
		    "must be a string");
		goto fail;
	}
	if (w->label == NULL)
		w->label = "";
	v = json_object_get(w->body, "expires_days");
	if (v != NULL && !json_is_null(v) && (!json_is_integer(v) ||
	    json_integer_value(v) < 0 || json_integer_value(v) >
	    AUTH_TOKEN_MAX_DAYS)) {
		ret = refusef(r, "token.create", w->target, DIB_EINVAL,
		    "expires_days", "must be a whole number of days from 0 "
		    "(never) to %d", AUTH_TOKEN_MAX_DAYS);
		goto fail;
	}
	w->days = json_is_integer(v) ? (int)json_integer_value(v) : 0;
	if (auth_user_get(n->store, w->login, &u, &d) != 0) {
		if (d.code == DIB_ENOTFOUND)
			d.code = DIB_EINVAL;    /* a member of the body */
		ret = refuse(r, "token.create", w->target, &d);
		goto fail;
	}
	w->actor = r->who.login;
	w->addr = r->addr;
	w->job.fn = job_token_create;
	w->job.arg = w;
	return http_go_async(r, &w->job, token_create_finish, w,
	    token_write_free);
fail:
	token_write_free(w);
	return ret;
}

static int
job_token_revoke(struct node *n, void *arg, struct dib_diag *d)
{
	struct token_write *w = arg;
	int rc;

	if ((rc = auth_token_revoke(n->store, w->id, util_now_ms(), d)) != 0)
		return rc;
	return audit_append(n->store, util_now_ms(), w->actor, w->addr,
	    "token.revoke", w->target, "ok", "", d);
}

static enum MHD_Result
token_revoke_finish(struct req *r)
{
	struct token_write *w = r->async;

	if (w->job.rc != 0)
		return refuse(r, "token.revoke", w->target, &w->job.d);
	return reply_204(r);
}

enum MHD_Result
http_token_revoke(struct req *r, const char *id)
{
	struct token_write *w;
	char *end;
	long long v = strtoll(id, &end, 10);

	if (*id == '\0' || *end != '\0' || v < 1 || !(id[0] >= '1' &&
	    id[0] <= '9'))
		return http_reply_error(r, 400, "bad_request", "id", "\"%.40s\" is "
		    "not a token id (a whole number, see GET " API "/tokens)", id);
	if ((w = calloc(1, sizeof *w)) == NULL)
		return http_reply_error(r, 503, "no_memory", "", "out of memory");
	w->id = v;
	snprintf(w->target, sizeof w->target, "token:%lld", v);
	w->actor = r->who.login;
	w->addr = r->addr;
	w->job.fn = job_token_revoke;
	w->job.arg = w;
	return http_go_async(r, &w->job, token_revoke_finish, w,
	    token_write_free);
}

/* ---- peers and nation keys ---- */

static json_t *
peer_json(struct store *s, const struct peer *p)
{
	char hex[65], fp[CERT_FP_LEN + 1];
	uint8_t pk[32];

	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, "
	    "s:o, s:o}", "name", p->name, "nation", p->nation, "url",
	    p->url[0] ? json_string(p->url) : json_null(), "nation_key",
	    cert_pinned(s, p->nation, pk) == DIB_OK ?
	    json_string(cert_fingerprint(pk, fp)) : json_null(), "node",
	    p->has_node ? json_string(util_hex(p->node_pk, 32, hex)) :
	    json_null(), "added", jtime(p->added), "last_exchange",
	    jtime(p->last_at), "ok", p->last_ok < 0 ? json_null() :
	    json_boolean(p->last_ok == 1), "last_result", p->last_at == 0 ||
	    p->last_result[0] == '\0' ? json_null() :
	    json_string(p->last_result), "fails", (json_int_t)p->fails,
	    "waiting_in", jcount(p->wait_in), "waiting_out",
	    jcount(p->wait_out));
}

enum MHD_Result
http_peer_list(struct req *r, const char *id)
{
	struct node *n = http_reader(r->srv);
	struct peer *v = NULL;
	struct dib_diag d;
	size_t count, i;
	json_t *arr;

	(void)id;
	if (peer_list(n->store, &v, &count, &d) != 0)
		return http_reply_diag(r, &d);
	arr = json_array();
	for (i = 0; i < count; i++) {
		json_t *p = peer_json(n->store, &v[i]);

		json_object_set_new(p, "next_attempt", v[i].url[0] &&
		    v[i].next_at > 0 ? jtime(v[i].next_at) : json_null());
		json_array_append_new(arr, p);
	}
	free(v);
	return http_reply_json(r, 200, json_pack("{s:o}", "peers", arr), NULL);
}

enum MHD_Result
http_nation_list(struct req *r, const char *id)
{
	struct node *n = http_reader(r->srv);
	struct cert_pin_info *v = NULL;
	struct dib_diag d;
	char ts[40], fp[CERT_FP_LEN + 1], hex[65];
	size_t count, i;
	json_t *arr;

	(void)id;
	if (cert_pin_list(n->store, &v, &count, &d) != 0)
		return http_reply_diag(r, &d);
	arr = json_array();
	for (i = 0; i < count; i++) {
		const char *name = util_nation_name(v[i].nation);

		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s, "
		    "s:b}", "nation", v[i].nation, "name", name ? name : "",
		    "fingerprint", cert_fingerprint(v[i].pk, fp), "key",
		    util_hex(v[i].pk, 32, hex), "pinned_at",
		    util_time_format(v[i].added, ts, sizeof ts), "own",
		    strcmp(v[i].nation, n->nation) == 0));
	}
	free(v);
	return http_reply_json(r, 200, json_pack("{s:o}", "nations", arr),
	    NULL);
}

struct peer_write {
	struct writer_job job;
	json_t *body;
	char name[PEER_NAME_MAX + 1];
	char nation[3];
	const char *url;
	uint8_t pk[32];
	int has_pub, replace;
	struct peer peer;               /* as added */
	char target[100];
	const char *actor, *addr;
};

static void
peer_write_free(void *p)
{
	struct peer_write *w = p;

	json_decref(w->body);
	free(w);
}

static int
job_peer_add(struct node *n, void *arg, struct dib_diag *d)
{
	struct peer_write *w = arg;
	char fp[CERT_FP_LEN + 1], oldfp[CERT_FP_LEN + 1];
	char detail[AUDIT_DETAIL_MAX + 1], pin[100];
	int64_t now = util_now_ms();
	uint8_t old[32];
	int rc, was;

	rc = cert_pinned(n->store, w->nation, old);
	if (rc == DIB_EDB)
		return store_dberr(n->store, d, "nations");
	was = rc == DIB_ENOTFOUND ? 0 : 1;
	oldfp[0] = '\0';
	if (!w->has_pub) {
		if (!was)
			return dib_fail(d, DIB_EINVAL, "nation_pub", "nation %s "
			    "(%s) is not pinned on this node: give its public "
			    "key (the text of its .pub file) in nation_pub",
			    w->nation, util_nation_name(w->nation));
		memcpy(w->pk, old, 32);
	} else if (was && sodium_memcmp(old, w->pk, 32) != 0) {
		cert_fingerprint(old, oldfp);
		if (!w->replace)
			return dib_fail(d, DIB_ECONFLICT, "nation_pub", "nation "
			    "%s (%s) is already pinned with another key (%s; this "
			    "one is %s); check it with the partner, then send "
			    "\"replace\": true", w->nation,
			    util_nation_name(w->nation), oldfp,
			    cert_fingerprint(w->pk, fp));
		was = 2;
	}
	if (w->has_pub && (rc = cert_pin(n->store, w->nation, w->pk,
	    w->replace, d)) != 0)
		return rc;
	if ((rc = peer_add(n->store, w->name, w->nation, w->url, d)) != 0 ||
	    (rc = peer_get(n->store, w->name, &w->peer, d)) != 0)
		return rc;
	cert_fingerprint(w->pk, fp);
	if (w->has_pub && was != 1) {
		snprintf(pin, sizeof pin, "nation:%s", w->nation);
		snprintf(detail, sizeof detail, "key=%s%s%s", fp, was == 2 ?
		    " replaces=" : "", oldfp);
		if ((rc = audit_append(n->store, now, w->actor, w->addr,
		    "nation.pin", pin, "ok", detail, d)) != 0)
			return rc;
	}
	snprintf(detail, sizeof detail, "nation=%s url=%s key=%s%s%s%s",
	    w->nation, w->peer.url[0] ? w->peer.url : "-", fp, was == 0 &&
	    w->has_pub ? " pinned" : "", was == 2 ? " replaces=" : "", oldfp);
	audit_clip(detail, sizeof detail, detail);
	return audit_append(n->store, now, w->actor, w->addr, "peer.add",
	    w->target, "ok", detail, d);
}

static enum MHD_Result
peer_add_finish(struct req *r)
{
	struct peer_write *w = r->async;
	char loc[120];

	if (w->job.rc != 0)
		return refuse(r, "peer.add", w->target, &w->job.d);
	http_sync_kick(r->srv);
	snprintf(loc, sizeof loc, API "/peers/%s", w->peer.name);
	return reply_created(r, peer_json(http_reader(r->srv)->store,
	    &w->peer), loc);
}

enum MHD_Result
http_peer_add(struct req *r, const char *id)
{
	static const char *const keys[] = {"name", "nation", "url",
	    "nation_pub", "replace", NULL};
	struct peer_write *w;
	struct dib_diag d;
	enum MHD_Result ret = MHD_NO;
	const char *bad, *name, *nation, *pub;
	json_t *v;
	int failed;

	(void)id;
	if ((w = calloc(1, sizeof *w)) == NULL)
		return http_reply_error(r, 503, "no_memory", "", "out of memory");
	snprintf(w->target, sizeof w->target, "peer");
	if ((w->body = http_body_object(r, 0, &failed, &ret)) == NULL)
		goto fail;
	if ((bad = unknown_member(w->body, keys)) != NULL) {
		ret = refusef(r, "peer.add", w->target, DIB_EINVAL, bad, "unknown "
		    "member (expected name, nation, url, nation_pub, replace)");
		goto fail;
	}
	if (opt_string(w->body, "name", &name) != 0 || name == NULL) {
		ret = refusef(r, "peer.add", w->target, DIB_EINVAL, "name", "is "
		    "required, as a string (like ML-RM4)");
		goto fail;
	}
	snprintf(w->target, sizeof w->target, "peer:%.64s", name);
	if (peer_name_check(name, &d) != 0) {
		ret = refuse(r, "peer.add", w->target, &d);
		goto fail;
	}
	snprintf(w->name, sizeof w->name, "%s", name);
	if (opt_string(w->body, "nation", &nation) != 0 ||
	    util_nation_norm(nation, w->nation) != 0) {
		ret = refusef(r, "peer.add", w->target, DIB_EINVAL, "nation",
		    "must be a known nation code (ISO 3166-1 alpha-2, e.g. SN, "
		    "ML, MR, GN)");
		goto fail;
	}
	if (opt_string(w->body, "url", &w->url) != 0) {
		ret = refusef(r, "peer.add", w->target, DIB_EINVAL, "url", "must "
		    "be a string (http://HOST:PORT), or null for bundles only");
		goto fail;
	}
	if ((v = json_object_get(w->body, "replace")) != NULL &&
	    !json_is_boolean(v)) {
		ret = refusef(r, "peer.add", w->target, DIB_EINVAL, "replace",
		    "must be true or false");
		goto fail;
	}
	w->replace = json_is_true(v);
	if (opt_string(w->body, "nation_pub", &pub) != 0) {
		ret = refusef(r, "peer.add", w->target, DIB_EINVAL, "nation_pub",
		    "must be a string: the text of the nation's .pub file");
		goto fail;
	}
	if (pub != NULL) {
		char filenat[3];

		if (cert_nation_pub_parse(pub, strlen(pub), "nation_pub", filenat,
		    w->pk, &d) != 0) {
			ret = refuse(r, "peer.add", w->target, &d);
			goto fail;
		}
		if (strcmp(filenat, w->nation) != 0) {
			ret = refusef(r, "peer.add", w->target, DIB_EINVAL,
			    "nation_pub", "is the key of %s (%s), not of %s (%s)",
			    filenat, util_nation_name(filenat), w->nation,
			    util_nation_name(w->nation));
			goto fail;
		}
		w->has_pub = 1;
	} else if (w->replace) {
		ret = refusef(r, "peer.add", w->target, DIB_EINVAL, "replace",
		    "goes with nation_pub: the new key to pin");
		goto fail;
	}
	w->actor = r->who.login;
	w->addr = r->addr;
	w->job.fn = job_peer_add;
	w->job.arg = w;
	return http_go_async(r, &w->job, peer_add_finish, w, peer_write_free);
fail:
	peer_write_free(w);
	return ret;
}

static int
job_peer_remove(struct node *n, void *arg, struct dib_diag *d)
{
	struct peer_write *w = arg;
	int rc;

	if ((rc = peer_remove(n->store, w->name, d)) != 0)
		return rc;
	return audit_append(n->store, util_now_ms(), w->actor, w->addr,
	    "peer.remove", w->target, "ok", "", d);
}

static enum MHD_Result
peer_remove_finish(struct req *r)
{
	struct peer_write *w = r->async;

	if (w->job.rc != 0)
		return refuse(r, "peer.remove", w->target, &w->job.d);
	return reply_204(r);
}

enum MHD_Result
http_peer_remove(struct req *r, const char *id)
{
	struct peer_write *w;

	if (strlen(id) > PEER_NAME_MAX)
		return http_reply_error(r, 404, "not_found", "name", "no peer "
		    "\"%.64s...\"", id);
	if ((w = calloc(1, sizeof *w)) == NULL)
		return http_reply_error(r, 503, "no_memory", "", "out of memory");
	snprintf(w->name, sizeof w->name, "%s", id);
	snprintf(w->target, sizeof w->target, "peer:%s", id);
	w->actor = r->who.login;
	w->addr = r->addr;
	w->job.fn = job_peer_remove;
	w->job.arg = w;
	return http_go_async(r, &w->job, peer_remove_finish, w,
	    peer_write_free);
}

/* ---- sync now, summaries ---- */

enum MHD_Result
http_sync_run(struct req *r, const char *id)
{
	static const char *const keys[] = {"peer", NULL};
	struct node *n = http_reader(r->srv);
	struct peer *v = NULL, one;
	struct dib_diag d;
	enum MHD_Result ret = MHD_NO;
	const char *bad, *name = NULL;
	size_t count = 0, i;
	json_t *body, *names;
	char target[100];
	int failed;

	(void)id;
	body = http_body_object(r, 1, &failed, &ret);
	if (failed)
		return ret;
	if (body != NULL && (bad = unknown_member(body, keys)) != NULL) {
		ret = http_reply_error(r, 422, "invalid", bad, "unknown member "
		    "(expected peer)");
		goto out;
	}
	if (body != NULL && opt_string(body, "peer", &name) != 0) {
		ret = http_reply_error(r, 422, "invalid", "peer", "must be a "
		    "peer name (see GET " API "/peers), or null for all");
		goto out;
	}
	snprintf(target, sizeof target, "peer:%.64s", name ? name : "*");
	names = json_array();
	if (name != NULL) {
		if (peer_get(n->store, name, &one, &d) != 0) {
			json_decref(names);
			snprintf(d.field, sizeof d.field, "peer");
			ret = refuse(r, "sync.run", target, &d);
			goto out;
		}
		if (one.url[0] == '\0') {
			json_decref(names);
			ret = refusef(r, "sync.run", target, DIB_ECONFLICT, "peer",
			    "peer %s has no URL: it is reached by bundle files "
			    "(POST " API "/bundles/export)", one.name);
			goto out;
		}
		json_array_append_new(names, json_string(one.name));
	} else {
		if (peer_list(n->store, &v, &count, &d) != 0) {
			json_decref(names);
			ret = http_reply_diag(r, &d);
			goto out;
		}
		for (i = 0; i < count; i++)
			if (v[i].url[0] != '\0')
				json_array_append_new(names,
				    json_string(v[i].name));
		free(v);
		if (json_array_size(names) == 0) {
			json_decref(names);
			ret = refusef(r, "sync.run", target, DIB_ECONFLICT, "peer",
			    "no peer has a URL: nothing to run (bundles: POST "
			    API "/bundles/export)");
			goto out;
		}
	}
	if (http_sync_force(r->srv, name) != 0) {
		json_decref(names);
		ret = http_reply_error(r, 503, "unavailable", "", "the background "
		    "sync is not running on this server");
		goto out;
	}
	http_audit(r, "sync.run", target, "ok", "");
	ret = http_reply_json(r, 202, json_pack("{s:o}", "peers", names), NULL);
out:
	json_decref(body);
	return ret;
}

/* Octets from memory, as an attachment named file, with one header. */
static enum MHD_Result
reply_octets(struct req *r, const void *p, size_t n, const char *file,
    const char *header, const char *value)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(n,
	    (void *)(uintptr_t)p, MHD_RESPMEM_MUST_COPY);
	char cd[200];

	if (resp == NULL)
		return MHD_NO;
	r->sent = n;
	snprintf(cd, sizeof cd, "attachment; filename=\"%s\"", file);
	MHD_add_response_header(resp, "Content-Type", OCTETS);
	MHD_add_response_header(resp, "Content-Disposition", cd);
	MHD_add_response_header(resp, header, value);
	return http_queue(r, 200, resp);
}

enum MHD_Result
http_sync_summary(struct req *r, const char *id)
{
	struct node *n = http_reader(r->srv);
	const char *f = http_arg(r, "for");
	struct dib_diag d;
	struct buf b;
	enum MHD_Result ret;
	char nation[3], file[120], ts[24], nl[24];
	size_t logs = 0;

	(void)id;
	if (f == NULL)
		memcpy(nation, n->nation, 3);
	else if (util_nation_norm(f, nation) != 0)
		return http_reply_error(r, 400, "bad_request", "for", "must be a "
		    "nation code (ISO 3166-1 alpha-2, e.g. ML), got \"%.20s\"",
		    f);
	buf_init(&b, BUNDLE_SUMMARY_MAX);
	if (bundle_summary_to(n->store, nation, &b, &logs, &d) != 0) {
		buf_free(&b);
		return http_reply_diag(r, &d);
	}
	stamp(util_now_ms(), ts, sizeof ts);
	snprintf(file, sizeof file, "diboli-%s-summary-for-%s-%s.summary",
	    n->nation, nation, ts);
	snprintf(nl, sizeof nl, "%zu", logs);
	ret = reply_octets(r, b.p, b.len, file, "X-Diboli-Logs", nl);
	buf_free(&b);
	return ret;
}

/* ---- bundles ---- */

/* The export's members; answers errors itself. */
struct export_args {
	char nation[3];
	uint8_t epk[32];
	int encrypt;
	unsigned char *summary;         /* decoded, owned */
	size_t summary_len;
	int has_summary;
	int64_t budget;
};

static int
export_members(struct req *r, json_t *j, struct export_args *e,
    const char *target, enum MHD_Result *ret)
{
	static const char *const keys[] = {"for", "summary", "encrypt_to",
	    "budget", NULL};
	const char *bad, *s, *pub;
	struct dib_diag d;
	json_t *v;

	if ((bad = unknown_member(j, keys)) != NULL) {
		*ret = refusef(r, "bundle.export", target, DIB_EINVAL, bad,
		    "unknown member (expected for, summary, encrypt_to, budget)");
		return -1;
	}
	if (opt_string(j, "for", &s) != 0 ||
	    util_nation_norm(s, e->nation) != 0) {
		*ret = refusef(r, "bundle.export", target, DIB_EINVAL, "for",
		    "is required: the nation code the bundle is for (ISO "
		    "3166-1 alpha-2, e.g. ML)");
		return -1;
	}
	if (opt_string(j, "summary", &s) != 0) {
		*ret = refusef(r, "bundle.export", target, DIB_EINVAL, "summary",
		    "must be a string: the summary file in base64");
		return -1;
	}
	if (s != NULL) {
		size_t len = strlen(s), max = len / 4 * 3 + 3;
		const char *end = NULL;

		if ((e->summary = malloc(max + 1)) == NULL) {
			*ret = http_reply_error(r, 503, "no_memory", "", "out of "
			    "memory");
			return -1;
		}
		if (len == 0 || (sodium_base642bin(e->summary, max, s, len,
		    " \t\r\n", &e->summary_len, &end,
		    sodium_base64_VARIANT_ORIGINAL) != 0 &&
		    sodium_base642bin(e->summary, max, s, len, " \t\r\n",
		    &e->summary_len, &end,
		    sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0) ||
		    end != s + len) {
			*ret = refusef(r, "bundle.export", target, DIB_EINVAL,
			    "summary", "is not base64 (the summary file, from "
			    "diboli sync summary or GET " API "/sync/summary, "
			    "encoded)");
			return -1;
		}
		e->has_summary = 1;
	}
	if (opt_string(j, "encrypt_to", &pub) != 0) {
		*ret = refusef(r, "bundle.export", target, DIB_EINVAL,
		    "encrypt_to", "must be a string: the text of the nation's "
		    ".pub file");
		return -1;
	}
	if (pub != NULL) {
		char enation[3];

		if (cert_nation_pub_parse(pub, strlen(pub), "encrypt_to", enation,
		    e->epk, &d) != 0) {
			*ret = refuse(r, "bundle.export", target, &d);
			return -1;
		}
		if (strcmp(enation, e->nation) != 0) {
			*ret = refusef(r, "bundle.export", target, DIB_EINVAL,
			    "encrypt_to", "is the key of %s, but the bundle is "
			    "for %s", enation, e->nation);
			return -1;
		}
		e->encrypt = 1;
	}
	v = json_object_get(j, "budget");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) <
		    SYNC_BUDGET_MIN || json_integer_value(v) > INT64_MAX / 2) {
			*ret = refusef(r, "bundle.export", target, DIB_EINVAL,
			    "budget", "must be a byte count of at least %d",
			    SYNC_BUDGET_MIN);
			return -1;
		}
		e->budget = json_integer_value(v);
	}
	return 0;
}

enum MHD_Result
http_bundle_export(struct req *r, const char *id)
{
	struct node *n = http_reader(r->srv);
	struct export_args a;
	struct bundle_export e;
	struct sync_sent sent;
	struct MHD_Response *resp;
	struct dib_diag d;
	struct stat sb;
	enum MHD_Result ret = MHD_NO;
	char path[2200], rnd[17], target[40], file[120], cd[200], ts[24];
	char num[24], detail[300];
	uint8_t raw[8];
	int64_t created = util_now_ms();
	json_t *j;
	int failed, fd = -1;

	(void)id;
	memset(&a, 0, sizeof a);
	snprintf(target, sizeof target, "bundle");
	if ((j = http_body_object(r, 0, &failed, &ret)) == NULL)
		return ret;
	if (export_members(r, j, &a, target, &ret) != 0)
		goto out;
	snprintf(target, sizeof target, "nation:%s", a.nation);
	/* Written beside the database (the bundle is as sensitive), sent,
	 * and gone: unlinked as soon as it is open. */
	util_random(raw, sizeof raw);
	if ((size_t)snprintf(path, sizeof path, "%s/.export-%s.bundle", n->dir,
	    util_hex(raw, sizeof raw, rnd)) >= sizeof path) {
		ret = http_reply_error(r, 500, "io", "", "the node's path is too "
		    "long");
		goto out;
	}
	memset(&e, 0, sizeof e);
	e.nation = a.nation;
	e.summary = a.has_summary ? a.summary : NULL;
	e.summary_len = a.summary_len;
	e.encrypt_to = a.encrypt ? a.epk : NULL;
	e.budget = a.budget;
	e.created = created;
	if (bundle_export_to(n, &r->srv->node->signer, path, &e, &sent,
	    &d) != 0) {
		if (d.code == DIB_ENOTFOUND)
			d.code = DIB_ECONFLICT; /* the node's state, not a URL */
		else if (strncmp(d.field, "summary", 7) == 0 &&
		    (d.code == DIB_ETAMPER || d.code == DIB_ETOOBIG))
			d.code = DIB_EINVAL;    /* a summary that is not one */
		ret = refuse(r, "bundle.export", target, &d);
		goto out;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	unlink(path);
	if (fd < 0 || fstat(fd, &sb) != 0) {
		ret = http_reply_error(r, 500, "io", "", "cannot read the bundle "
		    "back");
		goto out;
	}
	if ((uint64_t)sb.st_size > r->srv->conf.max_body) {
		ret = refusef(r, "bundle.export", target, DIB_ETOOBIG, "budget",
		    "the bundle is %lld bytes, over this server's limit of %zu "
		    "(a node could not import it over HTTP): give a budget to "
		    "send it in parts, or export it with the command line "
		    "(diboli bundle export)", (long long)sb.st_size,
		    r->srv->conf.max_body);
		goto out;
	}
	if ((resp = MHD_create_response_from_fd((uint64_t)sb.st_size, fd)) ==
	    NULL)
		goto out;
	fd = -1;        /* the response closes it */
	r->sent = (size_t)sb.st_size;
	stamp(created, ts, sizeof ts);
	snprintf(file, sizeof file, "diboli-%s-to-%s-%s.bundle", n->nation,
	    a.nation, ts);
	snprintf(cd, sizeof cd, "attachment; filename=\"%s\"", file);
	MHD_add_response_header(resp, "Content-Type", OCTETS);
	MHD_add_response_header(resp, "Content-Disposition", cd);
	snprintf(num, sizeof num, "%lld", (long long)sent.records);
	MHD_add_response_header(resp, "X-Diboli-Records", num);
	snprintf(num, sizeof num, "%lld", (long long)sent.blocks);
	MHD_add_response_header(resp, "X-Diboli-Blocks", num);
	snprintf(num, sizeof num, "%lld", (long long)sent.wait_records);
	MHD_add_response_header(resp, "X-Diboli-Waiting-Records", num);
	snprintf(detail, sizeof detail, "%lld record(s) in %lld block(s)%s%s; "
	    "%lld record(s) left (budget); %lld bytes", (long long)sent.records,
	    (long long)sent.blocks, a.has_summary ? ", after a summary" : "",
	    a.encrypt ? ", encrypted" : "", (long long)sent.wait_records,
	    (long long)sb.st_size);
	http_audit(r, "bundle.export", target, "ok", detail);
	ret = http_queue(r, 200, resp);
out:
	if (fd >= 0)
		close(fd);
	free(a.summary);
	json_decref(j);
	return ret;
}

struct import_state {
	struct writer_job job;
	struct bundle_import im;
	char target[200];
	char detail[400];
	const char *actor, *addr;
};

static void
import_free(void *p)
{
	struct import_state *s = p;

	bundle_import_close(&s->im);
	free(s);
}

static int
job_import(struct node *n, void *arg, struct dib_diag *d)
{
	struct import_state *s = arg;
	int rc;

	if ((rc = bundle_import_apply(&s->im, n->store, d)) != 0)
		return rc;
	sync_apply_describe(&s->im.apply, s->detail, sizeof s->detail);
	return audit_append(n->store, util_now_ms(), s->actor, s->addr,
	    "bundle.import", s->target, "ok", s->detail, d);
}

/* A refused bundle is the client's: 422 whatever the check that failed
** (a 401 or 403 would speak of the user's session or role). */
static enum MHD_Result
refuse_bundle(struct req *r, const char *target, struct dib_diag *d)
{
	char why[sizeof d->msg + sizeof d->field + 4];

	if (d->code == DIB_EUNAUTH)
		d->code = DIB_ECRYPTO;
	switch (d->code) {
	case DIB_EINVAL:
	case DIB_ECRYPTO:
	case DIB_ETAMPER:
	case DIB_EPERM:
	case DIB_EBADREQ:
		http_audit(r, "bundle.import", target, "failed", dib_diag_str(d,
		    why, sizeof why));
		return http_reply_error(r, 422, dib_code_name(d->code), d->field,
		    "%s", d->msg);
	default:
		return refuse(r, "bundle.import", target, d);
	}
}

static enum MHD_Result
import_finish(struct req *r)
{
	struct import_state *s = r->async;
	const struct sync_apply *a = &s->im.apply;

	audit_events(r, &s->im.apply);
	if (s->job.rc != 0)
		return refuse_bundle(r, s->target, &s->job.d);
	if (a->applied_blocks > 0)
		http_sync_kick(r->srv);         /* relay what came in */
	return http_reply_json(r, 200, json_pack("{s:{s:s, s:s}, s:I, s:I, "
	    "s:I, s:I, s:I, s:I, s:s}", "from", "name", s->im.sender->name,
	    "nation", s->im.sender->nation, "applied_blocks",
	    (json_int_t)a->applied_blocks, "applied_records",
	    (json_int_t)a->applied_records, "held", (json_int_t)a->held_blocks,
	    "pending", (json_int_t)a->pending_blocks, "refused",
	    (json_int_t)a->refused_blocks, "forks", (json_int_t)a->forks,
	    "result", s->detail), NULL);
}

enum MHD_Result
http_bundle_import(struct req *r, const char *id)
{
	struct node *n = http_reader(r->srv);
	struct import_state *s;
	struct dib_diag d;
	enum MHD_Result ret;
	int rc;

	(void)id;
	if (!http_content_is(r, OCTETS))
		return http_reply_error(r, 415, "unsupported_media_type",
		    "Content-Type", "send the bundle file's bytes as " OCTETS);
	if (r->body.len == 0)
		return refusef(r, "bundle.import", "bundle", DIB_EINVAL, "body",
		    "is empty: send the bundle file's bytes");
	if ((s = calloc(1, sizeof *s)) == NULL)
		return http_reply_error(r, 503, "no_memory", "", "out of memory");
	snprintf(s->target, sizeof s->target, "bundle");
	/* Everything that needs no payload, then pass 1: all of it checked,
	 * nothing written, on this thread. */
	rc = bundle_import_open(&s->im, n, NULL, r->body.p, r->body.len,
	    "this file", &d);
	/* The sender, once its certificate checked, names the bundle. */
	if (s->im.sender != NULL && s->im.sender->name[0] != '\0')
		snprintf(s->target, sizeof s->target, "bundle:%.150s (%s)",
		    s->im.sender->name, s->im.sender->nation);
	if (rc != 0) {
		ret = refuse_bundle(r, s->target, &d);
		goto fail;
	}
	if (s->im.meta->encrypted) {
		ret = refusef(r, "bundle.import", s->target, DIB_EINVAL,
		    "bundle", NOT_IN_BROWSER);
		goto fail;
	}
	if (bundle_import_check(&s->im, NULL, NULL, NULL, NULL, &d) != 0) {
		audit_events(r, &s->im.check);
		ret = refuse_bundle(r, s->target, &d);
		goto fail;
	}
	/* Pass 2 in the writer: all or nothing, with its audit row. */
	s->actor = r->who.login;
	s->addr = r->addr;
	s->job.fn = job_import;
	s->job.arg = s;
	return http_go_async(r, &s->job, import_finish, s, import_free);
fail:
	import_free(s);
	return ret;
}

const char *
http_body_hint(const char *url)
{
	if (url != NULL && strcmp(url, API "/bundles/import") == 0)
		return "; a bundle this large is imported with the command line "
		    "(diboli bundle import)";
	return "";
}
