/*
 * hfield.c - HTTP/1.1 byte classes, field lines, lists and framing fields
 * (RFC 9110, RFC 9112). See hfield.h.
 *
 * Strict where leniency lets two parsers disagree about where a message
 * ends (request smuggling, response splitting: RFC 9112 section 11): no
 * obs-fold, no whitespace before the colon, one Content-Length value, only
 * chunked (and the no-op identity) as transfer coding, chunked last.
 */
#include <stddef.h>
#include <string.h>

#include "err.h"
#include "hfield.h"

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* see hfield.h */
int
hfield_tchar(int c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != 0 && memchr("!#$%&'*+-.^_`|~", c, 15) != NULL;
}

/* see hfield.h */
int
hfield_vbyte(int c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* see hfield.h */
int
hfield_ows(int c)
{
	return c == ' ' || c == '\t';
}

/* see hfield.h */
int
hfield_eq(const uint8_t *p, size_t n, const char *s)
{
	size_t sn = strlen(s);          /* ours, never the peer's */

	if (n != sn)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (lower(p[i]) != lower((unsigned char)s[i]))
			return 0;
	return 1;
}

/* see hfield.h */
int
hfield_u63(const uint8_t *p, size_t n, uint64_t *out)
{
	const uint64_t max = UINT64_C(0x7fffffffffffffff);
	uint64_t v = 0, d;

	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		d = (uint64_t)(p[i] - '0');
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* see hfield.h */
int
hfield_list_next(const uint8_t *p, size_t n, size_t *at, struct slice *e)
{
	size_t s, t;

	if (*at > n)
		return 0;
	s = *at;
	t = s;
	while (t < n && p[t] != ',')
		t++;
	*at = t + 1;
	while (s < t && hfield_ows(p[s]))
		s++;
	while (t > s && hfield_ows(p[t - 1]))
		t--;
	e->p = p + s;
	e->n = t - s;
	return 1;
}

/* see hfield.h */
int
hfield_list_has(const uint8_t *p, size_t n, const char *s)
{
	size_t at = 0;
	struct slice e;

	while (hfield_list_next(p, n, &at, &e))
		if (hfield_eq(e.p, e.n, s))
			return 1;
	return 0;
}

/* see hfield.h */
int
hfield_line(const uint8_t *l, size_t n, struct slice *name,
    struct slice *value)
{
	size_t i = 0, vs, ve;

	if (n > 0 && hfield_ows(l[0]))
		return ERR_HTTP_FOLDING;
	while (i < n && hfield_tchar(l[i]))
		i++;
	if (i == 0 || i == n || l[i] != ':')
		return ERR_HTTP_HEADER;
	vs = i + 1;
	ve = n;
	while (vs < ve && hfield_ows(l[vs]))
		vs++;
	while (ve > vs && hfield_ows(l[ve - 1]))
		ve--;
	for (size_t k = vs; k < ve; k++)
		if (!hfield_vbyte(l[k]))
			return ERR_HTTP_HEADER;
	name->p = l;
	name->n = i;
	value->p = l + vs;
	value->n = ve - vs;
	return 0;
}

/* see hfield.h */
int
hfield_content_length(const uint8_t *v, size_t n, int *have, uint64_t *len)
{
	size_t at = 0;
	struct slice e;
	uint64_t x;

	while (hfield_list_next(v, n, &at, &e)) {
		if (hfield_u63(e.p, e.n, &x) != 0)
			return ERR_HTTP_CONTENT_LENGTH;
		if (*have && x != *len)
			return ERR_HTTP_CONTENT_LENGTH;
		*have = 1;
		*len = x;
	}
	return 0;
}

/* see hfield.h */
int
hfield_transfer_encoding(const uint8_t *v, size_t n, int *chunked)
{
	size_t at = 0;
	struct slice e;

	while (hfield_list_next(v, n, &at, &e)) {
		if (e.n == 0)
			continue;
		if (*chunked)
			return ERR_HTTP_TRANSFER_ENCODING;
		if (hfield_eq(e.p, e.n, "chunked"))
			*chunked = 1;
		else if (!hfield_eq(e.p, e.n, "identity"))
			return ERR_HTTP_TRANSFER_ENCODING;
	}
	return 0;
}
