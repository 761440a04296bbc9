/*
** Joint patrols on top of records: a plan (route or area, window,
** nations), each nation's units, legs with their handover points,
** decisions (propose, approve, reject, start, complete, abort) and
** debriefs. Everything is an ordinary record linked to the patrol by its
** "patrol" field, so it is signed, audited, synced and sovereign like any
** other; the status is derived from the decisions, never stored. See
** docs/patrols.md.
*/
#ifndef DIB_PATROL_H
#define DIB_PATROL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "track/track.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/util.h"

struct node;
struct record;
struct ref_sections;

#define PATROL_CAT "patrol"                 /* the group of the domain */
#define PATROL_CAT_PLAN "patrol.plan"
#define PATROL_CAT_UNIT "patrol.unit"
#define PATROL_CAT_LEG "patrol.leg"
#define PATROL_CAT_ACTION "patrol.action"
#define PATROL_CAT_DEBRIEF "patrol.debrief"
#define PATROL_CAT_TRACK "patrol.track"

/* The lifecycle, in the order the derivation tests it backwards. */
enum patrol_status {
	PATROL_DRAFT = 0,
	PATROL_PROPOSED,
	PATROL_APPROVED,
	PATROL_REJECTED,
	PATROL_UNDERWAY,
	PATROL_COMPLETED,
	PATROL_ABORTED,
	PATROL_STATUS_COUNT
};

/* The decisions, as the values of patrol.action's "action". */
enum patrol_verb {
	PATROL_PROPOSE = 0,
	PATROL_APPROVE,
	PATROL_REJECT,
	PATROL_START,
	PATROL_COMPLETE,
	PATROL_ABORT,
	PATROL_VERB_COUNT
};

/* "draft", ... / "propose", ...; NULL for an unknown value. */
const char *patrol_status_name(int status);
const char *patrol_verb_name(int verb);
/* "brouillon", "proposée", ... (lang "fr", the default) or the English
** words; NULL for an unknown value. */
const char *patrol_status_label(int status, const char *lang);
/* -1 for an unknown or NULL name. */
int patrol_status_parse(const char *s);
int patrol_verb_parse(const char *s);

/* One decision as the derivation sees it. */
struct patrol_act {
	int verb;                       /* enum patrol_verb */
	char nation[3];                 /* of the node that signed it */
	char plan_version[37];          /* the plan version it is about */
	int has_reason;                 /* a non-empty reason */
};

/* What a set of decisions means for the current plan version. */
struct patrol_derived {
	int status;                             /* enum patrol_status */
	char approved[UTIL_AUDIENCE_LEN];       /* nations that approved the
	                                         * current version: "ML,SN" */
	char rejected[UTIL_AUDIENCE_LEN];       /* that rejected it */
};

/*
** Does decision a count for a patrol of nations ("ML,SN") whose current
** plan version is version? Only participating nations count; reject and
** abort need a reason; approve and reject count for the current version
** only; the others for any version.
*/
int patrol_act_counts(const char *nations, const char *version,
    const struct patrol_act *a);

/*
** The status from the decisions, whatever their order: aborted if any
** abort; else completed if a complete; else underway if a start; else
** rejected if a nation rejected the current version; else approved if
** proposed and every nation approved the current version; else proposed
** if a propose; else draft. Decisions that do not count are ignored.
*/
void patrol_derive(const char *nations, const char *version,
    const struct patrol_act *acts, size_t n, struct patrol_derived *out);

/*
** May nation take decision verb now? st is the derived state, nations
** the plan's. DIB_EINVAL (field "reason") for a reject or abort without
** reason; DIB_EPERM if nation does not take part; DIB_ECONFLICT naming
** the status for a transition it does not allow (start needs approved,
** approve and reject need proposed, complete needs underway, abort needs
** approved or underway, propose needs draft, and a nation approves a
** version once).
*/
int patrol_check(const struct patrol_derived *st, const char *nations,
    int verb, const char *nation, int has_reason, struct dib_diag *d);

/*
** Is category id one of the domain's (patrol.*)? Records of these
** categories should be written through this module only: the generic
** record routes would skip its checks (who may approve, transitions).
*/
int patrol_category_reserved(const char *id);

/* How a write is stamped; NULL means now and a new UUIDv7. */
struct patrol_opts {
	int64_t at;                     /* observed_at, ms; 0: now */
	const uint8_t *id;              /* the new record's id, or NULL */
};

/*
** Writes. Each checks its input and the patrol's state, then appends
** one record to the node's log of the patrol's audience (node_append:
** inside the caller's transaction if it holds one, which it should, so
** that the state read and the append are one). The input is a flat JSON
** object; errors name its keys ("window_end", "nations"). On success
** id receives the new record's id.
**
** patrol_create: {"code", "patrol_type", "objective", "window_start",
**   "window_end", "nations": ["SN","ML"], "audience" (optional, a list
**   or "ML,SN"; default the nations; it must hold every one of them),
**   "geometry": a GeoJSON LineString (route) or Polygon (area)}. This
**   node's nation must take part. id is the patrol's id: the id of its
**   first plan, which links to itself.
*/
int patrol_create(struct node *n, const json_t *in,
    const struct patrol_opts *o, uint8_t id[16], struct dib_diag *d);

/*
** A new version of the plan (the same keys, each optional: what is not
** given is kept; "audience" may widen only). Only the plan's origin node
** may, while draft, proposed, approved or rejected. Approvals count for
** the new version only, so an approved plan goes back to proposed.
** DIB_ENOTFOUND, DIB_EPERM (not this node's plan), DIB_ECONFLICT.
*/
int patrol_update(struct node *n, const uint8_t patrol[16],
    const json_t *in, const struct patrol_opts *o, uint8_t id[16],
    struct dib_diag *d);

/*
** A unit of this node's nation: {"nation" (default and only value: this
** node's), "unit", "leader" (rank or callsign), "strength"}. Not once the
** patrol is completed, aborted or rejected.
*/
int patrol_add_unit(struct node *n, const uint8_t patrol[16],
    const json_t *in, const struct patrol_opts *o, uint8_t id[16],
    struct dib_diag *d);

/*
** A leg: {"seq", "lead_nation" (a participating nation), "start", "end",
** "remarks", and the handover point as "geometry" (a GeoJSON Point) or
** "location" (coordinate text: decimal, DMS, UTM, MGRS)}.
*/
int patrol_add_leg(struct node *n, const uint8_t patrol[16],
    const json_t *in, const struct patrol_opts *o, uint8_t id[16],
    struct dib_diag *d);

/*
** This nation's debrief: {"text", "nation" (default and only value: this
** node's)}, once the patrol is underway, completed or aborted.
*/
int patrol_add_debrief(struct node *n, const uint8_t patrol[16],
    const json_t *in, const struct patrol_opts *o, uint8_t id[16],
    struct dib_diag *d);

/*
** Decision verb by this node's nation about the current plan version,
** with reason (NULL or "" for none; required for reject and abort). See
** patrol_check for what is refused.
*/
int patrol_act(struct node *n, const uint8_t patrol[16], int verb,
    const char *reason, const struct patrol_opts *o, uint8_t id[16],
    struct dib_diag *d);

/*
** Reads. patrol_get: the patrol with everything linked to it, as a new
** JSON object in *out (json_decref it): "id", "code", "patrol_type",
** "objective", "window_start", "window_end", "nations", "audience",
** "origin" {node, nation, name}, "status", "plan_version", "versions",
** "updated_at", "geometry", "approvals" {nation: {"approved", "at",
** "record", "rejected", "reason"}}, "units" {nation: [...]}, "legs",
** "actions" [{"id", "action", "nation", "at", "reason", "plan_version",
** "counts"}], "debriefs", "observations" (how many other records link
** to it). DIB_ENOTFOUND when no current plan has that id (never made,
** not received, or retracted).
*/
int patrol_get(struct node *n, const uint8_t patrol[16], json_t **out,
    struct dib_diag *d);

/* What patrol_list keeps; zeroed: everything. */
struct patrol_filter {
	int has_from, has_to;
	int64_t from, to;               /* the window meets [from, to], ms */
	int has_status;
	int status;                     /* enum patrol_status */
	char nation[3];                 /* takes part; "" for any */
	char section[65];               /* comes near this border section
	                                 * (its id); "" for any */
	double buffer_m;                /* how near: 0 is PATROL_BUFFER_M */
};

/*
** The filter from the texts people give (each NULL: not given): from and
** to (RFC 3339), status (a status name), nation, section (an id), buffer
** (metres, in (0, PATROL_BUFFER_MAX], with a section). DIB_EINVAL naming
** the one that is wrong ("from", "to", "status", ...).
*/
int patrol_filter_parse(struct patrol_filter *f, const char *from,
    const char *to, const char *status, const char *nation,
    const char *section, const char *buffer, struct dib_diag *d);

/* A buffer in metres in (0, PATROL_BUFFER_MAX]; DIB_EINVAL naming field. */
int patrol_buffer_parse(const char *s, const char *field, double *v,
    struct dib_diag *d);

/*
** The patrols held, newest window first, each as patrol_get gives it but
** with counts ("units", "legs", "actions", "debriefs" as numbers) in
** place of the lists: {"patrols": [...]} in *out (json_decref it).
** With a section: the patrols whose planned route or area, or whose
** tracks (their display geometry, within 10 m of the points), come
** within buffer_m of that border section (see docs/patrols.md);
** DIB_EINVAL (field "section") for a section the node does not have,
** (field "buffer_m") for a buffer outside (0, PATROL_BUFFER_MAX].
*/
int patrol_list(struct node *n, const struct patrol_filter *f,
    json_t **out, struct dib_diag *d);

/* ---- GPS tracks (patrol_track.c, docs/patrols.md "Tracks") ---- */

#define PATROL_PIECE_MAX 2000           /* points in one track record */
#define PATROL_DISPLAY_M 10.0           /* display simplification (m) */
#define PATROL_DISPLAY_MAX 500          /* vertices of a piece's geometry */
#define PATROL_BUFFER_M 2000.0          /* default section buffer (m) */
#define PATROL_BUFFER_MAX 50000.0       /* largest section buffer (m) */
#define PATROL_TRACK_RULES "track-rules.json"   /* in the node directory */

/* Where an upload came from: the "source" attribute of its pieces. */
enum patrol_source {
	PATROL_SOURCE_GPX = 0,
	PATROL_SOURCE_API,
	PATROL_SOURCE_DEVICE
};

/* How an upload is written. */
struct patrol_track_in {
	int source;                     /* enum patrol_source */
	int has_max_speed, has_gap;     /* override the rules of the type */
	double max_speed_ms, gap_s;
	const struct patrol_opts *o;    /* time of untimed pieces and a base
	                                 * id for deterministic piece ids;
	                                 * NULL: now, random ids */
};

/* One upload, cleaned and cut into records, ready to append. */
struct patrol_track_batch {
	uint8_t patrol[16];
	char version[37];               /* the plan version checked */
	char audience[UTIL_AUDIENCE_LEN];
	struct record *recs;            /* the pieces, in seq order */
	size_t n;
	char track_id[37];              /* the id of the first piece */
	char patrol_type[16];
	struct track_rules rules;       /* what cleaning used */
	size_t n_in, n_out, out_of_order, duplicates, spikes, no_time;
	size_t bad_ele, time_gaps, jumps, segments;
	double gap_total_s;
	size_t points;                  /* points stored (a point shared by
	                                 * two pieces counts once) */
	double length_m;                /* geodesic, within segments */
	int64_t t_start, t_end;         /* first and last time, 0 none */
};

/*
** The rules of cleaning for a patrol type ("vehicle", ...): the track
** library's defaults of the mode (docs/tracks.md), then the node's
** DIR/track-rules.json if there is one: {"vehicle": {"max_speed_ms": 40,
** "gap_s": 600}, ...} with members max_speed_ms, noise_m, gap_s and
** jump_m (numbers > 0) per type. DIB_EINVAL naming the file and member.
*/
int patrol_track_rules(const char *dir, const char *patrol_type,
    struct track_rules *r, struct dib_diag *d);

/*
** Prepare an upload tr (its points are cleaned in place) for patrol:
** this node's nation must take part (DIB_EPERM) and the patrol be
** underway, completed or aborted (DIB_ECONFLICT, field "status"). Cleans
** with the rules of the patrol's type (and in's overrides), cuts each
** segment into pieces of at most PATROL_PIECE_MAX points (fewer when the
** text would pass the model's max_length; a piece never spans a gap; a
** piece continuing a segment starts with the previous piece's last
** point), and encodes each as a patrol.track record in the patrol's
** audience, linked to it: points, counts, the display geometry
** (Douglas-Peucker at PATROL_DISPLAY_M, at most PATROL_DISPLAY_MAX
** vertices). The cleaning report goes into the first piece. Reads the
** database (the patrol), never writes: a request thread may prepare
** while the writer writes. DIB_EINVAL for no point or an invalid one
** (field "points[i].lat"...). b is zeroed first; free it with
** patrol_track_batch_free on every path.
*/
int patrol_track_prepare(struct node *n, const uint8_t patrol[16],
    struct track *tr, const struct patrol_track_in *in,
    struct patrol_track_batch *b, struct dib_diag *d);

/*
** Append a prepared upload, all pieces in one transaction (the caller's
** when it holds one, which it should): the patrol is checked again (the
** nation, the status, the same audience) and b's records are appended.
** DIB_ECONFLICT when the patrol changed since the preparation.
*/
int patrol_track_commit(struct node *n, struct patrol_track_batch *b,
    struct dib_diag *d);

/* Prepare and commit. */
int patrol_add_track(struct node *n, const uint8_t patrol[16],
    struct track *tr, const struct patrol_track_in *in,
    struct patrol_track_batch *b, struct dib_diag *d);

/* Accepts NULL and a batch already freed. */
void patrol_track_batch_free(struct patrol_track_batch *b);

/*
** What an upload did, for the answer (new reference): {"patrol",
** "track_id", "pieces": [ids], "points", "length_m", "t_start", "t_end",
** "source", "rules": {...}, "report": {"points_in", "points_kept",
** "out_of_order", "duplicates", "spikes", "no_time", "bad_elevations",
** "time_gaps", "jumps", "gap_s", "segments"}}.
*/
json_t *patrol_track_batch_json(const struct patrol_track_batch *b);

/*
** A track from GeoJSON (RFC 7946, as GPS apps and togeojson write it): a
** LineString or MultiLineString geometry, a Feature of one, or a
** FeatureCollection of such features (other geometries, e.g. waypoints,
** are skipped). Positions [lon, lat] or [lon, lat, ele]. Times, when
** known, are in the Feature's properties.coordTimes: RFC 3339 strings
** aligned with the coordinates (for a MultiLineString an array per
** line), null for a point without time. Each line is a segment. At most
** max points (0: TRACK_GPX_MAX_POINTS). DIB_EINVAL naming the member
** ("features[0].properties.coordTimes[3]"), DIB_ETOOBIG.
*/
int patrol_track_from_geojson(const json_t *j, struct track *tr,
    size_t max, struct dib_diag *d);

/*
** The tracks of a patrol as a GeoJSON FeatureCollection (new reference
** in *out): one Feature per upload, by nation then upload, a LineString
** or MultiLineString simplified for the web map zoom level (zoom < 0:
** every point), with properties track_id, nation, source, pieces,
** points (stored), vertices (shown), segments, length_m, total_s,
** moving_s, time_start, time_end. DIB_ENOTFOUND for an unknown patrol.
*/
int patrol_tracks_geojson(struct node *n, const uint8_t patrol[16],
    int zoom, json_t **out, struct dib_diag *d);

/*
** The tracks of a patrol as GPX 1.1, every point, one trk per upload
** (named "<code> <nation> <n>") with a trkseg per segment, appended to
** out (DIB_ETOOBIG past its cap). now_ms: the metadata time (0: now).
*/
int patrol_tracks_gpx(struct node *n, const uint8_t patrol[16],
    struct buf *out, int64_t now_ms, struct dib_diag *d);

/* ---- the debrief statistics (patrol_summary.c) ---- */

struct patrol_summary_opts {
	double buffer_m;                /* section buffer; 0: PATROL_BUFFER_M */
	const struct ref_sections *sections;    /* NULL: the node's layer */
};

/*
** The computed debrief of a patrol (new reference in *out), the same on
** every node that holds the same records: distance, moving and total
** time, points and cleaning totals over every track, per nation too;
** the border sections the tracks passed within buffer_m of; the
** deviation from the planned route (or the share of points inside the
** planned area); observations by category; the debriefs. See
** docs/patrols.md for every member. DIB_ENOTFOUND, DIB_EINVAL (field
** "buffer_m").
*/
int patrol_summary(struct node *n, const uint8_t patrol[16],
    const struct patrol_summary_opts *o, json_t **out, struct dib_diag *d);

#endif
