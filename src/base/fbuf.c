/*
 * fbuf.c - writes into a fixed array that stop at the first piece that does not
 * fit. See fbuf.h.
 */
#include <string.h>

#include "fbuf.h"

/* see fbuf.h */
void
fbuf_put(struct fbuf *o, const void *s, size_t n)
{
	if (o->over || n > o->cap - o->len) {
		o->over = 1;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

/* see fbuf.h */
void
fbuf_put_u64(struct fbuf *o, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof tmp;

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	fbuf_put(o, tmp + i, sizeof tmp - i);
}
