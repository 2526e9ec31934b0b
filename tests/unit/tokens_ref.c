/*
 * tokens_ref.c - the token estimator's oracle: src/digest/tokens.c itself,
 * compiled with TOKENS_REFERENCE, so that every character goes through step()
 * (the definition of the split) and none through feed_ascii() (the ASCII fast
 * path, the one to check). test_tokens_ref.c, fuzz_tokens.c and tokbench.c
 * #include it; it gives them struct tokens driven by the static
 * tokens_ref_init/feed/end, beside the real tokens_init/feed/end they link,
 * and tokens_milli() to run either over a text in chunks.
 *
 * Not a copy: the tables and the cost functions are shared, so a new
 * calibration (scripts/calibrate-tokens -w) changes both sides alike, and what
 * the comparison checks is the fast path's split, exactly. When the fast path
 * was written, this step()-only code was checked to give the estimate of the
 * code before it (commit f2b0497) to the thousandth on every input of
 * test_tokens_ref.c.
 */
#include "tokens.h"

#define TOKENS_REFERENCE
#include "tokens.c"
#undef TOKENS_REFERENCE

/*
 * The estimate in thousandths of a token (before rounding) of p[0..n), fed in
 * chunks of `chunk` bytes (0: all at once), by the real estimator (ref 0) or
 * by the reference (ref 1).
 */
static uint64_t
tokens_milli(int ref, const uint8_t *p, size_t n, size_t chunk)
{
	struct tokens t;
	size_t at, k;

	if (chunk == 0)
		chunk = n ? n : 1;
	if (ref)
		tokens_ref_init(&t);
	else
		tokens_init(&t);
	for (at = 0; at < n; at += k) {
		k = n - at < chunk ? n - at : chunk;
		if (ref)
			tokens_ref_feed(&t, p + at, k);
		else
			tokens_feed(&t, p + at, k);
	}
	if (ref)
		tokens_ref_end(&t);
	else
		tokens_end(&t);
	return t.milli;
}
