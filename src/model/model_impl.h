/*
** Inside the model: the structures model.c builds at load time and
** model_validate.c reads on every record. Not for other modules.
*/
#ifndef DIB_MODEL_IMPL_H
#define DIB_MODEL_IMPL_H

#include <stddef.h>
#include <string.h>

#include <jansson.h>

#include "model/model.h"

/* A text in each language of the model, by language index; NULL if none. */
struct model_text {
	const char *s[MODEL_MAX_LANGS];
};

struct model_value {
	const char *id;
	struct model_text label;
};

struct model_attr {
	const char *key;
	const struct model_category *owner;     /* where it is defined */
	int type;                               /* enum model_type */
	int required;
	int has_min, has_max;
	json_int_t imin, imax;                  /* integer attributes */
	double dmin, dmax;                      /* both numeric types */
	const char *unit;                       /* or NULL */
	size_t max_length;                      /* text: characters */
	int nosearch;                           /* text: "search": false */
	struct model_text label, desc;
	struct model_value *values;             /* enum: in model order */
	const struct model_value **byid;        /* the same, sorted by id */
	size_t nvalues;
};

struct model_category {
	const struct model *model;
	const struct model_category *parent;
	struct model_category *child, *last_child, *next;   /* the tree */
	size_t nchildren;
	const char *id;
	int depth;
	struct model_text label, desc;
	const char *kind;                       /* static string */
	int prec;                               /* enum model_prec */
	int geom;                               /* enum model_geom */
	const struct model_attr **attrs;        /* inherited ones first */
	const struct model_attr **bykey;        /* the same, sorted by key */
	size_t nattrs;
	size_t nrequired;
};

struct model_chunk;

struct model {
	struct model_chunk *chunks;             /* the arena everything is in */
	const char *version;
	const char *langs[MODEL_MAX_LANGS + 1];  /* NULL-terminated */
	int nlangs;
	int fr, en;                             /* indexes in langs; en -1 */
	struct model_text notice;
	struct model_category *root, *last_root;
	struct model_category **hash;           /* open addressing on id */
	const struct model_category **order;    /* depth first */
	size_t ncat;
};

/* The text in lang, else fr, else en; NULL if none. */
const char *model_text_get(const struct model *m, const struct model_text *t,
    const char *lang);

/* The attribute of c with key, or NULL (binary search). */
const struct model_attr *model_attr_lookup(const struct model_category *c,
    const char *key);

/*
** Scan n bytes of UTF-8 text: 0 if valid, counting characters in *nchars;
** MODEL_SCAN_UTF8 if malformed; MODEL_SCAN_CTRL for a control character
** (*cp is the code point, *at its character index). With lines, \n and
** \t are allowed.
*/
#define MODEL_SCAN_UTF8 1
#define MODEL_SCAN_CTRL 2
int model_text_scan(const char *s, size_t n, int lines, size_t *nchars,
    unsigned long *cp, size_t *at);

/*
** s[0..n) as a quoted string for a message into buf: escaped, invalid
** UTF-8 as \xNN, cut after 40 characters. Returns buf.
*/
const char *model_quote(const char *s, size_t n, char *buf, size_t size);

/* A JSON value for a message: a quoted string, a number, "an object"... */
const char *model_json_brief(const json_t *v, char *buf, size_t size);

/* Replace control characters and invalid UTF-8 in s by '?'. */
void model_sanitize(char *s);

/*
** strcmp's order, the first bytes compared inline: the binary searches of
** attribute keys and value ids, run for every value of every record, mostly
** part at the first byte.
*/
static inline int
model_keycmp(const char *a, const char *b)
{
	int d = (unsigned char)a[0] - (unsigned char)b[0];

	return d != 0 || a[0] == '\0' ? d : strcmp(a + 1, b + 1);
}

#endif
