/*
** Signed, hash-chained logs: the only way a record enters the store.
**
** A node keeps one log per audience it writes to. Appends are grouped
** into blocks; a block header (see log_block_header below) names the log,
** its first sequence number and count, chains to the previous block's
** hash and carries the hash of its records; the origin node signs it.
*/
#ifndef DIB_LOG_H
#define DIB_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

struct record;

#define LOG_MAX_BLOCK_RECORDS 10000
#define LOG_MAX_BLOCK_BYTES (32 * 1024 * 1024)
#define LOG_HEADER_MAX 192

/* Who signs: the node's origin row and its Ed25519 key pair. */
struct log_signer {
	int64_t origin;         /* origins.id of this node */
	uint8_t pk[32];         /* public key */
	uint8_t sk[64];         /* secret key (libsodium layout) */
};

/* A decoded block header. */
struct log_header {
	uint8_t origin[32];     /* origin node public key */
	char audience[64];      /* canonical audience, "ML,SN" */
	uint64_t first_seq;     /* sequence of the first record, from 1 */
	uint32_t count;         /* records in the block */
	int64_t created;        /* append time at the origin, ms */
	uint8_t prev[32];       /* hash of the previous block, or zeros */
	uint8_t records[32];    /* BLAKE2b-256 of the records */
};

/*
** Append n validated records (each r->audience set) as one block per
** audience (more if a block would pass its limits), sign, store, and
** project them, in one transaction: all are written or none. Runs inside
** the caller's transaction when there is one (a savepoint), else in its
** own. Bodies stay owned by the caller.
*/
int log_append(struct store *s, const struct log_signer *k,
    struct record *recs, size_t n, struct dib_diag *d);

/* Encode h into out (LOG_HEADER_MAX bytes); returns the length. */
size_t log_header_encode(const struct log_header *h, uint8_t *out);

/* Decode; DIB_EINVAL if malformed. */
int log_header_decode(const uint8_t *p, size_t n, struct log_header *h);

/* Counts of what log_verify checked. */
struct log_verify_report {
	int64_t logs;
	int64_t blocks;
	int64_t records;
	int64_t current;        /* records in the projection */
};

/*
** Re-check every block of every log (header fields, chain, records hash,
** signature, gaplessness) and rebuild the projection from the logs to
** compare it with the stored one. DIB_ETAMPER names the log and block.
** progress, if not NULL, is called now and then with records checked.
*/
int log_verify(struct store *s, struct log_verify_report *rep,
    void (*progress)(void *, int64_t, int64_t), void *arg,
    struct dib_diag *d);

#endif
