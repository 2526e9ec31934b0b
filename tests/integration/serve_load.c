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
 *       (connected, but not in the fan-out). JOB "project:NAME" subscribes
 *       to a project of `repodigest serve`, whose events are timed by their
 *       "timestamp" (milliseconds, the real clock) instead of "t".
 *       Prints "ready N" once all are subscribed, then after SECONDS:
 *       "events K p50_us A p99_us B max_us C" over the probes' samples,
 *       each timed when this client read the frame; then "arrived_p50_us
 *       D arrived_p99_us E": the same events timed by the kernel's receive
 *       timestamp of the probe's socket (SO_TIMESTAMPNS: when the server's
 *       send() put the bytes on loopback), so the server's share is shown
 *       apart from this client's (one thread reading 1,000 sockets).
 *   serve_load jobs PORT CONNS SECONDS REF REPO...
 *       `repodigest serve` itself: CONNS keep-alive connections, each
 *       posting {"repo": REPO, "ref": REF} to /v1/jobs (connection i takes
 *       REPO number i modulo their count: give at least CONNS so each has
 *       a key of its own), then GET /v1/jobs/ID until the job has ended,
 *       then the next. Prints "jobs N failed F seconds S per_s R p50_ms A
 *       p99_ms B" (POST sent to "completed" read).
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
	uint64_t rx_ns;         /* probes: kernel receive time (CLOCK_REALTIME)
	                         * of the last bytes read, 0 if none */
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

static uint64_t
real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* "2026-01-31T12:00:01.250Z" as nanoseconds since the epoch, 0 if not. */
static uint64_t
iso_ns(const char *s)
{
	struct tm tm;
	int ms = 0;

	memset(&tm, 0, sizeof tm);
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (uint64_t)timegm(&tm) * 1000000000u + (uint64_t)ms * 1000000u;
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
	struct iovec iov = { c->buf + c->len, sizeof c->buf - c->len };
	union {
		struct cmsghdr h;
		uint8_t b[CMSG_SPACE(sizeof(struct timespec))];
	} cb;
	struct msghdr m;
	ssize_t r;

	if (!c->probe) {
		r = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
		if (r > 0)
			c->len += (size_t)r;
		return r;
	}
	memset(&m, 0, sizeof m);
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = cb.b;
	m.msg_controllen = sizeof cb.b;
	r = recvmsg(c->fd, &m, 0);
	c->rx_ns = 0;
	if (r > 0) {
		c->len += (size_t)r;
		for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h != NULL;
		    h = CMSG_NXTHDR(&m, h))
			if (h->cmsg_level == SOL_SOCKET &&
			    h->cmsg_type == SCM_TIMESTAMPNS) {
				struct timespec ts;
				memcpy(&ts, CMSG_DATA(h), sizeof ts);
				c->rx_ns = (uint64_t)ts.tv_sec * 1000000000u +
				    (uint64_t)ts.tv_nsec;
			}
	}
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

struct jc {                     /* a "jobs" connection's state */
	const char *repo;
	int polling;                    /* 1: a GET of id is out */
	char id[40];
	uint64_t t0;
};

static void
jobs_post(struct c *c, struct jc *j, const char *ref)
{
	char body[512], req[1024];
	int bn = snprintf(body, sizeof body, "{\"repo\":\"%s\",\"ref\":\"%s\"}",
	    j->repo, ref);
	int n = snprintf(req, sizeof req, "POST /v1/jobs HTTP/1.1\r\nHost: "
	    "127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
	    "%d\r\n\r\n%s", bn, body);

	j->polling = 0;
	j->t0 = mono_ns();
	send_all(c->fd, req, (size_t)n);
}

static void
jobs_get(struct c *c, struct jc *j)
{
	char req[256];
	int n = snprintf(req, sizeof req, "GET /v1/jobs/%s HTTP/1.1\r\nHost: "
	    "127.0.0.1\r\n\r\n", j->id);

	j->polling = 1;
	send_all(c->fd, req, (size_t)n);
}

static int cmp_u64(const void *a, const void *b);

static int
jobs(int port, int conns, int secs, const char *ref, char **repos, int nrepos)
{
	static struct jc js[MAXC];
	static uint64_t lat[1 << 20];
	size_t nlat = 0;
	uint64_t failed = 0, t0, until;
	int ep = epoll_create1(0);
	struct epoll_event ev, evs[256];

	for (int i = 0; i < conns; i++) {
		cs[i] = calloc(1, sizeof *cs[i]);
		cs[i]->fd = dial(port);
		js[i].repo = repos[i % nrepos];
		ev.events = EPOLLIN;
		ev.data.u32 = (uint32_t)i;
		epoll_ctl(ep, EPOLL_CTL_ADD, cs[i]->fd, &ev);
	}
	t0 = mono_ns();
	until = t0 + (uint64_t)secs * 1000000000u;
	for (int i = 0; i < conns; i++)
		jobs_post(cs[i], &js[i], ref);
	while (mono_ns() < until) {
		int k = epoll_wait(ep, evs, 256, 100);
		for (int e = 0; e < k; e++) {
			int i = (int)evs[e].data.u32;
			struct c *c = cs[i];
			struct jc *j = &js[i];
			size_t a;
			if (take(c) <= 0) {
				fprintf(stderr, "serve_load: connection lost\n");
				return 1;
			}
			while ((a = answer_len(c->buf, c->len)) > 0) {
				const char *b = memmem(c->buf, a, "\r\n\r\n", 4);
				const char *id = b ? memmem(b, a - (size_t)(b -
				    (const char *)c->buf), "\"jobId\":\"", 9) : NULL;
				int done = b && memmem(b, a - (size_t)(b -
				    (const char *)c->buf), "\"status\":\"completed\"",
				    20) != NULL;
				int bad = b && (memmem(b, a - (size_t)(b -
				    (const char *)c->buf), "\"status\":\"failed\"",
				    17) != NULL || memmem(b, a - (size_t)(b -
				    (const char *)c->buf), "\"error\":{", 9) != NULL);
				if (!j->polling && id != NULL) {
					memcpy(j->id, id + 9, 36);
					j->id[36] = '\0';
				}
				memmove(c->buf, c->buf + a, c->len - a);
				c->len -= a;
				if (done || bad) {
					if (done && nlat < sizeof lat / sizeof lat[0])
						lat[nlat++] = mono_ns() - j->t0;
					failed += (uint64_t)bad;
					jobs_post(c, j, ref);
				} else {
					jobs_get(c, j);
				}
			}
		}
	}
	if (nlat == 0) {
		printf("jobs 0 failed %llu\n", (unsigned long long)failed);
		return 1;
	}
	{
		double s = (double)(mono_ns() - t0) / 1e9;
		qsort(lat, nlat, sizeof lat[0], cmp_u64);
		printf("jobs %zu failed %llu seconds %.1f per_s %.0f p50_ms %.2f "
		    "p99_ms %.2f\n", nlat, (unsigned long long)failed, s,
		    (double)nlat / s, lat[nlat / 2] / 1e6,
		    lat[nlat * 99 / 100] / 1e6);
	}
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
frames(struct c *c, uint64_t *lat, size_t *nlat, uint64_t *arr,
    size_t *narr, size_t cap)
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
			uint64_t now = mono_ns(), rnow = real_ns();
			/* the receive time on the posting thread's clock */
			uint64_t rx = c->rx_ns, rxm = rx > rnow - now ?
			    rx - (rnow - now) : 0;
			uint8_t *t = memmem(p + at, n, "\"t\":", 4);
			uint8_t *ts = memmem(p + at, n, "\"timestamp\":\"", 13);
			if (t != NULL) {
				uint64_t v = strtoull((char *)t + 4, NULL, 10);
				if (v > 0 && v <= now)
					lat[(*nlat)++] = now - v;
				if (v > 0 && rx != 0 && v <= rxm)
					arr[(*narr)++] = rxm - v;
			} else if (ts != NULL && ts + 13 + 24 <= p + at + n) {
				/* the service's own events: their ISO time,
				 * to the millisecond, on the real clock */
				uint64_t v = iso_ns((char *)ts + 13);
				if (v > 0 && v <= rnow)
					lat[(*nlat)++] = rnow - v;
				if (v > 0 && rx != 0 && v <= rx)
					arr[(*narr)++] = rx - v;
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
	static uint64_t lat[1 << 20], arr[1 << 20];
	size_t nlat = 0, narr = 0;
	int ep = epoll_create1(0), ready = 0, one = 1;
	struct epoll_event ev, evs[256];
	char sub[256];
	uint8_t frame[300], oframe[300];
	/* "project:NAME": the service's project topic */
	int sn = strncmp(job, "project:", 8) == 0 ?
	    snprintf(sub, sizeof sub, "{\"action\":\"subscribe\","
	    "\"project\":\"%s\"}", job + 8) :
	    snprintf(sub, sizeof sub, "{\"action\":\"subscribe\","
	    "\"jobId\":\"%s\"}", job);
	char osub[256];
	const char *oj = other ? other : job;
	int on = strncmp(oj, "project:", 8) == 0 ?
	    snprintf(osub, sizeof osub, "{\"action\":\"subscribe\","
	    "\"project\":\"%s\"}", oj + 8) :
	    snprintf(osub, sizeof osub, "{\"action\":\"subscribe\","
	    "\"jobId\":\"%s\"}", oj);
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
		if (cs[i]->probe)
			setsockopt(cs[i]->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one,
			    sizeof one);
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
				frames(c, lat, &nlat, arr, &narr,
				    sizeof lat / sizeof lat[0]);
		}
	}
	if (nlat == 0) {
		printf("events 0\n");
		return 1;
	}
	qsort(lat, nlat, sizeof lat[0], cmp_u64);
	printf("events %zu p50_us %.0f p99_us %.0f max_us %.0f", nlat,
	    lat[nlat / 2] / 1e3, lat[nlat * 99 / 100] / 1e3,
	    lat[nlat - 1] / 1e3);
	if (narr > 0) {
		qsort(arr, narr, sizeof arr[0], cmp_u64);
		printf(" arrived_p50_us %.0f arrived_p99_us %.0f",
		    arr[narr / 2] / 1e3, arr[narr * 99 / 100] / 1e3);
	}
	printf("\n");
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
	if (argc >= 7 && strcmp(argv[1], "jobs") == 0 && atoi(argv[3]) <= MAXC)
		return jobs(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), argv[5],
		    argv + 6, argc - 6);
	fprintf(stderr, "usage: serve_load rps PORT CONNS SECONDS PATH\n"
	    "       serve_load jobs PORT CONNS SECONDS REF REPO...\n"
	    "       serve_load subs PORT N PROBES SECONDS JOB [OTHER]\n");
	return 2;
}
