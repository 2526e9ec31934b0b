/*
 * split.h - LangChain.js's RecursiveCharacterTextSplitter, exactly.
 *
 * The reference is @langchain/textsplitters 1.x (text_splitter.js): the
 * recursive splitter with keepSeparator (pieces are cut just before each
 * separator, by a lookahead regex), lengths in UTF-16 code units (JavaScript's
 * String.length), chunkOverlap by its mergeSplits() window, and chunks trimmed
 * with String.prototype.trim(). createDocuments()'s line numbers are computed
 * as it computes them, including its use of indexOf() to find each chunk, so a
 * chunk whose text also occurs earlier gets the lines LangChain gives it.
 *
 * The text is given as UTF-16 code units (jsonl.c converts each file) because
 * that is the unit every length, cut and position is counted in: a run of
 * astral-plane characters longer than a chunk is cut between the two halves
 * of a surrogate pair, as LangChain cuts it.
 *
 * Memory: the caller owns the text; the splitter holds one merge window of at
 * most chunk_size + 1 pieces (allocated by split_init), whatever the text's
 * length. Recursion is bounded by the separator list (at most SPLIT_MAX_SEPS).
 */
#ifndef SPLIT_H
#define SPLIT_H

#include <stddef.h>
#include <stdint.h>

#define SPLIT_MAX_SEPS    32
#define SPLIT_MAX_SIZE    1000000u      /* largest --chunk-size */
#define SPLIT_DEFAULT_SIZE    1000u
#define SPLIT_DEFAULT_OVERLAP 100u

/* A separator list, as RecursiveCharacterTextSplitter.getSeparatorsForLanguage(). */
struct split_lang {
	const char *name;               /* LangChain's name ("python"), or "text" */
	const char *const *seps;        /* ASCII separators, "" last */
	size_t nseps;
};

/* The language for a file name, from its extension (the table in README.md,
 * "Chunks"); the plain list ("\n\n", "\n", " ", "") when none matches. */
const struct split_lang *split_lang_for_path(const char *path, size_t n);
/* A language by LangChain's name, or NULL. */
const struct split_lang *split_lang_by_name(const char *name);

/* One chunk: units [start, end) of the text, and createDocuments()'s
 * loc.lines (1-based, inclusive). */
struct split_chunk {
	size_t start, end;
	uint64_t line_from, line_to;
};

/* Called once per chunk in order; a non-zero return stops the split and is
 * returned by split_text(). */
typedef int (*split_emit_fn)(void *ctx, const struct split_chunk *c);

struct split_piece;

struct split {
	size_t size, overlap;           /* chunkSize, chunkOverlap (in units) */
	const struct split_lang *lang;
	/* the text being split (borrowed for the duration of split_text) */
	const uint16_t *t;
	size_t n;
	/* mergeSplits()'s currentDoc: a ring of piece starts and lengths */
	struct split_piece *win;
	size_t wcap, whead, wcount, wtotal;
	/* createDocuments()'s running state */
	int64_t prev_idx;               /* indexOf() result for the last chunk */
	size_t prev_len;
	int have_prev;
	uint64_t line;
	split_emit_fn emit;
	void *ctx;
};

/*
 * Set up for chunks of size units with overlap units (0 < size <=
 * SPLIT_MAX_SIZE, overlap < size, as LangChain requires). Returns 0,
 * ERR_USAGE for bad numbers, or ERR_NOMEM.
 */
int split_init(struct split *s, size_t size, size_t overlap);
void split_free(struct split *s);

/*
 * Split t[0..n) with lang's separators and call emit for each chunk, as
 * RecursiveCharacterTextSplitter.fromLanguage(lang).createDocuments([text])
 * would produce them. An empty or all-blank text has no chunks. Returns 0 or
 * emit's first non-zero return.
 */
int split_text(struct split *s, const struct split_lang *lang,
    const uint16_t *t, size_t n, split_emit_fn emit, void *ctx);

/* 1 if the unit is one String.prototype.trim() removes. */
int split_is_space(uint16_t u);

#endif
