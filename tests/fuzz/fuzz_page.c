/*
 * fuzz_page.c - libFuzzer target for the page's header readers (page.h):
 * the input, cut at its first two newlines, is an Accept-Encoding value,
 * an If-None-Match value and a Host.
 *
 * Aborts if: page_accepts_gzip() or page_etag_match() answers other than
 * 0 or 1, or a value gets gzip after ", gzip;q=0" was appended to it
 * (the last word on a coding counts); a tag matches whose text is not in the
 * value (unless "*" is); the Content-Security-Policy does not start with
 * default-src 'self', has other than its 7 directives (a Host could add
 * one), holds a control byte or a quote outside 'self' and 'none', or
 * names the Host when it is not plain.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "page.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t both[70000];

static size_t
count(const char *s, char c)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *e = data + size, *a = data, *b, *h;
	struct slice ae, inm, host, z;
	static const char tag[] = "\"0123456789abcdef-gz\"";
	static const char off[] = ", gzip;q=0";
	char csp[768];
	int g, m;

	if (size > 65536)
		return 0;
	b = memchr(a, '\n', size);
	b = b ? b + 1 : e;
	h = memchr(b, '\n', (size_t)(e - b));
	h = h ? h + 1 : e;
	/* each part without its newline */
	ae = (struct slice){ a, (size_t)(b - a) - (b > a && b[-1] == '\n') };
	inm = (struct slice){ b, (size_t)(h - b) - (h > b && h[-1] == '\n') };
	host = (struct slice){ h, (size_t)(e - h) };

	g = page_accepts_gzip(ae);
	if (g != 0 && g != 1)
		abort();
	memcpy(both, ae.p, ae.n);
	memcpy(both + ae.n, off, sizeof off - 1);
	z = (struct slice){ both, ae.n + sizeof off - 1 };
	if (page_accepts_gzip(z) != 0)
		abort();

	m = page_etag_match(inm, tag);
	if (m != 0 && m != 1)
		abort();
	if (m && memchr(inm.p, '*', inm.n) == NULL) {
		int found = 0;

		for (size_t i = 0; i + sizeof tag - 1 <= inm.n && !found; i++)
			found = memcmp(inm.p + i, tag, sizeof tag - 1) == 0;
		if (!found)
			abort();
	}

	page_csp(host, csp, sizeof csp);
	if (strncmp(csp, "default-src 'self'; connect-src 'self'", 38) != 0 ||
	    count(csp, ';') != 6)
		abort();
	for (const char *p = csp; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '"' ||
		    *p == ',')
			abort();
	if (strstr(csp, "ws://") != NULL) {
		for (size_t i = 0; i < host.n; i++)
			if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]",
			    host.p[i]) == NULL || host.p[i] == 0)
				abort();
	}
	return 0;
}
