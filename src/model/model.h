/*
** The data model: a bilingual tree of record categories, each with typed
** attributes, loaded from JSON, and the validation of records against it.
**
** A model file (data/model.json is the default, carried in the binary):
**
**   {"format": "diboli-model/1", "version": "2025.1",
**    "languages": ["fr", "en"],
**    "notice": {"fr": "...", "en": "..."},
**    "categories": [category, ...]}
**
** "languages" lists the label languages ([a-z]{2,3}, at most 8); "fr" is
** required and is the fallback of every label. "notice" (optional) is the
** reminder shown beside every free-text field. Members whose name starts
** with "_" are comments and are ignored; any other unknown member is an
** error. A label is an object {"fr": "...", "en": "..."} whose keys are
** model languages; "fr" is required.
**
** A category:
**   "id"           dotted lower-case id, stable and language-neutral:
**                  segments [a-z][a-z0-9_]*, at most 127 characters. A
**                  child's id is its parent's id, a dot and one segment.
**   "label"        required; "description" optional.
**   "kind"         observation, incident, sample, aggregate, event,
**                  register, patrol, approval, track, status, alert or
**                  report. Inherited; default observation.
**   "precedence"   FLASH, IMMEDIATE, PRIORITY or ROUTINE. Inherited;
**                  default ROUTINE.
**   "geometry"     what a record must carry (enum model_geom): "point",
**                  "line", "polygon", "point-or-polygon", "any" (one of
**                  the three), "optional-point", "optional" (any or none),
**                  "none", "line-or-polygon" (a route or an area).
**                  Inherited; default "point".
**   "attributes"   list; a category's attributes are its ancestors' then
**                  its own, and it may not redefine an inherited key.
**   "children"     list of categories. Records may use leaves only.
**
** An attribute:
**   "key"          [a-z][a-z0-9_]*, at most 48 characters.
**   "type"         integer, number, text, enum, multi_enum, boolean or
**                  datetime.
**   "label"        required; "description" optional.
**   "required"     boolean, default false.
**   "min", "max"   integer and number only (JSON integers for integer).
**   "unit"         integer and number only: "NTU", "µg/L", "XOF", "min"...
**   "max_length"   text only: characters, default 2000, at most 20000.
**   "search"       text only: false keeps the values out of full-text
**                  search (encoded data such as a track's points, ids);
**                  default true.
**   "values"       enum and multi_enum only, required: 1 to 500 of
**                  {"id": "fuel", "label": {...}}; ids are letters,
**                  digits, "_", "-" and ".", at most 48 characters.
**
** Limits: 2000 categories, depth 8, 200 attributes per category
** (inherited ones included).
**
** A node may extend the default model instead of replacing it:
**
**   {"format": "diboli-model/1", "extends": "default",
**    "version": "sn-zone4.1", "categories": [category, ...]}
**
** Each listed category is new (an id already in the default is an error).
** It is placed by its id: "security.piracy" becomes the last child of
** "security", which must exist and not be a leaf (records use leaves, so
** a leaf never becomes a group); an id of one segment is a new root. The
** resolved version is "<default version>+<extension version>". An
** extension cannot change languages or the notice.
**
** Values of attributes (model_validate_attributes):
**   integer     a JSON integer; 3.0 is refused, since readers of the
**               record take json_integer_value().
**   number      a JSON integer or real.
**   text        a string of valid UTF-8 without control characters other
**               than \n and \t, at most max_length characters; a
**               required text may not be empty.
**   enum        one value id as a string.
**   multi_enum  an array of distinct value ids; may be empty unless the
**               attribute is required.
**   boolean     true or false.
**   datetime    RFC 3339: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM),
**               upper-case T and Z, a real calendar date, years 1900 to
**               9999, no leap second.
**   null is not a value: leave the key out instead.
*/
#ifndef DIB_MODEL_H
#define DIB_MODEL_H

#include <stddef.h>

#include <jansson.h>

#include "util/err.h"

#define MODEL_FORMAT "diboli-model/1"
#define MODEL_MAX_CATEGORIES 2000
#define MODEL_MAX_DEPTH 8
#define MODEL_MAX_ATTRS 200
#define MODEL_MAX_VALUES 500
#define MODEL_MAX_LANGS 8
#define MODEL_ID_MAX 127            /* characters of a category id */
#define MODEL_KEY_MAX 48            /* characters of a key or value id */
#define MODEL_TEXT_DEFAULT 2000     /* default max_length of a text */
#define MODEL_TEXT_MAX 20000        /* hard cap of max_length */
#define MODEL_FILE_MAX (8 * 1024 * 1024)    /* bytes of a model file */

enum model_prec {
	MODEL_FLASH = 0,
	MODEL_IMMEDIATE,
	MODEL_PRIORITY,
	MODEL_ROUTINE
};

enum model_type {
	MODEL_INTEGER,
	MODEL_NUMBER,
	MODEL_TEXT,
	MODEL_ENUM,
	MODEL_MULTI_ENUM,
	MODEL_BOOLEAN,
	MODEL_DATETIME
};

/* What geometry a record of a category carries. */
enum model_geom {
	MODEL_GEOM_POINT,               /* a Point, required */
	MODEL_GEOM_LINE,                /* a LineString, required */
	MODEL_GEOM_POLYGON,             /* a Polygon, required */
	MODEL_GEOM_POINT_OR_POLYGON,    /* a place or an area, required */
	MODEL_GEOM_ANY,                 /* Point, LineString or Polygon */
	MODEL_GEOM_OPTIONAL_POINT,      /* a Point or nothing */
	MODEL_GEOM_OPTIONAL,            /* any of the three or nothing */
	MODEL_GEOM_NONE,                /* nothing */
	MODEL_GEOM_LINE_OR_POLYGON      /* a route or an area, required */
};

struct model;                   /* opaque */
struct model_category;          /* opaque, owned by its model */
struct model_attr;              /* opaque, owned by its model */

/*
** Parse and check a model file of len bytes (a full model or an
** extension of the default). On success *out is a new model to release
** with model_free(); on error *out is NULL and d names the JSON path at
** fault ("categories[3].attributes[2].type"). DIB_EINVAL, DIB_ETOOBIG
** over a limit, DIB_ENOMEM.
*/
int model_load(const char *text, size_t len, struct model **out,
    struct dib_diag *d);

/* The default model, data/model.json embedded in the binary. */
int model_load_default(struct model **out, struct dib_diag *d);

/*
** A model file on disk: DIB_ENOTFOUND or DIB_EIO (field = path) if it
** cannot be read, else as model_load().
*/
int model_load_file(const char *path, struct model **out,
    struct dib_diag *d);

/* A node's model: DIR/model.json if it exists, else the default. */
int model_load_node(const char *dir, struct model **out,
    struct dib_diag *d);

/* Release m and everything it owns. Accepts NULL. */
void model_free(struct model *m);

/* "2025.1", or "2025.1+local" for an extended default. Owned by m. */
const char *model_version(const struct model *m);

/* Does the model carry labels in lang? */
int model_has_language(const struct model *m, const char *lang);

/* The reminder for free-text fields in lang (fallback fr), or NULL. */
const char *model_notice(const struct model *m, const char *lang);

/*
** Categories. Strings returned are owned by the model. lang NULL means
** "fr"; a label missing in lang falls back to fr, then en.
*/
const struct model_category *model_find(const struct model *m,
    const char *id);
size_t model_category_count(const struct model *m);
/* The i-th category in tree order (depth first), NULL past the end. */
const struct model_category *model_category_at(const struct model *m,
    size_t i);
int model_category_depth(const struct model_category *c);   /* roots: 0 */
const struct model_category *model_category_parent(
    const struct model_category *c);
int model_category_is_leaf(const struct model_category *c);
const char *model_category_id(const struct model_category *c);
const char *model_category_label(const struct model_category *c,
    const char *lang);
/* NULL when the category has none. */
const char *model_category_description(const struct model_category *c,
    const char *lang);
const char *model_category_kind(const struct model_category *c);
int model_category_precedence(const struct model_category *c);
int model_category_geometry(const struct model_category *c);

/*
** Check a record's geometry type ("Point", "LineString", "Polygon", or
** NULL for none) against the category. DIB_EINVAL, field "geometry".
*/
int model_check_geometry(const struct model_category *c,
    const char *geojson_type, struct dib_diag *d);

/*
** Validate attrs (a JSON object; NULL means {}) against c: unknown keys,
** types, ranges, lengths, enum values, required keys (see the top of
** this file). DIB_EINVAL with field "attributes.<key>" and a message
** like 'must be a number >= 0, got "abc"'. Allocates nothing.
*/
int model_validate_attributes(const struct model_category *c,
    const json_t *attrs, struct dib_diag *d);

/*
** model_validate_attributes that also appends to text, in the object's
** order, the value of each text attribute that goes into search (not
** "search": false), one a line: the words of a new record, found in the
** same pass. Past its limit text is left short with its oom set.
*/
struct buf;
int model_validate_attributes_text(const struct model_category *c,
    const json_t *attrs, struct buf *text, struct dib_diag *d);

/*
** Convert the text of "--attr key=value" into the JSON value of the
** attribute's type and check it: integer and number (a decimal comma is
** accepted), boolean (true/false, oui/non, yes/no, vrai/faux, 1/0), enum
** id, multi_enum ids separated by commas, datetime, text. On success *out
** is a new reference (the caller json_decref's it); on error it is NULL.
** DIB_EINVAL, field "attributes.<key>".
*/
int model_attr_from_text(const struct model_category *c, const char *key,
    const char *value, json_t **out, struct dib_diag *d);

/*
** The resolved model as JSON (an extension merged in; kind, precedence,
** geometry and max_length made explicit; each category lists its own
** attributes). lang NULL: every label as an object, and the result loads
** again with model_load(); else labels are strings in lang. A new
** reference, or NULL when out of memory.
*/
json_t *model_to_json(const struct model *m, const char *lang);

/* "FLASH", ... or NULL for an unknown value. */
const char *model_prec_name(int prec);
/* Case-insensitive; -1 if unknown or NULL. */
int model_prec_parse(const char *s);
/* "integer", ... / "point", ... ; NULL for an unknown value. */
const char *model_type_name(int type);
const char *model_geom_name(int geom);

/*
** Attributes of a category, by key. Each returns NULL, -1 or 0 when the
** key is unknown.
*/
size_t model_attr_count(const struct model_category *c);
/* The i-th key of c: inherited ones first, in model order. */
const char *model_attr_key_at(const struct model_category *c, size_t i);
/* The category that defines the key: c itself or an ancestor. */
const struct model_category *model_attr_owner(const struct model_category *c,
    const char *key);
int model_attr_type(const struct model_category *c, const char *key);
int model_attr_required(const struct model_category *c, const char *key);
/* 1 for a text attribute whose values go into full-text search (the
** default; "search": false in the model says no), else 0. */
int model_attr_searchable(const struct model_category *c, const char *key);
const char *model_attr_label(const struct model_category *c,
    const char *key, const char *lang);
const char *model_attr_description(const struct model_category *c,
    const char *key, const char *lang);
/* NULL if none. */
const char *model_attr_unit(const struct model_category *c,
    const char *key);
/* Bit 1: *min was set, bit 2: *max was set. */
int model_attr_range(const struct model_category *c, const char *key,
    double *min, double *max);
/* Text attributes only; 0 otherwise. */
size_t model_attr_max_length(const struct model_category *c,
    const char *key);
/* Values of enum and multi_enum attributes, in model order. */
size_t model_enum_count(const struct model_category *c, const char *key);
const char *model_enum_id_at(const struct model_category *c,
    const char *key, size_t i);
const char *model_enum_label(const struct model_category *c,
    const char *key, const char *value_id, const char *lang);

#endif
