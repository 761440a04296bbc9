/*
** Transverse Mercator with Krüger's series to sixth order in the third
** flattening n (Karney, "Transverse Mercator with an accuracy of a few
** nanometres", J. Geodesy 85, 2011), and UTM zones on top of it.
*/
#include <complex.h>
#include <math.h>

#include "geo/geo.h"

#define GEO_PI 3.14159265358979323846
#define RAD (GEO_PI / 180)

/* WGS84. */
#define WGS_A 6378137.0
#define WGS_F (1 / 298.257223563)
#define WGS_E2 (WGS_F * (2 - WGS_F))
#define TM_N (WGS_F / (2 - WGS_F))

#define UTM_K0 0.9996
#define UTM_FE 500000.0
#define UTM_FN_SOUTH 10000000.0

/* Rectifying radius: a / (1 + n) (1 + n^2/4 + n^4/64 + n^6/256). */
#define TM_N2 (TM_N * TM_N)
#define TM_A (WGS_A / (1 + TM_N) * \
	(1 + TM_N2 * (1. / 4 + TM_N2 * (1. / 64 + TM_N2 / 256))))

/* Karney (2011), eq. 35: conformal latitude to rectifying latitude. */
static const double alp[7] = {
	0,
	TM_N * (1. / 2 + TM_N * (-2. / 3 + TM_N * (5. / 16 + TM_N *
	    (41. / 180 + TM_N * (-127. / 288 + TM_N * 7891. / 37800))))),
	TM_N2 * (13. / 48 + TM_N * (-3. / 5 + TM_N * (557. / 1440 +
	    TM_N * (281. / 630 + TM_N * -1983433. / 1935360)))),
	TM_N2 * TM_N * (61. / 240 + TM_N * (-103. / 140 + TM_N *
	    (15061. / 26880 + TM_N * 167603. / 181440))),
	TM_N2 * TM_N2 * (49561. / 161280 + TM_N * (-179. / 168 +
	    TM_N * 6601661. / 7257600)),
	TM_N2 * TM_N2 * TM_N * (34729. / 80640 + TM_N * -3418889. / 1995840),
	TM_N2 * TM_N2 * TM_N2 * 212378941. / 319334400,
};

/* Karney (2011), eq. 36: the reverse series. */
static const double bet[7] = {
	0,
	TM_N * (1. / 2 + TM_N * (-2. / 3 + TM_N * (37. / 96 + TM_N *
	    (-1. / 360 + TM_N * (-81. / 512 + TM_N * 96199. / 604800))))),
	TM_N2 * (1. / 48 + TM_N * (1. / 15 + TM_N * (-437. / 1440 +
	    TM_N * (46. / 105 + TM_N * -1118711. / 3870720)))),
	TM_N2 * TM_N * (17. / 480 + TM_N * (-37. / 840 + TM_N *
	    (-209. / 4480 + TM_N * 5569. / 90720))),
	TM_N2 * TM_N2 * (4397. / 161280 + TM_N * (-11. / 504 +
	    TM_N * -830251. / 7257600)),
	TM_N2 * TM_N2 * TM_N * (4583. / 161280 + TM_N * -108847. / 3991680),
	TM_N2 * TM_N2 * TM_N2 * 20648693. / 638668800,
};

/* sum of c[j] sin(2 j z) for j = 1..6, by Clenshaw's recurrence. */
static double complex
sinsum(const double *c, double complex z)
{
	double complex cos2 = 2 * ccos(2 * z), b1 = 0, b2 = 0, t;
	int j;

	for (j = 6; j >= 1; j--) {
		t = cos2 * b1 - b2 + c[j];
		b2 = b1;
		b1 = t;
	}
	return b1 * csin(2 * z);
}

/* tan of the conformal latitude from tan of the geographic one. */
static double
taupf(double tau)
{
	double e = sqrt(WGS_E2);
	double sig = sinh(e * atanh(e * tau / hypot(1, tau)));

	return tau * hypot(1, sig) - sig * hypot(1, tau);
}

/* The inverse of taupf, by Newton's method (it converges in 2 or 3). */
static double
tauf(double taup)
{
	double e2m = 1 - WGS_E2, tau = taup / e2m, tp, dtau;
	int i;

	for (i = 0; i < 10; i++) {
		tp = taupf(tau);
		dtau = (taup - tp) * (1 + e2m * tau * tau) /
		    (e2m * hypot(1, tp) * hypot(1, tau));
		tau += dtau;
		if (!(fabs(dtau) >= 1e-15 * fmax(1, fabs(tau))))
			break;
	}
	return tau;
}

void
geo_tm_forward(double lat, double dlon, double *x, double *y)
{
	double lam = dlon * RAD, taup, xip, etap;
	double complex z;

	taup = taupf(tan(lat * RAD));
	xip = atan2(taup, cos(lam));
	etap = asinh(sin(lam) / hypot(taup, cos(lam)));
	z = xip + I * etap;
	z += sinsum(alp, z);
	*x = UTM_K0 * TM_A * cimag(z);
	*y = UTM_K0 * TM_A * creal(z);
}

void
geo_tm_inverse(double x, double y, double *lat, double *dlon)
{
	double complex z = (y + I * x) / (UTM_K0 * TM_A);
	double xip, etap, s, c;

	z -= sinsum(bet, z);
	xip = creal(z);
	etap = cimag(z);
	s = sinh(etap);
	c = cos(xip);
	*lat = atan(tauf(sin(xip) / hypot(s, c))) / RAD;
	*dlon = atan2(s, c) / RAD;
}

int
geo_utm_zone(double lat, double lon)
{
	int ilon = (int)floor(lon), zone;

	if (ilon >= 180)
		ilon -= 360;
	zone = (ilon + 186) / 6;
	/* Bands V (56..64) and X (72..84) have wider zones near Norway. */
	if (lat >= 56 && lat < 64 && zone == 31 && ilon >= 3)
		zone = 32;
	else if (lat >= 72 && ilon >= 0 && ilon < 42)
		zone = 2 * ((ilon + 183) / 12) + 1;
	return zone;
}

/* Longitude of the central meridian of a zone. */
static double
zone_cm(int zone)
{
	return 6.0 * zone - 183;
}

/* An angle brought into [-180, 180]. */
static double
ang_norm(double a)
{
	if (a > 180)
		a -= 360;
	else if (a < -180)
		a += 360;
	return a;
}

int
geo_utm_from_latlon(double lat, double lon, int *zone, int *north,
    double *easting, double *northing, struct dib_diag *d)
{
	double x, y;
	int z, rc;

	*zone = *north = 0;
	*easting = *northing = 0;
	if ((rc = geo_check_latlon(lat, lon, d)) != DIB_OK)
		return rc;
	if (!(lat >= -80 && lat < 84))
		return dib_fail(d, DIB_EINVAL, "lat", "UTM covers latitudes "
		    "-80 to 84 (84 excluded; polar UPS is not supported), "
		    "got %g", lat);
	z = geo_utm_zone(lat, lon);
	geo_tm_forward(lat, ang_norm(lon - zone_cm(z)), &x, &y);
	*zone = z;
	*north = lat >= 0;
	*easting = UTM_FE + x;
	*northing = lat >= 0 ? y : y + UTM_FN_SOUTH;
	return DIB_OK;
}

int
geo_latlon_from_utm(int zone, int north, double easting, double northing,
    double *lat, double *lon, struct dib_diag *d)
{
	double nmin = north ? -9100000 : 900000;
	double nmax = north ? 9600000 : 19600000;
	double phi, dlon;

	*lat = *lon = NAN;
	if (zone < 1 || zone > 60)
		return dib_fail(d, DIB_EINVAL, "zone",
		    "UTM zone must be 1 to 60, got %d", zone);
	if (!(easting >= 0 && easting <= 1000000))
		return dib_fail(d, DIB_EINVAL, "easting",
		    "UTM easting must be in [0, 1000000] m, got %.10g",
		    easting);
	if (!(northing >= nmin && northing <= nmax))
		return dib_fail(d, DIB_EINVAL, "northing",
		    "UTM northing in the %s hemisphere must be in "
		    "[%.0f, %.0f] m, got %.10g", north ? "northern" :
		    "southern", nmin, nmax, northing);
	geo_tm_inverse(easting - UTM_FE,
	    north ? northing : northing - UTM_FN_SOUTH, &phi, &dlon);
	*lat = phi;
	*lon = ang_norm(zone_cm(zone) + dlon);
	return DIB_OK;
}
