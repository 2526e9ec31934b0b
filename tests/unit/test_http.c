/*
 * test_http.c - HTTP request writer and push response parser.
 *
 * Every response case is fed whole, byte by byte and split at every offset;
 * each feeding must give the same result (status, HEADERS events, the
 * de-chunked body, DONE or the exact error code, bytes left after DONE),
 * and that result must match the table. Body events are checked to point
 * inside the piece just pushed. Then the header accessors (Location,
 * Retry-After in both forms, rate-limit fields, Date in the three HTTP-date
 * forms, keep-alive rules) and the request writer, including the
 * CR/LF/NUL injection refusals and every too-small buffer size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "http.h"
#include "t.h"

static struct http_resp_parser R;       /* 67 KiB: not on the stack */

/* ------------------------------------------------------------ driver */

struct result {
	int status;
	int headers;            /* HEADERS events */
	char body[8192];
	size_t body_n;
	int err;                /* 0 or the error code */
	int done;
	size_t left;            /* bytes not consumed after DONE */
	int bad_ptr;            /* a BODY event outside its piece */
};

/* Push one piece; returns 1 when the response is over (DONE or ERROR). */
static int
push_piece(const uint8_t *p, size_t n, struct result *res)
{
	for (;;) {
		struct http_ev ev;
		size_t c = http_resp_push(&R, p, n, &ev);

		if (c > n) {
			res->bad_ptr = 1;
			return 1;
		}
		switch (ev.type) {
		case HTTP_EV_HEADERS:
			res->headers++;
			res->status = http_resp_status(&R);
			break;
		case HTTP_EV_BODY:
			if (ev.len == 0 || ev.data < p ||
			    ev.data + ev.len > p + c) {
				res->bad_ptr = 1;
			} else if (res->body_n + ev.len <= sizeof res->body) {
				memcpy(res->body + res->body_n, ev.data,
				    ev.len);
				res->body_n += ev.len;
			}
			break;
		case HTTP_EV_DONE:
			res->done = 1;
			res->left = n - c;
			return 1;
		case HTTP_EV_ERROR:
			res->err = ev.err;
			return 1;
		case HTTP_EV_NONE:
			break;
		}
		p += c;
		n -= c;
		if (n == 0 && ev.type == HTTP_EV_NONE)
			return 0;
	}
}

/*
 * Feed in[0..n) in pieces: cut1/cut2 are split points (cut1 == n: whole;
 * step 1: byte by byte), then EOF if the response is not over.
 */
static void
feed(const uint8_t *in, size_t n, int flags, size_t cut, int bytewise,
    struct result *res)
{
	size_t off = 0;
	int over = 0;

	memset(res, 0, sizeof *res);
	http_resp_init(&R, flags);
	while (off < n && !over) {
		size_t len = bytewise ? 1 : (off < cut ? cut - off : n - off);
		over = push_piece(in + off, len, res);
		if (over && res->done)
			res->left += n - off - len;
		off += len;
	}
	if (n == 0 || !over) {
		if (!over)
			over = push_piece(in + n, 0, res);
		if (!over) {
			int e = http_resp_eof(&R);
			if (e != 0)
				res->err = e;
			else
				res->done = 1;
		}
	}
	res->status = http_resp_status(&R);
}

static int
same(const struct result *a, const struct result *b)
{
	return a->status == b->status && a->headers == b->headers &&
	    a->body_n == b->body_n &&
	    memcmp(a->body, b->body, a->body_n) == 0 &&
	    a->err == b->err && a->done == b->done && a->left == b->left &&
	    !a->bad_ptr && !b->bad_ptr;
}

struct rcase {
	const char *name;
	const char *in;         /* NULL: use big[] */
	int flags;
	int status;             /* expected (0: none reached) */
	const char *body;
	int err;
	size_t left;            /* bytes after DONE */
	int ka;                 /* expected keep-alive when done, -1: skip */
};

static uint8_t big[200000];
static size_t bign;

/* Run a case all ways; returns the whole-input result in *out. */
static void
run_case(const struct rcase *c, const uint8_t *in, size_t n,
    struct result *whole, int all_splits)
{
	static struct result r;

	feed(in, n, c->flags, n, 0, whole);
	CHECK(whole->err == c->err, "%s: err %d (%s), want %d (%s)", c->name,
	    whole->err, err_str(whole->err), c->err, err_str(c->err));
	CHECK(whole->status == c->status, "%s: status %d want %d", c->name,
	    whole->status, c->status);
	CHECK(whole->done == (c->err == 0), "%s: done %d", c->name,
	    whole->done);
	CHECK(!whole->bad_ptr, "%s: body event outside input", c->name);
	if (c->err == 0) {
		size_t bl = strlen(c->body);
		CHECK(whole->body_n == bl &&
		    memcmp(whole->body, c->body, bl) == 0,
		    "%s: body \"%.*s\"", c->name, (int)whole->body_n,
		    whole->body);
		CHECK(whole->left == c->left, "%s: left %zu want %zu", c->name,
		    whole->left, c->left);
		CHECK(http_resp_body_bytes(&R) == bl, "%s: body_bytes",
		    c->name);
		if (c->ka >= 0)
			CHECK(http_resp_keep_alive(&R) == c->ka,
			    "%s: keep-alive %d", c->name,
			    http_resp_keep_alive(&R));
	}
	if (!all_splits)
		return;
	feed(in, n, c->flags, n, 1, &r);
	CHECK(same(whole, &r), "%s: byte by byte differs (err %d body %zu)",
	    c->name, r.err, r.body_n);
	for (size_t k = 0; k <= n; k++) {
		feed(in, n, c->flags, k, 0, &r);
		if (!same(whole, &r)) {
			CHECK(0, "%s: split at %zu differs (err %d)", c->name,
			    k, r.err);
			return;
		}
	}
	CHECK(1, "%s: all splits agree", c->name);
}

/* ------------------------------------------------------------ cases */

#define H11 "HTTP/1.1 200 OK\r\n"
#define TECH "Transfer-Encoding: chunked\r\n"

static const struct rcase cases[] = {
	{ "content-length", H11 "Content-Length: 5\r\n\r\nhello", 0, 200,
	    "hello", 0, 0, 1 },
	{ "content-length zero", H11 "Content-Length: 0\r\n\r\n", 0, 200,
	    "", 0, 0, 1 },
	{ "content-length leftover", H11 "Content-Length: 5\r\n\r\nhelloEXTRA",
	    0, 200, "hello", 0, 5, 1 },
	{ "content-length list same", H11 "Content-Length: 3, 3\r\n"
	    "content-length:3\r\n\r\nabc", 0, 200, "abc", 0, 0, 1 },
	{ "reason empty, no SP", "HTTP/1.1 200\r\nContent-Length: 1\r\n\r\nx",
	    0, 200, "x", 0, 0, 1 },
	{ "reason empty with SP", "HTTP/1.1 404 \r\nContent-Length: 1\r\n\r\nx",
	    0, 404, "x", 0, 0, 1 },
	{ "ows around value", H11 "Content-Length: \t 2 \t\r\n\r\nab", 0, 200,
	    "ab", 0, 0, 1 },
	{ "chunked", H11 TECH "\r\n5\r\nhello\r\n6;ext=1;b=\"q\"\r\n world\r\n"
	    "0\r\nX-Trailer: a\r\nY: b\r\n\r\n", 0, 200, "hello world", 0, 0, 1 },
	{ "chunked hex case, zeros", H11 TECH "\r\n000A\r\n0123456789\r\n"
	    "b \r\nabcdefghijk\r\n00\r\n\r\n", 0, 200, "0123456789abcdefghijk",
	    0, 0, 1 },
	{ "chunked ext with BWS", H11 TECH "\r\n3 ; a = b\r\nabc\r\n0;z\r\n\r\n",
	    0, 200, "abc", 0, 0, 1 },
	{ "chunked leftover", H11 TECH "\r\n1\r\nx\r\n0\r\n\r\nHTTP/1.1", 0,
	    200, "x", 0, 8, 1 },
	{ "chunked empty", H11 TECH "\r\n0\r\n\r\n", 0, 200, "", 0, 0, 1 },
	{ "te case-insensitive + identity", H11 "Transfer-Encoding: identity, "
	    "CHUNKED\r\n\r\n2\r\nok\r\n0\r\n\r\n", 0, 200, "ok", 0, 0, 1 },
	{ "te wins over cl", H11 "Content-Length: 100\r\n" TECH
	    "\r\n2\r\nok\r\n0\r\n\r\n", 0, 200, "ok", 0, 0, 0 },
	{ "te identity uses cl", H11 "Transfer-Encoding: identity\r\n"
	    "Content-Length: 2\r\n\r\nok", 0, 200, "ok", 0, 0, 0 },
	{ "close-delimited 1.0", "HTTP/1.0 200 OK\r\nServer: x\r\n\r\nabc", 0,
	    200, "abc", 0, 0, 0 },
	{ "close-delimited 1.1", H11 "\r\nabc", 0, 200, "abc", 0, 0, 0 },
	{ "1.0 keep-alive with cl", "HTTP/1.0 200 OK\r\nConnection: "
	    "Keep-Alive\r\nContent-Length: 1\r\n\r\nz", 0, 200, "z", 0, 0, 1 },
	{ "1.1 connection close", H11 "Connection: upgrade, close\r\n"
	    "Content-Length: 1\r\n\r\nz", 0, 200, "z", 0, 0, 0 },
	{ "HEAD", H11 "Content-Length: 100\r\n\r\n", HTTP_RESP_HEAD, 200, "", 0,
	    0, 1 },
	{ "HEAD chunked", H11 TECH "\r\n", HTTP_RESP_HEAD, 200, "", 0, 0, 1 },
	{ "204", "HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n", 0,
	    204, "", 0, 0, 1 },
	{ "304", "HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n"
	    "ETag: \"x\"\r\n\r\n", 0, 304, "", 0, 0, 1 },
	{ "304 leftover", "HTTP/1.1 304 Not Modified\r\n\r\nzz", 0, 304, "", 0,
	    2, 1 },
	{ "100 continue then 200", "HTTP/1.1 100 Continue\r\n\r\n"
	    "HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n"
	    "Content-Length: 7\r\n\r\n"
	    H11 "Content-Length: 2\r\n\r\nok", 0, 200, "ok", 0, 0, 1 },
	{ "101 is final", "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: h2c\r\n\r\n", 0, 101, "", 0, 0, 0 },
	{ "CONNECT 200", "HTTP/1.1 200 Connection established\r\n\r\n",
	    HTTP_RESP_CONNECT, 200, "", 0, 0, 0 },
	{ "CONNECT 407 has body", "HTTP/1.1 407 Proxy Auth\r\n"
	    "Content-Length: 3\r\n\r\nno!", HTTP_RESP_CONNECT, 407, "no!", 0,
	    0, 1 },
	{ "obs-text in reason and value", "HTTP/1.1 200 \xc3\xa9t\xc3\xa9\r\n"
	    "X: caf\xc3\xa9\r\nContent-Length: 0\r\n\r\n", 0, 200, "", 0, 0, 1 },

	/* status line */
	{ "bad code 2 digits", "HTTP/1.1 20 OK\r\n\r\n", 0, 0, "",
	    ERR_HTTP_STATUS_LINE, 0, -1 },
	{ "bad code 099", "HTTP/1.1 099 X\r\n\r\n", 0, 0, "",
	    ERR_HTTP_STATUS_LINE, 0, -1 },
	{ "bad code 600", "HTTP/1.1 600 X\r\n\r\n", 0, 0, "",
	    ERR_HTTP_STATUS_LINE, 0, -1 },
	{ "bad code 2000", "HTTP/1.1 2000 X\r\n\r\n", 0, 0, "",
	    ERR_HTTP_STATUS_LINE, 0, -1 },
	{ "bad protocol name", "HTTX/1.1 200 OK\r\n\r\n", 0, 0, "",
	    ERR_HTTP_STATUS_LINE, 0, -1 },
	{ "lower-case http", "http/1.1 200 OK\r\n\r\n", 0, 0, "",
	    ERR_HTTP_STATUS_LINE, 0, -1 },
	{ "HTTP/2 no minor", "HTTP/2 200\r\n\r\n", 0, 0, "",
	    ERR_HTTP_STATUS_LINE, 0, -1 },
	{ "HTTP/2.0", "HTTP/2.0 200 OK\r\n\r\n", 0, 0, "", ERR_HTTP_VERSION, 0,
	    -1 },
	{ "HTTP/0.9", "HTTP/0.9 200 OK\r\n\r\n", 0, 0, "", ERR_HTTP_VERSION, 0,
	    -1 },
	{ "bare LF status", "HTTP/1.1 200 OK\n\n", 0, 0, "",
	    ERR_HTTP_STATUS_LINE, 0, -1 },
	{ "ctl in reason", "HTTP/1.1 200 O\x01K\r\n\r\n", 0, 0, "",
	    ERR_HTTP_STATUS_LINE, 0, -1 },
	{ "CR in reason", "HTTP/1.1 200 O\rK\r\n\r\n", 0, 0, "",
	    ERR_HTTP_STATUS_LINE, 0, -1 },
	{ "double space", "HTTP/1.1  200 OK\r\n\r\n", 0, 0, "",
	    ERR_HTTP_STATUS_LINE, 0, -1 },
	{ "leading CRLF", "\r\nHTTP/1.1 200 OK\r\n\r\n", 0, 0, "",
	    ERR_HTTP_STATUS_LINE, 0, -1 },
	{ "not http", "SSH-2.0-OpenSSH_9.2\r\n", 0, 0, "",
	    ERR_HTTP_STATUS_LINE, 0, -1 },

	/* header lines */
	{ "obs-fold", H11 "X: a\r\n b\r\nContent-Length: 0\r\n\r\n", 0, 200,
	    "", ERR_HTTP_FOLDING, 0, -1 },
	{ "space after status line", H11 " X: a\r\n\r\n", 0, 200, "",
	    ERR_HTTP_FOLDING, 0, -1 },
	{ "space before colon", H11 "Content-Length : 5\r\n\r\nhello", 0, 200,
	    "", ERR_HTTP_HEADER, 0, -1 },
	{ "no colon", H11 "Content-Length 5\r\n\r\n", 0, 200, "",
	    ERR_HTTP_HEADER, 0, -1 },
	{ "empty name", H11 ": x\r\n\r\n", 0, 200, "", ERR_HTTP_HEADER, 0, -1 },
	{ "NUL in value", H11 "X: a\0b\r\n\r\n", 0, 200, "", ERR_HTTP_HEADER,
	    0, -1 },
	{ "bare CR in value", H11 "X: a\rb\r\n\r\n", 0, 200, "",
	    ERR_HTTP_HEADER, 0, -1 },
	{ "bare LF line", H11 "X: a\n\r\n", 0, 200, "", ERR_HTTP_HEADER, 0, -1 },
	{ "bare LF end", H11 "X: a\r\n\n", 0, 200, "", ERR_HTTP_HEADER, 0, -1 },

	/* framing */
	{ "conflicting cl", H11 "Content-Length: 5\r\nContent-Length: 6\r\n"
	    "\r\nhello!", 0, 200, "", ERR_HTTP_CONTENT_LENGTH, 0, -1 },
	{ "conflicting cl list", H11 "Content-Length: 5, 6\r\n\r\nhello!", 0,
	    200, "", ERR_HTTP_CONTENT_LENGTH, 0, -1 },
	{ "negative cl", H11 "Content-Length: -1\r\n\r\n", 0, 200, "",
	    ERR_HTTP_CONTENT_LENGTH, 0, -1 },
	{ "plus cl", H11 "Content-Length: +5\r\n\r\nhello", 0, 200, "",
	    ERR_HTTP_CONTENT_LENGTH, 0, -1 },
	{ "hex cl", H11 "Content-Length: 0x5\r\n\r\nhello", 0, 200, "",
	    ERR_HTTP_CONTENT_LENGTH, 0, -1 },
	{ "empty cl", H11 "Content-Length:\r\n\r\n", 0, 200, "",
	    ERR_HTTP_CONTENT_LENGTH, 0, -1 },
	{ "cl list empty element", H11 "Content-Length: 5,\r\n\r\nhello", 0,
	    200, "", ERR_HTTP_CONTENT_LENGTH, 0, -1 },
	{ "huge cl", H11 "Content-Length: 99999999999999999999\r\n\r\n", 0,
	    200, "", ERR_HTTP_CONTENT_LENGTH, 0, -1 },
	{ "cl 2^63", H11 "Content-Length: 9223372036854775808\r\n\r\n", 0,
	    200, "", ERR_HTTP_CONTENT_LENGTH, 0, -1 },
	{ "te gzip", H11 "Transfer-Encoding: gzip\r\n\r\n", 0, 200, "",
	    ERR_HTTP_TRANSFER_ENCODING, 0, -1 },
	{ "te chunked then gzip", H11 "Transfer-Encoding: chunked, gzip\r\n\r\n",
	    0, 200, "", ERR_HTTP_TRANSFER_ENCODING, 0, -1 },
	{ "te gzip then chunked", H11 "Transfer-Encoding: gzip, chunked\r\n\r\n",
	    0, 200, "", ERR_HTTP_TRANSFER_ENCODING, 0, -1 },
	{ "te chunked twice", H11 TECH TECH "\r\n", 0, 200, "",
	    ERR_HTTP_TRANSFER_ENCODING, 0, -1 },
	{ "te chunked param", H11 "Transfer-Encoding: chunked;q=1\r\n\r\n", 0,
	    200, "", ERR_HTTP_TRANSFER_ENCODING, 0, -1 },

	/* chunked errors */
	{ "bad chunk size", H11 TECH "\r\nzz\r\n", 0, 200, "", ERR_HTTP_CHUNK,
	    0, -1 },
	{ "empty chunk size", H11 TECH "\r\n\r\n", 0, 200, "", ERR_HTTP_CHUNK,
	    0, -1 },
	{ "negative chunk size", H11 TECH "\r\n-1\r\n", 0, 200, "",
	    ERR_HTTP_CHUNK, 0, -1 },
	{ "0x chunk size", H11 TECH "\r\n0x5\r\nhello\r\n", 0, 200, "",
	    ERR_HTTP_CHUNK, 0, -1 },
	{ "bare LF after size", H11 TECH "\r\n5\nhello\r\n0\r\n\r\n", 0, 200,
	    "", ERR_HTTP_CHUNK, 0, -1 },
	{ "overflowed chunk size", H11 TECH "\r\n10000000000000000\r\n", 0, 200,
	    "", ERR_HTTP_CHUNK_SIZE, 0, -1 },
	{ "overflowed, leading zeros ok", H11 TECH "\r\n"
	    "000000000000000000000001\r\nx\r\n0\r\n\r\n", 0, 200, "x", 0, 0, 1 },
	{ "max chunk size truncated", H11 TECH "\r\nffffffffffffffff\r\nabc", 0,
	    200, "abc", ERR_HTTP_TRUNCATED, 0, -1 },
	{ "data not followed by CRLF", H11 TECH "\r\n5\r\nhelloX\r\n", 0, 200,
	    "hello", ERR_HTTP_CHUNK, 0, -1 },
	{ "data followed by LF only", H11 TECH "\r\n5\r\nhello\n0\r\n\r\n", 0,
	    200, "hello", ERR_HTTP_CHUNK, 0, -1 },
	{ "LF in extension", H11 TECH "\r\n5;a\nb\r\nhello\r\n", 0, 200, "",
	    ERR_HTTP_CHUNK, 0, -1 },
	{ "bare LF trailer", H11 TECH "\r\n0\r\nX: y\n\r\n", 0, 200, "",
	    ERR_HTTP_CHUNK, 0, -1 },
	{ "missing final CRLF", H11 TECH "\r\n0\r\nX", 0, 200, "",
	    ERR_HTTP_TRUNCATED, 0, -1 },

	/* truncation */
	{ "empty stream", "", 0, 0, "", ERR_HTTP_NO_RESPONSE, 0, -1 },
	{ "truncated status", "HTTP/1.1 20", 0, 0, "", ERR_HTTP_TRUNCATED_HEAD,
	    0, -1 },
	{ "truncated head", H11 "Content-Length: 5\r\n", 0, 200, "",
	    ERR_HTTP_TRUNCATED_HEAD, 0, -1 },
	{ "truncated after 100", "HTTP/1.1 100 Continue\r\n\r\n", 0, 0, "",
	    ERR_HTTP_TRUNCATED_HEAD, 0, -1 },
	{ "truncated cl body", H11 "Content-Length: 10\r\n\r\nhello", 0, 200,
	    "hello", ERR_HTTP_TRUNCATED, 0, -1 },
	{ "truncated chunk data", H11 TECH "\r\n5\r\nhel", 0, 200, "hel",
	    ERR_HTTP_TRUNCATED, 0, -1 },
	{ "truncated before last chunk", H11 TECH "\r\n5\r\nhello\r\n", 0, 200,
	    "hello", ERR_HTTP_TRUNCATED, 0, -1 },
	{ "truncated size line", H11 TECH "\r\n5", 0, 200, "",
	    ERR_HTTP_TRUNCATED, 0, -1 },
};

/* ------------------------------------------------------------ generated */

static void
big_reset(const char *s)
{
	bign = strlen(s);
	memcpy(big, s, bign);
}

static void
big_add(const char *s, size_t n)
{
	if (bign + n > sizeof big)
		abort();
	memcpy(big + bign, s, n);
	bign += n;
}

static void
big_str(const char *s)
{
	big_add(s, strlen(s));
}

static void
big_fill(int c, size_t n)
{
	if (bign + n > sizeof big)
		abort();
	memset(big + bign, c, n);
	bign += n;
}

static void
generated(void)
{
	struct result res;
	struct rcase c;
	char line[64];

	memset(&c, 0, sizeof c);
	c.body = "";
	c.ka = -1;

	/* one header line over HTTP_LINE_MAX */
	c.name = "line too long";
	big_reset(H11 "X: ");
	big_fill('a', HTTP_LINE_MAX);
	big_str("\r\n\r\n");
	c.status = 200;
	c.err = ERR_HTTP_HEADER_SIZE;
	run_case(&c, big, bign, &res, 0);
	feed(big, bign, 0, bign, 1, &res);
	CHECK(res.err == ERR_HTTP_HEADER_SIZE, "line too long bytewise: %d",
	    res.err);

	/* a line exactly HTTP_LINE_MAX long (with CRLF: +2) is fine */
	c.name = "line at the limit";
	big_reset(H11);
	big_str("X: ");
	big_fill('a', HTTP_LINE_MAX - 3);
	big_str("\r\nContent-Length: 0\r\n\r\n");
	c.err = 0;
	c.ka = 1;
	run_case(&c, big, bign, &res, 0);

	/* the whole head over HTTP_HEAD_MAX, each line fine */
	c.name = "head too large";
	big_reset(H11);
	for (int i = 0; i < 9; i++) {
		big_str("X: ");
		big_fill('b', 8000);
		big_str("\r\n");
	}
	big_str("\r\n");
	c.err = ERR_HTTP_HEADER_SIZE;
	c.ka = -1;
	run_case(&c, big, bign, &res, 0);

	/* too many fields */
	c.name = "too many fields";
	big_reset(H11);
	for (int i = 0; i <= HTTP_FIELDS_MAX; i++) {
		snprintf(line, sizeof line, "X-%d: v\r\n", i);
		big_str(line);
	}
	big_str("\r\n");
	c.err = ERR_HTTP_HEADER_COUNT;
	run_case(&c, big, bign, &res, 1);

	/* exactly HTTP_FIELDS_MAX fields is fine */
	c.name = "fields at the limit";
	big_reset(H11 "Content-Length: 0\r\n");
	for (int i = 1; i < HTTP_FIELDS_MAX; i++) {
		snprintf(line, sizeof line, "X-%d: v\r\n", i);
		big_str(line);
	}
	big_str("\r\n");
	c.err = 0;
	c.ka = 1;
	run_case(&c, big, bign, &res, 0);
	CHECK(http_resp_field_count(&R) == HTTP_FIELDS_MAX, "field count %zu",
	    http_resp_field_count(&R));

	/* endless 1xx */
	c.name = "too many interim responses";
	big_reset("");
	for (int i = 0; i <= HTTP_INTERIM_MAX; i++)
		big_str("HTTP/1.1 100 Continue\r\n\r\n");
	big_str(H11 "Content-Length: 0\r\n\r\n");
	c.status = 100;
	c.err = ERR_HTTP_HEADER_SIZE;
	c.ka = -1;
	run_case(&c, big, bign, &res, 1);

	/* chunk-size line over HTTP_CHUNK_LINE_MAX (long extension) */
	c.name = "chunk line too long";
	big_reset(H11 TECH "\r\n1;x=");
	big_fill('y', HTTP_CHUNK_LINE_MAX);
	big_str("\r\nz\r\n0\r\n\r\n");
	c.status = 200;
	c.err = ERR_HTTP_CHUNK;
	run_case(&c, big, bign, &res, 0);

	/* trailers over HTTP_TRAILER_MAX */
	c.name = "trailers too large";
	big_reset(H11 TECH "\r\n0\r\n");
	for (int i = 0; i < 20; i++) {
		big_str("T: ");
		big_fill('t', 1000);
		big_str("\r\n");
	}
	big_str("\r\n");
	c.err = ERR_HTTP_TRAILER_SIZE;
	run_case(&c, big, bign, &res, 0);

	/* many small chunks: body reassembles, all splits agree */
	c.name = "many chunks";
	big_reset(H11 TECH "\r\n");
	for (int i = 0; i < 40; i++)
		big_str("1\r\nq\r\n");
	big_str("0\r\n\r\n");
	c.body = "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq";
	c.err = 0;
	c.ka = 1;
	run_case(&c, big, bign, &res, 1);
}

/* ------------------------------------------------------------ accessors */

static int
head(const char *s, int flags)
{
	struct result res;

	feed((const uint8_t *)s, strlen(s), flags, strlen(s), 0, &res);
	return res.headers == 1 ? 0 : -1;
}

static int
slice_is(struct slice v, const char *s)
{
	return v.n == strlen(s) && memcmp(v.p, s, v.n) == 0;
}

static void
accessors(void)
{
	struct slice v, nm;
	uint64_t u;
	time_t t;
	char loc[HTTP_LOCATION_MAX + 1];
	size_t ln;

	CHECK(head("HTTP/1.1 302 Found\r\nLocation: https://codeload.github.com"
	    "/o/r/tar.gz/main?token=abc\r\nETag: W/\"xyz\"\r\n"
	    "Content-Type: application/x-gzip\r\nx-amz-meta-pushedat: "
	    "2024-01-01T00:00:00Z\r\nX-RateLimit-Remaining: 0\r\n"
	    "x-ratelimit-reset: 1700000000\r\nDate: Sun, 06 Nov 1994 08:49:37 "
	    "GMT\r\nContent-Length: 0\r\n\r\n", 0) == 0, "redirect head");
	CHECK(http_resp_status(&R) == 302, "status");
	CHECK(slice_is(http_resp_reason(&R), "Found"), "reason");
	CHECK(http_resp_minor(&R) == 1, "minor");
	CHECK(http_resp_location(&R, loc, sizeof loc, &ln) == 0 &&
	    strcmp(loc, "https://codeload.github.com/o/r/tar.gz/main?token=abc")
	    == 0 && ln == strlen(loc), "location %s", loc);
	CHECK(http_resp_location(&R, loc, 10, &ln) == ERR_HTTP_LOCATION &&
	    loc[0] == '\0', "location cap");
	CHECK(http_resp_etag(&R, &v) && slice_is(v, "W/\"xyz\""), "etag");
	CHECK(http_resp_content_type(&R, &v) &&
	    slice_is(v, "application/x-gzip"), "content-type");
	CHECK(http_resp_get(&R, "X-AMZ-META-PUSHEDAT", &v) &&
	    slice_is(v, "2024-01-01T00:00:00Z"), "meta lookup");
	CHECK(!http_resp_get(&R, "x-amz-meta-pushed", &v), "no prefix match");
	CHECK(http_resp_get_uint(&R, "x-ratelimit-remaining", &u) && u == 0,
	    "remaining");
	CHECK(http_resp_get_uint(&R, "X-RateLimit-Reset", &u) &&
	    u == 1700000000u, "reset");
	CHECK(!http_resp_get_uint(&R, "etag", &u), "non-number");
	CHECK(!http_resp_get_uint(&R, "x-missing", &u), "missing number");
	CHECK(http_resp_date(&R, &t) && t == 784111777, "date %lld",
	    (long long)t);
	CHECK(http_resp_content_length(&R, &u) && u == 0, "cl");
	CHECK(!http_resp_chunked(&R), "not chunked");
	CHECK(http_resp_field(&R, 0, &nm, &v) && slice_is(nm, "Location"),
	    "field 0");
	CHECK(!http_resp_field(&R, 99, &nm, &v), "field 99");
	CHECK(!http_resp_retry_after(&R, 0, &u), "no retry-after");

	/* Retry-After, both forms */
	CHECK(head("HTTP/1.1 429 Too Many\r\nRetry-After: 120\r\n"
	    "Content-Length: 0\r\n\r\n", 0) == 0, "429 head");
	CHECK(http_resp_retry_after(&R, 1000, &u) && u == 120, "delta %llu",
	    (unsigned long long)u);
	CHECK(head("HTTP/1.1 503 X\r\nRetry-After: Sun, 06 Nov 1994 08:50:37 GMT"
	    "\r\nContent-Length: 0\r\n\r\n", 0) == 0, "503 head");
	CHECK(http_resp_retry_after(&R, 784111777, &u) && u == 60,
	    "date form %llu", (unsigned long long)u);
	CHECK(http_resp_retry_after(&R, 784111777 + 3600, &u) && u == 0,
	    "date in the past");
	CHECK(head("HTTP/1.1 503 X\r\nRetry-After: 99999999999999999999999\r\n"
	    "Content-Length: 0\r\n\r\n", 0) == 0, "huge head");
	CHECK(http_resp_retry_after(&R, 0, &u) && u == HTTP_RETRY_AFTER_MAX,
	    "saturated");
	CHECK(head("HTTP/1.1 503 X\r\nRetry-After: soon\r\n"
	    "Content-Length: 0\r\n\r\n", 0) == 0, "bad head");
	CHECK(!http_resp_retry_after(&R, 0, &u), "garbage retry-after");
	CHECK(head("HTTP/1.1 503 X\r\nRetry-After: -5\r\n"
	    "Content-Length: 0\r\n\r\n", 0) == 0, "neg head");
	CHECK(!http_resp_retry_after(&R, 0, &u), "negative retry-after");

	/* Location: missing, conflicting, repeated identical, empty */
	CHECK(head("HTTP/1.1 301 X\r\nContent-Length: 0\r\n\r\n", 0) == 0, "h");
	CHECK(http_resp_location(&R, loc, sizeof loc, &ln) ==
	    ERR_HTTP_LOCATION, "missing location");
	CHECK(head("HTTP/1.1 301 X\r\nLocation: /a\r\nLocation: /b\r\n"
	    "Content-Length: 0\r\n\r\n", 0) == 0, "h2");
	CHECK(http_resp_location(&R, loc, sizeof loc, &ln) ==
	    ERR_HTTP_LOCATION, "two locations");
	CHECK(head("HTTP/1.1 301 X\r\nLocation: /a\r\nlocation: /a\r\n"
	    "Content-Length: 0\r\n\r\n", 0) == 0, "h3");
	CHECK(http_resp_location(&R, loc, sizeof loc, &ln) == 0 &&
	    strcmp(loc, "/a") == 0, "same location twice");
	CHECK(head("HTTP/1.1 301 X\r\nLocation:\r\n\r\n", HTTP_RESP_HEAD) == 0,
	    "h4");
	CHECK(http_resp_location(&R, loc, sizeof loc, &ln) ==
	    ERR_HTTP_LOCATION, "empty location");

	/* interim fields are forgotten */
	CHECK(head("HTTP/1.1 103 Early\r\nLink: </x>\r\n\r\nHTTP/1.1 200 OK\r\n"
	    "Content-Length: 0\r\n\r\n", 0) == 0, "103 head");
	CHECK(!http_resp_get(&R, "link", &v) && http_resp_field_count(&R) == 1,
	    "103 fields dropped");

	/* keep-alive rules */
	CHECK(head("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 0) == 0 &&
	    !http_resp_keep_alive(&R), "1.0 default close");
	CHECK(head("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0) == 0 &&
	    http_resp_keep_alive(&R), "1.1 default keep");
	CHECK(head("HTTP/1.1 200 OK\r\nConnection: Close\r\n"
	    "Content-Length: 0\r\n\r\n", 0) == 0 && !http_resp_keep_alive(&R),
	    "1.1 close");
	CHECK(head("HTTP/1.0 200 OK\r\nConnection: keep-alive, close\r\n"
	    "Content-Length: 0\r\n\r\n", 0) == 0 && !http_resp_keep_alive(&R),
	    "close beats keep-alive");
	CHECK(head("HTTP/1.1 200 OK\r\nConnection: closed\r\n"
	    "Content-Length: 0\r\n\r\n", 0) == 0 && http_resp_keep_alive(&R),
	    "token, not prefix");

	/* sticky DONE, sticky error, eof after done */
	{
		struct http_ev ev;
		head("HTTP/1.1 204 X\r\n\r\n", 0);
		CHECK(http_resp_done(&R) && http_resp_eof(&R) == 0, "done eof");
		CHECK(http_resp_push(&R, (const uint8_t *)"abc", 3, &ev) == 0 &&
		    ev.type == HTTP_EV_DONE, "done sticky");
		head("HTTP/9.9 200 X\r\n\r\n", 0);
		CHECK(http_resp_push(&R, (const uint8_t *)"abc", 3, &ev) == 0 &&
		    ev.type == HTTP_EV_ERROR && ev.err == ERR_HTTP_VERSION &&
		    http_resp_eof(&R) == ERR_HTTP_VERSION &&
		    http_resp_error(&R) == ERR_HTTP_VERSION, "error sticky");
		CHECK(http_resp_offset(&R) == 16, "error offset %llu",
		    (unsigned long long)http_resp_offset(&R));
	}
}

/* ------------------------------------------------------------ dates */

static void
dates(void)
{
	static const struct {
		const char *s;
		int ok;
		long long t;
	} d[] = {
		{ "Sun, 06 Nov 1994 08:49:37 GMT", 1, 784111777 },
		{ "Sunday, 06-Nov-94 08:49:37 GMT", 1, 784111777 },
		{ "Sun Nov  6 08:49:37 1994", 1, 784111777 },
		{ "Sun Nov 16 08:49:37 1994", 1, 784975777 },
		{ "Thu, 01 Jan 1970 00:00:00 GMT", 1, 0 },
		{ "Sat, 29 Feb 2020 00:00:00 GMT", 1, 1582934400 },
		{ "Tue, 19 Jan 2038 03:14:08 GMT", 1, 2147483648LL },
		{ "Fri, 31 Dec 9999 23:59:59 GMT", 1, 253402300799LL },
		{ "Wed, 31 Dec 1969 23:59:59 GMT", 1, -1 },
		{ "Thursday, 01-Jan-26 00:00:00 GMT", 1, 1767225600 },
		{ "Wed, 31 Dec 2025 23:59:60 GMT", 1, 1767225600 },
		{ "Sun, 31 Feb 2020 00:00:00 GMT", 0, 0 },
		{ "Sun, 29 Feb 2100 00:00:00 GMT", 0, 0 },
		{ "Sun, 06 Nov 1994 08:49:37 UTC", 0, 0 },
		{ "Sun, 6 Nov 1994 08:49:37 GMT", 0, 0 },
		{ "Sun, 06 Nov 1994 08:49:37 GMT ", 0, 0 },
		{ " Sun, 06 Nov 1994 08:49:37 GMT", 0, 0 },
		{ "Sun, 06 nov 1994 08:49:37 GMT", 0, 0 },
		{ "Xyz, 06 Nov 1994 08:49:37 GMT", 0, 0 },
		{ "Sun, 06 Nov 1994 24:00:00 GMT", 0, 0 },
		{ "Sun, 06 Nov 1994 08:60:00 GMT", 0, 0 },
		{ "Sun, 06 Nov 1994 08:49:61 GMT", 0, 0 },
		{ "Sun, 00 Nov 1994 08:49:37 GMT", 0, 0 },
		{ "Sun, 06 Nov 94 08:49:37 GMT", 0, 0 },
		{ "Sun, 06 Nov 1994 08:49 GMT", 0, 0 },
		{ "Sun Nov 6 08:49:37 1994", 0, 0 },
		{ "1994-11-06T08:49:37Z", 0, 0 },
		{ "", 0, 0 },
		{ "Sun, 06 Nov 1994 08:49:37 GM", 0, 0 },
	};

	for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
		time_t t = 12345;
		int e = http_parse_date((const uint8_t *)d[i].s, strlen(d[i].s),
		    &t);
		if (d[i].ok)
			CHECK(e == 0 && (long long)t == d[i].t,
			    "date \"%s\": %d %lld", d[i].s, e, (long long)t);
		else
			CHECK(e == ERR_HTTP_HEADER && t == 12345,
			    "date \"%s\" accepted", d[i].s);
	}
}

/* ------------------------------------------------------------ request */

#define F(n, v) { n, sizeof(n) - 1, v, sizeof(v) - 1 }

static void
request(void)
{
	static const struct http_field ua[] = {
		F("User-Agent", "repodigest/0.1"),
		F("Accept", "*/*"),
	};
	static const char want1[] =
	    "GET /o/r/tar.gz/HEAD HTTP/1.1\r\n"
	    "Host: codeload.github.com\r\n"
	    "User-Agent: repodigest/0.1\r\n"
	    "Accept: */*\r\n"
	    "Connection: keep-alive\r\n\r\n";
	static const char want2[] =
	    "PUT /b/k?x=1 HTTP/1.1\r\n"
	    "Host: [::1]:8443\r\n"
	    "Content-Length: 12345\r\n"
	    "Connection: close\r\n\r\n";
	char out[512];
	size_t n;
	struct http_request rq;
	struct http_field bad;

	memset(&rq, 0, sizeof rq);
	rq.method = "GET";
	rq.method_len = 3;
	rq.host = "codeload.github.com";
	rq.host_len = strlen(rq.host);
	rq.port = 443;
	rq.default_port = 443;
	rq.target = "/o/r/tar.gz/HEAD";
	rq.target_len = strlen(rq.target);
	rq.fields = ua;
	rq.nfields = 2;
	CHECK(http_write_request(&rq, out, sizeof out, &n) == 0 &&
	    n == sizeof want1 - 1 && memcmp(out, want1, n) == 0,
	    "GET head: %.*s", (int)n, out);
	/* every smaller buffer fails cleanly, the exact size works */
	for (size_t cap = 0; cap < sizeof want1 - 1; cap++)
		if (http_write_request(&rq, out, cap, &n) !=
		    ERR_HTTP_REQUEST_SIZE || n != 0) {
			CHECK(0, "cap %zu accepted", cap);
			break;
		}
	CHECK(http_write_request(&rq, out, sizeof want1 - 1, &n) == 0 &&
	    n == sizeof want1 - 1, "exact cap");

	rq.method = "PUT";
	rq.host = "::1";
	rq.host_len = 3;
	rq.port = 8443;
	rq.target = "/b/k?x=1";
	rq.target_len = 8;
	rq.nfields = 0;
	rq.has_body = 1;
	rq.body_len = 12345;
	rq.close = 1;
	CHECK(http_write_request(&rq, out, sizeof out, &n) == 0 &&
	    n == sizeof want2 - 1 && memcmp(out, want2, n) == 0,
	    "PUT head: %.*s", (int)n, out);

	/* injection: each must be refused */
	{
		static const struct {
			const char *what, *name, *value;
			size_t nl, vl;
		} inj[] = {
			{ "CRLF in value", "X-A", "a\r\nEvil: 1", 3, 11 },
			{ "LF in value", "X-A", "a\nb", 3, 3 },
			{ "CR in value", "X-A", "a\rb", 3, 3 },
			{ "NUL in value", "X-A", "a\0b", 3, 3 },
			{ "VT in value", "X-A", "a\vb", 3, 3 },
			{ "DEL in value", "X-A", "a\x7f" "b", 3, 3 },
			{ "CRLF in name", "X\r\nA", "v", 4, 1 },
			{ "space in name", "X A", "v", 3, 1 },
			{ "colon in name", "X:A", "v", 3, 1 },
			{ "empty name", "", "v", 0, 1 },
			{ "Host field", "host", "evil", 4, 4 },
			{ "Content-Length field", "Content-Length", "0", 14, 1 },
			{ "TE field", "transfer-encoding", "chunked", 17, 7 },
			{ "Connection field", "CONNECTION", "close", 10, 5 },
		};
		for (size_t i = 0; i < sizeof inj / sizeof inj[0]; i++) {
			bad.name = inj[i].name;
			bad.name_len = inj[i].nl;
			bad.value = inj[i].value;
			bad.value_len = inj[i].vl;
			rq.fields = &bad;
			rq.nfields = 1;
			CHECK(http_write_request(&rq, out, sizeof out, &n) ==
			    ERR_HTTP_REQUEST_FIELD && n == 0, "%s accepted",
			    inj[i].what);
		}
		bad.name = "X-Tab";
		bad.name_len = 5;
		bad.value = "a\tb \xc3\xa9";
		bad.value_len = 6;
		CHECK(http_write_request(&rq, out, sizeof out, &n) == 0,
		    "tab and obs-text in value allowed");
		rq.nfields = 0;
	}
	{
		static const struct {
			const char *what, *s;
			size_t n;
			int which;      /* 0 method, 1 host, 2 target */
		} inj[] = {
			{ "CRLF in target", "/a\r\nHost: evil", 15, 2 },
			{ "space in target", "/a b", 4, 2 },
			{ "NUL in target", "/a\0b", 4, 2 },
			{ "fragment in target", "/a#b", 4, 2 },
			{ "non-ASCII target", "/\xc3\xa9", 3, 2 },
			{ "empty target", "", 0, 2 },
			{ "CRLF in host", "h\r\nX: y", 7, 1 },
			{ "at in host", "evil@h", 6, 1 },
			{ "slash in host", "h/x", 3, 1 },
			{ "empty host", "", 0, 1 },
			{ "space in method", "GET /x", 6, 0 },
			{ "CRLF in method", "GET\r\n", 5, 0 },
			{ "empty method", "", 0, 0 },
		};
		for (size_t i = 0; i < sizeof inj / sizeof inj[0]; i++) {
			struct http_request q = rq;
			if (inj[i].which == 0) {
				q.method = inj[i].s;
				q.method_len = inj[i].n;
			} else if (inj[i].which == 1) {
				q.host = inj[i].s;
				q.host_len = inj[i].n;
			} else {
				q.target = inj[i].s;
				q.target_len = inj[i].n;
			}
			CHECK(http_write_request(&q, out, sizeof out, &n) ==
			    ERR_HTTP_REQUEST_FIELD, "%s accepted", inj[i].what);
		}
	}
	/* CONNECT authority-form */
	rq.method = "CONNECT";
	rq.method_len = 7;
	rq.host = "github.com";
	rq.host_len = 10;
	rq.port = 443;
	rq.default_port = 443;
	rq.target = "github.com:443";
	rq.target_len = 14;
	rq.has_body = 0;
	rq.close = 0;
	CHECK(http_write_request(&rq, out, sizeof out, &n) == 0 &&
	    n > 27 && memcmp(out, "CONNECT github.com:443 HTTP/1.1\r\n", 33)
	    == 0, "CONNECT");
}

static void
statuses(void)
{
	static const struct {
		int s, e;
	} t[] = {
		{ 200, 0 }, { 206, 0 }, { 302, 0 }, { 304, 0 }, { 100, 0 },
		{ 404, ERR_HTTP_NOT_FOUND }, { 401, ERR_HTTP_CLIENT },
		{ 403, ERR_HTTP_CLIENT }, { 408, ERR_HTTP_THROTTLED },
		{ 429, ERR_HTTP_THROTTLED }, { 500, ERR_HTTP_SERVER },
		{ 503, ERR_HTTP_SERVER }, { 0, ERR_HTTP_STATUS },
		{ 600, ERR_HTTP_STATUS },
	};

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		CHECK(http_status_err(t[i].s) == t[i].e, "status %d", t[i].s);
	CHECK(err_retryable(ERR_HTTP_SERVER) &&
	    err_retryable(ERR_HTTP_TRUNCATED) &&
	    err_retryable(ERR_HTTP_THROTTLED) &&
	    !err_retryable(ERR_HTTP_NOT_FOUND) &&
	    !err_retryable(ERR_HTTP_CHUNK),
	    "classes");
}

int
main(void)
{
	struct result res;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct rcase *c = &cases[i];
		/* strlen would stop at an embedded NUL: use sizeof-less
		 * length for the one case that has one */
		size_t n = strlen(c->in);
		if (strcmp(c->name, "NUL in value") == 0)
			n = sizeof(H11 "X: a\0b\r\n\r\n") - 1;
		run_case(c, (const uint8_t *)c->in, n, &res, 1);
	}
	generated();
	accessors();
	dates();
	request();
	statuses();
	return T_DONE();
}
