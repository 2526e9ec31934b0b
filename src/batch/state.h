/*
 * state.h - reading a run's state file back (--resume).
 *
 * The state file is what a run writes at its end (pipeline.c, write_state):
 *   {"done": ["owner/repo", ...], "failed": [...], "pending": [...]}
 * --resume skips what it lists as done. It may come from anywhere the user
 * points (a file, s3://), so it is read as untrusted input: a push parser
 * (jsonflat.h) over the bytes in pieces, the names of "done" handed to the
 * caller as they come, nothing else held. A document of another shape, or
 * without a "done" array, is not a state file.
 */
#ifndef STATE_H
#define STATE_H

#include <stddef.h>

#include "err.h"
#include "jsonflat.h"

/* A name listed as done (NUL-terminated, valid during the call); names cut
 * at JSONFLAT_VAL_MAX are not passed (no repository has one). */
typedef void state_done_fn(void *ctx, const char *name, size_t n);

struct state_reader {
	struct jsonflat jf;
	state_done_fn *fn;
	void *ctx;
	int saw_done;                   /* a "done" array was there */
};

void state_reader_init(struct state_reader *r, state_done_fn *fn, void *ctx);

/* Push n bytes; returns the bytes consumed (fewer after an error). */
size_t state_push(struct state_reader *r, const void *p, size_t n);

/* The input ended: 0, or ERR_UNSUPPORTED "not a repodigest state file"
 * (ec's source left as the caller set it). */
int state_end(struct state_reader *r, struct err_ctx *ec);

#endif
