/*
** What the parts of auth/ share: transactions that nest, random tokens and
** their hashes, user rows. Internal to src/auth/.
*/
#ifndef DIB_AUTH_INT_H
#define DIB_AUTH_INT_H

#include <stdint.h>

#include <sqlite3.h>

#include "auth/auth.h"

/*
** Start a write: BEGIN IMMEDIATE when the connection is in autocommit
** (*own = 1), else a savepoint inside the caller's transaction (*own = 0).
*/
int auth_tx_begin(struct store *s, int *own, struct dib_diag *d);

/* Commit (rc == 0) or roll back what auth_tx_begin started; returns rc,
** or the commit's error. */
int auth_tx_end(struct store *s, int own, int rc, struct dib_diag *d);

/* A new random token: 43 base64url characters and a NUL. */
void auth_token_new(char out[AUTH_TOKEN_LEN + 1]);

/* Does text look like a token (43 base64url characters)? */
int auth_token_wellformed(const char *text);

/* BLAKE2b-256 of the token text: what the database keeps. */
void auth_token_hash(const char *token, uint8_t out[32]);

/*
** Fill u from columns first.. of st: id, login, name, role, disabled,
** created_at, updated_at.
*/
void auth_user_from_row(sqlite3_stmt *st, int first, struct auth_user *u);

/* The columns that auth_user_from_row reads, from users aliased "u". */
#define AUTH_USER_COLS "u.id, u.login, u.name, u.role, u.disabled, " \
	"u.created_at, u.updated_at"

/* argon2id hash of password into out (crypto_pwhash_STRBYTES), with the
** limits of auth_pw_limits. DIB_ENOMEM. */
int auth_pw_hash(const char *password, char *out, struct dib_diag *d);

/* The limits: interactive, or the minimum when DIBOLI_PWHASH=fast. */
void auth_pw_limits(unsigned long long *ops, size_t *mem);

#endif
