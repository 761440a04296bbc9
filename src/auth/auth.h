/*
** Who may do what: roles and their permissions, user accounts with argon2id
** passwords, browser sessions (cookie + CSRF token), bearer tokens for
** scripts, and the in-memory throttle of failed logins.
*/
#ifndef DIB_AUTH_H
#define DIB_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

/* Roles, each holding every permission of the one before. */
enum auth_role {
	AUTH_VIEWER,            /* read */
	AUTH_REPORTER,          /* + create records */
	AUTH_ANALYST,           /* + supersede/retract, exports */
	AUTH_COMMANDER,         /* + patrol approvals, border sections */
	AUTH_ADMIN,             /* + users, tokens, peers, settings, audit */
	AUTH_ROLE_COUNT
};

enum auth_perm {
	AUTH_READ,
	AUTH_CREATE,
	AUTH_CHANGE,            /* supersede, retract the node's records */
	AUTH_EXPORT,
	AUTH_APPROVE,           /* patrols */
	AUTH_SECTION,           /* border-section status */
	AUTH_USERS,
	AUTH_TOKENS,
	AUTH_PEERS,
	AUTH_SETTINGS,
	AUTH_AUDIT,             /* read the audit trail */
	AUTH_PERM_COUNT
};

/* "analyst" (any case) -> AUTH_ANALYST; -1 if unknown. */
int auth_role_parse(const char *s);

/* "analyst"; "unknown" out of range. Static text. */
const char *auth_role_name(int role);

/* "change"; "unknown" out of range. Static text. */
const char *auth_perm_name(int perm);

/* May role do perm? One table, the matrix of docs/permissions.md; 0 for
** any value out of range. */
int auth_allowed(int role, int perm);

/*
** The tables users, sessions and tokens (CREATE ... IF NOT EXISTS: cheap
** and idempotent; node_init and node_open call it).
*/
int auth_schema(struct store *s, struct dib_diag *d);

/* ---- Users ---- */

#define AUTH_LOGIN_MAX 64
#define AUTH_NAME_MAX 200       /* characters */
#define AUTH_PASSWORD_MIN 12    /* characters */
#define AUTH_PASSWORD_MAX 1024  /* bytes */

struct auth_user {
	int64_t id;
	char login[AUTH_LOGIN_MAX + 1];
	char name[(AUTH_NAME_MAX + 1) * 4];     /* UTF-8, may be "" */
	int role;                               /* enum auth_role */
	int disabled;
	int64_t created_at, updated_at;         /* ms */
};

/*
** Check a login: [a-z0-9._-], 2 to 64 characters. DIB_EINVAL naming
** "login".
*/
int auth_login_check(const char *login, struct dib_diag *d);

/*
** Check a new password for login: at least 12 characters (UTF-8), at most
** 1024 bytes, valid UTF-8, not the login itself (in any case).
** DIB_EINVAL naming "password"; the message never quotes the password.
*/
int auth_password_check(const char *login, const char *password,
    struct dib_diag *d);

/*
** Add a user. The password is hashed with argon2id (crypto_pwhash_str),
** interactive limits; the environment DIBOLI_PWHASH=fast selects the
** minimum limits, for tests only. DIB_EINVAL (login, role, name,
** password), DIB_EEXIST (login taken). Runs in the caller's transaction
** if any (a savepoint), else in its own.
*/
int auth_user_add(struct store *s, const char *login, int role,
    const char *name, const char *password, int64_t now,
    struct dib_diag *d);

/* Set a new password; ends the user's sessions (tokens stay).
** DIB_ENOTFOUND, DIB_EINVAL. */
int auth_user_passwd(struct store *s, const char *login,
    const char *password, int64_t now, struct dib_diag *d);

/*
** The same two with a hash made beforehand by auth_password_hash (after
** auth_password_check), so that a server hashes on a request thread and
** its single writer never waits the ~100 ms argon2id takes. out holds
** AUTH_PWHASH_LEN bytes.
*/
#define AUTH_PWHASH_LEN 128     /* crypto_pwhash_STRBYTES */
int auth_password_hash(const char *password, char *out, struct dib_diag *d);
int auth_user_add_hashed(struct store *s, const char *login, int role,
    const char *name, const char *hash, int64_t now, struct dib_diag *d);
int auth_user_passwd_hashed(struct store *s, const char *login,
    const char *hash, int64_t now, struct dib_diag *d);

/*
** Disable (1) or enable (0) a user. Disabling ends the user's sessions;
** its tokens stop working while it is disabled (they are not revoked).
** DIB_ENOTFOUND.
*/
int auth_user_set_disabled(struct store *s, const char *login,
    int disabled, int64_t now, struct dib_diag *d);

/*
** Change a user's role (role >= 0) and name (name not NULL); role -1 and
** name NULL leave them as they are. A new role holds at once, for the
** user's open sessions and tokens too. DIB_ENOTFOUND, DIB_EINVAL (role,
** name). Runs in the caller's transaction if any (a savepoint).
*/
int auth_user_update(struct store *s, const char *login, int role,
    const char *name, int64_t now, struct dib_diag *d);

/*
** When login last logged in, as far as the sessions still held tell
** (a session is dropped at logout or once expired): *at in ms, 0 when
** none is held. DIB_EDB.
*/
int auth_user_last_login(struct store *s, const char *login, int64_t *at,
    struct dib_diag *d);

/* One user by login. DIB_ENOTFOUND. */
int auth_user_get(struct store *s, const char *login, struct auth_user *u,
    struct dib_diag *d);

/* Every user, by login. *out is a new array of *n users (NULL when none);
** the caller frees it with free(). */
int auth_user_list(struct store *s, struct auth_user **out, size_t *n,
    struct dib_diag *d);

/* ---- Sessions (cookie) and tokens (bearer) ---- */

#define AUTH_TOKEN_LEN 43       /* base64url of 32 random bytes, no '=' */
#define AUTH_SESSION_ABSOLUTE_MS (12LL * 3600 * 1000)
#define AUTH_SESSION_IDLE_MS (30LL * 60 * 1000)
#define AUTH_TOKEN_MAX_DAYS 3650
#define AUTH_LABEL_MAX 200      /* bytes */

struct auth_session {
	char token[AUTH_TOKEN_LEN + 1];         /* the cookie value */
	char csrf[AUTH_TOKEN_LEN + 1];          /* to echo in a header */
	struct auth_user user;
	int64_t expires_at;                     /* if not used before, ms */
};

struct auth_throttle;

/*
** Check the password and, on success, create a session (the token is
** stored only as its BLAKE2b-256 hash). A wrong login, a wrong password
** and a disabled user all give the same DIB_EUNAUTH "login or password is
** wrong"; an unknown login is checked against a dummy hash so that it
** takes as long. The throttle (t may be NULL) is checked first
** (DIB_ETHROTTLED) and told the outcome. addr may be NULL. Expired
** sessions are swept. A hash made with other limits than the current
** ones is remade on success.
*/
int auth_login(struct store *s, struct auth_throttle *t, const char *login,
    const char *password, const char *addr, int64_t now,
    struct auth_session *out, struct dib_diag *d);

/*
** The session of a token: DIB_EUNAUTH when unknown, expired (12 h after
** login, or 30 min without use) or its user disabled. Refreshes its last
** use at most once a minute (a write).
*/
int auth_session_check(struct store *s, const char *token, int64_t now,
    struct auth_session *out, struct dib_diag *d);

/* End the session of token (none is fine). */
int auth_logout(struct store *s, const char *token, struct dib_diag *d);

/*
** A bearer token for login (an enabled user), valid expires_days days
** (0: until revoked; at most 3650), with a label (<= 200 bytes). The token
** text goes to token (shown once: only its hash is kept), its row id to
** *id. DIB_ENOTFOUND, DIB_EINVAL, DIB_ECONFLICT (user disabled).
*/
int auth_token_create(struct store *s, const char *login, int expires_days,
    const char *label, int64_t now, char token[AUTH_TOKEN_LEN + 1],
    int64_t *id, struct dib_diag *d);

/*
** The user of a bearer token: DIB_EUNAUTH if unknown, revoked, expired or
** its user disabled. Updates last_used_at at most once a minute.
*/
int auth_token_check(struct store *s, const char *token, int64_t now,
    struct auth_user *u, struct dib_diag *d);

/* Revoke token id. DIB_ENOTFOUND, DIB_ECONFLICT (already revoked). */
int auth_token_revoke(struct store *s, int64_t id, int64_t now,
    struct dib_diag *d);

struct auth_token_info {
	int64_t id;
	char login[AUTH_LOGIN_MAX + 1];
	char label[AUTH_LABEL_MAX + 1];
	int64_t created_at;
	int64_t expires_at;     /* 0: never */
	int64_t revoked_at;     /* 0: not revoked */
	int64_t last_used_at;   /* 0: never used */
};

/* Every token, by id. *out is a new array (NULL when none); the caller
** frees it with free(). */
int auth_token_list(struct store *s, struct auth_token_info **out,
    size_t *n, struct dib_diag *d);

/* Is presented (may be NULL) the session's CSRF token? Constant time. */
int auth_csrf_ok(const struct auth_session *s, const char *presented);

/* ---- Throttling of failed logins (in memory, thread-safe) ---- */

#define AUTH_THROTTLE_LOGIN_FREE 5      /* failures before any delay */
#define AUTH_THROTTLE_ADDR_FREE 20
#define AUTH_THROTTLE_FIRST_MS 1000LL   /* first delay, then doubling */
#define AUTH_THROTTLE_MAX_MS (15LL * 60 * 1000)
#define AUTH_THROTTLE_FORGET_MS (3600LL * 1000)
#define AUTH_THROTTLE_KEYS 4096         /* the oldest is evicted */

/* NULL when out of memory. Free with auth_throttle_free (accepts NULL). */
struct auth_throttle *auth_throttle_new(void);
void auth_throttle_free(struct auth_throttle *t);

/*
** DIB_ETHROTTLED, with the seconds to wait in the message, when login or
** addr (either may be NULL) failed too often: after 5 failures of a login
** or 20 of an address, each next attempt waits 1 s after the last
** failure, doubling up to 15 min. Forgotten an hour after the last
** failure. t may be NULL (no throttle).
*/
int auth_throttle_check(struct auth_throttle *t, const char *login,
    const char *addr, int64_t now, struct dib_diag *d);

/* Count a failed attempt. */
void auth_throttle_fail(struct auth_throttle *t, const char *login,
    const char *addr, int64_t now);

/* A success: forget the failures of this login and this address. */
void auth_throttle_ok(struct auth_throttle *t, const char *login,
    const char *addr);

/* ---- Notices seen ---- */

/*
** Which of the partner's notices (docs/sections.md) each user has seen:
** kept per user on this node, so that a commander's unread count is the
** same in every browser. AUTH_SEEN_MAX ids at most in one mark.
*/
#define AUTH_SEEN_MAX 500

/* The ids login has marked: a new array of *n (NULL when none). */
int auth_seen_list(struct store *s, const char *login, uint8_t (**ids)[16],
    size_t *n, struct dib_diag *d);

/* Mark ids[0..n) seen by login at now; *added: how many were not yet. */
int auth_seen_mark(struct store *s, const char *login,
    const uint8_t (*ids)[16], size_t n, int64_t now, size_t *added,
    struct dib_diag *d);

#endif
