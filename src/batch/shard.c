/*
 * shard.c - pick this process's share of the jobs.
 *
 * shard_config() runs once at start-up: flags, then REPODIGEST_SHARD, then
 * the platform's task-index variables, each parsed strictly (a typo in a
 * shard setting must stop the run: silently processing every job in every
 * task would multiply the work by N). shard_keep() is then a pure function
 * of the job, so any number of workers may call it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fnv.h"
#include "shard.h"

/* Far above any real task count; keeps every value exact in 32 bits. */
#define SHARD_NUM_MAX 1000000000ull

/* see shard.h */
uint64_t
shard_hash(const char *owner, const char *repo)
{
	uint64_t h = FNV1A64_INIT;
	const char *parts[3] = { owner, "/", repo };

	for (int k = 0; k < 3; k++) {
		for (const unsigned char *c = (const unsigned char *)parts[k];
		    *c != '\0'; c++)
			h = fnv1a64_byte(h, *c >= 'A' && *c <= 'Z' ?
			    (unsigned char)(*c + 32) : *c);
	}
	return h;
}

/* Strict decimal: [0-9]+, value <= SHARD_NUM_MAX; s[0..n). 1 on success. */
static int
num(const char *s, size_t n, uint64_t *v)
{
	uint64_t x = 0;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		x = x * 10 + (uint64_t)(s[i] - '0');
		if (x > SHARD_NUM_MAX)
			return 0;       /* checked each step: no overflow */
	}
	*v = x;
	return 1;
}

static int
num_str(const char *s, uint64_t *v)
{
	return num(s, strlen(s), v);
}

/* "I/N" with I < N. */
static int
parse_spec(const char *s, uint64_t *i, uint64_t *n)
{
	const char *slash = strchr(s, '/');

	return slash != NULL && num(s, (size_t)(slash - s), i) &&
	    num_str(slash + 1, n) && *n >= 1 && *i < *n;
}

/* getenv with "" treated as unset. */
static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* A user value in a message, bounded so a huge value cannot flood. */
#define Q(s) (int)(strlen(s) > 40 ? 40 : strlen(s)), (s)

/*
 * The setting as the user gave it ("--shard 3/2", "REPODIGEST_SHARDS=x")
 * becomes the error's input, so err_format() names it first and the cause
 * last, with no quotes of ours for its escaping to mangle.
 */
static void
input_is(struct err_ctx *ec, const char *name, const char *sep,
    const char *v)
{
	snprintf(ec->source, sizeof ec->source, "%s%s%.*s", name, sep, Q(v));
}

static void
set_all(struct shard *s)
{
	memset(s, 0, sizeof *s);
	s->mode = SHARD_ALL;
	s->count = 1;
}

static int
from_env(struct shard *s, struct err_ctx *ec)
{
	static const struct {
		const char *index, *count;
	} plat[] = {
		{ "JOB_COMPLETION_INDEX", "JOB_COMPLETIONS" },
		{ "CLOUD_RUN_TASK_INDEX", "CLOUD_RUN_TASK_COUNT" },
		{ "AWS_BATCH_JOB_ARRAY_INDEX", "AWS_BATCH_JOB_ARRAY_SIZE" },
	};
	const char *v, *iv = NULL, *cv, *iname = NULL, *cname;
	uint64_t i, n;

	if ((v = env("REPODIGEST_SHARD")) != NULL) {
		if (!parse_spec(v, &i, &n)) {
			input_is(ec, "REPODIGEST_SHARD", "=", v);
			return err_set(ec, ERR_SHARD_SPEC, NULL);
		}
		s->mode = SHARD_HASH;
		s->index = i;
		s->count = n;
		snprintf(s->origin, sizeof s->origin, "REPODIGEST_SHARD=%s",
		    v);
		return ERR_OK;
	}
	for (size_t k = 0; k < sizeof plat / sizeof plat[0]; k++) {
		if ((iv = env(plat[k].index)) != NULL) {
			iname = plat[k].index;
			cname = plat[k].count;
			break;
		}
	}
	cv = env("REPODIGEST_SHARDS");
	if (iname == NULL) {
		if (cv != NULL) {
			input_is(ec, "REPODIGEST_SHARDS", "=", cv);
			return err_set(ec, ERR_SHARD_ENV, "no task index: "
			    "JOB_COMPLETION_INDEX, CLOUD_RUN_TASK_INDEX or "
			    "AWS_BATCH_JOB_ARRAY_INDEX");
		}
		return ERR_OK;
	}
	if (cv != NULL)
		cname = "REPODIGEST_SHARDS";
	else if ((cv = env(cname)) == NULL) {
		input_is(ec, iname, "=", iv);
		return err_set(ec, ERR_SHARD_ENV, "needs REPODIGEST_SHARDS, "
		    "the shard count: the platform does not expose it");
	}
	if (!num_str(iv, &i)) {
		input_is(ec, iname, "=", iv);
		return err_set(ec, ERR_SHARD_ENV, "not a number");
	}
	if (!num_str(cv, &n) || n == 0) {
		input_is(ec, cname, "=", cv);
		return err_set(ec, ERR_SHARD_ENV, "not a count >= 1");
	}
	if (i >= n) {
		input_is(ec, iname, "=", iv);
		return err_set(ec, ERR_SHARD_ENV, "not below %s=%.*s", cname,
		    Q(cv));
	}
	s->mode = SHARD_HASH;
	s->index = i;
	s->count = n;
	snprintf(s->origin, sizeof s->origin, "%s=%s, %s=%s", iname, iv,
	    cname, cv);
	return ERR_OK;
}

/* see shard.h */
int
shard_config(struct shard *s, const char *flag_shard,
    const char *batch_size, const char *offset, struct err_ctx *ec)
{
	struct err_ctx dummy;
	uint64_t i, n;
	int rc;

	if (ec == NULL)
		ec = &dummy;
	ec->has_offset = 0;
	ec->source[0] = '\0';
	set_all(s);
	if (flag_shard != NULL && (batch_size != NULL || offset != NULL))
		return err_set(ec, ERR_SHARD_CONFLICT, NULL);
	if (flag_shard != NULL) {
		if (!parse_spec(flag_shard, &i, &n)) {
			input_is(ec, "--shard", " ", flag_shard);
			return err_set(ec, ERR_SHARD_SPEC, NULL);
		}
		s->mode = SHARD_HASH;
		s->index = i;
		s->count = n;
		snprintf(s->origin, sizeof s->origin, "--shard %s",
		    flag_shard);
		return ERR_OK;
	}
	if (batch_size != NULL || offset != NULL) {
		if (batch_size == NULL) {
			input_is(ec, "--offset", " ", offset);
			return err_set(ec, ERR_SHARD_BATCH,
			    "needs --batch-size");
		}
		if (!num_str(batch_size, &n) || n == 0) {
			input_is(ec, "--batch-size", " ", batch_size);
			return err_set(ec, ERR_SHARD_BATCH, NULL);
		}
		/* the seed's default offset is the first batch */
		i = 0;
		if (offset != NULL && !num_str(offset, &i)) {
			input_is(ec, "--offset", " ", offset);
			return err_set(ec, ERR_SHARD_BATCH, NULL);
		}
		if (i >= n) {
			input_is(ec, "--offset", " ", offset);
			return err_set(ec, ERR_SHARD_BATCH, "not below "
			    "--batch-size %.*s", Q(batch_size));
		}
		s->mode = SHARD_SEED;
		s->index = i;
		s->count = n;
		snprintf(s->origin, sizeof s->origin,
		    "--batch-size %s --offset %s", batch_size,
		    offset != NULL ? offset : "0");
		return ERR_OK;
	}
	if ((rc = from_env(s, ec)) != ERR_OK)
		set_all(s);
	return rc;
}

/* see shard.h */
const char *
shard_describe(const struct shard *s, char *buf, size_t cap)
{
	if (cap == 0)
		return buf;
	switch (s->mode) {
	case SHARD_HASH:
		snprintf(buf, cap, "shard %llu/%llu (%s)",
		    (unsigned long long)s->index, (unsigned long long)s->count,
		    s->origin);
		break;
	case SHARD_SEED:
		snprintf(buf, cap, "records i %% %llu == %llu (%s)",
		    (unsigned long long)s->count, (unsigned long long)s->index,
		    s->origin);
		break;
	default:
		snprintf(buf, cap, "all jobs (no shard configured)");
		break;
	}
	return buf;
}

/* see shard.h */
int
shard_keep(const struct shard *s, const struct feed_job *j)
{
	switch (s->mode) {
	case SHARD_HASH:
		return shard_hash(j->owner, j->repo) % s->count == s->index;
	case SHARD_SEED:
		return (uint64_t)j->index % s->count == s->index;
	default:
		return 1;
	}
}

/* see shard.h */
const char *
shard_path(const struct shard *s, const char *path, char *out, size_t cap)
{
	const char *mark = strstr(path, "{shard}");

	if (mark == NULL)
		return path;
	if ((size_t)snprintf(out, cap, "%.*s%llu%s", (int)(mark - path), path,
	    (unsigned long long)s->index, mark + 7) >= cap)
		return NULL;
	return out;
}
