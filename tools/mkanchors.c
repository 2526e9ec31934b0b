/*
 * mkanchors.c - build-time tool: Mozilla's root list -> C trust anchor table.
 *
 * Usage: mkanchors --name TEXT CERTDATA.txt [EXTRA.pem] > anchors.c
 *
 * CERTDATA.txt is Mozilla's certdata.txt (NSS's built-in root list, from the
 * pinned Debian ca-certificates source: see vendor/manifest). A root is kept
 * when its trust object marks it a delegator for server authentication
 * (CKA_TRUST_SERVER_AUTH CKT_NSS_TRUSTED_DELEGATOR, the roots curl's
 * cacert.pem and rustls' webpki-roots take) and it carries no server
 * distrust-after date: BearSSL cannot apply such a date, so a root Mozilla
 * stopped trusting for certificates issued after it is left out whole (a note
 * on stderr names each). A trust object is matched to its certificate by
 * issuer and serial number, as NSS does. EXTRA.pem (make CA_EXTRA=file.pem)
 * adds its certificates after Mozilla's, counted apart. Nothing else is read:
 * the build host's own CA store never reaches the binary.
 *
 * Each certificate goes through BearSSL's X.509 decoder; the tool prints its
 * subject DN and public key as byte arrays, then tls_builtin_anchors[] that
 * src/net/tls.c hands to the X.509 engine, the counts, and TEXT as the trust
 * store's name (`repodigest version` prints them). The binary thus carries
 * its anchors and needs no file at run time.
 *
 * A malformed file, a certificate BearSSL cannot decode or whose key it
 * cannot use (neither RSA nor EC), a trust object without its certificate,
 * or no anchor at all is an error (exit 1): a broken input cannot produce a
 * binary that trusts less, or nothing, without saying so. Runs on the build
 * host only; input is the pinned, SHA-256-checked file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bearssl.h>

#define MK_MAX_OBJS    4096     /* certdata.txt: ~350 objects */
#define MK_MAX_ANCHORS 1024     /* Mozilla: ~150 roots; plus extras */
#define MK_DN_MAX      4096     /* as TLS_DN_MAX in tls.h */
#define MK_LABEL_MAX   200      /* longest label kept for comments and notes */

/* ------------------------------------------------------------ emitting */

struct anchor_meta {
	unsigned char key_type; /* BR_KEYTYPE_RSA or BR_KEYTYPE_EC */
	int curve;              /* EC only */
	int is_ca;
};

struct mk {
	br_x509_decoder_context dc;
	unsigned char dn[MK_DN_MAX];
	size_t dnlen;
	int dn_over;
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
print_bytes(const char *name, size_t idx, const unsigned char *p, size_t n)
{
	size_t i;

	printf("static const unsigned char ta%zu_%s[%zu] = {", idx, name, n);
	for (i = 0; i < n; i++)
		printf("%s0x%02x,", i % 12 == 0 ? "\n\t" : " ", p[i]);
	printf("\n};\n");
}

/* A label inside a C comment: printable ASCII and UTF-8 kept, nothing
 * that could end the comment. */
static void
print_label(const char *what, const char *label)
{
	const unsigned char *s;

	printf("/* %s: ", what);
	for (s = (const unsigned char *)label; *s != '\0'; s++)
		putchar(*s < 0x20 || *s == 0x7f || *s == '*' || *s == '/' ?
		    '?' : *s);
	printf(" */\n");
}

/*
 * Decode one DER certificate and print its arrays. where names it in
 * messages. Returns 0 or -1 (message given).
 */
static int
emit_cert(struct mk *m, const char *where, const char *label,
    const unsigned char *der, size_t len)
{
	const br_x509_pkey *pk;
	struct anchor_meta *am;

	m->dnlen = 0;
	m->dn_over = 0;
	br_x509_decoder_init(&m->dc, dn_append, m);
	br_x509_decoder_push(&m->dc, der, len);
	pk = br_x509_decoder_get_pkey(&m->dc);
	if (pk == NULL || m->dn_over) {
		fprintf(stderr, "%s: %s: %s (BearSSL error %d)\n", where,
		    label, m->dn_over ? "subject name too long" :
		    "cannot decode", br_x509_decoder_last_error(&m->dc));
		return -1;
	}
	if (pk->key_type != BR_KEYTYPE_RSA && pk->key_type != BR_KEYTYPE_EC) {
		fprintf(stderr, "%s: %s: key type %d unsupported\n", where,
		    label, pk->key_type);
		return -1;
	}
	if (m->n == MK_MAX_ANCHORS) {
		fprintf(stderr, "%s: more than %d anchors\n", where,
		    MK_MAX_ANCHORS);
		return -1;
	}
	am = &m->meta[m->n];
	am->key_type = pk->key_type;
	am->is_ca = br_x509_decoder_isCA(&m->dc);
	print_label("anchor", label);
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

static void
emit_table(const struct mk *m, const char *name, size_t nextra)
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
	printf("};\n\nconst size_t tls_builtin_anchors_count = %zu;\n"
	    "const size_t tls_builtin_anchors_extra = %zu;\n"
	    "const char tls_builtin_trust[] = \"%s\";\n", m->n, nextra, name);
}

/* ------------------------------------------------------------ certdata.txt */

enum { OBJ_OTHER, OBJ_CERT, OBJ_TRUST };

struct bytes {
	unsigned char *p;
	size_t n;
};

/* One object of certdata.txt: a certificate or its trust record. */
struct obj {
	int cls;
	char label[MK_LABEL_MAX];
	struct bytes issuer, serial, value;
	int server_delegator;   /* trust: CKT_NSS_TRUSTED_DELEGATOR, server */
	struct bytes distrust;  /* cert: server distrust-after date, or empty */
	unsigned long line;     /* where it starts */
};

struct certdata {
	const char *path;
	struct obj *o;
	size_t n;
};

/* Next line of [*p, end): returns its start, sets *len (no newline, no
 * CR) and moves *p past it; NULL at the end. */
static const char *
next_line(const char **p, const char *end, size_t *len)
{
	const char *s = *p, *nl;

	if (s >= end)
		return NULL;
	nl = memchr(s, '\n', (size_t)(end - s));
	*len = (size_t)((nl != NULL ? nl : end) - s);
	*p = nl != NULL ? nl + 1 : end;
	if (*len > 0 && s[*len - 1] == '\r')
		(*len)--;
	return s;
}

static int
starts(const char *s, size_t len, const char *word)
{
	size_t k = strlen(word);

	return len >= k && memcmp(s, word, k) == 0 &&
	    (len == k || s[k] == ' ' || s[k] == '\t');
}

/* The octal lines of a MULTILINE_OCTAL value, up to END, into b. */
static int
read_octal(struct certdata *cd, const char **p, const char *end,
    unsigned long *line, struct bytes *b)
{
	const char *s;
	size_t len, i, cap = 0;
	unsigned char *q;

	free(b->p);
	b->p = NULL;
	b->n = 0;
	while ((s = next_line(p, end, &len)) != NULL) {
		(*line)++;
		if (len == 3 && memcmp(s, "END", 3) == 0)
			return 0;
		for (i = 0; i < len; i += 4) {
			if (len - i < 4 || s[i] != '\\' ||
			    s[i + 1] < '0' || s[i + 1] > '3' ||
			    s[i + 2] < '0' || s[i + 2] > '7' ||
			    s[i + 3] < '0' || s[i + 3] > '7') {
				fprintf(stderr, "%s:%lu: malformed octal "
				    "value\n", cd->path, *line);
				return -1;
			}
			if (b->n == cap) {
				cap = cap == 0 ? 1024 : cap * 2;
				q = realloc(b->p, cap);
				if (q == NULL) {
					fprintf(stderr, "mkanchors: out of "
					    "memory\n");
					return -1;
				}
				b->p = q;
			}
			b->p[b->n++] = (unsigned char)((s[i + 1] - '0') * 64 +
			    (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
		}
	}
	fprintf(stderr, "%s:%lu: value without END\n", cd->path, *line);
	return -1;
}

/* Parse the objects after BEGINDATA. Only what the selection needs is kept:
 * class, label, issuer, serial, value, server trust, server distrust-after. */
static int
parse_certdata(struct certdata *cd, const char *text, size_t size)
{
	const char *p = text, *end = text + size, *s;
	unsigned long line = 0;
	struct obj *o = NULL;
	struct bytes junk = { NULL, 0 }, *dst;
	size_t len;
	int data = 0;

	while ((s = next_line(&p, end, &len)) != NULL) {
		line++;
		if (!data) {
			data = len == 9 && memcmp(s, "BEGINDATA", 9) == 0;
			continue;
		}
		if (len == 0 || s[0] == '#')
			continue;
		if (starts(s, len, "CKA_CLASS")) {
			if (cd->n == MK_MAX_OBJS) {
				fprintf(stderr, "%s: more than %d objects\n",
				    cd->path, MK_MAX_OBJS);
				return -1;
			}
			o = &cd->o[cd->n++];
			o->line = line;
			if (starts(s, len, "CKA_CLASS CK_OBJECT_CLASS "
			    "CKO_CERTIFICATE"))
				o->cls = OBJ_CERT;
			else if (starts(s, len, "CKA_CLASS CK_OBJECT_CLASS "
			    "CKO_NSS_TRUST"))
				o->cls = OBJ_TRUST;
			else
				o->cls = OBJ_OTHER;
			continue;
		}
		if (o == NULL) {
			fprintf(stderr, "%s:%lu: attribute before any "
			    "CKA_CLASS\n", cd->path, line);
			return -1;
		}
		if (starts(s, len, "CKA_LABEL UTF8")) {
			/* CKA_LABEL UTF8 "text": quotes off, kept short */
			size_t k = len >= 17 ? len - 17 : 0;
			if (len < 17 || s[15] != '"' || s[len - 1] != '"') {
				fprintf(stderr, "%s:%lu: malformed label\n",
				    cd->path, line);
				return -1;
			}
			if (k >= sizeof o->label)
				k = sizeof o->label - 1;
			memcpy(o->label, s + 16, k);
			o->label[k] = '\0';
			continue;
		}
		if (starts(s, len, "CKA_TRUST_SERVER_AUTH CK_TRUST")) {
			o->server_delegator = starts(s, len,
			    "CKA_TRUST_SERVER_AUTH CK_TRUST "
			    "CKT_NSS_TRUSTED_DELEGATOR");
			continue;
		}
		/* the other attributes: only the octal ones have more lines */
		if (len < 16 ||
		    memcmp(s + len - 16, " MULTILINE_OCTAL", 16) != 0)
			continue;
		if (starts(s, len, "CKA_ISSUER"))
			dst = &o->issuer;
		else if (starts(s, len, "CKA_SERIAL_NUMBER"))
			dst = &o->serial;
		else if (starts(s, len, "CKA_VALUE"))
			dst = &o->value;
		else if (starts(s, len, "CKA_NSS_SERVER_DISTRUST_AFTER"))
			dst = &o->distrust;
		else
			dst = &junk;
		if (read_octal(cd, &p, end, &line, dst) != 0) {
			free(junk.p);
			return -1;
		}
	}
	free(junk.p);
	if (!data) {
		fprintf(stderr, "%s: no BEGINDATA: not a certdata.txt\n",
		    cd->path);
		return -1;
	}
	return 0;
}

static int
same(const struct bytes *a, const struct bytes *b)
{
	return a->n == b->n && a->n > 0 && memcmp(a->p, b->p, a->n) == 0;
}

/* The trust record of certificate c (same issuer and serial), or NULL. */
static const struct obj *
trust_of(const struct certdata *cd, const struct obj *c)
{
	size_t i;

	for (i = 0; i < cd->n; i++)
		if (cd->o[i].cls == OBJ_TRUST &&
		    same(&cd->o[i].issuer, &c->issuer) &&
		    same(&cd->o[i].serial, &c->serial))
			return &cd->o[i];
	return NULL;
}

/* Print Mozilla's server-auth roots; returns how many, or -1. */
static long
emit_certdata(struct mk *m, struct certdata *cd)
{
	const struct obj *c, *t;
	size_t i, kept = 0, dropped = 0, other = 0;

	for (i = 0; i < cd->n; i++) {
		c = &cd->o[i];
		if (c->cls != OBJ_CERT)
			continue;
		t = trust_of(cd, c);
		if (t == NULL || c->value.n == 0) {
			fprintf(stderr, "%s:%lu: %s: %s\n", cd->path, c->line,
			    c->label, t == NULL ? "no trust record" :
			    "no certificate value");
			return -1;
		}
		if (!t->server_delegator) {
			other++;        /* e-mail only, or distrusted */
			continue;
		}
		if (c->distrust.n > 0) {
			fprintf(stderr, "mkanchors: left out %s: server "
			    "distrust after %.*s\n", c->label,
			    (int)c->distrust.n, (const char *)c->distrust.p);
			dropped++;
			continue;
		}
		if (emit_cert(m, cd->path, c->label, c->value.p,
		    c->value.n) != 0)
			return -1;
		kept++;
	}
	fprintf(stderr, "mkanchors: %s: %zu server-auth roots, %zu left out "
	    "(distrust-after), %zu not for server auth\n", cd->path, kept,
	    dropped, other);
	return (long)kept;
}

/* ------------------------------------------------------------ PEM (extra) */

struct pem {
	const char *path;
	struct mk *m;
	br_pem_decoder_context pc;
	unsigned char *der;     /* the current certificate's DER */
	size_t dlen, dcap;
	int in_obj, is_cert, failed;
	unsigned long line;
	size_t n;               /* certificates emitted */
};

static void
der_append(void *ctx, const void *buf, size_t len)
{
	struct pem *P = ctx;
	unsigned char *q;

	if (P->failed)
		return;
	if (len > P->dcap - P->dlen) {
		size_t cap = P->dcap == 0 ? 4096 : P->dcap;
		while (cap - P->dlen < len)
			cap *= 2;
		q = realloc(P->der, cap);
		if (q == NULL) {
			P->failed = 1;
			return;
		}
		P->der = q;
		P->dcap = cap;
	}
	memcpy(P->der + P->dlen, buf, len);
	P->dlen += len;
}

static int
pem_run(struct pem *P, const unsigned char *p, size_t n)
{
	char where[300];
	const char *name;
	size_t k, i;

	while (n > 0) {
		k = br_pem_decoder_push(&P->pc, p, n);
		for (i = 0; i < k; i++)
			if (p[i] == '\n')
				P->line++;
		p += k;
		n -= k;
		switch (br_pem_decoder_event(&P->pc)) {
		case BR_PEM_BEGIN_OBJ:
			name = br_pem_decoder_name(&P->pc);
			P->in_obj = 1;
			P->is_cert = strcmp(name, "CERTIFICATE") == 0 ||
			    strcmp(name, "X509 CERTIFICATE") == 0;
			P->dlen = 0;
			br_pem_decoder_setdest(&P->pc, P->is_cert ?
			    der_append : NULL, P->is_cert ? P : NULL);
			break;
		case BR_PEM_END_OBJ:
			P->in_obj = 0;
			if (!P->is_cert)
				break;
			if (P->failed) {
				fprintf(stderr, "mkanchors: out of memory\n");
				return -1;
			}
			snprintf(where, sizeof where, "%s:%lu", P->path,
			    P->line);
			if (emit_cert(P->m, where, "extra certificate",
			    P->der, P->dlen) != 0)
				return -1;
			P->n++;
			break;
		case BR_PEM_ERROR:
			fprintf(stderr, "%s:%lu: malformed PEM\n", P->path,
			    P->line);
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
pem_feed(struct pem *P, const unsigned char *p, size_t n)
{
	const unsigned char *cr;
	size_t k;

	while (n > 0) {
		cr = memchr(p, '\r', n);
		k = cr != NULL ? (size_t)(cr - p) : n;
		if (pem_run(P, p, k) != 0)
			return -1;
		k += cr != NULL;
		p += k;
		n -= k;
	}
	return 0;
}

/* ------------------------------------------------------------ main */

/* The whole of path, NUL-terminated, into *text; -1 with a message. */
static int
slurp(const char *path, char **text, size_t *size)
{
	FILE *f;
	char *buf = NULL, *q;
	size_t n = 0, cap = 0, got;
	int rc = 0;

	f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	do {
		if (cap - n < 65536) {
			cap = cap == 0 ? 1 << 20 : cap * 2;
			q = realloc(buf, cap + 1);
			if (q == NULL) {
				fprintf(stderr, "mkanchors: out of memory\n");
				rc = -1;
				break;
			}
			buf = q;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	if (rc == 0 && ferror(f)) {
		fprintf(stderr, "%s: read error\n", path);
		rc = -1;
	}
	fclose(f);
	if (rc != 0) {
		free(buf);
		return -1;
	}
	buf[n] = '\0';
	*text = buf;
	*size = n;
	return 0;
}

static int
usage(void)
{
	fprintf(stderr, "usage: mkanchors --name TEXT CERTDATA.txt "
	    "[EXTRA.pem] > anchors.c\n");
	return 2;
}

int
main(int argc, char **argv)
{
	static struct mk m;
	struct certdata cd = { 0 };
	struct pem P;
	const char *name, *s;
	char *text;
	size_t size, i;
	long kept;

	if ((argc != 4 && argc != 5) || strcmp(argv[1], "--name") != 0)
		return usage();
	name = argv[2];
	for (s = name; *s != '\0'; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20) {
			fprintf(stderr, "mkanchors: --name: no quotes, "
			    "backslashes or control characters\n");
			return 2;
		}
	cd.path = argv[3];
	cd.o = calloc(MK_MAX_OBJS, sizeof *cd.o);
	if (cd.o == NULL) {
		fprintf(stderr, "mkanchors: out of memory\n");
		return 1;
	}
	if (slurp(cd.path, &text, &size) != 0)
		return 1;
	if (parse_certdata(&cd, text, size) != 0)
		return 1;
	free(text);
	printf("/*\n * Generated by tools/mkanchors: %s, the server-auth "
	    "roots\n * of %s without a distrust-after date%s.\n"
	    " * Do not edit; never committed (build/gen/). See src/net/tls.h."
	    "\n */\n#include \"tls.h\"\n\n", name, cd.path,
	    argc == 5 ? ", then the extra file" : "");
	kept = emit_certdata(&m, &cd);
	for (i = 0; i < cd.n; i++) {
		free(cd.o[i].issuer.p);
		free(cd.o[i].serial.p);
		free(cd.o[i].value.p);
		free(cd.o[i].distrust.p);
	}
	free(cd.o);
	if (kept < 0)
		return 1;
	if (kept == 0) {
		fprintf(stderr, "%s: no server-auth root\n", argv[3]);
		return 1;
	}

	memset(&P, 0, sizeof P);
	if (argc == 5) {
		P.path = argv[4];
		P.m = &m;
		P.line = 1;
		if (slurp(P.path, &text, &size) != 0)
			return 1;
		br_pem_decoder_init(&P.pc);
		if (pem_feed(&P, (const unsigned char *)text, size) != 0 ||
		    pem_feed(&P, (const unsigned char *)"\n", 1) != 0)
			return 1;
		free(text);
		free(P.der);
		if (P.in_obj) {
			fprintf(stderr, "%s: unterminated PEM object\n",
			    P.path);
			return 1;
		}
		if (P.n == 0) {
			fprintf(stderr, "%s: no certificate\n", P.path);
			return 1;
		}
	}
	emit_table(&m, name, P.n);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "mkanchors: write error\n");
		return 1;
	}
	fprintf(stderr, "mkanchors: %zu anchors (%zu extra)\n", m.n, P.n);
	return 0;
}
