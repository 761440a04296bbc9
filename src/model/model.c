/*
** The data model: loading and checking a model file into a category tree
** indexed for fast lookups, merging a node's extension, accessors, and
** the model as JSON. Validation of records is in model_validate.c.
*/
#include "model/model.h"
#include "model/model_impl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/embed.h"

#define CHUNK_SIZE (64 * 1024)
#define HASH_CAP 4096           /* a power of two, >= 2 * max categories */
#define LABEL_MAX 200           /* characters of a label */
#define DESC_MAX 2000           /* characters of a description */
#define UNIT_MAX 16
#define VERSION_MAX 64

/* The model lives in a few large chunks, released together. */
struct model_chunk {
	struct model_chunk *next;
	size_t used, cap;
	max_align_t data[];
};

static const char *const kinds[] = {"observation", "incident", "sample",
    "aggregate", "event", "register", "patrol", "approval", "track",
    "status", "alert", "report", NULL};
static const char *const prec_names[] = {"FLASH", "IMMEDIATE", "PRIORITY",
    "ROUTINE", NULL};
static const char *const type_names[] = {"integer", "number", "text",
    "enum", "multi_enum", "boolean", "datetime", NULL};
static const char *const geom_names[] = {"point", "line", "polygon",
    "point-or-polygon", "any", "optional-point", "optional", "none",
    "line-or-polygon", NULL};

static const char *const full_members[] = {"format", "version",
    "languages", "notice", "categories", NULL};
static const char *const ext_members[] = {"format", "extends", "version",
    "categories", NULL};
static const char *const cat_members[] = {"id", "label", "description",
    "kind", "precedence", "geometry", "attributes", "children", NULL};
static const char *const attr_members[] = {"key", "type", "label",
    "description", "required", "min", "max", "unit", "max_length",
    "search", "values", NULL};
static const char *const value_members[] = {"id", "label", NULL};

/* Where the loader is in the file, for diagnostics. */
struct loader {
	struct model *m;
	struct dib_diag *d;
	char path[256];         /* "categories[3].attributes[2]" */
	size_t plen;
};

static void *
arena_alloc(struct model *m, size_t n)
{
	struct model_chunk *c = m->chunks;
	size_t a = _Alignof(max_align_t), cap;
	void *p;

	if (n > SIZE_MAX / 2)
		return NULL;
	n = (n + a - 1) & ~(a - 1);
	if (n == 0)
		n = a;
	if (c == NULL || c->cap - c->used < n) {
		cap = n > CHUNK_SIZE ? n : CHUNK_SIZE;
		if ((c = malloc(sizeof *c + cap)) == NULL)
			return NULL;
		c->next = m->chunks;
		c->used = 0;
		c->cap = cap;
		m->chunks = c;
	}
	p = (char *)c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

static char *
arena_strndup(struct model *m, const char *s, size_t n)
{
	char *p = arena_alloc(m, n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

void
model_free(struct model *m)
{
	struct model_chunk *c, *next;

	if (m == NULL)
		return;
	for (c = m->chunks; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(m);
}

static struct model *
model_new(void)
{
	struct model *m = calloc(1, sizeof *m);

	if (m == NULL)
		return NULL;
	m->en = -1;
	m->hash = arena_alloc(m, HASH_CAP * sizeof *m->hash);
	if (m->hash == NULL) {
		model_free(m);
		return NULL;
	}
	return m;
}

static size_t
hash_id(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return (size_t)(h ^ (h >> 32));
}

const struct model_category *
model_find(const struct model *m, const char *id)
{
	size_t i;

	if (m == NULL || id == NULL)
		return NULL;
	for (i = hash_id(id) & (HASH_CAP - 1); m->hash[i] != NULL;
	    i = (i + 1) & (HASH_CAP - 1))
		if (strcmp(m->hash[i]->id, id) == 0)
			return m->hash[i];
	return NULL;
}

static void
hash_add(struct model *m, struct model_category *c)
{
	size_t i;

	/* Never full: the category count is checked first. */
	for (i = hash_id(c->id) & (HASH_CAP - 1); m->hash[i] != NULL;
	    i = (i + 1) & (HASH_CAP - 1))
		;
	m->hash[i] = c;
}

/* Diagnostics naming the JSON path. */

static size_t
path_push(struct loader *ld, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static size_t
path_push(struct loader *ld, const char *fmt, ...)
{
	size_t old = ld->plen;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(ld->path + old, sizeof ld->path - old, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof ld->path - old)
		ld->plen = sizeof ld->path - 1;
	else
		ld->plen = old + (size_t)n;
	return old;
}

static size_t
path_key(struct loader *ld, const char *key)
{
	return path_push(ld, "%s%s", ld->plen ? "." : "", key);
}

static size_t
path_index(struct loader *ld, size_t i)
{
	return path_push(ld, "[%zu]", i);
}

static void
path_pop(struct loader *ld, size_t old)
{
	ld->plen = old;
	ld->path[old] = '\0';
}

/* Is s a plain name that may go into a field path? */
static int
plain_name(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return n > 0 && n <= MODEL_KEY_MAX;
}

/*
** Fail at the current path plus member (NULL for the path itself). A path
** too long for the field keeps its end, which is the precise part.
*/
static int
lfail(struct loader *ld, int code, const char *member, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
lfail(struct loader *ld, int code, const char *member, const char *fmt, ...)
{
	struct dib_diag *d = ld->d;
	char full[sizeof ld->path + 64];
	size_t n;
	va_list ap;

	if (d == NULL)
		return code;
	if (member != NULL && *member != '\0')
		snprintf(full, sizeof full, "%s%s%s", ld->path,
		    ld->plen ? "." : "", member);
	else
		snprintf(full, sizeof full, "%s", ld->path);
	n = strlen(full);
	if (n >= sizeof d->field)
		snprintf(d->field, sizeof d->field, "...%s",
		    full + n - (sizeof d->field - 4));
	else
		memcpy(d->field, full, n + 1);
	d->code = code;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof d->msg, fmt, ap);
	va_end(ap);
	return code;
}

/* "a, b, c" of a NULL-terminated list into buf. */
static const char *
list_names(const char *const *names, char *buf, size_t n)
{
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; names[i] != NULL && len < n; i++) {
		int k = snprintf(buf + len, n - len, "%s%s", i ? ", " : "",
		    names[i]);
		if (k < 0)
			break;
		len += (size_t)k;
	}
	return buf;
}

static int
find_name(const char *const *names, const char *s)
{
	int i;

	for (i = 0; s != NULL && names[i] != NULL; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

/* Every member of o is allowed or a comment ("_..."). */
static int
check_members(struct loader *ld, const json_t *o, const char *const *allowed)
{
	const char *key;
	json_t *v;
	char list[256], q[128];

	json_object_foreach((json_t *)o, key, v) {
		if (key[0] == '_' || find_name(allowed, key) >= 0)
			continue;
		return lfail(ld, DIB_EINVAL, plain_name(key) ? key : NULL,
		    "unknown member %s (expected %s)", model_quote(key,
		    strlen(key), q, sizeof q), list_names(allowed, list,
		    sizeof list));
	}
	return 0;
}

/*
** The string member k of o in *out (copied into the model), NULL when
** absent and optional. At most max characters, one line unless lines.
*/
static int
get_string(struct loader *ld, const json_t *o, const char *k, int required,
    size_t max, int lines, const char **out)
{
	const json_t *v = json_object_get(o, k);
	const char *s;
	size_t n, chars, at;
	unsigned long cp;
	int rc;

	*out = NULL;
	if (v == NULL)
		return required ? lfail(ld, DIB_EINVAL, k, "is required") : 0;
	if (!json_is_string(v))
		return lfail(ld, DIB_EINVAL, k, "must be a string");
	s = json_string_value(v);
	n = json_string_length(v);
	if (n == 0)
		return lfail(ld, DIB_EINVAL, k, "must not be empty");
	rc = model_text_scan(s, n, lines, &chars, &cp, &at);
	if (rc == MODEL_SCAN_UTF8)
		return lfail(ld, DIB_EINVAL, k, "must be valid UTF-8");
	if (rc == MODEL_SCAN_CTRL)
		return lfail(ld, DIB_EINVAL, k, "must not contain control "
		    "characters (U+%04lX at character %zu)", cp, at + 1);
	if (chars > max)
		return lfail(ld, DIB_EINVAL, k, "must be at most %zu "
		    "characters, got %zu", max, chars);
	if ((*out = arena_strndup(ld->m, s, n)) == NULL)
		return lfail(ld, DIB_ENOMEM, k, "out of memory");
	return 0;
}

/* A label object {"fr": "...", "en": "..."}; fr is required. */
static int
get_label(struct loader *ld, const json_t *o, const char *k, int required,
    size_t max, int lines, struct model_text *t)
{
	const json_t *v = json_object_get(o, k), *s;
	const char *lang;
	char langs[64], q[128];
	size_t old;
	int i, rc = 0;

	memset(t, 0, sizeof *t);
	if (v == NULL)
		return required ? lfail(ld, DIB_EINVAL, k, "is required: "
		    "{\"fr\": \"...\", \"en\": \"...\"}") : 0;
	if (!json_is_object(v))
		return lfail(ld, DIB_EINVAL, k, "must be an object of texts by "
		    "language: {\"fr\": \"...\", \"en\": \"...\"}");
	old = path_key(ld, k);
	json_object_foreach((json_t *)v, lang, s) {
		if ((i = find_name(ld->m->langs, lang)) < 0) {
			rc = lfail(ld, DIB_EINVAL, plain_name(lang) ? lang :
			    NULL, "unknown language %s (the model has %s)",
			    model_quote(lang, strlen(lang), q, sizeof q),
			    list_names(ld->m->langs, langs, sizeof langs));
			goto out;
		}
		if ((rc = get_string(ld, v, lang, 1, max, lines,
		    &t->s[i])) != 0)
			goto out;
	}
	if (t->s[ld->m->fr] == NULL)
		rc = lfail(ld, DIB_EINVAL, "fr", "is required: French comes "
		    "first");
out:
	path_pop(ld, old);
	return rc;
}

/* A string value without NUL inside, or NULL. */
static const char *
jstr(const json_t *v)
{
	const char *s = json_string_value(v);

	if (s == NULL || strlen(s) != json_string_length(v))
		return NULL;
	return s;
}

/* Segments of [a-z][a-z0-9_]*, at most MODEL_KEY_MAX each, dot-joined. */
static int
valid_id(const char *s, int dots)
{
	size_t seg = 0;

	if (strlen(s) > MODEL_ID_MAX)
		return 0;
	for (;; s++) {
		if (*s == '\0' || (dots && *s == '.')) {
			if (seg == 0)
				return 0;
			if (*s == '\0')
				return 1;
			seg = 0;
			continue;
		}
		if (!(*s >= 'a' && *s <= 'z') && (seg == 0 ||
		    !((*s >= '0' && *s <= '9') || *s == '_')))
			return 0;
		if (++seg > MODEL_KEY_MAX)
			return 0;
	}
}

/* Ids of enum values: "fuel", "SN", "5_14", "N". */
static int
valid_value_id(const char *s)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++) {
		char ch = s[n];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') ||
		    (n > 0 && (ch == '_' || ch == '-' || ch == '.'))))
			return 0;
	}
	return n > 0 && n <= MODEL_KEY_MAX;
}

static int
cmp_value(const void *a, const void *b)
{
	const struct model_value *x = *(const struct model_value *const *)a;
	const struct model_value *y = *(const struct model_value *const *)b;

	return strcmp(x->id, y->id);
}

static int
cmp_attr(const void *a, const void *b)
{
	const struct model_attr *x = *(const struct model_attr *const *)a;
	const struct model_attr *y = *(const struct model_attr *const *)b;

	return strcmp(x->key, y->key);
}

static int
parse_values(struct loader *ld, const json_t *v, struct model_attr *a)
{
	struct model_value *val;
	const json_t *e;
	const char *s;
	char q[128];
	size_t i, n, old, old2, k;
	int rc = 0;

	if (!json_is_array(v))
		return lfail(ld, DIB_EINVAL, "values", "must be an array of "
		    "{\"id\": ..., \"label\": {...}}");
	if ((n = json_array_size(v)) == 0)
		return lfail(ld, DIB_EINVAL, "values", "must list at least "
		    "one value");
	if (n > MODEL_MAX_VALUES)
		return lfail(ld, DIB_ETOOBIG, "values", "too many values: at "
		    "most %d, got %zu", MODEL_MAX_VALUES, n);
	a->values = arena_alloc(ld->m, n * sizeof *a->values);
	a->byid = arena_alloc(ld->m, n * sizeof *a->byid);
	if (a->values == NULL || a->byid == NULL)
		return lfail(ld, DIB_ENOMEM, "values", "out of memory");
	a->nvalues = n;
	old = path_key(ld, "values");
	for (i = 0; i < n; i++) {
		old2 = path_index(ld, i);
		e = json_array_get(v, i);
		val = &a->values[i];
		if (!json_is_object(e)) {
			rc = lfail(ld, DIB_EINVAL, NULL, "must be an object "
			    "{\"id\": ..., \"label\": {...}}");
			goto out;
		}
		if ((rc = check_members(ld, e, value_members)) != 0)
			goto out;
		if (json_object_get(e, "id") == NULL) {
			rc = lfail(ld, DIB_EINVAL, "id", "is required");
			goto out;
		}
		s = jstr(json_object_get(e, "id"));
		if (s == NULL || !valid_value_id(s)) {
			rc = lfail(ld, DIB_EINVAL, "id", "must be letters, "
			    "digits, '_', '-' or '.' (at most %d), got %s",
			    MODEL_KEY_MAX, model_json_brief(json_object_get(e,
			    "id"), q, sizeof q));
			goto out;
		}
		if ((val->id = arena_strndup(ld->m, s, strlen(s))) == NULL) {
			rc = lfail(ld, DIB_ENOMEM, "id", "out of memory");
			goto out;
		}
		if ((rc = get_label(ld, e, "label", 1, LABEL_MAX, 0,
		    &val->label)) != 0)
			goto out;
		a->byid[i] = val;
		path_pop(ld, old2);
	}
	qsort(a->byid, n, sizeof *a->byid, cmp_value);
	for (i = 1; i < n; i++) {
		if (strcmp(a->byid[i - 1]->id, a->byid[i]->id) != 0)
			continue;
		k = (size_t)(a->byid[i] - a->values);
		if ((size_t)(a->byid[i - 1] - a->values) > k)
			k = (size_t)(a->byid[i - 1] - a->values);
		old2 = path_index(ld, k);
		rc = lfail(ld, DIB_EINVAL, "id", "duplicate value %s",
		    model_quote(a->byid[i]->id, strlen(a->byid[i]->id), q,
		    sizeof q));
		goto out;
	}
	old2 = ld->plen;
out:
	path_pop(ld, old2);
	path_pop(ld, old);
	return rc;
}

/* min and max of a numeric attribute. */
static int
parse_range(struct loader *ld, const json_t *j, struct model_attr *a)
{
	static const char *const names[] = {"min", "max"};
	const json_t *v;
	char q[128], q2[128];
	int k;

	for (k = 0; k < 2; k++) {
		if ((v = json_object_get(j, names[k])) == NULL)
			continue;
		if (a->type != MODEL_INTEGER && a->type != MODEL_NUMBER)
			return lfail(ld, DIB_EINVAL, names[k], "only integer "
			    "and number attributes take a %s", names[k]);
		if (a->type == MODEL_INTEGER && !json_is_integer(v))
			return lfail(ld, DIB_EINVAL, names[k], "must be an "
			    "integer, got %s", model_json_brief(v, q,
			    sizeof q));
		if (!json_is_number(v))
			return lfail(ld, DIB_EINVAL, names[k], "must be a "
			    "number, got %s", model_json_brief(v, q,
			    sizeof q));
		if (k == 0) {
			a->has_min = 1;
			a->imin = json_integer_value(v);
			a->dmin = json_number_value(v);
		} else {
			a->has_max = 1;
			a->imax = json_integer_value(v);
			a->dmax = json_number_value(v);
		}
	}
	if (a->has_min && a->has_max && (a->type == MODEL_INTEGER ?
	    a->imin > a->imax : a->dmin > a->dmax))
		return lfail(ld, DIB_EINVAL, "min", "must not be greater than "
		    "max (%s > %s)", model_json_brief(json_object_get(j,
		    "min"), q, sizeof q), model_json_brief(json_object_get(j,
		    "max"), q2, sizeof q2));
	return 0;
}

static int
parse_attr(struct loader *ld, const json_t *j, const struct model_category *c,
    struct model_attr **out)
{
	struct model_attr *a;
	const json_t *v;
	const char *s;
	char q[128], list[256];
	int rc, type;

	*out = NULL;
	if (!json_is_object(j))
		return lfail(ld, DIB_EINVAL, NULL, "must be an object (an "
		    "attribute)");
	if ((rc = check_members(ld, j, attr_members)) != 0)
		return rc;
	if ((a = arena_alloc(ld->m, sizeof *a)) == NULL)
		return lfail(ld, DIB_ENOMEM, NULL, "out of memory");
	a->owner = c;

	if ((v = json_object_get(j, "key")) == NULL)
		return lfail(ld, DIB_EINVAL, "key", "is required");
	if ((s = jstr(v)) == NULL || !valid_id(s, 0))
		return lfail(ld, DIB_EINVAL, "key", "must match "
		    "[a-z][a-z0-9_]* with at most %d characters, got %s",
		    MODEL_KEY_MAX, model_json_brief(v, q, sizeof q));
	if ((a->key = arena_strndup(ld->m, s, strlen(s))) == NULL)
		return lfail(ld, DIB_ENOMEM, "key", "out of memory");

	if ((v = json_object_get(j, "type")) == NULL)
		return lfail(ld, DIB_EINVAL, "type", "is required (%s)",
		    list_names(type_names, list, sizeof list));
	if ((type = find_name(type_names, jstr(v))) < 0)
		return lfail(ld, DIB_EINVAL, "type", "unknown type %s "
		    "(expected %s)", model_json_brief(v, q, sizeof q),
		    list_names(type_names, list, sizeof list));
	a->type = type;

	if ((rc = get_label(ld, j, "label", 1, LABEL_MAX, 0,
	    &a->label)) != 0 || (rc = get_label(ld, j, "description", 0,
	    DESC_MAX, 1, &a->desc)) != 0)
		return rc;
	if ((v = json_object_get(j, "required")) != NULL) {
		if (!json_is_boolean(v))
			return lfail(ld, DIB_EINVAL, "required", "must be "
			    "true or false, got %s", model_json_brief(v, q,
			    sizeof q));
		a->required = json_is_true(v);
	}
	if ((rc = parse_range(ld, j, a)) != 0)
		return rc;

	if (json_object_get(j, "unit") != NULL && type != MODEL_INTEGER &&
	    type != MODEL_NUMBER)
		return lfail(ld, DIB_EINVAL, "unit", "only integer and number "
		    "attributes take a unit");
	if ((rc = get_string(ld, j, "unit", 0, UNIT_MAX, 0, &a->unit)) != 0)
		return rc;

	v = json_object_get(j, "max_length");
	if (v != NULL && type != MODEL_TEXT)
		return lfail(ld, DIB_EINVAL, "max_length", "only text "
		    "attributes take a max_length");
	if (type == MODEL_TEXT)
		a->max_length = MODEL_TEXT_DEFAULT;
	if (v != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > MODEL_TEXT_MAX)
			return lfail(ld, DIB_EINVAL, "max_length", "must be an "
			    "integer from 1 to %d, got %s", MODEL_TEXT_MAX,
			    model_json_brief(v, q, sizeof q));
		a->max_length = (size_t)json_integer_value(v);
	}
	v = json_object_get(j, "search");
	if (v != NULL && type != MODEL_TEXT)
		return lfail(ld, DIB_EINVAL, "search", "only text attributes "
		    "go into full-text search");
	if (v != NULL && !json_is_boolean(v))
		return lfail(ld, DIB_EINVAL, "search", "must be true or false, "
		    "got %s", model_json_brief(v, q, sizeof q));
	a->nosearch = v != NULL && json_is_false(v);

	v = json_object_get(j, "values");
	if (type == MODEL_ENUM || type == MODEL_MULTI_ENUM) {
		if (v == NULL)
			return lfail(ld, DIB_EINVAL, "values", "is required "
			    "for %s attributes: [{\"id\": ..., \"label\": "
			    "{...}}, ...]", type_names[type]);
		if ((rc = parse_values(ld, v, a)) != 0)
			return rc;
	} else if (v != NULL) {
		return lfail(ld, DIB_EINVAL, "values", "only enum and "
		    "multi_enum attributes take values");
	}
	*out = a;
	return 0;
}

/* Own attributes of c after its inherited ones, then the key index. */
static int
parse_attributes(struct loader *ld, const json_t *j, struct model_category *c)
{
	const json_t *v = json_object_get(j, "attributes");
	const struct model_attr *dup;
	struct model_attr *a;
	size_t ninh = c->parent ? c->parent->nattrs : 0, n = 0, i, k, old;
	char q[128];
	int rc = 0;

	if (v != NULL && !json_is_array(v))
		return lfail(ld, DIB_EINVAL, "attributes", "must be an array");
	if (v != NULL)
		n = json_array_size(v);
	if (ninh + n > MODEL_MAX_ATTRS)
		return lfail(ld, DIB_ETOOBIG, "attributes", "too many "
		    "attributes: at most %d per category, inherited ones "
		    "included", MODEL_MAX_ATTRS);
	c->nattrs = ninh + n;
	c->attrs = arena_alloc(ld->m, (c->nattrs + 1) * sizeof *c->attrs);
	c->bykey = arena_alloc(ld->m, (c->nattrs + 1) * sizeof *c->bykey);
	if (c->attrs == NULL || c->bykey == NULL)
		return lfail(ld, DIB_ENOMEM, "attributes", "out of memory");
	if (ninh > 0)
		memcpy(c->attrs, c->parent->attrs, ninh * sizeof *c->attrs);
	for (i = 0; i < n; i++) {
		old = path_push(ld, "%sattributes[%zu]", ld->plen ? "." : "",
		    i);
		if ((rc = parse_attr(ld, json_array_get(v, i), c, &a)) != 0)
			goto fail;
		if (c->parent != NULL &&
		    (dup = model_attr_lookup(c->parent, a->key)) != NULL) {
			rc = lfail(ld, DIB_EINVAL, "key", "%s is already "
			    "defined by %s: a category may not redefine an "
			    "inherited attribute", model_quote(a->key,
			    strlen(a->key), q, sizeof q), dup->owner->id);
			goto fail;
		}
		for (k = 0; k < i; k++)
			if (strcmp(c->attrs[ninh + k]->key, a->key) == 0) {
				rc = lfail(ld, DIB_EINVAL, "key", "duplicate "
				    "key %s (also attributes[%zu])",
				    model_quote(a->key, strlen(a->key), q,
				    sizeof q), k);
				goto fail;
			}
		c->attrs[ninh + i] = a;
		path_pop(ld, old);
	}
	memcpy(c->bykey, c->attrs, c->nattrs * sizeof *c->bykey);
	qsort(c->bykey, c->nattrs, sizeof *c->bykey, cmp_attr);
	for (i = 0; i < c->nattrs; i++)
		if (c->attrs[i]->required)
			c->nrequired++;
	return 0;
fail:
	path_pop(ld, old);
	return rc;
}

/* Append c to its parent's children, or to the roots. */
static void
link_category(struct model *m, struct model_category *c,
    struct model_category *parent)
{
	if (parent == NULL) {
		if (m->last_root != NULL)
			m->last_root->next = c;
		else
			m->root = c;
		m->last_root = c;
		return;
	}
	if (parent->last_child != NULL)
		parent->last_child->next = c;
	else
		parent->child = c;
	parent->last_child = c;
	parent->nchildren++;
}

static int parse_category(struct loader *, const json_t *,
    struct model_category *);

static int
parse_children(struct loader *ld, const json_t *j, struct model_category *c)
{
	const json_t *v = json_object_get(j, "children");
	size_t i, old;
	int rc;

	if (v == NULL)
		return 0;
	if (!json_is_array(v))
		return lfail(ld, DIB_EINVAL, "children", "must be an array of "
		    "categories");
	if (json_array_size(v) > 0 && c->depth + 1 >= MODEL_MAX_DEPTH)
		return lfail(ld, DIB_ETOOBIG, "children", "too deep: at most "
		    "%d levels of categories", MODEL_MAX_DEPTH);
	for (i = 0; i < json_array_size(v); i++) {
		old = path_push(ld, "%schildren[%zu]", ld->plen ? "." : "",
		    i);
		rc = parse_category(ld, json_array_get(v, i), c);
		path_pop(ld, old);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int
parse_category(struct loader *ld, const json_t *j,
    struct model_category *parent)
{
	struct model *m = ld->m;
	struct model_category *c;
	const json_t *v;
	const char *s;
	char q[128], list[256];
	size_t plen;
	int rc, k;

	if (!json_is_object(j))
		return lfail(ld, DIB_EINVAL, NULL, "must be an object (a "
		    "category)");
	if ((rc = check_members(ld, j, cat_members)) != 0)
		return rc;
	if ((c = arena_alloc(m, sizeof *c)) == NULL)
		return lfail(ld, DIB_ENOMEM, NULL, "out of memory");
	c->model = m;
	c->parent = parent;
	c->depth = parent ? parent->depth + 1 : 0;

	if ((v = json_object_get(j, "id")) == NULL)
		return lfail(ld, DIB_EINVAL, "id", "is required");
	if ((s = jstr(v)) == NULL || !valid_id(s, 1))
		return lfail(ld, DIB_EINVAL, "id", "must be dot-separated "
		    "segments of [a-z][a-z0-9_]* (at most %d characters), "
		    "got %s", MODEL_ID_MAX, model_json_brief(v, q, sizeof q));
	plen = parent ? strlen(parent->id) : 0;
	if (parent != NULL && (strncmp(s, parent->id, plen) != 0 ||
	    s[plen] != '.' || strchr(s + plen + 1, '.') != NULL))
		return lfail(ld, DIB_EINVAL, "id", "must be \"%s.\" and one "
		    "more segment, got %s", parent->id,
		    model_json_brief(v, q, sizeof q));
	if (parent == NULL && strchr(s, '.') != NULL)
		return lfail(ld, DIB_EINVAL, "id", "a top-level category has "
		    "a one-segment id, got %s", model_json_brief(v, q,
		    sizeof q));
	if (model_find(m, s) != NULL)
		return lfail(ld, DIB_EINVAL, "id", "duplicate id %s",
		    model_json_brief(v, q, sizeof q));
	if (m->ncat >= MODEL_MAX_CATEGORIES)
		return lfail(ld, DIB_ETOOBIG, "id", "too many categories: at "
		    "most %d", MODEL_MAX_CATEGORIES);
	if ((c->id = arena_strndup(m, s, strlen(s))) == NULL)
		return lfail(ld, DIB_ENOMEM, "id", "out of memory");
	hash_add(m, c);
	m->ncat++;
	link_category(m, c, parent);

	if ((rc = get_label(ld, j, "label", 1, LABEL_MAX, 0,
	    &c->label)) != 0 || (rc = get_label(ld, j, "description", 0,
	    DESC_MAX, 1, &c->desc)) != 0)
		return rc;

	c->kind = parent ? parent->kind : kinds[0];
	if ((v = json_object_get(j, "kind")) != NULL) {
		if ((k = find_name(kinds, jstr(v))) < 0)
			return lfail(ld, DIB_EINVAL, "kind", "unknown kind %s "
			    "(expected %s)", model_json_brief(v, q, sizeof q),
			    list_names(kinds, list, sizeof list));
		c->kind = kinds[k];
	}
	c->prec = parent ? parent->prec : MODEL_ROUTINE;
	if ((v = json_object_get(j, "precedence")) != NULL) {
		if ((k = model_prec_parse(jstr(v))) < 0)
			return lfail(ld, DIB_EINVAL, "precedence", "unknown "
			    "precedence %s (expected %s)", model_json_brief(v,
			    q, sizeof q), list_names(prec_names, list,
			    sizeof list));
		c->prec = k;
	}
	c->geom = parent ? parent->geom : MODEL_GEOM_POINT;
	if ((v = json_object_get(j, "geometry")) != NULL) {
		if ((k = find_name(geom_names, jstr(v))) < 0)
			return lfail(ld, DIB_EINVAL, "geometry", "unknown "
			    "geometry %s (expected %s)", model_json_brief(v,
			    q, sizeof q), list_names(geom_names, list,
			    sizeof list));
		c->geom = k;
	}
	if ((rc = parse_attributes(ld, j, c)) != 0)
		return rc;
	return parse_children(ld, j, c);
}

/*
** Where an extension's category id goes: *parent, or NULL for a new root.
** The id must be new and its parent an existing group.
*/
static int
ext_parent(struct loader *ld, const char *id, struct model_category **parent)
{
	const struct model_category *found;
	const char *dot = strrchr(id, '.');
	char pid[MODEL_ID_MAX + 1], q[128];

	*parent = NULL;
	if (model_find(ld->m, id) != NULL)
		return lfail(ld, DIB_EINVAL, "id", "%s is already in the "
		    "default model", model_quote(id, strlen(id), q,
		    sizeof q));
	if (dot == NULL)
		return 0;
	memcpy(pid, id, (size_t)(dot - id));
	pid[dot - id] = '\0';
	if ((found = model_find(ld->m, pid)) == NULL)
		return lfail(ld, DIB_EINVAL, "id", "no category \"%s\" to "
		    "place %s under", pid, model_quote(id, strlen(id), q,
		    sizeof q));
	if (found->child == NULL)
		return lfail(ld, DIB_EINVAL, "id", "\"%s\" is a leaf "
		    "category: records use it, so it cannot take children",
		    pid);
	/* The model is ours while loading: the const may go. */
	*parent = (struct model_category *)found;
	return 0;
}

/* The "categories" of a model file; ext places each by its id. */
static int
parse_roots(struct loader *ld, const json_t *root, int ext)
{
	const json_t *v = json_object_get(root, "categories"), *e;
	struct model_category *parent;
	const char *id;
	size_t i, old;
	int rc;

	if (v == NULL)
		return lfail(ld, DIB_EINVAL, "categories", "is required");
	if (!json_is_array(v))
		return lfail(ld, DIB_EINVAL, "categories", "must be an array "
		    "of categories");
	if (!ext && json_array_size(v) == 0)
		return lfail(ld, DIB_EINVAL, "categories", "must list at least "
		    "one category");
	for (i = 0; i < json_array_size(v); i++) {
		old = path_push(ld, "categories[%zu]", i);
		e = json_array_get(v, i);
		id = jstr(json_object_get(e, "id"));
		parent = NULL;
		rc = 0;
		/* A bad or missing id is parse_category's to report. */
		if (ext && id != NULL && valid_id(id, 1))
			rc = ext_parent(ld, id, &parent);
		if (rc == 0)
			rc = parse_category(ld, e, parent);
		path_pop(ld, old);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int
check_format(struct loader *ld, const json_t *root)
{
	const json_t *v = json_object_get(root, "format");
	char q[128];

	if (v == NULL)
		return lfail(ld, DIB_EINVAL, "format", "is required: \"%s\"",
		    MODEL_FORMAT);
	if (jstr(v) == NULL || strcmp(jstr(v), MODEL_FORMAT) != 0)
		return lfail(ld, DIB_EINVAL, "format", "unsupported format %s "
		    "(expected \"%s\")", model_json_brief(v, q, sizeof q),
		    MODEL_FORMAT);
	return 0;
}

static int
get_version(struct loader *ld, const json_t *root, int required,
    const char **out)
{
	const char *s;
	int rc;

	if ((rc = get_string(ld, root, "version", required, VERSION_MAX, 0,
	    out)) != 0 || *out == NULL)
		return rc;
	for (s = *out; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("._+-", *s) != NULL))
			return lfail(ld, DIB_EINVAL, "version", "must be "
			    "letters, digits, '.', '_', '+' or '-'");
	return 0;
}

static int
parse_languages(struct loader *ld, const json_t *root)
{
	struct model *m = ld->m;
	const json_t *v = json_object_get(root, "languages"), *e;
	const char *s;
	char q[128];
	size_t i, n, old;
	int rc = 0;

	if (v == NULL)
		return lfail(ld, DIB_EINVAL, "languages", "is required, e.g. "
		    "[\"fr\", \"en\"]");
	if (!json_is_array(v) || (n = json_array_size(v)) == 0)
		return lfail(ld, DIB_EINVAL, "languages", "must be a non-empty "
		    "array of language codes");
	if (n > MODEL_MAX_LANGS)
		return lfail(ld, DIB_ETOOBIG, "languages", "at most %d "
		    "languages", MODEL_MAX_LANGS);
	m->fr = -1;
	for (i = 0; i < n; i++) {
		old = path_push(ld, "languages[%zu]", i);
		e = json_array_get(v, i);
		s = jstr(e);
		if (s == NULL || strlen(s) < 2 || strlen(s) > 3 ||
		    strspn(s, "abcdefghijklmnopqrstuvwxyz") != strlen(s)) {
			rc = lfail(ld, DIB_EINVAL, NULL, "must be a language "
			    "code of 2 or 3 lower-case letters, got %s",
			    model_json_brief(e, q, sizeof q));
			goto out;
		}
		if (find_name(m->langs, s) >= 0) {
			rc = lfail(ld, DIB_EINVAL, NULL, "duplicate language "
			    "\"%s\"", s);
			goto out;
		}
		if ((m->langs[i] = arena_strndup(m, s, strlen(s))) == NULL) {
			rc = lfail(ld, DIB_ENOMEM, NULL, "out of memory");
			goto out;
		}
		m->nlangs++;
		if (strcmp(s, "fr") == 0)
			m->fr = (int)i;
		if (strcmp(s, "en") == 0)
			m->en = (int)i;
		path_pop(ld, old);
	}
	if (m->fr < 0)
		return lfail(ld, DIB_EINVAL, "languages", "must include "
		    "\"fr\"");
	return 0;
out:
	path_pop(ld, old);
	return rc;
}

static int
load_full(struct loader *ld, const json_t *root)
{
	int rc;

	if (!json_is_object(root))
		return lfail(ld, DIB_EINVAL, NULL, "a model must be a JSON "
		    "object");
	if ((rc = check_members(ld, root, full_members)) != 0 ||
	    (rc = check_format(ld, root)) != 0 ||
	    (rc = get_version(ld, root, 1, &ld->m->version)) != 0 ||
	    (rc = parse_languages(ld, root)) != 0 ||
	    (rc = get_label(ld, root, "notice", 0, DESC_MAX, 1,
	    &ld->m->notice)) != 0)
		return rc;
	return parse_roots(ld, root, 0);
}

static int
parse_json(struct loader *ld, const char *text, size_t len, json_t **root)
{
	json_error_t je;

	*root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (*root != NULL)
		return 0;
	model_sanitize(je.text);
	return lfail(ld, DIB_EINVAL, NULL, "invalid JSON at line %d, "
	    "column %d: %s", je.line, je.column, je.text);
}

static int
load_extension(struct loader *ld, const json_t *root)
{
	const struct dib_embedded *e;
	struct loader base;
	json_t *broot = NULL;
	const char *v, *ext;
	char q[128], *both;
	size_t n;
	int rc;

	if ((rc = check_members(ld, root, ext_members)) != 0 ||
	    (rc = check_format(ld, root)) != 0)
		return rc;
	ext = jstr(json_object_get(root, "extends"));
	if (ext == NULL || strcmp(ext, "default") != 0)
		return lfail(ld, DIB_EINVAL, "extends", "must be \"default\", "
		    "got %s", model_json_brief(json_object_get(root,
		    "extends"), q, sizeof q));
	if ((e = dib_embed_find("model.json")) == NULL)
		return lfail(ld, DIB_ENOTFOUND, "extends", "this binary "
		    "carries no default model");

	memset(&base, 0, sizeof base);
	base.m = ld->m;
	base.d = ld->d;
	if ((rc = parse_json(&base, (const char *)e->data, e->len,
	    &broot)) == 0)
		rc = load_full(&base, broot);
	json_decref(broot);
	if (rc != 0) {
		dib_diag_prefix(ld->d, "(default model)");
		return rc;
	}

	if ((rc = get_version(ld, root, 0, &v)) != 0)
		return rc;
	if (v != NULL) {
		n = strlen(ld->m->version) + 1 + strlen(v);
		if (n > VERSION_MAX)
			return lfail(ld, DIB_EINVAL, "version", "too long once "
			    "appended to the default's \"%s\"",
			    ld->m->version);
		if ((both = arena_alloc(ld->m, n + 1)) == NULL)
			return lfail(ld, DIB_ENOMEM, "version", "out of "
			    "memory");
		snprintf(both, n + 1, "%s+%s", ld->m->version, v);
		ld->m->version = both;
	}
	return parse_roots(ld, root, 1);
}

static void
walk(struct model *m, const struct model_category *c, size_t *n)
{
	for (; c != NULL; c = c->next) {
		m->order[(*n)++] = c;
		walk(m, c->child, n);
	}
}

static int
finish(struct loader *ld)
{
	struct model *m = ld->m;
	size_t n = 0;

	m->order = arena_alloc(m, (m->ncat + 1) * sizeof *m->order);
	if (m->order == NULL)
		return lfail(ld, DIB_ENOMEM, NULL, "out of memory");
	walk(m, m->root, &n);
	return 0;
}

static int
load_text(const char *text, size_t len, int allow_ext, struct model **out,
    struct dib_diag *d)
{
	struct loader ld;
	json_t *root = NULL;
	int rc;

	*out = NULL;
	memset(&ld, 0, sizeof ld);
	ld.d = d;
	if (text == NULL)
		return dib_fail(d, DIB_EINVAL, "", "no model text");
	if (len > MODEL_FILE_MAX)
		return dib_fail(d, DIB_ETOOBIG, "", "a model file has at most "
		    "%d bytes", MODEL_FILE_MAX);
	if ((ld.m = model_new()) == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	if ((rc = parse_json(&ld, text, len, &root)) != 0)
		goto out;
	if (allow_ext && json_is_object(root) &&
	    json_object_get(root, "extends") != NULL)
		rc = load_extension(&ld, root);
	else
		rc = load_full(&ld, root);
	if (rc == 0)
		rc = finish(&ld);
out:
	json_decref(root);
	if (rc != 0) {
		model_free(ld.m);
		return rc;
	}
	*out = ld.m;
	return 0;
}

int
model_load(const char *text, size_t len, struct model **out,
    struct dib_diag *d)
{
	return load_text(text, len, 1, out, d);
}

int
model_load_default(struct model **out, struct dib_diag *d)
{
	const struct dib_embedded *e = dib_embed_find("model.json");

	*out = NULL;
	if (e == NULL)
		return dib_fail(d, DIB_ENOTFOUND, "", "this binary carries no "
		    "default model");
	return load_text((const char *)e->data, e->len, 0, out, d);
}

/* Read a whole file; DIB_ENOTFOUND if it does not exist. */
static int
read_file(const char *path, char **out, size_t *len, struct dib_diag *d)
{
	FILE *f = NULL;
	char *buf = NULL, *nb;
	size_t n = 0, cap = 0, k;
	int rc = 0;

	*out = NULL;
	*len = 0;
	if ((f = fopen(path, "rb")) == NULL) {
		rc = dib_fail(d, errno == ENOENT ? DIB_ENOTFOUND : DIB_EIO,
		    path, "%s", strerror(errno));
		goto out;
	}
	for (;;) {
		if (n == cap) {
			if (cap > MODEL_FILE_MAX) {
				rc = dib_fail(d, DIB_ETOOBIG, path, "a model "
				    "file has at most %d bytes",
				    MODEL_FILE_MAX);
				goto out;
			}
			cap = cap ? 2 * cap : 64 * 1024;
			if ((nb = realloc(buf, cap + 1)) == NULL) {
				rc = dib_fail(d, DIB_ENOMEM, path, "out of "
				    "memory");
				goto out;
			}
			buf = nb;
		}
		k = fread(buf + n, 1, cap - n, f);
		n += k;
		if (k == 0)
			break;
	}
	if (ferror(f)) {
		rc = dib_fail(d, DIB_EIO, path, "read error");
		goto out;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
out:
	if (f != NULL)
		fclose(f);
	free(buf);
	return rc;
}

int
model_load_file(const char *path, struct model **out, struct dib_diag *d)
{
	char *text;
	size_t len;
	int rc;

	*out = NULL;
	if ((rc = read_file(path, &text, &len, d)) != 0)
		return rc;
	rc = model_load(text, len, out, d);
	free(text);
	return rc;
}

int
model_load_node(const char *dir, struct model **out, struct dib_diag *d)
{
	char path[4096];
	char *text;
	size_t len;
	int n, rc;

	*out = NULL;
	if (dir == NULL)
		return model_load_default(out, d);
	n = snprintf(path, sizeof path, "%s/model.json", dir);
	if (n < 0 || (size_t)n >= sizeof path)
		return dib_fail(d, DIB_EINVAL, "dir", "path too long");
	rc = read_file(path, &text, &len, d);
	if (rc == DIB_ENOTFOUND) {
		dib_diag_clear(d);
		return model_load_default(out, d);
	}
	if (rc != 0)
		return rc;
	rc = model_load(text, len, out, d);
	free(text);
	return rc;
}

/* Accessors. */

const char *
model_text_get(const struct model *m, const struct model_text *t,
    const char *lang)
{
	int i;

	if (lang != NULL)
		for (i = 0; i < m->nlangs; i++)
			if (strcmp(m->langs[i], lang) == 0 && t->s[i] != NULL)
				return t->s[i];
	if (t->s[m->fr] != NULL)
		return t->s[m->fr];
	if (m->en >= 0)
		return t->s[m->en];
	return NULL;
}

const char *
model_version(const struct model *m)
{
	return m->version;
}

int
model_has_language(const struct model *m, const char *lang)
{
	return lang != NULL && find_name(m->langs, lang) >= 0;
}

const char *
model_notice(const struct model *m, const char *lang)
{
	return model_text_get(m, &m->notice, lang);
}

size_t
model_category_count(const struct model *m)
{
	return m ? m->ncat : 0;
}

const struct model_category *
model_category_at(const struct model *m, size_t i)
{
	return m != NULL && i < m->ncat ? m->order[i] : NULL;
}

int
model_category_depth(const struct model_category *c)
{
	return c->depth;
}

const struct model_category *
model_category_parent(const struct model_category *c)
{
	return c->parent;
}

int
model_category_is_leaf(const struct model_category *c)
{
	return c != NULL && c->child == NULL;
}

const char *
model_category_id(const struct model_category *c)
{
	return c->id;
}

const char *
model_category_label(const struct model_category *c, const char *lang)
{
	return model_text_get(c->model, &c->label, lang);
}

const char *
model_category_description(const struct model_category *c, const char *lang)
{
	return model_text_get(c->model, &c->desc, lang);
}

const char *
model_category_kind(const struct model_category *c)
{
	return c->kind;
}

int
model_category_precedence(const struct model_category *c)
{
	return c->prec;
}

int
model_category_geometry(const struct model_category *c)
{
	return c->geom;
}

const char *
model_prec_name(int prec)
{
	return prec >= 0 && prec <= MODEL_ROUTINE ? prec_names[prec] : NULL;
}

int
model_prec_parse(const char *s)
{
	int i;

	for (i = 0; s != NULL && prec_names[i] != NULL; i++)
		if (strcasecmp(prec_names[i], s) == 0)
			return i;
	return -1;
}

const char *
model_type_name(int type)
{
	return type >= 0 && type <= MODEL_DATETIME ? type_names[type] : NULL;
}

const char *
model_geom_name(int geom)
{
	return geom >= 0 && geom <= MODEL_GEOM_LINE_OR_POLYGON ?
	    geom_names[geom] : NULL;
}

const struct model_attr *
model_attr_lookup(const struct model_category *c, const char *key)
{
	size_t lo = 0, hi, mid;
	int k;

	if (c == NULL || key == NULL)
		return NULL;
	hi = c->nattrs;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		k = model_keycmp(key, c->bykey[mid]->key);
		if (k == 0)
			return c->bykey[mid];
		if (k < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

size_t
model_attr_count(const struct model_category *c)
{
	return c ? c->nattrs : 0;
}

const char *
model_attr_key_at(const struct model_category *c, size_t i)
{
	return c != NULL && i < c->nattrs ? c->attrs[i]->key : NULL;
}

const struct model_category *
model_attr_owner(const struct model_category *c, const char *key)
{
	const struct model_attr *a = model_attr_lookup(c, key);

	return a ? a->owner : NULL;
}

int
model_attr_type(const struct model_category *c, const char *key)
{
	const struct model_attr *a = model_attr_lookup(c, key);

	return a ? a->type : -1;
}

int
model_attr_searchable(const struct model_category *c, const char *key)
{
	const struct model_attr *a = model_attr_lookup(c, key);

	return a != NULL && a->type == MODEL_TEXT && !a->nosearch;
}

int
model_attr_required(const struct model_category *c, const char *key)
{
	const struct model_attr *a = model_attr_lookup(c, key);

	return a ? a->required : 0;
}

const char *
model_attr_label(const struct model_category *c, const char *key,
    const char *lang)
{
	const struct model_attr *a = model_attr_lookup(c, key);

	return a ? model_text_get(c->model, &a->label, lang) : NULL;
}

const char *
model_attr_description(const struct model_category *c, const char *key,
    const char *lang)
{
	const struct model_attr *a = model_attr_lookup(c, key);

	return a ? model_text_get(c->model, &a->desc, lang) : NULL;
}

const char *
model_attr_unit(const struct model_category *c, const char *key)
{
	const struct model_attr *a = model_attr_lookup(c, key);

	return a ? a->unit : NULL;
}

int
model_attr_range(const struct model_category *c, const char *key,
    double *min, double *max)
{
	const struct model_attr *a = model_attr_lookup(c, key);
	int bits = 0;

	if (a != NULL && a->has_min) {
		*min = a->dmin;
		bits |= 1;
	}
	if (a != NULL && a->has_max) {
		*max = a->dmax;
		bits |= 2;
	}
	return bits;
}

size_t
model_attr_max_length(const struct model_category *c, const char *key)
{
	const struct model_attr *a = model_attr_lookup(c, key);

	return a ? a->max_length : 0;
}

size_t
model_enum_count(const struct model_category *c, const char *key)
{
	const struct model_attr *a = model_attr_lookup(c, key);

	return a ? a->nvalues : 0;
}

const char *
model_enum_id_at(const struct model_category *c, const char *key, size_t i)
{
	const struct model_attr *a = model_attr_lookup(c, key);

	return a != NULL && i < a->nvalues ? a->values[i].id : NULL;
}

const char *
model_enum_label(const struct model_category *c, const char *key,
    const char *value_id, const char *lang)
{
	const struct model_attr *a = model_attr_lookup(c, key);
	size_t i;

	if (a == NULL || value_id == NULL)
		return NULL;
	for (i = 0; i < a->nvalues; i++)
		if (strcmp(a->values[i].id, value_id) == 0)
			return model_text_get(c->model, &a->values[i].label,
			    lang);
	return NULL;
}

/* The model as JSON. */

/* Set o[k] = v (stolen); note a failure in *oom. */
static void
put(json_t *o, const char *k, json_t *v, int *oom)
{
	if (v == NULL || json_object_set_new(o, k, v) != 0)
		*oom = 1;
}

static json_t *
text_json(const struct model *m, const struct model_text *t, const char *lang)
{
	json_t *o;
	int i, oom = 0;

	if (lang != NULL)
		return json_string(model_text_get(m, t, lang));
	if ((o = json_object()) == NULL)
		return NULL;
	for (i = 0; i < m->nlangs; i++)
		if (t->s[i] != NULL)
			put(o, m->langs[i], json_string(t->s[i]), &oom);
	if (oom) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* A bound as written: an integer when it is one. */
static json_t *
bound_json(const struct model_attr *a, json_int_t i, double x)
{
	if (a->type == MODEL_INTEGER)
		return json_integer(i);
	if (x == (double)(json_int_t)x && x > -9007199254740992.0 &&
	    x < 9007199254740992.0)
		return json_integer((json_int_t)x);
	return json_real(x);
}

static json_t *
attr_json(const struct model *m, const struct model_attr *a, const char *lang)
{
	json_t *o, *vals, *v;
	size_t i;
	int oom = 0;

	if ((o = json_object()) == NULL)
		return NULL;
	put(o, "key", json_string(a->key), &oom);
	put(o, "type", json_string(type_names[a->type]), &oom);
	put(o, "label", text_json(m, &a->label, lang), &oom);
	if (a->desc.s[m->fr] != NULL)
		put(o, "description", text_json(m, &a->desc, lang), &oom);
	if (a->required)
		put(o, "required", json_true(), &oom);
	if (a->has_min)
		put(o, "min", bound_json(a, a->imin, a->dmin), &oom);
	if (a->has_max)
		put(o, "max", bound_json(a, a->imax, a->dmax), &oom);
	if (a->unit != NULL)
		put(o, "unit", json_string(a->unit), &oom);
	if (a->type == MODEL_TEXT)
		put(o, "max_length", json_integer((json_int_t)a->max_length),
		    &oom);
	if (a->nosearch)
		put(o, "search", json_false(), &oom);
	if (a->nvalues > 0) {
		vals = json_array();
		for (i = 0; vals != NULL && i < a->nvalues; i++) {
			if ((v = json_object()) == NULL) {
				oom = 1;
				break;
			}
			put(v, "id", json_string(a->values[i].id), &oom);
			put(v, "label", text_json(m, &a->values[i].label,
			    lang), &oom);
			if (json_array_append_new(vals, v) != 0)
				oom = 1;
		}
		put(o, "values", vals, &oom);
	}
	if (oom) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
category_json(const struct model *m, const struct model_category *c,
    const char *lang)
{
	const struct model_category *k;
	json_t *o, *arr;
	size_t i;
	int oom = 0;

	if ((o = json_object()) == NULL)
		return NULL;
	put(o, "id", json_string(c->id), &oom);
	put(o, "label", text_json(m, &c->label, lang), &oom);
	if (c->desc.s[m->fr] != NULL)
		put(o, "description", text_json(m, &c->desc, lang), &oom);
	put(o, "kind", json_string(c->kind), &oom);
	put(o, "precedence", json_string(prec_names[c->prec]), &oom);
	put(o, "geometry", json_string(geom_names[c->geom]), &oom);
	i = c->parent ? c->parent->nattrs : 0;
	if (i < c->nattrs) {
		arr = json_array();
		for (; arr != NULL && i < c->nattrs; i++)
			if (json_array_append_new(arr, attr_json(m,
			    c->attrs[i], lang)) != 0)
				oom = 1;
		put(o, "attributes", arr, &oom);
	}
	if (c->child != NULL) {
		arr = json_array();
		for (k = c->child; arr != NULL && k != NULL; k = k->next)
			if (json_array_append_new(arr, category_json(m, k,
			    lang)) != 0)
				oom = 1;
		put(o, "children", arr, &oom);
	}
	if (oom) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *
model_to_json(const struct model *m, const char *lang)
{
	const struct model_category *c;
	json_t *o, *arr;
	int i, oom = 0;

	if (m == NULL || (o = json_object()) == NULL)
		return NULL;
	put(o, "format", json_string(MODEL_FORMAT), &oom);
	put(o, "version", json_string(m->version), &oom);
	if (lang == NULL) {
		arr = json_array();
		for (i = 0; arr != NULL && i < m->nlangs; i++)
			if (json_array_append_new(arr,
			    json_string(m->langs[i])) != 0)
				oom = 1;
		put(o, "languages", arr, &oom);
	} else {
		put(o, "language", json_string(lang), &oom);
	}
	if (m->notice.s[m->fr] != NULL)
		put(o, "notice", text_json(m, &m->notice, lang), &oom);
	arr = json_array();
	for (c = m->root; arr != NULL && c != NULL; c = c->next)
		if (json_array_append_new(arr, category_json(m, c, lang)) != 0)
			oom = 1;
	put(o, "categories", arr, &oom);
	if (oom) {
		json_decref(o);
		return NULL;
	}
	return o;
}
