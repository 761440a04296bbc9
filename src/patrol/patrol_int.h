/*
** Inside src/patrol: how a patrol is read back from the records linked
** to it, shared by patrol.c (plans, decisions, lists), patrol_track.c
** (GPS tracks) and patrol_summary.c (the debrief statistics). Not for
** other modules.
*/
#ifndef DIB_PATROL_INT_H
#define DIB_PATROL_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "model/model.h"
#include "patrol/patrol.h"
#include "track/track.h"

/* One entry that links to a patrol. */
struct patrol_row {
	uint8_t patrol[16];
	int64_t k;
	int state;                      /* enum store_state */
	char cat[MODEL_ID_MAX + 1];
};

struct patrol_rows {
	struct patrol_row *v;
	size_t n, cap;
};

void patrol_rows_free(struct patrol_rows *r);

/*
** The entries linked to patrol (NULL: to any patrol), by patrol then
** storage order, every version (states tell the current ones). Free with
** patrol_rows_free (also on error: out is then empty).
*/
int patrol_rows_load(struct node *n, const uint8_t *patrol,
    struct patrol_rows *out, struct dib_diag *d);

/* A patrol as read back: its current plan and what links to it. */
struct patrol_view {
	uint8_t id[16];
	char idtxt[37];
	json_t *plan;                   /* the current version */
	char version[37];               /* its id */
	char nations[UTIL_AUDIENCE_LEN];
	char audience[UTIL_AUDIENCE_LEN];
	int versions;
	struct patrol_act *acts;
	json_t *actrecs;                /* the decisions' records */
	json_t *units, *legs, *debriefs;        /* records, current */
	int64_t observations;           /* other records linked to it */
	size_t track_pieces;            /* current patrol.track records */
	struct patrol_derived st;
};

void patrol_view_free(struct patrol_view *v);

/*
** v from the rows of one patrol (rows[0..count), all of patrol id).
** DIB_ENOTFOUND when no current plan of it is held. Track pieces are
** counted, not read.
*/
int patrol_view_load(struct node *n, const uint8_t id[16],
    const struct patrol_row *rows, size_t count, struct patrol_view *v,
    struct dib_diag *d);

/* patrol_rows_load and patrol_view_load of one patrol. */
int patrol_view_get(struct node *n, const uint8_t id[16],
    struct patrol_view *v, struct dib_diag *d);

/* The record of a row as node_record_json gives it (new reference), or
** NULL. */
json_t *patrol_row_json(struct node *n, const struct patrol_row *r);

/* The string attribute key of a record, or NULL. */
const char *patrol_attr_str(const json_t *rec, const char *key);

/* The string key ("nation", "node", "name") of a record's origin, or "";
** the two below for short. */
const char *patrol_origin_str(const json_t *rec, const char *key);
const char *patrol_origin_nation(const json_t *rec);
const char *patrol_origin_node(const json_t *rec);

/* The "nations" of plan attributes, canonical ("ML,SN"), or "". */
void patrol_nations_of(const json_t *attrs, char *out);

/* The patrol's "patrol_type", or "mixed" when it has none. */
const char *patrol_type_of(const struct patrol_view *v);

/* "attributes.x" names the input's "x": strip the prefix; returns rc. */
int patrol_flat_field(struct dib_diag *d, int rc);

/* ---- tracks (patrol_track.c) ---- */

/* One upload as read back: its pieces decoded and joined. */
struct patrol_upload {
	char nation[3];                 /* of the node that signed it */
	char track_id[65];
	char source[16];
	struct track tr;                /* points, segments as uploaded */
	size_t pieces;
	int64_t observed;               /* observed_at of its first piece */
	/* The cleaning report, carried by its first piece. */
	int64_t out_of_order, duplicates, spikes, gaps, no_time;
};

struct patrol_uploads {
	struct patrol_upload *v;
	size_t n;
	size_t invalid;                 /* pieces that did not decode */
};

/*
** The uploads of patrol v (rows: its rows), by nation then track id:
** current patrol.track records of a participating nation whose "nation"
** is their signer's. Pieces are joined in seq order; a piece that starts
** with the previous one's last point continues its segment. A piece
** that does not decode is counted in invalid and left out. Free with
** patrol_uploads_free (also on error).
*/
int patrol_uploads_read(struct node *n, const struct patrol_view *v,
    const struct patrol_row *rows, size_t count,
    struct patrol_uploads *out, struct dib_diag *d);
void patrol_uploads_free(struct patrol_uploads *u);

/* ---- sections (patrol_summary.c) ---- */

struct ref_sections;

/*
** Does patrol v come within buf_m metres of section sec (an index into
** s): its planned route or area, or the display geometry of one of its
** tracks (rows)? *yes receives 1 or 0; the return is 0 or an error
** (DIB_ENOMEM, DIB_EINVAL for a buffer out of range).
*/
int patrol_near_section(struct node *n, const struct patrol_view *v,
    const struct patrol_row *rows, size_t count,
    const struct ref_sections *s, size_t sec, double buf_m, int *yes,
    struct dib_diag *d);

#endif
