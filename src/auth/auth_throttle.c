/*
** The throttle of failed logins, in memory: per login and per client
** address, a few free failures, then a delay doubling up to 15 minutes.
** A fixed table (the oldest key makes room) bounds the memory.
*/
#include "auth/auth.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 68              /* "l:" or "a:", <= 65 bytes, NUL */
#define FAILS_CAP 1000          /* counts stop there */

struct entry {
	uint64_t h;             /* hash of key, 0 for a free slot */
	char key[KEY_MAX];
	int fails;
	int64_t last;           /* the last failure, ms */
};

struct auth_throttle {
	pthread_mutex_t mu;
	struct entry *e;        /* AUTH_THROTTLE_KEYS slots */
	size_t n;               /* slots in use: e[0..n) */
};

struct auth_throttle *
auth_throttle_new(void)
{
	struct auth_throttle *t = calloc(1, sizeof *t);

	if (t == NULL)
		return NULL;
	if ((t->e = calloc(AUTH_THROTTLE_KEYS, sizeof *t->e)) == NULL ||
	    pthread_mutex_init(&t->mu, NULL) != 0) {
		free(t->e);
		free(t);
		return NULL;
	}
	return t;
}

void
auth_throttle_free(struct auth_throttle *t)
{
	if (t == NULL)
		return;
	pthread_mutex_destroy(&t->mu);
	free(t->e);
	free(t);
}

/* "l:alice" / "a:10.0.0.7" and its hash (FNV-1a, never 0). Logins are
** folded to lower case: "Alice" is the same account to a guesser. */
static uint64_t
make_key(char out[KEY_MAX], char kind, const char *s)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	out[0] = kind;
	out[1] = ':';
	for (i = 0; s[i] != '\0' && i < KEY_MAX - 3; i++)
		out[2 + i] = kind == 'l' ?
		    (char)tolower((unsigned char)s[i]) : s[i];
	out[2 + i] = '\0';
	for (i = 0; out[i] != '\0'; i++) {
		h ^= (unsigned char)out[i];
		h *= 1099511628211ULL;
	}
	return h ? h : 1;
}

static struct entry *
find(struct auth_throttle *t, const char *key, uint64_t h)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->e[i].h == h && strcmp(t->e[i].key, key) == 0)
			return &t->e[i];
	return NULL;
}

/* The entry of key, made if missing: a free slot or the oldest one. */
static struct entry *
find_or_add(struct auth_throttle *t, const char *key, uint64_t h)
{
	struct entry *e = find(t, key, h);
	size_t i;

	if (e != NULL)
		return e;
	if (t->n < AUTH_THROTTLE_KEYS) {
		e = &t->e[t->n++];
	} else {
		e = &t->e[0];
		for (i = 1; i < t->n; i++)
			if (t->e[i].last < e->last)
				e = &t->e[i];
	}
	memset(e, 0, sizeof *e);
	e->h = h;
	memcpy(e->key, key, strlen(key) + 1);
	return e;
}

static void
drop(struct auth_throttle *t, struct entry *e)
{
	if (e == NULL)
		return;
	*e = t->e[--t->n];
	memset(&t->e[t->n], 0, sizeof t->e[t->n]);
}

/* How long the next attempt must still wait, in ms. */
static int64_t
wait_ms(const struct entry *e, int free_fails, int64_t now)
{
	int64_t delay = AUTH_THROTTLE_FIRST_MS, until;
	int k;

	if (e == NULL || e->fails < free_fails ||
	    now - e->last >= AUTH_THROTTLE_FORGET_MS)
		return 0;
	for (k = e->fails - free_fails; k > 0 && delay < AUTH_THROTTLE_MAX_MS;
	    k--)
		delay *= 2;
	if (delay > AUTH_THROTTLE_MAX_MS)
		delay = AUTH_THROTTLE_MAX_MS;
	until = e->last + delay;
	return until > now ? until - now : 0;
}

int
auth_throttle_check(struct auth_throttle *t, const char *login,
    const char *addr, int64_t now, struct dib_diag *d)
{
	char key[KEY_MAX];
	int64_t wl = 0, wa = 0, w;
	uint64_t h;

	if (t == NULL)
		return DIB_OK;
	pthread_mutex_lock(&t->mu);
	if (login != NULL) {
		h = make_key(key, 'l', login);
		wl = wait_ms(find(t, key, h), AUTH_THROTTLE_LOGIN_FREE, now);
	}
	if (addr != NULL) {
		h = make_key(key, 'a', addr);
		wa = wait_ms(find(t, key, h), AUTH_THROTTLE_ADDR_FREE, now);
	}
	pthread_mutex_unlock(&t->mu);
	w = wl > wa ? wl : wa;
	if (w == 0)
		return DIB_OK;
	return dib_fail(d, DIB_ETHROTTLED, "", "too many failed logins %s; "
	    "try again in %lld s", wl >= wa ? "for this account" :
	    "from this address", (long long)((w + 999) / 1000));
}

static void
count_fail(struct auth_throttle *t, char kind, const char *s, int64_t now)
{
	char key[KEY_MAX];
	uint64_t h = make_key(key, kind, s);
	struct entry *e = find_or_add(t, key, h);

	if (now - e->last >= AUTH_THROTTLE_FORGET_MS)
		e->fails = 0;
	if (e->fails < FAILS_CAP)
		e->fails++;
	e->last = now;
}

void
auth_throttle_fail(struct auth_throttle *t, const char *login,
    const char *addr, int64_t now)
{
	if (t == NULL)
		return;
	pthread_mutex_lock(&t->mu);
	if (login != NULL)
		count_fail(t, 'l', login, now);
	if (addr != NULL)
		count_fail(t, 'a', addr, now);
	pthread_mutex_unlock(&t->mu);
}

void
auth_throttle_ok(struct auth_throttle *t, const char *login,
    const char *addr)
{
	char key[KEY_MAX];
	uint64_t h;

	if (t == NULL)
		return;
	pthread_mutex_lock(&t->mu);
	if (login != NULL) {
		h = make_key(key, 'l', login);
		drop(t, find(t, key, h));
	}
	if (addr != NULL) {
		h = make_key(key, 'a', addr);
		drop(t, find(t, key, h));
	}
	pthread_mutex_unlock(&t->mu);
}
