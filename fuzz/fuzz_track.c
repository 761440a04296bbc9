/*
** Fuzz target: the compact track text of a record, as a partner node
** sends it. Decoding must never read out of bounds or over-allocate, and
** what it accepts must encode and decode back to the same points.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "track/track.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct track_point *pts = NULL, *again = NULL;
	struct dib_diag d;
	struct buf b;
	size_t n = 0, m = 0, i;

	if (track_decode((const char *)data, size, &pts, &n, 100000, &d) !=
	    DIB_OK) {
		if (pts != NULL || n != 0)
			abort();
		return 0;
	}
	buf_init(&b, 16 << 20);
	if (track_encode(pts, n, &b, &d) != DIB_OK ||
	    track_decode(b.p, b.len, &again, &m, 100000, &d) != DIB_OK ||
	    m != n)
		abort();
	for (i = 0; i < n; i++)
		if (pts[i].lat != again[i].lat || pts[i].lon != again[i].lon ||
		    pts[i].t != again[i].t || pts[i].has_ele !=
		    again[i].has_ele || pts[i].ele != again[i].ele)
			abort();
	/* A canonical text is its own re-encoding, except for the choice
	** of time unit and bitmaps the encoder makes itself. */
	if (b.len > size)
		abort();
	free(again);
	free(pts);
	buf_free(&b);
	return 0;
}
