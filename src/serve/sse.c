/*
 * sse.c - Server-Sent Events lines. See sse.h.
 *
 * Each event is measured first and appended with one reservation, so an
 * event that does not fit leaves the buffer as it was: a subscriber never
 * receives half an event.
 */
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "sse.h"

static int
ok_line(const char *s)
{
	return s == NULL || strpbrk(s, "\r\n") == NULL;
}

/* Walk the data's lines: calls put() per line (NULL put: only counts)
 * and returns the bytes the "data:" lines take. */
static size_t
data_lines(struct buf *out, const uint8_t *p, size_t n, int put)
{
	size_t i = 0, total = 0;

	do {
		size_t s = i;
		while (i < n && p[i] != '\r' && p[i] != '\n')
			i++;
		total += 6 + (i - s) + 1;
		if (put) {
			buf_append(out, "data: ", 6);
			buf_append(out, p + s, i - s);
			buf_append(out, "\n", 1);
		}
		if (i < n && p[i] == '\r' && i + 1 < n && p[i + 1] == '\n')
			i++;
		if (i < n)
			i++;
		else
			break;
	} while (1);
	return total;
}

/* see sse.h */
int
sse_event(struct buf *out, const char *id, const char *event,
    const uint8_t *data, size_t n)
{
	size_t need;
	int e;

	if (!ok_line(id) || !ok_line(event))
		return ERR_USAGE;
	need = data_lines(out, data, n, 0) + 1;
	if (id)
		need += 4 + strlen(id) + 1;
	if (event)
		need += 7 + strlen(event) + 1;
	if ((e = buf_reserve(out, need)) != 0)
		return e;
	if (id) {
		buf_puts(out, "id: ");
		buf_puts(out, id);
		buf_puts(out, "\n");
	}
	if (event) {
		buf_puts(out, "event: ");
		buf_puts(out, event);
		buf_puts(out, "\n");
	}
	data_lines(out, data, n, 1);
	buf_puts(out, "\n");
	return 0;
}

/* see sse.h */
int
sse_comment(struct buf *out, const char *text)
{
	int e;

	if (!ok_line(text))
		return ERR_USAGE;
	if ((e = buf_reserve(out, strlen(text) + 4)) != 0)
		return e;
	buf_puts(out, ": ");
	buf_puts(out, text);
	buf_puts(out, "\n\n");
	return 0;
}

/* see sse.h */
int
sse_retry(struct buf *out, unsigned ms)
{
	char t[32];

	snprintf(t, sizeof t, "retry: %u\n\n", ms);
	return buf_puts(out, t);
}
