/*
 * schedule.h - `serve --feed FEED --every DURATION`: the feed turned into jobs
 * on a period (issue 25, decisions 3, 5 and 11).
 *
 * One thread of its own (the scheduler), beside the loop, the table's
 * writer, the reader and the workers (svc.h). A pass starts at start-up and
 * then every period, measured from the start of the one before; a pass runs
 * from its start until its feed is read, every record is queued or checked
 * and every job it queued has ended, so passes never overlap: one still
 * running when the next is due delays it (the answer says so), and the next
 * starts as soon as it ends.
 *
 * A pass reads the feed (feed_read: a file or URL, `run`'s format, limits and
 * skip rules) and, per kept record, in feed order:
 *   - unchanged: its repositories row (queue_repo_get, on the scheduler's own
 *     reader) has the record's pushedAt, and the job module's check (a dry
 *     run: every object asked for stored, our generator, that pushedAt) says
 *     current: QUEUE_OP_CHECKED, no job row, no download (decision 11);
 *   - else QUEUE_OP_SUBMIT, origin "schedule", priority SCHED_PRIORITY (below
 *     every API and webhook job), through the one-job-per-key rule: an
 *     existing job for the key is the answer and is followed like a new one.
 * Operations go to the writer in windows of SCHED_WINDOW (one group commit
 * each). The record's pushedAt travels with its job in memory
 * (sched_pushed_at): the worker gives it to the job (the sidecar's pushedat)
 * and to its COMPLETE (the repositories row), so the next pass finds it.
 *
 * A feed that cannot be read or parsed fails the pass (one log line, the
 * error in the answer); the next pass tries again. sched_stop_begin (SIGTERM)
 * stops the pass from queuing more and cancels a feed download under way.
 */
#ifndef SCHEDULE_H
#define SCHEDULE_H

#include <pthread.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "fetch.h"
#include "job.h"
#include "jsonw.h"
#include "log.h"
#include "queue.h"
#include "sink.h"

#define SCHED_EVERY_MIN_MS ((int64_t)1000)              /* 1s */
#define SCHED_EVERY_MAX_MS ((int64_t)366 * 86400 * 1000) /* 366d */
#define SCHED_WINDOW 64         /* operations posted before waiting */
/* Below every priority a request may ask for (body.h: |priority| <= 1000):
 * webhook and API jobs overtake a scheduled backlog. */
#define SCHED_PRIORITY (-1001)

/*
 * A period: digits and one unit, s, m, h or d ("30s", "15m", "6h", "1d"),
 * from SCHED_EVERY_MIN_MS to SCHED_EVERY_MAX_MS. Returns 0 with *ms set, or
 * ERR_USAGE (ec's detail says what is wrong with it).
 */
int sched_every_parse(const char *s, int64_t *ms, struct err_ctx *ec);

struct sched_config {
	const char *feed;               /* --feed: a file or URL, as given */
	int64_t every_ms;
	const struct fetch_opts *fo;    /* the feed's download */
	struct queue *q;
	const struct job_config *jc;    /* the "already stored" check */
	const char *out;                /* --out, opened read-only for it */
	const struct sink_net *net;
	uint32_t formats;               /* the jobs' (job.h bits) */
	struct log *log;
	void (*kick)(void *arg);        /* new jobs: wake the workers */
	void *arg;
};

struct sched;

/* Open the scheduler's sink and start its thread (the first pass begins at
 * once). 0, or an error (ec) with nothing started. */
int sched_start(struct sched **sp, const struct sched_config *c,
    struct err_ctx *ec);

/* SIGTERM: no more records queued, a feed download cancelled, no next pass.
 * Never blocks (the loop's call). */
void sched_stop_begin(struct sched *sc);

/* Stop (sched_stop_begin) and wait for the thread. Before queue_close:
 * the writer answers the operations it still has posted. NULL: nothing. */
void sched_join(struct sched *sc);

/* Free, once no thread can call in any more (after queue_close: the
 * writer's done() of a DELETE may still tell it of a job's end until then).
 * NULL: nothing. */
void sched_free(struct sched *sc);

/* A worker claimed job id (the writer's done(), in commit order). */
void sched_job_claimed(struct sched *sc, const char *id);

/* Job j ended (its end committed): counted in its pass when it is one of
 * the pass's; queued again (a retry after backoff) is not an end. */
void sched_job_ended(struct sched *sc, const struct queue_job *j);

/* The feed's pushedAt of job id when a running pass queued it: copied to
 * out, 1; else 0 (out ""). */
int sched_pushed_at(struct sched *sc, const char *id, char *out, size_t cap);

/* GET /v1/schedule's answer: the feed (redacted), the period, the last and
 * the running pass, the next pass's time. */
void sched_json(struct sched *sc, struct jw *w);

/* Its /metrics lines. */
void sched_metrics(struct sched *sc, struct buf *b);

#endif
