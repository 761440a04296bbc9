/*
** GPX import benchmark of the track library, side by side with GDAL in the
** same run (the machine is shared and noisy: the ratio is what counts).
**
**   diboli:   track_gpx_parse_file (streaming expat) + track_clean +
**             track_encode of every segment (the record texts)
**   baseline: ogr2ogr -f GPKG out.gpkg file.gpx track_points (GDAL's GPX
**             driver, also expat, writing a GeoPackage), when installed
**   stats:    track_stats of a 100,000-point track against the sum of
**             PROJ geod_inverse over its steps
**   debrief:  the whole computed debrief (patrol_summary) of a patrol
**             whose 100,000-point track is stored as records on a node:
**             read and decode every piece, statistics, border sections
**             near the track, deviation from the planned route,
**             observations by category; against the 50 ms goal
**
** The file is a realistic 1 Hz vehicle patrol near Kidira, laid out as a
** Garmin unit writes it (one element a line, ele and time per point).
** Usage: bench_gpx [--quick] [--points N] [--out results.json]
**                  [--dir scratch directory]
*/
#include <errno.h>
#include <geodesic.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench_common.h"
#include "geo/reference.h"
#include "log/record.h"
#include "node/node.h"
#include "patrol/patrol.h"
#include "track/track.h"
#include "util/util.h"

/* 2025-02-20T08:00:00Z */
#define T0 1740038400000LL

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

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
** The next fix of a pickup at 1 Hz: speed 5 to 22 m/s, heading turning
** slowly, GPS error wandering (AR(1), ~2 m), elevation drifting.
*/
struct vehicle {
	double lat, lon, v, hdg, ele, ex, ey;
	int64_t t;
};

static void
vehicle_next(struct vehicle *s, struct track_point *p)
{
	const double kx = 107550, ky = 110700;

	s->ex = 0.95 * s->ex + gauss() * 0.6;
	s->ey = 0.95 * s->ey + gauss() * 0.6;
	p->lat = s->lat + s->ey / ky;
	p->lon = s->lon + s->ex / kx;
	p->ele = s->ele + gauss() * 0.3;
	p->has_ele = 1;
	p->t = s->t;
	s->t += 1000;
	s->v += gauss() * 0.5;
	s->v = s->v < 5 ? 5 : s->v > 22 ? 22 : s->v;
	s->hdg += gauss() * 2;
	s->lat += s->v * cos(s->hdg * 3.14159265358979 / 180) / ky;
	s->lon += s->v * sin(s->hdg * 3.14159265358979 / 180) / kx;
	s->ele += gauss() * 0.1;
	if (s->lat < 12.5 || s->lat > 16.5)
		s->hdg += 180;
}

static void
vehicle_init(struct vehicle *s)
{
	memset(s, 0, sizeof *s);
	s->lat = 14.467;
	s->lon = -12.217;
	s->v = 12;
	s->hdg = 170;
	s->ele = 30;
	s->t = T0;
}

static long long
file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

static int
write_gpx(const char *path, size_t n)
{
	struct vehicle s;
	FILE *f = fopen(path, "w");
	size_t i;

	if (f == NULL)
		return -1;
	vehicle_init(&s);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\" ?>\n"
	    "<gpx xmlns=\"http://www.topografix.com/GPX/1/1\" "
	    "creator=\"bench_gpx\" version=\"1.1\" "
	    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
	    "xsi:schemaLocation=\"http://www.topografix.com/GPX/1/1 "
	    "http://www.topografix.com/GPX/1/1/gpx.xsd\">\n"
	    "  <metadata>\n    <time>2025-02-20T08:00:00Z</time>\n"
	    "  </metadata>\n  <trk>\n    <name>Patrouille mixte "
	    "Kidira</name>\n    <trkseg>\n", f);
	for (i = 0; i < n; i++) {
		struct track_point p;
		char ts[40];

		vehicle_next(&s, &p);
		util_time_format(p.t, ts, sizeof ts);
		fprintf(f, "      <trkpt lat=\"%.7f\" lon=\"%.7f\">\n"
		    "        <ele>%.1f</ele>\n        <time>%s</time>\n"
		    "      </trkpt>\n", p.lat, p.lon, p.ele, ts);
	}
	fputs("    </trkseg>\n  </trk>\n</gpx>\n", f);
	return fclose(f) == 0 ? 0 : -1;
}

/* Parse + clean + encode: points/s; *bytes_pt the record text per point. */
static double
bench_library(const char *path, size_t n, double *bytes_pt, double *parse_ps)
{
	struct track_gpx g;
	struct track_report rep;
	struct dib_diag d = {0};
	struct buf b;
	double t0, t1, el;
	size_t k, total = 0;

	t0 = bench_now_s();
	if (track_gpx_parse_file(path, NULL, &g, &d) != DIB_OK) {
		fprintf(stderr, "bench_gpx: %s: %s\n", path, d.msg);
		exit(1);
	}
	t1 = bench_now_s();
	if (track_clean(&g.trk, NULL, &rep, &d) != DIB_OK) {
		fprintf(stderr, "bench_gpx: clean: %s\n", d.msg);
		exit(1);
	}
	buf_init(&b, (size_t)1 << 30);
	for (k = 0; k < g.trk.nseg; k++) {
		size_t sn;
		const struct track_point *sp = track_seg_points(&g.trk, k, &sn);

		buf_reset(&b);
		if (track_encode(sp, sn, &b, &d) != DIB_OK) {
			fprintf(stderr, "bench_gpx: encode: %s\n", d.msg);
			exit(1);
		}
		total += b.len;
	}
	el = bench_now_s() - t0;
	if (g.trk.n + rep.spikes + rep.duplicates != n) {
		fprintf(stderr, "bench_gpx: %zu points read of %zu\n", g.trk.n,
		    n);
		exit(1);
	}
	fprintf(stderr, "bench: cleaning: %zu spikes, %zu duplicates, %zu "
	    "segments\n", rep.spikes, rep.duplicates, rep.segments);
	*bytes_pt = (double)total / (double)g.trk.n;
	*parse_ps = (double)n / (t1 - t0);
	buf_free(&b);
	track_gpx_free(&g);
	return (double)n / el;
}

/* ogr2ogr to a GeoPackage: points/s, or 0 when GDAL is not installed. */
static double
bench_ogr(const char *dir, const char *path, size_t n)
{
	char cmd[9000], out[4200];
	double t;

	if (system("command -v ogr2ogr >/dev/null 2>&1") != 0) {
		printf("ogr2ogr not found (Debian package gdal-bin): the GDAL "
		    "baseline is skipped\n");
		return 0;
	}
	snprintf(out, sizeof out, "%s/out.gpkg", dir);
	unlink(out);
	snprintf(cmd, sizeof cmd, "ogr2ogr -f GPKG '%s' '%s' track_points",
	    out, path);
	t = bench_now_s();
	if (system(cmd) != 0) {
		fprintf(stderr, "bench_gpx: ogr2ogr failed\n");
		return 0;
	}
	t = bench_now_s() - t;
	unlink(out);
	return (double)n / t;
}

/* track_stats of 100,000 points against PROJ step by step: ms each. */
static void
bench_stats(double *lib_ms, double *proj_ms, double *rel)
{
	struct track tr;
	struct track_stats st;
	struct vehicle s;
	struct geod_geodesic g;
	size_t i, n = 100000;
	double best = 1e9, pbest = 1e9, sum = 0, t;
	int run;

	track_init(&tr, 0);
	vehicle_init(&s);
	for (i = 0; i < n; i++) {
		struct track_point p;

		vehicle_next(&s, &p);
		if (track_add(&tr, &p) != DIB_OK)
			exit(1);
	}
	geod_init(&g, 6378137, 1 / 298.257223563);
	for (run = 0; run < 5; run++) {
		t = bench_now_s();
		track_stats(&tr, NULL, &st);
		t = bench_now_s() - t;
		best = t < best ? t : best;
		t = bench_now_s();
		sum = 0;
		for (i = 1; i < n; i++) {
			double s12, a1, a2;

			geod_inverse(&g, tr.pts[i - 1].lat, tr.pts[i - 1].lon,
			    tr.pts[i].lat, tr.pts[i].lon, &s12, &a1, &a2);
			sum += s12;
		}
		t = bench_now_s() - t;
		pbest = t < pbest ? t : pbest;
	}
	*lib_ms = best * 1e3;
	*proj_ms = pbest * 1e3;
	*rel = fabs(st.length_m - sum) / sum;
	track_free(&tr);
}

static void
die(const char *what, const struct dib_diag *d)
{
	fprintf(stderr, "bench_gpx: %s: %s: %s\n", what, d->field, d->msg);
	exit(1);
}

/* An observation linked to the patrol, of one of three categories. */
static void
observation(struct node *n, const char *pid, size_t i,
    const struct track_point *at)
{
	struct dib_diag d;
	uint8_t ids[1][16];
	char ts[40];
	json_t *in, *attrs;
	const char *cat;

	if (i % 3 == 0) {
		cat = "environment.dredge_sighting";
		attrs = json_pack("{s:i, s:s}", "dredges", 2 + (int)(i % 5),
		    "bank", "river");
	} else if (i % 3 == 1) {
		cat = "security.smuggling.fuel";
		attrs = json_pack("{s:s, s:i, s:s}", "source", "patrol",
		    "quantity", 200, "fuel_type", "petrol");
	} else {
		cat = "security.suspicious_activity";
		attrs = json_pack("{s:s, s:s, s:i}", "source", "patrol",
		    "activity", "unusual_movement", "persons", 3);
	}
	in = json_pack("{s:s, s:s, s:{s:s, s:[f,f]}, s:o, s:s, s:s}",
	    "category", cat, "observed_at", util_time_format(at->t, ts,
	    sizeof ts), "geometry", "type", "Point", "coordinates", at->lon,
	    at->lat, "attributes", attrs, "audience", "SN", "patrol", pid);
	if (node_add(n, &in, 1, ids, &d) != 0)
		die("observation", &d);
	json_decref(in);
}

/*
** n fixes of a pickup driving along the border sections at 1 Hz, back
** and forth on the Senegalese bank 300 m from the line (5 to 22 m/s, a
** few metres of GPS noise): the heavy case of the debrief, every point
** near a section. (A track on the line itself, closer with every noisy
** fix, costs the section test four times more: see docs/patrols.md.)
*/
static void
border_walk(struct track *tr, size_t n)
{
	struct ref_sections *secs = NULL;
	struct dib_diag d;
	double *line = NULL, along = 0, v = 12;
	size_t nl = 0, k, i, seg = 0;
	int dir = 1;
	int64_t t = T0;

	if (ref_sections_load(NULL, &secs, &d) != 0)
		die("sections", &d);
	for (k = 0; k < secs->n; k++)
		nl += secs->v[k].npts;
	if ((line = malloc(2 * nl * sizeof *line)) == NULL)
		exit(1);
	nl = 0;
	for (k = 0; k < secs->n; k++)
		for (i = k ? 1 : 0; i < secs->v[k].npts; i++) {
			line[2 * nl] = secs->v[k].lonlat[2 * i];
			line[2 * nl + 1] = secs->v[k].lonlat[2 * i + 1];
			nl++;
		}
	ref_sections_free(secs);
	track_init(tr, 0);
	for (i = 0; i < n; i++) {
		struct track_point a = {line[2 * seg], line[2 * seg + 1], 0, 0,
		    0}, b = {line[2 * seg + 2], line[2 * seg + 3], 0, 0, 0}, p;
		double len = track_distance_m(&a, &b), u;

		while (along > len || along < 0) {
			if (along > len) {
				along -= len;
				if (seg + 2 >= nl) {
					dir = -dir;
					along = len - along;
				} else {
					seg++;
				}
			} else {
				if (seg == 0) {
					dir = -dir;
					along = -along;
				} else {
					seg--;
					along += track_distance_m(&(struct
					    track_point){line[2 * seg], line[2 *
					    seg + 1], 0, 0, 0}, &a);
				}
			}
			a = (struct track_point){line[2 * seg],
			    line[2 * seg + 1], 0, 0, 0};
			b = (struct track_point){line[2 * seg + 2],
			    line[2 * seg + 3], 0, 0, 0};
			len = track_distance_m(&a, &b);
		}
		u = len > 0 ? along / len : 0;
		memset(&p, 0, sizeof p);
		/* On the Senegalese bank, 300 m west of the line. */
		p.lon = a.lon + u * (b.lon - a.lon) - 0.0028 + gauss() * 3 /
		    107000;
		p.lat = a.lat + u * (b.lat - a.lat) + gauss() * 3 / 110600;
		p.ele = 30 + gauss() * 0.3;
		p.has_ele = 1;
		p.t = t;
		t += 1000;
		if (track_add(tr, &p) != DIB_OK)
			exit(1);
		v += gauss() * 0.5;
		v = v < 5 ? 5 : v > 22 ? 22 : v;
		along += dir * v;
	}
	free(line);
}

/*
** The debrief of a national patrol with a 100,000-point vehicle track
** along the border stored as records (51 pieces), 30 observations, a
** 200-point planned route: best of 5 runs of patrol_summary, the
** sections loaded each time as the API does. ms; *points, *pieces and
** *distance_m what it read.
*/
static double
bench_summary(const char *dir, size_t *points, size_t *pieces,
    double *distance_m)
{
	struct patrol_track_batch b;
	struct patrol_track_in in;
	struct dib_diag d;
	struct track tr;
	struct node *n = NULL;
	char path[4200], pid[37], cmd[4300];
	uint8_t id[16], rid[16];
	json_t *plan, *route, *sum = NULL;
	double best = 1e9, t;
	size_t i, np = 100000;
	int run;

	snprintf(path, sizeof path, "%s/node", dir);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
	if (system(cmd) != 0)
		exit(1);
	if (node_init(path, "SN", "bench: debrief", &d) != 0 ||
	    node_open(path, &n, &d) != 0)
		die("node", &d);
	rng = 0x2545f4914f6cdd1dULL;
	border_walk(&tr, np);
	route = json_array();
	/* The plan: every 500th fix, 150 m off the track. */
	for (i = 0; i < np; i += 500)
		json_array_append_new(route, json_pack("[f,f]", tr.pts[i].lon +
		    0.0014, tr.pts[i].lat));
	plan = json_pack("{s:s, s:s, s:s, s:s, s:[s], s:{s:s, s:o}}", "code",
	    "BENCH-1", "patrol_type", "vehicle", "window_start",
	    "2025-02-20T06:00:00Z", "window_end", "2025-02-22T06:00:00Z",
	    "nations", "SN", "geometry", "type", "LineString", "coordinates",
	    route);
	if (patrol_create(n, plan, NULL, id, &d) != 0 ||
	    patrol_act(n, id, PATROL_PROPOSE, NULL, NULL, rid, &d) != 0 ||
	    patrol_act(n, id, PATROL_APPROVE, NULL, NULL, rid, &d) != 0 ||
	    patrol_act(n, id, PATROL_START, NULL, NULL, rid, &d) != 0)
		die("patrol", &d);
	json_decref(plan);
	util_uuid_format(id, pid);
	for (i = 0; i < 30; i++)
		observation(n, pid, i, &tr.pts[i * (np / 30)]);
	memset(&in, 0, sizeof in);
	in.source = PATROL_SOURCE_GPX;
	if (patrol_add_track(n, id, &tr, &in, &b, &d) != 0)
		die("track", &d);
	*pieces = b.n;
	patrol_track_batch_free(&b);
	track_free(&tr);
	if (patrol_act(n, id, PATROL_COMPLETE, NULL, NULL, rid, &d) != 0)
		die("complete", &d);
	for (run = 0; run < 5; run++) {
		json_decref(sum);
		t = bench_now_s();
		store_exec(n->store, "BEGIN", NULL);
		if (patrol_summary(n, id, NULL, &sum, &d) != 0)
			die("summary", &d);
		store_exec(n->store, "COMMIT", NULL);
		t = bench_now_s() - t;
		best = t < best ? t : best;
	}
	*points = (size_t)json_integer_value(json_object_get(sum, "points"));
	*distance_m = json_number_value(json_object_get(sum, "distance_m"));
	fprintf(stderr, "bench: debrief: %zu points, %.1f km, %zu sections, "
	    "%lld observations\n", *points, *distance_m / 1000,
	    json_array_size(json_object_get(sum, "sections")),
	    (long long)json_integer_value(json_object_get(sum,
	    "observations")));
	json_decref(sum);
	node_close(n);
	if (system(cmd) != 0)
		exit(1);
	return best * 1e3;
}

int
main(int argc, char **argv)
{
	const char *out = "bench/results/latest.json";
	const char *dir = "bench/results/tmp-gpx";
	size_t n = 1000000;
	char path[4200];
	double lib, parse, ogr, bpp, gpx_bpp, sms, pms, rel, dms, dist;
	size_t dpoints, dpieces;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			n = 100000;
		else if (strcmp(argv[i], "--points") == 0 && i + 1 < argc)
			n = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			out = argv[++i];
		else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
	}
	mkdir("bench/results", 0755);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		perror(dir);
		return 1;
	}
	snprintf(path, sizeof path, "%s/track.gpx", dir);
	fprintf(stderr, "bench: writing a GPX file of %zu points...\n", n);
	if (write_gpx(path, n) != 0) {
		perror(path);
		return 1;
	}
	gpx_bpp = (double)file_size(path) / (double)n;
	fprintf(stderr, "bench: diboli parse + clean + encode...\n");
	lib = bench_library(path, n, &bpp, &parse);
	fprintf(stderr, "bench: ogr2ogr -f GPKG...\n");
	ogr = bench_ogr(dir, path, n);
	fprintf(stderr, "bench: track_stats of 100,000 points...\n");
	bench_stats(&sms, &pms, &rel);
	unlink(path);
	fprintf(stderr, "bench: the debrief of a 100,000-point patrol...\n");
	dms = bench_summary(dir, &dpoints, &dpieces, &dist);
	rmdir(dir);

	bench_result("gpx_import_points_per_s", lib, "points/s",
	    "ogr2ogr_gpkg_points_per_s", ogr);
	bench_result("gpx_parse_points_per_s", parse, "points/s",
	    "ogr2ogr_gpkg_points_per_s", ogr);
	bench_result("track_text_bytes_per_point", bpp, "bytes",
	    "gpx_bytes_per_point", gpx_bpp);
	bench_result("track_stats_100k_ms", sms, "ms",
	    "proj_geod_inverse_100k_ms", pms);
	bench_result("patrol_summary_100k_ms", dms, "ms", "goal_ms", 50);

	printf("\n%-44s %12s %12s %7s\n", "benchmark", "diboli", "baseline",
	    "ratio");
	if (ogr > 0) {
		printf("%-44s %12.0f %12.0f %7.2f\n",
		    "GPX parse+clean+encode, points/s", lib, ogr, lib / ogr);
		printf("%-44s %12.0f %12.0f %7.2f\n", "GPX parse only, points/s",
		    parse, ogr, parse / ogr);
	} else {
		printf("%-44s %12.0f %12s\n", "GPX parse+clean+encode, points/s",
		    lib, "skipped");
		printf("%-44s %12.0f %12s\n", "GPX parse only, points/s", parse,
		    "skipped");
	}
	printf("%-44s %12.2f %12.2f %7.3f\n", "bytes per point (text vs GPX)",
	    bpp, gpx_bpp, bpp / gpx_bpp);
	printf("%-44s %12.2f %12.2f %7.2f   (goal < 50 ms)\n",
	    "track_stats 100,000 points, ms", sms, pms, sms / pms);
	printf("%-44s %12.2f %12.2f %7.2f   (goal < 50 ms)\n",
	    "debrief of a 100,000-point patrol, ms", dms, 50.0, dms / 50);
	printf("\n%zu points of a 1 Hz vehicle patrol in GPX 1.1 as a Garmin "
	    "unit lays it out.\nBaseline: GDAL's ogr2ogr reading the same file "
	    "into a GeoPackage\n(track_points layer); diboli reads, cleans and "
	    "encodes the record texts\nbut stores nothing. Stats: the length "
	    "by PROJ geod_inverse per step\n(relative difference %.1e) against "
	    "the whole of track_stats.\nDebrief: patrol_summary of a patrol "
	    "whose %zu-point track is stored as %zu\nrecords (%.1f km back and "
	    "forth 300 m from the border: every point\nnear a section), with 30 "
	    "observations and a 200-point planned route, against\nthe goal "
	    "of 50 ms.\n", n, rel, dpoints, dpieces, dist / 1000);
	bench_results_write(out, 1);
	printf("results written to %s\n", out);
	return 0;
}
