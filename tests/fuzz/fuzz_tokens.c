/*
 * fuzz_tokens.c - libFuzzer target for the token estimator: any bytes, fed whole
 * and in pieces whose sizes come from the input itself, must give the same count,
 * with no crash or undefined behaviour; the count is bounded by the input size
 * (every piece is at least one character, charged at most a few tokens); and the
 * estimate, to the thousandth, is that of the reference: the same code with its
 * ASCII fast path off (tests/unit/tokens_ref.c).
 *
 * The same again on the text spelt in a small alphabet of the bytes the
 * splitter tells apart (byte 0 picks one of several): long ASCII stretches with
 * every kind of piece boundary, which is where the block kernel
 * (src/digest/tokens.c, feed_kern) runs; random bytes would almost never give
 * it 192 ASCII bytes in a row.
 *
 * Input: byte 0 seeds the chunk sizes, picks the alphabet and the block
 * kernel's classification (SSE2 or AVX2), the rest is the text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tokens.h"
#include "../unit/tokens_ref.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char mixed[] = "abcdefghijklmnopqrstuvwxyz"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \n\t\r/.,;:=-+*()[]{}<>\"'#!?_\x01\x7f";

/* Alphabets: blank runs, tails, punctuation runs, words and their leads. */
static const char *const alphabets[] = {
	" \n\t\r/.;=aAzZ09",
	" \n/.",
	"aA \n.;/",
	"aAbBzZ \n\r\t./=-09",
	".\n/ \t\r\v\f\x1c\x1f",
	"aaAA1 ",
	"= \n",
	"ab.,/ \n0123456789",
	mixed,
};

/* The estimate of data fed in pieces of 0..max-1 bytes, the sizes from the
 * LCG at *seed. */
static uint64_t
split_feed(struct tokens *t, const uint8_t *data, size_t size, uint32_t *seed,
    uint32_t max)
{
	size_t at, k;

	tokens_init(t);
	for (at = 0; at < size; at += k) {
		*seed = *seed * 1103515245u + 12345u;
		k = (*seed >> 16) % max;
		if (k > size - at)
			k = size - at;
		tokens_feed(t, data + at, k);
	}
	return tokens_end(t);
}

/* The whole text against the reference, then fed in pieces of 0..16 and of
 * 0..1023 bytes (sizes from seed). Aborts on a difference. */
static void
check(const uint8_t *data, size_t size, uint32_t seed)
{
	struct tokens whole, split;
	uint64_t a, b;

	tokens_init(&whole);
	tokens_feed(&whole, data, size);
	a = tokens_end(&whole);

	/* chunk sizes 0..16 from a small LCG: empty feeds included */
	b = split_feed(&split, data, size, &seed, 17);
	if (a != b || whole.milli != split.milli)
		abort();
	/* and in pieces of 0..1023: the kernel runs within them */
	split_feed(&split, data, size, &seed, 1024);
	if (whole.milli != split.milli)
		abort();

	if (tokens_milli(1, data, size, 0) != whole.milli)
		abort();
	/* no more than 5 tokens per byte, whatever the bytes */
	if (a > 5 * (uint64_t)size + 1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *al;
	uint8_t *t;
	uint32_t seed;
	size_t n;

	if (size == 0)
		return 0;
	seed = data[0] * 2654435761u + 1;
	/* the block kernel's SSE2 classification for odd first bytes, AVX2
	 * (where the CPU has it) for even ones */
	tokens_kernel_sse2(data[0] & 1);
	al = alphabets[data[0] % (sizeof alphabets / sizeof *alphabets)];
	data++;
	size--;
	check(data, size, seed);
	if ((t = malloc(size + 1)) == NULL)
		return 0;
	n = strlen(al);
	for (size_t i = 0; i < size; i++)
		t[i] = (uint8_t)al[data[i] % n];
	check(t, size, seed);
	free(t);
	return 0;
}
