/*
** Node life cycle (init, open, close) and the record operations that the
** CLI and the HTTP API share.
*/
#include "node/node.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "audit/audit.h"
#include "auth/auth.h"
#include "geo/geo.h"
#include "geo/reference.h"
#include "log/record.h"
#include "model/model.h"
#include "store/text.h"
#include "util/json.h"
#include "util/util.h"

#define KEY_MAGIC "diboli-node-key/1 "

static int
path_join(char *out, size_t n, const char *dir, const char *file,
    struct dib_diag *d)
{
	if ((size_t)snprintf(out, n, "%s/%s", dir, file) >= n)
		return dib_fail(d, DIB_EINVAL, "dir", "path too long");
	return DIB_OK;
}

static int
check_name(const char *name, struct dib_diag *d)
{
	size_t chars = 0;
	const unsigned char *p;

	if (name == NULL || *name == '\0')
		return dib_fail(d, DIB_EINVAL, "name", "is required, e.g. "
		    "\"Zone militaire n°4 — PC Tambacounda\"");
	if (!util_utf8_valid(name, strlen(name)))
		return dib_fail(d, DIB_EINVAL, "name", "is not valid UTF-8");
	for (p = (const unsigned char *)name; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return dib_fail(d, DIB_EINVAL, "name",
			    "contains a control character");
		chars += (*p & 0xc0) != 0x80;
	}
	if (chars > NODE_NAME_MAX)
		return dib_fail(d, DIB_EINVAL, "name",
		    "is longer than %d characters", NODE_NAME_MAX);
	return DIB_OK;
}

/* mkdir -p: parents 0755, the node directory itself 0700. */
static int
make_dirs(const char *dir, struct dib_diag *d)
{
	char path[2048];
	size_t i, n = strlen(dir);

	if (n >= sizeof path)
		return dib_fail(d, DIB_EINVAL, "dir", "path too long");
	memcpy(path, dir, n + 1);
	for (i = 1; i < n; i++) {
		if (path[i] != '/')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			return dib_fail(d, DIB_EIO, "dir", "cannot create %s: %s",
			    path, strerror(errno));
		path[i] = '/';
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return dib_fail(d, DIB_EIO, "dir", "cannot create %s: %s", dir,
		    strerror(errno));
	return DIB_OK;
}

int
node_init(const char *dir, const char *nation, const char *name,
    struct dib_diag *d)
{
	char db[2100], key[2100], textdb[2100], hex[65], text[128], ts[40];
	char nat[3];
	uint8_t seed[32], pk[32], sk[64];
	struct store *s = NULL;
	struct store_text *tx = NULL;
	struct stat sb;
	sqlite3_stmt *st = NULL;
	int rc, made_key = 0, made_db = 0, made_text = 0;

	if (dir == NULL || *dir == '\0')
		return dib_fail(d, DIB_EUSAGE, "dir", "--dir is required");
	if (nation == NULL || strlen(nation) != 2)
		return dib_fail(d, DIB_EINVAL, "nation", "must be an ISO 3166-1 "
		    "alpha-2 code like SN or ML, got \"%.20s\"",
		    nation ? nation : "");
	nat[0] = (char)(nation[0] & ~0x20);
	nat[1] = (char)(nation[1] & ~0x20);
	nat[2] = '\0';
	if (!util_nation_valid(nat))
		return dib_fail(d, DIB_EINVAL, "nation", "unknown nation \"%s\" "
		    "(ISO 3166-1 alpha-2, e.g. SN, ML, MR, GN)", nation);
	if ((rc = check_name(name, d)) != 0)
		return rc;
	if ((rc = path_join(db, sizeof db, dir, NODE_DB, d)) != 0 ||
	    (rc = path_join(key, sizeof key, dir, NODE_KEY, d)) != 0)
		return rc;
	if ((rc = make_dirs(dir, d)) != 0)
		return rc;
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return dib_fail(d, DIB_EINVAL, "dir", "%s is not a directory",
		    dir);
	if (stat(db, &sb) == 0 || stat(key, &sb) == 0)
		return dib_fail(d, DIB_EEXIST, "dir", "%s already holds a node",
		    dir);

	randombytes_buf(seed, sizeof seed);
	crypto_sign_seed_keypair(pk, sk, seed);
	util_hex(seed, 32, hex);
	snprintf(text, sizeof text, "%s%s\n", KEY_MAGIC, hex);
	sodium_memzero(hex, sizeof hex);
	rc = util_write_file(key, text, strlen(text), 0600, d);
	sodium_memzero(text, sizeof text);
	if (rc != 0)
		goto out;
	made_key = 1;
	made_db = 1;
	if ((rc = store_open(db, 1, &s, d)) != 0)
		goto out;
	if ((rc = store_begin(s, d)) != 0 ||
	    (rc = auth_schema(s, d)) != 0 || (rc = audit_schema(s, d)) != 0)
		goto out;
	util_hex(pk, 32, hex);
	util_time_format(util_now_ms(), ts, sizeof ts);
	if ((rc = store_meta_set(s, "nation", nat, d)) != 0 ||
	    (rc = store_meta_set(s, "name", name, d)) != 0 ||
	    (rc = store_meta_set(s, "node_id", hex, d)) != 0 ||
	    (rc = store_meta_set(s, "created_at", ts, d)) != 0)
		goto out;
	if (sqlite3_prepare_v2(s->db, "INSERT INTO origins(pubkey, nation, "
	    "name) VALUES(?1, ?2, ?3)", -1, &st, NULL) != SQLITE_OK) {
		rc = store_dberr(s, d, "init");
		goto out;
	}
	sqlite3_bind_blob(st, 1, pk, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, nat, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = store_dberr(s, d, "init");
		goto out;
	}
	if ((rc = store_commit(s, d)) != 0)
		goto out;
	made_text = 1;
	if ((rc = path_join(textdb, sizeof textdb, dir, STORE_TEXT_DB, d)) ==
	    0 && (rc = store_text_open(textdb, hex, &tx, d)) == 0)
		store_text_close(tx);
out:
	sqlite3_finalize(st);
	if (s != NULL && rc != 0)
		store_rollback(s);
	store_close(s);
	sodium_memzero(seed, sizeof seed);
	sodium_memzero(sk, sizeof sk);
	if (rc != 0) {
		if (made_key)
			unlink(key);
		if (made_db)
			store_remove_files(db);
		if (made_text)
			store_remove_files(textdb);
	}
	return rc;
}

static int
load_key(struct node *n, struct dib_diag *d)
{
	char path[2100], *text = NULL;
	size_t len;
	uint8_t seed[32];
	struct stat sb;
	int rc;

	if ((rc = path_join(path, sizeof path, n->dir, NODE_KEY, d)) != 0)
		return rc;
	if (stat(path, &sb) != 0)
		return dib_fail(d, DIB_ENOTFOUND, "dir", "%s is missing: is %s "
		    "a node directory (diboli init)?", path, n->dir);
	if (sb.st_mode & 077)
		return dib_fail(d, DIB_EPERM, "dir", "%s can be read by other "
		    "users; run: chmod 600 %s", path, path);
	if ((rc = util_read_file(path, 4096, &text, &len, d)) != 0)
		return rc;
	if (len != strlen(KEY_MAGIC) + 65 ||
	    strncmp(text, KEY_MAGIC, strlen(KEY_MAGIC)) != 0 ||
	    text[len - 1] != '\n') {
		rc = dib_fail(d, DIB_EINVAL, "dir", "%s is not a diboli node "
		    "key", path);
		goto out;
	}
	text[len - 1] = '\0';
	if (util_unhex(text + strlen(KEY_MAGIC), seed, 32) != 0) {
		rc = dib_fail(d, DIB_EINVAL, "dir", "%s is not a diboli node "
		    "key", path);
		goto out;
	}
	crypto_sign_seed_keypair(n->signer.pk, n->signer.sk, seed);
out:
	sodium_memzero(seed, sizeof seed);
	if (text != NULL) {
		sodium_memzero(text, len);
		free(text);
	}
	return rc;
}

/* After each commit of the node's connection: the words it added. */
static void
text_committed(void *arg, struct store_item *v, size_t count)
{
	struct node *n = arg;
	struct store_item *nv;

	if (n->text_deferred) {
		if (n->ready == NULL) {
			n->ready = v;
			n->nready = count;
			return;
		}
		nv = realloc(n->ready, (n->nready + count) * sizeof *nv);
		if (nv != NULL) {
			memcpy(nv + n->nready, v, count * sizeof *v);
			n->ready = nv;
			n->nready += count;
			free(v);
			return;
		}
		/* Out of memory: these stay uncovered until the next open. */
		store_items_free(v, count);
		return;
	}
	/* A failure leaves them uncovered: the next open indexes them. */
	node_text_index(n, v, count, NULL);
	store_items_free(v, count);
}

/* The text index: open, catch up with the records, then follow them. */
static int
open_text(struct node *n, struct dib_diag *d)
{
	char path[2100];
	int64_t added;
	int rc;

	if ((rc = path_join(path, sizeof path, n->dir, STORE_TEXT_DB, d)) != 0)
		return rc;
	if ((rc = store_text_open(path, n->id, &n->text, d)) == DIB_ETAMPER) {
		/* Damaged, or not SQLite: it is derived, so it is made again
		 * from the records. (Only then: a busy or unreadable file may
		 * be another process's live index.) */
		store_remove_files(path);
		rc = store_text_open(path, n->id, &n->text, d);
	}
	if (rc != 0)
		return rc;
	if ((rc = store_text_catch_up(n->text, n->store, &added, d)) != 0)
		return rc;
	store_collect(n->store, text_committed, n);
	return DIB_OK;
}

void
node_text_defer(struct node *n)
{
	n->text_deferred = 1;
}

struct store_item *
node_text_take(struct node *n, size_t *count)
{
	struct store_item *v = n->ready;

	*count = n->nready;
	n->ready = NULL;
	n->nready = 0;
	return v;
}

int
node_text_index(struct node *n, const struct store_item *v, size_t count,
    struct dib_diag *d)
{
	return store_text_add(n->text, v, count, d);
}

/* Copy file name of n's directory to out_dir, if it is there. */
static int
copy_file(const char *from_dir, const char *out_dir, const char *name,
    int mode, int *copied, struct dib_diag *d)
{
	char src[4200], dst[4200], *text = NULL;
	size_t len;
	int rc;

	snprintf(src, sizeof src, "%s/%s", from_dir, name);
	snprintf(dst, sizeof dst, "%s/%s", out_dir, name);
	if ((rc = util_read_file(src, REF_MAX_BYTES, &text, &len, d)) ==
	    DIB_ENOTFOUND) {
		dib_diag_clear(d);
		return DIB_OK;
	}
	if (rc == DIB_OK && (rc = util_write_file(dst, text, len, mode, d)) ==
	    DIB_OK)
		(*copied)++;
	if (text != NULL) {
		sodium_memzero(text, len);
		free(text);
	}
	return rc;
}

/* An empty or new directory for a backup. */
static int
backup_dir(const char *out_dir, struct dib_diag *d)
{
	DIR *dp;
	struct dirent *e;
	int rc;

	if ((rc = make_dirs(out_dir, d)) != 0)
		return rc;
	if ((dp = opendir(out_dir)) == NULL)
		return dib_fail(d, DIB_EIO, "out", "cannot read %s: %s",
		    out_dir, strerror(errno));
	while ((e = readdir(dp)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			closedir(dp);
			return dib_fail(d, DIB_EEXIST, "out", "%s is not empty: "
			    "a backup goes into a new or empty directory",
			    out_dir);
		}
	closedir(dp);
	return DIB_OK;
}

int
node_backup(struct node *n, const char *out_dir,
    struct node_backup_report *rep, struct dib_diag *d)
{
	char db[4200], sub[4200], name[300];
	sqlite3 *to = NULL;
	sqlite3_backup *b;
	struct stat sb;
	DIR *dp;
	struct dirent *e;
	int rc, step;

	memset(rep, 0, sizeof *rep);
	if (out_dir == NULL || *out_dir == '\0')
		return dib_fail(d, DIB_EUSAGE, "out", "--out is required");
	if ((rc = backup_dir(out_dir, d)) != 0)
		return rc;
	snprintf(db, sizeof db, "%s/%s", out_dir, NODE_DB);
	if (sqlite3_open_v2(db, &to, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		rc = dib_fail(d, DIB_EIO, "out", "cannot create %s: %s", db,
		    to ? sqlite3_errmsg(to) : "out of memory");
		goto out;
	}
	/* One step: one read transaction on the node, so the copy is the
	 * database as of one moment, whatever a server writes meanwhile
	 * (in WAL mode it is not held up). */
	if ((b = sqlite3_backup_init(to, "main", n->store->db, "main")) ==
	    NULL) {
		rc = dib_fail(d, DIB_EIO, "out", "cannot copy the database: "
		    "%s", sqlite3_errmsg(to));
		goto out;
	}
	step = sqlite3_backup_step(b, -1);
	if (sqlite3_backup_finish(b) != SQLITE_OK || step != SQLITE_DONE) {
		rc = dib_fail(d, (sqlite3_errcode(to) & 0xff) == SQLITE_FULL ?
		    DIB_EIO : DIB_EDB, "out", "the copy of the database "
		    "failed: %s", sqlite3_errmsg(to));
		goto out;
	}
	/* The copy reads back whole. */
	if (sqlite3_exec(to, "PRAGMA quick_check", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		rc = dib_fail(d, DIB_EDB, "out", "the copy does not read back: "
		    "%s", sqlite3_errmsg(to));
		goto out;
	}
	{
		sqlite3_stmt *st = NULL;

		if (sqlite3_prepare_v2(to, "SELECT count(*) FROM entries", -1,
		    &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
			rep->records = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(to);
	to = NULL;
	/* As secret as the node: its users' password hashes, national
	 * records. */
	chmod(db, 0600);
	if (stat(db, &sb) == 0)
		rep->bytes = (int64_t)sb.st_size;
	if ((rc = copy_file(n->dir, out_dir, NODE_KEY, 0600, &rep->files,
	    d)) != 0 || (rc = copy_file(n->dir, out_dir, NODE_CERT, 0644,
	    &rep->files, d)) != 0 || (rc = copy_file(n->dir, out_dir,
	    "model.json", 0644, &rep->files, d)) != 0)
		goto out;
	/* The node's own reference layers. */
	snprintf(sub, sizeof sub, "%s/reference", n->dir);
	if ((dp = opendir(sub)) != NULL) {
		snprintf(sub, sizeof sub, "%s/reference", out_dir);
		if (mkdir(sub, 0755) != 0 && errno != EEXIST) {
			closedir(dp);
			rc = dib_fail(d, DIB_EIO, "out", "cannot create %s: %s",
			    sub, strerror(errno));
			goto out;
		}
		while (rc == 0 && (e = readdir(dp)) != NULL) {
			size_t len = strlen(e->d_name);

			if (len < 9 || len > 200 || strcmp(e->d_name + len - 8,
			    ".geojson") != 0)
				continue;
			snprintf(name, sizeof name, "reference/%s", e->d_name);
			rc = copy_file(n->dir, out_dir, name, 0644, &rep->files,
			    d);
		}
		closedir(dp);
	}
out:
	sqlite3_close(to);
	return rc;
}

int
node_open(const char *dir, struct node **out, struct dib_diag *d)
{
	struct node *n;
	char db[2100], hex[65];
	sqlite3_stmt *st = NULL;
	struct stat sb;
	int rc;

	*out = NULL;
	if (dir == NULL || *dir == '\0')
		return dib_fail(d, DIB_EUSAGE, "dir", "--dir is required");
	if (sodium_init() < 0)
		return dib_fail(d, DIB_ECRYPTO, "", "libsodium failed to start");
	if ((n = calloc(1, sizeof *n)) == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	snprintf(n->dir, sizeof n->dir, "%s", dir);
	if ((rc = path_join(db, sizeof db, dir, NODE_DB, d)) != 0)
		goto fail;
	if (stat(db, &sb) != 0) {
		rc = dib_fail(d, DIB_ENOTFOUND, "dir", "no node in %s (create "
		    "one with: diboli init --dir %s --nation SN --name ...)",
		    dir, dir);
		goto fail;
	}
	if ((rc = load_key(n, d)) != 0 ||
	    (rc = store_open(db, 0, &n->store, d)) != 0 ||
	    (rc = store_exec(n->store, "PRAGMA cache_size=-16000", d)) != 0 ||
	    (rc = auth_schema(n->store, d)) != 0 ||
	    (rc = audit_schema(n->store, d)) != 0)
		goto fail;
	store_meta_get(n->store, "nation", n->nation, sizeof n->nation);
	store_meta_get(n->store, "name", n->name, sizeof n->name);
	store_meta_get(n->store, "node_id", n->id, sizeof n->id);
	store_meta_get(n->store, "created_at", n->created, sizeof n->created);
	if (strcmp(util_hex(n->signer.pk, 32, hex), n->id) != 0) {
		rc = dib_fail(d, DIB_ECRYPTO, "dir", "%s/%s does not belong to "
		    "this node's database", dir, NODE_KEY);
		goto fail;
	}
	if (sqlite3_prepare_v2(n->store->db, "SELECT id FROM origins WHERE "
	    "pubkey = ?1", -1, &st, NULL) != SQLITE_OK) {
		rc = store_dberr(n->store, d, "open");
		goto fail;
	}
	sqlite3_bind_blob(st, 1, n->signer.pk, 32, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = dib_fail(d, DIB_EINVAL, "dir", "the database does not "
		    "know its own node");
		goto fail;
	}
	n->signer.origin = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = model_load_node(dir, &n->model, d)) != 0 ||
	    (rc = open_text(n, d)) != 0)
		goto fail;
	*out = n;
	return DIB_OK;
fail:
	sqlite3_finalize(st);
	node_close(n);
	return rc;
}

void
node_close(struct node *n)
{
	if (n == NULL)
		return;
	store_close(n->store);
	store_text_close(n->text);
	store_items_free(n->ready, n->nready);
	model_free(n->model);
	sodium_memzero(&n->signer, sizeof n->signer);
	free(n);
}

int
node_counts(struct node *n, struct node_counts *c)
{
	struct store *s = n->store;

	c->origins = store_count(s, "SELECT count(*) FROM origins");
	c->logs = store_count(s, "SELECT count(*) FROM logs");
	c->blocks = store_count(s, "SELECT count(*) FROM blocks");
	c->records = store_count(s, "SELECT count(*) FROM entries");
	c->current = store_count(s, "SELECT count(*) FROM entries "
	    "WHERE state = 0");
	c->superseded = store_count(s, "SELECT count(*) FROM entries "
	    "WHERE state = 1");
	c->retracted = store_count(s, "SELECT count(*) FROM entries "
	    "WHERE state = 2");
	return DIB_OK;
}

static int
check_audience(struct node *n, const struct record *r, struct dib_diag *d)
{
	if (!util_audience_has(r->audience, n->nation))
		return dib_fail(d, DIB_EINVAL, "audience", "must include this "
		    "node's nation %s (got %s)", n->nation, r->audience);
	return DIB_OK;
}

int
node_append(struct node *n, struct record *recs, size_t count,
    struct dib_diag *d)
{
	int rc;

	if (count > NODE_MAX_BATCH)
		return dib_fail(d, DIB_ETOOBIG, "records", "at most %d records "
		    "in one append, got %zu", NODE_MAX_BATCH, count);
	if ((rc = log_append(n->store, &n->signer, recs, count, d)) != 0)
		return rc;
	return DIB_OK;
}

int
node_append_prepared(struct node *n, struct record *recs, size_t count,
    const struct log_prep *p, struct dib_diag *d)
{
	if (count > NODE_MAX_BATCH)
		return dib_fail(d, DIB_ETOOBIG, "records", "at most %d records "
		    "in one append, got %zu", NODE_MAX_BATCH, count);
	return log_append_prepared(n->store, &n->signer, recs, count, p, d);
}

/*
** Records of the domains (patrols and their approvals, tracks, section
** status) carry rules the generic record paths do not check, such as
** who may approve: they are written only through their domain
** (src/patrol/, diboli patrol, /api/v1/patrols). A partner's category
** unknown here is nobody's domain.
*/
/*
** node_domain_owned by the category's kind (NULL: none): 2 for the
** decisions (approval, status, alert), 1 for patrols and tracks. Its
** first letter picks the one kind to compare (every record asks).
*/
static int
kind_owned(const char *k)
{
	if (k == NULL)
		return 0;
	switch (k[0]) {
	case 'a':
		return strcmp(k, "approval") == 0 || strcmp(k, "alert") == 0 ?
		    2 : 0;
	case 's':
		return strcmp(k, "status") == 0 ? 2 : 0;
	case 'p':
		return strcmp(k, "patrol") == 0;
	case 't':
		return strcmp(k, "track") == 0;
	default:
		return 0;
	}
}

int
node_domain_owned(const struct node *n, const char *category)
{
	const struct model_category *c = model_find(n->model, category);

	return c != NULL ? kind_owned(model_category_kind(c)) : 0;
}

static int
domain_refusal(const char *category, struct dib_diag *d)
{
	return dib_fail(d, DIB_EPERM, "category", "%s records are written "
	    "through their own commands (%s), which check who may do what",
	    category, strncmp(category, "section.", 8) == 0 ?
	    "diboli section, /api/v1/sections" :
	    "diboli patrol, /api/v1/patrols");
}

int
node_prepare(struct node *n, const json_t *in, struct record *r,
    struct dib_diag *d)
{
	int rc;

	if ((rc = record_from_json(n->model, in, n->nation, NULL, r, d)) != 0 ||
	    (rc = check_audience(n, r, d)) != 0)
		return rc;
	/* r->kind is its category's, just looked up. */
	if (kind_owned(r->kind)) {
		rc = domain_refusal(r->category, d);
		record_clear(r);
		return rc;
	}
	if (r->has_supersedes)
		return dib_fail(d, DIB_EINVAL, "supersedes", "use supersede to "
		    "replace a record");
	return DIB_OK;
}

/*
** The common part of node_add and node_add_texts: input i comes from
** in[i] or, parsed here and released at once, from texts[i].
*/
static int
add_many(struct node *n, json_t *const *in, const char *const *texts,
    const size_t *lens, size_t count, uint8_t (*ids)[16], struct dib_diag *d)
{
	struct record *recs;
	size_t i;
	int rc = DIB_OK;

	if (count == 0)
		return dib_fail(d, DIB_EINVAL, "records", "no record given");
	if (count > NODE_MAX_BATCH)
		return dib_fail(d, DIB_ETOOBIG, "records", "at most %d records "
		    "in one append, got %zu", NODE_MAX_BATCH, count);
	if ((recs = calloc(count, sizeof *recs)) == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	for (i = 0; i < count; i++) {
		json_t *j = NULL;

		if (in != NULL)
			rc = node_prepare(n, in[i], &recs[i], d);
		else if ((rc = util_json_parse(texts[i], lens[i], "", &j, d)) ==
		    0)
			rc = node_prepare(n, j, &recs[i], d);
		json_decref(j);
		if (rc != 0) {
			if (count > 1) {
				char p[32];

				snprintf(p, sizeof p, "records[%zu]", i);
				dib_diag_prefix(d, p);
			}
			goto out;
		}
	}
	if ((rc = node_append(n, recs, count, d)) != 0)
		goto out;
	for (i = 0; i < count; i++)
		memcpy(ids[i], recs[i].id, 16);
out:
	for (i = 0; i < count; i++)
		record_clear(&recs[i]);
	free(recs);
	return rc;
}

int
node_add(struct node *n, json_t *const *in, size_t count, uint8_t (*ids)[16],
    struct dib_diag *d)
{
	return add_many(n, in, NULL, NULL, count, ids, d);
}

int
node_add_texts(struct node *n, const char *const *texts, const size_t *lens,
    size_t count, uint8_t (*ids)[16], struct dib_diag *d)
{
	return add_many(n, NULL, texts, lens, count, ids, d);
}

/* Where the current record id lives, and whether this node wrote it. */
static int
find_own_current(struct node *n, const uint8_t id[16], int64_t *log,
    char *audience, int retract, struct dib_diag *d)
{
	sqlite3_stmt *st = NULL;
	const char *cat;
	char txt[37];
	int rc = DIB_OK, owned;

	util_uuid_format(id, txt);
	if (sqlite3_prepare_v2(n->store->db, "SELECT e.k >> 40, l.origin, "
	    "l.audience, e.state, (SELECT new FROM rec_link WHERE old = e.id "
	    "AND origin = l.origin), (SELECT id FROM categories WHERE code = "
	    "e.cat) FROM entries e JOIN logs l ON l.id = e.k >> 40 "
	    "WHERE e.id = ?1", -1, &st, NULL) != SQLITE_OK)
		return store_dberr(n->store, d, "record");
	sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = dib_fail(d, DIB_ENOTFOUND, "id", "no record %s", txt);
		goto out;
	}
	*log = sqlite3_column_int64(st, 0);
	snprintf(audience, UTIL_AUDIENCE_LEN, "%s",
	    (const char *)sqlite3_column_text(st, 2));
	/* A domain's record changes only through its domain; withdrawing
	 * one (a patrol plan: the patrol is withdrawn) is allowed, except a
	 * decision, which its rules would not see go. */
	cat = (const char *)sqlite3_column_text(st, 5);
	owned = cat != NULL ? node_domain_owned(n, cat) : 0;
	if (owned == 2 || (owned == 1 && !retract)) {
		rc = domain_refusal(cat, d);
		goto out;
	}
	switch (sqlite3_column_int(st, 3)) {
	case STORE_CURRENT:
		if (sqlite3_column_int64(st, 1) != n->signer.origin)
			rc = dib_fail(d, DIB_EPERM, "id", "record %s belongs to "
			    "another node; only its origin may change it", txt);
		break;
	case STORE_RETRACTION:
		rc = dib_fail(d, DIB_ECONFLICT, "id", "%s is a retraction; it "
		    "cannot be changed", txt);
		break;
	default: {
		char by[37] = "?";

		if (sqlite3_column_bytes(st, 4) == 16)
			util_uuid_format(sqlite3_column_blob(st, 4), by);
		rc = dib_fail(d, DIB_ECONFLICT, "id", "record %s was already "
		    "%s by %s", txt, sqlite3_column_int(st, 3) ==
		    STORE_SUPERSEDED ? "superseded" : "retracted", by);
	}
	}
out:
	sqlite3_finalize(st);
	return rc;
}

int
node_supersede(struct node *n, const uint8_t old[16], const json_t *in,
    uint8_t id[16], struct dib_diag *d)
{
	struct record r;
	json_t *copy = NULL;
	char oldaud[UTIL_AUDIENCE_LEN], txt[37];
	int64_t log;
	int rc;

	memset(&r, 0, sizeof r);
	if ((rc = find_own_current(n, old, &log, oldaud, 0, d)) != 0)
		return rc;
	if (!json_is_object(in))
		return dib_fail(d, DIB_EINVAL, "", "a record must be a JSON "
		    "object");
	if (json_object_get(in, "supersedes") != NULL)
		return dib_fail(d, DIB_EINVAL, "supersedes", "is set by "
		    "supersede itself");
	if ((copy = json_deep_copy(in)) == NULL ||
	    json_object_set_new(copy, "supersedes",
	    json_string(util_uuid_format(old, txt))) != 0) {
		rc = dib_fail(d, DIB_ENOMEM, "", "out of memory");
		goto out;
	}
	if ((rc = record_from_json(n->model, copy, oldaud, NULL, &r, d)) != 0 ||
	    (rc = check_audience(n, &r, d)) != 0)
		goto out;
	if (!util_audience_subset(oldaud, r.audience)) {
		rc = dib_fail(d, DIB_EINVAL, "audience", "a release cannot be "
		    "recalled: the new version must keep every nation of the "
		    "old one (%s), got %s", oldaud, r.audience);
		goto out;
	}
	if ((rc = node_append(n, &r, 1, d)) != 0)
		goto out;
	memcpy(id, r.id, 16);
out:
	record_clear(&r);
	json_decref(copy);
	return rc;
}

int
node_retract(struct node *n, const uint8_t old[16], const char *reason,
    uint8_t id[16], struct dib_diag *d)
{
	struct record r;
	char aud[UTIL_AUDIENCE_LEN];
	int64_t log;
	int rc;

	memset(&r, 0, sizeof r);
	if ((rc = find_own_current(n, old, &log, aud, 1, d)) != 0)
		return rc;
	if ((rc = record_retraction(old, reason, aud, util_now_ms(), &r, d)) !=
	    0)
		return rc;
	if ((rc = node_append(n, &r, 1, d)) == 0)
		memcpy(id, r.id, 16);
	record_clear(&r);
	return rc;
}

json_t *
node_record_json(struct node *n, int64_t log, int64_t seq, const char *status)
{
	sqlite3_stmt *st = store_stmt(n->store, ST_ENTRY_GET);
	json_t *j = NULL, *aud, *g;
	char hex[65];

	if (st == NULL)
		return NULL;
	sqlite3_bind_int64(st, 1, STORE_ENTRY_KEY(log, seq));
	if (sqlite3_step(st) == SQLITE_ROW)
		util_json_parse(sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0), "record", &j, NULL);
	sqlite3_reset(st);
	if (j == NULL)
		return NULL;
	if ((st = store_stmt(n->store, ST_LOG_INFO)) != NULL) {
		sqlite3_bind_int64(st, 1, log);
		if (sqlite3_step(st) == SQLITE_ROW) {
			const char *a = (const char *)sqlite3_column_text(st, 3);

			aud = json_array();
			for (; a && a[0] && a[1]; a += a[2] ? 3 : 2) {
				json_array_append_new(aud, json_stringn(a, 2));
				if (a[2] == '\0')
					break;
			}
			json_object_set_new(j, "audience", aud);
			util_hex(sqlite3_column_blob(st, 0), 32, hex);
			json_object_set_new(j, "origin", json_pack(
			    "{s:s, s:s, s:s}", "node", hex, "nation",
			    (const char *)sqlite3_column_text(st, 1), "name",
			    (const char *)sqlite3_column_text(st, 2)));
		}
		sqlite3_reset(st);
	}
	json_object_set_new(j, "seq", json_integer(seq));
	json_object_set_new(j, "status", json_string(status));
	g = json_object_get(j, "geometry");
	if (g != NULL && json_is_string(json_object_get(g, "type")) &&
	    strcmp(json_string_value(json_object_get(g, "type")), "Point") ==
	    0) {
		json_t *c = json_object_get(g, "coordinates");
		char mgrs[32];

		if (geo_mgrs_format(json_number_value(json_array_get(c, 1)),
		    json_number_value(json_array_get(c, 0)), 5, mgrs,
		    sizeof mgrs, NULL) == 0)
			json_object_set_new(j, "mgrs", json_string(mgrs));
	}
	return j;
}

int
node_get(struct node *n, const uint8_t id[16], json_t **out,
    struct dib_diag *d)
{
	static const char *const states[] = {"current", "superseded",
	    "retracted", "retraction"};
	sqlite3_stmt *st = NULL;
	char txt[37], by[37];
	int64_t k;
	int state, rc = DIB_OK;
	json_t *j;

	*out = NULL;
	util_uuid_format(id, txt);
	if (sqlite3_prepare_v2(n->store->db, "SELECT e.k, e.state, l.new, "
	    "(SELECT k FROM entries WHERE id = l.new) FROM entries e LEFT JOIN "
	    "rec_link l ON l.old = e.id AND l.origin = (SELECT origin FROM "
	    "logs WHERE id = e.k >> 40) WHERE e.id = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return store_dberr(n->store, d, "record");
	sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = dib_fail(d, DIB_ENOTFOUND, "id", "no record %s on this "
		    "node", txt);
		goto out;
	}
	k = sqlite3_column_int64(st, 0);
	state = sqlite3_column_int(st, 1);
	if (state < 0 || state > STORE_RETRACTION)
		state = STORE_CURRENT;
	j = node_record_json(n, STORE_ENTRY_LOG(k), STORE_ENTRY_SEQ(k),
	    states[state]);
	if (j == NULL) {
		rc = store_dberr(n->store, d, "record");
		goto out;
	}
	if ((state == STORE_SUPERSEDED || state == STORE_RETRACTED) &&
	    sqlite3_column_bytes(st, 2) == 16) {
		util_uuid_format(sqlite3_column_blob(st, 2), by);
		json_object_set_new(j, state == STORE_SUPERSEDED ?
		    "superseded_by" : "retracted_by", json_string(by));
	}
	if (state == STORE_RETRACTED &&
	    sqlite3_column_type(st, 3) != SQLITE_NULL) {
		int64_t rk = sqlite3_column_int64(st, 3);
		json_t *r = node_record_json(n, STORE_ENTRY_LOG(rk),
		    STORE_ENTRY_SEQ(rk), "retraction");

		if (r != NULL) {
			json_object_set(j, "reason", json_object_get(r,
			    "reason"));
			json_object_set(j, "retracted_at", json_object_get(r,
			    "observed_at"));
			json_decref(r);
		}
	}
	*out = j;
out:
	sqlite3_finalize(st);
	return rc;
}
