/*
 * sigv4.c - AWS Signature Version 4 (header form) with S3's canonicalisation.
 *
 * Data flow: prepare() checks every input once (date, credentials, method,
 * path, query, headers, payload hash) and builds two small index tables on
 * the stack: the query parameters sorted by encoded name then value, and the
 * headers (the caller's plus x-amz-date / x-amz-content-sha256 /
 * x-amz-security-token) sorted stably by lower-case name. emit_creq() then
 * writes the canonical request through a struct emit, which hashes the bytes,
 * copies them to a capped buffer, or both: sigv4_sign() only hashes, so the
 * canonical request is never stored and has no size cap of its own.
 *
 * Limits: SIGV4_MAX_HEADERS headers and SIGV4_MAX_PARAMS query parameters
 * (sorted by insertion sort: n is small and the sort must be stable so that
 * repeated headers keep their order). Every loop walks its input once per
 * comparison; nothing here allocates.
 *
 * Secrets: the "AWS4"+secret key, every derived key and BearSSL's HMAC
 * contexts (which hold key-derived state) are wiped before return.
 */
#include <string.h>
#include <time.h>

#include <bearssl.h>

#include "buf.h"
#include "err.h"
#include "sigv4.h"

#define SIGV4_ALGO   "AWS4-HMAC-SHA256"
#define SIGV4_TERM   "aws4_request"
#define SIGV4_AKID_MAX   128    /* AWS key ids are 20 bytes, R2's 32 */
#define SIGV4_METHOD_MAX 16

#define NHDR (SIGV4_MAX_HEADERS + SIGV4_ADDED_MAX)

/* ------------------------------------------------------------ helpers */

/* Wipe memory the compiler may not elide (explicit_bzero is not C11). */
static void
wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n-- > 0)
		*v++ = 0;
}

static const char hexdig[] = "0123456789ABCDEF";
static const char hexlow[] = "0123456789abcdef";

static void
hex_lower(const unsigned char *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexlow[p[i] >> 4];
		out[2 * i + 1] = hexlow[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* RFC 3986 unreserved: the only bytes UriEncode leaves alone. */
static int
unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

/* RFC 9110 tchar: what a header field name may hold. */
static int
tchar(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || (c != 0 && strchr("!#$%&'*+-.^_`|~", c));
}

static unsigned char
lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* ------------------------------------------------------------ emitter */

/*
 * Where canonical bytes go: into a SHA-256 context (sha != NULL), into a
 * capped buffer (out != NULL), or both. On overflow the buffer keeps a
 * NUL-terminated prefix and err sticks; hashing goes on regardless.
 */
struct emit {
	br_sha256_context *sha;
	char *out;
	size_t cap;
	size_t len;
	int err;
};

static void
emit_init(struct emit *e, br_sha256_context *sha, char *out, size_t cap)
{
	e->sha = sha;
	e->out = out;
	e->cap = cap;
	e->len = 0;
	e->err = 0;
	if (sha != NULL)
		br_sha256_init(sha);
	if (out != NULL) {
		if (cap == 0)
			e->err = ERR_SIGV4_OVERFLOW;
		else
			out[0] = '\0';
	}
}

static void
emit(struct emit *e, const void *p, size_t n)
{
	size_t room;

	if (n == 0)
		return;
	if (e->sha != NULL)
		br_sha256_update(e->sha, p, n);
	if (e->out == NULL || e->err != 0)
		return;
	room = e->cap - 1 - e->len;
	if (n > room) {
		memcpy(e->out + e->len, p, room);
		e->len += room;
		e->out[e->len] = '\0';
		e->err = ERR_SIGV4_OVERFLOW;
		return;
	}
	memcpy(e->out + e->len, p, n);
	e->len += n;
	e->out[e->len] = '\0';
}

static void
emit_s(struct emit *e, const char *s)
{
	emit(e, s, strlen(s));
}

static void
emit_c(struct emit *e, char c)
{
	emit(e, &c, 1);
}

/* UriEncode raw bytes, batched so SHA-256 sees few large updates. */
static void
emit_encoded(struct emit *e, const char *p, size_t n, int keep_slash)
{
	char tmp[128];
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (k + 3 > sizeof tmp) {
			emit(e, tmp, k);
			k = 0;
		}
		if (unreserved(c) || (keep_slash && c == '/')) {
			tmp[k++] = (char)c;
		} else {
			tmp[k++] = '%';
			tmp[k++] = hexdig[c >> 4];
			tmp[k++] = hexdig[c & 15];
		}
	}
	emit(e, tmp, k);
}

/* ------------------------------------------------------------ query */

/*
 * Iterator over the canonical (decoded, then UriEncoded) bytes of one query
 * name or value in wire form. Sorting and output both use it, so the order
 * is by exactly the bytes that are signed. Input was checked by
 * query_check(): every '%' has two hex digits after it.
 */
struct qit {
	const char *p;
	size_t n, i;
	char pend[2];
	unsigned np;
};

static void
qit_init(struct qit *it, struct sigv4_slice s)
{
	it->p = s.p;
	it->n = s.n;
	it->i = 0;
	it->np = 0;
}

static int
qit_next(struct qit *it)
{
	unsigned char c;

	if (it->np > 0) {
		int r = (unsigned char)it->pend[2 - it->np];
		it->np--;
		return r;
	}
	if (it->i >= it->n)
		return -1;
	c = (unsigned char)it->p[it->i];
	if (c == '%' && it->n - it->i >= 3) {
		int hi = buf_hexval((unsigned char)it->p[it->i + 1]);
		int lo = buf_hexval((unsigned char)it->p[it->i + 2]);

		c = (unsigned char)(hi * 16 + lo);
		it->i += 3;
	} else {
		it->i++;
	}
	if (unreserved(c))
		return c;
	it->pend[0] = hexdig[c >> 4];
	it->pend[1] = hexdig[c & 15];
	it->np = 2;
	return '%';
}

static int
qcmp(struct sigv4_slice a, struct sigv4_slice b)
{
	struct qit x, y;

	qit_init(&x, a);
	qit_init(&y, b);
	for (;;) {
		int ca = qit_next(&x), cb = qit_next(&y);

		if (ca != cb)
			return ca < cb ? -1 : 1;
		if (ca < 0)
			return 0;
	}
}

static void
emit_qpart(struct emit *e, struct sigv4_slice s)
{
	char tmp[128];
	size_t k = 0;
	struct qit it;
	int c;

	qit_init(&it, s);
	while ((c = qit_next(&it)) >= 0) {
		if (k == sizeof tmp) {
			emit(e, tmp, k);
			k = 0;
		}
		tmp[k++] = (char)c;
	}
	emit(e, tmp, k);
}

struct qparam {
	struct sigv4_slice name, value;
};

struct qset {
	struct qparam p[SIGV4_MAX_PARAMS];
	size_t n;
};

/*
 * Check the wire form: a raw '+' is refused because servers read it as a
 * space or as a plus depending on the implementation, which would make the
 * signature depend on the server; '#', space and control bytes cannot be in
 * a request line; a '%' must start a valid escape or decoding is ambiguous.
 */
static int
query_check(const char *q, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)q[i];

		if (c == '%') {
			if (n - i < 3 || buf_hexval((unsigned char)q[i + 1]) < 0 ||
			    buf_hexval((unsigned char)q[i + 2]) < 0)
				return ERR_SIGV4_QUERY;
			i += 2;
		} else if (c <= 0x20 || c == 0x7f || c == '+' || c == '#') {
			return ERR_SIGV4_QUERY;
		}
	}
	return 0;
}

static int
query_parse(const char *q, size_t n, struct qset *qs)
{
	size_t i = 0;
	int r;

	qs->n = 0;
	if ((r = query_check(q, n)) != 0)
		return r;
	while (i < n) {
		size_t start = i, eq;
		struct qparam *pp;

		while (i < n && q[i] != '&')
			i++;
		/* [start, i) is one parameter; skip the '&' */
		if (i > start) {
			if (qs->n == SIGV4_MAX_PARAMS)
				return ERR_SIGV4_TOO_MANY;
			pp = &qs->p[qs->n++];
			for (eq = start; eq < i && q[eq] != '='; eq++)
				;
			pp->name.p = q + start;
			pp->name.n = eq - start;
			pp->value.p = q + (eq < i ? eq + 1 : i);
			pp->value.n = eq < i ? i - eq - 1 : 0;
		}
		if (i < n)
			i++;
	}
	/* insertion sort: stable, and n <= SIGV4_MAX_PARAMS */
	for (size_t a = 1; a < qs->n; a++) {
		struct qparam t = qs->p[a];
		size_t b = a;

		while (b > 0) {
			int c = qcmp(qs->p[b - 1].name, t.name);

			if (c == 0)
				c = qcmp(qs->p[b - 1].value, t.value);
			if (c <= 0)
				break;
			qs->p[b] = qs->p[b - 1];
			b--;
		}
		qs->p[b] = t;
	}
	return 0;
}

static void
emit_query(struct emit *e, const struct qset *qs)
{
	for (size_t i = 0; i < qs->n; i++) {
		if (i > 0)
			emit_c(e, '&');
		emit_qpart(e, qs->p[i].name);
		emit_c(e, '=');
		emit_qpart(e, qs->p[i].value);
	}
}

/* ------------------------------------------------------------ checks */

static int
check_date(const char *d)
{
	if (d == NULL)
		return ERR_SIGV4_DATE;
	for (int i = 0; i < SIGV4_DATE_LEN; i++) {
		unsigned char c = (unsigned char)d[i];

		if (i == 8) {
			if (c != 'T')
				return ERR_SIGV4_DATE;
		} else if (i == 15) {
			if (c != 'Z')
				return ERR_SIGV4_DATE;
		} else if (c < '0' || c > '9') {
			return ERR_SIGV4_DATE;  /* also stops at an early NUL */
		}
	}
	return d[SIGV4_DATE_LEN] == '\0' ? 0 : ERR_SIGV4_DATE;
}

/* Scope parts end up between '/' in the credential: keep them plain. */
static int
check_scope_part(const char *s)
{
	size_t n;

	if (s == NULL || (n = strlen(s)) == 0 || n > SIGV4_SCOPE_PART_MAX)
		return ERR_SIGV4_CRED;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!unreserved(c))
			return ERR_SIGV4_CRED;
	}
	return 0;
}

static int
check_cred(const struct sigv4_cred *cred)
{
	size_t n;

	if (cred == NULL || cred->access_key == NULL || cred->secret == NULL)
		return ERR_SIGV4_CRED;
	n = strlen(cred->access_key);
	if (n == 0 || n > SIGV4_AKID_MAX)
		return ERR_SIGV4_CRED;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)cred->access_key[i];

		/* it sits in "Credential=AKID/date/..., " */
		if (c <= 0x20 || c >= 0x7f || c == '/' || c == ',' ||
		    c == '=' || c == ';')
			return ERR_SIGV4_CRED;
	}
	n = strlen(cred->secret);
	if (n == 0 || n > SIGV4_SECRET_MAX)
		return ERR_SIGV4_CRED;
	if (cred->session_token != NULL) {
		/* a header value: no CR/LF injection, no other controls */
		for (const char *t = cred->session_token; *t != '\0'; t++) {
			unsigned char c = (unsigned char)*t;

			if (c < 0x20 || c == 0x7f)
				return ERR_SIGV4_CRED;
		}
	}
	if (check_scope_part(cred->region) != 0 ||
	    check_scope_part(cred->service) != 0)
		return ERR_SIGV4_CRED;
	return 0;
}

static int
check_payload_hash(const char *h)
{
	if (h == NULL)
		return ERR_SIGV4_PAYLOAD_HASH;
	if (strcmp(h, SIGV4_UNSIGNED_PAYLOAD) == 0)
		return 0;
	for (int i = 0; i < SIGV4_HEX_LEN; i++) {
		/* lower-case only: the value is compared byte for byte */
		if (!((h[i] >= '0' && h[i] <= '9') ||
		    (h[i] >= 'a' && h[i] <= 'f')))
			return ERR_SIGV4_PAYLOAD_HASH;
	}
	return h[SIGV4_HEX_LEN] == '\0' ? 0 : ERR_SIGV4_PAYLOAD_HASH;
}

static int
check_header(const struct sigv4_header *h)
{
	if (h->name.n == 0 || h->name.p == NULL)
		return ERR_SIGV4_HEADER_NAME;
	for (size_t i = 0; i < h->name.n; i++) {
		if (!tchar((unsigned char)h->name.p[i]))
			return ERR_SIGV4_HEADER_NAME;
	}
	if (h->value.n > 0 && h->value.p == NULL)
		return ERR_SIGV4_HEADER_VALUE;
	for (size_t i = 0; i < h->value.n; i++) {
		unsigned char c = (unsigned char)h->value.p[i];

		/* CR/LF would inject headers; TAB is refused rather than
		 * guessing how each server folds it into the canonical form */
		if (c < 0x20 || c == 0x7f)
			return ERR_SIGV4_HEADER_VALUE;
	}
	return 0;
}

/* Case-insensitive compare of a header name with a lower-case literal. */
static int
name_is(struct sigv4_slice n, const char *lit)
{
	size_t k = strlen(lit);

	if (n.n != k)
		return 0;
	for (size_t i = 0; i < k; i++) {
		if (lower((unsigned char)n.p[i]) != (unsigned char)lit[i])
			return 0;
	}
	return 1;
}

static int
name_cmp(struct sigv4_slice a, struct sigv4_slice b)
{
	size_t n = a.n < b.n ? a.n : b.n;

	for (size_t i = 0; i < n; i++) {
		unsigned char x = lower((unsigned char)a.p[i]);
		unsigned char y = lower((unsigned char)b.p[i]);

		if (x != y)
			return x < y ? -1 : 1;
	}
	return a.n < b.n ? -1 : a.n > b.n;
}

/* Trim spaces at both ends of a header value (canonical form). */
static struct sigv4_slice
trim(struct sigv4_slice v)
{
	while (v.n > 0 && v.p[0] == ' ') {
		v.p++;
		v.n--;
	}
	while (v.n > 0 && v.p[v.n - 1] == ' ')
		v.n--;
	return v;
}

/* ------------------------------------------------------------ headers */

struct hset {
	struct sigv4_header h[NHDR];    /* sorted by lower-case name, stable */
	size_t n;
};

/*
 * Does req already carry header `name`? 0 = no, 1 = yes with exactly
 * `want` (after trimming), -1 = yes but different or repeated.
 */
static int
has_header(const struct sigv4_req *req, const char *name, const char *want)
{
	int found = 0;

	for (size_t i = 0; i < req->nheaders; i++) {
		struct sigv4_slice v;

		if (!name_is(req->headers[i].name, name))
			continue;
		if (found)
			return -1;
		v = trim(req->headers[i].value);
		if (v.n != strlen(want) || memcmp(v.p, want, v.n) != 0)
			return -1;
		found = 1;
	}
	return found;
}

static void
set_header(struct sigv4_header *h, const char *name, const char *value)
{
	h->name.p = name;
	h->name.n = strlen(name);
	h->value.p = value;
	h->value.n = strlen(value);
}

/* see sigv4.h */
int
sigv4_added_headers(const struct sigv4_req *req,
    const struct sigv4_cred *cred, const char *amz_date,
    struct sigv4_header out[SIGV4_ADDED_MAX], size_t *n)
{
	int r;

	*n = 0;
	if ((r = check_date(amz_date)) != 0)
		return r;
	if (req->nheaders > 0 && req->headers == NULL)
		return ERR_SIGV4_HEADER_NAME;
	if ((r = has_header(req, "x-amz-date", amz_date)) < 0)
		return ERR_SIGV4_HEADER_CONFLICT;
	if (r == 0)
		set_header(&out[(*n)++], "x-amz-date", amz_date);
	/* even when not added, a caller's x-amz-content-sha256 must agree
	 * with the hash on the last line of the canonical request */
	if ((r = check_payload_hash(req->payload_hash)) != 0)
		return r;
	r = has_header(req, "x-amz-content-sha256", req->payload_hash);
	if (r < 0)
		return ERR_SIGV4_HEADER_CONFLICT;
	if (r == 0 && !(req->flags & SIGV4_F_NO_CONTENT_SHA256))
		set_header(&out[(*n)++], "x-amz-content-sha256",
		    req->payload_hash);
	if (cred != NULL && cred->session_token != NULL &&
	    cred->session_token[0] != '\0') {
		r = has_header(req, "x-amz-security-token",
		    cred->session_token);
		if (r < 0)
			return ERR_SIGV4_HEADER_CONFLICT;
		if (r == 0)
			set_header(&out[(*n)++], "x-amz-security-token",
			    cred->session_token);
	}
	return 0;
}

/* ------------------------------------------------------------ request */

struct prep {
	struct qset qs;
	struct hset hs;
};

static int
check_method(struct sigv4_slice m)
{
	if (m.n == 0 || m.n > SIGV4_METHOD_MAX || m.p == NULL)
		return ERR_SIGV4_METHOD;
	for (size_t i = 0; i < m.n; i++) {
		if (m.p[i] < 'A' || m.p[i] > 'Z')
			return ERR_SIGV4_METHOD;
	}
	return 0;
}

/* Check everything and build the sorted tables; no output yet. */
static int
prepare(const struct sigv4_req *req, const struct sigv4_cred *cred,
    const char *amz_date, struct prep *pr)
{
	struct sigv4_header add[SIGV4_ADDED_MAX];
	size_t nadd, n = 0;
	int r, host = 0;

	if (req == NULL)
		return ERR_SIGV4_METHOD;
	if ((r = check_date(amz_date)) != 0 || (r = check_cred(cred)) != 0 ||
	    (r = check_method(req->method)) != 0)
		return r;
	if (req->path.n == 0 || req->path.p == NULL || req->path.p[0] != '/')
		return ERR_SIGV4_PATH;
	if (req->query.n > 0 && req->query.p == NULL)
		return ERR_SIGV4_QUERY;
	if ((r = query_parse(req->query.p, req->query.n, &pr->qs)) != 0)
		return r;
	if (req->nheaders > SIGV4_MAX_HEADERS)
		return ERR_SIGV4_TOO_MANY;
	if (req->nheaders > 0 && req->headers == NULL)
		return ERR_SIGV4_HEADER_NAME;
	/* every slice checked before anything compares them */
	for (size_t i = 0; i < req->nheaders; i++) {
		if ((r = check_header(&req->headers[i])) != 0)
			return r;
		if (name_is(req->headers[i].name, "host"))
			host = 1;
		pr->hs.h[n++] = req->headers[i];
	}
	if (!host)
		return ERR_SIGV4_NO_HOST;
	if ((r = sigv4_added_headers(req, cred, amz_date, add, &nadd)) != 0)
		return r;
	for (size_t i = 0; i < nadd; i++)
		pr->hs.h[n++] = add[i];
	pr->hs.n = n;
	/* stable insertion sort: repeated headers keep the caller's order */
	for (size_t a = 1; a < n; a++) {
		struct sigv4_header t = pr->hs.h[a];
		size_t b = a;

		while (b > 0 && name_cmp(pr->hs.h[b - 1].name, t.name) > 0) {
			pr->hs.h[b] = pr->hs.h[b - 1];
			b--;
		}
		pr->hs.h[b] = t;
	}
	return 0;
}

static void
emit_lower(struct emit *e, struct sigv4_slice s)
{
	char tmp[64];
	size_t k = 0;

	for (size_t i = 0; i < s.n; i++) {
		if (k == sizeof tmp) {
			emit(e, tmp, k);
			k = 0;
		}
		tmp[k++] = (char)lower((unsigned char)s.p[i]);
	}
	emit(e, tmp, k);
}

/* Value trimmed, every run of spaces collapsed to one (even in quotes). */
static void
emit_value(struct emit *e, struct sigv4_slice v)
{
	size_t i = 0;

	v = trim(v);
	while (i < v.n) {
		size_t start = i;

		while (i < v.n && v.p[i] != ' ')
			i++;
		emit(e, v.p + start, i - start);
		if (i < v.n) {
			emit_c(e, ' ');
			while (i < v.n && v.p[i] == ' ')
				i++;
		}
	}
}

static void
emit_signed_headers(struct emit *e, const struct hset *hs)
{
	for (size_t i = 0; i < hs->n; i++) {
		if (i > 0 && name_cmp(hs->h[i - 1].name, hs->h[i].name) == 0)
			continue;
		if (i > 0)
			emit_c(e, ';');
		emit_lower(e, hs->h[i].name);
	}
}

static void
emit_creq(struct emit *e, const struct sigv4_req *req, const struct prep *pr)
{
	const struct hset *hs = &pr->hs;

	emit(e, req->method.p, req->method.n);
	emit_c(e, '\n');
	/* S3: encode once, keep '/', never normalise */
	emit_encoded(e, req->path.p, req->path.n, 1);
	emit_c(e, '\n');
	emit_query(e, &pr->qs);
	emit_c(e, '\n');
	for (size_t i = 0; i < hs->n; i++) {
		if (i > 0 && name_cmp(hs->h[i - 1].name, hs->h[i].name) == 0) {
			emit_c(e, ',');
		} else {
			if (i > 0)
				emit_c(e, '\n');
			emit_lower(e, hs->h[i].name);
			emit_c(e, ':');
		}
		emit_value(e, hs->h[i].value);
	}
	emit_s(e, "\n\n");
	emit_signed_headers(e, hs);
	emit_c(e, '\n');
	emit_s(e, req->payload_hash);
}

/* ------------------------------------------------------------ crypto */

static void
hmac(const void *key, size_t klen, const void *msg, size_t mlen,
    unsigned char out[32])
{
	br_hmac_key_context kc;
	br_hmac_context hc;

	br_hmac_key_init(&kc, &br_sha256_vtable, key, klen);
	br_hmac_init(&hc, &kc, 0);
	br_hmac_update(&hc, msg, mlen);
	br_hmac_out(&hc, out);
	wipe(&kc, sizeof kc);
	wipe(&hc, sizeof hc);
}

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service),
 * "aws4_request"); the caller wipes out. */
static void
signing_key(const struct sigv4_cred *cred, const char *amz_date,
    unsigned char out[32])
{
	unsigned char k0[4 + SIGV4_SECRET_MAX];
	unsigned char k[32];
	size_t n = strlen(cred->secret);

	memcpy(k0, "AWS4", 4);
	memcpy(k0 + 4, cred->secret, n);
	hmac(k0, 4 + n, amz_date, 8, k);
	wipe(k0, sizeof k0);
	hmac(k, 32, cred->region, strlen(cred->region), out);
	hmac(out, 32, cred->service, strlen(cred->service), k);
	hmac(k, 32, SIGV4_TERM, strlen(SIGV4_TERM), out);
	wipe(k, sizeof k);
}

/* ------------------------------------------------------------ public */

/* see sigv4.h */
int
sigv4_uri_encode(const void *src, size_t n, int keep_slash, char *out,
    size_t cap, size_t *outlen)
{
	struct emit e;

	emit_init(&e, NULL, out, cap);
	if (n > 0 && src != NULL)
		emit_encoded(&e, src, n, keep_slash);
	if (outlen != NULL)
		*outlen = e.len;
	return e.err;
}

/* see sigv4.h */
int
sigv4_canonical_query(const char *q, size_t n, char *out, size_t cap,
    size_t *outlen)
{
	struct qset qs;
	struct emit e;
	int r;

	emit_init(&e, NULL, out, cap);
	if (outlen != NULL)
		*outlen = 0;
	if (n > 0 && q == NULL)
		return ERR_SIGV4_QUERY;
	if ((r = query_parse(q, n, &qs)) != 0)
		return r;
	emit_query(&e, &qs);
	if (outlen != NULL)
		*outlen = e.len;
	return e.err;
}

/* see sigv4.h */
void
sigv4_payload_hash(const void *p, size_t n, char out[SIGV4_HEX_LEN + 1])
{
	br_sha256_context sha;
	unsigned char d[32];

	br_sha256_init(&sha);
	if (n > 0)
		br_sha256_update(&sha, p, n);
	br_sha256_out(&sha, d);
	hex_lower(d, sizeof d, out);
}

/* see sigv4.h */
int
sigv4_amz_date(time_t t, char out[SIGV4_DATE_LEN + 1])
{
	struct tm tm;
	/* value and width of each field; digits written by hand so the
	 * width is exact whatever the compiler thinks int may hold */
	int f[6][2];

	out[0] = '\0';
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year < -1900 ||
	    tm.tm_year > 9999 - 1900)
		return ERR_SIGV4_DATE;
	f[0][0] = tm.tm_year + 1900;    f[0][1] = 4;
	f[1][0] = tm.tm_mon + 1;        f[1][1] = 2;
	f[2][0] = tm.tm_mday;           f[2][1] = 2;
	f[3][0] = tm.tm_hour;           f[3][1] = 2;
	f[4][0] = tm.tm_min;            f[4][1] = 2;
	f[5][0] = tm.tm_sec;            f[5][1] = 2;
	for (int i = 0, at = 0; i < 6; i++) {
		int v = f[i][0];

		if (i == 3)
			out[at++] = 'T';
		for (int k = f[i][1] - 1; k >= 0; k--) {
			out[at + k] = (char)('0' + v % 10);
			v /= 10;
		}
		at += f[i][1];
	}
	out[15] = 'Z';
	out[16] = '\0';
	return 0;
}

/* see sigv4.h */
int
sigv4_canonical_request(const struct sigv4_req *req,
    const struct sigv4_cred *cred, const char *amz_date, char *out, size_t cap,
    size_t *outlen)
{
	struct prep pr;
	struct emit e;
	int r;

	emit_init(&e, NULL, out, cap);
	if (outlen != NULL)
		*outlen = 0;
	if ((r = prepare(req, cred, amz_date, &pr)) != 0)
		return r;
	emit_creq(&e, req, &pr);
	if (outlen != NULL)
		*outlen = e.len;
	return e.err;
}

/* The credential scope "yyyymmdd/region/service/aws4_request". */
static void
emit_scope(struct emit *e, const struct sigv4_cred *cred, const char *amz_date)
{
	emit(e, amz_date, 8);
	emit_c(e, '/');
	emit_s(e, cred->region);
	emit_c(e, '/');
	emit_s(e, cred->service);
	emit_c(e, '/');
	emit_s(e, SIGV4_TERM);
}

static void
emit_sts(struct emit *e, const struct sigv4_cred *cred, const char *amz_date,
    const char hexhash[SIGV4_HEX_LEN + 1])
{
	emit_s(e, SIGV4_ALGO "\n");
	emit(e, amz_date, SIGV4_DATE_LEN);
	emit_c(e, '\n');
	emit_scope(e, cred, amz_date);
	emit_c(e, '\n');
	emit(e, hexhash, SIGV4_HEX_LEN);
}

/* see sigv4.h */
int
sigv4_string_to_sign(const struct sigv4_cred *cred, const char *amz_date,
    const char *creq, size_t creq_len, char *out, size_t cap, size_t *outlen)
{
	br_sha256_context sha;
	unsigned char d[32];
	char hx[SIGV4_HEX_LEN + 1];
	struct emit e;
	int r;

	emit_init(&e, NULL, out, cap);
	if (outlen != NULL)
		*outlen = 0;
	if ((r = check_date(amz_date)) != 0 || (r = check_cred(cred)) != 0)
		return r;
	br_sha256_init(&sha);
	if (creq_len > 0)
		br_sha256_update(&sha, creq, creq_len);
	br_sha256_out(&sha, d);
	hex_lower(d, sizeof d, hx);
	emit_sts(&e, cred, amz_date, hx);
	if (outlen != NULL)
		*outlen = e.len;
	return e.err;
}

/* see sigv4.h */
int
sigv4_signature(const struct sigv4_cred *cred, const char *amz_date,
    const char *sts, size_t sts_len, char out[SIGV4_HEX_LEN + 1])
{
	unsigned char key[32], sig[32];
	int r;

	out[0] = '\0';
	if ((r = check_date(amz_date)) != 0 || (r = check_cred(cred)) != 0)
		return r;
	signing_key(cred, amz_date, key);
	hmac(key, sizeof key, sts, sts_len, sig);
	wipe(key, sizeof key);
	hex_lower(sig, sizeof sig, out);
	return 0;
}

/* see sigv4.h */
int
sigv4_sign(const struct sigv4_req *req, const struct sigv4_cred *cred,
    const char *amz_date, char *auth_out, size_t cap)
{
	/* algorithm + date + scope (<= 3 * 64 + 30) + hash: fits easily */
	char sts[64 + SIGV4_DATE_LEN + 3 * SIGV4_SCOPE_PART_MAX +
	    SIGV4_HEX_LEN];
	char hx[SIGV4_HEX_LEN + 1], sig[SIGV4_HEX_LEN + 1];
	unsigned char d[32];
	br_sha256_context sha;
	struct prep pr;
	struct emit e;
	int r;

	if (auth_out != NULL && cap > 0)
		auth_out[0] = '\0';
	if (auth_out == NULL || cap == 0)
		return ERR_SIGV4_OVERFLOW;
	if ((r = prepare(req, cred, amz_date, &pr)) != 0)
		return r;
	/* hash the canonical request as it is produced */
	emit_init(&e, &sha, NULL, 0);
	emit_creq(&e, req, &pr);
	br_sha256_out(&sha, d);
	hex_lower(d, sizeof d, hx);

	emit_init(&e, NULL, sts, sizeof sts);
	emit_sts(&e, cred, amz_date, hx);
	if (e.err != 0)
		return e.err;   /* cannot happen: parts are capped */
	if ((r = sigv4_signature(cred, amz_date, sts, e.len, sig)) != 0)
		return r;

	emit_init(&e, NULL, auth_out, cap);
	emit_s(&e, SIGV4_ALGO " Credential=");
	emit_s(&e, cred->access_key);
	emit_c(&e, '/');
	emit_scope(&e, cred, amz_date);
	emit_s(&e, ", SignedHeaders=");
	emit_signed_headers(&e, &pr.hs);
	emit_s(&e, ", Signature=");
	emit_s(&e, sig);
	if (e.err != 0) {
		auth_out[0] = '\0';
		return e.err;
	}
	return 0;
}
