/*
** One error vocabulary for the whole of diboli: codes, their text and the
** HTTP status each maps to, plus a diagnostic that names the field at fault.
*/
#ifndef DIB_ERR_H
#define DIB_ERR_H

#include <stddef.h>

/* Codes are appended, never renumbered: scripts and peers may keep them. */
enum dib_err {
	DIB_OK = 0,
	DIB_EINVAL,     /* bad input from a person or a client */
	DIB_ENOTFOUND,  /* no such record, category, node... */
	DIB_EEXIST,     /* already there */
	DIB_ENOMEM,     /* out of memory */
	DIB_EIO,        /* file system error */
	DIB_EDB,        /* SQLite error */
	DIB_ECRYPTO,    /* a signature or key did not check */
	DIB_ETAMPER,    /* stored data does not match its hash or signature */
	DIB_EPERM,      /* forbidden */
	DIB_ETOOBIG,    /* over a size or count limit */
	DIB_ECONFLICT,  /* contradicts the current state */
	DIB_EUSAGE,     /* bad command line */
	DIB_EUNAUTH,    /* not authenticated (or the credentials failed) */
	DIB_ETHROTTLED, /* too many attempts: wait */
	DIB_EMETHOD,    /* HTTP method not allowed on this resource */
	DIB_EMEDIA,     /* unsupported media type */
	DIB_EBADREQ,    /* malformed request: JSON syntax, parameter */
	DIB_ERR_COUNT
};

/* What went wrong, for a person: "field: problem". */
struct dib_diag {
	int code;           /* enum dib_err */
	char field[96];     /* "attributes.mercury_ugl", or "" */
	char msg[400];      /* the problem, without the field */
};

const char *dib_strerror(int code);
int dib_http_status(int code);
const char *dib_code_name(int code);

/*
** Fill d (which may be NULL) and return code, so that callers can write
** "return dib_fail(d, DIB_EINVAL, "lat", "must be in [-90, 90], got %g", x);"
*/
int dib_fail(struct dib_diag *d, int code, const char *field,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Prefix the field of d with prefix and a dot: "attributes" + "ph". */
void dib_diag_prefix(struct dib_diag *d, const char *prefix);

/* Reset d to "no error". */
void dib_diag_clear(struct dib_diag *d);

/* "field: msg" (or "msg") into out; returns out. */
const char *dib_diag_str(const struct dib_diag *d, char *out, size_t n);

#endif
