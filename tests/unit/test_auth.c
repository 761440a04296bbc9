/*
** Unit tests of auth/: the role matrix against docs/permissions.md,
** login and password rules, users, logins, sessions, CSRF, tokens and
** the throttle. Passwords are hashed with DIBOLI_PWHASH=fast.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "audit/audit.h"
#include "auth/auth.h"
#include "node/node.h"
#include "store/store.h"

#define T0 1740124800000LL      /* 2025-02-21T08:00:00Z */
#define MIN (60LL * 1000)
#define PW "correct horse battery"
#define WRONG "wrong horse battery!"

static int
setup(void **state)
{
	struct store *s = NULL;
	struct dib_diag d;

	if (store_open(":memory:", 1, &s, &d) != 0 ||
	    auth_schema(s, &d) != 0 || audit_schema(s, &d) != 0)
		return -1;
	*state = s;
	return 0;
}

static int
teardown(void **state)
{
	store_close(*state);
	return 0;
}

static void
add(struct store *s, const char *login, int role)
{
	struct dib_diag d;

	assert_int_equal(auth_user_add(s, login, role, "Awa Diallo", PW, T0,
	    &d), 0);
}

/* ---- roles ---- */

/* The matrix of docs/permissions.md: row per permission, ✓ per role. */
static void
test_matrix_matches_doc(void **state)
{
	char path[4096], line[1024], *cell[16], *p, *rest;
	int seen[AUTH_PERM_COUNT] = {0}, perm, role, n;
	FILE *f;

	(void)state;
	snprintf(path, sizeof path, "%s", __FILE__);
	p = strrchr(path, '/');
	assert_non_null(p);
	snprintf(p, sizeof path - (size_t)(p - path),
	    "/../../docs/permissions.md");
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, "| `", 3) != 0)
			continue;
		n = 0;
		rest = line + 1;
		while ((p = strsep(&rest, "|")) != NULL && n < 16)
			cell[n++] = p;
		/* permission, what, then one cell per role (and "\n"). */
		if (n < 2 + AUTH_ROLE_COUNT)
			continue;
		for (perm = 0; perm < AUTH_PERM_COUNT; perm++) {
			char name[40];

			snprintf(name, sizeof name, " `%s` ",
			    auth_perm_name(perm));
			if (strcmp(cell[0], name) == 0)
				break;
		}
		if (perm == AUTH_PERM_COUNT)
			continue;       /* the roles table */
		seen[perm]++;
		for (role = 0; role < AUTH_ROLE_COUNT; role++) {
			int yes = strstr(cell[2 + role], "✓") != NULL;

			if (yes != auth_allowed(role, perm))
				fail_msg("docs/permissions.md says %s %s %s, "
				    "the code says otherwise",
				    auth_role_name(role), yes ? "may" :
				    "may not", auth_perm_name(perm));
		}
	}
	fclose(f);
	for (perm = 0; perm < AUTH_PERM_COUNT; perm++)
		if (seen[perm] != 1)
			fail_msg("docs/permissions.md has %d rows for %s",
			    seen[perm], auth_perm_name(perm));
}

static void
test_roles(void **state)
{
	static const int expect[AUTH_ROLE_COUNT] = {1, 2, 4, 6, 11};
	int role, perm, count;

	(void)state;
	for (role = 0; role < AUTH_ROLE_COUNT; role++) {
		assert_int_equal(auth_role_parse(auth_role_name(role)), role);
		for (count = 0, perm = 0; perm < AUTH_PERM_COUNT; perm++) {
			count += auth_allowed(role, perm);
			/* Each role holds what the one before holds. */
			if (role > 0 && auth_allowed(role - 1, perm))
				assert_true(auth_allowed(role, perm));
		}
		assert_int_equal(count, expect[role]);
	}
	assert_int_equal(auth_role_parse("Admin"), AUTH_ADMIN);
	assert_int_equal(auth_role_parse("root"), -1);
	assert_int_equal(auth_role_parse(""), -1);
	assert_int_equal(auth_role_parse(NULL), -1);
	assert_string_equal(auth_role_name(-1), "unknown");
	assert_string_equal(auth_role_name(AUTH_ROLE_COUNT), "unknown");
	assert_string_equal(auth_perm_name(AUTH_CHANGE), "change");
	assert_string_equal(auth_perm_name(AUTH_PERM_COUNT), "unknown");
	assert_false(auth_allowed(-1, AUTH_READ));
	assert_false(auth_allowed(AUTH_ROLE_COUNT, AUTH_READ));
	assert_false(auth_allowed(AUTH_ADMIN, -1));
	assert_false(auth_allowed(AUTH_ADMIN, AUTH_PERM_COUNT));
	assert_true(auth_allowed(AUTH_REPORTER, AUTH_CREATE));
	assert_false(auth_allowed(AUTH_REPORTER, AUTH_CHANGE));
	assert_true(auth_allowed(AUTH_COMMANDER, AUTH_APPROVE));
	assert_false(auth_allowed(AUTH_COMMANDER, AUTH_AUDIT));
}

/* ---- rules ---- */

static void
test_login_rules(void **state)
{
	struct dib_diag d;
	char long_login[80];

	(void)state;
	assert_int_equal(auth_login_check("awa.diallo-2_x", &d), 0);
	assert_int_equal(auth_login_check("ab", &d), 0);
	assert_int_equal(auth_login_check("a", &d), DIB_EINVAL);
	assert_string_equal(d.field, "login");
	assert_int_equal(auth_login_check("", &d), DIB_EINVAL);
	assert_int_equal(auth_login_check(NULL, &d), DIB_EINVAL);
	assert_int_equal(auth_login_check("Awa", &d), DIB_EINVAL);
	assert_string_equal(d.field, "login");
	assert_int_equal(auth_login_check("awa diallo", &d), DIB_EINVAL);
	assert_int_equal(auth_login_check("awa@post", &d), DIB_EINVAL);
	assert_int_equal(auth_login_check("aïssa", &d), DIB_EINVAL);
	memset(long_login, 'a', 64);
	long_login[64] = '\0';
	assert_int_equal(auth_login_check(long_login, &d), 0);
	long_login[64] = 'a';
	long_login[65] = '\0';
	assert_int_equal(auth_login_check(long_login, &d), DIB_EINVAL);
	assert_non_null(strstr(d.msg, "64"));
}

static void
test_password_rules(void **state)
{
	struct dib_diag d;
	char big[1100];

	(void)state;
	assert_int_equal(auth_password_check("awa", "twelve chars", &d), 0);
	assert_int_equal(auth_password_check("awa", "eleven char", &d),
	    DIB_EINVAL);
	assert_string_equal(d.field, "password");
	assert_non_null(strstr(d.msg, "at least 12"));
	assert_null(strstr(d.msg, "eleven"));   /* never quoted */
	/* Characters, not bytes: 12 two-byte letters pass, 11 do not. */
	assert_int_equal(auth_password_check("awa", "éééééééééééé", &d), 0);
	assert_int_equal(auth_password_check("awa", "ééééééééééé", &d),
	    DIB_EINVAL);
	assert_int_equal(auth_password_check("awa.diallo.sn",
	    "awa.diallo.sn", &d), DIB_EINVAL);
	assert_non_null(strstr(d.msg, "login"));
	assert_int_equal(auth_password_check("awa.diallo.sn",
	    "AWA.DIALLO.SN", &d), DIB_EINVAL);
	assert_int_equal(auth_password_check("awa", "", &d), DIB_EINVAL);
	assert_int_equal(auth_password_check("awa", NULL, &d), DIB_EINVAL);
	assert_int_equal(auth_password_check("awa", "\xff\xfe long enough "
	    "password", &d), DIB_EINVAL);
	memset(big, 'x', 1024);
	big[1024] = '\0';
	assert_int_equal(auth_password_check("awa", big, &d), 0);
	big[1024] = 'x';
	big[1025] = '\0';
	assert_int_equal(auth_password_check("awa", big, &d), DIB_EINVAL);
	assert_non_null(strstr(d.msg, "1024"));
}

/* ---- users ---- */

static void
test_user_add_get_list(void **state)
{
	struct store *s = *state;
	struct auth_user u, *v = NULL;
	struct dib_diag d;
	size_t n;

	add(s, "zoe", AUTH_VIEWER);
	add(s, "awa", AUTH_ANALYST);
	assert_int_equal(auth_user_add(s, "awa", AUTH_ADMIN, "", PW, T0, &d),
	    DIB_EEXIST);
	assert_string_equal(d.field, "login");
	assert_int_equal(auth_user_add(s, "Bad Login", AUTH_ADMIN, "", PW, T0,
	    &d), DIB_EINVAL);
	assert_string_equal(d.field, "login");
	assert_int_equal(auth_user_add(s, "bob", 7, "", PW, T0, &d),
	    DIB_EINVAL);
	assert_string_equal(d.field, "role");
	assert_int_equal(auth_user_add(s, "bob", AUTH_VIEWER, "x\ny", PW, T0,
	    &d), DIB_EINVAL);
	assert_string_equal(d.field, "name");
	assert_int_equal(auth_user_add(s, "bob", AUTH_VIEWER, "", "short",
	    T0, &d), DIB_EINVAL);
	assert_string_equal(d.field, "password");
	assert_int_equal(auth_user_add(s, "bobby.sn", AUTH_VIEWER, "",
	    "bobby.sn", T0, &d), DIB_EINVAL);
	assert_int_equal(auth_user_get(s, "bob", &u, &d), DIB_ENOTFOUND);

	assert_int_equal(auth_user_get(s, "awa", &u, &d), 0);
	assert_string_equal(u.login, "awa");
	assert_string_equal(u.name, "Awa Diallo");
	assert_int_equal(u.role, AUTH_ANALYST);
	assert_int_equal(u.disabled, 0);
	assert_int_equal(u.created_at, T0);
	assert_int_equal(auth_user_list(s, &v, &n, &d), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].login, "awa");
	assert_string_equal(v[1].login, "zoe");
	assert_int_equal(v[1].role, AUTH_VIEWER);
	free(v);
	/* argon2id, never the password itself. */
	assert_int_equal(store_count(s, "SELECT count(*) FROM users WHERE "
	    "pwhash LIKE '$argon2id$%'"), 2);
	assert_int_equal(store_count(s, "SELECT count(*) FROM users WHERE "
	    "instr(pwhash, 'horse') > 0"), 0);
}

static void
test_user_passwd_disable(void **state)
{
	struct store *s = *state;
	struct auth_session ses;
	struct auth_user u;
	struct dib_diag d;

	add(s, "awa", AUTH_REPORTER);
	assert_int_equal(auth_login(s, NULL, "awa", PW, "10.0.0.1", T0, &ses,
	    &d), 0);
	assert_int_equal(auth_user_passwd(s, "awa", "short", T0, &d),
	    DIB_EINVAL);
	assert_int_equal(auth_user_passwd(s, "nobody", PW, T0, &d),
	    DIB_ENOTFOUND);
	assert_int_equal(auth_user_passwd(s, "awa", "a new long password",
	    T0 + MIN, &d), 0);
	/* The session ended; the old password no longer works. */
	assert_int_equal(auth_session_check(s, ses.token, T0 + MIN, &ses,
	    &d), DIB_EUNAUTH);
	assert_int_equal(auth_login(s, NULL, "awa", PW, NULL, T0 + MIN, &ses,
	    &d), DIB_EUNAUTH);
	assert_int_equal(auth_login(s, NULL, "awa", "a new long password",
	    NULL, T0 + MIN, &ses, &d), 0);
	assert_int_equal(auth_user_get(s, "awa", &u, &d), 0);
	assert_int_equal(u.updated_at, T0 + MIN);

	assert_int_equal(auth_user_set_disabled(s, "awa", 1, T0 + 2 * MIN,
	    &d), 0);
	assert_int_equal(auth_session_check(s, ses.token, T0 + 2 * MIN, &ses,
	    &d), DIB_EUNAUTH);
	assert_int_equal(store_count(s, "SELECT count(*) FROM sessions"), 0);
	assert_int_equal(auth_user_get(s, "awa", &u, &d), 0);
	assert_int_equal(u.disabled, 1);
	assert_int_equal(auth_user_set_disabled(s, "nobody", 1, T0, &d),
	    DIB_ENOTFOUND);
	assert_int_equal(auth_user_set_disabled(s, "awa", 0, T0 + 3 * MIN,
	    &d), 0);
	assert_int_equal(auth_login(s, NULL, "awa", "a new long password",
	    NULL, T0 + 3 * MIN, &ses, &d), 0);
}

/* Role and name changes hold at once; the last login is the sessions'. */
static void
test_user_update(void **state)
{
	struct store *s = *state;
	struct auth_session ses, now;
	struct auth_user u;
	struct dib_diag d;
	int64_t at;

	add(s, "awa", AUTH_REPORTER);
	assert_int_equal(auth_user_last_login(s, "awa", &at, &d), 0);
	assert_int_equal(at, 0);
	assert_int_equal(auth_login(s, NULL, "awa", PW, NULL, T0, &ses, &d),
	    0);
	assert_int_equal(auth_login(s, NULL, "awa", PW, NULL, T0 + MIN, &ses,
	    &d), 0);
	assert_int_equal(auth_user_last_login(s, "awa", &at, &d), 0);
	assert_int_equal(at, T0 + MIN);
	assert_int_equal(auth_user_last_login(s, "nobody", &at, &d), 0);
	assert_int_equal(at, 0);

	assert_int_equal(auth_user_update(s, "awa", AUTH_COMMANDER, NULL,
	    T0 + 2 * MIN, &d), 0);
	assert_int_equal(auth_session_check(s, ses.token, T0 + 2 * MIN, &now,
	    &d), 0);
	assert_int_equal(now.user.role, AUTH_COMMANDER);
	assert_string_equal(now.user.name, "Awa Diallo");
	assert_int_equal(auth_user_update(s, "awa", -1, "Awa D.", T0 + 3 * MIN,
	    &d), 0);
	assert_int_equal(auth_user_get(s, "awa", &u, &d), 0);
	assert_int_equal(u.role, AUTH_COMMANDER);
	assert_string_equal(u.name, "Awa D.");
	assert_int_equal(u.updated_at, T0 + 3 * MIN);
	assert_int_equal(auth_user_update(s, "awa", -1, "", T0, &d), 0);
	assert_int_equal(auth_user_get(s, "awa", &u, &d), 0);
	assert_string_equal(u.name, "");

	assert_int_equal(auth_user_update(s, "nobody", AUTH_VIEWER, NULL, T0,
	    &d), DIB_ENOTFOUND);
	assert_int_equal(auth_user_update(s, "awa", AUTH_ROLE_COUNT, NULL, T0,
	    &d), DIB_EINVAL);
	assert_string_equal(d.field, "role");
	assert_int_equal(auth_user_update(s, "awa", -2, NULL, T0, &d),
	    DIB_EINVAL);
	assert_int_equal(auth_user_update(s, "awa", -1, "a\tb", T0, &d),
	    DIB_EINVAL);
	assert_string_equal(d.field, "name");
	assert_int_equal(auth_user_get(s, "awa", &u, &d), 0);
	assert_int_equal(u.role, AUTH_COMMANDER);
}

/* Inside a caller's transaction, a failure rolls back only its part. */
static void
test_user_in_transaction(void **state)
{
	struct store *s = *state;
	struct dib_diag d;

	assert_int_equal(store_begin(s, &d), 0);
	add(s, "awa", AUTH_REPORTER);
	assert_int_equal(auth_user_add(s, "awa", AUTH_ADMIN, "", PW, T0, &d),
	    DIB_EEXIST);
	add(s, "bob", AUTH_REPORTER);
	store_rollback(s);
	assert_int_equal(store_count(s, "SELECT count(*) FROM users"), 0);
	assert_int_equal(store_begin(s, &d), 0);
	add(s, "awa", AUTH_REPORTER);
	assert_int_equal(store_commit(s, &d), 0);
	assert_int_equal(store_count(s, "SELECT count(*) FROM users"), 1);
}

/* ---- logins and sessions ---- */

static void
test_login(void **state)
{
	struct store *s = *state;
	struct auth_session ses, again;
	struct dib_diag d;
	char wrong_pw[sizeof d.msg + sizeof d.field + 2];
	char unknown[sizeof wrong_pw];
	uint8_t h[32];
	sqlite3_stmt *st;

	add(s, "awa", AUTH_ANALYST);
	assert_int_equal(auth_login(s, NULL, "awa", PW, "10.0.0.1", T0, &ses,
	    &d), 0);
	assert_int_equal(strlen(ses.token), AUTH_TOKEN_LEN);
	assert_int_equal(strlen(ses.csrf), AUTH_TOKEN_LEN);
	assert_string_not_equal(ses.token, ses.csrf);
	assert_string_equal(ses.user.login, "awa");
	assert_int_equal(ses.user.role, AUTH_ANALYST);
	assert_int_equal(ses.expires_at, T0 + AUTH_SESSION_IDLE_MS);
	/* Only the hash of the token is stored. */
	crypto_generichash(h, 32, (const unsigned char *)ses.token,
	    AUTH_TOKEN_LEN, NULL, 0);
	assert_int_equal(sqlite3_prepare_v2(s->db, "SELECT addr FROM sessions "
	    "WHERE hash = ?1", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_blob(st, 1, h, 32, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0),
	    "10.0.0.1");
	sqlite3_finalize(st);

	assert_int_equal(auth_session_check(s, ses.token, T0 + MIN, &again,
	    &d), 0);
	assert_string_equal(again.user.login, "awa");
	assert_string_equal(again.csrf, ses.csrf);
	assert_string_equal(again.token, ses.token);

	/* Wrong password, unknown login, disabled user: one answer. */
	assert_int_equal(auth_login(s, NULL, "awa", WRONG, NULL, T0, &again,
	    &d), DIB_EUNAUTH);
	assert_string_equal(d.msg, "login or password is wrong");
	snprintf(wrong_pw, sizeof wrong_pw, "%s|%s", d.field, d.msg);
	assert_int_equal(again.token[0], '\0');
	assert_int_equal(auth_login(s, NULL, "nobody", PW, NULL, T0, &again,
	    &d), DIB_EUNAUTH);
	snprintf(unknown, sizeof unknown, "%s|%s", d.field, d.msg);
	assert_string_equal(wrong_pw, unknown);
	assert_int_equal(auth_login(s, NULL, "", "", NULL, T0, &again, &d),
	    DIB_EUNAUTH);
	assert_int_equal(auth_login(s, NULL, NULL, NULL, NULL, T0, &again,
	    &d), DIB_EUNAUTH);
	assert_int_equal(auth_user_set_disabled(s, "awa", 1, T0, &d), 0);
	assert_int_equal(auth_login(s, NULL, "awa", PW, NULL, T0, &again,
	    &d), DIB_EUNAUTH);
	snprintf(unknown, sizeof unknown, "%s|%s", d.field, d.msg);
	assert_string_equal(wrong_pw, unknown);
}

static void
test_session_expiry(void **state)
{
	struct store *s = *state;
	struct auth_session ses, c;
	struct dib_diag d;
	int64_t t;

	add(s, "awa", AUTH_VIEWER);
	/* Idle: 30 minutes without use. */
	assert_int_equal(auth_login(s, NULL, "awa", PW, NULL, T0, &ses, &d),
	    0);
	assert_int_equal(auth_session_check(s, ses.token, T0 + 29 * MIN, &c,
	    &d), 0);
	assert_int_equal(c.expires_at, T0 + 59 * MIN);
	assert_int_equal(auth_session_check(s, ses.token, T0 + 58 * MIN, &c,
	    &d), 0);
	assert_int_equal(auth_session_check(s, ses.token, T0 + 88 * MIN, &c,
	    &d), DIB_EUNAUTH);
	assert_non_null(strstr(d.msg, "expired"));
	/* The expired session is gone, even if time went back. */
	assert_int_equal(auth_session_check(s, ses.token, T0 + 60 * MIN, &c,
	    &d), DIB_EUNAUTH);

	/* Absolute: 12 hours, however busy. */
	assert_int_equal(auth_login(s, NULL, "awa", PW, NULL, T0, &ses, &d),
	    0);
	for (t = T0 + 20 * MIN; t < T0 + AUTH_SESSION_ABSOLUTE_MS;
	    t += 20 * MIN)
		assert_int_equal(auth_session_check(s, ses.token, t, &c, &d),
		    0);
	assert_true(c.expires_at <= T0 + AUTH_SESSION_ABSOLUTE_MS);
	assert_int_equal(auth_session_check(s, ses.token,
	    T0 + AUTH_SESSION_ABSOLUTE_MS, &c, &d), DIB_EUNAUTH);

	/* seen_at is written at most once a minute. */
	assert_int_equal(auth_login(s, NULL, "awa", PW, NULL, T0, &ses, &d),
	    0);
	assert_int_equal(auth_session_check(s, ses.token, T0 + 30000, &c, &d),
	    0);
	assert_int_equal(store_count(s, "SELECT max(seen_at) FROM sessions"),
	    T0);
	assert_int_equal(auth_session_check(s, ses.token, T0 + MIN, &c, &d),
	    0);
	assert_int_equal(store_count(s, "SELECT max(seen_at) FROM sessions"),
	    T0 + MIN);

	/* A login sweeps expired sessions. */
	assert_int_equal(auth_login(s, NULL, "awa", PW, NULL, T0 + 13 * 60 *
	    MIN, &ses, &d), 0);
	assert_int_equal(store_count(s, "SELECT count(*) FROM sessions"), 1);

	/* Malformed tokens. */
	assert_int_equal(auth_session_check(s, NULL, T0, &c, &d),
	    DIB_EUNAUTH);
	assert_int_equal(auth_session_check(s, "", T0, &c, &d), DIB_EUNAUTH);
	assert_int_equal(auth_session_check(s, "abc", T0, &c, &d),
	    DIB_EUNAUTH);
	assert_int_equal(auth_session_check(s, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaa", T0, &c, &d), DIB_EUNAUTH);
}

static void
test_logout(void **state)
{
	struct store *s = *state;
	struct auth_session a, b, c;
	struct dib_diag d;

	add(s, "awa", AUTH_VIEWER);
	assert_int_equal(auth_login(s, NULL, "awa", PW, NULL, T0, &a, &d), 0);
	assert_int_equal(auth_login(s, NULL, "awa", PW, NULL, T0, &b, &d), 0);
	assert_int_equal(auth_logout(s, a.token, &d), 0);
	assert_int_equal(auth_session_check(s, a.token, T0, &c, &d),
	    DIB_EUNAUTH);
	/* The other session stays. */
	assert_int_equal(auth_session_check(s, b.token, T0, &c, &d), 0);
	assert_int_equal(auth_logout(s, a.token, &d), 0);
	assert_int_equal(auth_logout(s, "junk", &d), 0);
	assert_int_equal(auth_logout(s, NULL, &d), 0);
}

static void
test_csrf(void **state)
{
	struct store *s = *state;
	struct auth_session ses;
	struct dib_diag d;
	char other[AUTH_TOKEN_LEN + 2];

	add(s, "awa", AUTH_VIEWER);
	assert_int_equal(auth_login(s, NULL, "awa", PW, NULL, T0, &ses, &d),
	    0);
	assert_true(auth_csrf_ok(&ses, ses.csrf));
	snprintf(other, sizeof other, "%s", ses.csrf);
	other[5] = other[5] == 'A' ? 'B' : 'A';
	assert_false(auth_csrf_ok(&ses, other));
	assert_false(auth_csrf_ok(&ses, NULL));
	assert_false(auth_csrf_ok(&ses, ""));
	assert_false(auth_csrf_ok(&ses, ses.token));
	snprintf(other, sizeof other, "%sx", ses.csrf);
	assert_false(auth_csrf_ok(&ses, other));
	other[AUTH_TOKEN_LEN - 1] = '\0';
	assert_false(auth_csrf_ok(&ses, other));
	assert_false(auth_csrf_ok(NULL, ses.csrf));
	memset(&ses, 0, sizeof ses);
	assert_false(auth_csrf_ok(&ses, ""));
}

/* A hash made with the fast limits is remade with the interactive ones
** at the next login without DIBOLI_PWHASH. */
static void
test_rehash(void **state)
{
	struct store *s = *state;
	struct auth_session ses;
	struct dib_diag d;

	add(s, "awa", AUTH_VIEWER);
	assert_int_equal(store_count(s, "SELECT count(*) FROM users WHERE "
	    "pwhash LIKE '$argon2id$v=19$m=8,t=1,%'"), 1);
	unsetenv("DIBOLI_PWHASH");
	assert_int_equal(auth_login(s, NULL, "awa", PW, NULL, T0, &ses, &d),
	    0);
	setenv("DIBOLI_PWHASH", "fast", 1);
	assert_int_equal(store_count(s, "SELECT count(*) FROM users WHERE "
	    "pwhash LIKE '$argon2id$v=19$m=65536,t=2,%'"), 1);
	assert_int_equal(auth_login(s, NULL, "awa", PW, NULL, T0, &ses, &d),
	    0);
}

/* ---- tokens ---- */

static void
test_tokens(void **state)
{
	struct store *s = *state;
	char tok[AUTH_TOKEN_LEN + 1], tok2[AUTH_TOKEN_LEN + 1], sql[200];
	struct auth_token_info *v = NULL;
	struct auth_user u;
	struct dib_diag d;
	int64_t id, id2;
	size_t n;

	add(s, "awa", AUTH_ANALYST);
	add(s, "bob", AUTH_VIEWER);
	assert_int_equal(auth_token_create(s, "awa", 0, "ci import", T0, tok,
	    &id, &d), 0);
	assert_int_equal(strlen(tok), AUTH_TOKEN_LEN);
	assert_int_equal(strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
	    "opqrstuvwxyz0123456789-_"), AUTH_TOKEN_LEN);
	assert_true(id > 0);
	/* Only the hash is kept. */
	snprintf(sql, sizeof sql, "SELECT count(*) FROM tokens WHERE "
	    "instr(hash, '%s') OR instr(label, '%s')", tok, tok);
	assert_int_equal(store_count(s, sql), 0);
	assert_int_equal(auth_token_create(s, "bob", 2, "", T0, tok2, &id2,
	    &d), 0);
	assert_string_not_equal(tok, tok2);

	assert_int_equal(auth_token_check(s, tok, T0 + MIN, &u, &d), 0);
	assert_string_equal(u.login, "awa");
	assert_int_equal(u.role, AUTH_ANALYST);
	assert_int_equal(store_count(s, "SELECT last_used_at FROM tokens "
	    "WHERE id = 1"), T0 + MIN);
	/* last_used_at: at most once a minute. */
	assert_int_equal(auth_token_check(s, tok, T0 + MIN + 59000, &u, &d),
	    0);
	assert_int_equal(store_count(s, "SELECT last_used_at FROM tokens "
	    "WHERE id = 1"), T0 + MIN);
	assert_int_equal(auth_token_check(s, tok, T0 + 2 * MIN, &u, &d), 0);
	assert_int_equal(store_count(s, "SELECT last_used_at FROM tokens "
	    "WHERE id = 1"), T0 + 2 * MIN);

	/* Expiry: 2 days. */
	assert_int_equal(auth_token_check(s, tok2, T0 + 2 * 86400000LL - 1,
	    &u, &d), 0);
	assert_int_equal(auth_token_check(s, tok2, T0 + 2 * 86400000LL, &u,
	    &d), DIB_EUNAUTH);
	assert_non_null(strstr(d.msg, "expired"));
	assert_int_equal(u.role, -1);

	/* A disabled user's token stops, and works again once enabled. */
	assert_int_equal(auth_user_set_disabled(s, "awa", 1, T0, &d), 0);
	assert_int_equal(auth_token_check(s, tok, T0 + 3 * MIN, &u, &d),
	    DIB_EUNAUTH);
	assert_int_equal(auth_token_create(s, "awa", 0, "", T0, tok2, &id2,
	    &d), DIB_ECONFLICT);
	assert_int_equal(tok2[0], '\0');
	assert_int_equal(auth_user_set_disabled(s, "awa", 0, T0, &d), 0);
	assert_int_equal(auth_token_check(s, tok, T0 + 3 * MIN, &u, &d), 0);

	/* Revocation. */
	assert_int_equal(auth_token_revoke(s, id, T0 + 4 * MIN, &d), 0);
	assert_int_equal(auth_token_check(s, tok, T0 + 5 * MIN, &u, &d),
	    DIB_EUNAUTH);
	assert_non_null(strstr(d.msg, "revoked"));
	assert_int_equal(auth_token_revoke(s, id, T0, &d), DIB_ECONFLICT);
	assert_int_equal(auth_token_revoke(s, 999, T0, &d), DIB_ENOTFOUND);

	/* Bad input. */
	assert_int_equal(auth_token_create(s, "nobody", 0, "", T0, tok2, &id2,
	    &d), DIB_ENOTFOUND);
	assert_int_equal(auth_token_create(s, "bob", -1, "", T0, tok2, &id2,
	    &d), DIB_EINVAL);
	assert_string_equal(d.field, "expires");
	assert_int_equal(auth_token_create(s, "bob", 3651, "", T0, tok2, &id2,
	    &d), DIB_EINVAL);
	assert_int_equal(auth_token_create(s, "bob", 1, "a\tb", T0, tok2,
	    &id2, &d), DIB_EINVAL);
	assert_string_equal(d.field, "label");
	assert_int_equal(auth_token_check(s, "nope", T0, &u, &d),
	    DIB_EUNAUTH);
	assert_int_equal(auth_token_check(s, NULL, T0, &u, &d), DIB_EUNAUTH);
	tok[0] = tok[0] == 'A' ? 'B' : 'A';
	assert_int_equal(auth_token_check(s, tok, T0, &u, &d), DIB_EUNAUTH);

	assert_int_equal(auth_token_list(s, &v, &n, &d), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].id, id);
	assert_string_equal(v[0].login, "awa");
	assert_string_equal(v[0].label, "ci import");
	assert_int_equal(v[0].created_at, T0);
	assert_int_equal(v[0].expires_at, 0);
	assert_int_equal(v[0].revoked_at, T0 + 4 * MIN);
	assert_int_equal(v[0].last_used_at, T0 + 3 * MIN);
	assert_string_equal(v[1].login, "bob");
	assert_int_equal(v[1].expires_at, T0 + 2 * 86400000LL);
	assert_int_equal(v[1].revoked_at, 0);
	free(v);
}

/* ---- throttle ---- */

static void
test_throttle_login(void **state)
{
	struct auth_throttle *t = auth_throttle_new();
	struct dib_diag d;
	int64_t now = T0;
	int i;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < AUTH_THROTTLE_LOGIN_FREE; i++) {
		assert_int_equal(auth_throttle_check(t, "awa", NULL, now, &d),
		    0);
		auth_throttle_fail(t, "awa", NULL, now);
	}
	/* Five failures: then 1 s, 2 s, 4 s... */
	assert_int_equal(auth_throttle_check(t, "awa", NULL, now, &d),
	    DIB_ETHROTTLED);
	assert_non_null(strstr(d.msg, "1 s"));
	assert_int_equal(auth_throttle_check(t, "AWA", NULL, now, &d),
	    DIB_ETHROTTLED);
	assert_int_equal(auth_throttle_check(t, "bob", NULL, now, &d), 0);
	assert_int_equal(auth_throttle_check(t, "awa", NULL, now + 999, &d),
	    DIB_ETHROTTLED);
	assert_int_equal(auth_throttle_check(t, "awa", NULL, now + 1000, &d),
	    0);
	now += 1000;
	auth_throttle_fail(t, "awa", NULL, now);
	assert_int_equal(auth_throttle_check(t, "awa", NULL, now, &d),
	    DIB_ETHROTTLED);
	assert_non_null(strstr(d.msg, "2 s"));
	assert_int_equal(auth_throttle_check(t, "awa", NULL, now + 1999, &d),
	    DIB_ETHROTTLED);
	assert_int_equal(auth_throttle_check(t, "awa", NULL, now + 2000, &d),
	    0);
	now += 2000;
	auth_throttle_fail(t, "awa", NULL, now);
	assert_int_equal(auth_throttle_check(t, "awa", NULL, now, &d),
	    DIB_ETHROTTLED);
	assert_non_null(strstr(d.msg, "4 s"));
	assert_int_equal(auth_throttle_check(t, "awa", NULL, now + 3999, &d),
	    DIB_ETHROTTLED);
	/* Up to 15 minutes, no more. */
	for (i = 0; i < 20; i++)
		auth_throttle_fail(t, "awa", NULL, now);
	assert_int_equal(auth_throttle_check(t, "awa", NULL, now, &d),
	    DIB_ETHROTTLED);
	assert_non_null(strstr(d.msg, "900 s"));
	assert_int_equal(auth_throttle_check(t, "awa", NULL, now + 15 * MIN,
	    &d), 0);
	/* A success forgets. */
	auth_throttle_ok(t, "awa", NULL);
	assert_int_equal(auth_throttle_check(t, "awa", NULL, now, &d), 0);
	auth_throttle_fail(t, "awa", NULL, now);
	assert_int_equal(auth_throttle_check(t, "awa", NULL, now, &d), 0);
	/* Failures count on within the hour... */
	for (i = 0; i < 10; i++)
		auth_throttle_fail(t, "awa", NULL, now);
	auth_throttle_fail(t, "awa", NULL, now + 59 * MIN);
	assert_int_equal(auth_throttle_check(t, "awa", NULL, now + 59 * MIN,
	    &d), DIB_ETHROTTLED);
	/* ... and are forgotten an hour after the last one. */
	auth_throttle_ok(t, "awa", NULL);
	for (i = 0; i < 10; i++)
		auth_throttle_fail(t, "awa", NULL, now);
	assert_int_equal(auth_throttle_check(t, "awa", NULL, now + 60 * MIN,
	    &d), 0);
	auth_throttle_fail(t, "awa", NULL, now + 60 * MIN);
	assert_int_equal(auth_throttle_check(t, "awa", NULL, now + 60 * MIN,
	    &d), 0);
	auth_throttle_free(t);
	auth_throttle_free(NULL);
	assert_int_equal(auth_throttle_check(NULL, "awa", "x", now, &d), 0);
	auth_throttle_fail(NULL, "awa", "x", now);
	auth_throttle_ok(NULL, "awa", "x");
}

static void
test_throttle_addr(void **state)
{
	struct auth_throttle *t = auth_throttle_new();
	struct dib_diag d;
	char login[32];
	int i;

	(void)state;
	/* Twenty different logins from one address. */
	for (i = 0; i < AUTH_THROTTLE_ADDR_FREE; i++) {
		snprintf(login, sizeof login, "user%d", i);
		assert_int_equal(auth_throttle_check(t, login, "10.0.0.9", T0,
		    &d), 0);
		auth_throttle_fail(t, login, "10.0.0.9", T0);
	}
	assert_int_equal(auth_throttle_check(t, "other", "10.0.0.9", T0, &d),
	    DIB_ETHROTTLED);
	assert_non_null(strstr(d.msg, "address"));
	assert_non_null(strstr(d.msg, "1 s"));
	assert_int_equal(auth_throttle_check(t, "other", "10.0.0.8", T0, &d),
	    0);
	auth_throttle_fail(t, "x1", "10.0.0.9", T0 + 1000);
	assert_int_equal(auth_throttle_check(t, "other", "10.0.0.9",
	    T0 + 1000, &d), DIB_ETHROTTLED);
	assert_non_null(strstr(d.msg, "2 s"));
	assert_int_equal(auth_throttle_check(t, "other", "10.0.0.9",
	    T0 + 2999, &d), DIB_ETHROTTLED);
	assert_int_equal(auth_throttle_check(t, "other", "10.0.0.9",
	    T0 + 3000, &d), 0);
	auth_throttle_ok(t, "other", "10.0.0.9");
	auth_throttle_fail(t, "x2", "10.0.0.9", T0 + 3000);
	assert_int_equal(auth_throttle_check(t, "other", "10.0.0.9",
	    T0 + 3000, &d), 0);
	auth_throttle_free(t);
}

/* Bounded memory: the oldest key makes room. */
static void
test_throttle_bounded(void **state)
{
	struct auth_throttle *t = auth_throttle_new();
	struct dib_diag d;
	char key[200];
	int i;

	(void)state;
	for (i = 0; i < 6; i++)
		auth_throttle_fail(t, "awa", NULL, T0);
	assert_int_equal(auth_throttle_check(t, "awa", NULL, T0, &d),
	    DIB_ETHROTTLED);
	for (i = 0; i < AUTH_THROTTLE_KEYS; i++) {
		snprintf(key, sizeof key, "u%d", i);
		auth_throttle_fail(t, key, NULL, T0 + 1 + i);
	}
	assert_int_equal(auth_throttle_check(t, "awa", NULL, T0, &d), 0);
	/* A long key is cut, not overflowed. */
	memset(key, 'z', sizeof key - 1);
	key[sizeof key - 1] = '\0';
	for (i = 0; i < 6; i++)
		auth_throttle_fail(t, key, key, T0 + MIN);
	assert_int_equal(auth_throttle_check(t, key, NULL, T0 + MIN, &d),
	    DIB_ETHROTTLED);
	auth_throttle_free(t);
}

/* auth_login checks the throttle first and tells it the outcome. */
static void
test_login_throttled(void **state)
{
	struct store *s = *state;
	struct auth_throttle *t = auth_throttle_new();
	struct auth_session ses;
	struct dib_diag d;
	int i;

	add(s, "awa", AUTH_VIEWER);
	for (i = 0; i < AUTH_THROTTLE_LOGIN_FREE; i++)
		assert_int_equal(auth_login(s, t, "awa", WRONG, "10.0.0.1", T0,
		    &ses, &d), DIB_EUNAUTH);
	/* Even the right password waits. */
	assert_int_equal(auth_login(s, t, "awa", PW, "10.0.0.2", T0 + 500,
	    &ses, &d), DIB_ETHROTTLED);
	assert_int_equal(dib_http_status(d.code), 429);
	assert_int_equal(auth_login(s, t, "awa", PW, "10.0.0.2", T0 + 1000,
	    &ses, &d), 0);
	/* The success reset the count. */
	assert_int_equal(auth_login(s, t, "awa", WRONG, "10.0.0.1", T0 + 1000,
	    &ses, &d), DIB_EUNAUTH);
	assert_int_equal(auth_login(s, t, "awa", PW, "10.0.0.1", T0 + 1000,
	    &ses, &d), 0);
	auth_throttle_free(t);
}

/* node_init and node_open make the tables, and opening again is fine. */
static void
test_node_hook(void **state)
{
	char dir[64], cmd[128];
	struct node *n = NULL;
	struct dib_diag d;
	int i;

	(void)state;
	snprintf(dir, sizeof dir, "/tmp/diboli-unit-XXXXXX");
	assert_non_null(mkdtemp(dir));
	strncat(dir, "/node", sizeof dir - strlen(dir) - 1);
	assert_int_equal(node_init(dir, "SN", "Poste de Kidira", &d), 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(node_open(dir, &n, &d), 0);
		assert_int_equal(store_count(n->store, "SELECT count(*) FROM "
		    "sqlite_schema WHERE name IN ('users', 'sessions', "
		    "'tokens', 'audit', 'audit_no_update', "
		    "'audit_no_delete')"), 6);
		if (i == 0)
			assert_int_equal(auth_user_add(n->store, "awa",
			    AUTH_ADMIN, "", PW, T0, &d), 0);
		else
			assert_int_equal(store_count(n->store, "SELECT count(*) "
			    "FROM users"), 1);
		node_close(n);
	}
	*strrchr(dir, '/') = '\0';
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* Notices seen: per user, each once, within the limit. */
static void
test_notices_seen(void **state)
{
	struct store *s = *state;
	struct dib_diag d;
	uint8_t ids[3][16] = {{1}, {2}, {3}}, (*got)[16], (*many)[16];
	size_t n, added;

	add(s, "commandant.sn", AUTH_COMMANDER);
	add(s, "admin.sn", AUTH_ADMIN);
	assert_int_equal(auth_seen_list(s, "commandant.sn", &got, &n, &d), 0);
	assert_null(got);
	assert_int_equal(n, 0);
	assert_int_equal(auth_seen_mark(s, "commandant.sn",
	    (const uint8_t (*)[16])ids, 2, T0, &added, &d), 0);
	assert_int_equal(added, 2);
	/* Again, with one more: only that one is new. */
	assert_int_equal(auth_seen_mark(s, "commandant.sn",
	    (const uint8_t (*)[16])ids, 3, T0 + MIN, &added, &d), 0);
	assert_int_equal(added, 1);
	assert_int_equal(auth_seen_list(s, "commandant.sn", &got, &n, &d), 0);
	assert_int_equal(n, 3);
	free(got);
	/* Another user has seen none of them. */
	assert_int_equal(auth_seen_list(s, "admin.sn", &got, &n, &d), 0);
	assert_int_equal(n, 0);
	free(got);
	assert_int_equal(auth_seen_mark(s, "personne", (const uint8_t (*)[16])
	    ids, 1, T0, &added, &d), DIB_ENOTFOUND);
	assert_non_null(many = calloc(AUTH_SEEN_MAX + 1, sizeof *many));
	assert_int_equal(auth_seen_mark(s, "admin.sn", (const uint8_t (*)[16])
	    many, AUTH_SEEN_MAX + 1, T0, &added, &d), DIB_EINVAL);
	assert_string_equal(d.field, "ids");
	free(many);
	assert_int_equal(auth_seen_list(s, "admin.sn", &got, &n, &d), 0);
	assert_int_equal(n, 0);
	free(got);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matrix_matches_doc),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_login_rules),
		cmocka_unit_test(test_password_rules),
		cmocka_unit_test_setup_teardown(test_user_add_get_list, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_user_passwd_disable,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_update, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_user_in_transaction,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_login, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_expiry, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_logout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csrf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rehash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notices_seen, setup,
		    teardown),
		cmocka_unit_test(test_throttle_login),
		cmocka_unit_test(test_throttle_addr),
		cmocka_unit_test(test_throttle_bounded),
		cmocka_unit_test_setup_teardown(test_login_throttled, setup,
		    teardown),
		cmocka_unit_test(test_node_hook),
	};

	setenv("DIBOLI_PWHASH", "fast", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
