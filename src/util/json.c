/*
** A strict JSON parser over a (pointer, end) pair that builds jansson values
** directly: no stream layer, strings scanned eight bytes at a time.
*/
#include "util/json.h"

#include <float.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"
#include "util/swar.h"

/* Parser state. No byte at or past end is ever read. */
struct jp {
	const unsigned char *start;     /* first byte, for positions */
	const unsigned char *p;         /* next byte to read */
	const unsigned char *end;       /* one past the last byte */
	int depth;                      /* arrays and objects now open */
	char *buf;                      /* a string being unescaped */
	size_t cap;                     /* bytes at buf */
	char *stackbuf;                 /* buf before it first grows */
	const char *field;              /* names the input in diagnostics */
	struct dib_diag *d;             /* may be NULL */
};


#define IS_DIGIT(c) ((unsigned)(c) - '0' < 10)

static int parse_value(struct jp *, json_t **);

/*
** Fail with the position of at as line, column (in characters, from 1) and
** byte offset (from 0). Counting lines costs nothing until there is an error.
*/
static int __attribute__((format(printf, 4, 5)))
jp_fail(struct jp *jp, const unsigned char *at, int code, const char *fmt,
    ...)
{
	const unsigned char *q;
	size_t line = 1, col = 1;
	char msg[300];
	va_list ap;

	if (jp->d == NULL)
		return code;
	for (q = jp->start; q < at; q++) {
		if (*q == '\n') {
			line++;
			col = 1;
		} else if ((*q & 0xc0) != 0x80)
			col++;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return dib_fail(jp->d, code, jp->field,
	    "line %zu, column %zu (byte %zu): %s", line, col,
	    (size_t)(at - jp->start), msg);
}

static int
jp_nomem(struct jp *jp)
{
	return jp_fail(jp, jp->p, DIB_ENOMEM, "out of memory");
}

/* Fail at jp->p with "expected <what>, got <the byte there>". */
static int
jp_expected(struct jp *jp, const char *what)
{
	char got[32];
	unsigned c;

	if (jp->p >= jp->end)
		return jp_fail(jp, jp->p, DIB_EINVAL,
		    "expected %s, got end of input", what);
	c = *jp->p;
	if (c > 0x20 && c < 0x7f)
		snprintf(got, sizeof got, "'%c'", c);
	else if (c < 0x80)
		snprintf(got, sizeof got, "control character 0x%02X", c);
	else
		snprintf(got, sizeof got, "byte 0x%02X", c);
	return jp_fail(jp, jp->p, DIB_EINVAL, "expected %s, got %s", what,
	    got);
}

static inline void
skip_ws(struct jp *jp)
{
	const unsigned char *p = jp->p, *end = jp->end;

	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' ||
	    *p == '\t'))
		p++;
	jp->p = p;
}

/* Is the next byte c? */
static inline int
peek(const struct jp *jp, unsigned char c)
{
	return jp->p < jp->end && *jp->p == c;
}

/* Make room for n bytes at jp->buf, which keeps its contents. */
static int
jp_reserve(struct jp *jp, size_t n)
{
	size_t cap = jp->cap;
	char *nb;

	if (n <= cap)
		return 0;
	while (cap < n)
		cap *= 2;
	if (jp->buf == jp->stackbuf) {
		if ((nb = malloc(cap)) == NULL)
			return jp_nomem(jp);
		memcpy(nb, jp->buf, jp->cap);
	} else if ((nb = realloc(jp->buf, cap)) == NULL)
		return jp_nomem(jp);
	jp->buf = nb;
	jp->cap = cap;
	return 0;
}

/* Length of the well-formed UTF-8 sequence at p (p[0] >= 0x80), or 0. */
static inline size_t
utf8_seq(const unsigned char *p, const unsigned char *end)
{
	size_t avail = (size_t)(end - p);
	unsigned c = p[0];

	if (c >= 0xc2 && c <= 0xdf)
		return avail >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (avail < 3 || (p[1] & 0xc0) != 0x80 ||
		    (p[2] & 0xc0) != 0x80)
			return 0;
		/* Overlong forms, then UTF-16 surrogates. */
		if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f))
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (avail < 4 || (p[1] & 0xc0) != 0x80 ||
		    (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
			return 0;
		/* Overlong forms, then code points over U+10FFFF. */
		if ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

/*
** Advance *pp over string bytes that need no unescaping, up to a '"' or a
** '\\', checking control characters and UTF-8 on the way.
*/
static int
scan_run(struct jp *jp, const unsigned char **pp)
{
	const unsigned char *p = *pp, *end = jp->end;
	unsigned c;
	size_t n;

	for (;;) {
		p += swar_plain_run(p, (size_t)(end - p));
		if (p == end)
			return jp_fail(jp, p, DIB_EINVAL,
			    "unterminated string");
		c = *p;
		if (c == '"' || c == '\\')
			break;
		if (c < 0x20)
			return jp_fail(jp, p, DIB_EINVAL, "control character "
			    "0x%02X in a string (it must be escaped)", c);
		if (c < 0x80) {
			p++;
			continue;
		}
		if ((n = utf8_seq(p, end)) == 0)
			return jp_fail(jp, p, DIB_EINVAL,
			    "invalid UTF-8 in a string (byte 0x%02X)", c);
		p += n;
	}
	*pp = p;
	return 0;
}

/* Four hex digits at p as a code unit, or -1. */
static long
hex4(const unsigned char *p)
{
	long v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned c = p[i];

		if (IS_DIGIT(c))
			v = v * 16 + (c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			v = v * 16 + ((c | 0x20) - 'a' + 10);
		else
			return -1;
	}
	return v;
}

/*
** Decode the escape at *pp (a backslash) into out (4 bytes) and advance
** *pp past it; *n is the number of bytes written.
*/
static int
unescape(struct jp *jp, const unsigned char **pp, char *out, size_t *n)
{
	const unsigned char *p = *pp, *end = jp->end;
	long cp, lo;

	*n = 0;
	if (end - p < 2)
		return jp_fail(jp, end, DIB_EINVAL, "unterminated string");
	*n = 1;
	switch (p[1]) {
	case '"':
	case '\\':
	case '/':
		*out = (char)p[1];
		break;
	case 'b':
		*out = '\b';
		break;
	case 'f':
		*out = '\f';
		break;
	case 'n':
		*out = '\n';
		break;
	case 'r':
		*out = '\r';
		break;
	case 't':
		*out = '\t';
		break;
	case 'u':
		if (end - p < 6 || (cp = hex4(p + 2)) < 0)
			return jp_fail(jp, p, DIB_EINVAL, "invalid \\u escape "
			    "(it needs four hex digits)");
		if (cp == 0)
			return jp_fail(jp, p, DIB_EINVAL,
			    "\\u0000 is not allowed in a string");
		if (cp >= 0xdc00 && cp <= 0xdfff)
			return jp_fail(jp, p, DIB_EINVAL, "lone surrogate "
			    "\\u%04lX (a low surrogate must follow a high one)",
			    cp);
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (end - p < 12 || p[6] != '\\' || p[7] != 'u' ||
			    (lo = hex4(p + 8)) < 0xdc00 || lo > 0xdfff)
				return jp_fail(jp, p, DIB_EINVAL, "lone "
				    "surrogate \\u%04lX (a high surrogate must "
				    "be followed by a \\u escape of a low one)",
				    cp);
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			p += 6;
		}
		if (cp < 0x80)
			out[0] = (char)cp;
		else if (cp < 0x800) {
			out[0] = (char)(0xc0 | cp >> 6);
			out[1] = (char)(0x80 | (cp & 0x3f));
			*n = 2;
		} else if (cp < 0x10000) {
			out[0] = (char)(0xe0 | cp >> 12);
			out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
			out[2] = (char)(0x80 | (cp & 0x3f));
			*n = 3;
		} else {
			out[0] = (char)(0xf0 | cp >> 18);
			out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
			out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
			out[3] = (char)(0x80 | (cp & 0x3f));
			*n = 4;
		}
		p += 4;
		break;
	default:
		if (p[1] > 0x20 && p[1] < 0x7f)
			return jp_fail(jp, p, DIB_EINVAL,
			    "invalid escape '\\%c'", p[1]);
		return jp_fail(jp, p, DIB_EINVAL,
		    "invalid escape (byte 0x%02X after '\\')", p[1]);
	}
	*pp = p + 2;
	return 0;
}

/*
** Parse the string whose opening quote is at jp->p into *s and *n: the
** bytes stay in the input when there is no escape, else they are in
** jp->buf until the next string.
*/
static int
parse_string(struct jp *jp, const char **s, size_t *n)
{
	const unsigned char *p = jp->p + 1, *run = p;
	size_t len = 0, k, m;
	int rc;

	if ((rc = scan_run(jp, &p)) != 0)
		return rc;
	if (*p == '"') {
		*s = (const char *)run;
		*n = (size_t)(p - run);
		jp->p = p + 1;
		return 0;
	}
	for (;;) {
		k = (size_t)(p - run);
		if ((rc = jp_reserve(jp, len + k + 4)) != 0)
			return rc;
		memcpy(jp->buf + len, run, k);
		len += k;
		if (*p == '"')
			break;
		if ((rc = unescape(jp, &p, jp->buf + len, &m)) != 0)
			return rc;
		len += m;
		run = p;
		if ((rc = scan_run(jp, &p)) != 0)
			return rc;
	}
	*s = jp->buf;
	*n = len;
	jp->p = p + 1;
	return 0;
}

static locale_t c_numeric;
static pthread_once_t c_numeric_once = PTHREAD_ONCE_INIT;

static void
c_numeric_init(void)
{
	c_numeric = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

/*
** strtod of [s, s + n) in the C locale: whatever LC_NUMERIC the program
** set, the decimal point of JSON is '.'. *x is correctly rounded.
*/
static int
slow_strtod(struct jp *jp, const unsigned char *s, size_t n, double *x)
{
	char small[64], *copy = small, *endp;
	int rc = 0;

	*x = 0;
	pthread_once(&c_numeric_once, c_numeric_init);
	if (c_numeric == (locale_t)0)
		return jp_nomem(jp);
	if (n >= sizeof small && (copy = malloc(n + 1)) == NULL)
		return jp_nomem(jp);
	memcpy(copy, s, n);
	copy[n] = '\0';
	*x = strtod_l(copy, &endp, c_numeric);
	/* The grammar was checked already: strtod takes all of it. */
	if (endp != copy + n)
		rc = jp_fail(jp, s, DIB_EINVAL, "invalid number");
	if (copy != small)
		free(copy);
	return rc;
}

/* The fast path needs each operation rounded once, straight to double. */
#if FLT_EVAL_METHOD == 0
#define FAST_PATH 1
#else
#define FAST_PATH 0
#endif

/* Exact powers of ten for the fast path of parse_number. */
static const double pow10s[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/*
** A number: an integer that fits int64 is a json_integer, anything else a
** json_real. Significands up to 2^53 scaled by at most 10^22 are exact
** doubles, so one multiplication or division rounds correctly (Clinger's
** fast path); the rest goes to strtod.
*/
static int
parse_number(struct jp *jp, json_t **out)
{
	const unsigned char *p = jp->p, *end = jp->end, *start = p;
	uint64_t m = 0;         /* the digits, unless lost */
	int64_t exp10 = 0;      /* unless lost, the value is m * 10^exp10 */
	int64_t e = 0;
	int neg = 0, eneg = 0, real = 0, lost = 0;
	double x;
	int rc;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	jp->p = p;
	if (p < end && *p == '0') {
		p++;
		if (p < end && IS_DIGIT(*p))
			return jp_fail(jp, p - 1, DIB_EINVAL,
			    "leading zero in a number");
	} else if (p < end && IS_DIGIT(*p)) {
		do {
			if (m < UINT64_MAX / 10 - 1)
				m = m * 10 + (*p - '0');
			else
				lost = 1;
			p++;
		} while (p < end && IS_DIGIT(*p));
	} else
		return jp_expected(jp, "a digit after '-'");
	if (p < end && *p == '.') {
		real = 1;
		jp->p = ++p;
		if (p == end || !IS_DIGIT(*p))
			return jp_expected(jp, "a digit after '.'");
		do {
			if (m < UINT64_MAX / 10 - 1) {
				m = m * 10 + (*p - '0');
				exp10--;
			} else
				lost = 1;
			p++;
		} while (p < end && IS_DIGIT(*p));
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		real = 1;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		jp->p = p;
		if (p == end || !IS_DIGIT(*p))
			return jp_expected(jp, "a digit in the exponent");
		do {
			/* Beyond this, strtod decides. */
			if (e < 100000)
				e = e * 10 + (*p - '0');
			p++;
		} while (p < end && IS_DIGIT(*p));
		exp10 += eneg ? -e : e;
	}
	jp->p = p;

	if (!real && !lost && m <= (uint64_t)INT64_MAX + neg) {
		json_int_t v;

		if (!neg)
			v = (json_int_t)m;
		else if (m == (uint64_t)INT64_MAX + 1)
			v = INT64_MIN;
		else
			v = -(json_int_t)m;
		if ((*out = json_integer(v)) == NULL)
			return jp_nomem(jp);
		return 0;
	}
	if (FAST_PATH && !lost && m <= (uint64_t)1 << 53 && exp10 >= -22 &&
	    exp10 <= 22) {
		x = exp10 < 0 ? (double)m / pow10s[-exp10] :
		    (double)m * pow10s[exp10];
		if (neg)
			x = -x;
	} else if ((rc = slow_strtod(jp, start, (size_t)(p - start),
	    &x)) != 0)
		return rc;
	if (isinf(x)) {
		int shown = p - start > 24 ? 24 : (int)(p - start);

		return jp_fail(jp, start, DIB_EINVAL, "number %.*s%s is too "
		    "large for a double", shown, (const char *)start,
		    p - start > shown ? "..." : "");
	}
	if ((*out = json_real(x)) == NULL)
		return jp_nomem(jp);
	return 0;
}

/* A key for a message (size >= 8): at most 40 bytes, control bytes '?'. */
static void
key_excerpt(const char *k, size_t n, char *out, size_t size)
{
	size_t i, lim = n;

	if (lim > 40)
		lim = 40;
	if (lim > size - 4)
		lim = size - 4;
	/* Do not cut a UTF-8 sequence in two. */
	while (lim < n && lim > 0 && ((unsigned char)k[lim] & 0xc0) == 0x80)
		lim--;
	for (i = 0; i < lim; i++)
		out[i] = (unsigned char)k[i] < 0x20 ? '?' : k[i];
	out[i] = '\0';
	if (lim < n)
		snprintf(out + i, size - i, "...");
}

static int
parse_object(struct jp *jp, json_t **out)
{
	json_t *obj = NULL, *v = NULL;
	char *kcopy = NULL;
	int rc = 0;

	if (++jp->depth > UTIL_JSON_MAX_DEPTH) {
		rc = jp_fail(jp, jp->p, DIB_ETOOBIG, "arrays and objects "
		    "nested deeper than %d", UTIL_JSON_MAX_DEPTH);
		goto out;
	}
	if ((obj = json_object()) == NULL) {
		rc = jp_nomem(jp);
		goto out;
	}
	jp->p++;
	skip_ws(jp);
	while (!peek(jp, '}')) {
		const unsigned char *kat = jp->p, *comma;
		const char *k;
		size_t kn, size;

		if (!peek(jp, '"')) {
			rc = jp_expected(jp, "a string key or '}'");
			goto out;
		}
		if ((rc = parse_string(jp, &k, &kn)) != 0)
			goto out;
		/* Parsing the value may reuse jp->buf. */
		if (k == jp->buf) {
			if ((kcopy = malloc(kn ? kn : 1)) == NULL) {
				rc = jp_nomem(jp);
				goto out;
			}
			memcpy(kcopy, k, kn);
			k = kcopy;
		}
		skip_ws(jp);
		if (!peek(jp, ':')) {
			rc = jp_expected(jp, "':' after an object key");
			goto out;
		}
		jp->p++;
		skip_ws(jp);
		if ((rc = parse_value(jp, &v)) != 0)
			goto out;
		/* A key already there keeps the size: one hash lookup. */
		size = json_object_size(obj);
		rc = json_object_setn_new_nocheck(obj, k, kn, v);
		v = NULL;
		if (rc != 0) {
			rc = jp_nomem(jp);
			goto out;
		}
		if (json_object_size(obj) == size) {
			char ex[64];

			key_excerpt(k, kn, ex, sizeof ex);
			rc = jp_fail(jp, kat, DIB_EINVAL,
			    "duplicate key \"%s\"", ex);
			goto out;
		}
		free(kcopy);
		kcopy = NULL;
		skip_ws(jp);
		if (peek(jp, ',')) {
			comma = jp->p++;
			skip_ws(jp);
			if (peek(jp, '}')) {
				rc = jp_fail(jp, comma, DIB_EINVAL,
				    "trailing comma before '}'");
				goto out;
			}
		} else if (!peek(jp, '}')) {
			rc = jp_expected(jp,
			    "',' or '}' after an object member");
			goto out;
		}
	}
	jp->p++;
	jp->depth--;
	*out = obj;
	obj = NULL;
out:
	free(kcopy);
	json_decref(v);
	json_decref(obj);
	return rc;
}

static int
parse_array(struct jp *jp, json_t **out)
{
	json_t *arr = NULL, *v = NULL;
	int rc = 0;

	if (++jp->depth > UTIL_JSON_MAX_DEPTH) {
		rc = jp_fail(jp, jp->p, DIB_ETOOBIG, "arrays and objects "
		    "nested deeper than %d", UTIL_JSON_MAX_DEPTH);
		goto out;
	}
	if ((arr = json_array()) == NULL) {
		rc = jp_nomem(jp);
		goto out;
	}
	jp->p++;
	skip_ws(jp);
	while (!peek(jp, ']')) {
		const unsigned char *comma;

		if ((rc = parse_value(jp, &v)) != 0)
			goto out;
		rc = json_array_append_new(arr, v);
		v = NULL;
		if (rc != 0) {
			rc = jp_nomem(jp);
			goto out;
		}
		skip_ws(jp);
		if (peek(jp, ',')) {
			comma = jp->p++;
			skip_ws(jp);
			if (peek(jp, ']')) {
				rc = jp_fail(jp, comma, DIB_EINVAL,
				    "trailing comma before ']'");
				goto out;
			}
		} else if (!peek(jp, ']')) {
			rc = jp_expected(jp,
			    "',' or ']' after an array element");
			goto out;
		}
	}
	jp->p++;
	jp->depth--;
	*out = arr;
	arr = NULL;
out:
	json_decref(v);
	json_decref(arr);
	return rc;
}

/* The literal word at jp->p, if it is one. */
static int
parse_literal(struct jp *jp, const char *word, size_t n, json_t *v,
    json_t **out)
{
	if ((size_t)(jp->end - jp->p) < n || memcmp(jp->p, word, n) != 0)
		return jp_fail(jp, jp->p, DIB_EINVAL,
		    "invalid literal (expected true, false or null)");
	jp->p += n;
	*out = v;
	return 0;
}

/* Any value, at jp->p after white space. */
static int
parse_value(struct jp *jp, json_t **out)
{
	const char *s;
	size_t n;
	int rc;

	*out = NULL;
	if (jp->p == jp->end)
		return jp_expected(jp, "a value");
	switch (*jp->p) {
	case '"':
		if ((rc = parse_string(jp, &s, &n)) != 0)
			return rc;
		if ((*out = json_stringn_nocheck(s, n)) == NULL)
			return jp_nomem(jp);
		return 0;
	case '{':
		return parse_object(jp, out);
	case '[':
		return parse_array(jp, out);
	case '-':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return parse_number(jp, out);
	case 't':
		return parse_literal(jp, "true", 4, json_true(), out);
	case 'f':
		return parse_literal(jp, "false", 5, json_false(), out);
	case 'n':
		return parse_literal(jp, "null", 4, json_null(), out);
	default:
		return jp_expected(jp, "a value");
	}
}

int
util_json_parse(const char *text, size_t len, const char *field_name,
    json_t **out, struct dib_diag *d)
{
	char stackbuf[512];
	struct jp jp;
	json_t *v = NULL;
	int rc;

	*out = NULL;
	if (text == NULL)
		text = "";
	if (len > UTIL_JSON_MAX_LEN)
		return dib_fail(d, DIB_ETOOBIG, field_name, "%zu bytes of JSON "
		    "is over the limit of %zu", len, UTIL_JSON_MAX_LEN);
	jp.start = jp.p = (const unsigned char *)text;
	jp.end = jp.start + len;
	jp.depth = 0;
	jp.buf = jp.stackbuf = stackbuf;
	jp.cap = sizeof stackbuf;
	jp.field = field_name;
	jp.d = d;

	skip_ws(&jp);
	if (jp.p == jp.end) {
		rc = jp_fail(&jp, jp.p, DIB_EINVAL, "no JSON value (%s)",
		    len ? "only white space" : "empty input");
		goto out;
	}
	if ((rc = parse_value(&jp, &v)) != 0)
		goto out;
	skip_ws(&jp);
	if (jp.p != jp.end) {
		rc = jp_expected(&jp, "the end after the JSON value");
		goto out;
	}
	*out = v;
	v = NULL;
out:
	if (jp.buf != stackbuf)
		free(jp.buf);
	json_decref(v);
	return rc;
}

/* ---- one element at a time, in an arena ---- */

/*
** jansson allocates through these once util_json_each has run: from the
** thread's arena while one is set, else from malloc. A value freed after
** its arena was emptied would be freed twice (or by free() although
** malloc never gave it): util_json_each keeps every arena value inside
** its call.
*/
static _Thread_local struct arena *tl_arena;

static void *
hook_malloc(size_t n)
{
	struct arena *a = tl_arena;

	return a != NULL ? arena_alloc(a, n) : malloc(n);
}

static void
hook_free(void *p)
{
	struct arena *a = tl_arena;

	if (a != NULL && arena_owns(a, p))
		return;
	free(p);
}

static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;

static void
hooks_init(void)
{
	json_set_alloc_funcs(hook_malloc, hook_free);
}

/* Is the literal s (no escapes) next, after white space? Skip it. */
static int
expect_lit(struct jp *jp, const char *s, size_t n)
{
	skip_ws(jp);
	if ((size_t)(jp->end - jp->p) < n || memcmp(jp->p, s, n) != 0)
		return 0;
	jp->p += n;
	return 1;
}

int
util_json_each(const char *text, size_t len, const char *key,
    void (*fn)(void *arg, size_t i, json_t *v), void *arg)
{
	char stackbuf[512];
	struct arena arena;
	struct jp jp;
	size_t i = 0, klen = strlen(key);
	int rc = 1;

	if (text == NULL || len > UTIL_JSON_MAX_LEN)
		return 1;
	pthread_once(&hooks_once, hooks_init);
	arena_init(&arena);
	jp.start = jp.p = (const unsigned char *)text;
	jp.end = jp.start + len;
	jp.buf = jp.stackbuf = stackbuf;
	jp.cap = sizeof stackbuf;
	jp.field = "";
	jp.d = NULL;    /* util_json_parse words the errors */

	if (!expect_lit(&jp, "{", 1) || !expect_lit(&jp, "\"", 1) ||
	    (size_t)(jp.end - jp.p) < klen + 1 ||
	    memcmp(jp.p, key, klen) != 0 || jp.p[klen] != '"')
		goto out;
	jp.p += klen + 1;
	if (!expect_lit(&jp, ":", 1) || !expect_lit(&jp, "[", 1))
		goto out;
	skip_ws(&jp);
	if (!peek(&jp, ']')) {
		for (;; i++) {
			json_t *v = NULL;
			int bad;

			/* The element's place in the whole text: inside an
			 * object and an array. */
			jp.depth = 2;
			skip_ws(&jp);
			tl_arena = &arena;
			bad = parse_value(&jp, &v) != 0;
			if (!bad)
				fn(arg, i, v);
			/* No json_decref: every byte of v is in the arena,
			 * which the reset empties at once. */
			tl_arena = NULL;
			arena_reset(&arena);
			if (bad)
				goto out;
			skip_ws(&jp);
			if (peek(&jp, ']'))
				break;
			if (!peek(&jp, ','))
				goto out;
			jp.p++;
		}
	}
	jp.p++;
	if (!expect_lit(&jp, "}", 1))
		goto out;
	skip_ws(&jp);
	if (jp.p == jp.end)
		rc = 0;
out:
	tl_arena = NULL;
	arena_free(&arena);
	if (jp.buf != stackbuf)
		free(jp.buf);
	return rc;
}
