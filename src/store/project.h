/*
** The projector: stores records with their projection columns and keeps
** the current state (entries.state, rec_box, rec_link) in step with the
** logs.
*/
#ifndef DIB_PROJECT_H
#define DIB_PROJECT_H

#include <stdint.h>

#include "store/store.h"

struct record;

/*
** Store record r (its bytes and projection) at (log, seq) and apply it to
** the current state. Call inside the transaction that stores its block. A supersession or retraction by a node
** other than the target's origin is ignored (the record itself is kept).
** fresh: r was just created here with a new id, so nothing can have
** replaced it yet (saves a lookup on the ingest path). r's words
** (r->text) move to the text index's pending list: r->text is NULL after
** success.
*/
int store_project(struct store *s, int64_t log, int64_t seq,
    struct record *r, int fresh, struct dib_diag *d);

#endif
