/*
 * url.c - URL parsing and resolution (RFC 3986), GitHub sources, archive
 * URLs. No I/O, no allocation.
 *
 * Data flow: url_parse() checks every byte against the RFC 3986 set first,
 * then splits scheme, authority (host, port) and path/query/fragment, checks
 * each part, and copies host and target into fixed buffers of struct url
 * (no pointers into the input, so a struct url can be copied freely).
 * url_resolve() turns a reference into an absolute string (RFC 3986 5.2.2)
 * and hands it to url_parse(), so a redirect target gets exactly the same
 * checks as a URL typed by the user. GitHub sources are split by hand on
 * the raw bytes, because url_parse() would remove "..", and a source that
 * holds ".." is refused, not reinterpreted.
 *
 * Limits: URL_MAX bytes per URL, URL_HOST_MAX per host, the GitHub name
 * limits for owner/repo and URL_REF_MAX for refs. Everything past a limit is
 * an error, never truncated.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "fbuf.h"
#include "err.h"
#include "url.h"

/* ------------------------------------------------------------ helpers */

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_unreserved(int c)
{
	return is_alpha(c) || is_digit(c) || c == '-' || c == '.' ||
	    c == '_' || c == '~';
}

/* Every byte a URI may hold (RFC 3986 appendix A): unreserved, gen-delims,
 * sub-delims and '%'. Space, controls, '"', '<', '>', '\\', '^', '`', '{',
 * '|', '}' and raw non-ASCII are refused: browsers "fix" them in ways other
 * parsers do not (a backslash as '/' moves the host). */
static int
is_uri_byte(int c)
{
	return is_unreserved(c) || (c != 0 && memchr(":/?#[]@!$&'()*+,;=%",
	    c, 19) != NULL);
}

/* Case-insensitive prefix match of a lower-case literal. */
static int
prefix_ci(const uint8_t *p, size_t n, const char *lit)
{
	size_t k = strlen(lit);

	if (n < k)
		return 0;
	for (size_t i = 0; i < k; i++)
		if (lower(p[i]) != lit[i])
			return 0;
	return 1;
}

/* Every '%' followed by two hex digits. */
static int
escapes_ok(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] == '%') {
			if (n - i < 3 || buf_hexval(p[i + 1]) < 0 ||
			    buf_hexval(p[i + 2]) < 0)
				return 0;
			i += 2;
		}
	return 1;
}

/*
 * The URLs written here are NUL-terminated: one byte of the caller's cap is
 * kept for the NUL, and a zero cap takes nothing at all (not even the NUL).
 */
static struct fbuf
out_init(char *p, size_t cap)
{
	struct fbuf o = { cap > 0 ? p : NULL, cap > 0 ? cap - 1 : 0, 0,
	    cap == 0 };

	return o;
}

static int
done(struct fbuf *o, size_t *len)
{
	if (o->p != NULL)
		o->p[o->over ? 0 : o->len] = '\0';
	*len = o->over ? 0 : o->len;
	return o->over ? ERR_URL_TOO_LONG : 0;
}

/* ------------------------------------------------------------ hosts */

/* dec-octet "." x4 (RFC 3986 3.2.2), no leading zeros (octal to
 * inet_aton), each 0..255. */
static int
ipv4_ok(const uint8_t *p, size_t n)
{
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		unsigned v = 0;
		size_t s = i;

		while (i < n && is_digit(p[i]) && i - s < 3)
			v = v * 10 + (unsigned)(p[i++] - '0');
		if (i == s || v > 255 || (i - s > 1 && p[s] == '0'))
			return 0;
		if (part < 3) {
			if (i >= n || p[i] != '.')
				return 0;
			i++;
		}
	}
	return i == n;
}

/* IPv6address (RFC 3986 3.2.2; RFC 4291 2.2): up to 8 groups of 1-4 hex
 * digits, at most one "::", optionally ending in a dotted quad that counts
 * as two groups. No zone id ("%25eth0"): it would name a local interface. */
static int
ipv6_ok(const uint8_t *p, size_t n)
{
	size_t i = 0;
	int groups = 0, gap = 0;

	if (n < 2)
		return 0;
	if (p[0] == ':') {
		if (p[1] != ':')
			return 0;
		gap = 1;
		i = 2;
		if (i == n)
			return 1;
	}
	for (;;) {
		size_t s = i;

		while (i < n && buf_hexval(p[i]) >= 0 && i - s < 4)
			i++;
		if (i < n && p[i] == '.') {
			/* the dotted quad must be the last two groups */
			size_t e = s;
			while (e < n && (is_digit(p[e]) || p[e] == '.'))
				e++;
			if (e != n || !ipv4_ok(p + s, n - s))
				return 0;
			groups += 2;
			break;
		}
		if (i == s)
			return 0;
		groups++;
		if (i == n)
			break;
		if (p[i] != ':')
			return 0;
		i++;
		if (i < n && p[i] == ':') {
			if (gap)
				return 0;
			gap = 1;
			i++;
			if (i == n)
				break;
		} else if (i == n) {
			return 0;       /* trailing single ':' */
		}
	}
	return gap ? groups <= 7 : groups == 8;
}

/*
 * reg-name, stricter than RFC 3986 (which allows sub-delims and escapes):
 * what DNS and TLS name checks accept - LDH labels (plus '_', seen in real
 * names), 1..63 bytes, not starting or ending with '-', no empty label (so
 * no trailing dot). If the last label looks numeric the whole name must be
 * a dotted quad: getaddrinfo() would read "127.1" or "0x7f.1" as an address.
 */
static int
host_ok(const uint8_t *p, size_t n, int *kind)
{
	size_t s = 0, last = 0;
	int numeric = 1;

	if (n == 0 || n > URL_HOST_MAX)
		return 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && p[i] != '.') {
			int c = p[i];
			if (!is_alpha(c) && !is_digit(c) && c != '-' &&
			    c != '_')
				return 0;
			continue;
		}
		if (i == s || i - s > 63 || p[s] == '-' || p[i - 1] == '-')
			return 0;
		last = s;
		s = i + 1;
	}
	for (size_t i = last; i < n; i++)
		if (!is_digit(p[i]))
			numeric = 0;
	if (n - last >= 2 && p[last] == '0' && lower(p[last + 1]) == 'x')
		numeric = 1;
	if (numeric) {
		if (!ipv4_ok(p, n))
			return 0;
		*kind = URL_HOST_IPV4;
	} else {
		*kind = URL_HOST_NAME;
	}
	return 1;
}

/* ------------------------------------------------------------ paths */

/*
 * remove_dot_segments (RFC 3986 5.2.4) from in[0..n) into out (n + 1
 * bytes, n when nothing is added). Works on a copy because steps B and C
 * rewrite the input's head.
 */
static size_t
remove_dots(const uint8_t *in, size_t n, char *out)
{
	char buf[URL_MAX + 2];
	size_t i = 0, o = 0;

	memcpy(buf, in, n);
	while (i < n) {
		const char *b = buf + i;
		size_t r = n - i;

		if (r >= 3 && memcmp(b, "../", 3) == 0) {          /* A */
			i += 3;
		} else if (r >= 2 && memcmp(b, "./", 2) == 0) {
			i += 2;
		} else if (r >= 3 && memcmp(b, "/./", 3) == 0) {   /* B */
			i += 2;
		} else if (r == 2 && memcmp(b, "/.", 2) == 0) {
			buf[i + 1] = '/';
			i += 1;
		} else if ((r >= 4 && memcmp(b, "/../", 4) == 0) ||
		    (r == 3 && memcmp(b, "/..", 3) == 0)) {        /* C */
			/* leave the input at the final '/' */
			if (r == 3) {
				buf[i + 2] = '/';
				i += 2;
			} else {
				i += 3;
			}
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else if ((r == 1 && b[0] == '.') ||
		    (r == 2 && memcmp(b, "..", 2) == 0)) {         /* D */
			i = n;
		} else {                                            /* E */
			/* the first segment, with its leading '/' */
			size_t k = 1;
			while (k < r && b[k] != '/')
				k++;
			memcpy(out + o, b, k);
			o += k;
			i += k;
		}
	}
	return o;
}

/* ------------------------------------------------------------ parse */

/* see url.h */
uint16_t
url_default_port(int scheme)
{
	return scheme == URL_HTTP ? 80 : scheme == URL_HTTPS ? 443 : 0;
}

/* Scheme ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" (RFC 3986 3.1):
 * length of the scheme, or 0 if p does not start with one. */
static size_t
scheme_len(const uint8_t *p, size_t n)
{
	size_t i;

	if (n == 0 || !is_alpha(p[0]))
		return 0;
	for (i = 1; i < n; i++) {
		int c = p[i];
		if (c == ':')
			return i;
		if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' &&
		    c != '.')
			return 0;
	}
	return 0;
}

static int
parse_authority(const uint8_t *a, size_t an, struct url *u)
{
	const uint8_t *h = a, *port = NULL;
	size_t hn = an, pn = 0;
	int kind;

	if (memchr(a, '@', an) != NULL)
		return ERR_URL_USERINFO;
	if (an > 0 && a[0] == '[') {
		const uint8_t *rb = memchr(a, ']', an);
		if (rb == NULL)
			return ERR_URL_HOST;
		h = a + 1;
		hn = (size_t)(rb - a) - 1;
		if (rb + 1 < a + an) {
			if (rb[1] != ':')
				return ERR_URL_HOST;
			port = rb + 2;
			pn = (size_t)(a + an - port);
		}
		if (!ipv6_ok(h, hn))
			return ERR_URL_HOST;
		kind = URL_HOST_IPV6;
	} else {
		const uint8_t *colon = memchr(a, ':', an);
		if (colon != NULL) {
			hn = (size_t)(colon - a);
			port = colon + 1;
			pn = an - hn - 1;
		}
		if (memchr(h, '[', hn) || memchr(h, ']', hn))
			return ERR_URL_HOST;
		if (u->scheme == URL_FILE) {
			/* RFC 8089 2: empty or "localhost" only */
			if (hn != 0 &&
			    !(hn == 9 && prefix_ci(h, hn, "localhost")))
				return ERR_URL_HOST;
			if (port != NULL)
				return ERR_URL_PORT;
			u->host_kind = URL_HOST_NONE;
			u->host_len = 0;
			u->host[0] = '\0';
			return 0;
		}
		if (!host_ok(h, hn, &kind))
			return ERR_URL_HOST;
	}
	if (u->scheme == URL_FILE)
		return ERR_URL_HOST;
	for (size_t i = 0; i < hn; i++)
		u->host[i] = (char)lower(h[i]);
	u->host[hn] = '\0';
	u->host_len = hn;
	u->host_kind = kind;
	u->port = url_default_port(u->scheme);
	u->port_explicit = 0;
	if (port != NULL && pn > 0) {
		/* RFC 3986 3.2.3: an empty port means the default. */
		unsigned v = 0;
		if (pn > 5)
			return ERR_URL_PORT;
		for (size_t i = 0; i < pn; i++) {
			if (!is_digit(port[i]))
				return ERR_URL_PORT;
			v = v * 10 + (unsigned)(port[i] - '0');
		}
		if (v == 0 || v > 65535)
			return ERR_URL_PORT;
		u->port = (uint16_t)v;
		u->port_explicit = 1;
	}
	return 0;
}

/* see url.h */
int
url_parse(const uint8_t *p, size_t n, struct url *u)
{
	size_t sl, i, ps, pe, qe;
	int e;

	memset(u, 0, sizeof *u);
	if (n > URL_MAX)
		return ERR_URL_TOO_LONG;
	for (i = 0; i < n; i++)
		if (!is_uri_byte(p[i]))
			return ERR_URL_SYNTAX;
	if ((sl = scheme_len(p, n)) == 0)
		return ERR_URL_SYNTAX;
	if (sl == 4 && prefix_ci(p, n, "http"))
		u->scheme = URL_HTTP;
	else if (sl == 5 && prefix_ci(p, n, "https"))
		u->scheme = URL_HTTPS;
	else if (sl == 4 && prefix_ci(p, n, "file"))
		u->scheme = URL_FILE;
	else
		return ERR_URL_SCHEME;
	i = sl + 1;

	if (n - i >= 2 && p[i] == '/' && p[i + 1] == '/') {
		size_t as = i + 2, ae = as;
		while (ae < n && p[ae] != '/' && p[ae] != '?' && p[ae] != '#')
			ae++;
		if ((e = parse_authority(p + as, ae - as, u)) != 0)
			return e;
		i = ae;
	} else if (u->scheme == URL_FILE && i < n && p[i] == '/') {
		u->host_kind = URL_HOST_NONE;   /* "file:/path" */
	} else {
		return ERR_URL_SYNTAX;
	}

	/* path, "?" query, "#" fragment */
	ps = i;
	pe = ps;
	while (pe < n && p[pe] != '?' && p[pe] != '#')
		pe++;
	qe = pe;
	while (qe < n && p[qe] != '#')
		qe++;
	/* '[' and ']' belong to IP literals only; a second '#' is not a
	 * fragment character (RFC 3986 3.5). */
	for (i = ps; i < n; i++)
		if (p[i] == '[' || p[i] == ']' || (i > qe && p[i] == '#'))
			return ERR_URL_SYNTAX;
	if (!escapes_ok(p + ps, n - ps))
		return ERR_URL_ESCAPE;
	if (pe == ps) {
		if (u->scheme == URL_FILE)
			return ERR_URL_SYNTAX;
		u->target[0] = '/';
		u->path_len = 1;
	} else {
		u->path_len = remove_dots(p + ps, pe - ps, u->target);
		if (u->path_len == 0) {
			u->target[0] = '/';
			u->path_len = 1;
		}
	}
	memcpy(u->target + u->path_len, p + pe, qe - pe);
	u->target_len = u->path_len + (qe - pe);
	u->target[u->target_len] = '\0';
	return 0;
}

/* see url.h */
int
url_format(const struct url *u, char *out, size_t cap, size_t *len)
{
	struct fbuf o = out_init(out, cap);

	switch (u->scheme) {
	case URL_HTTP:
		fbuf_put(&o, "http://", 7);
		break;
	case URL_HTTPS:
		fbuf_put(&o, "https://", 8);
		break;
	default:
		fbuf_put(&o, "file://", 7);
		break;
	}
	if (u->host_kind == URL_HOST_IPV6)
		fbuf_put(&o, "[", 1);
	fbuf_put(&o, u->host, u->host_len);
	if (u->host_kind == URL_HOST_IPV6)
		fbuf_put(&o, "]", 1);
	if (u->port_explicit && u->port != url_default_port(u->scheme)) {
		fbuf_put(&o, ":", 1);
		fbuf_put_u64(&o, u->port);
	}
	fbuf_put(&o, u->target, u->target_len);
	return done(&o, len);
}

/* see url.h */
int
url_resolve(const struct url *base, const uint8_t *ref, size_t n,
    struct url *out)
{
	char tmp[2 * URL_MAX + URL_HOST_MAX + 32];
	struct fbuf o = out_init(tmp, sizeof tmp);
	size_t i, pe, qe, blen;

	if (n > URL_MAX)
		return ERR_URL_TOO_LONG;
	for (i = 0; i < n; i++)
		if (!is_uri_byte(ref[i]))
			return ERR_URL_SYNTAX;
	/* 5.2.2: a reference with a scheme stands alone. */
	if (scheme_len(ref, n) != 0)
		return url_parse(ref, n, out);

	if (url_format(base, tmp, sizeof tmp, &blen) != 0)
		return ERR_URL_TOO_LONG;
	o.len = blen - base->target_len;        /* "scheme://authority" */
	if (n >= 2 && ref[0] == '/' && ref[1] == '/') {
		/* network-path: the base's scheme, the ref's authority */
		o.len = base->scheme == URL_HTTP ? 5 :
		    base->scheme == URL_HTTPS ? 6 : 5;
		fbuf_put(&o, ref, n);
		return o.over ? ERR_URL_TOO_LONG :
		    url_parse((const uint8_t *)tmp, o.len, out);
	}
	pe = 0;
	while (pe < n && ref[pe] != '?' && ref[pe] != '#')
		pe++;
	qe = pe;
	while (qe < n && ref[qe] != '#')
		qe++;
	if (pe == 0) {
		/* same path; the ref's query if it has one, else the base's */
		fbuf_put(&o, base->target, base->path_len);
		if (qe > pe)
			fbuf_put(&o, ref, qe);
		else
			fbuf_put(&o, base->target + base->path_len,
			    base->target_len - base->path_len);
	} else if (ref[0] == '/') {
		fbuf_put(&o, ref, qe);
	} else {
		/* 5.2.3 merge: the base path up to its last '/' (url_parse
		 * keeps paths non-empty and starting with '/') */
		size_t k = base->path_len;
		while (k > 0 && base->target[k - 1] != '/')
			k--;
		fbuf_put(&o, base->target, k);
		fbuf_put(&o, ref, qe);
	}
	if (o.over || o.len > URL_MAX)
		return ERR_URL_TOO_LONG;
	return url_parse((const uint8_t *)tmp, o.len, out);
}

/* see url.h */
int
url_file_path(const struct url *u, char *out, size_t cap, size_t *len)
{
	struct fbuf o = out_init(out, cap);

	*len = 0;
	if (cap > 0)
		out[0] = '\0';
	if (u->scheme != URL_FILE)
		return ERR_URL_SCHEME;
	for (size_t i = 0; i < u->path_len; i++) {
		char c = u->target[i];
		if (c == '%') {
			/* url_parse() checked the two hex digits */
			const char *x = u->target + i;
			c = (char)(buf_hexval((unsigned char)x[1]) << 4 |
			    buf_hexval((unsigned char)x[2]));
			if (c == '\0')
				return ERR_URL_ESCAPE;
			i += 2;
		}
		fbuf_put(&o, &c, 1);
	}
	return done(&o, len);
}

/* ------------------------------------------------------------ GitHub */

/* see url.h */
int
url_valid_owner(const uint8_t *p, size_t n)
{
	if (n == 0 || n > URL_OWNER_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_alpha(p[i]) && !is_digit(p[i]) && p[i] != '-')
			return 0;
	return 1;
}

int
url_valid_repo(const uint8_t *p, size_t n)
{
	if (n == 0 || n > URL_REPO_MAX)
		return 0;
	if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_alpha(p[i]) && !is_digit(p[i]) && p[i] != '-' &&
		    p[i] != '.' && p[i] != '_')
			return 0;
	return 1;
}

int
url_valid_ref(const uint8_t *p, size_t n)
{
	size_t cs = 0;

	if (n == 0 || n > URL_REF_MAX)
		return 0;
	if (p[0] == '-' || p[0] == '/' || p[n - 1] == '/' || p[n - 1] == '.')
		return 0;
	if (n == 1 && p[0] == '@')
		return 0;
	for (size_t i = 0; i < n; i++) {
		int c = p[i];
		if (c < 0x20 || c == 0x7f || c == ' ' ||
		    memchr("~^:?*[\\", c, 7) != NULL)
			return 0;
		if (i + 1 < n && ((c == '.' && p[i + 1] == '.') ||
		    (c == '@' && p[i + 1] == '{') ||
		    (c == '/' && p[i + 1] == '/')))
			return 0;
		if (c == '/' || i + 1 == n) {
			size_t ce = c == '/' ? i : n;
			/* git: no component starts with '.' or ends
			 * with ".lock" */
			if (p[cs] == '.')
				return 0;
			if (ce - cs >= 5 && memcmp(p + ce - 5, ".lock", 5) == 0)
				return 0;
			cs = i + 1;
		}
	}
	return 1;
}

/* Fill g from owner/repo/ref slices; strips ".git" from repo. */
static int
github_fill(struct url_github *g, const uint8_t *o, size_t on,
    const uint8_t *r, size_t rn, const uint8_t *ref, size_t refn)
{
	if (rn > 4 && memcmp(r + rn - 4, ".git", 4) == 0)
		rn -= 4;
	if (!url_valid_owner(o, on))
		return ERR_URL_OWNER;
	if (!url_valid_repo(r, rn))
		return ERR_URL_REPO;
	if (ref != NULL && !url_valid_ref(ref, refn))
		return ERR_URL_REF;
	memcpy(g->owner, o, on);
	g->owner[on] = '\0';
	g->owner_len = on;
	memcpy(g->repo, r, rn);
	g->repo[rn] = '\0';
	g->repo_len = rn;
	if (ref != NULL)
		memcpy(g->ref, ref, refn);
	g->ref_len = ref != NULL ? refn : 0;
	g->ref[g->ref_len] = '\0';
	return 0;
}

static int
github_url(const uint8_t *p, size_t n, struct url_github *g)
{
	struct url u;
	uint8_t ref[URL_REF_MAX + 1];
	size_t i, e, seg[4], segn[4], ns = 0, refn = 0;
	int err;

	if (!prefix_ci(p, n, "https://"))
		return ERR_URL_SOURCE;
	if ((err = url_parse(p, n, &u)) != 0)
		return err;
	if (u.host_len != 10 || memcmp(u.host, "github.com", 10) != 0 ||
	    u.port_explicit)
		return ERR_URL_SOURCE;
	/* raw path: from after "https://github.com" to '?' or '#' */
	i = 8 + 10;
	if (i < n && p[i] == ':')       /* "github.com:" with empty port */
		return ERR_URL_SOURCE;
	e = i;
	while (e < n && p[e] != '?' && p[e] != '#')
		e++;
	if (e < n && p[e] == '?')
		return ERR_URL_SOURCE;
	/* drop one trailing '/' */
	if (e > i && p[e - 1] == '/')
		e--;
	/* owner, repo, "tree", then the rest */
	while (i < e && ns < 4) {
		size_t s;
		if (p[i] != '/')
			return ERR_URL_SOURCE;
		s = ++i;
		if (ns < 3)
			while (i < e && p[i] != '/')
				i++;
		else
			i = e;
		if (i == s)
			return ERR_URL_SOURCE;
		seg[ns] = s;
		segn[ns++] = i - s;
	}
	if (ns != 2 && ns != 4)
		return ERR_URL_SOURCE;
	if (ns == 2)
		return github_fill(g, p + seg[0], segn[0], p + seg[1], segn[1],
		    NULL, 0);
	if (segn[2] != 4 || memcmp(p + seg[2], "tree", 4) != 0)
		return ERR_URL_SOURCE;
	/* a ".git" repo before /tree/ is not a GitHub page */
	if (segn[1] > 4 && memcmp(p + seg[1] + segn[1] - 4, ".git", 4) == 0)
		return ERR_URL_REPO;
	for (i = seg[3]; i < seg[3] + segn[3]; i++) {
		uint8_t c = p[i];
		if (refn == URL_REF_MAX)
			return ERR_URL_REF;
		if (c == '%') {
			/* url_parse() checked the escape */
			c = (uint8_t)(buf_hexval(p[i + 1]) << 4 | buf_hexval(p[i + 2]));
			i += 2;
		}
		ref[refn++] = c;
	}
	return github_fill(g, p + seg[0], segn[0], p + seg[1], segn[1], ref,
	    refn);
}

/* see url.h */
int
url_github_source(const uint8_t *p, size_t n, struct url_github *g)
{
	const uint8_t *at, *slash;
	size_t ln, on;

	memset(g, 0, sizeof *g);
	if (n > URL_MAX)
		return ERR_URL_TOO_LONG;
	/* owner names hold no ':', so "x:" can only start a URL */
	if (scheme_len(p, n) != 0)
		return github_url(p, n, g);
	/* OWNER/REPO[@REF]: owner and repo hold no '@', so the first one
	 * starts the ref (which may hold '@' but not "@{"). */
	at = memchr(p, '@', n);
	ln = at != NULL ? (size_t)(at - p) : n;
	slash = memchr(p, '/', ln);
	if (slash == NULL)
		return ERR_URL_SOURCE;
	on = (size_t)(slash - p);
	if (memchr(slash + 1, '/', ln - on - 1) != NULL)
		return ERR_URL_SOURCE;
	return github_fill(g, p, on, slash + 1, ln - on - 1,
	    at != NULL ? at + 1 : NULL, at != NULL ? n - ln - 1 : 0);
}

/* ------------------------------------------------------------ redaction */

/* see url.h */
size_t
url_redact(const char *url, char *out, size_t cap)
{
	size_t end, start = 0, at = 0, sl;
	int n;

	if (url == NULL)
		url = "";
	end = strcspn(url, "?#");
	sl = scheme_len((const uint8_t *)url, end);
	if (sl != 0 && strncmp(url + sl, "://", 3) == 0)
		start = sl + 3;
	/* the last '@' before the query ends the userinfo (as WHATWG's URL
	 * parser takes it; RFC 3986 would stop at the first '/', and leak
	 * the rest of a password that holds one) */
	for (size_t i = start; i < end; i++)
		if (url[i] == '@')
			at = i + 1;
	n = snprintf(out, cap, "%.*s%s%.*s%.*s%s", (int)start, url,
	    at ? "***@" : "", (int)(end - (at ? at : start)),
	    url + (at ? at : start), url[end] ? 1 : 0, url + end,
	    url[end] ? "***" : "");
	return n > 0 ? (size_t)n : 0;
}

/* ------------------------------------------------------------ archive URLs */

/* Percent-encode a value as path segment bytes: unreserved stays, and '/'
 * when keep_slash; everything else becomes %XX (upper-case, RFC 3986 2.1). */
static void
put_enc(struct fbuf *o, const char *s, size_t n, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (is_unreserved(c) || (keep_slash && c == '/')) {
			fbuf_put(o, s + i, 1);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			fbuf_put(o, e, 3);
		}
	}
}

static void
put_ref(struct fbuf *o, const struct url_github *g)
{
	if (g->ref_len == 0)
		fbuf_put(o, "HEAD", 4);
	else
		put_enc(o, g->ref, g->ref_len, 1);
}

static int
sha_ok(const char *s, size_t n)
{
	if (s == NULL || (n != 40 && n != 64))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (buf_hexval((unsigned char)s[i]) < 0)
			return 0;
	return 1;
}

/* see url.h */
int
url_codeload(const struct url_github *g, char *out, size_t cap, size_t *len)
{
	static const char t[] =
	    "https://codeload.github.com/{owner}/{repo}/tar.gz/{ref}";

	return url_template(t, sizeof t - 1, g, NULL, 0, out, cap, len);
}

/* see url.h */
int
url_template(const char *tmpl, size_t tn, const struct url_github *g,
    const char *sha, size_t sha_len, char *out, size_t cap, size_t *len)
{
	struct fbuf o = out_init(out, cap);
	struct url u;
	int e;

	*len = 0;
	if (cap > 0)
		out[0] = '\0';
	for (size_t i = 0; i < tn; i++) {
		const char *b, *c;
		size_t k;

		if (tmpl[i] == '}')
			return ERR_URL_TEMPLATE;
		if (tmpl[i] != '{') {
			fbuf_put(&o, tmpl + i, 1);
			continue;
		}
		b = tmpl + i + 1;
		c = memchr(b, '}', tn - i - 1);
		if (c == NULL)
			return ERR_URL_TEMPLATE;
		k = (size_t)(c - b);
		if (k == 5 && memcmp(b, "owner", 5) == 0) {
			put_enc(&o, g->owner, g->owner_len, 0);
		} else if (k == 4 && memcmp(b, "repo", 4) == 0) {
			put_enc(&o, g->repo, g->repo_len, 0);
		} else if (k == 3 && memcmp(b, "ref", 3) == 0) {
			put_ref(&o, g);
		} else if (k == 3 && memcmp(b, "sha", 3) == 0) {
			if (!sha_ok(sha, sha_len))
				return ERR_URL_TEMPLATE;
			fbuf_put(&o, sha, sha_len);
		} else {
			return ERR_URL_TEMPLATE;
		}
		i += k + 1;
	}
	if ((e = done(&o, len)) != 0)
		return e;
	if ((e = url_parse((const uint8_t *)out, *len, &u)) != 0) {
		out[0] = '\0';
		*len = 0;
		return e;
	}
	return 0;
}
