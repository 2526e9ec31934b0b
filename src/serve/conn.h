/*
 * conn.h - inside the server (src/serve/conn.c, serve.c, stream.c): a
 * connection's state and the functions the three files share. Not a
 * contract for anyone else: callers use serve.h.
 *
 * conn.c owns the connection's life (accept, read, write, timers, close);
 * serve.c what an HTTP request means (parse, route, token, body, handler,
 * answer, log); stream.c the WebSocket and Server-Sent Events streams and
 * the events published to them.
 */
#ifndef CONN_H
#define CONN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "chunked.h"
#include "loop.h"
#include "pubsub.h"
#include "req.h"
#include "route.h"
#include "serve.h"
#include "ws.h"

#define OUT_KEEP        65536   /* an emptied `out` larger than this is freed */
#define CLOSE_RESERVE   256     /* room over the limits for a close frame */
#define CLOSE_WAIT_MS   2000    /* our close sent: the peer's, within this */
#define TARGET_SHOWN    256     /* the path logged for a request */

enum { K_FREE = 0, K_HTTP, K_WS, K_SSE };       /* what the connection is */
enum { P_HEAD = 0, P_BODY, P_WAIT };            /* K_HTTP: its request */

#define F_CLOSE   0x001         /* close once `out` is written */
#define F_HEAD    0x002         /* the request is HEAD */
#define F_KEEP    0x004         /* the request allows another */
#define F_KEEP10  0x008         /* HTTP/1.0 keep-alive */
#define F_NOREAD  0x010         /* reading stopped */
#define F_FLUSH   0x020         /* on the flush list */
#define F_WS_SENT 0x040         /* our close frame is queued */
#define F_WRITE   0x080         /* waiting for the socket to take more */
#define F_INFULL  0x100         /* reading paused: `in` is full */
#define F_INCALL  0x200         /* its handler is running */
#define F_SCRATCH 0x400         /* `in` is the server's scratch buffer */

/*
 * One event's encoding for one kind of stream (a whole WebSocket frame, an
 * SSE event), made once per publish and shared: a subscriber with nothing
 * else unsent keeps a reference and its socket is written straight from
 * it (no copy, no buffer of its own); one with output queued copies it
 * into `out` behind the rest. Counted, not locked: the loop thread alone
 * touches it.
 */
struct frame {
	size_t refs;
	struct buf b;
};

struct conn {
	struct serve *s;
	int fd;
	uint32_t gen, idx;              /* the id: idx and generation */
	uint8_t kind, phase;
	uint16_t flags;
	struct loop_timer timer;        /* the nearest deadline */
	struct conn *next;              /* free list */
	struct conn *fprev, *fnext;     /* flush list (F_FLUSH) */
	struct buf in, out;             /* freed when empty */
	size_t out_off;                 /* out[0..out_off) is written */
	struct frame *held;             /* unsent output ahead of `out`: a
	                                 * shared event, or NULL */
	uint64_t out_since;             /* output last moved (ms) */
	uint64_t req_start;             /* first byte of this request, or 0 */
	union {                         /* one per kind: the table stays as
	                                 * small as before `held` */
		uint64_t idle_since;    /* K_HTTP: the last answer's end */
		uint64_t last_ping;     /* streams: last ping or comment */
	};
	uint64_t close_at;              /* F_WS_SENT: when */
	uint64_t seq;                   /* last publish delivered */
	size_t last_len;                /* req_parse()'s resume point */
	size_t head_len;
	int body;                       /* enum req_body */
	uint32_t held_off;              /* held's bytes already written (a
	                                 * frame is held only under 4 GiB) */
	uint64_t length;                /* REQ_BODY_LENGTH */
	uint64_t body_len;              /* REQ_BODY_CHUNKED: decoded so far */
	size_t raw_at;                  /* REQ_BODY_CHUNKED: next raw byte */
	size_t body_max;
	const struct route *route;
	struct pubsub_sub *subs;
	union {
		struct chunked ch;      /* K_HTTP */
		struct ws_parser ws;    /* K_WS */
	} u;
	struct buf msg;                 /* K_WS: the message so far */
	char method[REQ_METHOD_MAX + 1];
	char target[TARGET_SHOWN];      /* for the log line */
};

/* conn.c: identity, buffers, output, timers, the end */
uint64_t conn_id(const struct conn *c);
struct conn *conn_by_id(struct serve *s, uint64_t id);   /* NULL: gone */
uint64_t conn_now(const struct conn *c);
size_t conn_pending(const struct conn *c);      /* unsent output, held
                                                 * frame included */
void conn_watch(struct conn *c);        /* epoll interest from the flags */
void conn_consume(struct conn *c, size_t n);    /* drop n bytes of `in` */
void conn_close(struct conn *c);        /* now; the app hears of a WS's */
void conn_flush_later(struct conn *c);  /* write before the loop waits */
void conn_out_added(struct conn *c, size_t before);     /* after appending */
int conn_out_put(struct conn *c, const void *p, size_t n);
int conn_send_now(struct conn *c);      /* send what fits; -1: broken */
void conn_rearm(struct conn *c);        /* timer to the nearest deadline */
const char *conn_date(struct serve *s); /* Date: value, once a second */
struct frame *frame_new(size_t cap);    /* refs 1, empty; NULL: no memory */
void frame_unref(struct frame *f);      /* freed with its last reference */

/* serve.c: HTTP */
void serve_http_input(struct conn *c);  /* parse and run what `in` holds */
void serve_http_timeout(struct conn *c, uint64_t at);
void serve_fail(struct conn *c, int status, const char *message,
    const struct resp_field *extra, size_t nextra, int close_after);
void serve_log_request(struct conn *c, int status);
void serve_request_done(struct conn *c, int close_after);  /* answered */

/* stream.c: WebSocket and SSE */
void stream_upgrade(struct conn *c, const struct req *r,
    const struct route_match *m);
void stream_input(struct conn *c);      /* frames `in` holds */
void stream_tick(struct conn *c, uint64_t at);  /* pings, close wait */

#endif
