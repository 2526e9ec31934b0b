/*
 * test_page.c - the service's page (page.h): the built-in assets (their
 * gzip members inflate to what src/svc/page holds, byte for byte, and the
 * whole fits its budget), Accept-Encoding and If-None-Match as browsers,
 * curl and hostile clients send them, and the Content-Security-Policy for
 * a good and a hostile Host.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "page.h"
#include "t.h"

static struct slice
S(const char *s)
{
	struct slice v = { (const uint8_t *)s, strlen(s) };

	return v;
}

static void
test_assets(void)
{
	static const char *const file[] = { "src/svc/page/index.html",
	    "src/svc/page/app.js", "src/svc/page/style.css" };
	static unsigned char want[1 << 20], got[1 << 20];
	size_t total = 0;

	CHECK(page_nassets == 3, "%zu assets", page_nassets);
	CHECK(page_find(S("/")) == &page_assets[0] &&
	    page_find(S("/app.js")) != NULL &&
	    page_find(S("/style.css")) != NULL &&
	    page_find(S("/app.j")) == NULL && page_find(S("")) == NULL &&
	    page_find(S("/APP.JS")) == NULL, "lookup by exact path");
	for (size_t i = 0; i < page_nassets && i < 3; i++) {
		const struct page_asset *a = &page_assets[i];
		FILE *f = fopen(file[i], "rb");
		size_t n = f ? fread(want, 1, sizeof want, f) : 0;
		uLongf gn = sizeof got;
		z_stream z;

		if (f)
			fclose(f);
		memset(&z, 0, sizeof z);
		inflateInit2(&z, 15 + 16);
		z.next_in = (unsigned char *)(uintptr_t)a->gz;
		z.avail_in = (uInt)a->gz_n;
		z.next_out = got;
		z.avail_out = (uInt)sizeof got;
		CHECK(inflate(&z, Z_FINISH) == Z_STREAM_END, "%s inflates",
		    a->path);
		gn = z.total_out;
		inflateEnd(&z);
		CHECK(n > 0 && gn == n && a->n == n &&
		    memcmp(got, want, n) == 0, "%s is %s (%zu, %lu bytes)",
		    a->path, file[i], n, (unsigned long)gn);
		/* gzip -n: no name flag, mtime 0 */
		CHECK(a->gz_n > 10 && a->gz[0] == 0x1f && a->gz[1] == 0x8b &&
		    a->gz[3] == 0 && a->gz[4] == 0 && a->gz[5] == 0 &&
		    a->gz[6] == 0 && a->gz[7] == 0, "%s: a bare gzip header",
		    a->path);
		CHECK(strlen(a->etag) == 18 && a->etag[0] == '"' &&
		    a->etag[17] == '"', "%s: etag %s", a->path, a->etag);
		total += a->gz_n;
	}
	CHECK(total <= 48u << 10, "the page is %zu bytes compressed", total);
}

static void
test_accept(void)
{
	static const struct {
		const char *v;
		int want;
	} c[] = {
		{ "", 0 },                      /* no header: identity */
		{ "gzip", 1 },
		{ "gzip, deflate, br, zstd", 1 },       /* Chromium */
		{ "deflate, gzip;q=1.0, *;q=0.5", 1 },
		{ "GZIP", 1 },
		{ "x-gzip", 1 },
		{ " \tgzip \t", 1 },
		{ "gzip;q=0", 0 },
		{ "gzip; q=0.000", 0 },
		{ "gzip;Q=0.", 0 },
		{ "gzip;q=0.001", 1 },
		{ "gzip;level=1;q=0", 0 },
		{ "gzip;q=0;level=1", 0 },
		{ "*", 1 },
		{ "*;q=0", 0 },
		{ "*;q=0, gzip", 1 },
		{ "gzip;q=0, *", 0 },            /* named beats the star */
		{ "identity", 0 },
		{ "deflate, br", 0 },
		{ "gzipx", 0 },
		{ "gzi", 0 },
		{ ",,,;;;=", 0 },
		{ "gzip;", 1 },
		{ ";gzip", 0 },
		{ "gzip,", 1 },
	};

	struct slice none = { NULL, 0 };

	CHECK(page_accepts_gzip(none) == 0 && page_etag_match(none, "\"x\"") ==
	    0, "no header at all (a NULL slice)");
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
		CHECK(page_accepts_gzip(S(c[i].v)) == c[i].want,
		    "Accept-Encoding \"%s\": want %d", c[i].v, c[i].want);
}

static void
test_etag(void)
{
	const char *t = "\"abcdef0123456789-gz\"";

	CHECK(page_etag_match(S("\"abcdef0123456789-gz\""), t), "exact");
	CHECK(page_etag_match(S("W/\"abcdef0123456789-gz\""), t), "weak");
	CHECK(page_etag_match(S("\"x\", \"abcdef0123456789-gz\""), t),
	    "in a list");
	CHECK(page_etag_match(S("*"), t) && page_etag_match(S(" * "), t),
	    "star");
	CHECK(!page_etag_match(S("\"abcdef0123456789\""), t),
	    "the identity tag is not the gzip one");
	CHECK(!page_etag_match(S(""), t) && !page_etag_match(S(","), t) &&
	    !page_etag_match(S("abcdef0123456789-gz"), t) &&
	    !page_etag_match(S("W/"), t) && !page_etag_match(S("**"), t),
	    "no match");
}

static void
test_csp(void)
{
	char out[768];

	page_csp(S("127.0.0.1:3030"), out, sizeof out);
	CHECK(strncmp(out, "default-src 'self'; connect-src 'self' "
	    "ws://127.0.0.1:3030 wss://127.0.0.1:3030; ", 80) == 0 &&
	    strstr(out, "frame-ancestors 'none'") &&
	    strstr(out, "object-src 'none'") && !strstr(out, "unsafe"),
	    "%s", out);
	page_csp(S("[::1]:8080"), out, sizeof out);
	CHECK(strstr(out, "ws://[::1]:8080 wss://[::1]:8080;") != NULL,
	    "%s", out);
	page_csp(S("evil; script-src *"), out, sizeof out);
	CHECK(strncmp(out, "default-src 'self'; connect-src 'self'; ", 40) ==
	    0 && !strstr(out, "evil") && !strstr(out, "*"),
	    "a hostile Host adds nothing: %s", out);
	page_csp(S(""), out, sizeof out);
	CHECK(!strstr(out, "ws:"), "no Host: 'self' only: %s", out);
}

int
main(void)
{
	test_assets();
	test_accept();
	test_etag();
	test_csp();
	return T_DONE();
}
