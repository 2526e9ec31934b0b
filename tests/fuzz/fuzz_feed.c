/*
 * fuzz_feed.c - libFuzzer target for the streaming feed parser.
 *
 * The input is a whole feed, parsed twice: in one push, and in pieces of
 * random sizes (pieces.h, seeded by the input) as it comes off a socket. Both
 * must agree on everything: the code, the error offset, every job and every
 * skip (index, who, reason: hashed in order). Invariants checked with
 * abort(), with the name/url rules re-implemented here rather than calling
 * feed.c's own checks: every job's owner is [A-Za-z0-9-]{1,39}, repo
 * [A-Za-z0-9._-]{1,100} and not "." "..", url is https://github.com/owner/repo
 * with an optional "/" or ".git" (case-insensitive), pushed_at is printable
 * ASCII and empty exactly when has_pushed_at is 0; indices rise and stay
 * below the record count; kept + skipped == records; no two jobs share an
 * identity case-insensitively; skip callbacks get printable ASCII who and a
 * non-empty reason, with rising indices; on error, no job is returned (skips
 * reported before the error are allowed: records are reported as they end).
 * ASan catches leaks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "feed.h"
#include "pieces.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	size_t skips;
	size_t last;
	int any;
	uint64_t hash;          /* FNV-1a of every (index, who, reason) */
};

static void
mix(struct seen *s, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		s->hash = (s->hash ^ b[i]) * 1099511628211ull;
}

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
	mix(s, &index, sizeof index);
	mix(s, who, strlen(who) + 1);
	mix(s, reason, strlen(reason) + 1);
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
	size_t o = strnlen(j->owner, 40);
	size_t r = strnlen(j->repo, 101);
	size_t u = strnlen(j->url, FEED_URL_MAX + 1);
	const char *rest;
	size_t left;

	if (o < 1 || o > 39 || r < 1 || r > 100 || u > FEED_URL_MAX)
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

/* The input in pieces, as read_feed pushes a socket's reads. */
static int
parse_split(const uint8_t *data, size_t size, struct feed_list *out,
    struct seen *s, struct err_ctx *ec)
{
	static struct feed_parser fp;   /* ~1 KB: off the stack */
	struct split sp;
	const uint8_t *p;
	size_t n;

	feed_init(&fp, on_skip, s);
	split_init(&sp, data, size, 64, 8);
	while (split_next(&sp, &p, &n))
		feed_push(&fp, p, n);
	return feed_end(&fp, out, ec);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct feed_list fl, f2;
	struct seen s = { 0, 0, 0, 1469598103934665603ull };
	struct seen s2 = s;
	struct err_ctx ec, ec2;
	struct feed_job *jobs;
	size_t nj, nr;
	int rc, rc2;

	memset(&ec, 0, sizeof ec);
	memset(&ec2, 0, sizeof ec2);
	rc = feed_parse((const char *)data, size, &fl, on_skip, &s, &ec);
	rc2 = parse_split(data, size, &f2, &s2, &ec2);
	/* where the reads end changes nothing */
	if (rc != rc2 || s.skips != s2.skips || s.hash != s2.hash ||
	    fl.njobs != f2.njobs || fl.nrecords != f2.nrecords ||
	    ec.has_offset != ec2.has_offset || ec.offset != ec2.offset ||
	    strcmp(ec.detail, ec2.detail) != 0)
		abort();
	for (size_t i = 0; i < fl.njobs; i++)
		if (strcmp(fl.jobs[i].owner, f2.jobs[i].owner) ||
		    strcmp(fl.jobs[i].repo, f2.jobs[i].repo) ||
		    strcmp(fl.jobs[i].url, f2.jobs[i].url) ||
		    strcmp(fl.jobs[i].pushed_at, f2.jobs[i].pushed_at) ||
		    fl.jobs[i].index != f2.jobs[i].index ||
		    fl.jobs[i].has_pushed_at != f2.jobs[i].has_pushed_at)
			abort();
	feed_list_free(&f2);
	jobs = fl.jobs;
	nj = fl.njobs;
	nr = fl.nrecords;
	if (rc != ERR_OK) {
		if (jobs != NULL || nj != 0 || nr != 0 || fl.blocks != NULL ||
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
	feed_list_free(&fl);
	return 0;
}
