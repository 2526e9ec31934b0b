/*
 * ignore.c - gitignore-style patterns, matched the way gitingest 0.3.1 matches
 * them through pathspec 0.12.1's GitWildMatchPattern.
 *
 * pathspec turns each pattern into a Python regular expression and calls
 * re.match() on the relative path. We do not carry a regex engine: each pattern
 * is translated, at ignore_add() time, into the same expression but as a tiny
 * linear NFA (struct inode), and ignore_match() runs a Thompson simulation over
 * it with two bitsets. Every epsilon edge points forward, so one ascending pass
 * computes a closure; the work per (pattern, path) is O(nodes * path length)
 * whatever the pattern (a*a*a*a*a*b against "aaaa..." included): no
 * backtracking, no memo, no recursion. Before that, a substring search for
 * the longest literal every match must contain rejects most paths cheaply
 * (about 1 us per path for the 133 defaults instead of 60).
 *
 * Data flow: text -> strip/negate/split into '/' segments -> pathspec's
 * normalisation (collapse "**" runs, "**" + "/" override, leading '/' removed,
 * single segment gets a "**" prefix, trailing '/' becomes "**") -> nodes.
 * The translation rules, in regex terms (pathspec 0.12.1):
 *     "**" alone        [^/]+(?:/.*)?       "**" first   (?:.+/)?
 *     "**" last         /.*                 "**" inner   (?:/.+)?
 *     "*"               [^/]+               other glob   * [^/]*  ? [^/]
 *     last non-"**" segment gets (?:/.*)?   "**" + "/"   ^.+/.*$
 * and the regex ends in '$'. Python regex details that show through and that
 * we reproduce on purpose: '.' does not match '\n'; '$' also matches before a
 * final '\n'; a bracket expression is a Python character set, so "[!a]"
 * matches '/' too, a backslash inside brackets is a literal backslash, and a
 * reversed range ("[z-a]") does not compile. Paths and patterns are compared
 * as code points: valid UTF-8 decodes normally, every other byte stands for
 * itself as U+DC80..U+DCFF (Python's surrogateescape, which is how gitingest
 * sees undecodable file names), so '?' eats one character, not one byte.
 *
 * Deliberate differences from gitingest (each would otherwise abort a run or
 * be nondeterministic):
 *   - Order: gitingest keeps all patterns in one Python set, so "last match
 *     wins" follows hash order. We use insertion order, as git does.
 *   - A pattern that pathspec rejects ("!" alone, a trailing unescaped
 *     backslash, a reversed bracket range) raises in gitingest and kills the
 *     whole run. ignore_add() returns ERR_PATTERN; ignore_add_file() skips the
 *     line and counts it in *bad_lines.
 *   - An ignore file that is not UTF-8 aborts gitingest; we skip only the bad
 *     lines and count them.
 *   - Limits: IGNORE_PATTERN_MAX bytes per pattern, IGNORE_MAX_PATTERNS
 *     patterns and IGNORE_MAX_BYTES of compiled patterns per set.
 *
 * Memory: one malloc'd block per pattern (nodes, character-set ranges, text),
 * plus the growing array of struct ignore_pat, all released by ignore_free(),
 * except the default patterns' blocks: compiled once, shared by every set.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "ignore.h"
#include "utf8enc.h"

/* ------------------------------------------------------------ NFA nodes */

enum {
	OP_CHAR,        /* consume one code point of class, go to i+1 */
	OP_STAR,        /* consume any number of class, then go to i+1 */
	OP_OPT,         /* epsilon to i+1 and to arg (arg > i) */
	OP_END          /* regex '$' */
};

enum {
	CL_LIT,         /* arg is the code point */
	CL_NOSLASH,     /* [^/] */
	CL_DOT,         /* Python '.': anything but '\n' */
	CL_SET          /* arg indexes ranges[]: header, then lo/hi pairs */
};

struct inode {
	uint8_t op;
	uint8_t cls;
	uint16_t pad;
	uint32_t arg;
};

#define SET_NEG 0x80000000u     /* in a set header: negated set */

/*
 * Node bound for a pattern of n code points: every code point yields at most
 * one node except "*" and "**" segments and '/', which yield at most two per
 * code point, plus a constant for the "**" prefix, the suffix and END.
 */
#define NODES_FOR(n)  (2 * (n) + 16)
#define NODES_MAX     NODES_FOR(IGNORE_PATTERN_MAX)
#define WORDS_MAX     ((NODES_MAX + 63) / 64 + 1)

struct ignore_pat {
	const struct inode *nodes;
	const uint32_t *ranges;
	const char *text;       /* as added, for ignore_remove() */
	const char *lit;        /* bytes every match contains (filter) */
	uint32_t nnodes;        /* including the END node */
	uint32_t len;           /* of text */
	uint32_t litlen;        /* 0: no filter */
	uint64_t litmask[4];    /* the literal's bytes (litlen 1) or byte pairs
	                         * (litlen >= 2), hashed: see path_mask() */
	int negate;             /* pattern started with '!' */
	int shared;             /* block belongs to the shared defaults */
	size_t bytes;           /* size of the block, for IGNORE_MAX_BYTES */
	void *block;            /* owns nodes, ranges and text */
};

/* ------------------------------------------------------------ characters */

#define DECODE_BAD 0x10000000u  /* flag: byte was not part of valid UTF-8 */

/*
 * Decode one code point from p[0..n) (n >= 1) strictly, as Python's UTF-8
 * codec does: no overlong forms, no surrogates, nothing past U+10FFFF. A byte
 * that does not start a valid sequence stands for U+DC00 + byte, with
 * DECODE_BAD or'ed in. Returns the number of bytes used (1..4).
 */
static size_t
decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	unsigned c = p[0];
	unsigned lo = 0x80, hi = 0xbf;
	size_t need, i;
	uint32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		v = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0;              /* overlong */
		else if (c == 0xed)
			hi = 0x9f;              /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		v = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;              /* overlong */
		else if (c == 0xf4)
			hi = 0x8f;              /* past U+10FFFF */
	} else {
		goto bad;
	}
	if (n < need + 1)
		goto bad;
	for (i = 1; i <= need; i++) {
		unsigned b = p[i];
		if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xbf))
			goto bad;
		v = v << 6 | (b & 0x3f);
	}
	*cp = v;
	return need + 1;
bad:
	*cp = (0xdc00 + c) | DECODE_BAD;
	return 1;
}

/* Python's str.isspace() (used by str.strip() and by \s in re). */
static int
py_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) ||
	    c == 0x85 || c == 0xa0 || c == 0x1680 ||
	    (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
	    c == 0x202f || c == 0x205f || c == 0x3000;
}

/*
 * Python str.strip() on bytes: set *b..*e to the part of p[0..n) without
 * leading and trailing whitespace characters. Undecodable bytes are never
 * whitespace.
 */
static void
strip_bytes(const char *p, size_t n, size_t *b, size_t *e)
{
	size_t i = 0, first = n, last = 0, k;
	uint32_t c;

	while (i < n) {
		k = decode((const unsigned char *)p + i, n - i, &c);
		if (!py_space(c)) {     /* DECODE_BAD values are never space */
			if (first == n)
				first = i;
			last = i + k;
		}
		i += k;
	}
	if (first == n) {
		*b = *e = 0;
		return;
	}
	*b = first;
	*e = last;
}

/* ------------------------------------------------------------ compiler */

/* One '/'-separated piece of the pattern, as code point offsets. */
struct seg {
	uint32_t off, len;
	int dstar;              /* exactly "**" */
};

struct comp {
	uint32_t *cp;           /* the pattern's code points */
	size_t ncp;
	struct inode *nodes;
	size_t nn, nodecap;
	uint32_t *ranges;
	size_t nr, rangecap;
	struct seg *segs;
	size_t nseg;
};

static int
emit(struct comp *c, int op, int cls, uint32_t arg)
{
	if (c->nn >= c->nodecap)
		return ERR_PATTERN;     /* cannot happen: see NODES_FOR() */
	c->nodes[c->nn].op = (uint8_t)op;
	c->nodes[c->nn].cls = (uint8_t)cls;
	c->nodes[c->nn].pad = 0;
	c->nodes[c->nn].arg = arg;
	c->nn++;
	return 0;
}

static int
emit_range(struct comp *c, uint32_t lo, uint32_t hi)
{
	if (c->nr + 2 > c->rangecap)
		return ERR_PATTERN;
	c->ranges[c->nr++] = lo;
	c->ranges[c->nr++] = hi;
	return 0;
}

/*
 * A bracket expression: cp[i..j) is what pathspec copies into the regex after
 * its '[' (and after the negation mark), ending with the closing ']'. Parse
 * it as Python's sre_parse parses a set: a ']' first is literal, "x-y" is a
 * range (an error if y < x), "x-]" is x and '-', everything else literal
 * (backslashes were doubled by pathspec, so they are literal too).
 */
static int
emit_set(struct comp *c, size_t i, size_t j, int neg)
{
	size_t hdr = c->nr, items = 0;
	uint32_t a, b;
	int e;

	if (c->nr + 1 > c->rangecap)
		return ERR_PATTERN;
	c->nr++;
	while (i < j) {
		a = c->cp[i++];
		if (a == ']' && items > 0)
			break;
		if (i < j && c->cp[i] == '-') {
			i++;
			b = c->cp[i++];         /* i < j: ']' closes the set */
			if (b == ']') {
				if ((e = emit_range(c, a, a)) != 0 ||
				    (e = emit_range(c, '-', '-')) != 0)
					return e;
				items += 2;
				break;
			}
			if (b < a)
				return ERR_PATTERN;     /* "bad range" */
			if ((e = emit_range(c, a, b)) != 0)
				return e;
		} else if ((e = emit_range(c, a, a)) != 0) {
			return e;
		}
		items++;
	}
	c->ranges[hdr] = (uint32_t)((c->nr - hdr - 1) / 2) |
	    (neg ? SET_NEG : 0);
	return emit(c, OP_CHAR, CL_SET, (uint32_t)hdr);
}

/* pathspec's _translate_segment_glob() for cp[off..off+len). */
static int
emit_glob(struct comp *c, size_t off, size_t len)
{
	size_t i = off, end = off + len, j;
	uint32_t ch;
	int e, neg;

	while (i < end) {
		ch = c->cp[i++];
		if (ch == '\\') {
			if (i == end)
				return ERR_PATTERN;     /* trailing escape */
			e = emit(c, OP_CHAR, CL_LIT, c->cp[i++]);
		} else if (ch == '*') {
			e = emit(c, OP_STAR, CL_NOSLASH, 0);
		} else if (ch == '?') {
			e = emit(c, OP_CHAR, CL_NOSLASH, 0);
		} else if (ch == '[') {
			j = i;
			if (j < end && (c->cp[j] == '!' || c->cp[j] == '^'))
				j++;
			if (j < end && c->cp[j] == ']')
				j++;
			while (j < end && c->cp[j] != ']')
				j++;
			if (j < end) {
				j++;
				neg = c->cp[i] == '!' || c->cp[i] == '^';
				e = emit_set(c, i + (neg ? 1 : 0), j, neg);
				i = j;
			} else {
				e = emit(c, OP_CHAR, CL_LIT, '[');
			}
		} else {
			e = emit(c, OP_CHAR, CL_LIT, ch);
		}
		if (e != 0)
			return e;
	}
	return 0;
}

/* (?:/.*)? - everything below what the pattern matched. */
static int
emit_below(struct comp *c)
{
	int e;

	if ((e = emit(c, OP_OPT, 0, (uint32_t)c->nn + 3)) != 0 ||
	    (e = emit(c, OP_CHAR, CL_LIT, '/')) != 0)
		return e;
	return emit(c, OP_STAR, CL_DOT, 0);
}

static int
seg_is(const struct comp *c, const struct seg *s, const char *lit)
{
	size_t n = strlen(lit);

	if (s->len != n)
		return 0;
	for (size_t k = 0; k < n; k++)
		if (c->cp[s->off + k] != (unsigned char)lit[k])
			return 0;
	return 1;
}

/* The segment loop of pathspec's pattern_to_regex(). */
static int
emit_segs(struct comp *c)
{
	size_t end = c->nseg - 1, opt;
	int need_slash = 0, e = 0;

	for (size_t i = 0; i < c->nseg && e == 0; i++) {
		struct seg *s = &c->segs[i];

		if (s->dstar && i == 0 && i == end) {
			/* [^/]+(?:/.*)? */
			if ((e = emit(c, OP_CHAR, CL_NOSLASH, 0)) == 0 &&
			    (e = emit(c, OP_STAR, CL_NOSLASH, 0)) == 0)
				e = emit_below(c);
		} else if (s->dstar && i == 0) {
			/* (?:.+/)? */
			opt = c->nn;
			if ((e = emit(c, OP_OPT, 0, 0)) == 0 &&
			    (e = emit(c, OP_CHAR, CL_DOT, 0)) == 0 &&
			    (e = emit(c, OP_STAR, CL_DOT, 0)) == 0 &&
			    (e = emit(c, OP_CHAR, CL_LIT, '/')) == 0)
				c->nodes[opt].arg = (uint32_t)c->nn;
			need_slash = 0;
		} else if (s->dstar && i == end) {
			/* /.* */
			if ((e = emit(c, OP_CHAR, CL_LIT, '/')) == 0)
				e = emit(c, OP_STAR, CL_DOT, 0);
		} else if (s->dstar) {
			/* (?:/.+)? */
			opt = c->nn;
			if ((e = emit(c, OP_OPT, 0, 0)) == 0 &&
			    (e = emit(c, OP_CHAR, CL_LIT, '/')) == 0 &&
			    (e = emit(c, OP_CHAR, CL_DOT, 0)) == 0 &&
			    (e = emit(c, OP_STAR, CL_DOT, 0)) == 0)
				c->nodes[opt].arg = (uint32_t)c->nn;
			need_slash = 1;
		} else {
			if (need_slash)
				e = emit(c, OP_CHAR, CL_LIT, '/');
			if (e == 0 && seg_is(c, s, "*")) {
				/* [^/]+ */
				if ((e = emit(c, OP_CHAR, CL_NOSLASH, 0)) == 0)
					e = emit(c, OP_STAR, CL_NOSLASH, 0);
			} else if (e == 0) {
				e = emit_glob(c, s->off, s->len);
			}
			if (e == 0 && i == end)
				e = emit_below(c);
			need_slash = 1;
		}
	}
	return e;
}

static void
seg_del(struct comp *c, size_t i)
{
	memmove(&c->segs[i], &c->segs[i + 1],
	    (c->nseg - i - 1) * sizeof c->segs[0]);
	c->nseg--;
}

/*
 * pathspec's pattern_to_regex() on cp[0..ncp), which must already be
 * stripped and have its '!' removed. Fills c->nodes (ending in OP_END).
 */
static int
translate(struct comp *c, const uint32_t *cp, size_t n)
{
	size_t i, start;
	int override = 0, e;

	/* Split on '/'. There is room for n + 2 segments (one spare for the
	 * "**" that a single segment gets in front). */
	c->nseg = 0;
	start = 0;
	for (i = 0; i <= n; i++) {
		if (i == n || cp[i] == '/') {
			struct seg *s = &c->segs[c->nseg++];
			s->off = (uint32_t)(cp - c->cp + start);
			s->len = (uint32_t)(i - start);
			s->dstar = s->len == 2 && cp[start] == '*' &&
			    cp[start + 1] == '*';
			start = i + 1;
		}
	}

	/* Collapse runs of "**" segments to one. */
	for (i = c->nseg - 1; i > 0; i--)
		if (c->segs[i - 1].dstar && c->segs[i].dstar)
			seg_del(c, i);

	/* "**" followed by '/' only: everything below the root's entries. */
	if (c->nseg == 2 && c->segs[0].dstar && c->segs[1].len == 0)
		override = 1;

	if (c->segs[0].len == 0) {
		/* Leading '/': relative to the root. */
		seg_del(c, 0);
	} else if (c->nseg == 1 || (c->nseg == 2 && c->segs[1].len == 0)) {
		/* No inner slash: any depth, as if "**" came first. */
		if (!c->segs[0].dstar) {
			memmove(&c->segs[1], &c->segs[0],
			    c->nseg * sizeof c->segs[0]);
			c->segs[0].off = 0;
			c->segs[0].len = 2;
			c->segs[0].dstar = 1;
			c->nseg++;
		}
	}
	if (c->nseg == 0)
		return ERR_PATTERN;     /* "Invalid git pattern" ("!" alone) */

	/* Trailing '/': everything inside, i.e. "**" last. */
	if (c->segs[c->nseg - 1].len == 0 && c->nseg > 1) {
		c->segs[c->nseg - 1].len = 2;
		c->segs[c->nseg - 1].dstar = 1;
	}

	c->nn = 0;
	c->nr = 0;
	if (override) {
		/* ^.+/.*$ */
		if ((e = emit(c, OP_CHAR, CL_DOT, 0)) != 0 ||
		    (e = emit(c, OP_STAR, CL_DOT, 0)) != 0 ||
		    (e = emit(c, OP_CHAR, CL_LIT, '/')) != 0 ||
		    (e = emit(c, OP_STAR, CL_DOT, 0)) != 0)
			return e;
	} else if ((e = emit_segs(c)) != 0) {
		return e;
	}
	return emit(c, OP_END, 0, 0);
}

/*
 * The longest run of literal nodes outside every optional group: any path
 * the regex matches contains those code points in a row, so (encoded back to
 * bytes, surrogate escapes to their raw byte) they must occur in the path's
 * bytes. ignore_match() checks that with a substring search first, which
 * settles most (pattern, path) pairs without running the NFA. Writes the
 * bytes to out (room for 4 per node) and returns their count.
 */
static size_t
required_literal(const struct comp *c, char *out)
{
	size_t i, opt_end = 0, run = 0, best = 0, best_at = 0, o = 0;

	for (i = 0; i < c->nn; i++) {
		const struct inode *nd = &c->nodes[i];

		if (nd->op == OP_OPT && nd->arg > opt_end)
			opt_end = nd->arg;
		if (nd->op == OP_CHAR && nd->cls == CL_LIT && i >= opt_end) {
			if (++run > best) {
				best = run;
				best_at = i + 1 - run;
			}
		} else {
			run = 0;
		}
	}
	for (i = best_at; i < best_at + best; i++) {
		uint32_t v = c->nodes[i].arg;

		if (v >= 0xdc80 && v <= 0xdcff) {
			out[o++] = (char)(v - 0xdc00);
		} else {
			o += utf8_encode(v, (uint8_t *)out + o);
		}
	}
	return o;
}

/*
 * A 256-bit summary of the bytes (n == 1) or of the adjacent byte pairs
 * (n >= 2) of s[0..n). A pattern's literal can occur in a path only if its
 * summary is a subset of the path's: one AND per word settles most of the
 * (pattern, path) pairs that the substring search would, at a fraction of
 * the cost (a repository's own .gitignore adds hundreds of literal patterns,
 * and every path is matched against all of them).
 */
static unsigned
pair_hash(unsigned char a, unsigned char b)
{
	return (a * 31u + b) & 255u;
}

static void
lit_mask(const char *s, size_t n, uint64_t m[4])
{
	const unsigned char *u = (const unsigned char *)s;

	memset(m, 0, 4 * sizeof m[0]);
	if (n == 1)
		m[u[0] >> 6] |= 1ull << (u[0] & 63);
	for (size_t i = 0; i + 1 < n; i++) {
		unsigned h = pair_hash(u[i], u[i + 1]);
		m[h >> 6] |= 1ull << (h & 63);
	}
}

/* The path's summaries: bytes in one[], byte pairs in two[]. */
static void
path_mask(const char *s, size_t n, uint64_t one[4], uint64_t two[4])
{
	const unsigned char *u = (const unsigned char *)s;

	memset(one, 0, 4 * sizeof one[0]);
	memset(two, 0, 4 * sizeof two[0]);
	for (size_t i = 0; i < n; i++) {
		one[u[i] >> 6] |= 1ull << (u[i] & 63);
		if (i + 1 < n) {
			unsigned h = pair_hash(u[i], u[i + 1]);
			two[h >> 6] |= 1ull << (h & 63);
		}
	}
}

/* 0 if p's literal cannot occur in the path summarised by one/two. */
static int
may_match(const struct ignore_pat *p, const uint64_t one[4],
    const uint64_t two[4])
{
	const uint64_t *m = p->litlen == 1 ? one : two;

	if (p->litlen == 0)
		return 1;
	return ((p->litmask[0] & ~m[0]) | (p->litmask[1] & ~m[1]) |
	    (p->litmask[2] & ~m[2]) | (p->litmask[3] & ~m[3])) == 0;
}

/*
 * Compile pat[0..len) into *out (a fresh block). Returns 0, ERR_PATTERN,
 * ERR_NOMEM, or -1 for a pattern that pathspec treats as a no-op (blank,
 * comment, "/"), which is not stored.
 */
static int
compile(const char *pat, size_t len, struct ignore_pat *out)
{
	struct comp c;
	size_t i, n, b, e, nlit;
	const uint32_t *cp;
	int rc, negate = 0;
	char *blk, *lit;

	if (len > IGNORE_PATTERN_MAX)
		return ERR_PATTERN;
	memset(&c, 0, sizeof c);
	/* One scratch allocation: code points, segments, nodes, ranges. */
	c.nodecap = NODES_FOR(len);
	c.rangecap = 3 * len + 4;
	blk = malloc((len + 1) * sizeof(uint32_t) +
	    (len + 3) * sizeof(struct seg) +
	    c.nodecap * sizeof(struct inode) + c.rangecap * sizeof(uint32_t));
	if (blk == NULL)
		return ERR_NOMEM;
	c.nodes = (struct inode *)blk;
	c.ranges = (uint32_t *)(c.nodes + c.nodecap);
	c.cp = c.ranges + c.rangecap;
	c.segs = (struct seg *)(c.cp + len + 1);

	for (i = 0, n = 0; i < len; n++) {
		i += decode((const unsigned char *)pat + i, len - i, &c.cp[n]);
		c.cp[n] &= ~DECODE_BAD;
	}
	c.ncp = n;

	/* A pattern ending in "\ " keeps its trailing space (0.11.2). */
	b = 0;
	e = n;
	while (b < e && py_space(c.cp[b]))
		b++;
	if (!(n >= 2 && c.cp[n - 1] == ' ' && c.cp[n - 2] == '\\'))
		while (e > b && py_space(c.cp[e - 1]))
			e--;
	cp = c.cp + b;
	n = e - b;
	if (n == 0 || cp[0] == '#' || (n == 1 && cp[0] == '/')) {
		free(blk);
		return -1;
	}
	if (cp[0] == '!') {
		negate = 1;
		cp++;
		n--;
	}
	if ((rc = translate(&c, cp, n)) != 0) {
		free(blk);
		return rc;
	}

	/* Final block: nodes, ranges, text, literal. The literal is built in
	 * the code point area, which is no longer needed (4 bytes per cp). */
	lit = (char *)c.cp;
	nlit = required_literal(&c, lit);
	out->bytes = c.nn * sizeof(struct inode) + c.nr * sizeof(uint32_t) +
	    len + 1 + nlit;
	if ((out->block = malloc(out->bytes)) == NULL) {
		free(blk);
		return ERR_NOMEM;
	}
	memcpy(out->block, c.nodes, c.nn * sizeof(struct inode));
	out->nodes = out->block;
	memcpy((char *)out->block + c.nn * sizeof(struct inode), c.ranges,
	    c.nr * sizeof(uint32_t));
	out->ranges = (const uint32_t *)((char *)out->block +
	    c.nn * sizeof(struct inode));
	out->text = (char *)out->block + c.nn * sizeof(struct inode) +
	    c.nr * sizeof(uint32_t);
	memcpy((char *)out->text, pat, len);
	((char *)out->text)[len] = '\0';
	out->lit = out->text + len + 1;
	memcpy((char *)out->lit, lit, nlit);
	out->litlen = (uint32_t)nlit;
	lit_mask(lit, nlit, out->litmask);
	out->nnodes = (uint32_t)c.nn;
	out->len = (uint32_t)len;
	out->negate = negate;
	out->shared = 0;
	free(blk);
	return 0;
}

/* ------------------------------------------------------------ matcher */

static int
class_match(const struct ignore_pat *p, const struct inode *nd, uint32_t ch)
{
	const uint32_t *r;
	uint32_t k, cnt;
	int hit = 0;

	switch (nd->cls) {
	case CL_LIT:
		return ch == nd->arg;
	case CL_NOSLASH:
		return ch != '/';
	case CL_DOT:
		return ch != '\n';
	default:
		r = p->ranges + nd->arg;
		cnt = r[0] & ~SET_NEG;
		for (k = 0; k < cnt && !hit; k++)
			hit = ch >= r[1 + 2 * k] && ch <= r[2 + 2 * k];
		return hit ^ ((r[0] & SET_NEG) != 0);
	}
}

/* Add node j to v and follow its epsilon edges (all point forward). */
static void
closure(const struct ignore_pat *p, uint64_t *v, size_t nw)
{
	for (size_t w = 0; w < nw; w++) {
		uint64_t todo = v[w];
		while (todo) {
			size_t i = w * 64 + (size_t)__builtin_ctzll(todo);
			uint32_t t[2];
			int nt = 0;

			todo &= todo - 1;
			if (p->nodes[i].op == OP_STAR ||
			    p->nodes[i].op == OP_OPT)
				t[nt++] = (uint32_t)i + 1;
			if (p->nodes[i].op == OP_OPT)
				t[nt++] = p->nodes[i].arg;
			for (int k = 0; k < nt; k++) {
				uint64_t bit = 1ull << (t[k] % 64);
				if (v[t[k] / 64] & bit)
					continue;
				v[t[k] / 64] |= bit;
				if (t[k] / 64 == w)
					todo |= bit;
			}
		}
	}
}

/* 1 if lit[0..n) occurs in s[0..len); n > 0. */
static int
contains(const char *s, size_t len, const char *lit, size_t n)
{
	const char *q;

	while (len >= n && (q = memchr(s, lit[0], len - n + 1)) != NULL) {
		if (memcmp(q, lit, n) == 0)
			return 1;
		len -= (size_t)(q - s) + 1;
		s = q + 1;
	}
	return 0;
}

/* re.match(regex, path) is not None. */
static int
pat_match(const struct ignore_pat *p, const char *path, size_t len)
{
	uint64_t a[WORDS_MAX], b[WORDS_MAX], *cur = a, *nxt = b, *t;
	size_t nw = (p->nnodes + 63) / 64, pos = 0, k, endn = p->nnodes - 1;
	uint32_t ch;

	if (p->litlen > 0 && !contains(path, len, p->lit, p->litlen))
		return 0;

	memset(a, 0, nw * sizeof a[0]);
	a[0] = 1;
	closure(p, cur, nw);
	for (;;) {
		if (cur[endn / 64] & (1ull << (endn % 64))) {
			/* '$': at the end, or before a final newline */
			if (pos == len || (pos + 1 == len && path[pos] == '\n'))
				return 1;
		}
		if (pos == len)
			return 0;
		k = decode((const unsigned char *)path + pos, len - pos, &ch);
		ch &= ~DECODE_BAD;
		pos += k;
		memset(nxt, 0, nw * sizeof nxt[0]);
		int any = 0;
		for (size_t w = 0; w < nw; w++) {
			uint64_t bits = cur[w];
			while (bits) {
				size_t i = w * 64 +
				    (size_t)__builtin_ctzll(bits);
				const struct inode *nd = &p->nodes[i];

				bits &= bits - 1;
				if (nd->op != OP_CHAR && nd->op != OP_STAR)
					continue;
				if (!class_match(p, nd, ch))
					continue;
				if (nd->op == OP_CHAR)
					i++;
				nxt[i / 64] |= 1ull << (i % 64);
				any = 1;
			}
		}
		if (!any)
			return 0;
		closure(p, nxt, nw);
		t = cur;
		cur = nxt;
		nxt = t;
	}
}

/* ------------------------------------------------------------ index */

/*
 * A repository's ignore file is mostly patterns of a few shapes, and a path
 * can be tested against every pattern of a shape at once by hash lookups:
 *   "name"       (?:.+/)?LIT(?:/.*)?      a component of the path is LIT
 *   "name/"      (?:.+/)?LIT/.*           a component but the last is LIT
 *   "*suffix"    (?:.+/)?[^/]*LIT(?:/.*)? a component ends in LIT
 *   "*suffix/"   (?:.+/)?[^/]*LIT/.*      a component but the last ends in LIT
 *   "dir/name"   LIT(?:/.*)?              the path is LIT or begins "LIT/"
 *   "dir/name/"  LIT/.*                   the path begins "LIT/"
 *   "*.[ch]"     (?:.+/)?GLOB(?:/.*)?     a component matches GLOB
 *   "*.[ch]/"    (?:.+/)?GLOB/.*          a component but the last does
 *   "dir/a*.o"   LIT/GLOB(?:/.*)?         the path begins "LIT/", and the
 *                                         component after it matches GLOB
 *   "dir/a*.o/"  LIT/GLOB/.*              ... and is not the last
 * LIT being printable ASCII (no '/' in the first four; in the others not
 * first, last or twice in a row), GLOB one component's worth of literals,
 * '?', '*' and classes that cannot match '/' (seg_match()). The shapes are
 * read off the compiled nodes, so they mean what the NFA means for an ASCII
 * path (a glob's '?' and classes take code points) without '\n' ('.' stops
 * at it, '$' matches before a final one) that does not start with '/'
 * (".+/" needs a byte before the slash); other paths go through the NFA for
 * every pattern. The literal tables keep the highest index of a pattern of
 * each of their two kinds per literal, the directory table a list of its
 * globs, highest first. Last match wins, so the answer is the highest index
 * that matches: the tables' best, the any-depth globs above it, then the
 * other patterns ("rest", through the NFA) above that. Git's own tree (485
 * patterns, 13.7k lookups in a digest of its tarball): 740M instructions by
 * NFA for every pattern, most of a digest's work beside inflating; see
 * docs/performance.md for the figures with the index.
 */
enum {
	SH_REST, SH_NAME, SH_NAMEDIR, SH_SUF, SH_SUFDIR, SH_PATH, SH_PATHDIR,
	SH_GLOB, SH_GLOBDIR, SH_DGLOB, SH_DGLOBDIR
};

struct ix_ent {
	uint32_t off, len;      /* the literal, in ix->str; len 0: free slot */
	int32_t any, dir;       /* highest index of the kind, or -1; in the
	                         * directory table, any: the head of the
	                         * directory's list of globs (ix->glob) */
};

/* A glob: its pattern, its nodes [b, e), kind, and in the directory table
 * the next (lower) glob of the same directory, or -1. */
struct ix_glob {
	uint32_t pat, b, e;
	int32_t next;
	int dir;                /* the "/" kind: not the last component */
};

struct ix_tab {
	struct ix_ent *e;
	size_t cap, n;          /* cap a power of two (or 0), n <= cap / 2 */
};

struct ignore_ix {
	struct ix_tab name, suf, path, dirg;
	char *str;              /* the literals, back to back */
	size_t slen, scap;
	struct ix_glob *glob;   /* every glob, directory ones and others */
	size_t nglob, capglob;
	uint32_t *anyg;         /* the any-depth globs (ix->glob), ascending */
	size_t nanyg, capanyg;
	int32_t root;           /* the list of globs at the root ("/x*"), -1 */
	uint32_t *rest;         /* the other patterns' indices, ascending */
	size_t nrest, caprest;
	uint64_t suflens;       /* bit L: some suffix literal has L bytes */
	uint64_t sufhead[4];    /* the first bytes of the suffix literals */
	size_t indexed;         /* patterns [0, indexed) are in */
};

static uint64_t
ix_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3u;
	return h;
}

static struct ix_ent *
ix_find(const struct ignore_ix *x, const struct ix_tab *t, const char *s,
    size_t n)
{
	size_t m, i;

	if (t->cap == 0)
		return NULL;
	m = t->cap - 1;
	for (i = ix_hash(s, n) & m; t->e[i].len != 0; i = (i + 1) & m)
		if (t->e[i].len == n && memcmp(x->str + t->e[i].off, s, n) == 0)
			return &t->e[i];
	return NULL;
}

/* The entry for s in t, made if new; NULL only without memory. */
static struct ix_ent *
ix_put(struct ignore_ix *x, struct ix_tab *t, const char *s, size_t n)
{
	struct ix_ent *e = ix_find(x, t, s, n);
	size_t i, m;

	if (e != NULL)
		return e;
	if (2 * (t->n + 1) > t->cap) {
		size_t nc = t->cap ? 2 * t->cap : 64;
		struct ix_ent *ne = calloc(nc, sizeof *ne);
		if (ne == NULL)
			return NULL;
		for (i = 0; i < t->cap; i++) {
			const struct ix_ent *o = &t->e[i];
			size_t j;
			if (o->len == 0)
				continue;
			for (j = ix_hash(x->str + o->off, o->len) & (nc - 1);
			    ne[j].len != 0; j = (j + 1) & (nc - 1))
				;
			ne[j] = *o;
		}
		free(t->e);
		t->e = ne;
		t->cap = nc;
	}
	if (x->slen + n > x->scap) {
		size_t nc = x->scap ? 2 * x->scap : 1024;
		char *ns;
		while (nc < x->slen + n)
			nc *= 2;
		if ((ns = realloc(x->str, nc)) == NULL)
			return NULL;
		x->str = ns;
		x->scap = nc;
	}
	memcpy(x->str + x->slen, s, n);
	m = t->cap - 1;
	for (i = ix_hash(s, n) & m; t->e[i].len != 0; i = (i + 1) & m)
		;
	e = &t->e[i];
	e->off = (uint32_t)x->slen;
	e->len = (uint32_t)n;
	e->any = -1;
	e->dir = -1;
	x->slen += n;
	t->n++;
	return e;
}

static int
node_is(const struct inode *nd, int op, int cls, uint32_t arg)
{
	return nd->op == op && nd->cls == cls && (cls != CL_LIT ||
	    nd->arg == arg);
}

/*
 * The nodes [i, nn) of p from one component's glob on: where it ends (at the
 * first node that is no literal but '/', '?', '*' of [^/] or class that
 * cannot match '/'), and in *wild whether it has anything but literals.
 */
static size_t
glob_end(const struct ignore_pat *p, size_t i, size_t nn, int *wild)
{
	const struct inode *nd = p->nodes;

	*wild = 0;
	for (; i < nn; i++) {
		if (nd[i].op == OP_CHAR && nd[i].cls == CL_LIT && nd[i].arg != '/')
			continue;
		if (((nd[i].op == OP_CHAR || nd[i].op == OP_STAR) &&
		    nd[i].cls == CL_NOSLASH) || (nd[i].op == OP_CHAR &&
		    nd[i].cls == CL_SET && !class_match(p, &nd[i], '/'))) {
			*wild = 1;
			continue;
		}
		break;
	}
	return i;
}

/*
 * The shape of pattern p (SH_*); its literal into lit (room for
 * IGNORE_PATTERN_MAX bytes), *n its length (the directory's for the
 * directory globs), and a glob's nodes [*gb, *ge).
 */
static int
shape_of(const struct ignore_pat *p, char *lit, size_t *n, size_t *gb,
    size_t *ge)
{
	const struct inode *nd = p->nodes;
	size_t i = 0, nn = p->nnodes, k = 0, g, e;
	int any_depth = 0, wild, sh;

	/* (?:.+/)? in front: OPT to 4, '.', '.*', '/' */
	if (nn >= 4 && nd[0].op == OP_OPT && nd[0].arg == 4 &&
	    node_is(&nd[1], OP_CHAR, CL_DOT, 0) &&
	    node_is(&nd[2], OP_STAR, CL_DOT, 0) &&
	    node_is(&nd[3], OP_CHAR, CL_LIT, '/')) {
		any_depth = 1;
		i = 4;
	}
	if (!any_depth) {
		/* a literal directory (or none: the root), then '/' */
		while (i < nn && nd[i].op == OP_CHAR && nd[i].cls == CL_LIT &&
		    nd[i].arg >= 0x20 && nd[i].arg < 0x7f) {
			if (nd[i].arg == '/' && (k == 0 || lit[k - 1] == '/'))
				return SH_REST;
			lit[k++] = (char)nd[i++].arg;
		}
		/* the last '/' ends the directory; the literal after it is
		 * the glob's (a literal path: no glob at all) */
		while (k > 0 && lit[k - 1] != '/') {
			k--;
			i--;
		}
		if (k > 0) {
			k--;            /* the '/' */
			if (k == 0)
				return SH_REST;
		}
	}
	g = i;
	e = glob_end(p, g, nn, &wild);
	if (e == g)
		return SH_REST;
	if (e + 4 == nn && nd[e].op == OP_OPT && nd[e].arg == e + 3 &&
	    node_is(&nd[e + 1], OP_CHAR, CL_LIT, '/') &&
	    node_is(&nd[e + 2], OP_STAR, CL_DOT, 0) && nd[e + 3].op == OP_END)
		sh = SH_NAME;
	else if (e + 3 == nn && node_is(&nd[e], OP_CHAR, CL_LIT, '/') &&
	    node_is(&nd[e + 1], OP_STAR, CL_DOT, 0) && nd[e + 2].op == OP_END)
		sh = SH_NAMEDIR;
	else
		return SH_REST;
	*gb = g;
	*ge = e;
	if (!any_depth) {
		if (wild) {
			*n = k;
			return sh == SH_NAME ? SH_DGLOB : SH_DGLOBDIR;
		}
		/* a literal path: the directory, '/', the name */
		if (k > 0)
			lit[k++] = '/';
		for (; g < e; g++) {
			if (nd[g].arg < 0x20 || nd[g].arg >= 0x7f)
				return SH_REST;
			lit[k++] = (char)nd[g].arg;
		}
		*n = k;
		return sh == SH_NAME ? SH_PATH : SH_PATHDIR;
	}
	/* any depth: a literal name, "*" and a literal suffix, or a glob */
	if (nd[g].op == OP_STAR && nd[g].cls == CL_NOSLASH)
		g++;
	for (k = 0; g + k < e; k++) {
		const struct inode *c = &nd[g + k];
		if (c->op != OP_CHAR || c->cls != CL_LIT || c->arg < 0x20 ||
		    c->arg >= 0x7f || k >= 63)
			break;
		lit[k] = (char)c->arg;
	}
	if (g + k != e || k == 0)
		return sh == SH_NAME ? SH_GLOB : SH_GLOBDIR;
	*n = k;
	if (g > *gb)
		return sh == SH_NAME ? SH_SUF : SH_SUFDIR;
	return sh;
}

/*
 * A component c[0..n) (ASCII, no '/') against the glob in nodes [b, e) of p
 * (see glob_end()): the usual wildcard match, going back to the last '*'
 * on a miss; O(n * (e - b)) at worst.
 */
static int
seg_match(const struct ignore_pat *p, size_t b, size_t e, const char *c,
    size_t n)
{
	const struct inode *nd = p->nodes;
	size_t i = b, j = 0, si = 0, sj = 0;
	int star = 0;

	while (j < n) {
		if (i < e && nd[i].op == OP_STAR) {
			star = 1;
			si = ++i;
			sj = j;
		} else if (i < e && class_match(p, &nd[i], (unsigned char)c[j])) {
			i++;
			j++;
		} else if (star) {
			i = si;
			j = ++sj;
		} else {
			return 0;
		}
	}
	while (i < e && nd[i].op == OP_STAR)
		i++;
	return i == e;
}

static void
ix_free(struct ignore_ix *x)
{
	if (x == NULL)
		return;
	free(x->name.e);
	free(x->suf.e);
	free(x->path.e);
	free(x->dirg.e);
	free(x->str);
	free(x->rest);
	free(x->glob);
	free(x->anyg);
	free(x);
}

/* n bytes of p in new memory (NULL for none); *bad set without memory. */
static void *
dup_bytes(const void *p, size_t n, int *bad)
{
	void *q;

	if (n == 0)
		return NULL;
	if ((q = malloc(n)) == NULL) {
		*bad = 1;
		return NULL;
	}
	return memcpy(q, p, n);
}

/* A deep copy of x (the arrays at their sizes; growth reallocates them as
 * usual), or NULL without memory. */
static struct ignore_ix *
ix_copy(const struct ignore_ix *x)
{
	struct ignore_ix *c = malloc(sizeof *c);
	const struct ix_tab *from[4] = { &x->name, &x->suf, &x->path, &x->dirg };
	struct ix_tab *to[4];
	int bad = 0;

	if (c == NULL)
		return NULL;
	*c = *x;
	to[0] = &c->name, to[1] = &c->suf, to[2] = &c->path, to[3] = &c->dirg;
	for (int i = 0; i < 4; i++)
		to[i]->e = dup_bytes(from[i]->e, from[i]->cap *
		    sizeof *from[i]->e, &bad);
	c->str = dup_bytes(x->str, x->scap, &bad);
	c->glob = dup_bytes(x->glob, x->capglob * sizeof *x->glob, &bad);
	c->anyg = dup_bytes(x->anyg, x->capanyg * sizeof *x->anyg, &bad);
	c->rest = dup_bytes(x->rest, x->caprest * sizeof *x->rest, &bad);
	if (bad) {
		ix_free(c);
		return NULL;
	}
	return c;
}

/* n elements of elem bytes from src into *dst, whose room *room grows when
 * short: 0, or -1 without memory (*dst unchanged). */
static int
load_arr(void *dst, size_t *room, const void *src, size_t n, size_t elem)
{
	void *p;

	memcpy(&p, dst, sizeof p);
	if (n > *room) {
		if ((p = realloc(p, n * elem)) == NULL)
			return -1;
		memcpy(dst, &p, sizeof p);
		*room = n;
	}
	if (n > 0)
		memcpy(p, src, n * elem);
	return 0;
}

/* src into *dst: a copy (ix_copy), or into the arrays of the index *dst
 * already has (an emptied set's: ignore_clear), so that a set made again
 * and again allocates nothing. Without memory, no index (NULL). */
static void
ix_load(struct ignore_ix **dst, const struct ignore_ix *src)
{
	struct ignore_ix *x = *dst;
	const struct ix_tab *from[4] = { &src->name, &src->suf, &src->path,
	    &src->dirg };
	struct ix_tab *to[4];
	int bad = 0;

	if (x == NULL) {
		*dst = ix_copy(src);
		return;
	}
	to[0] = &x->name, to[1] = &x->suf, to[2] = &x->path, to[3] = &x->dirg;
	/* a table's cap is its size for hashing: from the source; its room
	 * may be larger, which only its growth (a new table) forgets */
	for (int i = 0; i < 4 && !bad; i++) {
		size_t room = to[i]->cap;
		bad |= load_arr(&to[i]->e, &room, from[i]->e, from[i]->cap,
		    sizeof *from[i]->e);
		to[i]->cap = from[i]->cap;
		to[i]->n = from[i]->n;
	}
	bad |= !bad && load_arr(&x->str, &x->scap, src->str, src->slen, 1);
	bad |= !bad && load_arr(&x->glob, &x->capglob, src->glob, src->nglob,
	    sizeof *src->glob);
	bad |= !bad && load_arr(&x->anyg, &x->capanyg, src->anyg, src->nanyg,
	    sizeof *src->anyg);
	bad |= !bad && load_arr(&x->rest, &x->caprest, src->rest, src->nrest,
	    sizeof *src->rest);
	if (bad) {
		ix_free(x);
		*dst = NULL;
		return;
	}
	x->slen = src->slen;
	x->nglob = src->nglob;
	x->nanyg = src->nanyg;
	x->nrest = src->nrest;
	x->root = src->root;
	x->suflens = src->suflens;
	memcpy(x->sufhead, src->sufhead, sizeof x->sufhead);
	x->indexed = src->indexed;
}

/* Empty again (no pattern indexed), its arrays kept. */
static void
ix_clear(struct ignore_ix *x)
{
	struct ix_tab *t[4] = { &x->name, &x->suf, &x->path, &x->dirg };

	for (int i = 0; i < 4; i++) {
		if (t[i]->cap > 0)
			memset(t[i]->e, 0, t[i]->cap * sizeof *t[i]->e);
		t[i]->n = 0;
	}
	x->slen = x->nglob = x->nanyg = x->nrest = 0;
	x->root = -1;
	x->suflens = 0;
	memset(x->sufhead, 0, sizeof x->sufhead);
	x->indexed = 0;
}

/* v[*n] = u, growing v (*cap): 0, or -1 without memory. */
static int
push_u32(uint32_t **v, size_t *n, size_t *cap, uint32_t u)
{
	if (*n == *cap) {
		size_t nc = *cap ? 2 * *cap : 64;
		uint32_t *nv = realloc(*v, nc * sizeof *nv);
		if (nv == NULL)
			return -1;
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = u;
	return 0;
}

/* Pattern i into the index: 0, or -1 without memory. */
static int
ix_add(struct ignore_ix *x, const struct ignore_pat *p, uint32_t i)
{
	char lit[IGNORE_PATTERN_MAX];
	struct ix_ent *e;
	size_t n = 0, gb = 0, ge = 0;
	int sh = shape_of(p, lit, &n, &gb, &ge);

	if (sh == SH_REST)
		return push_u32(&x->rest, &x->nrest, &x->caprest, i);
	if (sh >= SH_GLOB) {
		struct ix_glob *g;
		if (x->nglob == x->capglob) {
			size_t nc = x->capglob ? 2 * x->capglob : 64;
			struct ix_glob *ng = realloc(x->glob, nc * sizeof *ng);
			if (ng == NULL)
				return -1;
			x->glob = ng;
			x->capglob = nc;
		}
		g = &x->glob[x->nglob];
		g->pat = i;
		g->b = (uint32_t)gb;
		g->e = (uint32_t)ge;
		g->dir = sh == SH_GLOBDIR || sh == SH_DGLOBDIR;
		g->next = -1;
		if (sh <= SH_GLOBDIR) {
			if (push_u32(&x->anyg, &x->nanyg, &x->capanyg,
			    (uint32_t)x->nglob))
				return -1;
		} else if (n == 0) {
			g->next = x->root;
			x->root = (int32_t)x->nglob;
		} else {
			if ((e = ix_put(x, &x->dirg, lit, n)) == NULL)
				return -1;
			g->next = e->any;
			e->any = (int32_t)x->nglob;
		}
		x->nglob++;
		return 0;
	}
	e = ix_put(x, sh <= SH_NAMEDIR ? &x->name : sh <= SH_SUFDIR ? &x->suf :
	    &x->path, lit, n);
	if (e == NULL)
		return -1;
	if (sh == SH_SUF || sh == SH_SUFDIR) {
		unsigned char h = (unsigned char)lit[0];
		x->suflens |= 1ull << n;
		x->sufhead[h >> 6] |= 1ull << (h & 63);
	}
	if (sh == SH_NAME || sh == SH_SUF || sh == SH_PATH)
		e->any = (int32_t)i;
	else
		e->dir = (int32_t)i;
	return 0;
}

/*
 * Bring the index up to ig's patterns (after ignore_add and its kin); with
 * no memory for it, there is none (NULL): matching then takes the NFA for
 * everything, which is slower and the same.
 */
static void
ix_sync(struct ignore *ig)
{
	struct ignore_ix *x = ig->ix;

	if (x == NULL) {
		if ((x = calloc(1, sizeof *x)) == NULL)
			return;
		x->root = -1;
		ig->ix = x;
	}
	for (; x->indexed < ig->n; x->indexed++)
		if (ix_add(x, &ig->pats[x->indexed], (uint32_t)x->indexed)) {
			ix_free(x);
			ig->ix = NULL;
			return;
		}
}

static int32_t
ix_max(int32_t a, int32_t b)
{
	return a > b ? a : b;
}

/* The highest index of a glob in the list from g, above best, that
 * matches the component c[0..n) (last: the path's last), or best. */
static int32_t
glob_list(const struct ignore_ix *x, const struct ignore *ig, int32_t g,
    int32_t best, const char *c, size_t n, int last)
{
	for (; g >= 0; g = x->glob[g].next) {
		const struct ix_glob *gl = &x->glob[g];
		if ((int32_t)gl->pat <= best)
			break;
		if ((!gl->dir || !last) &&
		    seg_match(&ig->pats[gl->pat], gl->b, gl->e, c, n))
			return (int32_t)gl->pat;
	}
	return best;
}

/*
 * The highest index of a pattern of the index that matches path (ASCII, no
 * '\n', not starting with '/', len > 0), or -1.
 */
static int32_t
ix_best(const struct ignore_ix *x, const struct ignore *ig, const char *path,
    size_t len)
{
	const struct ix_ent *e;
	uint64_t one[4], two[4];
	int32_t best = -1;
	size_t a = 0, b, cl;
	int masked = 0;

	while (a <= len) {
		int last;
		for (b = a; b < len && path[b] != '/'; b++)
			;
		last = b == len;
		cl = b - a;
		/* the path up to here, then this component */
		if (b > 0 && x->path.n > 0 &&
		    (e = ix_find(x, &x->path, path, b)) != NULL)
			best = ix_max(best, last ? e->any : ix_max(e->any,
			    e->dir));
		if (cl > 0 && x->name.n > 0 &&
		    (e = ix_find(x, &x->name, path + a, cl)) != NULL)
			best = ix_max(best, last ? e->any : ix_max(e->any,
			    e->dir));
		if (cl > 0 && x->suf.n > 0) {
			uint64_t ls = x->suflens & ((cl < 63 ? 2ull << cl : 0) - 1);
			while (ls != 0) {
				size_t l = (size_t)__builtin_ctzll(ls);
				unsigned char h = (unsigned char)path[b - l];
				ls &= ls - 1;
				if (!(x->sufhead[h >> 6] >> (h & 63) & 1) ||
				    (e = ix_find(x, &x->suf, path + b - l, l)) ==
				    NULL)
					continue;
				best = ix_max(best, last ? e->any :
				    ix_max(e->any, e->dir));
			}
		}
		/* the globs of the directory this component is in */
		if (a == 0)
			best = glob_list(x, ig, x->root, best, path, cl, last);
		else if (x->dirg.n > 0 &&
		    (e = ix_find(x, &x->dirg, path, a - 1)) != NULL)
			best = glob_list(x, ig, e->any, best, path + a, cl,
			    last);
		a = b + 1;
	}
	/* the globs at any depth, above best, last first; a glob whose literal
	 * the path lacks cannot match any of its components (the summaries,
	 * path_mask(), made once: most paths match none of the defaults) */
	for (size_t k = x->nanyg; k > 0; k--) {
		const struct ix_glob *gl = &x->glob[x->anyg[k - 1]];
		if ((int32_t)gl->pat <= best)
			break;
		if (ig->pats[gl->pat].litlen > 0) {
			if (!masked) {
				path_mask(path, len, one, two);
				masked = 1;
			}
			if (!may_match(&ig->pats[gl->pat], one, two))
				continue;
		}
		for (a = 0; a <= len; a = b + 1) {
			for (b = a; b < len && path[b] != '/'; b++)
				;
			if ((!gl->dir || b < len) && seg_match(
			    &ig->pats[gl->pat], gl->b, gl->e, path + a, b - a))
				return (int32_t)gl->pat;
		}
	}
	return best;
}

/* ------------------------------------------------------------ the set */

/* gitingest 0.3.1 DEFAULT_IGNORE_PATTERNS (spec 7.1), in its source order. */
static const char *const default_patterns[] = {
	"*.pyc", "*.pyo", "*.pyd", "__pycache__", ".pytest_cache", ".coverage",
	".tox", ".nox", ".mypy_cache", ".ruff_cache", ".hypothesis",
	"poetry.lock", "Pipfile.lock",
	"node_modules", "bower_components", "package-lock.json", "yarn.lock",
	".npm", ".yarn", ".pnpm-store", "bun.lock", "bun.lockb",
	"*.class", "*.jar", "*.war", "*.ear", "*.nar", ".gradle/", "build/",
	".settings/", ".classpath", "gradle-app.setting", "*.gradle",
	".project",
	"*.o", "*.obj", "*.dll", "*.dylib", "*.exe", "*.lib", "*.out", "*.a",
	"*.pdb",
	"*.bin",
	".build/", "*.xcodeproj/", "*.xcworkspace/", "*.pbxuser", "*.mode1v3",
	"*.mode2v3", "*.perspectivev3", "*.xcuserstate", "xcuserdata/",
	".swiftpm/",
	"*.gem", ".bundle/", "vendor/bundle", "Gemfile.lock", ".ruby-version",
	".ruby-gemset", ".rvmrc",
	"Cargo.lock", "**/*.rs.bk",
	"target/",
	"pkg/",
	"obj/", "*.suo", "*.user", "*.userosscache", "*.sln.docstates",
	"*.nupkg",
	"bin/",
	".git", ".svn", ".hg", ".gitignore", ".gitattributes", ".gitmodules",
	"*.svg", "*.png", "*.jpg", "*.jpeg", "*.gif", "*.ico", "*.pdf", "*.mov",
	"*.mp4", "*.mp3", "*.wav",
	"venv", ".venv", "env", ".env", "virtualenv",
	".idea", ".vscode", ".vs", "*.swo", "*.swn", ".settings", "*.sublime-*",
	"*.log", "*.bak", "*.swp", "*.tmp", "*.temp", ".cache", ".sass-cache",
	".eslintcache", ".DS_Store", "Thumbs.db", "desktop.ini",
	"build", "dist", "target", "out", "*.egg-info", "*.egg", "*.whl",
	"*.so",
	"site-packages", ".docusaurus", ".next", ".nuxt",
	"*.db", "*.sqlite", "*.sqlite3",
	"*.min.js", "*.min.css", "*.map", "*.tfstate*", "vendor/",
	"digest.txt",
};

/* see ignore.h */
void
ignore_init(struct ignore *ig)
{
	memset(ig, 0, sizeof *ig);
}

/* see ignore.h */
void
ignore_free(struct ignore *ig)
{
	for (size_t i = 0; i < ig->n; i++)
		if (!ig->pats[i].shared)
			free(ig->pats[i].block);
	free(ig->pats);
	ix_free(ig->ix);
	memset(ig, 0, sizeof *ig);
}

/* see ignore.h */
void
ignore_clear(struct ignore *ig)
{
	for (size_t i = 0; i < ig->n; i++)
		if (!ig->pats[i].shared)
			free(ig->pats[i].block);
	ig->n = 0;
	ig->bytes = 0;
	ig->has_negation = 0;
	if (ig->ix != NULL)
		ix_clear(ig->ix);
}

/* Room for n more patterns in ig. */
static int
reserve(struct ignore *ig, size_t n)
{
	struct ignore_pat *np;
	size_t cap = ig->cap ? ig->cap : 64;

	if (n > IGNORE_MAX_PATTERNS - ig->n)
		return ERR_PATTERN_COUNT;
	if (ig->n + n <= ig->cap)
		return 0;
	while (cap < ig->n + n)
		cap *= 2;
	if (cap > IGNORE_MAX_PATTERNS)
		cap = IGNORE_MAX_PATTERNS;
	if ((np = realloc(ig->pats, cap * sizeof *np)) == NULL)
		return ERR_NOMEM;
	ig->pats = np;
	ig->cap = cap;
	return 0;
}

/*
 * gitingest's defaults, compiled once per process and shared, read-only, by
 * every set: a fleet run used to compile them again for each repository, 270
 * allocations and most of the set-up of a small repository's digest. Never
 * freed (the process's lifetime; still reachable, so not a leak).
 */
static struct ignore defaults_set;
static int defaults_err;
static pthread_once_t defaults_once = PTHREAD_ONCE_INIT;

static void
defaults_build(void)
{
	size_t n = sizeof default_patterns / sizeof default_patterns[0];

	for (size_t i = 0; i < n && defaults_err == 0; i++)
		defaults_err = ignore_add(&defaults_set, default_patterns[i],
		    strlen(default_patterns[i]));
	if (defaults_err != 0) {
		ignore_free(&defaults_set);
		return;
	}
	for (size_t i = 0; i < defaults_set.n; i++)
		defaults_set.pats[i].shared = 1;
}

/* see ignore.h */
int
ignore_add_defaults(struct ignore *ig)
{
	const struct ignore *d = &defaults_set;
	int e;

	pthread_once(&defaults_once, defaults_build);
	if (defaults_err != 0)
		return defaults_err;
	if (d->bytes > IGNORE_MAX_BYTES - ig->bytes)
		return ERR_PATTERN_COUNT;
	if ((e = reserve(ig, d->n)) != 0)
		return e;
	memcpy(ig->pats + ig->n, d->pats, d->n * sizeof *d->pats);
	/* into an empty set (the usual case), the defaults' index too: a copy
	 * costs a tenth of indexing them again (per repository of a fleet) */
	if (ig->n == 0 && (ig->ix == NULL || ig->ix->indexed == 0) &&
	    d->ix != NULL && d->ix->indexed == d->n)
		ix_load(&ig->ix, d->ix);
	ig->n += d->n;
	ig->bytes += d->bytes;
	ig->has_negation |= d->has_negation;
	ix_sync(ig);
	return 0;
}

/* see ignore.h */
size_t
ignore_default_count(void)
{
	return sizeof default_patterns / sizeof default_patterns[0];
}

/* see ignore.h */
int
ignore_add(struct ignore *ig, const char *pat, size_t len)
{
	struct ignore_pat p;
	int e;

	if (len == 0)
		return 0;
	if (ig->n >= IGNORE_MAX_PATTERNS)
		return ERR_PATTERN_COUNT;
	e = compile(pat, len, &p);
	if (e < 0)
		return 0;               /* comment, blank or "/": a no-op */
	if (e != 0)
		return e;
	if (p.bytes > IGNORE_MAX_BYTES - ig->bytes)
		e = ERR_PATTERN_COUNT;
	else
		e = reserve(ig, 1);
	if (e != 0) {
		free(p.block);
		return e;
	}
	ig->pats[ig->n++] = p;
	ig->bytes += p.bytes;
	if (p.negate)
		ig->has_negation = 1;
	ix_sync(ig);
	return 0;
}

/* see ignore.h */
void
ignore_remove(struct ignore *ig, const char *pat, size_t len)
{
	size_t i, j;

	ig->has_negation = 0;
	for (i = 0, j = 0; i < ig->n; i++) {
		struct ignore_pat *p = &ig->pats[i];

		if (p->len == len && memcmp(p->text, pat, len) == 0) {
			ig->bytes -= p->bytes;
			if (!p->shared)
				free(p->block);
			continue;
		}
		if (p->negate)
			ig->has_negation = 1;
		ig->pats[j++] = *p;
	}
	ig->n = j;
	/* indices moved: index again */
	ix_free(ig->ix);
	ig->ix = NULL;
	ix_sync(ig);
}

/* see ignore.h */
int
ignore_match_nfa(const struct ignore *ig, const char *path, size_t len)
{
	uint64_t one[4], two[4];

	path_mask(path, len, one, two);
	/* Last match wins: look from the end and stop at the first hit. */
	for (size_t i = ig->n; i-- > 0;)
		if (may_match(&ig->pats[i], one, two) &&
		    pat_match(&ig->pats[i], path, len))
			return !ig->pats[i].negate;
	return 0;
}

/* Printable ASCII, tab and the rest below 0x20 but '\n': the paths the
 * index knows. */
static int
plain_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80 || s[i] == '\n')
			return 0;
	return 1;
}

/* see ignore.h */
int
ignore_match(const struct ignore *ig, const char *path, size_t len)
{
	const struct ignore_ix *x = ig->ix;
	uint64_t one[4], two[4];
	int32_t best;
	size_t k;

	if (x == NULL || x->indexed != ig->n || len == 0 || path[0] == '/' ||
	    !plain_ascii(path, len))
		return ignore_match_nfa(ig, path, len);
	best = ix_best(x, ig, path, len);
	/* the others above it, last first */
	for (k = x->nrest; k > 0 && (int32_t)x->rest[k - 1] > best; k--) {
		const struct ignore_pat *p = &ig->pats[x->rest[k - 1]];
		if (k == x->nrest)
			path_mask(path, len, one, two);
		if (may_match(p, one, two) && pat_match(p, path, len)) {
			best = (int32_t)x->rest[k - 1];
			break;
		}
	}
	return best >= 0 && !ig->pats[best].negate;
}

/* see ignore.h */
int
ignore_match_one(const char *pat, size_t patlen, const char *path, size_t len)
{
	struct ignore_pat p;
	int r;

	if (compile(pat, patlen, &p) != 0)
		return 0;
	r = pat_match(&p, path, len);
	free(p.block);
	return r;
}

/* ------------------------------------------------------------ files */

/*
 * Append the '/'-separated components of s[0..n) to out as pathlib does when
 * it parses a path: empty and "." components dropped. Returns the new length,
 * or (size_t)-1 if it would pass cap.
 */
static size_t
join_parts(char *out, size_t o, size_t cap, const char *s, size_t n)
{
	size_t i = 0, j;

	while (i < n) {
		for (j = i; j < n && s[j] != '/'; j++)
			;
		if (j > i && !(j - i == 1 && s[i] == '.')) {
			if (o + (o > 0) + (j - i) > cap)
				return (size_t)-1;
			if (o > 0)
				out[o++] = '/';
			memcpy(out + o, s + i, j - i);
			o += j - i;
		}
		i = j + 1;
	}
	return o;
}

/* One line of an ignore file, as gitingest's _parse_ignore_file(). */
static int
add_line(struct ignore *ig, const char *dir, size_t dirlen, const char *s,
    size_t n, size_t *bad)
{
	char buf[IGNORE_PATTERN_MAX + 2];
	size_t b, e, i, k, o;
	uint32_t ch;
	int neg, rc;

	for (i = 0; i < n; i += k) {
		k = decode((const unsigned char *)s + i, n - i, &ch);
		if (ch & DECODE_BAD) {
			(*bad)++;       /* gitingest: UnicodeDecodeError */
			return 0;
		}
	}
	strip_bytes(s, n, &b, &e);
	s += b;
	n = e - b;
	if (n == 0 || s[0] == '#')
		return 0;
	neg = s[0] == '!';
	if (neg) {
		s++;
		n--;
	}
	/* lstrip('/'): "/x" is not re-anchored (spec 7.4) */
	while (n > 0 && s[0] == '/') {
		s++;
		n--;
	}
	/* (base_dir / line).as_posix(), behind the '!' */
	o = neg ? 1 : 0;
	buf[0] = '!';
	b = o;
	if ((o = join_parts(buf + b, 0, IGNORE_PATTERN_MAX, dir, dirlen)) ==
	    (size_t)-1 ||
	    (o = join_parts(buf + b, o, IGNORE_PATTERN_MAX, s, n)) ==
	    (size_t)-1) {
		(*bad)++;
		return 0;
	}
	if (o == 0)
		buf[b + o++] = '.';     /* pathlib's empty path */
	rc = ignore_add(ig, buf, b + o);
	if (rc == ERR_PATTERN) {
		(*bad)++;
		return 0;
	}
	return rc;
}

/* see ignore.h */
int
ignore_add_file(struct ignore *ig, const char *dir, size_t dirlen,
    const char *data, size_t len, size_t *bad_lines)
{
	size_t i = 0, j, bad = 0;
	int rc = 0;

	/* Python text files split lines at "\n", "\r\n" and a lone "\r". */
	while (i < len && rc == 0) {
		for (j = i; j < len && data[j] != '\n' && data[j] != '\r'; j++)
			;
		rc = add_line(ig, dir, dirlen, data + i, j - i, &bad);
		if (j < len && data[j] == '\r' && j + 1 < len &&
		    data[j + 1] == '\n')
			j++;
		i = j + 1;
	}
	if (bad_lines != NULL)
		*bad_lines = bad;
	return rc;
}

/* see ignore.h */
int
ignore_split_user(const char *arg, size_t len,
    int (*fn)(void *ctx, const char *pat, size_t len), void *ctx)
{
	char buf[IGNORE_PATTERN_MAX];
	size_t i = 0, k, n = 0;
	uint32_t ch;
	int rc;

	/* re.split(r"[,\s]+", arg.strip()), empties dropped, '\' -> '/' */
	for (;;) {
		int sep = 1;

		k = 0;
		if (i < len) {
			k = decode((const unsigned char *)arg + i, len - i,
			    &ch);
			sep = ch == ',' || (!(ch & DECODE_BAD) && py_space(ch));
		}
		if (sep) {
			if (n > 0 && (rc = fn(ctx, buf, n)) != 0)
				return rc;
			n = 0;
			if (i >= len)
				return 0;
		} else {
			if (n + k > sizeof buf)
				return ERR_PATTERN;
			for (size_t m = 0; m < k; m++) {
				char x = arg[i + m];
				buf[n++] = x == '\\' ? '/' : x;
			}
		}
		i += k;
	}
}
