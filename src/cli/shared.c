/*
 * shared.c - the options several commands share, declared once, and the
 * network setup they feed. See cmd.h.
 */
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "err.h"
#include "sink.h"
#include "split.h"
#include "url.h"
#include "log.h"

#define NET(f) offsetof(struct net_args, f)
const struct opt net_opts[] = {
	OPT_LIST_("resolve", 0, "HOST:PORT:ADDR", NET(resolve), 16,
	    CHK_RESOLVE, "connect to ADDR for HOST:PORT, as curl's\n"
	    "(repeatable, up to 16)"),
	OPT_LIST_("cacert", 0, "FILE", NET(cacert), 8, CHK_NONEMPTY,
	    "trust the CA certificates in FILE (PEM) too\n"
	    "(repeatable, up to 8)"),
	OPT_U64_("timeout", 0, "SECS", NET(timeout_s), 1, 86400,
	    "time for the whole of each download or S3\n"
	    "request (run: each repository's attempt)"),
	OPT_U64_("connect-timeout", 0, "SECS", NET(connect_s), 1, 3600,
	    "time for each connection"),
	OPT_END
};
#undef NET

#define GH(f) offsetof(struct github_args, f)
const struct opt github_opts[] = {
	OPT_STR_("archive-url", 0, "TEMPLATE", GH(archive_url), CHK_NONEMPTY,
	    "download GitHub sources from a mirror:\n"
	    "{owner} {repo} {ref} placeholders;\n"
	    "https://, http:// or file://"),
	OPT_STR_("api-url", 0, "URL", GH(api_url), CHK_HTTPS,
	    "GitHub API base for GITHUB_TOKEN downloads\n"
	    "(https:// only; default https://api.github.com)"),
	OPT_END
};
#undef GH

#define S3(f) offsetof(struct s3_args, f)
const struct opt s3_opts[] = {
	OPT_STR_("s3-endpoint", 0, "URL", S3(endpoint), CHK_NONE,
	    "S3 endpoint for s3:// destinations (else\n"
	    "from the environment, see README)"),
	OPT_STR_("s3-region", 0, "REGION", S3(region), CHK_NONE,
	    "S3 signing region (default auto, as R2)"),
	OPT_END
};
#undef S3

#define PAT(f) offsetof(struct pattern_args, f)
const struct opt pattern_opts[] = {
	OPT_LIST_("include-pattern", 'i', "PAT", PAT(inc), OPT_LIST_MAX, CHK_NONE,
	    "only files matching PAT (repeatable; commas\n"
	    "and spaces separate several patterns)"),
	OPT_LIST_("exclude-pattern", 'e', "PAT", PAT(exc), OPT_LIST_MAX, CHK_NONE,
	    "also exclude PAT (repeatable)"),
	OPT_END
};
#undef PAT

#define CH(f) offsetof(struct chunk_args, f)
const struct opt chunk_opts[] = {
	OPT_U64_("chunk-size", 0, "N", CH(size), 1, SPLIT_MAX_SIZE,
	    "with --format chunks: chunks of at most N\n"
	    "characters (UTF-16 units, as LangChain counts)"),
	OPT_U64_("chunk-overlap", 0, "N", CH(overlap), 0, SPLIT_MAX_SIZE - 1,
	    "characters neighbouring chunks share (less\n"
	    "than --chunk-size)"),
	OPT_END
};
#undef CH

/* 1 TiB: more than any digest can be, small enough to add to safely */
const struct opt max_output_opt[] = {
	OPT_U64_("max-output", 0, "BYTES", 0, 0, (uint64_t)1 << 40,
	    "keep the first BYTES of output (cut back to\n"
	    "a UTF-8 character boundary) and append\n"
	    "\"\\n\\n[... Summary truncated at NKB limit ...]\"\n"
	    "(N = BYTES/1024 rounded down; under 1024,\n"
	    "\"NB\" in bytes): at most 51 bytes more than\n"
	    "BYTES. Output that fits is whole (0: no cap)"),
	OPT_END
};

/* see cmd.h */
void
chunk_args_init(struct chunk_args *ca)
{
	ca->size = SPLIT_DEFAULT_SIZE;
	ca->overlap = SPLIT_DEFAULT_OVERLAP;
}

/* see cmd.h */
int
formats_parse(const char *cmd, const char *list, int *formats)
{
	const char *v = list;

	*formats = 0;
	while (*v != '\0') {
		size_t n = strcspn(v, ",");
		int bit = n == 4 && strncmp(v, "full", 4) == 0 ?
		    (int)JOB_FORMAT(RENDER_FULL) :
		    n == 6 && strncmp(v, "chunks", 6) == 0 ?
		    (int)JOB_FORMAT(RENDER_CHUNKS) : 0;
		if (bit == 0 || (*formats & bit) || (v[n] == ',' && v[n + 1] == '\0'))
			break;
		*formats |= bit;
		v += n + (v[n] == ',');
	}
	if (*v != '\0' || *formats == 0)
		return opts_usage_error(cmd, "--format must be full, chunks or "
		    "full,chunks", list);
	return 0;
}

/* see cmd.h */
int
chunk_args_check(const char *cmd, const struct chunk_args *ca, int chunks)
{
	if (chunks && ca->overlap >= ca->size)
		return opts_usage_error(cmd,
		    "--chunk-overlap must be less than --chunk-size", NULL);
	if (!chunks && (ca->size != SPLIT_DEFAULT_SIZE ||
	    ca->overlap != SPLIT_DEFAULT_OVERLAP))
		return opts_usage_error(cmd,
		    "--chunk-size and --chunk-overlap need --format chunks", NULL);
	return 0;
}

/* see cmd.h */
void
job_settings_args(struct job_settings *s, uint64_t max_output,
    const struct pattern_args *pat, const struct chunk_args *ch)
{
	memset(s, 0, sizeof *s);
	s->max_output = max_output;
	s->includes = pat->inc.n ? pat->inc.v : NULL;
	s->excludes = pat->exc.n ? pat->exc.v : NULL;
	s->chunk_size = ch->size;
	s->chunk_overlap = ch->overlap;
}

/* see cmd.h */
void
net_args_init(struct net_args *na)
{
	memset(na, 0, sizeof *na);
	na->timeout_s = 300;
	na->connect_s = 30;
}

/*
 * The CA files are read only when load_cas is set: parsing a bundle of 140
 * certificates costs about 40 ms, as much as digesting a small repository,
 * and a digest of a local directory or tarball never opens a connection
 * (many environments point SSL_CERT_FILE at the whole system bundle).
 */
/* see cmd.h */
int
net_setup(struct net_setup *ns, const struct net_args *na, int load_cas)
{
	/* proxies: read once; one configuration for the whole process */
	static struct proxy_conf proxies;
	const char *certfile = load_cas ? getenv("SSL_CERT_FILE") : NULL;
	int ncacert = load_cas ? na->cacert.n : 0;
	struct err_ctx ec;
	char msg[1024];

	tls_anchors_init(&ns->anchors);
	memset(&ec, 0, sizeof ec);
	for (int i = 0; i < ncacert + 1; i++) {
		const char *f = i < ncacert ? na->cacert.v[i] : certfile;
		if (f == NULL || f[0] == '\0')
			continue;
		if (tls_anchors_add_pem_file(&ns->anchors, f, &ec) != 0) {
			err_format(&ec, msg, sizeof msg);
			log_err(NULL, "%s", msg);
			tls_anchors_free(&ns->anchors);
			return 1;
		}
	}
	/* checked when parsed (CHK_RESOLVE): cannot fail here */
	for (int i = 0; i < na->resolve.n; i++)
		net_resolve_parse(&ns->res[i], na->resolve.v[i]);
	memset(&ns->fo, 0, sizeof ns->fo);
	ns->fo.connect_ms = (int)na->connect_s * 1000;
	ns->fo.io_ms = 60000;
	ns->fo.total_ms = (int)na->timeout_s * 1000;
	ns->fo.resolve = ns->res;
	ns->fo.nresolve = (size_t)na->resolve.n;
	ns->fo.anchors = &ns->anchors;
	proxy_conf_env(&proxies);
	ns->fo.proxy = &proxies;
	return 0;
}

/* see cmd.h */
void
net_teardown(struct net_setup *ns)
{
	tls_anchors_free(&ns->anchors);
}

/* ------------------------------------------------------------ tree sources */

#define TR(f) offsetof(struct tree_args, f)
const struct opt tree_opts[] = {
	OPT_U64_("max-size", 's', "BYTES", TR(max_size), 1, UINT64_MAX,
	    "skip files larger than BYTES\n(default 10485760)"),
	OPT_FLAG_("include-gitignored", 0, TR(include_gitignored),
	    "do not apply .gitignore / .gitingestignore"),
	OPT_END
};
#undef TR

#define AR(f) offsetof(struct archive_args, f)
const struct opt archive_opts[] = {
	OPT_STR_("repo", 0, "OWNER/REPO", AR(repo), CHK_REPO,
	    "treat an archive as that GitHub repository\n"
	    "(summary 'Repository:', root 'owner-repo')"),
	OPT_ENUM_("strip-components", 0, "0|1", AR(strip),
	    "strip the archive's top directory: never or\n"
	    "always (default: when every entry lies in\n"
	    "the first entry's directory)"),
	OPT_END
};
#undef AR

/* see cmd.h */
void
archive_args_init(struct archive_args *aa)
{
	aa->repo = NULL;
	aa->strip = -1;
}

/* see cmd.h */
void
job_settings_tree(struct job_settings *s, const struct tree_args *ta)
{
	s->max_file_size = ta->max_size;
	s->include_gitignored = ta->include_gitignored;
}

/* see cmd.h */
void
source_opts_args(struct source_opts *so, const struct archive_args *aa,
    const struct github_args *gh, const struct fetch_opts *fo)
{
	memset(so, 0, sizeof *so);
	so->repo = aa != NULL ? aa->repo : NULL;
	so->strip = aa != NULL ? aa->strip : -1;
	so->fetch = fo;
	so->archive_url = gh->archive_url;
	so->token = getenv("GITHUB_TOKEN");
	so->api_base = gh->api_url;
}

/* see cmd.h */
int
source_github(const char *source, struct url_github *g)
{
	struct stat st;

	memset(g, 0, sizeof *g);
	/* a path that exists is read as one, whatever it looks like */
	if (strcmp(source, "-") == 0 || stat(source, &st) == 0)
		return 0;
	if (url_github_source((const uint8_t *)source, strlen(source), g) != 0) {
		memset(g, 0, sizeof *g);
		return 0;
	}
	return 1;
}

/* see cmd.h */
const char *
source_repo_name(const char *repo_opt, const struct url_github *g,
    const char *root, char *buf, size_t cap)
{
	if (repo_opt != NULL)
		return repo_opt;
	if (g->owner[0] != '\0') {
		snprintf(buf, cap, "%s/%s", g->owner, g->repo);
		return buf;
	}
	return root;
}

/* see cmd.h */
int
archive_url_check(const char *cmd, const char *tmpl, int per_repo)
{
	struct url_github g;
	char url[URL_MAX + 1];
	size_t len;
	const char *why = NULL;
	char msg[160];
	int e;

	if (tmpl == NULL)
		return 0;
	memset(&g, 0, sizeof g);
	snprintf(g.owner, sizeof g.owner, "owner");
	g.owner_len = 5;
	snprintf(g.repo, sizeof g.repo, "repo");
	g.repo_len = 4;
	e = url_template(tmpl, strlen(tmpl), &g, NULL, 0, url, sizeof url, &len);
	if (e == ERR_URL_TEMPLATE)
		why = "has a placeholder other than {owner}, {repo} and {ref} "
		    "(or an unmatched brace)";
	else if (e == ERR_URL_SCHEME || (e == 0 &&
	    strncmp(url, "https://", 8) != 0 &&
	    strncmp(url, "http://", 7) != 0 && strncmp(url, "file://", 7) != 0))
		why = "must be an https://, http:// or file:// URL";
	else if (e != 0) {
		snprintf(msg, sizeof msg, "is not a URL once expanded (%s)",
		    err_str(e));
		why = msg;
	}
	/* one template for many repositories: without both names every one
	 * would be the same archive, stored as each of them */
	else if (per_repo && (strstr(tmpl, "{owner}") == NULL ||
	    strstr(tmpl, "{repo}") == NULL))
		why = "must name the repository with {owner} and {repo}";
	if (why == NULL)
		return 0;
	{
		char m[256];
		snprintf(m, sizeof m, "--archive-url %s", why);
		return opts_usage_error(cmd, m, tmpl);
	}
}

/* ------------------------------------------------------------ same file */

/*
 * path absolute and normalised: its longest existing ancestor resolved by
 * realpath (symlinks followed), the rest lexically ("." and "//" dropped,
 * ".." taking the component before). 0, or -1 when it does not fit.
 */
static int
path_norm(const char *path, char *out, size_t cap)
{
	char abs[SINK_PATH_MAX * 2], lex[SINK_PATH_MAX * 2];
	char real[PATH_MAX];
	size_t n = 0;

	if (path[0] == '/') {
		if ((size_t)snprintf(abs, sizeof abs, "%s", path) >= sizeof abs)
			return -1;
	} else {
		char cwd[PATH_MAX];
		if (getcwd(cwd, sizeof cwd) == NULL || (size_t)snprintf(abs,
		    sizeof abs, "%s/%s", cwd, path) >= sizeof abs)
			return -1;
	}
	/* lexically, component by component */
	lex[0] = '\0';
	for (const char *p = abs; *p != '\0';) {
		size_t k;
		while (*p == '/')
			p++;
		k = strcspn(p, "/");
		if (k == 0 || (k == 1 && p[0] == '.')) {
			p += k;
			continue;
		}
		if (k == 2 && p[0] == '.' && p[1] == '.') {
			while (n > 0 && lex[n - 1] != '/')
				n--;
			if (n > 0)
				n--;
			lex[n] = '\0';
		} else {
			if (n + 1 + k >= sizeof lex)
				return -1;
			lex[n++] = '/';
			memcpy(lex + n, p, k);
			n += k;
			lex[n] = '\0';
		}
		p += k;
	}
	if (n == 0)
		snprintf(lex, sizeof lex, "/");
	/* the longest ancestor that exists, through its symlinks */
	for (size_t cut = strlen(lex);; ) {
		char save = lex[cut];
		lex[cut] = '\0';
		int ok = realpath(cut ? lex : "/", real) != NULL;
		lex[cut] = save;
		if (ok) {
			if ((size_t)snprintf(out, cap, "%s%s",
			    strcmp(real, "/") == 0 && lex[cut] ? "" : real,
			    lex + cut) >= cap)
				return -1;
			return 0;
		}
		if (cut == 0)
			break;
		while (cut > 0 && lex[cut - 1] != '/')
			cut--;
		if (cut > 0)
			cut--;
	}
	return (size_t)snprintf(out, cap, "%s", lex) < cap ? 0 : -1;
}

/* see cmd.h */
int
path_local(const char *path)
{
	return path != NULL && path[0] != '\0' && strcmp(path, "-") != 0 &&
	    strstr(path, "://") == NULL;
}

/* see cmd.h */
int
same_file_check(const char *cmd, const struct path_use *u, size_t n)
{
	char a[SINK_PATH_MAX * 2], b[SINK_PATH_MAX * 2], msg[160];
	struct stat sa, sb;

	for (size_t i = 0; i < n; i++) {
		int ea;
		if (!path_local(u[i].path))
			continue;
		ea = stat(u[i].path, &sa) == 0;
		/* a device or FIFO (-o /dev/null) is written into, not
		 * replaced: two uses of one lose nothing */
		if ((ea && !S_ISREG(sa.st_mode)) ||
		    (!ea && path_norm(u[i].path, a, sizeof a) != 0))
			continue;
		for (size_t j = 0; j < i; j++) {
			int eb, same;
			if (!path_local(u[j].path))
				continue;
			eb = stat(u[j].path, &sb) == 0;
			/* one that exists and one that does not differ */
			if (ea != eb || (eb && !S_ISREG(sb.st_mode)))
				continue;
			if (ea)
				same = sa.st_dev == sb.st_dev &&
				    sa.st_ino == sb.st_ino;
			else
				same = path_norm(u[j].path, b, sizeof b) == 0 &&
				    strcmp(a, b) == 0;
			if (!same)
				continue;
			snprintf(msg, sizeof msg, "%s and %s name the same file",
			    u[j].what, u[i].what);
			return opts_usage_error(cmd, msg, u[i].path);
		}
	}
	return 0;
}

/* see cmd.h */
int
path_inside_check(const char *cmd, const struct path_use *u, size_t n,
    const char *dir, const char *what)
{
	char a[SINK_PATH_MAX * 2], t[SINK_PATH_MAX * 2], msg[160];
	size_t k;

	if (!path_local(dir) || path_norm(dir, t, sizeof t) != 0)
		return 0;
	k = strlen(t);
	for (size_t i = 0; i < n; i++) {
		if (!path_local(u[i].path) || path_norm(u[i].path, a,
		    sizeof a) != 0)
			continue;
		if (strncmp(a, t, k) != 0 || (a[k] != '/' && a[k] != '\0'))
			continue;
		snprintf(msg, sizeof msg, "%s lies inside %s", u[i].what, what);
		return opts_usage_error(cmd, msg, u[i].path);
	}
	return 0;
}
