/*
** Checks of latitude and longitude, the UTM text form and geodesic
** lengths on WGS84 (PROJ's implementation of Karney's algorithms).
*/
#include <geodesic.h>
#include <math.h>
#include <stdio.h>

#include "geo/geo.h"

int
geo_check_latlon(double lat, double lon, struct dib_diag *d)
{
	if (isnan(lat))
		return dib_fail(d, DIB_EINVAL, "lat", "must be a number");
	if (isnan(lon))
		return dib_fail(d, DIB_EINVAL, "lon", "must be a number");
	if (!(lat >= -90 && lat <= 90))
		return dib_fail(d, DIB_EINVAL, "lat",
		    "must be in [-90, 90], got %g", lat);
	if (!(lon >= -180 && lon <= 180))
		return dib_fail(d, DIB_EINVAL, "lon",
		    "must be in [-180, 180], got %g", lon);
	return DIB_OK;
}

int
geo_utm_format(double lat, double lon, char *out, size_t n,
    struct dib_diag *d)
{
	double e, nn;
	int zone, north, rc;

	if (out != NULL && n > 0)
		out[0] = '\0';
	if (out == NULL || n < GEO_UTM_LEN)
		return dib_fail(d, DIB_EINVAL, "", "UTM buffer too small");
	if ((rc = geo_utm_from_latlon(lat, lon, &zone, &north, &e, &nn,
	    d)) != DIB_OK)
		return rc;
	snprintf(out, n, "%02d%c %.0f %.0f", zone, north ? 'N' : 'S', e,
	    nn);
	return DIB_OK;
}

/* WGS84 for PROJ's geodesic routines; cheap enough to set up per call. */
static void
wgs84(struct geod_geodesic *g)
{
	geod_init(g, 6378137, 1 / 298.257223563);
}

double
geo_distance_m(double lat1, double lon1, double lat2, double lon2)
{
	struct geod_geodesic g;
	double s12 = NAN, azi1, azi2;

	wgs84(&g);
	geod_inverse(&g, lat1, lon1, lat2, lon2, &s12, &azi1, &azi2);
	return s12;
}

double
geo_length_m(const double *lonlat, size_t npts)
{
	struct geod_geodesic g;
	double sum = 0, s12, azi1, azi2;
	size_t i;

	if (lonlat == NULL || npts < 2)
		return 0;
	wgs84(&g);
	for (i = 1; i < npts; i++) {
		geod_inverse(&g, lonlat[2 * i - 1], lonlat[2 * i - 2],
		    lonlat[2 * i + 1], lonlat[2 * i], &s12, &azi1, &azi2);
		sum += s12;
	}
	return sum;
}

#define WGS_A 6378137.0
#define WGS_E2 (1 / 298.257223563 * (2 - 1 / 298.257223563))
#define RAD (M_PI / 180)

/* Longest step the local approximation measures (m). */
#define STEP_LOCAL_MAX_M 5000.0

double
geo_wrap_dlon(double dlon)
{
	if (dlon > 180)
		dlon -= 360;
	else if (dlon < -180)
		dlon += 360;
	return dlon;
}

void
geo_scales(double lat, double *kx, double *ky)
{
	double s = sin(lat * RAD), c = cos(lat * RAD);
	double w2 = 1 - WGS_E2 * s * s, w = sqrt(w2);

	*kx = WGS_A / w * c * RAD;
	*ky = WGS_A * (1 - WGS_E2) / (w2 * w) * RAD;
}

/* The relative error of the tangent plane is ~(s/R)^2: below 1e-6 up to
** STEP_LOCAL_MAX_M. */
double
geo_step_m(double lat1, double lon1, double lat2, double lon2)
{
	double kx, ky, dx, dy, s, mid = (lat1 + lat2) / 2;

	if (fabs(mid) > 80)
		return geo_distance_m(lat1, lon1, lat2, lon2);
	geo_scales(mid, &kx, &ky);
	dx = geo_wrap_dlon(lon2 - lon1) * kx;
	dy = (lat2 - lat1) * ky;
	s = sqrt(dx * dx + dy * dy);
	return s <= STEP_LOCAL_MAX_M ? s : geo_distance_m(lat1, lon1, lat2,
	    lon2);
}
