/*
** Small pieces every module uses: RFC 3339 times, UUIDv7 ids, hex, a
** buffered random source, ISO 3166 nations, audiences and file reading.
*/
#ifndef DIB_UTIL_H
#define DIB_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Times are int64 milliseconds since 1970-01-01T00:00:00Z. */

/*
** Parse an RFC 3339 date-time ("2025-02-20T08:00:00Z",
** "2025-02-20T09:00:00.250+01:00"); the calendar date must exist.
** field names the input in the diagnostic.
*/
int util_time_parse(const char *s, int64_t *ms, const char *field,
    struct dib_diag *d);

/* "2025-02-20T08:00:00Z" ("...00.250Z" when ms are not 0). out >= 32. */
char *util_time_format(int64_t ms, char *out, size_t n);

/*
** OpenBSD's strlcpy: copy src into dst of size n (> 0), cut to fit and
** always NUL-terminated; strlen(src) (a result >= n means it was cut).
*/
size_t util_strlcpy(char *dst, const char *src, size_t n);

/*
** x as printf's "%.15g" writes it, into out (size >= 32); the length, or
** -1 if x is not finite. Values with a short decimal form (7 decimals at
** most, as measured values have) skip printf.
*/
int util_fmt_g15(double x, char *out);

/* Now, in ms. */
int64_t util_now_ms(void);

/* Days since 1970-01-01 of a time (floor). */
int64_t util_day_of(int64_t ms);

/* A UUIDv7: 48-bit ms time, then random bits, monotonic in a thread. */
void util_uuid7(int64_t ms, uint8_t out[16]);

/* Canonical text form (36 characters + NUL) of a UUID. */
char *util_uuid_format(const uint8_t id[16], char out[37]);

/* Parse the canonical text form; 0 or DIB_EINVAL. */
int util_uuid_parse(const char *s, uint8_t out[16]);

/* The ms time carried by a UUIDv7. */
int64_t util_uuid7_time(const uint8_t id[16]);

/* Lower-case hex of n bytes into out (2n+1 bytes). Returns out. */
char *util_hex(const uint8_t *p, size_t n, char *out);

/* Parse exactly 2n hex digits into n bytes. 0 or DIB_EINVAL. */
int util_unhex(const char *s, uint8_t *out, size_t n);

/* Big-endian integers of wire formats; put returns the byte after. */
static inline uint8_t *
util_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static inline uint8_t *
util_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

static inline uint8_t *
util_put_be64(uint8_t *p, uint64_t v)
{
	util_put_be32(p, (uint32_t)(v >> 32));
	return util_put_be32(p + 4, (uint32_t)v);
}

static inline uint16_t
util_get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
util_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t
util_get_be64(const uint8_t *p)
{
	return (uint64_t)util_get_be32(p) << 32 | util_get_be32(p + 4);
}

/* Is p[0..n) well-formed UTF-8 (no overlongs, no surrogates)? */
int util_utf8_valid(const char *p, size_t n);

/* Cryptographically random bytes, from a per-thread buffer refilled in
** bulk. */
void util_random(void *p, size_t n);

/* Is code an ISO 3166-1 alpha-2 code (upper case)? */
int util_nation_valid(const char *code);

/*
** A nation code in either case ("ml"), upper-cased into out when it names
** a known nation: 0; -1 otherwise (out is then "").
*/
int util_nation_norm(const char *s, char out[3]);

/* English short name of a nation, or NULL. */
const char *util_nation_name(const char *code);

/*
** An audience: a set of nations, written in canonical form as codes in
** alphabetical order joined by commas ("ML,SN"). At most 16 nations.
*/
#define UTIL_AUDIENCE_MAX 16
#define UTIL_AUDIENCE_LEN (UTIL_AUDIENCE_MAX * 3)

/*
** Canonicalise "sn, ML" into "ML,SN"; every code must be a known nation,
** no duplicates, at least one. out holds UTIL_AUDIENCE_LEN bytes.
*/
int util_audience_parse(const char *s, char *out, struct dib_diag *d);

/* Does canonical audience a contain nation? */
int util_audience_has(const char *a, const char *nation);

/* Is every nation of canonical audience sub also in sup? */
int util_audience_subset(const char *sub, const char *sup);

/*
** Read a whole file (or stdin for "-") of at most max bytes into a new
** NUL-terminated buffer; the caller frees *out with free().
*/
int util_read_file(const char *path, size_t max, char **out, size_t *len,
    struct dib_diag *d);

/* Write a file atomically (temp file, fsync, rename) with the mode. */
int util_write_file(const char *path, const void *p, size_t n, int mode,
    struct dib_diag *d);

/*
** Make the calling thread a background one: its nice value goes up to
** UTIL_BACKGROUND_NICE (Linux keeps one per thread), so that when the
** cores are busy the threads that answer requests run first and this one
** takes the time left over. Never lowers a value already higher; failure
** is harmless and ignored.
*/
#define UTIL_BACKGROUND_NICE 10
void util_thread_background(void);

#endif
