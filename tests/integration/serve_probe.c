/*
 * serve_probe.c - a TEST HARNESS, not a product feature: the service's
 * network half (src/serve: loop, requests, routes, token, WebSocket, SSE,
 * topics, webhooks, bodies) behind a few demo routes, with a synthetic
 * event source thread standing in for the job workers. tests/integration/
 * serve.sh drives it with curl, python3-websockets and raw sockets;
 * scripts/bench-serve measures it.
 *
 * Usage: serve_probe [--listen ADDR:PORT] [--port-file F] [--ttl S]
 *        [--max-conns N] [--sub-out-max N] [--body-max N] [--request-ms N]
 *        [--idle-ms N] [--write-ms N] [--handler-ms N] [--ping-ms N]
 *        [--quiet]
 * Token and webhook secret from REPODIGEST_API_TOKEN and
 * REPODIGEST_WEBHOOK_SECRET, as the service will take them. Off loopback
 * without a token: exit 2 naming the variable (auth_listen_check()).
 * SIGTERM or SIGINT (through a signalfd watched by the loop) or the TTL:
 * stop accepting, drain, exit 0.
 *
 * Demo routes (answers are shaped like the service's, the data is not):
 *   GET  /healthz, /readyz, /             open
 *   GET  /metrics                          connection and subscriber counts
 *   POST /v1/jobs                          body_job() -> 202 {"jobId", ...}
 *   GET  /v1/jobs/{id}                     a capture echoed
 *   GET  /v1/jobs/{id}/events              SSE: job:{id}, a snapshot first
 *   POST /projects/{project}/ingest/github body_ingest() -> 202, as the original
 *   DELETE /projects/{project}/ingest/github body_delete() -> 404 (none stored)
 *   POST /v1/webhooks/github               open, signature-checked (hook.h)
 *   GET  /ws                               WebSocket: subscribe messages
 *   POST /test/echo                        {"bytes": N} (64 KiB limit)
 *   GET  /test/emit?n=&size=&job=&project=&interval_us=
 *                                          the source thread posts n events
 *   GET  /test/later?ms=                   answered by the source thread
 *   GET  /test/never                       never answered (handler timeout)
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "body.h"
#include "err.h"
#include "hook.h"
#include "isotime.h"
#include "job.h"
#include "jsonw.h"
#include "log.h"
#include "loop.h"
#include "render.h"
#include "serve.h"

/* ------------------------------------------------------------ source */

/* A command for the source thread, and the events it posts back. */
struct cmd {
	struct cmd *next;
	int kind;               /* 0 emit, 1 answer later */
	unsigned n, size, interval_us, ms;
	char job[BODY_NAME_MAX + 1], project[BODY_NAME_MAX + 1];
	uint64_t id;            /* later: the connection */
};

struct ev_msg {
	struct loop_msg m;      /* first: the loop hands this back */
	struct probe *p;
	int kind;               /* 0 event, 1 answer */
	uint64_t id, seq, t_ns;
	unsigned size;
	char job[BODY_NAME_MAX + 1], project[BODY_NAME_MAX + 1];
};

struct probe {
	struct loop l;
	struct serve s;
	struct log log;
	const char *secret;
	pthread_t src;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct cmd *cmds;
	int quit;
	uint64_t jobs;
	struct loop_timer ttl;
};

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void on_posted(struct loop *l, struct loop_msg *m);

/* The stand-in for the job workers: it never touches the server, only
 * posts to the loop (loop_post(): no lock, no wait). */
static void *
source(void *arg)
{
	struct probe *p = arg;

	for (;;) {
		struct cmd *c;

		pthread_mutex_lock(&p->mu);
		while (p->cmds == NULL && !p->quit)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->quit) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		c = p->cmds;
		p->cmds = c->next;
		pthread_mutex_unlock(&p->mu);
		if (c->kind == 1)
			usleep(c->ms * 1000u);
		for (unsigned i = 0; i < (c->kind == 1 ? 1 : c->n); i++) {
			struct ev_msg *e = calloc(1, sizeof *e);
			if (e == NULL)
				break;
			e->m.fn = on_posted;
			e->p = p;
			e->kind = c->kind;
			e->id = c->id;
			e->seq = i;
			e->size = c->size;
			memcpy(e->job, c->job, sizeof e->job);
			memcpy(e->project, c->project, sizeof e->project);
			e->t_ns = mono_ns();
			loop_post(&p->l, &e->m);
			if (c->interval_us > 0)
				usleep(c->interval_us);
		}
		free(c);
	}
}

static void
command(struct probe *p, struct cmd *c)
{
	pthread_mutex_lock(&p->mu);
	c->next = NULL;
	{
		struct cmd **pp = &p->cmds;
		while (*pp != NULL)
			pp = &(*pp)->next;
		*pp = c;
	}
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* One progress event in the original's WebSocket shape and the /v1 SSE
 * shape, published to the job, its project and "all". */
static void
publish(struct probe *p, const struct ev_msg *e)
{
	struct buf ws, sse;
	struct jw w;
	struct pubsub_topic t[3];
	struct serve_event ev;
	char ts[ISOTIME_LEN], *pad = NULL;

	isotime_now(ts, sizeof ts);
	if (e->size > 0 && (pad = malloc(e->size)) != NULL)
		memset(pad, 'x', e->size);
	buf_init(&ws, 1 << 24);
	buf_init(&sse, 1 << 24);
	for (int k = 0; k < 2; k++) {
		jw_init(&w, k == 0 ? &ws : &sse);
		jw_obj(&w);
		if (k == 0) {
			jw_key(&w, "type");
			jw_str(&w, "github:progress");
			jw_key(&w, "timestamp");
			jw_str(&w, ts);
			jw_key(&w, "data");
			jw_obj(&w);
		}
		jw_key(&w, "jobId");
		jw_str(&w, e->job);
		jw_key(&w, "status");
		jw_str(&w, k == 0 ? "in_progress" : "running");
		jw_key(&w, "progress");
		jw_uint(&w, e->seq % 101);
		jw_key(&w, "phase");
		jw_str(&w, "digesting");
		jw_key(&w, "currentFile");
		jw_str(&w, "src/\"quoted\"\n.c");
		jw_key(&w, "seq");
		jw_uint(&w, e->seq);
		jw_key(&w, "t");
		jw_uint(&w, e->t_ns);
		jw_key(&w, "pad");
		jw_strn(&w, pad ? pad : "", pad ? e->size : 0);
		if (k == 0)
			jw_obj_end(&w);
		jw_obj_end(&w);
	}
	free(pad);
	pubsub_topic(&t[0], PUBSUB_JOB, e->job, strlen(e->job));
	pubsub_topic(&t[1], PUBSUB_PROJECT, e->project, strlen(e->project));
	pubsub_topic(&t[2], PUBSUB_ALL, NULL, 0);
	memset(&ev, 0, sizeof ev);
	ev.ws = ws.p;
	ev.ws_n = ws.len;
	ev.sse_event = "progress";
	ev.sse = sse.p;
	ev.sse_n = sse.len;
	serve_publish(&p->s, t, 3, &ev);
	buf_free(&ws);
	buf_free(&sse);
}

static void
on_posted(struct loop *l, struct loop_msg *m)
{
	struct ev_msg *e = (struct ev_msg *)(void *)m;

	(void)l;
	if (e->kind == 1) {
		static const char body[] = "{\"answered\":\"later\"}";
		serve_reply_json(&e->p->s, e->id, 200, body, sizeof body - 1);
	} else {
		publish(e->p, e);
	}
	free(e);
}

/* ------------------------------------------------------------ helpers */

static void
reply(struct serve *s, uint64_t id, int status, struct jw *w)
{
	if (jw_error(w) != 0)
		serve_reply_error(s, id, 500, "answer did not fit");
	else
		serve_reply_json(s, id, status, w->b->p, w->b->len);
}

static unsigned
qnum(const struct serve_req *r, const char *name, unsigned dflt)
{
	uint8_t v[32];
	size_t n;
	unsigned long x = 0;

	if (route_query(r->http->query, name, v, sizeof v - 1, &n) != 1 ||
	    n == 0)
		return dflt;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9' || x > 100000000)
			return dflt;
		x = x * 10 + (v[i] - '0');
	}
	return (unsigned)x;
}

static void
qname(const struct serve_req *r, const char *name, char *out,
    const char *dflt)
{
	uint8_t v[BODY_NAME_MAX + 1];
	size_t n;

	if (route_query(r->http->query, name, v, sizeof v - 1, &n) == 1 &&
	    body_valid_name(v, n)) {
		memcpy(out, v, n);
		out[n] = '\0';
	} else {
		strcpy(out, dflt);
	}
}

/* ------------------------------------------------------------ routes */

static void
h_page(void *app, struct serve *s, const struct serve_req *r)
{
	static const char page[] = "<!doctype html><title>probe</title>\n";
	static const struct resp_field f[] = {
		{ "Content-Security-Policy", "default-src 'self'" },
	};

	(void)app;
	serve_reply(s, r->id, 200, "text/html; charset=utf-8", f, 1, page,
	    sizeof page - 1);
}

static void
h_metrics(void *app, struct serve *s, const struct serve_req *r)
{
	struct serve_stats st;
	char t[512];
	int n;

	(void)app;
	serve_stats(s, &st);
	n = snprintf(t, sizeof t, "probe_connections %zu\n"
	    "probe_accepted_total %llu\nprobe_refused_total %llu\n"
	    "probe_requests_total %llu\nprobe_dropped_slow_total %llu\n"
	    "probe_subscribers %zu\n", st.conns,
	    (unsigned long long)st.accepted, (unsigned long long)st.refused,
	    (unsigned long long)st.requests,
	    (unsigned long long)st.dropped_slow, serve_subscribers(s));
	serve_reply(s, r->id, 200, "text/plain; version=0.0.4", NULL, 0, t,
	    (size_t)n);
}

/* Start an answer for a new job: {"jobId", "status": "queued", ...;
 * repo gets "owner/name". */
static void
queued(struct probe *p, struct buf *b, struct jw *w,
    const struct url_github *g, char *repo, size_t cap)
{
	char id[32];

	snprintf(id, sizeof id, "j%llu", (unsigned long long)++p->jobs);
	snprintf(repo, cap, "%s/%s", g->owner, g->repo);
	buf_init(b, 4096);
	jw_init(w, b);
	jw_obj(w);
	jw_key(w, "jobId");
	jw_str(w, id);
	jw_key(w, "status");
	jw_str(w, "queued");
}

static void
h_job_post(void *app, struct serve *s, const struct serve_req *r)
{
	struct probe *p = app;
	struct body_job j;
	struct err_ctx e;
	struct buf b;
	struct jw w;
	char repo[URL_OWNER_MAX + URL_REPO_MAX + 2];

	if (body_job(r->body.p, r->body.n, &j, &e) != 0) {
		serve_reply_refused(s, r->id, &e);
		return;
	}
	queued(p, &b, &w, &j.repo, repo, sizeof repo);
	jw_key(&w, "repository");
	jw_str(&w, repo);
	jw_key(&w, "ref");
	jw_str(&w, j.repo.ref_len ? j.repo.ref : "HEAD");
	jw_key(&w, "formats");
	jw_arr(&w);
	for (int f = 0; f < RENDER__COUNT; f++)
		if (j.formats & JOB_FORMAT(f))
			jw_str(&w, render_format_name[f]);
	jw_arr_end(&w);
	jw_key(&w, "priority");
	jw_int(&w, j.priority);
	jw_obj_end(&w);
	reply(s, r->id, 202, &w);
	buf_free(&b);
}

static void
h_job_get(void *app, struct serve *s, const struct serve_req *r)
{
	struct buf b;
	struct jw w;

	(void)app;
	if (!body_valid_name(r->m->cap[0].p, r->m->cap[0].n)) {
		serve_reply_error(s, r->id, 404, "no such job");
		return;
	}
	buf_init(&b, 4096);
	jw_init(&w, &b);
	jw_obj(&w);
	jw_key(&w, "jobId");
	jw_strn(&w, r->m->cap[0].p, r->m->cap[0].n);
	jw_key(&w, "status");
	jw_str(&w, "queued");
	jw_obj_end(&w);
	reply(s, r->id, 200, &w);
	buf_free(&b);
}

static void
h_job_events(void *app, struct serve *s, const struct serve_req *r)
{
	struct pubsub_topic t;
	struct serve_event ev;
	static const char snap[] = "{\"status\":\"queued\",\"progress\":0}";

	(void)app;
	if (!body_valid_name(r->m->cap[0].p, r->m->cap[0].n)) {
		serve_reply_error(s, r->id, 404, "no such job");
		return;
	}
	if (serve_sse_start(s, r->id) != 0)
		return;
	pubsub_topic(&t, PUBSUB_JOB, r->m->cap[0].p, r->m->cap[0].n);
	if (serve_subscribe(s, r->id, &t) != 0) {
		serve_close(s, r->id, 0, NULL);
		return;
	}
	memset(&ev, 0, sizeof ev);
	ev.sse_event = "snapshot";
	ev.sse = (const uint8_t *)snap;
	ev.sse_n = sizeof snap - 1;
	serve_send(s, r->id, &ev);
}

static void
h_ingest(void *app, struct serve *s, const struct serve_req *r)
{
	struct probe *p = app;
	struct body_ingest in;
	struct err_ctx e;
	struct buf b;
	struct jw w;
	char repo[URL_OWNER_MAX + URL_REPO_MAX + 2];

	if (!body_valid_name(r->m->cap[0].p, r->m->cap[0].n)) {
		serve_reply_error(s, r->id, 400, "project: want 1 to 100 of "
		    "A-Z a-z 0-9 . _ -, not . or ..");
		return;
	}
	if (body_ingest(r->body.p, r->body.n, &in, &e) != 0) {
		serve_reply_refused(s, r->id, &e);
		return;
	}
	queued(p, &b, &w, &in.repo, repo, sizeof repo);
	jw_key(&w, "message");
	jw_str(&w, "GitHub ingest job queued");
	jw_key(&w, "project");
	jw_strn(&w, r->m->cap[0].p, r->m->cap[0].n);
	jw_key(&w, "dataset");
	jw_str(&w, in.dataset);
	jw_key(&w, "repository");
	jw_str(&w, repo);
	jw_key(&w, "branch");
	jw_str(&w, in.repo.ref_len ? in.repo.ref : "HEAD");
	jw_key(&w, "scope");
	jw_str(&w, in.scope);
	jw_obj_end(&w);
	reply(s, r->id, 202, &w);
	buf_free(&b);
}

static void
h_ingest_delete(void *app, struct serve *s, const struct serve_req *r)
{
	struct body_delete d;
	struct err_ctx e;

	(void)app;
	if (body_delete(r->body.p, r->body.n, &d, &e) != 0) {
		serve_reply_refused(s, r->id, &e);
		return;
	}
	serve_reply_error(s, r->id, 404, "nothing ingested matches");
}

static void
h_hook(void *app, struct serve *s, const struct serve_req *r)
{
	struct probe *p = app;
	struct slice sig = { NULL, 0 }, ev = { NULL, 0 };
	struct hook_push push;
	struct err_ctx e;
	struct buf b;
	struct jw w;
	int k;

	if (p->secret == NULL) {
		serve_reply_error(s, r->id, 404, "webhooks are not enabled");
		return;
	}
	req_header(r->http, "x-hub-signature-256", &sig);
	if ((k = hook_verify((const uint8_t *)p->secret, strlen(p->secret),
	    r->body.p, r->body.n, sig)) != 0) {
		serve_reply_error(s, r->id, 401, err_str(k));
		return;
	}
	req_header(r->http, "x-github-event", &ev);
	buf_init(&b, 4096);
	jw_init(&w, &b);
	jw_obj(&w);
	switch (hook_kind(ev)) {
	case HOOK_PING:
		jw_key(&w, "ok");
		jw_bool(&w, 1);
		jw_key(&w, "event");
		jw_str(&w, "ping");
		k = 200;
		break;
	case HOOK_PUSH:
		if (hook_parse_push(r->body.p, r->body.n, &push, &e) != 0) {
			buf_free(&b);
			serve_reply_refused(s, r->id, &e);
			return;
		}
		jw_key(&w, "repository");
		jw_str(&w, push.full_name);
		jw_key(&w, "ref");
		jw_str(&w, push.ref);
		jw_key(&w, "after");
		jw_str(&w, push.after);
		jw_key(&w, "deleted");
		jw_bool(&w, push.deleted);
		jw_key(&w, "defaultBranch");
		jw_str(&w, push.default_branch);
		k = 202;
		break;
	default:
		jw_key(&w, "ignored");
		jw_str(&w, "event not acted on");
		k = 202;
		break;
	}
	jw_obj_end(&w);
	reply(s, r->id, k, &w);
	buf_free(&b);
}

static void
h_ws(void *app, struct serve *s, uint64_t id, const struct serve_ws_ev *ev)
{
	(void)app;
	if (ev->type == SERVE_WS_MESSAGE)
		serve_ws_subscribe(s, id, ev);
}

static void
h_echo(void *app, struct serve *s, const struct serve_req *r)
{
	char t[64];

	(void)app;
	snprintf(t, sizeof t, "{\"bytes\":%zu}", r->body.n);
	serve_reply_json(s, r->id, 200, t, strlen(t));
}

static void
h_emit(void *app, struct serve *s, const struct serve_req *r)
{
	struct probe *p = app;
	struct cmd *c = calloc(1, sizeof *c);
	static const char ok[] = "{\"emitting\":true}";

	if (c == NULL) {
		serve_reply_error(s, r->id, 503, "out of memory");
		return;
	}
	c->n = qnum(r, "n", 1);
	c->size = qnum(r, "size", 0);
	c->interval_us = qnum(r, "interval_us", 0);
	if (c->size > (1u << 20))
		c->size = 1u << 20;
	qname(r, "job", c->job, "j1");
	qname(r, "project", c->project, "default");
	command(p, c);
	serve_reply_json(s, r->id, 202, ok, sizeof ok - 1);
}

static void
h_later(void *app, struct serve *s, const struct serve_req *r)
{
	struct probe *p = app;
	struct cmd *c = calloc(1, sizeof *c);

	(void)s;
	if (c == NULL)
		return;
	c->kind = 1;
	c->ms = qnum(r, "ms", 100);
	c->id = r->id;
	command(p, c);                  /* answered from the source thread */
}

static void
h_never(void *app, struct serve *s, const struct serve_req *r)
{
	(void)app;
	(void)s;
	(void)r;                        /* the handler timeout answers */
}

#define H(f) ((void (*)(void))(f))
static const struct route routes[] = {
	{ "GET", "/healthz", SERVE_OPEN, 0, H(serve_health) },
	{ "GET", "/readyz", SERVE_OPEN, 0, H(serve_health) },
	{ "GET", "/", SERVE_OPEN, 0, H(h_page) },
	{ "GET", "/metrics", 0, 0, H(h_metrics) },
	{ "POST", "/v1/jobs", SERVE_JSON, 0, H(h_job_post) },
	{ "GET", "/v1/jobs/{id}", 0, 0, H(h_job_get) },
	{ "GET", "/v1/jobs/{id}/events", SERVE_QUERY_TOKEN, 0,
	    H(h_job_events) },
	{ "POST", "/projects/{project}/ingest/github", SERVE_JSON, 0,
	    H(h_ingest) },
	{ "DELETE", "/projects/{project}/ingest/github", SERVE_JSON, 0,
	    H(h_ingest_delete) },
	{ "POST", "/v1/webhooks/github", SERVE_OPEN | SERVE_JSON, 4 << 20,
	    H(h_hook) },
	{ "GET", "/ws", SERVE_WS | SERVE_QUERY_TOKEN, 0, H(h_ws) },
	{ "POST", "/test/echo", 0, 64 << 10, H(h_echo) },
	{ "GET", "/test/emit", 0, 0, H(h_emit) },
	{ "GET", "/test/later", 0, 0, H(h_later) },
	{ "GET", "/test/never", 0, 0, H(h_never) },
};

/* ------------------------------------------------------------ main */

static void
on_drained(void *app)
{
	struct probe *p = app;

	loop_stop(&p->l);
}

static void
on_signal(struct loop *l, int fd, int events, void *arg)
{
	struct probe *p = arg;
	struct signalfd_siginfo si;
	ssize_t n = read(fd, &si, sizeof si);

	(void)l;
	(void)events;
	(void)n;
	serve_shutdown(&p->s, on_drained);
}

static void
on_ttl(struct loop *l, struct loop_timer *t)
{
	struct probe *p = (struct probe *)(void *)((char *)t -
	    offsetof(struct probe, ttl));

	(void)l;
	serve_shutdown(&p->s, on_drained);
}

static int
usage(void)
{
	fprintf(stderr, "usage: serve_probe [--listen ADDR:PORT] "
	    "[--port-file F] [--ttl S] [--max-conns N] [--sub-out-max N] "
	    "[--body-max N] [--request-ms N] [--idle-ms N] [--write-ms N] "
	    "[--handler-ms N] [--ping-ms N] [--quiet]\n");
	return 2;
}

int
main(int argc, char **argv)
{
	static struct probe p;
	static char logbuf[1 << 16];
	struct serve_config c;
	struct loop_slot *slots;
	struct err_ctx e;
	const char *listen_at = "127.0.0.1:0", *port_file = NULL;
	char host[64], line[512];
	unsigned ttl = 300;
	int port, quiet = 0, sfd;
	size_t nslots;
	sigset_t ss;

	serve_config_default(&c);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		unsigned long x = v ? strtoul(v, NULL, 10) : 0;

		if (strcmp(a, "--quiet") == 0) {
			quiet = 1;
			continue;
		}
		if (v == NULL)
			return usage();
		i++;
		if (strcmp(a, "--listen") == 0)
			listen_at = v;
		else if (strcmp(a, "--port-file") == 0)
			port_file = v;
		else if (strcmp(a, "--ttl") == 0)
			ttl = (unsigned)x;
		else if (strcmp(a, "--max-conns") == 0)
			c.max_conns = x;
		else if (strcmp(a, "--sub-out-max") == 0)
			c.sub_out_max = x;
		else if (strcmp(a, "--body-max") == 0)
			c.body_max = x;
		else if (strcmp(a, "--request-ms") == 0)
			c.request_ms = (unsigned)x;
		else if (strcmp(a, "--idle-ms") == 0)
			c.idle_ms = (unsigned)x;
		else if (strcmp(a, "--write-ms") == 0)
			c.write_ms = (unsigned)x;
		else if (strcmp(a, "--handler-ms") == 0)
			c.handler_ms = (unsigned)x;
		else if (strcmp(a, "--ping-ms") == 0)
			c.ping_ms = (unsigned)x;
		else
			return usage();
	}
	c.token = getenv(AUTH_TOKEN_VAR);
	p.secret = getenv("REPODIGEST_WEBHOOK_SECRET");
	if (serve_parse_listen(listen_at, host, sizeof host, &port, &e) != 0 ||
	    auth_listen_check(host, c.token, &e) != 0) {
		err_format(&e, line, sizeof line);
		fprintf(stderr, "serve_probe: %s\n", line);
		return 2;
	}
	/* stderr is unbuffered: every piece of a log line would be its own
	 * write; buffered, log_msg()'s fflush() makes a line one write */
	setvbuf(stderr, logbuf, _IOFBF, sizeof logbuf);  /* musl: needs one */
	log_init(&p.log, stderr, LOG_JSON);
	if (c.token)
		log_add_secret(&p.log, c.token);
	c.log = quiet ? NULL : &p.log;
	c.routes = routes;
	c.nroutes = sizeof routes / sizeof routes[0];
	c.app = &p;

	/* signals through the loop: blocked here (the source thread
	 * inherits the mask), read from a signalfd */
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	pthread_sigmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
	nslots = serve_fd_limit(c.max_conns);
	if ((slots = calloc(nslots, sizeof *slots)) == NULL ||
	    loop_init(&p.l, slots, nslots) != 0) {
		fprintf(stderr, "serve_probe: loop: %s\n", strerror(errno));
		return 1;
	}
	if (serve_init(&p.s, &c, &p.l, host, port, &e) != 0) {
		err_format(&e, line, sizeof line);
		fprintf(stderr, "serve_probe: %s\n", line);
		return 1;
	}
	if ((sfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC)) < 0 ||
	    loop_add(&p.l, sfd, LOOP_READ, on_signal, &p) != 0) {
		fprintf(stderr, "serve_probe: signalfd: %s\n", strerror(errno));
		return 1;
	}
	loop_timer_set(&p.l, &p.ttl, (uint64_t)ttl * 1000, on_ttl);
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	if (pthread_create(&p.src, NULL, source, &p) != 0) {
		fprintf(stderr, "serve_probe: thread\n");
		return 1;
	}
	if (port_file != NULL) {
		char tmp[4096];
		FILE *f;
		snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
		if ((f = fopen(tmp, "w")) == NULL ||
		    fprintf(f, "%d\n", serve_port(&p.s)) < 0 ||
		    fclose(f) != 0 || rename(tmp, port_file) != 0) {
			fprintf(stderr, "serve_probe: %s: %s\n", port_file,
			    strerror(errno));
			return 1;
		}
	}
	loop_run(&p.l);

	pthread_mutex_lock(&p.mu);
	p.quit = 1;
	pthread_cond_signal(&p.cv);
	pthread_mutex_unlock(&p.mu);
	pthread_join(p.src, NULL);
	loop_run_posted(&p.l);  /* what the source posted after the stop */
	while (p.cmds != NULL) {
		struct cmd *k = p.cmds;
		p.cmds = k->next;
		free(k);
	}
	serve_free(&p.s);
	loop_timer_cancel(&p.l, &p.ttl);
	loop_del(&p.l, sfd);
	close(sfd);
	loop_free(&p.l);
	free(slots);
	log_free(&p.log);
	return 0;
}
