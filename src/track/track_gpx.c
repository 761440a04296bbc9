/*
** GPX 1.0 and 1.1 in, streaming with expat: memory apart from the points
** stays bounded on any file, and nothing from a DOCTYPE is ever honoured
** (no entity is declared, expanded or fetched).
*/
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <expat.h>

#include "track/track.h"
#include "track/track_int.h"
#include "util/util.h"

#define NS_10 "http://www.topografix.com/GPX/1/0"
#define NS_11 "http://www.topografix.com/GPX/1/1"
#define NS_SEP ' '
#define CHUNK (256 * 1024)
#define MAX_DEPTH 32
#define TEXT_MAX 128            /* bytes of an ele or time value */

/* What an open element is. */
enum kind {
	K_OTHER,        /* skipped with everything inside */
	K_GPX, K_METADATA, K_TRK, K_TRKSEG, K_RTE, K_PT, K_ELE, K_TIME,
	K_NAME
};

/* Which list a point goes to. */
enum ptkind { P_TRK, P_RTE, P_WPT };

struct ctx {
	XML_Parser xp;
	struct track_gpx *g;
	struct dib_diag *d;
	size_t max_points, npoints;
	int rc;                         /* our error, when we stopped expat */
	int depth;
	enum kind stack[MAX_DEPTH];
	enum ptkind ptk;
	struct track_point cur;         /* point being read */
	int name_of;                    /* 1 file name, 2 track name */
	int have_trk_name;
	char text[TEXT_MAX + 1];
	size_t tlen;
	int toolong;
	unsigned long line, col;        /* where the value element started */
	char file_name[sizeof ((struct track *)0)->name];
};

static void
stop(struct ctx *c, int rc)
{
	c->rc = rc;
	XML_StopParser(c->xp, XML_FALSE);
}

static void
fail_at(struct ctx *c, unsigned long line, unsigned long col, int rc,
    const char *what, const char *msg)
{
	dib_fail(c->d, rc, "gpx", "line %lu, column %lu: %s%s%s", line, col,
	    what, *what ? ": " : "", msg);
	stop(c, rc);
}

static void
fail_here(struct ctx *c, int rc, const char *what, const char *msg)
{
	fail_at(c, (unsigned long)XML_GetCurrentLineNumber(c->xp),
	    (unsigned long)XML_GetCurrentColumnNumber(c->xp) + 1, rc, what,
	    msg);
}

/*
** Split an expat name "uri local" and tell whether the namespace is one
** of GPX (or none, as in files that forgot it): the local name, or NULL.
*/
static const char *
gpx_local(const char *name, int *version)
{
	const char *sp = strrchr(name, NS_SEP);

	*version = 0;
	if (sp == NULL)
		return name;
	if ((size_t)(sp - name) == sizeof NS_11 - 1 &&
	    memcmp(name, NS_11, sizeof NS_11 - 1) == 0)
		*version = 11;
	else if ((size_t)(sp - name) == sizeof NS_10 - 1 &&
	    memcmp(name, NS_10, sizeof NS_10 - 1) == 0)
		*version = 10;
	else
		return NULL;
	return sp + 1;
}

static const char *
attr(const char **atts, const char *name)
{
	for (; atts[0] != NULL; atts += 2)
		if (strcmp(atts[0], name) == 0)
			return atts[1];
	return NULL;
}

static const char *
pt_name(enum ptkind k)
{
	return k == P_TRK ? "trkpt" : k == P_RTE ? "rtept" : "wpt";
}

static int
start_point(struct ctx *c, const char **atts)
{
	const char *la = attr(atts, "lat"), *lo = attr(atts, "lon");
	const char *what = pt_name(c->ptk);
	char msg[160];

	memset(&c->cur, 0, sizeof c->cur);
	if (c->npoints >= c->max_points) {
		snprintf(msg, sizeof msg, "more than %zu points (the limit)",
		    c->max_points);
		fail_here(c, DIB_ETOOBIG, what, msg);
		return -1;
	}
	if (la == NULL || lo == NULL) {
		fail_here(c, DIB_EINVAL, what, la == NULL ? "lat is missing" :
		    "lon is missing");
		return -1;
	}
	if (track_parse_number(la, strlen(la), &c->cur.lat) != 0) {
		snprintf(msg, sizeof msg, "lat \"%.40s\" is not a decimal "
		    "number", la);
		fail_here(c, DIB_EINVAL, what, msg);
		return -1;
	}
	if (track_parse_number(lo, strlen(lo), &c->cur.lon) != 0) {
		snprintf(msg, sizeof msg, "lon \"%.40s\" is not a decimal "
		    "number", lo);
		fail_here(c, DIB_EINVAL, what, msg);
		return -1;
	}
	if (!(c->cur.lat >= -90 && c->cur.lat <= 90)) {
		snprintf(msg, sizeof msg, "lat must be in [-90, 90], got %.40s",
		    la);
		fail_here(c, DIB_EINVAL, what, msg);
		return -1;
	}
	if (!(c->cur.lon >= -180 && c->cur.lon <= 180)) {
		snprintf(msg, sizeof msg, "lon must be in [-180, 180], got "
		    "%.40s", lo);
		fail_here(c, DIB_EINVAL, what, msg);
		return -1;
	}
	c->npoints++;
	return 0;
}

/* The kind of a child of an element of kind parent. */
static enum kind
child_kind(struct ctx *c, enum kind parent, const char *local,
    const char **atts)
{
	switch (parent) {
	case K_GPX:
		if (strcmp(local, "metadata") == 0)
			return K_METADATA;
		if (strcmp(local, "trk") == 0) {
			c->g->ntrk++;
			return K_TRK;
		}
		if (strcmp(local, "rte") == 0) {
			if (track_segment(&c->g->rte) != DIB_OK) {
				fail_here(c, DIB_ENOMEM, "rte",
				    "out of memory");
				return K_OTHER;
			}
			return K_RTE;
		}
		if (strcmp(local, "wpt") == 0) {
			c->ptk = P_WPT;
			return start_point(c, atts) == 0 ? K_PT : K_OTHER;
		}
		if (strcmp(local, "name") == 0) {
			c->name_of = 1;
			return K_NAME;
		}
		break;
	case K_METADATA:
		if (strcmp(local, "name") == 0) {
			c->name_of = 1;
			return K_NAME;
		}
		break;
	case K_TRK:
		if (strcmp(local, "trkseg") == 0) {
			if (track_segment(&c->g->trk) != DIB_OK) {
				fail_here(c, DIB_ENOMEM, "trkseg",
				    "out of memory");
				return K_OTHER;
			}
			return K_TRKSEG;
		}
		if (strcmp(local, "name") == 0 && c->g->ntrk == 1) {
			c->name_of = 2;
			return K_NAME;
		}
		break;
	case K_TRKSEG:
		if (strcmp(local, "trkpt") == 0) {
			c->ptk = P_TRK;
			return start_point(c, atts) == 0 ? K_PT : K_OTHER;
		}
		break;
	case K_RTE:
		if (strcmp(local, "rtept") == 0) {
			c->ptk = P_RTE;
			return start_point(c, atts) == 0 ? K_PT : K_OTHER;
		}
		break;
	case K_PT:
		if (strcmp(local, "ele") == 0)
			return K_ELE;
		if (strcmp(local, "time") == 0)
			return K_TIME;
		break;
	default:
		break;
	}
	return K_OTHER;
}

static void XMLCALL
on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct ctx *c = ud;
	enum kind k = K_OTHER;
	const char *local;
	int version;

	if (c->rc != DIB_OK)
		return;
	if (c->depth >= MAX_DEPTH) {
		fail_here(c, DIB_EINVAL, "", "elements nested deeper than 32");
		return;
	}
	local = gpx_local(name, &version);
	if (c->depth == 0) {
		if (local == NULL || strcmp(local, "gpx") != 0) {
			char msg[160];

			snprintf(msg, sizeof msg, "not a GPX file: the root "
			    "element is <%.80s>", local ? local : name);
			fail_here(c, DIB_EINVAL, "", msg);
			return;
		}
		k = K_GPX;
		c->g->version = version;
		if (version == 0) {
			const char *v = attr(atts, "version");

			c->g->version = v && strcmp(v, "1.0") == 0 ? 10 :
			    v && strcmp(v, "1.1") == 0 ? 11 : 0;
		}
	} else if (c->stack[c->depth - 1] != K_OTHER && local != NULL) {
		k = child_kind(c, c->stack[c->depth - 1], local, atts);
	}
	if (k == K_ELE || k == K_TIME || k == K_NAME) {
		c->tlen = 0;
		c->toolong = 0;
		c->line = (unsigned long)XML_GetCurrentLineNumber(c->xp);
		c->col = (unsigned long)XML_GetCurrentColumnNumber(c->xp) + 1;
	}
	c->stack[c->depth++] = k;
}

static void XMLCALL
on_text(void *ud, const XML_Char *s, int len)
{
	struct ctx *c = ud;
	enum kind k;
	size_t room;

	if (c->depth == 0 || c->rc != DIB_OK)
		return;
	k = c->stack[c->depth - 1];
	if (k != K_ELE && k != K_TIME && k != K_NAME)
		return;
	room = TEXT_MAX - c->tlen;
	if ((size_t)len > room) {
		c->toolong = 1;
		len = (int)room;
	}
	memcpy(c->text + c->tlen, s, (size_t)len);
	c->tlen += (size_t)len;
}

static int
is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* The value text without surrounding white space, NUL-terminated. */
static char *
value(struct ctx *c, size_t *len)
{
	char *s = c->text;
	size_t n = c->tlen;

	while (n > 0 && is_space(s[n - 1]))
		n--;
	while (n > 0 && is_space(*s)) {
		s++;
		n--;
	}
	s[n] = '\0';
	*len = n;
	return s;
}

/*
** Copy at most cap - 1 bytes of a UTF-8 text (expat gives valid UTF-8,
** but the text may have been cut at TEXT_MAX) without ending inside a
** character.
*/
static void
copy_name(char *dst, size_t cap, const char *s, size_t n)
{
	size_t j;
	unsigned char c;

	if (n > cap - 1)
		n = cap - 1;
	for (j = n; j > 0 && n - j < 4; j--) {
		c = (unsigned char)s[j - 1];
		if ((c & 0xc0) == 0x80)
			continue;
		/* s[j - 1] leads a character of this many bytes. */
		if (j - 1 + (c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 :
		    2) > n)
			n = j - 1;
		break;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static void
end_value(struct ctx *c, enum kind k)
{
	char msg[200];
	size_t n;
	const char *v;

	if (c->toolong && k != K_NAME) {
		fail_at(c, c->line, c->col, DIB_EINVAL, k == K_ELE ? "ele" :
		    "time", "value longer than 128 bytes");
		return;
	}
	v = value(c, &n);
	if (k == K_NAME) {
		if (c->name_of == 2 && !c->have_trk_name) {
			copy_name(c->g->trk.name, sizeof c->g->trk.name, v, n);
			c->have_trk_name = 1;
		} else if (c->name_of == 1 && c->file_name[0] == '\0') {
			copy_name(c->file_name, sizeof c->file_name, v, n);
		}
	} else if (k == K_ELE) {
		if (track_parse_number(v, n, &c->cur.ele) != 0) {
			snprintf(msg, sizeof msg, "\"%.40s\" is not a decimal "
			    "number", v);
			fail_at(c, c->line, c->col, DIB_EINVAL, "ele", msg);
			return;
		}
		c->cur.has_ele = 1;
	} else {
		int64_t t;

		if (track_parse_time(v, n, &t) != 0) {
			snprintf(msg, sizeof msg, "\"%.60s\" is not an ISO 8601 "
			    "time like 2025-02-20T08:00:00Z", v);
			fail_at(c, c->line, c->col, DIB_EINVAL, "time", msg);
			return;
		}
		/* GPS week 0 or an unset clock: 1970, 1980... no time. */
		if (t < TRACK_GPS_EPOCH_MS) {
			if (c->ptk == P_TRK)
				c->g->bad_time++;
			t = 0;
		}
		c->cur.t = t;
	}
}

static void XMLCALL
on_end(void *ud, const XML_Char *name)
{
	struct ctx *c = ud;
	enum kind k;
	struct track *tr;
	int rc;

	(void)name;
	if (c->depth == 0 || c->rc != DIB_OK)
		return;
	k = c->stack[--c->depth];
	if (k == K_ELE || k == K_TIME || k == K_NAME) {
		end_value(c, k);
		return;
	}
	if (k != K_PT)
		return;
	tr = c->ptk == P_TRK ? &c->g->trk : c->ptk == P_RTE ? &c->g->rte :
	    &c->g->wpt;
	if (c->ptk == P_TRK && c->cur.t == 0)
		c->g->no_time++;
	if ((rc = track_add(tr, &c->cur)) != DIB_OK)
		fail_here(c, rc, pt_name(c->ptk), rc == DIB_ENOMEM ?
		    "out of memory" : "too many points");
}

static void XMLCALL
on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal_subset)
{
	struct ctx *c = ud;

	(void)name;
	if (c->rc != DIB_OK)
		return;
	(void)sysid;
	(void)pubid;
	(void)has_internal_subset;
	fail_here(c, DIB_EINVAL, "DOCTYPE", "refused: GPX needs none, and "
	    "entities in one are a known attack (billion laughs, external "
	    "files)");
}

static void XMLCALL
on_entity(void *ud, const XML_Char *name, int is_param,
    const XML_Char *v, int vlen, const XML_Char *base,
    const XML_Char *sysid, const XML_Char *pubid, const XML_Char *notation)
{
	struct ctx *c = ud;

	if (c->rc != DIB_OK)
		return;
	(void)name;
	(void)is_param;
	(void)v;
	(void)vlen;
	(void)base;
	(void)sysid;
	(void)pubid;
	(void)notation;
	fail_here(c, DIB_EINVAL, "ENTITY", "refused: no entity may be "
	    "declared in a GPX file");
}

static int
setup(struct ctx *c, const struct track_gpx_opts *o, struct track_gpx *g,
    struct dib_diag *d)
{
	memset(g, 0, sizeof *g);
	memset(c, 0, sizeof *c);
	c->g = g;
	c->d = d;
	c->max_points = o && o->max_points ? o->max_points :
	    TRACK_GPX_MAX_POINTS;
	track_init(&g->trk, c->max_points);
	track_init(&g->rte, c->max_points);
	track_init(&g->wpt, c->max_points);
	c->xp = XML_ParserCreateNS(NULL, NS_SEP);
	if (c->xp == NULL)
		return dib_fail(d, DIB_ENOMEM, "gpx", "out of memory");
	XML_SetUserData(c->xp, c);
	XML_SetElementHandler(c->xp, on_start, on_end);
	XML_SetCharacterDataHandler(c->xp, on_text);
	XML_SetStartDoctypeDeclHandler(c->xp, on_doctype);
	XML_SetEntityDeclHandler(c->xp, on_entity);
	/* No external entity handler is set: expat never loads one. */
	XML_SetParamEntityParsing(c->xp, XML_PARAM_ENTITY_PARSING_NEVER);
	return DIB_OK;
}

/* After the last chunk, or a failed one: the result of the parse. */
static int
finish(struct ctx *c, enum XML_Status st)
{
	struct track_gpx *g = c->g;

	if (c->rc != DIB_OK) {
		;
	} else if (st != XML_STATUS_OK) {
		enum XML_Error e = XML_GetErrorCode(c->xp);

		c->rc = dib_fail(c->d, e == XML_ERROR_NO_MEMORY ? DIB_ENOMEM :
		    DIB_EINVAL, "gpx", "line %lu, column %lu: malformed XML: "
		    "%s", (unsigned long)XML_GetCurrentLineNumber(c->xp),
		    (unsigned long)XML_GetCurrentColumnNumber(c->xp) + 1,
		    XML_ErrorString(e));
	} else {
		/* A name of the file stands for the track when it has none. */
		if (g->trk.name[0] == '\0')
			memcpy(g->trk.name, c->file_name, sizeof g->trk.name);
		/* Drop an empty last segment (an empty trkseg). */
		if (g->trk.nseg > 0 && g->trk.seg[g->trk.nseg - 1] ==
		    g->trk.n)
			g->trk.nseg--;
		if (g->rte.nseg > 0 && g->rte.seg[g->rte.nseg - 1] ==
		    g->rte.n)
			g->rte.nseg--;
	}
	XML_ParserFree(c->xp);
	c->xp = NULL;
	if (c->rc != DIB_OK)
		track_gpx_free(g);
	return c->rc;
}

void
track_gpx_free(struct track_gpx *g)
{
	if (g == NULL)
		return;
	track_free(&g->trk);
	track_free(&g->rte);
	track_free(&g->wpt);
}

static int
too_big(struct dib_diag *d, uint64_t max)
{
	return dib_fail(d, DIB_ETOOBIG, "gpx", "file larger than %llu bytes "
	    "(the limit)", (unsigned long long)max);
}

int
track_gpx_parse_mem(const void *p, size_t n, const struct track_gpx_opts *o,
    struct track_gpx *g, struct dib_diag *d)
{
	struct ctx c;
	uint64_t max = o && o->max_bytes ? o->max_bytes : TRACK_GPX_MAX_BYTES;
	size_t off = 0;
	enum XML_Status st = XML_STATUS_OK;
	int rc;

	if ((rc = setup(&c, o, g, d)) != DIB_OK)
		return rc;
	if (n > max) {
		XML_ParserFree(c.xp);
		return too_big(d, max);
	}
	do {
		size_t len = n - off > CHUNK ? CHUNK : n - off;

		st = XML_Parse(c.xp, (const char *)p + off, (int)len,
		    off + len == n);
		off += len;
		g->bytes = off;
		if (o && o->progress)
			o->progress(o->progress_arg, off, n);
	} while (st == XML_STATUS_OK && c.rc == DIB_OK && off < n);
	return finish(&c, st);
}

int
track_gpx_parse_file(const char *path, const struct track_gpx_opts *o,
    struct track_gpx *g, struct dib_diag *d)
{
	struct ctx c;
	struct stat sb;
	uint64_t max = o && o->max_bytes ? o->max_bytes : TRACK_GPX_MAX_BYTES;
	uint64_t total = 0, done = 0;
	enum XML_Status st = XML_STATUS_OK;
	int fd, rc, is_stdin = strcmp(path, "-") == 0;

	memset(g, 0, sizeof *g);
	fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return dib_fail(d, DIB_EIO, "gpx", "%s: %s", path,
		    strerror(errno));
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode))
		total = (uint64_t)sb.st_size;
	if (total > max) {
		if (!is_stdin)
			close(fd);
		return too_big(d, max);
	}
	if ((rc = setup(&c, o, g, d)) != DIB_OK) {
		if (!is_stdin)
			close(fd);
		return rc;
	}
	for (;;) {
		void *buf = XML_GetBuffer(c.xp, CHUNK);
		ssize_t r;

		if (buf == NULL) {
			c.rc = dib_fail(d, DIB_ENOMEM, "gpx", "out of memory");
			break;
		}
		do
			r = read(fd, buf, CHUNK);
		while (r < 0 && errno == EINTR);
		if (r < 0) {
			c.rc = dib_fail(d, DIB_EIO, "gpx", "%s: %s", path,
			    strerror(errno));
			break;
		}
		done += (uint64_t)r;
		if (done > max) {
			c.rc = too_big(d, max);
			break;
		}
		st = XML_ParseBuffer(c.xp, (int)r, r == 0);
		g->bytes = done;
		if (o && o->progress)
			o->progress(o->progress_arg, done, total);
		if (st != XML_STATUS_OK || c.rc != DIB_OK || r == 0)
			break;
	}
	if (!is_stdin)
		close(fd);
	return finish(&c, st);
}

/* ---- numbers and times ---- */

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void
c_locale_init(void)
{
	c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

int
track_parse_number(const char *s, size_t n, double *out)
{
	static const double p10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
	    1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
	    1e19, 1e20, 1e21, 1e22};
	const char *p = s, *end;
	uint64_t m = 0;
	int neg = 0, digits = 0, frac = 0, sig = 0, exp = 0;
	char tmp[64], *ep;
	double v;

	*out = NAN;
	while (n > 0 && is_space(s[n - 1]))
		n--;
	while (n > 0 && is_space(*p)) {
		p++;
		n--;
	}
	end = p + n;
	if (p < end && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	for (; p < end && *p >= '0' && *p <= '9'; p++, digits++) {
		if (sig < 19) {
			m = m * 10 + (uint64_t)(*p - '0');
			if (m)
				sig++;
		} else {
			exp++;
		}
	}
	if (p < end && *p == '.') {
		for (p++; p < end && *p >= '0' && *p <= '9'; p++, digits++) {
			if (sig < 19) {
				m = m * 10 + (uint64_t)(*p - '0');
				if (m)
					sig++;
				frac++;
			}
		}
	}
	if (digits == 0)
		return -1;
	if (p < end && (*p == 'e' || *p == 'E')) {
		int eneg = 0, e = 0, ed = 0;

		p++;
		if (p < end && (*p == '-' || *p == '+'))
			eneg = *p++ == '-';
		for (; p < end && *p >= '0' && *p <= '9'; p++, ed++)
			if (e < 10000)
				e = e * 10 + (*p - '0');
		if (ed == 0)
			return -1;
		exp += eneg ? -e : e;
	}
	if (p != end)
		return -1;
	exp -= frac;
	/* Exact integers and exact powers of ten: one rounding, correct. */
	if (m < ((uint64_t)1 << 53) && exp >= -22 && exp <= 22) {
		v = (double)m;
		v = exp < 0 ? v / p10[-exp] : v * p10[exp];
		*out = neg ? -v : v;
		return 0;
	}
	/* Anything else: the C library, in the C locale, whatever the
	** program's is (a French locale writes 14,5). */
	if ((size_t)(end - s) >= sizeof tmp)
		return -1;
	pthread_once(&c_locale_once, c_locale_init);
	if (c_locale == (locale_t)0)
		return -1;
	memcpy(tmp, s, (size_t)(end - s));
	tmp[end - s] = '\0';
	errno = 0;
	v = strtod_l(tmp, &ep, c_locale);
	if (!isfinite(v))
		return -1;
	*out = v;
	return 0;
}

/*
** GPX writers stray from RFC 3339: a comma before the fraction, no zone
** (UTC), an offset without its colon or its minutes. Such a time is
** rewritten in the strict form for util_time_parse; beyond the
** millisecond, fraction digits are dropped.
*/
int
track_parse_time(const char *s, size_t n, int64_t *ms)
{
	char buf[32];
	size_t i = 19, o = 19, k;

	*ms = 0;
	if (n < 19 || memchr(s, '\0', n) != NULL)
		return -1;
	memcpy(buf, s, 19);
	if (i < n && (s[i] == '.' || s[i] == ',')) {
		buf[o++] = '.';
		for (i++, k = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++, k++)
			if (k < 3)
				buf[o++] = s[i];
	}
	if (i == n || ((s[i] == 'Z' || s[i] == 'z') && i + 1 == n)) {
		buf[o++] = 'Z';
	} else if (s[i] == '+' || s[i] == '-') {
		if (i + 3 > n)
			return -1;
		memcpy(buf + o, s + i, 3);
		o += 3;
		i += 3;
		if (i < n && s[i] == ':')
			i++;
		buf[o++] = ':';
		if (i == n) {
			buf[o++] = '0';
			buf[o++] = '0';
		} else if (i + 2 == n) {
			memcpy(buf + o, s + i, 2);
			o += 2;
		} else {
			return -1;
		}
	} else {
		return -1;
	}
	buf[o] = '\0';
	return util_time_parse(buf, ms, "time", NULL) == DIB_OK ? 0 : -1;
}
