/*
** The HTTP server: libmicrohttpd with a pool of threads on epoll, limits
** on bodies, headers, connections and slow clients, an access log, a read
** connection per thread, and a clean stop on SIGINT or SIGTERM.
*/
#include "http/http_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "audit/audit.h"
#include "auth/auth.h"
#include "node/node.h"
#include "store/store.h"
#include "util/util.h"

#define DEFAULT_LISTEN "127.0.0.1:8440"

void
http_conf_defaults(struct http_conf *c)
{
	memset(c, 0, sizeof *c);
	c->listen = DEFAULT_LISTEN;
	c->max_body = 32 * 1024 * 1024;
	c->max_header = 64 * 1024;
	c->max_conns = 256;
	c->per_ip = 64;
	c->timeout_s = 30;
	c->threads = 4;
	c->max_streams = 64;
}

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- per-thread read connections ---- */

static _Thread_local struct node reader_node;
static _Thread_local int reader_ready;

struct node *
http_reader(struct server *s)
{
	struct store *st = NULL;
	struct dib_diag d;

	if (reader_ready)
		return &reader_node;
	if (store_open(s->dbpath, 0, &st, &d) != 0)
		return NULL;
	pthread_mutex_lock(&s->readers_mu);
	if (s->nreaders == sizeof s->readers / sizeof s->readers[0]) {
		pthread_mutex_unlock(&s->readers_mu);
		store_close(st);
		return NULL;
	}
	s->readers[s->nreaders++] = st;
	pthread_mutex_unlock(&s->readers_mu);
	/* The same node, seen through this thread's own connection: its
	 * model and identity are read-only here; the secret key stays with
	 * the writer (its public key and origin row are the node's id). */
	reader_node = *s->node;
	reader_node.store = st;
	sodium_memzero(reader_node.signer.sk, sizeof reader_node.signer.sk);
	reader_ready = 1;
	return &reader_node;
}

/* ---- answers ---- */

enum MHD_Result
http_queue(struct req *r, unsigned status, struct MHD_Response *resp)
{
	enum MHD_Result ret;

	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	r->status = status;
	ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result
http_reply_text(struct req *r, unsigned status, const char *type,
    const char *text, size_t len)
{
	struct MHD_Response *resp = http_resp_bytes(r, type, text, len, 0);

	if (resp == NULL)
		return MHD_NO;
	return http_queue(r, status, resp);
}

struct MHD_Response *
http_resp_json(struct req *r, json_t *j, const char *type)
{
	char *text = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(15)) :
	    NULL;
	struct MHD_Response *resp;

	json_decref(j);
	if (text == NULL)
		return NULL;
	resp = http_resp_bytes(r, type ? type :
	    "application/json; charset=utf-8", text, strlen(text), 1);
	return resp;
}

enum MHD_Result
http_reply_json(struct req *r, unsigned status, json_t *j, const char *type)
{
	struct MHD_Response *resp = http_resp_json(r, j, type);

	if (resp == NULL)
		return MHD_NO;
	return http_queue(r, status, resp);
}

enum MHD_Result
http_reply_empty(struct req *r, unsigned status)
{
	return http_reply_text(r, status, "text/plain; charset=utf-8", "", 0);
}

static struct MHD_Response *
resp_error_v(struct req *r, const char *code, const char *field,
    const char *fmt, va_list ap)
{
	char msg[600], fld[200];

	vsnprintf(msg, sizeof msg, fmt, ap);
	/* Both may quote the client's bytes: make them valid UTF-8. */
	audit_clip(msg, sizeof msg, msg);
	audit_clip(fld, sizeof fld, field ? field : "");
	return http_resp_json(r, json_pack("{s:{s:s, s:s, s:s}}", "error",
	    "code", code, "message", msg, "field", fld), NULL);
}

struct MHD_Response *
http_resp_error(struct req *r, const char *code, const char *field,
    const char *fmt, ...)
{
	struct MHD_Response *resp;
	va_list ap;

	va_start(ap, fmt);
	resp = resp_error_v(r, code, field, fmt, ap);
	va_end(ap);
	return resp;
}

enum MHD_Result
http_reply_error(struct req *r, unsigned status, const char *code,
    const char *field, const char *fmt, ...)
{
	struct MHD_Response *resp;
	va_list ap;

	va_start(ap, fmt);
	resp = resp_error_v(r, code, field, fmt, ap);
	va_end(ap);
	return http_queue(r, status, resp);
}

enum MHD_Result
http_reply_not_allowed(struct req *r, const char *allow)
{
	struct MHD_Response *resp = http_resp_error(r, "method_not_allowed",
	    "", "this method is not allowed here");

	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Allow", allow);
	return http_queue(r, 405, resp);
}

enum MHD_Result
http_reply_diag(struct req *r, const struct dib_diag *d)
{
	unsigned status = (unsigned)dib_http_status(d->code);

	/* A validation error is a client mistake, never a server one. */
	if (d->code == DIB_EINVAL)
		status = 422;
	return http_reply_error(r, status, dib_code_name(d->code), d->field, "%s",
	    d->msg[0] ? d->msg : dib_strerror(d->code));
}

const char *
http_arg(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND,
	    name);
}

const char *
http_header(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

/* ---- the request cycle ---- */

static void
client_addr(struct MHD_Connection *c, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(out, n, "-");
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)
		    sa)->sin_addr, out, (socklen_t)n);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)
		    sa)->sin6_addr, out, (socklen_t)n);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct server *s = cls;
	struct req *r = *con_cls;

	(void)version;
	if (r == NULL) {
		const char *cl;

		if ((r = calloc(1, sizeof *r)) == NULL)
			return MHD_NO;
		r->srv = s;
		r->conn = conn;
		r->method = method;
		r->url = url;
		r->start_us = now_us();
		atomic_fetch_add(&s->active, 1);
		buf_init(&r->body, s->conf.max_body);
		client_addr(conn, r->addr, sizeof r->addr);
		*con_cls = r;
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL) {
			unsigned long long announced = strtoull(cl, NULL, 10);

			if (announced > s->conf.max_body) {
				r->too_big = 1;
				return http_reply_error(r, 413, "too_big",
				    "body", "the request body is larger than "
				    "%zu bytes%s", s->conf.max_body,
				    http_body_hint(url));
			}
			/* The announced size at once (it is under the
			 * cap): no buffer grown and copied again and
			 * again while it comes. */
			buf_reserve(&r->body, (size_t)announced);
		}
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (!r->too_big && buf_add(&r->body, upload, *upload_size) != 0)
			r->too_big = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->resume != NULL) {
		/* The writer is done with this request's job: answer. */
		enum MHD_Result (*fn)(struct req *) = r->resume;

		r->resume = NULL;
		atomic_fetch_sub(&s->suspended, 1);
		return fn(r);
	}
	if (r->status != 0)
		return MHD_YES;
	if (r->too_big)
		return http_reply_error(r, 413, "too_big", "body", "the request body "
		    "is larger than %zu bytes%s", s->conf.max_body,
		    http_body_hint(r->url));
	/* The API and the node-to-node sync; everything else is the web
	 * UI's (web.c). */
	if (strncmp(url, "/api/", 5) == 0 || strcmp(url, "/api") == 0 ||
	    strncmp(url, "/sync/", 6) == 0)
		return http_dispatch(r);
	return http_web(r);
}

static void
on_done(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct server *s = cls;
	struct req *r = *con_cls;
	int64_t us;
	unsigned cls_idx;

	(void)conn;
	(void)toe;
	if (r == NULL)
		return;
	us = now_us() - r->start_us;
	cls_idx = r->status / 100;
	atomic_fetch_add(&s->requests, 1);
	if (cls_idx >= 1 && cls_idx <= 5)
		atomic_fetch_add(&s->status[cls_idx], 1);
	atomic_fetch_add(&s->usec_total, (unsigned long long)us);
	if (!s->conf.quiet) {
		char ts[40];

		pthread_mutex_lock(&s->logmu);
		fprintf(stderr, "%s %s %s \"%s %.300s\" %u %zu %.1fms %s\n",
		    util_time_format(util_now_ms(), ts, sizeof ts), r->addr,
		    r->who.authed ? r->who.login : "-", r->method, r->url,
		    r->status, r->sent, us / 1000.0,
		    toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" :
		    "(aborted)");
		pthread_mutex_unlock(&s->logmu);
	}
	/* Resumed but never answered (the client went away): it is no
	 * longer suspended either. */
	if (r->resume != NULL)
		atomic_fetch_sub(&s->suspended, 1);
	if (r->async_free != NULL)
		r->async_free(r->async);
	buf_free(&r->body);
	free(r);
	*con_cls = NULL;
	atomic_fetch_sub(&s->active, 1);
}

/* ---- checkpoints beside the writer ---- */

/*
** A commit only appends to the WAL; copying the WAL back into the
** database (a checkpoint: read, write, fsync) is work the single writer
** need not do between two transactions. This thread does it instead, on
** its own connection, while the writer goes on (a passive checkpoint
** never blocks it). If it ever falls far behind, the writer checkpoints
** itself, so that the WAL stays bounded.
*/
#define CKPT_PAGES 4096         /* WAL pages that wake the checkpointer */
#define CKPT_HARD (16 * CKPT_PAGES) /* the writer's own limit */

struct ckpt {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int want, stop, running;
	const char *dbpath;
	struct store *writer;           /* the writer's, whose hook it is */
};

static int
ckpt_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct ckpt *c = arg;

	if (pages >= CKPT_HARD || (pages >= CKPT_PAGES && !c->running)) {
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE,
		    NULL, NULL);
	} else if (pages >= CKPT_PAGES) {
		pthread_mutex_lock(&c->mu);
		c->want = 1;
		pthread_cond_signal(&c->cv);
		pthread_mutex_unlock(&c->mu);
	}
	return SQLITE_OK;
}

static void *
ckpt_loop(void *arg)
{
	struct ckpt *c = arg;
	struct store *st = NULL;
	struct dib_diag d;

	pthread_setname_np(pthread_self(), "diboli-ckpt");
	/* Spare time is enough: past CKPT_HARD the writer does it. */
	util_thread_background();
	if (store_open(c->dbpath, 0, &st, &d) != 0)
		return NULL;
	pthread_mutex_lock(&c->mu);
	for (;;) {
		int log = 0, done = 0, rounds;

		while (!c->want && !c->stop)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->stop)
			break;
		c->want = 0;
		pthread_mutex_unlock(&c->mu);
		/* Catch up with the commits made meanwhile: once all of the
		 * WAL is copied, the writer's next commit starts it over. */
		for (rounds = 0; rounds < 8; rounds++)
			if (sqlite3_wal_checkpoint_v2(st->db, "main",
			    SQLITE_CHECKPOINT_PASSIVE, &log, &done) !=
			    SQLITE_OK || done >= log)
				break;
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	store_close(st);
	return NULL;
}

static void
ckpt_start(struct ckpt *c, const char *dbpath, struct store *writer)
{
	memset(c, 0, sizeof *c);
	c->dbpath = dbpath;
	c->writer = writer;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	c->running = pthread_create(&c->thread, NULL, ckpt_loop, c) == 0;
	/* Replaces the automatic checkpoint of the writer's connection. */
	store_set_wal_hook(writer, ckpt_hook, c);
}

/* After the writer stopped. */
static void
ckpt_stop(struct ckpt *c)
{
	store_set_wal_hook(c->writer, NULL, NULL);
	if (c->running) {
		pthread_mutex_lock(&c->mu);
		c->stop = 1;
		pthread_cond_signal(&c->cv);
		pthread_mutex_unlock(&c->mu);
		pthread_join(c->thread, NULL);
	}
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
}

/* ---- start and stop ---- */

static int
parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *len,
    struct dib_diag *d)
{
	char host[128];
	const char *colon;
	char *end;
	long port;

	memset(ss, 0, sizeof *ss);
	if (spec[0] == '[') {
		const char *rb = strchr(spec, ']');

		if (rb == NULL || rb[1] != ':' || (size_t)(rb - spec) >
		    sizeof host)
			goto bad;
		snprintf(host, sizeof host, "%.*s", (int)(rb - spec - 1),
		    spec + 1);
		colon = rb + 1;
	} else {
		if ((colon = strrchr(spec, ':')) == NULL ||
		    (size_t)(colon - spec) >= sizeof host)
			goto bad;
		snprintf(host, sizeof host, "%.*s", (int)(colon - spec), spec);
	}
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || colon[1] == '\0' || port < 0 || port > 65535)
		goto bad;
	if (host[0] == '\0')
		snprintf(host, sizeof host, "127.0.0.1");
	if (strchr(host, ':') != NULL) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			goto bad;
		*len = sizeof *a;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			goto bad;
		*len = sizeof *a;
	}
	return DIB_OK;
bad:
	return dib_fail(d, DIB_EUSAGE, "listen", "must be ADDRESS:PORT, e.g. "
	    "127.0.0.1:8440 or [::1]:8440, got \"%.60s\"", spec);
}

static int
listen_socket(const struct http_conf *c, int *fd, char *url, size_t n,
    int tls, struct dib_diag *d)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	int one = 1, rc;
	char host[64];

	if ((rc = parse_listen(c->listen, &ss, &len, d)) != 0)
		return rc;
	if ((*fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return dib_fail(d, DIB_EIO, "listen", "socket: %s",
		    strerror(errno));
	setsockopt(*fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(*fd, (struct sockaddr *)&ss, len) != 0 ||
	    listen(*fd, 128) != 0) {
		int e = errno;

		close(*fd);
		return dib_fail(d, DIB_EIO, "listen", "cannot listen on %s: %s",
		    c->listen, strerror(e));
	}
	/* Port 0 picks a free port: report the real one. */
	len = sizeof ss;
	getsockname(*fd, (struct sockaddr *)&ss, &len);
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
		snprintf(url, n, "%s://[%s]:%u", tls ? "https" : "http", host,
		    ntohs(a->sin6_port));
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
		snprintf(url, n, "%s://%s:%u", tls ? "https" : "http", host,
		    ntohs(a->sin_port));
	}
	return DIB_OK;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct server *s = cls;

	pthread_mutex_lock(&s->logmu);
	fputs("diboli serve: ", stderr);
	vfprintf(stderr, fmt, ap);
	pthread_mutex_unlock(&s->logmu);
}

int
http_serve(const struct http_conf *c, struct dib_diag *d)
{
	struct server *s;
	struct ckpt ck;
	int ck_on = 0;
	char *cert = NULL, *key = NULL, url[128];
	size_t len;
	sigset_t sigs;
	int fd = -1, sig, rc;
	unsigned flags;
	size_t i;

	/*
	 * A bulk request allocates a few buffers of hundreds of kB (its
	 * body, its records, their bodies). glibc would map each afresh
	 * and unmap it after, so every request faulted in and zeroed its
	 * memory again: keep up to 1 MB on the heap, and give memory back
	 * once 4 MB are free at its top (what an idle server holds stays
	 * small).
	 */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	mallopt(M_TRIM_THRESHOLD, 4 << 20);
	if ((s = calloc(1, sizeof *s)) == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	s->conf = *c;
	s->started_ms = util_now_ms();
	pthread_mutex_init(&s->logmu, NULL);
	pthread_mutex_init(&s->readers_mu, NULL);
	if ((rc = node_open(c->dir, &s->node, d)) != 0)
		goto out;
	snprintf(s->dbpath, sizeof s->dbpath, "%s/%s", c->dir, NODE_DB);
	if (c->tiles != NULL && (rc = http_tiles_open(s, c->tiles, d)) != 0)
		goto out;
	if ((c->tls_cert == NULL) != (c->tls_key == NULL)) {
		rc = dib_fail(d, DIB_EUSAGE, "tls", "--tls-cert and --tls-key "
		    "go together");
		goto out;
	}
	if (c->tls_cert != NULL) {
		if ((rc = util_read_file(c->tls_cert, 1 << 20, &cert, &len,
		    d)) != 0) {
			snprintf(d->field, sizeof d->field, "tls-cert");
			goto out;
		}
		if ((rc = util_read_file(c->tls_key, 1 << 20, &key, &len,
		    d)) != 0) {
			snprintf(d->field, sizeof d->field, "tls-key");
			goto out;
		}
		s->tls = 1;
	}
	if ((s->throttle = auth_throttle_new()) == NULL) {
		rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
		goto out;
	}
	if ((rc = listen_socket(c, &fd, url, sizeof url, s->tls, d)) != 0)
		goto out;
	ckpt_start(&ck, s->dbpath, s->node->store);
	ck_on = 1;
	if ((rc = writer_start(&s->writer, s->node, d)) != 0)
		goto out;
	if ((rc = http_events_start(s, c->max_streams, d)) != 0) {
		writer_stop(&s->writer);
		goto out;
	}

	/* Signals go to this thread only, through sigwait. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
	    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC;
	if (s->tls)
		flags |= MHD_USE_TLS;
	s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
	    MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)c->threads,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)c->max_conns,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)c->per_ip,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)c->timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)c->max_header,
	    MHD_OPTION_NOTIFY_COMPLETED, on_done, s,
	    MHD_OPTION_SIGPIPE_HANDLED_BY_APP, 1,
	    s->tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert,
	    MHD_OPTION_HTTPS_MEM_KEY, key,
	    MHD_OPTION_END);
	if (s->mhd == NULL) {
		close(fd);
		writer_stop(&s->writer);
		http_events_free(s);
		ckpt_stop(&ck);
		ck_on = 0;
		rc = dib_fail(d, DIB_EIO, "listen", "the HTTP server did not "
		    "start (check --tls-cert and --tls-key)");
		goto out;
	}
	fprintf(stderr, "diboli serve: %s (%s, %s) listening on %s\n",
	    s->node->name, s->node->nation, s->node->id, url);
	if (c->ready_file != NULL) {
		char line[160];
		int n = snprintf(line, sizeof line, "%s\n", url);

		util_write_file(c->ready_file, line, (size_t)n, 0644, NULL);
	}
	http_sync_start(s);
	do
		rc = sigwait(&sigs, &sig);
	while (rc != 0 && rc == EINTR);
	fprintf(stderr, "diboli serve: signal %d, stopping\n", sig);
	http_sync_stop(s);
	/* No new connection; requests in flight finish (their writes
	 * included, the writer still running to resume them), then the
	 * writer drains. */
	{
		MHD_socket lfd = MHD_quiesce_daemon(s->mhd);
		int waited = 0;

		if (lfd != MHD_INVALID_SOCKET)
			close(lfd);
		/* Requests from now on answer without suspending (keep-alive
		 * connections may still send some); wait until the writer
		 * has resumed every suspended one and it has answered. The
		 * counters are sequentially consistent atomics, so no
		 * suspension slips in after the wait. */
		atomic_store(&s->stopping, 1);
		/* Event streams end too (they count as suspended). */
		http_events_close(s);
		while (atomic_load(&s->suspended) > 0 && waited++ < 3000)
			usleep(10000);
	}
	MHD_stop_daemon(s->mhd);
	writer_stop(&s->writer);
	http_events_free(s);
	ckpt_stop(&ck);
	ck_on = 0;
	fprintf(stderr, "diboli serve: stopped after %llu requests, %llu "
	    "commits\n", (unsigned long long)atomic_load(&s->requests),
	    (unsigned long long)s->writer.commits);
	rc = DIB_OK;
out:
	if (ck_on) {
		/* The writer never started. */
		ckpt_stop(&ck);
	}
	for (i = 0; i < s->nreaders; i++)
		store_close(s->readers[i]);
	auth_throttle_free(s->throttle);
	http_tiles_close(s);
	node_close(s->node);
	if (key != NULL) {
		sodium_memzero(key, strlen(key));
		free(key);
	}
	free(cert);
	pthread_mutex_destroy(&s->logmu);
	pthread_mutex_destroy(&s->readers_mu);
	free(s);
	return rc;
}
