/*
 * cli.c - argv to commands: `digest`, `version`, help. See cli.h.
 *
 * Options are parsed by a small long/short option reader (no getopt: options and
 * the SOURCE operand may come in any order, as users of gitingest expect, and
 * musl's and glibc's getopt_long differ on permutation). Conflicts and bad values
 * are reported right after parsing, one line each, exit 2.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "digest.h"
#include "err.h"
#include "fetch.h"
#include "jsonl.h"
#include "log.h"
#include "out.h"
#include "pipeline.h"
#include "report.h"
#include "s3.h"
#include "sink.h"
#include "source.h"

#define DIGEST_FORMAT_VERSION "1"
#define MAX_PATTERNS 256

static const char usage_main[] =
"usage: repodigest COMMAND [options]\n"
"\n"
"Turn a Git repository into an LLM-ready text digest (gitingest format).\n"
"\n"
"Commands:\n"
"  digest SOURCE   digest one repository: a directory, a .tar/.tar.gz file,\n"
"                  - (stdin), an archive URL, or a GitHub repository\n"
"  run [FEED]      digest a whole repos.json feed as a batch\n"
"  report FILE...  merge the JSON reports of a sharded run, print the totals\n"
"  version         print the version\n"
"  help            this text\n"
"\n"
"Run 'repodigest COMMAND --help' for a command's options.\n";

static const char usage_digest[] =
"usage: repodigest digest SOURCE [options]\n"
"\n"
"SOURCE is a directory, a .tar or .tar.gz archive (a single top directory,\n"
"as in GitHub's tarballs, is stripped), - for an archive on stdin, an\n"
"archive URL (https://, http://, file://), or a GitHub repository:\n"
"https://github.com/OWNER/REPO[/tree/REF], OWNER/REPO or OWNER/REPO@REF.\n"
"Environment: GITHUB_TOKEN (private repositories; sent to api.github.com\n"
"only), SSL_CERT_FILE (extra CA certificates).\n"
"By default the digest (tree + content) goes to stdout, the summary to stderr.\n"
"\n"
"Options:\n"
"  -o, --output FILE          write to FILE (atomically) instead of stdout\n"
"      --out DEST             store as an object: DIR (DIR/gitingest/OWNER/\n"
"                             REPO/summary.txt + metadata) or\n"
"                             s3://BUCKET[/PREFIX]; needs --repo\n"
"      --format FMT           text (default: tree + content, as gitingest -o),\n"
"                             full (summary + tree + content, the stored body)\n"
"                             or json ({\"summary\",\"tree\",\"content\"})\n"
"                             or chunks (JSON lines, one chunk each: files\n"
"                             split as LangChain's code splitter does; see\n"
"                             README, Chunks)\n"
"      --chunk-size N         chunks of at most N characters (UTF-16 units,\n"
"                             as LangChain counts; default 1000)\n"
"      --chunk-overlap N      characters shared by neighbouring chunks\n"
"                             (default 100; less than --chunk-size)\n"
"  -i, --include-pattern PAT  only files matching PAT (repeatable; commas and\n"
"                             spaces separate several patterns)\n"
"  -e, --exclude-pattern PAT  also exclude PAT (repeatable)\n"
"  -s, --max-size BYTES       skip files larger than BYTES (default 10485760)\n"
"      --max-output BYTES     cut the output at BYTES with a truncation notice\n"
"      --report FILE          write a JSON report of every file kept or left out\n"
"      --include-gitignored   do not apply .gitignore / .gitingestignore\n"
"      --repo OWNER/REPO      treat an archive as that GitHub repository\n"
"                             (summary 'Repository:', root 'owner-repo')\n"
"      --name NAME            name of the tree root (and summary slug)\n"
"      --resolve HOST:PORT:ADDR  connect to ADDR for HOST:PORT (as curl)\n"
"      --cacert FILE          trust the CA certificates in FILE too (PEM)\n"
"      --archive-url TEMPLATE download GitHub sources from a mirror:\n"
"                             {owner} {repo} {ref} placeholders\n"
"      --s3-endpoint URL      S3 endpoint for --out s3:// (else from the\n"
"                             environment, see README)\n"
"      --s3-region REGION     signing region (default auto, as R2)\n"
"      --api-url URL          GitHub API base for GITHUB_TOKEN downloads\n"
"                             (default https://api.github.com; Enterprise)\n"
"      --timeout SECS         whole download (default 300)\n"
"      --connect-timeout SECS each connection (default 30)\n"
"      --strip-components N   0 or 1: strip the archive's top directory\n"
"                             (default: automatic)\n"
"  -q, --quiet                do not print the summary on stderr\n"
"  -h, --help                 this text\n"
"\n"
"Exit status: 0 success, 1 failure, 2 usage error.\n";

struct digest_args {
	const char *source;
	const char *output;
	const char *out;
	const char *format;
	int format_set;
	const char *report;
	const char *repo;
	const char *name;
	const char *inc[MAX_PATTERNS + 1];
	const char *exc[MAX_PATTERNS + 1];
	int n_inc, n_exc;
	uint64_t max_size;
	uint64_t max_output;
	uint64_t chunk_size, chunk_overlap;
	int chunk_set;
	const char *resolve[16];
	int n_resolve;
	const char *cacert[8];
	int n_cacert;
	const char *archive_url;
	const char *api_url;
	const char *s3_endpoint;
	const char *s3_region;
	uint64_t timeout_s;
	uint64_t connect_timeout_s;
	int strip;
	int use_ignore_files;
	int quiet;
};

static int
usage_error(const char *cmd, const char *msg, const char *arg)
{
	if (arg)
		fprintf(stderr, "repodigest %s: %s: %s\n", cmd, msg, arg);
	else
		fprintf(stderr, "repodigest %s: %s\n", cmd, msg);
	fprintf(stderr, "Run 'repodigest %s --help' for usage.\n", cmd);
	return EXIT_USAGE;
}

/* Strict unsigned decimal, no sign, no junk, no overflow. */
static int
parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

/*
 * Match argv[*i] against a long name (--name or --name=value) or a short one
 * (-x, -xvalue). For options with a value, *val receives it (taking the next
 * argument when needed). Returns 1 on a match, 0 if not this option, -1 if the
 * value is missing.
 */
static int
opt_match(int argc, char **argv, int *i, const char *lng, char shrt,
    int has_val, const char **val)
{
	const char *a = argv[*i];
	size_t ll = strlen(lng);

	if (a[0] == '-' && a[1] == '-' && strncmp(a + 2, lng, ll) == 0) {
		const char *rest = a + 2 + ll;
		if (*rest == '\0') {
			if (!has_val)
				return 1;
			if (*i + 1 >= argc)
				return -1;
			*val = argv[++*i];
			return 1;
		}
		if (*rest == '=' && has_val) {
			*val = rest + 1;
			return 1;
		}
		return 0;
	}
	if (shrt && a[0] == '-' && a[1] == shrt) {
		if (!has_val)
			return a[2] == '\0';
		if (a[2] != '\0') {
			*val = a + 2;
			return 1;
		}
		if (*i + 1 >= argc)
			return -1;
		*val = argv[++*i];
		return 1;
	}
	return 0;
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

static int
parse_digest(int argc, char **argv, struct digest_args *da)
{
	const char *v = NULL;
	int r;

	memset(da, 0, sizeof *da);
	da->strip = -1;
	da->timeout_s = 300;
	da->connect_timeout_s = 30;
	da->use_ignore_files = 1;
	da->format = "text";
	da->chunk_size = SPLIT_DEFAULT_SIZE;
	da->chunk_overlap = SPLIT_DEFAULT_OVERLAP;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
#define OPT(l, s, hv) ((r = opt_match(argc, argv, &i, l, s, hv, &v)) != 0)
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage_digest, stdout);
			return -1;
		} else if (strcmp(a, "--") == 0) {
			if (i + 1 < argc && da->source == NULL)
				da->source = argv[++i];
			if (i + 1 < argc)
				return usage_error("digest", "unexpected argument",
				    argv[i + 1]);
			break;
		} else if (a[0] != '-' || strcmp(a, "-") == 0) {
			if (da->source != NULL)
				return usage_error("digest",
				    "more than one SOURCE given", a);
			da->source = a;
			continue;
		}
		if (OPT("output", 'o', 1)) {
			if (r < 0)
				goto missing;
			da->output = v;
		} else if (OPT("format", 0, 1)) {
			if (r < 0)
				goto missing;
			da->format = v;
			da->format_set = 1;
		} else if (OPT("out", 0, 1)) {
			if (r < 0)
				goto missing;
			da->out = v;
		} else if (OPT("include-pattern", 'i', 1)) {
			if (r < 0)
				goto missing;
			if (da->n_inc == MAX_PATTERNS)
				return usage_error("digest", "too many -i", NULL);
			da->inc[da->n_inc++] = v;
		} else if (OPT("exclude-pattern", 'e', 1)) {
			if (r < 0)
				goto missing;
			if (da->n_exc == MAX_PATTERNS)
				return usage_error("digest", "too many -e", NULL);
			da->exc[da->n_exc++] = v;
		} else if (OPT("max-size", 's', 1)) {
			if (r < 0)
				goto missing;
			if (parse_u64(v, &da->max_size) != 0 || da->max_size == 0)
				return usage_error("digest",
				    "--max-size needs a positive number of bytes", v);
		} else if (OPT("max-output", 0, 1)) {
			if (r < 0)
				goto missing;
			if (parse_u64(v, &da->max_output) != 0 ||
			    da->max_output == 0)
				return usage_error("digest",
				    "--max-output needs a positive number of bytes", v);
		} else if (OPT("chunk-size", 0, 1)) {
			if (r < 0)
				goto missing;
			if (parse_u64(v, &da->chunk_size) != 0 ||
			    da->chunk_size == 0 || da->chunk_size > SPLIT_MAX_SIZE)
				return usage_error("digest",
				    "--chunk-size needs a number from 1 to 1000000", v);
			da->chunk_set = 1;
		} else if (OPT("chunk-overlap", 0, 1)) {
			if (r < 0)
				goto missing;
			if (parse_u64(v, &da->chunk_overlap) != 0)
				return usage_error("digest",
				    "--chunk-overlap needs a number", v);
			da->chunk_set = 1;
		} else if (OPT("report", 0, 1)) {
			if (r < 0)
				goto missing;
			da->report = v;
		} else if (OPT("repo", 0, 1)) {
			if (r < 0)
				goto missing;
			da->repo = v;
		} else if (OPT("name", 0, 1)) {
			if (r < 0)
				goto missing;
			da->name = v;
		} else if (OPT("strip-components", 0, 1)) {
			if (r < 0)
				goto missing;
			if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
				return usage_error("digest",
				    "--strip-components takes 0 or 1", v);
			da->strip = v[0] - '0';
		} else if (OPT("resolve", 0, 1)) {
			if (r < 0)
				goto missing;
			if (da->n_resolve == 16)
				return usage_error("digest", "too many --resolve", NULL);
			da->resolve[da->n_resolve++] = v;
		} else if (OPT("cacert", 0, 1)) {
			if (r < 0)
				goto missing;
			if (da->n_cacert == 8)
				return usage_error("digest", "too many --cacert", NULL);
			da->cacert[da->n_cacert++] = v;
		} else if (OPT("archive-url", 0, 1)) {
			if (r < 0)
				goto missing;
			da->archive_url = v;
		} else if (OPT("s3-endpoint", 0, 1)) {
			if (r < 0)
				goto missing;
			da->s3_endpoint = v;
		} else if (OPT("s3-region", 0, 1)) {
			if (r < 0)
				goto missing;
			da->s3_region = v;
		} else if (OPT("api-url", 0, 1)) {
			if (r < 0)
				goto missing;
			if (strncmp(v, "https://", 8) != 0)
				return usage_error("digest",
				    "--api-url must be an https:// URL", v);
			da->api_url = v;
		} else if (OPT("timeout", 0, 1)) {
			if (r < 0)
				goto missing;
			if (parse_u64(v, &da->timeout_s) != 0 || da->timeout_s == 0 ||
			    da->timeout_s > 86400)
				return usage_error("digest",
				    "--timeout needs seconds (1 to 86400)", v);
		} else if (OPT("connect-timeout", 0, 1)) {
			if (r < 0)
				goto missing;
			if (parse_u64(v, &da->connect_timeout_s) != 0 ||
			    da->connect_timeout_s == 0 || da->connect_timeout_s > 3600)
				return usage_error("digest",
				    "--connect-timeout needs seconds (1 to 3600)", v);
		} else if (OPT("include-gitignored", 0, 0)) {
			da->use_ignore_files = 0;
		} else if (OPT("quiet", 'q', 0)) {
			da->quiet = 1;
		} else {
			return usage_error("digest", "unknown option", a);
		}
		continue;
missing:
		return usage_error("digest", "option needs a value", a);
#undef OPT
	}
	if (da->source == NULL)
		return usage_error("digest", "missing SOURCE", NULL);
	if (strcmp(da->format, "text") != 0 && strcmp(da->format, "full") != 0 &&
	    strcmp(da->format, "json") != 0 && strcmp(da->format, "chunks") != 0)
		return usage_error("digest",
		    "--format must be text, full, json or chunks", da->format);
	if (strcmp(da->format, "chunks") == 0) {
		if (da->chunk_overlap >= da->chunk_size)
			return usage_error("digest",
			    "--chunk-overlap must be less than --chunk-size", NULL);
		if (da->max_output > 0)
			return usage_error("digest",
			    "--max-output does not apply to --format chunks", NULL);
		if (da->out != NULL)
			return usage_error("digest", "--format chunks cannot be "
			    "stored with --out; use -o FILE or stdout", da->out);
	} else if (da->chunk_set) {
		return usage_error("digest",
		    "--chunk-size and --chunk-overlap need --format chunks", NULL);
	}
	if (da->repo != NULL) {
		const char *sl = strchr(da->repo, '/');
		if (sl == NULL || sl == da->repo || sl[1] == '\0' ||
		    strchr(sl + 1, '/') != NULL)
			return usage_error("digest", "--repo must be OWNER/REPO",
			    da->repo);
	}
	if (da->repo != NULL && da->name != NULL)
		return usage_error("digest", "--repo and --name conflict", NULL);
	if (da->out != NULL && da->output != NULL)
		return usage_error("digest", "-o and --out conflict", NULL);
	if (da->out != NULL && (strncmp(da->out, "s3://", 5) == 0 ||
	    out_is_dir(da->out))) {
		if (da->repo == NULL)
			return usage_error("digest",
			    "--out DIR needs --repo OWNER/REPO (the object key)",
			    da->out);
		if (!da->format_set)
			da->format = "full";
	}
	return 0;
}

/* ------------------------------------------------------------ output */

static void
json_escape(struct out *o, const uint8_t *p, size_t n)
{
	size_t start = 0;
	char esc[8];

	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c != '"' && c != '\\' && c >= 0x20)
			continue;
		out_write(o, p + start, i - start);
		switch (c) {
		case '"': out_write(o, "\\\"", 2); break;
		case '\\': out_write(o, "\\\\", 2); break;
		case '\n': out_write(o, "\\n", 2); break;
		case '\t': out_write(o, "\\t", 2); break;
		case '\r': out_write(o, "\\r", 2); break;
		default:
			snprintf(esc, sizeof esc, "\\u%04x", c);
			out_write(o, esc, 6);
		}
		start = i + 1;
	}
	out_write(o, p + start, n - start);
}

struct render_ctx {
	struct digest *d;
	const struct digest_args *da;
	const struct buf *summary;
	struct chunkw_meta chunk;       /* --format chunks: repo, ref, commit */
};

/* --format chunks: every kept text file, split, as JSON lines. */
static int
render_chunks(struct render_ctx *rc, struct out *o)
{
	struct chunkw *w = malloc(sizeof *w);
	int e;

	if (w == NULL)
		return ERR_NOMEM;
	e = chunkw_init(w, o, &rc->chunk, (size_t)rc->da->chunk_size,
	    (size_t)rc->da->chunk_overlap);
	if (e == 0)
		e = chunkw_digest(w, rc->d);
	chunkw_free(w);
	free(w);
	return e ? e : o->err;
}

/* The output in the chosen format, capped at --max-output (sink_render_fn). */
static int
render_body(void *ctx, struct out *o)
{
	struct render_ctx *rc = ctx;
	struct digest *d = rc->d;
	const struct digest_args *da = rc->da;
	int e;

	if (strcmp(da->format, "chunks") == 0)
		return render_chunks(rc, o);
	if (strcmp(da->format, "json") == 0) {
		/* the cap applies to the content string; JSON stays valid */
		struct buf content;
		struct out *co = malloc(sizeof *co);
		if (co == NULL)
			return ERR_NOMEM;
		buf_init(&content, (size_t)2 << 30);
		out_init_mem(co, &content, da->max_output);
		e = digest_write_content(d, co);
		free(co);
		if (e == 0) {
			out_puts(o, "{\"summary\":\"");
			json_escape(o, rc->summary->p, rc->summary->len);
			out_puts(o, "\",\"tree\":\"");
			json_escape(o, (const uint8_t *)d->tree, d->tree_len);
			out_puts(o, "\",\"content\":\"");
			json_escape(o, content.p, content.len);
			out_puts(o, "\"}\n");
			e = o->err;
		}
		buf_free(&content);
		return e;
	}
	o->cap = da->max_output;
	if (strcmp(da->format, "full") == 0) {
		out_write(o, rc->summary->p, rc->summary->len);
		out_write(o, "\n", 1);
	}
	digest_write_tree(d, o);
	out_write(o, "\n", 1);
	e = digest_write_content(d, o);
	return e ? e : o->err;
}

static void
iso_now(char *buf, size_t cap)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*
 * --out s3://BUCKET[/PREFIX]: the body is rendered into memory (its length and
 * SHA-256 are signed before it is sent) and PUT whole: the object is either
 * the new digest or still the old one.
 */
static int
write_s3(struct render_ctx *rc, const struct source_info *info,
    const struct fetch_opts *fo, struct err_ctx *ec)
{
	const struct digest_args *da = rc->da;
	struct s3_client *s3;
	struct s3_config *cfg;
	struct buf body;
	struct out *o;
	struct s3_meta m[5];
	char owner[64], key[256], url[256], now[32], gen[64];
	const char *repo = strchr(da->repo, '/') + 1;
	int e;

	snprintf(owner, sizeof owner, "%.*s", (int)(repo - 1 - da->repo),
	    da->repo);
	if (!sink_name_ok(owner, repo))
		return err_set(ec, ERR_USAGE, "unsafe owner/repo name");
	cfg = malloc(sizeof *cfg);
	s3 = malloc(sizeof *s3);
	o = malloc(sizeof *o);
	if (cfg == NULL || s3 == NULL || o == NULL) {
		free(cfg);
		free(s3);
		free(o);
		return err_set(ec, ERR_NOMEM, NULL);
	}
	e = s3_config_flags(cfg, da->out, da->s3_endpoint, da->s3_region, ec);
	buf_init(&body, (size_t)1 << 30);
	if (e == 0) {
		out_init_mem(o, &body, 0);
		e = render_body(rc, o);
		if (e)
			err_set(ec, e, "rendering");
	}
	if (e == 0 && (e = s3_init(s3, cfg, fo)) != 0)
		err_set(ec, e, NULL);
	if (e == 0) {
		snprintf(key, sizeof key, "gitingest/%s/%s/summary.txt", owner, repo);
		snprintf(url, sizeof url, "https://github.com/%s", da->repo);
		snprintf(gen, sizeof gen, "repodigest/%s digest/%s",
		    REPODIGEST_VERSION, DIGEST_FORMAT_VERSION);
		iso_now(now, sizeof now);
		m[0].name = "pushedat"; m[0].value = "";
		m[1].name = "url"; m[1].value = url;
		m[2].name = "processedat"; m[2].value = now;
		m[3].name = "commit"; m[3].value = info->commit;
		m[4].name = "generator"; m[4].value = gen;
		e = s3_put(s3, key, body.p, body.len, "text/plain", m, 5, ec);
		s3_free(s3);
	}
	s3_config_wipe(cfg);
	buf_free(&body);
	free(cfg);
	free(s3);
	free(o);
	return e;
}

/* Write the digest where the user asked: stdout, -o FILE, or --out DEST. */
static int
write_output(struct render_ctx *rc, const struct source_info *info,
    const struct fetch_opts *fo)
{
	const struct digest_args *da = rc->da;
	struct err_ctx ec;
	char msg[1024];
	int e;

	memset(&ec, 0, sizeof ec);
	if (da->out != NULL && strncmp(da->out, "s3://", 5) == 0) {
		e = write_s3(rc, info, fo, &ec);
	} else if (da->out != NULL && out_is_dir(da->out)) {
		struct sink s;
		struct sink_meta m;
		char owner[64], url[256], now[32], gen[64];
		const char *repo = strchr(da->repo, '/') + 1;
		snprintf(owner, sizeof owner, "%.*s",
		    (int)(repo - 1 - da->repo), da->repo);
		snprintf(url, sizeof url, "https://github.com/%s", da->repo);
		snprintf(gen, sizeof gen, "repodigest/%s digest/%s",
		    REPODIGEST_VERSION, DIGEST_FORMAT_VERSION);
		iso_now(now, sizeof now);
		memset(&m, 0, sizeof m);
		m.pushedat = "";
		m.url = url;
		m.processedat = now;
		m.commit = info->commit;
		m.generator = gen;
		m.content_type = "text/plain";
		if ((e = sink_open_local(&s, da->out, &ec)) == 0)
			e = sink_put(&s, owner, repo, render_body, rc, &m, &ec);
		sink_close(&s);
	} else if (da->out != NULL || (da->output != NULL &&
	    strcmp(da->output, "-") != 0)) {
		e = sink_write_file(da->out ? da->out : da->output, render_body,
		    rc, &ec);
	} else {
		struct out *o = malloc(sizeof *o);
		if (o == NULL)
			return ERR_NOMEM;
		out_init_fd(o, 1, 0);
		e = render_body(rc, o);
		if (e == 0)
			e = out_flush(o);
		free(o);
		if (e)
			err_set(&ec, e, NULL);
		snprintf(ec.source, sizeof ec.source, "stdout");
	}
	if (e) {
		err_format(&ec, msg, sizeof msg);
		fprintf(stderr, "repodigest: %s\n", msg);
	}
	return e;
}

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

/*
 * Trust anchors (built in + --cacert + SSL_CERT_FILE), --resolve pins and
 * timeouts into fo. Returns 0, or the exit code after printing the error.
 * The CA files are read only when load_cas is set: parsing a bundle of 140
 * certificates costs about 40 ms, as much as digesting a small repository,
 * and a digest of a local directory or tarball never opens a connection
 * (many environments point SSL_CERT_FILE at the whole system bundle).
 */
static int
setup_net(const char *cmd, const char *const *resolve, int nres,
    const char *const *cacert, int ncacert, int load_cas, int connect_s,
    int total_s, struct tls_anchors *anchors, struct net_resolve *res,
    struct fetch_opts *fo)
{
	const char *certfile = load_cas ? getenv("SSL_CERT_FILE") : NULL;
	struct err_ctx aec;
	char msg[1024];

	tls_anchors_init(anchors);
	memset(&aec, 0, sizeof aec);
	if (!load_cas)
		ncacert = 0;
	for (int i = 0; i < ncacert + 1; i++) {
		const char *f = i < ncacert ? cacert[i] : certfile;
		if (f == NULL || f[0] == '\0')
			continue;
		if (tls_anchors_add_pem_file(anchors, f, &aec) != 0) {
			err_format(&aec, msg, sizeof msg);
			fprintf(stderr, "repodigest: %s\n", msg);
			tls_anchors_free(anchors);
			return 1;
		}
	}
	for (int i = 0; i < nres; i++)
		if (net_resolve_parse(&res[i], resolve[i]) != 0) {
			tls_anchors_free(anchors);
			return usage_error(cmd, "--resolve wants HOST:PORT:ADDR",
			    resolve[i]);
		}
	memset(fo, 0, sizeof *fo);
	fo->connect_ms = connect_s * 1000;
	fo->io_ms = 60000;
	fo->total_ms = total_s * 1000;
	fo->resolve = res;
	fo->nresolve = (size_t)nres;
	fo->anchors = anchors;
	/* proxies: read once; one configuration for the whole process */
	static struct proxy_conf proxies;
	proxy_conf_env(&proxies);
	fo->proxy = &proxies;
	return 0;
}

static int
cmd_digest(int argc, char **argv)
{
	struct digest_args da;
	struct digest_opts o;
	struct source_opts so;
	struct source_info info;
	struct err_ctx ec;
	struct digest *d = NULL;
	struct buf summary;
	struct render_ctx rc;
	char msg[1024];
	int r, e, status = 0;

	if ((r = parse_digest(argc, argv, &da)) != 0)
		return r < 0 ? 0 : r;
	memset(&o, 0, sizeof o);
	o.max_file_size = da.max_size;
	o.max_depth = -1;
	o.use_ignore_files = da.use_ignore_files;
	o.includes = da.n_inc ? da.inc : NULL;
	o.excludes = da.n_exc ? da.exc : NULL;
	o.max_output = da.max_output;
	o.token_thread = 1;
	memset(&so, 0, sizeof so);
	so.repo = da.repo;
	so.name = da.name;
	so.strip = da.strip;

	/* network settings, for URL and GitHub sources */
	struct tls_anchors anchors;
	struct net_resolve res[16];
	struct fetch_opts fo;
	struct stat st;
	/* remote: a source that is not a local path, or an S3 destination */
	int remote = (strcmp(da.source, "-") != 0 && stat(da.source, &st) != 0) ||
	    (da.out != NULL && strncmp(da.out, "s3://", 5) == 0);
	if ((r = setup_net("digest", da.resolve, da.n_resolve, da.cacert,
	    da.n_cacert, remote, (int)da.connect_timeout_s, (int)da.timeout_s,
	    &anchors, res, &fo)) != 0)
		return r;
	so.fetch = &fo;
	so.archive_url = da.archive_url;
	so.token = getenv("GITHUB_TOKEN");
	so.api_base = da.api_url;

	d = malloc(sizeof *d);
	if (d == NULL) {
		fprintf(stderr, "repodigest digest: %s\n", err_str(ERR_NOMEM));
		tls_anchors_free(&anchors);
		return 1;
	}
	if ((e = digest_init(d, &o)) != 0) {
		fprintf(stderr, "repodigest digest: %s\n", err_str(e));
		digest_free(d);
		free(d);
		tls_anchors_free(&anchors);
		return e == ERR_PATTERN || e == ERR_PATTERN_COUNT ? EXIT_USAGE : 1;
	}
	if ((e = source_digest(da.source, &so, d, &info, &ec)) != 0) {
		err_format(&ec, msg, sizeof msg);
		fprintf(stderr, "repodigest: %s\n", msg);
		digest_free(d);
		free(d);
		tls_anchors_free(&anchors);
		return 1;
	}
	buf_init(&summary, 1 << 20);
	if (digest_summary(d, info.header, &summary) != 0) {
		fprintf(stderr, "repodigest digest: %s\n", err_str(ERR_NOMEM));
		status = 1;
		goto done;
	}
	rc.d = d;
	rc.da = &da;
	rc.summary = &summary;
	/* chunks name their repository: --repo, a GitHub source, or the root */
	struct url_github g;
	char chunk_repo[URL_OWNER_MAX + URL_REPO_MAX + 2];
	memset(&g, 0, sizeof g);
	if (remote && url_github_source((const uint8_t *)da.source,
	    strlen(da.source), &g) == 0)
		snprintf(chunk_repo, sizeof chunk_repo, "%s/%s", g.owner, g.repo);
	rc.chunk.repo = da.repo ? da.repo : g.owner[0] ? chunk_repo : info.root;
	rc.chunk.ref = g.ref;
	rc.chunk.commit = info.commit;
	if (write_output(&rc, &info, &fo) != 0) {
		status = 1;
		goto done;
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
	if (!da.quiet && strcmp(da.format, "text") == 0) {
		fwrite(summary.p, 1, summary.len, stderr);
		fputc('\n', stderr);
	}
	if (d->dropped_early > 0)
		fprintf(stderr, "repodigest: %s: %llu entries excluded before a "
		    "later ignore rule re-included them (see --report)\n",
		    da.source, (unsigned long long)d->dropped_early);
done:
	buf_free(&summary);
	digest_free(d);
	free(d);
	tls_anchors_free(&anchors);
	return status;
}

static const char usage_run[] =
"usage: repodigest run [FEED] [options]\n"
"\n"
"Digest every repository of a repos.json feed (a file, an https:// URL or -;\n"
"default: the UK public-sector feed) and store each digest with its metadata.\n"
"\n"
"Options:\n"
"      --out DEST             DIR (default ./digests) or s3://BUCKET[/PREFIX]\n"
"  -j, --jobs N               worker threads (default 8)\n"
"      --shard I/N            this process's share (stable hash of owner/repo)\n"
"      --batch-size N --offset K  the seed's sharding: record i if i % N == K\n"
"                             (default: JOB_COMPLETION_INDEX, CLOUD_RUN_TASK_*,\n"
"                             AWS_BATCH_JOB_ARRAY_INDEX with REPODIGEST_SHARDS)\n"
"      --force                ignore the cache (stored pushedat = feed's pushedAt)\n"
"      --dry-run              say what would be fetched and stored; touch nothing\n"
"      --timeout SECS         per repo, every attempt (default 300)\n"
"      --retries N            attempts per repo (default 3)\n"
"      --max-failures N       exit 1 when more repos fail (default unlimited)\n"
"      --max-output BYTES     cap each digest (default 524288, 0 = none)\n"
"  -i, -e PAT                 include / exclude patterns in every repo, as\n"
"                             for digest (part of the cache key)\n"
"      --archive-url TEMPLATE download from a mirror ({owner} {repo} {ref};\n"
"                             https://, http:// or file://: air-gapped runs)\n"
"      --report DEST          JSON run report: FILE or s3://BUCKET/KEY\n"
"                             ({shard} in DEST: the shard index)\n"
"      --state FILE           state file (default repodigest-state.json)\n"
"      --resume FILE          skip what FILE (a state file) lists as done\n"
"      --grace SECS           after SIGTERM/SIGINT, time for repos in flight\n"
"                             (default 25)\n"
"      --log-format json|text (default json, as the seed; on a terminal a\n"
"                             status line, warnings and the summary)\n"
"      --resolve, --cacert, --api-url, --s3-endpoint, --s3-region,\n"
"      --connect-timeout      as for digest\n"
"\n"
"Exit status: 0 finished, 1 fatal or too many failures, 2 usage, 130\n"
"interrupted.\n";

static int
cmd_run(int argc, char **argv)
{
	struct run_opts ro;
	const char *resolve[16], *cacert[8], *v = NULL;
	const char *inc[MAX_PATTERNS + 1] = { NULL }, *exc[MAX_PATTERNS + 1] = { NULL };
	int nres = 0, ncacert = 0, r, have_feed = 0, ninc = 0, nexc = 0;
	uint64_t n, timeout_s = 300, connect_s = 30;
	struct tls_anchors anchors;
	struct net_resolve res[16];
	struct fetch_opts fo;

	memset(&ro, 0, sizeof ro);
	ro.out = "digests";
	ro.feed = PIPELINE_DEFAULT_FEED;
	ro.jobs = 8;
	ro.attempts = 3;
	ro.max_failures = -1;
	ro.max_output = 524288;
	ro.grace_s = 25;
	/* a person at a terminal gets a status line, anything else the
	 * seed's JSON lines */
	ro.log_format = log_term_cols(STDOUT_FILENO) ? LOG_TTY : LOG_JSON;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
#define OPT(l, s, hv) ((r = opt_match(argc, argv, &i, l, s, hv, &v)) != 0)
#define NEED() do { if (r < 0) \
		return usage_error("run", "option needs a value", a); } while (0)
#define NUM(lo, hi) do { NEED(); if (parse_u64(v, &n) != 0 || \
		n + 1 < (uint64_t)(lo) + 1 || n > (hi)) \
		return usage_error("run", "bad number", a); } while (0)
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage_run, stdout);
			return 0;
		} else if (a[0] != '-' || strcmp(a, "-") == 0) {
			if (have_feed++)
				return usage_error("run", "more than one FEED", a);
			ro.feed = a;
		} else if (OPT("out", 0, 1)) {
			NEED();
			ro.out = v;
		} else if (OPT("jobs", 'j', 1)) {
			NUM(1, 256);
			ro.jobs = (int)n;
		} else if (OPT("shard", 0, 1)) {
			NEED();
			ro.shard = v;
		} else if (OPT("batch-size", 0, 1)) {
			NEED();
			ro.batch_size = v;
		} else if (OPT("offset", 0, 1)) {
			NEED();
			ro.offset = v;
		} else if (OPT("force", 0, 0)) {
			ro.force = 1;
		} else if (OPT("dry-run", 0, 0)) {
			ro.dry_run = 1;
		} else if (OPT("timeout", 0, 1)) {
			NUM(1, 86400);
			timeout_s = n;
		} else if (OPT("connect-timeout", 0, 1)) {
			NUM(1, 3600);
			connect_s = n;
		} else if (OPT("retries", 0, 1)) {
			NUM(1, 20);
			ro.attempts = (int)n;
		} else if (OPT("max-failures", 0, 1)) {
			NUM(0, 100000000);
			ro.max_failures = (long)n;
		} else if (OPT("include-pattern", 'i', 1)) {
			NEED();
			if (ninc == MAX_PATTERNS)
				return usage_error("run", "too many -i", NULL);
			inc[ninc++] = v;
		} else if (OPT("exclude-pattern", 'e', 1)) {
			NEED();
			if (nexc == MAX_PATTERNS)
				return usage_error("run", "too many -e", NULL);
			exc[nexc++] = v;
		} else if (OPT("max-output", 0, 1)) {
			NUM(0, (uint64_t)1 << 40);
			ro.max_output = n;
		} else if (OPT("archive-url", 0, 1)) {
			NEED();
			ro.archive_url = v;
		} else if (OPT("api-url", 0, 1)) {
			NEED();
			ro.api_base = v;
		} else if (OPT("s3-endpoint", 0, 1)) {
			NEED();
			ro.s3_endpoint = v;
		} else if (OPT("s3-region", 0, 1)) {
			NEED();
			ro.s3_region = v;
		} else if (OPT("report", 0, 1)) {
			NEED();
			ro.report = v;
		} else if (OPT("state", 0, 1)) {
			NEED();
			ro.state = v;
		} else if (OPT("resume", 0, 1)) {
			NEED();
			ro.resume = v;
		} else if (OPT("grace", 0, 1)) {
			NUM(0, 3600);
			ro.grace_s = (int)n;
		} else if (OPT("log-format", 0, 1)) {
			NEED();
			if (strcmp(v, "json") != 0 && strcmp(v, "text") != 0)
				return usage_error("run", "--log-format json or text", v);
			ro.log_format = strcmp(v, "json") == 0 ? LOG_JSON : LOG_TEXT;
		} else if (OPT("resolve", 0, 1)) {
			NEED();
			if (nres == 16)
				return usage_error("run", "too many --resolve", NULL);
			resolve[nres++] = v;
		} else if (OPT("cacert", 0, 1)) {
			NEED();
			if (ncacert == 8)
				return usage_error("run", "too many --cacert", NULL);
			cacert[ncacert++] = v;
		} else {
			return usage_error("run", "unknown option", a);
		}
#undef OPT
#undef NEED
#undef NUM
	}
	if ((ro.batch_size == NULL) != (ro.offset == NULL))
		return usage_error("run", "--batch-size and --offset go together",
		    NULL);
	if (ro.shard != NULL && ro.batch_size != NULL)
		return usage_error("run", "--shard and --batch-size conflict", NULL);
	/* CA files only when something may be fetched over the network: an
	 * air-gapped run (local feed, file:// mirror, local output) needs none */
	int remote = strstr(ro.feed, "://") != NULL || ro.archive_url == NULL ||
	    strncmp(ro.archive_url, "file://", 7) != 0 ||
	    strncmp(ro.out, "s3://", 5) == 0 ||
	    (ro.report != NULL && strncmp(ro.report, "s3://", 5) == 0);
	if ((r = setup_net("run", resolve, nres, cacert, ncacert, remote,
	    (int)connect_s, (int)timeout_s, &anchors, res, &fo)) != 0)
		return r;
	ro.fetch = &fo;
	ro.includes = ninc ? inc : NULL;
	ro.excludes = nexc ? exc : NULL;
	ro.timeout_s = (int)timeout_s;
	ro.token = getenv("GITHUB_TOKEN");
	r = pipeline_run(&ro);
	tls_anchors_free(&anchors);
	return r;
}

static const char usage_report[] =
"usage: repodigest report REPORT.json... [-o DEST] [--json]\n"
"\n"
"Merge the reports of a sharded run (run --report): totals, duplicates,\n"
"failed repos, missing shards. REPORT: a file, - (stdin) or\n"
"s3://BUCKET/KEY (S3 settings from the environment, as for run).\n"
"  -o, --output DEST   also write the merged report as JSON: a file\n"
"                      (atomically) or s3://BUCKET/KEY\n"
"      --json          print it as JSON instead of text\n"
"Exit status: 0 complete, 1 bad report, 2 usage, 3 incomplete (repos\n"
"failed or pending, or shards missing).\n";

static int
render_text(void *ctx, struct out *o)
{
	return out_puts(o, ctx);
}

/*
 * A report stored by run --report s3://BUCKET/KEY: the S3 settings come from
 * the environment (as for run: REPODIGEST_S3_ENDPOINT...), the network set up
 * on first use.
 */
static const struct fetch_opts *
report_net(void)
{
	static struct tls_anchors anchors;
	static struct fetch_opts fo;
	static int ready;

	if (!ready && setup_net("report", NULL, 0, NULL, 0, 1, 30, 300,
	    &anchors, NULL, &fo) == 0)
		ready = 1;
	return ready ? &fo : NULL;
}

static int
report_load_s3(struct report *m, const char *url, struct err_ctx *ec)
{
	const struct fetch_opts *fo = report_net();
	struct buf b;
	int e;

	if (fo == NULL)
		return -1;      /* said on stderr already */
	memset(ec, 0, sizeof *ec);
	buf_init(&b, REPORT_MAX_BYTES);
	e = s3_object_get(url, NULL, NULL, fo, &b, ec);
	if (e == 0)
		e = report_add(m, url, b.p != NULL ? b.p : (const uint8_t *)"",
		    b.len, ec);
	else if (e == ERR_LIMIT)
		err_set(ec, e, "larger than a run report can be");
	buf_free(&b);
	return e;
}

static int
cmd_report(int argc, char **argv)
{
	struct report m;
	struct err_ctx ec;
	const char *out = NULL, *v = NULL;
	char line[1024], *txt = NULL;
	int json = 0, r = 0, nfiles = 0;

	report_init(&m);
	memset(&ec, 0, sizeof ec);
	for (int i = 1; i < argc && r == 0; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage_report, stdout);
			goto done;
		} else if (a[0] != '-' || a[1] == '\0') {
			nfiles++;
			r = strncmp(a, "s3://", 5) == 0 ?
			    report_load_s3(&m, a, &ec) : report_load(&m, a, &ec);
		} else if (strcmp(a, "--json") == 0) {
			json = 1;
		} else if ((r = opt_match(argc, argv, &i, "output", 'o', 1,
		    &v)) > 0) {
			out = v;
			r = 0;
		} else {
			r = usage_error("report", r < 0 ? "option needs a value" :
			    "unknown option", a);
			goto done;
		}
	}
	if (r == 0 && nfiles == 0) {
		r = usage_error("report", "missing REPORT", NULL);
		goto done;
	}
	if (r == 0 && (r = report_finish(&m)) == 0 && (json || out) &&
	    (txt = report_json(&m)) == NULL)
		r = ERR_NOMEM;
	if (r == 0 && out != NULL && strncmp(out, "s3://", 5) == 0) {
		const struct fetch_opts *fo = report_net();
		r = fo == NULL ? -1 : s3_object_put(out, NULL, NULL, fo,
		    (const uint8_t *)txt, strlen(txt), "application/json", &ec);
	} else if (r == 0 && out != NULL)
		r = sink_write_file(out, render_text, txt, &ec);
	if (r < 0) {
		r = 1;
	} else if (r != 0) {
		if (ec.code == 0)
			err_set(&ec, r, NULL);
		err_format(&ec, line, sizeof line);
		fprintf(stderr, "repodigest: %s\n", line);
		r = 1;
	} else {
		if (json)
			fputs(txt, stdout);
		else
			report_print(&m, stdout);
		r = report_complete(&m) ? 0 : EXIT_INCOMPLETE;
	}
done:
	free(txt);
	report_free(&m);
	return r;
}

static int
cmd_version(void)
{
	printf("repodigest %s (digest format %s)\n", REPODIGEST_VERSION,
	    DIGEST_FORMAT_VERSION);
	return 0;
}

/* see cli.h */
int
cli_main(int argc, char **argv)
{
	const char *cmd;

	/* writes to a closed pipe (a download whose reader stopped, `| head`)
	 * must be errors, not a silent death */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		fputs("repodigest: missing command (digest, run, report, version, "
		    "help)\n"
		    "Run 'repodigest --help' for usage.\n", stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "digest") == 0)
		return cmd_digest(argc - 1, argv + 1);
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(cmd, "report") == 0)
		return cmd_report(argc - 1, argv + 1);
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0)
		return cmd_version();
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
	    strcmp(cmd, "-h") == 0) {
		fputs(usage_main, stdout);
		return 0;
	}
	fprintf(stderr, "repodigest: unknown command: %s\n"
	    "Run 'repodigest --help' for usage.\n", cmd);
	return EXIT_USAGE;
}
