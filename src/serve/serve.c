/*
 * serve.c - connections, requests, answers and streams on the loop
 * thread. See serve.h.
 *
 * A connection's life: accepted into a free slot of the preallocated
 * table (struct conn: no buffers until bytes arrive); its bytes read into
 * `in` (capped at a head, the largest body and one read); each request
 * parsed whole from `in` (req_parse), checked (route, token, limits),
 * its body completed (Content-Length, or chunked decoded in place: the
 * data is moved down over its framing, so `in` holds head + body + one
 * read at most), the handler called; the answer goes to `out`, which the
 * loop writes before it next waits (one write per connection per
 * iteration, however many answers or events were queued). Buffers are
 * freed when they empty, so an idle connection costs its slot and a
 * descriptor. A WebSocket or event stream keeps the slot; its events go
 * to `out` too, under sub_out_max.
 *
 * One timer per connection, re-armed after every event to its nearest
 * deadline (request, idle, handler, stalled output, ping); when it fires
 * on_timer() finds which one passed.
 *
 * Banners: connections | output | requests | answers | WebSocket |
 * streams and topics | accept, init, shutdown.
 */
#define _GNU_SOURCE             /* accept4() in glibc (the sanitizer builds) */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "chunked.h"
#include "hfield.h"
#include "jsonw.h"
#include "serve.h"
#include "sse.h"
#include "ws.h"

#define READ_CHUNK      16384   /* one read() */
#define OUT_KEEP        65536   /* an emptied `out` larger than this is freed */
#define CLOSE_RESERVE   256     /* room over the limits for a close frame */
#define CLOSE_WAIT_MS   2000    /* our close sent: the peer's, within this */
#define ACCEPT_BATCH    64
#define TARGET_SHOWN    256     /* the path logged for a request */

enum { K_FREE = 0, K_HTTP, K_WS, K_SSE };
enum { P_HEAD = 0, P_BODY, P_WAIT };

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

struct conn {
	struct serve *s;
	int fd;
	uint32_t gen, idx;
	uint8_t kind, phase;
	uint16_t flags;
	struct loop_timer timer;
	struct conn *next;              /* free list or flush list */
	struct buf in, out;
	size_t out_off;                 /* out[0..out_off) is written */
	uint64_t out_since;             /* output last moved (ms) */
	uint64_t req_start;             /* first byte of this request, or 0 */
	uint64_t idle_since;
	uint64_t last_ping;
	uint64_t close_at;              /* F_WS_SENT: when */
	uint64_t seq;                   /* last publish delivered */
	size_t last_len;                /* req_parse()'s resume point */
	size_t head_len;
	int body;                       /* enum req_body */
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

static void conn_close(struct conn *c);
static void http_process(struct conn *c);
static void ws_process(struct conn *c);
static void rearm(struct conn *c);

/* ================================================ connections */

static uint64_t
conn_id(const struct conn *c)
{
	return (uint64_t)c->gen << 32 | c->idx;
}

static struct conn *
by_id(struct serve *s, uint64_t id)
{
	uint32_t idx = (uint32_t)id;
	struct conn *c;

	if (idx >= s->c.max_conns)
		return NULL;
	c = &s->conns[idx];
	return c->kind != K_FREE && c->gen == (uint32_t)(id >> 32) ? c : NULL;
}

static uint64_t
now(const struct conn *c)
{
	return loop_now(c->s->l);
}

static size_t
pending(const struct conn *c)
{
	return c->out.len - c->out_off;
}

/* Watch for what the connection waits for now. */
static void
watch(struct conn *c)
{
	int mask = 0;

	if (!(c->flags & (F_NOREAD | F_INFULL)))
		mask |= LOOP_READ;
	if (c->flags & F_WRITE)
		mask |= LOOP_WRITE;
	loop_mod(c->s->l, c->fd, mask);
}

/* Drop n bytes from the front of `in` (a request or frames done with). */
static void
consume(struct conn *c, size_t n)
{
	if (n >= c->in.len) {
		buf_free(&c->in);       /* idle connections hold no buffer */
	} else if (n > 0) {
		memmove(c->in.p, c->in.p + n, c->in.len - n);
		c->in.len -= n;
	}
	c->last_len = 0;
	if (c->flags & F_INFULL) {
		c->flags &= ~F_INFULL;
		watch(c);
	}
}

/* A stream's or connection's end; the app hears of a WebSocket's. */
static void
conn_close(struct conn *c)
{
	struct serve *s = c->s;
	uint64_t id = conn_id(c);
	int was_ws = c->kind == K_WS;
	const struct route *rt = c->route;

	if (c->kind == K_FREE)
		return;
	pubsub_drop(&s->ps, &c->subs);
	loop_timer_cancel(s->l, &c->timer);
	loop_del(s->l, c->fd);
	close(c->fd);
	if (c->flags & F_FLUSH) {
		struct conn **pp = &s->flush;
		while (*pp != c)
			pp = &(*pp)->next;
		*pp = c->next;
	}
	buf_free(&c->in);
	buf_free(&c->out);
	buf_free(&c->msg);
	c->kind = K_FREE;
	c->gen++;               /* late answers for id find nothing */
	c->flags = 0;
	c->next = s->free_conns;
	s->free_conns = c;
	s->st.conns--;
	if (was_ws && rt != NULL) {
		struct serve_ws_ev ev = { SERVE_WS_CLOSED, NULL, NULL, 0, 0 };
		((serve_ws_fn *)(void *)rt->fn)(s->c.app, s, id, &ev);
	}
	if (s->draining && s->st.conns == 0 && s->drained != NULL) {
		void (*done)(void *) = s->drained;
		s->drained = NULL;
		loop_timer_cancel(s->l, &s->drain);
		done(s->c.app);
	}
}

/* ================================================ output */

static void
queue_flush(struct conn *c)
{
	if (!(c->flags & F_FLUSH)) {
		c->flags |= F_FLUSH;
		c->next = c->s->flush;
		c->s->flush = c;
	}
}

/* Note that bytes were added to `out`: the stall clock starts when it
 * stops being empty. */
static void
out_added(struct conn *c, size_t before)
{
	if (before == 0)
		c->out_since = now(c);
	queue_flush(c);
}

/* Append a piece of output as one unit (over cap: nothing appended). */
static int
out_put(struct conn *c, const void *p, size_t n)
{
	size_t before = pending(c);
	int e = buf_append(&c->out, p, n);

	if (e == 0)
		out_added(c, before);
	return e;
}

/* Send what the socket takes now, never waiting. 0, or -1 if the
 * connection is broken (reset, broken pipe). What is sent is dropped from
 * the front of `out` once it is a good share of it, so a stream that is
 * always a little behind does not creep towards its cap. */
static int
send_now(struct conn *c)
{
	while (c->out_off < c->out.len) {
		ssize_t n = send(c->fd, c->out.p + c->out_off,
		    c->out.len - c->out_off, MSG_NOSIGNAL);
		if (n > 0) {
			c->out_off += (size_t)n;
			c->out_since = now(c);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		return -1;
	}
	if (c->out_off == c->out.len) {
		c->out.len = c->out_off = 0;
	} else if (c->out_off >= OUT_KEEP / 4 &&
	    c->out_off >= c->out.len / 2) {
		memmove(c->out.p, c->out.p + c->out_off,
		    c->out.len - c->out_off);
		c->out.len -= c->out_off;
		c->out_off = 0;
	}
	return 0;
}

/* Write what the socket takes; close when done and F_CLOSE. */
static void
write_out(struct conn *c)
{
	if (send_now(c) != 0) {
		conn_close(c);
		return;
	}
	if (pending(c) == 0) {
		if (c->out.alloc > OUT_KEEP || c->kind == K_HTTP)
			buf_free(&c->out);
		if (c->flags & F_CLOSE) {
			conn_close(c);
			return;
		}
		if (c->flags & F_WRITE) {
			c->flags &= ~F_WRITE;
			watch(c);
		}
	} else if (!(c->flags & F_WRITE)) {
		c->flags |= F_WRITE;
		watch(c);
	}
	rearm(c);
}

static void
before_wait(struct loop *l, void *arg)
{
	struct serve *s = arg;
	struct conn *c;

	(void)l;
	while ((c = s->flush) != NULL) {
		s->flush = c->next;
		c->flags &= ~F_FLUSH;
		write_out(c);
	}
}

/* ================================================ answers */

static const char *
date_now(struct serve *s)
{
	time_t t = time(NULL);

	if ((int64_t)t != s->date_at) {
		resp_date(t, s->date);
		s->date_at = (int64_t)t;
	}
	return s->date;
}

static const char *
error_code(int status)
{
	switch (status) {
	case 400: return "bad_request";
	case 401: return "unauthorized";
	case 403: return "forbidden";
	case 404: return "not_found";
	case 405: return "method_not_allowed";
	case 408: return "request_timeout";
	case 409: return "conflict";
	case 413: return "body_too_large";
	case 414: return "uri_too_long";
	case 415: return "unsupported_media_type";
	case 417: return "expectation_failed";
	case 422: return "invalid_request";
	case 426: return "upgrade_required";
	case 429: return "too_many_requests";
	case 431: return "headers_too_large";
	case 500: return "internal_error";
	case 501: return "not_implemented";
	case 503: return "unavailable";
	case 505: return "http_version_not_supported";
	default: return status < 500 ? "client_error" : "server_error";
	}
}

/* see serve.h */
int
serve_error_json(struct buf *b, int status, const char *message)
{
	struct jw w;

	jw_init(&w, b);
	jw_obj(&w);
	jw_key(&w, "error");
	jw_obj(&w);
	jw_key(&w, "code");
	jw_str(&w, error_code(status));
	jw_key(&w, "message");
	jw_str(&w, message);
	jw_obj_end(&w);
	jw_obj_end(&w);
	return jw_error(&w);
}

/* One JSON line per request: method, path (no access_token), status, ms. */
static void
log_request(struct conn *c, int status)
{
	char st[8], ms[24];
	const char *kv[] = { "method", c->method[0] ? c->method : "-",
	    "path", c->target[0] ? c->target : "-", "status", st, "ms", ms,
	    NULL };

	c->s->st.requests++;
	if (c->s->c.log == NULL)
		return;
	snprintf(st, sizeof st, "%d", status);
	snprintf(ms, sizeof ms, "%llu", (unsigned long long)
	    (c->req_start && now(c) > c->req_start ? now(c) - c->req_start :
	    0));
	log_msg(c->s->c.log, LOG_INFO, "http", "request", kv);
}

/* The request is answered: back to reading the next one, or closing. */
static void
request_done(struct conn *c, int close_after)
{
	if (close_after) {
		c->flags |= F_CLOSE | F_NOREAD;
		watch(c);
	}
	c->phase = P_HEAD;
	c->req_start = 0;
	c->idle_since = now(c);
	c->flags &= ~(F_HEAD | F_KEEP | F_KEEP10);
}

/* Write an answer for the current request and log it. */
static int
answer(struct conn *c, int status, const char *ctype,
    const struct resp_field *f, size_t nf, const void *body, size_t n,
    int close_after)
{
	struct serve *s = c->s;
	size_t before = pending(c);
	int flags = 0, e;

	if (close_after || !(c->flags & F_KEEP) || s->draining)
		flags |= RESP_CLOSE;
	if (c->flags & F_HEAD)
		flags |= RESP_HEAD;
	if ((c->flags & F_KEEP10) && !(flags & RESP_CLOSE))
		flags |= RESP_KEEP10;
	e = resp_write(&c->out, status, date_now(s), ctype, f, nf, body, n,
	    flags);
	if (e == ERR_LIMIT || e == ERR_NOMEM) {
		static const char msg[] = "{\"error\":{\"code\":"
		    "\"internal_error\",\"message\":\"answer over the size "
		    "limit\"}}";
		status = 500;
		flags |= RESP_CLOSE;
		c->out.cap += CLOSE_RESERVE;    /* room for this, once */
		resp_write(&c->out, status, date_now(s), "application/json",
		    NULL, 0, msg, sizeof msg - 1, flags);
		c->out.cap -= CLOSE_RESERVE;
	} else if (e != 0) {
		return e;
	}
	out_added(c, before);
	log_request(c, status);
	request_done(c, (flags & RESP_CLOSE) != 0);
	return e;
}

static const struct resp_field json_fields[] = {
	{ "Cache-Control", "no-store" },
	{ "X-Content-Type-Options", "nosniff" },
};

/* An error answer in the JSON shape, with extra fields (Allow, ...). */
static void
fail(struct conn *c, int status, const char *message,
    const struct resp_field *extra, size_t nextra, int close_after)
{
	struct resp_field f[4];
	struct buf b;
	size_t nf = 0;

	buf_init(&b, 4096);
	serve_error_json(&b, status, message);
	f[nf++] = json_fields[0];
	f[nf++] = json_fields[1];
	for (size_t i = 0; i < nextra && nf < 4; i++)
		f[nf++] = extra[i];
	answer(c, status, "application/json", f, nf, b.p, b.len,
	    close_after);
	buf_free(&b);
}

/* see serve.h */
int
serve_reply(struct serve *s, uint64_t id, int status, const char *ctype,
    const struct resp_field *f, size_t nf, const void *body, size_t n)
{
	struct conn *c = by_id(s, id);
	int e;

	if (c == NULL || c->kind != K_HTTP || c->phase != P_WAIT)
		return ERR_NOENT;
	e = answer(c, status, ctype, f, nf, body, n, 0);
	if (e == 0 && c->kind == K_HTTP && c->in.len > 0 &&
	    !(c->flags & F_INCALL))
		http_process(c);        /* a pipelined request waits */
	return e;
}

/* see serve.h */
int
serve_reply_json(struct serve *s, uint64_t id, int status, const void *json,
    size_t n)
{
	return serve_reply(s, id, status, "application/json", json_fields, 2,
	    json, n);
}

/* see serve.h */
int
serve_reply_error(struct serve *s, uint64_t id, int status,
    const char *message)
{
	struct buf b;
	int e;

	buf_init(&b, 4096);
	if ((e = serve_error_json(&b, status, message)) == 0)
		e = serve_reply_json(s, id, status, b.p, b.len);
	buf_free(&b);
	return e;
}

/* ================================================ requests */

/* Content-Type application/json, parameters allowed (RFC 8259 section
 * 11: no charset is defined, but clients send one). */
static int
json_type(const struct req *r)
{
	struct slice v;
	size_t n = 0;

	if (!req_header(r, "content-type", &v))
		return 0;
	while (n < v.n && v.p[n] != ';' && !hfield_ows(v.p[n]))
		n++;
	return hfield_eq(v.p, n, "application/json");
}

/* A WebSocket from a page on another site could read what the token
 * (or loopback) protects: an Origin must name our own Host. */
static int
origin_ok(const struct req *r)
{
	struct slice o, h;
	size_t skip;

	if (!req_header(r, "origin", &o))
		return 1;               /* not a browser */
	if (!req_header(r, "host", &h))
		return 0;
	skip = o.n > 7 && hfield_eq(o.p, 7, "http://") ? 7 :
	    o.n > 8 && hfield_eq(o.p, 8, "https://") ? 8 : 0;
	if (skip == 0 || o.n - skip != h.n)
		return 0;
	for (size_t i = 0; i < h.n; i++) {
		int a = o.p[skip + i], b = h.p[i];
		if ((a | 0x20) != (b | 0x20) || (a ^ b) & ~0x20)
			return 0;       /* host names: ASCII, any case */
	}
	return 1;
}

static void
ws_upgrade(struct conn *c, const struct req *r, const struct route_match *m)
{
	struct serve *s = c->s;
	char acc[WS_ACCEPT_LEN + 1];
	struct resp_field f[3];
	struct serve_req sr;
	struct serve_ws_ev ev;
	uint32_t gen = c->gen;
	size_t before = pending(c);
	int e = ws_handshake(r, acc);

	if (e == ERR_WS_VERSION) {
		struct resp_field v = { "Sec-WebSocket-Version", "13" };
		fail(c, 426, err_str(e), &v, 1, 1);
		return;
	}
	if (e != 0) {
		fail(c, 400, err_str(e), NULL, 0, 1);
		return;
	}
	if (!origin_ok(r)) {
		fail(c, 403, "WebSocket from another origin", NULL, 0, 1);
		return;
	}
	f[0].name = "Upgrade";
	f[0].value = "websocket";
	f[1].name = "Connection";
	f[1].value = "Upgrade";
	f[2].name = "Sec-WebSocket-Accept";
	f[2].value = acc;
	if (resp_write_head(&c->out, 101, date_now(s), f, 3) != 0) {
		conn_close(c);
		return;
	}
	out_added(c, before);
	log_request(c, 101);
	c->kind = K_WS;
	c->phase = P_HEAD;
	c->req_start = 0;
	c->last_ping = now(c);
	ws_init(&c->u.ws, s->c.ws_msg_max);
	buf_init(&c->msg, s->c.ws_msg_max);
	s->st.ws_open++;
	sr.http = r;
	sr.m = m;
	sr.body.p = NULL;
	sr.body.n = 0;
	sr.id = conn_id(c);
	memset(&ev, 0, sizeof ev);
	ev.type = SERVE_WS_OPEN;
	ev.req = &sr;
	((serve_ws_fn *)(void *)c->route->fn)(s->c.app, s, sr.id, &ev);
	if (c->gen == gen)
		consume(c, c->head_len);
}

/*
 * A head has arrived: route, token, limits, upgrade, 100-continue. 1 to
 * go on reading its body; 0 if it was answered (or upgraded) already.
 */
static int
on_head(struct conn *c, const struct req *r)
{
	struct serve *s = c->s;
	struct route_match m;
	char msg[TARGET_SHOWN + 64];
	int k;

	if (r->method.n == 4 && memcmp(r->method.p, "HEAD", 4) == 0)
		c->flags |= F_HEAD;
	if (r->keep_alive)
		c->flags |= F_KEEP | (r->minor == 0 ? F_KEEP10 : 0);
	k = route_find(s->c.routes, s->c.nroutes, r->method, r->path, &m);
	if (k != ROUTE_FOUND) {
		struct resp_field allow = { "Allow", m.allow };
		snprintf(msg, sizeof msg, "%s %s: %s", c->method,
		    c->target, k == ROUTE_METHOD ? "method not allowed" :
		    "no such route");
		fail(c, k == ROUTE_METHOD ? 405 : 404, msg, &allow,
		    k == ROUTE_METHOD, r->body != REQ_BODY_NONE);
		return 0;
	}
	c->route = m.route;
	if (!(c->route->flags & SERVE_OPEN) && auth_check(s->c.token, r,
	    (c->route->flags & SERVE_QUERY_TOKEN) != 0) != 0) {
		struct resp_field wa = { "WWW-Authenticate", "Bearer" };
		fail(c, 401, err_str(ERR_AUTH), &wa, 1,
		    r->body != REQ_BODY_NONE);
		return 0;
	}
	c->body_max = c->route->body_max ? c->route->body_max :
	    s->c.body_max;
	if (r->body == REQ_BODY_LENGTH && r->length > c->body_max) {
		snprintf(msg, sizeof msg, "%s (%zu bytes)",
		    err_str(ERR_REQ_BODY_SIZE), c->body_max);
		fail(c, 413, msg, NULL, 0, 1);
		return 0;
	}
	if ((c->route->flags & SERVE_JSON) && r->body != REQ_BODY_NONE &&
	    !json_type(r)) {
		fail(c, 415, "want Content-Type: application/json", NULL, 0,
		    1);
		return 0;
	}
	if (c->route->flags & SERVE_WS) {
		ws_upgrade(c, r, &m);
		return 0;
	}
	c->body = r->body;
	c->length = r->length;
	c->body_len = 0;
	c->raw_at = c->head_len;
	chunked_init(&c->u.ch);
	if (r->expect_continue && r->body != REQ_BODY_NONE &&
	    c->in.len == c->head_len) {
		static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
		out_put(c, cont, sizeof cont - 1);
	}
	c->phase = P_BODY;
	return 1;
}

/* Decode what arrived of a chunked body, in place. 1 complete, 0 more
 * needed, -1 answered with an error. */
static int
chunked_step(struct conn *c)
{
	char msg[160];
	size_t dst;

	while (c->raw_at < c->in.len) {
		const uint8_t *data;
		size_t dlen, k;
		int ev;

		k = chunked_push(&c->u.ch, c->in.p + c->raw_at,
		    c->in.len - c->raw_at, &ev, &data, &dlen);
		if (ev == CHUNKED_DATA) {
			if (dlen > c->body_max - c->body_len) {
				snprintf(msg, sizeof msg, "%s (%zu bytes)",
				    err_str(ERR_REQ_BODY_SIZE), c->body_max);
				fail(c, 413, msg, NULL, 0, 1);
				return -1;
			}
			memmove(c->in.p + c->head_len + c->body_len, data,
			    dlen);
			c->body_len += dlen;
		}
		c->raw_at += k;
		if (ev == CHUNKED_DONE)
			return 1;
		if (ev == CHUNKED_ERROR) {
			fail(c, 400, err_str(chunked_error(&c->u.ch)), NULL, 0,
			    1);
			return -1;
		}
		if (ev == CHUNKED_NEED)
			break;
	}
	/* the framing read so far is no longer needed: close the gap */
	dst = c->head_len + (size_t)c->body_len;
	if (c->raw_at > dst) {
		memmove(c->in.p + dst, c->in.p + c->raw_at,
		    c->in.len - c->raw_at);
		c->in.len -= c->raw_at - dst;
		c->raw_at = dst;
		c->last_len = 0;
	}
	return 0;
}

/* The request is whole: call its handler. */
static void
dispatch(struct conn *c)
{
	struct serve *s = c->s;
	struct req r;
	struct req_header h[REQ_HEADERS_MAX];
	struct route_match m;
	struct serve_req sr;
	uint32_t gen = c->gen;
	size_t used;

	/* the slices of the first parse may have moved with `in`: parse
	 * the same head again (it cannot fail now) */
	if (req_parse(c->in.p, c->head_len, 0, &r, h, REQ_HEADERS_MAX) !=
	    (int)c->head_len ||
	    route_find(s->c.routes, s->c.nroutes, r.method, r.path, &m) !=
	    ROUTE_FOUND) {
		fail(c, 500, "request changed under the parser", NULL, 0, 1);
		return;
	}
	sr.http = &r;
	sr.m = &m;
	sr.body.p = c->in.p + c->head_len;
	sr.body.n = c->body == REQ_BODY_CHUNKED ? (size_t)c->body_len :
	    c->body == REQ_BODY_LENGTH ? (size_t)c->length : 0;
	used = c->body == REQ_BODY_CHUNKED ? c->raw_at :
	    c->head_len + sr.body.n;
	sr.id = conn_id(c);
	c->phase = P_WAIT;
	c->flags |= F_INCALL;
	((serve_http_fn *)(void *)m.route->fn)(s->c.app, s, &sr);
	if (c->gen != gen)
		return;                 /* closed by the handler */
	c->flags &= ~F_INCALL;
	if (c->kind == K_HTTP)
		consume(c, used);
	else
		consume(c, c->in.len);  /* a stream: nothing more is read */
}

/* Parse and run the requests `in` holds, until one must wait. */
static void
http_process(struct conn *c)
{
	uint32_t gen = c->gen;

	while (c->gen == gen && c->kind == K_HTTP && c->phase != P_WAIT &&
	    !(c->flags & F_CLOSE)) {
		if (c->phase == P_HEAD) {
			struct req r;
			struct req_header h[REQ_HEADERS_MAX];
			int k;

			if (c->in.len == 0)
				break;
			if (c->req_start == 0)
				c->req_start = now(c);
			k = req_parse(c->in.p, c->in.len, c->last_len, &r, h,
			    REQ_HEADERS_MAX);
			if (k == REQ_INCOMPLETE) {
				c->last_len = c->in.len;
				break;
			}
			c->method[0] = c->target[0] = '\0';
			if (r.method.n > 0)
				err_field(c->method, sizeof c->method,
				    r.method.p, r.method.n);
			if (r.path.n > 0)
				auth_show_target(&r, c->target,
				    sizeof c->target);
			if (k == REQ_BAD) {
				fail(c, r.status, err_str(r.err), NULL, 0, 1);
				break;
			}
			c->head_len = (size_t)k;
			if (!on_head(c, &r)) {
				/* answered at its head (404, 401, ...): a
				 * request without a body is done with; one
				 * with a body closes the connection */
				if (c->gen == gen && c->kind == K_HTTP &&
				    !(c->flags & F_CLOSE))
					consume(c, c->head_len);
				continue;
			}
		}
		if (c->phase == P_BODY) {
			int k = 1;
			if (c->body == REQ_BODY_LENGTH)
				k = c->in.len - c->head_len >= c->length;
			else if (c->body == REQ_BODY_CHUNKED)
				k = chunked_step(c);
			if (k <= 0)
				break;
			dispatch(c);
		}
	}
	if (c->gen == gen && c->kind == K_WS && c->in.len > 0)
		ws_process(c);          /* frames right behind the handshake */
}

/* ================================================ WebSocket */

/* A frame of ours: head and payload as one unit. ERR_LIMIT over cap. */
static int
ws_frame(struct conn *c, int opcode, const void *p, size_t n)
{
	uint8_t h[WS_HEAD_MAX];
	size_t hn = ws_frame_head(h, opcode, n), before = pending(c);
	int e;

	if ((e = buf_reserve(&c->out, hn + n)) != 0)
		return e;
	buf_append(&c->out, h, hn);
	buf_append(&c->out, p, n);
	out_added(c, before);
	return 0;
}

/* Send our close (over the limits if need be: the reserve is for it). */
static void
ws_send_close(struct conn *c, int code, const char *reason)
{
	uint8_t f[2 + WS_CONTROL_MAX];
	size_t n = ws_close_frame(f, code, reason), before = pending(c);

	if (c->flags & F_WS_SENT)
		return;
	c->out.cap += CLOSE_RESERVE;
	if (buf_append(&c->out, f, n) == 0)
		out_added(c, before);
	c->out.cap -= CLOSE_RESERVE;
	c->flags |= F_WS_SENT;
	c->close_at = now(c);
}

static void
ws_process(struct conn *c)
{
	struct serve *s = c->s;
	uint32_t gen = c->gen;
	size_t at = 0;

	while (c->gen == gen && c->kind == K_WS) {
		struct ws_ev ev;
		struct serve_ws_ev sev;
		size_t k = ws_push(&c->u.ws, c->in.p + at, c->in.len - at, &ev);

		at += k;
		switch (ev.type) {
		case WS_EV_NONE:
			goto out;
		case WS_EV_DATA:
			buf_append(&c->msg, ev.data, ev.len);   /* fits: the
			                                         * parser caps it */
			break;
		case WS_EV_MESSAGE:
			memset(&sev, 0, sizeof sev);
			sev.type = SERVE_WS_MESSAGE;
			sev.msg = c->msg.p;
			sev.n = c->msg.len;
			sev.binary = ev.opcode == WS_BINARY;
			if (!(c->flags & F_WS_SENT))
				((serve_ws_fn *)(void *)c->route->fn)(
				    s->c.app, s, conn_id(c), &sev);
			if (c->gen != gen)
				return;
			if (c->msg.alloc > 4096)
				buf_free(&c->msg);
			else
				buf_reset(&c->msg);
			break;
		case WS_EV_PING:
			if (!(c->flags & F_WS_SENT))
				ws_frame(c, WS_PONG, ev.data, ev.len);
			break;
		case WS_EV_PONG:
			break;
		case WS_EV_CLOSE:
			/* echo the code (RFC 6455 section 5.5.1); then the
			 * server closes the TCP connection first */
			if (!(c->flags & F_WS_SENT)) {
				if (ev.code == 1005) {
					ws_frame(c, WS_CLOSE, NULL, 0);
					c->flags |= F_WS_SENT;
				} else {
					ws_send_close(c, ev.code, NULL);
				}
			}
			c->flags |= F_CLOSE | F_NOREAD;
			watch(c);
			queue_flush(c);
			at = c->in.len;
			goto out;
		case WS_EV_ERROR:
			ws_send_close(c, ev.code, err_str(ev.err));
			c->flags |= F_CLOSE | F_NOREAD;
			watch(c);
			at = c->in.len;
			goto out;
		}
	}
out:
	if (c->gen == gen)
		consume(c, at);
}

/* ================================================ streams and topics */

/* see serve.h */
int
serve_sse_start(struct serve *s, uint64_t id)
{
	static const struct resp_field f[] = {
		{ "Content-Type", "text/event-stream" },
		{ "Cache-Control", "no-store" },
		{ "X-Accel-Buffering", "no" },  /* nginx: do not buffer */
		{ "X-Content-Type-Options", "nosniff" },
	};
	struct conn *c = by_id(s, id);
	size_t before;

	if (c == NULL || c->kind != K_HTTP || c->phase != P_WAIT)
		return ERR_NOENT;
	before = pending(c);
	if (resp_write_head(&c->out, 200, date_now(s), f, 4) != 0)
		return ERR_LIMIT;
	log_request(c, 200);
	if (c->flags & F_HEAD) {
		out_added(c, before);
		request_done(c, 1);
		return 0;
	}
	sse_retry(&c->out, 2000);
	out_added(c, before);
	c->kind = K_SSE;
	c->phase = P_HEAD;
	c->req_start = 0;
	c->last_ping = now(c);
	s->st.sse_open++;
	rearm(c);
	return 0;
}

/* see serve.h */
int
serve_subscribe(struct serve *s, uint64_t id, const struct pubsub_topic *t)
{
	struct conn *c = by_id(s, id);

	if (c == NULL || (c->kind != K_WS && c->kind != K_SSE) ||
	    (c->flags & F_CLOSE))
		return ERR_NOENT;
	return pubsub_subscribe(&s->ps, t, id, &c->subs);
}

/* see serve.h */
void
serve_unsubscribe(struct serve *s, uint64_t id, const struct pubsub_topic *t)
{
	struct conn *c = by_id(s, id);

	if (c != NULL)
		pubsub_unsubscribe(&s->ps, t, &c->subs);
}

/* A subscriber that cannot keep up: dropped, never waited for. */
static void
drop_slow(struct conn *c)
{
	struct serve *s = c->s;
	char n[24];
	const char *kv[] = { "limit", n, NULL };

	s->st.dropped_slow++;
	pubsub_drop(&s->ps, &c->subs);
	if (c->kind == K_WS)
		ws_send_close(c, 1008, "slow consumer: events not read");
	c->flags |= F_CLOSE | F_NOREAD;
	watch(c);
	queue_flush(c);
	if (s->c.log != NULL) {
		snprintf(n, sizeof n, "%zu", s->c.sub_out_max);
		log_msg(s->c.log, LOG_WARN, "http", "slow subscriber dropped",
		    kv);
	}
}

/* Queue ev for c (its kind's encoding). 1 sent, 0 nothing for its kind,
 * -1 dropped. */
static int
deliver(struct conn *c, const struct serve_event *ev, const struct buf *sse)
{
	size_t need, before = pending(c);
	uint8_t h[WS_HEAD_MAX];
	size_t hn = 0;

	if (c->flags & F_CLOSE)
		return 0;
	if (c->kind == K_WS) {
		if (ev->ws == NULL)
			return 0;
		hn = ws_frame_head(h, WS_TEXT, ev->ws_n);
		need = hn + ev->ws_n;
	} else if (c->kind == K_SSE) {
		if (sse == NULL || sse->len == 0)
			return 0;
		need = sse->len;
	} else {
		return 0;
	}
	if (before > c->s->c.sub_out_max ||
	    need > c->s->c.sub_out_max - before) {
		/* over the limit as queued: first give the socket what it
		 * takes now (a burst queued within one iteration is not a
		 * slow client); still over, the client is behind */
		if (send_now(c) != 0) {
			pubsub_drop(&c->s->ps, &c->subs);
			c->flags |= F_CLOSE | F_NOREAD;
			queue_flush(c);
			return -1;
		}
		before = pending(c);
	}
	if (before > c->s->c.sub_out_max ||
	    need > c->s->c.sub_out_max - before ||
	    buf_reserve(&c->out, need) != 0) {
		drop_slow(c);
		return -1;
	}
	if (c->kind == K_WS) {
		buf_append(&c->out, h, hn);
		buf_append(&c->out, ev->ws, ev->ws_n);
	} else {
		buf_append(&c->out, sse->p, sse->len);
	}
	out_added(c, before);
	return 1;
}

struct publish {
	struct serve *s;
	const struct serve_event *ev;
	struct buf sse;         /* the SSE encoding, made once */
	size_t sent;
};

static void
publish_one(void *arg, uint64_t owner)
{
	struct publish *p = arg;
	struct conn *c = by_id(p->s, owner);

	if (c == NULL || c->seq == p->s->publish_seq)
		return;                 /* subscribed to two of the topics */
	c->seq = p->s->publish_seq;
	if (deliver(c, p->ev, &p->sse) > 0)
		p->sent++;
}

static void
sse_encode(struct buf *b, const struct serve_event *ev)
{
	buf_init(b, SIZE_MAX / 2);
	if (ev->sse != NULL)
		sse_event(b, ev->sse_id, ev->sse_event, ev->sse, ev->sse_n);
}

/* see serve.h */
size_t
serve_publish(struct serve *s, const struct pubsub_topic *t, size_t n,
    const struct serve_event *ev)
{
	struct publish p = { s, ev, { NULL, 0, 0, 0 }, 0 };

	sse_encode(&p.sse, ev);
	s->publish_seq++;
	for (size_t i = 0; i < n; i++)
		pubsub_publish(&s->ps, &t[i], publish_one, &p);
	buf_free(&p.sse);
	return p.sent;
}

/* see serve.h */
int
serve_send(struct serve *s, uint64_t id, const struct serve_event *ev)
{
	struct conn *c = by_id(s, id);
	struct buf sse;
	int r;

	if (c == NULL || (c->kind != K_WS && c->kind != K_SSE))
		return ERR_NOENT;
	sse_encode(&sse, ev);
	r = deliver(c, ev, &sse);
	buf_free(&sse);
	return r < 0 ? ERR_LIMIT : 0;
}

/* see serve.h */
void
serve_close(struct serve *s, uint64_t id, int code, const char *reason)
{
	struct conn *c = by_id(s, id);

	if (c == NULL)
		return;
	if (c->kind == K_WS) {
		ws_send_close(c, code, reason);
		rearm(c);               /* the peer's close, or the timeout */
	} else if (c->kind == K_SSE) {
		c->flags |= F_CLOSE;
		queue_flush(c);
	}
}

/* see serve.h */
void
serve_stats(const struct serve *s, struct serve_stats *st)
{
	*st = s->st;
}

/* see serve.h */
size_t
serve_subscribers(const struct serve *s)
{
	return pubsub_total(&s->ps);
}

/* ================================================ timers and reading */

static uint64_t
min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* The connection's nearest deadline. */
static uint64_t
deadline(const struct conn *c)
{
	const struct serve_config *k = &c->s->c;
	uint64_t due = UINT64_MAX;

	if (pending(c) > 0)
		due = c->out_since + k->write_ms;
	switch (c->kind) {
	case K_HTTP:
		if (c->phase == P_WAIT)
			due = min64(due, c->req_start + k->handler_ms);
		else if (c->req_start != 0)
			due = min64(due, c->req_start + k->request_ms);
		else if (pending(c) == 0)
			due = min64(due, c->idle_since + k->idle_ms);
		break;
	case K_WS:
		if (c->flags & F_WS_SENT)
			due = min64(due, c->close_at + CLOSE_WAIT_MS);
		/* FALLTHROUGH */
	case K_SSE:
		due = min64(due, c->last_ping + k->ping_ms);
		break;
	}
	return due;
}

static void
on_timer(struct loop *l, struct loop_timer *t)
{
	struct conn *c = (struct conn *)(void *)((char *)t -
	    offsetof(struct conn, timer));
	const struct serve_config *k = &c->s->c;
	uint64_t at = loop_now(l);

	if (pending(c) > 0 && at >= c->out_since + k->write_ms) {
		conn_close(c);          /* the client stopped reading */
		return;
	}
	switch (c->kind) {
	case K_HTTP:
		if (c->phase == P_WAIT &&
		    at >= c->req_start + k->handler_ms) {
			fail(c, 503, "no answer in time", NULL, 0, 1);
		} else if (c->phase != P_WAIT && c->req_start != 0 &&
		    at >= c->req_start + k->request_ms) {
			fail(c, 408, "request not received in time", NULL, 0,
			    1);
		} else if (c->req_start == 0 && pending(c) == 0 &&
		    at >= c->idle_since + k->idle_ms) {
			conn_close(c);
			return;
		}
		break;
	case K_WS:
		if ((c->flags & F_WS_SENT) &&
		    at >= c->close_at + CLOSE_WAIT_MS) {
			conn_close(c);
			return;
		}
		if (at >= c->last_ping + k->ping_ms) {
			if (!(c->flags & F_WS_SENT))
				ws_frame(c, WS_PING, NULL, 0);
			c->last_ping = at;
		}
		break;
	case K_SSE:
		if (at >= c->last_ping + k->ping_ms) {
			size_t before = pending(c);
			if (sse_comment(&c->out, "keep-alive") == 0)
				out_added(c, before);
			c->last_ping = at;
		}
		break;
	}
	if (c->kind != K_FREE)
		rearm(c);
}

static void
rearm(struct conn *c)
{
	uint64_t due = deadline(c), at = now(c);

	if (c->kind == K_FREE)
		return;
	loop_timer_set(c->s->l, &c->timer, due > at ? due - at : 0, on_timer);
}

static void
on_eof(struct conn *c)
{
	c->flags |= F_NOREAD;
	watch(c);
	if (c->kind == K_HTTP && (c->phase == P_WAIT || pending(c) > 0)) {
		/* answer what was asked, then close (a half-close is
		 * still a request) */
		c->flags |= F_CLOSE;
		return;
	}
	conn_close(c);
}

static void
on_read(struct conn *c)
{
	uint32_t gen = c->gen;

	for (int round = 0; round < 4; round++) {
		size_t room = c->in.cap - c->in.len;
		ssize_t n;

		if (c->flags & (F_NOREAD | F_INFULL))
			return;
		if (c->kind == K_SSE) {
			uint8_t junk[512];      /* a stream's client: ignored */
			n = read(c->fd, junk, sizeof junk);
			if (n == 0 || (n < 0 && errno != EAGAIN &&
			    errno != EINTR))
				conn_close(c);
			return;
		}
		if (room > READ_CHUNK)
			room = READ_CHUNK;
		if (room == 0 || buf_reserve(&c->in, room) != 0) {
			/* full: a request (or pipelined ones) waits for its
			 * answer; read again once it is consumed */
			c->flags |= F_INFULL;
			watch(c);
			return;
		}
		n = read(c->fd, c->in.p + c->in.len, room);
		if (n > 0) {
			c->in.len += (size_t)n;
			if (c->kind == K_HTTP)
				http_process(c);
			else
				ws_process(c);
			if (c->gen != gen)
				return;
			if ((size_t)n < room)
				break;
			continue;
		}
		if (n == 0) {
			on_eof(c);
			return;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		conn_close(c);
		return;
	}
	rearm(c);
}

static void
on_io(struct loop *l, int fd, int events, void *arg)
{
	struct conn *c = arg;
	uint32_t gen = c->gen;

	(void)l;
	(void)fd;
	if (events & LOOP_WRITE) {
		write_out(c);
		if (c->gen != gen)
			return;
	}
	if (events & LOOP_READ) {
		if (c->flags & (F_NOREAD | F_INFULL)) {
			/* not watched for input: a hang-up or an error
			 * (level-triggered: left open, it would spin) */
			conn_close(c);
			return;
		}
		on_read(c);
	}
}

/* ================================================ accept, init, shutdown */

/* Over the connection cap: a short answer, then close (best effort: the
 * socket is new, its buffer empty). */
static void
refuse(struct serve *s, int fd)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
	    "Content-Type: application/json\r\nContent-Length: 69\r\n"
	    "Connection: close\r\n\r\n"
	    "{\"error\":{\"code\":\"unavailable\",\"message\":\"too many "
	    "connections\"}}";
	ssize_t w = send(fd, busy, sizeof busy - 1, MSG_NOSIGNAL);

	(void)w;
	close(fd);
	s->st.refused++;
}

static void
on_pause_end(struct loop *l, struct loop_timer *t)
{
	struct serve *s = (struct serve *)(void *)((char *)t -
	    offsetof(struct serve, pause));

	if (s->lfd >= 0)
		loop_mod(l, s->lfd, LOOP_READ);
}

static void
on_accept(struct loop *l, int fd, int events, void *arg)
{
	struct serve *s = arg;
	int one = 1;

	(void)fd;
	(void)events;
	for (int k = 0; k < ACCEPT_BATCH; k++) {
		int cfd = accept4(s->lfd, NULL, NULL,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;

		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/* out of descriptors: stop accepting for a
				 * moment rather than spin on the backlog */
				loop_mod(l, s->lfd, 0);
				loop_timer_set(l, &s->pause, 100,
				    on_pause_end);
			}
			return;
		}
		if ((c = s->free_conns) == NULL) {
			refuse(s, cfd);
			continue;
		}
		c->fd = cfd;
		c->kind = K_HTTP;
		if (loop_add(l, cfd, LOOP_READ, on_io, c) != 0) {
			c->kind = K_FREE;
			refuse(s, cfd);
			continue;
		}
		s->free_conns = c->next;
		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		c->phase = P_HEAD;
		c->flags = 0;
		c->route = NULL;
		c->subs = NULL;
		c->req_start = 0;
		c->last_len = 0;
		c->out_off = 0;
		c->seq = 0;
		c->idle_since = loop_now(l);
		c->method[0] = c->target[0] = '\0';
		buf_init(&c->in, REQ_HEAD_MAX + s->body_cap + READ_CHUNK);
		buf_init(&c->out, (s->c.resp_max > s->c.sub_out_max ?
		    s->c.resp_max : s->c.sub_out_max));
		buf_init(&c->msg, 0);
		s->st.accepted++;
		s->st.conns++;
		rearm(c);
	}
}

/* see serve.h */
void
serve_config_default(struct serve_config *c)
{
	memset(c, 0, sizeof *c);
	c->max_conns = 4096;
	c->body_max = 1 << 20;
	c->resp_max = 8 << 20;
	c->sub_out_max = 1 << 20;
	c->ws_msg_max = 64 << 10;
	c->subs_max = 16384;
	c->subs_per_topic_max = 4096;
	c->request_ms = 10000;
	c->idle_ms = 75000;
	c->write_ms = 30000;
	c->handler_ms = 30000;
	c->ping_ms = 25000;
	c->drain_ms = 10000;
}

/* see serve.h */
int
serve_parse_listen(const char *s, char *host, size_t cap, int *port,
    struct err_ctx *e)
{
	const char *colon, *h = s;
	size_t hn;
	long p = 0;
	uint8_t a[16];

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (rb == NULL || rb[1] != ':')
			goto bad;
		h = s + 1;
		hn = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			goto bad;
		hn = (size_t)(colon - s);
	}
	if (hn == 0 || hn >= cap || colon[1] == '\0' ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    strlen(colon + 1) > 5)
		goto bad;
	p = strtol(colon + 1, NULL, 10);
	if (p > 65535)
		goto bad;
	memcpy(host, h, hn);
	host[hn] = '\0';
	if (strcmp(host, "localhost") != 0 &&
	    inet_pton(AF_INET, host, a) != 1 &&
	    inet_pton(AF_INET6, host, a) != 1)
		goto bad;
	*port = (int)p;
	return 0;
bad:
	return err_set(e, ERR_USAGE, "--listen %.64s: want ADDR:PORT with an "
	    "IP address or localhost (IPv6 as [ADDR]:PORT)", s);
}

/* Raise the descriptor limit to what max_conns needs (as far as the hard
 * limit allows); the loop's slots must cover it. */
static size_t
fd_limit(size_t max_conns)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)max_conns + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return (size_t)rl.rlim_cur;
}

/* see serve.h */
size_t
serve_fd_limit(size_t max_conns)
{
	return fd_limit(max_conns);
}

static int
listen_on(struct serve *s, const char *host, int port, struct err_ctx *e)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)(void *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)(void *)&ss;
	socklen_t len;
	int one = 1, fd;

	memset(&ss, 0, sizeof ss);
	if (strcmp(host, "localhost") == 0)
		host = "127.0.0.1";
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		len = sizeof *a4;
	} else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		len = sizeof *a6;
	} else {
		return err_set(e, ERR_USAGE, "%s: not an IP address", host);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 ||
	    listen(fd, SOMAXCONN) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		goto fail;
	s->lfd = fd;
	s->port = ntohs(ss.ss_family == AF_INET ? a4->sin_port :
	    a6->sin6_port);
	return 0;
fail:
	err_set(e, ERR_IO, "listen on %s:%d", host, port);
	e->sys_errno = errno;
	if (fd >= 0)
		close(fd);
	return ERR_IO;
}

/* see serve.h */
int
serve_init(struct serve *s, const struct serve_config *c, struct loop *l,
    const char *host, int port, struct err_ctx *e)
{
	size_t body_cap = c->body_max;
	int r;

	memset(s, 0, sizeof *s);
	s->c = *c;
	s->l = l;
	s->lfd = -1;
	s->date_at = -1;
	for (size_t i = 0; i < c->nroutes; i++)
		if (c->routes[i].body_max > body_cap)
			body_cap = c->routes[i].body_max;
	s->body_cap = body_cap;
	s->conns = calloc(c->max_conns, sizeof *s->conns);
	s->subs = calloc(c->subs_max, sizeof *s->subs);
	s->nodes = calloc(c->subs_max, sizeof *s->nodes);
	if (s->conns == NULL || s->subs == NULL || s->nodes == NULL) {
		serve_free(s);
		return err_set(e, ERR_NOMEM, "connection table");
	}
	/* the free list in index order; calloc'd pages stay untouched
	 * (and out of RSS) until a connection uses them, save the links */
	for (size_t i = c->max_conns; i-- > 0;) {
		s->conns[i].s = s;
		s->conns[i].idx = (uint32_t)i;
		s->conns[i].fd = -1;
		s->conns[i].next = s->free_conns;
		s->free_conns = &s->conns[i];
	}
	pubsub_init(&s->ps, s->subs, c->subs_max, s->nodes, c->subs_max,
	    c->subs_per_topic_max);
	if ((r = listen_on(s, host, port, e)) != 0) {
		serve_free(s);
		return r;
	}
	if (loop_add(l, s->lfd, LOOP_READ, on_accept, s) != 0) {
		serve_free(s);
		return err_set(e, ERR_IO, "watch the listening socket");
	}
	loop_before_wait(l, before_wait, s);
	return 0;
}

/* see serve.h */
int
serve_port(const struct serve *s)
{
	return s->port;
}

/* see serve.h */
void
serve_free(struct serve *s)
{
	if (s->conns != NULL)
		for (size_t i = 0; i < s->c.max_conns; i++)
			if (s->conns[i].kind != K_FREE)
				conn_close(&s->conns[i]);
	if (s->lfd >= 0) {
		loop_del(s->l, s->lfd);
		close(s->lfd);
		s->lfd = -1;
	}
	if (s->l != NULL) {
		loop_timer_cancel(s->l, &s->pause);
		loop_timer_cancel(s->l, &s->drain);
		if (s->l->before_arg == s)
			loop_before_wait(s->l, NULL, NULL);
	}
	free(s->conns);
	free(s->subs);
	free(s->nodes);
	s->conns = NULL;
	s->subs = NULL;
	s->nodes = NULL;
}

static void
on_drain_end(struct loop *l, struct loop_timer *t)
{
	struct serve *s = (struct serve *)(void *)((char *)t -
	    offsetof(struct serve, drain));

	(void)l;
	for (size_t i = 0; i < s->c.max_conns; i++)
		if (s->conns[i].kind != K_FREE)
			conn_close(&s->conns[i]);
	if (s->drained != NULL) {
		void (*done)(void *) = s->drained;
		s->drained = NULL;
		done(s->c.app);
	}
}

/* see serve.h */
void
serve_shutdown(struct serve *s, void (*done)(void *app))
{
	s->draining = 1;
	s->drained = done;
	if (s->lfd >= 0) {
		loop_del(s->l, s->lfd);
		close(s->lfd);
		s->lfd = -1;
	}
	loop_timer_cancel(s->l, &s->pause);
	for (size_t i = 0; i < s->c.max_conns; i++) {
		struct conn *c = &s->conns[i];
		switch (c->kind) {
		case K_HTTP:
			if (c->phase == P_HEAD && c->req_start == 0 &&
			    pending(c) == 0)
				conn_close(c);  /* idle keep-alive */
			else if (c->phase == P_HEAD && c->req_start == 0)
				c->flags |= F_CLOSE;
			break;                  /* the answer says close */
		case K_WS:
			serve_close(s, conn_id(c), 1001, "server shutting down");
			break;
		case K_SSE:
			serve_close(s, conn_id(c), 0, NULL);
			break;
		}
	}
	if (s->st.conns == 0) {
		s->drained = NULL;
		if (done != NULL)
			done(s->c.app);
		return;
	}
	loop_timer_set(s->l, &s->drain, s->c.drain_ms, on_drain_end);
}
