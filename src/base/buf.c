/*
 * buf.c - capped growable buffers. See buf.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"

/* see buf.h */
void
buf_init(struct buf *b, size_t cap)
{
	b->p = NULL;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap;
}

void
buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->alloc = 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
}

int
buf_reserve(struct buf *b, size_t extra)
{
	size_t want, na;
	uint8_t *np;

	/* +1 keeps room for buf_cstr()'s terminator without another realloc. */
	if (extra > b->cap || b->len > b->cap - extra)
		return ERR_LIMIT;
	want = b->len + extra + 1;
	if (want <= b->alloc)
		return ERR_OK;
	na = b->alloc ? b->alloc : 64;
	while (na < want)
		na = na > SIZE_MAX / 2 ? want : na * 2;
	np = realloc(b->p, na);
	if (np == NULL)
		return ERR_NOMEM;
	b->p = np;
	b->alloc = na;
	return ERR_OK;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	int e;

	if (n == 0)
		return ERR_OK;
	if ((e = buf_reserve(b, n)) != ERR_OK)
		return e;
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return ERR_OK;
}

int
buf_putc(struct buf *b, int c)
{
	uint8_t ch = (uint8_t)c;

	return buf_append(b, &ch, 1);
}

int
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, e;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return ERR_IO;
	if ((e = buf_reserve(b, (size_t)n)) != ERR_OK)
		return e;
	va_start(ap, fmt);
	vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return ERR_OK;
}

const char *
buf_cstr(struct buf *b)
{
	if (b->p == NULL || b->len + 1 > b->alloc) {
		if (buf_reserve(b, 0) != ERR_OK)
			return NULL;
	}
	b->p[b->len] = '\0';
	return (const char *)b->p;
}

int
buf_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
