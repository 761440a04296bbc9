/*
** A node: one nation's installation, in one data directory holding the
** database (diboli.db), the node's Ed25519 key (node.key, mode 0600) and
** optionally its own model (model.json). This is the library's entry
** point for writing and reading records.
*/
#ifndef DIB_NODE_H
#define DIB_NODE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "log/log.h"
#include "store/store.h"
#include "util/err.h"

struct buf;
struct model;
struct record;

#define NODE_DB "diboli.db"
#define NODE_KEY "node.key"
#define NODE_CERT "node.cert"   /* its certificate (fed/cert.h) */
#define NODE_NAME_MAX 200
#define NODE_MAX_BATCH 10000    /* records in one bulk append */

struct store_text;

struct node {
	char dir[2048];                 /* the data directory */
	struct store *store;            /* its database */
	struct store_text *text;        /* its text index (STORE_TEXT_DB) */
	/* deferred: what commits add waits in ready for node_text_take
	 * (the server indexes it on a thread of its own); else each
	 * commit indexes its words at once. */
	int text_deferred;
	struct store_item *ready;
	size_t nready;
	struct model *model;            /* the node's model */
	struct log_signer signer;       /* key and origin row */
	char nation[3];                 /* ISO 3166-1 alpha-2 */
	char name[NODE_NAME_MAX * 4 + 1]; /* UTF-8: "Zone militaire n°4 ..." */
	char id[65];                    /* public key, hex */
	char created[40];               /* RFC 3339 */
};

/*
** Create a node in dir (created if missing; it must not hold a node
** already): database, key, identity. DIB_EEXIST, DIB_EINVAL (nation,
** name), DIB_EIO.
*/
int node_init(const char *dir, const char *nation, const char *name,
    struct dib_diag *d);

/* Open the node in dir. Free with node_close(). */
int node_open(const char *dir, struct node **out, struct dib_diag *d);

/* Close and wipe the key. Accepts NULL. */
void node_close(struct node *n);

/* What node_backup copied. */
struct node_backup_report {
	int64_t bytes;                  /* of the database copy */
	int64_t records;                /* entries in it */
	int files;                      /* other files copied */
};

/*
** A consistent copy of the node in out_dir (created; it must not exist
** or be empty), while it may be serving: the database as of one moment
** (SQLite's online backup, in one read transaction), node.key (mode 0600:
** the copy is as secret as the node), and node.cert, model.json and
** reference/ when present. The text index is left out: the copy rebuilds
** it when it first opens. The copy is checked (PRAGMA quick_check) before
** this returns. out_dir is then a node directory: diboli serve --dir
** out_dir restores it.
*/
int node_backup(struct node *n, const char *out_dir,
    struct node_backup_report *rep, struct dib_diag *d);

/*
** The text index. node_text_defer: from now on leave what commits add to
** node_text_take (on the writing thread), which gives it, in commit
** order, to index with node_text_index (on one other thread at a time).
** Without that, node_open and each commit keep the index up to date.
*/
void node_text_defer(struct node *n);
struct store_item *node_text_take(struct node *n, size_t *count);
int node_text_index(struct node *n, const struct store_item *v,
    size_t count, struct dib_diag *d);

struct node_counts {
	int64_t origins;        /* nodes whose logs are held, self included */
	int64_t logs;
	int64_t blocks;
	int64_t records;        /* every version ever appended or received */
	int64_t current;        /* live records in the projection */
	int64_t superseded;
	int64_t retracted;
};

int node_counts(struct node *n, struct node_counts *c);

/*
** Validate and append records given as JSON input (see record.h), all in
** one transaction and one block per audience: all or none. Errors name
** the record by index ("records[3].attributes.ph") when count > 1. The
** audience must include the node's nation. ids (count entries) receives
** the new ids.
*/
int node_add(struct node *n, json_t *const *in, size_t count,
    uint8_t (*ids)[16], struct dib_diag *d);

/*
** The same from JSON texts, one record each (NDJSON lines, device
** submissions): each is parsed strictly, checked and released in turn.
*/
int node_add_texts(struct node *n, const char *const *texts,
    const size_t *lens, size_t count, uint8_t (*ids)[16],
    struct dib_diag *d);

/*
** Validate and encode one record input for this node into r (release
** with record_clear), without touching the database: safe to call from
** several threads at once, while one writer calls node_append.
*/
int node_prepare(struct node *n, const json_t *in, struct record *r,
    struct dib_diag *d);

/*
** Is category one a domain writes? 2: a decision (approvals, section
** status, alerts), 1: other domain records (patrol plans, units, legs, tracks),
** 0: no. node_prepare and node_supersede refuse both (DIB_EPERM: their
** rules live in their domain); node_retract refuses decisions (a plan
** may be withdrawn, which withdraws its patrol).
*/
int node_domain_owned(const struct node *n, const char *category);

/* Append records already encoded by node_prepare or record_from_json, as
** one transaction (one block per audience). Only one writer at a time. */
int node_append(struct node *n, struct record *recs, size_t count,
    struct dib_diag *d);

/*
** node_append with the blocks and records hashes already computed by
** log_prepare(recs, count, p) on another thread: the writer then only
** signs and stores.
*/
int node_append_prepared(struct node *n, struct record *recs, size_t count,
    const struct log_prep *p, struct dib_diag *d);

/*
** A new version of a current record of this node. in holds the new
** record (as for node_add); its audience may widen, never narrow (a
** release cannot be recalled). DIB_ENOTFOUND, DIB_EPERM (not ours),
** DIB_ECONFLICT (already superseded or retracted).
*/
int node_supersede(struct node *n, const uint8_t old[16], const json_t *in,
    uint8_t id[16], struct dib_diag *d);

/* Withdraw a current record of this node, with a reason. */
int node_retract(struct node *n, const uint8_t old[16], const char *reason,
    uint8_t id[16], struct dib_diag *d);

/*
** The record id as JSON (new reference in *out): its stored fields plus
** "audience", "origin" {node, nation, name}, "seq", "status" (current,
** superseded, retracted), "superseded_by" / "retracted_by" and "reason",
** "supersedes" chain as stored, and "mgrs" for a point. DIB_ENOTFOUND.
*/
int node_get(struct node *n, const uint8_t id[16], json_t **out,
    struct dib_diag *d);

/* The stored JSON of record (log, seq) with the same additions. */
json_t *node_record_json(struct node *n, int64_t log, int64_t seq,
    const char *status);

/* The audience and origin of the logs met while writing features. */
#define NODE_LOGCACHE 64
struct node_logcache {
	int64_t log[NODE_LOGCACHE];
	char *text[NODE_LOGCACHE];      /* ',"audience":[...],"origin":{...}' */
	size_t n;
};

/*
** Append record (log, seq) to b as a GeoJSON Feature, spliced from the
** stored bytes without re-encoding them: the geometry moves out, the
** log's audience and origin, seq, status and MGRS go into the
** properties. lc caches what is per log (start it zeroed; release it with
** node_logcache_clear). 0, or -1 if the record is missing or b is full.
*/
int node_feature(struct node *n, int64_t log, int64_t seq,
    const char *status, struct node_logcache *lc, struct buf *b);
void node_logcache_clear(struct node_logcache *lc);

/* "ML,SN": the audience of a record as node_record_json gives it. */
char *node_audience_text(const json_t *rec, char *out, size_t n);

/* The header line of CSV exports, with its newline. */
extern const char node_csv_header[];

/* Append to b one CSV row (with its newline) of a record as
** node_record_json gives it. 0, or -1 past b's cap. */
int node_csv_row(const json_t *rec, struct buf *b);

#endif
