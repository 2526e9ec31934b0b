/*
 * fuzz_s3list.c - libFuzzer target for the ListObjectsV2 reader.
 *
 * The input is an answer body, pushed once whole and once in random-sized
 * pieces (pieces.h). Checked with abort(): both give the same keys, sizes,
 * token and verdict; every key is NUL-terminated, at most S3LIST_KEY_MAX
 * bytes and holds no NUL; a push takes no more than it is given; an error
 * stays. Every loop is bounded by the input size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "s3list.h"
#include "pieces.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct result {
	uint64_t h;             /* FNV-1a over keys and sizes */
	uint64_t keys;
	int err;
	int truncated;
	char token[S3LIST_TOKEN_MAX + 1];
};

static void
key_seen(const struct s3list *l, struct result *r)
{
	if (l->key_len > S3LIST_KEY_MAX || l->key[l->key_len] != '\0' ||
	    memchr(l->key, 0, l->key_len) != NULL || l->key_len == 0)
		abort();
	for (size_t i = 0; i < l->key_len; i++)
		r->h = (r->h ^ (uint8_t)l->key[i]) * 1099511628211ull;
	r->h = (r->h ^ l->size) * 1099511628211ull;
	r->keys++;
}

static void
run(const uint8_t *data, size_t size, int pieces, struct result *r)
{
	struct s3list l;
	struct split sp;
	enum s3list_event ev;
	const uint8_t *p;
	size_t n, k;

	memset(r, 0, sizeof *r);
	r->h = 1469598103934665603ull;
	s3list_init(&l);
	split_init(&sp, data, size, pieces ? 64 : size + 1, pieces ? 8 : 1);
	while (!r->err && split_next(&sp, &p, &n)) {
		while (n > 0) {
			k = s3list_push(&l, p, n, &ev);
			if (k > n)
				abort();
			p += k;
			n -= k;
			if (ev == S3LIST_ERROR) {
				r->err = l.err;
				if (l.err != ERR_S3_LIST)
					abort();
				break;
			}
			if (ev == S3LIST_KEY)
				key_seen(&l, r);
			else if (n != 0)
				abort();
		}
	}
	if (r->err) {
		if (s3list_push(&l, (const uint8_t *)"<", 1, &ev) != 0 ||
		    ev != S3LIST_ERROR || s3list_end(&l) != ERR_S3_LIST)
			abort();
	} else {
		r->err = s3list_end(&l);
	}
	if (memchr(l.token, 0, sizeof l.token) == NULL)
		abort();
	r->truncated = l.truncated;
	memcpy(r->token, l.token, sizeof r->token);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct result a, b;

	run(data, size, 0, &a);
	run(data, size, 1, &b);
	if (a.err != b.err || a.keys != b.keys || a.h != b.h)
		abort();
	if (a.err == 0 && (a.truncated != b.truncated ||
	    strcmp(a.token, b.token) != 0))
		abort();
	return 0;
}
