/*
** Synthetic, deterministic situations for demos, tests and benchmarks:
** plausible events at the real places of the Senegal–Mali border, from
** 20 February 2025 on. No person is ever named.
*/
#ifndef DIB_DEMO_H
#define DIB_DEMO_H

#include <stdint.h>

#include <jansson.h>

#include "util/err.h"

struct model;
struct node;
struct demo_gen;

#define DEMO_START_MS 1740009600000LL   /* 2025-02-20T00:00:00Z */

/*
** A generator of record inputs (JSON, as for node_add) for a node of
** nation, seeded by seed, spread over days from DEMO_START_MS on, about
** per_day records a day. Free with demo_gen_free().
*/
struct demo_gen *demo_gen_new(const struct model *m, const char *nation,
    uint64_t seed, int days, int per_day);
void demo_gen_free(struct demo_gen *g);

/*
** The next record input in time order (new reference), or NULL when the
** days are over. The same seed gives the same stream.
*/
json_t *demo_gen_next(struct demo_gen *g);

/* The id that the seeded record should carry (deterministic). */
void demo_gen_id(struct demo_gen *g, uint8_t id[16]);

/*
** Fill node n with days of records (seed s), in blocks of one day.
** progress, if not NULL, is called after each day. Returns the count
** appended in *count.
*/
int demo_seed(struct node *n, int days, uint64_t seed,
    void (*progress)(void *, int, int), void *arg, int64_t *count,
    struct dib_diag *d);

/*
** Seed joint patrols on two certified nodes that pin each other's nation
** key: sn (a node of SN) plans and proposes them, ml (a node of ML)
** receives the plans by an in-process sync and answers with its own
** units, legs and approvals, which go back the same way; then starts,
** completions, an abort, debriefs and observations linked to the
** patrols, from 20 February 2025 on around Kidira–Diboli and along the
** Falémé. Most are completed; one is underway; one awaits ML's approval
** (proposed, approved by SN only). Deterministic for a seed (ids too:
** seeding twice fails with DIB_EEXIST). *count receives the records
** written on both nodes.
*/
int demo_seed_patrols_joint(struct node *sn, struct node *ml, uint64_t seed,
    int64_t *count, struct dib_diag *d);

/*
** Seed the history of the border sections' levels on the same pair of
** nodes (see demo_seed_patrols_joint): each nation's first assessment of
** every section on 20 February 2025, then a year of raises and lowerings
** (src/demo/demo_sections.c), each on its own nation's node, the notices
** of the raises crossing to the partner by an in-process sync. Nothing
** after today. Deterministic for a seed (seeding twice fails with
** DIB_EEXIST). *count receives the records written on both nodes.
*/
int demo_seed_sections(struct node *sn, struct node *ml, uint64_t seed,
    int64_t *count, struct dib_diag *d);

/*
** Send what node from holds for to's nation into to, as one sync payload
** applied in one transaction (the library of diboli sync and bundles),
** for the demos that seed two nodes at once.
*/
int demo_transfer(struct node *from, struct node *to, struct dib_diag *d);

/* Will to accept what from signs? Checked before a demo writes anything. */
int demo_trusts(struct node *to, struct node *from, struct dib_diag *d);

/*
** A UUIDv7 of time t whose random bits come from the splitmix64 state
** *rng, so that a demo seed gives the same ids on every machine.
*/
void demo_seeded_id(uint64_t *rng, int64_t t, uint8_t id[16]);

#endif
