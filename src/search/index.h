/*
 * index.h - the search index: chunks (chunk/jsonl.h's records) in an SQLite
 * file of their own, ranked by FTS5's bm25() over their path and text.
 *
 * The file (README, "Search"; design.md): an FTS5 table over path and text,
 * contentless (the index holds no copy of the text; a row is deleted by
 * giving FTS5 its path and text again, from the stored copy, so that its
 * row count and lengths, which bm25() reads, stay exact), tokenized by
 * ftstok.h's "code" tokenizer (or
 * FTS5's unicode61, chosen when the file is made); beside it the chunks'
 * metadata and their text, LZ4-compressed, in plain tables:
 *
 *   repos  (project, repo, ref) -> commit, when indexed
 *   files  (repo, path) -> language, hash, chunk count
 *   chunks file, position, chunk number, start/end line, chunk id, tokens,
 *          text (LZ4 block, or raw when that is not smaller)
 *   meta   the tokenizer, the path weight
 *
 * PRAGMA user_version is INDEX_VERSION. WAL, so queries read while a
 * writer writes; one writer at a time (a second waits INDEX_BUSY_MS).
 *
 * Adding: one repository (project, repo, ref) at a time, its chunks in
 * order, file by file, inside one transaction: readers see the repository
 * as it was or as it is, never half. A file's chunks are compared with
 * the stored ones as they arrive (id, start and end line); while they are
 * the same nothing is written, so a file whose chunk ids are unchanged
 * (whose hash, SHA-256 over its chunk ids in order, is unchanged) costs
 * reads only. From its first different chunk on, the stored ones are
 * deleted and the new ones added. Files of the repository the source no
 * longer has are deleted when the repository ends.
 *
 * One struct index is one connection: use it from one thread at a time.
 */
#ifndef INDEX_H
#define INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "chunkread.h"
#include "err.h"
#include "ftstok.h"
#include "rank.h"
#include "sha256x.h"
#include "sqlite3.h"
#include "tokenize.h"

#define INDEX_DEFAULT   "repodigest-index.db"
/* 2: the tokenizer makes path tokens (version 1's files are refused: their
 * unchanged chunks would keep version 1's tokens) */
#define INDEX_VERSION   2
#define INDEX_VERSION_S "2"
#define INDEX_BUSY_MS   10000           /* wait for another writer */
#define INDEX_PROJECT   "default"       /* a project when none is named */
/* bm25() weight of the path column (the text's is 1): a file named for
 * what a query asks about is the likely answer (README, "Search") */
#define INDEX_PATH_WEIGHT 4.0
/* Distinct terms a query keeps: more than any question, few enough that
 * a pasted file cannot make one query scan the index hundreds of times. */
#define INDEX_TERMS_MAX 128
#define INDEX_K_MAX     1000            /* most results one query returns */
/* Files one repository may have: a cap on the list of files seen. */
#define INDEX_FILES_MAX ((size_t)1 << 22)

/* The tokenizers an index may be made with (README, "Search"); the
 * others than INDEX_TOK_CODE are there to be compared with it. */
enum index_tokenizer {
	INDEX_TOK_CODE = 0,             /* "code one" (tokenize.h, TOK_ONE) */
	INDEX_TOK_UNICODE61,            /* FTS5's default */
	INDEX_TOK_CODE_PARTS,           /* "code parts" (TOK_PARTS) */
	INDEX_TOK_CODE_SEPARATE,        /* "code separate" (TOK_SEPARATE) */
	INDEX_TOK_CODE_PORTER           /* "porter code one": FTS5's porter
	                                 * stemmer on code's tokens */
};

struct index_opts {
	int create;                     /* make the file when it is absent */
	int readonly;                   /* open for queries only */
	int tokenizer;                  /* enum index_tokenizer: a new file's */
};

/* What a repository's adding did: the work done, counted. */
struct index_stats {
	uint64_t files;                 /* files in the source */
	uint64_t files_unchanged;       /* same chunks: nothing written */
	uint64_t files_added;           /* not indexed before */
	uint64_t files_changed;         /* some chunks replaced */
	uint64_t files_removed;         /* indexed, gone from the source */
	uint64_t chunks;                /* chunks in the source */
	uint64_t chunks_added;          /* written (and tokenized) */
	uint64_t chunks_removed;        /* deleted */
	uint64_t text_bytes;            /* text of the chunks added */
};

enum { S_BEGIN, S_COMMIT, S_ROLLBACK, S_REPO_GET, S_REPO_ADD, S_REPO_SET,
	S_FILE_GET, S_FILE_ADD, S_FILE_SET, S_FILE_LIST, S_FILE_DEL,
	S_CHUNK_CUR, S_CHUNK_ADD, S_CHUNK_TAIL, S_CHUNK_DEL_TAIL, S_FTS_ADD,
	S_FTS_DEL, S_REPO_DEL, S_QUERY, S_QUERY_F, S_RANK_STATS, S_RANK_ROWS,
	S_ROW, S_KEEP, S_FILE_OF, S_RANK_VERSION, S__COUNT };

/* The file being added (see the top comment). */
struct index_file {
	struct buf path;
	int64_t id;                     /* files row, 0 while it has none */
	int same;                       /* its chunks so far are the stored */
	int cur_row;                    /* S_CHUNK_CUR holds the next stored */
	int has_row;                    /* a stored chunk is at the cursor */
	uint64_t seq;                   /* chunks of the file so far */
	char language[32];
	struct sha256x hash;            /* over its chunk ids, in order */
};

struct index {
	sqlite3 *db;
	char path[1024];                /* for messages */
	struct ftstok tok;
	char tok_spec[32];
	double path_weight;
	sqlite3_stmt *st[S__COUNT];
	/* adding one repository */
	int in_repo;
	int64_t repo_id;
	struct index_file f;
	int64_t *seen;                  /* files rows met, for removals */
	size_t nseen, seen_cap;
	struct index_stats stats;
	struct buf lz;                  /* a chunk's text, compressed */
	struct buf unlz;                /* a stored text, inflated */
	/* queries */
	struct rank rank;
	struct rank_stats last;         /* what the last index_query did */
	const struct index_filter *filter;      /* during index_query */
};

/*
 * Open (or make, with o->create) the index at path. Errors name path:
 * ERR_INDEX (SQLite's message in the detail), ERR_INDEX_SCHEMA (a file
 * that is not an index, or one of a newer version), ERR_NOENT (absent,
 * without create).
 */
int index_open(struct index *ix, const char *path, const struct index_opts *o,
    struct err_ctx *ec);
void index_close(struct index *ix);

/* The tokenizer spec ix was made with ("code one", "unicode61"). */
const char *index_tokenizer(const struct index *ix);
/* The spec of an enum index_tokenizer. */
const char *index_tokenizer_spec(int tokenizer);

/*
 * Start adding (project, repo, ref) at commit (each "" allowed but repo):
 * BEGIN IMMEDIATE (waits INDEX_BUSY_MS for another writer: ERR_INDEX_BUSY).
 */
int index_repo_begin(struct index *ix, const char *project, const char *repo,
    const char *ref, const char *commit, struct err_ctx *ec);

/* One chunk of the repository begun, in its source's order. */
struct index_chunk {
	const char *path;
	size_t path_len;
	const char *language;           /* "" when unknown */
	const char *id;                 /* 32 hex digits */
	uint64_t n;                     /* chunk number in its file */
	uint64_t start_line, end_line, tokens;
	const uint8_t *text;
	size_t text_len;
};
int index_repo_chunk(struct index *ix, const struct index_chunk *c,
    struct err_ctx *ec);

/* A stored chunk's record (chunkread.h) as a chunk to add; c points into
 * r, valid until r's next record. */
void index_chunk_of(struct index_chunk *c, const struct chunkrd_rec *r);

/* Finish the repository: its last file, removals, COMMIT. *st (may be
 * NULL) gets the counts. On error everything of it is rolled back. */
int index_repo_end(struct index *ix, struct index_stats *st,
    struct err_ctx *ec);

/* Give the repository up: ROLLBACK, nothing of it kept. */
void index_repo_abort(struct index *ix);

/*
 * Delete (project, repo, ref) and its chunks; *chunks gets how many (0
 * when it was not indexed). One transaction.
 */
int index_delete(struct index *ix, const char *project, const char *repo,
    const char *ref, uint64_t *chunks, struct err_ctx *ec);

/* A query's words as terms: the index's tokenizer's tokens, each once. */
struct index_terms {
	size_t n;
	int dropped;                    /* distinct terms past INDEX_TERMS_MAX */
	uint8_t len[INDEX_TERMS_MAX];
	char t[INDEX_TERMS_MAX][TOK_MAX];
};

/* q[0..n) (any bytes) into terms (none for text without words). */
void index_terms(const struct index *ix, const uint8_t *q, size_t n,
    struct index_terms *t);

/* Tokenize text as the index does (for highlighting). See ftstok_text. */
int index_tokenize(const struct index *ix, const uint8_t *p, size_t n,
    tok_fn fn, void *ctx);

/* Which chunks a query may return; NULL: any. */
struct index_filter {
	const char *project;
	const char *repo;               /* OWNER/REPO, any case */
	const char *path_glob;          /* SQLite GLOB: * ? [..], case kept */
	const char *language;           /* the chunks' language field */
	size_t per_file;                /* at most this many chunks of one
					 * file (0: any number) */
};

/* One result; the pointers are valid during the callback only. */
struct index_hit {
	const char *project, *repo, *ref, *path, *language, *id;
	uint64_t chunk, start_line, end_line;
	double score;                   /* bm25, higher is better */
	const uint8_t *text;
	size_t text_len;
};
typedef int (*index_hit_fn)(void *ctx, const struct index_hit *h);

/* Chunks of one file a query returns unless told otherwise (query
 * --per-file, the service's "per_file"): the next best chunk of another
 * file comes before a file's second; 1 found the most files and ranked
 * them best of 1, 2, 3 and no limit (README, "Search"). */
#define INDEX_PER_FILE  1

/*
 * The k (1..INDEX_K_MAX) best chunks for terms that pass f, best first
 * (at most f->per_file of one file: the next best chunks of other files
 * take the places of the rest):
 * an OR of the terms, each quoted (the user's text never reaches FTS5's
 * query syntax), ranked by bm25() with the path weighted INDEX_PATH_WEIGHT,
 * ties to the chunk added first. Only the chunks that can be among the k
 * best are scored (rank.h); the chunks and scores are those of scoring
 * every match (index_query_full). No terms: no results. fn's non-zero
 * value stops and is returned. ix->last gets what the ranking did.
 */
int index_query(struct index *ix, const struct index_terms *t,
    const struct index_filter *f, size_t k, index_hit_fn fn, void *ctx,
    struct err_ctx *ec);

/* The same answer from FTS5's bm25() over every chunk that has a term
 * (ORDER BY bm25(), rowid LIMIT k): the reference index_query is tested
 * and measured against. */
int index_query_full(struct index *ix, const struct index_terms *t,
    const struct index_filter *f, size_t k, index_hit_fn fn, void *ctx,
    struct err_ctx *ec);

/* Sizes for `make bench`: bytes of the FTS index (its shadow tables'
 * records), of the stored text (compressed) and of the text itself. */
struct index_sizes {
	uint64_t chunks;
	uint64_t fts_bytes;
	uint64_t stored_text_bytes;
	uint64_t text_bytes;
};
int index_sizes(struct index *ix, struct index_sizes *s, struct err_ctx *ec);

#endif
