/*
 * cmd_run.c - `repodigest run [FEED]`: options to a struct run_opts, then
 * the batch (pipeline.c) does the work and decides the exit status. See
 * cmd.h.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd.h"
#include "log.h"
#include "pipeline.h"
#include "shard.h"
#include "sink.h"

struct run_args {
	const char *out;
	uint64_t jobs;
	const char *shard;
	const char *batch_size, *offset;        /* as typed: by position */
	int force, dry_run;
	uint64_t retries;
	uint64_t max_failures;                  /* UINT64_MAX: unlimited */
	uint64_t max_output;
	const char *format;                     /* "full", "chunks", "full,chunks" */
	struct chunk_args chunk;
	const char *report, *state, *resume;
	uint64_t grace_s;
	int log_format;                         /* 0 json, 1 text, -1 unset */
	struct tree_args tree;
	struct pattern_args pat;
	struct github_args gh;
	struct net_args net;
	struct s3_args s3;
};

#define RA(f) offsetof(struct run_args, f)
static const struct opt run_opts_table[] = {
	OPT_STR_("out", 0, "DEST", RA(out), CHK_NONE, "DIR or s3://BUCKET[/PREFIX]"),
	OPT_U64_("jobs", 'j', "N", RA(jobs), 1, 256, "worker threads"),
	OPT_STR_("shard", 0, "I/N", RA(shard), CHK_NONE,
	    "this process's share: the repositories whose\n"
	    "fnv1a64(lower(\"owner/repo\")) % N == I"),
	OPT_STR_("batch-size", 0, "N", RA(batch_size), CHK_NONE,
	    "with --offset, sharding by position, as\n"
	    "govreposcrape: records i with i % N == K"),
	OPT_STR_("offset", 0, "K", RA(offset), CHK_NONE, "see --batch-size"),
	OPT_FLAG_("force", 0, RA(force),
	    "ignore the cache: process every repository,\n"
	    "even those whose stored digest is current"),
	OPT_FLAG_("dry-run", 0, RA(dry_run),
	    "say what would be fetched and stored; store\nnothing"),
	OPT_U64_("retries", 0, "N", RA(retries), 1, 20,
	    "attempts per repository"),
	OPT_U64_("max-failures", 0, "N", RA(max_failures), 0, 100000000,
	    "exit 1 when more than N repositories fail\n"
	    "(without it: no limit)"),
	OPT_STR_("format", 0, "LIST", RA(format), CHK_NONE,
	    "what to store per repository, from one\n"
	    "download: full (summary.txt), chunks\n"
	    "(chunks.jsonl, JSON lines as digest --format\n"
	    "chunks), or full,chunks (both)"),
	OPT_STR_("report", 0, "DEST", RA(report), CHK_NONE,
	    "JSON run report: FILE or s3://BUCKET/KEY\n"
	    "({shard} in DEST: the shard index)"),
	OPT_STR_("state", 0, "FILE", RA(state), CHK_NONE,
	    "what was done, failed, pending, written at\nthe end"),
	OPT_STR_("resume", 0, "FILE", RA(resume), CHK_NONE,
	    "skip what FILE (a state file) lists as done"),
	OPT_U64_("grace", 0, "SECS", RA(grace_s), 0, 3600,
	    "after SIGTERM/SIGINT, time for the\n"
	    "repositories in flight"),
	OPT_ENUM_("log-format", 0, "json|text", RA(log_format),
	    "JSON lines (the default) or text; on a\n"
	    "terminal the default is a status line"),
	OPT_END
};

static const struct opt_group run_groups[] = {
	{ run_opts_table, 0 },
	{ tree_opts, RA(tree) },
	{ chunk_opts, RA(chunk) },
	{ pattern_opts, RA(pat) },
	{ max_output_opt, RA(max_output) },
	{ github_opts, RA(gh) },
	{ net_opts, RA(net) },
	{ s3_opts, RA(s3) },
	{ NULL, 0 }
};
#undef RA

static const struct opt_cmd run_cmd = {
	"run", "run [FEED] [options]", "FEED", 0, 1,
	"Digest every repository of a repos.json feed and store each digest\n"
	"with its metadata (DIR/gitingest/OWNER/REPO/summary.txt + .meta, or\n"
	"the same key in S3; with --format chunks, chunks.jsonl beside it).\n"
	"FEED is a file, an https:// URL or - (default: the UK public-sector\n"
	"feed).\n"
	"\n"
	"The feed is a JSON array of objects; each needs \"owner\", \"name\" and\n"
	"\"url\" (https://github.com/OWNER/NAME, the same names) and may have\n"
	"\"pushedAt\" (ISO 8601; other fields are ignored). A record without them,\n"
	"with another URL, an unsafe name or a duplicate owner/name (compared\n"
	"without case) is skipped with one log line. A feed that is not a JSON\n"
	"array stops the run. A repository is skipped (cached) when every\n"
	"object asked for is stored with the feed's pushedAt and the same\n"
	"settings; otherwise one download makes those that are not. One without\n"
	"pushedAt is always processed. Each repository's default branch is\n"
	"downloaded: {ref} in --archive-url is HEAD.\n"
	"Shards: --shard, --batch-size/--offset, or from the environment\n"
	"(JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX with\n"
	"REPODIGEST_SHARDS; CLOUD_RUN_TASK_INDEX with CLOUD_RUN_TASK_COUNT).\n",
	run_groups,
	"Environment: GITHUB_TOKEN, SSL_CERT_FILE, HTTPS_PROXY, HTTP_PROXY,\n"
	"NO_PROXY, the S3 variables (see README).\n"
	"\n"
	"Exit status:\n"
	"  0    the run finished: some repositories may have failed (no more\n"
	"       than --max-failures), but not every one attempted\n"
	"  1    the run could not do its job: a setup failure before any work\n"
	"       (feed unreadable or not an array, output unusable or failing\n"
	"       its S3 check, bad pattern, template or report destination);\n"
	"       every repository attempted failed; more than --max-failures\n"
	"       failed; or the state file or report could not be written (the\n"
	"       digests are stored all the same)\n"
	"  2    usage error, a bad shard (flags or environment) included\n"
	"  130  interrupted (SIGTERM/SIGINT): the state and report are written\n"
	"       first, also when the grace period runs out\n"
};

static void
run_defaults(struct run_args *ra)
{
	memset(ra, 0, sizeof *ra);
	ra->out = "digests";
	ra->jobs = 8;
	ra->retries = 3;
	ra->max_failures = UINT64_MAX;
	ra->max_output = 524288;
	ra->format = "full";
	chunk_args_init(&ra->chunk);
	ra->state = PIPELINE_DEFAULT_STATE;
	ra->grace_s = 25;
	ra->log_format = -1;
	net_args_init(&ra->net);
}

/* see cmd.h */
void
cmd_run_help(void)
{
	struct run_args ra;

	run_defaults(&ra);
	opts_help(&run_cmd, &ra, stdout);
}

/*
 * The files a run reads and writes: no two of the feed, --state and
 * --report (as this shard names it) may be one file, and none may lie among
 * the objects under --out's gitingest/: writing one would destroy another
 * (`run fs.json --state fs.json` replaced the feed).
 */
static int
check_paths(const struct run_args *ra, const char *feed,
    const struct shard *sh)
{
	char rep[4200], tree[4200];
	struct path_use u[3] = {
		{ "FEED", feed },
		{ "--state", ra->state },
		{ "--report", ra->report ? shard_path(sh, ra->report, rep,
		    sizeof rep) : NULL },
	};
	int r;

	if ((r = same_file_check("run", u, 3)) != 0)
		return r;
	snprintf(tree, sizeof tree, "%s/" SINK_KEY_DIR, ra->out);
	return path_inside_check("run", u, 3, tree,
	    "the objects of --out (" SINK_KEY_DIR "/)");
}

/* see cmd.h */
int
cmd_run(int argc, char **argv)
{
	struct run_args ra;
	struct run_opts ro;
	struct net_setup ns;
	int r, nops;

	run_defaults(&ra);
	if ((r = opts_parse(&run_cmd, argc, argv, &ra, &nops)) != 0) {
		if (r == OPTS_HELP)
			cmd_run_help();
		return r == OPTS_HELP ? 0 : r;
	}
	if ((ra.batch_size == NULL) != (ra.offset == NULL))
		return opts_usage_error("run",
		    "--batch-size and --offset go together", NULL);
	if (ra.shard != NULL && ra.batch_size != NULL)
		return opts_usage_error("run", "--shard and --batch-size conflict",
		    NULL);
	{
		/* a bad shard (flags or environment) fails every retry
		 * alike: a usage error, exit 2, the status the Kubernetes
		 * manifests' FailJob rule keys on */
		struct shard sh;
		struct err_ctx ec;
		char m[512];

		memset(&ec, 0, sizeof ec);
		if (shard_config(&sh, ra.shard, ra.batch_size, ra.offset,
		    &ec) != 0) {
			err_format(&ec, m, sizeof m);
			return opts_usage_error("run", m, NULL);
		}
		if ((r = check_paths(&ra, nops ? argv[0] : NULL, &sh)) != 0)
			return r;
	}
	/* one template for every repository: it must name each (decision 16) */
	if ((r = archive_url_check("run", ra.gh.archive_url, 1)) != 0)
		return r;
	memset(&ro, 0, sizeof ro);
	if ((r = formats_parse("run", ra.format, &ro.formats)) != 0)
		return r;
	if ((r = chunk_args_check("run", &ra.chunk,
	    (ro.formats & RUN_FORMAT_CHUNKS) != 0)) != 0)
		return r;
	job_settings_args(&ro.set, ra.max_output, &ra.pat, &ra.chunk);
	job_settings_tree(&ro.set, &ra.tree);
	ro.feed = nops ? argv[0] : PIPELINE_DEFAULT_FEED;
	ro.out = ra.out;
	ro.archive_url = ra.gh.archive_url;
	ro.api_base = ra.gh.api_url;
	ro.token = getenv("GITHUB_TOKEN");
	ro.s3_endpoint = ra.s3.endpoint;
	ro.s3_region = ra.s3.region;
	ro.jobs = (int)ra.jobs;
	ro.force = ra.force;
	ro.dry_run = ra.dry_run;
	ro.timeout_s = (int)ra.net.timeout_s;
	ro.attempts = (int)ra.retries;
	ro.max_failures = ra.max_failures == UINT64_MAX ? -1 :
	    (long)ra.max_failures;
	ro.report = ra.report;
	ro.state = ra.state;
	ro.resume = ra.resume;
	ro.grace_s = (int)ra.grace_s;
	/* a person at a terminal gets a status line, anything else the
	 * JSON lines log collectors expect */
	ro.log_format = ra.log_format == 0 ? LOG_JSON : ra.log_format == 1 ?
	    LOG_TEXT : log_term_cols(STDOUT_FILENO) ? LOG_TTY : LOG_JSON;
	ro.shard = ra.shard;
	ro.batch_size = ra.batch_size;
	ro.offset = ra.offset;
	/* CA files only when something may be fetched over the network: an
	 * air-gapped run (local feed, file:// mirror, local output) needs none */
	int remote = strstr(ro.feed, "://") != NULL || ro.archive_url == NULL ||
	    strncmp(ro.archive_url, "file://", 7) != 0 ||
	    strncmp(ro.out, "s3://", 5) == 0 ||
	    (ro.report != NULL && strncmp(ro.report, "s3://", 5) == 0);
	if (net_setup(&ns, &ra.net, remote) != 0)
		return 1;
	ro.fetch = &ns.fo;
	r = pipeline_run(&ro);
	net_teardown(&ns);
	return r;
}
