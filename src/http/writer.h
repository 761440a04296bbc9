/*
** The single writer: one thread owns the node's write connection and runs
** the jobs that request threads hand it, many per transaction (group
** commit). A job's caller is answered only after that transaction's
** commit, so an acknowledged write is durable. A second thread, the
** indexer, then puts the words of what the transaction added into the
** text index (a file of its own, store/text.h) while the writer goes on
** with the next one; a search waits for it (writer_text_wait), so q=
** finds every write acknowledged before the search began.
*/
#ifndef DIB_WRITER_H
#define DIB_WRITER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct node;
struct store_item;
struct writer_batch;

/*
** After each batch: ok, it committed, and v[0..n) are the entries its
** transaction added (the callee reads them, never keeps them).
*/
typedef void (*writer_committed_fn)(void *arg, int ok,
    const struct store_item *v, size_t n);

/* A unit of work: runs inside the writer's transaction (a savepoint). */
typedef int (*writer_fn)(struct node *n, void *arg, struct dib_diag *d);

/* A job; its memory belongs to the caller until it finished. */
struct writer_job {
	writer_fn fn;
	void *arg;
	void (*done)(void *);   /* called by the writer after the commit */
	void *done_arg;
	int rc;                 /* fn's result, or the commit's */
	int finished;
	struct dib_diag d;
	struct writer_job *next;
};

struct writer {
	struct node *node;              /* owned by the writer thread */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t work;            /* jobs queued or stop */
	pthread_cond_t done;            /* a batch finished */
	struct writer_job *head, *tail; /* queued jobs */
	int stop;
	/* The indexer: committed batches, in commit order. */
	pthread_t indexer;
	pthread_cond_t ixwork;          /* a batch to index, or stop */
	pthread_cond_t ixdone;          /* a batch indexed */
	struct writer_batch *ixhead, *ixtail;
	uint64_t ixqueued_n, ixdone_n;  /* batches handed, indexed */
	int ixstop, ixrunning;
	uint64_t text_failures;         /* batches the index missed */
	uint64_t commits;               /* transactions committed */
	uint64_t jobs;                  /* jobs run */
	/* Called on the writer thread after each batch (see
	 * writer_committed_fn), before the jobs' done(): the server-sent
	 * events. */
	writer_committed_fn committed;
	void *committed_arg;
};

/* Start the writer thread on node n. */
int writer_start(struct writer *w, struct node *n, struct dib_diag *d);

/* Run fn(node, arg) in the writer; wait for its commit. Thread-safe. */
int writer_run(struct writer *w, writer_fn fn, void *arg,
    struct dib_diag *d);

/* writer_run with the writer as an opaque context w: the transaction
 * runner of struct sync_tx (fed/exchange.h) for the server's syncs. */
int writer_run_ctx(void *w, writer_fn fn, void *arg, struct dib_diag *d);

/*
** Queue job (fn, arg, done, done_arg set) and return at once; the writer
** calls done(done_arg) after the job's transaction, and then no longer
** touches job. For request threads that must not wait (libmicrohttpd
** suspends the connection meanwhile). 0, or DIB_EIO when stopping.
*/
int writer_submit(struct writer *w, struct writer_job *job);

/* Set the hook called after each batch (see struct writer). */
void writer_set_commit_hook(struct writer *w, writer_committed_fn fn,
    void *arg);

/*
** Wait (at most ms) until the text index holds every transaction that
** committed before the call: before a search. Thread-safe.
*/
void writer_text_wait(struct writer *w, int ms);

/* Finish the queued jobs, stop the thread. The node stays open. */
void writer_stop(struct writer *w);

#endif
