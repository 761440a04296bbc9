/*
** Compressed answers: JSON, GeoJSON and text go out gzip-compressed when
** the client takes it, because a map page over a 256 kbit/s link is
** bytes first (GeoJSON shrinks about tenfold).
*/
#include "http/http_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

#define GZIP_MIN 1024           /* smaller answers gain nothing */
#define GZIP_LEVEL 4            /* most of level 9's gain at a third of its cost */

/* Is one comma-separated coding of Accept-Encoding "gzip" with q > 0? */
static int
coding_is_gzip(const char *p, size_t n)
{
	size_t name = 0;
	const char *q;

	while (n > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	while (name < n && p[name] != ';' && p[name] != ' ' &&
	    p[name] != '\t')
		name++;
	if (!((name == 4 && strncasecmp(p, "gzip", 4) == 0) ||
	    (name == 6 && strncasecmp(p, "x-gzip", 6) == 0)))
		return 0;
	/* "gzip;q=0" (or 0.0, 0.00...) refuses it. */
	for (q = p + name; q < p + n; q++)
		if ((*q == 'q' || *q == 'Q') && q + 1 < p + n && q[1] == '=') {
			const char *v = q + 2;

			if (v < p + n && *v == '0') {
				for (v++; v < p + n && (*v == '.' || *v == '0');
				    v++)
					;
				if (v >= p + n || *v == ' ' || *v == ';')
					return 0;
			}
			break;
		}
	return 1;
}

int
http_accepts_gzip(struct req *r)
{
	const char *h = http_header(r, "Accept-Encoding");

	while (h != NULL && *h != '\0') {
		const char *comma = strchr(h, ',');
		size_t n = comma ? (size_t)(comma - h) : strlen(h);

		if (coding_is_gzip(h, n))
			return 1;
		h = comma ? comma + 1 : NULL;
	}
	return 0;
}

/* Media types worth compressing: text, JSON and GeoJSON. */
static int
compressible(const char *type)
{
	return strncmp(type, "application/json", 16) == 0 ||
	    strncmp(type, "application/geo+json", 20) == 0 ||
	    strncmp(type, "text/", 5) == 0;
}

/*
** gzip of data into a malloc'd buffer (*out, *outlen), or -1 (out of
** memory, or no gain). The caller frees *out.
*/
int
http_gzip(const void *data, size_t len, int level, char **out,
    size_t *outlen)
{
	z_stream z;
	uLong cap;
	char *buf;
	int rc;

	*out = NULL;
	*outlen = 0;
	memset(&z, 0, sizeof z);
	/* 16 + 15: a gzip header and trailer around a 32 KiB window. */
	if (deflateInit2(&z, level, Z_DEFLATED, 16 + 15, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	cap = deflateBound(&z, (uLong)len);
	if ((buf = malloc(cap)) == NULL) {
		deflateEnd(&z);
		return -1;
	}
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)buf;
	z.avail_out = (uInt)cap;
	rc = deflate(&z, Z_FINISH);
	if (rc != Z_STREAM_END || z.total_out >= len) {
		deflateEnd(&z);
		free(buf);
		return -1;
	}
	*outlen = z.total_out;
	deflateEnd(&z);
	*out = buf;
	return 0;
}

struct MHD_Response *
http_resp_bytes(struct req *r, const char *type, const void *data,
    size_t len, int take)
{
	struct MHD_Response *resp;
	char *z = NULL;
	size_t zlen = 0;
	int zip;

	/* uInt bounds one deflate call: beyond 4 GiB send it plain. */
	zip = len >= GZIP_MIN && len < 0xffffffffu && compressible(type) &&
	    http_accepts_gzip(r) && http_gzip(data, len, GZIP_LEVEL, &z,
	    &zlen) == 0;
	if (zip) {
		if (take)
			free((void *)(uintptr_t)data);
		resp = MHD_create_response_from_buffer(zlen, z,
		    MHD_RESPMEM_MUST_FREE);
		if (resp == NULL) {
			free(z);
			return NULL;
		}
		MHD_add_response_header(resp, "Content-Encoding", "gzip");
		r->sent = zlen;
	} else {
		resp = MHD_create_response_from_buffer(len,
		    (void *)(uintptr_t)data, take ? MHD_RESPMEM_MUST_FREE :
		    MHD_RESPMEM_MUST_COPY);
		if (resp == NULL) {
			if (take)
				free((void *)(uintptr_t)data);
			return NULL;
		}
		r->sent = len;
	}
	MHD_add_response_header(resp, "Content-Type", type);
	if (compressible(type))
		MHD_add_response_header(resp, "Vary", "Accept-Encoding");
	return resp;
}
