/*
** Fuzz target: GPX files as GPS units, phones and strangers send them
** (streaming expat parse with its limits), then what the node does with
** a parsed track: clean, encode and decode, write GPX and GeoJSON, read
** the GPX written back. None may crash, leak or lose points.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "track/track.h"
#include "track/track_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct track_gpx_opts o = {0};
	struct track_gpx g, back;
	struct track_report rep;
	struct track_stats st;
	struct dib_diag d;
	struct buf b;
	struct track_point *pts = NULL;
	size_t n = 0, k, *keep;
	double v;
	int64_t ms;

	track_parse_number((const char *)data, size, &v);
	track_parse_time((const char *)data, size, &ms);
	o.max_points = 20000;
	o.max_bytes = 1 << 20;
	if (track_gpx_parse_mem(data, size, &o, &g, &d) != DIB_OK) {
		/* A failed parse leaves nothing to free. */
		if (g.trk.pts != NULL || g.rte.pts != NULL || g.wpt.pts != NULL)
			abort();
		return 0;
	}
	if (track_clean(&g.trk, NULL, &rep, &d) != DIB_OK)
		abort();        /* the parser range-checked every point */
	if (rep.n_out + rep.duplicates + rep.spikes != rep.n_in)
		abort();
	track_stats(&g.trk, NULL, &st);
	buf_init(&b, 8 << 20);
	for (k = 0; k < g.trk.nseg; k++) {
		size_t sn;
		const struct track_point *sp = track_seg_points(&g.trk, k, &sn);

		buf_reset(&b);
		if (track_encode(sp, sn, &b, &d) != DIB_OK)
			abort();
		if (track_decode(b.p, b.len, &pts, &n, 0, &d) != DIB_OK ||
		    n != sn)
			abort();
		free(pts);
		keep = malloc((sn ? sn : 1) * sizeof *keep);
		if (keep == NULL || track_simplify(sp, sn, 5, keep, &n) !=
		    DIB_OK || (sn > 0 && n < (sn > 1 ? 2 : 1)))
			abort();
		free(keep);
	}
	buf_reset(&b);
	if (track_gpx_write(&b, &g.trk, NULL, 1740038400000LL) != DIB_OK)
		abort();
	if (track_gpx_parse_mem(b.p, b.len, NULL, &back, &d) != DIB_OK ||
	    back.trk.n != g.trk.n)
		abort();
	track_gpx_free(&back);
	buf_reset(&b);
	if (track_geojson_write(&b, &g.trk, NULL, &st) != DIB_OK)
		abort();
	if (g.rte.n > 0 && g.trk.n > 0) {
		struct track_deviation dv;

		track_deviation(&g.trk, g.rte.pts, g.rte.n, 0, &dv, &d);
	}
	buf_free(&b);
	track_gpx_free(&g);
	return 0;
}
