/*
 * fuzz_http.c - libFuzzer target for the HTTP response parser.
 *
 * Input: one flags byte (bit 0: the request was HEAD, bit 1: CONNECT), then
 * the response bytes, pushed in pieces whose sizes come from a hash of the
 * input (so a crash replays exactly), then EOF. Invariants checked with
 * abort(): a push never consumes more than it was given; BODY events are
 * non-empty and lie inside the bytes that push consumed; events come in the
 * order HEADERS, BODY*, DONE; the body adds up to http_resp_body_bytes()
 * and, when DONE with a Content-Length framed body, to the Content-Length;
 * DONE and ERROR stick; accessors stay inside the parser's buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "http.h"
#include "pieces.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct http_resp_parser R;

static void
in_head(struct slice v)
{
	const uint8_t *lo = R.head, *hi = R.head + R.head_len;

	if (v.n > 0 && (v.p < lo || v.p + v.n > hi))
		abort();
	for (size_t i = 0; i < v.n; i++)
		if (v.p[i] == '\r' || v.p[i] == '\n' || v.p[i] == 0)
			abort();
}

static void
poke_accessors(void)
{
	struct slice nm, v;
	char loc[HTTP_LOCATION_MAX + 1];
	size_t ln;
	uint64_t u;
	time_t t;

	in_head(http_resp_reason(&R));
	for (size_t i = 0; http_resp_field(&R, i, &nm, &v); i++) {
		in_head(nm);
		in_head(v);
		if (nm.n == 0)
			abort();
	}
	if (http_resp_location(&R, loc, sizeof loc, &ln) == 0 &&
	    (ln == 0 || strlen(loc) != ln))
		abort();
	if (http_resp_retry_after(&R, 1700000000, &u) &&
	    u > HTTP_RETRY_AFTER_MAX)
		abort();
	(void)http_resp_get_uint(&R, "x-ratelimit-reset", &u);
	(void)http_resp_date(&R, &t);
	(void)http_resp_keep_alive(&R);
	if (http_resp_status(&R) < 100 || http_resp_status(&R) > 599)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t body = 0, cl;
	struct split sp;
	const uint8_t *p;
	size_t n;
	int flags, headers = 0, over = 0, done = 0, err = 0, st;

	if (size == 0)
		return 0;
	split_init(&sp, data, size, 300, 4);
	sp.off = 1;             /* byte 0: the flags */
	flags = data[0] & 3;
	http_resp_init(&R, flags);
	while (!over && split_next(&sp, &p, &n)) {
		for (;;) {
			struct http_ev ev;
			size_t c = http_resp_push(&R, p, n, &ev);

			if (c > n)
				abort();
			switch (ev.type) {
			case HTTP_EV_NONE:
				if (c != n)
					abort();
				break;
			case HTTP_EV_HEADERS:
				if (headers++ || body)
					abort();
				poke_accessors();
				break;
			case HTTP_EV_BODY:
				if (!headers || ev.len == 0 || ev.data < p ||
				    ev.data + ev.len > p + c)
					abort();
				body += ev.len;
				break;
			case HTTP_EV_DONE:
				if (!headers)
					abort();
				done = over = 1;
				break;
			case HTTP_EV_ERROR:
				err = ev.err;
				if (err <= 0 || err >= ERR__COUNT)
					abort();
				over = 1;
				break;
			}
			p += c;
			n -= c;
			if (over || (n == 0 && ev.type == HTTP_EV_NONE))
				break;
		}
	}
	if (!over) {
		int e = http_resp_eof(&R);
		if (e == 0)
			done = 1;
		else
			err = e;
	}
	if (body != http_resp_body_bytes(&R))
		abort();
	st = http_resp_status(&R);
	if (done) {
		int nobody = (flags & HTTP_RESP_HEAD) || st < 200 ||
		    st == 204 || st == 304 ||
		    ((flags & HTTP_RESP_CONNECT) && st < 300);
		if (!http_resp_done(&R) || http_resp_error(&R) != 0)
			abort();
		if (nobody && body != 0)
			abort();
		if (!nobody && !http_resp_chunked(&R) &&
		    http_resp_content_length(&R, &cl) && body != cl)
			abort();
	} else {
		struct http_ev ev;
		if (err == 0 || http_resp_error(&R) != err ||
		    http_resp_eof(&R) != err ||
		    http_resp_push(&R, data, size, &ev) != 0 ||
		    ev.type != HTTP_EV_ERROR || ev.err != err)
			abort();
	}
	return 0;
}
