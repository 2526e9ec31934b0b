/*
 * feed.h - parse a repos.json feed (see ../shared/feeds/README.md) into jobs.
 *
 * The caller reads the whole feed (file, URL or stdin) into memory and hands
 * over (ptr, len); feed_parse() does no I/O and no logging. Whole-feed
 * problems (not JSON, not an array, too big) are fatal and returned as an
 * error; record-level problems skip that record and are reported through a
 * callback, never fatal.
 */
#ifndef FEED_H
#define FEED_H

#include <stddef.h>

#include "err.h"

/*
 * Budgets. The real feed is ~15 MB and ~25k records (2026); 256 MiB and one
 * million records leave a 16x/40x margin while bounding cJSON's tree (about
 * 5x the input size) and the job array.
 */
#define FEED_MAX_BYTES   ((size_t)256 << 20)
#define FEED_MAX_RECORDS ((size_t)1000000)
#define FEED_OWNER_MAX   39     /* GitHub login limit */
#define FEED_REPO_MAX    100    /* GitHub repository name limit */
/* "https://github.com/" + owner + "/" + repo + ".git" */
#define FEED_URL_MAX     (19 + FEED_OWNER_MAX + 1 + FEED_REPO_MAX + 4)
#define FEED_PUSHED_MAX  63     /* longest accepted ISO 8601 form is 35 */

/* One repository to digest. All strings are NUL-terminated, safe ASCII. */
struct feed_job {
	char owner[FEED_OWNER_MAX + 1];   /* as in the feed, case kept */
	char repo[FEED_REPO_MAX + 1];     /* as in the feed, case kept */
	char url[FEED_URL_MAX + 1];       /* the record's url, verbatim */
	char pushed_at[FEED_PUSHED_MAX + 1]; /* verbatim, "" if absent */
	int has_pushed_at;                /* 0: pushedAt missing or null */
	size_t index;                     /* raw position in the feed array */
};

/*
 * Called once per skipped record, in array order. index is the raw array
 * position. who is "owner/name" when both passed the name-safety rules,
 * else the owner alone when it did, else "" (hostile bytes never reach it).
 * reason is a short fixed-vocabulary text, e.g. "missing url",
 * "url is not https://github.com/OWNER/NAME", "unsafe name",
 * "duplicate of record 12", "wrong type for pushedAt (number)",
 * "invalid UTF-8 in description", "record is not an object (string)".
 * Both strings are valid only during the call.
 */
typedef void feed_skip_fn(void *ctx, size_t index, const char *who,
    const char *reason);

/*
 * Parse the feed p[0..n) (not NUL-terminated; at most FEED_MAX_BYTES).
 * On success returns ERR_OK and sets *jobs (malloc'd, caller frees; NULL
 * when *njobs is 0), *njobs (records kept) and *nrecords (array length,
 * including skipped records: the seed's --batch-size/--offset count raw
 * positions). on_skip may be NULL.
 *
 * Record rules, in the order checked (first failure is the reason):
 * an object; every string in it (keys and values, nested too) valid UTF-8,
 * and without U+0000 or a lone surrogate escape; owner, name, url present,
 * non-null, strings, non-empty, and not given twice; owner [A-Za-z0-9-]{1,39},
 * name [A-Za-z0-9._-]{1,100} and not "." or ".."; url as in
 * feed_check_url(); pushedAt missing, null or a timestamp as in
 * feed_check_time(); and the first record with that owner/name compared
 * case-insensitively (later ones are duplicates). Unknown fields and the
 * types of unused fields are ignored.
 *
 * Errors: ERR_FEED_TOO_BIG (input or record count over the budget),
 * ERR_FEED_JSON (syntax, nesting deeper than 1000, trailing data; ec->offset
 * is the byte where cJSON stopped), ERR_FEED_NOT_ARRAY, ERR_NOMEM. Outputs
 * are zeroed/NULL on error. Peak memory is a private copy of the input
 * (n + 1) plus cJSON's tree (~4x n) plus sizeof(struct feed_job) (~370
 * bytes) per kept record; each record's subtree is freed as soon as it is
 * converted. Not thread-safe only in that cJSON's global error pointer
 * is written; nothing here reads it.
 */
int feed_parse(const char *p, size_t n, struct feed_job **jobs,
    size_t *njobs, size_t *nrecords, feed_skip_fn *on_skip, void *ctx,
    struct err_ctx *ec);

/* 1 if s[0..n) is a safe owner: [A-Za-z0-9-]{1,39}. */
int feed_check_owner(const char *s, size_t n);

/* 1 if s[0..n) is a safe repo name: [A-Za-z0-9._-]{1,100}, not "." "..". */
int feed_check_repo(const char *s, size_t n);

/*
 * 1 if url[0..n) is https://github.com/{owner}/{repo}, compared
 * case-insensitively, optionally followed by one "/" or ".git"; owner and
 * repo must already have passed the checks above. Anything else (scheme,
 * host, userinfo, port, query, fragment, more segments, escapes) is 0.
 */
int feed_check_url(const char *owner, const char *repo, const char *url,
    size_t n);

/*
 * 1 if s[0..n) is YYYY-MM-DDTHH:MM:SS, optional "." and 1-9 digits, then
 * "Z" or +HH:MM/-HH:MM. Covers both producer forms ("...:33Z" and
 * "...:33.000Z") and keeps control bytes out of the pushedat header.
 */
int feed_check_time(const char *s, size_t n);

#endif
