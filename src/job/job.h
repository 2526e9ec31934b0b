/*
 * job.h - one repository's work, callable: the cache check of every object
 * asked for, one download, the digest, each format rendered and stored
 * through the sink, with retries. `run` (batch/pipeline), `digest --out` and
 * the service all call job_run; none of them does any of these steps itself.
 *
 *   job_config_init   once per command or server: the settings that change
 *                     the bodies, checked, and each format's generator string
 *   job_worker_init   once per thread: the sink, a kept-alive download
 *                     connection, the jitter source
 *   job_run           per repository (per job_spec): check, download, digest,
 *                     render, store; progress and cancel through job_hooks;
 *                     a struct job_result back
 *
 * Threads. A job_config is read-only once made: share one between threads.
 * A job_worker belongs to one thread at a time (it holds a connection and a
 * sink); make one per worker thread. job_run blocks its thread for the whole
 * job; inside it two helper threads may run for a while (the download and the
 * inflater, source.h), and the progress hook may be called from either of
 * them or from the calling thread, one call at a time (the worker's mutex
 * serialises them), never after job_run returns. Nothing here is global: two
 * servers in one process would not see each other.
 *
 * Cancel. hooks.cancel is watched inside every loop that can last: network
 * waits (sliced to CANCEL_POLL_MS), the download's body, the archive reader,
 * the inflater thread, the directory walk, between attempts and between
 * objects. A cancelled job returns within about CANCEL_POLL_MS of the request
 * (plus the rendering and storing of an object already under way: a stored
 * object is whole or absent, sink.h), status JOB_FAILED with error
 * ERR_CANCELLED and interrupted set; objects stored before the request stay
 * (each is whole). hooks.stopping is the softer ask of a run being stopped:
 * the attempt under way finishes, no other starts.
 *
 * "Already stored" (the cache rule, in one place: job.c, current()): an
 * object is current when the stored generator equals ours and, when the
 * commit is known (spec.commit, or spec.ref being a full commit id), the
 * stored commit equals it; else when the stored pushedat equals
 * spec.pushed_at, which must not be empty. Without either nothing is current:
 * the job downloads. The job is a cache hit when every object asked for is
 * current; otherwise one download makes those that are not.
 *
 * How a server calls it: one job_config at start; a pool of threads, each
 * with its own job_worker over the same destination; per job a struct cancel
 * (cancel.h; its parent the server's shutdown cancel, so one request stops
 * them all), a job_spec built from the request and hooks whose progress
 * function copies the figures into the job's record under the server's lock
 * and wakes the broadcaster (it must not block: it runs on the download's
 * thread too). DELETE sets the job's cancel; job_run then returns with
 * ERR_CANCELLED and the server marks the job cancelled.
 */
#ifndef JOB_H
#define JOB_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cancel.h"
#include "digest.h"
#include "err.h"
#include "fetch.h"
#include "render.h"
#include "sink.h"
#include "source.h"

/* The formats a job stores: bits of enum render_format (render.h). text,
 * full and json are all summary.txt: at most one of them per job. */
#define JOB_FORMAT(f) (1u << (f))

/* Rate-limit answers (Retry-After) a job may get without using up its
 * attempts; longer waits than JOB_WAIT_MAX are not waited for. */
#define JOB_RATE_LIMIT_WAITS 8
#define JOB_WAIT_MAX         3600

/*
 * The settings that change a body, as the options gave them (the one place
 * they turn into the digest's options and the generator strings). Pattern
 * arrays are borrowed and must outlive the config.
 */
struct job_settings {
	uint64_t max_output;            /* cut text/full/json at N; 0: none */
	uint64_t max_file_size;         /* -s; 0: gitingest's default */
	const char *const *includes;    /* -i, NULL-terminated, or NULL */
	const char *const *excludes;    /* -e, likewise */
	int include_gitignored;         /* .gitignore files not applied */
	uint64_t chunk_size, chunk_overlap;     /* chunks (split.h) */
};

/* Built once by job_config_init; read-only afterwards. */
struct job_config {
	struct job_settings set;
	char generator[RENDER__COUNT][SINK_GEN_MAX];    /* per format */
	/* downloads */
	const char *archive_url;        /* mirror template, or NULL */
	const char *api_base;           /* NULL: GitHub's */
	const char *token;              /* GITHUB_TOKEN, or NULL */
	int attempts;                   /* tries per job (>= 1) */
	int token_thread;               /* count tokens on a second thread */
	int tokens;                     /* a token figure is wanted even when
	                                 * no text body is (digest --report) */
	int force;                      /* no cache check: always make */
	int dry_run;                    /* the check only: store nothing */
};

/*
 * Fill c from s (copied; s's pattern arrays are borrowed): every -i and -e
 * pattern is compiled alone and then all together, so a bad one is named
 * before any work (ERR_PATTERN with the pattern in ec's detail,
 * ERR_PATTERN_COUNT), and each format's generator string is made. Sets
 * attempts to 1 and the rest to 0/NULL: the caller fills them after.
 */
int job_config_init(struct job_config *c, const struct job_settings *s,
    struct err_ctx *ec);

/* The digest's options for a job storing formats under c. */
void job_digest_opts(const struct job_config *c, unsigned formats,
    struct digest_opts *o);

/* One repository to do. Strings are borrowed for the call. */
struct job_spec {
	const char *source;             /* what source_digest reads: "OWNER/
	                                 * REPO[@REF]", a URL, a path, "-" */
	int remote_only;                /* source is never a local path */
	const char *flavour;            /* source_opts.repo: "owner/repo" for
	                                 * the summary's remote flavour, or NULL */
	const char *name;               /* source_opts.name, or NULL */
	int strip;                      /* source_opts.strip (-1: automatic) */
	const char *owner, *repo;       /* the objects' key (sink.h) */
	const char *ref;                /* asked for: "", NULL or "HEAD" the
	                                 * default branch; another ref's objects
	                                 * are its own (sink.h: @REF), and the
	                                 * chunks record it */
	const char *commit;             /* known commit id, or NULL */
	const char *pushed_at;          /* the feed's pushedAt, or NULL */
	const char *url;                /* metadata url; NULL: https://
	                                 * github.com/OWNER/REPO */
	unsigned formats;               /* JOB_FORMAT() bits, not 0 */
	int keep_digest;                /* leave the digest in the worker
	                                 * (job_worker_digest) after a store */
};

enum job_phase { JOB_CHECKING, JOB_DOWNLOADING, JOB_DIGESTING, JOB_STORING,
    JOB__PHASES };

/* Names for logs and APIs: "checking", "downloading", "digesting",
 * "storing". */
extern const char *const job_phase_name[JOB__PHASES];

/* Where a job is (the progress hook's argument, valid during the call). */
struct job_progress {
	int phase;                      /* enum job_phase */
	uint64_t bytes;                 /* downloaded (or read) so far */
	uint64_t total;                 /* the download's length; 0: unknown */
	uint64_t files;                 /* regular files seen */
	const char *current;            /* the file being read (not NUL-
	                                 * terminated: current_len), or the
	                                 * object being stored */
	size_t current_len;
	int attempt;                    /* 1, 2 ... */
};

/* Progress is reported at each phase change and, within a phase, at most
 * every JOB_PROGRESS_MS. */
#define JOB_PROGRESS_MS 100

/* What the caller hears and says during a job; every member may be NULL. */
struct job_hooks {
	void *ctx;
	const struct cancel *cancel;    /* stop now (see top comment) */
	/* see struct job_progress; called from any of the job's threads with
	 * the worker's lock held: it must not block nor call into the job */
	void (*progress)(void *ctx, const struct job_progress *p);
	/* stop between attempts (1); the attempt under way goes on */
	int (*stopping)(void *ctx);
	/* a cache check could not be made: the object is made anyway */
	void (*cache_error)(void *ctx, const struct err_ctx *ec);
	/* before each attempt's download: may wait (a pause shared by
	 * workers); the calling thread */
	void (*before_attempt)(void *ctx);
	/*
	 * Attempt number `attempt` failed (ec) and another follows after wait
	 * seconds; server_asked: the wait is the server's Retry-After.
	 * Returns the seconds the job itself should wait (0: the hook waits,
	 * e.g. in before_attempt). NULL: the job waits `wait`.
	 */
	double (*retry)(void *ctx, int attempt, double wait, int server_asked,
	    const struct err_ctx *ec);
};

enum job_status {
	JOB_STORED = 1,                 /* the objects that were due, stored */
	JOB_CACHED,                     /* every object current: no download */
	JOB_WOULD_STORE,                /* dry run: some object is due */
	JOB_WOULD_SKIP,                 /* dry run: every object current */
	JOB_FAILED                      /* see err; interrupted says whether a
	                                 * stop or cancel ended it */
};

/* What a job did. */
struct job_result {
	int status;                     /* enum job_status */
	int interrupted;                /* a cancel, or a stop before an
	                                 * attempt it had left, ended it (not
	                                 * an error no retry could cure) */
	unsigned due;                   /* formats that were not current */
	unsigned stored;                /* formats stored */
	char objects[64];               /* names of the due objects, in
	                                 * format order, comma-separated */
	char commit[72];                /* the archive's commit, or "" */
	int attempts;                   /* downloads started */
	uint64_t bytes_in;              /* archive bytes read */
	uint64_t bytes_out;             /* bytes stored (bodies) */
	uint64_t files;                 /* files analysed by the digest */
	uint64_t tokens;                /* the digest's estimate (0 when none
	                                 * was wanted) */
	struct err_ctx err;             /* code != 0 when the job failed (the
	                                 * last attempt's error) */
};

/* Per thread; caller-allocated (large: put it on the heap). */
struct job_worker {
	struct sink sink;               /* the destination */
	struct fetch_opts fo;           /* downloads' settings (have_fo) */
	int have_fo;
	struct fetch_client fc;         /* downloads: kept alive from one job to
	                                 * the next (same mirror); without it
	                                 * (no memory) each makes its own */
	int have_fc;
	uint32_t rng;                   /* backoff jitter */
	struct buf body;                /* a rendered text body */
	struct digest *d;               /* the job's digest (kept:
	                                 * spec.keep_digest), or NULL */
	struct source_info *info;
	/* Kept from one job to the next, so that a run's repositories reuse
	 * the memory of the ones before instead of touching fresh memory
	 * (source.h, struct source_mem): */
	struct digest dmem;             /* d points here during a job;
	                                 * recycled after it (digest_recycle) */
	int dmem_made;                  /* set up once: digest_reinit next */
	struct source_info imem;        /* info points here */
	struct source_mem *smem;        /* the download's and archive's */
	struct out *out;                /* a text body's writer (64 KiB) */
	/* progress: one call at a time, from any of the job's threads */
	pthread_mutex_t mu;
	struct job_progress prog;
	const struct job_hooks *hooks;
	int64_t shown_ms;               /* last call, net_now_ms() */
};

/*
 * Open w's sink on dest (sink_open: flags SINK_READONLY for a dry run) and,
 * when fo is not NULL, its download client (fo copied). seed makes the jitter
 * differ between workers. Returns 0 or an error (ec names dest); free with
 * job_worker_free also then.
 */
int job_worker_init(struct job_worker *w, const char *dest,
    const struct sink_net *net, int sink_flags, const struct fetch_opts *fo,
    uint32_t seed, struct err_ctx *ec);
void job_worker_free(struct job_worker *w);

/* The last job's digest and source facts when it ran with keep_digest and
 * stored (else NULL); valid until the next job_run or job_worker_free. */
struct digest *job_worker_digest(struct job_worker *w,
    const struct source_info **info);

/*
 * The object of format f (enum render_format) that spec names under c: key,
 * generator, url, pushedat (commit empty). ERR_USAGE for an unsafe name.
 */
int job_object(const struct job_config *c, const struct job_spec *spec, int f,
    struct sink_object *ob, struct err_ctx *ec);

/*
 * Do spec with w under c (see the top comment). Returns 0 when the job did
 * what it was asked (res->status STORED, CACHED, WOULD_*), else the error
 * code of res->err (status JOB_FAILED). res is always filled.
 */
int job_run(struct job_worker *w, const struct job_config *c,
    const struct job_spec *spec, const struct job_hooks *hooks,
    struct job_result *res);

#endif
