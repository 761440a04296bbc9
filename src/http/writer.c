/*
** Group commit: the writer takes every job queued, runs each in its own
** savepoint (a failing job rolls back alone), commits once, then wakes
** all their callers.
*/
#include "http/writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "node/node.h"
#include "store/store.h"
#include "util/util.h"

#define BATCH_MAX 256   /* jobs in one transaction */

/* What a committed transaction added, on its way to the indexer. */
struct writer_batch {
	struct store_item *items;
	size_t nitems;
	struct writer_batch *next;
};

/* Index what a transaction added (not under w->mu). */
static void
index_items(struct writer *w, struct store_item *v, size_t n)
{
	struct dib_diag d;

	/* A failure leaves these out of the index until the node opens
	 * again (it catches up); the records themselves are committed. */
	if (n > 0 && node_text_index(w->node, v, n, &d) != 0) {
		fprintf(stderr, "diboli: index de recherche : %s (rattrapé au "
		    "prochain démarrage)\n", d.msg);
		w->text_failures++;
	}
	store_items_free(v, n);
}

static void *
index_loop(void *arg)
{
	struct writer *w = arg;

	pthread_setname_np(pthread_self(), "diboli-index");
	/* Indexing can wait for spare time: searches wait for it (5 s at
	 * most), writes never do. */
	util_thread_background();
	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct writer_batch *b;

		while (w->ixhead == NULL && !w->ixstop)
			pthread_cond_wait(&w->ixwork, &w->mu);
		if ((b = w->ixhead) == NULL)
			break;
		if ((w->ixhead = b->next) == NULL)
			w->ixtail = NULL;
		pthread_mutex_unlock(&w->mu);
		index_items(w, b->items, b->nitems);
		free(b);
		pthread_mutex_lock(&w->mu);
		w->ixdone_n++;
		pthread_cond_broadcast(&w->ixdone);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* On the writer thread, after a commit: what it added, to the indexer. */
static void
pass_on(struct writer *w, struct store_item *v, size_t n)
{
	struct writer_batch *b;

	if (n == 0)
		return;
	if ((b = malloc(sizeof *b)) == NULL || !w->ixrunning) {
		/* No indexer (out of memory): index here. */
		free(b);
		index_items(w, v, n);
		return;
	}
	b->items = v;
	b->nitems = n;
	b->next = NULL;
	pthread_mutex_lock(&w->mu);
	if (w->ixtail)
		w->ixtail->next = b;
	else
		w->ixhead = b;
	w->ixtail = b;
	w->ixqueued_n++;
	pthread_cond_signal(&w->ixwork);
	pthread_mutex_unlock(&w->mu);
}

void
writer_text_wait(struct writer *w, int ms)
{
	struct timespec ts;
	uint64_t want;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->mu);
	want = w->ixqueued_n;
	while (w->ixdone_n < want && w->ixrunning && !w->ixstop)
		if (pthread_cond_timedwait(&w->ixdone, &w->mu, &ts) != 0)
			break;
	pthread_mutex_unlock(&w->mu);
}

static int
run_batch(struct writer *w, struct writer_job *jobs)
{
	struct store *s = w->node->store;
	struct writer_job *j;
	struct dib_diag d;
	int rc;

	if ((rc = store_begin(s, &d)) != 0) {
		for (j = jobs; j; j = j->next) {
			j->rc = rc;
			j->d = d;
		}
		return 0;
	}
	for (j = jobs; j; j = j->next) {
		size_t mark = store_pend_mark(s);

		dib_diag_clear(&j->d);
		if (store_run(s, "SAVEPOINT job", &j->d) != 0) {
			j->rc = j->d.code;
			continue;
		}
		j->rc = j->fn(w->node, j->arg, &j->d);
		if (j->rc != 0) {
			store_run(s, "ROLLBACK TO job", NULL);
			store_pend_unwind(s, mark);
			store_cache_reset(s);
		}
		store_run(s, "RELEASE job", NULL);
		w->jobs++;
	}
	if ((rc = store_commit(s, &d)) != 0) {
		store_rollback(s);
		for (j = jobs; j; j = j->next)
			if (j->rc == 0) {
				j->rc = rc;
				j->d = d;
			}
		return 0;
	}
	w->commits++;
	return 1;
}

static void *
loop(void *arg)
{
	struct writer *w = arg;

	pthread_setname_np(pthread_self(), "diboli-writer");
	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct writer_job *batch, *j;
		struct store_item *added;
		size_t nadded;
		int n = 0, ok;

		while (w->head == NULL && !w->stop)
			pthread_cond_wait(&w->work, &w->mu);
		if (w->head == NULL && w->stop)
			break;
		/* Take up to BATCH_MAX jobs; the rest wait for the next. */
		batch = w->head;
		for (j = batch; j->next && ++n < BATCH_MAX; j = j->next)
			;
		w->head = j->next;
		if (w->head == NULL)
			w->tail = NULL;
		j->next = NULL;
		pthread_mutex_unlock(&w->mu);
		ok = run_batch(w, batch);
		added = node_text_take(w->node, &nadded);
		if (w->committed != NULL)
			w->committed(w->committed_arg, ok, added, nadded);
		pass_on(w, added, nadded);
		pthread_mutex_lock(&w->mu);
		for (j = batch; j;) {
			struct writer_job *next = j->next;

			j->finished = 1;
			/* After done() the job may be gone: read next first. */
			if (j->done != NULL)
				j->done(j->done_arg);
			j = next;
		}
		pthread_cond_broadcast(&w->done);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Let the indexer finish the batches handed to it, then stop it. */
static void
writer_stop_indexer(struct writer *w)
{
	if (!w->ixrunning)
		return;
	pthread_mutex_lock(&w->mu);
	w->ixstop = 1;
	pthread_cond_signal(&w->ixwork);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->indexer, NULL);
	w->ixrunning = 0;
}

int
writer_start(struct writer *w, struct node *n, struct dib_diag *d)
{
	memset(w, 0, sizeof *w);
	w->node = n;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->done, NULL);
	pthread_cond_init(&w->ixwork, NULL);
	pthread_cond_init(&w->ixdone, NULL);
	node_text_defer(n);
	w->ixrunning = pthread_create(&w->indexer, NULL, index_loop, w) == 0;
	if (pthread_create(&w->thread, NULL, loop, w) != 0) {
		writer_stop_indexer(w);
		return dib_fail(d, DIB_ENOMEM, "", "cannot start the writer");
	}
	return DIB_OK;
}

void
writer_set_commit_hook(struct writer *w, writer_committed_fn fn, void *arg)
{
	pthread_mutex_lock(&w->mu);
	w->committed = fn;
	w->committed_arg = arg;
	pthread_mutex_unlock(&w->mu);
}

/* Under w->mu: queue job and wake the writer; -1 when it stops. */
static int
enqueue(struct writer *w, struct writer_job *job)
{
	if (w->stop)
		return -1;
	job->next = NULL;
	if (w->tail)
		w->tail->next = job;
	else
		w->head = job;
	w->tail = job;
	pthread_cond_signal(&w->work);
	return 0;
}

int
writer_submit(struct writer *w, struct writer_job *job)
{
	int rc;

	job->finished = 0;
	job->rc = 0;
	pthread_mutex_lock(&w->mu);
	rc = enqueue(w, job);
	pthread_mutex_unlock(&w->mu);
	if (rc != 0)
		return dib_fail(&job->d, DIB_EIO, "", "the server is stopping");
	return DIB_OK;
}

int
writer_run_ctx(void *w, writer_fn fn, void *arg, struct dib_diag *d)
{
	return writer_run(w, fn, arg, d);
}

int
writer_run(struct writer *w, writer_fn fn, void *arg, struct dib_diag *d)
{
	struct writer_job job;

	memset(&job, 0, sizeof job);
	job.fn = fn;
	job.arg = arg;
	pthread_mutex_lock(&w->mu);
	if (enqueue(w, &job) != 0) {
		pthread_mutex_unlock(&w->mu);
		return dib_fail(d, DIB_EIO, "", "the server is stopping");
	}
	while (!job.finished)
		pthread_cond_wait(&w->done, &w->mu);
	pthread_mutex_unlock(&w->mu);
	if (job.rc != 0 && d != NULL)
		*d = job.d;
	return job.rc;
}

void
writer_stop(struct writer *w)
{
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	writer_stop_indexer(w);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->done);
	pthread_cond_destroy(&w->ixwork);
	pthread_cond_destroy(&w->ixdone);
}
