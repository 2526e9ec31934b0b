/*
 * hook.c - GitHub webhook signatures and push payloads. See hook.h.
 */
#include <stdio.h>
#include <string.h>

#include <bearssl_hash.h>
#include <bearssl_hmac.h>
#include <cJSON.h>

#include "auth.h"
#include "body.h"
#include "buf.h"
#include "hfield.h"
#include "hook.h"

/* see hook.h */
int
hook_verify(const uint8_t *secret, size_t sn, const uint8_t *body,
    size_t n, struct slice sig)
{
	br_hmac_key_context kc;
	br_hmac_context hc;
	uint8_t want[32], got[32];

	if (sig.n != 7 + 64 || memcmp(sig.p, "sha256=", 7) != 0)
		return ERR_HOOK_NO_SIGNATURE;
	for (size_t i = 0; i < 32; i++) {
		int h = buf_hexval(sig.p[7 + 2 * i]);
		int l = buf_hexval(sig.p[8 + 2 * i]);
		if (h < 0 || l < 0)
			return ERR_HOOK_NO_SIGNATURE;
		got[i] = (uint8_t)(h << 4 | l);
	}
	br_hmac_key_init(&kc, &br_sha256_vtable, secret, sn);
	br_hmac_init(&hc, &kc, 0);
	br_hmac_update(&hc, body, n);
	br_hmac_out(&hc, want);
	return auth_equal(got, sizeof got, want, sizeof want) ? 0 :
	    ERR_HOOK_SIGNATURE;
}

/* see hook.h */
int
hook_kind(struct slice event)
{
	if (hfield_eq(event.p, event.n, "push"))
		return HOOK_PUSH;
	if (hfield_eq(event.p, event.n, "ping"))
		return HOOK_PING;
	return HOOK_OTHER;
}

static const char *
str_at(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* s into dst (cap bytes), or -1 if it does not fit. */
static int
copy(char *dst, size_t cap, const char *s)
{
	return snprintf(dst, cap, "%s", s) < (int)cap ? 0 : -1;
}

/* see hook.h */
int
hook_parse_push(const uint8_t *body, size_t n, struct hook_push *p,
    struct err_ctx *e)
{
	cJSON *root = body_parse_json(body, n);
	const cJSON *repo, *del;
	const char *s, *slash;
	int r = ERR_HOOK_PAYLOAD;

	memset(e, 0, sizeof *e);
	memset(p, 0, sizeof *p);
	if (!cJSON_IsObject(root)) {
		err_set(e, r, "not a JSON object");
		goto out;
	}
	repo = cJSON_GetObjectItemCaseSensitive(root, "repository");
	if ((s = str_at(repo, "full_name")) == NULL ||
	    (slash = strchr(s, '/')) == NULL ||
	    !url_valid_owner((const uint8_t *)s, (size_t)(slash - s)) ||
	    !url_valid_repo((const uint8_t *)slash + 1, strlen(slash + 1))) {
		err_set(e, r, "repository.full_name: want owner/name");
		goto out;
	}
	copy(p->full_name, sizeof p->full_name, s);
	p->repo.owner_len = (size_t)(slash - s);
	memcpy(p->repo.owner, s, p->repo.owner_len);
	p->repo.repo_len = strlen(slash + 1);
	memcpy(p->repo.repo, slash + 1, p->repo.repo_len);

	if ((s = str_at(root, "ref")) == NULL ||
	    copy(p->ref, sizeof p->ref, s) != 0) {
		err_set(e, r, "ref: want refs/heads/NAME or refs/tags/NAME");
		goto out;
	}
	if (strncmp(s, "refs/heads/", 11) == 0)
		p->branch = 1;
	else if (strncmp(s, "refs/tags/", 10) == 0)
		p->tag = 1;
	if (p->branch || p->tag) {
		const char *name = s + (p->branch ? 11 : 10);
		if (!url_valid_ref((const uint8_t *)name, strlen(name))) {
			err_set(e, r, "ref: not a valid git ref name");
			goto out;
		}
		copy(p->repo.ref, sizeof p->repo.ref, name);
		p->repo.ref_len = strlen(name);
	}

	if ((s = str_at(root, "after")) == NULL || strlen(s) != 40 ||
	    strspn(s, "0123456789abcdef") != 40) {
		err_set(e, r, "after: want a 40-digit commit id");
		goto out;
	}
	memcpy(p->after, s, 41);
	del = cJSON_GetObjectItemCaseSensitive(root, "deleted");
	p->deleted = cJSON_IsTrue(del) ||
	    strspn(p->after, "0") == 40;
	if ((s = str_at(repo, "default_branch")) != NULL &&
	    (!url_valid_ref((const uint8_t *)s, strlen(s)) ||
	    copy(p->default_branch, sizeof p->default_branch, s) != 0)) {
		err_set(e, r, "repository.default_branch: not a valid ref");
		goto out;
	}
	r = 0;
out:
	cJSON_Delete(root);
	return r;
}
