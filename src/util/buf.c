/*
** Growable, capped byte buffers.
*/
#include "util/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/swar.h"

void
buf_init(struct buf *b, size_t max)
{
	memset(b, 0, sizeof *b);
	b->max = max;
}

void
buf_free(struct buf *b)
{
	if (b == NULL)
		return;
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->oom = 0;
	if (b->p)
		b->p[0] = '\0';
}

static int
grow(struct buf *b, size_t need)
{
	size_t cap;
	char *np;

	if (b->oom)
		return -1;
	if (need > b->max || b->len + need > b->max) {
		b->oom = 1;
		return -1;
	}
	if (b->len + need + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 1024;
	while (cap < b->len + need + 1)
		cap *= 2;
	if ((np = realloc(b->p, cap)) == NULL) {
		b->oom = 1;
		return -1;
	}
	b->p = np;
	b->cap = cap;
	return 0;
}

int
buf_add_grow(struct buf *b, const void *p, size_t n)
{
	if (grow(b, n) != 0)
		return -1;
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || grow(b, (size_t)n) != 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int
buf_add_json_string(struct buf *b, const char *s)
{
	static const char hx[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t run = 0, left = strlen(s);

	if (buf_addc(b, '"') != 0)
		return -1;
	for (; run < left; ) {
		unsigned char c;
		char esc[7];

		/* Plain bytes eight at a time (non-ASCII stops it: those
		 * bytes are plain too, and taken one by one). */
		if ((run += swar_plain_run(p + run, left - run)) == left)
			break;
		c = p[run];
		if (c >= 0x20 && c != '"' && c != '\\') {
			run++;
			continue;
		}
		if (buf_add(b, p, run) != 0)
			return -1;
		p += run + 1;
		left -= run + 1;
		run = 0;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\t': esc[1] = 't'; break;
		case '\r': esc[1] = 'r'; break;
		default:
			esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
			esc[4] = hx[c >> 4]; esc[5] = hx[c & 15];
			if (buf_add(b, esc, 6) != 0)
				return -1;
			continue;
		}
		if (buf_add(b, esc, 2) != 0)
			return -1;
	}
	if (buf_add(b, p, run) != 0)
		return -1;
	return buf_addc(b, '"');
}

char *
buf_detach(struct buf *b, size_t *len)
{
	char *p = b->p;

	if (p == NULL)
		p = calloc(1, 1);
	if (len)
		*len = b->len;
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

char *
buf_copy(const struct buf *b)
{
	char *p = malloc(b->len + 1);

	if (p == NULL)
		return NULL;
	if (b->len)
		memcpy(p, b->p, b->len);
	p[b->len] = '\0';
	return p;
}

int
buf_reserve(struct buf *b, size_t n)
{
	return grow(b, n);
}
