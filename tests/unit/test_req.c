/*
 * test_req.c - the server's HTTP side: request heads (req.h), chunked
 * request bodies (chunked.h), answers (resp.h), routes (route.h) and the
 * token rules (auth.h).
 *
 * Every head in the table is parsed whole, then fed byte by byte (each
 * call with the bytes so far and the previous length, as the server
 * does) and split at every offset (a prefix, then the whole): a prefix
 * may only be incomplete, or refused with the same error as the whole;
 * the whole must give the table's verdict, status, error and fields.
 * Chunked bodies likewise, with the decoded bytes compared.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "chunked.h"
#include "err.h"
#include "req.h"
#include "resp.h"
#include "route.h"
#include "t.h"

/* ------------------------------------------------------------ heads */

#define OK 1
#define BAD 2
#define INC 3

struct rcase {
	const char *name;
	const char *in;
	size_t n;               /* 0: strlen(in) */
	int verdict;            /* OK, BAD, INC */
	int status, err;        /* BAD */
	const char *method, *path, *query;      /* OK: NULL = not checked */
	int body;               /* OK */
	uint64_t length;
	int keep;               /* OK: keep_alive */
	size_t after;           /* OK: bytes after the head */
};

#define H11 "Host: a\r\n"
#define NOF NULL, NULL, NULL, 0, 0, 0, 0     /* no fields to check */

static const struct rcase cases[] = {
	{ "plain", "GET / HTTP/1.1\r\n" H11 "\r\n", 0, OK, 0, 0, "GET", "/",
	    "", REQ_BODY_NONE, 0, 1, 0 },
	{ "query", "GET /v1/jobs?a=1&access_token=s HTTP/1.1\r\n" H11 "\r\n",
	    0, OK, 0, 0, "GET", "/v1/jobs", "a=1&access_token=s",
	    REQ_BODY_NONE, 0, 1, 0 },
	{ "1.0 no host", "GET /x HTTP/1.0\r\n\r\n", 0, OK, 0, 0, "GET", "/x",
	    "", REQ_BODY_NONE, 0, 0, 0 },
	{ "1.0 keep-alive", "GET /x HTTP/1.0\r\nConnection: Keep-Alive\r\n"
	    "\r\n", 0, OK, 0, 0, NULL, NULL, NULL, REQ_BODY_NONE, 0, 1, 0 },
	{ "1.1 close", "GET / HTTP/1.1\r\n" H11 "Connection: close\r\n\r\n",
	    0, OK, 0, 0, NULL, NULL, NULL, REQ_BODY_NONE, 0, 0, 0 },
	{ "close wins", "GET / HTTP/1.1\r\n" H11
	    "Connection: keep-alive, close\r\n\r\n", 0, OK, 0, 0, NULL, NULL,
	    NULL, REQ_BODY_NONE, 0, 0, 0 },
	{ "1.2 is 1.1", "GET / HTTP/1.2\r\n" H11 "\r\n", 0, OK, 0, 0, NULL,
	    NULL, NULL, REQ_BODY_NONE, 0, 1, 0 },
	{ "length", "POST /x HTTP/1.1\r\n" H11 "Content-Length: 5\r\n\r\n"
	    "hello", 0, OK, 0, 0, "POST", "/x", "", REQ_BODY_LENGTH, 5, 1,
	    5 },
	{ "length 0", "POST /x HTTP/1.1\r\n" H11 "Content-Length: 0\r\n\r\n",
	    0, OK, 0, 0, NULL, NULL, NULL, REQ_BODY_NONE, 0, 1, 0 },
	{ "length list", "POST /x HTTP/1.1\r\n" H11 "Content-Length: 5, 5\r\n"
	    "\r\n", 0, OK, 0, 0, NULL, NULL, NULL, REQ_BODY_LENGTH, 5, 1, 0 },
	{ "length differs", "POST /x HTTP/1.1\r\n" H11
	    "Content-Length: 5, 6\r\n\r\n", 0, BAD, 400,
	    ERR_HTTP_CONTENT_LENGTH, NOF },
	{ "length twice", "POST /x HTTP/1.1\r\n" H11 "Content-Length: 5\r\n"
	    "Content-Length: 6\r\n\r\n", 0, BAD, 400, ERR_HTTP_CONTENT_LENGTH, NOF },
	{ "length sign", "POST /x HTTP/1.1\r\n" H11 "Content-Length: +5\r\n"
	    "\r\n", 0, BAD, 400, ERR_HTTP_CONTENT_LENGTH, NOF },
	{ "length hex", "POST /x HTTP/1.1\r\n" H11 "Content-Length: 0x5\r\n"
	    "\r\n", 0, BAD, 400, ERR_HTTP_CONTENT_LENGTH, NOF },
	{ "length empty", "POST /x HTTP/1.1\r\n" H11 "Content-Length:\r\n"
	    "\r\n", 0, BAD, 400, ERR_HTTP_CONTENT_LENGTH, NOF },
	{ "length huge", "POST /x HTTP/1.1\r\n" H11
	    "Content-Length: 99999999999999999999\r\n\r\n", 0, BAD, 400,
	    ERR_HTTP_CONTENT_LENGTH, NOF },
	{ "chunked", "POST /x HTTP/1.1\r\n" H11
	    "Transfer-Encoding: chunked\r\n\r\n", 0, OK, 0, 0, NULL, NULL, NULL,
	    REQ_BODY_CHUNKED, 0, 1, 0 },
	{ "te and cl", "POST /x HTTP/1.1\r\n" H11
	    "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 0, BAD,
	    400, ERR_REQ_FRAMING, NOF },
	{ "cl and te", "POST /x HTTP/1.1\r\n" H11 "Content-Length: 5\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", 0, BAD, 400,
	    ERR_REQ_FRAMING, NOF },
	{ "te gzip", "POST /x HTTP/1.1\r\n" H11
	    "Transfer-Encoding: gzip, chunked\r\n\r\n", 0, BAD, 501,
	    ERR_HTTP_TRANSFER_ENCODING, NOF },
	{ "te chunked not last", "POST /x HTTP/1.1\r\n" H11
	    "Transfer-Encoding: chunked, identity\r\n\r\n", 0, BAD, 501,
	    ERR_HTTP_TRANSFER_ENCODING, NOF },
	{ "te identity only", "POST /x HTTP/1.1\r\n" H11
	    "Transfer-Encoding: identity\r\n\r\n", 0, BAD, 400,
	    ERR_REQ_FRAMING, NOF },
	{ "te in 1.0", "POST /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n"
	    "\r\n", 0, BAD, 400, ERR_REQ_FRAMING, NOF },
	{ "obs-fold", "GET / HTTP/1.1\r\n" H11 "X: a\r\n b\r\n\r\n", 0, BAD,
	    400, ERR_HTTP_FOLDING, NOF },
	{ "space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 0, BAD,
	    400, ERR_HTTP_HEADER, NOF },
	{ "nul in value", "GET / HTTP/1.1\r\n" H11 "X: a\0b\r\n\r\n", 35, BAD,
	    400, ERR_HTTP_HEADER, NOF },
	{ "nul in target", "GET /a\0b HTTP/1.1\r\n" H11 "\r\n", 30, BAD, 400,
	    ERR_REQ_LINE, NOF },
	{ "bare lf line", "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", 0, BAD,
	    400, ERR_HTTP_HEADER, NOF },
	{ "bare lf request line", "GET / HTTP/1.1\n" H11 "\r\n", 0, BAD, 400,
	    ERR_REQ_LINE, NOF },
	{ "bare cr in value", "GET / HTTP/1.1\r\n" H11 "X: a\rb\r\n\r\n", 0,
	    BAD, 400, ERR_HTTP_HEADER, NOF },
	{ "bad name byte", "GET / HTTP/1.1\r\n" H11 "X(y): z\r\n\r\n", 0, BAD,
	    400, ERR_HTTP_HEADER, NOF },
	{ "no colon", "GET / HTTP/1.1\r\n" H11 "Xy\r\n\r\n", 0, BAD, 400,
	    ERR_HTTP_HEADER, NOF },
	{ "no host", "GET / HTTP/1.1\r\n\r\n", 0, BAD, 400, ERR_REQ_HOST, NOF },
	{ "two hosts", "GET / HTTP/1.1\r\n" H11 H11 "\r\n", 0, BAD, 400,
	    ERR_REQ_HOST, NOF },
	{ "http/2", "GET / HTTP/2.0\r\n" H11 "\r\n", 0, BAD, 505,
	    ERR_HTTP_VERSION, NOF },
	{ "h2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 0, BAD, 505,
	    ERR_HTTP_VERSION, NOF },
	{ "lower-case version", "GET / http/1.1\r\n" H11 "\r\n", 0, BAD, 400,
	    ERR_REQ_LINE, NOF },
	{ "long version", "GET / HTTP/1.10\r\n" H11 "\r\n", 0, BAD, 400,
	    ERR_REQ_LINE, NOF },
	{ "no version", "GET /\r\n" H11 "\r\n", 0, BAD, 400, ERR_REQ_LINE, NOF },
	{ "empty target", "GET  HTTP/1.1\r\n" H11 "\r\n", 0, BAD, 400,
	    ERR_REQ_LINE, NOF },
	{ "tab separator", "GET\t/ HTTP/1.1\r\n" H11 "\r\n", 0, BAD, 400,
	    ERR_REQ_LINE, NOF },
	{ "trailing space", "GET / HTTP/1.1 \r\n" H11 "\r\n", 0, BAD, 400,
	    ERR_REQ_LINE, NOF },
	{ "space in method", "GE T / HTTP/1.1\r\n" H11 "\r\n", 0, BAD, 400,
	    ERR_REQ_LINE, NOF },
	{ "long method", "ABCDEFGHIJKLMNOPQ / HTTP/1.1\r\n" H11 "\r\n", 0, BAD,
	    400, ERR_REQ_LINE, NOF },
	{ "fragment", "GET /a#b HTTP/1.1\r\n" H11 "\r\n", 0, BAD, 400,
	    ERR_REQ_LINE, NOF },
	{ "relative target", "GET a/b HTTP/1.1\r\n" H11 "\r\n", 0, BAD, 400,
	    ERR_REQ_LINE, NOF },
	{ "absolute form", "GET http://h:1/p?q=1 HTTP/1.1\r\n" H11 "\r\n", 0,
	    OK, 0, 0, "GET", "/p", "q=1", REQ_BODY_NONE, 0, 1, 0 },
	{ "absolute no path", "GET HTTPS://h HTTP/1.1\r\n" H11 "\r\n", 0, OK,
	    0, 0, "GET", "/", "", REQ_BODY_NONE, 0, 1, 0 },
	{ "asterisk", "OPTIONS * HTTP/1.1\r\n" H11 "\r\n", 0, OK, 0, 0,
	    "OPTIONS", "*", "", REQ_BODY_NONE, 0, 1, 0 },
	{ "leading empty lines", "\r\n\r\nGET / HTTP/1.1\r\n" H11 "\r\n", 0,
	    OK, 0, 0, "GET", "/", NULL, REQ_BODY_NONE, 0, 1, 0 },
	{ "lower-case method", "get / HTTP/1.1\r\n" H11 "\r\n", 0, OK, 0, 0,
	    "get", NULL, NULL, REQ_BODY_NONE, 0, 1, 0 },
	{ "empty value", "GET / HTTP/1.1\r\n" H11 "X:\r\n\r\n", 0, OK, 0, 0,
	    NULL, NULL, NULL, REQ_BODY_NONE, 0, 1, 0 },
	{ "expect continue", "POST / HTTP/1.1\r\n" H11
	    "Expect: 100-Continue\r\nContent-Length: 3\r\n\r\n", 0, OK, 0, 0,
	    NULL, NULL, NULL, REQ_BODY_LENGTH, 3, 1, 0 },
	{ "expect other", "POST / HTTP/1.1\r\n" H11 "Expect: magic\r\n\r\n",
	    0, BAD, 417, ERR_REQ_EXPECT, NOF },
	{ "pipelined", "GET /a HTTP/1.1\r\n" H11 "\r\nGET /b HTTP/1.1\r\n"
	    H11 "\r\n", 0, OK, 0, 0, "GET", "/a", NULL, REQ_BODY_NONE, 0, 1,
	    28 },
	{ "incomplete", "GET / HTTP/1.1\r\n" H11 "\r", 0, INC, 0, 0, NOF },
	{ "incomplete line", "GET / HTT", 0, INC, 0, 0, NOF },
};

static char big[REQ_HEAD_MAX + REQ_TARGET_MAX + 256];

/* Parse buf[0..n) the three ways; check the whole against c. */
static void
run_case(const char *name, const uint8_t *in, size_t n, int verdict,
    int status, int err, const struct rcase *c)
{
	struct req r;
	struct req_header h[REQ_HEADERS_MAX];
	int whole = req_parse(in, n, 0, &r, h, REQ_HEADERS_MAX);
	size_t last = 0;
	int early = 0;

	if (verdict == OK) {
		CHECK(whole > 0, "%s: %d (err %d)", name, whole, r.err);
		if (whole <= 0)
			return;
		CHECK((size_t)whole == n - (c ? c->after : 0),
		    "%s: consumed %d of %zu", name, whole, n);
	} else if (verdict == BAD) {
		CHECK(whole == REQ_BAD && r.status == status && r.err == err,
		    "%s: %d status %d err %s", name, whole, r.status,
		    err_str(r.err));
	} else {
		CHECK(whole == REQ_INCOMPLETE, "%s: %d", name, whole);
	}
	if (c != NULL && verdict == OK) {
		if (c->method)
			CHECK(r.method.n == strlen(c->method) &&
			    memcmp(r.method.p, c->method, r.method.n) == 0,
			    "%s: method", name);
		if (c->path)
			CHECK(r.path.n == strlen(c->path) &&
			    memcmp(r.path.p, c->path, r.path.n) == 0,
			    "%s: path %.*s", name, (int)r.path.n, r.path.p);
		if (c->query)
			CHECK(r.query.n == strlen(c->query) &&
			    memcmp(r.query.p, c->query, r.query.n) == 0,
			    "%s: query", name);
		CHECK(r.body == c->body && r.length == c->length,
		    "%s: body %d %llu", name, r.body,
		    (unsigned long long)r.length);
		CHECK(r.keep_alive == c->keep, "%s: keep %d", name,
		    r.keep_alive);
	}
	/* byte by byte, as reads arrive */
	for (size_t k = 1; k <= n; k++) {
		int v = req_parse(in, k, last, &r, h, REQ_HEADERS_MAX);
		if (v == REQ_INCOMPLETE) {
			last = k;
			continue;
		}
		if (v == REQ_BAD) {
			CHECK(verdict == BAD && r.err == err, "%s: byte %zu: "
			    "early %s", name, k, err_str(r.err));
			early = 1;
		} else {
			CHECK(v == whole, "%s: byte %zu: %d, whole %d", name,
			    k, v, whole);
		}
		break;
	}
	if (!early && verdict == BAD && n < 64 * 1024)
		CHECK(req_parse(in, n, last, &r, h, REQ_HEADERS_MAX) ==
		    REQ_BAD && r.err == err, "%s: byte by byte, then whole",
		    name);
	/* split at every offset: the prefix, then all of it */
	for (size_t k = 0; k < n && n < 4096; k++) {
		int v = req_parse(in, k, 0, &r, h, REQ_HEADERS_MAX);
		if (v == REQ_BAD) {
			CHECK(verdict == BAD && r.err == err, "%s: prefix %zu: "
			    "%s", name, k, err_str(r.err));
			continue;
		}
		if (v != REQ_INCOMPLETE) {
			CHECK(verdict == OK && v == whole, "%s: prefix %zu: %d",
			    name, k, v);
			continue;
		}
		v = req_parse(in, n, k, &r, h, REQ_HEADERS_MAX);
		CHECK(v == whole && (v != REQ_BAD || r.err == err),
		    "%s: split %zu: %d", name, k, v);
	}
}

static void
test_table(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct rcase *c = &cases[i];
		run_case(c->name, (const uint8_t *)c->in,
		    c->n ? c->n : strlen(c->in), c->verdict, c->status, c->err,
		    c);
	}
}

/* The limits: target, head size, header count; each refused as soon as
 * it is sure, with the right status. */
static void
test_limits(void)
{
	size_t n;
	struct req r;
	struct req_header h[REQ_HEADERS_MAX];

	/* a target of exactly REQ_TARGET_MAX is fine */
	n = (size_t)snprintf(big, sizeof big, "GET /");
	memset(big + n, 'a', REQ_TARGET_MAX - 1);
	n += REQ_TARGET_MAX - 1;
	n += (size_t)snprintf(big + n, sizeof big - n, " HTTP/1.1\r\n" H11
	    "\r\n");
	CHECK(req_parse((uint8_t *)big, n, 0, &r, h, REQ_HEADERS_MAX) ==
	    (int)n, "target at the limit");
	/* one more: 414, before the head is complete */
	n = (size_t)snprintf(big, sizeof big, "GET /");
	memset(big + n, 'a', REQ_TARGET_MAX);
	n += REQ_TARGET_MAX;
	n += (size_t)snprintf(big + n, sizeof big - n, " HTTP/1.1\r\n");
	run_case("target over", (uint8_t *)big, n, BAD, 414, ERR_REQ_TARGET,
	    NULL);
	/* a target that never ends: 414 once it is longer than any */
	n = (size_t)snprintf(big, sizeof big, "GET /");
	memset(big + n, 'a', REQ_TARGET_MAX + 100);
	n += REQ_TARGET_MAX + 100;
	CHECK(req_parse((uint8_t *)big, n, 0, &r, h, REQ_HEADERS_MAX) ==
	    REQ_BAD && r.status == 414, "endless target: %d", r.status);
	/* garbage with no line end: 400 once longer than a request line */
	memset(big, 'a', REQ_TARGET_MAX + 100);
	CHECK(req_parse((uint8_t *)big, REQ_TARGET_MAX + 100, 0, &r, h,
	    REQ_HEADERS_MAX) == REQ_BAD && r.status == 400, "endless line");
	/* a head over REQ_HEAD_MAX: 431, whole or still open */
	n = (size_t)snprintf(big, sizeof big, "GET / HTTP/1.1\r\n" H11);
	while (n < REQ_HEAD_MAX)
		n += (size_t)snprintf(big + n, sizeof big - n,
		    "X-Long: %0200d\r\n", 7);
	CHECK(req_parse((uint8_t *)big, n, 0, &r, h, REQ_HEADERS_MAX) ==
	    REQ_BAD && r.status == 431, "head over, open: %d", r.status);
	n += (size_t)snprintf(big + n, sizeof big - n, "\r\n");
	CHECK(req_parse((uint8_t *)big, n, 0, &r, h, REQ_HEADERS_MAX) ==
	    REQ_BAD && r.status == 431 && r.err == ERR_REQ_HEAD_SIZE,
	    "head over, whole: %d", r.status);
	/* more fields than the caller's array: 431 */
	n = (size_t)snprintf(big, sizeof big, "GET / HTTP/1.1\r\n" H11);
	for (int i = 0; i < REQ_HEADERS_MAX; i++)
		n += (size_t)snprintf(big + n, sizeof big - n, "X%d: y\r\n", i);
	n += (size_t)snprintf(big + n, sizeof big - n, "\r\n");
	run_case("too many fields", (uint8_t *)big, n, BAD, 431,
	    ERR_HTTP_HEADER_COUNT, NULL);
	CHECK(req_parse((uint8_t *)big, n, 0, &r, h, 4) == REQ_BAD &&
	    r.status == 431, "a small caller array");
	/* many empty lines before a request are one head's worth */
	memset(big, 0, sizeof big);
	for (n = 0; n < REQ_HEAD_MAX + 2; n += 2)
		memcpy(big + n, "\r\n", 2);
	CHECK(req_parse((uint8_t *)big, n, 0, &r, h, REQ_HEADERS_MAX) ==
	    REQ_BAD && r.status == 431, "endless empty lines");
}

static void
test_lookup(void)
{
	static const char in[] = "GET / HTTP/1.1\r\nHost: a\r\n"
	    "Sec-WebSocket-Key: k1\r\nsec-websocket-key: k2\r\n\r\n";
	struct req r;
	struct req_header h[REQ_HEADERS_MAX];
	struct slice v;

	CHECK(req_parse((const uint8_t *)in, sizeof in - 1, 0, &r, h,
	    REQ_HEADERS_MAX) == (int)sizeof in - 1, "lookup head");
	CHECK(req_header(&r, "SEC-websocket-KEY", &v) && v.n == 2 &&
	    memcmp(v.p, "k1", 2) == 0, "first of two, any case");
	CHECK(req_header_count(&r, "sec-websocket-key") == 2, "count");
	CHECK(!req_header(&r, "origin", &v), "absent");
	CHECK(req_status(ERR_REQ_BODY_SIZE) == 413 &&
	    req_status(ERR_HTTP_FOLDING) == 400, "statuses");
}

/* ------------------------------------------------------------ chunked */

struct ccase {
	const char *name, *in, *out;
	int verdict;            /* CHUNKED_DONE, CHUNKED_ERROR, CHUNKED_NEED */
	int err;
	size_t left;            /* bytes after the end */
};

static const struct ccase ccases[] = {
	{ "two chunks", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
	    "hello world", CHUNKED_DONE, 0, 0 },
	{ "ext and trailer", "5;a=b\r\nhello\r\n0\r\nX-T: 1\r\n\r\nNEXT",
	    "hello", CHUNKED_DONE, 0, 4 },
	{ "upper hex", "A\r\n0123456789\r\n0\r\n\r\n", "0123456789",
	    CHUNKED_DONE, 0, 0 },
	{ "no digits", "\r\n", "", CHUNKED_ERROR, ERR_HTTP_CHUNK, 0 },
	{ "bad digit", "g\r\n", "", CHUNKED_ERROR, ERR_HTTP_CHUNK, 0 },
	{ "lf only", "5\nhello\r\n0\r\n\r\n", "", CHUNKED_ERROR,
	    ERR_HTTP_CHUNK, 0 },
	{ "data without crlf", "5\r\nhelloX", "hello", CHUNKED_ERROR,
	    ERR_HTTP_CHUNK, 0 },
	{ "overflow", "fffffffffffffffff\r\n", "", CHUNKED_ERROR,
	    ERR_HTTP_CHUNK_SIZE, 0 },
	{ "ctl in ext", "5;\x01\r\nhello\r\n0\r\n\r\n", "", CHUNKED_ERROR,
	    ERR_HTTP_CHUNK, 0 },
	{ "truncated", "5\r\nhel", "hel", CHUNKED_NEED, 0, 0 },
};

static void
chunked_run(const struct ccase *c, size_t split, int bytewise)
{
	const uint8_t *p = (const uint8_t *)c->in;
	size_t n = strlen(c->in), at = 0, on = 0;
	char out[256];
	struct chunked ch;
	int ev = CHUNKED_NEED;

	chunked_init(&ch);
	while (at < n) {
		size_t end = bytewise ? at + 1 : at < split ? split : n;
		const uint8_t *d;
		size_t dn, k;

		k = chunked_push(&ch, p + at, end - at, &ev, &d, &dn);
		CHECK(k <= end - at, "%s: consumed too much", c->name);
		if (ev == CHUNKED_DATA) {
			CHECK(d >= p + at && d + dn <= p + at + k && dn > 0,
			    "%s: data outside the piece", c->name);
			memcpy(out + on, d, dn);
			on += dn;
		}
		at += k;
		if (ev == CHUNKED_DONE || ev == CHUNKED_ERROR)
			break;
	}
	CHECK(ev == c->verdict || (c->verdict == CHUNKED_NEED &&
	    ev == CHUNKED_DATA), "%s (split %zu, bytes %d): event %d", c->name,
	    split, bytewise, ev);
	CHECK(on == strlen(c->out) && memcmp(out, c->out, on) == 0,
	    "%s: decoded %zu", c->name, on);
	if (c->verdict == CHUNKED_ERROR)
		CHECK(chunked_error(&ch) == c->err, "%s: %s", c->name,
		    err_str(chunked_error(&ch)));
	if (c->verdict == CHUNKED_DONE) {
		CHECK(n - at == c->left && chunked_done(&ch), "%s: left %zu",
		    c->name, n - at);
		/* sticky */
		CHECK(chunked_push(&ch, p, n, &ev, &(const uint8_t *){ 0 },
		    &(size_t){ 0 }) == 0 && ev == CHUNKED_DONE, "%s: sticky",
		    c->name);
	}
}

static void
test_chunked(void)
{
	for (size_t i = 0; i < sizeof ccases / sizeof ccases[0]; i++) {
		const struct ccase *c = &ccases[i];
		chunked_run(c, strlen(c->in), 0);
		chunked_run(c, 0, 1);
		for (size_t k = 1; k < strlen(c->in); k++)
			chunked_run(c, k, 0);
	}
}

/* ------------------------------------------------------------ answers */

/* b holds s (answers hold no NUL: the text search is safe) */
static int
has(struct buf *b, const char *s)
{
	const char *t = buf_cstr(b);

	return t != NULL && strstr(t, s) != NULL;
}

static void
test_resp(void)
{
	struct buf b;
	struct resp_field f[] = { { "Allow", "GET, HEAD" } };
	struct resp_field bad[] = { { "X", "a\r\nSet-Cookie: x" } };
	struct resp_field badname[] = { { "X Y", "a" } };
	char date[RESP_DATE_LEN + 1];
	const char *want = "HTTP/1.1 405 Method Not Allowed\r\n"
	    "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nAllow: GET, HEAD\r\n"
	    "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";

	resp_date(784111777, date);
	CHECK(strcmp(date, "Sun, 06 Nov 1994 08:49:37 GMT") == 0, "date %s",
	    date);
	buf_init(&b, 1024);
	CHECK(resp_write(&b, 405, date, "application/json", f, 1, "{}", 2,
	    0) == 0 && b.len == strlen(want) && memcmp(b.p, want, b.len) == 0,
	    "whole answer: %.*s", (int)b.len, b.p);
	buf_reset(&b);
	CHECK(resp_write(&b, 200, NULL, NULL, NULL, 0, "abc", 3,
	    RESP_HEAD | RESP_CLOSE) == 0 && b.len > 0 &&
	    has(&b, "Content-Length: 3\r\nConnection: close\r\n"
	    "\r\n") && b.p[b.len - 1] == '\n', "HEAD: no body");
	buf_reset(&b);
	CHECK(resp_write(&b, 200, NULL, NULL, NULL, 0, "", 0, RESP_KEEP10) ==
	    0 && has(&b, "Connection: keep-alive"),
	    "1.0 keep-alive");
	buf_reset(&b);
	CHECK(resp_write(&b, 304, NULL, NULL, f, 1, "abc", 3, 0) == 0 &&
	    !has(&b, "Content-Length") && !has(&b, "abc") &&
	    b.len >= 4 && memcmp(b.p + b.len - 4, "\r\n\r\n", 4) == 0,
	    "304: no length, no body");
	buf_reset(&b);
	CHECK(resp_write(&b, 200, NULL, NULL, bad, 1, "", 0, 0) == ERR_USAGE &&
	    b.len == 0, "CR LF in a field value refused, nothing written");
	CHECK(resp_write(&b, 200, NULL, "text/x\n", NULL, 0, "", 0, 0) ==
	    ERR_USAGE && b.len == 0, "LF in a content type");
	CHECK(resp_write(&b, 200, NULL, NULL, badname, 1, "", 0, 0) ==
	    ERR_USAGE, "space in a field name");
	buf_free(&b);
	buf_init(&b, 20);
	CHECK(resp_write(&b, 200, NULL, NULL, NULL, 0, "", 0, 0) == ERR_LIMIT &&
	    b.len == 0, "over the cap: nothing written");
	buf_free(&b);
	buf_init(&b, 1024);
	CHECK(resp_write_head(&b, 101, NULL, f, 1) == 0 &&
	    !has(&b, "Connection"),
	    "101: no Connection of ours");
	buf_reset(&b);
	CHECK(resp_write_head(&b, 200, NULL, NULL, 0) == 0 &&
	    has(&b, "Connection: close\r\n\r\n") &&
	    !has(&b, "Content-Length"),
	    "stream head: close-delimited");
	buf_free(&b);
}

/* ------------------------------------------------------------ routes */

static void
h(void)
{
}

static const struct route table[] = {
	{ "GET", "/healthz", 0, 0, h },
	{ "POST", "/v1/jobs", 0, 0, h },
	{ "GET", "/v1/jobs", 0, 0, h },
	{ "GET", "/v1/jobs/{id}", 0, 0, h },
	{ "DELETE", "/v1/jobs/{id}", 0, 0, h },
	{ "GET", "/v1/jobs/{id}/events", 0, 0, h },
	{ "POST", "/projects/{project}/ingest/github", 0, 0, h },
	{ "GET", "/", 0, 0, h },
};

static int
find(const char *method, const char *path, struct route_match *m)
{
	struct slice ms = { (const uint8_t *)method, strlen(method) };
	struct slice ps = { (const uint8_t *)path, strlen(path) };

	return route_find(table, sizeof table / sizeof table[0], ms, ps, m);
}

static void
test_routes(void)
{
	struct route_match m;
	uint8_t v[64];
	size_t n;
	struct slice q;

	CHECK(find("GET", "/healthz", &m) == ROUTE_FOUND &&
	    m.route == &table[0] && m.ncap == 0, "literal");
	CHECK(find("HEAD", "/healthz", &m) == ROUTE_FOUND &&
	    m.route == &table[0], "HEAD takes GET");
	CHECK(find("GET", "/", &m) == ROUTE_FOUND && m.route == &table[7],
	    "root");
	CHECK(find("GET", "/v1/jobs", &m) == ROUTE_FOUND &&
	    m.route == &table[2], "method picks the route");
	CHECK(find("GET", "/v1/jobs/j%2D1", &m) == ROUTE_FOUND &&
	    m.route == &table[3] && m.ncap == 1 && m.cap[0].n == 3 &&
	    memcmp(m.cap[0].p, "j-1", 3) == 0, "capture decoded: %.*s",
	    (int)m.cap[0].n, m.cap[0].p);
	CHECK(find("GET", "/v1/jobs/abc/events", &m) == ROUTE_FOUND &&
	    m.route == &table[5] && m.cap[0].n == 3, "capture in the middle");
	CHECK(find("POST", "/projects/p1/ingest/github", &m) == ROUTE_FOUND &&
	    m.cap[0].n == 2, "project capture");
	CHECK(find("GET", "/v1/jobs/", &m) == ROUTE_NOT_FOUND,
	    "empty capture");
	CHECK(find("GET", "/v1/jobs/a%2Fb", &m) == ROUTE_NOT_FOUND,
	    "an encoded slash is no segment");
	CHECK(find("GET", "/v1/jobs/a%00b", &m) == ROUTE_NOT_FOUND,
	    "an encoded NUL");
	CHECK(find("GET", "/v1/jobs/a%zz", &m) == ROUTE_NOT_FOUND,
	    "a bad escape");
	CHECK(find("GET", "/v1/jobs/a%4", &m) == ROUTE_NOT_FOUND,
	    "a cut escape");
	CHECK(find("GET", "/healthz/", &m) == ROUTE_NOT_FOUND,
	    "a trailing slash is another path");
	CHECK(find("GET", "/nope", &m) == ROUTE_NOT_FOUND, "no route");
	CHECK(find("PUT", "/v1/jobs", &m) == ROUTE_METHOD &&
	    strcmp(m.allow, "POST, GET, HEAD") == 0, "405: %s", m.allow);
	CHECK(find("POST", "/v1/jobs/x", &m) == ROUTE_METHOD &&
	    strcmp(m.allow, "GET, HEAD, DELETE") == 0, "405: %s", m.allow);
	CHECK(find("GET", "", &m) == ROUTE_NOT_FOUND, "empty path");

	q.p = (const uint8_t *)"a=1&access_token=s%20t&b";
	q.n = strlen((const char *)q.p);
	CHECK(route_query(q, "access_token", v, sizeof v, &n) == 1 &&
	    n == 3 && memcmp(v, "s t", 3) == 0, "query value decoded");
	CHECK(route_query(q, "b", v, sizeof v, &n) == 1 && n == 0,
	    "query name alone");
	CHECK(route_query(q, "c", v, sizeof v, &n) == 0, "query absent");
	CHECK(route_query(q, "access_toke", v, sizeof v, &n) == 0,
	    "a prefix is not a name");
	q.p = (const uint8_t *)"x=%G1";
	q.n = 5;
	CHECK(route_query(q, "x", v, sizeof v, &n) == -1, "bad escape");
	CHECK(route_unescape((const uint8_t *)"abc", 3, v, 2) == (size_t)-1,
	    "no room");
}

/* ------------------------------------------------------------ auth */

static int
auth_of(const char *head, const char *token, int query)
{
	struct req r;
	struct req_header h[REQ_HEADERS_MAX];

	if (req_parse((const uint8_t *)head, strlen(head), 0, &r, h,
	    REQ_HEADERS_MAX) <= 0)
		return -1;
	return auth_check(token, &r, query);
}

static void
test_auth(void)
{
	struct req r;
	struct req_header h[REQ_HEADERS_MAX];
	struct err_ctx e;
	char shown[64], line[256];
	const char *q = "GET /ws?x=1&access_token=sekrit&y=2 HTTP/1.1\r\n"
	    H11 "\r\n";

	CHECK(auth_of("GET / HTTP/1.1\r\n" H11 "\r\n", NULL, 0) == 0,
	    "no token: open");
	CHECK(auth_of("GET / HTTP/1.1\r\n" H11 "\r\n", "sekrit", 0) ==
	    ERR_AUTH, "token: needed");
	CHECK(auth_of("GET / HTTP/1.1\r\n" H11
	    "Authorization: Bearer sekrit\r\n\r\n", "sekrit", 0) == 0,
	    "bearer");
	CHECK(auth_of("GET / HTTP/1.1\r\n" H11
	    "Authorization: bearer sekrit\r\n\r\n", "sekrit", 0) == 0,
	    "scheme in any case");
	CHECK(auth_of("GET / HTTP/1.1\r\n" H11
	    "Authorization: Bearer sekri\r\n\r\n", "sekrit", 0) == ERR_AUTH,
	    "a prefix of the token");
	CHECK(auth_of("GET / HTTP/1.1\r\n" H11
	    "Authorization: Bearer sekritt\r\n\r\n", "sekrit", 0) == ERR_AUTH,
	    "the token and more");
	CHECK(auth_of("GET / HTTP/1.1\r\n" H11
	    "Authorization: Basic sekrit\r\n\r\n", "sekrit", 0) == ERR_AUTH,
	    "another scheme");
	CHECK(auth_of(q, "sekrit", 1) == 0, "query token where allowed");
	CHECK(auth_of(q, "sekrit", 0) == ERR_AUTH, "query token elsewhere");
	CHECK(auth_equal((const uint8_t *)"", 0, (const uint8_t *)"", 0) &&
	    !auth_equal((const uint8_t *)"a", 1, (const uint8_t *)"", 0),
	    "empty compare");

	req_parse((const uint8_t *)q, strlen(q), 0, &r, h, REQ_HEADERS_MAX);
	auth_show_target(&r, shown, sizeof shown);
	CHECK(strcmp(shown, "/ws?x=1&y=2") == 0, "shown: %s", shown);
	auth_show_target(&r, shown, 10);
	CHECK(strcmp(shown, "/ws?x=...") == 0, "shown, cut: %s", shown);
	q = "GET /ws?access_token=sekrit HTTP/1.1\r\n" H11 "\r\n";
	req_parse((const uint8_t *)q, strlen(q), 0, &r, h, REQ_HEADERS_MAX);
	auth_show_target(&r, shown, sizeof shown);
	CHECK(strcmp(shown, "/ws") == 0, "shown alone: %s", shown);

	CHECK(auth_loopback("127.0.0.1") && auth_loopback("127.9.8.7") &&
	    auth_loopback("::1") && auth_loopback("localhost") &&
	    !auth_loopback("0.0.0.0") && !auth_loopback("::") &&
	    !auth_loopback("10.0.0.1") && !auth_loopback("128.0.0.1"),
	    "loopback");
	CHECK(auth_listen_check("127.0.0.1", NULL, &e) == 0 &&
	    auth_listen_check("0.0.0.0", "t", &e) == 0, "listen allowed");
	memset(&e, 0, sizeof e);
	CHECK(auth_listen_check("0.0.0.0", "", &e) == ERR_USAGE, "listen "
	    "refused");
	err_format(&e, line, sizeof line);
	CHECK(strstr(line, "REPODIGEST_API_TOKEN") != NULL &&
	    strstr(line, "0.0.0.0") != NULL, "names the variable: %s", line);
}

int
main(void)
{
	test_table();
	test_limits();
	test_lookup();
	test_chunked();
	test_resp();
	test_routes();
	test_auth();
	return T_DONE();
}
