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

#include "util/err.h"
#include "util/util.h"

struct node;

#define PATROL_CAT "patrol"                 /* the group of the domain */
#define PATROL_CAT_PLAN "patrol.plan"
#define PATROL_CAT_UNIT "patrol.unit"
#define PATROL_CAT_LEG "patrol.leg"
#define PATROL_CAT_ACTION "patrol.action"
#define PATROL_CAT_DEBRIEF "patrol.debrief"

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
};

/*
** The patrols held, newest window first, each as patrol_get gives it but
** with counts ("units", "legs", "actions", "debriefs" as numbers) in
** place of the lists: {"patrols": [...]} in *out (json_decref it).
*/
int patrol_list(struct node *n, const struct patrol_filter *f,
    json_t **out, struct dib_diag *d);

#endif
