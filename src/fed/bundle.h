/*
** Bundle files: the container that carries sync payloads between nodes
** on a USB stick, by e-mail or by radio. A bundle is zstd-compressed
** with a shipped dictionary, optionally encrypted to the recipient
** nation, and signed by the sending node over every byte. The payload
** (block headers and records) is opaque here. Layout: docs/bundle.md.
*/
#ifndef DIB_BUNDLE_H
#define DIB_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define BUNDLE_VERSION 1
#define BUNDLE_CERT_MAX 4096                    /* bytes of a certificate */
#define BUNDLE_HEADER_MAX (67 + BUNDLE_CERT_MAX + 136)
#define BUNDLE_CHUNK (64 * 1024)                /* compressed bytes/chunk */
#define BUNDLE_MAX_PAYLOAD (1ULL << 34)         /* hard cap: 16 GiB */
#define BUNDLE_DICT_NAME "bundle.dict"          /* embedded dictionary */

struct bundle_writer;
struct bundle_reader;

/*
** What a bundle says about itself, in its header. The writer takes it
** as input (it ignores encrypted and nation_pk, which come from its
** encrypt_to argument); the reader fills it from the header.
*/
struct bundle_meta {
	uint8_t sender_pk[32];          /* the sending node's Ed25519 key */
	const uint8_t *cert;            /* its certificate, opaque here */
	size_t cert_len;                /* 0..BUNDLE_CERT_MAX */
	char from_nation[3];            /* the sender's nation, "SN" */
	char for_nation[3];             /* the nation it is meant for, "ML" */
	int64_t created;                /* ms since 1970 */
	uint8_t kind;                   /* payload kind and version */
	uint32_t dict_id;               /* zstd dictionary: bundle_dict_id()
	                                 * or 0 for none */
	uint64_t max_payload;           /* payload bytes at most (writer: 0
	                                 * for BUNDLE_MAX_PAYLOAD) */
	int encrypted;                  /* set by the writer and reader */
	uint8_t nation_pk[32];          /* if encrypted: the Ed25519 nation
	                                 * key it is sealed to */
};

/* The id of the dictionary carried by this binary, or 0 if none is. */
uint32_t bundle_dict_id(void);

/*
** Start writing a bundle to path (the directory must exist). Bytes go
** to a temporary file beside it, renamed into place by
** bundle_writer_close, so that a crash never leaves half a bundle under
** path. node_sk signs it and must be the secret key of meta->sender_pk.
** If encrypt_to_nation_pk (an Ed25519 nation public key) is not NULL,
** the payload is encrypted so that only that nation's secret key opens
** it. Memory stays bounded (a few MB) whatever the payload size.
** DIB_EINVAL (meta, key), DIB_ECRYPTO (not a usable nation key),
** DIB_EIO, DIB_ENOMEM. *out is NULL on error; otherwise finish with
** bundle_writer_close or bundle_writer_abort.
*/
int bundle_writer_open(const char *path, const struct bundle_meta *meta,
    const uint8_t node_sk[64], const uint8_t *encrypt_to_nation_pk,
    struct bundle_writer **out, struct dib_diag *d);

/*
** Add n payload bytes; call as often as needed. DIB_ETOOBIG past
** meta->max_payload, DIB_EIO, DIB_ENOMEM. After an error the writer
** only accepts bundle_writer_abort (or close, which fails again).
*/
int bundle_write(struct bundle_writer *w, const void *p, size_t n,
    struct dib_diag *d);

/*
** Finish: flush, sign, fsync, rename into place, fsync the directory.
** Frees w whatever happens; on error no file is left at the final path
** nor at the temporary one.
*/
int bundle_writer_close(struct bundle_writer *w, struct dib_diag *d);

/* Give up: remove the temporary file and free w. Accepts NULL. */
void bundle_writer_abort(struct bundle_writer *w);

/* Bytes of memory the writer holds (its compressor included). */
size_t bundle_writer_memory(const struct bundle_writer *w);

/*
** Open a bundle file (a regular file: it is read twice) and parse its
** header strictly. Nothing in it is trusted yet: check the meta (the
** certificate against the pinned nation keys, for_nation), then
** bundle_verify, then bundle_read. DIB_ENOTFOUND, DIB_EIO, DIB_EINVAL
** (not a bundle, malformed header), DIB_ETOOBIG, DIB_ENOMEM. Free with
** bundle_reader_close.
*/
int bundle_reader_open(const char *path, struct bundle_reader **out,
    struct dib_diag *d);

/* The same over n bytes at p, which must outlive the reader. */
int bundle_reader_open_mem(const void *p, size_t n,
    struct bundle_reader **out, struct dib_diag *d);

/* The header's meta; cert points into the reader (valid until close). */
const struct bundle_meta *bundle_reader_meta(const struct bundle_reader *r);

/*
** Check the sender's signature over the whole file, the framing of the
** chunks, the trailer and that this node holds the dictionary. Does not
** need the decryption key. DIB_ECRYPTO (signature), DIB_EINVAL
** (framing, dictionary), DIB_EIO.
*/
int bundle_verify(struct bundle_reader *r, struct dib_diag *d);

/*
** Stream the payload, decrypted (with nation_sk, the recipient nation's
** Ed25519 secret key, for an encrypted bundle; else NULL) and
** decompressed, to sink in chunks. Only after bundle_verify succeeded.
** The bytes are hashed again as they are read and must match what was
** verified: since the sink has seen data by then, apply the payload in
** a transaction and commit only when this returns 0. DIB_ECRYPTO (no
** key, wrong key, decryption failed), DIB_ETAMPER (truncated or altered
** stream), DIB_ETOOBIG (past the payload limit), DIB_EINVAL; a nonzero
** return of sink is returned as is.
*/
int bundle_read(struct bundle_reader *r, const uint8_t *nation_sk,
    int (*sink)(void *arg, const uint8_t *p, size_t n), void *arg,
    struct dib_diag *d);

/* Close and free. Accepts NULL. */
void bundle_reader_close(struct bundle_reader *r);

/*
** Train the zstd dictionary of dict_size bytes on typical records (the
** deterministic demo generator, encoded as stored) and write it to
** out_path. The same arguments give the same bytes. DIB_EINVAL,
** DIB_ENOMEM, DIB_EIO.
*/
int bundle_train_dict(const char *out_path, size_t dict_size,
    struct dib_diag *d);

#endif
