/*
 * tokenize.h - the search tokenizer: text (code or prose, UTF-8) into the
 * words a search for an identifier should find.
 *
 * Rules (README, "Search"):
 *   - Letters (ASCII and other scripts), digits and '_' make words; a '-'
 *     between two words joins them into one identifier (kebab-case). Every
 *     other character separates: spaces, punctuation, '.', '/', "::".
 *   - An identifier splits into parts at '_', at '-', at a lower-case letter
 *     followed by a capital (getUser: get, user), before the last capital
 *     of a run followed by a lower-case letter (HTTPServer: http, server;
 *     but URLs stays one part), and between letters and digits (utf8: utf, 8).
 *   - Everything is lower-cased (Python's tables, src/digest/utf8.h).
 *   - Each part is a token; so is each word of two or more parts, and the
 *     whole identifier when it has two or more words, written as its parts
 *     run together: getUserById, get_user_by_id, get-user-by-id and
 *     GetUserByID all give getuserbyid, get, user, by, id.
 *   - A path, identifiers joined by single '.' or '/' (src/cli/cmd_digest.c,
 *     tests/run, os.path.join), gives its last two components as written,
 *     lower-cased, their '_', '-', '.' and '/' kept (cli/cmd_digest.c), and
 *     its last component when that has a '.' (cmd_digest.c). They come
 *     after the path's last identifier's tokens, at its position.
 *   - Tokens are at most TOK_MAX bytes: a longer part is cut (at a character
 *     boundary), a longer whole is left out (its parts are there). A token
 *     of one ASCII letter or digit is left out (x, i, 0: in most chunks of
 *     code, they find nothing); x86 and utf8 stay as wholes.
 *   - Bytes that are not UTF-8 separate, as spaces do.
 *
 * Positions (enum tok_mode): where the whole identifier and its parts sit,
 * for FTS5 (its FTS5_TOKEN_COLOCATED flag: "the same position as the token
 * before"). The order of the calls is the same in every mode: for each word,
 * its first part, then the identifier's whole (first word only), then the
 * word's whole, then the word's other parts.
 *
 * The tokenizer allocates nothing and keeps nothing between calls.
 */
#ifndef TOKENIZE_H
#define TOKENIZE_H

#include <stddef.h>
#include <stdint.h>

/* Longest token in bytes: identifiers are far shorter; a longer run of
 * letters is data (base64, hex), which a search would not name whole. */
#define TOK_MAX 64

/* The token shares the previous token's position (FTS5_TOKEN_COLOCATED). */
#define TOK_COLOCATED 1

enum tok_mode {
	TOK_ONE,        /* one position per identifier: its first token's,
	                 * the others colocated (the index's default) */
	TOK_PARTS,      /* each part its own position, the wholes colocated
	                 * with their first part */
	TOK_SEPARATE    /* every token its own position */
};

/*
 * Called for each token, in order: the token (lower case, not
 * NUL-terminated, n <= TOK_MAX), the byte range [start, end) of the text it
 * comes from, and TOK_COLOCATED or 0. Non-zero stops the tokenizer, which
 * returns that value.
 */
typedef int (*tok_fn)(void *ctx, const char *tok, size_t n, size_t start,
    size_t end, int flags);

/* Tokenize p[0..n) (any bytes) in mode. Returns 0 or fn's non-zero value. */
int tok_text(const uint8_t *p, size_t n, enum tok_mode mode, tok_fn fn,
    void *ctx);

/*
 * The same tokens, every identifier taken by the scanning path that
 * tok_text() keeps for identifiers longer than 256 bytes (tok_text reads
 * shorter ones in one pass into arrays). For tests: the two must agree.
 */
int tok_text_scan(const uint8_t *p, size_t n, enum tok_mode mode, tok_fn fn,
    void *ctx);

/*
 * p[0..n) lower-cased as one token into out (TOK_MAX bytes): what a query
 * term already made by tok_text() is when FTS5 reads it back. Cut at
 * TOK_MAX on a character boundary; bytes that are not UTF-8 are copied.
 * Returns the length.
 */
size_t tok_lower(const uint8_t *p, size_t n, char out[TOK_MAX]);

#endif
