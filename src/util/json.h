/*
** A strict and fast JSON parser (RFC 8259) that builds a jansson DOM:
** record ingest parses several times faster than json_loadb allows.
*/
#ifndef DIB_JSON_H
#define DIB_JSON_H

#include <stddef.h>

#include <jansson.h>

#include "util/err.h"

/* Limits: nesting depth (arrays and objects) and input size. */
#define UTIL_JSON_MAX_DEPTH 64
#define UTIL_JSON_MAX_LEN ((size_t)256 * 1024 * 1024)

/*
** Parse exactly one JSON value from text[0..len), which need not be
** NUL-terminated. Strict: no comments, trailing commas, NaN, Infinity or
** leading zeros; no control characters in strings; valid UTF-8 only;
** \u escapes with well-formed surrogate pairs; no \u0000 (jansson strings
** are C strings); no duplicate keys. Whitespace may surround the value.
** Objects keep their key order. An integer that fits int64 becomes a
** json_integer; other numbers become a json_real, and one beyond the
** range of a double is an error.
**
** On success *out is a new reference the caller releases with
** json_decref(). On error *out is NULL and d (which may be NULL) names
** field_name and the place and problem, e.g. "line 1, column 17 (byte 16):
** expected ':' after an object key". Errors: DIB_EINVAL (bad JSON),
** DIB_ETOOBIG (deeper than UTIL_JSON_MAX_DEPTH or longer than
** UTIL_JSON_MAX_LEN), DIB_ENOMEM.
*/
int util_json_parse(const char *text, size_t len, const char *field_name,
    json_t **out, struct dib_diag *d);

/*
** The fast path of a bulk body: when text is exactly {"<key>": [v0, v1,
** ...]} (white space allowed, key without escapes) and valid as
** util_json_parse checks it, call fn(arg, i, vi) for each element in
** order and return 0. Each vi lives only during its call: it and every
** jansson value made on this thread during the call come from an arena
** that is emptied after it, so fn must not keep a reference to any nor
** hand one to another thread, and must release those it makes. The
** element values are parsed one at a time, so memory stays small and hot
** whatever the number of elements.
**
** Returns 1 when text does not have that shape or is not valid JSON: fn
** may have been called for some elements; the caller discards what they
** gave and uses util_json_parse, which says what is wrong.
*/
int util_json_each(const char *text, size_t len, const char *key,
    void (*fn)(void *arg, size_t i, json_t *v), void *arg);

#endif
