/*
 * net.c - TCP client sockets with deadlines. See net.h.
 *
 * Every socket is non-blocking from birth. connect() either succeeds at once
 * or returns EINPROGRESS; we then poll for POLLOUT and read SO_ERROR, which is
 * how OpenBSD nc's timeout_connect learns the real outcome (refused,
 * unreachable) without a blocking call. Reads and writes try the syscall
 * first and poll only on EAGAIN, so a socket with data pending costs one
 * syscall. Each wait is min(stall timeout, time left to the deadline), and
 * EINTR recomputes it from the clock, so a signal storm cannot stretch a
 * wait: every loop here ends by progress, error or the clock.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "net.h"

#define NET_DEFAULT_CONNECT_MS 30000
#define NET_DEFAULT_IO_MS      60000

/* see net.h */
int64_t
net_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
set_err(struct err_ctx *e, int code, int sys, const char *peer,
    const char *what)
{
	if (e == NULL)
		return code;
	err_set(e, code, "%s%s%s", peer, *peer != '\0' && *what != '\0' ?
	    ", " : "", what);
	e->sys_errno = sys;
	return code;
}

/*
 * Milliseconds to wait now: the stall budget left since `since`, cut to the
 * deadline. 0 means the time is up. *by_deadline says which limit it was.
 */
static int
wait_ms(int64_t since, int stall, int64_t deadline, int *by_deadline)
{
	int64_t now = net_now_ms();
	int64_t left = since + stall - now;

	*by_deadline = 0;
	if (deadline != 0 && deadline - now < left) {
		left = deadline - now;
		*by_deadline = 1;
	}
	if (left <= 0)
		return 0;
	return left > 0x7fffffff ? 0x7fffffff : (int)left;
}

/* ------------------------------------------------------------ resolve */

/* Copy [s, s+n) minus optional surrounding brackets into dst (cap bytes). */
static int
copy_part(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n == 0 || n >= cap || memchr(s, '\0', n) != NULL)
		return -1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

/* see net.h */
int
net_resolve_parse(struct net_resolve *r, const char *spec)
{
	const char *p = spec, *host, *port, *end;
	unsigned char a6[16];
	unsigned long v = 0;
	size_t hn;

	memset(r, 0, sizeof *r);
	/* HOST may be a bracketed IPv6 literal, which contains ':' */
	host = p;
	if (*p == '[') {
		p = strchr(p, ']');
		if (p == NULL)
			return ERR_NET_RESOLVE_SPEC;
		p++;
	} else {
		p = strchr(p, ':');
		if (p == NULL)
			return ERR_NET_RESOLVE_SPEC;
	}
	if (*p != ':')
		return ERR_NET_RESOLVE_SPEC;
	hn = (size_t)(p - host);
	port = ++p;
	/* at most 5 digits: no overflow, and 0 or > 65535 refused below */
	for (; *p >= '0' && *p <= '9' && p - port < 6; p++)
		v = v * 10 + (unsigned long)(*p - '0');
	if (p == port || p - port > 5 || *p != ':' || v == 0 || v > 65535)
		return ERR_NET_RESOLVE_SPEC;
	p++;
	end = p + strlen(p);
	if (copy_part(r->host, sizeof r->host, host, hn) != 0 ||
	    copy_part(r->addr, sizeof r->addr, p, (size_t)(end - p)) != 0)
		return ERR_NET_RESOLVE_SPEC;
	/* numeric only: an override that itself needs DNS would defeat it */
	if (inet_pton(AF_INET, r->addr, a6) != 1 &&
	    inet_pton(AF_INET6, r->addr, a6) != 1)
		return ERR_NET_RESOLVE_SPEC;
	r->port = (unsigned)v;
	return 0;
}

static int
dns_error(int rc, int sys, const char *host, struct err_ctx *e)
{
	char what[NET_HOST_MAX + 32];

	snprintf(what, sizeof what, "%s: %s", host, gai_strerror(rc));
	switch (rc) {
	case EAI_NONAME:
		return set_err(e, ERR_NET_DNS_NONAME, 0, "", what);
	case EAI_SYSTEM:
		return set_err(e, ERR_NET_DNS, sys, "", what);
	default:
		return set_err(e, ERR_NET_DNS, 0, "", what);
	}
}

/* Map a connect/recv/send errno to our code. */
static int
errno_code(int sys, int fallback)
{
	switch (sys) {
	case ECONNREFUSED:
		return ERR_NET_REFUSED;
	case ENETUNREACH:
	case EHOSTUNREACH:
	case ENETDOWN:
	case EHOSTDOWN:
		return ERR_NET_UNREACHABLE;
	case ETIMEDOUT:
		return fallback == ERR_IO ? ERR_NET_CONNECT_TIMEOUT : fallback;
	case ECONNRESET:
	case ECONNABORTED:
		return ERR_NET_RESET;
	case EPIPE:
		return ERR_NET_CLOSED;
	default:
		return ERR_IO;
	}
}

static void
format_peer(char *out, size_t cap, const struct sockaddr *sa)
{
	char a[NET_ADDR_MAX];
	unsigned port;

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof a);
		port = ntohs(s6->sin6_port);
		snprintf(out, cap, "[%s]:%u", a, port);
	} else {
		const struct sockaddr_in *s4 = (const void *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof a);
		port = ntohs(s4->sin_port);
		snprintf(out, cap, "%s:%u", a, port);
	}
}

/* ------------------------------------------------------------ connect */

/* see net.h */
int
net_poll(struct pollfd *pfd, int tmo, const struct cancel *cancel)
{
	int64_t end = net_now_ms() + tmo;

	for (;;) {
		int slice = tmo, rc;
		if (cancel_requested(cancel))
			return -2;
		if (cancel != NULL && (slice < 0 || slice > CANCEL_POLL_MS))
			slice = CANCEL_POLL_MS;
		rc = poll(pfd, 1, slice);
		if (rc != 0 || cancel == NULL)
			return rc;
		if (tmo >= 0 && (tmo = (int)(end - net_now_ms())) <= 0)
			return 0;
	}
}

/*
 * One address: non-blocking connect, poll for writability, then SO_ERROR.
 * On success *fdp is the connected socket (still non-blocking).
 */
static int
try_connect(const struct addrinfo *ai, int ms, int64_t deadline, int *fdp,
    const char *peer, const struct cancel *cancel, struct err_ctx *e)
{
	struct pollfd pfd;
	int fd, rc, soerr, by_deadline, tmo;
	socklen_t sl = sizeof soerr;
	int64_t start = net_now_ms();
	char what[48];

	fd = socket(ai->ai_family, SOCK_STREAM, ai->ai_protocol);
	if (fd < 0)
		return set_err(e, ERR_IO, errno, peer, "socket");
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
		rc = set_err(e, ERR_IO, errno, peer, "fcntl");
		close(fd);
		return rc;
	}
	{
		/* requests go out whole (a PUT's head, then its body): Nagle
		 * would hold the body back until the server's delayed ACK,
		 * 40 ms per S3 PUT on Linux */
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
#ifdef SO_NOSIGPIPE
	/* BSDs without MSG_NOSIGNAL: the socket option does the same */
	{
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
	}
#endif
	rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
	if (rc == 0)
		goto done;
	if (errno != EINPROGRESS && errno != EINTR) {
		soerr = errno;
		goto fail;
	}
	/* EINTR during connect: the attempt goes on, so wait for it as for
	 * EINPROGRESS (POSIX: "the connection shall be established
	 * asynchronously"). */
	for (;;) {
		tmo = wait_ms(start, ms, deadline, &by_deadline);
		if (tmo == 0) {
			snprintf(what, sizeof what, "%s %d ms", by_deadline ?
			    "deadline passed after" : "no answer in",
			    (int)(net_now_ms() - start));
			close(fd);
			return set_err(e, ERR_NET_CONNECT_TIMEOUT, 0, peer,
			    what);
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		rc = net_poll(&pfd, tmo, cancel);
		if (rc > 0)
			break;
		if (rc == -2) {
			close(fd);
			return set_err(e, ERR_CANCELLED, 0, peer, "connecting");
		}
		if (rc < 0 && errno != EINTR) {
			soerr = errno;
			goto fail;
		}
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
		soerr = errno;
	if (soerr != 0)
		goto fail;
done:
	*fdp = fd;
	return 0;
fail:
	close(fd);
	rc = errno_code(soerr, ERR_IO);
	/* our codes say it all; keep strerror only for the unmapped ones */
	return set_err(e, rc, rc == ERR_IO ? soerr : 0, peer, "");
}

static int
connect_list(struct net_conn *c, const struct addrinfo *list, int ms,
    int64_t deadline, struct err_ctx *e)
{
	const struct addrinfo *ai;
	int rc = ERR_NET_DNS_NONAME, fd = -1;

	for (ai = list; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		format_peer(c->peer, sizeof c->peer, ai->ai_addr);
		rc = try_connect(ai, ms, deadline, &fd, c->peer, c->cancel, e);
		if (rc == 0) {
			c->fd = fd;
			return 0;
		}
		if (deadline != 0 && net_now_ms() >= deadline)
			break;
	}
	if (rc == ERR_NET_DNS_NONAME)
		set_err(e, rc, 0, "", "no IPv4 or IPv6 address");
	return rc;
}

/* see net.h */
int
net_connect(struct net_conn *c, const char *host, unsigned port,
    const struct net_opts *o, int64_t deadline, struct err_ctx *e)
{
	struct addrinfo hints, *res = NULL;
	char service[8];
	size_t i;
	int rc, ms, tried = 0;

	c->fd = -1;
	c->peer[0] = '\0';
	c->io_ms = o != NULL && o->io_ms > 0 ? o->io_ms : NET_DEFAULT_IO_MS;
	c->deadline = deadline;
	c->cancel = o != NULL ? o->cancel : NULL;
	ms = o != NULL && o->connect_ms > 0 ? o->connect_ms :
	    NET_DEFAULT_CONNECT_MS;
	if (host == NULL || *host == '\0' || strlen(host) > NET_HOST_MAX ||
	    port == 0 || port > 65535)
		return set_err(e, ERR_USAGE, 0, "", "bad host or port");
	snprintf(service, sizeof service, "%u", port);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;

	/* --resolve entries first, in the order given, numeric only */
	rc = ERR_NET_DNS_NONAME;
	for (i = 0; o != NULL && i < o->nresolve; i++) {
		const struct net_resolve *r = &o->resolve[i];

		if (r->port != port || strcasecmp(r->host, host) != 0)
			continue;
		hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
		if (getaddrinfo(r->addr, service, &hints, &res) != 0)
			continue;       /* checked numeric at parse time */
		tried = 1;
		rc = connect_list(c, res, ms, deadline, e);
		freeaddrinfo(res);
		if (rc == 0 || (deadline != 0 && net_now_ms() >= deadline))
			return rc;
	}
	if (tried)
		return rc;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(host, service, &hints, &res);
	if (rc != 0)
		return dns_error(rc, errno, host, e);
	rc = connect_list(c, res, ms, deadline, e);
	freeaddrinfo(res);
	return rc;
}

/* ------------------------------------------------------------ I/O */

/* Wait for events on c->fd within the stall/deadline limits.
 * Returns 0 when ready, else an error code (timeout or ERR_IO). */
static int
wait_io(struct net_conn *c, short events, int64_t since, int tcode,
    struct err_ctx *e)
{
	struct pollfd pfd;
	int tmo, by_deadline, rc;
	char what[64];

	for (;;) {
		tmo = wait_ms(since, c->io_ms, c->deadline, &by_deadline);
		if (tmo == 0) {
			snprintf(what, sizeof what, by_deadline ?
			    "deadline passed" : "nothing for %d ms", c->io_ms);
			return set_err(e, tcode, 0, c->peer, what);
		}
		pfd.fd = c->fd;
		pfd.events = events;
		pfd.revents = 0;
		rc = net_poll(&pfd, tmo, c->cancel);
		if (rc > 0)
			return 0;       /* ready, or HUP/ERR: the call tells */
		if (rc == -2)
			return set_err(e, ERR_CANCELLED, 0, c->peer, "");
		if (rc < 0 && errno != EINTR)
			return set_err(e, ERR_IO, errno, c->peer, "poll");
	}
}

/* see net.h */
int
net_read(struct net_conn *c, void *buf, size_t cap, size_t *got,
    struct err_ctx *e)
{
	int64_t since = net_now_ms();
	ssize_t n;
	int rc;

	*got = 0;
	if (c->fd < 0)
		return set_err(e, ERR_NET_CLOSED, 0, c->peer, "not connected");
	for (;;) {
		n = recv(c->fd, buf, cap, 0);
		if (n >= 0) {
			*got = (size_t)n;
			return 0;
		}
		if (errno == EINTR)
			continue;       /* bounded: wait_io checks the clock */
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			rc = errno_code(errno, ERR_NET_READ_TIMEOUT);
			return set_err(e, rc, rc == ERR_IO ? errno : 0,
			    c->peer, "");
		}
		rc = wait_io(c, POLLIN, since, ERR_NET_READ_TIMEOUT, e);
		if (rc != 0)
			return rc;
	}
}

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0          /* SO_NOSIGPIPE was set at connect */
#endif

/* see net.h */
int
net_write(struct net_conn *c, const void *buf, size_t n, size_t *put,
    struct err_ctx *e)
{
	int64_t since = net_now_ms();
	ssize_t w;
	int rc;

	*put = 0;
	if (c->fd < 0)
		return set_err(e, ERR_NET_CLOSED, 0, c->peer, "not connected");
	if (n == 0)
		return 0;
	for (;;) {
		/* MSG_NOSIGNAL: a peer that closed gives EPIPE, not SIGPIPE */
		w = send(c->fd, buf, n, MSG_NOSIGNAL);
		if (w > 0) {
			*put = (size_t)w;
			return 0;
		}
		if (w < 0 && errno == EINTR)
			continue;       /* bounded: wait_io checks the clock */
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			rc = errno_code(errno, ERR_NET_WRITE_TIMEOUT);
			return set_err(e, rc, rc == ERR_IO ? errno : 0,
			    c->peer, "");
		}
		rc = wait_io(c, POLLOUT, since, ERR_NET_WRITE_TIMEOUT, e);
		if (rc != 0)
			return rc;
	}
}

/* see net.h */
int
net_write_all(struct net_conn *c, const void *buf, size_t n,
    struct err_ctx *e)
{
	const unsigned char *p = buf;
	size_t put;
	int rc;

	/* each round writes >= 1 byte or fails: at most n rounds */
	while (n > 0) {
		rc = net_write(c, p, n, &put, e);
		if (rc != 0)
			return rc;
		p += put;
		n -= put;
	}
	return 0;
}

/* see net.h */
void
net_close(struct net_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}
