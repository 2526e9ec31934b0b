/*
 * req.c - HTTP/1.1 request heads, parsed whole each time (picohttpparser's
 * shape). See req.h.
 *
 * Data flow: find the blank line (resuming at last_len); check the
 * request line as soon as it is complete; once the head is whole, walk
 * its lines: the request line, then each field line through
 * hfield_line(), indexing up to max_headers fields and reading the few
 * that frame the message (Host, Content-Length, Transfer-Encoding,
 * Connection, Expect). Nothing is copied or allocated.
 */
#include <stddef.h>
#include <string.h>

#include "err.h"
#include "hfield.h"
#include "req.h"

/* The longest request line we can take: method SP target SP version. */
#define LINE_MAX_ (REQ_METHOD_MAX + 1 + REQ_TARGET_MAX + 1 + 8)

static int
bad(struct req *r, int e)
{
	r->err = e;
	r->status = req_status(e);
	return REQ_BAD;
}

/* see req.h */
int
req_status(int err)
{
	switch (err) {
	case ERR_REQ_BODY_SIZE:
		return 413;
	case ERR_REQ_TARGET:
		return 414;
	case ERR_REQ_EXPECT:
		return 417;
	case ERR_REQ_HEAD_SIZE:
	case ERR_HTTP_HEADER_COUNT:
		return 431;
	case ERR_HTTP_TRANSFER_ENCODING:
		return 501;
	case ERR_HTTP_VERSION:
		return 505;
	default:
		return 400;
	}
}

/*
 * request-target (RFC 9112 section 3.2): origin-form "/p?q"; absolute-form
 * "http://authority/p?q", which a server must accept (its path is used,
 * the authority ignored: we serve one site); "*" for OPTIONS. Visible
 * ASCII only, and no '#': a fragment is never sent.
 */
static int
target(struct req *r, const uint8_t *t, size_t n)
{
	size_t i = 0, q;

	for (size_t k = 0; k < n; k++)
		if (t[k] <= 0x20 || t[k] >= 0x7f || t[k] == '#')
			return ERR_REQ_LINE;
	r->target.p = t;
	r->target.n = n;
	if (t[0] != '/' && !(n == 1 && t[0] == '*')) {
		size_t s = 0;
		if (n > 7 && hfield_eq(t, 7, "http://"))
			s = 7;
		else if (n > 8 && hfield_eq(t, 8, "https://"))
			s = 8;
		else
			return ERR_REQ_LINE;
		for (i = s; i < n && t[i] != '/' && t[i] != '?'; i++)
			;
		if (i == s)
			return ERR_REQ_LINE;
	}
	for (q = i; q < n && t[q] != '?'; q++)
		;
	r->path.p = t + i;
	r->path.n = q - i;
	if (r->path.n == 0) {           /* "http://h" or "http://h?q" */
		r->path.p = (const uint8_t *)"/";
		r->path.n = 1;
	}
	r->query.p = q < n ? t + q + 1 : t + n;
	r->query.n = q < n ? n - q - 1 : 0;
	return 0;
}

/* method SP request-target SP HTTP-version, without its CRLF. */
static int
request_line(struct req *r, const uint8_t *l, size_t n)
{
	size_t m = 0, t, e;

	while (m < n && hfield_tchar(l[m]))
		m++;
	if (m == 0 || m == n || l[m] != ' ' || m > REQ_METHOD_MAX)
		return ERR_REQ_LINE;
	r->method.p = l;
	r->method.n = m;
	for (t = m + 1; t < n && l[t] != ' '; t++)
		;
	if (t - (m + 1) > REQ_TARGET_MAX)
		return ERR_REQ_TARGET;
	if (t == m + 1 || t == n)
		return ERR_REQ_LINE;
	e = t + 1;
	/* HTTP-version = "HTTP" "/" DIGIT "." DIGIT, case-sensitive */
	if (n - e != 8 || memcmp(l + e, "HTTP/", 5) != 0 ||
	    l[e + 5] < '0' || l[e + 5] > '9' || l[e + 6] != '.' ||
	    l[e + 7] < '0' || l[e + 7] > '9')
		return ERR_REQ_LINE;
	if (l[e + 5] != '1')
		return ERR_HTTP_VERSION;
	/* 1.x above 1.1 is answered as 1.1 (RFC 9110 section 2.5) */
	r->minor = l[e + 7] == '0' ? 0 : 1;
	return target(r, l + m + 1, t - (m + 1));
}

/* The request line alone, while the rest of the head is still coming:
 * complete (CRLF seen) or already too long to be one. */
static int
early_line(struct req *r, const uint8_t *p, size_t n, size_t last)
{
	const uint8_t *lf = memchr(p, '\n', n);
	size_t k;

	if (lf == NULL) {
		if (n <= LINE_MAX_)
			return 0;
		/* "METHOD SP" then a target with no end in sight */
		for (k = 0; k < n && hfield_tchar(p[k]); k++)
			;
		return k > 0 && k < n && p[k] == ' ' &&
		    memchr(p + k + 1, ' ', n - k - 1) == NULL ?
		    ERR_REQ_TARGET : ERR_REQ_LINE;
	}
	k = (size_t)(lf - p);
	if (k + 1 <= last)
		return 0;               /* checked at an earlier call */
	if (k == 0 || p[k - 1] != '\r' || memchr(p, '\r', k - 1) != NULL)
		return ERR_REQ_LINE;
	return request_line(r, p, k - 1);
}

static const uint8_t *
find_end(const uint8_t *p, size_t n, size_t from)
{
	for (size_t i = from; i + 4 <= n; i++) {
		const uint8_t *cr = memchr(p + i, '\r', n - i);
		if (cr == NULL)
			return NULL;
		i = (size_t)(cr - p);
		if (i + 4 <= n && memcmp(cr, "\r\n\r\n", 4) == 0)
			return cr;
	}
	return NULL;
}

/* One field line: indexed, and read if it frames the message. */
static int
field(struct req *r, const uint8_t *l, size_t n, size_t max, int *hosts,
    int *has_cl, int *te_seen, int *chunked)
{
	struct slice name, v;
	int e;

	if ((e = hfield_line(l, n, &name, &v)) != 0)
		return e;
	if (r->nheaders == max)
		return ERR_HTTP_HEADER_COUNT;
	r->headers[r->nheaders].name = name;
	r->headers[r->nheaders].value = v;
	r->nheaders++;
	if (hfield_eq(name.p, name.n, "host")) {
		++*hosts;
		r->host = v;
	} else if (hfield_eq(name.p, name.n, "content-length")) {
		return hfield_content_length(v.p, v.n, has_cl, &r->length);
	} else if (hfield_eq(name.p, name.n, "transfer-encoding")) {
		*te_seen = 1;
		return hfield_transfer_encoding(v.p, v.n, chunked);
	} else if (hfield_eq(name.p, name.n, "connection")) {
		if (hfield_list_has(v.p, v.n, "close"))
			r->keep_alive = -1;     /* wins over keep-alive */
		else if (hfield_list_has(v.p, v.n, "keep-alive") &&
		    r->keep_alive == 0)
			r->keep_alive = 2;
		if (hfield_list_has(v.p, v.n, "upgrade"))
			r->upgrade = 1;
	} else if (hfield_eq(name.p, name.n, "expect")) {
		if (!hfield_eq(v.p, v.n, "100-continue"))
			return ERR_REQ_EXPECT;
		r->expect_continue = 1;
	}
	return 0;
}

/* see req.h */
int
req_parse(const uint8_t *buf, size_t len, size_t last_len, struct req *r,
    struct req_header *headers, size_t max_headers)
{
	const uint8_t *p = buf, *end, *l;
	size_t n = len, skip = 0, from, head;
	int e, hosts = 0, has_cl = 0, te_seen = 0, chunked = 0;

	memset(r, 0, sizeof *r);
	r->headers = headers;
	/* Empty lines before the request line are ignored (RFC 9112
	 * section 2.2), as long as they are CRLF. */
	while (n - skip >= 2 && p[skip] == '\r' && p[skip + 1] == '\n')
		skip += 2;
	if (n - skip == 1 && p[skip] == '\r')
		return REQ_INCOMPLETE;
	if (skip > REQ_HEAD_MAX)
		return bad(r, ERR_REQ_HEAD_SIZE);
	p += skip;
	n -= skip;
	last_len = last_len > skip ? last_len - skip : 0;
	from = last_len >= 3 ? last_len - 3 : 0;
	if ((end = find_end(p, n, from)) == NULL) {
		if ((e = early_line(r, p, n, last_len)) != 0)
			return bad(r, e);
		if (n >= REQ_HEAD_MAX)
			return bad(r, ERR_REQ_HEAD_SIZE);
		return REQ_INCOMPLETE;
	}
	head = (size_t)(end - p) + 4;
	if (head > REQ_HEAD_MAX)
		return bad(r, ERR_REQ_HEAD_SIZE);

	/* the request line */
	l = memchr(p, '\n', head);
	if (l == p || l[-1] != '\r' ||
	    memchr(p, '\r', (size_t)(l - p) - 1) != NULL)
		return bad(r, ERR_REQ_LINE);
	if ((e = request_line(r, p, (size_t)(l - p) - 1)) != 0)
		return bad(r, e);
	l++;
	/* field lines up to the blank one: each ends in CRLF, and a CR
	 * or LF anywhere else is refused (hfield_vbyte() excludes them
	 * from values, hfield_tchar() from names) */
	while (l < end + 2) {
		const uint8_t *lf = memchr(l, '\n', (size_t)(end + 4 - l));
		size_t ln = (size_t)(lf - l);

		if (ln == 0 || l[ln - 1] != '\r')
			return bad(r, ERR_HTTP_HEADER);
		if ((e = field(r, l, ln - 1, max_headers, &hosts, &has_cl,
		    &te_seen, &chunked)) != 0)
			return bad(r, e);
		l = lf + 1;
	}

	/* framing (RFC 9112 section 6.3, items 3 and 4) */
	if (te_seen) {
		if (has_cl || !chunked || r->minor == 0)
			return bad(r, ERR_REQ_FRAMING);
		r->body = REQ_BODY_CHUNKED;
	} else if (has_cl && r->length > 0) {
		r->body = REQ_BODY_LENGTH;
	}
	if (hosts > 1 || (r->minor == 1 && hosts != 1))
		return bad(r, ERR_REQ_HOST);
	if (r->minor == 0)
		r->expect_continue = 0;         /* 1.0 clients do not wait */
	r->keep_alive = r->keep_alive == -1 ? 0 :
	    r->minor == 1 ? 1 : r->keep_alive == 2;
	return (int)(skip + head);
}

/* see req.h */
int
req_header(const struct req *r, const char *name, struct slice *value)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (hfield_eq(r->headers[i].name.p, r->headers[i].name.n,
		    name)) {
			*value = r->headers[i].value;
			return 1;
		}
	return 0;
}

/* see req.h */
size_t
req_header_count(const struct req *r, const char *name)
{
	size_t k = 0;

	for (size_t i = 0; i < r->nheaders; i++)
		k += hfield_eq(r->headers[i].name.p, r->headers[i].name.n,
		    name);
	return k;
}
