/*
 * test_tokens_ref.c - the token estimator against its reference: src/digest/tokens.c
 * must give exactly the estimate (in thousandths, before rounding) of the same
 * code with its ASCII fast path off, every character through step()
 * (tests/unit/tokens_ref.c), on every input and every way of splitting it into
 * chunks.
 *
 * Inputs: every file under tests/data (the gitingest fixtures and goldens, the
 * SigV4 vectors, the feeds), the committed fuzz corpus of fuzz_tokens, and generated
 * text (seeded, so a failure repeats): random bytes, random mixes of the ASCII
 * classes the splitter distinguishes, UTF-8 of every script class with invalid
 * sequences mixed in, long runs of one character, and long ASCII texts in small
 * alphabets of the bytes that decide piece boundaries (where the block kernel
 * runs, 64 bytes at a time). Small inputs are also fed split at every offset
 * and byte by byte. All of it twice where the CPU has AVX2: the block kernel's
 * AVX2 and SSE2 classifications (tokens_kernel_sse2).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tokens.h"
#include "tokens_ref.c"
#include "t.h"
#include "../common/slurp.h"

#define MAX_FILE  (4u << 20)
#define MAX_DEPTH 8

static int files_seen, mismatches;

/* One input: whole, and in chunks of a few sizes; the first mismatches are
 * reported with the input's name. */
static int
same(const char *what, const uint8_t *p, size_t n)
{
	static const size_t chunks[] = { 0, 1, 3, 64, 4093 };
	uint64_t want = tokens_milli(1, p, n, 0), got;
	size_t i;

	for (i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
		if (chunks[i] != 0 && chunks[i] >= n)
			continue;
		if (chunks[i] == 1 && n > 65536)
			continue;
		got = tokens_milli(0, p, n, chunks[i]);
		if (got != want) {
			if (mismatches++ < 10)
				fprintf(stderr, "%s (%zu bytes, chunks of %zu): "
				    "%llu, reference %llu\n", what, n, chunks[i],
				    (unsigned long long)got,
				    (unsigned long long)want);
			return 0;
		}
	}
	return 1;
}

/* Every split point, and byte by byte (small inputs). */
static int
same_splits(const uint8_t *p, size_t n)
{
	uint64_t want = tokens_milli(1, p, n, 0);
	struct tokens t;
	size_t at;

	for (at = 0; at <= n; at++) {
		tokens_init(&t);
		tokens_feed(&t, p, at);
		tokens_feed(&t, p + at, n - at);
		tokens_end(&t);
		if (t.milli != want)
			return 0;
	}
	return tokens_milli(0, p, n, 1) == want;
}

static void
walk(const char *dir, int depth, int *bad)
{
	DIR *d;
	struct dirent *e;
	char path[4096];
	struct stat st;

	if (depth > MAX_DEPTH || (d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' && (e->d_name[1] == 0 ||
		    (e->d_name[1] == '.' && e->d_name[2] == 0)))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (lstat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			walk(path, depth + 1, bad);
		} else if (S_ISREG(st.st_mode) && st.st_size <= MAX_FILE) {
			size_t n;
			uint8_t *p = slurp(path, MAX_FILE, &n);

			if (p != NULL) {
				files_seen++;
				if (!same(path, p, n))
					(*bad)++;
			}
			free(p);
		}
	}
	closedir(d);
}

static void
test_files(void)
{
	const char *dir = TEST_DATA;
	int bad = 0, before;

	walk(dir, 0, &bad);
	CHECK(files_seen >= 50, "%s: only %d files found", dir, files_seen);
	CHECK(bad == 0, "%d of %d files under %s differ", bad, files_seen, dir);
	before = files_seen;
	walk("tests/fuzz/corpus/tokens", 0, &bad);
	CHECK(files_seen > before, "no fuzz corpus in tests/fuzz/corpus/tokens");
	CHECK(bad == 0, "%d of %d files differ", bad, files_seen);
}

/* ------------------------------------------------------------ generated */

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint32_t
rnd(uint32_t bound)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)((rng >> 32) % bound);
}

/* Pieces of text the generators draw from: every ASCII class, the bytes that
 * decide a run's fate, and UTF-8 of each class uni_cls() tells apart (Latin,
 * Greek, Cyrillic, marks, digits, blanks, box drawing, CJK, Hangul, full-width,
 * emoji, variation selectors), plus invalid and cut sequences. */
static const char *const atoms[] = {
	"a", "b", "e", "z", "A", "B", "Z", "q", "x", "0", "7", " ", " ", "\t", "\n",
	"\r", "\r\n", "\v", "\f", "\x1c", "/", "=", "-", "'", "\"", "(", ")", ";",
	"_", "#", "*", ".", ",", "{", "}", "\x01", "\x7f",
	"\xc3\xa9", "\xc3\x89", "\xc3\x9f", "\xc2\xa0", "\xc2\xb2", "\xc2\xaa",
	"\xc3\x97", "\xc4\x80", "\xc4\x81", "\xce\x91", "\xce\xb1", "\xd0\x9f",
	"\xd1\x80", "\xd2\x80", "\xcc\x81", "\xd9\xa3", "\xe1\xb8\x80",
	"\xe1\xbc\x80", "\xe2\x80\x83", "\xe2\x80\xa8", "\xe2\x80\x94",
	"\xe2\x81\xb0", "\xe2\x85\x95", "\xe2\x94\x9c", "\xe2\x94\x80",
	"\xe2\x83\x90", "\xe3\x80\x80", "\xe3\x80\x81", "\xe4\xb8\xad",
	"\xea\xb0\x80", "\xef\xbc\xa1", "\xef\xbd\x81", "\xef\xbc\x91",
	"\xef\xb8\x8f", "\xef\xbb\xbf", "\xf0\x9f\x9a\x80", "\xf0\xa0\x80\x80",
	"\xf3\xa0\x84\x80", "\xf3\xa0\x80\x81", "\x80", "\xbf", "\xc0\xaf",
	"\xe4\xb8", "\xf0\x9f\x9a", "\xff", "\xfe", "\xf5\x80", "\xc2",
};
#define NATOMS (sizeof atoms / sizeof atoms[0])

static const char mixed[] = "abcdefghijklmnopqrstuvwxyz"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \n\t\r/.,;:=-+*()[]{}<>\"'#!?_";

/* Small alphabets for kind 6: blank runs and their last newline, tails,
 * punctuation runs and their lead space, words and their leads, digit runs. */
static const char *const alphabets[] = {
	" \n", " \n\t", " \n/.", "a \n.", "aA \n.;/", "aAbB \n\r\t./=-0",
	"a.\n/ ", ".\n/ \t\r", "aA", "aaAA1 ", "= \n", "a\x01\x7f \n",
	" \t\n\r\x0b\x0c\x1c\x1f", "ab.,/ \n0123456789",
	mixed,
};
#define NALPHA (sizeof alphabets / sizeof alphabets[0])

/* Fill p with n bytes of kind k; returns the length written. */
static size_t
gen(uint8_t *p, size_t n, int k)
{
	size_t i = 0, l;
	const char *a;
	uint8_t c;

	switch (k) {
	case 0:         /* random bytes */
		for (; i < n; i++)
			p[i] = (uint8_t)rnd(256);
		return n;
	case 1:         /* random ASCII */
		for (; i < n; i++)
			p[i] = (uint8_t)rnd(128);
		return n;
	case 2:         /* atoms, ASCII ones only (the first 37) */
	case 3:         /* atoms of every kind */
		while (i < n) {
			a = atoms[rnd(k == 2 ? 37 : NATOMS)];
			l = strlen(a);
			if (l > n - i)
				break;
			memcpy(p + i, a, l);
			i += l;
		}
		return i;
	case 6:         /* a small alphabet, in runs of 1-4 or 1-70 */
		a = alphabets[rnd(NALPHA)];
		l = strlen(a);
		c = (uint8_t)rnd(3);
		while (i < n) {
			size_t r = c == 0 ? 1 + rnd(rnd(2) ? 4 : 70) : 1;
			uint8_t b = (uint8_t)a[rnd((uint32_t)l)];
			while (r-- > 0 && i < n)
				p[i++] = b;
		}
		return i;
	default:        /* runs of one character, lengths around the limits */
		while (i < n) {
			a = atoms[rnd(k == 4 ? 37 : NATOMS)];
			l = strlen(a);
			c = (uint8_t)rnd(100);
			c = c < 50 ? 1 + (uint8_t)rnd(20) : c < 90 ?
			    14 + (uint8_t)rnd(22) : 90 + (uint8_t)rnd(150);
			while (c-- > 0 && l <= n - i) {
				memcpy(p + i, a, l);
				i += l;
			}
			if (l > n - i)
				break;
		}
		return i;
	}
}

static void
test_generated(void)
{
	static uint8_t buf[1 << 16];
	char what[64];
	int k, r, bad, bad_splits;
	size_t n;

	for (k = 0; k < 7; k++) {
		int large = k == 6 ? 400 : 40;
		bad = bad_splits = 0;
		/* large inputs: whole and chunked */
		for (r = 0; r < large; r++) {
			n = gen(buf, 1 + rnd(sizeof buf), k);
			snprintf(what, sizeof what, "generated kind %d #%d", k, r);
			if (!same(what, buf, n))
				bad++;
		}
		/* small inputs: every split */
		for (r = 0; r < 1500; r++) {
			n = gen(buf, 1 + rnd(48), k);
			if (!same_splits(buf, n)) {
				if (bad_splits++ < 3) {
					size_t j;

					fprintf(stderr, "kind %d: differs:", k);
					for (j = 0; j < n; j++)
						fprintf(stderr, " %02x", buf[j]);
					fputc('\n', stderr);
				}
			}
		}
		CHECK(bad == 0, "kind %d: %d of %d large inputs differ", k, bad,
		    large);
		CHECK(bad_splits == 0, "kind %d: %d of 1500 small inputs differ "
		    "when split", k, bad_splits);
	}
}

/* A running total: tokens_end() and feeding on, as digest.c does. */
static void
test_running_total(void)
{
	static const char *s = "  x = foo(BAR, 12345);\n\t// done\n  ";
	struct tokens t, r;
	int i, bad = 0;

	tokens_init(&t);
	tokens_ref_init(&r);
	for (i = 0; i < 5; i++) {
		tokens_feed(&t, (const uint8_t *)s + i, strlen(s) - (size_t)i);
		tokens_ref_feed(&r, (const uint8_t *)s + i, strlen(s) - (size_t)i);
		if (tokens_end(&t) != tokens_ref_end(&r) || t.milli != r.milli)
			bad++;
	}
	CHECK(bad == 0, "running total differs %d times", bad);
}

int
main(void)
{
	int avx2 = tokens_kernel_sse2(0);

	test_files();
	test_generated();
	test_running_total();
	printf("%d files compared (block kernel: %s)\n", files_seen,
	    avx2 ? "AVX2" : "SSE2");
	if (avx2) {
		/* and the SSE2 classification, which CPUs without AVX2 run */
		files_seen = 0;
		tokens_kernel_sse2(1);
		test_files();
		test_generated();
		test_running_total();
		tokens_kernel_sse2(0);
		printf("%d files compared (block kernel: SSE2)\n", files_seen);
	}
	return T_DONE();
}
