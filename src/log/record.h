/*
** Records: what people and devices create. A record is immutable JSON,
** encoded once by its origin node; these exact bytes are hashed, signed,
** stored and shipped. This module turns input into a validated record and
** reads the metadata back out of stored bytes.
*/
#ifndef DIB_RECORD_H
#define DIB_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/err.h"
#include "util/util.h"

struct model;

#define RECORD_MAX_BODY (1024 * 1024)   /* bytes of one encoded record */
#define RECORD_MAX_POSITIONS 100000     /* positions in one geometry */
#define RECORD_MAX_REASON 1000          /* characters of a retraction */

enum record_geom {
	RECORD_GEOM_NONE = 0,
	RECORD_GEOM_POINT,
	RECORD_GEOM_LINE,
	RECORD_GEOM_POLYGON
};

struct arena;

/* The metadata of one record, as the projector and queries need it. */
struct record {
	uint8_t id[16];                 /* UUIDv7 */
	char category[128];             /* dotted model id; "" if none */
	char kind[32];                  /* observation, retraction, ... */
	int prec;                       /* enum model_prec */
	int64_t t;                      /* observed_at, ms */
	int geom;                       /* enum record_geom */
	double lon, lat;                /* the point, or the bbox centre */
	double minx, miny, maxx, maxy;  /* bbox of the geometry */
	int has_patrol;
	uint8_t patrol[16];             /* the patrol it belongs to */
	int has_supersedes;
	uint8_t supersedes[16];         /* the record it replaces */
	int has_retracts;
	uint8_t retracts[16];           /* the record it withdraws */
	char audience[UTIL_AUDIENCE_LEN]; /* its log's audience */
	unsigned char *body;            /* encoded bytes, owned (unless
	                                 * body_shared), may be NULL */
	size_t body_len;
	int body_shared;                /* 1: body lives in an arena
	                                 * (record_body_arena), not freed by
	                                 * record_clear */
	char *text;                     /* its words for full-text search:
	                                 * string attribute values, owned,
	                                 * NULL if none */
};

/* Release the body and text of r (not r itself). Accepts NULL. */
void record_clear(struct record *r);

/*
** From now on, and until called again with NULL, record_from_json on this
** thread puts the bodies it makes in a (and sets body_shared): a bulk of
** records then costs a few allocations, not one per record, and is freed
** at once with the arena (after record_clear of each record).
*/
void record_body_arena(struct arena *a);

/*
** Validate a record given as JSON input ({"category", "observed_at",
** "geometry" | "location", "attributes", "audience", "precedence",
** "patrol", "supersedes"}) against the model and encode it into r.
** default_audience applies when the input names none. id, if not NULL,
** is used instead of a new UUIDv7 (demo seeding, tests). On error r holds
** nothing and d names the field.
*/
int record_from_json(const struct model *m, const json_t *in,
    const char *default_audience, const uint8_t *id, struct record *r,
    struct dib_diag *d);

/*
** Encode a retraction of the record old_id with a reason, in audience.
*/
int record_retraction(const uint8_t old_id[16], const char *reason,
    const char *audience, int64_t now, struct record *r,
    struct dib_diag *d);

/*
** Read the metadata of stored bytes back into r (r->body is not set).
** Checks structure, not the model: a partner's unknown category is kept.
*/
int record_parse_body(const unsigned char *body, size_t len,
    struct record *r, struct dib_diag *d);

/*
** Validate a GeoJSON geometry object (Point, LineString, Polygon; WGS84
** positions in range) and compute its type, bbox and centre into r.
*/
int record_check_geometry(const json_t *g, struct record *r,
    struct dib_diag *d);

#endif
