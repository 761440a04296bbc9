/*
** Unit tests of node/ and log/ together: init, append, supersede, retract,
** queries, and log verification catching altered data.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "log/log.h"
#include "log/record.h"
#include "node/node.h"
#include "store/project.h"
#include "store/query.h"
#include "store/text.h"
#include "util/util.h"

struct fix {
	char dir[64];
	struct node *n;
};

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof *f);
	struct dib_diag d;

	snprintf(f->dir, sizeof f->dir, "/tmp/diboli-unit-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	strncat(f->dir, "/node", sizeof f->dir - strlen(f->dir) - 1);
	if (node_init(f->dir, "SN", "Zone militaire n°4 — PC Tambacounda",
	    &d) != 0 || node_open(f->dir, &f->n, &d) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;
	char cmd[200];

	node_close(f->n);
	*strrchr(f->dir, '/') = '\0';
	snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static int
add(struct node *n, const char *text, uint8_t id[16], struct dib_diag *d)
{
	json_t *j = json_loads(text, 0, NULL);
	int rc;

	assert_non_null(j);
	rc = node_add(n, &j, 1, (uint8_t (*)[16])id, d);
	json_decref(j);
	return rc;
}

static const char *sighting = "{\"category\":\"security.armed_group."
    "sighting\",\"observed_at\":\"2025-02-21T08:00:00Z\",\"geometry\":{"
    "\"type\":\"Point\",\"coordinates\":[-12.217,14.467]},\"attributes\":{"
    "\"strength\":12},\"audience\":\"SN,ML\"}";

static void
test_init_rejects(void **state)
{
	struct fix *f = *state;
	struct dib_diag d;
	char other[100];

	snprintf(other, sizeof other, "%s-2", f->dir);
	assert_int_equal(node_init(f->dir, "SN", "x", &d), DIB_EEXIST);
	assert_int_equal(node_init(other, "XX", "x", &d), DIB_EINVAL);
	assert_string_equal(d.field, "nation");
	assert_int_equal(node_init(other, "SEN", "x", &d), DIB_EINVAL);
	assert_int_equal(node_init(other, "SN", "", &d), DIB_EINVAL);
	assert_string_equal(d.field, "name");
	assert_int_equal(node_init(other, "SN", "bad\x01name", &d),
	    DIB_EINVAL);
	/* Nothing was left behind by the failures. */
	{
		struct stat sb;
		char db[160];

		snprintf(db, sizeof db, "%s/%s", other, NODE_DB);
		assert_int_not_equal(stat(db, &sb), 0);
		snprintf(db, sizeof db, "%s/%s", other, NODE_KEY);
		assert_int_not_equal(stat(db, &sb), 0);
	}
}

static void
test_key_mode(void **state)
{
	struct fix *f = *state;
	struct dib_diag d;
	struct node *n2 = NULL;
	struct stat sb;
	char key[128];

	snprintf(key, sizeof key, "%s/%s", f->dir, NODE_KEY);
	assert_int_equal(stat(key, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	chmod(key, 0644);
	assert_int_equal(node_open(f->dir, &n2, &d), DIB_EPERM);
	assert_non_null(strstr(d.msg, "chmod 600"));
	chmod(key, 0600);
	assert_int_equal(node_open(f->dir, &n2, &d), 0);
	node_close(n2);
}

static void
test_add_get(void **state)
{
	struct fix *f = *state;
	struct dib_diag d;
	struct node_counts c;
	uint8_t id[16];
	json_t *j = NULL;

	assert_int_equal(add(f->n, sighting, id, &d), 0);
	assert_int_equal(node_get(f->n, id, &j, &d), 0);
	assert_string_equal(json_string_value(json_object_get(j, "status")),
	    "current");
	assert_string_equal(json_string_value(json_object_get(j, "mgrs")),
	    "28PHB0002501196");
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(j, "origin"), "nation")), "SN");
	assert_int_equal(json_array_size(json_object_get(j, "audience")), 2);
	json_decref(j);
	node_counts(f->n, &c);
	assert_int_equal(c.records, 1);
	assert_int_equal(c.current, 1);
	assert_int_equal(c.logs, 1);
	/* Audience without the node's own nation. */
	assert_int_equal(add(f->n, "{\"category\":\"security.suspicious_"
	    "activity\",\"observed_at\":\"2025-02-21T08:00:00Z\",\"location\":"
	    "\"14.4 -12.2\",\"audience\":\"ML\"}", id, &d), DIB_EINVAL);
	assert_string_equal(d.field, "audience");
}

static void
test_bulk_all_or_nothing(void **state)
{
	struct fix *f = *state;
	struct dib_diag d;
	struct node_counts c;
	json_t *in[3];
	uint8_t ids[3][16];
	int i;

	in[0] = json_loads(sighting, 0, NULL);
	in[1] = json_loads(sighting, 0, NULL);
	in[2] = json_loads(sighting, 0, NULL);
	json_object_set_new(json_object_get(in[2], "attributes"), "strength",
	    json_string("douze"));
	assert_int_equal(node_add(f->n, in, 3, ids, &d), DIB_EINVAL);
	assert_string_equal(d.field, "records[2].attributes.strength");
	node_counts(f->n, &c);
	assert_int_equal(c.records, 0);
	assert_int_equal(c.blocks, 0);
	json_object_set_new(json_object_get(in[2], "attributes"), "strength",
	    json_integer(3));
	json_object_set_new(in[1], "audience", json_string("SN"));
	assert_int_equal(node_add(f->n, in, 3, ids, &d), 0);
	node_counts(f->n, &c);
	assert_int_equal(c.records, 3);
	assert_int_equal(c.blocks, 2);     /* one per audience */
	for (i = 0; i < 3; i++)
		json_decref(in[i]);
}

static void
test_supersede_retract(void **state)
{
	struct fix *f = *state;
	struct dib_diag d;
	struct node_counts c;
	uint8_t id[16], id2[16], id3[16], rid[16];
	json_t *j = NULL, *in;
	struct log_verify_report rep;

	assert_int_equal(add(f->n, sighting, id, &d), 0);
	in = json_loads(sighting, 0, NULL);
	json_object_set_new(in, "audience", json_string("SN"));
	assert_int_equal(node_supersede(f->n, id, in, id2, &d), DIB_EINVAL);
	assert_non_null(strstr(d.msg, "cannot be recalled"));
	json_object_set_new(in, "audience", json_string("SN,ML,MR"));
	assert_int_equal(node_supersede(f->n, id, in, id2, &d), 0);
	assert_int_equal(node_supersede(f->n, id, in, id3, &d),
	    DIB_ECONFLICT);
	assert_int_equal(node_get(f->n, id, &j, &d), 0);
	assert_string_equal(json_string_value(json_object_get(j, "status")),
	    "superseded");
	json_decref(j);
	assert_int_equal(node_retract(f->n, id2, "Doublon", rid, &d), 0);
	assert_int_equal(node_retract(f->n, id2, "Encore", rid, &d),
	    DIB_ECONFLICT);
	assert_int_equal(node_get(f->n, id2, &j, &d), 0);
	assert_string_equal(json_string_value(json_object_get(j, "status")),
	    "retracted");
	assert_string_equal(json_string_value(json_object_get(j, "reason")),
	    "Doublon");
	json_decref(j);
	memset(id3, 0x42, 16);
	assert_int_equal(node_retract(f->n, id3, "x", rid, &d), DIB_ENOTFOUND);
	node_counts(f->n, &c);
	assert_int_equal(c.current, 0);
	assert_int_equal(c.superseded, 1);
	assert_int_equal(c.retracted, 1);
	assert_int_equal(log_verify(f->n->store, &rep, NULL, NULL, &d), 0);
	assert_int_equal(rep.records, 3);
	assert_int_equal(rep.logs, 2);
	json_decref(in);
}

static void
test_query(void **state)
{
	struct fix *f = *state;
	struct dib_diag d;
	struct store_query q;
	struct store_hit *h = NULL;
	size_t n;
	uint8_t id[16];
	char text[600];
	int i;

	for (i = 0; i < 20; i++) {
		snprintf(text, sizeof text, "{\"category\":\"%s\",\"observed_at\":"
		    "\"2025-03-%02dT10:00:00Z\",\"location\":\"%f %f\"}",
		    i % 2 ? "security.suspicious_activity" :
		    "corridor.road_condition", 1 + i, 14.0 + i * 0.05, -12.2);
		assert_int_equal(add(f->n, i % 2 ? text : "{\"category\":"
		    "\"security.suspicious_activity\",\"observed_at\":"
		    "\"2025-03-05T10:00:00Z\",\"location\":\"12.6 -11.4\"}", id,
		    &d), 0);
	}
	memset(&q, 0, sizeof q);
	q.has_bbox = 1;
	q.w = -12.3; q.e = -12.1; q.s = 14.0; q.n = 14.5;
	assert_int_equal(store_query(f->n->store, &q, &h, &n, &d), 0);
	assert_int_equal(n, 5);  /* i = 1, 3, 5, 7, 9 */
	for (i = 1; i < (int)n; i++)
		assert_true(h[i - 1].t >= h[i].t);
	free(h);
	q.has_from = q.has_to = 1;
	util_time_parse("2025-03-04T00:00:00Z", &q.from, "from", &d);
	util_time_parse("2025-03-08T23:59:59Z", &q.to, "to", &d);
	assert_int_equal(store_query(f->n->store, &q, &h, &n, &d), 0);
	assert_int_equal(n, 3);  /* days 4, 6 and 8 */
	free(h);
	memset(&q, 0, sizeof q);
	q.category = "security";
	q.limit = 3;
	assert_int_equal(store_query(f->n->store, &q, &h, &n, &d), 0);
	assert_int_equal(n, 3);
	assert_true(h[0].t >= h[1].t && h[1].t >= h[2].t);
	free(h);
	q.category = "corridor";
	q.limit = 0;
	assert_int_equal(store_query(f->n->store, &q, &h, &n, &d), 0);
	assert_int_equal(n, 0);
	free(h);
}

/* store_query of q with words, by key lookups and by the walk: equal. */
static size_t
query_both(struct node *n, const struct store_query *q,
    struct store_hit **out)
{
	struct store_hit *a = NULL, *b = NULL;
	struct dib_diag d;
	size_t na = 0, nb = 0, keep = store_query_keys_max;

	assert_int_equal(store_query(n->store, q, &a, &na, &d), 0);
	store_query_keys_max = 0;
	assert_int_equal(store_query(n->store, q, &b, &nb, &d), 0);
	store_query_keys_max = keep;
	assert_int_equal(na, nb);
	if (na > 0)
		assert_memory_equal(a, b, na * sizeof *a);
	free(b);
	*out = a;
	return na;
}

/* Every hit of store_iter_next for q, as a list of n. */
static struct store_hit *
iter_all(struct node *n, const struct store_query *q, size_t *count)
{
	struct store_hit *v = NULL, h;
	struct store_iter *it;
	struct dib_diag d;
	int rc;

	*count = 0;
	assert_int_equal(store_iter_open(n->store, q, &it, &d), 0);
	while ((rc = store_iter_next(it, &h)) == 1) {
		v = realloc(v, (*count + 1) * sizeof *v);
		assert_non_null(v);
		v[(*count)++] = h;
	}
	assert_int_equal(rc, 0);
	store_iter_close(it);
	return v;
}

/* The same for the iterator (exports): same hits in the same order. */
static size_t
iter_both(struct node *n, const struct store_query *q)
{
	struct store_hit *a, *b;
	size_t na, nb, keep = store_query_keys_max;

	a = iter_all(n, q, &na);
	store_query_keys_max = 0;
	b = iter_all(n, q, &nb);
	store_query_keys_max = keep;
	assert_int_equal(na, nb);
	if (na > 0)
		assert_memory_equal(a, b, na * sizeof *a);
	free(a);
	free(b);
	return na;
}

/*
** Words in q with the other filters (bbox, window, category, cursor,
** limit): the entries that have them, current only, newest first, alike
** whether they are looked up by key or found by walking the index.
*/
static void
test_query_text(void **state)
{
	struct fix *f = *state;
	struct dib_diag d;
	struct store_query q;
	struct store_hit *h = NULL;
	uint8_t id[16], first[16], nid[16];
	char text[700];
	json_t *j;
	int i;

	/* 30 points over 30 days, every third with "pirogue", half of
	 * them near Kidira; a line with "pirogue" near Kidira too. */
	for (i = 0; i < 30; i++) {
		snprintf(text, sizeof text, "{\"category\":\"%s\","
		    "\"observed_at\":\"2025-03-%02dT10:00:00Z\","
		    "\"location\":\"%f %f\",\"attributes\":{\"remarks\":"
		    "\"%s\"}}", i % 2 ? "security.suspicious_activity" :
		    "security.armed_group.sighting", 1 + i,
		    i % 6 < 3 ? 14.46 : 12.6, i % 6 < 3 ? -12.21 : -11.4,
		    i % 3 == 0 ? "Une pirogue sur la Falémé" :
		    "Camion arrêté au poste");
		assert_int_equal(add(f->n, text, id, &d), 0);
		if (i == 0)
			memcpy(first, id, 16);
	}
	assert_int_equal(add(f->n, "{\"category\":\"corridor.road_"
	    "condition\",\"observed_at\":\"2025-03-15T12:00:00Z\","
	    "\"geometry\":{\"type\":\"LineString\",\"coordinates\":"
	    "[[-12.22,14.45],[-12.20,14.47]]},\"attributes\":{"
	    "\"condition\":\"impassable\",\"remarks\":\"Piste coupée, "
	    "une pirogue assure le passage\"}}", id, &d), 0);
	/* Two more on the line's day (the walk's order within a day: no
	 * place first, then by place), one near Kidira. */
	assert_int_equal(add(f->n, "{\"category\":\"security.armed_group."
	    "sighting\",\"observed_at\":\"2025-03-15T18:00:00Z\","
	    "\"location\":\"14.47 -12.2\",\"attributes\":{\"remarks\":"
	    "\"Une pirogue au gué\"}}", id, &d), 0);
	assert_int_equal(add(f->n, "{\"category\":\"security.armed_group."
	    "sighting\",\"observed_at\":\"2025-03-15T06:00:00Z\","
	    "\"location\":\"12.62 -11.41\",\"attributes\":{\"remarks\":"
	    "\"Une pirogue au gué\"}}", id, &d), 0);
	/* The first "pirogue" is replaced by a version without the word:
	 * neither is found (the index keeps every version's words). */
	j = json_loads("{\"category\":\"security.armed_group.sighting\","
	    "\"observed_at\":\"2025-03-01T10:00:00Z\",\"location\":"
	    "\"14.46 -12.21\",\"attributes\":{\"remarks\":\"Fausse "
	    "alerte\"}}", 0, NULL);
	assert_int_equal(node_supersede(f->n, first, j, nid, &d), 0);
	json_decref(j);

	memset(&q, 0, sizeof q);
	q.text = "pirogue";
	assert_int_equal(query_both(f->n, &q, &h), 12);  /* 9 + 2 + line */
	for (i = 1; i < 12; i++)
		assert_true(h[i - 1].t >= h[i].t);
	free(h);
	assert_int_equal(iter_both(f->n, &q), 12);
	q.text = "PIROGUE falémé";                       /* the points */
	assert_int_equal(query_both(f->n, &q, &h), 9);
	free(h);
	q.text = "introuvable";
	assert_int_equal(query_both(f->n, &q, &h), 0);
	free(h);
	assert_int_equal(iter_both(f->n, &q), 0);
	/* Near Kidira with the word: i % 6 < 3 and i % 3 == 0, so i = 6,
	 * 12, 18 and 24 (0 was replaced), on days 7, 13, 19 and 25; the
	 * line and one of the two of day 15. */
	q.text = "pirogue";
	q.has_bbox = 1;
	q.w = -12.3; q.e = -12.1; q.s = 14.4; q.n = 14.5;
	assert_int_equal(query_both(f->n, &q, &h), 6);
	free(h);
	assert_int_equal(iter_both(f->n, &q), 6);
	q.has_from = q.has_to = 1;
	util_time_parse("2025-03-10T00:00:00Z", &q.from, "from", &d);
	util_time_parse("2025-03-20T00:00:00Z", &q.to, "to", &d);
	assert_int_equal(query_both(f->n, &q, &h), 4);   /* 12, 18, day 15 */
	free(h);
	assert_int_equal(iter_both(f->n, &q), 4);
	q.has_bbox = q.has_from = q.has_to = 0;
	q.category = "security.suspicious_activity";     /* odd i: 3, 9... */
	assert_int_equal(query_both(f->n, &q, &h), 5);
	free(h);
	assert_int_equal(iter_both(f->n, &q), 5);
	/* Pages of 4, each after the last hit of the one before. */
	q.category = NULL;
	q.limit = 4;
	assert_int_equal(query_both(f->n, &q, &h), 4);
	q.has_cursor = 1;
	q.cursor_t = h[3].t;
	memcpy(q.cursor_id, h[3].id, 16);
	free(h);
	assert_int_equal(query_both(f->n, &q, &h), 4);
	free(h);
}

static int
exec(struct node *n, const char *sql)
{
	return sqlite3_exec(n->store->db, sql, NULL, NULL, NULL);
}

static void
verify_fails(struct node *n, const char *words)
{
	struct dib_diag d;
	struct log_verify_report rep;

	assert_int_equal(log_verify(n->store, &rep, NULL, NULL, &d),
	    DIB_ETAMPER);
	if (strstr(d.msg, words) == NULL)
		fail_msg("want \"%s\" in \"%s\"", words, d.msg);
}

static void
test_verify_tamper(void **state)
{
	struct fix *f = *state;
	struct dib_diag d;
	struct log_verify_report rep;
	uint8_t id[16];
	int i;

	for (i = 0; i < 5; i++)
		assert_int_equal(add(f->n, sighting, id, &d), 0);
	assert_int_equal(log_verify(f->n->store, &rep, NULL, NULL, &d), 0);
	assert_int_equal(rep.blocks, 5);

	/* A record's bytes. */
	assert_int_equal(exec(f->n, "UPDATE entries SET body = replace(body, "
	    "'\"strength\":12', '\"strength\":13') WHERE k = (SELECT max(k) "
	    "FROM entries)"), 0);
	verify_fails(f->n, "block 5 (seq 5-5): records hash mismatch");
	assert_int_equal(exec(f->n, "UPDATE entries SET body = replace(body, "
	    "'\"strength\":13', '\"strength\":12')"), 0);
	assert_int_equal(log_verify(f->n->store, &rep, NULL, NULL, &d), 0);

	/* The projection. */
	assert_int_equal(exec(f->n, "UPDATE entries SET t = t + 1 WHERE k & "
	    "255 = 2"), 0);
	verify_fails(f->n, "projection (entries) differs");
	assert_int_equal(exec(f->n, "UPDATE entries SET t = t - 1 WHERE k & "
	    "255 = 2"), 0);
	assert_int_equal(exec(f->n, "UPDATE entries SET state = 1 WHERE k & "
	    "255 = 4"), 0);
	verify_fails(f->n, "projection (entries) differs");
	assert_int_equal(exec(f->n, "UPDATE entries SET state = 0 WHERE k & "
	    "255 = 4"), 0);

	/* A signature. */
	assert_int_equal(exec(f->n, "UPDATE blocks SET sig = zeroblob(64) "
	    "WHERE first_seq = 3"), 0);
	verify_fails(f->n, "block 3 (seq 3-3): bad signature");
}

static void
test_verify_deleted_block(void **state)
{
	struct fix *f = *state;
	struct dib_diag d;
	uint8_t id[16];
	int i;

	for (i = 0; i < 3; i++)
		assert_int_equal(add(f->n, sighting, id, &d), 0);
	assert_int_equal(exec(f->n, "DELETE FROM blocks WHERE first_seq = 2"),
	    0);
	verify_fails(f->n, "sequence gap");
}

/* A supersession that arrives before its target keeps it out. */
static void
test_project_out_of_order(void **state)
{
	struct fix *f = *state;
	struct dib_diag d;
	struct record a, b;
	json_t *in = json_loads(sighting, 0, NULL);
	char txt[37];

	(void)state;
	assert_int_equal(record_from_json(f->n->model, in, "SN", NULL, &a, &d),
	    0);
	json_object_set_new(in, "supersedes", json_string(util_uuid_format(
	    a.id, txt)));
	assert_int_equal(record_from_json(f->n->model, in, "SN", NULL, &b, &d),
	    0);
	assert_int_equal(exec(f->n, "INSERT INTO logs(id, origin, audience) "
	    "VALUES(77, 1, 'ML,SN')"), 0);
	assert_int_equal(store_project(f->n->store, 77, 1, &b, 0, &d), 0);
	assert_int_equal(store_project(f->n->store, 77, 2, &a, 0, &d), 0);
	/* The same record twice is refused, not duplicated. */
	assert_int_equal(store_project(f->n->store, 77, 3, &a, 0, &d),
	    DIB_EEXIST);
	assert_int_equal(store_count(f->n->store, "SELECT count(*) FROM rec"),
	    1);
	assert_int_equal(store_count(f->n->store, "SELECT state FROM entries "
	    "WHERE k = (77 << 40) + 2"), STORE_SUPERSEDED);
	assert_int_equal(store_count(f->n->store, "SELECT count(*) FROM "
	    "rec_link"), 1);
	record_clear(&a);
	record_clear(&b);
	json_decref(in);
}

/* How many entries the words q find, through the node's own store. */
static size_t
found(struct node *n, const char *q)
{
	struct dib_diag d;
	int64_t *keys = NULL;
	size_t count = 0;

	if (store_text_search(n->store, q, &keys, &count, &d) != 0)
		fail_msg("search %s: %s", q, d.msg);
	free(keys);
	return count;
}

static void
add_remark(struct node *n, const char *words)
{
	struct dib_diag d;
	uint8_t id[16];
	char text[400];

	snprintf(text, sizeof text, "{\"category\":\"security.armed_group."
	    "sighting\",\"observed_at\":\"2025-02-21T08:00:00Z\","
	    "\"location\":\"14.45 -12.2\",\"attributes\":{\"remarks\":"
	    "\"%s\"}}", words);
	if (add(n, text, id, &d) != 0)
		fail_msg("add: %s: %s", d.field, d.msg);
}

/*
** The text index: what commits add is found, what rolls back is not;
** what the file lacks (deleted, or a commit it missed) is rebuilt when
** the node opens; a database of version 2 loses its old index table.
*/
static void
test_text_index(void **state)
{
	struct fix *f = *state;
	struct dib_diag d;
	char path[200];
	json_t *j[2];
	uint8_t ids[2][16];
	int i;

	for (i = 0; i < 30; i++)
		add_remark(f->n, i % 3 ? "pirogues sur la Falémé" :
		    "camion immobilisé à Kidira");
	assert_int_equal(found(f->n, "\"falémé\""), 20);
	assert_int_equal(found(f->n, "\"kidira\""), 10);
	/* Diacritics are folded: "falemé" is "falémé". */
	assert_int_equal(found(f->n, "\"falemé\""), 20);
	/* A bulk append that fails writes and indexes nothing. */
	j[0] = json_loads("{\"category\":\"security.armed_group.sighting\","
	    "\"observed_at\":\"2025-02-21T08:00:00Z\",\"location\":"
	    "\"14.45 -12.2\",\"attributes\":{\"remarks\":\"orpailleurs à "
	    "Sadiola\"}}", 0, NULL);
	j[1] = json_loads("{\"category\":\"no.such\"}", 0, NULL);
	assert_int_not_equal(node_add(f->n, j, 2, ids, &d), 0);
	json_decref(j[0]);
	json_decref(j[1]);
	assert_int_equal(found(f->n, "\"sadiola\""), 0);

	/* Deleted: rebuilt from the records. */
	node_close(f->n);
	f->n = NULL;
	snprintf(path, sizeof path, "%s/%s", f->dir, STORE_TEXT_DB);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(node_open(f->dir, &f->n, &d), 0);
	assert_int_equal(found(f->n, "\"falémé\""), 20);

	/* A hole in what it covers (a commit it missed): filled. */
	assert_int_equal(sqlite3_exec(f->n->store->textdb, "INSERT INTO "
	    "rec_text(rec_text) VALUES('delete-all'); DELETE FROM covered; "
	    "INSERT INTO covered VALUES(1, 1, 5), (1, 20, 25)", NULL, NULL,
	    NULL), SQLITE_OK);
	node_close(f->n);
	assert_int_equal(node_open(f->dir, &f->n, &d), 0);
	/* 1-5 and 20-25 were said covered: their words stay missing. */
	assert_int_equal(found(f->n, "\"falémé\"") + found(f->n,
	    "\"kidira\""), 30 - 11);
	assert_int_equal(store_count(f->n->store, "SELECT count(*) FROM "
	    "logs"), 1);

	/* Version 2 kept rec_text in the database: dropped, and rebuilt. */
	assert_int_equal(exec(f->n, "CREATE VIRTUAL TABLE rec_text USING "
	    "fts5(body); UPDATE meta SET value = '2' WHERE key = "
	    "'schema_version'"), SQLITE_OK);
	node_close(f->n);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(node_open(f->dir, &f->n, &d), 0);
	assert_int_equal(store_count(f->n->store, "SELECT count(*) FROM "
	    "sqlite_schema WHERE name = 'rec_text'"), 0);
	assert_int_equal(found(f->n, "\"falémé\""), 20);

	/* Damaged beyond reading: made again. */
	node_close(f->n);
	f->n = NULL;
	assert_int_equal(util_write_file(path, "not a database, not at all",
	    26, 0644, &d), 0);
	assert_int_equal(node_open(f->dir, &f->n, &d), 0);
	assert_int_equal(found(f->n, "\"falémé\""), 20);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init_rejects, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_key_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bulk_all_or_nothing,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_supersede_retract, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_query, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_tamper, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_verify_deleted_block,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_project_out_of_order,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_text, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_text_index, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
