/*
 * auth.c - the API token and the listen rule. See auth.h.
 */
#include <arpa/inet.h>
#include <string.h>

#include "auth.h"
#include "hfield.h"
#include "route.h"

/* see auth.h */
int
auth_equal(const uint8_t *a, size_t an, const uint8_t *secret, size_t sn)
{
	volatile uint8_t d = an != sn;

	/* every byte of the secret is looked at once, whatever a is */
	for (size_t i = 0; i < sn; i++)
		d |= secret[i] ^ (i < an ? a[i] : 0);
	return d == 0;
}

/* see auth.h */
int
auth_check(const char *token, const struct req *r, int allow_query)
{
	const uint8_t *t = (const uint8_t *)token;
	size_t tn = token ? strlen(token) : 0;
	struct slice v;
	uint8_t q[512];
	size_t qn;

	if (tn == 0)
		return 0;
	/* RFC 6750 section 2.1: "Bearer" is case-insensitive, one space */
	if (req_header(r, "authorization", &v) && v.n > 7 &&
	    hfield_eq(v.p, 7, "bearer ") &&
	    auth_equal(v.p + 7, v.n - 7, t, tn))
		return 0;
	if (allow_query && route_query(r->query, AUTH_QUERY_NAME, q,
	    sizeof q, &qn) == 1 && auth_equal(q, qn, t, tn))
		return 0;
	return ERR_AUTH;
}

/* see auth.h */
void
auth_show_target(const struct req *r, char *out, size_t cap)
{
	size_t o = 0, at = 0, qn = strlen(AUTH_QUERY_NAME);
	int first = 1, cut = 0;

#define PUT(p, n) do { \
	size_t n_ = (n); \
	if (o + n_ > cap - 4) { n_ = o < cap - 4 ? cap - 4 - o : 0; cut = 1; } \
	memcpy(out + o, (p), n_); o += n_; \
} while (0)
	if (cap < 8) {
		if (cap > 0)
			out[0] = '\0';
		return;
	}
	PUT(r->path.p, r->path.n);
	while (!cut && r->query.n > 0 && at <= r->query.n) {
		size_t b = at, e;
		for (e = b; e < r->query.n && r->query.p[e] != '&'; e++)
			;
		at = e + 1;
		if (e - b >= qn && memcmp(r->query.p + b, AUTH_QUERY_NAME,
		    qn) == 0 && (e - b == qn || r->query.p[b + qn] == '='))
			continue;
		PUT(first ? "?" : "&", 1);
		PUT(r->query.p + b, e - b);
		first = 0;
	}
#undef PUT
	if (cut) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* see auth.h */
int
auth_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (strcmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return 0;
}

/* see auth.h */
int
auth_listen_check(const char *host, const char *token, struct err_ctx *e)
{
	if ((token != NULL && token[0] != '\0') || auth_loopback(host))
		return 0;
	return err_set(e, ERR_USAGE, "%s is not set: without it the service "
	    "listens on loopback only (127.0.0.1 or ::1), not on %.64s",
	    AUTH_TOKEN_VAR, host);
}
