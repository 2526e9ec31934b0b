/*
 * split.c - LangChain.js's recursive character splitter. See split.h.
 *
 * The JavaScript builds arrays of strings at every level; we walk positions in
 * the one text instead. That is exact because with keepSeparator every piece
 * is a contiguous run of the text (the lookahead split loses nothing) and the
 * merge joins consecutive pieces with "" (so a chunk is a run too, before its
 * trim). Each level iterates its pieces lazily, and mergeSplits()'s window is
 * flushed before a level recurses, so one window serves every level.
 *
 * Correspondence with text_splitter.js (1.0.2):
 *   _splitText()        -> split_range()
 *   splitOnSeparator()  -> next_cut() (text.split(/(?=SEP)/): a cut before
 *                          every occurrence except at offset 0, occurrences
 *                          may overlap; "" cuts between every code unit)
 *   mergeSplits()       -> merge_push() / merge_flush()
 *   joinDocs().trim()   -> emit_trimmed()
 *   createDocuments()   -> locate() (indexOf from the previous index + 1, and
 *                          the line counter updated from the previous chunk)
 */
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "err.h"
#include "split.h"

struct split_piece {
	size_t start, len;
};

/* ------------------------------------------------------------ languages */

/* getSeparatorsForLanguage(), in LangChain's order (rust lists "\nconst "
 * twice; kept, it changes nothing but keeps the table comparable). */
static const char *const s_text[] = { "\n\n", "\n", " ", "" };
static const char *const s_cpp[] = { "\nclass ", "\nvoid ", "\nint ",
	"\nfloat ", "\ndouble ", "\nif ", "\nfor ", "\nwhile ", "\nswitch ",
	"\ncase ", "\n\n", "\n", " ", "" };
static const char *const s_go[] = { "\nfunc ", "\nvar ", "\nconst ",
	"\ntype ", "\nif ", "\nfor ", "\nswitch ", "\ncase ", "\n\n", "\n", " ",
	"" };
static const char *const s_java[] = { "\nclass ", "\npublic ",
	"\nprotected ", "\nprivate ", "\nstatic ", "\nif ", "\nfor ", "\nwhile ",
	"\nswitch ", "\ncase ", "\n\n", "\n", " ", "" };
static const char *const s_js[] = { "\nfunction ", "\nconst ", "\nlet ",
	"\nvar ", "\nclass ", "\nif ", "\nfor ", "\nwhile ", "\nswitch ",
	"\ncase ", "\ndefault ", "\n\n", "\n", " ", "" };
static const char *const s_php[] = { "\nfunction ", "\nclass ", "\nif ",
	"\nforeach ", "\nwhile ", "\ndo ", "\nswitch ", "\ncase ", "\n\n", "\n",
	" ", "" };
static const char *const s_proto[] = { "\nmessage ", "\nservice ",
	"\nenum ", "\noption ", "\nimport ", "\nsyntax ", "\n\n", "\n", " ", "" };
static const char *const s_python[] = { "\nclass ", "\ndef ", "\n\tdef ",
	"\n\n", "\n", " ", "" };
static const char *const s_rst[] = { "\n===\n", "\n---\n", "\n***\n",
	"\n.. ", "\n\n", "\n", " ", "" };
static const char *const s_ruby[] = { "\ndef ", "\nclass ", "\nif ",
	"\nunless ", "\nwhile ", "\nfor ", "\ndo ", "\nbegin ", "\nrescue ",
	"\n\n", "\n", " ", "" };
static const char *const s_rust[] = { "\nfn ", "\nconst ", "\nlet ",
	"\nif ", "\nwhile ", "\nfor ", "\nloop ", "\nmatch ", "\nconst ", "\n\n",
	"\n", " ", "" };
static const char *const s_scala[] = { "\nclass ", "\nobject ", "\ndef ",
	"\nval ", "\nvar ", "\nif ", "\nfor ", "\nwhile ", "\nmatch ", "\ncase ",
	"\n\n", "\n", " ", "" };
static const char *const s_swift[] = { "\nfunc ", "\nclass ", "\nstruct ",
	"\nenum ", "\nif ", "\nfor ", "\nwhile ", "\ndo ", "\nswitch ",
	"\ncase ", "\n\n", "\n", " ", "" };
static const char *const s_markdown[] = { "\n## ", "\n### ", "\n#### ",
	"\n##### ", "\n###### ", "```\n\n", "\n\n***\n\n", "\n\n---\n\n",
	"\n\n___\n\n", "\n\n", "\n", " ", "" };
static const char *const s_latex[] = { "\n\\chapter{", "\n\\section{",
	"\n\\subsection{", "\n\\subsubsection{", "\n\\begin{enumerate}",
	"\n\\begin{itemize}", "\n\\begin{description}", "\n\\begin{list}",
	"\n\\begin{quote}", "\n\\begin{quotation}", "\n\\begin{verse}",
	"\n\\begin{verbatim}", "\n\\begin{align}", "$$", "$", "\n\n", "\n", " ",
	"" };
static const char *const s_html[] = { "<body>", "<div>", "<p>", "<br>",
	"<li>", "<h1>", "<h2>", "<h3>", "<h4>", "<h5>", "<h6>", "<span>",
	"<table>", "<tr>", "<td>", "<th>", "<ul>", "<ol>", "<header>",
	"<footer>", "<nav>", "<head>", "<style>", "<script>", "<meta>",
	"<title>", " ", "" };
static const char *const s_sol[] = { "\npragma ", "\nusing ",
	"\ncontract ", "\ninterface ", "\nlibrary ", "\nconstructor ", "\ntype ",
	"\nfunction ", "\nevent ", "\nmodifier ", "\nerror ", "\nstruct ",
	"\nenum ", "\nif ", "\nfor ", "\nwhile ", "\ndo while ", "\nassembly ",
	"\n\n", "\n", " ", "" };

#define LANG(n, s) { n, s, sizeof s / sizeof s[0] }
static const struct split_lang langs[] = {
	LANG("text", s_text), LANG("cpp", s_cpp), LANG("go", s_go),
	LANG("java", s_java), LANG("js", s_js), LANG("php", s_php),
	LANG("proto", s_proto), LANG("python", s_python), LANG("rst", s_rst),
	LANG("ruby", s_ruby), LANG("rust", s_rust), LANG("scala", s_scala),
	LANG("swift", s_swift), LANG("markdown", s_markdown),
	LANG("latex", s_latex), LANG("html", s_html), LANG("sol", s_sol),
};
#undef LANG

/* File extensions (lower-cased) to languages: README.md, "Chunks". */
static const struct {
	const char *ext;
	const char *lang;
} exts[] = {
	{ "c", "cpp" }, { "h", "cpp" }, { "cc", "cpp" }, { "cpp", "cpp" },
	{ "cxx", "cpp" }, { "hh", "cpp" }, { "hpp", "cpp" }, { "hxx", "cpp" },
	{ "go", "go" }, { "java", "java" },
	{ "js", "js" }, { "jsx", "js" }, { "mjs", "js" }, { "cjs", "js" },
	{ "ts", "js" }, { "tsx", "js" }, { "mts", "js" }, { "cts", "js" },
	{ "php", "php" }, { "proto", "proto" },
	{ "py", "python" }, { "pyi", "python" }, { "rst", "rst" },
	{ "rb", "ruby" }, { "rs", "rust" }, { "scala", "scala" },
	{ "sc", "scala" }, { "swift", "swift" },
	{ "md", "markdown" }, { "markdown", "markdown" }, { "mdx", "markdown" },
	{ "tex", "latex" }, { "html", "html" }, { "htm", "html" },
	{ "sol", "sol" },
};

const struct split_lang *
split_lang_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof langs / sizeof langs[0]; i++)
		if (strcmp(langs[i].name, name) == 0)
			return &langs[i];
	return NULL;
}

const struct split_lang *
split_lang_for_path(const char *path, size_t n)
{
	size_t i = n, el;
	char ext[16];

	while (i > 0 && path[i - 1] != '.' && path[i - 1] != '/')
		i--;
	/* no dot, a dot-file without extension (".profile"), or too long */
	if (i == 0 || path[i - 1] != '.' || i == 1 || path[i - 2] == '/')
		return &langs[0];
	el = n - i;
	if (el == 0 || el >= sizeof ext)
		return &langs[0];
	for (size_t k = 0; k < el; k++) {
		char c = path[i + k];
		ext[k] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	ext[el] = '\0';
	for (size_t k = 0; k < sizeof exts / sizeof exts[0]; k++)
		if (strcmp(exts[k].ext, ext) == 0)
			return split_lang_by_name(exts[k].lang);
	return &langs[0];
}

/* ------------------------------------------------------------ set-up */

int
split_init(struct split *s, size_t size, size_t overlap)
{
	memset(s, 0, sizeof *s);
	if (size == 0 || size > SPLIT_MAX_SIZE || overlap >= size)
		return ERR_USAGE;
	s->size = size;
	s->overlap = overlap;
	/* the window's total stays <= size and every piece is >= 1 unit */
	s->wcap = size + 1;
	s->win = malloc(s->wcap * sizeof *s->win);
	return s->win == NULL ? ERR_NOMEM : 0;
}

void
split_free(struct split *s)
{
	free(s->win);
	s->win = NULL;
}

/* ------------------------------------------------------------ helpers */

/* String.prototype.trim(): ECMAScript WhiteSpace and LineTerminator (Zs as
 * of the Unicode version in Node 20; U+180E is no longer one). */
int
split_is_space(uint16_t u)
{
	if (u < 0x80)
		return (u >= 0x09 && u <= 0x0d) || u == 0x20;
	return u == 0xa0 || u == 0x1680 || (u >= 0x2000 && u <= 0x200a) ||
	    u == 0x2028 || u == 0x2029 || u == 0x202f || u == 0x205f ||
	    u == 0x3000 || u == 0xfeff;
}

/* 1 if the ASCII separator sep (length m) is at t[p] and fits before hi. */
static int
sep_at(const uint16_t *t, size_t p, size_t hi, const char *sep, size_t m)
{
	if (hi - p < m)
		return 0;
	for (size_t k = 0; k < m; k++)
		if (t[p + k] != (uint8_t)sep[k])
			return 0;
	return 1;
}

/*
 * The scans below are the splitter's inner loops (every unit is read by a few
 * levels of separators, line counting and indexOf): with SSE2 (every x86-64)
 * they test 8 units at a time and look closer only where a unit can start a
 * match; elsewhere they are the plain loops.
 */

/*
 * First p in [p, hi) with t[p] one of c[0..nc) (1 <= nc <= 4), or hi. With
 * n2 > 0, the 8 units at a time skip a p unless t[p + 1] is one of c2[0..8)
 * as well (8 units: the set's first repeated where it has fewer); the last
 * 8 units are tested by t[p] alone, so the caller still looks closer.
 * first_sep's filter: code has a newline every line, and each was a stop on
 * the way to "\nclass ".
 */
static size_t
scan_any(const uint16_t *t, size_t p, size_t hi, const uint16_t *c, int nc,
    const uint16_t *c2, int n2)
{
#ifdef __SSE2__
	__m128i v0 = _mm_set1_epi16((short)c[0]);
	__m128i v1 = _mm_set1_epi16((short)c[nc > 1 ? 1 : 0]);
	__m128i v2 = _mm_set1_epi16((short)c[nc > 2 ? 2 : 0]);
	__m128i v3 = _mm_set1_epi16((short)c[nc > 3 ? 3 : 0]);
	/* without a second set, every second unit passes */
	__m128i all = _mm_set1_epi16(n2 > 0 ? 0 : -1);
	static const uint16_t none[8];
	const uint16_t *d = n2 > 0 ? c2 : none;
	__m128i w0 = _mm_set1_epi16((short)d[0]), w1 = _mm_set1_epi16((short)d[1]);
	__m128i w2 = _mm_set1_epi16((short)d[2]), w3 = _mm_set1_epi16((short)d[3]);
	__m128i w4 = _mm_set1_epi16((short)d[4]), w5 = _mm_set1_epi16((short)d[5]);
	__m128i w6 = _mm_set1_epi16((short)d[6]), w7 = _mm_set1_epi16((short)d[7]);

	/* t[p + 8] is read: p + 9 <= hi */
	for (; p + 9 <= hi; p += 8) {
		__m128i x = _mm_loadu_si128((const __m128i *)(t + p));
		__m128i y = _mm_loadu_si128((const __m128i *)(t + p + 1));
		__m128i m = _mm_or_si128(
		    _mm_or_si128(_mm_cmpeq_epi16(x, v0), _mm_cmpeq_epi16(x, v1)),
		    _mm_or_si128(_mm_cmpeq_epi16(x, v2), _mm_cmpeq_epi16(x, v3)));
		__m128i f = _mm_or_si128(_mm_or_si128(
		    _mm_or_si128(_mm_cmpeq_epi16(y, w0), _mm_cmpeq_epi16(y, w1)),
		    _mm_or_si128(_mm_cmpeq_epi16(y, w2), _mm_cmpeq_epi16(y, w3))),
		    _mm_or_si128(
		    _mm_or_si128(_mm_cmpeq_epi16(y, w4), _mm_cmpeq_epi16(y, w5)),
		    _mm_or_si128(_mm_cmpeq_epi16(y, w6), _mm_cmpeq_epi16(y, w7))));
		unsigned bits = (unsigned)_mm_movemask_epi8(
		    _mm_and_si128(m, _mm_or_si128(f, all)));
		if (bits != 0)
			return p + (size_t)(__builtin_ctz(bits) >> 1);
	}
#else
	(void)c2; (void)n2;
#endif
	for (; p < hi; p++)
		for (int k = 0; k < nc; k++)
			if (t[p] == c[k])
				return p;
	return hi;
}

/* First p in [p, hi) with t[p] == c0 and t[p + 1] == c1, or hi; t[hi]
 * must be readable. */
static size_t
scan_pair(const uint16_t *t, size_t p, size_t hi, uint16_t c0, uint16_t c1)
{
#ifdef __SSE2__
	__m128i v0 = _mm_set1_epi16((short)c0), v1 = _mm_set1_epi16((short)c1);

	for (; p + 8 <= hi; p += 8) {
		__m128i m = _mm_and_si128(
		    _mm_cmpeq_epi16(_mm_loadu_si128((const __m128i *)(t + p)), v0),
		    _mm_cmpeq_epi16(_mm_loadu_si128((const __m128i *)(t + p + 1)),
		    v1));
		unsigned bits = (unsigned)_mm_movemask_epi8(m);
		if (bits != 0)
			return p + (size_t)(__builtin_ctz(bits) >> 1);
	}
#endif
	for (; p < hi; p++)
		if (t[p] == c0 && t[p + 1] == c1)
			return p;
	return hi;
}

/* First p in [p, hi) with t[p] == c, or hi: scan_any() for one unit, inlined
 * into the cut loop, where a hit comes every line or word. */
static inline __attribute__((always_inline)) size_t
scan_one(const uint16_t *t, size_t p, size_t hi, uint16_t c)
{
#ifdef __SSE2__
	__m128i v = _mm_set1_epi16((short)c);

	for (; p + 8 <= hi; p += 8) {
		unsigned bits = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi16(
		    _mm_loadu_si128((const __m128i *)(t + p)), v));
		if (bits != 0)
			return p + (size_t)(__builtin_ctz(bits) >> 1);
	}
#endif
	for (; p < hi; p++)
		if (t[p] == c)
			return p;
	return hi;
}

/* First occurrence of sep at a position in [from, hi - m], or hi. */
static size_t
find_sep(const uint16_t *t, size_t from, size_t hi, const char *sep, size_t m)
{
	uint16_t c0 = (uint8_t)sep[0];

	if (hi < m)
		return hi;
	for (size_t p = from; p + m <= hi; p++) {
		/* two units at a time where the separator has two: "\n\n" in
		 * code stops at blank lines, not at every line; t[p + 1] is
		 * read only for p <= hi - m */
		p = m >= 2 ? scan_pair(t, p, hi - m + 1, c0, (uint8_t)sep[1]) :
		    scan_one(t, p, hi - m + 1, c0);
		if (p + m > hi)
			break;
		if (sep_at(t, p, hi, sep, m))
			return p;
	}
	return hi;
}

/* ------------------------------------------------------------ output */

static size_t
count_nl(const uint16_t *t, size_t a, size_t b)
{
	size_t c = 0;

#ifdef __SSE2__
	const __m128i nl = _mm_set1_epi16('\n'), one = _mm_set1_epi16(1);

	while (b - a >= 8) {
		/* at most 4096 per 16-bit lane before they are summed */
		size_t k = (b - a) / 8 > 4096 ? 4096 : (b - a) / 8;
		__m128i acc = _mm_setzero_si128();
		for (; k > 0; k--, a += 8)
			acc = _mm_sub_epi16(acc, _mm_cmpeq_epi16(
			    _mm_loadu_si128((const __m128i *)(t + a)), nl));
		acc = _mm_madd_epi16(acc, one);
		acc = _mm_add_epi32(acc, _mm_shuffle_epi32(acc, 0x4e));
		acc = _mm_add_epi32(acc, _mm_shuffle_epi32(acc, 0xb1));
		c += (uint32_t)_mm_cvtsi128_si32(acc);
	}
#endif
	for (size_t i = a; i < b; i++)
		c += t[i] == '\n';
	return c;
}

/* text.slice(a, b) bounds, as JavaScript clamps them (negative from the end). */
static void
js_slice(int64_t n, int64_t a, int64_t b, size_t *sa, size_t *sb)
{
	a = a < 0 ? (n + a < 0 ? 0 : n + a) : (a > n ? n : a);
	b = b < 0 ? (n + b < 0 ? 0 : n + b) : (b > n ? n : b);
	*sa = (size_t)a;
	*sb = (size_t)(b < a ? a : b);
}

static size_t
nl_slice(const struct split *s, int64_t a, int64_t b)
{
	size_t sa, sb;

	js_slice((int64_t)s->n, a, b, &sa, &sb);
	return count_nl(s->t, sa, sb);
}

/* 1 if the m units at x and y are the same (8 bytes at a time). */
static int
units_eq(const uint16_t *x, const uint16_t *y, size_t m)
{
	uint64_t a, b;
	size_t k = 0;

	for (; k + 4 <= m; k += 4) {
		memcpy(&a, x + k, 8);
		memcpy(&b, y + k, 8);
		if (a != b)
			return 0;
	}
	for (; k < m; k++)
		if (x[k] != y[k])
			return 0;
	return 1;
}

/*
 * text.indexOf(chunk, from) where the chunk is t[a..b). The chunk is known
 * to occur at a, so when a >= from the answer is the first match in
 * [from, a]; otherwise search the rest (LangChain may have skipped past it).
 */
static int64_t
index_of(const struct split *s, size_t a, size_t b, int64_t from)
{
	size_t m = b - a, lim;
	const uint16_t *t = s->t;

	if (from < 0)
		from = 0;
	if ((size_t)from > s->n)
		from = (int64_t)s->n;
	lim = a >= (size_t)from ? a : (s->n >= m ? s->n - m : 0);
	if (lim + m > s->n)
		lim = s->n >= m ? s->n - m : 0;
	for (size_t p = (size_t)from; p <= lim && p + m <= s->n; p++) {
		/* lim + m <= n: with m >= 2, t[lim + 1] is in the text */
		p = m >= 2 ? scan_pair(t, p, lim + 1, t[a], t[a + 1]) :
		    scan_any(t, p, lim + 1, t + a, 1, NULL, 0);
		if (p > lim)
			break;
		/* at a it is the chunk itself: no need to compare (musl's
		 * memcmp goes byte by byte, and this was its longest call) */
		if (p == a || units_eq(t + p, t + a, m))
			return (int64_t)p;
	}
	return -1;
}

/* createDocuments(): the chunk's line numbers, then hand it over. */
static int
locate(struct split *s, size_t a, size_t b)
{
	struct split_chunk c;
	int64_t idx = index_of(s, a, b, s->prev_idx + 1);
	size_t nl;

	if (!s->have_prev) {
		s->line += nl_slice(s, 0, idx);
	} else {
		int64_t end_prev = s->prev_idx + (int64_t)s->prev_len;
		if (end_prev < idx)
			s->line += nl_slice(s, end_prev, idx);
		else if (end_prev > idx)
			s->line -= nl_slice(s, idx, end_prev);
	}
	nl = count_nl(s->t, a, b);
	c.start = a;
	c.end = b;
	c.line_from = s->line;
	c.line_to = s->line + nl;
	s->line += nl;
	s->have_prev = 1;
	s->prev_idx = idx;
	s->prev_len = b - a;
	return s->emit(s->ctx, &c);
}

/* joinDocs(): the run trimmed, nothing if it is all blank. */
static int
emit_trimmed(struct split *s, size_t a, size_t b)
{
	while (a < b && split_is_space(s->t[a]))
		a++;
	while (b > a && split_is_space(s->t[b - 1]))
		b--;
	return a < b ? locate(s, a, b) : 0;
}

/* ------------------------------------------------------------ merge */

/* A ring index from head + k (k <= wcap): a compare, not a division per
 * piece (a piece is often a line). */
static inline size_t
wrap(const struct split *s, size_t i)
{
	return i >= s->wcap ? i - s->wcap : i;
}

static size_t
win_end(const struct split *s)
{
	const struct split_piece *p = &s->win[wrap(s, s->whead + s->wcount - 1)];

	return p->start + p->len;
}

/* mergeSplits(), one piece at a time (the separator is "" with
 * keepSeparator, so the join adds no length). */
static int
merge_push(struct split *s, size_t start, size_t len)
{
	int e;

	if (s->wtotal + len > s->size && s->wcount > 0) {
		e = emit_trimmed(s, s->win[s->whead].start, win_end(s));
		if (e)
			return e;
		while (s->wcount > 0 && (s->wtotal > s->overlap ||
		    (s->wtotal + len > s->size && s->wtotal > 0))) {
			s->wtotal -= s->win[s->whead].len;
			s->whead = wrap(s, s->whead + 1);
			s->wcount--;
		}
	}
	s->win[wrap(s, s->whead + s->wcount)] =
	    (struct split_piece){ start, len };
	s->wcount++;
	s->wtotal += len;
	return 0;
}

static int
merge_flush(struct split *s)
{
	int e = 0;

	if (s->wcount > 0)
		e = emit_trimmed(s, s->win[s->whead].start, win_end(s));
	s->whead = s->wcount = s->wtotal = 0;
	return e;
}

/* ------------------------------------------------------------ recursion */

/*
 * The index of the first separator from si on that text[lo..hi) includes
 * (an empty one counts as found), or nseps. One pass over the text instead
 * of one per separator: at each unit that starts some separator, only those
 * ranked before the best found so far are tried, and a match of the first
 * candidate ends the pass. Same answer as the JavaScript's loop of
 * text.includes(s), at a fraction of the reads on code without "\nclass ".
 */
static size_t
first_sep(const struct split *s, size_t lo, size_t hi, size_t si)
{
	const struct split_lang *L = s->lang;
	size_t best = L->nseps, len[SPLIT_MAX_SEPS], p = lo;

	for (size_t i = si; i < L->nseps; i++) {
		if (L->seps[i][0] == '\0') {
			best = i;               /* found by definition: scan for less */
			break;
		}
		len[i] = strlen(L->seps[i]);
	}
	while (best > si && p < hi) {
		/* the units that can start one of the separators left, and
		 * (when none is one unit long) those that can come second:
		 * code has a newline every line, a "\nclass " seldom */
		uint16_t set[4], sec[8];
		uint64_t two[2] = { 0, 0 };
		int nc = 0, over = 0, pair = 1, n2 = 0;
		for (size_t i = si; i < best; i++) {
			uint16_t c = (uint8_t)L->seps[i][0];
			uint8_t c2 = (uint8_t)L->seps[i][1];
			if (len[i] < 2 || c2 >= 128) {
				pair = 0;
			} else if (!(two[c2 >> 6] >> (c2 & 63) & 1)) {
				two[c2 >> 6] |= (uint64_t)1 << (c2 & 63);
				if (n2 < 8)
					sec[n2] = c2;
				n2++;
			}
			int k = 0;
			while (k < nc && set[k] != c)
				k++;
			if (k == nc) {
				if (nc == 4)
					over = 1;
				else
					set[nc++] = c;
			}
		}
		for (int k = n2; k > 0 && k < 8; k++)
			sec[k] = sec[0];
		for (; p < hi; p++) {
			size_t found = best;
			if (!over) {
				p = scan_any(s->t, p, hi, set, nc, sec,
				    pair && n2 <= 8 ? n2 : 0);
				if (p >= hi)
					break;
			}
			if (pair && (p + 1 >= hi || s->t[p + 1] >= 128 ||
			    !(two[s->t[p + 1] >> 6] >> (s->t[p + 1] & 63) & 1)))
				continue;
			for (size_t i = si; i < best; i++)
				if ((uint8_t)L->seps[i][0] == s->t[p] &&
				    sep_at(s->t, p, hi, L->seps[i], len[i])) {
					found = i;
					break;
				}
			if (found < best) {
				best = found;   /* fewer candidates from here */
				p++;
				break;
			}
		}
	}
	return best;
}

/*
 * _splitText(text[lo..hi), separators[si..]): the first separator the text
 * contains ("" always matches) cuts it; pieces shorter than a chunk are
 * merged, longer ones split again with the separators after it.
 */
static int
split_range(struct split *s, size_t lo, size_t hi, size_t si)
{
	const struct split_lang *L = s->lang;
	const char *sep = "";
	size_t m, next_si = 0, p, q, i;
	int recurse = 0, e;

	if (si < L->nseps)
		sep = L->seps[L->nseps - 1];    /* none found: the last one */
	i = first_sep(s, lo, hi, si);
	if (i < L->nseps && L->seps[i][0] == '\0') {
		sep = "";
	} else if (i < L->nseps) {
		sep = L->seps[i];
		next_si = i + 1;
		recurse = 1;
	}
	m = strlen(sep);
	for (p = lo; p < hi; p = q) {
		/* next cut: before the next occurrence after p (never at p) */
		if (m == 0)
			q = p + 1;
		else
			q = find_sep(s->t, p + 1, hi, sep, m);
		if (q - p < s->size) {
			if ((e = merge_push(s, p, q - p)) != 0)
				return e;
			continue;
		}
		if ((e = merge_flush(s)) != 0)
			return e;
		e = recurse ? split_range(s, p, q, next_si) : locate(s, p, q);
		if (e)
			return e;
	}
	return merge_flush(s);
}

int
split_text(struct split *s, const struct split_lang *lang, const uint16_t *t,
    size_t n, split_emit_fn emit, void *ctx)
{
	int e;

	s->lang = lang;
	s->t = t;
	s->n = n;
	s->emit = emit;
	s->ctx = ctx;
	s->whead = s->wcount = s->wtotal = 0;
	s->prev_idx = -1;
	s->prev_len = 0;
	s->have_prev = 0;
	s->line = 1;
	e = split_range(s, 0, n, 0);
	s->t = NULL;
	return e;
}
