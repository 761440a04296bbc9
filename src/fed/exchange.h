/*
** Node-to-node exchange over HTTP: POST /sync/v1/exchange, signed by the
** calling node's key and carrying its certificate. The client (diboli
** sync, the server's background sync) and the server's answer live here;
** src/http/api_sync.c only moves bytes. docs/sync.md has the protocol.
*/
#ifndef DIB_EXCHANGE_H
#define DIB_EXCHANGE_H

#include <stdatomic.h>
#include <stdint.h>

#include "fed/cert.h"
#include "fed/peer.h"
#include "fed/sync.h"
#include "util/buf.h"
#include "util/err.h"

struct node;
struct log_signer;

#define SYNC_PATH "/sync/v1/exchange"
#define SYNC_MEDIA "application/vnd.diboli.sync"
#define SYNC_CLOCK_SKEW_MS (15 * 60 * 1000)     /* request time window */
#define SYNC_BUDGET_MAX (64 * 1024 * 1024)

/* Run fn in a write transaction: the node's own, or the server writer's. */
typedef int (*sync_tx_fn)(struct node *n, void *arg, struct dib_diag *d);
struct sync_tx {
	int (*run)(void *ctx, sync_tx_fn fn, void *arg, struct dib_diag *d);
	void *ctx;
	const atomic_int *cancel;       /* set: abort a transfer (or NULL) */
	const char *trace;              /* a directory that receives every
	                                 * request and answer body, or NULL */
};

/* A transaction on node ctx itself (BEGIN IMMEDIATE ... COMMIT). */
int sync_tx_direct(void *ctx, sync_tx_fn fn, void *arg, struct dib_diag *d);

/* What one exchange did. */
struct sync_result {
	int64_t pulled_blocks, pulled_records;
	int64_t pushed_blocks, pushed_records;
	int64_t wait_in, wait_out;      /* records still waiting each way */
	int64_t refused, forks;
	char text[400];                 /* one line for people */
};

/*
** One exchange with peer p (it must have a URL): pull what it has for
** this node, apply it, then push what it lacks, each within budget
** bytes of blocks. Reads go through node r (its store), the request is
** signed with k, writes go through tx. The peer's row records the
** result and the backoff either way. DIB_EIO (network), DIB_EUNAUTH /
** DIB_EPERM (the peer refused this node), DIB_ETAMPER.
*/
int sync_with_peer(struct node *r, const struct log_signer *k,
    const struct peer *p, int64_t budget, const struct sync_tx *tx,
    struct sync_result *res, struct dib_diag *d);

/*
** The server's check of a caller: certificate (hex) chaining to a pinned
** nation key, request time within SYNC_CLOCK_SKEW_MS of now, and the
** node's signature over the request. DIB_EUNAUTH (401) or DIB_EPERM
** (403: a nation this node does not pin). caller receives the cert.
*/
int sync_auth_check(struct store *s, const char *cert_hex,
    const char *time, const char *sig_hex, int64_t budget, int pull,
    const void *body, size_t n, int64_t now, struct cert *caller,
    struct dib_diag *d);

/*
** Apply a request body from an authenticated caller (through tx), then
** write the answer into out: this node's summary for the caller's nation
** and, when pull, the blocks it lacks within budget. a holds what
** applying did (its events are audited here).
*/
int sync_serve(struct node *r, const struct sync_tx *tx,
    const struct cert *caller, const void *body, size_t n, int64_t budget,
    int pull, struct buf *out, struct sync_apply *a, struct dib_diag *d);

/* The next delay after fails failures in a row: 30 s doubling to 15 min. */
int64_t sync_backoff_ms(int64_t fails);

/* Record an exchange's outcome on the peer's row (inside fn of a tx). */
struct sync_note {
	const char *peer;
	int ok;
	const char *result;
	int64_t wait_in, wait_out;      /* -1: leave as is */
	int64_t interval_ms;            /* next try after success */
};
int sync_note_peer(struct node *n, void *arg, struct dib_diag *d);

#endif
