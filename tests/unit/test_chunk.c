/*
 * test_chunk.c - split.c and jsonl.c on known answers from LangChain.js.
 *
 * The vectors below were produced by @langchain/textsplitters 1.0.2 itself
 * (createDocuments: pageContent and loc.lines) for small chunk sizes, so each
 * probes one rule: trimming, separators kept at the head of the next piece,
 * the overlap window, language lists, UTF-16 lengths (an emoji counts 2),
 * JavaScript's whitespace (U+00A0, U+3000), and the lines LangChain gives a
 * chunk whose text occurs earlier (its indexOf). The full comparison over
 * real files is tests/cli/chunks.sh; these run without Node.
 * Then jsonl.c: one line's exact bytes, and the same output whether the text
 * arrives whole, byte by byte, or cut at every offset; and every character
 * that needs more than its byte copied at every offset of the 16-unit blocks
 * the text field is written in, against a plain encoder, with the id over
 * the chunk's UTF-8. Last, sha256x (SHA-NI where the CPU has it) against
 * BearSSL's br_sha256 on every length around the block edges, whole, in
 * pieces and two messages side by side (sha256x_two, unequal lengths).
 * And a digest of a few MiB through chunkw_render (the second thread, and
 * the main thread estimating part of every batch it hands over) against the
 * same files written one by one without a thread: the same bytes (also run
 * under ThreadSanitizer).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "err.h"
#include "jsonl.h"
#include "sha256x.h"
#include "split.h"
#include "t.h"

struct want {
	const char *text;
	unsigned from, to;
};

static const struct vec {
	const char *lang;
	size_t size, overlap;
	const char *text;
	size_t n;
	struct want w[8];
} vecs[] = {
	{ "text", 10, 3, "Hello world\x0a""\x0a""foo bar baz qux\x0a""quux", 5, {
		{ "Hello", 1, 1 },
		{ "world", 1, 1 },
		{ "foo bar", 3, 3 },
		{ "baz qux", 3, 3 },
		{ "quux", 4, 4 },
	} },
	{ "text", 1000, 100, "short file\x0a""", 1, {
		{ "short file", 1, 1 },
	} },
	{ "text", 20, 5, "  \x0a""\x0a""  leading and trailing blanks  \x0a""\x0a""  ", 2, {
		{ "leading and", 3, 3 },
		{ "and trailing blanks", 3, 3 },
	} },
	{ "python", 40, 10, "import os\x0a""\x0a""class A:\x0a""    def f(self):\x0a""        return 1\x0a""\x0a""def g():\x0a""    pass\x0a""", 4, {
		{ "import os", 1, 1 },
		{ "class A:\x0a""    def f(self):", 3, 4 },
		{ "return 1", 5, 5 },
		{ "def g():\x0a""    pass", 7, 8 },
	} },
	{ "markdown", 30, 0, "# T\x0a""\x0a""## One\x0a""text one here\x0a""## Two\x0a""more text two\x0a""```\x0a""code\x0a""```\x0a""\x0a""", 3, {
		{ "# T\x0a""\x0a""## One\x0a""text one here", 1, 4 },
		{ "## Two\x0a""more text two\x0a""```\x0a""code", 5, 8 },
		{ "```", 7, 7 },
	} },
	{ "html", 25, 5, "<body><div><p>alpha beta</p><p>gamma delta</p></div></body>", 4, {
		{ "<body>", 1, 1 },
		{ "<div><p>alpha beta</p>", 1, 1 },
		{ "<p>gamma", 1, 1 },
		{ "delta</p></div></body>", 1, 1 },
	} },
	{ "text", 6, 2, "ab\xc3""\xa9""\xf0""\x9f""\x98""\x80""cd\xc2""\xa0""ef gh\xe3""\x80""\x80""ij", 3, {
		{ "ab\xc3""\xa9""\xf0""\x9f""\x98""\x80""c", 1, 1 },
		{ "\xef""\xbf""\xbd""cd\xc2""\xa0""ef", 1, 1 },
		{ "gh\xe3""\x80""\x80""ij", 1, 1 },
	} },
	{ "text", 8, 3, "same\x0a""same\x0a""same\x0a""same\x0a""same\x0a""", 5, {
		{ "same", 1, 1 },
		{ "same", 2, 2 },
		{ "same", 3, 3 },
		{ "same", 4, 4 },
		{ "same", 5, 5 },
	} },
	{ "latex", 20, 4, "\x5c""section{A}\x0a""text $x$ and $$y$$\x0a""\x5c""subsection{B}\x0a""more", 4, {
		{ "\x5c""section{A}\x0a""text $x", 1, 2 },
		{ "$x$ and", 2, 2 },
		{ "$$y$$", 2, 2 },
		{ "\x5c""subsection{B}\x0a""more", 3, 4 },
	} },
};

/*
 * UTF-8 (valid, from the vectors) to UTF-16 units; returns the count. The
 * vectors hold no U+FFFD of their own: in an expected chunk it stands for the
 * lone low surrogate U+DE00 that LangChain leaves when it cuts the emoji of
 * vector 6 in two (UTF-8 cannot spell it; JSON.stringify wrote it as FFFD).
 */
static size_t
to_units(const char *s, uint16_t *u)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t n = 0;

	while (*p) {
		uint32_t c = *p++;
		if (c >= 0xf0) {
			c = (c & 7) << 18 | (p[0] & 0x3fu) << 12 | (p[1] & 0x3fu) << 6 |
			    (p[2] & 0x3fu);
			p += 3;
		} else if (c >= 0xe0) {
			c = (c & 15) << 12 | (p[0] & 0x3fu) << 6 | (p[1] & 0x3fu);
			p += 2;
		} else if (c >= 0xc0) {
			c = (c & 31) << 6 | (p[0] & 0x3fu);
			p += 1;
		}
		if (c == 0xfffd)
			c = 0xde00;
		if (c >= 0x10000) {
			u[n++] = (uint16_t)(0xd800 | (c - 0x10000) >> 10);
			u[n++] = (uint16_t)(0xdc00 | (c & 0x3ff));
		} else {
			u[n++] = (uint16_t)c;
		}
	}
	return n;
}

struct got {
	struct split_chunk c[16];
	size_t n;
};

static int
collect(void *ctx, const struct split_chunk *c)
{
	struct got *g = ctx;

	if (g->n < 16)
		g->c[g->n] = *c;
	g->n++;
	return 0;
}

static void
test_vectors(void)
{
	for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++) {
		const struct vec *v = &vecs[i];
		uint16_t t[256], w[256];
		struct split s;
		struct got g = { .n = 0 };
		size_t n = to_units(v->text, t);

		CHECK(split_init(&s, v->size, v->overlap) == 0, "vector %zu", i);
		CHECK(split_text(&s, split_lang_by_name(v->lang), t, n, collect,
		    &g) == 0, "vector %zu", i);
		CHECK(g.n == v->n, "vector %zu: %zu chunks, want %zu", i, g.n, v->n);
		for (size_t k = 0; k < g.n && k < v->n; k++) {
			size_t wn = to_units(v->w[k].text, w);
			const struct split_chunk *c = &g.c[k];
			CHECK(c->end - c->start == wn && memcmp(t + c->start, w,
			    wn * 2) == 0, "vector %zu chunk %zu text", i, k);
			CHECK(c->line_from == v->w[k].from && c->line_to ==
			    v->w[k].to, "vector %zu chunk %zu: lines %llu-%llu, "
			    "want %u-%u", i, k, (unsigned long long)c->line_from,
			    (unsigned long long)c->line_to, v->w[k].from, v->w[k].to);
		}
		split_free(&s);
	}
}

static void
test_settings(void)
{
	struct split s;

	CHECK(split_init(&s, 0, 0) == ERR_USAGE, "size 0");
	CHECK(split_init(&s, 10, 10) == ERR_USAGE, "overlap = size");
	CHECK(split_init(&s, SPLIT_MAX_SIZE + 1, 0) == ERR_USAGE, "too large");
	CHECK(strcmp(split_lang_for_path("a/b.PY", 6)->name, "python") == 0, ".PY");
	CHECK(strcmp(split_lang_for_path("x.tsx", 5)->name, "js") == 0, ".tsx");
	CHECK(strcmp(split_lang_for_path(".py", 3)->name, "text") == 0, "dot file");
	CHECK(strcmp(split_lang_for_path("a.py/Makefile", 13)->name, "text") == 0,
	    "dot in a directory");
	CHECK(strcmp(split_lang_for_path("README", 6)->name, "text") == 0, "none");
}

/* Render one file through jsonl.c, the text fed in pieces of step bytes
 * (0: whole). */
static void
render(struct buf *b, const char *text, size_t step)
{
	struct out *o = malloc(sizeof *o);
	struct chunkw *w = malloc(sizeof *w);
	struct chunkw_meta m = { "o/r", "main", "abc" };
	size_t n = strlen(text);

	if (o == NULL || w == NULL)
		abort();
	buf_reset(b);
	out_init_mem(o, b, 0);
	CHECK(chunkw_init(w, o, &m, 12, 4) == 0, "init");
	CHECK(chunkw_begin(w, "d/x.py", 6) == 0, "begin");
	for (size_t at = 0; at < n; at += step ? step : n) {
		size_t k = step && step < n - at ? step : n - at;
		CHECK(chunkw_data(w, (const uint8_t *)text + at, k) == 0, "data");
	}
	CHECK(chunkw_end(w) == 0, "end");
	chunkw_free(w);
	free(w);
	free(o);
}

static int
has(const struct buf *b, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i + n <= b->len; i++)
		if (memcmp(b->p + i, s, n) == 0)
			return 1;
	return 0;
}

static void
test_jsonl(void)
{
	static const char text[] = "def f():\n\t\"q\" \\ \xf0\x9f\x98\x80\x01 ok\n";
	struct buf whole, part;
	char id[33];

	buf_init(&whole, 1 << 20);
	buf_init(&part, 1 << 20);
	render(&whole, text, 0);
	CHECK(whole.len > 0 && memcmp(whole.p, "{\"repo\":\"o/r\",\"ref\":\"main\","
	    "\"commit\":\"abc\",\"path\":\"d/x.py\",\"language\":\"python\","
	    "\"chunk\":0,\"start_line\":1,\"end_line\":1,\"text\":\"def f():\","
	    "\"tokens\":", 138) == 0, "first line: %.*s", (int)whole.len,
	    (const char *)whole.p);
	/* JSON.stringify's escapes; the emoji as UTF-8 */
	CHECK(has(&whole, "\"\\\"q\\\" \\\\ \xf0\x9f\x98\x80\\u0001"),
	    "escapes: %.*s", (int)whole.len, (const char *)whole.p);
	for (size_t step = 1; step <= sizeof text; step++) {
		render(&part, text, step);
		CHECK(part.len == whole.len && memcmp(part.p, whole.p,
		    whole.len) == 0, "pieces of %zu bytes", step);
	}
	chunkw_id("o/r", "d/x.py", 6, 0, (const uint8_t *)"x", 1, id);
	CHECK(strlen(id) == 32, "id length");
	{
		char id2[33];
		chunkw_id("o/r", "d/x.py", 6, 1, (const uint8_t *)"x", 1, id2);
		CHECK(strcmp(id, id2) != 0, "chunk number changes the id");
		chunkw_id("o/r", "d/x.p", 5, 0, (const uint8_t *)"yx", 2, id2);
		CHECK(strcmp(id, id2) != 0, "fields are length-prefixed");
	}
	buf_free(&whole);
	buf_free(&part);
}

/* JSON.stringify() of UTF-8 text s[0..n) (valid, no lone surrogates). */
static void
ref_json(struct buf *b, const char *s, size_t n)
{
	buf_putc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *e = c == '"' ? "\\\"" : c == '\\' ? "\\\\" :
		    c == '\b' ? "\\b" : c == '\f' ? "\\f" : c == '\n' ? "\\n" :
		    c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
		if (e != NULL)
			buf_puts(b, e);
		else if (c < 0x20)
			buf_printf(b, "\\u%04x", c);
		else
			buf_putc(b, c);
	}
	buf_putc(b, '"');
}

static void
test_escape_runs(void)
{
	static const char *const odd[] = { "\"", "\\", "\x01", "\x1f", "\t",
	    "\n", "\x7f", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
	    "\xef\xbf\xbf", "\"\\" };
	struct chunkw_meta m = { "o/r", "", "" };
	struct buf text, out, want;
	struct out *o = malloc(sizeof *o);
	struct chunkw *w = malloc(sizeof *w);
	char id[33], *at;

	if (o == NULL || w == NULL)
		abort();
	buf_init(&text, 1 << 20);
	buf_init(&out, 1 << 22);
	buf_init(&want, 1 << 22);
	/* x, then each odd character after 0..33 plain bytes, then 40 more */
	buf_putc(&text, 'x');
	for (size_t k = 0; k < sizeof odd / sizeof *odd; k++)
		for (int pad = 0; pad < 34; pad++) {
			for (int i = 0; i < pad; i++)
				buf_putc(&text, (char)('a' + i % 26));
			buf_puts(&text, odd[k]);
			for (int i = 0; i < 40; i++)
				buf_putc(&text, (char)('A' + i % 26));
		}
	buf_putc(&text, 'x');
	out_init_mem(o, &out, 0);
	CHECK(chunkw_init(w, o, &m, SPLIT_MAX_SIZE, 0) == 0, "init");
	CHECK(chunkw_begin(w, "a.txt", 5) == 0, "begin");
	CHECK(chunkw_data(w, text.p, text.len) == 0, "data");
	CHECK(chunkw_end(w) == 0, "end");
	CHECK(w->chunks == 1, "one chunk: %llu", (unsigned long long)w->chunks);
	chunkw_free(w);
	buf_puts(&want, ",\"text\":");
	ref_json(&want, (const char *)text.p, text.len);
	buf_puts(&want, ",\"tokens\":");
	CHECK(has(&out, buf_cstr(&want)), "text field as JSON.stringify writes it");
	chunkw_id("o/r", "a.txt", 5, 0, text.p, text.len, id);
	at = strstr(buf_cstr(&out), "\"id\":\"");
	CHECK(at != NULL && strncmp(at + 6, id, 32) == 0,
	    "the id is over the chunk's UTF-8");
	buf_free(&text);
	buf_free(&out);
	buf_free(&want);
	free(w);
	free(o);
}

/* BearSSL's SHA-256 of p[0..n): the reference. */
static void
ref_sha256(const uint8_t *p, size_t n, uint8_t d[32])
{
	br_sha256_context c;

	br_sha256_init(&c);
	br_sha256_update(&c, p, n);
	br_sha256_out(&c, d);
}

static void
test_sha256x(void)
{
	enum { N = 300 };
	static uint8_t src[N], a[N + SHA256X_PAD], b[N + SHA256X_PAD];
	uint8_t want[N + 1][32], d[32], db[32];
	int bad_whole = 0, bad_parts = 0, bad_two = 0;

	for (size_t i = 0; i < N; i++)
		src[i] = (uint8_t)(i * 131 + 7);
	for (size_t n = 0; n <= N; n++)
		ref_sha256(src, n, want[n]);
	for (size_t n = 0; n <= N; n++) {
		struct sha256x c;
		sha256x_init(&c);
		sha256x_update(&c, src, n);
		sha256x_out(&c, d);
		bad_whole += memcmp(d, want[n], 32) != 0;
		/* pieces of 1..70 bytes cross the partial block every way */
		for (size_t step = 1; step <= 70; step += 23) {
			sha256x_init(&c);
			for (size_t at = 0; at < n; at += step)
				sha256x_update(&c, src + at,
				    step < n - at ? step : n - at);
			sha256x_out(&c, d);
			bad_parts += memcmp(d, want[n], 32) != 0;
		}
	}
	/* every length of a against lengths of b on both sides of it (the
	 * longer one's last blocks go alone) */
	for (size_t na = 0; na <= N; na++)
		for (size_t nb = na > 130 ? na - 130 : 0; nb <= N &&
		    nb <= na + 130; nb += 13) {
			memset(a, 0xee, sizeof a);
			memset(b, 0xee, sizeof b);
			memcpy(a, src, na);
			memcpy(b, src, nb);
			sha256x_two(a, na, b, nb, d, db);
			bad_two += memcmp(d, want[na], 32) != 0 ||
			    memcmp(db, want[nb], 32) != 0;
		}
	CHECK(bad_whole == 0, "%d lengths differ, whole", bad_whole);
	CHECK(bad_parts == 0, "%d lengths differ, in pieces", bad_parts);
	CHECK(bad_two == 0, "%d pairs differ, side by side", bad_two);
}

/* Pseudo-random source-like text: words, identifiers, numbers, operators,
 * blank runs and line breaks, from seed. */
static void
gen_text(struct buf *b, uint32_t seed, size_t n)
{
	static const char *const tok[] = { "int", "return", "x", "foo_bar",
	    "CamelCase", "HTTPServer", "42", "1234567", "(", ")", "{", "}",
	    ";", "==", "->", "/* c */", "\"s\"", "  ", "\t", "\n", "\n\n",
	    "\n    ", "// note\n", "\xc3\xa9t\xc3\xa9", " ", " ", ", " };

	while (b->len < n) {
		seed = seed * 1103515245u + 12345u;
		buf_puts(b, tok[(seed >> 16) % (sizeof tok / sizeof *tok)]);
	}
}

static void
test_threaded(void)
{
	enum { NFILES = 40, FILE_BYTES = 60000 };
	struct chunkw_meta m = { "o/r", "main", "abc" };
	struct digest_opts opt;
	struct digest *d = malloc(sizeof *d);
	struct out *o = malloc(sizeof *o);
	struct chunkw *w = malloc(sizeof *w);
	struct buf text[NFILES], one, all;
	char path[16];
	int e = 0;

	if (d == NULL || o == NULL || w == NULL)
		abort();
	memset(&opt, 0, sizeof opt);
	opt.max_depth = -1;
	CHECK(digest_init(d, &opt) == 0, "digest_init");
	buf_init(&one, 1 << 28);
	buf_init(&all, 1 << 28);
	out_init_mem(o, &one, 0);
	CHECK(chunkw_init(w, o, &m, 1000, 100) == 0, "init");
	for (int i = 0; i < NFILES && e == 0; i++) {
		buf_init(&text[i], 1 << 20);
		gen_text(&text[i], (uint32_t)i, FILE_BYTES + 997 * (size_t)i);
		snprintf(path, sizeof path, "d/f%02d.c", i);
		e = digest_entry(d, DIGEST_FILE, path, strlen(path),
		    text[i].len, NULL, 0);
		if (e == 0)
			e = digest_data(d, text[i].p, text[i].len);
		if (e == 0)
			e = digest_entry_end(d);
		/* the same file, alone and without a thread */
		CHECK(chunkw_begin(w, path, strlen(path)) == 0 &&
		    chunkw_data(w, text[i].p, text[i].len) == 0 &&
		    chunkw_end(w) == 0, "file %d alone", i);
		buf_free(&text[i]);
	}
	CHECK(e == 0 && digest_finish(d, "root") == 0, "digest: %d", e);
	chunkw_free(w);
	out_init_mem(o, &all, 0);
	CHECK(chunkw_render(o, &m, 1000, 100, d) == 0, "render");
	/* several 256 KiB batches, so the thread ran */
	CHECK(all.len > (size_t)4 << 20, "%zu bytes of lines", all.len);
	CHECK(all.len == one.len && memcmp(all.p, one.p, one.len) == 0,
	    "threaded lines differ from the file-by-file ones (%zu, %zu bytes)",
	    all.len, one.len);
	digest_free(d);
	buf_free(&one);
	buf_free(&all);
	free(d);
	free(o);
	free(w);
}

int
main(void)
{
	test_vectors();
	test_settings();
	test_jsonl();
	test_escape_runs();
	test_sha256x();
	test_threaded();
	return T_DONE();
}
