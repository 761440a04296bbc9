/*
** Trust between nodes: nation root keys (kept offline), the certificates
** they sign over node keys, and the nation keys a node pins. A node
** accepts an origin whose certificate was signed by a pinned nation key.
** Formats and the trust rule: docs/federation.md.
*/
#ifndef DIB_CERT_H
#define DIB_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct node;
struct store;

#define CERT_MAGIC "DIBC"
#define CERT_VERSION 1
#define CERT_NAME_MAX 800               /* bytes: NODE_NAME_MAX characters */
/* Magic, version, nation, node key, two times, name length, nation key,
** signature: everything but the name. */
#define CERT_FIXED_LEN (4 + 1 + 2 + 32 + 8 + 8 + 2 + 32 + 64)
#define CERT_MAX_LEN (CERT_FIXED_LEN + CERT_NAME_MAX)
#define CERT_SIG_LEN 64
#define CERT_DEFAULT_VALIDITY_MS (5LL * 365 * 86400000LL)   /* 5 years */
#define CERT_FP_LEN 16                  /* hex digits of a fingerprint */

/* A certificate as parsed. The signed bytes are bytes[0 .. len - 64). */
struct cert {
	char nation[3];                 /* ISO 3166-1 alpha-2 of the node */
	uint8_t node_pk[32];            /* the certified node key */
	int64_t not_before;             /* ms since 1970, inclusive */
	int64_t not_after;              /* ms since 1970, exclusive */
	char name[CERT_NAME_MAX + 1];   /* the node's name, UTF-8 */
	uint8_t nation_pk[32];          /* the signing nation key */
	uint8_t sig[CERT_SIG_LEN];      /* Ed25519 over the bytes before it */
	uint8_t bytes[CERT_MAX_LEN];    /* the certificate, exactly as given */
	size_t len;                     /* its length */
};

/*
** The fingerprint of a public key, to compare over the phone: the first
** 8 bytes of BLAKE2b-256(pk) in lower-case hex (16 digits). Returns out.
*/
char *cert_fingerprint(const uint8_t pk[32], char out[CERT_FP_LEN + 1]);

/* ---- Nation key files ---- */

/*
** Make a nation key pair and write it as prefix.key (the private seed,
** mode 0600: keep it offline) and prefix.pub (mode 0644: give it to
** partners). nation: ISO 3166-1 alpha-2, any case. Neither file may
** exist already (DIB_EEXIST naming it); on any error no file is left.
** DIB_EINVAL (nation, path), DIB_EIO.
*/
int cert_nation_keygen(const char *nation, const char *prefix,
    struct dib_diag *d);

/*
** Read a nation private key file: its nation (upper case) into nation,
** the Ed25519 secret key into sk and the public key into pk (all zeroed
** on failure). A file that group or others may read or write is refused
** (DIB_EPERM, telling the chmod to run). DIB_ENOTFOUND, DIB_EINVAL (not
** a nation key, or a .pub given), DIB_EIO. Wipe sk after use.
*/
int cert_nation_key_load(const char *path, char nation[3], uint8_t sk[64],
    uint8_t pk[32], struct dib_diag *d);

/*
** Parse the text of a nation public key file ("diboli-nation-pub/1 SN
** <64 hex>", white space around it allowed, as pasted in a form) into
** nation and pk. A private key given instead is named as such (and its
** text is never quoted). DIB_EINVAL naming field.
*/
int cert_nation_pub_parse(const char *text, size_t len, const char *field,
    char nation[3], uint8_t pk[32], struct dib_diag *d);

/* Read a nation public key file (prefix.pub); as cert_nation_key_load. */
int cert_nation_pub_load(const char *path, char nation[3], uint8_t pk[32],
    struct dib_diag *d);

/* ---- Certificates ---- */

/*
** Sign a certificate with the nation's secret key nation_sk (its public
** key is embedded) over node_pk, nation, the node's name and the window
** [not_before, not_after). *out is a new buffer of *len bytes, freed by
** the caller with free(); NULL and 0 on failure. DIB_EINVAL (nation,
** name, window), DIB_ENOMEM.
*/
int cert_make(const uint8_t nation_sk[64], const char *nation,
    const uint8_t node_pk[32], const char *name, int64_t not_before,
    int64_t not_after, uint8_t **out, size_t *len, struct dib_diag *d);

/*
** Parse certificate bytes from anywhere (a peer, a bundle, a file):
** exact length, known magic and version, a known nation, a non-empty
** UTF-8 name without control characters, not_before < not_after. Never
** reads outside p[0..len). Does not check the signature (cert_verify
** does). DIB_EINVAL, with out zeroed.
*/
int cert_parse(const uint8_t *p, size_t len, struct cert *out,
    struct dib_diag *d);

/*
** Check c against the pinned key of its nation: the embedded nation key
** must be nation_pk, the signature must hold, and now_ms must be within
** the window. DIB_ECRYPTO saying which.
*/
int cert_verify(const struct cert *c, const uint8_t nation_pk[32],
    int64_t now_ms, struct dib_diag *d);

/* ---- Pinned nation keys (table nations) ---- */

/*
** Pin pk as the root key of nation. Pinning the key already pinned is a
** no-op; a different key for a pinned nation is DIB_ECONFLICT naming the
** nation and both fingerprints, unless replace is set. Runs in the
** caller's transaction if any. DIB_EINVAL (nation), DIB_EDB.
*/
int cert_pin(struct store *s, const char *nation, const uint8_t pk[32],
    int replace, struct dib_diag *d);

/* The key pinned for nation into pk: DIB_OK, DIB_ENOTFOUND or DIB_EDB. */
int cert_pinned(struct store *s, const char *nation, uint8_t pk[32]);

struct cert_pin_info {
	char nation[3];
	uint8_t pk[32];
	int64_t added;                  /* ms */
};

/* Every pinned nation, by code. *out is a new array (NULL when none),
** freed by the caller with free(). */
int cert_pin_list(struct store *s, struct cert_pin_info **out, size_t *n,
    struct dib_diag *d);

/*
** May this node trust the origin presenting these certificate bytes?
** Parse, find the key pinned for the certificate's nation, verify. The
** return code tells the cases apart, and is already the right HTTP
** status through dib_http_status:
**   DIB_EUNAUTH  no, malformed, forged, wrongly signed or out-of-window
**                certificate (401: present a good one);
**   DIB_EPERM    a good-looking certificate of a nation this node does
**                not pin (403: the administrators must pin it first);
**   DIB_EDB.
** out (may be NULL) receives the certificate, zeroed on failure.
*/
int cert_check_origin(struct store *s, const uint8_t *p, size_t len,
    int64_t now_ms, struct cert *out, struct dib_diag *d);

/* ---- The node's own certificate ---- */

/*
** Certify node n with the nation key (nation, nation_sk, nation_pk) for
** CERT_DEFAULT_VALIDITY_MS from now, replacing any certificate it had:
** store it in the node's origins row, write DIR/node.cert (mode 0644) and
** pin the nation key. The key's nation must be the node's (DIB_EINVAL);
** if the node's nation is pinned with another key, DIB_ECONFLICT (pin
** the new key with replace first). Runs in a savepoint of the caller's
** transaction if any, else in its own.
*/
int cert_certify_node(struct node *n, const char *nation,
    const uint8_t nation_sk[64], const uint8_t nation_pk[32],
    struct dib_diag *d);

/*
** The node's own certificate bytes, as stored. *out is a new buffer
** freed by the caller with free(). DIB_ENOTFOUND if the node is not
** certified, DIB_EDB, DIB_ENOMEM.
*/
int cert_node_cert(struct node *n, uint8_t **out, size_t *len,
    struct dib_diag *d);

#endif
