/*
** The projector: stores each record's bytes at (log, seq) with the
** columns the queries need, and keeps the current state. New records
** become current, a supersession replaces its target, a retraction
** withdraws it. It tolerates any arrival order: a record that was
** replaced or withdrawn before it arrived never becomes current.
*/
#include "store/project.h"

#include <string.h>

#include "log/record.h"
#include "util/util.h"

static int
step_done(struct store *s, sqlite3_stmt *st, struct dib_diag *d,
    const char *what)
{
	if (st == NULL || sqlite3_step(st) != SQLITE_DONE) {
		int rc = store_dberr(s, d, what);

		if (st != NULL)
			sqlite3_reset(st);
		return rc;
	}
	return DIB_OK;
}

static int64_t
log_origin(struct store *s, int64_t log)
{
	sqlite3_stmt *st = store_stmt(s, ST_LOG_ORIGIN);
	int64_t o = -1;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, log);
	if (sqlite3_step(st) == SQLITE_ROW)
		o = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return o;
}

/* The kind of link by origin that replaced or withdrew id, or 0. */
static int
link_kind(struct store *s, const uint8_t id[16], int64_t origin)
{
	sqlite3_stmt *st = store_stmt(s, ST_LINK_GET);
	int kind = 0;

	if (st == NULL)
		return 0;
	sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, origin);
	if (sqlite3_step(st) == SQLITE_ROW)
		kind = sqlite3_column_int(st, 1);
	sqlite3_reset(st);
	return kind;
}

/*
** "new replaces (kind 1) or withdraws (kind 2) old": applied if old is
** current and both have the same origin; remembered, with the origin of
** new, if old has not arrived yet (when it does, only its own origin's
** link counts). The first link of that origin to a record wins.
*/
static int
apply_link(struct store *s, const uint8_t old[16], const struct record *r,
    int64_t log, int kind, struct dib_diag *d)
{
	sqlite3_stmt *st;
	int64_t k = -1, origin = log_origin(s, log);
	int state = -1, shape = 0, rc;

	if (link_kind(s, old, origin) != 0)
		return DIB_OK;
	if ((st = store_stmt(s, ST_ENTRY_BY_ID)) == NULL)
		return store_dberr(s, d, "projection");
	sqlite3_bind_blob(st, 1, old, 16, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		k = sqlite3_column_int64(st, 0);
		state = sqlite3_column_int(st, 1);
		shape = sqlite3_column_int(st, 2);
	}
	sqlite3_reset(st);
	if (k >= 0) {
		if (state != STORE_CURRENT)
			return DIB_OK;
		if (log_origin(s, STORE_ENTRY_LOG(k)) != origin)
			return DIB_OK;  /* Only a record's origin may. */
		st = store_stmt(s, ST_ENTRY_STATE);
		sqlite3_bind_int64(st, 1, k);
		sqlite3_bind_int(st, 2, kind);
		if ((rc = step_done(s, st, d, "projection")) != 0)
			return rc;
		if (shape) {
			st = store_stmt(s, ST_BOX_DELETE);
			sqlite3_bind_int64(st, 1, k);
			if ((rc = step_done(s, st, d, "projection")) != 0)
				return rc;
		}
	}
	st = store_stmt(s, ST_LINK_INSERT);
	sqlite3_bind_blob(st, 1, old, 16, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, r->id, 16, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, kind);
	sqlite3_bind_int64(st, 4, origin);
	return step_done(s, st, d, "projection");
}

int
store_project(struct store *s, int64_t log, int64_t seq,
    struct record *r, int fresh, struct dib_diag *d)
{
	sqlite3_stmt *st;
	int64_t k = STORE_ENTRY_KEY(log, seq), cat;
	int state = STORE_CURRENT, rc;

	if (r->has_retracts) {
		state = STORE_RETRACTION;
		if ((rc = apply_link(s, r->retracts, r, log, STORE_RETRACTED,
		    d)) != 0)
			return rc;
	} else {
		if (r->has_supersedes && (rc = apply_link(s, r->supersedes, r,
		    log, STORE_SUPERSEDED, d)) != 0)
			return rc;
		/* Replaced or withdrawn before it arrived? */
		if (!fresh)
			state = link_kind(s, r->id, log_origin(s, log));
	}
	if ((rc = store_category_code(s, r->category, &cat, d)) != 0)
		return rc;
	if ((st = store_stmt(s, ST_ENTRY_INSERT)) == NULL)
		return store_dberr(s, d, "projection");
	sqlite3_bind_int64(st, 1, k);
	sqlite3_bind_blob(st, 2, r->body, (int)r->body_len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, r->id, 16, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, state);
	sqlite3_bind_int64(st, 5, cat);
	sqlite3_bind_int(st, 6, r->prec);
	sqlite3_bind_int64(st, 7, r->t);
	sqlite3_bind_int64(st, 8, util_day_of(r->t));
	if (r->geom == RECORD_GEOM_POINT)
		sqlite3_bind_int64(st, 9, store_zkey(r->lon, r->lat));
	if (r->has_patrol)
		sqlite3_bind_blob(st, 10, r->patrol, 16, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		int ext = sqlite3_extended_errcode(s->db);

		sqlite3_reset(st);
		if (ext == SQLITE_CONSTRAINT_UNIQUE ||
		    ext == SQLITE_CONSTRAINT_PRIMARYKEY) {
			char txt[37];

			return dib_fail(d, DIB_EEXIST, "id", "record %s is "
			    "already held", util_uuid_format(r->id, txt));
		}
		return store_dberr(s, d, "projection");
	}
	sqlite3_reset(st);
	/* Its words go to the text index once this commits (store/text.c). */
	if (store_pend_add(s, k, r->id, &r->text) != 0)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	if (state == STORE_CURRENT && (r->geom == RECORD_GEOM_LINE ||
	    r->geom == RECORD_GEOM_POLYGON)) {
		st = store_stmt(s, ST_BOX_INSERT);
		sqlite3_bind_int64(st, 1, k);
		sqlite3_bind_double(st, 2, r->minx);
		sqlite3_bind_double(st, 3, r->maxx);
		sqlite3_bind_double(st, 4, r->miny);
		sqlite3_bind_double(st, 5, r->maxy);
		return step_done(s, st, d, "projection");
	}
	return DIB_OK;
}
