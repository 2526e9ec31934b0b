/*
 * tokenize.c - the search tokenizer. See tokenize.h for the rules.
 *
 * One pass finds an identifier (words joined by single '-'); then its
 * tokens are made from the same bytes: the whole (the parts lower-cased
 * and run together, given up past TOK_MAX), each word's whole, each part.
 * A part's end is found by looking at most two characters ahead, so the
 * work is a few reads of each identifier's bytes and nothing is buffered
 * but one token (TOK_MAX bytes, on the stack).
 *
 * ASCII takes a table; other characters are decoded (strict UTF-8: a byte
 * that does not start a valid sequence is one separator byte) and classed
 * by Python's lower-casing tables: a character with a lower case is a
 * capital, any other character outside the punctuation and symbol blocks
 * below is a lower-case letter (scripts without case, marks, digits of
 * other scripts). That keeps the tables this binary already has; a
 * character misclassed as a letter only joins words that a space would
 * have separated.
 */
#include <string.h>

#include "tokenize.h"
#include "utf8.h"
#include "utf8enc.h"

enum { C_SEP, C_LOW, C_UP, C_DIG, C_UND, C_DASH };

/* ASCII classes: letters, digits, '_' and '-' (which joins only between
 * words); everything else separates. */
#define L C_LOW
#define U C_UP
#define D C_DIG
static const uint8_t ascii_class[128] = {
	['0'] = D, D, D, D, D, D, D, D, D, D,
	['A'] = U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U,
	U, U, U, U, U, U,
	['a'] = L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L,
	L, L, L, L, L, L,
	['_'] = C_UND, ['-'] = C_DASH,
};
#undef L
#undef U
#undef D

/* Punctuation, symbol, space and emoji blocks outside ASCII: separators
 * (sorted, inclusive). The letters in Latin-1's symbol half (ª µ º) stay
 * letters. */
static const struct {
	uint32_t lo, hi;
} sep_ranges[] = {
	{ 0x0080, 0x00A9 }, { 0x00AB, 0x00B4 }, { 0x00B6, 0x00B9 },
	{ 0x00BB, 0x00BF }, { 0x00D7, 0x00D7 }, { 0x00F7, 0x00F7 },
	{ 0x2000, 0x206F },     /* general punctuation, spaces */
	{ 0x20A0, 0x20CF },     /* currency */
	{ 0x2190, 0x2BFF },     /* arrows, maths, box drawing, dingbats */
	{ 0x2E00, 0x2E7F },     /* supplemental punctuation */
	{ 0x3000, 0x3004 }, { 0x3008, 0x3020 }, { 0x3030, 0x3030 },
	{ 0xFE10, 0xFE1F }, { 0xFE30, 0xFE6F }, { 0xFEFF, 0xFEFF },
	{ 0xFF00, 0xFF0F }, { 0xFF1A, 0xFF20 }, { 0xFF3B, 0xFF40 },
	{ 0xFF5B, 0xFF65 }, { 0xFFF0, 0xFFFF },
	{ 0x1F000, 0x1FAFF },   /* emoji and pictographs */
};

/* One character: code point, class, length in bytes. */
struct ch {
	uint32_t cp;
	uint8_t cls;
	uint8_t len;
};

static int
is_sep_cp(uint32_t cp)
{
	size_t lo = 0, hi = sizeof sep_ranges / sizeof sep_ranges[0];

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cp < sep_ranges[mid].lo)
			hi = mid;
		else if (cp > sep_ranges[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

/*
 * Decode the character at p[i] (i < n). Strict UTF-8 (RFC 3629: no
 * overlongs, surrogates or code point