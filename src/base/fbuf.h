/*
 * fbuf.h - a writer into a fixed, caller-owned array (a request head, a URL).
 *
 * A piece that does not fit sets over for good and nothing more is written, so
 * the caller checks once at the end instead of after every piece. Not
 * NUL-terminated; a caller that wants a NUL keeps a byte for it out of cap.
 */
#ifndef FBUF_H
#define FBUF_H

#include <stddef.h>
#include <stdint.h>

struct fbuf {
	char *p;
	size_t cap, len;
	int over;
};

void fbuf_put(struct fbuf *o, const void *s, size_t n);
void fbuf_put_u64(struct fbuf *o, uint64_t v);         /* decimal */
#define FBUF_LIT(o, lit) fbuf_put((o), (lit), sizeof(lit) - 1)

#endif
