/*
 * route.c - method and path matching with captures. See route.h.
 */
#include <string.h>

#include "buf.h"
#include "route.h"

/* see route.h */
size_t
route_unescape(const uint8_t *p, size_t n, uint8_t *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = p[i];
		if (c == '%') {
			int h, l;
			if (n - i < 3)
				return (size_t)-1;
			h = buf_hexval(p[i + 1]);
			l = buf_hexval(p[i + 2]);
			if (h < 0 || l < 0)
				return (size_t)-1;
			c = h << 4 | l;
			i += 2;
		}
		if (c == 0 || o == cap)
			return (size_t)-1;
		out[o++] = (uint8_t)c;
	}
	return o;
}

/* The next '/'-separated segment of s from *at ("" once past the end). */
static int
segment(const uint8_t *s, size_t n, size_t *at, struct slice *seg)
{
	size_t b = *at, e;

	if (b > n)
		return 0;
	for (e = b; e < n && s[e] != '/'; e++)
		;
	seg->p = s + b;
	seg->n = e - b;
	*at = e + 1;
	return 1;
}

/* Does path match pattern? Captures into m from m->buf[*used..]. */
static int
match(const char *pattern, struct slice path, struct route_match *m)
{
	const uint8_t *pp = (const uint8_t *)pattern;
	size_t pn = strlen(pattern), pa = 1, sa = 1, used = 0;
	struct slice ps, ss;

	if (path.n == 0 || path.p[0] != '/' || pp[0] != '/')
		return 0;
	m->ncap = 0;
	for (;;) {
		int more_p = segment(pp, pn, &pa, &ps);
		int more_s = segment(path.p, path.n, &sa, &ss);

		if (!more_p || !more_s)
			return more_p == more_s;
		if (ps.n >= 2 && ps.p[0] == '{' && ps.p[ps.n - 1] == '}') {
			size_t k;
			if (ss.n == 0 || m->ncap == ROUTE_CAPS_MAX)
				return 0;
			k = route_unescape(ss.p, ss.n, m->buf + used,
			    sizeof m->buf - used);
			if (k == (size_t)-1 || k == 0)
				return 0;
			for (size_t i = 0; i < k; i++)
				if (m->buf[used + i] < 0x20 ||
				    m->buf[used + i] == 0x7f ||
				    m->buf[used + i] == '/')
					return 0;
			m->cap[m->ncap].p = m->buf + used;
			m->cap[m->ncap].n = k;
			m->ncap++;
			used += k;
		} else if (ps.n != ss.n || memcmp(ps.p, ss.p, ps.n) != 0) {
			return 0;
		}
	}
}

static int
method_is(struct slice m, const char *s)
{
	return m.n == strlen(s) && memcmp(m.p, s, m.n) == 0;
}

static void
allow_add(char *allow, size_t cap, const char *method)
{
	size_t n = strlen(allow);

	if (strstr(allow, method) != NULL)      /* ours: no prefix clashes */
		return;
	if (n + strlen(method) + 3 > cap)
		return;
	if (n > 0)
		strcat(allow, ", ");
	strcat(allow, method);
}

/* see route.h */
int
route_find(const struct route *t, size_t n, struct slice method,
    struct slice path, struct route_match *m)
{
	int seen = 0;

	m->route = NULL;
	m->allow[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (!match(t[i].pattern, path, m))
			continue;
		if (method_is(method, t[i].method) ||
		    (method_is(method, "HEAD") &&
		    strcmp(t[i].method, "GET") == 0)) {
			m->route = &t[i];
			return ROUTE_FOUND;
		}
		seen = 1;
		allow_add(m->allow, sizeof m->allow, t[i].method);
		if (strcmp(t[i].method, "GET") == 0)
			allow_add(m->allow, sizeof m->allow, "HEAD");
	}
	m->ncap = 0;
	return seen ? ROUTE_METHOD : ROUTE_NOT_FOUND;
}

/* see route.h */
int
route_query(struct slice query, const char *name, uint8_t *out, size_t cap,
    size_t *len)
{
	size_t at = 0, nn = strlen(name);
	struct slice kv;

	while (at <= query.n) {
		size_t b = at, e;
		for (e = b; e < query.n && query.p[e] != '&'; e++)
			;
		kv.p = query.p + b;
		kv.n = e - b;
		at = e + 1;
		if (kv.n > nn && kv.p[nn] == '=' &&
		    memcmp(kv.p, name, nn) == 0) {
			size_t k = route_unescape(kv.p + nn + 1,
			    kv.n - nn - 1, out, cap);
			if (k == (size_t)-1)
				return -1;
			*len = k;
			return 1;
		}
		if (kv.n == nn && memcmp(kv.p, name, nn) == 0) {
			*len = 0;
			return 1;
		}
	}
	return 0;
}
