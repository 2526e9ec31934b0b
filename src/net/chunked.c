/*
 * chunked.c - the chunked transfer coding as a push decoder. See chunked.h.
 *
 * A byte-at-a-time state machine over the framing (size lines, CRLFs,
 * trailers); chunk data is never copied: it is reported as a slice of the
 * caller's input, as much of it as the input holds.
 */
#include <stddef.h>

#include "buf.h"
#include "chunked.h"
#include "err.h"
#include "hfield.h"

enum {
	CH_SIZE = 0,    /* chunk-size hex digits */
	CH_EXT,         /* chunk extensions: ignored up to CR */
	CH_SIZE_LF,     /* LF after the size line */
	CH_DATA,        /* chunk data */
	CH_DATA_CR,     /* CR after chunk data */
	CH_DATA_LF,     /* LF after chunk data */
	CH_TR_LINE,     /* a trailer line (skipped) */
	CH_TR_LF,       /* LF ending a trailer line */
	CH_DONE,
	CH_ERROR
};

/* see chunked.h */
void
chunked_init(struct chunked *c)
{
	c->state = CH_SIZE;
	c->err = 0;
	c->size = c->remaining = 0;
	c->line = 0;
	c->digits = 0;
	c->trailer_bytes = c->trailer_line = 0;
}

static size_t
fail(struct chunked *c, int e, size_t used, int *ev)
{
	c->state = CH_ERROR;
	c->err = e;
	*ev = CHUNKED_ERROR;
	return used;
}

/* see chunked.h */
size_t
chunked_push(struct chunked *c, const uint8_t *p, size_t n, int *ev,
    const uint8_t **data, size_t *len)
{
	size_t i = 0;

	*ev = CHUNKED_NEED;
	*data = NULL;
	*len = 0;
	if (c->state == CH_DONE) {
		*ev = CHUNKED_DONE;
		return 0;
	}
	if (c->state == CH_ERROR) {
		*ev = CHUNKED_ERROR;
		return 0;
	}
	while (i < n) {
		int b = p[i], h;

		switch (c->state) {
		case CH_SIZE:
			if (++c->line > CHUNKED_LINE_MAX)
				return fail(c, ERR_HTTP_CHUNK, i, ev);
			if ((h = buf_hexval(b)) >= 0) {
				if (c->size >> 60 != 0)
					return fail(c, ERR_HTTP_CHUNK_SIZE, i,
					    ev);
				c->size = c->size << 4 | (uint64_t)h;
				c->digits = 1;
			} else if (!c->digits) {
				return fail(c, ERR_HTTP_CHUNK, i, ev);
			} else if (b == '\r') {
				c->state = CH_SIZE_LF;
			} else if (b == ';' || hfield_ows(b)) {
				/* chunk-ext, with BWS before ';' */
				c->state = CH_EXT;
			} else {
				return fail(c, ERR_HTTP_CHUNK, i, ev);
			}
			i++;
			break;
		case CH_EXT:
			if (++c->line > CHUNKED_LINE_MAX)
				return fail(c, ERR_HTTP_CHUNK, i, ev);
			if (b == '\r')
				c->state = CH_SIZE_LF;
			else if (!hfield_vbyte(b))
				return fail(c, ERR_HTTP_CHUNK, i, ev);
			i++;
			break;
		case CH_SIZE_LF:
			if (b != '\n')
				return fail(c, ERR_HTTP_CHUNK, i, ev);
			i++;
			if (c->size == 0) {
				c->state = CH_TR_LINE;
				c->trailer_line = 0;
			} else {
				c->state = CH_DATA;
				c->remaining = c->size;
			}
			c->size = 0;
			c->digits = 0;
			c->line = 0;
			break;
		case CH_DATA: {
			size_t take = n - i;
			if (take > c->remaining)
				take = (size_t)c->remaining;
			c->remaining -= take;
			if (c->remaining == 0)
				c->state = CH_DATA_CR;
			*ev = CHUNKED_DATA;
			*data = p + i;
			*len = take;
			return i + take;
		}
		case CH_DATA_CR:
			if (b != '\r')
				return fail(c, ERR_HTTP_CHUNK, i, ev);
			c->state = CH_DATA_LF;
			i++;
			break;
		case CH_DATA_LF:
			if (b != '\n')
				return fail(c, ERR_HTTP_CHUNK, i, ev);
			c->state = CH_SIZE;
			i++;
			break;
		case CH_TR_LINE:
			if (++c->trailer_bytes > CHUNKED_TRAILER_MAX)
				return fail(c, ERR_HTTP_TRAILER_SIZE, i, ev);
			if (b == '\r')
				c->state = CH_TR_LF;
			else if (b == '\n' || b == 0)
				return fail(c, ERR_HTTP_CHUNK, i, ev);
			else
				c->trailer_line++;
			i++;
			break;
		case CH_TR_LF:
			if (b != '\n')
				return fail(c, ERR_HTTP_CHUNK, i, ev);
			i++;
			if (c->trailer_line == 0) {
				c->state = CH_DONE;
				*ev = CHUNKED_DONE;
				return i;
			}
			c->trailer_line = 0;
			c->state = CH_TR_LINE;
			break;
		default:
			return fail(c, ERR_HTTP_CHUNK, i, ev);
		}
	}
	return i;
}

/* see chunked.h */
int
chunked_error(const struct chunked *c)
{
	return c->state == CH_ERROR ? c->err : 0;
}

/* see chunked.h */
int
chunked_done(const struct chunked *c)
{
	return c->state == CH_DONE;
}
