/*
 * queue.c - the job table's backend-neutral half: the writer thread with
 * group commit, the blocking wrapper, reader handles, keys, words, backoff.
 * See queue.h.
 *
 * Group commit: queue_post() appends an op to a list under a mutex and wakes
 * the writer. The writer takes everything waiting (up to QUEUE_GROUP ops),
 * applies it in one transaction, commits once, and only then calls each op's
 * done(), in the order they were posted. While it waits for one commit's
 * fsync, the next ops gather, so under load one fsync serves many transitions
 * and no op waits for more than the commit before its own.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "isotime.h"
#include "queue.h"
#include "queue_backend.h"

/* Ops per transaction at most: a bound on how long the first op of a large
 * burst waits for the last one's work before its commit. */
#define QUEUE_GROUP 256

struct queue {
	const struct queue_backend *be;
	void *w;                        /* the backend's writer state */
	pthread_t thread;
	pthread_mutex_t mu;             /* guards head, tail, stopping */
	pthread_cond_t cv;              /* the writer waits on it for ops */
	struct queue_op *head, *tail;   /* posted, not yet taken */
	int stopping;
};

struct queue_reader {
	const struct queue_backend *be;
	void *r;
};

/* ------------------------------------------------------------ words */

static const char *const state_names[QUEUE__STATES] = {
	"queued", "running", "completed", "failed", "cancelled"
};
static const char *const origin_names[QUEUE__ORIGINS] = {
	"api", "webhook", "schedule", "retry"
};
static const char *const outcome_names[QUEUE__OUTCOMES] = {
	"running", "completed", "failed", "cancelled", "interrupted"
};

/* see queue.h */
const char *
queue_state_name(int state)
{
	return state >= 0 && state < QUEUE__STATES ? state_names[state] : NULL;
}

const char *
queue_origin_name(int origin)
{
	return origin >= 0 && origin < QUEUE__ORIGINS ? origin_names[origin] :
	    NULL;
}

const char *
queue_outcome_name(int outcome)
{
	return outcome >= 0 && outcome < QUEUE__OUTCOMES ?
	    outcome_names[outcome] : NULL;
}

static int
parse(const char *const *names, int count, const char *s, size_t n)
{
	int i;

	for (i = 0; s != NULL && i < count; i++)
		if (strlen(names[i]) == n && memcmp(names[i], s, n) == 0)
			return i;
	return -1;
}

int
queue_state_parse(const char *s, size_t n)
{
	return parse(state_names, QUEUE__STATES, s, n);
}

int
queue_origin_parse(const char *s, size_t n)
{
	return parse(origin_names, QUEUE__ORIGINS, s, n);
}

int
queue_outcome_parse(const char *s, size_t n)
{
	return parse(outcome_names, QUEUE__OUTCOMES, s, n);
}

/* ------------------------------------------------------------ keys */

/* 1 if s has a byte a name or ref never holds: controls, DEL, space */
static int
has_bad_byte(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s == 0x7f)
			return 1;
	return 0;
}

int
queue_key_make(struct queue_key *k, const char *repo, const char *ref,
    const char *default_branch)
{
	const char *slash;
	size_t n, i;

	memset(k, 0, sizeof *k);
	n = strlen(repo);
	if (n >= sizeof k->name)
		return ERR_LIMIT;
	slash = strchr(repo, '/');
	/* exactly one '/', with a name on each side; the URL forms are the
	 * caller's (url.c knows GitHub's rules) */
	if (slash == NULL || slash == repo || slash[1] == '\0' ||
	    strchr(slash + 1, '/') != NULL || has_bad_byte(repo))
		return ERR_USAGE;
	/* GitHub's names are ASCII and case-insensitive */
	for (i = 0; i < n; i++) {
		char c = repo[i];
		k->name[i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
	}
	if (ref == NULL)
		ref = "";
	if (strlen(ref) >= sizeof k->ref)
		return ERR_LIMIT;
	if (has_bad_byte(ref))
		return ERR_USAGE;
	/* refs are case-sensitive: only the three spellings of "the default
	 * branch" meet */
	if (ref[0] == '\0' || strcmp(ref, "HEAD") == 0 ||
	    (default_branch != NULL && default_branch[0] != '\0' &&
	    strcmp(ref, default_branch) == 0))
		ref = "HEAD";
	memcpy(k->ref, ref, strlen(ref) + 1);
	return 0;
}

int64_t
queue_backoff_ms(int attempt, double u)
{
	int64_t base = QUEUE_BACKOFF_MS;

	if (attempt < 1)
		attempt = 1;
	/* doubling stops at the cap: no shift past it, no overflow */
	while (--attempt > 0 && base < QUEUE_BACKOFF_CAP_MS)
		base *= 2;
	if (base > QUEUE_BACKOFF_CAP_MS)
		base = QUEUE_BACKOFF_CAP_MS;
	if (u < 0 || u >= 1)
		u = 0.5;
	return (int64_t)((double)base * (0.75 + 0.5 * u));
}

int64_t
queue_now(const struct queue_config *cfg)
{
	if (cfg->clock != NULL)
		return cfg->clock(cfg->clock_arg);
	return isotime_ms_now();
}

/* ------------------------------------------------------------ writer */

/* Fail every op of a batch with ec (a begin or commit that failed: none of
 * them happened). */
static void
fail_all(struct queue_op *ops, const struct err_ctx *ec)
{
	for (; ops != NULL; ops = ops->next)
		ops->out.ec = *ec;
}

static void *
writer(void *arg)
{
	struct queue *q = arg;
	struct queue_op *batch, *op, *next;
	struct err_ctx ec;
	int n;

	for (;;) {
		pthread_mutex_lock(&q->mu);
		while (q->head == NULL && !q->stopping)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->head == NULL) {          /* stopping, all applied */
			pthread_mutex_unlock(&q->mu);
			break;
		}
		batch = q->head;
		/* ops posted as one (queue_post2) are never split */
		for (op = batch, n = 1; op->next != NULL &&
		    (n < QUEUE_GROUP || op->joined); op = op->next, n++)
			;
		q->head = op->next;
		if (q->head == NULL)
			q->tail = NULL;
		op->next = NULL;
		pthread_mutex_unlock(&q->mu);

		for (op = batch; op != NULL; op = op->next)
			memset(&op->out, 0, sizeof op->out);
		memset(&ec, 0, sizeof ec);
		if (q->be->begin(q->w, &ec) != 0) {
			fail_all(batch, &ec);
		} else {
			for (op = batch; op != NULL; op = op->next)
				q->be->apply(q->w, op);
			if (q->be->commit(q->w, &ec) != 0) {
				q->be->rollback(q->w);
				fail_all(batch, &ec);
			}
		}
		/* durable (or failed): now, and only now, answer. next is read
		 * first: done() may free or reuse its op. */
		for (op = batch; op != NULL; op = next) {
			next = op->next;
			op->next = NULL;
			if (op->done != NULL)
				op->done(op);
		}
	}
	return NULL;
}

/* see queue.h */
int
queue_open(struct queue **qp, const struct queue_config *cfg,
    struct err_ctx *ec)
{
	struct queue *q;
	int rc;

	*qp = NULL;
	memset(ec, 0, sizeof *ec);
	q = calloc(1, sizeof *q);
	if (q == NULL)
		return err_set(ec, ERR_NOMEM, NULL);
	q->be = &queue_sqlite_backend;
	rc = q->be->open(&q->w, cfg, ec);
	if (rc != 0) {
		free(q);
		return rc;
	}
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	if (pthread_create(&q->thread, NULL, writer, q) != 0) {
		q->be->close(q->w);
		pthread_cond_destroy(&q->cv);
		pthread_mutex_destroy(&q->mu);
		free(q);
		return err_set(ec, ERR_NOMEM, "cannot start the writer thread");
	}
	*qp = q;
	return 0;
}

/* Append the chain first..last (linked by next) under the lock. */
static void
append(struct queue *q, struct queue_op *first, struct queue_op *last)
{
	last->next = NULL;
	pthread_mutex_lock(&q->mu);
	if (q->tail != NULL)
		q->tail->next = first;
	else
		q->head = first;
	q->tail = last;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

void
queue_post(struct queue *q, struct queue_op *op)
{
	op->joined = 0;
	append(q, op, op);
}

void
queue_post2(struct queue *q, struct queue_op *a, struct queue_op *b)
{
	a->joined = 1;
	a->next = b;
	b->joined = 0;
	append(q, a, b);
}

struct waiter {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done;
};

static void
wake(struct queue_op *op)
{
	struct waiter *wt = op->arg;

	pthread_mutex_lock(&wt->mu);
	wt->done = 1;
	pthread_cond_signal(&wt->cv);
	pthread_mutex_unlock(&wt->mu);
}

int
queue_run(struct queue *q, struct queue_op *op)
{
	struct waiter wt;

	pthread_mutex_init(&wt.mu, NULL);
	pthread_cond_init(&wt.cv, NULL);
	wt.done = 0;
	op->done = wake;
	op->arg = &wt;
	queue_post(q, op);
	pthread_mutex_lock(&wt.mu);
	while (!wt.done)
		pthread_cond_wait(&wt.cv, &wt.mu);
	pthread_mutex_unlock(&wt.mu);
	pthread_cond_destroy(&wt.cv);
	pthread_mutex_destroy(&wt.mu);
	return op->out.ec.code;
}

void
queue_close(struct queue *q)
{
	if (q == NULL)
		return;
	pthread_mutex_lock(&q->mu);
	q->stopping = 1;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->thread, NULL);
	q->be->close(q->w);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q);
}

/* ------------------------------------------------------------ readers */

int
queue_reader_open(struct queue *q, struct queue_reader **rp,
    struct err_ctx *ec)
{
	struct queue_reader *r;
	int rc;

	*rp = NULL;
	r = calloc(1, sizeof *r);
	if (r == NULL)
		return err_set(ec, ERR_NOMEM, NULL);
	r->be = q->be;
	rc = q->be->reader_open(q->w, &r->r, ec);
	if (rc != 0) {
		free(r);
		return rc;
	}
	*rp = r;
	return 0;
}

void
queue_reader_close(struct queue_reader *r)
{
	if (r == NULL)
		return;
	r->be->reader_close(r->r);
	free(r);
}

int
queue_get(struct queue_reader *r, const char *id, struct queue_job *job,
    struct err_ctx *ec)
{
	return r->be->get(r->r, id, job, ec);
}

int
queue_list(struct queue_reader *r, const struct queue_filter *f,
    struct queue_job *jobs, size_t cap, size_t *n, struct err_ctx *ec)
{
	return r->be->list(r->r, f, jobs, cap, n, ec);
}

int
queue_attempts(struct queue_reader *r, const char *id,
    struct queue_attempt *att, size_t cap, size_t *n, struct err_ctx *ec)
{
	return r->be->attempts(r->r, id, att, cap, n, ec);
}

int
queue_stats(struct queue_reader *r, struct queue_stats *st,
    struct err_ctx *ec)
{
	return r->be->stats(r->r, st, ec);
}

int
queue_repo_get(struct queue_reader *r, const struct queue_key *k,
    struct queue_repo *out, struct err_ctx *ec)
{
	return r->be->repo_get(r->r, k, out, ec);
}
