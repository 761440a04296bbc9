/*
** Border sections: each nation's commanders set the impact level of their
** side of a section (the EUROSUR model: low, medium, high, critical) with
** a reason; raising a side to medium or more also writes a notice to the
** partner nations' commanders. Both are ordinary records (section.status,
** section.notice) that only this module writes. The board (both sides'
** current levels, the incidents near each section) is derived from the
** records held, the same on every node. See docs/sections.md.
*/
#ifndef DIB_SECTION_H
#define DIB_SECTION_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/err.h"
#include "util/util.h"

struct node;

#define SECTION_CAT "section"                  /* the group of the domain */
#define SECTION_CAT_STATUS "section.status"
#define SECTION_CAT_NOTICE "section.notice"

#define SECTION_ID_MAX 64               /* bytes of a section id */
#define SECTION_BUFFER_M 5000.0         /* the board's default buffer */
#define SECTION_BUFFER_MAX 100000.0     /* the largest buffer asked for */
#define SECTION_WINDOW_DAYS 30          /* incidents of the last 30 days */
#define SECTION_LATEST 5                /* incidents listed per section */
/* The partnership: the default audience of a level, with this node's
** nation added when it is not one of them. */
#define SECTION_PARTNERSHIP "ML,SN"

/* The impact levels, lowest first. */
enum section_level {
	SECTION_LOW = 0,
	SECTION_MEDIUM,
	SECTION_HIGH,
	SECTION_CRITICAL,
	SECTION_LEVEL_COUNT
};

/* "low", ... ; NULL for an unknown value. */
const char *section_level_name(int level);
/* "faible", "moyen", "élevé", "critique" (lang "fr", the default) or the
** English words; NULL for an unknown value. */
const char *section_level_label(int level, const char *lang);
/* -1 for an unknown or NULL name. */
int section_level_parse(const char *s);

/* One level record as the derivation sees it. */
struct section_mark {
	char section[SECTION_ID_MAX + 1];
	char nation[3];                 /* of the node that signed it */
	int level;                      /* enum section_level */
	int64_t t;                      /* observed_at, ms */
	uint8_t id[16];
};

/* Does a come after b: a later observed_at, or the same and a larger id? */
int section_mark_after(const struct section_mark *a,
    const struct section_mark *b);

/*
** The current mark of nation's side of section among m[0..n): the one
** that comes last (section_mark_after) among those observed at or before
** until (INT64_MAX: any). Its index, or -1 when there is none. The same
** set gives the same answer in any order.
*/
long section_current(const struct section_mark *m, size_t n,
    const char *section, const char *nation, int64_t until);

/*
** The level of mark k's side just before it: the mark of the same
** section and nation that comes last among those before m[k]; -1 when
** there is none.
*/
int section_previous(const struct section_mark *m, size_t n, size_t k);

/*
** Does setting level after prev (-1: no level yet) notify the partners?
** Only a raise to medium or more: level >= medium and level > prev.
*/
int section_notifies(int prev, int level);

/*
** Is category id one of the domain's (section.*)? Its records are
** written through this module only (node_domain_owned refuses them on
** the generic paths).
*/
int section_category_reserved(const char *id);

/* How a write is stamped; NULL means now and new UUIDv7s. */
struct section_opts {
	int64_t at;                     /* observed_at, ms; 0: now */
	const uint8_t *id;              /* the status record's id, or NULL;
	                                 * the notices' ids derive from it */
};

/* What section_set wrote. */
struct section_result {
	uint8_t id[16];                 /* the section.status record */
	int level;                      /* enum section_level */
	int previous;                   /* this side's level before, -1 none */
	char audience[UTIL_AUDIENCE_LEN];
	size_t nnotices;                /* section.notice records, one per
	                                 * partner nation of the audience */
	uint8_t notices[UTIL_AUDIENCE_MAX][16];
	char for_nation[UTIL_AUDIENCE_MAX][3];
};

/*
** Set this node's nation's level of section: in is {"level", "reason",
** "audience" (optional: "ML,SN" or ["SN","ML"]; default this node's nation
** and SECTION_PARTNERSHIP; it must hold this node's nation)}. When the
** level is medium or more and higher than this side's level before
** (none counts as lower), one section.notice per other nation of the
** audience is appended with the status, in one block: for_nation, the
** status id, and a message in French and English. Appends with
** node_append: inside the caller's transaction, which should hold the
** read of the previous level too. Errors: DIB_ENOTFOUND (field
** "section": not a section of this node's reference), DIB_EINVAL naming
** "level", "reason", "audience" or an unknown key. res is zeroed on
** failure.
*/
int section_set(struct node *n, const char *section, const json_t *in,
    const struct section_opts *o, struct section_result *res,
    struct dib_diag *d);

/* What the board reads; zeroed: now, SECTION_BUFFER_M. */
struct section_query {
	int has_at;
	int64_t at;             /* levels as of at; incidents of the 30 days
	                         * before it (ms) */
	int has_buffer;
	double buffer_m;        /* [0, SECTION_BUFFER_MAX] metres */
};

/*
** The board, as a new object in *out (json_decref it): {"sections":
** [{"id", "seq", "name_fr", "name_en", "length_km", "levels": {nation:
** {"level", "reason", "set_at", "record", "node"} or null}, "incidents":
** {"count", "latest": [{"id", "category", "observed_at", "precedence",
** "nation"}]}}], "nations", "at", "from", "buffer_m", "window_days"}.
** Incidents are current records of category kind incident or under
** "security" whose point lies within buffer_m of the section. Errors:
** DIB_EINVAL (field "buffer_m"), those of the reference layer, DIB_EDB.
*/
int section_board(struct node *n, const struct section_query *q,
    json_t **out, struct dib_diag *d);

/*
** One section as on the board, plus "from_km", "to_km", "geometry" and
** "history": every level record of every side, newest first: {"record",
** "nation", "level", "previous", "reason", "set_at", "node", "audience",
** "notices": [{"id", "for_nation"}]}. DIB_ENOTFOUND (field "section").
*/
int section_get(struct node *n, const char *section,
    const struct section_query *q, json_t **out, struct dib_diag *d);

/*
** The notices addressed to this node's nation by another nation's node,
** newest first: {"notifications": [{"id", "section", "name_fr",
** "name_en", "level", "nation", "node", "status_id", "message", "at",
** "current"}]}, "current" being that side's level now ({"level",
** "set_at", "record"} or null).
*/
int section_notifications(struct node *n, json_t **out, struct dib_diag *d);

#endif
