/*
 * test_feed.c - feed parser: the sample feed (exact jobs), every file in
 * tests/data/feeds/bad/ with its exact outcome (fatal code, or each skipped
 * record's index, identity and reason), inline hostile records (NUL and
 * surrogate escapes, duplicate keys, huge fields, deep nesting, trailing
 * data), the same inputs pushed byte by byte and cut at every offset, the
 * strict JSON grammar, growth past every first allocation and the record
 * limit, and tables for the url, name and timestamp checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "feed.h"
#include "t.h"
#include "../common/slurp.h"

/* ------------------------------------------------------------ harness */

#define MAX_SKIPS 64
#define FEED_FILE_MAX (16u << 20)    /* the feeds under tests/data: 16 KB */

struct skips {
	size_t n;
	size_t index[MAX_SKIPS];
	char who[MAX_SKIPS][160];
	char reason[MAX_SKIPS][128];
};

static void
on_skip(void *ctx, size_t index, const char *who, const char *reason)
{
	struct skips *s = ctx;

	if (s->n < MAX_SKIPS) {
		s->index[s->n] = index;
		snprintf(s->who[s->n], sizeof s->who[0], "%s", who);
		snprintf(s->reason[s->n], sizeof s->reason[0], "%s", reason);
	}
	s->n++;
}

struct run {
	int rc;
	struct feed_list list;
	struct feed_job *jobs;          /* list's, for short checks */
	size_t njobs, nrec;
	struct skips sk;
	struct err_ctx ec;
};

static void
run_done(struct run *r)
{
	r->jobs = r->list.jobs;
	r->njobs = r->list.njobs;
	r->nrec = r->list.nrecords;
}

static void
run_mem(struct run *r, const char *p, size_t n)
{
	memset(r, 0, sizeof *r);
	r->rc = feed_parse(p, n, &r->list, on_skip, &r->sk, &r->ec);
	run_done(r);
}

/*
 * The same input pushed in pieces: first cut at `cut`, then pieces of
 * `step` bytes (1: byte by byte).
 */
static void
run_split(struct run *r, const char *p, size_t n, size_t cut, size_t step)
{
	struct feed_parser *fp = malloc(sizeof *fp);

	memset(r, 0, sizeof *r);
	if (fp == NULL) {
		r->rc = -1;
		return;
	}
	feed_init(fp, on_skip, &r->sk);
	if (cut > n)
		cut = n;
	feed_push(fp, p, cut);
	for (size_t i = cut; i < n; i += step)
		feed_push(fp, p + i, n - i < step ? n - i : step);
	r->rc = feed_end(fp, &r->list, &r->ec);
	run_done(r);
	free(fp);
}

static void
run_free(struct run *r)
{
	feed_list_free(&r->list);
	r->jobs = NULL;
}

/* Two parses of one input agree on everything: code, offset, jobs, skips. */
static int
same_run(const struct run *a, const struct run *b)
{
	if (a->rc != b->rc || a->njobs != b->njobs || a->nrec != b->nrec ||
	    a->sk.n != b->sk.n || a->ec.has_offset != b->ec.has_offset ||
	    (a->ec.has_offset && a->ec.offset != b->ec.offset) ||
	    strcmp(a->ec.detail, b->ec.detail) != 0)
		return 0;
	for (size_t i = 0; i < a->njobs; i++) {
		const struct feed_job *x = &a->jobs[i], *y = &b->jobs[i];
		if (x->index != y->index || x->has_pushed_at != y->has_pushed_at ||
		    strcmp(x->owner, y->owner) || strcmp(x->repo, y->repo) ||
		    strcmp(x->url, y->url) || strcmp(x->pushed_at, y->pushed_at))
			return 0;
	}
	for (size_t i = 0; i < a->sk.n && i < MAX_SKIPS; i++)
		if (a->sk.index[i] != b->sk.index[i] ||
		    strcmp(a->sk.who[i], b->sk.who[i]) ||
		    strcmp(a->sk.reason[i], b->sk.reason[i]))
			return 0;
	return 1;
}

/*
 * Push p[0..n) whole, byte by byte, and cut in two at every offset (pieces
 * of 7 after the cut): every way must give the same result.
 */
static void
check_splits(const char *name, const char *p, size_t n)
{
	struct run whole, part;
	size_t bad = 0, at = 0;

	run_mem(&whole, p, n);
	run_split(&part, p, n, 0, 1);
	CHECK(same_run(&whole, &part), "%s: byte by byte differs", name);
	run_free(&part);
	for (size_t cut = 0; cut <= n; cut++) {
		run_split(&part, p, n, cut, 7);
		if (!same_run(&whole, &part) && bad++ == 0)
			at = cut;
		run_free(&part);
	}
	CHECK(bad == 0, "%s: %zu of %zu cuts differ (first at %zu)", name,
	    bad, n + 1, at);
	run_free(&whole);
}

static int
run_file(struct run *r, const char *rel)
{
	size_t n;
	char *p = (char *)slurp_data("feeds", rel, FEED_FILE_MAX, &n);

	CHECK(p != NULL, "read %s", rel);
	if (p == NULL)
		return 0;
	run_mem(r, p, n);
	free(p);
	return 1;
}

static void
run_str(struct run *r, const char *s)
{
	run_mem(r, s, strlen(s));
}

/* One expected skip: index, who, reason. */
struct want {
	size_t index;
	const char *who, *reason;
};

static void
check_skips(const struct run *r, const char *name, const struct want *w,
    size_t nw)
{
	CHECK(r->sk.n == nw, "%s: %zu skips, want %zu", name, r->sk.n, nw);
	for (size_t i = 0; i < nw && i < r->sk.n; i++) {
		CHECK(r->sk.index[i] == w[i].index, "%s: skip %zu index %zu",
		    name, i, r->sk.index[i]);
		CHECK(strcmp(r->sk.who[i], w[i].who) == 0,
		    "%s: skip %zu who \"%s\"", name, i, r->sk.who[i]);
		CHECK(strcmp(r->sk.reason[i], w[i].reason) == 0,
		    "%s: skip %zu reason \"%s\", want \"%s\"", name, i,
		    r->sk.reason[i], w[i].reason);
	}
}

#define NW(a) (sizeof(a) / sizeof((a)[0]))
#define BADURL "url is not https://github.com/OWNER/NAME"

/* ------------------------------------------------------------ sample */

static void
test_sample(void)
{
	struct run r;
	const struct feed_job *j;
	static const struct want w[] = {
		{ 27, "sample-research-lab/climate-model",
		    "duplicate of record 24" },
		{ 28, "sample-research-lab/paper-2021-code",
		    "duplicate of record 25" },
		{ 29, "sample-research-lab/UPPERCASE-REPO",
		    "duplicate of record 26" },
	};

	if (!run_file(&r, "sample-repos.json"))
		return;
	CHECK(r.rc == ERR_OK, "rc %d", r.rc);
	/* README: 30 records, the 3-record sample-research-lab block twice */
	CHECK(r.nrec == 30, "records %zu", r.nrec);
	CHECK(r.njobs == 27, "jobs %zu", r.njobs);
	check_skips(&r, "sample", w, NW(w));
	for (size_t i = 0; i < r.njobs; i++)
		CHECK(r.jobs[i].index == i, "job %zu index %zu", i,
		    r.jobs[i].index);
	if (r.njobs != 27) {
		run_free(&r);
		return;
	}
	j = &r.jobs[0];
	CHECK(strcmp(j->owner, "example-dept") == 0 &&
	    strcmp(j->repo, "frontend-toolkit") == 0 &&
	    strcmp(j->url, "https://github.com/example-dept/frontend-toolkit")
	    == 0 && j->has_pushed_at &&
	    strcmp(j->pushed_at, "2026-03-20T17:44:18Z") == 0, "job 0");
	j = &r.jobs[4];
	CHECK(strcmp(j->repo, ".github") == 0, "leading dot %s", j->repo);
	j = &r.jobs[15];
	CHECK(strcmp(j->owner, "SampleAgency") == 0 &&
	    strcmp(j->repo, "Case.Management.API") == 0, "mixed case %s/%s",
	    j->owner, j->repo);
	j = &r.jobs[18];
	CHECK(strcmp(j->repo, "hello-world") == 0 && !j->has_pushed_at &&
	    j->pushed_at[0] == '\0', "null pushedAt %s", j->repo);
	j = &r.jobs[22];
	CHECK(strcmp(j->repo, "111-online-triage") == 0, "digit %s", j->repo);
	j = &r.jobs[26];
	CHECK(strcmp(j->repo, "UPPERCASE-REPO") == 0 &&
	    strcmp(j->pushed_at, "2019-09-10T08:30:00Z") == 0, "last %s",
	    j->repo);
	run_free(&r);
}

/* ------------------------------------------------------------ bad/ */

static void
test_bad_fatal(void)
{
	struct run r;

	/* stops inside the second record: whole feed rejected */
	if (run_file(&r, "bad/truncated.json")) {
		CHECK(r.rc == ERR_FEED_JSON, "truncated rc %d", r.rc);
		CHECK(r.jobs == NULL && r.njobs == 0 && r.nrec == 0 &&
		    r.sk.n == 0, "truncated: no output");
		CHECK(r.ec.has_offset && r.ec.offset > 600, "offset %llu",
		    (unsigned long long)r.ec.offset);
	}
	/* {"repos": [...], "count": 2} */
	if (run_file(&r, "bad/top-level-object.json")) {
		CHECK(r.rc == ERR_FEED_NOT_ARRAY, "object rc %d", r.rc);
		CHECK(strcmp(r.ec.detail, "top level is object") == 0, "%s",
		    r.ec.detail);
		CHECK(r.jobs == NULL && r.sk.n == 0, "object: no output");
	}
}

static void
test_bad_records(void)
{
	struct run r;
	static const struct want utf8[] = {
		/* raw C3 28, C0 AF, FF, E2 82 in name, description, url */
		{ 0, "sample-council", "invalid UTF-8 in name" },
		/* "\ud800" in the description: cJSON alone rejects the feed */
		{ 1, "sample-council/lone-surrogate",
		    "lone UTF-16 surrogate escape in description" },
	};
	static const struct want types[] = {
		{ 0, "example-dept/number-url", "wrong type for url (number)" },
		{ 1, "example-dept/number-pushedat",
		    "wrong type for pushedAt (number)" },
		{ 2, "", "wrong type for owner (array)" },
		{ 3, "example-dept", "wrong type for name (object)" },
		{ 5, "example-dept/bool-pushedat",
		    "wrong type for pushedAt (boolean)" },
		{ 6, "", "record is not an object (string)" },
		{ 7, "", "record is not an object (null)" },
		{ 8, "", "record is not an object (number)" },
	};
	static const struct want missing[] = {
		{ 0, "sample-council/no-url", "missing url" },
		{ 1, "sample-council/null-url", "missing url" },
		{ 2, "sample-council/empty-url", "empty url" },
	};
	static const struct want trav[] = {
		{ 0, "example-dept", "unsafe name" },
		{ 1, "", "unsafe owner" },
		{ 2, "example-dept", "unsafe name" },
		{ 3, "example-dept", "unsafe name" },
		{ 4, "example-dept", "unsafe name" },
		/* "\u0000" in name and url: said as what it is */
		{ 5, "example-dept", "NUL character (U+0000) in name" },
		{ 6, "example-dept", "unsafe name" },
		{ 7, "", "unsafe owner" },
	};
	static const struct want host[] = {
		{ 0, "example-dept/on-gitlab", BADURL },
		{ 1, "example-dept/lookalike", BADURL },
		{ 2, "example-dept/userinfo", BADURL },
		{ 3, "example-dept/plain-http", BADURL },
		{ 4, "example-dept/file-scheme", BADURL },
		{ 5, "example-dept/ip-literal", BADURL },
		{ 6, "example-dept/port", BADURL },
		{ 7, "example-dept/mismatch", BADURL },
	};
	static const struct want huge[] = {
		{ 0, "example-dept", "unsafe name" },
	};

	if (run_file(&r, "bad/invalid-utf8.json")) {
		CHECK(r.rc == ERR_OK && r.nrec == 2 && r.njobs == 0,
		    "utf8 rc %d rec %zu jobs %zu", r.rc, r.nrec, r.njobs);
		check_skips(&r, "invalid-utf8", utf8, NW(utf8));
		run_free(&r);
	}
	if (run_file(&r, "bad/wrong-types.json")) {
		CHECK(r.rc == ERR_OK && r.nrec == 9 && r.njobs == 1,
		    "types rc %d rec %zu jobs %zu", r.rc, r.nrec, r.njobs);
		check_skips(&r, "wrong-types", types, NW(types));
		CHECK(r.njobs == 1 && r.jobs[0].index == 4 &&
		    strcmp(r.jobs[0].repo, "string-archived") == 0,
		    "unused wrong types ignored");
		run_free(&r);
	}
	if (run_file(&r, "bad/missing-url.json")) {
		CHECK(r.rc == ERR_OK && r.nrec == 4 && r.njobs == 1,
		    "missing rc %d rec %zu jobs %zu", r.rc, r.nrec, r.njobs);
		check_skips(&r, "missing-url", missing, NW(missing));
		CHECK(r.njobs == 1 && r.jobs[0].index == 3 &&
		    strcmp(r.jobs[0].owner, "sample-council") == 0 &&
		    strcmp(r.jobs[0].repo, "ok-repo") == 0, "ok-repo kept");
		run_free(&r);
	}
	if (run_file(&r, "bad/path-traversal.json")) {
		CHECK(r.rc == ERR_OK && r.nrec == 8 && r.njobs == 0,
		    "trav rc %d rec %zu jobs %zu", r.rc, r.nrec, r.njobs);
		check_skips(&r, "path-traversal", trav, NW(trav));
		run_free(&r);
	}
	if (run_file(&r, "bad/non-github-host.json")) {
		CHECK(r.rc == ERR_OK && r.nrec == 8 && r.njobs == 0,
		    "host rc %d rec %zu jobs %zu", r.rc, r.nrec, r.njobs);
		check_skips(&r, "non-github-host", host, NW(host));
		run_free(&r);
	}
	if (run_file(&r, "bad/huge-string.json")) {
		CHECK(r.rc == ERR_OK && r.nrec == 1 && r.njobs == 0,
		    "huge rc %d rec %zu jobs %zu", r.rc, r.nrec, r.njobs);
		check_skips(&r, "huge-string", huge, NW(huge));
		run_free(&r);
	}
}

/* ------------------------------------------------------------ inline */

#define REC(o, n, u, extra) \
	"{\"owner\":\"" o "\",\"name\":\"" n "\",\"url\":\"" u "\"" extra "}"

static void
test_inline(void)
{
	struct run r;
	static char big[1 << 16];
	char *p;
	size_t n, k;

	/* both producer timestamp forms, verbatim; a missing pushedAt */
	run_str(&r, "[" REC("a", "b", "https://github.com/a/b",
	    ",\"pushedAt\":\"2015-02-19T22:33:33.000Z\"") ","
	    REC("a", "c", "https://github.com/a/c",
	    ",\"pushedAt\":\"2015-02-19T22:33:33Z\"") ","
	    REC("a", "d", "https://github.com/a/d", "") "]");
	CHECK(r.rc == ERR_OK && r.njobs == 3, "forms rc %d jobs %zu", r.rc,
	    r.njobs);
	if (r.njobs == 3) {
		CHECK(strcmp(r.jobs[0].pushed_at,
		    "2015-02-19T22:33:33.000Z") == 0, "ms form");
		CHECK(strcmp(r.jobs[1].pushed_at, "2015-02-19T22:33:33Z") == 0,
		    "s form");
		CHECK(!r.jobs[2].has_pushed_at && r.jobs[2].pushed_at[0] == 0,
		    "missing pushedAt");
	}
	run_free(&r);

	/* duplicates compared case-insensitively; the first is kept */
	run_str(&r, "[" REC("Org", "Repo", "https://github.com/Org/Repo", "")
	    "," REC("a", "b", "https://github.com/a/b", "") ","
	    REC("ORG", "repo", "https://github.com/org/REPO.git", "") "]");
	{
		static const struct want w[] = {
			{ 2, "ORG/repo", "duplicate of record 0" },
		};
		CHECK(r.rc == ERR_OK && r.njobs == 2, "dup jobs %zu", r.njobs);
		check_skips(&r, "dup", w, NW(w));
		if (r.njobs == 2)
			CHECK(strcmp(r.jobs[0].owner, "Org") == 0 &&
			    strcmp(r.jobs[0].url, "https://github.com/Org/Repo")
			    == 0, "first kept verbatim");
	}
	run_free(&r);

	/* hostile records, one problem each */
	run_str(&r, "["
	    REC("a", "b", "https://github.com/a/b", ",\"url\":\"x\"") ","
	    REC("a", "n\\u0000", "https://github.com/a/n", "") ","
	    REC("a", "b", "https://github.com/a/b",
	    ",\"description\":\"\\udc00 low alone\"") ","
	    REC("a", "b", "https://github.com/a/b",
	    ",\"description\":\"\\ud800\\u0041 high then A\"") ","
	    REC("a", "e", "https://github.com/a/e",
	    ",\"pushedAt\":\"2026-01-01T00:00:00Z\\r\\nX-Evil: 1\"") ","
	    REC("a", "f", "https://github.com/a/f", ",\"pushedAt\":\"\"") ","
	    REC("a", "g", "https://github.com/a/g",
	    ",\"x\":{\"y\":[\"\\u0000\"]}") ","
	    "{\"owner\":\"\",\"name\":\"h\",\"url\":\"u\"},"
	    "{\"name\":\"i\",\"url\":\"u\"},"
	    REC("a", "j", "https://github.com/a/j",
	    ",\"description\":\"pair \\ud83d\\ude00 ok\","
	    "\"Owner\":[1],\"pushedAt\":null") ","
	    /* the worst reason of a member wins (bad bytes over a lone
	     * surrogate over a NUL), in a key as in a value */
	    REC("a", "k", "https://github.com/a/k",
	    ",\"d\":[\"\\u0000\",\"\\udc00\"]") ","
	    REC("a", "l", "https://github.com/a/l",
	    ",\"d\":[\"\\u0000\xff\"]") ","
	    REC("a", "m", "https://github.com/a/m", ",\"k\\u0000\":1") ","
	    REC("a", "n", "https://github.com/a/n",
	    ",\"d\":\"\xc3\\u0000\"") "]");
	{
		static const struct want w[] = {
			{ 0, "a/b", "url given twice" },
			{ 1, "a", "NUL character (U+0000) in name" },
			{ 2, "a/b", "lone UTF-16 surrogate escape in "
			    "description" },
			{ 3, "a/b", "lone UTF-16 surrogate escape in "
			    "description" },
			{ 4, "a/e", "pushedAt is not an ISO 8601 timestamp" },
			{ 5, "a/f", "pushedAt is not an ISO 8601 timestamp" },
			{ 6, "a/g", "NUL character (U+0000) in x" },
			{ 7, "", "empty owner" },
			{ 8, "", "missing owner" },
			{ 10, "a/k", "lone UTF-16 surrogate escape in d" },
			{ 11, "a/l", "invalid UTF-8 in d" },
			{ 12, "a/m", "NUL character (U+0000) in a field name" },
			{ 13, "a/n", "invalid UTF-8 in d" },
		};
		CHECK(r.rc == ERR_OK && r.nrec == 14 && r.njobs == 1,
		    "hostile rc %d rec %zu jobs %zu", r.rc, r.nrec, r.njobs);
		check_skips(&r, "hostile", w, NW(w));
		if (r.njobs == 1)
			CHECK(r.jobs[0].index == 9 && !r.jobs[0].has_pushed_at,
			    "valid pair and unknown fields kept");
	}
	run_free(&r);

	/* a raw NUL byte inside a string must not cut the name */
	{
		static const char raw[] = "[" REC("a", "b\0c",
		    "https://github.com/a/b", "") "]";
		static const struct want w[] = {
			{ 0, "a", "NUL character (U+0000) in name" },
		};
		run_mem(&r, raw, sizeof raw - 1);
		CHECK(r.rc == ERR_OK && r.njobs == 0, "raw nul jobs %zu",
		    r.njobs);
		check_skips(&r, "raw-nul", w, NW(w));
		run_free(&r);
	}

	/* whole-feed errors */
	run_str(&r, "");
	CHECK(r.rc == ERR_FEED_JSON, "empty rc %d", r.rc);
	run_str(&r, "   ");
	CHECK(r.rc == ERR_FEED_JSON, "blank rc %d", r.rc);
	run_str(&r, "[] x");
	CHECK(r.rc == ERR_FEED_JSON && r.ec.has_offset && r.ec.offset == 3,
	    "trailing rc %d off %llu", r.rc, (unsigned long long)r.ec.offset);
	run_str(&r, "\"repos\"");
	CHECK(r.rc == ERR_FEED_NOT_ARRAY, "string rc %d", r.rc);
	run_str(&r, "null");
	CHECK(r.rc == ERR_FEED_NOT_ARRAY, "null rc %d", r.rc);
	/* cJSON 1.7.15 read past the end here (fuzz_feed); kept */
	run_str(&r, "[{\"a\":1,");
	CHECK(r.rc == ERR_FEED_JSON, "object comma at end rc %d", r.rc);
	run_str(&r, "[1,]");
	CHECK(r.rc == ERR_FEED_JSON && r.ec.offset == 3, "comma off %llu",
	    (unsigned long long)r.ec.offset);
	run_mem(&r, big, FEED_MAX_BYTES + 1);   /* refused before reading */
	CHECK(r.rc == ERR_FEED_TOO_BIG, "too big rc %d", r.rc);
	run_str(&r, "[]\n");
	CHECK(r.rc == ERR_OK && r.nrec == 0 && r.njobs == 0 &&
	    r.jobs == NULL, "empty array");

	/* nesting: 1001 levels is cJSON's limit; 900 inside a record is ok */
	memset(big, '[', 1001);
	memset(big + 1001, ']', 1001);
	run_mem(&r, big, 2002);
	CHECK(r.rc == ERR_FEED_JSON, "deep rc %d", r.rc);
	n = (size_t)snprintf(big, sizeof big, "[{\"owner\":\"a\",\"name\":"
	    "\"b\",\"url\":\"https://github.com/a/b\",\"x\":");
	for (k = 0; k < 900; k++)
		big[n++] = '[';
	for (k = 0; k < 900; k++)
		big[n++] = ']';
	memcpy(big + n, "}]", 2);
	run_mem(&r, big, n + 2);
	CHECK(r.rc == ERR_OK && r.njobs == 1, "900 deep rc %d", r.rc);
	run_free(&r);

	/* 10 MB description ignored; 10 MB owner refused, never copied */
	n = 10u << 20;
	p = malloc(2 * n + 256);
	if (p != NULL) {
		static const struct want w[] = {
			{ 1, "", "unsafe owner" },
		};
		size_t m = (size_t)sprintf(p, "[" REC("a", "b",
		    "https://github.com/a/b", ",\"description\":\""));
		memset(p + m, 'x', n);
		m += n;
		m += (size_t)sprintf(p + m, "\"},{\"owner\":\"");
		memset(p + m, 'y', n);
		m += n;
		m += (size_t)sprintf(p + m,
		    "\",\"name\":\"b\",\"url\":\"u\"}]");
		run_mem(&r, p, m);
		CHECK(r.rc == ERR_OK && r.njobs == 1, "10 MB rc %d jobs %zu",
		    r.rc, r.njobs);
		check_skips(&r, "10mb", w, NW(w));
		run_free(&r);
		free(p);
	}
}


/* ------------------------------------------------------------ stream */

/*
 * Every feed under tests/data and the hostile inline ones, pushed whole, byte by
 * byte and cut at every offset: the push parser must not care where a read
 * ends (inside an escape, a surrogate pair, a UTF-8 sequence, a number, a
 * literal, the BOM).
 */
static void
test_splits(void)
{
	static const char *const files[] = {
		"sample-repos.json", "bad/truncated.json",
		"bad/top-level-object.json", "bad/invalid-utf8.json",
		"bad/wrong-types.json", "bad/missing-url.json",
		"bad/path-traversal.json", "bad/non-github-host.json",
	};
	static const char *const inl[] = {
		"\xef\xbb\xbf[" REC("a", "b", "https://github.com/a/b",
		    ",\"d\":\"caf\\u00e9 \\ud83d\\ude00 \xf0\x9f\x98\x80\","
		    "\"n\":[-1.5e+3,0,true,false,null,{}]") "]",
		"[" REC("a", "n\\u0000", "https://github.com/a/n", "") ","
		    REC("a", "b", "https://github.com/a/b",
		    ",\"d\":\"\\ud800\\u0041\",\"e\":\"\\udc00\"") ","
		    REC("a", "c", "https://github.com/a/c", ",\"pushedAt\":"
		    "\"2015-02-19T22:33:33.000Z\"") ",7,\"x\",[1]]",
		"[" REC("a", "b", "https://github.com/a/b", "") ",1.",
		"[{\"owner\":\"a\\u00\"}]",
	};

	for (size_t i = 0; i < NW(files); i++) {
		size_t n;
		char *p = (char *)slurp_data("feeds", files[i],
		    FEED_FILE_MAX, &n);
		CHECK(p != NULL, "read %s", files[i]);
		if (p == NULL)
			continue;
		check_splits(files[i], p, n);
		free(p);
	}
	for (size_t i = 0; i < NW(inl); i++) {
		char name[32];
		snprintf(name, sizeof name, "inline %zu", i);
		check_splits(name, inl[i], strlen(inl[i]));
	}
}

/* JSON as RFC 8259 has it: what cJSON let through is refused now. */
static void
test_strict(void)
{
	static const struct {
		const char *s;
		int rc;
	} t[] = {
		{ "[0, -0, 1.5, -2e10, 3E-2, 4e+1, 1e400]", ERR_OK },
		{ "\xef\xbb\xbf[]", ERR_OK },
		{ " \t\r\n[ ]\n", ERR_OK },
		{ "[01]", ERR_FEED_JSON },
		{ "[+1]", ERR_FEED_JSON },
		{ "[.5]", ERR_FEED_JSON },
		{ "[1.]", ERR_FEED_JSON },
		{ "[1e]", ERR_FEED_JSON },
		{ "[-]", ERR_FEED_JSON },
		{ "[tru]", ERR_FEED_JSON },
		{ "[nulll]", ERR_FEED_JSON },
		{ "[\"\\x\"]", ERR_FEED_JSON },
		{ "[\"\\u12G4\"]", ERR_FEED_JSON },
		{ "[}", ERR_FEED_JSON },
		{ "[{]", ERR_FEED_JSON },
		{ "[{\"a\" 1}]", ERR_FEED_JSON },
		{ "[{\"a\":1,}]", ERR_FEED_JSON },
		{ "[{1:2}]", ERR_FEED_JSON },
		{ "[1 2]", ERR_FEED_JSON },
		{ "[\f]", ERR_FEED_JSON },
		{ " \xef\xbb\xbf[]", ERR_FEED_JSON },
		{ "\xef\xbb[]", ERR_FEED_JSON },
		{ "[", ERR_FEED_JSON },
		{ "[\"abc", ERR_FEED_JSON },
		/* not an array: an object is known from its '{', the rest
		 * unread; any other value must be whole JSON to be named */
		{ "{", ERR_FEED_NOT_ARRAY },
		{ "{\"repos\": [}", ERR_FEED_NOT_ARRAY },
		{ "true", ERR_FEED_NOT_ARRAY },
		{ "-1", ERR_FEED_NOT_ARRAY },
		{ "x", ERR_FEED_JSON },
		{ "not json", ERR_FEED_JSON },
		{ "nul", ERR_FEED_JSON },
		{ "truex", ERR_FEED_JSON },
		{ "1.", ERR_FEED_JSON },
		{ "01", ERR_FEED_JSON },
		{ "\"abc", ERR_FEED_JSON },
		{ "\"a\" \"b\"", ERR_FEED_JSON },
	};
	struct run r;

	for (size_t i = 0; i < NW(t); i++) {
		run_mem(&r, t[i].s, strlen(t[i].s));
		CHECK(r.rc == t[i].rc, "strict \"%s\": rc %d, want %d", t[i].s,
		    r.rc, t[i].rc);
		run_free(&r);
	}
	/* the detail says what the feed is, and only when it is so: "not
	 * json" starts like null but is a syntax error where it stops being
	 * one; a number or literal followed by junk is junk */
	{
		static const struct {
			const char *s;
			int rc;
			const char *detail;
			long at;        /* offset, or -1 for none */
		} d[] = {
			{ "not json", ERR_FEED_JSON, "bad literal", 1 },
			{ "null", ERR_FEED_NOT_ARRAY, "top level is null", -1 },
			{ " false\n", ERR_FEED_NOT_ARRAY,
			    "top level is boolean", -1 },
			{ "-1.5e3", ERR_FEED_NOT_ARRAY, "top level is number",
			    -1 },
			{ "12 ", ERR_FEED_NOT_ARRAY, "top level is number", -1 },
			{ "123abc", ERR_FEED_JSON,
			    "data after the top-level value", 3 },
			{ "\"repos\"", ERR_FEED_NOT_ARRAY,
			    "top level is string", -1 },
			{ "{\"repos\": []}", ERR_FEED_NOT_ARRAY,
			    "top level is object", -1 },
			{ "<html>", ERR_FEED_JSON, "a value must start here", 0 },
			{ "nul", ERR_FEED_JSON, "truncated", 3 },
		};

		for (size_t i = 0; i < NW(d); i++) {
			run_mem(&r, d[i].s, strlen(d[i].s));
			CHECK(r.rc == d[i].rc && strcmp(r.ec.detail,
			    d[i].detail) == 0 && (d[i].at < 0 ?
			    !r.ec.has_offset : r.ec.has_offset &&
			    r.ec.offset == (uint64_t)d[i].at),
			    "\"%s\": rc %d, \"%s\" at %llu", d[i].s, r.rc,
			    r.ec.detail, (unsigned long long)r.ec.offset);
			run_free(&r);
		}
	}
	run_mem(&r, "[]\0", 3);        /* NUL is not whitespace */
	CHECK(r.rc == ERR_FEED_JSON && r.ec.offset == 2, "[] NUL: rc %d",
	    r.rc);
	run_mem(&r, "[1,2", 4);
	CHECK(r.rc == ERR_FEED_JSON && r.ec.has_offset && r.ec.offset == 4 &&
	    strcmp(r.ec.detail, "truncated") == 0, "truncated at %llu: %s",
	    (unsigned long long)r.ec.offset, r.ec.detail);
	/* records before the error were reported; nothing is returned */
	CHECK(r.sk.n == 1 && r.jobs == NULL && r.nrec == 0, "no output");
}

/*
 * Enough records to grow everything: the job array (1024 first), the
 * duplicate table (1024 slots first) and the string blocks (1 MiB each):
 * 6000 records of ~330 bytes of strings, a third of them duplicates in
 * another case. Every kept job's strings must survive the growth.
 */
static void
test_many(void)
{
	const size_t nrec = 6000;
	size_t cap = nrec * 400, n = 0, kept = 0, ok = 1;
	char *p = malloc(cap), name[101], owner[40];
	struct run r;

	CHECK(p != NULL, "alloc");
	if (p == NULL)
		return;
	p[n++] = '[';
	for (size_t i = 0; i < nrec; i++) {
		size_t k = i % 3 == 2 ? i - 1 : i;      /* repeats i - 1 */
		snprintf(owner, sizeof owner, "%s%0*zu", i % 3 == 2 ? "ORG" :
		    "org", 36, k % 1000);
		snprintf(name, sizeof name, "%0*zu", 100, k);
		n += (size_t)snprintf(p + n, cap - n, "%s{\"owner\":\"%s\","
		    "\"name\":\"%s\",\"url\":\"https://github.com/%s/%s\","
		    "\"pushedAt\":\"2026-01-01T00:00:00Z\"}", i ? "," : "",
		    owner, name, owner, name);
	}
	p[n++] = ']';
	run_mem(&r, p, n);
	CHECK(r.rc == ERR_OK && r.nrec == nrec && r.njobs == nrec / 3 * 2,
	    "many: rc %d rec %zu jobs %zu", r.rc, r.nrec, r.njobs);
	CHECK(r.sk.n == nrec / 3, "many: %zu skips", r.sk.n);
	for (size_t i = 0; i < r.njobs; i++) {
		size_t k = r.jobs[i].index;
		snprintf(owner, sizeof owner, "org%0*zu", 36, k % 1000);
		snprintf(name, sizeof name, "%0*zu", 100, k);
		ok &= k % 3 != 2 && strcmp(r.jobs[i].owner, owner) == 0 &&
		    strcmp(r.jobs[i].repo, name) == 0 &&
		    strncmp(r.jobs[i].url, "https://github.com/", 19) == 0 &&
		    strcmp(r.jobs[i].pushed_at, "2026-01-01T00:00:00Z") == 0;
		kept++;
	}
	CHECK(ok && kept == nrec / 3 * 2, "many: jobs intact");
	CHECK(r.sk.n > 0 && r.sk.index[0] == 2 &&
	    strcmp(r.sk.reason[0], "duplicate of record 1") == 0,
	    "many: first duplicate \"%s\"", r.sk.reason[0]);
	run_free(&r);

	/* FEED_MAX_RECORDS: one more record is refused, as it comes */
	free(p);
	n = 2 * (FEED_MAX_RECORDS + 1) + 1;
	if ((p = malloc(n)) == NULL)
		return;
	for (size_t i = 0; i < n - 1; i += 2)
		memcpy(p + i, i ? ",0" : "[0", 2);
	p[n - 1] = ']';
	run_mem(&r, p, n - 1 - 2);
	CHECK(r.rc == ERR_FEED_JSON, "limit - 1: rc %d (truncated)", r.rc);
	run_mem(&r, p, n);
	CHECK(r.rc == ERR_FEED_TOO_BIG, "over the record limit: rc %d", r.rc);
	free(p);
}

/* ------------------------------------------------------------ tables */

static void
test_url_table(void)
{
	static const struct {
		const char *owner, *repo, *url;
		int ok;
	} t[] = {
		{ "a", "b", "https://github.com/a/b", 1 },
		{ "a", "b", "https://github.com/a/b/", 1 },
		{ "a", "b", "https://github.com/a/b.git", 1 },
		{ "a", "b", "https://github.com/a/b.GIT", 1 },
		{ "Org", "Repo", "HTTPS://GitHub.COM/org/REPO", 1 },
		{ "a", "b.git", "https://github.com/a/b.git", 1 },
		{ "a", "b.git", "https://github.com/a/b.git.git", 1 },
		{ "a", "b", "https://github.com/a/b.git/", 0 },
		{ "a", "b", "https://github.com/a/b//", 0 },
		{ "a", "b", "https://github.com/a/b/tree/main", 0 },
		{ "a", "b", "https://github.com/a/b?x=1", 0 },
		{ "a", "b", "https://github.com/a/b#x", 0 },
		{ "a", "b", "https://github.com/a/bc", 0 },
		{ "a", "bc", "https://github.com/a/b", 0 },
		{ "a", "b", "https://github.com/a//b", 0 },
		{ "a", "b", "https://github.com/a/%62", 0 },
		{ "a", "b", "https://github.com/a/../a/b", 0 },
		{ "a", "b", "http://github.com/a/b", 0 },
		{ "a", "b", "https://www.github.com/a/b", 0 },
		{ "a", "b", "https://github.com:443/a/b", 0 },
		{ "a", "b", "https://x@github.com/a/b", 0 },
		{ "a", "b", "https://github.com@evil.example/a/b", 0 },
		{ "a", "b", "https://github.com.evil.example/a/b", 0 },
		{ "a", "b", "https://github.com/a/b ", 0 },
		{ "a", "b", " https://github.com/a/b", 0 },
		{ "a", "b", "https://github.com/a/b\\", 0 },
		{ "a", "b", "//github.com/a/b", 0 },
		{ "a", "b", "github.com/a/b", 0 },
		{ "a", "b", "", 0 },
	};

	for (size_t i = 0; i < NW(t); i++)
		CHECK(feed_check_url(t[i].owner, t[i].repo, t[i].url,
		    strlen(t[i].url)) == t[i].ok, "url %s/%s %s", t[i].owner,
		    t[i].repo, t[i].url);
	/* the length given wins over an embedded NUL */
	CHECK(!feed_check_url("a", "b", "https://github.com/a/b\0x", 24),
	    "embedded NUL");
}

static void
test_name_table(void)
{
	static const struct {
		const char *s;
		int owner, repo;
	} t[] = {
		{ "a", 1, 1 },
		{ "UKHomeOffice", 1, 1 },
		{ "DFE-Digital", 1, 1 },
		{ "123", 1, 1 },
		{ ".github", 0, 1 },
		{ "a.b_c-d", 0, 1 },
		{ ".", 0, 0 },
		{ "..", 0, 0 },
		{ "...", 0, 1 },
		{ "", 0, 0 },
		{ "a/b", 0, 0 },
		{ "a\\b", 0, 0 },
		{ "a b", 0, 0 },
		{ "%2e", 0, 0 },
		{ "caf\xc3\xa9", 0, 0 },
		{ "a\nb", 0, 0 },
		/* 39 and 40 characters */
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1, 1 },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0, 1 },
	};
	char r100[102];

	for (size_t i = 0; i < NW(t); i++) {
		CHECK(feed_check_owner(t[i].s, strlen(t[i].s)) == t[i].owner,
		    "owner \"%s\"", t[i].s);
		CHECK(feed_check_repo(t[i].s, strlen(t[i].s)) == t[i].repo,
		    "repo \"%s\"", t[i].s);
	}
	memset(r100, 'r', sizeof r100);
	CHECK(feed_check_repo(r100, 100) && !feed_check_repo(r100, 101),
	    "repo length 100/101");
}

static void
test_time_table(void)
{
	static const struct {
		const char *s;
		int ok;
	} t[] = {
		{ "2015-02-19T22:33:33Z", 1 },
		{ "2015-02-19T22:33:33.000Z", 1 },
		{ "2015-02-19T22:33:33.1Z", 1 },
		{ "2015-02-19T22:33:33.123456789Z", 1 },
		{ "2015-02-19T22:33:33+01:00", 1 },
		{ "2015-02-19T22:33:33.5-05:30", 1 },
		{ "2015-02-19T22:33:33.1234567890Z", 0 },
		{ "2015-02-19T22:33:33.Z", 0 },
		{ "2015-02-19T22:33:33", 0 },
		{ "2015-02-19 22:33:33Z", 0 },
		{ "2015-02-19T22:33:33z", 0 },
		{ "2015-02-19T22:33:33ZZ", 0 },
		{ "2015-02-19T22:33:33+0100", 0 },
		{ "2015-2-19T22:33:33Z", 0 },
		{ "2015-02-19T22:33:33Z\r\n", 0 },
		{ "1767225600", 0 },
		{ "", 0 },
	};

	for (size_t i = 0; i < NW(t); i++)
		CHECK(feed_check_time(t[i].s, strlen(t[i].s)) == t[i].ok,
		    "time \"%s\"", t[i].s);
}

int
main(void)
{
	test_sample();
	test_bad_fatal();
	test_bad_records();
	test_inline();
	test_splits();
	test_strict();
	test_many();
	test_url_table();
	test_name_table();
	test_time_table();
	return T_DONE();
}
