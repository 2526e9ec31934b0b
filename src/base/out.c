/*
 * out.c - capped output writer. See out.h.
 *
 * Bytes are passed through until the cap. The chunk that crosses it is cut at the
 * cap, then backed off to the start of the last UTF-8 character if that character
 * would be split: a cut never leaves half a character (the stored digest must stay
 * valid UTF-8 for downstream JSON and search indexers).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "out.h"
#include "utf8cut.h"

/* the init functions clear what precedes wbuf: nothing may follow it */
_Static_assert(offsetof(struct out, wbuf) + sizeof ((struct out *)0)->wbuf ==
    sizeof(struct out), "wbuf is the last member of struct out");

static int
raw_write(struct out *o, const void *p, size_t n)
{
	const uint8_t *s = p;

	if (o->err)
		return o->err;
	if (o->fd < 0) {
		int e = buf_append(o->mem, p, n);
		if (e)
			o->err = e;
		return o->err;
	}
	if (o->wlen + n > sizeof o->wbuf) {
		if (out_flush(o))
			return o->err;
		if (n >= sizeof o->wbuf) {
			while (n > 0) {
				ssize_t w = write(o->fd, s, n);
				if (w < 0 && errno == EINTR)
					continue;
				if (w <= 0)
					return o->err = ERR_OUTPUT;
				s += w;
				n -= (size_t)w;
			}
			return 0;
		}
	}
	memcpy(o->wbuf + o->wlen, s, n);
	o->wlen += n;
	return 0;
}

/* see out.h */
int
out_flush(struct out *o)
{
	size_t at = 0;

	if (o->fd < 0 || o->err)
		return o->err;
	while (at < o->wlen) {
		ssize_t w = write(o->fd, o->wbuf + at, o->wlen - at);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return o->err = ERR_OUTPUT;
		at += (size_t)w;
	}
	o->wlen = 0;
	return 0;
}

void
out_init_fd(struct out *o, int fd, uint64_t cap)
{
	/* every field but the buffer: a struct out comes from malloc, and a
	 * stale wlen would have the first flush write that many heap bytes
	 * (garbage in the file, or EFAULT once it runs past the mapping) */
	memset(o, 0, offsetof(struct out, wbuf));
	o->fd = fd;
	o->cap = cap;
}

void
out_init_mem(struct out *o, struct buf *mem, uint64_t cap)
{
	memset(o, 0, offsetof(struct out, wbuf));
	o->fd = -1;
	o->mem = mem;
	o->cap = cap;
}

int
out_write(struct out *o, const void *p, size_t n)
{
	char notice[96];
	size_t keep;

	if (o->err || o->truncated || n == 0)
		return o->err;
	if (o->cap == 0 || o->written + n <= o->cap) {
		o->written += n;
		return raw_write(o, p, n);
	}
	/* This chunk crosses the cap. */
	keep = (size_t)(o->cap - o->written);
	keep = utf8cut(p, keep);
	/*
	 * Callers write whole strings and whole stored chunks, and the content
	 * store cuts its chunks at character boundaries, so a character never
	 * straddles two calls and looking inside this chunk is enough.
	 */
	if (raw_write(o, p, keep))
		return o->err;
	o->written += keep;
	/* the notice of the container this replaces, byte for byte (N KB,
	 * rounded down); under 1 KiB that would read "0KB", so the cap is
	 * given in bytes there */
	if (o->cap >= 1024)
		snprintf(notice, sizeof notice,
		    "\n\n[... Summary truncated at %lluKB limit ...]",
		    (unsigned long long)(o->cap / 1024));
	else
		snprintf(notice, sizeof notice,
		    "\n\n[... Summary truncated at %lluB limit ...]",
		    (unsigned long long)o->cap);
	o->truncated = 1;
	return raw_write(o, notice, strlen(notice));
}

int
out_puts(struct out *o, const char *s)
{
	return out_write(o, s, strlen(s));
}

int
out_full(const struct out *o)
{
	return o->truncated || o->err;
}
