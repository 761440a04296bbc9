/*
** Unit tests of util/json: values, escapes, numbers, rejections with their
** messages, truncated input read from exact-size buffers (for ASan), and
** agreement with jansson's json_loadb.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/json.h"

/* Parse n bytes of s from an exact-size heap copy, so ASan sees overreads. */
static int
parsen(const char *s, size_t n, json_t **out, struct dib_diag *d)
{
	char *copy = malloc(n ? n : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, s, n);
	rc = util_json_parse(copy, n, "json", out, d);
	free(copy);
	return rc;
}

/* s must parse; the caller releases the value. */
static json_t *
ok(const char *s)
{
	struct dib_diag d = {0};
	json_t *j = NULL;
	int rc;

	rc = parsen(s, strlen(s), &j, &d);
	if (rc != 0)
		fail_msg("%s: %s", s, d.msg);
	assert_non_null(j);
	return j;
}

/* s must fail with code and a message that contains part. */
static void
bad(const char *s, size_t n, int code, const char *part)
{
	struct dib_diag d = {0};
	json_t *j = (json_t *)&d;

	assert_int_equal(parsen(s, n, &j, &d), code);
	assert_null(j);
	assert_int_equal(d.code, code);
	assert_string_equal(d.field, "json");
	if (strstr(d.msg, part) == NULL)
		fail_msg("%s: message \"%s\" lacks \"%s\"", s, d.msg, part);
}

#define BAD(s, part) bad(s, sizeof s - 1, DIB_EINVAL, part)

/* An e with an acute accent, in UTF-8. */
#define E1 "\xc3\xa9"
#define E5 E1 E1 E1 E1 E1

static void
test_scalars(void **state)
{
	json_t *j;

	(void)state;
	j = ok("null");
	assert_true(json_is_null(j));
	json_decref(j);
	j = ok(" \t\r\ntrue\n");
	assert_true(json_is_true(j));
	json_decref(j);
	j = ok("false");
	assert_true(json_is_false(j));
	json_decref(j);
	j = ok("0");
	assert_true(json_is_integer(j));
	assert_int_equal(json_integer_value(j), 0);
	json_decref(j);
	j = ok("-0");
	assert_true(json_is_integer(j));
	assert_int_equal(json_integer_value(j), 0);
	json_decref(j);
	j = ok("-17");
	assert_int_equal(json_integer_value(j), -17);
	json_decref(j);
	j = ok("1.5");
	assert_true(json_is_real(j));
	assert_true(json_real_value(j) == 1.5);
	json_decref(j);
	j = ok("-0.0");
	assert_true(json_is_real(j));
	assert_true(json_real_value(j) == 0 && signbit(json_real_value(j)));
	json_decref(j);
	j = ok("-1.5E3");
	assert_true(json_real_value(j) == -1500);
	json_decref(j);
	j = ok("\"abc\"");
	assert_string_equal(json_string_value(j), "abc");
	json_decref(j);
	j = ok("\"\"");
	assert_int_equal(json_string_length(j), 0);
	json_decref(j);
	j = ok("[]");
	assert_int_equal(json_array_size(j), 0);
	json_decref(j);
	j = ok("{ }");
	assert_int_equal(json_object_size(j), 0);
	json_decref(j);
	/* UTF-8 and DEL pass through unchanged. */
	j = ok("\"Signal\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \x7f\"");
	assert_string_equal(json_string_value(j),
	    "Signal\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \x7f");
	json_decref(j);
}

static void
test_numbers(void **state)
{
	static const char *reals[] = {
		"0.1", "-12.22815", "14.43097", "59.93", "1e22", "1e23",
		"9007199254740993.0", "9007199254740992e1",
		"1.7976931348623157e308",
		"4.9e-324", "2.2250738585072014e-308", "123456789012345678.9",
		"0.1000000000000000055511151231257827021181583404541015625",
		"1e-22", "1e-23", "3.14159265358979323846264338327950288",
		"0.000001", "1E+2", "1e-0", "100000000000000000000000000000",
		"-9223372036854775809", "18446744073709551616",
	};
	struct dib_diag d;
	json_t *j;
	size_t i;

	(void)state;
	j = ok("9223372036854775807");
	assert_true(json_is_integer(j));
	assert_true(json_integer_value(j) == INT64_MAX);
	json_decref(j);
	j = ok("-9223372036854775808");
	assert_true(json_is_integer(j));
	assert_true(json_integer_value(j) == INT64_MIN);
	json_decref(j);
	j = ok("9223372036854775808");
	assert_true(json_is_real(j));
	assert_true(json_real_value(j) == 9223372036854775808.0);
	json_decref(j);
	j = ok("1e-400");
	assert_true(json_is_real(j));
	assert_true(json_real_value(j) == 0);
	json_decref(j);
	j = ok("1.0");
	assert_true(json_is_real(j));
	json_decref(j);
	/* Fast path or strtod, the double is the correctly rounded one. */
	for (i = 0; i < sizeof reals / sizeof reals[0]; i++) {
		j = ok(reals[i]);
		assert_true(json_is_real(j));
		if (json_real_value(j) != strtod(reals[i], NULL))
			fail_msg("%s: got %.17g", reals[i],
			    json_real_value(j));
		json_decref(j);
	}
	BAD("1e400", "too large for a double");
	BAD("-1e400", "number -1e400 is too large for a double");
	BAD("1797693134862315799999999999999999999999999999999999999999999"
	    "99999999999999999999999999999999999999999999999999999999999999"
	    "99999999999999999999999999999999999999999999999999999999999999"
	    "99999999999999999999999999999999999999999999999999999999999999"
	    "99999999999999999999999999999999999999999999999999999999999999"
	    "9999999999999999", "too large for a double");
	BAD("01", "leading zero");
	BAD("-01", "leading zero");
	BAD("[00]", "leading zero");
	BAD("-", "expected a digit after '-', got end of input");
	BAD("-a", "expected a digit after '-', got 'a'");
	BAD("1.", "expected a digit after '.'");
	BAD("1.e5", "expected a digit after '.'");
	BAD("1e", "expected a digit in the exponent");
	BAD("1e+", "expected a digit in the exponent");
	BAD("+1", "expected a value, got '+'");
	BAD(".5", "expected a value, got '.'");
	BAD("NaN", "expected a value, got 'N'");
	BAD("Infinity", "expected a value");
	BAD("-Infinity", "expected a digit after '-'");
	BAD("0x10", "expected the end after the JSON value, got 'x'");
	/* The position of a number error is its start. */
	assert_int_equal(parsen("[1, 2e999]", 10, &j, &d), DIB_EINVAL);
	assert_string_equal(d.msg, "line 1, column 5 (byte 4): number 2e999 "
	    "is too large for a double");
}

static void
test_locale(void **state)
{
	static const char *names[] = {"fr_FR.UTF-8", "de_DE.UTF-8",
	    "fr_FR.utf8", "de_DE.utf8"};
	const char *old;
	char saved[64];
	json_t *j;
	size_t i;

	(void)state;
	old = setlocale(LC_NUMERIC, NULL);
	snprintf(saved, sizeof saved, "%s", old ? old : "C");
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (setlocale(LC_NUMERIC, names[i]) != NULL)
			break;
	/* With a decimal comma, the slow path must still read '.'. */
	j = ok("1.2345678901234567890123e-300");
	assert_true(json_real_value(j) > 1.2345e-300 &&
	    json_real_value(j) < 1.2346e-300);
	json_decref(j);
	setlocale(LC_NUMERIC, saved);
}

static void
test_nesting(void **state)
{
	char deep[5 * 65];
	struct dib_diag d;
	json_t *j, *v;
	int i;

	(void)state;
	j = ok("{\"a\":[1,{\"b\":[[],{}]},[true,null]],\"c\":{\"d\":\"e\"}}");
	v = json_object_get(j, "a");
	assert_int_equal(json_array_size(v), 3);
	v = json_object_get(json_array_get(v, 1), "b");
	assert_int_equal(json_array_size(v), 2);
	assert_true(json_is_object(json_array_get(v, 1)));
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(j, "c"), "d")), "e");
	json_decref(j);

	/* 64 levels are allowed, 65 are not. */
	for (i = 0; i < 64; i++) {
		deep[i] = '[';
		deep[64 + i] = ']';
	}
	j = NULL;
	assert_int_equal(parsen(deep, 128, &j, &d), 0);
	json_decref(j);
	for (i = 0; i < 65; i++) {
		deep[i] = '[';
		deep[65 + i] = ']';
	}
	bad(deep, 130, DIB_ETOOBIG, "line 1, column 65 (byte 64): arrays "
	    "and objects nested deeper than 64");
	for (i = 0; i < 65; i++)
		memcpy(deep + 5 * i, "{\"a\":", 5);
	bad(deep, sizeof deep, DIB_ETOOBIG, "(byte 320): arrays and objects");
}

static void
test_key_order(void **state)
{
	static const char *keys[] = {"zulu", "alpha", "mike", "bravo", "x",
	    "", "\xc3\xa9t\xc3\xa9"};
	const char *k;
	json_t *j, *v;
	size_t i = 0;

	(void)state;
	j = ok("{\"zulu\":1,\"alpha\":2,\"mike\":3,\"bravo\":4,\"x\":5,"
	    "\"\":6,\"\\u00e9t\\u00e9\":7}");
	json_object_foreach(j, k, v) {
		assert_string_equal(k, keys[i]);
		assert_int_equal(json_integer_value(v), (long long)i + 1);
		i++;
	}
	assert_int_equal(i, 7);
	json_decref(j);
}

static void
test_escapes(void **state)
{
	char big[3000], want[3000];
	json_t *j, *v;
	size_t i, n;

	(void)state;
	j = ok("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0041 \\u00e9 \\u20AC "
	    "\\uD83D\\uDE00 \\ud834\\udd1e\"");
	assert_string_equal(json_string_value(j), "\" \\ / \b \f \n \r \t "
	    "A \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf0\x9d\x84\x9e");
	json_decref(j);
	j = ok("\"\\u007F\\u0080\\u07FF\\u0800\\uFFFF\\uDBFF\\uDFFF\"");
	assert_string_equal(json_string_value(j), "\x7f\xc2\x80\xdf\xbf"
	    "\xe0\xa0\x80\xef\xbf\xbf\xf4\x8f\xbf\xbf");
	json_decref(j);

	/* An escaped key outlives the escaped value parsed after it. */
	j = ok("{\"k\\u0031\":\"v\\u0031\",\"k\\n\":[\"\\t\"]}");
	assert_string_equal(json_string_value(json_object_get(j, "k1")),
	    "v1");
	v = json_object_get(j, "k\n");
	assert_string_equal(json_string_value(json_array_get(v, 0)), "\t");
	json_decref(j);

	/* Unescaping grows past its first buffer. */
	n = 0;
	big[n++] = '"';
	for (i = 0; i < 900; i++) {
		memcpy(big + n, i % 3 ? "ab" : "\\n", 2);
		n += 2;
	}
	big[n++] = '"';
	assert_int_equal(parsen(big, n, &j, NULL), 0);
	for (i = 0, n = 0; i < 900; i++) {
		want[n++] = i % 3 ? 'a' : '\n';
		if (i % 3)
			want[n++] = 'b';
	}
	assert_int_equal(json_string_length(j), n);
	assert_memory_equal(json_string_value(j), want, n);
	json_decref(j);
}

/* A special byte at each offset of a long string, for the 8-byte scan. */
static void
test_scan_offsets(void **state)
{
	char s[64];
	json_t *j;
	size_t i;

	(void)state;
	for (i = 1; i < 40; i++) {
		memset(s, 'a', sizeof s);
		s[0] = '"';
		s[i] = '"';
		j = NULL;
		assert_int_equal(parsen(s, i + 1, &j, NULL), 0);
		assert_int_equal(json_string_length(j), i - 1);
		json_decref(j);

		memset(s, 'a', sizeof s);
		s[0] = '"';
		s[i] = '\x1f';
		s[50] = '"';
		bad(s, 51, DIB_EINVAL, "control character 0x1F in a string");

		s[i] = '\xc3';
		s[i + 1] = '\xa9';
		j = NULL;
		assert_int_equal(parsen(s, 51, &j, NULL), 0);
		assert_int_equal(json_string_length(j), 49);
		assert_memory_equal(json_string_value(j) + i - 1, "\xc3\xa9",
		    2);
		json_decref(j);

		s[i] = '\xa9';
		bad(s, 51, DIB_EINVAL, "invalid UTF-8");

		s[i] = '\\';
		s[i + 1] = 't';
		j = NULL;
		assert_int_equal(parsen(s, 51, &j, NULL), 0);
		assert_int_equal(json_string_value(j)[i - 1], '\t');
		json_decref(j);
	}
}

static void
test_rejections(void **state)
{
	struct dib_diag d;
	json_t *j;

	(void)state;
	BAD("", "line 1, column 1 (byte 0): no JSON value (empty input)");
	BAD(" \n ", "line 2, column 2 (byte 3): no JSON value (only white");
	BAD("[1,2,]", "line 1, column 5 (byte 4): trailing comma before ']'");
	BAD("{\"a\":1,}", "trailing comma before '}'");
	BAD("[1,,2]", "expected a value, got ','");
	BAD("[,1]", "expected a value, got ','");
	BAD("[1 2]", "expected ',' or ']' after an array element, got '2'");
	BAD("{\"a\":1 \"b\":2}", "expected ',' or '}' after an object member");
	BAD("{\"abcdefghijklm\"1}", "line 1, column 17 (byte 16): expected "
	    "':' after an object key, got '1'");
	BAD("{1:2}", "expected a string key or '}', got '1'");
	BAD("{'a':2}", "expected a string key or '}', got '''");
	BAD("{\"a\":}", "expected a value, got '}'");
	BAD("\"\\x\"", "line 1, column 2 (byte 1): invalid escape '\\x'");
	BAD("\"\\u12\"", "invalid \\u escape");
	BAD("\"\\u12G4\"", "invalid \\u escape");
	BAD("\"\\uD800\"", "lone surrogate \\uD800");
	BAD("\"\\uD800x\"", "lone surrogate \\uD800");
	BAD("\"\\uD800\\u0041\"", "lone surrogate \\uD800");
	BAD("\"\\uD800\\uD800\"", "lone surrogate \\uD800");
	BAD("\"\\uDBFF\\uE000\"", "lone surrogate \\uDBFF");
	BAD("\"\\uDC00\"", "lone surrogate \\uDC00");
	BAD("\"\\u0000\"", "\\u0000 is not allowed");
	BAD("{\"\\u0000\":1}", "\\u0000 is not allowed");
	BAD("\"\xff\"", "invalid UTF-8 in a string (byte 0xFF)");
	BAD("\"\xc0\xaf\"", "invalid UTF-8");
	BAD("\"\xe0\x80\xaf\"", "invalid UTF-8");
	BAD("\"\xed\xa0\x80\"", "invalid UTF-8");
	BAD("\"\xf4\x90\x80\x80\"", "invalid UTF-8");
	BAD("\"\xe2\x82\"", "invalid UTF-8");
	BAD("\"\xe2\x82", "invalid UTF-8");
	BAD("\"a\nb\"", "line 1, column 3 (byte 2): control character 0x0A");
	BAD("\"\t\"", "control character 0x09");
	BAD("\"a\0b\"", "control character 0x00");
	BAD("\0", "expected a value, got control character 0x00");
	BAD("\xef\xbb\xbf{}", "expected a value, got byte 0xEF");
	BAD("{\"a\":1,\"b\":2,\"a\":3}", "line 1, column 14 (byte 13): "
	    "duplicate key \"a\"");
	BAD("{\"a\":1,\"\\u0061\":2}", "duplicate key \"a\"");
	BAD("{\"a\\nb\":1,\"a\\nb\":2}", "duplicate key \"a?b\"");
	/* A long key is cut, between two characters. */
	BAD("{\"a" E5 E5 E5 E5 "z\":1,\"a" E5 E5 E5 E5 "z\":2}",
	    "duplicate key \"a" E5 E5 E5 E1 E1 E1 E1 "...\"");
	BAD("[1] x", "expected the end after the JSON value, got 'x'");
	BAD("1 2", "expected the end after the JSON value, got '2'");
	BAD("{}{}", "expected the end");
	BAD("nul", "invalid literal");
	BAD("True", "expected a value, got 'T'");
	BAD("truex", "expected the end after the JSON value, got 'x'");
	BAD("[fals]", "invalid literal");
	BAD("/* c */ 1", "expected a value, got '/'");
	BAD("\"abc", "line 1, column 5 (byte 4): unterminated string");
	BAD("\"abc\\", "unterminated string");
	BAD("[", "expected a value, got end of input");
	BAD("{", "expected a string key or '}', got end of input");
	BAD("{\"a\"", "expected ':' after an object key, got end of input");
	BAD("[\"\xc3\xa9\", x]", "line 1, column 7 (byte 7): expected a value");
	BAD("{\n  \"a\": 1,\n  \"b\" 2\n}", "line 3, column 7 (byte 18): "
	    "expected ':'");

	/* The whole diagnostic, and d may be NULL. */
	assert_int_equal(util_json_parse("{\"a\" 1}", 7, "body", &j, &d),
	    DIB_EINVAL);
	assert_null(j);
	assert_string_equal(d.field, "body");
	assert_string_equal(d.msg, "line 1, column 6 (byte 5): expected ':' "
	    "after an object key, got '1'");
	assert_int_equal(util_json_parse("[1,]", 4, NULL, &j, NULL),
	    DIB_EINVAL);
	assert_null(j);
	assert_int_equal(util_json_parse(NULL, 0, "json", &j, &d),
	    DIB_EINVAL);
	assert_int_equal(util_json_parse("1", UTIL_JSON_MAX_LEN + 1, "json",
	    &j, &d), DIB_ETOOBIG);
	assert_null(j);
}

/* Every proper prefix of a document fails cleanly, within its bytes. */
static void
test_truncated(void **state)
{
	static const char doc[] = "{\"category\":\"security.smuggling.fuel\","
	    "\"observed_at\":\"2025-02-20T00:39:55Z\",\"geometry\":{\"type\":"
	    "\"Point\",\"coordinates\":[-12.22815,14.43097e+0]},"
	    "\"attributes\":{\"remarks\":\"Signal\xc3\xa9 \\\"mixte\\\" "
	    "\\u00e9\\uD83D\\uDE00 \xf0\x9f\x98\x80\",\"seized\":false,"
	    "\"ok\":true,\"none\":null,\"quantity\":59.93,\"n\":-0,"
	    "\"big\":12345678901234567890,\"e\":1E-5},\"list\":[[],{},[1]],"
	    "\"audience\":\"SN\"}";
	struct dib_diag d;
	json_t *j, *ref;
	size_t n;

	(void)state;
	ref = ok(doc);
	for (n = 0; n < sizeof doc - 1; n++) {
		j = (json_t *)&d;
		d.msg[0] = '\0';
		assert_int_equal(parsen(doc, n, &j, &d), DIB_EINVAL);
		assert_null(j);
		assert_true(d.msg[0] != '\0');
		assert_int_equal(parsen(doc, n, &j, NULL), DIB_EINVAL);
	}
	assert_int_equal(parsen(doc, n, &j, &d), 0);
	assert_true(json_equal(j, ref));
	json_decref(j);
	json_decref(ref);
}

static void
test_round_trip(void **state)
{
	static const char *docs[] = {
		"{\"a\":[1,-2.5,1e300,\"\\u00e9\\n\",true,false,null],"
		    "\"b\":{}}",
		"[\"\\uD83D\\uDE00\",\"\\\"\\\\\\/\\b\\f\\r\\t\\u001f\",0.1]",
		"-9223372036854775808", "\"\\u2028\\u2029\"", "[[[[[]]]]]",
	};
	json_t *a, *b;
	char *text;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof docs / sizeof docs[0]; i++) {
		a = ok(docs[i]);
		text = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
		assert_non_null(text);
		b = ok(text);
		assert_true(json_equal(a, b));
		free(text);
		json_decref(a);
		json_decref(b);
	}
}

/*
** Both parsers accept or both reject each input, and agree on the value.
** Excluded on purpose: integers outside int64 (jansson fails, we give a
** real) and nesting deeper than 64 (we fail, jansson allows 2048).
*/
static void
test_jansson_agreement(void **state)
{
	static const char *inputs[] = {
		"null", "true", "false", "0", "-0", "1", "-1", "123", "1.5",
		"-0.0", "1e5", "1E+5", "1e-5", "0.5e-3", "1e-400", "1e400",
		"9223372036854775807", "-9223372036854775808", "\"\"", "\"a\"",
		"\"\\u00e9\"", "\"\\uD83D\\uDE00\"", "\"\\uD800\"",
		"\"\\uDC00\"",
		"\"\\u0000\"", "\"\\x\"", "\"\\u12\"", "\"a\tb\"", "\"\x7f\"",
		"\"\xc3\xa9\"", "\"\xc3\"", "\"\xff\"", "\"\xed\xa0\x80\"",
		"\"\xf4\x90\x80\x80\"", "\"\xf0\x9f\x98\x80\"", "[]", "{}",
		"[1,2,3]", "[1,2,]", "[,]", "[1 2]", "{\"a\":1}", "{\"a\":1,}",
		"{\"a\" 1}", "{\"a\":1,\"a\":2}", "{\"a\":1,\"\\u0061\":2}",
		"{\"a\":{\"a\":1}}", "{1:1}", "01", "-01", "00", "1.", ".1",
		"+1", "-", "1e", "1e+", "1.5e+3", "NaN", "Infinity", "nul",
		"nullx", "truefalse", "[true,false,null]", "  [ 1 , 2 ]  ",
		"[1] x", "1 2", "", " ", "{\"a\":[{\"b\":[{}]}]}", "\"abc",
		"[\"a\",{\"b\":-1.25e-2}]", "\xef\xbb\xbf[]", "/**/1", "[1]//",
		"\"\\/\\b\\f\\n\\r\\t\\\"\\\\\"", "{\"\":0}",
		"[\"\\uDBFF\\uDFFF\"]",
		"[\"\\uD800\\uDBFF\"]", "{\"a\":1 \"b\":2}", "[[[[[[[[]]]]]]]]",
		"1.7976931348623157e308", "1.7976931348623159e308", "4.9e-324",
		"[-]", "[0.]", "[1e]", "{\"a\":}", "{,}", "[\"a\"\"b\"]",
		"\"\\uD83D\\u0041\"", "\"\\uD83D\\uE000\"",
		"12345678901234567890.5",
	};
	json_error_t je;
	json_t *ours, *theirs;
	size_t i, n;
	int rc;

	(void)state;
	assert_true(sizeof inputs / sizeof inputs[0] >= 50);
	for (i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
		n = strlen(inputs[i]);
		rc = parsen(inputs[i], n, &ours, NULL);
		theirs = json_loadb(inputs[i], n, JSON_DECODE_ANY |
		    JSON_REJECT_DUPLICATES, &je);
		if ((rc == 0) != (theirs != NULL))
			fail_msg("%s: ours %d, jansson %s", inputs[i], rc,
			    theirs ? "accepts" : je.text);
		if (rc == 0 && !json_equal(ours, theirs))
			fail_msg("%s: different values", inputs[i]);
		json_decref(ours);
		json_decref(theirs);
	}

	/* The known differences. */
	assert_int_equal(parsen("9223372036854775808", 19, &ours, NULL), 0);
	assert_null(json_loadb("9223372036854775808", 19, JSON_DECODE_ANY,
	    &je));
	json_decref(ours);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_locale),
		cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_key_order),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_scan_offsets),
		cmocka_unit_test(test_rejections),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_jansson_agreement),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
