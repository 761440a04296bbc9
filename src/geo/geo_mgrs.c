/*
** MGRS (Military Grid Reference System) on top of UTM: latitude bands,
** 100 km squares and truncated digits, following GeographicLib's MGRS.
*/
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "geo/geo.h"

#define TILE 100000.0

/* Bands from 80°S in 8° steps; X spans 72° to 84°. */
static const char bands[] = "CDEFGHJKLMNPQRSTUVWX";
/* 100 km column letters by (zone - 1) % 3. */
static const char *const cols[3] = {"ABCDEFGH", "JKLMNPQR", "STUVWXYZ"};
/* 100 km row letters, shifted by 5 in even zones. */
static const char rows[] = "ABCDEFGHJKLMNPQRSTUV";

/* Index of c in set, or -1. */
static int
lookup(const char *set, char c)
{
	const char *p = c != '\0' ? strchr(set, c) : NULL;

	return p != NULL ? (int)(p - set) : -1;
}

/* Latitude band index of a latitude in [-80, 84]: 0 (C) to 19 (X). */
static int
band_of(double lat)
{
	int b = ((int)floor(lat) + 80) / 8;

	return b < 0 ? 0 : b > 19 ? 19 : b;
}

/* Latitude at x east of the central meridian and y from the equator. */
static double
lat_at(double x, double y)
{
	double lat, dlon;

	geo_tm_inverse(x, y, &lat, &dlon);
	return lat;
}

/*
** Does the 100 km square of column col (1..8) and true row r (northing
** from the equator in 100 km, negative in the south) overlap latitudes
** (lat0, lat1)? In the north, latitude grows with northing and falls
** away from the central meridian, so the square's extremes are at its
** corners: lowest at the bottom far corner, highest at the top near one.
*/
static int
square_meets_band(int col, int r, double lat0, double lat1)
{
	double ua = fabs((col - 5) * TILE), ub = fabs((col - 4) * TILE);
	double near = fmin(ua, ub), far = fmax(ua, ub), t;

	if (r < 0) {
		/* Mirror the south onto the north. */
		r = -r - 1;
		t = lat0;
		lat0 = -lat1;
		lat1 = -t;
	}
	return lat_at(far, r * TILE) < lat1 &&
	    lat_at(near, (r + 1) * TILE) > lat0;
}

/*
** The true row (-90..94) of row letter index irow (shift removed) in
** column col that lies in band b, or -100 if there is none. Bands C and
** X reach to the rows that MGRS allows (northings from 1000 km south
** to 9500 km north), which overlap the polar grids.
*/
static int
band_row(int b, int col, int irow)
{
	double lat0 = b == 0 ? -90 : -80 + 8 * b;
	double lat1 = b == 19 ? 90 : -72 + 8 * b;
	int r;

	for (r = b >= 10 ? irow : irow - 100; r <= 94; r += 20) {
		if (r < -90 || (b >= 10) != (r >= 0))
			continue;
		if (square_meets_band(col, r, lat0, lat1))
			return r;
	}
	return -100;
}

int
geo_mgrs_format(double lat, double lon, int digits, char *out, size_t n,
    struct dib_diag *d)
{
	const long long m = 100000000000LL;     /* 100 km in micrometres */
	double e, nn;
	long long ix, iy, div;
	int zone, north, col, row, rc, k;
	char num[12];

	if (out != NULL && n > 0)
		out[0] = '\0';
	if (out == NULL || n < GEO_MGRS_LEN)
		return dib_fail(d, DIB_EINVAL, "", "MGRS buffer too small");
	if (digits < 0 || digits > 5)
		return dib_fail(d, DIB_EINVAL, "digits",
		    "MGRS precision must be 0 to 5 digits, got %d", digits);
	if ((rc = geo_check_latlon(lat, lon, d)) != DIB_OK)
		return rc;
	if (!(lat >= -80 && lat < 84))
		return dib_fail(d, DIB_EINVAL, "lat", "MGRS covers latitudes "
		    "-80 to 84 (84 excluded; polar UPS is not supported), "
		    "got %g", lat);
	if ((rc = geo_utm_from_latlon(lat, lon, &zone, &north, &e, &nn,
	    d)) != DIB_OK)
		return rc;
	/* Truncate at the micrometre first, then work in integers. */
	ix = (long long)floor(e * 1e6);
	iy = (long long)floor(nn * 1e6);
	col = (int)(ix / m);
	row = (int)(iy / m);
	if (col < 1 || col > 8)
		return dib_fail(d, DIB_EINVAL, "lon", "easting %.0f m is "
		    "outside the MGRS columns of zone %d", e, zone);
	ix -= col * m;
	iy -= row * m;
	for (div = 1, k = digits; k < 11; k++)
		div *= 10;
	ix /= div;
	iy /= div;
	for (k = digits - 1; k >= 0; k--) {
		num[k] = (char)('0' + ix % 10);
		num[k + digits] = (char)('0' + iy % 10);
		ix /= 10;
		iy /= 10;
	}
	num[2 * digits] = '\0';
	snprintf(out, n, "%02d%c%c%c%s", zone, bands[band_of(lat)],
	    cols[(zone - 1) % 3][col - 1],
	    rows[(row + (zone % 2 == 0 ? 5 : 0)) % 20], num);
	return DIB_OK;
}

/*
** The band nearest to band b that the 100 km square col/irow meets (its
** letters repeat every 2000 km), or -1.
*/
static int
nearest_band(int b, int col, int irow)
{
	int k;

	for (k = 1; k < 20; k++) {
		if (b - k >= 0 && band_row(b - k, col, irow) != -100)
			return b - k;
		if (b + k < 20 && band_row(b + k, col, irow) != -100)
			return b + k;
	}
	return -1;
}

int
geo_mgrs_parse(const char *s, double *lat, double *lon, struct dib_diag *d)
{
	char buf[GEO_PARSE_MAX + 1], where[24];
	const char *p, *dig;
	double x, y, unit;
	size_t len = 0, ndig, k;
	int zone = 0, band, col, irow, r;
	long ex = 0, ey = 0;

	*lat = *lon = NAN;
	if (s == NULL)
		return dib_fail(d, DIB_EINVAL, "coordinates", "missing");
	/* Drop spaces and fold case: "28p bb 36487 25798". */
	for (p = s; *p != '\0'; p++) {
		if (*p == ' ' || *p == '\t')
			continue;
		if (len == GEO_PARSE_MAX)
			return dib_fail(d, DIB_EINVAL, "coordinates",
			    "too long for an MGRS reference");
		buf[len++] = (char)toupper((unsigned char)*p);
	}
	buf[len] = '\0';
	for (p = buf; isdigit((unsigned char)*p) && p - buf < 3; p++)
		zone = zone * 10 + (*p - '0');
	if (p == buf)
		return dib_fail(d, DIB_EINVAL, "coordinates",
		    "MGRS reference must start with a zone number 1 to 60");
	if (isdigit((unsigned char)*p) || zone < 1 || zone > 60)
		return dib_fail(d, DIB_EINVAL, "coordinates",
		    "MGRS zone must be 1 to 60, got %.*s",
		    (int)strspn(buf, "0123456789") > 8 ? 8 :
		    (int)strspn(buf, "0123456789"), buf);
	if (*p == '\0')
		return dib_fail(d, DIB_EINVAL, "coordinates",
		    "MGRS reference %d has no latitude band letter", zone);
	if (strchr("ABYZ", *p) != NULL)
		return dib_fail(d, DIB_EINVAL, "coordinates",
		    "MGRS band %c is a polar (UPS) band; polar grids are "
		    "not supported", *p);
	if ((band = lookup(bands, *p)) < 0)
		return dib_fail(d, DIB_EINVAL, "coordinates",
		    "MGRS latitude band must be a letter C to X without I "
		    "and O, got '%c'", isprint((unsigned char)*p) ? *p : '?');
	p++;
	snprintf(where, sizeof where, "%02d%c", zone, bands[band]);
	if (*p == '\0')
		return dib_fail(d, DIB_EINVAL, "coordinates",
		    "grid zone %s alone is not a position: add the two "
		    "100 km square letters and the digits", where);
	if (!isalpha((unsigned char)p[0]) || !isalpha((unsigned char)p[1]))
		return dib_fail(d, DIB_EINVAL, "coordinates",
		    "MGRS %s must be followed by two 100 km square letters",
		    where);
	if ((col = lookup(cols[(zone - 1) % 3], p[0])) < 0)
		return dib_fail(d, DIB_EINVAL, "coordinates",
		    "MGRS column letter %c is not used in zone %d (its "
		    "letters are %s)", p[0], zone, cols[(zone - 1) % 3]);
	if ((irow = lookup(rows, p[1])) < 0)
		return dib_fail(d, DIB_EINVAL, "coordinates",
		    "MGRS row letter must be A to V without I and O, got %c",
		    p[1]);
	col += 1;
	if (zone % 2 == 0)
		irow = (irow + 15) % 20;
	dig = p + 2;
	ndig = strlen(dig);
	for (k = 0; k < ndig; k++)
		if (!isdigit((unsigned char)dig[k]))
			return dib_fail(d, DIB_EINVAL, "coordinates",
			    "MGRS %s%.2s must be followed by digits only, "
			    "found '%c'", where, p, isprint(
			    (unsigned char)dig[k]) ? dig[k] : '?');
	if (ndig % 2 != 0)
		return dib_fail(d, DIB_EINVAL, "coordinates",
		    "MGRS needs as many easting as northing digits, got %zu "
		    "digits", ndig);
	if (ndig > 10)
		return dib_fail(d, DIB_EINVAL, "coordinates",
		    "MGRS takes at most 5 digits per coordinate (1 m), got "
		    "%zu", ndig / 2);
	if ((r = band_row(band, col, irow)) == -100) {
		int nb = nearest_band(band, col, irow);

		return dib_fail(d, DIB_EINVAL, "coordinates",
		    "100 km square %.2s is not in latitude band %c of zone "
		    "%d (the nearest band it lies in is %c)", p, bands[band],
		    zone, nb >= 0 ? bands[nb] : '?');
	}
	for (k = 0, unit = TILE; k < ndig / 2; k++) {
		ex = ex * 10 + (dig[k] - '0');
		ey = ey * 10 + (dig[k + ndig / 2] - '0');
		unit /= 10;
	}
	/* The centre of the square the digits name, like GeoConvert. */
	x = col * TILE + (ex + 0.5) * unit;
	y = r * TILE + (ey + 0.5) * unit;
	return geo_latlon_from_utm(zone, band >= 10, x,
	    band >= 10 ? y : y + 10000000, lat, lon, d);
}
