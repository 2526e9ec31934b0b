/*
 * tls.c - TLS 1.2 client over BearSSL, and trust anchor loading. See tls.h.
 *
 * Data flow: BearSSL's engine does no I/O. run_until() pumps it as
 * BearSSL's own ssl_io.c does: records the engine wants to send go out
 * first (net_write), then we stop if the wanted state is reached, else we
 * feed it bytes from the socket (net_read); the socket's stall timeout and
 * deadline bound every wait. When the engine closes, its last error (a
 * BR_ERR_* or BR_ERR_X509_* number, or a received/sent alert) is mapped to
 * one of our ERR_TLS_* codes. A socket error is kept in t->err instead
 * (br_ssl_engine_fail is internal to BearSSL): it is sticky, and every entry
 * point checks it before touching the engine again.
 *
 * Anchor files are streamed: the PEM decoder's output goes straight into an
 * X.509 decoder, so a file of any length needs only the decoder contexts and
 * a capped DN buffer; each anchor then gets one allocation (DN + key bytes).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "tls.h"
#include "x509ip.h"

/* ------------------------------------------------------------ anchors */

/* see tls.h */
void
tls_anchors_init(struct tls_anchors *a)
{
	a->ta = tls_builtin_anchors;
	a->n = tls_builtin_anchors_count;
	a->own = NULL;
	a->nextra = 0;
}

static void
free_extra(br_x509_trust_anchor *ta, size_t n)
{
	size_t i;

	/* each extra anchor is one block that starts with its DN */
	for (i = 0; i < n; i++)
		free(ta[i].dn.data);
}

/* see tls.h */
void
tls_anchors_free(struct tls_anchors *a)
{
	if (a->own != NULL) {
		free_extra(a->own + tls_builtin_anchors_count, a->nextra);
		free(a->own);
	}
	tls_anchors_init(a);
}

/* State for one PEM file being read. */
struct pem_load {
	br_pem_decoder_context pc;
	br_x509_decoder_context dc;
	unsigned char dn[TLS_DN_MAX];
	size_t dnlen;
	int dn_over;            /* DN longer than TLS_DN_MAX */
	int in_obj;             /* between BEGIN and END */
	int is_cert;            /* the current object is a certificate */
	br_x509_trust_anchor *ta;       /* anchors read so far (not yet in a) */
	size_t n, cap, max;
	size_t ncert;           /* certificates seen, for messages */
	unsigned long line;     /* 1-based line of the decoder position */
};

static void
dn_append(void *ctx, const void *buf, size_t len)
{
	struct pem_load *L = ctx;

	if (len > sizeof L->dn - L->dnlen) {
		L->dn_over = 1;
		return;
	}
	memcpy(L->dn + L->dnlen, buf, len);
	L->dnlen += len;
}

static void
x509_push(void *ctx, const void *buf, size_t len)
{
	struct pem_load *L = ctx;

	br_x509_decoder_push(&L->dc, buf, len);
}

/* A certificate object ended: turn it into an anchor in L->ta. */
static int
finish_cert(struct pem_load *L, struct err_ctx *e)
{
	const br_x509_pkey *pk;
	br_x509_trust_anchor *ta;
	unsigned char *mem;
	size_t klen;
	int xerr;

	pk = br_x509_decoder_get_pkey(&L->dc);
	xerr = br_x509_decoder_last_error(&L->dc);
	if (pk == NULL || xerr != 0 || L->dn_over) {
		if (e != NULL)
			err_set(e, ERR_TLS_CA_CERT, "certificate %zu ending "
			    "at line %lu: %s", L->ncert, L->line,
			    L->dn_over ? "subject name too long" :
			    "X.509 decoding failed");
		return ERR_TLS_CA_CERT;
	}
	if (pk->key_type == BR_KEYTYPE_RSA)
		klen = pk->key.rsa.nlen + pk->key.rsa.elen;
	else if (pk->key_type == BR_KEYTYPE_EC)
		klen = pk->key.ec.qlen;
	else {
		if (e != NULL)
			err_set(e, ERR_TLS_CA_CERT, "certificate %zu ending "
			    "at line %lu: unsupported key type", L->ncert,
			    L->line);
		return ERR_TLS_CA_CERT;
	}
	if (L->n == L->max) {
		if (e != NULL)
			err_set(e, ERR_TLS_CA_LIMIT, "more than %d extra "
			    "anchors", TLS_EXTRA_ANCHORS_MAX);
		return ERR_TLS_CA_LIMIT;
	}
	if (L->n == L->cap) {
		/* doubling, but never past max: the cap bounds memory */
		size_t ncap = L->cap == 0 ? 8 : L->cap * 2;
		if (ncap > L->max)
			ncap = L->max;
		ta = realloc(L->ta, ncap * sizeof *ta);
		if (ta == NULL)
			goto nomem;
		L->ta = ta;
		L->cap = ncap;
	}
	mem = malloc(L->dnlen + klen + 1);
	if (mem == NULL)
		goto nomem;
	ta = &L->ta[L->n++];
	memset(ta, 0, sizeof *ta);
	memcpy(mem, L->dn, L->dnlen);
	ta->dn.data = mem;
	ta->dn.len = L->dnlen;
	ta->flags = br_x509_decoder_isCA(&L->dc) ? BR_X509_TA_CA : 0;
	ta->pkey.key_type = pk->key_type;
	mem += L->dnlen;
	if (pk->key_type == BR_KEYTYPE_RSA) {
		ta->pkey.key.rsa.n = mem;
		ta->pkey.key.rsa.nlen = pk->key.rsa.nlen;
		memcpy(mem, pk->key.rsa.n, pk->key.rsa.nlen);
		mem += pk->key.rsa.nlen;
		ta->pkey.key.rsa.e = mem;
		ta->pkey.key.rsa.elen = pk->key.rsa.elen;
		memcpy(mem, pk->key.rsa.e, pk->key.rsa.elen);
	} else {
		ta->pkey.key.ec.curve = pk->key.ec.curve;
		ta->pkey.key.ec.q = mem;
		ta->pkey.key.ec.qlen = pk->key.ec.qlen;
		memcpy(mem, pk->key.ec.q, pk->key.ec.qlen);
	}
	return 0;
nomem:
	if (e != NULL)
		err_set(e, ERR_NOMEM, "certificate %zu", L->ncert);
	return ERR_NOMEM;
}

/* Push CR-free bytes through the PEM decoder, handling its events. */
static int
pem_run(struct pem_load *L, const unsigned char *p, size_t n,
    struct err_ctx *e)
{
	const char *name;
	size_t k, i;
	int rc;

	/* each round consumes bytes or handles one event: bounded by n
	 * plus the number of events, which the bytes bound too */
	while (n > 0) {
		k = br_pem_decoder_push(&L->pc, p, n);
		for (i = 0; i < k; i++)
			if (p[i] == '\n')
				L->line++;
		p += k;
		n -= k;
		switch (br_pem_decoder_event(&L->pc)) {
		case BR_PEM_BEGIN_OBJ:
			name = br_pem_decoder_name(&L->pc);
			L->in_obj = 1;
			L->is_cert = strcmp(name, "CERTIFICATE") == 0 ||
			    strcmp(name, "X509 CERTIFICATE") == 0;
			if (L->is_cert) {
				L->ncert++;
				L->dnlen = 0;
				L->dn_over = 0;
				br_x509_decoder_init(&L->dc, dn_append, L);
				br_pem_decoder_setdest(&L->pc, x509_push, L);
			} else {
				br_pem_decoder_setdest(&L->pc, NULL, NULL);
			}
			break;
		case BR_PEM_END_OBJ:
			L->in_obj = 0;
			if (L->is_cert) {
				rc = finish_cert(L, e);
				if (rc != 0)
					return rc;
			}
			break;
		case BR_PEM_ERROR:
			if (e != NULL)
				err_set(e, ERR_TLS_CA_PEM, "line %lu", L->line);
			return ERR_TLS_CA_PEM;
		default:
			break;
		}
	}
	return 0;
}

/*
 * Feed file bytes minus every CR: BearSSL 0.6's PEM decoder keeps the CR
 * of a CRLF "BEGIN" line in the object name ("CERTIFICATE-----"), which
 * would skip every certificate of a file saved with DOS line ends. A CR
 * carries no meaning in PEM, so dropping it changes nothing else.
 */
static int
pem_feed(struct pem_load *L, const unsigned char *p, size_t n,
    struct err_ctx *e)
{
	const unsigned char *cr;
	size_t k;
	int rc;

	while (n > 0) {
		cr = memchr(p, '\r', n);
		k = cr != NULL ? (size_t)(cr - p) : n;
		rc = pem_run(L, p, k, e);
		if (rc != 0)
			return rc;
		if (cr != NULL)
			k++;
		p += k;
		n -= k;
	}
	return 0;
}

/* see tls.h */
int
tls_anchors_add_pem_file(struct tls_anchors *a, const char *path,
    struct err_ctx *e)
{
	struct pem_load *L;
	br_x509_trust_anchor *all;
	unsigned char buf[4096];
	FILE *f;
	size_t got, nb = tls_builtin_anchors_count;
	int rc = 0, sys;
	struct err_ctx scratch;

	/* one error path whether or not the caller wants the detail */
	if (e == NULL) {
		memset(&scratch, 0, sizeof scratch);
		e = &scratch;
	}
	err_field(e->source, sizeof e->source, path, strlen(path));
	f = fopen(path, "rb");
	if (f == NULL) {
		sys = errno;
		e->sys_errno = sys;
		return err_set(e, sys == ENOENT ? ERR_NOENT : ERR_IO, NULL);
	}
	/* ~6 KiB of decoder state: heap, so threads with small stacks
	 * may load files too */
	L = calloc(1, sizeof *L);
	if (L == NULL) {
		fclose(f);
		return err_set(e, ERR_NOMEM, NULL);
	}
	L->line = 1;
	L->max = TLS_EXTRA_ANCHORS_MAX - a->nextra;
	br_pem_decoder_init(&L->pc);
	/* fread returns 0 at EOF or error: the loop ends with the file */
	while (rc == 0 && (got = fread(buf, 1, sizeof buf, f)) > 0)
		rc = pem_feed(L, buf, got, e);
	if (rc == 0 && ferror(f)) {
		e->sys_errno = errno;
		rc = err_set(e, ERR_IO, NULL);
	}
	/* a last line without '\n' still ends its object (as brssl does) */
	if (rc == 0)
		rc = pem_feed(L, (const unsigned char *)"\n", 1, e);
	if (rc == 0 && L->in_obj) {
		rc = err_set(e, ERR_TLS_CA_PEM, "unterminated PEM object at "
		    "the end");
	}
	if (rc == 0 && L->n == 0) {
		rc = err_set(e, ERR_TLS_CA_NONE, NULL);
	}
	fclose(f);
	if (rc == 0) {
		/* built-ins + old extras + new ones, in one array as BearSSL
		 * wants; the old array's extra blocks move over as they are */
		all = realloc(a->own, (a->n + L->n) * sizeof *all);
		if (all == NULL) {
			rc = err_set(e, ERR_NOMEM, NULL);
		} else {
			if (a->own == NULL)
				memcpy(all, tls_builtin_anchors,
				    nb * sizeof *all);
			memcpy(all + a->n, L->ta, L->n * sizeof *all);
			a->own = all;
			a->ta = all;
			a->n += L->n;
			a->nextra += L->n;
			L->n = 0;
		}
	}
	free_extra(L->ta, L->n);
	free(L->ta);
	free(L);
	return rc;
}

/* ------------------------------------------------------------ errors */

static const char *
alert_name(int a)
{
	switch (a) {
	case 0: return "close_notify";
	case 10: return "unexpected_message";
	case 20: return "bad_record_mac";
	case 22: return "record_overflow";
	case 40: return "handshake_failure";
	case 42: return "bad_certificate";
	case 43: return "unsupported_certificate";
	case 44: return "certificate_revoked";
	case 45: return "certificate_expired";
	case 46: return "certificate_unknown";
	case 47: return "illegal_parameter";
	case 48: return "unknown_ca";
	case 50: return "decode_error";
	case 51: return "decrypt_error";
	case 70: return "protocol_version";
	case 71: return "insufficient_security";
	case 80: return "internal_error";
	case 86: return "inappropriate_fallback";
	case 90: return "user_canceled";
	case 112: return "unrecognized_name";
	default: return "unknown alert";
	}
}

/*
 * BearSSL's last error -> our code, with a detail naming what BearSSL saw.
 * The classes follow what the user can do: fix trust (untrusted, issuer not
 * a CA, name, dates, another certificate problem), fix the server (version,
 * handshake), or retry (protocol noise).
 */
static int
map_br_error(int br, char *d, size_t cap)
{
	if (br >= BR_ERR_RECV_FATAL_ALERT && br < BR_ERR_SEND_FATAL_ALERT) {
		int al = br - BR_ERR_RECV_FATAL_ALERT;
		snprintf(d, cap, "received alert %d %s", al, alert_name(al));
		if (al == 70)
			return ERR_TLS_VERSION;
		if (al == 40 || al == 71) {
			/* usually: the server has no TLS 1.2, or none of
			 * our suites; say what we offer */
			snprintf(d, cap, "received alert %d %s: we offer only "
			    "TLS 1.2 with ECDHE and AES-GCM or ChaCha20", al,
			    alert_name(al));
			return ERR_TLS_HANDSHAKE;
		}
		return ERR_TLS_ALERT;
	}
	if (br >= BR_ERR_SEND_FATAL_ALERT) {
		int al = br - BR_ERR_SEND_FATAL_ALERT;
		snprintf(d, cap, "sent alert %d %s", al, alert_name(al));
		return ERR_TLS_PROTOCOL;
	}
	if (br >= BR_ERR_X509_OK && br < 64) {
		/* the words are err.c's; the code says what to fix */
		const char *w = err_x509_str(br);

		if (br == BR_ERR_X509_NOT_TRUSTED)
			/* the cause and the remedy: our CAs are Mozilla's,
			 * not the host's; a private CA is added at run time */
			snprintf(d, cap, "its chain ends in a CA outside "
			    "Mozilla's roots and --cacert/SSL_CERT_FILE");
		else if (w != NULL)
			snprintf(d, cap, "%s", w);
		else
			snprintf(d, cap, "BearSSL X.509 status %d", br);
		switch (br) {
		case BR_ERR_X509_NOT_TRUSTED:
			return ERR_TLS_UNTRUSTED;
		case BR_ERR_X509_BAD_SERVER_NAME:
			return ERR_TLS_NAME;
		case BR_ERR_X509_EXPIRED:
			return ERR_TLS_EXPIRED;
		case BR_ERR_X509_NOT_CA:
			return ERR_TLS_NOT_CA;
		default:
			return ERR_TLS_CERT;
		}
	}
	switch (br) {
	case BR_ERR_UNSUPPORTED_VERSION:
	case BR_ERR_BAD_VERSION:
		/* also what a non-TLS peer (plain HTTP) looks like */
		snprintf(d, cap, "peer answered with a version other than "
		    "TLS 1.2, or is not TLS");
		return ERR_TLS_VERSION;
	case BR_ERR_NO_RANDOM:
		snprintf(d, cap, "no random source (/dev/urandom)");
		return ERR_TLS_HANDSHAKE;
	case BR_ERR_BAD_CIPHER_SUITE:
	case BR_ERR_BAD_COMPRESSION:
	case BR_ERR_BAD_HANDSHAKE:
	case BR_ERR_BAD_HELLO_DONE:
	case BR_ERR_BAD_SECRENEG:
	case BR_ERR_BAD_FINISHED:
	case BR_ERR_INVALID_ALGORITHM:
	case BR_ERR_BAD_SIGNATURE:
	case BR_ERR_WRONG_KEY_USAGE:
	case BR_ERR_EXTRA_EXTENSION:
	case BR_ERR_OVERSIZED_ID:
	case BR_ERR_RESUME_MISMATCH:
		snprintf(d, cap, "BearSSL error %d", br);
		return ERR_TLS_HANDSHAKE;
	default:
		break;
	}
	snprintf(d, cap, "BearSSL error %d", br);
	return ERR_TLS_PROTOCOL;
}

/* Record a sticky error and fill e (whose source the caller set). */
static int
fail(struct tls *t, int code, const char *detail, struct err_ctx *e)
{
	t->err = code;
	if (e != NULL)
		err_set(e, code, "%s%s%s", t->conn != NULL ? t->conn->peer :
		    "", detail[0] != '\0' ? ", " : "", detail);
	return code;
}

/* The engine is closed: why? 0 for a clean close_notify. */
static int
closed_error(struct tls *t, struct err_ctx *e)
{
	char d[128];
	int br, code;

	if (t->err != 0)
		return t->err;  /* a socket error that we failed it with */
	br = br_ssl_engine_last_error(&t->sc.eng);
	if (br == BR_ERR_OK) {
		if (t->established) {
			t->eof = 1;
			return 0;
		}
		return fail(t, ERR_TLS_HANDSHAKE, "peer closed during "
		    "the handshake", e);
	}
	code = map_br_error(br, d, sizeof d);
	return fail(t, code, d, e);
}

/* ------------------------------------------------------------ engine */

/*
 * Cipher suites offered, best first: forward secrecy (ECDHE) and AEAD
 * only, as Mozilla's "intermediate" TLS 1.2 list; no static RSA, CBC or
 * 3DES. AES-GCM leads because we move bulk data and the hosts we run on
 * have AES-NI/PCLMUL, which BearSSL uses (aes_x86ni, ghash_pclmul); it
 * also keeps the sanitizer build off BearSSL's Poly1305, whose unaligned
 * 64-bit loads UBSan reports.
 */
static const uint16_t tls_suites[] = {
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
};

/*
 * Pump the engine until one of the target states is reached. Order as in
 * BearSSL's ssl_io.c run_until: pending records go out first (the peer may
 * wait for them before sending anything), then the target check, then a
 * read. Returns 0, or the sticky error; after a clean close, 0 with t->eof.
 */
static int
run_until(struct tls *t, unsigned target, struct err_ctx *e)
{
	br_ssl_engine_context *eng = &t->sc.eng;
	unsigned char *buf;
	unsigned st;
	size_t len, n;
	int rc, idle = 0;

	/* every round does socket I/O (bounded by its timeouts) or ends;
	 * `idle` catches an engine that neither sends nor reads */
	for (;;) {
		st = br_ssl_engine_current_state(eng);
		if (st & BR_SSL_CLOSED)
			return closed_error(t, e);
		if (st & BR_SSL_SENDREC) {
			buf = br_ssl_engine_sendrec_buf(eng, &len);
			rc = net_write(t->conn, buf, len, &n, e);
			if (rc != 0) {
				/* after the peer's close_notify it need not
				 * read ours (RFC 5246 7.2.1): not an error.
				 * shutdown_recv is in the public struct,
				 * though undocumented; ssl_io.c reads it
				 * the same way. */
				if (eng->shutdown_recv) {
					t->eof = 1;
					return 0;
				}
				t->err = rc;
				return rc;
			}
			br_ssl_engine_sendrec_ack(eng, n);
			idle = 0;
			continue;
		}
		if (st & target)
			return 0;
		/* app data waits while we want to write: with one shared
		 * buffer that would deadlock, so say so (as ssl_io does) */
		if (st & BR_SSL_RECVAPP)
			return fail(t, ERR_TLS_PROTOCOL, "unread application "
			    "data while writing", e);
		if (st & BR_SSL_RECVREC) {
			buf = br_ssl_engine_recvrec_buf(eng, &len);
			rc = net_read(t->conn, buf, len, &n, e);
			if (rc == 0 && n == 0) {
				/* EOF without close_notify: before the
				 * handshake ends it is a hang-up, after it a
				 * possible truncation attack */
				if (t->established)
					return fail(t, ERR_TLS_TRUNCATED,
					    "", e);
				return fail(t, ERR_NET_CLOSED, "during the "
				    "TLS handshake", e);
			}
			if (rc != 0) {
				t->err = rc;
				return rc;
			}
			br_ssl_engine_recvrec_ack(eng, n);
			idle = 0;
			continue;
		}
		if (++idle > 2)
			return fail(t, ERR_TLS_PROTOCOL, "engine stalled", e);
		br_ssl_engine_flush(eng, 0);
	}
}

/*
 * The client as br_ssl_client_init_full() sets it up, minus everything our
 * suites never use (RSA key exchange, CBC, CCM, 3DES, MD5, the TLS 1.0 PRF):
 * what is not referenced is not linked, which keeps the static binary small.
 */
static void
client_init(struct tls *t, const struct tls_anchors *a)
{
	static const br_hash_class *const hashes[] = {
		&br_sha1_vtable, &br_sha224_vtable, &br_sha256_vtable,
		&br_sha384_vtable, &br_sha512_vtable
	};
	br_ssl_client_context *cc = &t->sc;
	br_x509_minimal_context *xc = &t->xc;

	br_ssl_client_zero(cc);
	br_x509_minimal_init(xc, &br_sha256_vtable, a->ta, a->n);
	br_ssl_engine_set_suites(&cc->eng, tls_suites,
	    sizeof tls_suites / sizeof tls_suites[0]);
	br_ssl_engine_set_default_rsavrfy(&cc->eng);
	br_ssl_engine_set_default_ecdsa(&cc->eng);
	br_x509_minimal_set_rsa(xc, br_ssl_engine_get_rsavrfy(&cc->eng));
	br_x509_minimal_set_ecdsa(xc, br_ssl_engine_get_ec(&cc->eng),
	    br_ssl_engine_get_ecdsa(&cc->eng));
	/* SHA-1 stays for old certificate chains; never for TLS 1.2 PRFs */
	for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++) {
		int id = (int)((hashes[i]->desc >> BR_HASHDESC_ID_OFF) &
		    BR_HASHDESC_ID_MASK);
		br_ssl_engine_set_hash(&cc->eng, id, hashes[i]);
		br_x509_minimal_set_hash(xc, id, hashes[i]);
	}
	br_ssl_engine_set_x509(&cc->eng, &xc->vtable);
	br_ssl_engine_set_prf_sha256(&cc->eng, &br_tls12_sha256_prf);
	br_ssl_engine_set_prf_sha384(&cc->eng, &br_tls12_sha384_prf);
	br_ssl_engine_set_default_aes_gcm(&cc->eng);
	br_ssl_engine_set_default_chapol(&cc->eng);
}

/* ------------------------------------------------------------ by address */

static struct tls *
ipv_tls(const br_x509_class *const *ctx)
{
	return (struct tls *)(void *)((char *)(uintptr_t)ctx -
	    offsetof(struct tls, ipv));
}

static void
ipv_start_chain(const br_x509_class **ctx, const char *server_name)
{
	struct tls *t = ipv_tls(ctx);

	t->certs = 0;
	t->ee_len = 0;
	t->ee_over = 0;
	t->xc.vtable->start_chain(&t->xc.vtable, server_name);
}

static void
ipv_start_cert(const br_x509_class **ctx, uint32_t length)
{
	struct tls *t = ipv_tls(ctx);

	t->certs++;
	t->xc.vtable->start_cert(&t->xc.vtable, length);
}

static void
ipv_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	struct tls *t = ipv_tls(ctx);

	if (t->certs == 1) {
		if (len > sizeof t->ee - t->ee_len) {
			t->ee_over = 1;
		} else {
			memcpy(t->ee + t->ee_len, buf, len);
			t->ee_len += len;
		}
	}
	t->xc.vtable->append(&t->xc.vtable, buf, len);
}

static void
ipv_end_cert(const br_x509_class **ctx)
{
	struct tls *t = ipv_tls(ctx);

	t->xc.vtable->end_cert(&t->xc.vtable);
}

/* The chain as BearSSL judges it (no name check), then the address. */
static unsigned
ipv_end_chain(const br_x509_class **ctx)
{
	struct tls *t = ipv_tls(ctx);
	unsigned r = t->xc.vtable->end_chain(&t->xc.vtable);

	if (r == 0 && (t->ee_over ||
	    !x509_ip_match(t->ee, t->ee_len, t->ip, t->iplen)))
		return BR_ERR_X509_BAD_SERVER_NAME;
	return r;
}

static const br_x509_pkey *
ipv_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	struct tls *t = ipv_tls(ctx);

	return t->xc.vtable->get_pkey(&t->xc.vtable, usages);
}

static const br_x509_class ipv_class = {
	sizeof(struct tls), ipv_start_chain, ipv_start_cert, ipv_append,
	ipv_end_cert, ipv_end_chain, ipv_get_pkey
};

/* An address literal (IPv6 with or without brackets) into t->ip. */
static int
host_ip(struct tls *t, const char *host)
{
	char h[64];
	size_t n = strlen(host);

	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		host++;
		n -= 2;
	}
	if (n >= sizeof h)
		return 0;
	memcpy(h, host, n);
	h[n] = '\0';
	if (inet_pton(AF_INET, h, t->ip) == 1)
		t->iplen = 4;
	else if (inet_pton(AF_INET6, h, t->ip) == 1)
		t->iplen = 16;
	else
		t->iplen = 0;
	return t->iplen != 0;
}

/* see tls.h */
int
tls_connect(struct tls *t, struct net_conn *c, const char *host,
    const struct tls_anchors *a, int64_t deadline, struct err_ctx *e)
{
	int64_t saved = c->deadline;
	int rc;

	t->conn = c;
	t->err = 0;
	t->established = 0;
	t->eof = 0;
	/* no name means no SNI and, in BearSSL, no name check: refuse */
	if (host == NULL || host[0] == '\0')
		return fail(t, ERR_USAGE, "no host name for TLS", e);
	client_init(t, a);
	/* TLS 1.2 only: 1.0/1.1 have known weaknesses (and we would rather
	 * fail clearly than downgrade); BearSSL 0.6 has no 1.3 */
	br_ssl_engine_set_versions(&t->sc.eng, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_buffer(&t->sc.eng, t->iobuf, sizeof t->iobuf, 1);
	/* an address gets no SNI (RFC 6066) and our iPAddress check */
	if (host_ip(t, host)) {
		t->ipv = &ipv_class;
		br_ssl_engine_set_x509(&t->sc.eng, &t->ipv);
	}
	if (!br_ssl_client_reset(&t->sc, t->iplen ? NULL : host, 0))
		return closed_error(t, e);
	if (deadline != 0 && (saved == 0 || deadline < saved))
		c->deadline = deadline;
	rc = run_until(t, BR_SSL_SENDAPP | BR_SSL_RECVAPP, e);
	c->deadline = saved;
	if (rc == 0 && t->eof)
		rc = fail(t, ERR_TLS_HANDSHAKE, "peer closed during the "
		    "handshake", e);
	if (rc == 0)
		t->established = 1;
	return rc;
}

/* see tls.h */
int
tls_read(struct tls *t, void *buf, size_t cap, size_t *got,
    struct err_ctx *e)
{
	unsigned char *p;
	size_t len;
	int rc;

	*got = 0;
	if (t->err != 0)
		return fail(t, t->err, "", e);
	if (t->eof || cap == 0)
		return 0;
	rc = run_until(t, BR_SSL_RECVAPP, e);
	if (rc != 0 || t->eof)
		return rc;
	p = br_ssl_engine_recvapp_buf(&t->sc.eng, &len);
	if (len > cap)
		len = cap;
	memcpy(buf, p, len);
	br_ssl_engine_recvapp_ack(&t->sc.eng, len);
	*got = len;
	return 0;
}

/* see tls.h */
int
tls_write(struct tls *t, const void *buf, size_t n, struct err_ctx *e)
{
	const unsigned char *src = buf;
	unsigned char *p;
	size_t len;
	int rc;

	if (t->err != 0)
		return fail(t, t->err, "", e);
	/* each round moves >= 1 byte into the engine or fails */
	while (n > 0) {
		rc = run_until(t, BR_SSL_SENDAPP, e);
		if (rc != 0)
			return rc;
		if (t->eof)
			return fail(t, ERR_TLS_CLOSED, "", e);
		p = br_ssl_engine_sendapp_buf(&t->sc.eng, &len);
		if (len > n)
			len = n;
		memcpy(p, src, len);
		br_ssl_engine_sendapp_ack(&t->sc.eng, len);
		src += len;
		n -= len;
	}
	br_ssl_engine_flush(&t->sc.eng, 0);
	rc = run_until(t, BR_SSL_SENDAPP | BR_SSL_RECVAPP, e);
	if (rc == 0 && t->eof)
		return fail(t, ERR_TLS_CLOSED, "", e);
	return rc;
}

/* see tls.h */
int
tls_close(struct tls *t, struct err_ctx *e)
{
	br_ssl_engine_context *eng = &t->sc.eng;
	unsigned char *buf;
	size_t len, n;
	int rc = t->err, i;

	if (rc == 0 && t->conn != NULL && t->conn->fd >= 0) {
		br_ssl_engine_close(eng);
		/* send what the engine has (our close_notify); don't wait
		 * for the peer's. Few records at most: bounded rounds. */
		for (i = 0; i < 8; i++) {
			if (!(br_ssl_engine_current_state(eng) &
			    BR_SSL_SENDREC))
				break;
			buf = br_ssl_engine_sendrec_buf(eng, &len);
			if (net_write(t->conn, buf, len, &n, NULL) != 0)
				break;  /* best effort */
			br_ssl_engine_sendrec_ack(eng, n);
		}
	}
	(void)e;
	/* session keys live in the context: wipe them */
	explicit_bzero(&t->sc, sizeof t->sc);
	t->conn = NULL;
	return rc;
}
