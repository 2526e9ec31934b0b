/*
 * buf.h - growable byte buffers with a hard ceiling, and (ptr, len) slices.
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

struct slice {
	const uint8_t *p;
	size_t n;
};

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

/* FNV-1a 64, a byte at a time: h = FNV1A64_INIT, then h = fnv1a64_byte(h, c). */
#define FNV1A64_INIT 14695981039346656037ull
static inline uint64_t
fnv1a64_byte(uint64_t h, unsigned char c)
{
	return (h ^ c) * 1099511628211ull;
}

/* Value of a hex digit (0-9, a-f, A-F) as 0..15, or -1 for any other byte. */
int buf_hexval(int c);

/*
 * A writer into a fixed, caller-owned array (a request head, a URL): a piece
 * that does not fit sets over for good and nothing more is written, so the
 * caller checks once at the end instead of after every piece. Not
 * NUL-terminated; a caller that wants a NUL keeps a byte for it out of cap.
 */
struct fbuf {
	char *p;
	size_t cap, len;
	int over;
};

void fbuf_put(struct fbuf *o, const void *s, size_t n);
void fbuf_put_u64(struct fbuf *o, uint64_t v);         /* decimal */
#define FBUF_LIT(o, lit) fbuf_put((o), (lit), sizeof(lit) - 1)

#endif
