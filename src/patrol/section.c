/*
** Border sections: the level of each side of each section, derived from
** the section.status records held, the notices of raises to the partner
** (section.notice), and the incidents near each section. Every piece is
** an ordinary record; this module chooses what to write and reads back.
*/
#include "patrol/section.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "geo/reference.h"
#include "log/record.h"
#include "model/model.h"
#include "node/node.h"
#include "patrol/patrol_int.h"
#include "store/query.h"
#include "store/store.h"

#define DAY_MS 86400000LL
#define MESSAGE_MAX 2000        /* bytes (so characters) of a notice */

static const char *const level_names[SECTION_LEVEL_COUNT] = {"low",
    "medium", "high", "critical"};
static const char *const level_fr[SECTION_LEVEL_COUNT] = {"faible",
    "moyen", "élevé", "critique"};

const char *
section_level_name(int level)
{
	return level >= 0 && level < SECTION_LEVEL_COUNT ? level_names[level] :
	    NULL;
}

const char *
section_level_label(int level, const char *lang)
{
	if (level < 0 || level >= SECTION_LEVEL_COUNT)
		return NULL;
	return lang != NULL && strcmp(lang, "en") == 0 ? level_names[level] :
	    level_fr[level];
}

int
section_level_parse(const char *s)
{
	int i;

	for (i = 0; s != NULL && i < SECTION_LEVEL_COUNT; i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	return -1;
}

int
section_category_reserved(const char *id)
{
	return id != NULL && strncmp(id, SECTION_CAT ".", 8) == 0;
}

/* ---- the derivation ---- */

int
section_mark_after(const struct section_mark *a, const struct section_mark *b)
{
	if (a->t != b->t)
		return a->t > b->t;
	return memcmp(a->id, b->id, 16) > 0;
}

static int
same_side(const struct section_mark *m, const char *section,
    const char *nation)
{
	return strcmp(m->section, section) == 0 &&
	    strcmp(m->nation, nation) == 0;
}

long
section_current(const struct section_mark *m, size_t n, const char *section,
    const char *nation, int64_t until)
{
	long best = -1;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!same_side(&m[i], section, nation) || m[i].t > until)
			continue;
		if (best < 0 || section_mark_after(&m[i], &m[best]))
			best = (long)i;
	}
	return best;
}

int
section_previous(const struct section_mark *m, size_t n, size_t k)
{
	long best = -1;
	size_t i;

	for (i = 0; i < n; i++) {
		if (i == k || !same_side(&m[i], m[k].section, m[k].nation) ||
		    !section_mark_after(&m[k], &m[i]))
			continue;
		if (best < 0 || section_mark_after(&m[i], &m[best]))
			best = (long)i;
	}
	return best < 0 ? -1 : m[best].level;
}

int
section_notifies(int prev, int level)
{
	return level >= SECTION_MEDIUM && level < SECTION_LEVEL_COUNT &&
	    level > prev;
}

/* ---- the records held ---- */

/* The current level and notice records, each checked. */
struct held {
	struct section_mark *m;         /* the valid level records */
	json_t **rec;                   /* and their JSON (node_record_json) */
	size_t n, cap;
	json_t **notice;                /* the notice records */
	size_t nn, ncap;
};

static void
held_free(struct held *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		json_decref(h->rec[i]);
	for (i = 0; i < h->nn; i++)
		json_decref(h->notice[i]);
	free(h->m);
	free(h->rec);
	free(h->notice);
	memset(h, 0, sizeof *h);
}

static int
blank(const char *s)
{
	for (; s != NULL && *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

/* The time and id of a record as stored; -1 if they do not parse. */
static int
time_id(const json_t *rec, int64_t *t, uint8_t id[16])
{
	if (util_time_parse(json_string_value(json_object_get(rec,
	    "observed_at")), t, "observed_at", NULL) != 0 ||
	    util_uuid_parse(json_string_value(json_object_get(rec, "id")),
	    id) != 0)
		return -1;
	return 0;
}

/*
** A level record counts when it names a section, a level and a reason
** and its signer's nation is known: the side is that nation, never an
** attribute, so a node speaks for its own nation only.
*/
static int
mark_of(const json_t *rec, struct section_mark *m)
{
	const char *sec = patrol_attr_str(rec, "section");
	const char *nat = patrol_origin_str(rec, "nation");

	memset(m, 0, sizeof *m);
	if (sec == NULL || *sec == '\0' || strlen(sec) > SECTION_ID_MAX ||
	    !util_nation_valid(nat) ||
	    (m->level = section_level_parse(patrol_attr_str(rec,
	    "level"))) < 0 || blank(patrol_attr_str(rec, "reason")) ||
	    time_id(rec, &m->t, m->id) != 0)
		return -1;
	snprintf(m->section, sizeof m->section, "%s", sec);
	memcpy(m->nation, nat, 3);
	return 0;
}

static int
held_add_mark(struct held *h, json_t *rec)
{
	struct section_mark m;

	if (mark_of(rec, &m) != 0) {
		json_decref(rec);
		return 0;
	}
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		struct section_mark *nm = realloc(h->m, cap * sizeof *nm);
		json_t **nr;

		if (nm == NULL) {
			json_decref(rec);
			return -1;
		}
		h->m = nm;
		if ((nr = realloc(h->rec, cap * sizeof *nr)) == NULL) {
			json_decref(rec);
			return -1;
		}
		h->rec = nr;
		h->cap = cap;
	}
	h->m[h->n] = m;
	h->rec[h->n++] = rec;
	return 0;
}

static int
held_add_notice(struct held *h, json_t *rec)
{
	if (h->nn == h->ncap) {
		size_t cap = h->ncap ? h->ncap * 2 : 32;
		json_t **nv = realloc(h->notice, cap * sizeof *nv);

		if (nv == NULL) {
			json_decref(rec);
			return -1;
		}
		h->notice = nv;
		h->ncap = cap;
	}
	h->notice[h->nn++] = rec;
	return 0;
}

/* The code of category id in this store, -1 if it was never used. */
static int64_t
cat_code(struct store *s, const char *id)
{
	sqlite3_stmt *st = store_stmt(s, ST_CAT_FIND);
	int64_t code = -1;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		code = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return code;
}

/*
** Load the current level and notice records. They carry no geometry, so
** they sit, per day, among the few entries without a z-key at the head
** of that day's range of the (day, zkey) index of current entries: one
** seek per day held and one to find the next day, never a scan of the
** points. Level records are never superseded or retracted through the
** generic paths (node_domain_owned), so the current ones are all.
*/
static int
held_load(struct node *n, struct held *h, struct dib_diag *d)
{
	int64_t cs = cat_code(n->store, SECTION_CAT_STATUS);
	int64_t cn = cat_code(n->store, SECTION_CAT_NOTICE);
	sqlite3_stmt *next = NULL, *day = NULL;
	int64_t at = INT64_MIN;
	int rc = DIB_OK, step;

	memset(h, 0, sizeof *h);
	if (cs < 0 && cn < 0)
		return DIB_OK;
	if (sqlite3_prepare_v2(n->store->db, "SELECT day FROM entries WHERE "
	    "state = 0 AND day > ?1 ORDER BY day LIMIT 1", -1, &next, NULL) !=
	    SQLITE_OK || sqlite3_prepare_v2(n->store->db, "SELECT k, cat FROM "
	    "entries WHERE state = 0 AND day = ?1 AND zkey IS NULL", -1, &day,
	    NULL) != SQLITE_OK) {
		rc = store_dberr(n->store, d, "sections");
		goto out;
	}
	for (;;) {
		sqlite3_bind_int64(next, 1, at);
		step = sqlite3_step(next);
		if (step != SQLITE_ROW) {
			if (step != SQLITE_DONE)
				rc = store_dberr(n->store, d, "sections");
			break;
		}
		at = sqlite3_column_int64(next, 0);
		sqlite3_reset(next);
		sqlite3_bind_int64(day, 1, at);
		while ((step = sqlite3_step(day)) == SQLITE_ROW) {
			int64_t k = sqlite3_column_int64(day, 0);
			int64_t cat = sqlite3_column_int64(day, 1);
			json_t *rec;

			if (cat != cs && cat != cn)
				continue;
			rec = node_record_json(n, STORE_ENTRY_LOG(k),
			    STORE_ENTRY_SEQ(k), "current");
			if (rec == NULL)
				continue;
			if ((cat == cs ? held_add_mark(h, rec) :
			    held_add_notice(h, rec)) != 0) {
				rc = dib_fail(d, DIB_ENOMEM, "",
				    "out of memory");
				goto out;
			}
		}
		if (step != SQLITE_DONE) {
			rc = store_dberr(n->store, d, "sections");
			break;
		}
		sqlite3_reset(day);
		if (at == INT64_MAX)
			break;
	}
out:
	sqlite3_finalize(next);
	sqlite3_finalize(day);
	if (rc != 0)
		held_free(h);
	return rc;
}

/* ---- sections and nations ---- */

static long
section_index(const struct ref_sections *s, const char *id)
{
	size_t i;

	for (i = 0; id != NULL && i < s->n; i++)
		if (strcmp(s->v[i].id, id) == 0)
			return (long)i;
	return -1;
}

static int
unknown_section(const struct ref_sections *s, const char *id,
    struct dib_diag *d)
{
	return dib_fail(d, DIB_ENOTFOUND, "section", "no border section "
	    "\"%.64s\" on this node (%s to %s)", id ? id : "", s->n ?
	    s->v[0].id : "-", s->n ? s->v[s->n - 1].id : "-");
}

/* Add nation to the canonical set (sorted, no duplicates, capped). */
static void
set_add(char *set, const char *nation)
{
	char out[UTIL_AUDIENCE_LEN];
	size_t len = strlen(set), i, o = 0;
	int done = 0;

	if (strlen(nation) != 2 || util_audience_has(set, nation) ||
	    len + 4 >= UTIL_AUDIENCE_LEN)
		return;
	for (i = 0; i + 1 < len; i += 3) {
		if (!done && memcmp(nation, set + i, 2) < 0) {
			out[o++] = nation[0];
			out[o++] = nation[1];
			out[o++] = ',';
			done = 1;
		}
		out[o++] = set[i];
		out[o++] = set[i + 1];
		out[o++] = ',';
	}
	if (!done) {
		out[o++] = nation[0];
		out[o++] = nation[1];
		out[o++] = ',';
	}
	out[o - 1] = '\0';
	memcpy(set, out, o);
}

/* The nations whose sides the board shows: this node's, the
** partnership's and every nation that set a level held here. */
static void
board_nations(const struct node *n, const struct held *h, char *out)
{
	size_t i;

	snprintf(out, UTIL_AUDIENCE_LEN, "%s", SECTION_PARTNERSHIP);
	set_add(out, n->nation);
	for (i = 0; i < h->n; i++)
		set_add(out, h->m[i].nation);
}

/* ---- writes ---- */

/* "attributes.reason" names the input's "reason". */
static int
flat_field(struct dib_diag *d, int rc)
{
	if (d != NULL && strncmp(d->field, "attributes.", 11) == 0)
		memmove(d->field, d->field + 11, strlen(d->field + 11) + 1);
	return rc;
}

static int
known_keys(const json_t *in, struct dib_diag *d)
{
	static const char *const keys[] = {"level", "reason", "audience",
	    NULL};
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
			    "(expected level, reason, audience)");
	}
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
	int rc;

	if (v == NULL || json_is_null(v))
		rc = util_audience_parse(dflt, out, d);
	else if (json_is_string(v))
		rc = util_audience_parse(json_string_value(v), out, d);
	else if (!json_is_array(v) || json_array_size(v) > UTIL_AUDIENCE_MAX)
		return dib_fail(d, DIB_EINVAL, "audience", "must be a list of "
		    "nation codes like [\"SN\",\"ML\"]");
	else {
		for (i = 0; i < json_array_size(v); i++) {
			const char *s = json_string_value(json_array_get(v, i));

			if (s == NULL || strlen(s) != 2)
				return dib_fail(d, DIB_EINVAL, "audience",
				    "must be a list of nation codes like "
				    "[\"SN\",\"ML\"]");
			len += (size_t)snprintf(joined + len, sizeof joined -
			    len, "%s%s", i ? "," : "", s);
		}
		rc = util_audience_parse(joined, out, d);
	}
	if (rc != 0 && d != NULL)
		snprintf(d->field, sizeof d->field, "audience");
	return rc;
}

/* Can the model address a notice to nation (a for_nation value)? */
static int
notice_addressable(const struct model *m, const char *nation)
{
	const struct model_category *c = model_find(m, SECTION_CAT_NOTICE);
	size_t i, k = c ? model_enum_count(c, "for_nation") : 0;

	for (i = 0; i < k; i++)
		if (strcmp(model_enum_id_at(c, "for_nation", i), nation) == 0)
			return 1;
	return 0;
}

/* The id of the notice to nation that goes with status id: the status's
** time, and bits of a hash of both, so that a seeded status gives
** seeded notices. */
static void
notice_id(const uint8_t status[16], const char *nation, uint8_t out[16])
{
	uint8_t in[18], h[32];

	memcpy(in, status, 16);
	memcpy(in + 16, nation, 2);
	crypto_generichash(h, sizeof h, in, sizeof in, NULL, 0);
	memcpy(out, status, 6);
	memcpy(out + 6, h, 10);
	out[6] = (uint8_t)(0x70 | (out[6] & 0x0f));
	out[8] = (uint8_t)(0x80 | (out[8] & 0x3f));
}

static const struct {
	const char *code, *fr;
} nation_fr[] = {
	{"SN", "Le Sénégal"}, {"ML", "Le Mali"}, {"MR", "La Mauritanie"},
	{"GN", "La Guinée"}, {"GM", "La Gambie"}, {"BF", "Le Burkina Faso"},
	{"NE", "Le Niger"}, {"CI", "La Côte d'Ivoire"},
};

static const char *
nation_name_fr(const char *code)
{
	size_t i;

	for (i = 0; i < sizeof nation_fr / sizeof nation_fr[0]; i++)
		if (strcmp(nation_fr[i].code, code) == 0)
			return nation_fr[i].fr;
	return NULL;
}

/* At most max bytes of s, cut at a character boundary, with "…" when
** cut: into out (max + 4 bytes). */
static void
clip_utf8(const char *s, size_t max, char *out)
{
	size_t n = strlen(s);

	if (n <= max) {
		memcpy(out, s, n + 1);
		return;
	}
	n = max > 3 ? max - 3 : 0;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	memcpy(out, s, n);
	memcpy(out + n, "…", 4);
}

/*
** The message of a notice, French then English, then the reason (cut so
** that the whole stays within MESSAGE_MAX bytes): a new string (free()).
*/
static char *
notice_message(const struct node *n, const struct ref_section *sec,
    int level, int prev, const char *reason)
{
	const char *fr = nation_name_fr(n->nation);
	const char *en = util_nation_name(n->nation);
	char head[1400], *out, *why;
	int len;

	len = snprintf(head, sizeof head, "%s%s a relevé son côté du tronçon "
	    "%s « %s » au niveau %s (%s%s).\n%s raised its side of border "
	    "section %s “%s” to %s (%s%s).\nMotif / Reason : ",
	    fr ? fr : "La nation ", fr ? "" : n->nation, sec->id, sec->name_fr,
	    level_fr[level], prev >= 0 ? "avant : " : "aucun niveau avant",
	    prev >= 0 ? level_fr[prev] : "", en ? en : n->nation, sec->id,
	    sec->name_en, level_names[level], prev >= 0 ? "before: " :
	    "no level before", prev >= 0 ? level_names[prev] : "");
	if (len < 0 || (size_t)len >= sizeof head || (size_t)len + 8 >=
	    MESSAGE_MAX)
		len = (int)strlen(head);
	if ((out = malloc(MESSAGE_MAX + 8)) == NULL ||
	    (why = malloc(MESSAGE_MAX + 8)) == NULL) {
		free(out);
		return NULL;
	}
	clip_utf8(reason, MESSAGE_MAX - (size_t)len, why);
	snprintf(out, MESSAGE_MAX + 8, "%s%s", head, why);
	free(why);
	return out;
}

/* Encode one record of category cat into r. */
static int
encode(struct node *n, const char *cat, const char *when, json_t *attrs,
    const char *audience, const char *prec, const uint8_t id[16],
    struct record *r, struct dib_diag *d)
{
	json_t *in = json_pack("{s:s, s:s, s:o, s:s}", "category", cat,
	    "observed_at", when, "attributes", attrs, "audience", audience);
	int rc;

	if (in == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	if (prec != NULL)
		json_object_set_new(in, "precedence", json_string(prec));
	rc = record_from_json(n->model, in, n->nation, id, r, d);
	json_decref(in);
	return flat_field(d, rc);
}

int
section_set(struct node *n, const char *section, const json_t *in,
    const struct section_opts *o, struct section_result *res,
    struct dib_diag *d)
{
	struct record recs[1 + UTIL_AUDIENCE_MAX];
	struct ref_sections *secs = NULL;
	const struct ref_section *sec;
	struct section_mark self;
	struct held h;
	const json_t *v;
	char dflt[UTIL_AUDIENCE_LEN], audience[UTIL_AUDIENCE_LEN];
	char when[40], sid[37];
	const char *reason;
	size_t nrec = 0, i;
	long k;
	int rc, level, prev = -1;

	memset(res, 0, sizeof *res);
	res->previous = -1;
	memset(recs, 0, sizeof recs);
	memset(&h, 0, sizeof h);
	if ((rc = known_keys(in, d)) != 0)
		return rc;
	if ((rc = ref_sections_load(n->dir, &secs, d)) != 0)
		return rc;
	if ((k = section_index(secs, section)) < 0) {
		rc = unknown_section(secs, section, d);
		goto out;
	}
	sec = &secs->v[k];
	v = json_object_get(in, "level");
	if (v == NULL || json_is_null(v)) {
		rc = dib_fail(d, DIB_EINVAL, "level", "is required: low, "
		    "medium, high or critical");
		goto out;
	}
	if ((level = section_level_parse(json_string_value(v))) < 0) {
		rc = dib_fail(d, DIB_EINVAL, "level", "must be low, medium, "
		    "high or critical, got %s%.20s%s", json_is_string(v) ?
		    "\"" : "",
		    json_is_string(v) ? json_string_value(v) : "a non-string",
		    json_is_string(v) ? "\"" : "");
		goto out;
	}
	v = json_object_get(in, "reason");
	reason = json_string_value(v);
	if (v != NULL && !json_is_null(v) && !json_is_string(v)) {
		rc = dib_fail(d, DIB_EINVAL, "reason", "must be a string");
		goto out;
	}
	if (blank(reason)) {
		rc = dib_fail(d, DIB_EINVAL, "reason", "is required: say why "
		    "(facts only, no personal data)");
		goto out;
	}
	snprintf(dflt, sizeof dflt, "%s", SECTION_PARTNERSHIP);
	set_add(dflt, n->nation);
	if ((rc = input_audience(in, dflt, audience, d)) != 0)
		goto out;
	if (!util_audience_has(audience, n->nation)) {
		rc = dib_fail(d, DIB_EINVAL, "audience", "must include this "
		    "node's nation %s (got %s)", n->nation, audience);
		goto out;
	}
	for (i = 0; i + 1 < strlen(audience); i += 3) {
		char nat[3] = {audience[i], audience[i + 1], '\0'};

		if (strcmp(nat, n->nation) != 0 &&
		    !notice_addressable(n->model, nat)) {
			rc = dib_fail(d, DIB_EINVAL, "audience", "%s cannot be "
			    "sent the notice of a raise (the model's "
			    "section.notice for_nation has no %s)", nat, nat);
			goto out;
		}
	}
	/* The side's level before this one, read in the caller's
	 * transaction: the write and what it compares with are one. */
	memset(&self, 0, sizeof self);
	self.t = o != NULL && o->at ? o->at : util_now_ms();
	if (o != NULL && o->id != NULL)
		memcpy(self.id, o->id, 16);
	else
		util_uuid7(util_now_ms(), self.id);
	snprintf(self.section, sizeof self.section, "%s", sec->id);
	memcpy(self.nation, n->nation, 3);
	self.level = level;
	if ((rc = held_load(n, &h, d)) != 0)
		goto out;
	for (i = 0, k = -1; i < h.n; i++)
		if (same_side(&h.m[i], sec->id, n->nation) &&
		    section_mark_after(&self, &h.m[i]) && (k < 0 ||
		    section_mark_after(&h.m[i], &h.m[k])))
			k = (long)i;
	prev = k < 0 ? -1 : h.m[k].level;
	util_time_format(self.t, when, sizeof when);
	util_uuid_format(self.id, sid);
	if ((rc = encode(n, SECTION_CAT_STATUS, when, json_pack("{s:s, s:s, "
	    "s:s}", "section", sec->id, "level", level_names[level], "reason",
	    reason), audience, NULL, self.id, &recs[nrec], d)) != 0)
		goto out;
	nrec++;
	for (i = 0; section_notifies(prev, level) && i + 1 < strlen(audience);
	    i += 3) {
		char nat[3] = {audience[i], audience[i + 1], '\0'};
		uint8_t nid[16];
		char *msg;

		if (strcmp(nat, n->nation) == 0)
			continue;
		if (o != NULL && o->id != NULL)
			notice_id(self.id, nat, nid);
		else
			util_uuid7(util_now_ms(), nid);
		if ((msg = notice_message(n, sec, level, prev, reason)) ==
		    NULL) {
			rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
			goto out;
		}
		rc = encode(n, SECTION_CAT_NOTICE, when, json_pack("{s:s, s:s, "
		    "s:s, s:s, s:s}", "section", sec->id, "level",
		    level_names[level], "for_nation", nat, "status_id", sid,
		    "message", msg), audience, level == SECTION_CRITICAL ?
		    "FLASH" : NULL, nid, &recs[nrec], d);
		free(msg);
		if (rc != 0)
			goto out;
		memcpy(res->notices[res->nnotices], nid, 16);
		memcpy(res->for_nation[res->nnotices++], nat, 3);
		nrec++;
	}
	/* One append: one block, so the notices travel with the level. */
	if ((rc = node_append(n, recs, nrec, d)) != 0)
		goto out;
	memcpy(res->id, self.id, 16);
	res->level = level;
	res->previous = prev;
	snprintf(res->audience, sizeof res->audience, "%s", audience);
out:
	for (i = 0; i < nrec; i++)
		record_clear(&recs[i]);
	if (rc != 0) {
		memset(res, 0, sizeof *res);
		res->previous = -1;
	}
	held_free(&h);
	ref_sections_free(secs);
	return rc;
}

/* ---- incidents near the sections ---- */

/* What the board counts as an incident: the categories of kind incident
** and every security observation (see docs/sections.md). */
struct incset {
	unsigned char *ok;              /* ok[code] */
	char **name;                    /* name[code]: the category id */
	size_t n;
	const char *prefix[64];         /* the subtrees to query */
	size_t nprefix;
};

static void
incset_free(struct incset *c)
{
	size_t i;

	for (i = 0; c->name != NULL && i < c->n; i++)
		free(c->name[i]);
	free(c->name);
	free(c->ok);
	memset(c, 0, sizeof *c);
}

static int
is_incident(const struct model *m, const char *id)
{
	const struct model_category *c;
	const char *k;

	if (store_category_under(id, "security"))
		return 1;
	c = model_find(m, id);
	return c != NULL && (k = model_category_kind(c)) != NULL &&
	    strcmp(k, "incident") == 0;
}

static int
incset_make(struct node *n, struct incset *c, struct dib_diag *d)
{
	sqlite3_stmt *st = NULL;
	int64_t max = store_count(n->store, "SELECT ifnull(max(code), 0) FROM "
	    "categories");
	size_t i;

	memset(c, 0, sizeof *c);
	c->prefix[c->nprefix++] = "security";
	/* The top of each incident subtree outside security. */
	for (i = 0; i < model_category_count(n->model) && c->nprefix < 64;
	    i++) {
		const struct model_category *cat = model_category_at(n->model,
		    i);
		const struct model_category *up = model_category_parent(cat);
		const char *id = model_category_id(cat);

		if (store_category_under(id, "security") ||
		    !is_incident(n->model, id) || (up != NULL &&
		    is_incident(n->model, model_category_id(up))))
			continue;
		c->prefix[c->nprefix++] = id;
	}
	c->n = (size_t)(max > 0 ? max : 0) + 1;
	if ((c->ok = calloc(c->n, 1)) == NULL ||
	    (c->name = calloc(c->n, sizeof *c->name)) == NULL)
		goto oom;
	if (sqlite3_prepare_v2(n->store->db, "SELECT code, id FROM categories",
	    -1, &st, NULL) != SQLITE_OK)
		return store_dberr(n->store, d, "sections");
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t code = sqlite3_column_int64(st, 0);
		const char *id = (const char *)sqlite3_column_text(st, 1);

		if (code < 0 || (size_t)code >= c->n || id == NULL ||
		    !is_incident(n->model, id))
			continue;
		c->ok[code] = 1;
		if ((c->name[code] = strdup(id)) == NULL) {
			sqlite3_finalize(st);
			goto oom;
		}
	}
	sqlite3_finalize(st);
	return DIB_OK;
oom:
	incset_free(c);
	return dib_fail(d, DIB_ENOMEM, "", "out of memory");
}

/* A bbox widened by dist_m, as reference.c widens its own: a point
** within dist_m of the box lies inside the result. */
static void
widen(const double box[4], double dist_m, double out[4])
{
	const double a = 6378137.0, f = 1 / 298.257223563, e2 = f * (2 - f);
	const double deg = M_PI / 180;
	double dlat = dist_m / (a * (1 - e2) * deg) * (1 + 1e-9) + 1e-12;
	double phi = fmax(fabs(box[1] - dlat), fabs(box[3] + dlat));
	double dlon = phi >= 89.5 ? 360 : dist_m / (a * cos(phi * deg) * deg) *
	    (1 + 1e-9) + 1e-12;

	out[0] = fmax(box[0] - dlon, -180);
	out[1] = fmax(box[1] - dlat, -90);
	out[2] = fmin(box[2] + dlon, 180);
	out[3] = fmin(box[3] + dlat, 90);
}

/* One incident found near a section. */
struct found {
	int64_t t;
	uint8_t id[16];
	int64_t log;
	int64_t code;
	int prec;
};

static int
newest_first(const void *a, const void *b)
{
	const struct found *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? 1 : -1;
	return -memcmp(x->id, y->id, 16);
}

/* What the board shows of one section's incidents. */
struct inc {
	int64_t count;
	json_t *latest;
};

static const char *
log_nation(struct store *s, int64_t log, char out[3])
{
	sqlite3_stmt *st = store_stmt(s, ST_LOG_INFO);

	out[0] = '\0';
	if (st == NULL)
		return out;
	sqlite3_bind_int64(st, 1, log);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(out, 3, "%s", (const char *)sqlite3_column_text(st,
		    1));
	sqlite3_reset(st);
	return out;
}

/* The position of entry k: its z-key's cell, or for a line or polygon
** the centre of its bbox. -1 when it has neither. */
static int
position(struct store *s, sqlite3_stmt *pos, int64_t k, double *lon,
    double *lat)
{
	sqlite3_stmt *st;
	struct record r;
	int rc = -1;

	if (sqlite3_column_type(pos, 0) != SQLITE_NULL) {
		store_zpoint(sqlite3_column_int64(pos, 0), lon, lat);
		return 0;
	}
	if ((st = store_stmt(s, ST_ENTRY_GET)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, k);
	memset(&r, 0, sizeof r);
	if (sqlite3_step(st) == SQLITE_ROW && record_parse_body(
	    sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), &r,
	    NULL) == 0 && r.geom != RECORD_GEOM_NONE) {
		*lon = r.lon;
		*lat = r.lat;
		rc = 0;
	}
	record_clear(&r);
	sqlite3_reset(st);
	return rc;
}

/*
** Count the incidents of [from, to] within buf metres of section k (all
** sections when only is (size_t)-1) into out[k]. Per section, one
** store_query (bbox widened by the buffer, the window, the subtree) per
** incident subtree, then the exact geodesic test of each point found.
*/
static int
incidents(struct node *n, const struct ref_sections *secs, size_t only,
    int64_t from, int64_t to, double buf, struct inc *out,
    struct dib_diag *d)
{
	struct incset cs;
	struct found *f = NULL;
	sqlite3_stmt *pos = NULL;
	size_t *idx = NULL, k, cap = 0;
	int rc;

	if ((rc = incset_make(n, &cs, d)) != 0)
		return rc;
	if ((idx = calloc(secs->n + 1, sizeof *idx)) == NULL) {
		rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
		goto out;
	}
	if (sqlite3_prepare_v2(n->store->db, "SELECT zkey, prec, cat FROM "
	    "entries WHERE k = ?1", -1, &pos, NULL) != SQLITE_OK) {
		rc = store_dberr(n->store, d, "sections");
		goto out;
	}
	for (k = 0; k < secs->n; k++) {
		size_t p, nf = 0, i;

		if (only != (size_t)-1 && k != only)
			continue;
		for (p = 0; p < cs.nprefix; p++) {
			struct store_query q;
			struct store_hit *hits = NULL;
			size_t nh = 0, h;

			memset(&q, 0, sizeof q);
			q.has_bbox = 1;
			{
				double w[4];

				widen(secs->v[k].bbox, buf, w);
				q.w = w[0];
				q.s = w[1];
				q.e = w[2];
				q.n = w[3];
			}
			q.has_from = q.has_to = 1;
			q.from = from;
			q.to = to;
			q.category = cs.prefix[p];
			if ((rc = store_query(n->store, &q, &hits, &nh, d)) !=
			    0)
				goto out;
			for (h = 0; h < nh; h++) {
				int64_t key = STORE_ENTRY_KEY(hits[h].log,
				    hits[h].seq), code;
				double lon, lat;
				size_t m, j;
				int in = 0;

				sqlite3_reset(pos);
				sqlite3_bind_int64(pos, 1, key);
				if (sqlite3_step(pos) != SQLITE_ROW)
					continue;
				code = sqlite3_column_int64(pos, 2);
				if (code < 0 || (size_t)code >= cs.n ||
				    !cs.ok[code] ||
				    position(n->store, pos, key, &lon, &lat) !=
				    0)
					continue;
				m = ref_section_of_point(secs, lon, lat, buf,
				    idx, secs->n);
				for (j = 0; j < m && j < secs->n; j++)
					in |= idx[j] == k;
				if (!in)
					continue;
				if (nf == cap) {
					size_t nc = cap ? cap * 2 : 256;
					struct found *nv = realloc(f, nc *
					    sizeof *nv);

					if (nv == NULL) {
						free(hits);
						rc = dib_fail(d, DIB_ENOMEM, "",
						    "out of memory");
						goto out;
					}
					f = nv;
					cap = nc;
				}
				f[nf].t = hits[h].t;
				memcpy(f[nf].id, hits[h].id, 16);
				f[nf].log = hits[h].log;
				f[nf].code = code;
				f[nf].prec = sqlite3_column_int(pos, 1);
				nf++;
			}
			sqlite3_reset(pos);
			free(hits);
		}
		if (nf > 1)
			qsort(f, nf, sizeof *f, newest_first);
		out[k].count = (int64_t)nf;
		if ((out[k].latest = json_array()) == NULL) {
			rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
			goto out;
		}
		for (i = 0; i < nf && i < SECTION_LATEST; i++) {
			char txt[37], ts[40], nat[3];

			json_array_append_new(out[k].latest, json_pack("{s:s, "
			    "s:s, s:s, s:s, s:s}", "id", util_uuid_format(
			    f[i].id, txt), "category", cs.name[f[i].code],
			    "observed_at", util_time_format(f[i].t, ts,
			    sizeof ts), "precedence", model_prec_name(
			    f[i].prec) ? model_prec_name(f[i].prec) : "ROUTINE",
			    "nation", log_nation(n->store, f[i].log, nat)));
		}
	}
out:
	sqlite3_finalize(pos);
	free(f);
	free(idx);
	incset_free(&cs);
	return rc;
}

/* ---- the board ---- */

/* Everything a read needs, loaded once. */
struct board {
	struct node *n;
	struct ref_sections *secs;
	struct held h;
	char nations[UTIL_AUDIENCE_LEN];
	int64_t at, from, until;        /* until: levels as of (INT64_MAX:
	                                 * the latest) */
	double buf;
};

static void
board_free(struct board *b)
{
	held_free(&b->h);
	ref_sections_free(b->secs);
	memset(b, 0, sizeof *b);
}

static int
board_load(struct node *n, const struct section_query *q, struct board *b,
    struct dib_diag *d)
{
	int rc;

	memset(b, 0, sizeof *b);
	b->n = n;
	b->buf = q != NULL && q->has_buffer ? q->buffer_m : SECTION_BUFFER_M;
	if (!(b->buf >= 0 && b->buf <= SECTION_BUFFER_MAX))
		return dib_fail(d, DIB_EINVAL, "buffer_m", "must be a distance "
		    "in metres from 0 to %.0f", SECTION_BUFFER_MAX);
	b->at = q != NULL && q->has_at ? q->at : util_now_ms();
	b->until = q != NULL && q->has_at ? q->at : INT64_MAX;
	b->from = b->at - SECTION_WINDOW_DAYS * DAY_MS;
	if ((rc = ref_sections_load(n->dir, &b->secs, d)) != 0 ||
	    (rc = held_load(n, &b->h, d)) != 0) {
		board_free(b);
		return rc;
	}
	board_nations(n, &b->h, b->nations);
	return DIB_OK;
}

static json_t *
time_json(int64_t ms)
{
	char ts[40];

	return json_string(util_time_format(ms, ts, sizeof ts));
}

static json_t *
km_json(double km)
{
	return json_real(round(km * 10) / 10);
}

/* One side's level as shown: the mark's record, or null. */
static json_t *
level_json(const struct board *b, long k, int full)
{
	const json_t *rec;
	json_t *o;

	if (k < 0)
		return json_null();
	rec = b->h.rec[k];
	o = json_pack("{s:s, s:O, s:O}", "level", level_names[b->h.m[k].level],
	    "set_at", json_object_get(rec, "observed_at"), "record",
	    json_object_get(rec, "id"));
	if (o != NULL && full) {
		json_object_set_new(o, "reason", json_string(patrol_attr_str(rec,
		    "reason")));
		json_object_set_new(o, "node", json_string(patrol_origin_str(rec,
		    "name")));
	}
	return o;
}

static json_t *
levels_json(const struct board *b, const char *section)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; o != NULL && i + 1 < strlen(b->nations); i += 3) {
		char nat[3] = {b->nations[i], b->nations[i + 1], '\0'};

		json_object_set_new(o, nat, level_json(b, section_current(
		    b->h.m, b->h.n, section, nat, b->until), 1));
	}
	return o;
}

static json_t *
section_json(const struct board *b, size_t k, struct inc *inc)
{
	const struct ref_section *s = &b->secs->v[k];
	json_t *o = json_pack("{s:s, s:i, s:s, s:s, s:o, s:o, s:{s:I, s:o}}",
	    "id", s->id, "seq", s->seq, "name_fr", s->name_fr, "name_en",
	    s->name_en, "length_km", km_json(s->length_km), "levels",
	    levels_json(b, s->id), "incidents", "count",
	    (json_int_t)inc->count, "latest", inc->latest ? inc->latest :
	    json_array());

	inc->latest = NULL;
	return o;
}

static json_t *
buffer_json(double buf)
{
	if (buf == floor(buf) && buf < 1e15)
		return json_integer((json_int_t)buf);
	return json_real(buf);
}

static json_t *
nations_json(const char *set)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i + 1 < strlen(set); i += 3)
		json_array_append_new(a, json_stringn(set + i, 2));
	return a;
}

static void
incs_free(struct inc *v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		json_decref(v[i].latest);
	free(v);
}

int
section_board(struct node *n, const struct section_query *q, json_t **out,
    struct dib_diag *d)
{
	struct board b;
	struct inc *incs = NULL;
	json_t *list = NULL;
	size_t k;
	int rc;

	*out = NULL;
	if ((rc = board_load(n, q, &b, d)) != 0)
		return rc;
	if ((incs = calloc(b.secs->n + 1, sizeof *incs)) == NULL ||
	    (list = json_array()) == NULL) {
		rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
		goto out;
	}
	if ((rc = incidents(n, b.secs, (size_t)-1, b.from, b.at, b.buf, incs,
	    d)) != 0)
		goto out;
	for (k = 0; k < b.secs->n; k++)
		json_array_append_new(list, section_json(&b, k, &incs[k]));
	*out = json_pack("{s:o, s:o, s:o, s:o, s:o, s:i}", "sections", list,
	    "nations", nations_json(b.nations), "at", time_json(b.at), "from",
	    time_json(b.from), "buffer_m", buffer_json(b.buf), "window_days",
	    SECTION_WINDOW_DAYS);
	list = NULL;
	if (*out == NULL)
		rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
out:
	json_decref(list);
	incs_free(incs, b.secs->n);
	board_free(&b);
	return rc;
}

/* Newest first, ties by id: the order of histories and notices. */
static int
mark_newest_first(const void *a, const void *b)
{
	const struct section_mark *x = *(const struct section_mark *const *)a;
	const struct section_mark *y = *(const struct section_mark *const *)b;

	if (section_mark_after(x, y))
		return -1;
	return section_mark_after(y, x) ? 1 : 0;
}

/* The notices held that go with level record id. */
static json_t *
notices_of(const struct board *b, const char *id)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < b->h.nn; i++) {
		const json_t *rec = b->h.notice[i];
		const char *sid = patrol_attr_str(rec, "status_id");

		if (sid == NULL || strcmp(sid, id) != 0 ||
		    patrol_attr_str(rec, "for_nation") == NULL)
			continue;
		json_array_append_new(a, json_pack("{s:O, s:s}", "id",
		    json_object_get(rec, "id"), "for_nation", patrol_attr_str(rec,
		    "for_nation")));
	}
	return a;
}

static json_t *
history_json(const struct board *b, const char *section)
{
	const struct section_mark **v;
	json_t *a = json_array();
	size_t i, nv = 0;

	if (a == NULL || (v = calloc(b->h.n + 1, sizeof *v)) == NULL)
		return a;
	for (i = 0; i < b->h.n; i++)
		if (strcmp(b->h.m[i].section, section) == 0)
			v[nv++] = &b->h.m[i];
	qsort(v, nv, sizeof *v, mark_newest_first);
	for (i = 0; i < nv; i++) {
		size_t k = (size_t)(v[i] - b->h.m);
		const json_t *rec = b->h.rec[k];
		int prev = section_previous(b->h.m, b->h.n, k);
		json_t *o = json_pack("{s:O, s:s, s:s, s:o, s:s, s:O, s:s, "
		    "s:O, s:o}", "record", json_object_get(rec, "id"), "nation",
		    v[i]->nation, "level", level_names[v[i]->level], "previous",
		    prev >= 0 ? json_string(level_names[prev]) : json_null(),
		    "reason", patrol_attr_str(rec, "reason"), "set_at",
		    json_object_get(rec, "observed_at"), "node",
		    patrol_origin_str(rec, "name"), "audience",
		    json_object_get(rec, "audience"),
		    "notices", notices_of(b, json_string_value(json_object_get(
		    rec, "id"))));

		if (o != NULL)
			json_array_append_new(a, o);
	}
	free(v);
	return a;
}

static json_t *
line_json(const struct ref_section *s)
{
	json_t *c = json_array();
	size_t i;

	for (i = 0; c != NULL && i < s->npts; i++)
		json_array_append_new(c, json_pack("[f,f]", s->lonlat[2 * i],
		    s->lonlat[2 * i + 1]));
	return json_pack("{s:s, s:o}", "type", "LineString", "coordinates", c);
}

int
section_get(struct node *n, const char *section,
    const struct section_query *q, json_t **out, struct dib_diag *d)
{
	struct board b;
	struct inc *incs = NULL;
	const struct ref_section *s;
	long k;
	int rc;

	*out = NULL;
	if ((rc = board_load(n, q, &b, d)) != 0)
		return rc;
	if ((k = section_index(b.secs, section)) < 0) {
		rc = unknown_section(b.secs, section, d);
		goto out;
	}
	s = &b.secs->v[k];
	if ((incs = calloc(b.secs->n + 1, sizeof *incs)) == NULL) {
		rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
		goto out;
	}
	if ((rc = incidents(n, b.secs, (size_t)k, b.from, b.at, b.buf, incs,
	    d)) != 0)
		goto out;
	if ((*out = section_json(&b, (size_t)k, &incs[k])) == NULL) {
		rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
		goto out;
	}
	json_object_set_new(*out, "from_km", km_json(s->from_km));
	json_object_set_new(*out, "to_km", km_json(s->to_km));
	json_object_set_new(*out, "geometry", line_json(s));
	json_object_set_new(*out, "history", history_json(&b, s->id));
	json_object_set_new(*out, "nations", nations_json(b.nations));
	json_object_set_new(*out, "at", time_json(b.at));
	json_object_set_new(*out, "from", time_json(b.from));
	json_object_set_new(*out, "buffer_m", buffer_json(b.buf));
	json_object_set_new(*out, "window_days",
	    json_integer(SECTION_WINDOW_DAYS));
out:
	incs_free(incs, b.secs ? b.secs->n : 0);
	board_free(&b);
	return rc;
}

/* ---- notices to this node's nation ---- */

struct note {
	int64_t t;
	uint8_t id[16];
	const json_t *rec;
};

static int
note_newest_first(const void *a, const void *b)
{
	const struct note *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? 1 : -1;
	return -memcmp(x->id, y->id, 16);
}

int
section_notifications(struct node *n, json_t **out, struct dib_diag *d)
{
	struct board b;
	struct note *v = NULL;
	json_t *list = NULL;
	size_t i, nv = 0;
	int rc;

	*out = NULL;
	if ((rc = board_load(n, NULL, &b, d)) != 0)
		return rc;
	if ((v = calloc(b.h.nn + 1, sizeof *v)) == NULL ||
	    (list = json_array()) == NULL) {
		rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
		goto out;
	}
	for (i = 0; i < b.h.nn; i++) {
		const json_t *rec = b.h.notice[i];
		const char *to = patrol_attr_str(rec, "for_nation");
		const char *from = patrol_origin_str(rec, "nation");

		/* Addressed to this nation by another nation's node. */
		if (to == NULL || strcmp(to, n->nation) != 0 ||
		    strlen(from) != 2 || strcmp(from, n->nation) == 0 ||
		    patrol_attr_str(rec, "section") == NULL ||
		    section_level_parse(patrol_attr_str(rec, "level")) < 0 ||
		    time_id(rec, &v[nv].t, v[nv].id) != 0)
			continue;
		v[nv++].rec = rec;
	}
	qsort(v, nv, sizeof *v, note_newest_first);
	for (i = 0; i < nv; i++) {
		const json_t *rec = v[i].rec;
		const char *sec = patrol_attr_str(rec, "section");
		const char *from = patrol_origin_str(rec, "nation");
		const char *sid = patrol_attr_str(rec, "status_id");
		const char *msg = patrol_attr_str(rec, "message");
		long k = section_index(b.secs, sec);
		json_t *o = json_pack("{s:O, s:s, s:o, s:o, s:s, s:s, s:s, "
		    "s:o, s:o, s:O, s:o}", "id", json_object_get(rec, "id"),
		    "section", sec, "name_fr", k >= 0 ? json_string(
		    b.secs->v[k].name_fr) : json_null(), "name_en", k >= 0 ?
		    json_string(b.secs->v[k].name_en) : json_null(), "level",
		    patrol_attr_str(rec, "level"), "nation", from, "node",
		    patrol_origin_str(rec, "name"), "status_id",
		    json_string(sid ? sid : ""), "message",
		    json_string(msg ? msg : ""),
		    "at", json_object_get(rec, "observed_at"), "current",
		    level_json(&b, section_current(b.h.m, b.h.n, sec, from,
		    INT64_MAX), 0));

		if (o != NULL)
			json_array_append_new(list, o);
	}
	*out = json_pack("{s:o}", "notifications", list);
	list = NULL;
	if (*out == NULL)
		rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
out:
	json_decref(list);
	free(v);
	board_free(&b);
	return rc;
}
