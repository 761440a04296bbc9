/*
** Server-sent events (GET /api/v1/events): one event per batch of records
** the writer commits (local writes and sync alike), so that open pages
** show new records without reloading. A stream holds no request thread:
** with nothing to send it suspends its connection, and the writer's
** commit, the keep-alive tick or the server's stop resumes it.
*/
#include "http/http_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "node/node.h"
#include "store/store.h"
#include "util/util.h"

#define EV_RING 64              /* events kept for clients that come back */
#define EV_IDS 100              /* ids named in one event (more: a count) */
#define EV_KEEPALIVE_S 15       /* a comment on idle streams, so that dead
                                 * clients are found and proxies stay */
#define EV_RETRY_MS 5000        /* the client's reconnection delay */

struct stream {
	struct events *hub;
	struct MHD_Connection *conn;
	uint64_t next;          /* the seq of the next event to send */
	int hello;              /* the first bytes went out */
	int reset;              /* the client missed events: reload */
	int suspended;          /* waiting, by this module's own suspend */
	int counted;            /* counted in srv->suspended */
	int ping;               /* send a keep-alive comment */
	struct buf out;         /* bytes being sent */
	size_t pos;             /* of out, sent */
	size_t *sent;           /* the request's count, for the access log */
	struct stream *prev, *next_s;
};

struct events {
	struct server *srv;
	pthread_mutex_t mu;
	uint64_t seq;           /* the last event's seq; 0: none yet */
	char *ring[EV_RING];    /* event seq s at ring[s % EV_RING] */
	long long epoch;        /* this process: ids are "epoch-seq" */
	struct stream *streams; /* open streams */
	unsigned nstreams, max;
	struct stream **wake;   /* room for max streams, to resume */
	int closing;            /* the server stops: end every stream */
	/* Keep-alive thread. */
	pthread_t tick;
	pthread_cond_t cv;
	int tick_running, tick_stop;
};

/* ---- the writer's side ---- */

/* Resume the n streams of h->wake (their flags already cleared). */
static void
resume_all(struct events *h, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		MHD_resume_connection(h->wake[i]->conn);
}

/* Under h->mu: take every suspended stream into h->wake. */
static unsigned
take_suspended(struct events *h, int ping)
{
	struct stream *s;
	unsigned n = 0;

	for (s = h->streams; s != NULL && n < h->max; s = s->next_s) {
		if (!s->suspended)
			continue;
		s->suspended = 0;
		if (ping)
			s->ping = 1;
		h->wake[n++] = s;
	}
	return n;
}

/*
** After each of the writer's batches, on its thread: an event naming the
** records its transaction added (v: exactly what committed; nothing when
** it rolled back), the first EV_IDS by id, all by count.
*/
static void
on_commit(void *arg, int ok, const struct store_item *v, size_t count)
{
	struct events *h = arg;
	struct buf b;
	unsigned n;
	size_t i, named = count < EV_IDS ? count : EV_IDS;
	char *text, txt[37];

	if (!ok || count == 0)
		return;
	buf_init(&b, 64 * 1024);
	buf_printf(&b, "id: %lld-%" PRIu64 "\nevent: records\ndata: "
	    "{\"count\":%zu,\"ids\":[", h->epoch, h->seq + 1, count);
	for (i = 0; i < named; i++)
		buf_printf(&b, "%s\"%s\"", i ? "," : "",
		    util_uuid_format(v[i].id, txt));
	buf_printf(&b, "],\"complete\":%s}\n\n", named == count ? "true" :
	    "false");
	if (b.oom) {
		buf_free(&b);
		return;
	}
	text = buf_detach(&b, NULL);
	pthread_mutex_lock(&h->mu);
	h->seq++;
	free(h->ring[h->seq % EV_RING]);
	h->ring[h->seq % EV_RING] = text;
	n = take_suspended(h, 0);
	pthread_mutex_unlock(&h->mu);
	resume_all(h, n);
}

/* ---- keep-alive ---- */

static void *
tick_loop(void *arg)
{
	struct events *h = arg;

	pthread_setname_np(pthread_self(), "diboli-events");
	pthread_mutex_lock(&h->mu);
	while (!h->tick_stop) {
		struct timespec ts;
		unsigned n;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += EV_KEEPALIVE_S;
		while (!h->tick_stop && pthread_cond_timedwait(&h->cv, &h->mu,
		    &ts) != ETIMEDOUT)
			;
		if (h->tick_stop)
			break;
		n = take_suspended(h, 1);
		pthread_mutex_unlock(&h->mu);
		resume_all(h, n);
		pthread_mutex_lock(&h->mu);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

/* ---- one stream ---- */

/* Under h->mu: what s has to send next, into s->out (empty: nothing). */
static void
fill(struct stream *s)
{
	struct events *h = s->hub;

	buf_reset(&s->out);
	s->pos = 0;
	if (!s->hello) {
		buf_printf(&s->out, "retry: %d\n: diboli events\n\n",
		    EV_RETRY_MS);
		s->hello = 1;
		return;
	}
	if (s->reset || s->next <= h->seq) {
		if (s->reset || h->seq - s->next >= EV_RING) {
			/* Too far behind: the client reloads instead. */
			buf_printf(&s->out, "id: %lld-%" PRIu64 "\nevent: reset\n"
			    "data: {}\n\n", h->epoch, h->seq);
		} else {
			uint64_t q;

			for (q = s->next; q <= h->seq; q++)
				buf_adds(&s->out, h->ring[q % EV_RING]);
		}
		s->next = h->seq + 1;
		s->reset = 0;
		s->ping = 0;
		return;
	}
	if (s->ping) {
		buf_adds(&s->out, ": keep-alive\n\n");
		s->ping = 0;
	}
}

static ssize_t
stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct stream *s = cls;
	struct events *h = s->hub;
	size_t n;

	(void)pos;
	pthread_mutex_lock(&h->mu);
	if (s->counted) {
		s->counted = 0;
		atomic_fetch_sub(&h->srv->suspended, 1);
	}
	if (s->pos >= s->out.len) {
		if (h->closing) {
			pthread_mutex_unlock(&h->mu);
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
		fill(s);
		if (s->out.oom) {
			pthread_mutex_unlock(&h->mu);
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
		if (s->out.len == 0) {
			/* Nothing to say: give the thread back until a
			 * commit, a tick or the stop resumes us. Counted
			 * so that a stopping server waits for it. */
			s->suspended = 1;
			s->counted = 1;
			atomic_fetch_add(&h->srv->suspended, 1);
			MHD_suspend_connection(s->conn);
			pthread_mutex_unlock(&h->mu);
			return 0;
		}
	}
	n = s->out.len - s->pos < max ? s->out.len - s->pos : max;
	memcpy(out, s->out.p + s->pos, n);
	s->pos += n;
	*s->sent += n;
	pthread_mutex_unlock(&h->mu);
	return (ssize_t)n;
}

static void
stream_free(void *cls)
{
	struct stream *s = cls;
	struct events *h = s->hub;

	pthread_mutex_lock(&h->mu);
	if (s->counted)
		atomic_fetch_sub(&h->srv->suspended, 1);
	if (s->prev)
		s->prev->next_s = s->next_s;
	else
		h->streams = s->next_s;
	if (s->next_s)
		s->next_s->prev = s->prev;
	h->nstreams--;
	pthread_mutex_unlock(&h->mu);
	buf_free(&s->out);
	free(s);
}

/*
** Where a stream starts: after its Last-Event-ID if that is of this
** process and still held, else with a reset (the client reloads) when it
** had seen events before, else with the next event.
*/
static void
start_at(struct events *h, struct stream *s, const char *last)
{
	long long epoch;
	uint64_t seq;
	int used = 0;

	s->next = h->seq + 1;
	if (last == NULL || last[0] == '\0')
		return;
	if (sscanf(last, "%lld-%" SCNu64 "%n", &epoch, &seq, &used) != 2 ||
	    last[used] != '\0' || epoch != h->epoch || seq > h->seq ||
	    h->seq - seq >= EV_RING)
		s->reset = 1;
	else
		s->next = seq + 1;
}

enum MHD_Result
http_events(struct req *r, const char *id)
{
	struct events *h = r->srv->events;
	const char *accept = http_header(r, "Accept");
	struct MHD_Response *resp;
	struct stream *s;

	(void)id;
	/* A plain GET (a script, a test) would never end: the stream is
	 * for clients that ask for it, as EventSource does. */
	if (accept == NULL || strstr(accept, "text/event-stream") == NULL)
		return http_reply_error(r, 400, "bad_request", "Accept", "this is "
		    "a stream of server-sent events: send \"Accept: "
		    "text/event-stream\"");
	if (h == NULL)
		return http_reply_error(r, 503, "unavailable", "", "events are "
		    "not available");
	if ((s = calloc(1, sizeof *s)) == NULL)
		return http_reply_error(r, 503, "no_memory", "", "out of memory");
	s->hub = h;
	s->conn = r->conn;
	s->sent = &r->sent;
	buf_init(&s->out, (size_t)EV_RING * 64 * 1024);
	pthread_mutex_lock(&h->mu);
	if (h->closing || h->nstreams >= h->max) {
		int closing = h->closing;

		pthread_mutex_unlock(&h->mu);
		free(s);
		return http_reply_error(r, 503, "unavailable", "", closing ?
		    "the server is stopping" : "too many open event streams "
		    "(at most %u): try again later", h->max);
	}
	start_at(h, s, http_header(r, "Last-Event-ID"));
	s->next_s = h->streams;
	if (h->streams)
		h->streams->prev = s;
	h->streams = s;
	h->nstreams++;
	pthread_mutex_unlock(&h->mu);
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024,
	    stream_read, s, stream_free);
	if (resp == NULL) {
		stream_free(s);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type",
	    "text/event-stream; charset=utf-8");
	/* Idle by design: liveness is the keep-alive's business. */
	MHD_set_connection_option(r->conn, MHD_CONNECTION_OPTION_TIMEOUT,
	    (unsigned int)0);
	return http_queue(r, 200, resp);
}

/* ---- start and stop ---- */

int
http_events_start(struct server *s, unsigned max_streams, struct dib_diag *d)
{
	struct events *h;

	if ((h = calloc(1, sizeof *h)) == NULL ||
	    (h->wake = calloc(max_streams ? max_streams : 1,
	    sizeof *h->wake)) == NULL) {
		free(h);
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	}
	h->srv = s;
	h->max = max_streams;
	h->epoch = (long long)util_now_ms();
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	writer_set_commit_hook(&s->writer, on_commit, h);
	h->tick_running = pthread_create(&h->tick, NULL, tick_loop, h) == 0;
	s->events = h;
	return DIB_OK;
}

/* The keep-alive thread, stopped first so that only the stop resumes. */
static void
tick_stop(struct events *h)
{
	if (!h->tick_running)
		return;
	pthread_mutex_lock(&h->mu);
	h->tick_stop = 1;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->tick, NULL);
	h->tick_running = 0;
}

void
http_events_close(struct server *s)
{
	struct events *h = s->events;
	unsigned n;

	if (h == NULL)
		return;
	tick_stop(h);
	pthread_mutex_lock(&h->mu);
	h->closing = 1;
	n = take_suspended(h, 0);
	pthread_mutex_unlock(&h->mu);
	resume_all(h, n);
}

void
http_events_free(struct server *s)
{
	struct events *h = s->events;
	size_t i;

	if (h == NULL)
		return;
	tick_stop(h);
	for (i = 0; i < EV_RING; i++)
		free(h->ring[i]);
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->cv);
	free(h->wake);
	free(h);
	s->events = NULL;
}
