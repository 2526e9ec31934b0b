/*
 * jsonstr.c - the one JSON string writer. See jsonstr.h.
 */
#include <stdint.h>

#include "jsonstr.h"

/*
 * Length of the valid UTF-8 sequence at p (at most n bytes), or 0 when the
 * byte at p does not start one (RFC 3629, table 3-7 of Unicode: the second
 * byte's range depends on the first, which rules out overlong forms,
 * surrogates and values past U+10FFFF).
 */
static size_t
utf8_seq(const uint8_t *p, size_t n)
{
	uint8_t c = p[0], lo = 0x80, hi = 0xBF;
	size_t len;

	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xBF)
			return 0;
	return len;
}

/* see jsonstr.h */
int
jsonstr_write(const void *s, size_t n, unsigned style, jsonstr_put_fn put,
    void *ctx)
{
	static const char hx[] = "0123456789abcdef";
	const uint8_t *p = s;
	size_t i = 0, start = 0;
	int e;

	if ((style & JSONSTR_QUOTE) && (e = put(ctx, "\"", 1)) != 0)
		return e;
	while (i < n) {
		uint8_t c = p[i];
		char esc[8];
		const char *rep = esc;
		size_t rn = 2;
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			i++;
			continue;
		}
		if (c >= 0x80) {
			size_t k;
			if (!(style & (JSONSTR_BAD_ESC | JSONSTR_BAD_REPL)) ||
			    (k = utf8_seq(p + i, n - i)) > 0) {
				i += (style & (JSONSTR_BAD_ESC |
				    JSONSTR_BAD_REPL)) ? k : 1;
				continue;
			}
			if (style & JSONSTR_BAD_ESC)
				rep = "\\ufffd", rn = 6;
			else
				rep = "\xef\xbf\xbd", rn = 3;
		} else if (c == 0x7f && !(style & JSONSTR_DEL)) {
			i++;
			continue;
		} else if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
		} else if ((style & JSONSTR_NTR) && (c == '\n' || c == '\r' ||
		    c == '\t')) {
			esc[0] = '\\';
			esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
		} else if ((style & JSONSTR_BF) && (c == '\b' || c == '\f')) {
			esc[0] = '\\';
			esc[1] = c == '\b' ? 'b' : 'f';
		} else {
			esc[0] = '\\';
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hx[c >> 4];
			esc[5] = hx[c & 15];
			rn = 6;
		}
		if (i > start && (e = put(ctx, p + start, i - start)) != 0)
			return e;
		if ((e = put(ctx, rep, rn)) != 0)
			return e;
		start = ++i;
	}
	if (i > start && (e = put(ctx, p + start, i - start)) != 0)
		return e;
	if ((style & JSONSTR_QUOTE) && (e = put(ctx, "\"", 1)) != 0)
		return e;
	return 0;
}

/* see jsonstr.h */
int
jsonstr_put_out(void *ctx, const void *p, size_t n)
{
	return out_write(ctx, p, n);
}

/* see jsonstr.h */
int
jsonstr_put_buf(void *ctx, const void *p, size_t n)
{
	return buf_append(ctx, p, n);
}

/* see jsonstr.h */
int
jsonstr_put_file(void *ctx, const void *p, size_t n)
{
	fwrite(p, 1, n, ctx);
	return 0;
}
