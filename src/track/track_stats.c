/*
** Measures of tracks on WGS84: fast geodesic lengths, moving time and
** speeds, Douglas-Peucker simplification for map zoom levels, and the
** deviation of a track from a planned route.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geo.h"
#include "track/track.h"

#define PI 3.14159265358979323846
#define RAD (PI / 180)
#define WGS_A 6378137.0
#define WGS_E2 (1 / 298.257223563 * (2 - 1 / 298.257223563))

/* Seconds from time a to time b (ms), without integer overflow. */
static double
secs(int64_t a, int64_t b)
{
	return ((double)b - (double)a) / 1000;
}

double
track_distance_m(const struct track_point *a, const struct track_point *b)
{
	return geo_step_m(a->lat, a->lon, b->lat, b->lon);
}

double
track_length_m(const struct track_point *pts, size_t n)
{
	double sum = 0;
	size_t i;

	for (i = 1; i < n; i++)
		sum += geo_step_m(pts[i - 1].lat, pts[i - 1].lon, pts[i].lat,
		    pts[i].lon);
	return sum;
}

/* Speeds over one segment; cum[i] is the path length to point i. */
static void
seg_speeds(const struct track_point *p, const double *cum, size_t n,
    const struct track_rules *r, struct track_stats *st)
{
	size_t a, b, i, j, first, last;
	double win = r->window_s > 0 ? r->window_s : 0, dt;
	int measured = 0;

	for (first = 0; first < n && p[first].t == 0; first++)
		;
	for (last = n; last > first && p[last - 1].t == 0; last--)
		;
	if (first >= n || last - 1 <= first)
		return;
	last--;
	/* Moving: consecutive windows of at least win seconds (the last
	** one up to the end), judged by their net displacement, so that the
	** jitter of a patrol standing still is not movement. */
	for (a = first, b = first + 1; b <= last; b++) {
		if (p[b].t == 0)
			continue;
		dt = secs(p[a].t, p[b].t);
		if (dt < win && b != last)
			continue;
		if (dt > 0 && track_distance_m(&p[a], &p[b]) / dt >
		    r->moving_ms) {
			st->moving_s += dt;
			st->moving_m += cum[b] - cum[a];
		}
		a = b;
	}
	/* Fastest: the path over sliding windows of at least win seconds;
	** a segment shorter than one window is one window. */
	for (i = first, j = first + 1; i < last; i++) {
		if (p[i].t == 0)
			continue;
		if (j <= i)
			j = i + 1;
		while (j <= last && (p[j].t == 0 || secs(p[i].t, p[j].t) <
		    win))
			j++;
		if (j > last) {
			if (measured)
				break;
			j = last;
		}
		measured = 1;
		dt = secs(p[i].t, p[j].t);
		if (dt > 0 && (cum[j] - cum[i]) / dt > st->max_speed_ms)
			st->max_speed_ms = (cum[j] - cum[i]) / dt;
	}
}

void
track_stats(const struct track *tr, const struct track_rules *rules,
    struct track_stats *st)
{
	struct track_rules defaults;
	double *cum = NULL;
	size_t k, i, cumcap = 0;

	memset(st, 0, sizeof *st);
	if (rules == NULL) {
		track_rules_default(&defaults, TRACK_MIXED);
		rules = &defaults;
	}
	st->points = tr->n;
	if (tr->n == 0)
		return;
	st->start = tr->pts[0];
	st->end = tr->pts[tr->n - 1];
	st->west = st->east = tr->pts[0].lon;
	st->south = st->north = tr->pts[0].lat;
	for (i = 0; i < tr->n; i++) {
		const struct track_point *p = &tr->pts[i];

		if (p->lon < st->west)
			st->west = p->lon;
		if (p->lon > st->east)
			st->east = p->lon;
		if (p->lat < st->south)
			st->south = p->lat;
		if (p->lat > st->north)
			st->north = p->lat;
		if (p->t == 0)
			continue;
		if (st->t_start == 0 || p->t < st->t_start)
			st->t_start = p->t;
		if (st->t_end == 0 || p->t > st->t_end)
			st->t_end = p->t;
	}
	st->total_s = secs(st->t_start, st->t_end);
	for (k = 0; k < tr->nseg; k++) {
		size_t n;
		const struct track_point *p = track_seg_points(tr, k, &n);

		if (n == 0)
			continue;
		st->segments++;
		if (n > cumcap) {
			double *c = realloc(cum, n * sizeof *c);

			if (c == NULL) {
				/* Length without speeds rather than nothing. */
				st->length_m += track_length_m(p, n);
				continue;
			}
			cum = c;
			cumcap = n;
		}
		cum[0] = 0;
		for (i = 1; i < n; i++)
			cum[i] = cum[i - 1] + geo_step_m(p[i - 1].lat,
			    p[i - 1].lon, p[i].lat, p[i].lon);
		st->length_m += cum[n - 1];
		seg_speeds(p, cum, n, rules, st);
	}
	if (st->moving_s > 0)
		st->mean_moving_ms = st->moving_m / st->moving_s;
	free(cum);
}

/* ---- simplification ---- */

/* Squared distance from (px, py) to the segment (ax, ay)-(bx, by). */
static double
seg_dist2(double px, double py, double ax, double ay, double bx, double by)
{
	double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy, u;

	if (l2 > 0) {
		u = ((px - ax) * dx + (py - ay) * dy) / l2;
		if (u > 1)
			u = 1;
		else if (u < 0)
			u = 0;
		ax += u * dx;
		ay += u * dy;
	}
	dx = px - ax;
	dy = py - ay;
	return dx * dx + dy * dy;
}

int
track_simplify(const struct track_point *pts, size_t n, double tol_m,
    size_t *keep, size_t *nkeep)
{
	double *xy = NULL, lat0 = 0, lon0, kx, ky, tol2 = tol_m * tol_m;
	size_t *stack = NULL, top = 0, i, k = 0;
	unsigned char *mark = NULL;
	int rc = DIB_OK;

	*nkeep = 0;
	if (n <= 2) {
		for (i = 0; i < n; i++)
			keep[i] = i;
		*nkeep = n;
		return DIB_OK;
	}
	xy = malloc(2 * n * sizeof *xy);
	stack = malloc(2 * n * sizeof *stack);
	mark = calloc(n, 1);
	if (xy == NULL || stack == NULL || mark == NULL) {
		rc = DIB_ENOMEM;
		goto out;
	}
	/* A local plane: metres east with each point's own cos(lat). */
	for (i = 0; i < n; i++)
		lat0 += pts[i].lat / (double)n;
	lon0 = pts[0].lon;
	geo_scales(lat0, &kx, &ky);
	kx = WGS_A / sqrt(1 - WGS_E2 * sin(lat0 * RAD) * sin(lat0 * RAD)) *
	    RAD;
	for (i = 0; i < n; i++) {
		xy[2 * i] = geo_wrap_dlon(pts[i].lon - lon0) * kx *
		    cos(pts[i].lat * RAD);
		xy[2 * i + 1] = (pts[i].lat - lat0) * ky;
	}
	mark[0] = mark[n - 1] = 1;
	stack[top++] = 0;
	stack[top++] = n - 1;
	while (top > 0) {
		size_t b = stack[--top], a = stack[--top], far = 0;
		double best = -1;

		for (i = a + 1; i < b; i++) {
			double d2 = seg_dist2(xy[2 * i], xy[2 * i + 1],
			    xy[2 * a], xy[2 * a + 1], xy[2 * b], xy[2 * b + 1]);

			if (d2 > best) {
				best = d2;
				far = i;
			}
		}
		if (best > tol2) {
			mark[far] = 1;
			/* Each range is split once: the stack never holds
			** more than n ranges. */
			stack[top++] = a;
			stack[top++] = far;
			stack[top++] = far;
			stack[top++] = b;
		}
	}
	for (i = 0; i < n; i++)
		if (mark[i])
			keep[k++] = i;
	*nkeep = k;
out:
	free(xy);
	free(stack);
	free(mark);
	return rc;
}

double
track_zoom_tolerance(int zoom)
{
	if (zoom < 5)
		zoom = 5;
	if (zoom > 18)
		zoom = 18;
	/* 2 pi a / 256 metres per pixel at zoom 0, halved at each level. */
	return 2 * PI * WGS_A / 256 / (double)(1L << zoom);
}

/* ---- deviation from a route ---- */

/* A uniform grid of the route's segments over its bbox, in degrees. */
struct grid {
	double x0, y0, cell;
	long w, h;
	size_t *start;          /* w * h + 1 offsets into items */
	size_t *items;          /* segment indices */
	unsigned *stamp;        /* last query that measured the segment */
	unsigned query;
};

static void
cell_range(const struct grid *g, double lo, double hi, double o, long lim,
    long *a, long *b)
{
	*a = (long)floor((lo - o) / g->cell);
	*b = (long)floor((hi - o) / g->cell);
	if (*a < 0)
		*a = 0;
	if (*b > lim - 1)
		*b = lim - 1;
}

static int
grid_build(struct grid *g, const struct track_point *rt, size_t m)
{
	double x1, y1, ext;
	size_t s, nseg = m > 1 ? m - 1 : 1, total;
	long cx0, cx1, cy0, cy1, x, y;

	memset(g, 0, sizeof *g);
	g->x0 = x1 = rt[0].lon;
	g->y0 = y1 = rt[0].lat;
	for (s = 1; s < m; s++) {
		g->x0 = fmin(g->x0, rt[s].lon);
		x1 = fmax(x1, rt[s].lon);
		g->y0 = fmin(g->y0, rt[s].lat);
		y1 = fmax(y1, rt[s].lat);
	}
	ext = fmax(fmax(x1 - g->x0, y1 - g->y0), 1e-5);
	/* About one cell per segment, at most 256 x 256, coarser while the
	** segments' boxes would fill too many cells. */
	g->cell = ext / fmin(256, fmax(1, ceil(sqrt((double)nseg))));
	for (;;) {
		g->w = (long)floor((x1 - g->x0) / g->cell) + 1;
		g->h = (long)floor((y1 - g->y0) / g->cell) + 1;
		total = 0;
		for (s = 0; s < nseg; s++) {
			const struct track_point *a = &rt[s];
			const struct track_point *b = &rt[s + 1 < m ? s + 1 : s];

			cell_range(g, fmin(a->lon, b->lon), fmax(a->lon, b->lon),
			    g->x0, g->w, &cx0, &cx1);
			cell_range(g, fmin(a->lat, b->lat), fmax(a->lat, b->lat),
			    g->y0, g->h, &cy0, &cy1);
			total += (size_t)(cx1 - cx0 + 1) * (size_t)(cy1 - cy0 +
			    1);
		}
		if (total <= 4 * nseg + 65536 || g->w * g->h <= 4)
			break;
		g->cell *= 2;
	}
	g->start = calloc((size_t)(g->w * g->h) + 1, sizeof *g->start);
	g->items = malloc(total * sizeof *g->items);
	g->stamp = calloc(nseg, sizeof *g->stamp);
	if (g->start == NULL || g->items == NULL || g->stamp == NULL)
		return DIB_ENOMEM;
	/* Count per cell, prefix sums, then fill (CSR). */
	for (int pass = 0; pass < 2; pass++) {
		for (s = 0; s < nseg; s++) {
			const struct track_point *a = &rt[s];
			const struct track_point *b = &rt[s + 1 < m ? s + 1 : s];

			cell_range(g, fmin(a->lon, b->lon), fmax(a->lon, b->lon),
			    g->x0, g->w, &cx0, &cx1);
			cell_range(g, fmin(a->lat, b->lat), fmax(a->lat, b->lat),
			    g->y0, g->h, &cy0, &cy1);
			for (y = cy0; y <= cy1; y++)
				for (x = cx0; x <= cx1; x++) {
					size_t c = (size_t)(y * g->w + x);

					if (pass == 0)
						g->start[c + 1]++;
					else
						g->items[g->start[c]++] = s;
				}
		}
		if (pass == 0) {
			for (s = 1; s <= (size_t)(g->w * g->h); s++)
				g->start[s] += g->start[s - 1];
		} else {
			/* The fill advanced each start to the next one's. */
			memmove(g->start + 1, g->start, (size_t)(g->w * g->h) *
			    sizeof *g->start);
			g->start[0] = 0;
		}
	}
	return DIB_OK;
}

static void
grid_free(struct grid *g)
{
	free(g->start);
	free(g->items);
	free(g->stamp);
}

/* The nearest of best and the segments of cell c (m). */
static double
cell_nearest(struct grid *g, const struct track_point *rt, size_t m,
    size_t c, double lon, double lat, double kx, double ky, double best)
{
	size_t i;

	for (i = g->start[c]; i < g->start[c + 1]; i++) {
		size_t s = g->items[i];
		const struct track_point *a = &rt[s];
		const struct track_point *b = &rt[s + 1 < m ? s + 1 : s];
		double d2;

		if (g->stamp[s] == g->query)
			continue;
		g->stamp[s] = g->query;
		d2 = seg_dist2(0, 0, geo_wrap_dlon(a->lon - lon) * kx,
		    (a->lat - lat) * ky, geo_wrap_dlon(b->lon - lon) * kx,
		    (b->lat - lat) * ky);
		if (d2 < best * best)
			best = sqrt(d2);
	}
	return best;
}

/* Distance (m) from a sample to the nearest route segment. */
static double
grid_nearest(struct grid *g, const struct track_point *rt, size_t m,
    double lon, double lat)
{
	double kx, ky, best = INFINITY, mdeg, maxlat;
	long cx = (long)floor((lon - g->x0) / g->cell);
	long cy = (long)floor((lat - g->y0) / g->cell);
	long k, kmin, kmax, x, y;

	geo_scales(lat, &kx, &ky);
	/* The fewest metres a degree spans anywhere near: a bound on what
	** the unvisited rings may hold. */
	maxlat = fmax(fabs(lat), fmax(fabs(g->y0), fabs(g->y0 + g->cell *
	    (double)g->h)));
	mdeg = RAD * fmin(WGS_A * (1 - WGS_E2), WGS_A * cos(fmin(maxlat, 89.9) *
	    RAD));
	kmin = cx < 0 ? -cx : cx >= g->w ? cx - g->w + 1 : 0;
	k = cy < 0 ? -cy : cy >= g->h ? cy - g->h + 1 : 0;
	kmin = kmin > k ? kmin : k;
	kmax = labs(cx) > labs(cx - g->w + 1) ? labs(cx) : labs(cx - g->w + 1);
	k = labs(cy) > labs(cy - g->h + 1) ? labs(cy) : labs(cy - g->h + 1);
	kmax = kmax > k ? kmax : k;
	if (++g->query == 0) {
		memset(g->stamp, 0, (m > 1 ? m - 1 : 1) * sizeof *g->stamp);
		g->query = 1;
	}
	for (k = kmin; k <= kmax; k++) {
		long y0 = cy - k > 0 ? cy - k : 0;
		long y1 = cy + k < g->h - 1 ? cy + k : g->h - 1;

		if (k > 0 && best <= (double)(k - 1) * g->cell * mdeg)
			break;
		for (y = y0; y <= y1; y++) {
			/* The ring: whole rows at its top and bottom, its two
			** side cells in between. */
			int edge = y == cy - k || y == cy + k;
			long x0 = edge ? (cx - k > 0 ? cx - k : 0) : cx - k;
			long x1 = edge ? (cx + k < g->w - 1 ? cx + k : g->w - 1) :
			    cx + k;

			for (x = x0; x <= x1; x += edge || k == 0 ? 1 : 2 * k) {
				if (x < 0 || x >= g->w)
					continue;
				best = cell_nearest(g, rt, m, (size_t)(y * g->w +
				    x), lon, lat, kx, ky, best);
			}
		}
	}
	return best;
}

/* Positions in range: the grid turns degrees into cell numbers. */
static int
check_points(const struct track_point *p, size_t n, const char *what,
    struct dib_diag *d)
{
	size_t i;
	char field[48];

	for (i = 0; i < n; i++) {
		if (p[i].lat >= -90 && p[i].lat <= 90 && p[i].lon >= -180 &&
		    p[i].lon <= 180)
			continue;
		snprintf(field, sizeof field, "%s[%zu]", what, i);
		return dib_fail(d, DIB_EINVAL, field, "position out of range "
		    "(%g, %g)", p[i].lat, p[i].lon);
	}
	return DIB_OK;
}

static void
sample(struct track_deviation *out, const struct track_point *s, double dm,
    double *sum)
{
	*sum += dm;
	if (out->samples++ == 0 || dm > out->max_m) {
		out->max_m = dm;
		out->max_at = *s;
	}
}

int
track_deviation(const struct track *tr, const struct track_point *route,
    size_t m, double step_m, struct track_deviation *out,
    struct dib_diag *d)
{
	struct grid g;
	double total = 0, sum = 0;
	size_t k;
	int rc;

	memset(out, 0, sizeof *out);
	if (tr->n == 0 || route == NULL || m == 0)
		return dib_fail(d, DIB_EINVAL, tr->n == 0 ? "track" : "route",
		    "is empty");
	if ((rc = check_points(tr->pts, tr->n, "track", d)) != DIB_OK ||
	    (rc = check_points(route, m, "route", d)) != DIB_OK)
		return rc;
	if (!(step_m > 0))
		step_m = 10;
	for (k = 0; k < tr->nseg; k++) {
		size_t n;
		const struct track_point *p = track_seg_points(tr, k, &n);

		total += track_length_m(p, n);
	}
	if (total / step_m > 200000)
		step_m = total / 200000;
	if ((rc = grid_build(&g, route, m)) != DIB_OK) {
		grid_free(&g);
		return dib_fail(d, rc, "route", "out of memory");
	}
	for (k = 0; k < tr->nseg; k++) {
		size_t n, i;
		const struct track_point *p = track_seg_points(tr, k, &n);
		double next = 0, along = 0, dm;

		if (n == 0)
			continue;
		/* Samples every step_m from the start, then the end. */
		for (i = 0; i + 1 < n; i++) {
			double seg = track_distance_m(&p[i], &p[i + 1]);

			for (; next < along + seg; next += step_m) {
				double u = (next - along) / seg;
				struct track_point s = p[i];

				s.lon = p[i].lon + u * geo_wrap_dlon(p[i + 1].lon -
				    p[i].lon);
				s.lat = p[i].lat + u * (p[i + 1].lat - p[i].lat);
				dm = grid_nearest(&g, route, m, s.lon, s.lat);
				sample(out, &s, dm, &sum);
			}
			along += seg;
		}
		dm = grid_nearest(&g, route, m, p[n - 1].lon, p[n - 1].lat);
		sample(out, &p[n - 1], dm, &sum);
	}
	out->mean_m = out->samples ? sum / (double)out->samples : 0;
	grid_free(&g);
	return DIB_OK;
}
