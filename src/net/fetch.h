/*
 * fetch.h - the HTTP/1.1 client: one request at a time over a kept-alive
 * connection (plain TCP or BearSSL TLS), redirects, timeouts, file:// URLs.
 *
 * Built from the protocol parts in http.c (request writer, push response
 * parser), url.c, net.c and tls.c. The response body is pushed to a callback
 * as it arrives (the download streams into gz/tar/digest without being stored).
 *
 * Time: each fetch_do() call has its own deadline, opt.total_ms from its start
 * (redirects included), whether it opens a connection or reuses a kept one.
 *
 * Credentials: a token (auth_origin) is sent only over https and only to
 * exactly that origin (scheme, host and port): never to a plain-http URL or
 * another port on the same host, nor to an origin that is itself http (the
 * request then goes without it, and the server's 401 or 404 says so). An
 * S3 signature
 * (auth_host) goes to its endpoint's host. The first redirect elsewhere drops
 * either for good (GitHub's API redirects to codeload with a pre-authorised
 * URL). Redirects are followed at most FETCH_MAX_REDIRECTS times, and never
 * from https to http. Neither the Authorization value nor a URL's userinfo or
 * query (it may hold a token) is ever put into an error message: URLs in
 * messages go through url_redact().
 *
 * Proxies (opt.proxy, see proxy.h): https targets through a CONNECT tunnel,
 * http targets in absolute form. --resolve pins apply to the proxy's own
 * name, and a pin for the target makes the CONNECT ask for the pinned
 * address (curl's --connect-to), since through a tunnel the proxy is the one
 * that resolves; TLS still checks the target's name. Errors on a proxied
 * request name the proxy ("via proxy http://host:port").
 */
#ifndef FETCH_H
#define FETCH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "err.h"
#include "http.h"
#include "net.h"
#include "proxy.h"
#include "tls.h"
#include "url.h"

#define FETCH_MAX_REDIRECTS 5
#define FETCH_ERRBODY_MAX   65536       /* body kept from a non-2xx answer */

struct fetch_opts {
	int connect_ms;                 /* per connect; <= 0: 30 s */
	int io_ms;                      /* a stalled read or write; <= 0: 60 s */
	int total_ms;                   /* whole request incl. redirects; 0: none */
	const struct net_resolve *resolve;
	size_t nresolve;
	const struct tls_anchors *anchors;
	const char *user_agent;         /* default "repodigest/VERSION" */
	const struct proxy_conf *proxy; /* NULL: always direct */
};

struct fetch_req {
	const char *method;             /* "GET", "HEAD", "PUT" */
	const char *url;
	const struct http_field *fields;        /* extra request headers */
	size_t nfields;
	const char *auth;               /* Authorization value, or NULL */
	const char *auth_host;          /* S3: the only host that may receive it */
	/* a token's origin, "https://host[:port]" (GITHUB_TOKEN: the API
	 * base): it then goes over https to exactly that scheme, host and
	 * port, and auth_host is not used */
	const char *auth_origin;
	const uint8_t *body;            /* request body (PUT) */
	size_t body_len;
	int has_body;
	int no_redirect;                /* return 3xx answers as they are */
	/* watched while connecting, waiting and reading the body: when it
	 * is requested the call ends with ERR_CANCELLED (cancel.h) */
	const struct cancel *cancel;
};

struct fetch_resp {
	int status;
	char url[URL_MAX + 1];          /* final URL, url_redact()ed (loggable) */
	int redirects;
	int has_retry_after;
	uint64_t retry_after;           /* seconds */
	int has_rl_remaining, has_rl_reset;
	uint64_t rl_remaining, rl_reset;
	int has_date;
	time_t date;
	uint64_t body_bytes;
	int has_length;                 /* the body's length is known: */
	uint64_t length;                /* Content-Length, a file's size */
	struct buf errbody;             /* up to FETCH_ERRBODY_MAX of a non-2xx body */
	struct http_resp_parser *head;  /* the final head; valid until the next call */
};

/* Body sink: return non-zero to abort (that value is returned by fetch_do). */
typedef int (*fetch_body_fn)(void *ctx, const uint8_t *p, size_t n);

struct fetch_conn;

struct fetch_client {
	struct fetch_opts opt;
	struct fetch_conn *conn;        /* the kept-alive connection, if any */
	struct http_resp_parser *parser;
	uint8_t *rbuf;
	uint64_t connections;           /* opened so far (keep-alive tests) */
};

int fetch_init(struct fetch_client *c, const struct fetch_opts *o);
void fetch_free(struct fetch_client *c);

/*
 * Perform rq. A 2xx body goes to fn (may be NULL); a non-2xx body is kept in
 * rs->errbody (S3 error XML). Returns 0 when a final response was read
 * completely, whatever its status (check rs->status), or an error code with ec
 * filled (source = the URL, url_redact()ed). rs->errbody must be released
 * with fetch_resp_free().
 */
int fetch_do(struct fetch_client *c, const struct fetch_req *rq,
    struct fetch_resp *rs, fetch_body_fn fn, void *ctx, struct err_ctx *ec);
void fetch_resp_free(struct fetch_resp *rs);

#endif
