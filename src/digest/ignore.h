/*
 * ignore.h - gitignore-style pattern matching with gitingest's semantics.
 *
 * Patterns follow pathspec 0.12.1's "gitwildmatch" as gitingest 0.3.1 uses it
 * (its ignore rules): paths are relative, '/'-separated,
 * tested without a trailing '/'; a pattern also matches everything below what it
 * matches; no slash = any depth; a trailing slash only = paths *inside* such a dir;
 * an inner slash anchors at the root; "**" spans directories; '*' and '?' never match
 * '/'; [...] classes; '\' escapes; case-sensitive; a leading '!' negates.
 *
 * Where gitingest is nondeterministic (one Python set of patterns, so "last match
 * wins" follows hash order) we use git's order: patterns are evaluated in the order
 * they were added, and the last one that matches decides. Callers add the defaults,
 * then the user's -e patterns, then ignore files shallow-to-deep in file order.
 *
 * Memory: patterns are compiled into an internal array that grows up to
 * IGNORE_MAX_PATTERNS entries of at most IGNORE_PATTERN_MAX bytes each, and at
 * most IGNORE_MAX_BYTES of compiled patterns in all, plus an index of the
 * plain ones (a copy of their literals and hash tables, about 40 bytes a
 * pattern). Matching allocates nothing; a pattern that is one literal name,
 * "*" and a literal suffix, or a literal path costs a hash lookup per path
 * component, any other O(pattern length * path length), whatever the pattern.
 */
#ifndef IGNORE_H
#define IGNORE_H

#include <stddef.h>

#define IGNORE_MAX_PATTERNS 65536   /* across all ignore files of one repository */
#define IGNORE_PATTERN_MAX  4096    /* one pattern, after prefixing with its dir */
#define IGNORE_MAX_BYTES    (32u << 20) /* compiled patterns of one set */

struct ignore_pat;                  /* opaque: see ignore.c */
struct ignore_ix;                   /* opaque: see ignore.c, "index" */

struct ignore {
	struct ignore_pat *pats;
	size_t n, cap;
	size_t bytes;                   /* compiled size, <= IGNORE_MAX_BYTES */
	int has_negation;               /* some pattern starts with '!' */
	struct ignore_ix *ix;           /* the patterns by shape, for
	                                 * ignore_match(); NULL: none yet, or
	                                 * no memory for it (then all by NFA) */
};

void ignore_init(struct ignore *ig);
void ignore_free(struct ignore *ig);
/*
 * Empty ig for another use, as after ignore_init, but the memory that held
 * its patterns and index stays with it: the next ignore_add_defaults (then
 * the rest) fills it without asking the allocator, which a fleet run does
 * for every repository (digest_recycle).
 */
void ignore_clear(struct ignore *ig);

/* Add gitingest's 133 default patterns (spec 7.1). Returns 0 or ERR_NOMEM. */
int ignore_add_defaults(struct ignore *ig);

/* How many patterns ignore_add_defaults() adds (133). */
size_t ignore_default_count(void);

/*
 * Add one pattern exactly as given (after the caller's own normalisation), e.g. a
 * user -e pattern. A leading '!' negates. Patterns pathspec treats as no-ops
 * (blank, '#' comments, "/") are accepted and not stored. Returns 0, ERR_NOMEM,
 * ERR_PATTERN_COUNT (IGNORE_MAX_PATTERNS or IGNORE_MAX_BYTES reached) or
 * ERR_PATTERN (too long, or one pathspec rejects: "!" alone, a trailing
 * backslash, a reversed range such as "[z-a]"; gitingest would abort the run).
 */
int ignore_add(struct ignore *ig, const char *pat, size_t len);

/*
 * Remove every pattern whose text equals pat exactly (gitingest: an include pattern
 * removes the identical string from the ignore set, e.g. -i node_modules).
 */
void ignore_remove(struct ignore *ig, const char *pat, size_t len);

/*
 * Parse the bytes of a .gitignore or .gitingestignore found in directory dir
 * (relative to the root, "" for the root) the way gitingest does (spec 7.4): each
 * line whitespace-stripped, blank and '#' lines skipped, leading '!' kept as the
 * negation, a leading '/' removed and NOT re-anchored, the pattern prefixed with
 * "dir/" and path-normalised as pathlib does (empty and "." components dropped, so
 * a trailing '/' goes; ".." is kept). Lines end at "\n", "\r\n" or a lone "\r".
 * Lines that are not valid UTF-8, and patterns ignore_add() calls ERR_PATTERN,
 * are skipped (gitingest aborts the whole run; we warn instead: *bad_lines counts
 * them, may be NULL). Returns 0, ERR_NOMEM or ERR_PATTERN_COUNT.
 */
int ignore_add_file(struct ignore *ig, const char *dir, size_t dirlen,
    const char *data, size_t len, size_t *bad_lines);

/*
 * Does path (relative, no trailing '/') match the set? Returns 1 if the last
 * matching pattern is a plain one (excluded), 0 if none matches or the last match
 * is a negation. Only the path itself is tested: callers that want "an excluded
 * directory hides everything below it" test each ancestor first (as gitingest's
 * walk does: excluded directories are not descended).
 */
int ignore_match(const struct ignore *ig, const char *path, size_t len);

/* ignore_match() without the index: every pattern through its NFA. The same
 * answer, for tests to hold the index to. */
int ignore_match_nfa(const struct ignore *ig, const char *path, size_t len);

/*
 * Split a user -i/-e argument the way gitingest does (spec 7.3): on commas and
 * whitespace (Python's, Unicode included), empty pieces dropped, '\' turned into
 * '/'. Calls fn once per piece (in a scratch buffer, not NUL-terminated); stops
 * and returns fn's first non-zero result, or ERR_PATTERN for a piece longer than
 * IGNORE_PATTERN_MAX.
 */
int ignore_split_user(const char *arg, size_t len,
    int (*fn)(void *ctx, const char *pat, size_t len), void *ctx);

/* 1 if the single pattern pat matches path; a leading '!' is dropped (the match
 * is reported, not inverted); no-op and invalid patterns never match. For tests
 * and for include lists. */
int ignore_match_one(const char *pat, size_t patlen, const char *path, size_t len);

#endif
