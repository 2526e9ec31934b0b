/*
 * test_shard.c - shard selection: FNV-1a vectors computed independently
 * (python3, below), the sample feed's shard map, a partition check for
 * N = 1..7 (every job in exactly one shard, independent of feed order),
 * seed --batch-size/--offset on raw indices, platform environment
 * detection, and malformed settings with their exact codes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "feed.h"
#include "shard.h"
#include "t.h"
#include "../common/slurp.h"

static const char *const ENV_VARS[] = {
	"REPODIGEST_SHARD", "REPODIGEST_SHARDS", "JOB_COMPLETION_INDEX",
	"JOB_COMPLETIONS", "CLOUD_RUN_TASK_INDEX", "CLOUD_RUN_TASK_COUNT",
	"AWS_BATCH_JOB_ARRAY_INDEX", "AWS_BATCH_JOB_ARRAY_SIZE",
};

static void
env_clear(void)
{
	for (size_t i = 0; i < sizeof ENV_VARS / sizeof ENV_VARS[0]; i++)
		unsetenv(ENV_VARS[i]);
}

static void
test_hash(void)
{
	/*
	 * python3: h = 14695981039346656037
	 *   for b in s.lower().encode(): h = ((h ^ b) * 1099511628211) % 2**64
	 */
	static const struct {
		const char *o, *r;
		uint64_t h;
	} v[] = {
		{ "a", "b", 16582468340193742689ull },
		{ "example-dept", "frontend-toolkit", 7363409530989902811ull },
		{ "SampleAgency", "Case.Management.API",
		    18440656820167307976ull },
		{ "sampleagency", "case.management.api",
		    18440656820167307976ull },
		{ "sample-research-lab", "UPPERCASE-REPO",
		    11737858689922555797ull },
	};

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		CHECK(shard_hash(v[i].o, v[i].r) == v[i].h, "hash %s/%s %llu",
		    v[i].o, v[i].r,
		    (unsigned long long)shard_hash(v[i].o, v[i].r));
}

static int
cfg(struct shard *s, const char *sh, const char *bs, const char *off,
    struct err_ctx *ec)
{
	memset(ec, 0, sizeof *ec);
	return shard_config(s, sh, bs, off, ec);
}

static void
test_sample(void)
{
	/* python3, same hash, % 3, over the 27 unique jobs in feed order */
	static const int map3[27] = {
		0, 1, 1, 1, 0, 2, 1, 2, 0, 0, 1, 1, 2, 2, 2, 0, 2, 0, 2, 0,
		0, 1, 0, 1, 0, 0, 0
	};
	struct feed_list fl;
	struct feed_job *jobs, *rev;
	size_t n = 0, nj;
	char *p = (char *)slurp_data("feeds", "sample-repos.json", 1u << 20,
	    &n), spec[16];
	struct shard s;
	struct err_ctx ec;

	CHECK(p != NULL, "read the sample feed");
	if (p == NULL)
		return;
	CHECK(feed_parse(p, n, &fl, NULL, NULL, &ec) == ERR_OK &&
	    fl.njobs == 27, "parse %zu", fl.njobs);
	jobs = fl.jobs;
	nj = fl.njobs;
	free(p);
	if (nj != 27) {
		feed_list_free(&fl);
		return;
	}
	for (size_t i = 0; i < nj; i++) {
		snprintf(spec, sizeof spec, "%d/3", map3[i]);
		cfg(&s, spec, NULL, NULL, &ec);
		CHECK(shard_keep(&s, &jobs[i]), "%s/%s in %s", jobs[i].owner,
		    jobs[i].repo, spec);
	}
	/* partition: each job in exactly one of N shards, N = 1..7 */
	for (unsigned N = 1; N <= 7; N++) {
		size_t total = 0;
		for (size_t i = 0; i < nj; i++) {
			int hits = 0;
			for (unsigned I = 0; I < N; I++) {
				snprintf(spec, sizeof spec, "%u/%u", I, N);
				CHECK(cfg(&s, spec, NULL, NULL, &ec) == ERR_OK,
				    "cfg %s", spec);
				hits += shard_keep(&s, &jobs[i]);
			}
			CHECK(hits == 1, "N=%u job %zu in %d shards", N, i,
			    hits);
			total += (size_t)hits;
		}
		CHECK(total == nj, "N=%u union %zu", N, total);
	}
	/* stability: reverse the feed (new raw indices); shards unchanged */
	rev = malloc(nj * sizeof *rev);
	if (rev != NULL) {
		for (size_t i = 0; i < nj; i++) {
			rev[i] = jobs[nj - 1 - i];
			rev[i].index = i;
		}
		cfg(&s, "1/3", NULL, NULL, &ec);
		for (size_t i = 0; i < nj; i++)
			CHECK(shard_keep(&s, &rev[i]) ==
			    shard_keep(&s, &jobs[nj - 1 - i]), "order %zu", i);
		free(rev);
	}
	/* seed mode: raw indices (duplicates and bad records included) */
	CHECK(cfg(&s, NULL, "10", "3", &ec) == ERR_OK && s.mode == SHARD_SEED,
	    "seed cfg");
	{
		struct feed_job j;
		int ok = 1;
		memset(&j, 0, sizeof j);
		for (j.index = 0; j.index < 100; j.index++)
			ok &= shard_keep(&s, &j) == (j.index % 10 == 3);
		CHECK(ok, "seed keeps i %% 10 == 3");
		/* sample: 30 raw records, batch 4: offsets 0,1 get 8, 2,3 get 7 */
		for (int k = 0; k < 4; k++) {
			char off[4];
			size_t c = 0;
			snprintf(off, sizeof off, "%d", k);
			cfg(&s, NULL, "4", off, &ec);
			for (j.index = 0; j.index < fl.nrecords; j.index++)
				c += (size_t)shard_keep(&s, &j);
			CHECK(c == (k < 2 ? 8u : 7u), "batch 4 offset %d: %zu",
			    k, c);
		}
	}
	feed_list_free(&fl);
}

static void
test_config(void)
{
	static const struct {
		const char *sh, *bs, *off;
		int rc;
		int mode;
		unsigned long long i, n;
		const char *desc;
	} t[] = {
		{ NULL, NULL, NULL, ERR_OK, SHARD_ALL, 0, 1,
		    "all jobs (no shard configured)" },
		{ "2/3", NULL, NULL, ERR_OK, SHARD_HASH, 2, 3,
		    "shard 2/3 (--shard 2/3)" },
		{ "0/1", NULL, NULL, ERR_OK, SHARD_HASH, 0, 1,
		    "shard 0/1 (--shard 0/1)" },
		{ NULL, "10", "3", ERR_OK, SHARD_SEED, 3, 10,
		    "records i % 10 == 3 (--batch-size 10 --offset 3)" },
		{ NULL, "5", NULL, ERR_OK, SHARD_SEED, 0, 5,
		    "records i % 5 == 0 (--batch-size 5 --offset 0)" },
		{ "3/3", NULL, NULL, ERR_SHARD_SPEC, SHARD_ALL, 0, 1, NULL },
		{ "3/0", NULL, NULL, ERR_SHARD_SPEC, SHARD_ALL, 0, 1, NULL },
		{ "a/b", NULL, NULL, ERR_SHARD_SPEC, SHARD_ALL, 0, 1, NULL },
		{ "-1/3", NULL, NULL, ERR_SHARD_SPEC, SHARD_ALL, 0, 1, NULL },
		{ "+1/3", NULL, NULL, ERR_SHARD_SPEC, SHARD_ALL, 0, 1, NULL },
		{ " 1/3", NULL, NULL, ERR_SHARD_SPEC, SHARD_ALL, 0, 1, NULL },
		{ "1/3 ", NULL, NULL, ERR_SHARD_SPEC, SHARD_ALL, 0, 1, NULL },
		{ "1/", NULL, NULL, ERR_SHARD_SPEC, SHARD_ALL, 0, 1, NULL },
		{ "/3", NULL, NULL, ERR_SHARD_SPEC, SHARD_ALL, 0, 1, NULL },
		{ "1/3/5", NULL, NULL, ERR_SHARD_SPEC, SHARD_ALL, 0, 1, NULL },
		{ "3", NULL, NULL, ERR_SHARD_SPEC, SHARD_ALL, 0, 1, NULL },
		{ "", NULL, NULL, ERR_SHARD_SPEC, SHARD_ALL, 0, 1, NULL },
		{ "0/18446744073709551617", NULL, NULL, ERR_SHARD_SPEC,
		    SHARD_ALL, 0, 1, NULL },
		{ "0/1000000001", NULL, NULL, ERR_SHARD_SPEC, SHARD_ALL, 0, 1,
		    NULL },
		{ "1/3", "10", NULL, ERR_SHARD_CONFLICT, SHARD_ALL, 0, 1, NULL },
		{ "1/3", NULL, "0", ERR_SHARD_CONFLICT, SHARD_ALL, 0, 1, NULL },
		{ NULL, NULL, "3", ERR_SHARD_BATCH, SHARD_ALL, 0, 1, NULL },
		{ NULL, "0", "0", ERR_SHARD_BATCH, SHARD_ALL, 0, 1, NULL },
		{ NULL, "-5", "0", ERR_SHARD_BATCH, SHARD_ALL, 0, 1, NULL },
		{ NULL, "10", "10", ERR_SHARD_BATCH, SHARD_ALL, 0, 1, NULL },
		{ NULL, "10", "-1", ERR_SHARD_BATCH, SHARD_ALL, 0, 1, NULL },
		{ NULL, "1e3", "0", ERR_SHARD_BATCH, SHARD_ALL, 0, 1, NULL },
		{ NULL, "99999999999999999999", "0", ERR_SHARD_BATCH,
		    SHARD_ALL, 0, 1, NULL },
	};
	struct shard s;
	struct err_ctx ec;
	char buf[256];

	env_clear();
	for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
		int rc = cfg(&s, t[k].sh, t[k].bs, t[k].off, &ec);
		CHECK(rc == t[k].rc, "case %zu rc %d (%s) want %d", k, rc,
		    ec.detail, t[k].rc);
		CHECK(s.mode == t[k].mode && s.index == t[k].i &&
		    s.count == t[k].n, "case %zu mode %d %llu/%llu", k, s.mode,
		    (unsigned long long)s.index, (unsigned long long)s.count);
		if (t[k].desc != NULL)
			CHECK(strcmp(shard_describe(&s, buf, sizeof buf),
			    t[k].desc) == 0, "case %zu describe \"%s\"", k,
			    buf);
		else
			CHECK(ec.source[0] != '\0' || rc == ERR_SHARD_CONFLICT,
			    "case %zu names its input", k);
	}
	/* the error line names the setting as typed, then the cause; no
	 * quotes of ours (err_format escapes '"' as \x22) */
	{
		static const struct {
			const char *sh, *bs, *off, *line;
		} m[] = {
			{ "a/b", NULL, NULL, "--shard a/b: invalid shard "
			    "(want I/N, 0 <= I < N)" },
			{ "3/2", NULL, NULL, "--shard 3/2: invalid shard "
			    "(want I/N, 0 <= I < N)" },
			{ NULL, "0", "0", "--batch-size 0: invalid "
			    "--batch-size/--offset (want N >= 1, 0 <= K < N)" },
			{ NULL, "10", "10", "--offset 10: invalid "
			    "--batch-size/--offset (want N >= 1, 0 <= K < N) "
			    "(not below --batch-size 10)" },
			{ NULL, NULL, "3", "--offset 3: invalid "
			    "--batch-size/--offset (want N >= 1, 0 <= K < N) "
			    "(needs --batch-size)" },
		};
		char line[512];

		for (size_t k = 0; k < sizeof m / sizeof m[0]; k++) {
			cfg(&s, m[k].sh, m[k].bs, m[k].off, &ec);
			err_format(&ec, line, sizeof line);
			CHECK(strcmp(line, m[k].line) == 0, "line \"%s\"",
			    line);
		}
		/* a huge value is cut, not copied whole */
		memset(buf, '7', 200);
		strcpy(buf + 200, "/3");
		cfg(&s, buf, NULL, NULL, &ec);
		CHECK(strlen(ec.source) == strlen("--shard ") + 40, "cut %zu",
		    strlen(ec.source));
	}
}

static void
test_env(void)
{
	static const struct {
		const char *vars[6];  /* name, value pairs, NULL-terminated */
		const char *sh;       /* a --shard flag, wins over env */
		int rc;
		const char *desc;     /* describe, or the error line's start */
	} t[] = {
		{ { "JOB_COMPLETION_INDEX", "2", "REPODIGEST_SHARDS", "3" },
		    NULL, ERR_OK,
		    "shard 2/3 (JOB_COMPLETION_INDEX=2, REPODIGEST_SHARDS=3)" },
		{ { "JOB_COMPLETION_INDEX", "1", "JOB_COMPLETIONS", "4" },
		    NULL, ERR_OK,
		    "shard 1/4 (JOB_COMPLETION_INDEX=1, JOB_COMPLETIONS=4)" },
		{ { "JOB_COMPLETION_INDEX", "1" }, NULL, ERR_SHARD_ENV,
		    "JOB_COMPLETION_INDEX=1: invalid shard setting in the "
		    "environment (needs REPODIGEST_SHARDS, the shard count" },
		{ { "JOB_COMPLETION_INDEX", "3", "REPODIGEST_SHARDS", "3" },
		    NULL, ERR_SHARD_ENV, "JOB_COMPLETION_INDEX=3: invalid "
		    "shard setting in the environment (not below "
		    "REPODIGEST_SHARDS=3)" },
		{ { "CLOUD_RUN_TASK_INDEX", "0", "CLOUD_RUN_TASK_COUNT", "5" },
		    NULL, ERR_OK,
		    "shard 0/5 (CLOUD_RUN_TASK_INDEX=0, CLOUD_RUN_TASK_COUNT=5)" },
		{ { "CLOUD_RUN_TASK_INDEX", "4", "CLOUD_RUN_TASK_COUNT", "x" },
		    NULL, ERR_SHARD_ENV, "CLOUD_RUN_TASK_COUNT=x: invalid shard "
		    "setting in the environment (not a count >= 1)" },
		{ { "CLOUD_RUN_TASK_INDEX", "-1", "CLOUD_RUN_TASK_COUNT", "5" },
		    NULL, ERR_SHARD_ENV, "CLOUD_RUN_TASK_INDEX=-1: invalid shard "
		    "setting in the environment (not a number)" },
		{ { "AWS_BATCH_JOB_ARRAY_INDEX", "7", "REPODIGEST_SHARDS",
		    "10" }, NULL, ERR_OK, "shard 7/10 "
		    "(AWS_BATCH_JOB_ARRAY_INDEX=7, REPODIGEST_SHARDS=10)" },
		{ { "AWS_BATCH_JOB_ARRAY_INDEX", "7", "AWS_BATCH_JOB_ARRAY_SIZE",
		    "8" }, NULL, ERR_OK, "shard 7/8 "
		    "(AWS_BATCH_JOB_ARRAY_INDEX=7, AWS_BATCH_JOB_ARRAY_SIZE=8)" },
		{ { "AWS_BATCH_JOB_ARRAY_INDEX", "7" }, NULL, ERR_SHARD_ENV,
		    "AWS_BATCH_JOB_ARRAY_INDEX=7: invalid shard setting in the "
		    "environment (needs REPODIGEST_SHARDS" },
		{ { "REPODIGEST_SHARDS", "3" }, NULL, ERR_SHARD_ENV,
		    "REPODIGEST_SHARDS=3: invalid shard setting in the "
		    "environment (no task index: JOB_COMPLETION_INDEX, " },
		{ { "REPODIGEST_SHARD", "1/2", "JOB_COMPLETION_INDEX", "0",
		    "REPODIGEST_SHARDS", "9" }, NULL, ERR_OK,
		    "shard 1/2 (REPODIGEST_SHARD=1/2)" },
		{ { "REPODIGEST_SHARD", "2/2" }, NULL, ERR_SHARD_SPEC,
		    "REPODIGEST_SHARD=2/2: invalid shard (want I/N" },
		{ { "JOB_COMPLETION_INDEX", "", "REPODIGEST_SHARDS", "" },
		    NULL, ERR_OK, "all jobs (no shard configured)" },
		/* the flag wins; env is not even read */
		{ { "JOB_COMPLETION_INDEX", "x" }, "0/2", ERR_OK,
		    "shard 0/2 (--shard 0/2)" },
		/* k8s index wins over Cloud Run when both are set */
		{ { "JOB_COMPLETION_INDEX", "1", "CLOUD_RUN_TASK_INDEX", "0",
		    "REPODIGEST_SHARDS", "2" }, NULL, ERR_OK,
		    "shard 1/2 (JOB_COMPLETION_INDEX=1, REPODIGEST_SHARDS=2)" },
	};
	struct shard s;
	struct err_ctx ec;
	char buf[256], line[512];

	for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
		int rc;

		env_clear();
		for (size_t v = 0; v < 6 && t[k].vars[v] != NULL; v += 2)
			setenv(t[k].vars[v], t[k].vars[v + 1], 1);
		rc = cfg(&s, t[k].sh, NULL, NULL, &ec);
		CHECK(rc == t[k].rc, "env case %zu rc %d (%s)", k, rc,
		    ec.detail);
		if (t[k].rc == ERR_OK)
			CHECK(strcmp(shard_describe(&s, buf, sizeof buf),
			    t[k].desc) == 0, "env case %zu \"%s\"", k, buf);
		else {
			err_format(&ec, line, sizeof line);
			CHECK(strncmp(line, t[k].desc, strlen(t[k].desc)) == 0 &&
			    s.mode == SHARD_ALL, "env case %zu line \"%s\"", k,
			    line);
		}
	}
	env_clear();
}

int
main(void)
{
	test_hash();
	test_sample();
	test_config();
	test_env();
	return T_DONE();
}
