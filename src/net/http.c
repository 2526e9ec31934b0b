/*
 * http.c - HTTP/1.1 request heads and a push response parser (RFC 9110,
 * RFC 9112). No I/O, no allocation.
 *
 * Data flow: http_resp_push() copies the response head (status line and
 * header section) into r->head, one line at a time, and indexes each field
 * by offsets; when the blank line arrives it decides the body framing
 * (RFC 9112 section 6.3) and reports HTTP_EV_HEADERS. Body bytes are never
 * copied: HTTP_EV_BODY points into the caller's input; for chunked bodies
 * the size lines, CRLFs and trailers are stepped over byte by byte and only
 * the chunk data is reported. Each push reports at most one event.
 *
 * Limits (http.h): HTTP_HEAD_MAX bytes of head, HTTP_LINE_MAX per line,
 * HTTP_FIELDS_MAX fields, HTTP_INTERIM_MAX 1xx responses, chunk-size lines
 * of HTTP_CHUNK_LINE_MAX bytes and HTTP_TRAILER_MAX bytes of trailers. A
 * hostile server therefore costs sizeof(struct http_resp_parser) and linear
 * time; a never-ending body is the caller's to bound (deadline, size cap).
 *
 * Framing is strict where leniency lets two parsers disagree about where a
 * message ends (request smuggling / response splitting, RFC 9112 section
 * 11): CRLF only, no obs-fold, no whitespace before the colon, one
 * Content-Length value, only chunked/identity transfer codings, chunked
 * last. Everything else the client does not act on (reason phrase, unknown
 * fields) is accepted as long as it holds no control bytes.
 */
#include <stddef.h>
#include <string.h>

#include "chunked.h"
#include "fbuf.h"
#include "err.h"
#include "hfield.h"
#include "http.h"

enum {
	ST_STATUS = 0,  /* reading the status line */
	ST_FIELDS,      /* reading field lines */
	ST_LENGTH,      /* Content-Length body */
	ST_CLOSE,       /* body until EOF */
	ST_CHUNKED,     /* chunked body: chunked.c */
	ST_DONE_OWED,   /* complete; DONE not reported yet */
	ST_DONE,
	ST_ERROR
};

enum {
	BODY_NONE = 0,
	BODY_LENGTH,
	BODY_CHUNKED,
	BODY_CLOSE
};

#define EQ(p, n, lit) hfield_eq((p), (n), (lit))

/* ------------------------------------------------------------ request */

static int
ok_token(const char *s, size_t n)
{
	if (s == NULL || n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!hfield_tchar((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Host as url.c produces it: reg-name letters, digits, '-', '.', '_', or
 * an IPv6 literal's hex digits, ':' and '.'. Anything else (space, '@',
 * '/', CR, LF) could retarget or split the request. */
static int
ok_host(const char *s, size_t n)
{
	if (s == NULL || n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == ':'))
			return 0;
	}
	return 1;
}

/* request-target: visible ASCII only, no fragment (RFC 9112 section 3.2). */
static int
ok_target(const char *s, size_t n)
{
	if (s == NULL || n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f || c == '#')
			return 0;
	}
	return 1;
}

static int
ok_value(const char *s, size_t n)
{
	if (s == NULL && n != 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!hfield_vbyte((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Fields whose framing meaning we own: a caller-supplied copy could
 * contradict ours and desynchronise the connection. */
static int
reserved_name(const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;

	return EQ(p, n, "host") || EQ(p, n, "content-length") ||
	    EQ(p, n, "transfer-encoding") || EQ(p, n, "connection");
}

/* see http.h */
int
http_write_request(const struct http_request *rq, char *out, size_t cap,
    size_t *len)
{
	struct fbuf o = { out, cap, 0, 0 };
	int v6;

	*len = 0;
	if (!ok_token(rq->method, rq->method_len) ||
	    !ok_host(rq->host, rq->host_len) ||
	    !ok_target(rq->target, rq->target_len))
		return ERR_HTTP_REQUEST_FIELD;
	for (size_t i = 0; i < rq->nfields; i++) {
		const struct http_field *f = &rq->fields[i];
		if (!ok_token(f->name, f->name_len) ||
		    reserved_name(f->name, f->name_len) ||
		    !ok_value(f->value, f->value_len))
			return ERR_HTTP_REQUEST_FIELD;
	}
	v6 = memchr(rq->host, ':', rq->host_len) != NULL;

	fbuf_put(&o, rq->method, rq->method_len);
	FBUF_LIT(&o, " ");
	fbuf_put(&o, rq->target, rq->target_len);
	FBUF_LIT(&o, " HTTP/1.1\r\nHost: ");
	/* RFC 9110 section 7.2: Host is uri-host [":" port]; an IPv6
	 * literal goes in brackets, the port only when not the default. */
	if (v6)
		FBUF_LIT(&o, "[");
	fbuf_put(&o, rq->host, rq->host_len);
	if (v6)
		FBUF_LIT(&o, "]");
	if (rq->port != 0 && rq->port != rq->default_port) {
		FBUF_LIT(&o, ":");
		fbuf_put_u64(&o, rq->port);
	}
	FBUF_LIT(&o, "\r\n");
	for (size_t i = 0; i < rq->nfields; i++) {
		const struct http_field *f = &rq->fields[i];
		fbuf_put(&o, f->name, f->name_len);
		FBUF_LIT(&o, ": ");
		fbuf_put(&o, f->value, f->value_len);
		FBUF_LIT(&o, "\r\n");
	}
	if (rq->has_body) {
		FBUF_LIT(&o, "Content-Length: ");
		fbuf_put_u64(&o, rq->body_len);
		FBUF_LIT(&o, "\r\n");
	}
	if (rq->close)
		FBUF_LIT(&o, "Connection: close\r\n\r\n");
	else
		FBUF_LIT(&o, "Connection: keep-alive\r\n\r\n");
	if (o.over)
		return ERR_HTTP_REQUEST_SIZE;
	*len = o.len;
	return 0;
}

/* ------------------------------------------------------------ response head */

/* see http.h */
void
http_resp_init(struct http_resp_parser *r, int flags)
{
	/* Everything but the head buffer (64 KiB) and the field index
	 * (2 KiB): only head[0..head_len) and fields[0..nfields) are ever
	 * read. Zero is each field's initial value (ST_STATUS, BODY_NONE). */
	memset(r, 0, offsetof(struct http_resp_parser, head));
	memset(&r->nfields, 0, sizeof *r -
	    offsetof(struct http_resp_parser, nfields));
	r->flags = flags;
	r->head_len = 0;
	r->line_start = 0;
}

/* Forget a 1xx response's head before the next status line. */
static void
head_reset(struct http_resp_parser *r)
{
	r->status = 0;
	r->reason = r->reason_len = 0;
	r->head_len = 0;
	r->line_start = 0;
	r->nfields = 0;
	r->has_length = 0;
	r->length = 0;
	r->te_chunked = r->te_seen = 0;
	r->conn_close = r->conn_keep = 0;
}

/*
 * status-line = HTTP-version SP status-code SP [ reason-phrase ]
 * (RFC 9112 section 4). "HTTP" is case-sensitive (section 2.3). HTTP/1.x
 * with x > 1 is treated as 1.1 (a later minor is backwards compatible);
 * any other major is refused. A missing SP before an empty reason is
 * tolerated: some servers send "HTTP/1.1 200\r\n".
 */
static int
status_line(struct http_resp_parser *r, const uint8_t *l, size_t n)
{
	int code;

	if (n < 12 || memcmp(l, "HTTP/", 5) != 0)
		return ERR_HTTP_STATUS_LINE;
	if (l[5] < '0' || l[5] > '9' || l[6] != '.' || l[7] < '0' ||
	    l[7] > '9' || l[8] != ' ')
		return ERR_HTTP_STATUS_LINE;
	if (l[5] != '1')
		return ERR_HTTP_VERSION;
	for (size_t i = 9; i < 12; i++)
		if (l[i] < '0' || l[i] > '9')
			return ERR_HTTP_STATUS_LINE;
	code = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
	if (code < 100 || code > 599)
		return ERR_HTTP_STATUS_LINE;
	if (n > 12 && l[12] != ' ')
		return ERR_HTTP_STATUS_LINE;
	for (size_t i = 13; i < n; i++)
		if (!hfield_vbyte(l[i]))
			return ERR_HTTP_STATUS_LINE;
	r->status = code;
	r->minor = l[7] == '0' ? 0 : 1;
	r->reason = n > 13 ? (uint32_t)(l - r->head) + 13 : 0;
	r->reason_len = n > 13 ? (uint32_t)(n - 13) : 0;
	return 0;
}

static void
connection(struct http_resp_parser *r, const uint8_t *v, size_t vn)
{
	if (hfield_list_has(v, vn, "close"))
		r->conn_close = 1;
	if (hfield_list_has(v, vn, "keep-alive"))
		r->conn_keep = 1;
}

/* One field line (hfield_line()'s rules), indexed; the framing fields
 * of a final response read as they arrive. */
static int
field_line(struct http_resp_parser *r, const uint8_t *l, size_t n)
{
	struct slice name, value;
	struct http_field_ix *f;
	int e;

	if ((e = hfield_line(l, n, &name, &value)) != 0)
		return e;
	if (r->nfields == HTTP_FIELDS_MAX)
		return ERR_HTTP_HEADER_COUNT;
	f = &r->fields[r->nfields++];
	f->name = (uint32_t)(name.p - r->head);
	f->name_len = (uint32_t)name.n;
	f->value = (uint32_t)(value.p - r->head);
	f->value_len = (uint32_t)value.n;

	/* Interim responses' framing fields describe nothing we read. */
	if (r->status < 200)
		return 0;
	if (EQ(name.p, name.n, "content-length"))
		return hfield_content_length(value.p, value.n,
		    &r->has_length, &r->length);
	if (EQ(name.p, name.n, "transfer-encoding")) {
		r->te_seen = 1;
		return hfield_transfer_encoding(value.p, value.n,
		    &r->te_chunked);
	}
	if (EQ(name.p, name.n, "connection"))
		connection(r, value.p, value.n);
	return 0;
}

/* RFC 9112 section 6.3, in its order. 1 if the head is final. */
static int
head_end(struct http_resp_parser *r)
{
	int s = r->status;

	if (s >= 100 && s < 200 && s != 101)
		return 0;
	if (s < 200 || s == 204 || s == 304 || (r->flags & HTTP_RESP_HEAD) ||
	    ((r->flags & HTTP_RESP_CONNECT) && s < 300))
		r->body_mode = BODY_NONE;
	else if (r->te_chunked)
		r->body_mode = BODY_CHUNKED;
	else if (r->has_length)
		r->body_mode = BODY_LENGTH;
	else
		r->body_mode = BODY_CLOSE;

	switch (r->body_mode) {
	case BODY_NONE:
		r->state = ST_DONE_OWED;
		break;
	case BODY_LENGTH:
		r->remaining = r->length;
		r->state = r->length == 0 ? ST_DONE_OWED : ST_LENGTH;
		break;
	case BODY_CHUNKED:
		chunked_init(&r->ch);
		r->state = ST_CHUNKED;
		break;
	default:
		r->state = ST_CLOSE;
		break;
	}
	return 1;
}

/*
 * One complete line (with its CRLF) sits at head[line_start..head_len).
 * Returns 0 or an error; *final = 1 when the final head is complete.
 */
static int
head_line(struct http_resp_parser *r, int *final)
{
	uint8_t *l = r->head + r->line_start;
	size_t n = r->head_len - r->line_start;
	int e;

	if (n < 2 || l[n - 2] != '\r')
		return r->state == ST_STATUS ? ERR_HTTP_STATUS_LINE :
		    ERR_HTTP_HEADER;
	n -= 2;
	if (memchr(l, '\r', n) != NULL)
		return r->state == ST_STATUS ? ERR_HTTP_STATUS_LINE :
		    ERR_HTTP_HEADER;
	if (r->state == ST_STATUS) {
		if ((e = status_line(r, l, n)) != 0)
			return e;
		r->state = ST_FIELDS;
		r->line_start = r->head_len;
		return 0;
	}
	if (n > 0) {
		if ((e = field_line(r, l, n)) != 0)
			return e;
		r->line_start = r->head_len;
		return 0;
	}
	if (head_end(r)) {
		*final = 1;
		return 0;
	}
	/* A 1xx (100 Continue, 103 Early Hints): the real answer follows. */
	if (++r->interim > HTTP_INTERIM_MAX)
		return ERR_HTTP_HEADER_SIZE;
	head_reset(r);
	r->state = ST_STATUS;
	return 0;
}

static size_t
fail(struct http_resp_parser *r, int e, size_t used, struct http_ev *ev)
{
	r->state = ST_ERROR;
	r->err = e;
	r->offset += used;
	ev->type = HTTP_EV_ERROR;
	ev->err = e;
	return used;
}

static size_t
head_push(struct http_resp_parser *r, const uint8_t *p, size_t n,
    struct http_ev *ev)
{
	size_t used = 0;

	while (used < n) {
		const uint8_t *lf = memchr(p + used, '\n', n - used);
		size_t take = lf ? (size_t)(lf - (p + used)) + 1 : n - used;
		size_t line = r->head_len - r->line_start;
		int e, final = 0;

		if (take > HTTP_HEAD_MAX - r->head_len ||
		    take > HTTP_LINE_MAX + 2 - line)
			return fail(r, ERR_HTTP_HEADER_SIZE, used, ev);
		memcpy(r->head + r->head_len, p + used, take);
		r->head_len += take;
		used += take;
		if (lf == NULL)
			break;
		if ((e = head_line(r, &final)) != 0)
			return fail(r, e, used, ev);
		if (final) {
			r->offset += used;
			ev->type = HTTP_EV_HEADERS;
			return used;
		}
	}
	r->offset += used;
	ev->type = HTTP_EV_NONE;
	return used;
}

/* ------------------------------------------------------------ body */

static size_t
body_event(struct http_resp_parser *r, const uint8_t *p, size_t skip,
    size_t take, struct http_ev *ev)
{
	r->body_bytes += take;
	r->offset += skip + take;
	ev->type = HTTP_EV_BODY;
	ev->data = p + skip;
	ev->len = take;
	return skip + take;
}

/* chunked-body: chunked.c decodes, this keeps the offsets and events. */
static size_t
chunked_body(struct http_resp_parser *r, const uint8_t *p, size_t n,
    struct http_ev *ev)
{
	const uint8_t *data;
	size_t len, used;
	int cev;

	used = chunked_push(&r->ch, p, n, &cev, &data, &len);
	switch (cev) {
	case CHUNKED_DATA:
		return body_event(r, p, (size_t)(data - p), len, ev);
	case CHUNKED_DONE:
		r->state = ST_DONE;
		r->offset += used;
		ev->type = HTTP_EV_DONE;
		return used;
	case CHUNKED_ERROR:
		return fail(r, chunked_error(&r->ch), used, ev);
	default:
		r->offset += used;
		ev->type = HTTP_EV_NONE;
		return used;
	}
}

/* see http.h */
size_t
http_resp_push(struct http_resp_parser *r, const uint8_t *p, size_t n,
    struct http_ev *ev)
{
	size_t take;

	ev->type = HTTP_EV_NONE;
	ev->data = NULL;
	ev->len = 0;
	ev->err = 0;
	switch (r->state) {
	case ST_ERROR:
		ev->type = HTTP_EV_ERROR;
		ev->err = r->err;
		return 0;
	case ST_DONE_OWED:
		r->state = ST_DONE;
		/* FALLTHROUGH */
	case ST_DONE:
		ev->type = HTTP_EV_DONE;
		return 0;
	case ST_STATUS:
	case ST_FIELDS:
		return head_push(r, p, n, ev);
	case ST_LENGTH:
		if (n == 0)
			return 0;
		take = n;
		if (take > r->remaining)
			take = (size_t)r->remaining;
		r->remaining -= take;
		if (r->remaining == 0)
			r->state = ST_DONE_OWED;
		return body_event(r, p, 0, take, ev);
	case ST_CLOSE:
		if (n == 0)
			return 0;
		return body_event(r, p, 0, n, ev);
	default:
		return chunked_body(r, p, n, ev);
	}
}

/* see http.h */
int
http_resp_eof(struct http_resp_parser *r)
{
	int e;

	switch (r->state) {
	case ST_ERROR:
		return r->err;
	case ST_DONE_OWED:
	case ST_DONE:
	case ST_CLOSE:
		/* RFC 9112 section 6.3 item 8: close ends the body. */
		r->state = ST_DONE;
		return 0;
	case ST_STATUS:
		e = r->head_len == 0 && r->interim == 0 && r->offset == 0 ?
		    ERR_HTTP_NO_RESPONSE : ERR_HTTP_TRUNCATED_HEAD;
		break;
	case ST_FIELDS:
		e = ERR_HTTP_TRUNCATED_HEAD;
		break;
	default:
		/* Content-Length short, or chunked before its last chunk
		 * (section 8: an incomplete message). */
		e = ERR_HTTP_TRUNCATED;
		break;
	}
	r->state = ST_ERROR;
	r->err = e;
	return e;
}

/* ------------------------------------------------------------ accessors */

/* see http.h */
int
http_resp_done(const struct http_resp_parser *r)
{
	return r->state == ST_DONE || r->state == ST_DONE_OWED;
}

int
http_resp_error(const struct http_resp_parser *r)
{
	return r->state == ST_ERROR ? r->err : 0;
}

uint64_t
http_resp_offset(const struct http_resp_parser *r)
{
	return r->offset;
}

int
http_resp_status(const struct http_resp_parser *r)
{
	return r->status;
}

int
http_resp_minor(const struct http_resp_parser *r)
{
	return r->minor;
}

struct slice
http_resp_reason(const struct http_resp_parser *r)
{
	struct slice s;

	s.p = r->head + r->reason;
	s.n = r->reason_len;
	return s;
}

uint64_t
http_resp_body_bytes(const struct http_resp_parser *r)
{
	return r->body_bytes;
}

int
http_resp_content_length(const struct http_resp_parser *r, uint64_t *len)
{
	if (!r->has_length)
		return 0;
	*len = r->length;
	return 1;
}

int
http_resp_chunked(const struct http_resp_parser *r)
{
	return r->body_mode == BODY_CHUNKED;
}

int
http_resp_keep_alive(const struct http_resp_parser *r)
{
	if (r->state == ST_ERROR || r->state <= ST_FIELDS)
		return 0;
	if (r->status == 101 ||
	    ((r->flags & HTTP_RESP_CONNECT) && r->status >= 200 &&
	    r->status < 300))
		return 0;
	if (r->body_mode == BODY_CLOSE)
		return 0;
	/* Both framings present: a sign of smuggling (RFC 9112 6.3 item 3);
	 * the next response's start cannot be trusted. */
	if (r->te_seen && r->has_length)
		return 0;
	if (r->conn_close)
		return 0;
	return r->minor >= 1 || r->conn_keep;
}

size_t
http_resp_field_count(const struct http_resp_parser *r)
{
	return r->nfields;
}

int
http_resp_field(const struct http_resp_parser *r, size_t i,
    struct slice *name, struct slice *value)
{
	const struct http_field_ix *f;

	if (i >= r->nfields)
		return 0;
	f = &r->fields[i];
	name->p = r->head + f->name;
	name->n = f->name_len;
	value->p = r->head + f->value;
	value->n = f->value_len;
	return 1;
}

int
http_resp_get(const struct http_resp_parser *r, const char *name,
    struct slice *value)
{
	for (size_t i = 0; i < r->nfields; i++) {
		const struct http_field_ix *f = &r->fields[i];
		if (hfield_eq(r->head + f->name, f->name_len, name)) {
			value->p = r->head + f->value;
			value->n = f->value_len;
			return 1;
		}
	}
	return 0;
}

int
http_resp_location(const struct http_resp_parser *r, char *out, size_t cap,
    size_t *len)
{
	struct slice v = { NULL, 0 };
	int seen = 0;

	if (cap > 0)
		out[0] = '\0';
	*len = 0;
	/* Two different Locations: which one the server meant is a guess,
	 * and a guess here picks the next host we talk to. */
	for (size_t i = 0; i < r->nfields; i++) {
		const struct http_field_ix *f = &r->fields[i];
		if (!EQ(r->head + f->name, f->name_len, "location"))
			continue;
		if (seen && (f->value_len != v.n ||
		    memcmp(r->head + f->value, v.p, v.n) != 0))
			return ERR_HTTP_LOCATION;
		v.p = r->head + f->value;
		v.n = f->value_len;
		seen = 1;
	}
	if (!seen || v.n == 0 || v.n > HTTP_LOCATION_MAX || cap == 0 ||
	    v.n > cap - 1)
		return ERR_HTTP_LOCATION;
	memcpy(out, v.p, v.n);
	out[v.n] = '\0';
	*len = v.n;
	return 0;
}

int
http_resp_retry_after(const struct http_resp_parser *r, time_t now,
    uint64_t *secs)
{
	struct slice v;
	uint64_t d;
	time_t t;
	size_t i;

	if (!http_resp_get(r, "retry-after", &v) || v.n == 0)
		return 0;
	for (i = 0; i < v.n && v.p[i] >= '0' && v.p[i] <= '9'; i++)
		;
	if (i == v.n) {
		/* delta-seconds: any number of digits; saturate rather
		 * than reject a server that says "wait very long". */
		if (hfield_u63(v.p, v.n, &d) != 0 || d > HTTP_RETRY_AFTER_MAX)
			d = HTTP_RETRY_AFTER_MAX;
		*secs = d;
		return 1;
	}
	if (http_parse_date(v.p, v.n, &t) != 0)
		return 0;
	if (t <= now)
		d = 0;
	else if ((uint64_t)(t - now) > HTTP_RETRY_AFTER_MAX)
		d = HTTP_RETRY_AFTER_MAX;
	else
		d = (uint64_t)(t - now);
	*secs = d;
	return 1;
}

int
http_resp_get_uint(const struct http_resp_parser *r, const char *name,
    uint64_t *v)
{
	struct slice s;

	if (!http_resp_get(r, name, &s))
		return 0;
	return hfield_u63(s.p, s.n, v) == 0;
}

int
http_resp_date(const struct http_resp_parser *r, time_t *t)
{
	struct slice v;

	if (!http_resp_get(r, "date", &v))
		return 0;
	return http_parse_date(v.p, v.n, t) == 0;
}

int
http_resp_etag(const struct http_resp_parser *r, struct slice *v)
{
	return http_resp_get(r, "etag", v);
}

int
http_resp_content_type(const struct http_resp_parser *r, struct slice *v)
{
	return http_resp_get(r, "content-type", v);
}

/* ------------------------------------------------------------ dates */

struct cur {
	const uint8_t *p;
	size_t n, i;
};

static int
c_lit(struct cur *c, const char *s)
{
	size_t k = strlen(s);

	if (c->n - c->i < k || memcmp(c->p + c->i, s, k) != 0)
		return -1;
	c->i += k;
	return 0;
}

/* exactly k digits */
static int
c_num(struct cur *c, size_t k, int *out)
{
	int v = 0;

	if (c->n - c->i < k)
		return -1;
	for (size_t j = 0; j < k; j++) {
		uint8_t d = c->p[c->i + j];
		if (d < '0' || d > '9')
			return -1;
		v = v * 10 + (d - '0');
	}
	c->i += k;
	*out = v;
	return 0;
}

static const char months[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};
static const char *const wdays[7] = {
	"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
	"Sunday"
};

static int
c_month(struct cur *c, int *m)
{
	for (int k = 0; k < 12; k++)
		if (c_lit(c, months[k]) == 0) {
			*m = k + 1;
			return 0;
		}
	return -1;
}

/* day-name (3 letters) or, with full set, day-name-l (RFC 850). */
static int
c_wday(struct cur *c, int full)
{
	for (int k = 0; k < 7; k++) {
		char abbr[4];
		memcpy(abbr, wdays[k], 3);
		abbr[3] = '\0';
		if (c_lit(c, full ? wdays[k] : abbr) == 0)
			return 0;
	}
	return -1;
}

static int
c_time(struct cur *c, int *h, int *mi, int *s)
{
	if (c_num(c, 2, h) || c_lit(c, ":") || c_num(c, 2, mi) ||
	    c_lit(c, ":") || c_num(c, 2, s))
		return -1;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's
 * days_from_civil): no timegm(), no TZ, no locale. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
mdays(int y, int m)
{
	static const int dm[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

/* see http.h */
int
http_parse_date(const uint8_t *p, size_t n, time_t *t)
{
	struct cur c = { p, n, 0 };
	int y = 0, m = 0, d = 0, h = 0, mi = 0, s = 0, ok = 0;

	/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
	if (c_wday(&c, 0) == 0 && c_lit(&c, ", ") == 0 &&
	    c_num(&c, 2, &d) == 0 && c_lit(&c, " ") == 0 &&
	    c_month(&c, &m) == 0 && c_lit(&c, " ") == 0 &&
	    c_num(&c, 4, &y) == 0 && c_lit(&c, " ") == 0 &&
	    c_time(&c, &h, &mi, &s) == 0 && c_lit(&c, " GMT") == 0)
		ok = 1;
	if (!ok) {
		/* rfc850-date: "Sunday, 06-Nov-94 08:49:37 GMT" */
		c.i = 0;
		if (c_wday(&c, 1) == 0 && c_lit(&c, ", ") == 0 &&
		    c_num(&c, 2, &d) == 0 && c_lit(&c, "-") == 0 &&
		    c_month(&c, &m) == 0 && c_lit(&c, "-") == 0 &&
		    c_num(&c, 2, &y) == 0 && c_lit(&c, " ") == 0 &&
		    c_time(&c, &h, &mi, &s) == 0 && c_lit(&c, " GMT") == 0) {
			y += y < 70 ? 2000 : 1900;
			ok = 1;
		}
	}
	if (!ok) {
		/* asctime-date: "Sun Nov  6 08:49:37 1994" */
		c.i = 0;
		if (c_wday(&c, 0) == 0 && c_lit(&c, " ") == 0 &&
		    c_month(&c, &m) == 0 && c_lit(&c, " ") == 0) {
			if (c_lit(&c, " ") == 0)
				ok = c_num(&c, 1, &d) == 0;
			else
				ok = c_num(&c, 2, &d) == 0;
			ok = ok && c_lit(&c, " ") == 0 &&
			    c_time(&c, &h, &mi, &s) == 0 &&
			    c_lit(&c, " ") == 0 && c_num(&c, 4, &y) == 0;
		}
	}
	if (!ok || c.i != n)
		return ERR_HTTP_HEADER;
	/* second 60: a leap second (RFC 5322 section 3.3) */
	if (d < 1 || d > mdays(y, m) || h > 23 || mi > 59 || s > 60)
		return ERR_HTTP_HEADER;
	*t = (time_t)(days_from_civil(y, m, d) * 86400 + h * 3600 +
	    mi * 60 + s);
	return 0;
}

/* ------------------------------------------------------------ status */

/* see http.h */
int
http_status_err(int status)
{
	if (status >= 100 && status < 400)
		return 0;
	if (status == 404)
		return ERR_HTTP_NOT_FOUND;
	if (status == 408 || status == 429)
		return ERR_HTTP_THROTTLED;
	if (status >= 400 && status < 500)
		return ERR_HTTP_CLIENT;
	if (status >= 500 && status < 600)
		return ERR_HTTP_SERVER;
	return ERR_HTTP_STATUS;
}
