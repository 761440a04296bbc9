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

/* Background sync: start after listening, stop before the writer. */
void http_sync_start(struct server *s);
void http_sync_stop(struct server *s);
/* New local records: wake the background sync. */
void http_sync_kick(struct server *s);

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

/* Reference geography (api_reference.c). */
enum MHD_Result http_reference_list(struct req *r, const char *id);
enum MHD_Result http_reference_layer(struct req *r, const char *id);

#endif
