/*
 * jsonflat.h - a push parser for flat JSON documents: one object whose
 * members are strings or arrays of strings. The shape of the documents we
 * write and read back ourselves from places others can write to: a run's
 * state file ({"done":[...],"failed":[...],"pending":[...]}) and a local
 * object's sidecar ({"pushedat":"...", ...}).
 *
 * The caller pushes the bytes in pieces of any size; every complete string
 * value is handed to a callback with its member's key (and whether it came
 * from an array), decoded: the escapes of RFC 8259 (\uXXXX surrogate pairs
 * to UTF-8). Anything outside that shape is an error: another value type,
 * nesting, a raw control byte or "\u0000" in a string, a lone surrogate,
 * more than one top-level value. Whitespace is RFC 8259's four bytes. No I/O,
 * no allocation: the state is the caller's (a few hundred bytes).
 *
 * Limits: keys are held up to JSONFLAT_KEY_MAX bytes and values up to
 * JSONFLAT_VAL_MAX; a longer value is still parsed to its end, and handed
 * over cut with `cut` set (the caller decides: a name too long matches
 * nothing); a longer key is handed over as "" (it is none we know).
 */
#ifndef JSONFLAT_H
#define JSONFLAT_H

#include <stddef.h>
#include <stdint.h>

#define JSONFLAT_KEY_MAX 63
#define JSONFLAT_VAL_MAX 1023

/*
 * A string value: key and val are NUL-terminated (no NUL can be inside),
 * valid during the call. in_array: it was an element of the member's array.
 * An array's start is announced too, with val NULL (so an empty array is
 * seen). Return 0 to go on, non-zero to stop (it becomes the parser's
 * error).
 */
typedef int jsonflat_fn(void *ctx, const char *key, const char *val,
    size_t len, int in_array, int cut);

struct jsonflat {
	jsonflat_fn *fn;
	void *ctx;
	int state;                      /* where in the grammar (jsonflat.c) */
	int err;                        /* sticky: ERR_JSON, the callback's */
	uint64_t off;                   /* bytes consumed, for the error */
	int in_key;                     /* the string being read is a key */
	int in_array;
	int esc;                        /* inside an escape: its progress */
	uint32_t u, hi;                 /* \uXXXX value; a high surrogate */
	char key[JSONFLAT_KEY_MAX + 1];
	size_t klen;
	int kcut;
	char val[JSONFLAT_VAL_MAX + 1];
	size_t vlen;
	int vcut;
};

void jsonflat_init(struct jsonflat *p, jsonflat_fn *fn, void *ctx);

/* Push n bytes. Returns the bytes consumed: n, or fewer once an error is
 * set (then sticky; see jsonflat_end). */
size_t jsonflat_push(struct jsonflat *p, const void *data, size_t n);

/* The input ended: 0 when it was one whole document, else the error
 * (ERR_JSON for malformed or incomplete input, or what the callback
 * returned); *offset (if not NULL) says where. */
int jsonflat_end(struct jsonflat *p, uint64_t *offset);

#endif
