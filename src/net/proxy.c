/*
 * proxy.c - proxies from the environment and CONNECT tunnels. See proxy.h.
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "proxy.h"

/* Percent-decode s[0..n) onto the end of out (cap bytes); -1 on a bad
 * escape, a decoded NUL or overflow. */
static int
decode(const char *s, size_t n, char *out, size_t *len, size_t cap)
{
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			int hi, lo;
			if (i + 2 >= n)
				return -1;
			hi = buf_hexval((unsigned char)s[i + 1]);
			lo = buf_hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = hi * 16 + lo;
			i += 2;
		}
		if (c == 0 || *len >= cap)
			return -1;
		out[(*len)++] = (char)c;
	}
	return 0;
}

/* "Basic " + base64(cred) into out (PROXY_AUTH_MAX bytes), NUL-terminated. */
static void
basic_auth(const char *cred, size_t n, char *out)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 6;

	memcpy(out, "Basic ", 6);
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)(unsigned char)cred[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)(unsigned char)cred[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)cred[i + 2];
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	out[o] = '\0';
}

/* see proxy.h */
int
proxy_parse(struct proxy *p, const char *var, const char *value)
{
	const char *s = value, *auth, *at, *end, *col;
	char hp[URL_HOST_MAX + 32], cred[PROXY_CRED_MAX];
	struct url u;           /* 4.4 KiB: parsed once, on the main thread */
	size_t clen = 0;
	int e = 0;

	memset(p, 0, sizeof *p);
	p->set = 1;
	p->var = var;
	if (strstr(s, "://") != NULL) {
		if (strncasecmp(s, "http://", 7) != 0)
			return p->err = ERR_PROXY_SCHEME;
		s += 7;
	}
	/* authority, then nothing or "/" (curl ignores a path; a proxy URL
	 * with one is more likely a mistake than a meaning) */
	end = s + strcspn(s, "/?#");
	if (end[0] != '\0' && strcmp(end, "/") != 0)
		return p->err = ERR_PROXY_URL;
	auth = s;
	at = NULL;
	for (const char *q = s; q < end; q++)
		if (*q == '@')
			at = q;
	if (at != NULL) {
		/* user[:pass], percent-decoded (curl does the same) */
		col = memchr(auth, ':', (size_t)(at - auth));
		if (col == NULL)
			col = at;
		if (decode(auth, (size_t)(col - auth), cred, &clen,
		    sizeof cred - 1) != 0) {
			e = ERR_PROXY_URL;
			goto out;
		}
		cred[clen++] = ':';
		if ((col < at && decode(col + 1, (size_t)(at - col - 1), cred,
		    &clen, sizeof cred) != 0) || clen == 1) {
			e = ERR_PROXY_URL;      /* too long, bad escape, or "@" */
			goto out;
		}
		basic_auth(cred, clen, p->auth);
		s = at + 1;
	}
	/* the host and port through the URL parser (its strict host rules),
	 * then our default port */
	if ((size_t)(end - s) + 9 > sizeof hp || end == s) {
		e = ERR_PROXY_URL;
		goto out;
	}
	snprintf(hp, sizeof hp, "http://%.*s/", (int)(end - s), s);
	if (url_parse((const uint8_t *)hp, strlen(hp), &u) != 0) {
		e = ERR_PROXY_URL;
	} else {
		memcpy(p->host, u.host, u.host_len + 1);
		p->port = u.port_explicit ? u.port : 1080;
		snprintf(p->name, sizeof p->name,
		    u.host_kind == URL_HOST_IPV6 ? "http://[%s]:%u" :
		    "http://%s:%u", p->host, (unsigned)p->port);
	}
out:
	/* the password must not linger in a stack copy */
	for (volatile char *q = cred; q < cred + sizeof cred; q++)
		*q = 0;
	if (e != 0) {
		for (volatile char *q = p->auth; q < p->auth + sizeof p->auth; q++)
			*q = 0;
		p->err = e;
	}
	return e;
}

/* see proxy.h */
void
proxy_conf_init(struct proxy_conf *pc, const char *https_var,
    const char *https_val, const char *http_var, const char *http_val,
    const char *no_proxy)
{
	memset(pc, 0, sizeof *pc);
	if (https_val != NULL && https_val[0] != '\0')
		proxy_parse(&pc->https, https_var, https_val);
	if (http_val != NULL && http_val[0] != '\0')
		proxy_parse(&pc->http, http_var, http_val);
	pc->no_proxy = no_proxy != NULL && no_proxy[0] != '\0' ? no_proxy : NULL;
}

/* The first of the two variables that is set and not empty. */
static const char *
env2(const char *lower, const char *upper, const char **var)
{
	const char *v = getenv(lower);

	*var = lower;
	if (v == NULL || v[0] == '\0') {
		v = getenv(upper);
		*var = upper;
	}
	return v;
}

/* see proxy.h */
void
proxy_conf_env(struct proxy_conf *pc)
{
	const char *hs_var, *h_var, *n_var;
	const char *hs = env2("https_proxy", "HTTPS_PROXY", &hs_var);
	const char *h = env2("http_proxy", "HTTP_PROXY", &h_var);
	const char *np = env2("no_proxy", "NO_PROXY", &n_var);

	proxy_conf_init(pc, hs_var, hs, h_var, h, np);
}

/*
 * "ADDR/BITS" (curl's CIDR form, e.g. 10.0.0.0/8, fd00::/8) against a host that
 * is an address of the same family; names are not resolved.
 */
static int
cidr_match(const char *t, size_t n, const char *host)
{
	const char *sl = memchr(t, '/', n), *end = t + n, *d;
	unsigned char net[16], ip[16];
	char a[INET6_ADDRSTRLEN + 2];
	size_t al = (size_t)(sl - t);
	unsigned bits = 0;
	int af;

	if (t[0] == '[' && al > 2 && t[al - 1] == ']')
		t++, al -= 2;
	if (al == 0 || al >= sizeof a || end - sl < 2 || end - sl > 4)
		return 0;
	for (d = sl + 1; d < end; d++) {
		if (*d < '0' || *d > '9')
			return 0;
		bits = bits * 10 + (unsigned)(*d - '0');
	}
	memcpy(a, t, al);
	a[al] = '\0';
	af = strchr(a, ':') != NULL ? AF_INET6 : AF_INET;
	if (bits > (af == AF_INET6 ? 128u : 32u) || inet_pton(af, a, net) != 1 ||
	    inet_pton(af, host, ip) != 1)
		return 0;
	if (memcmp(net, ip, bits / 8) != 0)
		return 0;
	return bits % 8 == 0 ||
	    ((net[bits / 8] ^ ip[bits / 8]) & (0xFF00 >> bits % 8)) == 0;
}

/* One NO_PROXY entry (t[0..n), trimmed, not empty) against host:port. */
static int
entry_match(const char *t, size_t n, const char *host, uint16_t port)
{
	const char *name = t, *col = NULL;
	size_t nn = n, hn = strlen(host);

	if (n == 1 && t[0] == '*')
		return 1;
	if (memchr(t, '/', n) != NULL)
		return cidr_match(t, n, host);
	/* the optional :PORT: after "]" for bracketed IPv6; otherwise only
	 * when there is exactly one colon (a bare IPv6 literal has more) */
	if (t[0] == '[') {
		const char *rb = memchr(t, ']', n);
		if (rb == NULL)
			return 0;
		name = t + 1;
		nn = (size_t)(rb - name);
		if (rb + 1 < t + n) {
			if (rb[1] != ':')
				return 0;
			col = rb + 1;
		}
	} else if ((col = memchr(t, ':', n)) != NULL &&
	    memchr(col + 1, ':', (size_t)(t + n - col - 1)) != NULL) {
		col = NULL;
	} else if (col != NULL) {
		nn = (size_t)(col - t);
	}
	if (col != NULL) {
		unsigned long v = 0;
		size_t i = (size_t)(col + 1 - t);
		if (i == n || n - i > 5)
			return 0;
		for (; i < n; i++) {
			if (t[i] < '0' || t[i] > '9')
				return 0;
			v = v * 10 + (unsigned long)(t[i] - '0');
		}
		if (v != port)
			return 0;
	}
	/* an IP-literal host matches the same literal only (no suffixes:
	 * "0.0.1" must not match 127.0.0.1); names are not resolved */
	if (strspn(host, "0123456789.") == hn || strchr(host, ':') != NULL)
		return nn == hn && strncasecmp(name, host, hn) == 0;
	/* a domain: itself and its subdomains, dots at either end ignored */
	if (nn > 0 && name[0] == '.')
		name++, nn--;
	if (nn > 0 && name[nn - 1] == '.')
		nn--;
	if (hn > 0 && host[hn - 1] == '.')
		hn--;
	if (nn == 0 || nn > hn)
		return 0;
	return strncasecmp(host + hn - nn, name, nn) == 0 &&
	    (nn == hn || host[hn - nn - 1] == '.');
}

/* see proxy.h */
int
proxy_bypass(const char *no_proxy, const char *host, uint16_t port)
{
	const char *s = no_proxy;

	if (s == NULL)
		return 0;
	while (*s != '\0') {
		size_t n;
		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		n = strcspn(s, ", \t");
		if (n > 0 && entry_match(s, n, host, port))
			return 1;
		s += n;
	}
	return 0;
}

/* see proxy.h */
const struct proxy *
proxy_select(const struct proxy_conf *pc, const struct url *u)
{
	const struct proxy *p;

	if (pc == NULL)
		return NULL;
	p = u->scheme == URL_HTTPS ? &pc->https :
	    u->scheme == URL_HTTP ? &pc->http : NULL;
	if (p == NULL || !p->set || proxy_bypass(pc->no_proxy, u->host, u->port))
		return NULL;
	return p;
}

/* see proxy.h */
void
proxy_note(struct err_ctx *ec, const struct proxy *p)
{
	size_t n = strlen(ec->detail);

	if (p->name[0] == '\0' || strstr(ec->detail, p->name) != NULL)
		return;
	snprintf(ec->detail + n, sizeof ec->detail - n, "%svia proxy %s",
	    n ? "; " : "", p->name);
}

/* see proxy.h */
int
proxy_tunnel(struct net_conn *c, const struct proxy *p, const char *host,
    uint16_t port, const char *user_agent, struct http_resp_parser *rp,
    uint8_t *buf, size_t cap, struct err_ctx *ec)
{
	struct http_field f[2];
	struct http_request hr;
	char target[URL_HOST_MAX + 9], head[2048];
	size_t nf = 0, len;
	int v6 = strchr(host, ':') != NULL, e;

	snprintf(target, sizeof target, v6 ? "[%s]:%u" : "%s:%u", host,
	    (unsigned)port);
	f[nf].name = "User-Agent";
	f[nf].name_len = 10;
	f[nf].value = user_agent;
	f[nf++].value_len = strlen(user_agent);
	if (p->auth[0] != '\0') {
		f[nf].name = "Proxy-Authorization";
		f[nf].name_len = 19;
		f[nf].value = p->auth;
		f[nf++].value_len = strlen(p->auth);
	}
	memset(&hr, 0, sizeof hr);
	hr.method = "CONNECT";
	hr.method_len = 7;
	/* RFC 9110 9.3.6: the Host of a CONNECT is the target's authority,
	 * port always (default_port 0 never matches) */
	hr.host = host;
	hr.host_len = strlen(host);
	hr.port = port;
	hr.target = target;
	hr.target_len = strlen(target);
	hr.fields = f;
	hr.nfields = nf;
	e = http_write_request(&hr, head, sizeof head, &len);
	if (e == 0)
		e = net_write_all(c, head, len, ec);
	else
		err_set(ec, e, NULL);
	for (volatile char *q = head; q < head + sizeof head; q++)
		*q = 0;
	if (e != 0)
		return e;

	http_resp_init(rp, HTTP_RESP_CONNECT);
	for (;;) {
		size_t got = 0, at = 0;
		if ((e = net_read(c, buf, cap, &got, ec)) != 0)
			return e;
		if (got == 0)
			return err_set(ec, ERR_PROXY_CLOSED, "proxy %s", p->name);
		/* push until the parser wants input: DONE comes in a call
		 * of its own after HEADERS */
		for (;;) {
			struct http_ev ev;
			at += http_resp_push(rp, buf + at, got - at, &ev);
			if (ev.type == HTTP_EV_NONE)
				break;
			if (ev.type == HTTP_EV_ERROR)
				return err_set(ec, ev.err, "proxy %s", p->name);
			if (ev.type == HTTP_EV_HEADERS) {
				int st = http_resp_status(rp);
				struct slice r = http_resp_reason(rp);
				if (st >= 200 && st < 300)
					continue;
				/* the target is not reached before a 2xx, so a
				 * 401 is the proxy's too (tinyproxy sends one for
				 * wrong credentials) */
				e = st == 407 || st == 401 ? ERR_PROXY_AUTH :
				    st >= 500 ? ERR_PROXY_UPSTREAM :
				    ERR_PROXY_DENIED;
				return err_set(ec, e, "proxy %s answered %d %.*s%s",
				    p->name, st, (int)(r.n < 60 ? r.n : 60),
				    (const char *)r.p, e != ERR_PROXY_AUTH ? "" :
				    p->auth[0] ? ", credentials refused" :
				    ", no credentials in its URL");
			}
			if (ev.type == HTTP_EV_DONE) {
				/* the target speaks only after our ClientHello:
				 * anything more is not from it */
				if (at < got)
					return err_set(ec, ERR_PROXY_PROTOCOL,
					    "proxy %s", p->name);
				return 0;
			}
		}
	}
}
