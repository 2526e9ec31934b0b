/*
 * cmd_serve.c - `repodigest serve`: options to a struct svc_config, then
 * the service (src/svc) runs until SIGTERM or SIGINT. See cmd.h.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "cli.h"
#include "cmd.h"
#include "index.h"
#include "queue.h"
#include "schedule.h"
#include "serve.h"
#include "svc.h"

struct serve_args {
	const char *listen;
	const char *out;
	const char *db;
	const char *index;
	uint64_t jobs;
	uint64_t keep_days;
	uint64_t grace_s;
	uint64_t max_output;
	const char *feed;
	const char *every;
	const char *format;
	struct chunk_args chunk;
	struct pattern_args pat;
	struct github_args gh;
	struct net_args net;
	struct s3_args s3;
};

#define SA(f) offsetof(struct serve_args, f)
static const struct opt serve_opts_table[] = {
	OPT_STR_("listen", 0, "ADDR:PORT", SA(listen), CHK_NONEMPTY,
	    "where to listen ([V6]:PORT too; port 0: any).\n"
	    "Off loopback " AUTH_TOKEN_VAR " must be set"),
	OPT_STR_("out", 0, "DEST", SA(out), CHK_NONEMPTY,
	    "DIR or s3://BUCKET[/PREFIX]: where jobs store"),
	OPT_STR_("db", 0, "FILE", SA(db), CHK_NONEMPTY,
	    "the job table (SQLite; FILE.lock beside it)"),
	OPT_STR_("index", 0, "FILE", SA(index), CHK_NONEMPTY,
	    "the search index (default " INDEX_DEFAULT "\n"
	    "beside --db)"),
	OPT_U64_("jobs", 'j', "N", SA(jobs), 1, 256, "worker threads: jobs run at "
	    "once"),
	OPT_U64_("keep-days", 0, "N", SA(keep_days), 1, 36500,
	    "finished jobs kept in the table this long"),
	OPT_U64_("grace", 0, "SECS", SA(grace_s), 0, 3600,
	    "after SIGTERM/SIGINT, time for running jobs\n"
	    "to finish; then they are cancelled and\n"
	    "queued again"),
	OPT_STR_("feed", 0, "FEED", SA(feed), CHK_NONEMPTY,
	    "a repos.json feed (file or URL, as run's)\n"
	    "turned into jobs at start and every --every;\n"
	    "unchanged repositories are not downloaded"),
	OPT_STR_("every", 0, "DURATION", SA(every), CHK_NONEMPTY,
	    "--feed's period from the start of one pass\n"
	    "to the next: 30s, 15m, 6h (default), 1d;\n"
	    "1s to 366d"),
	OPT_STR_("format", 0, "LIST", SA(format), CHK_NONE,
	    "what --feed's jobs store: full, chunks or\n"
	    "full,chunks (default full; API jobs name\n"
	    "their own formats)"),
	OPT_END
};

static const struct opt_group serve_groups[] = {
	{ serve_opts_table, 0 },
	{ chunk_opts, SA(chunk) },
	{ pattern_opts, SA(pat) },
	{ max_output_opt, SA(max_output) },
	{ github_opts, SA(gh) },
	{ net_opts, SA(net) },
	{ s3_opts, SA(s3) },
	{ NULL, 0 }
};
#undef SA

static const struct opt_cmd serve_cmd = {
	"serve", "serve [options]", NULL, 0, 0,
	"Run the ingestion service: a JSON API over HTTP that queues GitHub\n"
	"repositories as jobs in an SQLite job table, runs them on -j worker\n"
	"threads (the same work as run, stored the same way) and streams their\n"
	"progress over WebSocket (/ws) and Server-Sent Events. README, \"Service\",\n"
	"lists the routes.\n",
	serve_groups,
	"Environment: " AUTH_TOKEN_VAR " (every route but /healthz, /readyz and\n"
	"the webhook then needs \"Authorization: Bearer TOKEN\"),\n"
	SVC_WEBHOOK_SECRET_VAR " (enables POST /v1/webhooks/github),\n"
	"GITHUB_TOKEN, SSL_CERT_FILE, HTTPS_PROXY, HTTP_PROXY, NO_PROXY, the S3\n"
	"variables (see README).\n"
	"\n"
	"Exit status:\n"
	"  0    stopped by SIGTERM or SIGINT (running jobs finished, or were\n"
	"       queued again after --grace)\n"
	"  1    could not start: the job table (locked by another server, not\n"
	"       ours, corrupt), the output, the address (in use)\n"
	"  2    usage error, or off loopback without " AUTH_TOKEN_VAR "\n"
};

static void
serve_defaults(struct serve_args *sa)
{
	memset(sa, 0, sizeof *sa);
	sa->listen = "127.0.0.1:3030";
	sa->out = "digests";
	sa->db = "repodigest.db";
	sa->jobs = 4;
	sa->keep_days = QUEUE_KEEP_DAYS;
	sa->grace_s = 25;
	sa->max_output = 524288;
	chunk_args_init(&sa->chunk);
	net_args_init(&sa->net);
}

/* see cmd.h */
void
cmd_serve_help(void)
{
	struct serve_args sa;

	serve_defaults(&sa);
	opts_help(&serve_cmd, &sa, stdout);
}

/* INDEX_DEFAULT in --db's directory. */
static void
index_beside(const char *db, char *out, size_t cap)
{
	const char *slash = strrchr(db, '/');

	if (slash == NULL)
		snprintf(out, cap, "%s", INDEX_DEFAULT);
	else
		snprintf(out, cap, "%.*s/%s", (int)(slash - db), db,
		    INDEX_DEFAULT);
}

/* see cmd.h */
int
cmd_serve(int argc, char **argv)
{
	struct serve_args sa;
	struct svc_config c;
	struct job_settings set;
	static struct job_config jc;
	struct net_setup ns;
	struct err_ctx ec;
	char host[256], index_path[4096], m[600];
	int r, nops, port;

	serve_defaults(&sa);
	if ((r = opts_parse(&serve_cmd, argc, argv, &sa, &nops)) != 0) {
		if (r == OPTS_HELP)
			cmd_serve_help();
		return r == OPTS_HELP ? 0 : r;
	}
	memset(&c, 0, sizeof c);
	c.token = getenv(AUTH_TOKEN_VAR);
	if (c.token != NULL && c.token[0] == '\0')
		c.token = NULL;
	c.hook_secret = getenv(SVC_WEBHOOK_SECRET_VAR);
	if (c.hook_secret != NULL && c.hook_secret[0] == '\0')
		c.hook_secret = NULL;
	memset(&ec, 0, sizeof ec);
	if (serve_parse_listen(sa.listen, host, sizeof host, &port, &ec) != 0 ||
	    auth_listen_check(host, c.token, &ec) != 0) {
		err_format(&ec, m, sizeof m);
		return opts_usage_error("serve", m, NULL);
	}
	if ((r = chunk_args_check("serve", &sa.chunk, 1)) != 0)
		return r;
	if (sa.feed == NULL && sa.every != NULL)
		return opts_usage_error("serve", "--every needs --feed", NULL);
	memset(&ec, 0, sizeof ec);
	if (sched_every_parse(sa.every ? sa.every : "6h", &c.every_ms,
	    &ec) != 0) {
		snprintf(m, sizeof m, "--every: %s", ec.detail);
		return opts_usage_error("serve", m, sa.every);
	}
	if (sa.feed == NULL && sa.format != NULL)
		return opts_usage_error("serve", "--format needs --feed", NULL);
	c.feed_formats = (int)JOB_FORMAT(RENDER_FULL);
	if (sa.format != NULL &&
	    (r = formats_parse("serve", sa.format, &c.feed_formats)) != 0)
		return r;
	if (sa.feed != NULL && strcmp(sa.feed, "-") == 0)
		return opts_usage_error("serve", "--feed: standard input "
		    "cannot be read again each pass: give a file or URL", NULL);
	c.feed = sa.feed;
	if ((r = archive_url_check("serve", sa.gh.archive_url, 1)) != 0)
		return r;
	job_settings_args(&set, sa.max_output, &sa.pat, &sa.chunk);
	memset(&ec, 0, sizeof ec);
	if (job_config_init(&jc, &set, &ec) != 0) {
		err_format(&ec, m, sizeof m);
		return opts_usage_error("serve", m, NULL);
	}
	jc.archive_url = sa.gh.archive_url;
	jc.api_base = sa.gh.api_url;
	jc.token = getenv("GITHUB_TOKEN");
	/* one attempt per claim: the job table retries, with its backoff,
	 * and counts the attempts (queue.h) */
	jc.attempts = 1;
	if (sa.index == NULL) {
		index_beside(sa.db, index_path, sizeof index_path);
		sa.index = index_path;
	}
	/* CA files unless everything is local: a file:// mirror, a local
	 * output and no API */
	int remote = sa.gh.archive_url == NULL ||
	    strncmp(sa.gh.archive_url, "file://", 7) != 0 ||
	    sa.gh.api_url != NULL || strncmp(sa.out, "s3://", 5) == 0 ||
	    (sa.feed != NULL && strstr(sa.feed, "://") != NULL &&
	    strncmp(sa.feed, "file://", 7) != 0);
	if (net_setup(&ns, &sa.net, remote) != 0)
		return 1;
	c.host = host;
	c.port = port;
	c.out = sa.out;
	c.db = sa.db;
	c.index = sa.index;
	c.workers = (int)sa.jobs;
	c.keep_days = (int)sa.keep_days;
	c.grace_s = (int)sa.grace_s;
	c.jc = &jc;
	c.fo = &ns.fo;
	c.net.s3_endpoint = sa.s3.endpoint;
	c.net.s3_region = sa.s3.region;
	c.net.fetch = &ns.fo;
	r = svc_run(&c);
	net_teardown(&ns);
	return r;
}
