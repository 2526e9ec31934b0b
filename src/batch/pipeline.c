/*
 * pipeline.c - the batch run. See pipeline.h.
 *
 * pipeline_run is five steps, each a function below:
 *   setup      settings that would fail every repository are checked before
 *              any work: shard, patterns, the mirror template, the sink and
 *              the report's destination
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
 * Threads: workers take the next job index under one mutex and do everything
 * for that job with their own digest, sink and network clients (no sharing
 * on the hot path). Results land in a per-job array; counters and the job
 * index share the mutex; the stop flag is an atomic, set by the handler.
 *
 * Signals: the handler only sets the flag. Workers stop taking jobs; the main
 * thread waits up to grace_s for the jobs in flight. If they finish, it joins
 * them and finishes as usual. If the grace period runs out, it writes the
 * state and report (under the mutex, so they are consistent) and returns
 * 130 at once, leaving the run's memory to the workers still running: cli
 * exits the process, which ends them. Nothing partial is ever stored (see
 * sink.h), so abandoning a worker mid-write loses only that repo's work.
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
#include "fnv.h"
#include "cJSON.h"
#include "digest.h"
#include "feed.h"
#include "isotime.h"
#include "jsonl.h"
#include "log.h"
#include "pipeline.h"
#include "report.h"
#include "shard.h"
#include "sink.h"
#include "source.h"
#include "url.h"

/* The state of a job. Each maps to one report status (report.h): the
 * report's names live there, beside the reader that checks them. */
enum job_state { JOB_PENDING = 0, JOB_RUNNING, JOB_CACHED, JOB_DONE,
    JOB_FAILED, JOB_SKIPPED_RESUME, JOB_WOULD_PROCESS, JOB_WOULD_SKIP,
    JOB__COUNT };

static const unsigned char job_report_status[JOB__COUNT] = {
	[JOB_PENDING] = RS_PENDING, [JOB_RUNNING] = RS_PENDING,
	[JOB_CACHED] = RS_CACHED, [JOB_DONE] = RS_PROCESSED,
	[JOB_FAILED] = RS_FAILED, [JOB_SKIPPED_RESUME] = RS_EARLIER,
	/* a dry run did nothing: not done, with what it would do */
	[JOB_WOULD_PROCESS] = RS_PENDING, [JOB_WOULD_SKIP] = RS_PENDING,
};

/* The one mutable global: set by the signal handler, read by every thread.
 * A lock-free atomic is both async-signal-safe and race-free. */
static atomic_int stop_flag;

static void
on_signal(int sig)
{
	(void)sig;
	atomic_store_explicit(&stop_flag, 1, memory_order_relaxed);
}

static int
stopped(void)
{
	return atomic_load_explicit(&stop_flag, memory_order_relaxed) != 0;
}

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
	double t0;
	struct sink_settings set;       /* what the generator records: */
	struct sink_settings set_chunks; /* summary.txt's, chunks.jsonl's */
	struct sink_net net;
	struct shard sh;                /* for the report */
	char feed_shown[1024];          /* the feed URL, secrets redacted */
	char started[ISOTIME_LEN];      /* ISO time, for the report */
	double pause_until;             /* no download starts before (now_s) */
	char s3_secret[129];             /* redacted from log lines */
	char s3_token[4096];
	struct worker *ws;
	pthread_t *th;
	size_t nw;                      /* workers started */
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------ feed */

struct skip_ctx {
	struct log *log;
	size_t skipped;
};

static void
on_skip(void *ctx, size_t index, const char *who, const char *reason)
{
	struct skip_ctx *s = ctx;
	char idx[32];
	const char *kv[] = { "index", idx, "repo", who, "reason", reason, NULL };

	snprintf(idx, sizeof idx, "%zu", index);
	s->skipped++;
	log_msg(s->log, LOG_WARN, "feed", "Skipping feed record", kv);
}

/* fetch's body sink: each piece straight into the parser */
static int
push_piece(void *ctx, const uint8_t *p, size_t n)
{
	return feed_push(ctx, p, n);
}

/*
 * Stream the feed (file, "-" or URL) into the parser as it is read: never
 * held whole. Returns a read error (ec filled), or 0 when the input ended or
 * the parser refused it (feed_end reports that).
 */
static int
read_feed(struct run *r, struct feed_parser *fp, struct err_ctx *ec)
{
	const struct run_opts *o = r->o;

	memset(ec, 0, sizeof ec[0]);
	err_field(ec->source, sizeof ec->source, r->feed_shown,
	    strlen(r->feed_shown));
	if (strncmp(o->feed, "https://", 8) == 0 ||
	    strncmp(o->feed, "http://", 7) == 0 ||
	    strncmp(o->feed, "file://", 7) == 0) {
		struct fetch_client fc;
		struct fetch_req rq;
		struct fetch_resp rs;
		int e;
		if ((e = fetch_init(&fc, o->fetch)) != 0) {
			fetch_free(&fc);
			return err_set(ec, e, NULL);
		}
		memset(&rq, 0, sizeof rq);
		rq.method = "GET";
		rq.url = o->feed;
		/* only a 2xx body reaches the parser (fetch.h) */
		e = fetch_do(&fc, &rq, &rs, push_piece, fp, ec);
		if (e == 0 && (rs.status < 200 || rs.status >= 300))
			e = err_set(ec, http_status_err(rs.status), "HTTP %d",
			    rs.status);
		fetch_resp_free(&rs);
		fetch_free(&fc);
		/* fetch names the URL it asked; name it without secrets */
		err_field(ec->source, sizeof ec->source, r->feed_shown,
		    strlen(r->feed_shown));
		/* the parser stopped the transfer: its error, not a read's */
		return feed_push(fp, NULL, 0) != 0 ? 0 : e;
	} else {
		int fd = strcmp(o->feed, "-") == 0 ? 0 :
		    open(o->feed, O_RDONLY | O_CLOEXEC);
		uint8_t tmp[65536];
		if (fd < 0) {
			ec->sys_errno = errno;
			return err_set(ec, errno == ENOENT ? ERR_NOENT : ERR_IO,
			    NULL);
		}
		for (;;) {
			ssize_t n = read(fd, tmp, sizeof tmp);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				ec->sys_errno = errno;
				if (fd != 0)
					close(fd);
				return err_set(ec, ERR_IO, NULL);
			}
			if (n == 0 || feed_push(fp, tmp, (size_t)n) != 0)
				break;
		}
		if (fd != 0)
			close(fd);
	}
	return 0;
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

/* Names of repos already done, from a state file written by a previous run. */
static int
load_resume(struct run *r, const char *path, struct err_ctx *ec)
{
	struct name_set ns;
	struct buf b;
	cJSON *root, *done, *it;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint8_t tmp[65536];
	ssize_t n;

	memset(ec, 0, sizeof *ec);
	err_field(ec->source, sizeof ec->source, path, strlen(path));
	if (fd < 0) {
		ec->sys_errno = errno;
		return err_set(ec, ERR_IO, "cannot read the state file");
	}
	buf_init(&b, 256u << 20);
	for (;;) {
		n = read(fd, tmp, sizeof tmp);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || buf_append(&b, tmp, (size_t)n) != 0)
			break;
	}
	close(fd);
	if (n != 0) {
		buf_free(&b);
		if (n < 0)
			ec->sys_errno = errno;
		return err_set(ec, n < 0 ? ERR_IO : ERR_LIMIT,
		    "cannot read the state file");
	}
	/* cJSON 1.7.15 may read one byte past the length (feed.c): parse a
	 * NUL-terminated buffer */
	root = buf_cstr(&b) ? cJSON_ParseWithLength((const char *)b.p, b.len) :
	    NULL;
	buf_free(&b);
	if (root == NULL || !cJSON_IsArray(done = cJSON_GetObjectItem(root,
	    "done"))) {
		cJSON_Delete(root);
		return err_set(ec, ERR_UNSUPPORTED, "not a repodigest state file");
	}
	if (name_set_build(&ns, r->jobs, r->njobs) != 0) {
		cJSON_Delete(root);
		return err_set(ec, ERR_NOMEM, NULL);
	}
	cJSON_ArrayForEach(it, done) {
		long i;
		if (cJSON_IsString(it) &&
		    (i = name_set_find(&ns, r->jobs, it->valuestring)) >= 0 &&
		    r->state[i] != JOB_SKIPPED_RESUME) {
			r->state[i] = JOB_SKIPPED_RESUME;
			r->n_earlier++;
		}
	}
	free(ns.slot);
	cJSON_Delete(root);
	return 0;
}

/* ------------------------------------------------------------ one job */

struct worker {
	struct run *r;
	struct sink sink;
	struct buf body;
	struct fetch_client fc;         /* downloads: the mirror's connection
	                                 * kept alive from one repo to the next */
	uint32_t rng;                   /* backoff jitter (rand() is not
	                                 * thread-safe) */
	char msg[1024];                 /* the job's failure text */
};

/* xorshift32: the worker's own jitter source, in [0, 1) */
static double
jitter(struct worker *w)
{
	uint32_t x = w->rng;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	w->rng = x;
	return (double)x / 4294967296.0;
}

static int
render_buf(void *ctx, struct out *o)
{
	const struct buf *b = ctx;

	return out_write(o, b->p, b->len);
}

/*
 * The objects a job may store, in this order (run_opts.formats): the full
 * text body and the chunks. Each has its own settings, generator and cache
 * check; one download makes all that are due.
 */
enum { OBJ_FULL, OBJ_CHUNKS, OBJ__COUNT };

/* The stored object k (OBJ_*) of job j: key, generator and the feed's
 * metadata. */
static int
job_object(const struct run *r, const struct feed_job *j, int k,
    struct sink_object *ob, struct err_ctx *ec)
{
	int e = sink_object_init(ob, j->owner, j->repo, k == OBJ_CHUNKS ?
	    SINK_CHUNKS : SINK_SUMMARY, k == OBJ_CHUNKS ? &r->set_chunks :
	    &r->set, ec);

	if (e == 0) {
		snprintf(ob->pushedat, sizeof ob->pushedat, "%s", j->pushed_at);
		snprintf(ob->url, sizeof ob->url, "%s", j->url);
	}
	return e;
}

/* Whether the run stores object k (OBJ_*). */
static int
wants(const struct run *r, int k)
{
	return (r->o->formats & (k == OBJ_CHUNKS ? RUN_FORMAT_CHUNKS :
	    RUN_FORMAT_FULL)) != 0;
}

/* Cache check: is the stored object current? 1 yes, 0 no, -1 error. */
static int
is_cached(struct worker *w, const struct feed_job *j,
    const struct sink_object *ob, struct err_ctx *ec)
{
	struct sink_meta_read m;

	if (w->r->o->force || !j->has_pushed_at)
		return 0;
	if (sink_head(&w->sink, ob, &m, ec) != 0)
		return -1;
	return sink_is_current(&m, ob);
}

/* What one download made, for every object the job stores. */
struct job_digest {
	struct digest *d;
	struct source_info *info;
};

static void
job_digest_free(struct job_digest *jd)
{
	if (jd->d != NULL)
		digest_free(jd->d);
	free(jd->d);
	free(jd->info);
}

/*
 * Download and digest job j into jd (the caller frees it, also on error).
 * Capped at max_output, unless chunks are due: the chunker needs every kept
 * body, which a capped digest drops once it can no longer be shown (the
 * full body is capped when rendered all the same, so it is the same).
 * Tokens are estimated only when the full text is due: its summary is the
 * one place a run shows the figure.
 */
static int
digest_job(struct worker *w, const struct feed_job *j, int full, int chunks,
    struct job_digest *jd, struct err_ctx *ec)
{
	struct run *r = w->r;
	struct digest_opts dopt;
	struct source_opts so;
	struct fetch_opts fo = *r->o->fetch;
	char src[160];
	int e;

	jd->info = malloc(sizeof *jd->info);
	jd->d = malloc(sizeof *jd->d);
	if (jd->info == NULL || jd->d == NULL) {
		free(jd->d);
		jd->d = NULL;
		return err_set(ec, ERR_NOMEM, NULL);
	}
	memset(&dopt, 0, sizeof dopt);
	dopt.max_depth = -1;
	dopt.use_ignore_files = 1;
	dopt.max_output = chunks ? 0 : r->o->max_output;
	dopt.includes = r->o->includes;
	dopt.excludes = r->o->excludes;
	dopt.token_thread = r->o->jobs == 1;
	dopt.no_tokens = !full;
	fo.total_ms = r->o->timeout_s * 1000;
	memset(&so, 0, sizeof so);
	snprintf(src, sizeof src, "%s/%s", j->owner, j->repo);
	so.repo = src;
	so.remote_only = 1;
	so.strip = -1;
	so.fetch = &fo;
	so.client = w->fc.conn != NULL ? &w->fc : NULL;
	so.archive_url = r->o->archive_url;
	so.token = r->o->token;
	so.api_base = r->o->api_base;
	e = digest_init(jd->d, &dopt);
	if (e == 0)
		e = source_digest(src, &so, jd->d, jd->info, ec);
	else
		err_set(ec, e, NULL);
	return e;
}

/* Render the full body (summary, tree, content, capped) into w->body. */
static int
render_full(struct worker *w, const struct job_digest *jd,
    struct err_ctx *ec)
{
	struct out *o = malloc(sizeof *o);
	struct buf sum;
	int e = 0;

	if (o == NULL)
		return err_set(ec, ERR_NOMEM, NULL);
	buf_init(&sum, 1 << 20);
	buf_reset(&w->body);
	out_init_mem(o, &w->body, w->r->o->max_output);
	if (digest_summary(jd->d, jd->info->header, &sum) != 0 ||
	    out_write(o, sum.p, sum.len) || out_write(o, "\n", 1))
		e = err_set(ec, ERR_NOMEM, NULL);
	if (e == 0) {
		digest_write_tree(jd->d, o);
		out_write(o, "\n", 1);
		if ((e = digest_write_content(jd->d, o)) != 0 || o->err)
			e = err_set(ec, e ? e : o->err, "rendering");
	}
	buf_free(&sum);
	free(o);
	return e;
}

/* chunks.jsonl of a job (sink_render_fn): every kept text file, split. */
struct chunks_job {
	const struct run *r;
	struct digest *d;
	struct chunkw_meta meta;
};

static int
render_chunks(void *ctx, struct out *o)
{
	struct chunks_job *cj = ctx;

	return chunkw_render(o, &cj->meta, (size_t)cj->r->o->chunk_size,
	    (size_t)cj->r->o->chunk_overlap, cj->d);
}

/*
 * One attempt at job j: one download, then each object marked in due
 * stored with the commit it was made from, and unmarked (a retry after a
 * failed second put does not store the first again). Returns 0 or the first
 * error.
 */
static int
store_job(struct worker *w, const struct feed_job *j,
    struct sink_object ob[OBJ__COUNT], int due[OBJ__COUNT],
    struct err_ctx *ec)
{
	struct job_digest jd = { NULL, NULL };
	struct chunks_job cj;
	char repo[160];
	int e = digest_job(w, j, due[OBJ_FULL], due[OBJ_CHUNKS], &jd, ec);

	for (int k = 0; k < OBJ__COUNT && e == 0; k++) {
		if (!due[k])
			continue;
		snprintf(ob[k].commit, sizeof ob[k].commit, "%s",
		    jd.info->commit);
		if (k == OBJ_FULL) {
			if ((e = render_full(w, &jd, ec)) == 0)
				e = sink_put(&w->sink, &ob[k], render_buf,
				    &w->body, ec);
		} else {
			snprintf(repo, sizeof repo, "%s/%s", j->owner, j->repo);
			cj.r = w->r;
			cj.d = jd.d;
			cj.meta.repo = repo;
			cj.meta.ref = "";       /* the default branch */
			cj.meta.commit = jd.info->commit;
			e = sink_put(&w->sink, &ob[k], render_chunks, &cj, ec);
		}
		if (e == 0)
			due[k] = 0;
	}
	job_digest_free(&jd);
	return e;
}

/* Sleep up to secs, waking early when a stop was asked for. */
static void
nap(double secs)
{
	double end = now_s() + secs;

	while (!stopped() && now_s() < end) {
		struct timespec ts = { 0, 100 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

/* Rate-limit answers a repo may get without using up its attempts. */
#define RATE_LIMIT_WAITS 8

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

static void
wait_downloads(struct run *r)
{
	for (;;) {
		double left;
		pthread_mutex_lock(&r->mu);
		left = r->pause_until - now_s();
		pthread_mutex_unlock(&r->mu);
		if (left <= 0 || stopped())
			return;
		nap(left < 1 ? left : 1);       /* the pause may grow meanwhile */
	}
}

/* One job with retries. Returns JOB_CACHED, JOB_DONE or JOB_FAILED. */
static int
run_job(struct worker *w, size_t i, char *msg, size_t mcap)
{
	struct run *r = w->r;
	const struct feed_job *j = &r->jobs[i];
	struct err_ctx ec;
	struct sink_object ob[OBJ__COUNT];
	int due[OBJ__COUNT] = { 0, 0 };
	char name[160], objs[64] = "";
	int e = 0, c = 1, limited = 0, paused, tries = 0, first = -1;

	snprintf(name, sizeof name, "%s/%s", j->owner, j->repo);
	/* a cache hit only if every object asked for is current; else those
	 * that are not are made, from one download */
	for (int k = 0; k < OBJ__COUNT; k++) {
		int ck;
		if (!wants(r, k))
			continue;
		memset(&ec, 0, sizeof ec);
		if ((e = job_object(r, j, k, &ob[k], &ec)) != 0) {
			err_format(&ec, msg, mcap);
			return JOB_FAILED;
		}
		ck = is_cached(w, j, &ob[k], &ec);
		if (ck < 0) {
			/* an unusable cache is not fatal for the job: fetch
			 * anyway */
			char m[512];
			const char *kv[] = { "repo", name, "error", m, NULL };
			err_format(&ec, m, sizeof m);
			log_msg(&r->log, LOG_WARN, "cache", "Cache check failed",
			    kv);
		}
		due[k] = ck != 1;
		if (ck != 1)
			c = 0;
		if (due[k] && first < 0)
			first = k;
		if (due[k])
			snprintf(objs + strlen(objs), sizeof objs - strlen(objs),
			    "%s%s", objs[0] ? "," : "", ob[k].name);
	}
	if (c == 1) {
		const char *kv[] = { "repo", name, "pushedAt", j->pushed_at, NULL };
		log_msg(&r->log, LOG_INFO, "cache", r->o->dry_run ?
		    "Cache hit: would skip" : "Cache hit, skipping", kv);
		return r->o->dry_run ? JOB_WOULD_SKIP : JOB_CACHED;
	}
	if (r->o->dry_run) {
		const char *kv[] = { "repo", name, NULL };
		log_msg(&r->log, LOG_INFO, "dry-run", "Would fetch and store", kv);
		return JOB_WOULD_PROCESS;
	}
	for (int attempt = 1; attempt <= r->o->attempts && !stopped(); attempt++) {
		wait_downloads(r);
		if (stopped())
			break;
		memset(&ec, 0, sizeof ec);
		tries++;
		e = store_job(w, j, ob, due, &ec);
		if (e == 0) {
			const char *kv[] = { "repo", name, "commit",
			    ob[first].commit, "objects", objs, NULL };
			/* the objects only when there is a choice (--format) */
			if (r->o->formats == RUN_FORMAT_FULL)
				kv[4] = NULL;
			log_msg(&r->log, LOG_INFO, "process", "Stored digest", kv);
			return JOB_DONE;
		}
		err_format(&ec, msg, mcap);
		/* being told to wait is not a failed attempt (a few times) */
		if (ec.retry_after > 0 && ec.retry_after <= 3600 &&
		    err_retryable(e) && limited++ < RATE_LIMIT_WAITS)
			attempt--;
		if (!err_retryable(e) || attempt == r->o->attempts)
			break;
		{
			/* 1 s, 2 s, 4 s ... with +-25% jitter, or what the
			 * server asked for */
			double wait;
			char a[16], ws[32];
			const char *kv[] = { "repo", name, "attempt", a, "wait", ws,
			    "error", msg, NULL };
			paused = ec.retry_after > 0 && ec.retry_after <= 3600;
			if (paused)
				wait = (double)ec.retry_after;
			else    /* attempt >= 1 here: only a pause undoes one */
				wait = (double)(1u << (attempt - 1)) *
				    (0.75 + 0.5 * jitter(w));
			snprintf(a, sizeof a, "%d", tries);
			snprintf(ws, sizeof ws, "%.1fs", wait);
			log_msg(&r->log, LOG_WARN, "process", "Retrying", kv);
			if (paused)     /* waited for at the top, with the others */
				pause_downloads(r, wait);
			else
				nap(wait);
		}
	}
	{
		const char *kv[] = { "repo", name, "error", msg, NULL };
		log_msg(&r->log, LOG_ERROR, "process", "Failed", kv);
	}
	return JOB_FAILED;
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
		total -= r->state[i] == JOB_SKIPPED_RESUME;
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
		while (r->next < r->njobs && r->state[r->next] != JOB_PENDING)
			r->next++;
		if (stopped() || r->next >= r->njobs ||
		    (r->o->max_failures >= 0 &&
		    (long)r->n_failed > r->o->max_failures)) {
			r->active--;
			pthread_mutex_unlock(&r->mu);
			break;
		}
		i = r->next++;
		r->state[i] = JOB_RUNNING;
		pthread_mutex_unlock(&r->mu);

		w->msg[0] = '\0';
		st = run_job(w, i, w->msg, sizeof w->msg);

		pthread_mutex_lock(&r->mu);
		if (stopped() && st == JOB_FAILED)
			st = JOB_PENDING;       /* interrupted, not failed */
		r->state[i] = (uint8_t)st;
		/* no memory for the text: the status still says failed */
		if (st == JOB_FAILED && w->msg[0])
			r->errmsg[i] = strdup(w->msg);
		r->n_cached += st == JOB_CACHED;
		r->n_done += st == JOB_DONE;
		r->n_failed += st == JOB_FAILED;
		r->n_would += st == JOB_WOULD_PROCESS;
		r->n_would_skip += st == JOB_WOULD_SKIP;
		if (st != JOB_PENDING && ++r->n_finished % 100 == 0)
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
		cJSON *to = st == JOB_DONE || st == JOB_CACHED ||
		    st == JOB_SKIPPED_RESUME ? done : st == JOB_FAILED ? failed :
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
	out->status = job_report_status[st];
	out->would = st == JOB_WOULD_PROCESS ? "process" :
	    st == JOB_WOULD_SKIP ? "skip (cached)" : NULL;
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
	const char *mark = strstr(path, "{shard}");
	char spec[48], desc[256], now[ISOTIME_LEN], expanded[1100];

	if (mark != NULL) {
		snprintf(expanded, sizeof expanded, "%.*s%llu%s",
		    (int)(mark - path), path, (unsigned long long)r->sh.index,
		    mark + 7);
		path = expanded;
	}
	memset(ec, 0, sizeof *ec);
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
	return store_doc(r, path, report_run_json(&rr), ec);
}

/* ------------------------------------------------------------ setup */

/* Each -i and -e pattern compiles; the first that does not is named. */
static int
check_patterns(const struct run_opts *o, struct err_ctx *ec)
{
	const char *const *lists[2] = { o->includes, o->excludes };
	struct digest *d = malloc(sizeof *d);
	int e = d == NULL ? err_set(ec, ERR_NOMEM, NULL) : 0;

	for (int k = 0; k < 2 && e == 0; k++) {
		for (const char *const *p = lists[k]; p && *p && e == 0; p++) {
			const char *one[2] = { *p, NULL };
			struct digest_opts dopt;
			memset(&dopt, 0, sizeof dopt);
			dopt.max_depth = -1;
			dopt.max_output = 1;    /* no arena: nothing is stored */
			if (k == 0)
				dopt.includes = one;
			else
				dopt.excludes = one;
			if ((e = digest_init(d, &dopt)) != 0)
				err_set(ec, e, "%s", *p);
			digest_free(d);
		}
	}
	free(d);
	return e;
}

/*
 * The mirror template expands for a plain name into a URL we can fetch
 * (https, http or file), as it will for every repository: else each one
 * would fail the same way, after the feed was read and the run counted.
 */
static int
check_template(const char *tmpl, struct err_ctx *ec)
{
	struct url_github g;
	char url[URL_MAX + 1];
	size_t len;
	int e;

	if (tmpl == NULL)
		return 0;
	memset(&g, 0, sizeof g);
	snprintf(g.owner, sizeof g.owner, "owner");
	g.owner_len = 5;
	snprintf(g.repo, sizeof g.repo, "repo");
	g.repo_len = 4;
	err_field(ec->source, sizeof ec->source, tmpl, strlen(tmpl));
	if ((e = url_template(tmpl, strlen(tmpl), &g, NULL, 0, url, sizeof url,
	    &len)) != 0)
		return err_set(ec, e, NULL);
	if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "file://", 7) != 0)
		return err_set(ec, ERR_URL_SCHEME, "want https://, http:// or "
		    "file://");
	return 0;
}

static int
fatal(struct run *r, const struct err_ctx *ec, const char *what)
{
	char m[1024];
	const char *kv[] = { "error", m, NULL };

	err_format(ec, m, sizeof m);
	log_msg(&r->log, LOG_ERROR, "startup", what, kv);
	/* fatal: also one line on stderr for whoever ran the command */
	fprintf(stderr, "repodigest: %s: %s\n", what, m);
	return 1;
}

/* Step 1: everything that would fail every repository, before any work. */
static int
run_setup(struct run *r)
{
	const struct run_opts *o = r->o;
	struct sink probe;
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
	if (check_patterns(o, &ec) != 0)
		return fatal(r, &ec, "Bad pattern");
	memset(&ec, 0, sizeof ec);
	if (check_template(o->archive_url, &ec) != 0)
		return fatal(r, &ec, "Bad --archive-url");
	/* the sink's settings (an S3 destination's credentials); nothing is
	 * created yet: the workers make the directory once the feed is read */
	memset(&ec, 0, sizeof ec);
	e = sink_open(&probe, o->out, &r->net, SINK_READONLY, &ec);
	if (e == 0 && probe.kind == SINK_S3) {
		/* the log keeps pointers: copies that live as long as it */
		snprintf(r->s3_secret, sizeof r->s3_secret, "%s",
		    probe.s3.cfg.secret);
		snprintf(r->s3_token, sizeof r->s3_token, "%s",
		    probe.s3.cfg.session_token);
		log_add_secret(&r->log, r->s3_secret);
		log_add_secret(&r->log, r->s3_token);
	}
	sink_close(&probe);
	if (e != 0)
		return fatal(r, &ec, strncmp(o->out, "s3://", 5) == 0 ?
		    "Bad S3 configuration" : "Output is unusable");
	/* and the report's, not found missing after hours of work */
	if (o->report != NULL && strncmp(o->report, "s3://", 5) == 0) {
		struct s3_config *rc = malloc(sizeof *rc);
		const char *key;
		memset(&ec, 0, sizeof ec);
		e = rc == NULL ? err_set(&ec, ERR_NOMEM, NULL) :
		    s3_object_config(rc, o->report, o->s3_endpoint,
		    o->s3_region, &key, &ec);
		if (rc != NULL)
			s3_config_wipe(rc);
		free(rc);
		if (e != 0)
			return fatal(r, &ec, "Bad report destination");
	}
	return 0;
}

/* Step 2: the feed, this shard's share, then --resume. */
static int
run_feed(struct run *r)
{
	const struct run_opts *o = r->o;
	struct feed_parser *fp = malloc(sizeof *fp);
	struct feed_list *fl = &r->feed;
	struct skip_ctx sk;
	struct err_ctx ec;
	struct sigaction sa;
	int e;

	if (fp == NULL) {
		memset(&ec, 0, sizeof ec);
		err_set(&ec, ERR_NOMEM, NULL);
		return fatal(r, &ec, "Cannot read the feed");
	}
	sk.log = &r->log;
	sk.skipped = 0;
	/* parsed as it is read: skip lines come as records end */
	feed_init(fp, on_skip, &sk);
	e = read_feed(r, fp, &ec);
	if (e != 0) {
		feed_end(fp, fl, NULL);         /* releases what it holds */
		free(fp);
		return fatal(r, &ec, "Cannot read the feed");
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
	/* a signal during a long --resume load is seen, not fatal */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (o->resume != NULL && load_resume(r, o->resume, &ec) != 0)
		return fatal(r, &ec, "Cannot resume");
	return 0;
}

/* Step 3: one request the cache check makes anyway (see sink_check). */
static int
run_preflight(struct run *r)
{
	struct sink *s = malloc(sizeof *s);
	struct sink_object ob;
	struct err_ctx ec;
	size_t i;
	int e;

	for (i = 0; i < r->njobs && r->state[i] != JOB_PENDING; i++)
		;
	if (i == r->njobs || strncmp(r->o->out, "s3://", 5) != 0) {
		free(s);
		return 0;
	}
	memset(&ec, 0, sizeof ec);
	if (s == NULL)
		e = err_set(&ec, ERR_NOMEM, NULL);
	else if ((e = sink_open(s, r->o->out, &r->net, 0, &ec)) == 0) {
		if ((e = job_object(r, &r->jobs[i], wants(r, OBJ_FULL) ?
		    OBJ_FULL : OBJ_CHUNKS, &ob, &ec)) == 0)
			e = sink_check(s, &ob, &ec);
		sink_close(s);
	}
	free(s);
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
		w->r = r;
		/* any non-zero seed; differs per worker and per run */
		w->rng = ((uint32_t)time(NULL) ^ (uint32_t)getpid() * 2654435761u ^
		    (uint32_t)(i + 1) * 40503u) | 1;
		buf_init(&w->body, 1u << 30);
		w->sink.dirfd = -1;
		if (o->fetch != NULL && !o->dry_run) {
			struct fetch_opts fo = *o->fetch;
			fo.total_ms = o->timeout_s * 1000;      /* as digest_job */
			if (fetch_init(&w->fc, &fo) != 0)
				fetch_free(&w->fc);     /* one client per job */
		}
		r->nw = i + 1;
		if (sink_open(&w->sink, o->out, &r->net, o->dry_run ?
		    SINK_READONLY : 0, &ec) != 0)
			return fatal(r, &ec, "Output is unusable");
	}
	return 0;
}

/*
 * Step 4b: start the workers and watch them. Returns 0 when every worker
 * has finished, 130 when the grace period after a signal ran out (the state
 * and report are written then, and the workers left running), 1 when no
 * worker could be started.
 */
static int
run_workers(struct run *r)
{
	const struct run_opts *o = r->o;
	double stop_at = 0, shown = 0;
	size_t started = 0;

	r->active = r->nw;
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
		struct timespec ts = { 0, 50 * 1000000L };
		pthread_mutex_lock(&r->mu);
		act = r->active;
		pthread_mutex_unlock(&r->mu);
		if (act == 0)
			break;
		if (stopped() && stop_at == 0) {
			const char *kv[] = { NULL };
			stop_at = now_s() + o->grace_s;
			log_msg(&r->log, LOG_WARN, "shutdown", "Signal received: "
			    "finishing the repos in flight", kv);
		}
		if (stop_at != 0 && now_s() > stop_at) {
			const char *kv[] = { NULL };
			log_msg(&r->log, LOG_WARN, "shutdown",
			    "Grace period over: abandoning the repos in flight",
			    kv);
			return 130;
		}
		/* a few updates a second: enough to read, cheap */
		if (o->log_format == LOG_TTY && now_s() - shown >= 0.25) {
			status_line(r);
			shown = now_s();
		}
		nanosleep(&ts, NULL);
	}
	for (size_t i = 0; i < r->nw; i++)
		pthread_join(r->th[i], NULL);
	return 0;
}

/*
 * Step 5: state, report, summary, exit status. Called with the mutex held
 * when workers may still run (abandoned), so what is written is consistent.
 */
static int
run_finish(struct run *r, int status, int interrupted)
{
	const struct run_opts *o = r->o;
	double el = now_s() - r->t0;
	size_t total = r->njobs - r->n_earlier, attempted;
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
		fprintf(stderr, "repodigest: cannot write the state file: %s\n", m);
		state_bad = 1;
	}
	if (o->report && write_report(r, o->report, el, &ec) != 0) {
		const char *kv[] = { "error", m, NULL };
		err_format(&ec, m, sizeof m);
		log_msg(&r->log, LOG_ERROR, "report", "Cannot write the report",
		    kv);
		fprintf(stderr, "repodigest: cannot write the report: %s\n", m);
		report_bad = 1;
	}
	if (o->dry_run)
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
		fprintf(stderr, "repodigest: %s\n", line);
		fprintf(stderr, "repodigest: %zu repos failed, more than "
		    "--max-failures %ld\n", r->n_failed, o->max_failures);
		return 1;
	}
	/* every repository tried failed: the run did not do its job (a Job
	 * must not be marked Succeeded for it) */
	attempted = r->n_failed + r->n_done + r->n_cached + r->n_would +
	    r->n_would_skip;
	if (r->n_failed > 0 && r->n_failed == attempted) {
		fprintf(stderr, "repodigest: %s\n", line);
		fprintf(stderr, "repodigest: every repository attempted failed "
		    "(%zu)\n", r->n_failed);
		return 1;
	}
	return 0;
}

static void
run_free(struct run *r)
{
	for (size_t i = 0; r->ws != NULL && i < r->nw; i++) {
		sink_close(&r->ws[i].sink);
		buf_free(&r->ws[i].body);
		fetch_free(&r->ws[i].fc);
	}
	for (size_t i = 0; r->errmsg != NULL && i < r->njobs; i++)
		free(r->errmsg[i]);
	free(r->errmsg);
	free(r->state);
	feed_list_free(&r->feed);      /* r->jobs is its array */
	free(r->ws);
	free(r->th);
	log_free(&r->log);
	for (volatile char *p = r->s3_secret; p < r->s3_secret +
	    sizeof r->s3_secret; p++)
		*p = 0;
	for (volatile char *p = r->s3_token; p < r->s3_token +
	    sizeof r->s3_token; p++)
		*p = 0;
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
		fprintf(stderr, "repodigest: %s\n", err_str(ERR_NOMEM));
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
	r->set.format = "full";
	r->set.max_output = o->max_output;
	r->set.includes = o->includes;
	r->set.excludes = o->excludes;
	/* chunks are never cut: no max-output in their generator */
	r->set_chunks = r->set;
	r->set_chunks.format = "chunks";
	r->set_chunks.max_output = 0;
	r->set_chunks.chunk_size = o->chunk_size;
	r->set_chunks.chunk_overlap = o->chunk_overlap;
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
	if (status == 130) {
		/* grace over: account for the run and leave; the workers
		 * still use r, so it is not freed (the process ends) */
		pthread_mutex_lock(&r->mu);
		status = run_finish(r, 130, 1);
		pthread_mutex_unlock(&r->mu);
		return status;
	}
	status = run_finish(r, status, status == 0 && stopped());
	run_free(r);
	return status;
}
