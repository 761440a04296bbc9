/*
** Nation root keys, the certificates they sign over node keys, and the
** nation keys a node pins. Byte layouts and the trust rule are in
** docs/federation.md; certificates are parsed from outside input, so the
** parser checks every length before it reads.
**
** Certificate, all integers big-endian:
**   "DIBC" | version (1) | nation (2, ASCII) | node public key (32) |
**   not_before ms (8) | not_after ms (8) | name length (2) | name (UTF-8) |
**   nation public key (32) | Ed25519 signature (64) by the nation key
**   over every byte before it
*/
#include "fed/cert.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "node/node.h"
#include "store/store.h"
#include "util/util.h"

_Static_assert(CERT_NAME_MAX == NODE_NAME_MAX * 4,
    "a certificate must hold any node name");

#define KEY_MAGIC "diboli-nation-key/1 "
#define PUB_MAGIC "diboli-nation-pub/1 "
/* "diboli-nation-xxx/1 SN <64 hex>\n" */
#define KEYFILE_LEN (sizeof KEY_MAGIC - 1 + 3 + 64 + 1)

/* Offsets in a certificate. */
#define OFF_VERSION 4
#define OFF_NATION 5
#define OFF_NODE 7
#define OFF_NB 39
#define OFF_NA 47
#define OFF_NLEN 55
#define OFF_NAME 57

static const uint8_t magic[4] = {'D', 'I', 'B', 'C'};

char *
cert_fingerprint(const uint8_t pk[32], char out[CERT_FP_LEN + 1])
{
	uint8_t h[32];

	crypto_generichash(h, sizeof h, pk, 32, NULL, 0);
	return util_hex(h, CERT_FP_LEN / 2, out);
}

/* A nation code in any case, upper-cased into out if it is known. */
static int
norm_nation(const char *in, char out[3], const char *field,
    struct dib_diag *d)
{
	if (util_nation_norm(in, out) == 0)
		return DIB_OK;
	if (in == NULL || strlen(in) != 2)
		return dib_fail(d, DIB_EINVAL, field, "must be an ISO 3166-1 "
		    "alpha-2 code like SN or ML, got \"%.20s\"", in ? in : "");
	return dib_fail(d, DIB_EINVAL, field, "unknown nation \"%s\" "
	    "(ISO 3166-1 alpha-2, e.g. SN, ML, MR, GN)", in);
}

/* A node name as a certificate carries it: what node_init accepts. */
static int
check_name(const char *p, size_t n, struct dib_diag *d)
{
	size_t i;

	if (n == 0)
		return dib_fail(d, DIB_EINVAL, "name", "is empty");
	if (n > CERT_NAME_MAX)
		return dib_fail(d, DIB_EINVAL, "name", "is longer than %d "
		    "bytes", CERT_NAME_MAX);
	if (!util_utf8_valid(p, n))
		return dib_fail(d, DIB_EINVAL, "name", "is not valid UTF-8");
	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return dib_fail(d, DIB_EINVAL, "name",
			    "contains a control character");
	return DIB_OK;
}

/* ---- nation key files ---- */

/*
** Create path with mode and write text to it; the file must not exist
** (O_EXCL: a key is never overwritten, even by a race). On failure
** nothing is left.
*/
static int
write_new(const char *path, const char *text, size_t n, mode_t mode,
    struct dib_diag *d)
{
	size_t off = 0;
	ssize_t w;
	int fd, e;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    mode);
	if (fd < 0) {
		if (errno == EEXIST)
			return dib_fail(d, DIB_EEXIST, "", "%s already exists; "
			    "a key file is never overwritten", path);
		return dib_fail(d, DIB_EIO, "", "cannot create %s: %s", path,
		    strerror(errno));
	}
	/* The umask must not change the mode: 0644 so that the .pub can be
	 * handed around, 0600 so that the .key cannot. */
	if (fchmod(fd, mode) != 0)
		goto fail;
	while (off < n) {
		if ((w = write(fd, text + off, n - off)) < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	return DIB_OK;
fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	unlink(path);
	return dib_fail(d, DIB_EIO, "", "cannot write %s: %s", path,
	    strerror(e));
}

int
cert_nation_keygen(const char *nation, const char *prefix,
    struct dib_diag *d)
{
	char nat[3], keyp[4096], pubp[4096], hex[65], text[128];
	uint8_t seed[32], pk[32], sk[64];
	struct stat sb;
	int rc;

	if ((rc = norm_nation(nation, nat, "nation", d)) != 0)
		return rc;
	if (prefix == NULL || *prefix == '\0' ||
	    prefix[strlen(prefix) - 1] == '/')
		return dib_fail(d, DIB_EINVAL, "out", "must name the files, "
		    "e.g. /media/usb/sn-nation (writes .key and .pub), got "
		    "\"%.80s\"", prefix ? prefix : "");
	if ((size_t)snprintf(keyp, sizeof keyp, "%s.key", prefix) >=
	    sizeof keyp ||
	    (size_t)snprintf(pubp, sizeof pubp, "%s.pub", prefix) >=
	    sizeof pubp)
		return dib_fail(d, DIB_EINVAL, "out", "path too long");
	/* Both checked before either is written: no half-made pair. */
	if (lstat(keyp, &sb) == 0)
		return dib_fail(d, DIB_EEXIST, "out", "%s already exists; a "
		    "key file is never overwritten", keyp);
	if (lstat(pubp, &sb) == 0)
		return dib_fail(d, DIB_EEXIST, "out", "%s already exists; a "
		    "key file is never overwritten", pubp);
	if (sodium_init() < 0)
		return dib_fail(d, DIB_ECRYPTO, "", "libsodium failed to "
		    "start");

	randombytes_buf(seed, sizeof seed);
	crypto_sign_seed_keypair(pk, sk, seed);
	util_hex(seed, 32, hex);
	snprintf(text, sizeof text, "%s%s %s\n", KEY_MAGIC, nat, hex);
	rc = write_new(keyp, text, strlen(text), 0600, d);
	sodium_memzero(text, sizeof text);
	sodium_memzero(hex, sizeof hex);
	if (rc != 0)
		goto out;
	snprintf(text, sizeof text, "%s%s %s\n", PUB_MAGIC, nat,
	    util_hex(pk, 32, hex));
	if ((rc = write_new(pubp, text, strlen(text), 0644, d)) != 0)
		unlink(keyp);
out:
	sodium_memzero(seed, sizeof seed);
	sodium_memzero(sk, sizeof sk);
	return rc;
}

/*
** Check a key line "<magic>SN <64 hex>" (len bytes, without its newline)
** and read it into nation and the 32 bytes. secret: a private key file is
** wanted; the magic of the other kind is named as such. Messages name
** path (field "") or, without a path, field.
*/
static int
key_line(const char *text, size_t len, int secret, const char *path,
    const char *field, char nation[3], uint8_t out[32],
    struct dib_diag *d)
{
	const char *want = secret ? KEY_MAGIC : PUB_MAGIC;
	const char *other = secret ? PUB_MAGIC : KEY_MAGIC;
	const char *f = path ? "" : field, *who = path ? path : "";
	const char *sp = path ? " " : "";
	size_t mlen = strlen(want);
	char nat[3], hex[65];

	nation[0] = '\0';
	memset(out, 0, 32);
	if (len >= strlen(other) && memcmp(text, other, strlen(other)) == 0) {
		if (secret)
			return dib_fail(d, DIB_EINVAL, f, "%s%sis a nation "
			    "public key; this needs the private key file "
			    "(.key)", who, sp);
		return dib_fail(d, DIB_EINVAL, f, "%s%sis a nation private "
		    "key; give the public key (.pub), and keep the .key "
		    "offline", who, sp);
	}
	if (len != mlen + 3 + 64 || memcmp(text, want, mlen) != 0 ||
	    text[mlen + 2] != ' ')
		return dib_fail(d, DIB_EINVAL, f, "%s%sis not a diboli nation "
		    "%s key (one line \"%sSN <64 hex digits>\", as diboli "
		    "nation keygen writes it)", who, sp, secret ? "private" :
		    "public", want);
	memcpy(nat, text + mlen, 2);
	nat[2] = '\0';
	if (!util_nation_valid(nat))
		return dib_fail(d, DIB_EINVAL, f, "%s%snames an unknown nation "
		    "\"%s\"", who, sp, nat);
	memcpy(hex, text + mlen + 3, 64);
	hex[64] = '\0';
	if (util_unhex(hex, out, 32) != 0) {
		memset(out, 0, 32);
		sodium_memzero(hex, sizeof hex);
		return dib_fail(d, DIB_EINVAL, f, "%s%sis not a diboli nation "
		    "%s key: bad hex digits", who, sp, secret ? "private" :
		    "public");
	}
	sodium_memzero(hex, sizeof hex);
	memcpy(nation, nat, 3);
	return DIB_OK;
}

int
cert_nation_pub_parse(const char *text, size_t len, const char *field,
    char nation[3], uint8_t pk[32], struct dib_diag *d)
{
	nation[0] = '\0';
	memset(pk, 0, 32);
	if (text == NULL)
		return dib_fail(d, DIB_EINVAL, field, "is required");
	/* What a text area or a file adds around the line. */
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' ||
	    text[len - 1] == ' ' || text[len - 1] == '\t'))
		len--;
	while (len > 0 && (*text == ' ' || *text == '\t' || *text == '\n' ||
	    *text == '\r')) {
		text++;
		len--;
	}
	return key_line(text, len, 0, NULL, field, nation, pk, d);
}

/*
** Read and check a key file: its one line and a newline. secret: the file
** holds a seed (refused if others may read it; its text is wiped).
*/
static int
load_keyfile(const char *path, int secret, char nation[3], uint8_t out[32],
    struct dib_diag *d)
{
	const char *other = secret ? PUB_MAGIC : KEY_MAGIC;
	char text[KEYFILE_LEN + 2];
	size_t len = 0;
	struct stat sb;
	ssize_t got;
	int fd, rc = DIB_OK;

	nation[0] = '\0';
	memset(out, 0, 32);
	if (path == NULL || *path == '\0')
		return dib_fail(d, DIB_EUSAGE, "", "a key file is required");
	/* O_NONBLOCK: a FIFO given for a key is refused, not waited on. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return dib_fail(d, errno == ENOENT ? DIB_ENOTFOUND : DIB_EIO,
		    "", "cannot open %s: %s", path, strerror(errno));
	/* fstat of the open file: what is checked is what is read. */
	if (fstat(fd, &sb) != 0) {
		rc = dib_fail(d, DIB_EIO, "", "cannot read %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		rc = dib_fail(d, DIB_EINVAL, "", "%s is not a regular file",
		    path);
		goto out;
	}
	/* One byte more than a key file: a longer file is not one. */
	while (len < sizeof text) {
		if ((got = read(fd, text + len, sizeof text - len)) < 0) {
			if (errno == EINTR)
				continue;
			rc = dib_fail(d, DIB_EIO, "", "cannot read %s: %s",
			    path, strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	/* A .pub given for a .key is named as such before the mode. */
	if (secret && (sb.st_mode & 077) && !(len >= strlen(other) &&
	    memcmp(text, other, strlen(other)) == 0)) {
		rc = dib_fail(d, DIB_EPERM, "", "%s can be read by other "
		    "users; run: chmod 600 %s", path, path);
		goto out;
	}
	if (len == KEYFILE_LEN && text[len - 1] == '\n')
		len--;
	rc = key_line(text, len, secret, path, "", nation, out, d);
out:
	close(fd);
	sodium_memzero(text, sizeof text);
	return rc;
}

int
cert_nation_key_load(const char *path, char nation[3], uint8_t sk[64],
    uint8_t pk[32], struct dib_diag *d)
{
	uint8_t seed[32];
	int rc;

	memset(sk, 0, 64);
	memset(pk, 0, 32);
	if ((rc = load_keyfile(path, 1, nation, seed, d)) == 0)
		crypto_sign_seed_keypair(pk, sk, seed);
	sodium_memzero(seed, sizeof seed);
	return rc;
}

int
cert_nation_pub_load(const char *path, char nation[3], uint8_t pk[32],
    struct dib_diag *d)
{
	return load_keyfile(path, 0, nation, pk, d);
}

/* ---- certificates ---- */

int
cert_make(const uint8_t nation_sk[64], const char *nation,
    const uint8_t node_pk[32], const char *name, int64_t not_before,
    int64_t not_after, uint8_t **out, size_t *len, struct dib_diag *d)
{
	char nat[3];
	size_t nlen, total;
	uint8_t *b;
	int rc;

	*out = NULL;
	*len = 0;
	if ((rc = norm_nation(nation, nat, "nation", d)) != 0)
		return rc;
	nlen = name ? strlen(name) : 0;
	if ((rc = check_name(name ? name : "", nlen, d)) != 0)
		return rc;
	if (not_before >= not_after)
		return dib_fail(d, DIB_EINVAL, "not_after", "must be after "
		    "not_before");
	total = CERT_FIXED_LEN + nlen;
	if ((b = malloc(total)) == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	memcpy(b, magic, 4);
	b[OFF_VERSION] = CERT_VERSION;
	memcpy(b + OFF_NATION, nat, 2);
	memcpy(b + OFF_NODE, node_pk, 32);
	util_put_be64(b + OFF_NB, (uint64_t)not_before);
	util_put_be64(b + OFF_NA, (uint64_t)not_after);
	b[OFF_NLEN] = (uint8_t)(nlen >> 8);
	b[OFF_NLEN + 1] = (uint8_t)nlen;
	memcpy(b + OFF_NAME, name, nlen);
	crypto_sign_ed25519_sk_to_pk(b + OFF_NAME + nlen, nation_sk);
	crypto_sign_detached(b + total - CERT_SIG_LEN, NULL, b,
	    total - CERT_SIG_LEN, nation_sk);
	*out = b;
	*len = total;
	return DIB_OK;
}

/* The body of cert_parse; out is zeroed by the caller on failure. */
static int
parse(const uint8_t *p, size_t len, struct cert *out, struct dib_diag *d)
{
	size_t nlen;
	int rc;

	if (p == NULL || len == 0)
		return dib_fail(d, DIB_EINVAL, "cert", "no certificate");
	if (len < 4 || memcmp(p, magic, 4) != 0)
		return dib_fail(d, DIB_EINVAL, "cert", "not a diboli node "
		    "certificate");
	if (len < CERT_FIXED_LEN + 1)
		return dib_fail(d, DIB_EINVAL, "cert", "truncated: %zu bytes, "
		    "at least %d", len, CERT_FIXED_LEN + 1);
	if (len > CERT_MAX_LEN)
		return dib_fail(d, DIB_EINVAL, "cert", "%zu bytes; at most %d",
		    len, CERT_MAX_LEN);
	if (p[OFF_VERSION] != CERT_VERSION)
		return dib_fail(d, DIB_EINVAL, "cert", "version %u; this "
		    "diboli reads version %d", p[OFF_VERSION], CERT_VERSION);
	/* Upper-case letters only: util_nation_valid takes a C string. */
	if (p[OFF_NATION] < 'A' || p[OFF_NATION] > 'Z' ||
	    p[OFF_NATION + 1] < 'A' || p[OFF_NATION + 1] > 'Z')
		return dib_fail(d, DIB_EINVAL, "cert", "bad nation code");
	memcpy(out->nation, p + OFF_NATION, 2);
	out->nation[2] = '\0';
	if (!util_nation_valid(out->nation))
		return dib_fail(d, DIB_EINVAL, "cert", "unknown nation \"%s\"",
		    out->nation);
	nlen = (size_t)p[OFF_NLEN] << 8 | p[OFF_NLEN + 1];
	if (len != CERT_FIXED_LEN + nlen)
		return dib_fail(d, DIB_EINVAL, "cert", "%zu bytes, but its "
		    "name length says %zu", len, CERT_FIXED_LEN + nlen);
	if ((rc = check_name((const char *)p + OFF_NAME, nlen, d)) != 0) {
		dib_diag_prefix(d, "cert");
		return rc;
	}
	memcpy(out->node_pk, p + OFF_NODE, 32);
	out->not_before = (int64_t)util_get_be64(p + OFF_NB);
	out->not_after = (int64_t)util_get_be64(p + OFF_NA);
	if (out->not_before >= out->not_after)
		return dib_fail(d, DIB_EINVAL, "cert", "validity ends before "
		    "it starts");
	memcpy(out->name, p + OFF_NAME, nlen);
	out->name[nlen] = '\0';
	memcpy(out->nation_pk, p + OFF_NAME + nlen, 32);
	memcpy(out->sig, p + len - CERT_SIG_LEN, CERT_SIG_LEN);
	memcpy(out->bytes, p, len);
	out->len = len;
	return DIB_OK;
}

int
cert_parse(const uint8_t *p, size_t len, struct cert *out,
    struct dib_diag *d)
{
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = parse(p, len, out, d)) != 0)
		memset(out, 0, sizeof *out);
	return rc;
}

int
cert_verify(const struct cert *c, const uint8_t nation_pk[32], int64_t now_ms,
    struct dib_diag *d)
{
	char fp[CERT_FP_LEN + 1], pinned[CERT_FP_LEN + 1], ts[40];

	if (c->len < CERT_FIXED_LEN + 1 || c->len > CERT_MAX_LEN)
		return dib_fail(d, DIB_ECRYPTO, "cert", "no certificate");
	if (sodium_memcmp(c->nation_pk, nation_pk, 32) != 0)
		return dib_fail(d, DIB_ECRYPTO, "cert", "certificate of "
		    "\"%.60s\" is signed by nation key %s, not by the key "
		    "pinned for %s (%s)", c->name,
		    cert_fingerprint(c->nation_pk, fp), c->nation,
		    cert_fingerprint(nation_pk, pinned));
	if (crypto_sign_verify_detached(c->sig, c->bytes, c->len - CERT_SIG_LEN,
	    nation_pk) != 0)
		return dib_fail(d, DIB_ECRYPTO, "cert", "certificate of "
		    "\"%.60s\": the signature does not check", c->name);
	if (now_ms < c->not_before)
		return dib_fail(d, DIB_ECRYPTO, "cert", "certificate of "
		    "\"%.60s\" is not valid before %s", c->name,
		    util_time_format(c->not_before, ts, sizeof ts));
	if (now_ms >= c->not_after)
		return dib_fail(d, DIB_ECRYPTO, "cert", "certificate of "
		    "\"%.60s\" expired on %s", c->name,
		    util_time_format(c->not_after, ts, sizeof ts));
	return DIB_OK;
}

/* ---- pinned nation keys ---- */

int
cert_pinned(struct store *s, const char *nation, uint8_t pk[32])
{
	sqlite3_stmt *st = NULL;
	int rc = DIB_ENOTFOUND, step;

	memset(pk, 0, 32);
	if (sqlite3_prepare_v2(s->db, "SELECT pubkey FROM nations WHERE "
	    "nation = ?1", -1, &st, NULL) != SQLITE_OK)
		return DIB_EDB;
	sqlite3_bind_text(st, 1, nation, -1, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) == 32) {
			memcpy(pk, sqlite3_column_blob(st, 0), 32);
			rc = DIB_OK;
		}
	} else if (step != SQLITE_DONE) {
		rc = DIB_EDB;
	}
	sqlite3_finalize(st);
	return rc;
}

int
cert_pin(struct store *s, const char *nation, const uint8_t pk[32],
    int replace, struct dib_diag *d)
{
	char nat[3], oldfp[CERT_FP_LEN + 1], newfp[CERT_FP_LEN + 1];
	uint8_t old[32];
	sqlite3_stmt *st = NULL;
	const char *sql;
	int rc;

	if ((rc = norm_nation(nation, nat, "nation", d)) != 0)
		return rc;
	rc = cert_pinned(s, nat, old);
	if (rc == DIB_EDB)
		return store_dberr(s, d, "nations");
	if (rc == DIB_OK) {
		if (sodium_memcmp(old, pk, 32) == 0)
			return DIB_OK;
		if (!replace)
			return dib_fail(d, DIB_ECONFLICT, "nation", "nation %s "
			    "(%s) is already pinned with another key (%s; this "
			    "one is %s); check it with the partner, then "
			    "replace it with: diboli nation pin --replace", nat,
			    util_nation_name(nat), cert_fingerprint(old, oldfp),
			    cert_fingerprint(pk, newfp));
		sql = "UPDATE nations SET pubkey = ?2, added = ?3 "
		    "WHERE nation = ?1";
	} else {
		sql = "INSERT INTO nations(nation, pubkey, added) "
		    "VALUES(?1, ?2, ?3)";
	}
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return store_dberr(s, d, "nations");
	sqlite3_bind_text(st, 1, nat, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, pk, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, util_now_ms());
	rc = sqlite3_step(st) == SQLITE_DONE ? DIB_OK :
	    store_dberr(s, d, "nations");
	sqlite3_finalize(st);
	return rc;
}

int
cert_pin_list(struct store *s, struct cert_pin_info **out, size_t *n,
    struct dib_diag *d)
{
	sqlite3_stmt *st = NULL;
	struct cert_pin_info *v = NULL, *nv, *p;
	size_t cap = 0, len = 0;
	int rc = DIB_OK, step;

	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT nation, pubkey, added FROM "
	    "nations ORDER BY nation", -1, &st, NULL) != SQLITE_OK)
		return store_dberr(s, d, "nations");
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (len == cap) {
			cap = cap ? cap * 2 : 8;
			if ((nv = realloc(v, cap * sizeof *v)) == NULL) {
				rc = dib_fail(d, DIB_ENOMEM, "",
				    "out of memory");
				goto out;
			}
			v = nv;
		}
		p = &v[len++];
		memset(p, 0, sizeof *p);
		snprintf(p->nation, sizeof p->nation, "%s",
		    (const char *)sqlite3_column_text(st, 0));
		if (sqlite3_column_bytes(st, 1) == 32)
			memcpy(p->pk, sqlite3_column_blob(st, 1), 32);
		p->added = sqlite3_column_int64(st, 2);
	}
	if (step != SQLITE_DONE) {
		rc = store_dberr(s, d, "nations");
		goto out;
	}
	*out = v;
	*n = len;
	v = NULL;
out:
	sqlite3_finalize(st);
	free(v);
	return rc;
}

int
cert_check_origin(struct store *s, const uint8_t *p, size_t len,
    int64_t now_ms, struct cert *out, struct dib_diag *d)
{
	struct cert *c;
	uint8_t pk[32];
	int rc;

	if (out != NULL)
		memset(out, 0, sizeof *out);
	if ((c = malloc(sizeof *c)) == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	if (cert_parse(p, len, c, d) != 0) {
		rc = DIB_EUNAUTH;
		goto out;
	}
	rc = cert_pinned(s, c->nation, pk);
	if (rc == DIB_ENOTFOUND) {
		rc = dib_fail(d, DIB_EPERM, "cert", "nation %s (%s) is not "
		    "pinned on this node, so its nodes are not trusted (diboli "
		    "nation pin)", c->nation, util_nation_name(c->nation));
		goto out;
	}
	if (rc != 0) {
		rc = store_dberr(s, d, "nations");
		goto out;
	}
	if (cert_verify(c, pk, now_ms, d) != 0) {
		rc = DIB_EUNAUTH;
		goto out;
	}
	if (out != NULL)
		memcpy(out, c, sizeof *c);
out:
	/* The message of parse or verify stays; the code says 401. */
	if (rc == DIB_EUNAUTH && d != NULL)
		d->code = DIB_EUNAUTH;
	free(c);
	return rc;
}

/* ---- the node's own certificate ---- */

static int
store_cert(struct node *n, const char *nation, const uint8_t nation_pk[32],
    const uint8_t *b, size_t len, struct dib_diag *d)
{
	struct store *s = n->store;
	sqlite3_stmt *st = NULL;
	char path[2100];
	int rc;

	if ((rc = cert_pin(s, nation, nation_pk, 0, d)) != 0)
		return rc;
	if (sqlite3_prepare_v2(s->db, "UPDATE origins SET cert = ?2 WHERE "
	    "id = ?1", -1, &st, NULL) != SQLITE_OK)
		return store_dberr(s, d, "certify");
	sqlite3_bind_int64(st, 1, n->signer.origin);
	sqlite3_bind_blob(st, 2, b, (int)len, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_dberr(s, d, "certify");
	else if (sqlite3_changes(s->db) != 1)
		rc = dib_fail(d, DIB_EINVAL, "dir", "the database does not "
		    "know its own node");
	sqlite3_finalize(st);
	if (rc != 0)
		return rc;
	/* The database is the truth; the file is a copy for people and
	 * bundles, written last so that a failure leaves no row changed. */
	if ((size_t)snprintf(path, sizeof path, "%s/%s", n->dir, NODE_CERT) >=
	    sizeof path)
		return dib_fail(d, DIB_EINVAL, "dir", "path too long");
	return util_write_file(path, b, len, 0644, d);
}

int
cert_certify_node(struct node *n, const char *nation,
    const uint8_t nation_sk[64], const uint8_t nation_pk[32],
    struct dib_diag *d)
{
	struct store *s = n->store;
	char nat[3];
	uint8_t derived[32], *b = NULL;
	size_t len = 0;
	int64_t now = util_now_ms();
	int rc, own;

	if ((rc = norm_nation(nation, nat, "nation_key", d)) != 0)
		return rc;
	if (strcmp(nat, n->nation) != 0)
		return dib_fail(d, DIB_EINVAL, "nation_key", "this key is the "
		    "nation key of %s (%s), but the node belongs to %s (%s)",
		    nat, util_nation_name(nat), n->nation,
		    util_nation_name(n->nation));
	crypto_sign_ed25519_sk_to_pk(derived, nation_sk);
	if (sodium_memcmp(derived, nation_pk, 32) != 0)
		return dib_fail(d, DIB_EINVAL, "nation_key", "the public key "
		    "does not belong to the private key");
	if ((rc = cert_make(nation_sk, nat, n->signer.pk, n->name, now,
	    now + CERT_DEFAULT_VALIDITY_MS, &b, &len, d)) != 0)
		return rc;
	own = sqlite3_get_autocommit(s->db) != 0;
	if ((rc = store_exec(s, own ? "BEGIN IMMEDIATE" :
	    "SAVEPOINT cert_certify", d)) != 0)
		goto out;
	rc = store_cert(n, nat, nation_pk, b, len, d);
	if (own) {
		if (rc == 0)
			rc = store_commit(s, d);
		if (rc != 0)
			store_rollback(s);
	} else {
		if (rc != 0)
			sqlite3_exec(s->db, "ROLLBACK TO cert_certify", NULL,
			    NULL, NULL);
		sqlite3_exec(s->db, "RELEASE cert_certify", NULL, NULL, NULL);
	}
out:
	free(b);
	return rc;
}

int
cert_node_cert(struct node *n, uint8_t **out, size_t *len,
    struct dib_diag *d)
{
	sqlite3_stmt *st = NULL;
	int rc = DIB_OK, step, nb;

	*out = NULL;
	*len = 0;
	if (sqlite3_prepare_v2(n->store->db, "SELECT cert FROM origins WHERE "
	    "id = ?1", -1, &st, NULL) != SQLITE_OK)
		return store_dberr(n->store, d, "cert");
	sqlite3_bind_int64(st, 1, n->signer.origin);
	step = sqlite3_step(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE) {
		rc = store_dberr(n->store, d, "cert");
		goto out;
	}
	if (step == SQLITE_DONE || (nb = sqlite3_column_bytes(st, 0)) <= 0) {
		rc = dib_fail(d, DIB_ENOTFOUND, "cert", "this node is not "
		    "certified (diboli node certify --nation-key FILE)");
		goto out;
	}
	if ((*out = malloc((size_t)nb)) == NULL) {
		rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
		goto out;
	}
	memcpy(*out, sqlite3_column_blob(st, 0), (size_t)nb);
	*len = (size_t)nb;
out:
	sqlite3_finalize(st);
	return rc;
}
