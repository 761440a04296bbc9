/*
** The compact text of a track segment that a record carries: delta-coded
** zig-zag varints in base64url. The byte layout is in docs/tracks.md; the
** decoder is strict because the text arrives from other nodes.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "track/track.h"
#include "track/track_int.h"

/* Header byte: version in the high nibble, flags in the low one. */
#define F_TIME 0x01     /* points carry times */
#define F_MS 0x02       /* times in ms (else whole seconds) */
#define F_ELE 0x04      /* points carry elevations */
#define F_MAP 0x08      /* presence bitmaps follow the count */

/* Times as track_int.h says, elevations within 1,000 km (dm). */
#define T_MIN TRACK_T_MIN
#define T_MAX TRACK_T_MAX
#define ELE_MAX_DM 10000000LL

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static uint64_t
zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t
unzigzag(uint64_t u)
{
	return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

static size_t
put_varint(unsigned char *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (unsigned char)v;
	return n;
}

/* The raw bytes are base64url-coded as they fill, three at a time. */
struct enc {
	struct buf *out;
	unsigned char raw[64];
	size_t len;
	int fail;
};

static void
enc_flush(struct enc *e, int final)
{
	char txt[88];
	size_t i, o = 0, full = e->len / 3 * 3;

	for (i = 0; i < full; i += 3) {
		uint32_t v = (uint32_t)e->raw[i] << 16 |
		    (uint32_t)e->raw[i + 1] << 8 | e->raw[i + 2];

		txt[o++] = b64[v >> 18];
		txt[o++] = b64[(v >> 12) & 63];
		txt[o++] = b64[(v >> 6) & 63];
		txt[o++] = b64[v & 63];
	}
	if (final && e->len - full > 0) {
		uint32_t v = (uint32_t)e->raw[full] << 16;

		if (e->len - full == 2)
			v |= (uint32_t)e->raw[full + 1] << 8;
		txt[o++] = b64[v >> 18];
		txt[o++] = b64[(v >> 12) & 63];
		if (e->len - full == 2)
			txt[o++] = b64[(v >> 6) & 63];
		full = e->len;
	}
	memmove(e->raw, e->raw + full, e->len - full);
	e->len -= full;
	if (o > 0 && buf_add(e->out, txt, o) != 0)
		e->fail = 1;
}

static void
enc_varint(struct enc *e, uint64_t v)
{
	if (e->len > sizeof e->raw - 10)
		enc_flush(e, 0);
	e->len += put_varint(e->raw + e->len, v);
}

static void
enc_byte(struct enc *e, unsigned char c)
{
	if (e->len == sizeof e->raw)
		enc_flush(e, 0);
	e->raw[e->len++] = c;
}

static int
bad_point(struct dib_diag *d, size_t i, const char *what, const char *msg,
    double v)
{
	char field[48];

	snprintf(field, sizeof field, "points[%zu].%s", i, what);
	return dib_fail(d, DIB_EINVAL, field, "%s, got %g", msg, v);
}

int
track_encode(const struct track_point *pts, size_t n, struct buf *out,
    struct dib_diag *d)
{
	struct enc e;
	size_t i, ntime = 0, nele = 0;
	int ms = 0, flags = 0, pass;
	int64_t plon = 0, plat = 0, pt = 0, pe = 0;

	for (i = 0; i < n; i++) {
		const struct track_point *p = &pts[i];

		if (!(p->lat >= -90 && p->lat <= 90))
			return bad_point(d, i, "lat", "must be in [-90, 90]",
			    p->lat);
		if (!(p->lon >= -180 && p->lon <= 180))
			return bad_point(d, i, "lon", "must be in [-180, 180]",
			    p->lon);
		if (p->has_ele) {
			if (!(fabs(p->ele) * 10 <= (double)ELE_MAX_DM))
				return bad_point(d, i, "ele", "must be within "
				    "1,000 km", p->ele);
			nele++;
		}
		if (p->t != 0) {
			if (p->t < T_MIN || p->t > T_MAX)
				return bad_point(d, i, "t", "must be between "
				    "1900 and 2200", (double)p->t);
			ntime++;
			if (p->t % 1000 != 0)
				ms = 1;
		}
	}
	if (ntime)
		flags |= F_TIME | (ms ? F_MS : 0);
	if (nele)
		flags |= F_ELE;
	if ((ntime && ntime < n) || (nele && nele < n))
		flags |= F_MAP;

	memset(&e, 0, sizeof e);
	e.out = out;
	enc_byte(&e, (unsigned char)(TRACK_CODEC_VERSION << 4 | flags));
	enc_varint(&e, n);
	/* Bitmaps: bit i % 8 of byte i / 8 is set when point i has it. */
	for (pass = 0; (flags & F_MAP) && pass < 2; pass++) {
		unsigned char c = 0;

		if ((pass == 0 && !ntime) || (pass == 1 && !nele))
			continue;
		for (i = 0; i < n; i++) {
			if (pass == 0 ? pts[i].t != 0 : pts[i].has_ele)
				c |= (unsigned char)(1u << (i % 8));
			if (i % 8 == 7 || i + 1 == n) {
				enc_byte(&e, c);
				c = 0;
			}
		}
	}
	for (i = 0; i < n && !e.fail; i++) {
		const struct track_point *p = &pts[i];
		int64_t lon = llround(p->lon * 1e7), lat = llround(p->lat * 1e7);

		enc_varint(&e, zigzag(lon - plon));
		enc_varint(&e, zigzag(lat - plat));
		plon = lon;
		plat = lat;
		if (p->t != 0) {
			int64_t t = ms ? p->t : p->t / 1000;

			enc_varint(&e, zigzag(t - pt));
			pt = t;
		}
		if (p->has_ele) {
			int64_t el = llround(p->ele * 10);

			enc_varint(&e, zigzag(el - pe));
			pe = el;
		}
	}
	enc_flush(&e, 1);
	if (e.fail)
		return dib_fail(d, DIB_ETOOBIG, "track", "the text of %zu "
		    "points is over the cap of %zu bytes", n, out->max);
	return DIB_OK;
}

/* ---- decoding ---- */

/* The value of a base64url character, or -1. */
static int
unb64(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '-' ? 62 : c == '_' ? 63 : -1;
}

/* Strict base64url without padding into out (room for len * 3 / 4). */
static int
unbase64(const char *s, size_t len, unsigned char *out, size_t *olen,
    struct dib_diag *d)
{
	size_t i, o = 0;
	uint32_t acc = 0;
	int bits = 0;

	if (len % 4 == 1)
		return dib_fail(d, DIB_EINVAL, "track", "base64url text of "
		    "%zu characters cannot end a group", len);
	for (i = 0; i < len; i++) {
		int v = unb64((unsigned char)s[i]);

		if (v < 0)
			return dib_fail(d, DIB_EINVAL, "track", "character %zu "
			    "is not base64url (A-Z a-z 0-9 - _, no padding)",
			    i);
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0)
		return dib_fail(d, DIB_EINVAL, "track", "the last base64url "
		    "character has bits set past the data");
	*olen = o;
	return DIB_OK;
}

struct dec {
	const unsigned char *p;
	size_t len, pos;
	size_t pt, n;           /* point being read, of n */
	struct dib_diag *d;
};

static int
dec_fail(struct dec *r, const char *what)
{
	return dib_fail(r->d, DIB_EINVAL, "track", "byte %zu: %s (point %zu "
	    "of %zu)", r->pos, what, r->pt, r->n);
}

static int
dec_varint(struct dec *r, uint64_t *v)
{
	uint64_t x = 0;
	size_t k;

	for (k = 0; k < 10; k++) {
		unsigned char c;

		if (r->pos >= r->len)
			return dec_fail(r, "a number runs past the end");
		c = r->p[r->pos++];
		if (k == 9 && c > 1)
			return dec_fail(r, "a number is over 64 bits");
		x |= (uint64_t)(c & 0x7f) << (7 * k);
		if (!(c & 0x80)) {
			if (c == 0 && k > 0)
				return dec_fail(r, "a number is not in its "
				    "shortest form");
			*v = x;
			return DIB_OK;
		}
	}
	return dec_fail(r, "a number is over 64 bits");
}

/* *acc += the next delta, within [lo, hi]. */
static int
dec_delta(struct dec *r, int64_t *acc, int64_t lo, int64_t hi,
    const char *what)
{
	uint64_t u;
	int64_t v;
	char msg[64];

	if (dec_varint(r, &u) != DIB_OK)
		return DIB_EINVAL;
	if (__builtin_add_overflow(*acc, unzigzag(u), &v) || v < lo ||
	    v > hi) {
		snprintf(msg, sizeof msg, "%s out of range", what);
		return dec_fail(r, msg);
	}
	*acc = v;
	return DIB_OK;
}

static int
has_bit(const unsigned char *map, size_t i)
{
	return map[i / 8] >> (i % 8) & 1;
}

int
track_decode(const char *text, size_t len, struct track_point **pts,
    size_t *n, size_t max, struct dib_diag *d)
{
	struct dec r;
	unsigned char *raw = NULL;
	const unsigned char *tmap = NULL, *emap = NULL;
	struct track_point *out = NULL;
	size_t rawlen = 0, mapbytes, i;
	uint64_t count;
	int64_t lon = 0, lat = 0, t = 0, el = 0, tmin, tmax;
	int flags, rc;

	*pts = NULL;
	*n = 0;
	if (max == 0)
		max = TRACK_DECODE_MAX;
	if (text == NULL || len == 0)
		return dib_fail(d, DIB_EINVAL, "track", "empty text");
	if ((raw = malloc(len / 4 * 3 + 3)) == NULL)
		return dib_fail(d, DIB_ENOMEM, "track", "out of memory");
	if ((rc = unbase64(text, len, raw, &rawlen, d)) != DIB_OK)
		goto out;
	memset(&r, 0, sizeof r);
	r.p = raw;
	r.len = rawlen;
	r.d = d;
	flags = raw[0] & 0x0f;
	r.pos = 1;
	if (raw[0] >> 4 != TRACK_CODEC_VERSION) {
		rc = dib_fail(d, DIB_EINVAL, "track", "encoding version %d is "
		    "not known here (this node reads version %d)", raw[0] >> 4,
		    TRACK_CODEC_VERSION);
		goto out;
	}
	if (((flags & F_MS) && !(flags & F_TIME)) ||
	    ((flags & F_MAP) && !(flags & (F_TIME | F_ELE)))) {
		rc = dec_fail(&r, "header flags contradict each other");
		goto out;
	}
	if ((rc = dec_varint(&r, &count)) != DIB_OK)
		goto out;
	if (count > max) {
		rc = dib_fail(d, DIB_ETOOBIG, "track", "%llu points, more than "
		    "the %zu allowed", (unsigned long long)count, max);
		goto out;
	}
	/* Every point takes at least two bytes: a bound before allocating. */
	if (count > (rawlen - r.pos) / 2) {
		rc = dib_fail(d, DIB_EINVAL, "track", "%llu points cannot fit "
		    "in %zu bytes", (unsigned long long)count, rawlen);
		goto out;
	}
	r.n = (size_t)count;
	mapbytes = (r.n + 7) / 8;
	if (flags & F_MAP) {
		size_t need = mapbytes * (((flags & F_TIME) != 0) +
		    ((flags & F_ELE) != 0));

		if (need > rawlen - r.pos) {
			rc = dec_fail(&r, "presence bitmaps run past the end");
			goto out;
		}
		if (flags & F_TIME) {
			tmap = raw + r.pos;
			r.pos += mapbytes;
		}
		if (flags & F_ELE) {
			emap = raw + r.pos;
			r.pos += mapbytes;
		}
		/* Bits past the last point must be clear. */
		if (r.n % 8 && ((tmap && tmap[mapbytes - 1] >> (r.n % 8)) ||
		    (emap && emap[mapbytes - 1] >> (r.n % 8)))) {
			rc = dec_fail(&r, "presence bitmap has bits past the "
			    "last point");
			goto out;
		}
	}
	if (r.n > 0 && (out = calloc(r.n, sizeof *out)) == NULL) {
		rc = dib_fail(d, DIB_ENOMEM, "track", "out of memory");
		goto out;
	}
	tmin = flags & F_MS ? T_MIN : T_MIN / 1000;
	tmax = flags & F_MS ? T_MAX : T_MAX / 1000;
	for (i = 0; i < r.n; i++) {
		struct track_point *p = &out[i];

		r.pt = i;
		if ((rc = dec_delta(&r, &lon, -1800000000LL, 1800000000LL,
		    "longitude")) != DIB_OK ||
		    (rc = dec_delta(&r, &lat, -900000000LL, 900000000LL,
		    "latitude")) != DIB_OK)
			goto out;
		p->lon = (double)lon / 1e7;
		p->lat = (double)lat / 1e7;
		if ((flags & F_TIME) && (tmap == NULL || has_bit(tmap, i))) {
			if ((rc = dec_delta(&r, &t, tmin, tmax, "time")) !=
			    DIB_OK)
				goto out;
			p->t = flags & F_MS ? t : t * 1000;
			if (p->t == 0) {
				rc = dec_fail(&r, "time 0 means no time");
				goto out;
			}
		}
		if ((flags & F_ELE) && (emap == NULL || has_bit(emap, i))) {
			if ((rc = dec_delta(&r, &el, -ELE_MAX_DM, ELE_MAX_DM,
			    "elevation")) != DIB_OK)
				goto out;
			p->ele = (double)el / 10;
			p->has_ele = 1;
		}
	}
	if (r.pos != r.len) {
		r.pt = r.n;
		rc = dec_fail(&r, "bytes left after the last point");
		goto out;
	}
	*pts = out;
	*n = r.n;
	out = NULL;
	rc = DIB_OK;
out:
	free(out);
	free(raw);
	return rc;
}
