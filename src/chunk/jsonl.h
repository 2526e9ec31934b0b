/*
 * jsonl.h - --format chunks: each file's text split as LangChain splits it
 * (split.h), written as one JSON object per chunk and line:
 *
 *   {"repo","ref","commit","path","language","chunk","start_line","end_line",
 *    "text","tokens","id"}
 *
 * Push-style, file by file: chunkw_begin(path), the text in any number of
 * chunkw_data() pieces, chunkw_end() splits and writes that file's chunks.
 * Only the current file's text is held (as UTF-16, the unit LangChain counts
 * in), so memory follows the largest file, not the repository.
 *
 * The text field is JSON as JSON.stringify() writes it. Where LangChain cuts
 * a surrogate pair in two (a run of astral-plane characters longer than a
 * chunk, with no separator in it), the lone half is written as a \uXXXX
 * escape: valid JSON that parses back to LangChain's exact string.
 */
#ifndef JSONL_H
#define JSONL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "digest.h"
#include "out.h"
#include "split.h"

/* Largest file text split, in bytes; past it the file is an ERR_LIMIT. */
#define CHUNKW_MAX_FILE (64u << 20)

/* What every line carries besides the chunk (borrowed, must outlive w). */
struct chunkw_meta {
	const char *repo;               /* "owner/repo", or the digest's root name */
	const char *ref;                /* branch or tag asked for, or "" */
	const char *commit;             /* commit id from the archive, or "" */
};

struct chunkw_pipe;

struct chunkw {
	struct split sp;
	struct out *o;
	struct chunkw_meta meta;
	struct buf path;                /* current file */
	struct buf head;                /* its lines' start, up to "chunk": */
	const struct split_lang *lang;
	uint16_t *u;                    /* its text in UTF-16 code units */
	size_t un, ucap;
	uint8_t carry[4];               /* a UTF-8 sequence cut between pieces */
	size_t ncarry;
	uint64_t bytes;                 /* text bytes of the current file */
	struct buf text;                /* one chunk as UTF-8 (tokens, id) */
	struct buf line;                /* one JSON line */
	uint64_t n;                     /* chunk number within the file */
	uint64_t files, chunks;         /* totals written */
	struct chunkw_pipe *pipe;       /* chunkw_digest's second thread */
};

/*
 * Set up to write to o with chunks of size units and overlap units (see
 * split_init). Returns 0, ERR_USAGE or ERR_NOMEM.
 */
int chunkw_init(struct chunkw *w, struct out *o, const struct chunkw_meta *m,
    size_t size, size_t overlap);
void chunkw_free(struct chunkw *w);

/* Start a file: path relative to the root, as in the digest. */
int chunkw_begin(struct chunkw *w, const char *path, size_t n);
/* Append text (UTF-8; any split). Returns 0, ERR_NOMEM or ERR_LIMIT. */
int chunkw_data(struct chunkw *w, const uint8_t *p, size_t n);
/* Split the file and write its lines. Returns 0 or the output's error. */
int chunkw_end(struct chunkw *w);

/* Every kept text file of a finished digest, in digest order
 * (digest_each_text). Token estimates and ids are computed on a second
 * thread once the chunks fill a first batch (the calling thread estimates
 * part of a batch while that thread is still busy with the one before); the
 * output is written only by that thread until this returns. Returns 0 or the
 * first error. */
int chunkw_digest(struct chunkw *w, struct digest *d);

/* All of it at once: a writer on the heap over a finished digest, to o.
 * Returns 0, the first error, or o's error. */
int chunkw_render(struct out *o, const struct chunkw_meta *m, size_t size,
    size_t overlap, struct digest *d);

/* Bytes as a JSON string (quotes included) appended to b: valid UTF-8 as
 * it is, '"', '\\' and control bytes escaped, any other byte as U+FFFD. */
void chunkw_json_str(struct buf *b, const char *s, size_t n);

/* The stable id of a chunk: hex of the first 16 bytes of SHA-256 over repo,
 * path, chunk number and text, each preceded by its length. out gets 33 bytes. */
void chunkw_id(const char *repo, const char *path, size_t pathlen, uint64_t n,
    const uint8_t *text, size_t tlen, char out[33]);

#endif
