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
#include "jsonstr.h"
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

/* A string: the one JSON string writer (base/jsonstr), quoted, \n \r \t
 * short, and a byte that is not UTF-8 as U+FFFD so that the answer stays
 * valid JSON whatever a file name holds. */
static void
escape(struct jw *w, const uint8_t *s, size_t n)
{
	int e;

	if (w->err == 0 && (e = jsonstr_write(s, n, JSONSTR_QUOTE |
	    JSONSTR_NTR | JSONSTR_BAD_REPL, jsonstr_put_buf, w->b)) != 0)
		w->err = e;
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
