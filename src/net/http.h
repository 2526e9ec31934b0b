/*
 * http.h - the protocol half of the HTTP/1.1 client: request heads out,
 * response heads and bodies in. No I/O: the connection layer (net, tls) moves
 * the bytes and calls these functions.
 *
 * Request: http_write_request() writes a request head into a caller buffer,
 * refusing CR, LF, NUL and other control bytes anywhere a caller-supplied
 * value lands (request splitting, RFC 9112 section 11.2) and refusing extra
 * fields that would duplicate the framing fields we write ourselves.
 *
 * Response: a push parser in a caller-allocated struct (no allocation): the
 * status line, the header section (kept raw in a fixed buffer, indexed, looked
 * up on demand), then the body, de-chunked, as events whose bytes point into
 * the caller's input (zero copy). Body framing follows RFC 9112 section 6.3:
 * no body for HEAD, 1xx, 204, 304 and a 2xx answer to CONNECT; chunked when
 * Transfer-Encoding says so (it wins over Content-Length); Content-Length;
 * otherwise until the server closes. Interim 1xx responses (100 Continue,
 * 103 Early Hints) are skipped; 101 is final and has no body. Line endings
 * must be CRLF everywhere (the RFC 9112 section 2.2 bare-LF leniency is not
 * taken: one framing rule, no desync between us and a proxy).
 *
 * Memory: sizeof(struct http_resp_parser) is about 67 KiB, all fixed.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "chunked.h"
#include "slice.h"

/* Budgets. GitHub, S3 and nginx heads are 1-3 KiB; these leave room for
 * long Set-Cookie / Content-Security-Policy lines and still bound memory. */
#define HTTP_HEAD_MAX        65536  /* status line + header section, bytes */
#define HTTP_LINE_MAX        16384  /* one header line (nginx's large buffer) */
#define HTTP_FIELDS_MAX      128    /* header fields in one response */
#define HTTP_CHUNK_LINE_MAX  CHUNKED_LINE_MAX     /* chunked.h */
#define HTTP_TRAILER_MAX     CHUNKED_TRAILER_MAX
#define HTTP_INTERIM_MAX     8      /* 1xx responses before the final one */
#define HTTP_LOCATION_MAX    4096   /* copied Location value (= URL_MAX) */

/* ------------------------------------------------------------ request */

struct http_field {             /* one extra request header field */
	const char *name;       /* token (RFC 9110 5.1); not NUL-terminated */
	size_t name_len;
	const char *value;      /* no CR, LF, NUL or other CTL except HTAB */
	size_t value_len;
};

struct http_request {
	const char *method;     /* "GET", "HEAD", "PUT", "CONNECT": a token */
	size_t method_len;
	const char *host;       /* bare host; IPv6 is bracketed for us */
	size_t host_len;
	uint16_t port;          /* ":port" unless 0 or default_port */
	uint16_t default_port;  /* 80 or 443 */
	const char *target;     /* "/path?query", or "host:port" for CONNECT */
	size_t target_len;
	const struct http_field *fields;
	size_t nfields;
	int has_body;           /* 1: write Content-Length: body_len */
	uint64_t body_len;
	int close;              /* 1: "Connection: close", 0: keep-alive */
};

/*
 * Write the request head (request line, Host, the extra fields in order,
 * Content-Length if has_body, Connection, blank line) into out[0..cap).
 * *len gets the byte count; out is not NUL-terminated. Errors:
 * ERR_HTTP_REQUEST_FIELD (a bad byte in method, host, target, a field name
 * or value, or an extra field named Host, Content-Length,
 * Transfer-Encoding or Connection), ERR_HTTP_REQUEST_SIZE (cap too small;
 * out's contents are then unspecified).
 */
int http_write_request(const struct http_request *rq, char *out, size_t cap,
    size_t *len);

/* ------------------------------------------------------------ response */

enum http_event {
	HTTP_EV_NONE = 0,       /* all input consumed, need more */
	HTTP_EV_HEADERS,        /* final response head parsed: use accessors */
	HTTP_EV_BODY,           /* ev->data/ev->len: body bytes (de-chunked) */
	HTTP_EV_DONE,           /* response complete (sticky) */
	HTTP_EV_ERROR           /* ev->err, enum err_code (sticky) */
};

struct http_ev {
	enum http_event type;
	const uint8_t *data;    /* HTTP_EV_BODY: points into the pushed input */
	size_t len;             /* never 0 for HTTP_EV_BODY */
	int err;
};

/* http_resp_init() flags: what was asked, since that decides the framing. */
#define HTTP_RESP_HEAD     1    /* the request was HEAD: never a body */
#define HTTP_RESP_CONNECT  2    /* the request was CONNECT: 2xx has no body */

struct http_field_ix {          /* offsets into head[]: no interior pointers */
	uint32_t name, name_len, value, value_len;
};

struct http_resp_parser {
	/* internal state: see http.c. Read through the accessors below. */
	int flags;
	int state;
	int err;
	uint64_t offset;        /* response bytes consumed so far */
	int status;
	int minor;              /* HTTP/1.minor */
	uint32_t reason, reason_len;
	int interim;            /* 1xx responses skipped */
	uint8_t head[HTTP_HEAD_MAX];
	size_t head_len;        /* bytes in head[] (lines with their CRLF) */
	size_t line_start;      /* offset in head[] of the line being read */
	struct http_field_ix fields[HTTP_FIELDS_MAX];
	size_t nfields;
	int body_mode;          /* none, length, chunked, close */
	int has_length;         /* Content-Length seen and valid */
	uint64_t length;        /* its value */
	int te_chunked;         /* Transfer-Encoding ends in chunked */
	int te_seen;
	int conn_close, conn_keep;
	uint64_t remaining;     /* Content-Length body bytes left */
	uint64_t body_bytes;    /* body bytes reported so far */
	struct chunked ch;      /* chunked body decoder */
};

/* Prepare for one response; flags: HTTP_RESP_HEAD, HTTP_RESP_CONNECT. */
void http_resp_init(struct http_resp_parser *r, int flags);

/*
 * Push response bytes; returns how many were consumed and fills *ev. At
 * most one event per call: loop while bytes remain or the event is not
 * HTTP_EV_NONE. Order: HEADERS, zero or more BODY, DONE. DONE and ERROR are
 * sticky: later calls consume nothing and repeat them. Bytes left over after
 * DONE are not part of this response: a client that sent one request on a
 * keep-alive connection must treat them as a protocol error and close.
 * BODY data is valid only as long as the caller's input is.
 */
size_t http_resp_push(struct http_resp_parser *r, const uint8_t *p, size_t n,
    struct http_ev *ev);

/*
 * The connection closed (clean EOF). Returns 0 if the response is complete
 * (a close-delimited body ends here: the state becomes DONE), else the
 * sticky error: ERR_HTTP_NO_RESPONSE (not one byte came: a stale keep-alive
 * connection, retry on a fresh one), ERR_HTTP_TRUNCATED_HEAD,
 * ERR_HTTP_TRUNCATED (Content-Length short or chunked without its last
 * chunk), or the earlier parse error. All truncations are retryable.
 */
int http_resp_eof(struct http_resp_parser *r);

/* 1 once HTTP_EV_DONE was reported (or eof completed the body). */
int http_resp_done(const struct http_resp_parser *r);

/* Sticky error code (0 if none) and the offset in the response stream at
 * which the parser stopped. */
int http_resp_error(const struct http_resp_parser *r);
uint64_t http_resp_offset(const struct http_resp_parser *r);

/*
 * Accessors: valid from HTTP_EV_HEADERS until the next http_resp_init().
 * Slices point into the parser. Values are trimmed of surrounding
 * whitespace; names compare case-insensitively.
 */
int http_resp_status(const struct http_resp_parser *r);
int http_resp_minor(const struct http_resp_parser *r); /* 0 or 1 */
struct slice http_resp_reason(const struct http_resp_parser *r);
uint64_t http_resp_body_bytes(const struct http_resp_parser *r);

/* 1 and *len = Content-Length if the header was there (for HEAD and 304 it
 * describes the representation, not this message), else 0. */
int http_resp_content_length(const struct http_resp_parser *r, uint64_t *len);

/* 1 if the body is chunked. */
int http_resp_chunked(const struct http_resp_parser *r);

/*
 * 1 if the connection may carry another request once this response is DONE:
 * HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with "keep-alive"; never
 * after a close-delimited body, a 101, a tunnel, or a message with both
 * Transfer-Encoding and Content-Length (RFC 9112 section 6.3, item 3).
 */
int http_resp_keep_alive(const struct http_resp_parser *r);

/* Number of fields, and field i (0-based, in arrival order): 1 or 0. */
size_t http_resp_field_count(const struct http_resp_parser *r);
int http_resp_field(const struct http_resp_parser *r, size_t i,
    struct slice *name, struct slice *value);

/* First field named name (a C string of ours, e.g. "x-amz-meta-pushedat"):
 * 1 and *value, or 0 if absent. */
int http_resp_get(const struct http_resp_parser *r, const char *name,
    struct slice *value);

/* Location value copied NUL-terminated into out (cap bytes, at most
 * HTTP_LOCATION_MAX + 1 used). 0, or ERR_HTTP_LOCATION if missing, empty,
 * repeated with different values or longer than cap - 1. Resolve it with
 * url_resolve(); it may be relative. */
int http_resp_location(const struct http_resp_parser *r, char *out,
    size_t cap, size_t *len);

/* Retry-After (RFC 9110 10.2.3) as seconds from now: delta-seconds, or an
 * HTTP-date minus now (0 if in the past). Huge deltas saturate at
 * HTTP_RETRY_AFTER_MAX. 1 if present and valid, else 0. */
#define HTTP_RETRY_AFTER_MAX (7 * 24 * 3600)
int http_resp_retry_after(const struct http_resp_parser *r, time_t now,
    uint64_t *secs);

/* A decimal header value (e.g. x-ratelimit-remaining, x-ratelimit-reset):
 * 1 and *v, or 0 if absent, empty, not all digits or over 2^63 - 1. */
int http_resp_get_uint(const struct http_resp_parser *r, const char *name,
    uint64_t *v);

/* Date header as a time_t (UTC): 1, or 0 if absent or malformed. */
int http_resp_date(const struct http_resp_parser *r, time_t *t);

/* ETag and Content-Type, raw (ETag keeps its quotes and W/): 1 or 0. */
int http_resp_etag(const struct http_resp_parser *r, struct slice *v);
int http_resp_content_type(const struct http_resp_parser *r, struct slice *v);

/*
 * Parse an HTTP-date (RFC 9110 5.6.7): IMF-fixdate
 * "Sun, 06 Nov 1994 08:49:37 GMT", and the obsolete RFC 850
 * "Sunday, 06-Nov-94 08:49:37 GMT" and asctime "Sun Nov  6 08:49:37 1994"
 * forms recipients must accept. A two-digit year yy is 20yy below 70 and
 * 19yy otherwise (RFC 9110's "not more than 50 years ahead" rule needs a
 * clock; this one is fixed until 2069). Weekday names are checked for
 * form, not agreement with the date. 0 or ERR_HTTP_HEADER.
 */
int http_parse_date(const uint8_t *p, size_t n, time_t *t);

/*
 * The error class of a final status (RFC 9110 section 15): 0 for 1xx-3xx,
 * ERR_HTTP_NOT_FOUND for 404, ERR_HTTP_THROTTLED for 408 and 429,
 * ERR_HTTP_CLIENT for other 4xx, ERR_HTTP_SERVER for 5xx (retryable), and
 * ERR_HTTP_STATUS otherwise. Site rules (GitHub's 403 rate limit) live in
 * their own module.
 */
int http_status_err(int status);

#endif
