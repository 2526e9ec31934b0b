/*
 * test_chunkread.c - chunk lines read back (src/search/chunkread.c): lines
 * as `digest --format chunks` writes them, whole, byte by byte and cut at
 * every offset; escapes (short, \uXXXX, surrogate pairs, a lone surrogate
 * as LangChain leaves one); unknown members skipped at any depth; blank
 * lines, CRLF, no final newline; and each malformed line refused with its
 * code and line number.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chunkread.h"
#include "err.h"
#include "t.h"

/* Two lines as the chunk writer makes them (the second with a repeated
 * member order changed and extra members, which a reader must take). */
static const char GOOD[] =
    "{\"repo\":\"o/r\",\"ref\":\"main\",\"commit\":\"0123abcd\","
    "\"path\":\"src/a.c\",\"language\":\"cpp\",\"chunk\":0,\"start_line\":1,"
    "\"end_line\":3,\"text\":\"int\\tx;\\n\\\"q\\\" \\\\ \\/ \\u00e9\\ud83d\\ude00"
    "\\ud800!\",\"tokens\":9,\"id\":\"0123456789abcdef0123456789abcdef\"}\n"
    "\r\n"
    "  {\"extra\":{\"a\":[1,2,{\"b\":null}],\"c\":true},\"id\":"
    "\"fedcba9876543210fedcba9876543210\",\"text\":\"\",\"end_line\":7,"
    "\"start_line\":7,\"chunk\":1,\"path\":\"src/a.c\",\"repo\":\"o/r\","
    "\"n\":-1.5e3}\r\n";

/* The records of an input pushed in pieces of `piece` bytes (0: whole),
 * written as "repo|ref|commit|path|language|chunk|start|end|tokens|id|
 * text;" into out; returns the error code (0) and its line. */
static int
read_all(const char *in, size_t n, size_t piece, char *out, size_t cap,
    uint64_t *line)
{
	struct chunkrd *r = malloc(sizeof *r);
	enum chunkrd_event ev;
	size_t off = 0, k, o = 0;
	int err = 0;

	chunkrd_init(r);
	out[0] = '\0';
	for (;;) {
		size_t step = piece == 0 || piece > n - off ? n - off : piece;
		if (off < n) {
			k = chunkrd_push(r, (const uint8_t *)in + off, step, &ev);
			off += k;
		} else {
			ev = chunkrd_end(r);
			k = 0;
		}
		if (ev == CHUNKRD_ERROR) {
			err = r->err;
			break;
		}
		if (ev == CHUNKRD_RECORD) {
			const struct chunkrd_rec *c = &r->rec;
			o += (size_t)snprintf(out + o, cap - o,
			    "%s|%s|%s|%s|%s|%llu|%llu|%llu|%llu|%s|%.*s;",
			    c->repo, c->ref, c->commit, c->path, c->language,
			    (unsigned long long)c->chunk,
			    (unsigned long long)c->start_line,
			    (unsigned long long)c->end_line,
			    (unsigned long long)c->tokens, c->id,
			    (int)c->text.len, (const char *)c->text.p);
		}
		if (off >= n && k == 0 && ev != CHUNKRD_RECORD)
			break;
	}
	*line = r->lineno;
	chunkrd_free(r);
	free(r);
	return err;
}

static void
test_good(void)
{
	static const char want[] =
	    "o/r|main|0123abcd|src/a.c|cpp|0|1|3|9|"
	    "0123456789abcdef0123456789abcdef|int\tx;\n\"q\" \\ / \xc3\xa9"
	    "\xf0\x9f\x98\x80\xef\xbf\xbd!;"
	    "o/r|||src/a.c||1|7|7|0|fedcba9876543210fedcba9876543210|;";
	char got[1024];
	uint64_t line;
	int bad = 0;

	CHECK(read_all(GOOD, sizeof GOOD - 1, 0, got, sizeof got, &line) == 0,
	    "whole: line %llu", (unsigned long long)line);
	CHECK(strcmp(got, want) == 0, "records: %s", got);
	CHECK(read_all(GOOD, sizeof GOOD - 1, 1, got, sizeof got, &line) == 0 &&
	    strcmp(got, want) == 0, "byte by byte: %s", got);
	for (size_t p = 2; p < sizeof GOOD; p++)
		if (read_all(GOOD, sizeof GOOD - 1, p, got, sizeof got,
		    &line) != 0 || strcmp(got, want) != 0)
			bad++;
	CHECK(bad == 0, "%d piece sizes differ", bad);
	/* no final newline: the last line still counts */
	CHECK(read_all(GOOD, sizeof GOOD - 3, 0, got, sizeof got, &line) == 0 &&
	    strcmp(got, want) == 0, "no final newline");
	CHECK(read_all("", 0, 0, got, sizeof got, &line) == 0 && got[0] == 0,
	    "empty input");
	CHECK(read_all("\n\n  \n", 5, 0, got, sizeof got, &line) == 0 &&
	    got[0] == 0, "blank lines");
}

/* A line that must be refused: its code, at line 2 (after a good one). */
static void
refused(const char *name, const char *bad_line, int code)
{
	char in[4096], got[2048];
	uint64_t line;
	int e;

	snprintf(in, sizeof in, "%.*s%s\n", (int)(strchr(GOOD, '\n') - GOOD + 1),
	    GOOD, bad_line);
	e = read_all(in, strlen(in), 0, got, sizeof got, &line);
	CHECK(e == code && line == 2, "%s: code %d line %llu, want %d at 2", name,
	    e, (unsigned long long)line, code);
	e = read_all(in, strlen(in), 3, got, sizeof got, &line);
	CHECK(e == code && line == 2, "%s in pieces: code %d", name, e);
}

#define BASE "\"repo\":\"o/r\",\"path\":\"p\",\"chunk\":0,\"start_line\":1," \
	"\"end_line\":1,\"id\":\"0123456789abcdef0123456789abcdef\""

static void
test_refused(void)
{
	refused("not json", "hello", ERR_CHUNKS_JSON);
	refused("array", "[1,2]", ERR_CHUNKS_JSON);
	refused("no text", "{" BASE "}", ERR_CHUNKS_FIELD);
	refused("no repo", "{\"path\":\"p\",\"chunk\":0,\"start_line\":1,"
	    "\"end_line\":1,\"text\":\"\",\"id\":"
	    "\"0123456789abcdef0123456789abcdef\"}", ERR_CHUNKS_FIELD);
	refused("text a number", "{" BASE ",\"text\":5}", ERR_CHUNKS_FIELD);
	refused("twice", "{" BASE ",\"text\":\"\",\"text\":\"\"}",
	    ERR_CHUNKS_FIELD);
	refused("bad id", "{\"repo\":\"o/r\",\"path\":\"p\",\"chunk\":0,"
	    "\"start_line\":1,\"end_line\":1,\"id\":\"XYZ\",\"text\":\"\"}",
	    ERR_CHUNKS_FIELD);
	refused("negative line", "{\"repo\":\"o/r\",\"path\":\"p\",\"chunk\":0,"
	    "\"start_line\":-1,\"end_line\":1,\"text\":\"\",\"id\":"
	    "\"0123456789abcdef0123456789abcdef\"}", ERR_CHUNKS_FIELD);
	refused("fraction", "{" BASE ",\"text\":\"\",\"tokens\":1.5}",
	    ERR_CHUNKS_FIELD);
	refused("huge", "{" BASE ",\"text\":\"\",\"tokens\":"
	    "99999999999999999999}", ERR_CHUNKS_FIELD);
	refused("start after end", "{\"repo\":\"o/r\",\"path\":\"p\","
	    "\"chunk\":0,\"start_line\":5,\"end_line\":1,\"text\":\"\",\"id\":"
	    "\"0123456789abcdef0123456789abcdef\"}", ERR_CHUNKS_FIELD);
	refused("bad escape", "{" BASE ",\"text\":\"\\x\"}", ERR_CHUNKS_JSON);
	refused("short \\u", "{" BASE ",\"text\":\"\\u12\"}", ERR_CHUNKS_JSON);
	refused("raw control", "{" BASE ",\"text\":\"a\tb\"}", ERR_CHUNKS_JSON);
	refused("NUL in path", "{\"repo\":\"o/r\",\"path\":\"a\\u0000b\","
	    "\"chunk\":0,\"start_line\":1,\"end_line\":1,\"text\":\"\",\"id\":"
	    "\"0123456789abcdef0123456789abcdef\"}", ERR_CHUNKS_FIELD);
	refused("not UTF-8", "{" BASE ",\"text\":\"\xff\"}", ERR_CHUNKS_JSON);
	refused("unterminated", "{" BASE ",\"text\":\"abc", ERR_CHUNKS_JSON);
	refused("trailing", "{" BASE ",\"text\":\"\"} x", ERR_CHUNKS_JSON);
	refused("missing colon", "{\"repo\" \"o/r\"}", ERR_CHUNKS_JSON);
	refused("bad literal", "{" BASE ",\"text\":\"\",\"x\":nope}",
	    ERR_CHUNKS_JSON);
	refused("mismatched", "{" BASE ",\"text\":\"\",\"x\":[1}}",
	    ERR_CHUNKS_JSON);
	refused("empty repo", "{\"repo\":\"\",\"path\":\"p\",\"chunk\":0,"
	    "\"start_line\":1,\"end_line\":1,\"text\":\"\",\"id\":"
	    "\"0123456789abcdef0123456789abcdef\"}", ERR_CHUNKS_FIELD);
}

static void
test_limits(void)
{
	char *deep = malloc(4096), *big;
	char got[256];
	uint64_t line;
	size_t o = 0, n;
	int e;

	/* nesting past CHUNKRD_DEPTH in a skipped member */
	o = (size_t)snprintf(deep, 4096, "{\"x\":");
	for (int i = 0; i < CHUNKRD_DEPTH + 1; i++)
		deep[o++] = '[';
	for (int i = 0; i < CHUNKRD_DEPTH + 1; i++)
		deep[o++] = ']';
	o += (size_t)snprintf(deep + o, 4096 - o, ",%s,\"text\":\"\"}\n", BASE);
	e = read_all(deep, o, 0, got, sizeof got, &line);
	CHECK(e == ERR_CHUNKS_JSON, "too deep: %d", e);
	free(deep);
	/* a line over CHUNKRD_LINE_MAX, whole and in pieces */
	n = CHUNKRD_LINE_MAX + 100;
	big = malloc(n + 1);
	memset(big, ' ', n);
	big[n] = '\0';
	big[n - 1] = '\n';
	e = read_all(big, n, 0, got, sizeof got, &line);
	CHECK(e == ERR_CHUNKS_LINE && line == 1, "long line whole: %d", e);
	e = read_all(big, n, 65536, got, sizeof got, &line);
	CHECK(e == ERR_CHUNKS_LINE && line == 1, "long line in pieces: %d", e);
	free(big);
}

int
main(void)
{
	test_good();
	test_refused();
	test_limits();
	return T_DONE();
}
