/*
** Logins, browser sessions and bearer tokens. The database keeps only the
** BLAKE2b-256 hash of a session or token, so that a copy of it opens no
** door; the text is shown once.
*/
#include "auth/auth.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auth/auth_int.h"
#include "util/util.h"

#define REFRESH_MS (60LL * 1000)        /* seen_at, last_used_at */
#define DAY_MS (86400LL * 1000)

static const char wrong[] = "login or password is wrong";

/* A text column, "" for NULL. */
static const char *
col_text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t ? (const char *)t : "";
}

/* ---- tokens ---- */

void
auth_token_new(char out[AUTH_TOKEN_LEN + 1])
{
	uint8_t raw[32];

	util_random(raw, sizeof raw);
	sodium_bin2base64(out, AUTH_TOKEN_LEN + 1, raw, sizeof raw,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
}

int
auth_token_wellformed(const char *text)
{
	size_t i;

	if (text == NULL)
		return 0;
	for (i = 0; i < AUTH_TOKEN_LEN; i++) {
		char c = text[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
	}
	return text[AUTH_TOKEN_LEN] == '\0';
}

void
auth_token_hash(const char *token, uint8_t out[32])
{
	crypto_generichash(out, 32, (const unsigned char *)token,
	    strlen(token), NULL, 0);
}

int
auth_csrf_ok(const struct auth_session *s, const char *presented)
{
	if (s == NULL || presented == NULL || s->csrf[0] == '\0' ||
	    strnlen(presented, AUTH_TOKEN_LEN + 1) != AUTH_TOKEN_LEN ||
	    strlen(s->csrf) != AUTH_TOKEN_LEN)
		return 0;
	return sodium_memcmp(s->csrf, presented, AUTH_TOKEN_LEN) == 0;
}

/* ---- login ---- */

/* A hash to check unknown logins against, so that they cost as much. */
static char dummy_hash[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void
dummy_init(void)
{
	char pw[AUTH_TOKEN_LEN + 1];

	auth_token_new(pw);
	if (auth_pw_hash(pw, dummy_hash, NULL) != 0)
		dummy_hash[0] = '\0';
	sodium_memzero(pw, sizeof pw);
}

/* The user and password hash of login, if any (*found). */
static int
load_login(struct store *s, const char *login, struct auth_user *u,
    char *hash, size_t hashlen, int *found, struct dib_diag *d)
{
	sqlite3_stmt *st = NULL;
	int rc = DIB_OK;

	*found = 0;
	hash[0] = '\0';
	if (sqlite3_prepare_v2(s->db, "SELECT " AUTH_USER_COLS ", u.pwhash "
	    "FROM users u WHERE u.login = ?1", -1, &st, NULL) != SQLITE_OK)
		return store_dberr(s, d, "login");
	sqlite3_bind_text(st, 1, login, -1, SQLITE_STATIC);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		auth_user_from_row(st, 0, u);
		snprintf(hash, hashlen, "%s",
		    col_text(st, 7));
		*found = 1;
		break;
	case SQLITE_DONE:
		break;
	default:
		rc = store_dberr(s, d, "login");
	}
	sqlite3_finalize(st);
	return rc;
}

/* Insert the session, sweep the expired, maybe store a new hash. */
static int
store_session(struct store *s, const struct auth_session *a,
    const char *addr, const char *rehash, int64_t now, struct dib_diag *d)
{
	sqlite3_stmt *st = NULL;
	uint8_t h[32];
	int rc, own;

	if ((rc = auth_tx_begin(s, &own, d)) != 0)
		return rc;
	if (sqlite3_prepare_v2(s->db, "DELETE FROM sessions WHERE "
	    "created_at <= ?1 OR seen_at <= ?2", -1, &st, NULL) != SQLITE_OK) {
		rc = store_dberr(s, d, "login");
		goto out;
	}
	sqlite3_bind_int64(st, 1, now - AUTH_SESSION_ABSOLUTE_MS);
	sqlite3_bind_int64(st, 2, now - AUTH_SESSION_IDLE_MS);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = store_dberr(s, d, "login");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	auth_token_hash(a->token, h);
	if (sqlite3_prepare_v2(s->db, "INSERT INTO sessions(hash, user, csrf, "
	    "created_at, seen_at, addr) VALUES(?1, ?2, ?3, ?4, ?4, ?5)", -1,
	    &st, NULL) != SQLITE_OK) {
		rc = store_dberr(s, d, "login");
		goto out;
	}
	sqlite3_bind_blob(st, 1, h, sizeof h, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, a->user.id);
	sqlite3_bind_text(st, 3, a->csrf, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	if (addr != NULL)
		sqlite3_bind_text(st, 5, addr, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = store_dberr(s, d, "login");
		goto out;
	}
	if (rehash != NULL) {
		sqlite3_finalize(st);
		st = NULL;
		if (sqlite3_prepare_v2(s->db, "UPDATE users SET pwhash = ?1 "
		    "WHERE id = ?2", -1, &st, NULL) != SQLITE_OK) {
			rc = store_dberr(s, d, "login");
			goto out;
		}
		sqlite3_bind_text(st, 1, rehash, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, a->user.id);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = store_dberr(s, d, "login");
	}
out:
	sqlite3_finalize(st);
	return auth_tx_end(s, own, rc, d);
}

int
auth_login(struct store *s, struct auth_throttle *t, const char *login,
    const char *password, const char *addr, int64_t now,
    struct auth_session *out, struct dib_diag *d)
{
	char hash[crypto_pwhash_STRBYTES], rehash[crypto_pwhash_STRBYTES];
	unsigned long long ops;
	size_t mem, pwlen;
	struct auth_user u;
	int rc, found = 0, good;

	memset(out, 0, sizeof *out);
	if (login == NULL)
		login = "";
	if (password == NULL)
		password = "";
	if ((rc = auth_throttle_check(t, login, addr, now, d)) != 0)
		return rc;
	if (sodium_init() < 0)
		return dib_fail(d, DIB_ECRYPTO, "", "libsodium failed to start");
	pthread_once(&dummy_once, dummy_init);
	if ((rc = load_login(s, login, &u, hash, sizeof hash, &found, d)) != 0)
		return rc;
	pwlen = strlen(password);
	if (pwlen > AUTH_PASSWORD_MAX)
		good = 0;
	else
		good = crypto_pwhash_str_verify(found ? hash : dummy_hash,
		    password, pwlen) == 0;
	if (!found || !good || u.disabled) {
		auth_throttle_fail(t, login, addr, now);
		rc = dib_fail(d, DIB_EUNAUTH, "", "%s", wrong);
		goto out;
	}
	auth_throttle_ok(t, login, addr);
	/* A hash made with other limits is remade while the password is at
	 * hand. */
	auth_pw_limits(&ops, &mem);
	rehash[0] = '\0';
	if (crypto_pwhash_str_needs_rehash(hash, ops, mem) != 0 &&
	    auth_pw_hash(password, rehash, NULL) != 0)
		rehash[0] = '\0';
	out->user = u;
	auth_token_new(out->token);
	auth_token_new(out->csrf);
	out->expires_at = now + AUTH_SESSION_IDLE_MS;
	rc = store_session(s, out, addr, rehash[0] ? rehash : NULL, now, d);
out:
	if (rc != 0)
		sodium_memzero(out, sizeof *out);
	sodium_memzero(hash, sizeof hash);
	sodium_memzero(rehash, sizeof rehash);
	return rc;
}

/*
** Run sql with ?1 the hash h and ?2 (if any) now. Errors are ignored: a
** refresh or cleanup that fails leaves a valid state.
*/
static void
touch(struct store *s, const char *sql, const uint8_t h[32], int64_t now)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_blob(st, 1, h, 32, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, now);
	sqlite3_step(st);
	sqlite3_finalize(st);
}

static void
session_delete(struct store *s, const uint8_t h[32])
{
	touch(s, "DELETE FROM sessions WHERE hash = ?1", h, 0);
}

int
auth_session_check(struct store *s, const char *token, int64_t now,
    struct auth_session *out, struct dib_diag *d)
{
	sqlite3_stmt *st = NULL;
	uint8_t h[32];
	int64_t created, seen, end;
	int rc = DIB_OK;

	memset(out, 0, sizeof *out);
	if (!auth_token_wellformed(token))
		return dib_fail(d, DIB_EUNAUTH, "", "not logged in");
	auth_token_hash(token, h);
	/* Every request with a cookie: kept prepared (store_stmt_sql). */
	if ((st = store_stmt_sql(s, "SELECT " AUTH_USER_COLS ", s.csrf, "
	    "s.created_at, s.seen_at FROM sessions s JOIN users u ON "
	    "u.id = s.user WHERE s.hash = ?1")) == NULL)
		return store_dberr(s, d, "session");
	sqlite3_bind_blob(st, 1, h, sizeof h, SQLITE_STATIC);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		break;
	case SQLITE_DONE:
		rc = dib_fail(d, DIB_EUNAUTH, "", "the session has ended; "
		    "log in again");
		goto out;
	default:
		rc = store_dberr(s, d, "session");
		goto out;
	}
	auth_user_from_row(st, 0, &out->user);
	snprintf(out->csrf, sizeof out->csrf, "%s", col_text(st, 7));
	created = sqlite3_column_int64(st, 8);
	seen = sqlite3_column_int64(st, 9);
	sqlite3_reset(st);
	st = NULL;
	if (now >= created + AUTH_SESSION_ABSOLUTE_MS ||
	    now >= seen + AUTH_SESSION_IDLE_MS || out->user.disabled) {
		session_delete(s, h);
		rc = dib_fail(d, DIB_EUNAUTH, "", "the session has %s; log in "
		    "again", out->user.disabled ? "ended" : "expired");
		goto out;
	}
	if (now - seen >= REFRESH_MS) {
		touch(s, "UPDATE sessions SET seen_at = ?2 WHERE hash = ?1", h,
		    now);
		seen = now;
	}
	snprintf(out->token, sizeof out->token, "%s", token);
	end = seen + AUTH_SESSION_IDLE_MS;
	if (created + AUTH_SESSION_ABSOLUTE_MS < end)
		end = created + AUTH_SESSION_ABSOLUTE_MS;
	out->expires_at = end;
out:
	if (st != NULL)
		sqlite3_reset(st);
	if (rc != 0)
		sodium_memzero(out, sizeof *out);
	return rc;
}

int
auth_logout(struct store *s, const char *token, struct dib_diag *d)
{
	sqlite3_stmt *st = NULL;
	uint8_t h[32];
	int rc = DIB_OK;

	if (!auth_token_wellformed(token))
		return DIB_OK;
	auth_token_hash(token, h);
	if (sqlite3_prepare_v2(s->db, "DELETE FROM sessions WHERE hash = ?1",
	    -1, &st, NULL) != SQLITE_OK)
		return store_dberr(s, d, "logout");
	sqlite3_bind_blob(st, 1, h, sizeof h, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_dberr(s, d, "logout");
	sqlite3_finalize(st);
	return rc;
}

/* ---- bearer tokens ---- */

static int
check_label(const char *label, struct dib_diag *d)
{
	const unsigned char *p;
	size_t n = strlen(label);

	if (n > AUTH_LABEL_MAX)
		return dib_fail(d, DIB_EINVAL, "label", "must be at most %d "
		    "bytes, got %zu", AUTH_LABEL_MAX, n);
	if (!util_utf8_valid(label, n))
		return dib_fail(d, DIB_EINVAL, "label", "is not valid UTF-8");
	for (p = (const unsigned char *)label; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return dib_fail(d, DIB_EINVAL, "label",
			    "contains a control character");
	return DIB_OK;
}

int
auth_token_create(struct store *s, const char *login, int expires_days,
    const char *label, int64_t now, char token[AUTH_TOKEN_LEN + 1],
    int64_t *id, struct dib_diag *d)
{
	struct auth_user u;
	sqlite3_stmt *st = NULL;
	uint8_t h[32];
	int rc, own;

	token[0] = '\0';
	*id = 0;
	if (label == NULL)
		label = "";
	if (expires_days < 0 || expires_days > AUTH_TOKEN_MAX_DAYS)
		return dib_fail(d, DIB_EINVAL, "expires", "must be 0 (never) "
		    "to %d days, got %d", AUTH_TOKEN_MAX_DAYS, expires_days);
	if ((rc = check_label(label, d)) != 0)
		return rc;
	if ((rc = auth_tx_begin(s, &own, d)) != 0)
		return rc;
	if ((rc = auth_user_get(s, login, &u, d)) != 0)
		goto out;
	if (u.disabled) {
		rc = dib_fail(d, DIB_ECONFLICT, "login", "user \"%s\" is "
		    "disabled", u.login);
		goto out;
	}
	auth_token_new(token);
	auth_token_hash(token, h);
	if (sqlite3_prepare_v2(s->db, "INSERT INTO tokens(hash, user, label, "
	    "created_at, expires_at) VALUES(?1, ?2, ?3, ?4, ?5)", -1, &st,
	    NULL) != SQLITE_OK) {
		rc = store_dberr(s, d, "token");
		goto out;
	}
	sqlite3_bind_blob(st, 1, h, sizeof h, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, u.id);
	sqlite3_bind_text(st, 3, label, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	if (expires_days > 0)
		sqlite3_bind_int64(st, 5, now + expires_days * DAY_MS);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = store_dberr(s, d, "token");
		goto out;
	}
	*id = sqlite3_last_insert_rowid(s->db);
out:
	sqlite3_finalize(st);
	rc = auth_tx_end(s, own, rc, d);
	if (rc != 0) {
		sodium_memzero(token, AUTH_TOKEN_LEN + 1);
		*id = 0;
	}
	return rc;
}

int
auth_token_check(struct store *s, const char *token, int64_t now,
    struct auth_user *u, struct dib_diag *d)
{
	sqlite3_stmt *st = NULL;
	uint8_t h[32];
	int64_t expires, revoked, used;
	int rc = DIB_OK;

	memset(u, 0, sizeof *u);
	u->role = -1;
	if (!auth_token_wellformed(token))
		return dib_fail(d, DIB_EUNAUTH, "", "the token is not valid");
	auth_token_hash(token, h);
	/* Every request with a token: kept prepared (store_stmt_sql). */
	if ((st = store_stmt_sql(s, "SELECT " AUTH_USER_COLS ", "
	    "coalesce(t.expires_at, 0), coalesce(t.revoked_at, 0), "
	    "coalesce(t.last_used_at, 0) FROM tokens t JOIN users u ON "
	    "u.id = t.user WHERE t.hash = ?1")) == NULL)
		return store_dberr(s, d, "token");
	sqlite3_bind_blob(st, 1, h, sizeof h, SQLITE_STATIC);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		break;
	case SQLITE_DONE:
		rc = dib_fail(d, DIB_EUNAUTH, "", "the token is not valid");
		goto out;
	default:
		rc = store_dberr(s, d, "token");
		goto out;
	}
	auth_user_from_row(st, 0, u);
	expires = sqlite3_column_int64(st, 7);
	revoked = sqlite3_column_int64(st, 8);
	used = sqlite3_column_int64(st, 9);
	sqlite3_reset(st);
	st = NULL;
	if (revoked != 0)
		rc = dib_fail(d, DIB_EUNAUTH, "", "the token was revoked");
	else if (expires != 0 && now >= expires)
		rc = dib_fail(d, DIB_EUNAUTH, "", "the token has expired");
	else if (u->disabled)
		rc = dib_fail(d, DIB_EUNAUTH, "", "the token's user is "
		    "disabled");
	if (rc != 0)
		goto out;
	if (used == 0 || now - used >= REFRESH_MS)
		touch(s, "UPDATE tokens SET last_used_at = ?2 WHERE hash = ?1",
		    h, now);
out:
	if (st != NULL)
		sqlite3_reset(st);
	if (rc != 0) {
		memset(u, 0, sizeof *u);
		u->role = -1;
	}
	return rc;
}

int
auth_token_revoke(struct store *s, int64_t id, int64_t now,
    struct dib_diag *d)
{
	sqlite3_stmt *st = NULL;
	int rc, own;

	if ((rc = auth_tx_begin(s, &own, d)) != 0)
		return rc;
	if (sqlite3_prepare_v2(s->db, "SELECT revoked_at FROM tokens "
	    "WHERE id = ?1", -1, &st, NULL) != SQLITE_OK) {
		rc = store_dberr(s, d, "token");
		goto out;
	}
	sqlite3_bind_int64(st, 1, id);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		if (sqlite3_column_type(st, 0) != SQLITE_NULL)
			rc = dib_fail(d, DIB_ECONFLICT, "id", "token %lld is "
			    "already revoked", (long long)id);
		break;
	case SQLITE_DONE:
		rc = dib_fail(d, DIB_ENOTFOUND, "id", "no token %lld",
		    (long long)id);
		break;
	default:
		rc = store_dberr(s, d, "token");
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc != 0)
		goto out;
	if (sqlite3_prepare_v2(s->db, "UPDATE tokens SET revoked_at = ?2 "
	    "WHERE id = ?1", -1, &st, NULL) != SQLITE_OK) {
		rc = store_dberr(s, d, "token");
		goto out;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_dberr(s, d, "token");
out:
	sqlite3_finalize(st);
	return auth_tx_end(s, own, rc, d);
}

int
auth_token_list(struct store *s, struct auth_token_info **out, size_t *n,
    struct dib_diag *d)
{
	sqlite3_stmt *st = NULL;
	struct auth_token_info *v = NULL, *nv, *t;
	size_t cap = 0, len = 0;
	int rc = DIB_OK, step;

	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT t.id, u.login, t.label, "
	    "t.created_at, coalesce(t.expires_at, 0), coalesce(t.revoked_at, "
	    "0), coalesce(t.last_used_at, 0) FROM tokens t JOIN users u ON "
	    "u.id = t.user ORDER BY t.id", -1, &st, NULL) != SQLITE_OK)
		return store_dberr(s, d, "tokens");
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (len == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = realloc(v, cap * sizeof *v)) == NULL) {
				rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
				goto out;
			}
			v = nv;
		}
		t = &v[len++];
		memset(t, 0, sizeof *t);
		t->id = sqlite3_column_int64(st, 0);
		snprintf(t->login, sizeof t->login, "%s", col_text(st, 1));
		snprintf(t->label, sizeof t->label, "%s", col_text(st, 2));
		t->created_at = sqlite3_column_int64(st, 3);
		t->expires_at = sqlite3_column_int64(st, 4);
		t->revoked_at = sqlite3_column_int64(st, 5);
		t->last_used_at = sqlite3_column_int64(st, 6);
	}
	if (step != SQLITE_DONE) {
		rc = store_dberr(s, d, "tokens");
		goto out;
	}
	*out = v;
	*n = len;
	v = NULL;
out:
	sqlite3_finalize(st);
	free(v);
	return rc;
}
