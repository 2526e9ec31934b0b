/*
 * report.h - `repodigest report A.json B.json ...`: merge the shard reports
 * that `run --report` writes into one account of the whole batch.
 *
 * A run report (written by report_run_json, for pipeline.c) is a JSON object:
 *   {"format":"repodigest-run-report/1", "version", "feed", "shard":"I/N",
 *    "shard_mode":"hash"|"seed"|"all", "shard_source", "started", "finished",
 *    "total", "cached", "processed", "failed", "elapsed_s",
 *    "repos":[{"repo","status","error"?}],
 *    "skipped", "skipped_records":[{"index","record","reason"}]}
 * "skipped" counts the feed's records that were left out (not an object, a
 * bad name or URL, a duplicate...: feed.h), "skipped_records" lists the
 * first REPORT_SKIPPED_MAX of them: index is the record's position in the
 * feed's array, record its "owner/name" when that much was safe to show
 * (else ""), reason the feed parser's. Both are optional (older reports).
 * A dry run's report also has "dry_run": true, the counts "would_process"
 * and "would_skip_cached", and each repo's "would" ("process" or "skip
 * (cached)"); its statuses are "pending" (nothing was done) or "failed".
 * Only "repos" is required (older reports carry nothing else); every field
 * that is present is checked: "total" must equal the repos list (the counts
 * are recomputed from the list), statuses must be known, "shard" must be I/N with I < N. Control characters in its
 * strings are replaced by '?' (they reach terminals). A merged report
 * (report_json) has the same shape without "shard", so it can be merged
 * again.
 *
 * Merging: a repo (compared case-insensitively, as GitHub names) that appears
 * in more than one report is counted once, with its best status (processed,
 * cached, done-earlier, failed, pending, in that order), and flagged. When
 * every report carries its shard and all use the same sharding, the shards
 * that are missing (or given twice) are named.
 *
 * Memory: each input's parsed JSON is kept until report_free (the entries
 * point into it); input files are capped at REPORT_MAX_BYTES.
 */
#ifndef REPORT_H
#define REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"

#define REPORT_FORMAT "repodigest-run-report/1"
/* a 21k-repo feed makes a report of a few MB, even with long errors */
#define REPORT_MAX_BYTES (256u << 20)
/* skipped feed records listed (all are counted): a feed of a million bad
 * records must not make a report of a hundred megabytes */
#define REPORT_SKIPPED_MAX 1000

/* Best first: the order that decides a duplicate's status. */
enum report_status { RS_PROCESSED, RS_CACHED, RS_EARLIER, RS_FAILED,
    RS_PENDING, RS__COUNT };

struct cJSON;

struct report_in {              /* one input report */
	const char *file;       /* as named by the caller (not copied) */
	struct cJSON *root;     /* its fields: report_field */
	unsigned long idx, count;       /* shard I/N; count 0: not recorded */
	size_t nrepos;
};

struct report_entry {
	const char *name, *error;       /* point into an input's JSON */
	unsigned char status;           /* enum report_status */
	unsigned in;                    /* input index */
	size_t seen;                    /* times listed (after finish) */
};

/* A skipped feed record, as listed in a report. */
struct report_skip {
	size_t index;                   /* position in the feed's array */
	const char *record, *reason;
};

struct report {
	struct report_in *in;
	size_t nin;
	struct report_entry *e;         /* after finish: unique, sorted */
	size_t ne;
	/* filled by report_finish */
	size_t n[RS__COUNT];            /* unique repos per status */
	size_t ndup;                    /* repos listed more than once */
	int shards;                     /* 1: every input has one, same N and mode */
	int shard_mixed;                /* inputs disagree on N or mode */
	int feed_mixed;                 /* inputs name different feeds */
	size_t npresent;                /* distinct shards (inputs sorted by
	                                 * shard when shards) */
	unsigned long missing;          /* shards missing (when shards) */
	const char *started, *finished; /* earliest, latest */
	struct report_skip *skip;       /* after finish: unique by index,
	                                 * sorted */
	size_t nskip;
	size_t skipped;                 /* records skipped (at least nskip) */
};

/* The name of a status in reports ("processed", "done-earlier", ...). */
const char *report_status_name(int status);

/* One repository of a run, as report_run_json asks for it. */
struct report_run_repo {
	const char *owner, *repo;
	int status;                     /* enum report_status */
	const char *would;              /* dry run: "process", "skip (cached)" */
	const char *error;              /* or NULL */
};

/* A run's account, for report_run_json. Strings are copied. */
struct report_run {
	const char *feed;               /* secrets already redacted */
	const char *shard, *shard_mode, *shard_source;
	const char *started, *finished;
	size_t cached, processed, failed;
	double elapsed_s;
	int dry_run;
	size_t would_process, would_skip;
	size_t nrepos;
	void (*repo)(void *ctx, size_t i, struct report_run_repo *out);
	void *ctx;
	size_t skipped;                 /* feed records skipped */
	const struct report_skip *skips;        /* the first of them */
	size_t nskips;                  /* <= REPORT_SKIPPED_MAX */
};

/* The run report as JSON text (malloc'd; NULL on ERR_NOMEM). */
char *report_run_json(const struct report_run *rr);

void report_init(struct report *m);
void report_free(struct report *m);

/*
 * Parse one run report (p, n: untrusted bytes, need not be NUL-terminated)
 * named file, and add it. Errors: ERR_REPORT_JSON (with the offset; detail
 * "truncated" when the text ends early), ERR_REPORT_SHAPE (detail names the
 * field), ERR_NOMEM; ec->source is the file. m is unchanged on error.
 */
int report_add(struct report *m, const char *file, const void *p, size_t n,
    struct err_ctx *ec);

/* A string field of an input ("feed", "version", ...), or NULL. */
const char *report_field(const struct report_in *in, const char *key);

/* Read the file (at most REPORT_MAX_BYTES) and report_add it. */
int report_load(struct report *m, const char *file, struct err_ctx *ec);

/*
 * Sort, merge duplicates, count, check the shards (and sort the inputs by
 * shard when every one has a shard). Call once, after adding.
 */
int report_finish(struct report *m);

/* 1 when nothing failed or is pending and no shard is known to be missing.
 * Skipped feed records do not count: no run can do them (the text says
 * so all the same). */
int report_complete(const struct report *m);

/* The merged account for people (hostile bytes escaped). */
void report_print(const struct report *m, FILE *f);

/* The merged report as JSON text (malloc'd; NULL on ERR_NOMEM). */
char *report_json(const struct report *m);

#endif
