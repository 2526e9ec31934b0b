/*
 * fuzz_utf8.c - libFuzzer target for utf8.c.
 *
 * The input is fed to the streaming validator in pieces whose sizes come from
 * the input's own bytes, and the verdict and message must equal those of one
 * whole feed (and agree with utf8_valid). utf8_lower_key must fit the
 * documented 3x bound, and refuse, never overflow, a short buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct utf8v whole, part;
	uint8_t *out;
	size_t at = 0, k = 0, n, cap;

	utf8v_init(&whole);
	utf8v_feed(&whole, data, size);
	utf8v_end(&whole);
	if (whole.bad == utf8_valid(data, size))
		abort();

	utf8v_init(&part);
	while (at < size) {
		/* piece sizes 1..16 from the data itself: deterministic (a zero
		 * step would loop forever on inputs like F0 F0 F0) */
		size_t step = (data[k++ % size] & 15) + 1;

		if (step > size - at)
			step = size - at;
		utf8v_feed(&part, data + at, step);
		at += step;
	}
	utf8v_end(&part);
	if (part.bad != whole.bad || part.pos != size ||
	    (whole.bad && strcmp(part.msg, whole.msg) != 0))
		abort();

	/* exactly 3x, then a short buffer (heap, so ASan sees overflows) */
	cap = size * 3;
	out = malloc(cap + 1);
	if (out == NULL)
		return 0;
	n = utf8_lower_key(data, size, out, cap);
	if (n == (size_t)-1 || n > cap)
		abort();
	free(out);
	cap = size / 2;
	out = malloc(cap + 1);
	if (out == NULL)
		return 0;
	n = utf8_lower_key(data, size, out, cap);
	if (n != (size_t)-1 && n > cap)
		abort();
	free(out);
	return 0;
}
