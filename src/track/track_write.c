/*
** Tracks out: GPX 1.1 (to a capped buffer or a file, in chunks) and
** RFC 7946 GeoJSON. Numbers are written by hand with fixed decimals:
** no locale, no printf per point.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "track/track.h"
#include "util/util.h"

/* Where the text goes: a caller's buffer, or a file through a chunk. */
struct sink {
	struct buf *b;
	FILE *f;
	struct buf chunk;
	int err;                /* DIB_ETOOBIG or DIB_EIO */
};

static void
sink_flush(struct sink *s)
{
	if (s->f == NULL || s->chunk.len == 0 || s->err)
		return;
	if (fwrite(s->chunk.p, 1, s->chunk.len, s->f) != s->chunk.len)
		s->err = DIB_EIO;
	buf_reset(&s->chunk);
}

static void
put(struct sink *s, const char *p, size_t n)
{
	if (s->err)
		return;
	if (buf_add(s->b, p, n) != 0) {
		s->err = s->f ? DIB_EIO : DIB_ETOOBIG;
		return;
	}
	if (s->f && s->chunk.len >= 60000)
		sink_flush(s);
}

static void
puts_(struct sink *s, const char *str)
{
	put(s, str, strlen(str));
}

/*
** v / 10^dec as text with at most dec decimals, trailing zeros dropped:
** 144670000, 7 -> "14.467". Returns the length; out needs 24 bytes.
*/
static size_t
fixed(char *out, int64_t v, int dec)
{
	char dig[24];
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	size_t n = 0, o = 0, k;

	/* Digits least significant first: dec of the fraction, then at
	** least one of the integer part. */
	do {
		dig[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0 || n < (size_t)dec + 1);
	for (k = 0; k < (size_t)dec && dig[k] == '0'; k++)
		;
	if (v < 0)
		out[o++] = '-';
	while (n > (size_t)dec)
		out[o++] = dig[--n];
	if (k < (size_t)dec) {
		out[o++] = '.';
		while (n > k)
			out[o++] = dig[--n];
	}
	return o;
}

static void
put_fixed(struct sink *s, double x, int dec)
{
	static const double p10[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7};
	char out[32];

	put(s, out, fixed(out, llround(x * p10[dec]), dec));
}

/* Copy s into out (n bytes) as UTF-8 without control characters: a
** byte that does not begin a valid sequence becomes '?'. */
static void
clean_text(const char *s, char *out, size_t n)
{
	size_t o = 0, i = 0, len = strlen(s);

	while (i < len && o + 5 < n) {
		unsigned char c = (unsigned char)s[i];
		size_t k = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 :
		    (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;

		if (k == 0 || i + k > len || !util_utf8_valid(s + i, k)) {
			out[o++] = '?';
			i++;
			continue;
		}
		if (k == 1 && c < 0x20) {
			out[o++] = ' ';
			i++;
			continue;
		}
		memcpy(out + o, s + i, k);
		o += k;
		i += k;
	}
	out[o] = '\0';
}

static void
put_xml_text(struct sink *s, const char *str)
{
	char clean[512];
	const char *p;

	clean_text(str, clean, sizeof clean);
	for (p = clean; *p; p++) {
		switch (*p) {
		case '&': puts_(s, "&amp;"); break;
		case '<': puts_(s, "&lt;"); break;
		case '>': puts_(s, "&gt;"); break;
		case '"': puts_(s, "&quot;"); break;
		default: put(s, p, 1); break;
		}
	}
}

static void
put_time(struct sink *s, int64_t ms)
{
	char t[40];

	util_time_format(ms, t, sizeof t);
	puts_(s, t);
}

/* Writers refuse what they cannot write truly. */
static int
check_points(const struct track *tr)
{
	size_t i;

	for (i = 0; i < tr->n; i++) {
		const struct track_point *p = &tr->pts[i];

		if (!(p->lat >= -90 && p->lat <= 90) ||
		    !(p->lon >= -180 && p->lon <= 180) ||
		    (p->has_ele && !(fabs(p->ele) <= 1e6)))
			return DIB_EINVAL;
	}
	return DIB_OK;
}

static void
gpx_body(struct sink *s, const struct track *tr, const char *name,
    int64_t now_ms)
{
	size_t k, i;

	if ((s->err = check_points(tr)) != DIB_OK)
		return;
	if (name == NULL)
		name = tr->name;
	puts_(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<gpx xmlns=\"http://www.topografix.com/GPX/1/1\" "
	    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
	    "xsi:schemaLocation=\"http://www.topografix.com/GPX/1/1 "
	    "http://www.topografix.com/GPX/1/1/gpx.xsd\" version=\"1.1\" "
	    "creator=\"diboli\">\n <metadata>\n");
	if (name[0] != '\0') {
		puts_(s, "  <name>");
		put_xml_text(s, name);
		puts_(s, "</name>\n");
	}
	puts_(s, "  <time>");
	put_time(s, now_ms ? now_ms : util_now_ms());
	puts_(s, "</time>\n </metadata>\n <trk>\n");
	if (name[0] != '\0') {
		puts_(s, "  <name>");
		put_xml_text(s, name);
		puts_(s, "</name>\n");
	}
	for (k = 0; k < tr->nseg && !s->err; k++) {
		size_t n;
		const struct track_point *p = track_seg_points(tr, k, &n);

		if (n == 0)
			continue;
		puts_(s, "  <trkseg>\n");
		for (i = 0; i < n && !s->err; i++) {
			puts_(s, "   <trkpt lat=\"");
			put_fixed(s, p[i].lat, 7);
			puts_(s, "\" lon=\"");
			put_fixed(s, p[i].lon, 7);
			puts_(s, "\">");
			if (p[i].has_ele) {
				puts_(s, "<ele>");
				put_fixed(s, p[i].ele, 1);
				puts_(s, "</ele>");
			}
			if (p[i].t != 0) {
				puts_(s, "<time>");
				put_time(s, p[i].t);
				puts_(s, "</time>");
			}
			puts_(s, "</trkpt>\n");
		}
		puts_(s, "  </trkseg>\n");
	}
	puts_(s, " </trk>\n</gpx>\n");
}

int
track_gpx_write(struct buf *out, const struct track *tr, const char *name,
    int64_t now_ms)
{
	struct sink s = {.b = out};

	gpx_body(&s, tr, name, now_ms);
	return s.err;
}

int
track_gpx_write_file(FILE *f, const struct track *tr, const char *name,
    int64_t now_ms)
{
	struct sink s = {.f = f};

	buf_init(&s.chunk, 1 << 20);
	s.b = &s.chunk;
	gpx_body(&s, tr, name, now_ms);
	sink_flush(&s);
	buf_free(&s.chunk);
	if (!s.err && fflush(f) != 0)
		s.err = DIB_EIO;
	return s.err;
}

/* ---- GeoJSON ---- */

static void
put_num(struct sink *s, double v)
{
	char t[48];
	int n;

	/* Statistics: finite, to the centimetre at most. */
	if (!isfinite(v))
		v = 0;
	n = snprintf(t, sizeof t, "%.2f", v);
	/* snprintf follows LC_NUMERIC: a decimal comma would break JSON. */
	for (int i = 0; i < n; i++)
		if (t[i] == ',')
			t[i] = '.';
	put(s, t, (size_t)n);
}

static void
put_position(struct sink *s, const struct track_point *p, int ele)
{
	puts_(s, "[");
	put_fixed(s, p->lon, 7);
	puts_(s, ",");
	put_fixed(s, p->lat, 7);
	if (ele) {
		puts_(s, ",");
		put_fixed(s, p->ele, 1);
	}
	puts_(s, "]");
}

static void
put_json_time(struct sink *s, const char *key, int64_t ms)
{
	puts_(s, ",\"");
	puts_(s, key);
	puts_(s, "\":");
	if (ms == 0) {
		puts_(s, "null");
		return;
	}
	puts_(s, "\"");
	put_time(s, ms);
	puts_(s, "\"");
}

int
track_geojson_write(struct buf *out, const struct track *tr,
    const char *name, const struct track_stats *st)
{
	struct sink s = {.b = out};
	size_t k, i, lines = 0, npts = 0;
	int ele = tr->n > 0;
	int64_t t0 = 0, t1 = 0;
	char clean[512];

	if ((s.err = check_points(tr)) != DIB_OK)
		return s.err;
	if (name == NULL)
		name = tr->name;
	for (i = 0; i < tr->n; i++) {
		const struct track_point *p = &tr->pts[i];

		if (!p->has_ele)
			ele = 0;
		if (p->t != 0 && (t0 == 0 || p->t < t0))
			t0 = p->t;
		if (p->t != 0 && (t1 == 0 || p->t > t1))
			t1 = p->t;
	}
	for (k = 0; k < tr->nseg; k++) {
		size_t n;

		track_seg_points(tr, k, &n);
		if (n >= 2)
			lines++;
	}
	puts_(&s, "{\"type\":\"Feature\",\"geometry\":");
	if (lines == 0)
		puts_(&s, "null");
	else
		puts_(&s, lines == 1 ? "{\"type\":\"LineString\","
		    "\"coordinates\":" : "{\"type\":\"MultiLineString\","
		    "\"coordinates\":[");
	for (k = 0, lines = 0; k < tr->nseg && !s.err; k++) {
		size_t n;
		const struct track_point *p = track_seg_points(tr, k, &n);

		if (n < 2)
			continue;
		puts_(&s, lines++ ? ",[" : "[");
		for (i = 0; i < n && !s.err; i++) {
			if (i)
				puts_(&s, ",");
			put_position(&s, &p[i], ele);
		}
		puts_(&s, "]");
		npts += n;
	}
	if (lines > 1)
		puts_(&s, "]");
	if (lines > 0)
		puts_(&s, "}");
	puts_(&s, ",\"properties\":{\"name\":");
	clean_text(name, clean, sizeof clean);
	if (buf_add_json_string(s.b, clean) != 0)
		s.err = DIB_ETOOBIG;
	puts_(&s, ",\"points\":");
	{
		char t[32];

		snprintf(t, sizeof t, "%zu,\"segments\":%zu", npts, lines);
		puts_(&s, t);
	}
	put_json_time(&s, "time_start", t0);
	put_json_time(&s, "time_end", t1);
	if (st != NULL) {
		puts_(&s, ",\"length_m\":");
		put_num(&s, st->length_m);
		puts_(&s, ",\"total_s\":");
		put_num(&s, st->total_s);
		puts_(&s, ",\"moving_s\":");
		put_num(&s, st->moving_s);
		puts_(&s, ",\"max_speed_ms\":");
		put_num(&s, st->max_speed_ms);
		puts_(&s, ",\"mean_moving_ms\":");
		put_num(&s, st->mean_moving_ms);
	}
	puts_(&s, "}}");
	return s.err;
}
