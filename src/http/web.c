/*
** The web UI: index.html and its assets, built from web/ by esbuild and
** embedded at build time (cmake/embed.cmake), served with a strict
** Content-Security-Policy, gzip when the client takes it, and ETags; and
** the routing of every path outside /api and /sync (see docs/web.md).
*/
#include "http/http_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auth/auth.h"
#include "util/embed.h"

/* The files of build/web/dist, by path ("index.html", "assets/..."). */
extern const struct dib_embedded dib_web_files[];

/* No inline script or style, nothing from elsewhere. */
#define CSP "default-src 'self'; script-src 'self'; style-src 'self'; " \
	"img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; " \
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; " \
	"form-action 'self'"

struct asset {
	const struct dib_embedded *e;   /* the file */
	const struct dib_embedded *gz;  /* its gzip twin, or NULL */
	const char *type;               /* Content-Type */
	int immutable;                  /* a hashed name under assets/ */
	char etag[33];                  /* BLAKE2b-128 of e, in hex */
};

static struct asset *assets;
static size_t nassets;
static pthread_once_t assets_once = PTHREAD_ONCE_INIT;

static int
ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static const char *
type_of(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{".html", "text/html; charset=utf-8"},
		{".js", "text/javascript; charset=utf-8"},
		{".css", "text/css; charset=utf-8"},
		{".json", "application/json; charset=utf-8"},
		{".svg", "image/svg+xml"},
		{".png", "image/png"},
		{".woff2", "font/woff2"},
		{".txt", "text/plain; charset=utf-8"},
	};
	size_t i;

	for (i = 0; i < sizeof types / sizeof types[0]; i++)
		if (ends_with(name, types[i].ext))
			return types[i].type;
	return "application/octet-stream";
}

static const struct dib_embedded *
web_find(const char *name)
{
	const struct dib_embedded *e;

	for (e = dib_web_files; e->name != NULL; e++)
		if (strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

/* Index the embedded files once: pair each with its gzip twin, hash it. */
static void
assets_init(void)
{
	const struct dib_embedded *e;
	size_t n = 0;

	for (e = dib_web_files; e->name != NULL; e++)
		n++;
	if ((assets = calloc(n ? n : 1, sizeof *assets)) == NULL)
		return;
	for (e = dib_web_files; e->name != NULL; e++) {
		struct asset *a = &assets[nassets];
		unsigned char h[16];
		char gzname[300];

		if (ends_with(e->name, ".gz"))
			continue;
		a->e = e;
		snprintf(gzname, sizeof gzname, "%s.gz", e->name);
		a->gz = web_find(gzname);
		a->type = type_of(e->name);
		a->immutable = strncmp(e->name, "assets/", 7) == 0;
		crypto_generichash(h, sizeof h, e->data, e->len, NULL, 0);
		sodium_bin2hex(a->etag, sizeof a->etag, h, sizeof h);
		nassets++;
	}
}

static const struct asset *
asset_find(const char *name)
{
	size_t i;

	pthread_once(&assets_once, assets_init);
	for (i = 0; i < nassets; i++)
		if (strcmp(assets[i].e->name, name) == 0)
			return &assets[i];
	return NULL;
}

/* Queue resp with the headers of every page and asset. */
static enum MHD_Result
web_queue(struct req *r, unsigned status, struct MHD_Response *resp)
{
	enum MHD_Result ret;

	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Security-Policy", CSP);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy",
	    "same-origin");
	MHD_add_response_header(resp, "Cross-Origin-Resource-Policy",
	    "same-origin");
	r->status = status;
	ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Does If-None-Match name this asset (either of its encodings)? */
static int
etag_matches(const char *inm, const struct asset *a)
{
	const char *p = inm;

	while (*p == ' ')
		p++;
	if (strcmp(p, "*") == 0)
		return 1;
	return strstr(inm, a->etag) != NULL;
}

static enum MHD_Result
serve_asset(struct req *r, const struct asset *a)
{
	const char *inm = http_header(r, "If-None-Match");
	int gz = a->gz != NULL && http_accepts_gzip(r);
	const struct dib_embedded *e = gz ? a->gz : a->e;
	struct MHD_Response *resp;
	char etag[48];
	unsigned status = 200;

	snprintf(etag, sizeof etag, "\"%s%s\"", a->etag, gz ? "-gz" : "");
	if (inm != NULL && etag_matches(inm, a)) {
		resp = MHD_create_response_from_buffer(0, (void *)"",
		    MHD_RESPMEM_PERSISTENT);
		if (resp == NULL)
			return MHD_NO;
		status = 304;
		r->sent = 0;
	} else {
		resp = MHD_create_response_from_buffer(e->len,
		    (void *)(uintptr_t)e->data, MHD_RESPMEM_PERSISTENT);
		if (resp == NULL)
			return MHD_NO;
		MHD_add_response_header(resp, "Content-Type", a->type);
		if (gz)
			MHD_add_response_header(resp, "Content-Encoding",
			    "gzip");
		r->sent = e->len;
	}
	MHD_add_response_header(resp, "ETag", etag);
	if (a->gz != NULL)
		MHD_add_response_header(resp, "Vary", "Accept-Encoding");
	/* Hashed names never change; the page itself is checked each
	 * time (a 304 costs a few hundred bytes). */
	MHD_add_response_header(resp, "Cache-Control", a->immutable ?
	    "public, max-age=31536000, immutable" : "no-cache");
	return web_queue(r, status, resp);
}

enum MHD_Result
http_web(struct req *r)
{
	const struct asset *a = NULL;

	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0)
		return http_reply_not_allowed(r, "GET, HEAD");
	if (strncmp(r->url, "/tiles/", 7) == 0) {
		enum MHD_Result ret;

		/* The base map is the node's: readers only. */
		if (http_authorize(r, AUTH_READ, &ret) != 0)
			return ret;
		return http_tiles_get(r, r->url + 7);
	}
	if (strcmp(r->url, "/") == 0)
		a = asset_find("index.html");
	else if (strncmp(r->url, "/assets/", 8) == 0 &&
	    strstr(r->url, "..") == NULL)
		a = asset_find(r->url + 1);
	if (a == NULL)
		return http_reply_error(r, 404, "not_found", "", "no such "
		    "resource: %.100s", r->url);
	return serve_asset(r, a);
}
