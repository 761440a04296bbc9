/*
** Sync: what one node sends another, and how the receiver applies it.
** The same payload travels over HTTP (POST /sync/v1/exchange) and inside
** bundle files; docs/sync.md describes its bytes.
**
** Sovereignty rests on one function, sync_may_send(): a log leaves this
** node toward a nation only if that nation is in the log's audience.
** Every transport builds what it sends with sync_put_*(), which call it;
** the receiver checks again (sync_apply refuses a block whose audience
** does not hold its nation, and records a security event).
*/
#ifndef DIB_SYNC_H
#define DIB_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

struct store;
struct node;
struct log_header;

#define SYNC_VERSION "diboli-sync/1"
#define SYNC_ITEM_MAX (40 * 1024 * 1024)   /* one block, with room */
#define SYNC_BUDGET_DEFAULT (4 * 1024 * 1024)
#define SYNC_BUDGET_MIN 1024

/* Item types of a payload. */
enum {
	SYNC_I_VERSION = 'V',   /* "diboli-sync/1", first */
	SYNC_I_SUMMARY = 'S',   /* origin (32) | next seq (8) | audience */
	SYNC_I_CERT = 'C',      /* an origin's certificate */
	SYNC_I_BLOCK = 'B',     /* hlen (2) | header | sig (64) | records */
	SYNC_I_WAITING = 'R',   /* records (8) | blocks (8) left behind */
	SYNC_I_END = 'Z'        /* nothing may follow */
};

/* The one egress rule: may a log of audience go to a node of nation? */
int sync_may_send(const char *audience, const char *nation);

/* Where a payload goes: a buffer, a bundle, a file. */
struct sync_sink {
	int (*write)(void *arg, const void *p, size_t n, struct dib_diag *d);
	void *arg;
};

/* One log as a summary tells it. */
struct sync_log {
	uint8_t origin[32];
	char audience[64];
	int64_t next_seq;
};

/* A summary: what a node holds of the logs another may see. */
struct sync_summary {
	struct sync_log *v;
	size_t n, cap;
	int sorted;
};

void sync_summary_free(struct sync_summary *sm);

/* Add one log (keeps the highest next_seq for a log given twice). */
int sync_summary_add(struct sync_summary *sm, const uint8_t origin[32],
    const char *audience, int64_t next_seq);

/* What this store holds of the logs that nation may see. */
int sync_summary_make(struct store *s, const char *nation,
    struct sync_summary *out, struct dib_diag *d);

/* The next sequence a summary holds for a log: 1 if absent. */
int64_t sync_summary_next(struct sync_summary *sm, const uint8_t origin[32],
    const char *audience);

/* Write the version item, the end item, a summary's items. */
int sync_put_version(const struct sync_sink *o, struct dib_diag *d);
int sync_put_end(const struct sync_sink *o, struct dib_diag *d);
int sync_put_summary(const struct sync_sink *o, const struct sync_summary *sm,
    struct dib_diag *d);

/* What sync_put_blocks sent and left. */
struct sync_sent {
	int64_t blocks, records, bytes;
	int64_t wait_blocks, wait_records;      /* over the budget */
};

/*
** Write what a node of nation lacks, given its summary (NULL: it holds
** nothing): the certificates of the origins concerned, then the missing
** blocks, most urgent first (FLASH, IMMEDIATE, PRIORITY, ROUTINE; a block
** is as urgent as the most urgent block after it in its log, since a log
** applies in order), until budget bytes of blocks (0: no limit). A block
** larger than the budget goes alone when nothing else went, so that a
** link always makes progress. Then the waiting item. Only logs that
** sync_may_send() allows are considered.
*/
int sync_put_blocks(struct store *s, const char *nation,
    struct sync_summary *peer, int64_t budget, const struct sync_sink *o,
    struct sync_sent *sent, struct dib_diag *d);

/* Counts of what could go to nation beyond its summary (no output). */
int sync_waiting(struct store *s, const char *nation,
    struct sync_summary *peer, int64_t *blocks, int64_t *records,
    struct dib_diag *d);

/* A security event found while applying, written after the transaction. */
struct sync_event {
	char action[32];        /* sync.refused, sync.equivocation, ... */
	char target[120];
	char detail[400];
};

/* Applying a payload. */
struct sync_apply {
	/* Set by the caller. */
	struct store *s;
	char nation[3];         /* this node's */
	uint8_t self[32];       /* this node's key */
	int strict;             /* any refusal fails the whole payload */
	int dry_run;            /* check everything, write nothing */
	char from[80];          /* who sent it, for messages and the audit */
	/* Called for each well-formed, correctly signed block (or NULL). */
	void (*on_block)(void *arg, const struct log_header *h);
	void *on_block_arg;
	/* Results. */
	int64_t applied_blocks, applied_records;
	int64_t held_blocks, pending_blocks, refused_blocks, forks;
	int64_t certs;
	int64_t wait_blocks, wait_records;      /* the sender's 'R' item */
	int saw_end;
	struct sync_summary peer;               /* the sender's summary */
	struct sync_event *ev;
	size_t nev;
	/* Internal. */
	struct sync_trust *trust;
	size_t ntrust, trustcap;
	struct buf in;          /* a partial item */
	/* Statements prepared once per sync_apply_feed, on a->s. */
	struct sqlite3_stmt *st[7];
	int saw_version;
	int64_t now;
};

/* Prepare a; s, nation, self from node n. Free with sync_apply_free. */
void sync_apply_init(struct sync_apply *a, struct node *n);
void sync_apply_free(struct sync_apply *a);

/*
** Feed payload bytes (any chunking). Items apply as they complete, in
** the caller's transaction. DIB_ETAMPER / DIB_EINVAL name a malformed
** payload; in strict mode a refused block fails too (DIB_EPERM).
*/
int sync_apply_feed(struct sync_apply *a, const void *p, size_t n,
    struct dib_diag *d);

/* The payload ended: it must have ended with its end item. */
int sync_apply_finish(struct sync_apply *a, struct dib_diag *d);

/* Write a's security events to the audit trail (own transaction). */
void sync_apply_audit(struct sync_apply *a, const char *actor);

/* A one-line account: "12 blocks (340 records) applied, 1 held, ...". */
void sync_apply_describe(const struct sync_apply *a, char *out, size_t n);

/* A buffer sink (b's cap applies). */
int sync_buf_write(void *arg, const void *p, size_t n, struct dib_diag *d);

#endif
