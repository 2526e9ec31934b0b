/*
 * fuzz_meta.c - libFuzzer target for a local object's sidecar reader
 * (sink_sidecar_parse, over jsonflat.h): the file in DIR/gitingest/OWNER/
 * REPO/NAME.meta that the cache check trusts, which anyone with write access
 * to DIR can change.
 *
 * The input is a sidecar. Invariants checked with abort(): the result is 0
 * or ERR_JSON; every field is NUL-terminated within its size; found is never
 * set by the parser; and the same bytes through jsonflat in random pieces
 * (pieces.h) give the same events as in one push (each key and value
 * hashed, in order), so a sidecar read in one go is read as it would be in
 * any other split. ASan catches over-reads.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "jsonflat.h"
#include "pieces.h"
#include "sink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t
mix(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

static int
on_value(void *ctx, const char *key, const char *val, size_t len,
    int in_array, int cut)
{
	uint64_t *h = ctx;

	if (strlen(key) > JSONFLAT_KEY_MAX || (val != NULL &&
	    (len > JSONFLAT_VAL_MAX || strlen(val) != len)))
		abort();
	*h = mix(*h, key, strlen(key) + 1);
	*h = mix(*h, val != NULL ? val : "\x01", val != NULL ? len + 1 : 1);
	*h = mix(*h, &in_array, sizeof in_array);
	*h = mix(*h, &cut, sizeof cut);
	return 0;
}

static int
events(const uint8_t *data, size_t size, int pieces, uint64_t *h,
    uint64_t *off)
{
	struct jsonflat jf;
	struct split sp;
	const uint8_t *p;
	size_t n;

	jsonflat_init(&jf, on_value, h);
	if (!pieces) {
		jsonflat_push(&jf, data, size);
	} else {
		split_init(&sp, data, size, 16, 8);
		while (split_next(&sp, &p, &n))
			if (jsonflat_push(&jf, p, n) > n)
				abort();
	}
	return jsonflat_end(&jf, off);
}

static void
terminated(const char *s, size_t cap)
{
	if (memchr(s, 0, cap) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sink_sidecar sc;
	uint64_t ha = 1469598103934665603ull, hb = ha, oa, ob;
	int e = sink_sidecar_parse(data, size, &sc);

	if ((e != 0 && e != ERR_JSON) || sc.m.found)
		abort();
	terminated(sc.m.pushedat, sizeof sc.m.pushedat);
	terminated(sc.m.generator, sizeof sc.m.generator);
	terminated(sc.m.commit, sizeof sc.m.commit);
	terminated(sc.sha256, sizeof sc.sha256);
	terminated(sc.size, sizeof sc.size);
	if (events(data, size, 0, &ha, &oa) != events(data, size, 1, &hb,
	    &ob) || ha != hb || oa != ob)
		abort();
	return 0;
}
