/*
** Reading a coordinate as people write it: decimal degrees, degrees with
** minutes and seconds, UTM and MGRS. Every rejection names the problem.
*/
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "geo/geo.h"

#define FIELD "coordinates"
#define MAXTOK 48
#define MAXNUM 24

enum {
	TK_NUM,
	TK_DEG,
	TK_MIN,
	TK_SEC,
	TK_LETTER,
	TK_COMMA
};

struct tok {
	int kind;       /* TK_* */
	double v;       /* TK_NUM: the value without its sign */
	int sign;       /* TK_NUM: -1 or +1 when written, else 0 */
	int isint;      /* TK_NUM: written without a decimal point */
	int ndig;       /* TK_NUM: digits before the point */
	char c;         /* TK_LETTER: the letter as written */
	int glued;      /* no space before it */
	size_t pos;     /* byte offset in the input */
};

/* One latitude or longitude as written: up to degrees, minutes, seconds. */
struct comp {
	double v[3];    /* degrees, minutes, seconds */
	int isint[3];   /* written without a decimal point */
	int last;       /* last slot filled, -1 before the first number */
	int sign;       /* sign written before the degrees, or 0 */
	char hemi;      /* 'N', 'S', 'E', 'W' or 0 */
	int lead;       /* the hemisphere letter came first */
	int closed;     /* a trailing hemisphere letter ended it */
};

static const char *const slotname[3] = {"degrees", "minutes", "seconds"};

/* Is p the start of a UTF-8 sequence "seq"? Returns its length or 0. */
static size_t
utf8_is(const char *p, const char *seq)
{
	size_t n = strlen(seq);

	return strncmp(p, seq, n) == 0 ? n : 0;
}

/* Length of a space at p (ASCII or Unicode), or 0. */
static size_t
space_at(const char *p)
{
	static const char *const sp[] = {
		"\xc2\xa0",             /* no-break space */
		"\xe2\x80\xaf",         /* narrow no-break space */
		"\xe2\x80\x89",         /* thin space */
		"\xe2\x80\x8a",         /* hair space */
	};
	size_t i, n;

	if (*p == ' ' || *p == '\t')
		return 1;
	for (i = 0; i < sizeof sp / sizeof sp[0]; i++)
		if ((n = utf8_is(p, sp[i])) != 0)
			return n;
	return 0;
}

/* Length of a degree, minute or second sign at p and its kind, or 0. */
static size_t
mark_at(const char *p, int *kind)
{
	static const struct {
		const char *seq;
		int kind;
	} marks[] = {
		{"\xc2\xb0", TK_DEG},           /* ° degree sign */
		{"\xc2\xba", TK_DEG},           /* º ordinal, often typed */
		{"\xcb\x9a", TK_DEG},           /* ˚ ring above */
		{"''", TK_SEC},
		{"'", TK_MIN},
		{"\xe2\x80\xb2", TK_MIN},       /* ′ prime */
		{"\xe2\x80\x99", TK_MIN},       /* ’ right quote */
		{"\xe2\x80\x98", TK_MIN},       /* ‘ left quote */
		{"\xc2\xb4", TK_MIN},           /* ´ acute accent */
		{"\"", TK_SEC},
		{"\xe2\x80\xb3", TK_SEC},       /* ″ double prime */
		{"\xe2\x80\x9d", TK_SEC},       /* ” right double quote */
		{"\xe2\x80\x9c", TK_SEC},       /* “ left double quote */
	};
	size_t i, n;

	for (i = 0; i < sizeof marks / sizeof marks[0]; i++)
		if ((n = utf8_is(p, marks[i].seq)) != 0) {
			*kind = marks[i].kind;
			return n;
		}
	return 0;
}

/* Length of a minus or plus sign at p (ASCII or U+2212), or 0. */
static size_t
sign_at(const char *p, int *sign)
{
	size_t n;

	if (*p == '-' || *p == '+') {
		*sign = *p == '-' ? -1 : 1;
		return 1;
	}
	if ((n = utf8_is(p, "\xe2\x88\x92")) != 0) {
		*sign = -1;
		return n;
	}
	return 0;
}

/* 1-based character (not byte) position of byte off in s, for messages. */
static size_t
charpos(const char *s, size_t off)
{
	size_t i, n = 1;

	for (i = 0; i < off; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

/* Describe the unexpected byte(s) at p into out: 'x', "é", byte 0xff. */
static void
describe(const char *p, char *out, size_t n)
{
	unsigned char c = (unsigned char)*p;
	size_t len = 0, i;

	if (c >= 0x20 && c < 0x7f) {
		snprintf(out, n, "'%c'", c);
		return;
	}
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	for (i = 1; i < len; i++)
		if (((unsigned char)p[i] & 0xc0) != 0x80)
			len = 0;
	if (len != 0)
		snprintf(out, n, "\"%.*s\"", (int)len, p);
	else if (c < 0x20 || c == 0x7f)
		snprintf(out, n, "control character 0x%02x", c);
	else
		snprintf(out, n, "byte 0x%02x", c);
}

static int
lex_fail(const char *s, size_t off, struct dib_diag *d)
{
	char what[48];

	describe(s + off, what, sizeof what);
	return dib_fail(d, DIB_EINVAL, FIELD,
	    "unexpected %s at character %zu", what, charpos(s, off));
}

/* Read a number at s + *i (after any sign) into t. */
static int
lex_number(const char *s, size_t *i, struct tok *t, struct dib_diag *d)
{
	char num[MAXNUM + 1];
	size_t start = *i, j = *i, nd = 0, nf = 0;

	while (isdigit((unsigned char)s[j]))
		j++, nd++;
	t->isint = 1;
	if (s[j] == '.') {
		t->isint = 0;
		j++;
		while (isdigit((unsigned char)s[j]))
			j++, nf++;
	}
	if (nd + nf == 0)
		return dib_fail(d, DIB_EINVAL, FIELD, "a lone '.' at "
		    "character %zu is not a number", charpos(s, start));
	if (s[j] == '.')
		return dib_fail(d, DIB_EINVAL, FIELD, "malformed number at "
		    "character %zu", charpos(s, start));
	if ((s[j] == 'e' || s[j] == 'E') && (isdigit((unsigned char)s[j +
	    1]) || ((s[j + 1] == '-' || s[j + 1] == '+') &&
	    isdigit((unsigned char)s[j + 2]))))
		return dib_fail(d, DIB_EINVAL, FIELD, "exponents are not "
		    "accepted (at character %zu): write plain decimals",
		    charpos(s, j));
	if (j - start > MAXNUM)
		return dib_fail(d, DIB_EINVAL, FIELD, "number at character "
		    "%zu is too long (more than %d characters)",
		    charpos(s, start), MAXNUM);
	memcpy(num, s + start, j - start);
	num[j - start] = '\0';
	t->kind = TK_NUM;
	t->v = strtod(num, NULL);
	t->ndig = (int)nd;
	*i = j;
	return DIB_OK;
}

/* Turn s into tokens; spaces only separate. */
static int
lex(const char *s, struct tok *toks, int *ntok, struct dib_diag *d)
{
	size_t i = 0, n;
	int nt = 0, glued = 0, kind, sign, rc;

	*ntok = 0;
	while (s[i] != '\0') {
		struct tok *t = &toks[nt];

		if ((n = space_at(s + i)) != 0) {
			i += n;
			glued = 0;
			continue;
		}
		if (nt == MAXTOK)
			return dib_fail(d, DIB_EINVAL, FIELD,
			    "too many parts for one position");
		memset(t, 0, sizeof *t);
		t->pos = i;
		t->glued = glued && nt > 0;
		glued = 1;
		if (s[i] == ',') {
			t->kind = TK_COMMA;
			i++;
		} else if ((n = sign_at(s + i, &sign)) != 0 ||
		    isdigit((unsigned char)s[i]) || s[i] == '.') {
			i += n;
			t->sign = n != 0 ? sign : 0;
			if (n != 0 && strncasecmp(s + i, "nan", 3) == 0)
				return dib_fail(d, DIB_EINVAL, FIELD,
				    "NaN is not a coordinate");
			if (n != 0 && strncasecmp(s + i, "inf", 3) == 0)
				return dib_fail(d, DIB_EINVAL, FIELD,
				    "infinity is not a coordinate");
			if (n != 0 && !isdigit((unsigned char)s[i]) &&
			    s[i] != '.')
				return dib_fail(d, DIB_EINVAL, FIELD,
				    "sign at character %zu is not followed "
				    "by a number", charpos(s, t->pos));
			if ((rc = lex_number(s, &i, t, d)) != DIB_OK)
				return rc;
		} else if ((n = mark_at(s + i, &kind)) != 0) {
			/* Two primes glued together are a second sign. */
			if (kind == TK_MIN && nt > 0 && t->glued &&
			    toks[nt - 1].kind == TK_MIN) {
				toks[nt - 1].kind = TK_SEC;
				i += n;
				continue;
			}
			t->kind = kind;
			i += n;
		} else if (isalpha((unsigned char)s[i])) {
			char word[16];
			size_t j = i, k;

			while (isalpha((unsigned char)s[j]))
				j++;
			/* "12.5sN": a unit letter glued to a hemisphere. */
			if (j - i == 2 && strchr("dDmMsS", s[i]) != NULL &&
			    strchr("NSEWnsew", s[i + 1]) != NULL)
				j = i + 1;
			if (j - i > 1) {
				for (k = 0; k < j - i && k + 1 < sizeof word;
				    k++)
					word[k] = (char)tolower(
					    (unsigned char)s[i + k]);
				word[k] = '\0';
				if (strcmp(word, "nan") == 0)
					return dib_fail(d, DIB_EINVAL, FIELD,
					    "NaN is not a coordinate");
				if (strcmp(word, "inf") == 0 ||
				    strcmp(word, "infinity") == 0)
					return dib_fail(d, DIB_EINVAL, FIELD,
					    "infinity is not a coordinate");
				return dib_fail(d, DIB_EINVAL, FIELD,
				    "unexpected word \"%.*s\" at character "
				    "%zu", (int)(j - i > 12 ? 12 : j - i),
				    s + i, charpos(s, i));
			}
			t->kind = TK_LETTER;
			t->c = s[i];
			i = j;
		} else
			return lex_fail(s, i, d);
		nt++;
	}
	*ntok = nt;
	return DIB_OK;
}

/* Does a unit letter glued after a number act as a sign for it? */
static int
letter_mark(const struct tok *t, const struct comp *c)
{
	if (t->kind != TK_LETTER || !t->glued)
		return -1;
	if (t->c == 'd' || t->c == 'D')
		return TK_DEG;
	if (t->c == 'm' || t->c == 'M')
		return TK_MIN;
	/* 's' means seconds after minutes; 'S' is always south. */
	if (t->c == 's' && c->last == 1)
		return TK_SEC;
	return -1;
}

/* The sign (TK_DEG..TK_SEC) that follows the number t[i], or -1. */
static int
mark_after(const struct tok *t, int i, int to, const struct comp *c)
{
	if (i + 1 >= to)
		return -1;
	if (t[i + 1].kind == TK_DEG || t[i + 1].kind == TK_MIN ||
	    t[i + 1].kind == TK_SEC)
		return t[i + 1].kind;
	return letter_mark(&t[i + 1], c);
}

/*
** Group tokens [from, to) into at most max components. A component ends
** at a trailing hemisphere letter, before a leading one, before a signed
** number or a second degrees value, and after a decimal value.
*/
static int
group(const struct tok *t, int from, int to, struct comp *comps, int max,
    int *ncomp, struct dib_diag *d)
{
	struct comp *c;
	int i = from, nc = 1, mark, slot;

	memset(comps, 0, sizeof *comps);
	comps[0].last = -1;
	c = &comps[0];
	while (i < to) {
		int fresh = 0;

		if (t[i].kind == TK_NUM) {
			mark = mark_after(t, i, to, c);
			if (c->last >= 0) {
				if (c->closed || t[i].sign != 0 ||
				    mark == TK_DEG || (mark < 0 &&
				    !c->isint[c->last]))
					fresh = 1;
				else if (mark < 0 && c->last == 2)
					return dib_fail(d, DIB_EINVAL, FIELD,
					    "cannot tell where the latitude "
					    "ends: add N/S and E/W, degree "
					    "signs or a comma");
			}
			if (fresh) {
				if (nc == max)
					goto toomany;
				c = &comps[nc++];
				memset(c, 0, sizeof *c);
				c->last = -1;
				mark = mark_after(t, i, to, c);
			}
			slot = mark < 0 ? c->last + 1 : mark - TK_DEG;
			if (slot <= c->last)
				return dib_fail(d, DIB_EINVAL, FIELD,
				    "%s given after %s", slotname[slot],
				    slotname[c->last]);
			if (slot > c->last + 1)
				return dib_fail(d, DIB_EINVAL, FIELD,
				    "%s without %s", slotname[slot],
				    slotname[slot - 1]);
			if (slot > 0 && !c->isint[slot - 1])
				return dib_fail(d, DIB_EINVAL, FIELD,
				    "%s must be a whole number when %s "
				    "follow", slotname[slot - 1],
				    slotname[slot]);
			if (slot == 0)
				c->sign = t[i].sign;
			c->v[slot] = t[i].v;
			c->isint[slot] = t[i].isint;
			c->last = slot;
			i += mark < 0 ? 1 : 2;
		} else if (t[i].kind == TK_LETTER) {
			char h = (char)toupper((unsigned char)t[i].c);

			if (h == 'O')
				return dib_fail(d, DIB_EINVAL, FIELD,
				    "write W for west, not O");
			if (strchr("NSEW", h) == NULL)
				return dib_fail(d, DIB_EINVAL, FIELD,
				    "unexpected letter '%c': hemispheres are "
				    "N, S, E and W", t[i].c);
			if (c->last < 0 && c->hemi != 0)
				return dib_fail(d, DIB_EINVAL, FIELD,
				    "two hemisphere letters in a row (%c%c)",
				    c->hemi, h);
			if (c->last >= 0 && (c->lead || c->closed)) {
				if (nc == max)
					goto toomany;
				c = &comps[nc++];
				memset(c, 0, sizeof *c);
				c->last = -1;
			}
			c->hemi = h;
			if (c->last < 0)
				c->lead = 1;
			else
				c->closed = 1;
			i++;
		} else {
			return dib_fail(d, DIB_EINVAL, FIELD,
			    "%s sign without a number before it",
			    t[i].kind == TK_DEG ? "degree" :
			    t[i].kind == TK_MIN ? "minute" : "second");
		}
	}
	*ncomp = nc;
	return DIB_OK;
toomany:
	return dib_fail(d, DIB_EINVAL, FIELD, max == 1 ?
	    "more than one coordinate on one side of the comma" :
	    "more than a latitude and a longitude");
}

/* Check one component and turn it into signed degrees. */
static int
comp_value(const struct comp *c, const char *name, double *out,
    struct dib_diag *d)
{
	double v;
	int k;

	*out = NAN;
	if (c->last < 0 && c->hemi != 0)
		return dib_fail(d, DIB_EINVAL, FIELD,
		    "hemisphere letter %c without a %s", c->hemi, name);
	if (c->last < 0)
		return dib_fail(d, DIB_EINVAL, FIELD, "missing %s", name);
	for (k = 1; k <= c->last; k++)
		if (c->v[k] >= 60)
			return dib_fail(d, DIB_EINVAL, FIELD,
			    "%s %s must be below 60, got %g", name,
			    slotname[k], c->v[k]);
	if (c->sign != 0 && c->hemi != 0)
		return dib_fail(d, DIB_EINVAL, FIELD,
		    "%s has both a sign and a hemisphere letter (%c)", name,
		    c->hemi);
	v = c->v[0];
	if (c->last >= 1)
		v += c->v[1] / 60;
	if (c->last >= 2)
		v += c->v[2] / 3600;
	if (c->sign < 0 || c->hemi == 'S' || c->hemi == 'W')
		v = -v;
	*out = v;
	return DIB_OK;
}

/* Latitude, then longitude, from tokens that are not UTM. */
static int
parse_latlon(const struct tok *t, int nt, double *lat, double *lon,
    struct dib_diag *d)
{
	struct comp comps[2], tmp;
	int i, nc = 0, nc2 = 0, comma = -1, plain = 1, rola, rolb, rc;

	for (i = 0; i < nt; i++) {
		if (t[i].kind == TK_COMMA) {
			if (comma >= 0)
				return dib_fail(d, DIB_EINVAL, FIELD,
				    "more than one comma (write decimals "
				    "with a point: 14.467, -12.217)");
			comma = i;
		}
		if (t[i].kind != TK_NUM)
			plain = 0;
	}
	if (plain && nt != 2)
		return dib_fail(d, DIB_EINVAL, FIELD, nt == 1 ?
		    "a single number is not a position: give a latitude and "
		    "a longitude" : "cannot tell where the latitude ends: "
		    "add N/S and E/W, degree signs or a comma");
	if (plain) {
		/* "14.467 -12.217": decimal degrees, latitude first. */
		memset(comps, 0, sizeof comps);
		for (i = 0; i < 2; i++) {
			comps[i].v[0] = t[i].v;
			comps[i].sign = t[i].sign;
			comps[i].isint[0] = t[i].isint;
		}
		nc = 2;
	} else if (comma >= 0) {
		if (comma == 0 || comma == nt - 1)
			return dib_fail(d, DIB_EINVAL, FIELD,
			    "nothing %s the comma", comma == 0 ? "before" :
			    "after");
		if ((rc = group(t, 0, comma, &comps[0], 1, &nc, d)) != 0 ||
		    (rc = group(t, comma + 1, nt, &comps[1], 1, &nc2, d)) != 0)
			return rc;
		nc += nc2;
	} else if ((rc = group(t, 0, nt, comps, 2, &nc, d)) != DIB_OK)
		return rc;
	rola = comps[0].hemi == 0 ? 0 : strchr("NS", comps[0].hemi) ? 1 : 2;
	rolb = nc < 2 || comps[1].hemi == 0 ? 0 :
	    strchr("NS", comps[1].hemi) ? 1 : 2;
	if (nc < 2)
		return dib_fail(d, DIB_EINVAL, FIELD, rola == 2 ?
		    "missing latitude" : "missing longitude");
	if (rola != 0 && rola == rolb)
		return dib_fail(d, DIB_EINVAL, FIELD, rola == 1 ?
		    "two latitudes (N/S): the longitude needs E or W" :
		    "two longitudes (E/W): the latitude needs N or S");
	if (rola == 2 && rolb == 1) {
		tmp = comps[0];
		comps[0] = comps[1];
		comps[1] = tmp;
	} else if (rola == 2 || rolb == 1)
		return dib_fail(d, DIB_EINVAL, FIELD, "the latitude comes "
		    "first, unless both have hemisphere letters");
	if ((rc = comp_value(&comps[0], "latitude", lat, d)) != DIB_OK ||
	    (rc = comp_value(&comps[1], "longitude", lon, d)) != DIB_OK)
		return rc;
	return geo_check_latlon(*lat, *lon, d);
}

/*
** "28N 800025 1601197" (a comma may separate easting and northing):
** zone, hemisphere, easting, northing.
*/
static int
is_utm(const struct tok *t, int nt)
{
	const struct tok *n = &t[nt - 1];

	if (nt == 5 && t[3].kind != TK_COMMA)
		return 0;
	return (nt == 4 || nt == 5) && t[0].kind == TK_NUM &&
	    t[0].sign == 0 && t[0].isint && t[0].ndig <= 3 &&
	    t[1].kind == TK_LETTER && t[2].kind == TK_NUM &&
	    t[2].sign == 0 && n->kind == TK_NUM && n->sign == 0;
}

/* Written UTM must be within the limits MGRS sets (NGA.SIG.0012). */
static int
parse_utm(const struct tok *t, int nt, double *lat, double *lon,
    struct dib_diag *d)
{
	const struct tok *e = &t[2], *n = &t[nt - 1];
	char h = (char)toupper((unsigned char)t[1].c);
	int zone = (int)t[0].v, rc;

	if (zone < 1 || zone > 60)
		return dib_fail(d, DIB_EINVAL, FIELD,
		    "UTM zone must be 1 to 60, got %d", zone);
	if (h != 'N' && h != 'S') {
		if (strchr("CDEFGHJKLMPQRTUVWX", h) != NULL)
			return dib_fail(d, DIB_EINVAL, FIELD, "UTM needs "
			    "the hemisphere N or S after the zone, not %c "
			    "(%d%c looks like an MGRS grid zone, but MGRS "
			    "also needs the two 100 km square letters)",
			    t[1].c, zone, h);
		return dib_fail(d, DIB_EINVAL, FIELD, "UTM needs the "
		    "hemisphere N or S after the zone, not %c", t[1].c);
	}
	if (!(e->v >= 100000 && e->v <= 900000))
		return dib_fail(d, DIB_EINVAL, FIELD, "UTM easting must be "
		    "100000 to 900000 m, got %.10g", e->v);
	if (h == 'N' && !(n->v <= 9500000))
		return dib_fail(d, DIB_EINVAL, FIELD, "UTM northing in the "
		    "north must be 0 to 9500000 m, got %.10g", n->v);
	if (h == 'S' && !(n->v >= 1000000 && n->v <= 10000000))
		return dib_fail(d, DIB_EINVAL, FIELD, "UTM northing in the "
		    "south must be 1000000 to 10000000 m, got %.10g", n->v);
	rc = geo_latlon_from_utm(zone, h == 'N', e->v, n->v, lat, lon, d);
	if (rc != DIB_OK && d != NULL)
		snprintf(d->field, sizeof d->field, "%s", FIELD);
	return rc;
}

/*
** Digits, then at least two letters: an MGRS reference (its parser tells
** what is wrong with the rest); or a grid zone alone (28P), which is not
** a hemisphere (14N). The zone's digits are contiguous: "14 12 NE" is not
** a zone 1412.
*/
static int
looks_mgrs(const char *s)
{
	const char *p = s + strspn(s, " \t");
	size_t nd, nl = 0;
	char letter = 0;

	nd = strspn(p, "0123456789");
	if (nd == 0)
		return 0;
	for (p += nd; *p != '\0'; p++) {
		if (*p == ' ' || *p == '\t')
			continue;
		if (!isalpha((unsigned char)*p))
			break;
		letter = *p;
		if (++nl == 2)
			return 1;
	}
	return nd <= 2 && nl == 1 && *p == '\0' &&
	    strchr("NSEWnsew", letter) == NULL;
}

int
geo_parse(const char *s, double *lat, double *lon, struct dib_diag *d)
{
	struct tok toks[MAXTOK];
	const char *p;
	int nt, rc;

	*lat = *lon = NAN;
	if (s == NULL)
		return dib_fail(d, DIB_EINVAL, FIELD, "missing");
	if (strnlen(s, GEO_PARSE_MAX + 1) > GEO_PARSE_MAX)
		return dib_fail(d, DIB_EINVAL, FIELD,
		    "too long (more than %d bytes)", GEO_PARSE_MAX);
	for (p = s; *p != '\0' && space_at(p) != 0; p += space_at(p))
		;
	if (*p == '\0')
		return dib_fail(d, DIB_EINVAL, FIELD, "empty");
	if (looks_mgrs(s))
		return geo_mgrs_parse(s, lat, lon, d);
	if ((rc = lex(s, toks, &nt, d)) != DIB_OK)
		return rc;
	if (is_utm(toks, nt))
		return parse_utm(toks, nt, lat, lon, d);
	rc = parse_latlon(toks, nt, lat, lon, d);
	if (rc != DIB_OK)
		*lat = *lon = NAN;
	return rc;
}
