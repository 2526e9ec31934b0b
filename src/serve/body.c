/*
 * body.c - request bodies into structs. See body.h.
 *
 * Each parser: the body must be one JSON object (cJSON, over the bounded
 * body); no key twice (two "repo"s would let a proxy and us read two
 * different requests); then each field in turn, with a one-line refusal
 * naming it. Strings are cJSON's decoded copies; "\u0000" is refused
 * before parsing, since a decoded NUL would silently cut a string short.
 */
#include <string.h>

#include <cJSON.h>

#include "body.h"
#include "buf.h"
#include "job.h"
#include "render.h"

#define BODY_FIELDS_MAX 32

#define REPO_FORMS "want owner/name, github.com/owner/name or " \
	"https://github.com/owner/name"

/* see body.h */
int
body_valid_name(const uint8_t *p, size_t n)
{
	/* GitHub's repository name rule: a repository's name is a valid
	 * default dataset */
	return n <= BODY_NAME_MAX && url_valid_repo(p, n);
}

/* see body.h */
int
body_repo(const uint8_t *p, size_t n, struct url_github *g)
{
	char url[URL_MAX + 1];

	if (n > 11 && memcmp(p, "github.com/", 11) == 0) {
		/* the scheme-less URL form: the URL rules apply */
		if (n > URL_MAX - 8)
			return ERR_URL_TOO_LONG;
		memcpy(url, "https://", 8);
		memcpy(url + 8, p, n);
		return url_github_source((const uint8_t *)url, n + 8, g);
	}
	if (n >= 7 && memcmp(p, "http://", 7) == 0)
		return ERR_URL_SCHEME;
	return url_github_source(p, n, g);
}

/* A client's string as it may appear in a one-line refusal: control
 * bytes as '?', cut to fit out. */
static const char *
shown(const char *s, char out[41])
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < 40; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' :
		    s[i];
	out[i] = '\0';
	return out;
}

/* see body.h */
struct cJSON *
body_parse_json(const uint8_t *p, size_t n)
{
	struct buf b;
	cJSON *root = NULL;

	/* cJSON 1.7.15 may read a byte past the length it is given (see
	 * batch/feed.c): parse a NUL-terminated copy */
	buf_init(&b, n + 1);
	if (buf_append(&b, p, n) == 0 && buf_cstr(&b) != NULL)
		root = cJSON_ParseWithLength((const char *)b.p, n);
	buf_free(&b);
	return root;
}

/* The body as an object, with no "\u0000" escape and no key twice. */
static cJSON *
object(const uint8_t *p, size_t n, struct err_ctx *e)
{
	cJSON *root;
	char k[41];

	for (size_t i = 0; i + 6 <= n; i++)
		if (p[i] == '\\' && p[i + 1] == 'u' &&
		    memcmp(p + i + 2, "0000", 4) == 0) {
			err_set(e, ERR_BODY_JSON, "a string holds \\u0000");
			return NULL;
		}
	root = body_parse_json(p, n);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		err_set(e, ERR_BODY_JSON, "want one JSON object");
		return NULL;
	}
	/* a few fields are all any body has; the pairwise check below
	 * must not become a CPU sink */
	if (cJSON_GetArraySize(root) > BODY_FIELDS_MAX) {
		cJSON_Delete(root);
		err_set(e, ERR_BODY_JSON, "more than %d fields",
		    BODY_FIELDS_MAX);
		return NULL;
	}
	for (const cJSON *a = root->child; a != NULL; a = a->next)
		for (const cJSON *b = a->next; b != NULL; b = b->next)
			if (strcmp(a->string, b->string) == 0) {
				err_set(e, ERR_BODY_FIELD, "%s: given twice",
				    shown(a->string, k));
				cJSON_Delete(root);
				return NULL;
			}
	return root;
}

/* Refuse keys not in known (NULL-terminated). */
static int
only(const cJSON *root, const char *const *known, struct err_ctx *e)
{
	char k[41];

	for (const cJSON *a = root->child; a != NULL; a = a->next) {
		size_t i;
		for (i = 0; known[i] != NULL; i++)
			if (strcmp(a->string, known[i]) == 0)
				break;
		if (known[i] == NULL)
			return err_set(e, ERR_BODY_FIELD,
			    "%s: unknown field", shown(a->string, k));
	}
	return 0;
}

/* An optional string field: 1 and *s, 0 if absent or null, -1 (error set)
 * if it is another type. */
static int
str_field(const cJSON *root, const char *k, const char **s,
    struct err_ctx *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, k);

	*s = NULL;
	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v)) {
		err_set(e, ERR_BODY_FIELD, "%s: want a string", k);
		return -1;
	}
	*s = v->valuestring;
	return 1;
}

static int
repo_field(const cJSON *root, struct url_github *g, struct err_ctx *e)
{
	const char *s;
	int r = str_field(root, "repo", &s, e), c;

	if (r < 0)
		return ERR_BODY_FIELD;
	if (r == 0)
		return err_set(e, ERR_BODY_FIELD, "repo: missing; "
		    REPO_FORMS);
	if ((c = body_repo((const uint8_t *)s, strlen(s), g)) != 0)
		return err_set(e, ERR_BODY_FIELD, "repo: %s; " REPO_FORMS,
		    err_str(c));
	return 0;
}

/* A ref field ("ref", "branch") merged into g: a ref named both in the
 * repo ("owner/name@x", ".../tree/x") and here must agree. */
static int
ref_field(const cJSON *root, const char *k, struct url_github *g,
    struct err_ctx *e)
{
	const char *s;
	int r = str_field(root, k, &s, e);
	size_t n;

	if (r < 0)
		return ERR_BODY_FIELD;
	if (r == 0 || s[0] == '\0')
		return 0;
	n = strlen(s);
	if (!url_valid_ref((const uint8_t *)s, n))
		return err_set(e, ERR_BODY_FIELD, "%s: not a valid git ref "
		    "name", k);
	if (g->ref_len > 0 && (g->ref_len != n || memcmp(g->ref, s, n) != 0))
		return err_set(e, ERR_BODY_FIELD, "%s: differs from the ref "
		    "in repo", k);
	memcpy(g->ref, s, n + 1);
	g->ref_len = n;
	return 0;
}

/* An optional name field into out (BODY_NAME_MAX + 1 bytes). */
static int
name_field(const cJSON *root, const char *k, char *out, struct err_ctx *e)
{
	const char *s;
	int r = str_field(root, k, &s, e);

	out[0] = '\0';
	if (r < 0)
		return ERR_BODY_FIELD;
	if (r == 0)
		return 0;
	if (!body_valid_name((const uint8_t *)s, strlen(s)))
		return err_set(e, ERR_BODY_FIELD, "%s: want 1 to %d of "
		    "A-Z a-z 0-9 . _ -, not . or ..", k, BODY_NAME_MAX);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

/* A format the service stores (a name from render.h's one table) as its
 * JOB_FORMAT() bit, or 0. */
static unsigned
format_bit(const char *name)
{
	static const int stored[] = { RENDER_FULL, RENDER_CHUNKS };

	for (size_t i = 0; i < sizeof stored / sizeof stored[0]; i++)
		if (strcmp(name, render_format_name[stored[i]]) == 0)
			return JOB_FORMAT(stored[i]);
	return 0;
}

static int
formats_field(const cJSON *root, unsigned *formats, struct err_ctx *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "formats");
	const cJSON *f;
	char k[41];

	*formats = JOB_FORMAT(RENDER_FULL);
	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsArray(v) || v->child == NULL)
		return err_set(e, ERR_BODY_FIELD, "formats: want a non-empty "
		    "array of \"full\" and \"chunks\"");
	*formats = 0;
	cJSON_ArrayForEach(f, v) {
		unsigned bit = cJSON_IsString(f) ? format_bit(f->valuestring) :
		    0;
		if (bit == 0)
			return err_set(e, ERR_BODY_FIELD, "formats: unknown "
			    "format \"%s\"; want \"full\" or \"chunks\"",
			    cJSON_IsString(f) ? shown(f->valuestring, k) :
			    "(not a string)");
		if (*formats & bit)
			return err_set(e, ERR_BODY_FIELD, "formats: \"%s\" "
			    "given twice", f->valuestring);
		*formats |= bit;
	}
	return 0;
}

static int
priority_field(const cJSON *root, int *priority, struct err_ctx *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "priority");
	double d;

	*priority = 0;
	if (v == NULL || cJSON_IsNull(v))
		return 0;
	d = v->valuedouble;
	if (!cJSON_IsNumber(v) || !(d <= BODY_PRIORITY_MAX &&
	    d >= -BODY_PRIORITY_MAX) || (double)(int)d != d)
		return err_set(e, ERR_BODY_FIELD, "priority: want an integer "
		    "from %d to %d", -BODY_PRIORITY_MAX, BODY_PRIORITY_MAX);
	*priority = (int)d;
	return 0;
}

/* see body.h */
int
body_job(const uint8_t *p, size_t n, struct body_job *j, struct err_ctx *e)
{
	static const char *const known[] = { "repo", "ref", "formats",
	    "priority", "index", NULL };
	const cJSON *v;
	cJSON *root;
	int r;

	memset(j, 0, sizeof *j);
	memset(e, 0, sizeof *e);
	if ((root = object(p, n, e)) == NULL)
		return e->code;
	if ((r = only(root, known, e)) == 0 &&
	    (r = repo_field(root, &j->repo, e)) == 0 &&
	    (r = ref_field(root, "ref", &j->repo, e)) == 0 &&
	    (r = formats_field(root, &j->formats, e)) == 0)
		r = priority_field(root, &j->priority, e);
	/* "index": true: searchable, so its chunks are made too */
	v = cJSON_GetObjectItemCaseSensitive(root, "index");
	if (r == 0 && v != NULL && !cJSON_IsNull(v)) {
		if (!cJSON_IsBool(v))
			r = err_set(e, ERR_BODY_FIELD, "index: want true or "
			    "false");
		else if (cJSON_IsTrue(v))
			j->formats |= JOB_FORMAT(RENDER_CHUNKS);
	}
	cJSON_Delete(root);
	return r;
}

/* see body.h */
int
body_ingest(const uint8_t *p, size_t n, struct body_ingest *b,
    struct err_ctx *e)
{
	cJSON *root;
	int r;

	memset(b, 0, sizeof *b);
	memset(e, 0, sizeof *e);
	if ((root = object(p, n, e)) == NULL)
		return e->code;
	if ((r = repo_field(root, &b->repo, e)) == 0 &&
	    (r = ref_field(root, "branch", &b->repo, e)) == 0 &&
	    (r = name_field(root, "dataset", b->dataset, e)) == 0)
		r = name_field(root, "scope", b->scope, e);
	cJSON_Delete(root);
	if (r != 0)
		return r;
	/* the original's defaults */
	if (b->dataset[0] == '\0')
		memcpy(b->dataset, b->repo.repo, b->repo.repo_len + 1);
	if (b->scope[0] == '\0')
		strcpy(b->scope, "project");
	return 0;
}

/* see body.h */
int
body_delete(const uint8_t *p, size_t n, struct body_delete *d,
    struct err_ctx *e)
{
	cJSON *root;
	const char *s;
	int r;

	memset(d, 0, sizeof *d);
	memset(e, 0, sizeof *e);
	if ((root = object(p, n, e)) == NULL)
		return e->code;
	r = name_field(root, "dataset", d->dataset, e);
	if (r == 0 && (r = str_field(root, "repo", &s, e)) > 0) {
		d->has_repo = 1;
		r = repo_field(root, &d->repo, e);
	} else if (r < 0) {
		r = ERR_BODY_FIELD;
	}
	if (r == 0 && d->dataset[0] == '\0' && !d->has_repo)
		r = err_set(e, ERR_BODY_FIELD, "dataset: missing; want "
		    "{\"dataset\": NAME} or {\"repo\": owner/name}");
	else if (r == 0 && d->dataset[0] != '\0' && d->has_repo)
		r = err_set(e, ERR_BODY_FIELD, "repo: give dataset or repo, "
		    "not both");
	cJSON_Delete(root);
	return r;
}

/* A whole number field from lo to BODY_K_MAX: *out is left as it is
 * when the field is absent or null. */
static int
count_field(const cJSON *root, const char *name, int lo, size_t *out,
    struct err_ctx *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, name);

	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo) ||
	    v->valuedouble > BODY_K_MAX ||
	    v->valuedouble != (double)(size_t)v->valuedouble)
		return err_set(e, ERR_BODY_FIELD, "%s: want a whole number "
		    "from %d to %d", name, lo, BODY_K_MAX);
	*out = (size_t)v->valuedouble;
	return 0;
}

/* see body.h */
int
body_query(const uint8_t *p, size_t n, struct body_query *q,
    struct err_ctx *e)
{
	cJSON *root;
	size_t pf = (size_t)-1;         /* absent */
	const char *s;
	int r;

	memset(q, 0, sizeof *q);
	memset(e, 0, sizeof *e);
	if ((root = object(p, n, e)) == NULL)
		return e->code;
	q->k = 10;
	r = str_field(root, "query", &s, e);
	if (r == 0 || (r > 0 && (s[0] == '\0' || strlen(s) > BODY_QUERY_MAX)))
		r = err_set(e, ERR_BODY_FIELD, "query: want a non-empty string "
		    "of at most %d bytes", BODY_QUERY_MAX);
	else if (r > 0)
		r = 0, memcpy(q->query, s, strlen(s) + 1);
	else
		r = ERR_BODY_FIELD;
	if (r == 0)
		r = count_field(root, "k", 1, &q->k, e);
	if (r == 0 && (r = count_field(root, "per_file", 0, &pf, e)) == 0)
		q->per_file = pf == (size_t)-1 ? -1 : (int64_t)pf;
	if (r == 0)
		r = name_field(root, "project", q->project, e);
	if (r == 0 && (r = str_field(root, "repo", &s, e)) > 0) {
		q->has_repo = 1;
		r = repo_field(root, &q->repo, e);
	} else if (r < 0) {
		r = ERR_BODY_FIELD;
	}
	cJSON_Delete(root);
	return r;
}

/* see body.h */
int
body_sub(const uint8_t *p, size_t n, struct body_sub *s, struct err_ctx *e)
{
	cJSON *root;
	const cJSON *v, *t;
	const char *a;
	int r;

	memset(s, 0, sizeof *s);
	memset(e, 0, sizeof *e);
	if ((root = object(p, n, e)) == NULL)
		return e->code;
	r = str_field(root, "action", &a, e);
	if (r == 0 || (r > 0 && strcmp(a, "subscribe") != 0 &&
	    strcmp(a, "unsubscribe") != 0)) {
		r = err_set(e, ERR_BODY_FIELD, "action: want \"subscribe\" "
		    "or \"unsubscribe\"");
		goto out;
	}
	if (r < 0) {
		r = ERR_BODY_FIELD;
		goto out;
	}
	s->subscribe = strcmp(a, "subscribe") == 0;
	if ((r = name_field(root, "project", s->project, e)) != 0 ||
	    (r = name_field(root, "jobId", s->job, e)) != 0)
		goto out;
	s->topics = BODY_TOPIC_PROGRESS;
	v = cJSON_GetObjectItemCaseSensitive(root, "topics");
	if (v != NULL && !cJSON_IsNull(v)) {
		if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0 ||
		    cJSON_GetArraySize(v) > BODY_TOPICS_MAX) {
			r = err_set(e, ERR_BODY_FIELD, "topics: want an array "
			    "of 1 to %d topics", BODY_TOPICS_MAX);
			goto out;
		}
		s->topics = 0;
		cJSON_ArrayForEach(t, v) {
			if (!cJSON_IsString(t) ||
			    strcmp(t->valuestring, "github:progress") != 0) {
				r = err_set(e, ERR_BODY_FIELD, "topics: "
				    "unknown topic; want \"github:progress\"");
				goto out;
			}
			s->topics |= BODY_TOPIC_PROGRESS;
		}
	}
	r = 0;
out:
	cJSON_Delete(root);
	return r;
}
