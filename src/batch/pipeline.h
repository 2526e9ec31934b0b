/*
 * pipeline.h - `repodigest run`: a whole feed as a batch.
 *
 * feed (file | https | stdin) -> feed_parse -> this shard's jobs -> a pool of
 * worker threads; per job: cache check of each object asked for (formats:
 * summary.txt, chunks.jsonl; sidecar or S3 HEAD: stored pushedat equals the
 * feed's pushedAt and the generator is ours; all current -> skip), download
 * and digest once (retried on transient errors, bounded by a per-repo
 * timeout), store the objects that were not current (atomic local write or
 * one S3 PUT each). JSON log lines on stdout, progress every
 * 100 repos, the seed's final "Pipeline complete: ..." line, a JSON report and
 * an atomically written state file; SIGTERM/SIGINT stop taking jobs and give
 * in-flight ones a grace period.
 *
 * Exit codes: 0 finished (failures allowed up to max_failures, but not
 * every repository attempted); 1 fatal before any work (feed unreadable,
 * sink unusable or failing its start-up check, bad pattern; the caller
 * checks the mirror template),
 * every attempted repository failed, too many failures, or the state or
 * report not written; 130 interrupted. Nothing here exits the process:
 * pipeline_run returns once every worker is joined, also after a signal
 * (the jobs still in flight when the grace period ends are cancelled).
 */
#ifndef PIPELINE_H
#define PIPELINE_H

#include <stdint.h>

#include "fetch.h"
#include "job.h"

#define PIPELINE_DEFAULT_FEED \
	"https://uk-x-gov-software-community.github.io/" \
	"xgov-opensource-repo-scraper/repos.json"
#define PIPELINE_DEFAULT_STATE "repodigest-state.json"

/* What a run stores per repository (--format full,chunks): job.h's bits. */
#define RUN_FORMAT_FULL   JOB_FORMAT(RENDER_FULL)   /* .../summary.txt */
#define RUN_FORMAT_CHUNKS JOB_FORMAT(RENDER_CHUNKS) /* .../chunks.jsonl */

struct run_opts {
	const char *feed;               /* file, https:// URL, or "-" */
	const char *out;                /* directory or s3://BUCKET[/PREFIX] */
	const char *archive_url;        /* mirror template, or NULL */
	const char *api_base;
	const char *token;              /* GITHUB_TOKEN */
	const char *s3_endpoint, *s3_region;
	const struct fetch_opts *fetch;
	int jobs;                       /* worker threads */
	int force, dry_run;
	int timeout_s;                  /* per repo, every attempt */
	int attempts;                   /* tries per repo */
	long max_failures;              /* < 0: unlimited */
	int formats;                    /* RUN_FORMAT_*: the objects stored */
	struct job_settings set;        /* what changes the bodies: the cap,
	                                 * -i / -e, the chunks' split (job.h) */
	const char *report, *state, *resume;
	int grace_s;
	int log_format;                 /* enum log_format (log.h) */
	const char *shard;              /* "I/N" or NULL */
	const char *batch_size, *offset; /* seed mode (strings, as typed), or NULL */
};

/*
 * Run the batch; returns the process exit code (130: interrupted). SIGTERM
 * and SIGINT are the run's while it runs (blocked and taken by it, see
 * pipeline.c); the caller's signal mask is restored before it returns.
 */
int pipeline_run(const struct run_opts *o);

#endif
