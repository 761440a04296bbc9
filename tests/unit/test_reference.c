/*
** Unit tests of geo/reference: the four layers load and validate, the
** border sections are contiguous, ordered and of the right lengths,
** distances agree with GeodSolve (values below from GeographicLib 2.1.2,
** `GeodSolve -p 12`) and with a brute-force geodesic search, the buffer
** tests on points and tracks, and the node's override files: one replaces
** a layer, a malformed one is refused with a message naming the problem.
** Timings are printed, never asserted.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>
#include <geodesic.h>
#include <jansson.h>

#include "geo/geo.h"
#include "geo/reference.h"
#include "util/embed.h"
#include "util/util.h"

/* The published sections: ids never change (tools/make-reference). */
static const char *const published[] = {
	"SEC-01", "SEC-02", "SEC-03", "SEC-04", "SEC-05", "SEC-06", "SEC-07",
	"SEC-08", "SEC-09", "SEC-10", "SEC-11", "SEC-12", "SEC-13",
};
#define NPUB (sizeof published / sizeof published[0])

/* Where the layers come from in these tests: NULL when the binary embeds
** them, else a directory holding copies of data/reference (as a node's
** overrides) until CMakeLists.txt embeds them. */
static char base[160];
static const char *basedir;
static int embedded;
static char tmproot[128];

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The source tree: DIBOLI_SRC, else two levels above this file. */
static void
src_path(char *out, size_t n, const char *rel)
{
	const char *env = getenv("DIBOLI_SRC");
	char root[1024];

	if (env != NULL && *env)
		snprintf(root, sizeof root, "%s", env);
	else {
		snprintf(root, sizeof root, "%s", __FILE__);
		for (int k = 0; k < 3; k++) {
			char *s = strrchr(root, '/');

			if (s != NULL)
				*s = '\0';
		}
	}
	snprintf(out, n, "%s/%s", root, rel);
}

static void
put(const char *dir, const char *name, const char *text)
{
	char path[512];
	struct dib_diag d;

	snprintf(path, sizeof path, "%s/reference", dir);
	mkdir(dir, 0700);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/reference/%s", dir, name);
	assert_int_equal(util_write_file(path, text, strlen(text), 0644, &d),
	    DIB_OK);
}

static char *
slurp(const char *rel, size_t *len)
{
	char path[1200], *p = NULL;
	struct dib_diag d;

	src_path(path, sizeof path, rel);
	if (util_read_file(path, REF_MAX_BYTES, &p, len, &d) != DIB_OK)
		fail_msg("cannot read %s: %s", path, d.msg);
	return p;
}

static int
group_setup(void **state)
{
	const char *t = getenv("DIBOLI_TEST_TMP");
	size_t i;

	(void)state;
	if (t != NULL && *t) {
		mkdir(t, 0700);
		snprintf(tmproot, sizeof tmproot, "%s/ref-XXXXXX", t);
	} else {
		snprintf(tmproot, sizeof tmproot, "/tmp/diboli-ref-XXXXXX");
	}
	if (mkdtemp(tmproot) == NULL)
		return -1;
	embedded = dib_embed_find("sections.geojson") != NULL;
	if (embedded) {
		basedir = NULL;
		return 0;
	}
	print_message("note: data/reference/*.geojson are not embedded in "
	    "this build (CMakeLists.txt embed_files): the tests read them "
	    "as a node's files\n");
	snprintf(base, sizeof base, "%s/base", tmproot);
	for (i = 0; ref_layer_names[i] != NULL; i++) {
		char rel[128], name[64], *text;
		size_t len;

		snprintf(name, sizeof name, "%s.geojson", ref_layer_names[i]);
		snprintf(rel, sizeof rel, "data/reference/%s", name);
		text = slurp(rel, &len);
		put(base, name, text);
		free(text);
	}
	basedir = base;
	return 0;
}

static int
group_teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmproot);
	return system(cmd) == 0 ? 0 : -1;
}

static struct ref_sections *
sections(void)
{
	struct ref_sections *s = NULL;
	struct dib_diag d;

	if (ref_sections_load(basedir, &s, &d) != DIB_OK)
		fail_msg("sections: %s: %s", d.field, d.msg);
	return s;
}

/* ---- layers ---- */

static void
test_layers_load(void **state)
{
	static const struct {
		const char *name;
		size_t min, max;
	} want[] = {
		{"boundary", 1, 1}, {"sections", NPUB, NPUB},
		{"places", 15, 100}, {"corridor", 100, 1000},
	};
	struct ref_layer *l;
	struct dib_diag d;
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		assert_string_equal(ref_layer_names[i], want[i].name);
		assert_true(ref_layer_known(want[i].name));
		if (ref_layer_load(basedir, want[i].name, &l, &d) != DIB_OK)
			fail_msg("%s: %s: %s", want[i].name, d.field, d.msg);
		assert_int_equal(l->source, embedded ? REF_EMBEDDED :
		    REF_NODE);
		assert_true(l->count >= want[i].min && l->count <=
		    want[i].max);
		assert_int_equal(json_array_size(json_object_get(l->fc,
		    "features")), l->count);
		assert_true(l->len > 100 && l->text[0] == '{');
		ref_layer_free(l);
	}
	assert_null(ref_layer_names[4]);
	assert_false(ref_layer_known("../sections"));
	assert_false(ref_layer_known(NULL));
	assert_int_equal(ref_layer_load(basedir, "rivers", &l, &d),
	    DIB_ENOTFOUND);
	assert_null(l);
	assert_non_null(strstr(d.msg, "boundary, sections, places, "
	    "corridor"));
	assert_string_equal(ref_source_name(REF_NODE), "node");
	assert_string_equal(ref_source_name(REF_EMBEDDED), "embedded");
}

/* The embedded copies are the files of data/reference. */
static void
test_embedded_are_the_sources(void **state)
{
	size_t i;

	(void)state;
	if (!embedded) {
		print_message("skipped: not embedded in this build\n");
		return;
	}
	for (i = 0; ref_layer_names[i] != NULL; i++) {
		char name[64], rel[128], *text;
		const struct dib_embedded *e;
		size_t len;

		snprintf(name, sizeof name, "%s.geojson", ref_layer_names[i]);
		snprintf(rel, sizeof rel, "data/reference/%s", name);
		assert_non_null(e = dib_embed_find(name));
		text = slurp(rel, &len);
		assert_int_equal(e->len, len);
		assert_memory_equal(e->data, text, len);
		free(text);
	}
}

/* Places and corridor: the kinds and properties clients rely on. */
static void
test_places_corridor(void **state)
{
	struct ref_layer *l;
	struct dib_diag d;
	json_t *f;
	size_t i, posts = 0, routes = 0, stations = 0;
	int kidira = 0, hq = 0;

	(void)state;
	assert_int_equal(ref_layer_load(basedir, "places", &l, &d), DIB_OK);
	json_array_foreach(json_object_get(l->fc, "features"), i, f) {
		json_t *p = json_object_get(f, "properties");
		const char *k = json_string_value(json_object_get(p, "kind"));

		assert_non_null(k);
		assert_non_null(json_string_value(json_object_get(p,
		    "name_fr")));
		assert_non_null(json_string_value(json_object_get(p,
		    "name_en")));
		assert_string_equal(json_string_value(json_object_get(f, "id")),
		    json_string_value(json_object_get(p, "id")));
		if (strcmp(k, "station") == 0)
			stations++;
		if (strcmp(k, "hq") == 0)
			hq++;
		if (strcmp(json_string_value(json_object_get(f, "id")),
		    "crossing-kidira-diboli") == 0) {
			kidira = 1;
			assert_string_equal(json_string_value(json_object_get(p,
			    "section")), "SEC-02");
		}
	}
	assert_true(kidira);
	assert_int_equal(hq, 2);
	assert_true(stations >= 3);
	ref_layer_free(l);
	assert_int_equal(ref_layer_load(basedir, "corridor", &l, &d), DIB_OK);
	json_array_foreach(json_object_get(l->fc, "features"), i, f) {
		json_t *p = json_object_get(f, "properties");
		const char *k = json_string_value(json_object_get(p, "kind"));

		if (strcmp(k, "corridor_route") == 0) {
			routes++;
			assert_non_null(json_string_value(json_object_get(p,
			    "accuracy")));
		} else {
			assert_string_equal(k, "kilometre_post");
			assert_int_equal(json_integer_value(json_object_get(p,
			    "km")) % 10, 0);
			posts++;
		}
	}
	assert_int_equal(routes, 2);
	assert_true(posts > 200);
	ref_layer_free(l);
}

/* ---- sections ---- */

static void
test_sections_contiguous(void **state)
{
	struct ref_sections *s = sections();
	struct ref_layer *l;
	struct dib_diag d;
	double total = 0;
	size_t i;

	(void)state;
	assert_int_equal(s->n, NPUB);
	assert_int_equal(ref_layer_load(basedir, "sections", &l, &d), DIB_OK);
	for (i = 0; i < s->n; i++) {
		const struct ref_section *c = &s->v[i];
		json_t *p = json_object_get(json_array_get(json_object_get(l->fc,
		    "features"), i), "properties");

		assert_string_equal(c->id, published[i]);
		assert_int_equal(c->seq, (int)i + 1);
		assert_true(strlen(c->name_fr) > 0 && strlen(c->name_en) > 0);
		/* 20-40 km, ends may be shorter; nothing outside 15-45. */
		assert_true(c->length_km >= 15 && c->length_km <= 45);
		/* The file's lengths are the geometry's (tools/make-reference
		** uses Vincenty, PROJ Karney: the same to a millimetre). */
		assert_true(fabs(json_number_value(json_object_get(p,
		    "length_km")) - c->length_km) < 1e-3);
		assert_true(fabs(json_number_value(json_object_get(p,
		    "from_km")) - c->from_km) < 1e-3);
		assert_true(fabs(json_number_value(json_object_get(p,
		    "to_km")) - c->to_km) < 1e-3);
		assert_true(fabs(c->from_km - total) < 1e-9);
		if (i > 0) {
			const struct ref_section *b = &s->v[i - 1];

			assert_true(c->lonlat[0] == b->lonlat[2 * b->npts - 2]);
			assert_true(c->lonlat[1] == b->lonlat[2 * b->npts - 1]);
		}
		assert_true(c->bbox[0] <= c->bbox[2] && c->bbox[1] <=
		    c->bbox[3]);
		total += c->length_km;
	}
	/* From the Mauritania tripoint (north) to the Guinea tripoint. */
	assert_true(s->v[0].lonlat[0] == -12.2635 &&
	    s->v[0].lonlat[1] == 14.7756);
	assert_true(s->v[s->n - 1].lonlat[2 * s->v[s->n - 1].npts - 2] ==
	    -11.3887);
	assert_true(s->v[s->n - 1].lonlat[2 * s->v[s->n - 1].npts - 1] ==
	    12.4032);
	assert_true(total > 400 && total < 410);
	assert_string_equal(s->v[1].name_fr, "Kidira–Diboli");
	assert_string_equal(s->v[10].name_en, "Moussala–Mahinamine");
	print_message("%zu sections, %.3f km\n", s->n, total);
	ref_layer_free(l);
	ref_sections_free(s);
}

/* ---- distances ---- */

/* GeodSolve -p 12: offsets from the middle M of the boundary segment
** (-12.2095, 14.3889) -> (-12.1159, 14.3552) (10762.065 m, azimuth at M
** 110.271144008930435), perpendicular, and from the middle of the meridian
** segment (-12.2203, 14.4345) -> (-12.2203, 14.3906). */
static const struct {
	double lat, lon, dist;
} offsets[] = {
	{14.372054636850480, -12.162696495498944, 0},
	{14.372139419970939, -12.162664373296998, 10},
	{14.372902467831679, -12.162375272390184, 100},
	{14.380532924320347, -12.159484155456466, 1000},
	{14.397489350216047, -12.153058748524421, 3000},
	{14.367815474499604, -12.164302574736894, 500},
	{14.350858701086752, -12.170726286950616, 2500},
	{14.412550020364280, -12.2203, 0},
	{14.412549610764001, -12.234209691310779, 1500},
	{14.412549903855755, -12.212881497961124, 800},
};

static void
test_distance_known(void **state)
{
	struct ref_sections *s = sections();
	const struct ref_section *k2 = &s->v[1];
	size_t i, idx;

	(void)state;
	/* Every vertex is at distance 0. */
	for (i = 0; i < k2->npts; i++) {
		assert_true(ref_line_distance_m(k2->lonlat, k2->npts,
		    k2->lonlat[2 * i], k2->lonlat[2 * i + 1]) < 1e-6);
		assert_true(ref_sections_distance_m(s, k2->lonlat[2 * i],
		    k2->lonlat[2 * i + 1], NULL) < 1e-6);
	}
	for (i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
		double a = ref_line_distance_m(k2->lonlat, k2->npts,
		    offsets[i].lon, offsets[i].lat);
		double b = ref_sections_distance_m(s, offsets[i].lon,
		    offsets[i].lat, &idx);
		double want = offsets[i].dist;

		print_message("offset %6.0f m: %.6f m, %.6f m\n", want, a, b);
		if (want == 0) {
			assert_true(a < 0.01 && b < 0.01);
		} else {
			assert_true(fabs(a - want) <= want * 1e-3);
			assert_true(fabs(b - want) <= want * 1e-3);
		}
		assert_int_equal(idx, 1);
	}
	assert_true(isnan(ref_line_distance_m(k2->lonlat, k2->npts, NAN,
	    14)));
	assert_true(isnan(ref_line_distance_m(k2->lonlat, 0, -12, 14)));
	assert_true(isnan(ref_sections_distance_m(s, -12, 91, &idx)));
	assert_int_equal(idx, (size_t)-1);
	/* One point: the geodesic distance to it. */
	assert_true(fabs(ref_line_distance_m(k2->lonlat, 1, offsets[0].lon,
	    offsets[0].lat) - geo_distance_m(k2->lonlat[1], k2->lonlat[0],
	    offsets[0].lat, offsets[0].lon)) < 1e-6);
	ref_sections_free(s);
}

/* Oracle: golden-section search of the geodesic distance along every
** geodesic segment of the boundary, with PROJ only. */
static double
brute(const struct ref_sections *s, double lon, double lat)
{
	struct geod_geodesic g;
	double best = INFINITY;
	size_t k, i;
	const double r = (sqrt(5) - 1) / 2;

	geod_init(&g, 6378137, 1 / 298.257223563);
	for (k = 0; k < s->n; k++) {
		const struct ref_section *c = &s->v[k];

		for (i = 1; i < c->npts; i++) {
			double s12, azi, a = 0, b, x1, x2, f1, f2, la, lo;
			int it;

			geod_inverse(&g, c->lonlat[2 * i - 1], c->lonlat[2 * i -
			    2], c->lonlat[2 * i + 1], c->lonlat[2 * i], &s12,
			    &azi, NULL);
			b = s12;
#define EVAL(x, out) do { \
	geod_direct(&g, c->lonlat[2 * i - 1], c->lonlat[2 * i - 2], azi, \
	    (x), &la, &lo, NULL); \
	geod_inverse(&g, lat, lon, la, lo, &(out), NULL, NULL); \
} while (0)
			x1 = b - r * (b - a);
			x2 = a + r * (b - a);
			EVAL(x1, f1);
			EVAL(x2, f2);
			for (it = 0; it < 60; it++) {
				if (f1 < f2) {
					b = x2, x2 = x1, f2 = f1;
					x1 = b - r * (b - a);
					EVAL(x1, f1);
				} else {
					a = x1, x1 = x2, f1 = f2;
					x2 = a + r * (b - a);
					EVAL(x2, f2);
				}
			}
			EVAL(0, f1);
			EVAL(s12, f2);
			best = fmin(best, fmin(fmin(f1, f2), geo_distance_m(lat,
			    lon, la, lo)));
			EVAL((a + b) / 2, f1);
			best = fmin(best, f1);
#undef EVAL
		}
	}
	return best;
}

static void
test_distance_random(void **state)
{
	struct ref_sections *s = sections();
	uint64_t x = 20250220;
	double worst = 0;
	int i;

	(void)state;
	for (i = 0; i < 24; i++) {
		double lon, lat, want, got, rel;

		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		lon = -12.6 + 1.3 * (double)(x >> 11) / 9007199254740992.0;
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		lat = 12.3 + 2.6 * (double)(x >> 11) / 9007199254740992.0;
		want = brute(s, lon, lat);
		got = ref_sections_distance_m(s, lon, lat, NULL);
		rel = fabs(got - want) / fmax(want, 1);
		if (rel > worst)
			worst = rel;
		if (rel > 1e-3)
			fail_msg("(%f, %f): %f m, brute force %f m", lon, lat,
			    got, want);
	}
	print_message("24 random points within about 60 km: worst relative "
	    "difference from brute force %.2e\n", worst);
	/* Far: Dakar, Bamako, Kayes, Tambacounda, Nouakchott. */
	{
		static const double far[][2] = {{-17.447, 14.693},
		    {-8.003, 12.639}, {-11.433, 14.45}, {-13.667, 13.769},
		    {-15.978, 18.086}};

		for (i = 0; i < 5; i++) {
			double want = brute(s, far[i][0], far[i][1]);
			double got = ref_sections_distance_m(s, far[i][0],
			    far[i][1], NULL);

			if (fabs(got - want) > want * 1e-6)
				fail_msg("(%f, %f): %f m, brute force %f m",
				    far[i][0], far[i][1], got, want);
		}
	}
	ref_sections_free(s);
}

/* ---- buffers ---- */

static void
test_section_of_point(void **state)
{
	struct ref_sections *s = sections();
	const struct ref_section *k1 = &s->v[0];
	size_t idx[4], n;

	(void)state;
	/* The Kidira-Diboli crossing, on the line, in SEC-02. */
	n = ref_section_of_point(s, -12.226262, 14.464403, 1000, idx, 4);
	assert_int_equal(n, 1);
	assert_string_equal(s->v[idx[0]].id, "SEC-02");
	/* Kidira, about 1.04 km from the line. */
	assert_int_equal(ref_section_of_point(s, -12.217, 14.467, 500, idx,
	    4), 0);
	assert_int_equal(ref_section_of_point(s, -12.217, 14.467, 2000, idx,
	    4), 1);
	/* The cut between SEC-01 and SEC-02 is in both buffers; cap 1 still
	** counts both. */
	n = ref_section_of_point(s, k1->lonlat[2 * k1->npts - 2],
	    k1->lonlat[2 * k1->npts - 1], 100, idx, 4);
	assert_int_equal(n, 2);
	assert_int_equal(idx[0], 0);
	assert_int_equal(idx[1], 1);
	idx[1] = 99;
	assert_int_equal(ref_section_of_point(s, k1->lonlat[2 * k1->npts - 2],
	    k1->lonlat[2 * k1->npts - 1], 100, idx, 1), 2);
	assert_int_equal(idx[1], 99);
	/* 1000 m from the line (GeodSolve): decided at the edge. */
	assert_int_equal(ref_section_of_point(s, offsets[3].lon,
	    offsets[3].lat, 1000.05, idx, 4), 1);
	assert_int_equal(ref_section_of_point(s, offsets[3].lon,
	    offsets[3].lat, 999.95, idx, 4), 0);
	assert_int_equal(ref_section_of_point(s, offsets[8].lon,
	    offsets[8].lat, 1500.05, idx, 4), 1);
	assert_int_equal(ref_section_of_point(s, offsets[8].lon,
	    offsets[8].lat, 1499.95, idx, 4), 0);
	/* Far, invalid, bad distances. */
	assert_int_equal(ref_section_of_point(s, -17.447, 14.693, 50000, idx,
	    4), 0);
	assert_int_equal(ref_section_of_point(s, NAN, 14, 1000, idx, 4), 0);
	assert_int_equal(ref_section_of_point(s, -12.2, 14.4, -1, idx, 4), 0);
	assert_int_equal(ref_section_of_point(s, -12.2, 14.4, INFINITY, idx,
	    4), 0);
	ref_sections_free(s);
}

/* A straight track across the border at Kidira, against the brute
** force of ref_line_distance_m point by point. */
static void
test_near_track_crossing(void **state)
{
	struct ref_sections *s = sections();
	const struct ref_section *k2 = &s->v[1];
	struct ref_near *near = NULL;
	struct dib_diag d;
	enum { N = 2001 };
	double *t = malloc(2 * N * sizeof *t), len = 0, step;
	size_t i, nn, pts = 0;
	int prev = 0;

	(void)state;
	for (i = 0; i < N; i++) {
		t[2 * i] = -12.30 + 0.15 * (double)i / (N - 1);
		t[2 * i + 1] = 14.4644;
	}
	step = geo_distance_m(t[1], t[0], t[3], t[2]);
	for (i = 0; i < N; i++) {
		int in = ref_line_distance_m(k2->lonlat, k2->npts, t[2 * i],
		    t[2 * i + 1]) <= 1000;

		pts += (size_t)in;
		if (i > 0 && (in || prev))
			len += in && prev ? step : step / 2;
		prev = in;
	}
	assert_int_equal(ref_sections_near_track(s, t, N, 1000, &near, &nn,
	    &d), DIB_OK);
	assert_int_equal(nn, 1);
	assert_string_equal(s->v[near[0].section].id, "SEC-02");
	assert_int_equal(near[0].points, pts);
	assert_true(fabs(near[0].length_m - len) < 0.5);
	assert_true(near[0].length_m > 2000 && near[0].length_m < 2400);
	assert_true(near[0].min_m < 10);
	assert_true(near[0].first < near[0].min_at &&
	    near[0].min_at < near[0].last);
	print_message("crossing at Kidira: %zu points, %.1f m within 1 km of "
	    "SEC-02, closest %.2f m\n", near[0].points, near[0].length_m,
	    near[0].min_m);
	free(near);
	/* Far from the border: nothing. */
	for (i = 0; i < N; i++) {
		t[2 * i] = -17.4 + 3 * (double)i / (N - 1);
		t[2 * i + 1] = 14.5;
	}
	assert_int_equal(ref_sections_near_track(s, t, N, 20000, &near, &nn,
	    &d), DIB_OK);
	assert_int_equal(nn, 0);
	assert_null(near);
	/* Bad input. */
	t[2 * 5 + 1] = 95;
	assert_int_equal(ref_sections_near_track(s, t, N, 20000, &near, &nn,
	    &d), DIB_EINVAL);
	assert_string_equal(d.field, "track[5]");
	assert_null(near);
	assert_int_equal(ref_sections_near_track(s, t, N, -5, &near, &nn, &d),
	    DIB_EINVAL);
	assert_string_equal(d.field, "dist_m");
	assert_int_equal(ref_sections_near_track(s, t, 0, 10, &near, &nn, &d),
	    DIB_OK);
	assert_int_equal(nn, 0);
	free(t);
	ref_sections_free(s);
}

/* A random walk around the border south of Kidira, against
** ref_section_of_point and ref_line_distance_m point by point: the
** bounds carried along the track must decide exactly the same. */
static void
test_near_track_random_walk(void **state)
{
	struct ref_sections *s = sections();
	struct ref_near *near = NULL;
	struct dib_diag d;
	enum { N = 20000 };
	static const double dists[] = {300, 1500, 5000};
	double *t = malloc(2 * N * sizeof *t);
	uint64_t x = 42;
	size_t i, k, q;

	(void)state;
	t[0] = -12.16;
	t[1] = 14.30;
	for (i = 1; i < N; i++) {
		double a, r, la, lo;

		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		a = (double)(x >> 11) / 9007199254740992.0 * 360;
		/* Mostly 5-40 m steps, now and then a 3 km jump. */
		r = (x & 0xff) == 7 ? 3000 : 5 + (double)(x & 0x1f);
		la = t[2 * i - 1];
		lo = t[2 * i - 2];
		{
			struct geod_geodesic g;

			geod_init(&g, 6378137, 1 / 298.257223563);
			geod_direct(&g, la, lo, a, r, &t[2 * i + 1], &t[2 * i],
			    NULL);
		}
	}
	for (q = 0; q < sizeof dists / sizeof dists[0]; q++) {
		double D = dists[q], len[NPUB] = {0}, mind[NPUB];
		size_t pts[NPUB] = {0}, first[NPUB] = {0}, last[NPUB] = {0};
		unsigned char prev[NPUB] = {0};
		size_t nn, seen = 0;

		for (k = 0; k < NPUB; k++)
			mind[k] = INFINITY;
		for (i = 0; i < N; i++) {
			size_t idx[NPUB], c = ref_section_of_point(s, t[2 * i],
			    t[2 * i + 1], D, idx, NPUB), j;
			unsigned char in[NPUB] = {0};
			double step = i ? geo_distance_m(t[2 * i - 1], t[2 * i -
			    2], t[2 * i + 1], t[2 * i]) : 0;

			for (j = 0; j < c; j++)
				in[idx[j]] = 1;
			for (k = 0; k < NPUB; k++) {
				if (in[k]) {
					if (pts[k]++ == 0)
						first[k] = i;
					last[k] = i;
					mind[k] = fmin(mind[k], ref_line_distance_m(
					    s->v[k].lonlat, s->v[k].npts,
					    t[2 * i], t[2 * i + 1]));
				}
				if (i > 0 && (in[k] || prev[k]))
					len[k] += in[k] && prev[k] ? step :
					    step / 2;
				prev[k] = in[k];
			}
		}
		assert_int_equal(ref_sections_near_track(s, t, N, D, &near,
		    &nn, &d), DIB_OK);
		for (k = 0; k < nn; k++) {
			size_t c = near[k].section;

			assert_int_equal(near[k].points, pts[c]);
			assert_int_equal(near[k].first, first[c]);
			assert_int_equal(near[k].last, last[c]);
			assert_true(fabs(near[k].length_m - len[c]) <= 1e-4 *
			    len[c] + 1e-3);
			/* The closest point is found to within the planar
			** margin; its distance is geodesic. */
			assert_true(near[k].min_m >= mind[c] - 1e-6);
			assert_true(near[k].min_m <= mind[c] + 3);
			seen += pts[c];
		}
		for (k = 0, i = 0; k < NPUB; k++)
			i += pts[k];
		assert_int_equal(seen, i);
		print_message("random walk, %.0f m: %zu sections, %zu points "
		    "in buffers\n", D, nn, seen);
		free(near);
	}
	free(t);
	ref_sections_free(s);
}

/* 100,000 points along the whole border, zig-zagging up to 1.5 km off
** it: every section is passed, lengths add up; timed. */
static void
test_near_track_100k(void **state)
{
	struct ref_sections *s = sections();
	struct ref_near *near = NULL;
	struct dib_diag d;
	enum { N = 100000 };
	double *line, *t = malloc(2 * N * sizeof *t), t0, ms, sum = 0, total;
	size_t i, k, nn, np = 0;

	(void)state;
	for (k = 0; k < s->n; k++)
		np += s->v[k].npts - 1;
	line = malloc(2 * (np + 1) * sizeof *line);
	np = 0;
	for (k = 0; k < s->n; k++)
		for (i = k ? 1 : 0; i < s->v[k].npts; i++, np++) {
			line[2 * np] = s->v[k].lonlat[2 * i];
			line[2 * np + 1] = s->v[k].lonlat[2 * i + 1];
		}
	total = s->v[s->n - 1].to_km * 1000;
	/* Points along the line (linear in degrees between vertices), then
	** offset east by up to 0.0135 degrees (about 1.45 km). */
	for (i = 0; i < N; i++) {
		double u = (double)i / (N - 1) * (double)(np - 1);
		size_t j = (size_t)u;
		double f = u - (double)j;

		if (j >= np - 1) {
			j = np - 2;
			f = 1;
		}
		t[2 * i] = line[2 * j] + f * (line[2 * j + 2] - line[2 * j]) +
		    0.0135 * sin((double)i / 400.0);
		t[2 * i + 1] = line[2 * j + 1] + f * (line[2 * j + 3] -
		    line[2 * j + 1]);
	}
	for (i = 0; i < 5; i++) {
		free(near);
		t0 = now_ms();
		assert_int_equal(ref_sections_near_track(s, t, N, 2000, &near,
		    &nn, &d), DIB_OK);
		ms = i ? fmin(ms, now_ms() - t0) : now_ms() - t0;
	}
	assert_int_equal(nn, s->n);
	for (k = 0; k < nn; k++) {
		assert_int_equal(near[k].section, k);
		assert_true(near[k].points > 0);
		assert_true(near[k].min_m < 200);
		sum += near[k].length_m;
	}
	/* The zig-zag is longer than the border; the ends of each section
	** are also in its neighbours' buffers. */
	assert_true(sum > total);
	print_message("near_track: %d points along the border, 2 km buffer: "
	    "%.1f ms (best of 5; %zu sections, %.1f km of track in buffers)\n",
	    N, ms, nn, sum / 1000);
	free(near);
	t0 = now_ms();
	assert_int_equal(ref_sections_near_track(s, t, N, 200, &near, &nn,
	    &d), DIB_OK);
	print_message("near_track: same track, 200 m buffer: %.1f ms (%zu "
	    "sections)\n", now_ms() - t0, nn);
	free(near);
	/* A track nowhere near: the boxes reject it. */
	for (i = 0; i < N; i++) {
		t[2 * i] = -16 + 3 * (double)i / N;
		t[2 * i + 1] = 13.4 + 0.1 * sin((double)i / 1000.0);
	}
	t0 = now_ms();
	assert_int_equal(ref_sections_near_track(s, t, N, 2000, &near, &nn,
	    &d), DIB_OK);
	print_message("near_track: %d points Kaolack-Tambacounda: %.1f ms "
	    "(%zu sections)\n", N, now_ms() - t0, nn);
	free(near);
	t0 = now_ms();
	for (i = 0; i < 10000; i++)
		sum += ref_sections_distance_m(s, t[2 * i] + 3, t[2 * i + 1],
		    NULL);
	print_message("ref_sections_distance_m (exact, all sections): %.2f "
	    "us a point\n", (now_ms() - t0) * 1000 / 10000);
	free(line);
	free(t);
	ref_sections_free(s);
}

/* ---- the node's own files ---- */

static const char two_sections[] =
    "{\"type\": \"FeatureCollection\", \"features\": [\n"
    "{\"type\": \"Feature\", \"id\": \"N-A\", \"properties\": {\"seq\": 1, "
    "\"name_fr\": \"Amont\", \"name_en\": \"Upstream\"}, \"geometry\": "
    "{\"type\": \"LineString\", \"coordinates\": [[-12.2635, 14.7756], "
    "[-12.2203, 14.3906]]}},\n"
    "{\"type\": \"Feature\", \"id\": \"N-B\", \"properties\": {\"seq\": 5, "
    "\"name_fr\": \"Aval\", \"name_en\": \"Downstream\"}, \"geometry\": "
    "{\"type\": \"LineString\", \"coordinates\": [[-12.2203, 14.3906], "
    "[-11.3887, 12.4032, 80]]}}]}\n";

static void
test_override(void **state)
{
	char dir[200];
	struct ref_layer *l = NULL;
	struct ref_sections *s = NULL;
	struct dib_diag d;

	(void)state;
	snprintf(dir, sizeof dir, "%s/override", tmproot);
	put(dir, "sections.geojson", two_sections);
	assert_int_equal(ref_layer_load(dir, "sections", &l, &d), DIB_OK);
	assert_int_equal(l->source, REF_NODE);
	assert_int_equal(l->count, 2);
	assert_int_equal(l->len, strlen(two_sections));
	assert_memory_equal(l->text, two_sections, l->len);
	ref_layer_free(l);
	assert_int_equal(ref_sections_load(dir, &s, &d), DIB_OK);
	assert_int_equal(s->n, 2);
	assert_int_equal(s->source, REF_NODE);
	assert_string_equal(s->v[1].id, "N-B");
	assert_string_equal(s->v[1].name_en, "Downstream");
	assert_int_equal(s->v[1].seq, 5);
	assert_true(fabs(s->v[1].from_km - s->v[0].length_km) < 1e-9);
	assert_int_equal(ref_section_of_point(s, -12.2203, 14.3906, 10, NULL,
	    0), 2);
	ref_sections_free(s);
	/* The other layers are not replaced. */
	if (embedded) {
		assert_int_equal(ref_layer_load(dir, "places", &l, &d), DIB_OK);
		assert_int_equal(l->source, REF_EMBEDDED);
		ref_layer_free(l);
	} else {
		assert_int_equal(ref_layer_load(dir, "places", &l, &d),
		    DIB_ENOTFOUND);
		assert_non_null(strstr(d.msg, "not embedded"));
	}
}

static void
test_override_malformed(void **state)
{
	static const struct {
		const char *text, *field, *msg;
	} cases[] = {
		{"{\"type\": \"FeatureCollection\", \"features\": [", "",
		    "reference/sections.geojson: line 1"},
		{"[]", "type", "must be a GeoJSON FeatureCollection"},
		{"{\"type\": \"Feature\", \"properties\": {}, \"geometry\": null}",
		    "type", "FeatureCollection"},
		{"{\"type\": \"FeatureCollection\", \"features\": []}",
		    "features", "non-empty array"},
		{"{\"type\": \"FeatureCollection\", \"features\": [{\"type\": "
		    "\"Feature\", \"properties\": {\"seq\": 1, \"name_fr\": \"a\","
		    " \"name_en\": \"a\"}, \"geometry\": {\"type\": \"LineString\","
		    " \"coordinates\": [[0, 0], [1, 1]]}}]}",
		    "features[0].id", "string id"},
		{"{\"type\": \"FeatureCollection\", \"features\": [{\"type\": "
		    "\"Feature\", \"id\": \"X\", \"properties\": {\"seq\": 1, "
		    "\"name_fr\": \"a\", \"name_en\": \"a\"}, \"geometry\": "
		    "{\"type\": \"Point\", \"coordinates\": [-12.2, 14.4]}}]}",
		    "features[0].geometry.type",
		    "must be LineString, got \"Point\" (reference/sections."
		    "geojson)"},
		{"{\"type\": \"FeatureCollection\", \"features\": [{\"type\": "
		    "\"Feature\", \"id\": \"X\", \"properties\": {\"seq\": 1, "
		    "\"name_fr\": \"a\", \"name_en\": \"a\"}, \"geometry\": "
		    "{\"type\": \"LineString\", \"coordinates\": [[-12.2, 14.4], "
		    "[-212.2, 14.4]]}}]}",
		    "features[0].geometry.coordinates[1]",
		    "longitude must be in [-180, 180]"},
		{"{\"type\": \"FeatureCollection\", \"features\": [{\"type\": "
		    "\"Feature\", \"id\": \"X\", \"properties\": {\"seq\": 1, "
		    "\"name_fr\": \"a\", \"name_en\": \"a\"}, \"geometry\": "
		    "{\"type\": \"LineString\", \"coordinates\": [[-12.2, 14.4]]"
		    "}}]}",
		    "features[0].geometry.coordinates", "at least two"},
		{"{\"type\": \"FeatureCollection\", \"features\": [{\"type\": "
		    "\"Feature\", \"id\": \"X\", \"properties\": {\"seq\": 1, "
		    "\"name_en\": \"a\"}, \"geometry\": {\"type\": \"LineString\", "
		    "\"coordinates\": [[-12.2, 14.4], [-12, 14]]}}]}",
		    "features[0].properties.name_fr", "must be a name"},
		{"{\"type\": \"FeatureCollection\", \"features\": [{\"type\": "
		    "\"Feature\", \"id\": \"X\", \"properties\": {\"seq\": 2, "
		    "\"name_fr\": \"a\", \"name_en\": \"a\"}, \"geometry\": "
		    "{\"type\": \"LineString\", \"coordinates\": [[-12.2, 14.4], "
		    "[-12, 14]]}}, {\"type\": \"Feature\", \"id\": \"Y\", "
		    "\"properties\": {\"seq\": 2, \"name_fr\": \"b\", \"name_en\": "
		    "\"b\"}, \"geometry\": {\"type\": \"LineString\", "
		    "\"coordinates\": [[-12, 14], [-11.9, 13.9]]}}]}",
		    "features[1].properties.seq", "greater than the previous"},
		{"{\"type\": \"FeatureCollection\", \"features\": [{\"type\": "
		    "\"Feature\", \"id\": \"X\", \"properties\": {\"seq\": 1, "
		    "\"name_fr\": \"a\", \"name_en\": \"a\"}, \"geometry\": "
		    "{\"type\": \"LineString\", \"coordinates\": [[-12.2, 14.4], "
		    "[-12, 14]]}}, {\"type\": \"Feature\", \"id\": \"X\", "
		    "\"properties\": {\"seq\": 2, \"name_fr\": \"b\", \"name_en\": "
		    "\"b\"}, \"geometry\": {\"type\": \"LineString\", "
		    "\"coordinates\": [[-12, 14], [-11.9, 13.9]]}}]}",
		    "features[1].id", "\"X\" is used twice"},
	};
	char dir[200], path[300];
	struct ref_layer *l = NULL;
	struct ref_sections *s = NULL;
	struct dib_diag d;
	size_t i;

	(void)state;
	snprintf(dir, sizeof dir, "%s/malformed", tmproot);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char buf[600];

		put(dir, "sections.geojson", cases[i].text);
		assert_int_equal(ref_layer_load(dir, "sections", &l, &d),
		    DIB_EINVAL);
		assert_null(l);
		/* The node's own file: its fault, never a request's. */
		assert_int_equal(ref_sections_load(dir, &s, &d), DIB_EIO);
		assert_null(s);
		dib_diag_str(&d, buf, sizeof buf);
		print_message("refused: %s\n", buf);
		assert_string_equal(d.field, cases[i].field);
		if (strstr(d.msg, cases[i].msg) == NULL)
			fail_msg("case %zu: want \"%s\" in \"%s\"", i,
			    cases[i].msg, d.msg);
		if (strcmp(cases[i].field, "") != 0)
			assert_non_null(strstr(d.msg,
			    "(reference/sections.geojson)"));
	}
	/* A Point layer refuses lines; a directory is not a file. */
	put(dir, "places.geojson", two_sections);
	assert_int_equal(ref_layer_load(dir, "places", &l, &d), DIB_EINVAL);
	assert_string_equal(d.field, "features[0].geometry.type");
	snprintf(path, sizeof path, "%s/reference/corridor.geojson", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(ref_layer_load(dir, "corridor", &l, &d), DIB_EIO);
	assert_null(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layers_load),
		cmocka_unit_test(test_embedded_are_the_sources),
		cmocka_unit_test(test_places_corridor),
		cmocka_unit_test(test_sections_contiguous),
		cmocka_unit_test(test_distance_known),
		cmocka_unit_test(test_distance_random),
		cmocka_unit_test(test_section_of_point),
		cmocka_unit_test(test_near_track_crossing),
		cmocka_unit_test(test_near_track_random_walk),
		cmocka_unit_test(test_near_track_100k),
		cmocka_unit_test(test_override),
		cmocka_unit_test(test_override_malformed),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
