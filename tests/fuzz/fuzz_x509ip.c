/*
 * fuzz_x509ip.c - libFuzzer target for the subjectAltName iPAddress reader
 * (the server certificate's bytes come from the network). The first byte
 * picks the address length (4 or 16) taken from the input's next bytes; the
 * rest is the certificate. Invariants, checked with abort(): the answer is 0
 * or 1, the same input gives the same answer, and a match is only possible
 * when the address bytes occur in the certificate.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "x509ip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t iplen;
	const uint8_t *ip, *der;
	int r;

	if (size < 1)
		return 0;
	iplen = data[0] & 1 ? 16 : 4;
	if (size < 1 + iplen)
		return 0;
	ip = data + 1;
	der = data + 1 + iplen;
	size -= 1 + iplen;
	r = x509_ip_match(der, size, ip, iplen);
	if (r != 0 && r != 1)
		abort();
	if (x509_ip_match(der, size, ip, iplen) != r)
		abort();
	if (r == 1) {
		int seen = 0;
		for (size_t i = 0; i + iplen <= size && !seen; i++)
			seen = memcmp(der + i, ip, iplen) == 0;
		if (!seen)
			abort();
	}
	return 0;
}
