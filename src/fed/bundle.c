/*
** Bundle files: a signed, zstd-compressed (with the shipped dictionary),
** optionally encrypted container around an opaque payload byte stream,
** written and read in bounded memory whatever the payload size.
**
** Layout, all integers big-endian (docs/bundle.md says more):
**
**   header
**     0    4  magic "DIBU"
**     4    1  version (1)
**     5    1  flags: bit 0 encrypted; the other bits are zero
**     6    2  header length H: bytes from offset 0 to the first chunk
**     8    8  created, ms since 1970 (two's complement)
**     16   2  sender nation, ISO 3166-1 alpha-2
**     18   2  recipient nation ("for")
**     20   1  payload kind and version
**     21   4  zstd dictionary id (0: no dictionary)
**     25   8  payload limit: the payload has at most this many bytes
**              (1 .. 2^34)
**     33  32  sender node Ed25519 public key
**     65   2  certificate length C (0 .. 4096)
**     67   C  sender certificate (opaque here)
**   if encrypted
**     67+C    32  recipient nation Ed25519 public key
**     99+C    80  stream key sealed to it (crypto_box_seal)
**     179+C   24  secretstream header
**   so H = 67 + C, or 203 + C when encrypted.
**
**   chunks, each: length L (4) | L bytes; L = 0 ends them
**     plain:     L in 1 .. 65536, the zstd stream cut anywhere
**     encrypted: L in 17 .. 65553, one secretstream message holding up
**                to 65536 bytes of the zstd stream; the first message
**                has the header (H bytes) as additional data, the last
**                one (and only it) carries TAG_FINAL
**
**   trailer
**     8   payload length, the bytes the zstd stream decompresses to
**     64  Ed25519 signature by the sender of the 80 bytes
**         "diboli bundle v1" | BLAKE2b-512(every byte before it)
**
** The zstd stream is one frame with a content checksum and the
** dictionary id, its window at most 1 MB. The payload is compressed,
** then encrypted, then signed: anyone can check the origin without the
** key, and tampering is found before decryption is even tried.
*/
#include "fed/bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "util/embed.h"
#include "util/util.h"

#define FLAG_ENCRYPTED 0x01
#define FIXED_LEN 67            /* header bytes before the certificate */
#define KEY_LEN crypto_secretstream_xchacha20poly1305_KEYBYTES
#define SEALED_LEN (crypto_box_SEALBYTES + KEY_LEN)
#define SS_HEADER_LEN crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define ABYTES crypto_secretstream_xchacha20poly1305_ABYTES
#define TAG_MESSAGE crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
#define TAG_FINAL crypto_secretstream_xchacha20poly1305_TAG_FINAL
#define ENC_LEN (32 + SEALED_LEN + SS_HEADER_LEN)
#define TRAILER_LEN (4 + 8 + 64) /* end marker, payload length, sig */
#define SIG_CONTEXT "diboli bundle v1"
#define SIG_CONTEXT_LEN 16
#define DIGEST_LEN 64

/*
** Compression parameters, explicit: with a dictionary and a size not
** known in advance, zstd would otherwise pick those of small inputs.
** Measured on typical payloads with the 32 KB dictionary (docs/bundle.md,
** 1,000 and 10,000 records, one core): level 3 x4.9 at 350 MB/s, level 6
** x5.5 at 155 MB/s, level 9 x5.8 at 110 MB/s, these x5.9 at 75 MB/s,
** btopt x6.0 at 12 MB/s, level 19 x6.1 at 5 MB/s. These are level 12's
** search (lazy2, 2^6 attempts, target 32) on tables of at most 2^18
** entries: 3% smaller than level 9, still far faster than a USB stick
** or any link we send on, where level 19 would make a large export take
** minutes. A 4 MB window measured no better than 1 MB (records repeat
** locally: same categories, places and days), and 1 MB bounds memory:
** the compressor holds ~3.6 MB, the decompressor ~1.5 MB, and a reader
** refuses a frame that asks for a larger window.
*/
#define WINDOW_LOG 20
#define HASH_LOG 18
#define CHAIN_LOG 18
#define SEARCH_LOG 6
#define MIN_MATCH 5
#define TARGET_LENGTH 32
#define STRATEGY ZSTD_lazy2
#define LEVEL 12

_Static_assert(BUNDLE_HEADER_MAX == FIXED_LEN + BUNDLE_CERT_MAX + ENC_LEN,
    "BUNDLE_HEADER_MAX in bundle.h matches the layout");
_Static_assert(SEALED_LEN == 80 && SS_HEADER_LEN == 24 && ABYTES == 17,
    "the layout above assumes libsodium's sizes");

static const uint8_t magic[4] = {'D', 'I', 'B', 'U'};

struct bundle_writer {
	/* First: crypto_generichash_state wants 64-byte alignment. */
	crypto_generichash_state hs;    /* over every byte written */
	crypto_secretstream_xchacha20poly1305_state ss;
	int fd;                         /* the temporary file, or -1 */
	char path[PATH_MAX];            /* the final name */
	char tmp[PATH_MAX];             /* the temporary name, "" if none */
	uint8_t sk[64];                 /* the node's secret key, wiped */
	ZSTD_CCtx *zc;
	int encrypted;
	int first;                      /* the next chunk is the first */
	int failed;                     /* after an error: abort only */
	uint8_t hdr[BUNDLE_HEADER_MAX]; /* as written */
	size_t hlen;
	uint8_t *zbuf;                  /* zstd output not yet in a chunk */
	size_t zlen;
	uint8_t *cbuf;                  /* one chunk as written */
	uint64_t total;                 /* payload bytes so far */
	uint64_t max;                   /* payload limit */
};

struct bundle_reader {
	int fd;                         /* the file, or -1 for memory */
	const uint8_t *mem;             /* the bytes, for memory */
	uint64_t size;                  /* bytes of the bundle */
	uint8_t hdr[BUNDLE_HEADER_MAX]; /* the header as parsed and hashed */
	size_t hlen;
	struct bundle_meta meta;        /* cert points into hdr */
	uint8_t sealed[SEALED_LEN];     /* the sealed stream key */
	uint8_t ss_header[SS_HEADER_LEN];
	int verified;                   /* bundle_verify succeeded */
	uint8_t digest[DIGEST_LEN];     /* of what was verified */
	uint64_t payload_len;           /* from the verified trailer */
};

/* Two upper-case letters naming a known nation. */
static int
nation_ok(const uint8_t *p, char out[3])
{
	if (p[0] < 'A' || p[0] > 'Z' || p[1] < 'A' || p[1] > 'Z')
		return 0;
	out[0] = (char)p[0];
	out[1] = (char)p[1];
	out[2] = '\0';
	return util_nation_valid(out);
}

/* The dictionary this binary carries, or NULL. */
static const struct dib_embedded *
dict_get(void)
{
	return dib_embed_find(BUNDLE_DICT_NAME);
}

uint32_t
bundle_dict_id(void)
{
	const struct dib_embedded *e = dict_get();

	return e ? (uint32_t)ZSTD_getDictID_fromDict(e->data, e->len) : 0;
}

/* Can this node use dictionary id (0: none)? */
static int
dict_check(uint32_t id, const char *field, struct dib_diag *d)
{
	uint32_t have = bundle_dict_id();

	if (id == 0 || id == have)
		return DIB_OK;
	if (have == 0)
		return dib_fail(d, DIB_EINVAL, field, "compressed with "
		    "dictionary id %u, but this binary carries no %s",
		    (unsigned)id, BUNDLE_DICT_NAME);
	return dib_fail(d, DIB_EINVAL, field, "compressed with dictionary "
	    "id %u, but this node has dictionary id %u: both sides must run "
	    "the same %s", (unsigned)id, (unsigned)have, BUNDLE_DICT_NAME);
}

/* The message the sender signs: a context, then the digest. */
static void
sig_message(const uint8_t digest[DIGEST_LEN],
    uint8_t msg[SIG_CONTEXT_LEN + DIGEST_LEN])
{
	memcpy(msg, SIG_CONTEXT, SIG_CONTEXT_LEN);
	memcpy(msg + SIG_CONTEXT_LEN, digest, DIGEST_LEN);
}

/* Allocate zeroed memory aligned for libsodium's hash state. */
static void *
alloc_aligned(size_t n)
{
	void *p = NULL;

	if (posix_memalign(&p, 64, n) != 0)
		return NULL;
	memset(p, 0, n);
	return p;
}

/* ---- Writer ---- */

static int
write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n > 0) {
		ssize_t k = write(fd, b, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Write bytes that the signature covers. */
static int
out_put(struct bundle_writer *w, const void *p, size_t n,
    struct dib_diag *d)
{
	crypto_generichash_update(&w->hs, p, n);
	if (write_all(w->fd, p, n) != 0) {
		w->failed = 1;
		return dib_fail(d, DIB_EIO, "file", "cannot write %s: %s",
		    w->tmp, strerror(errno));
	}
	return DIB_OK;
}

/* Write the pending zstd output as one chunk (final: the last one). */
static int
emit_chunk(struct bundle_writer *w, int final, struct dib_diag *d)
{
	unsigned long long clen;
	int rc;

	if (!w->encrypted) {
		/* An empty chunk would read as the end marker. */
		if (w->zlen == 0)
			return DIB_OK;
		util_put_be32(w->cbuf, (uint32_t)w->zlen);
		memcpy(w->cbuf + 4, w->zbuf, w->zlen);
		clen = w->zlen;
	} else {
		crypto_secretstream_xchacha20poly1305_push(&w->ss, w->cbuf + 4,
		    &clen, w->zbuf, w->zlen, w->first ? w->hdr : NULL,
		    w->first ? w->hlen : 0, final ? TAG_FINAL : TAG_MESSAGE);
		util_put_be32(w->cbuf, (uint32_t)clen);
	}
	if ((rc = out_put(w, w->cbuf, 4 + (size_t)clen, d)) != 0)
		return rc;
	w->first = 0;
	w->zlen = 0;
	return DIB_OK;
}

static int
zstd_fail(struct bundle_writer *w, size_t r, struct dib_diag *d)
{
	w->failed = 1;
	return dib_fail(d, ZSTD_getErrorCode(r) ==
	    ZSTD_error_memory_allocation ? DIB_ENOMEM : DIB_EINVAL, "bundle",
	    "compression failed: %s", ZSTD_getErrorName(r));
}

/* Set up the compressor: level, window, checksum, dictionary. */
static int
writer_zstd(struct bundle_writer *w, uint32_t dict_id, struct dib_diag *d)
{
	size_t r;

	if ((w->zc = ZSTD_createCCtx()) == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	if (ZSTD_isError(r = ZSTD_CCtx_setParameter(w->zc,
	    ZSTD_c_compressionLevel, LEVEL)) ||
	    ZSTD_isError(r = ZSTD_CCtx_setParameter(w->zc, ZSTD_c_windowLog,
	    WINDOW_LOG)) ||
	    ZSTD_isError(r = ZSTD_CCtx_setParameter(w->zc, ZSTD_c_hashLog,
	    HASH_LOG)) ||
	    ZSTD_isError(r = ZSTD_CCtx_setParameter(w->zc, ZSTD_c_chainLog,
	    CHAIN_LOG)) ||
	    ZSTD_isError(r = ZSTD_CCtx_setParameter(w->zc, ZSTD_c_searchLog,
	    SEARCH_LOG)) ||
	    ZSTD_isError(r = ZSTD_CCtx_setParameter(w->zc, ZSTD_c_minMatch,
	    MIN_MATCH)) ||
	    ZSTD_isError(r = ZSTD_CCtx_setParameter(w->zc,
	    ZSTD_c_targetLength, TARGET_LENGTH)) ||
	    ZSTD_isError(r = ZSTD_CCtx_setParameter(w->zc, ZSTD_c_strategy,
	    STRATEGY)) ||
	    ZSTD_isError(r = ZSTD_CCtx_setParameter(w->zc,
	    ZSTD_c_checksumFlag, 1)) ||
	    ZSTD_isError(r = ZSTD_CCtx_setParameter(w->zc, ZSTD_c_dictIDFlag,
	    1)))
		return zstd_fail(w, r, d);
	if (dict_id != 0) {
		const struct dib_embedded *e = dict_get();

		if (ZSTD_isError(r = ZSTD_CCtx_loadDictionary(w->zc,
		    e->data, e->len)))
			return zstd_fail(w, r, d);
	}
	return DIB_OK;
}

/* The header of meta into w->hdr; the stream key if encrypting. */
static int
writer_header(struct bundle_writer *w, const struct bundle_meta *meta,
    const uint8_t *nation_pk, const uint8_t *nation_xpk,
    struct dib_diag *d)
{
	uint8_t *p = w->hdr, key[KEY_LEN];
	size_t hlen = FIXED_LEN + meta->cert_len +
	    (nation_pk ? ENC_LEN : 0);

	memcpy(p, magic, 4);
	p += 4;
	*p++ = BUNDLE_VERSION;
	*p++ = nation_pk ? FLAG_ENCRYPTED : 0;
	p = util_put_be16(p, (uint16_t)hlen);
	p = util_put_be64(p, (uint64_t)meta->created);
	memcpy(p, meta->from_nation, 2);
	memcpy(p + 2, meta->for_nation, 2);
	p += 4;
	*p++ = meta->kind;
	p = util_put_be32(p, meta->dict_id);
	p = util_put_be64(p, w->max);
	memcpy(p, meta->sender_pk, 32);
	p += 32;
	p = util_put_be16(p, (uint16_t)meta->cert_len);
	if (meta->cert_len > 0)
		memcpy(p, meta->cert, meta->cert_len);
	p += meta->cert_len;
	if (nation_pk != NULL) {
		memcpy(p, nation_pk, 32);
		p += 32;
		crypto_secretstream_xchacha20poly1305_keygen(key);
		if (crypto_box_seal(p, key, KEY_LEN, nation_xpk) != 0) {
			sodium_memzero(key, sizeof key);
			return dib_fail(d, DIB_ECRYPTO, "encrypt_to",
			    "cannot seal the stream key to the nation key");
		}
		p += SEALED_LEN;
		crypto_secretstream_xchacha20poly1305_init_push(&w->ss, p, key);
		sodium_memzero(key, sizeof key);
		p += SS_HEADER_LEN;
	}
	w->hlen = (size_t)(p - w->hdr);
	return out_put(w, w->hdr, w->hlen, d);
}

static int
check_meta(const struct bundle_meta *meta, const uint8_t node_sk[64],
    struct dib_diag *d)
{
	char n[3];

	if (meta->cert_len > BUNDLE_CERT_MAX)
		return dib_fail(d, DIB_ETOOBIG, "meta.cert", "%zu bytes, at "
		    "most %d", meta->cert_len, BUNDLE_CERT_MAX);
	if (meta->cert_len > 0 && meta->cert == NULL)
		return dib_fail(d, DIB_EINVAL, "meta.cert", "missing");
	if (!nation_ok((const uint8_t *)meta->from_nation, n) ||
	    meta->from_nation[2] != '\0')
		return dib_fail(d, DIB_EINVAL, "meta.from_nation",
		    "not an ISO 3166-1 alpha-2 nation code");
	if (!nation_ok((const uint8_t *)meta->for_nation, n) ||
	    meta->for_nation[2] != '\0')
		return dib_fail(d, DIB_EINVAL, "meta.for_nation",
		    "not an ISO 3166-1 alpha-2 nation code");
	if (meta->max_payload > BUNDLE_MAX_PAYLOAD)
		return dib_fail(d, DIB_ETOOBIG, "meta.max_payload",
		    "%llu bytes, at most %llu",
		    (unsigned long long)meta->max_payload,
		    (unsigned long long)BUNDLE_MAX_PAYLOAD);
	if (meta->dict_id != 0 && meta->dict_id != bundle_dict_id())
		return dib_fail(d, DIB_EINVAL, "meta.dict_id", "this binary "
		    "has dictionary id %u, not %u", (unsigned)bundle_dict_id(),
		    (unsigned)meta->dict_id);
	if (memcmp(node_sk + 32, meta->sender_pk, 32) != 0)
		return dib_fail(d, DIB_EINVAL, "meta.sender_pk",
		    "is not the public key of the signing node key");
	return DIB_OK;
}

int
bundle_writer_open(const char *path, const struct bundle_meta *meta,
    const uint8_t node_sk[64], const uint8_t *encrypt_to_nation_pk,
    struct bundle_writer **out, struct dib_diag *d)
{
	struct bundle_writer *w = NULL;
	uint8_t xpk[crypto_box_PUBLICKEYBYTES];
	int rc;

	*out = NULL;
	if ((rc = check_meta(meta, node_sk, d)) != 0)
		return rc;
	if (encrypt_to_nation_pk != NULL &&
	    crypto_sign_ed25519_pk_to_curve25519(xpk,
	    encrypt_to_nation_pk) != 0)
		return dib_fail(d, DIB_ECRYPTO, "encrypt_to",
		    "not a usable Ed25519 public key");
	if ((w = alloc_aligned(sizeof *w)) == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	w->fd = -1;
	w->first = 1;
	w->encrypted = encrypt_to_nation_pk != NULL;
	w->max = meta->max_payload ? meta->max_payload : BUNDLE_MAX_PAYLOAD;
	memcpy(w->sk, node_sk, 64);
	if ((size_t)snprintf(w->path, sizeof w->path, "%s", path) >=
	    sizeof w->path || (size_t)snprintf(w->tmp, sizeof w->tmp,
	    "%s.XXXXXX", path) >= sizeof w->tmp) {
		w->tmp[0] = '\0';
		rc = dib_fail(d, DIB_EINVAL, "path", "too long");
		goto out;
	}
	/* A unique temporary name: two exports to the same path never
	 * write into each other's file. */
	if ((w->fd = mkostemp(w->tmp, O_CLOEXEC)) < 0) {
		rc = dib_fail(d, DIB_EIO, "file", "cannot create %s: %s",
		    w->tmp, strerror(errno));
		w->tmp[0] = '\0';
		goto out;
	}
	w->zbuf = malloc(BUNDLE_CHUNK);
	w->cbuf = malloc(4 + BUNDLE_CHUNK + ABYTES);
	if (w->zbuf == NULL || w->cbuf == NULL) {
		rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
		goto out;
	}
	if ((rc = writer_zstd(w, meta->dict_id, d)) != 0)
		goto out;
	crypto_generichash_init(&w->hs, NULL, 0, DIGEST_LEN);
	rc = writer_header(w, meta, encrypt_to_nation_pk, xpk, d);
out:
	if (rc != 0) {
		bundle_writer_abort(w);
		return rc;
	}
	*out = w;
	return DIB_OK;
}

int
bundle_write(struct bundle_writer *w, const void *p, size_t n,
    struct dib_diag *d)
{
	ZSTD_inBuffer in = {p, n, 0};

	if (w->failed)
		return dib_fail(d, DIB_EINVAL, "bundle",
		    "writer failed earlier: abort it");
	if (n > w->max - w->total) {
		w->failed = 1;
		return dib_fail(d, DIB_ETOOBIG, "bundle", "payload over its "
		    "limit of %llu bytes", (unsigned long long)w->max);
	}
	while (in.pos < in.size) {
		ZSTD_outBuffer o = {w->zbuf, BUNDLE_CHUNK, w->zlen};
		size_t r = ZSTD_compressStream2(w->zc, &o, &in,
		    ZSTD_e_continue);
		int rc;

		if (ZSTD_isError(r))
			return zstd_fail(w, r, d);
		w->zlen = o.pos;
		if (w->zlen == BUNDLE_CHUNK &&
		    (rc = emit_chunk(w, 0, d)) != 0)
			return rc;
	}
	w->total += n;
	return DIB_OK;
}

/* fsync the directory holding path, so that the rename is durable:
** 0 or an errno value. */
static int
sync_dir(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd, e = 0;

	snprintf(dir, sizeof dir, "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	/* A directory we may write but not read cannot be synced: the
	 * rename stands, as with any program that does not sync. */
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return 0;
	if (fsync(fd) != 0)
		e = errno;
	close(fd);
	/* Some file systems cannot sync a directory at all. */
	return e == EINVAL || e == ENOTSUP ? 0 : e;
}

int
bundle_writer_close(struct bundle_writer *w, struct dib_diag *d)
{
	ZSTD_inBuffer in = {NULL, 0, 0};
	uint8_t trailer[12], digest[DIGEST_LEN];
	uint8_t msg[SIG_CONTEXT_LEN + DIGEST_LEN], sig[64];
	int rc = DIB_OK, fd, e;

	if (w->failed) {
		rc = dib_fail(d, DIB_EINVAL, "bundle",
		    "writer failed earlier: nothing written");
		goto out;
	}
	for (;;) {
		ZSTD_outBuffer o = {w->zbuf, BUNDLE_CHUNK, w->zlen};
		size_t r = ZSTD_compressStream2(w->zc, &o, &in, ZSTD_e_end);

		if (ZSTD_isError(r)) {
			rc = zstd_fail(w, r, d);
			goto out;
		}
		w->zlen = o.pos;
		if (r == 0)
			break;
		if (w->zlen == BUNDLE_CHUNK && (rc = emit_chunk(w, 0, d)) != 0)
			goto out;
	}
	if ((rc = emit_chunk(w, 1, d)) != 0)
		goto out;
	util_put_be32(trailer, 0);
	util_put_be64(trailer + 4, w->total);
	if ((rc = out_put(w, trailer, sizeof trailer, d)) != 0)
		goto out;
	crypto_generichash_final(&w->hs, digest, DIGEST_LEN);
	sig_message(digest, msg);
	crypto_sign_detached(sig, NULL, msg, sizeof msg, w->sk);
	if (write_all(w->fd, sig, sizeof sig) != 0 || fsync(w->fd) != 0) {
		rc = dib_fail(d, DIB_EIO, "file", "cannot write %s: %s",
		    w->tmp, strerror(errno));
		goto out;
	}
	fd = w->fd;
	w->fd = -1;
	if (close(fd) != 0) {
		rc = dib_fail(d, DIB_EIO, "file", "cannot write %s: %s",
		    w->tmp, strerror(errno));
		goto out;
	}
	if (rename(w->tmp, w->path) != 0) {
		rc = dib_fail(d, DIB_EIO, "file", "cannot rename %s to %s: %s",
		    w->tmp, w->path, strerror(errno));
		goto out;
	}
	w->tmp[0] = '\0';
	if ((e = sync_dir(w->path)) != 0) {
		/* Keep the promise: on error, no bundle at path. */
		rc = dib_fail(d, DIB_EIO, "file", "cannot sync the directory "
		    "of %s: %s", w->path, strerror(e));
		unlink(w->path);
	}
out:
	bundle_writer_abort(w);
	return rc;
}

void
bundle_writer_abort(struct bundle_writer *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp[0] != '\0')
		unlink(w->tmp);
	ZSTD_freeCCtx(w->zc);
	free(w->zbuf);
	free(w->cbuf);
	sodium_memzero(w, sizeof *w);
	free(w);
}

size_t
bundle_writer_memory(const struct bundle_writer *w)
{
	return sizeof *w + ZSTD_sizeof_CCtx(w->zc) + BUNDLE_CHUNK +
	    (4 + BUNDLE_CHUNK + ABYTES);
}

/* ---- Reader ---- */

/* Read n bytes at off; the callers have checked off + n <= size. */
static int
src_read(struct bundle_reader *r, uint64_t off, void *p, size_t n,
    struct dib_diag *d)
{
	uint8_t *b = p;

	if (off > r->size || n > r->size - off)
		return dib_fail(d, DIB_ETAMPER, "bundle",
		    "read past the end at byte %llu", (unsigned long long)off);
	if (r->mem != NULL) {
		memcpy(p, r->mem + off, n);
		return DIB_OK;
	}
	while (n > 0) {
		ssize_t k = pread(r->fd, b, n, (off_t)off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return dib_fail(d, DIB_EIO, "file", "cannot read: %s",
			    strerror(errno));
		if (k == 0)
			return dib_fail(d, DIB_ETAMPER, "bundle", "the file "
			    "shrank while being read");
		b += k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
	return DIB_OK;
}

/* Parse the header at the start of r into r->hdr and r->meta. */
static int
parse_header(struct bundle_reader *r, struct dib_diag *d)
{
	struct bundle_meta *m = &r->meta;
	const uint8_t *p = r->hdr;
	size_t hlen, need, clen;
	int rc, enc;

	if (r->size < 8)
		return dib_fail(d, DIB_EINVAL, "bundle.header", "%llu bytes: "
		    "too short to be a bundle", (unsigned long long)r->size);
	if ((rc = src_read(r, 0, r->hdr, 8, d)) != 0)
		return rc;
	if (memcmp(p, magic, 4) != 0)
		return dib_fail(d, DIB_EINVAL, "bundle.header",
		    "not a diboli bundle (no DIBU magic)");
	if (p[4] != BUNDLE_VERSION)
		return dib_fail(d, DIB_EINVAL, "bundle.header", "version %u; "
		    "this node reads version %d", p[4], BUNDLE_VERSION);
	if (p[5] & ~FLAG_ENCRYPTED)
		return dib_fail(d, DIB_EINVAL, "bundle.header",
		    "unknown flags 0x%02x", p[5]);
	enc = p[5] & FLAG_ENCRYPTED;
	hlen = util_get_be16(p + 6);
	need = FIXED_LEN + (enc ? ENC_LEN : 0);
	if (hlen < need || hlen > need + BUNDLE_CERT_MAX)
		return dib_fail(d, DIB_EINVAL, "bundle.header", "header length "
		    "%zu out of range (%zu to %zu)", hlen, need,
		    need + BUNDLE_CERT_MAX);
	if (r->size < hlen + TRAILER_LEN)
		return dib_fail(d, DIB_EINVAL, "bundle.header", "%llu bytes: "
		    "too short for a header of %zu bytes and a trailer "
		    "(truncated?)", (unsigned long long)r->size, hlen);
	if ((rc = src_read(r, 8, r->hdr + 8, hlen - 8, d)) != 0)
		return rc;
	r->hlen = hlen;
	m->encrypted = enc;
	m->created = (int64_t)util_get_be64(p + 8);
	if (!nation_ok(p + 16, m->from_nation))
		return dib_fail(d, DIB_EINVAL, "bundle.header",
		    "sender nation is not an ISO 3166-1 alpha-2 code");
	if (!nation_ok(p + 18, m->for_nation))
		return dib_fail(d, DIB_EINVAL, "bundle.header",
		    "recipient nation is not an ISO 3166-1 alpha-2 code");
	m->kind = p[20];
	m->dict_id = util_get_be32(p + 21);
	m->max_payload = util_get_be64(p + 25);
	if (m->max_payload == 0 || m->max_payload > BUNDLE_MAX_PAYLOAD)
		return dib_fail(d, DIB_EINVAL, "bundle.header", "payload limit "
		    "%llu out of range (1 to %llu)",
		    (unsigned long long)m->max_payload,
		    (unsigned long long)BUNDLE_MAX_PAYLOAD);
	memcpy(m->sender_pk, p + 33, 32);
	clen = util_get_be16(p + 65);
	if (clen > BUNDLE_CERT_MAX || hlen != need + clen)
		return dib_fail(d, DIB_EINVAL, "bundle.header", "certificate "
		    "length %zu does not fit the header length %zu", clen,
		    hlen);
	m->cert = clen ? p + FIXED_LEN : NULL;
	m->cert_len = clen;
	if (enc) {
		p += FIXED_LEN + clen;
		memcpy(m->nation_pk, p, 32);
		memcpy(r->sealed, p + 32, SEALED_LEN);
		memcpy(r->ss_header, p + 32 + SEALED_LEN, SS_HEADER_LEN);
	}
	return DIB_OK;
}

static int
reader_start(struct bundle_reader *r, struct bundle_reader **out,
    struct dib_diag *d)
{
	int rc;

	if ((rc = parse_header(r, d)) != 0) {
		bundle_reader_close(r);
		return rc;
	}
	*out = r;
	return DIB_OK;
}

int
bundle_reader_open(const char *path, struct bundle_reader **out,
    struct dib_diag *d)
{
	struct bundle_reader *r;
	struct stat sb;

	*out = NULL;
	if ((r = calloc(1, sizeof *r)) == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	/* O_NONBLOCK: a FIFO must not hang the open; it is refused below. */
	if ((r->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		int e = errno;

		free(r);
		return dib_fail(d, e == ENOENT ? DIB_ENOTFOUND : DIB_EIO,
		    "file", "cannot open %s: %s", path, strerror(e));
	}
	if (fstat(r->fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		bundle_reader_close(r);
		return dib_fail(d, DIB_EINVAL, "file", "%s: not a regular file "
		    "(a bundle is read twice: verified, then applied)", path);
	}
	r->size = (uint64_t)sb.st_size;
	return reader_start(r, out, d);
}

int
bundle_reader_open_mem(const void *p, size_t n, struct bundle_reader **out,
    struct dib_diag *d)
{
	static const uint8_t empty[1];
	struct bundle_reader *r;

	*out = NULL;
	if ((r = calloc(1, sizeof *r)) == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	r->fd = -1;
	r->mem = p ? p : empty;
	r->size = p ? n : 0;
	return reader_start(r, out, d);
}

const struct bundle_meta *
bundle_reader_meta(const struct bundle_reader *r)
{
	return &r->meta;
}

/* Allowed lengths of a chunk. */
static int
chunk_len_ok(const struct bundle_reader *r, uint32_t len)
{
	if (r->meta.encrypted)
		return len >= ABYTES && len <= BUNDLE_CHUNK + ABYTES;
	return len >= 1 && len <= BUNDLE_CHUNK;
}

int
bundle_verify(struct bundle_reader *r, struct dib_diag *d)
{
	crypto_generichash_state hs;
	uint8_t *buf = NULL, sig[64], digest[DIGEST_LEN], b[8];
	uint8_t msg[SIG_CONTEXT_LEN + DIGEST_LEN];
	uint64_t off, end = r->size - 64, term = r->size - TRAILER_LEN;
	uint64_t plen;
	int rc;

	r->verified = 0;
	if ((buf = malloc(BUNDLE_CHUNK)) == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	/* The header as parsed, then the file: what is checked is what
	 * was read, even if the file changes under us. */
	crypto_generichash_init(&hs, NULL, 0, DIGEST_LEN);
	crypto_generichash_update(&hs, r->hdr, r->hlen);
	for (off = r->hlen; off < end; ) {
		size_t n = end - off < BUNDLE_CHUNK ? (size_t)(end - off) :
		    BUNDLE_CHUNK;

		if ((rc = src_read(r, off, buf, n, d)) != 0)
			goto out;
		crypto_generichash_update(&hs, buf, n);
		off += n;
	}
	crypto_generichash_final(&hs, digest, DIGEST_LEN);
	if ((rc = src_read(r, end, sig, 64, d)) != 0)
		goto out;
	sig_message(digest, msg);
	if (crypto_sign_verify_detached(sig, msg, sizeof msg,
	    r->meta.sender_pk) != 0) {
		rc = dib_fail(d, DIB_ECRYPTO, "bundle.signature", "does not "
		    "verify with the sender's key: the file was altered or "
		    "truncated, or is not from that node");
		goto out;
	}
	/* Signed, so from the sender; still check the framing before
	 * anything is decrypted or decompressed. */
	for (off = r->hlen; ; ) {
		uint32_t len;

		if ((rc = src_read(r, off, b, 4, d)) != 0)
			goto out;
		len = util_get_be32(b);
		if (off == term || len == 0) {
			if (off != term || len != 0) {
				rc = dib_fail(d, DIB_EINVAL, "bundle.chunks",
				    "the end marker is not right before the "
				    "trailer (byte %llu)",
				    (unsigned long long)off);
				goto out;
			}
			break;
		}
		if (!chunk_len_ok(r, len) ||
		    (uint64_t)len + 4 > term - off) {
			rc = dib_fail(d, DIB_EINVAL, "bundle.chunks",
			    "chunk at byte %llu: length %u out of range",
			    (unsigned long long)off, (unsigned)len);
			goto out;
		}
		off += 4 + (uint64_t)len;
	}
	if ((rc = src_read(r, term + 4, b, 8, d)) != 0)
		goto out;
	plen = util_get_be64(b);
	if (plen > r->meta.max_payload) {
		rc = dib_fail(d, DIB_EINVAL, "bundle.trailer", "payload of "
		    "%llu bytes, over the header's limit of %llu",
		    (unsigned long long)plen,
		    (unsigned long long)r->meta.max_payload);
		goto out;
	}
	if ((rc = dict_check(r->meta.dict_id, "bundle.dictionary", d)) != 0)
		goto out;
	memcpy(r->digest, digest, DIGEST_LEN);
	r->payload_len = plen;
	r->verified = 1;
out:
	free(buf);
	return rc;
}

/* What bundle_read carries from chunk to chunk. */
struct rstate {
	ZSTD_DCtx *dz;
	uint8_t *obuf;          /* decompressed bytes for the sink */
	size_t osize;
	uint64_t total;         /* payload bytes given to the sink */
	uint64_t limit;         /* payload bytes the trailer declares */
	int done;               /* the zstd frame ended */
	int (*sink)(void *, const uint8_t *, size_t);
	void *arg;
};

/* Decompress n bytes of the zstd stream to the sink. */
static int
inflate_to_sink(struct rstate *s, const uint8_t *p, size_t n,
    struct dib_diag *d)
{
	ZSTD_inBuffer in = {p, n, 0};
	int more = 0, rc;

	for (;;) {
		ZSTD_outBuffer o = {s->obuf, s->osize, 0};
		size_t ret;

		if (in.pos == in.size && !more)
			return DIB_OK;
		if (s->done)
			return dib_fail(d, DIB_ETAMPER, "bundle.payload",
			    "data after the end of the compressed stream");
		ret = ZSTD_decompressStream(s->dz, &o, &in);
		if (ZSTD_isError(ret)) {
			if (ZSTD_getErrorCode(ret) ==
			    ZSTD_error_dictionary_wrong)
				return dib_fail(d, DIB_EINVAL,
				    "bundle.dictionary", "the compressed "
				    "stream needs another dictionary than "
				    "the header names");
			if (ZSTD_getErrorCode(ret) ==
			    ZSTD_error_memory_allocation)
				return dib_fail(d, DIB_ENOMEM, "",
				    "out of memory");
			return dib_fail(d, DIB_ETAMPER, "bundle.payload",
			    "the compressed stream is corrupt: %s",
			    ZSTD_getErrorName(ret));
		}
		if (o.pos > 0) {
			if (o.pos > s->limit - s->total)
				return dib_fail(d, DIB_ETOOBIG,
				    "bundle.payload", "longer than the %llu "
				    "bytes its trailer declares",
				    (unsigned long long)s->limit);
			s->total += o.pos;
			if ((rc = s->sink(s->arg, s->obuf, o.pos)) != 0)
				return rc;
		}
		s->done = ret == 0;
		more = !s->done && o.pos == o.size;
	}
}

/* Open the sealed stream key with the nation's secret key. */
static int
open_key(struct bundle_reader *r, const uint8_t *nation_sk,
    crypto_secretstream_xchacha20poly1305_state *ss, struct dib_diag *d)
{
	uint8_t xpk[crypto_box_PUBLICKEYBYTES], xsk[crypto_box_SECRETKEYBYTES];
	uint8_t key[KEY_LEN];
	char want[65], have[65];
	int rc = DIB_OK;

	if (nation_sk == NULL)
		return dib_fail(d, DIB_ECRYPTO, "bundle.key", "the bundle is "
		    "encrypted to nation %s: its secret key is needed",
		    r->meta.for_nation);
	if (memcmp(nation_sk + 32, r->meta.nation_pk, 32) != 0)
		return dib_fail(d, DIB_ECRYPTO, "bundle.key", "encrypted to "
		    "nation key %.16s..., not to this key %.16s...",
		    util_hex(r->meta.nation_pk, 32, want),
		    util_hex(nation_sk + 32, 32, have));
	if (crypto_sign_ed25519_pk_to_curve25519(xpk, r->meta.nation_pk) != 0
	    || crypto_sign_ed25519_sk_to_curve25519(xsk, nation_sk) != 0)
		rc = dib_fail(d, DIB_ECRYPTO, "bundle.key",
		    "the nation key is not a usable Ed25519 key");
	else if (crypto_box_seal_open(key, r->sealed, SEALED_LEN, xpk,
	    xsk) != 0)
		rc = dib_fail(d, DIB_ECRYPTO, "bundle.key", "the stream key "
		    "does not open with this nation key");
	else if (crypto_secretstream_xchacha20poly1305_init_pull(ss,
	    r->ss_header, key) != 0)
		rc = dib_fail(d, DIB_ECRYPTO, "bundle.key",
		    "bad secretstream header");
	sodium_memzero(xsk, sizeof xsk);
	sodium_memzero(key, sizeof key);
	return rc;
}

int
bundle_read(struct bundle_reader *r, const uint8_t *nation_sk,
    int (*sink)(void *arg, const uint8_t *p, size_t n), void *arg,
    struct dib_diag *d)
{
	crypto_generichash_state hs;
	crypto_secretstream_xchacha20poly1305_state ss;
	struct rstate s;
	uint8_t *cbuf = NULL, *pbuf = NULL, b[8], digest[DIGEST_LEN];
	uint64_t off, term = r->size - TRAILER_LEN;
	int rc, enc = r->meta.encrypted, final = 0, first = 1;
	size_t ret;

	dib_diag_clear(d);
	memset(&s, 0, sizeof s);
	s.sink = sink;
	s.arg = arg;
	s.limit = r->payload_len;
	if (!r->verified)
		return dib_fail(d, DIB_EINVAL, "bundle",
		    "read before bundle_verify succeeded");
	if ((rc = dict_check(r->meta.dict_id, "bundle.dictionary", d)) != 0)
		return rc;
	if (enc && (rc = open_key(r, nation_sk, &ss, d)) != 0)
		return rc;
	s.osize = ZSTD_DStreamOutSize();
	cbuf = malloc(BUNDLE_CHUNK + ABYTES);
	pbuf = malloc(BUNDLE_CHUNK);
	s.obuf = malloc(s.osize);
	s.dz = ZSTD_createDCtx();
	if (cbuf == NULL || pbuf == NULL || s.obuf == NULL || s.dz == NULL) {
		rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
		goto out;
	}
	/* The decompressor's memory is its window: refuse a frame asking
	 * for more than the writer uses. */
	if (ZSTD_isError(ret = ZSTD_DCtx_setParameter(s.dz,
	    ZSTD_d_windowLogMax, WINDOW_LOG)) || (r->meta.dict_id != 0 &&
	    ZSTD_isError(ret = ZSTD_DCtx_loadDictionary(s.dz,
	    dict_get()->data, dict_get()->len)))) {
		rc = dib_fail(d, DIB_ENOMEM, "bundle.dictionary",
		    "cannot set up the decompressor: %s",
		    ZSTD_getErrorName(ret));
		goto out;
	}
	/* Hash again what is read, to compare with what was verified: the
	 * file may have changed since. */
	crypto_generichash_init(&hs, NULL, 0, DIGEST_LEN);
	crypto_generichash_update(&hs, r->hdr, r->hlen);
	for (off = r->hlen; ; ) {
		const uint8_t *p = cbuf;
		unsigned long long plen;
		uint32_t len;
		unsigned char tag;

		if ((rc = src_read(r, off, b, 4, d)) != 0)
			goto out;
		crypto_generichash_update(&hs, b, 4);
		len = util_get_be32(b);
		if (off == term || len == 0) {
			if (off != term || len != 0) {
				rc = dib_fail(d, DIB_ETAMPER, "bundle",
				    "changed since it was verified");
				goto out;
			}
			break;
		}
		if (!chunk_len_ok(r, len) || (uint64_t)len + 4 > term - off) {
			rc = dib_fail(d, DIB_ETAMPER, "bundle",
			    "changed since it was verified");
			goto out;
		}
		if ((rc = src_read(r, off + 4, cbuf, len, d)) != 0)
			goto out;
		crypto_generichash_update(&hs, cbuf, len);
		plen = len;
		if (enc) {
			if (final) {
				rc = dib_fail(d, DIB_ETAMPER, "bundle.payload",
				    "data after the final chunk");
				goto out;
			}
			if (crypto_secretstream_xchacha20poly1305_pull(&ss,
			    pbuf, &plen, &tag, cbuf, len, first ? r->hdr :
			    NULL, first ? r->hlen : 0) != 0) {
				rc = dib_fail(d, DIB_ECRYPTO, "bundle.payload",
				    "chunk at byte %llu does not decrypt",
				    (unsigned long long)off);
				goto out;
			}
			if (tag == TAG_FINAL)
				final = 1;
			else if (tag != TAG_MESSAGE) {
				rc = dib_fail(d, DIB_ETAMPER, "bundle.payload",
				    "chunk at byte %llu: unexpected tag %u",
				    (unsigned long long)off, tag);
				goto out;
			}
			p = pbuf;
		}
		first = 0;
		if ((rc = inflate_to_sink(&s, p, (size_t)plen, d)) != 0) {
			if (d != NULL && d->code == DIB_OK)
				dib_fail(d, rc, "bundle.payload", "the "
				    "payload consumer failed (%s)",
				    dib_code_name(rc));
			goto out;
		}
		off += 4 + (uint64_t)len;
	}
	if ((rc = src_read(r, term + 4, b, 8, d)) != 0)
		goto out;
	crypto_generichash_update(&hs, b, 8);
	crypto_generichash_final(&hs, digest, DIGEST_LEN);
	if (sodium_memcmp(digest, r->digest, DIGEST_LEN) != 0) {
		rc = dib_fail(d, DIB_ETAMPER, "bundle",
		    "changed since it was verified");
		goto out;
	}
	if (enc && !final) {
		rc = dib_fail(d, DIB_ETAMPER, "bundle.payload", "the encrypted "
		    "stream ends without its final tag (truncated)");
		goto out;
	}
	if (!s.done) {
		rc = dib_fail(d, DIB_ETAMPER, "bundle.payload",
		    "the compressed stream ends early (truncated)");
		goto out;
	}
	if (s.total != r->payload_len) {
		rc = dib_fail(d, DIB_ETAMPER, "bundle.payload", "%llu bytes, "
		    "but the trailer declares %llu",
		    (unsigned long long)s.total,
		    (unsigned long long)r->payload_len);
		goto out;
	}
	rc = DIB_OK;
out:
	if (enc)
		sodium_memzero(&ss, sizeof ss);
	ZSTD_freeDCtx(s.dz);
	free(cbuf);
	if (pbuf != NULL) {
		sodium_memzero(pbuf, BUNDLE_CHUNK);
		free(pbuf);
	}
	free(s.obuf);
	return rc;
}

void
bundle_reader_close(struct bundle_reader *r)
{
	if (r == NULL)
		return;
	if (r->fd >= 0)
		close(r->fd);
	free(r);
}
