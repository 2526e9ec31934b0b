/*
 * pipeline.c - the batch run. See pipeline.h.
 *
 * pipeline_run is five steps, each a function below:
 *   setup      settings that would fail every repository are checked before
 *              any work: shard, patterns, the sink and the report's
 *              destination (the mirror template is the command line's, a
 *              usage error: cmd_run)
 *   feed       read, parse, this shard's share; then the signal handler, and
 *              --resume's state (a hash set: linear in the feed and the state)
 *   preflight  one request of the kind the run makes anyway (the cache's
 *              HEAD of the first object): a bucket that is missing, refused
 *              credentials or an endpoint that does not answer stop the run
 *              before any download
 *   workers    the pool, watched by the main thread: the status line, a stop
 *              signal and its grace period
 *   finish     state file, report, summary line and the exit status
 *
 * Threads: workers take the next job index under one mutex and run it
 * (job_run, job.h) with their own job_worker: sink, download client, digest
 * (no sharing on the hot path). Results land in a per-job array; counters
 * and the job index share the mutex.
 *
 * Signals: SIGTERM and SIGINT are blocked in every thread of the run (the
 * workers inherit the mask) and taken by the main thread with sigtimedwait
 * while it watches the workers: no handler, no global. The first sets the
 * run's stop flag: workers take no new job and start no new attempt; the
 * main thread waits up to grace_s for the jobs in flight. When the grace
 * period runs out it requests the run's cancel, which every job watches
 * inside its download and digest (job.h): they end within about a second,
 * as pending, and the workers are joined. The run then ends as it always
 * does: state, report, summary, a return. Nothing partial is ever stored
 * (sink.h): a cancelled job leaves its objects as they were.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cancel.h"
#include "fnv.h"
#include "cJSON.h"
#include "feed.h"
#include "isotime.h"
#include "job.h"
#include "log.h"
#include "pipeline.h"
#include "report.h"
#include "shard.h"
#include "sink.h"
#include "state.h"
#include "url.h"

/* The state of a job. Each maps to one report status (report.h): the
 * report's names live there, beside the reader that checks them. */
enum run_state { RUN_PENDING = 0, RUN_RUNNING, RUN_CACHED, RUN_DONE,
    RUN_FAILED, RUN_SKIPPED_RESUME, RUN_WOULD_PROCESS, RUN_WOULD_SKIP,
    RUN__COUNT };

static const unsigned char run_report_status[RUN__COUNT] = {
	[RUN_PENDING] = RS_PENDING, [RUN_RUNNING] = RS_PENDING,
	[RUN_CACHED] = RS_CACHED, [RUN_DONE] = RS_PROCESSED,
	[RUN_FAILED] = RS_FAILED, [RUN_SKIPPED_RESUME] = RS_EARLIER,
	/* a dry run did nothing: not done, with what it would do */
	[RUN_WOULD_PROCESS] = RS_PENDING, [RUN_WOULD_SKIP] = RS_PENDING,
};

struct run {
	const struct run_opts *o;
	struct log log;
	pthread_mutex_t mu;
	struct feed_list feed;          /* the feed's jobs and their strings */
	struct feed_job *jobs;          /* this shard's jobs (feed.jobs,
	                                 * compacted) */
	size_t njobs;
	uint8_t *state;                 /* enum job_state per job */
	char **errmsg;                  /* failure text per job */
	size_t next;                    /* next job to take */
	size_t active;                  /* workers still running */
	size_t n_cached, n_done, n_failed, n_finished, n_would, n_would_skip;
	size_t n_earlier;               /* done by an earlier run (--resume) */
	size_t nskipped;                /* feed records skipped */
	struct report_skip *skips;      /* the first REPORT_SKIPPED_MAX */
	size_t nskips;
	double t0;
	struct job_config cfg;          /* settings, generators, retries */
	struct sink_net net;
	struct shard sh;                /* for the report */
	char feed_shown[1024];          /* the feed URL, secrets redacted */
	char started[ISOTIME_LEN];      /* ISO time, for the report */
	double pause_until;             /* no download starts before (now_s) */
	struct sink secrets;            /* the output's settings, open for the
	                                 * run: its S3 secrets are redacted from
	                                 * log lines (the log keeps pointers) */
	atomic_int stop;                /* a signal came: no new job, attempt */
	int signals;                    /* signals taken (the second cancels) */
	atomic_int hinted;              /* the offline hint was given */
	struct cancel cancel;           /* the grace period ran out: the jobs
	                                 * in flight stop */
	sigset_t sigs, oldmask;         /* SIGTERM, SIGINT: blocked, taken by
	                                 * sigtimedwait */
	struct sigaction old_term, old_int;     /* restored at the end */
	int sigs_blocked;
	struct worker *ws;
	pthread_t *th;
	size_t nw;                      /* workers started */
};

static int
stopped(struct run *r)
{
	return atomic_load_explicit(&r->stop, memory_order_relaxed) != 0;
}

/*
 * Take SIGTERM or SIGINT if one is pending, waiting up to ms for one: the
 * run's stop. Returns 1 when one was taken.
 */
static int
take_signal(struct run *r, long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	if (!r->sigs_blocked)
		return 0;
	if (sigtimedwait(&r->sigs, NULL, &ts) <= 0)
		return 0;
	atomic_store_explicit(&r->stop, 1, memory_order_relaxed);
	r->signals++;
	return 1;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------ feed */

/* A skipped feed record: logged, counted, and the first REPORT_SKIPPED_MAX
 * kept for the report (the parser's strings live only during the call). */
static void
on_skip(void *ctx, size_t index, const char *who, const char *reason)
{
	struct run *r = ctx;

	feed_skip_log(&r->log, "feed", index, who, reason);
	r->nskipped++;
	if (r->nskips < REPORT_SKIPPED_MAX && r->skips != NULL) {
		struct report_skip *k = &r->skips[r->nskips];
		k->index = index;
		k->record = strdup(who);
		k->reason = strdup(reason);
		/* no memory for the text: counted all the same */
		if (k->record != NULL && k->reason != NULL) {
			r->nskips++;
		} else {
			free((char *)k->record);
			free((char *)k->reason);
		}
	}
}

/* The feed (file, "-" or URL) streamed into the parser (feed_read). */
static int
read_feed(struct run *r, struct feed_parser *fp, struct err_ctx *ec)
{
	return feed_read(r->o->feed, r->feed_shown, r->o->fetch, NULL, fp, ec);
}

/* ------------------------------------------------------------ resume */

/*
 * The jobs by name, for --resume: open addressing over shard_hash (lower-cased
 * owner/repo, as the feed's duplicate check), so loading a state of N names
 * against M jobs is O(N + M), not O(N * M).
 */
struct name_set {
	size_t *slot;                   /* job index + 1; 0 = empty */
	size_t mask;
};

static int
name_set_build(struct name_set *ns, const struct feed_job *jobs, size_t n)
{
	size_t cap = 16;

	while (cap < 2 * n + 1)
		cap <<= 1;
	if ((ns->slot = calloc(cap, sizeof *ns->slot)) == NULL)
		return ERR_NOMEM;
	ns->mask = cap - 1;
	for (size_t i = 0; i < n; i++) {
		size_t h = (size_t)shard_hash(jobs[i].owner, jobs[i].repo) & ns->mask;
		while (ns->slot[h] != 0)
			h = (h + 1) & ns->mask;
		ns->slot[h] = i + 1;
	}
	return 0;
}

/* The job named "owner/repo" (case-insensitively), or -1. */
static long
name_set_find(const struct name_set *ns, const struct feed_job *jobs,
    const char *name)
{
	char owner[FEED_OWNER_MAX + 1];
	const char *slash = strchr(name, '/');
	size_t h, on;

	if (slash == NULL || (on = (size_t)(slash - name)) > FEED_OWNER_MAX ||
	    strlen(slash + 1) > FEED_REPO_MAX)
		return -1;
	memcpy(owner, name, on);
	owner[on] = '\0';
	h = (size_t)shard_hash(owner, slash + 1) & ns->mask;
	for (; ns->slot[h] != 0; h = (h + 1) & ns->mask) {
		const struct feed_job *j = &jobs[ns->slot[h] - 1];
		if (strcasecmp(j->owner, owner) == 0 &&
		    strcasecmp(j->repo, slash + 1) == 0)
			return (long)(ns->slot[h] - 1);
	}
	return -1;
}

/* state_done_fn: one name --resume skips */
struct resume_ctx {
	struct run *r;
	struct name_set ns;
};

static void
on_done(void *ctx, const char *name, size_t n)
{
	struct resume_ctx *rc = ctx;
	struct run *r = rc->r;
	long i;

	(void)n;
	if ((i = name_set_find(&rc->ns, r->jobs, name)) >= 0 &&
	    r->state[i] != RUN_SKIPPED_RESUME) {
		r->state[i] = RUN_SKIPPED_RESUME;
		r->n_earlier++;
	}
}

/*
 * Names of repos already done, from a state file written by a previous run:
 * a file or s3://BUCKET/KEY, read through the sink (so `--state s3://...`
 * resumes with `--resume s3://...`), parsed by state.h's push parser.
 */
static int
load_resume(struct run *r, const char *path, struct err_ctx *ec)
{
	struct resume_ctx rc;
	struct state_reader *sr = malloc(sizeof *sr);
	struct buf b;
	int e;

	memset(ec, 0, sizeof *ec);
	if (sr == NULL)
		return err_set(ec, ERR_NOMEM, NULL);
	buf_init(&b, 256u << 20);
	if ((e = sink_read_doc(path, &r->net, &b, ec)) != 0) {
		buf_free(&b);
		free(sr);
		/* a file's trouble in the words it always had; S3 says its own */
		if (strncmp(path, "s3://", 5) != 0)
			err_set(ec, e == ERR_NOENT ? ERR_IO : e,
			    "cannot read the state file");
		return ec->code;
	}
	rc.r = r;
	if (name_set_build(&rc.ns, r->jobs, r->njobs) != 0) {
		buf_free(&b);
		free(sr);
		return err_set(ec, ERR_NOMEM, NULL);
	}
	state_reader_init(sr, on_done, &rc);
	state_push(sr, b.p != NULL ? b.p : (const uint8_t *)"", b.len);
	buf_free(&b);
	e = state_end(sr, ec);
	free(rc.ns.slot);
	free(sr);
	return e;
}

/* ------------------------------------------------------------ one job */

struct worker {
	struct run *r;
	struct job_worker jw;           /* sink, download client: the mirror's
	                                 * connection kept alive from one repo
	                                 * to the next */
	const char *name;               /* the job's "owner/repo" */
	char msg[1024];                 /* the job's failure text */
};

/* Sleep up to secs, waking early when a stop was asked for. */
static void
nap(struct run *r, double secs)
{
	double end = now_s() + secs;

	while (!stopped(r) && now_s() < end) {
		struct timespec ts = { 0, CANCEL_POLL_MS * 1000000L };
		nanosleep(&ts, NULL);
	}
}

/*
 * A server's Retry-After (or GitHub's rate-limit reset) holds back every
 * worker, not only the repo that got it: the limit is on us as a client, and
 * meanwhile the other workers would only collect 429s and use up their
 * attempts. Downloads wait; cache checks (another host) go on.
 */
static void
pause_downloads(struct run *r, double secs)
{
	double until = now_s() + secs;
	int longer = 0;

	pthread_mutex_lock(&r->mu);
	if (until > r->pause_until + 0.5) {
		r->pause_until = until;
		longer = 1;
	}
	pthread_mutex_unlock(&r->mu);
	if (longer) {
		char ws[32];
		const char *kv[] = { "wait", ws, NULL };
		snprintf(ws, sizeof ws, "%.0fs", secs);
		log_msg(&r->log, LOG_WARN, "process",
		    "Rate limited: every worker pauses its downloads", kv);
	}
}

/* job_hooks.before_attempt: the pause shared by the workers */
static void
wait_downloads(void *ctx)
{
	struct worker *w = ctx;
	struct run *r = w->r;

	for (;;) {
		double left;
		pthread_mutex_lock(&r->mu);
		left = r->pause_until - now_s();
		pthread_mutex_unlock(&r->mu);
		if (left <= 0 || stopped(r))
			return;
		nap(r, left < 1 ? left : 1);    /* the pause may grow meanwhile */
	}
}

/* job_hooks.stopping: a signal came; the repos in flight finish */
static int
hook_stopping(void *ctx)
{
	const struct worker *w = ctx;

	return stopped(w->r);
}

/* job_hooks.cache_error: the object is made anyway */
static void
hook_cache_error(void *ctx, const struct err_ctx *ec)
{
	struct worker *w = ctx;
	char m[512];
	const char *kv[] = { "repo", w->name, "error", m, NULL };

	err_format(ec, m, sizeof m);
	log_msg(&w->r->log, LOG_WARN, "cache", "Cache check failed", kv);
}

/* job_hooks.retry: say so; a server's wait holds back every worker */
static double
hook_retry(void *ctx, int attempt, double wait, int server_asked,
    const struct err_ctx *ec)
{
	struct worker *w = ctx;
	char a[16], ws[32];
	const char *kv[] = { "repo", w->name, "attempt", a, "wait", ws,
	    "error", w->msg, NULL };

	err_format(ec, w->msg, sizeof w->msg);
	snprintf(a, sizeof a, "%d", attempt);
	snprintf(ws, sizeof ws, "%.1fs", wait);
	log_msg(&w->r->log, LOG_WARN, "process", "Retrying", kv);
	if (!server_asked)
		return wait;
	pause_downloads(w->r, wait);    /* waited for before the next attempt */
	return 0;
}

/* One feed record as the job module's spec. */
static void
job_spec_of(const struct feed_job *j, const char *name, unsigned formats,
    struct job_spec *s)
{
	memset(s, 0, sizeof *s);
	s->source = name;
	s->remote_only = 1;
	s->flavour = name;
	s->strip = -1;
	s->owner = j->owner;
	s->repo = j->repo;
	s->pushed_at = j->has_pushed_at ? j->pushed_at : NULL;
	s->url = j->url;
	s->formats = formats;
}

/*
 * A name that does not resolve (codeload.github.com, the feed's host): most
 * likely no network. Said once per run: what an air-gapped run needs.
 * fatal: also on stderr (the run stops with that error).
 */
static void
hint_offline(struct run *r, int fatal)
{
	static const char hint[] = "hint: without a network, a run needs a "
	    "local FEED file and a mirror with --archive-url (e.g. "
	    "file:///srv/mirror/{owner}/{repo}.tar.gz; docs/air-gapped.md)";
	const char *kv[] = { NULL };

	if (atomic_exchange(&r->hinted, 1))
		return;
	log_msg(&r->log, LOG_WARN, "hint", hint, kv);
	if (fatal)
		log_err(NULL, "%s", hint);
}

/* One job, with retries (job_run). Returns RUN_CACHED, RUN_DONE,
 * RUN_FAILED, RUN_WOULD_*, or RUN_PENDING when it was interrupted. */
static int
run_job(struct worker *w, size_t i)
{
	struct run *r = w->r;
	const struct feed_job *j = &r->jobs[i];
	struct job_hooks h;
	struct job_spec spec;
	struct job_result res;
	char name[160];

	snprintf(name, sizeof name, "%s/%s", j->owner, j->repo);
	w->name = name;
	w->msg[0] = '\0';
	job_spec_of(j, name, (unsigned)r->o->formats, &spec);
	memset(&h, 0, sizeof h);
	h.ctx = w;
	h.cancel = &r->cancel;
	h.stopping = hook_stopping;
	h.cache_error = hook_cache_error;
	h.before_attempt = wait_downloads;
	h.retry = hook_retry;
	job_run(&w->jw, &r->cfg, &spec, &h, &res);
	switch (res.status) {
	case JOB_CACHED:
	case JOB_WOULD_SKIP: {
		const char *kv[] = { "repo", name, "pushedAt", j->pushed_at, NULL };
		log_msg(&r->log, LOG_INFO, "cache", r->o->dry_run ?
		    "Cache hit: would skip" : "Cache hit, skipping", kv);
		return res.status == JOB_CACHED ? RUN_CACHED : RUN_WOULD_SKIP;
	}
	case JOB_WOULD_STORE: {
		const char *kv[] = { "repo", name, NULL };
		log_msg(&r->log, LOG_INFO, "dry-run", "Would fetch and store", kv);
		return RUN_WOULD_PROCESS;
	}
	case JOB_STORED: {
		const char *kv[] = { "repo", name, "commit", res.commit,
		    "objects", res.objects, NULL };
		/* the objects only when there is a choice (--format) */
		if (r->o->formats == RUN_FORMAT_FULL)
			kv[4] = NULL;
		log_msg(&r->log, LOG_INFO, "process", "Stored digest", kv);
		return RUN_DONE;
	}
	default:
		break;
	}
	/* the last attempt's error (none when stopped before the first) */
	if (res.attempts > 0 || res.err.code != ERR_CANCELLED)
		err_format(&res.err, w->msg, sizeof w->msg);
	if (res.interrupted) {
		/* a stop or the grace period's cancel: pending, not failed */
		const char *kv[] = { "repo", name, "error", w->msg, NULL };
		if (w->msg[0] == '\0')
			kv[2] = NULL;
		log_msg(&r->log, LOG_WARN, "process", "Interrupted", kv);
		w->msg[0] = '\0';
		return RUN_PENDING;
	}
	{
		const char *kv[] = { "repo", name, "error", w->msg, NULL };
		log_msg(&r->log, LOG_ERROR, "process", "Failed", kv);
	}
	if ((res.err.code == ERR_NET_DNS_NONAME || res.err.code ==
	    ERR_NET_DNS) && r->o->archive_url == NULL)
		hint_offline(r, 0);
	return RUN_FAILED;
}

static void
progress(struct run *r)
{
	double el = now_s() - r->t0;
	double rate = el > 0 ? r->n_finished / el : 0;
	size_t left = r->njobs - r->n_finished;
	char a[32], b[32], c[32], d[32], e[32];
	const char *kv[] = { "done", a, "total", b, "cached", c, "failed", d,
	    "rate", e, NULL };

	snprintf(a, sizeof a, "%zu", r->n_finished);
	snprintf(b, sizeof b, "%zu", r->njobs);
	snprintf(c, sizeof c, "%zu", r->n_cached);
	snprintf(d, sizeof d, "%zu", r->n_failed);
	snprintf(e, sizeof e, "%.1f/s, eta %.0fs", rate,
	    rate > 0 ? left / rate : 0.0);
	log_msg(&r->log, LOG_INFO, "progress", "Progress", kv);
}

#define DOT " \xc2\xb7 "          /* U+00B7 middle dot, UTF-8 */

/* The terminal's status line (LOG_TTY), redrawn by the main thread. */
static void
status_line(struct run *r)
{
	char line[200], eta[32] = "--";
	size_t total = r->njobs;
	double rate;
	long left;

	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; i < r->njobs; i++)
		total -= r->state[i] == RUN_SKIPPED_RESUME;
	rate = r->n_finished / (now_s() - r->t0);
	left = rate > 0 ? (long)((total - r->n_finished) / rate) : -1;
	if (left >= 0)
		snprintf(eta, sizeof eta, "%ldm%02lds", left / 60, left % 60);
	snprintf(line, sizeof line, "[shard %llu/%llu] %zu/%zu" DOT "%zu cached"
	    DOT "%zu failed" DOT "%.1f repos/s" DOT "ETA %s",
	    (unsigned long long)r->sh.index, (unsigned long long)r->sh.count,
	    r->n_finished, total, r->n_cached, r->n_failed, rate, eta);
	pthread_mutex_unlock(&r->mu);
	log_status(&r->log, line);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->r;

	for (;;) {
		size_t i;
		int st;
		pthread_mutex_lock(&r->mu);
		while (r->next < r->njobs && r->state[r->next] != RUN_PENDING)
			r->next++;
		if (stopped(r) || r->next >= r->njobs ||
		    (r->o->max_failures >= 0 &&
		    (long)r->n_failed > r->o->max_failures)) {
			r->active--;
			pthread_mutex_unlock(&r->mu);
			break;
		}
		i = r->next++;
		r->state[i] = RUN_RUNNING;
		pthread_mutex_unlock(&r->mu);

		st = run_job(w, i);

		pthread_mutex_lock(&r->mu);
		r->state[i] = (uint8_t)st;
		/* no memory for the text: the status still says failed */
		if (st == RUN_FAILED && w->msg[0])
			r->errmsg[i] = strdup(w->msg);
		r->n_cached += st == RUN_CACHED;
		r->n_done += st == RUN_DONE;
		r->n_failed += st == RUN_FAILED;
		r->n_would += st == RUN_WOULD_PROCESS;
		r->n_would_skip += st == RUN_WOULD_SKIP;
		if (st != RUN_PENDING && ++r->n_finished % 100 == 0)
			progress(r);
		pthread_mutex_unlock(&r->mu);
	}
	return NULL;
}

/* ------------------------------------------------------------ outputs */

static cJSON *
name_item(const struct feed_job *j)
{
	char name[160];

	snprintf(name, sizeof name, "%s/%s", j->owner, j->repo);
	return cJSON_CreateString(name);
}

/* A JSON document (the state file, the report) to path, a file or s3://;
 * takes txt (NULL: there was no memory to print it). */
static int
store_doc(struct run *r, const char *path, char *txt, struct err_ctx *ec)
{
	int e;

	if (txt == NULL) {
		err_field(ec->source, sizeof ec->source, path, strlen(path));
		return err_set(ec, ERR_NOMEM, NULL);
	}
	e = sink_write_doc(path, &r->net, (const uint8_t *)txt, strlen(txt),
	    "application/json", ec);
	free(txt);
	return e;
}

/* The state file: what --resume trusts. Never written by a dry run. */
static int
write_state(struct run *r, const char *path, struct err_ctx *ec)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *done = cJSON_AddArrayToObject(root, "done");
	cJSON *failed = cJSON_AddArrayToObject(root, "failed");
	cJSON *pending = cJSON_AddArrayToObject(root, "pending");
	char *txt;

	memset(ec, 0, sizeof *ec);
	for (size_t i = 0; done && failed && pending && i < r->njobs; i++) {
		int st = r->state[i];
		cJSON *to = st == RUN_DONE || st == RUN_CACHED ||
		    st == RUN_SKIPPED_RESUME ? done : st == RUN_FAILED ? failed :
		    pending;
		cJSON_AddItemToArray(to, name_item(&r->jobs[i]));
	}
	txt = cJSON_Print(root);
	cJSON_Delete(root);
	return store_doc(r, path, txt, ec);
}

static void
report_repo(void *ctx, size_t i, struct report_run_repo *out)
{
	const struct run *r = ctx;
	int st = r->state[i];

	out->owner = r->jobs[i].owner;
	out->repo = r->jobs[i].repo;
	out->status = run_report_status[st];
	out->would = st == RUN_WOULD_PROCESS ? "process" :
	    st == RUN_WOULD_SKIP ? "skip (cached)" : NULL;
	out->error = r->errmsg[i];
}

/*
 * The run report (report.c writes it), to a file (atomically) or to
 * s3://BUCKET/KEY (one PUT: whole or absent), so that pods whose disks go
 * with them leave their shard's report where `repodigest report` can read
 * it. "{shard}" in the name becomes the shard's index: every task of a Cloud
 * Run job gets the same arguments.
 */
static int
write_report(struct run *r, const char *path, double elapsed,
    struct err_ctx *ec)
{
	static const char *const mode[] = { "all", "hash", "seed" };
	struct report_run rr;
	char spec[48], desc[256], now[ISOTIME_LEN], expanded[4200];

	memset(ec, 0, sizeof *ec);
	if ((path = shard_path(&r->sh, path, expanded, sizeof expanded)) == NULL)
		return err_set(ec, ERR_USAGE, "--report path too long");
	snprintf(spec, sizeof spec, "%llu/%llu",
	    (unsigned long long)r->sh.index, (unsigned long long)r->sh.count);
	memset(&rr, 0, sizeof rr);
	rr.feed = r->feed_shown;
	rr.shard = spec;
	rr.shard_mode = mode[r->sh.mode];
	rr.shard_source = shard_describe(&r->sh, desc, sizeof desc);
	rr.started = r->started;
	rr.finished = isotime_now(now, sizeof now);
	rr.cached = r->n_cached;
	rr.processed = r->n_done;
	rr.failed = r->n_failed;
	rr.elapsed_s = elapsed;
	rr.dry_run = r->o->dry_run;
	rr.would_process = r->n_would;
	rr.would_skip = r->n_would_skip;
	rr.nrepos = r->njobs;
	rr.repo = report_repo;
	rr.ctx = r;
	rr.skipped = r->nskipped;
	rr.skips = r->skips;
	rr.nskips = r->nskips;
	return store_doc(r, path, report_run_json(&rr), ec);
}

/* ------------------------------------------------------------ setup */

static int
fatal(struct run *r, const struct err_ctx *ec, const char *what)
{
	char m[1024];
	const char *kv[] = { "error", m, NULL };

	err_format(ec, m, sizeof m);
	log_msg(&r->log, LOG_ERROR, "startup", what, kv);
	/* fatal: also one line on stderr for whoever ran the command */
	log_err(NULL, "%s: %s", what, m);
	return 1;
}

/* Step 1: everything that would fail every repository, before any work. */
static int
run_setup(struct run *r)
{
	const struct run_opts *o = r->o;
	struct err_ctx ec;
	char desc[256];
	int e;

	memset(&ec, 0, sizeof ec);
	if (shard_config(&r->sh, o->shard, o->batch_size, o->offset, &ec) != 0)
		return fatal(r, &ec, "Bad shard configuration");
	{
		const char *kv[] = { "shard", shard_describe(&r->sh, desc,
		    sizeof desc), "feed", r->feed_shown, "output", o->out,
		    "mode", o->dry_run ? "dry run: nothing is stored" : "",
		    NULL };
		if (!o->dry_run)
			kv[6] = NULL;
		log_msg(&r->log, LOG_NOTE, "startup", "Starting pipeline", kv);
	}
	memset(&ec, 0, sizeof ec);
	if (job_config_init(&r->cfg, &o->set, &ec) != 0)
		return fatal(r, &ec, "Bad pattern");
	r->cfg.archive_url = o->archive_url;
	r->cfg.api_base = o->api_base;
	r->cfg.token = o->token;
	r->cfg.attempts = o->attempts > 0 ? o->attempts : 1;
	/* one worker: the digest's token thread uses the second core */
	r->cfg.token_thread = o->jobs == 1;
	r->cfg.force = o->force;
	r->cfg.dry_run = o->dry_run;
	/* the sink's settings (an S3 destination's credentials); nothing is
	 * created yet: the workers make the directory once the feed is read.
	 * It stays open for the run: the log redacts its secrets. */
	memset(&ec, 0, sizeof ec);
	e = sink_open(&r->secrets, o->out, &r->net, SINK_READONLY, &ec);
	if (e == 0) {
		const char *sv[2];
		size_t n = sink_secrets(&r->secrets, sv, 2);
		for (size_t i = 0; i < n; i++)
			log_add_secret(&r->log, sv[i]);
	}
	if (e != 0)
		return fatal(r, &ec, strncmp(o->out, "s3://", 5) == 0 ?
		    "Bad S3 configuration" : "Output is unusable");
	/* and the report's, not found missing after hours of work */
	memset(&ec, 0, sizeof ec);
	if (o->report != NULL && sink_doc_check(o->report, &r->net, &ec) != 0)
		return fatal(r, &ec, "Bad report destination");
	/* the state's too (an s3:// one), unless a dry run writes none */
	memset(&ec, 0, sizeof ec);
	if (!o->dry_run && o->state != NULL && sink_doc_check(o->state,
	    &r->net, &ec) != 0)
		return fatal(r, &ec, "Bad state destination");
	return 0;
}

/* Step 2: the feed, this shard's share, then --resume. */
static int
run_feed(struct run *r)
{
	const struct run_opts *o = r->o;
	struct feed_parser *fp = malloc(sizeof *fp);
	struct feed_list *fl = &r->feed;
	struct err_ctx ec;
	int e;

	r->skips = calloc(REPORT_SKIPPED_MAX, sizeof *r->skips);
	if (fp == NULL) {
		memset(&ec, 0, sizeof ec);
		err_set(&ec, ERR_NOMEM, NULL);
		return fatal(r, &ec, "Cannot read the feed");
	}
	/* parsed as it is read: skip lines come as records end */
	feed_init(fp, on_skip, r);
	e = read_feed(r, fp, &ec);
	if (e != 0) {
		feed_end(fp, fl, NULL);         /* releases what it holds */
		free(fp);
		fatal(r, &ec, "Cannot read the feed");
		if (e == ERR_NET_DNS_NONAME || e == ERR_NET_DNS)
			hint_offline(r, 1);
		return 1;
	}
	memset(&ec, 0, sizeof ec);
	err_field(ec.source, sizeof ec.source, r->feed_shown,
	    strlen(r->feed_shown));
	e = feed_end(fp, fl, &ec);
	free(fp);
	if (e != 0)
		return fatal(r, &ec, "Cannot parse the feed");
	/* this shard's jobs, compacted in place: no second array */
	r->jobs = fl->jobs;
	for (size_t i = 0; i < fl->njobs; i++)
		if (shard_keep(&r->sh, &fl->jobs[i]))
			r->jobs[r->njobs++] = fl->jobs[i];
	r->state = calloc(r->njobs ? r->njobs : 1, 1);
	r->errmsg = calloc(r->njobs ? r->njobs : 1, sizeof *r->errmsg);
	if (r->state == NULL || r->errmsg == NULL) {
		err_set(&ec, ERR_NOMEM, NULL);
		return fatal(r, &ec, "Cannot load the feed");
	}
	{
		char a[32], b[32], c[32];
		const char *kv[] = { "records", a, "valid", b, "this_shard", c, NULL };
		snprintf(a, sizeof a, "%zu", fl->nrecords);
		snprintf(b, sizeof b, "%zu", fl->njobs);
		snprintf(c, sizeof c, "%zu", r->njobs);
		log_msg(&r->log, LOG_NOTE, "feed", "Feed loaded", kv);
	}
	/* from here a signal stops the run, not the process: blocked in this
	 * thread and in every worker it starts, taken by take_signal (so one
	 * during a long --resume load is seen, not fatal) */
	sigemptyset(&r->sigs);
	sigaddset(&r->sigs, SIGTERM);
	sigaddset(&r->sigs, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &r->sigs, &r->oldmask) == 0) {
		/* an ignored signal is dropped, never pending: a shell starts
		 * background commands with SIGINT ignored, and the run must
		 * still stop on it (the default action never runs: blocked) */
		struct sigaction dfl;
		memset(&dfl, 0, sizeof dfl);
		dfl.sa_handler = SIG_DFL;
		sigaction(SIGTERM, &dfl, &r->old_term);
		sigaction(SIGINT, &dfl, &r->old_int);
		r->sigs_blocked = 1;
	}
	if (o->resume != NULL && load_resume(r, o->resume, &ec) != 0)
		return fatal(r, &ec, "Cannot resume");
	return 0;
}

/* Step 3: one request the cache check makes anyway (see sink_check). */
static int
run_preflight(struct run *r)
{
	struct job_spec spec;
	struct sink_object ob;
	struct err_ctx ec;
	char name[160];
	size_t i;
	int e;

	for (i = 0; i < r->njobs && r->state[i] != RUN_PENDING; i++)
		;
	if (i == r->njobs || r->secrets.kind != SINK_S3)
		return 0;
	snprintf(name, sizeof name, "%s/%s", r->jobs[i].owner, r->jobs[i].repo);
	job_spec_of(&r->jobs[i], name, (unsigned)r->o->formats, &spec);
	memset(&ec, 0, sizeof ec);
	if ((e = job_object(&r->cfg, &spec, (r->o->formats & RUN_FORMAT_FULL) ?
	    RENDER_FULL : RENDER_CHUNKS, &ob, &ec)) == 0)
		e = sink_check(&r->secrets, &ob, &ec);
	return e != 0 ? fatal(r, &ec, "S3 destination is unusable") : 0;
}

/* Step 4a: the workers' own state: sink, download client, body buffer. */
static int
workers_init(struct run *r)
{
	const struct run_opts *o = r->o;
	struct err_ctx ec;
	size_t nw = (size_t)(o->jobs > 0 ? o->jobs : 1);

	if (nw > r->njobs && r->njobs > 0)
		nw = r->njobs;
	r->ws = calloc(nw, sizeof *r->ws);
	r->th = calloc(nw, sizeof *r->th);
	memset(&ec, 0, sizeof ec);
	if (r->ws == NULL || r->th == NULL) {
		err_set(&ec, ERR_NOMEM, NULL);
		return fatal(r, &ec, "Cannot start the workers");
	}
	for (size_t i = 0; i < nw; i++) {
		struct worker *w = &r->ws[i];
		struct fetch_opts fo;
		/* any non-zero seed; differs per worker and per run */
		uint32_t seed = (uint32_t)time(NULL) ^ (uint32_t)getpid() *
		    2654435761u ^ (uint32_t)(i + 1) * 40503u;
		w->r = r;
		if (o->fetch != NULL)
			fo = *o->fetch;
		fo.total_ms = o->timeout_s * 1000;      /* per attempt */
		r->nw = i + 1;
		if (job_worker_init(&w->jw, o->out, &r->net, o->dry_run ?
		    SINK_READONLY : 0, o->fetch != NULL && !o->dry_run ? &fo :
		    NULL, seed, &ec) != 0)
			return fatal(r, &ec, "Output is unusable");
	}
	return 0;
}

/*
 * Step 4b: start the workers and watch them until every one has finished
 * (joined). Returns 0, or 1 when no worker could be started. A signal
 * (take_signal) stops the run; grace_s later the jobs in flight are
 * cancelled, and they end within about a second (job.h).
 */
static int
run_workers(struct run *r)
{
	const struct run_opts *o = r->o;
	double stop_at = 0, shown = 0;
	size_t started = 0;

	r->active = r->nw;
	/* one that came while the feed loaded: no job starts */
	take_signal(r, 0);
	for (size_t i = 0; i < r->nw; i++) {
		if (pthread_create(&r->th[i], NULL, worker_main, &r->ws[i]) != 0)
			break;
		started++;
	}
	if (started < r->nw) {
		/* fewer threads than asked: the ones running take every job
		 * (they loop until none is left), so the run goes on */
		char a[32], b[32];
		const char *kv[] = { "started", a, "asked", b, NULL };
		snprintf(a, sizeof a, "%zu", started);
		snprintf(b, sizeof b, "%zu", r->nw);
		pthread_mutex_lock(&r->mu);
		r->active -= r->nw - started;
		pthread_mutex_unlock(&r->mu);
		log_msg(&r->log, LOG_WARN, "startup", "Cannot start every worker",
		    kv);
		r->nw = started;
		if (started == 0) {
			struct err_ctx ec;
			memset(&ec, 0, sizeof ec);
			err_set(&ec, ERR_NOMEM, "no thread could be started");
			return fatal(r, &ec, "Cannot start the workers");
		}
	}
	for (;;) {
		size_t act;
		pthread_mutex_lock(&r->mu);
		act = r->active;
		pthread_mutex_unlock(&r->mu);
		if (act == 0)
			break;
		if (stopped(r) && stop_at == 0) {
			const char *kv[] = { NULL };
			stop_at = now_s() + o->grace_s;
			log_msg(&r->log, LOG_WARN, "shutdown", "Signal received: "
			    "finishing the repos in flight", kv);
		}
		if (stop_at != 0 && (now_s() > stop_at || r->signals > 1) &&
		    !cancel_requested(&r->cancel)) {
			/* a second signal is the user asking again: at once,
			 * as most tools do */
			const char *kv[] = { NULL };
			log_msg(&r->log, LOG_WARN, "shutdown", r->signals > 1 ?
			    "Second signal: cancelling the repos in flight" :
			    "Grace period over: cancelling the repos in flight",
			    kv);
			cancel_request(&r->cancel);
		}
		/* a few updates a second: enough to read, cheap */
		if (o->log_format == LOG_TTY && now_s() - shown >= 0.25) {
			status_line(r);
			shown = now_s();
		}
		/* the pause between looks, and where a signal is taken */
		take_signal(r, 50);
	}
	for (size_t i = 0; i < r->nw; i++)
		pthread_join(r->th[i], NULL);
	return 0;
}

/* Step 5: state, report, summary, exit status; every worker joined. */
static int
run_finish(struct run *r, int status, int interrupted)
{
	const struct run_opts *o = r->o;
	double el = now_s() - r->t0;
	size_t total = r->njobs - r->n_earlier, attempted, pending = 0;
	char line[512], m[1024];
	struct err_ctx ec;
	int state_bad = 0, report_bad = 0;

	log_status(&r->log, "");
	/* a dry run did nothing: no state that --resume could trust */
	if (!o->dry_run && write_state(r, o->state ? o->state :
	    PIPELINE_DEFAULT_STATE, &ec) != 0) {
		const char *kv[] = { "error", m, NULL };
		err_format(&ec, m, sizeof m);
		log_msg(&r->log, LOG_ERROR, "state", "Cannot write the state", kv);
		log_err(NULL, "cannot write the state file: %s", m);
		state_bad = 1;
	}
	if (o->report && write_report(r, o->report, el, &ec) != 0) {
		const char *kv[] = { "error", m, NULL };
		err_format(&ec, m, sizeof m);
		log_msg(&r->log, LOG_ERROR, "report", "Cannot write the report",
		    kv);
		log_err(NULL, "cannot write the report: %s", m);
		report_bad = 1;
	}
	for (size_t i = 0; i < r->njobs; i++)
		pending += r->state[i] == RUN_PENDING || r->state[i] == RUN_RUNNING;
	if (interrupted)
		/* not "complete": the jobs it did not finish are pending */
		snprintf(line, sizeof line, "%s interrupted: %zu total, %zu "
		    "cached, %zu processed, %zu failed, %zu pending, stopped "
		    "after %.1fs", o->dry_run ? "Dry run" : "Pipeline", total,
		    o->dry_run ? r->n_would_skip : r->n_cached, o->dry_run ?
		    r->n_would : r->n_done, r->n_failed, pending, el);
	else if (o->dry_run)
		snprintf(line, sizeof line, "Dry run complete: %zu total, %zu would "
		    "be skipped as cached, %zu would be processed, %zu failed, "
		    "nothing stored, in %.1fs", total, r->n_would_skip,
		    r->n_would, r->n_failed, el);
	else
		snprintf(line, sizeof line, "Pipeline complete: %zu total, %zu "
		    "cached (%.1f%%), %zu processed, %zu failed, completed in "
		    "%.1fs", total, r->n_cached,
		    total ? 100.0 * r->n_cached / total : 0.0, r->n_done,
		    r->n_failed, el);
	if (status == 0 || status == 130) {
		const char *kv[] = { NULL };
		log_msg(&r->log, interrupted ? LOG_WARN : LOG_NOTE, "summary",
		    line, kv);
	}
	fflush(stdout);
	if (status != 0)
		return status;
	if (interrupted)
		return 130;
	/* a batch whose account is lost is not a success */
	if (state_bad || report_bad)
		return 1;
	if (o->max_failures >= 0 && (long)r->n_failed > o->max_failures) {
		log_err(NULL, "%s", line);
		log_err(NULL, "%zu repos failed, more than --max-failures %ld",
		    r->n_failed, o->max_failures);
		return 1;
	}
	/* every repository tried failed: the run did not do its job (a Job
	 * must not be marked Succeeded for it) */
	attempted = r->n_failed + r->n_done + r->n_cached + r->n_would +
	    r->n_would_skip;
	if (r->n_failed > 0 && r->n_failed == attempted) {
		log_err(NULL, "%s", line);
		log_err(NULL, "every repository attempted failed (%zu)",
		    r->n_failed);
		return 1;
	}
	return 0;
}

static void
run_free(struct run *r)
{
	for (size_t i = 0; r->ws != NULL && i < r->nw; i++)
		job_worker_free(&r->ws[i].jw);
	for (size_t i = 0; r->errmsg != NULL && i < r->njobs; i++)
		free(r->errmsg[i]);
	free(r->errmsg);
	free(r->state);
	for (size_t i = 0; i < r->nskips; i++) {
		free((char *)r->skips[i].record);
		free((char *)r->skips[i].reason);
	}
	free(r->skips);
	feed_list_free(&r->feed);      /* r->jobs is its array */
	free(r->ws);
	free(r->th);
	log_free(&r->log);
	sink_close(&r->secrets);        /* wipes them */
	if (r->sigs_blocked) {
		/* a signal that came after the last look stops nothing more:
		 * taken here, not delivered once the mask is restored */
		while (take_signal(r, 0))
			;
		sigaction(SIGTERM, &r->old_term, NULL);
		sigaction(SIGINT, &r->old_int, NULL);
		pthread_sigmask(SIG_SETMASK, &r->oldmask, NULL);
	}
	pthread_mutex_destroy(&r->mu);
	free(r);
}

/* see pipeline.h */
int
pipeline_run(const struct run_opts *o)
{
	struct run *r = calloc(1, sizeof *r);
	int status;

	if (r == NULL) {
		log_err(NULL, "%s", err_str(ERR_NOMEM));
		return 1;
	}
	r->o = o;
	r->t0 = now_s();
	isotime_now(r->started, sizeof r->started);
	pthread_mutex_init(&r->mu, NULL);
	log_init(&r->log, stdout, o->log_format);
	log_add_secret(&r->log, o->token);
	/* a URL's userinfo or query may hold a token (url.h); a path is shown
	 * as it is, '@' and all */
	if (strstr(o->feed, "://") != NULL)
		url_redact(o->feed, r->feed_shown, sizeof r->feed_shown);
	else
		snprintf(r->feed_shown, sizeof r->feed_shown, "%s", o->feed);
	r->secrets.dirfd = -1;
	atomic_init(&r->stop, 0);
	atomic_init(&r->hinted, 0);
	cancel_init(&r->cancel, NULL);
	r->net.s3_endpoint = o->s3_endpoint;
	r->net.s3_region = o->s3_region;
	r->net.fetch = o->fetch;

	if ((status = run_setup(r)) != 0 || (status = run_feed(r)) != 0 ||
	    (status = run_preflight(r)) != 0) {
		run_free(r);
		return status;
	}
	if ((status = workers_init(r)) != 0) {
		run_free(r);
		return status;
	}
	status = run_workers(r);
	/* one that came after the workers' last look is an interrupt too */
	take_signal(r, 0);
	status = run_finish(r, status, status == 0 && stopped(r));
	run_free(r);
	return status;
}
