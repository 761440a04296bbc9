/*
** Eight bytes at a time: the tests that the JSON reader (util/json.c)
** and writer (util/buf.c) run over every string byte.
*/
#ifndef DIB_SWAR_H
#define DIB_SWAR_H

#include <stdint.h>
#include <string.h>

#define SWAR_ONES 0x0101010101010101ULL
#define SWAR_HIGHS 0x8080808080808080ULL

/*
** The high bit is set in each byte of x that is '"', '\\', a control
** character or not ASCII. The lowest such byte is exact: borrows only
** run upwards from a flagged byte.
*/
static inline uint64_t
swar_special8(uint64_t x)
{
	uint64_t q = x ^ (SWAR_ONES * '"'), b = x ^ (SWAR_ONES * '\\');

	return (((x - SWAR_ONES * 0x20) & ~x) | ((q - SWAR_ONES) & ~q) |
	    ((b - SWAR_ONES) & ~b) | x) & SWAR_HIGHS;
}

/* How many bytes of p[0, n) come before the first one swar_special8
 * flags, counted eight at a time (at least n rounded down to 8 when
 * none is). */
static inline size_t
swar_plain_run(const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (n - i >= 8) {
		uint64_t x, m;

		memcpy(&x, p + i, sizeof x);
		if ((m = swar_special8(x)) != 0) {
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			return i + ((size_t)__builtin_ctzll(m) >> 3);
#else
			return i;
#endif
		}
		i += 8;
	}
	return i;
}

#endif
