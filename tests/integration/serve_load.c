/*
 * serve_load.c - a light load client for measuring the service's network
 * half (scripts/bench-serve): plain sockets and epoll, no library of ours
 * on the client side but the loop-free basics, so it measures the server,
 * not itself. Loopback only.
 *
 *   serve_load rps PORT CONNS SECONDS PATH
 *       CONNS keep-alive connections, each sending GET PATH again as soon
 *       as the answer is in; prints "requests N seconds S rps R".
 *   serve_load subs PORT N PROBES SECONDS JOB [OTHER]
 *       N WebSocket subscribers of job JOB (handshake, subscribe message),
 *       all reading; PROBES of them parse each event's "t" (the posting
 *       thread's CLOCK_MONOTONIC nanoseconds) and record the latency.
 *       With OTHER, all but the probes subscribe to job OTHER instead
 *       (connected, but not in the fan-out).
 *       Prints "ready N" once all are subscribed, then after SECONDS:
 *       "events K p50_us A p99_us B max_us C" over the probes' samples.
 */
#define _GNU_SOURCE             /* memmem() in glibc (the sanitizer builds) */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXC 8192

struct c {
	int fd;
	int probe;
	int ready;              /* WS: handshake answered */
	size_t len;
	uint8_t buf[1 << 14];
};

static struct c *cs[MAXC];

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
dial(int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		perror("serve_load: connect");
		exit(1);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

static void
send_all(int fd, const void *p, size_t n)
{
	const char *q = p;

	while (n > 0) {
		ssize_t w = write(fd, q, n);
		if (w <= 0) {
			perror("serve_load: write");
			exit(1);
		}
		q += w;
		n -= (size_t)w;
	}
}

/* Bytes of one whole HTTP answer at the front of b (Content-Length), or
 * 0 if not whole yet. */
static size_t
answer_len(const uint8_t *b, size_t n)
{
	const uint8_t *end = NULL;
	size_t head, cl = 0;

	for (size_t i = 0; i + 4 <= n; i++)
		if (memcmp(b + i, "\r\n\r\n", 4) == 0) {
			end = b + i;
			break;
		}
	if (end == NULL)
		return 0;
	head = (size_t)(end - b) + 4;
	for (const uint8_t *p = b; p + 16 < end; p++)
		if (strncasecmp((const char *)p, "\r\nContent-Length:", 17) == 0) {
			cl = strtoul((const char *)p + 17, NULL, 10);
			break;
		}
	return n >= head + cl ? head + cl : 0;
}

/* Read what c's socket has into c->buf: the byte count, <= 0 at the end. */
static ssize_t
take(struct c *c)
{
	ssize_t r = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);

	if (r > 0)
		c->len += (size_t)r;
	return r;
}

static int
rps(int port, int conns, int secs, const char *path)
{
	char req[512];
	int ep = epoll_create1(0), n;
	uint64_t count = 0, t0, until;
	struct epoll_event ev, evs[256];

	n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "\r\n", path);
	for (int i = 0; i < conns; i++) {
		cs[i] = calloc(1, sizeof *cs[i]);
		cs[i]->fd = dial(port);
		ev.events = EPOLLIN;
		ev.data.ptr = cs[i];
		epoll_ctl(ep, EPOLL_CTL_ADD, cs[i]->fd, &ev);
		send_all(cs[i]->fd, req, (size_t)n);
	}
	t0 = mono_ns();
	until = t0 + (uint64_t)secs * 1000000000u;
	while (mono_ns() < until) {
		int k = epoll_wait(ep, evs, 256, 100);
		for (int i = 0; i < k; i++) {
			struct c *c = evs[i].data.ptr;
			size_t a;
			if (take(c) <= 0) {
				fprintf(stderr, "serve_load: connection lost\n");
				return 1;
			}
			while ((a = answer_len(c->buf, c->len)) > 0) {
				memmove(c->buf, c->buf + a, c->len - a);
				c->len -= a;
				count++;
				send_all(c->fd, req, (size_t)n);
			}
		}
	}
	printf("requests %llu seconds %d rps %.0f\n", (unsigned long long)count,
	    secs, (double)count / ((double)(mono_ns() - t0) / 1e9));
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Whole frames at the front of c->buf: the probes' events timed. */
static void
frames(struct c *c, uint64_t *lat, size_t *nlat, size_t cap)
{
	for (;;) {
		size_t n, at = 2;
		uint8_t *p = c->buf;

		if (c->len < 2)
			return;
		n = p[1] & 0x7f;
		if (n == 126) {
			if (c->len < 4)
				return;
			n = (size_t)p[2] << 8 | p[3];
			at = 4;
		} else if (n == 127) {
			if (c->len < 10)
				return;
			n = 0;
			for (int i = 0; i < 8; i++)
				n = n << 8 | p[2 + i];
			at = 10;
		}
		if (c->len < at + n)
			return;
		if (c->probe && (p[0] & 0x0f) == 1 && *nlat < cap) {
			uint64_t now = mono_ns();
			for (size_t i = at; i + 4 < at + n; i++)
				if (memcmp(p + i, "\"t\":", 4) == 0) {
					uint64_t t = strtoull((char *)p + i + 4,
					    NULL, 10);
					if (t > 0 && t <= now)
						lat[(*nlat)++] = now - t;
					break;
				}
		}
		memmove(c->buf, c->buf + at + n, c->len - at - n);
		c->len -= at + n;
	}
}

static int
subs(int port, int n, int probes, int secs, const char *job,
    const char *other)
{
	static uint64_t lat[1 << 20];
	size_t nlat = 0;
	int ep = epoll_create1(0), ready = 0;
	struct epoll_event ev, evs[256];
	char sub[256];
	uint8_t frame[300], oframe[300];
	int sn = snprintf(sub, sizeof sub, "{\"action\":\"subscribe\","
	    "\"jobId\":\"%s\"}", job);
	char osub[256];
	int on = snprintf(osub, sizeof osub, "{\"action\":\"subscribe\","
	    "\"jobId\":\"%s\"}", other ? other : job);
	uint64_t until;
	static const char hs[] = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\n\r\n";

	/* one masked text frame (mask 0: the payload as is) */
	frame[0] = 0x81;
	frame[1] = (uint8_t)(0x80 | sn);
	memset(frame + 2, 0, 4);
	memcpy(frame + 6, sub, (size_t)sn);
	oframe[0] = 0x81;
	oframe[1] = (uint8_t)(0x80 | on);
	memset(oframe + 2, 0, 4);
	memcpy(oframe + 6, osub, (size_t)on);
	for (int i = 0; i < n; i++) {
		cs[i] = calloc(1, sizeof *cs[i]);
		cs[i]->fd = dial(port);
		/* the probes spread among the rest: neither first nor
		 * last in the server's fan-out */
		cs[i]->probe = probes > 0 && i % (n / probes) == 0 &&
		    i / (n / probes) < probes;
		send_all(cs[i]->fd, hs, sizeof hs - 1);
		if (cs[i]->probe)
			send_all(cs[i]->fd, frame, (size_t)sn + 6);
		else
			send_all(cs[i]->fd, oframe, (size_t)on + 6);
		ev.events = EPOLLIN;
		ev.data.ptr = cs[i];
		epoll_ctl(ep, EPOLL_CTL_ADD, cs[i]->fd, &ev);
	}
	until = mono_ns() + 30000000000u;       /* all subscribed within 30 s */
	while (ready < n && mono_ns() < until) {
		int k = epoll_wait(ep, evs, 256, 100);
		for (int i = 0; i < k; i++) {
			struct c *c = evs[i].data.ptr;
			if (take(c) <= 0) {
				fprintf(stderr, "serve_load: lost a subscriber\n");
				return 1;
			}
			if (!c->ready) {
				uint8_t *e = memmem(c->buf, c->len, "\r\n\r\n", 4);
				size_t a;
				if (e == NULL)
					continue;
				a = (size_t)(e - c->buf) + 4;
				memmove(c->buf, c->buf + a, c->len - a);
				c->len -= a;
				c->ready = 1;
			}
			if (c->ready == 1 && c->len > 0 &&
			    memmem(c->buf, c->len, "subscribed", 10)) {
				c->ready = 2;
				c->len = 0;
				ready++;
			}
		}
	}
	printf("ready %d\n", ready);
	fflush(stdout);
	until = mono_ns() + (uint64_t)secs * 1000000000u;
	while (mono_ns() < until) {
		int k = epoll_wait(ep, evs, 256, 100);
		for (int i = 0; i < k; i++) {
			struct c *c = evs[i].data.ptr;
			if (take(c) > 0)
				frames(c, lat, &nlat,
				    sizeof lat / sizeof lat[0]);
		}
	}
	if (nlat == 0) {
		printf("events 0\n");
		return 1;
	}
	qsort(lat, nlat, sizeof lat[0], cmp_u64);
	printf("events %zu p50_us %.0f p99_us %.0f max_us %.0f\n", nlat,
	    lat[nlat / 2] / 1e3, lat[nlat * 99 / 100] / 1e3,
	    lat[nlat - 1] / 1e3);
	return 0;
}

int
main(int argc, char **argv)
{
	struct rlimit rl;

	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (argc == 6 && strcmp(argv[1], "rps") == 0 && atoi(argv[3]) <= MAXC)
		return rps(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), argv[5]);
	if ((argc == 7 || argc == 8) && strcmp(argv[1], "subs") == 0 &&
	    atoi(argv[3]) <= MAXC)
		return subs(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]),
		    atoi(argv[5]), argv[6], argc == 8 ? argv[7] : NULL);
	fprintf(stderr, "usage: serve_load rps PORT CONNS SECONDS PATH\n"
	    "       serve_load subs PORT N PROBES SECONDS JOB [OTHER]\n");
	return 2;
}
