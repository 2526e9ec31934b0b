/*
 * utf16.h - UTF-8 text as the UTF-16 code units LangChain.js counts in.
 *
 * The digest stores UTF-8; the splitter measures and cuts in UTF-16 units
 * (JavaScript's String.length), so every chunked file is decoded once
 * (jsonl.c writes a chunk's units back as JSON and UTF-8 in one pass).
 */
#ifndef UTF16_H
#define UTF16_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decode UTF-8 p[0..n) to units at u + *un, advancing *un; u has room for n
 * more units (never more than one a byte). Returns the bytes used: with
 * final 0 a sequence cut at the end is left for the next call; an invalid
 * byte becomes U+FFFD (the digest has validated its text: this only keeps
 * hostile input defined).
 */
size_t utf16_from_utf8(uint16_t *u, size_t *un, const uint8_t *p, size_t n,
    int final);

/* One UTF-8 character at p (n bytes there): its length with *cp set, 0 if
 * more bytes are needed, -1 if it is not valid UTF-8. */
int utf16_dec1(const uint8_t *p, size_t n, uint32_t *cp);

#endif
