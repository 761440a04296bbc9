/*
** Unit tests of fed/bundle_io: a certified Senegalese node exports for a
** Malian one, which imports in two passes (from a file and from memory)
** and holds exactly the shared records; a summary limits the next
** export to what is lacking; an encrypted bundle needs its nation key;
** the refusals name their cause; nation .pub texts parse strictly.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "fed/bundle.h"
#include "fed/bundle_io.h"
#include "fed/cert.h"
#include "node/node.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/util.h"

struct fix {
	char dir[4096];
	uint8_t sn_pk[32], sn_sk[64];
	uint8_t ml_pk[32], ml_sk[64];
	struct node *sn, *ml;
};

static struct node *
make_node(struct fix *f, const char *sub, const char *nation, int certify)
{
	struct dib_diag d;
	struct node *n = NULL;
	char path[4200];
	int sn = strcmp(nation, "SN") == 0;

	snprintf(path, sizeof path, "%s/%s", f->dir, sub);
	if (node_init(path, nation, sn ? "PC Tambacounda" : "PC Kayes", &d) !=
	    0 || node_open(path, &n, &d) != 0)
		fail_msg("node %s: %s", sub, d.msg);
	if (certify && cert_certify_node(n, nation, sn ? f->sn_sk : f->ml_sk,
	    sn ? f->sn_pk : f->ml_pk, &d) != 0)
		fail_msg("certify %s: %s", sub, d.msg);
	return n;
}

static int
setup(void **state)
{
	const char *base = getenv("DIBOLI_TEST_TMP");
	struct fix *f = calloc(1, sizeof *f);
	struct dib_diag d;

	if (f == NULL || sodium_init() < 0)
		return -1;
	if (base == NULL || *base == '\0')
		base = "/tmp";
	if (mkdir(base, 0700) != 0 && errno != EEXIST)
		return -1;
	snprintf(f->dir, sizeof f->dir, "%s/test_bundle_io.XXXXXX", base);
	if (mkdtemp(f->dir) == NULL)
		return -1;
	crypto_sign_keypair(f->sn_pk, f->sn_sk);
	crypto_sign_keypair(f->ml_pk, f->ml_sk);
	f->sn = make_node(f, "sn", "SN", 1);
	f->ml = make_node(f, "ml", "ML", 1);
	if (cert_pin(f->sn->store, "ML", f->ml_pk, 0, &d) != 0 ||
	    cert_pin(f->ml->store, "SN", f->sn_pk, 0, &d) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;
	char cmd[4200];

	node_close(f->sn);
	node_close(f->ml);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	sodium_memzero(f->sn_sk, sizeof f->sn_sk);
	sodium_memzero(f->ml_sk, sizeof f->ml_sk);
	free(f);
	return 0;
}

/* count records of audience aud appended by n (one block). */
static void
add(struct node *n, const char *aud, int count)
{
	json_t *in[16];
	uint8_t ids[16][16];
	struct dib_diag d;
	int i;

	assert_true(count > 0 && count <= 16);
	for (i = 0; i < count; i++)
		assert_non_null(in[i] = json_pack("{s:s, s:s, s:{s:s, s:[f, f]}, "
		    "s:{s:i, s:s}, s:s}", "category",
		    "security.armed_group.sighting", "observed_at",
		    "2025-02-21T08:00:00Z", "geometry", "type", "Point",
		    "coordinates", -12.217, 14.467, "attributes", "strength", i,
		    "direction", "NE", "audience", aud));
	if (node_add(n, in, (size_t)count, ids, &d) != 0)
		fail_msg("node_add: %s: %s", d.field, d.msg);
	for (i = 0; i < count; i++)
		json_decref(in[i]);
}

static void
path_of(struct fix *f, const char *name, char *out, size_t n)
{
	snprintf(out, n, "%s/%s", f->dir, name);
}

/* Import the bundle at path (or mem) into n in two passes: 0 or the
** error; *im is closed. applied gets the records applied. */
static int
import(struct node *n, const char *path, const void *mem, size_t len,
    const uint8_t *sk, int64_t *applied, int64_t *held, struct dib_diag *d)
{
	struct bundle_import im;
	int rc;

	*applied = *held = -1;
	if ((rc = bundle_import_open(&im, n, path, mem, len, NULL, d)) == 0 &&
	    (rc = bundle_import_check(&im, sk, NULL, NULL, NULL, d)) == 0) {
		assert_int_equal(im.check.applied_records, 0);
		assert_int_equal(store_exec(n->store, "BEGIN IMMEDIATE", d), 0);
		rc = bundle_import_apply(&im, n->store, d);
		assert_int_equal(store_exec(n->store, rc ? "ROLLBACK" :
		    "COMMIT", d), 0);
		*applied = im.apply.applied_records;
		*held = im.apply.held_blocks;
	}
	bundle_import_close(&im);
	return rc;
}

static void
test_round_trip(void **state)
{
	struct fix *f = *state;
	struct bundle_export e;
	struct sync_sent sent;
	struct dib_diag d;
	struct buf sm;
	char path[4200], *bytes = NULL;
	size_t len = 0, logs = 0;
	int64_t applied, held;

	add(f->sn, "ML,SN", 5);
	add(f->sn, "SN", 3);
	memset(&e, 0, sizeof e);
	e.nation = "ML";
	path_of(f, "sn-to-ml.bundle", path, sizeof path);
	assert_int_equal(bundle_export_to(f->sn, &f->sn->signer, path, &e,
	    &sent, &d), 0);
	assert_int_equal(sent.records, 5);
	assert_int_equal(sent.blocks, 1);
	assert_int_equal(sent.wait_records, 0);
	/* From the file, then the same bytes from memory: held already. */
	assert_int_equal(import(f->ml, path, NULL, 0, NULL, &applied, &held,
	    &d), 0);
	assert_int_equal(applied, 5);
	assert_int_equal(held, 0);
	assert_int_equal(store_count(f->ml->store, "SELECT count(*) FROM "
	    "entries"), 5);
	assert_int_equal(util_read_file(path, 1 << 20, &bytes, &len, &d), 0);
	assert_int_equal(import(f->ml, NULL, bytes, len, NULL, &applied,
	    &held, &d), 0);
	assert_int_equal(applied, 0);
	assert_int_equal(held, 1);

	/* ML's summary: the next export holds nothing, then the new block. */
	buf_init(&sm, BUNDLE_SUMMARY_MAX);
	assert_int_equal(bundle_summary_to(f->ml->store, "ML", &sm, &logs, &d),
	    0);
	assert_int_equal(logs, 1);
	assert_int_equal(sm.p[0], 'V');
	e.summary = sm.p;
	e.summary_len = sm.len;
	assert_int_equal(bundle_export_to(f->sn, &f->sn->signer, path, &e,
	    &sent, &d), 0);
	assert_int_equal(sent.records, 0);
	add(f->sn, "ML,SN", 2);
	assert_int_equal(bundle_export_to(f->sn, &f->sn->signer, path, &e,
	    &sent, &d), 0);
	assert_int_equal(sent.records, 2);
	assert_int_equal(import(f->ml, path, NULL, 0, NULL, &applied, &held,
	    &d), 0);
	assert_int_equal(applied, 2);
	assert_int_equal(store_count(f->ml->store, "SELECT count(*) FROM "
	    "entries"), 7);
	/* A budget leaves the rest waiting. */
	e.summary = NULL;
	e.summary_len = 0;
	e.budget = 1024;
	assert_int_equal(bundle_export_to(f->sn, &f->sn->signer, path, &e,
	    &sent, &d), 0);
	assert_int_equal(sent.blocks, 1);
	assert_true(sent.wait_records > 0);
	/* A summary file read from its path gives the same. */
	e.budget = 0;
	{
		char spath[4200];
		FILE *o;

		path_of(f, "ml.summary", spath, sizeof spath);
		assert_non_null(o = fopen(spath, "wb"));
		assert_int_equal(fwrite(sm.p, 1, sm.len, o), sm.len);
		fclose(o);
		e.summary_path = spath;
		assert_int_equal(bundle_export_to(f->sn, &f->sn->signer, path,
		    &e, &sent, &d), 0);
		assert_int_equal(sent.records, 2);      /* as of the summary */
	}
	buf_free(&sm);
	free(bytes);
}

static void
test_encrypted(void **state)
{
	struct fix *f = *state;
	struct bundle_export e;
	struct bundle_import im;
	struct dib_diag d;
	char path[4200];
	int64_t applied, held;

	add(f->sn, "ML,SN", 3);
	memset(&e, 0, sizeof e);
	e.nation = "ML";
	e.encrypt_to = f->ml_pk;
	path_of(f, "enc.bundle", path, sizeof path);
	assert_int_equal(bundle_export_to(f->sn, &f->sn->signer, path, &e,
	    NULL, &d), 0);
	assert_int_equal(bundle_import_open(&im, f->ml, path, NULL, 0, NULL,
	    &d), 0);
	assert_true(im.meta->encrypted);
	assert_memory_equal(im.meta->nation_pk, f->ml_pk, 32);
	/* Without the key nothing is produced; with SN's neither. */
	assert_int_equal(bundle_import_check(&im, NULL, NULL, NULL, NULL, &d),
	    DIB_ECRYPTO);
	bundle_import_close(&im);
	assert_int_equal(import(f->ml, path, NULL, 0, f->sn_sk, &applied,
	    &held, &d), DIB_ECRYPTO);
	assert_int_equal(store_count(f->ml->store, "SELECT count(*) FROM "
	    "entries"), 0);
	assert_int_equal(import(f->ml, path, NULL, 0, f->ml_sk, &applied,
	    &held, &d), 0);
	assert_int_equal(applied, 3);
}

static void
test_refusals(void **state)
{
	struct fix *f = *state;
	struct bundle_export e;
	struct dib_diag d;
	struct node *bare;
	char path[4200], other[4200];
	int64_t applied, held;
	static const char junk[] = "not a summary";

	add(f->sn, "ML,SN", 2);
	memset(&e, 0, sizeof e);
	path_of(f, "x.bundle", path, sizeof path);
	/* No certificate: says how to get one. */
	bare = make_node(f, "bare", "SN", 0);
	e.nation = "ML";
	assert_int_equal(bundle_export_to(bare, &bare->signer, path, &e, NULL,
	    &d), DIB_ENOTFOUND);
	assert_non_null(strstr(d.msg, "diboli node certify --dir "));
	node_close(bare);
	/* A summary that is not one. */
	e.summary = junk;
	e.summary_len = sizeof junk - 1;
	assert_int_not_equal(bundle_export_to(f->sn, &f->sn->signer, path, &e,
	    NULL, &d), 0);
	assert_memory_equal(d.field, "summary", 7);
	/* A bundle is no summary either. */
	e.summary = NULL;
	e.summary_len = 0;
	assert_int_equal(bundle_export_to(f->sn, &f->sn->signer, path, &e,
	    NULL, &d), 0);
	e.summary_path = path;
	path_of(f, "y.bundle", other, sizeof other);
	assert_int_not_equal(bundle_export_to(f->sn, &f->sn->signer, other,
	    &e, NULL, &d), 0);
	assert_memory_equal(d.field, "summary", 7);
	/* For SN: refused by ML, naming both nations. */
	e.summary_path = NULL;
	e.nation = "SN";
	assert_int_equal(bundle_export_to(f->sn, &f->sn->signer, path, &e,
	    NULL, &d), 0);
	assert_int_equal(import(f->ml, path, NULL, 0, NULL, &applied, &held,
	    &d), DIB_EPERM);
	assert_string_equal(d.field, "bundle");
	assert_non_null(strstr(d.msg, "is a bundle for SN; this node is of "
	    "ML"));
	/* Not a bundle at all. */
	assert_int_not_equal(import(f->ml, NULL, junk, sizeof junk - 1, NULL,
	    &applied, &held, &d), 0);
	assert_int_equal(store_count(f->ml->store, "SELECT count(*) FROM "
	    "entries"), 0);
}

static int
pub_parse(const char *text, char nat[3], uint8_t pk[32], struct dib_diag *d)
{
	return cert_nation_pub_parse(text, strlen(text), "f", nat, pk, d);
}

static void
test_pub_parse(void **state)
{
	static const char hex[] = "3f1e0d2c4b5a69788796a5b4c3d2e1f00f1e2d3c"
	    "4b5a69788796a5b4c3d2e1f0";
	char text[300], nat[3];
	uint8_t pk[32], want[32];
	struct dib_diag d;

	(void)state;
	assert_int_equal(util_unhex(hex, want, 32), 0);
	snprintf(text, sizeof text, "diboli-nation-pub/1 ML %s\n", hex);
	assert_int_equal(pub_parse(text, nat, pk, &d), 0);
	assert_string_equal(nat, "ML");
	assert_memory_equal(pk, want, 32);
	/* Pasted: CRLF, spaces, no line end. */
	snprintf(text, sizeof text, "  diboli-nation-pub/1 SN %s\r\n\n", hex);
	assert_int_equal(pub_parse(text, nat, pk, &d), 0);
	assert_string_equal(nat, "SN");
	snprintf(text, sizeof text, "diboli-nation-pub/1 SN %s", hex);
	assert_int_equal(pub_parse(text, nat, pk, &d), 0);
	/* A private key: named, never quoted. */
	snprintf(text, sizeof text, "diboli-nation-key/1 ML %s\n", hex);
	assert_int_equal(cert_nation_pub_parse(text, strlen(text),
	    "nation_pub", nat, pk, &d), DIB_EINVAL);
	assert_string_equal(d.field, "nation_pub");
	assert_non_null(strstr(d.msg, "private key"));
	assert_null(strstr(d.msg, hex));
	assert_string_equal(nat, "");
	/* Wrong in every other way. */
	snprintf(text, sizeof text, "diboli-nation-pub/1 XX %s\n", hex);
	assert_int_equal(pub_parse(text, nat, pk, &d), DIB_EINVAL);
	assert_non_null(strstr(d.msg, "unknown nation"));
	snprintf(text, sizeof text, "diboli-nation-pub/1 ML %.63sg\n", hex);
	assert_int_equal(pub_parse(text, nat, pk, &d), DIB_EINVAL);
	snprintf(text, sizeof text, "diboli-nation-pub/1 ML %.62s\n", hex);
	assert_int_equal(pub_parse(text, nat, pk, &d), DIB_EINVAL);
	snprintf(text, sizeof text, "diboli-nation-pub/1 ML %s0\n", hex);
	assert_int_equal(pub_parse(text, nat, pk, &d), DIB_EINVAL);
	snprintf(text, sizeof text, "diboli-nation-pub/1 ML  %.63s\n", hex);
	assert_int_equal(pub_parse(text, nat, pk, &d), DIB_EINVAL);
	assert_int_equal(cert_nation_pub_parse("", 0, "f", nat, pk, &d),
	    DIB_EINVAL);
	assert_int_equal(cert_nation_pub_parse(NULL, 0, "f", nat, pk, &d),
	    DIB_EINVAL);
	/* The length given is what counts, not a NUL. */
	snprintf(text, sizeof text, "diboli-nation-pub/1 ML %s", hex);
	assert_int_equal(cert_nation_pub_parse(text, strlen(text) - 1, "f",
	    nat, pk, &d), DIB_EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pub_parse),
		cmocka_unit_test_setup_teardown(test_round_trip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_encrypted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
