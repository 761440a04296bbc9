/*
** Unit tests of fed/cert and fed/peer: nation key files, certificates
** (round trip, every byte tampered, wrong key, time window), pinned
** nations, the node's own certificate, and the peers table.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "fed/cert.h"
#include "fed/peer.h"
#include "node/node.h"
#include "util/util.h"

#define DAY 86400000LL

struct fix {
	char tmp[64];                   /* the temporary directory */
	char dir[128];                  /* a node of SN in it */
	char sn[128], ml[128];          /* nation key prefixes */
	struct node *n;
	uint8_t sn_sk[64], sn_pk[32];
	uint8_t ml_sk[64], ml_pk[32];
};

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof *f);
	struct dib_diag d;
	char path[160], nat[3];

	if (f == NULL || sodium_init() < 0)
		return -1;
	snprintf(f->tmp, sizeof f->tmp, "/tmp/diboli-unit-XXXXXX");
	if (mkdtemp(f->tmp) == NULL)
		return -1;
	snprintf(f->dir, sizeof f->dir, "%s/node", f->tmp);
	snprintf(f->sn, sizeof f->sn, "%s/sn", f->tmp);
	snprintf(f->ml, sizeof f->ml, "%s/ml", f->tmp);
	if (node_init(f->dir, "SN", "Zone militaire n°4 — PC Tambacounda",
	    &d) != 0 || node_open(f->dir, &f->n, &d) != 0)
		return -1;
	if (cert_nation_keygen("SN", f->sn, &d) != 0 ||
	    cert_nation_keygen("ML", f->ml, &d) != 0)
		return -1;
	snprintf(path, sizeof path, "%s.key", f->sn);
	if (cert_nation_key_load(path, nat, f->sn_sk, f->sn_pk, &d) != 0)
		return -1;
	snprintf(path, sizeof path, "%s.key", f->ml);
	if (cert_nation_key_load(path, nat, f->ml_sk, f->ml_pk, &d) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;
	char cmd[200];

	node_close(f->n);
	snprintf(cmd, sizeof cmd, "rm -rf %s", f->tmp);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void
write_text(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	chmod(path, mode);
}

/* A fresh SN certificate of node_pk, valid for [nb, na). */
static uint8_t *
make(struct fix *f, const uint8_t *sk, const char *nation, int64_t nb,
    int64_t na, size_t *len)
{
	struct dib_diag d;
	uint8_t *b = NULL;

	assert_int_equal(cert_make(sk, nation, f->n->signer.pk, f->n->name, nb,
	    na, &b, len, &d), 0);
	return b;
}

static void
test_keygen_files(void **state)
{
	struct fix *f = *state;
	struct dib_diag d;
	struct stat sb;
	char path[200], pub[200], nat[3], *text;
	uint8_t sk[64], pk[32], pk2[32];
	size_t len;
	mode_t old;

	snprintf(path, sizeof path, "%s.key", f->sn);
	snprintf(pub, sizeof pub, "%s.pub", f->sn);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(stat(pub, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0644);
	assert_int_equal(util_read_file(path, 4096, &text, &len, &d), 0);
	assert_int_equal(len, strlen("diboli-nation-key/1 SN ") + 65);
	assert_memory_equal(text, "diboli-nation-key/1 SN ", 23);
	free(text);
	assert_int_equal(util_read_file(pub, 4096, &text, &len, &d), 0);
	assert_memory_equal(text, "diboli-nation-pub/1 SN ", 23);
	free(text);

	/* The loaders agree on the key. */
	assert_int_equal(cert_nation_key_load(path, nat, sk, pk, &d), 0);
	assert_string_equal(nat, "SN");
	assert_int_equal(cert_nation_pub_load(pub, nat, pk2, &d), 0);
	assert_string_equal(nat, "SN");
	assert_memory_equal(pk, pk2, 32);
	assert_memory_equal(pk, f->sn_pk, 32);

	/* Never overwritten: neither file is touched. */
	assert_int_equal(cert_nation_keygen("SN", f->sn, &d), DIB_EEXIST);
	assert_non_null(strstr(d.msg, path));
	assert_int_equal(cert_nation_pub_load(pub, nat, pk2, &d), 0);
	assert_memory_equal(pk, pk2, 32);
	snprintf(path, sizeof path, "%s/other.pub", f->tmp);
	write_text(path, "x", 0644);
	snprintf(path, sizeof path, "%s/other", f->tmp);
	assert_int_equal(cert_nation_keygen("ML", path, &d), DIB_EEXIST);
	snprintf(path, sizeof path, "%s/other.key", f->tmp);
	assert_int_not_equal(stat(path, &sb), 0);

	/* Bad nations. */
	snprintf(path, sizeof path, "%s/x", f->tmp);
	assert_int_equal(cert_nation_keygen("XX", path, &d), DIB_EINVAL);
	assert_string_equal(d.field, "nation");
	assert_int_equal(cert_nation_keygen("SEN", path, &d), DIB_EINVAL);
	assert_int_equal(cert_nation_keygen(NULL, path, &d), DIB_EINVAL);
	assert_int_equal(cert_nation_keygen("SN", "", &d), DIB_EINVAL);
	snprintf(path, sizeof path, "%s/", f->tmp);
	assert_int_equal(cert_nation_keygen("SN", path, &d), DIB_EINVAL);
	assert_string_equal(d.field, "out");
	snprintf(path, sizeof path, "%s/no/such/dir/x", f->tmp);
	assert_int_equal(cert_nation_keygen("SN", path, &d), DIB_EIO);
	assert_non_null(strstr(d.msg, path));

	/* Lower case is taken; modes hold whatever the umask. */
	old = umask(077);
	snprintf(path, sizeof path, "%s/mr", f->tmp);
	assert_int_equal(cert_nation_keygen("mr", path, &d), 0);
	umask(old);
	snprintf(path, sizeof path, "%s/mr.pub", f->tmp);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0644);
	assert_int_equal(cert_nation_pub_load(path, nat, pk2, &d), 0);
	assert_string_equal(nat, "MR");
}

static void
test_key_load_refuses(void **state)
{
	struct fix *f = *state;
	struct dib_diag d;
	char path[200], pub[200], nat[3];
	uint8_t sk[64], pk[32], zero[64];

	memset(zero, 0, sizeof zero);
	snprintf(path, sizeof path, "%s.key", f->sn);
	snprintf(pub, sizeof pub, "%s.pub", f->sn);

	/* Readable by others: refused, saying how to fix it. */
	chmod(path, 0644);
	assert_int_equal(cert_nation_key_load(path, nat, sk, pk, &d),
	    DIB_EPERM);
	assert_non_null(strstr(d.msg, "chmod 600"));
	assert_non_null(strstr(d.msg, path));
	assert_memory_equal(sk, zero, 64);
	assert_string_equal(nat, "");
	chmod(path, 0640);
	assert_int_equal(cert_nation_key_load(path, nat, sk, pk, &d),
	    DIB_EPERM);
	chmod(path, 0600);
	assert_int_equal(cert_nation_key_load(path, nat, sk, pk, &d), 0);

	/* The wrong kind of file, each way. */
	assert_int_equal(cert_nation_key_load(pub, nat, sk, pk, &d),
	    DIB_EINVAL);
	assert_non_null(strstr(d.msg, "public key"));
	assert_int_equal(cert_nation_pub_load(path, nat, pk, &d), DIB_EINVAL);
	assert_non_null(strstr(d.msg, "private key"));

	/* Missing, garbage, a node key, an unknown nation, bad hex. */
	snprintf(path, sizeof path, "%s/none.key", f->tmp);
	assert_int_equal(cert_nation_key_load(path, nat, sk, pk, &d),
	    DIB_ENOTFOUND);
	assert_non_null(strstr(d.msg, path));
	snprintf(path, sizeof path, "%s/bad.pub", f->tmp);
	write_text(path, "hello\n", 0644);
	assert_int_equal(cert_nation_pub_load(path, nat, pk, &d), DIB_EINVAL);
	assert_non_null(strstr(d.msg, path));
	snprintf(path, sizeof path, "%s/node.key", f->dir);
	assert_int_equal(cert_nation_key_load(path, nat, sk, pk, &d),
	    DIB_EINVAL);
	snprintf(path, sizeof path, "%s/xx.pub", f->tmp);
	write_text(path, "diboli-nation-pub/1 XX "
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	    "\n", 0644);
	assert_int_equal(cert_nation_pub_load(path, nat, pk, &d), DIB_EINVAL);
	assert_non_null(strstr(d.msg, "XX"));
	write_text(path, "diboli-nation-pub/1 SN "
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeegg"
	    "\n", 0644);
	assert_int_equal(cert_nation_pub_load(path, nat, pk, &d), DIB_EINVAL);
	/* A trailing extra line makes it something else. */
	write_text(path, "diboli-nation-pub/1 SN "
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	    "\nmore\n", 0644);
	assert_int_equal(cert_nation_pub_load(path, nat, pk, &d), DIB_EINVAL);
	/* A directory or a FIFO is not a key (and is not waited on). */
	assert_int_equal(cert_nation_pub_load(f->tmp, nat, pk, &d),
	    DIB_EINVAL);
	snprintf(path, sizeof path, "%s/fifo.key", f->tmp);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(cert_nation_key_load(path, nat, sk, pk, &d),
	    DIB_EINVAL);
	assert_non_null(strstr(d.msg, "regular file"));
}

static void
test_fingerprint(void **state)
{
	struct fix *f = *state;
	char a[CERT_FP_LEN + 1], b[CERT_FP_LEN + 1];
	uint8_t h[32];
	char hex[65];

	cert_fingerprint(f->sn_pk, a);
	assert_int_equal(strlen(a), 16);
	crypto_generichash(h, 32, f->sn_pk, 32, NULL, 0);
	assert_memory_equal(a, util_hex(h, 32, hex), 16);
	cert_fingerprint(f->ml_pk, b);
	assert_string_not_equal(a, b);
}

static void
test_cert_round_trip(void **state)
{
	struct fix *f = *state;
	struct dib_diag d;
	struct cert *c = malloc(sizeof *c);
	int64_t now = util_now_ms();
	uint8_t *b;
	size_t len;

	assert_non_null(c);
	b = make(f, f->sn_sk, "sn", now - DAY, now + DAY, &len);
	assert_int_equal(len, CERT_FIXED_LEN + strlen(f->n->name));
	assert_memory_equal(b, "DIBC\x01SN", 7);
	assert_int_equal(cert_parse(b, len, c, &d), 0);
	assert_string_equal(c->nation, "SN");
	assert_string_equal(c->name, f->n->name);
	assert_memory_equal(c->node_pk, f->n->signer.pk, 32);
	assert_memory_equal(c->nation_pk, f->sn_pk, 32);
	assert_true(c->not_before == now - DAY);
	assert_true(c->not_after == now + DAY);
	assert_int_equal(c->len, len);
	assert_memory_equal(c->bytes, b, len);
	assert_int_equal(cert_verify(c, f->sn_pk, now, &d), 0);
	/* Bounds of the window: not_before in, not_after out. */
	assert_int_equal(cert_verify(c, f->sn_pk, now - DAY, &d), 0);
	assert_int_equal(cert_verify(c, f->sn_pk, now + DAY - 1, &d), 0);
	assert_int_equal(cert_verify(c, f->sn_pk, now + DAY, &d), DIB_ECRYPTO);
	free(b);

	/* Bad input to cert_make. */
	assert_int_equal(cert_make(f->sn_sk, "XX", f->n->signer.pk, "x", 0, 1,
	    &b, &len, &d), DIB_EINVAL);
	assert_null(b);
	assert_int_equal(cert_make(f->sn_sk, "SN", f->n->signer.pk, "", 0, 1,
	    &b, &len, &d), DIB_EINVAL);
	assert_int_equal(cert_make(f->sn_sk, "SN", f->n->signer.pk, "a\nb", 0,
	    1, &b, &len, &d), DIB_EINVAL);
	assert_int_equal(cert_make(f->sn_sk, "SN", f->n->signer.pk, "x", 5, 5,
	    &b, &len, &d), DIB_EINVAL);
	free(c);
}

static void
test_cert_tampered(void **state)
{
	struct fix *f = *state;
	struct dib_diag d;
	struct cert *c = malloc(sizeof *c);
	int64_t now = util_now_ms();
	uint8_t *b, *t;
	size_t len, i;
	int bit;

	assert_non_null(c);
	b = make(f, f->sn_sk, "SN", now - DAY, now + DAY, &len);
	/* Every byte, every bit: either unparsable or not verifying. */
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			t = malloc(len);
			assert_non_null(t);
			memcpy(t, b, len);
			t[i] ^= (uint8_t)(1 << bit);
			if (cert_parse(t, len, c, &d) == 0)
				assert_int_not_equal(cert_verify(c, f->sn_pk,
				    now, &d), 0);
			else
				assert_int_equal(d.code, DIB_EINVAL);
			free(t);
		}
	}
	/* Every truncation, and one byte more. */
	for (i = 0; i < len; i++) {
		t = malloc(i ? i : 1);
		assert_non_null(t);
		memcpy(t, b, i);
		assert_int_equal(cert_parse(t, i, c, &d), DIB_EINVAL);
		assert_int_equal(c->len, 0);
		free(t);
	}
	t = malloc(len + 1);
	assert_non_null(t);
	memcpy(t, b, len);
	t[len] = 0;
	assert_int_equal(cert_parse(t, len + 1, c, &d), DIB_EINVAL);
	free(t);
	assert_int_equal(cert_parse(NULL, 0, c, &d), DIB_EINVAL);
	free(b);
	free(c);
}

/* A certificate with name bytes as given, signed properly by sk. */
static uint8_t *
forge_name(struct fix *f, const uint8_t *sk, const char *name, size_t nlen,
    size_t *len)
{
	uint8_t *b, *o;
	size_t l0;

	o = make(f, sk, "SN", 0, 10, &l0);
	*len = CERT_FIXED_LEN + nlen;
	b = malloc(*len);
	assert_non_null(b);
	memcpy(b, o, 55);
	b[55] = (uint8_t)(nlen >> 8);
	b[56] = (uint8_t)nlen;
	memcpy(b + 57, name, nlen);
	crypto_sign_ed25519_sk_to_pk(b + 57 + nlen, sk);
	crypto_sign_detached(b + *len - 64, NULL, b, *len - 64, sk);
	free(o);
	return b;
}

static void
test_cert_strict_name(void **state)
{
	struct fix *f = *state;
	struct dib_diag d;
	struct cert *c = malloc(sizeof *c);
	char big[CERT_NAME_MAX + 2];
	uint8_t *b;
	size_t len;

	assert_non_null(c);
	b = forge_name(f, f->sn_sk, "ok", 2, &len);
	assert_int_equal(cert_parse(b, len, c, &d), 0);
	assert_int_equal(cert_verify(c, f->sn_pk, 5, &d), 0);
	free(b);
	b = forge_name(f, f->sn_sk, "a\x01z", 3, &len);
	assert_int_equal(cert_parse(b, len, c, &d), DIB_EINVAL);
	free(b);
	b = forge_name(f, f->sn_sk, "\xc3\x28", 2, &len);
	assert_int_equal(cert_parse(b, len, c, &d), DIB_EINVAL);
	assert_non_null(strstr(d.msg, "UTF-8"));
	free(b);
	b = forge_name(f, f->sn_sk, "a\0b", 3, &len);
	assert_int_equal(cert_parse(b, len, c, &d), DIB_EINVAL);
	free(b);
	memset(big, 'n', sizeof big);
	b = forge_name(f, f->sn_sk, big, CERT_NAME_MAX, &len);
	assert_int_equal(cert_parse(b, len, c, &d), 0);
	free(b);
	b = forge_name(f, f->sn_sk, big, CERT_NAME_MAX + 1, &len);
	assert_int_equal(cert_parse(b, len, c, &d), DIB_EINVAL);
	free(b);
	b = forge_name(f, f->sn_sk, "", 0, &len);
	assert_int_equal(cert_parse(b, len, c, &d), DIB_EINVAL);
	free(b);
	free(c);
}

static void
test_cert_wrong_key(void **state)
{
	struct fix *f = *state;
	struct dib_diag d;
	struct cert *c = malloc(sizeof *c);
	int64_t now = util_now_ms();
	uint8_t *b;
	size_t len;

	assert_non_null(c);
	/* Mali's key claiming a Senegalese node. */
	b = make(f, f->ml_sk, "SN", now - DAY, now + DAY, &len);
	assert_int_equal(cert_parse(b, len, c, &d), 0);
	assert_int_equal(cert_verify(c, f->sn_pk, now, &d), DIB_ECRYPTO);
	assert_non_null(strstr(d.msg, "not by the key pinned for SN"));
	free(b);
	/* The pinned key written in, but the signature is Mali's. */
	b = make(f, f->ml_sk, "SN", now - DAY, now + DAY, &len);
	memcpy(b + len - 64 - 32, f->sn_pk, 32);
	assert_int_equal(cert_parse(b, len, c, &d), 0);
	assert_int_equal(cert_verify(c, f->sn_pk, now, &d), DIB_ECRYPTO);
	assert_non_null(strstr(d.msg, "signature"));
	free(b);
	free(c);
}

static void
test_cert_window(void **state)
{
	struct fix *f = *state;
	struct dib_diag d;
	struct cert *c = malloc(sizeof *c);
	int64_t now = util_now_ms();
	uint8_t *b;
	size_t len;

	assert_non_null(c);
	b = make(f, f->sn_sk, "SN", now - 2 * DAY, now - DAY, &len);
	assert_int_equal(cert_parse(b, len, c, &d), 0);
	assert_int_equal(cert_verify(c, f->sn_pk, now, &d), DIB_ECRYPTO);
	assert_non_null(strstr(d.msg, "expired"));
	free(b);
	b = make(f, f->sn_sk, "SN", now + DAY, now + 2 * DAY, &len);
	assert_int_equal(cert_parse(b, len, c, &d), 0);
	assert_int_equal(cert_verify(c, f->sn_pk, now, &d), DIB_ECRYPTO);
	assert_non_null(strstr(d.msg, "not valid before"));
	free(b);
	/* A window that ends before it starts does not parse, even when
	 * signed. */
	b = make(f, f->sn_sk, "SN", 0, 10, &len);
	memcpy(b + 39, b + 47, 8);
	crypto_sign_detached(b + len - 64, NULL, b, len - 64, f->sn_sk);
	assert_int_equal(cert_parse(b, len, c, &d), DIB_EINVAL);
	free(b);
	free(c);
}

static void
test_pin(void **state)
{
	struct fix *f = *state;
	struct store *s = f->n->store;
	struct cert_pin_info *v;
	struct dib_diag d;
	uint8_t pk[32];
	size_t n;

	assert_int_equal(cert_pinned(s, "SN", pk), DIB_ENOTFOUND);
	assert_int_equal(cert_pin(s, "sn", f->sn_pk, 0, &d), 0);
	assert_int_equal(cert_pinned(s, "SN", pk), 0);
	assert_memory_equal(pk, f->sn_pk, 32);
	/* The same key again: nothing to do. */
	assert_int_equal(cert_pin(s, "SN", f->sn_pk, 0, &d), 0);
	/* Another key: refused, naming the nation, unless replacing. */
	assert_int_equal(cert_pin(s, "SN", f->ml_pk, 0, &d), DIB_ECONFLICT);
	assert_non_null(strstr(d.msg, "SN"));
	assert_int_equal(cert_pinned(s, "SN", pk), 0);
	assert_memory_equal(pk, f->sn_pk, 32);
	assert_int_equal(cert_pin(s, "SN", f->ml_pk, 1, &d), 0);
	assert_int_equal(cert_pinned(s, "SN", pk), 0);
	assert_memory_equal(pk, f->ml_pk, 32);
	assert_int_equal(cert_pin(s, "XX", f->ml_pk, 0, &d), DIB_EINVAL);
	assert_int_equal(cert_pin(s, "ML", f->ml_pk, 0, &d), 0);
	assert_int_equal(cert_pin_list(s, &v, &n, &d), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].nation, "ML");
	assert_string_equal(v[1].nation, "SN");
	assert_true(v[0].added > 0);
	free(v);
}

static void
test_check_origin_codes(void **state)
{
	struct fix *f = *state;
	struct store *s = f->n->store;
	struct dib_diag d;
	struct cert *c = malloc(sizeof *c);
	int64_t now = util_now_ms();
	uint8_t *b, *ml;
	size_t len, mlen;

	assert_non_null(c);
	b = make(f, f->sn_sk, "SN", now - DAY, now + DAY, &len);
	/* Not pinned: 403. */
	assert_int_equal(cert_check_origin(s, b, len, now, c, &d), DIB_EPERM);
	assert_int_equal(d.code, DIB_EPERM);
	assert_int_equal(dib_http_status(DIB_EPERM), 403);
	assert_non_null(strstr(d.msg, "not pinned"));
	assert_int_equal(c->len, 0);
	/* Pinned: trusted. */
	assert_int_equal(cert_pin(s, "SN", f->sn_pk, 0, &d), 0);
	assert_int_equal(cert_check_origin(s, b, len, now, c, &d), 0);
	assert_memory_equal(c->node_pk, f->n->signer.pk, 32);
	assert_int_equal(cert_check_origin(s, b, len, now, NULL, &d), 0);
	/* Bad signature, wrong key, expired, garbage, none: 401. */
	b[60] ^= 1;
	assert_int_equal(cert_check_origin(s, b, len, now, c, &d),
	    DIB_EUNAUTH);
	assert_int_equal(d.code, DIB_EUNAUTH);
	assert_int_equal(dib_http_status(DIB_EUNAUTH), 401);
	assert_int_equal(c->len, 0);
	b[60] ^= 1;
	ml = make(f, f->ml_sk, "SN", now - DAY, now + DAY, &mlen);
	assert_int_equal(cert_check_origin(s, ml, mlen, now, c, &d),
	    DIB_EUNAUTH);
	free(ml);
	assert_int_equal(cert_check_origin(s, b, len, now + 2 * DAY, c, &d),
	    DIB_EUNAUTH);
	assert_non_null(strstr(d.msg, "expired"));
	assert_int_equal(cert_check_origin(s, b, len - 1, now, c, &d),
	    DIB_EUNAUTH);
	assert_int_equal(cert_check_origin(s, NULL, 0, now, c, &d),
	    DIB_EUNAUTH);
	/* A Malian node while ML is not pinned: 403; once pinned, trusted. */
	ml = make(f, f->ml_sk, "ML", now - DAY, now + DAY, &mlen);
	assert_int_equal(cert_check_origin(s, ml, mlen, now, c, &d),
	    DIB_EPERM);
	assert_int_equal(cert_pin(s, "ML", f->ml_pk, 0, &d), 0);
	assert_int_equal(cert_check_origin(s, ml, mlen, now, c, &d), 0);
	free(ml);
	free(b);
	free(c);
}

static void
test_certify_node(void **state)
{
	struct fix *f = *state;
	struct dib_diag d;
	struct cert *c = malloc(sizeof *c);
	uint8_t *b, pk[32], sk2[64], pk2[32];
	char path[200], nat[3], *file;
	size_t len, flen;
	struct stat sb;

	assert_non_null(c);
	assert_int_equal(cert_node_cert(f->n, &b, &len, &d), DIB_ENOTFOUND);
	assert_null(b);

	/* A Malian key cannot certify a Senegalese node; nothing changes. */
	assert_int_equal(cert_certify_node(f->n, "ML", f->ml_sk, f->ml_pk,
	    &d), DIB_EINVAL);
	assert_non_null(strstr(d.msg, "ML"));
	assert_int_equal(cert_node_cert(f->n, &b, &len, &d), DIB_ENOTFOUND);
	assert_int_equal(cert_pinned(f->n->store, "ML", pk), DIB_ENOTFOUND);
	snprintf(path, sizeof path, "%s/%s", f->dir, NODE_CERT);
	assert_int_not_equal(stat(path, &sb), 0);
	/* A public key that is not the private key's. */
	assert_int_equal(cert_certify_node(f->n, "SN", f->sn_sk, f->ml_pk,
	    &d), DIB_EINVAL);

	assert_int_equal(cert_certify_node(f->n, "SN", f->sn_sk, f->sn_pk,
	    &d), 0);
	assert_int_equal(cert_node_cert(f->n, &b, &len, &d), 0);
	assert_int_equal(cert_parse(b, len, c, &d), 0);
	assert_memory_equal(c->node_pk, f->n->signer.pk, 32);
	assert_string_equal(c->name, f->n->name);
	assert_string_equal(c->nation, "SN");
	assert_true(c->not_after - c->not_before == CERT_DEFAULT_VALIDITY_MS);
	assert_int_equal(cert_check_origin(f->n->store, b, len, util_now_ms(),
	    NULL, &d), 0);
	/* The file holds the same bytes. */
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0644);
	assert_int_equal(util_read_file(path, 4096, &file, &flen, &d), 0);
	assert_int_equal(flen, len);
	assert_memory_equal(file, b, len);
	free(file);
	free(b);
	assert_int_equal(cert_pinned(f->n->store, "SN", pk), 0);
	assert_memory_equal(pk, f->sn_pk, 32);

	/* Certifying again replaces the certificate. */
	assert_int_equal(cert_certify_node(f->n, "SN", f->sn_sk, f->sn_pk,
	    &d), 0);

	/* A second SN key is refused while the first is pinned, and the
	 * certificate stays; after pin --replace it goes through. */
	snprintf(path, sizeof path, "%s/sn2", f->tmp);
	assert_int_equal(cert_nation_keygen("SN", path, &d), 0);
	snprintf(path, sizeof path, "%s/sn2.key", f->tmp);
	assert_int_equal(cert_nation_key_load(path, nat, sk2, pk2, &d), 0);
	assert_int_equal(cert_certify_node(f->n, nat, sk2, pk2, &d),
	    DIB_ECONFLICT);
	assert_non_null(strstr(d.msg, "SN"));
	assert_int_equal(cert_node_cert(f->n, &b, &len, &d), 0);
	assert_int_equal(cert_parse(b, len, c, &d), 0);
	assert_memory_equal(c->nation_pk, f->sn_pk, 32);
	free(b);
	assert_int_equal(cert_pin(f->n->store, "SN", pk2, 1, &d), 0);
	assert_int_equal(cert_certify_node(f->n, nat, sk2, pk2, &d), 0);
	assert_int_equal(cert_node_cert(f->n, &b, &len, &d), 0);
	assert_int_equal(cert_parse(b, len, c, &d), 0);
	assert_memory_equal(c->nation_pk, pk2, 32);
	free(b);
	sodium_memzero(sk2, sizeof sk2);

	/* Inside a caller's transaction, a failure rolls back only its own
	 * part. */
	assert_int_equal(store_begin(f->n->store, &d), 0);
	assert_int_equal(cert_certify_node(f->n, "SN", f->sn_sk, f->sn_pk,
	    &d), DIB_ECONFLICT);
	assert_int_equal(store_commit(f->n->store, &d), 0);
	free(c);
}

static void
test_peers(void **state)
{
	struct fix *f = *state;
	struct store *s = f->n->store;
	struct dib_diag d;
	struct peer *v, p;
	char long_name[PEER_NAME_MAX + 2];
	size_t n;

	assert_int_equal(peer_list(s, &v, &n, &d), 0);
	assert_int_equal(n, 0);
	assert_null(v);
	assert_int_equal(peer_add(s, "ML-RM4", "ml", "http://10.4.0.2:8080/",
	    &d), 0);
	assert_int_equal(peer_add(s, "SN.Kidira_1", "SN", NULL, &d), 0);
	assert_int_equal(peer_add(s, "ML-Kayes", "ML",
	    "https://[fd00::2]:8443", &d), 0);
	assert_int_equal(peer_list(s, &v, &n, &d), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].name, "ML-Kayes");
	assert_string_equal(v[1].name, "ML-RM4");
	assert_string_equal(v[1].nation, "ML");
	assert_string_equal(v[1].url, "http://10.4.0.2:8080");
	assert_int_equal(v[1].last_at, 0);
	assert_int_equal(v[1].last_ok, -1);
	assert_true(v[1].wait_in == -1 && v[1].wait_out == -1);
	assert_int_equal(v[1].has_node, 0);
	assert_true(v[1].added > 0);
	assert_string_equal(v[2].url, "");
	free(v);
	assert_int_equal(peer_get(s, "SN.Kidira_1", &p, &d), 0);
	assert_string_equal(p.nation, "SN");

	/* Duplicates, also in another case. */
	assert_int_equal(peer_add(s, "ML-RM4", "ML", NULL, &d), DIB_EEXIST);
	assert_string_equal(d.field, "name");
	assert_int_equal(peer_add(s, "ml-rm4", "ML", NULL, &d), DIB_EEXIST);

	/* Bad names. */
	memset(long_name, 'a', sizeof long_name);
	long_name[PEER_NAME_MAX + 1] = '\0';
	assert_int_equal(peer_add(s, long_name, "ML", NULL, &d), DIB_EINVAL);
	long_name[PEER_NAME_MAX] = '\0';
	assert_int_equal(peer_add(s, long_name, "ML", NULL, &d), 0);
	assert_int_equal(peer_add(s, "", "ML", NULL, &d), DIB_EINVAL);
	assert_int_equal(peer_add(s, NULL, "ML", NULL, &d), DIB_EINVAL);
	assert_int_equal(peer_add(s, "a b", "ML", NULL, &d), DIB_EINVAL);
	assert_int_equal(peer_add(s, "a/b", "ML", NULL, &d), DIB_EINVAL);
	assert_int_equal(peer_add(s, "-x", "ML", NULL, &d), DIB_EINVAL);
	assert_int_equal(peer_add(s, "Kédougou", "SN", NULL, &d), DIB_EINVAL);
	assert_string_equal(d.field, "name");

	/* Bad nations and urls. */
	assert_int_equal(peer_add(s, "x1", "XX", NULL, &d), DIB_EINVAL);
	assert_string_equal(d.field, "nation");
	assert_int_equal(peer_add(s, "x1", NULL, NULL, &d), DIB_EINVAL);
	assert_int_equal(peer_add(s, "x1", "ML", "ftp://h", &d), DIB_EINVAL);
	assert_string_equal(d.field, "url");
	assert_int_equal(peer_add(s, "x1", "ML", "10.0.0.1:80", &d),
	    DIB_EINVAL);
	assert_int_equal(peer_add(s, "x1", "ML", "http://", &d), DIB_EINVAL);
	assert_int_equal(peer_add(s, "x1", "ML", "http:///x", &d), DIB_EINVAL);
	assert_int_equal(peer_add(s, "x1", "ML", "http://:80", &d),
	    DIB_EINVAL);
	assert_int_equal(peer_add(s, "x1", "ML", "http://u:p@h", &d),
	    DIB_EINVAL);
	assert_int_equal(peer_add(s, "x1", "ML", "http://h:0", &d),
	    DIB_EINVAL);
	assert_int_equal(peer_add(s, "x1", "ML", "http://h:65536", &d),
	    DIB_EINVAL);
	assert_int_equal(peer_add(s, "x1", "ML", "http://h:8a", &d),
	    DIB_EINVAL);
	assert_int_equal(peer_add(s, "x1", "ML", "http://h:", &d),
	    DIB_EINVAL);
	assert_int_equal(peer_add(s, "x1", "ML", "http://h x", &d),
	    DIB_EINVAL);
	assert_int_equal(peer_add(s, "x1", "ML", "http://h\n", &d),
	    DIB_EINVAL);
	assert_int_equal(peer_get(s, "x1", &p, &d), DIB_ENOTFOUND);
	assert_int_equal(peer_add(s, "x1", "ML", "HTTP://h", &d), DIB_EINVAL);
	assert_int_equal(peer_add(s, "x1", "ML", "https://h:65535/sub/", &d),
	    0);
	assert_int_equal(peer_get(s, "x1", &p, &d), 0);
	assert_string_equal(p.url, "https://h:65535/sub");

	/* Remove. */
	assert_int_equal(peer_remove(s, "ML-RM4", &d), 0);
	assert_int_equal(peer_remove(s, "ML-RM4", &d), DIB_ENOTFOUND);
	assert_non_null(strstr(d.msg, "ML-RM4"));
	assert_int_equal(peer_get(s, "ML-RM4", &p, &d), DIB_ENOTFOUND);
	assert_int_equal(peer_list(s, &v, &n, &d), 0);
	assert_int_equal(n, 4);
	free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_keygen_files, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_key_load_refuses, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fingerprint, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cert_round_trip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cert_tampered, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cert_strict_name, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cert_wrong_key, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cert_window, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_origin_codes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_certify_node, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_peers, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
