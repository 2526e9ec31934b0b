/*
 * ftstok.h - the search tokenizer (tokenize.h) inside SQLite's FTS5, and
 * text tokenized outside it the way an index's own tokenizer does.
 *
 * ftstok_register() adds the tokenizer "code" to a connection; an FTS5
 * table names it with its mode: tokenize='code one' (or parts, separate).
 * Documents are tokenized by tok_text(). Query strings are taken as one
 * term each, lower-cased (tok_lower): index_query builds them from tokens
 * tok_text() already made, quoted one by one, so reading them back whole
 * is what keeps a term like "utf8" one term instead of a phrase of its
 * parts.
 */
#ifndef FTSTOK_H
#define FTSTOK_H

#include <stddef.h>
#include <stdint.h>

#include "sqlite3.h"
#include "tokenize.h"

/* The connection's FTS5 API (the documented way: SELECT fts5(?1)), or
 * NULL when FTS5 is missing or older than version 3 of its API. */
fts5_api *ftstok_fts5(sqlite3 *db);

/* Register "code" on db. Returns an SQLite result code. */
int ftstok_register(sqlite3 *db);

/*
 * A tokenizer spec as stored in an index: "code one", "code parts",
 * "code separate", "unicode61", or "porter code one" (FTS5's porter
 * stemmer around "code one": FTS5 stems each token of a document and
 * each term of a MATCH, so the terms are made as "code one" makes them
 * and ftstok_text() gives code's tokens unstemmed).
 */
struct ftstok {
	int code;                       /* 1: ours; 0: FTS5's unicode61 */
	enum tok_mode mode;             /* ours: positions */
	sqlite3 *db;                    /* unicode61: the connection */
};

/* Parse spec into t (db is kept for unicode61). 0, or -1 if unknown. */
int ftstok_parse(struct ftstok *t, const char *spec, sqlite3 *db);

/*
 * Tokenize p[0..n) as t's documents are, calling fn for each token (flags:
 * TOK_COLOCATED). Returns 0, fn's non-zero value, or an SQLite error code
 * (unicode61 could not be found or made).
 */
int ftstok_text(const struct ftstok *t, const uint8_t *p, size_t n,
    tok_fn fn, void *ctx);

#endif
