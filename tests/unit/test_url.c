/*
 * test_url.c - URL parsing, RFC 3986 reference resolution, GitHub sources,
 * archive URLs. Table-driven: each row is an input and either the exact
 * expected output or the exact expected error code. Hostile rows cover
 * userinfo tricks, look-alike hosts, numeric hosts inet_aton() would read,
 * IPv6 zone ids, control bytes, backslashes, bad escapes, traversal in
 * refs, and every length limit at and one past the boundary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "url.h"
#include "t.h"

static struct url U, B;

/* ------------------------------------------------------------ parse */

static const struct {
	const char *in;
	int err;
	const char *canon;      /* url_format() of the result */
	const char *host;
	unsigned port;
	const char *target;
	int kind;
} parse[] = {
	{ "https://github.com", 0, "https://github.com/", "github.com", 443,
	    "/", URL_HOST_NAME },
	{ "HTTPS://GitHub.COM/Path?Q=1#frag", 0, "https://github.com/Path?Q=1",
	    "github.com", 443, "/Path?Q=1", URL_HOST_NAME },
	{ "http://example.com:8080/a", 0, "http://example.com:8080/a",
	    "example.com", 8080, "/a", URL_HOST_NAME },
	{ "http://example.com:80/a", 0, "http://example.com/a", "example.com",
	    80, "/a", URL_HOST_NAME },
	{ "http://example.com:/a", 0, "http://example.com/a", "example.com",
	    80, "/a", URL_HOST_NAME },
	{ "https://127.0.0.1/", 0, "https://127.0.0.1/", "127.0.0.1", 443, "/",
	    URL_HOST_IPV4 },
	{ "http://0.0.0.0/", 0, "http://0.0.0.0/", "0.0.0.0", 80, "/",
	    URL_HOST_IPV4 },
	{ "https://[::1]:8443/x", 0, "https://[::1]:8443/x", "::1", 8443, "/x",
	    URL_HOST_IPV6 },
	{ "https://[2001:DB8::1]/", 0, "https://[2001:db8::1]/", "2001:db8::1",
	    443, "/", URL_HOST_IPV6 },
	{ "https://[::ffff:192.0.2.1]/", 0, "https://[::ffff:192.0.2.1]/",
	    "::ffff:192.0.2.1", 443, "/", URL_HOST_IPV6 },
	{ "http://[1:2:3:4:5:6:7:8]/", 0, "http://[1:2:3:4:5:6:7:8]/",
	    "1:2:3:4:5:6:7:8", 80, "/", URL_HOST_IPV6 },
	{ "http://[1:2:3:4:5:6:7::]/", 0, "http://[1:2:3:4:5:6:7::]/",
	    "1:2:3:4:5:6:7::", 80, "/", URL_HOST_IPV6 },
	{ "http://[::]/", 0, "http://[::]/", "::", 80, "/", URL_HOST_IPV6 },
	{ "http://a/b/../c", 0, "http://a/c", "a", 80, "/c", URL_HOST_NAME },
	{ "http://a/b/./c/.", 0, "http://a/b/c/", "a", 80, "/b/c/",
	    URL_HOST_NAME },
	{ "http://a/../../x", 0, "http://a/x", "a", 80, "/x", URL_HOST_NAME },
	{ "http://a/%2e%2e/x", 0, "http://a/%2e%2e/x", "a", 80, "/%2e%2e/x",
	    URL_HOST_NAME },
	{ "http://a/%7Euser", 0, "http://a/%7Euser", "a", 80, "/%7Euser",
	    URL_HOST_NAME },
	{ "http://a?x", 0, "http://a/?x", "a", 80, "/?x", URL_HOST_NAME },
	{ "http://a?", 0, "http://a/?", "a", 80, "/?", URL_HOST_NAME },
	{ "http://a/p?q/../r", 0, "http://a/p?q/../r", "a", 80, "/p?q/../r",
	    URL_HOST_NAME },
	{ "http://a_b.example/", 0, "http://a_b.example/", "a_b.example", 80,
	    "/", URL_HOST_NAME },
	{ "https://xn--bcher-kva.example/", 0, "https://xn--bcher-kva.example/",
	    "xn--bcher-kva.example", 443, "/", URL_HOST_NAME },
	{ "https://1e100.net/", 0, "https://1e100.net/", "1e100.net", 443, "/",
	    URL_HOST_NAME },
	{ "https://s3.amazonaws.com/b/k?X-Amz-Credential=a%2Fb&X-Amz-Sig=0",
	    0, "https://s3.amazonaws.com/b/k?X-Amz-Credential=a%2Fb&X-Amz-Sig=0",
	    "s3.amazonaws.com", 443, "/b/k?X-Amz-Credential=a%2Fb&X-Amz-Sig=0",
	    URL_HOST_NAME },
	{ "http://h/a:b@c!$&'()*+,;=", 0, "http://h/a:b@c!$&'()*+,;=", "h", 80,
	    "/a:b@c!$&'()*+,;=", URL_HOST_NAME },
	{ "file:///tmp/x.tar.gz", 0, "file:///tmp/x.tar.gz", "", 0,
	    "/tmp/x.tar.gz", URL_HOST_NONE },
	{ "file://localhost/tmp/x", 0, "file:///tmp/x", "", 0, "/tmp/x",
	    URL_HOST_NONE },
	{ "FILE:/tmp/x", 0, "file:///tmp/x", "", 0, "/tmp/x", URL_HOST_NONE },

	/* structure and scheme */
	{ "", ERR_URL_SYNTAX, 0, 0, 0, 0, 0 },
	{ "github.com/o/r", ERR_URL_SYNTAX, 0, 0, 0, 0, 0 },
	{ "//github.com/o/r", ERR_URL_SYNTAX, 0, 0, 0, 0, 0 },
	{ "https:github.com", ERR_URL_SYNTAX, 0, 0, 0, 0, 0 },
	{ "https:/github.com", ERR_URL_SYNTAX, 0, 0, 0, 0, 0 },
	{ "1http://h/", ERR_URL_SYNTAX, 0, 0, 0, 0, 0 },
	{ "ftp://h/", ERR_URL_SCHEME, 0, 0, 0, 0, 0 },
	{ "httpss://h/", ERR_URL_SCHEME, 0, 0, 0, 0, 0 },
	{ "javascript:alert(1)", ERR_URL_SCHEME, 0, 0, 0, 0, 0 },
	{ "data:text/plain,x", ERR_URL_SCHEME, 0, 0, 0, 0, 0 },
	{ "s3://bucket/key", ERR_URL_SCHEME, 0, 0, 0, 0, 0 },

	/* credentials */
	{ "https://user:pass@github.com/", ERR_URL_USERINFO, 0, 0, 0, 0, 0 },
	{ "https://github.com@evil.example/", ERR_URL_USERINFO, 0, 0, 0, 0, 0 },
	{ "http://@h/", ERR_URL_USERINFO, 0, 0, 0, 0, 0 },
	{ "http://tok@[::1]/", ERR_URL_USERINFO, 0, 0, 0, 0, 0 },
	{ "file://u@localhost/x", ERR_URL_USERINFO, 0, 0, 0, 0, 0 },

	/* bytes outside RFC 3986 */
	{ "https://github.com\\@evil.example/", ERR_URL_SYNTAX, 0, 0, 0, 0, 0 },
	{ "https://evil.example\\.github.com/", ERR_URL_SYNTAX, 0, 0, 0, 0, 0 },
	{ "https://git hub.com/", ERR_URL_SYNTAX, 0, 0, 0, 0, 0 },
	{ "https://github.com/a b", ERR_URL_SYNTAX, 0, 0, 0, 0, 0 },
	{ " https://github.com/", ERR_URL_SYNTAX, 0, 0, 0, 0, 0 },
	{ "https://github.com/\r\nX-Evil: 1", ERR_URL_SYNTAX, 0, 0, 0, 0, 0 },
	{ "https://github.com/\t", ERR_URL_SYNTAX, 0, 0, 0, 0, 0 },
	{ "https://github.com/\x7f", ERR_URL_SYNTAX, 0, 0, 0, 0, 0 },
	{ "https://github.com/\xc3\xa9", ERR_URL_SYNTAX, 0, 0, 0, 0, 0 },
	{ "https://gith\xc3\xbc" "b.com/", ERR_URL_SYNTAX, 0, 0, 0, 0, 0 },
	{ "http://h/<script>", ERR_URL_SYNTAX, 0, 0, 0, 0, 0 },
	{ "http://h/{x}", ERR_URL_SYNTAX, 0, 0, 0, 0, 0 },
	{ "http://h/a|b", ERR_URL_SYNTAX, 0, 0, 0, 0, 0 },
	{ "http://h/a^b", ERR_URL_SYNTAX, 0, 0, 0, 0, 0 },
	{ "http://h/`", ERR_URL_SYNTAX, 0, 0, 0, 0, 0 },
	{ "http://h/a\"b", ERR_URL_SYNTAX, 0, 0, 0, 0, 0 },
	{ "http://h/[x]", ERR_URL_SYNTAX, 0, 0, 0, 0, 0 },
	{ "http://h/?a[]=1", ERR_URL_SYNTAX, 0, 0, 0, 0, 0 },
	{ "http://h/a#b#c", ERR_URL_SYNTAX, 0, 0, 0, 0, 0 },

	/* escapes */
	{ "http://h/%", ERR_URL_ESCAPE, 0, 0, 0, 0, 0 },
	{ "http://h/%2", ERR_URL_ESCAPE, 0, 0, 0, 0, 0 },
	{ "http://h/%zz", ERR_URL_ESCAPE, 0, 0, 0, 0, 0 },
	{ "http://h/?a=%g0", ERR_URL_ESCAPE, 0, 0, 0, 0, 0 },
	{ "http://h/#%", ERR_URL_ESCAPE, 0, 0, 0, 0, 0 },

	/* ports */
	{ "http://h:0/", ERR_URL_PORT, 0, 0, 0, 0, 0 },
	{ "http://h:65536/", ERR_URL_PORT, 0, 0, 0, 0, 0 },
	{ "http://h:99999/", ERR_URL_PORT, 0, 0, 0, 0, 0 },
	{ "http://h:000080/", ERR_URL_PORT, 0, 0, 0, 0, 0 },
	{ "http://h:8a/", ERR_URL_PORT, 0, 0, 0, 0, 0 },
	{ "http://h:-1/", ERR_URL_PORT, 0, 0, 0, 0, 0 },
	{ "http://h:80:80/", ERR_URL_PORT, 0, 0, 0, 0, 0 },
	{ "http://[::1]:x/", ERR_URL_PORT, 0, 0, 0, 0, 0 },
	{ "http://h:65535/", 0, "http://h:65535/", "h", 65535, "/",
	    URL_HOST_NAME },

	/* hosts */
	{ "http:///x", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "http://:80/x", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "http://h%41/", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "http://.h/", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "http://h./", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "http://h..x/", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "http://-h/", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "http://h-/", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "http://h!/", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "http://a[b]/", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "http://127.1/", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "http://2130706433/", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "http://0x7f.0.0.1/", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "http://a.0x7f/", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "http://127.0.0.01/", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "http://256.0.0.1/", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "http://1.2.3.4.5/", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "http://github.com.1/", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "http://[::1/", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "http://[::1]x/", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "http://[fe80::1%25eth0]/", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "http://[v1.x]/", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "http://[1:2:3:4:5:6:7:8:9]/", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "http://[1:2:3:4:5:6:7]/", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "http://[1:2:3:4:5:6:7:8::]/", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "http://[::1::]/", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "http://[:::]/", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "http://[:1]/", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "http://[1:]/", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "http://[12345::]/", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "http://[::1.2.3]/", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "http://[::1.2.3.4:5]/", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "http://[]/", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "http://[g::1]/", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "file://evil.example/etc/passwd", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "file://[::1]/x", ERR_URL_HOST, 0, 0, 0, 0, 0 },
	{ "file://localhost:80/x", ERR_URL_PORT, 0, 0, 0, 0, 0 },
	{ "file://", ERR_URL_SYNTAX, 0, 0, 0, 0, 0 },
	{ "file:x", ERR_URL_SYNTAX, 0, 0, 0, 0, 0 },
};

static void
test_parse(void)
{
	char out[URL_MAX + 64];
	size_t n;

	for (size_t i = 0; i < sizeof parse / sizeof parse[0]; i++) {
		const char *in = parse[i].in;
		int e = url_parse((const uint8_t *)in, strlen(in), &U);

		CHECK(e == parse[i].err, "parse \"%s\": %d (%s), want %d", in,
		    e, err_str(e), parse[i].err);
		if (e != 0 || parse[i].err != 0)
			continue;
		CHECK(strcmp(U.host, parse[i].host) == 0 &&
		    U.host_len == strlen(U.host), "\"%s\": host \"%s\"", in,
		    U.host);
		CHECK(U.port == parse[i].port, "\"%s\": port %u", in, U.port);
		CHECK(U.host_kind == parse[i].kind, "\"%s\": kind %d", in,
		    U.host_kind);
		CHECK(strcmp(U.target, parse[i].target) == 0 &&
		    U.target_len == strlen(U.target), "\"%s\": target \"%s\"",
		    in, U.target);
		CHECK(U.path_len <= U.target_len &&
		    (U.target[U.path_len] == '\0' ||
		    U.target[U.path_len] == '?'),
		    "\"%s\": path_len", in);
		CHECK(url_format(&U, out, sizeof out, &n) == 0 &&
		    strcmp(out, parse[i].canon) == 0 && n == strlen(out),
		    "\"%s\": format \"%s\"", in, out);
		/* the canonical form parses to itself */
		CHECK(url_parse((const uint8_t *)out, n, &B) == 0 &&
		    memcmp(&B.target, &U.target, U.target_len + 1) == 0 &&
		    strcmp(B.host, U.host) == 0 && B.port == U.port,
		    "\"%s\": canonical reparse", in);
	}

	/* NUL inside: length, not strlen, decides */
	CHECK(url_parse((const uint8_t *)"http://h/a\0b", 12, &U) ==
	    ERR_URL_SYNTAX, "NUL");
	CHECK(url_parse((const uint8_t *)"http://h\0.evil/", 15, &U) ==
	    ERR_URL_SYNTAX, "NUL in host");

	/* length limits */
	{
		static char big[URL_MAX + 16];
		size_t k;

		memcpy(big, "http://h/", 9);
		memset(big + 9, 'a', sizeof big - 9);
		CHECK(url_parse((const uint8_t *)big, URL_MAX, &U) == 0 &&
		    U.target_len == URL_MAX - 8, "URL_MAX ok");
		CHECK(url_parse((const uint8_t *)big, URL_MAX + 1, &U) ==
		    ERR_URL_TOO_LONG, "URL_MAX + 1");
		/* a 63-byte label is fine, 64 is not */
		memcpy(big, "http://", 7);
		memset(big + 7, 'l', 64);
		memcpy(big + 7 + 63, "/", 1);
		CHECK(url_parse((const uint8_t *)big, 7 + 64, &U) == 0,
		    "63-byte label");
		big[7 + 63] = 'l';
		memcpy(big + 7 + 64, "/", 1);
		CHECK(url_parse((const uint8_t *)big, 7 + 65, &U) ==
		    ERR_URL_HOST, "64-byte label");
		/* 253-byte host fine, 254 not */
		for (k = 0; k < 253; k++)
			big[7 + k] = (k % 4 == 3) ? '.' : 'h';
		big[7 + 253] = '/';
		CHECK(url_parse((const uint8_t *)big, 7 + 254, &U) == 0 &&
		    U.host_len == 253, "253-byte host");
		big[7 + 253] = 'h';
		big[7 + 254] = '/';
		CHECK(url_parse((const uint8_t *)big, 7 + 255, &U) ==
		    ERR_URL_HOST, "254-byte host");
	}

	/* url_format cap */
	url_parse((const uint8_t *)"https://github.com/x", 20, &U);
	CHECK(url_format(&U, out, 20, &n) == ERR_URL_TOO_LONG && out[0] == '\0'
	    && n == 0, "format cap 20");
	CHECK(url_format(&U, out, 21, &n) == 0 && n == 20, "format cap 21");

	/* file paths */
	{
		char path[64];
		url_parse((const uint8_t *)"file:///tmp/a%20b%2Fc?q", 23, &U);
		CHECK(url_file_path(&U, path, sizeof path, &n) == 0 &&
		    strcmp(path, "/tmp/a b/c") == 0, "file path \"%s\"", path);
		CHECK(url_file_path(&U, path, 5, &n) == ERR_URL_TOO_LONG &&
		    path[0] == '\0', "file path cap");
		url_parse((const uint8_t *)"file:///x%00y", 13, &U);
		CHECK(url_file_path(&U, path, sizeof path, &n) ==
		    ERR_URL_ESCAPE, "file path NUL");
		url_parse((const uint8_t *)"http://h/x", 10, &U);
		CHECK(url_file_path(&U, path, sizeof path, &n) ==
		    ERR_URL_SCHEME, "file path of http");
	}
	CHECK(url_default_port(URL_HTTP) == 80 &&
	    url_default_port(URL_HTTPS) == 443 &&
	    url_default_port(URL_FILE) == 0,
	    "default ports");
}

/* ------------------------------------------------------------ resolve */

/* RFC 3986 section 5.4, base "http://a/b/c/d;p?q"; fragments dropped,
 * "g:h" and "http:g" refused (unsupported scheme; no "//"). */
static const struct {
	const char *base, *ref;
	int err;
	const char *want;
} resolve[] = {
	{ 0, "g:h", ERR_URL_SCHEME, 0 },
	{ 0, "g", 0, "http://a/b/c/g" },
	{ 0, "./g", 0, "http://a/b/c/g" },
	{ 0, "g/", 0, "http://a/b/c/g/" },
	{ 0, "/g", 0, "http://a/g" },
	{ 0, "//g", 0, "http://g/" },
	{ 0, "?y", 0, "http://a/b/c/d;p?y" },
	{ 0, "g?y", 0, "http://a/b/c/g?y" },
	{ 0, "#s", 0, "http://a/b/c/d;p?q" },
	{ 0, "g#s", 0, "http://a/b/c/g" },
	{ 0, "g?y#s", 0, "http://a/b/c/g?y" },
	{ 0, ";x", 0, "http://a/b/c/;x" },
	{ 0, "g;x", 0, "http://a/b/c/g;x" },
	{ 0, "g;x?y#s", 0, "http://a/b/c/g;x?y" },
	{ 0, "", 0, "http://a/b/c/d;p?q" },
	{ 0, ".", 0, "http://a/b/c/" },
	{ 0, "./", 0, "http://a/b/c/" },
	{ 0, "..", 0, "http://a/b/" },
	{ 0, "../", 0, "http://a/b/" },
	{ 0, "../g", 0, "http://a/b/g" },
	{ 0, "../..", 0, "http://a/" },
	{ 0, "../../", 0, "http://a/" },
	{ 0, "../../g", 0, "http://a/g" },
	{ 0, "../../../g", 0, "http://a/g" },
	{ 0, "../../../../g", 0, "http://a/g" },
	{ 0, "/./g", 0, "http://a/g" },
	{ 0, "/../g", 0, "http://a/g" },
	{ 0, "g.", 0, "http://a/b/c/g." },
	{ 0, ".g", 0, "http://a/b/c/.g" },
	{ 0, "g..", 0, "http://a/b/c/g.." },
	{ 0, "..g", 0, "http://a/b/c/..g" },
	{ 0, "./../g", 0, "http://a/b/g" },
	{ 0, "./g/.", 0, "http://a/b/c/g/" },
	{ 0, "g/./h", 0, "http://a/b/c/g/h" },
	{ 0, "g/../h", 0, "http://a/b/c/h" },
	{ 0, "g;x=1/./y", 0, "http://a/b/c/g;x=1/y" },
	{ 0, "g;x=1/../y", 0, "http://a/b/c/y" },
	{ 0, "g?y/./x", 0, "http://a/b/c/g?y/./x" },
	{ 0, "g?y/../x", 0, "http://a/b/c/g?y/../x" },
	{ 0, "g#s/./x", 0, "http://a/b/c/g" },
	{ 0, "g#s/../x", 0, "http://a/b/c/g" },
	{ 0, "http:g", ERR_URL_SYNTAX, 0 },

	/* redirects as servers send them */
	{ "https://api.github.com/repos/o/r/tarball/main",
	    "https://codeload.github.com/o/r/legacy.tar.gz/refs/heads/main?token=X",
	    0, "https://codeload.github.com/o/r/legacy.tar.gz/refs/heads/main"
	    "?token=X" },
	{ "https://github.com/o/r/archive/main.tar.gz", "/o/r/tar.gz/main", 0,
	    "https://github.com/o/r/tar.gz/main" },
	{ "https://h:8443/a/b", "c", 0, "https://h:8443/a/c" },
	{ "https://h:8443/a/b", "//other/x", 0, "https://other/x" },
	{ "https://[::1]:8443/a/b", "/z", 0, "https://[::1]:8443/z" },
	{ "https://h/a", "http://h/a", 0, "http://h/a" },
	{ "https://h/", "HTTPS://H/%41", 0, "https://h/%41" },
	{ "https://h/a/b", "../../../../etc/passwd", 0, "https://h/etc/passwd" },
	{ "https://h/a", "//user@evil/", ERR_URL_USERINFO, 0 },
	{ "https://h/a", "https://u:p@h/", ERR_URL_USERINFO, 0 },
	{ "https://h/a", "/a b", ERR_URL_SYNTAX, 0 },
	{ "https://h/a", "/a\r\nSet-Cookie: x", ERR_URL_SYNTAX, 0 },
	{ "https://h/a", "\\\\evil/x", ERR_URL_SYNTAX, 0 },
	{ "https://h/a", "/%zz", ERR_URL_ESCAPE, 0 },
	{ "https://h/a", "//", ERR_URL_HOST, 0 },
	{ "https://h/a", "///x", ERR_URL_HOST, 0 },
	{ "https://h/a", "//127.1/", ERR_URL_HOST, 0 },
	{ "https://h/a", "ftp://h/", ERR_URL_SCHEME, 0 },
	{ "https://h/a", "file:///etc/passwd", 0, "file:///etc/passwd" },
	{ "file:///srv/x/y", "z", 0, "file:///srv/x/z" },
	{ "file:///srv/x/y", "//localhost/q", 0, "file:///q" },
	{ "http://a/b?q", "?", 0, "http://a/b?" },
	{ "http://a", "b", 0, "http://a/b" },
};

static void
test_resolve(void)
{
	char out[URL_MAX + 64];
	size_t n;

	for (size_t i = 0; i < sizeof resolve / sizeof resolve[0]; i++) {
		const char *base = resolve[i].base ? resolve[i].base :
		    "http://a/b/c/d;p?q";
		const char *ref = resolve[i].ref;
		int e;

		if (url_parse((const uint8_t *)base, strlen(base), &B) != 0) {
			CHECK(0, "base \"%s\"", base);
			continue;
		}
		e = url_resolve(&B, (const uint8_t *)ref, strlen(ref), &U);
		CHECK(e == resolve[i].err, "resolve \"%s\" + \"%s\": %d (%s)",
		    base, ref, e, err_str(e));
		if (e != 0 || resolve[i].err != 0)
			continue;
		CHECK(url_format(&U, out, sizeof out, &n) == 0 &&
		    strcmp(out, resolve[i].want) == 0,
		    "resolve \"%s\" + \"%s\" = \"%s\", want \"%s\"", base, ref,
		    out, resolve[i].want);
	}
	/* an over-long reference */
	{
		static char big[URL_MAX + 2];
		url_parse((const uint8_t *)"http://h/", 9, &B);
		memset(big, 'a', sizeof big);
		CHECK(url_resolve(&B, (const uint8_t *)big, sizeof big, &U) ==
		    ERR_URL_TOO_LONG, "long ref");
		CHECK(url_resolve(&B, (const uint8_t *)big, URL_MAX - 9, &U)
		    == 0, "ref that fits");
		CHECK(url_resolve(&B, (const uint8_t *)big, URL_MAX - 8, &U)
		    == ERR_URL_TOO_LONG, "ref one over after merge");
	}
}

/* ------------------------------------------------------------ GitHub */

static const struct {
	const char *in;
	int err;
	const char *owner, *repo, *ref;
} gh[] = {
	{ "https://github.com/octo/hello", 0, "octo", "hello", "" },
	{ "https://github.com/octo/hello.git", 0, "octo", "hello", "" },
	{ "https://github.com/octo/hello/", 0, "octo", "hello", "" },
	{ "https://github.com/octo/hello.git/", 0, "octo", "hello", "" },
	{ "https://GitHub.com/Octo/Hello", 0, "Octo", "Hello", "" },
	{ "HTTPS://github.com/o/r", 0, "o", "r", "" },
	{ "https://github.com/o/r#readme", 0, "o", "r", "" },
	{ "https://github.com/o/r/tree/main", 0, "o", "r", "main" },
	{ "https://github.com/o/r/tree/feature/x", 0, "o", "r", "feature/x" },
	{ "https://github.com/o/r/tree/feature/x/", 0, "o", "r", "feature/x" },
	{ "https://github.com/o/r/tree/v1.2.3", 0, "o", "r", "v1.2.3" },
	{ "https://github.com/o/r/tree/a%2Bb%40c", 0, "o", "r", "a+b@c" },
	{ "https://github.com/o/r/tree/main/docs/api", 0, "o", "r",
	    "main/docs/api" },
	{ "https://github.com/SampleAgency/.github", 0, "SampleAgency",
	    ".github", "" },
	{ "octo/hello", 0, "octo", "hello", "" },
	{ "octo/hello.git", 0, "octo", "hello", "" },
	{ "octo/hello@main", 0, "octo", "hello", "main" },
	{ "octo/hello@refs/heads/feature/x", 0, "octo", "hello",
	    "refs/heads/feature/x" },
	{ "o/r@v1.0.0", 0, "o", "r", "v1.0.0" },
	{ "o/r@a@b", 0, "o", "r", "a@b" },
	{ "o/r@a%2Fb", 0, "o", "r", "a%2Fb" },
	{ "o/r@0123456789abcdef0123456789abcdef01234567", 0, "o", "r",
	    "0123456789abcdef0123456789abcdef01234567" },
	{ "o/r@caf\xc3\xa9", 0, "o", "r", "caf\xc3\xa9" },
	{ "SampleAgency/.github", 0, "SampleAgency", ".github", "" },
	{ "o/Case.Management.API", 0, "o", "Case.Management.API", "" },
	{ "o/111-online-triage", 0, "o", "111-online-triage", "" },
	{ "o/app_config", 0, "o", "app_config", "" },
	{ "o/.git", 0, "o", ".git", "" },
	{ "o/x.git.git", 0, "o", "x.git", "" },

	/* other hosts and schemes */
	{ "http://github.com/o/r", ERR_URL_SOURCE, 0, 0, 0 },
	{ "https://gitlab.com/o/r", ERR_URL_SOURCE, 0, 0, 0 },
	{ "https://github.com.evil.example/o/r", ERR_URL_SOURCE, 0, 0, 0 },
	{ "https://evilgithub.com/o/r", ERR_URL_SOURCE, 0, 0, 0 },
	{ "https://www.github.com/o/r", ERR_URL_SOURCE, 0, 0, 0 },
	{ "https://github.com:443/o/r", ERR_URL_SOURCE, 0, 0, 0 },
	{ "https://github.com:/o/r", ERR_URL_SOURCE, 0, 0, 0 },
	{ "https://github.com@evil.example/o/r", ERR_URL_USERINFO, 0, 0, 0 },
	{ "https://user@github.com/o/r", ERR_URL_USERINFO, 0, 0, 0 },
	{ "https://140.82.112.3/o/r", ERR_URL_SOURCE, 0, 0, 0 },
	{ "file:///o/r", ERR_URL_SOURCE, 0, 0, 0 },
	{ "ftp://github.com/o/r", ERR_URL_SOURCE, 0, 0, 0 },
	{ "o:r", ERR_URL_SOURCE, 0, 0, 0 },
	{ "https://github.com\\o\\r", ERR_URL_SYNTAX, 0, 0, 0 },

	/* shapes */
	{ "https://github.com", ERR_URL_SOURCE, 0, 0, 0 },
	{ "https://github.com/", ERR_URL_SOURCE, 0, 0, 0 },
	{ "https://github.com/o", ERR_URL_SOURCE, 0, 0, 0 },
	{ "https://github.com/o/r/blob/main/x", ERR_URL_SOURCE, 0, 0, 0 },
	{ "https://github.com/o/r/archive/main.tar.gz", ERR_URL_SOURCE, 0, 0,
	    0 },
	{ "https://github.com/o/r/tree", ERR_URL_SOURCE, 0, 0, 0 },
	{ "https://github.com/o/r/tree/", ERR_URL_SOURCE, 0, 0, 0 },
	{ "https://github.com/o/r?tab=readme", ERR_URL_SOURCE, 0, 0, 0 },
	{ "https://github.com//o/r", ERR_URL_SOURCE, 0, 0, 0 },
	{ "https://github.com/o//r", ERR_URL_SOURCE, 0, 0, 0 },
	{ "https://github.com/o/r//", ERR_URL_SOURCE, 0, 0, 0 },
	{ "https://github.com/o/../r", ERR_URL_SOURCE, 0, 0, 0 },
	{ "https://github.com/o/r.git/tree/main", ERR_URL_REPO, 0, 0, 0 },
	{ "o", ERR_URL_SOURCE, 0, 0, 0 },
	{ "", ERR_URL_SOURCE, 0, 0, 0 },
	{ "o/r/x", ERR_URL_SOURCE, 0, 0, 0 },
	{ "o/r/", ERR_URL_SOURCE, 0, 0, 0 },

	/* names */
	{ "https://github.com/../o/r", ERR_URL_SOURCE, 0, 0, 0 },
	{ "https://github.com/../r", ERR_URL_OWNER, 0, 0, 0 },
	{ "https://github.com/o/..", ERR_URL_REPO, 0, 0, 0 },
	{ "https://github.com/o%2e/r", ERR_URL_OWNER, 0, 0, 0 },
	{ "https://github.com/o/r%2e", ERR_URL_REPO, 0, 0, 0 },
	{ "/r", ERR_URL_OWNER, 0, 0, 0 },
	{ "o/", ERR_URL_REPO, 0, 0, 0 },
	{ "o/.", ERR_URL_REPO, 0, 0, 0 },
	{ "o/..", ERR_URL_REPO, 0, 0, 0 },
	{ "o/..git", ERR_URL_REPO, 0, 0, 0 },
	{ "../r", ERR_URL_OWNER, 0, 0, 0 },
	{ "o_x/r", ERR_URL_OWNER, 0, 0, 0 },
	{ "o.x/r", ERR_URL_OWNER, 0, 0, 0 },
	{ "o /r", ERR_URL_OWNER, 0, 0, 0 },
	{ " o/r", ERR_URL_OWNER, 0, 0, 0 },
	{ "o/r ", ERR_URL_REPO, 0, 0, 0 },
	{ "o/r\n", ERR_URL_REPO, 0, 0, 0 },
	{ "o/r+x", ERR_URL_REPO, 0, 0, 0 },
	{ "o/r%00", ERR_URL_REPO, 0, 0, 0 },
	{ "\xc3\xa9/r", ERR_URL_OWNER, 0, 0, 0 },

	/* refs */
	{ "o/r@", ERR_URL_REF, 0, 0, 0 },
	{ "o/r@-x", ERR_URL_REF, 0, 0, 0 },
	{ "o/r@/x", ERR_URL_REF, 0, 0, 0 },
	{ "o/r@x/", ERR_URL_REF, 0, 0, 0 },
	{ "o/r@x.", ERR_URL_REF, 0, 0, 0 },
	{ "o/r@x..y", ERR_URL_REF, 0, 0, 0 },
	{ "o/r@..", ERR_URL_REF, 0, 0, 0 },
	{ "o/r@../../etc", ERR_URL_REF, 0, 0, 0 },
	{ "o/r@x@{1}", ERR_URL_REF, 0, 0, 0 },
	{ "o/r@@", ERR_URL_REF, 0, 0, 0 },
	{ "o/r@x.lock", ERR_URL_REF, 0, 0, 0 },
	{ "o/r@x.lock/y", ERR_URL_REF, 0, 0, 0 },
	{ "o/r@a/.b", ERR_URL_REF, 0, 0, 0 },
	{ "o/r@.a", ERR_URL_REF, 0, 0, 0 },
	{ "o/r@a//b", ERR_URL_REF, 0, 0, 0 },
	{ "o/r@a b", ERR_URL_REF, 0, 0, 0 },
	{ "o/r@a~1", ERR_URL_REF, 0, 0, 0 },
	{ "o/r@a^", ERR_URL_REF, 0, 0, 0 },
	{ "o/r@a:b", ERR_URL_REF, 0, 0, 0 },
	{ "o/r@a?b", ERR_URL_REF, 0, 0, 0 },
	{ "o/r@a*b", ERR_URL_REF, 0, 0, 0 },
	{ "o/r@a[b", ERR_URL_REF, 0, 0, 0 },
	{ "o/r@a\\b", ERR_URL_REF, 0, 0, 0 },
	{ "o/r@a\nb", ERR_URL_REF, 0, 0, 0 },
	{ "o/r@a\x7f", ERR_URL_REF, 0, 0, 0 },
	{ "https://github.com/o/r/tree/../../x", ERR_URL_REF, 0, 0, 0 },
	{ "https://github.com/o/r/tree/%2e%2e", ERR_URL_REF, 0, 0, 0 },
	{ "https://github.com/o/r/tree/a%00b", ERR_URL_REF, 0, 0, 0 },
	{ "https://github.com/o/r/tree/a%20b", ERR_URL_REF, 0, 0, 0 },
	{ "https://github.com/o/r/tree/a%0D%0AX", ERR_URL_REF, 0, 0, 0 },
	{ "https://github.com/o/r/tree/-f", ERR_URL_REF, 0, 0, 0 },
	{ "https://github.com/o/r/tree/%", ERR_URL_ESCAPE, 0, 0, 0 },
};

static void
test_github(void)
{
	struct url_github g;
	static char big[URL_MAX + 2];
	size_t n;

	for (size_t i = 0; i < sizeof gh / sizeof gh[0]; i++) {
		const char *in = gh[i].in;
		int e = url_github_source((const uint8_t *)in, strlen(in), &g);

		CHECK(e == gh[i].err, "source \"%s\": %d (%s), want %d", in, e,
		    err_str(e), gh[i].err);
		if (e != 0 || gh[i].err != 0)
			continue;
		CHECK(strcmp(g.owner, gh[i].owner) == 0 &&
		    g.owner_len == strlen(g.owner) &&
		    strcmp(g.repo, gh[i].repo) == 0 &&
		    g.repo_len == strlen(g.repo) &&
		    strcmp(g.ref, gh[i].ref) == 0 && g.ref_len == strlen(g.ref),
		    "source \"%s\": %s/%s@%s", in, g.owner, g.repo, g.ref);
	}
	CHECK(url_github_source((const uint8_t *)"o/r@a\0b", 7, &g) ==
	    ERR_URL_REF, "NUL in ref");
	CHECK(url_github_source((const uint8_t *)"o/r\0x", 5, &g) ==
	    ERR_URL_REPO, "NUL in repo");

	/* limits, at and one past */
	memset(big, 'o', sizeof big);
	big[39] = '/';
	big[40] = 'r';
	CHECK(url_github_source((const uint8_t *)big, 41, &g) == 0 &&
	    g.owner_len == 39, "39-byte owner");
	memset(big, 'o', sizeof big);
	big[40] = '/';
	big[41] = 'r';
	CHECK(url_github_source((const uint8_t *)big, 42, &g) == ERR_URL_OWNER,
	    "40-byte owner");
	memset(big, 'r', sizeof big);
	big[0] = 'o';
	big[1] = '/';
	CHECK(url_github_source((const uint8_t *)big, 102, &g) == 0 &&
	    g.repo_len == 100, "100-byte repo");
	CHECK(url_github_source((const uint8_t *)big, 103, &g) == ERR_URL_REPO,
	    "101-byte repo");
	memcpy(big + 2, "x.git", 5);
	CHECK(url_github_source((const uint8_t *)big, 7, &g) == 0 &&
	    g.repo_len == 1, "repo .git stripped");
	memset(big, 'f', sizeof big);
	memcpy(big, "o/r@", 4);
	CHECK(url_github_source((const uint8_t *)big, 4 + URL_REF_MAX, &g) == 0
	    && g.ref_len == URL_REF_MAX, "255-byte ref");
	CHECK(url_github_source((const uint8_t *)big, 5 + URL_REF_MAX, &g) ==
	    ERR_URL_REF, "256-byte ref");
	memcpy(big, "https://github.com/o/r/tree/", 28);
	CHECK(url_github_source((const uint8_t *)big, 28 + URL_REF_MAX, &g) ==
	    0 && g.ref_len == URL_REF_MAX, "255-byte ref in URL");
	CHECK(url_github_source((const uint8_t *)big, 29 + URL_REF_MAX, &g) ==
	    ERR_URL_REF, "256-byte ref in URL");
	CHECK(url_github_source((const uint8_t *)big, sizeof big, &g) ==
	    ERR_URL_TOO_LONG, "over URL_MAX");

	/* validators directly */
	CHECK(url_valid_owner((const uint8_t *)"a-b-9", 5) &&
	    !url_valid_owner((const uint8_t *)"", 0), "owner");
	CHECK(url_valid_repo((const uint8_t *)"...", 3) &&
	    !url_valid_repo((const uint8_t *)"..", 2), "repo");
	CHECK(url_valid_ref((const uint8_t *)"HEAD", 4) &&
	    url_valid_ref((const uint8_t *)"a.b/c-d_e+f", 11) &&
	    !url_valid_ref((const uint8_t *)"a.lock", 6) &&
	    !url_valid_ref((const uint8_t *)"", 0), "ref");
	(void)n;
}

/* ------------------------------------------------------------ archive URLs */

static void
set_g(struct url_github *g, const char *o, const char *r, const char *ref)
{
	memset(g, 0, sizeof *g);
	g->owner_len = strlen(o);
	memcpy(g->owner, o, g->owner_len);
	g->repo_len = strlen(r);
	memcpy(g->repo, r, g->repo_len);
	g->ref_len = strlen(ref);
	memcpy(g->ref, ref, g->ref_len);
}

static void
test_archive(void)
{
	static const struct {
		const char *ref, *want;
	} cl[] = {
		{ "", "https://codeload.github.com/Octo/hello.js/tar.gz/HEAD" },
		{ "main", "https://codeload.github.com/Octo/hello.js/tar.gz/main" },
		{ "feature/x",
		    "https://codeload.github.com/Octo/hello.js/tar.gz/feature/x" },
		{ "a+b@c#d%e",
		    "https://codeload.github.com/Octo/hello.js/tar.gz/a%2Bb%40c%23d%25e" },
		{ "caf\xc3\xa9",
		    "https://codeload.github.com/Octo/hello.js/tar.gz/caf%C3%A9" },
	};
	static const char sha[] = "0123456789abcdef0123456789abcdef01234567";
	static const struct {
		const char *tmpl, *ref;
		int with_sha, err;
		const char *want;
	} tp[] = {
		{ "https://mirror.example/{owner}/{repo}/archive/{ref}.tar.gz",
		    "feature/x", 0, 0,
		    "https://mirror.example/Octo/hello.js/archive/feature/x.tar.gz" },
		{ "https://mirror.example/{owner}/{repo}/{ref}", "", 0, 0,
		    "https://mirror.example/Octo/hello.js/HEAD" },
		{ "https://m.example:8443/{repo}/{sha}.tgz?o={owner}", "", 1, 0,
		    "https://m.example:8443/hello.js/"
		    "0123456789abcdef0123456789abcdef01234567.tgz?o=Octo" },
		{ "file:///srv/mirror/{owner}/{repo}/{sha}.tar.gz", "", 1, 0,
		    "file:///srv/mirror/Octo/hello.js/"
		    "0123456789abcdef0123456789abcdef01234567.tar.gz" },
		{ "https://m.example/{ref}", "a b", 0, 0,
		    "https://m.example/a%20b" },
		{ "https://m.example/{owner}{repo}", "", 0, 0,
		    "https://m.example/Octohello.js" },
		{ "https://m.example/{sha}", "", 0, ERR_URL_TEMPLATE, 0 },
		{ "https://m.example/{nope}", "", 0, ERR_URL_TEMPLATE, 0 },
		{ "https://m.example/{Owner}", "", 0, ERR_URL_TEMPLATE, 0 },
		{ "https://m.example/{}", "", 0, ERR_URL_TEMPLATE, 0 },
		{ "https://m.example/{owner", "", 0, ERR_URL_TEMPLATE, 0 },
		{ "https://m.example/owner}", "", 0, ERR_URL_TEMPLATE, 0 },
		{ "https://m.example/{{owner}}", "", 0, ERR_URL_TEMPLATE, 0 },
		{ "mirror/{owner}", "", 0, ERR_URL_SYNTAX, 0 },
		{ "ftp://m.example/{owner}", "", 0, ERR_URL_SCHEME, 0 },
		{ "https://u@m.example/{owner}", "", 0, ERR_URL_USERINFO, 0 },
		{ "https://m.example/{owner} x", "", 0, ERR_URL_SYNTAX, 0 },
	};
	struct url_github g;
	char out[URL_MAX + 1];
	size_t n;

	for (size_t i = 0; i < sizeof cl / sizeof cl[0]; i++) {
		set_g(&g, "Octo", "hello.js", cl[i].ref);
		CHECK(url_codeload(&g, out, sizeof out, &n) == 0 &&
		    strcmp(out, cl[i].want) == 0 && n == strlen(out),
		    "codeload \"%s\": %s", cl[i].ref, out);
		CHECK(url_parse((const uint8_t *)out, n, &U) == 0 &&
		    strcmp(U.host, "codeload.github.com") == 0,
		    "codeload parses");
	}
	set_g(&g, "Octo", "hello.js", "main");
	CHECK(url_codeload(&g, out, 40, &n) == ERR_URL_TOO_LONG &&
	    out[0] == '\0' && n == 0, "codeload cap");

	for (size_t i = 0; i < sizeof tp / sizeof tp[0]; i++) {
		int e;
		set_g(&g, "Octo", "hello.js", tp[i].ref);
		e = url_template(tp[i].tmpl, strlen(tp[i].tmpl), &g,
		    tp[i].with_sha ? sha : NULL, tp[i].with_sha ? 40 : 0, out,
		    sizeof out, &n);
		CHECK(e == tp[i].err, "template \"%s\": %d (%s)", tp[i].tmpl, e,
		    err_str(e));
		if (e == 0 && tp[i].err == 0)
			CHECK(strcmp(out, tp[i].want) == 0 && n == strlen(out),
			    "template \"%s\" = %s", tp[i].tmpl, out);
		else
			CHECK(n == 0, "template \"%s\": len on error",
			    tp[i].tmpl);
	}
	set_g(&g, "o", "r", "");
	CHECK(url_template("https://m/{sha}", 15, &g, "0123", 4, out,
	    sizeof out, &n) == ERR_URL_TEMPLATE, "short sha");
	CHECK(url_template("https://m/{sha}", 15, &g,
	    "0123456789abcdef0123456789abcdef0123456g", 40, out, sizeof out,
	    &n) == ERR_URL_TEMPLATE, "non-hex sha");
	CHECK(url_template("https://m/{sha}", 15, &g,
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	    64, out, sizeof out, &n) == 0, "sha-256 object id");
	CHECK(url_template("https://m/{owner}", 17, &g, NULL, 0, out, 10, &n) ==
	    ERR_URL_TOO_LONG, "template cap");
}

/* url_redact: what a message may show of a URL */
static void
test_redact(void)
{
	static const struct {
		const char *in, *want;
	} rd[] = {
		{ "https://h.example/p/a.tar.gz", "https://h.example/p/a.tar.gz" },
		{ "https://u:pw@h.example/p", "https://***@h.example/p" },
		{ "https://tok@h.example:8443/p", "https://***@h.example:8443/p" },
		{ "https://h.example/f.json?token=s3cr3t",
		    "https://h.example/f.json?***" },
		{ "https://u:p@h/p?x=1#f", "https://***@h/p?***" },
		{ "https://h/p#access_token=x", "https://h/p#***" },
		{ "https://h/p?", "https://h/p?***" },
		/* a password holding '/' (refused by url_parse, shown here) */
		{ "https://u:pa/ss@h/x", "https://***@h/x" },
		{ "https://github.com@evil.example/", "https://***@evil.example/" },
		{ "http://@h/", "http://***@h/" },
		{ "file://u@localhost/x", "file://***@localhost/x" },
		/* no scheme, or not "scheme://" */
		{ "u:pw@h/p?q", "***@h/p?***" },
		{ "mailto:a@b", "***@b" },
		{ "owner/repo", "owner/repo" },
		{ "", "" },
		{ "?x", "?***" },
		{ "s3://bucket/prefix", "s3://bucket/prefix" },
	};
	char out[64];
	size_t n;

	for (size_t i = 0; i < sizeof rd / sizeof rd[0]; i++) {
		n = url_redact(rd[i].in, out, sizeof out);
		CHECK(strcmp(out, rd[i].want) == 0 && n == strlen(out),
		    "redact \"%s\" = \"%s\" (%zu)", rd[i].in, out, n);
	}
	/* the length of the whole, as snprintf; cut, always terminated */
	n = url_redact("https://u:p@h/p?q", out, 10);
	CHECK(n == 19 && strcmp(out, "https://*") == 0, "cut: %zu %s", n, out);
	n = url_redact("https://u:p@h/p?q", NULL, 0);
	CHECK(n == 19, "size only: %zu", n);
	n = url_redact(NULL, out, sizeof out);
	CHECK(n == 0 && out[0] == '\0', "NULL");
	/* in place of a long query, never a piece of it */
	{
		static char big[URL_MAX + 64], red[URL_MAX + 64];
		memset(big, 'a', sizeof big - 1);
		memcpy(big, "https://h/p?", 12);
		n = url_redact(big, red, sizeof red);
		CHECK(n == 15 && strcmp(red, "https://h/p?***") == 0,
		    "long query: %zu", n);
	}
	/* the API's tarball URL is a template: a ref is escaped there */
	{
		struct url_github g;
		char u[URL_MAX + 1];
		set_g(&g, "o", "r", "a#b");
		CHECK(url_template("https://api.example/repos/{owner}/{repo}/"
		    "tarball/{ref}", 54, &g, NULL, 0, u, sizeof u, &n) == 0 &&
		    strcmp(u, "https://api.example/repos/o/r/tarball/a%23b") == 0,
		    "api ref escaped: %s", u);
	}
}

int
main(void)
{
	test_redact();
	test_parse();
	test_resolve();
	test_github();
	test_archive();
	return T_DONE();
}
