/*
** The debrief of a joint patrol computed from its records: distance,
** moving and total time, the border sections its tracks passed, the
** deviation from the planned route, observations by category and the
** leaders' debriefs. Everything is derived from records and sorted, so
** that every node holding the same records gives the same document; and
** which patrols come near a border section, for the patrol calendar.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo/reference.h"
#include "model/model.h"
#include "node/node.h"
#include "patrol/patrol.h"
#include "patrol/patrol_int.h"
#include "store/query.h"
#include "store/store.h"
#include "util/util.h"

/* Samples of the deviation from the planned route: every 10 m along the
** tracks, or farther apart on long tracks so that there are at most
** DEVIATION_SAMPLES of them (a 1,400 km track: every 70 m, far below the
** accuracy of a planned route); the same on every node. */
#define DEVIATION_STEP_M 10.0
#define DEVIATION_SAMPLES 20000.0

/* What the summary adds up, for one nation or for all. */
struct acc {
	char nation[3];
	double distance_m, moving_s;
	int64_t t0, t1;
	size_t points, uploads, pieces;
	double dev_sum, dev_max;        /* route: sum of mean * samples */
	size_t dev_samples;
	size_t inside;                  /* area: points inside */
	int64_t out_of_order, duplicates, spikes, gaps, no_time;
};

/* x rounded to a tenth: the same text on every node, and readable. */
static double
tenth(double x)
{
	return isfinite(x) ? round(x * 10) / 10 : 0;
}

static json_t *
time_or_null(int64_t ms)
{
	char ts[40];

	return ms ? json_string(util_time_format(ms, ts, sizeof ts)) :
	    json_null();
}

/* The planned geometry: a route (LineString) or an area (Polygon). */
struct plan_geom {
	int area;                       /* 1 Polygon, 0 LineString, -1 none */
	struct track_point *route;      /* the route's points */
	size_t nroute;
	double **rings;                 /* the area's rings: lon, lat pairs */
	size_t *nring, nrings;
	double bbox[4];
};

static void
plan_geom_free(struct plan_geom *g)
{
	size_t i;

	free(g->route);
	for (i = 0; i < g->nrings; i++)
		free(g->rings[i]);
	free(g->rings);
	free(g->nring);
	memset(g, 0, sizeof *g);
}

static int
plan_geom_load(const json_t *plan, struct plan_geom *g)
{
	const json_t *geo = json_object_get(plan, "geometry");
	const char *type = json_string_value(json_object_get(geo, "type"));
	const json_t *c = json_object_get(geo, "coordinates");
	size_t i, k;

	memset(g, 0, sizeof *g);
	g->area = -1;
	g->bbox[0] = g->bbox[1] = INFINITY;
	g->bbox[2] = g->bbox[3] = -INFINITY;
	if (type != NULL && strcmp(type, "LineString") == 0) {
		g->area = 0;
		if ((g->route = calloc(json_array_size(c) + 1,
		    sizeof *g->route)) == NULL)
			return DIB_ENOMEM;
		for (i = 0; i < json_array_size(c); i++) {
			const json_t *p = json_array_get(c, i);

			g->route[i].lon = json_number_value(json_array_get(p, 0));
			g->route[i].lat = json_number_value(json_array_get(p, 1));
		}
		g->nroute = json_array_size(c);
	} else if (type != NULL && strcmp(type, "Polygon") == 0) {
		g->area = 1;
		g->nrings = json_array_size(c);
		if ((g->rings = calloc(g->nrings + 1, sizeof *g->rings)) ==
		    NULL || (g->nring = calloc(g->nrings + 1,
		    sizeof *g->nring)) == NULL)
			return DIB_ENOMEM;
		for (k = 0; k < g->nrings; k++) {
			const json_t *ring = json_array_get(c, k);
			size_t n = json_array_size(ring);

			if ((g->rings[k] = calloc(2 * n + 2, sizeof(double))) ==
			    NULL)
				return DIB_ENOMEM;
			g->nring[k] = n;
			for (i = 0; i < n; i++) {
				const json_t *p = json_array_get(ring, i);
				double lon = json_number_value(json_array_get(p,
				    0)), lat = json_number_value(json_array_get(p,
				    1));

				g->rings[k][2 * i] = lon;
				g->rings[k][2 * i + 1] = lat;
				g->bbox[0] = fmin(g->bbox[0], lon);
				g->bbox[1] = fmin(g->bbox[1], lat);
				g->bbox[2] = fmax(g->bbox[2], lon);
				g->bbox[3] = fmax(g->bbox[3], lat);
			}
		}
	}
	return DIB_OK;
}

/* Is (lon, lat) inside the area (even-odd over its rings: holes out)? */
static int
inside(const struct plan_geom *g, double lon, double lat)
{
	size_t k, i, j;
	int in = 0;

	if (lon < g->bbox[0] || lon > g->bbox[2] || lat < g->bbox[1] ||
	    lat > g->bbox[3])
		return 0;
	for (k = 0; k < g->nrings; k++) {
		const double *r = g->rings[k];
		size_t n = g->nring[k];

		for (i = 0, j = n ? n - 1 : 0; i < n; j = i++) {
			double xi = r[2 * i], yi = r[2 * i + 1];
			double xj = r[2 * j], yj = r[2 * j + 1];

			if ((yi > lat) != (yj > lat) && lon < (xj - xi) *
			    (lat - yi) / (yj - yi) + xi)
				in = !in;
		}
	}
	return in;
}

/* The accumulator of nation in v[0..n), or NULL. */
static struct acc *
acc_of(struct acc *v, size_t n, const char *nation)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].nation, nation) == 0)
			return &v[i];
	return NULL;
}

static void
acc_span(struct acc *a, int64_t t0, int64_t t1)
{
	if (t0 && (a->t0 == 0 || t0 < a->t0))
		a->t0 = t0;
	if (t1 && (a->t1 == 0 || t1 > a->t1))
		a->t1 = t1;
}

/* One upload into a (and all): length, times, points, cleaning. */
static void
acc_add(struct acc *a, const struct patrol_upload *u,
    const struct track_stats *st)
{
	a->distance_m += st->length_m;
	a->moving_s += st->moving_s;
	acc_span(a, st->t_start, st->t_end);
	a->points += u->tr.n;
	a->uploads++;
	a->pieces += u->pieces;
	a->out_of_order += u->out_of_order;
	a->duplicates += u->duplicates;
	a->spikes += u->spikes;
	a->gaps += u->gaps;
	a->no_time += u->no_time;
}

static json_t *
deviation_json(const struct acc *a, const struct plan_geom *g)
{
	if (a->points == 0 || g->area < 0)
		return json_null();
	if (g->area)
		return json_pack("{s:s, s:I, s:f}", "plan", "area",
		    "points_inside", (json_int_t)a->inside, "share_inside",
		    round((double)a->inside / (double)a->points * 1000) / 1000);
	if (a->dev_samples == 0)
		return json_null();
	return json_pack("{s:s, s:f, s:f, s:I}", "plan", "route", "mean_m",
	    tenth(a->dev_sum / (double)a->dev_samples), "max_m",
	    tenth(a->dev_max), "samples", (json_int_t)a->dev_samples);
}

static json_t *
acc_json(const struct acc *a, const struct plan_geom *g)
{
	return json_pack("{s:f, s:f, s:f, s:o, s:o, s:I, s:I, s:I, s:o}",
	    "distance_m", tenth(a->distance_m), "moving_s",
	    tenth(a->moving_s), "total_s", a->t0 && a->t1 ?
	    tenth((double)(a->t1 - a->t0) / 1000) : 0.0, "t_start",
	    time_or_null(a->t0), "t_end", time_or_null(a->t1), "points",
	    (json_int_t)a->points, "tracks", (json_int_t)a->uploads, "pieces",
	    (json_int_t)a->pieces, "deviation", deviation_json(a, g));
}

/* Per section of s: what the tracks did within the buffer. */
struct sec_acc {
	size_t points;
	double length_m, min_m;
	int hit;
};

/* The sections one upload passed within buf_m of, into sa. */
static int
sections_add(const struct ref_sections *s, const struct track *tr,
    double buf_m, struct sec_acc *sa, struct dib_diag *d)
{
	double *ll;
	size_t i, k, nn;
	int rc = DIB_OK;

	if (s == NULL || tr->n == 0)
		return DIB_OK;
	if ((ll = malloc(2 * tr->n * sizeof *ll)) == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	for (i = 0; i < tr->n; i++) {
		ll[2 * i] = tr->pts[i].lon;
		ll[2 * i + 1] = tr->pts[i].lat;
	}
	/* Segment by segment: never a step across a gap. */
	for (k = 0; k < tr->nseg && rc == 0; k++) {
		struct ref_near *near = NULL;
		size_t m;

		track_seg_points(tr, k, &m);
		if (m == 0)
			continue;
		rc = ref_sections_near_track(s, ll + 2 * tr->seg[k], m, buf_m,
		    &near, &nn, d);
		for (i = 0; rc == 0 && i < nn; i++) {
			struct sec_acc *x = &sa[near[i].section];

			if (near[i].section >= s->n)
				continue;
			x->points += near[i].points;
			x->length_m += near[i].length_m;
			if (!x->hit || near[i].min_m < x->min_m)
				x->min_m = near[i].min_m;
			x->hit = 1;
		}
		free(near);
	}
	free(ll);
	return rc;
}

static int
by_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Observations by category: the records linked to the patrol that are
** not the domain's own, current, sorted by category. */
static json_t *
observations_json(struct node *n, const struct patrol_row *rows,
    size_t count, json_int_t *total)
{
	const char **cats;
	json_t *a = json_array();
	size_t i, nc = 0, j;

	*total = 0;
	if ((cats = calloc(count + 1, sizeof *cats)) == NULL || a == NULL) {
		free(cats);
		return a;
	}
	for (i = 0; i < count; i++)
		if (rows[i].state == STORE_CURRENT &&
		    !store_category_under(rows[i].cat, PATROL_CAT))
			cats[nc++] = rows[i].cat;
	qsort(cats, nc, sizeof *cats, by_str);
	for (i = 0; i < nc; i = j) {
		const struct model_category *c = model_find(n->model, cats[i]);

		for (j = i; j < nc && strcmp(cats[j], cats[i]) == 0; j++)
			;
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:I}",
		    "category", cats[i], "label_fr", c ?
		    model_category_label(c, "fr") : cats[i], "label_en", c ?
		    model_category_label(c, "en") : cats[i], "count",
		    (json_int_t)(j - i)));
		*total += (json_int_t)(j - i);
	}
	free(cats);
	return a;
}

/* By nation, then time, then id. */
static int
by_debrief(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c;
	const char *k[] = {"nation", "at", "id"};
	size_t i;

	for (i = 0; i < 3; i++) {
		const char *sx = json_string_value(json_object_get(x, k[i]));
		const char *sy = json_string_value(json_object_get(y, k[i]));

		if ((c = strcmp(sx ? sx : "", sy ? sy : "")) != 0)
			return c;
	}
	return 0;
}

/* The leaders' debriefs: a participating nation's own, sorted. */
static json_t *
debriefs_json(const struct patrol_view *v)
{
	json_t *a = json_array(), **d;
	size_t i, n = 0;

	if ((d = calloc(json_array_size(v->debriefs) + 1, sizeof *d)) == NULL)
		return a;
	for (i = 0; i < json_array_size(v->debriefs); i++) {
		const json_t *rec = json_array_get(v->debriefs, i);
		const char *on = patrol_origin_nation(rec);
		const char *an = patrol_attr_str(rec, "nation");

		if (strlen(on) != 2 || !util_audience_has(v->nations, on) ||
		    an == NULL || strcmp(an, on) != 0)
			continue;
		d[n++] = json_pack("{s:s, s:s, s:O, s:O}", "nation", on, "text",
		    patrol_attr_str(rec, "text") ? patrol_attr_str(rec, "text") :
		    "", "at", json_object_get(rec, "observed_at"), "id",
		    json_object_get(rec, "id"));
	}
	qsort(d, n, sizeof *d, by_debrief);
	for (i = 0; i < n; i++)
		json_array_append_new(a, d[i]);
	free(d);
	return a;
}

/* Deviation of one upload from the route, or the points in the area. */
static int
deviation_add(const struct plan_geom *g, const struct patrol_upload *u,
    double length_m, struct acc *a, struct acc *all, struct dib_diag *d)
{
	struct track_deviation dv;
	size_t i, in = 0;
	int rc;

	if (g->area == 1) {
		for (i = 0; i < u->tr.n; i++)
			in += inside(g, u->tr.pts[i].lon, u->tr.pts[i].lat);
		a->inside += in;
		all->inside += in;
		return DIB_OK;
	}
	if (g->area != 0 || g->nroute == 0 || u->tr.n == 0)
		return DIB_OK;
	if ((rc = track_deviation(&u->tr, g->route, g->nroute,
	    fmax(DEVIATION_STEP_M, length_m / DEVIATION_SAMPLES), &dv, d)) !=
	    0)
		return rc;
	a->dev_sum += dv.mean_m * (double)dv.samples;
	a->dev_samples += dv.samples;
	a->dev_max = fmax(a->dev_max, dv.max_m);
	all->dev_sum += dv.mean_m * (double)dv.samples;
	all->dev_samples += dv.samples;
	all->dev_max = fmax(all->dev_max, dv.max_m);
	return DIB_OK;
}

int
patrol_summary(struct node *n, const uint8_t patrol[16],
    const struct patrol_summary_opts *o, json_t **out, struct dib_diag *d)
{
	struct patrol_rows rs;
	struct patrol_view v;
	struct patrol_uploads u;
	struct plan_geom g;
	struct ref_sections *own = NULL;
	const struct ref_sections *s = o ? o->sections : NULL;
	struct track_rules rules;
	enum track_mode mode = TRACK_MIXED;
	struct acc all, *nat = NULL;
	struct sec_acc *sa = NULL;
	double buf_m = o && o->buffer_m > 0 ? o->buffer_m : PATROL_BUFFER_M;
	size_t nn = 0, i;
	json_int_t nobs = 0;
	json_t *j = NULL, *nations, *secs, *obs, *totals;
	int rc;

	*out = NULL;
	memset(&v, 0, sizeof v);
	memset(&u, 0, sizeof u);
	memset(&g, 0, sizeof g);
	memset(&all, 0, sizeof all);
	if (!(buf_m > 0 && buf_m <= PATROL_BUFFER_MAX))
		return dib_fail(d, DIB_EINVAL, "buffer_m", "must be in (0, %g] "
		    "metres", PATROL_BUFFER_MAX);
	if ((rc = patrol_rows_load(n, patrol, &rs, d)) != 0)
		return rc;
	if ((rc = patrol_view_load(n, patrol, rs.v, rs.n, &v, d)) != 0)
		goto out;
	if ((rc = patrol_uploads_read(n, &v, rs.v, rs.n, &u, d)) != 0)
		goto out;
	if (s == NULL) {
		if ((rc = ref_sections_load(n->dir, &own, d)) != 0)
			goto out;
		s = own;
	}
	if (plan_geom_load(v.plan, &g) != 0 ||
	    (nat = calloc(UTIL_AUDIENCE_MAX + 1, sizeof *nat)) == NULL ||
	    (sa = calloc(s->n + 1, sizeof *sa)) == NULL) {
		rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
		goto out;
	}
	for (i = 0; i + 1 < strlen(v.nations) && nn < UTIL_AUDIENCE_MAX;
	    i += 3)
		snprintf(nat[nn++].nation, 3, "%.2s", v.nations + i);
	if (track_mode_parse(patrol_type_of(&v), &mode, NULL) != 0)
		mode = TRACK_MIXED;
	/* The library's rules of the type, never a node's own: the same
	 * moving time on every node. */
	track_rules_default(&rules, mode);
	for (i = 0; i < u.n; i++) {
		const struct patrol_upload *up = &u.v[i];
		struct acc *a = acc_of(nat, nn, up->nation);
		struct track_stats st;

		if (a == NULL)
			continue;
		track_stats(&up->tr, &rules, &st);
		acc_add(a, up, &st);
		acc_add(&all, up, &st);
		if ((rc = deviation_add(&g, up, st.length_m, a, &all, d)) != 0 ||
		    (rc = sections_add(s, &up->tr, buf_m, sa, d)) != 0)
			goto out;
	}
	nations = json_object();
	for (i = 0; nations != NULL && i < nn; i++)
		json_object_set_new(nations, nat[i].nation, acc_json(&nat[i],
		    &g));
	secs = json_array();
	for (i = 0; secs != NULL && i < s->n; i++) {
		if (!sa[i].hit)
			continue;
		json_array_append_new(secs, json_pack("{s:s, s:i, s:s, s:s, "
		    "s:I, s:f, s:f}", "id", s->v[i].id, "seq", s->v[i].seq,
		    "name_fr", s->v[i].name_fr, "name_en", s->v[i].name_en,
		    "points_within", (json_int_t)sa[i].points,
		    "length_within_m", tenth(sa[i].length_m), "closest_m",
		    tenth(sa[i].min_m)));
	}
	obs = observations_json(n, rs.v, rs.n, &nobs);
	totals = acc_json(&all, &g);
	j = json_object();
	if (j == NULL || totals == NULL || nations == NULL || secs == NULL ||
	    obs == NULL) {
		json_decref(totals);
		json_decref(nations);
		json_decref(secs);
		json_decref(obs);
		rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
		goto out;
	}
	json_object_set_new(j, "patrol", json_string(v.idtxt));
	json_object_set(j, "code", json_object_get(json_object_get(v.plan,
	    "attributes"), "code"));
	json_object_set_new(j, "status", json_string(patrol_status_name(
	    v.st.status)));
	json_object_set_new(j, "patrol_type", json_string(patrol_type_of(&v)));
	json_object_set(j, "window_start", json_object_get(json_object_get(
	    v.plan, "attributes"), "window_start"));
	json_object_set(j, "window_end", json_object_get(json_object_get(
	    v.plan, "attributes"), "window_end"));
	json_object_set_new(j, "plan", json_pack("{s:s, s:s, s:f}", "version",
	    v.version, "type", g.area == 1 ? "Polygon" : g.area == 0 ?
	    "LineString" : "none", "length_m", g.area == 0 ?
	    tenth(track_length_m(g.route, g.nroute)) : 0.0));
	json_object_update(j, totals);
	json_decref(totals);
	json_object_set_new(j, "nations", nations);
	json_object_set_new(j, "buffer_m", json_real(tenth(buf_m)));
	json_object_set_new(j, "sections", secs);
	json_object_set_new(j, "observations", json_integer(nobs));
	json_object_set_new(j, "observations_by_category", obs);
	json_object_set_new(j, "debriefs", debriefs_json(&v));
	json_object_set_new(j, "cleaning", json_pack("{s:I, s:I, s:I, s:I, "
	    "s:I, s:I}", "out_of_order", (json_int_t)all.out_of_order,
	    "duplicates", (json_int_t)all.duplicates, "spikes",
	    (json_int_t)all.spikes, "gaps", (json_int_t)all.gaps, "no_time",
	    (json_int_t)all.no_time, "invalid_pieces", (json_int_t)u.invalid));
	*out = j;
	j = NULL;
out:
	json_decref(j);
	free(nat);
	free(sa);
	plan_geom_free(&g);
	ref_sections_free(own);
	patrol_uploads_free(&u);
	patrol_view_free(&v);
	patrol_rows_free(&rs);
	return rc;
}

/* ---- which patrols come near a section ---- */

/*
** The polyline of n lon, lat pairs with a point at least every step_m
** metres, into *out (free()) of *nout points.
*/
static int
densify(const double *ll, size_t n, double step_m, double **out,
    size_t *nout)
{
	size_t i, cap = n + 1, m = 0, k, parts;
	double *v = malloc(2 * cap * sizeof *v);

	*out = NULL;
	*nout = 0;
	if (v == NULL)
		return DIB_ENOMEM;
	for (i = 0; i < n; i++) {
		if (i > 0) {
			double lat = (ll[2 * i + 1] + ll[2 * i - 1]) / 2;
			double dx = (ll[2 * i] - ll[2 * i - 2]) * 111320 *
			    cos(lat * 3.14159265358979 / 180);
			double dy = (ll[2 * i + 1] - ll[2 * i - 1]) * 110570;
			double len = sqrt(dx * dx + dy * dy);

			parts = (size_t)ceil(len / step_m);
			if (parts > 100000)
				parts = 100000;
			for (k = 1; k < parts; k++) {
				double f = (double)k / (double)parts;

				if (m + 1 >= cap) {
					double *nv;

					cap = cap * 2 + parts;
					if ((nv = realloc(v, 2 * cap * sizeof *v)) ==
					    NULL) {
						free(v);
						return DIB_ENOMEM;
					}
					v = nv;
				}
				v[2 * m] = ll[2 * i - 2] + f * (ll[2 * i] -
				    ll[2 * i - 2]);
				v[2 * m + 1] = ll[2 * i - 1] + f * (ll[2 * i + 1] -
				    ll[2 * i - 1]);
				m++;
			}
		}
		if (m + 1 >= cap) {
			double *nv;

			cap *= 2;
			if ((nv = realloc(v, 2 * cap * sizeof *v)) == NULL) {
				free(v);
				return DIB_ENOMEM;
			}
			v = nv;
		}
		v[2 * m] = ll[2 * i];
		v[2 * m + 1] = ll[2 * i + 1];
		m++;
	}
	*out = v;
	*nout = m;
	return DIB_OK;
}

/* Does the GeoJSON line coords pass within buf_m of section sec? */
static int
line_near(const json_t *coords, const struct ref_sections *s, size_t sec,
    double buf_m, int *yes, struct dib_diag *d)
{
	struct ref_near *near = NULL;
	size_t n = json_array_size(coords), i, m = 0, nn = 0;
	double *ll, *dense = NULL;
	double step = fmax(25, fmin(250, buf_m / 4));
	int rc;

	if (n == 0)
		return DIB_OK;
	if ((ll = malloc(2 * n * sizeof *ll)) == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	for (i = 0; i < n; i++) {
		const json_t *p = json_array_get(coords, i);

		ll[2 * i] = json_number_value(json_array_get(p, 0));
		ll[2 * i + 1] = json_number_value(json_array_get(p, 1));
	}
	rc = densify(ll, n, step, &dense, &m);
	free(ll);
	if (rc != 0)
		return dib_fail(d, rc, "", "out of memory");
	rc = ref_sections_near_track(s, dense, m, buf_m, &near, &nn, d);
	for (i = 0; rc == 0 && i < nn; i++)
		if (near[i].section == sec)
			*yes = 1;
	free(near);
	free(dense);
	return rc;
}

int
patrol_near_section(struct node *n, const struct patrol_view *v,
    const struct patrol_row *rows, size_t count,
    const struct ref_sections *s, size_t sec, double buf_m, int *yes,
    struct dib_diag *d)
{
	const json_t *geo = json_object_get(v->plan, "geometry");
	const char *type = json_string_value(json_object_get(geo, "type"));
	const json_t *c = json_object_get(geo, "coordinates");
	size_t i;
	int rc = DIB_OK;

	*yes = 0;
	if (sec >= s->n)
		return DIB_OK;
	if (type != NULL && strcmp(type, "LineString") == 0) {
		rc = line_near(c, s, sec, buf_m, yes, d);
	} else if (type != NULL && strcmp(type, "Polygon") == 0) {
		struct plan_geom g;

		memset(&g, 0, sizeof g);
		/* The area's edge near the section, or the section inside. */
		for (i = 0; rc == 0 && !*yes && i < json_array_size(c); i++)
			rc = line_near(json_array_get(c, i), s, sec, buf_m, yes,
			    d);
		if (rc == 0 && !*yes && plan_geom_load(v->plan, &g) == 0) {
			const struct ref_section *x = &s->v[sec];

			for (i = 0; i < x->npts && !*yes; i++)
				*yes = inside(&g, x->lonlat[2 * i],
				    x->lonlat[2 * i + 1]);
		}
		plan_geom_free(&g);
	}
	/* Else the tracks' display geometry (within PATROL_DISPLAY_M). */
	for (i = 0; rc == 0 && !*yes && i < count; i++) {
		json_t *rec;

		if (rows[i].state != STORE_CURRENT ||
		    strcmp(rows[i].cat, PATROL_CAT_TRACK) != 0 ||
		    (rec = patrol_row_json(n, &rows[i])) == NULL)
			continue;
		if (util_audience_has(v->nations, patrol_origin_nation(rec)))
			rc = line_near(json_object_get(json_object_get(rec,
			    "geometry"), "coordinates"), s, sec, buf_m, yes, d);
		json_decref(rec);
	}
	return rc;
}
