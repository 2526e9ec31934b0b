/*
 * fuzz_url.c - libFuzzer target for url.c.
 *
 * The input is tried as an absolute URL, as a GitHub source, and, split at
 * its first newline, as base URL + reference for url_resolve(). Invariants
 * checked with abort(): a parsed URL formats to a string that parses back
 * to the same URL (a fixed point); hosts are non-empty, lower-case and
 * NUL-free; the target starts with '/', holds only URI bytes and no "." or
 * ".." path segments; GitHub sources pass the name and ref validators and
 * build codeload and template URLs that parse with the expected host;
 * url_redact() keeps nothing after a '?' or '#' and one '@' at most.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct url A, B;
static char out[URL_MAX + 512], out2[URL_MAX + 512];

static void
check_url(const struct url *u)
{
	size_t n, n2, s;

	if (u->scheme < URL_HTTP || u->scheme > URL_FILE)
		abort();
	if (strlen(u->host) != u->host_len ||
	    strlen(u->target) != u->target_len)
		abort();
	if ((u->scheme == URL_FILE) != (u->host_len == 0))
		abort();
	for (size_t i = 0; i < u->host_len; i++)
		if (u->host[i] >= 'A' && u->host[i] <= 'Z')
			abort();
	if (u->target_len == 0 || u->target[0] != '/' ||
	    u->path_len > u->target_len)
		abort();
	for (size_t i = 0; i < u->target_len; i++)
		if ((unsigned char)u->target[i] <= 0x20 ||
		    (unsigned char)u->target[i] >= 0x7f || u->target[i] == '#')
			abort();
	/* no dot segments left in the path */
	s = 1;
	for (size_t i = 1; i <= u->path_len; i++) {
		if (i == u->path_len || u->target[i] == '/') {
			size_t c = i - s;
			if ((c == 1 && u->target[s] == '.') ||
			    (c == 2 && u->target[s] == '.' &&
			    u->target[s + 1] == '.'))
				abort();
			s = i + 1;
		}
	}
	if (url_format(u, out, sizeof out, &n) != 0)
		abort();
	if (url_parse((const uint8_t *)out, n, &B) != 0)
		abort();
	if (url_format(&B, out2, sizeof out2, &n2) != 0 || n != n2 ||
	    memcmp(out, out2, n) != 0)
		abort();
	if (B.port != u->port || B.host_kind != u->host_kind ||
	    strcmp(B.host, u->host) != 0 || strcmp(B.target, u->target) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct url_github g;
	const uint8_t *nl;
	size_t n;

	if (url_parse(data, size, &A) == 0)
		check_url(&A);

	if (url_github_source(data, size, &g) == 0) {
		if (!url_valid_owner((const uint8_t *)g.owner, g.owner_len) ||
		    !url_valid_repo((const uint8_t *)g.repo, g.repo_len) ||
		    (g.ref_len != 0 &&
		    !url_valid_ref((const uint8_t *)g.ref, g.ref_len)) ||
		    strlen(g.owner) != g.owner_len ||
		    strlen(g.repo) != g.repo_len || strlen(g.ref) != g.ref_len)
			abort();
		if (url_codeload(&g, out, sizeof out, &n) != 0 ||
		    url_parse((const uint8_t *)out, n, &A) != 0 ||
		    strcmp(A.host, "codeload.github.com") != 0)
			abort();
		if (url_template("https://m.example/{owner}/{repo}/{ref}", 38,
		    &g, NULL, 0, out, sizeof out, &n) != 0 ||
		    url_parse((const uint8_t *)out, n, &A) != 0 ||
		    strcmp(A.host, "m.example") != 0)
			abort();
	}

	/* url_redact on any string: the result is the input up to its
	 * first '?' or '#' (userinfo replaced), then at most "?***"; no
	 * byte after the first '?' or '#' survives, and no '@' before it */
	if (size < sizeof out2 && memchr(data, '\0', size) == NULL) {
		size_t q, r;
		memcpy(out2, data, size);
		out2[size] = '\0';
		q = strcspn(out2, "?#");
		r = url_redact(out2, out, sizeof out);
		if (r != strlen(out) || strcspn(out, "?#") > q + 3 ||
		    memchr(out, '@', strcspn(out, "?#")) !=
		    (void *)strrchr(out, '@') ||
		    (out[strcspn(out, "?#")] != '\0' &&
		    strcmp(out + strcspn(out, "?#") + 1, "***") != 0))
			abort();
	}

	nl = memchr(data, '\n', size);
	if (nl != NULL) {
		size_t bn = (size_t)(nl - data);
		if (url_parse(data, bn, &A) == 0 &&
		    url_resolve(&A, nl + 1, size - bn - 1, &B) == 0) {
			struct url r = B;
			check_url(&r);
		}
	}
	return 0;
}
