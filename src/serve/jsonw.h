/*
 * jsonw.h - a small JSON writer for the service's answers and events,
 * into a capped struct buf: objects, arrays, keys, strings, numbers,
 * with the commas placed for the caller.
 *
 * Errors are sticky: the first failure (the buffer's cap, out of memory,
 * nesting over JW_DEPTH, a key outside an object) is kept and later calls
 * do nothing; check jw_error() once at the end.
 *
 * Strings go through the one JSON string writer (base/jsonstr.h). Bytes
 * that are not UTF-8 come out as U+FFFD, so a hostile file name cannot
 * make the output invalid.
 */
#ifndef JSONW_H
#define JSONW_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define JW_DEPTH 16

struct jw {
	struct buf *b;
	int err;
	int depth;
	uint8_t count[JW_DEPTH];        /* 1 once a level holds a member */
	uint8_t is_obj[JW_DEPTH];
	int after_key;                  /* a key is written, its value due */
};

/* Write into b (appending). */
void jw_init(struct jw *w, struct buf *b);

void jw_obj(struct jw *w);              /* { */
void jw_obj_end(struct jw *w);          /* } */
void jw_arr(struct jw *w);              /* [ */
void jw_arr_end(struct jw *w);          /* ] */
/* A key in the current object (ours: a C string, escaped all the same). */
void jw_key(struct jw *w, const char *k);
void jw_str(struct jw *w, const char *s);       /* NULL writes null */
void jw_strn(struct jw *w, const void *s, size_t n);
void jw_int(struct jw *w, int64_t v);
void jw_uint(struct jw *w, uint64_t v);
void jw_bool(struct jw *w, int v);
void jw_null(struct jw *w);
/* A value that is JSON already (the caller vouches for it). */
void jw_raw(struct jw *w, const void *json, size_t n);

/* 0, or the first error (ERR_LIMIT, ERR_NOMEM, ERR_USAGE). */
int jw_error(const struct jw *w);

#endif
