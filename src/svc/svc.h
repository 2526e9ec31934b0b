/*
 * svc.h - `repodigest serve`: the service's routes, its worker pool and its
 * event fan-out, on top of the network half (serve.h), the job table
 * (queue.h) and the job function (job.h). cmd_serve.c parses the options
 * and calls svc_run(); everything from the first bind to the last close is
 * here.
 *
 * Threads (docs/design.md, "The service"):
 *   loop     one: sockets, routes, timers, signals (a signalfd). It never
 *            touches SQLite, the sink or the network beyond its clients: a
 *            write is posted to the table's writer (queue_post), a read to
 *            the reader thread; their answers come back through loop_post.
 *   writer   the job table's (queue.h): group commits, then done()
 *            callbacks, which render the answer and post it to the loop:
 *            nothing is answered or announced before it is committed.
 *   reader   one: GET routes, /readyz, /metrics (its own table reader).
 *   workers  -j N: claim (queue_run), resolve, job_run, complete or fail;
 *            progress is posted to the loop as events, never stored.
 *   schedule with --feed: the feed's passes (schedule.h), posting to the
 *            writer like a route.
 *
 * Status words (decision 2): /v1 and SSE say queued, running, completed,
 * failed, cancelled; the original routes and /ws say pending, in_progress,
 * completed, failed, cancelled. svc_status_word() is the one mapping.
 */
#ifndef SVC_H
#define SVC_H

#include <stdint.h>

#include "err.h"
#include "fetch.h"
#include "job.h"
#include "sink.h"

#define SVC_WEBHOOK_SECRET_VAR "REPODIGEST_WEBHOOK_SECRET"

struct svc_config {
	const char *host;               /* --listen's address part */
	int port;                       /* 0: any (the log says which) */
	const char *out;                /* --out DIR | s3://... */
	const char *db;                 /* --db FILE */
	const char *index;              /* --index FILE */
	int workers;                    /* -j N */
	int keep_days;                  /* --keep-days */
	int grace_s;                    /* --grace */
	const struct job_config *jc;    /* settings, mirror, API, token */
	struct sink_net net;            /* S3 settings, fetch options */
	const struct fetch_opts *fo;    /* downloads */
	const char *token;              /* REPODIGEST_API_TOKEN or NULL */
	const char *hook_secret;        /* REPODIGEST_WEBHOOK_SECRET or NULL */
	const char *feed;               /* --feed (schedule.h), or NULL: none */
	int64_t every_ms;               /* --every */
	int feed_formats;               /* --format: JOB_FORMAT() bits */
};

/*
 * Serve until SIGTERM or SIGINT, then stop accepting, let running jobs
 * finish within grace_s (else cancel and requeue them), close the table.
 * Returns the exit status: 0 after a clean stop, 1 when the service could
 * not start (the reason said on stderr as one line naming the input).
 */
int svc_run(const struct svc_config *c);

/* The word for a job state (enum queue_state): /v1's when original is 0,
 * the original routes' and /ws's when 1; "" out of range. */
const char *svc_status_word(int state, int original);

#endif
