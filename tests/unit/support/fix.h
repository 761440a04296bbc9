/*
** Unit-test support: a temporary directory with two nation keys (SN and
** ML, made in memory) and nodes certified by them, each pinning the other
** nation; and the in-process sync between two such nodes. For the tests
** of the domains that cross by sync (patrols, tracks, sections).
*/
#ifndef DIB_TEST_FIX_H
#define DIB_TEST_FIX_H

#include <stdint.h>

struct node;

struct fix {
	char dir[4096];
	uint8_t sn_pk[32], sn_sk[64];   /* nation keys */
	uint8_t ml_pk[32], ml_sk[64];
	struct node *sn, *ml, *post;    /* closed by fix_teardown */
};

/* cmocka setup: a fix in a new directory named after test under
 * $DIBOLI_TEST_TMP (or /tmp). */
int fix_setup(void **state, const char *test);

/* cmocka teardown: close the nodes, remove the directory, wipe keys. */
int fix_teardown(void **state);

/* A node of nation ("SN" or "ML") in f->dir/sub, certified by its nation
 * key and pinning the other nation's; fails the test on error. */
struct node *fix_node(struct fix *f, const char *sub, const char *nation);

/* f->sn and f->ml in f->dir/sn and f->dir/ml. */
void fix_nodes(struct fix *f);

/* What from holds for to's nation, applied to to in one transaction, all
 * or nothing (demo_transfer); fails the test on error. */
void fix_send(struct node *from, struct node *to);

#endif
