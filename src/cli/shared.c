/*
 * shared.c - the options several commands share, declared once, and the
 * network setup they feed. See cmd.h.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "err.h"
#include "split.h"

#define NET(f) offsetof(struct net_args, f)
const struct opt net_opts[] = {
	OPT_LIST_("resolve", 0, "HOST:PORT:ADDR", NET(resolve), 16,
	    CHK_RESOLVE, "connect to ADDR for HOST:PORT, as curl's\n"
	    "(repeatable, up to 16)"),
	OPT_LIST_("cacert", 0, "FILE", NET(cacert), 8, CHK_NONEMPTY,
	    "trust the CA certificates in FILE (PEM) too\n"
	    "(repeatable, up to 8)"),
	OPT_U64_("timeout", 0, "SECS", NET(timeout_s), 1, 86400,
	    "time for a whole download (run: each\n"
	    "repository, every attempt)"),
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
			fprintf(stderr, "repodigest: %s\n", msg);
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
