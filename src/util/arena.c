/*
** A bump allocator over a list of chunks that double in size, so that a
** tree of n nodes costs O(log n) calls to malloc.
*/
#include "util/arena.h"

#include <stdint.h>
#include <stdlib.h>

#define ALIGN 16
#define FIRST_CHUNK ((size_t)64 * 1024)

struct arena_chunk {
	struct arena_chunk *next;       /* older chunk */
	size_t size;                    /* bytes of data */
	_Alignas(ALIGN) char data[];
};

void
arena_init(struct arena *a)
{
	a->head = NULL;
	a->p = a->end = NULL;
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk *c;
	size_t size;
	void *r;

	n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (n == 0)
		n = ALIGN;
	if (a->head != NULL && (size_t)(a->end - a->p) >= n) {
		r = a->p;
		a->p += n;
		return r;
	}
	size = a->head != NULL ? a->head->size * 2 : FIRST_CHUNK;
	while (size < n)
		size *= 2;
	if (size < n || (c = malloc(sizeof *c + size)) == NULL)
		return NULL;
	c->size = size;
	c->next = a->head;
	a->head = c;
	a->p = c->data + n;
	a->end = c->data + size;
	return c->data;
}

int
arena_owns(const struct arena *a, const void *p)
{
	const struct arena_chunk *c;
	uintptr_t u = (uintptr_t)p;

	for (c = a->head; c != NULL; c = c->next)
		if (u >= (uintptr_t)c->data && u < (uintptr_t)c->data + c->size)
			return 1;
	return 0;
}

void
arena_reset(struct arena *a)
{
	struct arena_chunk *c = a->head, *next;

	if (c == NULL)
		return;
	/* The oldest chunk is the smallest: keep it, idle memory stays low. */
	while (c->next != NULL) {
		next = c->next;
		free(c);
		c = next;
	}
	a->head = c;
	a->p = c->data;
	a->end = c->data + c->size;
}

void
arena_free(struct arena *a)
{
	struct arena_chunk *c = a->head, *next;

	while (c != NULL) {
		next = c->next;
		free(c);
		c = next;
	}
	arena_init(a);
}
