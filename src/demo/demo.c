/*
** The demo situation: a deterministic stream of plausible records around
** the real places of the border (Kidira–Diboli, Moussala, Satadougou, the
** Falémé, the Dakar–Bamako corridor), for either nation's node. Attribute
** values come from the model (types, ranges, enum values), shaped where it
** matters (water quality near WHO thresholds, XOF payments, counts).
*/
#include "demo/demo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/record.h"
#include "model/model.h"
#include "node/node.h"
#include "util/embed.h"
#include "util/util.h"

struct place {
	const char *name;
	const char *nation;
	double lat, lon;
};

/* From the shared reference (places.csv, facts.md). */
static const struct place places[] = {
	{"Kidira", "SN", 14.467, -12.217},
	{"Diboli", "ML", 14.47, -12.20},
	{"Moussala", "SN", 12.91, -11.41},
	{"Satadougou", "ML", 12.619, -11.406},
	{"Kéniéba", "ML", 12.84, -11.24},
	{"Sadiola", "ML", 13.889, -11.703},
	{"Goudiry", "SN", 14.18, -12.72},
	{"Bakel", "SN", 14.904, -12.458},
	{"Saraya", "SN", 12.833, -11.750},
	{"Kédougou", "SN", 12.556, -12.181},
	{"Kayes", "ML", 14.450, -11.433},
	{"Tambacounda", "SN", 13.769, -13.667},
};

/* The corridor's two routes through the border area, as waypoints. */
static const double north_route[][2] = {{13.769, -13.667}, {14.18, -12.72},
    {14.467, -12.217}, {14.47, -12.20}, {14.450, -11.433}};
static const double south_route[][2] = {{13.769, -13.667},
    {12.556, -12.181}, {12.833, -11.750}, {12.91, -11.41}, {12.84, -11.24}};

static const char *const texts_security[] = {
	"Signalé par la patrouille mixte, vérification en cours.",
	"Mouvement observé de nuit le long de la piste.",
	"Information recoupée avec le poste voisin.",
	"Aucun échange de tirs ; zone sécurisée par l'unité.",
	"Traces de véhicules vers la rive de la Falémé.",
};
static const char *const texts_corridor[] = {
	"Contrôle sans reçu délivré.",
	"File d'attente de camions au pont.",
	"Chaussée dégradée après les pluies.",
	"Passage fluide, contrôle documentaire seulement.",
};
static const char *const texts_environment[] = {
	"Prélèvement en aval des sites d'orpaillage.",
	"Eau très chargée, couleur ocre.",
	"Dragues en activité sur la rive.",
	"Bassins de cyanuration visibles depuis la piste.",
};
static const char *const texts_other[] = {
	"Consultations gratuites au poste de santé, forte affluence.",
	"Réunion tenue dans le cadre de l'accord de février 2025.",
	"Suivi des engagements de la commission mixte.",
	"Visite conjointe des autorités des deux rives.",
};

struct demo_gen {
	const struct model *m;
	char nation[3];
	char partner[3];
	uint64_t rng;
	int days, per_day, day;
	const struct model_category **leaves;   /* leaves of the model */
	double *weights;                        /* cumulative weights */
	size_t nleaves;
	double (*river)[2];                     /* the Falémé, lat lon */
	size_t nriver;
	json_t **queue;                         /* today's records, sorted */
	uint8_t (*qids)[16];
	int64_t *qt;
	size_t qn, qpos, qcap;
	uint8_t last_id[16];
};

static uint64_t
next(struct demo_gen *g)
{
	/* splitmix64: good enough and the same on every machine. */
	uint64_t z = (g->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double
unif(struct demo_gen *g)
{
	return (double)(next(g) >> 11) / 9007199254740992.0;
}

static int
pick(struct demo_gen *g, int n)
{
	return (int)(next(g) % (uint64_t)n);
}

static double
domain_weight(const char *id)
{
	if (strncmp(id, "corridor.", 9) == 0)
		return 3.5;
	if (strncmp(id, "security.", 9) == 0)
		return 2.5;
	if (strncmp(id, "environment.", 12) == 0)
		return 2.0;
	if (strncmp(id, "humanitarian.", 13) == 0)
		return 1.0;
	if (strncmp(id, "cooperation.", 12) == 0)
		return 0.6;
	return 0.0;   /* later domains (patrols...) have their own seeds */
}

static void
load_river(struct demo_gen *g)
{
	const struct dib_embedded *e =
	    dib_embed_find("mali_senegal_border.geojson");
	json_t *j, *c;
	size_t i;

	if (e == NULL || (j = json_loadb((const char *)e->data, e->len, 0,
	    NULL)) == NULL)
		return;
	c = json_object_get(json_object_get(json_array_get(json_object_get(j,
	    "features"), 0), "geometry"), "coordinates");
	g->river = calloc(json_array_size(c) + 1, sizeof *g->river);
	for (i = 0; g->river && i < json_array_size(c); i++) {
		json_t *p = json_array_get(c, i);

		g->river[i][0] = json_number_value(json_array_get(p, 1));
		g->river[i][1] = json_number_value(json_array_get(p, 0));
	}
	g->nriver = g->river ? json_array_size(c) : 0;
	json_decref(j);
}

struct demo_gen *
demo_gen_new(const struct model *m, const char *nation, uint64_t seed,
    int days, int per_day)
{
	struct demo_gen *g = calloc(1, sizeof *g);
	size_t i, n = model_category_count(m);
	double sum = 0;

	if (g == NULL)
		return NULL;
	g->m = m;
	snprintf(g->nation, sizeof g->nation, "%s", nation);
	snprintf(g->partner, sizeof g->partner, "%s",
	    strcmp(nation, "ML") == 0 ? "SN" : "ML");
	g->rng = seed * 0x2545f4914f6cdd1dULL + 1;
	g->days = days;
	g->per_day = per_day > 0 ? per_day : 1;
	g->leaves = calloc(n + 1, sizeof *g->leaves);
	g->weights = calloc(n + 1, sizeof *g->weights);
	if (g->leaves == NULL || g->weights == NULL) {
		demo_gen_free(g);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		const struct model_category *c = model_category_at(m, i);
		double w = domain_weight(model_category_id(c));

		if (!model_category_is_leaf(c) || w <= 0)
			continue;
		sum += w;
		g->leaves[g->nleaves] = c;
		g->weights[g->nleaves++] = sum;
	}
	load_river(g);
	return g;
}

void
demo_gen_free(struct demo_gen *g)
{
	size_t i;

	if (g == NULL)
		return;
	for (i = g->qpos; i < g->qn; i++)
		json_decref(g->queue[i]);
	free(g->queue);
	free(g->qids);
	free(g->qt);
	free(g->leaves);
	free(g->weights);
	free(g->river);
	free(g);
}

/* A position for a record of category id. */
static void
place_for(struct demo_gen *g, const char *id, double *lat, double *lon)
{
	double j = 0.04;

	if (strncmp(id, "environment.", 12) == 0 && g->nriver > 0) {
		size_t k = (size_t)pick(g, (int)g->nriver);

		*lat = g->river[k][0];
		*lon = g->river[k][1];
		j = 0.01;
	} else if (strncmp(id, "corridor.", 9) == 0) {
		const double (*r)[2] = unif(g) < 0.7 ? north_route :
		    south_route;
		int k = pick(g, 4);
		double f = unif(g);

		*lat = r[k][0] + (r[k + 1][0] - r[k][0]) * f;
		*lon = r[k][1] + (r[k + 1][1] - r[k][1]) * f;
		j = 0.005;
	} else {
		const struct place *p;

		do
			p = &places[pick(g, sizeof places / sizeof places[0])];
		while (strcmp(p->nation, g->nation) != 0 && unif(g) < 0.8);
		*lat = p->lat;
		*lon = p->lon;
	}
	*lat += (unif(g) * 2 - 1) * j;
	*lon += (unif(g) * 2 - 1) * j;
	*lat = round(*lat * 1e5) / 1e5;
	*lon = round(*lon * 1e5) / 1e5;
}

/* A plausible number for an attribute, shaped by its key. */
static double
shaped(struct demo_gen *g, const char *key, double lo, double hi)
{
	double u = unif(g), v;

	if (strstr(key, "mercury"))
		v = exp(log(3.0) + 0.9 * (u * 2 - 1) * 1.6);
	else if (strstr(key, "turbidity"))
		v = 5 + pow(u, 2) * 600;
	else if (strstr(key, "cyanide"))
		v = pow(u, 3) * 0.4;
	else if (strstr(key, "arsenic"))
		v = 2 + pow(u, 2) * 30;
	else if (strcmp(key, "ph") == 0)
		v = 6.2 + u * 2.4;
	else if (strstr(key, "tss"))
		v = 20 + pow(u, 2) * 1500;
	else if (strstr(key, "temp"))
		v = 24 + u * 10;
	else if (strstr(key, "xof") || strstr(key, "payment"))
		v = 500 * (1 + pick(g, 20));
	else if (strstr(key, "minutes") || strstr(key, "wait"))
		v = 5 + pow(u, 2) * 240;
	else if (strstr(key, "km"))
		v = u * 700;
	else
		v = lo + u * ((hi < lo + 60 ? hi : lo + 60) - lo);
	if (v < lo)
		v = lo;
	if (v > hi)
		v = hi;
	return v;
}

static const char *
text_for(struct demo_gen *g, const char *id)
{
	if (strncmp(id, "security.", 9) == 0)
		return texts_security[pick(g, 5)];
	if (strncmp(id, "corridor.", 9) == 0)
		return texts_corridor[pick(g, 4)];
	if (strncmp(id, "environment.", 12) == 0)
		return texts_environment[pick(g, 4)];
	return texts_other[pick(g, 4)];
}

static json_t *
attr_value(struct demo_gen *g, const struct model_category *c,
    const char *key, int64_t t)
{
	double lo = 0, hi = 1e9;
	int has = model_attr_range(c, key, &lo, &hi);
	size_t nv, i;
	char ts[40];

	if (!(has & 1))
		lo = 0;
	if (!(has & 2))
		hi = lo + 1e6;
	switch (model_attr_type(c, key)) {
	case MODEL_INTEGER:
		return json_integer((json_int_t)floor(shaped(g, key, lo, hi)));
	case MODEL_NUMBER:
		return json_real(round(shaped(g, key, lo, hi) * 100) / 100);
	case MODEL_BOOLEAN:
		return json_boolean(unif(g) < 0.4);
	case MODEL_ENUM:
		nv = model_enum_count(c, key);
		return nv ? json_string(model_enum_id_at(c, key,
		    (size_t)pick(g, (int)nv))) : NULL;
	case MODEL_MULTI_ENUM: {
		json_t *a = json_array();
		size_t first;

		nv = model_enum_count(c, key);
		if (nv == 0)
			return a;
		first = (size_t)pick(g, (int)nv);
		json_array_append_new(a, json_string(model_enum_id_at(c, key,
		    first)));
		i = (size_t)pick(g, (int)nv);
		if (i != first && unif(g) < 0.5)
			json_array_append_new(a, json_string(
			    model_enum_id_at(c, key, i)));
		return a;
	}
	case MODEL_DATETIME:
		return json_string(util_time_format(t + (int64_t)(unif(g) * 30)
		    * 86400000LL, ts, sizeof ts));
	case MODEL_TEXT: {
		const char *s = text_for(g, model_category_id(c));
		size_t max = model_attr_max_length(c, key);

		if (max && strlen(s) > max)
			return json_stringn(s, max); /* ASCII-safe phrases */
		return json_string(s);
	}
	}
	return NULL;
}

static json_t *
make_record(struct demo_gen *g, int64_t t)
{
	double r = unif(g) * g->weights[g->nleaves - 1];
	const struct model_category *c;
	const char *id;
	size_t lo = 0, hi = g->nleaves - 1, i;
	json_t *j, *attrs;
	double lat, lon, u;
	char ts[40];
	int geom;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (g->weights[mid] < r)
			lo = mid + 1;
		else
			hi = mid;
	}
	c = g->leaves[lo];
	id = model_category_id(c);
	j = json_object();
	json_object_set_new(j, "category", json_string(id));
	json_object_set_new(j, "observed_at",
	    json_string(util_time_format(t, ts, sizeof ts)));
	geom = model_category_geometry(c);
	if (geom != MODEL_GEOM_NONE) {
		place_for(g, id, &lat, &lon);
		if (geom == MODEL_GEOM_LINE)
			json_object_set_new(j, "geometry", json_pack(
			    "{s:s, s:[[f,f],[f,f],[f,f]]}", "type",
			    "LineString", "coordinates", lon, lat, lon + 0.01,
			    lat + 0.004, lon + 0.02, lat + 0.01));
		else if (geom == MODEL_GEOM_POLYGON)
			json_object_set_new(j, "geometry", json_pack(
			    "{s:s, s:[[[f,f],[f,f],[f,f],[f,f],[f,f]]]}",
			    "type", "Polygon", "coordinates", lon, lat,
			    lon + 0.01, lat, lon + 0.01, lat + 0.01, lon,
			    lat + 0.01, lon, lat));
		else
			json_object_set_new(j, "geometry", json_pack(
			    "{s:s, s:[f,f]}", "type", "Point", "coordinates",
			    lon, lat));
	}
	attrs = json_object();
	for (i = 0; i < model_attr_count(c); i++) {
		const char *key = model_attr_key_at(c, i);
		json_t *v;

		if (!model_attr_required(c, key) && unif(g) < 0.35)
			continue;
		if ((v = attr_value(g, c, key, t)) != NULL)
			json_object_set_new(attrs, key, v);
	}
	json_object_set_new(j, "attributes", attrs);
	u = unif(g);
	if (u < 0.45)
		json_object_set_new(j, "audience", json_string(g->nation));
	else if (u < 0.9)
		json_object_set_new(j, "audience", json_pack("[s,s]", g->nation,
		    g->partner));
	else
		json_object_set_new(j, "audience", json_pack("[s,s,s]",
		    g->nation, g->partner, "MR"));
	return j;
}

static int
by_time(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int
fill_day(struct demo_gen *g)
{
	int64_t base = DEMO_START_MS + (int64_t)g->day * 86400000LL;
	size_t n, i;

	if (g->day >= g->days || g->nleaves == 0)
		return 0;
	/* Busier some days than others: 50% to 150% of per_day. */
	n = (size_t)(g->per_day * (0.5 + unif(g)));
	if (n == 0)
		n = 1;
	if (n > g->qcap) {
		free(g->queue);
		free(g->qids);
		free(g->qt);
		g->queue = calloc(n, sizeof *g->queue);
		g->qids = calloc(n, sizeof *g->qids);
		g->qt = calloc(n, sizeof *g->qt);
		if (!g->queue || !g->qids || !g->qt)
			return 0;
		g->qcap = n;
	}
	for (i = 0; i < n; i++)
		g->qt[i] = base + (int64_t)(unif(g) * 86400) * 1000;
	qsort(g->qt, n, sizeof *g->qt, by_time);
	for (i = 0; i < n; i++) {
		int k;

		g->queue[i] = make_record(g, g->qt[i]);
		/* A UUIDv7 of the observed time, random bits from the seed. */
		for (k = 0; k < 6; k++)
			g->qids[i][k] = (uint8_t)((uint64_t)g->qt[i] >>
			    (40 - 8 * k));
		for (k = 6; k < 16; k++)
			g->qids[i][k] = (uint8_t)next(g);
		g->qids[i][6] = (uint8_t)(0x70 | (g->qids[i][6] & 0x0f));
		g->qids[i][8] = (uint8_t)(0x80 | (g->qids[i][8] & 0x3f));
	}
	g->qn = n;
	g->qpos = 0;
	g->day++;
	return 1;
}

json_t *
demo_gen_next(struct demo_gen *g)
{
	if (g == NULL)
		return NULL;
	while (g->qpos >= g->qn)
		if (!fill_day(g))
			return NULL;
	memcpy(g->last_id, g->qids[g->qpos], 16);
	return g->queue[g->qpos++];
}

void
demo_gen_id(struct demo_gen *g, uint8_t id[16])
{
	memcpy(id, g->last_id, 16);
}

int
demo_seed(struct node *n, int days, uint64_t seed,
    void (*progress)(void *, int, int), void *arg, int64_t *count,
    struct dib_diag *d)
{
	struct demo_gen *g;
	struct record *recs = NULL;
	size_t cap = 0, m = 0, i;
	int64_t now = util_now_ms();
	int day = -1, rc = DIB_OK;
	json_t *j;

	*count = 0;
	if (days < 1 || days > 3650)
		return dib_fail(d, DIB_EINVAL, "days", "must be from 1 to 3650");
	if ((g = demo_gen_new(n->model, n->nation, seed, days, 14)) == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	for (;;) {
		int today;

		j = demo_gen_next(g);
		today = g->day;
		if (m > 0 && (j == NULL || today != day)) {
			if ((rc = node_append(n, recs, m, d)) != 0)
				break;
			*count += (int64_t)m;
			for (i = 0; i < m; i++)
				record_clear(&recs[i]);
			m = 0;
			if (progress)
				progress(arg, day, days);
		}
		if (j == NULL)
			break;
		day = today;
		if (m == cap) {
			struct record *nr;

			cap = cap ? cap * 2 : 64;
			if ((nr = realloc(recs, cap * sizeof *nr)) == NULL) {
				rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
				json_decref(j);
				break;
			}
			recs = nr;
		}
		{
			uint8_t id[16];
			int64_t t;

			demo_gen_id(g, id);
			util_time_parse(json_string_value(json_object_get(j,
			    "observed_at")), &t, "observed_at", NULL);
			if (t > now) {  /* The demo stops at today. */
				json_decref(j);
				continue;
			}
			rc = record_from_json(n->model, j, n->nation, id,
			    &recs[m], d);
			json_decref(j);
			if (rc != 0)
				break;
			m++;
		}
	}
	for (i = 0; i < m; i++)
		record_clear(&recs[i]);
	free(recs);
	demo_gen_free(g);
	return rc;
}
