/*
 * fuzz_tokenize.c - libFuzzer target for the search tokenizer.
 *
 * The input is any text (code, prose, bytes that are not UTF-8). Checked
 * with abort(): every token is 1..TOK_MAX bytes of valid UTF-8 with no
 * ASCII capital and no ASCII byte a word cannot hold (a path's '_', '-',
 * '.', '/' inside it), and not one ASCII character alone; its range lies inside
 * the text; the first token is never colocated; the three modes give the
 * same tokens in the same order (only the flags differ, as each mode says);
 * a second run gives the same tokens; and the text cut at an ASCII space
 * (chosen by a hash of the input) gives the tokens of its two halves, in
 * order; and the one-pass path for short identifiers gives what the
 * scanning path gives (tok_text_scan). Every loop is bounded by the input
 * size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tokenize.h"
#include "utf8.h"
#include "pieces.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The tokens of one run, hashed so that runs compare in constant memory. */
struct run {
	size_t n;               /* text length */
	enum tok_mode mode;
	uint64_t h;             /* FNV-1a over the tokens and their ranges */
	uint64_t count;
	uint64_t colocated;
	size_t shift;           /* added to the ranges (the second half) */
};

static int
check(void *ctx, const char *t, size_t n, size_t s, size_t e, int fl)
{
	struct run *r = ctx;
	int path = 0;

	if (n == 0 || n > TOK_MAX || s >= e || e > r->n)
		abort();
	if (n == 1 && (unsigned char)t[0] < 0x80)
		abort();                /* one ASCII character: left out */
	if (!utf8_valid((const uint8_t *)t, n))
		abort();
	/* '_', '-', '.' and '/' only in a path (a '.' or '/' in it), and
	 * only '_' at its ends */
	for (size_t i = 0; i < n; i++)
		path |= t[i] == '.' || t[i] == '/';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];
		int join = c == '-' || c == '.' || c == '/';
		if (c < 0x80 && !((c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || (path && c == '_') ||
		    (join && path && i > 0 && i + 1 < n)))
			abort();
	}
	if (fl & ~TOK_COLOCATED)
		abort();
	if (r->count == 0 && fl != 0)
		abort();
	if (r->mode == TOK_SEPARATE && fl != 0)
		abort();
	r->colocated += fl != 0;
	r->count++;
	for (size_t i = 0; i < n; i++)
		r->h = (r->h ^ (unsigned char)t[i]) * 1099511628211ull;
	r->h = (r->h ^ (s + r->shift)) * 1099511628211ull;
	r->h = (r->h ^ (e + r->shift)) * 1099511628211ull;
	return 0;
}

static void
run(const uint8_t *p, size_t n, enum tok_mode mode, struct run *r)
{
	memset(r, 0, sizeof *r);
	r->n = n;
	r->mode = mode;
	r->h = 1469598103934665603ull;
	if (tok_text(p, n, mode, check, r) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run a, b, c, d;
	size_t cut, k;
	char low[TOK_MAX];

	run(data, size, TOK_PARTS, &a);
	run(data, size, TOK_PARTS, &b);
	if (a.h != b.h || a.count != b.count)
		abort();
	memset(&b, 0, sizeof b);
	b.n = size;
	b.mode = TOK_PARTS;
	b.h = 1469598103934665603ull;
	if (tok_text_scan(data, size, TOK_PARTS, check, &b) != 0 ||
	    b.h != a.h || b.count != a.count || b.colocated != a.colocated)
		abort();
	run(data, size, TOK_SEPARATE, &c);
	run(data, size, TOK_ONE, &d);
	if (c.h != a.h || d.h != a.h || c.count != a.count ||
	    d.count != a.count || c.colocated != 0 || a.colocated > a.count ||
	    d.colocated < a.colocated)
		abort();

	/* cut at a space: the halves' tokens are the whole's */
	if (size > 0) {
		cut = (size_t)(split_hash(data, size) % size);
		for (k = 0; k < size && data[(cut + k) % size] != ' '; k++)
			;
		if (k < size) {
			cut = (cut + k) % size;
			run(data, cut, TOK_PARTS, &b);
			c = b;
			c.n = size - cut;
			c.shift = cut;
			c.count = 0;
			if (tok_text(data + cut, size - cut, TOK_PARTS, check,
			    &c) != 0)
				abort();
			if (c.h != a.h || b.count + c.count != a.count)
				abort();
		}
	}

	k = tok_lower(data, size, low);
	if (k > TOK_MAX)
		abort();
	return 0;
}
