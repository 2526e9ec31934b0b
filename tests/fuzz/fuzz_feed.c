/*
 * fuzz_feed.c - libFuzzer target for the feed parser.
 *
 * The input is a whole feed. Invariants checked with abort(), with the
 * name/url rules re-implemented here rather than calling feed.c's own
 * checks: every job's owner is [A-Za-z0-9-]{1,39}, repo [A-Za-z0-9._-]
 * {1,100} and not "." "..", url is https://github.com/owner/repo with an
 * optional "/" or ".git" (case-insensitive), pushed_at is printable ASCII
 * and empty exactly when has_pushed_at is 0; indices rise and stay below
 * the record count; kept + skipped == records; no two jobs share an
 * identity case-insensitively; skip callbacks get printable ASCII who and
 * a non-empty reason; on error, nothing is returned. ASan catches leaks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	size_t skips;
	size_t last;
	int any;
};

static int
printable(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

static void
on_skip(void *ctx, size_t index, const char *who, const char *reason)
{
	struct seen *s = ctx;

	if (s->any && index <= s->last)
		abort();
	s->any = 1;
	s->last = index;
	s->skips++;
	if (!printable(who, 200) || reason[0] == '\0' ||
	    !printable(reason, 200))
		abort();
}

static int
in_set(int c, const char *extra)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != 0 && strchr(extra, c) != NULL);
}

static int
lc(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int
ieq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lc((unsigned char)a[i]) != lc((unsigned char)b[i]))
			return 0;
	return 1;
}

static void
check_job(const struct feed_job *j)
{
	size_t o = strnlen(j->owner, sizeof j->owner);
	size_t r = strnlen(j->repo, sizeof j->repo);
	size_t u = strnlen(j->url, sizeof j->url);
	const char *rest;
	size_t left;

	if (o < 1 || o > 39 || r < 1 || r > 100 || u == sizeof j->url)
		abort();
	for (size_t i = 0; i < o; i++)
		if (!in_set((unsigned char)j->owner[i], "-"))
			abort();
	for (size_t i = 0; i < r; i++)
		if (!in_set((unsigned char)j->repo[i], "._-"))
			abort();
	if (strcmp(j->repo, ".") == 0 || strcmp(j->repo, "..") == 0)
		abort();
	if (u < 19 + o + 1 + r || !ieq(j->url, "https://github.com/", 19) ||
	    !ieq(j->url + 19, j->owner, o) || j->url[19 + o] != '/' ||
	    !ieq(j->url + 20 + o, j->repo, r))
		abort();
	rest = j->url + 20 + o + r;
	left = u - (20 + o + r);
	if (!(left == 0 || (left == 1 && rest[0] == '/') ||
	    (left == 4 && ieq(rest, ".git", 4))))
		abort();
	if (!printable(j->pushed_at, FEED_PUSHED_MAX) ||
	    (j->pushed_at[0] != '\0') != (j->has_pushed_at != 0))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct feed_job *jobs = (struct feed_job *)1;
	size_t nj = 99, nr = 99;
	struct seen s = { 0, 0, 0 };
	struct err_ctx ec;
	int rc;

	memset(&ec, 0, sizeof ec);
	rc = feed_parse((const char *)data, size, &jobs, &nj, &nr, on_skip,
	    &s, &ec);
	if (rc != ERR_OK) {
		if (jobs != NULL || nj != 0 || nr != 0 || s.skips != 0 ||
		    err_str(rc) == NULL)
			abort();
		return 0;
	}
	if (nj + s.skips != nr || (nj == 0) != (jobs == NULL))
		abort();
	for (size_t i = 0; i < nj; i++) {
		check_job(&jobs[i]);
		if (jobs[i].index >= nr ||
		    (i > 0 && jobs[i].index <= jobs[i - 1].index))
			abort();
		/* quadratic, but fuzz inputs hold few records */
		for (size_t k = 0; k < i; k++)
			if (strlen(jobs[k].owner) == strlen(jobs[i].owner) &&
			    strlen(jobs[k].repo) == strlen(jobs[i].repo) &&
			    ieq(jobs[k].owner, jobs[i].owner,
			    strlen(jobs[i].owner)) &&
			    ieq(jobs[k].repo, jobs[i].repo,
			    strlen(jobs[i].repo)))
				abort();
	}
	free(jobs);
	return 0;
}
