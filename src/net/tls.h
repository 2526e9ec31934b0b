/*
 * tls.h - TLS 1.2 client over BearSSL, and its trust anchors.
 *
 * The client verifies the whole server chain with BearSSL's minimal X.509
 * engine against the trust anchors, checks the host name and sends it as
 * SNI. There is no way to turn verification off. Only TLS 1.2 is offered and
 * accepted (BearSSL 0.6 has no TLS 1.3), with ECDHE + AEAD suites only
 * (AES-GCM, ChaCha20-Poly1305): a server stuck on TLS 1.0/1.1 fails with
 * ERR_TLS_VERSION, or ERR_TLS_HANDSHAKE when it answers with a
 * handshake_failure alert (OpenSSL does, finding no common suite), rather
 * than being spoken to insecurely.
 *
 * Trust anchors: the built-in set is Mozilla's roots trusted for server
 * authentication (those with a server distrust-after date left out), made at
 * build time from certdata.txt in the pinned Debian ca-certificates source
 * (tools/mkanchors.c -> build/gen/anchors.c), plus any `make CA_EXTRA=file`;
 * never the build host's own CA store. The binary needs no file at run time;
 * PEM files (SSL_CERT_FILE, --cacert) add to the set.
 *
 * Memory: struct tls is caller-allocated and holds the whole 50 KiB I/O
 * buffer (BR_SSL_BUFSIZE_BIDI) - put it on the heap or a large stack, never
 * a small thread stack. Nothing is allocated per connection. struct
 * tls_anchors allocates for extra anchors only, capped by the limits below.
 */
#ifndef TLS_H
#define TLS_H

#include <stddef.h>
#include <stdint.h>

#include <bearssl.h>

#include "err.h"
#include "net.h"

/* Extra anchors a process may load (Debian's whole bundle is ~140). */
#define TLS_EXTRA_ANCHORS_MAX 1024
/* Longest subject DN kept for an anchor (real CAs: well under 512 bytes). */
#define TLS_DN_MAX 4096

/* The built-in anchors (generated at build time; see tools/mkanchors.c):
 * count in all, of which the last `extra` came from CA_EXTRA; trust names
 * where the others came from, e.g. "Mozilla roots (certdata.txt via Debian
 * ca-certificates 20250419)". */
extern const br_x509_trust_anchor tls_builtin_anchors[];
extern const size_t tls_builtin_anchors_count;
extern const size_t tls_builtin_anchors_extra;
extern const char tls_builtin_trust[];

struct tls_anchors {
	const br_x509_trust_anchor *ta; /* the set in use */
	size_t n;               /* entries in ta */
	br_x509_trust_anchor *own;      /* built-ins + extras, once any */
	size_t nextra;          /* from files: own[n - nextra ..] */
};

/* Start with the built-in set. Never fails, allocates nothing. */
void tls_anchors_init(struct tls_anchors *a);

/*
 * Append every CERTIFICATE in the PEM file at path to a (other PEM objects,
 * e.g. keys, are skipped). A certificate with the CA flag becomes a CA
 * anchor; one without is trusted only as that exact server certificate.
 * All or nothing: on error a is unchanged. Errors (e->source = path, detail
 * names the certificate number and line): ERR_NOENT / ERR_IO (errno),
 * ERR_TLS_CA_PEM, ERR_TLS_CA_CERT, ERR_TLS_CA_NONE, ERR_TLS_CA_LIMIT,
 * ERR_NOMEM. e may be NULL.
 */
int tls_anchors_add_pem_file(struct tls_anchors *a, const char *path,
    struct err_ctx *e);

/* Free what add_pem_file allocated; a is back to the built-in set. */
void tls_anchors_free(struct tls_anchors *a);

/* One client connection. Fields are internal; size ~ 57 KiB. */
struct tls {
	br_ssl_client_context sc;
	br_x509_minimal_context xc;
	struct net_conn *conn;  /* borrowed; the caller closes it */
	int err;                /* sticky enum err_code, 0 = none */
	int established;        /* handshake done */
	int eof;                /* peer's close_notify received */
	/* A server reached by address: BearSSL checks DNS names only, so the
	 * end-entity certificate is kept while xc validates the chain and
	 * must list the address in its subjectAltName (x509ip.c). ipv is a
	 * br_x509_class wrapping xc; BearSSL calls it with &ipv. */
	const br_x509_class *ipv;
	unsigned char ip[16];
	size_t iplen;           /* 0: the host is a name */
	unsigned certs;         /* certificates seen in this chain */
	size_t ee_len;          /* bytes of the first one in ee */
	int ee_over;            /* it did not fit */
	unsigned char ee[8192];
	unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
};

/*
 * Handshake over the connected c as a client for host (a DNS name, used for
 * SNI and for the certificate name check; or an IPv4/IPv6 literal, sent
 * without SNI and matched against the certificate's iPAddress entries; never
 * NULL or empty). a must stay
 * alive and unchanged while t is in use. deadline (absolute net_now_ms(),
 * 0 = none) bounds the handshake on top of c's own limits.
 * Errors: ERR_TLS_UNTRUSTED, ERR_TLS_NAME, ERR_TLS_EXPIRED, ERR_TLS_CERT,
 * ERR_TLS_VERSION, ERR_TLS_HANDSHAKE, ERR_TLS_ALERT, ERR_TLS_PROTOCOL, and
 * ERR_NET_* from the socket (ERR_NET_CLOSED if the peer hangs up).
 */
int tls_connect(struct tls *t, struct net_conn *c, const char *host,
    const struct tls_anchors *a, int64_t deadline, struct err_ctx *e);

/* Read up to cap bytes of application data. *got = 0: the peer closed the
 * session cleanly (close_notify). A socket EOF without close_notify is
 * ERR_TLS_TRUNCATED (the caller decides whether its framing made that safe).
 * Errors are sticky. */
int tls_read(struct tls *t, void *buf, size_t cap, size_t *got,
    struct err_ctx *e);

/* Write all n bytes and flush them to the socket. Errors are sticky;
 * after the peer closed: ERR_TLS_CLOSED. */
int tls_write(struct tls *t, const void *buf, size_t n, struct err_ctx *e);

/* Send close_notify (best effort; RFC 5246 7.2.1 lets us not wait for the
 * peer's) and wipe the session. Does not close c. Returns the sticky error
 * or 0. */
int tls_close(struct tls *t, struct err_ctx *e);

#endif
