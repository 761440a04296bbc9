/*
** The projector: the only writer of the projection tables. It applies one
** record (already stored in its log) to the current state: new records
** become current, a supersession replaces its target, a retraction
** removes it. It tolerates any arrival order: a record that was replaced
** or withdrawn before it arrived never becomes current.
*/
#include "store/project.h"

#include <string.h>

#include "log/record.h"
#include "util/util.h"

enum { LINK_SUPERSEDE = 1, LINK_RETRACT = 2 };

static int
step_done(struct store *s, sqlite3_stmt *st, struct dib_diag *d,
    const char *what)
{
	if (st == NULL || sqlite3_step(st) != SQLITE_DONE)
		return store_dberr(s, d, what);
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

/* Remove id from the current state; *log and *seq say where it was. */
static int
drop_current(struct store *s, const uint8_t id[16], int64_t *log,
    int64_t *seq, struct dib_diag *d)
{
	sqlite3_stmt *st = store_stmt(s, ST_REC_GET);
	int point, rc;

	*log = *seq = -1;
	if (st == NULL)
		return store_dberr(s, d, "projection");
	sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return DIB_ENOTFOUND;
	}
	*log = sqlite3_column_int64(st, 0);
	*seq = sqlite3_column_int64(st, 1);
	point = sqlite3_column_type(st, 2) != SQLITE_NULL;
	sqlite3_reset(st);

	st = store_stmt(s, ST_REC_DELETE);
	sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
	if ((rc = step_done(s, st, d, "projection")) != 0)
		return rc;
	if (!point) {
		int64_t rid = -1;

		st = store_stmt(s, ST_SHAPE_GET);
		sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			rid = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		if (rid >= 0) {
			st = store_stmt(s, ST_SHAPE_DELETE);
			sqlite3_bind_int64(st, 1, rid);
			if ((rc = step_done(s, st, d, "projection")) != 0)
				return rc;
			st = store_stmt(s, ST_BOX_DELETE);
			sqlite3_bind_int64(st, 1, rid);
			if ((rc = step_done(s, st, d, "projection")) != 0)
				return rc;
		}
	}
	return DIB_OK;
}

/* Has id been replaced or withdrawn? 1 yes, 0 no; *placed: old known. */
static int
is_linked(struct store *s, const uint8_t id[16], int *placed)
{
	sqlite3_stmt *st = store_stmt(s, ST_LINK_GET);
	int hit = 0;

	*placed = 0;
	if (st == NULL)
		return 0;
	sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		hit = 1;
		*placed = sqlite3_column_type(st, 0) != SQLITE_NULL;
	}
	sqlite3_reset(st);
	return hit;
}

static int
link(struct store *s, const uint8_t old[16], int64_t old_log,
    int64_t old_seq, const uint8_t nw[16], int64_t log, int64_t seq,
    int kind, struct dib_diag *d)
{
	sqlite3_stmt *st = store_stmt(s, ST_LINK_INSERT);

	if (st == NULL)
		return store_dberr(s, d, "projection");
	sqlite3_bind_blob(st, 1, old, 16, SQLITE_STATIC);
	if (old_log >= 0) {
		sqlite3_bind_int64(st, 2, old_log);
		sqlite3_bind_int64(st, 3, old_seq);
	}
	sqlite3_bind_blob(st, 4, nw, 16, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, log);
	sqlite3_bind_int64(st, 6, seq);
	sqlite3_bind_int(st, 7, kind);
	return step_done(s, st, d, "projection");
}

/* Apply "new replaces/withdraws old" if the origins match. */
static int
apply_link(struct store *s, const uint8_t old[16], const struct record *r,
    int64_t log, int64_t seq, int kind, struct dib_diag *d)
{
	sqlite3_stmt *st;
	int64_t old_log = -1, old_seq = -1;
	int placed, rc;

	if (is_linked(s, old, &placed))
		return DIB_OK;  /* First link wins; the origin forked. */
	if ((st = store_stmt(s, ST_REC_GET)) == NULL)
		return store_dberr(s, d, "projection");
	sqlite3_bind_blob(st, 1, old, 16, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		old_log = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (old_log < 0)        /* Not arrived yet: remember the link. */
		return link(s, old, -1, -1, r->id, log, seq, kind, d);
	if (log_origin(s, old_log) != log_origin(s, log))
		return DIB_EPERM;  /* Only a record's origin may replace it. */
	if ((rc = drop_current(s, old, &old_log, &old_seq, d)) != 0)
		return rc;
	return link(s, old, old_log, old_seq, r->id, log, seq, kind, d);
}

static int
insert_current(struct store *s, const struct record *r, int64_t log,
    int64_t seq, struct dib_diag *d)
{
	sqlite3_stmt *st = store_stmt(s, ST_REC_INSERT);
	int rc;

	if (st == NULL)
		return store_dberr(s, d, "projection");
	sqlite3_bind_blob(st, 1, r->id, 16, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, log);
	sqlite3_bind_int64(st, 3, seq);
	sqlite3_bind_text(st, 4, r->category, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, r->prec);
	sqlite3_bind_int64(st, 6, r->t);
	sqlite3_bind_int64(st, 7, util_day_of(r->t));
	if (r->geom == RECORD_GEOM_POINT)
		sqlite3_bind_int64(st, 8, store_zkey(r->lon, r->lat));
	if (r->geom != RECORD_GEOM_NONE) {
		sqlite3_bind_double(st, 9, r->lon);
		sqlite3_bind_double(st, 10, r->lat);
	}
	if (r->has_patrol)
		sqlite3_bind_blob(st, 11, r->patrol, 16, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		if ((sqlite3_extended_errcode(s->db) & 0xff) ==
		    SQLITE_CONSTRAINT)
			return dib_fail(d, DIB_EEXIST, "id",
			    "a record with this id is already held");
		return store_dberr(s, d, "projection");
	}
	if (r->geom == RECORD_GEOM_LINE || r->geom == RECORD_GEOM_POLYGON) {
		int64_t rid;

		st = store_stmt(s, ST_SHAPE_INSERT);
		sqlite3_bind_blob(st, 1, r->id, 16, SQLITE_STATIC);
		if ((rc = step_done(s, st, d, "projection")) != 0)
			return rc;
		rid = sqlite3_last_insert_rowid(s->db);
		st = store_stmt(s, ST_SHAPE_BOX);
		sqlite3_bind_int64(st, 1, rid);
		sqlite3_bind_double(st, 2, r->minx);
		sqlite3_bind_double(st, 3, r->maxx);
		sqlite3_bind_double(st, 4, r->miny);
		sqlite3_bind_double(st, 5, r->maxy);
		if ((rc = step_done(s, st, d, "projection")) != 0)
			return rc;
	}
	return DIB_OK;
}

int
store_project(struct store *s, int64_t log, int64_t seq,
    const struct record *r, int fresh, struct dib_diag *d)
{
	int rc, placed;

	if (r->has_retracts) {
		rc = apply_link(s, r->retracts, r, log, seq, LINK_RETRACT, d);
		return rc == DIB_EPERM ? DIB_OK : rc;
	}
	if (r->has_supersedes) {
		rc = apply_link(s, r->supersedes, r, log, seq, LINK_SUPERSEDE,
		    d);
		if (rc != 0 && rc != DIB_EPERM)
			return rc;
	}
	if (!fresh && is_linked(s, r->id, &placed)) {
		/* Replaced or withdrawn before it arrived: note where it is,
		 * keep it out of the current state. */
		sqlite3_stmt *st;

		if (placed)
			return DIB_OK;
		st = store_stmt(s, ST_LINK_PLACE);
		sqlite3_bind_blob(st, 1, r->id, 16, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, log);
		sqlite3_bind_int64(st, 3, seq);
		return step_done(s, st, d, "projection");
	}
	return insert_current(s, r, log, seq, d);
}
