/*
 * fuzz_ignore.c - libFuzzer target for ignore.c.
 *
 * Input layout: the first byte picks a split point; everything before the first
 * NUL after it is one pattern, the rest is a path. We check:
 *   1. ignore_match_one(pattern, path) and ignore_add(pattern) agree with each
 *      other (a stored plain pattern matches exactly when match_one says so);
 *   2. the whole input, read as a .gitignore in a directory named by the first
 *      few bytes, loads without error, and a handful of paths taken from the
 *      input (and every ancestor of each, and each under "x/" and with "/y"
 *      after it) match as they do with the index of pattern shapes bypassed
 *      (ignore_match_nfa);
 *   3. ignore_split_user() on the input hands out only non-empty pieces with
 *      no separators and no backslashes.
 * The matcher must stay linear, so libFuzzer's -timeout catches any blow-up.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "ignore.h"

static int
piece_cb(void *ctx, const char *p, size_t n)
{
	(void)ctx;
	if (n == 0 || n > IGNORE_PATTERN_MAX)
		abort();
	for (size_t i = 0; i < n; i++)
		if (p[i] == ',' || p[i] == ' ' || p[i] == '\t' ||
		    p[i] == '\n' || p[i] == '\\')
			abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	static char buf[4096];
	struct ignore ig;
	size_t cut, plen, dlen, bad;
	int e, one;

	if (size == 0 || size > 1 << 16)
		return 0;

	/* 1. one pattern, one path */
	cut = data[0] % (size < 64 ? size : 64);
	plen = cut;
	for (size_t i = 1; i < size; i++)
		if (data[i] == 0) {
			plen = i - 1;
			break;
		}
	if (plen > size - 1)
		plen = size - 1;
	const char *pat = s + 1, *path = s + 1 + plen;
	size_t pathlen = size - 1 - plen;
	if (pathlen > 0 && path[0] == '\0') {
		path++;
		pathlen--;
	}
	one = ignore_match_one(pat, plen, path, pathlen);
	ignore_init(&ig);
	e = ignore_add(&ig, pat, plen);
	if (e != 0 && e != ERR_PATTERN)
		abort();
	if (e == ERR_PATTERN && one)
		abort();        /* an invalid pattern never matches */
	if (e == 0 && ig.n == 1 &&
	    ignore_match(&ig, path, pathlen) != (ig.has_negation ? 0 : one))
		abort();
	ignore_remove(&ig, pat, plen);
	if (ig.n != 0)
		abort();
	ignore_free(&ig);

	/* 2. the input as an ignore file in a directory */
	dlen = data[0] % 8;
	if (dlen > size - 1)
		dlen = size - 1;
	ignore_init(&ig);
	e = ignore_add_file(&ig, s + 1, dlen, s, size, &bad);
	if (e != 0 && e != ERR_PATTERN_COUNT)
		abort();
	for (size_t start = 0, k = 0; start < size && k < 8; k++) {
		size_t end = start;
		while (end < size && data[end] != '\n')
			end++;
		/* the line as a path, and each of its '/' prefixes */
		for (size_t i = start + 1; i <= end; i++)
			if ((i == end || data[i] == '/') &&
			    ignore_match(&ig, s + start, i - start) !=
			    ignore_match_nfa(&ig, s + start, i - start))
				abort();
		/* under a directory, and as one */
		if (end - start < sizeof buf - 4) {
			size_t n = end - start;
			memcpy(buf, "x/", 2);
			memcpy(buf + 2, s + start, n);
			if (ignore_match(&ig, buf, n + 2) !=
			    ignore_match_nfa(&ig, buf, n + 2))
				abort();
			memcpy(buf, s + start, n);
			memcpy(buf + n, "/y", 2);
			if (ignore_match(&ig, buf, n + 2) !=
			    ignore_match_nfa(&ig, buf, n + 2))
				abort();
		}
		start = end + 1;
	}
	ignore_free(&ig);

	/* 3. the splitter */
	(void)ignore_split_user(s, size, piece_cb, NULL);
	return 0;
}
