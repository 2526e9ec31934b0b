/*
 * queue.h - the job table: `serve`'s durable jobs, behind one contract.
 *
 * A job is one repository and ref to ingest in a set of formats. Its states:
 *
 *     queued ──claim──► running ──complete──► completed
 *       ▲  │               │ ├──fail (retries left: backoff)──► queued
 *       │  │cancel         │ ├──fail (none left, permanent)───► failed
 *       │  ▼               │ └──cancel: flagged; the worker stops──► cancelled
 *     cancelled            └──requeue / restart after a crash──► queued
 *
 * One job per key (the repository's owner/name lower-cased, and its ref, where
 * no ref, "HEAD" and the default branch are all "HEAD"): at most one queued and
 * one running job per key, held by two partial unique indexes (pg-boss's
 * "stately" policy). QUEUE_OP_SUBMIT's rules, in order:
 *   1. a queued job for the key exists: it is the answer (created = 0, 200);
 *      it takes the union of the formats, the higher priority and the named
 *      commit (the newest request's);
 *   2. only a running job exists, its formats cover the request's and the
 *      request names no commit other than the one it runs: it is the answer;
 *   3. else a new queued job (created = 1, 202): a follow-up of a running one.
 * A push (origin QUEUE_WEBHOOK) asks, before these rules, for the formats the
 * key is known with: the union of those its completed jobs stored (kept
 * past pruning, gone with UNLINK) and of its queued and running jobs;
 * its own formats only when none is known. A push refreshes what is there.
 * QUEUE_OP_RETRY (a failed or cancelled job again) goes through the same rules.
 *
 * Writes are operations as data (struct queue_op) posted to the table's one
 * writer thread, which applies every operation waiting at once in one
 * transaction and commits it (one fsync for all), and only then calls each
 * operation's done(): nothing is answered or announced before it is durable.
 * queue_post() never blocks on the database (the server's event loop posts and
 * gets the answer through done()); queue_run() waits (for worker threads).
 * Reads go through a reader (struct queue_reader): a connection of its own,
 * used by the one thread that opened it, beside the writer (WAL).
 *
 * A job's worker dies only with its process (one server per file: the side
 * lock), so the expiry of a job whose worker died is the recovery at
 * queue_open(): no heartbeat and no timeout while the server lives. Several
 * replicas on one database (PostgreSQL) will need pg-boss's expiry as well.
 * Finished jobs are kept until PRUNE (--keep-days, QUEUE_KEEP_DAYS).
 *
 * This header is the contract for every backend: the SQLite one
 * (queue_sqlite.c, the `--db FILE` of one server) now, a PostgreSQL one for
 * several replicas later (queue_backend.h says what a backend implements).
 * Times are milliseconds since the Unix epoch (0: not yet).
 */
#ifndef QUEUE_H
#define QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define QUEUE_ID_LEN     37     /* a UUID, 8-4-4-4-12 hex digits, and NUL */
#define QUEUE_REPO_MAX   256    /* "owner/name", NUL (GitHub: 39 + 1 + 100) */
#define QUEUE_REF_MAX    256    /* a ref, NUL (what hosts accept in practice) */
#define QUEUE_NAME_MAX   128    /* project, dataset, scope and NUL */
#define QUEUE_COMMIT_MAX 65     /* 40 (SHA-1) or 64 (SHA-256) hex digits, NUL */
#define QUEUE_PUSHED_MAX 64     /* pushedAt as the feed or GitHub spells it */
#define QUEUE_ERROR_MAX  512    /* error text, cut on a UTF-8 boundary */

#define QUEUE_ATTEMPTS       3          /* max_attempts when a request says 0 */
#define QUEUE_BACKOFF_MS     1000       /* first retry after 1 s, 2 s, 4 s */
#define QUEUE_BACKOFF_CAP_MS 300000     /* ... never more than 5 min, */
#define QUEUE_RETRY_AFTER_CAP_MS 3600000 /* or an hour when a server asked */
#define QUEUE_KEEP_DAYS      14         /* --keep-days: finished jobs kept */
#define QUEUE_PRUNE_BATCH    10000      /* jobs one PRUNE deletes at most */
#define QUEUE_UNLINK_BATCH   1000       /* (repo, ref) pairs one UNLINK takes */

enum queue_state {
	QUEUE_QUEUED, QUEUE_RUNNING, QUEUE_COMPLETED, QUEUE_FAILED,
	QUEUE_CANCELLED, QUEUE__STATES
};
enum queue_origin {
	QUEUE_API, QUEUE_WEBHOOK, QUEUE_SCHEDULE, QUEUE_RETRY, QUEUE__ORIGINS
};
/* How an attempt ended (RUNNING: it has not). */
enum queue_outcome {
	QUEUE_ATT_RUNNING, QUEUE_ATT_COMPLETED, QUEUE_ATT_FAILED,
	QUEUE_ATT_CANCELLED, QUEUE_ATT_INTERRUPTED, QUEUE__OUTCOMES
};

/* The stored words ("queued", "api", "interrupted"...); NULL out of range.
 * The server's /v1 routes use these words. */
const char *queue_state_name(int state);
const char *queue_origin_name(int origin);
const char *queue_outcome_name(int outcome);
/* The enum value of a stored word of n bytes, or -1. */
int queue_state_parse(const char *s, size_t n);
int queue_origin_parse(const char *s, size_t n);
int queue_outcome_parse(const char *s, size_t n);

/* What the singleton rule compares. */
struct queue_key {
	char name[QUEUE_REPO_MAX];      /* owner/name, ASCII lower-cased */
	char ref[QUEUE_REF_MAX];        /* the ref, or "HEAD" */
};

/*
 * The key of repo ("owner/name", any case: the caller has taken it out of a
 * URL form) at ref ("" or "HEAD" for the default branch). default_branch (NULL
 * or "" when not known) is "HEAD" too. Returns 0, ERR_USAGE (repo not
 * owner/name, or a control byte in either) or ERR_LIMIT (too long).
 */
int queue_key_make(struct queue_key *k, const char *repo, const char *ref,
    const char *default_branch);

/* Capped exponential backoff before retry `attempt` (1 = the first retry):
 * QUEUE_BACKOFF_MS << (attempt - 1), at most QUEUE_BACKOFF_CAP_MS, times
 * 0.75 + 0.5 * u (u in [0, 1): +-25% jitter, so retries of a burst spread). */
int64_t queue_backoff_ms(int attempt, double u);

/* What a client asks for: POST /v1/jobs, the original route, a webhook's push,
 * a scheduled pass. Strings NUL-terminated within their arrays. */
struct queue_request {
	char repo[QUEUE_REPO_MAX];      /* "owner/name" as given (case kept) */
	char ref[QUEUE_REF_MAX];        /* "" = the default branch */
	char default_branch[QUEUE_REF_MAX]; /* if known; this ref is "HEAD" */
	uint32_t formats;               /* a set of the caller's format bits,
	                                 * not 0: the table only unions them and
	                                 * tests cover */
	char project[QUEUE_NAME_MAX];   /* "" = none; else a membership */
	char dataset[QUEUE_NAME_MAX];
	char scope[QUEUE_NAME_MAX];
	int priority;                   /* higher first */
	int origin;                     /* enum queue_origin */
	char commit[QUEUE_COMMIT_MAX];  /* the commit to ingest; "" = the ref's
	                                 * head when the job runs */
	int max_attempts;               /* 0: QUEUE_ATTEMPTS */
};

/* What a completed job stored. */
struct queue_result {
	uint64_t objects, bytes, files, tokens;
	char commit[QUEUE_COMMIT_MAX];  /* the commit ingested, "" if unknown */
	char pushed_at[QUEUE_PUSHED_MAX];
	int cached;                     /* 1: stored already, no download */
};

/* One row of the jobs table. */
struct queue_job {
	int64_t seq;                    /* order of creation: FIFO, paging */
	char id[QUEUE_ID_LEN];
	struct queue_key key;
	char repo[QUEUE_REPO_MAX];      /* as first given */
	char ref[QUEUE_REF_MAX];
	uint32_t formats;
	char project[QUEUE_NAME_MAX];
	char dataset[QUEUE_NAME_MAX];
	char scope[QUEUE_NAME_MAX];
	int priority;
	int origin;                     /* enum queue_origin */
	int state;                      /* enum queue_state */
	int cancel_requested;           /* running, asked to stop */
	char commit[QUEUE_COMMIT_MAX];  /* target commit, "" = the ref's head */
	int attempts;                   /* claims so far */
	int max_attempts;
	int64_t run_after;              /* not claimed before (backoff) */
	char error[QUEUE_ERROR_MAX];    /* the last attempt's, "" none */
	int has_result;                 /* completed: result is set */
	struct queue_result result;
	int64_t created_at, started_at, finished_at; /* started: last claim */
	char retry_of[QUEUE_ID_LEN];    /* RETRY: the job it runs again */
	char merged_into[QUEUE_ID_LEN]; /* the queued job that took over
	                                 * its work (see QUEUE_OP_FAIL) */
};

/* One attempt of a job (the history view). */
struct queue_attempt {
	int n;                          /* 1, 2, ... */
	int64_t started_at, finished_at;
	int outcome;                    /* enum queue_outcome */
	char error[QUEUE_ERROR_MAX];
};

/* A (repo, ref) no membership holds any more: its objects and index chunks
 * are the caller's to delete. Spelled as the last membership had them. */
struct queue_pair {
	struct queue_key key;
	char repo[QUEUE_REPO_MAX];
	char ref[QUEUE_REF_MAX];
};

enum queue_op_kind {
	QUEUE_OP_SUBMIT,        /* in.submit → out.job, out.created */
	QUEUE_OP_RETRY,         /* in.id: failed or cancelled → as SUBMIT */
	QUEUE_OP_CLAIM,         /* → out.found, out.job; or out.wake_at */
	QUEUE_OP_COMPLETE,      /* in.complete: running → completed */
	QUEUE_OP_FAIL,          /* in.fail: running → queued | failed */
	QUEUE_OP_CANCEL,        /* in.id: queued → cancelled; running: flag */
	QUEUE_OP_CANCELLED,     /* in.id: running → cancelled (its worker
	                         * stopped: the answer to a flag) */
	QUEUE_OP_REQUEUE,       /* in.id: running → queued, the attempt
	                         * interrupted (shutdown after --grace) */
	QUEUE_OP_PRUNE,         /* in.age_ms → out.count, out.more */
	QUEUE_OP_CHECKED,       /* in.checked: the per-repository row */
	QUEUE_OP_UNLINK,        /* in.unlink → out.count, npairs, more */
	QUEUE__OPS
};

/*
 * One write. The caller owns it (stack, heap, a connection's state) from
 * queue_post() until done() is called, then may reuse or free it. Fill kind
 * and the in member it names; out is the writer's.
 *
 * SUBMIT   rules above. A non-empty project records the membership
 *          (project, dataset, repo, ref) even when an existing job answers.
 * RETRY    a failed or cancelled job (else ERR_QUEUE_STATE) submitted again
 *          with its own fields and origin "retry"; a new job has retry_of.
 * CLAIM    the queued job of the highest priority, first come first within
 *          one, whose run_after has come and whose key has no running job:
 *          running, attempts + 1, started_at now, an attempt row opened.
 *          None: found = 0 and wake_at = the next run_after still to come
 *          (0: none; wait for a SUBMIT).
 * COMPLETE a running job (else ERR_QUEUE_STATE): completed with its result;
 *          the repository's row takes the commit and pushed_at, and its
 *          stored formats the job's.
 * FAIL     a running job: with retryable set, attempts left and no cancel
 *          asked, queued again after queue_backoff_ms() (or retry_after_ms,
 *          when a server asked, up to an hour); else failed. A queued job
 *          of the same key already there (a follow-up) cannot have a second
 *          beside it: this one ends failed, merged_into names that job, which
 *          takes its formats and priority (pg-boss fails a retry that would
 *          break the singleton).
 * CANCEL   queued → cancelled at once; running → cancel_requested set and
 *          out.cancel_pending = 1: tell its worker (the job module's cancel
 *          hook), which answers with CANCELLED (or COMPLETE/FAIL if it was
 *          done first). Already cancelled: no change. Completed or failed:
 *          ERR_QUEUE_STATE.
 * REQUEUE  as a restart after a crash treats a running job (queue_open).
 * PRUNE    finished jobs finished more than age_ms ago, and their attempts,
 *          deleted; at most QUEUE_PRUNE_BATCH (more = 1: post again).
 *          Memberships and repositories rows stay: they say what is stored.
 * CHECKED  a scheduled pass found repo@ref unchanged: its repositories row
 *          takes last_checked now (and commit, pushed_at when given); no job.
 * UNLINK   memberships of project and dataset, or of project and repo (every
 *          ref; exactly one of dataset and repo non-empty) removed; the pairs
 *          no membership holds any more, up to cap, in pairs (their
 *          repositories rows deleted). count: memberships removed (0: nothing
 *          matched, 404). more = 1: some left (cap or QUEUE_UNLINK_BATCH
 *          reached): post again.
 */
struct queue_op {
	int kind;                       /* enum queue_op_kind */
	union {
		struct queue_request submit;
		char id[QUEUE_ID_LEN];
		struct {
			char id[QUEUE_ID_LEN];
			struct queue_result result;
		} complete;
		struct {
			char id[QUEUE_ID_LEN];
			char error[QUEUE_ERROR_MAX];
			int retryable;  /* err_retryable() of the cause */
			int64_t retry_after_ms; /* a server asked, or 0 */
		} fail;
		int64_t age_ms;
		struct {
			char repo[QUEUE_REPO_MAX];
			char ref[QUEUE_REF_MAX];
			char default_branch[QUEUE_REF_MAX];
			char commit[QUEUE_COMMIT_MAX];      /* "" unknown */
			char pushed_at[QUEUE_PUSHED_MAX];   /* "" unknown */
		} checked;
		struct {
			char project[QUEUE_NAME_MAX];
			char dataset[QUEUE_NAME_MAX];
			char repo[QUEUE_REPO_MAX];          /* owner/name */
			struct queue_pair *pairs;           /* caller's */
			size_t cap;
		} unlink;
	} in;
	struct {
		struct err_ctx ec;      /* ec.code 0 or the error (one from
		                         * the commit: nothing of the op
		                         * happened) */
		int created;            /* SUBMIT, RETRY: a new job (202) */
		int found;              /* CLAIM: a job is in job */
		int cancel_pending;     /* CANCEL: running, tell its worker */
		int more;               /* PRUNE, UNLINK: post again */
		int64_t wake_at;        /* CLAIM, none found: see above */
		int64_t count;          /* PRUNE, UNLINK */
		size_t npairs;          /* UNLINK */
		struct queue_job job;   /* the job after the operation */
	} out;
	/* Called on the writer thread once the op is committed (or failed):
	 * keep it short, never call queue_run() from it (that waits for the
	 * thread it runs on); queue_post() is fine. */
	void (*done)(struct queue_op *op);
	void *arg;                      /* the caller's */
	struct queue_op *next;          /* the writer's list */
	int joined;                     /* the writer's: next is applied in
	                                 * the same transaction */
};

/* How to open. */
struct queue_config {
	const char *path;               /* --db FILE */
	int busy_timeout_ms;            /* 0: 5000. An sqlite3 shell writing the
	                                 * file holds us this long at most */
	int64_t (*clock)(void *arg);    /* NULL: the system's (tests: theirs) */
	void *clock_arg;
};

struct queue;
struct queue_reader;

/*
 * Open (create) the table at cfg->path, take its side lock FILE.lock (a
 * second server on the same file is refused: ERR_DB_LOCKED, the holder's pid
 * in the detail; the sqlite3 shell still reads and writes it), check it
 * (ERR_DB_NOT_OURS: not an SQLite file or another program's;
 * ERR_DB_NEWER; ERR_DB_CORRUPT: PRAGMA quick_check failed), bring its schema
 * up to date, recover from a crash (every running job as REQUEUE treats it:
 * attempt closed "interrupted", queued again while attempts are left;
 * nothing else changes) and start the writer thread. Errors fill ec (source:
 * the path) and leave nothing open. Connection: the writer's own.
 */
int queue_open(struct queue **qp, const struct queue_config *cfg,
    struct err_ctx *ec);

/* Hand op to the writer; op->done(op) follows on the writer thread, after
 * the commit. Never blocks on the database (a mutex held for a list
 * append): the event loop's call. Not after queue_close() has begun.
 * Connection: the writer's (on its thread). */
void queue_post(struct queue *q, struct queue_op *op);

/* Post a and then b as one: both are applied in the same transaction (a
 * first) and share its commit, and a's done() is called before b's. A
 * worker's end of one job and its claim of the next: one commit, not two, per
 * job. Never blocks on the database. Connection: the writer's. */
void queue_post2(struct queue *q, struct queue_op *a, struct queue_op *b);

/* Post op and wait for it (it sets op->done and op->arg): a worker thread's
 * call, never the event loop's. Returns op->out.ec.code. Connection: the
 * writer's (on its thread). */
int queue_run(struct queue *q, struct queue_op *op);

/* Apply what is posted, stop the writer, close its connection (a clean
 * checkpoint), release the lock. Readers are closed first. */
void queue_close(struct queue *q);

/* A read connection for the calling thread (each thread that reads opens its
 * own; SQLite's WAL lets it read while the writer writes, and never makes the
 * writer wait). Reads see every operation whose done() has been called.
 * queue_get, queue_list, queue_attempts, queue_stats and queue_repo_get run
 * on r's connection, on the caller's thread (in WAL mode a reader does not
 * wait for the writer). */
int queue_reader_open(struct queue *q, struct queue_reader **rp,
    struct err_ctx *ec);
void queue_reader_close(struct queue_reader *r);

/* One job: 0, ERR_QUEUE_NOT_FOUND or a database error. */
int queue_get(struct queue_reader *r, const char *id, struct queue_job *job,
    struct err_ctx *ec);

/* Which jobs queue_list() returns: newest first. */
struct queue_filter {
	int state;                      /* enum queue_state, or -1: any */
	const char *project;            /* NULL or "": any */
	const char *repo;               /* owner/name (any case); NULL: any */
	int64_t before;                 /* only seq < before (the last seq
	                                 * of the page before); 0: newest */
};

/* Up to cap jobs into jobs[], *n of them; the next page starts before
 * jobs[*n - 1].seq. */
int queue_list(struct queue_reader *r, const struct queue_filter *f,
    struct queue_job *jobs, size_t cap, size_t *n, struct err_ctx *ec);

/* A job's attempts, oldest first, up to cap; ERR_QUEUE_NOT_FOUND when the
 * job is not there. */
int queue_attempts(struct queue_reader *r, const char *id,
    struct queue_attempt *att, size_t cap, size_t *n, struct err_ctx *ec);

/* Duration buckets (ms) of struct queue_stats, as Prometheus's "le". */
#define QUEUE_BUCKETS 10
#define QUEUE_BUCKET_BOUNDS \
	{ 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000 }

/* For /metrics. */
struct queue_stats {
	int64_t jobs[QUEUE__STATES];    /* rows in each state now (a gauge) */
	int64_t finished[QUEUE__STATES]; /* transitions into completed, failed
	                                 * and cancelled since the table was
	                                 * made (counters: prune keeps them) */
	int64_t le[QUEUE_BUCKETS];      /* finished runs (started → finished)
	                                 * of at most each bound, cumulative */
	int64_t runs, run_ms;           /* their count and total time */
};
int queue_stats(struct queue_reader *r, struct queue_stats *st,
    struct err_ctx *ec);

/* A repository and ref as the table last saw it (a scheduled pass's
 * "unchanged" test). */
struct queue_repo {
	struct queue_key key;
	char repo[QUEUE_REPO_MAX];
	char ref[QUEUE_REF_MAX];
	int64_t last_checked;
	char last_commit[QUEUE_COMMIT_MAX];
	char last_pushed_at[QUEUE_PUSHED_MAX];
	char last_job[QUEUE_ID_LEN];    /* the last job that completed it */
};
int queue_repo_get(struct queue_reader *r, const struct queue_key *k,
    struct queue_repo *out, struct err_ctx *ec);

#endif
