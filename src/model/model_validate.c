/*
** Validation of records against the model: attribute values, geometry
** types and the "--attr key=value" text of the CLI. This is the ingest hot
** path, so it looks things up in the indexes built at load time and never
** allocates.
*/
#include "model/model.h"
#include "model/model_impl.h"
#include "util/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define GEOM_NONE 1
#define GEOM_POINT 2
#define GEOM_LINE 4
#define GEOM_POLYGON 8

/* Allowed geometries of each enum model_geom. */
static const int geom_masks[] = {
	[MODEL_GEOM_POINT] = GEOM_POINT,
	[MODEL_GEOM_LINE] = GEOM_LINE,
	[MODEL_GEOM_POLYGON] = GEOM_POLYGON,
	[MODEL_GEOM_POINT_OR_POLYGON] = GEOM_POINT | GEOM_POLYGON,
	[MODEL_GEOM_ANY] = GEOM_POINT | GEOM_LINE | GEOM_POLYGON,
	[MODEL_GEOM_OPTIONAL_POINT] = GEOM_NONE | GEOM_POINT,
	[MODEL_GEOM_OPTIONAL] = GEOM_NONE | GEOM_POINT | GEOM_LINE |
	    GEOM_POLYGON,
	[MODEL_GEOM_NONE] = GEOM_NONE,
	[MODEL_GEOM_LINE_OR_POLYGON] = GEOM_LINE | GEOM_POLYGON,
};

/*
** Decode one UTF-8 character of p[0..n), n > 0: its length, or 0 when
** malformed (overlong, surrogate, past U+10FFFF, cut short).
*/
static size_t
utf8_decode(const unsigned char *p, size_t n, unsigned long *cp)
{
	unsigned long c = p[0];
	size_t len, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 ||
	    c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static int
is_control(unsigned long c, int lines)
{
	if (lines && (c == '\n' || c == '\t'))
		return 0;
	return c < 0x20 || (c >= 0x7f && c <= 0x9f);
}

int
model_text_scan(const char *s, size_t n, int lines, size_t *nchars,
    unsigned long *cp, size_t *at)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, count = 0, len;
	unsigned long c;

	*nchars = 0;
	*cp = 0;
	*at = 0;
	while (i < n) {
		if (p[i] >= 0x20 && p[i] < 0x7f) {
			i++;
			count++;
			continue;
		}
		if ((len = utf8_decode(p + i, n - i, &c)) == 0)
			return MODEL_SCAN_UTF8;
		if (is_control(c, lines)) {
			*cp = c;
			*at = count;
			return MODEL_SCAN_CTRL;
		}
		i += len;
		count++;
	}
	*nchars = count;
	return 0;
}

const char *
model_quote(const char *s, size_t n, char *buf, size_t size)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, i = 0, chars = 0, len;
	unsigned long c;

	if (size < 24) {
		if (size > 0)
			buf[0] = '\0';
		return buf;
	}
	buf[o++] = '"';
	while (i < n) {
		/* Room for the widest escape, "..." and the closing quote. */
		if (chars == 40 || o + 16 > size) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		len = utf8_decode(p + i, n - i, &c);
		if (len == 0) {
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x",
			    p[i]);
			len = 1;
		} else if (is_control(c, 0)) {
			o += (size_t)snprintf(buf + o, size - o, "\\u%04lx",
			    c);
		} else if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else {
			memcpy(buf + o, p + i, len);
			o += len;
		}
		i += len;
		chars++;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

/* A double in its shortest exact form, with ".0" when integral. */
static void
fmt_double(double x, char *buf, size_t size)
{
	snprintf(buf, size, "%.15g", x);
	if (strtod(buf, NULL) != x)
		snprintf(buf, size, "%.17g", x);
	if (strpbrk(buf, ".eEn") == NULL && strlen(buf) + 3 <= size)
		memcpy(buf + strlen(buf), ".0", 3);
}

const char *
model_json_brief(const json_t *v, char *buf, size_t size)
{
	if (size == 0)
		return buf;
	switch (json_typeof(v)) {
	case JSON_STRING:
		return model_quote(json_string_value(v),
		    json_string_length(v), buf, size);
	case JSON_INTEGER:
		snprintf(buf, size, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		break;
	case JSON_REAL:
		fmt_double(json_real_value(v), buf, size);
		break;
	case JSON_TRUE:
		snprintf(buf, size, "true");
		break;
	case JSON_FALSE:
		snprintf(buf, size, "false");
		break;
	case JSON_NULL:
		snprintf(buf, size, "null");
		break;
	case JSON_OBJECT:
		snprintf(buf, size, "an object");
		break;
	case JSON_ARRAY:
		snprintf(buf, size, "an array");
		break;
	default:
		snprintf(buf, size, "nothing");
		break;
	}
	return buf;
}

void
model_sanitize(char *s)
{
	unsigned char *p = (unsigned char *)s;
	size_t n = strlen(s), i = 0, len;
	unsigned long c;

	while (i < n) {
		len = utf8_decode(p + i, n - i, &c);
		if (len == 0 || is_control(c, 0)) {
			p[i] = '?';
			len = 1;
		}
		i += len;
	}
}

/* The index of value id s[0..n) in a's values, or -1. */
static long
find_value(const struct model_attr *a, const char *s, size_t n)
{
	size_t lo = 0, hi = a->nvalues, mid;
	int k;

	if (strlen(s) != n)
		return -1;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		k = model_keycmp(s, a->byid[mid]->id);
		if (k == 0)
			return (long)(a->byid[mid] - a->values);
		if (k < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

/* "a, b, c" of the value ids of a, cut to fit. */
static const char *
value_list(const struct model_attr *a, char *buf, size_t size)
{
	size_t i, o = 0, k;

	buf[0] = '\0';
	for (i = 0; i < a->nvalues; i++) {
		k = strlen(a->values[i].id);
		if (o + k + 8 >= size) {
			snprintf(buf + o, size - o, "%s...", i ? ", " : "");
			break;
		}
		o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? ", " : "",
		    a->values[i].id);
	}
	return buf;
}

/* What a value of a must be: "a number >= 0", "one of N, NE, ...". */
static const char *
expect(const struct model_attr *a, char *buf, size_t size)
{
	char lo[40], hi[40], list[260];
	const char *what;

	switch (a->type) {
	case MODEL_INTEGER:
	case MODEL_NUMBER:
		what = a->type == MODEL_INTEGER ? "an integer" : "a number";
		if (a->type == MODEL_INTEGER) {
			snprintf(lo, sizeof lo, "%" JSON_INTEGER_FORMAT,
			    a->imin);
			snprintf(hi, sizeof hi, "%" JSON_INTEGER_FORMAT,
			    a->imax);
		} else {
			snprintf(lo, sizeof lo, "%.15g", a->dmin);
			snprintf(hi, sizeof hi, "%.15g", a->dmax);
		}
		if (a->has_min && a->has_max)
			snprintf(buf, size, "%s from %s to %s", what, lo, hi);
		else if (a->has_min)
			snprintf(buf, size, "%s >= %s", what, lo);
		else if (a->has_max)
			snprintf(buf, size, "%s <= %s", what, hi);
		else
			snprintf(buf, size, "%s", what);
		break;
	case MODEL_TEXT:
		snprintf(buf, size, "a text of at most %zu characters",
		    a->max_length);
		break;
	case MODEL_ENUM:
		snprintf(buf, size, "one of %s", value_list(a, list,
		    sizeof list));
		break;
	case MODEL_MULTI_ENUM:
		snprintf(buf, size, "an array of values among %s",
		    value_list(a, list, sizeof list));
		break;
	case MODEL_BOOLEAN:
		snprintf(buf, size, "true or false");
		break;
	default:
		snprintf(buf, size, "an RFC 3339 date-time like "
		    "2025-02-20T08:00:00Z");
		break;
	}
	return buf;
}

static int
vfail(struct dib_diag *d, const struct model_attr *a, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
vfail(struct dib_diag *d, const struct model_attr *a, const char *fmt, ...)
{
	va_list ap;

	if (d == NULL)
		return DIB_EINVAL;
	d->code = DIB_EINVAL;
	snprintf(d->field, sizeof d->field, "attributes.%s", a->key);
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof d->msg, fmt, ap);
	va_end(ap);
	return DIB_EINVAL;
}

static int
wrong(struct dib_diag *d, const struct model_attr *a, const json_t *v)
{
	char e[300], g[128];

	if (d == NULL)
		return DIB_EINVAL;
	return vfail(d, a, "must be %s, got %s", expect(a, e, sizeof e),
	    model_json_brief(v, g, sizeof g));
}

static int
two_digits(const char *s, int *v)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return 0;
	*v = (s[0] - '0') * 10 + (s[1] - '0');
	return 1;
}

/* YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM), a real date. */
static int
is_datetime(const char *s, size_t n)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31};
	int yh, yl, y, mo, da, h, mi, se, oh, om, leap;
	size_t i, k;

	if (n < 20 || !two_digits(s, &yh) || !two_digits(s + 2, &yl) ||
	    s[4] != '-' || !two_digits(s + 5, &mo) || s[7] != '-' ||
	    !two_digits(s + 8, &da) || s[10] != 'T' ||
	    !two_digits(s + 11, &h) || s[13] != ':' ||
	    !two_digits(s + 14, &mi) || s[16] != ':' ||
	    !two_digits(s + 17, &se))
		return 0;
	i = 19;
	if (s[i] == '.') {
		for (k = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == k || i - k > 9)
			return 0;
	}
	if (i < n && s[i] == 'Z') {
		i++;
	} else if (i < n && (s[i] == '+' || s[i] == '-')) {
		if (n - i < 6 || !two_digits(s + i + 1, &oh) ||
		    s[i + 3] != ':' || !two_digits(s + i + 4, &om) ||
		    oh > 23 || om > 59)
			return 0;
		i += 6;
	} else {
		return 0;
	}
	if (i != n)
		return 0;
	y = yh * 100 + yl;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1900 || mo < 1 || mo > 12 || da < 1 ||
	    da > mdays[mo - 1] + (mo == 2 && leap) || h > 23 || mi > 59 ||
	    se > 59)
		return 0;
	return 1;
}

static int
check_text(const struct model_attr *a, const json_t *v, struct dib_diag *d)
{
	size_t n, chars, at;
	unsigned long cp;
	int rc;

	if (!json_is_string(v))
		return wrong(d, a, v);
	n = json_string_length(v);
	rc = model_text_scan(json_string_value(v), n, 1, &chars, &cp, &at);
	if (rc == MODEL_SCAN_UTF8)
		return vfail(d, a, "must be valid UTF-8 text");
	if (rc == MODEL_SCAN_CTRL)
		return vfail(d, a, "must not contain control characters "
		    "(U+%04lX at character %zu)", cp, at + 1);
	if (chars > a->max_length)
		return vfail(d, a, "must be at most %zu characters, got %zu",
		    a->max_length, chars);
	if (n == 0 && a->required)
		return vfail(d, a, "is required and may not be empty");
	return 0;
}

static int
check_multi(const struct model_attr *a, const json_t *v, struct dib_diag *d)
{
	unsigned char seen[(MODEL_MAX_VALUES + 7) / 8];
	char g[128], list[260];
	const json_t *e;
	size_t i;
	long k;

	if (!json_is_array(v))
		return wrong(d, a, v);
	memset(seen, 0, (a->nvalues + 7) / 8);
	json_array_foreach(v, i, e) {
		if (!json_is_string(e) || (k = find_value(a,
		    json_string_value(e), json_string_length(e))) < 0)
			return vfail(d, a, "unknown value %s at [%zu] "
			    "(expected %s)", model_json_brief(e, g, sizeof g),
			    i, value_list(a, list, sizeof list));
		if (seen[k / 8] & (1u << (k % 8)))
			return vfail(d, a, "value %s is listed twice",
			    model_json_brief(e, g, sizeof g));
		seen[k / 8] |= (unsigned char)(1u << (k % 8));
	}
	if (a->required && json_array_size(v) == 0)
		return vfail(d, a, "is required: list at least one value");
	return 0;
}

static int
check_value(const struct model_attr *a, const json_t *v, struct dib_diag *d)
{
	json_int_t i;
	double x;

	switch (a->type) {
	case MODEL_INTEGER:
		if (!json_is_integer(v))
			return wrong(d, a, v);
		i = json_integer_value(v);
		if ((a->has_min && i < a->imin) || (a->has_max && i > a->imax))
			return wrong(d, a, v);
		return 0;
	case MODEL_NUMBER:
		if (!json_is_number(v))
			return wrong(d, a, v);
		x = json_number_value(v);
		if ((a->has_min && x < a->dmin) || (a->has_max && x > a->dmax))
			return wrong(d, a, v);
		return 0;
	case MODEL_TEXT:
		return check_text(a, v, d);
	case MODEL_ENUM:
		if (!json_is_string(v) || find_value(a, json_string_value(v),
		    json_string_length(v)) < 0)
			return wrong(d, a, v);
		return 0;
	case MODEL_MULTI_ENUM:
		return check_multi(a, v, d);
	case MODEL_BOOLEAN:
		return json_is_boolean(v) ? 0 : wrong(d, a, v);
	case MODEL_DATETIME:
		if (!json_is_string(v) || !is_datetime(json_string_value(v),
		    json_string_length(v)))
			return wrong(d, a, v);
		return 0;
	}
	return wrong(d, a, v);
}

/* Can key go into a field name as it is? */
static int
printable_key(const char *key, size_t n)
{
	size_t i;

	if (n == 0 || n > MODEL_KEY_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (key[i] <= 0x20 || key[i] >= 0x7f || key[i] == '"' ||
		    key[i] == '\\')
			return 0;
	return 1;
}

static int
unknown_attr(const struct model_category *c, const char *key, size_t n,
    struct dib_diag *d)
{
	char field[sizeof d->field], list[260], q[128];
	size_t i, o = 0, k;

	if (d == NULL)
		return DIB_EINVAL;
	list[0] = '\0';
	for (i = 0; i < c->nattrs; i++) {
		k = strlen(c->attrs[i]->key);
		if (o + k + 8 >= sizeof list) {
			snprintf(list + o, sizeof list - o, ", ...");
			break;
		}
		o += (size_t)snprintf(list + o, sizeof list - o, "%s%s",
		    i ? ", " : "", c->attrs[i]->key);
	}
	if (!printable_key(key, n))
		return dib_fail(d, DIB_EINVAL, "attributes", "unknown "
		    "attribute %s for category %s (expected %s)",
		    model_quote(key, n, q, sizeof q), c->id,
		    c->nattrs ? list : "none");
	snprintf(field, sizeof field, "attributes.%s", key);
	return dib_fail(d, DIB_EINVAL, field, "unknown attribute for "
	    "category %s (expected %s)", c->id, c->nattrs ? list : "none");
}

int
model_validate_attributes(const struct model_category *c,
    const json_t *attrs, struct dib_diag *d)
{
	return model_validate_attributes_text(c, attrs, NULL, d);
}

int
model_validate_attributes_text(const struct model_category *c,
    const json_t *attrs, struct buf *text, struct dib_diag *d)
{
	const struct model_attr *a;
	const char *key;
	size_t keylen, nreq = 0, i;
	json_t *v;
	int rc;

	if (c == NULL)
		return dib_fail(d, DIB_EINVAL, "category", "unknown category");
	if (attrs != NULL && !json_is_object(attrs))
		return dib_fail(d, DIB_EINVAL, "attributes", "must be an "
		    "object");
	if (attrs != NULL) {
		json_object_keylen_foreach((json_t *)attrs, key, keylen, v) {
			a = keylen == strlen(key) ? model_attr_lookup(c, key) :
			    NULL;
			if (a == NULL)
				return unknown_attr(c, key, keylen, d);
			if ((rc = check_value(a, v, d)) != 0)
				return rc;
			if (a->required)
				nreq++;
			if (text != NULL && a->type == MODEL_TEXT &&
			    !a->nosearch && json_is_string(v)) {
				if (text->len > 0)
					buf_addc(text, '\n');
				buf_add(text, json_string_value(v),
				    json_string_length(v));
			}
		}
	}
	if (nreq == c->nrequired)
		return 0;
	for (i = 0; i < c->nattrs; i++) {
		a = c->attrs[i];
		if (a->required && (attrs == NULL ||
		    json_object_get(attrs, a->key) == NULL))
			return vfail(d, a, "is required");
	}
	return 0;
}

int
model_check_geometry(const struct model_category *c,
    const char *geojson_type, struct dib_diag *d)
{
	static const char *const names[] = {"Point", "LineString", "Polygon"};
	static const int bits[] = {GEOM_POINT, GEOM_LINE, GEOM_POLYGON};
	char want[80];
	size_t o = 0, n = 0;
	int mask, i, got = GEOM_NONE;

	if (c == NULL)
		return dib_fail(d, DIB_EINVAL, "category", "unknown category");
	mask = geom_masks[c->geom];
	if (geojson_type != NULL) {
		for (i = 0; i < 3 && strcmp(names[i], geojson_type) != 0; i++)
			;
		if (i == 3) {
			char q[128];

			return dib_fail(d, DIB_EINVAL, "geometry",
			    "unsupported geometry type %s (expected Point, "
			    "LineString or Polygon)", model_quote(
			    geojson_type, strlen(geojson_type), q, sizeof q));
		}
		got = bits[i];
	}
	if (mask & got)
		return 0;
	want[0] = '\0';
	for (i = 0; i < 3; i++) {
		if (!(mask & bits[i]))
			continue;
		o += (size_t)snprintf(want + o, sizeof want - o, "%s%s",
		    n ? " or a " : "a ", names[i]);
		n++;
	}
	if (geojson_type == NULL)
		return dib_fail(d, DIB_EINVAL, "geometry", "category %s needs "
		    "a geometry: %s", c->id, want);
	if (mask == GEOM_NONE)
		return dib_fail(d, DIB_EINVAL, "geometry", "category %s takes "
		    "no geometry, got a %s", c->id, geojson_type);
	return dib_fail(d, DIB_EINVAL, "geometry", "category %s takes %s%s, "
	    "got a %s", c->id, want, mask & GEOM_NONE ? " or nothing" : "",
	    geojson_type);
}

/* A number written by a person: "12", "-3.5", "7,5", "+2", "1e3". */
static json_t *
parse_number(const char *s, size_t n)
{
	char buf[64];
	size_t i, k = 0, seps = 0;

	if (n > 0 && s[0] == '+' && n > 1 && s[1] >= '0' && s[1] <= '9') {
		s++;
		n--;
	}
	if (n == 0 || n >= sizeof buf)
		return NULL;
	for (i = 0; i < n; i++) {
		char ch = s[i] == ',' ? '.' : s[i];

		if (ch == '.')
			seps++;
		if (!((ch >= '0' && ch <= '9') || ch == '.' || ch == '-' ||
		    ch == '+' || ch == 'e' || ch == 'E'))
			return NULL;
		buf[k++] = ch;
	}
	if (seps > 1)
		return NULL;
	return json_loadb(buf, k, JSON_DECODE_ANY, NULL);
}

static json_t *
parse_boolean(const char *s, size_t n)
{
	static const char *const yes[] = {"true", "oui", "yes", "vrai", "1"};
	static const char *const no[] = {"false", "non", "no", "faux", "0"};
	size_t i;

	for (i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strlen(yes[i]) == n && strncasecmp(s, yes[i], n) == 0)
			return json_true();
		if (strlen(no[i]) == n && strncasecmp(s, no[i], n) == 0)
			return json_false();
	}
	return NULL;
}

/* Comma-separated ids into an array of strings; empty items skipped. */
static json_t *
parse_list(const char *s, size_t n, int *oom)
{
	json_t *arr = json_array(), *e;
	size_t i = 0, j, a, b;

	if (arr == NULL) {
		*oom = 1;
		return NULL;
	}
	while (i <= n) {
		for (j = i; j < n && s[j] != ','; j++)
			;
		for (a = i; a < j && (s[a] == ' ' || s[a] == '\t'); a++)
			;
		for (b = j; b > a && (s[b - 1] == ' ' || s[b - 1] == '\t');
		    b--)
			;
		if (b > a) {
			if ((e = json_stringn(s + a, b - a)) == NULL ||
			    json_array_append_new(arr, e) != 0) {
				*oom = 1;
				json_decref(arr);
				return NULL;
			}
		}
		i = j + 1;
	}
	return arr;
}

int
model_attr_from_text(const struct model_category *c, const char *key,
    const char *value, json_t **out, struct dib_diag *d)
{
	const struct model_attr *a;
	const char *s;
	size_t n, chars, at;
	unsigned long cp;
	char e[300], q[128];
	json_t *v = NULL;
	int rc, oom = 0;

	*out = NULL;
	if (c == NULL)
		return dib_fail(d, DIB_EINVAL, "category", "unknown category");
	if (key == NULL)
		return dib_fail(d, DIB_EINVAL, "attributes", "no attribute "
		    "name");
	if ((a = model_attr_lookup(c, key)) == NULL)
		return unknown_attr(c, key, strlen(key), d);
	if (value == NULL)
		value = "";
	if (model_text_scan(value, strlen(value), 1, &chars, &cp, &at) ==
	    MODEL_SCAN_UTF8)
		return vfail(d, a, "must be valid UTF-8 text");

	/* Only text keeps its surrounding blanks. */
	s = value;
	n = strlen(s);
	if (a->type != MODEL_TEXT) {
		while (n > 0 && (*s == ' ' || *s == '\t')) {
			s++;
			n--;
		}
		while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
	}
	switch (a->type) {
	case MODEL_INTEGER:
	case MODEL_NUMBER:
		v = parse_number(s, n);
		if (v == NULL || (a->type == MODEL_INTEGER &&
		    !json_is_integer(v))) {
			json_decref(v);
			return vfail(d, a, "must be %s, got %s",
			    expect(a, e, sizeof e), model_quote(s, n, q,
			    sizeof q));
		}
		break;
	case MODEL_BOOLEAN:
		if ((v = parse_boolean(s, n)) == NULL)
			return vfail(d, a, "must be true or false (oui/non, "
			    "yes/no, 1/0), got %s", model_quote(s, n, q,
			    sizeof q));
		break;
	case MODEL_MULTI_ENUM:
		v = parse_list(s, n, &oom);
		break;
	default:
		v = json_stringn(s, n);
		oom = v == NULL;
		break;
	}
	if (oom)
		return dib_fail(d, DIB_ENOMEM, "attributes", "out of memory");
	if ((rc = check_value(a, v, d)) != 0) {
		json_decref(v);
		return rc;
	}
	*out = v;
	return 0;
}
