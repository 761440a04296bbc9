/*
** Fuzz target: a patrol track sent as GeoJSON (POST /api/v1/patrols/{id}/
** track): LineString, MultiLineString, Feature or FeatureCollection with
** properties.coordTimes. Anything must give a track within bounds or a
** clear error, never a crash or a leak.
*/
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "patrol/patrol.h"
#include "track/track.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dib_diag d;
	struct track tr;
	json_t *j;
	size_t i;

	j = json_loadb((const char *)data, size, 0, NULL);
	if (j == NULL)
		return 0;
	track_init(&tr, 0);
	if (patrol_track_from_geojson(j, &tr, 5000, &d) == 0) {
		if (tr.n > 5000)
			abort();
		for (i = 0; i < tr.n; i++)
			if (tr.pts[i].lon < -180 || tr.pts[i].lon > 180 ||
			    tr.pts[i].lat < -90 || tr.pts[i].lat > 90)
				abort();
	} else if (d.msg[0] == '\0') {
		abort();        /* every refusal says why */
	}
	track_free(&tr);
	json_decref(j);
	return 0;
}
