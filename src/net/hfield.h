/*
 * hfield.h - HTTP/1.1 message syntax the client (http.c) and the server
 * (serve/req.c) share: byte classes, field lines, lists, and the two
 * framing fields, so that both directions agree on what a message is.
 * No I/O, no allocation; inputs are untrusted (ptr, len) slices.
 */
#ifndef HFIELD_H
#define HFIELD_H

#include <stddef.h>
#include <stdint.h>

#include "slice.h"

/* tchar (RFC 9110 section 5.6.2): 1 or 0. */
int hfield_tchar(int c);

/* field-vchar / SP / HTAB: obs-text allowed, no CTL (CR, LF and NUL are
 * the dangerous ones). 1 or 0. */
int hfield_vbyte(int c);

/* SP or HTAB (OWS). */
int hfield_ows(int c);

/* Case-insensitive compare of a slice with a C string of ours (never the
 * peer's: it is measured with strlen). 1 if equal. */
int hfield_eq(const uint8_t *p, size_t n, const char *s);

/* All decimal digits, at least one, at most 2^63 - 1: 0 and *out, or -1. */
int hfield_u63(const uint8_t *p, size_t n, uint64_t *out);

/*
 * Walk a comma-separated list (RFC 9110 section 5.6.1): *at is the cursor
 * (start at 0); the next element, trimmed of OWS, goes to *e (empty
 * elements are returned as such). 0 when the list is exhausted.
 */
int hfield_list_next(const uint8_t *p, size_t n, size_t *at, struct slice *e);

/* 1 if the list p holds the token s (case-insensitive). */
int hfield_list_has(const uint8_t *p, size_t n, const char *s);

/*
 * field-line = field-name ":" OWS field-value OWS (RFC 9112 section 5),
 * without its CRLF: the name and the trimmed value as slices of l. A
 * leading SP/HTAB is obs-fold (section 5.2): ERR_HTTP_FOLDING. No name, a
 * non-token byte in it or whitespace before the colon (section 5.1), or a
 * CTL in the value: ERR_HTTP_HEADER.
 */
int hfield_line(const uint8_t *l, size_t n, struct slice *name,
    struct slice *value);

/*
 * A Content-Length value (RFC 9110 section 8.6) merged with what earlier
 * fields said (*have, *len): a list of identical values is one value;
 * different ones, here or across fields, frame the message two ways and
 * are ERR_HTTP_CONTENT_LENGTH, as is anything but digits.
 */
int hfield_content_length(const uint8_t *v, size_t n, int *have,
    uint64_t *len);

/*
 * A Transfer-Encoding value (RFC 9112 section 6.1): only chunked is
 * decoded, so any other coding is ERR_HTTP_TRANSFER_ENCODING rather than
 * passed on mislabelled; "identity" (RFC 2616) is a no-op; chunked must be
 * last and once. Sets *chunked when it ends in chunked.
 */
int hfield_transfer_encoding(const uint8_t *v, size_t n, int *chunked);

#endif
