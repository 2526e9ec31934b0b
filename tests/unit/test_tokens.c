/*
 * test_tokens.c - the token estimate: gitingest's number format (spec §3), the
 * streaming contract (whole = byte by byte = split at every offset), and accuracy
 * against the real o200k_base counts of the golden digests.
 *
 * The goldens are read from tests/data (the checkout's root is the working
 * directory): each gitingest/expected/NAME/digest.txt is tree + "\n" + content, whose real
 * count is the "Estimated tokens:" figure in NAME/summary.txt (measured: equal for
 * every golden). A figure like "1.4k" is read as 1400 +- 50.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokens.h"
#include "t.h"
#include "../common/slurp.h"

#define MAX_FILE (1u << 20)

static const char *goldens[] = {
	"basic", "binary", "ignore", "limits", "mixed", "patterns", "symlinks",
	"text",
};

static uint64_t
count_whole(const uint8_t *p, size_t n)
{
	struct tokens t;

	tokens_init(&t);
	tokens_feed(&t, p, n);
	return tokens_end(&t);
}

static uint64_t
count_bytes(const uint8_t *p, size_t n)
{
	struct tokens t;
	size_t i;

	tokens_init(&t);
	for (i = 0; i < n; i++)
		tokens_feed(&t, p + i, 1);
	return tokens_end(&t);
}

static uint64_t
count_split(const uint8_t *p, size_t n, size_t at)
{
	struct tokens t;

	tokens_init(&t);
	tokens_feed(&t, p, at);
	tokens_feed(&t, NULL, 0);
	tokens_feed(&t, p + at, n - at);
	return tokens_end(&t);
}

static void
test_format(void)
{
	static const struct {
		uint64_t t;
		const char *want;
	} cases[] = {
		{ 0, "0" }, { 515, "515" }, { 999, "999" }, { 1000, "1.0k" },
		{ 1250, "1.2k" }, { 1750, "1.8k" }, { 1050, "1.1k" },
		{ 999999, "1000.0k" }, { 1000000, "1.0M" }, { 2250000, "2.2M" },
		{ 12345678, "12.3M" },
	};
	char out[32];
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tokens_format(cases[i].t, out, sizeof out);
		CHECK(strcmp(out, cases[i].want) == 0, "%llu: got \"%s\", want \"%s\"",
		    (unsigned long long)cases[i].t, out, cases[i].want);
	}
	/* a short buffer truncates, NUL-terminated */
	tokens_format(2250000, out, 3);
	CHECK(strcmp(out, "2.") == 0, "cap 3: got \"%s\"", out);
}

/* Every split of each text gives the same count as the whole. */
static void
test_streaming(void)
{
	static const char *texts[] = {
		"",
		"hello",
		"Hello, World! HTTPServer getHTTPResponse don't 12345 x=1;\n",
		"int\nmain(void)\n{\n\treturn 0;\n}\n\n\n   \n\t  x  \t\n",
		"  leading and trailing   ",
		"====================================================\n----\n",
		"caf\xc3\xa9 cafe\xcc\x81 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x9a\x80\xe2\x9c\xa8 "
		    "\xe2\x94\x9c\xe2\x94\x80\xe2\x94\x80 \xd0\x9f\xd1\x80\xd0\xb8",
		/* invalid UTF-8: stray continuation, cut sequences, overlong lead */
		"a\x80" "b\xe4\xb8" "c\xc0\xaf\xf0\x9f\x9a \xff\xfe end\xe2",
		"\r\n\r\n \r \n\r", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"((((foo)))) ->bar //baz\n/* x */ \"str\"\n",
	};
	size_t i, at, n;

	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		const uint8_t *p = (const uint8_t *)texts[i];
		uint64_t whole, bytes;
		int bad = 0;

		n = strlen(texts[i]);
		whole = count_whole(p, n);
		bytes = count_bytes(p, n);
		CHECK(whole == bytes, "text %zu: whole %llu, byte by byte %llu", i,
		    (unsigned long long)whole, (unsigned long long)bytes);
		for (at = 0; at <= n; at++)
			if (count_split(p, n, at) != whole)
				bad++;
		CHECK(bad == 0, "text %zu: %d of %zu splits differ from the whole",
		    i, bad, n + 1);
	}
	CHECK(count_whole((const uint8_t *)"", 0) == 0, "empty text is 0 tokens");
}

/* tokens_end() closes the piece but keeps the total: feeding on adds to it. */
static void
test_running_total(void)
{
	struct tokens t;
	uint64_t a, b, one;
	const uint8_t *s = (const uint8_t *)"some words here\n";

	one = count_whole(s, 16);
	tokens_init(&t);
	tokens_feed(&t, s, 16);
	a = tokens_end(&t);
	tokens_feed(&t, s, 16);
	b = tokens_end(&t);
	CHECK(a == one && b >= 2 * one - 1 && b <= 2 * one + 1,
	    "running total: %llu then %llu (one: %llu)", (unsigned long long)a,
	    (unsigned long long)b, (unsigned long long)one);
}

/* The real count from summary.txt: "515", or "1.4k" read as 1400 (+-50). */
static int
summary_tokens(const char *path, double *real, double *slack)
{
	static const char key[] = "Estimated tokens: ";
	size_t n;
	uint8_t *p = slurp(path, MAX_FILE, &n);
	char *s, *e;
	double v;

	if (p == NULL)
		return -1;
	s = strstr((char *)p, key);
	if (s == NULL) {
		free(p);
		return -1;
	}
	v = strtod(s + sizeof key - 1, &e);
	*slack = 0;
	if (*e == 'k') {
		v *= 1000;
		*slack = 50;
	} else if (*e == 'M') {
		v *= 1e6;
		*slack = 50000;
	}
	*real = v;
	free(p);
	return 0;
}

static void
test_goldens(void)
{
	char path[4096];
	size_t i, n;

	for (i = 0; i < sizeof goldens / sizeof goldens[0]; i++) {
		double real, slack, est, err;
		uint8_t *p;

		snprintf(path, sizeof path,
		    "%s/gitingest/expected/%s/summary.txt", TEST_DATA, goldens[i]);
		if (summary_tokens(path, &real, &slack) != 0) {
			CHECK(0, "%s: cannot read the token figure", path);
			continue;
		}
		snprintf(path, sizeof path,
		    "%s/gitingest/expected/%s/digest.txt", TEST_DATA, goldens[i]);
		if ((p = slurp(path, MAX_FILE, &n)) == NULL) {
			CHECK(0, "%s: cannot read", path);
			continue;
		}
		est = (double)count_whole(p, n);
		/* the error against the nearest value the figure allows */
		err = est > real + slack ? (est - real - slack) / real :
		    est < real - slack ? (est - real + slack) / real : 0;
		CHECK(err <= 0.10 && err >= -0.10, "%s: estimate %.0f, real %.0f: %+.1f%%",
		    goldens[i], est, real, 100 * err);
		/* and the streaming contract on real text, in odd-sized chunks */
		{
			struct tokens t;
			size_t at, step = 1 + i * 7;

			tokens_init(&t);
			for (at = 0; at < n; at += step)
				tokens_feed(&t, p + at, n - at < step ? n - at : step);
			CHECK((double)tokens_end(&t) == est, "%s: chunks of %zu differ",
			    goldens[i], step);
		}
		printf("%s: estimate %.0f, real %.0f (%+.1f%%)\n", goldens[i], est,
		    real, 100 * (est / real - 1));
		free(p);
	}
}

int
main(void)
{
	test_format();
	test_streaming();
	test_running_total();
	test_goldens();
	return T_DONE();
}
