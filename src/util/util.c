/*
** Times, ids, hex, randomness, nations, audiences and files.
*/
#include "util/util.h"

#include <ctype.h>
#include <math.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

/* ---- time ---- */

static int64_t
days_from_civil(int64_t y, int m, int d)
{
	/* Howard Hinnant's algorithm: exact for the proleptic Gregorian. */
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
digits(const char *s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

size_t
util_strlcpy(char *dst, const char *src, size_t n)
{
	size_t len = strlen(src);
	size_t k = len < n ? len : n - 1;

	memcpy(dst, src, k);
	dst[k] = '\0';
	return len;
}

/*
** If q / 10^k == |x| exactly (both rounded once, so x is the double
** nearest the decimal D = q / 10^k) and q < 10^15, D has at most 15
** significant digits and |x - D| <= 2^-53 |x|, less than half a step of
** the 15-digit grid at |x| (over 5e-16 |x|): "%.15g" rounds x to D. For
** 1e-4 <= |x| < 1e15 it writes D in fixed notation, without trailing
** zeros; the first k that fits has none.
*/
int
util_fmt_g15(double x, char *out)
{
	static const double p10[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7};
	double a = fabs(x);
	int k;

	if (!isfinite(x))
		return -1;
	if (a >= 1e-4 && a < 1e15) {
		for (k = 0; k < 8; k++) {
			double s = a * p10[k];
			uint64_t q;
			char tmp[32], *p = tmp + sizeof tmp;
			int i, n;

			if (s >= 1e15)
				break;
			q = (uint64_t)(s + 0.5);
			if ((double)q / p10[k] != a)
				continue;
			for (i = 0; i < k; i++) {
				*--p = (char)('0' + q % 10);
				q /= 10;
			}
			if (k > 0)
				*--p = '.';
			do
				*--p = (char)('0' + q % 10);
			while ((q /= 10) > 0);
			if (x < 0)
				*--p = '-';
			n = (int)(tmp + sizeof tmp - p);
			memcpy(out, p, (size_t)n);
			out[n] = '\0';
			return n;
		}
	}
	return snprintf(out, 32, "%.15g", x);
}

int
util_time_parse(const char *s, int64_t *ms, const char *field,
    struct dib_diag *d)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31};
	int y, mo, da, h, mi, se, oh = 0, om = 0, frac = 0, sign = 0;
	const char *p;
	int64_t t;

	*ms = 0;
	if (s == NULL || strlen(s) < 20)
		goto bad;
	if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &da) ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) ||
	    s[16] != ':' || digits(s + 17, 2, &se))
		goto bad;
	p = s + 19;
	if (*p == '.') {
		int n = 0, scale = 100;

		for (p++; isdigit((unsigned char)*p); p++, n++) {
			frac += (*p - '0') * scale;
			scale /= 10;
		}
		if (n == 0)
			goto bad;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (digits(p + 1, 2, &oh) || p[3] != ':' ||
		    digits(p + 4, 2, &om) || oh > 23 || om > 59)
			goto bad;
		p += 6;
	} else {
		goto bad;
	}
	if (*p != '\0')
		goto bad;
	if (y < 1900 || y > 2200)
		return dib_fail(d, DIB_EINVAL, field,
		    "year %d is out of range 1900-2200 in \"%s\"", y, s);
	if (mo < 1 || mo > 12 || da < 1 ||
	    da > mdays[mo - 1] + (mo == 2 && is_leap(y)) || h > 23 ||
	    mi > 59 || se > 60)
		return dib_fail(d, DIB_EINVAL, field,
		    "no such date or time: \"%s\"", s);
	if (se == 60)
		se = 59; /* A leap second is held as the second before it. */
	t = days_from_civil(y, mo, da) * 86400 + h * 3600 + mi * 60 + se;
	t -= sign * (oh * 3600 + om * 60);
	*ms = t * 1000 + frac;
	return DIB_OK;
bad:
	return dib_fail(d, DIB_EINVAL, field,
	    "must be an RFC 3339 time like 2025-02-20T08:00:00Z, got \"%.60s\"",
	    s ? s : "");
}

static char *
put_digits(char *p, int v, int n)
{
	while (n-- > 0) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
	return p;
}

char *
util_time_format(int64_t ms, char *out, size_t n)
{
	int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
	int frac = (int)(ms - secs * 1000);
	int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	int rem = (int)(secs - days * 86400);
	char s[32];
	int y, m, d;

	/* By hand: this runs for every record encoded. */
	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999) {
		snprintf(out, n, "%s", "0000-00-00T00:00:00Z");
		return out;
	}
	memcpy(s, "0000-00-00T00:00:00.000Z", 25);
	put_digits(s, y, 4);
	put_digits(s + 5, m, 2);
	put_digits(s + 8, d, 2);
	put_digits(s + 11, rem / 3600, 2);
	put_digits(s + 14, rem / 60 % 60, 2);
	put_digits(s + 17, rem % 60, 2);
	if (frac) {
		put_digits(s + 20, frac, 3);
	} else {
		s[19] = 'Z';
		s[20] = '\0';
	}
	if (n > 0) {
		size_t len = strlen(s) < n - 1 ? strlen(s) : n - 1;

		memcpy(out, s, len);
		out[len] = '\0';
	}
	return out;
}

int64_t
util_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
util_day_of(int64_t ms)
{
	return ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
}

/* ---- UTF-8 ---- */

int
util_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	while (p < end) {
		unsigned c = *p;
		size_t k;
		unsigned cp;

		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			k = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			k = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 3, cp = c & 0x07;
		else
			return 0;
		if ((size_t)(end - p) <= k)
			return 0;
		for (size_t i = 1; i <= k; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((k == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
		    || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		p += k + 1;
	}
	return 1;
}

/* ---- randomness ---- */

void
util_random(void *p, size_t n)
{
	/* One getrandom() per 4 KiB instead of one per id keeps bulk ingest
	 * fast; the pool is wiped as it is consumed. */
	static _Thread_local uint8_t pool[4096];
	static _Thread_local size_t left;
	uint8_t *out = p;

	if (n > sizeof pool / 4) {
		randombytes_buf(p, n);
		return;
	}
	while (n > 0) {
		size_t take;

		if (left == 0) {
			randombytes_buf(pool, sizeof pool);
			left = sizeof pool;
		}
		take = n < left ? n : left;
		memcpy(out, pool + sizeof pool - left, take);
		sodium_memzero(pool + sizeof pool - left, take);
		left -= take;
		out += take;
		n -= take;
	}
}

/* ---- UUIDv7 ---- */

void
util_uuid7(int64_t ms, uint8_t out[16])
{
	/* RFC 9562 method 1: a 12-bit counter in rand_a, seeded randomly
	 * each new ms, keeps ids from one thread sorted. */
	static _Thread_local int64_t last_ms = -1;
	static _Thread_local unsigned counter;
	int i;

	if (ms <= last_ms) {
		ms = last_ms;
		if (++counter > 0xfff) {
			ms = ++last_ms;
			counter = 0;
		}
	} else {
		uint8_t r[2];

		util_random(r, 2);
		counter = ((unsigned)r[0] << 4 | r[1] >> 4) & 0x7ff;
		last_ms = ms;
	}
	for (i = 0; i < 6; i++)
		out[i] = (uint8_t)((uint64_t)ms >> (40 - 8 * i));
	out[6] = (uint8_t)(0x70 | (counter >> 8));
	out[7] = (uint8_t)counter;
	util_random(out + 8, 8);
	out[8] = (uint8_t)(0x80 | (out[8] & 0x3f));
}

int64_t
util_uuid7_time(const uint8_t id[16])
{
	int64_t t = 0;
	int i;

	for (i = 0; i < 6; i++)
		t = t << 8 | id[i];
	return t;
}

char *
util_uuid_format(const uint8_t id[16], char out[37])
{
	static const char hx[] = "0123456789abcdef";
	int i, j = 0;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[j++] = '-';
		out[j++] = hx[id[i] >> 4];
		out[j++] = hx[id[i] & 15];
	}
	out[j] = '\0';
	return out;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
util_uuid_parse(const char *s, uint8_t out[16])
{
	int i, j = 0;

	if (s == NULL || strlen(s) != 36)
		return DIB_EINVAL;
	for (i = 0; i < 36;) {
		int a, b;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return DIB_EINVAL;
			i++;
			continue;
		}
		a = hexval(s[i]);
		b = hexval(s[i + 1]);
		if (a < 0 || b < 0)
			return DIB_EINVAL;
		out[j++] = (uint8_t)(a << 4 | b);
		i += 2;
	}
	return DIB_OK;
}

/* ---- hex ---- */

char *
util_hex(const uint8_t *p, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * n] = '\0';
	return out;
}

int
util_unhex(const char *s, uint8_t *out, size_t n)
{
	size_t i;

	if (s == NULL || strlen(s) != 2 * n)
		return DIB_EINVAL;
	for (i = 0; i < n; i++) {
		int a = hexval(s[2 * i]), b = hexval(s[2 * i + 1]);

		if (a < 0 || b < 0)
			return DIB_EINVAL;
		out[i] = (uint8_t)(a << 4 | b);
	}
	return DIB_OK;
}

/* ---- nations and audiences ---- */

static const struct {
	const char *code;
	const char *name;
} nations[] = {
#include "util/nation_table.inc"
};

/* The table is sorted by code: a binary search on the two letters. */
const char *
util_nation_name(const char *code)
{
	size_t lo = 0, hi = sizeof nations / sizeof nations[0];
	unsigned key;

	if (code == NULL || code[0] == '\0' || code[1] == '\0' ||
	    code[2] != '\0')
		return NULL;
	key = (unsigned)(unsigned char)code[0] << 8 | (unsigned char)code[1];
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *c = nations[mid].code;
		unsigned k = (unsigned)(unsigned char)c[0] << 8 |
		    (unsigned char)c[1];

		if (k == key)
			return nations[mid].name;
		if (key < k)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

int
util_nation_valid(const char *code)
{
	return util_nation_name(code) != NULL;
}

int
util_nation_norm(const char *s, char out[3])
{
	out[0] = '\0';
	if (s == NULL || strlen(s) != 2)
		return -1;
	out[0] = (char)toupper((unsigned char)s[0]);
	out[1] = (char)toupper((unsigned char)s[1]);
	out[2] = '\0';
	if (!util_nation_valid(out)) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

int
util_audience_parse(const char *s, char *out, struct dib_diag *d)
{
	char codes[UTIL_AUDIENCE_MAX][3];
	int n = 0, i;
	const char *p = s;

	out[0] = '\0';
	if (s == NULL || *s == '\0')
		return dib_fail(d, DIB_EINVAL, "audience",
		    "must name at least one nation, e.g. SN or SN,ML");
	while (*p) {
		char c[3];
		int k = 0;

		while (*p == ' ')
			p++;
		while (*p && *p != ',' && *p != ' ' && k < 3)
			c[k++ & 3] = (char)toupper((unsigned char)*p++);
		while (*p == ' ')
			p++;
		if (k != 2 || (*p && *p != ','))
			return dib_fail(d, DIB_EINVAL, "audience",
			    "\"%.40s\" is not a list of ISO 3166 alpha-2 codes "
			    "like SN,ML", s);
		c[2] = '\0';
		if (!util_nation_valid(c))
			return dib_fail(d, DIB_EINVAL, "audience",
			    "unknown nation \"%s\" (ISO 3166-1 alpha-2)", c);
		for (i = 0; i < n; i++)
			if (strcmp(codes[i], c) == 0)
				return dib_fail(d, DIB_EINVAL, "audience",
				    "nation %s is named twice", c);
		if (n == UTIL_AUDIENCE_MAX)
			return dib_fail(d, DIB_EINVAL, "audience",
			    "more than %d nations", UTIL_AUDIENCE_MAX);
		memcpy(codes[n++], c, 3);
		if (*p == ',') {
			p++;
			if (*p == '\0')
				return dib_fail(d, DIB_EINVAL, "audience",
				    "trailing comma in \"%.40s\"", s);
		}
	}
	if (n == 0)
		return dib_fail(d, DIB_EINVAL, "audience",
		    "must name at least one nation, e.g. SN or SN,ML");
	/* Sorted by insertion: a few codes. */
	for (i = 1; i < n; i++) {
		char c[3];
		int j;

		memcpy(c, codes[i], 3);
		for (j = i; j > 0 && strcmp(codes[j - 1], c) > 0; j--)
			memcpy(codes[j], codes[j - 1], 3);
		memcpy(codes[j], c, 3);
	}
	for (i = 0; i < n; i++) {
		if (i)
			out[3 * i - 1] = ',';
		memcpy(out + 3 * i, codes[i], 3);   /* with its NUL */
	}
	return DIB_OK;
}

int
util_audience_has(const char *a, const char *nation)
{
	size_t i, n = strlen(a);

	for (i = 0; i + 1 < n; i += 3)
		if (a[i] == nation[0] && a[i + 1] == nation[1])
			return 1;
	return 0;
}

int
util_audience_subset(const char *sub, const char *sup)
{
	size_t i, n = strlen(sub);

	for (i = 0; i + 1 < n; i += 3) {
		char c[3] = {sub[i], sub[i + 1], '\0'};

		if (!util_audience_has(sup, c))
			return 0;
	}
	return 1;
}

/* ---- files ---- */

int
util_read_file(const char *path, size_t max, char **out, size_t *len,
    struct dib_diag *d)
{
	FILE *f = NULL;
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int rc = DIB_OK;

	*out = NULL;
	*len = 0;
	if (strcmp(path, "-") == 0)
		f = stdin;
	else if ((f = fopen(path, "rb")) == NULL)
		return dib_fail(d, errno == ENOENT ? DIB_ENOTFOUND : DIB_EIO,
		    "file", "cannot open %s: %s", path, strerror(errno));
	for (;;) {
		size_t got;

		if (n + 4096 + 1 > cap) {
			char *nb;

			cap = cap ? cap * 2 : 8192;
			if ((nb = realloc(buf, cap)) == NULL) {
				rc = dib_fail(d, DIB_ENOMEM, "file",
				    "out of memory reading %s", path);
				goto out;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (n > max) {
			rc = dib_fail(d, DIB_ETOOBIG, "file",
			    "%s is larger than %zu bytes", path, max);
			goto out;
		}
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		rc = dib_fail(d, DIB_EIO, "file", "cannot read %s", path);
		goto out;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
out:
	free(buf);
	if (f != NULL && f != stdin)
		fclose(f);
	return rc;
}

int
util_write_file(const char *path, const void *p, size_t n, int mode,
    struct dib_diag *d)
{
	char tmp[4096];
	int fd;

	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
		return dib_fail(d, DIB_EINVAL, "path", "path too long");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return dib_fail(d, DIB_EIO, "file", "cannot create %s: %s", tmp,
		    strerror(errno));
	if (fchmod(fd, (mode_t)mode) != 0 ||
	    write(fd, p, n) != (ssize_t)n || fsync(fd) != 0) {
		int e = errno;

		close(fd);
		unlink(tmp);
		return dib_fail(d, DIB_EIO, "file", "cannot write %s: %s", tmp,
		    strerror(e));
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		int e = errno;

		unlink(tmp);
		return dib_fail(d, DIB_EIO, "file", "cannot rename %s: %s",
		    tmp, strerror(e));
	}
	return DIB_OK;
}

void
util_thread_background(void)
{
	id_t tid = (id_t)gettid();
	int now;

	errno = 0;
	now = getpriority(PRIO_PROCESS, tid);
	if (errno == 0 && now < UTIL_BACKGROUND_NICE)
		(void)setpriority(PRIO_PROCESS, tid, UTIL_BACKGROUND_NICE);
}
