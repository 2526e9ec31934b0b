/*
 * fuzz_req.c - libFuzzer target for the server's request head parser
 * (req.h), and for a chunked body after it (chunked.h) as the server
 * decodes it: in place, moving data down over its framing.
 *
 * The input is parsed whole, then again as it would arrive, in pieces of
 * hash-chosen sizes with last_len carried over. Aborts if: the verdicts
 * differ (a piece may only see "incomplete", or the whole's error early);
 * a head's length is over the input or REQ_HEAD_MAX; a slice points
 * outside the input; the framing contradicts itself (chunked with a
 * length, a length without the length body); the in-place decode gives
 * other bytes than a plain decode into a second buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chunked.h"
#include "err.h"
#include "pieces.h"
#include "req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t inplace[1 << 17], plain[1 << 17];

static void
inside(const struct slice *s, const uint8_t *p, size_t n)
{
	if (s->n == 0)
		return;
	/* the one exception: absolute-form without a path is "/" */
	if (s->n == 1 && s->p[0] == '/' && (s->p < p || s->p >= p + n))
		return;
	if (s->p < p || s->p + s->n > p + n)
		abort();
}

/* Decode body[0..n) twice: in place (the server's way) and plainly. */
static void
bodies(const uint8_t *body, size_t n)
{
	struct chunked a, b;
	size_t at = 0, dst = 0, pn = 0;
	int ev = CHUNKED_NEED, evb;
	const uint8_t *d;
	size_t dn;

	if (n > sizeof inplace)
		return;
	memcpy(inplace, body, n);
	chunked_init(&a);
	while (at < n) {
		size_t k = chunked_push(&a, inplace + at, n - at, &ev, &d, &dn);
		if (k > n - at)
			abort();
		if (ev == CHUNKED_DATA) {
			if (d < inplace + at || d + dn > inplace + at + k ||
			    inplace + dst > d)
				abort();
			memmove(inplace + dst, d, dn);
			dst += dn;
		}
		at += k;
		if (ev == CHUNKED_DONE || ev == CHUNKED_ERROR)
			break;
	}
	chunked_init(&b);
	at = 0;
	evb = CHUNKED_NEED;
	while (at < n) {
		size_t k = chunked_push(&b, body + at, 1, &evb, &d, &dn);
		if (evb == CHUNKED_DATA) {
			memcpy(plain + pn, d, dn);
			pn += dn;
		}
		at += k;
		if (evb == CHUNKED_DONE || evb == CHUNKED_ERROR)
			break;
	}
	if (chunked_done(&a) != chunked_done(&b) ||
	    chunked_error(&a) != chunked_error(&b))
		abort();
	if (pn != dst || memcmp(plain, inplace, dst) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct req r, w;
	struct req_header h[REQ_HEADERS_MAX], hw[REQ_HEADERS_MAX];
	struct split sp;
	const uint8_t *p;
	size_t n, have = 0, last = 0;
	int whole, v = REQ_INCOMPLETE;
	size_t maxh = 1 + split_hash(data, size) % REQ_HEADERS_MAX;

	if (size > 1 << 17)
		return 0;
	whole = req_parse(data, size, 0, &w, hw, maxh);
	if (whole > 0) {
		if ((size_t)whole > size || (size_t)whole > REQ_HEAD_MAX + REQ_HEAD_MAX)
			abort();
		if (w.nheaders > maxh)
			abort();
		inside(&w.method, data, size);
		inside(&w.target, data, size);
		inside(&w.path, data, size);
		inside(&w.query, data, size);
		inside(&w.host, data, size);
		for (size_t i = 0; i < w.nheaders; i++) {
			inside(&w.headers[i].name, data, size);
			inside(&w.headers[i].value, data, size);
			if (w.headers[i].name.n == 0)
				abort();
		}
		if (w.body == REQ_BODY_CHUNKED && (w.minor != 1))
			abort();
		if (w.body == REQ_BODY_LENGTH && w.length == 0)
			abort();
		if (w.body == REQ_BODY_CHUNKED)
			bodies(data + whole, size - (size_t)whole);
	} else if (whole == REQ_BAD) {
		if (w.err <= 0 || w.err >= ERR__COUNT || w.status < 400 ||
		    w.status > 505)
			abort();
	} else if (whole != REQ_INCOMPLETE) {
		abort();
	}
	/* the same bytes as they would arrive */
	split_init(&sp, data, size, 97, 6);
	while (split_next(&sp, &p, &n)) {
		have += n;
		v = req_parse(data, have, last, &r, h, maxh);
		if (v == REQ_INCOMPLETE) {
			last = have;
			continue;
		}
		break;
	}
	if (v == REQ_BAD) {
		if (whole != REQ_BAD || r.err != w.err)
			abort();
	} else if (v != whole) {
		abort();
	}
	return 0;
}
