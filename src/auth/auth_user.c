/*
** Roles and the permission matrix, the auth tables, and user accounts
** with argon2id password hashes.
*/
#include "auth/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "auth/auth_int.h"
#include "util/util.h"

static const char *const role_names[AUTH_ROLE_COUNT] = {
	[AUTH_VIEWER] = "viewer",
	[AUTH_REPORTER] = "reporter",
	[AUTH_ANALYST] = "analyst",
	[AUTH_COMMANDER] = "commander",
	[AUTH_ADMIN] = "admin",
};

static const char *const perm_names[AUTH_PERM_COUNT] = {
	[AUTH_READ] = "read",
	[AUTH_CREATE] = "create",
	[AUTH_CHANGE] = "change",
	[AUTH_EXPORT] = "export",
	[AUTH_APPROVE] = "approve",
	[AUTH_SECTION] = "section",
	[AUTH_USERS] = "users",
	[AUTH_TOKENS] = "tokens",
	[AUTH_PEERS] = "peers",
	[AUTH_SETTINGS] = "settings",
	[AUTH_AUDIT] = "audit",
};

/*
** The matrix, as in docs/permissions.md (the unit test reads that page
** and compares). Each role holds every permission of the one before.
*/
static const unsigned char matrix[AUTH_ROLE_COUNT][AUTH_PERM_COUNT] = {
	/*               read create change export approve section
	 *               users tokens peers settings audit */
	[AUTH_VIEWER] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
	[AUTH_REPORTER] = {1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0},
	[AUTH_ANALYST] = {1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0},
	[AUTH_COMMANDER] = {1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0},
	[AUTH_ADMIN] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
};

int
auth_role_parse(const char *s)
{
	int i;

	if (s == NULL)
		return -1;
	for (i = 0; i < AUTH_ROLE_COUNT; i++)
		if (strcasecmp(s, role_names[i]) == 0)
			return i;
	return -1;
}

const char *
auth_role_name(int role)
{
	if (role < 0 || role >= AUTH_ROLE_COUNT)
		return "unknown";
	return role_names[role];
}

const char *
auth_perm_name(int perm)
{
	if (perm < 0 || perm >= AUTH_PERM_COUNT)
		return "unknown";
	return perm_names[perm];
}

int
auth_allowed(int role, int perm)
{
	if (role < 0 || role >= AUTH_ROLE_COUNT || perm < 0 ||
	    perm >= AUTH_PERM_COUNT)
		return 0;
	return matrix[role][perm];
}

/*
** Roles are kept by name so that the database reads plainly. Sessions and
** tokens are kept only as hashes of their text.
*/
static const char schema[] =
    "CREATE TABLE IF NOT EXISTS users(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  login TEXT NOT NULL UNIQUE,\n"
    "  name TEXT NOT NULL DEFAULT '',\n"
    "  role TEXT NOT NULL CHECK(role IN ('viewer', 'reporter', 'analyst',"
    " 'commander', 'admin')),\n"
    "  pwhash TEXT NOT NULL,\n"
    "  disabled INTEGER NOT NULL DEFAULT 0 CHECK(disabled IN (0, 1)),\n"
    "  created_at INTEGER NOT NULL,\n"
    "  updated_at INTEGER NOT NULL);\n"
    "CREATE TABLE IF NOT EXISTS sessions(\n"
    "  hash BLOB PRIMARY KEY,\n"
    "  user INTEGER NOT NULL REFERENCES users(id),\n"
    "  csrf TEXT NOT NULL,\n"
    "  created_at INTEGER NOT NULL,\n"
    "  seen_at INTEGER NOT NULL,\n"
    "  addr TEXT) WITHOUT ROWID;\n"
    "CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user);\n"
    "CREATE TABLE IF NOT EXISTS tokens(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  hash BLOB NOT NULL UNIQUE,\n"
    "  user INTEGER NOT NULL REFERENCES users(id),\n"
    "  label TEXT NOT NULL DEFAULT '',\n"
    "  created_at INTEGER NOT NULL,\n"
    "  expires_at INTEGER,\n"
    "  revoked_at INTEGER,\n"
    "  last_used_at INTEGER);\n"
    /* Notices each user has seen (auth_seen_*). */
    "CREATE TABLE IF NOT EXISTS notice_seen(\n"
    "  user INTEGER NOT NULL REFERENCES users(id),\n"
    "  id BLOB NOT NULL CHECK(length(id) = 16),\n"
    "  at INTEGER NOT NULL,\n"
    "  PRIMARY KEY(user, id)) WITHOUT ROWID;\n";

int
auth_schema(struct store *s, struct dib_diag *d)
{
	/* Already there (every open but the first): no write at all. */
	if (store_count(s, "SELECT count(*) FROM sqlite_schema WHERE name IN "
	    "('users', 'sessions', 'sessions_user', 'tokens', 'notice_seen')")
	    == 5)
		return DIB_OK;
	return store_exec(s, schema, d);
}

/* ---- transactions, shared by auth/ ---- */

int
auth_tx_begin(struct store *s, int *own, struct dib_diag *d)
{
	*own = sqlite3_get_autocommit(s->db) != 0;
	return store_exec(s, *own ? "BEGIN IMMEDIATE" : "SAVEPOINT auth", d);
}

int
auth_tx_end(struct store *s, int own, int rc, struct dib_diag *d)
{
	if (own) {
		if (rc == 0 && (rc = store_exec(s, "COMMIT", d)) == 0)
			return DIB_OK;
		if (!sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	if (rc != 0)
		sqlite3_exec(s->db, "ROLLBACK TO auth", NULL, NULL, NULL);
	sqlite3_exec(s->db, "RELEASE auth", NULL, NULL, NULL);
	return rc;
}

/* ---- checks ---- */

int
auth_login_check(const char *login, struct dib_diag *d)
{
	size_t i, n;

	if (login == NULL || *login == '\0')
		return dib_fail(d, DIB_EINVAL, "login", "is required");
	n = strlen(login);
	if (n < 2 || n > AUTH_LOGIN_MAX)
		return dib_fail(d, DIB_EINVAL, "login", "must be 2 to %d "
		    "characters, got %zu", AUTH_LOGIN_MAX, n);
	for (i = 0; i < n; i++) {
		char c = login[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-'))
			return dib_fail(d, DIB_EINVAL, "login", "may only hold "
			    "a-z, 0-9, '.', '_' and '-' (character %zu is "
			    "not one of them)", i + 1);
	}
	return DIB_OK;
}

int
auth_password_check(const char *login, const char *password,
    struct dib_diag *d)
{
	const unsigned char *p;
	size_t n, chars = 0;

	if (password == NULL || *password == '\0')
		return dib_fail(d, DIB_EINVAL, "password", "is required");
	n = strlen(password);
	if (n > AUTH_PASSWORD_MAX)
		return dib_fail(d, DIB_EINVAL, "password", "must be at most %d "
		    "bytes, got %zu", AUTH_PASSWORD_MAX, n);
	if (!util_utf8_valid(password, n))
		return dib_fail(d, DIB_EINVAL, "password", "is not valid UTF-8");
	for (p = (const unsigned char *)password; *p; p++)
		chars += (*p & 0xc0) != 0x80;
	if (chars < AUTH_PASSWORD_MIN)
		return dib_fail(d, DIB_EINVAL, "password", "must be at least %d "
		    "characters, got %zu", AUTH_PASSWORD_MIN, chars);
	if (login != NULL && strcasecmp(password, login) == 0)
		return dib_fail(d, DIB_EINVAL, "password", "must not be the "
		    "login");
	return DIB_OK;
}

static int
check_name(const char *name, struct dib_diag *d)
{
	const unsigned char *p;
	size_t chars = 0;

	if (!util_utf8_valid(name, strlen(name)))
		return dib_fail(d, DIB_EINVAL, "name", "is not valid UTF-8");
	for (p = (const unsigned char *)name; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return dib_fail(d, DIB_EINVAL, "name",
			    "contains a control character");
		chars += (*p & 0xc0) != 0x80;
	}
	if (chars > AUTH_NAME_MAX)
		return dib_fail(d, DIB_EINVAL, "name", "is longer than %d "
		    "characters", AUTH_NAME_MAX);
	return DIB_OK;
}

/* ---- password hashes ---- */

void
auth_pw_limits(unsigned long long *ops, size_t *mem)
{
	const char *e = getenv("DIBOLI_PWHASH");

	if (e != NULL && strcmp(e, "fast") == 0) {
		/* Tests only: thousands of hashes per second. */
		*ops = crypto_pwhash_OPSLIMIT_MIN;
		*mem = crypto_pwhash_MEMLIMIT_MIN;
	} else {
		*ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
		*mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	}
}

int
auth_pw_hash(const char *password, char *out, struct dib_diag *d)
{
	unsigned long long ops;
	size_t mem;

	if (sodium_init() < 0)
		return dib_fail(d, DIB_ECRYPTO, "", "libsodium failed to start");
	auth_pw_limits(&ops, &mem);
	if (crypto_pwhash_str(out, password, strlen(password), ops, mem) != 0)
		return dib_fail(d, DIB_ENOMEM, "password", "out of memory "
		    "hashing the password");
	return DIB_OK;
}

/* ---- users ---- */

static void
copy_col(char *out, size_t n, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	snprintf(out, n, "%s", t ? (const char *)t : "");
}

void
auth_user_from_row(sqlite3_stmt *st, int first, struct auth_user *u)
{
	char role[32];

	memset(u, 0, sizeof *u);
	u->id = sqlite3_column_int64(st, first);
	copy_col(u->login, sizeof u->login, st, first + 1);
	copy_col(u->name, sizeof u->name, st, first + 2);
	copy_col(role, sizeof role, st, first + 3);
	u->role = auth_role_parse(role);
	u->disabled = sqlite3_column_int(st, first + 4) != 0;
	u->created_at = sqlite3_column_int64(st, first + 5);
	u->updated_at = sqlite3_column_int64(st, first + 6);
}

int
auth_user_get(struct store *s, const char *login, struct auth_user *u,
    struct dib_diag *d)
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(u, 0, sizeof *u);
	u->role = -1;
	if (sqlite3_prepare_v2(s->db, "SELECT " AUTH_USER_COLS " FROM users u "
	    "WHERE u.login = ?1", -1, &st, NULL) != SQLITE_OK)
		return store_dberr(s, d, "users");
	sqlite3_bind_text(st, 1, login ? login : "", -1, SQLITE_STATIC);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		auth_user_from_row(st, 0, u);
		rc = DIB_OK;
		break;
	case SQLITE_DONE:
		rc = dib_fail(d, DIB_ENOTFOUND, "login", "no user \"%.64s\"",
		    login ? login : "");
		break;
	default:
		rc = store_dberr(s, d, "users");
	}
	sqlite3_finalize(st);
	return rc;
}

int
auth_user_list(struct store *s, struct auth_user **out, size_t *n,
    struct dib_diag *d)
{
	sqlite3_stmt *st = NULL;
	struct auth_user *v = NULL, *nv;
	size_t cap = 0, len = 0;
	int rc = DIB_OK, step;

	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT " AUTH_USER_COLS " FROM users u "
	    "ORDER BY u.login", -1, &st, NULL) != SQLITE_OK)
		return store_dberr(s, d, "users");
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (len == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = realloc(v, cap * sizeof *v)) == NULL) {
				rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
				goto out;
			}
			v = nv;
		}
		auth_user_from_row(st, 0, &v[len++]);
	}
	if (step != SQLITE_DONE) {
		rc = store_dberr(s, d, "users");
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

/* Run sql with text ?1 and integers ?2, ?3; *changes gets the row count. */
static int
run(struct store *s, const char *sql, const char *text, int64_t a,
    int64_t b, int *changes, struct dib_diag *d)
{
	sqlite3_stmt *st = NULL;
	int rc = DIB_OK;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return store_dberr(s, d, "users");
	sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, a);
	if (sqlite3_bind_parameter_count(st) >= 3)
		sqlite3_bind_int64(st, 3, b);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_dberr(s, d, "users");
	else if (changes != NULL)
		*changes = sqlite3_changes(s->db);
	sqlite3_finalize(st);
	return rc;
}

static int
end_sessions(struct store *s, const char *login, struct dib_diag *d)
{
	return run(s, "DELETE FROM sessions WHERE user = "
	    "(SELECT id FROM users WHERE login = ?1)", login, 0, 0, NULL, d);
}

int
auth_password_hash(const char *password, char *out, struct dib_diag *d)
{
	return auth_pw_hash(password, out, d);
}

int
auth_user_add(struct store *s, const char *login, int role,
    const char *name, const char *password, int64_t now,
    struct dib_diag *d)
{
	char hash[crypto_pwhash_STRBYTES];
	int rc;

	if ((rc = auth_login_check(login, d)) != 0)
		return rc;
	if ((rc = auth_password_check(login, password, d)) != 0)
		return rc;
	/* Hash before taking the write lock: it takes a while. */
	if ((rc = auth_pw_hash(password, hash, d)) != 0)
		return rc;
	rc = auth_user_add_hashed(s, login, role, name, hash, now, d);
	sodium_memzero(hash, sizeof hash);
	return rc;
}

int
auth_user_add_hashed(struct store *s, const char *login, int role,
    const char *name, const char *hash, int64_t now, struct dib_diag *d)
{
	sqlite3_stmt *st = NULL;
	int rc, own;

	if (name == NULL)
		name = "";
	if ((rc = auth_login_check(login, d)) != 0)
		return rc;
	if (role < 0 || role >= AUTH_ROLE_COUNT)
		return dib_fail(d, DIB_EINVAL, "role", "must be viewer, "
		    "reporter, analyst, commander or admin");
	if ((rc = check_name(name, d)) != 0)
		return rc;
	if (hash == NULL || strncmp(hash, "$argon2id$", 10) != 0)
		return dib_fail(d, DIB_EINVAL, "password", "not an argon2id "
		    "hash");
	if ((rc = auth_tx_begin(s, &own, d)) != 0)
		goto out;
	if (sqlite3_prepare_v2(s->db, "INSERT INTO users(login, name, role, "
	    "pwhash, created_at, updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?5)",
	    -1, &st, NULL) != SQLITE_OK) {
		rc = store_dberr(s, d, "users");
		goto end;
	}
	sqlite3_bind_text(st, 1, login, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, auth_role_name(role), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, now);
	if (sqlite3_step(st) != SQLITE_DONE) {
		if (sqlite3_extended_errcode(s->db) ==
		    SQLITE_CONSTRAINT_UNIQUE)
			rc = dib_fail(d, DIB_EEXIST, "login", "user \"%s\" "
			    "already exists", login);
		else
			rc = store_dberr(s, d, "users");
	}
end:
	sqlite3_finalize(st);
	rc = auth_tx_end(s, own, rc, d);
out:
	return rc;
}

int
auth_user_passwd(struct store *s, const char *login, const char *password,
    int64_t now, struct dib_diag *d)
{
	char hash[crypto_pwhash_STRBYTES];
	struct auth_user u;
	int rc;

	if ((rc = auth_user_get(s, login, &u, d)) != 0 ||
	    (rc = auth_password_check(login, password, d)) != 0)
		return rc;
	if ((rc = auth_pw_hash(password, hash, d)) != 0)
		return rc;
	rc = auth_user_passwd_hashed(s, login, hash, now, d);
	sodium_memzero(hash, sizeof hash);
	return rc;
}

int
auth_user_passwd_hashed(struct store *s, const char *login,
    const char *hash, int64_t now, struct dib_diag *d)
{
	struct auth_user u;
	int rc, own, changes = 0;

	if ((rc = auth_user_get(s, login, &u, d)) != 0)
		return rc;
	if (hash == NULL || strncmp(hash, "$argon2id$", 10) != 0)
		return dib_fail(d, DIB_EINVAL, "password", "not an argon2id "
		    "hash");
	if ((rc = auth_tx_begin(s, &own, d)) != 0)
		goto out;
	rc = run(s, "UPDATE users SET pwhash = ?1, updated_at = ?2 "
	    "WHERE id = ?3", hash, now, u.id, &changes, d);
	if (rc == 0 && changes == 0)
		rc = dib_fail(d, DIB_ENOTFOUND, "login", "no user \"%s\"", login);
	if (rc == 0)
		rc = end_sessions(s, login, d);
	rc = auth_tx_end(s, own, rc, d);
out:
	return rc;
}

int
auth_user_set_disabled(struct store *s, const char *login, int disabled,
    int64_t now, struct dib_diag *d)
{
	int rc, own, changes = 0;

	if ((rc = auth_tx_begin(s, &own, d)) != 0)
		return rc;
	rc = run(s, "UPDATE users SET disabled = ?2, updated_at = ?3 "
	    "WHERE login = ?1", login ? login : "", disabled != 0, now,
	    &changes, d);
	if (rc == 0 && changes == 0)
		rc = dib_fail(d, DIB_ENOTFOUND, "login", "no user \"%.64s\"",
		    login ? login : "");
	if (rc == 0 && disabled)
		rc = end_sessions(s, login, d);
	return auth_tx_end(s, own, rc, d);
}

int
auth_user_update(struct store *s, const char *login, int role,
    const char *name, int64_t now, struct dib_diag *d)
{
	sqlite3_stmt *st = NULL;
	int rc, own, changes = 0;

	if (role >= AUTH_ROLE_COUNT || role < -1)
		return dib_fail(d, DIB_EINVAL, "role", "must be viewer, "
		    "reporter, analyst, commander or admin");
	if (name != NULL && (rc = check_name(name, d)) != 0)
		return rc;
	if ((rc = auth_tx_begin(s, &own, d)) != 0)
		return rc;
	if (sqlite3_prepare_v2(s->db, "UPDATE users SET role = coalesce(?2, "
	    "role), name = coalesce(?3, name), updated_at = ?4 WHERE login = "
	    "?1", -1, &st, NULL) != SQLITE_OK) {
		rc = store_dberr(s, d, "users");
		goto out;
	}
	sqlite3_bind_text(st, 1, login ? login : "", -1, SQLITE_STATIC);
	if (role >= 0)
		sqlite3_bind_text(st, 2, auth_role_name(role), -1,
		    SQLITE_STATIC);
	if (name != NULL)
		sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_dberr(s, d, "users");
	else
		changes = sqlite3_changes(s->db);
	if (rc == 0 && changes == 0)
		rc = dib_fail(d, DIB_ENOTFOUND, "login", "no user \"%.64s\"",
		    login ? login : "");
out:
	sqlite3_finalize(st);
	return auth_tx_end(s, own, rc, d);
}

int
auth_user_last_login(struct store *s, const char *login, int64_t *at,
    struct dib_diag *d)
{
	sqlite3_stmt *st = NULL;
	int rc = DIB_OK;

	*at = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT max(s.created_at) FROM sessions "
	    "s JOIN users u ON u.id = s.user WHERE u.login = ?1", -1, &st,
	    NULL) != SQLITE_OK)
		return store_dberr(s, d, "sessions");
	sqlite3_bind_text(st, 1, login ? login : "", -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		*at = sqlite3_column_int64(st, 0);
	else
		rc = store_dberr(s, d, "sessions");
	sqlite3_finalize(st);
	return rc;
}

/* ---- notices seen ---- */

int
auth_seen_list(struct store *s, const char *login, uint8_t (**ids)[16],
    size_t *n, struct dib_diag *d)
{
	sqlite3_stmt *st = NULL;
	uint8_t (*v)[16] = NULL, (*nv)[16];
	size_t cap = 0;
	int rc = DIB_OK, step;

	*ids = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT ns.id FROM notice_seen ns JOIN "
	    "users u ON u.id = ns.user WHERE u.login = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return store_dberr(s, d, "notices");
	sqlite3_bind_text(st, 1, login, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) != 16)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 32;
			if ((nv = realloc(v, cap * sizeof *v)) == NULL) {
				rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
				goto out;
			}
			v = nv;
		}
		memcpy(v[(*n)++], sqlite3_column_blob(st, 0), 16);
	}
	if (step != SQLITE_DONE)
		rc = store_dberr(s, d, "notices");
out:
	sqlite3_finalize(st);
	if (rc != 0) {
		free(v);
		*n = 0;
		return rc;
	}
	*ids = v;
	return DIB_OK;
}

int
auth_seen_mark(struct store *s, const char *login,
    const uint8_t (*ids)[16], size_t n, int64_t now, size_t *added,
    struct dib_diag *d)
{
	struct auth_user u;
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc, own;

	*added = 0;
	if (n > AUTH_SEEN_MAX)
		return dib_fail(d, DIB_EINVAL, "ids", "at most %d ids at once, "
		    "got %zu", AUTH_SEEN_MAX, n);
	if ((rc = auth_user_get(s, login, &u, d)) != 0)
		return rc;
	if ((rc = auth_tx_begin(s, &own, d)) != 0)
		return rc;
	if (sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO notice_seen(user, "
	    "id, at) VALUES(?1, ?2, ?3)", -1, &st, NULL) != SQLITE_OK) {
		rc = store_dberr(s, d, "notices");
		goto out;
	}
	for (i = 0; i < n; i++) {
		sqlite3_bind_int64(st, 1, u.id);
		sqlite3_bind_blob(st, 2, ids[i], 16, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, now);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = store_dberr(s, d, "notices");
			goto out;
		}
		*added += (size_t)sqlite3_changes(s->db);
		sqlite3_reset(st);
	}
out:
	sqlite3_finalize(st);
	return auth_tx_end(s, own, rc, d);
}
