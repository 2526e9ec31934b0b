/*
 * jsonstr.h - the one JSON string writer: bytes in, a JSON string's text out.
 *
 * Every JSON document repodigest writes (digest --format json, --report, the
 * sidecars, log lines, run reports, chunk lines) escapes its strings here.
 * They do not all escape alike, and each keeps the bytes it has always
 * written, so the differences are named flags rather than copies of a loop:
 *   '"' and '\' are always escaped, and the other C0 controls as \u00XX
 *   unless a short form is asked for (JSONSTR_NTR: \n \r \t; JSONSTR_BF:
 *   \b \f, as cJSON and JSON.stringify write them). DEL passes unless
 *   JSONSTR_DEL. Bytes >= 0x80 pass as they are, unless a JSONSTR_BAD_*
 *   flag asks for strict UTF-8: then each byte that does not start a valid
 *   sequence (RFC 3629: no overlong forms, surrogates or values past
 *   U+10FFFF) becomes \ufffd (JSONSTR_BAD_ESC) or U+FFFD's three bytes
 *   (JSONSTR_BAD_REPL), and a valid sequence passes whole.
 * Runs of bytes that need nothing go to the sink in one call.
 */
#ifndef JSONSTR_H
#define JSONSTR_H

#include <stddef.h>
#include <stdio.h>

#include "buf.h"
#include "out.h"

#define JSONSTR_QUOTE    0x01   /* write the surrounding quotes too */
#define JSONSTR_NTR      0x02   /* \n \r \t short */
#define JSONSTR_BF       0x04   /* \b \f short */
#define JSONSTR_DEL      0x08   /* DEL as \u007f */
#define JSONSTR_BAD_ESC  0x10   /* invalid UTF-8 byte -> \ufffd */
#define JSONSTR_BAD_REPL 0x20   /* invalid UTF-8 byte -> EF BF BD */

/* What each document uses (the bytes it has always had). */
#define JSONSTR_CJSON    (JSONSTR_QUOTE | JSONSTR_NTR | JSONSTR_BF)
#define JSONSTR_META     (JSONSTR_QUOTE | JSONSTR_DEL)

/* Where the text goes: returns 0, or non-zero to stop (returned as is). */
typedef int (*jsonstr_put_fn)(void *ctx, const void *p, size_t n);

/*
 * Write the n bytes at s as JSON string text in the given style (JSONSTR_*
 * flags) through put. Returns 0 or put's first non-zero return.
 */
int jsonstr_write(const void *s, size_t n, unsigned style, jsonstr_put_fn put,
    void *ctx);

/* Sinks for the usual destinations: ctx is a struct out *, a struct buf *
 * (its append error returned) or a FILE * (errors left in the stream). */
int jsonstr_put_out(void *ctx, const void *p, size_t n);
int jsonstr_put_buf(void *ctx, const void *p, size_t n);
int jsonstr_put_file(void *ctx, const void *p, size_t n);

#endif
