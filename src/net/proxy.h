/*
 * proxy.h - HTTP proxies from the environment, read as curl reads them, and
 * the CONNECT exchange that opens a tunnel through one.
 *
 * Variables: https_proxy / HTTPS_PROXY for https:// targets, http_proxy /
 * HTTP_PROXY for http:// targets (the lower-case name wins, as in curl; an
 * empty value means none), no_proxy / NO_PROXY for the exceptions. A proxy
 * is "http://[user:pass@]host[:port]" (port 1080 when left out, curl's
 * default; no scheme at all means http://, also as curl). https:// proxies
 * and SOCKS are not supported: such a value is an error when a request would
 * use it, not before (a socks5:// http_proxy set for other tools does not
 * stop an https-only run).
 *
 * https:// targets go through a CONNECT tunnel: the proxy sees only
 * "CONNECT host:port", the TLS handshake with the target's name runs inside
 * it, and tokens stay inside TLS. http:// targets use absolute-form requests
 * to the proxy (RFC 9112 section 3.2.2), as curl does: plain HTTP hides
 * nothing from the proxy either way, and proxies commonly allow CONNECT to
 * port 443 only (tinyproxy's and Squid's defaults).
 *
 * Credentials from the proxy URL become a ready Proxy-Authorization value;
 * messages name the proxy as "http://host:port" only.
 */
#ifndef PROXY_H
#define PROXY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "http.h"
#include "net.h"
#include "url.h"

#define PROXY_NAME_MAX (URL_HOST_MAX + 16)      /* "http://[host]:65535" */
#define PROXY_CRED_MAX 256      /* user:pass, decoded */
#define PROXY_AUTH_MAX (6 + 4 * ((PROXY_CRED_MAX + 2) / 3) + 1)

struct proxy {
	int set;                        /* a value was given */
	int err;                        /* its parse error, reported on use */
	const char *var;                /* variable name, for messages */
	char host[URL_HOST_MAX + 1];    /* IPv6 without brackets */
	uint16_t port;
	char name[PROXY_NAME_MAX];      /* "http://host:port", no credentials */
	char auth[PROXY_AUTH_MAX];      /* "Basic ..." or "" */
};

struct proxy_conf {
	struct proxy https;             /* for https:// targets */
	struct proxy http;              /* for http:// targets */
	const char *no_proxy;           /* NULL or the list (not copied) */
};

/*
 * Parse one proxy value into p (var names it in messages). 0, or
 * ERR_PROXY_SCHEME (https://, socks5://, ...), ERR_PROXY_URL (bad host,
 * port, escape, credentials too long, a path other than "/").
 */
int proxy_parse(struct proxy *p, const char *var, const char *value);

/* The configuration from these values (NULL or "" = unset); no_proxy is
 * kept by pointer. Parse errors are stored in the proxy they concern. */
void proxy_conf_init(struct proxy_conf *pc, const char *https_var,
    const char *https_val, const char *http_var, const char *http_val,
    const char *no_proxy);

/* The same from the environment (getenv, lower-case names first). */
void proxy_conf_env(struct proxy_conf *pc);

/*
 * 1 if host:port is excluded by the NO_PROXY list: "*" (everything), or any
 * entry (separated by commas or blanks) that is a domain (matches itself and
 * its subdomains; a leading or trailing dot is ignored) or an IP literal
 * (the same literal only, IPv6 with or without brackets; names are not
 * resolved, as in curl), each optionally with ":PORT" (then only that
 * port). host is as in struct url (lower-case, IPv6 without brackets).
 */
int proxy_bypass(const char *no_proxy, const char *host, uint16_t port);

/* The proxy for a request to u, or NULL to go direct. The result may carry
 * a parse error (p->err). */
const struct proxy *proxy_select(const struct proxy_conf *pc,
    const struct url *u);

/*
 * Over c, connected to p, ask for a tunnel to host:port (host: a name or an
 * IP literal, IPv6 without brackets) and read the answer with rp, using
 * buf[0..cap) for input. 0 when the proxy answered 2xx: c is then a raw
 * byte stream to the target. Errors (the detail names the proxy, its status
 * and reason): ERR_PROXY_AUTH (407, or 401), ERR_PROXY_UPSTREAM (5xx), ERR_PROXY_DENIED
 * (other answers), ERR_PROXY_CLOSED (EOF before the whole answer),
 * ERR_PROXY_PROTOCOL (bytes after a 2xx answer), the parser's ERR_HTTP_*,
 * and ERR_NET_* from the socket.
 */
int proxy_tunnel(struct net_conn *c, const struct proxy *p, const char *host,
    uint16_t port, const char *user_agent, struct http_resp_parser *rp,
    uint8_t *buf, size_t cap, struct err_ctx *ec);

/* Make an error about a request through p say so: appends "via proxy NAME"
 * to ec->detail unless the detail names the proxy already. */
void proxy_note(struct err_ctx *ec, const struct proxy *p);

#endif
