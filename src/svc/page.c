/*
 * page.c - the service's own page: the built-in assets, their headers,
 * gzip or identity. See page.h.
 *
 * The assets are stored gzip-compressed only. A client that accepts gzip
 * (every browser) gets the stored bytes; one that does not (curl without
 * --compressed, a script) gets them inflated here, so the page works for
 * every client at the cost of one inflate of a few tens of KiB per such
 * request, and the binary carries each asset once.
 */
#include <string.h>
#include <stdlib.h>

#include <zlib.h>

#include "page.h"
#include "req.h"
#include "resp.h"

/* see page.h */
const struct page_asset *
page_find(struct slice path)
{
	for (size_t i = 0; i < page_nassets; i++)
		if (strlen(page_assets[i].path) == path.n &&
		    memcmp(page_assets[i].path, path.p, path.n) == 0)
			return &page_assets[i];
	return NULL;
}

static int
ows(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* [p, e) trimmed of OWS on both sides */
static void
trim(const uint8_t **p, const uint8_t **e)
{
	while (*p < *e && ows(**p))
		(*p)++;
	while (*e > *p && ows((*e)[-1]))
		(*e)--;
}

static int
ieq(const uint8_t *p, const uint8_t *e, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(e - p) != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c + 32);
		if (c != (uint8_t)s[i])
			return 0;
	}
	return 1;
}

/* A qvalue (RFC 9110 section 12.4.2) is zero: "0", "0.", "0.0".."0.000". */
static int
q_zero(const uint8_t *p, const uint8_t *e)
{
	if (p == e || *p != '0')
		return 0;
	p++;
	if (p == e)
		return 1;
	if (*p++ != '.')
		return 0;
	for (; p < e; p++)
		if (*p != '0')
			return 0;
	return 1;
}

/* see page.h */
int
page_accepts_gzip(struct slice v)
{
	const uint8_t *p = v.p, *end;
	int gz = -1, star = -1;         /* -1 absent, 0 refused, 1 accepted */

	if (v.n == 0)                   /* no header (p may be NULL) */
		return 0;
	end = p + v.n;
	while (p < end) {
		const uint8_t *e = memchr(p, ',', (size_t)(end - p));
		const uint8_t *ce, *semi;
		int q = 1;

		if (e == NULL)
			e = end;
		semi = memchr(p, ';', (size_t)(e - p));
		ce = semi != NULL ? semi : e;
		/* parameters: only q matters; the last one counts */
		for (const uint8_t *a = semi; a != NULL && a < e;) {
			const uint8_t *ae = memchr(a + 1, ';',
			    (size_t)(e - a - 1));
			const uint8_t *s = a + 1, *se = ae != NULL ? ae : e;

			trim(&s, &se);
			if (se - s >= 2 && (s[0] == 'q' || s[0] == 'Q') &&
			    s[1] == '=')
				q = !q_zero(s + 2, se);
			a = ae;
		}
		trim(&p, &ce);
		if (ieq(p, ce, "gzip") || ieq(p, ce, "x-gzip"))
			gz = q;
		else if (ieq(p, ce, "*"))
			star = q;
		p = e + 1;
	}
	return gz >= 0 ? gz : star > 0;
}

/* see page.h */
int
page_etag_match(struct slice v, const char *etag)
{
	const uint8_t *p = v.p, *end;
	size_t n = strlen(etag);

	if (v.n == 0)
		return 0;
	end = p + v.n;
	while (p < end) {
		const uint8_t *e = memchr(p, ',', (size_t)(end - p));

		if (e == NULL)
			e = end;
		trim(&p, &e);
		if (e - p == 1 && *p == '*')
			return 1;
		/* If-None-Match compares weakly (RFC 9110 section 13.1.2) */
		if (e - p >= 2 && p[0] == 'W' && p[1] == '/')
			p += 2;
		if ((size_t)(e - p) == n && memcmp(p, etag, n) == 0)
			return 1;
		p = e < end ? e + 1 : end;
	}
	return 0;
}

/* A host name, an IPv4 address or a bracketed IPv6 one, with a port:
 * nothing that could end or extend a CSP source expression. */
static int
host_plain(struct slice h)
{
	if (h.n == 0 || h.n > 255)
		return 0;
	for (size_t i = 0; i < h.n; i++) {
		uint8_t c = h.p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		    c == ':' || c == '[' || c == ']'))
			return 0;
	}
	return 1;
}

/* see page.h */
void
page_csp(struct slice host, char *out, size_t cap)
{
	static const char rest[] = "; img-src 'self' data:; "
	    "object-src 'none'; base-uri 'none'; form-action 'self'; "
	    "frame-ancestors 'none'";

	if (host_plain(host))
		snprintf(out, cap, "default-src 'self'; connect-src 'self' "
		    "ws://%.*s wss://%.*s%s", (int)host.n, (const char *)host.p,
		    (int)host.n, (const char *)host.p, rest);
	else
		snprintf(out, cap, "default-src 'self'; connect-src 'self'%s",
		    rest);
}

/* The asset's identity bytes (malloc'd, a->n long), or NULL. */
static unsigned char *
inflate_asset(const struct page_asset *a)
{
	unsigned char *o = malloc(a->n > 0 ? a->n : 1);
	z_stream z;
	int k;

	if (o == NULL)
		return NULL;
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, 15 + 16) != Z_OK) {
		free(o);
		return NULL;
	}
	z.next_in = (unsigned char *)(uintptr_t)a->gz;
	z.avail_in = (uInt)a->gz_n;
	z.next_out = o;
	z.avail_out = (uInt)a->n;
	k = inflate(&z, Z_FINISH);
	inflateEnd(&z);
	if (k != Z_STREAM_END || z.total_out != a->n) {
		free(o);
		return NULL;
	}
	return o;
}

/* see page.h */
void
page_get(void *app, struct serve *s, const struct serve_req *r)
{
	const struct page_asset *a = page_find(r->http->path);
	struct slice ae = { NULL, 0 }, inm, host = r->http->host;
	char csp[768], etag[40];
	struct resp_field f[8];
	size_t nf = 0;
	int gz;

	(void)app;
	if (a == NULL) {
		serve_reply_error(s, r->id, 404, "no such page");
		return;
	}
	req_header(r->http, "accept-encoding", &ae);
	gz = page_accepts_gzip(ae);
	/* the two codings are two representations: two tags */
	snprintf(etag, sizeof etag, "%.*s%s\"", (int)strlen(a->etag) - 1,
	    a->etag, gz ? "-gz" : "");
	page_csp(host, csp, sizeof csp);
	f[nf++] = (struct resp_field){ "Content-Security-Policy", csp };
	f[nf++] = (struct resp_field){ "X-Content-Type-Options", "nosniff" };
	f[nf++] = (struct resp_field){ "Referrer-Policy", "no-referrer" };
	/* the names do not change with the binary: revalidate every time */
	f[nf++] = (struct resp_field){ "Cache-Control", "no-cache" };
	f[nf++] = (struct resp_field){ "ETag", etag };
	f[nf++] = (struct resp_field){ "Vary", "Accept-Encoding" };
	if (req_header(r->http, "if-none-match", &inm) &&
	    page_etag_match(inm, etag)) {
		serve_reply(s, r->id, 304, NULL, f, nf, NULL, 0);
		return;
	}
	if (gz) {
		f[nf++] = (struct resp_field){ "Content-Encoding", "gzip" };
		serve_reply(s, r->id, 200, a->ctype, f, nf, a->gz, a->gz_n);
	} else {
		unsigned char *o = inflate_asset(a);

		if (o == NULL) {
			serve_reply_error(s, r->id, 500, "the page is damaged");
			return;
		}
		serve_reply(s, r->id, 200, a->ctype, f, nf, o, a->n);
		free(o);
	}
}
