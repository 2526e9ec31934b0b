/*
 * req.h - the server's HTTP/1.1 request head parser (RFC 9112), in
 * picohttpparser's shape: stateless, zero-copy, no allocation. The caller
 * keeps the bytes received so far in one buffer and calls req_parse() on
 * the whole of it after every read; the result is the head's length, or
 * "incomplete, call again", or "bad" with the error and the status to
 * answer. Every slice in struct req points into the caller's buffer.
 *
 * Strict where leniency lets a front proxy and us disagree about a
 * message's end (request smuggling, RFC 9112 section 11.2): CRLF line
 * ends only (a bare LF or CR is refused), no obs-fold, no whitespace
 * before a colon, no NUL or other control byte, one Content-Length
 * value, Transfer-Encoding only "chunked" and never together with
 * Content-Length, exactly one Host in HTTP/1.1. The body is not read
 * here: struct req says how it is framed, chunked.h decodes it.
 *
 * The client's response parser is http.h; the syntax both share
 * (token and value bytes, field lines, the framing fields) is hfield.h.
 */
#ifndef REQ_H
#define REQ_H

#include <stddef.h>
#include <stdint.h>

#include "slice.h"

/* Budgets. Browsers and curl send 0.3-2 KiB; nginx's default for a whole
 * head is 1 KiB plus 4 x 8 KiB. */
#define REQ_HEAD_MAX     16384  /* request line + header section, bytes */
#define REQ_TARGET_MAX   4096   /* request-target (= URL_MAX); over: 414 */
#define REQ_METHOD_MAX   16     /* the longest registered method is 17 */
#define REQ_HEADERS_MAX  64     /* fields we index; more: 431 */

enum {
	REQ_BAD = -1,           /* r->err and r->status say why */
	REQ_INCOMPLETE = -2     /* need more bytes */
};

enum req_body {
	REQ_BODY_NONE = 0,
	REQ_BODY_LENGTH,        /* r->length bytes follow the head */
	REQ_BODY_CHUNKED        /* chunked coding follows the head */
};

struct req_header {
	struct slice name, value;       /* value trimmed of OWS */
};

struct req {
	struct slice method;    /* a token, case-sensitive ("GET") */
	struct slice target;    /* the request-target as sent */
	struct slice path;      /* its path, still percent-encoded */
	struct slice query;     /* after '?' (empty if none) */
	int minor;              /* HTTP/1.minor: 0 or 1 */
	struct req_header *headers;     /* the caller's array */
	size_t nheaders;
	struct slice host;
	int body;               /* enum req_body */
	uint64_t length;        /* REQ_BODY_LENGTH */
	int keep_alive;         /* the client allows another request */
	int upgrade;            /* "Connection: upgrade" */
	int expect_continue;    /* "Expect: 100-continue" (HTTP/1.1) */
	int err;                /* REQ_BAD: enum err_code */
	int status;             /* REQ_BAD: 400, 414, 417, 431, 501, 505 */
};

/*
 * Parse the head at the start of buf[0..len). last_len is len at the
 * previous call for the same request (0 the first time): the search for
 * the blank line resumes there, so feeding a head byte by byte costs
 * linear time. Up to max_headers fields go into headers[]. Returns the
 * head's length (bytes consumed, the empty lines a client may send before
 * a request included), REQ_INCOMPLETE, or REQ_BAD. A request line that is
 * complete is checked at once (a bad one or an over-long target is
 * answered before the rest of the head arrives); over REQ_HEAD_MAX bytes
 * without a blank line is REQ_BAD (431).
 */
int req_parse(const uint8_t *buf, size_t len, size_t last_len, struct req *r,
    struct req_header *headers, size_t max_headers);

/* The first field named name (any case; ours, e.g. "sec-websocket-key"):
 * 1 and *value, or 0. */
int req_header(const struct req *r, const char *name, struct slice *value);

/* How many fields are named name. */
size_t req_header_count(const struct req *r, const char *name);

/* The status that answers an error of the request or its body: 413, 414,
 * 417, 431, 501, 505, or 400 for the rest. */
int req_status(int err);

#endif
