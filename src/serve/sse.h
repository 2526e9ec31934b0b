/*
 * sse.h - Server-Sent Events (WHATWG HTML, "Server-sent events"): the
 * stream's lines, written into a capped struct buf. No I/O.
 *
 * An event is "id:", "event:" and one "data:" line per line of its data
 * (a CR, LF or CRLF in the data starts a new "data:" line, so no payload
 * can end an event early or forge a field), then a blank line. A comment
 * line (": ...") keeps idle proxies from closing the stream.
 */
#ifndef SSE_H
#define SSE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/*
 * Append one event. id and event may be NULL (left out); they must hold
 * no CR, LF or NUL (ERR_USAGE, nothing appended). 0, or ERR_LIMIT /
 * ERR_NOMEM with out unchanged.
 */
int sse_event(struct buf *out, const char *id, const char *event,
    const uint8_t *data, size_t n);

/* Append a comment line (text: no CR or LF) and its blank line. */
int sse_comment(struct buf *out, const char *text);

/* Append "retry: ms" (how long a client waits before reconnecting). */
int sse_retry(struct buf *out, unsigned ms);

#endif
