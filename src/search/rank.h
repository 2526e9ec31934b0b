/*
 * rank.h - the k best rows of the index's FTS5 table for an OR of terms,
 * by FTS5's own bm25(), without scoring every row that matches.
 *
 * An OR of a sentence's words matches most rows of an index, and bm25()
 * in a query scores each of them before the k best are kept. This module
 * returns the same k rows with the same scores (bit for bit: the same
 * statistics, read from FTS5, and the same arithmetic in the same order)
 * while scoring only the rows that can be among them (MaxScore, Turtle
 * and Flood 1995):
 *
 *   - each term's row count (FTS5's own count, as bm25() takes it), the
 *     row count and the mean length are read first; a term's weight is
 *     its idf, and no row can get more than idf * (k1 + 1) from it;
 *   - the terms are taken rarest first; the rows of the terms taken so
 *     far (the "essential" ones) are scored exactly, every term of the
 *     query counted, through FTS5 (the other terms are looked up in
 *     those rows only: an AND of FTS5's skips, not a scan of their
 *     lists);
 *   - it stops when the sum of the bounds of the terms not taken is below
 *     the k-th best score found: a row that has none of the terms taken
 *     cannot reach it. Otherwise the next rarest terms are taken, and only
 *     their rows not yet scored are scored (a NOT of the terms before).
 *
 * At most `per_group` rows of one group (the index's file) may be kept:
 * a row whose group has that many better ones already is passed over and
 * the next best rows of other groups take its place. The k-th best of
 * what is kept only rises as rows come (the kept rows are a greedy basis
 * of a partition matroid cut at k), so it bounds what is scored as above.
 *
 * A term's row count costs a walk of its whole list (15 to 20% of a long
 * sentence's query): the counts of terms in many rows are kept between
 * queries on one connection for as long as the file is the same (PRAGMA
 * data_version, which another connection's commit moves, and the
 * connection's own count of changes: any write drops them all), so a
 * service that answers many queries counts a common word once. They are
 * the counts FTS5 would make: the same scores to the bit. (A commit that
 * lands between a query's statements, its statistics and its rounds, is
 * seen by the later ones, kept counts or not.)
 *
 * A term in more than half the rows has an idf of 1e-6 in bm25() (its
 * clamp): it is taken only when fewer than k rows have any rarer term.
 * Ties in score go to the lower rowid, as in `ORDER BY bm25(..), rowid`.
 *
 * The MATCH expressions are made here from terms already made by the
 * tokenizer, each quoted (a quote doubled), joined by OR, AND, NOT and
 * parentheses of ours; no byte of a term is read as FTS5 syntax.
 */
#ifndef RANK_H
#define RANK_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "sqlite3.h"
#include "tokenize.h"

/* bm25()'s constants (FTS5's, fixed in its code) */
#define RANK_K1 1.2
#define RANK_B  0.75
#define RANK_TERMS_MAX 128      /* = INDEX_TERMS_MAX */

/* Register the auxiliary function rank needs on db (once per connection).
 * Returns an SQLite result code. */
int rank_register(sqlite3 *db);

/* The two statements rank steps, prepared by the caller on its FTS5
 * table (named fts here; see RANK_SQL_*), and its scratch. */
#define RANK_SQL_STATS "SELECT rd_rank(fts, ?2) FROM fts WHERE fts MATCH ?1" \
	" LIMIT 1"
#define RANK_SQL_ROWS "SELECT rowid, rd_rank(fts, ?2) FROM fts" \
	" WHERE fts MATCH ?1"
/* the file's version as other connections' commits move it */
#define RANK_SQL_VERSION "PRAGMA data_version"

/* One row kept: its rowid, its score (bm25, higher is better) and its
 * group (rank_keep_fn's; 0 when no function was given). */
struct rank_row {
	int64_t rowid;
	double score;
	int64_t group;
};

/* Says whether a row may be returned (a filter): 1 yes, 0 no, or a
 * negative value to stop with an error; on 1, *group gets the row's group
 * (what rank_topk's per_group counts). */
typedef int (*rank_keep_fn)(void *ctx, int64_t rowid, int64_t *group);

/* What a query did (for tests and `make bench`). */
struct rank_stats {
	unsigned rounds;                /* FTS5 queries that scored rows */
	uint64_t scored;                /* rows scored */
	uint64_t postings;              /* the terms' row counts, summed */
	unsigned essential;             /* terms whose rows were scored */
};

/* Rows the first round may take: enough to find k good rows in most
 * queries, few enough to score in a few milliseconds. */
#define RANK_FIRST_ROWS 4096

/* Terms whose row counts are kept between queries: those in at least
 * RANK_KEEP_ROWS rows (a rarer term's count is a short walk), at most
 * RANK_KEEP_SLOTS * 3 / 4 (then all are dropped and kept anew). */
#define RANK_KEEP_ROWS  256
#define RANK_KEEP_SLOTS 512

/* The kept counts: an open-addressed table of terms (rank.c). */
struct rank_count {
	int64_t df;
	uint8_t len;                    /* 0: an empty slot */
	char t[TOK_MAX];
};
struct rank_counts {
	sqlite3_int64 version[2];       /* data_version, total changes */
	size_t n;
	struct rank_count slot[RANK_KEEP_SLOTS];
};

struct rank {
	sqlite3_stmt *stats, *rows;     /* RANK_SQL_STATS, RANK_SQL_ROWS */
	sqlite3_stmt *version;          /* RANK_SQL_VERSION */
	struct buf expr;                /* a MATCH expression */
	int64_t first_rows;             /* RANK_FIRST_ROWS (tests: fewer) */
	struct rank_counts counts;      /* kept between queries */
};

/*
 * The k best rows (k >= 1, at most *nout on entry: out has room for k) for
 * the OR of the n distinct terms t[i] (len[i] bytes each, as the tokenizer
 * made them), bm25() with the column weights w[0..ncol), ncol <= 2. keep
 * (may be NULL) is asked about a row before it is kept; per_group > 0
 * (with keep) keeps at most that many rows of one group. *nout gets the
 * count, out the rows best first. st (may be NULL) gets the work done.
 * Returns an SQLite result code (SQLITE_OK) or the keep function's
 * negative value.
 */
int rank_topk(struct rank *r, const char (*t)[TOK_MAX], const uint8_t *len,
    size_t n, const double *w, int ncol, size_t k, rank_keep_fn keep,
    void *kctx, size_t per_group, struct rank_row *out, size_t *nout,
    struct rank_stats *st);

#endif
