/*
 * cli.c - argv to a command: `digest` (cmd_digest.c), `run` (cmd_run.c),
 * `report` (cmd_report.c), `index` (cmd_index.c), `query` (cmd_query.c),
 * `serve` (cmd_serve.c), `version`, `help [CMD]`. See cli.h.
 *
 * Each command parses its options from its own tables (opts.h); this file
 * only dispatches, and decides how the process ends when the reader of
 * standard output has gone.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd.h"
#include "log.h"
#include "sqlmem.h"
#include "tls.h"

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
"  index SOURCE... put chunks into the search index\n"
"  query TEXT...   search the index: the best-matching chunks\n"
"  serve           run the ingestion service (HTTP API, job table)\n"
"  version         print the version\n"
"  help [COMMAND]  this text, or a command's options\n"
"\n"
"Run 'repodigest help COMMAND' or 'repodigest COMMAND --help' for a\n"
"command's options.\n";

static void
cmd_version_help(void)
{
	fputs("usage: repodigest version\n"
	    "\n"
	    "Print the version, the digest format and the certificate\n"
	    "authorities TLS trusts when no --cacert or SSL_CERT_FILE adds any.\n"
	    "\n"
	    "Exit status: 0 success, 2 usage error.\n", stdout);
}

static int
cmd_version(int argc, char **argv)
{
	size_t extra = tls_builtin_anchors_extra;

	if (argc > 1 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		cmd_version_help();
		return 0;
	}
	if (argc > 1) {
		return opts_usage_error("version", "unexpected argument",
		    argv[1]);
	}

	printf("repodigest %s (digest format %s)\n", REPODIGEST_VERSION,
	    DIGEST_FORMAT_VERSION);
	/* what an image trusts, readable without unpacking it */
	printf("trust: %s, %zu anchors", tls_builtin_trust,
	    tls_builtin_anchors_count - extra);
	if (extra > 0)
		printf(" +%zu extra", extra);
	putchar('\n');
	return 0;
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	void (*help)(void);
} commands[] = {
	{ "digest", cmd_digest, cmd_digest_help },
	{ "run", cmd_run, cmd_run_help },
	{ "report", cmd_report, cmd_report_help },
	{ "index", cmd_index, cmd_index_help },
	{ "query", cmd_query, cmd_query_help },
	{ "serve", cmd_serve, cmd_serve_help },
	{ "version", cmd_version, cmd_version_help },
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static int
cmd_help(int argc, char **argv)
{
	if (argc < 3 || strcmp(argv[2], "help") == 0) {
		fputs(usage_main, stdout);
		return 0;
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(argv[2], commands[i].name) == 0) {
			commands[i].help();
			return 0;
		}
	log_err("help", "unknown command: %s", argv[2]);
	fputs("Run 'repodigest --help' for usage.\n", stderr);
	return EXIT_USAGE;
}

/*
 * The reader of standard output left (`repodigest digest . | head -1`):
 * end as cat would, killed by SIGPIPE, quietly; the shell reports 141 and
 * a pipeline under `set -o pipefail` sees the usual status. SIGPIPE is
 * ignored while we work (cli_main), so here it is restored first.
 */
static int
die_of_sigpipe(void)
{
	signal(SIGPIPE, SIG_DFL);
	raise(SIGPIPE);
	return 128 + SIGPIPE;   /* not reached */
}

/* see cmd.h */
int
cli_reader_gone(int fd)
{
	struct pollfd p = { fd, POLLOUT, 0 };

	if (errno == EPIPE)
		return 1;
	return poll(&p, 1, 0) == 1 && (p.revents & POLLERR) != 0;
}

/*
 * Text written through stdio (help, version, report) is flushed here, so a
 * closed pipe is told apart from other write errors (a full disk).
 */
static int
finish_stdout(int status)
{
	if (status == CMD_PIPE_CLOSED)
		return die_of_sigpipe();
	if (fflush(stdout) == 0 && !ferror(stdout))
		return status;
	if (cli_reader_gone(fileno(stdout)))
		return die_of_sigpipe();
	log_err(NULL, "stdout: cannot write output: %s", strerror(errno));
	return status != 0 ? status : 1;
}

/* see cli.h */
int
cli_main(int argc, char **argv)
{
	const char *cmd;

	/* writes to a closed socket (a server that went away) must be
	 * errors, not a silent death; stdout is handled in finish_stdout */
	signal(SIGPIPE, SIG_IGN);
	/* before any command opens a database: SQLite takes its allocator
	 * once, at its start (if it refused, its own would stay: slower) */
	(void)sqlmem_install();
	if (argc < 2) {
		fputs("repodigest: missing command (digest, run, report, index, "
		    "query, serve, version, help)\n"
		    "Run 'repodigest --help' for usage.\n", stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	/* run's and serve's stdout is not their product: their status
	 * stands */
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(cmd, "serve") == 0)
		return cmd_serve(argc - 1, argv + 1);
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(cmd, commands[i].name) == 0)
			return finish_stdout(commands[i].run(argc - 1, argv + 1));
	if (strcmp(cmd, "--version") == 0)
		return finish_stdout(cmd_version(1, argv + 1));
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
	    strcmp(cmd, "-h") == 0)
		return finish_stdout(cmd_help(argc, argv));
	log_err(NULL, "unknown command: %s", cmd);
	fputs("Run 'repodigest --help' for usage.\n", stderr);
	return EXIT_USAGE;
}
