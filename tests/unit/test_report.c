/*
 * test_report.c - merging run reports: totals, duplicates counted once with
 * their best status, missing and repeated shards, mixed shardings and
 * feeds, the bounded lists of the text account, the merged JSON merging
 * again to the same totals, and every kind of bad input with its exact
 * code (and offset for JSON errors). Inputs are fed through a buffer with
 * no NUL after the last byte, so ASan sees any read past the length.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "err.h"
#include "report.h"
#include "t.h"

/* Add a report from a string, copied into an exact-size heap buffer. */
static int
add(struct report *m, const char *name, const char *json,
    struct err_ctx *ec)
{
	size_t n = strlen(json);
	char *p = malloc(n ? n : 1);
	int e;

	memcpy(p, json, n);
	e = report_add(m, name, p, n, ec);
	free(p);
	return e;
}

/* A shard report: the "repos" given as a JSON fragment. */
static char *
shard(const char *spec, const char *feed, const char *repos)
{
	static char buf[8192];

	snprintf(buf, sizeof buf, "{\"format\":\"repodigest-run-report/1\","
	    "\"version\":\"0.1.0\",\"feed\":\"%s\",\"shard\":\"%s\","
	    "\"shard_mode\":\"hash\",\"shard_source\":\"shard %s (--shard %s)\","
	    "\"started\":\"2026-01-0%cT00:00:00Z\","
	    "\"finished\":\"2026-01-0%cT00:00:09Z\",\"repos\":[%s]}", feed,
	    spec, spec, spec, spec[0] + 1, spec[0] + 1, repos);
	return buf;
}

/* The text account, in a malloc'd string. */
static char *
text(const struct report *m)
{
	char *p = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&p, &n);

	report_print(m, f);
	fclose(f);
	return p;
}

#define R(name, st) "{\"repo\":\"" name "\",\"status\":\"" st "\"}"

static void
test_merge(void)
{
	struct report m;
	struct err_ctx ec;
	char *t, *j;

	report_init(&m);
	CHECK(add(&m, "a.json", shard("0/3", "f.json", R("o/a", "processed") ","
	    R("o/b", "cached") "," R("o/c", "failed") ), &ec) == 0, "%d", ec.code);
	CHECK(add(&m, "b.json", shard("1/3", "f.json", R("o/d", "done-earlier")
	    "," "{\"repo\":\"o/e\",\"status\":\"failed\",\"error\":\"o/e: HTTP 500\"}"
	    "," R("o/f", "pending")), &ec) == 0, "%d", ec.code);
	/* shard 2 lists o/c again (processed there: its best status) and
	 * O/A in other case (GitHub names are case-insensitive) */
	CHECK(add(&m, "c.json", shard("2/3", "f.json", R("o/c", "processed") ","
	    R("O/A", "failed") "," R("o/g", "processed")), &ec) == 0, "%d",
	    ec.code);
	CHECK(report_finish(&m) == 0, "finish");
	CHECK(m.ne == 7, "%zu unique", m.ne);
	CHECK(m.ndup == 2, "%zu dups", m.ndup);
	CHECK(m.n[RS_PROCESSED] == 3 && m.n[RS_CACHED] == 1 &&
	    m.n[RS_EARLIER] == 1 && m.n[RS_FAILED] == 1 && m.n[RS_PENDING] == 1,
	    "%zu %zu %zu %zu %zu", m.n[0], m.n[1], m.n[2], m.n[3], m.n[4]);
	CHECK(m.shards && !m.shard_mixed && m.missing == 0 && m.npresent == 3,
	    "shards");
	CHECK(!m.feed_mixed, "feed");
	CHECK(strcmp(m.started, "2026-01-01T00:00:00Z") == 0 &&
	    strcmp(m.finished, "2026-01-03T00:00:09Z") == 0, "%s %s",
	    m.started, m.finished);
	CHECK(!report_complete(&m), "failed + pending: incomplete");
	t = text(&m);
	CHECK(strstr(t, "Merged 3 run report(s) of feed f.json\n") != NULL, "%s", t);
	CHECK(strstr(t, "  b.json: shard 1/3 (--shard 1/3), 3 repos\n") != NULL,
	    "%s", t);
	CHECK(strstr(t, "Shards: 3 of 3 present (hash)\n") != NULL, "%s", t);
	CHECK(strstr(t, "more than one report (counted once, best status): 2\n"
	    "  o/a (\n") == NULL, "%s", t);
	CHECK(strstr(t, "Failed: 1\n  o/e: o/e: HTTP 500\n") != NULL, "%s", t);
	CHECK(strstr(t, "Not done (pending): 1\n  o/f\n") != NULL, "%s", t);
	CHECK(strstr(t, "Total: 7 repos: 3 processed, 1 cached, 1 done earlier, "
	    "1 failed, 1 pending\nResult: incomplete\n") != NULL, "%s", t);
	free(t);

	/* the merged JSON is itself a report: merging it gives the same */
	j = report_json(&m);
	CHECK(j != NULL && strstr(j, "\"duplicates\":\t[\"o/a\", \"o/c\"]") != NULL,
	    "%s", j);
	{
		struct report m2;
		report_init(&m2);
		CHECK(add(&m2, "merged.json", j, &ec) == 0, "remerge %d %s",
		    ec.code, ec.detail);
		CHECK(report_finish(&m2) == 0 && m2.ne == 7 && m2.ndup == 0 &&
		    memcmp(m2.n, m.n, sizeof m.n) == 0, "remerge counts");
		CHECK(!m2.shards && !m2.shard_mixed, "merged has no shard");
		report_free(&m2);
	}
	free(j);
	report_free(&m);
}

static void
test_shards(void)
{
	struct report m;
	struct err_ctx ec;
	char *t;

	/* 2 and 4 of 0..5 present, 2 twice */
	report_init(&m);
	add(&m, "x", "{\"shard\":\"4/6\",\"shard_mode\":\"hash\",\"repos\":[]}",
	    &ec);
	add(&m, "y", "{\"shard\":\"2/6\",\"shard_mode\":\"hash\",\"repos\":[]}",
	    &ec);
	add(&m, "z", "{\"shard\":\"2/6\",\"shard_mode\":\"hash\",\"repos\":[]}",
	    &ec);
	CHECK(report_finish(&m) == 0 && m.nin == 3, "finish");
	CHECK(m.shards && m.npresent == 2 && m.missing == 4, "%zu %lu",
	    m.npresent, m.missing);
	CHECK(!report_complete(&m), "missing shards: incomplete");
	t = text(&m);
	CHECK(strstr(t, "Shards: 2 of 6 present (hash), missing: 0 1 3 5, 1 "
	    "duplicate report(s)\n") != NULL, "%s", t);
	CHECK(strstr(t, "  x: shard not recorded, 0 repos\n") != NULL, "%s", t);
	free(t);
	report_free(&m);

	/* a huge N with one shard: the list stops, the count does not */
	report_init(&m);
	add(&m, "x", "{\"shard\":\"7/1000000000\",\"repos\":[]}", &ec);
	CHECK(report_finish(&m) == 0 && m.missing == 999999999ul, "%lu",
	    m.missing);
	t = text(&m);
	CHECK(strstr(t, "missing: 0 1 2 3 4 5 6 8 9 10 11 12 13 14 15 16 17 18 "
	    "19 20 ... and 999999979 more\n") != NULL, "%s", t);
	free(t);
	report_free(&m);

	/* different shardings: cannot tell what is missing */
	report_init(&m);
	add(&m, "x", "{\"shard\":\"0/2\",\"shard_mode\":\"hash\",\"repos\":[]}",
	    &ec);
	add(&m, "y", "{\"shard\":\"1/3\",\"shard_mode\":\"hash\",\"repos\":[]}",
	    &ec);
	CHECK(report_finish(&m) == 0 && m.shard_mixed && !m.shards, "mixed N");
	CHECK(!report_complete(&m), "mixed: incomplete");
	report_free(&m);
	report_init(&m);
	add(&m, "x", "{\"shard\":\"0/2\",\"shard_mode\":\"hash\",\"repos\":[]}",
	    &ec);
	add(&m, "y", "{\"shard\":\"1/2\",\"shard_mode\":\"seed\",\"repos\":[]}",
	    &ec);
	CHECK(report_finish(&m) == 0 && m.shard_mixed, "mixed mode");
	report_free(&m);

	/* one unsharded report ("all" = 0/1) is complete */
	report_init(&m);
	add(&m, "x", "{\"shard\":\"0/1\",\"shard_mode\":\"all\",\"repos\":["
	    R("a/b", "cached") "]}", &ec);
	CHECK(report_finish(&m) == 0 && report_complete(&m), "all: complete");
	report_free(&m);

	/* a report without a shard: nothing known missing, said so */
	report_init(&m);
	add(&m, "x", "{\"shard\":\"0/2\",\"repos\":[]}", &ec);
	add(&m, "y", "{\"repos\":[], \"feed\":\"other\"}", &ec);
	CHECK(report_finish(&m) == 0 && !m.shards && !m.shard_mixed &&
	    m.feed_mixed, "unknown shard");
	t = text(&m);
	CHECK(strstr(t, "Shards: not recorded in every report\n") != NULL &&
	    strstr(t, "Warning: the reports name different feeds\n") != NULL,
	    "%s", t);
	free(t);
	report_free(&m);
}

static void
test_bounded(void)
{
	static char buf[65536];
	struct report m;
	struct err_ctx ec;
	size_t at;
	char *t;

	at = (size_t)snprintf(buf, sizeof buf, "{\"repos\":[");
	for (int i = 0; i < 25; i++)
		at += (size_t)snprintf(buf + at, sizeof buf - at, "%s{\"repo\":"
		    "\"o/r%02d\",\"status\":\"failed\",\"error\":\"boom\\u001b[2J\"}",
		    i ? "," : "", i);
	snprintf(buf + at, sizeof buf - at, "],\"failed\":25,\"total\":25}");
	report_init(&m);
	CHECK(add(&m, "f", buf, &ec) == 0, "%d %s", ec.code, ec.detail);
	report_finish(&m);
	t = text(&m);
	CHECK(strstr(t, "Failed: 25\n  o/r00: boom?[2J\n") != NULL,
	    "control bytes replaced: %s", t);
	CHECK(strstr(t, "  o/r19: boom?[2J\n  ... and 5 more\n") != NULL, "%s", t);
	CHECK(strstr(t, "o/r20") == NULL, "list bounded");
	free(t);
	report_free(&m);
}

static void
test_bad(void)
{
	static const struct {
		const char *json;
		int code;
		long offset;            /* -1: none */
		const char *detail;
	} c[] = {
		{ "", ERR_REPORT_JSON, -1, "empty file" },
		{ "{\"repos\":[{\"repo\":\"a/b\",\"sta", ERR_REPORT_JSON, 25,
		    "truncated?" },
		{ "{\"repos\":[}", ERR_REPORT_JSON, 10, NULL },
		{ "   \n", ERR_REPORT_JSON, -1, "empty file" },
		{ "{\"repos\":[]} x\n", ERR_REPORT_JSON, 12, "text after" },
		{ "{\"repos\":[]} \n", 0, -1, NULL },
		{ "[1,2]", ERR_REPORT_SHAPE, -1, "not a JSON object" },
		{ "{}", ERR_REPORT_SHAPE, -1, "no repos list" },
		{ "{\"repos\":{}}", ERR_REPORT_SHAPE, -1, "no repos list" },
		{ "{\"format\":\"x\",\"repos\":[]}", ERR_REPORT_SHAPE, -1,
		    "format is not" },
		{ "{\"format\":1,\"repos\":[]}", ERR_REPORT_SHAPE, -1,
		    "format is not" },
		{ "{\"shard\":\"3/3\",\"repos\":[]}", ERR_REPORT_SHAPE, -1,
		    "shard is not" },
		{ "{\"shard\":\"-1/3\",\"repos\":[]}", ERR_REPORT_SHAPE, -1,
		    "shard is not" },
		{ "{\"shard\":\"1/3x\",\"repos\":[]}", ERR_REPORT_SHAPE, -1,
		    "shard is not" },
		{ "{\"shard\":\"1/99999999999999999999\",\"repos\":[]}",
		    ERR_REPORT_SHAPE, -1, "shard is not" },
		{ "{\"shard\":3,\"repos\":[]}", ERR_REPORT_SHAPE, -1,
		    "shard is not" },
		{ "{\"repos\":[1]}", ERR_REPORT_SHAPE, -1, "repos[0]" },
		{ "{\"repos\":[" R("a/b", "done") "]}", ERR_REPORT_SHAPE, -1,
		    "repos[0]" },
		{ "{\"repos\":[" R("a/b", "cached") ",{\"status\":\"cached\"}]}",
		    ERR_REPORT_SHAPE, -1, "repos[1]" },
		{ "{\"repos\":[" R("", "cached") "]}", ERR_REPORT_SHAPE, -1,
		    "repos[0]" },
		{ "{\"repos\":[{\"repo\":\"a/b\",\"status\":\"failed\","
		    "\"error\":5}]}", ERR_REPORT_SHAPE, -1, "repos[0]" },
		{ "{\"total\":2,\"repos\":[" R("a/b", "cached") "]}",
		    ERR_REPORT_SHAPE, -1, "total: the repos list says 1" },
		{ "{\"total\":\"1\",\"repos\":[" R("a/b", "cached") "]}",
		    ERR_REPORT_SHAPE, -1, "total: the repos list says 1" },
		{ "{\"repos\":[],\"skipped\":-1}", ERR_REPORT_SHAPE, -1,
		    "skipped is not a count" },
		{ "{\"repos\":[],\"skipped\":1.5}", ERR_REPORT_SHAPE, -1,
		    "skipped is not a count" },
		{ "{\"repos\":[],\"skipped_records\":{}}", ERR_REPORT_SHAPE, -1,
		    "skipped_records is not a list" },
		{ "{\"repos\":[],\"skipped_records\":[{\"index\":1,"
		    "\"record\":\"a\"}]}", ERR_REPORT_SHAPE, -1,
		    "skipped_records[0]" },
		{ "{\"repos\":[],\"skipped_records\":[{\"index\":\"1\","
		    "\"record\":\"\",\"reason\":\"r\"}]}", ERR_REPORT_SHAPE, -1,
		    "skipped_records[0]" },
	};
	struct report m;
	struct err_ctx ec;

	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		int e;
		char line[512];
		report_init(&m);
		e = add(&m, "bad.json", c[i].json, &ec);
		err_format(&ec, line, sizeof line);
		CHECK(e == c[i].code && ec.code == c[i].code, "case %zu: %d (%s)",
		    i, e, line);
		CHECK(e == 0 || (m.nin == 0 && m.ne == 0), "case %zu: m changed", i);
		CHECK(c[i].offset < 0 || (ec.has_offset &&
		    (long)ec.offset == c[i].offset), "case %zu: offset %llu", i,
		    (unsigned long long)ec.offset);
		CHECK(c[i].detail == NULL || strstr(ec.detail, c[i].detail),
		    "case %zu: detail %s", i, ec.detail);
		CHECK(e == 0 || strncmp(line, "bad.json: ", 10) == 0,
		    "case %zu: %s", i, line);
		report_free(&m);
	}

	/* a NUL byte after the value is not whitespace */
	report_init(&m);
	CHECK(report_add(&m, "nul", "{\"repos\":[]}\n\0", 14, &ec) ==
	    ERR_REPORT_JSON && ec.offset == 12, "NUL after: %d", ec.code);
	report_free(&m);

	/* a bad input leaves earlier ones intact */
	report_init(&m);
	CHECK(add(&m, "a", "{\"repos\":[" R("a/b", "cached") "]}", &ec) == 0, "a");
	CHECK(add(&m, "b", "{\"repos\":[" R("c/d", "nope") "]}", &ec) ==
	    ERR_REPORT_SHAPE, "b");
	CHECK(report_finish(&m) == 0 && m.nin == 1 && m.ne == 1 &&
	    m.n[RS_CACHED] == 1, "after a bad input");
	report_free(&m);

	/* files */
	report_init(&m);
	CHECK(report_load(&m, "/nonexistent/r.json", &ec) == ERR_NOENT,
	    "noent %d", ec.code);
	CHECK(report_load(&m, "/", &ec) == ERR_IO, "dir %d", ec.code);
	report_free(&m);
}

/* Skipped feed records: each shard lists the same ones (every shard reads
 * the whole feed): merged once by position; the count is the largest any
 * report gives (a list is cut at REPORT_SKIPPED_MAX); a bad report's
 * records are not kept. */
static void
test_skipped(void)
{
	struct report m;
	struct err_ctx ec;
	char *txt;

	report_init(&m);
	CHECK(add(&m, "a", "{\"repos\":[],\"skipped\":2,\"skipped_records\":["
	    "{\"index\":5,\"record\":\"o/r\",\"reason\":\"missing url\"},"
	    "{\"index\":2,\"record\":\"\",\"reason\":\"record is not an "
	    "object (number)\"}]}", &ec) == 0, "a: %s", ec.detail);
	CHECK(add(&m, "b", "{\"repos\":[],\"skipped\":2,\"skipped_records\":["
	    "{\"index\":2,\"record\":\"\",\"reason\":\"record is not an "
	    "object (number)\"},{\"index\":5,\"record\":\"o/r\",\"reason\":"
	    "\"missing url\"}]}", &ec) == 0, "b");
	CHECK(add(&m, "c", "{\"repos\":[],\"skipped_records\":[{\"index\":9,"
	    "\"record\":\"x\",\"reason\":\"y\"}],\"total\":3}", &ec) ==
	    ERR_REPORT_SHAPE, "c is refused");
	CHECK(add(&m, "d", "{\"repos\":[]}", &ec) == 0, "d: none listed");
	CHECK(report_finish(&m) == 0 && m.nskip == 2 && m.skipped == 2 &&
	    m.skip[0].index == 2 && m.skip[1].index == 5 &&
	    strcmp(m.skip[1].record, "o/r") == 0, "merged: %zu %zu", m.nskip,
	    m.skipped);
	CHECK(report_complete(&m), "skipped records do not make it incomplete");
	txt = report_json(&m);
	CHECK(txt != NULL && strstr(txt, "\"skipped\":\t2") != NULL &&
	    strstr(txt, "\"reason\":\t\"missing url\"") != NULL, "json: %s",
	    txt ? txt : "(null)");
	free(txt);
	report_free(&m);

	/* a count beyond the list (a cut list) stands */
	report_init(&m);
	CHECK(add(&m, "a", "{\"repos\":[],\"skipped\":5000,\"skipped_records\":"
	    "[{\"index\":0,\"record\":\"\",\"reason\":\"r\"}]}", &ec) == 0 &&
	    report_finish(&m) == 0 && m.skipped == 5000 && m.nskip == 1, "cut");
	report_free(&m);
}

/* ------------------------------------------------------------ writer */

static const struct { const char *owner, *repo, *would, *error; int st; }
    run_repos[] = {
	{ "a", "one", NULL, NULL, RS_PROCESSED },
	{ "a", "two", NULL, NULL, RS_CACHED },
	{ "b", "three", NULL, "x.tar.gz: HTTP 404 \"quoted\"\n", RS_FAILED },
	{ "b", "four", NULL, NULL, RS_EARLIER },
	{ "c", "five", "process", NULL, RS_PENDING },
};

static void
run_repo(void *ctx, size_t i, struct report_run_repo *out)
{
	(void)ctx;
	out->owner = run_repos[i].owner;
	out->repo = run_repos[i].repo;
	out->status = run_repos[i].st;
	out->would = run_repos[i].would;
	out->error = run_repos[i].error;
}

/* What report_run_json writes, report_add reads back: the writer and the
 * reader agree on every status name and count. */
static void
test_writer(void)
{
	struct report_run rr;
	struct report m;
	struct err_ctx ec;
	char *txt;

	memset(&rr, 0, sizeof rr);
	rr.feed = "https://example.org/repos.json?***";
	rr.shard = "0/1";
	rr.shard_mode = "all";
	rr.shard_source = "all jobs";
	rr.started = "2026-01-01T00:00:00Z";
	rr.finished = "2026-01-01T00:01:00Z";
	rr.processed = 1;
	rr.cached = 1;
	rr.failed = 1;
	rr.dry_run = 1;
	rr.would_process = 1;
	rr.nrepos = sizeof run_repos / sizeof run_repos[0];
	rr.repo = run_repo;
	txt = report_run_json(&rr);
	CHECK(txt != NULL, "no text");
	if (txt == NULL)
		return;
	CHECK(strstr(txt, "\"dry_run\":\ttrue") != NULL, "%s", txt);
	CHECK(strstr(txt, "\"would\":\t\"process\"") != NULL, "%s", txt);
	CHECK(strstr(txt, "\"done-earlier\"") != NULL, "%s", txt);
	report_init(&m);
	memset(&ec, 0, sizeof ec);
	CHECK(report_add(&m, "w.json", txt, strlen(txt), &ec) == 0,
	    "code %d %s", ec.code, ec.detail);
	CHECK(report_finish(&m) == 0, "finish");
	CHECK(m.n[RS_PROCESSED] == 1 && m.n[RS_CACHED] == 1 &&
	    m.n[RS_FAILED] == 1 && m.n[RS_EARLIER] == 1 &&
	    m.n[RS_PENDING] == 1, "counts %zu %zu %zu %zu %zu",
	    m.n[RS_PROCESSED], m.n[RS_CACHED], m.n[RS_FAILED], m.n[RS_EARLIER],
	    m.n[RS_PENDING]);
	CHECK(strcmp(report_status_name(RS_EARLIER), "done-earlier") == 0 &&
	    strcmp(report_status_name(99), "pending") == 0, "names");
	report_free(&m);
	free(txt);
}

/*
 * The writer prints what cJSON_Print printed of the same report, byte for
 * byte (it replaced a cJSON tree that cost ~400 bytes a repo): this is that
 * tree-building code, as the reference.
 */
static char *
cjson_ref(const struct report_run *rr)
{
	cJSON *root = cJSON_CreateObject(), *repos;
	char *txt = NULL;
	int ok = root != NULL;

	ok = ok && cJSON_AddStringToObject(root, "format", REPORT_FORMAT);
	ok = ok && cJSON_AddStringToObject(root, "version", REPODIGEST_VERSION);
	ok = ok && cJSON_AddStringToObject(root, "feed", rr->feed);
	ok = ok && cJSON_AddStringToObject(root, "shard", rr->shard);
	ok = ok && cJSON_AddStringToObject(root, "shard_mode", rr->shard_mode);
	ok = ok && cJSON_AddStringToObject(root, "shard_source",
	    rr->shard_source);
	ok = ok && cJSON_AddStringToObject(root, "started", rr->started);
	ok = ok && cJSON_AddStringToObject(root, "finished", rr->finished);
	if (ok && rr->dry_run)
		ok = cJSON_AddBoolToObject(root, "dry_run", 1) != NULL;
	ok = ok && cJSON_AddNumberToObject(root, "total", (double)rr->nrepos);
	ok = ok && cJSON_AddNumberToObject(root, "cached", (double)rr->cached);
	ok = ok && cJSON_AddNumberToObject(root, "processed",
	    (double)rr->processed);
	ok = ok && cJSON_AddNumberToObject(root, "failed", (double)rr->failed);
	if (ok && rr->dry_run) {
		ok = cJSON_AddNumberToObject(root, "would_process",
		    (double)rr->would_process) != NULL &&
		    cJSON_AddNumberToObject(root, "would_skip_cached",
		    (double)rr->would_skip) != NULL;
	}
	ok = ok && cJSON_AddNumberToObject(root, "elapsed_s", rr->elapsed_s);
	ok = ok && (repos = cJSON_AddArrayToObject(root, "repos")) != NULL;
	for (size_t i = 0; ok && i < rr->nrepos; i++) {
		struct report_run_repo e;
		char name[160];
		cJSON *it = cJSON_CreateObject();
		memset(&e, 0, sizeof e);
		rr->repo(rr->ctx, i, &e);
		snprintf(name, sizeof name, "%s/%s", e.owner, e.repo);
		ok = it != NULL && cJSON_AddItemToArray(repos, it);
		ok = ok && cJSON_AddStringToObject(it, "repo", name);
		ok = ok && cJSON_AddStringToObject(it, "status",
		    report_status_name(e.status));
		if (ok && e.would != NULL)
			ok = cJSON_AddStringToObject(it, "would", e.would) != NULL;
		if (ok && e.error != NULL)
			ok = cJSON_AddStringToObject(it, "error", e.error) != NULL;
	}
	ok = ok && cJSON_AddNumberToObject(root, "skipped", (double)rr->skipped);
	ok = ok && (repos = cJSON_AddArrayToObject(root, "skipped_records")) !=
	    NULL;
	for (size_t i = 0; ok && i < rr->nskips; i++) {
		cJSON *it = cJSON_CreateObject();
		ok = it != NULL && cJSON_AddItemToArray(repos, it);
		ok = ok && cJSON_AddNumberToObject(it, "index",
		    (double)rr->skips[i].index);
		ok = ok && cJSON_AddStringToObject(it, "record",
		    rr->skips[i].record);
		ok = ok && cJSON_AddStringToObject(it, "reason",
		    rr->skips[i].reason);
	}
	if (ok)
		txt = cJSON_Print(root);
	cJSON_Delete(root);
	return txt;
}

static void
test_writer_same(void)
{
	static const struct report_skip skips[] = {
		{ 0, "o/r", "duplicate of record 0" },
		{ 7, "", "record is not an object (number)" },
		{ 4294967296ull, "a\"b\\c\x01/d", "missing url \xc3\xa9" },
	};
	static const double el[] = { 0, 1, 2.5, 0.1, 2.6635725050000474,
	    1e20, 123456789012.0, -3 };
	struct report_run rr;

	memset(&rr, 0, sizeof rr);
	rr.feed = "f\"e\\e\td\x01 caf\xc3\xa9 \xf0\x9f\x98\x80";
	rr.shard = "1/3";
	rr.shard_mode = "hash";
	rr.shard_source = "--shard 1/3";
	rr.started = "2026-01-01T00:00:00Z";
	rr.finished = "2026-01-01T00:01:00Z";
	rr.processed = 7;
	rr.cached = 3000000000u;
	rr.repo = run_repo;
	for (int dry = 0; dry < 2; dry++) {
		for (size_t i = 0; i < sizeof el / sizeof el[0]; i++) {
			char *a, *b;
			/* skipped feed records: none, or some with hostile text */
			rr.skips = i % 3 ? skips : NULL;
			rr.nskips = i % 3 ? sizeof skips / sizeof skips[0] : 0;
			rr.skipped = rr.nskips + (i % 3 == 2 ? 5000 : 0);
			rr.dry_run = dry;
			rr.elapsed_s = el[i];
			rr.nrepos = i % 2 ? 0 : sizeof run_repos /
			    sizeof run_repos[0];
			a = report_run_json(&rr);
			b = cjson_ref(&rr);
			CHECK(a != NULL && b != NULL && strcmp(a, b) == 0,
			    "dry %d elapsed %g: differs:\n%s\n--- cJSON:\n%s",
			    dry, el[i], a ? a : "(null)", b ? b : "(null)");
			free(a);
			free(b);
		}
	}
}

int
main(void)
{
	test_merge();
	test_shards();
	test_bounded();
	test_bad();
	test_writer();
	test_writer_same();
	test_skipped();
	return T_DONE();
}
