/*
 * tokenize.c - the search tokenizer. See tokenize.h for the rules.
 *
 * One pass finds an identifier (words joined by single '-'); then its
 * tokens are made from the same bytes: the whole (the parts lower-cased
 * and run together, given up past TOK_MAX), each word's whole, each part.
 * A part's end is found by looking at most two characters ahead, so the
 * work is a few reads of each identifier's bytes and nothing is buffered
 * but one token (TOK_MAX bytes, on the stack).
 *
 * ASCII takes a table; other characters are decoded (strict UTF-8: a byte
 * that does not start a valid sequence is one separator byte) and classed
 * by Python's lower-casing tables: a character with a lower case is a
 * capital, any other character outside the punctuation and symbol blocks
 * below is a lower-case letter (scripts without case, marks, digits of
 * other scripts). That keeps the tables this binary already has; a
 * character misclassed as a letter only joins words that a space would
 * have separated.
 */
#include <string.h>

#include "tokenize.h"
#include "utf16.h"
#include "utf8.h"
#include "utf8enc.h"

/* the word classes C_LOW..C_UND are consecutive (is_word) */
enum { C_SEP, C_LOW, C_UP, C_DIG, C_UND, C_DASH };

/* ASCII classes: letters, digits, '_' and '-' (which joins only between
 * words); everything else separates. */
#define L C_LOW
#define U C_UP
#define D C_DIG
static const uint8_t ascii_class[128] = {
	['0'] = D, D, D, D, D, D, D, D, D, D,
	['A'] = U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U,
	U, U, U, U, U, U,
	['a'] = L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L,
	L, L, L, L, L, L,
	['_'] = C_UND, ['-'] = C_DASH,
};
#undef L
#undef U
#undef D

/* Punctuation, symbol, space and emoji blocks outside ASCII: separators
 * (sorted, inclusive). The letters in Latin-1's symbol half (ª µ º) stay
 * letters. */
static const struct {
	uint32_t lo, hi;
} sep_ranges[] = {
	{ 0x0080, 0x00A9 }, { 0x00AB, 0x00B4 }, { 0x00B6, 0x00B9 },
	{ 0x00BB, 0x00BF }, { 0x00D7, 0x00D7 }, { 0x00F7, 0x00F7 },
	{ 0x2000, 0x206F },     /* general punctuation, spaces */
	{ 0x20A0, 0x20CF },     /* currency */
	{ 0x2190, 0x2BFF },     /* arrows, maths, box drawing, dingbats */
	{ 0x2E00, 0x2E7F },     /* supplemental punctuation */
	{ 0x3000, 0x3004 }, { 0x3008, 0x3020 }, { 0x3030, 0x3030 },
	{ 0xFE10, 0xFE1F }, { 0xFE30, 0xFE6F }, { 0xFEFF, 0xFEFF },
	{ 0xFF00, 0xFF0F }, { 0xFF1A, 0xFF20 }, { 0xFF3B, 0xFF40 },
	{ 0xFF5B, 0xFF65 }, { 0xFFF0, 0xFFFF },
	{ 0x1F000, 0x1FAFF },   /* emoji and pictographs */
};

/* One character: code point, class, length in bytes. */
struct ch {
	uint32_t cp;
	uint8_t cls;
	uint8_t len;
};

static int
is_sep_cp(uint32_t cp)
{
	size_t lo = 0, hi = sizeof sep_ranges / sizeof sep_ranges[0];

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cp < sep_ranges[mid].lo)
			hi = mid;
		else if (cp > sep_ranges[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

/*
 * The character at p[i] (i < n), decoded by the one strict UTF-8 decoder
 * (utf16.h: no overlongs, surrogates or code points past U+10FFFF); a byte
 * that does not start a valid sequence is a separator of length 1, so the
 * text after it is read normally.
 */
static void
ch_at(const uint8_t *p, size_t n, size_t i, struct ch *c)
{
	uint32_t cp;
	int len;

	if (p[i] < 0x80) {
		c->cp = p[i];
		c->cls = ascii_class[p[i]];
		c->len = 1;
		return;
	}
	c->cls = C_SEP;
	c->len = 1;
	c->cp = 0xFFFD;
	if ((len = utf16_dec1(p + i, n - i, &cp)) <= 0)
		return;
	c->cp = cp;
	c->len = (uint8_t)len;
	if (!is_sep_cp(cp))
		c->cls = utf8_lower_cp(cp) != cp ? C_UP : C_LOW;
}

/* A character of a word: letter, digit or '_' (the classes C_LOW to
 * C_UND: one comparison, on every byte of the text). */
static int
is_word(int cls)
{
	return (unsigned)(cls - C_LOW) <= C_UND - C_LOW;
}


/*
 * Append c lower-cased to out[*o] if it fits in cap bytes; 0 if it does
 * not. Final sigma is folded into sigma so both spellings meet.
 */
static int
put_lower(const uint8_t *p, size_t i, const struct ch *c, char *out,
    size_t *o, size_t cap)
{
	uint8_t tmp[4];
	size_t k;
	uint32_t cp;

	if (c->cp < 0x80) {
		if (*o >= cap)
			return 0;
		out[(*o)++] = (char)(c->cls == C_UP ? c->cp + 32 : c->cp);
		return 1;
	}
	cp = utf8_lower_cp(c->cp);
	if (cp == 0x03C2)
		cp = 0x03C3;
	if (cp == c->cp) {
		/* unchanged: copy the input's bytes */
		if (c->len > cap - *o)
			return 0;
		memcpy(out + *o, p + i, c->len);
		*o += c->len;
		return 1;
	}
	k = utf8_encode(cp, tmp);
	if (k > cap - *o)
		return 0;
	memcpy(out + *o, tmp, k);
	*o += k;
	return 1;
}

/*
 * The end of the part that starts at ps (a letter or digit) inside a word
 * ending at we. See tokenize.h for where parts end; the lone trailing 's'
 * keeps a plural acronym whole (URLs, IDs).
 */
static size_t
part_end(const uint8_t *p, size_t we, size_t ps)
{
	struct ch c, d, e, f;
	size_t j, k;

	ch_at(p, we, ps, &c);
	for (j = ps + c.len; j < we; c = d, j += d.len) {
		ch_at(p, we, j, &d);
		if (d.cls == C_UND || (c.cls == C_DIG) != (d.cls == C_DIG) ||
		    (c.cls == C_LOW && d.cls == C_UP))
			break;
		if (c.cls != C_UP || d.cls != C_UP || (k = j + d.len) >= we)
			continue;
		ch_at(p, we, k, &e);
		if (e.cls != C_LOW)
			continue;
		if (e.cp == 's') {
			if (k + 1 >= we)
				continue;
			ch_at(p, we, k + 1, &f);
			if (f.cls != C_LOW)
				continue;
		}
		break;
	}
	return j;
}

/* Skip '_' from i inside a word ending at we: where its next part starts. */
static size_t
skip_und(const uint8_t *p, size_t we, size_t i)
{
	while (i < we && p[i] == '_')
		i++;
	return i;
}

/* How lower_range() takes [s, e): a part, an identifier's whole, a path. */
enum { LR_PART, LR_WHOLE, LR_PATH };

/*
 * [s, e) lower-cased into out (TOK_MAX bytes). A part (LR_PART): cut at
 * TOK_MAX on a character boundary. A whole (LR_WHOLE: '_' and '-' left
 * out) or a path (LR_PATH: every character kept): TOK_MAX + 1 when it
 * does not fit. Returns the length.
 */
static size_t
lower_range(const uint8_t *p, size_t s, size_t e, char *out, int how)
{
	struct ch c;
	size_t o = 0;

	for (size_t i = s; i < e; i += c.len) {
		ch_at(p, e, i, &c);
		if (how == LR_WHOLE && (c.cls == C_UND || c.cls == C_DASH))
			continue;
		if (!put_lower(p, i, &c, out, &o, TOK_MAX))
			return how == LR_PART ? o : TOK_MAX + 1;
	}
	return o;
}

/* The number of parts of [s, e), counting no further than 2. */
static int
parts_upto2(const uint8_t *p, size_t s, size_t e)
{
	int k = 0;

	for (size_t i = skip_und(p, e, s); i < e && k < 2;
	    i = skip_und(p, e, part_end(p, e, i)))
		k++;
	return k;
}

/* Emitting one identifier's tokens: the mode's flags, the first-token rule. */
struct emit {
	tok_fn fn;
	void *ctx;
	enum tok_mode mode;
	int any;                /* a token of this identifier went out */
	size_t count;           /* tokens out so far */
};

/*
 * One token out, with the mode's flag. A token of one ASCII letter or
 * digit is left out (tokenize.h): i, x, n, 0, 1 are in most chunks of code
 * and find nothing; leaving them out made the index a tenth smaller and
 * faster to build, and the retrieval set's ranking no worse (README,
 * "Search"). The identifier's position is then taken by its next token.
 */
static int
emit(struct emit *em, const char *t, size_t n, size_t s, size_t e, int whole)
{
	int fl = 0;

	if (n == 1 && (uint8_t)t[0] < 0x80)
		return 0;
	if (em->any && (em->mode == TOK_ONE ||
	    (em->mode == TOK_PARTS && whole)))
		fl = TOK_COLOCATED;
	em->any = 1;
	em->count++;
	return em->fn(em->ctx, t, n, s, e, fl);
}

/* A '.' or '/' at p[j] with a word right after it: it joins a path. */
static int
path_joiner(const uint8_t *p, size_t n, size_t j)
{
	struct ch c;

	if (j + 1 >= n || (p[j] != '.' && p[j] != '/'))
		return 0;
	if (p[j + 1] < 0x80)
		return is_word(ascii_class[p[j + 1]]);
	ch_at(p, n, j + 1, &c);
	return is_word(c.cls);
}

/* lower_range(p, s, e, out, LR_PATH), ASCII lowered here (most paths) */
static size_t
path_lower(const uint8_t *p, size_t s, size_t e, char *out)
{
	size_t o = 0;

	for (size_t i = s; i < e; i++) {
		if (p[i] >= 0x80)
			return lower_range(p, s, e, out, LR_PATH);
		if (o == TOK_MAX)
			return TOK_MAX + 1;
		out[o++] = (char)(ascii_class[p[i]] == C_UP ? p[i] + 32 : p[i]);
	}
	return o;
}

/*
 * The tokens of a path [s, e): identifiers joined by single '.' or '/'
 * (src/cli/cmd_digest.c, tests/run, os.path.join, LangChain.js). Its last
 * two components as written (lower-cased, every character kept:
 * cli/cmd_digest.c, tests/run, os.path.join), then the last one when it
 * has a '.' (cmd_digest.c): so a search that names a file by its name or
 * its directory and name finds that file's chunks above the ones that
 * only share its words. The longer tails gain nothing on the retrieval
 * set and cost the build a seventh more instructions (long terms that
 * share long prefixes, in FTS5's term hash). A tail of one identifier is
 * not repeated (its tokens are there), one longer than TOK_MAX is left
 * out. They sit at the path's last token's position (colocated: coloc
 * says a token of the path went out).
 */
static int
path(const uint8_t *p, size_t s, size_t e, struct emit *em, int coloc)
{
	char t[TOK_MAX];
	size_t k = s, tn, j, last = e, prev = e;
	int r, dot = 0;

	/* the last two '/' (last, prev), and a '.' after the last */
	for (j = s; j < e; j++)
		if (p[j] == '/') {
			prev = last;
			last = j;
			dot = 0;
		} else if (p[j] == '.') {
			dot = 1;
		}
	if (prev != e)
		k = prev + 1;
	em->any = coloc;
	tn = path_lower(p, k, e, t);
	if (tn <= TOK_MAX && (r = emit(em, t, tn, k, e, 1)) != 0)
		return r;
	if (last == e || !dot)
		return 0;
	tn = path_lower(p, last + 1, e, t);
	return tn <= TOK_MAX ? emit(em, t, tn, last + 1, e, 1) : 0;
}

static int
same(const char *a, size_t an, const char *b, size_t bn)
{
	return an == bn && memcmp(a, b, an) == 0;
}

/*
 * The tokens of the identifier [is, ie): for each word, its first part,
 * the identifier's whole (first word), the word's whole, then the other
 * parts. A whole equal to a token already given is not repeated.
 */
static int
identifier(const uint8_t *p, size_t is, size_t ie, struct emit *em)
{
	char idw[TOK_MAX], ww[TOK_MAX], part[TOK_MAX];
	size_t idn, wn, pn, ws, we, i, pe;
	int r, first_word = 1, words = 0;

	em->any = 0;
	/* the whole counts only with two words that have parts */
	idn = lower_range(p, is, ie, idw, LR_WHOLE);
	for (ws = is; ws < ie && words < 2; ws = we + 1) {
		for (we = ws; we < ie && p[we] != '-'; we++)
			;
		words += parts_upto2(p, ws, we) > 0;
	}
	if (words < 2)
		idn = TOK_MAX + 1;
	for (ws = is; ws < ie; ws = we + 1) {
		for (we = ws; we < ie && p[we] != '-'; we++)
			;
		i = skip_und(p, we, ws);
		if (i >= we)
			continue;
		wn = parts_upto2(p, ws, we) == 2 ?
		    lower_range(p, ws, we, ww, LR_WHOLE) : TOK_MAX + 1;
		pe = part_end(p, we, i);
		pn = lower_range(p, i, pe, part, LR_PART);
		if ((r = emit(em, part, pn, i, pe, 0)) != 0)
			return r;
		if (first_word && idn <= TOK_MAX && !same(idw, idn, part, pn) &&
		    !(wn <= TOK_MAX && same(idw, idn, ww, wn)) &&
		    (r = emit(em, idw, idn, is, ie, 1)) != 0)
			return r;
		first_word = 0;
		if (wn <= TOK_MAX && !same(ww, wn, part, pn) &&
		    (r = emit(em, ww, wn, ws, we, 1)) != 0)
			return r;
		for (i = skip_und(p, we, pe); i < we; i = skip_und(p, we, pe)) {
			pe = part_end(p, we, i);
			pn = lower_range(p, i, pe, part, LR_PART);
			if ((r = emit(em, part, pn, i, pe, 0)) != 0)
				return r;
		}
	}
	return 0;
}

/*
 * The same tokens from one pass, for an identifier of at most ID_FAST
 * bytes (nearly all of them): each character is decoded and classed once,
 * its lower case appended to low[] (nothing for '_' and '-'), so every
 * part and every whole is one slice of low[]. Longer identifiers take the
 * scanning path above, which needs no such arrays.
 */
#define ID_FAST 256

struct idchar {
	uint8_t cls;
	uint8_t is_s;           /* a lower-case 's' (the plural rule) */
	uint16_t off;           /* byte offset in the identifier */
	uint16_t lo;            /* where its lower case starts in low[] */
};

/* 1 if a part ends before character k of a word of n (see part_end). */
static int
boundary(const struct idchar *ch, size_t n, size_t k)
{
	int a = ch[k - 1].cls, b = ch[k].cls;

	if (b == C_UND || (a == C_DIG) != (b == C_DIG) ||
	    (a == C_LOW && b == C_UP))
		return 1;
	if (a != C_UP || b != C_UP || k + 1 >= n || ch[k + 1].cls != C_LOW)
		return 0;
	/* a lone trailing 's' keeps the acronym whole (URLs) */
	return !(ch[k + 1].is_s && (k + 2 >= n || ch[k + 2].cls != C_LOW));
}

/* The end of the part that starts at ps in a word of n characters. A
 * lower-case letter ends a part only after a digit (boundary()'s rules
 * with b a lower-case letter), and most characters are one. */
static size_t
part_end_fast(const struct idchar *ch, size_t n, size_t ps)
{
	size_t k = ps + 1;

	for (; k < n; k++) {
		if (ch[k].cls == C_LOW) {
			if (ch[k - 1].cls == C_DIG)
				break;
		} else if (boundary(ch, n, k)) {
			break;
		}
	}
	return k;
}

/* The length of low[a, z) as a token: cut at TOK_MAX on a character
 * boundary. */
static size_t
cut(const char *low, size_t a, size_t z)
{
	size_t n = z - a;

	if (n <= TOK_MAX)
		return n;
	n = TOK_MAX;
	while (n > 0 && ((uint8_t)low[a + n] & 0xC0) == 0x80)
		n--;
	return n;
}

static int
identifier_fast(const uint8_t *p, size_t is, size_t ie, struct emit *em)
{
	struct idchar ch[ID_FAST + 1];
	char low[ID_FAST * 3 / 2 + 4];
	size_t n = 0, o = 0, k, ws, we, ps, pe, pn, idn, wn;
	int words = 0, first_word = 1, dashes = 0, r;
	struct ch c;

	for (size_t i = is; i < ie; n++) {
		ch[n].off = (uint16_t)(i - is);
		ch[n].lo = (uint16_t)o;
		if (p[i] < 0x80) {
			/* ASCII, most of code: classed and lowered here (put_lower's
			 * rule; 256 bytes always fit in low[]) */
			uint8_t b = p[i++], cls = ascii_class[b];
			ch[n].cls = cls;
			ch[n].is_s = b == 's';
			if (cls != C_UND && cls != C_DASH)
				low[o++] = (char)(cls == C_UP ? b + 32 : b);
			dashes += cls == C_DASH;
			continue;
		}
		ch_at(p, ie, i, &c);
		ch[n].cls = c.cls;
		ch[n].is_s = 0;
		if (c.cls != C_UND && c.cls != C_DASH)
			put_lower(p, i, &c, low, &o, sizeof low);
		i += c.len;
	}
	ch[n].off = (uint16_t)(ie - is);
	ch[n].lo = (uint16_t)o;
	idn = o;
	/* the whole counts only with two words that have parts (without a
	 * '-', most identifiers, there is one word) */
	for (ws = 0; dashes > 0 && ws < n && words < 2; ws = we + 1) {
		for (we = ws; we < n && ch[we].cls != C_DASH; we++)
			;
		words += ch[ws].lo != ch[we].lo;
	}
	if (words < 2)
		idn = TOK_MAX + 1;
	em->any = 0;
	for (ws = 0; ws < n; ws = we + 1) {
		for (we = dashes > 0 ? ws : n; we < n && ch[we].cls != C_DASH;
		    we++)
			;
		for (ps = ws; ps < we && ch[ps].cls == C_UND; ps++)
			;
		if (ps >= we)
			continue;
		pe = part_end_fast(ch, we, ps);
		/* the word's whole: two parts or more, TOK_MAX at most */
		wn = (size_t)(ch[we].lo - ch[ws].lo);
		for (k = pe; k < we && ch[k].cls == C_UND; k++)
			;
		if (k >= we || wn > TOK_MAX)
			wn = TOK_MAX + 1;
		pn = cut(low, ch[ps].lo, ch[pe].lo);
		if ((r = emit(em, low + ch[ps].lo, pn, is + ch[ps].off,
		    is + ch[pe].off, 0)) != 0)
			return r;
		/* the identifier's whole is longer than any of its words and
		 * parts: it is never one of them */
		if (first_word && idn <= TOK_MAX &&
		    (r = emit(em, low, idn, is, ie, 1)) != 0)
			return r;
		first_word = 0;
		if (wn <= TOK_MAX && (r = emit(em, low + ch[ws].lo, wn,
		    is + ch[ws].off, is + ch[we].off, 1)) != 0)
			return r;
		for (;;) {
			for (ps = pe; ps < we && ch[ps].cls == C_UND; ps++)
				;
			if (ps >= we)
				break;
			pe = part_end_fast(ch, we, ps);
			pn = cut(low, ch[ps].lo, ch[pe].lo);
			if ((r = emit(em, low + ch[ps].lo, pn, is + ch[ps].off,
			    is + ch[pe].off, 0)) != 0)
				return r;
		}
	}
	return 0;
}

/* Identifiers found and tokenized; fast: short ones in one pass. */
static int
text(const uint8_t *p, size_t n, enum tok_mode mode, tok_fn fn, void *ctx,
    int fast)
{
	struct emit em = { fn, ctx, mode, 0, 0 };
	struct ch c;
	size_t i = 0, j, ps = 0, pcount = 0;
	int r, pids = 0, low;

	while (i < n) {
		/* ASCII separators are most bytes between identifiers */
		if (p[i] < 0x80 && !is_word(ascii_class[p[i]])) {
			i++;
			continue;
		}
		ch_at(p, n, i, &c);
		if (!is_word(c.cls)) {
			i += c.len;
			continue;
		}
		/* the identifier: words, each '-' between two of them; low
		 * while it is ASCII lower-case letters only */
		j = i;
		low = 1;
		for (;;) {
			while (j < n) {
				if (p[j] < 0x80) {
					uint8_t cls = ascii_class[p[j]];
					if (!is_word(cls))
						break;
					low &= cls == C_LOW;
					j++;
					continue;
				}
				low = 0;
				ch_at(p, n, j, &c);
				if (!is_word(c.cls))
					break;
				j += c.len;
			}
			if (j + 1 >= n || p[j] != '-')
				break;
			ch_at(p, n, j + 1, &c);
			if (!is_word(c.cls))
				break;
			low = 0;
			j++;
		}
		/* a path: identifiers joined by '.' or '/' (path()) */
		if (pids++ == 0) {
			ps = i;
			pcount = em.count;
		}
		/* a word of lower-case ASCII letters (most words of code and
		 * prose) is its one token, as identifier_fast() would make it */
		if (fast && low && j - i <= TOK_MAX) {
			em.any = 0;
			r = emit(&em, (const char *)p + i, j - i, i, j, 0);
		} else {
			r = fast && j - i <= ID_FAST ?
			    identifier_fast(p, i, j, &em) :
			    identifier(p, i, j, &em);
		}
		if (r != 0)
			return r;
		i = j;
		if (path_joiner(p, n, j)) {
			i = j + 1;
			continue;
		}
		if (pids > 1 && (r = path(p, ps, j, &em, em.count > pcount)) !=
		    0)
			return r;
		pids = 0;
	}
	return 0;
}

/* see tokenize.h */
int
tok_text(const uint8_t *p, size_t n, enum tok_mode mode, tok_fn fn,
    void *ctx)
{
	return text(p, n, mode, fn, ctx, 1);
}

/* see tokenize.h */
int
tok_text_scan(const uint8_t *p, size_t n, enum tok_mode mode, tok_fn fn,
    void *ctx)
{
	return text(p, n, mode, fn, ctx, 0);
}

/* see tokenize.h */
size_t
tok_lower(const uint8_t *p, size_t n, char out[TOK_MAX])
{
	struct ch c;
	size_t o = 0;

	for (size_t i = 0; i < n; i += c.len) {
		ch_at(p, n, i, &c);
		if (c.cls == C_SEP && c.len == 1 && p[i] >= 0x80) {
			/* not UTF-8: the byte as it is */
			if (o >= TOK_MAX)
				break;
			out[o++] = (char)p[i];
			continue;
		}
		if (!put_lower(p, i, &c, out, &o, TOK_MAX))
			break;
	}
	return o;
}
