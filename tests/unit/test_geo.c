/*
** Unit tests of geo/: UTM and MGRS against GeographicLib's GeoConvert
** (values below come from GeoConvert 2.1.2 and GeodSolve), the parser of
** written coordinates and its rejections, geodesic lengths.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "geo/geo.h"

/* interop.md: GeoConvert -m -p 0, GeoConvert -u -p 0, GeoConvert -p 9. */
static const struct {
	double lat, lon;
	const char *mgrs, *utm;
	double ilat, ilon;      /* MGRS back to degrees: the 1 m centre */
} refs[] = {
	{14.693, -17.447, "28PBB3648725798", "28N 236487 1625799",
	    14.69299759065661, -17.44699877407746},
	{13.769, -13.667, "28PFA4410522578", "28N 644106 1522578",
	    13.76900338821096, -13.66700404319073},
	{14.450, -11.433, "29PKR3770898885", "29N 237708 1598885",
	    14.45000215621720, -11.43299790702157},
	{12.639, -8.003, "29PPP0827597420", "29N 608275 1397421",
	    12.63899743439204, -8.00299673593016},
	{16.7735, -3.0074, "30QVD9921154498", "30N 499211 1854499",
	    16.77349758211377, -3.00739887403580},
	{18.4411, 1.4078, "31QCA3185239727", "31N 331852 2039727",
	    18.44110057548761, 1.40780329594020},
};

#define NREFS (sizeof refs / sizeof refs[0])

/* GeoConvert -u -p 6, including the Norway and Svalbard zones. */
static const struct {
	double lat, lon;
	int zone, north;
	double e, n;
} utms[] = {
	{14.693, -17.447, 28, 1, 236487.370803, 1625798.768122},
	{-33.9, 18.4, 34, 0, 259583.221660, 6245888.045441},
	{60, 5, 32, 1, 276979.926401, 6658157.202407},
	{75, 20, 33, 1, 644293.433430, 8329692.650741},
	{-79.9, -179.9, 1, 0, 443247.871807, 1128161.372865},
	{83.9, 179.9, 60, 1, 534390.831270, 9317795.753332},
	{0.5, -12, 29, 1, 166034.098267, 55341.388216},
	{12.639, -8.003, 29, 1, 608275.144406, 1397420.782402},
};

static void
test_reference_forward(void **state)
{
	struct dib_diag d = {0};
	char out[GEO_UTM_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < NREFS; i++) {
		assert_int_equal(geo_mgrs_format(refs[i].lat, refs[i].lon, 5,
		    out, sizeof out, &d), DIB_OK);
		assert_string_equal(out, refs[i].mgrs);
		assert_int_equal(geo_utm_format(refs[i].lat, refs[i].lon, out,
		    sizeof out, &d), DIB_OK);
		assert_string_equal(out, refs[i].utm);
	}
}

static void
test_reference_inverse(void **state)
{
	struct dib_diag d = {0};
	double lat, lon;
	size_t i;

	(void)state;
	for (i = 0; i < NREFS; i++) {
		assert_int_equal(geo_parse(refs[i].mgrs, &lat, &lon, &d),
		    DIB_OK);
		assert_true(fabs(lat - refs[i].ilat) < 1e-11);
		assert_true(fabs(lon - refs[i].ilon) < 1e-11);
		/* The UTM text rounds to the metre: within a metre back. */
		assert_int_equal(geo_parse(refs[i].utm, &lat, &lon, &d),
		    DIB_OK);
		assert_true(geo_distance_m(lat, lon, refs[i].lat,
		    refs[i].lon) < 0.71);
	}
}

static void
test_utm_accuracy(void **state)
{
	struct dib_diag d = {0};
	double e, n, lat, lon;
	int zone, north;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof utms / sizeof utms[0]; i++) {
		assert_int_equal(geo_utm_from_latlon(utms[i].lat, utms[i].lon,
		    &zone, &north, &e, &n, &d), DIB_OK);
		assert_int_equal(zone, utms[i].zone);
		assert_int_equal(north, utms[i].north);
		/* GeoConvert prints micrometres; the series agree to nm. */
		assert_true(fabs(e - utms[i].e) < 2e-6);
		assert_true(fabs(n - utms[i].n) < 2e-6);
		assert_int_equal(geo_latlon_from_utm(zone, north, utms[i].e,
		    utms[i].n, &lat, &lon, &d), DIB_OK);
		assert_true(fabs(lat - utms[i].lat) < 1e-10);
		assert_true(fabs(lon - utms[i].lon) < 1e-10);
	}
}

/* A fixed xorshift generator: the round trips are reproducible. */
static double
uniform(uint64_t *s, double lo, double hi)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return lo + (hi - lo) * (double)(*s >> 11) / 9007199254740992.0;
}

static void
test_round_trip(void **state)
{
	struct dib_diag d = {0};
	uint64_t seed = 0x2545f4914f6cdd1dULL;
	double lat, lon, e, n, lat2, lon2, e2, n2, worst = 0;
	int zone, north, zone2, north2, i;

	(void)state;
	for (i = 0; i < 20000; i++) {
		/* UTM to degrees to UTM, across the whole UTM domain. */
		zone = 1 + (int)uniform(&seed, 0, 60);
		north = i % 2;
		lat = uniform(&seed, north ? 0 : -79.5, north ? 83.5 : 0);
		lon = 6.0 * zone - 183 + uniform(&seed, -2.999, 2.999);
		if ((lat >= 56 && lat < 64 && lon >= 3 && lon < 12) ||
		    (lat >= 72 && lon >= 0 && lon < 42))
			continue;       /* Norway and Svalbard zones */
		assert_int_equal(geo_utm_from_latlon(lat, lon, &zone, &north,
		    &e, &n, &d), DIB_OK);
		assert_int_equal(geo_latlon_from_utm(zone, north, e, n, &lat2,
		    &lon2, &d), DIB_OK);
		assert_int_equal(geo_utm_from_latlon(lat2, lon2, &zone2,
		    &north2, &e2, &n2, &d), DIB_OK);
		assert_int_equal(zone2, zone);
		assert_int_equal(north2, north);
		worst = fmax(worst, fmax(fabs(e2 - e), fabs(n2 - n)));
		assert_true(fabs(lat2 - lat) < 1e-11);
		assert_true(fabs(lon2 - lon) < 1e-11);
	}
	/* Sub-millimetre is the requirement; it is in fact nanometres. */
	assert_true(worst < 1e-6);
}

static void
test_zones(void **state)
{
	(void)state;
	assert_int_equal(geo_utm_zone(14, -12.0), 29);
	assert_int_equal(geo_utm_zone(14, -12.000001), 28);
	assert_int_equal(geo_utm_zone(14, -18.0), 28);
	assert_int_equal(geo_utm_zone(14, 0.0), 31);
	assert_int_equal(geo_utm_zone(14, -0.000001), 30);
	assert_int_equal(geo_utm_zone(0, -180), 1);
	assert_int_equal(geo_utm_zone(0, 180), 1);
	assert_int_equal(geo_utm_zone(0, 179.999), 60);
	/* Norway: 32V starts at 3°E. */
	assert_int_equal(geo_utm_zone(60, 2.999), 31);
	assert_int_equal(geo_utm_zone(60, 3), 32);
	assert_int_equal(geo_utm_zone(63.999, 5), 32);
	assert_int_equal(geo_utm_zone(64, 5), 31);
	assert_int_equal(geo_utm_zone(55.999, 5), 31);
	/* Svalbard: 31X, 33X, 35X, 37X. */
	assert_int_equal(geo_utm_zone(75, 8.999), 31);
	assert_int_equal(geo_utm_zone(75, 9), 33);
	assert_int_equal(geo_utm_zone(75, 20.999), 33);
	assert_int_equal(geo_utm_zone(75, 21), 35);
	assert_int_equal(geo_utm_zone(75, 33), 37);
	assert_int_equal(geo_utm_zone(75, 42), 38);
	assert_int_equal(geo_utm_zone(71.999, 20), 34);
}

static void
test_mgrs_format(void **state)
{
	/* GeoConvert -m -p -5 .. 0 of 14.693 -17.447. */
	static const char *const want[] = {"28PBB", "28PBB32", "28PBB3625",
	    "28PBB364257", "28PBB36482579", "28PBB3648725798"};
	/* GeoConvert -m -p 0 far from West Africa, near the limits. */
	static const struct {
		double lat, lon;
		const char *mgrs;
	} far[] = {
		{20, -159, "04QEH0000011481"},
		{-33.9, 18.4, "34HBH5958345888"},
		{60, 5, "32VKM7697958157"},
		{75, 20, "33XXD4429329692"},
		{0, -180, "01NAA6602100000"},
		{0, 180, "01NAA6602100000"},
		{-80, 0, "31CDM4186716915"},
	};
	struct dib_diag d = {0};
	char out[GEO_MGRS_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < 6; i++) {
		assert_int_equal(geo_mgrs_format(14.693, -17.447, (int)i, out,
		    sizeof out, &d), DIB_OK);
		assert_string_equal(out, want[i]);
	}
	for (i = 0; i < sizeof far / sizeof far[0]; i++) {
		assert_int_equal(geo_mgrs_format(far[i].lat, far[i].lon, 5,
		    out, sizeof out, &d), DIB_OK);
		assert_string_equal(out, far[i].mgrs);
	}
}

static const struct {
	const char *in;
	double lat, lon;
} good[] = {
	/* Decimal degrees, latitude first. */
	{"14.467 -12.217", 14.467, -12.217},
	{"14.467,-12.217", 14.467, -12.217},
	{"14.467, -12.217", 14.467, -12.217},
	{"  14.467\t-12.217  ", 14.467, -12.217},
	{"+14.467 +12.217", 14.467, 12.217},
	{"\xe2\x88\x92" "14.5 \xe2\x88\x92" "12.5", -14.5, -12.5},
	{"14 -12", 14, -12},
	{".5 -.5", 0.5, -0.5},
	{"-90 -180", -90, -180},
	{"90 180", 90, 180},
	{"14.467N 12.217W", 14.467, -12.217},
	{"14.467n 12.217w", 14.467, -12.217},
	{"N14.467 W12.217", 14.467, -12.217},
	{"N 14.467, W 12.217", 14.467, -12.217},
	{"14.467S 12.217E", -14.467, 12.217},
	{"14.467N -12.217", 14.467, -12.217},
	{"14.467 12.217W", 14.467, -12.217},
	{"12.217W 14.467N", 14.467, -12.217},
	{"14N12W", 14, -12},
	/* Degrees, minutes, seconds. */
	{"14°28'N 12°13'W", 14 + 28 / 60.0, -(12 + 13 / 60.0)},
	{"14°28'12.5\"N 12°13'1\"W", 14 + 28 / 60.0 + 12.5 / 3600,
	    -(12 + 13 / 60.0 + 1 / 3600.0)},
	{"14° 28' 12.5\" N, 12° 13' 01\" W", 14 + 28 / 60.0 + 12.5 / 3600,
	    -(12 + 13 / 60.0 + 1 / 3600.0)},
	{"14°28′12.5″N 12°13′1″W", 14 + 28 / 60.0 + 12.5 / 3600,
	    -(12 + 13 / 60.0 + 1 / 3600.0)},
	{"14°28’12.5”N 12°13’1”W", 14 + 28 / 60.0 + 12.5 / 3600,
	    -(12 + 13 / 60.0 + 1 / 3600.0)},
	{"14º28'12.5''N 12º13'1''W", 14 + 28 / 60.0 + 12.5 / 3600,
	    -(12 + 13 / 60.0 + 1 / 3600.0)},
	{"14d28m12.5sN 12d13m1sW", 14 + 28 / 60.0 + 12.5 / 3600,
	    -(12 + 13 / 60.0 + 1 / 3600.0)},
	{"14d 28m 12.5s S, 12d 13m 1s E", -(14 + 28 / 60.0 + 12.5 / 3600),
	    12 + 13 / 60.0 + 1 / 3600.0},
	{"14 28 12.5 N 12 13 1 W", 14 + 28 / 60.0 + 12.5 / 3600,
	    -(12 + 13 / 60.0 + 1 / 3600.0)},
	{"N 14 28 12.5 W 12 13 1", 14 + 28 / 60.0 + 12.5 / 3600,
	    -(12 + 13 / 60.0 + 1 / 3600.0)},
	{"14 28, -12 13", 14 + 28 / 60.0, -(12 + 13 / 60.0)},
	{"14°28.2'N 12°13.5'W", 14.47, -12.225},
	{"14°28'N12°13'W", 14 + 28 / 60.0, -(12 + 13 / 60.0)},
	{"-14°28' -12°13'", -(14 + 28 / 60.0), -(12 + 13 / 60.0)},
	{"14.5° -12.25°", 14.5, -12.25},
	{"14°28'59.999\"N 0°0'0\"E", 14 + 28 / 60.0 + 59.999 / 3600, 0},
	/* UTM: zone, hemisphere, easting, northing. */
	{"28N 800025 1601197", 14.46700397617668, -12.21700428967960},
	{"28n 800025 1601197", 14.46700397617668, -12.21700428967960},
	{"28 N 800025 1601197", 14.46700397617668, -12.21700428967960},
	{"28N 800025, 1601197", 14.46700397617668, -12.21700428967960},
	{"28S 500000 5000000", -45.15347718335602, -15},
	/* MGRS: the centre of the square, as GeoConvert. */
	{"28PBB3648725798", 14.69299759065661, -17.44699877407746},
	{"28P BB 36487 25798", 14.69299759065661, -17.44699877407746},
	{"28pbb3648725798", 14.69299759065661, -17.44699877407746},
	{" 28PBB 3648725798 ", 14.69299759065661, -17.44699877407746},
	{"28PBB3625", 14.69030241076084, -17.44685275247534},
	{"28PBB", 14.91292100076797, -17.32392511080535},
	{"32VKM7697958157", 60.00000243435176, 4.99999205166375},
	{"33XXD4429329692", 74.99999860386606, 20.00000185620444},
	{"31CDM4186716915", -79.99999578905519, -0.00001346231215},
	{"4QEH0000011481", 20.00000173802654, -158.99999522012411},
	{"34HBH5958345888", -33.89999596804849, 18.40000313179500},
};

static void
test_parse_good(void **state)
{
	struct dib_diag d = {0};
	double lat, lon;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		int rc = geo_parse(good[i].in, &lat, &lon, &d);

		if (rc != DIB_OK)
			print_error("%s: %s: %s\n", good[i].in, d.field,
			    d.msg);
		assert_int_equal(rc, DIB_OK);
		if (fabs(lat - good[i].lat) > 1e-11 ||
		    fabs(lon - good[i].lon) > 1e-11)
			print_error("%s: got %.12f %.12f\n", good[i].in, lat,
			    lon);
		assert_true(fabs(lat - good[i].lat) <= 1e-11);
		assert_true(fabs(lon - good[i].lon) <= 1e-11);
	}
}

/* Input, field, and a part of the message that names the problem. */
static const struct {
	const char *in, *field, *msg;
} bad[] = {
	{"", "coordinates", "empty"},
	{"   \t ", "coordinates", "empty"},
	{"nan nan", "coordinates", "NaN"},
	{"NaN 0", "coordinates", "NaN"},
	{"inf 0", "coordinates", "infinity"},
	{"14 -infinity", "coordinates", "infinity"},
	{"1e5 0", "coordinates", "exponents"},
	{"14.5 1.2E-3", "coordinates", "exponents"},
	{"14.467", "coordinates", "single number"},
	{"14.467 -12.217 3", "coordinates", "cannot tell"},
	{"14 28 12 13", "coordinates", "cannot tell"},
	{"14 28 12.5 12 13 1", "coordinates", "cannot tell"},
	{"14.467 -12.217 foo", "coordinates", "unexpected word \"foo\""},
	{"14.467 -12.217 x", "coordinates", "unexpected letter 'x'"},
	{"14.467;-12.217", "coordinates", "unexpected ';'"},
	{"14.467 -12.217 \xff", "coordinates", "byte 0xff"},
	{"14\x01 12", "coordinates", "control character 0x01"},
	{"\xc3\x8b 12", "coordinates", "unexpected \"\xc3\x8b\""},
	{"14..5 12", "coordinates", "malformed number"},
	{"14.5. 12", "coordinates", "malformed number"},
	{". 12", "coordinates", "lone '.'"},
	{"- 14 12", "coordinates", "sign at character 1"},
	{"14,467 -12,217", "coordinates", "more than one comma"},
	{", 12", "coordinates", "nothing before the comma"},
	{"14,", "coordinates", "nothing after the comma"},
	{"14 12, 13 15 16 17", "coordinates", "cannot tell"},
	{"14N 12W, 3", "coordinates", "more than one coordinate"},
	{"14N 12W 13E", "coordinates", "more than a latitude"},
	{"14 12 O", "coordinates", "W for west"},
	{"N", "coordinates", "missing longitude"},
	{"12W", "coordinates", "missing latitude"},
	{"14 12W", "coordinates", "missing latitude"},
	{"N N 14 12", "coordinates", "two hemisphere letters"},
	{"14N 12N", "coordinates", "two latitudes"},
	{"14E 12W", "coordinates", "two longitudes"},
	{"12W 14", "coordinates", "latitude comes first"},
	{"-14.5S 12W", "coordinates", "both a sign and a hemisphere"},
	{"14°75'N 12°W", "coordinates", "latitude minutes must be below 60"},
	{"14°28'60\"N 12°W", "coordinates", "seconds must be below 60"},
	{"14°N 12°60'W", "coordinates", "longitude minutes must be below"},
	{"14.5°30'N 12W", "coordinates", "degrees must be a whole number"},
	{"14°30.5'15\"N 12W", "coordinates", "minutes must be a whole"},
	{"14°15\"N 12W", "coordinates", "seconds without minutes"},
	{"14' 12", "coordinates", "minutes without degrees"},
	{"14°28'13' 12", "coordinates", "minutes given after minutes"},
	{"°14 12", "coordinates", "degree sign without a number"},
	{"95 10", "lat", "[-90, 90], got 95"},
	{"-90.0001 10", "lat", "[-90, 90]"},
	{"14 190", "lon", "[-180, 180], got 190"},
	{"91N 12W", "lat", "[-90, 90]"},
	{"14 12345678901234567890123456", "coordinates", "too long"},
	/* UTM */
	{"28P 800025 1601197", "coordinates", "hemisphere N or S"},
	{"28Q 800025 1601197", "coordinates", "MGRS grid zone"},
	{"28x 800025 1601197", "coordinates", "not x"},
	{"0N 500000 1000000", "coordinates", "zone must be 1 to 60, got 0"},
	{"61N 500000 1000000", "coordinates", "zone must be 1 to 60"},
	{"100N 500000 1000000", "coordinates", "zone must be 1 to 60"},
	{"28N 12 13", "coordinates", "easting must be 100000 to 900000"},
	{"28N 950000 1601197", "coordinates", "easting must be"},
	{"28N 500000 9600000", "coordinates", "northing in the north"},
	{"28S 500000 500000", "coordinates", "northing in the south"},
	/* MGRS */
	{"28P", "coordinates", "grid zone 28P alone"},
	{"28PB", "coordinates", "two 100 km square letters"},
	{"28PBB123", "coordinates", "as many easting as northing"},
	{"28PBB123456789012", "coordinates", "at most 5 digits"},
	{"28PBB12X4", "coordinates", "digits only"},
	{"61PBB", "coordinates", "zone must be 1 to 60, got 61"},
	{"0PBB", "coordinates", "zone must be 1 to 60"},
	{"128PBB", "coordinates", "zone must be 1 to 60"},
	{"28ABB", "coordinates", "polar (UPS)"},
	{"28ZBB", "coordinates", "polar (UPS)"},
	{"28IBB", "coordinates", "band must be a letter C to X"},
	{"28PJB", "coordinates", "column letter J is not used in zone 28"},
	{"29PBB", "coordinates", "column letter B is not used in zone 29"},
	{"28PBW", "coordinates", "row letter must be A to V"},
	{"28PBI", "coordinates", "row letter must be A to V"},
	{"28QBB3625", "coordinates",
	    "square BB is not in latitude band Q of zone 28 (the nearest "
	    "band it lies in is P)"},
	{"28NBB", "coordinates", "not in latitude band N"},
	{"31VDM", "coordinates", "not in latitude band V"},
	{"31WCA", "coordinates", "not in latitude band W"},
	{"31WAL", "coordinates", "not in latitude band W"},
	{"31XAV", "coordinates", "not in latitude band X"},
};

static void
test_parse_bad(void **state)
{
	struct dib_diag d;
	double lat, lon;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc;

		dib_diag_clear(&d);
		rc = geo_parse(bad[i].in, &lat, &lon, &d);
		if (rc != DIB_EINVAL || strcmp(d.field, bad[i].field) != 0 ||
		    strstr(d.msg, bad[i].msg) == NULL)
			print_error("\"%s\": rc %d, %s: %s\n", bad[i].in, rc,
			    d.field, d.msg);
		assert_int_equal(rc, DIB_EINVAL);
		assert_int_equal(d.code, DIB_EINVAL);
		assert_string_equal(d.field, bad[i].field);
		assert_non_null(strstr(d.msg, bad[i].msg));
		assert_true(isnan(lat) && isnan(lon));
	}
	/* A NULL diagnostic is allowed; a too long input is refused. */
	{
		char big[GEO_PARSE_MAX + 2];

		memset(big, '1', sizeof big - 1);
		big[sizeof big - 1] = '\0';
		assert_int_equal(geo_parse(big, &lat, &lon, NULL),
		    DIB_EINVAL);
		assert_int_equal(geo_parse(big, &lat, &lon, &d), DIB_EINVAL);
		assert_non_null(strstr(d.msg, "too long"));
		assert_int_equal(geo_parse(NULL, &lat, &lon, &d), DIB_EINVAL);
	}
}

/* The band rules agree with GeoConvert at the rows that straddle bands. */
static void
test_mgrs_band_edges(void **state)
{
	static const char *const ok[] = {"31VAM", "31VCM", "31VFM", "31WAA",
	    "31WHA", "31WCL", "31WFL", "31XBV", "31XGV", "01CAL", "01CCL",
	    "01XBQ", NULL};
	struct dib_diag d = {0};
	double lat, lon;
	int i;

	(void)state;
	for (i = 0; ok[i] != NULL; i++) {
		if (geo_parse(ok[i], &lat, &lon, &d) != DIB_OK)
			print_error("%s: %s\n", ok[i], d.msg);
		assert_int_equal(geo_parse(ok[i], &lat, &lon, &d), DIB_OK);
	}
}

static void
test_check_latlon(void **state)
{
	struct dib_diag d = {0};

	(void)state;
	assert_int_equal(geo_check_latlon(0, 0, &d), DIB_OK);
	assert_int_equal(geo_check_latlon(-90, -180, &d), DIB_OK);
	assert_int_equal(geo_check_latlon(90, 180, &d), DIB_OK);
	assert_int_equal(geo_check_latlon(90.000001, 0, &d), DIB_EINVAL);
	assert_string_equal(d.field, "lat");
	assert_non_null(strstr(d.msg, "[-90, 90]"));
	assert_int_equal(geo_check_latlon(0, -180.5, &d), DIB_EINVAL);
	assert_string_equal(d.field, "lon");
	assert_non_null(strstr(d.msg, "[-180, 180]"));
	assert_int_equal(geo_check_latlon(NAN, 0, &d), DIB_EINVAL);
	assert_string_equal(d.field, "lat");
	assert_non_null(strstr(d.msg, "number"));
	assert_int_equal(geo_check_latlon(0, NAN, &d), DIB_EINVAL);
	assert_string_equal(d.field, "lon");
	assert_int_equal(geo_check_latlon(INFINITY, 0, &d), DIB_EINVAL);
	assert_int_equal(geo_check_latlon(0, -INFINITY, &d), DIB_EINVAL);
	assert_int_equal(geo_check_latlon(0, 0, NULL), DIB_OK);
	assert_int_equal(geo_check_latlon(100, 0, NULL), DIB_EINVAL);
}

static void
test_convert_bad(void **state)
{
	struct dib_diag d = {0};
	char out[GEO_UTM_LEN], small[8];
	double e, n, lat, lon;
	int zone, north;

	(void)state;
	/* Polar: UTM and MGRS stop at 84°N (excluded) and 80°S. */
	assert_int_equal(geo_mgrs_format(84, 0, 5, out, sizeof out, &d),
	    DIB_EINVAL);
	assert_string_equal(d.field, "lat");
	assert_non_null(strstr(d.msg, "UPS"));
	assert_string_equal(out, "");
	assert_int_equal(geo_mgrs_format(-80.01, 0, 5, out, sizeof out, &d),
	    DIB_EINVAL);
	assert_int_equal(geo_utm_format(85, 0, out, sizeof out, &d),
	    DIB_EINVAL);
	assert_int_equal(geo_utm_from_latlon(-80.5, 0, &zone, &north, &e, &n,
	    &d), DIB_EINVAL);
	assert_int_equal(zone, 0);
	assert_int_equal(geo_utm_from_latlon(NAN, 0, &zone, &north, &e, &n,
	    &d), DIB_EINVAL);
	assert_int_equal(geo_utm_from_latlon(0, 200, &zone, &north, &e, &n,
	    &d), DIB_EINVAL);
	assert_string_equal(d.field, "lon");
	assert_int_equal(geo_mgrs_format(14, -12, 6, out, sizeof out, &d),
	    DIB_EINVAL);
	assert_non_null(strstr(d.msg, "0 to 5"));
	assert_int_equal(geo_mgrs_format(14, -12, -1, out, sizeof out, &d),
	    DIB_EINVAL);
	assert_int_equal(geo_mgrs_format(14, -12, 5, small, sizeof small, &d),
	    DIB_EINVAL);
	assert_string_equal(small, "");
	assert_int_equal(geo_utm_format(14, -12, small, sizeof small, &d),
	    DIB_EINVAL);
	assert_int_equal(geo_mgrs_format(14, -12, 5, NULL, 0, &d),
	    DIB_EINVAL);
	/* UTM inverse limits. */
	assert_int_equal(geo_latlon_from_utm(0, 1, 500000, 0, &lat, &lon,
	    &d), DIB_EINVAL);
	assert_string_equal(d.field, "zone");
	assert_true(isnan(lat) && isnan(lon));
	assert_int_equal(geo_latlon_from_utm(61, 1, 500000, 0, &lat, &lon,
	    &d), DIB_EINVAL);
	assert_int_equal(geo_latlon_from_utm(28, 1, -1, 0, &lat, &lon, &d),
	    DIB_EINVAL);
	assert_string_equal(d.field, "easting");
	assert_int_equal(geo_latlon_from_utm(28, 1, NAN, 0, &lat, &lon, &d),
	    DIB_EINVAL);
	assert_int_equal(geo_latlon_from_utm(28, 1, 500000, 9700000, &lat,
	    &lon, &d), DIB_EINVAL);
	assert_string_equal(d.field, "northing");
	assert_int_equal(geo_latlon_from_utm(28, 0, 500000, 800000, &lat,
	    &lon, &d), DIB_EINVAL);
	assert_int_equal(geo_latlon_from_utm(28, 0, 500000, INFINITY, &lat,
	    &lon, &d), DIB_EINVAL);
}

static void
test_distance(void **state)
{
	/* GeodSolve -i -p 9: Dakar to Bamako, Bamako to Gao. */
	const double dakar_bamako = 1046569.952151612;
	const double bamako_gao = 706090.249468962;
	const double line[] = {-17.447, 14.693, -8.003, 12.639, -3.0074,
	    16.7735};

	(void)state;
	assert_true(fabs(geo_distance_m(14.693, -17.447, 12.639, -8.003) -
	    dakar_bamako) < 1e-3);
	assert_true(fabs(geo_distance_m(12.639, -8.003, 14.693, -17.447) -
	    dakar_bamako) < 1e-3);
	assert_true(geo_distance_m(14.693, -17.447, 14.693, -17.447) == 0);
	assert_true(fabs(geo_length_m(line, 3) - (dakar_bamako +
	    bamako_gao)) < 2e-3);
	assert_true(fabs(geo_length_m(line, 2) - dakar_bamako) < 1e-3);
	assert_true(geo_length_m(line, 1) == 0);
	assert_true(geo_length_m(line, 0) == 0);
	assert_true(geo_length_m(NULL, 5) == 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_forward),
		cmocka_unit_test(test_reference_inverse),
		cmocka_unit_test(test_utm_accuracy),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_zones),
		cmocka_unit_test(test_mgrs_format),
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_mgrs_band_edges),
		cmocka_unit_test(test_check_latlon),
		cmocka_unit_test(test_convert_bad),
		cmocka_unit_test(test_distance),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
