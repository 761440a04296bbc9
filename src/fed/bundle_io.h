/*
** Sync by bundle files, above the container of bundle.h and the payload
** of sync.h: export what a node of another nation may receive, import a
** bundle in two passes (check all, then apply in one transaction), and
** the summary a receiver sends back. One implementation for diboli
** bundle|sync and for the admin HTTP API.
*/
#ifndef DIB_BUNDLE_IO_H
#define DIB_BUNDLE_IO_H

#include <stddef.h>
#include <stdint.h>

#include "fed/sync.h"
#include "util/buf.h"
#include "util/err.h"

struct bundle_meta;
struct bundle_reader;
struct cert;
struct log_header;
struct log_signer;
struct node;
struct store;

#define BUNDLE_SUMMARY_MAX (64 << 20)   /* bytes of a summary file */
#define BUNDLE_PUB_TEXT_MAX 200         /* bytes of a nation .pub text */

/* What to export; the caller keeps every pointer alive during the call. */
struct bundle_export {
	const char *nation;             /* for: "ML" (upper case, known) */
	const char *summary_path;       /* the receiver's summary file, or */
	const void *summary;            /* its bytes (summary_len), or both
	                                 * NULL: everything nation may hold */
	size_t summary_len;
	const uint8_t *encrypt_to;      /* a nation public key (32), or NULL */
	int64_t budget;                 /* bytes of blocks; 0: no limit */
	int64_t created;                /* ms, in the header; 0: now */
};

/*
** Write a bundle for e->nation to path (replaced atomically): this
** node's certificate, then the blocks that nation may hold and, given
** its summary, lacks, most urgent first within e->budget, signed by k
** (the node's key: n may be a reader whose secret key was wiped). Reads
** run in one read transaction on n->store. *sent (may be NULL) tells
** what went and what waits. DIB_ENOTFOUND (the node has no certificate:
** the message tells how to certify it), DIB_EINVAL (a summary that is
** not one: field "summary..."), DIB_EIO, DIB_ENOMEM, DIB_EDB.
*/
int bundle_export_to(struct node *n, const struct log_signer *k,
    const char *path, const struct bundle_export *e, struct sync_sent *sent,
    struct dib_diag *d);

/*
** The summary file for a node of nation: what this store holds of the
** logs that nation may see (items V, S..., Z), appended to out. *logs
** (may be NULL) gets the number of logs. DIB_EDB, DIB_ETOOBIG (out's
** cap), DIB_ENOMEM.
*/
int bundle_summary_to(struct store *s, const char *nation, struct buf *out,
    size_t *logs, struct dib_diag *d);

/* An incoming bundle, checked and applied in steps. */
struct bundle_import {
	struct node *n;                 /* the receiving node (reads) */
	struct bundle_reader *r;
	const struct bundle_meta *meta; /* its header, once opened */
	struct cert *sender;            /* its sender's checked certificate */
	struct sync_apply check;        /* pass 1: what checking found */
	struct sync_apply apply;        /* pass 2: what applying did */
	const uint8_t *nation_sk;       /* the key of an encrypted one */
	const char *name;               /* the file, for messages */
};

/*
** Open a bundle from the file path, or from the len bytes at mem (which
** must outlive im) named name (for messages; it too must outlive im),
** for node n, and check all that needs no
** payload: the header, that it is for n's nation (DIB_EPERM), the
** sender's certificate against the pinned nation keys (DIB_EUNAUTH or
** DIB_EPERM, field "sender"), the signature over every byte and the
** framing (DIB_ECRYPTO, DIB_EINVAL). An encrypted bundle then needs its
** nation key (im->meta->encrypted, im->meta->nation_pk). Whatever it
** returns, release im with bundle_import_close.
*/
int bundle_import_open(struct bundle_import *im, struct node *n,
    const char *path, const void *mem, size_t len, const char *name,
    struct dib_diag *d);

/*
** Pass 1: read the whole payload (decrypted with nation_sk, the
** recipient nation's secret key, if encrypted; else NULL) and check
** every item and block signature without writing, in strict mode: a
** block not meant for this node fails it all. on_block (may be NULL) is
** called with arg for each good block. With raw not NULL, the payload
** goes to raw(arg, ...) instead, unchecked; a nonzero return (with d
** filled) stops the read. Security events are left in im->check (audit
** them: sync_apply_audit).
*/
int bundle_import_check(struct bundle_import *im, const uint8_t *nation_sk,
    void (*on_block)(void *arg, const struct log_header *h),
    int (*raw)(void *arg, const uint8_t *p, size_t n, struct dib_diag *d),
    void *arg, struct dib_diag *d);

/*
** Pass 2, only after pass 1 succeeded: read the payload again and apply
** it to s (the node's writing store) inside the caller's transaction,
** which must be rolled back if this fails. Results and security events
** are in im->apply (audit them after the transaction: sync_apply_audit).
*/
int bundle_import_apply(struct bundle_import *im, struct store *s,
    struct dib_diag *d);

/* Release what bundle_import_open took. Safe after any failure. */
void bundle_import_close(struct bundle_import *im);

#endif
