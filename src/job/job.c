/*
 * job.c - one repository's work. See job.h.
 *
 * job_run: the cache check of each object asked for (current(): the one
 * "already stored" rule), then attempts until one stores every object that
 * was due or the error is final. An attempt downloads and digests once
 * (source_digest, with this job's cancel and progress), renders each due
 * format and stores it through the sink; an object stored is no longer due,
 * so a retry after a failed second put does not store the first again.
 * Retries: 1 s, 2 s, 4 s ... with +-25% jitter, or the server's Retry-After
 * (which does not use up an attempt, JOB_RATE_LIMIT_WAITS times).
 *
 * Progress: the download thread reports bytes, the reading thread files
 * (source.h); both land in watch_*() below under the worker's mutex, which
 * also keeps the hook's calls one at a time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "job.h"
#include "net.h"

const char *const job_phase_name[JOB__PHASES] = {
	[JOB_CHECKING] = "checking", [JOB_DOWNLOADING] = "downloading",
	[JOB_DIGESTING] = "digesting", [JOB_STORING] = "storing",
};

/* ------------------------------------------------------------ settings */

/* Compile patterns as the digest will; returns 0 or the digest's error. */
static int
try_patterns(struct digest *d, const char *const *inc,
    const char *const *exc)
{
	struct digest_opts o;
	int e;

	memset(&o, 0, sizeof o);
	o.max_depth = -1;
	o.max_output = 1;               /* no arena: nothing is stored */
	o.includes = inc;
	o.excludes = exc;
	e = digest_init(d, &o);
	digest_free(d);
	return e;
}

/* see job.h */
int
job_config_init(struct job_config *c, const struct job_settings *s,
    struct err_ctx *ec)
{
	const char *const *lists[2] = { s->includes, s->excludes };
	struct digest *d = malloc(sizeof *d);
	int e = 0;

	memset(c, 0, sizeof *c);
	c->set = *s;
	c->attempts = 1;
	if (d == NULL)
		return err_set(ec, ERR_NOMEM, NULL);
	/* each alone first, so the error names the pattern; then together
	 * (too many for one ignore set) */
	for (int k = 0; k < 2 && e == 0; k++) {
		for (const char *const *p = lists[k]; p && *p && e == 0; p++) {
			const char *one[2] = { *p, NULL };
			if ((e = try_patterns(d, k == 0 ? one : NULL,
			    k == 0 ? NULL : one)) != 0)
				err_set(ec, e, "%s", *p);
		}
	}
	if (e == 0 && (e = try_patterns(d, s->includes, s->excludes)) != 0)
		err_set(ec, e, NULL);
	free(d);
	if (e != 0)
		return e;
	for (int f = 0; f < RENDER__COUNT; f++) {
		struct sink_settings st;
		memset(&st, 0, sizeof st);
		st.format = render_format_name[f];
		/* chunks are never cut: no max-output in their generator */
		st.max_output = f == RENDER_CHUNKS ? 0 : s->max_output;
		st.includes = s->includes;
		st.excludes = s->excludes;
		st.max_file_size = s->max_file_size;
		st.no_ignore_files = s->include_gitignored;
		if (f == RENDER_CHUNKS) {
			st.chunk_size = s->chunk_size;
			st.chunk_overlap = s->chunk_overlap;
		}
		sink_generator(c->generator[f], sizeof c->generator[f], &st);
	}
	return 0;
}

/* The formats that are a text body (summary.txt). */
#define TEXT_BODIES (JOB_FORMAT(RENDER_TEXT) | JOB_FORMAT(RENDER_FULL) | \
	JOB_FORMAT(RENDER_JSON))

/*
 * see job.h. Capped at max_output, unless chunks are due: the chunker needs
 * every kept body, which a capped digest drops once it can no longer be
 * shown (the text body is capped when rendered all the same, so it is the
 * same). Tokens are estimated only when a text body (whose summary shows
 * the figure) or a report wants them.
 */
void
job_digest_opts(const struct job_config *c, unsigned formats,
    struct digest_opts *o)
{
	memset(o, 0, sizeof *o);
	o->max_file_size = c->set.max_file_size;
	o->max_depth = -1;
	o->use_ignore_files = !c->set.include_gitignored;
	o->includes = c->set.includes;
	o->excludes = c->set.excludes;
	o->max_output = (formats & JOB_FORMAT(RENDER_CHUNKS)) ? 0 :
	    c->set.max_output;
	o->token_thread = c->token_thread;
	o->no_tokens = !(formats & TEXT_BODIES) && !c->tokens;
}

/* ------------------------------------------------------------ worker */

/* see job.h */
int
job_worker_init(struct job_worker *w, const char *dest,
    const struct sink_net *net, int sink_flags, const struct fetch_opts *fo,
    uint32_t seed, struct err_ctx *ec)
{
	memset(w, 0, sizeof *w);
	w->sink.dirfd = -1;
	/* any non-zero seed */
	w->rng = seed | 1;
	buf_init(&w->body, 1u << 30);
	/* NULL (no memory) only means each job allocates its own */
	w->smem = source_mem_new();
	pthread_mutex_init(&w->mu, NULL);
	if (fo != NULL) {
		w->fo = *fo;
		w->have_fo = 1;
		/* no client: each download makes its own (source.h) */
		if (fetch_init(&w->fc, fo) == 0)
			w->have_fc = 1;
		else
			fetch_free(&w->fc);
	}
	return sink_open(&w->sink, dest, net, sink_flags, ec);
}

/* The job's digest goes: its bodies and entries freed, its buffers kept
 * for the next job's (digest_recycle). */
static void
drop_digest(struct job_worker *w)
{
	if (w->d != NULL)
		digest_recycle(w->d);
	w->d = NULL;
	w->info = NULL;
}

/* see job.h */
void
job_worker_free(struct job_worker *w)
{
	drop_digest(w);
	if (w->dmem_made)
		digest_free(&w->dmem);
	w->dmem_made = 0;
	source_mem_free(w->smem);
	w->smem = NULL;
	free(w->out);
	w->out = NULL;
	sink_close(&w->sink);
	buf_free(&w->body);
	if (w->have_fc)
		fetch_free(&w->fc);
	w->have_fc = 0;
	pthread_mutex_destroy(&w->mu);
}

/* see job.h */
struct digest *
job_worker_digest(struct job_worker *w, const struct source_info **info)
{
	if (info != NULL)
		*info = w->info;
	return w->d;
}

/* ------------------------------------------------------------ progress */

/* Call the hook (the worker's mutex held): always at a phase change, else
 * at most every JOB_PROGRESS_MS. */
static void
report(struct job_worker *w, int force)
{
	int64_t now;

	if (w->hooks == NULL || w->hooks->progress == NULL)
		return;
	now = net_now_ms();
	if (!force && now - w->shown_ms < JOB_PROGRESS_MS)
		return;
	w->shown_ms = now;
	w->hooks->progress(w->hooks->ctx, &w->prog);
}

static void
set_phase(struct job_worker *w, int phase, const char *cur)
{
	pthread_mutex_lock(&w->mu);
	w->prog.phase = phase;
	w->prog.current = cur;
	w->prog.current_len = cur != NULL ? strlen(cur) : 0;
	report(w, 1);
	w->prog.current = NULL;
	w->prog.current_len = 0;
	pthread_mutex_unlock(&w->mu);
}

/* source_watch: the download's bytes (its thread) */
static void
watch_bytes(void *ctx, uint64_t got, uint64_t total, int done)
{
	struct job_worker *w = ctx;

	pthread_mutex_lock(&w->mu);
	w->prog.bytes = got;
	w->prog.total = total;
	if (done && w->prog.phase == JOB_DOWNLOADING)
		w->prog.phase = JOB_DIGESTING;
	report(w, done);
	pthread_mutex_unlock(&w->mu);
}

/* source_watch: a regular file of the archive or directory */
static void
watch_file(void *ctx, const char *path, size_t n)
{
	struct job_worker *w = ctx;

	pthread_mutex_lock(&w->mu);
	w->prog.files++;
	w->prog.current = path;
	w->prog.current_len = n;
	report(w, 0);
	w->prog.current = NULL;
	w->prog.current_len = 0;
	pthread_mutex_unlock(&w->mu);
}

/* ------------------------------------------------------------ objects */

/* see job.h */
int
job_object(const struct job_config *c, const struct job_spec *spec, int f,
    struct sink_object *ob, struct err_ctx *ec)
{
	int e = sink_object_init(ob, spec->owner, spec->repo, spec->ref,
	    f == RENDER_CHUNKS ? SINK_CHUNKS : SINK_SUMMARY, c->generator[f], ec);

	if (e == 0) {
		snprintf(ob->pushedat, sizeof ob->pushedat, "%s",
		    spec->pushed_at ? spec->pushed_at : "");
		if (spec->url != NULL)
			snprintf(ob->url, sizeof ob->url, "%s", spec->url);
	}
	return e;
}

/* A full commit id: 40 hexadecimal digits (SHA-1 object names). */
static int
full_commit(const char *s)
{
	size_t n = 0;

	for (; s != NULL && s[n] != '\0'; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' &&
		    s[n] <= 'f') || (s[n] >= 'A' && s[n] <= 'F')))
			return 0;
	return n == 40;
}

/* The commit the job will digest, when known before the download. */
static const char *
known_commit(const struct job_spec *spec)
{
	if (spec->commit != NULL && spec->commit[0] != '\0')
		return spec->commit;
	/* a mirror without an API: only a ref that is a commit id says */
	return full_commit(spec->ref) ? spec->ref : NULL;
}

/*
 * "Already stored", the one rule (decision 5): the stored generator is
 * ours, and the stored commit is the one we would digest when that is known,
 * else the stored pushedat is the feed's (not empty). 1 current, 0 not.
 */
static int
current(const struct sink_meta_read *m, const struct sink_object *ob,
    const struct job_spec *spec)
{
	const char *commit = known_commit(spec);

	if (!m->found || strcmp(m->generator, ob->generator) != 0)
		return 0;
	if (commit != NULL)
		return strcasecmp(m->commit, commit) == 0;
	return ob->pushedat[0] != '\0' && strcmp(m->pushedat, ob->pushedat) == 0;
}

/* Is ob current? 1 yes, 0 no, -1 the check failed (ec). No request is made
 * when the answer cannot be yes. */
static int
check_one(struct job_worker *w, const struct job_config *c,
    const struct job_spec *spec, const struct sink_object *ob,
    struct err_ctx *ec)
{
	struct sink_meta_read m;

	if (c->force || (known_commit(spec) == NULL && (spec->pushed_at == NULL ||
	    spec->pushed_at[0] == '\0')))
		return 0;
	if (sink_head(&w->sink, ob, &m, ec) != 0)
		return -1;
	return current(&m, ob, spec);
}

/* ------------------------------------------------------------ one attempt */

/* What a text body is put from: the worker's rendered buffer. */
static int
put_buf(void *ctx, struct out *o)
{
	const struct buf *b = ctx;

	return out_write(o, b->p, b->len);
}

/*
 * Download and digest spec into w->d and w->info (ec filled on error: the
 * caller's, so that later store errors name the same source, as they have).
 */
static int
digest_spec(struct job_worker *w, const struct job_config *c,
    const struct job_spec *spec, unsigned due, const struct job_hooks *h,
    struct err_ctx *ec)
{
	struct digest_opts dopt;
	struct source_opts so;
	struct source_watch sw = { watch_bytes, watch_file, w };
	int e;

	drop_digest(w);
	job_digest_opts(c, due, &dopt);
	memset(&so, 0, sizeof so);
	so.repo = spec->flavour;
	so.name = spec->name;
	so.strip = spec->strip;
	so.remote_only = spec->remote_only;
	so.fetch = w->have_fo ? &w->fo : NULL;
	so.client = w->have_fc ? &w->fc : NULL;
	so.archive_url = c->archive_url;
	so.token = c->token;
	so.api_base = c->api_base;
	so.cancel = h != NULL ? h->cancel : NULL;
	so.watch = &sw;
	so.mem = w->smem;
	memset(&w->imem, 0, sizeof w->imem);
	w->info = &w->imem;
	w->d = &w->dmem;
	/* the last job's buffers, recycled (drop_digest); a failed set-up is
	 * recycled or freed like any other digest */
	e = w->dmem_made ? digest_reinit(w->d, &dopt) : digest_init(w->d,
	    &dopt);
	w->dmem_made = 1;
	if (e != 0) {
		err_set(ec, e, NULL);
		return e;
	}
	return source_digest(spec->source, &so, w->d, w->info, ec);
}

/* Render and store format f of the digest; ec as digest_spec left it. */
static int
store_one(struct job_worker *w, const struct job_config *c,
    const struct job_spec *spec, int f, struct sink_object *ob,
    struct err_ctx *ec)
{
	struct render_body b;
	char repo[160];
	int e;

	memset(&b, 0, sizeof b);
	b.format = f;
	b.d = w->d;
	b.header = w->info->header;
	b.max_output = c->set.max_output;
	snprintf(ob->commit, sizeof ob->commit, "%s", w->info->commit);
	if (f == RENDER_CHUNKS) {
		snprintf(repo, sizeof repo, "%s/%s", spec->owner, spec->repo);
		b.max_output = 0;
		b.chunk_size = (size_t)c->set.chunk_size;
		b.chunk_overlap = (size_t)c->set.chunk_overlap;
		b.chunk.repo = repo;
		b.chunk.ref = spec->ref != NULL ? spec->ref : "";
		b.chunk.commit = w->info->commit;
		return sink_put(&w->sink, ob, render_body, &b, ec);
	}
	/*
	 * A text body is rendered whole before the put: a body that cannot be
	 * rendered (an evicted file, no memory) fails before anything is
	 * written, and says so as such
	 */
	if (w->out == NULL && (w->out = malloc(sizeof *w->out)) == NULL)
		return err_set(ec, ERR_NOMEM, NULL);
	buf_reset(&w->body);
	out_init_mem(w->out, &w->body, 0);
	if ((e = render_body(&b, w->out)) != 0)
		return err_set(ec, e, "rendering");
	return sink_put(&w->sink, ob, put_buf, &w->body, ec);
}

/* One download for the formats in *due, each stored then unmarked. */
static int
attempt(struct job_worker *w, const struct job_config *c,
    const struct job_spec *spec, struct sink_object ob[RENDER__COUNT],
    unsigned *due, const struct job_hooks *h, struct job_result *res)
{
	struct err_ctx *ec = &res->err;
	int e;

	pthread_mutex_lock(&w->mu);
	w->prog.phase = spec->remote_only || strstr(spec->source, "://") ||
	    (strcmp(spec->source, "-") != 0 && access(spec->source, F_OK) !=
	    0) ? JOB_DOWNLOADING : JOB_DIGESTING;
	w->prog.bytes = w->prog.total = w->prog.files = 0;
	w->prog.attempt = res->attempts;
	report(w, 1);
	pthread_mutex_unlock(&w->mu);
	e = digest_spec(w, c, spec, *due, h, ec);
	if (w->info != NULL)
		res->bytes_in = w->info->bytes_in;
	if (e != 0)
		return e;
	snprintf(res->commit, sizeof res->commit, "%s", w->info->commit);
	res->files = w->d->files_analyzed;
	res->tokens = w->d->tokens;
	for (int f = 0; f < RENDER__COUNT && e == 0; f++) {
		if (!(*due & JOB_FORMAT(f)))
			continue;
		if (cancel_requested(h != NULL ? h->cancel : NULL))
			return err_set(ec, ERR_CANCELLED, NULL);
		set_phase(w, JOB_STORING, ob[f].name);
		if ((e = store_one(w, c, spec, f, &ob[f], ec)) == 0) {
			*due &= ~JOB_FORMAT(f);
			res->stored |= JOB_FORMAT(f);
			res->bytes_out += ob[f].size;
		}
	}
	return e;
}

/* ------------------------------------------------------------ retries */

/* xorshift32: the worker's own jitter source, in [0, 1) */
static double
jitter(struct job_worker *w)
{
	uint32_t x = w->rng;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	w->rng = x;
	return (double)x / 4294967296.0;
}

static int
stopping(const struct job_hooks *h)
{
	return h != NULL && (cancel_requested(h->cancel) ||
	    (h->stopping != NULL && h->stopping(h->ctx)));
}

/* Sleep up to secs, waking early when the job is stopped or cancelled. */
static void
nap(const struct job_hooks *h, double secs)
{
	int64_t end = net_now_ms() + (int64_t)(secs * 1000);

	while (!stopping(h) && net_now_ms() < end) {
		struct timespec ts = { 0, CANCEL_POLL_MS * 1000000L };
		nanosleep(&ts, NULL);
	}
}

/* see job.h */
int
job_run(struct job_worker *w, const struct job_config *c,
    const struct job_spec *spec, const struct job_hooks *h,
    struct job_result *res)
{
	struct sink_object ob[RENDER__COUNT];
	unsigned due = 0;
	int e = 0, limited = 0, final = 0;

	memset(res, 0, sizeof *res);
	drop_digest(w);
	pthread_mutex_lock(&w->mu);
	memset(&w->prog, 0, sizeof w->prog);
	w->hooks = h;
	w->shown_ms = 0;
	pthread_mutex_unlock(&w->mu);
	if (spec->formats == 0 || (spec->formats & ~(JOB_FORMAT(RENDER__COUNT) -
	    1)) != 0 || ((spec->formats & TEXT_BODIES) & ((spec->formats &
	    TEXT_BODIES) - 1)) != 0) {
		res->status = JOB_FAILED;
		return err_set(&res->err, ERR_USAGE, "formats");
	}
	set_phase(w, JOB_CHECKING, NULL);
	/* a cache hit only if every object asked for is current; else those
	 * that are not are made, from one download */
	for (int f = 0; f < RENDER__COUNT; f++) {
		struct err_ctx ec;
		int ck;
		if (!(spec->formats & JOB_FORMAT(f)))
			continue;
		memset(&ec, 0, sizeof ec);
		if ((e = job_object(c, spec, f, &ob[f], &ec)) != 0) {
			res->status = JOB_FAILED;
			res->err = ec;
			return e;
		}
		ck = check_one(w, c, spec, &ob[f], &ec);
		/* an unusable cache is not fatal for the job: make it anyway */
		if (ck < 0 && h != NULL && h->cache_error != NULL)
			h->cache_error(h->ctx, &ec);
		if (ck == 1)
			continue;
		due |= JOB_FORMAT(f);
		snprintf(res->objects + strlen(res->objects), sizeof res->objects -
		    strlen(res->objects), "%s%s", res->objects[0] ? "," : "",
		    ob[f].name);
	}
	res->due = due;
	if (due == 0) {
		res->status = c->dry_run ? JOB_WOULD_SKIP : JOB_CACHED;
		goto out;
	}
	if (c->dry_run) {
		res->status = JOB_WOULD_STORE;
		goto out;
	}
	for (int n = 1; n <= c->attempts && !stopping(h); n++) {
		double wait;
		int asked;
		final = 0;
		if (h != NULL && h->before_attempt != NULL)
			h->before_attempt(h->ctx);
		if (stopping(h))
			break;
		memset(&res->err, 0, sizeof res->err);
		res->attempts++;
		e = attempt(w, c, spec, ob, &due, h, res);
		if (e == 0) {
			res->status = JOB_STORED;
			goto out;
		}
		/* being told to wait is not a failed attempt (a few times) */
		asked = res->err.retry_after > 0 &&
		    res->err.retry_after <= JOB_WAIT_MAX;
		if (asked && err_retryable(e) && limited++ < JOB_RATE_LIMIT_WAITS)
			n--;
		/* an error no retry can cure, or the last attempt's: the job
		 * failed, whether or not a stop came meanwhile */
		final = !err_retryable(e) || n == c->attempts;
		if (final)
			break;
		/* 1 s, 2 s, 4 s ... with +-25% jitter, or what the server
		 * asked for (n >= 1 here: only a pause undoes one) */
		wait = asked ? (double)res->err.retry_after :
		    (double)(1u << (n - 1)) * (0.75 + 0.5 * jitter(w));
		if (h != NULL && h->retry != NULL)
			wait = h->retry(h->ctx, res->attempts, wait, asked,
			    &res->err);
		if (wait > 0)
			nap(h, wait);
	}
	res->status = JOB_FAILED;
	/* interrupted: a cancel ended it, or a stop kept it from an attempt
	 * it had left; not a job that failed for good while a stop came */
	res->interrupted = res->err.code == ERR_CANCELLED ||
	    (!final && stopping(h));
	if (res->err.code == 0)         /* stopped before any attempt */
		err_set(&res->err, ERR_CANCELLED, NULL);
	e = res->err.code;
	drop_digest(w);
	pthread_mutex_lock(&w->mu);
	w->hooks = NULL;
	pthread_mutex_unlock(&w->mu);
	return e;
out:
	if (!spec->keep_digest)
		drop_digest(w);
	pthread_mutex_lock(&w->mu);
	w->hooks = NULL;
	pthread_mutex_unlock(&w->mu);
	return 0;
}
