/*
 * report.c - merging run reports. See report.h.
 *
 * Contents: parsing and checking one report; merging (sort, duplicates,
 * shards); the text account; the merged JSON.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "cJSON.h"
#include "jsonstr.h"
#include "report.h"

static const char *const st_name[RS__COUNT] = { "processed", "cached",
    "done-earlier", "failed", "pending" };
/* the report's count field for each status */
static const char *const st_count[RS__COUNT] = { "processed", "cached",
    "done_earlier", "failed", "pending" };

/* Lists for people stop after this many names ("... and N more"). */
#define SHOW_MAX 20

/* see report.h */
const char *
report_status_name(int status)
{
	return status >= 0 && status < RS__COUNT ? st_name[status] : "pending";
}

/*
 * The run report's writer prints straight into one buffer, in cJSON_Print's
 * layout (tabs; the reader is cJSON all the same): a tree of 200k repos took
 * ~400 bytes a repo before a byte was printed, twice the text. The first
 * failed append (out of memory, over REPORT_MAX_BYTES) sticks in err.
 */
struct jw {
	struct buf b;
	int err;
};

static void
put_raw(struct jw *w, const char *s, size_t n)
{
	if (w->err == 0)
		w->err = buf_append(&w->b, s, n);
}

static void
put_lit(struct jw *w, const char *s)
{
	put_raw(w, s, strlen(s));
}

static int
put_piece(void *ctx, const void *p, size_t n)
{
	put_raw(ctx, p, n);
	return 0;
}

/* s as a JSON string, escaped as cJSON escapes (UTF-8 bytes as they are). */
static void
put_str(struct jw *w, const char *s)
{
	jsonstr_write(s, strlen(s), JSONSTR_CJSON, put_piece, w);
}

/* A number as cJSON 1.7.15 prints it: an int as %d, else the shortest of
 * %1.15g and %1.17g that reads back the same. */
static void
put_num(struct jw *w, double d)
{
	char t[32];
	double back = 0;

	if (d != d || d > 1.7976931348623157e308 ||
	    d < -1.7976931348623157e308)
		snprintf(t, sizeof t, "null");
	else if (d >= -2147483648.0 && d <= 2147483647.0 &&
	    d == (double)(int)d)
		snprintf(t, sizeof t, "%d", (int)d);
	else {
		snprintf(t, sizeof t, "%1.15g", d);
		if (sscanf(t, "%lg", &back) != 1 || back != d)
			snprintf(t, sizeof t, "%1.17g", d);
	}
	put_lit(w, t);
}

/* One top-level member's start: newline, tab, "key":, tab. */
static void
put_key(struct jw *w, const char *key, int first)
{
	put_lit(w, first ? "\n\t" : ",\n\t");
	put_str(w, key);
	put_lit(w, ":\t");
}

/* see report.h */
char *
report_run_json(const struct report_run *rr)
{
	static const char *const top[] = { "format", "version", "feed",
	    "shard", "shard_mode", "shard_source", "started", "finished" };
	const char *val[] = { REPORT_FORMAT, REPODIGEST_VERSION, rr->feed,
	    rr->shard, rr->shard_mode, rr->shard_source, rr->started,
	    rr->finished };
	const struct { const char *key; size_t n; int dry; } count[] = {
		{ "total", rr->nrepos, 0 }, { "cached", rr->cached, 0 },
		{ "processed", rr->processed, 0 }, { "failed", rr->failed, 0 },
		{ "would_process", rr->would_process, 1 },
		{ "would_skip_cached", rr->would_skip, 1 },
	};
	struct jw w;

	/* no bigger than `repodigest report` reads back */
	buf_init(&w.b, REPORT_MAX_BYTES);
	w.err = 0;
	put_lit(&w, "{");
	for (size_t i = 0; i < sizeof top / sizeof top[0]; i++) {
		put_key(&w, top[i], i == 0);
		put_str(&w, val[i] != NULL ? val[i] : "");
	}
	if (rr->dry_run) {
		put_key(&w, "dry_run", 0);
		put_lit(&w, "true");
	}
	for (size_t i = 0; i < sizeof count / sizeof count[0]; i++) {
		if (count[i].dry && !rr->dry_run)
			continue;
		put_key(&w, count[i].key, 0);
		put_num(&w, (double)count[i].n);
	}
	put_key(&w, "elapsed_s", 0);
	put_num(&w, rr->elapsed_s);
	put_key(&w, "repos", 0);
	put_lit(&w, "[");
	for (size_t i = 0; i < rr->nrepos && w.err == 0; i++) {
		struct report_run_repo e;
		char name[160];
		memset(&e, 0, sizeof e);
		rr->repo(rr->ctx, i, &e);
		snprintf(name, sizeof name, "%s/%s", e.owner, e.repo);
		put_lit(&w, i == 0 ? "{\n\t\t\t\"repo\":\t" :
		    ", {\n\t\t\t\"repo\":\t");
		put_str(&w, name);
		put_lit(&w, ",\n\t\t\t\"status\":\t");
		put_str(&w, report_status_name(e.status));
		if (e.would != NULL) {
			put_lit(&w, ",\n\t\t\t\"would\":\t");
			put_str(&w, e.would);
		}
		if (e.error != NULL) {
			put_lit(&w, ",\n\t\t\t\"error\":\t");
			put_str(&w, e.error);
		}
		put_lit(&w, "\n\t\t}");
	}
	put_lit(&w, "]");
	/* the feed's records left out: counted, the first listed */
	put_key(&w, "skipped", 0);
	put_num(&w, (double)rr->skipped);
	put_key(&w, "skipped_records", 0);
	put_lit(&w, "[");
	for (size_t i = 0; i < rr->nskips && w.err == 0; i++) {
		const struct report_skip *k = &rr->skips[i];
		put_lit(&w, i == 0 ? "{\n\t\t\t\"index\":\t" :
		    ", {\n\t\t\t\"index\":\t");
		put_num(&w, (double)k->index);
		put_lit(&w, ",\n\t\t\t\"record\":\t");
		put_str(&w, k->record != NULL ? k->record : "");
		put_lit(&w, ",\n\t\t\t\"reason\":\t");
		put_str(&w, k->reason != NULL ? k->reason : "");
		put_lit(&w, "\n\t\t}");
	}
	put_lit(&w, "]\n}");
	if (w.err != 0 || buf_cstr(&w.b) == NULL) {
		buf_free(&w.b);
		return NULL;
	}
	return (char *)w.b.p;       /* malloc'd by buf: free() it */
}

/* see report.h */
void
report_init(struct report *m)
{
	memset(m, 0, sizeof *m);
}

/* see report.h */
void
report_free(struct report *m)
{
	for (size_t i = 0; i < m->nin; i++)
		cJSON_Delete(m->in[i].root);
	free(m->in);
	free(m->e);
	free(m->skip);
	memset(m, 0, sizeof *m);
}

/* ------------------------------------------------------------ one report */

/* "I/N" with 0 <= I < N <= 10^9 (shard.c's limit), digits only. */
static int
parse_shard(const char *s, unsigned long *i, unsigned long *n)
{
	char *end;

	if (s == NULL || s[0] < '0' || s[0] > '9')
		return 0;
	errno = 0;
	*i = strtoul(s, &end, 10);
	if (end[0] != '/' || end[1] < '0' || end[1] > '9')
		return 0;
	*n = strtoul(end + 1, &end, 10);
	return *end == '\0' && errno == 0 && *i < *n && *n <= 1000000000ul;
}

static cJSON *
item(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *
str(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(item(o, k));
}

/* see report.h */
const char *
report_field(const struct report_in *in, const char *key)
{
	return str(in->root, key);
}

/* Replace control bytes in every string of the tree: whatever we print
 * from a report reaches a terminal. */
static void
scrub(cJSON *it)
{
	for (; it != NULL; it = it->next) {
		for (char *s = cJSON_GetStringValue(it); s != NULL && *s; s++)
			if ((unsigned char)*s < 0x20 || *s == 0x7f)
				*s = '?';
		scrub(it->child);
	}
}

/* A count: a whole number from 0 to 2^53 (what a double holds exactly). */
static int
count_ok(const cJSON *it)
{
	return cJSON_IsNumber(it) && it->valuedouble >= 0 &&
	    it->valuedouble <= 9007199254740992.0 &&
	    it->valuedouble == (double)(uint64_t)it->valuedouble;
}

/* "skipped" and "skipped_records" (both optional), appended to m->skip;
 * the count kept is the largest any report gives. */
static int
check_skipped(struct report *m, const cJSON *root, struct err_ctx *ec)
{
	const cJSON *n = item(root, "skipped"), *list = item(root,
	    "skipped_records"), *it;
	struct report_skip *ns;
	size_t k = 0;

	if (n != NULL && !count_ok(n))
		return err_set(ec, ERR_REPORT_SHAPE, "skipped is not a count");
	if (list == NULL)
		goto count;
	if (!cJSON_IsArray(list))
		return err_set(ec, ERR_REPORT_SHAPE, "skipped_records is not "
		    "a list");
	ns = realloc(m->skip, (m->nskip + (size_t)cJSON_GetArraySize(list) +
	    1) * sizeof *ns);
	if (ns == NULL)
		return err_set(ec, ERR_NOMEM, NULL);
	m->skip = ns;
	ns += m->nskip;
	cJSON_ArrayForEach(it, list) {
		const cJSON *ix = item(it, "index");
		const char *rec = str(it, "record"), *why = str(it, "reason");
		if (!count_ok(ix) || rec == NULL || why == NULL)
			return err_set(ec, ERR_REPORT_SHAPE, "skipped_records"
			    "[%zu] is not {index, record, reason}: a count, "
			    "strings", k);
		ns[k].index = (size_t)ix->valuedouble;
		ns[k].record = rec;
		ns[k].reason = why;
		k++;
	}
	m->nskip += k;
count:
	if (n != NULL && (size_t)n->valuedouble > m->skipped)
		m->skipped = (size_t)n->valuedouble;
	return 0;
}

/* Check the parsed report, fill in and append its repos to m->e. */
static int
check(struct report *m, cJSON *root, struct report_in *in,
    struct err_ctx *ec)
{
	cJSON *repos = item(root, "repos"), *it;
	const char *why = NULL, *fmt = str(root, "format");
	size_t k = 0;
	struct report_entry *ne;
	int e;

	if (!cJSON_IsObject(root))
		why = "not a JSON object";
	else if (item(root, "format") && (!fmt || strcmp(fmt, REPORT_FORMAT)))
		why = "format is not " REPORT_FORMAT;
	else if (!cJSON_IsArray(repos))
		why = "no repos list";
	else if (item(root, "shard") &&
	    !parse_shard(str(root, "shard"), &in->idx, &in->count))
		why = "shard is not I/N with I < N";
	if (why != NULL)
		return err_set(ec, ERR_REPORT_SHAPE, "%s", why);
	ne = realloc(m->e, (m->ne + (size_t)cJSON_GetArraySize(repos) + 1) *
	    sizeof *ne);
	if (ne == NULL)
		return err_set(ec, ERR_NOMEM, NULL);
	m->e = ne;
	ne += m->ne;
	cJSON_ArrayForEach(it, repos) {
		const char *name = str(it, "repo"), *s = str(it, "status");
		cJSON *er = item(it, "error");
		int st = 0;
		while (st < RS__COUNT && s && strcmp(s, st_name[st]) != 0)
			st++;
		if (!name || !*name || !s || st == RS__COUNT ||
		    (er && !cJSON_IsString(er)))
			return err_set(ec, ERR_REPORT_SHAPE, "repos[%zu] is "
			    "not {repo, status[, error]}: strings, a known "
			    "status", k);
		ne[k].name = name;
		ne[k].error = cJSON_GetStringValue(er);
		ne[k].status = (unsigned char)st;
		ne[k].in = (unsigned)m->nin;
		k++;
	}
	/* the list, not the counts, is what is merged; but a list that
	 * lost entries (edited by hand) is caught here */
	it = item(root, "total");
	if (it != NULL && (!cJSON_IsNumber(it) || it->valuedouble != (double)k))
		return err_set(ec, ERR_REPORT_SHAPE, "total: the repos list "
		    "says %zu", k);
	if ((e = check_skipped(m, root, ec)) != 0)
		return e;
	scrub(root->child);
	in->root = root;
	in->nrepos = k;
	return 0;
}

/* see report.h */
int
report_add(struct report *m, const char *file, const void *p, size_t n,
    struct err_ctx *ec)
{
	/* cJSON 1.7.15 may read one byte past the given length: parse a
	 * NUL-terminated copy */
	char *txt = malloc(n + 1);
	const char *end = NULL;
	struct report_in in, *ni;
	cJSON *root = NULL;
	size_t nskip = m->nskip, skipped = m->skipped;
	int e = ERR_NOMEM;

	memset(ec, 0, sizeof *ec);
	err_field(ec->source, sizeof ec->source, file, strlen(file));
	memset(&in, 0, sizeof in);
	in.file = file;
	ni = realloc(m->in, (m->nin + 1) * sizeof *ni);
	if (ni != NULL)
		m->in = ni;
	if (txt != NULL && ni != NULL) {
		memcpy(txt, p, n);
		/* cJSON stops after the value: without trailing whitespace,
		 * it must stop at the end */
		while (n > 0 && memchr(" \t\r\n", txt[n - 1], 4))
			n--;
		txt[n] = '\0';
		root = cJSON_ParseWithLengthOpts(txt, n, &end, 0);
		e = ERR_REPORT_JSON;
		/* a report is an object: text that does not end in '}', or
		 * fails at its last byte, was most likely cut short */
		if (root == NULL || end != txt + n) {
			err_set(ec, e, n == 0 ? "empty file" : root ?
			    "text after the JSON value" : txt[n - 1] != '}' ||
			    end + 1 >= txt + n ? "truncated?" : NULL);
			ec->offset = (uint64_t)(end - txt);
			ec->has_offset = n > 0;
		} else {
			e = check(m, root, &in, ec);
		}
	}
	free(txt);
	if (e != 0) {
		cJSON_Delete(root);
		m->nskip = nskip;
		m->skipped = skipped;
		return ec->code != 0 ? e : err_set(ec, e, NULL);
	}
	m->ne += in.nrepos;
	m->in[m->nin++] = in;
	return 0;
}

/* see report.h */
int
report_load(struct report *m, const char *file, struct err_ctx *ec)
{
	struct buf b;
	uint8_t tmp[65536];
	ssize_t r;
	int fd = strcmp(file, "-") == 0 ? STDIN_FILENO :
	    open(file, O_RDONLY | O_CLOEXEC), e;

	memset(ec, 0, sizeof *ec);
	err_field(ec->source, sizeof ec->source, file, strlen(file));
	if (fd < 0) {
		if (errno == ENOENT)
			return err_set(ec, ERR_NOENT, NULL);
		ec->sys_errno = errno;
		return err_set(ec, ERR_IO, NULL);
	}
	buf_init(&b, REPORT_MAX_BYTES);
	while ((r = read(fd, tmp, sizeof tmp)) > 0 &&
	    (e = buf_append(&b, tmp, (size_t)r)) == 0)
		;
	ec->sys_errno = r < 0 ? errno : 0;
	if (fd != STDIN_FILENO)
		close(fd);
	e = r != 0 ? err_set(ec, r < 0 ? ERR_IO : e, NULL) :
	    report_add(m, file, b.p != NULL ? b.p : tmp, b.len, ec);
	buf_free(&b);
	return e;
}

/* ------------------------------------------------------------ merging */

/* By name (case-insensitively), best status first, then the first input:
 * which entry of a duplicate is kept does not depend on qsort's whims. */
static int
cmp_entry(const void *pa, const void *pb)
{
	const struct report_entry *a = pa, *b = pb;
	int c = strcasecmp(a->name, b->name);

	if (c == 0)
		c = (int)a->status - (int)b->status;
	return c != 0 ? c : (int)a->in - (int)b->in;
}

static int
cmp_skip(const void *pa, const void *pb)
{
	const struct report_skip *a = pa, *b = pb;

	return (a->index > b->index) - (a->index < b->index);
}

static int
cmp_in(const void *pa, const void *pb)
{
	const struct report_in *a = pa, *b = pb;

	return (a->idx > b->idx) - (a->idx < b->idx);
}

static const char *
or_empty(const char *s)
{
	return s != NULL ? s : "";
}

static int
differ(const struct report_in *a, const struct report_in *b, const char *k)
{
	return strcmp(or_empty(report_field(a, k)), or_empty(report_field(b,
	    k))) != 0;
}

/* Keep the earliest (sign < 0) or latest (sign > 0) time. */
static void
pick(const char **keep, const char *t, int sign)
{
	if (t != NULL && (*keep == NULL || strcmp(t, *keep) * sign > 0))
		*keep = t;
}

/* see report.h */
int
report_finish(struct report *m)
{
	const struct report_in *f = m->in;
	size_t k = 0;

	if (m->ne > 0)
		qsort(m->e, m->ne, sizeof *m->e, cmp_entry);
	for (size_t i = 0, j; i < m->ne; i = j) {
		for (j = i + 1; j < m->ne &&
		    strcasecmp(m->e[j].name, m->e[i].name) == 0; j++)
			;
		m->e[k] = m->e[i];
		m->e[k].seen = j - i;
		m->ndup += j - i > 1;
		m->n[m->e[k].status]++;
		k++;
	}
	m->ne = k;
	/* every shard reads the whole feed: the same record is skipped by
	 * each, once in the merged account */
	if (m->nskip > 0)
		qsort(m->skip, m->nskip, sizeof *m->skip, cmp_skip);
	k = 0;
	for (size_t i = 0; i < m->nskip; i++)
		if (k == 0 || m->skip[i].index != m->skip[k - 1].index)
			m->skip[k++] = m->skip[i];
	m->nskip = k;
	if (m->skipped < m->nskip)
		m->skipped = m->nskip;
	m->shards = m->nin > 0;
	for (size_t i = 0; i < m->nin; i++) {
		const struct report_in *a = &m->in[i];
		m->shards &= a->count != 0;
		m->shard_mixed |= a->count && f->count && (a->count !=
		    f->count || differ(a, f, "shard_mode"));
		m->feed_mixed |= differ(a, f, "feed");
		/* ISO 8601 UTC times compare as strings */
		pick(&m->started, report_field(a, "started"), -1);
		pick(&m->finished, report_field(a, "finished"), 1);
	}
	m->shards &= !m->shard_mixed;
	if (m->shards) {
		/* the entries' input numbers are not needed any more */
		qsort(m->in, m->nin, sizeof *m->in, cmp_in);
		for (size_t i = 0; i < m->nin; i++)
			m->npresent += i == 0 || m->in[i].idx != m->in[i - 1].idx;
		m->missing = f->count - m->npresent;
	}
	return 0;
}

/* see report.h */
int
report_complete(const struct report *m)
{
	return m->n[RS_FAILED] == 0 && m->n[RS_PENDING] == 0 &&
	    !m->shard_mixed && m->missing == 0;
}

/* ------------------------------------------------------------ text */

static void
more(FILE *f, size_t n, size_t shown)
{
	if (n > shown)
		fprintf(f, "  ... and %zu more\n", n - shown);
}

/* The repos whose status is st (st < 0: listed more than once), with
 * their errors, at most SHOW_MAX of the n. */
static void
list(const struct report *m, FILE *f, const char *title, int st, size_t n)
{
	size_t shown = 0;

	if (n == 0)
		return;
	fprintf(f, "%s: %zu\n", title, n);
	for (size_t i = 0; i < m->ne && shown < SHOW_MAX; i++) {
		const struct report_entry *e = &m->e[i];
		if (st < 0 ? e->seen < 2 : e->status != st)
			continue;
		fprintf(f, "  %s%s%s\n", e->name, e->error ? ": " : "",
		    or_empty(e->error));
		shown++;
	}
	more(f, n, shown);
}

/* see report.h */
void
report_print(const struct report *m, FILE *f)
{
	const char *feed = m->nin ? report_field(m->in, "feed") : NULL;

	fprintf(f, "Merged %zu run report(s)%s%s\n", m->nin,
	    feed && !m->feed_mixed ? " of feed " : "",
	    m->feed_mixed ? "" : or_empty(feed));
	for (size_t i = 0; i < m->nin && i < SHOW_MAX; i++) {
		const char *how = report_field(&m->in[i], "shard_source");
		fprintf(f, "  %s: %s, %zu repos\n", m->in[i].file,
		    how ? how : "shard not recorded", m->in[i].nrepos);
	}
	more(f, m->nin, SHOW_MAX);
	if (m->feed_mixed)
		fputs("Warning: the reports name different feeds\n", f);
	if (m->shard_mixed)
		fputs("Shards: the reports come from different shardings: "
		    "cannot tell which are missing\n", f);
	else if (!m->shards)
		fputs("Shards: not recorded in every report\n", f);
	else {
		size_t p = 0, shown = 0;
		fprintf(f, "Shards: %zu of %lu present (%s)", m->npresent,
		    m->in->count, or_empty(report_field(m->in, "shard_mode")));
		/* walk the inputs, sorted by shard: nin + SHOW_MAX steps even
		 * when N is huge */
		for (unsigned long i = 0; i < m->in->count && shown < SHOW_MAX;
		    i++) {
			while (p < m->nin && m->in[p].idx < i)
				p++;
			if (p == m->nin || m->in[p].idx != i)
				fprintf(f, "%s%lu", shown++ ? " " : ", missing: ", i);
		}
		if (m->missing > shown)
			fprintf(f, " ... and %lu more", m->missing - shown);
		if (m->nin > m->npresent)
			fprintf(f, ", %zu duplicate report(s)", m->nin -
			    m->npresent);
		fputc('\n', f);
	}
	list(m, f, "Repos in more than one report (counted once, best status)",
	    -1, m->ndup);
	list(m, f, "Failed", RS_FAILED, m->n[RS_FAILED]);
	list(m, f, "Not done (pending)", RS_PENDING, m->n[RS_PENDING]);
	if (m->skipped > 0) {
		size_t shown = 0;
		fprintf(f, "Feed records skipped (not in the batch): %zu\n",
		    m->skipped);
		for (; shown < m->nskip && shown < SHOW_MAX; shown++)
			fprintf(f, "  record %zu%s%s: %s\n", m->skip[shown].index,
			    m->skip[shown].record[0] ? " " : "",
			    m->skip[shown].record, m->skip[shown].reason);
		more(f, m->skipped, shown);
	}
	if (m->started && m->finished)
		fprintf(f, "Started %s, finished %s\n", m->started, m->finished);
	fprintf(f, "Total: %zu repos: %zu processed, %zu cached, %zu done "
	    "earlier, %zu failed, %zu pending\n", m->ne,
	    m->n[RS_PROCESSED], m->n[RS_CACHED], m->n[RS_EARLIER],
	    m->n[RS_FAILED], m->n[RS_PENDING]);
	if (!report_complete(m))
		fputs("Result: incomplete\n", f);
	else if (m->skipped > 0)
		/* complete for what the feed held, but not the whole feed */
		fprintf(f, "Result: complete, except %zu feed record%s skipped "
		    "(listed above)\n", m->skipped, m->skipped == 1 ? "" : "s");
	else
		fputs("Result: complete\n", f);
}

/* ------------------------------------------------------------ JSON */

static void
add_str(cJSON *o, const char *k, const char *v)
{
	if (v != NULL)
		cJSON_AddStringToObject(o, k, v);
}

/* see report.h */
char *
report_json(const struct report *m)
{
	cJSON *root = cJSON_CreateObject(), *a, *it;
	char *txt;

	add_str(root, "format", REPORT_FORMAT);
	if (!m->feed_mixed && m->nin > 0)
		add_str(root, "feed", report_field(m->in, "feed"));
	add_str(root, "started", m->started);
	add_str(root, "finished", m->finished);
	if (m->shards) {
		cJSON_AddNumberToObject(root, "shard_count",
		    (double)m->in->count);
		cJSON_AddNumberToObject(root, "shards_missing",
		    (double)m->missing);
	}
	cJSON_AddNumberToObject(root, "total", (double)m->ne);
	for (int s = 0; s < RS__COUNT; s++)
		cJSON_AddNumberToObject(root, st_count[s], (double)m->n[s]);
	a = cJSON_AddArrayToObject(root, "duplicates");
	for (size_t i = 0; i < m->ne; i++)
		if (m->e[i].seen > 1)
			cJSON_AddItemToArray(a, cJSON_CreateString(m->e[i].name));
	a = cJSON_AddArrayToObject(root, "repos");
	for (size_t i = 0; i < m->ne; i++) {
		cJSON_AddItemToArray(a, it = cJSON_CreateObject());
		add_str(it, "repo", m->e[i].name);
		add_str(it, "status", st_name[m->e[i].status]);
		add_str(it, "error", m->e[i].error);
	}
	cJSON_AddNumberToObject(root, "skipped", (double)m->skipped);
	a = cJSON_AddArrayToObject(root, "skipped_records");
	for (size_t i = 0; i < m->nskip && i < REPORT_SKIPPED_MAX; i++) {
		cJSON_AddItemToArray(a, it = cJSON_CreateObject());
		cJSON_AddNumberToObject(it, "index", (double)m->skip[i].index);
		add_str(it, "record", m->skip[i].record);
		add_str(it, "reason", m->skip[i].reason);
	}
	txt = cJSON_Print(root);
	cJSON_Delete(root);
	return txt;
}
