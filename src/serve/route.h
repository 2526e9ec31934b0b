/*
 * route.h - the route table: a method and a path pattern per route, with
 * "{name}" segments captured. No I/O, no allocation.
 *
 * Patterns are ours ("/v1/jobs/{id}/events"); paths are the client's,
 * still percent-encoded. A literal segment matches its exact bytes; a
 * capture matches one non-empty segment, percent-decoded into the match's
 * own buffer, and refused (no match) if it decodes to a '/', a control
 * byte or anything not UTF-8-safe to hand on (handlers check the name
 * rules of what they expect). HEAD matches a GET route. A path that
 * matches some route with another method is 405, with the methods it
 * allows.
 */
#ifndef ROUTE_H
#define ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "slice.h"

#define ROUTE_CAPS_MAX  4       /* captures in one pattern */
#define ROUTE_CAP_BYTES 512     /* decoded capture bytes in all */

struct route {
	const char *method;     /* "GET", "POST", "DELETE", ... */
	const char *pattern;    /* "/v1/jobs/{id}" */
	int flags;              /* the server's (serve.h: SERVE_ROUTE_*) */
	size_t body_max;        /* 0: the server's default */
	void *fn;               /* the server's handler */
};

struct route_match {
	const struct route *route;      /* NULL: no match */
	struct slice cap[ROUTE_CAPS_MAX];
	size_t ncap;
	uint8_t buf[ROUTE_CAP_BYTES];
	char allow[64];         /* 405: "GET, HEAD, POST" */
};

enum {
	ROUTE_FOUND = 0,
	ROUTE_NOT_FOUND,        /* 404 */
	ROUTE_METHOD            /* 405: m->allow lists what the path takes */
};

/* Find the route for method and path among t[0..n) (first match wins). */
int route_find(const struct route *t, size_t n, struct slice method,
    struct slice path, struct route_match *m);

/* Percent-decode a query value or path segment into out (cap bytes):
 * the decoded length, or (size_t)-1 for a bad escape, a NUL or no room.
 * '+' stays '+' (it means space only in HTML forms). */
size_t route_unescape(const uint8_t *p, size_t n, uint8_t *out, size_t cap);

/* The value of query parameter name (first one), percent-decoded into
 * out: 1 and *len, 0 if absent, -1 if malformed or over cap. */
int route_query(struct slice query, const char *name, uint8_t *out,
    size_t cap, size_t *len);

#endif
