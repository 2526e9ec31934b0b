/*
 * x509ip.c - subjectAltName iPAddress lookup in a DER certificate. See x509ip.h.
 *
 * Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature }
 * TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber, signature,
 *     issuer, validity, subject, subjectPublicKeyInfo, [1] issuerUID OPTIONAL,
 *     [2] subjectUID OPTIONAL, [3] EXPLICIT Extensions OPTIONAL }
 * Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE,
 *     extnValue OCTET STRING (holding GeneralNames for 2.5.29.17) }
 * GeneralName iPAddress is [7] IMPLICIT OCTET STRING: tag 0x87.
 */
#include <string.h>

#include "x509ip.h"

/* One DER element of s: its tag and contents. */
struct tlv {
	uint8_t tag;
	const uint8_t *p;       /* contents */
	size_t n;
};

/*
 * Read the element at *s (len *n) into t and advance past it. Definite
 * lengths only (DER), at most 4 length bytes (a certificate is far smaller),
 * single-byte tags (every tag we walk is one). Returns 0 or -1.
 */
static int
next(const uint8_t **s, size_t *n, struct tlv *t)
{
	const uint8_t *p = *s;
	size_t left = *n, len;

	if (left < 2 || (p[0] & 0x1f) == 0x1f)
		return -1;
	t->tag = p[0];
	len = p[1];
	p += 2;
	left -= 2;
	if (len & 0x80) {
		size_t k = len & 0x7f;
		if (k == 0 || k > 4 || k > left)
			return -1;
		len = 0;
		while (k-- > 0) {
			len = len << 8 | *p++;
			left--;
		}
	}
	if (len > left)
		return -1;
	t->p = p;
	t->n = len;
	*s = p + len;
	*n = left - len;
	return 0;
}

/* OID 2.5.29.17, subjectAltName, as its DER contents */
static const uint8_t oid_san[] = { 0x55, 0x1d, 0x11 };

static int
san_has_ip(const uint8_t *p, size_t n, const uint8_t *ip, size_t iplen)
{
	struct tlv names, g;

	if (next(&p, &n, &names) != 0 || names.tag != 0x30)
		return 0;
	p = names.p;
	n = names.n;
	while (n > 0) {
		if (next(&p, &n, &g) != 0)
			return 0;
		if (g.tag == 0x87 && g.n == iplen && memcmp(g.p, ip, iplen) == 0)
			return 1;
	}
	return 0;
}

/* see x509ip.h */
int
x509_ip_match(const uint8_t *der, size_t len, const uint8_t *ip, size_t iplen)
{
	struct tlv cert, tbs, f;
	const uint8_t *p = der;
	size_t n = len;

	if (iplen != 4 && iplen != 16)
		return 0;
	if (next(&p, &n, &cert) != 0 || cert.tag != 0x30)
		return 0;
	p = cert.p;
	n = cert.n;
	if (next(&p, &n, &tbs) != 0 || tbs.tag != 0x30)
		return 0;
	p = tbs.p;
	n = tbs.n;
	/* skip to [3] (context-specific, constructed, 3): the extensions */
	for (;;) {
		if (n == 0 || next(&p, &n, &f) != 0)
			return 0;
		if (f.tag == 0xa3)
			break;
	}
	p = f.p;
	n = f.n;
	if (next(&p, &n, &f) != 0 || f.tag != 0x30)      /* Extensions */
		return 0;
	p = f.p;
	n = f.n;
	while (n > 0) {
		struct tlv ext, oid, v;
		const uint8_t *q;
		size_t m;

		if (next(&p, &n, &ext) != 0 || ext.tag != 0x30)
			return 0;
		q = ext.p;
		m = ext.n;
		if (next(&q, &m, &oid) != 0 || oid.tag != 0x06)
			return 0;
		if (oid.n != sizeof oid_san ||
		    memcmp(oid.p, oid_san, sizeof oid_san) != 0)
			continue;
		if (next(&q, &m, &v) != 0)
			return 0;
		if (v.tag == 0x01 && next(&q, &m, &v) != 0)  /* critical */
			return 0;
		if (v.tag != 0x04)
			return 0;
		return san_has_ip(v.p, v.n, ip, iplen);
	}
	return 0;
}
