/*
** What the server's parts share: the server, one request, and the helpers
** that answer it. Internal to src/http/.
*/
#ifndef DIB_HTTP_INT_H
#define DIB_HTTP_INT_H

#include <stdatomic.h>
#include <stdint.h>

#include <jansson.h>
#include <microhttpd.h>

#include "http/http.h"
#include "http/writer.h"
#include "util/buf.h"

struct node;
struct auth_throttle;
struct events;
struct tiles;

struct server {
	struct http_conf conf;
	struct MHD_Daemon *mhd;
	struct node *node;              /* the writer's node */
	struct writer writer;
	struct auth_throttle *throttle;
	char dbpath[2200];
	int tls;
	int64_t started_ms;
	pthread_mutex_t logmu;
	pthread_mutex_t readers_mu;     /* the per-thread read stores */
	struct store *readers[64];
	size_t nreaders;
	/* Metrics. */
	atomic_ullong requests;
	atomic_ullong status[6];        /* by class: 1xx..5xx at [1..5] */
	atomic_ullong usec_total;       /* time spent answering */
	atomic_ullong records_in;       /* records appended over HTTP */
	atomic_int active;              /* requests begun, not yet done */
	atomic_int stopping;            /* no more suspended connections */
	atomic_int suspended;           /* connections waiting on the writer */
	/* Background sync with the peers that have a URL (sync_bg.c). */
	pthread_t sync_thread;
	int sync_running;
	pthread_mutex_t sync_mu;
	pthread_cond_t sync_cv;
	atomic_int sync_stop;
	atomic_int sync_kick;           /* new local records: sync now */
	/* Peers to sync with at once, backoff or not (under sync_mu). */
	char sync_force[8][65];         /* PEER_NAME_MAX + 1 */
	int sync_nforce;
	int sync_force_all;
	struct events *events;          /* server-sent events (events.c) */
	struct tiles *tiles;            /* offline base map, or NULL */
};

/* Who is asking, once authenticated. */
struct who {
	int authed;                     /* 1 session, 2 bearer token */
	int role;                       /* enum auth_role */
	char login[65];
	char csrf[44];                  /* AUTH_TOKEN_LEN + 1 */
};

struct req {
	struct server *srv;
	struct MHD_Connection *conn;
	const char *method;
	const char *url;
	struct buf body;
	int too_big;                    /* the body passed max_body */
	char addr[64];                  /* client address */
	struct who who;
	int64_t start_us;
	unsigned status;                /* what was answered */
	size_t sent;                    /* bytes of the answer body */
	/* A write waiting for the writer (the connection is suspended). */
	enum MHD_Result (*resume)(struct req *);
	void *async;                    /* its state */
	void (*async_free)(void *);     /* releases it, in on_done */
};

/* The node for reading on this thread (own SQLite connection). */
struct node *http_reader(struct server *s);

/*
** A JSON response (takes the reference to j) not yet queued, for answers
** with extra headers; NULL when out of memory.
*/
struct MHD_Response *http_resp_json(struct req *r, json_t *j, const char *type);

/* Answers. Each queues the response and returns MHD_YES or MHD_NO. */
enum MHD_Result http_reply_json(struct req *r, unsigned status, json_t *j,
    const char *type);
enum MHD_Result http_reply_text(struct req *r, unsigned status,
    const char *type, const char *text, size_t len);
enum MHD_Result http_reply_error(struct req *r, unsigned status,
    const char *code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* The same error, not yet queued (for extra headers); NULL: no memory. */
struct MHD_Response *http_resp_error(struct req *r, const char *code,
    const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/*
** The request's body. http_content_is: is its Content-Type type (any
** parameters after ';')? http_body_json: its JSON value (a new
** reference), or NULL once the error is answered (*ret: 415 not JSON,
** 400 bad JSON, 413 too big). http_body_object: the same, and it must be
** an object (422); with optional, an empty body gives NULL and *failed 0;
** *failed is 1 whenever an error was answered.
*/
int http_content_is(struct req *r, const char *type);
json_t *http_body_json(struct req *r, enum MHD_Result *ret);
json_t *http_body_object(struct req *r, int optional, int *failed,
    enum MHD_Result *ret);
/* 405 method_not_allowed, with the Allow header. */
enum MHD_Result http_reply_not_allowed(struct req *r, const char *allow);
/* The error of a diagnostic, with the status of its code. */
enum MHD_Result http_reply_diag(struct req *r, const struct dib_diag *d);
enum MHD_Result http_reply_empty(struct req *r, unsigned status);
enum MHD_Result http_queue(struct req *r, unsigned status,
    struct MHD_Response *resp);

/* A query parameter or header, or NULL. */
const char *http_arg(struct req *r, const char *name);
const char *http_header(struct req *r, const char *name);

/* The API: route one complete request. */
enum MHD_Result http_dispatch(struct req *r);

/*
** For routes outside the API's table (the UI's tiles): authenticate r and
** check perm (enum auth_perm) as the API does; 0 when allowed, else the
** answer (401, 403) is queued and *ret is what to return.
*/
int http_authorize(struct req *r, int perm, enum MHD_Result *ret);

/* The web UI and the offline tiles: every path outside /api, /sync. */
enum MHD_Result http_web(struct req *r);

/*
** A response carrying len bytes of data of media type, gzip-compressed
** when the client takes it and it is text worth compressing; sets
** r->sent. take: data is malloc'd and becomes the response's (freed
** even on failure); else it is copied. NULL when out of memory.
*/
struct MHD_Response *http_resp_bytes(struct req *r, const char *type,
    const void *data, size_t len, int take);
/* Does the client take gzip (Accept-Encoding)? */
int http_accepts_gzip(struct req *r);
/* gzip of data at level into *out (caller frees), or -1: no gain, OOM. */
int http_gzip(const void *data, size_t len, int level, char **out,
    size_t *outlen);

/* Server-sent events (events.c): start after the writer, close when
** stopping (ends every stream), free once the daemon and writer stopped. */
int http_events_start(struct server *s, unsigned max_streams,
    struct dib_diag *d);
void http_events_close(struct server *s);
void http_events_free(struct server *s);
enum MHD_Result http_events(struct req *r, const char *id);

/* Offline tiles (tiles.c): an MBTiles file, read-only. */
int http_tiles_open(struct server *s, const char *path, struct dib_diag *d);
void http_tiles_close(struct server *s);
/* What GET /api/v1/node says of them (new reference), or NULL. */
json_t *http_tiles_info(struct server *s);
/* GET /tiles/{path}: path is "Z/X/Y.EXT". */
enum MHD_Result http_tiles_get(struct req *r, const char *path);

/* The versions of a record (oldest first) into rec's "history". */
void http_history_add(struct node *n, json_t *rec);

/* Background sync: start after listening, stop before the writer. */
void http_sync_start(struct server *s);
void http_sync_stop(struct server *s);
/* New local records: wake the background sync. */
void http_sync_kick(struct server *s);
/*
** Run the background sync now with peer (or with every peer that has a
** URL, for NULL), even one backing off after failures. 0, or -1 when
** the background sync is not running.
*/
int http_sync_force(struct server *s, const char *peer);

/* Node-to-node sync (api_sync.c). */
enum MHD_Result http_sync_exchange(struct req *r, const char *id);
enum MHD_Result http_sync_status(struct req *r, const char *id);

/* Audit through the writer; never fails the request. */
void http_audit(struct req *r, const char *action, const char *target,
    const char *result, const char *detail);

/*
** Hand job to the writer and suspend the connection; the writer resumes
** it after the commit and finish(r) answers (r->async is state, released
** with state_free once the request is done). Used by every write route.
*/
enum MHD_Result http_go_async(struct req *r, struct writer_job *job,
    enum MHD_Result (*finish)(struct req *), void *state,
    void (*state_free)(void *));

/* Joint patrols (api_patrol.c). */
enum MHD_Result http_patrol_list(struct req *r, const char *id);
enum MHD_Result http_patrol_create(struct req *r, const char *id);
enum MHD_Result http_patrol_get(struct req *r, const char *id);
enum MHD_Result http_patrol_update(struct req *r, const char *id);
enum MHD_Result http_patrol_propose(struct req *r, const char *id);
enum MHD_Result http_patrol_approve(struct req *r, const char *id);
enum MHD_Result http_patrol_reject(struct req *r, const char *id);
enum MHD_Result http_patrol_start(struct req *r, const char *id);
enum MHD_Result http_patrol_complete(struct req *r, const char *id);
enum MHD_Result http_patrol_abort(struct req *r, const char *id);
enum MHD_Result http_patrol_unit(struct req *r, const char *id);
enum MHD_Result http_patrol_leg(struct req *r, const char *id);
enum MHD_Result http_patrol_debrief(struct req *r, const char *id);
enum MHD_Result http_patrol_track(struct req *r, const char *id);
enum MHD_Result http_patrol_tracks(struct req *r, const char *id);
enum MHD_Result http_patrol_tracks_gpx(struct req *r, const char *id);
enum MHD_Result http_patrol_summary(struct req *r, const char *id);

/* Administration (api_admin.c): users, tokens, peers, bundles. */
enum MHD_Result http_user_list(struct req *r, const char *id);
enum MHD_Result http_user_add(struct req *r, const char *id);
enum MHD_Result http_user_update(struct req *r, const char *id);
enum MHD_Result http_token_list(struct req *r, const char *id);
enum MHD_Result http_token_create(struct req *r, const char *id);
enum MHD_Result http_token_revoke(struct req *r, const char *id);
enum MHD_Result http_peer_list(struct req *r, const char *id);
enum MHD_Result http_peer_add(struct req *r, const char *id);
enum MHD_Result http_peer_remove(struct req *r, const char *id);
enum MHD_Result http_nation_list(struct req *r, const char *id);
enum MHD_Result http_sync_run(struct req *r, const char *id);
enum MHD_Result http_sync_summary(struct req *r, const char *id);
enum MHD_Result http_bundle_export(struct req *r, const char *id);
enum MHD_Result http_bundle_import(struct req *r, const char *id);
/* What to add to the 413 of a body over max_body sent to url ("" or
** "; ..."): the way to do it without the API. Static text. */
const char *http_body_hint(const char *url);

/* Reference geography (api_reference.c). */
enum MHD_Result http_reference_list(struct req *r, const char *id);
enum MHD_Result http_reference_layer(struct req *r, const char *id);

/* Border sections (api_section.c). */
enum MHD_Result http_section_list(struct req *r, const char *id);
enum MHD_Result http_section_get(struct req *r, const char *id);
enum MHD_Result http_section_status(struct req *r, const char *id);
enum MHD_Result http_section_notifications(struct req *r, const char *id);
enum MHD_Result http_notices_seen(struct req *r, const char *id);

#endif
