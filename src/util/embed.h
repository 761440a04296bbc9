/*
** Data files of data/ carried inside the binary (see cmake/embed.cmake).
*/
#ifndef DIB_EMBED_H
#define DIB_EMBED_H

#include <stddef.h>

struct dib_embedded {
	const char *name;               /* file name, e.g. "model.json" */
	const unsigned char *data;      /* its bytes, NUL-terminated */
	size_t len;                     /* length without the NUL */
};

extern const struct dib_embedded dib_embedded[];

/* The embedded file called name, or NULL. Static storage: never freed. */
const struct dib_embedded *dib_embed_find(const char *name);

#endif
