/*
 * state.c - the state file's reader. See state.h.
 */
#include <string.h>

#include "state.h"

static int
on_value(void *ctx, const char *key, const char *val, size_t len,
    int in_array, int cut)
{
	struct state_reader *r = ctx;

	if (strcmp(key, "done") != 0)
		return 0;
	if (!in_array)
		return ERR_JSON;        /* "done" must be an array */
	r->saw_done = 1;
	if (val != NULL && !cut)
		r->fn(r->ctx, val, len);
	return 0;
}

/* see state.h */
void
state_reader_init(struct state_reader *r, state_done_fn *fn, void *ctx)
{
	memset(r, 0, sizeof *r);
	r->fn = fn;
	r->ctx = ctx;
	jsonflat_init(&r->jf, on_value, r);
}

/* see state.h */
size_t
state_push(struct state_reader *r, const void *p, size_t n)
{
	return jsonflat_push(&r->jf, p, n);
}

/* see state.h */
int
state_end(struct state_reader *r, struct err_ctx *ec)
{
	if (jsonflat_end(&r->jf, NULL) != 0 || !r->saw_done)
		return err_set(ec, ERR_UNSUPPORTED, "not a repodigest state file");
	return 0;
}
