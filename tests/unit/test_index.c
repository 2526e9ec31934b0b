/*
 * test_index.c - the search index (src/search/index.c) on files in a
 * temporary directory: adding a repository; adding it again unchanged
 * writes nothing (SQLite's own count of changed rows proves it, not a
 * clock); a changed, a shortened, a grown and a removed file replace
 * exactly their chunks; deleting counts the chunks; filters; identifiers
 * met by their parts; hostile queries never reach FTS5's syntax; a reader
 * sees the index as it was while a writer adds; files that are not an
 * index are refused. The ranking (rank.h: only the chunks that can be
 * among the k best are scored) against FTS5's bm25() over every match
 * (index_query_full) on a corpus with common and rare words, before and
 * after chunks are replaced: the same chunks, the same order, the same
 * scores to the bit, with and without filters and a cap on the chunks of
 * one file, for any k.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "index.h"
#include "sqlite3.h"
#include "t.h"

static char dir[] = "/tmp/test_index.XXXXXX";
static char path[256];

/* A chunk of a file: text, with id made from (path, n, text) as the
 * writer's are (any stable 32-hex id does for the index). */
static struct index_chunk
chunk(const char *p, uint64_t n, const char *text, char id[33])
{
	struct index_chunk c;
	uint64_t h = 1469598103934665603ull;

	for (const char *s = p; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	h = (h ^ n) * 1099511628211ull;
	for (const char *s = text; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	snprintf(id, 33, "%016llx%016llx", (unsigned long long)h,
	    (unsigned long long)(h * 31));
	memset(&c, 0, sizeof c);
	c.path = p;
	c.path_len = strlen(p);
	c.language = strstr(p, ".py") ? "python" : strstr(p, ".c") ? "cpp" :
	    "markdown";
	c.id = id;
	c.n = n;
	c.start_line = 1 + n * 10;
	c.end_line = 10 + n * 10;
	c.text = (const uint8_t *)text;
	c.text_len = strlen(text);
	return c;
}

/* A source: files as (path, chunk texts...) rows, NULL-terminated. */
struct file {
	const char *path;
	const char *chunks[4];
};

static int
add_repo(struct index *ix, const char *project, const char *repo,
    const struct file *files, struct index_stats *st)
{
	struct err_ctx ec;
	char id[33], msg[512];
	int e;

	memset(&ec, 0, sizeof ec);
	if ((e = index_repo_begin(ix, project, repo, "", "c0ffee", &ec)) != 0)
		goto fail;
	for (const struct file *f = files; f->path; f++)
		for (int i = 0; i < 4 && f->chunks[i]; i++) {
			struct index_chunk c = chunk(f->path, (uint64_t)i,
			    f->chunks[i], id);
			if ((e = index_repo_chunk(ix, &c, &ec)) != 0)
				goto fail;
		}
	if ((e = index_repo_end(ix, st, &ec)) != 0)
		goto fail;
	return 0;
fail:
	err_format(&ec, msg, sizeof msg);
	fprintf(stderr, "add_repo: %s\n", msg);
	return e;
}

/* The results of a query as "path:score-rank path ..." (paths only). */
struct hits {
	char paths[1024];
	size_t len;
	int n;
	double last;
	int unordered;
	char text[512];
};

static int
hit(void *ctx, const struct index_hit *h)
{
	struct hits *r = ctx;

	if (r->n > 0 && h->score > r->last)
		r->unordered = 1;
	r->last = h->score;
	if (r->n == 0)
		snprintf(r->text, sizeof r->text, "%.*s", (int)h->text_len,
		    (const char *)h->text);
	r->len += (size_t)snprintf(r->paths + r->len, sizeof r->paths - r->len,
	    "%s%s", r->n ? " " : "", h->path);
	r->n++;
	return 0;
}

static int
query(struct index *ix, const char *q, size_t qn,
    const struct index_filter *f, struct hits *r)
{
	struct index_terms *t = malloc(sizeof *t);
	struct err_ctx ec;
	char msg[512];
	int e;

	memset(r, 0, sizeof *r);
	memset(&ec, 0, sizeof ec);
	index_terms(ix, (const uint8_t *)q, qn, t);
	e = index_query(ix, t, f, 10, hit, r, &ec);
	if (e != 0) {
		err_format(&ec, msg, sizeof msg);
		fprintf(stderr, "query \"%.40s\": %s\n", q, msg);
	}
	free(t);
	CHECK(!r->unordered, "results best first");
	return e;
}

static const struct file repo1[] = {
	{ "src/user.c", { "struct user *\nget_user_by_id(int id)\n{\n"
	    "\treturn lookup(id);\n}\n", "static int counter;\n" } },
	{ "lib/client.py", { "def fetchAccount(name):\n    return "
	    "HTTPServer(name)\n" } },
	{ "README.md", { "# Users\n\nThe users and their accounts.\n" } },
	{ NULL, { NULL } }
};

static void
test_add_and_find(struct index *ix)
{
	struct index_stats st;
	struct hits r;

	CHECK(add_repo(ix, "p", "o/r", repo1, &st) == 0, "add");
	CHECK(st.files == 3 && st.files_added == 3 && st.chunks == 4 &&
	    st.chunks_added == 4 && st.chunks_removed == 0,
	    "first add: %llu files, %llu chunks",
	    (unsigned long long)st.files_added,
	    (unsigned long long)st.chunks_added);
	/* each spelling of the name finds the snake_case definition */
	CHECK(query(ix, "getUserById", 11, NULL, &r) == 0 &&
	    strncmp(r.paths, "src/user.c", 10) == 0, "getUserById: %s", r.paths);
	CHECK(query(ix, "GetUserByID", 11, NULL, &r) == 0 &&
	    strncmp(r.paths, "src/user.c", 10) == 0, "GetUserByID: %s", r.paths);
	CHECK(query(ix, "user by id", 10, NULL, &r) == 0 &&
	    strncmp(r.paths, "src/user.c", 10) == 0, "user by id: %s", r.paths);
	CHECK(strstr(r.text, "get_user_by_id") != NULL, "the chunk's text back");
	/* and camelCase and acronyms in code are found by their words */
	CHECK(query(ix, "fetch account", 13, NULL, &r) == 0 &&
	    strncmp(r.paths, "lib/client.py", 13) == 0, "fetch account: %s",
	    r.paths);
	CHECK(query(ix, "http server", 11, NULL, &r) == 0 &&
	    strcmp(r.paths, "lib/client.py") == 0, "http server: %s", r.paths);
	/* the path is searched too */
	CHECK(query(ix, "client", 6, NULL, &r) == 0 &&
	    strcmp(r.paths, "lib/client.py") == 0, "path: %s", r.paths);
	CHECK(query(ix, "nothing-like-this", 17, NULL, &r) == 0 && r.n == 0,
	    "no match: %d", r.n);
}

static void
test_reindex(struct index *ix)
{
	struct index_stats st;
	struct hits r;
	int before;
	static const struct file changed[] = {
		{ "src/user.c", { "struct user *\nget_user_by_id(int id)\n{\n"
		    "\treturn lookup(id);\n}\n", "static long tally;\n" } },
		{ "README.md", { "# Users\n\nThe users and their accounts.\n",
		    "## More\n\nA second chunk.\n" } },
		{ NULL, { NULL } }
	};
	static const struct file shorter[] = {
		{ "src/user.c", { "struct user *\nget_user_by_id(int id)\n{\n"
		    "\treturn lookup(id);\n}\n" } },
		{ "README.md", { "# Users\n\nThe users and their accounts.\n",
		    "## More\n\nA second chunk.\n" } },
		{ NULL, { NULL } }
	};

	/* unchanged: nothing written at all */
	before = sqlite3_total_changes(ix->db);
	CHECK(add_repo(ix, "p", "o/r", repo1, &st) == 0, "add again");
	CHECK(st.files_unchanged == 3 && st.chunks_added == 0 &&
	    st.chunks_removed == 0 && st.files_changed == 0,
	    "unchanged: %llu unchanged, %llu written",
	    (unsigned long long)st.files_unchanged,
	    (unsigned long long)st.chunks_added);
	CHECK(sqlite3_total_changes(ix->db) == before,
	    "an unchanged repository changes no row (%d)",
	    sqlite3_total_changes(ix->db) - before);
	/* user.c's second chunk changed, README grew, client.py went */
	CHECK(add_repo(ix, "p", "o/r", changed, &st) == 0, "add changed");
	CHECK(st.files == 2 && st.files_changed == 2 && st.files_removed == 1 &&
	    st.files_unchanged == 0 && st.chunks_added == 2 &&
	    st.chunks_removed == 2, "changed: %llu changed, %llu removed files, "
	    "%llu written, %llu deleted", (unsigned long long)st.files_changed,
	    (unsigned long long)st.files_removed,
	    (unsigned long long)st.chunks_added,
	    (unsigned long long)st.chunks_removed);
	CHECK(query(ix, "counter", 7, NULL, &r) == 0 && r.n == 0,
	    "the replaced chunk is gone: %s", r.paths);
	CHECK(query(ix, "tally", 5, NULL, &r) == 0 &&
	    strcmp(r.paths, "src/user.c") == 0, "the new chunk: %s", r.paths);
	CHECK(query(ix, "fetchAccount", 12, NULL, &r) == 0 && r.n == 0,
	    "the removed file's chunks are gone: %s", r.paths);
	/* user.c lost its second chunk: one deleted, none written */
	CHECK(add_repo(ix, "p", "o/r", shorter, &st) == 0, "add shorter");
	CHECK(st.files_changed == 1 && st.files_unchanged == 1 &&
	    st.chunks_added == 0 && st.chunks_removed == 1, "shorter: %llu "
	    "written, %llu deleted", (unsigned long long)st.chunks_added,
	    (unsigned long long)st.chunks_removed);
	CHECK(query(ix, "tally", 5, NULL, &r) == 0 && r.n == 0, "tail gone");
}

static void
test_filters_and_delete(struct index *ix)
{
	struct index_stats st;
	struct index_filter f;
	struct err_ctx ec;
	struct hits r;
	uint64_t n;
	static const struct file other[] = {
		{ "src/user.c", { "int get_user_by_id(void);\n" } },
		{ "docs/user.md", { "get user by id\n" } },
		{ NULL, { NULL } }
	};

	CHECK(add_repo(ix, "q", "o/other", other, &st) == 0, "add other");
	CHECK(query(ix, "get user by id", 14, NULL, &r) == 0 && r.n == 3,
	    "both projects: %s", r.paths);
	memset(&f, 0, sizeof f);
	f.project = "q";
	CHECK(query(ix, "get user by id", 14, &f, &r) == 0 && r.n == 2,
	    "project q: %s", r.paths);
	memset(&f, 0, sizeof f);
	f.repo = "O/R";
	CHECK(query(ix, "get user by id", 14, &f, &r) == 0 && r.n == 1 &&
	    strcmp(r.paths, "src/user.c") == 0, "repo (any case): %s", r.paths);
	memset(&f, 0, sizeof f);
	f.path_glob = "docs/*";
	CHECK(query(ix, "get user by id", 14, &f, &r) == 0 && r.n == 1 &&
	    strcmp(r.paths, "docs/user.md") == 0, "path glob: %s", r.paths);
	memset(&f, 0, sizeof f);
	f.language = "markdown";
	CHECK(query(ix, "get user by id", 14, &f, &r) == 0 && r.n == 1,
	    "language: %s", r.paths);
	/* delete counts what it removed, once */
	memset(&ec, 0, sizeof ec);
	CHECK(index_delete(ix, "q", "o/other", "", &n, &ec) == 0 && n == 2,
	    "delete: %llu chunks", (unsigned long long)n);
	CHECK(index_delete(ix, "q", "o/other", "", &n, &ec) == 0 && n == 0,
	    "delete again: %llu", (unsigned long long)n);
	CHECK(query(ix, "get user by id", 14, NULL, &r) == 0 && r.n == 1,
	    "left: %s", r.paths);
	CHECK(index_delete(ix, "p", "o/r", "", &n, &ec) == 0 && n == 3,
	    "delete o/r: %llu", (unsigned long long)n);
	CHECK(query(ix, "users", 5, NULL, &r) == 0 && r.n == 0, "empty: %s",
	    r.paths);
}

static void
test_hostile(struct index *ix)
{
	static const char *const qs[] = {
		"\"", "*", "NEAR(", "AND", "-", "OR", "NOT x", "x:y", "^a",
		"\"unterminated", "a\" OR \"b", "(((", ")", "{col}: x", "+", "",
	};
	static const struct file f1[] = {
		{ "a.txt", { "and near or not a b x y col\n" } },
		{ NULL, { NULL } }
	};
	struct index_terms *t = malloc(sizeof *t);
	struct index_stats st;
	struct err_ctx ec;
	struct hits r;
	char *big = malloc(10240);
	char nul[] = "near\0and";

	CHECK(add_repo(ix, "p", "h/h", f1, &st) == 0, "add hostile target");
	for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
		CHECK(query(ix, qs[i], strlen(qs[i]), NULL, &r) == 0,
		    "query %s", qs[i]);
	CHECK(query(ix, "AND", 3, NULL, &r) == 0 && r.n == 1,
	    "AND is a word searched for: %d", r.n);
	CHECK(query(ix, "NEAR(", 5, NULL, &r) == 0 && r.n == 1,
	    "NEAR( is a word searched for: %d", r.n);
	CHECK(query(ix, "*", 1, NULL, &r) == 0 && r.n == 0, "* has no words");
	CHECK(query(ix, nul, sizeof nul - 1, NULL, &r) == 0 && r.n == 1,
	    "NUL separates");
	for (int i = 0; i < 10240; i++)
		big[i] = "ab \"*()-:^"[i % 10];
	CHECK(query(ix, big, 10240, NULL, &r) == 0, "10 KB query");
	/* a term FTS5 would read as syntax, made by hand: still one string */
	t->n = 2;
	t->dropped = 0;
	memcpy(t->t[0], "a\" OR x", 7);
	t->len[0] = 7;
	memcpy(t->t[1], "*)(", 3);
	t->len[1] = 3;
	memset(&ec, 0, sizeof ec);
	memset(&r, 0, sizeof r);
	CHECK(index_query(ix, t, NULL, 10, hit, &r, &ec) == 0 && r.n == 0,
	    "quoted terms: %s", ec.detail);
	/* more distinct words than INDEX_TERMS_MAX: the rest dropped */
	for (uint32_t i = 0, x = 1; i < 10240; i++) {
		x = x * 1103515245u + 12345u;
		big[i] = i % 6 == 5 ? ' ' : (char)('a' + (x >> 16) % 26);
	}
	index_terms(ix, (const uint8_t *)big, 10240, t);
	CHECK(t->n == INDEX_TERMS_MAX && t->dropped > 0, "terms capped: %zu",
	    t->n);
	free(big);
	free(t);
	CHECK(index_delete(ix, "p", "h/h", "", &(uint64_t){ 0 }, &ec) == 0,
	    "clean up");
}

/* A second connection reads while the first writes (WAL). */
static void
test_concurrent(struct index *ix)
{
	struct index *rd = malloc(sizeof *rd);
	struct index_opts o = { 0, 1, 0 };
	struct err_ctx ec;
	struct hits r;
	char id[33];
	static const struct file f1[] = {
		{ "x.c", { "int visible_before;\n" } },
		{ NULL, { NULL } }
	};
	struct index_stats st;
	struct index_chunk c;

	CHECK(add_repo(ix, "p", "c/c", f1, &st) == 0, "add before");
	memset(&ec, 0, sizeof ec);
	CHECK(index_open(rd, path, &o, &ec) == 0, "reader opens");
	CHECK(index_repo_begin(ix, "p", "c/c", "", "beef", &ec) == 0,
	    "writer begins");
	c = chunk("y.c", 0, "int added_later;\n", id);
	CHECK(index_repo_chunk(ix, &c, &ec) == 0, "writer adds");
	CHECK(query(rd, "added later", 11, NULL, &r) == 0 && r.n == 0,
	    "reader does not see an open write");
	CHECK(query(rd, "visible before", 14, NULL, &r) == 0 && r.n == 1,
	    "reader sees the committed state");
	index_repo_abort(ix);
	CHECK(query(ix, "added later", 11, NULL, &r) == 0 && r.n == 0,
	    "abort keeps nothing");
	CHECK(query(ix, "visible before", 14, NULL, &r) == 0 && r.n == 1,
	    "abort keeps the old state");
	index_close(rd);
	free(rd);
	CHECK(index_delete(ix, "p", "c/c", "", &(uint64_t){ 0 }, &ec) == 0,
	    "clean up");
}

/* Long text is stored compressed and comes back whole. */
static void
test_text(struct index *ix)
{
	size_t n = 20000;
	char *text = malloc(n + 1), id[33];
	struct index_chunk c;
	struct index_stats st;
	struct index_sizes sz;
	struct err_ctx ec;
	struct hits r;

	for (size_t i = 0; i < n; i++)
		text[i] = "lorem ipsum dolor "[i % 18];
	memcpy(text + n - 8, " needle\n", 8);
	text[n] = '\0';
	memset(&ec, 0, sizeof ec);
	CHECK(index_repo_begin(ix, "p", "t/t", "", "", &ec) == 0, "begin");
	c = chunk("long.txt", 0, text, id);
	CHECK(index_repo_chunk(ix, &c, &ec) == 0, "long chunk");
	CHECK(index_repo_end(ix, &st, &ec) == 0, "end");
	CHECK(query(ix, "needle", 6, NULL, &r) == 0 && r.n == 1, "found");
	CHECK(strncmp(r.text, text, sizeof r.text - 1) == 0, "text back");
	CHECK(index_sizes(ix, &sz, &ec) == 0 && sz.text_bytes >= n &&
	    sz.stored_text_bytes < sz.text_bytes / 4 && sz.fts_bytes > 0,
	    "stored compressed: %llu of %llu",
	    (unsigned long long)sz.stored_text_bytes,
	    (unsigned long long)sz.text_bytes);
	free(text);
}

static void
test_open_errors(void)
{
	struct index *ix = malloc(sizeof *ix);
	struct index_opts o = { 0, 0, 0 };
	struct err_ctx ec;
	char p[300];
	FILE *f;
	sqlite3 *db;

	memset(&ec, 0, sizeof ec);
	snprintf(p, sizeof p, "%s/absent.db", dir);
	CHECK(index_open(ix, p, &o, &ec) == ERR_NOENT, "absent without create");
	CHECK(access(p, F_OK) != 0, "nothing made");
	snprintf(p, sizeof p, "%s/text.db", dir);
	f = fopen(p, "w");
	fputs("this is not a database, just text long enough to be read as a "
	    "header by SQLite, which wants one hundred bytes or so ........\n",
	    f);
	fclose(f);
	o.create = 1;
	CHECK(index_open(ix, p, &o, &ec) == ERR_INDEX_SCHEMA, "text file: %d %s",
	    ec.code, ec.detail);
	f = fopen(p, "r");
	CHECK(f != NULL && fgetc(f) == 't', "the text file is left as it was");
	if (f)
		fclose(f);
	snprintf(p, sizeof p, "%s/other.db", dir);
	sqlite3_open(p, &db);
	sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL);
	sqlite3_close(db);
	CHECK(index_open(ix, p, &o, &ec) == ERR_INDEX_SCHEMA &&
	    strstr(ec.detail, "not a repodigest search index") != NULL,
	    "another database: %s", ec.detail);
	snprintf(p, sizeof p, "%s/newer.db", dir);
	CHECK(index_open(ix, p, &o, &ec) == 0, "make one");
	sqlite3_exec(ix->db, "PRAGMA user_version = 99", NULL, NULL, NULL);
	index_close(ix);
	CHECK(index_open(ix, p, &o, &ec) == ERR_INDEX_SCHEMA &&
	    strstr(ec.detail, "newer") != NULL, "newer version: %s",
	    ec.detail);
	snprintf(p, sizeof p, "%s/older.db", dir);
	CHECK(index_open(ix, p, &o, &ec) == 0, "make one");
	sqlite3_exec(ix->db, "PRAGMA user_version = 1", NULL, NULL, NULL);
	index_close(ix);
	CHECK(index_open(ix, p, &o, &ec) == ERR_INDEX_SCHEMA &&
	    strstr(ec.detail, "older repodigest (version 1") != NULL,
	    "older version: %s", ec.detail);
	free(ix);
}

/* Several openers of one new file at once (the service's workers, each
 * with its connection): every one opens the index, one schema is made. */
enum { OPENERS = 4 };

struct opener {
	pthread_barrier_t *go;
	char path[300];
	int rc;
	char detail[200];
};

static void *
open_new(void *arg)
{
	struct opener *op = arg;
	struct index *ix = malloc(sizeof *ix);
	struct index_opts o = { 1, 0, INDEX_TOK_CODE };
	struct err_ctx ec;

	memset(&ec, 0, sizeof ec);
	pthread_barrier_wait(op->go);
	op->rc = ix == NULL ? ERR_NOMEM : index_open(ix, op->path, &o, &ec);
	snprintf(op->detail, sizeof op->detail, "%s", ec.detail);
	if (ix != NULL && op->rc == 0)
		index_close(ix);
	free(ix);
	return NULL;
}

static void
test_open_race(void)
{
	struct opener op[OPENERS];
	pthread_t th[OPENERS];
	pthread_barrier_t go;
	int ok = 0;

	for (int round = 0; round < 5; round++) {
		int n = 0;

		pthread_barrier_init(&go, NULL, OPENERS);
		for (int i = 0; i < OPENERS; i++) {
			op[i].go = &go;
			snprintf(op[i].path, sizeof op[i].path, "%s/race%d.db",
			    dir, round);
			op[i].rc = -1;
			op[i].detail[0] = '\0';
			if (pthread_create(&th[n], NULL, open_new, &op[i]) == 0)
				n++;
		}
		CHECK(n == OPENERS, "%d threads", n);
		for (int i = 0; i < n; i++)
			pthread_join(th[i], NULL);
		pthread_barrier_destroy(&go);
		for (int i = 0; i < n; i++) {
			ok += op[i].rc == 0;
			if (op[i].rc != 0)
				fprintf(stderr, "round %d opener %d: %d %s\n",
				    round, i, op[i].rc, op[i].detail);
		}
	}
	CHECK(ok == 5 * OPENERS, "%d of %d openings", ok, 5 * OPENERS);
}

/* The unicode61 tokenizer: the same index, identifiers whole. */
static void
test_unicode61(void)
{
	struct index *ix = malloc(sizeof *ix);
	struct index_opts o = { 1, 0, INDEX_TOK_UNICODE61 };
	struct index_stats st;
	struct err_ctx ec;
	struct hits r;
	char p[300];

	memset(&ec, 0, sizeof ec);
	snprintf(p, sizeof p, "%s/u61.db", dir);
	CHECK(index_open(ix, p, &o, &ec) == 0, "unicode61 index");
	CHECK(strcmp(index_tokenizer(ix), "unicode61") == 0, "spec");
	CHECK(add_repo(ix, "p", "o/r", repo1, &st) == 0, "add");
	CHECK(query(ix, "HTTPServer", 10, NULL, &r) == 0 &&
	    strcmp(r.paths, "lib/client.py") == 0, "whole name: %s", r.paths);
	CHECK(query(ix, "http server", 11, NULL, &r) == 0 && r.n == 0,
	    "unicode61 keeps HTTPServer whole: %s", r.paths);
	index_close(ix);
	free(ix);
}


/* ------------------------------------------------------------ top k */

/* A small deterministic generator (xorshift), so a failure repeats. */
static uint64_t rng = 88172645463325252ull;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Words by a Zipf-like law: word i about 1/(i+1) as often as word 0, so
 * a few are in most chunks (bm25 clamps their idf) and most are rare. */
#define NWORDS 600
static char words[NWORDS][16];

static const char *
word(void)
{
	/* inverse of the harmonic cumulative, roughly: exp(u * ln N) - 1 */
	double u = (double)(rnd() % 1000000) / 1e6;
	size_t i = (size_t)(exp(u * log((double)NWORDS + 1)) - 1.0);

	return words[i < NWORDS ? i : NWORDS - 1];
}

/* One answer: ids and scores. */
struct ans {
	int n;
	char id[64][33];
	double score[64];
	char file[64][96];              /* repo and path */
};

static int
ans_hit(void *ctx, const struct index_hit *h)
{
	struct ans *a = ctx;

	if (a->n < 64) {
		snprintf(a->id[a->n], sizeof a->id[0], "%s", h->id);
		snprintf(a->file[a->n], sizeof a->file[0], "%s %s", h->repo,
		    h->path);
		a->score[a->n++] = h->score;
	}
	return 0;
}

/* Add repository r of the corpus; round 1 changes a third of the files
 * and drops every seventh (FTS5's counts after deletions). */
static int
add_corpus(struct index *ix, int r, int round)
{
	static char text[4096], p[64], repo[16];
	struct err_ctx ec;
	char id[33];
	int e;

	memset(&ec, 0, sizeof ec);
	snprintf(repo, sizeof repo, "o/r%d", r);
	if ((e = index_repo_begin(ix, r == 2 ? "other" : "p", repo, "", "c",
	    &ec)) != 0)
		return e;
	rng = 0x9e3779b97f4a7c15ull + (uint64_t)r;
	for (int f = 0; f < 120; f++) {
		int nch = 1 + (int)(rnd() % 3);
		snprintf(p, sizeof p, "%s/%s_%s.%s", word(), word(), word(),
		    f % 3 ? "c" : "py");
		for (int c = 0; c < nch; c++) {
			size_t len = 0;
			int nw = 3 + (int)(rnd() % 120);
			for (int w = 0; w < nw; w++)
				len += (size_t)snprintf(text + len, sizeof text - len,
				    "%s%s", word(), w % 9 == 8 ? "\n" : " ");
			if (round == 1 && f % 3 == 0)
				len += (size_t)snprintf(text + len, sizeof text - len,
				    "changed %s", word());
			if (round == 1 && f % 7 == 0)
				continue;
			struct index_chunk ch = chunk(p, (uint64_t)c, text, id);
			if ((e = index_repo_chunk(ix, &ch, &ec)) != 0)
				return e;
		}
	}
	return index_repo_end(ix, NULL, &ec);
}

/* The most chunks of one file in a. */
static int
most_of_a_file(const struct ans *a)
{
	int most = 0;

	for (int i = 0; i < a->n; i++) {
		int same = 0;
		for (int j = 0; j < a->n; j++)
			same += strcmp(a->file[i], a->file[j]) == 0;
		most = same > most ? same : most;
	}
	return most;
}

/* Random queries both ways (with and without a cap on a file's chunks):
 * every answer the same, the cap kept. */
static void
compare_topk(struct index *ix, int nq, unsigned *pruned, unsigned *rounds2,
    unsigned *capped)
{
	static struct ans a, b;
	struct index_terms *t = malloc(sizeof *t);
	struct index_filter f;
	struct err_ctx ec;
	char q[1024];
	static const size_t ks[] = { 1, 3, 10, 50 };
	int bad = 0;

	for (int i = 0; i < nq && t != NULL; i++) {
		size_t len = 0, k = ks[i % 4];
		int nw = 1 + (int)(rnd() % 18);
		for (int w = 0; w < nw; w++)
			len += (size_t)snprintf(q + len, sizeof q - len, "%s ",
			    word());
		memset(&f, 0, sizeof f);
		if (i % 5 == 3)
			f.project = "p";
		if (i % 5 == 4)
			f.path_glob = "*.py";
		f.per_file = (size_t)(i / 4 % 4);
		memset(&ec, 0, sizeof ec);
		index_terms(ix, (const uint8_t *)q, len, t);
		a.n = b.n = 0;
		if (index_query(ix, t, &f, k, ans_hit, &a, &ec) != 0 ||
		    index_query_full(ix, t, &f, k, ans_hit, &b, &ec) != 0) {
			CHECK(0, "query %d: %s", i, ec.detail);
			bad++;
			continue;
		}
		if (ix->last.scored < ix->last.postings)
			(*pruned)++;
		if (ix->last.rounds >= 2)
			(*rounds2)++;
		if (f.per_file > 0) {
			int most = most_of_a_file(&a);
			CHECK(most <= (int)f.per_file, "query %d: %d chunks of "
			    "a file, cap %zu", i, most, f.per_file);
			/* the cap was reached with k filled: in play */
			*capped += (size_t)most == f.per_file && a.n == (int)k;
		}
		int same = a.n == b.n;
		for (int j = 0; same && j < a.n; j++)
			same = strcmp(a.id[j], b.id[j]) == 0 &&
			    a.score[j] == b.score[j];
		if (!same && bad++ < 5)
			CHECK(0, "query \"%s\" k %zu: %d results (%s %.17g), "
			    "full %d (%s %.17g)", q, k, a.n, a.n ? a.id[0] : "",
			    a.n ? a.score[0] : 0.0, b.n, b.n ? b.id[0] : "",
			    b.n ? b.score[0] : 0.0);
	}
	CHECK(bad == 0, "%d of %d queries differ from the full evaluation",
	    bad, nq);
	free(t);
}

static void
test_topk(void)
{
	struct index *ix = malloc(sizeof *ix), *rd = malloc(sizeof *rd);
	struct index_opts o = { 1, 0, INDEX_TOK_CODE }, ro = { 0, 1, 0 };
	struct err_ctx ec;
	unsigned pruned = 0, rounds2 = 0, capped = 0;
	char p[300];

	for (int i = 0; i < NWORDS; i++) {
		/* identifiers and words: wordN, some camelCase, some with _ */
		snprintf(words[i], sizeof words[i], i % 11 == 5 ? "getW%dx" :
		    i % 13 == 7 ? "w_%d" : "w%da", i);
	}
	snprintf(p, sizeof p, "%s/topk.db", dir);
	memset(&ec, 0, sizeof ec);
	CHECK(index_open(ix, p, &o, &ec) == 0, "create: %s", ec.detail);
	/* a first round of a few rows, as one of thousands is in a large
	 * index: the later rounds are exercised */
	ix->rank.first_rows = 24;
	for (int r = 0; r < 3; r++)
		CHECK(add_corpus(ix, r, 0) == 0, "corpus %d", r);
	compare_topk(ix, 200, &pruned, &rounds2, &capped);
	/* a reader of its own (a service's): its kept counts (rank.h) are
	 * dropped when the writer commits */
	CHECK(index_open(rd, p, &ro, &ec) == 0, "open reader: %s", ec.detail);
	rd->rank.first_rows = 24;
	compare_topk(rd, 100, &pruned, &rounds2, &capped);
	CHECK(ix->rank.counts.n > 20 && rd->rank.counts.n > 20,
	    "counts kept: writer %zu, reader %zu", ix->rank.counts.n,
	    rd->rank.counts.n);
	for (int r = 0; r < 3; r++)
		CHECK(add_corpus(ix, r, 1) == 0, "corpus %d again", r);
	/* the writer's own changes drop its kept counts; the reader's go
	 * with the other connection's commits */
	compare_topk(ix, 200, &pruned, &rounds2, &capped);
	compare_topk(rd, 100, &pruned, &rounds2, &capped);
	CHECK(add_corpus(ix, 1, 0) == 0, "corpus 1 as first");
	compare_topk(rd, 100, &pruned, &rounds2, &capped);
	index_close(rd);
	free(rd);
	/* the comparison is worth something only if the ranking skipped
	 * rows and took terms in more than one round */
	CHECK(pruned > 100 && rounds2 > 20, "pruned %u, two rounds %u", pruned,
	    rounds2);
	/* and the cap only if it was reached with k filled */
	CHECK(capped > 20, "queries with the cap reached %u", capped);
	index_close(ix);
	free(ix);
}

int
main(void)
{
	struct index *ix = malloc(sizeof *ix);
	struct index_opts o = { 1, 0, INDEX_TOK_CODE };
	struct err_ctx ec;
	char cmd[300];

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof path, "%s/index.db", dir);
	memset(&ec, 0, sizeof ec);
	CHECK(index_open(ix, path, &o, &ec) == 0, "create: %s", ec.detail);
	CHECK(strcmp(index_tokenizer(ix), "code one") == 0, "tokenizer");
	test_add_and_find(ix);
	test_reindex(ix);
	test_filters_and_delete(ix);
	test_hostile(ix);
	test_concurrent(ix);
	test_text(ix);
	index_close(ix);
	free(ix);
	test_open_errors();
	test_open_race();
	test_unicode61();
	test_topk();
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return T_DONE();
}
