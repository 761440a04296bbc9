/*
** The audit trail: who did what, when, from where, with what result. An
** append-only table whose rows are hash-chained, so that an edit, a
** deletion or a reordering in the database file is found by audit_verify.
*/
#ifndef DIB_AUDIT_H
#define DIB_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "store/store.h"
#include "util/err.h"

#define AUDIT_FIELD_MAX 200     /* bytes of actor, addr, action, target */
#define AUDIT_DETAIL_MAX 2000   /* bytes of detail */
#define AUDIT_LIST_DEFAULT 100  /* rows of audit_list without a limit */
#define AUDIT_LIST_MAX 10000

/*
** The audit table and the triggers that refuse UPDATE, DELETE and an
** INSERT that would not append (CREATE ... IF NOT EXISTS: cheap and
** idempotent; node_init and node_open call it).
*/
int audit_schema(struct store *s, struct dib_diag *d);

/*
** Append one event, inside the caller's transaction if any (a savepoint),
** else in its own. now: ms. actor ("cli:awa", "user:alice"), action
** ("user.add") and result ("ok", "denied", "failed", "error") are
** required; addr, target and detail may be NULL. Every text must be
** valid UTF-8 without control characters (tab and newline are allowed
** in detail), at most AUDIT_FIELD_MAX bytes (detail AUDIT_DETAIL_MAX).
** Never pass a password or a token. DIB_EINVAL naming the field.
** Row hash = BLAKE2b-256(prev hash || seq (8 bytes, big-endian) || at
** (8) || for actor, addr, action, target, result, detail: length (4,
** big-endian) and bytes); the first row's prev is 32 zero bytes.
*/
int audit_append(struct store *s, int64_t now, const char *actor,
    const char *addr, const char *action, const char *target,
    const char *result, const char *detail, struct dib_diag *d);

/*
** Copy in (NULL gives "") into out (n bytes) so that audit_append takes
** it: invalid UTF-8 and control characters become '?', and the text is
** cut on a character boundary to fit n - 1 bytes. out may be in (to
** clip in place). Returns out.
*/
char *audit_clip(char *out, size_t n, const char *in);

struct audit_report {
	int64_t rows;           /* rows checked */
	uint8_t head[32];       /* hash of the last row (zeros if none) */
};

/*
** Recompute the chain, oldest first. DIB_ETAMPER naming the first bad
** row: "audit row 17: hash does not match its content" or "audit row 17:
** chain broken (rows missing or reordered)". rep is filled (rows checked
** so far) on every path. Rows cut from the end leave no trace in the
** chain: compare the head with one written down earlier.
*/
int audit_verify(struct store *s, struct audit_report *rep,
    struct dib_diag *d);

struct audit_query {
	int64_t from, to;       /* ms, inclusive, if has_from / has_to */
	int has_from, has_to;
	const char *actor;      /* exact match, or NULL */
	const char *action;     /* exact match, or NULL */
	int64_t after_seq;      /* > 0: rows after it, oldest first */
	size_t limit;           /* 0: AUDIT_LIST_DEFAULT */
};

/*
** Rows matching q, newest first (or, with after_seq, those after it in
** ascending order, for paging forward), each a JSON object {seq, at (RFC
** 3339), actor, addr, action, target, result, detail}. *out is a new
** array that the caller releases with json_decref(). DIB_EINVAL (limit
** over AUDIT_LIST_MAX).
*/
int audit_list(struct store *s, const struct audit_query *q, json_t **out,
    struct dib_diag *d);

#endif
