/*
 * ws.h - WebSocket (RFC 6455) for the server side: the opening
 * handshake, a push parser for client frames, and the frame writer.
 * No I/O, no allocation.
 *
 * The parser takes the bytes as they arrive (any split), unmasks data in
 * place (zero copy: the caller's buffer must be writable) and reports
 * events: pieces of a data message, its end, and whole control frames
 * (ping, pong, close: at most 125 bytes, kept in the parser). It fails
 * the connection (RFC 6455 section 7.1.7) on what Autobahn's test suite
 * checks servers for, each with the close code to send:
 *   1002 protocol error: an unmasked client frame; a reserved bit (no
 *        extension is negotiated) or opcode; a fragmented or over-long
 *        control frame; a continuation with no message open or a new
 *        message inside an open one; a length not in its shortest form
 *        or with the top bit set; a close frame of 1 byte or with a code
 *        that may not be sent;
 *   1007 invalid UTF-8 in a text message (found at the first bad byte,
 *        across fragments) or in a close reason;
 *   1009 a message over the size limit (found at the frame header,
 *        before its payload is read).
 * Pings and pongs may come between the fragments of a message.
 */
#ifndef WS_H
#define WS_H

#include <stddef.h>
#include <stdint.h>

#include "req.h"
#include "utf8.h"

#define WS_CONTROL_MAX  125     /* RFC 6455 section 5.5 */
#define WS_HEAD_MAX     10      /* a server frame's head: 2 + 8 length */
#define WS_ACCEPT_LEN   28      /* base64 of a SHA-1 */

enum ws_opcode {
	WS_CONT = 0x0, WS_TEXT = 0x1, WS_BINARY = 0x2,
	WS_CLOSE = 0x8, WS_PING = 0x9, WS_PONG = 0xa
};

enum ws_event {
	WS_EV_NONE = 0,         /* all input consumed, need more */
	WS_EV_DATA,             /* data, len: a piece of the open message */
	WS_EV_MESSAGE,          /* the open message ended (opcode: its kind) */
	WS_EV_PING,             /* data, len: its payload (answer a pong) */
	WS_EV_PONG,
	WS_EV_CLOSE,            /* the peer closed: code (1005: none), reason */
	WS_EV_ERROR             /* fail the connection: code, err (sticky) */
};

struct ws_ev {
	int type;               /* enum ws_event */
	uint8_t *data;          /* DATA: in the caller's buffer; else in w */
	size_t len;
	int opcode;             /* DATA, MESSAGE: WS_TEXT or WS_BINARY */
	int code;               /* CLOSE: the peer's; ERROR: ours to send */
	int err;                /* ERROR: enum err_code */
};

struct ws_parser {              /* internal: see ws.c */
	int state;
	int err;
	uint8_t head[14];
	size_t head_len, head_need;
	int fin, opcode;
	uint64_t remaining;     /* payload bytes left in the frame */
	uint8_t mask[4];
	unsigned mask_at;
	int msg_opcode;         /* 0: no message open */
	uint64_t msg_len, msg_max;
	struct utf8v utf8;      /* the open text message, so far */
	uint8_t ctl[WS_CONTROL_MAX];
	size_t ctl_len;
};

/* Ready for a connection's first frame; messages over msg_max bytes are
 * refused (1009). */
void ws_init(struct ws_parser *w, uint64_t msg_max);

/*
 * Push n bytes; returns how many were consumed and fills *ev (one event
 * per call: loop while bytes remain or the event is not WS_EV_NONE). p is
 * unmasked in place. After WS_EV_CLOSE the parser takes and ignores
 * everything (nothing may follow a close); WS_EV_ERROR is sticky.
 */
size_t ws_push(struct ws_parser *w, uint8_t *p, size_t n, struct ws_ev *ev);

/* The close code for a parser error: 1007, 1009 or 1002. */
int ws_close_code(int err);

/*
 * Check an opening handshake (RFC 6455 section 4.2.1): GET, HTTP/1.1,
 * "Connection: upgrade", "Upgrade: websocket", one Sec-WebSocket-Key
 * that is base64 of 16 bytes, Sec-WebSocket-Version 13. Fills accept
 * (NUL-terminated) with Sec-WebSocket-Accept. 0, ERR_WS_VERSION (answer
 * 426 with "Sec-WebSocket-Version: 13"), or ERR_WS_HANDSHAKE (400).
 */
int ws_handshake(const struct req *r, char accept[WS_ACCEPT_LEN + 1]);

/* Sec-WebSocket-Accept for a key: base64(SHA-1(key GUID)). */
void ws_accept(const uint8_t *key, size_t n, char out[WS_ACCEPT_LEN + 1]);

/* A final, unmasked frame head for a payload of len bytes into out;
 * returns its length (2, 4 or 10). */
size_t ws_frame_head(uint8_t out[WS_HEAD_MAX], int opcode, uint64_t len);

/* A whole close frame (code, and reason cut to fit 125 bytes) into out;
 * returns its length. */
size_t ws_close_frame(uint8_t out[2 + WS_CONTROL_MAX], int code,
    const char *reason);

#endif
