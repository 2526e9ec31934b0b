/*
 * hook.h - GitHub webhooks: the signature check and the payloads we act
 * on (push, ping). No I/O.
 *
 * GitHub signs the raw body with the webhook's secret:
 * "X-Hub-Signature-256: sha256=" + hex(HMAC-SHA256(secret, body)). The
 * check recomputes it and compares in constant time, before the body is
 * parsed at all. What a verified push then means (a job at the pushed
 * commit, or "ignored") is the caller's.
 */
#ifndef HOOK_H
#define HOOK_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "slice.h"
#include "url.h"

enum hook_kind {
	HOOK_OTHER = 0,         /* an event we do not act on */
	HOOK_PING,              /* sent when a webhook is created */
	HOOK_PUSH
};

struct hook_push {
	struct url_github repo;         /* owner, repo; ref: branch or tag */
	char full_name[URL_OWNER_MAX + URL_REPO_MAX + 2];  /* "owner/name" */
	char ref[URL_REF_MAX + 12];     /* as sent: "refs/heads/main" */
	int tag;                        /* refs/tags/... */
	int branch;                     /* refs/heads/...: repo.ref names it */
	char after[41];                 /* the pushed commit, 40 hex digits */
	int deleted;                    /* the ref is gone (after all zeros) */
	char default_branch[URL_REF_MAX + 1];
};

/*
 * Check sig (the X-Hub-Signature-256 value) against secret and body. 0,
 * ERR_HOOK_NO_SIGNATURE (absent, not "sha256=" and 64 hex digits) or
 * ERR_HOOK_SIGNATURE (a mismatch). The comparison's time does not depend
 * on where the digests differ (auth_equal()).
 */
int hook_verify(const uint8_t *secret, size_t sn, const uint8_t *body,
    size_t n, struct slice sig);

/* The X-GitHub-Event value as a kind. */
int hook_kind(struct slice event);

/*
 * A push payload's fields: repository.full_name (checked against GitHub's
 * name rules), ref, after, deleted, repository.default_branch. 0, or
 * ERR_HOOK_PAYLOAD with e's detail naming the field.
 */
int hook_parse_push(const uint8_t *body, size_t n, struct hook_push *p,
    struct err_ctx *e);

#endif
