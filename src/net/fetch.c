/*
 * fetch.c - HTTP/1.1 client glue. See fetch.h.
 *
 * One connection is kept alive between calls (the batch run talks to one
 * mirror or one S3 endpoint at a time); a request to another origin closes it
 * and opens a new one. A kept connection the server has closed meanwhile shows
 * up as EOF before any response byte: the request is then sent once more on a
 * fresh connection (safe: we only send idempotent methods).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fetch.h"

#define RBUF_SIZE  65536
#define HEAD_MAX   16384        /* our request heads */
#define MAX_FIELDS 32

struct fetch_conn {
	int open;
	int scheme;
	char host[URL_HOST_MAX + 1];
	uint16_t port;
	const struct proxy *via;        /* the proxy it goes through, or NULL */
	struct net_conn nc;
	struct tls *tls;                /* https only (57 KiB: on the heap) */
};

int
fetch_init(struct fetch_client *c, const struct fetch_opts *o)
{
	memset(c, 0, sizeof *c);
	c->opt = *o;
	c->conn = calloc(1, sizeof *c->conn);
	c->parser = malloc(sizeof *c->parser);
	c->rbuf = malloc(RBUF_SIZE);
	if (c->conn == NULL || c->parser == NULL || c->rbuf == NULL)
		return ERR_NOMEM;
	return 0;
}

static void
conn_close(struct fetch_conn *k)
{
	struct err_ctx ignore;

	if (!k->open)
		return;
	if (k->tls != NULL) {
		memset(&ignore, 0, sizeof ignore);
		tls_close(k->tls, &ignore);
		free(k->tls);
		k->tls = NULL;
	}
	net_close(&k->nc);
	k->open = 0;
}

void
fetch_free(struct fetch_client *c)
{
	if (c->conn != NULL)
		conn_close(c->conn);
	free(c->conn);
	free(c->parser);
	free(c->rbuf);
	memset(c, 0, sizeof *c);
}

void
fetch_resp_free(struct fetch_resp *rs)
{
	buf_free(&rs->errbody);
}

/* The --resolve pin for host:port, or NULL. */
static const char *
pinned(const struct fetch_opts *o, const char *host, unsigned port)
{
	for (size_t i = 0; i < o->nresolve; i++)
		if (o->resolve[i].port == port &&
		    strcasecmp(o->resolve[i].host, host) == 0)
			return o->resolve[i].addr;
	return NULL;
}

static const char *
user_agent(const struct fetch_client *c, char *ua, size_t cap)
{
	snprintf(ua, cap, "repodigest/%s", REPODIGEST_VERSION);
	return c->opt.user_agent ? c->opt.user_agent : ua;
}

/* Open a connection for u, through px when not NULL. */
static int
conn_open(struct fetch_client *c, const struct url *u, const struct proxy *px,
    int64_t deadline, const struct cancel *cancel, struct err_ctx *ec)
{
	struct fetch_conn *k = c->conn;
	struct net_opts no;
	char ua[64];
	int e;

	conn_close(k);
	if (px != NULL && px->err != 0)
		return err_set(ec, px->err, "%s", px->var);
	memset(&no, 0, sizeof no);
	no.connect_ms = c->opt.connect_ms;
	no.io_ms = c->opt.io_ms;
	no.resolve = c->opt.resolve;
	no.nresolve = c->opt.nresolve;
	no.cancel = cancel;
	e = px != NULL ?
	    net_connect(&k->nc, px->host, px->port, &no, deadline, ec) :
	    net_connect(&k->nc, u->host, u->port, &no, deadline, ec);
	if (e != 0)
		return e;
	if (px != NULL && u->scheme == URL_HTTPS) {
		const char *pin = pinned(&c->opt, u->host, u->port);
		e = proxy_tunnel(&k->nc, px, pin ? pin : u->host, u->port,
		    user_agent(c, ua, sizeof ua), c->parser, c->rbuf,
		    RBUF_SIZE, ec);
		if (e != 0) {
			net_close(&k->nc);
			return e;
		}
	}
	if (u->scheme == URL_HTTPS) {
		if ((k->tls = malloc(sizeof *k->tls)) == NULL) {
			net_close(&k->nc);
			return err_set(ec, ERR_NOMEM, NULL);
		}
		e = tls_connect(k->tls, &k->nc, u->host, c->opt.anchors, deadline,
		    ec);
		if (e) {
			free(k->tls);
			k->tls = NULL;
			net_close(&k->nc);
			return e;
		}
	}
	k->open = 1;
	k->scheme = u->scheme;
	k->port = u->port;
	k->via = px;
	snprintf(k->host, sizeof k->host, "%s", u->host);
	c->connections++;
	return 0;
}

static int
conn_write(struct fetch_conn *k, const void *p, size_t n, struct err_ctx *ec)
{
	if (k->tls != NULL)
		return tls_write(k->tls, p, n, ec);
	return net_write_all(&k->nc, p, n, ec);
}

static int
conn_read(struct fetch_conn *k, void *p, size_t cap, size_t *got,
    struct err_ctx *ec)
{
	if (k->tls != NULL)
		return tls_read(k->tls, p, cap, got, ec);
	return net_read(&k->nc, p, cap, got, ec);
}

/* file:// URLs: the local file is the body (air-gapped mirrors). */
static int
fetch_file(struct fetch_client *c, const struct url *u, struct fetch_resp *rs,
    fetch_body_fn fn, void *ctx, const struct cancel *cancel,
    struct err_ctx *ec)
{
	char path[URL_MAX + 1];
	struct stat st;
	size_t len;
	int fd, fifo, e = 0;

	if ((e = url_file_path(u, path, sizeof path, &len)) != 0)
		return err_set(ec, e, NULL);
	/* O_NONBLOCK: a FIFO (a mirror fed by another program) opens at once
	 * and its reads wait below, where the cancel is watched, not in open */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		ec->sys_errno = errno;
		return err_set(ec, errno == ENOENT ? ERR_NOENT : ERR_IO, NULL);
	}
	rs->status = 200;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		rs->has_length = 1;
		rs->length = (uint64_t)st.st_size;
	}
	fifo = fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
	for (;;) {
		ssize_t r;
		if (cancel_requested(cancel)) {
			e = err_set(ec, ERR_CANCELLED, NULL);
			break;
		}
		/* a FIFO reads as ended until a writer comes: wait for data or
		 * the writer's end (POLLHUP), as a blocking read would */
		if (fifo) {
			struct pollfd pfd = { fd, POLLIN, 0 };
			if (net_poll(&pfd, -1, cancel) == -2) {
				e = err_set(ec, ERR_CANCELLED, NULL);
				break;
			}
		}
		r = read(fd, c->rbuf, RBUF_SIZE);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0) {
			ec->sys_errno = errno;
			e = err_set(ec, ERR_IO, NULL);
			break;
		}
		if (r == 0)
			break;
		rs->body_bytes += (uint64_t)r;
		if (fn != NULL && (e = fn(ctx, c->rbuf, (size_t)r)) != 0)
			break;
	}
	close(fd);
	return e;
}

/* Same scheme, host and port (RFC 6454 origin). */
static int
same_origin(const struct url *a, const struct url *b)
{
	return a->scheme == b->scheme && a->port == b->port &&
	    strcasecmp(a->host, b->host) == 0;
}

/*
 * May rq's Authorization go with a request to u? A token (auth_origin) goes
 * only over https and only to exactly that origin: not to a plain-http URL
 * on the same host (a mirror, an archive URL), not to another port. An S3
 * signature (auth_host) is bound to its one request and may go to its
 * endpoint whatever the scheme.
 */
static int
auth_allowed(const struct fetch_req *rq, const struct url *origin,
    const struct url *u)
{
	if (rq->auth == NULL)
		return 0;
	if (origin != NULL)
		return u->scheme == URL_HTTPS && origin->scheme == URL_HTTPS &&
		    same_origin(u, origin);
	return rq->auth_host != NULL && strcasecmp(u->host, rq->auth_host) == 0;
}

static int
is_redirect(int status)
{
	return status == 301 || status == 302 || status == 303 ||
	    status == 307 || status == 308;
}

/* Send the request head (and body) on the current connection. */
static int
send_request(struct fetch_client *c, const struct fetch_req *rq,
    const char *method, const struct url *u, int with_auth,
    struct err_ctx *ec)
{
	struct http_field f[MAX_FIELDS];
	struct http_request hr;
	const struct proxy *px = c->conn->via;
	char head[HEAD_MAX], ua[64], abs[URL_MAX + 1];
	size_t nf = 0, len;
	int e;

	if (rq->nfields > MAX_FIELDS - 3)
		return err_set(ec, ERR_HTTP_REQUEST_SIZE, "too many header fields");
	f[nf].name = "User-Agent";
	f[nf].name_len = 10;
	f[nf].value = user_agent(c, ua, sizeof ua);
	f[nf].value_len = strlen(f[nf].value);
	nf++;
	/* plain http through a proxy: absolute-form, and the proxy's
	 * credentials in the request itself (no tunnel to carry them) */
	abs[0] = '\0';
	if (px != NULL && u->scheme == URL_HTTP) {
		size_t al;
		url_format(u, abs, sizeof abs, &al);
		if (px->auth[0] != '\0') {
			f[nf].name = "Proxy-Authorization";
			f[nf].name_len = 19;
			f[nf].value = px->auth;
			f[nf].value_len = strlen(px->auth);
			nf++;
		}
	}
	if (with_auth) {
		f[nf].name = "Authorization";
		f[nf].name_len = 13;
		f[nf].value = rq->auth;
		f[nf].value_len = strlen(rq->auth);
		nf++;
	}
	for (size_t i = 0; i < rq->nfields; i++)
		f[nf++] = rq->fields[i];
	memset(&hr, 0, sizeof hr);
	hr.method = method;
	hr.method_len = strlen(method);
	hr.host = u->host;
	hr.host_len = u->host_len;
	hr.port = u->port;
	hr.default_port = url_default_port(u->scheme);
	hr.target = abs[0] ? abs : u->target;
	hr.target_len = abs[0] ? strlen(abs) : u->target_len;
	hr.fields = f;
	hr.nfields = nf;
	hr.has_body = rq->has_body && strcmp(method, "GET") != 0;
	hr.body_len = hr.has_body ? rq->body_len : 0;
	e = http_write_request(&hr, head, sizeof head, &len);
	/* the head may hold the Authorization value: wipe our copy */
	if (e == 0)
		e = conn_write(c->conn, head, len, ec);
	else
		err_set(ec, e, NULL);
	/* only what was written (a byte at a time over the whole buffer was
	 * 3% of a fleet run's CPU, three requests per repository) */
	explicit_bzero(head, e == 0 ? len : sizeof head);
	if (e == 0 && hr.has_body && rq->body_len > 0)
		e = conn_write(c->conn, rq->body, rq->body_len, ec);
	return e;
}

/*
 * Read one response. Returns 0 with the parser DONE, or an error. *stale is set
 * when the connection gave EOF before any byte (a kept connection the server
 * had closed).
 */
static int
read_response(struct fetch_client *c, struct fetch_resp *rs, int is_head,
    int follow, fetch_body_fn fn, void *ctx, const struct cancel *cancel,
    int *stale, struct err_ctx *ec)
{
	struct http_resp_parser *p = c->parser;
	int deliver = 0, e;

	*stale = 0;
	http_resp_init(p, is_head ? HTTP_RESP_HEAD : 0);
	for (;;) {
		size_t got = 0, at = 0;
		/* a body that keeps coming never waits in net_read, where
		 * the cancel is watched: look here too */
		if (cancel_requested(cancel))
			return err_set(ec, ERR_CANCELLED, NULL);
		if ((e = conn_read(c->conn, c->rbuf, RBUF_SIZE, &got, ec)) != 0) {
			if (http_resp_offset(p) == 0)
				*stale = 1;
			return e;
		}
		if (got == 0) {
			if (http_resp_offset(p) == 0) {
				*stale = 1;
				return err_set(ec, ERR_HTTP_NO_RESPONSE, NULL);
			}
			if ((e = http_resp_eof(p)) != 0)
				return err_set(ec, e, "after %llu body bytes",
				    (unsigned long long)http_resp_body_bytes(p));
			return 0;
		}
		/* push until the parser asks for more input: DONE may come
		 * after the call that consumed the last body byte */
		for (;;) {
			struct http_ev ev;
			at += http_resp_push(p, c->rbuf + at, got - at, &ev);
			if (ev.type == HTTP_EV_NONE)
				break;
			switch (ev.type) {
			case HTTP_EV_HEADERS:
				rs->status = http_resp_status(p);
				/* 2xx bodies go to the caller; a redirect's
				 * body is dropped; others are kept (S3 XML) */
				deliver = rs->status >= 200 && rs->status < 300 ? 1 :
				    follow && is_redirect(rs->status) ? 0 : 2;
				rs->has_length = !is_head &&
				    http_resp_content_length(p, &rs->length) == 1;
				break;
			case HTTP_EV_BODY:
				rs->body_bytes += ev.len;
				if (deliver == 1 && fn != NULL &&
				    (e = fn(ctx, ev.data, ev.len)) != 0)
					return e;
				if (deliver == 2) {
					size_t room = FETCH_ERRBODY_MAX -
					    rs->errbody.len;
					buf_append(&rs->errbody, ev.data,
					    ev.len < room ? ev.len : room);
				}
				break;
			case HTTP_EV_DONE:
				return 0;
			case HTTP_EV_ERROR:
				ec->offset = http_resp_offset(p);
				ec->has_offset = 1;
				return err_set(ec, ev.err, NULL);
			case HTTP_EV_NONE:
				break;
			}
		}
	}
}

static void
collect_head(struct fetch_client *c, struct fetch_resp *rs)
{
	struct http_resp_parser *p = c->parser;

	rs->head = p;
	/* these accessors return 1 when the header is there */
	rs->has_retry_after = http_resp_retry_after(p, time(NULL),
	    &rs->retry_after) == 1;
	rs->has_rl_remaining = http_resp_get_uint(p, "x-ratelimit-remaining",
	    &rs->rl_remaining) == 1;
	rs->has_rl_reset = http_resp_get_uint(p, "x-ratelimit-reset",
	    &rs->rl_reset) == 1;
	rs->has_date = http_resp_date(p, &rs->date) == 1;
}

int
fetch_do(struct fetch_client *c, const struct fetch_req *rq,
    struct fetch_resp *rs, fetch_body_fn fn, void *ctx, struct err_ctx *ec)
{
	struct url *u = NULL, *next = NULL, *origin = NULL;
	const struct proxy *px = NULL;
	const char *method = rq->method;
	int64_t deadline = c->opt.total_ms > 0 ?
	    net_now_ms() + c->opt.total_ms : 0;
	int with_auth, e = 0;

	memset(rs, 0, sizeof *rs);
	buf_init(&rs->errbody, FETCH_ERRBODY_MAX);
	memset(ec, 0, sizeof *ec);
	url_redact(rq->url, ec->source, sizeof ec->source);
	u = malloc(sizeof *u);
	next = malloc(sizeof *next);
	origin = rq->auth_origin != NULL ? malloc(sizeof *origin) : NULL;
	if (u == NULL || next == NULL ||
	    (rq->auth_origin != NULL && origin == NULL)) {
		e = err_set(ec, ERR_NOMEM, NULL);
		goto out;
	}
	if ((e = url_parse((const uint8_t *)rq->url, strlen(rq->url), u)) != 0) {
		err_set(ec, e, NULL);
		goto out;
	}
	if (u->scheme == URL_FILE) {
		e = fetch_file(c, u, rs, fn, ctx, rq->cancel, ec);
		goto out;
	}
	if (origin != NULL && url_parse((const uint8_t *)rq->auth_origin,
	    strlen(rq->auth_origin), origin) != 0) {
		e = err_set(ec, ERR_URL_SYNTAX, "the credentials' origin");
		goto out;
	}
	with_auth = auth_allowed(rq, origin, u);
	for (;;) {
		struct fetch_conn *k = c->conn;
		int reused, stale = 0;

		size_t ul;
		char full[URL_MAX + 1];
		url_format(u, full, sizeof full, &ul);
		url_redact(full, rs->url, sizeof rs->url);
		memcpy(ec->source, rs->url, sizeof ec->source - 1);
		ec->source[sizeof ec->source - 1] = '\0';
		/* a kept connection serves the same origin by the same path */
		px = proxy_select(c->opt.proxy, u);
		reused = k->open && k->scheme == u->scheme && k->port == u->port &&
		    strcasecmp(k->host, u->host) == 0 && k->via == px;
		for (int attempt = 0; attempt < 2; attempt++) {
			if (!reused && (e = conn_open(c, u, px, deadline,
			    rq->cancel, ec)) != 0)
				goto out;
			/* the deadline is this request's, not the connection's:
			 * a kept-alive connection still carries the one of the
			 * request that opened it, long past on a slow mirror;
			 * the same for the cancel */
			k->nc.deadline = deadline;
			k->nc.cancel = rq->cancel;
			e = send_request(c, rq, method, u, with_auth, ec);
			if (e == 0)
				e = read_response(c, rs, strcmp(method, "HEAD") == 0,
				    !rq->no_redirect, fn, ctx, rq->cancel, &stale,
				    ec);
			if (e == 0 || !reused || !stale || rs->status != 0)
				break;
			/* the kept connection was closed by the server */
			conn_close(k);
			reused = 0;
			memset(ec, 0, sizeof *ec);
			memcpy(ec->source, rs->url, sizeof ec->source - 1);
		}
		if (e != 0) {
			conn_close(k);
			goto out;
		}
		if (!http_resp_keep_alive(c->parser))
			conn_close(k);
		collect_head(c, rs);
		if (rq->no_redirect || !is_redirect(rs->status))
			break;
		/* follow the redirect */
		{
			char loc[HTTP_LOCATION_MAX + 1];
			size_t ll;
			if (++rs->redirects > FETCH_MAX_REDIRECTS) {
				e = err_set(ec, ERR_HTTP_REDIRECTS, "more than %d",
				    FETCH_MAX_REDIRECTS);
				goto out;
			}
			if (http_resp_location(c->parser, loc, sizeof loc, &ll) != 0 ||
			    url_resolve(u, (const uint8_t *)loc, ll, next) != 0) {
				e = err_set(ec, ERR_HTTP_LOCATION, NULL);
				goto out;
			}
			if (u->scheme == URL_HTTPS && next->scheme != URL_HTTPS) {
				e = err_set(ec, ERR_HTTP_REDIRECT_SCHEME, NULL);
				goto out;
			}
			if (next->scheme == URL_FILE) {
				e = err_set(ec, ERR_HTTP_REDIRECT_SCHEME,
				    "redirect to a file URL");
				goto out;
			}
			/* credentials never follow to another host (a token
			 * to another origin), and once dropped they stay
			 * dropped */
			if (strcasecmp(next->host, u->host) != 0 ||
			    !auth_allowed(rq, origin, next))
				with_auth = 0;
			if (rs->status == 303)
				method = "GET";
			memcpy(u, next, sizeof *u);
			buf_reset(&rs->errbody);
			rs->body_bytes = 0;
			rs->status = 0;
		}
	}
out:
	/* connection trouble on a proxied request names the proxy (the
	 * caller's own errors from fn are left alone) */
	if (e != 0 && px != NULL && ((e >= ERR_NET_RESOLVE_SPEC &&
	    e <= ERR_TLS_CLOSED) || (e >= ERR_PROXY_URL &&
	    e <= ERR_PROXY_PROTOCOL) || e == ERR_HTTP_NO_RESPONSE))
		proxy_note(ec, px);
	free(u);
	free(next);
	free(origin);
	return e;
}
