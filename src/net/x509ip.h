/*
 * x509ip.h - does a certificate name an IP address? (subjectAltName iPAddress)
 *
 * BearSSL's minimal X.509 engine checks DNS names only, so a server reached
 * by address (an S3 endpoint such as https://10.0.0.5:9000, as MinIO is often
 * deployed) could never be verified. tls.c keeps the end-entity certificate's
 * DER while BearSSL validates the chain and, for an address, asks this reader
 * whether the certificate's subjectAltName lists exactly that address.
 * RFC 5280 and the CA/Browser baseline: addresses are matched only against
 * iPAddress entries, never against DNS names or the common name.
 *
 * The certificate bytes come from the network: a bounded DER walk over a
 * (pointer, length) slice, no allocation; anything malformed is "no match".
 */
#ifndef X509IP_H
#define X509IP_H

#include <stddef.h>
#include <stdint.h>

/* 1 if the DER certificate's subjectAltName has an iPAddress equal to
 * ip[0..iplen) (4 bytes for IPv4, 16 for IPv6), else 0. */
int x509_ip_match(const uint8_t *der, size_t len, const uint8_t *ip,
    size_t iplen);

#endif
