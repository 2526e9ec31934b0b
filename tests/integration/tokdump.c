/*
 * tokdump.c - the search tokenizer's tokens, for tests that compute BM25
 * by themselves (tests/cli/search.sh, in Python) over the same tokens.
 *
 * Usage: tokdump CHUNKS.jsonl   one JSON line per chunk:
 *                               {"path":[[TOKEN,COLOCATED],...],"text":[...]}
 *        tokdump -q TEXT        the tokens of TEXT: [[TOKEN,COLOCATED],...]
 * COLOCATED is 1 for a token at the previous token's position. The tokens
 * are those of the default index ("code one"), made by tok_text() as
 * FTS5 makes them when a chunk is indexed. Exit 1 on a bad input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "chunkread.h"
#include "jsonl.h"
#include "tokenize.h"
#include "../common/slurp.h"

static int
put(void *ctx, const char *t, size_t n, size_t s, size_t e, int fl)
{
	struct buf *b = ctx;

	(void)s, (void)e;
	if (b->len > 0 && b->p[b->len - 1] != '[')
		buf_putc(b, ',');
	buf_putc(b, '[');
	chunkw_json_str(b, t, n);
	buf_puts(b, fl & TOK_COLOCATED ? ",1]" : ",0]");
	return 0;
}

static void
tokens(struct buf *b, const uint8_t *p, size_t n)
{
	buf_putc(b, '[');
	tok_text(p, n, TOK_ONE, put, b);
	buf_putc(b, ']');
}

int
main(int argc, char **argv)
{
	struct chunkrd *rd;
	struct buf b;
	enum chunkrd_event ev;
	uint8_t *p;
	size_t n, off = 0, k;

	buf_init(&b, (size_t)64 << 20);
	if (argc == 3 && strcmp(argv[1], "-q") == 0) {
		tokens(&b, (const uint8_t *)argv[2], strlen(argv[2]));
		printf("%.*s\n", (int)b.len, (const char *)b.p);
		return 0;
	}
	if (argc != 2 || (p = slurp(argv[1], (size_t)256 << 20, &n)) == NULL) {
		fprintf(stderr, "usage: tokdump CHUNKS.jsonl | tokdump -q TEXT\n");
		return 1;
	}
	rd = malloc(sizeof *rd);
	chunkrd_init(rd);
	for (;;) {
		if (off < n) {
			k = chunkrd_push(rd, p + off, n - off, &ev);
			off += k;
		} else {
			ev = chunkrd_end(rd);
		}
		if (ev == CHUNKRD_ERROR) {
			fprintf(stderr, "tokdump: line %llu: %s\n",
			    (unsigned long long)rd->lineno, rd->detail);
			return 1;
		}
		if (ev == CHUNKRD_RECORD) {
			buf_reset(&b);
			buf_puts(&b, "{\"path\":");
			tokens(&b, (const uint8_t *)rd->rec.path,
			    rd->rec.path_len);
			buf_puts(&b, ",\"text\":");
			tokens(&b, rd->rec.text.p, rd->rec.text.len);
			buf_puts(&b, "}\n");
			fwrite(b.p, 1, b.len, stdout);
		} else if (off >= n) {
			break;
		}
	}
	chunkrd_free(rd);
	free(rd);
	free(p);
	buf_free(&b);
	return 0;
}
