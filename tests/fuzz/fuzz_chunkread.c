/*
 * fuzz_chunkread.c - libFuzzer target for the chunk-line reader.
 *
 * The input is a chunks.jsonl file, pushed once whole and once in
 * random-sized pieces (pieces.h), then ended. Checked with abort(): both
 * give the same records (hashed field by field) and the same verdict at the
 * same line; every record's strings are NUL-terminated in their arrays, its
 * text valid UTF-8, its id 32 hex digits, start_line <= end_line; a push
 * takes no more than it is given; an error stays. Every loop is bounded by
 * the input size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chunkread.h"
#include "err.h"
#include "utf8.h"
#include "pieces.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct result {
	uint64_t h, records, line;
	int err;
};

static void
mix(uint64_t *h, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		*h = (*h ^ ((const uint8_t *)p)[i]) * 1099511628211ull;
	*h = (*h ^ 0xff) * 1099511628211ull;
}

static void
check_rec(const struct chunkrd_rec *c, struct result *r)
{
	if (!memchr(c->repo, 0, sizeof c->repo) || !memchr(c->ref, 0,
	    sizeof c->ref) || !memchr(c->commit, 0, sizeof c->commit) ||
	    !memchr(c->path, 0, sizeof c->path) || !memchr(c->language, 0,
	    sizeof c->language) || strlen(c->path) != c->path_len ||
	    c->path_len == 0 || c->repo[0] == '\0')
		abort();
	if (strlen(c->id) != 32 || strspn(c->id, "0123456789abcdef") != 32)
		abort();
	if (c->start_line > c->end_line)
		abort();
	if (c->text.len > 0 && !utf8_valid(c->text.p, c->text.len))
		abort();
	mix(&r->h, c->repo, strlen(c->repo));
	mix(&r->h, c->ref, strlen(c->ref));
	mix(&r->h, c->path, c->path_len);
	mix(&r->h, c->id, 32);
	mix(&r->h, &c->chunk, sizeof c->chunk);
	mix(&r->h, &c->end_line, sizeof c->end_line);
	if (c->text.len > 0)
		mix(&r->h, c->text.p, c->text.len);
	r->records++;
}

static void
run(const uint8_t *data, size_t size, int pieces, struct result *r)
{
	static struct chunkrd rd;
	enum chunkrd_event ev;
	struct split sp;
	const uint8_t *p;
	size_t n, k;

	memset(r, 0, sizeof *r);
	r->h = 1469598103934665603ull;
	chunkrd_init(&rd);
	split_init(&sp, data, size, pieces ? 97 : size + 1, pieces ? 6 : 1);
	while (!r->err && split_next(&sp, &p, &n)) {
		while (n > 0) {
			k = chunkrd_push(&rd, p, n, &ev);
			if (k > n)
				abort();
			p += k;
			n -= k;
			if (ev == CHUNKRD_ERROR) {
				r->err = rd.err;
				break;
			}
			if (ev == CHUNKRD_RECORD)
				check_rec(&rd.rec, r);
			else if (n != 0)
				abort();
		}
	}
	if (!r->err) {
		ev = chunkrd_end(&rd);
		if (ev == CHUNKRD_RECORD)
			check_rec(&rd.rec, r);
		else if (ev == CHUNKRD_ERROR)
			r->err = rd.err;
	} else if (chunkrd_end(&rd) != CHUNKRD_ERROR) {
		abort();
	}
	if (r->err != 0 && r->err != ERR_CHUNKS_JSON &&
	    r->err != ERR_CHUNKS_FIELD && r->err != ERR_CHUNKS_LINE)
		abort();
	r->line = rd.lineno;
	chunkrd_free(&rd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct result a, b;

	run(data, size, 0, &a);
	run(data, size, 1, &b);
	if (a.err != b.err || a.records != b.records || a.h != b.h ||
	    (a.err && a.line != b.line))
		abort();
	return 0;
}
