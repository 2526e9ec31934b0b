/*
 * mkanchors.c - build-time tool: PEM CA bundle -> C trust anchor table.
 *
 * Usage: mkanchors BUNDLE.pem > anchors.c
 *
 * Reads every CERTIFICATE object of the bundle (Debian's
 * /etc/ssl/certs/ca-certificates.crt) with BearSSL's PEM decoder, feeds the
 * DER straight into BearSSL's X.509 decoder, and prints, for each
 * certificate, its subject DN and public key as byte arrays, then the
 * tls_builtin_anchors[] table that src/net/tls.c hands to the X.509 engine (the
 * same data `brssl ta` prints, in our own format). The binary thus carries
 * its anchors and needs no file at run time.
 *
 * A certificate whose key BearSSL cannot use (neither RSA nor EC) is left out
 * with a note on stderr; a malformed bundle, or one with no usable anchor, is
 * an error (exit 1), so a broken bundle cannot produce a binary that trusts
 * nothing. Runs on the build host only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bearssl.h>

#define MK_MAX_ANCHORS 4096     /* Debian ships ~140; far above, a typo */
#define MK_DN_MAX      4096     /* as TLS_DN_MAX in tls.h */

struct anchor_meta {
	unsigned char key_type; /* BR_KEYTYPE_RSA or BR_KEYTYPE_EC */
	int curve;              /* EC only */
	int is_ca;
};

struct mk {
	const char *path;
	br_pem_decoder_context pc;
	br_x509_decoder_context dc;
	unsigned char dn[MK_DN_MAX];
	size_t dnlen;
	int dn_over;
	int in_obj, is_cert;
	unsigned long line;     /* line of the decoder position, 1-based */
	size_t ncert;           /* certificates seen */
	size_t skipped;         /* with unusable keys */
	struct anchor_meta meta[MK_MAX_ANCHORS];
	size_t n;               /* anchors written */
};

static void
dn_append(void *ctx, const void *buf, size_t len)
{
	struct mk *m = ctx;

	if (len > sizeof m->dn - m->dnlen) {
		m->dn_over = 1;
		return;
	}
	memcpy(m->dn + m->dnlen, buf, len);
	m->dnlen += len;
}

static void
der_push(void *ctx, const void *buf, size_t len)
{
	struct mk *m = ctx;

	br_x509_decoder_push(&m->dc, buf, len);
}

static void
print_bytes(const char *name, size_t idx, const unsigned char *p, size_t n)
{
	size_t i;

	printf("static const unsigned char ta%zu_%s[%zu] = {", idx, name, n);
	for (i = 0; i < n; i++)
		printf("%s0x%02x,", i % 12 == 0 ? "\n\t" : " ", p[i]);
	printf("\n};\n");
}

/* A certificate ended: print its arrays. Returns 0 or -1 (message given). */
static int
emit_cert(struct mk *m)
{
	const br_x509_pkey *pk;
	struct anchor_meta *am;

	pk = br_x509_decoder_get_pkey(&m->dc);
	if (pk == NULL || m->dn_over) {
		fprintf(stderr, "%s: certificate %zu ending at line %lu: %s "
		    "(BearSSL error %d)\n", m->path, m->ncert, m->line,
		    m->dn_over ? "subject name too long" : "cannot decode",
		    br_x509_decoder_last_error(&m->dc));
		return -1;
	}
	if (pk->key_type != BR_KEYTYPE_RSA && pk->key_type != BR_KEYTYPE_EC) {
		fprintf(stderr, "%s: certificate %zu ending at line %lu: "
		    "key type %d unsupported, left out\n", m->path, m->ncert,
		    m->line, pk->key_type);
		m->skipped++;
		return 0;
	}
	if (m->n == MK_MAX_ANCHORS) {
		fprintf(stderr, "%s: more than %d certificates\n", m->path,
		    MK_MAX_ANCHORS);
		return -1;
	}
	am = &m->meta[m->n];
	am->key_type = pk->key_type;
	am->is_ca = br_x509_decoder_isCA(&m->dc);
	print_bytes("dn", m->n, m->dn, m->dnlen);
	if (pk->key_type == BR_KEYTYPE_RSA) {
		print_bytes("n", m->n, pk->key.rsa.n, pk->key.rsa.nlen);
		print_bytes("e", m->n, pk->key.rsa.e, pk->key.rsa.elen);
	} else {
		am->curve = pk->key.ec.curve;
		print_bytes("q", m->n, pk->key.ec.q, pk->key.ec.qlen);
	}
	m->n++;
	return 0;
}

static int
feed_run(struct mk *m, const unsigned char *p, size_t n)
{
	const char *name;
	size_t k, i;

	while (n > 0) {
		k = br_pem_decoder_push(&m->pc, p, n);
		for (i = 0; i < k; i++)
			if (p[i] == '\n')
				m->line++;
		p += k;
		n -= k;
		switch (br_pem_decoder_event(&m->pc)) {
		case BR_PEM_BEGIN_OBJ:
			name = br_pem_decoder_name(&m->pc);
			m->in_obj = 1;
			m->is_cert = strcmp(name, "CERTIFICATE") == 0 ||
			    strcmp(name, "X509 CERTIFICATE") == 0;
			if (m->is_cert) {
				m->ncert++;
				m->dnlen = 0;
				m->dn_over = 0;
				br_x509_decoder_init(&m->dc, dn_append, m);
				br_pem_decoder_setdest(&m->pc, der_push, m);
			} else {
				br_pem_decoder_setdest(&m->pc, NULL, NULL);
			}
			break;
		case BR_PEM_END_OBJ:
			m->in_obj = 0;
			if (m->is_cert && emit_cert(m) != 0)
				return -1;
			break;
		case BR_PEM_ERROR:
			fprintf(stderr, "%s: line %lu: malformed PEM\n",
			    m->path, m->line);
			return -1;
		default:
			break;
		}
	}
	return 0;
}

/* Drop CRs: BearSSL 0.6's PEM decoder would keep the CR of a CRLF BEGIN
 * line in the object name (as in src/net/tls.c). */
static int
feed(struct mk *m, const unsigned char *p, size_t n)
{
	const unsigned char *cr;
	size_t k;

	while (n > 0) {
		cr = memchr(p, '\r', n);
		k = cr != NULL ? (size_t)(cr - p) : n;
		if (feed_run(m, p, k) != 0)
			return -1;
		k += cr != NULL;
		p += k;
		n -= k;
	}
	return 0;
}

static void
emit_table(const struct mk *m)
{
	const struct anchor_meta *am;
	size_t i;

	printf("\nconst br_x509_trust_anchor tls_builtin_anchors[%zu] = {\n",
	    m->n);
	for (i = 0; i < m->n; i++) {
		am = &m->meta[i];
		printf("\t{ { (unsigned char *)ta%zu_dn, sizeof ta%zu_dn },"
		    " %s,\n", i, i, am->is_ca ? "BR_X509_TA_CA" : "0");
		if (am->key_type == BR_KEYTYPE_RSA)
			printf("\t  { BR_KEYTYPE_RSA, { .rsa = {\n"
			    "\t\t(unsigned char *)ta%zu_n, sizeof ta%zu_n,\n"
			    "\t\t(unsigned char *)ta%zu_e, sizeof ta%zu_e "
			    "} } } },\n", i, i, i, i);
		else
			printf("\t  { BR_KEYTYPE_EC, { .ec = { %d,\n"
			    "\t\t(unsigned char *)ta%zu_q, sizeof ta%zu_q "
			    "} } } },\n", am->curve, i, i);
	}
	printf("};\n\nconst size_t tls_builtin_anchors_count = %zu;\n", m->n);
}

int
main(int argc, char **argv)
{
	unsigned char buf[4096];
	struct mk *m;
	FILE *f;
	size_t got;
	int rc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: mkanchors BUNDLE.pem > anchors.c\n");
		return 2;
	}
	m = calloc(1, sizeof *m);
	if (m == NULL) {
		fprintf(stderr, "mkanchors: out of memory\n");
		return 1;
	}
	m->path = argv[1];
	m->line = 1;
	f = fopen(m->path, "rb");
	if (f == NULL) {
		fprintf(stderr, "%s: %s\n", m->path, strerror(errno));
		return 1;
	}
	printf("/*\n * Generated by tools/mkanchors from %s. Do not edit;\n"
	    " * never committed (build/gen/). See src/net/tls.h.\n */\n"
	    "#include \"tls.h\"\n\n", m->path);
	br_pem_decoder_init(&m->pc);
	while (rc == 0 && (got = fread(buf, 1, sizeof buf, f)) > 0)
		rc = feed(m, buf, got);
	if (rc == 0 && ferror(f)) {
		fprintf(stderr, "%s: read error\n", m->path);
		rc = -1;
	}
	fclose(f);
	if (rc == 0)
		rc = feed(m, (const unsigned char *)"\n", 1);
	if (rc == 0 && m->in_obj) {
		fprintf(stderr, "%s: unterminated PEM object\n", m->path);
		rc = -1;
	}
	if (rc == 0 && m->n == 0) {
		fprintf(stderr, "%s: no usable certificate\n", m->path);
		rc = -1;
	}
	if (rc != 0)
		return 1;
	emit_table(m);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "mkanchors: write error\n");
		return 1;
	}
	fprintf(stderr, "mkanchors: %zu anchors from %s (%zu left out)\n",
	    m->n, m->path, m->skipped);
	free(m);
	return 0;
}
