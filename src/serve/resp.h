/*
 * resp.h - HTTP/1.1 response heads and whole responses, written into a
 * connection's output buffer (a capped struct buf). No I/O.
 *
 * A response is a status line, Date, the caller's fields, the framing we
 * own (Content-Length, Connection) and the body, which is left out for a
 * HEAD request (its Content-Length still describes it, RFC 9110 section
 * 9.3.2). Field values are checked for CR, LF and other control bytes, so
 * a value built from input cannot split the response.
 */
#ifndef RESP_H
#define RESP_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

#define RESP_CLOSE      1       /* "Connection: close": the last one */
#define RESP_HEAD       2       /* answering HEAD: no body bytes */
#define RESP_KEEP10     4       /* HTTP/1.0 keep-alive: say so */
#define RESP_DATE_LEN   29      /* "Sun, 06 Nov 1994 08:49:37 GMT" */

struct resp_field {             /* an extra field: ours, NUL-terminated */
	const char *name;
	const char *value;
};

/* The reason phrase of a status we send ("Not Found"), "" if unknown. */
const char *resp_reason(int status);

/* An IMF-fixdate (RFC 9110 section 5.6.7) for t into out, NUL-terminated. */
void resp_date(time_t t, char out[RESP_DATE_LEN + 1]);

/*
 * Append a whole response: status line, "Date: date", the fields, then
 * Content-Type ctype (if not NULL), Content-Length n (none, and no body,
 * for 204 and 304), Connection, the
 * blank line and body[0..n) (not for RESP_HEAD). flags: RESP_*. 0,
 * ERR_USAGE (a control byte in a field or ctype: nothing appended), or
 * buf_append()'s ERR_LIMIT / ERR_NOMEM (out unchanged).
 */
int resp_write(struct buf *out, int status, const char *date,
    const char *ctype, const struct resp_field *f, size_t nf,
    const void *body, size_t n, int flags);

/*
 * Append a head with no Content-Length, for a stream that the connection's
 * close ends (Server-Sent Events) or a protocol switch (101): status line,
 * Date, the fields, "Connection: close" unless status is 101 (whose fields
 * say Upgrade themselves), the blank line. Errors as resp_write().
 */
int resp_write_head(struct buf *out, int status, const char *date,
    const struct resp_field *f, size_t nf);

#endif
