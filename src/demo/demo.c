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

#include "fed/cert.h"
#include "fed/sync.h"
#include "log/record.h"
#include "model/model.h"
#include "node/node.h"
#include "patrol/patrol.h"
#include "store/store.h"
#include "track/track.h"
#include "util/buf.h"
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

/* splitmix64: good enough and the same on every machine. */
static uint64_t
mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
next(struct demo_gen *g)
{
	return mix(&g->rng);
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

/* ---- joint patrols on two nodes ---- */

enum { F_COMPLETED, F_ABORTED, F_UNDERWAY, F_AWAITING, F_AMENDED };

/* The seeded patrols: where along the Falémé, when, and how they end. */
static const struct demo_patrol {
	const char *code;
	int day, hour, hours;           /* window: days after 20 Feb 2025 */
	const char *type;
	double north, south;            /* the stretch of the river (lat) */
	double west;                    /* route offset, degrees of longitude
	                                 * (negative: the Senegalese bank) */
	const char *objective;
	int fate;
} demo_patrols[] = {
	{"JP-001", 0, 7, 10, "vehicle", 14.70, 14.39, -0.012,
	    "Patrouille inaugurale conjointe : sécurisation du pont de "
	    "Kidira–Diboli et de ses abords.", F_COMPLETED},
	{"JP-002", 3, 6, 9, "boat", 14.46, 14.10, 0.0,
	    "Patrouille fluviale en pirogue sur la Falémé, de Kidira vers le "
	    "sud : dragues et traversées.", F_COMPLETED},
	{"JP-003", 10, 6, 30, "vehicle", 14.10, 13.55, -0.015,
	    "Reconnaissance des sites d'orpaillage de la rive gauche et de la "
	    "bande des 500 m.", F_COMPLETED},
	{"JP-004", 17, 5, 12, "mixed", 13.55, 13.05, -0.012,
	    "Contrôle des gués et des pistes de contrebande de carburant.",
	    F_AMENDED},
	{"JP-005", 25, 6, 36, "vehicle", 13.10, 12.85, -0.015,
	    "Liaison vers Moussala–Mahinamine le long de la Falémé, corridor "
	    "sud.", F_COMPLETED},
	{"JP-006", 34, 6, 10, "boat", 14.20, 13.85, 0.0,
	    "Patrouille fluviale : dragues signalées en amont.", F_ABORTED},
	{"JP-007", 46, 18, 12, "vehicle", 14.70, 14.35, -0.012,
	    "Patrouille de nuit autour de Kidira–Diboli après les alertes du "
	    "poste.", F_COMPLETED},
	{"JP-008", 61, 6, 10, "foot", 12.95, 12.62, -0.008,
	    "Patrouille à pied vers le gué de Satadougou.", F_COMPLETED},
	{"JP-009", 75, 6, 10, "boat", 14.10, 13.70, 0.0,
	    "Patrouille fluviale : prélèvements d'eau et contrôle des "
	    "dragues.", F_COMPLETED},
	{"JP-010", 92, 6, 48, "vehicle", 14.46, 13.90, -0.015,
	    "Patrouille de deux jours le long de la Falémé, de Kidira vers le "
	    "sud.", F_COMPLETED},
	{"JP-011", 116, 6, 168, "mixed", 14.70, 14.10, -0.012,
	    "Dispositif d'une semaine autour de Kidira–Diboli.", F_UNDERWAY},
	{"JP-012", 124, 6, 10, "boat", 14.46, 14.10, 0.0,
	    "Patrouille fluviale de Kidira vers le sud.", F_AWAITING},
};

static const char *const sn_units[][2] = {
	{"Détachement du GARSI de Kidira", "Lieutenant"},
	{"Brigade de gendarmerie de Kidira", "Adjudant-chef"},
	{"Compagnie de la Zone militaire n°4", "Capitaine"},
	{"Section fluviale de la Zone militaire n°4", "Sergent-chef"},
};
static const char *const ml_units[][2] = {
	{"Détachement de la Région militaire n°4", "Lieutenant"},
	{"Commissariat de police de Diboli", "Commissaire"},
	{"Compagnie de Kayes, Région militaire n°4", "Capitaine"},
	{"Section fluviale de la Région militaire n°4", "Sergent-chef"},
};

#define HOUR_MS 3600000LL
#define DAY_MS 86400000LL
#define ROUTE_MAX 40

/* What the seeding keeps of one patrol between the phases. */
struct seeded {
	const struct demo_patrol *p;
	uint8_t id[16];
	int64_t created, t0, t1;        /* plan made; window */
	double route[ROUTE_MAX][2];     /* lon, lat */
	size_t npts;
	double hand[2];                 /* the handover point, lon lat */
};

void
demo_seeded_id(uint64_t *rng, int64_t t, uint8_t id[16])
{
	int k;

	for (k = 0; k < 6; k++)
		id[k] = (uint8_t)((uint64_t)t >> (40 - 8 * k));
	for (k = 6; k < 16; k++)
		id[k] = (uint8_t)mix(rng);
	id[6] = (uint8_t)(0x70 | (id[6] & 0x0f));
	id[8] = (uint8_t)(0x80 | (id[8] & 0x3f));
}

/* The route of p: the border line (the Falémé) between its latitudes,
** moved west by p->west, at most ROUTE_MAX points. */
static int
seed_route(const json_t *river, struct seeded *s)
{
	size_t i, n = json_array_size(river), in = 0, step, k;

	for (i = 0; i < n; i++) {
		double lat = json_number_value(json_array_get(json_array_get(
		    river, i), 1));

		in += lat <= s->p->north && lat >= s->p->south;
	}
	if (in < 2)
		return -1;
	step = (in + ROUTE_MAX - 1) / ROUTE_MAX;
	s->npts = 0;
	for (i = 0, k = 0; i < n; i++) {
		const json_t *pt = json_array_get(river, i);
		double lon = json_number_value(json_array_get(pt, 0));
		double lat = json_number_value(json_array_get(pt, 1));

		if (lat > s->p->north || lat < s->p->south)
			continue;
		/* The handover point: on the river, mid-stretch. */
		if (k == in / 2) {
			s->hand[0] = lon;
			s->hand[1] = lat;
		}
		/* Every step-th point, and the last. */
		if (k++ % step != 0 && k != in)
			continue;
		if (s->npts < ROUTE_MAX) {
			s->route[s->npts][0] = round((lon + s->p->west) * 1e5) /
			    1e5;
			s->route[s->npts][1] = lat;
			s->npts++;
		}
	}
	return s->npts >= 2 ? 0 : -1;
}

static json_t *
point_json(double lon, double lat)
{
	return json_pack("{s:s, s:[f,f]}", "type", "Point", "coordinates", lon,
	    lat);
}

static char *
ts_of(int64_t ms, char *out)
{
	return util_time_format(ms, out, 40);
}

static int
seed_create(struct node *n, struct seeded *s, uint64_t *rng, int shift_days,
    int amend, struct dib_diag *d)
{
	struct patrol_opts o;
	char a[40], b[40];
	uint8_t id[16], got[16];
	json_t *in, *line;
	size_t i;
	int rc;

	line = json_array();
	for (i = 0; i < s->npts; i++)
		json_array_append_new(line, json_pack("[f,f]", s->route[i][0],
		    s->route[i][1]));
	in = json_pack("{s:s, s:s, s:s, s:s, s:s, s:[s,s], s:{s:s, s:o}}",
	    "code", s->p->code, "patrol_type", s->p->type, "objective",
	    s->p->objective, "window_start", ts_of(s->t0 + shift_days * DAY_MS,
	    a), "window_end", ts_of(s->t1 + shift_days * DAY_MS, b), "nations",
	    "SN", "ML", "geometry", "type", "LineString", "coordinates", line);
	if (in == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	o.at = amend ? s->created + 2 * DAY_MS : s->created;
	demo_seeded_id(rng, o.at, id);
	o.id = id;
	if (amend) {
		json_object_del(in, "code");
		json_object_del(in, "patrol_type");
		json_object_del(in, "objective");
		json_object_del(in, "nations");
		json_object_del(in, "geometry");
		rc = patrol_update(n, s->id, in, &o, got, d);
	} else {
		rc = patrol_create(n, in, &o, s->id, d);
	}
	json_decref(in);
	return rc;
}

/* One piece (unit, leg, debrief) or decision at time at. */
static int
seed_piece(struct node *n, struct seeded *s, uint64_t *rng, int64_t at,
    const char *what, json_t *in, int verb, const char *reason,
    struct dib_diag *d)
{
	struct patrol_opts o;
	uint8_t id[16], got[16];
	int rc;

	demo_seeded_id(rng, at, id);
	o.at = at;
	o.id = id;
	if (what == NULL)
		rc = patrol_act(n, s->id, verb, reason, &o, got, d);
	else if (strcmp(what, "unit") == 0)
		rc = patrol_add_unit(n, s->id, in, &o, got, d);
	else if (strcmp(what, "leg") == 0)
		rc = patrol_add_leg(n, s->id, in, &o, got, d);
	else
		rc = patrol_add_debrief(n, s->id, in, &o, got, d);
	json_decref(in);
	if (rc != 0) {
		char p[48];

		snprintf(p, sizeof p, "%s", s->p->code);
		dib_diag_prefix(d, p);
	}
	return rc;
}

static json_t *
unit_of(const char *const u[2], uint64_t *rng)
{
	return json_pack("{s:s, s:s, s:I}", "unit", u[0], "leader", u[1],
	    "strength", (json_int_t)(8 + mix(rng) % 18));
}

static json_t *
leg_of(const struct seeded *s, int seq, const char *lead, int64_t a,
    int64_t b)
{
	char x[40], y[40];

	return json_pack("{s:i, s:s, s:s, s:s, s:s, s:o}", "seq", seq,
	    "lead_nation", lead, "start", ts_of(a, x), "end", ts_of(b, y),
	    "remarks", seq == 1 ? "Relève au point de passage de la frontière." :
	    "Retour par la rive opposée.", "geometry", point_json(s->hand[0],
	    s->hand[1]));
}

/* An observation made during patrol s, linked to it. */
static int
seed_observation(struct node *n, struct seeded *s, uint64_t *rng,
    int64_t at, struct dib_diag *d)
{
	struct record r;
	const double *p = s->route[mix(rng) % s->npts];
	char ts[40], pid[37];
	uint8_t id[16];
	json_t *in, *attrs;
	const char *cat;
	int rc;

	if (strcmp(s->p->type, "boat") == 0) {
		cat = "environment.dredge_sighting";
		attrs = json_pack("{s:I, s:s, s:b, s:s}", "dredges",
		    (json_int_t)(2 + mix(rng) % 6), "bank", "river",
		    "within_500m_band", 1, "remarks", "Dragues en activité "
		    "observées par la patrouille mixte.");
	} else if (strcmp(s->p->type, "vehicle") == 0) {
		cat = "security.smuggling.fuel";
		attrs = json_pack("{s:s, s:I, s:s, s:s}", "source", "patrol",
		    "quantity", (json_int_t)(100 * (2 + mix(rng) % 8)),
		    "fuel_type", "petrol", "remarks", "Bidons abandonnés sur la "
		    "rive à l'approche de la patrouille.");
	} else {
		cat = "security.suspicious_activity";
		attrs = json_pack("{s:s, s:s, s:I, s:s}", "source", "patrol",
		    "activity", "unusual_movement", "persons",
		    (json_int_t)(2 + mix(rng) % 5), "remarks", "Groupe parti "
		    "vers la rive opposée à l'arrivée de la patrouille.");
	}
	in = json_pack("{s:s, s:s, s:o, s:o, s:s, s:s}", "category", cat,
	    "observed_at", ts_of(at, ts), "geometry", point_json(p[0] + 0.002,
	    p[1]), "attributes", attrs, "audience", "ML,SN", "patrol",
	    util_uuid_format(s->id, pid));
	if (in == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	demo_seeded_id(rng, at, id);
	if ((rc = record_from_json(n->model, in, n->nation, id, &r, d)) == 0)
		rc = node_append(n, &r, 1, d);
	record_clear(&r);
	json_decref(in);
	return rc;
}

/* A uniform number in [0, 1) from the seed. */
static double
unit_rng(uint64_t *rng)
{
	return (double)(mix(rng) >> 11) / 9007199254740992.0;
}

/* Patrol speed by type (m/s): pickups on laterite, pirogues, on foot. */
static double
type_speed(const char *type)
{
	if (strcmp(type, "vehicle") == 0)
		return 7.0;
	if (strcmp(type, "boat") == 0)
		return 4.0;
	if (strcmp(type, "foot") == 0)
		return 1.3;
	return 3.0;
}

/*
** A GPS track of one nation's leg of patrol s, uploaded by n: SN's first
** half of the route from its start, ML's second half on the opposite bank
** (on the river for pirogues), from t0 at the type's speed, a fix every
** 5 to 10 s with a few metres of noise; now and then a duplicate fix, a
** GPS gap of several minutes, a fix out of order or a spike, as field
** units give them, so that cleaning has something to report.
*/
static int
seed_track(struct node *n, struct seeded *s, uint64_t *rng, int64_t t0,
    int64_t t1, struct dib_diag *d)
{
	int ml = strcmp(n->nation, "ML") == 0;
	size_t half = s->npts / 2, a = ml ? half : 0, b = ml ? s->npts - 1 :
	    half, i;
	double path[ROUTE_MAX][2], total = 0, v = type_speed(s->p->type);
	double at = 0, fix = 0, ele = 25;
	struct patrol_track_batch batch;
	struct patrol_track_in in;
	struct patrol_opts o;
	struct track tr;
	uint8_t id[16];
	int64_t t = t0 + 10 * 60000;
	size_t np = 0, k = 0;
	int rc;

	for (i = a; i <= b && np < ROUTE_MAX; i++) {
		path[np][0] = s->route[i][0] - (ml ? 2 * s->p->west : 0);
		path[np][1] = s->route[i][1];
		np++;
	}
	for (i = 1; i < np; i++) {
		struct track_point p = {path[i - 1][0], path[i - 1][1], 0, 0, 0};
		struct track_point q = {path[i][0], path[i][1], 0, 0, 0};

		total += track_distance_m(&p, &q);
	}
	if (np < 2 || total <= 0)
		return DIB_OK;
	/* Done within the leg, whatever the type. */
	if (total / v > (double)(t1 - t) / 1000 * 0.8)
		v = total / ((double)(t1 - t) / 1000 * 0.8);
	track_init(&tr, 0);
	for (i = 1, rc = 0; i < np && rc == 0; i++) {
		struct track_point p = {path[i - 1][0], path[i - 1][1], 0, 0, 0};
		struct track_point q = {path[i][0], path[i][1], 0, 0, 0};
		double len = track_distance_m(&p, &q), kx, ky;

		ky = 110600;
		kx = 111320 * cos(p.lat * 3.14159265358979 / 180);
		for (; at <= len && rc == 0; at += v * fix) {
			struct track_point f;
			double u = len > 0 ? at / len : 0;

			memset(&f, 0, sizeof f);
			f.lon = p.lon + u * (q.lon - p.lon) + (unit_rng(rng) -
			    0.5) * 6 / kx;
			f.lat = p.lat + u * (q.lat - p.lat) + (unit_rng(rng) -
			    0.5) * 6 / ky;
			ele += (unit_rng(rng) - 0.5) * 0.6;
			f.ele = ele;
			f.has_ele = 1;
			f.t = t;
			k++;
			if (k % 997 == 500) {
				/* A spike: a reflection off the cliffs. */
				struct track_point sp = f;

				sp.lat += 900 / ky;
				rc = track_add(&tr, &sp);
			}
			if (rc == 0)
				rc = track_add(&tr, &f);
			if (rc == 0 && k % 241 == 0)
				rc = track_add(&tr, &f);        /* a duplicate */
			if (rc == 0 && k % 613 == 0 && tr.n >= 2) {
				/* Two fixes logged out of order. */
				struct track_point x = tr.pts[tr.n - 2];

				tr.pts[tr.n - 2] = tr.pts[tr.n - 1];
				tr.pts[tr.n - 1] = x;
			}
			fix = 5 + (double)(mix(rng) % 6);
			if (k % 433 == 0)
				fix += 360 + (double)(mix(rng) % 300);  /* a gap */
			t += (int64_t)(fix * 1000);
		}
		at -= len;
	}
	if (rc != 0) {
		track_free(&tr);
		return dib_fail(d, rc, "track", "out of memory");
	}
	memset(&in, 0, sizeof in);
	in.source = PATROL_SOURCE_DEVICE;
	o.at = t;
	demo_seeded_id(rng, t, id);
	o.id = id;
	in.o = &o;
	rc = patrol_add_track(n, s->id, &tr, &in, &batch, d);
	patrol_track_batch_free(&batch);
	track_free(&tr);
	if (rc != 0)
		dib_diag_prefix(d, s->p->code);
	return rc;
}

/*
** Send what from holds for to's nation into to, as one sync payload
** applied in one transaction (what diboli sync and bundles do).
*/
int
demo_transfer(struct node *from, struct node *to, struct dib_diag *d)
{
	struct sync_summary theirs;
	struct sync_sink o = {sync_buf_write, NULL};
	struct sync_sent sent;
	struct sync_apply a;
	struct buf b;
	int rc;

	memset(&theirs, 0, sizeof theirs);
	memset(&sent, 0, sizeof sent);
	buf_init(&b, (size_t)1 << 31);
	o.arg = &b;
	if ((rc = store_exec(from->store, "BEGIN", d)) != 0)
		goto out;
	if ((rc = sync_summary_make(to->store, from->nation, &theirs, d)) ==
	    0 && (rc = sync_put_version(&o, d)) == 0 &&
	    (rc = sync_put_blocks(from->store, to->nation, &theirs, 0, &o,
	    &sent, d)) == 0)
		rc = sync_put_end(&o, d);
	store_exec(from->store, "COMMIT", NULL);
	if (rc != 0)
		goto out;
	sync_apply_init(&a, to);
	a.strict = 1;
	snprintf(a.from, sizeof a.from, "demo: %.60s", from->name);
	if ((rc = store_begin(to->store, d)) == 0) {
		if ((rc = sync_apply_feed(&a, b.p, b.len, d)) == 0 &&
		    (rc = sync_apply_finish(&a, d)) == 0)
			rc = store_commit(to->store, d);
		if (rc != 0)
			store_rollback(to->store);
	}
	if (a.nev > 0)
		sync_apply_audit(&a, "cli:demo");
	sync_apply_free(&a);
	if (rc != 0)
		dib_diag_prefix(d, "sync");
out:
	sync_summary_free(&theirs);
	buf_free(&b);
	return rc;
}

/* Records this node wrote itself. */
static int64_t
own_records(struct node *n)
{
	char sql[200];

	snprintf(sql, sizeof sql, "SELECT count(*) FROM entries e JOIN logs l "
	    "ON l.id = e.k >> %d WHERE l.origin = %lld", STORE_ENTRY_SHIFT,
	    (long long)n->signer.origin);
	return store_count(n->store, sql);
}

/* Will to accept what from signs? Checked before anything is written. */
int
demo_trusts(struct node *to, struct node *from, struct dib_diag *d)
{
	uint8_t *cert = NULL;
	size_t len = 0;
	int rc;

	if ((rc = cert_node_cert(from, &cert, &len, d)) == 0)
		rc = cert_check_origin(to->store, cert, len, util_now_ms(), NULL,
		    d);
	free(cert);
	if (rc != 0) {
		char why[sizeof d->msg];

		snprintf(why, sizeof why, "%s", d->msg);
		return dib_fail(d, rc == DIB_EDB ? DIB_EDB : DIB_EPERM, "sync",
		    "%s would refuse the records of %s: %s", to->name,
		    from->name, why);
	}
	return DIB_OK;
}

/* The phases of the seeding; each runs in one transaction of its node. */
enum { PH_PLAN, PH_ANSWER, PH_AMEND, PH_REAPPROVE, PH_RUN, PH_CLOSE,
    PH_COUNT };

static int
seed_phase(struct node *n, int phase, struct seeded *v, size_t nv,
    uint64_t *rng, struct dib_diag *d)
{
	size_t i;
	int rc = DIB_OK;

	for (i = 0; i < nv && rc == 0; i++) {
		struct seeded *s = &v[i];
		const struct demo_patrol *p = s->p;
		size_t u = (size_t)(i % 4);
		int64_t c = s->created, t0 = s->t0, t1 = s->t1;
		int done = p->fate == F_COMPLETED || p->fate == F_AMENDED;

		if (strcmp(p->type, "boat") == 0)
			u = 3;
		if (p->fate == F_AMENDED) {
			t0 += DAY_MS;
			t1 += DAY_MS;
		}
		switch (phase) {
		case PH_PLAN:
			if ((rc = seed_create(n, s, rng, 0, 0, d)) != 0)
				break;
			if ((rc = seed_piece(n, s, rng, c + HOUR_MS, "unit",
			    unit_of(sn_units[u], rng), 0, NULL, d)) != 0 ||
			    (rc = seed_piece(n, s, rng, c + HOUR_MS, "leg",
			    leg_of(s, 1, "SN", s->t0, (s->t0 + s->t1) / 2), 0,
			    NULL, d)) != 0 ||
			    (rc = seed_piece(n, s, rng, c + 2 * HOUR_MS, NULL,
			    NULL, PATROL_PROPOSE, NULL, d)) != 0)
				break;
			rc = seed_piece(n, s, rng, c + 4 * HOUR_MS, NULL, NULL,
			    PATROL_APPROVE, NULL, d);
			break;
		case PH_ANSWER:
			if (p->fate == F_AWAITING)
				break;
			if ((rc = seed_piece(n, s, rng, c + DAY_MS, "unit",
			    unit_of(ml_units[u], rng), 0, NULL, d)) != 0 ||
			    (rc = seed_piece(n, s, rng, c + DAY_MS, "leg",
			    leg_of(s, 2, "ML", (s->t0 + s->t1) / 2, s->t1), 0,
			    NULL, d)) != 0)
				break;
			if (p->fate == F_AMENDED)
				rc = seed_piece(n, s, rng, c + DAY_MS + HOUR_MS,
				    NULL, NULL, PATROL_REJECT, "Fenêtre en "
				    "conflit avec une opération de la Région "
				    "militaire n°4 : proposer le lendemain.", d);
			else
				rc = seed_piece(n, s, rng, c + DAY_MS + 2 *
				    HOUR_MS, NULL, NULL, PATROL_APPROVE, NULL, d);
			break;
		case PH_AMEND:
			if (p->fate != F_AMENDED)
				break;
			if ((rc = seed_create(n, s, rng, 1, 1, d)) == 0)
				rc = seed_piece(n, s, rng, c + 2 * DAY_MS +
				    HOUR_MS, NULL, NULL, PATROL_APPROVE, NULL, d);
			break;
		case PH_REAPPROVE:
			if (p->fate != F_AMENDED)
				break;
			rc = seed_piece(n, s, rng, c + 2 * DAY_MS + 3 * HOUR_MS,
			    NULL, NULL, PATROL_APPROVE, NULL, d);
			break;
		case PH_RUN:
			if (p->fate == F_AWAITING)
				break;
			if ((rc = seed_piece(n, s, rng, t0, NULL, NULL,
			    PATROL_START, NULL, d)) != 0 ||
			    (rc = seed_observation(n, s, rng, t0 + HOUR_MS +
			    (int64_t)(mix(rng) % 3) * HOUR_MS, d)) != 0)
				break;
			/* SN's leg: the first half of the window. */
			if ((done || p->fate == F_UNDERWAY) &&
			    (rc = seed_track(n, s, rng, t0, (t0 + t1) / 2, d)) !=
			    0)
				break;
			if (p->fate == F_ABORTED) {
				if ((rc = seed_piece(n, s, rng, t0 + 3 * HOUR_MS,
				    NULL, NULL, PATROL_ABORT, "Crue subite de la "
				    "Falémé : navigation dangereuse, retour à "
				    "Kidira.", d)) == 0)
					rc = seed_piece(n, s, rng, t0 + 5 * HOUR_MS,
					    "debrief", json_pack("{s:s}", "text",
					    "Patrouille interrompue après trois "
					    "heures ; dragues observées avant le "
					    "demi-tour, aucun incident."), 0, NULL,
					    d);
			} else if (done) {
				if ((rc = seed_piece(n, s, rng, t1, NULL, NULL,
				    PATROL_COMPLETE, NULL, d)) == 0)
					rc = seed_piece(n, s, rng, t1 + 2 *
					    HOUR_MS, "debrief", json_pack("{s:s}",
					    "text", "Itinéraire parcouru comme "
					    "prévu ; relève effectuée au point "
					    "convenu ; observations transmises "
					    "au partenaire."), 0, NULL, d);
			}
			break;
		case PH_CLOSE:
			if (p->fate == F_AWAITING)
				break;
			if ((rc = seed_observation(n, s, rng, t0 + 2 * HOUR_MS,
			    d)) != 0)
				break;
			/* ML's leg: the second half, back on its bank. */
			if ((done || p->fate == F_UNDERWAY) &&
			    (rc = seed_track(n, s, rng, (t0 + t1) / 2, t1, d)) !=
			    0)
				break;
			if (done || p->fate == F_ABORTED) {
				rc = seed_piece(n, s, rng, (done ? t1 : t0) + 4 *
				    HOUR_MS, "debrief", json_pack("{s:s}", "text",
				    done ? "Patrouille conduite sans incident "
				    "sur la rive droite ; coordination radio "
				    "satisfaisante." : "Retour au poste de "
				    "Diboli après l'annulation."), 0, NULL, d);
			}
			break;
		}
	}
	return rc;
}

int
demo_seed_patrols_joint(struct node *sn, struct node *ml, uint64_t seed,
    int64_t *count, struct dib_diag *d)
{
	const struct dib_embedded *e =
	    dib_embed_find("mali_senegal_border.geojson");
	struct seeded v[sizeof demo_patrols / sizeof demo_patrols[0]];
	size_t i, nv = 0;
	int64_t now = util_now_ms();
	uint64_t rng = seed * 0x2545f4914f6cdd1dULL + 7;
	json_t *j = NULL, *river;
	int phase, rc = DIB_OK;

	*count = 0;
	if (strcmp(sn->nation, "SN") != 0 || strcmp(ml->nation, "ML") != 0)
		return dib_fail(d, DIB_EINVAL, "partner", "the demo patrols are "
		    "planned by a node of SN with a partner node of ML (got %s "
		    "and %s)", sn->nation, ml->nation);
	if ((rc = demo_trusts(ml, sn, d)) != 0 ||
	    (rc = demo_trusts(sn, ml, d)) != 0)
		return rc;
	if (e == NULL || (j = json_loadb((const char *)e->data, e->len, 0,
	    NULL)) == NULL)
		return dib_fail(d, DIB_ENOTFOUND, "", "the border geometry is "
		    "not embedded");
	river = json_object_get(json_object_get(json_array_get(
	    json_object_get(j, "features"), 0), "geometry"), "coordinates");
	for (i = 0; i < sizeof demo_patrols / sizeof demo_patrols[0]; i++) {
		struct seeded *s = &v[nv];

		memset(s, 0, sizeof *s);
		s->p = &demo_patrols[i];
		s->t0 = DEMO_START_MS + s->p->day * DAY_MS + s->p->hour * HOUR_MS;
		s->t1 = s->t0 + s->p->hours * HOUR_MS;
		s->created = s->t0 - 3 * DAY_MS;
		/* The demo stops at today: nothing seeded in the future. */
		if (s->t1 + 3 * DAY_MS > now || seed_route(river, s) != 0)
			continue;
		nv++;
	}
	json_decref(j);
	/* Plans and SN's decisions on SN's node; ML's answers on ML's
	 * node once it holds them; back and forth as sync would. */
	for (phase = 0; phase < PH_COUNT && rc == 0; phase++) {
		struct node *n = phase % 2 == 0 ? sn : ml;
		struct node *other = n == sn ? ml : sn;
		int64_t before;

		if ((rc = store_begin(n->store, d)) != 0)
			break;
		before = own_records(n);
		if ((rc = seed_phase(n, phase, v, nv, &rng, d)) == 0)
			rc = store_commit(n->store, d);
		if (rc != 0) {
			store_rollback(n->store);
			break;
		}
		*count += own_records(n) - before;
		rc = demo_transfer(n, other, d);
	}
	return rc;
}
