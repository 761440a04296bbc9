/*
** Unit tests of util/: times, ids, hex, nations, audiences, UTF-8, buffers,
** errors.
*/
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/util.h"

static void
test_time_parse(void **state)
{
	struct dib_diag d;
	int64_t ms;
	char out[40];

	(void)state;
	assert_int_equal(util_time_parse("2025-02-20T08:00:00Z", &ms, "at",
	    &d), 0);
	assert_int_equal(ms, 1740038400000LL);
	assert_string_equal(util_time_format(ms, out, sizeof out),
	    "2025-02-20T08:00:00Z");
	assert_int_equal(util_time_parse("2025-02-20T09:00:00.250+01:00", &ms,
	    "at", &d), 0);
	assert_string_equal(util_time_format(ms, out, sizeof out),
	    "2025-02-20T08:00:00.250Z");
	assert_int_equal(util_time_parse("2024-02-29T00:00:00-00:30", &ms,
	    "at", &d), 0);
	assert_string_equal(util_time_format(ms, out, sizeof out),
	    "2024-02-29T00:30:00Z");
	assert_int_equal(util_time_parse("1969-12-31T23:59:59Z", &ms, "at",
	    &d), 0);
	assert_int_equal(ms, -1000);
	assert_string_equal(util_time_format(-1, out, sizeof out),
	    "1969-12-31T23:59:59.999Z");
}

static void
test_time_reject(void **state)
{
	static const char *const bad[] = {"", "2025-02-20", "2025-02-30T00:00:"
	    "00Z", "2025-13-01T00:00:00Z", "2025-02-20T24:00:00Z",
	    "2025-02-20T08:00:00", "2025-02-20T08:00:00Zjunk",
	    "2023-02-29T00:00:00Z", "2025-02-20T08:00:00.Z",
	    "2025-02-20T08:00:00+1:00", "20250220T080000Z", "hier", NULL};
	struct dib_diag d;
	int64_t ms;
	int i;

	(void)state;
	for (i = 0; bad[i]; i++) {
		assert_int_equal(util_time_parse(bad[i], &ms, "at", &d),
		    DIB_EINVAL);
		assert_string_equal(d.field, "at");
		assert_true(strlen(d.msg) > 10);
	}
	assert_int_equal(util_time_parse(NULL, &ms, "at", &d), DIB_EINVAL);
}

static void
test_uuid(void **state)
{
	uint8_t a[16], b[16], c[16];
	char s[37];
	int i;

	(void)state;
	util_uuid7(1740038400000LL, a);
	assert_int_equal(a[6] >> 4, 7);
	assert_int_equal(a[8] >> 6, 2);
	assert_int_equal(util_uuid7_time(a), 1740038400000LL);
	util_uuid_format(a, s);
	assert_int_equal(strlen(s), 36);
	assert_int_equal(util_uuid_parse(s, c), 0);
	assert_memory_equal(a, c, 16);
	/* Same ms: still increasing. */
	for (i = 0; i < 5000; i++) {
		util_uuid7(1740038400000LL, b);
		assert_true(memcmp(a, b, 16) < 0);
		memcpy(a, b, 16);
	}
	assert_int_equal(util_uuid_parse("0195224a-3c00-7d1e-8f00-0123456789a",
	    c), DIB_EINVAL);
	assert_int_equal(util_uuid_parse("0195224a-3c00-7d1e-8f00_0123456789ab",
	    c), DIB_EINVAL);
	assert_int_equal(util_uuid_parse("0195224g-3c00-7d1e-8f00-0123456789ab",
	    c), DIB_EINVAL);
}

static void
test_hex(void **state)
{
	uint8_t in[4] = {0xde, 0xad, 0x00, 0x7f}, out[4];
	char s[9];

	(void)state;
	assert_string_equal(util_hex(in, 4, s), "dead007f");
	assert_int_equal(util_unhex("DEAD007F", out, 4), 0);
	assert_memory_equal(in, out, 4);
	assert_int_equal(util_unhex("dead007", out, 4), DIB_EINVAL);
	assert_int_equal(util_unhex("dead007x", out, 4), DIB_EINVAL);
}

static void
test_nations_audiences(void **state)
{
	char a[UTIL_AUDIENCE_LEN];
	struct dib_diag d;

	(void)state;
	assert_true(util_nation_valid("SN"));
	assert_true(util_nation_valid("ML"));
	assert_true(util_nation_valid("MR"));
	assert_false(util_nation_valid("XX"));
	assert_false(util_nation_valid("sn"));
	assert_string_equal(util_nation_name("ML"), "Mali");
	assert_int_equal(util_audience_parse("sn, ML", a, &d), 0);
	assert_string_equal(a, "ML,SN");
	assert_int_equal(util_audience_parse("SN,ML,MR", a, &d), 0);
	assert_string_equal(a, "ML,MR,SN");
	assert_true(util_audience_has(a, "MR"));
	assert_false(util_audience_has(a, "GN"));
	assert_true(util_audience_subset("ML,SN", "ML,MR,SN"));
	assert_false(util_audience_subset("GN,SN", "ML,MR,SN"));
	assert_int_equal(util_audience_parse("SN,XX", a, &d), DIB_EINVAL);
	assert_non_null(strstr(d.msg, "XX"));
	assert_int_equal(util_audience_parse("SN,SN", a, &d), DIB_EINVAL);
	assert_int_equal(util_audience_parse("", a, &d), DIB_EINVAL);
	assert_int_equal(util_audience_parse("SN,", a, &d), DIB_EINVAL);
	assert_int_equal(util_audience_parse("SEN", a, &d), DIB_EINVAL);
	assert_string_equal(d.field, "audience");
}

static void
test_utf8(void **state)
{
	(void)state;
	assert_true(util_utf8_valid("Falémé µg/L — n°4", 23));
	assert_false(util_utf8_valid("\xc3", 1));
	assert_false(util_utf8_valid("\xc0\xaf", 2));          /* overlong */
	assert_false(util_utf8_valid("\xed\xa0\x80", 3));      /* surrogate */
	assert_false(util_utf8_valid("\xf4\x90\x80\x80", 4));  /* > U+10FFFF */
}

static void
test_buf(void **state)
{
	struct buf b;
	char *p;
	size_t n;

	(void)state;
	buf_init(&b, 16);
	assert_int_equal(buf_adds(&b, "0123456789"), 0);
	assert_int_equal(buf_printf(&b, "%d", 12345), 0);
	assert_int_equal(buf_adds(&b, "toolong"), -1);
	assert_int_equal(buf_addc(&b, 'x'), -1);   /* stays failed */
	buf_free(&b);
	buf_init(&b, 1024);
	assert_int_equal(buf_add_json_string(&b, "a\"b\\c\n\x01é"), 0);
	p = buf_detach(&b, &n);
	assert_string_equal(p, "\"a\\\"b\\\\c\\n\\u0001é\"");
	free(p);
}

static void
test_err(void **state)
{
	struct dib_diag d;
	char line[600];

	(void)state;
	assert_int_equal(dib_fail(&d, DIB_EINVAL, "mercury_ugl", "must be a "
	    "number >= 0, got \"%s\"", "abc"), DIB_EINVAL);
	dib_diag_prefix(&d, "attributes");
	assert_string_equal(dib_diag_str(&d, line, sizeof line),
	    "attributes.mercury_ugl: must be a number >= 0, got \"abc\"");
	assert_int_equal(dib_http_status(DIB_EINVAL), 422);
	assert_int_equal(dib_http_status(DIB_ENOTFOUND), 404);
	assert_int_equal(dib_http_status(999), 500);
	assert_string_equal(dib_strerror(DIB_OK), "success");
}

/* The escaping of buf_add_json_string, one byte at a time. */
static void
escape_ref(const char *s, char *out)
{
	static const char hx[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;

	*out++ = '"';
	for (; *p; p++) {
		if (*p == '"' || *p == '\\') {
			*out++ = '\\';
			*out++ = (char)*p;
		} else if (*p == '\n' || *p == '\t' || *p == '\r') {
			*out++ = '\\';
			*out++ = *p == '\n' ? 'n' : *p == '\t' ? 't' : 'r';
		} else if (*p < 0x20) {
			memcpy(out, "\\u00", 4);
			out[4] = hx[*p >> 4];
			out[5] = hx[*p & 15];
			out += 6;
		} else {
			*out++ = (char)*p;
		}
	}
	*out++ = '"';
	*out = '\0';
}

/* Strings of every length around the eight-byte steps, with a byte to
 * escape or a UTF-8 sequence at every place. */
static void
test_json_string(void **state)
{
	static const char *const specials[] = {"\"", "\\", "\n", "\x01",
	    "\x1f", "é", "€", "\t", "\r", "a"};
	char s[64], want[400];
	struct buf b;
	size_t len, at, k;

	(void)state;
	buf_init(&b, 4096);
	for (len = 0; len < 40; len++)
		for (at = 0; at <= len; at++)
			for (k = 0; k < sizeof specials / sizeof specials[0];
			    k++) {
				size_t i, o = 0;

				for (i = 0; i < len; i++) {
					if (i == at) {
						strcpy(s + o, specials[k]);
						o += strlen(specials[k]);
					}
					s[o++] = (char)('a' + i % 26);
				}
				if (at == len) {
					strcpy(s + o, specials[k]);
					o += strlen(specials[k]);
				}
				s[o] = '\0';
				escape_ref(s, want);
				buf_reset(&b);
				assert_int_equal(buf_add_json_string(&b, s), 0);
				assert_string_equal(b.p, want);
			}
	buf_free(&b);
}

static void
check_g15(double x)
{
	char want[64], got[32];
	int n = util_fmt_g15(x, got);

	snprintf(want, sizeof want, "%.15g", x);
	if (n != (int)strlen(want) || strcmp(got, want) != 0)
		fail_msg("%a: \"%s\" (%d), printf \"%s\"", x, got, n, want);
}

/* util_fmt_g15 writes what printf's %.15g writes, fast path or not. */
static void
test_fmt_g15(void **state)
{
	static const double p10[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
	    1e8, 1e9};
	static const double edges[] = {0.0, -0.0, 1e-4, 9.9999e-5, 0.00012,
	    1e15, 999999999999999.0, 1e15 - 0.5, 123456789012345.6, 0.1,
	    0.2, 0.3, 1.0 / 3, 2.0 / 3, 42.66, -11.95559, 14.4623781, 5e-324,
	    1.7976931348623157e308, 0.5, 1.5, 2.5, 1e-5, 123.4567891,
	    9007199254740993.0};
	uint64_t r = 0x9e3779b97f4a7c15u;
	char out[32];
	size_t i;
	int k;

	(void)state;
	for (i = 0; i < sizeof edges / sizeof edges[0]; i++) {
		check_g15(edges[i]);
		check_g15(-edges[i]);
	}
	assert_int_equal(util_fmt_g15(NAN, out), -1);
	assert_int_equal(util_fmt_g15(INFINITY, out), -1);
	for (i = 0; i < 400000; i++) {
		double x;

		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		/* Short decimals of every size, and any double at all. */
		k = (int)(r % 10);
		x = (double)(int64_t)((r >> 8) % (uint64_t)(i % 7 == 0 ?
		    1000000000000000000u : 100000000u)) / p10[k];
		check_g15((r & 1) ? -x : x);
		memcpy(&x, &r, sizeof x);
		if (isfinite(x))
			check_g15(x);
	}
}

static void *
background_thread(void *arg)
{
	int *nice = arg;

	util_thread_background();
	nice[0] = getpriority(PRIO_PROCESS, (id_t)gettid());
	util_thread_background();       /* twice: still the same */
	nice[1] = getpriority(PRIO_PROCESS, (id_t)gettid());
	return NULL;
}

/* A background thread runs at UTIL_BACKGROUND_NICE; the others keep
 * theirs. */
static void
test_thread_background(void **state)
{
	int nice[2] = {-100, -100}, before;
	pthread_t t;

	(void)state;
	before = getpriority(PRIO_PROCESS, (id_t)gettid());
	assert_int_equal(pthread_create(&t, NULL, background_thread, nice),
	    0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(nice[0], before > UTIL_BACKGROUND_NICE ? before :
	    UTIL_BACKGROUND_NICE);
	assert_int_equal(nice[1], nice[0]);
	assert_int_equal(getpriority(PRIO_PROCESS, (id_t)gettid()), before);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_parse),
		cmocka_unit_test(test_time_reject),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_nations_audiences),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_buf),
		cmocka_unit_test(test_fmt_g15),
		cmocka_unit_test(test_json_string),
		cmocka_unit_test(test_err),
		cmocka_unit_test(test_thread_background),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
