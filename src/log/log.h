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

/*
** The part of log_append that needs no database: the blocks that n
** records make (grouped by audience, cut at the limits) and each block's
** records hash. Any thread may run it, so that the single writer only
** signs and stores (log_append_prepared). Free with log_prep_free.
*/
struct log_prep {
	size_t *idx;            /* records in block order */
	size_t nblocks;
	size_t *count;          /* records in each block */
	uint8_t (*hash)[32];    /* records hash of each block */
};

int log_prepare(const struct record *recs, size_t n, struct log_prep *p,
    struct dib_diag *d);
void log_prep_free(struct log_prep *p);

/* log_append of recs that log_prepare p was made from. */
int log_append_prepared(struct store *s, const struct log_signer *k,
    struct record *recs, size_t n, const struct log_prep *p,
    struct dib_diag *d);

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

/* A block as it travels between nodes: header and signature exactly as
 * signed, and the record bodies in sequence. */
struct log_block {
	const uint8_t *hdr;
	size_t hlen;
	const uint8_t *sig;             /* 64 bytes */
	uint32_t count;                 /* records carried */
	const unsigned char *const *bodies;
	const size_t *lens;
};

/*
** Check a received block on its own: header well formed, count, the
** records hash over the carried bodies, and the signature of the origin
** the header names. No store needed. h receives the header; DIB_ETAMPER
** names the problem.
*/
int log_block_check(const struct log_block *b, struct log_header *h,
    struct dib_diag *d);

/* BLAKE2b-256(header || signature): a block's identity in its chain. */
void log_block_hash(const struct log_block *b, uint8_t out[32]);

/* What log_receive did with a block. */
enum log_recv {
	LOG_RECV_APPLIED = 0,   /* stored and projected; the log advanced */
	LOG_RECV_HELD,          /* this very block is held already */
	LOG_RECV_AHEAD,         /* it skips ahead of the log: keep it */
	LOG_RECV_FORK           /* another block holds its place, or it does
	                         * not chain to the head: equivocation */
};

/*
** Store block b (checked by log_block_check, header h) of origin (its
** origins.id) at the end of its log and project its records, inside the
** caller's transaction. *what says what happened; only APPLIED writes.
*/
int log_receive(struct store *s, int64_t origin, const struct log_block *b,
    const struct log_header *h, enum log_recv *what, struct dib_diag *d);

#endif
