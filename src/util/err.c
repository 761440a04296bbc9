/*
** The error vocabulary: text and HTTP status per code, and diagnostics.
*/
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	const char *text;
	int http;
} errtab[DIB_ERR_COUNT] = {
	[DIB_OK] = {"ok", "success", 200},
	[DIB_EINVAL] = {"invalid", "invalid input", 422},
	[DIB_ENOTFOUND] = {"not_found", "not found", 404},
	[DIB_EEXIST] = {"exists", "already exists", 409},
	[DIB_ENOMEM] = {"no_memory", "out of memory", 503},
	[DIB_EIO] = {"io", "input/output error", 500},
	[DIB_EDB] = {"database", "database error", 500},
	[DIB_ECRYPTO] = {"crypto", "cryptographic check failed", 403},
	[DIB_ETAMPER] = {"tampered", "stored data was altered", 500},
	[DIB_EPERM] = {"forbidden", "forbidden", 403},
	[DIB_ETOOBIG] = {"too_big", "too large", 413},
	[DIB_ECONFLICT] = {"conflict", "conflicts with the current state",
	    409},
	[DIB_EUSAGE] = {"usage", "bad usage", 400},
	[DIB_EUNAUTH] = {"unauthenticated", "authentication required", 401},
	[DIB_ETHROTTLED] = {"throttled", "too many attempts", 429},
	[DIB_EMETHOD] = {"method_not_allowed", "method not allowed", 405},
	[DIB_EMEDIA] = {"unsupported_media_type", "unsupported media type",
	    415},
	[DIB_EBADREQ] = {"bad_request", "malformed request", 400},
};

const char *
dib_strerror(int code)
{
	if (code < 0 || code >= DIB_ERR_COUNT)
		return "unknown error";
	return errtab[code].text;
}

const char *
dib_code_name(int code)
{
	if (code < 0 || code >= DIB_ERR_COUNT)
		return "unknown";
	return errtab[code].name;
}

int
dib_http_status(int code)
{
	if (code < 0 || code >= DIB_ERR_COUNT)
		return 500;
	return errtab[code].http;
}

int
dib_fail(struct dib_diag *d, int code, const char *field, const char *fmt,
    ...)
{
	va_list ap;

	if (d == NULL)
		return code;
	d->code = code;
	snprintf(d->field, sizeof d->field, "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof d->msg, fmt, ap);
	va_end(ap);
	return code;
}

void
dib_diag_prefix(struct dib_diag *d, const char *prefix)
{
	char tmp[2 * sizeof d->field + 2];

	if (d == NULL || prefix == NULL || *prefix == '\0')
		return;
	if (d->field[0] == '\0')
		snprintf(tmp, sizeof tmp, "%s", prefix);
	else if (d->field[0] == '[')
		snprintf(tmp, sizeof tmp, "%s%s", prefix, d->field);
	else
		snprintf(tmp, sizeof tmp, "%s.%s", prefix, d->field);
	/* A field too long for the diagnostic is cut. */
	tmp[sizeof d->field - 1] = '\0';
	memcpy(d->field, tmp, sizeof d->field);
}

void
dib_diag_clear(struct dib_diag *d)
{
	if (d == NULL)
		return;
	d->code = DIB_OK;
	d->field[0] = '\0';
	d->msg[0] = '\0';
}

const char *
dib_diag_str(const struct dib_diag *d, char *out, size_t n)
{
	if (d->field[0] != '\0')
		snprintf(out, n, "%s: %s", d->field, d->msg);
	else
		snprintf(out, n, "%s", d->msg);
	return out;
}
