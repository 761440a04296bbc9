/*
** Fuzz target of the coordinate parser: any bytes must give either a valid
** position or DIB_EINVAL with a message, and a parsed position must come
** back from its own MGRS and UTM text.
*/
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* text must parse back to within tol metres of lat, lon. */
static void
round_trip(double lat, double lon, const char *text, double tol)
{
	struct dib_diag d = {0};
	double lat2, lon2;

	if (geo_parse(text, &lat2, &lon2, &d) != DIB_OK)
		abort();
	if (!(geo_distance_m(lat, lon, lat2, lon2) < tol))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The input is not NUL-terminated: copy it to a bounded buffer. */
	char buf[GEO_PARSE_MAX + 64], out[GEO_UTM_LEN];
	struct dib_diag d = {0};
	double lat, lon;
	size_t n = size < sizeof buf - 1 ? size : sizeof buf - 1;
	int rc;

	memcpy(buf, data, n);
	buf[n] = '\0';
	rc = geo_parse(buf, &lat, &lon, &d);
	if (rc != DIB_OK) {
		if (rc != DIB_EINVAL || d.msg[0] == '\0' ||
		    !isnan(lat) || !isnan(lon))
			abort();
	} else {
		if (geo_check_latlon(lat, lon, NULL) != DIB_OK)
			abort();
		if (lat >= -80 && lat < 84) {
			if (geo_mgrs_format(lat, lon, 5, out, sizeof out,
			    &d) != DIB_OK)
				abort();
			round_trip(lat, lon, out, 1.5);
			if (geo_utm_format(lat, lon, out, sizeof out,
			    &d) != DIB_OK)
				abort();
			round_trip(lat, lon, out, 1.5);
		}
	}
	rc = geo_mgrs_parse(buf, &lat, &lon, &d);
	if (rc != DIB_OK && (rc != DIB_EINVAL || d.msg[0] == '\0'))
		abort();
	return 0;
}
