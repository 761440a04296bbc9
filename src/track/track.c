/*
** Tracks as arrays of points with segment starts, the rules of each kind
** of patrol, and the cleaning of field GPS data (sorting, duplicates,
** spikes, gaps) that reports everything it does.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "track/track.h"
#include "track/track_int.h"

void
track_init(struct track *tr, size_t max)
{
	memset(tr, 0, sizeof *tr);
	tr->max = max;
}

void
track_free(struct track *tr)
{
	if (tr == NULL)
		return;
	free(tr->pts);
	free(tr->seg);
	tr->pts = NULL;
	tr->seg = NULL;
	tr->n = tr->cap = tr->nseg = tr->segcap = 0;
}

/* Append a segment start at index at. */
static int
seg_push(struct track *tr, size_t at)
{
	if (tr->nseg == tr->segcap) {
		size_t cap = tr->segcap ? 2 * tr->segcap : 8;
		size_t *p;

		if (cap > SIZE_MAX / sizeof *p ||
		    (p = realloc(tr->seg, cap * sizeof *p)) == NULL)
			return DIB_ENOMEM;
		tr->seg = p;
		tr->segcap = cap;
	}
	tr->seg[tr->nseg++] = at;
	return DIB_OK;
}

int
track_segment(struct track *tr)
{
	/* The last segment is still empty: it serves as the new one. */
	if (tr->nseg > 0 && tr->seg[tr->nseg - 1] == tr->n)
		return DIB_OK;
	if (tr->n == 0 && tr->nseg == 0)
		return seg_push(tr, 0);
	return seg_push(tr, tr->n);
}

int
track_add(struct track *tr, const struct track_point *p)
{
	if (tr->max && tr->n >= tr->max)
		return DIB_ETOOBIG;
	if (tr->nseg == 0 && seg_push(tr, 0) != DIB_OK)
		return DIB_ENOMEM;
	if (tr->n == tr->cap) {
		size_t cap = tr->cap ? 2 * tr->cap : 256;
		struct track_point *np;

		if (tr->max && cap > tr->max)
			cap = tr->max;
		if (cap > SIZE_MAX / sizeof *np ||
		    (np = realloc(tr->pts, cap * sizeof *np)) == NULL)
			return DIB_ENOMEM;
		tr->pts = np;
		tr->cap = cap;
	}
	tr->pts[tr->n++] = *p;
	return DIB_OK;
}

const struct track_point *
track_seg_points(const struct track *tr, size_t k, size_t *n)
{
	size_t a, b;

	if (k >= tr->nseg) {
		*n = 0;
		return NULL;
	}
	a = tr->seg[k];
	b = k + 1 < tr->nseg ? tr->seg[k + 1] : tr->n;
	*n = b > a ? b - a : 0;
	return *n ? tr->pts + a : NULL;
}

/*
** Defaults per mode. Speeds: a patrol on foot marches at 1.5 m/s and
** may run; a pickup on laterite rarely passes 30 m/s; a motorised
** pirogue on the Falémé 10 m/s; a horse gallops at 13 to 16 m/s. GPS
** spikes imply tens to hundreds of m/s, far above all of these.
*/
static const struct {
	const char *name;
	double max_speed_ms, jump_m;
} modes[TRACK_MODE_COUNT] = {
	[TRACK_FOOT] = {"foot", 4.0, 500},
	[TRACK_VEHICLE] = {"vehicle", 45.0, 5000},
	[TRACK_BOAT] = {"boat", 15.0, 2000},
	[TRACK_MOUNTED] = {"mounted", 18.0, 1000},
	[TRACK_MIXED] = {"mixed", 45.0, 5000},
};

void
track_rules_default(struct track_rules *r, enum track_mode mode)
{
	if ((unsigned)mode >= TRACK_MODE_COUNT)
		mode = TRACK_MIXED;
	memset(r, 0, sizeof *r);
	r->max_speed_ms = modes[mode].max_speed_ms;
	r->noise_m = 20;
	r->gap_s = 300;
	r->jump_m = modes[mode].jump_m;
	r->moving_ms = 0.5;
	r->window_s = 10;
	r->rejoin = 5;
}

const char *
track_mode_name(enum track_mode mode)
{
	return (unsigned)mode < TRACK_MODE_COUNT ? modes[mode].name : "mixed";
}

int
track_mode_parse(const char *s, enum track_mode *mode,
    struct dib_diag *d)
{
	static const struct {
		const char *word;
		enum track_mode mode;
	} words[] = {
		{"foot", TRACK_FOOT}, {"pied", TRACK_FOOT},
		{"vehicle", TRACK_VEHICLE}, {"vehicule", TRACK_VEHICLE},
		{"v\xc3\xa9hicule", TRACK_VEHICLE},
		{"boat", TRACK_BOAT}, {"pirogue", TRACK_BOAT},
		{"bateau", TRACK_BOAT},
		{"mounted", TRACK_MOUNTED}, {"cheval", TRACK_MOUNTED},
		{"monte", TRACK_MOUNTED}, {"mont\xc3\xa9", TRACK_MOUNTED},
		{"mixed", TRACK_MIXED}, {"mixte", TRACK_MIXED},
	};
	size_t i;

	*mode = TRACK_MIXED;
	for (i = 0; s != NULL && i < sizeof words / sizeof words[0]; i++) {
		if (strcasecmp(s, words[i].word) == 0) {
			*mode = words[i].mode;
			return DIB_OK;
		}
	}
	return dib_fail(d, DIB_EINVAL, "mode", "must be foot, vehicle, boat, "
	    "mounted or mixed, got \"%.40s\"", s ? s : "");
}

/* ---- cleaning ---- */

/* Sort key of a point: its time, or that of the timed point before it. */
struct order {
	int64_t key;
	size_t idx;
};

static int
order_cmp(const void *a, const void *b)
{
	const struct order *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int
validate(const struct track *tr, struct dib_diag *d)
{
	size_t i;

	for (i = 0; i < tr->n; i++) {
		const struct track_point *p = &tr->pts[i];
		char field[48];

		if (!(p->lat >= -90 && p->lat <= 90)) {
			snprintf(field, sizeof field, "points[%zu].lat", i);
			return dib_fail(d, DIB_EINVAL, field,
			    "must be in [-90, 90], got %g", p->lat);
		}
		if (!(p->lon >= -180 && p->lon <= 180)) {
			snprintf(field, sizeof field, "points[%zu].lon", i);
			return dib_fail(d, DIB_EINVAL, field,
			    "must be in [-180, 180], got %g", p->lon);
		}
		if (p->t != 0 && (p->t < TRACK_T_MIN || p->t > TRACK_T_MAX)) {
			snprintf(field, sizeof field, "points[%zu].t", i);
			return dib_fail(d, DIB_EINVAL, field,
			    "must be between 1900 and 2200, got %lld ms",
			    (long long)p->t);
		}
		if (p->has_ele && !isfinite(p->ele)) {
			snprintf(field, sizeof field, "points[%zu].ele", i);
			return dib_fail(d, DIB_EINVAL, field,
			    "must be a finite number");
		}
	}
	return DIB_OK;
}

/* The state of the cleaning pass. */
struct cleaner {
	const struct track_rules *r;
	struct track_report *rep;
	struct track_point *pts;        /* read and written in place */
	size_t w;                       /* points written */
	size_t *seg;                    /* segment starts written */
	size_t nseg, segcap;
	size_t seg_n;                   /* points in the current segment */
	struct track_point last;        /* last kept point */
	struct track_point last_t;      /* last kept timed point */
	int has_last_t;                 /* in the current segment */
	size_t pend[64];                /* read indices of a suspect run */
	size_t npend, npend_t;          /* its points, its timed points */
	struct track_point pend_last, pend_last_t;
};

static int
cl_new_segment(struct cleaner *c)
{
	if (c->nseg == c->segcap) {
		size_t cap = c->segcap ? 2 * c->segcap : 16;
		size_t *p = realloc(c->seg, cap * sizeof *p);

		if (p == NULL)
			return DIB_ENOMEM;
		c->seg = p;
		c->segcap = cap;
	}
	c->seg[c->nseg++] = c->w;
	c->seg_n = 0;
	c->has_last_t = 0;
	return DIB_OK;
}

static void
cl_keep(struct cleaner *c, const struct track_point *p)
{
	c->pts[c->w++] = *p;
	c->seg_n++;
	c->last = *p;
	if (p->t != 0) {
		c->last_t = *p;
		c->has_last_t = 1;
	}
}

/* Does b follow a by a plausible speed? Both have times, b not earlier. */
static int
plausible(const struct cleaner *c, const struct track_point *a,
    const struct track_point *b)
{
	double dt = (double)(b->t - a->t) / 1000;

	return track_distance_m(a, b) <= c->r->max_speed_ms * dt +
	    c->r->noise_m;
}

/*
** Settle a suspect run at a break (end, gap, input segment): when it
** holds more points than the segment it contradicts, that segment was
** the spike; else the run is.
*/
static void
cl_settle(struct cleaner *c)
{
	size_t k;

	if (c->npend == 0)
		return;
	if (c->npend > c->seg_n) {
		c->w -= c->seg_n;
		c->rep->spikes += c->seg_n;
		c->seg_n = 0;
		c->has_last_t = 0;
		for (k = 0; k < c->npend; k++)
			cl_keep(c, &c->pts[c->pend[k]]);
	} else {
		c->rep->spikes += c->npend;
	}
	c->npend = c->npend_t = 0;
}

static void
cl_pend(struct cleaner *c, size_t i)
{
	const struct track_point *p = &c->pts[i];

	c->pend[c->npend++] = i;
	c->pend_last = *p;
	if (p->t != 0) {
		c->pend_last_t = *p;
		c->npend_t++;
	}
}

/* A run of rules->rejoin consistent points: the track really went there. */
static int
cl_accept_run(struct cleaner *c)
{
	size_t k;

	if (c->seg_n == 1) {
		/* A lone point contradicted by a whole run was the spike. */
		c->w--;
		c->rep->spikes++;
		c->seg_n = 0;
		c->has_last_t = 0;
	} else {
		c->rep->jumps++;
		if (cl_new_segment(c) != DIB_OK)
			return DIB_ENOMEM;
	}
	for (k = 0; k < c->npend; k++)
		cl_keep(c, &c->pts[c->pend[k]]);
	c->npend = c->npend_t = 0;
	return DIB_OK;
}

static int
same_fix(const struct track_point *a, const struct track_point *b)
{
	return a->t == b->t && a->lat == b->lat && a->lon == b->lon;
}

/* One point through the rules. brk: the input starts a segment here. */
static int
cl_point(struct cleaner *c, size_t i, int brk)
{
	const struct track_rules *r = c->r;
	struct track_point p = c->pts[i];
	size_t rejoin = r->rejoin < 1 ? 1 : r->rejoin;

	if (rejoin > sizeof c->pend / sizeof c->pend[0])
		rejoin = sizeof c->pend / sizeof c->pend[0];
	if (brk && c->seg_n > 0) {
		cl_settle(c);
		if (cl_new_segment(c) != DIB_OK)
			return DIB_ENOMEM;
	}
	if ((c->seg_n > 0 && same_fix(&c->last, &p)) ||
	    (c->npend > 0 && same_fix(&c->pend_last, &p))) {
		c->rep->duplicates++;
		return DIB_OK;
	}
	if (c->seg_n == 0) {
		cl_keep(c, &p);
		return DIB_OK;
	}
	if (p.t != 0 && c->has_last_t) {
		double dt = (double)(p.t - c->last_t.t) / 1000;

		if (dt > r->gap_s) {
			cl_settle(c);
			c->rep->time_gaps++;
			if (c->has_last_t && p.t > c->last_t.t)
				c->rep->gap_s += (double)(p.t - c->last_t.t) /
				    1000;
			if (cl_new_segment(c) != DIB_OK)
				return DIB_ENOMEM;
			cl_keep(c, &p);
			return DIB_OK;
		}
		if (plausible(c, &c->last_t, &p)) {
			c->rep->spikes += c->npend;
			c->npend = c->npend_t = 0;
			cl_keep(c, &p);
			return DIB_OK;
		}
		/* Too fast: a spike, or the start of a jump. */
		if (c->npend_t > 0 && p.t - c->pend_last_t.t <= r->gap_s * 1000
		    && plausible(c, &c->pend_last_t, &p)) {
			cl_pend(c, i);
			if (c->npend_t >= rejoin || c->npend ==
			    sizeof c->pend / sizeof c->pend[0])
				return cl_accept_run(c);
			return DIB_OK;
		}
		c->rep->spikes += c->npend;
		c->npend = c->npend_t = 0;
		cl_pend(c, i);
		return DIB_OK;
	}
	/* No time to judge speed by: only a jump can split. */
	if (c->npend > 0) {
		if (track_distance_m(&c->pend_last, &p) <= r->jump_m &&
		    c->npend < sizeof c->pend / sizeof c->pend[0]) {
			cl_pend(c, i);
			return DIB_OK;
		}
		c->rep->spikes += c->npend;
		c->npend = c->npend_t = 0;
	}
	if (track_distance_m(&c->last, &p) > r->jump_m) {
		c->rep->jumps++;
		if (cl_new_segment(c) != DIB_OK)
			return DIB_ENOMEM;
	}
	cl_keep(c, &p);
	return DIB_OK;
}

int
track_clean(struct track *tr, const struct track_rules *rules,
    struct track_report *rep, struct dib_diag *d)
{
	struct track_rules defaults;
	struct track_report local;
	struct cleaner c;
	struct order *ord = NULL;
	unsigned char *brk = NULL;
	size_t i, k;
	int64_t maxt = INT64_MIN, key = INT64_MIN;
	int rc = DIB_OK;

	if (rep == NULL)
		rep = &local;
	memset(rep, 0, sizeof *rep);
	rep->n_in = tr->n;
	if (rules == NULL) {
		track_rules_default(&defaults, TRACK_MIXED);
		rules = &defaults;
	}
	if ((rc = validate(tr, d)) != DIB_OK)
		return rc;
	if (tr->n == 0) {
		tr->nseg = 0;
		return DIB_OK;
	}
	memset(&c, 0, sizeof c);
	c.r = rules;
	c.rep = rep;
	c.pts = tr->pts;
	if ((brk = calloc(tr->n, 1)) == NULL)
		goto nomem;
	for (k = 1; k < tr->nseg; k++)
		if (tr->seg[k] < tr->n && tr->seg[k] > 0)
			brk[tr->seg[k]] = 1;
	for (i = 0; i < tr->n; i++) {
		struct track_point *p = &tr->pts[i];

		if (p->has_ele && (p->ele < -500 || p->ele > 9000)) {
			p->has_ele = 0;
			p->ele = 0;
			rep->bad_ele++;
		}
		if (p->t == 0)
			continue;
		if (p->t < maxt)
			rep->out_of_order++;
		else
			maxt = p->t;
	}
	if (rep->out_of_order > 0) {
		struct track_point *sorted = NULL;
		unsigned char *sbrk = NULL;

		if ((ord = malloc(tr->n * sizeof *ord)) == NULL)
			goto nomem;
		for (i = 0; i < tr->n; i++) {
			if (tr->pts[i].t != 0)
				key = tr->pts[i].t;
			ord[i].key = key;
			ord[i].idx = i;
		}
		qsort(ord, tr->n, sizeof *ord, order_cmp);
		sorted = malloc(tr->n * sizeof *sorted);
		sbrk = calloc(tr->n, 1);
		if (sorted == NULL || sbrk == NULL) {
			free(sorted);
			free(sbrk);
			goto nomem;
		}
		for (i = 0; i < tr->n; i++) {
			sorted[i] = tr->pts[ord[i].idx];
			sbrk[i] = brk[ord[i].idx];
		}
		free(tr->pts);
		free(brk);
		tr->pts = sorted;
		tr->cap = tr->n;
		brk = sbrk;
		c.pts = tr->pts;
	}
	if (cl_new_segment(&c) != DIB_OK)
		goto nomem;
	for (i = 0; i < tr->n; i++)
		if (cl_point(&c, i, brk[i]) != DIB_OK)
			goto nomem;
	cl_settle(&c);
	tr->n = c.w;
	free(tr->seg);
	tr->seg = c.seg;
	tr->nseg = c.nseg;
	tr->segcap = c.segcap;
	c.seg = NULL;
	rep->n_out = tr->n;
	rep->segments = tr->nseg;
	for (i = 0; i < tr->n; i++)
		if (tr->pts[i].t == 0)
			rep->no_time++;
	goto out;
nomem:
	rc = dib_fail(d, DIB_ENOMEM, "", "out of memory cleaning %zu points",
	    tr->n);
	tr->n = 0;
	tr->nseg = 0;
out:
	free(c.seg);
	free(ord);
	free(brk);
	return rc;
}
