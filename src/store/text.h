/*
** The text index: the words of records' text attributes, for q=, in a
** SQLite file of its own beside the node's database (STORE_TEXT_DB), so
** that a second writer fills it while the node's writer goes on with the
** next records. It is derived data: it says which entries it covers, and
** what it lacks (a crash between the two commits, a database of version
** 2, a deleted file) is rebuilt from the records when the node opens.
*/
#ifndef DIB_STORE_TEXT_H
#define DIB_STORE_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct store_text;

/*
** Open the index at path for writing, created if missing. owner names
** the node (its id): an index made for another node is emptied. A file
** that is not a readable SQLite database is DIB_ETAMPER.
*/
int store_text_open(const char *path, const char *owner,
    struct store_text **out, struct dib_diag *d);

/* Close. Accepts NULL. */
void store_text_close(struct store_text *t);

/*
** Index the words of what one commit of the node added (v: every entry
** it added, words or not) and note those entries as covered, in one
** transaction.
*/
int store_text_add(struct store_text *t, const struct store_item *v,
    size_t n, struct dib_diag *d);

/*
** Index every entry of s (the node's database) not covered yet, reading
** the records back; *added: how many entries that was.
*/
int store_text_catch_up(struct store_text *t, struct store *s,
    int64_t *added, struct dib_diag *d);

/*
** The keys (entries.k) whose words match the FTS5 expression match, in
** *keys (sorted, caller frees) and *n, read through s's own connection
** to the index beside its database.
*/
int store_text_search(struct store *s, const char *match, int64_t **keys,
    size_t *n, struct dib_diag *d);

#endif
