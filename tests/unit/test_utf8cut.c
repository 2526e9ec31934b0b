/*
 * test_utf8cut.c - utf8cut: known cuts of one character of each length and of
 * bytes that are not UTF-8, then every cut of generated valid text against the
 * character boundaries found by decoding it from the start (seeded, so a
 * failure repeats).
 */
#include <stdint.h>
#include <string.h>

#include "t.h"
#include "utf8cut.h"

struct ccase {
	const char *in;
	size_t n;               /* bytes of in to cut */
	size_t want;
};

static const struct ccase ccases[] = {
	{ "", 0, 0 },
	{ "abc", 3, 3 },
	{ "ab\xc3\xa9", 3, 2 },                 /* é cut after its lead */
	{ "ab\xc3\xa9", 4, 4 },
	{ "a\xe2\x82\xac", 2, 1 },              /* € cut after 1 and 2 bytes */
	{ "a\xe2\x82\xac", 3, 1 },
	{ "a\xe2\x82\xac", 4, 4 },
	{ "\xf0\x9f\x98\x80", 1, 0 },           /* U+1F600, 4 bytes */
	{ "\xf0\x9f\x98\x80", 3, 0 },
	{ "\xf0\x9f\x98\x80", 4, 4 },
	{ "\xc3\xa9\xc3", 3, 2 },               /* a lead byte alone at the end */
	/* not UTF-8: cut where asked */
	{ "ab\xff", 3, 3 },
	{ "ab\xf8\x80", 4, 4 },
	{ "a\x80\x80\x80\x80", 5, 5 },          /* 4 continuation bytes */
	{ "\x80\x80", 2, 2 },                   /* continuation bytes, no lead */
};

/* Random valid UTF-8 of n bytes or a little less; boundary[i] is 1 where a
 * character starts at i (and at the end). */
static size_t
gen(uint8_t *p, size_t n, uint8_t *boundary, uint32_t *seed)
{
	static const char *chars[] = { "a", " ", "\n", "\xc3\xa9", "\xd0\x96",
	    "\xe2\x82\xac", "\xe4\xb8\xad", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf" };
	size_t len = 0, k;
	const char *c;

	memset(boundary, 0, n + 1);
	for (;;) {
		*seed = *seed * 1103515245u + 12345u;
		c = chars[(*seed >> 16) % (sizeof chars / sizeof chars[0])];
		k = strlen(c);
		if (len + k > n)
			break;
		boundary[len] = 1;
		memcpy(p + len, c, k);
		len += k;
	}
	boundary[len] = 1;
	return len;
}

int
main(void)
{
	uint8_t p[256], boundary[257];
	uint32_t seed = 12345;
	size_t i, n, cut, want;
	int round, bad = 0;

	for (i = 0; i < sizeof ccases / sizeof ccases[0]; i++)
		CHECK(utf8cut(ccases[i].in, ccases[i].n) == ccases[i].want,
		    "case %zu: cut at %zu, want %zu", i,
		    utf8cut(ccases[i].in, ccases[i].n), ccases[i].want);
	for (round = 0; round < 200; round++) {
		n = gen(p, sizeof p, boundary, &seed);
		for (cut = 0; cut <= n; cut++) {
			for (want = cut; !boundary[want]; want--)
				;
			if (utf8cut(p, cut) != want)
				bad++;
		}
	}
	CHECK(bad == 0, "%d cuts of valid text are not the last boundary", bad);
	return T_DONE();
}
