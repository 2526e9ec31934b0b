/*
 * utf8enc.h - a code point as UTF-8: the one encoder for every place that
 * turns an escape or a lower-cased character back into bytes (JSON \u
 * escapes in feeds, notebooks and S3 error bodies, Python's lower-casing,
 * decoded gitignore patterns, chunk text from UTF-16).
 */
#ifndef UTF8ENC_H
#define UTF8ENC_H

#include <stddef.h>
#include <stdint.h>

/*
 * Write cp (< 0x110000; the caller has checked it) as 1 to 4 bytes at out,
 * which has room for 4, and return how many. Inline: it sits in loops over
 * every character of a body.
 */
static inline size_t
utf8_encode(uint32_t cp, uint8_t *out)
{
	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (uint8_t)(0xC0 | cp >> 6);
		out[1] = (uint8_t)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (uint8_t)(0xE0 | cp >> 12);
		out[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (uint8_t)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (uint8_t)(0xF0 | cp >> 18);
	out[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (uint8_t)(0x80 | (cp & 0x3F));
	return 4;
}

#endif
