/*
 * fuzz_body.c - libFuzzer target for the service's JSON bodies (body.h)
 * and GitHub push payloads (hook.h). The first byte picks the parser; the
 * rest is the body.
 *
 * Aborts if: a refusal has no one-line detail or an unknown code; an
 * accepted body holds what the checks should have refused (owner, repo
 * and ref names, formats, priority range, dataset and scope names, a
 * subscribe message's action and topics, a query's k and per_file, a
 * push's commit id).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "hook.h"
#include "job.h"
#include "render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
refusal(const struct err_ctx *e, int r, int a, int b)
{
	if (r != a && r != b)
		abort();
	if (e->detail[0] == '\0' || strchr(e->detail, '\n') != NULL)
		abort();
}

static void
repo_ok(const struct url_github *g)
{
	if (!url_valid_owner((const uint8_t *)g->owner, g->owner_len) ||
	    !url_valid_repo((const uint8_t *)g->repo, g->repo_len) ||
	    strlen(g->owner) != g->owner_len || strlen(g->repo) != g->repo_len)
		abort();
	if (g->ref_len > 0 && (strlen(g->ref) != g->ref_len ||
	    !url_valid_ref((const uint8_t *)g->ref, g->ref_len)))
		abort();
}

static void
name_ok(const char *s, int may_be_empty)
{
	if (s[0] == '\0' && may_be_empty)
		return;
	if (!body_valid_name((const uint8_t *)s, strlen(s)))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err_ctx e;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	int r;

	if (size < 1 || size > 1 << 16)
		return 0;
	switch (data[0] % 6) {
	case 0: {
		struct body_job j;
		if ((r = body_job(p, n, &j, &e)) != 0) {
			refusal(&e, r, ERR_BODY_JSON, ERR_BODY_FIELD);
			break;
		}
		repo_ok(&j.repo);
		if (j.formats == 0 || (j.formats &
		    ~(JOB_FORMAT(RENDER_FULL) | JOB_FORMAT(RENDER_CHUNKS))) != 0 ||
		    j.priority > BODY_PRIORITY_MAX ||
		    j.priority < -BODY_PRIORITY_MAX)
			abort();
		break;
	}
	case 1: {
		struct body_ingest b;
		if ((r = body_ingest(p, n, &b, &e)) != 0) {
			refusal(&e, r, ERR_BODY_JSON, ERR_BODY_FIELD);
			break;
		}
		repo_ok(&b.repo);
		name_ok(b.scope, 0);
		name_ok(b.dataset, 0);  /* given, or the repo's name */
		break;
	}
	case 2: {
		struct body_delete d;
		if ((r = body_delete(p, n, &d, &e)) != 0) {
			refusal(&e, r, ERR_BODY_JSON, ERR_BODY_FIELD);
			break;
		}
		if ((d.dataset[0] != '\0') == (d.has_repo != 0))
			abort();
		name_ok(d.dataset, 1);
		if (d.has_repo)
			repo_ok(&d.repo);
		break;
	}
	case 3: {
		struct body_sub s;
		if ((r = body_sub(p, n, &s, &e)) != 0) {
			refusal(&e, r, ERR_BODY_JSON, ERR_BODY_FIELD);
			break;
		}
		name_ok(s.project, 1);
		name_ok(s.job, 1);
		if (s.topics != BODY_TOPIC_PROGRESS)
			abort();
		break;
	}
	case 5: {
		struct body_query q;
		if ((r = body_query(p, n, &q, &e)) != 0) {
			refusal(&e, r, ERR_BODY_JSON, ERR_BODY_FIELD);
			break;
		}
		if (q.query[0] == '\0' || strlen(q.query) > BODY_QUERY_MAX ||
		    q.k < 1 || q.k > BODY_K_MAX || q.per_file < -1 ||
		    q.per_file > BODY_K_MAX)
			abort();
		name_ok(q.project, 1);
		if (q.has_repo)
			repo_ok(&q.repo);
		break;
	}
	default: {
		struct hook_push h;
		if ((r = hook_parse_push(p, n, &h, &e)) != 0) {
			refusal(&e, r, ERR_HOOK_PAYLOAD, ERR_HOOK_PAYLOAD);
			break;
		}
		repo_ok(&h.repo);
		if (strlen(h.after) != 40 ||
		    strspn(h.after, "0123456789abcdef") != 40)
			abort();
		if (h.branch && h.tag)
			abort();
		break;
	}
	}
	return 0;
}
