/*
 * serve.h - the service's HTTP server on one loop thread: it accepts
 * connections (bounded), parses requests (req.h), routes them (route.h),
 * checks the token (auth.h), reads bodies (Content-Length or chunked, with
 * a limit), calls the route's handler, writes and logs the answer, and
 * carries WebSocket (ws.h) and Server-Sent Events (sse.h) streams fed by
 * topics (pubsub.h). What the routes do is the caller's: it passes the
 * table and answers through the functions below.
 *
 * Connections are named by a 64-bit id (slot and generation): an answer
 * for a connection that has closed since, or whose slot serves another
 * client now, is dropped, so a late answer from a worker can never reach
 * the wrong client. Everything here belongs to the loop thread; other
 * threads post to it (loop_post()) and the posted callback calls these.
 *
 * Bounds: connections (over the cap: 503 and close), request heads
 * (REQ_HEAD_MAX), bodies (per route, 413), WebSocket messages (1009),
 * subscriptions (pubsub caps), and each stream's unsent output: a
 * subscriber over its limit is dropped (WebSocket close 1008, or the
 * event stream ends), never waited for. Timeouts: a request must arrive
 * whole within request_ms of its first byte (slowloris: 408), an idle
 * keep-alive connection is closed after idle_ms, output that does not
 * move for write_ms is abandoned, a handler that does not answer within
 * handler_ms gets 503 for it.
 */
#ifndef SERVE_H
#define SERVE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "loop.h"
#include "pubsub.h"
#include "req.h"
#include "resp.h"
#include "route.h"

/* route flags (struct route.flags) */
#define SERVE_OPEN        1     /* no token needed (decision 1) */
#define SERVE_QUERY_TOKEN 2     /* ?access_token= accepted (WS, SSE) */
#define SERVE_WS          4     /* a WebSocket endpoint; fn is serve_ws_fn */
#define SERVE_JSON        8     /* a body must be application/json (415) */

struct serve;

/* What a handler sees; valid only during the call (copy what you keep). */
struct serve_req {
	const struct req *http;         /* method, path, query, headers */
	const struct route_match *m;    /* m->cap[]: the {name} captures */
	struct slice body;              /* whole, de-chunked */
	uint64_t id;                    /* the connection, for the answer */
};

/*
 * An HTTP route's handler (struct route.fn). Answer with serve_reply*()
 * now or later (from the loop thread, with r->id), or turn the
 * connection into an event stream with serve_sse_start().
 */
typedef void serve_http_fn(void *app, struct serve *s,
    const struct serve_req *r);

enum serve_ws_event {
	SERVE_WS_OPEN = 1,      /* handshake done: req is the upgrade request */
	SERVE_WS_MESSAGE,       /* msg, n: a whole message (binary: opcode 2) */
	SERVE_WS_CLOSED         /* gone (subscriptions already dropped) */
};

struct serve_ws_ev {
	int type;               /* enum serve_ws_event */
	const struct serve_req *req;    /* OPEN only */
	const uint8_t *msg;
	size_t n;
	int binary;
};

/* A WebSocket route's handler (struct route.fn with SERVE_WS). */
typedef void serve_ws_fn(void *app, struct serve *s, uint64_t id,
    const struct serve_ws_ev *ev);

/* One event for streams: each kind of subscriber gets its own encoding
 * (a kind with no payload is skipped). */
struct serve_event {
	const uint8_t *ws;      /* WebSocket text message (JSON) */
	size_t ws_n;
	const char *sse_event;  /* SSE "event:" (NULL: none) */
	const char *sse_id;     /* SSE "id:" (NULL: none) */
	const uint8_t *sse;     /* SSE data */
	size_t sse_n;
};

struct serve_config {
	const struct route *routes;
	size_t nroutes;
	void *app;              /* handlers' first argument */
	const char *token;      /* REPODIGEST_API_TOKEN, or NULL */
	struct log *log;        /* request lines; NULL: none */
	size_t max_conns;       /* open connections */
	size_t body_max;        /* default request body limit */
	size_t resp_max;        /* a connection's unsent answers */
	size_t sub_out_max;     /* a subscriber's unsent events; over: gone */
	size_t ws_msg_max;      /* a WebSocket message from a client */
	size_t subs_max, subs_per_topic_max;
	unsigned request_ms, idle_ms, write_ms, handler_ms, ping_ms;
	unsigned drain_ms;      /* serve_shutdown(): the longest wait */
};

struct conn;

struct serve_stats {
	uint64_t accepted, refused, requests, dropped_slow, ws_open,
	    sse_open;
	size_t conns;
};

struct serve {                  /* internal: see serve.c */
	struct serve_config c;
	struct loop *l;
	int lfd;
	int port;
	struct conn *conns;
	struct conn *free_conns;
	struct conn *flush, *flush_tail;        /* output to write, in order */
	struct pubsub ps;
	struct pubsub_sub *subs;
	struct pubsub_node *nodes;
	struct loop_timer pause;        /* accept paused (EMFILE) */
	struct loop_timer drain;
	int draining;
	void (*drained)(void *app);
	char date[RESP_DATE_LEN + 1];
	int64_t date_at;
	struct serve_stats st;
	uint64_t publish_seq;
	size_t body_cap;                /* the largest body any route takes */
	uint8_t *scratch;               /* one read for an idle connection */
};

/* Defaults: 4096 connections, 1 MiB bodies, 8 MiB answers, 1 MiB per
 * subscriber, 64 KiB WebSocket messages, 16384 subscriptions (4096 per
 * topic), 10 s per request, 75 s idle, 30 s stalled output, 30 s per
 * handler, a ping every 25 s, 10 s to drain. */
void serve_config_default(struct serve_config *c);

/*
 * Parse --listen ("ADDR:PORT", "[V6]:PORT", "localhost:PORT"; port 0
 * picks one) into host (NUL-terminated, cap bytes) and *port. 0 or
 * ERR_USAGE with a detail.
 */
int serve_parse_listen(const char *s, char *host, size_t cap, int *port,
    struct err_ctx *e);

/*
 * Raise the process's descriptor limit to what max_conns needs (up to the
 * hard limit) and return the limit: the loop's slots (loop_init()) must
 * cover every descriptor below it.
 */
size_t serve_fd_limit(size_t max_conns);

/*
 * Allocate the connection table and the subscription pools, bind and
 * listen on host:port, watch
 * it in l. 0, or ERR_NOMEM / ERR_IO / ERR_LIMIT with e saying what (e.g.
 * "127.0.0.1:3030: Address in use"). The listen rule (auth.h) is the
 * caller's to check first.
 */
int serve_init(struct serve *s, const struct serve_config *c, struct loop *l,
    const char *host, int port, struct err_ctx *e);

/* Close every connection and free everything. */
void serve_free(struct serve *s);

/* The bound port (what port 0 became). */
int serve_port(const struct serve *s);

/*
 * Stop accepting now; let requests in progress finish (their answers say
 * "Connection: close"), close idle connections, send WebSocket clients
 * close 1001 and end event streams; then, once no connection is left or
 * drain_ms has passed, close the rest and call done(app) once.
 */
void serve_shutdown(struct serve *s, void (*done)(void *app));

/* ---------------------------------------------------------- answers */

/*
 * Answer the request pending on id: status, fields, body (ctype NULL: no
 * Content-Type). For HEAD only the head goes out. 0, or ERR_NOENT (id is
 * gone or has no request pending: nothing sent), ERR_USAGE (a control
 * byte in a field), ERR_LIMIT (over resp_max: a 500 goes instead).
 */
int serve_reply(struct serve *s, uint64_t id, int status, const char *ctype,
    const struct resp_field *f, size_t nf, const void *body, size_t n);

/* serve_reply() with a JSON body (application/json, no-store). */
int serve_reply_json(struct serve *s, uint64_t id, int status,
    const void *json, size_t n);

/* {"error": {"code": "<from the status>", "message": message}} */
int serve_reply_error(struct serve *s, uint64_t id, int status,
    const char *message);

/* A request body refused (body.h, hook.h): 400 with e's one-line detail
 * (else the code's words) as the message. */
int serve_reply_refused(struct serve *s, uint64_t id, const struct err_ctx *e);

/* A handler for GET /healthz: 200 {"status": "ok"} while the loop runs. */
void serve_health(void *app, struct serve *s, const struct serve_req *r);

/* The JSON error body serve_reply_error() sends, into b (for callers that
 * add fields or fields of their own). */
int serve_error_json(struct buf *b, int status, const char *message);

/* ---------------------------------------------------------- streams */

/*
 * Answer the request pending on id with an event stream (200,
 * text/event-stream, no-store): the connection now carries events until
 * serve_close() or the client leaves. 0 or ERR_NOENT.
 */
int serve_sse_start(struct serve *s, uint64_t id);

/* Subscribe a stream (WebSocket or SSE) to t: 0, ERR_NOENT (no such
 * stream), ERR_LIMIT (a cap). Unsubscribe: no-op if absent. */
int serve_subscribe(struct serve *s, uint64_t id,
    const struct pubsub_topic *t);
void serve_unsubscribe(struct serve *s, uint64_t id,
    const struct pubsub_topic *t);

/*
 * Send ev to every subscriber of any of the n topics, once each even if
 * subscribed to several; a subscriber whose unsent output would pass
 * sub_out_max is dropped instead. Returns how many got it.
 */
size_t serve_publish(struct serve *s, const struct pubsub_topic *t, size_t n,
    const struct serve_event *ev);

/* Send ev to one stream (a first snapshot after subscribing, an error
 * message). 0, ERR_NOENT, or ERR_LIMIT (it was dropped). */
int serve_send(struct serve *s, uint64_t id, const struct serve_event *ev);

/* End a stream: WebSocket close with code and reason, or the event
 * stream's end; the connection closes once its output is written. */
void serve_close(struct serve *s, uint64_t id, int code, const char *reason);

/*
 * Apply a WebSocket client's message (body.h's body_sub: {"action":
 * "subscribe" | "unsubscribe", "project", "jobId", "topics"}) to stream id:
 * the job's topic when jobId is given, else the project's ("all" or none:
 * every job); then answer it with {"type": "subscribed" | "unsubscribed"}
 * or {"type": "error", "message"} (a bad message, a binary one, a cap).
 */
void serve_ws_subscribe(struct serve *s, uint64_t id,
    const struct serve_ws_ev *ev);

/* Counters for /metrics. */
void serve_stats(const struct serve *s, struct serve_stats *st);
size_t serve_subscribers(const struct serve *s);

#endif
