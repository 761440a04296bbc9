/*
** Lookup of the data files embedded at build time.
*/
#include "util/embed.h"

#include <string.h>

const struct dib_embedded *
dib_embed_find(const char *name)
{
	const struct dib_embedded *e;

	for (e = dib_embedded; e->name != NULL; e++)
		if (strcmp(e->name, name) == 0)
			return e;
	return NULL;
}
