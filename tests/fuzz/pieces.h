/*
 * pieces.h - the fuzz targets' split-and-feed: an input handed out in pieces of
 * random sizes, sometimes all the rest at once, as a push parser gets bytes from
 * the network. The sizes come from a generator seeded with a hash of the whole
 * input, so a crash repeats from the input file alone. Header-only (static
 * inline): each target is one .c file.
 */
#ifndef FUZZ_PIECES_H
#define FUZZ_PIECES_H

#include <stddef.h>
#include <stdint.h>

struct split {
	const uint8_t *p;
	size_t n;
	size_t off;             /* next piece starts here */
	size_t max;             /* largest random piece */
	unsigned whole;         /* one piece in `whole` is all the rest */
	uint64_t seed;          /* xorshift64 state: split_rand() */
};

/* FNV-1a 64 of the input: a seed (or a choice of options) that only the
 * input decides. */
static inline uint64_t
split_hash(const uint8_t *data, size_t size)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 1099511628211ull;
	return h;
}

/* The next number from the generator (for sizes the target draws itself,
 * such as an output buffer's). */
static inline uint64_t
split_rand(struct split *s)
{
	s->seed ^= s->seed << 13;
	s->seed ^= s->seed >> 7;
	s->seed ^= s->seed << 17;
	return s->seed;
}

/* Pieces of 1..max bytes of data[0..size), one in `whole` being the rest. */
static inline void
split_init(struct split *s, const uint8_t *data, size_t size, size_t max,
    unsigned whole)
{
	s->p = data;
	s->n = size;
	s->off = 0;
	s->max = max;
	s->whole = whole;
	s->seed = split_hash(data, size) | 1;
}

/* The next piece in *p and *n; 0 once the input is used up. */
static inline int
split_next(struct split *s, const uint8_t **p, size_t *n)
{
	size_t piece;

	if (s->off >= s->n)
		return 0;
	piece = 1 + (size_t)(split_rand(s) % s->max);
	if (split_rand(s) % s->whole == 0)
		piece = s->n - s->off;
	if (piece > s->n - s->off)
		piece = s->n - s->off;
	*p = s->p + s->off;
	*n = piece;
	s->off += piece;
	return 1;
}

#endif
