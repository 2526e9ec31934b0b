/*
 * utf8.h - strict UTF-8 checks, Python-compatible lower-casing and decode errors.
 *
 * "Strict" is Python's UTF-8 decoder: no overlong forms, no surrogates (ED A0..BF),
 * nothing above U+10FFFF, no truncated sequence. gitingest calls a file binary when
 * its first 1024 bytes do not decode under that rule (a character cut by byte 1024
 * makes the file binary), and reports later decode errors with Python's message.
 */
#ifndef UTF8_H
#define UTF8_H

#include <stddef.h>
#include <stdint.h>

/* 1 if all n bytes are strict UTF-8 (a sequence cut at the end is invalid). */
int utf8_valid(const uint8_t *p, size_t n);

/*
 * Streaming validator: feed a whole file in any split; the first error is kept.
 * After utf8v_end(), if v->bad is set, v->msg holds Python's wording, e.g.
 *   'utf-8' codec can't decode byte 0xff in position 1500: invalid start byte
 *   'utf-8' codec can't decode bytes in position 10-11: invalid continuation byte
 *   'utf-8' codec can't decode byte 0xe2 in position 7: unexpected end of data
 * Positions are absolute byte offsets in the file (deterministic; Python's are
 * relative to its read chunk, which equals ours for files under 8 KiB).
 */
struct utf8v {
	uint64_t pos;           /* bytes fed so far */
	uint8_t seq[4];         /* pending partial sequence */
	int seqlen, need;
	int bad;                /* an error was found */
	char msg[128];
};
void utf8v_init(struct utf8v *v);
void utf8v_feed(struct utf8v *v, const uint8_t *p, size_t n);
void utf8v_end(struct utf8v *v);

/*
 * Sort key of a file name as Python's str.lower() gives it, encoded as UTF-8 into
 * out (cap bytes). Names that are not valid UTF-8 are copied byte for byte. Python
 * lower-cases some characters to more than one (U+0130 -> "i̇"), so out may be longer
 * than the input: up to 3x. Returns the key length, or (size_t)-1 if cap is short.
 */
size_t utf8_lower_key(const uint8_t *name, size_t n, uint8_t *out, size_t cap);

/*
 * One code point lower-cased by the same tables, alone: no final-sigma
 * context, and U+0130 (the one character Python lowers to two) gives 'i'.
 * For callers that fold case character by character (the search tokenizer);
 * cp itself when it has no lower case.
 */
uint32_t utf8_lower_cp(uint32_t cp);

#endif
