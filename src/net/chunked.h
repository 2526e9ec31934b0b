/*
 * chunked.h - the chunked transfer coding (RFC 9112 section 7.1) as a push
 * decoder, shared by the client's response parser (http.c) and the
 * server's request bodies (serve/conn.c). No I/O, no allocation, no
 * copying: data events point into the caller's input.
 *
 * Grammar, strictly: chunk-size (hex) [ chunk-ext ] CRLF, chunk-data
 * CRLF, ..., "0" CRLF, trailer lines, CRLF. Size lines are capped (a peer
 * could otherwise stream extensions for ever), sizes checked for overflow
 * before each shift, extensions ignored but may hold no control byte (a
 * bare LF there is a framing lie), trailers skipped but counted (section
 * 7.1.2: nothing here uses them, and merging them into the head would
 * let a body rewrite it).
 */
#ifndef CHUNKED_H
#define CHUNKED_H

#include <stddef.h>
#include <stdint.h>

#define CHUNKED_LINE_MAX     1024   /* chunk-size line incl. extensions */
#define CHUNKED_TRAILER_MAX  16384  /* trailer section (skipped), bytes */

enum chunked_event {
	CHUNKED_NEED = 0,       /* all input consumed, need more */
	CHUNKED_DATA,           /* *data, *len: chunk data inside the input */
	CHUNKED_DONE,           /* the body ended (sticky) */
	CHUNKED_ERROR           /* chunked_error() says why (sticky) */
};

struct chunked {                /* internal: see chunked.c */
	int state;
	int err;
	uint64_t size;          /* chunk-size being read */
	uint64_t remaining;     /* chunk-data bytes left */
	size_t line;            /* bytes of the size line so far */
	int digits;
	size_t trailer_bytes;
	size_t trailer_line;
};

/* Ready for a new body. */
void chunked_init(struct chunked *c);

/*
 * Push n bytes of the body; returns how many were consumed and the event
 * in *ev. At most one event per call: CHUNKED_DATA sets *data and *len
 * (never 0; a piece of p, valid while p is); CHUNKED_DONE is reported
 * once the final CRLF is consumed, and bytes after it are not part of the
 * body; CHUNKED_NEED means every byte was consumed. DONE and ERROR are
 * sticky: later calls consume nothing and repeat them.
 */
size_t chunked_push(struct chunked *c, const uint8_t *p, size_t n,
    int *ev, const uint8_t **data, size_t *len);

/* The sticky error (0 if none): ERR_HTTP_CHUNK (malformed),
 * ERR_HTTP_CHUNK_SIZE (a size over 2^64), ERR_HTTP_TRAILER_SIZE. */
int chunked_error(const struct chunked *c);

/* 1 once the body ended. */
int chunked_done(const struct chunked *c);

#endif
