/*
** Coordinates on WGS84: parsing of the notations people write (decimal
** degrees, DMS, UTM, MGRS), UTM and MGRS conversion, geodesic lengths.
*/
#ifndef DIB_GEO_H
#define DIB_GEO_H

#include <stddef.h>

#include "util/err.h"

/* Longest input geo_parse() accepts, in bytes. */
#define GEO_PARSE_MAX 256

/* Room for any MGRS text ("28PBB3648725798") and its NUL. */
#define GEO_MGRS_LEN 16

/* Room for any UTM text ("28N 236487 1625799") and its NUL. */
#define GEO_UTM_LEN 32

/*
** Parse one coordinate in any supported notation: "14.467 -12.217",
** "14.467N 12.217W", 14°28'12.5"N 12°13'1"W, "28N 800025 1601197",
** "28PBB3648725798". Sets *lat, *lon (WGS84 degrees; NaN on failure).
** DIB_EINVAL with field "coordinates" (or "lat"/"lon" when a value is
** out of range) and a message naming the problem.
*/
int geo_parse(const char *s, double *lat, double *lon, struct dib_diag *d);

/*
** Parse an MGRS reference ("28PBB3648725798", "28P BB 36487 25798") with
** 0 to 5 digits per coordinate. The position is the centre of the square
** the reference names, as GeographicLib's GeoConvert returns it. NaN and
** DIB_EINVAL (field "coordinates") for a bad reference, a polar (UPS) one
** or a 100 km square outside its latitude band.
*/
int geo_mgrs_parse(const char *s, double *lat, double *lon,
    struct dib_diag *d);

/*
** 0 when lat is in [-90, 90] and lon in [-180, 180], else DIB_EINVAL with
** field "lat" or "lon" (NaN included).
*/
int geo_check_latlon(double lat, double lon, struct dib_diag *d);

/*
** The UTM zone of a point (1 to 60): floor((lon + 180) / 6) + 1, the
** eastern zone on a boundary, with the Norway and Svalbard exceptions.
** The point must be valid (see geo_check_latlon).
*/
int geo_utm_zone(double lat, double lon);

/*
** UTM forward on WGS84 in the standard zone. Latitude must be in
** [-80, 84) (polar UPS is not supported). *north is 1 in the northern
** hemisphere (lat >= 0). Out-parameters are 0 on failure.
*/
int geo_utm_from_latlon(double lat, double lon, int *zone, int *north,
    double *easting, double *northing, struct dib_diag *d);

/*
** UTM inverse on WGS84. zone 1..60; easting in [0, 1000000] m; northing
** in [-9100000, 9600000] m in the north and [900000, 19600000] m in the
** south. *lat, *lon are NaN on failure.
*/
int geo_latlon_from_utm(int zone, int north, double easting,
    double northing, double *lat, double *lon, struct dib_diag *d);

/*
** MGRS text with digits (0..5) per coordinate, no spaces:
** "28PBB3648725798". Digits are truncated, as GeographicLib does.
** Latitude must be in [-80, 84). out needs GEO_MGRS_LEN bytes; it is ""
** on failure.
*/
int geo_mgrs_format(double lat, double lon, int digits, char *out,
    size_t n, struct dib_diag *d);

/*
** "28N 236487 1625799": zone (two digits), hemisphere, easting and
** northing rounded to the metre. out needs GEO_UTM_LEN bytes.
*/
int geo_utm_format(double lat, double lon, char *out, size_t n,
    struct dib_diag *d);

/*
** Transverse Mercator of UTM (scale 0.9996 on the central meridian) without
** the false easting and northing: x east of the meridian, y from the
** equator, in metres; dlon is the longitude from the central meridian.
** Krüger's series to sixth order in n (Karney 2011), accurate to a few
** nanometres within 4000 km of the meridian.
*/
void geo_tm_forward(double lat, double dlon, double *x, double *y);
void geo_tm_inverse(double x, double y, double *lat, double *dlon);

/*
** Geodesic distance in metres on WGS84 (PROJ's geod_inverse). The points
** must be valid (geo_check_latlon); NaN in gives NaN out.
*/
double geo_distance_m(double lat1, double lon1, double lat2, double lon2);

/*
** Geodesic length in metres of a polyline of npts points given as
** lon, lat pairs (GeoJSON order). 0 for fewer than two points.
*/
double geo_length_m(const double *lonlat, size_t npts);

/* A longitude difference wrapped into [-180, 180]. */
double geo_wrap_dlon(double dlon);

/*
** Metres per degree at latitude lat on WGS84: of longitude (*kx, the
** prime vertical radius times cos(lat)) and of latitude (*ky, the
** meridian radius).
*/
void geo_scales(double lat, double *kx, double *ky);

/*
** Fast geodesic distance in metres on WGS84, for the steps of a track:
** up to 5 km, a straight line in the plane tangent at the mid-latitude
** scaled by the radii of curvature there (relative error below 1e-6);
** longer steps, or beyond 80 degrees of latitude, geo_distance_m.
*/
double geo_step_m(double lat1, double lon1, double lat2, double lon2);

#endif
