/*
** What the files of src/track share and nobody else needs: the number and
** time readers of the GPX parser (also used by the tests).
*/
#ifndef DIB_TRACK_INT_H
#define DIB_TRACK_INT_H

#include <stddef.h>
#include <stdint.h>

/* 1980-01-06T00:00:00Z, the GPS epoch: earlier times are unset clocks. */
#define TRACK_GPS_EPOCH_MS 315964800000LL

/* Times a track may carry (ms): 1900-01-01 to 2200-01-01. */
#define TRACK_T_MIN (-2208988800000LL)
#define TRACK_T_MAX (7258118400000LL)

/*
** A decimal number of n bytes ("14.467", "-12.2170", "1e-3"; white space
** around is ignored), whatever the C locale: 0, or -1 (then *out is NaN).
** Infinities and NaN are refused.
*/
int track_parse_number(const char *s, size_t n, double *out);

/*
** An ISO 8601 / RFC 3339 time of n bytes: "2025-02-20T08:00:00Z", with an
** optional fraction (digits past the millisecond dropped), a zone as Z,
** +hh:mm, +hhmm or +hh, or none (UTC, as GPX says). Years 1900-2200.
** 0 and *ms, or -1.
*/
int track_parse_time(const char *s, size_t n, int64_t *ms);

#endif
