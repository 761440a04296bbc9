/*
** Unit tests of track/: cleaning rules and their counts, the compact
** encoding (exact round trips, corrupted and truncated texts), GPX in and
** out (fixtures in tests/fixtures/gpx, hostile files, a million points),
** lengths against GeographicLib's GeodSolve, speeds, simplification and
** deviation from a route.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <geodesic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "track/track.h"
#include "track/track_int.h"
#include "util/util.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

/* 2025-02-20T08:00:00Z, the first joint patrol's morning. */
#define T0 1740038400000LL

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* tests/fixtures/gpx/<name>, found from this file's path. */
static const char *
fixture(const char *name)
{
	static char path[4096];
	const char *src = getenv("DIBOLI_SRC");

	if (src != NULL && *src != '\0') {
		snprintf(path, sizeof path, "%s/tests/fixtures/gpx/%s", src,
		    name);
	} else {
		const char *f = __FILE__, *slash = strrchr(f, '/');
		int dir = slash ? (int)(slash - f) : 1;

		snprintf(path, sizeof path, "%.*s/../fixtures/gpx/%s", dir,
		    slash ? f : ".", name);
	}
	return path;
}

static const char *
tmpdir(void)
{
	static char dir[4096];
	const char *base = getenv("DIBOLI_TEST_TMP");

	if (dir[0] != '\0')
		return dir;
	if (base == NULL || *base == '\0')
		base = "/tmp";
	if (mkdir(base, 0700) != 0 && errno != EEXIST)
		return "/tmp";
	snprintf(dir, sizeof dir, "%s/test_track.XXXXXX", base);
	if (mkdtemp(dir) == NULL)
		snprintf(dir, sizeof dir, "/tmp");
	return dir;
}

/* A fixed xorshift generator: reproducible tracks. */
static uint64_t rng = 0x2545F4914F6CDD1DULL;

static double
uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

static double
gauss(void)
{
	double u = uniform() + 1e-12, v = uniform();

	return sqrt(-2 * log(u)) * cos(2 * 3.14159265358979 * v);
}

/*
** A pickup at 1 Hz on the track south of Kidira: speed wandering between
** 5 and 22 m/s, heading turning slowly, GPS noise of ~1.5 m, elevation
** wandering with 0.3 m noise. Positions on the 1e-7 degree grid.
*/
static void
vehicle_track(struct track *tr, size_t n)
{
	double lat = 14.467, lon = -12.217, v = 12, hdg = 170, ele = 30;
	size_t i;

	for (i = 0; i < n; i++) {
		struct track_point p = {0};
		double kx = 107550, ky = 110700;        /* m per degree */

		p.lat = round((lat + gauss() * 1.5 / ky) * 1e7) / 1e7;
		p.lon = round((lon + gauss() * 1.5 / kx) * 1e7) / 1e7;
		p.ele = round((ele + gauss() * 0.3) * 10) / 10;
		p.has_ele = 1;
		p.t = T0 + (int64_t)i * 1000;
		assert_int_equal(track_add(tr, &p), DIB_OK);
		v += gauss() * 0.5;
		v = v < 5 ? 5 : v > 22 ? 22 : v;
		hdg += gauss() * 2;
		lat += v * cos(hdg * 3.14159265358979 / 180) / ky;
		lon += v * sin(hdg * 3.14159265358979 / 180) / kx;
		ele += gauss() * 0.1;
		if (lat < 12.5 || lat > 16.5)
			hdg += 180;
	}
}

/* A straight walk: n points dt_s apart at speed m/s heading south. */
static void
walk(struct track *tr, size_t n, double lat, double lon, int64_t t,
    int dt_s, double speed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct track_point p = {0};

		p.lat = lat - (double)i * speed * dt_s / 110700;
		p.lon = lon;
		p.t = t ? t + (int64_t)i * dt_s * 1000 : 0;
		assert_int_equal(track_add(tr, &p), DIB_OK);
	}
}

static double
proj_m(const struct track_point *a, const struct track_point *b)
{
	struct geod_geodesic g;
	double s12, az1, az2;

	geod_init(&g, 6378137, 1 / 298.257223563);
	geod_inverse(&g, a->lat, a->lon, b->lat, b->lon, &s12, &az1, &az2);
	return s12;
}

/* ---- rules ---- */

static void
test_rules(void **state)
{
	struct track_rules f, v, b;
	struct dib_diag d = {0};
	enum track_mode m;

	(void)state;
	track_rules_default(&f, TRACK_FOOT);
	track_rules_default(&v, TRACK_VEHICLE);
	track_rules_default(&b, TRACK_BOAT);
	assert_true(f.max_speed_ms < b.max_speed_ms);
	assert_true(b.max_speed_ms < v.max_speed_ms);
	assert_true(f.gap_s == 300);
	assert_int_equal(track_mode_parse("pirogue", &m, &d), DIB_OK);
	assert_int_equal(m, TRACK_BOAT);
	assert_int_equal(track_mode_parse("V\xc3\xa9hicule", &m, &d), DIB_OK);
	assert_int_equal(m, TRACK_VEHICLE);
	assert_int_equal(track_mode_parse("Pied", &m, &d), DIB_OK);
	assert_int_equal(m, TRACK_FOOT);
	assert_int_equal(track_mode_parse("camion", &m, &d), DIB_EINVAL);
	assert_string_equal(d.field, "mode");
	assert_string_equal(track_mode_name(TRACK_MOUNTED), "mounted");
}

/* ---- cleaning ---- */

static void
test_clean_order(void **state)
{
	struct track tr;
	struct track_report rep;
	struct track_point tmp;
	size_t i;

	(void)state;
	track_init(&tr, 0);
	walk(&tr, 20, 14.46, -12.21, T0, 10, 1.4);
	/* Two fixes logged late (a phone that flushed its buffer). */
	tmp = tr.pts[5];
	tr.pts[5] = tr.pts[6];
	tr.pts[6] = tmp;
	tmp = tr.pts[12];
	tr.pts[12] = tr.pts[15];
	tr.pts[15] = tmp;
	assert_int_equal(track_clean(&tr, NULL, &rep, NULL), DIB_OK);
	/* 5 after 6; 13, 14 and 12 after 15: the points earlier than one
	** given before them. */
	assert_int_equal(rep.out_of_order, 4);
	assert_int_equal(rep.n_out, 20);
	assert_int_equal(rep.segments, 1);
	for (i = 1; i < tr.n; i++)
		assert_true(tr.pts[i].t > tr.pts[i - 1].t);
	track_free(&tr);
}

static void
test_clean_duplicates(void **state)
{
	struct track tr;
	struct track_report rep;
	struct track_point p;

	(void)state;
	track_init(&tr, 0);
	walk(&tr, 10, 14.46, -12.21, T0, 10, 1.4);
	p = tr.pts[3];
	assert_int_equal(track_add(&tr, &p), DIB_OK);
	assert_int_equal(track_add(&tr, &p), DIB_OK);
	p = tr.pts[9];
	assert_int_equal(track_add(&tr, &p), DIB_OK);
	/* Same time, another position: not a duplicate. */
	p.lat += 0.00001;
	assert_int_equal(track_add(&tr, &p), DIB_OK);
	assert_int_equal(track_clean(&tr, NULL, &rep, NULL), DIB_OK);
	assert_int_equal(rep.n_in, 14);
	assert_int_equal(rep.duplicates, 3);
	assert_int_equal(rep.n_out, 11);
	assert_int_equal(rep.spikes, 0);
	track_free(&tr);
}

static void
test_clean_spikes(void **state)
{
	struct track tr;
	struct track_report rep;
	struct track_rules r;
	size_t i;

	(void)state;
	track_rules_default(&r, TRACK_FOOT);
	track_init(&tr, 0);
	walk(&tr, 40, 14.46, -12.21, T0, 5, 1.4);
	/* A multipath spike 800 m east at point 10, two at 25 and 26. */
	tr.pts[10].lon += 0.0075;
	tr.pts[25].lon -= 0.01;
	tr.pts[26].lon -= 0.0102;
	assert_int_equal(track_clean(&tr, &r, &rep, NULL), DIB_OK);
	assert_int_equal(rep.spikes, 3);
	assert_int_equal(rep.n_out, 37);
	assert_int_equal(rep.segments, 1);
	assert_int_equal(rep.jumps, 0);
	for (i = 0; i < tr.n; i++)
		assert_true(fabs(tr.pts[i].lon + 12.21) < 1e-9);
	track_free(&tr);
}

static void
test_clean_first_point_spike(void **state)
{
	struct track tr;
	struct track_report rep;
	struct track_rules r;

	(void)state;
	/* The first fix of a cold start is 3 km off: it must go, and not
	** take the whole track with it. */
	track_rules_default(&r, TRACK_FOOT);
	track_init(&tr, 0);
	walk(&tr, 30, 14.46, -12.21, T0, 5, 1.4);
	tr.pts[0].lat += 0.03;
	assert_int_equal(track_clean(&tr, &r, &rep, NULL), DIB_OK);
	assert_int_equal(rep.spikes, 1);
	assert_int_equal(rep.n_out, 29);
	assert_int_equal(rep.segments, 1);
	assert_true(fabs(tr.pts[0].lat - (14.46 - 5 * 1.4 / 110700)) < 1e-9);
	track_free(&tr);

	/* A three-point track whose first point is bad. */
	track_init(&tr, 0);
	walk(&tr, 3, 14.46, -12.21, T0, 5, 1.4);
	tr.pts[0].lat += 0.03;
	assert_int_equal(track_clean(&tr, &r, &rep, NULL), DIB_OK);
	assert_int_equal(rep.spikes, 1);
	assert_int_equal(rep.n_out, 2);
	track_free(&tr);
}

static void
test_clean_jump(void **state)
{
	struct track tr;
	struct track_report rep;
	struct track_rules r;

	(void)state;
	/* A vehicle patrol whose GPS was moved to another vehicle 2 km away
	** within 10 s: the track really continues there. Nothing is lost. */
	track_rules_default(&r, TRACK_VEHICLE);
	track_init(&tr, 0);
	walk(&tr, 20, 14.46, -12.21, T0, 1, 10);
	walk(&tr, 20, 14.40, -12.21, T0 + 30000, 1, 10);
	assert_int_equal(track_clean(&tr, &r, &rep, NULL), DIB_OK);
	assert_int_equal(rep.spikes, 0);
	assert_int_equal(rep.jumps, 1);
	assert_int_equal(rep.time_gaps, 0);
	assert_int_equal(rep.segments, 2);
	assert_int_equal(tr.nseg, 2);
	assert_int_equal(tr.seg[1], 20);
	assert_int_equal(rep.n_out, 40);
	track_free(&tr);
}

static void
test_clean_gaps(void **state)
{
	struct track tr;
	struct track_report rep;
	struct track_rules r;

	(void)state;
	track_rules_default(&r, TRACK_FOOT);
	track_init(&tr, 0);
	walk(&tr, 10, 14.46, -12.21, T0, 10, 1.4);
	/* Lost fix for 10 minutes under the gallery forest. */
	walk(&tr, 10, 14.45, -12.21, T0 + 90000 + 600000, 10, 1.4);
	/* And again 7 minutes. */
	walk(&tr, 5, 14.44, -12.21, T0 + 780000 + 420000, 10, 1.4);
	assert_int_equal(track_clean(&tr, &r, &rep, NULL), DIB_OK);
	assert_int_equal(rep.time_gaps, 2);
	assert_int_equal(rep.segments, 3);
	assert_true(fabs(rep.gap_s - (600 + 420)) < 1e-6);
	assert_int_equal(rep.n_out, 25);
	track_free(&tr);
}

static void
test_clean_no_time(void **state)
{
	struct track tr;
	struct track_report rep;
	struct track_rules r;

	(void)state;
	track_rules_default(&r, TRACK_FOOT);
	track_init(&tr, 0);
	walk(&tr, 10, 14.46, -12.21, 0, 10, 1.4);
	/* A jump of 2 km without times: a new segment, no spike. */
	walk(&tr, 10, 14.44, -12.21, 0, 10, 1.4);
	assert_int_equal(track_clean(&tr, &r, &rep, NULL), DIB_OK);
	assert_int_equal(rep.no_time, 20);
	assert_int_equal(rep.n_out, 20);
	assert_int_equal(rep.jumps, 1);
	assert_int_equal(rep.segments, 2);
	track_free(&tr);

	/* Mixed: a point without time stays after the one it followed. */
	track_init(&tr, 0);
	walk(&tr, 6, 14.46, -12.21, T0, 10, 0.5);
	tr.pts[3].t = 0;
	tr.pts[5].t = T0 + 15000;       /* out of order */
	assert_int_equal(track_clean(&tr, &r, &rep, NULL), DIB_OK);
	assert_int_equal(rep.no_time, 1);
	assert_int_equal(rep.out_of_order, 1);
	assert_int_equal(rep.n_out, 6);
	assert_int_equal(rep.spikes, 0);
	assert_int_equal(tr.pts[2].t, T0 + 15000);
	assert_int_equal(tr.pts[3].t, T0 + 20000);
	assert_int_equal(tr.pts[4].t, 0);
	assert_int_equal(tr.pts[5].t, T0 + 40000);
	track_free(&tr);
}

static void
test_clean_invalid(void **state)
{
	struct track tr;
	struct track_report rep;
	struct dib_diag d = {0};

	(void)state;
	track_init(&tr, 0);
	walk(&tr, 10, 14.46, -12.21, T0, 10, 1.4);
	tr.pts[3].lat = 95;
	assert_int_equal(track_clean(&tr, NULL, &rep, &d), DIB_EINVAL);
	assert_string_equal(d.field, "points[3].lat");
	assert_non_null(strstr(d.msg, "[-90, 90], got 95"));
	assert_int_equal(tr.n, 10);     /* nothing dropped */
	tr.pts[3].lat = 14.46;
	tr.pts[7].lon = NAN;
	assert_int_equal(track_clean(&tr, NULL, &rep, &d), DIB_EINVAL);
	assert_string_equal(d.field, "points[7].lon");
	tr.pts[7].lon = -12.21;
	tr.pts[8].has_ele = 1;
	tr.pts[8].ele = INFINITY;
	assert_int_equal(track_clean(&tr, NULL, &rep, &d), DIB_EINVAL);
	assert_string_equal(d.field, "points[8].ele");
	tr.pts[8].ele = 10;
	tr.pts[2].t = 9000000000000000000LL;
	assert_int_equal(track_clean(&tr, NULL, &rep, &d), DIB_EINVAL);
	assert_string_equal(d.field, "points[2].t");
	tr.pts[2].t = T0 + 20000;
	/* An absurd elevation is dropped from the point, and counted. */
	tr.pts[8].ele = 12000;
	assert_int_equal(track_clean(&tr, NULL, &rep, &d), DIB_OK);
	assert_int_equal(rep.bad_ele, 1);
	assert_int_equal(rep.n_out, 10);
	assert_int_equal(tr.pts[8].has_ele, 0);
	track_free(&tr);
}

static void
test_clean_input_segments(void **state)
{
	struct track tr;
	struct track_report rep;

	(void)state;
	track_init(&tr, 0);
	walk(&tr, 10, 14.46, -12.21, T0, 10, 1.4);
	assert_int_equal(track_segment(&tr), DIB_OK);
	walk(&tr, 10, 14.459, -12.21, T0 + 100000, 10, 1.4);
	assert_int_equal(tr.nseg, 2);
	assert_int_equal(track_clean(&tr, NULL, &rep, NULL), DIB_OK);
	assert_int_equal(rep.segments, 2);
	assert_int_equal(tr.seg[1], 10);
	track_free(&tr);
}

static void
test_clean_accounting(void **state)
{
	struct track tr;
	struct track_report rep;
	struct track_rules r;
	size_t i, segpts = 0, k;

	(void)state;
	/* Noisy field data: every point ends up kept, a duplicate or a
	** spike, and the segments cover the points kept. */
	track_rules_default(&r, TRACK_VEHICLE);
	track_init(&tr, 0);
	vehicle_track(&tr, 5000);
	for (i = 0; i < tr.n; i++) {
		double u = uniform();

		if (u < 0.01)
			tr.pts[i].lat += 0.05 * (uniform() - 0.5);
		else if (u < 0.02 && i > 0)
			tr.pts[i] = tr.pts[i - 1];
		else if (u < 0.025 && i > 3)
			tr.pts[i].t -= 3000;
		else if (u < 0.03)
			tr.pts[i].t = 0;
	}
	tr.pts[2000].t += 900000;       /* a gap: later points shift */
	for (i = 2001; i < tr.n; i++)
		if (tr.pts[i].t)
			tr.pts[i].t += 900000;
	assert_int_equal(track_clean(&tr, &r, &rep, NULL), DIB_OK);
	assert_int_equal(rep.n_out + rep.duplicates + rep.spikes, rep.n_in);
	assert_int_equal(rep.n_out, tr.n);
	assert_true(rep.spikes > 10 && rep.spikes < 200);
	assert_true(rep.duplicates > 10);
	assert_true(rep.out_of_order > 0);
	assert_true(rep.time_gaps >= 1);
	for (k = 0; k < tr.nseg; k++) {
		size_t n;

		track_seg_points(&tr, k, &n);
		assert_true(n > 0);
		segpts += n;
	}
	assert_int_equal(segpts, tr.n);
	printf("clean 5000 noisy vehicle points: %zu kept, %zu spikes, %zu "
	    "duplicates, %zu out of order, %zu gaps, %zu jumps\n", rep.n_out,
	    rep.spikes, rep.duplicates, rep.out_of_order, rep.time_gaps,
	    rep.jumps);
	track_free(&tr);
}

/* ---- encoding ---- */

static void
assert_same_points(const struct track_point *a, const struct track_point *b,
    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		assert_true(a[i].lat == b[i].lat);
		assert_true(a[i].lon == b[i].lon);
		assert_int_equal(a[i].t, b[i].t);
		assert_int_equal(a[i].has_ele, b[i].has_ele);
		if (a[i].has_ele)
			assert_true(a[i].ele == b[i].ele);
	}
}

static void
test_codec_round_trip(void **state)
{
	struct track tr;
	struct buf b;
	struct track_point *back = NULL;
	struct dib_diag d = {0};
	size_t n = 0;

	(void)state;
	track_init(&tr, 0);
	vehicle_track(&tr, 3600);
	buf_init(&b, 1 << 20);
	assert_int_equal(track_encode(tr.pts, tr.n, &b, &d), DIB_OK);
	assert_int_equal(track_decode(b.p, b.len, &back, &n, 0, &d), DIB_OK);
	assert_int_equal(n, tr.n);
	assert_same_points(tr.pts, back, n);
	printf("encoding: %zu points of a 1 Hz vehicle track in %zu bytes: "
	    "%.2f bytes/point\n", tr.n, b.len, (double)b.len / (double)tr.n);
	/* The goal is ~6-10 bytes a point. */
	assert_true((double)b.len / (double)tr.n < 10);
	free(back);

	/* Milliseconds, missing times and elevations, extremes. */
	tr.pts[0].t += 250;
	tr.pts[7].t = 0;
	tr.pts[8].has_ele = 0;
	tr.pts[8].ele = 0;
	tr.pts[9].lat = 90;
	tr.pts[9].lon = -180;
	tr.pts[10].lat = -90;
	tr.pts[10].lon = 180;
	tr.pts[11].ele = -431.5;
	tr.pts[12].t = -2208988800000LL;        /* 1900 */
	buf_reset(&b);
	assert_int_equal(track_encode(tr.pts, tr.n, &b, &d), DIB_OK);
	assert_int_equal(track_decode(b.p, b.len, &back, &n, 0, &d), DIB_OK);
	assert_int_equal(n, tr.n);
	assert_same_points(tr.pts, back, n);
	free(back);

	/* No times, no elevations. */
	tr.n = 50;
	for (size_t i = 0; i < tr.n; i++) {
		tr.pts[i].t = 0;
		tr.pts[i].has_ele = 0;
		tr.pts[i].ele = 0;
	}
	buf_reset(&b);
	assert_int_equal(track_encode(tr.pts, tr.n, &b, &d), DIB_OK);
	assert_int_equal(track_decode(b.p, b.len, &back, &n, 0, &d), DIB_OK);
	assert_int_equal(n, 50);
	assert_same_points(tr.pts, back, n);
	free(back);

	/* Rounding: to 1e-7 degree and the decimetre, and no further. */
	tr.n = 1;
	tr.pts[0].lat = 14.46712344;
	tr.pts[0].lon = -12.21712346;
	tr.pts[0].has_ele = 1;
	tr.pts[0].ele = 25.06;
	buf_reset(&b);
	assert_int_equal(track_encode(tr.pts, 1, &b, &d), DIB_OK);
	assert_int_equal(track_decode(b.p, b.len, &back, &n, 0, &d), DIB_OK);
	assert_true(back[0].lat == 14.4671234);
	assert_true(back[0].lon == -12.2171235);
	assert_true(back[0].ele == 25.1);
	free(back);

	/* Empty. */
	buf_reset(&b);
	assert_int_equal(track_encode(NULL, 0, &b, &d), DIB_OK);
	assert_int_equal(track_decode(b.p, b.len, &back, &n, 0, &d), DIB_OK);
	assert_int_equal(n, 0);
	assert_null(back);

	/* Invalid points and a full buffer. */
	tr.pts[0].lat = 91;
	buf_reset(&b);
	assert_int_equal(track_encode(tr.pts, 1, &b, &d), DIB_EINVAL);
	assert_string_equal(d.field, "points[0].lat");
	tr.pts[0].lat = 14;
	buf_free(&b);
	buf_init(&b, 8);
	tr.n = 100;
	assert_int_equal(track_encode(tr.pts, 20, &b, &d), DIB_ETOOBIG);
	buf_free(&b);
	track_free(&tr);
}

static void
expect_bad(const char *text, int code, const char *needle)
{
	struct track_point *pts = (struct track_point *)1;
	struct dib_diag d = {0};
	size_t n = 99;

	assert_int_equal(track_decode(text, strlen(text), &pts, &n, 1000, &d),
	    code);
	assert_null(pts);
	assert_int_equal(n, 0);
	if (needle != NULL && strstr(d.msg, needle) == NULL) {
		printf("decode \"%s\": got \"%s\", wanted \"%s\"\n", text,
		    d.msg, needle);
		fail();
	}
}

/* Base64url of raw bytes, for hand-made texts. */
static void
b64(const unsigned char *raw, size_t n, char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrs"
	    "tuvwxyz0123456789-_";
	size_t i, o = 0;

	for (i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)raw[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)raw[i + 1] << 8;
		if (i + 2 < n)
			v |= raw[i + 2];
		out[o++] = a[v >> 18];
		out[o++] = a[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = a[(v >> 6) & 63];
		if (i + 2 < n)
			out[o++] = a[v & 63];
	}
	out[o] = '\0';
}

static void
test_codec_corrupt(void **state)
{
	struct track tr;
	struct buf b;
	struct track_point *back;
	struct dib_diag d = {0};
	char text[256];
	size_t n, len, bad = 0;

	(void)state;
	track_init(&tr, 0);
	walk(&tr, 20, 14.46, -12.21, T0, 10, 1.4);
	tr.pts[5].has_ele = 1;
	tr.pts[5].ele = 20;
	buf_init(&b, 1 << 16);
	assert_int_equal(track_encode(tr.pts, tr.n, &b, &d), DIB_OK);
	/* Every truncation fails, and names what is wrong. */
	for (len = 0; len < b.len; len++) {
		back = NULL;
		if (track_decode(b.p, len, &back, &n, 0, &d) != DIB_OK)
			bad++;
		assert_null(back);
	}
	assert_int_equal(bad, b.len);
	/* Every single character changed: a clean error or other points,
	** never a crash (ASan watches). */
	for (len = 0; len < b.len; len++) {
		char save = b.p[len];

		b.p[len] = save == 'A' ? 'B' : 'A';
		back = NULL;
		if (track_decode(b.p, b.len, &back, &n, 0, &d) == DIB_OK)
			free(back);
		b.p[len] = save;
	}
	snprintf(text, sizeof text, "%s", b.p);
	text[5] = '=';
	expect_bad(text, DIB_EINVAL, "character 5 is not base64url");
	snprintf(text, sizeof text, "%s", b.p);
	text[3] = '+';
	expect_bad(text, DIB_EINVAL, "character 3 is not base64url");
	expect_bad("", DIB_EINVAL, "empty");
	expect_bad("E", DIB_EINVAL, "cannot end a group");
	{
		static const unsigned char v2[] = {0x20, 0x01, 0x00, 0x00};
		static const unsigned char big[] = {0x10, 0xe9, 0x07, 0x00, 0x00};
		static const unsigned char huge[] = {0x10, 0x80, 0x80, 0x80,
		    0x80, 0x80, 0x01, 0x02, 0x02};
		static const unsigned char trail[] = {0x10, 0x01, 0x02, 0x02,
		    0x00};
		static const unsigned char longer[] = {0x10, 0x01, 0x80, 0x00,
		    0x02};
		static const unsigned char lat[] = {0x10, 0x01, 0x00, 0xfe, 0xff,
		    0xff, 0xff, 0x07};
		static const unsigned char flags[] = {0x12, 0x01, 0x00, 0x00};
		static const unsigned char map[] = {0x1d, 0x01, 0x03, 0x01, 0x00,
		    0x00, 0x02};
		static const unsigned char t0[] = {0x11, 0x01, 0x00, 0x00, 0x00};
		static const unsigned char over[] = {0x10, 0x01, 0xff, 0xff, 0xff,
		    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00};

		b64(v2, sizeof v2, text);
		expect_bad(text, DIB_EINVAL, "version 2");
		b64(big, sizeof big, text);             /* 1001 > 1000 */
		expect_bad(text, DIB_ETOOBIG, "1001 points");
		b64(huge, sizeof huge, text);           /* 2^35 in 9 bytes */
		expect_bad(text, DIB_ETOOBIG, NULL);
		b64(trail, sizeof trail, text);
		expect_bad(text, DIB_EINVAL, "bytes left");
		b64(longer, sizeof longer, text);
		expect_bad(text, DIB_EINVAL, "shortest form");
		b64(lat, sizeof lat, text);             /* 2^31 - 1 / 1e7 */
		expect_bad(text, DIB_EINVAL, "latitude out of range");
		b64(flags, sizeof flags, text);
		expect_bad(text, DIB_EINVAL, "contradict");
		b64(map, sizeof map, text);             /* bit 1 of 1 point */
		expect_bad(text, DIB_EINVAL, "bits past the last point");
		b64(t0, sizeof t0, text);
		expect_bad(text, DIB_EINVAL, "time 0");
		b64(over, sizeof over, text);
		expect_bad(text, DIB_EINVAL, "over 64 bits");
	}
	{
		/* A count far beyond what the text holds: refused before any
		** allocation. */
		static const unsigned char lie[] = {0x10, 0xff, 0xff, 0x03, 0x00,
		    0x00};

		b64(lie, sizeof lie, text);
		back = NULL;
		assert_int_equal(track_decode(text, strlen(text), &back, &n,
		    TRACK_DECODE_MAX, &d), DIB_EINVAL);
		assert_non_null(strstr(d.msg, "cannot fit"));
	}
	buf_free(&b);
	track_free(&tr);
}

/* ---- GPX ---- */

static void
test_gpx_11(void **state)
{
	struct track_gpx g;
	struct dib_diag d = {0};
	struct track_stats st;
	struct track_report rep;
	double len = 0;
	size_t k;

	(void)state;
	assert_int_equal(track_gpx_parse_file(fixture("kidira_foot_1_1.gpx"),
	    NULL, &g, &d), DIB_OK);
	assert_int_equal(g.version, 11);
	assert_int_equal(g.ntrk, 1);
	assert_int_equal(g.trk.n, 55);
	assert_int_equal(g.trk.nseg, 2);
	assert_int_equal(g.trk.seg[1], 30);
	assert_int_equal(g.no_time, 0);
	assert_string_equal(g.trk.name,
	    "Patrouille mixte \xc3\xa0 pied \xe2\x80\x94 Kidira sud");
	assert_true(g.trk.pts[0].lat == 14.4635);
	assert_true(g.trk.pts[0].lon == -12.2135);
	assert_true(g.trk.pts[0].has_ele && g.trk.pts[0].ele == 27.0);
	assert_int_equal(g.trk.pts[0].t, T0);
	assert_int_equal(g.trk.pts[1].t, T0 + 30000);
	/*
	** Expected length: each consecutive pair of a segment through
	** GeographicLib's GeodSolve 2.1.2, summed:
	**   awk -F'"' '/<trkseg>/{p=""} /<trkpt/{if(p!="")print p, $2, $4;
	**     p=$2" "$4}' kidira_foot_1_1.gpx | GeodSolve -i -p 6 |
	**     awk '{s+=$3} END{printf "%.6f\n", s}'
	**   -> 2299.880547
	*/
	for (k = 0; k < g.trk.nseg; k++) {
		size_t n;
		const struct track_point *p = track_seg_points(&g.trk, k, &n);

		len += track_length_m(p, n);
	}
	printf("kidira_foot_1_1.gpx: %.6f m, GeodSolve 2299.880547 m "
	    "(relative %.1e)\n", len, fabs(len - 2299.880547) / 2299.880547);
	assert_true(fabs(len - 2299.880547) / 2299.880547 < 1e-3);
	assert_true(fabs(len - 2299.880547) < 1e-3);    /* and in fact 1 mm */
	track_stats(&g.trk, NULL, &st);
	assert_true(fabs(st.length_m - 2299.880547) / 2299.880547 < 1e-3);
	assert_int_equal(st.segments, 2);
	assert_int_equal(st.t_start, T0);
	assert_int_equal(st.t_end, T0 + (29 * 30 + 600 + 24 * 30) * 1000LL);
	/* Moving throughout, except the 10 minutes between segments. */
	assert_true(fabs(st.moving_s - (29 + 24) * 30) < 1e-6);
	assert_true(st.mean_moving_ms > 1.0 && st.mean_moving_ms < 2.0);
	assert_true(st.south < 14.455 && st.north == 14.4635);
	/* The gap between the segments is kept by cleaning. */
	assert_int_equal(track_clean(&g.trk, NULL, &rep, &d), DIB_OK);
	assert_int_equal(rep.segments, 2);
	assert_int_equal(rep.n_out, 55);
	track_gpx_free(&g);
}

static void
test_gpx_10(void **state)
{
	struct track_gpx g;
	struct dib_diag d = {0};
	double len;

	(void)state;
	assert_int_equal(track_gpx_parse_file(
	    fixture("faleme_pirogue_1_0.gpx"), NULL, &g, &d), DIB_OK);
	assert_int_equal(g.version, 10);
	assert_int_equal(g.trk.n, 60);
	assert_int_equal(g.trk.nseg, 1);
	assert_int_equal(g.no_time, 1);
	assert_int_equal(g.trk.pts[33].t, 0);
	assert_int_equal(g.trk.pts[17].has_ele, 0);
	assert_int_equal(g.trk.pts[16].has_ele, 1);
	/* 2025-02-21T01:00:00.500+00:00 and 10.25 s later. */
	assert_int_equal(g.trk.pts[0].t, T0 + 17 * 3600000LL + 500);
	assert_int_equal(g.trk.pts[1].t, T0 + 17 * 3600000LL + 10750);
	assert_string_equal(g.trk.name, "Pirogue patrol upstream");
	assert_int_equal(g.rte.n, 4);
	assert_int_equal(g.rte.nseg, 1);
	assert_int_equal(g.wpt.n, 2);
	assert_true(g.wpt.pts[0].has_ele);
	/*
	** GeodSolve, as for the GPX 1.1 fixture:
	**   awk -F'"' '/<trkseg>/{p=""} /<trkpt/{if(p!="")print p, $2, $4;
	**     p=$2" "$4}' faleme_pirogue_1_0.gpx | GeodSolve -i -p 6 |
	**     awk '{s+=$3} END{printf "%.6f\n", s}'
	**   -> 2786.787396
	*/
	len = track_length_m(g.trk.pts, g.trk.n);
	printf("faleme_pirogue_1_0.gpx: %.6f m, GeodSolve 2786.787396 m "
	    "(relative %.1e)\n", len, fabs(len - 2786.787396) / 2786.787396);
	assert_true(fabs(len - 2786.787396) / 2786.787396 < 1e-3);
	track_gpx_free(&g);

	/*
	** Without times: accepted for geometry, and counted.
	**   (same awk) no_time.gpx | GeodSolve -i -p 6 | ... -> 369.907744
	*/
	assert_int_equal(track_gpx_parse_file(fixture("no_time.gpx"), NULL,
	    &g, &d), DIB_OK);
	assert_int_equal(g.trk.n, 12);
	assert_int_equal(g.no_time, 12);
	len = track_length_m(g.trk.pts, g.trk.n);
	assert_true(fabs(len - 369.907744) / 369.907744 < 1e-3);
	track_gpx_free(&g);
}

static void
expect_gpx_error(const char *file, int code, const char *n1, const char *n2)
{
	struct track_gpx g;
	struct dib_diag d = {0};
	double t = now_s();

	assert_int_equal(track_gpx_parse_file(fixture(file), NULL, &g, &d),
	    code);
	assert_null(g.trk.pts);
	assert_string_equal(d.field, "gpx");
	if (strstr(d.msg, n1) == NULL || (n2 && strstr(d.msg, n2) == NULL)) {
		printf("%s: got \"%s\"\n", file, d.msg);
		fail();
	}
	/* Refused at once, not after expanding anything. */
	assert_true(now_s() - t < 1.0);
}

static void
test_gpx_bad(void **state)
{
	struct track_gpx g;
	struct dib_diag d = {0};
	struct track_gpx_opts o = {0};
	static const char *bad[][2] = {
		{"<gpx xmlns=\"http://www.topografix.com/GPX/1/1\"><trk><trkseg>"
		    "<trkpt lat=\"14.5\"/></trkseg></trk></gpx>",
		    "line 1, column 61: trkpt: lon is missing"},
		{"<gpx><trk><trkseg><trkpt lat=\"14,5\" lon=\"3\"/>"
		    "</trkseg></trk></gpx>", "lat \"14,5\" is not a decimal"},
		{"<gpx><trk><trkseg><trkpt lat=\"14.5\" lon=\"-180.5\"/>"
		    "</trkseg></trk></gpx>", "lon must be in [-180, 180]"},
		{"<gpx><trk><trkseg><trkpt lat=\"14.5\" lon=\"nan\"/>"
		    "</trkseg></trk></gpx>", "not a decimal"},
		{"<gpx><trk><trkseg><trkpt lat=\"14.5\" lon=\"3\">\n<ele>high"
		    "</ele></trkpt></trkseg></trk></gpx>",
		    "line 2, column 1: ele: \"high\" is not a decimal"},
		{"<gpx><trk><trkseg><trkpt lat=\"14.5\" lon=\"3\"><time>"
		    "20/02/2025 08:00</time></trkpt></trkseg></trk></gpx>",
		    "time: \"20/02/2025 08:00\" is not an ISO 8601"},
		{"<kml xmlns=\"http://www.opengis.net/kml/2.2\"/>",
		    "not a GPX file: the root element is"},
		{"<gpx><trk><name>a</name>", "malformed XML: no element found"},
		{"", "malformed XML"},
		{"<gpx>&ent;</gpx>", "undefined entity"},
	};
	size_t i;

	(void)state;
	expect_gpx_error("malformed.gpx", DIB_EINVAL, "line 9, column",
	    "mismatched tag");
	expect_gpx_error("out_of_range.gpx", DIB_EINVAL,
	    "line 6, column 4: trkpt: lat must be in [-90, 90], got "
	    "94.4631302", NULL);
	expect_gpx_error("billion_laughs.gpx", DIB_EINVAL, "line 2",
	    "DOCTYPE: refused");
	expect_gpx_error("xxe.gpx", DIB_EINVAL, "DOCTYPE: refused", NULL);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc = track_gpx_parse_mem(bad[i][0], strlen(bad[i][0]),
		    NULL, &g, &d);

		if (rc == DIB_OK || strstr(d.msg, bad[i][1]) == NULL) {
			printf("bad GPX %zu: rc %d, \"%s\"\n", i, rc, d.msg);
			fail();
		}
		assert_null(g.trk.pts);
	}
	/* Too many points, too many bytes. */
	o.max_points = 50;
	assert_int_equal(track_gpx_parse_file(fixture("kidira_foot_1_1.gpx"),
	    &o, &g, &d), DIB_ETOOBIG);
	assert_non_null(strstr(d.msg, "more than 50 points"));
	o.max_points = 0;
	o.max_bytes = 5000;
	assert_int_equal(track_gpx_parse_file(fixture("kidira_foot_1_1.gpx"),
	    &o, &g, &d), DIB_ETOOBIG);
	assert_non_null(strstr(d.msg, "larger than 5000 bytes"));
	assert_int_equal(track_gpx_parse_file("/nonexistent/x.gpx", NULL, &g,
	    &d), DIB_EIO);
	/* Deep nesting is refused, not followed. */
	{
		char deep[2000];
		size_t o2 = 0;

		o2 += (size_t)snprintf(deep, sizeof deep, "<gpx>");
		for (i = 0; i < 100; i++)
			o2 += (size_t)snprintf(deep + o2, sizeof deep - o2,
			    "<x>");
		assert_int_equal(track_gpx_parse_mem(deep, o2, NULL, &g, &d),
		    DIB_EINVAL);
		assert_non_null(strstr(d.msg, "nested deeper than 32"));
	}
}

static void
test_gpx_lenient(void **state)
{
	struct track_gpx g;
	struct dib_diag d = {0};
	static const char doc[] =
	    "<?xml version='1.0' encoding='ISO-8859-1'?>\n"
	    "<gpx version='1.1' creator='x'>"
	    "<metadata><name>Kidira \xe9t\xe9</name></metadata>"
	    "<trk><trkseg>"
	    "<trkpt lat=' 14.4670 ' lon='-12.2170'><ele> 25 </ele>"
	    "<time>2025-02-20T09:00:00+01:00</time></trkpt>"
	    "<trkpt lat='14.4669' lon='-12.2170'>"
	    "<time>2025-02-20T08:00:01.123456</time></trkpt>"
	    "<trkpt lat='1.4468e1' lon='-12.2170'>"
	    "<time>1970-01-01T00:00:00Z</time></trkpt>"
	    "<foo:trkpt xmlns:foo='urn:other' lat='1' lon='1'/>"
	    "</trkseg><trkseg/></trk></gpx>";

	(void)state;
	assert_int_equal(track_gpx_parse_mem(doc, sizeof doc - 1, NULL, &g,
	    &d), DIB_OK);
	assert_int_equal(g.version, 11);
	assert_int_equal(g.trk.n, 3);
	assert_int_equal(g.trk.nseg, 1);        /* the empty one dropped */
	assert_string_equal(g.trk.name, "Kidira \xc3\xa9t\xc3\xa9");
	assert_int_equal(g.trk.pts[0].t, T0);
	assert_true(g.trk.pts[0].ele == 25);
	assert_int_equal(g.trk.pts[1].t, T0 + 1123);
	assert_true(g.trk.pts[2].lat == 14.468);
	assert_int_equal(g.trk.pts[2].t, 0);    /* an unset GPS clock */
	assert_int_equal(g.bad_time, 1);
	assert_int_equal(g.no_time, 1);
	track_gpx_free(&g);

	/* A long name is cut on a character boundary. */
	{
		char doc2[1024];
		size_t o = 0, i;

		o += (size_t)snprintf(doc2, sizeof doc2, "<gpx><trk><name>  ");
		for (i = 0; i < 100; i++)
			o += (size_t)snprintf(doc2 + o, sizeof doc2 - o,
			    "\xc3\xa9");
		o += (size_t)snprintf(doc2 + o, sizeof doc2 - o, "</name>"
		    "<trkseg><trkpt lat='1' lon='2'/></trkseg></trk></gpx>");
		assert_int_equal(track_gpx_parse_mem(doc2, o, NULL, &g, &d),
		    DIB_OK);
		assert_true(strlen(g.trk.name) > 100);
		assert_true(strlen(g.trk.name) < sizeof g.trk.name);
		assert_true(util_utf8_valid(g.trk.name, strlen(g.trk.name)));
		track_gpx_free(&g);
	}
}

static void
test_parse_time(void **state)
{
	static const struct {
		const char *s;
		int64_t ms;
	} good[] = {
		{"2025-02-20T08:00:00Z", T0},
		{"2025-02-20T08:00:00.5Z", T0 + 500},
		{"2025-02-20T08:00:00.123999Z", T0 + 123},
		{"2025-02-20T08:00:00", T0},
		{"2025-02-20t08:00:00z", T0},
		{"2025-02-20 08:00:00Z", T0},
		{"2025-02-20T09:30:00+01:30", T0},
		{"2025-02-20T07:00:00-0100", T0},
		{"2025-02-20T10:00:00+02", T0},
		{"2025-02-20T08:00:00,250Z", T0 + 250},
		{"2024-02-29T00:00:00Z", 1709164800000LL},
		{"2016-12-31T23:59:60Z", 1483228799000LL},
	};
	static const char *bad[] = {
		"2025-02-20", "2025-02-20T08:00", "2025-02-30T08:00:00Z",
		"2025-13-01T00:00:00Z", "2025-02-20T24:00:00Z",
		"2025-02-20T08:00:00.Z", "2025-02-20T08:00:00+1", "20250220T080000Z",
		"2025-02-20T08:00:00Zjunk", "2025-02-20T08:00:00+25:00",
		"1899-12-31T00:00:00Z", "2025-02-20T08:00:00 Z",
	};
	size_t i;
	int64_t ms;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		if (track_parse_time(good[i].s, strlen(good[i].s), &ms) != 0 ||
		    ms != good[i].ms) {
			printf("time \"%s\": %lld\n", good[i].s, (long long)ms);
			fail();
		}
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (track_parse_time(bad[i], strlen(bad[i]), &ms) == 0) {
			printf("time \"%s\" accepted\n", bad[i]);
			fail();
		}
	}
}

static void
test_parse_number(void **state)
{
	static const struct {
		const char *s;
		double v;
	} good[] = {
		{"14.467", 14.467}, {"-12.217", -12.217}, {"+3", 3}, {".5", 0.5},
		{"5.", 5}, {"1e-3", 1e-3}, {"  7  ", 7}, {"-0", 0},
		{"14.46712345678901234567", 14.46712345678901234567},
		{"123456789012345678901234", 123456789012345678901234.0},
		{"0.000000000000000000000000001", 1e-27},
	};
	static const char *bad[] = {"", " ", "-", ".", "e5", "1e", "nan",
	    "inf", "0x10", "1,5", "1.2.3", "--1", "1e99999"};
	size_t i;
	double v;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		assert_int_equal(track_parse_number(good[i].s,
		    strlen(good[i].s), &v), 0);
		assert_true(v == good[i].v);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(track_parse_number(bad[i], strlen(bad[i]), &v),
		    -1);
}

static void
progress(void *arg, uint64_t done, uint64_t total)
{
	uint64_t *seen = arg;

	assert_true(done >= seen[0]);
	seen[0] = done;
	seen[1] = total;
	seen[2]++;
}

/* Peak resident memory (kB) since the last reset_peak(). */
static long
peak_kb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	size_t n = strlen(key);

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, key, n) == 0)
			kb = strtol(line + n, NULL, 10);
	fclose(f);
	return kb;
}

static int
reset_peak(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");
	int ok;

	if (f == NULL)
		return 0;
	ok = fputs("5", f) >= 0;
	return fclose(f) == 0 && ok;
}

static void
test_gpx_million(void **state)
{
	char path[4200];
	FILE *f;
	struct track_gpx g;
	struct track_report rep;
	struct dib_diag d = {0};
	struct track_gpx_opts o = {0};
	uint64_t seen[3] = {0, 0, 0};
	struct stat sb;
	size_t i, n = 1000000;
	double t, el;
	long before, peak;
	int peak_ok;

	(void)state;
	snprintf(path, sizeof path, "%s/million.gpx", tmpdir());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gpx xmlns=\"http://"
	    "www.topografix.com/GPX/1/1\" version=\"1.1\" creator=\"test\">\n"
	    "<trk><name>million</name><trkseg>\n", f);
	for (i = 0; i < n; i++) {
		int64_t s = T0 / 1000 + (int64_t)i;
		time_t tt = (time_t)s;
		struct tm tm;
		char ts[32];

		gmtime_r(&tt, &tm);
		strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
		fprintf(f, "<trkpt lat=\"%.7f\" lon=\"%.7f\"><ele>%.1f</ele>"
		    "<time>%s</time></trkpt>\n", 14.467 - (double)i * 1e-6,
		    -12.217 + (double)(i % 1000) * 1e-7, 30 + (double)(i % 50) /
		    10, ts);
	}
	fputs("</trkseg></trk></gpx>\n", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(stat(path, &sb), 0);

	o.progress = progress;
	o.progress_arg = seen;
	peak_ok = reset_peak();
	before = peak_kb("VmRSS:");
	t = now_s();
	assert_int_equal(track_gpx_parse_file(path, &o, &g, &d), DIB_OK);
	el = now_s() - t;
	peak = peak_kb("VmHWM:");
	assert_int_equal(g.trk.n, n);
	assert_int_equal(g.bytes, (uint64_t)sb.st_size);
	assert_int_equal(seen[0], (uint64_t)sb.st_size);
	assert_int_equal(seen[1], (uint64_t)sb.st_size);
	assert_true(seen[2] > 10);
	printf("GPX: %zu points, %.0f MB parsed in %.3f s: %.0f points/s, "
	    "%.0f MB/s%s\n", n, (double)sb.st_size / 1e6, el, (double)n / el,
	    (double)sb.st_size / 1e6 / el, UNDER_ASAN ? " (under ASan)" : "");
	if (peak_ok && before > 0 && peak > 0) {
		long pts_kb = (long)(g.trk.cap * sizeof *g.trk.pts / 1024);

		printf("GPX: peak memory %ld MB over %ld MB of points, for a "
		    "%.0f MB file\n", (peak - before) / 1024, pts_kb / 1024,
		    (double)sb.st_size / 1e6);
		/* The points, and a few MB besides: never the file. */
		if (!UNDER_ASAN)
			assert_true(peak - before < pts_kb + 32 * 1024);
	}
	t = now_s();
	assert_int_equal(track_clean(&g.trk, NULL, &rep, &d), DIB_OK);
	printf("clean: %zu points in %.3f s\n", n, now_s() - t);
	assert_int_equal(rep.n_out, n);
	track_gpx_free(&g);
	unlink(path);

	/* The same through memory, with its progress. */
	{
		static const char doc[] = "<gpx><trk><trkseg><trkpt lat=\"1\" "
		    "lon=\"2\"/></trkseg></trk></gpx>";

		memset(seen, 0, sizeof seen);
		assert_int_equal(track_gpx_parse_mem(doc, sizeof doc - 1, &o,
		    &g, &d), DIB_OK);
		assert_int_equal(seen[0], sizeof doc - 1);
		assert_int_equal(seen[1], sizeof doc - 1);
		track_gpx_free(&g);
	}
}

static void
test_gpx_write(void **state)
{
	struct track_gpx g, back;
	struct dib_diag d = {0};
	struct buf b;
	char path[4200];
	FILE *f;
	size_t i;

	(void)state;
	assert_int_equal(track_gpx_parse_file(
	    fixture("faleme_pirogue_1_0.gpx"), NULL, &g, &d), DIB_OK);
	buf_init(&b, 1 << 20);
	assert_int_equal(track_gpx_write(&b, &g.trk, "Falémé <upstream> & "
	    "\"back\"", T0), DIB_OK);
	assert_non_null(strstr(b.p, "creator=\"diboli\""));
	assert_non_null(strstr(b.p, "xmlns=\"http://www.topografix.com/GPX/1/1\""));
	assert_non_null(strstr(b.p, "<metadata>\n  <name>Falémé &lt;upstream"
	    "&gt; &amp; &quot;back&quot;</name>\n  <time>2025-02-20T08:00:00Z"
	    "</time>"));
	assert_non_null(strstr(b.p, "<trkpt lat=\"14.47\" lon=\"-12.206\">"
	    "<ele>21</ele><time>2025-02-21T01:00:00.500Z</time></trkpt>"));
	assert_int_equal(track_gpx_parse_mem(b.p, b.len, NULL, &back, &d),
	    DIB_OK);
	assert_int_equal(back.version, 11);
	assert_int_equal(back.trk.n, g.trk.n);
	assert_string_equal(back.trk.name, "Falémé <upstream> & \"back\"");
	for (i = 0; i < g.trk.n; i++) {
		assert_true(back.trk.pts[i].lat == g.trk.pts[i].lat);
		assert_true(back.trk.pts[i].lon == g.trk.pts[i].lon);
		assert_int_equal(back.trk.pts[i].t, g.trk.pts[i].t);
		assert_int_equal(back.trk.pts[i].has_ele, g.trk.pts[i].has_ele);
		assert_true(back.trk.pts[i].ele == g.trk.pts[i].ele);
	}
	track_gpx_free(&back);
	/* A file, and a buffer too small. */
	snprintf(path, sizeof path, "%s/out.gpx", tmpdir());
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(track_gpx_write_file(f, &g.trk, NULL, T0), DIB_OK);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(track_gpx_parse_file(path, NULL, &back, &d), DIB_OK);
	assert_int_equal(back.trk.n, g.trk.n);
	assert_string_equal(back.trk.name, "Pirogue patrol upstream");
	track_gpx_free(&back);
	unlink(path);
	buf_free(&b);
	buf_init(&b, 1000);
	assert_int_equal(track_gpx_write(&b, &g.trk, NULL, T0), DIB_ETOOBIG);
	buf_free(&b);
	track_gpx_free(&g);
}

static void
test_geojson(void **state)
{
	struct track_gpx g;
	struct dib_diag d = {0};
	struct track_stats st;
	struct buf b;
	json_t *j, *geom, *props;
	json_error_t je;

	(void)state;
	assert_int_equal(track_gpx_parse_file(fixture("kidira_foot_1_1.gpx"),
	    NULL, &g, &d), DIB_OK);
	track_stats(&g.trk, NULL, &st);
	buf_init(&b, 1 << 20);
	assert_int_equal(track_geojson_write(&b, &g.trk, NULL, &st), DIB_OK);
	j = json_loadb(b.p, b.len, 0, &je);
	assert_non_null(j);
	geom = json_object_get(j, "geometry");
	props = json_object_get(j, "properties");
	assert_string_equal(json_string_value(json_object_get(j, "type")),
	    "Feature");
	assert_string_equal(json_string_value(json_object_get(geom, "type")),
	    "MultiLineString");
	assert_int_equal(json_array_size(json_object_get(geom,
	    "coordinates")), 2);
	assert_string_equal(json_string_value(json_object_get(props, "name")),
	    g.trk.name);
	assert_string_equal(json_string_value(json_object_get(props,
	    "time_start")), "2025-02-20T08:00:00Z");
	assert_true(fabs(json_real_value(json_object_get(props, "length_m")) -
	    2299.88) < 0.01);
	assert_non_null(strstr(b.p, "[[[-12.2135,14.4635,27],"));
	json_decref(j);

	/* One segment: a LineString; no elevation when one is missing. */
	g.trk.nseg = 1;
	g.trk.pts[3].has_ele = 0;
	buf_reset(&b);
	assert_int_equal(track_geojson_write(&b, &g.trk, "x", NULL), DIB_OK);
	assert_non_null(strstr(b.p, "{\"type\":\"LineString\",\"coordinates\":"
	    "[[-12.2135,14.4635],"));
	j = json_loadb(b.p, b.len, 0, &je);
	assert_non_null(j);
	json_decref(j);
	/* Single points only: no line, a null geometry. */
	g.trk.n = 1;
	buf_reset(&b);
	assert_int_equal(track_geojson_write(&b, &g.trk, NULL, NULL), DIB_OK);
	assert_non_null(strstr(b.p, "\"geometry\":null"));
	j = json_loadb(b.p, b.len, 0, &je);
	assert_non_null(j);
	json_decref(j);
	buf_free(&b);
	track_gpx_free(&g);
}

/* ---- statistics ---- */

static void
test_distance_accuracy(void **state)
{
	size_t i;
	double worst = 0;

	(void)state;
	/* Steps up to 5 km in any direction across West Africa: the local
	** approximation against PROJ's geod_inverse (GeographicLib). */
	for (i = 0; i < 20000; i++) {
		struct track_point a = {0}, b = {0};
		double s = uniform() * 5000, az = uniform() * 6.2831853;
		double m, e;

		a.lat = 4 + uniform() * 20;
		a.lon = -18 + uniform() * 22;
		b.lat = a.lat + s * cos(az) / 110600;
		b.lon = a.lon + s * sin(az) / (111320 * cos(a.lat * 0.0174533));
		m = proj_m(&a, &b);
		e = fabs(track_distance_m(&a, &b) - m) / (m > 0 ? m : 1);
		if (e > worst)
			worst = e;
	}
	printf("local approximation: worst relative error %.2e over 20000 "
	    "steps up to 5 km\n", worst);
	assert_true(worst < 1e-6);
	/* Long steps go to PROJ. */
	{
		struct track_point a = {.lat = 14.467, .lon = -12.217};
		struct track_point b = {.lat = 12.639, .lon = -8.003};

		assert_true(fabs(track_distance_m(&a, &b) - proj_m(&a, &b)) <
		    1e-6);
	}
}

static void
test_stats(void **state)
{
	struct track tr;
	struct track_stats st;
	struct track_rules r;
	size_t i, n = 100000;
	double best = 1e9, t, geod = 0;
	int run;

	(void)state;
	track_init(&tr, 0);
	vehicle_track(&tr, n);
	track_rules_default(&r, TRACK_VEHICLE);
	for (run = 0; run < 5; run++) {
		t = now_s();
		track_stats(&tr, &r, &st);
		t = now_s() - t;
		if (t < best)
			best = t;
	}
	for (i = 1; i < n; i++)
		geod += proj_m(&tr.pts[i - 1], &tr.pts[i]);
	printf("stats of %zu points: %.2f ms (best of 5; goal < 20 ms); "
	    "length %.3f m, PROJ geod_inverse %.3f m (relative %.1e)%s\n", n,
	    best * 1e3, st.length_m, geod, fabs(st.length_m - geod) / geod,
	    UNDER_ASAN ? " (under ASan)" : "");
	assert_true(fabs(st.length_m - geod) / geod < 1e-6);
	assert_int_equal(st.points, n);
	assert_true(fabs(st.total_s - (double)(n - 1)) < 1e-9);
	assert_true(st.moving_s > 0.99 * st.total_s);
	assert_true(st.max_speed_ms > 15 && st.max_speed_ms < 26);
	assert_true(st.mean_moving_ms > 5 && st.mean_moving_ms < 22);
	track_free(&tr);

	/* A foot patrol halts 10 minutes at a ford, GPS jittering: the halt
	** is not moving time. */
	track_init(&tr, 0);
	track_rules_default(&r, TRACK_FOOT);
	walk(&tr, 600, 14.46, -12.21, T0, 1, 1.4);
	for (i = 0; i < 600; i++) {
		struct track_point p = tr.pts[599];
		static double ex, ey;

		/* GPS error wanders slowly (AR(1), ~2 m), it is not white. */
		ex = 0.95 * ex + gauss() * 0.6;
		ey = 0.95 * ey + gauss() * 0.6;
		p.lat += ey / 110700;
		p.lon += ex / 107550;
		p.t += (int64_t)(i + 1) * 1000;
		assert_int_equal(track_add(&tr, &p), DIB_OK);
	}
	walk(&tr, 600, tr.pts[tr.n - 1].lat, -12.21, tr.pts[tr.n - 1].t + 1000,
	    1, 1.4);
	track_stats(&tr, &r, &st);
	printf("halt: total %.0f s, moving %.0f s, mean %.2f m/s, max %.2f "
	    "m/s\n", st.total_s, st.moving_s, st.mean_moving_ms,
	    st.max_speed_ms);
	assert_true(fabs(st.total_s - 1799) < 1e-9);
	assert_true(st.moving_s > 1150 && st.moving_s < 1250);
	assert_true(fabs(st.mean_moving_ms - 1.4) < 0.1);
	track_free(&tr);

	/* Empty and single points. */
	track_init(&tr, 0);
	track_stats(&tr, NULL, &st);
	assert_int_equal(st.points, 0);
	walk(&tr, 1, 14.46, -12.21, T0, 1, 1.4);
	track_stats(&tr, NULL, &st);
	assert_true(st.length_m == 0 && st.max_speed_ms == 0);
	track_free(&tr);
}

static void
test_simplify(void **state)
{
	struct track tr;
	size_t *keep, nkeep, i;
	double t;

	(void)state;
	/* A noisy straight line of 10 km: a few points at 10 m. */
	track_init(&tr, 0);
	walk(&tr, 10000, 14.46, -12.21, T0, 1, 1);
	for (i = 0; i < tr.n; i++)
		tr.pts[i].lon += gauss() * 1.5 / 107550;
	keep = malloc(tr.n * sizeof *keep);
	assert_non_null(keep);
	assert_int_equal(track_simplify(tr.pts, tr.n, 10, keep, &nkeep),
	    DIB_OK);
	printf("simplify: noisy straight line of %zu points -> %zu at 10 m\n",
	    tr.n, nkeep);
	assert_true(nkeep >= 2 && nkeep <= 4);
	assert_int_equal(keep[0], 0);
	assert_int_equal(keep[nkeep - 1], tr.n - 1);
	/* At 1 m the noise stays. */
	assert_int_equal(track_simplify(tr.pts, tr.n, 1, keep, &nkeep),
	    DIB_OK);
	assert_true(nkeep > 100);
	track_free(&tr);
	free(keep);

	/* A corner survives. */
	track_init(&tr, 0);
	walk(&tr, 100, 14.46, -12.21, T0, 1, 1.4);
	for (i = 1; i <= 100; i++) {
		struct track_point p = tr.pts[99];

		p.lon += (double)i * 1.4 / 107550;
		assert_int_equal(track_add(&tr, &p), DIB_OK);
	}
	keep = malloc(tr.n * sizeof *keep);
	assert_int_equal(track_simplify(tr.pts, tr.n, 1, keep, &nkeep),
	    DIB_OK);
	assert_int_equal(nkeep, 3);
	assert_int_equal(keep[1], 99);
	free(keep);
	track_free(&tr);

	/* A million points: no recursion to run out of. */
	track_init(&tr, 0);
	vehicle_track(&tr, 1000000);
	keep = malloc(tr.n * sizeof *keep);
	t = now_s();
	assert_int_equal(track_simplify(tr.pts, tr.n, track_zoom_tolerance(12),
	    keep, &nkeep), DIB_OK);
	printf("simplify: 1,000,000 points -> %zu at zoom 12 (%.1f m) in "
	    "%.0f ms\n", nkeep, track_zoom_tolerance(12), (now_s() - t) * 1e3);
	assert_true(nkeep > 2 && nkeep < 100000);
	free(keep);
	track_free(&tr);

	/* Zoom levels: one pixel, halved per level, clamped to 5..18. */
	assert_true(fabs(track_zoom_tolerance(18) - 0.597) < 0.001);
	assert_true(fabs(track_zoom_tolerance(5) - 4891.97) < 0.01);
	assert_true(track_zoom_tolerance(2) == track_zoom_tolerance(5));
	assert_true(track_zoom_tolerance(22) == track_zoom_tolerance(18));
	for (i = 5; i < 18; i++)
		assert_true(fabs(track_zoom_tolerance((int)i) / 2 -
		    track_zoom_tolerance((int)i + 1)) < 1e-9);
}

static void
test_deviation(void **state)
{
	struct track tr;
	struct track_point route[3];
	struct track_deviation dv;
	struct dib_diag d = {0};
	size_t i;
	double t;

	(void)state;
	/* The planned route: south along a meridian, 2 legs. */
	memset(route, 0, sizeof route);
	route[0].lat = 14.47;
	route[0].lon = -12.21;
	route[1].lat = 14.44;
	route[1].lon = -12.21;
	route[2].lat = 14.41;
	route[2].lon = -12.21;
	/* The patrol walks 100 m east of it. */
	track_init(&tr, 0);
	walk(&tr, 600, 14.465, -12.21 + 100 / 107760.0, T0, 5, 2);
	assert_int_equal(track_deviation(&tr, route, 3, 0, &dv, &d), DIB_OK);
	printf("deviation: mean %.2f m, max %.2f m over %zu samples\n",
	    dv.mean_m, dv.max_m, dv.samples);
	assert_true(fabs(dv.mean_m - 100) < 0.5);
	assert_true(fabs(dv.max_m - 100) < 0.5);
	assert_true(dv.samples > 500);
	/* A detour of 500 m in the middle. */
	for (i = 280; i < 320; i++)
		tr.pts[i].lon = -12.21 + 500 / 107760.0;
	assert_int_equal(track_deviation(&tr, route, 3, 0, &dv, &d), DIB_OK);
	assert_true(fabs(dv.max_m - 500) < 2);
	assert_true(dv.max_at.lat < 14.44 && dv.max_at.lat > 14.40);
	/* Beyond the route's end: the distance to its end point. */
	track_free(&tr);
	track_init(&tr, 0);
	walk(&tr, 2, 14.40, -12.21, T0, 5, 2);
	assert_int_equal(track_deviation(&tr, route, 3, 0, &dv, &d), DIB_OK);
	assert_true(fabs(dv.max_m - 1116.4) < 2);
	/* A long route and track: fast. */
	track_free(&tr);
	track_init(&tr, 0);
	vehicle_track(&tr, 100000);
	{
		size_t m = 2000, k;
		struct track_point *rt = malloc(m * sizeof *rt);

		assert_non_null(rt);
		for (k = 0; k < m; k++)
			rt[k] = tr.pts[k * (tr.n / m)];
		t = now_s();
		assert_int_equal(track_deviation(&tr, rt, m, 0, &dv, &d),
		    DIB_OK);
		printf("deviation: %zu samples against %zu route points in "
		    "%.1f ms: mean %.1f m, max %.1f m\n", dv.samples, m,
		    (now_s() - t) * 1e3, dv.mean_m, dv.max_m);
		assert_true(dv.mean_m < 20);
		free(rt);
	}
	assert_int_equal(track_deviation(&tr, route, 0, 0, &dv, &d),
	    DIB_EINVAL);
	route[1].lon = NAN;
	assert_int_equal(track_deviation(&tr, route, 3, 0, &dv, &d),
	    DIB_EINVAL);
	assert_string_equal(d.field, "route[1]");
	track_free(&tr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		/* First: its memory peak is measured from a quiet process. */
		cmocka_unit_test(test_gpx_million),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_clean_order),
		cmocka_unit_test(test_clean_duplicates),
		cmocka_unit_test(test_clean_spikes),
		cmocka_unit_test(test_clean_first_point_spike),
		cmocka_unit_test(test_clean_jump),
		cmocka_unit_test(test_clean_gaps),
		cmocka_unit_test(test_clean_no_time),
		cmocka_unit_test(test_clean_invalid),
		cmocka_unit_test(test_clean_input_segments),
		cmocka_unit_test(test_clean_accounting),
		cmocka_unit_test(test_codec_round_trip),
		cmocka_unit_test(test_codec_corrupt),
		cmocka_unit_test(test_gpx_11),
		cmocka_unit_test(test_gpx_10),
		cmocka_unit_test(test_gpx_bad),
		cmocka_unit_test(test_gpx_lenient),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_parse_number),
		cmocka_unit_test(test_gpx_write),
		cmocka_unit_test(test_geojson),
		cmocka_unit_test(test_distance_accuracy),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_simplify),
		cmocka_unit_test(test_deviation),
	};

	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	/* The tests remove their files; the directory goes too. */
	if (strstr(tmpdir(), "test_track.") != NULL)
		rmdir(tmpdir());
	return rc;
}
