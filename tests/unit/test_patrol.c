/*
** Unit tests of src/patrol: the derived status from every combination of
** decisions (whatever their order, doubles, old plan versions, races,
** non-participating nations), the transitions refused with their codes,
** and the whole lifecycle on two certified nodes (SN and ML) exchanging
** sync payloads in memory, records arriving out of order on a third.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "support/fix.h"
#include "fed/sync.h"
#include "log/record.h"
#include "node/node.h"
#include "patrol/patrol.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/util.h"

#define V1 "01954a3c-0000-7000-8000-000000000001"
#define V2 "01954a3c-0000-7000-8000-000000000002"

/* ---- the derivation, pure ---- */

static struct patrol_act
act(int verb, const char *nation, const char *version, int reason)
{
	struct patrol_act a;

	memset(&a, 0, sizeof a);
	a.verb = verb;
	snprintf(a.nation, sizeof a.nation, "%s", nation);
	snprintf(a.plan_version, sizeof a.plan_version, "%s", version);
	a.has_reason = reason;
	return a;
}

static int
status_of(const char *nations, const char *version,
    const struct patrol_act *acts, size_t n)
{
	struct patrol_derived st;

	patrol_derive(nations, version, acts, n, &st);
	return st.status;
}

/* Every order of acts[0..n) gives want: arrival order does not matter. */
static void
all_orders(const char *nations, const char *version,
    const struct patrol_act *acts, size_t n, int want)
{
	struct patrol_act a[8];
	size_t c[8] = {0}, i = 1;

	assert_true(n <= 8);
	memcpy(a, acts, n * sizeof *a);
	assert_int_equal(status_of(nations, version, a, n), want);
	/* Heap's algorithm, iterative. */
	while (i < n) {
		if (c[i] < i) {
			struct patrol_act t;
			size_t j = i % 2 == 0 ? 0 : c[i];

			t = a[j];
			a[j] = a[i];
			a[i] = t;
			if (status_of(nations, version, a, n) != want)
				fail_msg("order-dependent status: want %s, got %s",
				    patrol_status_name(want), patrol_status_name(
				    status_of(nations, version, a, n)));
			c[i]++;
			i = 1;
		} else {
			c[i] = 0;
			i++;
		}
	}
}

static void
test_names(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < PATROL_STATUS_COUNT; i++)
		assert_int_equal(patrol_status_parse(patrol_status_name(i)), i);
	for (i = 0; i < PATROL_VERB_COUNT; i++)
		assert_int_equal(patrol_verb_parse(patrol_verb_name(i)), i);
	assert_int_equal(patrol_status_parse("done"), -1);
	assert_int_equal(patrol_verb_parse(NULL), -1);
	assert_null(patrol_status_name(PATROL_STATUS_COUNT));
	assert_string_equal(patrol_status_label(PATROL_UNDERWAY, "fr"),
	    "en cours");
	assert_string_equal(patrol_status_label(PATROL_UNDERWAY, "en"),
	    "underway");
	assert_true(patrol_category_reserved("patrol.action"));
	assert_false(patrol_category_reserved("patrols.x"));
	assert_false(patrol_category_reserved("security.smuggling.fuel"));
}

static void
test_derive_basic(void **state)
{
	struct patrol_act a[8];
	struct patrol_derived st;

	(void)state;
	assert_int_equal(status_of("ML,SN", V1, NULL, 0), PATROL_DRAFT);
	a[0] = act(PATROL_PROPOSE, "SN", V1, 0);
	assert_int_equal(status_of("ML,SN", V1, a, 1), PATROL_PROPOSED);
	a[1] = act(PATROL_APPROVE, "SN", V1, 0);
	patrol_derive("ML,SN", V1, a, 2, &st);
	assert_int_equal(st.status, PATROL_PROPOSED);
	assert_string_equal(st.approved, "SN");
	a[2] = act(PATROL_APPROVE, "ML", V1, 0);
	all_orders("ML,SN", V1, a, 3, PATROL_APPROVED);
	patrol_derive("ML,SN", V1, a, 3, &st);
	assert_string_equal(st.approved, "ML,SN");
	assert_string_equal(st.rejected, "");
	/* Approvals without a proposal: still a draft. */
	all_orders("ML,SN", V1, a + 1, 2, PATROL_DRAFT);
	/* A national patrol needs its one nation. */
	a[0] = act(PATROL_PROPOSE, "SN", V1, 0);
	a[1] = act(PATROL_APPROVE, "SN", V1, 0);
	all_orders("SN", V1, a, 2, PATROL_APPROVED);
	/* Three nations: two approvals are not enough. */
	all_orders("ML,MR,SN", V1, (a[2] = act(PATROL_APPROVE, "ML", V1, 0),
	    a), 3, PATROL_PROPOSED);
	a[3] = act(PATROL_APPROVE, "MR", V1, 0);
	all_orders("ML,MR,SN", V1, a, 4, PATROL_APPROVED);
	/* No nations (a plan whose nations do not parse): nothing counts. */
	assert_int_equal(status_of("", V1, a, 4), PATROL_DRAFT);
}

static void
test_derive_lifecycle(void **state)
{
	struct patrol_act a[8];

	(void)state;
	a[0] = act(PATROL_PROPOSE, "SN", V1, 0);
	a[1] = act(PATROL_APPROVE, "SN", V1, 0);
	a[2] = act(PATROL_APPROVE, "ML", V1, 0);
	a[3] = act(PATROL_START, "SN", V1, 0);
	all_orders("ML,SN", V1, a, 4, PATROL_UNDERWAY);
	a[4] = act(PATROL_COMPLETE, "ML", V1, 0);
	all_orders("ML,SN", V1, a, 5, PATROL_COMPLETED);
	a[5] = act(PATROL_ABORT, "SN", V1, 1);
	all_orders("ML,SN", V1, a, 6, PATROL_ABORTED);
	/* Start, complete and abort count whatever the plan version. */
	a[3] = act(PATROL_START, "SN", V2, 0);
	assert_int_equal(status_of("ML,SN", V1, a, 4), PATROL_UNDERWAY);
	/* An abort without reason does not count (not made by this
	 * module, but a record can say anything). */
	a[5] = act(PATROL_ABORT, "SN", V1, 0);
	all_orders("ML,SN", V1, a, 6, PATROL_COMPLETED);
	/* An approved patrol aborted before it started. */
	a[3] = act(PATROL_ABORT, "ML", V1, 1);
	all_orders("ML,SN", V1, a, 4, PATROL_ABORTED);
}

static void
test_derive_double_and_versions(void **state)
{
	struct patrol_act a[8];
	struct patrol_derived st;

	(void)state;
	/* One nation approving twice is still one nation. */
	a[0] = act(PATROL_PROPOSE, "SN", V1, 0);
	a[1] = act(PATROL_APPROVE, "SN", V1, 0);
	a[2] = act(PATROL_APPROVE, "SN", V1, 0);
	all_orders("ML,SN", V1, a, 3, PATROL_PROPOSED);
	/* ML approved the old version: the plan was changed since. */
	a[2] = act(PATROL_APPROVE, "ML", V1, 0);
	a[1] = act(PATROL_APPROVE, "SN", V2, 0);
	all_orders("ML,SN", V2, a, 3, PATROL_PROPOSED);
	patrol_derive("ML,SN", V2, a, 3, &st);
	assert_string_equal(st.approved, "SN");
	assert_false(patrol_act_counts("ML,SN", V2, &a[2]));
	assert_true(patrol_act_counts("ML,SN", V2, &a[1]));
	/* Both approve the new version. */
	a[3] = act(PATROL_APPROVE, "ML", V2, 0);
	all_orders("ML,SN", V2, a, 4, PATROL_APPROVED);
	/* An approval that names no version counts for none. */
	a[3] = act(PATROL_APPROVE, "ML", "", 0);
	assert_int_equal(status_of("ML,SN", V2, a, 4), PATROL_PROPOSED);
}

static void
test_derive_reject(void **state)
{
	struct patrol_act a[8];
	struct patrol_derived st;

	(void)state;
	/* The race: SN approves while ML rejects; reject wins either way. */
	a[0] = act(PATROL_PROPOSE, "SN", V1, 0);
	a[1] = act(PATROL_APPROVE, "SN", V1, 0);
	a[2] = act(PATROL_REJECT, "ML", V1, 1);
	a[3] = act(PATROL_APPROVE, "ML", V1, 0);
	all_orders("ML,SN", V1, a, 4, PATROL_REJECTED);
	patrol_derive("ML,SN", V1, a, 4, &st);
	assert_string_equal(st.rejected, "ML");
	/* A reject without reason does not count. */
	a[2] = act(PATROL_REJECT, "ML", V1, 0);
	all_orders("ML,SN", V1, a, 4, PATROL_APPROVED);
	/* The plan changed after the reject: the reject was about the old
	 * version, so the new one is proposed again, then approved. */
	a[1] = act(PATROL_APPROVE, "SN", V2, 0);
	a[2] = act(PATROL_REJECT, "ML", V1, 1);
	a[3] = act(PATROL_APPROVE, "ML", V1, 0);
	all_orders("ML,SN", V2, a, 4, PATROL_PROPOSED);
	a[4] = act(PATROL_APPROVE, "ML", V2, 0);
	all_orders("ML,SN", V2, a, 5, PATROL_APPROVED);
	/* Starting after a reject (a record can say anything): underway. */
	a[0] = act(PATROL_PROPOSE, "SN", V1, 0);
	a[1] = act(PATROL_REJECT, "ML", V1, 1);
	a[2] = act(PATROL_START, "SN", V1, 0);
	all_orders("ML,SN", V1, a, 3, PATROL_UNDERWAY);
}

static void
test_derive_foreign_nations(void **state)
{
	struct patrol_act a[8];

	(void)state;
	/* Mauritania sees the patrol (its audience) but does not take part:
	 * none of its decisions count. */
	a[0] = act(PATROL_PROPOSE, "MR", V1, 0);
	a[1] = act(PATROL_APPROVE, "MR", V1, 0);
	a[2] = act(PATROL_ABORT, "MR", V1, 1);
	a[3] = act(PATROL_START, "MR", V1, 0);
	a[4] = act(PATROL_REJECT, "MR", V1, 1);
	all_orders("ML,SN", V1, a, 5, PATROL_DRAFT);
	a[5] = act(PATROL_PROPOSE, "SN", V1, 0);
	a[6] = act(PATROL_APPROVE, "SN", V1, 0);
	all_orders("ML,SN", V1, a, 7, PATROL_PROPOSED);
	a[7] = act(PATROL_APPROVE, "ML", V1, 0);
	all_orders("ML,SN", V1, a, 8, PATROL_APPROVED);
	/* A malformed nation or verb counts for nothing. */
	a[0] = act(PATROL_APPROVE, "S", V1, 0);
	a[1] = act(-1, "SN", V1, 0);
	assert_false(patrol_act_counts("ML,SN", V1, &a[0]));
	assert_false(patrol_act_counts("ML,SN", V1, &a[1]));
}

/* patrol_check for a state given by status and the approving nations. */
static int
check(int status, const char *approved, int verb, const char *nation,
    int reason, struct dib_diag *d)
{
	struct patrol_derived st;

	memset(&st, 0, sizeof st);
	st.status = status;
	snprintf(st.approved, sizeof st.approved, "%s", approved);
	dib_diag_clear(d);
	return patrol_check(&st, "ML,SN", verb, nation, reason, d);
}

static void
test_transitions(void **state)
{
	/* What each decision needs: allowed[verb][status]. */
	static const int allowed[PATROL_VERB_COUNT][PATROL_STATUS_COUNT] = {
		/* draft prop appr rej under compl abort */
		[PATROL_PROPOSE] = {1, 0, 0, 0, 0, 0, 0},
		[PATROL_APPROVE] = {0, 1, 0, 0, 0, 0, 0},
		[PATROL_REJECT] = {0, 1, 0, 0, 0, 0, 0},
		[PATROL_START] = {0, 0, 1, 0, 0, 0, 0},
		[PATROL_COMPLETE] = {0, 0, 0, 0, 1, 0, 0},
		[PATROL_ABORT] = {0, 0, 1, 0, 1, 0, 0},
	};
	struct dib_diag d;
	int v, s;

	(void)state;
	for (v = 0; v < PATROL_VERB_COUNT; v++)
		for (s = 0; s < PATROL_STATUS_COUNT; s++) {
			int rc = check(s, "", v, "ML", 1, &d);

			if (allowed[v][s]) {
				if (rc != 0)
					fail_msg("%s when %s: %s", patrol_verb_name(v),
					    patrol_status_name(s), d.msg);
				continue;
			}
			assert_int_equal(rc, DIB_ECONFLICT);
			assert_string_equal(d.field, "status");
			/* The message names the current status. */
			assert_non_null(strstr(d.msg, patrol_status_name(s)));
		}
	/* Start before approval: 409 naming "proposed". */
	assert_int_equal(check(PATROL_PROPOSED, "SN", PATROL_START, "SN", 0,
	    &d), DIB_ECONFLICT);
	assert_non_null(strstr(d.msg, "proposed"));
	/* A nation approves a version once. */
	assert_int_equal(check(PATROL_PROPOSED, "SN", PATROL_APPROVE, "SN", 0,
	    &d), DIB_ECONFLICT);
	assert_non_null(strstr(d.msg, "already approved"));
	assert_int_equal(check(PATROL_PROPOSED, "SN", PATROL_APPROVE, "ML", 0,
	    &d), 0);
	/* Reject and abort need a reason: 422 before anything else. */
	assert_int_equal(check(PATROL_PROPOSED, "", PATROL_REJECT, "ML", 0,
	    &d), DIB_EINVAL);
	assert_string_equal(d.field, "reason");
	assert_int_equal(check(PATROL_DRAFT, "", PATROL_ABORT, "ML", 0, &d),
	    DIB_EINVAL);
	assert_string_equal(d.field, "reason");
	/* Only participating nations decide. */
	assert_int_equal(check(PATROL_PROPOSED, "", PATROL_APPROVE, "MR", 0,
	    &d), DIB_EPERM);
	assert_int_equal(check(PATROL_PROPOSED, "", 99, "SN", 0, &d),
	    DIB_EINVAL);
}

static int
setup(void **state)
{
	return fix_setup(state, "test_patrol");
}

/* ---- on nodes ---- */


/*
** What from sends to a node of to's nation that holds what "holder"
** holds (NULL: to itself), applied to to in one transaction.
*/
static void
send_as(struct node *from, struct node *to, struct node *holder)
{
	struct sync_summary theirs;
	struct sync_sink o = {sync_buf_write, NULL};
	struct sync_sent sent;
	struct sync_apply a;
	struct dib_diag d;
	struct buf b;

	memset(&theirs, 0, sizeof theirs);
	buf_init(&b, 64 << 20);
	o.arg = &b;
	if (sync_summary_make((holder ? holder : to)->store, from->nation,
	    &theirs, &d) != 0 || sync_put_version(&o, &d) != 0 ||
	    sync_put_blocks(from->store, to->nation, &theirs, 0, &o, &sent,
	    &d) != 0 || sync_put_end(&o, &d) != 0)
		fail_msg("payload: %s", d.msg);
	sync_apply_init(&a, to);
	a.strict = 1;
	if (store_begin(to->store, &d) != 0 ||
	    sync_apply_feed(&a, b.p, b.len, &d) != 0 ||
	    sync_apply_finish(&a, &d) != 0 || store_commit(to->store, &d) != 0)
		fail_msg("apply to %s: %s: %s", to->name, d.field, d.msg);
	sync_apply_free(&a);
	sync_summary_free(&theirs);
	buf_free(&b);
}

static json_t *
plan(const char *code)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:[s,s], s:{s:s, "
	    "s:[[f,f],[f,f],[f,f]]}}", "code", code, "patrol_type", "vehicle",
	    "objective", "Reconnaissance le long de la Falémé", "window_start",
	    "2025-02-20T06:00:00Z", "window_end", "2025-02-20T18:00:00Z",
	    "nations", "SN", "ML", "geometry", "type", "LineString",
	    "coordinates", -12.23, 14.46, -12.1, 14.3, -12.0, 14.1);
}

static void
create_ok(struct node *n, json_t *in, uint8_t id[16])
{
	struct dib_diag d;

	if (patrol_create(n, in, NULL, id, &d) != 0)
		fail_msg("create: %s: %s", d.field, d.msg);
	json_decref(in);
}

static int
do_act(struct node *n, const uint8_t id[16], int verb, const char *why,
    struct dib_diag *d)
{
	uint8_t rid[16];

	dib_diag_clear(d);
	return patrol_act(n, id, verb, why, NULL, rid, d);
}

static void
act_ok(struct node *n, const uint8_t id[16], int verb, const char *why)
{
	struct dib_diag d;

	if (do_act(n, id, verb, why, &d) != 0)
		fail_msg("%s on %s: %s: %s", patrol_verb_name(verb), n->nation,
		    d.field, d.msg);
}

static json_t *
get_ok(struct node *n, const uint8_t id[16])
{
	struct dib_diag d;
	json_t *p = NULL;

	if (patrol_get(n, id, &p, &d) != 0)
		fail_msg("get on %s: %s", n->nation, d.msg);
	return p;
}

static const char *
status_on(struct node *n, const uint8_t id[16])
{
	static char s[32];
	json_t *p = get_ok(n, id);

	snprintf(s, sizeof s, "%s", json_string_value(json_object_get(p,
	    "status")));
	json_decref(p);
	return s;
}

static void
create_bad(struct node *n, json_t *in, const char *field, int code)
{
	struct dib_diag d;
	uint8_t id[16];

	dib_diag_clear(&d);
	assert_int_equal(patrol_create(n, in, NULL, id, &d), code);
	if (strcmp(d.field, field) != 0)
		fail_msg("want field %s, got %s: %s", field, d.field, d.msg);
	json_decref(in);
}

static void
test_create_checks(void **state)
{
	struct fix *f = *state;
	json_t *in;

	fix_nodes(f);
	in = plan("JP-001");
	json_object_del(in, "code");
	create_bad(f->sn, in, "code", DIB_EINVAL);
	in = plan("JP-001");
	json_object_set_new(in, "window_end", json_string(
	    "2025-02-20T05:00:00Z"));
	create_bad(f->sn, in, "window_end", DIB_EINVAL);
	in = plan("JP-001");
	json_object_set_new(in, "window_end", json_string("demain"));
	create_bad(f->sn, in, "window_end", DIB_EINVAL);
	in = plan("JP-001");
	json_object_set_new(in, "nations", json_pack("[s]", "ML"));
	create_bad(f->sn, in, "nations", DIB_EINVAL);
	in = plan("JP-001");
	json_object_set_new(in, "nations", json_array());
	create_bad(f->sn, in, "nations", DIB_EINVAL);
	in = plan("JP-001");
	json_object_set_new(in, "audience", json_string("SN"));
	create_bad(f->sn, in, "audience", DIB_EINVAL);
	in = plan("JP-001");
	json_object_set_new(in, "patrol_type", json_string("helicopter"));
	create_bad(f->sn, in, "patrol_type", DIB_EINVAL);
	in = plan("JP-001");
	json_object_set_new(in, "geometry", json_pack("{s:s, s:[f,f]}", "type",
	    "Point", "coordinates", -12.2, 14.4));
	create_bad(f->sn, in, "geometry", DIB_EINVAL);
	in = plan("JP-001");
	json_object_del(in, "geometry");
	create_bad(f->sn, in, "geometry", DIB_EINVAL);
	in = plan("JP-001");
	json_object_set_new(in, "leader", json_string("x"));
	create_bad(f->sn, in, "leader", DIB_EINVAL);
	/* An area is fine; so is a wider audience. */
	in = plan("JP-002");
	json_object_set_new(in, "geometry", json_pack("{s:s, s:[[[f,f],[f,f],"
	    "[f,f],[f,f]]]}", "type", "Polygon", "coordinates", -12.3, 14.4,
	    -12.1, 14.4, -12.1, 14.6, -12.3, 14.4));
	json_object_set_new(in, "audience", json_pack("[s,s,s]", "SN", "ML",
	    "MR"));
	{
		uint8_t id[16];
		json_t *p;

		create_ok(f->sn, in, id);
		p = get_ok(f->sn, id);
		assert_string_equal(json_string_value(json_object_get(p,
		    "status")), "draft");
		assert_int_equal(json_array_size(json_object_get(p,
		    "audience")), 3);
		json_decref(p);
	}
	assert_int_equal(store_count(f->sn->store, "SELECT count(*) FROM "
	    "entries"), 1);
}

static void
test_lifecycle_two_nodes(void **state)
{
	struct fix *f = *state;
	struct dib_diag d;
	uint8_t id[16], rid[16];
	json_t *a, *b, *in;
	char *ja, *jb;

	fix_nodes(f);
	create_ok(f->sn, plan("JP-001"), id);
	in = json_pack("{s:s, s:s, s:i}", "unit", "Brigade de gendarmerie de "
	    "Kidira", "leader", "Adjudant-chef", "strength", 12);
	assert_int_equal(patrol_add_unit(f->sn, id, in, NULL, rid, &d), 0);
	json_decref(in);
	/* SN may not declare ML's units. */
	in = json_pack("{s:s, s:s}", "nation", "ML", "unit", "Police de "
	    "Diboli");
	assert_int_equal(patrol_add_unit(f->sn, id, in, NULL, rid, &d),
	    DIB_EINVAL);
	assert_string_equal(d.field, "nation");
	json_decref(in);
	/* Start or approve before the proposal. */
	assert_int_equal(do_act(f->sn, id, PATROL_START, NULL, &d),
	    DIB_ECONFLICT);
	assert_non_null(strstr(d.msg, "draft"));
	assert_int_equal(do_act(f->sn, id, PATROL_APPROVE, NULL, &d),
	    DIB_ECONFLICT);
	act_ok(f->sn, id, PATROL_PROPOSE, NULL);
	assert_int_equal(do_act(f->sn, id, PATROL_PROPOSE, NULL, &d),
	    DIB_ECONFLICT);
	act_ok(f->sn, id, PATROL_APPROVE, NULL);
	/* SN's commander approving again changes nothing. */
	assert_int_equal(do_act(f->sn, id, PATROL_APPROVE, NULL, &d),
	    DIB_ECONFLICT);
	assert_string_equal(status_on(f->sn, id), "proposed");
	assert_int_equal(do_act(f->sn, id, PATROL_START, NULL, &d),
	    DIB_ECONFLICT);
	assert_non_null(strstr(d.msg, "proposed"));

	/* ML holds nothing of it until sync. */
	assert_int_equal(patrol_get(f->ml, id, &a, &d), DIB_ENOTFOUND);
	fix_send(f->sn, f->ml);
	assert_string_equal(status_on(f->ml, id), "proposed");
	in = json_pack("{s:s, s:s, s:i}", "unit", "Commissariat de police de "
	    "Diboli", "leader", "Faucon 2", "strength", 8);
	assert_int_equal(patrol_add_unit(f->ml, id, in, NULL, rid, &d), 0);
	json_decref(in);
	/* ML cannot change SN's plan. */
	in = json_pack("{s:s}", "objective", "autre");
	assert_int_equal(patrol_update(f->ml, id, in, NULL, rid, &d),
	    DIB_EPERM);
	json_decref(in);
	assert_int_equal(do_act(f->ml, id, PATROL_REJECT, "", &d), DIB_EINVAL);
	assert_string_equal(d.field, "reason");
	act_ok(f->ml, id, PATROL_APPROVE, NULL);
	assert_string_equal(status_on(f->ml, id), "approved");
	fix_send(f->ml, f->sn);
	assert_string_equal(status_on(f->sn, id), "approved");

	/* Both nodes say the same. */
	a = get_ok(f->sn, id);
	b = get_ok(f->ml, id);
	ja = json_dumps(a, JSON_SORT_KEYS | JSON_COMPACT);
	jb = json_dumps(b, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(ja, jb);
	free(ja);
	free(jb);
	assert_true(json_is_true(json_object_get(json_object_get(
	    json_object_get(a, "approvals"), "ML"), "approved")));
	assert_int_equal(json_array_size(json_object_get(json_object_get(a,
	    "units"), "ML")), 1);
	assert_int_equal(json_array_size(json_object_get(json_object_get(a,
	    "units"), "SN")), 1);
	assert_int_equal(json_array_size(json_object_get(a, "actions")), 3);
	json_decref(a);
	json_decref(b);

	/* SN changes the plan: back to proposed until both approve it. */
	in = json_pack("{s:s}", "window_end", "2025-02-20T20:00:00Z");
	assert_int_equal(patrol_update(f->sn, id, in, NULL, rid, &d), 0);
	json_decref(in);
	assert_string_equal(status_on(f->sn, id), "proposed");
	a = get_ok(f->sn, id);
	assert_int_equal(json_integer_value(json_object_get(a, "versions")), 2);
	assert_string_equal(json_string_value(json_object_get(a,
	    "window_end")), "2025-02-20T20:00:00Z");
	assert_string_equal(json_string_value(json_object_get(a, "code")),
	    "JP-001");
	assert_false(json_is_true(json_object_get(json_array_get(
	    json_object_get(a, "actions"), 2), "counts")));
	json_decref(a);
	/* ML still holds the old version and its own approval of it. */
	assert_string_equal(status_on(f->ml, id), "approved");
	fix_send(f->sn, f->ml);
	assert_string_equal(status_on(f->ml, id), "proposed");
	act_ok(f->sn, id, PATROL_APPROVE, NULL);
	act_ok(f->ml, id, PATROL_APPROVE, NULL);
	fix_send(f->sn, f->ml);
	fix_send(f->ml, f->sn);
	assert_string_equal(status_on(f->sn, id), "approved");
	assert_string_equal(status_on(f->ml, id), "approved");

	/* Underway, debriefs, an observation, complete. */
	in = json_pack("{s:s}", "text", "RAS");
	assert_int_equal(patrol_add_debrief(f->sn, id, in, NULL, rid, &d),
	    DIB_ECONFLICT);
	json_decref(in);
	act_ok(f->ml, id, PATROL_START, NULL);
	fix_send(f->ml, f->sn);
	assert_string_equal(status_on(f->sn, id), "underway");
	in = json_pack("{s:s}", "objective", "trop tard");
	assert_int_equal(patrol_update(f->sn, id, in, NULL, rid, &d),
	    DIB_ECONFLICT);
	json_decref(in);
	assert_int_equal(do_act(f->sn, id, PATROL_ABORT, NULL, &d), DIB_EINVAL);
	act_ok(f->sn, id, PATROL_COMPLETE, NULL);
	in = json_pack("{s:s}", "text", "Itinéraire parcouru ; RAS.");
	assert_int_equal(patrol_add_debrief(f->sn, id, in, NULL, rid, &d), 0);
	json_decref(in);
	{
		json_t *obs;
		char pid[37];

		obs = json_pack("{s:s, s:s, s:{s:s, s:[f,f]}, s:{s:i}, s:s, "
		    "s:s}", "category", "environment.dredge_sighting",
		    "observed_at", "2025-02-20T09:00:00Z", "geometry", "type",
		    "Point", "coordinates", -12.2, 14.4, "attributes", "dredges",
		    3, "audience", "ML,SN", "patrol", util_uuid_format(id, pid));
		assert_int_equal(node_add(f->sn, &obs, 1, &rid, &d), 0);
		json_decref(obs);
	}
	in = json_pack("{s:s}", "unit", "trop tard");
	assert_int_equal(patrol_add_unit(f->sn, id, in, NULL, rid, &d),
	    DIB_ECONFLICT);
	json_decref(in);
	fix_send(f->sn, f->ml);
	a = get_ok(f->sn, id);
	b = get_ok(f->ml, id);
	assert_string_equal(json_string_value(json_object_get(b, "status")),
	    "completed");
	assert_int_equal(json_integer_value(json_object_get(b,
	    "observations")), 1);
	assert_int_equal(json_array_size(json_object_get(b, "debriefs")), 1);
	ja = json_dumps(a, JSON_SORT_KEYS | JSON_COMPACT);
	jb = json_dumps(b, JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(ja, jb);
	free(ja);
	free(jb);
	json_decref(a);
	json_decref(b);
}

static void
test_out_of_order(void **state)
{
	struct fix *f = *state;
	uint8_t id[16], rid[16];
	struct dib_diag d;
	json_t *p, *in;
	char *ja, *jb;

	fix_nodes(f);
	f->post = fix_node(f, "post", "SN");
	create_ok(f->sn, plan("JP-007"), id);
	act_ok(f->sn, id, PATROL_PROPOSE, NULL);
	act_ok(f->sn, id, PATROL_APPROVE, NULL);
	fix_send(f->sn, f->ml);
	in = json_pack("{s:s}", "unit", "Détachement RM4");
	assert_int_equal(patrol_add_unit(f->ml, id, in, NULL, rid, &d), 0);
	json_decref(in);
	act_ok(f->ml, id, PATROL_APPROVE, NULL);
	/* The post gets ML's decision (what SN HQ does not hold) before
	 * SN's plan: no patrol yet, nothing listed. */
	send_as(f->ml, f->post, f->sn);
	assert_int_equal(patrol_get(f->post, id, &p, &d), DIB_ENOTFOUND);
	assert_int_equal(patrol_list(f->post, NULL, &p, &d), 0);
	assert_int_equal(json_array_size(json_object_get(p, "patrols")), 0);
	json_decref(p);
	/* Then the plan: the same status as everywhere. */
	fix_send(f->sn, f->post);
	fix_send(f->ml, f->sn);
	assert_string_equal(status_on(f->post, id), "approved");
	p = get_ok(f->post, id);
	ja = json_dumps(p, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(p);
	p = get_ok(f->sn, id);
	jb = json_dumps(p, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(p);
	assert_string_equal(ja, jb);
	free(ja);
	free(jb);
}

/* Decisions show in time order, also across a whole second ("…:05Z"
 * is before "…:05.500Z" though not as text). */
static void
test_action_order(void **state)
{
	struct fix *f = *state;
	struct patrol_opts o = {0, NULL};
	uint8_t id[16], rid[16];
	struct dib_diag d;
	json_t *p, *acts;

	fix_nodes(f);
	create_ok(f->sn, plan("JP-008"), id);
	assert_int_equal(util_time_parse("2025-02-19T09:00:05Z", &o.at, "at",
	    &d), 0);
	assert_int_equal(patrol_act(f->sn, id, PATROL_PROPOSE, NULL, &o, rid,
	    &d), 0);
	o.at += 500;
	assert_int_equal(patrol_act(f->sn, id, PATROL_APPROVE, NULL, &o, rid,
	    &d), 0);
	p = get_ok(f->sn, id);
	acts = json_object_get(p, "actions");
	assert_int_equal(json_array_size(acts), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    acts, 0), "action")), "propose");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    acts, 1), "action")), "approve");
	json_decref(p);
}

static void
test_forgery_and_withdrawal(void **state)
{
	struct fix *f = *state;
	uint8_t id[16], rid[16], fake[16];
	struct dib_diag d;
	struct record r;
	json_t *in, *p;
	char pid[37];

	fix_nodes(f);
	create_ok(f->sn, plan("JP-003"), id);
	act_ok(f->sn, id, PATROL_PROPOSE, NULL);
	fix_send(f->sn, f->ml);
	/* ML writes a plan record of its own claiming to replace SN's (not
	 * through this module): it is not a version of the patrol. */
	in = plan("JP-FAUX");
	json_object_set_new(in, "nations", json_pack("[s]", "ML"));
	p = json_pack("{s:s, s:s, s:O, s:O, s:s, s:s, s:s}", "category",
	    "patrol.plan", "observed_at", "2025-02-19T00:00:00Z", "attributes",
	    in, "geometry", json_object_get(in, "geometry"), "audience",
	    "ML,SN", "patrol", util_uuid_format(id, pid), "supersedes", pid);
	json_object_del(json_object_get(p, "attributes"), "geometry");
	util_uuid7(util_now_ms(), fake);
	assert_int_equal(record_from_json(f->ml->model, p, "ML,SN", fake, &r,
	    &d), 0);
	assert_int_equal(node_append(f->ml, &r, 1, &d), 0);
	record_clear(&r);
	json_decref(in);
	json_decref(p);
	fix_send(f->ml, f->sn);
	p = get_ok(f->sn, id);
	assert_string_equal(json_string_value(json_object_get(p, "code")),
	    "JP-003");
	assert_int_equal(json_integer_value(json_object_get(p, "versions")), 1);
	json_decref(p);
	p = get_ok(f->ml, id);
	assert_string_equal(json_string_value(json_object_get(p, "code")),
	    "JP-003");
	json_decref(p);
	/* Linked pieces that do not parse as patrols (the fake plan's own
	 * id) are not listed. */
	assert_int_equal(patrol_list(f->sn, NULL, &p, &d), 0);
	assert_int_equal(json_array_size(json_object_get(p, "patrols")), 1);
	json_decref(p);
	/* Retracting the plan withdraws the patrol. */
	assert_int_equal(node_retract(f->sn, id, "annulée", rid, &d), 0);
	assert_int_equal(patrol_get(f->sn, id, &p, &d), DIB_ENOTFOUND);
	assert_non_null(strstr(d.msg, "withdrawn"));
	assert_int_equal(do_act(f->sn, id, PATROL_APPROVE, NULL, &d),
	    DIB_ENOTFOUND);
	util_uuid7(util_now_ms(), fake);
	assert_int_equal(do_act(f->sn, fake, PATROL_APPROVE, NULL, &d),
	    DIB_ENOTFOUND);
}

static json_t *
list(struct node *n, const struct patrol_filter *flt)
{
	struct dib_diag d;
	json_t *p = NULL;

	if (patrol_list(n, flt, &p, &d) != 0)
		fail_msg("list: %s", d.msg);
	return p;
}

static size_t
count_list(struct node *n, const struct patrol_filter *flt)
{
	json_t *p = list(n, flt);
	size_t c = json_array_size(json_object_get(p, "patrols"));

	json_decref(p);
	return c;
}

static void
test_list(void **state)
{
	struct fix *f = *state;
	struct patrol_filter flt;
	uint8_t a[16], b[16], c[16];
	json_t *in, *p;

	fix_nodes(f);
	create_ok(f->sn, plan("JP-A"), a);
	in = plan("JP-B");
	json_object_set_new(in, "window_start", json_string(
	    "2025-03-01T06:00:00Z"));
	json_object_set_new(in, "window_end", json_string(
	    "2025-03-03T18:00:00Z"));
	create_ok(f->sn, in, b);
	in = plan("JP-C");
	json_object_set_new(in, "nations", json_pack("[s]", "SN"));
	json_object_set_new(in, "window_start", json_string(
	    "2025-04-01T06:00:00Z"));
	json_object_set_new(in, "window_end", json_string(
	    "2025-04-01T18:00:00Z"));
	create_ok(f->sn, in, c);
	act_ok(f->sn, b, PATROL_PROPOSE, NULL);
	act_ok(f->sn, c, PATROL_PROPOSE, NULL);
	act_ok(f->sn, c, PATROL_APPROVE, NULL);

	p = list(f->sn, NULL);
	/* Newest window first, counts in place of lists. */
	assert_int_equal(json_array_size(json_object_get(p, "patrols")), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(p, "patrols"), 0), "code")), "JP-C");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(p, "patrols"), 0), "status")), "approved");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
	    json_object_get(p, "patrols"), 0), "actions")), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(p, "patrols"), 2), "code")), "JP-A");
	json_decref(p);

	memset(&flt, 0, sizeof flt);
	flt.has_status = 1;
	flt.status = PATROL_PROPOSED;
	assert_int_equal(count_list(f->sn, &flt), 1);
	flt.status = PATROL_DRAFT;
	assert_int_equal(count_list(f->sn, &flt), 1);
	memset(&flt, 0, sizeof flt);
	snprintf(flt.nation, sizeof flt.nation, "ML");
	assert_int_equal(count_list(f->sn, &flt), 2);
	/* Window overlap: JP-B runs 1 to 3 March. */
	memset(&flt, 0, sizeof flt);
	flt.has_from = flt.has_to = 1;
	util_time_parse("2025-03-02T00:00:00Z", &flt.from, "", NULL);
	util_time_parse("2025-03-02T12:00:00Z", &flt.to, "", NULL);
	assert_int_equal(count_list(f->sn, &flt), 1);
	flt.has_to = 0;
	assert_int_equal(count_list(f->sn, &flt), 2);
	flt.has_from = 0;
	flt.has_to = 1;
	assert_int_equal(count_list(f->sn, &flt), 2);
	util_time_parse("2025-02-20T06:00:00Z", &flt.to, "", NULL);
	assert_int_equal(count_list(f->sn, &flt), 1);
	util_time_parse("2025-02-20T05:59:59Z", &flt.to, "", NULL);
	assert_int_equal(count_list(f->sn, &flt), 0);
	/* ML sees only what is shared with it: not the national JP-C. */
	fix_send(f->sn, f->ml);
	assert_int_equal(count_list(f->ml, NULL), 2);
}

static void
test_legs_and_debriefs(void **state)
{
	struct fix *f = *state;
	uint8_t id[16], rid[16];
	struct dib_diag d;
	json_t *in, *p, *legs;

	fix_nodes(f);
	create_ok(f->sn, plan("JP-L"), id);
	in = json_pack("{s:i, s:s, s:s, s:s, s:s}", "seq", 2, "lead_nation",
	    "SN", "location", "14.40 -12.22", "start", "2025-02-20T12:00:00Z",
	    "end", "2025-02-20T18:00:00Z");
	assert_int_equal(patrol_add_leg(f->sn, id, in, NULL, rid, &d), 0);
	json_decref(in);
	in = json_pack("{s:i, s:s, s:{s:s, s:[f,f]}}", "seq", 1, "lead_nation",
	    "ML", "geometry", "type", "Point", "coordinates", -12.21, 14.46);
	assert_int_equal(patrol_add_leg(f->sn, id, in, NULL, rid, &d), 0);
	json_decref(in);
	in = json_pack("{s:i, s:s, s:s}", "seq", 3, "lead_nation", "MR",
	    "location", "14.40 -12.22");
	assert_int_equal(patrol_add_leg(f->sn, id, in, NULL, rid, &d),
	    DIB_EINVAL);
	assert_string_equal(d.field, "lead_nation");
	json_decref(in);
	in = json_pack("{s:i, s:s, s:s, s:s, s:s}", "seq", 3, "lead_nation",
	    "SN", "location", "14.40 -12.22", "start", "2025-02-20T12:00:00Z",
	    "end", "2025-02-20T11:00:00Z");
	assert_int_equal(patrol_add_leg(f->sn, id, in, NULL, rid, &d),
	    DIB_EINVAL);
	assert_string_equal(d.field, "end");
	json_decref(in);
	in = json_pack("{s:i, s:s}", "seq", 3, "lead_nation", "SN");
	assert_int_equal(patrol_add_leg(f->sn, id, in, NULL, rid, &d),
	    DIB_EINVAL);
	assert_string_equal(d.field, "geometry");
	json_decref(in);
	p = get_ok(f->sn, id);
	legs = json_object_get(p, "legs");
	assert_int_equal(json_array_size(legs), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
	    legs, 0), "seq")), 1);
	assert_non_null(json_object_get(json_array_get(legs, 1), "mgrs"));
	json_decref(p);
	/* A debrief in the name of another nation is refused. */
	act_ok(f->sn, id, PATROL_PROPOSE, NULL);
	act_ok(f->sn, id, PATROL_APPROVE, NULL);
	fix_send(f->sn, f->ml);
	act_ok(f->ml, id, PATROL_APPROVE, NULL);
	act_ok(f->ml, id, PATROL_START, NULL);
	in = json_pack("{s:s, s:s}", "text", "RAS", "nation", "SN");
	assert_int_equal(patrol_add_debrief(f->ml, id, in, NULL, rid, &d),
	    DIB_EINVAL);
	assert_string_equal(d.field, "nation");
	json_decref(in);
	in = json_pack("{s:s}", "text", "Relève effectuée au pont.");
	assert_int_equal(patrol_add_debrief(f->ml, id, in, NULL, rid, &d), 0);
	json_decref(in);
	act_ok(f->ml, id, PATROL_ABORT, "Crue de la Falémé");
	assert_string_equal(status_on(f->ml, id), "aborted");
	assert_int_equal(do_act(f->ml, id, PATROL_COMPLETE, NULL, &d),
	    DIB_ECONFLICT);
	p = get_ok(f->ml, id);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(p, "debriefs"), 0), "nation")), "ML");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(p, "actions"), 4), "reason")), "Crue de la Falémé");
	json_decref(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_derive_basic),
		cmocka_unit_test(test_derive_lifecycle),
		cmocka_unit_test(test_derive_double_and_versions),
		cmocka_unit_test(test_derive_reject),
		cmocka_unit_test(test_derive_foreign_nations),
		cmocka_unit_test(test_transitions),
		cmocka_unit_test_setup_teardown(test_create_checks, setup,
		    fix_teardown),
		cmocka_unit_test_setup_teardown(test_lifecycle_two_nodes, setup,
		    fix_teardown),
		cmocka_unit_test_setup_teardown(test_out_of_order, setup,
		    fix_teardown),
		cmocka_unit_test_setup_teardown(test_action_order, setup,
		    fix_teardown),
		cmocka_unit_test_setup_teardown(test_forgery_and_withdrawal,
		    setup, fix_teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, fix_teardown),
		cmocka_unit_test_setup_teardown(test_legs_and_debriefs, setup,
		    fix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
