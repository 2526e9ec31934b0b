/*
 * test_tokenize.c - the search tokenizer (src/search/tokenize.c): each case
 * style, acronyms, digits, Unicode letters and separators, long identifiers,
 * bytes that are not UTF-8, the three position modes, the byte offsets, and
 * that the styles of one name meet on the same tokens; every case also
 * through the scanning path long identifiers take (tok_text_scan).
 *
 * A case is the text and its tokens in order, space-separated, a token
 * colocated with the one before written with a leading '+'.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenize.h"
#include "t.h"

struct collect {
	char out[4096];
	size_t len;
	int stop_after;         /* > 0: return 7 on that token */
	int count;
	const uint8_t *text;
	size_t n;
	int bad_range;          /* an offset outside the text or a token
	                         * longer than TOK_MAX */
};

static int
collect(void *ctx, const char *t, size_t n, size_t s, size_t e, int fl)
{
	struct collect *c = ctx;

	if (n > TOK_MAX || s >= e || e > c->n)
		c->bad_range = 1;
	if (c->len + n + 3 < sizeof c->out) {
		if (c->len > 0)
			c->out[c->len++] = ' ';
		if (fl & TOK_COLOCATED)
			c->out[c->len++] = '+';
		memcpy(c->out + c->len, t, n);
		c->len += n;
		c->out[c->len] = '\0';
	}
	if (++c->count == c->stop_after)
		return 7;
	return 0;
}

/* The tokens of text in mode; the scanning path (long identifiers) must
 * give the same as the one-pass path. */
static const char *
toks(const char *text, size_t n, enum tok_mode mode)
{
	static struct collect c, s;

	memset(&c, 0, sizeof c);
	c.text = (const uint8_t *)text;
	c.n = n;
	tok_text((const uint8_t *)text, n, mode, collect, &c);
	CHECK(!c.bad_range, "offsets of %s", text);
	memset(&s, 0, sizeof s);
	s.text = c.text;
	s.n = n;
	tok_text_scan((const uint8_t *)text, n, mode, collect, &s);
	CHECK(strcmp(s.out, c.out) == 0, "scan path for %s: %s", text, s.out);
	return c.out;
}

static void
case_parts(const char *text, const char *want)
{
	const char *got = toks(text, strlen(text), TOK_PARTS);

	CHECK(strcmp(got, want) == 0, "%s: got \"%s\", want \"%s\"", text, got,
	    want);
}

static void
test_styles(void)
{
	/* camelCase, PascalCase, snake_case, kebab-case, SCREAMING */
	case_parts("getUserById", "get +getuserbyid user by id");
	case_parts("GetUserByID", "get +getuserbyid user by id");
	case_parts("get_user_by_id", "get +getuserbyid user by id");
	case_parts("get-user-by-id", "get +getuserbyid user by id");
	case_parts("GET_USER_BY_ID", "get +getuserbyid user by id");
	case_parts("UserById", "user +userbyid by id");
	case_parts("user by id", "user by id");
	/* acronyms */
	case_parts("HTTPServer", "http +httpserver server");
	case_parts("parseHTTPResponse", "parse +parsehttpresponse http response");
	case_parts("URLs", "urls");
	case_parts("IDs", "ids");
	case_parts("userIDs", "user +userids ids");
	case_parts("URLsList", "urls +urlslist list");
	case_parts("XMLHttpRequest", "xml +xmlhttprequest http request");
	/* letters and digits */
	case_parts("utf8", "utf +utf8");
	case_parts("sha256x", "sha +sha256x 256");
	case_parts("x86_64", "x8664 86 64");
	case_parts("2024", "2024");
	case_parts("base64Encode", "base +base64encode 64 encode");
	/* leading, trailing, doubled underscores */
	case_parts("__init__", "init");
	case_parts("_private", "private");
	case_parts("ab__cd", "ab +abcd cd");
	case_parts("___", "");
	/* kebab: '-' joins only between words */
	case_parts("--max-output", "max +maxoutput output");
	case_parts("ab - cd", "ab cd");
	case_parts("xy-", "xy");
	case_parts("-xy", "xy");
	case_parts("ab--cd", "ab cd");
	case_parts("foo-barBaz", "foo +foobarbaz bar +barbaz baz");
	case_parts("x86-64", "x8664 +x86 86 64");
	/* dotted, slashed, scoped: separators; a path's whole and its
	 * tails after a '/' (test_paths) */
	case_parts("src/digest/utf8.c",
	    "src digest utf +utf8 +digest/utf8.c +utf8.c");
	case_parts("os.path.join", "os path join +os.path.join");
	case_parts("std::vector<int>", "std vector int");
	case_parts("ab.cd-ef", "ab cd +cdef ef +ab.cd-ef");
	/* prose and punctuation */
	case_parts("Hello, World!", "hello world");
	case_parts("\"quoted\" (paren) [xx] {yy} *zz* NEAR(aa, bb) AND -cc",
	    "quoted paren xx yy zz near aa bb and cc");
	/* one ASCII letter or digit is no token; a whole made of them is */
	case_parts("a b c 1 2 _ i+j", "");
	case_parts("a_b", "ab");
	case_parts("for (i = 0; i < n; i++) x[i] = y;", "for");
	case_parts("\xc3\xa9", "\xc3\xa9");
	case_parts("", "");
	case_parts("   \t\n", "");
}

static void
test_unicode(void)
{
	/* letters of other scripts are word characters, lower-cased */
	case_parts("Größe", "größe");
	case_parts("ÜberGröße", "über +übergröße größe");
	case_parts("ÉTAT", "état");
	case_parts("naïve café", "naïve café");
	case_parts("ΟΔΟΣ οδος", "οδοσ οδοσ");
	case_parts("Привет мир", "привет мир");
	case_parts("数据库 検索", "数据库 検索");
	case_parts("İstanbul", "istanbul");
	/* punctuation and symbols outside ASCII separate */
	case_parts("ab\xc2\xa0" "cd", "ab cd");                     /* NBSP */
	case_parts("ab\xe2\x80\x94" "cd", "ab cd");                 /* em dash */
	case_parts("ab\xe2\x86\x92" "cd", "ab cd");                 /* arrow */
	case_parts("\xf0\x9f\x98\x80" "ok", "ok");              /* emoji */
	case_parts("\xe3\x80\x81" "xy", "xy");                    /* 、 */
	case_parts("µs", "µs");
}

static void
test_invalid(void)
{
	static const char bad[] = "ab\xff" "cd\xc0\xaf" "ef\xed\xa0\x80" "gh"
	    "\xf4\x90\x80\x80" "ij\xe2\x82" "kl\xc3";
	const char *got = toks(bad, sizeof bad - 1, TOK_PARTS);

	/* each byte that is not UTF-8 separates, as a space would */
	CHECK(strcmp(got, "ab cd ef gh ij kl") == 0, "invalid UTF-8: %s", got);
	got = toks("ab\0cd", 5, TOK_PARTS);
	CHECK(strcmp(got, "ab cd") == 0, "NUL separates: %s", got);
}

static void
test_long(void)
{
	char text[400], want[400];
	const char *got;

	/* a part longer than TOK_MAX is cut; a whole longer is left out */
	memset(text, 'a', 100);
	text[100] = '\0';
	got = toks(text, 100, TOK_PARTS);
	CHECK(strlen(got) == TOK_MAX && strspn(got, "a") == TOK_MAX,
	    "long part cut at TOK_MAX: %zu", strlen(got));
	/* 30 + 40 letters: the whole (70) is too long, parts stay */
	memset(text, 'a', 30);
	text[30] = '_';
	memset(text + 31, 'b', 40);
	text[71] = '\0';
	snprintf(want, sizeof want, "%.30s %.40s", text, text + 31);
	got = toks(text, 71, TOK_PARTS);
	CHECK(strcmp(got, want) == 0, "long whole left out: %s", got);
	/* a multibyte letter is never cut in half */
	for (int i = 0; i < 40; i++)
		memcpy(text + 2 * i, "\xc3\xa9", 2);            /* é x 40 */
	text[80] = '\0';
	got = toks(text, 80, TOK_PARTS);
	CHECK(strlen(got) == TOK_MAX, "cut on a character boundary: %zu",
	    strlen(got));
	/* many parts, one identifier: every part, no whole */
	for (int i = 0; i < 100; i++)
		memcpy(text + 4 * i, "abC_", 4);
	text[399] = '\0';
	got = toks(text, 399, TOK_PARTS);
	CHECK(strncmp(got, "ab ab ab ", 9) == 0 && strlen(got) == 299,
	    "100 x abC_: %zu", strlen(got));
}

static void
test_modes(void)
{
	const char *got;

	got = toks("getUserById xy", 14, TOK_SEPARATE);
	CHECK(strcmp(got, "get getuserbyid user by id xy") == 0, "separate: %s",
	    got);
	got = toks("getUserById xy", 14, TOK_ONE);
	CHECK(strcmp(got, "get +getuserbyid +user +by +id xy") == 0, "one: %s",
	    got);
	got = toks("getUserById xy", 14, TOK_PARTS);
	CHECK(strcmp(got, "get +getuserbyid user by id xy") == 0, "parts: %s",
	    got);
	/* the first token of a text is never colocated, nor the first one
	 * of an identifier whose first part is left out */
	got = toks("ab_cd", 5, TOK_ONE);
	CHECK(strcmp(got, "ab +abcd +cd") == 0, "one: %s", got);
	got = toks("ab x_cd", 7, TOK_ONE);
	CHECK(strcmp(got, "ab xcd +cd") == 0, "one, first part left out: %s",
	    got);
}

/* offsets: each token's range in the text */
struct offs {
	size_t s[16], e[16];
	int n;
};

static int
offs(void *ctx, const char *t, size_t n, size_t s, size_t e, int fl)
{
	struct offs *o = ctx;

	(void)t, (void)n, (void)fl;
	if (o->n < 16) {
		o->s[o->n] = s;
		o->e[o->n] = e;
		o->n++;
	}
	return 0;
}

static void
test_offsets(void)
{
	static const char text[] = "  getUser-id ok";
	struct offs o;

	memset(&o, 0, sizeof o);
	tok_text((const uint8_t *)text, sizeof text - 1, TOK_PARTS, offs, &o);
	/* get, getuserid (whole), getuser (word), user, id, ok */
	CHECK(o.n == 6, "6 tokens: %d", o.n);
	CHECK(o.s[0] == 2 && o.e[0] == 5, "get [2,5)");
	CHECK(o.s[1] == 2 && o.e[1] == 12, "whole [2,12)");
	CHECK(o.s[2] == 2 && o.e[2] == 9, "word [2,9)");
	CHECK(o.s[3] == 5 && o.e[3] == 9, "user [5,9)");
	CHECK(o.s[4] == 10 && o.e[4] == 12, "id [10,12)");
	CHECK(o.s[5] == 13 && o.e[5] == 15, "ok [13,15)");
}

static void
test_stop(void)
{
	struct collect c;
	int r;

	memset(&c, 0, sizeof c);
	c.stop_after = 3;
	c.text = (const uint8_t *)"aa bb cc dd ee";
	c.n = 14;
	r = tok_text(c.text, c.n, TOK_PARTS, collect, &c);
	CHECK(r == 7 && c.count == 3, "callback's value stops it: %d %d", r,
	    c.count);
}

/* paths: identifiers joined by single '.' or '/' */
static void
test_paths(void)
{
	const char *got;

	case_parts("tests/run: x", "tests run +tests/run");
	case_parts("Cmd_Digest.C", "cmd +cmddigest digest +cmd_digest.c");
	case_parts("LangChain.js", "lang +langchain chain js +langchain.js");
	/* the last two components, then the last one if it has a '.'; a
	 * tail of one identifier is not repeated; letters alone kept in the
	 * path */
	case_parts("src/cli/cmd_digest.c",
	    "src cli cmd +cmddigest digest +cli/cmd_digest.c +cmd_digest.c");
	case_parts("x/y/z", "y/z");
	case_parts("a/b.c/d", "b.c/d");
	case_parts("a.b", "a.b");
	/* a joiner must have a word on both sides; '..', '//', ' / ' end it */
	case_parts("../shared", "shared");
	case_parts("digest.c.", "digest +digest.c");
	case_parts("ab..cd ab//cd ab / cd", "ab cd ab cd ab cd");
	case_parts("https://github.com/o/r-x",
	    "https github com rx +o/r-x");
	/* the first token of a text is never colocated */
	got = toks("a.b cd", 6, TOK_ONE);
	CHECK(strcmp(got, "a.b cd") == 0, "one: %s", got);
	got = toks("ab/cd.ef", 8, TOK_SEPARATE);
	CHECK(strcmp(got, "ab cd ef ab/cd.ef cd.ef") == 0, "separate: %s",
	    got);
	got = toks("ab/cd.ef", 8, TOK_ONE);
	CHECK(strcmp(got, "ab +cd +ef +ab/cd.ef +cd.ef") != 0 &&
	    strcmp(got, "ab cd ef +ab/cd.ef +cd.ef") == 0, "one: %s", got);
}

/* the four spellings share every part; three share the whole */
static void
test_meet(void)
{
	const char *a[] = { "getUserById", "get_user_by_id", "get-user-by-id",
	    "GetUserByID" };
	char first[256];

	snprintf(first, sizeof first, "%s", toks(a[0], strlen(a[0]), TOK_PARTS));
	for (size_t i = 1; i < 4; i++)
		CHECK(strcmp(toks(a[i], strlen(a[i]), TOK_PARTS), first) == 0,
		    "%s meets getUserById", a[i]);
	CHECK(strstr(toks("UserById", 8, TOK_PARTS), "user") != NULL &&
	    strstr(toks("user by id", 10, TOK_PARTS), "by id") != NULL,
	    "UserById and user by id");
}

static void
test_lower(void)
{
	char out[TOK_MAX];
	char big[200];
	size_t n;

	n = tok_lower((const uint8_t *)"GetUser", 7, out);
	CHECK(n == 7 && memcmp(out, "getuser", 7) == 0, "tok_lower ASCII");
	n = tok_lower((const uint8_t *)"ÜBER", 5, out);
	CHECK(n == 5 && memcmp(out, "über", 5) == 0, "tok_lower Ü");
	memset(big, 'X', sizeof big);
	n = tok_lower((const uint8_t *)big, sizeof big, out);
	CHECK(n == TOK_MAX && out[0] == 'x', "tok_lower cut");
	n = tok_lower((const uint8_t *)"a\xff", 2, out);
	CHECK(n == 2 && (uint8_t)out[1] == 0xff, "tok_lower keeps a bad byte");
}

int
main(void)
{
	test_styles();
	test_unicode();
	test_invalid();
	test_long();
	test_modes();
	test_paths();
	test_offsets();
	test_stop();
	test_meet();
	test_lower();
	return T_DONE();
}
