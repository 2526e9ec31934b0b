/*
 * test_ws.c - WebSocket (RFC 6455): the handshake (the RFC's own key and
 * accept value), the client frame parser on Autobahn's kinds of cases
 * (framing, fragmentation, control frames, UTF-8, sizes, close codes) and
 * the frame writer.
 *
 * Each frame sequence is fed whole, byte by byte and split at every
 * offset, from a fresh copy each time (the parser unmasks in place); the
 * events are written down as text (data pieces joined, since how data is
 * cut depends on the split) and must equal the case's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "req.h"
#include "t.h"
#include "ws.h"

/* ------------------------------------------------------------ frames */

static uint8_t seq[1 << 18];
static size_t seqn;

/* Append a client frame: masked unless mask < 0; len16/len64 force the
 * longer length forms. */
static void
frame(int fin, int rsv, int op, int mask, const void *p, size_t n,
    int form)
{
	static const uint8_t key[4] = { 0x37, 0xfa, 0x21, 0x3d };
	uint8_t *o = seq + seqn;
	size_t h = 0;

	o[h++] = (uint8_t)((fin ? 0x80 : 0) | (rsv << 4) | op);
	if (form == 64 || (form == 0 && n > 65535)) {
		o[h++] = (mask >= 0 ? 0x80 : 0) | 127;
		for (int i = 7; i >= 0; i--)
			o[h++] = (uint8_t)((uint64_t)n >> (8 * i));
	} else if (form == 16 || (form == 0 && n > 125)) {
		o[h++] = (mask >= 0 ? 0x80 : 0) | 126;
		o[h++] = (uint8_t)(n >> 8);
		o[h++] = (uint8_t)n;
	} else {
		o[h++] = (uint8_t)((mask >= 0 ? 0x80 : 0) | n);
	}
	if (mask >= 0) {
		memcpy(o + h, key, 4);
		h += 4;
	}
	for (size_t i = 0; i < n; i++)
		o[h + i] = ((const uint8_t *)p)[i] ^ (mask >= 0 ? key[i & 3] :
		    0);
	seqn += h + n;
}

#define T(fin, op, s) frame(fin, 0, op, 0, s, sizeof(s) - 1, 0)

/* The events of one feeding, as text: "D:bytes|M:1|P:bytes|C:1000:why|
 * E:1002:err". */
static char got[1 << 19];

/* Append s, then the number k (if k >= 0), then n bytes of p. */
static void
add(size_t *at, const char *s, int k, const void *p, size_t n)
{
	size_t sn = strlen(s);

	if (*at + sn + 24 + n >= sizeof got)
		return;
	memcpy(got + *at, s, sn);
	*at += sn;
	if (k >= 0)
		*at += (size_t)snprintf(got + *at, 24, "%d", k);
	if (p != NULL && n > 0)
		memcpy(got + *at, p, n);
	*at += p != NULL ? n : 0;
	got[*at] = '\0';
}

static void
feed(const uint8_t *in, size_t n, size_t split, int bytewise, uint64_t max)
{
	static uint8_t buf[sizeof seq];
	struct ws_parser w;
	size_t at = 0, g = 0, end;
	int in_data = 0;

	memcpy(buf, in, n);
	ws_init(&w, max);
	got[0] = '\0';
	while (at <= n) {
		struct ws_ev ev;
		size_t k;

		end = bytewise ? (at < n ? at + 1 : n) : at < split ? split : n;
		k = ws_push(&w, buf + at, end - at, &ev);
		if (k > end - at) {
			add(&g, "X:overrun|", -1, NULL, 0);
			return;
		}
		if (ev.type == WS_EV_DATA) {
			if (ev.data < buf + at || ev.data + ev.len > buf + at + k ||
			    ev.len == 0)
				add(&g, "X:data outside|", -1, NULL, 0);
			if (!in_data)
				add(&g, "D:", -1, NULL, 0);
			add(&g, "", -1, ev.data, ev.len);
			in_data = 1;
		} else if (ev.type != WS_EV_NONE) {
			if (in_data)
				add(&g, "|", -1, NULL, 0);
			in_data = 0;
		}
		switch (ev.type) {
		case WS_EV_MESSAGE:
			add(&g, "M:", ev.opcode, NULL, 0);
			add(&g, "|", -1, NULL, 0);
			break;
		case WS_EV_PING:
			add(&g, "P:", -1, ev.data, ev.len);
			add(&g, "|", -1, NULL, 0);
			break;
		case WS_EV_PONG:
			add(&g, "O:", -1, ev.data, ev.len);
			add(&g, "|", -1, NULL, 0);
			break;
		case WS_EV_CLOSE:
			add(&g, "C:", ev.code, NULL, 0);
			add(&g, ":", -1, ev.data, ev.len);
			add(&g, "|", -1, NULL, 0);
			break;
		case WS_EV_ERROR:
			add(&g, "E:", ev.code, NULL, 0);
			add(&g, ":", ev.err, NULL, 0);
			add(&g, "|", -1, NULL, 0);
			return;
		}
		at += k;
		if (at == n && ev.type == WS_EV_NONE)
			break;
	}
}

/*
 * For split feedings: the data of a text message that turns out bad is
 * reported as far as it was valid when it arrived, so how much of it
 * precedes the error depends on the split; drop that last data piece.
 */
static void
trim_before_error(char *s)
{
	char *e = strstr(s, "E:"), *d;

	if (e == NULL)
		return;
	*e = '\0';
	d = strrchr(s, 'D');
	*e = 'E';
	if (d != NULL && d[1] == ':' && strchr(d, '|') == e - 1 &&
	    (d == s || d[-1] == '|'))
		memmove(d, e, strlen(e) + 1);
}

/* Run the sequence built in seq[] and compare with want: the whole
 * feeding exactly, the split ones up to trim_before_error(). */
static void
check_seq(const char *name, const char *want, uint64_t max)
{
	static char whole[sizeof got], w2[sizeof got];

	feed(seq, seqn, seqn, 0, max);
	memcpy(whole, got, sizeof whole);
	CHECK(strcmp(whole, want) == 0, "%s: got %.200s want %s", name, whole,
	    want);
	snprintf(w2, sizeof w2, "%s", want);
	trim_before_error(w2);
	feed(seq, seqn, 0, 1, max);
	trim_before_error(got);
	CHECK(strcmp(got, w2) == 0, "%s: byte by byte: %.200s", name, got);
	for (size_t k = 1; k < seqn && seqn < 4096; k++) {
		feed(seq, seqn, k, 0, max);
		trim_before_error(got);
		CHECK(strcmp(got, w2) == 0, "%s: split %zu: %.200s", name,
		    k, got);
	}
	seqn = 0;
}

static char want[1 << 19];

static const char *
errs(int code, int err)
{
	snprintf(want + strlen(want), sizeof want - strlen(want), "E:%d:%d|",
	    code, err);
	return want;
}

static void
test_frames(void)
{
	static uint8_t big[70000];

	/* RFC 6455 section 5.7: a masked "Hello" */
	memcpy(seq, "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11);
	seqn = 11;
	check_seq("rfc hello", "D:Hello|M:1|", 1024);

	T(1, WS_TEXT, "hi");
	T(1, WS_BINARY, "\xff\x00");
	check_seq("text then binary", "D:hi|M:1|D:\xff", 1024);
	/* (the NUL ends the comparison above; binary may hold anything) */

	T(0, WS_TEXT, "Hel");
	T(1, WS_CONT, "lo");
	check_seq("fragmented", "D:Hello|M:1|", 1024);

	T(0, WS_TEXT, "Hel");
	T(1, WS_PING, "p");
	T(0, WS_CONT, "l");
	T(1, WS_PONG, "q");
	T(1, WS_CONT, "o");
	check_seq("control between fragments",
	    "D:Hel|P:p|D:l|O:q|D:o|M:1|", 1024);

	T(1, WS_TEXT, "");
	check_seq("empty message", "M:1|", 1024);

	T(0, WS_TEXT, "");
	T(0, WS_CONT, "");
	T(1, WS_CONT, "");
	check_seq("empty fragments", "M:1|", 1024);

	frame(1, 0, WS_TEXT, -1, "hi", 2, 0);
	want[0] = '\0';
	check_seq("unmasked", errs(1002, ERR_WS_UNMASKED), 1024);

	for (int rsv = 1; rsv < 8; rsv++) {
		frame(1, rsv, WS_TEXT, 0, "hi", 2, 0);
		want[0] = '\0';
		check_seq("reserved bit", errs(1002, ERR_WS_RESERVED), 1024);
	}
	for (int op = 3; op < 16; op++) {
		if (op >= WS_CLOSE && op <= WS_PONG)
			continue;
		frame(1, 0, op, 0, "", 0, 0);
		want[0] = '\0';
		check_seq("reserved opcode", errs(1002, ERR_WS_RESERVED),
		    1024);
	}

	memset(big, 'a', sizeof big);
	frame(1, 0, WS_PING, 0, big, 126, 0);
	want[0] = '\0';
	check_seq("ping of 126", errs(1002, ERR_WS_CONTROL), 1024);
	frame(1, 0, WS_PING, 0, big, 125, 0);
	snprintf(want, sizeof want, "P:%.125s|", (const char *)big);
	check_seq("ping of 125", want, 1024);
	frame(0, 0, WS_PING, 0, "x", 1, 0);
	want[0] = '\0';
	check_seq("fragmented ping", errs(1002, ERR_WS_CONTROL), 1024);

	T(1, WS_CONT, "x");
	want[0] = '\0';
	check_seq("continuation first", errs(1002, ERR_WS_SEQUENCE), 1024);
	T(0, WS_TEXT, "a");
	T(1, WS_TEXT, "b");
	snprintf(want, sizeof want, "D:a|");
	check_seq("text inside text", errs(1002, ERR_WS_SEQUENCE), 1024);

	frame(1, 0, WS_TEXT, 0, "hello", 5, 16);
	want[0] = '\0';
	check_seq("16-bit form for 5", errs(1002, ERR_WS_LENGTH), 1024);
	frame(1, 0, WS_BINARY, 0, big, 300, 64);
	want[0] = '\0';
	check_seq("64-bit form for 300", errs(1002, ERR_WS_LENGTH), 1 << 20);
	memcpy(seq, "\x82\xff\x80\0\0\0\0\0\0\0\x01\x02\x03\x04", 14);
	seqn = 14;
	want[0] = '\0';
	check_seq("64-bit top bit", errs(1002, ERR_WS_LENGTH), 1 << 20);
	frame(1, 0, WS_BINARY, 0, big, 65536, 0);
	feed(seq, seqn, seqn, 0, 1 << 20);
	CHECK(strncmp(got, "D:aaaa", 6) == 0 && strlen(got) == 2 + 65536 + 5 &&
	    strcmp(got + 2 + 65536, "|M:2|") == 0, "64-bit length: %zu",
	    strlen(got));
	seqn = 0;

	/* UTF-8: fail fast, across fragments, at the end */
	T(1, WS_TEXT, "ok\xff");
	want[0] = '\0';
	check_seq("bad utf-8", errs(1007, ERR_WS_UTF8), 1024);
	T(0, WS_TEXT, "\xe2");
	T(1, WS_CONT, "\x82\xac");
	check_seq("utf-8 across fragments", "D:\xe2\x82\xac|M:1|", 1024);
	T(1, WS_TEXT, "\xe2\x82");
	snprintf(want, sizeof want, "D:\xe2\x82|");
	check_seq("utf-8 cut at the end", errs(1007, ERR_WS_UTF8), 1024);
	T(1, WS_TEXT, "\xed\xa0\x80");
	want[0] = '\0';
	check_seq("surrogate", errs(1007, ERR_WS_UTF8), 1024);
	T(1, WS_TEXT, "\xc0\xaf");
	want[0] = '\0';
	check_seq("overlong", errs(1007, ERR_WS_UTF8), 1024);
	T(1, WS_BINARY, "\xc0\xaf");
	check_seq("binary is not text", "D:\xc0\xaf|M:2|", 1024);

	/* sizes */
	frame(1, 0, WS_TEXT, 0, big, 17, 0);
	want[0] = '\0';
	check_seq("over the limit", errs(1009, ERR_WS_TOO_BIG), 16);
	frame(0, 0, WS_TEXT, 0, big, 10, 0);
	frame(1, 0, WS_CONT, 0, big, 7, 0);
	snprintf(want, sizeof want, "D:aaaaaaaaaa|");
	check_seq("fragments over the limit", errs(1009, ERR_WS_TOO_BIG),
	    16);
	frame(1, 0, WS_TEXT, 0, big, 16, 0);
	check_seq("at the limit", "D:aaaaaaaaaaaaaaaa|M:1|", 16);

	/* close */
	frame(1, 0, WS_CLOSE, 0, "\x03\xe8" "bye", 5, 0);
	T(1, WS_TEXT, "after");
	check_seq("close", "C:1000:bye|", 1024);
	frame(1, 0, WS_CLOSE, 0, "", 0, 0);
	check_seq("close without code", "C:1005:|", 1024);
	frame(1, 0, WS_CLOSE, 0, "\x03", 1, 0);
	want[0] = '\0';
	check_seq("close of 1 byte", errs(1002, ERR_WS_CLOSE), 1024);
	{
		static const int badc[] = { 0, 999, 1004, 1005, 1006, 1015,
		    1016, 1100, 2000, 2999, 5000, 65535 };
		static const int okc[] = { 1000, 1001, 1002, 1003, 1007, 1008,
		    1009, 1010, 1011, 3000, 3999, 4000, 4999 };
		for (size_t i = 0; i < sizeof badc / sizeof badc[0]; i++) {
			uint8_t c[2] = { (uint8_t)(badc[i] >> 8),
			    (uint8_t)badc[i] };
			frame(1, 0, WS_CLOSE, 0, c, 2, 0);
			want[0] = '\0';
			check_seq("close code refused",
			    errs(1002, ERR_WS_CLOSE), 1024);
		}
		for (size_t i = 0; i < sizeof okc / sizeof okc[0]; i++) {
			uint8_t c[2] = { (uint8_t)(okc[i] >> 8),
			    (uint8_t)okc[i] };
			frame(1, 0, WS_CLOSE, 0, c, 2, 0);
			snprintf(want, sizeof want, "C:%d:|", okc[i]);
			check_seq("close code", want, 1024);
		}
	}
	frame(1, 0, WS_CLOSE, 0, "\x03\xe8\xff", 3, 0);
	want[0] = '\0';
	check_seq("close reason not utf-8", errs(1007, ERR_WS_UTF8), 1024);
	T(0, WS_TEXT, "a");
	frame(1, 0, WS_CLOSE, 0, "\x03\xe8", 2, 0);
	check_seq("close inside a message", "D:a|C:1000:|", 1024);
}

static void
test_writer(void)
{
	uint8_t h[WS_HEAD_MAX], c[2 + WS_CONTROL_MAX];
	char reason[200];

	CHECK(ws_frame_head(h, WS_TEXT, 0) == 2 && h[0] == 0x81 && h[1] == 0,
	    "empty");
	CHECK(ws_frame_head(h, WS_TEXT, 125) == 2 && h[1] == 125, "125");
	CHECK(ws_frame_head(h, WS_BINARY, 126) == 4 && h[0] == 0x82 &&
	    h[1] == 126 && h[2] == 0 && h[3] == 126, "126");
	CHECK(ws_frame_head(h, WS_TEXT, 65535) == 4 && h[2] == 0xff &&
	    h[3] == 0xff, "65535");
	CHECK(ws_frame_head(h, WS_TEXT, 65536) == 10 && h[1] == 127 &&
	    h[7] == 1 && h[8] == 0 && h[9] == 0, "65536");
	CHECK(ws_close_frame(c, 1008, "slow") == 8 && c[0] == 0x88 &&
	    c[1] == 6 && c[2] == 0x03 && c[3] == 0xf0 &&
	    memcmp(c + 4, "slow", 4) == 0, "close frame");
	memset(reason, 'r', sizeof reason - 1);
	reason[sizeof reason - 1] = '\0';
	CHECK(ws_close_frame(c, 1001, reason) == 2 + WS_CONTROL_MAX &&
	    c[1] == WS_CONTROL_MAX, "close reason cut to fit");
}

/* ------------------------------------------------------------ handshake */

static int
shake(const char *head, char *acc)
{
	struct req r;
	struct req_header hh[REQ_HEADERS_MAX];

	if (req_parse((const uint8_t *)head, strlen(head), 0, &r, hh,
	    REQ_HEADERS_MAX) <= 0)
		return -1;
	return ws_handshake(&r, acc);
}

#define UP "Host: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
#define KEY "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
#define V13 "Sec-WebSocket-Version: 13\r\n"

static void
test_handshake(void)
{
	char acc[WS_ACCEPT_LEN + 1];

	/* RFC 6455 section 1.3 */
	ws_accept((const uint8_t *)"dGhlIHNhbXBsZSBub25jZQ==", 24, acc);
	CHECK(strcmp(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") == 0, "accept %s",
	    acc);
	CHECK(shake("GET /ws HTTP/1.1\r\n" UP KEY V13 "\r\n", acc) == 0 &&
	    strcmp(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") == 0, "handshake");
	CHECK(shake("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: WebSocket\r\n"
	    "Connection: keep-alive, Upgrade\r\n" KEY V13 "\r\n", acc) == 0,
	    "token lists, any case (Firefox sends keep-alive, Upgrade)");
	CHECK(shake("GET /ws HTTP/1.1\r\n" UP KEY "\r\n", acc) ==
	    ERR_WS_VERSION, "no version");
	CHECK(shake("GET /ws HTTP/1.1\r\n" UP KEY
	    "Sec-WebSocket-Version: 8\r\n\r\n", acc) == ERR_WS_VERSION,
	    "version 8");
	CHECK(shake("GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\n"
	    KEY V13 "\r\n", acc) == ERR_WS_HANDSHAKE, "no Upgrade");
	CHECK(shake("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
	    KEY V13 "\r\n", acc) == ERR_WS_HANDSHAKE, "no Connection");
	CHECK(shake("POST /ws HTTP/1.1\r\n" UP KEY V13 "\r\n", acc) ==
	    ERR_WS_HANDSHAKE, "POST");
	CHECK(shake("GET /ws HTTP/1.0\r\n" UP KEY V13 "\r\n", acc) ==
	    ERR_WS_HANDSHAKE, "HTTP/1.0");
	CHECK(shake("GET /ws HTTP/1.1\r\n" UP V13 "\r\n", acc) ==
	    ERR_WS_HANDSHAKE, "no key");
	CHECK(shake("GET /ws HTTP/1.1\r\n" UP KEY KEY V13 "\r\n", acc) ==
	    ERR_WS_HANDSHAKE, "two keys");
	CHECK(shake("GET /ws HTTP/1.1\r\n" UP
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=\r\n" V13 "\r\n", acc) ==
	    ERR_WS_HANDSHAKE, "short key");
	CHECK(shake("GET /ws HTTP/1.1\r\n" UP
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZR==\r\n" V13 "\r\n",
	    acc) == ERR_WS_HANDSHAKE, "key of 16 bytes has zero low bits");
	CHECK(shake("GET /ws HTTP/1.1\r\n" UP
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub2!jZQ==\r\n" V13 "\r\n",
	    acc) == ERR_WS_HANDSHAKE, "key not base64");
	CHECK(shake("GET /ws HTTP/1.1\r\n" UP KEY V13
	    "Content-Length: 3\r\n\r\n", acc) == ERR_WS_HANDSHAKE,
	    "a body with the upgrade");
	CHECK(ws_close_code(ERR_WS_UTF8) == 1007 &&
	    ws_close_code(ERR_WS_TOO_BIG) == 1009 &&
	    ws_close_code(ERR_WS_RESERVED) == 1002, "close codes");
}

int
main(void)
{
	test_frames();
	test_writer();
	test_handshake();
	return T_DONE();
}
