/*
 * chunkread.h - stored chunks read back: the JSON lines `digest --format
 * chunks` writes (chunk/jsonl.h), one record per line, pushed in pieces of
 * any size as a file, a pipe or an S3 GET delivers them.
 *
 * A line is one JSON object. The fields read are repo, ref, commit, path,
 * language, chunk, start_line, end_line, text, tokens and id; others are
 * skipped (nested up to CHUNKRD_DEPTH). repo, path, text, id (32 lower-case
 * hex digits), chunk, start_line and end_line are required; ref, commit,
 * language and tokens may be absent ("" or 0). The text's escapes are
 * decoded to UTF-8; a lone surrogate (LangChain cuts a pair where a chunk
 * boundary falls inside it) becomes U+FFFD. A line must be UTF-8; blank
 * lines are skipped; the last line may lack its newline (chunkrd_end).
 *
 * The parser does no I/O and keeps one line at most: a line that arrives
 * whole inside one piece is parsed where it lies; otherwise it is gathered
 * in a buffer capped at CHUNKRD_LINE_MAX. Errors are sticky.
 */
#ifndef CHUNKREAD_H
#define CHUNKREAD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* The longest chunk is SPLIT_MAX_SIZE (a million) UTF-16 units; escaped as
 * \uXXXX each is 6 bytes: 6 MB, and the other fields are small. */
#define CHUNKRD_LINE_MAX ((size_t)8 << 20)
#define CHUNKRD_NAME_MAX 256    /* repo, ref (with their NUL) */
#define CHUNKRD_PATH_MAX 4096   /* as sink's paths */
#define CHUNKRD_DEPTH    64     /* nesting of skipped values */

struct chunkrd_rec {
	char repo[CHUNKRD_NAME_MAX];    /* NUL-terminated */
	char ref[CHUNKRD_NAME_MAX];
	char commit[72];
	char path[CHUNKRD_PATH_MAX];
	size_t path_len;
	char language[32];
	char id[33];                    /* 32 hex digits */
	uint64_t chunk, start_line, end_line, tokens;
	struct buf text;                /* decoded, not NUL-terminated */
};

enum chunkrd_event {
	CHUNKRD_MORE = 0,               /* all bytes taken; push more */
	CHUNKRD_RECORD,                 /* r->rec holds one line's record */
	CHUNKRD_ERROR                   /* r->err, r->detail; sticky */
};

struct chunkrd {
	struct buf line;                /* a line cut between pieces */
	uint64_t lineno;                /* 1-based number of the line read */
	int err;                        /* ERR_CHUNKS_*, ERR_NOMEM; sticky */
	char detail[96];                /* which field, what was wrong */
	struct chunkrd_rec rec;
};

void chunkrd_init(struct chunkrd *r);
void chunkrd_free(struct chunkrd *r);

/*
 * Take bytes from p[0..n) up to the end of the next record's line, or all
 * of them. Returns how many were taken and sets *ev: CHUNKRD_RECORD (r->rec
 * is that line's record until the next call: push the rest after reading
 * it), CHUNKRD_MORE or CHUNKRD_ERROR (r->err and r->detail say what, at
 * line r->lineno).
 */
size_t chunkrd_push(struct chunkrd *r, const uint8_t *p, size_t n,
    enum chunkrd_event *ev);

/* End of input: the last line, if it had no newline. */
enum chunkrd_event chunkrd_end(struct chunkrd *r);

#endif
