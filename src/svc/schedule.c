/*
 * schedule.c - the feed schedule of `serve`: one thread, a pass per period.
 * See schedule.h (not sched.h: the system has that name, and <pthread.h>
 * includes it).
 *
 * Locking: sc->mu guards the passes' figures, the pass's job table and the
 * window's count; it is taken last (the workers call in holding the
 * service's lock) and nothing is called with it held but memory work.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cancel.h"
#include "feed.h"
#include "isotime.h"
#include "schedule.h"
#include "url.h"

/* Where a job of the pass is. */
enum { E_QUEUED, E_RUNNING, E_ENDED };

/* A job the pass queued (or that answered its request). */
struct entry {
	char id[QUEUE_ID_LEN];          /* "" free */
	char pushed_at[QUEUE_PUSHED_MAX];
	int state;
};

/* One pass's figures. */
struct pass {
	int64_t started, finished;
	uint64_t records;               /* kept records gone through */
	uint64_t skipped;               /* bad records (as `run` skips) */
	uint64_t queued;                /* jobs queued (or answering) */
	uint64_t unchanged;             /* checked: no job, no download */
	uint64_t completed, failed;     /* its jobs that ended */
	uint64_t running;               /* its jobs a worker runs now */
	uint64_t errors;                /* records the table refused */
	int outcome;                    /* enum pass_outcome, once finished */
	char error[QUEUE_ERROR_MAX];    /* the feed's error, or the first
	                                 * refused record's */
};
enum pass_outcome { P_COMPLETED, P_FAILED, P_STOPPED };
static const char *const outcome_word[] = { "completed", "failed",
    "stopped" };

struct sched {
	struct sched_config c;
	char shown[1024];               /* the feed, url_redact()ed */
	pthread_t t;
	int joined;                     /* the main thread's */
	struct cancel cancel;           /* a feed download; set: stop */
	struct job_worker *jw;          /* the check's sink (no download) */
	struct job_config dry;          /* c.jc, dry run */
	struct queue_reader *r;         /* the scheduler thread's */
	struct queue_op ops[SCHED_WINDOW];
	char opushed[SCHED_WINDOW][QUEUE_PUSHED_MAX];
	/* under mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
	int busy;                       /* a pass is under way */
	int has_last;
	struct pass cur, last;
	int64_t next_at;                /* when the next pass is due */
	struct entry *tab;              /* open addressing by id */
	size_t mask;                    /* its size - 1 (0: none) */
	size_t pending;                 /* window operations not yet done */
	uint64_t passes[3];             /* by outcome */
	uint64_t total_queued, total_unchanged;
};

/* ------------------------------------------------------------ period */

/* see schedule.h */
int
sched_every_parse(const char *s, int64_t *ms, struct err_ctx *ec)
{
	static const struct { char u; int64_t ms; } unit[] = {
		{ 's', 1000 }, { 'm', 60000 }, { 'h', 3600000 },
		{ 'd', 86400000 },
	};
	size_t n = strspn(s, "0123456789");
	int64_t v = 0;

	*ms = 0;
	for (size_t i = 0; i < n && i < 12; i++)
		v = v * 10 + (s[i] - '0');
	if (n == 0 || s[n] == '\0' || s[n + 1] != '\0')
		return err_set(ec, ERR_USAGE, "want a number and one unit, "
		    "s, m, h or d (30s, 15m, 6h, 1d)");
	for (size_t i = 0; i < sizeof unit / sizeof unit[0]; i++) {
		if (s[n] != unit[i].u)
			continue;
		if (n > 12 || v > SCHED_EVERY_MAX_MS / unit[i].ms ||
		    v * unit[i].ms < SCHED_EVERY_MIN_MS)
			break;
		*ms = v * unit[i].ms;
		return 0;
	}
	if (strchr("smhd", s[n]) == NULL)
		return err_set(ec, ERR_USAGE, "unknown unit '%c': want s, m, h "
		    "or d", s[n] >= ' ' && s[n] < 127 ? s[n] : '?');
	return err_set(ec, ERR_USAGE, "out of range: from 1s to 366d");
}

/* ms as the largest unit that divides it ("90s", "6h"). */
static void
every_text(int64_t ms, char *out, size_t cap)
{
	if (ms % 86400000 == 0)
		snprintf(out, cap, "%lldd", (long long)(ms / 86400000));
	else if (ms % 3600000 == 0)
		snprintf(out, cap, "%lldh", (long long)(ms / 3600000));
	else if (ms % 60000 == 0)
		snprintf(out, cap, "%lldm", (long long)(ms / 60000));
	else
		snprintf(out, cap, "%llds", (long long)(ms / 1000));
}

/* ------------------------------------------------------------ the pass's jobs */

/* A UUID's first 8 hex digits are random: the hash. */
static size_t
id_hash(const char *id)
{
	size_t h = 0;

	for (int i = 0; i < 8 && id[i]; i++)
		h = h * 16 + (size_t)(id[i] <= '9' ? id[i] - '0' :
		    (id[i] | 0x20) - 'a' + 10);
	return h;
}

/* The slot of id: its entry, or the free one it would take (NULL: no
 * table). Under mu. */
static struct entry *
slot_find(struct sched *sc, const char *id)
{
	size_t i;

	if (sc->mask == 0)
		return NULL;
	for (i = id_hash(id) & sc->mask;; i = (i + 1) & sc->mask)
		if (sc->tab[i].id[0] == '\0' || strcmp(sc->tab[i].id, id) == 0)
			return &sc->tab[i];
}

/* The entry of id, or NULL. Under mu. */
static struct entry *
entry_of(struct sched *sc, const char *id)
{
	struct entry *e = slot_find(sc, id);

	return e != NULL && e->id[0] != '\0' ? e : NULL;
}

/* An entry leaves E_RUNNING or E_QUEUED for state. Under mu. */
static void
entry_move(struct sched *sc, struct entry *e, int state, int completed)
{
	if (e->state == E_ENDED || e->state == state)
		return;
	if (e->state == E_RUNNING)
		sc->cur.running--;
	if (state == E_RUNNING)
		sc->cur.running++;
	if (state == E_ENDED) {
		if (completed)
			sc->cur.completed++;
		else
			sc->cur.failed++;
		pthread_cond_broadcast(&sc->cv);
	}
	e->state = state;
}

/* see schedule.h */
void
sched_job_claimed(struct sched *sc, const char *id)
{
	struct entry *e;

	if (sc == NULL)
		return;
	pthread_mutex_lock(&sc->mu);
	if ((e = entry_of(sc, id)) != NULL)
		entry_move(sc, e, E_RUNNING, 0);
	pthread_mutex_unlock(&sc->mu);
}

/* see schedule.h */
void
sched_job_ended(struct sched *sc, const struct queue_job *j)
{
	struct entry *e;

	if (sc == NULL)
		return;
	pthread_mutex_lock(&sc->mu);
	if ((e = entry_of(sc, j->id)) != NULL) {
		if (j->state == QUEUE_QUEUED)
			entry_move(sc, e, E_QUEUED, 0);  /* a retry's backoff */
		else if (j->state != QUEUE_RUNNING)
			entry_move(sc, e, E_ENDED, j->state == QUEUE_COMPLETED);
	}
	pthread_mutex_unlock(&sc->mu);
}

/* see schedule.h */
int
sched_pushed_at(struct sched *sc, const char *id, char *out, size_t cap)
{
	struct entry *e;
	int found = 0;

	out[0] = '\0';
	if (sc == NULL)
		return 0;
	pthread_mutex_lock(&sc->mu);
	if ((e = entry_of(sc, id)) != NULL && e->pushed_at[0] != '\0') {
		snprintf(out, cap, "%s", e->pushed_at);
		found = 1;
	}
	pthread_mutex_unlock(&sc->mu);
	return found;
}

/* ------------------------------------------------------------ one pass */

/* A skipped feed record: one log line and the count (as `run` does). */
static void
on_skip(void *ctx, size_t index, const char *who, const char *reason)
{
	struct sched *sc = ctx;

	feed_skip_log(sc->c.log, "schedule", index, who, reason);
	pthread_mutex_lock(&sc->mu);
	sc->cur.skipped++;
	pthread_mutex_unlock(&sc->mu);
}

/* The writer's done() of a window's operation (the writer's thread). */
static void
op_done(struct queue_op *op)
{
	struct sched *sc = op->arg;
	size_t k = (size_t)(op - sc->ops);
	struct entry *e;

	pthread_mutex_lock(&sc->mu);
	if (op->out.ec.code != 0) {
		sc->cur.errors++;
		if (sc->cur.error[0] == '\0')
			err_format(&op->out.ec, sc->cur.error,
			    sizeof sc->cur.error);
	} else if (op->kind == QUEUE_OP_CHECKED) {
		sc->cur.unchanged++;
		sc->total_unchanged++;
	} else if ((e = slot_find(sc, op->out.job.id)) != NULL &&
	    e->id[0] == '\0') {
		memcpy(e->id, op->out.job.id, sizeof e->id);
		memcpy(e->pushed_at, sc->opushed[k], sizeof e->pushed_at);
		e->state = E_QUEUED;
		sc->cur.queued++;
		sc->total_queued++;
		entry_move(sc, e, op->out.job.state == QUEUE_RUNNING ?
		    E_RUNNING : E_QUEUED, 0);
	}
	sc->pending--;
	pthread_cond_broadcast(&sc->cv);
	pthread_mutex_unlock(&sc->mu);
}

/* Wait until at most `most` window operations are outstanding. */
static void
window_wait(struct sched *sc, size_t most)
{
	pthread_mutex_lock(&sc->mu);
	while (sc->pending > most)
		pthread_cond_wait(&sc->cv, &sc->mu);
	pthread_mutex_unlock(&sc->mu);
}

/* Unchanged (schedule.h): the table's row has this pushedAt and the job
 * module's own check finds every object current. */
static int
unchanged(struct sched *sc, const struct feed_job *fj, const char *name)
{
	struct queue_key k;
	struct queue_repo row;
	struct job_spec spec;
	struct job_result res;
	struct err_ctx ec;

	if (!fj->has_pushed_at || fj->pushed_at[0] == '\0' || sc->r == NULL)
		return 0;
	memset(&ec, 0, sizeof ec);
	if (queue_key_make(&k, name, "", NULL) != 0 ||
	    queue_repo_get(sc->r, &k, &row, &ec) != 0 ||
	    strcmp(row.last_pushed_at, fj->pushed_at) != 0)
		return 0;
	memset(&spec, 0, sizeof spec);
	spec.source = name;
	spec.remote_only = 1;
	spec.flavour = name;
	spec.strip = -1;
	spec.owner = fj->owner;
	spec.repo = fj->repo;
	spec.ref = "";
	spec.pushed_at = fj->pushed_at;
	spec.formats = sc->c.formats;
	job_run(sc->jw, &sc->dry, &spec, NULL, &res);
	return res.status == JOB_WOULD_SKIP;
}

/* Post one record's operation in the window's slot k. */
static void
record_post(struct sched *sc, const struct feed_job *fj, size_t k)
{
	struct queue_op *op = &sc->ops[k];
	char name[QUEUE_REPO_MAX];

	memset(op, 0, sizeof *op);
	snprintf(name, sizeof name, "%s/%s", fj->owner, fj->repo);
	snprintf(sc->opushed[k], QUEUE_PUSHED_MAX, "%s", fj->pushed_at);
	if (unchanged(sc, fj, name)) {
		op->kind = QUEUE_OP_CHECKED;
		snprintf(op->in.checked.repo, QUEUE_REPO_MAX, "%s", name);
		snprintf(op->in.checked.pushed_at, QUEUE_PUSHED_MAX, "%s",
		    fj->pushed_at);
	} else {
		struct queue_request *q = &op->in.submit;
		op->kind = QUEUE_OP_SUBMIT;
		snprintf(q->repo, sizeof q->repo, "%s", name);
		q->formats = sc->c.formats;
		q->priority = SCHED_PRIORITY;
		q->origin = QUEUE_SCHEDULE;
	}
	op->done = op_done;
	op->arg = sc;
	pthread_mutex_lock(&sc->mu);
	sc->pending++;
	sc->cur.records++;
	pthread_mutex_unlock(&sc->mu);
	queue_post(sc->c.q, op);
}

/*
 * Jobs of the pass a notice missed (ended some other way, pruned): asked of
 * the table, once per period while the pass waits for them.
 */
static void
reconcile(struct sched *sc)
{
	struct queue_job *j = malloc(sizeof *j);
	char id[QUEUE_ID_LEN];
	struct err_ctx ec;

	if (j == NULL || sc->r == NULL) {
		free(j);
		return;
	}
	for (size_t i = 0;; i++) {
		struct entry *e;
		int gone;
		pthread_mutex_lock(&sc->mu);
		if (i > sc->mask) {
			pthread_mutex_unlock(&sc->mu);
			break;
		}
		e = &sc->tab[i];
		if (e->id[0] == '\0' || e->state == E_ENDED) {
			pthread_mutex_unlock(&sc->mu);
			continue;
		}
		memcpy(id, e->id, sizeof id);
		pthread_mutex_unlock(&sc->mu);
		memset(&ec, 0, sizeof ec);
		gone = queue_get(sc->r, id, j, &ec) == ERR_QUEUE_NOT_FOUND;
		pthread_mutex_lock(&sc->mu);
		if (gone)
			entry_move(sc, &sc->tab[i], E_ENDED, 0);
		else if (ec.code == 0 && j->state != QUEUE_QUEUED &&
		    j->state != QUEUE_RUNNING)
			entry_move(sc, &sc->tab[i], E_ENDED,
			    j->state == QUEUE_COMPLETED);
		pthread_mutex_unlock(&sc->mu);
	}
	free(j);
}

/* The pass ends: its figures become the last pass's. Under mu. */
static void
pass_end(struct sched *sc, int outcome)
{
	sc->cur.finished = isotime_ms_now();
	sc->cur.outcome = outcome;
	sc->last = sc->cur;
	sc->has_last = 1;
	sc->busy = 0;
	sc->passes[outcome]++;
}

static void
pass_log(struct sched *sc, const struct pass *p)
{
	char a[24], b[24], c[24], d[24], e[24], f[24];
	const char *kv[] = { "feed", sc->shown, "outcome",
	    outcome_word[p->outcome], "records", a, "queued", b, "unchanged", c,
	    "skipped", d, "completed", e, "failed", f, "error",
	    p->error[0] ? p->error : NULL, NULL };

	snprintf(a, sizeof a, "%llu", (unsigned long long)p->records);
	snprintf(b, sizeof b, "%llu", (unsigned long long)p->queued);
	snprintf(c, sizeof c, "%llu", (unsigned long long)p->unchanged);
	snprintf(d, sizeof d, "%llu", (unsigned long long)p->skipped);
	snprintf(e, sizeof e, "%llu", (unsigned long long)p->completed);
	snprintf(f, sizeof f, "%llu", (unsigned long long)p->failed);
	log_msg(sc->c.log, p->outcome == P_FAILED ? LOG_ERROR : LOG_NOTE,
	    "schedule", p->outcome == P_FAILED ? "Scheduled pass failed" :
	    "Scheduled pass ended", kv);
}

/* Read the feed; its records into jobs and checks; wait for the jobs. */
static void
pass_run(struct sched *sc)
{
	struct feed_parser *fp = malloc(sizeof *fp);
	struct feed_list fl;
	struct err_ctx ec;
	size_t size = 16;
	struct pass done;
	int e, stop;

	memset(&fl, 0, sizeof fl);
	pthread_mutex_lock(&sc->mu);
	memset(&sc->cur, 0, sizeof sc->cur);
	sc->cur.started = isotime_ms_now();
	sc->busy = 1;
	free(sc->tab);
	sc->tab = NULL;
	sc->mask = 0;
	pthread_mutex_unlock(&sc->mu);
	{
		const char *kv[] = { "feed", sc->shown, NULL };
		log_msg(sc->c.log, LOG_NOTE, "schedule", "Scheduled pass "
		    "started", kv);
	}
	memset(&ec, 0, sizeof ec);
	if (fp == NULL) {
		e = err_set(&ec, ERR_NOMEM, NULL);
	} else {
		feed_init(fp, on_skip, sc);
		e = feed_read(sc->c.feed, sc->shown, sc->c.fo, &sc->cancel, fp,
		    &ec);
		if (e != 0) {
			feed_end(fp, &fl, NULL);
		} else {
			memset(&ec, 0, sizeof ec);
			e = feed_end(fp, &fl, &ec);
			err_field(ec.source, sizeof ec.source, sc->shown,
			    strlen(sc->shown));
		}
		free(fp);
	}
	while (e == 0 && size < fl.njobs * 2)
		size *= 2;
	pthread_mutex_lock(&sc->mu);
	if (e == 0 && (sc->tab = calloc(size, sizeof *sc->tab)) == NULL)
		e = err_set(&ec, ERR_NOMEM, NULL);
	if (e != 0) {
		if (cancel_requested(&sc->cancel)) {
			pass_end(sc, P_STOPPED);
		} else {
			err_format(&ec, sc->cur.error, sizeof sc->cur.error);
			pass_end(sc, P_FAILED);
		}
		done = sc->last;
		pthread_mutex_unlock(&sc->mu);
		feed_list_free(&fl);
		pass_log(sc, &done);
		return;
	}
	sc->mask = size - 1;
	pthread_mutex_unlock(&sc->mu);

	/* every record in feed order, SCHED_WINDOW operations at a time */
	stop = 0;
	for (size_t i = 0, k = 0; i < fl.njobs && !stop; i++) {
		record_post(sc, &fl.jobs[i], k);
		k = (k + 1) % SCHED_WINDOW;
		if (k == 0 || i + 1 == fl.njobs) {
			window_wait(sc, 0);
			sc->c.kick(sc->c.arg);
		}
		stop = cancel_requested(&sc->cancel);
	}
	window_wait(sc, 0);
	feed_list_free(&fl);
	if (!stop)
		sc->c.kick(sc->c.arg);

	/* the pass lasts until its jobs have ended (or the stop) */
	pthread_mutex_lock(&sc->mu);
	while (!sc->stop && sc->cur.completed + sc->cur.failed <
	    sc->cur.queued) {
		int64_t due = sc->cur.started + sc->c.every_ms;
		int64_t t = due > isotime_ms_now() ? due : isotime_ms_now() +
		    sc->c.every_ms;
		struct timespec ts;
		ts.tv_sec = (time_t)(t / 1000);
		ts.tv_nsec = (long)(t % 1000) * 1000000;
		if (pthread_cond_timedwait(&sc->cv, &sc->mu, &ts) == ETIMEDOUT) {
			pthread_mutex_unlock(&sc->mu);
			reconcile(sc);
			pthread_mutex_lock(&sc->mu);
		}
	}
	pass_end(sc, sc->stop ? P_STOPPED : P_COMPLETED);
	done = sc->last;
	pthread_mutex_unlock(&sc->mu);
	pass_log(sc, &done);
}

static void *
sched_main(void *arg)
{
	struct sched *sc = arg;
	struct err_ctx ec;

	memset(&ec, 0, sizeof ec);
	if (queue_reader_open(sc->c.q, &sc->r, &ec) != 0) {
		char m[600];
		const char *kv[] = { "error", m, NULL };
		err_format(&ec, m, sizeof m);
		log_msg(sc->c.log, LOG_ERROR, "schedule", "No table reader: "
		    "every record is queued", kv);
		sc->r = NULL;
	}
	pthread_mutex_lock(&sc->mu);
	while (!sc->stop) {
		int64_t now = isotime_ms_now();
		if (now < sc->next_at) {
			struct timespec ts;
			ts.tv_sec = (time_t)(sc->next_at / 1000);
			ts.tv_nsec = (long)(sc->next_at % 1000) * 1000000;
			pthread_cond_timedwait(&sc->cv, &sc->mu, &ts);
			continue;
		}
		pthread_mutex_unlock(&sc->mu);
		pass_run(sc);
		pthread_mutex_lock(&sc->mu);
		/* from the start of the pass; one that outlasted the period
		 * is followed at once */
		sc->next_at = sc->last.started + sc->c.every_ms;
	}
	pthread_mutex_unlock(&sc->mu);
	if (sc->r != NULL)
		queue_reader_close(sc->r);
	sc->r = NULL;
	return NULL;
}

/* ------------------------------------------------------------ start, stop */

/* see schedule.h */
int
sched_start(struct sched **sp, const struct sched_config *c,
    struct err_ctx *ec)
{
	struct sched *sc;

	*sp = NULL;
	if ((sc = calloc(1, sizeof *sc)) == NULL ||
	    (sc->jw = calloc(1, sizeof *sc->jw)) == NULL) {
		if (sc != NULL)
			free(sc);
		return err_set(ec, ERR_NOMEM, NULL);
	}
	sc->c = *c;
	if (strstr(c->feed, "://") != NULL)
		url_redact(c->feed, sc->shown, sizeof sc->shown);
	else
		snprintf(sc->shown, sizeof sc->shown, "%s", c->feed);
	sc->dry = *c->jc;
	sc->dry.dry_run = 1;
	sc->dry.force = 0;
	cancel_init(&sc->cancel, NULL);
	if (job_worker_init(sc->jw, c->out, c->net, SINK_READONLY, NULL, 1,
	    ec) != 0) {
		job_worker_free(sc->jw);
		free(sc->jw);
		free(sc);
		return ec->code;
	}
	pthread_mutex_init(&sc->mu, NULL);
	pthread_cond_init(&sc->cv, NULL);
	sc->next_at = isotime_ms_now();
	if (pthread_create(&sc->t, NULL, sched_main, sc) != 0) {
		int e = errno;
		pthread_cond_destroy(&sc->cv);
		pthread_mutex_destroy(&sc->mu);
		job_worker_free(sc->jw);
		free(sc->jw);
		free(sc);
		return err_set(ec, ERR_IO, "thread: %s", strerror(e));
	}
	*sp = sc;
	return 0;
}

/* see schedule.h */
void
sched_stop_begin(struct sched *sc)
{
	if (sc == NULL)
		return;
	cancel_request(&sc->cancel);
	pthread_mutex_lock(&sc->mu);
	sc->stop = 1;
	pthread_cond_broadcast(&sc->cv);
	pthread_mutex_unlock(&sc->mu);
}

/* see schedule.h */
void
sched_join(struct sched *sc)
{
	if (sc == NULL || sc->joined)
		return;
	sched_stop_begin(sc);
	pthread_join(sc->t, NULL);
	sc->joined = 1;
}

/* see schedule.h */
void
sched_free(struct sched *sc)
{
	if (sc == NULL)
		return;
	sched_join(sc);
	job_worker_free(sc->jw);
	free(sc->jw);
	free(sc->tab);
	pthread_cond_destroy(&sc->cv);
	pthread_mutex_destroy(&sc->mu);
	free(sc);
}

/* ------------------------------------------------------------ answers */

static void
time_field(struct jw *w, const char *key, int64_t ms)
{
	char t[ISOTIME_MS_LEN];

	jw_key(w, key);
	if (isotime_ms(ms, t, sizeof t)[0])
		jw_str(w, t);
	else
		jw_null(w);
}

static void
count_field(struct jw *w, const char *key, uint64_t v)
{
	jw_key(w, key);
	jw_uint(w, v);
}

static void
pass_json(struct jw *w, const struct pass *p, int finished)
{
	jw_obj(w);
	time_field(w, "startedAt", p->started);
	if (finished) {
		time_field(w, "finishedAt", p->finished);
		jw_key(w, "outcome");
		jw_str(w, outcome_word[p->outcome]);
	}
	count_field(w, "records", p->records);
	count_field(w, "skipped", p->skipped);
	count_field(w, "queued", p->queued);
	count_field(w, "unchanged", p->unchanged);
	count_field(w, "completed", p->completed);
	count_field(w, "failed", p->failed);
	if (!finished)
		count_field(w, "running", p->running);
	count_field(w, "refused", p->errors);
	jw_key(w, "error");
	jw_str(w, p->error[0] ? p->error : NULL);
	jw_obj_end(w);
}

/* see schedule.h */
void
sched_json(struct sched *sc, struct jw *w)
{
	char every[32];
	int64_t now = isotime_ms_now();
	int overdue;

	every_text(sc->c.every_ms, every, sizeof every);
	pthread_mutex_lock(&sc->mu);
	overdue = sc->busy && now >= sc->cur.started + sc->c.every_ms;
	jw_obj(w);
	jw_key(w, "feed");
	jw_str(w, sc->shown);
	jw_key(w, "every");
	jw_str(w, every);
	count_field(w, "everySeconds", (uint64_t)(sc->c.every_ms / 1000));
	jw_key(w, "state");
	jw_str(w, sc->stop ? "stopped" : sc->busy ? "running" : "waiting");
	jw_key(w, "pass");
	if (sc->busy)
		pass_json(w, &sc->cur, 0);
	else
		jw_null(w);
	jw_key(w, "lastPass");
	if (sc->has_last)
		pass_json(w, &sc->last, 1);
	else
		jw_null(w);
	/* passes never overlap: one still running holds the next back */
	if (sc->stop)
		time_field(w, "nextPassAt", 0);
	else
		time_field(w, "nextPassAt", sc->busy ? sc->cur.started +
		    sc->c.every_ms : sc->next_at);
	jw_key(w, "overdue");
	jw_bool(w, overdue);
	jw_key(w, "note");
	jw_str(w, overdue ? "the pass under way has outlasted the period: "
	    "passes do not overlap, the next starts when it ends" : NULL);
	count_field(w, "passes", sc->passes[P_COMPLETED] +
	    sc->passes[P_FAILED] + sc->passes[P_STOPPED]);
	jw_obj_end(w);
	pthread_mutex_unlock(&sc->mu);
}

/* see schedule.h */
void
sched_metrics(struct sched *sc, struct buf *b)
{
	pthread_mutex_lock(&sc->mu);
	buf_puts(b, "# HELP repodigest_schedule_passes_total Scheduled "
	    "passes over the feed, by outcome.\n"
	    "# TYPE repodigest_schedule_passes_total counter\n");
	for (int i = 0; i < 3; i++)
		buf_printf(b, "repodigest_schedule_passes_total{outcome=\"%s\"}"
		    " %llu\n", outcome_word[i],
		    (unsigned long long)sc->passes[i]);
	buf_printf(b, "# HELP repodigest_schedule_records_total Feed records "
	    "a pass queued as jobs or found unchanged.\n"
	    "# TYPE repodigest_schedule_records_total counter\n"
	    "repodigest_schedule_records_total{result=\"queued\"} %llu\n"
	    "repodigest_schedule_records_total{result=\"unchanged\"} %llu\n"
	    "# TYPE repodigest_schedule_pass_running gauge\n"
	    "repodigest_schedule_pass_running %d\n",
	    (unsigned long long)sc->total_queued,
	    (unsigned long long)sc->total_unchanged, sc->busy);
	pthread_mutex_unlock(&sc->mu);
}
