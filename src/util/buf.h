/*
** A growable byte buffer with a hard cap (curl's dynbuf): appends past the
** cap fail instead of growing without bound.
*/
#ifndef DIB_BUF_H
#define DIB_BUF_H

#include <stddef.h>
#include <string.h>

struct buf {
	char *p;        /* bytes, NUL-terminated when len < cap */
	size_t len;     /* bytes used */
	size_t cap;     /* bytes allocated */
	size_t max;     /* hard cap on len */
	int oom;        /* set once an append failed; later appends fail */
};

/* Start empty with a cap of max bytes. Never fails. */
void buf_init(struct buf *b, size_t max);

/* Release the bytes; b may be reused after buf_init. Accepts NULL. */
void buf_free(struct buf *b);

/* Forget the content, keep the allocation. */
void buf_reset(struct buf *b);

/* Append; 0 on success, -1 past the cap or out of memory. */
int buf_add_grow(struct buf *b, const void *p, size_t n);
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Append s as a JSON string literal with its quotes. */
int buf_add_json_string(struct buf *b, const char *s);

/* Take the bytes (caller frees with free()); b is left empty. */
char *buf_detach(struct buf *b, size_t *len);

/*
** A copy of the bytes, NUL-terminated, in an allocation of their size
** (caller frees with free()); b keeps them. NULL when out of memory.
*/
char *buf_copy(const struct buf *b);

/* Make room for n more bytes at once: 0, or -1 past the cap or OOM. */
int buf_reserve(struct buf *b, size_t n);

/*
** The appends run for every byte the encoders write: inline while the
** allocation has room (oom leaves cap at 0 or the room unused: an oom
** buffer never has room for more), out of line to grow.
*/
static inline int
buf_add(struct buf *b, const void *p, size_t n)
{
	if (n < b->cap - b->len && b->len + n <= b->max && !b->oom) {
		if (n)
			memcpy(b->p + b->len, p, n);
		b->len += n;
		b->p[b->len] = '\0';
		return 0;
	}
	return buf_add_grow(b, p, n);
}

static inline int
buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

static inline int
buf_addc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

#endif
