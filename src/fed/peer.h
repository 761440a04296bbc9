/*
** The peers of a node: the other nodes it exchanges logs with, over HTTP
** (a url) or by bundle files only (no url), and the state of the last
** exchange with each, which sync keeps up to date.
*/
#ifndef DIB_PEER_H
#define DIB_PEER_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct store;

#define PEER_NAME_MAX 64
#define PEER_URL_MAX 512
#define PEER_RESULT_MAX 400

struct peer {
	char name[PEER_NAME_MAX + 1];   /* "ML-RM4": [A-Za-z0-9._-] */
	char nation[3];                 /* ISO 3166-1 alpha-2 */
	char url[PEER_URL_MAX + 1];     /* "http://host:port", "": bundles */
	int has_node;                   /* node_pk is known (seen once) */
	uint8_t node_pk[32];            /* the peer's node key */
	int64_t added;                  /* ms */
	int64_t last_at;                /* ms of the last exchange, 0: never */
	int last_ok;                    /* 1 ok, 0 failed, -1 never */
	char last_result[PEER_RESULT_MAX + 1]; /* one line, or "" */
	int64_t fails;                  /* failures in a row */
	int64_t next_at;                /* ms: no attempt before */
	int64_t wait_in, wait_out;      /* records waiting, -1: unknown */
};

/*
** Is name a valid peer name: 1 to PEER_NAME_MAX characters of
** [A-Za-z0-9._-], the first a letter or a digit (so that it is never
** taken for an option, nor a hidden file if it names one)? 0 or
** DIB_EINVAL naming "name".
*/
int peer_name_check(const char *name, struct dib_diag *d);

/*
** Add a peer. url may be NULL or "" (bundles only); otherwise it must
** start with http:// or https://, name a host, and hold no space or
** control character; trailing slashes are dropped. The nation is not
** required to be pinned here: sync checks the peer's certificate
** against the pinned keys on every exchange. DIB_EINVAL (name, nation,
** url), DIB_EEXIST (a peer of that name), DIB_EDB.
*/
int peer_add(struct store *s, const char *name, const char *nation,
    const char *url, struct dib_diag *d);

/* Remove the peer name. DIB_ENOTFOUND, DIB_EDB. */
int peer_remove(struct store *s, const char *name, struct dib_diag *d);

/* The peer name into out. DIB_ENOTFOUND, DIB_EDB. */
int peer_get(struct store *s, const char *name, struct peer *out,
    struct dib_diag *d);

/* Every peer, by name. *out is a new array (NULL when none), freed by
** the caller with free(). */
int peer_list(struct store *s, struct peer **out, size_t *n,
    struct dib_diag *d);

#endif
