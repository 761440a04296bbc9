/*
** Fuzz target: bundle files as they arrive on a USB stick. The input is
** parsed and verified as is; then it is signed again with the node key
** of the seed corpus, so that the framing, decryption and decompression
** behind the signature are fuzzed too. None may crash, leak, read out of
** bounds, or give the sink more than the header's payload limit.
**
** The seeds in fuzz/corpus/fuzz_bundle/ were written with the keys below
** (Ed25519 from fixed seeds), encrypted ones to the nation key.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fed/bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t node_pk[32], node_sk[64];
static uint8_t nation_pk[32], nation_sk[64];

struct count {
	uint64_t total;
	uint64_t limit;
};

static int
sink(void *arg, const uint8_t *p, size_t n)
{
	struct count *c = arg;

	(void)p;
	c->total += n;
	if (c->total > c->limit)
		abort();
	return 0;
}

static void
run(const uint8_t *data, size_t size)
{
	struct bundle_reader *r = NULL;
	const struct bundle_meta *m;
	struct dib_diag d;
	struct count c;
	unsigned sum = 0;
	size_t i;

	if (bundle_reader_open_mem(data, size, &r, &d) != 0) {
		if (r != NULL)
			abort();
		return;
	}
	m = bundle_reader_meta(r);
	for (i = 0; i < m->cert_len; i++)   /* in bounds, says ASan */
		sum += m->cert[i];
	(void)sum;
	if (bundle_verify(r, &d) == 0) {
		memset(&c, 0, sizeof c);
		c.limit = m->max_payload;
		bundle_read(r, m->encrypted ? nation_sk : NULL, sink, &c, &d);
		if (m->encrypted) {
			c.total = 0;
			bundle_read(r, NULL, sink, &c, &d);
		}
	} else {
		memset(&c, 0, sizeof c);
		/* Refused before verification: the sink must stay unused. */
		c.limit = 0;
		if (bundle_read(r, nation_sk, sink, &c, &d) == 0)
			abort();
	}
	bundle_reader_close(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;

	if (!ready) {
		uint8_t seed[32];

		if (sodium_init() < 0)
			abort();
		memset(seed, 0x11, sizeof seed);
		crypto_sign_seed_keypair(node_pk, node_sk, seed);
		memset(seed, 0x22, sizeof seed);
		crypto_sign_seed_keypair(nation_pk, nation_sk, seed);
		ready = 1;
	}
	run(data, size);
	if (size > 64) {
		crypto_generichash_state hs;
		uint8_t msg[16 + 64], *copy = malloc(size);

		if (copy == NULL)
			abort();
		memcpy(copy, data, size);
		memcpy(msg, "diboli bundle v1", 16);
		crypto_generichash_init(&hs, NULL, 0, 64);
		crypto_generichash_update(&hs, copy, size - 64);
		crypto_generichash_final(&hs, msg + 16, 64);
		crypto_sign_detached(copy + size - 64, NULL, msg, sizeof msg,
		    node_sk);
		run(copy, size);
		free(copy);
	}
	return 0;
}
