/*
** diboli serve against PostgreSQL 15 + PostGIS 3.3, the same workload on
** both, in the same run (the machine is shared and noisy: the ratio is
** what counts).
**
**   ingest:  N typical records (the generator of bench_ingest) as JSON
**            texts; diboli: POST /api/v1/records, 1,000 records a request
**            ({"records":[...]}), from 2 threads (--clients) with keep-alive,
**            until the server's text index holds them all (one search);
**            PostGIS: prepared multi-row INSERTs of the same rows, 1,000
**            a statement (one transaction each), from as many connections;
**            GiST index on geom, btree on observed_at, primary key on id.
**            Durable commits on both: SQLite WAL + synchronous=FULL;
**            PostgreSQL fsync=on, synchronous_commit=on. Two clients: a
**            few field posts arriving together, enough to overlap one
**            request's parsing with another's commit on either server,
**            not more than this 2-core machine can run beside them.
**            geom is geometry(Geometry, 4326): typical records also
**            carry lines, polygons, or no geometry (NULL).
**   map:     a random ~10x10 km bbox (0.09 deg) near a border place and a
**            random 7-day window, newest first, at most 500 features, as
**            GeoJSON built by the server (PostGIS: ST_AsGeoJSON and
**            json_agg), from one client; queries/s, p50 and p99.
**   start:   exec of diboli serve to the first 200 on /api/v1/health, and
**            VmRSS of the server after that and a few map queries; against
**            the goal limits (PostgreSQL's memory is not comparable).
**
** Prints a table and appends {name, value, unit, baseline_name,
** baseline_value, ratio} to the JSON list written by bench_ingest.
*/
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <curl/curl.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "bench_common.h"
#include "demo/demo.h"
#include "model/model.h"
#include "util/err.h"

#define BULK 1000               /* records a POST, rows an INSERT */
#define MAX_CLIENTS 16
static int nclients = 2;        /* concurrent ingest clients, both sides */
#define LIMIT 500               /* features a map query */
#define VERIFY 20               /* map queries compared id by id */
#define DAYS 365
#define PG_PORT 54329
#define PBUF (2 * PATH_MAX)       /* local paths: any global + a name */
#define PG_BINDIR "/usr/lib/postgresql/15/bin"
#define GOAL_INGEST 3.0         /* diboli / PostGIS */
#define GOAL_QPS 2.0
#define GOAL_P99_MS 10.0
#define GOAL_RSS_MB 30.0
#define GOAL_START_MS 100.0

/* ---- small helpers ---- */

static void
sleep_us(long us)
{
	struct timespec ts = {us / 1000000, (us % 1000000) * 1000};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void finish(int code) __attribute__((noreturn));

static void fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void
fail(const char *fmt, ...)
{
	va_list ap;

	fputs("bench_http: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	finish(1);
}

struct sbuf {
	char *p;
	size_t len, cap;
};

static void
sb_add(struct sbuf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((b->p = realloc(b->p, cap)) == NULL)
			fail("out of memory");
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_adds(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_printf(struct sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof tmp)
		fail("sb_printf: too long");
	sb_add(b, tmp, (size_t)n);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The q-quantile (0..1) of v (n values, sorted here), nearest rank. */
static double
quantile(double *v, size_t n, double q)
{
	size_t k;

	qsort(v, n, sizeof *v, cmp_double);
	k = (size_t)ceil(q * (double)n);
	return v[k > 0 ? k - 1 : 0];
}

/* ---- processes: the work dir, the server, PostgreSQL ---- */

static char workdir[PATH_MAX + 16];     /* bench/results/tmp-http */
static char nodedir[PATH_MAX + 32];
static char pgroot[PATH_MAX + 32];      /* data/, the socket, logs */
static char pgdata[PATH_MAX + 48];
static const char *diboli_bin = "build/diboli";
static const char *pg_bindir = PG_BINDIR;
static int as_root;
static pid_t server_pid = -1;
static int pg_started;
static int keep;                        /* --keep: leave the work dir */
static int ingest_only;                 /* --ingest-only: diboli ingest, no more */
static int failing = 1;                 /* cleared on success */

static void
tail_file(const char *path, int lines)
{
	char cmd[PBUF];

	if (access(path, R_OK) != 0)
		return;
	fprintf(stderr, "--- last lines of %s:\n", path);
	snprintf(cmd, sizeof cmd, "tail -n %d '%s' >&2", lines, path);
	if (system(cmd) != 0)
		fprintf(stderr, "(cannot show it)\n");
}

/* In a child before exec: the default signal mask and dispositions. */
static void
child_reset(void)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
}

/*
** Run argv (argv[0] searched in PATH), wait for it. Its standard output
** goes to out (if not NULL, up to n - 1 bytes, NUL-terminated), its
** standard error to the file errlog (if not NULL). Returns the exit
** status, or -1.
*/
static int
run(char *const argv[], char *out, size_t n, const char *errlog,
    const char *env)
{
	int fds[2] = {-1, -1}, st;
	size_t got = 0;
	pid_t pid;

	if (out != NULL && pipe(fds) != 0)
		return -1;
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		int fd;

		child_reset();
		if (out != NULL) {
			dup2(fds[1], 1);
			close(fds[0]);
			close(fds[1]);
		} else if ((fd = open("/dev/null", O_WRONLY)) >= 0) {
			dup2(fd, 1);
			close(fd);
		}
		if (errlog != NULL && (fd = open(errlog, O_WRONLY | O_CREAT |
		    O_APPEND, 0644)) >= 0) {
			dup2(fd, 2);
			close(fd);
		}
		if (env != NULL)
			putenv((char *)env);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (out != NULL) {
		ssize_t k;

		close(fds[1]);
		while ((k = read(fds[0], out + got, n - 1 - got)) > 0 ||
		    (k < 0 && errno == EINTR))
			if (k > 0)
				got += (size_t)k;
		out[got] = '\0';
		close(fds[0]);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A PostgreSQL program, as user postgres when we are root. */
static int
run_pg(const char *prog, const char *const args[], const char *errlog)
{
	char *argv[32], bin[PBUF];
	int i = 0, k;

	snprintf(bin, sizeof bin, "%s/%s", pg_bindir, prog);
	if (as_root) {
		argv[i++] = "runuser";
		argv[i++] = "-u";
		argv[i++] = "postgres";
		argv[i++] = "--";
	}
	argv[i++] = bin;
	for (k = 0; args[k] && i < 31; k++)
		argv[i++] = (char *)args[k];
	argv[i] = NULL;
	return run(argv, NULL, 0, errlog, NULL);
}

static void
rmtree(const char *dir)
{
	char *argv[] = {"rm", "-rf", (char *)dir, NULL};

	if (run(argv, NULL, 0, NULL, NULL) != 0)
		fprintf(stderr, "bench_http: cannot remove %s\n", dir);
}

static void
pg_stop(const char *mode)
{
	char log[PBUF];
	const char *args[] = {"-D", pgdata, "-m", mode, "-w", "-t", "60",
	    "stop", NULL};

	snprintf(log, sizeof log, "%s/pg_ctl.log", pgroot);
	if (run_pg("pg_ctl", args, log) != 0)
		fprintf(stderr, "bench_http: pg_ctl stop failed (see %s)\n",
		    log);
}

/* SIGTERM, then SIGKILL after 10 s. */
static void
server_stop(void)
{
	int st, i;

	if (server_pid <= 0)
		return;
	kill(server_pid, SIGTERM);
	for (i = 0; i < 10000; i++) {
		pid_t r = waitpid(server_pid, &st, WNOHANG);

		if (r == server_pid || (r < 0 && errno != EINTR))
			break;
		sleep_us(1000);
	}
	if (i == 10000) {
		fprintf(stderr, "bench_http: the server does not stop; "
		    "killing it\n");
		kill(server_pid, SIGKILL);
		waitpid(server_pid, &st, 0);
	}
	server_pid = -1;
}

static void
cleanup(void)
{
	char log[PBUF];

	if (failing) {
		snprintf(log, sizeof log, "%s/server.log", workdir);
		tail_file(log, 20);
		snprintf(log, sizeof log, "%s/postgresql.log", pgroot);
		tail_file(log, 20);
	}
	server_stop();
	if (pg_started) {
		pg_stop("fast");
		pg_started = 0;
	}
	if (workdir[0] && !keep)
		rmtree(workdir);
}

/*
** The one way out: stop the server and PostgreSQL, remove the work dir,
** exit. The first thread to come here does it (a failure in a client
** thread, the signal thread, or main at the end); any other waits for it.
*/
static atomic_int exiting;

static void
finish(int code)
{
	if (atomic_exchange(&exiting, 1))
		for (;;)
			pause();
	cleanup();
	fflush(NULL);
	_exit(code);
}

static void
on_signal(int sig)
{
	(void)sig;      /* never runs: the signals are taken by sigwait */
}

/* SIGINT, SIGTERM, SIGHUP: blocked everywhere, taken here. */
static void *
signal_thread(void *arg)
{
	sigset_t *set = arg;
	int sig = 0;

	while (sigwait(set, &sig) != 0)
		;
	fprintf(stderr, "\nbench_http: signal %d, stopping\n", sig);
	finish(2);
}

static void
catch_signals(void)
{
	static sigset_t set;
	pthread_t th;

	/* A handler first: a signal ignored (as in a background job) would
	 * not even reach sigwait. */
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (pthread_create(&th, NULL, signal_thread, &set) != 0)
		fail("cannot start the signal thread");
	pthread_detach(th);
}

/* ---- inputs ---- */

static char **texts;
static size_t *lens;
static size_t nrec;
static char (*ids)[37];                 /* given by diboli, reused by PG */

static void
make_inputs(const struct model *m, size_t n, int days)
{
	bench_make_texts(m, n, days, &texts, &lens);
	if ((ids = calloc(n, sizeof *ids)) == NULL)
		fail("out of memory");
	nrec = n;
}

/* ---- map queries: the same list for both sides ---- */

struct mapq {
	double w, s, e, n;
	char from[32], to[32];  /* RFC 3339, inclusive */
};

static struct mapq *mq;
static size_t nmq;

static void
fmt_time(int64_t ms, char *out, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
make_queries(size_t n, int days)
{
	/* lat, lon of the border places */
	static const double places[][2] = {
		{14.467, -12.217},      /* Kidira */
		{14.47, -12.20},        /* Diboli */
		{12.91, -11.41},        /* Moussala */
		{12.619, -11.406},      /* Satadougou */
		{14.45, -11.433},       /* Kayes */
		{13.889, -11.703},      /* Sadiola */
	};
	unsigned seed = 2025;
	size_t i;

	mq = calloc(n, sizeof *mq);
	for (i = 0; i < n; i++) {
		int p = rand_r(&seed) % 6;
		double jx = (rand_r(&seed) % 1001) / 1000.0 * 0.04 - 0.02;
		double jy = (rand_r(&seed) % 1001) / 1000.0 * 0.04 - 0.02;
		int day = rand_r(&seed) % (days - 7 + 1);
		int64_t from = DEMO_START_MS + (int64_t)day * 86400000LL;

		mq[i].w = places[p][1] + jx - 0.045;
		mq[i].e = places[p][1] + jx + 0.045;
		mq[i].s = places[p][0] + jy - 0.045;
		mq[i].n = places[p][0] + jy + 0.045;
		fmt_time(from, mq[i].from, sizeof mq[i].from);
		fmt_time(from + 7 * 86400000LL - 1000, mq[i].to,
		    sizeof mq[i].to);
	}
	nmq = n;
}

/* "numberReturned":K near the end of a FeatureCollection (both sides). */
static long
number_returned(const char *p, size_t len)
{
	static const char key[] = "\"numberReturned\"";
	size_t k = sizeof key - 1, i = len > k ? len - k : 0;
	size_t stop = len > 8192 ? len - 8192 : 0;

	for (; i > stop; i--)
		if (memcmp(p + i, key, k) == 0) {
			const char *v = p + i + k;

			while (*v == ' ' || *v == ':')
				v++;
			return strtol(v, NULL, 10);
		}
	return -1;
}

/* The features' ids, in order, as one string "id,id,...". */
static char *
feature_ids(const char *text, size_t len)
{
	json_t *j = json_loadb(text, len, 0, NULL), *f, *v;
	struct sbuf b = {0};
	size_t i;

	sb_adds(&b, "");
	json_array_foreach(json_object_get(j, "features"), i, f) {
		v = json_object_get(f, "id");
		sb_adds(&b, json_is_string(v) ? json_string_value(v) : "?");
		sb_adds(&b, ",");
	}
	json_decref(j);
	return b.p;
}

/* ---- diboli over HTTP ---- */

static char base_url[300];
static char auth_header[300];
static int server_port;

static size_t
on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	sb_add(arg, p, size * nmemb);
	return size * nmemb;
}

static CURL *
http_client(struct curl_slist **hdrs, int json_body)
{
	CURL *c = curl_easy_init();

	if (c == NULL)
		fail("curl_easy_init");
	*hdrs = curl_slist_append(NULL, auth_header);
	if (json_body)
		*hdrs = curl_slist_append(*hdrs,
		    "Content-Type: application/json");
	*hdrs = curl_slist_append(*hdrs, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	return c;
}

/* GET path into b (reset); the HTTP status, or -1. */
static long
http_get(CURL *c, const char *path, struct sbuf *b)
{
	char url[1024];
	long code = -1;

	snprintf(url, sizeof url, "%s%s", base_url, path);
	b->len = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	if (curl_easy_perform(c) != CURLE_OK)
		return -1;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	return code;
}

static atomic_size_t next_bulk;
/* CPU seconds (user + system, all threads) used so far by pid. */
static double
proc_cpu_s(pid_t pid)
{
	char path[64], line[1024], *p;
	unsigned long ut, st;
	FILE *f;
	int ok;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	ok = fgets(line, sizeof line, f) != NULL;
	fclose(f);
	/* After "pid (comm) ": state is field 3, utime 14, stime 15. */
	if (!ok || (p = strrchr(line, ')')) == NULL || sscanf(p + 2,
	    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
	    &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* CPU seconds used so far by this process (its clients). */
static double
self_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static double ingest_cpu_us;            /* server CPU a record, ingest */
static double client_cpu_us;            /* client CPU a record, ingest */

static char **bulk_replies;             /* the 201 bodies, parsed later */

static void *
http_ingest_thread(void *arg)
{
	struct curl_slist *hdrs;
	CURL *c = http_client(&hdrs, 1);
	struct sbuf body = {0}, reply = {0};
	char url[512];
	long code;

	(void)arg;
	snprintf(url, sizeof url, "%s/api/v1/records", base_url);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply);
	for (;;) {
		size_t b = atomic_fetch_add(&next_bulk, 1), i0 = b * BULK, i;
		size_t m;

		if (i0 >= nrec)
			break;
		m = nrec - i0 < BULK ? nrec - i0 : BULK;
		body.len = 0;
		sb_adds(&body, "{\"records\":[");
		for (i = 0; i < m; i++) {
			if (i)
				sb_add(&body, ",", 1);
			sb_add(&body, texts[i0 + i], lens[i0 + i]);
		}
		sb_adds(&body, "]}");
		reply.len = 0;
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.p);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)body.len);
		if (curl_easy_perform(c) != CURLE_OK)
			fail("POST /api/v1/records: no answer");
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		if (code != 201)
			fail("POST /api/v1/records: %ld %.300s", code,
			    reply.p ? reply.p : "");
		bulk_replies[b] = strdup(reply.p);
		if (isatty(2) && b % 50 == 0)
			fprintf(stderr, "\r  diboli: %zu/%zu", i0, nrec);
	}
	free(body.p);
	free(reply.p);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	return NULL;
}

static double
diboli_ingest(void)
{
	size_t nb = (nrec + BULK - 1) / BULK, b, k;
	pthread_t th[MAX_CLIENTS];
	double t0, cpu0 = proc_cpu_s(server_pid), self0 = self_cpu_s();
	int i;

	bulk_replies = calloc(nb, sizeof *bulk_replies);
	atomic_store(&next_bulk, 0);
	t0 = bench_now_s();
	for (i = 0; i < nclients; i++)
		pthread_create(&th[i], NULL, http_ingest_thread, NULL);
	for (i = 0; i < nclients; i++)
		pthread_join(th[i], NULL);
	/* The words of the last records go into the text index just after
	 * their answer, on a thread of the server's own: the clock stops
	 * once it holds them all (a search waits for that). */
	{
		struct curl_slist *hdrs;
		CURL *c = http_client(&hdrs, 0);
		struct sbuf got = {0};

		if (http_get(c, "/api/v1/records?q=zzzz&limit=1", &got) != 200)
			fail("the search after the ingest failed: %s",
			    got.p ? got.p : "");
		curl_easy_cleanup(c);
		curl_slist_free_all(hdrs);
		free(got.p);
	}
	t0 = bench_now_s() - t0;
	ingest_cpu_us = (proc_cpu_s(server_pid) - cpu0) * 1e6 / (double)nrec;
	client_cpu_us = (self_cpu_s() - self0) * 1e6 / (double)nrec;
	if (isatty(2))
		fputc('\n', stderr);
	for (b = 0; b < nb; b++) {
		json_t *j = json_loads(bulk_replies[b], 0, NULL);
		json_t *a = json_object_get(j, "ids");

		for (k = 0; k < json_array_size(a); k++)
			snprintf(ids[b * BULK + k], 37, "%s",
			    json_string_value(json_array_get(a, k)));
		if (json_array_size(a) != (nrec - b * BULK < BULK ?
		    nrec - b * BULK : BULK))
			fail("POST reply %zu: wrong number of ids", b);
		json_decref(j);
		free(bulk_replies[b]);
	}
	free(bulk_replies);
	return (double)nrec / t0;
}

static void
diboli_query_path(const struct mapq *q, char *out, size_t n)
{
	snprintf(out, n, "/api/v1/records?bbox=%.6f,%.6f,%.6f,%.6f&datetime="
	    "%s/%s&limit=%d", q->w, q->s, q->e, q->n, q->from, q->to, LIMIT);
}

/* The timed map queries: *qps, p50 and p99 in ms, mean features. */
static void
diboli_queries(size_t n, double *qps, double *p50, double *p99,
    double *feat, char **verify)
{
	struct curl_slist *hdrs;
	CURL *c = http_client(&hdrs, 0);
	struct sbuf b = {0};
	double *lat = calloc(n, sizeof *lat), t0, t;
	char path[512];
	long total = 0, code;
	size_t i;

	for (i = 0; i < VERIFY && i < nmq; i++) {
		diboli_query_path(&mq[i], path, sizeof path);
		if ((code = http_get(c, path, &b)) != 200)
			fail("GET %s: %ld %.300s", path, code, b.p ? b.p : "");
		verify[i] = feature_ids(b.p, b.len);
	}
	t0 = bench_now_s();
	for (i = 0; i < n; i++) {
		double s = bench_now_s();

		diboli_query_path(&mq[i % nmq], path, sizeof path);
		if ((code = http_get(c, path, &b)) != 200)
			fail("GET %s: %ld %.300s", path, code, b.p ? b.p : "");
		lat[i] = (bench_now_s() - s) * 1e3;
		total += number_returned(b.p, b.len);
	}
	t = bench_now_s() - t0;
	*qps = (double)n / t;
	*p50 = quantile(lat, n, 0.50);
	*p99 = quantile(lat, n, 0.99);
	*feat = (double)total / (double)n;
	free(lat);
	free(b.p);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
}

/* Start diboli serve on port (0: any); returns once it is listening. */
static void
server_start(int port)
{
	char ready[PBUF], listen[64], log[PBUF];
	char line[256];
	double t0 = bench_now_s();

	snprintf(ready, sizeof ready, "%s/ready", workdir);
	snprintf(log, sizeof log, "%s/server.log", workdir);
	snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
	unlink(ready);
	if ((server_pid = fork()) < 0)
		fail("fork: %s", strerror(errno));
	if (server_pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		child_reset();
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execl(diboli_bin, diboli_bin, "serve", "--dir", nodedir,
		    "--listen", listen, "--ready-file", ready, "--quiet",
		    (char *)NULL);
		_exit(127);
	}
	for (;;) {
		FILE *f = fopen(ready, "r");
		int st;

		if (f != NULL) {
			char *p;

			if (fgets(line, sizeof line, f) != NULL &&
			    strchr(line, '\n') != NULL) {
				fclose(f);
				line[strcspn(line, "\r\n")] = '\0';
				snprintf(base_url, sizeof base_url, "%s", line);
				if ((p = strrchr(line, ':')) != NULL)
					server_port = (int)strtol(p + 1, NULL, 10);
				return;
			}
			fclose(f);
		}
		if (waitpid(server_pid, &st, WNOHANG) == server_pid) {
			server_pid = -1;
			fail("diboli serve exited (status %d)",
			    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		}
		if (bench_now_s() - t0 > 30)
			fail("diboli serve is not ready after 30 s");
		sleep_us(1000);
	}
}

/*
** Exec diboli serve on port and poll it (connect, GET /api/v1/health)
** in a tight loop; ms from the fork to the first 200.
*/
static double
server_start_time(int port)
{
	char listen[64], log[PBUF], resp[512];
	static const char req[] = "GET /api/v1/health HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\nConnection: close\r\n\r\n";
	struct sockaddr_in sa;
	double t0;

	snprintf(log, sizeof log, "%s/server.log", workdir);
	snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	t0 = bench_now_s();
	if ((server_pid = fork()) < 0)
		fail("fork: %s", strerror(errno));
	if (server_pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		child_reset();
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execl(diboli_bin, diboli_bin, "serve", "--dir", nodedir,
		    "--listen", listen, "--quiet", (char *)NULL);
		_exit(127);
	}
	for (;;) {
		int fd = socket(AF_INET, SOCK_STREAM, 0), st, one = 1;
		size_t got = 0;
		ssize_t k;

		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
		    write(fd, req, sizeof req - 1) == (ssize_t)(sizeof req - 1)) {
			while (got < sizeof resp - 1 && (k = read(fd, resp +
			    got, sizeof resp - 1 - got)) > 0)
				got += (size_t)k;
			resp[got] = '\0';
			close(fd);
			if (strncmp(resp, "HTTP/1.1 200", 12) == 0)
				return (bench_now_s() - t0) * 1e3;
		} else {
			close(fd);
		}
		if (waitpid(server_pid, &st, WNOHANG) == server_pid) {
			server_pid = -1;
			fail("diboli serve exited at start (status %d)",
			    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		}
		if (bench_now_s() - t0 > 30)
			fail("no answer from diboli serve after 30 s");
		sleep_us(50);
	}
}

/* VmRSS (or another field) of pid, in kB. */
static long
proc_kb(pid_t pid, const char *field)
{
	char path[64], line[256];
	size_t n = strlen(field);
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, field, n) == 0 && line[n] == ':') {
			kb = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kb;
}

static void
diboli_setup(void)
{
	char pwfile[PBUF], token[256];
	FILE *f;
	char *init[] = {(char *)diboli_bin, "init", "--dir", nodedir,
	    "--nation", "SN", "--name", "Banc d'essai HTTP — PC Tambacounda",
	    NULL};
	char *user[] = {(char *)diboli_bin, "user", "add", "--dir", nodedir,
	    "--login", "bench", "--role", "reporter", "--password-file",
	    pwfile, NULL};
	char *tok[] = {(char *)diboli_bin, "token", "create", "--dir",
	    nodedir, "--login", "bench", NULL};
	char log[PBUF];

	snprintf(log, sizeof log, "%s/cli.log", workdir);
	snprintf(pwfile, sizeof pwfile, "%s/password", workdir);
	if ((f = fopen(pwfile, "w")) == NULL)
		fail("%s: %s", pwfile, strerror(errno));
	fprintf(f, "banc-d-essai-%ld-diboli\n", (long)getpid());
	fclose(f);
	chmod(pwfile, 0600);
	if (run(init, NULL, 0, log, NULL) != 0)
		fail("diboli init failed (%s)", log);
	if (run(user, NULL, 0, log, "DIBOLI_PWHASH=fast") != 0)
		fail("diboli user add failed (%s)", log);
	if (run(tok, token, sizeof token, log, NULL) != 0)
		fail("diboli token create failed (%s)", log);
	token[strcspn(token, "\r\n")] = '\0';
	if (token[0] == '\0')
		fail("diboli token create printed no token");
	snprintf(auth_header, sizeof auth_header, "Authorization: Bearer %s",
	    token);
}

/* ---- PostgreSQL + PostGIS ---- */

static char pg_conninfo[PATH_MAX + 128];

static void
pg_exec(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK)
		fail("PostgreSQL: %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
}

static PGconn *
pg_connect(void)
{
	PGconn *c = PQconnectdb(pg_conninfo);

	if (PQstatus(c) != CONNECTION_OK)
		fail("cannot connect to PostgreSQL: %s", PQerrorMessage(c));
	return c;
}

static void
pg_setup(void)
{
	char conf[PBUF], log[PBUF];
	struct passwd *pw = NULL;
	FILE *f;

	snprintf(pgdata, sizeof pgdata, "%s/data", pgroot);
	snprintf(log, sizeof log, "%s/initdb.log", pgroot);
	if (mkdir(pgroot, 0700) != 0)
		fail("%s: %s", pgroot, strerror(errno));
	if (as_root) {
		if ((pw = getpwnam("postgres")) == NULL)
			fail("no user postgres (is postgresql-15 installed?)");
		if (chown(pgroot, pw->pw_uid, pw->pw_gid) != 0)
			fail("chown %s: %s", pgroot, strerror(errno));
	}
	snprintf(conf, sizeof conf, "%s/initdb", pg_bindir);
	if (access(conf, X_OK) != 0)
		fail("%s: not found: install postgresql-15 (deps/debian.txt)",
		    conf);
	{
		const char *args[] = {"-D", pgdata, "-U", "postgres", "-A",
		    "trust", "-E", "UTF8", "--no-locale", "-N", NULL};

		if (run_pg("initdb", args, log) != 0)
			fail("initdb failed (%s)", log);
	}
	/* Socket only, in our own directory; the default durability. */
	snprintf(conf, sizeof conf, "%s/postgresql.conf", pgdata);
	if ((f = fopen(conf, "a")) == NULL)
		fail("%s: %s", conf, strerror(errno));
	fprintf(f, "\n# bench_http\nport = %d\nlisten_addresses = ''\n"
	    "unix_socket_directories = '%s'\nfsync = on\n"
	    "synchronous_commit = on\nfull_page_writes = on\n"
	    "jit = off\nmax_wal_size = 2GB\n", PG_PORT, pgroot);
	fclose(f);
	snprintf(log, sizeof log, "%s/postgresql.log", pgroot);
	{
		const char *args[] = {"-D", pgdata, "-l", log, "-w", "-t", "60",
		    "start", NULL};
		char ctl[PBUF];

		snprintf(ctl, sizeof ctl, "%s/pg_ctl.log", pgroot);
		if (run_pg("pg_ctl", args, ctl) != 0)
			fail("PostgreSQL does not start (see %s)", log);
	}
	pg_started = 1;
	snprintf(pg_conninfo, sizeof pg_conninfo, "host=%s port=%d "
	    "user=postgres dbname=postgres", pgroot, PG_PORT);
	{
		PGconn *c = pg_connect();
		PGresult *r;

		pg_exec(c, "SET client_min_messages = warning");
		pg_exec(c, "CREATE EXTENSION postgis");
		pg_exec(c, "CREATE TABLE records(id uuid PRIMARY KEY, "
		    "category text NOT NULL, observed_at timestamptz NOT NULL, "
		    "geom geometry(Geometry, 4326), audience text[] NOT NULL, "
		    "attributes jsonb NOT NULL, body jsonb NOT NULL)");
		pg_exec(c, "CREATE INDEX records_geom ON records USING gist "
		    "(geom)");
		pg_exec(c, "CREATE INDEX records_t ON records (observed_at)");
		r = PQexec(c, "SELECT version(), postgis_lib_version(), "
		    "current_setting('fsync'), "
		    "current_setting('synchronous_commit'), "
		    "current_setting('shared_buffers')");
		if (PQresultStatus(r) == PGRES_TUPLES_OK)
			fprintf(stderr, "bench_http: %.40s, PostGIS %s, fsync=%s, "
			    "synchronous_commit=%s, shared_buffers=%s\n",
			    PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1),
			    PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 3),
			    PQgetvalue(r, 0, 4));
		PQclear(r);
		PQfinish(c);
	}
}

/* The rows' parameters, made from the same texts before timing. */
#define NCOL 7
static char *(*pgrows)[NCOL];

static void
pg_make_rows(void)
{
	size_t i, k;

	pgrows = calloc(nrec, sizeof *pgrows);
	for (i = 0; i < nrec; i++) {
		json_t *j = json_loadb(texts[i], lens[i], 0, NULL), *a, *v;
		struct sbuf aud = {0};

		if (j == NULL)
			fail("record %zu: bad JSON", i);
		pgrows[i][0] = ids[i];
		pgrows[i][1] = strdup(json_string_value(json_object_get(j,
		    "category")));
		pgrows[i][2] = strdup(json_string_value(json_object_get(j,
		    "observed_at")));
		pgrows[i][3] = json_object_get(j, "geometry") ? json_dumps(
		    json_object_get(j, "geometry"), BENCH_JSON_FLAGS) : NULL;
		a = json_object_get(j, "audience");
		sb_adds(&aud, "{");
		if (json_is_string(a)) {
			sb_adds(&aud, json_string_value(a));
		} else {
			json_array_foreach(a, k, v) {
				if (k)
					sb_adds(&aud, ",");
				sb_adds(&aud, json_string_value(v));
			}
		}
		sb_adds(&aud, "}");
		pgrows[i][4] = aud.p;
		pgrows[i][5] = json_dumps(json_object_get(j, "attributes"),
		    BENCH_JSON_FLAGS);
		pgrows[i][6] = texts[i];
		json_decref(j);
	}
}

static void
pg_free_rows(void)
{
	size_t i;

	for (i = 0; i < nrec; i++) {
		free(pgrows[i][1]);
		free(pgrows[i][2]);
		free(pgrows[i][3]);
		free(pgrows[i][4]);
		free(pgrows[i][5]);
	}
	free(pgrows);
}

/* INSERT ... VALUES (...), (...) of m rows, NCOL parameters a row. */
static char *
pg_insert_sql(size_t m)
{
	struct sbuf b = {0};
	size_t i;

	sb_adds(&b, "INSERT INTO records (id, category, observed_at, geom, "
	    "audience, attributes, body) VALUES ");
	for (i = 0; i < m; i++) {
		size_t p = i * NCOL;

		sb_printf(&b, "%s($%zu::uuid, $%zu, $%zu::timestamptz, "
		    "ST_SetSRID(ST_GeomFromGeoJSON($%zu), 4326), $%zu::text[], "
		    "$%zu::jsonb, $%zu::jsonb)", i ? ", " : "", p + 1, p + 2,
		    p + 3, p + 4, p + 5, p + 6, p + 7);
	}
	return b.p;
}

static void
pg_prepare(PGconn *c, const char *name, const char *sql, int nparams)
{
	PGresult *r = PQprepare(c, name, sql, nparams, NULL);

	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail("PostgreSQL: prepare %s: %s", name, PQerrorMessage(c));
	PQclear(r);
}

static void *
pg_ingest_thread(void *arg)
{
	PGconn *c = arg;
	const char **vals = calloc(NCOL * BULK, sizeof *vals);
	char *sql = pg_insert_sql(BULK);
	int tail = 0;

	pg_prepare(c, "ins", sql, NCOL * BULK);
	free(sql);
	for (;;) {
		size_t b = atomic_fetch_add(&next_bulk, 1), i0 = b * BULK, i;
		size_t m;
		PGresult *r;

		if (i0 >= nrec)
			break;
		m = nrec - i0 < BULK ? nrec - i0 : BULK;
		if (m < BULK && !tail) {
			sql = pg_insert_sql(m);
			pg_prepare(c, "tail", sql, (int)(NCOL * m));
			free(sql);
			tail = 1;
		}
		for (i = 0; i < m; i++)
			memcpy(&vals[i * NCOL], pgrows[i0 + i],
			    sizeof pgrows[0]);
		r = PQexecPrepared(c, m < BULK ? "tail" : "ins",
		    (int)(NCOL * m), vals, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			fail("PostgreSQL: insert: %s", PQerrorMessage(c));
		PQclear(r);
		if (isatty(2) && b % 50 == 0)
			fprintf(stderr, "\r  PostGIS: %zu/%zu", i0, nrec);
	}
	free(vals);
	return NULL;
}

static double
pg_ingest(void)
{
	pthread_t th[MAX_CLIENTS];
	PGconn *c[MAX_CLIENTS];
	double t0;
	int i;

	for (i = 0; i < nclients; i++)
		c[i] = pg_connect();
	atomic_store(&next_bulk, 0);
	t0 = bench_now_s();
	for (i = 0; i < nclients; i++)
		pthread_create(&th[i], NULL, pg_ingest_thread, c[i]);
	for (i = 0; i < nclients; i++)
		pthread_join(th[i], NULL);
	t0 = bench_now_s() - t0;
	if (isatty(2))
		fputc('\n', stderr);
	for (i = 0; i < nclients; i++)
		PQfinish(c[i]);
	return (double)nrec / t0;
}

/*
** The map query in SQL: the same filter, order (newest first, ties by id
** descending, as diboli) and limit; the FeatureCollection is built by
** PostgreSQL (ST_AsGeoJSON, json_agg), the properties from the record.
*/
static const char map_sql[] =
    "SELECT json_build_object('type', 'FeatureCollection', 'features', "
    "coalesce(json_agg(json_build_object('type', 'Feature', 'id', id, "
    "'geometry', ST_AsGeoJSON(geom)::json, 'properties', "
    "(body - 'geometry') || jsonb_build_object('id', id, 'audience', "
    "audience)) ORDER BY observed_at DESC, id DESC), '[]'::json), "
    "'numberReturned', count(*))::text "
    "FROM (SELECT id, observed_at, geom, audience, body FROM records "
    "WHERE geom && ST_MakeEnvelope($1::float8, $2::float8, $3::float8, "
    "$4::float8, 4326) AND observed_at BETWEEN $5::timestamptz AND "
    "$6::timestamptz ORDER BY observed_at DESC, id DESC LIMIT 500) s";

static PGresult *
pg_map(PGconn *c, const struct mapq *q)
{
	char w[32], s[32], e[32], n[32];
	const char *vals[6] = {w, s, e, n, q->from, q->to};
	PGresult *r;

	snprintf(w, sizeof w, "%.6f", q->w);
	snprintf(s, sizeof s, "%.6f", q->s);
	snprintf(e, sizeof e, "%.6f", q->e);
	snprintf(n, sizeof n, "%.6f", q->n);
	r = PQexecPrepared(c, "map", 6, vals, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		fail("PostgreSQL: map query: %s", PQerrorMessage(c));
	return r;
}

static void
pg_queries(size_t n, double *qps, double *p50, double *p99, double *feat,
    char **verify)
{
	PGconn *c = pg_connect();
	double *lat = calloc(n, sizeof *lat), t0, t;
	long total = 0;
	size_t i;

	pg_exec(c, "VACUUM ANALYZE records");
	pg_prepare(c, "map", map_sql, 6);
	for (i = 0; i < VERIFY && i < nmq; i++) {
		PGresult *r = pg_map(c, &mq[i]);

		verify[i] = feature_ids(PQgetvalue(r, 0, 0),
		    (size_t)PQgetlength(r, 0, 0));
		PQclear(r);
	}
	t0 = bench_now_s();
	for (i = 0; i < n; i++) {
		double s = bench_now_s();
		PGresult *r = pg_map(c, &mq[i % nmq]);

		lat[i] = (bench_now_s() - s) * 1e3;
		total += number_returned(PQgetvalue(r, 0, 0),
		    (size_t)PQgetlength(r, 0, 0));
		PQclear(r);
	}
	t = bench_now_s() - t0;
	*qps = (double)n / t;
	*p50 = quantile(lat, n, 0.50);
	*p99 = quantile(lat, n, 0.99);
	*feat = (double)total / (double)n;
	free(lat);
	{
		PGresult *r = PQexec(c, "EXPLAIN (COSTS OFF) SELECT id FROM "
		    "records WHERE geom && ST_MakeEnvelope(-12.25, 14.42, "
		    "-12.16, 14.51, 4326) AND observed_at BETWEEN "
		    "'2025-06-01' AND '2025-06-08' ORDER BY observed_at DESC, "
		    "id DESC LIMIT 500");
		int k;

		fprintf(stderr, "bench_http: PostgreSQL's plan:\n");
		for (k = 0; PQresultStatus(r) == PGRES_TUPLES_OK &&
		    k < PQntuples(r); k++)
			fprintf(stderr, "    %s\n", PQgetvalue(r, k, 0));
		PQclear(r);
	}
	PQfinish(c);
}

/* ---- output ---- */

static void
row(const char *what, const char *fmt, double v, double b, const char *goal,
    int met)
{
	char dv[32], bv[32];

	snprintf(dv, sizeof dv, fmt, v);
	snprintf(bv, sizeof bv, fmt, b);
	printf("%-38s %11s %11s %7.2f   %-20s %s\n", what, dv, bv, v / b, goal,
	    met < 0 ? "" : met ? "met" : "MISSED");
}

/* Compare the features of the verification queries, id by id. */
static int
same_features(char **a, char **b, size_t n)
{
	size_t i;
	int same = 0;

	for (i = 0; i < n; i++) {
		if (strcmp(a[i], b[i]) == 0)
			same++;
		else if (getenv("BENCH_HTTP_DEBUG"))
			fprintf(stderr, "query %zu differs:\n diboli %.300s\n "
			    "PostGIS %.300s\n", i, a[i], b[i]);
	}
	return same;
}

int
main(int argc, char **argv)
{
	const char *out = "bench/results/latest.json";
	size_t n = 1000000, nq = 2000;
	int restarts = 5, quick = 0, i;
	double d_ingest, p_ingest, d_qps, d_p50, d_p99, d_feat;
	double p_qps, p_p50, p_p99, p_feat, start_ms[16], rss_mb, hwm_mb;
	double t_all = bench_now_s();
	char *dver[VERIFY], *pver[VERIFY];
	int same;

	if (getenv("DIBOLI") != NULL)
		diboli_bin = getenv("DIBOLI");
	if (getenv("PG_BINDIR") != NULL)
		pg_bindir = getenv("PG_BINDIR");
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			quick = 1;
			n = 100000;
			nq = 300;
			restarts = 3;
		} else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
			out = argv[++i];
		} else if (strcmp(argv[i], "--diboli") == 0 && i + 1 < argc) {
			diboli_bin = argv[++i];
		} else if (strcmp(argv[i], "--records") == 0 && i + 1 < argc) {
			n = strtoul(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--queries") == 0 && i + 1 < argc) {
			nq = strtoul(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--clients") == 0 && i + 1 < argc) {
			nclients = (int)strtol(argv[++i], NULL, 10);
			if (nclients < 1 || nclients > MAX_CLIENTS)
				fail("--clients: 1 to %d", MAX_CLIENTS);
		} else if (strcmp(argv[i], "--keep") == 0) {
			keep = 1;
		} else if (strcmp(argv[i], "--ingest-only") == 0) {
			ingest_only = 1;
		} else {
			fprintf(stderr, "usage: bench_http [--quick] [--out F] "
			    "[--diboli PATH] [--records N] [--queries N] "
			    "[--clients N] [--keep] [--ingest-only]\n");
			return 2;
		}
	}
	if (n == 0 || nq == 0)
		fail("--records and --queries must be positive");
	if (access(diboli_bin, X_OK) != 0)
		fail("%s: not found (build first, or set DIBOLI)", diboli_bin);
	as_root = geteuid() == 0;

	/* The work dir: node, PostgreSQL, logs; removed at exit. */
	if (mkdir("bench/results", 0755) != 0 && errno != EEXIST)
		fail("bench/results: %s", strerror(errno));
	snprintf(workdir, sizeof workdir, "bench/results/tmp-http");
	{
		char abs[PATH_MAX];

		if (realpath("bench/results", abs) == NULL)
			fail("bench/results: %s", strerror(errno));
		snprintf(workdir, sizeof workdir, "%s/tmp-http", abs);
	}
	snprintf(pgroot, sizeof pgroot, "%s/pg", workdir);
	snprintf(pgdata, sizeof pgdata, "%s/data", pgroot);
	/* A previous run that was killed: stop its PostgreSQL first. */
	{
		char pidf[PBUF];

		snprintf(pidf, sizeof pidf, "%s/postmaster.pid", pgdata);
		if (access(pidf, F_OK) == 0)
			pg_stop("immediate");
	}
	rmtree(workdir);
	if (mkdir(workdir, 0755) != 0)
		fail("%s: %s", workdir, strerror(errno));
	snprintf(nodedir, sizeof nodedir, "%s/node", workdir);
	catch_signals();
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		fail("curl_global_init");

	fprintf(stderr, "bench_http: making %zu typical records...\n", n);
	{
		struct model *m = NULL;
		struct dib_diag d = {0};

		if (model_load_default(&m, &d) != 0)
			fail("model: %s", d.msg);
		make_inputs(m, n, DAYS);
		model_free(m);
	}
	make_queries(nq, DAYS);

	/* diboli */
	diboli_setup();
	server_start(0);
	fprintf(stderr, "bench_http: diboli ingest over HTTP, %d clients, "
	    "%d records a POST (%s)...\n", nclients, BULK, base_url);
	d_ingest = diboli_ingest();
	if (ingest_only) {
		/* For profiling the server: no baseline, no ratio. */
		server_stop();
		printf("diboli ingest over HTTP: %.0f records/s (server CPU "
		    "%.2f us a record, client %.2f)\n", d_ingest, ingest_cpu_us,
		    client_cpu_us);
		failing = 0;
		finish(0);
	}
	fprintf(stderr, "bench_http: diboli map queries...\n");
	diboli_queries(nq, &d_qps, &d_p50, &d_p99, &d_feat, dver);
	server_stop();
	fprintf(stderr, "bench_http: diboli start to first answer, %d "
	    "times...\n", restarts);
	for (i = 0; i < restarts; i++) {
		start_ms[i] = server_start_time(server_port);
		if (i < restarts - 1)
			server_stop();
	}
	{
		/* Idle RSS: after the first answer and a few map queries. */
		struct curl_slist *hdrs;
		CURL *c;
		struct sbuf b = {0};
		char path[512];
		long code;
		int k;

		snprintf(base_url, sizeof base_url, "http://127.0.0.1:%d",
		    server_port);
		c = http_client(&hdrs, 0);
		for (k = 0; k < 20; k++) {
			diboli_query_path(&mq[(size_t)k % nmq], path,
			    sizeof path);
			if ((code = http_get(c, path, &b)) != 200)
				fail("GET %s: %ld", path, code);
		}
		curl_slist_free_all(hdrs);
		curl_easy_cleanup(c);
		free(b.p);
		sleep_us(500000);
		rss_mb = proc_kb(server_pid, "VmRSS") * 1024 / 1e6;
		hwm_mb = proc_kb(server_pid, "VmHWM") * 1024 / 1e6;
	}
	server_stop();

	/* PostgreSQL + PostGIS */
	fprintf(stderr, "bench_http: starting PostgreSQL (socket in %s, port "
	    "%d)...\n", pgroot, PG_PORT);
	pg_setup();
	pg_make_rows();
	fprintf(stderr, "bench_http: PostGIS ingest, %d connections, %d rows "
	    "an INSERT...\n", nclients, BULK);
	p_ingest = pg_ingest();
	fprintf(stderr, "bench_http: PostGIS map queries...\n");
	pg_queries(nq, &p_qps, &p_p50, &p_p99, &p_feat, pver);
	pg_stop("fast");
	pg_started = 0;
	pg_free_rows();

	same = same_features(dver, pver, VERIFY < nmq ? VERIFY : nmq);
	{
		double med;

		qsort(start_ms, (size_t)restarts, sizeof start_ms[0],
		    cmp_double);
		med = start_ms[restarts / 2];
		bench_result("http_ingest_records_per_s", d_ingest, "records/s",
		    "postgis_insert_records_per_s", p_ingest);
		bench_result("http_ingest_server_cpu_us", ingest_cpu_us,
		    "us/record", "http_ingest_client_cpu_us", client_cpu_us);
		bench_result("map_query_per_s", d_qps, "queries/s",
		    "postgis_map_query_per_s", p_qps);
		bench_result("map_query_p50_ms", d_p50, "ms",
		    "postgis_map_query_p50_ms", p_p50);
		bench_result("map_query_p99_ms", d_p99, "ms",
		    "postgis_map_query_p99_ms", p_p99);
		bench_result("idle_rss_mb", rss_mb, "MB", "goal_limit_rss_mb",
		    GOAL_RSS_MB);
		bench_result("start_to_first_answer_ms", med, "ms",
		    "goal_limit_start_ms", GOAL_START_MS);

		printf("\n%-38s %11s %11s %7s   %-20s\n", "benchmark", "diboli",
		    "PostGIS", "ratio", "goal");
		row("ingest over HTTP, records/s", "%.0f", d_ingest, p_ingest,
		    ">= 3x PostGIS", d_ingest >= GOAL_INGEST * p_ingest);
		row("map query, queries/s", "%.1f", d_qps, p_qps,
		    ">= 2x PostGIS", d_qps >= GOAL_QPS * p_qps);
		row("map query p50, ms", "%.2f", d_p50, p_p50, "", -1);
		row("map query p99, ms", "%.2f", d_p99, p_p99, "p99 < 10 ms",
		    d_p99 < GOAL_P99_MS);
		printf("%-38s %11s %11s %7s   %-20s\n", "", "", "(limit)", "",
		    "");
		row("idle RSS of diboli serve, MB", "%.1f", rss_mb,
		    GOAL_RSS_MB, "< 30 MB", rss_mb < GOAL_RSS_MB);
		row("start to first answer, ms", "%.1f", med, GOAL_START_MS,
		    "< 100 ms", med < GOAL_START_MS);
		printf("\n%zu typical records over %d days (JSON texts, the "
		    "generator of bench_ingest).\nratio = diboli / "
		    "baseline; for times and memory lower is better.\n"
		    "Ingest: %d client threads on each side, %d records a "
		    "request / a multi-row\nprepared INSERT (one transaction "
		    "each); diboli: HTTP keep-alive, SQLite WAL\n"
		    "synchronous=FULL; PostgreSQL 15 + PostGIS 3.3: fsync=on, "
		    "synchronous_commit=on,\nunix socket, GiST(geom), "
		    "btree(observed_at), primary key(id), jsonb attributes\n"
		    "and body (parsed before timing: its inputs are columns, "
		    "not JSON).\n"
		    "Map: %zu queries from one client, ~10x10 km bbox (0.09 "
		    "deg) near a border place,\n7-day window, newest first, "
		    "limit %d, GeoJSON built by the server; mean\nfeatures "
		    "returned: diboli %.1f, PostGIS %.1f; same ids in the same "
		    "order in\n%d of the first %d queries.\n"
		    "Start: exec to the first 200 on /api/v1/health, median of "
		    "%d (",
		    nrec, DAYS, nclients, BULK, nq, LIMIT, d_feat, p_feat, same,
		    VERIFY < (int)nmq ? VERIFY : (int)nmq, restarts);
		for (i = 0; i < restarts; i++)
			printf("%s%.1f", i ? ", " : "", start_ms[i]);
		printf(" ms).\nRSS: VmRSS after the first answer and 20 map "
		    "queries (peak VmHWM %.1f MB).\n", hwm_mb);
		printf("Ingest CPU a record (user + system, all threads): "
		    "diboli serve %.2f us, its\n"
		    "HTTP clients %.2f us; the "
		    "machine has %ld cores for both.\n", ingest_cpu_us,
		    client_cpu_us, sysconf(_SC_NPROCESSORS_ONLN));
		if (quick)
			printf("--quick: %zu records, not the 1M of the goals.\n",
			    nrec);
	}
	bench_results_write(out, 1);
	printf("results appended to %s (%.0f s in all)\n", out,
	    bench_now_s() - t_all);
	for (i = 0; i < VERIFY && (size_t)i < nmq; i++) {
		free(dver[i]);
		free(pver[i]);
	}
	for (size_t k = 0; k < nrec; k++)
		free(texts[k]);
	free(texts);
	free(lens);
	free(ids);
	free(mq);
	curl_global_cleanup();
	failing = 0;
	finish(0);
}
