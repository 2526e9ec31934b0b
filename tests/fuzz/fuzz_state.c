/*
 * fuzz_state.c - libFuzzer target for the state file's reader (state.h, over
 * jsonflat.h), what --resume reads from a file or S3.
 *
 * The input is a whole state file, read twice: in one push, and in pieces
 * of random sizes (pieces.h, seeded by the input). Both must agree: the
 * result and every name handed over, in order (hashed). Invariants checked
 * with abort(): a name is NUL-terminated at its length, holds no NUL, and
 * is at most JSONFLAT_VAL_MAX bytes; a refused document is ERR_UNSUPPORTED;
 * the parser never consumes more than it was given. ASan catches over-reads
 * (the input has no NUL after it).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "pieces.h"
#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	size_t names;
	uint64_t hash;
};

static void
on_done(void *ctx, const char *name, size_t n)
{
	struct seen *s = ctx;

	if (n > JSONFLAT_VAL_MAX || strlen(name) != n)
		abort();
	s->names++;
	for (size_t i = 0; i <= n; i++)
		s->hash = (s->hash ^ (uint8_t)name[i]) * 1099511628211ull;
}

static int
read_state(const uint8_t *data, size_t size, int pieces, struct seen *s)
{
	static struct state_reader r;
	struct err_ctx ec;
	struct split sp;
	const uint8_t *p;
	size_t n;
	int e;

	memset(&ec, 0, sizeof ec);
	state_reader_init(&r, on_done, s);
	if (!pieces) {
		if (state_push(&r, data, size) > size)
			abort();
	} else {
		split_init(&sp, data, size, 32, 8);
		while (split_next(&sp, &p, &n))
			if (state_push(&r, p, n) > n)
				abort();
	}
	e = state_end(&r, &ec);
	if (e != 0 && (e != ERR_UNSUPPORTED || ec.code != e))
		abort();
	return e;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen a = { 0, 1469598103934665603ull }, b = a;
	int ea = read_state(data, size, 0, &a);
	int eb = read_state(data, size, 1, &b);

	/* where the reads end changes nothing (names before an error too) */
	if (ea != eb || a.names != b.names || a.hash != b.hash)
		abort();
	return 0;
}
