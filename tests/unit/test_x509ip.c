/*
 * test_x509ip.c - x509_ip_match(): certificates made by openssl (also the fuzz
 * seeds; in tests/unit/data/x509ip: IP and DNS entries, a critical SAN, no
 * SAN, no extensions), a minimal hand-built DER certificate skeleton, and every
 * truncation and a flipped byte of each (never a match beyond the original,
 * never a crash under ASan).
 */
#include <stdio.h>
#include <string.h>

#include "x509ip.h"
#include "t.h"

static const uint8_t lo4[4] = { 127, 0, 0, 1 };
static const uint8_t lo6[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t ten5[4] = { 10, 0, 0, 5 };
static const uint8_t other4[4] = { 127, 0, 0, 2 };

static size_t
load(const char *name, uint8_t *buf, size_t cap)
{
	char path[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "tests/unit/data/x509ip/%s", name);
	if ((f = fopen(path, "rb")) == NULL)
		return 0;
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

/* no prefix of a certificate may match an address the whole does not */
static void
prefixes(const char *what, const uint8_t *der, size_t n, const uint8_t *ip,
    size_t iplen)
{
	int whole = x509_ip_match(der, n, ip, iplen), bad = 0;
	uint8_t copy[4096];

	for (size_t k = 0; k < n; k++)
		bad += x509_ip_match(der, k, ip, iplen) && !whole;
	CHECK(bad == 0, "%s: %d prefixes match", what, bad);
	/* one flipped byte at each position: must only ever answer 0 or 1 */
	bad = 0;
	for (size_t k = 0; k < n && n <= sizeof copy; k++) {
		int r;
		memcpy(copy, der, n);
		copy[k] ^= 0xff;
		r = x509_ip_match(copy, n, ip, iplen);
		bad += r != 0 && r != 1;
	}
	CHECK(bad == 0, "%s: odd results on flipped bytes", what);
}

static void
test_openssl_certs(void)
{
	uint8_t der[4096];
	size_t n;

	n = load("ip-san.der", der, sizeof der);
	CHECK(n > 100, "ip-san.der: %zu bytes (run from the repository root)", n);
	CHECK(x509_ip_match(der, n, lo4, 4) == 1, "127.0.0.1 listed");
	CHECK(x509_ip_match(der, n, lo6, 16) == 1, "::1 listed");
	CHECK(x509_ip_match(der, n, other4, 4) == 0, "127.0.0.2 not listed");
	CHECK(x509_ip_match(der, n, lo4, 3) == 0, "3-byte address refused");
	prefixes("ip-san", der, n, lo4, 4);

	n = load("ip-san-critical.der", der, sizeof der);
	CHECK(x509_ip_match(der, n, ten5, 4) == 1, "critical SAN: 10.0.0.5");
	CHECK(x509_ip_match(der, n, lo4, 4) == 0, "critical SAN: not 127.0.0.1");
	prefixes("ip-san-critical", der, n, ten5, 4);

	n = load("dns-only.der", der, sizeof der);
	CHECK(n > 100 && x509_ip_match(der, n, lo4, 4) == 0, "DNS names only");
	n = load("no-san.der", der, sizeof der);
	CHECK(n > 100 && x509_ip_match(der, n, lo4, 4) == 0, "no SAN");
}

/* The smallest shape the reader walks: Certificate { TBS { [3] { Extensions
 * { Extension { OID 2.5.29.17, OCTET STRING { GeneralNames { [7] addr }}}}}}} */
static void
test_skeleton(void)
{
	static const uint8_t der[] = {
		0x30, 0x15,
		  0x30, 0x13,
		    0xa3, 0x11,
		      0x30, 0x0f,
		        0x30, 0x0d,
		          0x06, 0x03, 0x55, 0x1d, 0x11,
		          0x04, 0x06,
		            0x30, 0x04,
		              0x87, 0x02, 0x7f, 0x00,   /* a 2-byte "address" */
	};
	uint8_t ok[sizeof der];

	CHECK(x509_ip_match(der, sizeof der, lo4, 4) == 0, "short address entry");
	/* the same with a 4-byte address: lengths grow by 2 all the way up */
	static const uint8_t der4[] = {
		0x30, 0x17, 0x30, 0x15, 0xa3, 0x13, 0x30, 0x11, 0x30, 0x0f,
		0x06, 0x03, 0x55, 0x1d, 0x11, 0x04, 0x08, 0x30, 0x06,
		0x87, 0x04, 127, 0, 0, 1,
	};
	CHECK(x509_ip_match(der4, sizeof der4, lo4, 4) == 1, "skeleton match");
	CHECK(x509_ip_match(der4, sizeof der4, other4, 4) == 0, "skeleton other");
	prefixes("skeleton", der4, sizeof der4, lo4, 4);
	/* a length that runs past the end */
	memcpy(ok, der, sizeof der);
	ok[1] = 0x7f;
	CHECK(x509_ip_match(ok, sizeof ok, lo4, 4) == 0, "overlong outer length");
	CHECK(x509_ip_match(NULL, 0, lo4, 4) == 0, "empty input");
}

int
main(void)
{
	test_openssl_certs();
	test_skeleton();
	return T_DONE();
}
