/*
 * fuzz_gz.c - libFuzzer target for the gzip stage.
 *
 * The input is the compressed stream itself (so seeds are plain .gz files).
 * It is pushed in pieces whose sizes come from a hash of the input (same
 * input, same splits: a crash replays), and drained through an output buffer
 * whose size also varies, so the fuzzer explores header states cut at every
 * offset and inflate stopping for lack of output. Limits are set low enough
 * that a bomb ends in milliseconds. Invariants are checked with abort():
 * consumed/produced stay in bounds, progress is always made, errors stick.
 */
#include <stdint.h>
#include <stdlib.h>

#include "err.h"
#include "gz.h"
#include "pieces.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[4096];
	struct gz_limits lim = { 4u << 20, 1000, 256u << 10 };
	struct split sp;
	const uint8_t *p;
	size_t n;
	struct gz g;
	int r = 0;

	split_init(&sp, data, size, 64, 4);
	if (gz_init(&g, &lim) != 0)
		return 0;
	while (r == 0 && split_next(&sp, &p, &n)) {
		for (;;) {
			size_t cap = 1 + (size_t)(split_rand(&sp) % sizeof out);
			size_t c = 0, pr = 0;

			r = gz_push(&g, p, n, &c, out, cap, &pr);
			if (c > n || pr > cap)
				abort();
			if (r != 0)
				break;
			p += c;
			n -= c;
			if (n == 0 && pr < cap)
				break;
			if (c == 0 && pr == 0)
				abort();        /* stuck */
		}
	}
	if (r == 0)
		r = gz_finish(&g);
	if (r != 0) {
		size_t c, pr;
		/* sticky: the same code, nothing consumed */
		if (gz_push(&g, data, size, &c, out, sizeof out, &pr) != r ||
		    c != 0 || pr != 0 || gz_finish(&g) != r)
			abort();
		if (err_str(r) == NULL)
			abort();
	}
	if (g.lim.max_out != 0 && g.out_total > g.lim.max_out + 1)
		abort();
	gz_free(&g);
	return 0;
}
