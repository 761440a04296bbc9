/*
** Fuzz target of sync payloads, as a peer's HTTP body or a bundle hands
** them over: sync_apply must take or refuse any bytes, whole or in two
** pieces, in a dry run and for real, strict or not, without crashing or
** leaking, and leave nothing behind once its transaction is rolled back.
** The receiver is a scratch ML node that pins the nation keys that signed
** the corpus's certificates (fuzz/corpus/fuzz_sync: real payloads of SN
** and ML nodes, with relayed logs, national logs, a gap, a fork).
*/
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "fed/cert.h"
#include "fed/sync.h"
#include "node/node.h"
#include "store/store.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The seeds of the nation keys that certified the corpus's nodes. */
static const char sn_seed[33] = "diboli fuzz sync nation key SN!!";
static const char ml_seed[33] = "diboli fuzz sync nation key ML!!";
/* 2026-01-01T00:00:00Z: inside the corpus certificates' windows. */
#define NOW 1767225600000LL

static struct node *node;
static char dir[4096];

static void
stop(void)
{
	char cmd[4200];

	node_close(node);
	node = NULL;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_sync: cannot remove %s\n", dir);
}

static void
start(void)
{
	const char *base = getenv("DIBOLI_TEST_TMP");
	uint8_t pk[32], sk[64];
	struct dib_diag d;
	char path[4200];

	if (sodium_init() < 0)
		abort();
	if (base == NULL || *base == '\0')
		base = "/tmp";
	if (mkdir(base, 0700) != 0 && errno != EEXIST)
		abort();
	snprintf(dir, sizeof dir, "%s/fuzz_sync.XXXXXX", base);
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof path, "%s/node", dir);
	if (node_init(path, "ML", "Fuzz — PC Kayes", &d) != 0 ||
	    node_open(path, &node, &d) != 0)
		abort();
	atexit(stop);
	crypto_sign_seed_keypair(pk, sk, (const uint8_t *)sn_seed);
	if (cert_pin(node->store, "SN", pk, 0, &d) != 0)
		abort();
	crypto_sign_seed_keypair(pk, sk, (const uint8_t *)ml_seed);
	if (cert_pin(node->store, "ML", pk, 0, &d) != 0)
		abort();
	sodium_memzero(sk, sizeof sk);
}

/* What a transaction may have changed, in one number. */
static int64_t
footprint(void)
{
	return store_count(node->store, "SELECT (SELECT count(*) FROM "
	    "entries) + (SELECT count(*) FROM blocks) + (SELECT count(*) FROM "
	    "logs) + (SELECT count(*) FROM origins) + (SELECT count(*) FROM "
	    "pending) + (SELECT count(*) FROM quarantine)");
}

static void
run(const uint8_t *data, size_t size, size_t cut, int dry, int strict)
{
	struct sync_apply a;
	struct dib_diag d;
	char line[400];
	int64_t before = footprint();
	int rc;

	if (store_begin(node->store, &d) != 0)
		abort();
	sync_apply_init(&a, node);
	a.now = NOW;
	a.dry_run = dry;
	a.strict = strict;
	snprintf(a.from, sizeof a.from, "fuzz");
	rc = sync_apply_feed(&a, data, cut, &d);
	if (rc == 0)
		rc = sync_apply_feed(&a, data + cut, size - cut, &d);
	if (rc == 0)
		rc = sync_apply_finish(&a, &d);
	if (a.applied_blocks < 0 || a.applied_records < a.applied_blocks ||
	    a.held_blocks < 0 || a.pending_blocks < 0 ||
	    a.refused_blocks < 0 || a.forks < 0 || a.certs < 0 ||
	    a.wait_blocks < 0 || a.wait_records < 0 || a.nev > 64)
		abort();
	/* A dry run writes nothing; strict refuses any refusal. */
	if (dry && (footprint() != before || a.applied_blocks != 0))
		abort();
	if (strict && rc == 0 && a.refused_blocks != 0)
		abort();
	if (rc == 0 && !a.saw_end)
		abort();
	sync_apply_describe(&a, line, sizeof line);
	store_rollback(node->store);
	if (footprint() != before)
		abort();
	sync_apply_free(&a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (node == NULL)
		start();
	run(data, size, size, 1, 0);
	run(data, size, size / 2, 0, size & 1);
	return 0;
}
