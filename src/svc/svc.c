/*
 * svc.c - `repodigest serve`: routes, workers, events. See svc.h.
 *
 * Banners: messages | JSON | events | writes | reads | workers | routes |
 * start and stop.
 *
 * Everything a route does off the loop travels in one struct msg: the loop
 * makes it, the table's writer (a write) or the reader thread (a read) fills
 * its answer, and loop_post() hands it back to the loop, which sends it and
 * frees it. A msg is owned by exactly one thread at a time.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "body.h"
#include "buf.h"
#include "cancel.h"
#include "chunkread.h"
#include "hook.h"
#include "index.h"
#include "isotime.h"
#include "job.h"
#include "jsonw.h"
#include "log.h"
#include "loop.h"
#include "page.h"
#include "queue.h"
#include "render.h"
#include "schedule.h"
#include "serve.h"
#include "svc.h"

#define ANSWER_MAX   (4u << 20)         /* one answer's JSON */
#define EVENT_MAX    (64u << 10)        /* one event's JSON */
#define PAGE_DEFAULT 50                 /* GET /v1/jobs?limit= */
#define PAGE_MAX     500
#define HISTORY_MAX  1000               /* the original's history: newest */
#define PRUNE_EVERY_MS (3600u * 1000u)
#define CHUNKS_MAX   ((size_t)256 << 20)  /* a chunks.jsonl indexed */
#define SSE_RING     4096               /* job streams ended with their job */

enum msg_kind {
	M_REPLY = 1,            /* body to conn with status */
	M_EVENT,                /* ws/sse to the job's topics */
	M_REPLY_EVENT,          /* both */
	M_SSE,                  /* start conn's event stream: body is the
	                         * snapshot; terminal: end it after */
	M_SSE_AGAIN,            /* the snapshot read again once subscribed:
	                         * ends the stream if the job has ended */
	M_GONE,                 /* a worker has ended */
	M_METRICS_DONE
};

enum task {                     /* what the reader or writer does */
	T_GET = 1, T_LIST, T_EVENTS, T_EVENTS_AGAIN, T_READY, T_METRICS,
	T_HISTORY,
	T_SUBMIT, T_INGEST, T_CANCEL, T_RETRY, T_PRUNE,
	T_UNLINK,               /* writer (memberships), then reader (I/O) */
	T_HOOK,                 /* reader (a branch ingested before?), then
	                         * writer */
	T_QUERY                 /* reader: the search index */
};

struct svc;

/* Progress a worker last reported (memory only: decision 7). */
struct prog {
	int has;
	int phase;                      /* enum job_phase */
	int percent;
	uint64_t bytes, total, files;
	char current[256];
};

struct msg {
	struct loop_msg m;              /* first: the loop hands it back */
	struct svc *s;
	struct msg *next;               /* the reader's list */
	int kind;                       /* enum msg_kind */
	int task;                       /* enum task */
	uint64_t conn;
	int status;
	int terminal;
	struct buf body;
	struct buf ws, sse;
	const char *sse_event;
	char job[QUEUE_ID_LEN];
	char project[QUEUE_NAME_MAX];
	/* the request's parameters */
	struct queue_filter filter;
	char frepo[QUEUE_REPO_MAX];
	char fproject[QUEUE_NAME_MAX];
	size_t limit;
	struct serve_stats st;
	size_t subs;
	/* DELETE .../ingest/github: counts over the UNLINK rounds */
	int64_t unlinked;
	uint64_t objects_deleted, chunks_deleted;
	/* query */
	struct buf q;
	size_t k, per_file;
	char qrepo[QUEUE_REPO_MAX];
	struct queue_op op;
};

/* One worker thread. */
struct slot {
	struct svc *s;
	pthread_t t;
	int started;
	int idx;
	struct job_worker *jw;
	struct cancel cancel;           /* this job's; parent: shutdown */
	struct queue_op op;             /* its table operations: a claim */
	struct queue_op end;            /* the end of the job it ran, posted
	                                 * with its next claim (one commit) */
	int has_end;                    /* end is filled, not yet posted */
	int op_done;                    /* under s->mu */
	pthread_cond_t cv;              /* op_done */
	/* under s->mu */
	char id[QUEUE_ID_LEN];          /* the running job, "" none */
	struct queue_job job;           /* its row when claimed */
	struct prog prog;
	struct fetch_client api;        /* ref to commit (one small request) */
	int have_api;
	struct index *ix;               /* chunks into the index, or NULL */
	struct buf chunks;              /* a stored chunks.jsonl read back */
};

struct svc {
	const struct svc_config *c;
	struct loop l;
	struct loop_slot *lslots;
	struct serve srv;
	struct log log;
	struct queue *q;
	int sfd;
	/* workers and reader: under mu */
	pthread_mutex_t mu;
	pthread_cond_t wcv;             /* workers: kick or stop */
	uint64_t kick;
	int stopping;
	struct cancel shutdown;         /* every job's parent */
	struct slot *slots;
	int nslots;
	int gone;                       /* workers ended (loop thread) */
	int drained;                    /* serve_shutdown done (loop) */
	pthread_t rt;
	int have_rt;
	struct msg *tasks, *tasks_tail;
	pthread_cond_t rcv;
	int rquit;
	struct sink rsink;              /* the reader's sink: /readyz, deletes */
	int have_rsink;
	struct index *rix;              /* the reader's index, or NULL */
	struct loop_timer grace, prune;
	struct sched *sched;            /* --feed's passes, or NULL */
	struct {                        /* loop: open GET .../events streams
	                                 * (the oldest forgotten when full:
	                                 * that one stays open) */
		uint64_t conn;
		char job[QUEUE_ID_LEN];
	} sse[SSE_RING];
	size_t sse_next;
	atomic_uint_fast64_t bytes_stored, jobs_cached;
	pthread_mutex_t pool_mu;        /* guards pool, npool */
	struct msg *pool;               /* freed msgs kept for reuse */
	int npool;
};

static void on_msg(struct loop *l, struct loop_msg *m);

/*
 * Msgs are made for every request and event and freed on the loop thread
 * when answered: up to MSG_POOL of them are kept, with their buffers, so the
 * steady state mallocs nothing (a free of a msg-sized block handed pages back
 * to the kernel, and a page fault is dear on our VMs: docs/performance.md).
 */
#define MSG_POOL      64
#define MSG_POOL_KEEP (64u << 10)       /* a buffer grown past it is freed */

static struct msg *
msg_new(struct svc *s, int task, uint64_t conn)
{
	struct msg *x;

	pthread_mutex_lock(&s->pool_mu);
	if ((x = s->pool) != NULL) {
		s->pool = x->next;
		s->npool--;
	}
	pthread_mutex_unlock(&s->pool_mu);
	if (x != NULL) {
		struct buf kb[4] = { x->body, x->ws, x->sse, x->q };
		memset(x, 0, sizeof *x);
		x->body = kb[0];
		x->ws = kb[1];
		x->sse = kb[2];
		x->q = kb[3];
		buf_reset(&x->body);
		buf_reset(&x->ws);
		buf_reset(&x->sse);
		buf_reset(&x->q);
	} else if ((x = calloc(1, sizeof *x)) == NULL) {
		return NULL;
	} else {
		buf_init(&x->body, ANSWER_MAX);
		buf_init(&x->ws, EVENT_MAX);
		buf_init(&x->sse, EVENT_MAX);
		buf_init(&x->q, 64 << 10);
	}
	x->m.fn = on_msg;
	x->s = s;
	x->task = task;
	x->conn = conn;
	return x;
}

/* A buffer kept in a pooled msg: emptied, its memory freed if it grew past
 * MSG_POOL_KEEP (one large answer does not stay resident). */
static void
buf_trim(struct buf *b)
{
	if (b->alloc > MSG_POOL_KEEP) {
		size_t cap = b->cap;
		buf_free(b);
		buf_init(b, cap);
	}
}

static void
msg_free(struct msg *x)
{
	struct svc *s = x->s;

	free(x->op.kind == QUEUE_OP_UNLINK ? x->op.in.unlink.pairs : NULL);
	x->op.kind = 0;
	pthread_mutex_lock(&s->pool_mu);
	if (s->npool < MSG_POOL) {
		buf_trim(&x->body);
		buf_trim(&x->ws);
		buf_trim(&x->sse);
		buf_trim(&x->q);
		x->next = s->pool;
		s->pool = x;
		s->npool++;
		x = NULL;
	}
	pthread_mutex_unlock(&s->pool_mu);
	if (x == NULL)
		return;
	buf_free(&x->body);
	buf_free(&x->ws);
	buf_free(&x->sse);
	buf_free(&x->q);
	free(x);
}

/* The pool's msgs freed (the end: no msg is in use). */
static void
msg_pool_free(struct svc *s)
{
	struct msg *x;

	while ((x = s->pool) != NULL) {
		s->pool = x->next;
		buf_free(&x->body);
		buf_free(&x->ws);
		buf_free(&x->sse);
		buf_free(&x->q);
		free(x);
	}
	s->npool = 0;
}

static void
post(struct msg *x, int kind)
{
	x->kind = kind;
	loop_post(&x->s->l, &x->m);
}

/* ================================================ JSON */

/* see svc.h */
const char *
svc_status_word(int state, int original)
{
	static const char *const orig[QUEUE__STATES] = {
		"pending", "in_progress", "completed", "failed", "cancelled"
	};
	const char *v = queue_state_name(state);

	if (v == NULL)
		return "";
	return original ? orig[state] : v;
}

static void
jw_time(struct jw *w, const char *key, int64_t ms)
{
	char t[48];

	jw_key(w, key);
	isotime_ms(ms, t, sizeof t);
	if (t[0])
		jw_str(w, t);
	else
		jw_null(w);
}

static void
jw_opt_str(struct jw *w, const char *key, const char *v)
{
	jw_key(w, key);
	if (v != NULL && v[0] != '\0')
		jw_str(w, v);
	else
		jw_null(w);
}

static void
formats_json(struct jw *w, uint32_t formats)
{
	jw_arr(w);
	for (int f = 0; f < RENDER__COUNT; f++)
		if (formats & JOB_FORMAT(f))
			jw_str(w, render_format_name[f]);
	jw_arr_end(w);
}

/* 0-100 from where a job is: the download and the digest overlap (the
 * archive streams into the digest), so the bytes read of a known length
 * carry it; without a length each phase has its mark. */
static int
percent(const struct job_progress *p)
{
	if (p->phase == JOB_STORING)
		return 95;
	if (p->total > 0) {
		uint64_t b = p->bytes < p->total ? p->bytes : p->total;
		return 5 + (int)(85 * b / p->total);
	}
	return p->phase == JOB_CHECKING ? 0 : p->phase == JOB_DOWNLOADING ?
	    5 : 50;
}

static int
job_percent(const struct queue_job *j, const struct prog *p)
{
	if (j->state == QUEUE_COMPLETED)
		return 100;
	if (j->state == QUEUE_RUNNING && p != NULL && p->has)
		return p->percent;
	return 0;
}

static const char *
job_phase(const struct queue_job *j, const struct prog *p)
{
	if (j->state == QUEUE_RUNNING && p != NULL && p->has)
		return job_phase_name[p->phase];
	return NULL;
}

/* "bytes", "total" and "files" of a progress report: the job, both events */
static void
prog_figures(struct jw *w, const struct prog *p)
{
	jw_key(w, "bytes");
	jw_uint(w, p->bytes);
	jw_key(w, "total");
	jw_uint(w, p->total);
	jw_key(w, "files");
	jw_uint(w, p->files);
}

/* A job as /v1 shows it (README, "Service"). */
static void
job_json(struct jw *w, const struct queue_job *j, const struct prog *p)
{
	jw_obj(w);
	jw_key(w, "jobId");
	jw_str(w, j->id);
	jw_key(w, "status");
	jw_str(w, svc_status_word(j->state, 0));
	jw_key(w, "repository");
	jw_str(w, j->repo);
	jw_key(w, "ref");
	jw_str(w, j->ref[0] ? j->ref : "HEAD");
	jw_key(w, "formats");
	formats_json(w, j->formats);
	jw_opt_str(w, "project", j->project);
	jw_opt_str(w, "dataset", j->dataset);
	jw_key(w, "priority");
	jw_int(w, j->priority);
	jw_key(w, "origin");
	jw_str(w, queue_origin_name(j->origin));
	jw_opt_str(w, "commit", j->commit);
	jw_key(w, "progress");
	jw_int(w, job_percent(j, p));
	jw_opt_str(w, "phase", job_phase(j, p));
	if (j->state == QUEUE_RUNNING && p != NULL && p->has) {
		prog_figures(w, p);
		jw_opt_str(w, "currentFile", p->current);
	}
	jw_key(w, "attempts");
	jw_int(w, j->attempts);
	jw_key(w, "maxAttempts");
	jw_int(w, j->max_attempts);
	jw_key(w, "cancelRequested");
	jw_bool(w, j->cancel_requested);
	jw_opt_str(w, "error", j->error);
	jw_time(w, "createdAt", j->created_at);
	jw_time(w, "startedAt", j->started_at);
	jw_time(w, "finishedAt", j->finished_at);
	jw_time(w, "runAfter", j->state == QUEUE_QUEUED ? j->run_after : 0);
	jw_opt_str(w, "retryOf", j->retry_of);
	jw_opt_str(w, "mergedInto", j->merged_into);
	jw_key(w, "result");
	if (j->has_result) {
		jw_obj(w);
		jw_key(w, "objects");
		jw_uint(w, j->result.objects);
		jw_key(w, "bytes");
		jw_uint(w, j->result.bytes);
		jw_key(w, "files");
		jw_uint(w, j->result.files);
		jw_key(w, "tokens");
		jw_uint(w, j->result.tokens);
		jw_opt_str(w, "commit", j->result.commit);
		jw_key(w, "cached");
		jw_bool(w, j->result.cached);
		jw_obj_end(w);
	} else {
		jw_null(w);
	}
	jw_obj_end(w);
}

/* ================================================ events */

/*
 * A job's event in both encodings: the original's WebSocket message
 * ({"type": "github:progress", "timestamp", "data": {...}}, its status
 * words) and the /v1 SSE data (the job as GET shows it for a state
 * change, "progress" with the figures otherwise).
 */
static void
event_build(struct msg *x, const struct queue_job *j, const struct prog *p,
    int is_progress)
{
	struct jw w;
	char ts[48];

	isotime_ms(isotime_ms_now(), ts, sizeof ts);
	jw_init(&w, &x->ws);
	jw_obj(&w);
	jw_key(&w, "type");
	jw_str(&w, "github:progress");
	jw_key(&w, "timestamp");
	jw_str(&w, ts);
	jw_key(&w, "data");
	jw_obj(&w);
	jw_key(&w, "jobId");
	jw_str(&w, j->id);
	jw_key(&w, "status");
	jw_str(&w, svc_status_word(j->state, 1));
	jw_key(&w, "progress");
	jw_int(&w, job_percent(j, p));
	jw_opt_str(&w, "phase", job_phase(j, p));
	jw_opt_str(&w, "currentFile", p != NULL && p->has ? p->current :
	    NULL);
	if (p != NULL && p->has)        /* ours: the page's bar shows them */
		prog_figures(&w, p);
	jw_opt_str(&w, "error", j->error);
	jw_key(&w, "repository");
	jw_str(&w, j->repo);
	jw_opt_str(&w, "project", j->project);
	jw_obj_end(&w);
	jw_obj_end(&w);
	jw_init(&w, &x->sse);
	if (is_progress) {
		jw_obj(&w);
		jw_key(&w, "jobId");
		jw_str(&w, j->id);
		jw_key(&w, "status");
		jw_str(&w, svc_status_word(j->state, 0));
		jw_key(&w, "progress");
		jw_int(&w, job_percent(j, p));
		jw_opt_str(&w, "phase", job_phase(j, p));
		prog_figures(&w, p);
		jw_opt_str(&w, "currentFile", p->current);
		jw_obj_end(&w);
		x->sse_event = "progress";
	} else {
		job_json(&w, j, p);
		x->sse_event = "job";
	}
	snprintf(x->job, sizeof x->job, "%s", j->id);
	snprintf(x->project, sizeof x->project, "%s", j->project);
	x->terminal = j->state >= QUEUE_COMPLETED;
}

/* On the loop: send x's event to its job, its project and everyone. */
static void
publish(struct svc *s, struct msg *x)
{
	struct pubsub_topic t[3];
	struct serve_event ev;
	size_t n = 0;

	if (x->ws.len == 0)
		return;
	pubsub_topic(&t[n++], PUBSUB_JOB, x->job, strlen(x->job));
	/* a job of no project is the default project's, as in the search
	 * index (the original's clients subscribe to "default") */
	if (x->project[0])
		pubsub_topic(&t[n++], PUBSUB_PROJECT, x->project,
		    strlen(x->project));
	else
		pubsub_topic(&t[n++], PUBSUB_PROJECT, INDEX_PROJECT,
		    strlen(INDEX_PROJECT));
	pubsub_topic(&t[n++], PUBSUB_ALL, NULL, 0);
	memset(&ev, 0, sizeof ev);
	ev.ws = x->ws.p;
	ev.ws_n = x->ws.len;
	ev.sse_event = x->sse_event;
	ev.sse = x->sse.p;
	ev.sse_n = x->sse.len;
	serve_publish(&s->srv, t, n, &ev);
	/* a job's own event streams end with the job, once told */
	if (x->terminal)
		for (size_t i = 0; i < SSE_RING; i++)
			if (s->sse[i].conn != 0 &&
			    strcmp(s->sse[i].job, x->job) == 0) {
				serve_close(&s->srv, s->sse[i].conn, 0, NULL);
				s->sse[i].conn = 0;
			}
}

/* A state change's event, from any thread. */
static void
announce(struct svc *s, const struct queue_job *j, const struct prog *p)
{
	struct msg *x = msg_new(s, 0, 0);

	if (x == NULL)
		return;
	event_build(x, j, p, 0);
	post(x, M_EVENT);
}

/* ================================================ answers */

static void
answer_json(struct msg *x, int status, struct jw *w)
{
	if (jw_error(w) != 0) {
		buf_reset(&x->body);
		serve_error_json(&x->body, 500, "answer too large");
		x->status = 500;
	} else {
		x->status = status;
	}
}

static void
answer_error(struct msg *x, int status, const char *message)
{
	buf_reset(&x->body);
	serve_error_json(&x->body, status, message);
	x->status = status;
}

/* The status and message of a table error. */
static void
answer_ec(struct msg *x, const struct err_ctx *ec)
{
	char m[512];
	int st;

	switch (ec->code) {
	case ERR_QUEUE_NOT_FOUND: st = 404; break;
	case ERR_QUEUE_STATE: st = 409; break;
	case ERR_DB_BUSY: st = 503; break;
	case ERR_USAGE: case ERR_LIMIT: st = 400; break;
	default: st = 500; break;
	}
	if (st == 404 || st == 409)
		snprintf(m, sizeof m, "%s%s%s", err_str(ec->code),
		    ec->detail[0] ? ": " : "", ec->detail);
	else
		err_format(ec, m, sizeof m);
	answer_error(x, st, m);
}

/* ================================================ writes */

static void read_post(struct svc *s, struct msg *x);

static void
kick_workers(struct svc *s)
{
	pthread_mutex_lock(&s->mu);
	s->kick++;
	pthread_cond_broadcast(&s->wcv);
	pthread_mutex_unlock(&s->mu);
}

/* The schedule's new jobs (sched_config.kick). */
static void
sched_kick(void *arg)
{
	kick_workers(arg);
}

/* The answer of the replaced service's own routes (README, "Service"). */
static void
ingest_json(struct jw *w, const struct queue_job *j)
{
	jw_obj(w);
	jw_key(w, "jobId");
	jw_str(w, j->id);
	jw_key(w, "status");
	jw_str(w, j->state == QUEUE_QUEUED ? "queued" :
	    svc_status_word(j->state, 1));
	jw_key(w, "message");
	jw_str(w, "GitHub ingest job queued");
	jw_key(w, "project");
	jw_str(w, j->project);
	jw_key(w, "dataset");
	jw_str(w, j->dataset);
	jw_key(w, "repository");
	jw_str(w, j->repo);
	jw_key(w, "branch");
	jw_str(w, j->ref[0] ? j->ref : "HEAD");
	jw_key(w, "scope");
	jw_str(w, j->scope);
	jw_obj_end(w);
}

/*
 * The writer's done(): the op is committed (or failed). Render the answer,
 * tell a running job's worker of a cancel, wake the workers for a new job,
 * and hand everything to the loop.
 */
static void
write_done(struct queue_op *op)
{
	struct msg *x = op->arg;
	struct svc *s = x->s;
	struct jw w;

	if (x->task == T_PRUNE) {
		int stop;
		pthread_mutex_lock(&s->mu);
		stop = s->stopping;
		pthread_mutex_unlock(&s->mu);
		if (op->out.ec.code == 0 && op->out.more && !stop) {
			memset(&op->out, 0, sizeof op->out);
			queue_post(s->q, op);
			return;
		}
		msg_free(x);
		return;
	}
	if (op->out.ec.code != 0) {
		answer_ec(x, &op->out.ec);
		post(x, M_REPLY);
		return;
	}
	if (x->task == T_UNLINK) {
		/* committed: the objects and chunks no membership holds now
		 * are deleted on the reader thread, never the writer's */
		read_post(s, x);
		return;
	}
	jw_init(&w, &x->body);
	switch (x->task) {
	case T_SUBMIT:
	case T_RETRY:
	case T_HOOK:
		job_json(&w, &op->out.job, NULL);
		answer_json(x, op->out.created ? 202 : 200, &w);
		break;
	case T_INGEST:
		ingest_json(&w, &op->out.job);
		answer_json(x, op->out.created ? 202 : 200, &w);
		break;
	case T_CANCEL:
		if (op->out.cancel_pending) {
			pthread_mutex_lock(&s->mu);
			for (int i = 0; i < s->nslots; i++)
				if (strcmp(s->slots[i].id, op->in.id) == 0)
					cancel_request(&s->slots[i].cancel);
			pthread_mutex_unlock(&s->mu);
		}
		else
			sched_job_ended(s->sched, &op->out.job);
		job_json(&w, &op->out.job, NULL);
		answer_json(x, op->out.cancel_pending ? 202 : 200, &w);
		break;
	}
	if (x->task != T_CANCEL || !op->out.cancel_pending) {
		/* the job's row changed: queued (new or merged), cancelled */
		event_build(x, &op->out.job, NULL, 0);
	}
	if (x->task != T_CANCEL)
		kick_workers(s);
	post(x, x->ws.len ? M_REPLY_EVENT : M_REPLY);
}

static void
write_post(struct svc *s, struct msg *x, int kind)
{
	x->op.kind = kind;
	x->op.done = write_done;
	x->op.arg = x;
	queue_post(s->q, &x->op);
}

/* ================================================ reads */

static struct slot *
slot_of(struct svc *s, const char *id)
{
	for (int i = 0; i < s->nslots; i++)
		if (s->slots[i].id[0] && strcmp(s->slots[i].id, id) == 0)
			return &s->slots[i];
	return NULL;
}

/* The running job's progress, copied (reader thread). */
static void
prog_of(struct svc *s, const char *id, struct prog *p)
{
	struct slot *w;

	memset(p, 0, sizeof *p);
	pthread_mutex_lock(&s->mu);
	if ((w = slot_of(s, id)) != NULL)
		*p = w->prog;
	pthread_mutex_unlock(&s->mu);
}

static void
read_get(struct svc *s, struct queue_reader *r, struct msg *x)
{
	struct queue_job *j = &x->op.out.job;
	struct err_ctx ec;
	struct prog p;
	struct jw w;

	memset(&ec, 0, sizeof ec);
	if (queue_get(r, x->job, j, &ec) != 0) {
		answer_ec(x, &ec);
		return;
	}
	prog_of(s, j->id, &p);
	jw_init(&w, &x->body);
	if (x->task == T_EVENTS || x->task == T_EVENTS_AGAIN) {
		/* the snapshot the stream starts with */
		event_build(x, j, &p, 0);
		buf_reset(&x->body);
		buf_append(&x->body, x->sse.p, x->sse.len);
		x->status = 200;
		return;
	}
	job_json(&w, j, &p);
	answer_json(x, 200, &w);
}

static void
read_list(struct svc *s, struct queue_reader *r, struct msg *x)
{
	struct queue_job *jobs;
	struct err_ctx ec;
	struct prog p;
	struct jw w;
	size_t n = 0;

	if ((jobs = calloc(x->limit, sizeof *jobs)) == NULL) {
		answer_error(x, 503, "out of memory");
		return;
	}
	memset(&ec, 0, sizeof ec);
	if (queue_list(r, &x->filter, jobs, x->limit, &n, &ec) != 0) {
		free(jobs);
		answer_ec(x, &ec);
		return;
	}
	jw_init(&w, &x->body);
	if (x->task == T_HISTORY) {
		/* the original's history: an array, its words, seconds */
		jw_arr(&w);
		for (size_t i = 0; i < n; i++) {
			const struct queue_job *j = &jobs[i];
			char sum[QUEUE_REPO_MAX + QUEUE_REF_MAX + 8];
			jw_obj(&w);
			jw_key(&w, "id");
			jw_str(&w, j->id);
			jw_key(&w, "source");
			jw_str(&w, "github");
			jw_key(&w, "project");
			jw_str(&w, j->project);
			jw_key(&w, "dataset");
			jw_str(&w, j->dataset);
			jw_key(&w, "scope");
			jw_str(&w, j->scope);
			jw_key(&w, "status");
			jw_str(&w, svc_status_word(j->state, 1));
			jw_time(&w, "startedAt", j->started_at ?
			    j->started_at : j->created_at);
			jw_key(&w, "duration");
			if (j->finished_at > 0 && j->started_at > 0)
				jw_raw(&w, sum, (size_t)snprintf(sum,
				    sizeof sum, "%.3f", (double)(j->finished_at
				    - j->started_at) / 1000.0));
			else
				jw_null(&w);
			jw_key(&w, "summary");
			snprintf(sum, sizeof sum, "%s (%s)", j->repo,
			    j->ref[0] ? j->ref : "HEAD");
			jw_str(&w, sum);
			jw_obj_end(&w);
		}
		jw_arr_end(&w);
		answer_json(x, 200, &w);
		free(jobs);
		return;
	}
	jw_obj(&w);
	jw_key(&w, "jobs");
	jw_arr(&w);
	for (size_t i = 0; i < n; i++) {
		if (jobs[i].state == QUEUE_RUNNING)
			prog_of(s, jobs[i].id, &p);
		else
			memset(&p, 0, sizeof p);
		job_json(&w, &jobs[i], &p);
	}
	jw_arr_end(&w);
	jw_key(&w, "next");
	if (n == x->limit && n > 0)
		jw_int(&w, jobs[n - 1].seq);
	else
		jw_null(&w);
	jw_obj_end(&w);
	answer_json(x, 200, &w);
	free(jobs);
}

/* Database open and the sink reachable. */
static void
read_ready(struct svc *s, struct queue_reader *r, struct msg *x)
{
	struct queue_stats st;
	struct err_ctx ec;
	char m[512];

	memset(&ec, 0, sizeof ec);
	if (queue_stats(r, &st, &ec) != 0) {
		err_format(&ec, m, sizeof m);
		answer_error(x, 503, m);
		return;
	}
	if (s->have_rsink) {
		struct sink_object ob;
		struct sink_meta_read mr;
		memset(&ec, 0, sizeof ec);
		/* a HEAD of a key no job writes: an answer at all (found
		 * or not) says the bucket and the credentials work */
		if (sink_object_init(&ob, "repodigest", "readyz", NULL,
		    "probe.txt", "", &ec) != 0 ||
		    sink_head(&s->rsink, &ob, &mr, &ec) != 0) {
			err_format(&ec, m, sizeof m);
			answer_error(x, 503, m);
			return;
		}
	}
	buf_puts(&x->body, "{\"status\":\"ready\"}");
	x->status = 200;
}

static void
read_metrics(struct svc *s, struct queue_reader *r, struct msg *x)
{
	static const int64_t le[QUEUE_BUCKETS] = QUEUE_BUCKET_BOUNDS;
	struct queue_stats st;
	struct err_ctx ec;
	struct buf *b = &x->body;
	int busy = 0;

	memset(&ec, 0, sizeof ec);
	if (queue_stats(r, &st, &ec) != 0) {
		answer_ec(x, &ec);
		return;
	}
	pthread_mutex_lock(&s->mu);
	for (int i = 0; i < s->nslots; i++)
		busy += s->slots[i].id[0] != '\0';
	pthread_mutex_unlock(&s->mu);
	buf_puts(b, "# HELP repodigest_jobs Jobs in the table by state.\n"
	    "# TYPE repodigest_jobs gauge\n");
	for (int i = 0; i < QUEUE__STATES; i++)
		buf_printf(b, "repodigest_jobs{state=\"%s\"} %lld\n",
		    queue_state_name(i), (long long)st.jobs[i]);
	buf_puts(b, "# HELP repodigest_jobs_finished_total Jobs that ended, "
	    "by state.\n# TYPE repodigest_jobs_finished_total counter\n");
	for (int i = QUEUE_COMPLETED; i < QUEUE__STATES; i++)
		buf_printf(b, "repodigest_jobs_finished_total{state=\"%s\"} "
		    "%lld\n", queue_state_name(i),
		    (long long)st.finished[i]);
	buf_puts(b, "# HELP repodigest_job_duration_seconds Runs from claim "
	    "to end.\n# TYPE repodigest_job_duration_seconds histogram\n");
	for (int i = 0; i < QUEUE_BUCKETS; i++)
		buf_printf(b, "repodigest_job_duration_seconds_bucket{le=\"%g\"}"
		    " %lld\n", (double)le[i] / 1000.0, (long long)st.le[i]);
	buf_printf(b, "repodigest_job_duration_seconds_bucket{le=\"+Inf\"} "
	    "%lld\nrepodigest_job_duration_seconds_sum %.3f\n"
	    "repodigest_job_duration_seconds_count %lld\n",
	    (long long)st.runs, (double)st.run_ms / 1000.0,
	    (long long)st.runs);
	buf_printf(b, "# HELP repodigest_queue_depth Jobs waiting.\n"
	    "# TYPE repodigest_queue_depth gauge\nrepodigest_queue_depth "
	    "%lld\n", (long long)st.jobs[QUEUE_QUEUED]);
	buf_printf(b, "# HELP repodigest_workers_busy Workers running a job."
	    "\n# TYPE repodigest_workers_busy gauge\n"
	    "repodigest_workers_busy %d\nrepodigest_workers %d\n", busy,
	    s->nslots);
	buf_printf(b, "# HELP repodigest_stored_bytes_total Bytes stored "
	    "since start.\n# TYPE repodigest_stored_bytes_total counter\n"
	    "repodigest_stored_bytes_total %llu\n"
	    "# TYPE repodigest_jobs_cached_total counter\n"
	    "repodigest_jobs_cached_total %llu\n",
	    (unsigned long long)atomic_load(&s->bytes_stored),
	    (unsigned long long)atomic_load(&s->jobs_cached));
	buf_printf(b, "# HELP repodigest_subscribers Event stream "
	    "subscriptions.\n# TYPE repodigest_subscribers gauge\n"
	    "repodigest_subscribers %zu\n"
	    "# TYPE repodigest_connections gauge\nrepodigest_connections %zu\n"
	    "# TYPE repodigest_requests_total counter\n"
	    "repodigest_requests_total %llu\n"
	    "# TYPE repodigest_subscribers_dropped_total counter\n"
	    "repodigest_subscribers_dropped_total %llu\n", x->subs,
	    x->st.conns, (unsigned long long)x->st.requests,
	    (unsigned long long)x->st.dropped_slow);
	if (s->sched != NULL)
		sched_metrics(s->sched, b);
	x->status = 200;
}

/* The reader's index (opened on first use; absent file: NULL, 0). */
static int
reader_index(struct svc *s, int create, struct err_ctx *ec)
{
	struct index_opts o;
	int e;

	if (s->rix != NULL)
		return 0;
	if ((s->rix = calloc(1, sizeof *s->rix)) == NULL)
		return err_set(ec, ERR_NOMEM, NULL);
	memset(&o, 0, sizeof o);
	o.create = create;
	if ((e = index_open(s->rix, s->c->index, &o, ec)) != 0) {
		free(s->rix);
		s->rix = NULL;
		return e == ERR_NOENT && !create ? 0 : e;
	}
	return 0;
}

/* Delete what (repo, ref) stored: its objects, and its chunks in the
 * project's index (decision 10: no membership holds it any more). */
static int
delete_pair(struct svc *s, struct msg *x, const struct queue_pair *pr,
    struct err_ctx *ec)
{
	static const char *const names[] = { SINK_SUMMARY, SINK_CHUNKS };
	char owner[QUEUE_REPO_MAX], *slash;
	const char *ref = strcmp(pr->ref, "HEAD") == 0 ? "" : pr->ref;
	struct sink_object ob;
	uint64_t n = 0;
	int d, e;

	snprintf(owner, sizeof owner, "%s", pr->repo);
	if ((slash = strchr(owner, '/')) == NULL)
		return 0;
	*slash = '\0';
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if ((e = sink_object_init(&ob, owner, slash + 1, ref, names[i],
		    "", ec)) != 0 ||
		    (e = sink_delete(&s->rsink, &ob, &d, ec)) != 0)
			return e;
		x->objects_deleted += (uint64_t)d;
	}
	if ((e = reader_index(s, 0, ec)) != 0)
		return e;
	if (s->rix != NULL && (e = index_delete(s->rix, x->fproject,
	    pr->repo, ref, &n, ec)) != 0)
		return e;
	x->chunks_deleted += n;
	return 0;
}

/* A round of UNLINK committed: delete its pairs, post the next round or
 * answer. Returns 1 when x went back to the writer. */
static int
read_unlink(struct svc *s, struct msg *x)
{
	struct queue_op *op = &x->op;
	struct err_ctx ec;
	struct jw w;
	char m[600];

	x->unlinked += op->out.count;
	memset(&ec, 0, sizeof ec);
	for (size_t i = 0; i < op->out.npairs; i++)
		if (delete_pair(s, x, &op->in.unlink.pairs[i], &ec) != 0) {
			err_format(&ec, m, sizeof m);
			answer_error(x, 502, m);
			return 0;
		}
	if (op->out.more) {
		memset(&op->out, 0, sizeof op->out);
		queue_post(s->q, op);
		return 1;
	}
	if (x->unlinked == 0) {
		answer_error(x, 404, "nothing ingested matches");
		return 0;
	}
	jw_init(&w, &x->body);
	jw_obj(&w);
	jw_key(&w, "message");
	jw_str(&w, "GitHub ingested data deleted");
	jw_key(&w, "project");
	jw_str(&w, op->in.unlink.project);
	jw_opt_str(&w, "dataset", op->in.unlink.dataset);
	jw_opt_str(&w, "repository", op->in.unlink.repo);
	jw_key(&w, "deleted");
	jw_int(&w, x->unlinked);
	jw_key(&w, "objectsDeleted");
	jw_uint(&w, x->objects_deleted);
	jw_key(&w, "chunksDeleted");
	jw_uint(&w, x->chunks_deleted);
	jw_obj_end(&w);
	answer_json(x, 200, &w);
	return 0;
}

/* A push to a branch other than the default: a job only when that
 * repository and branch were ingested before (decision 6). Returns 1 when
 * x went to the writer. */
static int
read_hook(struct svc *s, struct queue_reader *r, struct msg *x)
{
	struct queue_request *q = &x->op.in.submit;
	struct queue_key k;
	struct queue_repo rp;
	struct err_ctx ec;

	memset(&ec, 0, sizeof ec);
	if (queue_key_make(&k, q->repo, q->ref, q->default_branch) != 0 ||
	    queue_repo_get(r, &k, &rp, &ec) != 0) {
		if (ec.code != 0 && ec.code != ERR_QUEUE_NOT_FOUND) {
			answer_ec(x, &ec);
			return 0;
		}
		buf_puts(&x->body, "{\"ignored\":\"a push to a branch that "
		    "was not ingested before\"}");
		x->status = 202;
		return 0;
	}
	write_post(s, x, QUEUE_OP_SUBMIT);
	return 1;
}

struct hits {
	struct jw *w;
};

static int
hit_json(void *ctx, const struct index_hit *h)
{
	struct jw *w = ((struct hits *)ctx)->w;
	char sc[32];

	jw_obj(w);
	jw_key(w, "repo");
	jw_str(w, h->repo);
	jw_key(w, "ref");
	jw_str(w, h->ref);
	jw_key(w, "path");
	jw_str(w, h->path);
	jw_key(w, "start_line");
	jw_uint(w, h->start_line);
	jw_key(w, "end_line");
	jw_uint(w, h->end_line);
	jw_key(w, "score");
	jw_raw(w, sc, (size_t)snprintf(sc, sizeof sc, "%.6g", h->score));
	jw_key(w, "text");
	jw_strn(w, h->text, h->text_len);
	jw_obj_end(w);
	return jw_error(w);
}

static void
read_query(struct svc *s, struct msg *x)
{
	struct index_terms *t;
	struct index_filter f;
	struct err_ctx ec;
	struct hits hc;
	struct jw w;
	char m[600];

	memset(&ec, 0, sizeof ec);
	if (reader_index(s, 0, &ec) != 0) {
		err_format(&ec, m, sizeof m);
		answer_error(x, 503, m);
		return;
	}
	jw_init(&w, &x->body);
	jw_obj(&w);
	jw_key(&w, "results");
	jw_arr(&w);
	if (s->rix != NULL) {
		if ((t = malloc(sizeof *t)) == NULL) {
			answer_error(x, 503, "out of memory");
			return;
		}
		index_terms(s->rix, x->q.p, x->q.len, t);
		memset(&f, 0, sizeof f);
		f.project = x->fproject;
		f.repo = x->qrepo[0] ? x->qrepo : NULL;
		f.per_file = x->per_file;
		hc.w = &w;
		if (index_query(s->rix, t, &f, x->k, hit_json, &hc, &ec) != 0 &&
		    ec.code != 0) {
			free(t);
			err_format(&ec, m, sizeof m);
			answer_error(x, 500, m);
			return;
		}
		free(t);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	answer_json(x, 200, &w);
}

static void *
reader(void *arg)
{
	struct svc *s = arg;
	struct queue_reader *r = NULL;
	struct err_ctx ec;

	memset(&ec, 0, sizeof ec);
	if (queue_reader_open(s->q, &r, &ec) != 0)
		r = NULL;
	for (;;) {
		struct msg *x;

		pthread_mutex_lock(&s->mu);
		while (s->tasks == NULL && !s->rquit)
			pthread_cond_wait(&s->rcv, &s->mu);
		if ((x = s->tasks) == NULL) {
			pthread_mutex_unlock(&s->mu);
			break;
		}
		if ((s->tasks = x->next) == NULL)
			s->tasks_tail = NULL;
		pthread_mutex_unlock(&s->mu);
		if (r == NULL) {
			char m[512];
			err_format(&ec, m, sizeof m);
			answer_error(x, 503, m);
		} else {
			int handed = 0;
			switch (x->task) {
			case T_UNLINK:
				handed = read_unlink(s, x);
				break;
			case T_HOOK:
				handed = read_hook(s, r, x);
				break;
			case T_QUERY:
				read_query(s, x);
				break;
			case T_GET:
			case T_EVENTS:
			case T_EVENTS_AGAIN:
				read_get(s, r, x);
				break;
			case T_LIST:
			case T_HISTORY:
				read_list(s, r, x);
				break;
			case T_READY:
				read_ready(s, r, x);
				break;
			case T_METRICS:
				read_metrics(s, r, x);
				break;
			}
			if (handed)
				continue;
		}
		post(x, x->task == T_EVENTS_AGAIN ? M_SSE_AGAIN :
		    x->task == T_EVENTS && x->status == 200 ? M_SSE : M_REPLY);
	}
	if (r != NULL)
		queue_reader_close(r);
	if (s->rix != NULL) {
		index_close(s->rix);
		free(s->rix);
		s->rix = NULL;
	}
	return NULL;
}

static void
read_post(struct svc *s, struct msg *x)
{
	pthread_mutex_lock(&s->mu);
	x->next = NULL;
	if (s->tasks_tail)
		s->tasks_tail->next = x;
	else
		s->tasks = x;
	s->tasks_tail = x;
	pthread_cond_signal(&s->rcv);
	pthread_mutex_unlock(&s->mu);
}

/* ================================================ workers */

/* done() of a worker's own operation: register a claimed job (or none: the
 * job it ended is over) before any later operation's done() (a DELETE's)
 * looks for it, then wake it. */
static void
slot_done(struct queue_op *op)
{
	struct slot *w = op->arg;
	struct svc *s = w->s;

	pthread_mutex_lock(&s->mu);
	if (op->kind == QUEUE_OP_CLAIM)
		w->id[0] = '\0';
	if (op->kind == QUEUE_OP_CLAIM && op->out.ec.code == 0 &&
	    op->out.found) {
		snprintf(w->id, sizeof w->id, "%s", op->out.job.id);
		w->job = op->out.job;
		memset(&w->prog, 0, sizeof w->prog);
		cancel_init(&w->cancel, &s->shutdown);
		if (op->out.job.cancel_requested)
			cancel_request(&w->cancel);
		sched_job_claimed(s->sched, w->id);
	}
	w->op_done = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&s->mu);
}

/* Post op (after first, in the same transaction, when first is not NULL)
 * and wait for op's done(), which follows first's. */
static int
slot_wait(struct slot *w, struct queue_op *first, struct queue_op *op)
{
	struct svc *s = w->s;

	op->done = slot_done;
	op->arg = w;
	pthread_mutex_lock(&s->mu);
	w->op_done = 0;
	pthread_mutex_unlock(&s->mu);
	if (first != NULL) {
		first->done = NULL;
		queue_post2(s->q, first, op);
	} else {
		queue_post(s->q, op);
	}
	pthread_mutex_lock(&s->mu);
	while (!w->op_done)
		pthread_cond_wait(&w->cv, &s->mu);
	pthread_mutex_unlock(&s->mu);
	return op->out.ec.code;
}

/* Post w->op, after w->end when the worker has a job's end to record. */
static int
slot_run(struct slot *w)
{
	return slot_wait(w, w->has_end ? &w->end : NULL, &w->op);
}

/* job_hooks.progress: copy the figures and post an event (never blocks:
 * it runs on the download's threads too). */
static void
on_progress(void *ctx, const struct job_progress *p)
{
	struct slot *w = ctx;
	struct svc *s = w->s;
	struct queue_job j;
	struct prog pr;
	struct msg *x;

	memset(&pr, 0, sizeof pr);
	pr.has = 1;
	pr.phase = p->phase;
	pr.percent = percent(p);
	pr.bytes = p->bytes;
	pr.total = p->total;
	pr.files = p->files;
	if (p->current != NULL) {
		size_t n = p->current_len < sizeof pr.current - 1 ?
		    p->current_len : sizeof pr.current - 1;
		memcpy(pr.current, p->current, n);
		pr.current[n] = '\0';
	}
	pthread_mutex_lock(&s->mu);
	w->prog = pr;
	j = w->job;
	pthread_mutex_unlock(&s->mu);
	if ((x = msg_new(s, 0, 0)) == NULL)
		return;
	event_build(x, &j, &pr, 1);
	post(x, M_EVENT);
}

/* job_hooks.stopping: a shutdown lets the attempt under way finish. */
static int
on_stopping(void *ctx)
{
	struct slot *w = ctx;
	int v;

	pthread_mutex_lock(&w->s->mu);
	v = w->s->stopping;
	pthread_mutex_unlock(&w->s->mu);
	return v;
}

static int
to_buf(void *ctx, const uint8_t *p, size_t n)
{
	return buf_append(ctx, p, n);
}

static int
is_commit(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");

	return s[n] == '\0' && (n == 40 || n == 64);
}

/*
 * The commit ref names, by one small GitHub API request (decision 5):
 * GET /repos/OWNER/REPO/commits/REF with the "sha" media type, whose answer
 * is the 40 hex digits alone. Only when the API is reachable: online (no
 * mirror), or a mirror with --api-url. Any failure leaves commit empty (the
 * job then downloads: never wrongly cached) and is logged, one warning line
 * naming the cause (the log redacts the token).
 */
static void
resolve(struct slot *w, const struct queue_job *j, char *commit, size_t cap)
{
	const struct job_config *jc = w->s->c->jc;
	const char *api = jc->api_base ? jc->api_base :
	    "https://api.github.com";
	char url[1024], auth[600], why[600];
	static const char acc[] = "application/vnd.github.sha";
	struct http_field f[1] = {
		{ "Accept", 6, acc, sizeof acc - 1 },
	};
	struct fetch_req rq;
	struct fetch_resp rs;
	struct buf b;
	struct err_ctx ec;

	commit[0] = '\0';
	if (jc->archive_url != NULL && jc->api_base == NULL)
		return;
	if (w->s->c->fo == NULL)
		return;
	if (!w->have_api) {
		if (fetch_init(&w->api, w->s->c->fo) != 0)
			return;
		w->have_api = 1;
	}
	snprintf(url, sizeof url, "%s/repos/%s/commits/%s", api, j->repo,
	    j->ref[0] ? j->ref : "HEAD");
	memset(&rq, 0, sizeof rq);
	rq.method = "GET";
	rq.url = url;
	rq.fields = f;
	rq.nfields = 1;
	rq.cancel = &w->cancel;
	if (jc->token != NULL) {
		snprintf(auth, sizeof auth, "Bearer %s", jc->token);
		rq.auth = auth;
		rq.auth_origin = api;
	}
	memset(&rs, 0, sizeof rs);
	memset(&ec, 0, sizeof ec);
	buf_init(&b, 256);
	if (fetch_do(&w->api, &rq, &rs, to_buf, &b, &ec) != 0) {
		err_format(&ec, why, sizeof why);
	} else if (rs.status != 200) {
		snprintf(why, sizeof why, "HTTP %d%s", rs.status,
		    rs.has_rl_remaining && rs.rl_remaining == 0 ?
		    " (the API's rate limit is used up)" : "");
	} else {
		while (b.len > 0 && (b.p[b.len - 1] == '\n' ||
		    b.p[b.len - 1] == '\r'))
			b.len--;
		if (b.len < cap && buf_cstr(&b) != NULL &&
		    is_commit(buf_cstr(&b)))
			snprintf(commit, cap, "%s", buf_cstr(&b));
		else
			snprintf(why, sizeof why, "the answer is not a commit "
			    "id");
	}
	if (commit[0] == '\0') {
		const char *kv[] = { "job", j->id, "repo", j->repo, "ref",
		    j->ref[0] ? j->ref : "HEAD", "error", why, NULL };
		log_msg(&w->s->log, LOG_WARN, "job", "Commit lookup through "
		    "the GitHub API failed: downloading", kv);
	}
	fetch_resp_free(&rs);
	buf_free(&b);
	explicit_bzero(auth, sizeof auth);
}

/*
 * A job that stored chunks puts them into its project's index: the stored
 * chunks.jsonl read back through the sink (what `repodigest index` of the
 * object would read), one repository in one transaction. A file whose
 * chunks are unchanged costs reads only (index.h).
 */
static int
index_job(struct slot *w, const struct job_spec *spec, const char *project,
    struct err_ctx *ec)
{
	struct sink_object ob;
	struct chunkrd rd;
	struct index_chunk c;
	struct index_opts o;
	enum chunkrd_event ev;
	const uint8_t *p;
	size_t n, k;
	int found = 0, in_repo = 0, e;

	if (w->ix == NULL) {
		if ((w->ix = calloc(1, sizeof *w->ix)) == NULL)
			return err_set(ec, ERR_NOMEM, NULL);
		memset(&o, 0, sizeof o);
		o.create = 1;
		if ((e = index_open(w->ix, w->s->c->index, &o, ec)) != 0) {
			free(w->ix);
			w->ix = NULL;
			return e;
		}
	}
	if ((e = job_object(w->s->c->jc, spec, RENDER_CHUNKS, &ob, ec)) != 0)
		return e;
	buf_reset(&w->chunks);
	if ((e = sink_get(&w->jw->sink, &ob, &w->chunks, &found, ec)) != 0)
		return e;
	if (!found)
		return err_set(ec, ERR_NOENT, "%s: stored chunks not found",
		    ob.key);
	chunkrd_init(&rd);
	p = w->chunks.p;
	n = w->chunks.len;
	e = 0;
	for (;;) {
		k = n > 0 ? chunkrd_push(&rd, p, n, &ev) : 0;
		p += k;
		n -= k;
		if (k == 0 && n == 0)
			ev = chunkrd_end(&rd);
		if (ev == CHUNKRD_ERROR) {
			e = err_set(ec, rd.err, "%s: line %llu: %s", ob.key,
			    (unsigned long long)rd.lineno, rd.detail);
			break;
		}
		if (ev == CHUNKRD_RECORD) {
			if (!in_repo) {
				if ((e = index_repo_begin(w->ix, project,
				    rd.rec.repo, rd.rec.ref, rd.rec.commit,
				    ec)) != 0)
					break;
				in_repo = 1;
			}
			index_chunk_of(&c, &rd.rec);
			if ((e = index_repo_chunk(w->ix, &c, ec)) != 0) {
				in_repo = 0;    /* rolled back */
				break;
			}
			continue;
		}
		if (n == 0)
			break;
	}
	if (e != 0 && in_repo)
		index_repo_abort(w->ix);
	else if (e == 0 && in_repo)
		e = index_repo_end(w->ix, NULL, ec);
	chunkrd_free(&rd);
	return e;
}

static void
run_one(struct slot *w)
{
	struct svc *s = w->s;
	struct queue_job j;
	struct job_spec spec;
	struct job_hooks h;
	struct job_result res;
	char owner[QUEUE_REPO_MAX], source[QUEUE_REPO_MAX + QUEUE_REF_MAX + 2];
	char commit[QUEUE_COMMIT_MAX], *slash;
	char pushed[QUEUE_PUSHED_MAX];

	pthread_mutex_lock(&s->mu);
	j = w->job;
	pthread_mutex_unlock(&s->mu);
	pushed[0] = '\0';
	announce(s, &j, NULL);
	snprintf(owner, sizeof owner, "%s", j.repo);
	slash = strchr(owner, '/');
	if (slash == NULL) {
		memset(&res, 0, sizeof res);
		err_set(&res.err, ERR_USAGE, "not owner/name");
		res.status = JOB_FAILED;
		goto end;
	}
	*slash = '\0';
	if (j.ref[0])
		snprintf(source, sizeof source, "%s@%s", j.repo, j.ref);
	else
		snprintf(source, sizeof source, "%s", j.repo);
	/* the commit: the request's (a webhook's push), the ref itself when
	 * it is one, else the API's answer */
	snprintf(commit, sizeof commit, "%s", j.commit);
	if (commit[0] == '\0' && !is_commit(j.ref))
		resolve(w, &j, commit, sizeof commit);
	memset(&spec, 0, sizeof spec);
	spec.source = source;
	spec.remote_only = 1;
	spec.flavour = j.repo;
	spec.strip = -1;
	spec.owner = owner;
	spec.repo = slash + 1;
	spec.ref = j.ref;
	spec.commit = commit[0] ? commit : NULL;
	/* a scheduled pass's pushedAt: the cache check's and the table's */
	spec.pushed_at = sched_pushed_at(s->sched, j.id, pushed,
	    sizeof pushed) ? pushed : NULL;
	spec.formats = j.formats;
	memset(&h, 0, sizeof h);
	h.ctx = w;
	h.cancel = &w->cancel;
	h.progress = on_progress;
	h.stopping = on_stopping;
	job_run(w->jw, s->c->jc, &spec, &h, &res);
	if ((res.status == JOB_STORED || res.status == JOB_CACHED) &&
	    (j.formats & JOB_FORMAT(RENDER_CHUNKS)) &&
	    index_job(w, &spec, j.project[0] ? j.project : INDEX_PROJECT,
	    &res.err) != 0)
		res.status = JOB_FAILED;        /* stored, not searchable */
end:
	memset(&w->end, 0, sizeof w->end);
	if (res.status == JOB_STORED || res.status == JOB_CACHED) {
		struct queue_result *qr = &w->end.in.complete.result;
		w->end.kind = QUEUE_OP_COMPLETE;
		snprintf(w->end.in.complete.id, QUEUE_ID_LEN, "%s", j.id);
		qr->objects = (uint64_t)__builtin_popcount(res.stored);
		qr->bytes = res.bytes_out;
		qr->files = res.files;
		qr->tokens = res.tokens;
		/* a commit id is 40 or 64 digits: it fits, or is not one */
		{
			const char *cm = res.commit[0] ? res.commit : commit;
			if (strlen(cm) < sizeof qr->commit)
				memcpy(qr->commit, cm, strlen(cm) + 1);
		}
		memcpy(qr->pushed_at, pushed, sizeof qr->pushed_at);
		qr->cached = res.status == JOB_CACHED;
		atomic_fetch_add(&s->bytes_stored, res.bytes_out);
		if (qr->cached)
			atomic_fetch_add(&s->jobs_cached, 1);
	} else if (res.interrupted && atomic_load(&w->cancel.set)) {
		w->end.kind = QUEUE_OP_CANCELLED;        /* a DELETE */
		snprintf(w->end.in.id, QUEUE_ID_LEN, "%s", j.id);
	} else if (res.interrupted) {
		w->end.kind = QUEUE_OP_REQUEUE;          /* shutting down */
		snprintf(w->end.in.id, QUEUE_ID_LEN, "%s", j.id);
	} else {
		w->end.kind = QUEUE_OP_FAIL;
		snprintf(w->end.in.fail.id, QUEUE_ID_LEN, "%s", j.id);
		err_format(&res.err, w->end.in.fail.error,
		    sizeof w->end.in.fail.error);
		w->end.in.fail.retryable = err_retryable(res.err.code);
		w->end.in.fail.retry_after_ms = (int64_t)res.err.retry_after *
		    1000;
	}
	w->has_end = 1;
}

/* After the commit of w->end: log the job's end and announce it. */
static void
end_done(struct slot *w)
{
	struct svc *s = w->s;
	const struct queue_op *op = &w->end;

	w->has_end = 0;
	if (op->out.ec.code != 0) {
		char m[600];
		const char *kv[] = { "job", op->in.id, "error", m, NULL };
		err_format(&op->out.ec, m, sizeof m);
		log_msg(&s->log, LOG_ERROR, "job", "Could not record the end "
		    "of a job", kv);
		return;
	}
	{
		const char *kv[] = { "job", op->out.job.id, "repo",
		    op->out.job.repo, "status",
		    queue_state_name(op->out.job.state), "error",
		    op->out.job.error[0] ? op->out.job.error : NULL, NULL };
		log_msg(&s->log, op->out.job.state == QUEUE_FAILED ?
		    LOG_WARN : LOG_INFO, "job", "Job ended", kv);
	}
	announce(s, &op->out.job, NULL);
	sched_job_ended(s->sched, &op->out.job);
	if (op->out.job.state == QUEUE_QUEUED)
		kick_workers(s);        /* a retry with its backoff */
}

/* Record a job's end alone (no claim follows: the server stops). */
static void
end_alone(struct slot *w)
{
	slot_wait(w, NULL, &w->end);
	pthread_mutex_lock(&w->s->mu);
	w->id[0] = '\0';
	pthread_mutex_unlock(&w->s->mu);
	end_done(w);
}

/*
 * A worker: claim, run, and record the job's end together with the next
 * claim (one transaction, one commit: a worker waits for one commit per job,
 * not two). The end is announced once that commit is done, as every state
 * change is.
 */
static void *
worker(void *arg)
{
	struct slot *w = arg;
	struct svc *s = w->s;
	struct msg *x;

	for (;;) {
		uint64_t kick;
		int64_t wake;
		int stop, ended;

		pthread_mutex_lock(&s->mu);
		kick = s->kick;
		stop = s->stopping;
		pthread_mutex_unlock(&s->mu);
		if (stop)
			break;
		memset(&w->op, 0, sizeof w->op);
		w->op.kind = QUEUE_OP_CLAIM;
		ended = w->has_end;
		if (slot_run(w) != 0) {
			char m[600];
			const char *kv[] = { "error", m, NULL };
			err_format(&w->op.out.ec, m, sizeof m);
			log_msg(&s->log, LOG_ERROR, "claim", "Could not claim "
			    "a job", kv);
			wake = isotime_ms_now() + 1000;
		} else {
			wake = w->op.out.wake_at;
		}
		if (ended)
			end_done(w);
		if (w->op.out.ec.code == 0 && w->op.out.found) {
			pthread_mutex_lock(&s->mu);
			stop = s->stopping;
			pthread_mutex_unlock(&s->mu);
			if (stop) {
				/* claimed as the stop came: back at once */
				char id[QUEUE_ID_LEN];
				snprintf(id, sizeof id, "%s", w->op.out.job.id);
				memset(&w->op, 0, sizeof w->op);
				w->op.kind = QUEUE_OP_REQUEUE;
				snprintf(w->op.in.id, QUEUE_ID_LEN, "%s", id);
				slot_run(w);
				pthread_mutex_lock(&s->mu);
				w->id[0] = '\0';
				pthread_mutex_unlock(&s->mu);
				break;
			}
			run_one(w);
			continue;
		}
		/* nothing to claim: wait for a new job, the next backoff's
		 * end, or the stop */
		pthread_mutex_lock(&s->mu);
		while (s->kick == kick && !s->stopping) {
			struct timespec ts;
			int64_t t = wake > 0 ? wake : isotime_ms_now() + 60000;
			ts.tv_sec = (time_t)(t / 1000);
			ts.tv_nsec = (long)(t % 1000) * 1000000;
			if (pthread_cond_timedwait(&s->wcv, &s->mu, &ts) ==
			    ETIMEDOUT)
				break;
		}
		pthread_mutex_unlock(&s->mu);
	}
	if (w->has_end)
		end_alone(w);
	if ((x = msg_new(s, 0, 0)) != NULL)
		post(x, M_GONE);
	return NULL;
}

/* ================================================ routes */

static struct svc *
app_of(void *app)
{
	return app;
}

static struct msg *
msg_or_503(struct svc *s, struct serve *srv, int task, uint64_t id)
{
	struct msg *x = msg_new(s, task, id);

	if (x == NULL)
		serve_reply_error(srv, id, 503, "out of memory");
	return x;
}

/* A job id capture: a UUID's characters, else 404 at once. */
static int
id_ok(struct serve *srv, const struct serve_req *r, char *out)
{
	const struct slice *c = &r->m->cap[0];

	if (c->n != QUEUE_ID_LEN - 1 || strspn((const char *)c->p,
	    "0123456789abcdef-") < c->n) {
		serve_reply_error(srv, r->id, 404, "no such job");
		return 0;
	}
	memcpy(out, c->p, c->n);
	out[c->n] = '\0';
	return 1;
}

static void
h_ready(void *app, struct serve *srv, const struct serve_req *r)
{
	struct svc *s = app_of(app);
	struct msg *x = msg_or_503(s, srv, T_READY, r->id);

	if (x != NULL)
		read_post(s, x);
}

static void
h_metrics(void *app, struct serve *srv, const struct serve_req *r)
{
	struct svc *s = app_of(app);
	struct msg *x = msg_or_503(s, srv, T_METRICS, r->id);

	if (x == NULL)
		return;
	serve_stats(srv, &x->st);
	x->subs = serve_subscribers(srv);
	read_post(s, x);
}

static void
submit_fill(struct queue_request *q, const struct url_github *g,
    uint32_t formats, int priority, int origin)
{
	snprintf(q->repo, sizeof q->repo, "%s/%s", g->owner, g->repo);
	snprintf(q->ref, sizeof q->ref, "%s", g->ref);
	q->formats = formats;
	q->priority = priority;
	q->origin = origin;
}

static void
h_job_post(void *app, struct serve *srv, const struct serve_req *r)
{
	struct svc *s = app_of(app);
	struct body_job j;
	struct err_ctx e;
	struct msg *x;

	if (body_job(r->body.p, r->body.n, &j, &e) != 0) {
		serve_reply_refused(srv, r->id, &e);
		return;
	}
	if ((x = msg_or_503(s, srv, T_SUBMIT, r->id)) == NULL)
		return;
	submit_fill(&x->op.in.submit, &j.repo, j.formats, j.priority,
	    QUEUE_API);
	write_post(s, x, QUEUE_OP_SUBMIT);
}

/* ?name= as a checked value: 1 found, 0 absent, -1 answered 400. */
static int
qparam(struct serve *srv, const struct serve_req *r, const char *name,
    char *out, size_t cap)
{
	size_t n;
	int k = route_query(r->http->query, name, (uint8_t *)out, cap - 1,
	    &n);

	if (k == 0)
		return 0;
	if (k < 0) {
		char m[128];
		snprintf(m, sizeof m, "%s: malformed or too long", name);
		serve_reply_error(srv, r->id, 400, m);
		return -1;
	}
	out[n] = '\0';
	return 1;
}

static void
h_job_list(void *app, struct serve *srv, const struct serve_req *r)
{
	struct svc *s = app_of(app);
	struct msg *x;
	char v[64];
	int k;

	if ((x = msg_or_503(s, srv, T_LIST, r->id)) == NULL)
		return;
	x->filter.state = -1;
	x->limit = PAGE_DEFAULT;
	if ((k = qparam(srv, r, "status", v, sizeof v)) < 0)
		goto out;
	if (k > 0 && (x->filter.state = queue_state_parse(v,
	    strlen(v))) < 0) {
		serve_reply_error(srv, r->id, 400, "status: want queued, "
		    "running, completed, failed or cancelled");
		goto out;
	}
	if ((k = qparam(srv, r, "project", x->fproject,
	    sizeof x->fproject)) < 0)
		goto out;
	if (k > 0)
		x->filter.project = x->fproject;
	if ((k = qparam(srv, r, "repo", x->frepo, sizeof x->frepo)) < 0)
		goto out;
	if (k > 0) {
		struct url_github g;
		if (body_repo((const uint8_t *)x->frepo, strlen(x->frepo),
		    &g) != 0) {
			serve_reply_error(srv, r->id, 400, "repo: want "
			    "owner/name");
			goto out;
		}
		snprintf(x->frepo, sizeof x->frepo, "%s/%s", g.owner, g.repo);
		x->filter.repo = x->frepo;
	}
	if ((k = qparam(srv, r, "limit", v, sizeof v)) < 0)
		goto out;
	if (k > 0) {
		char *end;
		unsigned long n = strtoul(v, &end, 10);
		if (*end != '\0' || n < 1 || n > PAGE_MAX) {
			serve_reply_error(srv, r->id, 400, "limit: want 1 to "
			    "500");
			goto out;
		}
		x->limit = n;
	}
	if ((k = qparam(srv, r, "before", v, sizeof v)) < 0)
		goto out;
	if (k > 0) {
		char *end;
		long long n = strtoll(v, &end, 10);
		if (*end != '\0' || n < 1) {
			serve_reply_error(srv, r->id, 400, "before: want the "
			    "\"next\" of the page before");
			goto out;
		}
		x->filter.before = n;
	}
	read_post(s, x);
	return;
out:
	msg_free(x);
}

static void
h_job_get(void *app, struct serve *srv, const struct serve_req *r)
{
	struct svc *s = app_of(app);
	char id[QUEUE_ID_LEN];
	struct msg *x;

	if (!id_ok(srv, r, id) || (x = msg_or_503(s, srv, T_GET, r->id)) ==
	    NULL)
		return;
	memcpy(x->job, id, sizeof id);
	read_post(s, x);
}

static void
h_job_events(void *app, struct serve *srv, const struct serve_req *r)
{
	struct svc *s = app_of(app);
	char id[QUEUE_ID_LEN];
	struct msg *x;

	if (!id_ok(srv, r, id) || (x = msg_or_503(s, srv, T_EVENTS,
	    r->id)) == NULL)
		return;
	memcpy(x->job, id, sizeof id);
	read_post(s, x);
}

static void
h_job_delete(void *app, struct serve *srv, const struct serve_req *r)
{
	struct svc *s = app_of(app);
	char id[QUEUE_ID_LEN];
	struct msg *x;

	if (!id_ok(srv, r, id) || (x = msg_or_503(s, srv, T_CANCEL,
	    r->id)) == NULL)
		return;
	memcpy(x->op.in.id, id, sizeof id);
	write_post(s, x, QUEUE_OP_CANCEL);
}

static void
h_job_retry(void *app, struct serve *srv, const struct serve_req *r)
{
	struct svc *s = app_of(app);
	char id[QUEUE_ID_LEN];
	struct msg *x;

	if (!id_ok(srv, r, id) || (x = msg_or_503(s, srv, T_RETRY,
	    r->id)) == NULL)
		return;
	memcpy(x->op.in.id, id, sizeof id);
	write_post(s, x, QUEUE_OP_RETRY);
}

/* The {project} capture: the name rule, else 400. */
static int
project_ok(struct serve *srv, const struct serve_req *r, char *out)
{
	const struct slice *c = &r->m->cap[0];

	if (!body_valid_name(c->p, c->n)) {
		serve_reply_error(srv, r->id, 400, "project: want 1 to 100 of "
		    "A-Z a-z 0-9 . _ -, not . or ..");
		return 0;
	}
	memcpy(out, c->p, c->n);
	out[c->n] = '\0';
	return 1;
}

static void
h_ingest(void *app, struct serve *srv, const struct serve_req *r)
{
	struct svc *s = app_of(app);
	struct body_ingest in;
	struct err_ctx e;
	struct msg *x;
	char project[BODY_NAME_MAX + 1];

	if (!project_ok(srv, r, project))
		return;
	if (body_ingest(r->body.p, r->body.n, &in, &e) != 0) {
		serve_reply_refused(srv, r->id, &e);
		return;
	}
	if ((x = msg_or_503(s, srv, T_INGEST, r->id)) == NULL)
		return;
	/* the original ingested for search: its chunks go into the
	 * project's index, beside the digest */
	submit_fill(&x->op.in.submit, &in.repo, JOB_FORMAT(RENDER_FULL) |
	    JOB_FORMAT(RENDER_CHUNKS), 0, QUEUE_API);
	snprintf(x->op.in.submit.project, QUEUE_NAME_MAX, "%s", project);
	snprintf(x->op.in.submit.dataset, QUEUE_NAME_MAX, "%s", in.dataset);
	snprintf(x->op.in.submit.scope, QUEUE_NAME_MAX, "%s", in.scope);
	write_post(s, x, QUEUE_OP_SUBMIT);
}

static void
h_history(void *app, struct serve *srv, const struct serve_req *r)
{
	struct svc *s = app_of(app);
	struct msg *x;
	char project[BODY_NAME_MAX + 1];

	if (!project_ok(srv, r, project) ||
	    (x = msg_or_503(s, srv, T_HISTORY, r->id)) == NULL)
		return;
	x->filter.state = -1;
	x->limit = HISTORY_MAX;
	if (strcmp(project, "all") != 0) {
		snprintf(x->fproject, sizeof x->fproject, "%s", project);
		x->filter.project = x->fproject;
	}
	read_post(s, x);
}

static void
h_ingest_delete(void *app, struct serve *srv, const struct serve_req *r)
{
	struct svc *s = app_of(app);
	struct body_delete d;
	struct err_ctx e;
	struct msg *x;
	char project[BODY_NAME_MAX + 1];

	if (!project_ok(srv, r, project))
		return;
	if (body_delete(r->body.p, r->body.n, &d, &e) != 0) {
		serve_reply_refused(srv, r->id, &e);
		return;
	}
	if ((x = msg_or_503(s, srv, T_UNLINK, r->id)) == NULL)
		return;
	x->op.kind = QUEUE_OP_UNLINK;
	if ((x->op.in.unlink.pairs = calloc(QUEUE_UNLINK_BATCH,
	    sizeof *x->op.in.unlink.pairs)) == NULL) {
		msg_free(x);
		serve_reply_error(srv, r->id, 503, "out of memory");
		return;
	}
	x->op.in.unlink.cap = QUEUE_UNLINK_BATCH;
	snprintf(x->fproject, sizeof x->fproject, "%s", project);
	snprintf(x->op.in.unlink.project, QUEUE_NAME_MAX, "%s", project);
	if (d.has_repo)
		snprintf(x->op.in.unlink.repo, QUEUE_REPO_MAX, "%s/%s",
		    d.repo.owner, d.repo.repo);
	else
		snprintf(x->op.in.unlink.dataset, QUEUE_NAME_MAX, "%s",
		    d.dataset);
	write_post(s, x, QUEUE_OP_UNLINK);
}

/* POST /v1/webhooks/github (decision 6). */
static void
h_hook(void *app, struct serve *srv, const struct serve_req *r)
{
	struct svc *s = app_of(app);
	struct slice sig = { NULL, 0 }, evn = { NULL, 0 };
	struct hook_push push;
	struct err_ctx e;
	struct msg *x;
	struct queue_request *q;
	int k;

	if (s->c->hook_secret == NULL) {
		serve_reply_error(srv, r->id, 404, "webhooks are not enabled: "
		    "set " SVC_WEBHOOK_SECRET_VAR);
		return;
	}
	req_header(r->http, "x-hub-signature-256", &sig);
	if ((k = hook_verify((const uint8_t *)s->c->hook_secret,
	    strlen(s->c->hook_secret), r->body.p, r->body.n, sig)) != 0) {
		serve_reply_error(srv, r->id, 401, err_str(k));
		return;
	}
	req_header(r->http, "x-github-event", &evn);
	switch (hook_kind(evn)) {
	case HOOK_PING: {
		static const char ok[] = "{\"ok\":true,\"event\":\"ping\"}";
		serve_reply_json(srv, r->id, 200, ok, sizeof ok - 1);
		return;
	}
	case HOOK_PUSH:
		break;
	default: {
		static const char ig[] = "{\"ignored\":\"not a push\"}";
		serve_reply_json(srv, r->id, 202, ig, sizeof ig - 1);
		return;
	}
	}
	if (hook_parse_push(r->body.p, r->body.n, &push, &e) != 0) {
		serve_reply_refused(srv, r->id, &e);
		return;
	}
	if (push.tag || push.deleted || !push.branch) {
		const char *why = push.deleted ? "{\"ignored\":\"a deleted "
		    "ref\"}" : "{\"ignored\":\"a tag\"}";
		serve_reply_json(srv, r->id, 202, why, strlen(why));
		return;
	}
	if ((x = msg_or_503(s, srv, T_HOOK, r->id)) == NULL)
		return;
	q = &x->op.in.submit;
	/* full when the table knows no formats for it (queue.h: a push) */
	submit_fill(q, &push.repo, JOB_FORMAT(RENDER_FULL), 0, QUEUE_WEBHOOK);
	snprintf(q->default_branch, sizeof q->default_branch, "%s",
	    push.default_branch);
	snprintf(q->commit, sizeof q->commit, "%s", push.after);
	if (push.default_branch[0] && strcmp(push.repo.ref,
	    push.default_branch) == 0) {
		/* the default branch: its objects are the repository's own */
		q->ref[0] = '\0';
		write_post(s, x, QUEUE_OP_SUBMIT);
	} else {
		read_post(s, x);
	}
}

/* A query route: the body (body.h), then the reader thread. */
static void
query_route(struct svc *s, struct serve *srv, const struct serve_req *r,
    const char *project)
{
	struct body_query bq;
	struct err_ctx e;
	struct msg *x;

	if (body_query(r->body.p, r->body.n, &bq, &e) != 0) {
		serve_reply_refused(srv, r->id, &e);
		return;
	}
	if ((x = msg_or_503(s, srv, T_QUERY, r->id)) == NULL)
		return;
	buf_puts(&x->q, bq.query);
	x->k = bq.k;
	x->per_file = bq.per_file < 0 ? INDEX_PER_FILE : (size_t)bq.per_file;
	snprintf(x->fproject, sizeof x->fproject, "%s", project != NULL ?
	    project : bq.project[0] ? bq.project : INDEX_PROJECT);
	if (bq.has_repo)
		snprintf(x->qrepo, sizeof x->qrepo, "%s/%s", bq.repo.owner,
		    bq.repo.repo);
	read_post(s, x);
}

static void
h_query(void *app, struct serve *srv, const struct serve_req *r)
{
	char project[BODY_NAME_MAX + 1];

	if (project_ok(srv, r, project))
		query_route(app_of(app), srv, r, project);
}

static void
h_query_v1(void *app, struct serve *srv, const struct serve_req *r)
{
	query_route(app_of(app), srv, r, NULL);
}

static void
h_ws(void *app, struct serve *srv, uint64_t id, const struct serve_ws_ev *ev)
{
	(void)app;
	if (ev->type == SERVE_WS_MESSAGE)
		serve_ws_subscribe(srv, id, ev);
}

/* GET /v1/schedule: memory only (schedule.h), answered on the loop. */
static void
h_schedule(void *app, struct serve *srv, const struct serve_req *r)
{
	struct svc *s = app_of(app);
	struct buf b;
	struct jw w;

	if (s->sched == NULL) {
		serve_reply_error(srv, r->id, 404, "no schedule is configured "
		    "(serve --feed FEED --every DURATION)");
		return;
	}
	buf_init(&b, ANSWER_MAX);
	jw_init(&w, &b);
	sched_json(s->sched, &w);
	if (jw_error(&w))
		serve_reply_error(srv, r->id, 503, "out of memory");
	else
		serve_reply_json(srv, r->id, 200, b.p, b.len);
	buf_free(&b);
}

#define H(f) ((void *)(f))
static const struct route routes[] = {
	{ "GET", "/", SERVE_OPEN, 0, H(page_get) },
	{ "GET", "/app.js", SERVE_OPEN, 0, H(page_get) },
	{ "GET", "/style.css", SERVE_OPEN, 0, H(page_get) },
	{ "GET", "/healthz", SERVE_OPEN, 0, H(serve_health) },
	{ "GET", "/readyz", SERVE_OPEN, 0, H(h_ready) },
	{ "GET", "/metrics", 0, 0, H(h_metrics) },
	{ "POST", "/v1/jobs", SERVE_JSON, 64 << 10, H(h_job_post) },
	{ "GET", "/v1/jobs", 0, 0, H(h_job_list) },
	{ "GET", "/v1/jobs/{id}", 0, 0, H(h_job_get) },
	{ "DELETE", "/v1/jobs/{id}", 0, 0, H(h_job_delete) },
	{ "GET", "/v1/jobs/{id}/events", SERVE_QUERY_TOKEN, 0,
	    H(h_job_events) },
	{ "POST", "/v1/jobs/{id}/retry", 0, 0, H(h_job_retry) },
	{ "POST", "/projects/{project}/ingest/github", SERVE_JSON, 64 << 10,
	    H(h_ingest) },
	{ "GET", "/projects/{project}/ingest/history", 0, 0, H(h_history) },
	{ "DELETE", "/projects/{project}/ingest/github", SERVE_JSON, 64 << 10,
	    H(h_ingest_delete) },
	{ "POST", "/projects/{project}/query", SERVE_JSON, 64 << 10,
	    H(h_query) },
	{ "POST", "/v1/query", SERVE_JSON, 64 << 10, H(h_query_v1) },
	{ "GET", "/v1/schedule", 0, 0, H(h_schedule) },
	{ "POST", "/v1/webhooks/github", SERVE_OPEN | SERVE_JSON, 4 << 20,
	    H(h_hook) },
	{ "GET", "/ws", SERVE_WS | SERVE_QUERY_TOKEN, 0, H(h_ws) },
};

/* ================================================ the loop's side */

static void
maybe_stop(struct svc *s)
{
	if (s->drained && s->gone == s->nslots)
		loop_stop(&s->l);
}

static void
on_msg(struct loop *l, struct loop_msg *m)
{
	struct msg *x = (struct msg *)(void *)m;
	struct svc *s = x->s;
	struct pubsub_topic t;
	struct serve_event ev;

	(void)l;
	switch (x->kind) {
	case M_REPLY:
	case M_REPLY_EVENT:
		serve_reply_json(&s->srv, x->conn, x->status, x->body.p,
		    x->body.len);
		if (x->kind == M_REPLY_EVENT)
			publish(s, x);
		break;
	case M_EVENT:
		publish(s, x);
		break;
	case M_SSE:
		if (serve_sse_start(&s->srv, x->conn) != 0)
			break;
		memset(&ev, 0, sizeof ev);
		ev.sse_event = "job";
		ev.sse = x->body.p;
		ev.sse_n = x->body.len;
		pubsub_topic(&t, PUBSUB_JOB, x->job, strlen(x->job));
		if (x->terminal || serve_subscribe(&s->srv, x->conn, &t) !=
		    0) {
			serve_send(&s->srv, x->conn, &ev);
			serve_close(&s->srv, x->conn, 0, NULL);
			break;
		}
		serve_send(&s->srv, x->conn, &ev);
		s->sse[s->sse_next].conn = x->conn;
		memcpy(s->sse[s->sse_next].job, x->job, sizeof x->job);
		s->sse_next = (s->sse_next + 1) % SSE_RING;
		/* a change between the snapshot's read and the subscription
		 * was announced to no one here: read it again, now that
		 * every later one reaches the stream */
		x->task = T_EVENTS_AGAIN;
		buf_reset(&x->body);
		buf_reset(&x->ws);
		buf_reset(&x->sse);
		read_post(s, x);
		return;
	case M_SSE_AGAIN:
		if (x->status == 200 && x->terminal) {
			memset(&ev, 0, sizeof ev);
			ev.sse_event = "job";
			ev.sse = x->body.p;
			ev.sse_n = x->body.len;
			serve_send(&s->srv, x->conn, &ev);
			serve_close(&s->srv, x->conn, 0, NULL);
		}
		break;
	case M_GONE:
		s->gone++;
		maybe_stop(s);
		break;
	}
	msg_free(x);
}

static void
on_drained(void *app)
{
	struct svc *s = app;

	s->drained = 1;
	maybe_stop(s);
}

static void
on_grace(struct loop *l, struct loop_timer *t)
{
	struct svc *s = (struct svc *)(void *)((char *)t -
	    offsetof(struct svc, grace));
	const char *kv[] = { NULL };

	(void)l;
	log_msg(&s->log, LOG_NOTE, "shutdown", "Grace period over: "
	    "cancelling the jobs still running (they are queued again)", kv);
	cancel_request(&s->shutdown);
}

static void
stop_begin(struct svc *s)
{
	const char *kv[] = { NULL };

	pthread_mutex_lock(&s->mu);
	if (s->stopping) {
		pthread_mutex_unlock(&s->mu);
		return;
	}
	s->stopping = 1;
	pthread_cond_broadcast(&s->wcv);
	pthread_mutex_unlock(&s->mu);
	sched_stop_begin(s->sched);
	log_msg(&s->log, LOG_NOTE, "shutdown", "Stopping: no new requests, "
	    "running jobs finish within --grace", kv);
	loop_timer_set(&s->l, &s->grace, (uint64_t)s->c->grace_s * 1000,
	    on_grace);
	loop_timer_cancel(&s->l, &s->prune);
	serve_shutdown(&s->srv, on_drained);
}

static void
on_signal(struct loop *l, int fd, int events, void *arg)
{
	struct svc *s = arg;
	struct signalfd_siginfo si;

	(void)l;
	(void)events;
	while (read(fd, &si, sizeof si) == (ssize_t)sizeof si)
		;
	stop_begin(s);
}

static void
prune_post(struct svc *s)
{
	struct msg *x = msg_new(s, T_PRUNE, 0);

	if (x == NULL)
		return;
	x->op.in.age_ms = (int64_t)s->c->keep_days * 86400 * 1000;
	write_post(s, x, QUEUE_OP_PRUNE);
}

static void
on_prune(struct loop *l, struct loop_timer *t)
{
	struct svc *s = (struct svc *)(void *)((char *)t -
	    offsetof(struct svc, prune));

	prune_post(s);
	loop_timer_set(l, t, PRUNE_EVERY_MS, on_prune);
}

/* ================================================ start and stop */

static int
fail(struct svc *s, const char *what, const struct err_ctx *ec)
{
	char m[768];

	(void)s;
	err_format(ec, m, sizeof m);
	fprintf(stderr, "repodigest serve: %s%s%s\n", what,
	    what[0] && m[0] ? ": " : "", m);
	return 1;
}

/* see svc.h */
int
svc_run(const struct svc_config *c)
{
	static char logbuf[1 << 16];
	static struct svc sv;
	struct svc *s = &sv;
	struct serve_config sc;
	struct queue_config qc;
	struct err_ctx ec;
	sigset_t ss;
	size_t nslots;
	int rc = 1, nstarted = 0;

	memset(s, 0, sizeof *s);
	s->c = c;
	s->sfd = -1;
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->pool_mu, NULL);
	pthread_cond_init(&s->wcv, NULL);
	pthread_cond_init(&s->rcv, NULL);
	cancel_init(&s->shutdown, NULL);
	/* one write per log line (see serve_probe.c): stderr buffered */
	setvbuf(stderr, logbuf, _IOFBF, sizeof logbuf);
	log_init(&s->log, stderr, LOG_JSON);
	if (c->token)
		log_add_secret(&s->log, c->token);
	if (c->jc->token)
		log_add_secret(&s->log, c->jc->token);
	if (c->hook_secret)
		log_add_secret(&s->log, c->hook_secret);

	/* SIGTERM and SIGINT through a signalfd on the loop: blocked before
	 * the first thread (the table's writer) starts, so every thread
	 * inherits the mask and none is killed by them */
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	pthread_sigmask(SIG_BLOCK, &ss, NULL);
	memset(&ec, 0, sizeof ec);
	memset(&qc, 0, sizeof qc);
	qc.path = c->db;
	if (queue_open(&s->q, &qc, &ec) != 0)
		return fail(s, "", &ec);
	/* the sink once here: a bad destination is an error at start */
	memset(&ec, 0, sizeof ec);
	if (sink_open(&s->rsink, c->out, &c->net, 0, &ec) != 0) {
		fail(s, "", &ec);
		goto out_queue;
	}
	s->have_rsink = 1;
	{
		const char *sv2[2];
		size_t n = sink_secrets(&s->rsink, sv2, 2);
		for (size_t i = 0; i < n; i++)
			log_add_secret(&s->log, sv2[i]);
	}

	serve_config_default(&sc);
	sc.routes = routes;
	sc.nroutes = sizeof routes / sizeof routes[0];
	sc.app = s;
	sc.token = c->token;
	sc.log = &s->log;
	nslots = serve_fd_limit(sc.max_conns);
	if ((s->lslots = calloc(nslots, sizeof *s->lslots)) == NULL ||
	    loop_init(&s->l, s->lslots, nslots) != 0) {
		err_set(&ec, ERR_IO, "event loop: %s", strerror(errno));
		fail(s, "", &ec);
		goto out_sink;
	}
	memset(&ec, 0, sizeof ec);
	if (serve_init(&s->srv, &sc, &s->l, c->host, c->port, &ec) != 0) {
		fail(s, "", &ec);
		goto out_loop;
	}
	if ((s->sfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC)) < 0 ||
	    loop_add(&s->l, s->sfd, LOOP_READ, on_signal, s) != 0) {
		err_set(&ec, ERR_IO, "signalfd: %s", strerror(errno));
		fail(s, "", &ec);
		goto out_serve;
	}

	/* workers, each with its own sink and download client */
	s->nslots = c->workers;
	if ((s->slots = calloc((size_t)c->workers, sizeof *s->slots)) ==
	    NULL) {
		err_set(&ec, ERR_NOMEM, NULL);
		fail(s, "", &ec);
		goto out_serve;
	}
	for (int i = 0; i < c->workers; i++) {
		struct slot *w = &s->slots[i];
		uint32_t seed = (uint32_t)time(NULL) ^ (uint32_t)getpid() *
		    2654435761u ^ (uint32_t)(i + 1) * 40503u;
		w->s = s;
		w->idx = i;
		pthread_cond_init(&w->cv, NULL);
		cancel_init(&w->cancel, &s->shutdown);
		buf_init(&w->chunks, CHUNKS_MAX);
		memset(&ec, 0, sizeof ec);
		if ((w->jw = calloc(1, sizeof *w->jw)) == NULL ||
		    job_worker_init(w->jw, c->out, &c->net, 0, c->fo, seed,
		    &ec) != 0) {
			if (w->jw == NULL)
				err_set(&ec, ERR_NOMEM, NULL);
			fail(s, "", &ec);
			s->nslots = i + (w->jw != NULL);
			goto out_workers;
		}
	}
	if (pthread_create(&s->rt, NULL, reader, s) != 0) {
		err_set(&ec, ERR_IO, "thread: %s", strerror(errno));
		fail(s, "", &ec);
		goto out_workers;
	}
	s->have_rt = 1;
	/* before the workers: they see s->sched from their start */
	if (c->feed != NULL) {
		struct sched_config scc;
		memset(&scc, 0, sizeof scc);
		scc.feed = c->feed;
		scc.every_ms = c->every_ms;
		scc.fo = c->fo;
		scc.q = s->q;
		scc.jc = c->jc;
		scc.out = c->out;
		scc.net = &c->net;
		scc.formats = (uint32_t)c->feed_formats;
		scc.log = &s->log;
		scc.kick = sched_kick;
		scc.arg = s;
		memset(&ec, 0, sizeof ec);
		if (sched_start(&s->sched, &scc, &ec) != 0) {
			fail(s, "schedule", &ec);
			goto out_workers;
		}
	}
	for (int i = 0; i < s->nslots; i++) {
		if (pthread_create(&s->slots[i].t, NULL, worker,
		    &s->slots[i]) != 0)
			break;
		s->slots[i].started = 1;
		nstarted++;
	}
	if (nstarted < s->nslots) {
		err_set(&ec, ERR_IO, "thread: %s", strerror(errno));
		fail(s, "", &ec);
		s->gone = s->nslots - nstarted;
		stop_begin(s);
		loop_run(&s->l);
		goto out_join;
	}
	{
		char addr[300], port[16], nw[16];
		const char *kv[] = { "listen", addr, "port", port, "db", c->db,
		    "out", c->out, "workers", nw, NULL };
		snprintf(port, sizeof port, "%d", serve_port(&s->srv));
		snprintf(addr, sizeof addr, strchr(c->host, ':') ?
		    "[%s]:%d" : "%s:%d", c->host, serve_port(&s->srv));
		snprintf(nw, sizeof nw, "%d", c->workers);
		log_msg(&s->log, LOG_NOTE, "startup", "Listening", kv);
		if (c->token == NULL) {
			const char *kv2[] = { NULL };
			log_msg(&s->log, LOG_WARN, "startup", "No "
			    AUTH_TOKEN_VAR " set: every route is open to "
			    "anyone who can connect, so the service listens "
			    "on loopback only", kv2);
		}
	}
	prune_post(s);
	loop_timer_set(&s->l, &s->prune, PRUNE_EVERY_MS, on_prune);
	if (loop_run(&s->l) == 0)
		rc = 0;
out_join:
	for (int i = 0; i < s->nslots; i++)
		if (s->slots[i].started)
			pthread_join(s->slots[i].t, NULL);
	/* its operations still posted are answered by the writer */
	sched_join(s->sched);
	pthread_mutex_lock(&s->mu);
	s->rquit = 1;
	pthread_cond_signal(&s->rcv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->rt, NULL);
	s->have_rt = 0;
out_workers:
	if (s->have_rt) {
		pthread_mutex_lock(&s->mu);
		s->rquit = 1;
		pthread_cond_signal(&s->rcv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->rt, NULL);
	}
	/* what the writer still has calls done() and posts to the loop */
	queue_close(s->q);
	s->q = NULL;
	loop_run_posted(&s->l);
	sched_free(s->sched);          /* no thread calls in any more */
	s->sched = NULL;
	for (int i = 0; i < s->nslots; i++) {
		if (s->slots[i].jw != NULL) {
			job_worker_free(s->slots[i].jw);
			free(s->slots[i].jw);
		}
		if (s->slots[i].have_api)
			fetch_free(&s->slots[i].api);
		if (s->slots[i].ix != NULL) {
			index_close(s->slots[i].ix);
			free(s->slots[i].ix);
		}
		buf_free(&s->slots[i].chunks);
		pthread_cond_destroy(&s->slots[i].cv);
	}
	free(s->slots);
	loop_timer_cancel(&s->l, &s->grace);
	loop_timer_cancel(&s->l, &s->prune);
out_serve:
	if (s->sfd >= 0) {
		loop_del(&s->l, s->sfd);
		close(s->sfd);
	}
	serve_free(&s->srv);
out_loop:
	loop_free(&s->l);
	free(s->lslots);
out_sink:
	sink_close(&s->rsink);
out_queue:
	if (s->q != NULL)
		queue_close(s->q);
	if (rc == 0) {
		const char *kv[] = { NULL };
		log_msg(&s->log, LOG_NOTE, "shutdown", "Stopped", kv);
	}
	msg_pool_free(s);
	pthread_mutex_destroy(&s->pool_mu);
	log_free(&s->log);
	fflush(stderr);
	return rc;
}
