/*
 * cmd_query.c - `repodigest query TEXT...`: the chunks of the search index
 * that best match the words. See cmd.h.
 *
 * The words are the operands joined by spaces, tokenized as the index's
 * documents were (index_terms) and searched as an OR of quoted terms
 * (index_query): no character of them is FTS5 syntax. Results go out as
 * JSON lines, or, when stdout is a terminal, as a listing: path:start-end,
 * score, and the chunk's lines that hold a term, the terms highlighted.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd.h"
#include "err.h"
#include "index.h"
#include "jsonl.h"
#include "log.h"

enum { QF_JSON, QF_TEXT };

/* Longest query, bytes: a paragraph is a few hundred; a pasted file is not
 * a query (and its terms past INDEX_TERMS_MAX would not count). */
#define QUERY_MAX (64u << 10)
/* Lines of a chunk shown per result in the listing, and their width. */
#define SHOW_LINES 6
#define SHOW_WIDTH 160

struct query_args {
	const char *index;
	const char *project;
	uint64_t k;
	uint64_t per_file;
	const char *repo;
	const char *path;
	const char *language;
	int format;                     /* QF_*, -1: by stdout */
};

#define QA(f) offsetof(struct query_args, f)
static const struct opt query_opts[] = {
	OPT_STR_("index", 0, "FILE", QA(index), CHK_NONEMPTY,
	    "the index file"),
	OPT_STR_("project", 0, "NAME", QA(project), CHK_NONEMPTY,
	    "only this project's chunks (default: all)"),
	OPT_U64_("k", 'k', "N", QA(k), 1, INDEX_K_MAX,
	    "how many chunks, best first"),
	OPT_U64_("per-file", 0, "N", QA(per_file), 0, INDEX_K_MAX,
	    "at most N chunks of one file (the next best\n"
	    "of other files take their places; 0: no limit)"),
	OPT_STR_("repo", 0, "OWNER/REPO", QA(repo), CHK_NONEMPTY,
	    "only this repository's chunks"),
	OPT_STR_("path", 0, "GLOB", QA(path), CHK_NONEMPTY,
	    "only files whose path matches GLOB (* ? [..];\n"
	    "* crosses '/')"),
	OPT_STR_("language", 0, "NAME", QA(language), CHK_NONEMPTY,
	    "only chunks of this language (as the chunks'\n"
	    "\"language\" field: cpp, python, js, ...)"),
	OPT_ENUM_("format", 0, "json|text", QA(format),
	    "json: one JSON object per line; text: a\n"
	    "listing (default: text on a terminal, else json)"),
	OPT_END
};

static const struct opt_group query_groups[] = {
	{ query_opts, 0 },
	{ NULL, 0 }
};
#undef QA

static const struct opt_cmd query_cmd = {
	"query", "query TEXT... [--index FILE] [-k N] [--per-file N] [filters]",
	"TEXT", 1,
	1 << 30,
	"Search the index `repodigest index` made: the chunks that best match\n"
	"TEXT (BM25 over path and text; identifiers match by their parts, so\n"
	"`user id` finds getUserById). TEXT is plain words: no operators.\n",
	query_groups,
	"Output: JSON lines {\"repo\",\"ref\",\"path\",\"start_line\",\"end_line\",\n"
	"\"score\",\"text\"} (score: higher is better), or the listing on a\n"
	"terminal.\n"
	"\n"
	"Exit status: 0 success (also when nothing matches), 1 failure, 2 usage\n"
	"error.\n"
};

static void
query_defaults(struct query_args *qa)
{
	memset(qa, 0, sizeof *qa);
	qa->index = INDEX_DEFAULT;
	qa->k = 10;
	qa->per_file = INDEX_PER_FILE;
	qa->format = -1;
}

/* see cmd.h */
void
cmd_query_help(void)
{
	struct query_args qa;

	query_defaults(&qa);
	opts_help(&query_cmd, &qa, stdout);
}

/* ------------------------------------------------------------ output */

struct printer {
	const struct index *ix;
	const struct index_terms *terms;
	int format;
	int color;                      /* highlight with escapes */
	struct buf line;
	uint8_t *mark;                  /* per byte of a line: in a term */
	size_t mark_cap;
	uint64_t n;
	int err;
};

static int
write_all(struct printer *pr, const void *p, size_t n)
{
	if (pr->err == 0 && fwrite(p, 1, n, stdout) != n)
		pr->err = ERR_OUTPUT;
	return pr->err;
}

static int
print_json(struct printer *pr, const struct index_hit *h)
{
	struct buf *b = &pr->line;

	buf_reset(b);
	buf_puts(b, "{\"repo\":");
	chunkw_json_str(b, h->repo, strlen(h->repo));
	buf_puts(b, ",\"ref\":");
	chunkw_json_str(b, h->ref, strlen(h->ref));
	buf_puts(b, ",\"path\":");
	chunkw_json_str(b, h->path, strlen(h->path));
	buf_printf(b, ",\"start_line\":%llu,\"end_line\":%llu,\"score\":%.6g,"
	    "\"text\":", (unsigned long long)h->start_line,
	    (unsigned long long)h->end_line, h->score);
	chunkw_json_str(b, (const char *)h->text, h->text_len);
	if (buf_puts(b, "}\n") != 0)
		return pr->err = ERR_NOMEM;
	return write_all(pr, b->p, b->len);
}

/* Mark the bytes of a line that make a query term. */
static int
mark_term(void *ctx, const char *t, size_t n, size_t s, size_t e, int fl)
{
	struct printer *pr = ctx;

	(void)fl;
	for (size_t i = 0; i < pr->terms->n; i++)
		if (pr->terms->len[i] == n && memcmp(pr->terms->t[i], t, n) == 0) {
			memset(pr->mark + s, 1, e - s);
			break;
		}
	return 0;
}

/*
 * One line of chunk text for a terminal: control bytes (and C1 controls)
 * shown as '?' so a chunk cannot move the cursor or set colours, cut at
 * SHOW_WIDTH bytes, marked bytes in bold.
 */
static void
put_line(struct printer *pr, const uint8_t *p, size_t n)
{
	struct buf *b = &pr->line;
	int on = 0;

	buf_reset(b);
	if (n > SHOW_WIDTH) {
		n = SHOW_WIDTH;
		while (n > 0 && (p[n] & 0xC0) == 0x80)
			n--;
	}
	for (size_t i = 0; i < n; i++) {
		if (pr->color && pr->mark[i] != on) {
			buf_puts(b, pr->mark[i] ? "\033[1;31m" : "\033[0m");
			on = pr->mark[i];
		}
		if (p[i] == '\t')
			buf_putc(b, ' ');
		else if (p[i] < 0x20 || p[i] == 0x7f)
			buf_putc(b, '?');
		else if (p[i] == 0xC2 && i + 1 < n && p[i + 1] >= 0x80 &&
		    p[i + 1] <= 0x9F) {
			buf_putc(b, '?');
			i++;
		} else
			buf_putc(b, p[i]);
	}
	if (on)
		buf_puts(b, "\033[0m");
	buf_putc(b, '\n');
	write_all(pr, b->p, b->len);
}

static int
print_text(struct printer *pr, const struct index_hit *h)
{
	const uint8_t *p = h->text, *end = h->text + h->text_len;
	uint64_t lineno = h->start_line;
	int shown = 0, any;
	char head[128];

	fprintf(stdout, "%s%s:%llu-%llu%s  %s  score %.2f\n",
	    pr->color ? "\033[1m" : "", h->path,
	    (unsigned long long)h->start_line, (unsigned long long)h->end_line,
	    pr->color ? "\033[0m" : "", h->repo, h->score);
	while (p < end && shown < SHOW_LINES) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n > pr->mark_cap) {
			uint8_t *m = realloc(pr->mark, n);
			if (m == NULL)
				return pr->err = ERR_NOMEM;
			pr->mark = m;
			pr->mark_cap = n;
		}
		memset(pr->mark, 0, n);
		index_tokenize(pr->ix, p, n, mark_term, pr);
		any = memchr(pr->mark, 1, n) != NULL;
		if (any) {
			snprintf(head, sizeof head, "%6llu  ",
			    (unsigned long long)lineno);
			write_all(pr, head, strlen(head));
			put_line(pr, p, n);
			shown++;
		}
		p += n + (nl != NULL);
		lineno++;
	}
	return write_all(pr, "\n", 1);
}

static int
print_hit(void *ctx, const struct index_hit *h)
{
	struct printer *pr = ctx;

	pr->n++;
	return pr->format == QF_JSON ? print_json(pr, h) : print_text(pr, h);
}

/* see cmd.h */
int
cmd_query(int argc, char **argv)
{
	struct query_args qa;
	struct index_opts io;
	struct index_filter f;
	struct index_terms *terms;
	struct printer pr;
	struct err_ctx ec;
	struct index *ix;
	struct buf q;
	char msg[1024];
	int r, nops, e, status = 0;

	query_defaults(&qa);
	if ((r = opts_parse(&query_cmd, argc, argv, &qa, &nops)) != 0) {
		if (r == OPTS_HELP)
			cmd_query_help();
		return r == OPTS_HELP ? 0 : r;
	}
	buf_init(&q, QUERY_MAX);
	for (int i = 0; i < nops; i++)
		if ((i > 0 && buf_putc(&q, ' ') != 0) ||
		    buf_puts(&q, argv[i]) != 0) {
			buf_free(&q);
			return opts_usage_error("query", "the query is longer than "
			    "64 KiB", NULL);
		}
	if (q.len == 0) {
		buf_free(&q);
		return opts_usage_error("query", "the query is empty", NULL);
	}
	if (qa.format < 0)
		qa.format = isatty(STDOUT_FILENO) ? QF_TEXT : QF_JSON;
	ix = malloc(sizeof *ix);
	terms = malloc(sizeof *terms);
	if (ix == NULL || terms == NULL) {
		log_err("query", "%s", err_str(ERR_NOMEM));
		free(ix);
		free(terms);
		buf_free(&q);
		return 1;
	}
	memset(&io, 0, sizeof io);
	io.readonly = 1;
	memset(&ec, 0, sizeof ec);
	if (index_open(ix, qa.index, &io, &ec) != 0) {
		err_format(&ec, msg, sizeof msg);
		log_err(NULL, "%s", msg);
		status = 1;
		goto out;
	}
	index_terms(ix, q.p, q.len, terms);
	if (terms->n == 0)
		log_err("query", "no words to search for in the query");
	if (terms->dropped > 0)
		log_err("query", "%d terms past the first %d left out",
		    terms->dropped, INDEX_TERMS_MAX);
	memset(&f, 0, sizeof f);
	f.project = qa.project;
	f.repo = qa.repo;
	f.path_glob = qa.path;
	f.language = qa.language;
	f.per_file = (size_t)qa.per_file;
	memset(&pr, 0, sizeof pr);
	pr.ix = ix;
	pr.terms = terms;
	pr.format = qa.format;
	pr.color = qa.format == QF_TEXT && isatty(STDOUT_FILENO) &&
	    getenv("NO_COLOR") == NULL;
	buf_init(&pr.line, (size_t)64 << 20);
	e = index_query(ix, terms, &f, (size_t)qa.k, print_hit, &pr, &ec);
	if (e == ERR_OUTPUT || pr.err == ERR_OUTPUT) {
		status = cli_reader_gone(STDOUT_FILENO) ? CMD_PIPE_CLOSED : 1;
		if (status == 1)
			log_err(NULL, "stdout: cannot write output");
	} else if (e != 0) {
		err_format(&ec, msg, sizeof msg);
		log_err(NULL, "%s", msg);
		status = 1;
	} else if (pr.n == 0 && qa.format == QF_TEXT && terms->n > 0) {
		log_err("query", "nothing matches");
	}
	buf_free(&pr.line);
	free(pr.mark);
	index_close(ix);
out:
	free(ix);
	free(terms);
	buf_free(&q);
	return status;
}
