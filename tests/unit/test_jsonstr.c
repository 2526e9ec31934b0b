/*
 * test_jsonstr.c - the one JSON string writer against the six escapers it
 * replaced, kept here verbatim in substance as oracles (from 60d9f08:
 * cmd_digest.c json_escape, sink.c json_put, digest.c json_str, log.c
 * put_raw, report.c put_str, jsonl.c json_bytes). Each style must give the
 * same bytes as its oracle for every string of up to two bytes, every string
 * of three and four bytes over the bytes that matter (controls, quote,
 * backslash, DEL, each UTF-8 lead and continuation boundary), and seeded
 * random strings; then a few known answers.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "jsonstr.h"
#include "t.h"
#include "utf16.h"
#include "utf8.h"

/* ------------------------------------------------------------ oracles */

static void
put(struct buf *b, const void *p, size_t n)
{
	buf_append(b, p, n);
}

/* cmd_digest.c json_escape, with the quotes its caller wrote */
static void
o_digest_json(struct buf *o, const uint8_t *p, size_t n)
{
	size_t start = 0;
	char esc[8];

	put(o, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c != '"' && c != '\\' && c >= 0x20)
			continue;
		put(o, p + start, i - start);
		switch (c) {
		case '"': put(o, "\\\"", 2); break;
		case '\\': put(o, "\\\\", 2); break;
		case '\n': put(o, "\\n", 2); break;
		case '\t': put(o, "\\t", 2); break;
		case '\r': put(o, "\\r", 2); break;
		default:
			snprintf(esc, sizeof esc, "\\u%04x", c);
			put(o, esc, 6);
		}
		start = i + 1;
	}
	put(o, p + start, n - start);
	put(o, "\"", 1);
}

/* sink.c json_put (a C string: the test passes no NUL) */
static void
o_meta(struct buf *o, const uint8_t *s, size_t n)
{
	char esc[8];

	put(o, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(o, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof esc, "\\u%04x", c);
			put(o, esc, 6);
		} else {
			put(o, s + i, 1);
		}
	}
	put(o, "\"", 1);
}

/* digest.c json_str (--report) */
static void
o_report(struct buf *o, const uint8_t *s, size_t n)
{
	char esc[8];

	put(o, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];
		if (c == '"' || c == '\\') {
			put(o, "\\", 1);
			put(o, &c, 1);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof esc, "\\u%04x", c);
			put(o, esc, 6);
		} else if (c < 0x80) {
			put(o, &c, 1);
		} else {
			size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
			if (len > 1 && i + len <= n && utf8_valid(s + i, len)) {
				put(o, s + i, len);
				i += len - 1;
			} else {
				put(o, "\\ufffd", 6);
			}
		}
	}
	put(o, "\"", 1);
}

/* log.c put_raw, JSON lines, no secrets */
static void
o_log(struct buf *o, const uint8_t *s, size_t n)
{
	char esc[8];

	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		if (c == '"' || c == '\\') {
			put(o, "\\", 1);
			put(o, &c, 1);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof esc, "\\u%04x", c);
			put(o, esc, 6);
		} else {
			put(o, &c, 1);
		}
	}
}

/* report.c put_str (cJSON's escapes; a C string) */
static void
o_cjson(struct buf *o, const uint8_t *s, size_t n)
{
	size_t i = 0;

	put(o, "\"", 1);
	while (i < n) {
		size_t k = 0;
		unsigned char c;
		char u[8];
		while (i + k < n && s[i + k] >= 0x20 && s[i + k] != '"' &&
		    s[i + k] != '\\')
			k++;
		put(o, s + i, k);
		if (i + k == n)
			break;
		c = s[i + k];
		switch (c) {
		case '"': put(o, "\\\"", 2); break;
		case '\\': put(o, "\\\\", 2); break;
		case '\b': put(o, "\\b", 2); break;
		case '\f': put(o, "\\f", 2); break;
		case '\n': put(o, "\\n", 2); break;
		case '\r': put(o, "\\r", 2); break;
		case '\t': put(o, "\\t", 2); break;
		default:
			snprintf(u, sizeof u, "\\u%04x", c);
			put(o, u, 6);
			break;
		}
		i += k + 1;
	}
	put(o, "\"", 1);
}

/* jsonl.c json_bytes (chunk lines) */
static void
o_chunk(struct buf *b, const uint8_t *s, size_t n)
{
	size_t i = 0;
	uint32_t c;
	int k;

	buf_putc(b, '"');
	while (i < n) {
		uint8_t x = s[i];
		if (x < 0x80) {
			if (x == '"' || x == '\\') {
				buf_putc(b, '\\');
				buf_putc(b, x);
			} else if (x < 0x20) {
				buf_printf(b, "\\u%04x", x);
			} else {
				buf_putc(b, x);
			}
			i++;
			continue;
		}
		k = utf16_dec1(s + i, n - i, &c);
		if (k <= 0) {
			buf_append(b, "\xef\xbf\xbd", 3);
			i++;
		} else {
			buf_append(b, s + i, (size_t)k);
			i += (size_t)k;
		}
	}
	buf_putc(b, '"');
}

struct style {
	const char *name;
	unsigned flags;
	void (*oracle)(struct buf *, const uint8_t *, size_t);
	int cstring;            /* the old writer took a C string: no NUL */
};

static const struct style styles[] = {
	{ "digest --format json", JSONSTR_QUOTE | JSONSTR_NTR, o_digest_json, 0 },
	{ "sidecar", JSONSTR_META, o_meta, 1 },
	{ "digest --report", JSONSTR_QUOTE | JSONSTR_DEL | JSONSTR_BAD_ESC,
	    o_report, 0 },
	{ "log line", JSONSTR_DEL, o_log, 0 },
	{ "run report", JSONSTR_CJSON, o_cjson, 1 },
	{ "chunk line", JSONSTR_QUOTE | JSONSTR_BAD_REPL, o_chunk, 0 },
};
#define NSTYLES (sizeof styles / sizeof styles[0])

static struct buf want, got;
static unsigned long mismatches[NSTYLES];

static void
hexdump(const uint8_t *p, size_t n, char *out, size_t cap)
{
	size_t at = 0;

	for (size_t i = 0; i < n && at + 4 < cap; i++)
		at += (size_t)snprintf(out + at, cap - at, "%02x ", p[i]);
	out[at] = '\0';
}

/* One string through every style; the first mismatch per style is shown. */
static void
one(const uint8_t *s, size_t n)
{
	for (size_t k = 0; k < NSTYLES; k++) {
		if (styles[k].cstring && memchr(s, 0, n) != NULL)
			continue;
		buf_reset(&want);
		buf_reset(&got);
		styles[k].oracle(&want, s, n);
		jsonstr_write(s, n, styles[k].flags, jsonstr_put_buf, &got);
		if (want.len != got.len || memcmp(want.p, got.p, want.len) != 0) {
			if (mismatches[k]++ == 0) {
				char h[128];
				hexdump(s, n, h, sizeof h);
				CHECK(0, "%s: input %s: want %.*s, got %.*s",
				    styles[k].name, h, (int)want.len,
				    (const char *)want.p, (int)got.len,
				    (const char *)got.p);
			}
		}
	}
}

/* The bytes that decide an escape or a UTF-8 sequence's validity. */
static const uint8_t edge[] = { 0x00, 0x08, 0x09, 0x0a, 0x0c, 0x0d, 0x1f,
    0x20, '"', '\\', 'a', 0x7e, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf,
    0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1,
    0xf3, 0xf4, 0xf5, 0xf8, 0xff };
#define NEDGE (sizeof edge / sizeof edge[0])

static uint32_t rng = 0x9e3779b9u;

static uint32_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

int
main(void)
{
	uint8_t s[64];

	buf_init(&want, 1 << 20);
	buf_init(&got, 1 << 20);
	one((const uint8_t *)"", 0);
	for (unsigned a = 0; a < 256; a++) {
		s[0] = (uint8_t)a;
		one(s, 1);
		for (unsigned b = 0; b < 256; b++) {
			s[1] = (uint8_t)b;
			one(s, 2);
		}
	}
	for (size_t a = 0; a < NEDGE; a++)
		for (size_t b = 0; b < NEDGE; b++)
			for (size_t c = 0; c < NEDGE; c++) {
				s[0] = edge[a];
				s[1] = edge[b];
				s[2] = edge[c];
				one(s, 3);
				for (size_t d = 0; d < NEDGE; d++) {
					s[3] = edge[d];
					one(s, 4);
				}
			}
	/* random strings, mostly over the edge bytes, some over all bytes */
	for (int i = 0; i < 100000; i++) {
		size_t n = next() % sizeof s;
		int any = next() % 4 == 0;
		for (size_t j = 0; j < n; j++)
			s[j] = any ? (uint8_t)next() : edge[next() % NEDGE];
		one(s, n);
	}
	for (size_t k = 0; k < NSTYLES; k++)
		CHECK(mismatches[k] == 0, "%s: %lu inputs differ", styles[k].name,
		    mismatches[k]);

	/* known answers */
#define KNOWN "\"a\\\"b\\\\c\\n\\u0001\\u007f\xc3\xa9\\ufffd\""
	buf_reset(&got);
	jsonstr_write("a\"b\\c\n\x01\x7f\xc3\xa9\xff", 11, JSONSTR_QUOTE |
	    JSONSTR_NTR | JSONSTR_DEL | JSONSTR_BAD_ESC, jsonstr_put_buf, &got);
	CHECK(got.len == sizeof KNOWN - 1 && memcmp(got.p, KNOWN,
	    sizeof KNOWN - 1) == 0,
	    "known answer: %.*s", (int)got.len, (const char *)got.p);
	buf_reset(&got);
	jsonstr_write("\b\f\t", 3, JSONSTR_CJSON, jsonstr_put_buf, &got);
	CHECK(got.len == 8 && memcmp(got.p, "\"\\b\\f\\t\"", 8) == 0,
	    "cJSON short forms: %.*s", (int)got.len, (const char *)got.p);
	/* a sink's error stops the writer and is returned */
	{
		struct buf small;
		buf_init(&small, 4);
		CHECK(jsonstr_write("abcdef", 6, JSONSTR_QUOTE, jsonstr_put_buf,
		    &small) != 0 && small.len <= 4, "the sink's error");
		buf_free(&small);
	}
	buf_free(&want);
	buf_free(&got);
	return T_DONE();
}
