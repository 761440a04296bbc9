/*
** diboli serve: the HTTP server (libmicrohttpd, a thread pool on epoll),
** its single writer with group commit, and the JSON API v1.
*/
#ifndef DIB_HTTP_H
#define DIB_HTTP_H

#include <stddef.h>

#include "util/err.h"

struct http_conf {
	const char *dir;        /* the node directory */
	const char *listen;     /* "127.0.0.1:8440", "[::1]:8440", ":8440" */
	const char *tls_cert;   /* PEM files, or NULL for plain HTTP */
	const char *tls_key;
	size_t max_body;        /* bytes of a request body */
	size_t max_header;      /* bytes of a request's headers */
	unsigned max_conns;     /* open connections */
	unsigned per_ip;        /* open connections per client address */
	unsigned timeout_s;     /* an idle or slow connection is closed */
	unsigned threads;       /* request threads */
	int quiet;              /* no access log */
	const char *ready_file; /* written with the URL once listening */
	const char *tiles;      /* an MBTiles file for the UI's base map */
	unsigned max_streams;   /* open event streams (GET /api/v1/events) */
};

/* Defaults for every field but dir. */
void http_conf_defaults(struct http_conf *c);

/*
** Serve the node until SIGINT or SIGTERM, then stop cleanly: no new
** connection, requests in flight finish, the writer commits what it was
** given. DIB_EIO if the address cannot be bound.
*/
int http_serve(const struct http_conf *c, struct dib_diag *d);

#endif
