/*
** Joint patrols: the derivation of the status from the decisions, the
** checks of each write, and the patrol as JSON for the CLI and the API.
** Every piece is an ordinary record; this module only chooses what to
** write and reads back what is linked to a patrol.
*/
#include "patrol/patrol.h"
#include "patrol/patrol_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "geo/reference.h"
#include "log/record.h"
#include "model/model.h"
#include "node/node.h"
#include "store/query.h"
#include "store/store.h"

static const char *const status_names[PATROL_STATUS_COUNT] = {"draft",
    "proposed", "approved", "rejected", "underway", "completed",
    "aborted"};
static const char *const status_fr[PATROL_STATUS_COUNT] = {"brouillon",
    "proposée", "approuvée", "rejetée", "en cours", "terminée",
    "annulée"};
static const char *const verb_names[PATROL_VERB_COUNT] = {"propose",
    "approve", "reject", "start", "complete", "abort"};

const char *
patrol_status_name(int status)
{
	return status >= 0 && status < PATROL_STATUS_COUNT ?
	    status_names[status] : NULL;
}

const char *
patrol_status_label(int status, const char *lang)
{
	if (status < 0 || status >= PATROL_STATUS_COUNT)
		return NULL;
	return lang != NULL && strcmp(lang, "en") == 0 ? status_names[status] :
	    status_fr[status];
}

const char *
patrol_verb_name(int verb)
{
	return verb >= 0 && verb < PATROL_VERB_COUNT ? verb_names[verb] : NULL;
}

int
patrol_status_parse(const char *s)
{
	int i;

	for (i = 0; s != NULL && i < PATROL_STATUS_COUNT; i++)
		if (strcmp(s, status_names[i]) == 0)
			return i;
	return -1;
}

int
patrol_verb_parse(const char *s)
{
	int i;

	for (i = 0; s != NULL && i < PATROL_VERB_COUNT; i++)
		if (strcmp(s, verb_names[i]) == 0)
			return i;
	return -1;
}

int
patrol_category_reserved(const char *id)
{
	return id != NULL && strncmp(id, PATROL_CAT ".", 7) == 0;
}

/* ---- the derivation ---- */

int
patrol_act_counts(const char *nations, const char *version,
    const struct patrol_act *a)
{
	if (a->verb < 0 || a->verb >= PATROL_VERB_COUNT ||
	    strlen(a->nation) != 2 || !util_audience_has(nations, a->nation))
		return 0;
	if ((a->verb == PATROL_REJECT || a->verb == PATROL_ABORT) &&
	    !a->has_reason)
		return 0;
	if ((a->verb == PATROL_APPROVE || a->verb == PATROL_REJECT) &&
	    strcmp(a->plan_version, version) != 0)
		return 0;
	return 1;
}

/* The nations of set that flags marks, canonical ("ML,SN"). */
static void
subset(const char *set, const int *flags, char *out)
{
	size_t i, o = 0, n = strlen(set);
	int k = 0;

	out[0] = '\0';
	for (i = 0; i + 1 < n; i += 3, k++) {
		if (!flags[k])
			continue;
		if (o)
			out[o++] = ',';
		out[o++] = set[i];
		out[o++] = set[i + 1];
		out[o] = '\0';
	}
}

/* Index of nation in set, or -1. */
static int
nation_index(const char *set, const char *nation)
{
	size_t i, n = strlen(set);
	int k = 0;

	for (i = 0; i + 1 < n; i += 3, k++)
		if (set[i] == nation[0] && set[i + 1] == nation[1])
			return k;
	return -1;
}

void
patrol_derive(const char *nations, const char *version,
    const struct patrol_act *acts, size_t n, struct patrol_derived *out)
{
	int any[PATROL_VERB_COUNT] = {0};
	int ok[UTIL_AUDIENCE_MAX] = {0}, no[UTIL_AUDIENCE_MAX] = {0};
	int k, all = 1, count = 0;
	size_t i;

	memset(out, 0, sizeof *out);
	for (i = 0; i < n; i++) {
		const struct patrol_act *a = &acts[i];

		if (!patrol_act_counts(nations, version, a))
			continue;
		any[a->verb] = 1;
		k = nation_index(nations, a->nation);
		if (k < 0 || k >= UTIL_AUDIENCE_MAX)
			continue;
		if (a->verb == PATROL_APPROVE)
			ok[k] = 1;
		else if (a->verb == PATROL_REJECT)
			no[k] = 1;
	}
	for (k = 0; (size_t)k * 3 + 1 < strlen(nations) &&
	    k < UTIL_AUDIENCE_MAX; k++) {
		count++;
		if (!ok[k])
			all = 0;
	}
	subset(nations, ok, out->approved);
	subset(nations, no, out->rejected);
	if (any[PATROL_ABORT])
		out->status = PATROL_ABORTED;
	else if (any[PATROL_COMPLETE])
		out->status = PATROL_COMPLETED;
	else if (any[PATROL_START])
		out->status = PATROL_UNDERWAY;
	else if (any[PATROL_REJECT])
		out->status = PATROL_REJECTED;
	else if (any[PATROL_PROPOSE] && count > 0 && all)
		out->status = PATROL_APPROVED;
	else if (any[PATROL_PROPOSE])
		out->status = PATROL_PROPOSED;
	else
		out->status = PATROL_DRAFT;
}

int
patrol_check(const struct patrol_derived *st, const char *nations,
    int verb, const char *nation, int has_reason, struct dib_diag *d)
{
	const char *now = patrol_status_name(st->status);
	const char *v = patrol_verb_name(verb);
	const char *need = NULL;

	if (v == NULL)
		return dib_fail(d, DIB_EINVAL, "action", "must be propose, "
		    "approve, reject, start, complete or abort");
	if ((verb == PATROL_REJECT || verb == PATROL_ABORT) && !has_reason)
		return dib_fail(d, DIB_EINVAL, "reason", "is required to %s a "
		    "patrol: say why", v);
	if (!util_audience_has(nations, nation))
		return dib_fail(d, DIB_EPERM, "nation", "%s does not take part "
		    "in this patrol (nations %s): only they decide on it",
		    nation, nations);
	switch (verb) {
	case PATROL_PROPOSE:
		if (st->status != PATROL_DRAFT)
			need = "draft";
		break;
	case PATROL_APPROVE:
	case PATROL_REJECT:
		if (st->status != PATROL_PROPOSED)
			need = "proposed";
		break;
	case PATROL_START:
		if (st->status != PATROL_APPROVED)
			need = "approved by every nation";
		break;
	case PATROL_COMPLETE:
		if (st->status != PATROL_UNDERWAY)
			need = "underway";
		break;
	case PATROL_ABORT:
		if (st->status != PATROL_APPROVED &&
		    st->status != PATROL_UNDERWAY)
			need = "approved or underway";
		break;
	}
	if (need != NULL)
		return dib_fail(d, DIB_ECONFLICT, "status", "cannot %s: the "
		    "patrol is %s (%s needs %s)", v, now, v, need);
	if (verb == PATROL_APPROVE && util_audience_has(st->approved, nation))
		return dib_fail(d, DIB_ECONFLICT, "status", "%s already "
		    "approved this version of the plan", nation);
	return DIB_OK;
}

/* ---- reading what is linked to a patrol ---- */

void
patrol_rows_free(struct patrol_rows *r)
{
	free(r->v);
	memset(r, 0, sizeof *r);
}

/*
** The entries linked to patrol (NULL: to any patrol), by patrol then
** storage order. Every version: states tell the current ones.
*/
int
patrol_rows_load(struct node *n, const uint8_t *patrol,
    struct patrol_rows *out, struct dib_diag *d)
{
	sqlite3_stmt *st = NULL;
	int rc = DIB_OK, step;

	memset(out, 0, sizeof *out);
	/* No index on entries.patrol yet: one scan (see docs/patrols.md). */
	if (sqlite3_prepare_v2(n->store->db, patrol ? "SELECT e.patrol, e.k, "
	    "e.state, c.id FROM entries e JOIN categories c ON c.code = e.cat "
	    "WHERE e.patrol = ?1 ORDER BY e.k" : "SELECT e.patrol, e.k, "
	    "e.state, c.id FROM entries e JOIN categories c ON c.code = e.cat "
	    "WHERE e.patrol IS NOT NULL ORDER BY e.patrol, e.k", -1, &st,
	    NULL) != SQLITE_OK)
		return store_dberr(n->store, d, "patrol");
	if (patrol)
		sqlite3_bind_blob(st, 1, patrol, 16, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct patrol_row *r;

		if (sqlite3_column_bytes(st, 0) != 16)
			continue;
		if (out->n == out->cap) {
			size_t cap = out->cap ? out->cap * 2 : 64;
			struct patrol_row *nv = realloc(out->v, cap * sizeof *nv);

			if (nv == NULL) {
				rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
				goto out;
			}
			out->v = nv;
			out->cap = cap;
		}
		r = &out->v[out->n++];
		memcpy(r->patrol, sqlite3_column_blob(st, 0), 16);
		r->k = sqlite3_column_int64(st, 1);
		r->state = sqlite3_column_int(st, 2);
		snprintf(r->cat, sizeof r->cat, "%s",
		    (const char *)sqlite3_column_text(st, 3));
	}
	if (step != SQLITE_DONE)
		rc = store_dberr(n->store, d, "patrol");
out:
	sqlite3_finalize(st);
	if (rc != 0)
		patrol_rows_free(out);
	return rc;
}

void
patrol_view_free(struct patrol_view *v)
{
	json_decref(v->plan);
	json_decref(v->actrecs);
	json_decref(v->units);
	json_decref(v->legs);
	json_decref(v->debriefs);
	free(v->acts);
	memset(v, 0, sizeof *v);
}

static const char *const state_names[] = {"current", "superseded",
    "retracted", "retraction"};

json_t *
patrol_row_json(struct node *n, const struct patrol_row *r)
{
	int s = r->state >= 0 && r->state <= STORE_RETRACTION ? r->state : 0;

	return node_record_json(n, STORE_ENTRY_LOG(r->k), STORE_ENTRY_SEQ(r->k),
	    state_names[s]);
}

const char *
patrol_attr_str(const json_t *rec, const char *key)
{
	return json_string_value(json_object_get(json_object_get(rec,
	    "attributes"), key));
}

const char *
patrol_origin_str(const json_t *rec, const char *key)
{
	const char *s = json_string_value(json_object_get(json_object_get(rec,
	    "origin"), key));

	return s != NULL ? s : "";
}

const char *
patrol_origin_nation(const json_t *rec)
{
	return patrol_origin_str(rec, "nation");
}

const char *
patrol_origin_node(const json_t *rec)
{
	return patrol_origin_str(rec, "node");
}

/* The "nations" of plan attributes, canonical, or "" if they do not
** parse. */
void
patrol_nations_of(const json_t *attrs, char *out)
{
	const json_t *a = json_object_get(attrs, "nations");
	char joined[UTIL_AUDIENCE_MAX * 4] = "";
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < json_array_size(a) && i < UTIL_AUDIENCE_MAX; i++) {
		const char *s = json_string_value(json_array_get(a, i));

		if (s == NULL || strlen(s) != 2)
			return;
		len += (size_t)snprintf(joined + len, sizeof joined - len,
		    "%s%s", i ? "," : "", s);
	}
	if (util_audience_parse(joined, out, NULL) != 0)
		out[0] = '\0';
}

/* Is r a version of patrol id's plan: the first, or one that replaced
** another? A plan that merely claims the link is not. */
static int
is_version(const json_t *rec, const char *idtxt)
{
	const char *id = json_string_value(json_object_get(rec, "id"));

	return id != NULL && (strcmp(id, idtxt) == 0 ||
	    json_is_string(json_object_get(rec, "supersedes")));
}

/* The time in key of rec, in ms (0 if missing or malformed). */
static int64_t
time_at(const json_t *rec, const char *key)
{
	int64_t t = 0;

	util_time_parse(json_string_value(json_object_get(rec, key)), &t, key,
	    NULL);
	return t;
}

/* Oldest first, ties by id: the order decisions are shown in. */
static int
by_time(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	/* Compared as times: "…:05Z" is later than "…:05.500Z" as text. */
	int64_t tx = time_at(x, "observed_at"), ty = time_at(y, "observed_at");

	if (tx != ty)
		return tx < ty ? -1 : 1;
	return strcmp(json_string_value(json_object_get(x, "id")),
	    json_string_value(json_object_get(y, "id")));
}

static void
sort_records(json_t *arr)
{
	size_t i, n = json_array_size(arr);
	json_t **v;

	if (n < 2 || (v = malloc(n * sizeof *v)) == NULL)
		return;
	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	qsort(v, n, sizeof *v, by_time);
	json_array_clear(arr);
	for (i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	free(v);
}

/*
** The node that planned patrol id: the origin of its first plan, or,
** when that is not held (a node added to a wider audience later gets
** only the later versions), of the oldest version held. Only its
** versions count: a plan record of another node that claims the link
** does not replace the plan (the projector ignores its "supersedes").
*/
static void
planner(struct node *n, const struct patrol_row *rows, size_t count,
    const char *idtxt, char *out, size_t outlen)
{
	char oldest[37] = "";
	size_t i;

	out[0] = '\0';
	for (i = 0; i < count; i++) {
		json_t *rec;
		const char *rid;
		int root;

		if (strcmp(rows[i].cat, PATROL_CAT_PLAN) != 0 ||
		    (rec = patrol_row_json(n, &rows[i])) == NULL)
			continue;
		rid = json_string_value(json_object_get(rec, "id"));
		root = rid != NULL && strcmp(rid, idtxt) == 0;
		if (rid != NULL && is_version(rec, idtxt) && (root ||
		    oldest[0] == '\0' || strcmp(rid, oldest) < 0)) {
			snprintf(oldest, sizeof oldest, "%s", rid);
			snprintf(out, outlen, "%s", patrol_origin_node(rec));
		}
		json_decref(rec);
		if (root)
			break;
	}
}

/*
** Build v from the rows of one patrol (rows[0..n), all of patrol id).
** DIB_ENOTFOUND when no current plan of it is held.
*/
int
patrol_view_load(struct node *n, const uint8_t id[16],
    const struct patrol_row *rows, size_t count, struct patrol_view *v,
    struct dib_diag *d)
{
	char who[65];
	size_t i, nacts = 0;
	int withdrawn = 0;

	memset(v, 0, sizeof *v);
	memcpy(v->id, id, 16);
	util_uuid_format(id, v->idtxt);
	planner(n, rows, count, v->idtxt, who, sizeof who);
	v->actrecs = json_array();
	v->units = json_array();
	v->legs = json_array();
	v->debriefs = json_array();
	if (!v->actrecs || !v->units || !v->legs || !v->debriefs)
		goto oom;
	for (i = 0; i < count; i++) {
		const struct patrol_row *r = &rows[i];
		json_t *rec;
		const char *rid;

		if (!store_category_under(r->cat, PATROL_CAT)) {
			v->observations += r->state == STORE_CURRENT;
			continue;
		}
		if (strcmp(r->cat, PATROL_CAT_PLAN) != 0 &&
		    r->state != STORE_CURRENT)
			continue;
		/* Track pieces are big and read only by the track
		 * functions: counted here, not parsed. */
		if (strcmp(r->cat, PATROL_CAT_TRACK) == 0) {
			v->track_pieces++;
			continue;
		}
		if ((rec = patrol_row_json(n, r)) == NULL)
			continue;
		if (strcmp(r->cat, PATROL_CAT_PLAN) == 0) {
			if (!is_version(rec, v->idtxt) ||
			    strcmp(patrol_origin_node(rec), who) != 0) {
				json_decref(rec);
				continue;
			}
			v->versions++;
			withdrawn |= r->state == STORE_RETRACTED;
			rid = json_string_value(json_object_get(rec, "id"));
			/* Two current versions cannot happen through this
			 * module; if they do, the newest id wins everywhere. */
			if (r->state == STORE_CURRENT && rid != NULL &&
			    (v->plan == NULL || strcmp(rid, v->version) > 0)) {
				json_decref(v->plan);
				v->plan = rec;
				snprintf(v->version, sizeof v->version, "%s", rid);
				continue;
			}
			json_decref(rec);
		} else if (strcmp(r->cat, PATROL_CAT_ACTION) == 0) {
			json_array_append_new(v->actrecs, rec);
		} else if (strcmp(r->cat, PATROL_CAT_UNIT) == 0) {
			json_array_append_new(v->units, rec);
		} else if (strcmp(r->cat, PATROL_CAT_LEG) == 0) {
			json_array_append_new(v->legs, rec);
		} else if (strcmp(r->cat, PATROL_CAT_DEBRIEF) == 0) {
			json_array_append_new(v->debriefs, rec);
		} else {
			json_decref(rec);
		}
	}
	if (v->plan == NULL) {
		int rc = withdrawn ? dib_fail(d, DIB_ENOTFOUND, "id", "patrol "
		    "%s was withdrawn (its plan is retracted)", v->idtxt) :
		    dib_fail(d, DIB_ENOTFOUND, "id", "no patrol %s on this node",
		    v->idtxt);

		patrol_view_free(v);
		return rc;
	}
	patrol_nations_of(json_object_get(v->plan, "attributes"), v->nations);
	node_audience_text(v->plan, v->audience, sizeof v->audience);
	sort_records(v->actrecs);
	sort_records(v->units);
	sort_records(v->legs);
	sort_records(v->debriefs);
	if ((v->acts = calloc(json_array_size(v->actrecs) + 1,
	    sizeof *v->acts)) == NULL)
		goto oom;
	for (i = 0; i < json_array_size(v->actrecs); i++) {
		const json_t *rec = json_array_get(v->actrecs, i);
		struct patrol_act *a = &v->acts[nacts++];
		const char *pv = patrol_attr_str(rec, "plan_version");
		const char *why = patrol_attr_str(rec, "reason");

		a->verb = patrol_verb_parse(patrol_attr_str(rec, "action"));
		snprintf(a->nation, sizeof a->nation, "%s", patrol_origin_nation(rec));
		snprintf(a->plan_version, sizeof a->plan_version, "%s",
		    pv ? pv : "");
		a->has_reason = why != NULL && *why != '\0';
	}
	patrol_derive(v->nations, v->version, v->acts, nacts, &v->st);
	return DIB_OK;
oom:
	patrol_view_free(v);
	return dib_fail(d, DIB_ENOMEM, "", "out of memory");
}

int
patrol_view_get(struct node *n, const uint8_t id[16],
    struct patrol_view *v, struct dib_diag *d)
{
	struct patrol_rows rs;
	int rc;

	memset(v, 0, sizeof *v);
	if ((rc = patrol_rows_load(n, id, &rs, d)) != 0)
		return rc;
	rc = patrol_view_load(n, id, rs.v, rs.n, v, d);
	patrol_rows_free(&rs);
	return rc;
}

const char *
patrol_type_of(const struct patrol_view *v)
{
	const char *t = patrol_attr_str(v->plan, "patrol_type");

	return t != NULL ? t : "mixed";
}

/* ---- the patrol as JSON ---- */

static void
set_attr(json_t *o, const char *key, const json_t *rec, const char *attr)
{
	json_t *v = json_object_get(json_object_get(rec, "attributes"), attr);

	if (v != NULL)
		json_object_set(o, key, v);
}

static void
set_from(json_t *o, const char *key, const json_t *rec, const char *from)
{
	json_t *v = json_object_get(rec, from);

	if (v != NULL)
		json_object_set(o, key, v);
}

/* A nation's own piece: its nation attribute is the signer's. */
static int
own_piece(const struct patrol_view *v, const json_t *rec)
{
	const char *on = patrol_origin_nation(rec);
	const char *an = patrol_attr_str(rec, "nation");

	return strlen(on) == 2 && util_audience_has(v->nations, on) &&
	    an != NULL && strcmp(an, on) == 0;
}

static json_t *
units_json(const struct patrol_view *v, int full, size_t *count)
{
	json_t *o = json_object();
	size_t i, k;

	*count = 0;
	for (k = 0; k + 1 < strlen(v->nations); k += 3) {
		char nat[3] = {v->nations[k], v->nations[k + 1], '\0'};

		json_object_set_new(o, nat, json_array());
	}
	for (i = 0; i < json_array_size(v->units); i++) {
		const json_t *rec = json_array_get(v->units, i);
		json_t *u;

		if (!own_piece(v, rec))
			continue;
		(*count)++;
		if (!full)
			continue;
		u = json_object();
		set_from(u, "id", rec, "id");
		set_attr(u, "unit", rec, "unit");
		set_attr(u, "leader", rec, "leader");
		set_attr(u, "strength", rec, "strength");
		set_from(u, "at", rec, "observed_at");
		json_array_append_new(json_object_get(o, patrol_origin_nation(rec)), u);
	}
	return o;
}

static json_t *
legs_json(const struct patrol_view *v, int full, size_t *count)
{
	json_t *a = json_array(), **sorted;
	size_t i, n = 0, j;

	*count = 0;
	if ((sorted = calloc(json_array_size(v->legs) + 1, sizeof *sorted)) ==
	    NULL)
		return a;
	for (i = 0; i < json_array_size(v->legs); i++) {
		json_t *rec = json_array_get(v->legs, i);

		if (util_audience_has(v->nations, patrol_origin_nation(rec)) &&
		    strlen(patrol_origin_nation(rec)) == 2)
			sorted[n++] = rec;
	}
	*count = n;
	/* By seq (insertion: few legs), then time as already sorted. */
	for (i = 1; i < n; i++) {
		json_t *x = sorted[i];
		json_int_t s = json_integer_value(json_object_get(
		    json_object_get(x, "attributes"), "seq"));

		for (j = i; j > 0 && json_integer_value(json_object_get(
		    json_object_get(sorted[j - 1], "attributes"), "seq")) > s;
		    j--)
			sorted[j] = sorted[j - 1];
		sorted[j] = x;
	}
	for (i = 0; full && i < n; i++) {
		const json_t *rec = sorted[i];
		json_t *l = json_object();

		set_from(l, "id", rec, "id");
		set_attr(l, "seq", rec, "seq");
		set_attr(l, "lead_nation", rec, "lead_nation");
		set_attr(l, "start", rec, "start");
		set_attr(l, "end", rec, "end");
		set_attr(l, "remarks", rec, "remarks");
		set_from(l, "geometry", rec, "geometry");
		set_from(l, "mgrs", rec, "mgrs");
		json_object_set_new(l, "nation", json_string(patrol_origin_nation(rec)));
		set_from(l, "at", rec, "observed_at");
		json_array_append_new(a, l);
	}
	free(sorted);
	return a;
}

static json_t *
actions_json(const struct patrol_view *v, json_t *approvals)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < json_array_size(v->actrecs); i++) {
		const json_t *rec = json_array_get(v->actrecs, i);
		const struct patrol_act *act = &v->acts[i];
		int counts = patrol_act_counts(v->nations, v->version, act);
		json_t *o = json_object(), *ap;

		set_from(o, "id", rec, "id");
		set_attr(o, "action", rec, "action");
		json_object_set_new(o, "nation", json_string(act->nation));
		set_from(o, "at", rec, "observed_at");
		set_attr(o, "reason", rec, "reason");
		set_attr(o, "plan_version", rec, "plan_version");
		json_object_set_new(o, "counts", json_boolean(counts));
		json_array_append_new(a, o);
		if (!counts || (ap = json_object_get(approvals, act->nation)) ==
		    NULL)
			continue;
		/* The first decision of each kind is the one shown. */
		if (act->verb == PATROL_APPROVE && !json_is_true(
		    json_object_get(ap, "approved"))) {
			json_object_set_new(ap, "approved", json_true());
			set_from(ap, "at", rec, "observed_at");
			set_from(ap, "record", rec, "id");
		} else if (act->verb == PATROL_REJECT && !json_is_true(
		    json_object_get(ap, "rejected"))) {
			json_object_set_new(ap, "rejected", json_true());
			set_from(ap, "rejected_at", rec, "observed_at");
			set_attr(ap, "reason", rec, "reason");
		}
	}
	return a;
}

static json_t *
debriefs_json(const struct patrol_view *v, size_t *count)
{
	json_t *a = json_array();
	size_t i;

	*count = 0;
	for (i = 0; i < json_array_size(v->debriefs); i++) {
		const json_t *rec = json_array_get(v->debriefs, i);
		json_t *o;

		if (!own_piece(v, rec))
			continue;
		(*count)++;
		o = json_object();
		set_from(o, "id", rec, "id");
		set_attr(o, "nation", rec, "nation");
		set_attr(o, "text", rec, "text");
		set_from(o, "at", rec, "observed_at");
		json_array_append_new(a, o);
	}
	return a;
}

/* The patrol; full 0 gives counts in place of the lists. */
static json_t *
view_json(const struct patrol_view *v, int full)
{
	json_t *o = json_object(), *approvals = json_object(), *acts;
	json_t *units, *legs, *debriefs, *nations = json_array();
	size_t k, nunits, nlegs, ndeb;

	json_object_set_new(o, "id", json_string(v->idtxt));
	set_attr(o, "code", v->plan, "code");
	set_attr(o, "patrol_type", v->plan, "patrol_type");
	set_attr(o, "objective", v->plan, "objective");
	set_attr(o, "window_start", v->plan, "window_start");
	set_attr(o, "window_end", v->plan, "window_end");
	for (k = 0; k + 1 < strlen(v->nations); k += 3) {
		char nat[3] = {v->nations[k], v->nations[k + 1], '\0'};

		json_array_append_new(nations, json_string(nat));
		json_object_set_new(approvals, nat, json_pack("{s:b, s:n, s:n, "
		    "s:b}", "approved", 0, "at", "record", "rejected", 0));
	}
	json_object_set_new(o, "nations", nations);
	set_from(o, "audience", v->plan, "audience");
	set_from(o, "origin", v->plan, "origin");
	json_object_set_new(o, "status", json_string(patrol_status_name(
	    v->st.status)));
	json_object_set_new(o, "plan_version", json_string(v->version));
	json_object_set_new(o, "versions", json_integer(v->versions));
	set_from(o, "updated_at", v->plan, "observed_at");
	set_from(o, "geometry", v->plan, "geometry");
	acts = actions_json(v, approvals);
	json_object_set_new(o, "approvals", approvals);
	units = units_json(v, full, &nunits);
	legs = legs_json(v, full, &nlegs);
	debriefs = debriefs_json(v, &ndeb);
	if (full) {
		json_object_set_new(o, "units", units);
		json_object_set_new(o, "legs", legs);
		json_object_set_new(o, "actions", acts);
		json_object_set_new(o, "debriefs", debriefs);
	} else {
		json_object_set_new(o, "units", json_integer((json_int_t)nunits));
		json_object_set_new(o, "legs", json_integer((json_int_t)nlegs));
		json_object_set_new(o, "actions", json_integer((json_int_t)
		    json_array_size(acts)));
		json_object_set_new(o, "debriefs", json_integer((json_int_t)
		    ndeb));
		json_decref(units);
		json_decref(legs);
		json_decref(acts);
		json_decref(debriefs);
	}
	json_object_set_new(o, "observations", json_integer(v->observations));
	return o;
}

int
patrol_get(struct node *n, const uint8_t patrol[16], json_t **out,
    struct dib_diag *d)
{
	struct patrol_view v;
	int rc;

	*out = NULL;
	if ((rc = patrol_view_get(n, patrol, &v, d)) != 0)
		return rc;
	if ((*out = view_json(&v, 1)) == NULL)
		rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
	patrol_view_free(&v);
	return rc;
}

static int64_t
time_of(const json_t *rec, const char *key)
{
	int64_t ms = 0;

	if (util_time_parse(patrol_attr_str(rec, key), &ms, key, NULL) != 0)
		return 0;
	return ms;
}

static int
keep(const struct patrol_view *v, const struct patrol_filter *f)
{
	if (f == NULL)
		return 1;
	if (f->has_status && v->st.status != f->status)
		return 0;
	if (f->nation[0] && !util_audience_has(v->nations, f->nation))
		return 0;
	if (f->has_to && time_of(v->plan, "window_start") > f->to)
		return 0;
	if (f->has_from && time_of(v->plan, "window_end") < f->from)
		return 0;
	return 1;
}

/* Newest window first, ties by id, newest first. */
static int
by_window(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int64_t tx = time_at(x, "window_start"), ty = time_at(y,
	    "window_start");

	if (tx != ty)
		return tx < ty ? 1 : -1;
	return -strcmp(json_string_value(json_object_get(x, "id")),
	    json_string_value(json_object_get(y, "id")));
}

/* The sections and the index of f's section, when f names one. */
static int
list_sections(struct node *n, const struct patrol_filter *f,
    struct ref_sections **secs, size_t *sec, struct dib_diag *d)
{
	size_t i;
	int rc;

	*secs = NULL;
	*sec = 0;
	if (f == NULL || f->section[0] == '\0')
		return DIB_OK;
	if (!(f->buffer_m >= 0 && f->buffer_m <= PATROL_BUFFER_MAX))
		return dib_fail(d, DIB_EINVAL, "buffer_m", "must be in (0, %g] "
		    "metres", PATROL_BUFFER_MAX);
	if ((rc = ref_sections_load(n->dir, secs, d)) != 0)
		return rc;
	for (i = 0; i < (*secs)->n; i++)
		if (strcmp((*secs)->v[i].id, f->section) == 0) {
			*sec = i;
			return DIB_OK;
		}
	rc = dib_fail(d, DIB_EINVAL, "section", "no border section \"%.64s\" "
	    "(%s to %s)", f->section, (*secs)->v[0].id,
	    (*secs)->v[(*secs)->n - 1].id);
	ref_sections_free(*secs);
	*secs = NULL;
	return rc;
}

int
patrol_buffer_parse(const char *s, const char *field, double *v,
    struct dib_diag *d)
{
	char *end;

	*v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || !(*v > 0) ||
	    !(*v <= PATROL_BUFFER_MAX))
		return dib_fail(d, DIB_EINVAL, field, "must be a distance in "
		    "metres, more than 0 and at most %g, got \"%.20s\"",
		    PATROL_BUFFER_MAX, s);
	return DIB_OK;
}

int
patrol_filter_parse(struct patrol_filter *f, const char *from,
    const char *to, const char *status, const char *nation,
    const char *section, const char *buffer, struct dib_diag *d)
{
	int rc;

	memset(f, 0, sizeof *f);
	if (from != NULL) {
		if ((rc = util_time_parse(from, &f->from, "from", d)) != 0)
			return rc;
		f->has_from = 1;
	}
	if (to != NULL) {
		if ((rc = util_time_parse(to, &f->to, "to", d)) != 0)
			return rc;
		f->has_to = 1;
	}
	if (f->has_from && f->has_to && f->from > f->to)
		return dib_fail(d, DIB_EINVAL, "to", "is before from");
	if (status != NULL) {
		if ((f->status = patrol_status_parse(status)) < 0)
			return dib_fail(d, DIB_EINVAL, "status", "must be draft, "
			    "proposed, approved, rejected, underway, completed "
			    "or aborted");
		f->has_status = 1;
	}
	if (nation != NULL) {
		if (!util_nation_valid(nation))
			return dib_fail(d, DIB_EINVAL, "nation", "must be an ISO "
			    "3166-1 alpha-2 code like SN, got \"%.10s\"",
			    nation);
		memcpy(f->nation, nation, 3);
	}
	if (section != NULL) {
		if (*section == '\0' || strlen(section) >= sizeof f->section)
			return dib_fail(d, DIB_EINVAL, "section", "must be a "
			    "border section id like SEC-02");
		memcpy(f->section, section, strlen(section) + 1);
	}
	if (buffer != NULL) {
		if (f->section[0] == '\0')
			return dib_fail(d, DIB_EINVAL, "buffer", "goes with "
			    "section");
		return patrol_buffer_parse(buffer, "buffer", &f->buffer_m, d);
	}
	return DIB_OK;
}

int
patrol_list(struct node *n, const struct patrol_filter *f, json_t **out,
    struct dib_diag *d)
{
	struct ref_sections *secs = NULL;
	struct patrol_rows rs;
	json_t **found = NULL, *list = NULL;
	size_t i = 0, nfound = 0, sec = 0;
	int rc;

	*out = NULL;
	if ((rc = list_sections(n, f, &secs, &sec, d)) != 0)
		return rc;
	if ((rc = patrol_rows_load(n, NULL, &rs, d)) != 0) {
		ref_sections_free(secs);
		return rc;
	}
	if ((found = calloc(rs.n + 1, sizeof *found)) == NULL ||
	    (list = json_array()) == NULL) {
		rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
		goto out;
	}
	while (i < rs.n) {
		size_t j = i;
		struct patrol_view v;
		struct dib_diag ignore;

		while (j < rs.n && memcmp(rs.v[j].patrol, rs.v[i].patrol, 16) ==
		    0)
			j++;
		/* Groups without a current plan (observations linked to a
		 * patrol not held, a withdrawn plan) are not patrols here. */
		if (patrol_view_load(n, rs.v[i].patrol, rs.v + i, j - i, &v,
		    &ignore) == 0) {
			int near = 1;

			if (keep(&v, f) && secs != NULL)
				rc = patrol_near_section(n, &v, rs.v + i, j - i,
				    secs, sec, f->buffer_m > 0 ? f->buffer_m :
				    PATROL_BUFFER_M, &near, d);
			if (rc == 0 && near && keep(&v, f) &&
			    (found[nfound] = view_json(&v, 0)) != NULL)
				nfound++;
			patrol_view_free(&v);
			if (rc != 0)
				goto out;
		} else if (ignore.code == DIB_ENOMEM) {
			rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
			goto out;
		}
		i = j;
	}
	qsort(found, nfound, sizeof *found, by_window);
	for (i = 0; i < nfound; i++) {
		json_array_append_new(list, found[i]);
		found[i] = NULL;
	}
	*out = json_pack("{s:o}", "patrols", list);
	list = NULL;
	if (*out == NULL)
		rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
out:
	for (i = 0; found != NULL && i < nfound; i++)
		json_decref(found[i]);
	free(found);
	json_decref(list);
	patrol_rows_free(&rs);
	ref_sections_free(secs);
	return rc;
}

/* ---- writes ---- */

/* "attributes.window_end" names the input's "window_end". */
int
patrol_flat_field(struct dib_diag *d, int rc)
{
	if (d != NULL && strncmp(d->field, "attributes.", 11) == 0)
		memmove(d->field, d->field + 11, strlen(d->field + 11) + 1);
	return rc;
}

/* Every key of in must be one of keys. */
static int
known_keys(const json_t *in, const char *const *keys, const char *expect,
    struct dib_diag *d)
{
	const char *key;
	json_t *v;
	int i;

	if (!json_is_object(in))
		return dib_fail(d, DIB_EINVAL, "", "must be a JSON object");
	json_object_foreach((json_t *)in, key, v) {
		for (i = 0; keys[i] && strcmp(keys[i], key) != 0; i++)
			;
		if (keys[i] == NULL)
			return dib_fail(d, DIB_EINVAL, key, "unknown field "
			    "(expected %s)", expect);
	}
	return DIB_OK;
}

static json_t *
time_json(const struct patrol_opts *o)
{
	char ts[40];

	return json_string(util_time_format(o && o->at ? o->at : util_now_ms(),
	    ts, sizeof ts));
}

/*
** Encode and append one record of category cat with attrs (a reference
** taken), geometry or location from geo (the keys copied when present),
** linked to patrol, in audience, with o's id and time. The audience must
** hold this node's nation.
*/
static int
append_one(struct node *n, const char *cat, json_t *attrs, const json_t *geo,
    const uint8_t patrol[16], const char *audience,
    const struct patrol_opts *o, uint8_t id[16], struct dib_diag *d)
{
	struct record r;
	json_t *in;
	char ptxt[37];
	uint8_t own[16];
	int rc;

	memset(&r, 0, sizeof r);
	in = json_pack("{s:s, s:o, s:o, s:s, s:s}", "category", cat,
	    "observed_at", time_json(o), "attributes", attrs, "audience",
	    audience, "patrol", util_uuid_format(patrol, ptxt));
	if (in == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	if (geo != NULL && json_object_get(geo, "geometry") != NULL)
		json_object_set(in, "geometry", json_object_get(geo, "geometry"));
	if (geo != NULL && json_object_get(geo, "location") != NULL)
		json_object_set(in, "location", json_object_get(geo, "location"));
	if (o != NULL && o->id != NULL)
		memcpy(own, o->id, 16);
	else
		util_uuid7(util_now_ms(), own);
	if ((rc = record_from_json(n->model, in, n->nation, own, &r, d)) != 0) {
		patrol_flat_field(d, rc);
		goto out;
	}
	if (!util_audience_has(r.audience, n->nation)) {
		rc = dib_fail(d, DIB_EINVAL, "audience", "must include this "
		    "node's nation %s (got %s)", n->nation, r.audience);
		goto out;
	}
	if ((rc = node_append(n, &r, 1, d)) == 0)
		memcpy(id, r.id, 16);
out:
	record_clear(&r);
	json_decref(in);
	return rc;
}

static const char *const plan_keys[] = {"code", "patrol_type",
    "objective", "window_start", "window_end", "nations", "audience",
    "geometry", NULL};
#define PLAN_EXPECT "code, patrol_type, objective, window_start, " \
    "window_end, nations, audience, geometry"

/* The attributes of a plan input (a new reference): its plan keys. */
static json_t *
plan_attrs(const json_t *in, const json_t *base)
{
	static const char *const attrs[] = {"code", "patrol_type",
	    "objective", "window_start", "window_end", "nations", NULL};
	json_t *a = base ? json_deep_copy(base) : json_object();
	int i;

	for (i = 0; a != NULL && attrs[i]; i++) {
		json_t *v = json_object_get(in, attrs[i]);

		if (v == NULL)
			continue;
		if (json_is_null(v))
			json_object_del(a, attrs[i]);
		else
			json_object_set(a, attrs[i], v);
	}
	return a;
}

/*
** What the model cannot say about a plan (attrs already valid for it):
** the window ends after it starts; this node's nation takes part; the
** audience holds every nation. nations receives them, canonical.
*/
static int
plan_check(struct node *n, const json_t *attrs, const char *audience,
    char *nations, struct dib_diag *d)
{
	int64_t a = 0, b = 0;

	if (util_time_parse(json_string_value(json_object_get(attrs,
	    "window_start")), &a, "window_start", d) != 0 ||
	    util_time_parse(json_string_value(json_object_get(attrs,
	    "window_end")), &b, "window_end", d) != 0)
		return DIB_EINVAL;
	if (b <= a)
		return dib_fail(d, DIB_EINVAL, "window_end", "must be after "
		    "window_start");
	patrol_nations_of(attrs, nations);
	if (nations[0] == '\0')
		return dib_fail(d, DIB_EINVAL, "nations", "must list at least "
		    "one nation, e.g. [\"SN\", \"ML\"]");
	if (!util_audience_has(nations, n->nation))
		return dib_fail(d, DIB_EINVAL, "nations", "must include this "
		    "node's nation %s: a node plans only patrols its nation "
		    "takes part in", n->nation);
	if (!util_audience_subset(nations, audience))
		return dib_fail(d, DIB_EINVAL, "audience", "must include every "
		    "participating nation (%s), got %s: each must see the plan "
		    "to approve it", nations, audience);
	return DIB_OK;
}

/* in's audience, canonical, or dflt when it gives none. */
static int
input_audience(const json_t *in, const char *dflt, char *out,
    struct dib_diag *d)
{
	const json_t *v = json_object_get(in, "audience");
	char joined[UTIL_AUDIENCE_MAX * 4] = "";
	size_t i, len = 0;

	if (v == NULL || json_is_null(v))
		return util_audience_parse(dflt, out, d);
	if (json_is_string(v))
		return util_audience_parse(json_string_value(v), out, d);
	if (!json_is_array(v) || json_array_size(v) > UTIL_AUDIENCE_MAX)
		return dib_fail(d, DIB_EINVAL, "audience", "must be a list of "
		    "nation codes like [\"SN\",\"ML\"]");
	for (i = 0; i < json_array_size(v); i++) {
		const char *s = json_string_value(json_array_get(v, i));

		if (s == NULL || strlen(s) != 2)
			return dib_fail(d, DIB_EINVAL, "audience", "must be a "
			    "list of nation codes like [\"SN\",\"ML\"]");
		len += (size_t)snprintf(joined + len, sizeof joined - len,
		    "%s%s", i ? "," : "", s);
	}
	return util_audience_parse(joined, out, d);
}

/*
** Check a whole plan input (attrs, geometry from geo, audience) against
** the model and the rules above, without writing.
*/
static int
plan_validate(struct node *n, json_t *attrs, const json_t *geo,
    const char *audience, char *nations, struct dib_diag *d)
{
	struct record r;
	json_t *in;
	int rc;

	in = json_pack("{s:s, s:s, s:O, s:s}", "category", PATROL_CAT_PLAN,
	    "observed_at", "2025-01-01T00:00:00Z", "attributes", attrs,
	    "audience", audience);
	if (in == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	if (json_object_get(geo, "geometry") != NULL)
		json_object_set(in, "geometry", json_object_get(geo, "geometry"));
	rc = record_from_json(n->model, in, n->nation, NULL, &r, d);
	record_clear(&r);
	json_decref(in);
	if (rc != 0)
		return patrol_flat_field(d, rc);
	return plan_check(n, attrs, audience, nations, d);
}

int
patrol_create(struct node *n, const json_t *in, const struct patrol_opts *o,
    uint8_t id[16], struct dib_diag *d)
{
	struct patrol_opts self;
	char nations[UTIL_AUDIENCE_LEN], audience[UTIL_AUDIENCE_LEN];
	uint8_t pid[16];
	json_t *attrs = NULL;
	int rc;

	memset(id, 0, 16);
	if ((rc = known_keys(in, plan_keys, PLAN_EXPECT, d)) != 0)
		return rc;
	if ((attrs = plan_attrs(in, NULL)) == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	/* The default audience is the nations, once they are known. */
	patrol_nations_of(attrs, nations);
	if ((rc = input_audience(in, nations[0] ? nations : n->nation,
	    audience, d)) != 0 ||
	    (rc = plan_validate(n, attrs, in, audience, nations, d)) != 0) {
		json_decref(attrs);
		return rc;
	}
	if (o != NULL && o->id != NULL)
		memcpy(pid, o->id, 16);
	else
		util_uuid7(util_now_ms(), pid);
	self.at = o ? o->at : 0;
	self.id = pid;
	/* The first plan links to itself: its id is the patrol's. */
	return append_one(n, PATROL_CAT_PLAN, attrs, in, pid, audience, &self,
	    id, d);
}

int
patrol_update(struct node *n, const uint8_t patrol[16], const json_t *in,
    const struct patrol_opts *o, uint8_t id[16], struct dib_diag *d)
{
	struct patrol_view v;
	struct record r;
	char nations[UTIL_AUDIENCE_LEN], audience[UTIL_AUDIENCE_LEN];
	char ptxt[37];
	uint8_t own[16];
	json_t *attrs = NULL, *rec = NULL, *geo;
	int rc;

	memset(id, 0, 16);
	memset(&r, 0, sizeof r);
	if ((rc = known_keys(in, plan_keys, PLAN_EXPECT, d)) != 0)
		return rc;
	if ((rc = patrol_view_get(n, patrol, &v, d)) != 0)
		return rc;
	if (strcmp(patrol_origin_node(v.plan), n->id) != 0) {
		rc = dib_fail(d, DIB_EPERM, "id", "patrol %s was planned by "
		    "another node (%s, %.8s); only it changes the plan",
		    v.idtxt, patrol_origin_nation(v.plan), patrol_origin_node(v.plan));
		goto out;
	}
	if (v.st.status == PATROL_UNDERWAY || v.st.status == PATROL_COMPLETED ||
	    v.st.status == PATROL_ABORTED) {
		rc = dib_fail(d, DIB_ECONFLICT, "status", "cannot change the "
		    "plan: the patrol is %s", patrol_status_name(v.st.status));
		goto out;
	}
	if ((attrs = plan_attrs(in, json_object_get(v.plan, "attributes"))) ==
	    NULL) {
		rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
		goto out;
	}
	geo = json_object_get(in, "geometry") ? (json_t *)in : v.plan;
	if ((rc = input_audience(in, v.audience, audience, d)) != 0 ||
	    (rc = plan_validate(n, attrs, geo, audience, nations, d)) != 0)
		goto out;
	if (!util_audience_subset(v.audience, audience)) {
		rc = dib_fail(d, DIB_EINVAL, "audience", "a release cannot be "
		    "recalled: the new version must keep every nation of the "
		    "old one (%s), got %s", v.audience, audience);
		goto out;
	}
	/* A supersession by the plan's own node (the projector applies it
	 * only then), linked to the patrol like every version. */
	rec = json_pack("{s:s, s:o, s:O, s:s, s:s, s:O, s:s}", "category",
	    PATROL_CAT_PLAN, "observed_at", time_json(o), "attributes", attrs,
	    "audience", audience, "patrol", util_uuid_format(patrol, ptxt),
	    "geometry", json_object_get(geo, "geometry"), "supersedes",
	    v.version);
	if (rec == NULL) {
		rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
		goto out;
	}
	if (o != NULL && o->id != NULL)
		memcpy(own, o->id, 16);
	else
		util_uuid7(util_now_ms(), own);
	if ((rc = record_from_json(n->model, rec, audience, own, &r, d)) != 0) {
		patrol_flat_field(d, rc);
		goto out;
	}
	if ((rc = node_append(n, &r, 1, d)) == 0)
		memcpy(id, r.id, 16);
out:
	record_clear(&r);
	json_decref(attrs);
	json_decref(rec);
	patrol_view_free(&v);
	return rc;
}

/* The patrol, and this node's nation among its nations. */
static int
view_for_write(struct node *n, const uint8_t patrol[16], struct patrol_view *v,
    struct dib_diag *d)
{
	int rc;

	if ((rc = patrol_view_get(n, patrol, v, d)) != 0)
		return rc;
	if (!util_audience_has(v->nations, n->nation)) {
		rc = dib_fail(d, DIB_EPERM, "nation", "%s does not take part in "
		    "this patrol (nations %s)", n->nation, v->nations);
		patrol_view_free(v);
	}
	return rc;
}

/* The "nation" of a unit or debrief: this node's, given or not. */
static int
own_nation(struct node *n, json_t *attrs, const char *what,
    struct dib_diag *d)
{
	const json_t *v = json_object_get(attrs, "nation");

	if (v == NULL || json_is_null(v))
		return json_object_set_new(attrs, "nation",
		    json_string(n->nation)) == 0 ? DIB_OK : dib_fail(d,
		    DIB_ENOMEM, "", "out of memory");
	if (!json_is_string(v) || strcmp(json_string_value(v), n->nation) != 0)
		return dib_fail(d, DIB_EINVAL, "nation", "a node of %s adds "
		    "only %s %s; each nation adds its own on its own node",
		    n->nation, n->nation, what);
	return DIB_OK;
}

/* A copy of in's keys (null ones dropped): the attributes of a piece. */
static json_t *
copy_attrs(const json_t *in, const char *const *keys)
{
	json_t *a = json_object();
	int i;

	for (i = 0; a != NULL && keys[i]; i++) {
		json_t *v = json_object_get(in, keys[i]);

		if (v != NULL && !json_is_null(v))
			json_object_set(a, keys[i], v);
	}
	return a;
}

int
patrol_add_unit(struct node *n, const uint8_t patrol[16], const json_t *in,
    const struct patrol_opts *o, uint8_t id[16], struct dib_diag *d)
{
	static const char *const keys[] = {"nation", "unit", "leader",
	    "strength", NULL};
	struct patrol_view v;
	json_t *attrs = NULL;
	int rc;

	memset(id, 0, 16);
	if ((rc = known_keys(in, keys, "nation, unit, leader, strength", d)) !=
	    0)
		return rc;
	if ((rc = view_for_write(n, patrol, &v, d)) != 0)
		return rc;
	if (v.st.status == PATROL_COMPLETED || v.st.status == PATROL_ABORTED ||
	    v.st.status == PATROL_REJECTED) {
		rc = dib_fail(d, DIB_ECONFLICT, "status", "cannot add a unit: "
		    "the patrol is %s", patrol_status_name(v.st.status));
		goto out;
	}
	if ((attrs = copy_attrs(in, keys)) == NULL) {
		rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
		goto out;
	}
	if ((rc = own_nation(n, attrs, "units", d)) != 0)
		goto out;
	rc = append_one(n, PATROL_CAT_UNIT, json_incref(attrs), NULL, patrol,
	    v.audience, o, id, d);
out:
	json_decref(attrs);
	patrol_view_free(&v);
	return rc;
}

int
patrol_add_leg(struct node *n, const uint8_t patrol[16], const json_t *in,
    const struct patrol_opts *o, uint8_t id[16], struct dib_diag *d)
{
	static const char *const keys[] = {"seq", "lead_nation", "start",
	    "end", "remarks", "geometry", "location", NULL};
	static const char *const attr_keys[] = {"seq", "lead_nation", "start",
	    "end", "remarks", NULL};
	struct patrol_view v;
	json_t *attrs = NULL;
	const char *lead;
	int64_t a = 0, b = 0;
	int rc;

	memset(id, 0, 16);
	if ((rc = known_keys(in, keys, "seq, lead_nation, start, end, "
	    "remarks, geometry or location", d)) != 0)
		return rc;
	if ((rc = view_for_write(n, patrol, &v, d)) != 0)
		return rc;
	if (v.st.status == PATROL_COMPLETED || v.st.status == PATROL_ABORTED ||
	    v.st.status == PATROL_REJECTED) {
		rc = dib_fail(d, DIB_ECONFLICT, "status", "cannot add a leg: "
		    "the patrol is %s", patrol_status_name(v.st.status));
		goto out;
	}
	lead = json_string_value(json_object_get(in, "lead_nation"));
	if (lead != NULL && (strlen(lead) != 2 ||
	    !util_audience_has(v.nations, lead))) {
		rc = dib_fail(d, DIB_EINVAL, "lead_nation", "must be one of the "
		    "patrol's nations (%s), got \"%.10s\"", v.nations, lead);
		goto out;
	}
	if (json_is_string(json_object_get(in, "start")) &&
	    json_is_string(json_object_get(in, "end")) &&
	    util_time_parse(json_string_value(json_object_get(in, "start")),
	    &a, "start", NULL) == 0 &&
	    util_time_parse(json_string_value(json_object_get(in, "end")), &b,
	    "end", NULL) == 0 && b < a) {
		rc = dib_fail(d, DIB_EINVAL, "end", "must not be before start");
		goto out;
	}
	if ((attrs = copy_attrs(in, attr_keys)) == NULL) {
		rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
		goto out;
	}
	rc = append_one(n, PATROL_CAT_LEG, json_incref(attrs), in, patrol,
	    v.audience, o, id, d);
out:
	json_decref(attrs);
	patrol_view_free(&v);
	return rc;
}

int
patrol_add_debrief(struct node *n, const uint8_t patrol[16],
    const json_t *in, const struct patrol_opts *o, uint8_t id[16],
    struct dib_diag *d)
{
	static const char *const keys[] = {"text", "nation", NULL};
	struct patrol_view v;
	json_t *attrs = NULL;
	int rc;

	memset(id, 0, 16);
	if ((rc = known_keys(in, keys, "text, nation", d)) != 0)
		return rc;
	if ((rc = view_for_write(n, patrol, &v, d)) != 0)
		return rc;
	if (v.st.status != PATROL_UNDERWAY && v.st.status != PATROL_COMPLETED &&
	    v.st.status != PATROL_ABORTED) {
		rc = dib_fail(d, DIB_ECONFLICT, "status", "cannot debrief: the "
		    "patrol is %s (a debrief needs underway, completed or "
		    "aborted)", patrol_status_name(v.st.status));
		goto out;
	}
	if ((attrs = copy_attrs(in, keys)) == NULL) {
		rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
		goto out;
	}
	if ((rc = own_nation(n, attrs, "debriefs", d)) != 0)
		goto out;
	rc = append_one(n, PATROL_CAT_DEBRIEF, json_incref(attrs), NULL, patrol,
	    v.audience, o, id, d);
out:
	json_decref(attrs);
	patrol_view_free(&v);
	return rc;
}

int
patrol_act(struct node *n, const uint8_t patrol[16], int verb,
    const char *reason, const struct patrol_opts *o, uint8_t id[16],
    struct dib_diag *d)
{
	struct patrol_view v;
	json_t *attrs;
	int rc, has_reason = reason != NULL && *reason != '\0';

	memset(id, 0, 16);
	if (patrol_verb_name(verb) == NULL)
		return dib_fail(d, DIB_EINVAL, "action", "must be propose, "
		    "approve, reject, start, complete or abort");
	if ((rc = patrol_view_get(n, patrol, &v, d)) != 0)
		return rc;
	if ((rc = patrol_check(&v.st, v.nations, verb, n->nation, has_reason,
	    d)) != 0)
		goto out;
	attrs = json_pack("{s:s, s:s}", "action", patrol_verb_name(verb),
	    "plan_version", v.version);
	if (attrs != NULL && has_reason)
		json_object_set_new(attrs, "reason", json_string(reason));
	if (attrs == NULL) {
		rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
		goto out;
	}
	rc = append_one(n, PATROL_CAT_ACTION, attrs, NULL, patrol, v.audience,
	    o, id, d);
out:
	patrol_view_free(&v);
	return rc;
}
