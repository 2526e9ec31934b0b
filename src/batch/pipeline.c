/*
 * pipeline.c - the batch run. See pipeline.h.
 *
 * Threads: the main thread reads the feed, starts o->jobs workers and then
 * watches for a stop signal; workers take the next job index under one mutex
 * and do everything for that job with their own digest and their own network
 * clients (no sharing on the hot path). Results land in a per-job array;
 * counters, the log and the job index share the mutex.
 *
 * Signals: the handler only sets a flag. Workers stop taking jobs; the main
 * thread waits up to grace_s for the jobs in flight, then writes the state
 * file (done / failed / pending) and exits. Nothing partial is ever stored:
 * local writes rename a complete temp file, S3 PUTs are whole objects.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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
#include "log.h"
#include "pipeline.h"
#include "report.h"
#include "s3.h"
#include "shard.h"
#include "sink.h"
#include "source.h"

/*
 * The generator recorded with every object, and half of the cache check: the
 * build and every option that changes the stored body (--max-output). A run
 * with another cap must not take digests made with the old one as current.
 */
#define GENERATOR_FMT "repodigest/%s digest/1 max-output/%llu"

/* -i and -e in the generator: FNV-1a 64 of each list, patterns in order. */
static uint64_t
patterns_hash(const struct run_opts *o)
{
	const char *const *lists[2] = { o->includes, o->excludes };
	uint64_t h = FNV1A64_INIT;

	for (int k = 0; k < 2; k++) {
		for (const char *const *p = lists[k]; p != NULL && *p != NULL; p++)
			for (const char *c = *p;; c++) {
				h = fnv1a64_byte(h, (unsigned char)*c);
				if (*c == '\0')
					break;
			}
		h = fnv1a64_byte(h, 0xFF);     /* end of a list */
	}
	return h;
}

enum job_state { JOB_PENDING = 0, JOB_RUNNING, JOB_CACHED, JOB_DONE,
    JOB_FAILED, JOB_SKIPPED_RESUME };

static volatile sig_atomic_t stop_flag;

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

struct run {
	const struct run_opts *o;
	struct log log;
	pthread_mutex_t mu;
	struct feed_job *jobs;          /* this shard's jobs */
	size_t njobs;
	uint8_t *state;                 /* enum job_state per job */
	char **errmsg;                  /* failure text per job */
	size_t next;                    /* next job to take */
	size_t active;                  /* workers still running */
	size_t n_cached, n_done, n_failed, n_finished;
	double t0;
	int s3;                         /* sink is S3 */
	struct s3_config s3cfg;
	char gen[128];
	struct shard sh;                /* for the report */
	char started[32];               /* ISO time, for the report */
	double pause_until;             /* no download starts before (now_s) */
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
iso_now(char *buf, size_t cap)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
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

static int
collect(void *ctx, const uint8_t *p, size_t n)
{
	struct buf *b = ctx;

	return buf_append(b, p, n) ? ERR_LIMIT : 0;
}

/* The feed as an error's source: a URL's query may hold a token (url.h). */
static void
feed_source(struct err_ctx *ec, const char *feed)
{
	if (strstr(feed, "://") != NULL)
		url_redact(feed, ec->source, sizeof ec->source);
	else
		err_field(ec->source, sizeof ec->source, feed, strlen(feed));
}

/* Read the whole feed (file, "-" or URL) into b. */
static int
read_feed(const struct run_opts *o, struct buf *b, struct err_ctx *ec)
{
	memset(ec, 0, sizeof *ec);
	feed_source(ec, o->feed);
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
		e = fetch_do(&fc, &rq, &rs, collect, b, ec);
		if (e == 0 && (rs.status < 200 || rs.status >= 300))
			e = err_set(ec, http_status_err(rs.status), "HTTP %d",
			    rs.status);
		fetch_resp_free(&rs);
		fetch_free(&fc);
		return e;
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
			ssize_t r = read(fd, tmp, sizeof tmp);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				ec->sys_errno = errno;
				if (fd != 0)
					close(fd);
				return err_set(ec, ERR_IO, NULL);
			}
			if (r == 0)
				break;
			if (buf_append(b, tmp, (size_t)r) != 0) {
				if (fd != 0)
					close(fd);
				return err_set(ec, ERR_LIMIT, "feed over %zu bytes",
				    (size_t)FEED_MAX_BYTES);
			}
		}
		if (fd != 0)
			close(fd);
	}
	return 0;
}

/* Names of repos already done, from a state file written by a previous run. */
static int
load_resume(struct run *r, const char *path, struct err_ctx *ec)
{
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
	while ((n = read(fd, tmp, sizeof tmp)) > 0)
		buf_append(&b, tmp, (size_t)n);
	close(fd);
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
	cJSON_ArrayForEach(it, done) {
		if (!cJSON_IsString(it))
			continue;
		for (size_t i = 0; i < r->njobs; i++) {
			char name[160];
			snprintf(name, sizeof name, "%s/%s", r->jobs[i].owner,
			    r->jobs[i].repo);
			if (strcasecmp(name, it->valuestring) == 0)
				r->state[i] = JOB_SKIPPED_RESUME;
		}
	}
	cJSON_Delete(root);
	return 0;
}

/* ------------------------------------------------------------ one job */

struct worker {
	struct run *r;
	struct s3_client *s3;
	struct sink sink;
	struct buf body;
	struct fetch_client fc;         /* downloads: the mirror's connection
	                                 * kept alive from one repo to the next */
	uint32_t rng;                   /* backoff jitter (rand() is not
	                                 * thread-safe) */
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

/* Cache check: is the stored object current? */
static int
is_cached(struct worker *w, const struct feed_job *j, struct err_ctx *ec)
{
	struct run *r = w->r;

	if (r->o->force || !j->has_pushed_at)
		return 0;
	if (r->s3) {
		static const char *const names[] = { "pushedat", "generator" };
		char vals[2][128];
		char key[256];
		int found = 0;
		snprintf(key, sizeof key, "gitingest/%s/%s/summary.txt", j->owner,
		    j->repo);
		if (s3_head(w->s3, key, &found, names, vals, 2, ec) != 0)
			return -1;
		return found && strcmp(vals[0], j->pushed_at) == 0 &&
		    strcmp(vals[1], r->gen) == 0;
	} else {
		struct sink_meta_read m;
		if (sink_head(&w->sink, j->owner, j->repo, &m, ec) != 0)
			return -1;
		return m.found && strcmp(m.pushedat, j->pushed_at) == 0 &&
		    strcmp(m.generator, r->gen) == 0;
	}
}

/* Download, digest and render the stored body into w->body. */
static int
digest_job(struct worker *w, const struct feed_job *j, char *commit,
    size_t ccap, struct err_ctx *ec)
{
	struct run *r = w->r;
	struct digest_opts dopt;
	struct source_opts so;
	struct source_info *info = malloc(sizeof *info);
	struct digest *d = malloc(sizeof *d);
	struct out *o = malloc(sizeof *o);
	struct fetch_opts fo = *r->o->fetch;
	char src[160];
	struct buf sum;
	int e;

	if (info == NULL || d == NULL || o == NULL) {
		free(info);
		free(d);
		free(o);
		return err_set(ec, ERR_NOMEM, NULL);
	}
	memset(&dopt, 0, sizeof dopt);
	dopt.max_depth = -1;
	dopt.use_ignore_files = 1;
	dopt.max_output = r->o->max_output;
	dopt.includes = r->o->includes;
	dopt.excludes = r->o->excludes;
	dopt.token_thread = r->o->jobs == 1;
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
	buf_init(&sum, 1 << 20);
	e = digest_init(d, &dopt);
	if (e == 0)
		e = source_digest(src, &so, d, info, ec);
	else
		err_set(ec, e, NULL);
	if (e == 0) {
		buf_reset(&w->body);
		out_init_mem(o, &w->body, r->o->max_output);
		if (digest_summary(d, info->header, &sum) != 0 ||
		    out_write(o, sum.p, sum.len) || out_write(o, "\n", 1))
			e = err_set(ec, ERR_NOMEM, NULL);
		if (e == 0) {
			digest_write_tree(d, o);
			out_write(o, "\n", 1);
			if ((e = digest_write_content(d, o)) != 0 || o->err)
				e = err_set(ec, e ? e : o->err, "rendering");
		}
		snprintf(commit, ccap, "%s", info->commit);
	}
	buf_free(&sum);
	digest_free(d);
	free(d);
	free(info);
	free(o);
	return e;
}

static int
store_job(struct worker *w, const struct feed_job *j, const char *commit,
    struct err_ctx *ec)
{
	struct run *r = w->r;
	char now[32];

	iso_now(now, sizeof now);
	if (r->s3) {
		char key[256];
		struct s3_meta m[5] = {
			{ "pushedat", j->pushed_at }, { "url", j->url },
			{ "processedat", now }, { "commit", commit },
			{ "generator", r->gen },
		};
		snprintf(key, sizeof key, "gitingest/%s/%s/summary.txt", j->owner,
		    j->repo);
		return s3_put(w->s3, key, w->body.p, w->body.len, "text/plain", m,
		    5, ec);
	} else {
		struct sink_meta m;
		memset(&m, 0, sizeof m);
		m.pushedat = j->pushed_at;
		m.url = j->url;
		m.processedat = now;
		m.commit = commit;
		m.generator = r->gen;
		m.content_type = "text/plain";
		return sink_put(&w->sink, j->owner, j->repo, render_buf, &w->body,
		    &m, ec);
	}
}

/* Sleep up to secs, waking early when a stop was asked for. */
static void
nap(double secs)
{
	double end = now_s() + secs;

	while (!stop_flag && now_s() < end) {
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
		if (left <= 0 || stop_flag)
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
	char commit[72] = "";
	char name[160];
	int e = 0, c, limited = 0, paused, tries = 0;

	snprintf(name, sizeof name, "%s/%s", j->owner, j->repo);
	memset(&ec, 0, sizeof ec);
	c = is_cached(w, j, &ec);
	if (c == 1) {
		const char *kv[] = { "repo", name, "pushedAt", j->pushed_at, NULL };
		log_msg(&r->log, LOG_INFO, "cache", "Cache hit, skipping", kv);
		return JOB_CACHED;
	}
	if (c < 0) {
		/* an unusable cache is not fatal for the job: fetch anyway */
		char m[512];
		const char *kv[] = { "repo", name, "error", m, NULL };
		err_format(&ec, m, sizeof m);
		log_msg(&r->log, LOG_WARN, "cache", "Cache check failed", kv);
	}
	if (r->o->dry_run) {
		const char *kv[] = { "repo", name, NULL };
		log_msg(&r->log, LOG_INFO, "dry-run", "Would fetch and store", kv);
		return JOB_DONE;
	}
	for (int attempt = 1; attempt <= r->o->attempts && !stop_flag; attempt++) {
		wait_downloads(r);
		if (stop_flag)
			break;
		memset(&ec, 0, sizeof ec);
		tries++;
		e = digest_job(w, j, commit, sizeof commit, &ec);
		if (e == 0)
			e = store_job(w, j, commit, &ec);
		if (e == 0) {
			const char *kv[] = { "repo", name, "commit", commit, NULL };
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
	char *msg = malloc(1024);

	for (;;) {
		size_t i;
		int st;
		pthread_mutex_lock(&r->mu);
		while (r->next < r->njobs && r->state[r->next] != JOB_PENDING)
			r->next++;
		if (stop_flag || r->next >= r->njobs ||
		    (r->o->max_failures >= 0 &&
		    (long)r->n_failed > r->o->max_failures)) {
			r->active--;
			pthread_mutex_unlock(&r->mu);
			break;
		}
		i = r->next++;
		r->state[i] = JOB_RUNNING;
		pthread_mutex_unlock(&r->mu);

		msg[0] = '\0';
		st = run_job(w, i, msg, 1024);

		pthread_mutex_lock(&r->mu);
		if (stop_flag && st == JOB_FAILED) {
			st = JOB_PENDING;       /* interrupted, not failed */
		}
		r->state[i] = (uint8_t)st;
		if (st == JOB_FAILED && msg[0])
			r->errmsg[i] = strdup(msg);
		r->n_cached += st == JOB_CACHED;
		r->n_done += st == JOB_DONE;
		r->n_failed += st == JOB_FAILED;
		if (st != JOB_PENDING && ++r->n_finished % 100 == 0)
			progress(r);
		pthread_mutex_unlock(&r->mu);
	}
	free(msg);
	return NULL;
}

/* ------------------------------------------------------------ outputs */

static int
write_json_file(const char *path, cJSON *root)
{
	char *txt = cJSON_Print(root);
	struct err_ctx ec;
	struct buf b;
	int e;

	if (txt == NULL)
		return ERR_NOMEM;
	b.p = (uint8_t *)txt;
	b.len = strlen(txt);
	memset(&ec, 0, sizeof ec);
	e = sink_write_file(path, render_buf, &b, &ec);
	free(txt);
	return e;
}

static cJSON *
name_item(const struct feed_job *j)
{
	char name[160];

	snprintf(name, sizeof name, "%s/%s", j->owner, j->repo);
	return cJSON_CreateString(name);
}

static int
write_state(struct run *r, const char *path)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *done = cJSON_AddArrayToObject(root, "done");
	cJSON *failed = cJSON_AddArrayToObject(root, "failed");
	cJSON *pending = cJSON_AddArrayToObject(root, "pending");
	int e;

	for (size_t i = 0; i < r->njobs; i++) {
		int st = r->state[i];
		cJSON *to = st == JOB_DONE || st == JOB_CACHED ||
		    st == JOB_SKIPPED_RESUME ? done : st == JOB_FAILED ? failed :
		    pending;
		cJSON_AddItemToArray(to, name_item(&r->jobs[i]));
	}
	e = write_json_file(path, root);
	cJSON_Delete(root);
	return e;
}

/*
 * The run report, to a file (atomically) or to s3://BUCKET/KEY (one PUT:
 * whole or absent), so that pods whose disks go with them leave their shard's
 * report where `repodigest report` can read it. "{shard}" in the name becomes
 * the shard's index: every task of a Cloud Run job gets the same arguments.
 */
static int
write_report(struct run *r, const char *path, double elapsed,
    struct err_ctx *ec)
{
	cJSON *root = cJSON_CreateObject(), *repos;
	static const char *const sname[] = { "pending", "pending", "cached",
	    "processed", "failed", "done-earlier" };
	static const char *const mode[] = { "all", "hash", "seed" };
	const char *mark = strstr(path, "{shard}");
	char spec[48], desc[256], now[32], expanded[1100];
	int e;

	if (mark != NULL) {
		snprintf(expanded, sizeof expanded, "%.*s%llu%s",
		    (int)(mark - path), path, (unsigned long long)r->sh.index,
		    mark + 7);
		path = expanded;
	}

	/* what `repodigest report` needs to merge shards: which shard (I/N
	 * and how it was chosen), which feed, which build, when */
	iso_now(now, sizeof now);
	snprintf(spec, sizeof spec, "%llu/%llu",
	    (unsigned long long)r->sh.index, (unsigned long long)r->sh.count);
	cJSON_AddStringToObject(root, "format", REPORT_FORMAT);
	cJSON_AddStringToObject(root, "version", REPODIGEST_VERSION);
	cJSON_AddStringToObject(root, "feed", r->o->feed);
	cJSON_AddStringToObject(root, "shard", spec);
	cJSON_AddStringToObject(root, "shard_mode", mode[r->sh.mode]);
	cJSON_AddStringToObject(root, "shard_source", shard_describe(&r->sh,
	    desc, sizeof desc));
	cJSON_AddStringToObject(root, "started", r->started);
	cJSON_AddStringToObject(root, "finished", now);
	cJSON_AddNumberToObject(root, "total", (double)r->njobs);
	cJSON_AddNumberToObject(root, "cached", (double)r->n_cached);
	cJSON_AddNumberToObject(root, "processed", (double)r->n_done);
	cJSON_AddNumberToObject(root, "failed", (double)r->n_failed);
	cJSON_AddNumberToObject(root, "elapsed_s", elapsed);
	repos = cJSON_AddArrayToObject(root, "repos");
	for (size_t i = 0; i < r->njobs; i++) {
		cJSON *it = cJSON_CreateObject();
		cJSON_AddItemToObject(it, "repo", name_item(&r->jobs[i]));
		cJSON_AddStringToObject(it, "status", sname[r->state[i]]);
		if (r->errmsg[i] != NULL)
			cJSON_AddStringToObject(it, "error", r->errmsg[i]);
		cJSON_AddItemToArray(repos, it);
	}
	if (strncmp(path, "s3://", 5) == 0) {
		char *txt = cJSON_Print(root);
		e = txt == NULL ? err_set(ec, ERR_NOMEM, NULL) :
		    s3_object_put(path, r->o->s3_endpoint, r->o->s3_region,
		    r->o->fetch, (const uint8_t *)txt, strlen(txt),
		    "application/json", ec);
		free(txt);
	} else if ((e = write_json_file(path, root)) != 0) {
		err_field(ec->source, sizeof ec->source, path, strlen(path));
		err_set(ec, e, NULL);
	}
	cJSON_Delete(root);
	return e;
}

/* ------------------------------------------------------------ run */

/* Each -i and -e pattern compiles; the first that does not is named. */
static int
check_patterns(const struct run_opts *o, struct err_ctx *ec)
{
	const char *const *lists[2] = { o->includes, o->excludes };
	struct digest *d = malloc(sizeof *d);
	int e = d == NULL ? ERR_NOMEM : 0;

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

/* see pipeline.h */
int
pipeline_run(const struct run_opts *o)
{
	struct run *r = calloc(1, sizeof *r);
	struct worker *ws = NULL;
	pthread_t *th = NULL;
	struct shard sh;
	struct err_ctx ec;
	struct buf feed;
	struct skip_ctx sk;
	struct feed_job *all = NULL;
	size_t nall = 0, nrec = 0, nw;
	char desc[256], line[512];
	int status = 0, e, interrupted = 0;
	char report_err[1024] = "";
	struct sigaction sa;

	if (r == NULL)
		return 1;
	r->o = o;
	r->t0 = now_s();
	iso_now(r->started, sizeof r->started);
	pthread_mutex_init(&r->mu, NULL);
	log_init(&r->log, stdout, o->log_format);
	log_add_secret(&r->log, o->token);
	snprintf(r->gen, sizeof r->gen, GENERATOR_FMT, REPODIGEST_VERSION,
	    (unsigned long long)o->max_output);
	if (o->includes != NULL || o->excludes != NULL)
		snprintf(r->gen + strlen(r->gen), sizeof r->gen - strlen(r->gen),
		    " patterns/%016llx", (unsigned long long)patterns_hash(o));

	memset(&ec, 0, sizeof ec);
	if (shard_config(&sh, o->shard, o->batch_size, o->offset, &ec) != 0) {
		status = fatal(r, &ec, "Bad shard configuration");
		goto out;
	}
	r->sh = sh;
	{
		const char *kv[] = { "shard", shard_describe(&sh, desc, sizeof desc),
		    "feed", o->feed, "output", o->out, NULL };
		log_msg(&r->log, LOG_NOTE, "startup", "Starting pipeline", kv);
	}

	/* the sink must be usable before any work starts */
	if (strncmp(o->out, "s3://", 5) == 0) {
		r->s3 = 1;
		if (s3_config_flags(&r->s3cfg, o->out, o->s3_endpoint,
		    o->s3_region, &ec) != 0) {
			status = fatal(r, &ec, "Bad S3 configuration");
			goto out;
		}
		log_add_secret(&r->log, r->s3cfg.secret);
		log_add_secret(&r->log, r->s3cfg.session_token);
	}
	/* the patterns compile (else every repository would fail alike) */
	if (check_patterns(o, &ec) != 0) {
		status = fatal(r, &ec, "Bad pattern");
		goto out;
	}
	/* and the report's, not found missing after hours of work */
	if (o->report != NULL && strncmp(o->report, "s3://", 5) == 0) {
		struct s3_config rc;
		const char *key;
		e = s3_object_config(&rc, o->report, o->s3_endpoint,
		    o->s3_region, &key, &ec);
		s3_config_wipe(&rc);
		if (e != 0) {
			status = fatal(r, &ec, "Bad report destination");
			goto out;
		}
	}

	buf_init(&feed, FEED_MAX_BYTES);
	e = read_feed(o, &feed, &ec);
	if (e != 0) {
		buf_free(&feed);
		status = fatal(r, &ec, "Cannot read the feed");
		goto out;
	}
	sk.log = &r->log;
	sk.skipped = 0;
	memset(&ec, 0, sizeof ec);
	feed_source(&ec, o->feed);
	e = feed_parse((const char *)feed.p, feed.len, &all, &nall, &nrec,
	    on_skip, &sk, &ec);
	buf_free(&feed);
	if (e != 0) {
		status = fatal(r, &ec, "Cannot parse the feed");
		goto out;
	}
	r->jobs = calloc(nall ? nall : 1, sizeof *r->jobs);
	for (size_t i = 0; i < nall; i++)
		if (shard_keep(&sh, &all[i]))
			r->jobs[r->njobs++] = all[i];
	free(all);
	r->state = calloc(r->njobs ? r->njobs : 1, 1);
	r->errmsg = calloc(r->njobs ? r->njobs : 1, sizeof *r->errmsg);
	{
		char a[32], b[32], c[32];
		const char *kv[] = { "records", a, "valid", b, "this_shard", c, NULL };
		snprintf(a, sizeof a, "%zu", nrec);
		snprintf(b, sizeof b, "%zu", nall);
		snprintf(c, sizeof c, "%zu", r->njobs);
		log_msg(&r->log, LOG_NOTE, "feed", "Feed loaded", kv);
	}
	if (o->resume != NULL && load_resume(r, o->resume, &ec) != 0) {
		status = fatal(r, &ec, "Cannot resume");
		goto out;
	}

	/* workers */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	nw = (size_t)(o->jobs > 0 ? o->jobs : 1);
	if (nw > r->njobs && r->njobs > 0)
		nw = r->njobs;
	ws = calloc(nw, sizeof *ws);
	th = calloc(nw, sizeof *th);
	for (size_t i = 0; i < nw; i++) {
		ws[i].r = r;
		/* any non-zero seed; differs per worker and per run */
		ws[i].rng = ((uint32_t)time(NULL) ^ (uint32_t)getpid() * 2654435761u ^
		    (uint32_t)(i + 1) * 40503u) | 1;
		buf_init(&ws[i].body, 1u << 30);
		ws[i].sink.dirfd = -1;
		if (o->fetch != NULL) {
			struct fetch_opts fo = *o->fetch;
			fo.total_ms = o->timeout_s * 1000;      /* as digest_job */
			if (fetch_init(&ws[i].fc, &fo) != 0)
				fetch_free(&ws[i].fc);  /* one client per job */
		}
		if (r->s3) {
			ws[i].s3 = malloc(sizeof *ws[i].s3);
			e = ws[i].s3 ? s3_init(ws[i].s3, &r->s3cfg, o->fetch) :
			    ERR_NOMEM;
		} else {
			e = sink_open_local(&ws[i].sink, o->out, &ec);
		}
		if (e != 0) {
			if (ec.code == 0)
				err_set(&ec, e, NULL);
			status = fatal(r, &ec, "Output is unusable");
			nw = i + 1;
			goto join;
		}
	}
	r->active = nw;
	for (size_t i = 0; i < nw; i++)
		pthread_create(&th[i], NULL, worker_main, &ws[i]);
	/* wait: all done, or a stop plus the grace period */
	{
		double stop_at = 0, shown = 0;
		for (;;) {
			size_t act;
			struct timespec ts = { 0, 50 * 1000000L };
			pthread_mutex_lock(&r->mu);
			act = r->active;
			pthread_mutex_unlock(&r->mu);
			if (act == 0)
				break;
			if (stop_flag && stop_at == 0) {
				const char *kv[] = { NULL };
				stop_at = now_s() + o->grace_s;
				log_msg(&r->log, LOG_WARN, "shutdown", "Signal received: "
				    "finishing the repos in flight", kv);
			}
			if (stop_at != 0 && now_s() > stop_at) {
				/* grace is over: record and leave; objects are
				 * atomic, so nothing half-written remains */
				const char *kv[] = { NULL };
				log_msg(&r->log, LOG_WARN, "shutdown",
				    "Grace period over: abandoning the repos in flight",
				    kv);
				pthread_mutex_lock(&r->mu);
				write_state(r, o->state ? o->state :
				    PIPELINE_DEFAULT_STATE);
				if (o->report)
					write_report(r, o->report, now_s() - r->t0,
					    &ec);
				pthread_mutex_unlock(&r->mu);
				log_status(&r->log, "");
				fflush(stdout);
				_exit(130);
			}
			/* a few updates a second: enough to read, cheap */
			if (o->log_format == LOG_TTY && now_s() - shown >= 0.25) {
				status_line(r);
				shown = now_s();
			}
			nanosleep(&ts, NULL);
		}
	}
	interrupted = stop_flag != 0;
join:
	for (size_t i = 0; i < nw && status == 0; i++)
		pthread_join(th[i], NULL);
	{
		double el = now_s() - r->t0;
		size_t total = r->njobs;
		for (size_t i = 0; i < r->njobs; i++)
			total -= r->state[i] == JOB_SKIPPED_RESUME;
		log_status(&r->log, "");
		write_state(r, o->state ? o->state : PIPELINE_DEFAULT_STATE);
		memset(&ec, 0, sizeof ec);
		if (o->report && write_report(r, o->report, el, &ec) != 0) {
			const char *kv[] = { "file", o->report, "error", report_err,
			    NULL };
			err_format(&ec, report_err, sizeof report_err);
			log_msg(&r->log, LOG_ERROR, "report", "Cannot write the report",
			    kv);
		}
		if (status == 0) {
			snprintf(line, sizeof line, "Pipeline complete: %zu total, %zu "
			    "cached (%.1f%%), %zu processed, %zu failed, completed in "
			    "%.1fs", total, r->n_cached,
			    total ? 100.0 * r->n_cached / total : 0.0, r->n_done,
			    r->n_failed, el);
			const char *kv[] = { NULL };
			log_msg(&r->log, interrupted ? LOG_WARN : LOG_NOTE, "summary",
			    line, kv);
		}
	}
	if (status == 0 && interrupted) {
		status = 130;
	} else if (status == 0 && report_err[0] != '\0') {
		/* a batch whose account is lost is not a success */
		fprintf(stderr, "repodigest: cannot write the report: %s\n",
		    report_err);
		status = 1;
	} else if (status == 0 && o->max_failures >= 0 &&
	    (long)r->n_failed > o->max_failures) {
		fprintf(stderr, "repodigest: %s\n", line);
		fprintf(stderr, "repodigest: %zu repos failed, more than "
		    "--max-failures %ld\n", r->n_failed, o->max_failures);
		status = 1;
	}
	for (size_t i = 0; ws != NULL && i < nw; i++) {
		if (ws[i].s3) {
			s3_free(ws[i].s3);
			free(ws[i].s3);
		}
		sink_close(&ws[i].sink);
		buf_free(&ws[i].body);
		fetch_free(&ws[i].fc);
	}
out:
	for (size_t i = 0; r->errmsg != NULL && i < r->njobs; i++)
		free(r->errmsg[i]);
	free(r->errmsg);
	free(r->state);
	free(r->jobs);
	free(ws);
	free(th);
	s3_config_wipe(&r->s3cfg);
	log_free(&r->log);
	pthread_mutex_destroy(&r->mu);
	free(r);
	return status;
}
