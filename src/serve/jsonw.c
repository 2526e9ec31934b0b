/*
 * jsonw.c - the JSON writer. See jsonw.h.
 *
 * Separators: each level remembers whether it holds a member yet; a value
 * (or a key, in an object) after the first gets a comma, a value after its
 * key none.
 */
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "jsonw.h"

/* see jsonw.h */
void
jw_init(struct jw *w, struct buf *b)
{
	memset(w, 0, sizeof *w);
	w->b = b;
}

/* see jsonw.h */
int
jw_error(const struct jw *w)
{
	return w->err;
}

static void
put(struct jw *w, const void *p, size_t n)
{
	int e;

	if (w->err == 0 && (e = buf_append(w->b, p, n)) != 0)
		w->err = e;
}

/* A comma before all but the first member of the current level. */
static void
separate(struct jw *w)
{
	if (w->depth > 0) {
		if (w->count[w->depth - 1])
			put(w, ",", 1);
		w->count[w->depth - 1] = 1;
	}
}

/* Before a value: its comma, unless it follows its key. */
static int
value_begin(struct jw *w)
{
	if (w->err)
		return 0;
	if (w->after_key) {
		w->after_key = 0;
		return 1;
	}
	if (w->depth > 0 && w->is_obj[w->depth - 1]) {
		w->err = ERR_USAGE;     /* a value in an object needs a key */
		return 0;
	}
	separate(w);
	return w->err == 0;
}

/* Length of the UTF-8 sequence at p (n bytes left) if it is valid
 * (RFC 3629: no overlongs, no surrogates, nothing over U+10FFFF), else 0. */
static size_t
utf8_seq(const uint8_t *p, size_t n)
{
	uint8_t c = p[0];
	size_t k;
	uint8_t lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		k = 2;
	else if (c >= 0xe0 && c <= 0xef)
		k = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		k = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < k || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < k; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return k;
}

/*
 * The JSON string escaper (RFC 8259 section 7): '"', '\\' and control
 * bytes escaped, U+2028/U+2029 left as they are (valid JSON), invalid
 * UTF-8 replaced by U+FFFD.
 *
 * MERGE: this is the one function to replace with the JSON string writer
 * in base/ once it lands (its call: escape the n bytes at s, quotes
 * included, into w->b); nothing else here escapes.
 */
static void
escape(struct jw *w, const uint8_t *s, size_t n)
{
	size_t i = 0, run = 0;

	put(w, "\"", 1);
	while (i < n) {
		uint8_t c = s[i];
		size_t k = c < 0x80 ? 1 : utf8_seq(s + i, n - i);

		if (k > 0 && c >= 0x20 && c != '"' && c != '\\') {
			i += k;
			run += k;
			continue;
		}
		put(w, s + i - run, run);
		run = 0;
		if (k == 0) {
			put(w, "\xef\xbf\xbd", 3);      /* U+FFFD */
		} else if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			put(w, e, 2);
		} else if (c == '\n') {
			put(w, "\\n", 2);
		} else if (c == '\r') {
			put(w, "\\r", 2);
		} else if (c == '\t') {
			put(w, "\\t", 2);
		} else {
			char e[8];
			snprintf(e, sizeof e, "\\u%04x", c);
			put(w, e, 6);
		}
		i++;
	}
	put(w, s + i - run, run);
	put(w, "\"", 1);
}

static void
open_(struct jw *w, int obj)
{
	if (!value_begin(w))
		return;
	if (w->depth == JW_DEPTH) {
		w->err = ERR_USAGE;
		return;
	}
	w->is_obj[w->depth] = (uint8_t)obj;
	w->count[w->depth] = 0;
	w->depth++;
	put(w, obj ? "{" : "[", 1);
}

static void
close_(struct jw *w, int obj)
{
	if (w->err)
		return;
	if (w->depth == 0 || w->is_obj[w->depth - 1] != obj ||
	    w->after_key) {
		w->err = ERR_USAGE;
		return;
	}
	w->depth--;
	put(w, obj ? "}" : "]", 1);
}

void jw_obj(struct jw *w) { open_(w, 1); }
void jw_obj_end(struct jw *w) { close_(w, 1); }
void jw_arr(struct jw *w) { open_(w, 0); }
void jw_arr_end(struct jw *w) { close_(w, 0); }

/* see jsonw.h */
void
jw_key(struct jw *w, const char *k)
{
	if (w->err)
		return;
	if (w->depth == 0 || !w->is_obj[w->depth - 1] || w->after_key) {
		w->err = ERR_USAGE;
		return;
	}
	separate(w);
	escape(w, (const uint8_t *)k, strlen(k));
	put(w, ":", 1);
	w->after_key = 1;
}

/* see jsonw.h */
void
jw_strn(struct jw *w, const void *s, size_t n)
{
	if (value_begin(w))
		escape(w, s, n);
}

/* see jsonw.h */
void
jw_str(struct jw *w, const char *s)
{
	if (s == NULL)
		jw_null(w);
	else
		jw_strn(w, s, strlen(s));
}

/* see jsonw.h */
void
jw_int(struct jw *w, int64_t v)
{
	char t[24];

	if (value_begin(w))
		put(w, t, (size_t)snprintf(t, sizeof t, "%lld", (long long)v));
}

/* see jsonw.h */
void
jw_uint(struct jw *w, uint64_t v)
{
	char t[24];

	if (value_begin(w))
		put(w, t, (size_t)snprintf(t, sizeof t, "%llu",
		    (unsigned long long)v));
}

/* see jsonw.h */
void
jw_bool(struct jw *w, int v)
{
	if (value_begin(w))
		put(w, v ? "true" : "false", v ? 4 : 5);
}

/* see jsonw.h */
void
jw_null(struct jw *w)
{
	if (value_begin(w))
		put(w, "null", 4);
}

/* see jsonw.h */
void
jw_raw(struct jw *w, const void *json, size_t n)
{
	if (value_begin(w))
		put(w, json, n);
}
