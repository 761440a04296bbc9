/*
** A bump allocator: many small allocations, released all at once. For the
** JSON trees of one request, whose nodes malloc would otherwise hand out
** and take back one by one.
*/
#ifndef DIB_ARENA_H
#define DIB_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head;       /* newest chunk first */
	char *p;                        /* next free byte in head */
	char *end;                      /* one past head's last byte */
};

/* An empty arena (no memory yet). */
void arena_init(struct arena *a);

/*
** n bytes aligned for any type, valid until arena_reset or arena_free;
** NULL when out of memory. Never free them one by one.
*/
void *arena_alloc(struct arena *a, size_t n);

/* Does p point into memory of a? */
int arena_owns(const struct arena *a, const void *p);

/* Release every allocation; keep the first chunk for the next use. */
void arena_reset(struct arena *a);

/* Release everything; a is empty again. */
void arena_free(struct arena *a);

#endif
