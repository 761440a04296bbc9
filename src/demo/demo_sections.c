/*
** The demo history of the border sections on a pair of nodes: each
** nation's first assessment of every section on 20 February 2025, then
** the raises and lowerings of a plausible year (fuel smuggling at
** Kidira–Diboli, gold dredges on the Falémé, the attacks of 1 July 2025
** on Diboli, the blockade of Kayes), each written by its own nation's
** node through src/patrol/section.c, the notices crossing by sync.
*/
#include "demo/demo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo/reference.h"
#include "node/node.h"
#include "patrol/section.h"
#include "store/store.h"
#include "util/util.h"

#define MINUTE_MS 60000LL

/* One level set by one nation, in time order per nation. */
struct demo_level {
	const char *at;                 /* RFC 3339 */
	const char *nation;
	const char *section;
	const char *level;
	const char *reason;
};

/* The first assessment: low everywhere but the gold-mining reaches of
** the Falémé (medium), by each nation. */
static const char *const initial_medium[] = {"SEC-05", "SEC-12", NULL};

#define INITIAL "2025-02-20T08:00:00Z"
#define INITIAL_REASON "Évaluation initiale au lancement des patrouilles " \
    "conjointes à Diboli (20 février 2025)."

static const struct demo_level demo_levels[] = {
	{"2025-03-14T09:10:00Z", "SN", "SEC-02", "medium",
	    "Hausse de la contrebande de carburant entre Kidira et Diboli : "
	    "quatre saisies de bidons en une semaine sur la rive gauche de "
	    "la Falémé."},
	{"2025-03-16T10:30:00Z", "ML", "SEC-02", "medium",
	    "Trafic de carburant et de bétail signalé autour du pont de "
	    "Diboli ; renfort de la police des frontières."},
	{"2025-04-10T08:45:00Z", "SN", "SEC-06", "high",
	    "Dragues suceuses en activité dans la bande des 500 m de la rive "
	    "gauche (décret n°2024-1502) ; eau de la Falémé très turbide en "
	    "aval."},
	{"2025-04-12T11:00:00Z", "ML", "SEC-06", "medium",
	    "Sites d'orpaillage actifs sur la rive droite ; rixes entre "
	    "exploitants signalées au poste."},
	{"2025-05-05T07:50:00Z", "SN", "SEC-12", "high",
	    "Passages de motos chargées de mercure et de cyanure au gué de "
	    "Satadougou ; orpaillage clandestin en hausse."},
	{"2025-06-02T09:00:00Z", "ML", "SEC-02", "low",
	    "Contrebande en baisse après les patrouilles conjointes de mai."},
	{"2025-07-01T06:40:00Z", "ML", "SEC-02", "critical",
	    "Attaques coordonnées contre les postes de police et de douane de "
	    "Diboli ; pont fermé à la circulation."},
	{"2025-07-01T08:15:00Z", "SN", "SEC-02", "high",
	    "Attaques contre les postes maliens de Diboli ; dispositif de "
	    "Kidira renforcé, contrôle de tous les véhicules au pont."},
	{"2025-07-03T10:00:00Z", "SN", "SEC-01", "medium",
	    "Mouvements suspects signalés vers la confluence après les "
	    "attaques du 1er juillet."},
	{"2025-08-15T09:30:00Z", "ML", "SEC-02", "high",
	    "Postes de Diboli réoccupés ; pont rouvert de jour."},
	{"2025-09-14T07:20:00Z", "ML", "SEC-02", "critical",
	    "Convois de carburant venant du Sénégal attaqués sur la RN1 après "
	    "le blocus déclaré de Kayes."},
	{"2025-09-14T12:05:00Z", "SN", "SEC-02", "critical",
	    "Convois vers le Mali escortés jusqu'au pont ; poids lourds "
	    "retenus à Kidira."},
	{"2025-10-20T16:00:00Z", "SN", "SEC-06", "medium",
	    "Dragues démantelées lors de la patrouille fluviale conjointe ; "
	    "activité résiduelle."},
	{"2025-11-10T09:00:00Z", "ML", "SEC-02", "high",
	    "Convois escortés sans incident depuis trois semaines."},
	{"2025-11-12T09:30:00Z", "SN", "SEC-02", "high",
	    "Reprise progressive du trafic des poids lourds au pont."},
	{"2025-12-05T08:10:00Z", "ML", "SEC-11", "medium",
	    "Vols de bétail répétés de part et d'autre de la frontière près "
	    "de Mahinamine."},
	{"2026-01-15T10:00:00Z", "SN", "SEC-02", "medium",
	    "Situation stabilisée ; contrôles renforcés maintenus au pont."},
	{"2026-02-20T09:00:00Z", "ML", "SEC-02", "medium",
	    "Un an de patrouilles conjointes : situation stabilisée, vigilance "
	    "maintenue."},
	{"2026-03-02T08:30:00Z", "SN", "SEC-06", "high",
	    "Reprise des dragues à la saison sèche ; turbidité au-dessus du "
	    "seuil à la station de Kidira."},
};

/* One level of n's nation at text time at; skipped when in the future. */
static int
seed_level(struct node *n, uint64_t *rng, const char *at, int64_t shift,
    const char *section, const char *level, const char *reason,
    int64_t *count, struct dib_diag *d)
{
	struct section_opts o;
	struct section_result res;
	uint8_t id[16];
	json_t *in;
	int64_t t;
	int rc;

	if (util_time_parse(at, &t, "at", d) != 0)
		return DIB_EINVAL;
	t += shift;
	demo_seeded_id(rng, t, id);
	if (t > util_now_ms())
		return DIB_OK;
	if ((in = json_pack("{s:s, s:s}", "level", level, "reason", reason)) ==
	    NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	o.at = t;
	o.id = id;
	rc = section_set(n, section, in, &o, &res, d);
	json_decref(in);
	if (rc != 0) {
		char p[80];

		snprintf(p, sizeof p, "%s %s %s", n->nation, section, at);
		dib_diag_prefix(d, p);
		return rc;
	}
	*count += 1 + (int64_t)res.nnotices;
	return DIB_OK;
}

/* Every level of n's nation, in one transaction. */
static int
seed_nation(struct node *n, const struct ref_sections *secs, uint64_t seed,
    int64_t *count, struct dib_diag *d)
{
	uint64_t rng = seed * 0x2545f4914f6cdd1dULL + (n->nation[0] == 'S' ?
	    11 : 13);
	size_t i, k;
	int rc;

	if ((rc = store_begin(n->store, d)) != 0)
		return rc;
	for (i = 0; i < secs->n && rc == 0; i++) {
		const char *level = "low";

		for (k = 0; initial_medium[k] != NULL; k++)
			if (strcmp(initial_medium[k], secs->v[i].id) == 0)
				level = "medium";
		rc = seed_level(n, &rng, INITIAL, (int64_t)i * MINUTE_MS +
		    (strcmp(n->nation, "ML") == 0 ? 30 * MINUTE_MS : 0),
		    secs->v[i].id, level, INITIAL_REASON, count, d);
	}
	for (i = 0; i < sizeof demo_levels / sizeof demo_levels[0] && rc == 0;
	    i++) {
		const struct demo_level *l = &demo_levels[i];

		if (strcmp(l->nation, n->nation) != 0)
			continue;
		rc = seed_level(n, &rng, l->at, 0, l->section, l->level,
		    l->reason, count, d);
	}
	if (rc == 0)
		rc = store_commit(n->store, d);
	if (rc != 0)
		store_rollback(n->store);
	return rc;
}

int
demo_seed_sections(struct node *sn, struct node *ml, uint64_t seed,
    int64_t *count, struct dib_diag *d)
{
	struct ref_sections *secs = NULL;
	int rc;

	*count = 0;
	if (strcmp(sn->nation, "SN") != 0 || strcmp(ml->nation, "ML") != 0)
		return dib_fail(d, DIB_EINVAL, "partner", "the demo sections "
		    "are seeded on a node of SN with a partner node of ML "
		    "(got %s and %s)", sn->nation, ml->nation);
	if ((rc = demo_trusts(ml, sn, d)) != 0 ||
	    (rc = demo_trusts(sn, ml, d)) != 0)
		return rc;
	if ((rc = ref_sections_load(sn->dir, &secs, d)) != 0)
		return rc;
	/* Each nation sets its own side on its own node; the records (and
	 * the notices of the raises) then cross both ways by sync. */
	if ((rc = seed_nation(sn, secs, seed, count, d)) == 0 &&
	    (rc = seed_nation(ml, secs, seed, count, d)) == 0 &&
	    (rc = demo_transfer(sn, ml, d)) == 0)
		rc = demo_transfer(ml, sn, d);
	ref_sections_free(secs);
	return rc;
}
