/*
 * shard.h - which of the feed's jobs this process handles (design.md, "The
 * batch contract").
 *
 * Three modes:
 *   hash  shard I of N: fnv1a64(lowercase "owner/repo") % N == I. Stable
 *         when the feed grows or reorders.
 *   seed  --batch-size N --offset K: raw array index i % N == K (the seed's
 *         meaning; duplicates and invalid records count).
 *   all   nothing configured.
 * Sources, first found wins: --shard, --batch-size/--offset (both flags
 * together is an error), REPODIGEST_SHARD="I/N", then a platform index:
 * JOB_COMPLETION_INDEX (Kubernetes Indexed Job), CLOUD_RUN_TASK_INDEX
 * (Cloud Run Jobs), AWS_BATCH_JOB_ARRAY_INDEX (AWS Batch), with the count
 * from REPODIGEST_SHARDS, else the platform's JOB_COMPLETIONS (not set by
 * Kubernetes itself: set it in the pod spec), CLOUD_RUN_TASK_COUNT or
 * AWS_BATCH_JOB_ARRAY_SIZE. Empty variables count as unset.
 */
#ifndef SHARD_H
#define SHARD_H

#include <stdint.h>

#include "err.h"
#include "feed.h"

enum shard_mode {
	SHARD_ALL,
	SHARD_HASH,
	SHARD_SEED
};

struct shard {
	int mode;               /* enum shard_mode */
	uint64_t index;         /* HASH: I; SEED: offset K */
	uint64_t count;         /* HASH: N; SEED: batch size N; ALL: 1 */
	char origin[128];       /* where it came from, for shard_describe */
};

/* FNV-1a 64 of lower-case (ASCII) owner + "/" + repo. */
uint64_t shard_hash(const char *owner, const char *repo);

/*
 * Resolve the shard from the flags (NULL = not given; the option text as
 * typed, so errors can quote it) and, when no flag is given, the
 * environment. Numbers are strict: decimal digits only, no sign, no
 * spaces, at most 10^9. Requires 0 <= I < N, N >= 1 (same for K < N).
 * Errors: ERR_SHARD_SPEC (bad --shard or REPODIGEST_SHARD), ERR_SHARD_BATCH
 * (bad --batch-size/--offset, or --offset alone), ERR_SHARD_CONFLICT
 * (--shard with --batch-size/--offset), ERR_SHARD_ENV (bad platform
 * variable, index without a count, or REPODIGEST_SHARDS without an index).
 * ec->source names the flag or variable and its value as given ("--shard
 * 3/2", "REPODIGEST_SHARDS=x"), ec->detail what is wrong with it when the
 * code's message does not say. s is all on error.
 */
int shard_config(struct shard *s, const char *flag_shard,
    const char *batch_size, const char *offset, struct err_ctx *ec);

/*
 * The run log's first line, e.g. "shard 2/3 (JOB_COMPLETION_INDEX=2,
 * REPODIGEST_SHARDS=3)", "records i % 10 == 3 (--batch-size 10 --offset 3)"
 * or "all jobs (no shard configured)". Returns buf (always terminated).
 */
const char *shard_describe(const struct shard *s, char *buf, size_t cap);

/* 1 if job j belongs to this process. */
int shard_keep(const struct shard *s, const struct feed_job *j);

/*
 * path with its first "{shard}" replaced by the shard's index (run
 * --report: every pod or task of a job takes the same arguments) into out;
 * path itself when it has none. Returns out, or NULL when it does not fit.
 */
const char *shard_path(const struct shard *s, const char *path, char *out,
    size_t cap);

#endif
