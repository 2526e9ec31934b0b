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
#include "feed.h"
#include "job.h"
#include "log.h"
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
	const char *name;
	const char *branch;             /* -b: the ref of a GitHub source */
	const char *pushed_at;          /* --pushed-at: the object's pushedat */
	uint64_t max_output;            /* 0: no cap */
	struct chunk_args chunk;
	int quiet;
	struct tree_args tree;
	struct archive_args arch;
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
	    "store as an object, as run does: DEST a\n"
	    "directory (made when missing) or\n"
	    "s3://BUCKET[/PREFIX]: DEST/gitingest/OWNER/\n"
	    "REPO/summary.txt + metadata (OWNER/REPO: the\n"
	    "GitHub source's, or --repo). A file is -o"),
	OPT_ENUM_("format", 0, "text|full|json|chunks", DA(format),
	    "text: tree + content, as gitingest -o (the\n"
	    "default); full: summary + tree + content, the\n"
	    "stored body (the default with --out); json:\n"
	    "{\"summary\",\"tree\",\"content\"}; chunks: JSON\n"
	    "lines, files split as LangChain's code\n"
	    "splitter splits them (README, Chunks; not\n"
	    "with --max-output)"),
	OPT_STR_("branch", 'b', "REF", DA(branch), CHK_NONEMPTY,
	    "the branch, tag or commit of a GitHub\n"
	    "source (as OWNER/REPO@REF; as gitingest -b)"),
	OPT_STR_("report", 0, "DEST", DA(report), CHK_NONE,
	    "a JSON report of every file kept or left out:\n"
	    "FILE (atomically) or s3://BUCKET/KEY"),
	OPT_STR_("name", 0, "NAME", DA(name), CHK_NONE,
	    "name of the tree root (and summary slug)"),
	OPT_STR_("pushed-at", 0, "TIME", DA(pushed_at), CHK_NONE,
	    "with --out: record TIME (ISO 8601, the feed's\n"
	    "pushedAt) as the object's pushedat: run takes\n"
	    "it as current when its feed says TIME too"),
	OPT_FLAG_("quiet", 'q', DA(quiet), "do not print the summary on stderr"),
	OPT_END
};

static const struct opt_group digest_groups[] = {
	{ digest_opts, 0 },
	{ tree_opts, DA(tree) },
	{ archive_opts, DA(arch) },
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
	archive_args_init(&da->arch);
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

/* What the options say beyond their fields: the source (with -b's ref),
 * the repository it names, the objects' owner and name. */
struct digest_plan {
	const char *source;
	struct url_github g;            /* a GitHub source's names, or zeroed */
	char owner[URL_OWNER_MAX + 1];  /* --out: the objects' key */
	const char *repo;
	char src[URL_OWNER_MAX + URL_REPO_MAX + URL_REF_MAX + 3];
};

/* -b REF: the GitHub source at that ref, as OWNER/REPO@REF says it. */
static int
apply_branch(struct digest_args *da, struct digest_plan *pl)
{
	if (!source_github(pl->source, &pl->g))
		return opts_usage_error("digest", "-b/--branch needs a GitHub "
		    "repository source (OWNER/REPO or https://github.com/"
		    "OWNER/REPO)", pl->source);
	if (pl->g.ref[0] != '\0' && strcmp(pl->g.ref, da->branch) != 0)
		return opts_usage_error("digest", "-b/--branch and the "
		    "source's ref differ", da->branch);
	snprintf(pl->src, sizeof pl->src, "%s/%s@%s", pl->g.owner, pl->g.repo,
	    da->branch);
	if (url_github_source((const uint8_t *)pl->src, strlen(pl->src),
	    &pl->g) != 0)
		return opts_usage_error("digest", "-b/--branch is not a valid "
		    "git ref", da->branch);
	pl->source = pl->src;
	return 0;
}

/*
 * --out DEST: a directory (made when missing, as run makes its own) or an
 * S3 prefix, never a file (-o is the file); the objects' owner and repo
 * from --repo, else from the GitHub source.
 */
static int
plan_out(struct digest_args *da, struct digest_plan *pl)
{
	const char *full = da->arch.repo;
	struct stat st;

	if (strncmp(da->out, "s3://", 5) != 0 && stat(da->out, &st) == 0 &&
	    !S_ISDIR(st.st_mode))
		return opts_usage_error("digest", "--out must be a directory or "
		    "s3://BUCKET[/PREFIX] (a file is -o FILE)", da->out);
	if (full == NULL && pl->g.owner[0] != '\0') {
		snprintf(pl->owner, sizeof pl->owner, "%s", pl->g.owner);
		pl->repo = pl->g.repo;
	} else if (full != NULL) {
		const char *sl = strchr(full, '/');
		snprintf(pl->owner, sizeof pl->owner, "%.*s", (int)(sl - full),
		    full);
		pl->repo = sl + 1;
	} else {
		return opts_usage_error("digest", "--out needs the repository's "
		    "name for the object's key: a GitHub source, or --repo "
		    "OWNER/REPO", da->out);
	}
	if (da->format < 0)
		da->format = FMT_FULL;
	return 0;
}

/*
 * No two of SOURCE, -o, --report and the --out object (a local one) may be
 * the same file: the write would destroy what was read or written first.
 */
static int
check_paths(const struct digest_args *da, const struct digest_plan *pl)
{
	struct path_use u[5];
	struct sink_object ob;
	struct err_ctx ec;
	char body[SINK_PATH_MAX + SINK_KEY_MAX], meta[sizeof body + 8];
	size_t n = 0;
	struct stat st;

	if (stat(pl->source, &st) == 0 && S_ISREG(st.st_mode))
		u[n++] = (struct path_use){ "SOURCE", pl->source };
	u[n++] = (struct path_use){ "-o", da->output };
	u[n++] = (struct path_use){ "--report", da->report };
	memset(&ec, 0, sizeof ec);
	if (da->out != NULL && path_local(da->out) &&
	    sink_object_init(&ob, pl->owner, pl->repo, pl->g.ref,
	    da->format == FMT_CHUNKS ? SINK_CHUNKS : SINK_SUMMARY, "", &ec) ==
	    0) {
		snprintf(body, sizeof body, "%s/%s", da->out, ob.key);
		snprintf(meta, sizeof meta, "%s.meta", body);
		u[n++] = (struct path_use){ "the --out object", body };
		u[n++] = (struct path_use){ "the --out object's metadata", meta };
	}
	return same_file_check("digest", u, n);
}

/* Options into da and pl, and the checks across options. Returns 0,
 * OPTS_HELP or the usage exit code. */
static int
parse_digest(int argc, char **argv, struct digest_args *da,
    struct digest_plan *pl)
{
	int r, nops;

	digest_defaults(da);
	memset(pl, 0, sizeof *pl);
	if ((r = opts_parse(&digest_cmd, argc, argv, da, &nops)) != 0)
		return r;
	pl->source = argv[0];
	if (da->arch.repo != NULL && da->name != NULL)
		return opts_usage_error("digest", "--repo and --name conflict",
		    NULL);
	if (da->out != NULL && da->output != NULL)
		return opts_usage_error("digest", "-o and --out conflict", NULL);
	if (da->branch != NULL && (r = apply_branch(da, pl)) != 0)
		return r;
	if (da->branch == NULL)
		source_github(pl->source, &pl->g);
	if (da->out != NULL && (r = plan_out(da, pl)) != 0)
		return r;
	if (da->pushed_at != NULL && da->out == NULL)
		return opts_usage_error("digest", "--pushed-at needs --out (it "
		    "is the stored object's)", NULL);
	if (da->pushed_at != NULL && !feed_check_time(da->pushed_at,
	    strlen(da->pushed_at)))
		return opts_usage_error("digest", "--pushed-at needs an ISO 8601 "
		    "time (YYYY-MM-DDTHH:MM:SSZ)", da->pushed_at);
	if (da->format < 0)
		da->format = FMT_TEXT;
	/* chunks are whole or absent: a cut would split a JSON line */
	if (da->format == FMT_CHUNKS && da->max_output > 0)
		return opts_usage_error("digest",
		    "--max-output does not apply to --format chunks", NULL);
	if ((r = chunk_args_check("digest", &da->chunk,
	    da->format == FMT_CHUNKS)) != 0)
		return r;
	/* one repository: a fixed URL is allowed (decision 16) */
	if ((r = archive_url_check("digest", da->gh.archive_url, 0)) != 0)
		return r;
	return check_paths(da, pl);
}

/* ------------------------------------------------------------ output */

/*
 * The --report document to dest, as run's --report names its destination: a
 * file (atomically) or s3://BUCKET/KEY (one PUT). 0, or an error in ec.
 */
static int
store_report(const struct digest *d, const char *dest,
    const struct sink_net *net, struct err_ctx *ec)
{
	char *p = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&p, &n);
	int e;

	memset(ec, 0, sizeof *ec);
	err_field(ec->source, sizeof ec->source, dest, strlen(dest));
	if (f == NULL)
		return err_set(ec, ERR_NOMEM, NULL);
	e = digest_report_json(d, f);
	if (fclose(f) != 0 && e == 0)
		e = ERR_NOMEM;
	if (e == 0)
		e = sink_write_doc(dest, net, (const uint8_t *)p, n,
		    "application/json", ec);
	else
		err_set(ec, e, NULL);
	free(p);
	return e;
}

/* A GitHub source whose host could not be resolved: no network, most
 * likely. Say once what works without one. */
static void
hint_offline(const struct err_ctx *ec, const struct digest_args *da,
    const struct digest_plan *pl)
{
	if ((ec->code == ERR_NET_DNS_NONAME || ec->code == ERR_NET_DNS) &&
	    pl->g.owner[0] != '\0' && da->gh.archive_url == NULL)
		log_err(NULL, "hint: without a network, digest a local "
		    "directory or archive, or give a mirror with --archive-url "
		    "(e.g. file:///srv/mirror/{owner}/{repo}.tar.gz; "
		    "docs/air-gapped.md)");
}

/*
 * Digest the source into a new *dp and *info for stdout or a file. Returns
 * 0 or 1 after saying why.
 */
static int
digest_here(const struct digest_plan *pl, const struct digest_args *da,
    const struct job_config *cfg, const struct fetch_opts *fo,
    struct digest **dp, struct source_info *info)
{
	struct digest_opts o;
	struct source_opts so;
	struct err_ctx ec;
	char msg[1024];
	int e;

	job_digest_opts(cfg, JOB_FORMAT(da->format), &o);
	source_opts_args(&so, &da->arch, &da->gh, fo);
	so.name = da->name;
	if ((*dp = malloc(sizeof **dp)) == NULL) {
		log_err("digest", "%s", err_str(ERR_NOMEM));
		return 1;
	}
	if ((e = digest_init(*dp, &o)) != 0) {
		log_err("digest", "%s", err_str(e));
		return 1;
	}
	memset(&ec, 0, sizeof ec);
	if ((e = source_digest(pl->source, &so, *dp, info, &ec)) != 0) {
		err_format(&ec, msg, sizeof msg);
		log_err(NULL, "%s", msg);
		hint_offline(&ec, da, pl);
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
digest_store(const struct digest_plan *pl, const struct digest_args *da,
    const struct job_config *cfg, const struct fetch_opts *fo,
    struct job_worker *w)
{
	struct sink_net net = { da->s3.endpoint, da->s3.region, fo };
	struct job_spec spec;
	struct job_result res;
	struct err_ctx ec;
	char msg[1024];

	memset(&ec, 0, sizeof ec);
	if (job_worker_init(w, da->out, &net, 0, fo, (uint32_t)getpid(),
	    &ec) != 0) {
		err_format(&ec, msg, sizeof msg);
		log_err(NULL, "%s", msg);
		return 1;
	}
	memset(&spec, 0, sizeof spec);
	spec.source = pl->source;
	spec.flavour = da->arch.repo;
	spec.name = da->name;
	spec.strip = da->arch.strip;
	spec.owner = pl->owner;
	spec.repo = pl->repo;
	spec.ref = pl->g.ref;
	spec.pushed_at = da->pushed_at;
	spec.formats = JOB_FORMAT(da->format);
	spec.keep_digest = 1;
	if (job_run(w, cfg, &spec, NULL, &res) != 0) {
		err_format(&res.err, msg, sizeof msg);
		log_err(NULL, "%s", msg);
		hint_offline(&res.err, da, pl);
		return 1;
	}
	return 0;
}

/* see cmd.h */
int
cmd_digest(int argc, char **argv)
{
	struct digest_args da;
	struct digest_plan pl;
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
	char msg[1024], chunk_repo[URL_OWNER_MAX + URL_REPO_MAX + 2];
	int r, e, status = 0;

	if ((r = parse_digest(argc, argv, &da, &pl)) != 0) {
		if (r == OPTS_HELP)
			cmd_digest_help();
		return r == OPTS_HELP ? 0 : r;
	}
	/* remote: a source that is not a local path, or an S3 destination */
	int remote = (strcmp(pl.source, "-") != 0 && stat(pl.source, &st) !=
	    0) || (da.out != NULL && strncmp(da.out, "s3://", 5) == 0) ||
	    (da.report != NULL && strncmp(da.report, "s3://", 5) == 0);
	if (net_setup(&ns, &da.net, remote) != 0)
		return 1;
	job_settings_args(&set, da.max_output, &da.pat, &da.chunk);
	job_settings_tree(&set, &da.tree);
	memset(&ec, 0, sizeof ec);
	if ((e = job_config_init(&cfg, &set, &ec)) != 0) {
		log_err("digest", "%s", err_str(e));
		net_teardown(&ns);
		return e == ERR_PATTERN || e == ERR_PATTERN_COUNT ? EXIT_USAGE : 1;
	}
	/* an s3:// report's settings, checked before the work (as run's) */
	{
		struct sink_net net = { da.s3.endpoint, da.s3.region, &ns.fo };
		memset(&ec, 0, sizeof ec);
		if (da.report != NULL && sink_doc_check(da.report, &net,
		    &ec) != 0) {
			err_format(&ec, msg, sizeof msg);
			log_err(NULL, "%s", msg);
			net_teardown(&ns);
			return 1;
		}
	}
	cfg.archive_url = da.gh.archive_url;
	cfg.api_base = da.gh.api_url;
	cfg.token = getenv("GITHUB_TOKEN");
	cfg.token_thread = 1;
	/* chunks carry their own estimates; the digest's figure shows only in
	 * the other formats and in the report */
	cfg.tokens = da.report != NULL;
	cfg.force = 1;
	buf_init(&summary, 1 << 20);
	if (da.out != NULL) {
		if ((w = malloc(sizeof *w)) == NULL) {
			log_err("digest", "%s", err_str(ERR_NOMEM));
			status = 1;
			goto done;
		}
		status = digest_store(&pl, &da, &cfg, &ns.fo, w);
		d = job_worker_digest(w, &info);
		if (status != 0 || d == NULL) {
			status = 1;
			goto done;
		}
	} else {
		if ((status = digest_here(&pl, &da, &cfg, &ns.fo, &d,
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
	/* chunks name their repository: --repo, a GitHub source, or the root */
	rb.chunk.repo = source_repo_name(da.arch.repo, &pl.g, info->root,
	    chunk_repo, sizeof chunk_repo);
	rb.chunk.ref = pl.g.ref;
	rb.chunk.commit = info->commit;
	if (render_summary(&rb, &summary) != 0) {
		log_err("digest", "%s", err_str(ERR_NOMEM));
		status = 1;
		goto done;
	}
	if (da.out == NULL) {
		memset(&ec, 0, sizeof ec);
		if (da.output != NULL && strcmp(da.output, "-") != 0) {
			e = sink_write_file(da.output, render_body, &rb, &ec);
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
			log_err(NULL, "%s", msg);
			status = 1;
			goto done;
		}
	}
	if (da.report != NULL) {
		struct sink_net net = { da.s3.endpoint, da.s3.region, &ns.fo };
		struct err_ctx rec;
		if (store_report(d, da.report, &net, &rec) != 0) {
			err_format(&rec, msg, sizeof msg);
			log_err(NULL, "%s", msg);
			status = 1;
		}
	}
	if (!da.quiet && da.format == FMT_TEXT) {
		fwrite(summary.p, 1, summary.len, stderr);
		fputc('\n', stderr);
	}
	if (d->dropped_early > 0)
		log_err(NULL, "%s: %llu entries excluded before a later ignore "
		    "rule re-included them (see --report)", pl.source,
		    (unsigned long long)d->dropped_early);
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
