/*
 * cmd.h - the commands, and what they share: the option tables several
 * commands use (declared once in shared.c, so each option has one spelling,
 * one check and one error everywhere) and the network setup.
 */
#ifndef CMD_H
#define CMD_H

#include <stdint.h>

#include "fetch.h"
#include "job.h"
#include "opts.h"
#include "source.h"
#include "url.h"

#define DIGEST_FORMAT_VERSION "1"

/*
 * A command's answer when the reader of its standard output left (`| head`):
 * cli_main ends the process as SIGPIPE would, quietly, as cat does.
 */
#define CMD_PIPE_CLOSED (-2)

/*
 * Whether the reader of fd (a pipe or socket) has gone, after a write to it
 * failed: EPIPE (SIGPIPE is ignored), or poll reports the error.
 */
int cli_reader_gone(int fd);

/* --resolve, --cacert, --timeout, --connect-timeout */
struct net_args {
	struct opt_list resolve;
	struct opt_list cacert;
	uint64_t timeout_s;             /* whole download / per repository */
	uint64_t connect_s;
};
/* --api-url, --archive-url: where GitHub sources come from */
struct github_args {
	const char *api_url;
	const char *archive_url;
};
/* --s3-endpoint, --s3-region (else the environment) */
struct s3_args {
	const char *endpoint;
	const char *region;
};
/* -i, -e */
struct pattern_args {
	struct opt_list inc;
	struct opt_list exc;
};
/* --chunk-size, --chunk-overlap: for --format chunks (UTF-16 units) */
struct chunk_args {
	uint64_t size;
	uint64_t overlap;
};

extern const struct opt net_opts[];
extern const struct opt github_opts[];
extern const struct opt s3_opts[];
extern const struct opt pattern_opts[];
extern const struct opt chunk_opts[];
/* --max-output: one check; each command sets its own default */
extern const struct opt max_output_opt[];

/* Default timeouts (seconds), the same for every command. */
void net_args_init(struct net_args *na);

/* LangChain's defaults: 1000 and 100. */
void chunk_args_init(struct chunk_args *ca);

/*
 * --format LIST for command cmd: "full", "chunks", or both separated by a
 * comma (in any order, as the service's formats field), into JOB_FORMAT()
 * bits. Returns 0, or the usage error's exit status (said on stderr).
 */
int formats_parse(const char *cmd, const char *list, int *formats);

/*
 * The chunk options after parsing, for command cmd: with chunks asked for,
 * the overlap must be less than the size; without, neither may differ from
 * its default. Returns 0, or the usage error's exit status (said on stderr).
 */
int chunk_args_check(const char *cmd, const struct chunk_args *ca,
    int chunks);

/*
 * The options every command shares that change a body (--max-output, -i,
 * -e, --chunk-size, --chunk-overlap) into s, the rest zero: the one place
 * options become job settings (job.h; -s and --include-gitignored, the
 * tree options, are added by job_settings_tree).
 */
void job_settings_args(struct job_settings *s, uint64_t max_output,
    const struct pattern_args *pat, const struct chunk_args *ch);

/* -s, --include-gitignored: what a tree's digest keeps. They change the
 * body, so they are job settings (the generator records them): digest,
 * index and run take them alike. */
struct tree_args {
	uint64_t max_size;              /* 0: gitingest's default */
	int include_gitignored;
};
/* --repo, --strip-components: how an archive reads as a repository (digest,
 * index; a run's sources are its feed's repositories) */
struct archive_args {
	const char *repo;               /* OWNER/REPO, or NULL */
	int strip;                      /* 0, 1, or -1: automatic */
};

extern const struct opt tree_opts[];
extern const struct opt archive_opts[];

/* No --repo, --strip-components automatic. */
void archive_args_init(struct archive_args *aa);

/* -s and --include-gitignored into s (after job_settings_args). */
void job_settings_tree(struct job_settings *s, const struct tree_args *ta);

/*
 * The source options a command's tree source shares (source.h): --repo and
 * --strip-components (aa may be NULL: none), the mirror and API of gh,
 * GITHUB_TOKEN, the network fo; the rest zero.
 */
void source_opts_args(struct source_opts *so, const struct archive_args *aa,
    const struct github_args *gh, const struct fetch_opts *fo);

/*
 * 1 when source names a GitHub repository (OWNER/REPO[@REF], a github.com
 * URL) and is not an existing path, with g filled; else 0 (g zeroed).
 */
int source_github(const char *source, struct url_github *g);

/*
 * The repository a digest's chunks (and objects) are named for: --repo, else
 * the GitHub source's OWNER/REPO (into buf), else the tree's root.
 */
const char *source_repo_name(const char *repo_opt, const struct url_github *g,
    const char *root, char *buf, size_t cap);

/*
 * --archive-url TEMPLATE checked for command cmd: it expands ({owner},
 * {repo}, {ref} only) to an https://, http:// or file:// URL; with per_repo
 * (run, serve: one template for every repository) it has {owner} and
 * {repo}, else each repository would get the same archive. Returns 0 or the
 * usage error's exit status (said, the URL redacted).
 */
int archive_url_check(const char *cmd, const char *tmpl, int per_repo);

/* A path a command reads or writes, for the checks below. */
struct path_use {
	const char *what;               /* "FEED", "--state" */
	const char *path;               /* NULL, "-", URLs: not a local file */
};

/* 1 when path is a local file name (not NULL, "", "-", nor a URL). */
int path_local(const char *path);

/*
 * Refuse (usage error, exit 2) any two of u[0..n) that name the same file:
 * the same device and inode when both exist, else the same normalised path
 * (absolute, symlinks of the existing part resolved); writing one would
 * destroy the other (`run fs.json --state fs.json`). Devices and FIFOs are
 * written into, never replaced: they may repeat.
 */
int same_file_check(const char *cmd, const struct path_use *u, size_t n);

/*
 * Refuse (usage error) any of u[0..n) whose normalised path lies inside
 * dir (what names it in the message): a file among the objects a run
 * stores.
 */
int path_inside_check(const char *cmd, const struct path_use *u, size_t n,
    const char *dir, const char *what);

/* Network state for one command, owned by the caller. */
struct net_setup {
	struct tls_anchors anchors;
	struct net_resolve res[16];
	struct fetch_opts fo;
};

/*
 * Trust anchors (built in + --cacert + SSL_CERT_FILE, the files read only
 * when load_cas is set), --resolve pins, timeouts and the proxy environment
 * into ns->fo. Returns 0, or 1 after printing the error (a CA file that
 * cannot be read). Free with net_teardown().
 */
int net_setup(struct net_setup *ns, const struct net_args *na, int load_cas);
void net_teardown(struct net_setup *ns);

int cmd_digest(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_index(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_serve(int argc, char **argv);

/* The commands' option sets, for `repodigest help CMD`. */
void cmd_digest_help(void);
void cmd_run_help(void);
void cmd_report_help(void);
void cmd_index_help(void);
void cmd_query_help(void);
void cmd_serve_help(void);

#endif
