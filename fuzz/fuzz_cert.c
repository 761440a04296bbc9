/*
** Fuzz target of node certificates, as a peer or a bundle hands them
** over: cert_parse must reject or give a certificate whose fields match
** its bytes, and the whole trust check (cert_check_origin) must neither
** crash nor read out of bounds. A certificate that the fixed fuzz nation
** key verifies must be exactly what cert_make writes for its fields:
** one encoding per certificate.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fed/cert.h"
#include "store/store.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The seed of the SN nation key that signed the corpus's certificates
** (fuzz/corpus/fuzz_cert), pinned in a scratch store. */
static const char key_seed[33] = "diboli fuzz nation key SN 2025!!";
/* 2026-01-01T00:00:00Z: inside the corpus certificates' windows. */
#define NOW 1767225600000LL

static struct store *store;
static uint8_t sk[64], pk[32];

static void
start(void)
{
	struct dib_diag d;

	if (sodium_init() < 0)
		abort();
	crypto_sign_seed_keypair(pk, sk, (const uint8_t *)key_seed);
	if (store_open(":memory:", 1, &store, &d) != 0 ||
	    cert_pin(store, "SN", pk, 0, &d) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cert c, c2;
	struct dib_diag d;
	uint8_t *again;
	size_t len;
	int rc;

	if (store == NULL)
		start();
	rc = cert_parse(data, size, &c, &d);
	if (rc != 0) {
		if (rc != DIB_EINVAL || c.len != 0)
			abort();
	} else {
		if (c.len != size || memcmp(c.bytes, data, size) != 0 ||
		    size != CERT_FIXED_LEN + strlen(c.name) ||
		    !util_nation_valid(c.nation) ||
		    !util_utf8_valid(c.name, strlen(c.name)) ||
		    c.not_before >= c.not_after)
			abort();
		cert_verify(&c, c.nation_pk, c.not_before, &d);
		if (memcmp(c.nation_pk, pk, 32) == 0 &&
		    cert_verify(&c, pk, c.not_before, &d) == 0) {
			if (cert_make(sk, c.nation, c.node_pk, c.name,
			    c.not_before, c.not_after, &again, &len, &d) != 0 ||
			    len != size || memcmp(again, data, size) != 0)
				abort();
			free(again);
		}
	}
	rc = cert_check_origin(store, data, size, NOW, &c2, &d);
	if (rc != 0 && rc != DIB_EUNAUTH && rc != DIB_EPERM)
		abort();
	if (rc == 0 && (strcmp(c2.nation, "SN") != 0 ||
	    memcmp(c2.nation_pk, pk, 32) != 0))
		abort();
	return 0;
}
