/*
 * test_tls.c - net and tls without a server: --resolve parsing (table of
 * good and bad specs), trust-anchor files (two certificates, CRLF and no
 * final newline, all-or-nothing on errors, each error code with the file
 * named), and socket error paths on loopback: refused, read stall timeout,
 * deadline, EOF, reset, EPIPE without SIGPIPE, --resolve overrides, and a
 * TLS handshake against peers that hang up, stay silent or speak garbage;
 * the words for BearSSL's X.509 statuses, checked against its numbers.
 *
 * The certificates below are self-signed test CAs (EC P-256 and RSA 1024,
 * made once with openssl req -x509); only their DN and key are used, never
 * a signature, so their age does not matter.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "err.h"
#include "net.h"
#include "tls.h"
#include "t.h"

static const char pem_one[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBlzCCAT2gAwIBAgIUedygDT/oAi//HzrVk0QCunbMGJ0wCgYIKoZIzj0EAwIw\n"
	"ITEfMB0GA1UEAwwWcmVwb2RpZ2VzdCB1bml0IENBIG9uZTAeFw0yNjExMjYwNzUw\n"
	"MDJaFw0zNjExMjMwNzUwMDJaMCExHzAdBgNVBAMMFnJlcG9kaWdlc3QgdW5pdCBD\n"
	"QSBvbmUwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAASyuf4XAy0MEvAW4bG52INT\n"
	"AU0B8x1Rl9gF8F/WGfRv2/qxj13Ejn4CJkao3NKJyLS8+5TsxNUR09vV6eCcQbC7\n"
	"o1MwUTAdBgNVHQ4EFgQUo3T1XybVeOaFiOE5hgCcakVkT4MwHwYDVR0jBBgwFoAU\n"
	"o3T1XybVeOaFiOE5hgCcakVkT4MwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQD\n"
	"AgNIADBFAiEAzHba/1DtL17dB7TmRdnLcPK3cBnD0Fs99vASXMDpoTECIB7iFKbk\n"
	"Ey88PkiTTduhba5JvdL/TcopJi9rfZqHzziR\n"
	"-----END CERTIFICATE-----\n";
static const char pem_two[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBmDCCAT2gAwIBAgIUCK/zkv0PaWTajV3lwYj+ZERcnXYwCgYIKoZIzj0EAwIw\n"
	"ITEfMB0GA1UEAwwWcmVwb2RpZ2VzdCB1bml0IENBIHR3bzAeFw0yNjExMjYwNzUw\n"
	"MDJaFw0zNjExMjMwNzUwMDJaMCExHzAdBgNVBAMMFnJlcG9kaWdlc3QgdW5pdCBD\n"
	"QSB0d28wWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAATYPJ4q8pSw+4yXu25nSTRN\n"
	"DBlqtu5/3iS8KovBJLoq+kOCsdobGkdpFVONhyob9SZikgRedLBX5zUubmc3Nyjj\n"
	"o1MwUTAdBgNVHQ4EFgQUinIe0prHtkOPClzQnRBxl+XPJpMwHwYDVR0jBBgwFoAU\n"
	"inIe0prHtkOPClzQnRBxl+XPJpMwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQD\n"
	"AgNJADBGAiEAuzUEqMjy10YG17e630lKYgRSsz96kgpjyngP3TlDVn8CIQCkCv91\n"
	"ZrWdvsOxLe69SYctCAtNrUvOiBTgqroU5rcANw==\n"
	"-----END CERTIFICATE-----\n";
static const char pem_three[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIB9jCCAV+gAwIBAgIUOStX+LtqtWpCe2JS5DU023031c0wDQYJKoZIhvcNAQEL\n"
	"BQAwDTELMAkGA1UEAwwCdTMwHhcNMjYxMTI2MDc1MDAyWhcNMzYxMTIzMDc1MDAy\n"
	"WjANMQswCQYDVQQDDAJ1MzCBnzANBgkqhkiG9w0BAQEFAAOBjQAwgYkCgYEAxmh/\n"
	"9Vu86FEylX5Jnw4axr++MV5D6CVSJOLAv4Aa2IbL2OI3fCVuhaO4o5MGk1ollw48\n"
	"wn1bIt4MqmmgN8KtvGYh91hBnZQmKpXX4aXqYKcDGHNsiYxjdzbPa++jptzvtZYo\n"
	"+qAVAjvErE+tLg1A3wnRpxKsQMDGdIKSfLtbvoUCAwEAAaNTMFEwHQYDVR0OBBYE\n"
	"FEufEv22AQ1s/GFw1LjdEtn7Fj2IMB8GA1UdIwQYMBaAFEufEv22AQ1s/GFw1Ljd\n"
	"Etn7Fj2IMA8GA1UdEwEB/wQFMAMBAf8wDQYJKoZIhvcNAQELBQADgYEAhuC1+nhn\n"
	"RwPQa0Ry7QvlHsXCq7cHz6ocpYlQdObzLlAtZfpo+QHO3AfT4GcVITUygng58Nwz\n"
	"X9e6GZwGpsZrMV8Rtu86V/yvTc/vgGhOQ9tL7DgGHUFg/d0cbBrfARxTPkMkqSFi\n"
	"2QcXyOQGIKLGii9mjOJQDkkYMWEsLZOs1KY=\n"
	"-----END CERTIFICATE-----\n";

static char dir[64];

static const char *
put_file(const char *name, const char *a, const char *b)
{
	static char path[8][128];
	static int next;
	char *p = path[next++ % 8];
	FILE *f;

	snprintf(p, 128, "%s/%s", dir, name);
	f = fopen(p, "wb");
	if (f == NULL)
		abort();
	fputs(a, f);
	if (b != NULL)
		fputs(b, f);
	if (fclose(f) != 0)
		abort();
	return p;
}

/* ------------------------------------------------------------ resolve */

static void
test_resolve_parse(void)
{
	static const struct {
		const char *spec;
		int rc;
		const char *host, *addr;
		unsigned port;
	} cases[] = {
		{ "test.invalid:443:127.0.0.1", 0, "test.invalid", "127.0.0.1", 443 },
		{ "x:1:[::1]", 0, "x", "::1", 1 },
		{ "x:65535:::1", 0, "x", "::1", 65535 },
		{ "[::1]:8443:127.0.0.1", 0, "::1", "127.0.0.1", 8443 },
		{ "x:0:127.0.0.1", ERR_NET_RESOLVE_SPEC, 0, 0, 0 },
		{ "x:65536:127.0.0.1", ERR_NET_RESOLVE_SPEC, 0, 0, 0 },
		{ "x:123456:127.0.0.1", ERR_NET_RESOLVE_SPEC, 0, 0, 0 },
		{ "x::127.0.0.1", ERR_NET_RESOLVE_SPEC, 0, 0, 0 },
		{ "x:443", ERR_NET_RESOLVE_SPEC, 0, 0, 0 },
		{ "x:443:", ERR_NET_RESOLVE_SPEC, 0, 0, 0 },
		{ ":443:127.0.0.1", ERR_NET_RESOLVE_SPEC, 0, 0, 0 },
		{ "x:443:localhost", ERR_NET_RESOLVE_SPEC, 0, 0, 0 },
		{ "x:443:[127.0.0.1", ERR_NET_RESOLVE_SPEC, 0, 0, 0 },
		{ "x:443:127.0.0.1.", ERR_NET_RESOLVE_SPEC, 0, 0, 0 },
		{ "[::1:443:127.0.0.1", ERR_NET_RESOLVE_SPEC, 0, 0, 0 },
		{ "x:44a:127.0.0.1", ERR_NET_RESOLVE_SPEC, 0, 0, 0 },
		{ "", ERR_NET_RESOLVE_SPEC, 0, 0, 0 },
	};
	struct net_resolve r;
	size_t i;
	int rc;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		rc = net_resolve_parse(&r, cases[i].spec);
		CHECK(rc == cases[i].rc, "\"%s\": rc %d", cases[i].spec, rc);
		if (rc != 0 || cases[i].rc != 0)
			continue;
		CHECK(strcmp(r.host, cases[i].host) == 0 &&
		    strcmp(r.addr, cases[i].addr) == 0 &&
		    r.port == cases[i].port, "\"%s\": %s %u %s",
		    cases[i].spec, r.host, r.port, r.addr);
	}
}

/* ------------------------------------------------------------ anchors */

static int
has_dn(const struct tls_anchors *a, size_t i, const char *cn)
{
	size_t n = strlen(cn), k;

	for (k = 0; k + n <= a->ta[i].dn.len; k++)
		if (memcmp(a->ta[i].dn.data + k, cn, n) == 0)
			return 1;
	return 0;
}

static void
test_anchors(void)
{
	struct tls_anchors a;
	struct err_ctx e;
	size_t nb = tls_builtin_anchors_count;
	char crlf[2048], *w;
	const char *s, *p;
	int rc;

	tls_anchors_init(&a);
	CHECK(nb > 50 && a.n == nb && a.ta == tls_builtin_anchors,
	    "built-in anchors: %zu", nb);

	/* two certificates in one file, with a private key in between
	 * (skipped) and text around them (ignored, as in Debian's bundle) */
	memset(&e, 0, sizeof e);
	p = put_file("two.pem", pem_one,
	    "# comment line\n-----BEGIN PRIVATE KEY-----\nAAAA\n"
	    "-----END PRIVATE KEY-----\n");
	rc = tls_anchors_add_pem_file(&a, p, &e);
	CHECK(rc == ERR_OK && a.n == nb + 1, "one cert: rc %d n %zu", rc, a.n);
	p = put_file("more.pem", pem_two, pem_three);
	rc = tls_anchors_add_pem_file(&a, p, &e);
	CHECK(rc == ERR_OK && a.n == nb + 3 && a.nextra == 3,
	    "two more: rc %d n %zu", rc, a.n);
	CHECK(a.ta != tls_builtin_anchors && a.ta[0].dn.len ==
	    tls_builtin_anchors[0].dn.len, "built-ins kept in front");
	CHECK(has_dn(&a, nb, "repodigest unit CA one") &&
	    has_dn(&a, nb + 1, "repodigest unit CA two") &&
	    has_dn(&a, nb + 2, "u3"), "DNs in file order");
	CHECK(a.ta[nb].pkey.key_type == BR_KEYTYPE_EC &&
	    a.ta[nb].pkey.key.ec.curve == BR_EC_secp256r1 &&
	    a.ta[nb].pkey.key.ec.qlen == 65, "EC key");
	CHECK(a.ta[nb + 2].pkey.key_type == BR_KEYTYPE_RSA &&
	    a.ta[nb + 2].pkey.key.rsa.nlen == 128 &&
	    a.ta[nb + 2].pkey.key.rsa.elen == 3, "RSA key");
	CHECK((a.ta[nb].flags & BR_X509_TA_CA) != 0, "CA flag");

	/* CRLF line ends and no final newline */
	for (s = pem_two, w = crlf; *s != '\0'; s++) {
		if (*s == '\n')
			*w++ = '\r';
		*w++ = *s;
	}
	w[-2] = '\0';
	p = put_file("crlf.pem", crlf, NULL);
	rc = tls_anchors_add_pem_file(&a, p, &e);
	CHECK(rc == ERR_OK && a.n == nb + 4, "CRLF, no final newline: rc %d",
	    rc);

	/* errors: a unchanged, the file named in e->source */
	p = put_file("bad64.pem", "-----BEGIN CERTIFICATE-----\n"
	    "MIIB*lzCC\n-----END CERTIFICATE-----\n", NULL);
	memset(&e, 0, sizeof e);
	rc = tls_anchors_add_pem_file(&a, p, &e);
	CHECK(rc == ERR_TLS_CA_PEM && e.code == rc && a.n == nb + 4 &&
	    strcmp(e.source, p) == 0, "bad base64: rc %d src %s", rc,
	    e.source);

	p = put_file("trunc.pem", pem_one, "-----BEGIN CERTIFICATE-----\n"
	    "MIIBlzCCAT2gAwIBAgIUedygDT\n");
	rc = tls_anchors_add_pem_file(&a, p, &e);
	CHECK(rc == ERR_TLS_CA_PEM && a.n == nb + 4, "unterminated: rc %d",
	    rc);

	p = put_file("notder.pem", pem_one, "-----BEGIN CERTIFICATE-----\n"
	    "aGVsbG8gd29ybGQK\n-----END CERTIFICATE-----\n");
	rc = tls_anchors_add_pem_file(&a, p, &e);
	CHECK(rc == ERR_TLS_CA_CERT && a.n == nb + 4 &&
	    strstr(e.detail, "certificate 2") != NULL,
	    "not a certificate: rc %d (%s)", rc, e.detail);

	p = put_file("empty.pem", "", NULL);
	rc = tls_anchors_add_pem_file(&a, p, &e);
	CHECK(rc == ERR_TLS_CA_NONE, "empty: rc %d", rc);
	p = put_file("text.pem", "just text\n", NULL);
	rc = tls_anchors_add_pem_file(&a, p, &e);
	CHECK(rc == ERR_TLS_CA_NONE, "text: rc %d", rc);

	snprintf(crlf, sizeof crlf, "%s/missing.pem", dir);
	rc = tls_anchors_add_pem_file(&a, crlf, &e);
	CHECK(rc == ERR_NOENT && e.sys_errno == ENOENT &&
	    strcmp(e.source, crlf) == 0, "missing: rc %d", rc);

	tls_anchors_free(&a);
	CHECK(a.n == nb && a.ta == tls_builtin_anchors && a.nextra == 0,
	    "free restores built-ins");
}

/* ------------------------------------------------------------ sockets */

/* A loopback listener on a free port; never accepts unless asked. */
static int
listener(unsigned *port)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    listen(fd, 8) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0)
		abort();
	*port = ntohs(sa.sin_port);
	return fd;
}

static struct net_opts
opts(int io_ms, const struct net_resolve *r, size_t nr)
{
	struct net_opts o;

	memset(&o, 0, sizeof o);
	o.connect_ms = 2000;
	o.io_ms = io_ms;
	o.resolve = r;
	o.nresolve = nr;
	return o;
}

static void
test_net(void)
{
	struct net_resolve r[2];
	struct net_opts o;
	struct net_conn c;
	struct err_ctx e;
	struct linger lg = { 1, 0 };
	unsigned port, closed;
	unsigned char buf[64];
	size_t got;
	int64_t t0, dt;
	int lfd, afd, rc, i;

	/* refused: a port that was free a moment ago */
	lfd = listener(&closed);
	close(lfd);
	o = opts(1000, NULL, 0);
	memset(&e, 0, sizeof e);
	rc = net_connect(&c, "127.0.0.1", closed, &o, 0, &e);
	CHECK(rc == ERR_NET_REFUSED && c.fd == -1 &&
	    strstr(e.detail, "127.0.0.1:") != NULL, "refused: rc %d (%s)",
	    rc, e.detail);
	CHECK(err_retryable(ERR_NET_REFUSED), "refused is retryable");

	/* --resolve: the name never reaches DNS (a .invalid name could not
	 * resolve), the host matches case-insensitively, and an entry for
	 * another port is passed over */
	lfd = listener(&port);
	CHECK(net_resolve_parse(&r[0], "fake.invalid:1:127.0.0.1") == 0 &&
	    net_resolve_parse(&r[1], "Fake.Invalid:1:127.0.0.1") == 0,
	    "parse");
	r[0].port = closed;
	r[1].port = port;
	o = opts(300, r, 2);
	rc = net_connect(&c, "fake.invalid", port, &o, 0, &e);
	CHECK(rc == 0 && c.fd >= 0 && strcmp(c.peer, "127.0.0.1:") > 0,
	    "resolve override: rc %d peer %s", rc, c.peer);

	/* read stall timeout: connected through the backlog, never served */
	t0 = net_now_ms();
	rc = net_read(&c, buf, sizeof buf, &got, &e);
	dt = net_now_ms() - t0;
	CHECK(rc == ERR_NET_READ_TIMEOUT && dt >= 250 && dt < 2000 &&
	    strstr(e.detail, "nothing for 300 ms") != NULL,
	    "stall: rc %d after %lld ms (%s)", rc, (long long)dt, e.detail);
	/* the deadline beats the stall timeout */
	c.io_ms = 10000;
	c.deadline = net_now_ms() + 150;
	t0 = net_now_ms();
	rc = net_read(&c, buf, sizeof buf, &got, &e);
	dt = net_now_ms() - t0;
	CHECK(rc == ERR_NET_READ_TIMEOUT && dt < 1000 &&
	    strstr(e.detail, "deadline passed") != NULL,
	    "deadline: rc %d after %lld ms", rc, (long long)dt);
	c.deadline = 0;

	/* data, then EOF */
	afd = accept(lfd, NULL, NULL);
	CHECK(afd >= 0, "accept");
	CHECK(write(afd, "hi", 2) == 2, "write");
	close(afd);
	rc = net_read(&c, buf, sizeof buf, &got, &e);
	CHECK(rc == 0 && got == 2 && memcmp(buf, "hi", 2) == 0, "data");
	rc = net_read(&c, buf, sizeof buf, &got, &e);
	CHECK(rc == 0 && got == 0, "EOF: rc %d got %zu", rc, got);
	/* writing to a closed peer: EPIPE or RST, never SIGPIPE (we
	 * would not be alive to check) */
	rc = 0;
	for (i = 0; i < 50 && rc == 0; i++)
		rc = net_write_all(&c, buf, sizeof buf, &e);
	CHECK(rc == ERR_NET_CLOSED || rc == ERR_NET_RESET,
	    "write to closed peer: rc %d", rc);
	net_close(&c);
	net_close(&c);          /* idempotent */
	CHECK(c.fd == -1, "closed");

	/* reset: the peer closes with SO_LINGER 0 */
	o = opts(1000, NULL, 0);
	rc = net_connect(&c, "127.0.0.1", port, &o, 0, &e);
	afd = accept(lfd, NULL, NULL);
	CHECK(rc == 0 && afd >= 0, "connect for reset");
	setsockopt(afd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	close(afd);
	rc = net_read(&c, buf, sizeof buf, &got, &e);
	CHECK(rc == ERR_NET_RESET, "reset: rc %d", rc);
	net_close(&c);

	/* bad arguments */
	rc = net_connect(&c, "", 443, &o, 0, &e);
	CHECK(rc == ERR_USAGE, "empty host: rc %d", rc);
	rc = net_connect(&c, "127.0.0.1", 0, &o, 0, &e);
	CHECK(rc == ERR_USAGE, "port 0: rc %d", rc);
	close(lfd);
}

/* ------------------------------------------------------------ tls */

static struct tls T;

/* Connect to a fresh listener, let peer() act on the accepted socket,
 * then handshake; returns tls_connect's code. */
static int
handshake_with(int (*peer)(int fd), int io_ms, struct err_ctx *e)
{
	struct tls_anchors a;
	struct net_opts o = opts(io_ms, NULL, 0);
	struct net_conn c;
	unsigned port;
	int lfd, afd, rc;

	tls_anchors_init(&a);
	lfd = listener(&port);
	rc = net_connect(&c, "127.0.0.1", port, &o, 0, e);
	if (rc != 0)
		abort();
	afd = accept(lfd, NULL, NULL);
	if (afd < 0)
		abort();
	afd = peer(afd);
	rc = tls_connect(&T, &c, "test.invalid", &a, 0, e);
	tls_close(&T, NULL);
	net_close(&c);
	if (afd >= 0)
		close(afd);
	close(lfd);
	return rc;
}

static int
peer_hangup(int fd)
{
	close(fd);
	return -1;
}

static int
peer_silent(int fd)
{
	return fd;
}

static int
peer_http(int fd)
{
	static const char r[] = "HTTP/1.1 400 Bad Request\r\n\r\n";

	if (write(fd, r, sizeof r - 1) != (ssize_t)(sizeof r - 1))
		abort();
	return fd;
}

/* A TLS alert record: fatal (2), protocol_version (70) */
static int
peer_alert(int fd)
{
	static const unsigned char r[] = { 21, 3, 1, 0, 2, 2, 70 };

	if (write(fd, r, sizeof r) != (ssize_t)sizeof r)
		abort();
	return fd;
}

static void
test_tls_peers(void)
{
	struct tls_anchors a;
	struct net_conn c;
	struct err_ctx e;
	int rc;

	memset(&e, 0, sizeof e);
	rc = handshake_with(peer_hangup, 1000, &e);
	CHECK(rc == ERR_NET_CLOSED && strstr(e.detail, "handshake") != NULL,
	    "hang-up: rc %d (%s)", rc, e.detail);
	rc = handshake_with(peer_silent, 200, &e);
	CHECK(rc == ERR_NET_READ_TIMEOUT, "silent: rc %d", rc);
	rc = handshake_with(peer_http, 1000, &e);
	CHECK(rc == ERR_TLS_VERSION && strstr(e.detail, "not TLS") != NULL,
	    "plain HTTP: rc %d (%s)", rc, e.detail);
	rc = handshake_with(peer_alert, 1000, &e);
	CHECK(rc == ERR_TLS_VERSION && strstr(e.detail, "protocol_version"),
	    "alert 70: rc %d (%s)", rc, e.detail);

	/* no host name: refused before anything is sent */
	tls_anchors_init(&a);
	c.fd = -1;
	c.peer[0] = '\0';
	rc = tls_connect(&T, &c, "", &a, 0, &e);
	CHECK(rc == ERR_USAGE, "empty host: rc %d", rc);
	rc = tls_read(&T, e.detail, 1, &(size_t){ 0 }, &e);
	CHECK(rc == ERR_USAGE, "sticky: rc %d", rc);
}

/*
 * err.c words BearSSL's X.509 statuses by number, without BearSSL's header:
 * each number must be the BR_ERR_X509_* it claims to be, and none of them
 * may come out as a bare number.
 */
static void
test_x509_words(void)
{
	static const struct {
		int br;
		const char *has;
	} t[] = {
		{ BR_ERR_X509_OK, "no error" },
		{ BR_ERR_X509_INVALID_VALUE, "invalid value" },
		{ BR_ERR_X509_TRUNCATED, "truncated" },
		{ BR_ERR_X509_EMPTY_CHAIN, "no certificate" },
		{ BR_ERR_X509_INNER_TRUNC, "overruns" },
		{ BR_ERR_X509_BAD_TAG_CLASS, "tag class" },
		{ BR_ERR_X509_BAD_TAG_VALUE, "DER tag)" },
		{ BR_ERR_X509_INDEFINITE_LENGTH, "indefinite" },
		{ BR_ERR_X509_EXTRA_ELEMENT, "extra DER" },
		{ BR_ERR_X509_UNEXPECTED, "unexpected DER" },
		{ BR_ERR_X509_NOT_CONSTRUCTED, "constructed one belongs" },
		{ BR_ERR_X509_NOT_PRIMITIVE, "primitive one belongs" },
		{ BR_ERR_X509_PARTIAL_BYTE, "BIT STRING" },
		{ BR_ERR_X509_BAD_BOOLEAN, "BOOLEAN" },
		{ BR_ERR_X509_OVERFLOW, "out of range" },
		{ BR_ERR_X509_BAD_DN, "distinguished name" },
		{ BR_ERR_X509_BAD_TIME, "invalid date" },
		{ BR_ERR_X509_UNSUPPORTED, "unsupported feature" },
		{ BR_ERR_X509_LIMIT_EXCEEDED, "larger than supported" },
		{ BR_ERR_X509_WRONG_KEY_TYPE, "type its use" },
		{ BR_ERR_X509_BAD_SIGNATURE, "does not verify" },
		{ BR_ERR_X509_TIME_UNKNOWN, "current time" },
		{ BR_ERR_X509_EXPIRED, "validity dates" },
		{ BR_ERR_X509_DN_MISMATCH, "out of order" },
		{ BR_ERR_X509_BAD_SERVER_NAME, "name not in" },
		{ BR_ERR_X509_CRITICAL_EXTENSION, "critical extension" },
		{ BR_ERR_X509_NOT_CA, "lacks CA:TRUE" },
		{ BR_ERR_X509_FORBIDDEN_KEY_USAGE, "key usage" },
		{ BR_ERR_X509_WEAK_PUBLIC_KEY, "too small" },
		{ BR_ERR_X509_NOT_TRUSTED, "no trust anchor" },
	};

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		const char *w = err_x509_str(t[i].br);
		CHECK(w != NULL && strstr(w, t[i].has) != NULL &&
		    strlen(w) < 100, "X.509 status %d: %s", t[i].br,
		    w ? w : "(none)");
	}
	CHECK(err_x509_str(31) == NULL && err_x509_str(63) == NULL &&
	    err_x509_str(-1) == NULL && err_x509_str(61) == NULL,
	    "outside BearSSL's X.509 statuses: none");
}

int
main(void)
{
	/* MSG_NOSIGNAL must hold without help: keep SIGPIPE deadly */
	signal(SIGPIPE, SIG_DFL);
	snprintf(dir, sizeof dir, "/tmp/test_tls.XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	test_resolve_parse();
	test_x509_words();
	test_anchors();
	test_net();
	test_tls_peers();
	{
		char cmd[128];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", dir);
	}
	return T_DONE();
}
