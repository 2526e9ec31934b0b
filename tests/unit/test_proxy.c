/*
 * test_proxy.c - proxy settings: proxy URL parsing (credentials become a
 * Basic Proxy-Authorization value and stay out of the loggable name), bad
 * values, NO_PROXY matching with curl's rules (domain suffixes with or
 * without a leading dot, "*", IP literals, :PORT), and which
 * proxy a URL gets. The CONNECT exchange itself runs against tinyproxy in
 * tests/integration/proxy.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "proxy.h"
#include "url.h"
#include "t.h"

static const struct {
	const char *in;
	int err;
	const char *host;
	unsigned port;
	const char *name;
	const char *auth;       /* Proxy-Authorization value, "" = none */
} parse[] = {
	{ "http://proxy.example:3128", 0, "proxy.example", 3128,
	    "http://proxy.example:3128", "" },
	{ "http://proxy.example", 0, "proxy.example", 1080,
	    "http://proxy.example:1080", "" },
	{ "http://proxy.example/", 0, "proxy.example", 1080,
	    "http://proxy.example:1080", "" },
	{ "HTTP://Proxy.Example:8080", 0, "proxy.example", 8080,
	    "http://proxy.example:8080", "" },
	{ "proxy.example:3128", 0, "proxy.example", 3128,
	    "http://proxy.example:3128", "" },
	{ "127.0.0.1:8888", 0, "127.0.0.1", 8888, "http://127.0.0.1:8888", "" },
	{ "http://[::1]:8888", 0, "::1", 8888, "http://[::1]:8888", "" },
	/* RFC 7617's example: Aladdin / open sesame */
	{ "http://Aladdin:open%20sesame@p:1", 0, "p", 1, "http://p:1",
	    "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==" },
	{ "http://user:p%40ss@p:1", 0, "p", 1, "http://p:1",
	    "Basic dXNlcjpwQHNz" },
	{ "http://user@p:1", 0, "p", 1, "http://p:1", "Basic dXNlcjo=" },
	{ "http://u:a@b@p:1", 0, "p", 1, "http://p:1", "Basic dTphQGI=" },
	{ "http://u:ab@p:1", 0, "p", 1, "http://p:1", "Basic dTphYg==" },
	{ "http://u:abc@p:1", 0, "p", 1, "http://p:1", "Basic dTphYmM=" },
	/* refused */
	{ "https://proxy.example:443", ERR_PROXY_SCHEME, 0, 0, 0, 0 },
	{ "socks5://proxy.example:1080", ERR_PROXY_SCHEME, 0, 0, 0, 0 },
	{ "socks5h://u:secret@p:1", ERR_PROXY_SCHEME, 0, 0, 0, 0 },
	{ "ftp://p", ERR_PROXY_SCHEME, 0, 0, 0, 0 },
	{ "http://", ERR_PROXY_URL, 0, 0, 0, 0 },
	{ "http://p:0", ERR_PROXY_URL, 0, 0, 0, 0 },
	{ "http://p:65536", ERR_PROXY_URL, 0, 0, 0, 0 },
	{ "http://p:12x", ERR_PROXY_URL, 0, 0, 0, 0 },
	{ "http://p/path", ERR_PROXY_URL, 0, 0, 0, 0 },
	{ "http://p?x", ERR_PROXY_URL, 0, 0, 0, 0 },
	{ "http://pro xy:1", ERR_PROXY_URL, 0, 0, 0, 0 },
	{ "http://p\r\nX: y:1", ERR_PROXY_URL, 0, 0, 0, 0 },
	{ "http://@p:1", ERR_PROXY_URL, 0, 0, 0, 0 },
	{ "http://u:%zz@p:1", ERR_PROXY_URL, 0, 0, 0, 0 },
	{ "http://u:%0@p:1", ERR_PROXY_URL, 0, 0, 0, 0 },
	{ "http://u:%00@p:1", ERR_PROXY_URL, 0, 0, 0, 0 },
	{ "http://u:x@", ERR_PROXY_URL, 0, 0, 0, 0 },
	{ "http://[::1:8888", ERR_PROXY_URL, 0, 0, 0, 0 },
};

static void
test_parse(void)
{
	struct proxy p;
	char long_cred[600];
	int e;

	for (size_t i = 0; i < sizeof parse / sizeof parse[0]; i++) {
		e = proxy_parse(&p, "HTTPS_PROXY", parse[i].in);
		CHECK(e == parse[i].err, "%s: got %d (%s) want %d", parse[i].in,
		    e, err_str(e), parse[i].err);
		CHECK(p.err == e && p.set == 1, "%s: stored err %d", parse[i].in,
		    p.err);
		if (e != 0 || parse[i].err != 0) {
			CHECK(p.auth[0] == '\0', "%s: auth kept on error",
			    parse[i].in);
			continue;
		}
		CHECK(strcmp(p.host, parse[i].host) == 0, "%s: host %s",
		    parse[i].in, p.host);
		CHECK(p.port == parse[i].port, "%s: port %u", parse[i].in,
		    (unsigned)p.port);
		CHECK(strcmp(p.name, parse[i].name) == 0, "%s: name %s",
		    parse[i].in, p.name);
		CHECK(strcmp(p.auth, parse[i].auth) == 0, "%s: auth %s",
		    parse[i].in, p.auth);
		CHECK(strstr(p.name, "@") == NULL, "%s: credentials in name",
		    parse[i].in);
	}
	/* credentials at and over the limit (user:pass decoded,
	 * PROXY_CRED_MAX bytes) */
	memset(long_cred, 'a', sizeof long_cred);
	memcpy(long_cred, "http://", 7);
	long_cred[7 + 127] = ':';
	memcpy(long_cred + 7 + PROXY_CRED_MAX, "@p:1", 5);
	CHECK(proxy_parse(&p, "X", long_cred) == 0, "longest credentials");
	CHECK(strlen(p.auth) == 6 + 4 * ((PROXY_CRED_MAX + 2) / 3),
	    "auth length %zu", strlen(p.auth));
	memset(long_cred, 'a', sizeof long_cred);
	memcpy(long_cred, "http://", 7);
	long_cred[7 + 127] = ':';
	memcpy(long_cred + 7 + PROXY_CRED_MAX + 1, "@p:1", 5);
	CHECK(proxy_parse(&p, "X", long_cred) == ERR_PROXY_URL,
	    "credentials one byte too long");
}

static const struct {
	const char *list;
	const char *host;
	unsigned port;
	int bypass;
} np[] = {
	{ NULL, "example.com", 443, 0 },
	{ "", "example.com", 443, 0 },
	{ "*", "example.com", 443, 1 },
	{ " * ", "10.0.0.1", 80, 1 },
	{ "example.com", "example.com", 443, 1 },
	{ "example.com", "EXAMPLE.com", 443, 1 },
	{ "example.com", "api.example.com", 443, 1 },
	{ ".example.com", "api.example.com", 443, 1 },
	{ ".example.com", "example.com", 443, 1 },
	{ "example.com.", "a.example.com", 443, 1 },
	{ "example.com", "example.com.", 443, 1 },
	{ "example.com", "badexample.com", 443, 0 },
	{ "example.com", "example.com.evil", 443, 0 },
	{ "ample.com", "example.com", 443, 0 },
	{ "a.example.com", "example.com", 443, 0 },
	{ "localhost,example.com", "example.com", 443, 1 },
	{ "localhost, example.com ,x", "example.com", 443, 1 },
	{ "localhost  example.com", "example.com", 443, 1 },
	{ ",,,", "example.com", 443, 0 },
	{ "foo,*", "example.com", 443, 1 },
	{ "example.com:8443", "example.com", 8443, 1 },
	{ "example.com:8443", "example.com", 443, 0 },
	{ ".example.com:443", "x.example.com", 443, 1 },
	{ "example.com:", "example.com", 443, 0 },
	{ "example.com:99999", "example.com", 443, 0 },
	/* IP literals: the same literal, never a suffix, never a name */
	{ "127.0.0.1", "127.0.0.1", 80, 1 },
	{ "127.0.0.1", "127.0.0.10", 80, 0 },
	{ "0.0.1", "127.0.0.1", 80, 0 },
	{ ".0.0.1", "127.0.0.1", 80, 0 },
	{ "1", "127.0.0.1", 80, 0 },
	{ "127.0.0.1:8080", "127.0.0.1", 8080, 1 },
	{ "127.0.0.1:8080", "127.0.0.1", 80, 0 },
	{ "127.0.0.1", "localhost", 80, 0 },
	{ "0.1", "127.0.0.1", 80, 0 },
	{ "::1", "::1", 443, 1 },
	{ "[::1]", "::1", 443, 1 },
	{ "[::1]:443", "::1", 443, 1 },
	{ "[::1]:443", "::1", 8443, 0 },
	{ "fd00::1", "fd00::1", 443, 1 },
	{ "::1", "fd00::1", 443, 0 },
	{ "::1", "127.0.0.1", 443, 0 },
	{ "127.0.0.1", "::1", 443, 0 },
	{ "[::1", "::1", 443, 0 },
	{ "[::1]x", "::1", 443, 0 },
	/* CIDR blocks (curl 7.86): addresses of the same family only */
	{ "10.0.0.0/8", "10.200.3.4", 443, 1 },
	{ "10.0.0.0/8", "11.0.0.1", 443, 0 },
	{ "192.168.1.0/24", "192.168.1.255", 80, 1 },
	{ "192.168.1.0/24", "192.168.2.1", 80, 0 },
	{ "192.168.1.128/25", "192.168.1.127", 80, 0 },
	{ "192.168.1.128/25", "192.168.1.129", 80, 1 },
	{ "172.16.0.0/12", "172.31.255.255", 80, 1 },
	{ "172.16.0.0/12", "172.32.0.0", 80, 0 },
	{ "0.0.0.0/0", "8.8.8.8", 80, 1 },
	{ "127.0.0.1/32", "127.0.0.1", 80, 1 },
	{ "127.0.0.1/32", "127.0.0.2", 80, 0 },
	{ "127.0.0.0/33", "127.0.0.1", 80, 0 },
	{ "127.0.0.0/", "127.0.0.1", 80, 0 },
	{ "127.0.0.0/8x", "127.0.0.1", 80, 0 },
	{ "/8", "127.0.0.1", 80, 0 },
	{ "10.0.0.0/8", "example.com", 443, 0 },
	{ "10.0.0.0/8", "::1", 443, 0 },
	{ "fd00::/8", "fd12:3456::1", 443, 1 },
	{ "fd00::/8", "fe80::1", 443, 0 },
	{ "[fd00::]/8", "fd00::5", 443, 1 },
	{ "::1/128", "::1", 443, 1 },
	{ "::/0", "2001:db8::1", 443, 1 },
	{ "::1/129", "::1", 443, 0 },
	{ "fd00::/8", "10.0.0.1", 443, 0 },
	{ "localhost,10.0.0.0/8", "10.1.1.1", 443, 1 },
};

static void
test_no_proxy(void)
{
	for (size_t i = 0; i < sizeof np / sizeof np[0]; i++) {
		int b = proxy_bypass(np[i].list, np[i].host, (uint16_t)np[i].port);
		CHECK(b == np[i].bypass, "NO_PROXY=\"%s\" %s:%u: got %d",
		    np[i].list ? np[i].list : "(unset)", np[i].host, np[i].port,
		    b);
	}
}

static void
test_select(void)
{
	static struct proxy_conf pc;
	static struct url u;
	const struct proxy *p;
	const char *s;

	proxy_conf_init(&pc, "https_proxy", "http://u:pw@sp:3128",
	    "http_proxy", "hp:8080", "internal.example,127.0.0.1");
	s = "https://github.com/a/b";
	CHECK(url_parse((const uint8_t *)s, strlen(s), &u) == 0, "%s", s);
	p = proxy_select(&pc, &u);
	CHECK(p == &pc.https && p->err == 0 && strcmp(p->var, "https_proxy") == 0,
	    "https target");
	s = "http://mirror.example/a.tar.gz";
	CHECK(url_parse((const uint8_t *)s, strlen(s), &u) == 0, "%s", s);
	p = proxy_select(&pc, &u);
	CHECK(p == &pc.http && p->port == 8080 && p->auth[0] == '\0',
	    "http target");
	s = "https://git.internal.example/a.tar.gz";
	CHECK(url_parse((const uint8_t *)s, strlen(s), &u) == 0, "%s", s);
	CHECK(proxy_select(&pc, &u) == NULL, "no_proxy domain");
	s = "http://127.0.0.1:9000/bucket";
	CHECK(url_parse((const uint8_t *)s, strlen(s), &u) == 0, "%s", s);
	CHECK(proxy_select(&pc, &u) == NULL, "no_proxy IP");
	s = "file:///tmp/x.tar.gz";
	CHECK(url_parse((const uint8_t *)s, strlen(s), &u) == 0, "%s", s);
	CHECK(proxy_select(&pc, &u) == NULL, "file URL");
	CHECK(proxy_select(NULL, &u) == NULL, "no configuration");

	/* only https set: http goes direct; a bad value is kept for use */
	proxy_conf_init(&pc, "HTTPS_PROXY", "socks5://u:secret@p:1",
	    "HTTP_PROXY", "", NULL);
	s = "https://github.com/a/b";
	CHECK(url_parse((const uint8_t *)s, strlen(s), &u) == 0, "%s", s);
	p = proxy_select(&pc, &u);
	CHECK(p != NULL && p->err == ERR_PROXY_SCHEME &&
	    strcmp(p->var, "HTTPS_PROXY") == 0 && p->auth[0] == '\0',
	    "bad https proxy is reported on use");
	s = "http://mirror.example/a.tar.gz";
	CHECK(url_parse((const uint8_t *)s, strlen(s), &u) == 0, "%s", s);
	CHECK(proxy_select(&pc, &u) == NULL, "unset http proxy");
}

static void
test_note(void)
{
	struct proxy p;
	struct err_ctx ec;
	char line[512];

	CHECK(proxy_parse(&p, "https_proxy", "http://bob:hunter2@p.example:3128")
	    == 0, "parse");
	memset(&ec, 0, sizeof ec);
	snprintf(ec.source, sizeof ec.source, "https://test.invalid/x.tar.gz");
	err_set(&ec, ERR_NET_REFUSED, "127.0.0.1:3128");
	proxy_note(&ec, &p);
	err_format(&ec, line, sizeof line);
	CHECK(strcmp(line, "https://test.invalid/x.tar.gz: connection refused "
	    "(127.0.0.1:3128; via proxy http://p.example:3128)") == 0, "%s", line);
	proxy_note(&ec, &p);    /* once only */
	CHECK(strstr(strstr(ec.detail, "via proxy") + 1, "via proxy") == NULL,
	    "noted twice: %s", ec.detail);
	CHECK(strstr(line, "hunter2") == NULL && strstr(line, "bob") == NULL,
	    "credentials in message");
	err_set(&ec, ERR_TLS_UNTRUSTED, NULL);
	proxy_note(&ec, &p);
	CHECK(strcmp(ec.detail, "via proxy http://p.example:3128") == 0, "%s",
	    ec.detail);
}

int
main(void)
{
	test_parse();
	test_no_proxy();
	test_select();
	test_note();
	return T_DONE();
}
