/*
 * out.h - where rendered bytes go: a file descriptor or a memory buffer, with an
 * optional byte cap.
 *
 * The cap is the truncation rule of the container repodigest replaces: once more
 * than cap bytes would be written, the output is cut at the last UTF-8 character
 * boundary at or below the cap and "\n\n[... Summary truncated at NKB limit ...]"
 * is appended (N = cap / 1024, rounded down; a cap under 1024 is given in bytes,
 * "NB", never "0KB"). So the output is at most cap + OUT_NOTICE_MAX bytes; output
 * that fits the cap gets no notice. Everything written after the cut is dropped,
 * so a renderer can stop early by checking out_full().
 */
#ifndef OUT_H
#define OUT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* The longest notice: 41 bytes and the digits of N (10 at the 2^40 cap). */
#define OUT_NOTICE_MAX 51

struct out {
	int fd;                 /* >= 0: write here */
	struct buf *mem;        /* else append here */
	uint64_t cap;           /* 0 = no cap */
	uint64_t written;       /* bytes accepted so far (before any notice) */
	int truncated;          /* the cap was hit and the notice written */
	int err;                /* sticky: ERR_OUTPUT / ERR_NOMEM / ERR_LIMIT */
	size_t wlen;            /* bytes waiting in wbuf */
	/* last: the init functions clear every field before it and leave
	 * the 64 KiB alone, so wbuf must stay the last member */
	uint8_t wbuf[65536];    /* write-behind buffer for fd output */
};

void out_init_fd(struct out *o, int fd, uint64_t cap);
void out_init_mem(struct out *o, struct buf *mem, uint64_t cap);
/* Write n bytes (subject to the cap). Returns 0 or the sticky error. */
int out_write(struct out *o, const void *p, size_t n);
int out_puts(struct out *o, const char *s);
/* 1 once the cap was reached: nothing more will be written. */
int out_full(const struct out *o);
/* Flush buffered bytes to the fd. Returns 0 or the sticky error. */
int out_flush(struct out *o);

#endif
