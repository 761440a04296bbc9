/*
** Ingest and query benchmark of the node core, side by side with a raw
** SQLite ceiling in the same run (the machine is shared and noisy: the
** ratio is what counts).
**
**   library: JSON text -> parse -> validate against the model -> encode ->
**            sign per block -> store -> project (time + spatial indexes) ->
**            durable commit (WAL, synchronous=FULL), 1,000 per block
**   raw:     the same encoded rows by plain prepared inserts, 1,000 per
**            transaction, one table with a unique id index and a time index
**
** Prints a table and writes a JSON list of {name, value, unit,
** baseline_name, baseline_value, ratio}.
*/
#include <errno.h>
#include <pthread.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "bench_common.h"
#include "demo/demo.h"
#include "log/record.h"
#include "model/model.h"
#include "node/node.h"
#include "store/query.h"
#include "store/text.h"
#include "util/json.h"
#include "util/util.h"

#define BATCH 1000

static long long
file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

static void
die(const char *what, const struct dib_diag *d)
{
	fprintf(stderr, "bench: %s: %s: %s\n", what, d ? d->field : "",
	    d ? d->msg : "");
	exit(1);
}

static void
rmtree(const char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench: cannot remove %s\n", dir);
}

/* The inputs: JSON texts of typical records, made before timing. */
static char **texts;
static size_t *lens;

/*
** The library path: records arrive as JSON texts (as from devices or an
** NDJSON import) and go through node_add_texts in batches of 1,000: strict
** parse, validation against the model, encoding, one signed block per
** audience, projection and indexes, one durable transaction per batch.
*/
static double
bench_library(const char *dir, size_t n, struct node **out)
{
	struct dib_diag d = {0};
	struct node *node = NULL;
	uint8_t (*ids)[16] = calloc(BATCH, 16);
	double t0;
	size_t i;

	if (node_init(dir, "SN", "Banc d'essai — PC Tambacounda", &d) != 0 ||
	    node_open(dir, &node, &d) != 0)
		die("node", &d);
	t0 = bench_now_s();
	for (i = 0; i < n; i += BATCH) {
		size_t m = n - i < BATCH ? n - i : BATCH;

		if (node_add_texts(node, (const char *const *)texts + i,
		    lens + i, m, ids, &d) != 0)
			die("add", &d);
		if (isatty(2) && (i / BATCH) % 50 == 0)
			fprintf(stderr, "\r  library: %zu/%zu", i, n);
	}
	t0 = bench_now_s() - t0;
	if (isatty(2))
		fputc('\n', stderr);
	free(ids);
	*out = node;
	return (double)n / t0;
}

/*
** The same path split as diboli serve runs it: request threads parse,
** validate and encode (node_prepare, no database) and hash each block's
** records (log_prepare); the single writer signs, stores, projects and
** commits (node_append_prepared); the indexer puts each commit's words
** into the text index (node_text_index). Here one preparing thread feeds
** the writer through a ring of batches, and the writer the indexer.
*/
#define RING 4

/* A commit's words on their way to the indexer. */
struct words {
	struct store_item *v;
	size_t n;
	struct words *next;
};

struct pipe {
	struct node *node;
	size_t n;
	struct record *slot[RING];
	struct log_prep prep[RING];
	size_t count[RING];
	size_t head, tail;      /* batches produced, consumed */
	int failed;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct words *wq, **wtail;      /* to index, in commit order */
	int wstop;
};

static void *
indexer(void *arg)
{
	struct pipe *p = arg;
	struct dib_diag d = {0};

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct words *w;

		while (p->wq == NULL && !p->wstop)
			pthread_cond_wait(&p->cv, &p->mu);
		if ((w = p->wq) == NULL)
			break;
		if ((p->wq = w->next) == NULL)
			p->wtail = &p->wq;
		pthread_mutex_unlock(&p->mu);
		if (node_text_index(p->node, w->v, w->n, &d) != 0)
			die("index", &d);
		store_items_free(w->v, w->n);
		free(w);
		pthread_mutex_lock(&p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static void *
producer(void *arg)
{
	struct pipe *p = arg;
	struct dib_diag d = {0};
	size_t i, k;

	for (i = 0; i < p->n; i += BATCH) {
		size_t m = p->n - i < BATCH ? p->n - i : BATCH;
		struct record *recs;

		pthread_mutex_lock(&p->mu);
		while (p->head - p->tail == RING)
			pthread_cond_wait(&p->cv, &p->mu);
		recs = p->slot[p->head % RING];
		pthread_mutex_unlock(&p->mu);
		for (k = 0; k < m; k++) {
			json_t *j = NULL;

			if (util_json_parse(texts[i + k], lens[i + k], "json",
			    &j, &d) != 0 || node_prepare(p->node, j, &recs[k],
			    &d) != 0)
				die("prepare", &d);
			json_decref(j);
		}
		if (log_prepare(recs, m, &p->prep[p->head % RING], &d) != 0)
			die("prepare", &d);
		pthread_mutex_lock(&p->mu);
		p->count[p->head % RING] = m;
		p->head++;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	return NULL;
}

static double
bench_pipeline(const char *dir, size_t n, struct node **out)
{
	struct dib_diag d = {0};
	struct pipe p;
	pthread_t th, ix;
	double t0;
	size_t done = 0, k;
	int i;

	memset(&p, 0, sizeof p);
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	for (i = 0; i < RING; i++)
		p.slot[i] = calloc(BATCH, sizeof(struct record));
	if (node_init(dir, "SN", "Banc d'essai — PC Kayes", &d) != 0 ||
	    node_open(dir, &p.node, &d) != 0)
		die("node", &d);
	p.n = n;
	p.wtail = &p.wq;
	node_text_defer(p.node);
	t0 = bench_now_s();
	pthread_create(&th, NULL, producer, &p);
	pthread_create(&ix, NULL, indexer, &p);
	while (done < n) {
		struct record *recs;
		struct words *w;
		size_t m;

		pthread_mutex_lock(&p.mu);
		while (p.head == p.tail)
			pthread_cond_wait(&p.cv, &p.mu);
		recs = p.slot[p.tail % RING];
		m = p.count[p.tail % RING];
		pthread_mutex_unlock(&p.mu);
		if (node_append_prepared(p.node, recs, m, &p.prep[p.tail % RING],
		    &d) != 0)
			die("append", &d);
		log_prep_free(&p.prep[p.tail % RING]);
		for (k = 0; k < m; k++)
			record_clear(&recs[k]);
		done += m;
		if ((w = calloc(1, sizeof *w)) == NULL)
			die("index", NULL);
		w->v = node_text_take(p.node, &w->n);
		pthread_mutex_lock(&p.mu);
		*p.wtail = w;
		p.wtail = &w->next;
		p.tail++;
		pthread_cond_broadcast(&p.cv);
		pthread_mutex_unlock(&p.mu);
	}
	pthread_join(th, NULL);
	pthread_mutex_lock(&p.mu);
	p.wstop = 1;
	pthread_cond_broadcast(&p.cv);
	pthread_mutex_unlock(&p.mu);
	pthread_join(ix, NULL);
	t0 = bench_now_s() - t0;
	for (i = 0; i < RING; i++)
		free(p.slot[i]);
	*out = p.node;
	return (double)n / t0;
}

/* The same rows, the encoded bodies, through plain prepared inserts. */
static double
bench_raw(const char *path, size_t n, sqlite3 **out)
{
	struct dib_diag d = {0};
	struct node *tmp = NULL;
	sqlite3 *db;
	sqlite3_stmt *st;
	struct record r;
	char tdir[4400];
	unsigned char **bodies = calloc(n, sizeof *bodies);
	size_t *blen = calloc(n, sizeof *blen);
	int64_t *ts = calloc(n, sizeof *ts);
	uint8_t (*ids)[16] = calloc(n, 16);
	double *lon = calloc(n, sizeof *lon), *lat = calloc(n, sizeof *lat);
	char (*cats)[128] = calloc(n, 128);
	double t0;
	size_t i;

	/* Encode once, outside the timing, with a scratch node's model. */
	snprintf(tdir, sizeof tdir, "%s.model", path);
	if (node_init(tdir, "SN", "scratch", &d) != 0 ||
	    node_open(tdir, &tmp, &d) != 0)
		die("scratch", &d);
	for (i = 0; i < n; i++) {
		json_t *j = json_loadb(texts[i], lens[i], 0, NULL);

		if (record_from_json(tmp->model, j, "SN", NULL, &r, &d) != 0)
			die("record", &d);
		bodies[i] = r.body;
		blen[i] = r.body_len;
		ts[i] = r.t;
		memcpy(ids[i], r.id, 16);
		lon[i] = r.lon;
		lat[i] = r.lat;
		memcpy(cats[i], r.category, 128);
		json_decref(j);
	}
	node_close(tmp);
	rmtree(tdir);

	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	    "CREATE TABLE raw(id BLOB NOT NULL, t INTEGER NOT NULL, category "
	    "TEXT NOT NULL, lon REAL, lat REAL, body BLOB NOT NULL);"
	    "CREATE UNIQUE INDEX raw_id ON raw(id);"
	    "CREATE INDEX raw_t ON raw(t);", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO raw VALUES(?1, ?2, ?3, ?4, ?5, "
	    "?6)", -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench: raw: %s\n", sqlite3_errmsg(db));
		exit(1);
	}
	t0 = bench_now_s();
	for (i = 0; i < n; i++) {
		if (i % BATCH == 0)
			sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
		sqlite3_bind_blob(st, 1, ids[i], 16, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, ts[i]);
		sqlite3_bind_text(st, 3, cats[i], -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 4, lon[i]);
		sqlite3_bind_double(st, 5, lat[i]);
		sqlite3_bind_blob(st, 6, bodies[i], (int)blen[i],
		    SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			fprintf(stderr, "bench: raw insert: %s\n",
			    sqlite3_errmsg(db));
			exit(1);
		}
		sqlite3_reset(st);
		if (i % BATCH == BATCH - 1 || i == n - 1)
			sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	}
	t0 = bench_now_s() - t0;
	sqlite3_finalize(st);
	for (i = 0; i < n; i++)
		free(bodies[i]);
	free(bodies);
	free(blen);
	free(ts);
	free(ids);
	free(lon);
	free(lat);
	free(cats);
	*out = db;
	return (double)n / t0;
}

/* Random 0.3° boxes around the border, random 7-day windows. */
struct qbox {
	double w, s, e, n;
	int64_t from, to;
};

static struct qbox
random_box(unsigned *seed, int days)
{
	static const double centres[][2] = {{-12.2, 14.47}, {-11.41, 12.91},
	    {-11.41, 12.62}, {-12.24, 14.76}, {-11.7, 13.9}, {-13.67, 13.77}};
	struct qbox q;
	int c = rand_r(seed) % 6;
	double jx = (rand_r(seed) % 1000) / 1000.0 * 0.2 - 0.1;
	double jy = (rand_r(seed) % 1000) / 1000.0 * 0.2 - 0.1;
	int day = rand_r(seed) % (days > 7 ? days - 7 : 1);

	q.w = centres[c][0] + jx - 0.15;
	q.e = centres[c][0] + jx + 0.15;
	q.s = centres[c][1] + jy - 0.15;
	q.n = centres[c][1] + jy + 0.15;
	q.from = DEMO_START_MS + (int64_t)day * 86400000LL;
	q.to = q.from + 7 * 86400000LL - 1;
	return q;
}

static double
bench_query_library(struct node *n, int days, double secs, double *hits)
{
	struct dib_diag d = {0};
	unsigned seed = 42;
	double t0 = bench_now_s(), el;
	long q = 0;
	size_t total = 0;

	do {
		struct qbox b = random_box(&seed, days);
		struct store_query sq;

		memset(&sq, 0, sizeof sq);
		sq.has_bbox = sq.has_from = sq.has_to = 1;
		sq.w = b.w;
		sq.s = b.s;
		sq.e = b.e;
		sq.n = b.n;
		sq.from = b.from;
		sq.to = b.to;
		struct store_hit *h = NULL;
		size_t cnt;

		if (store_query(n->store, &sq, &h, &cnt, &d) != 0)
			die("query", &d);
		total += cnt;
		free(h);
		q++;
	} while ((el = bench_now_s() - t0) < secs);
	*hits = (double)total / q;
	return q / el;
}

static double
bench_query_raw(sqlite3 *db, int days, double secs)
{
	sqlite3_stmt *st;
	unsigned seed = 42;
	double t0 = bench_now_s(), el;
	long q = 0;

	sqlite3_prepare_v2(db, "SELECT id, body FROM raw WHERE t BETWEEN ?1 "
	    "AND ?2 AND lon BETWEEN ?3 AND ?4 AND lat BETWEEN ?5 AND ?6", -1,
	    &st, NULL);
	do {
		struct qbox b = random_box(&seed, days);

		sqlite3_bind_int64(st, 1, b.from);
		sqlite3_bind_int64(st, 2, b.to);
		sqlite3_bind_double(st, 3, b.w);
		sqlite3_bind_double(st, 4, b.e);
		sqlite3_bind_double(st, 5, b.s);
		sqlite3_bind_double(st, 6, b.n);
		while (sqlite3_step(st) == SQLITE_ROW)
			;
		sqlite3_reset(st);
		q++;
	} while ((el = bench_now_s() - t0) < secs);
	sqlite3_finalize(st);
	return q / el;
}

int
main(int argc, char **argv)
{
	const char *out = "bench/results/latest.json";
	size_t n = 1000000;
	int days = 365, i;
	double qsecs = 5;
	int profile = 0;
	char dir[4096], lib[4200], raw[4200], db[4300];
	struct node *node = NULL;
	sqlite3 *rdb = NULL;
	double lrate, prate, rrate, lq, rq, hits;
	long long lbytes, rbytes;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			n = 100000;
			qsecs = 2;
		} else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
			out = argv[++i];
		} else if (strcmp(argv[i], "--profile") == 0) {
			profile = 1;   /* library ingest only, for perf */
		} else if (strcmp(argv[i], "--records") == 0 && i + 1 < argc) {
			n = strtoul(argv[++i], NULL, 10);
		}
	}
	snprintf(dir, sizeof dir, "%s", "bench/results/tmp");
	rmtree(dir);
	mkdir("bench/results", 0755);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		perror(dir);
		return 1;
	}
	snprintf(lib, sizeof lib, "%s/node", dir);
	snprintf(raw, sizeof raw, "%s/raw.db", dir);

	fprintf(stderr, "bench: making %zu typical records...\n", n);
	{
		struct model *m = NULL;
		struct dib_diag d = {0};

		if (model_load_default(&m, &d) != 0)
			die("model", &d);
		bench_make_texts(m, n, days, &texts, &lens);
		model_free(m);
	}
	if (profile) {
		lrate = bench_library(lib, n, &node);
		printf("library ingest: %.0f records/s\n", lrate);
		node_close(node);
		rmtree(dir);
		lrate = bench_pipeline(lib, n, &node);
		printf("pipelined ingest: %.0f records/s\n", lrate);
		node_close(node);
		rmtree(dir);
		return 0;
	}
	fprintf(stderr, "bench: raw SQLite ceiling...\n");
	rrate = bench_raw(raw, n, &rdb);
	fprintf(stderr, "bench: diboli ingest, one thread...\n");
	lrate = bench_library(lib, n, &node);
	node_close(node);
	rmtree(lib);
	fprintf(stderr, "bench: diboli ingest, prepare + write threads...\n");
	prate = bench_pipeline(lib, n, &node);

	sqlite3_exec(rdb, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	sqlite3_exec(node->store->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL,
	    NULL, NULL);
	snprintf(db, sizeof db, "%s/%s", lib, NODE_DB);
	lbytes = file_size(db);
	/* With the text index beside it (its WAL too: it checkpoints on
	 * its own). */
	snprintf(db, sizeof db, "%s/%s", lib, STORE_TEXT_DB);
	lbytes += file_size(db);
	snprintf(db, sizeof db, "%s/%s-wal", lib, STORE_TEXT_DB);
	lbytes += file_size(db);
	rbytes = file_size(raw);

	fprintf(stderr, "bench: bbox + 7-day queries...\n");
	lq = bench_query_library(node, days, qsecs, &hits);
	rq = bench_query_raw(rdb, days, qsecs);

	bench_result("ingest_records_per_s", lrate, "records/s",
	    "raw_sqlite_insert_records_per_s", rrate);
	bench_result("ingest_pipelined_records_per_s", prate, "records/s",
	    "raw_sqlite_insert_records_per_s", rrate);
	bench_result("bytes_per_record", (double)lbytes / n, "bytes",
	    "raw_sqlite_bytes_per_record", (double)rbytes / n);
	bench_result("bbox_7day_queries_per_s", lq, "queries/s",
	    "raw_sqlite_time_index_queries_per_s", rq);

	printf("\n%-40s %12s %12s %7s\n", "benchmark", "diboli",
	    "baseline", "ratio");
	printf("%-40s %12.0f %12.0f %7.2f\n",
	    "ingest records/s, one thread", lrate, rrate, lrate / rrate);
	printf("%-40s %12.0f %12.0f %7.2f   (goal >= 0.50)\n",
	    "ingest records/s, prepare || write", prate, rrate, prate / rrate);
	printf("%-40s %12.0f %12.0f %7.2f\n", "bytes per record on disk",
	    (double)lbytes / n, (double)rbytes / n,
	    (double)lbytes / (double)rbytes);
	printf("%-40s %12.1f %12.1f %7.2f   (%.0f hits/query)\n",
	    "bbox + 7-day queries/s", lq, rq, lq / rq, hits);
	printf("\n%zu typical records over %d days, from JSON text. Baseline: "
	    "the same encoded\nrows by plain prepared SQLite inserts, 1,000 per "
	    "transaction, one table with\na unique id index and a time index "
	    "(no validation, signature or spatial\nindex); its queries scan the "
	    "time index and filter the bbox. \"prepare ||\nwrite\": one thread "
	    "parses, validates, encodes and hashes (node_prepare,\nlog_prepare) "
	    "while the single writer signs, stores, projects and commits\n"
	    "(node_append_prepared) and a third thread indexes the words, as "
	    "diboli\nserve does.\n"
	    "WAL, synchronous=FULL everywhere.\n", n, days);
	bench_results_write(out, 0);
	printf("results written to %s\n", out);

	node_close(node);
	sqlite3_close(rdb);
	rmtree(dir);
	for (size_t k = 0; k < n; k++)
		free(texts[k]);
	free(texts);
	free(lens);
	return 0;
}
