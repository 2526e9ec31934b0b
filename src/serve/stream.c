/*
 * stream.c - the server's streams: WebSocket sessions (the upgrade, frames
 * in, pings and the close handshake) and Server-Sent Events, and the
 * events published to them through topics (pubsub.h), each subscriber
 * under its output limit. See serve.h and conn.h.
 *
 * A published event is encoded once per kind (one whole WebSocket frame,
 * one SSE event) into a shared frame (conn.h): a subscriber with nothing
 * unsent holds a reference to it, one with output queued copies it behind
 * that; either way the subscriber gets one send before the loop waits. A
 * subscriber whose unsent output would pass sub_out_max even after the
 * socket took what it would is dropped (close 1008, or the stream ends),
 * never waited for.
 *
 * Banners: WebSocket | streams and topics.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "conn.h"
#include "hfield.h"
#include "jsonw.h"
#include "resp.h"
#include "sse.h"

/* ================================================ WebSocket */

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

/* see conn.h */
void
stream_upgrade(struct conn *c, const struct req *r, const struct route_match *m)
{
	struct serve *s = c->s;
	char acc[WS_ACCEPT_LEN + 1];
	struct resp_field f[3];
	struct serve_req sr;
	struct serve_ws_ev ev;
	uint32_t gen = c->gen;
	size_t before = conn_pending(c);
	int e = ws_handshake(r, acc);

	if (e == ERR_WS_VERSION) {
		struct resp_field v = { "Sec-WebSocket-Version", "13" };
		serve_fail(c, 426, err_str(e), &v, 1, 1);
		return;
	}
	if (e != 0) {
		serve_fail(c, 400, err_str(e), NULL, 0, 1);
		return;
	}
	if (!origin_ok(r)) {
		serve_fail(c, 403, "WebSocket from another origin", NULL, 0, 1);
		return;
	}
	f[0].name = "Upgrade";
	f[0].value = "websocket";
	f[1].name = "Connection";
	f[1].value = "Upgrade";
	f[2].name = "Sec-WebSocket-Accept";
	f[2].value = acc;
	if (resp_write_head(&c->out, 101, conn_date(s), f, 3) != 0) {
		conn_close(c);
		return;
	}
	conn_out_added(c, before);
	serve_log_request(c, 101);
	c->kind = K_WS;
	c->phase = P_HEAD;
	c->req_start = 0;
	c->last_ping = conn_now(c);
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
		conn_consume(c, c->head_len);
}

/* A frame of ours: head and payload as one unit. ERR_LIMIT over cap. */
static int
stream_frame(struct conn *c, int opcode, const void *p, size_t n)
{
	uint8_t h[WS_HEAD_MAX];
	size_t hn = ws_frame_head(h, opcode, n), before = conn_pending(c);
	int e;

	if ((e = buf_reserve(&c->out, hn + n)) != 0)
		return e;
	buf_append(&c->out, h, hn);
	buf_append(&c->out, p, n);
	conn_out_added(c, before);
	return 0;
}

/* Send our close (over the limits if need be: the reserve is for it). */
static void
stream_send_close(struct conn *c, int code, const char *reason)
{
	uint8_t f[2 + WS_CONTROL_MAX];
	size_t n = ws_close_frame(f, code, reason), before = conn_pending(c);

	if (c->flags & F_WS_SENT)
		return;
	c->out.cap += CLOSE_RESERVE;
	if (buf_append(&c->out, f, n) == 0)
		conn_out_added(c, before);
	c->out.cap -= CLOSE_RESERVE;
	c->flags |= F_WS_SENT;
	c->close_at = conn_now(c);
}

/* see conn.h */
void
stream_input(struct conn *c)
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
			/* fits: the parser caps messages at the limit */
			buf_append(&c->msg, ev.data, ev.len);
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
				stream_frame(c, WS_PONG, ev.data, ev.len);
			break;
		case WS_EV_PONG:
			break;
		case WS_EV_CLOSE:
			/* echo the code (RFC 6455 section 5.5.1); then the
			 * server closes the TCP connection first */
			if (!(c->flags & F_WS_SENT)) {
				if (ev.code == 1005) {
					stream_frame(c, WS_CLOSE, NULL, 0);
					c->flags |= F_WS_SENT;
				} else {
					stream_send_close(c, ev.code, NULL);
				}
			}
			c->flags |= F_CLOSE | F_NOREAD;
			conn_watch(c);
			conn_flush_later(c);
			at = c->in.len;
			goto out;
		case WS_EV_ERROR:
			stream_send_close(c, ev.code, err_str(ev.err));
			c->flags |= F_CLOSE | F_NOREAD;
			conn_watch(c);
			at = c->in.len;
			goto out;
		}
	}
out:
	if (c->gen == gen)
		conn_consume(c, at);
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
	struct conn *c = conn_by_id(s, id);
	size_t before;

	if (c == NULL || c->kind != K_HTTP || c->phase != P_WAIT)
		return ERR_NOENT;
	before = conn_pending(c);
	if (resp_write_head(&c->out, 200, conn_date(s), f, 4) != 0)
		return ERR_LIMIT;
	serve_log_request(c, 200);
	if (c->flags & F_HEAD) {
		conn_out_added(c, before);
		serve_request_done(c, 1);
		return 0;
	}
	sse_retry(&c->out, 2000);
	conn_out_added(c, before);
	c->kind = K_SSE;
	c->phase = P_HEAD;
	c->req_start = 0;
	c->last_ping = conn_now(c);
	s->st.sse_open++;
	conn_rearm(c);
	return 0;
}

/* see serve.h */
int
serve_subscribe(struct serve *s, uint64_t id, const struct pubsub_topic *t)
{
	struct conn *c = conn_by_id(s, id);

	if (c == NULL || (c->kind != K_WS && c->kind != K_SSE) ||
	    (c->flags & F_CLOSE))
		return ERR_NOENT;
	return pubsub_subscribe(&s->ps, t, id, &c->subs);
}

/* see serve.h */
void
serve_unsubscribe(struct serve *s, uint64_t id, const struct pubsub_topic *t)
{
	struct conn *c = conn_by_id(s, id);

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
		stream_send_close(c, 1008, "slow consumer: events not read");
	c->flags |= F_CLOSE | F_NOREAD;
	conn_watch(c);
	conn_flush_later(c);
	if (s->c.log != NULL) {
		snprintf(n, sizeof n, "%zu", s->c.sub_out_max);
		log_msg(s->c.log, LOG_WARN, "http", "slow subscriber dropped",
		    kv);
	}
}

/* Queue the frame of c's kind for c. 1 sent, 0 nothing for its kind, -1
 * dropped. */
static int
deliver(struct conn *c, struct frame *ws, struct frame *sse)
{
	size_t need, before = conn_pending(c);
	struct frame *f = c->kind == K_WS ? ws : c->kind == K_SSE ? sse : NULL;

	if ((c->flags & F_CLOSE) || f == NULL ||
	    (c->kind == K_SSE && f->b.len == 0))
		return 0;
	need = f->b.len;
	if (before > c->s->c.sub_out_max ||
	    need > c->s->c.sub_out_max - before) {
		/* over the limit as queued: first give the socket what it
		 * takes now (a burst queued within one iteration is not a
		 * slow client); still over, the client is behind */
		if (conn_send_now(c) != 0) {
			pubsub_drop(&c->s->ps, &c->subs);
			c->flags |= F_CLOSE | F_NOREAD;
			conn_flush_later(c);
			return -1;
		}
		before = conn_pending(c);
	}
	if (before > c->s->c.sub_out_max ||
	    need > c->s->c.sub_out_max - before) {
		drop_slow(c);
		return -1;
	}
	if (before == 0 && need <= UINT32_MAX) {
		c->held = f;    /* nothing ahead of it: no copy */
		c->held_off = 0;
		f->refs++;
	} else if (buf_append(&c->out, f->b.p, f->b.len) != 0) {
		drop_slow(c);
		return -1;
	}
	conn_out_added(c, before);
	return 1;
}

struct publish {
	struct serve *s;
	struct frame *ws, *sse;         /* made once; NULL: none */
	size_t sent;
};

static void
publish_one(void *arg, uint64_t owner)
{
	struct publish *p = arg;
	struct conn *c = conn_by_id(p->s, owner);

	if (c == NULL || c->seq == p->s->publish_seq)
		return;                 /* subscribed to two of the topics */
	c->seq = p->s->publish_seq;
	if (deliver(c, p->ws, p->sse) > 0)
		p->sent++;
}

/* ev's two encodings, each one frame (NULL where ev has none; out of
 * memory, the event reaches no one of that kind: nobody is dropped for
 * the server's own want). */
static void
encode(const struct serve_event *ev, struct frame **ws, struct frame **sse)
{
	uint8_t h[WS_HEAD_MAX];
	size_t hn;

	*ws = *sse = NULL;
	if (ev->ws != NULL && (*ws = frame_new(SIZE_MAX / 2)) != NULL) {
		hn = ws_frame_head(h, WS_TEXT, ev->ws_n);
		if (buf_reserve(&(*ws)->b, hn + ev->ws_n) != 0) {
			frame_unref(*ws);
			*ws = NULL;
		} else {
			buf_append(&(*ws)->b, h, hn);
			buf_append(&(*ws)->b, ev->ws, ev->ws_n);
		}
	}
	if (ev->sse != NULL && (*sse = frame_new(SIZE_MAX / 2)) != NULL)
		sse_event(&(*sse)->b, ev->sse_id, ev->sse_event, ev->sse,
		    ev->sse_n);
}

/* see serve.h */
size_t
serve_publish(struct serve *s, const struct pubsub_topic *t, size_t n,
    const struct serve_event *ev)
{
	struct publish p = { s, NULL, NULL, 0 };

	encode(ev, &p.ws, &p.sse);
	s->publish_seq++;
	for (size_t i = 0; i < n; i++)
		pubsub_publish(&s->ps, &t[i], publish_one, &p);
	frame_unref(p.ws);      /* freed here unless a subscriber holds it */
	frame_unref(p.sse);
	return p.sent;
}

/* see serve.h */
int
serve_send(struct serve *s, uint64_t id, const struct serve_event *ev)
{
	struct conn *c = conn_by_id(s, id);
	struct frame *ws, *sse;
	int r;

	if (c == NULL || (c->kind != K_WS && c->kind != K_SSE))
		return ERR_NOENT;
	encode(ev, &ws, &sse);
	r = deliver(c, ws, sse);
	frame_unref(ws);
	frame_unref(sse);
	return r < 0 ? ERR_LIMIT : 0;
}

/* see serve.h */
void
serve_close(struct serve *s, uint64_t id, int code, const char *reason)
{
	struct conn *c = conn_by_id(s, id);

	if (c == NULL)
		return;
	if (c->kind == K_WS) {
		stream_send_close(c, code, reason);
		conn_rearm(c);          /* the peer's close, or the timeout */
	} else if (c->kind == K_SSE) {
		c->flags |= F_CLOSE;
		conn_flush_later(c);
	}
}

/* see serve.h */
size_t
serve_subscribers(const struct serve *s)
{
	return pubsub_total(&s->ps);
}

/* see conn.h */
void
stream_tick(struct conn *c, uint64_t at)
{
	const struct serve_config *k = &c->s->c;

	if (c->kind == K_WS && (c->flags & F_WS_SENT) &&
	    at >= c->close_at + CLOSE_WAIT_MS) {
		conn_close(c);          /* our close was not answered */
		return;
	}
	if (at < c->last_ping + k->ping_ms)
		return;
	c->last_ping = at;
	if (c->kind == K_WS) {
		if (!(c->flags & F_WS_SENT))
			stream_frame(c, WS_PING, NULL, 0);
	} else {
		size_t before = conn_pending(c);
		if (sse_comment(&c->out, "keep-alive") == 0)
			conn_out_added(c, before);
	}
}

/* see serve.h */
void
serve_ws_subscribe(struct serve *srv, uint64_t id,
    const struct serve_ws_ev *ev)
{
	struct body_sub sub;
	struct err_ctx e;
	struct pubsub_topic t;
	struct buf b;
	struct jw w;
	struct serve_event out;

	buf_init(&b, 4096);
	jw_init(&w, &b);
	jw_obj(&w);
	if (ev->binary || body_sub(ev->msg, ev->n, &sub, &e) != 0) {
		if (ev->binary)
			err_set(&e, ERR_BODY_JSON, "binary message");
		jw_key(&w, "type");
		jw_str(&w, "error");
		jw_key(&w, "message");
		jw_str(&w, e.detail);
	} else {
		int k = 0;
		if (sub.job[0])
			pubsub_topic(&t, PUBSUB_JOB, sub.job, strlen(sub.job));
		else if (sub.project[0] && strcmp(sub.project, "all") != 0)
			pubsub_topic(&t, PUBSUB_PROJECT, sub.project,
			    strlen(sub.project));
		else
			pubsub_topic(&t, PUBSUB_ALL, NULL, 0);
		if (sub.subscribe)
			k = serve_subscribe(srv, id, &t);
		else
			serve_unsubscribe(srv, id, &t);
		jw_key(&w, "type");
		jw_str(&w, k == 0 ? (sub.subscribe ? "subscribed" :
		    "unsubscribed") : "error");
		if (k != 0) {
			jw_key(&w, "message");
			jw_str(&w, err_str(k));
		}
	}
	jw_obj_end(&w);
	memset(&out, 0, sizeof out);
	out.ws = b.p;
	out.ws_n = b.len;
	serve_send(srv, id, &out);
	buf_free(&b);
}
