/*
 * fuzz_ws.c - libFuzzer target for the WebSocket client frame parser
 * (ws.h). The first byte picks the message limit; the rest is frames,
 * pushed whole and then in pieces of hash-chosen sizes (each from a fresh
 * copy: the parser unmasks in place).
 *
 * Aborts if: a push consumes more than it was given; a data event lies
 * outside its piece or is empty; a close code reported is one that may
 * not be sent, or an error's close code is not 1002, 1007 or 1009; a
 * message's data is over the limit or (text) not UTF-8; the two feedings
 * disagree on the messages, control frames or the outcome.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "pieces.h"
#include "utf8.h"
#include "ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXIN (1 << 17)

struct run {
	uint8_t buf[MAXIN];
	uint8_t msg[MAXIN];
	size_t msg_n;
	uint64_t digest;        /* what happened, hashed in order */
	int end;                /* 0 more, 1 close, 2 error */
	int code;
};

static struct run A, B;

static uint64_t
mix(uint64_t h, uint64_t v)
{
	return (h ^ v) * 1099511628211ull;
}

static void
event(struct run *r, const struct ws_ev *ev, uint64_t max)
{
	switch (ev->type) {
	case WS_EV_DATA:
		if (r->msg_n + ev->len > max)
			abort();
		memcpy(r->msg + r->msg_n, ev->data, ev->len);
		r->msg_n += ev->len;
		break;
	case WS_EV_MESSAGE:
		if (ev->opcode == WS_TEXT && !utf8_valid(r->msg, r->msg_n))
			abort();
		r->digest = mix(r->digest, 0x100 + (uint64_t)ev->opcode);
		for (size_t i = 0; i < r->msg_n; i++)
			r->digest = mix(r->digest, r->msg[i]);
		r->msg_n = 0;
		break;
	case WS_EV_PING:
	case WS_EV_PONG:
		if (ev->len > WS_CONTROL_MAX)
			abort();
		r->digest = mix(r->digest, 0x200 + (uint64_t)ev->type);
		for (size_t i = 0; i < ev->len; i++)
			r->digest = mix(r->digest, ev->data[i]);
		break;
	case WS_EV_CLOSE:
		if (!(ev->code == 1005 || (ev->code >= 1000 && ev->code <= 1003)
		    || (ev->code >= 1007 && ev->code <= 1014) ||
		    (ev->code >= 3000 && ev->code <= 4999)))
			abort();
		if (!utf8_valid(ev->data, ev->len))
			abort();
		r->end = 1;
		r->code = ev->code;
		break;
	case WS_EV_ERROR:
		if (ev->code != 1002 && ev->code != 1007 && ev->code != 1009)
			abort();
		r->end = 2;
		r->code = ev->code;
		break;
	}
}

static void
feed(struct run *r, const uint8_t *in, size_t n, uint64_t max, int pieces)
{
	struct ws_parser w;
	struct split sp;
	const uint8_t *p;
	size_t pn;

	memcpy(r->buf, in, n);
	ws_init(&w, max);
	r->msg_n = 0;
	r->digest = 14695981039346656037ull;
	r->end = 0;
	r->code = 0;
	split_init(&sp, r->buf, n, pieces ? 37 : n + 1, pieces ? 5 : 1);
	while (r->end == 0 && split_next(&sp, &p, &pn)) {
		uint8_t *q = r->buf + (p - r->buf);
		for (;;) {
			struct ws_ev ev;
			size_t k = ws_push(&w, q, pn, &ev);
			if (k > pn)
				abort();
			if (ev.type == WS_EV_DATA && (ev.len == 0 ||
			    ev.data < q || ev.data + ev.len > q + k))
				abort();
			event(r, &ev, max);
			q += k;
			pn -= k;
			if (r->end || (pn == 0 && ev.type == WS_EV_NONE))
				break;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t max;

	if (size < 1 || size > MAXIN)
		return 0;
	max = (uint64_t)data[0] * 97;   /* 0 .. 24735 */
	feed(&A, data + 1, size - 1, max, 0);
	feed(&B, data + 1, size - 1, max, 1);
	/* a text message that turns bad is seen sooner or later in its
	 * data depending on the split, but the outcome is the same */
	if (A.end != B.end || A.code != B.code)
		abort();
	if (A.end != 2 && A.digest != B.digest)
		abort();
	return 0;
}
