/*
 * page.h - the service's own page (GET /, /app.js, /style.css): assets
 * built into the binary gzip-compressed (tools/mkpage writes the table
 * from src/svc/page/ at build time) and served with a strict
 * Content-Security-Policy. The page carries no data, so its routes need
 * no token (decision 1); what it shows it fetches from the API with the
 * token the user gives it.
 */
#ifndef PAGE_H
#define PAGE_H
#include <stddef.h>
#include "serve.h"
#include "slice.h"

struct page_asset {
	const char *path;               /* "/", "/app.js" */
	const char *ctype;              /* "text/html; charset=utf-8" */
	const unsigned char *gz;        /* gzip member (mtime 0, no name) */
	size_t gz_n;
	size_t n;                       /* identity length */
	const char *etag;               /* "\"16 hex\"": SHA-256 of identity */
};

/* The generated table (build/gen/page_assets.c). */
extern const struct page_asset page_assets[];
extern const size_t page_nassets;

/* The asset served at path (exact bytes), or NULL. */
const struct page_asset *page_find(struct slice path);

/*
 * 1 if an Accept-Encoding value v lets us send gzip: a "gzip" (or
 * "x-gzip", or "*") coding whose q is not zero, without a later zero-q
 * "gzip"; 0 otherwise (no header at all is passed as v.n == 0: identity).
 * Any bytes are safe: the value is only scanned.
 */
int page_accepts_gzip(struct slice v);

/*
 * 1 if an If-None-Match value v names etag (a strong or weak match of one
 * of its comma-separated entity tags) or is "*"; 0 otherwise.
 */
int page_etag_match(struct slice v, const char *etag);

/*
 * The Content-Security-Policy for a page served to host (the request's
 * Host, possibly with a port): 'self' for everything, and ws:/wss: of
 * that host for the live job list when host is a plain host[:port]
 * (else 'self' alone, which CSP Level 3 browsers extend to ws: of the
 * page's own origin). Into out (cap bytes), NUL-terminated.
 */
void page_csp(struct slice host, char *out, size_t cap);

/* The route handler (serve_http_fn) for every asset path. */
void page_get(void *app, struct serve *s, const struct serve_req *r);

#endif
