/*
 * cmd_digest.c - `repodigest digest SOURCE`: one repository to stdout, a
 * file, a directory object or an S3 object. See cmd.h.
 *
 * Data flow: options (table below) -> source (directory, archive, URL,
 * GitHub) -> digest -> the chosen format, capped at --max-output -> where
 * the user asked. The summary goes to stderr unless -q.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cmd.h"
#include "digest.h"
#include "err.h"
#include "job.h"
#include "out.h"
#include "render.h"
#include "sink.h"
#include "source.h"
#include "url.h"

/* --format: render.h's formats, in its order */
enum { FMT_TEXT = RENDER_TEXT, FMT_FULL = RENDER_FULL, FMT_JSON = RENDER_JSON,
    FMT_CHUNKS = RENDER_CHUNKS };

struct digest_args {
	const char *output;
	const char *out;
	int format;                     /* FMT_*, -1 until given */
	const char *report;
	const char *repo;
	const char *name;
	uint64_t max_size;              /* 0: gitingest's default */
	uint64_t max_output;            /* 0: no cap */
	struct chunk_args chunk;
	int strip;                      /* 0, 1, or -1: automatic */
	int include_gitignored;
	int quiet;
	struct pattern_args pat;
	struct github_args gh;
	struct net_args net;
	struct s3_args s3;
};

#define DA(f) offsetof(struct digest_args, f)
static const struct opt digest_opts[] = {
	OPT_STR_("output", 'o', "FILE", DA(output), CHK_NONE,
	    "write to FILE (atomically) instead of stdout"),
	OPT_STR_("out", 0, "DEST", DA(out), CHK_NONE,
	    "store as an object: DIR (DIR/gitingest/OWNER/\n"
	    "REPO/summary.txt + metadata) or\n"
	    "s3://BUCKET[/PREFIX]; needs --repo; any other\n"
	    "DEST is a file, as -o"),
	OPT_ENUM_("format", 0, "text|full|json|chunks", DA(format),
	    "text: tree + content, as gitingest -o (the\n"
	    "default); full: summary + tree + content, the\n"
	    "stored body (the default with --out DIR or\n"
	    "s3://); json: {\"summary\",\"tree\",\"content\"};\n"
	    "chunks: JSON lines, files split as LangChain's\n"
	    "code splitter splits them (README, Chunks)"),
	OPT_U64_("max-size", 's', "BYTES", DA(max_size), 1, UINT64_MAX,
	    "skip files larger than BYTES\n(default 10485760)"),
	OPT_STR_("report", 0, "FILE", DA(report), CHK_NONE,
	    "write a JSON report of every file kept or left\nout"),
	OPT_FLAG_("include-gitignored", 0, DA(include_gitignored),
	    "do not apply .gitignore / .gitingestignore"),
	OPT_STR_("repo", 0, "OWNER/REPO", DA(repo), CHK_REPO,
	    "treat an archive as that GitHub repository\n"
	    "(summary 'Repository:', root 'owner-repo')"),
	OPT_STR_("name", 0, "NAME", DA(name), CHK_NONE,
	    "name of the tree root (and summary slug)"),
	OPT_ENUM_("strip-components", 0, "0|1", DA(strip),
	    "strip the archive's top directory: never or\n"
	    "always (default: when it is the only entry)"),
	OPT_FLAG_("quiet", 'q', DA(quiet), "do not print the summary on stderr"),
	OPT_END
};

static const struct opt_group digest_groups[] = {
	{ digest_opts, 0 },
	{ chunk_opts, DA(chunk) },
	{ pattern_opts, DA(pat) },
	{ max_output_opt, DA(max_output) },
	{ github_opts, DA(gh) },
	{ net_opts, DA(net) },
	{ s3_opts, DA(s3) },
	{ NULL, 0 }
};
#undef DA

static const struct opt_cmd digest_cmd = {
	"digest", "digest SOURCE [options]", "SOURCE", 1, 1,
	"SOURCE is a directory, a .tar or .tar.gz archive (a single top directory,\n"
	"as in GitHub's tarballs, is stripped), - for an archive on stdin, an\n"
	"archive URL (https://, http://, file://), or a GitHub repository:\n"
	"https://github.com/OWNER/REPO[/tree/REF], OWNER/REPO or OWNER/REPO@REF.\n"
	"By default the digest (tree + content) goes to stdout, the summary to\n"
	"stderr.\n",
	digest_groups,
	"Environment: GITHUB_TOKEN (private repositories; sent to the --api-url\n"
	"host only), SSL_CERT_FILE (extra CA certificates), HTTPS_PROXY,\n"
	"HTTP_PROXY, NO_PROXY; for s3:// the S3 variables (see README).\n"
	"\n"
	"Exit status: 0 success, 1 failure, 2 usage error.\n"
};

static void
digest_defaults(struct digest_args *da)
{
	memset(da, 0, sizeof *da);
	da->format = -1;
	da->strip = -1;
	chunk_args_init(&da->chunk);
	net_args_init(&da->net);
}

/* see cmd.h */
void
cmd_digest_help(void)
{
	struct digest_args da;

	digest_defaults(&da);
	opts_help(&digest_cmd, &da, stdout);
}

/* --out DEST names a directory if it exists as one or ends in '/'. */
static int
out_is_dir(const char *dest)
{
	struct stat st;
	size_t n = strlen(dest);

	return (n > 0 && dest[n - 1] == '/') ||
	    (stat(dest, &st) == 0 && S_ISDIR(st.st_mode));
}

/* Options into da, and the checks across options. Returns 0, OPTS_HELP or
 * the usage exit code. */
static int
parse_digest(int argc, char **argv, struct digest_args *da,
    const char **source)
{
	int r, nops;

	digest_defaults(da);
	if ((r = opts_parse(&digest_cmd, argc, argv, da, &nops)) != 0)
		return r;
	*source = argv[0];
	if (da->repo != NULL && da->name != NULL)
		return opts_usage_error("digest", "--repo and --name conflict",
		    NULL);
	if (da->out != NULL && da->output != NULL)
		return opts_usage_error("digest", "-o and --out conflict", NULL);
	if (da->out != NULL && (strncmp(da->out, "s3://", 5) == 0 ||
	    out_is_dir(da->out))) {
		if (da->repo == NULL)
			return opts_usage_error("digest",
			    "--out DIR needs --repo OWNER/REPO (the object key)",
			    da->out);
		if (da->format < 0)
			da->format = FMT_FULL;
	}
	if (da->format < 0)
		da->format = FMT_TEXT;
	/* chunks are whole or absent: a cut would split a JSON line */
	if (da->format == FMT_CHUNKS && da->max_output > 0)
		return opts_usage_error("digest",
		    "--max-output does not apply to --format chunks", NULL);
	return chunk_args_check("digest", &da->chunk, da->format == FMT_CHUNKS);
}

/* ------------------------------------------------------------ output */

static int
render_report(void *ctx, struct out *o)
{
	const struct digest *d = ctx;
	char *p = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&p, &n);
	int e;

	if (f == NULL)
		return ERR_NOMEM;
	e = digest_report_json(d, f);
	if (fclose(f) != 0 && e == 0)
		e = ERR_NOMEM;
	if (e == 0)
		e = out_write(o, p, n);
	free(p);
	return e;
}

/* --out DIR or s3://: an object, stored by the job module. */
static int
out_is_sink(const struct digest_args *da)
{
	return da->out != NULL && (strncmp(da->out, "s3://", 5) == 0 ||
	    out_is_dir(da->out));
}

/*
 * Digest source into a new *dp and *info for stdout or a file. Returns 0 or
 * 1 after saying why.
 */
static int
digest_here(const char *source, const struct digest_args *da,
    const struct job_config *cfg, const struct fetch_opts *fo,
    struct digest **dp, struct source_info *info)
{
	struct digest_opts o;
	struct source_opts so;
	struct err_ctx ec;
	char msg[1024];
	int e;

	job_digest_opts(cfg, JOB_FORMAT(da->format), &o);
	memset(&so, 0, sizeof so);
	so.repo = da->repo;
	so.name = da->name;
	so.strip = da->strip;
	so.fetch = fo;
	so.archive_url = cfg->archive_url;
	so.token = cfg->token;
	so.api_base = cfg->api_base;
	if ((*dp = malloc(sizeof **dp)) == NULL) {
		fprintf(stderr, "repodigest digest: %s\n", err_str(ERR_NOMEM));
		return 1;
	}
	if ((e = digest_init(*dp, &o)) != 0) {
		fprintf(stderr, "repodigest digest: %s\n", err_str(e));
		return 1;
	}
	if ((e = source_digest(source, &so, *dp, info, &ec)) != 0) {
		err_format(&ec, msg, sizeof msg);
		fprintf(stderr, "repodigest: %s\n", msg);
		return 1;
	}
	return 0;
}

/*
 * --out DIR or s3://: job_run stores the object (no cache check: digest
 * always makes it); the digest stays in w for the report and the summary.
 * Returns 0 or 1 after saying why.
 */
static int
digest_store(const char *source, const struct digest_args *da,
    const struct job_config *cfg, const struct fetch_opts *fo,
    const char *ref, struct job_worker *w)
{
	struct sink_net net = { da->s3.endpoint, da->s3.region, fo };
	struct job_spec spec;
	struct job_result res;
	struct err_ctx ec;
	char owner[64], msg[1024];
	const char *repo = strchr(da->repo, '/') + 1;

	memset(&ec, 0, sizeof ec);
	if (job_worker_init(w, da->out, &net, 0, fo, (uint32_t)getpid(),
	    &ec) != 0) {
		err_format(&ec, msg, sizeof msg);
		fprintf(stderr, "repodigest: %s\n", msg);
		return 1;
	}
	snprintf(owner, sizeof owner, "%.*s", (int)(repo - 1 - da->repo),
	    da->repo);
	memset(&spec, 0, sizeof spec);
	spec.source = source;
	spec.flavour = da->repo;
	spec.name = da->name;
	spec.strip = da->strip;
	spec.owner = owner;
	spec.repo = repo;
	spec.ref = ref;
	spec.formats = JOB_FORMAT(da->format);
	spec.keep_digest = 1;
	if (job_run(w, cfg, &spec, NULL, &res) != 0) {
		err_format(&res.err, msg, sizeof msg);
		fprintf(stderr, "repodigest: %s\n", msg);
		return 1;
	}
	return 0;
}

/* see cmd.h */
int
cmd_digest(int argc, char **argv)
{
	struct digest_args da;
	struct job_settings set;
	struct job_config cfg;
	struct job_worker *w = NULL;
	const struct source_info *info;
	struct source_info here;
	struct net_setup ns;
	struct err_ctx ec;
	struct digest *d = NULL;
	struct buf summary;
	struct render_body rb;
	struct stat st;
	const char *source = NULL;
	char msg[1024];
	int r, e, status = 0;

	if ((r = parse_digest(argc, argv, &da, &source)) != 0) {
		if (r == OPTS_HELP)
			cmd_digest_help();
		return r == OPTS_HELP ? 0 : r;
	}
	/* remote: a source that is not a local path, or an S3 destination */
	int remote = (strcmp(source, "-") != 0 && stat(source, &st) != 0) ||
	    (da.out != NULL && strncmp(da.out, "s3://", 5) == 0);
	if (net_setup(&ns, &da.net, remote) != 0)
		return 1;
	job_settings_args(&set, da.max_output, &da.pat, &da.chunk);
	set.max_file_size = da.max_size;
	set.include_gitignored = da.include_gitignored;
	memset(&ec, 0, sizeof ec);
	if ((e = job_config_init(&cfg, &set, &ec)) != 0) {
		fprintf(stderr, "repodigest digest: %s\n", err_str(e));
		net_teardown(&ns);
		return e == ERR_PATTERN || e == ERR_PATTERN_COUNT ? EXIT_USAGE : 1;
	}
	cfg.archive_url = da.gh.archive_url;
	cfg.api_base = da.gh.api_url;
	cfg.token = getenv("GITHUB_TOKEN");
	cfg.token_thread = 1;
	/* chunks carry their own estimates; the digest's figure shows only in
	 * the other formats and in the report */
	cfg.tokens = da.report != NULL;
	cfg.force = 1;
	/* chunks name their repository: --repo, a GitHub source, or the root */
	struct url_github g;
	char chunk_repo[URL_OWNER_MAX + URL_REPO_MAX + 2];
	memset(&g, 0, sizeof g);
	if (remote && url_github_source((const uint8_t *)source,
	    strlen(source), &g) == 0)
		snprintf(chunk_repo, sizeof chunk_repo, "%s/%s", g.owner, g.repo);
	buf_init(&summary, 1 << 20);
	if (out_is_sink(&da)) {
		if ((w = malloc(sizeof *w)) == NULL) {
			fprintf(stderr, "repodigest digest: %s\n",
			    err_str(ERR_NOMEM));
			status = 1;
			goto done;
		}
		status = digest_store(source, &da, &cfg, &ns.fo, g.ref, w);
		d = job_worker_digest(w, &info);
		if (status != 0 || d == NULL) {
			status = 1;
			goto done;
		}
	} else {
		if ((status = digest_here(source, &da, &cfg, &ns.fo, &d,
		    &here)) != 0)
			goto done;
		info = &here;
	}
	memset(&rb, 0, sizeof rb);
	rb.format = da.format;
	rb.d = d;
	rb.header = info->header;
	rb.max_output = da.max_output;
	rb.chunk_size = (size_t)da.chunk.size;
	rb.chunk_overlap = (size_t)da.chunk.overlap;
	rb.chunk.repo = da.repo ? da.repo : g.owner[0] ? chunk_repo : info->root;
	rb.chunk.ref = g.ref;
	rb.chunk.commit = info->commit;
	if (render_summary(&rb, &summary) != 0) {
		fprintf(stderr, "repodigest digest: %s\n", err_str(ERR_NOMEM));
		status = 1;
		goto done;
	}
	if (!out_is_sink(&da)) {
		memset(&ec, 0, sizeof ec);
		if (da.out != NULL || (da.output != NULL &&
		    strcmp(da.output, "-") != 0)) {
			e = sink_write_file(da.out ? da.out : da.output,
			    render_body, &rb, &ec);
		} else {
			e = sink_write_fd(STDOUT_FILENO, render_body, &rb);
			if (e != 0 && cli_reader_gone(STDOUT_FILENO)) {
				status = CMD_PIPE_CLOSED;
				goto done;
			}
			if (e)
				err_set(&ec, e, NULL);
			snprintf(ec.source, sizeof ec.source, "stdout");
		}
		if (e) {
			err_format(&ec, msg, sizeof msg);
			fprintf(stderr, "repodigest: %s\n", msg);
			status = 1;
			goto done;
		}
	}
	if (da.report != NULL) {
		struct err_ctx rec;
		memset(&rec, 0, sizeof rec);
		if (sink_write_file(da.report, render_report, d, &rec) != 0) {
			err_format(&rec, msg, sizeof msg);
			fprintf(stderr, "repodigest: %s\n", msg);
			status = 1;
		}
	}
	if (!da.quiet && da.format == FMT_TEXT) {
		fwrite(summary.p, 1, summary.len, stderr);
		fputc('\n', stderr);
	}
	if (d->dropped_early > 0)
		fprintf(stderr, "repodigest: %s: %llu entries excluded before a "
		    "later ignore rule re-included them (see --report)\n",
		    source, (unsigned long long)d->dropped_early);
done:
	buf_free(&summary);
	if (w != NULL) {
		job_worker_free(w);     /* and the digest it kept */
		free(w);
	} else if (d != NULL) {
		digest_free(d);
		free(d);
	}
	net_teardown(&ns);
	return status;
}
