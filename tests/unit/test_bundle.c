/*
** Unit tests of fed/bundle: round trips plain and encrypted, from empty
** to 20 MB payloads, and every way a bundle from outside can be wrong:
** flipped bytes, truncation, wrong keys, another dictionary, lengths
** that lie, a file changed between verification and reading.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>
#include <zstd.h>

#include "fed/bundle.h"
#include "util/embed.h"
#include "util/util.h"

struct fix {
	char dir[4096];
	uint8_t node_pk[32], node_sk[64];       /* the sending node */
	uint8_t ml_pk[32], ml_sk[64];           /* the recipient nation */
	uint8_t sn_pk[32], sn_sk[64];           /* another nation */
	uint8_t cert[300];
	struct bundle_meta meta;
};

static int
setup(void **state)
{
	const char *base = getenv("DIBOLI_TEST_TMP");
	struct fix *f = calloc(1, sizeof *f);
	size_t i;

	if (f == NULL || sodium_init() < 0)
		return -1;
	if (base == NULL || *base == '\0')
		base = "/tmp";
	if (mkdir(base, 0700) != 0 && errno != EEXIST)
		return -1;
	snprintf(f->dir, sizeof f->dir, "%s/test_bundle.XXXXXX", base);
	if (mkdtemp(f->dir) == NULL)
		return -1;
	crypto_sign_keypair(f->node_pk, f->node_sk);
	crypto_sign_keypair(f->ml_pk, f->ml_sk);
	crypto_sign_keypair(f->sn_pk, f->sn_sk);
	for (i = 0; i < sizeof f->cert; i++)
		f->cert[i] = (uint8_t)(i * 7);
	memcpy(f->meta.sender_pk, f->node_pk, 32);
	f->meta.cert = f->cert;
	f->meta.cert_len = sizeof f->cert;
	snprintf(f->meta.from_nation, sizeof f->meta.from_nation, "SN");
	snprintf(f->meta.for_nation, sizeof f->meta.for_nation, "ML");
	f->meta.created = 1740009600123LL;
	f->meta.kind = 1;
	f->meta.dict_id = bundle_dict_id();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;
	char cmd[4200];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void
path_of(const struct fix *f, const char *name, char *out, size_t n)
{
	snprintf(out, n, "%s/%s", f->dir, name);
}

/* Files in the fixture's directory. */
static int
dir_count(const struct fix *f)
{
	DIR *dir = opendir(f->dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(dir);
	while ((de = readdir(dir)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

/* Write payload p[0..n) in pieces of step bytes (0: in one call). */
static void
write_bundle(const struct fix *f, const char *name,
    const struct bundle_meta *meta, const uint8_t *p, size_t n, size_t step,
    const uint8_t *encrypt_to)
{
	struct bundle_writer *w = NULL;
	struct dib_diag d;
	char path[4200];
	size_t off = 0;

	path_of(f, name, path, sizeof path);
	if (bundle_writer_open(path, meta, f->node_sk, encrypt_to, &w,
	    &d) != 0)
		fail_msg("open: %s: %s", d.field, d.msg);
	while (off < n) {
		size_t k = step == 0 || n - off < step ? n - off : step;

		assert_int_equal(bundle_write(w, p + off, k, &d), 0);
		off += k;
	}
	if (bundle_writer_close(w, &d) != 0)
		fail_msg("close: %s: %s", d.field, d.msg);
}

static uint8_t *
load(const struct fix *f, const char *name, size_t *len)
{
	struct dib_diag d;
	char path[4200], *p = NULL;

	path_of(f, name, path, sizeof path);
	assert_int_equal(util_read_file(path, 64 * 1024 * 1024, &p, len, &d),
	    0);
	return (uint8_t *)p;
}

/* A sink that keeps what it is given. */
struct collect {
	uint8_t *p;
	size_t n, cap;
	int calls;
	size_t biggest;         /* largest piece given at once */
	int fail_with;          /* return this on the first call, if set */
};

static int
collect_sink(void *arg, const uint8_t *p, size_t n)
{
	struct collect *c = arg;

	c->calls++;
	if (c->fail_with)
		return c->fail_with;
	if (n > c->biggest)
		c->biggest = n;
	if (c->n + n > c->cap) {
		c->cap = (c->n + n) * 2;
		assert_non_null(c->p = realloc(c->p, c->cap));
	}
	memcpy(c->p + c->n, p, n);
	c->n += n;
	return 0;
}

/*
** Open, verify and read n bytes at b with nation key sk into c; the
** first error's code, 0 if all passed. The sink must not be called
** unless the signature checked.
*/
static int
read_mem(const uint8_t *b, size_t n, const uint8_t *sk, struct collect *c,
    struct dib_diag *d)
{
	struct bundle_reader *r = NULL;
	int rc;

	if ((rc = bundle_reader_open_mem(b, n, &r, d)) != 0) {
		assert_null(r);
		return rc;
	}
	if ((rc = bundle_verify(r, d)) != 0) {
		struct dib_diag d2;

		/* Refused whatever the caller does next. */
		assert_int_not_equal(bundle_read(r, sk, collect_sink, c, &d2),
		    0);
		assert_int_equal(c->calls, 0);
		bundle_reader_close(r);
		return rc;
	}
	rc = bundle_read(r, sk, collect_sink, c, d);
	bundle_reader_close(r);
	return rc;
}

/* Sign b[0..n) again as the writer does, with sk: for tests that
** change a bundle and need the signature to still hold. */
static void
resign(uint8_t *b, size_t n, const uint8_t sk[64])
{
	crypto_generichash_state hs;
	uint8_t msg[16 + 64];

	memcpy(msg, "diboli bundle v1", 16);
	crypto_generichash_init(&hs, NULL, 0, 64);
	crypto_generichash_update(&hs, b, n - 64);
	crypto_generichash_final(&hs, msg + 16, 64);
	crypto_sign_detached(b + n - 64, NULL, msg, sizeof msg, sk);
}

static unsigned
be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
set_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
set_be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* Record-like text: what payloads mostly hold. */
static size_t
typical(uint64_t *s, uint8_t *out, size_t n)
{
	size_t used = 0;

	while (used < n) {
		char line[200];
		int k;

		*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
		k = snprintf(line, sizeof line, "{\"id\":\"%016llx\",\"kind\":"
		    "\"observation\",\"category\":\"corridor.checkpoint\","
		    "\"observed_at\":\"2025-03-%02dT%02d:00:00Z\",\"wait\":"
		    "%u}\n",
		    (unsigned long long)*s, (int)(*s >> 40) % 28 + 1,
		    (int)(*s >> 50) % 24, (unsigned)(*s >> 33) % 500);
		if ((size_t)k > n - used)
			k = (int)(n - used);
		memcpy(out + used, line, (size_t)k);
		used += (size_t)k;
	}
	return used;
}

static void
test_dictionary_embedded(void **state)
{
	const struct dib_embedded *e = dib_embed_find(BUNDLE_DICT_NAME);

	(void)state;
	if (e == NULL)
		fail_msg("%s is not embedded: CMakeLists.txt must list "
		    "data/%s in embed_files", BUNDLE_DICT_NAME,
		    BUNDLE_DICT_NAME);
	assert_true(e->len >= 16 * 1024);
	assert_int_not_equal(bundle_dict_id(), 0);
	assert_int_equal(bundle_dict_id(), ZSTD_getDictID_fromDict(e->data,
	    e->len));
}

static void
roundtrip_small(struct fix *f, const uint8_t *encrypt_to)
{
	static const size_t sizes[] = {0, 1, 333};
	uint8_t payload[333];
	uint64_t s = 1;
	size_t i;

	typical(&s, payload, sizeof payload);
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		struct collect c = {0};
		struct bundle_reader *r = NULL;
		const struct bundle_meta *m;
		struct dib_diag d;
		char path[4200];

		write_bundle(f, "small.dibu", &f->meta, payload, sizes[i], 0,
		    encrypt_to);
		path_of(f, "small.dibu", path, sizeof path);
		assert_int_equal(bundle_reader_open(path, &r, &d), 0);
		m = bundle_reader_meta(r);
		assert_memory_equal(m->sender_pk, f->node_pk, 32);
		assert_int_equal(m->cert_len, sizeof f->cert);
		assert_memory_equal(m->cert, f->cert, sizeof f->cert);
		assert_string_equal(m->from_nation, "SN");
		assert_string_equal(m->for_nation, "ML");
		assert_int_equal(m->created, 1740009600123LL);
		assert_int_equal(m->kind, 1);
		assert_int_equal(m->dict_id, bundle_dict_id());
		assert_int_equal(m->max_payload, BUNDLE_MAX_PAYLOAD);
		assert_int_equal(m->encrypted, encrypt_to != NULL);
		if (encrypt_to != NULL)
			assert_memory_equal(m->nation_pk, encrypt_to, 32);
		if (bundle_verify(r, &d) != 0)
			fail_msg("verify: %s: %s", d.field, d.msg);
		if (bundle_read(r, encrypt_to ? f->ml_sk : NULL, collect_sink,
		    &c, &d) != 0)
			fail_msg("read: %s: %s", d.field, d.msg);
		assert_int_equal(c.n, sizes[i]);
		if (sizes[i] > 0)
			assert_memory_equal(c.p, payload, sizes[i]);
		/* A second read gives the same. */
		c.n = 0;
		assert_int_equal(bundle_read(r, encrypt_to ? f->ml_sk : NULL,
		    collect_sink, &c, &d), 0);
		assert_int_equal(c.n, sizes[i]);
		bundle_reader_close(r);
		free(c.p);
	}
	/* Nothing but the bundle in the directory: no temporary left. */
	assert_int_equal(dir_count(f), 1);
}

static void
test_roundtrip_plain(void **state)
{
	roundtrip_small(*state, NULL);
}

static void
test_roundtrip_encrypted(void **state)
{
	struct fix *f = *state;
	uint8_t *b;
	size_t n;

	roundtrip_small(f, f->ml_pk);
	/* The payload does not show through. */
	b = load(f, "small.dibu", &n);
	assert_null(memmem(b, n, "corridor", 8));
	free(b);
}

static void
test_no_dictionary(void **state)
{
	struct fix *f = *state;
	struct bundle_meta m = f->meta;
	struct collect c = {0};
	struct dib_diag d;
	uint8_t payload[5000], *b;
	uint64_t s = 2;
	size_t n;

	typical(&s, payload, sizeof payload);
	m.dict_id = 0;
	write_bundle(f, "nodict.dibu", &m, payload, sizeof payload, 1000,
	    NULL);
	b = load(f, "nodict.dibu", &n);
	assert_int_equal(read_mem(b, n, NULL, &c, &d), 0);
	assert_int_equal(c.n, sizeof payload);
	assert_memory_equal(c.p, payload, sizeof payload);
	free(c.p);
	free(b);
}

/* Hashes the payload it is given, for payloads too big to keep. */
struct hsink {
	crypto_generichash_state hs;
	uint64_t n;
	size_t biggest;
};

static int
hash_sink(void *arg, const uint8_t *p, size_t n)
{
	struct hsink *h = arg;

	crypto_generichash_update(&h->hs, p, n);
	h->n += n;
	if (n > h->biggest)
		h->biggest = n;
	return 0;
}

static void
roundtrip_large(struct fix *f, const uint8_t *encrypt_to)
{
	/* Odd pieces, from one byte to more than a chunk at once. */
	static const size_t steps[] = {1, 3, 4093, 65537, 131071, 777,
	    1048573, 17};
	const size_t total = 20 * 1024 * 1024 + 12345;
	struct bundle_writer *w = NULL;
	struct bundle_reader *r = NULL;
	struct hsink *h = NULL;
	struct dib_diag d;
	crypto_generichash_state hs;
	uint8_t *buf, want[32], got[32];
	uint64_t s = 3;
	size_t off = 0, k = 0, mem1 = 0, mem2, fill = 0, pos = 0;
	char path[4200];
	struct stat sb;

	assert_non_null(buf = malloc(3 * 1024 * 1024));
	/* Aligned: crypto_generichash_state asks for 64 bytes. */
	assert_int_equal(posix_memalign((void **)&h, 64, sizeof *h), 0);
	memset(h, 0, sizeof *h);
	path_of(f, "large.dibu", path, sizeof path);
	assert_int_equal(bundle_writer_open(path, &f->meta, f->node_sk,
	    encrypt_to, &w, &d), 0);
	crypto_generichash_init(&hs, NULL, 0, 32);
	while (off < total) {
		size_t step = steps[k++ % (sizeof steps / sizeof steps[0])];

		if (step > total - off)
			step = total - off;
		if (pos + step > fill) {
			/* Refill: some typical text, some noise. */
			memmove(buf, buf + pos, fill - pos);
			fill -= pos;
			pos = 0;
			fill += typical(&s, buf + fill, 1024 * 1024);
			randombytes_buf(buf + fill, 4096);
			fill += 4096;
		}
		crypto_generichash_update(&hs, buf + pos, step);
		assert_int_equal(bundle_write(w, buf + pos, step, &d), 0);
		pos += step;
		off += step;
		if (mem1 == 0 && off >= 1024 * 1024)
			mem1 = bundle_writer_memory(w);
	}
	crypto_generichash_final(&hs, want, 32);
	/* Memory is set by the compression parameters, not the payload:
	 * the same after 1 MB and after 20 MB, and a few MB only. */
	mem2 = bundle_writer_memory(w);
	assert_int_equal(mem1, mem2);
	assert_true(mem2 < 6 * 1024 * 1024);
	assert_int_equal(bundle_writer_close(w, &d), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_true((size_t)sb.st_size < total);

	assert_int_equal(bundle_reader_open(path, &r, &d), 0);
	assert_int_equal(bundle_verify(r, &d), 0);
	crypto_generichash_init(&h->hs, NULL, 0, 32);
	if (bundle_read(r, encrypt_to ? f->ml_sk : NULL, hash_sink, h,
	    &d) != 0)
		fail_msg("read: %s: %s", d.field, d.msg);
	crypto_generichash_final(&h->hs, got, 32);
	assert_int_equal(h->n, total);
	assert_memory_equal(got, want, 32);
	/* The sink is fed in bounded pieces too. */
	assert_true(h->biggest <= ZSTD_DStreamOutSize());
	bundle_reader_close(r);
	free(h);
	free(buf);
}

static void
test_large_plain(void **state)
{
	roundtrip_large(*state, NULL);
}

static void
test_large_encrypted(void **state)
{
	struct fix *f = *state;

	roundtrip_large(f, f->ml_pk);
}

/* Every byte of b changed in turn must be caught before the sink. */
static void
flip_all(const uint8_t *b, size_t n, const uint8_t *sk)
{
	uint8_t *t = malloc(n);
	size_t i;

	assert_non_null(t);
	for (i = 0; i < n; i++) {
		static const uint8_t masks[] = {0x01, 0x80, 0xff};
		size_t k;

		for (k = 0; k < sizeof masks; k++) {
			struct collect c = {0};
			struct dib_diag d;
			int rc;

			memcpy(t, b, n);
			t[i] ^= masks[k];
			rc = read_mem(t, n, sk, &c, &d);
			if (rc == 0)
				fail_msg("byte %zu ^ 0x%02x not detected", i,
				    masks[k]);
			assert_int_equal(c.calls, 0);
			free(c.p);
		}
	}
	free(t);
}

static void
test_flips(void **state)
{
	struct fix *f = *state;
	uint8_t payload[400], *b;
	uint64_t s = 4;
	size_t n;

	typical(&s, payload, sizeof payload);
	write_bundle(f, "p.dibu", &f->meta, payload, sizeof payload, 0, NULL);
	b = load(f, "p.dibu", &n);
	flip_all(b, n, NULL);
	free(b);
	write_bundle(f, "e.dibu", &f->meta, payload, sizeof payload, 0,
	    f->ml_pk);
	b = load(f, "e.dibu", &n);
	flip_all(b, n, f->ml_sk);
	free(b);
}

static void
truncate_all(const uint8_t *b, size_t n, const uint8_t *sk)
{
	size_t len;

	for (len = 0; len < n; len++) {
		struct collect c = {0};
		struct dib_diag d;

		/* An exact-size copy: any read past len shows under ASan. */
		uint8_t *e = malloc(len ? len : 1);

		assert_non_null(e);
		memcpy(e, b, len);
		if (read_mem(e, len, sk, &c, &d) == 0)
			fail_msg("truncation to %zu bytes not detected", len);
		assert_int_equal(c.calls, 0);
		free(e);
	}
}

static void
test_truncation(void **state)
{
	struct fix *f = *state;
	uint8_t payload[400], *b;
	struct bundle_reader *r = NULL;
	struct dib_diag d;
	char path[4200];
	uint64_t s = 5;
	size_t n;
	int fd;

	typical(&s, payload, sizeof payload);
	write_bundle(f, "p.dibu", &f->meta, payload, sizeof payload, 0, NULL);
	b = load(f, "p.dibu", &n);
	truncate_all(b, n, NULL);
	free(b);
	write_bundle(f, "e.dibu", &f->meta, payload, sizeof payload, 0,
	    f->ml_pk);
	b = load(f, "e.dibu", &n);
	truncate_all(b, n, f->ml_sk);
	/* The same through a file. */
	path_of(f, "cut.dibu", path, sizeof path);
	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0);
	assert_int_equal(write(fd, b, n - 1), (ssize_t)(n - 1));
	close(fd);
	assert_int_equal(bundle_reader_open(path, &r, &d), 0);
	assert_int_equal(bundle_verify(r, &d), DIB_ECRYPTO);
	assert_string_equal(d.field, "bundle.signature");
	bundle_reader_close(r);
	assert_true((fd = open(path, O_WRONLY | O_TRUNC)) >= 0);
	assert_int_equal(write(fd, b, 20), 20);
	close(fd);
	assert_int_equal(bundle_reader_open(path, &r, &d), DIB_EINVAL);
	assert_null(r);
	assert_non_null(strstr(d.msg, "too short"));
	free(b);
}

static void
test_wrong_key(void **state)
{
	struct fix *f = *state;
	struct collect c = {0};
	struct dib_diag d;
	uint8_t payload[100], *b, mixed[64];
	size_t n;

	memset(payload, 'x', sizeof payload);
	write_bundle(f, "e.dibu", &f->meta, payload, sizeof payload, 0,
	    f->ml_pk);
	b = load(f, "e.dibu", &n);
	/* Anyone can check the origin without the key. */
	{
		struct bundle_reader *r = NULL;

		assert_int_equal(bundle_reader_open_mem(b, n, &r, &d), 0);
		assert_int_equal(bundle_verify(r, &d), 0);
		bundle_reader_close(r);
	}
	assert_int_equal(read_mem(b, n, NULL, &c, &d), DIB_ECRYPTO);
	assert_string_equal(d.field, "bundle.key");
	assert_non_null(strstr(d.msg, "secret key is needed"));
	assert_int_equal(read_mem(b, n, f->sn_sk, &c, &d), DIB_ECRYPTO);
	assert_string_equal(d.field, "bundle.key");
	assert_non_null(strstr(d.msg, "not to this key"));
	/* The right public half with another secret. */
	memcpy(mixed, f->sn_sk, 32);
	memcpy(mixed + 32, f->ml_pk, 32);
	assert_int_equal(read_mem(b, n, mixed, &c, &d), DIB_ECRYPTO);
	assert_non_null(strstr(d.msg, "does not open"));
	assert_int_equal(c.calls, 0);
	assert_int_equal(read_mem(b, n, f->ml_sk, &c, &d), 0);
	assert_int_equal(c.n, sizeof payload);
	free(c.p);
	free(b);
}

static void
test_wrong_dictionary(void **state)
{
	struct fix *f = *state;
	struct bundle_meta m = f->meta;
	struct bundle_writer *w = NULL;
	struct collect c = {0};
	struct dib_diag d;
	uint8_t payload[3000], *b;
	uint64_t s = 6;
	size_t n;
	char path[4200];

	if (bundle_dict_id() == 0)
		fail_msg("no %s embedded (see test_dictionary_embedded)",
		    BUNDLE_DICT_NAME);
	typical(&s, payload, sizeof payload);
	/* A writer cannot name a dictionary it does not have. */
	path_of(f, "x.dibu", path, sizeof path);
	m.dict_id = bundle_dict_id() + 1;
	assert_int_equal(bundle_writer_open(path, &m, f->node_sk, NULL, &w,
	    &d), DIB_EINVAL);
	assert_null(w);
	assert_string_equal(d.field, "meta.dict_id");
	/* A genuine bundle from a node with another dictionary. */
	write_bundle(f, "p.dibu", &f->meta, payload, sizeof payload, 0, NULL);
	b = load(f, "p.dibu", &n);
	set_be32(b + 21, bundle_dict_id() + 1);
	resign(b, n, f->node_sk);
	assert_int_equal(read_mem(b, n, NULL, &c, &d), DIB_EINVAL);
	assert_string_equal(d.field, "bundle.dictionary");
	assert_non_null(strstr(d.msg, "dictionary id"));
	/* A header that says none, over a stream that needs ours. */
	set_be32(b + 21, 0);
	resign(b, n, f->node_sk);
	assert_int_equal(read_mem(b, n, NULL, &c, &d), DIB_EINVAL);
	assert_string_equal(d.field, "bundle.dictionary");
	assert_int_equal(c.calls, 0);
	free(b);
}

static void
test_huge_lengths(void **state)
{
	struct fix *f = *state;
	struct collect c = {0};
	struct dib_diag d;
	uint8_t payload[1000], *b, *t;
	uint64_t s = 7;
	size_t n, h;

	typical(&s, payload, sizeof payload);
	write_bundle(f, "p.dibu", &f->meta, payload, sizeof payload, 0, NULL);
	b = load(f, "p.dibu", &n);
	assert_non_null(t = malloc(n));
	h = be16(b + 6);
	assert_int_equal(h, 67 + sizeof f->cert);

	/* Header length, certificate length, payload limit: refused by
	 * the parser, signature or not. */
	memcpy(t, b, n);
	t[6] = t[7] = 0xff;
	assert_int_equal(read_mem(t, n, NULL, &c, &d), DIB_EINVAL);
	assert_non_null(strstr(d.msg, "header length"));
	memcpy(t, b, n);
	t[65] = t[66] = 0xff;
	assert_int_equal(read_mem(t, n, NULL, &c, &d), DIB_EINVAL);
	assert_non_null(strstr(d.msg, "certificate length"));
	memcpy(t, b, n);
	set_be64(t + 25, UINT64_MAX);
	assert_int_equal(read_mem(t, n, NULL, &c, &d), DIB_EINVAL);
	assert_non_null(strstr(d.msg, "payload limit"));
	memcpy(t, b, n);
	set_be64(t + 25, BUNDLE_MAX_PAYLOAD + 1);
	assert_int_equal(read_mem(t, n, NULL, &c, &d), DIB_EINVAL);

	/* Signed lies: the sender's own bundle must not be trusted
	 * either. A chunk longer than the file: */
	memcpy(t, b, n);
	set_be32(t + h, 0xffffffffu);
	resign(t, n, f->node_sk);
	assert_int_equal(read_mem(t, n, NULL, &c, &d), DIB_EINVAL);
	assert_string_equal(d.field, "bundle.chunks");
	/* A payload length over the header's limit: */
	memcpy(t, b, n);
	set_be64(t + n - 72, 1ULL << 62);
	resign(t, n, f->node_sk);
	assert_int_equal(read_mem(t, n, NULL, &c, &d), DIB_EINVAL);
	assert_string_equal(d.field, "bundle.trailer");
	/* A lower limit in the header than the trailer's length: */
	memcpy(t, b, n);
	set_be64(t + 25, 999);
	resign(t, n, f->node_sk);
	assert_int_equal(read_mem(t, n, NULL, &c, &d), DIB_EINVAL);
	assert_string_equal(d.field, "bundle.trailer");
	assert_int_equal(c.calls, 0);
	/* A payload longer than its trailer says: stopped at the limit. */
	memcpy(t, b, n);
	set_be64(t + n - 72, 10);
	resign(t, n, f->node_sk);
	assert_int_equal(read_mem(t, n, NULL, &c, &d), DIB_ETOOBIG);
	assert_true(c.n <= 10);
	free(c.p);
	memset(&c, 0, sizeof c);
	/* Shorter: caught at the end. */
	memcpy(t, b, n);
	set_be64(t + n - 72, 1001);
	resign(t, n, f->node_sk);
	assert_int_equal(read_mem(t, n, NULL, &c, &d), DIB_ETAMPER);
	assert_non_null(strstr(d.msg, "trailer declares"));
	free(c.p);
	free(t);
	free(b);
}

/* Byte offsets of the chunks of bundle b (up to max), and their count. */
static size_t
chunks(const uint8_t *b, size_t n, size_t *offs, size_t max)
{
	size_t off = be16(b + 6), k = 0;

	for (;;) {
		uint32_t len = be32(b + off);

		if (len == 0)
			break;
		assert_true(k < max);
		offs[k++] = off;
		off += 4 + len;
		assert_true(off <= n - 76);
	}
	assert_int_equal(off, n - 76);
	return k;
}

static void
test_stream_cut(void **state)
{
	struct fix *f = *state;
	struct collect c = {0};
	struct dib_diag d;
	uint8_t *payload, *b, *t;
	size_t n, offs[16], k, last, cut;

	/* Incompressible: several chunks. */
	assert_non_null(payload = malloc(200000));
	randombytes_buf(payload, 200000);
	write_bundle(f, "e.dibu", &f->meta, payload, 200000, 0, f->ml_pk);
	b = load(f, "e.dibu", &n);
	assert_non_null(t = malloc(n));
	k = chunks(b, n, offs, 16);
	assert_true(k >= 3);
	/* Drop the final chunk, keep the end marker and trailer, sign
	 * again: the stream ends without TAG_FINAL. */
	last = offs[k - 1];
	cut = n - 76 - last;
	memcpy(t, b, last);
	memcpy(t + last, b + n - 76, 76);
	resign(t, n - cut, f->node_sk);
	assert_int_equal(read_mem(t, n - cut, f->ml_sk, &c, &d), DIB_ETAMPER);
	assert_non_null(strstr(d.msg, "final tag"));
	free(c.p);
	memset(&c, 0, sizeof c);
	/* Swap two chunks: they no longer decrypt in order. */
	{
		size_t l0 = offs[1] - offs[0], l1 = offs[2] - offs[1];

		assert_int_equal(l0, l1);
		memcpy(t, b, n);
		memcpy(t + offs[0], b + offs[1], l1);
		memcpy(t + offs[1], b + offs[0], l0);
		resign(t, n, f->node_sk);
		assert_int_equal(read_mem(t, n, f->ml_sk, &c, &d),
		    DIB_ECRYPTO);
		assert_string_equal(d.field, "bundle.payload");
		assert_int_equal(c.calls, 0);
	}
	free(t);
	free(b);

	/* Plain: without its last chunk the zstd frame ends early. */
	write_bundle(f, "p.dibu", &f->meta, payload, 200000, 0, NULL);
	b = load(f, "p.dibu", &n);
	assert_non_null(t = malloc(n));
	k = chunks(b, n, offs, 16);
	last = offs[k - 1];
	cut = n - 76 - last;
	memcpy(t, b, last);
	memcpy(t + last, b + n - 76, 76);
	resign(t, n - cut, f->node_sk);
	assert_int_equal(read_mem(t, n - cut, NULL, &c, &d), DIB_ETAMPER);
	assert_non_null(strstr(d.msg, "ends early"));
	free(c.p);
	free(t);
	free(b);
	free(payload);
}

static void
test_changed_after_verify(void **state)
{
	struct fix *f = *state;
	struct bundle_reader *r = NULL;
	struct collect c = {0};
	struct dib_diag d;
	uint8_t *payload, *b, x;
	size_t n, offs[16], k;
	char path[4200];
	int fd;

	assert_non_null(payload = malloc(200000));
	randombytes_buf(payload, 200000);
	write_bundle(f, "p.dibu", &f->meta, payload, 200000, 0, NULL);
	b = load(f, "p.dibu", &n);
	k = chunks(b, n, offs, 16);
	path_of(f, "p.dibu", path, sizeof path);
	assert_int_equal(bundle_reader_open(path, &r, &d), 0);
	assert_int_equal(bundle_verify(r, &d), 0);
	/* Someone writes into the file between the two passes. */
	assert_true((fd = open(path, O_WRONLY)) >= 0);
	x = b[offs[k - 1] + 10] ^ 0x55;
	assert_int_equal(pwrite(fd, &x, 1, (off_t)(offs[k - 1] + 10)), 1);
	close(fd);
	assert_int_not_equal(bundle_read(r, NULL, collect_sink, &c, &d), 0);
	bundle_reader_close(r);
	free(c.p);
	free(b);
	free(payload);
}

static void
test_sink_error(void **state)
{
	struct fix *f = *state;
	struct collect c = {0};
	struct dib_diag d;
	uint8_t payload[100], *b;
	size_t n;

	memset(payload, 'y', sizeof payload);
	write_bundle(f, "p.dibu", &f->meta, payload, sizeof payload, 0, NULL);
	b = load(f, "p.dibu", &n);
	c.fail_with = DIB_EDB;
	assert_int_equal(read_mem(b, n, NULL, &c, &d), DIB_EDB);
	assert_int_equal(d.code, DIB_EDB);
	assert_non_null(strstr(d.msg, "consumer"));
	assert_int_equal(c.calls, 1);
	free(b);
}

static void
test_read_before_verify(void **state)
{
	struct fix *f = *state;
	struct bundle_reader *r = NULL;
	struct collect c = {0};
	struct dib_diag d;
	uint8_t payload[10] = "0123456789", *b, junk[64];
	char path[4200];
	size_t n;

	write_bundle(f, "p.dibu", &f->meta, payload, sizeof payload, 0, NULL);
	b = load(f, "p.dibu", &n);
	assert_int_equal(bundle_reader_open_mem(b, n, &r, &d), 0);
	assert_int_equal(bundle_read(r, NULL, collect_sink, &c, &d),
	    DIB_EINVAL);
	assert_non_null(strstr(d.msg, "bundle_verify"));
	assert_int_equal(c.calls, 0);
	bundle_reader_close(r);
	free(b);
	/* Not a bundle, not a file. */
	assert_int_equal(bundle_reader_open_mem(NULL, 0, &r, &d), DIB_EINVAL);
	memset(junk, 'P', sizeof junk);
	assert_int_equal(bundle_reader_open_mem(junk, sizeof junk, &r, &d),
	    DIB_EINVAL);
	assert_non_null(strstr(d.msg, "magic"));
	assert_int_equal(bundle_reader_open(f->dir, &r, &d), DIB_EINVAL);
	assert_null(r);
	path_of(f, "missing.dibu", path, sizeof path);
	assert_int_equal(bundle_reader_open(path, &r, &d), DIB_ENOTFOUND);
	assert_null(r);
}

static void
test_writer_errors(void **state)
{
	struct fix *f = *state;
	struct bundle_writer *w = NULL;
	struct bundle_meta m;
	struct dib_diag d;
	uint8_t zero[32] = {0}, big[BUNDLE_CERT_MAX + 1] = {0};
	char path[4200];
	struct stat sb;

	path_of(f, "w.dibu", path, sizeof path);
	m = f->meta;
	snprintf(m.from_nation, sizeof m.from_nation, "XX");
	assert_int_equal(bundle_writer_open(path, &m, f->node_sk, NULL, &w,
	    &d), DIB_EINVAL);
	assert_string_equal(d.field, "meta.from_nation");
	m = f->meta;
	m.for_nation[0] = '\0';
	assert_int_equal(bundle_writer_open(path, &m, f->node_sk, NULL, &w,
	    &d), DIB_EINVAL);
	assert_string_equal(d.field, "meta.for_nation");
	m = f->meta;
	m.cert = big;
	m.cert_len = sizeof big;
	assert_int_equal(bundle_writer_open(path, &m, f->node_sk, NULL, &w,
	    &d), DIB_ETOOBIG);
	m.cert_len = BUNDLE_CERT_MAX;   /* the most allowed */
	assert_int_equal(bundle_writer_open(path, &m, f->node_sk, NULL, &w,
	    &d), 0);
	bundle_writer_abort(w);
	w = NULL;
	m = f->meta;
	assert_int_equal(bundle_writer_open(path, &m, f->sn_sk, NULL, &w, &d),
	    DIB_EINVAL);
	assert_string_equal(d.field, "meta.sender_pk");
	assert_int_equal(bundle_writer_open(path, &m, f->node_sk, zero, &w,
	    &d), DIB_ECRYPTO);
	m.max_payload = BUNDLE_MAX_PAYLOAD + 1;
	assert_int_equal(bundle_writer_open(path, &m, f->node_sk, NULL, &w,
	    &d), DIB_ETOOBIG);
	assert_null(w);
	/* Nothing was left behind. */
	assert_int_equal(dir_count(f), 0);

	/* Over the declared limit: the writer stops, nothing remains. */
	m.max_payload = 100;
	assert_int_equal(bundle_writer_open(path, &m, f->node_sk, f->ml_pk,
	    &w, &d), 0);
	assert_int_equal(dir_count(f), 1);      /* the temporary file */
	assert_int_equal(bundle_write(w, big, 60, &d), 0);
	assert_int_equal(bundle_write(w, big, 41, &d), DIB_ETOOBIG);
	assert_int_equal(bundle_write(w, big, 1, &d), DIB_EINVAL);
	assert_int_not_equal(bundle_writer_close(w, &d), 0);
	assert_int_not_equal(stat(path, &sb), 0);
	assert_int_equal(dir_count(f), 0);
	/* Exactly the limit is fine. */
	assert_int_equal(bundle_writer_open(path, &m, f->node_sk, NULL, &w,
	    &d), 0);
	assert_int_equal(bundle_write(w, big, 100, &d), 0);
	assert_int_equal(bundle_writer_close(w, &d), 0);
	assert_int_equal(stat(path, &sb), 0);
	unlink(path);
	/* Abort leaves nothing, the final name included. */
	assert_int_equal(bundle_writer_open(path, &f->meta, f->node_sk, NULL,
	    &w, &d), 0);
	assert_int_equal(bundle_write(w, big, 1000, &d), 0);
	bundle_writer_abort(w);
	bundle_writer_abort(NULL);
	assert_int_equal(dir_count(f), 0);
	/* A directory that does not exist. */
	path_of(f, "no/such/dir.dibu", path, sizeof path);
	assert_int_equal(bundle_writer_open(path, &f->meta, f->node_sk, NULL,
	    &w, &d), DIB_EIO);
	assert_null(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dictionary_embedded),
		cmocka_unit_test_setup_teardown(test_roundtrip_plain, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip_encrypted,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_dictionary, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_large_plain, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_large_encrypted, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_flips, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncation, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_wrong_key, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_wrong_dictionary, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_huge_lengths, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stream_cut, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_changed_after_verify,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_sink_error, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_read_before_verify, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_writer_errors, setup,
		    teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
