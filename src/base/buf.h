/*
 * buf.h - growable byte buffers with a hard ceiling.
 *
 * (Slices, the FNV hash and the fixed-array writer have their own headers:
 * slice.h, fnv.h, fbuf.h.)
 *
 * A buf grows by doubling up to its cap (set at init); an append that would pass the
 * cap fails with ERR_LIMIT and leaves the buffer unchanged, so no caller can grow
 * memory without bound by accident. The bytes are not NUL-terminated unless
 * buf_cstr() is asked for.
 */
#ifndef BUF_H
#define BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *p;
	size_t len;
	size_t alloc;
	size_t cap;             /* hard ceiling on len */
};

void buf_init(struct buf *b, size_t cap);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);          /* len = 0, keeps memory */
int buf_reserve(struct buf *b, size_t extra);
int buf_append(struct buf *b, const void *p, size_t n);
int buf_putc(struct buf *b, int c);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* NUL-terminate (not counted in len) and return p; NULL on ERR_NOMEM/ERR_LIMIT. */
const char *buf_cstr(struct buf *b);

/* Value of a hex digit (0-9, a-f, A-F) as 0..15, or -1 for any other byte. */
int buf_hexval(int c);

#endif
