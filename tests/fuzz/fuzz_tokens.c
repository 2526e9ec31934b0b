/*
 * fuzz_tokens.c - libFuzzer target for the token estimator: any bytes, fed whole
 * and in pieces whose sizes come from the input itself, must give the same count,
 * with no crash or undefined behaviour; the count is bounded by the input size
 * (every piece is at least one character, charged at most a few tokens); and the
 * estimate, to the thousandth, is that of the reference: the same code with its
 * ASCII fast path off (tests/unit/tokens_ref.c).
 *
 * Input: byte 0 seeds the chunk sizes, the rest is the text.
 */
#include <stdint.h>
#include <stdlib.h>

#include "tokens.h"
#include "../unit/tokens_ref.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tokens whole, split;
	uint64_t a, b;
	uint32_t seed;
	size_t at, k;

	if (size == 0)
		return 0;
	seed = data[0] * 2654435761u + 1;
	data++;
	size--;

	tokens_init(&whole);
	tokens_feed(&whole, data, size);
	a = tokens_end(&whole);

	tokens_init(&split);
	for (at = 0; at < size; at += k) {
		/* chunk sizes 0..16 from a small LCG: empty feeds included */
		seed = seed * 1103515245u + 12345u;
		k = (seed >> 16) % 17;
		if (k > size - at)
			k = size - at;
		tokens_feed(&split, data + at, k);
	}
	b = tokens_end(&split);
	if (a != b || whole.milli != split.milli)
		abort();

	if (tokens_milli(1, data, size, 0) != whole.milli)
		abort();
	/* no more than 5 tokens per byte, whatever the bytes */
	if (a > 5 * (uint64_t)size + 1)
		abort();
	return 0;
}
