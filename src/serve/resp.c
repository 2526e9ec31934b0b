/*
 * resp.c - HTTP/1.1 responses into a capped buffer. See resp.h.
 *
 * The whole response is checked, then measured, then appended with one
 * buf_reserve(), so a response that does not fit leaves the buffer as it
 * was (a half-written head would desynchronise the connection).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "hfield.h"
#include "resp.h"

/* see resp.h */
const char *
resp_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 417: return "Expectation Failed";
	case 422: return "Unprocessable Content";
	case 426: return "Upgrade Required";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "";
	}
}

/* see resp.h */
void
resp_date(time_t t, char out[RESP_DATE_LEN + 1])
{
	static const char wd[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char mo[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	char t64[64];

	gmtime_r(&t, &tm);
	/* by hand: strftime's %a and %b follow the locale */
	snprintf(t64, sizeof t64, "%s, %02d %s %04d %02d:%02d:%02d GMT",
	    wd[tm.tm_wday % 7], tm.tm_mday, mo[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	memcpy(out, t64, RESP_DATE_LEN);
	out[RESP_DATE_LEN] = '\0';
}

static int
ok_value(const char *s)
{
	for (; *s; s++)
		if (!hfield_vbyte((unsigned char)*s))
			return 0;
	return 1;
}

static int
ok_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!hfield_tchar((unsigned char)*s))
			return 0;
	return 1;
}

/* Status line, Date and fields, then `rest` (already formatted framing
 * lines and the blank line), then body. */
static int
emit(struct buf *out, int status, const char *date,
    const struct resp_field *f, size_t nf, const char *rest,
    const void *body, size_t n)
{
	char line[64];
	size_t need;
	int e;

	if (status < 100 || status > 599 || (date && !ok_value(date)))
		return ERR_USAGE;
	for (size_t i = 0; i < nf; i++)
		if (!ok_name(f[i].name) || !ok_value(f[i].value))
			return ERR_USAGE;
	snprintf(line, sizeof line, "HTTP/1.1 %d %s\r\n", status,
	    resp_reason(status));
	need = strlen(line) + strlen(rest) + n;
	if (date)
		need += 8 + strlen(date);
	for (size_t i = 0; i < nf; i++)
		need += strlen(f[i].name) + 4 + strlen(f[i].value);
	if ((e = buf_reserve(out, need)) != 0)
		return e;
	buf_puts(out, line);
	if (date) {
		buf_puts(out, "Date: ");
		buf_puts(out, date);
		buf_puts(out, "\r\n");
	}
	for (size_t i = 0; i < nf; i++) {
		buf_puts(out, f[i].name);
		buf_puts(out, ": ");
		buf_puts(out, f[i].value);
		buf_puts(out, "\r\n");
	}
	buf_puts(out, rest);
	if (n > 0)
		buf_append(out, body, n);
	return 0;
}

/* see resp.h */
int
resp_write(struct buf *out, int status, const char *date,
    const char *ctype, const struct resp_field *f, size_t nf,
    const void *body, size_t n, int flags)
{
	char rest[160];
	char len[48] = "";

	if (ctype && !ok_value(ctype))
		return ERR_USAGE;
	/* 204 and 304 have no content and must not state a length that is
	 * not the content's (RFC 9110 sections 8.6 and 15.4.5) */
	if (status == 204 || status == 304)
		n = 0;
	else
		snprintf(len, sizeof len, "Content-Length: %zu\r\n", n);
	snprintf(rest, sizeof rest, "%s%s%s%s%s\r\n",
	    ctype ? "Content-Type: " : "", ctype ? ctype : "",
	    ctype ? "\r\n" : "", len,
	    flags & RESP_CLOSE ? "Connection: close\r\n" :
	    flags & RESP_KEEP10 ? "Connection: keep-alive\r\n" : "");
	if (strlen(rest) >= sizeof rest - 1)
		return ERR_USAGE;       /* an absurd content type */
	return emit(out, status, date, f, nf, rest, body,
	    flags & RESP_HEAD ? 0 : n);
}

/* see resp.h */
int
resp_write_head(struct buf *out, int status, const char *date,
    const struct resp_field *f, size_t nf)
{
	return emit(out, status, date, f, nf,
	    status == 101 ? "\r\n" : "Connection: close\r\n\r\n", NULL, 0);
}
