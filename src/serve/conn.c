/*
 * conn.c - the server's connections: accept (bounded), read, write, the
 * one timer each, close; and the server's set-up and shutdown. See
 * serve.h (the contract) and conn.h (what serve.c and stream.c share).
 *
 * A connection's life: accepted into a free slot of the preallocated
 * table (struct conn: no buffers until bytes arrive); its bytes read into
 * `in` (capped at a head, the largest body and one read) and handed to
 * serve.c (HTTP) or stream.c (WebSocket); answers and events queued in
 * `out`, which is written before the loop next waits (one write per
 * connection per iteration, however much was queued). An event published
 * to a stream with nothing unsent is not copied: the stream holds the
 * shared frame (struct frame) and the write takes it and `out` together
 * (sendmsg with two pieces), so a fan-out to N subscribers that keep up
 * costs one encoding and N sends, no copy and no buffer per subscriber.
 * Buffers are freed when they empty, so an idle connection costs its slot
 * and a descriptor.
 *
 * One timer per connection, re-armed after every event to its nearest
 * deadline (request, idle, handler, stalled output, ping); when it fires,
 * on_timer() finds which one passed.
 *
 * Banners: connections | output | timers and reading | accept, init,
 * shutdown.
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
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "resp.h"
#include "sse.h"

#define READ_CHUNK      16384   /* one read() */
#define ACCEPT_BATCH    64

/* ================================================ connections */

/* see conn.h */
uint64_t
conn_id(const struct conn *c)
{
	return (uint64_t)c->gen << 32 | c->idx;
}

/* see conn.h */
struct conn *
conn_by_id(struct serve *s, uint64_t id)
{
	uint32_t idx = (uint32_t)id;
	struct conn *c;

	if (idx >= s->c.max_conns)
		return NULL;
	c = &s->conns[idx];
	return c->kind != K_FREE && c->gen == (uint32_t)(id >> 32) ? c : NULL;
}

/* see conn.h */
uint64_t
conn_now(const struct conn *c)
{
	return loop_now(c->s->l);
}

/* see conn.h */
size_t
conn_pending(const struct conn *c)
{
	return c->out.len - c->out_off +
	    (c->held != NULL ? c->held->b.len - c->held_off : 0);
}

/* see conn.h */
struct frame *
frame_new(size_t cap)
{
	struct frame *f = malloc(sizeof *f);

	if (f == NULL)
		return NULL;
	f->refs = 1;
	buf_init(&f->b, cap);
	return f;
}

/* see conn.h */
void
frame_unref(struct frame *f)
{
	if (f != NULL && --f->refs == 0) {
		buf_free(&f->b);
		free(f);
	}
}

static void
held_drop(struct conn *c)
{
	frame_unref(c->held);
	c->held = NULL;
	c->held_off = 0;
}

/* Watch for what the connection waits for now. */
void
conn_watch(struct conn *c)
{
	int mask = 0;

	if (!(c->flags & (F_NOREAD | F_INFULL)))
		mask |= LOOP_READ;
	if (c->flags & F_WRITE)
		mask |= LOOP_WRITE;
	loop_mod(c->s->l, c->fd, mask);
}

/* Drop n bytes from the front of `in` (a request or frames done with). */
void
conn_consume(struct conn *c, size_t n)
{
	if (n >= c->in.len) {
		if (c->flags & F_SCRATCH)
			c->in.len = 0;  /* the server's: kept for the next */
		else
			buf_free(&c->in);       /* idle: no buffer held */
	} else if (n > 0) {
		memmove(c->in.p, c->in.p + n, c->in.len - n);
		c->in.len -= n;
	}
	c->last_len = 0;
	if (c->flags & F_INFULL) {
		c->flags &= ~F_INFULL;
		conn_watch(c);
	}
}

static void
flush_unlink(struct conn *c)
{
	struct serve *s = c->s;

	if (c->fprev != NULL)
		c->fprev->fnext = c->fnext;
	else
		s->flush = c->fnext;
	if (c->fnext != NULL)
		c->fnext->fprev = c->fprev;
	else
		s->flush_tail = c->fprev;
	c->fprev = c->fnext = NULL;
	c->flags &= ~F_FLUSH;
}

/* A stream's or connection's end; the app hears of a WebSocket's. */
void
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
	if (c->flags & F_FLUSH)
		flush_unlink(c);
	if (c->flags & F_SCRATCH)
		buf_init(&c->in, 0);    /* the server's scratch: not ours */
	buf_free(&c->in);
	buf_free(&c->out);
	buf_free(&c->msg);
	held_drop(c);
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

/* see conn.h */
void
conn_flush_later(struct conn *c)
{
	struct serve *s = c->s;

	if (c->flags & F_FLUSH)
		return;
	/* in queuing order: the subscriber an event reached first is
	 * written first */
	c->flags |= F_FLUSH;
	c->fnext = NULL;
	c->fprev = s->flush_tail;
	if (s->flush_tail != NULL)
		s->flush_tail->fnext = c;
	else
		s->flush = c;
	s->flush_tail = c;
}

/* Note that bytes were added to `out`: the stall clock starts when it
 * stops being empty. */
void
conn_out_added(struct conn *c, size_t before)
{
	if (before == 0)
		c->out_since = conn_now(c);
	conn_flush_later(c);
}

/* Append a piece of output as one unit (over cap: nothing appended). */
int
conn_out_put(struct conn *c, const void *p, size_t n)
{
	size_t before = conn_pending(c);
	int e = buf_append(&c->out, p, n);

	if (e == 0)
		conn_out_added(c, before);
	return e;
}

/* Send what the socket takes now, never waiting: the held frame, then
 * `out`, in one call. 0, or -1 if the connection is broken (reset, broken
 * pipe). What is sent is dropped from the front of `out` once it is a good
 * share of it, so a stream that is always a little behind does not creep
 * towards its cap. */
int
conn_send_now(struct conn *c)
{
	while (conn_pending(c) > 0) {
		struct iovec iov[2];
		struct msghdr m;
		size_t hn = 0;
		ssize_t n;

		memset(&m, 0, sizeof m);
		m.msg_iov = iov;
		if (c->held != NULL) {
			hn = c->held->b.len - c->held_off;
			iov[m.msg_iovlen].iov_base = c->held->b.p + c->held_off;
			iov[m.msg_iovlen++].iov_len = hn;
		}
		if (c->out_off < c->out.len) {
			iov[m.msg_iovlen].iov_base = c->out.p + c->out_off;
			iov[m.msg_iovlen++].iov_len = c->out.len - c->out_off;
		}
		n = sendmsg(c->fd, &m, MSG_NOSIGNAL);
		if (n > 0) {
			size_t k = (size_t)n < hn ? (size_t)n : hn;
			if (c->held != NULL) {
				c->held_off += k;
				if (k == hn)
					held_drop(c);
			}
			c->out_off += (size_t)n - k;
			c->out_since = conn_now(c);
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
	if (conn_send_now(c) != 0) {
		conn_close(c);
		return;
	}
	if (conn_pending(c) == 0) {
		if (c->out.alloc > OUT_KEEP || c->kind == K_HTTP)
			buf_free(&c->out);
		if (c->flags & F_CLOSE) {
			conn_close(c);
			return;
		}
		if (c->flags & F_WRITE) {
			c->flags &= ~F_WRITE;
			conn_watch(c);
		}
	} else if (!(c->flags & F_WRITE)) {
		c->flags |= F_WRITE;
		conn_watch(c);
	}
	conn_rearm(c);
}

static void
before_wait(struct loop *l, void *arg)
{
	struct serve *s = arg;
	struct conn *c;

	(void)l;
	while ((c = s->flush) != NULL) {
		flush_unlink(c);
		write_out(c);
	}
}

/* see conn.h */
const char *
conn_date(struct serve *s)
{
	time_t t = time(NULL);

	if ((int64_t)t != s->date_at) {
		resp_date(t, s->date);
		s->date_at = (int64_t)t;
	}
	return s->date;
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

	if (conn_pending(c) > 0)
		due = c->out_since + k->write_ms;
	switch (c->kind) {
	case K_HTTP:
		if (c->phase == P_WAIT)
			due = min64(due, c->req_start + k->handler_ms);
		else if (c->req_start != 0)
			due = min64(due, c->req_start + k->request_ms);
		else if (conn_pending(c) == 0)
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

	if (conn_pending(c) > 0 && at >= c->out_since + k->write_ms) {
		conn_close(c);          /* the client stopped reading */
		return;
	}
	if (c->kind == K_HTTP)
		serve_http_timeout(c, at);
	else
		stream_tick(c, at);
	if (c->kind != K_FREE)
		conn_rearm(c);
}

/* see conn.h */
void
conn_rearm(struct conn *c)
{
	uint64_t due = deadline(c), at = conn_now(c);

	if (c->kind == K_FREE)
		return;
	loop_timer_set(c->s->l, &c->timer, due > at ? due - at : 0, on_timer);
}

static void
on_eof(struct conn *c)
{
	c->flags |= F_NOREAD;
	conn_watch(c);
	if (c->kind == K_HTTP && (c->phase == P_WAIT || conn_pending(c) > 0)) {
		/* answer what was asked, then close (a half-close is
		 * still a request) */
		c->flags |= F_CLOSE;
		return;
	}
	conn_close(c);
}

/*
 * Input for a connection with nothing pending is read into the server's
 * one scratch buffer and handled from there: a request that arrives whole
 * (the common case) is answered without a buffer of its own. What is left
 * over (a part, pipelined requests) moves to a buffer of the connection.
 */
static void
scratch_begin(struct conn *c)
{
	c->in.p = c->s->scratch;
	c->in.alloc = READ_CHUNK + 1;
	c->in.len = 0;
	c->flags |= F_SCRATCH;
}

static int
scratch_end(struct conn *c)
{
	size_t n = c->in.len;
	int e = 0;

	c->flags &= ~F_SCRATCH;
	buf_init(&c->in, c->in.cap);
	if (n > 0 && (e = buf_append(&c->in, c->s->scratch, n)) != 0)
		conn_close(c);
	return e;
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
		if (c->in.len == 0 && room == READ_CHUNK) {
			scratch_begin(c);
		} else if (room == 0 || buf_reserve(&c->in, room) != 0) {
			/* full: a request (or pipelined ones) waits for its
			 * answer; read again once it is consumed */
			c->flags |= F_INFULL;
			conn_watch(c);
			return;
		}
		n = read(c->fd, c->in.p + c->in.len, room);
		if (n > 0) {
			c->in.len += (size_t)n;
			if (c->kind == K_HTTP)
				serve_http_input(c);
			else
				stream_input(c);
			if (c->gen != gen)
				return;
			if ((c->flags & F_SCRATCH) && scratch_end(c) != 0)
				return;
			if ((size_t)n < room)
				break;
			continue;
		}
		if (c->flags & F_SCRATCH)
			scratch_end(c);         /* nothing was read into it */
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
	conn_rearm(c);
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
		c->held = NULL;
		c->held_off = 0;
		c->seq = 0;
		c->idle_since = loop_now(l);
		c->method[0] = c->target[0] = '\0';
		buf_init(&c->in, REQ_HEAD_MAX + s->body_cap + READ_CHUNK);
		buf_init(&c->out, (s->c.resp_max > s->c.sub_out_max ?
		    s->c.resp_max : s->c.sub_out_max));
		buf_init(&c->msg, 0);
		s->st.accepted++;
		s->st.conns++;
		conn_rearm(c);
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
	s->scratch = malloc(READ_CHUNK + 1);
	if (s->conns == NULL || s->subs == NULL || s->nodes == NULL ||
	    s->scratch == NULL) {
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
	free(s->scratch);
	s->scratch = NULL;
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
			    conn_pending(c) == 0)
				conn_close(c);  /* idle keep-alive */
			else if (c->phase == P_HEAD && c->req_start == 0)
				c->flags |= F_CLOSE;
			break;                  /* the answer says close */
		case K_WS:
			serve_close(s, conn_id(c), 1001,
			    "server shutting down");
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

/* see serve.h */
void
serve_stats(const struct serve *s, struct serve_stats *st)
{
	*st = s->st;
}
