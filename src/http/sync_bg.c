/*
** diboli serve syncs in the background with every peer that has a URL:
** each is due at its next_at (30 s after a success; after failures 30 s
** doubling up to 15 min: a dead link is not hammered), one at a time;
** records written here go out at once (http_sync_kick) to the peers that
** answered last time; an administrator may run it at once with one peer
** or all, backoff or not (http_sync_force). It
** writes through the server's single writer. A line on stderr tells each
** exchange, like the access log.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fed/exchange.h"
#include "fed/peer.h"
#include "http/http_int.h"
#include "node/node.h"
#include "util/util.h"

#define SYNC_TICK_MS 2000

_Static_assert(sizeof(((struct server *)0)->sync_force[0]) ==
    PEER_NAME_MAX + 1, "a forced peer's name must fit");

static void
tick_wait(struct server *s, int64_t ms, int kick_wakes)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->sync_mu);
	while (!atomic_load(&s->sync_stop) && !(kick_wakes &&
	    (atomic_load(&s->sync_kick) || s->sync_nforce > 0 ||
	    s->sync_force_all)))
		if (pthread_cond_timedwait(&s->sync_cv, &s->sync_mu, &ts) != 0)
			break;
	pthread_mutex_unlock(&s->sync_mu);
}

/* The peers forced by http_sync_force since the last round, taken. */
struct forced {
	char name[8][PEER_NAME_MAX + 1];
	int n, all;
};

static void
take_forced(struct server *s, struct forced *f)
{
	int i;

	pthread_mutex_lock(&s->sync_mu);
	f->all = s->sync_force_all;
	f->n = s->sync_nforce;
	for (i = 0; i < f->n; i++)
		memcpy(f->name[i], s->sync_force[i], sizeof f->name[i]);
	s->sync_force_all = 0;
	s->sync_nforce = 0;
	pthread_mutex_unlock(&s->sync_mu);
}

static int
is_forced(const struct forced *f, const char *name)
{
	int i;

	if (f->all)
		return 1;
	for (i = 0; i < f->n; i++)
		if (strcmp(f->name[i], name) == 0)
			return 1;
	return 0;
}

static void *
sync_loop(void *arg)
{
	struct server *s = arg;
	struct sync_tx tx = {writer_run_ctx, &s->writer, &s->sync_stop, NULL};

	while (!atomic_load(&s->sync_stop)) {
		struct node *r = http_reader(s);
		struct peer *p = NULL;
		struct dib_diag d;
		size_t np = 0, i;
		int64_t now = util_now_ms();
		int kicked = atomic_exchange(&s->sync_kick, 0);
		struct forced f;

		take_forced(s, &f);

		if (r != NULL && peer_list(r->store, &p, &np, &d) == 0) {
			for (i = 0; i < np && !atomic_load(&s->sync_stop);
			    i++) {
				struct sync_result res;
				char t[40];

				/* New local records go out at once to peers
				 * that answer; a failing one keeps its
				 * backoff, unless an administrator forces
				 * it. */
				if (p[i].url[0] == '\0' || (p[i].next_at > now &&
				    !(kicked && p[i].fails == 0) &&
				    !is_forced(&f, p[i].name)))
					continue;
				dib_diag_clear(&d);
				sync_with_peer(r, &s->node->signer, &p[i],
				    SYNC_BUDGET_DEFAULT, &tx, &res, &d);
				if (!s->conf.quiet) {
					pthread_mutex_lock(&s->logmu);
					fprintf(stderr, "%s sync %s: %s\n",
					    util_time_format(util_now_ms(), t,
					    sizeof t), p[i].name, res.text);
					pthread_mutex_unlock(&s->logmu);
				}
			}
			free(p);
		}
		/* Kicks coalesce: a busy post triggers a run at most
		 * every half second. */
		tick_wait(s, 500, 0);
		tick_wait(s, SYNC_TICK_MS, 1);
	}
	return NULL;
}

void
http_sync_start(struct server *s)
{
	pthread_mutex_init(&s->sync_mu, NULL);
	pthread_cond_init(&s->sync_cv, NULL);
	atomic_store(&s->sync_stop, 0);
	s->sync_running = pthread_create(&s->sync_thread, NULL, sync_loop,
	    s) == 0;
}

void
http_sync_kick(struct server *s)
{
	if (!s->sync_running)
		return;
	pthread_mutex_lock(&s->sync_mu);
	atomic_store(&s->sync_kick, 1);
	pthread_cond_signal(&s->sync_cv);
	pthread_mutex_unlock(&s->sync_mu);
}

int
http_sync_force(struct server *s, const char *peer)
{
	if (!s->sync_running)
		return -1;
	pthread_mutex_lock(&s->sync_mu);
	if (peer == NULL || s->sync_nforce == (int)(sizeof s->sync_force /
	    sizeof s->sync_force[0]))
		s->sync_force_all = 1;  /* a full list: all, which holds it */
	else
		snprintf(s->sync_force[s->sync_nforce++],
		    sizeof s->sync_force[0], "%s", peer);
	pthread_cond_signal(&s->sync_cv);
	pthread_mutex_unlock(&s->sync_mu);
	return 0;
}

void
http_sync_stop(struct server *s)
{
	if (!s->sync_running)
		return;
	pthread_mutex_lock(&s->sync_mu);
	atomic_store(&s->sync_stop, 1);
	pthread_cond_signal(&s->sync_cv);
	pthread_mutex_unlock(&s->sync_mu);
	pthread_join(s->sync_thread, NULL);
	s->sync_running = 0;
	pthread_mutex_destroy(&s->sync_mu);
	pthread_cond_destroy(&s->sync_cv);
}
