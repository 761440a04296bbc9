/*
** Sync by bundle files: the export, the two-pass import and the summary
** that diboli bundle|sync and the admin HTTP API share. The container is
** bundle.c's, the payload sync.c's; docs/sync.md and docs/bundle.md.
*/
#include "fed/bundle_io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fed/bundle.h"
#include "fed/cert.h"
#include "log/log.h"
#include "node/node.h"
#include "store/store.h"
#include "util/util.h"


/* ---- export ---- */

static int
to_bundle(void *arg, const void *p, size_t n, struct dib_diag *d)
{
	return bundle_write(arg, p, n, d);
}

/* The receiver's summary, from e's file or bytes, into sm. */
static int
read_summary(struct node *n, const struct bundle_export *e,
    struct sync_summary *sm, struct dib_diag *d)
{
	struct sync_apply a;
	char *text = NULL;
	const char *name = e->summary_path ? e->summary_path : "the summary";
	const void *p = e->summary;
	size_t len = e->summary_len;
	int rc;

	if (e->summary_path != NULL) {
		if ((rc = util_read_file(e->summary_path, BUNDLE_SUMMARY_MAX,
		    &text, &len, d)) != 0)
			return rc;
		p = text;
	}
	sync_apply_init(&a, n);
	a.dry_run = 1;
	snprintf(a.from, sizeof a.from, "%s", "summary file");
	if ((rc = sync_apply_feed(&a, p, len, d)) == 0)
		rc = sync_apply_finish(&a, d);
	if (rc == 0 && (a.applied_blocks || a.certs || a.held_blocks ||
	    a.refused_blocks))
		rc = dib_fail(d, DIB_EINVAL, "summary", "%s holds blocks: give "
		    "a file made by \"diboli sync summary\"", name);
	if (rc != 0) {
		dib_diag_prefix(d, "summary");
	} else {
		*sm = a.peer;
		memset(&a.peer, 0, sizeof a.peer);
	}
	sync_apply_free(&a);
	free(text);
	return rc;
}

int
bundle_export_to(struct node *n, const struct log_signer *k,
    const char *path, const struct bundle_export *e, struct sync_sent *sent,
    struct dib_diag *d)
{
	struct bundle_meta meta;
	struct bundle_writer *w = NULL;
	struct sync_summary sm;
	struct sync_sent mine;
	struct sync_sink o;
	uint8_t *cert = NULL;
	size_t clen = 0;
	int has_summary = e->summary_path != NULL || e->summary != NULL;
	int rc;

	memset(&sm, 0, sizeof sm);
	if (sent == NULL)
		sent = &mine;
	memset(sent, 0, sizeof *sent);
	if ((rc = cert_node_cert(n, &cert, &clen, d)) != 0) {
		if (rc == DIB_ENOTFOUND)
			dib_fail(d, rc, "", "this node has no certificate: "
			    "diboli node certify --dir %s --nation-key "
			    "NATION.key", n->dir);
		return rc;
	}
	if (has_summary && (rc = read_summary(n, e, &sm, d)) != 0)
		goto out;
	memset(&meta, 0, sizeof meta);
	memcpy(meta.sender_pk, k->pk, 32);
	meta.cert = cert;
	meta.cert_len = clen;
	memcpy(meta.from_nation, n->nation, 3);
	memcpy(meta.for_nation, e->nation, 3);
	meta.created = e->created ? e->created : util_now_ms();
	meta.kind = 1;
	meta.dict_id = bundle_dict_id();
	if ((rc = bundle_writer_open(path, &meta, k->sk, e->encrypt_to, &w,
	    d)) != 0)
		goto out;
	o.write = to_bundle;
	o.arg = w;
	/* A read transaction: one consistent view of every log. */
	if ((rc = store_exec(n->store, "BEGIN", d)) != 0)
		goto out;
	rc = sync_put_version(&o, d);
	if (rc == 0)
		rc = sync_put_blocks(n->store, e->nation, has_summary ? &sm :
		    NULL, e->budget, &o, sent, d);
	if (rc == 0)
		rc = sync_put_end(&o, d);
	store_exec(n->store, "COMMIT", NULL);
	if (rc == 0) {
		rc = bundle_writer_close(w, d);
		w = NULL;
	}
out:
	if (w != NULL)
		bundle_writer_abort(w);
	free(cert);
	sync_summary_free(&sm);
	return rc;
}

/* ---- summary ---- */

int
bundle_summary_to(struct store *s, const char *nation, struct buf *out,
    size_t *logs, struct dib_diag *d)
{
	struct sync_summary sm;
	struct sync_sink o = {sync_buf_write, out};
	int rc;

	if (logs != NULL)
		*logs = 0;
	if ((rc = sync_summary_make(s, nation, &sm, d)) != 0)
		return rc;
	rc = sync_put_version(&o, d);
	if (rc == 0)
		rc = sync_put_summary(&o, &sm, d);
	if (rc == 0)
		rc = sync_put_end(&o, d);
	if (rc == 0 && logs != NULL)
		*logs = sm.n;
	sync_summary_free(&sm);
	return rc;
}

/* ---- import ---- */

struct feed {
	struct sync_apply *a;
	struct dib_diag *d;
	int (*raw)(void *arg, const uint8_t *p, size_t n, struct dib_diag *d);
	void *arg;
};

static int
to_apply(void *arg, const uint8_t *p, size_t n)
{
	struct feed *f = arg;

	if (f->raw != NULL)
		return f->raw(f->arg, p, n, f->d);
	return sync_apply_feed(f->a, p, n, f->d);
}

int
bundle_import_open(struct bundle_import *im, struct node *n,
    const char *path, const void *mem, size_t len, const char *name,
    struct dib_diag *d)
{
	int rc;

	memset(im, 0, sizeof *im);
	im->n = n;
	im->name = name ? name : path ? path : "the bundle";
	sync_apply_init(&im->check, n);
	sync_apply_init(&im->apply, n);
	if (path != NULL)
		rc = bundle_reader_open(path, &im->r, d);
	else
		rc = bundle_reader_open_mem(mem, len, &im->r, d);
	if (rc != 0)
		return rc;
	im->meta = bundle_reader_meta(im->r);
	if (memcmp(im->meta->for_nation, n->nation, 3) != 0)
		return dib_fail(d, DIB_EPERM, "bundle", "%s is a bundle for %s; "
		    "this node is of %s", im->name, im->meta->for_nation,
		    n->nation);
	if ((im->sender = calloc(1, sizeof *im->sender)) == NULL)
		return dib_fail(d, DIB_ENOMEM, "", "out of memory");
	if ((rc = cert_check_origin(n->store, im->meta->cert,
	    im->meta->cert_len, util_now_ms(), im->sender, d)) != 0 ||
	    memcmp(im->sender->node_pk, im->meta->sender_pk, 32) != 0) {
		if (rc == 0)
			rc = dib_fail(d, DIB_EUNAUTH, "bundle", "the sender's "
			    "certificate is for another node key");
		dib_diag_prefix(d, "sender");
		return rc;
	}
	snprintf(im->check.from, sizeof im->check.from, "bundle from %.60s",
	    im->sender->name);
	snprintf(im->apply.from, sizeof im->apply.from, "bundle from %.60s",
	    im->sender->name);
	im->check.dry_run = 1;
	im->check.strict = 1;
	im->apply.strict = 1;
	return bundle_verify(im->r, d);
}

int
bundle_import_check(struct bundle_import *im, const uint8_t *nation_sk,
    void (*on_block)(void *arg, const struct log_header *h),
    int (*raw)(void *arg, const uint8_t *p, size_t n, struct dib_diag *d),
    void *arg, struct dib_diag *d)
{
	struct feed f = {&im->check, d, raw, arg};
	int rc;

	if (im->r == NULL || im->sender == NULL)
		return dib_fail(d, DIB_EINVAL, "bundle", "not opened");
	im->nation_sk = nation_sk;
	im->check.on_block = on_block;
	im->check.on_block_arg = arg;
	if ((rc = bundle_read(im->r, nation_sk, to_apply, &f, d)) != 0)
		return rc;
	return raw != NULL ? DIB_OK : sync_apply_finish(&im->check, d);
}

int
bundle_import_apply(struct bundle_import *im, struct store *s,
    struct dib_diag *d)
{
	struct feed f = {&im->apply, d, NULL, NULL};
	int rc;

	if (im->r == NULL || im->sender == NULL)
		return dib_fail(d, DIB_EINVAL, "bundle", "not opened");
	im->apply.s = s;
	if ((rc = bundle_read(im->r, im->nation_sk, to_apply, &f, d)) != 0)
		return rc;
	return sync_apply_finish(&im->apply, d);
}

void
bundle_import_close(struct bundle_import *im)
{
	if (im == NULL)
		return;
	free(im->sender);
	im->sender = NULL;
	bundle_reader_close(im->r);
	im->r = NULL;
	im->meta = NULL;
	im->nation_sk = NULL;
	sync_apply_free(&im->check);
	sync_apply_free(&im->apply);
}
