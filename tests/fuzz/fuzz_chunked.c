/*
 * fuzz_chunked.c - libFuzzer target for the chunked decoder.
 *
 * The input is a chunked body; a fixed "HTTP/1.1 200 OK" head with
 * Transfer-Encoding: chunked goes in front. The body is pushed in pieces of
 * hash-chosen sizes and the outcome compared with a plain, non-streaming
 * decoder of the same grammar and limits written below (RFC 9112 7.1):
 * the same verdict (complete / truncated / malformed), the same decoded
 * bytes, the same number of bytes left after the end. Any disagreement, or
 * a BODY event outside the pushed bytes, aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "http.h"
#include "pieces.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct http_resp_parser R;
static uint8_t got[1 << 20], want[1 << 20];

static const char head[] =
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

enum { V_DONE, V_SHORT, V_BAD };

static int
hexv(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The reference: whole input at once, straight-line code. */
static int
reference(const uint8_t *p, size_t n, size_t *outn, size_t *end)
{
	size_t i = 0, o = 0;

	*outn = 0;
	for (;;) {
		uint64_t sz = 0;
		size_t line = 0;
		int digits = 0, h;

		for (;;) {
			if (i == n)
				return *outn = o, V_SHORT;
			if (++line > HTTP_CHUNK_LINE_MAX)
				return *outn = o, V_BAD;
			if ((h = hexv(p[i])) >= 0) {
				if (sz >> 60)
					return *outn = o, V_BAD;
				sz = sz << 4 | (uint64_t)h;
				digits = 1;
				i++;
				continue;
			}
			if (!digits)
				return *outn = o, V_BAD;
			if (p[i] == '\r') {
				i++;
				break;
			}
			if (p[i] != ';' && p[i] != ' ' && p[i] != '\t')
				return *outn = o, V_BAD;
			for (i++;; i++) {
				if (i == n)
					return *outn = o, V_SHORT;
				if (++line > HTTP_CHUNK_LINE_MAX)
					return *outn = o, V_BAD;
				if (p[i] == '\r')
					break;
				if (p[i] != '\t' &&
				    (p[i] < 0x20 || p[i] == 0x7f))
					return *outn = o, V_BAD;
			}
			i++;
			break;
		}
		if (i == n)
			return *outn = o, V_SHORT;
		if (p[i++] != '\n')
			return *outn = o, V_BAD;
		if (sz == 0)
			break;
		if (n - i < sz) {
			memcpy(want + o, p + i, n - i);
			*outn = o + (n - i);
			return V_SHORT;
		}
		memcpy(want + o, p + i, (size_t)sz);
		o += (size_t)sz;
		i += (size_t)sz;
		if (i == n)
			return *outn = o, V_SHORT;
		if (p[i++] != '\r')
			return *outn = o, V_BAD;
		if (i == n)
			return *outn = o, V_SHORT;
		if (p[i++] != '\n')
			return *outn = o, V_BAD;
	}
	/* trailers: skipped, counted, CRLF-terminated */
	{
		size_t tb = 0;
		for (;;) {
			size_t ll = 0;
			for (;;) {
				if (i == n)
					return *outn = o, V_SHORT;
				if (++tb > HTTP_TRAILER_MAX)
					return *outn = o, V_BAD;
				if (p[i] == '\r') {
					i++;
					break;
				}
				if (p[i] == '\n' || p[i] == 0)
					return *outn = o, V_BAD;
				ll++;
				i++;
			}
			if (i == n)
				return *outn = o, V_SHORT;
			if (p[i++] != '\n')
				return *outn = o, V_BAD;
			if (ll == 0)
				break;
		}
	}
	*outn = o;
	*end = i;
	return V_DONE;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct split sp;
	const uint8_t *p;
	size_t n, gn = 0, wn, end = 0, left = 0;
	int verdict = -1, v, over = 0;
	struct http_ev ev;

	if (size > sizeof got)
		return 0;
	split_init(&sp, data, size, 64, 8);
	http_resp_init(&R, 0);
	if (http_resp_push(&R, (const uint8_t *)head, sizeof head - 1, &ev) !=
	    sizeof head - 1 || ev.type != HTTP_EV_HEADERS)
		abort();
	while (!over && split_next(&sp, &p, &n)) {
		for (;;) {
			size_t c = http_resp_push(&R, p, n, &ev);

			if (c > n)
				abort();
			if (ev.type == HTTP_EV_BODY) {
				if (ev.len == 0 || ev.data < p ||
				    ev.data + ev.len > p + c)
					abort();
				memcpy(got + gn, ev.data, ev.len);
				gn += ev.len;
			} else if (ev.type == HTTP_EV_DONE) {
				verdict = V_DONE;
				left = (n - c) + (size - sp.off);
				over = 1;
			} else if (ev.type == HTTP_EV_ERROR) {
				if (ev.err == ERR_HTTP_CHUNK_SIZE ||
				    ev.err == ERR_HTTP_CHUNK ||
				    ev.err == ERR_HTTP_TRAILER_SIZE)
					verdict = V_BAD;
				else
					abort();
				over = 1;
			} else if (ev.type == HTTP_EV_HEADERS) {
				abort();
			}
			p += c;
			n -= c;
			if (over || (n == 0 && ev.type == HTTP_EV_NONE))
				break;
		}
	}
	if (!over) {
		int e = http_resp_eof(&R);
		if (e != ERR_HTTP_TRUNCATED)
			abort();
		verdict = V_SHORT;
	}
	v = reference(data, size, &wn, &end);
	if (v != verdict || wn != gn || memcmp(got, want, gn) != 0)
		abort();
	if (v == V_DONE && left != size - end)
		abort();
	return 0;
}
