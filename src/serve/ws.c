/*
 * ws.c - WebSocket handshake, client frame parser and frame writer
 * (RFC 6455). See ws.h.
 *
 * The parser: the frame head (2 bytes, then 0, 2 or 8 length bytes, then
 * the 4-byte mask) is gathered byte by byte into w->head and checked as a
 * whole before any payload is taken, so a bad or oversized frame fails
 * before its payload is read. Data payload is unmasked in the caller's
 * buffer and reported piece by piece (text fed to the streaming UTF-8
 * validator first, so bad text fails at its first bad byte); control
 * payload is gathered into w->ctl and reported when whole.
 */
#include <string.h>

#include <bearssl_hash.h>

#include "err.h"
#include "hfield.h"
#include "ws.h"

enum {
	S_HEAD = 0,     /* gathering the frame head */
	S_PAYLOAD,      /* payload bytes */
	S_END,          /* a final data frame ended: MESSAGE owed */
	S_CLOSED,       /* after a close frame: ignore the rest */
	S_ERROR
};

/* see ws.h */
void
ws_init(struct ws_parser *w, uint64_t msg_max)
{
	memset(w, 0, sizeof *w);
	w->head_need = 2;
	w->msg_max = msg_max;
}

/* see ws.h */
int
ws_close_code(int err)
{
	switch (err) {
	case ERR_WS_UTF8:
		return 1007;
	case ERR_WS_TOO_BIG:
		return 1009;
	default:
		return 1002;
	}
}

static size_t
fail(struct ws_parser *w, int e, size_t used, struct ws_ev *ev)
{
	w->state = S_ERROR;
	w->err = e;
	ev->type = WS_EV_ERROR;
	ev->err = e;
	ev->code = ws_close_code(e);
	return used;
}

/* Close codes a peer may send (RFC 6455 section 7.4; 1012-1014 are IANA
 * registered since); 1004-1006 and 1015 are reserved, never sent. */
static int
close_code_ok(int c)
{
	return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) ||
	    (c >= 3000 && c <= 4999);
}

/* The head is whole: check it, then set up the payload. 0 or an error. */
static int
head_done(struct ws_parser *w)
{
	const uint8_t *h = w->head;
	int op = h[0] & 0x0f, len7 = h[1] & 0x7f;
	uint64_t len = (uint64_t)len7;
	size_t at = 2;

	if (len7 == 126) {
		len = (uint64_t)h[2] << 8 | h[3];
		at = 4;
		if (len < 126)
			return ERR_WS_LENGTH;
	} else if (len7 == 127) {
		len = 0;
		for (int i = 0; i < 8; i++)
			len = len << 8 | h[2 + i];
		at = 10;
		if (len < 65536 || len >> 63)
			return ERR_WS_LENGTH;
	}
	memcpy(w->mask, h + at, 4);
	w->mask_at = 0;
	w->fin = h[0] >> 7;
	w->opcode = op;
	w->remaining = len;
	if (op & 0x8) {
		if (!w->fin || len > WS_CONTROL_MAX)
			return ERR_WS_CONTROL;
		w->ctl_len = 0;
	} else if (op == WS_CONT) {
		if (w->msg_opcode == 0)
			return ERR_WS_SEQUENCE;
	} else {
		if (w->msg_opcode != 0)
			return ERR_WS_SEQUENCE;
		w->msg_opcode = op;
		w->msg_len = 0;
		utf8v_init(&w->utf8);
	}
	if (!(op & 0x8)) {
		if (len > w->msg_max - w->msg_len)
			return ERR_WS_TOO_BIG;
		w->msg_len += len;
	}
	return 0;
}

/* The second head byte decides how long the head is; the first is
 * checked as soon as it arrives. */
static int
head_byte(struct ws_parser *w, uint8_t c)
{
	w->head[w->head_len++] = c;
	if (w->head_len == 1) {
		int op = c & 0x0f;
		if (c & 0x70)
			return ERR_WS_RESERVED;
		if (!(op <= WS_BINARY || (op >= WS_CLOSE && op <= WS_PONG)))
			return ERR_WS_RESERVED;
	} else if (w->head_len == 2) {
		int len7 = c & 0x7f;
		if (!(c & 0x80))
			return ERR_WS_UNMASKED;
		w->head_need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + 4;
	}
	return 0;
}

static void
unmask(struct ws_parser *w, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		p[i] ^= w->mask[w->mask_at];
		w->mask_at = (w->mask_at + 1) & 3;
	}
}

/* A control frame is whole: report it. */
static size_t
control(struct ws_parser *w, size_t used, struct ws_ev *ev)
{
	w->state = S_HEAD;
	ev->data = w->ctl;
	ev->len = w->ctl_len;
	if (w->opcode == WS_PING) {
		ev->type = WS_EV_PING;
	} else if (w->opcode == WS_PONG) {
		ev->type = WS_EV_PONG;
	} else {
		ev->code = 1005;        /* "no status received" */
		ev->data = w->ctl + 2;
		ev->len = 0;
		if (w->ctl_len == 1)
			return fail(w, ERR_WS_CLOSE, used, ev);
		if (w->ctl_len >= 2) {
			ev->code = w->ctl[0] << 8 | w->ctl[1];
			ev->len = w->ctl_len - 2;
			if (!close_code_ok(ev->code))
				return fail(w, ERR_WS_CLOSE, used, ev);
			if (!utf8_valid(w->ctl + 2, w->ctl_len - 2))
				return fail(w, ERR_WS_UTF8, used, ev);
		}
		ev->type = WS_EV_CLOSE;
		w->state = S_CLOSED;
	}
	return used;
}

/* The frame's payload ended (a data frame's). */
static void
frame_end(struct ws_parser *w)
{
	w->state = w->fin ? S_END : S_HEAD;
}

/* see ws.h */
size_t
ws_push(struct ws_parser *w, uint8_t *p, size_t n, struct ws_ev *ev)
{
	size_t i = 0;
	int e;

	memset(ev, 0, sizeof *ev);
	for (;;) {
		switch (w->state) {
		case S_ERROR:
			ev->type = WS_EV_ERROR;
			ev->err = w->err;
			ev->code = ws_close_code(w->err);
			return i;
		case S_CLOSED:
			return n;
		case S_END:
			if (w->msg_opcode == WS_TEXT) {
				utf8v_end(&w->utf8);
				if (w->utf8.bad)
					return fail(w, ERR_WS_UTF8, i, ev);
			}
			ev->type = WS_EV_MESSAGE;
			ev->opcode = w->msg_opcode;
			w->msg_opcode = 0;
			w->state = S_HEAD;
			return i;
		case S_HEAD:
			if (i == n)
				return i;
			if ((e = head_byte(w, p[i])) != 0)
				return fail(w, e, i, ev);
			i++;
			if (w->head_len < w->head_need)
				break;
			e = head_done(w);
			w->head_len = 0;
			w->head_need = 2;
			if (e != 0)
				return fail(w, e, i, ev);
			w->state = S_PAYLOAD;
			if (w->remaining == 0) {
				if (w->opcode & 0x8)
					return control(w, i, ev);
				frame_end(w);
			}
			break;
		case S_PAYLOAD: {
			size_t take = n - i;
			if (take == 0)
				return i;
			if (take > w->remaining)
				take = (size_t)w->remaining;
			unmask(w, p + i, take);
			w->remaining -= take;
			if (w->opcode & 0x8) {
				memcpy(w->ctl + w->ctl_len, p + i, take);
				w->ctl_len += take;
				i += take;
				if (w->remaining == 0)
					return control(w, i, ev);
				break;
			}
			if (w->msg_opcode == WS_TEXT) {
				utf8v_feed(&w->utf8, p + i, take);
				if (w->utf8.bad)
					return fail(w, ERR_WS_UTF8, i, ev);
			}
			ev->type = WS_EV_DATA;
			ev->opcode = w->msg_opcode;
			ev->data = p + i;
			ev->len = take;
			if (w->remaining == 0)
				frame_end(w);
			return i + take;
		}
		}
	}
}

/* ------------------------------------------------------------ handshake */

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* see ws.h */
void
ws_accept(const uint8_t *key, size_t n, char out[WS_ACCEPT_LEN + 1])
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	br_sha1_context c;
	uint8_t h[br_sha1_SIZE];
	size_t o = 0;

	br_sha1_init(&c);
	br_sha1_update(&c, key, n);
	br_sha1_update(&c, guid, sizeof guid - 1);
	br_sha1_out(&c, h);
	/* 20 bytes: six whole groups and one of two bytes ("=" padded) */
	for (size_t i = 0; i < br_sha1_SIZE; i += 3) {
		uint32_t v = (uint32_t)h[i] << 16 | (uint32_t)h[i + 1] << 8 |
		    (i + 2 < br_sha1_SIZE ? h[i + 2] : 0);
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = i + 2 < br_sha1_SIZE ? b64[v & 63] : '=';
	}
	out[o] = '\0';
}

/* base64 of exactly 16 bytes: 22 alphabet characters, the last one with
 * its low four bits zero, then "==" (RFC 6455 section 4.1, item 7). */
static int
key_ok(struct slice k)
{
	const char *last;

	if (k.n != 24 || k.p[22] != '=' || k.p[23] != '=')
		return 0;
	for (size_t i = 0; i < 22; i++)
		if (k.p[i] == '=' || memchr(b64, k.p[i], 64) == NULL)
			return 0;
	last = memchr(b64, k.p[21], 64);
	return ((last - b64) & 15) == 0;
}

/* see ws.h */
int
ws_handshake(const struct req *r, char accept[WS_ACCEPT_LEN + 1])
{
	struct slice v, key;

	accept[0] = '\0';
	if (!hfield_eq(r->method.p, r->method.n, "GET") || r->minor < 1 ||
	    !r->upgrade || r->body != REQ_BODY_NONE)
		return ERR_WS_HANDSHAKE;
	if (!req_header(r, "upgrade", &v) ||
	    !hfield_list_has(v.p, v.n, "websocket"))
		return ERR_WS_HANDSHAKE;
	if (req_header_count(r, "sec-websocket-key") != 1 ||
	    !req_header(r, "sec-websocket-key", &key) || !key_ok(key))
		return ERR_WS_HANDSHAKE;
	if (req_header_count(r, "sec-websocket-version") != 1 ||
	    !req_header(r, "sec-websocket-version", &v) ||
	    v.n != 2 || memcmp(v.p, "13", 2) != 0)
		return ERR_WS_VERSION;
	ws_accept(key.p, key.n, accept);
	return 0;
}

/* ------------------------------------------------------------ writer */

/* see ws.h */
size_t
ws_frame_head(uint8_t out[WS_HEAD_MAX], int opcode, uint64_t len)
{
	out[0] = (uint8_t)(0x80 | (opcode & 0x0f));
	if (len < 126) {
		out[1] = (uint8_t)len;
		return 2;
	}
	if (len < 65536) {
		out[1] = 126;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		return 4;
	}
	out[1] = 127;
	for (int i = 0; i < 8; i++)
		out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
	return 10;
}

/* see ws.h */
size_t
ws_close_frame(uint8_t out[2 + WS_CONTROL_MAX], int code, const char *reason)
{
	size_t rn = reason ? strlen(reason) : 0;

	if (rn > WS_CONTROL_MAX - 2)
		rn = WS_CONTROL_MAX - 2;        /* ours: ASCII, cut anywhere */
	out[0] = 0x80 | WS_CLOSE;
	out[1] = (uint8_t)(2 + rn);
	out[2] = (uint8_t)(code >> 8);
	out[3] = (uint8_t)code;
	if (rn > 0)
		memcpy(out + 4, reason, rn);
	return 4 + rn;
}
