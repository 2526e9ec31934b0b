/*
 * test_digest.c - the digest builder, the content store and the capped writer,
 * driven with synthetic entries (the golden tests cover real fixtures).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"
#include "err.h"
#include "out.h"
#include "store.h"
#include "t.h"

struct ent {
	int type;
	const char *path;
	const char *data;       /* file body or symlink text */
};

#define SEP "================================================"

/* Build a digest from ents and render tree + "\n" + content into *out. */
static int
run(const struct ent *ents, size_t n, const struct digest_opts *o0,
    uint64_t cap, struct buf *out, struct digest **dp)
{
	struct digest_opts o;
	struct digest *d = malloc(sizeof *d);
	struct out *w = malloc(sizeof *w);
	int e;

	memset(&o, 0, sizeof o);
	if (o0)
		o = *o0;
	else
		o.use_ignore_files = 1;
	o.max_depth = o0 ? o0->max_depth : -1;
	o.max_output = cap;
	if ((e = digest_init(d, &o)) != 0)
		return e;
	for (size_t i = 0; i < n && e == 0; i++) {
		const struct ent *x = &ents[i];
		size_t dl = x->data ? strlen(x->data) : 0;
		e = digest_entry(d, x->type, x->path, strlen(x->path), dl,
		    x->type == DIGEST_SYMLINK ? x->data : NULL,
		    x->type == DIGEST_SYMLINK ? dl : 0);
		if (e == 0 && x->type == DIGEST_FILE)
			e = digest_data(d, (const uint8_t *)x->data, dl);
		if (e == 0)
			e = digest_entry_end(d);
	}
	if (e == 0)
		e = digest_finish(d, "root");
	if (e != 0) {
		digest_free(d);
		free(d);
		free(w);
		return e;
	}
	buf_init(out, 1 << 26);
	out_init_mem(w, out, cap);
	digest_write_tree(d, w);
	out_write(w, "\n", 1);
	e = digest_write_content(d, w);
	free(w);
	if (dp)
		*dp = d;
	else {
		digest_free(d);
		free(d);
	}
	return e;
}

static int
contains(const struct buf *b, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i + n <= b->len; i++)
		if (memcmp(b->p + i, s, n) == 0)
			return 1;
	return 0;
}

static long
index_of(const struct buf *b, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i + n <= b->len; i++)
		if (memcmp(b->p + i, s, n) == 0)
			return (long)i;
	return -1;
}

static void
test_order_and_tree(void)
{
	/* archive order scrambled on purpose */
	static const struct ent ents[] = {
		{ DIGEST_FILE, "src/b.c", "b\n" },
		{ DIGEST_FILE, ".hidden", "h\n" },
		{ DIGEST_SYMLINK, "link", "src/b.c" },
		{ DIGEST_FILE, "Zed.txt", "z\n" },
		{ DIGEST_FILE, "README.md", "r\n" },
		{ DIGEST_FILE, "a.txt", "a\n" },
		{ DIGEST_FILE, ".cfg/x", "x\n" },
		{ DIGEST_FILE, "src/A.c", "A\n" },
	};
	static const char tree[] =
	    "Directory structure:\n"
	    "\xe2\x94\x94\xe2\x94\x80\xe2\x94\x80 root/\n"
	    "    \xe2\x94\x9c\xe2\x94\x80\xe2\x94\x80 README.md\n"
	    "    \xe2\x94\x9c\xe2\x94\x80\xe2\x94\x80 a.txt\n"
	    "    \xe2\x94\x9c\xe2\x94\x80\xe2\x94\x80 Zed.txt\n"
	    "    \xe2\x94\x9c\xe2\x94\x80\xe2\x94\x80 .hidden\n"
	    "    \xe2\x94\x9c\xe2\x94\x80\xe2\x94\x80 link -> b.c\n"
	    "    \xe2\x94\x9c\xe2\x94\x80\xe2\x94\x80 src/\n"
	    "    \xe2\x94\x82   \xe2\x94\x9c\xe2\x94\x80\xe2\x94\x80 A.c\n"
	    "    \xe2\x94\x82   \xe2\x94\x94\xe2\x94\x80\xe2\x94\x80 b.c\n"
	    "    \xe2\x94\x94\xe2\x94\x80\xe2\x94\x80 .cfg/\n"
	    "        \xe2\x94\x94\xe2\x94\x80\xe2\x94\x80 x\n";
	struct buf out;
	int e = run(ents, sizeof ents / sizeof *ents, NULL, 0, &out, NULL);
	CHECK(e == 0, "run: %s", err_str(e));
	CHECK(out.len >= sizeof tree - 1 && memcmp(out.p, tree, sizeof tree - 1) == 0,
	    "tree:\n%.*s", (int)out.len, (const char *)out.p);
	CHECK(index_of(&out, "FILE: README.md") < index_of(&out, "FILE: a.txt"),
	    "content follows tree order");
	CHECK(index_of(&out, "SYMLINK: link -> b.c") < index_of(&out, "FILE: src/A.c"),
	    "symlinks sort with directories");
	buf_free(&out);
}

/* Bodies: universal newlines, binary, empty, late decode error, notebook name. */
static void
test_bodies(void)
{
	char late[1600];
	static struct ent ents[] = {
		{ DIGEST_FILE, "crlf.txt", "a\r\nb\rc\r" },
		{ DIGEST_FILE, "bin.dat", "\xff\xfe\x00x" },
		{ DIGEST_FILE, "empty.txt", "" },
		{ DIGEST_FILE, "late.txt", NULL },
	};
	struct buf out;
	int e;

	memset(late, 'a', sizeof late - 1);
	late[sizeof late - 1] = '\0';
	late[1500] = (char)0xff;
	ents[3].data = late;
	e = run(ents, 4, NULL, 0, &out, NULL);
	CHECK(e == 0, "run: %s", err_str(e));
	CHECK(contains(&out, "FILE: crlf.txt\n" SEP "\na\nb\nc\n\n\n"),
	    "CRLF, lone CR and a final CR become LF");
	CHECK(contains(&out, "FILE: bin.dat\n" SEP "\n[Binary file]\n\n"), "binary");
	CHECK(contains(&out, "FILE: empty.txt\n" SEP "\n[Empty file]\n\n"), "empty");
	CHECK(contains(&out, "Error reading file with 'UTF-8': 'utf-8' codec can't "
	    "decode byte 0xff in position 1500: invalid start byte"),
	    "late decode error names the absolute offset");
	CHECK(!contains(&out, "aaaaaaaaaaaaaaaaaaaa\n" SEP), "no partial body kept");
	buf_free(&out);
}

/* A capped digest equals the uncapped one cut at the cap, while bodies past the
 * cap are evicted (many files, scrambled order, LZ4 in use from byte 0). */
static void
test_cap_eviction(void)
{
	enum { N = 400 };
	static struct ent ents[N];
	static char paths[N][32], bodies[N][700];
	struct digest_opts o;
	struct buf full, capped;
	struct digest *d;
	uint64_t caps[] = { 1000, 4096, 65536, 100000 };
	int e;

	for (int i = 0; i < N; i++) {
		int k = (i * 7919) % N;         /* scrambled archive order */
		snprintf(paths[i], sizeof paths[i], "d%02d/f%03d.txt", k % 13, k);
		for (int j = 0; j < 699; j++)
			bodies[i][j] = (char)('a' + (k + j) % 26);
		/* multibyte characters so cuts land inside them */
		memcpy(bodies[i] + 100, "\xc3\xa9\xe2\x82\xac", 5);
		bodies[i][699] = '\0';
		ents[i].type = DIGEST_FILE;
		ents[i].path = paths[i];
		ents[i].data = bodies[i];
	}
	memset(&o, 0, sizeof o);
	o.max_depth = -1;
	o.raw_budget = 1;       /* compress everything */
	e = run(ents, N, &o, 0, &full, NULL);
	CHECK(e == 0, "full: %s", err_str(e));
	for (size_t c = 0; c < sizeof caps / sizeof *caps; c++) {
		e = run(ents, N, &o, caps[c], &capped, &d);
		CHECK(e == 0, "capped %llu: %s", (unsigned long long)caps[c],
		    err_str(e));
		CHECK(d->store->mem_peak < caps[c] + 3 * 4096 + 64 * 1024,
		    "cap %llu: store peak %llu", (unsigned long long)caps[c],
		    (unsigned long long)d->store->mem_peak);
		/* capped = prefix of full (cut at a character boundary) + notice */
		size_t body = capped.len;
		const char *nt = "\n\n[... Summary truncated at ";
		long at = index_of(&capped, nt);
		CHECK(at >= 0, "cap %llu: notice", (unsigned long long)caps[c]);
		if (at >= 0)
			body = (size_t)at;
		CHECK(body <= caps[c] && body + 4 > caps[c], "cut near the cap");
		CHECK(memcmp(capped.p, full.p, body) == 0,
		    "cap %llu: capped output is a prefix of the full one",
		    (unsigned long long)caps[c]);
		CHECK(d->files_analyzed == N, "all files counted");
		digest_free(d);
		free(d);
		buf_free(&capped);
	}
	buf_free(&full);
}

/* An ignore file that comes after the entries it hides still hides them. */
static void
test_late_ignore_file(void)
{
	static const struct ent ents[] = {
		{ DIGEST_FILE, "-early.txt", "x\n" },
		{ DIGEST_FILE, "keep.txt", "k\n" },
		{ DIGEST_FILE, "sub/a.tmp", "t\n" },
		{ DIGEST_FILE, ".gitignore", "*.tmp\n-early.txt\n" },
	};
	struct buf out;
	int e = run(ents, 4, NULL, 0, &out, NULL);

	CHECK(e == 0, "run: %s", err_str(e));
	CHECK(!contains(&out, "early.txt"), "late .gitignore applied:\n%.*s", (int)out.len, (const char *)out.p);
	CHECK(!contains(&out, "a.tmp"), "late .gitignore applied below");
	CHECK(!contains(&out, "sub/"), "emptied directory omitted");
	CHECK(contains(&out, "FILE: keep.txt"), "others kept");
	buf_free(&out);
}

/* Does the JSON report of d hold needle? */
static int
report_has(struct digest *d, const char *needle)
{
	char *txt = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&txt, &len);
	int r;

	digest_report_json(d, f);
	fclose(f);
	r = txt != NULL && strstr(txt, needle) != NULL;
	free(txt);
	return r;
}

/* A negation in an ignore file listed after the entry it re-includes (GitHub
 * lists ".ci/" before ".gitignore"): the entry is shown, its body intact, in
 * every capped or uncapped digest, and with an output cap too. */
static void
test_late_negation(void)
{
	static const struct ent ents[] = {
		{ DIGEST_DIR, ".ci", NULL },
		{ DIGEST_FILE, ".ci/build.log", "kept log\n" },
		{ DIGEST_FILE, ".ci/other.log", "dropped\n" },
		{ DIGEST_FILE, ".gitignore", "!.ci/build.log\n" },
		{ DIGEST_FILE, "src/x.c", "int x;\n" },
	};
	static const uint64_t caps[] = { 0, 1 << 20 };

	for (size_t k = 0; k < 2; k++) {
		struct buf out;
		struct digest *d;
		int e = run(ents, 5, NULL, caps[k], &out, &d);
		CHECK(e == 0, "late negation, cap %llu: %s",
		    (unsigned long long)caps[k], err_str(e));
		if (e)
			continue;
		CHECK(contains(&out, "FILE: .ci/build.log\n" SEP "\nkept log\n"),
		    "re-included entry shown with its body:\n%.*s", (int)out.len,
		    (const char *)out.p);
		CHECK(!contains(&out, "other.log"), "the other log stays out");
		CHECK(d->dropped_early == 0, "nothing dropped early");
		CHECK(d->files_analyzed == 2, "two files: %llu",
		    (unsigned long long)d->files_analyzed);
		digest_free(d);
		free(d);
		buf_free(&out);
	}
}

/* Ignore files apply in the walk's order (shallow first), whatever the
 * archive's: the deeper file's rule wins. */
static void
test_ignore_order(void)
{
	static const struct ent ents[] = {
		{ DIGEST_FILE, ".ci/.gitignore", "*.txt\n" },
		{ DIGEST_FILE, ".ci/a.txt", "a\n" },
		{ DIGEST_FILE, ".gitignore", "!*.txt\n" },
		{ DIGEST_FILE, "b.txt", "b\n" },
	};
	struct buf out;
	int e = run(ents, 4, NULL, 0, &out, NULL);

	CHECK(e == 0, "ignore order: %s", err_str(e));
	CHECK(!contains(&out, "a.txt"), "the deeper rule wins:\n%.*s",
	    (int)out.len, (const char *)out.p);
	CHECK(contains(&out, "FILE: b.txt"), "root file kept");
	buf_free(&out);
}

/* The same path twice: the last entry, once; a member below a symlink or a
 * file of the archive is left out, with its reason. */
static void
test_extraction_rules(void)
{
	static const struct ent ents[] = {
		{ DIGEST_FILE, "a.txt", "first\n" },
		{ DIGEST_SYMLINK, "link", "real" },
		{ DIGEST_FILE, "link/evil.txt", "evil\n" },
		{ DIGEST_FILE, "real/f.txt", "f\n" },
		{ DIGEST_FILE, "file", "plain\n" },
		{ DIGEST_FILE, "file/under.txt", "under\n" },
		{ DIGEST_FILE, "a.txt", "second\n" },
	};
	static const uint64_t caps[] = { 0, 64 };

	for (size_t k = 0; k < 2; k++) {
		struct buf out;
		struct digest *d;
		int e = run(ents, 7, NULL, caps[k], &out, &d);
		CHECK(e == 0, "extraction rules: %s", err_str(e));
		if (e)
			continue;
		if (caps[k] == 0) {
			CHECK(contains(&out, "second") && !contains(&out, "first"),
			    "duplicate: the last entry:\n%.*s", (int)out.len,
			    (const char *)out.p);
			CHECK(!contains(&out, "evil") && !contains(&out, "under"),
			    "members below a symlink or file left out");
		}
		CHECK(d->files_analyzed == 4, "four leaves: %llu",
		    (unsigned long long)d->files_analyzed);
		CHECK(report_has(d, "\"reason\": \"replaced by a later archive "
		    "entry with the same path\""), "replaced reason");
		CHECK(report_has(d, "\"link/evil.txt\", \"bytes\": 5, \"reason\": "
		    "\"inside a symlink"), "under-link reason");
		digest_free(d);
		free(d);
		buf_free(&out);
	}
}

/* A tentative top directory that another entry proves wrong: every path
 * keeps its first component, and rules are judged on the full paths. */
static void
test_reroot(void)
{
	struct digest_opts o;
	struct digest d;
	struct buf out;
	struct out w;
	int e;

	memset(&o, 0, sizeof o);
	o.use_ignore_files = 1;
	o.max_depth = -1;
	CHECK(digest_init(&d, &o) == 0, "init");
	CHECK(digest_tentative_top(&d, ".ci", 3) == 0, "tentative top");
	/* reported stripped: ".ci/x.log" as "x.log", excluded by *.log */
	e = digest_entry(&d, DIGEST_FILE, "x.log", 5, 4, NULL, 0);
	e |= digest_data(&d, (const uint8_t *)"log\n", 4);
	e |= digest_entry_end(&d);
	e |= digest_entry(&d, DIGEST_FILE, "conf.yml", 8, 3, NULL, 0);
	e |= digest_data(&d, (const uint8_t *)"y:\n", 3);
	e |= digest_entry_end(&d);
	CHECK(e == 0, "entries under the tentative top");
	CHECK(digest_reroot(&d) == 0, "reroot");
	e = digest_entry(&d, DIGEST_FILE, ".gitignore", 10, 16, NULL, 0);
	e |= digest_data(&d, (const uint8_t *)"!.ci/x.log\n", 11);
	e |= digest_entry_end(&d);
	CHECK(e == 0 && digest_finish(&d, "root") == 0, "finish");
	buf_init(&out, 1 << 20);
	out_init_mem(&w, &out, 0);
	digest_write_tree(&d, &w);
	digest_write_content(&d, &w);
	CHECK(contains(&out, "FILE: .ci/conf.yml") &&
	    contains(&out, "FILE: .ci/x.log\n" SEP "\nlog\n"),
	    "re-rooted paths, late negation honoured:\n%.*s", (int)out.len,
	    (const char *)out.p);
	digest_free(&d);
	buf_free(&out);
}

/* Names are printed as they are unless a control character could forge
 * the digest's structure. */
static void
test_escape_names(void)
{
	static const struct { const char *in, *want; } v[] = {
		{ "plain.txt", "plain.txt" },
		{ "back\\slash", "back\\slash" },
		{ "a\nFILE: b", "a\\nFILE: b" },
		{ "t\tr\r\\", "t\\tr\\r\\\\" },
		{ "esc\x1b[2J", "esc\\x1b[2J" },
		{ "del\x7f", "del\\x7f" },
		{ "nel\xc2\x85", "nel\\u0085" },
		{ "ls\xe2\x80\xa8ps\xe2\x80\xa9", "ls\\u2028ps\\u2029" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
	};
	char buf[64];

	for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
		size_t n = digest_escape_name(v[i].in, strlen(v[i].in), buf,
		    sizeof buf);
		CHECK(n == strlen(v[i].want) && memcmp(buf, v[i].want, n) == 0,
		    "escape %zu: got '%.*s' want '%s'", i, (int)n, buf,
		    v[i].want);
	}
}

/* File-count and depth limits cut deterministically, in tree order. */
static void
test_limits(void)
{
	static const struct ent ents[] = {
		{ DIGEST_FILE, "z.txt", "z\n" },
		{ DIGEST_FILE, "a.txt", "a\n" },
		{ DIGEST_FILE, "m.txt", "m\n" },
		{ DIGEST_FILE, "d1/d2/deep.txt", "d\n" },
	};
	struct digest_opts o;
	struct digest *d;
	struct buf out;
	int e;

	memset(&o, 0, sizeof o);
	o.max_files = 2;
	o.max_depth = 1;
	e = run(ents, 4, &o, 0, &out, &d);
	CHECK(e == 0, "run: %s", err_str(e));
	CHECK(contains(&out, "FILE: a.txt") && contains(&out, "FILE: m.txt") &&
	    !contains(&out, "FILE: z.txt"), "first two in tree order kept");
	CHECK(!contains(&out, "deep.txt"), "depth limit");
	CHECK(d->files_analyzed == 2, "count %llu",
	    (unsigned long long)d->files_analyzed);
	digest_free(d);
	free(d);
	buf_free(&out);
}

/*
 * File limits without a cap: bodies past the max_files first leaves in tree
 * order are dropped as soon as that is sure (git order puts "B/" before "a/",
 * tree order after it, so bodies already held get evicted too), and the
 * digest is the one of the same entries out of order (where nothing can be
 * sure until the end, so nothing is dropped).
 */
static void
test_limit_eviction(void)
{
	enum { N = 400, MAXF = 150 };
	static struct ent sorted[N + 1], scrambled[N + 1];
	static char paths[N][32], bodies[N][600];
	struct digest_opts o;
	struct buf ref, got;
	struct digest *d;
	uint64_t all = 0;
	int e;

	for (int i = 0; i < N; i++) {
		snprintf(paths[i], sizeof paths[i], "%s/f%03d.txt",
		    i < N / 2 ? "B" : "a", i % (N / 2));
		for (int j = 0; j < 599; j++)
			bodies[i][j] = (char)('a' + (i * 31 + j * 7) % 26);
		bodies[i][599] = '\0';
		all += 599;
		sorted[i].type = DIGEST_FILE;
		sorted[i].path = paths[i];
		sorted[i].data = bodies[i];
	}
	for (int i = 0; i < N; i++)
		scrambled[i] = sorted[(i * 7919) % N];
	memset(&o, 0, sizeof o);
	o.max_depth = -1;
	o.max_files = MAXF;
	o.raw_budget = 1 << 30;         /* raw: the peak counts bodies */
	for (int cap = 0; cap < 2; cap++) {
		uint64_t c = cap ? 20000 : 0;
		e = run(scrambled, N, &o, c, &ref, &d);
		CHECK(e == 0, "scrambled: %s", err_str(e));
		CHECK(d->lim_evicted == 0, "out of order: nothing dropped");
		digest_free(d);
		free(d);
		e = run(sorted, N, &o, c, &got, &d);
		CHECK(e == 0, "sorted: %s", err_str(e));
		CHECK(got.len == ref.len && memcmp(got.p, ref.p, ref.len) == 0,
		    "cap %d: same digest as out of order", cap);
		CHECK(d->files_analyzed == MAXF, "files %llu",
		    (unsigned long long)d->files_analyzed);
		/* with the cap, the cap drops most bodies first */
		CHECK(cap ? d->lim_evicted > 0 : d->lim_evicted >= N - MAXF,
		    "cap %d: dropped %llu", cap,
		    (unsigned long long)d->lim_evicted);
		CHECK(d->store->mem_peak < all / 2, "peak %llu of %llu",
		    (unsigned long long)d->store->mem_peak,
		    (unsigned long long)all);
		CHECK(cap || (contains(&got, "FILE: a/f149.txt") &&
		    !contains(&got, "FILE: a/f150.txt") &&
		    !contains(&got, "FILE: B/")), "the first %d in tree order",
		    MAXF);
		digest_free(d);
		free(d);
		buf_free(&ref);
		buf_free(&got);
	}

	/* the total-size limit would cut some of the first MAXF: then the
	 * count is not sure, and nothing is dropped early */
	o.max_total = 100 * 599;
	e = run(scrambled, N, &o, 0, &ref, NULL);
	CHECK(e == 0, "scrambled, total limit: %s", err_str(e));
	e = run(sorted, N, &o, 0, &got, &d);
	CHECK(e == 0, "sorted, total limit: %s", err_str(e));
	CHECK(got.len == ref.len && memcmp(got.p, ref.p, ref.len) == 0,
	    "total limit: same digest");
	CHECK(d->lim_evicted == 0, "total limit: nothing dropped early");
	digest_free(d);
	free(d);
	buf_free(&ref);
	buf_free(&got);
	o.max_total = 0;

	/* a hostile archive takes a counted leaf away after bodies were
	 * dropped (the same path again, now too large): a/f150.txt, dropped,
	 * would be printed. An error, never a hole in the digest */
	{
		static char big[700];
		memset(big, 'x', sizeof big - 1);
		sorted[N].type = DIGEST_FILE;
		sorted[N].path = "a/f000.txt";
		sorted[N].data = big;
		o.max_file_size = 600;
		e = run(sorted, N + 1, &o, 0, &got, NULL);
		CHECK(e == ERR_DIGEST_EVICTED, "replaced: %s", err_str(e));
		if (e == 0)
			buf_free(&got);
	}
}

/* The writer cuts at a character boundary, never inside one. */
static void
test_out_cap(void)
{
	struct buf b;
	struct out *o = malloc(sizeof *o);
	const char *s = "ab\xe2\x82\xac";      /* "ab" + euro sign (3 bytes) */

	for (uint64_t cap = 1; cap <= 5; cap++) {
		buf_init(&b, 1024);
		out_init_mem(o, &b, cap);
		out_write(o, s, 5);
		out_write(o, "more", 4);
		size_t want = cap < 2 ? cap : cap < 5 ? 2 : 5;
		char notice[80];
		/* under 1 KiB the cap is given in bytes, never "0KB" */
		snprintf(notice, sizeof notice,
		    "\n\n[... Summary truncated at %lluB limit ...]",
		    (unsigned long long)cap);
		CHECK(b.len == want + strlen(notice) &&
		    memcmp(b.p + want, notice, strlen(notice)) == 0,
		    "cap %llu: len %zu, notice %.*s", (unsigned long long)cap,
		    b.len, (int)(b.len - want), (const char *)b.p + want);
		CHECK(memcmp(b.p, s, want) == 0, "prefix");
		CHECK(out_full(o), "full after the cap");
		buf_free(&b);
	}
	/* from 1 KiB on, the replaced container's notice byte for byte: N KB
	 * rounded down; never longer than OUT_NOTICE_MAX; output that fits
	 * the cap exactly gets none */
	{
		static const struct {
			uint64_t cap;
			const char *notice;
		} k[] = {
			{ 1023, "\n\n[... Summary truncated at 1023B limit ...]" },
			{ 1024, "\n\n[... Summary truncated at 1KB limit ...]" },
			{ 2047, "\n\n[... Summary truncated at 1KB limit ...]" },
			{ 524288, "\n\n[... Summary truncated at 512KB limit ...]" },
			{ (uint64_t)1 << 40, "\n\n[... Summary truncated at "
			    "1073741824KB limit ...]" },
		};
		static char fill[4096];

		memset(fill, 'x', sizeof fill);
		for (size_t i = 0; i < sizeof k / sizeof *k; i++) {
			size_t body = k[i].cap < sizeof fill ?
			    (size_t)k[i].cap : 0;
			buf_init(&b, 1 << 20);
			out_init_mem(o, &b, k[i].cap);
			if (body > 0) {
				out_write(o, fill, sizeof fill);
			} else {
				/* a cut at the 2^40 cap, without 1 TiB */
				o->written = k[i].cap - 1;
				out_write(o, "ab", 2);
				body = 1;
			}
			CHECK(b.len == body + strlen(k[i].notice) &&
			    memcmp(b.p + body, k[i].notice,
			    strlen(k[i].notice)) == 0 &&
			    strlen(k[i].notice) <= OUT_NOTICE_MAX,
			    "cap %llu: %.*s", (unsigned long long)k[i].cap,
			    (int)(b.len - body), (const char *)b.p + body);
			buf_free(&b);
		}
		buf_init(&b, 1 << 20);
		out_init_mem(o, &b, 100);
		out_write(o, fill, 100);
		CHECK(b.len == 100 && !out_full(o), "exactly the cap: no notice");
		buf_free(&b);
	}
	free(o);
}

/*
 * A struct out comes from malloc, so it starts as whatever the heap held:
 * out_init_fd must leave nothing of it. A stale byte count left from an
 * earlier use had the first flush write that many bytes of the heap
 * before the output (garbage in the file), or fail with EFAULT once it ran
 * past the allocation (the service's "writing summary.txt.meta: Bad
 * address").
 */
static void
test_out_recycled(void)
{
	static const size_t stale[] = { 3, 60000, (size_t)1 << 40 };
	struct out *o = malloc(sizeof *o);
	char path[] = "/tmp/test_digest.out.XXXXXX";
	char got[64];
	int fd = mkstemp(path);

	CHECK(o != NULL && fd >= 0, "setup");
	if (o == NULL || fd < 0) {
		free(o);
		return;
	}
	unlink(path);
	for (size_t i = 0; i < sizeof stale / sizeof *stale; i++) {
		ssize_t n;
		int e;

		/* the heap's leftovers: the previous user's bytes everywhere,
		 * and a byte count in every word that could be one */
		memset(o, 'G', sizeof *o);
		for (size_t w = 0; w + sizeof(size_t) <= sizeof *o;
		    w += sizeof(size_t))
			memcpy((char *)o + w, &stale[i], sizeof(size_t));
		CHECK(ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0,
		    "rewind");
		out_init_fd(o, fd, 0);
		out_puts(o, "{\"size\": \"7\"}\n");
		e = out_flush(o);
		n = pread(fd, got, sizeof got, 0);
		CHECK(e == 0, "stale %zu: flush: %s", stale[i], err_str(e));
		CHECK(n == 14 && memcmp(got, "{\"size\": \"7\"}\n", 14) == 0,
		    "stale %zu: the file holds %zd bytes, not only the output",
		    stale[i], n);
	}
	close(fd);
	free(o);
}

/* Store: chunks split at character boundaries, raw and LZ4 read back equal. */
static int
collect(void *ctx, const uint8_t *p, size_t n)
{
	struct buf *b = ctx;

	/* a chunk never starts with a continuation byte */
	if (n > 0 && (p[0] & 0xC0) == 0x80)
		return 99;
	return buf_append(b, p, n);
}

static void
test_store(void)
{
	struct store *s = malloc(sizeof *s);
	struct store_file f;
	struct buf in, back;
	int e;

	buf_init(&in, 1 << 22);
	for (int i = 0; i < 200000; i++)
		buf_append(&in, i % 3 ? "x" : "\xe2\x82\xac", i % 3 ? 1 : 3);
	for (int raw = 0; raw < 2; raw++) {
		store_init(s, raw ? (uint64_t)1 << 40 : 0, 0);
		store_begin(s, &f);
		/* odd-sized appends */
		for (size_t at = 0; at < in.len;) {
			size_t k = in.len - at < 777 ? in.len - at : 777;
			store_append(s, in.p + at, k);
			at += k;
		}
		e = store_end(s);
		CHECK(e == 0, "store_end");
		buf_init(&back, 1 << 22);
		e = store_read(s, &f, collect, &back);
		CHECK(e == 0, "store_read %d", e);
		CHECK(back.len == in.len && memcmp(back.p, in.p, in.len) == 0,
		    "round trip (%s)", raw ? "raw" : "lz4");
		if (!raw)
			CHECK(s->mem_peak < in.len / 2, "lz4 compresses: %llu",
			    (unsigned long long)s->mem_peak);
		store_drop(s, &f);
		CHECK(s->mem_used == 0, "all freed");
		buf_free(&back);
	}
	/* the memory cap is an error, not an allocation */
	store_init(s, 0, 1000);
	store_begin(s, &f);
	e = store_append(s, in.p, in.len);
	CHECK(e == ERR_DIGEST_MEM, "mem cap: %d", e);
	store_drop(s, &f);
	buf_free(&in);
	free(s);
}

/* a file's chunks in order: their sizes hashed, the bytes appended */
struct chunks_seen {
	struct buf *b;
	uint64_t h;
};

static int
collect_sizes(void *ctx, const uint8_t *p, size_t n)
{
	struct chunks_seen *c = ctx;

	c->h = (c->h ^ n) * 1099511628211ull;
	return collect(c->b, p, n);
}

/*
 * Store with its compressing thread: many files of many sizes (small ones
 * sharing the thread's slots, ones across STORE_CHUNK, one across the raw
 * budget), some dropped while others are on their way, the files' array
 * moved after store_sync as digest.c does, the thread stopped with a file
 * open and started again; every body reads back whole, in the same chunks
 * and the same memory as without the thread. Also run under TSan.
 */
static void
store_many(int thread, uint64_t *sig, uint64_t *mem)
{
	struct store *s = malloc(sizeof *s);
	struct store_file *f = NULL;
	size_t nf = 0, cap = 0;
	struct buf text, back;
	uint32_t x = 12345;
	size_t lens[700], offs[700];
	int e;

	buf_init(&text, 1 << 25);
	for (int i = 0; text.len < 12u << 20; i++) {
		static const char *const w[] = { "store ", "chunk\n", "\xc3\xa9t\xc3\xa9 ",
		    "\xe2\x82\xac", "lz4_", "\xf0\x9f\x98\x80", "0123456789" };
		x = x * 1103515245u + 12345u;
		buf_puts(&text, w[(x >> 16) % 7]);
	}
	store_init(s, 300000, 0);
	store_use_arena(s);
	if (thread)
		store_use_thread(s);
	*sig = 0;
	for (size_t i = 0, at = 0; i < 700; i++) {
		size_t len;
		x = x * 1103515245u + 12345u;
		len = i % 50 == 7 ? 3 * STORE_CHUNK + (x >> 20) % 3 :
		    i % 10 == 3 ? 70000 + (x >> 12) % 200000 : (x >> 16) % 9000;
		if (at + len + 4 > text.len)
			at = 0;
		/* whole characters: a file starts and ends on a boundary */
		while ((text.p[at] & 0xC0) == 0x80)
			at++;
		while ((text.p[at + len] & 0xC0) == 0x80)
			len++;
		if (nf == cap) {
			struct store_file *nb;
			CHECK(store_sync(s, 0) == 0, "sync before moving");
			cap = cap ? cap * 2 : 16;
			nb = realloc(f, cap * sizeof *f);
			CHECK(nb != NULL, "realloc");
			f = nb;
		}
		memset(&f[nf], 0, sizeof *f);
		store_begin(s, &f[nf]);
		for (size_t k = 0; k < len;) {
			size_t n = len - k < 1000 + i ? len - k : 1000 + i;
			e = store_append(s, text.p + at + k, n);
			CHECK(e == 0, "append %d", e);
			k += n;
			if (i == 400 && k >= len / 2 && k - n < len / 2)
				CHECK(store_sync(s, 1) == 0, "stop, file open");
		}
		CHECK(store_end(s) == 0, "end");
		lens[nf] = len;
		offs[nf] = at;
		at += len;
		if (i % 7 == 5) {
			store_drop(s, &f[nf]);
			lens[nf] = 0;
		}
		nf++;
	}
	CHECK(store_sync(s, 1) == 0, "sync");
	*mem = s->mem_used;
	buf_init(&back, 1 << 20);
	for (size_t i = 0; i < nf; i++) {
		struct chunks_seen c = { &back, 14695981039346656037ull };
		buf_reset(&back);
		e = store_read(s, &f[i], collect_sizes, &c);
		CHECK(e == 0, "read %zu: %d", i, e);
		CHECK(back.len == lens[i] && memcmp(back.p, text.p + offs[i],
		    lens[i]) == 0, "file %zu (%zu bytes) reads back", i, lens[i]);
		*sig = (*sig ^ c.h) * 1099511628211ull;
		store_drop(s, &f[i]);
	}
	CHECK(s->mem_used == 0, "all freed");
	store_reinit(s, 0, 0);
	store_free(s);
	buf_free(&back);
	buf_free(&text);
	free(f);
	free(s);
}

static void
test_store_thread(void)
{
	struct store *s = malloc(sizeof *s);
	struct store_file f;
	uint64_t sig[2], mem[2];
	uint8_t junk[4096];
	uint32_t x = 1;
	int e = 0;

	store_many(0, &sig[0], &mem[0]);
	store_many(1, &sig[1], &mem[1]);
	CHECK(sig[0] == sig[1], "the same chunks with the thread");
	CHECK(mem[0] == mem[1], "the same memory: %llu, %llu",
	    (unsigned long long)mem[0], (unsigned long long)mem[1]);
	/* the cap met on the thread: a later call reports it */
	store_init(s, 0, 200000);
	store_use_arena(s);
	store_use_thread(s);
	store_begin(s, &f);
	for (int i = 0; i < 400 && e == 0; i++) {
		for (size_t k = 0; k < sizeof junk; k++) {
			x = x * 1103515245u + 12345u;
			junk[k] = (uint8_t)((x >> 16) % 95 + 32); /* no LZ4 */
		}
		e = store_append(s, junk, sizeof junk);
	}
	if (e == 0)
		e = store_end(s);
	CHECK(e == ERR_DIGEST_MEM || store_sync(s, 0) == ERR_DIGEST_MEM,
	    "mem cap on the thread: %d", e);
	CHECK(store_sync(s, 1) == ERR_DIGEST_MEM, "kept after the stop");
	store_free(s);
	free(s);
}

int
main(void)
{
	test_order_and_tree();
	test_bodies();
	test_cap_eviction();
	test_late_ignore_file();
	test_late_negation();
	test_ignore_order();
	test_extraction_rules();
	test_reroot();
	test_escape_names();
	test_limits();
	test_limit_eviction();
	test_out_cap();
	test_out_recycled();
	test_store();
	test_store_thread();
	return T_DONE();
}
