/*
 * feed.c - repos.json feed to jobs.
 *
 * Data flow: (ptr, len) -> private NUL-terminated copy -> scrub (U+0000
 * and lone-surrogate escapes and raw NUL bytes inside strings overwritten
 * by 0xFF) -> cJSON tree -> one record at a time: detach it from
 * the array, check it, copy the four fields we use into a struct feed_job,
 * free its subtree -> duplicate check in an open-addressing table keyed on
 * lower-case "owner/name".
 *
 * Why scrub: cJSON decodes "\u0000" into a NUL inside its C string, so
 * "nul\u0000byte" would reach us as "nul" and pass every check; a raw NUL
 * byte does the same; and a lone surrogate escape ("\ud800" in some
 * description) makes cJSON reject the whole document, which for a 25k-record
 * feed would stop the run over one repo. Overwriting those bytes with 0xFF
 * (same length, so error offsets still match the caller's text) turns each
 * into invalid UTF-8 that the per-record check skips, record by record.
 *
 * Limits: FEED_MAX_BYTES, FEED_MAX_RECORDS, cJSON's nesting limit (1000),
 * field lengths checked with strnlen against the name/url caps so a 10 MB
 * owner costs one bounded scan. Measured on a 13.2 MB, 25k-record feed in
 * the real format: peak RSS 81 MB including the caller's 13 MB input
 * (cJSON's tree dominates), 0.5 s (glibc malloc) / 0.8 s (musl).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cJSON.h"
#include "feed.h"
#include "shard.h"
#include "utf8.h"

#define REASON_MAX 96

/* ------------------------------------------------------------ scrub */

/* Read 4 hex digits at p[i..i+4) into *v; 0 if short or not hex. */
static int
hex4(const uint8_t *p, size_t n, size_t i, unsigned *v)
{
	unsigned x = 0;

	if (i > n || n - i < 4)
		return 0;
	for (size_t k = 0; k < 4; k++) {
		int h = buf_hexval(p[i + k]);
		if (h < 0)
			return 0;
		x = x << 4 | (unsigned)h;
	}
	*v = x;
	return 1;
}

/*
 * Find (and, when w is not NULL, overwrite in w, which may be p) the
 * sequences cJSON mishandles; returns how many. The string tracking matches
 * cJSON's own scan (a backslash always skips the next byte), so on any
 * document cJSON accepts we agree on what is inside a string. Escapes with
 * bad hex are left for cJSON to reject.
 */
static size_t
scrub(const uint8_t *p, size_t n, uint8_t *w)
{
	size_t found = 0;
	int in = 0;
	unsigned v, v2;

	for (size_t i = 0; i < n; i++) {
		size_t len = 0;

		if (!in) {
			in = p[i] == '"';
			continue;
		}
		if (p[i] == '"') {
			in = 0;
			continue;
		}
		if (p[i] == 0) {
			len = 1;
		} else if (p[i] == '\\') {
			if (i + 1 >= n)
				break;
			if (p[i + 1] != 'u' || !hex4(p, n, i + 2, &v)) {
				i++;
				continue;
			}
			if (v >= 0xD800 && v <= 0xDBFF && i + 12 <= n &&
			    p[i + 6] == '\\' && p[i + 7] == 'u' &&
			    hex4(p, n, i + 8, &v2) &&
			    v2 >= 0xDC00 && v2 <= 0xDFFF) {
				i += 11;        /* a proper pair */
				continue;
			}
			if (v == 0 || (v >= 0xD800 && v <= 0xDFFF))
				len = 6;
			else {
				i += 5;
				continue;
			}
		} else {
			continue;
		}
		found++;
		if (w != NULL)
			memset(w + i, 0xFF, len);
		i += len - 1;
	}
	return found;
}

/* ------------------------------------------------------------ checks */

/* see feed.h */
int
feed_check_owner(const char *s, size_t n)
{
	if (n < 1 || n > FEED_OWNER_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-'))
			return 0;
	}
	return 1;
}

/* see feed.h */
int
feed_check_repo(const char *s, size_t n)
{
	if (n < 1 || n > FEED_REPO_MAX)
		return 0;
	/* "." and ".." would name the owner's or the parent directory */
	if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_'))
			return 0;
	}
	return 1;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Case-insensitive ASCII prefix match of s[0..n) against lit; 1 on match. */
static int
eat(const char **s, size_t *n, const char *lit, size_t m)
{
	if (*n < m)
		return 0;
	for (size_t i = 0; i < m; i++) {
		int a = lower((unsigned char)(*s)[i]);
		if (a != lower((unsigned char)lit[i]))
			return 0;
	}
	*s += m;
	*n -= m;
	return 1;
}

/* see feed.h */
int
feed_check_url(const char *owner, const char *repo, const char *url,
    size_t n)
{
	/*
	 * An exact, anchored comparison: every byte of the URL is accounted
	 * for by the scheme+host literal, owner, "/", repo and one allowed
	 * suffix, so userinfo, ports, escapes, queries and extra segments
	 * cannot slip through a parser's interpretation.
	 */
	if (!eat(&url, &n, "https://github.com/", 19) ||
	    !eat(&url, &n, owner, strlen(owner)) ||
	    !eat(&url, &n, "/", 1) ||
	    !eat(&url, &n, repo, strlen(repo)))
		return 0;
	return n == 0 || (n == 1 && url[0] == '/') ||
	    (n == 4 && eat(&url, &n, ".git", 4));
}

static int
isdig(const char *s, size_t i)
{
	return s[i] >= '0' && s[i] <= '9';
}

/* see feed.h */
int
feed_check_time(const char *s, size_t n)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	size_t i, k;

	if (n < 20 || n > 35)
		return 0;
	for (i = 0; i < 19; i++) {
		if (shape[i] == 'd' ? !isdig(s, i) : s[i] != shape[i])
			return 0;
	}
	if (s[i] == '.') {
		for (k = ++i; i < n && isdig(s, i); i++)
			;
		if (i == k || i - k > 9)
			return 0;
	}
	if (i < n && s[i] == 'Z')
		return i + 1 == n;
	return n - i == 6 && (s[i] == '+' || s[i] == '-') &&
	    isdig(s, i + 1) && isdig(s, i + 2) && s[i + 3] == ':' &&
	    isdig(s, i + 4) && isdig(s, i + 5);
}

/* ------------------------------------------------------------ records */

static const char *
type_name(const cJSON *it)
{
	if (cJSON_IsNull(it))
		return "null";
	if (cJSON_IsBool(it))
		return "boolean";
	if (cJSON_IsNumber(it))
		return "number";
	if (cJSON_IsString(it))
		return "string";
	if (cJSON_IsArray(it))
		return "array";
	return "object";
}

/* 1 if every string in the subtree (keys and values) is strict UTF-8. */
static int
tree_utf8(const cJSON *it)
{
	/* depth is bounded by cJSON's nesting limit (1000) */
	for (; it != NULL; it = it->next) {
		if (it->string != NULL && !utf8_valid(
		    (const uint8_t *)it->string, strlen(it->string)))
			return 0;
		if (cJSON_IsString(it) && it->valuestring != NULL &&
		    !utf8_valid((const uint8_t *)it->valuestring,
		    strlen(it->valuestring)))
			return 0;
		if (it->child != NULL && !tree_utf8(it->child))
			return 0;
	}
	return 1;
}

/*
 * Name a top-level key for a reason text only when it is a plain short
 * identifier: reasons reach logs, and a hostile key must not.
 */
static const char *
key_label(const char *k)
{
	size_t n = strnlen(k, 33);

	if (n == 0 || n > 32)
		return "a field name";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)k[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_'))
			return "a field name";
	}
	return k;
}

enum { F_OWNER, F_NAME, F_URL, F_PUSHED, F__N };
static const char *const field_key[F__N] = {
	"owner", "name", "url", "pushedAt"
};

/*
 * Check one record and fill j; returns NULL if it is kept, else the
 * reason (in rbuf or a literal). who gets the safe identity for the log.
 */
static const char *
check_record(const cJSON *rec, struct feed_job *j, char *who, size_t wcap,
    char *rbuf, size_t rcap)
{
	const cJSON *f[F__N] = { NULL, NULL, NULL, NULL };
	const char *s[F__N] = { NULL, NULL, NULL, NULL };
	size_t len[F__N] = { 0, 0, 0, 0 };
	size_t lim[F__N] = {
		FEED_OWNER_MAX, FEED_REPO_MAX, FEED_URL_MAX, FEED_PUSHED_MAX
	};
	const char *early = NULL;
	int ok_owner = 0, ok_repo = 0;

	who[0] = '\0';
	if (!cJSON_IsObject(rec)) {
		snprintf(rbuf, rcap, "record is not an object (%s)",
		    type_name(rec));
		return rbuf;
	}
	/*
	 * One pass collects our fields and notes the first problem; the
	 * reason is returned only after who is known, so every skip line
	 * names the repo whenever its names are safe.
	 */
	for (const cJSON *it = rec->child; it != NULL; it = it->next) {
		if (!utf8_valid((const uint8_t *)it->string,
		    strlen(it->string))) {
			if (early == NULL)
				early = "invalid UTF-8 in a field name";
			continue;
		}
		if (early == NULL && !(cJSON_IsString(it) ? utf8_valid(
		    (const uint8_t *)it->valuestring,
		    strlen(it->valuestring)) : tree_utf8(it->child))) {
			snprintf(rbuf, rcap, "invalid UTF-8 in %s",
			    key_label(it->string));
			early = rbuf;
		}
		for (int k = 0; k < F__N; k++) {
			if (strcmp(it->string, field_key[k]) != 0)
				continue;
			/* JSON says nothing about repeats; refuse to guess */
			if (f[k] != NULL && early == NULL) {
				snprintf(rbuf, rcap, "%s given twice",
				    field_key[k]);
				early = rbuf;
			}
			if (f[k] == NULL)
				f[k] = it;
		}
	}
	for (int k = 0; k < F__N; k++) {
		if (cJSON_IsString(f[k])) {
			s[k] = f[k]->valuestring;
			/* bounded: a 10 MB value costs one scan of lim+1 */
			len[k] = strnlen(s[k], lim[k] + 1);
		}
	}
	if (s[F_OWNER] != NULL)
		ok_owner = feed_check_owner(s[F_OWNER], len[F_OWNER]);
	if (s[F_NAME] != NULL)
		ok_repo = feed_check_repo(s[F_NAME], len[F_NAME]);
	if (ok_owner && ok_repo)
		snprintf(who, wcap, "%s/%s", s[F_OWNER], s[F_NAME]);
	else if (ok_owner)
		snprintf(who, wcap, "%s", s[F_OWNER]);
	if (early != NULL)
		return early;
	for (int k = 0; k < F__N; k++) {
		if (f[k] == NULL || cJSON_IsNull(f[k])) {
			if (k == F_PUSHED)
				continue;
			snprintf(rbuf, rcap, "missing %s", field_key[k]);
			return rbuf;
		}
		if (!cJSON_IsString(f[k])) {
			snprintf(rbuf, rcap, "wrong type for %s (%s)",
			    field_key[k], type_name(f[k]));
			return rbuf;
		}
		if (len[k] == 0 && k != F_PUSHED) {
			snprintf(rbuf, rcap, "empty %s", field_key[k]);
			return rbuf;
		}
	}
	if (!ok_owner)
		return "unsafe owner";
	if (!ok_repo)
		return "unsafe name";
	if (len[F_URL] > FEED_URL_MAX || !feed_check_url(s[F_OWNER],
	    s[F_NAME], s[F_URL], len[F_URL]))
		return "url is not https://github.com/OWNER/NAME";
	if (s[F_PUSHED] != NULL && !feed_check_time(s[F_PUSHED],
	    len[F_PUSHED]))
		return "pushedAt is not an ISO 8601 timestamp";

	memset(j, 0, sizeof *j);
	memcpy(j->owner, s[F_OWNER], len[F_OWNER]);
	memcpy(j->repo, s[F_NAME], len[F_NAME]);
	memcpy(j->url, s[F_URL], len[F_URL]);
	if (s[F_PUSHED] != NULL) {
		memcpy(j->pushed_at, s[F_PUSHED], len[F_PUSHED]);
		j->has_pushed_at = 1;
	}
	return NULL;
}

/* ------------------------------------------------------------ duplicates */

static int
same_ci(const char *a, const char *b)
{
	for (; *a != '\0' && lower((unsigned char)*a) ==
	    lower((unsigned char)*b); a++, b++)
		;
	return *a == '\0' && *b == '\0';
}

/*
 * Look j up among the kept jobs; if absent, insert kept index ji. Returns
 * the kept index of the earlier record with that identity, or SIZE_MAX.
 * slot holds kept index + 1 (0 = empty); the table is at least twice the
 * record count, so probing always ends.
 */
static size_t
dup_find(size_t *slot, size_t mask, const struct feed_job *jobs,
    const struct feed_job *j, size_t ji)
{
	/* the sharding hash: FNV-1a 64 of lower-case "owner/repo" */
	size_t i = (size_t)shard_hash(j->owner, j->repo) & mask;

	for (; slot[i] != 0; i = (i + 1) & mask) {
		const struct feed_job *o = &jobs[slot[i] - 1];
		if (same_ci(o->owner, j->owner) && same_ci(o->repo, j->repo))
			return slot[i] - 1;
	}
	slot[i] = ji + 1;
	return SIZE_MAX;
}

/* ------------------------------------------------------------ parse */

static int
fail_json(struct err_ctx *ec, const char *base, const char *at,
    const char *what)
{
	err_set(ec, ERR_FEED_JSON, "%s", what);
	if (at != NULL && at >= base) {
		ec->offset = (uint64_t)(at - base);
		ec->has_offset = 1;
	}
	return ERR_FEED_JSON;
}

/* see feed.h */
int
feed_parse(const char *p, size_t n, struct feed_job **jobs,
    size_t *njobs, size_t *nrecords, feed_skip_fn *on_skip, void *ctx,
    struct err_ctx *ec)
{
	struct err_ctx dummy;
	uint8_t *copy = NULL;
	const char *text, *end = NULL;
	cJSON *root = NULL, *rec;
	struct feed_job *out = NULL, *grown;
	size_t count, kept = 0, alloc = 0, *slot = NULL, mask, idx;
	char who[FEED_OWNER_MAX + 1 + FEED_REPO_MAX + 1];
	char rbuf[REASON_MAX];
	int rc = ERR_OK;

	if (ec == NULL)
		ec = &dummy;
	ec->has_offset = 0;
	*jobs = NULL;
	*njobs = 0;
	*nrecords = 0;
	if (n > FEED_MAX_BYTES)
		return err_set(ec, ERR_FEED_TOO_BIG, "%zu bytes, limit %zu",
		    n, FEED_MAX_BYTES);
	if (n == 0)
		return fail_json(ec, p, NULL, "empty feed");
	/*
	 * Always parse a private copy with a NUL after the last byte:
	 * cJSON 1.7.15's parse_object reads the byte after a trailing ","
	 * (found by fuzz_feed) without a length check; the sentinel keeps
	 * that read inside our allocation, where it fails cleanly. The copy
	 * is also where scrub() may write.
	 */
	if ((copy = malloc(n + 1)) == NULL)
		return err_set(ec, ERR_NOMEM, "feed copy of %zu bytes", n);
	memcpy(copy, p, n);
	copy[n] = '\0';
	scrub(copy, n, copy);
	text = (const char *)copy;
	/*
	 * cJSON_ParseWithLengthOpts reports the stop position through end
	 * (no reliance on the global cJSON_GetErrorPtr, which threads share).
	 */
	root = cJSON_ParseWithLengthOpts(text, n, &end, 0);
	if (root == NULL) {
		rc = fail_json(ec, text, end,
		    "syntax error, truncated, or nested deeper than 1000");
		goto out;
	}
	/* cJSON stops after the value; anything but whitespace after it */
	for (; end != NULL && end < text + n && (*end == ' ' ||
	    *end == '\t' || *end == '\n' || *end == '\r'); end++)
		;
	if (end == NULL || end != text + n) {
		rc = fail_json(ec, text, end, "data after the top-level value");
		goto out;
	}
	if (!cJSON_IsArray(root)) {
		rc = err_set(ec, ERR_FEED_NOT_ARRAY, "top level is %s",
		    type_name(root));
		goto out;
	}
	count = 0;
	for (rec = root->child; rec != NULL; rec = rec->next)
		count++;
	if (count > FEED_MAX_RECORDS) {
		rc = err_set(ec, ERR_FEED_TOO_BIG, "%zu records, limit %zu",
		    count, FEED_MAX_RECORDS);
		goto out;
	}
	for (mask = 16; mask < 2 * count; mask <<= 1)
		;
	if ((slot = calloc(mask, sizeof *slot)) == NULL) {
		rc = err_set(ec, ERR_NOMEM, "duplicate table");
		goto out;
	}
	mask--;

	/*
	 * Detach and free each record as soon as it is converted, so the
	 * job array grows while the tree shrinks.
	 */
	for (idx = 0; (rec = cJSON_DetachItemFromArray(root, 0)) != NULL;
	    idx++) {
		const char *why;
		size_t first;

		if (kept == alloc) {
			size_t na = alloc ? alloc * 2 : 64;
			if (na > count)
				na = count;
			grown = realloc(out, na * sizeof *out);
			if (grown == NULL) {
				cJSON_Delete(rec);
				rc = err_set(ec, ERR_NOMEM, "job array");
				goto out;
			}
			out = grown;
			alloc = na;
		}
		why = check_record(rec, &out[kept], who, sizeof who, rbuf,
		    sizeof rbuf);
		cJSON_Delete(rec);
		if (why == NULL) {
			out[kept].index = idx;
			first = dup_find(slot, mask, out, &out[kept], kept);
			if (first == SIZE_MAX) {
				kept++;
				continue;
			}
			snprintf(rbuf, sizeof rbuf, "duplicate of record %zu",
			    out[first].index);
			why = rbuf;
		}
		if (on_skip != NULL)
			on_skip(ctx, idx, who, why);
	}
	*nrecords = count;
	*njobs = kept;
	if (kept == 0) {
		free(out);
		out = NULL;
	}
	*jobs = out;
	out = NULL;
out:
	free(out);
	free(slot);
	cJSON_Delete(root);
	free(copy);
	return rc;
}
