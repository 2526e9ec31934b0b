/*
 * net.h - TCP client sockets with deadlines.
 *
 * Name resolution (getaddrinfo, or a caller-supplied --resolve list as curl's),
 * connect with a timeout (non-blocking connect + poll + SO_ERROR, as OpenBSD
 * nc's timeout_connect), then reads and writes that give up after a stall
 * timeout (no progress for io_ms) or at an absolute deadline, whichever comes
 * first. EINTR is retried inside the same deadline; SIGPIPE is never raised
 * (send with MSG_NOSIGNAL). Errors are ERR_NET_* codes from err.h, with the
 * address and the time limit in the err_ctx detail; the caller sets the source.
 *
 * Times are milliseconds on the monotonic clock (net_now_ms); a deadline of 0
 * means none. getaddrinfo itself cannot be interrupted: its time is bounded by
 * the resolver's own timeouts (resolv.conf), not by our deadline.
 *
 * Cancel (cancel.h): with one set in net_opts (connect) or in the connection
 * (reads and writes), every wait is cut into CANCEL_POLL_MS slices and a
 * requested cancel ends it with ERR_CANCELLED.
 */
#ifndef NET_H
#define NET_H

#include <stddef.h>
#include <stdint.h>

#include "cancel.h"
#include "err.h"

#define NET_HOST_MAX 255        /* RFC 1035 name length, plus room for NUL */
#define NET_ADDR_MAX 46         /* INET6_ADDRSTRLEN */

/* One --resolve HOST:PORT:ADDR entry: connections to HOST:PORT go to ADDR
 * (numeric IPv4, or IPv6 with or without brackets) without asking DNS. */
struct net_resolve {
	char host[NET_HOST_MAX + 1];    /* compared case-insensitively */
	unsigned port;
	char addr[NET_ADDR_MAX];        /* numeric, brackets removed */
};

struct net_opts {
	int connect_ms;         /* per address tried; <= 0: 30000 */
	int io_ms;              /* read/write stall timeout; <= 0: 60000 */
	const struct net_resolve *resolve;      /* overrides, may be NULL */
	size_t nresolve;
	const struct cancel *cancel;    /* NULL: none; also set in the
	                                 * connection net_connect opens */
};

/* A connected socket. Plain data (no interior pointers): the fd is the only
 * resource, released by net_close(). */
struct net_conn {
	int fd;                 /* -1 when closed */
	int io_ms;              /* stall timeout, from net_opts */
	int64_t deadline;       /* absolute net_now_ms() limit, 0 = none */
	const struct cancel *cancel;    /* watched while waiting, or NULL (the
	                                 * caller may change it later) */
	char peer[NET_ADDR_MAX + 8];    /* "addr:port" / "[v6]:port" */
};

/* Monotonic clock in milliseconds. */
int64_t net_now_ms(void);

/* Parse "HOST:PORT:ADDR" (HOST or ADDR may be [bracketed] IPv6) into r.
 * ADDR must be numeric. Returns 0 or ERR_NET_RESOLVE_SPEC. */
int net_resolve_parse(struct net_resolve *r, const char *spec);

/*
 * Resolve host (through o->resolve first) and connect to port, trying each
 * address in turn until one answers; each try gets o->connect_ms, all of it
 * bounded by deadline (0 = none). On success c is open, its deadline set to
 * deadline (the caller may change it later). Errors: ERR_NET_DNS_NONAME,
 * ERR_NET_DNS, ERR_NET_REFUSED, ERR_NET_UNREACHABLE, ERR_NET_CONNECT_TIMEOUT,
 * ERR_NET_RESET, ERR_IO (with errno); when every address fails, the error of
 * the last one is returned. e may be NULL.
 */
int net_connect(struct net_conn *c, const char *host, unsigned port,
    const struct net_opts *o, int64_t deadline, struct err_ctx *e);

/* Read at most cap bytes, waiting at most c->io_ms for some to arrive and
 * never past c->deadline. *got = 0 means the peer closed its side (EOF).
 * Errors: ERR_NET_READ_TIMEOUT, ERR_NET_RESET, ERR_IO. */
int net_read(struct net_conn *c, void *buf, size_t cap, size_t *got,
    struct err_ctx *e);

/* Write at least one and at most n bytes (n > 0), same limits as net_read.
 * Errors: ERR_NET_WRITE_TIMEOUT, ERR_NET_CLOSED (EPIPE), ERR_NET_RESET,
 * ERR_IO. */
int net_write(struct net_conn *c, const void *buf, size_t n, size_t *put,
    struct err_ctx *e);

/* Write all n bytes; the stall timeout restarts on every progress. */
int net_write_all(struct net_conn *c, const void *buf, size_t n,
    struct err_ctx *e);

/*
 * poll(2) on one descriptor for at most tmo ms (< 0: no limit), cut into
 * CANCEL_POLL_MS slices when cancel is not NULL. Returns poll's result, or
 * -2 when the cancel was requested.
 */
struct pollfd;
int net_poll(struct pollfd *pfd, int tmo, const struct cancel *cancel);

/* Close the socket (idempotent; c->fd becomes -1). */
void net_close(struct net_conn *c);

#endif
