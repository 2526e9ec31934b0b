/*
 * serve.c - what an HTTP request means: parse its head (req.h), route it
 * (route.h), check the token (auth.h) and the limits, read its body
 * (Content-Length, or chunked decoded in place: the data is moved down
 * over its framing, so `in` holds head + body + one read at most), call
 * its handler, write and log the answer. See serve.h and conn.h.
 *
 * Banners: answers | requests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "conn.h"
#include "hfield.h"
#include "jsonw.h"
#include "resp.h"

/* ================================================ answers */

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
serve_reply_refused(struct serve *s, uint64_t id, const struct err_ctx *e)
{
	return serve_reply_error(s, id, 400, e->detail[0] ? e->detail :
	    err_str(e->code));
}

/* see serve.h */
void
serve_health(void *app, struct serve *s, const struct serve_req *r)
{
	static const char ok[] = "{\"status\":\"ok\"}";

	(void)app;
	serve_reply_json(s, r->id, 200, ok, sizeof ok - 1);
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
void
serve_log_request(struct conn *c, int status)
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
	    (c->req_start && conn_now(c) > c->req_start ?
	    conn_now(c) - c->req_start : 0));
	log_msg(c->s->c.log, LOG_INFO, "http", "request", kv);
}

/* see conn.h */
void
serve_request_done(struct conn *c, int close_after)
{
	if (close_after) {
		c->flags |= F_CLOSE | F_NOREAD;
		conn_watch(c);
	}
	c->phase = P_HEAD;
	c->req_start = 0;
	c->idle_since = conn_now(c);
	c->flags &= ~(F_HEAD | F_KEEP | F_KEEP10);
}

/* Write an answer for the current request and log it. */
static int
answer(struct conn *c, int status, const char *ctype,
    const struct resp_field *f, size_t nf, const void *body, size_t n,
    int close_after)
{
	struct serve *s = c->s;
	size_t before = conn_pending(c);
	int flags = 0, e;

	if (close_after || !(c->flags & F_KEEP) || s->draining)
		flags |= RESP_CLOSE;
	if (c->flags & F_HEAD)
		flags |= RESP_HEAD;
	if ((c->flags & F_KEEP10) && !(flags & RESP_CLOSE))
		flags |= RESP_KEEP10;
	e = resp_write(&c->out, status, conn_date(s), ctype, f, nf, body, n,
	    flags);
	if (e == ERR_LIMIT || e == ERR_NOMEM) {
		static const char msg[] = "{\"error\":{\"code\":"
		    "\"internal_error\",\"message\":\"answer over the size "
		    "limit\"}}";
		status = 500;
		flags |= RESP_CLOSE;
		c->out.cap += CLOSE_RESERVE;    /* room for this, once */
		resp_write(&c->out, status, conn_date(s), "application/json",
		    NULL, 0, msg, sizeof msg - 1, flags);
		c->out.cap -= CLOSE_RESERVE;
	} else if (e != 0) {
		return e;
	}
	conn_out_added(c, before);
	serve_log_request(c, status);
	serve_request_done(c, (flags & RESP_CLOSE) != 0);
	return e;
}

static const struct resp_field json_fields[] = {
	{ "Cache-Control", "no-store" },
	{ "X-Content-Type-Options", "nosniff" },
};

/* An error answer in the JSON shape, with extra fields (Allow, ...). */
void
serve_fail(struct conn *c, int status, const char *message,
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
	struct conn *c = conn_by_id(s, id);
	int e;

	if (c == NULL || c->kind != K_HTTP || c->phase != P_WAIT)
		return ERR_NOENT;
	e = answer(c, status, ctype, f, nf, body, n, 0);
	if (e == 0 && c->kind == K_HTTP && c->in.len > 0 &&
	    !(c->flags & F_INCALL))
		serve_http_input(c);        /* a pipelined request waits */
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
		serve_fail(c, k == ROUTE_METHOD ? 405 : 404, msg, &allow,
		    k == ROUTE_METHOD, r->body != REQ_BODY_NONE);
		return 0;
	}
	c->route = m.route;
	if (!(c->route->flags & SERVE_OPEN) && auth_check(s->c.token, r,
	    (c->route->flags & SERVE_QUERY_TOKEN) != 0) != 0) {
		struct resp_field wa = { "WWW-Authenticate", "Bearer" };
		serve_fail(c, 401, err_str(ERR_AUTH), &wa, 1,
		    r->body != REQ_BODY_NONE);
		return 0;
	}
	c->body_max = c->route->body_max ? c->route->body_max :
	    s->c.body_max;
	if (r->body == REQ_BODY_LENGTH && r->length > c->body_max) {
		snprintf(msg, sizeof msg, "%s (%zu bytes)",
		    err_str(ERR_REQ_BODY_SIZE), c->body_max);
		serve_fail(c, 413, msg, NULL, 0, 1);
		return 0;
	}
	if ((c->route->flags & SERVE_JSON) && r->body != REQ_BODY_NONE &&
	    !json_type(r)) {
		serve_fail(c, 415, "want Content-Type: application/json",
		    NULL, 0, 1);
		return 0;
	}
	if (c->route->flags & SERVE_WS) {
		stream_upgrade(c, r, &m);
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
		conn_out_put(c, cont, sizeof cont - 1);
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
				serve_fail(c, 413, msg, NULL, 0, 1);
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
			serve_fail(c, 400, err_str(chunked_error(&c->u.ch)),
			    NULL, 0, 1);
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
		serve_fail(c, 500, "request changed under the parser", NULL,
		    0, 1);
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
		conn_consume(c, used);
	else
		conn_consume(c, c->in.len);     /* a stream: no more input */
}

/* Parse and run the requests `in` holds, until one must wait. */
void
serve_http_input(struct conn *c)
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
				c->req_start = conn_now(c);
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
				serve_fail(c, r.status, err_str(r.err), NULL,
				    0, 1);
				break;
			}
			c->head_len = (size_t)k;
			if (!on_head(c, &r)) {
				/* answered at its head (404, 401, ...): a
				 * request without a body is done with; one
				 * with a body closes the connection */
				if (c->gen == gen && c->kind == K_HTTP &&
				    !(c->flags & F_CLOSE))
					conn_consume(c, c->head_len);
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
		stream_input(c);        /* frames right behind the upgrade */
}

/* see conn.h */
void
serve_http_timeout(struct conn *c, uint64_t at)
{
	const struct serve_config *k = &c->s->c;

	if (c->phase == P_WAIT && at >= c->req_start + k->handler_ms)
		serve_fail(c, 503, "no answer in time", NULL, 0, 1);
	else if (c->phase != P_WAIT && c->req_start != 0 &&
	    at >= c->req_start + k->request_ms)
		serve_fail(c, 408, "request not received in time", NULL, 0, 1);
	else if (c->req_start == 0 && conn_pending(c) == 0 &&
	    at >= c->idle_since + k->idle_ms)
		conn_close(c);
}
