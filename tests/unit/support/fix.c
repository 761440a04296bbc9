/* Unit-test support: see fix.h. */
#include "fix.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <sodium.h>

#include "demo/demo.h"
#include "fed/cert.h"
#include "node/node.h"

int
fix_setup(void **state, const char *test)
{
	const char *base = getenv("DIBOLI_TEST_TMP");
	struct fix *f = calloc(1, sizeof *f);

	if (f == NULL || sodium_init() < 0) {
		free(f);
		return -1;
	}
	if (base == NULL || *base == '\0')
		base = "/tmp";
	if (mkdir(base, 0700) != 0 && errno != EEXIST) {
		free(f);
		return -1;
	}
	snprintf(f->dir, sizeof f->dir, "%s/%s.XXXXXX", base, test);
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	crypto_sign_keypair(f->sn_pk, f->sn_sk);
	crypto_sign_keypair(f->ml_pk, f->ml_sk);
	*state = f;
	return 0;
}

int
fix_teardown(void **state)
{
	struct fix *f = *state;
	char cmd[4200];
	int rc = 0;

	node_close(f->sn);
	node_close(f->ml);
	node_close(f->post);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		rc = -1;
	sodium_memzero(f->sn_sk, sizeof f->sn_sk);
	sodium_memzero(f->ml_sk, sizeof f->ml_sk);
	free(f);
	return rc;
}

struct node *
fix_node(struct fix *f, const char *sub, const char *nation)
{
	struct dib_diag d;
	struct node *n = NULL;
	char path[4200];
	int sn = strcmp(nation, "SN") == 0;

	snprintf(path, sizeof path, "%s/%s", f->dir, sub);
	if (node_init(path, nation, sn ? "Zone militaire n°4 (essai)" :
	    "Région militaire n°4 (essai)", &d) != 0 ||
	    node_open(path, &n, &d) != 0)
		fail_msg("node %s: %s", sub, d.msg);
	if (cert_certify_node(n, nation, sn ? f->sn_sk : f->ml_sk, sn ?
	    f->sn_pk : f->ml_pk, &d) != 0 ||
	    cert_pin(n->store, sn ? "ML" : "SN", sn ? f->ml_pk : f->sn_pk, 0,
	    &d) != 0)
		fail_msg("certify %s: %s", sub, d.msg);
	return n;
}

void
fix_nodes(struct fix *f)
{
	f->sn = fix_node(f, "sn", "SN");
	f->ml = fix_node(f, "ml", "ML");
}

void
fix_send(struct node *from, struct node *to)
{
	struct dib_diag d;

	if (demo_transfer(from, to, &d) != 0)
		fail_msg("send to %s: %s: %s", to->name, d.field, d.msg);
}
