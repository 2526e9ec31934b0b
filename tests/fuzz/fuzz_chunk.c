/*
 * fuzz_chunk.c - libFuzzer target for split.c (--format chunks).
 *
 * The splitter is checked against a second implementation written the way
 * text_splitter.js is: every level builds its list of pieces as copies,
 * mergeSplits() joins and trims copies, createDocuments() finds each chunk
 * with indexOf() and keeps its running line counter. Slow and obvious; the
 * chunks (text, loc.lines) must be the same. Then the invariants: no chunk
 * longer than chunkSize (every language list ends with "", so LangChain's
 * oversized chunks, which need a list without it, cannot happen), line
 * numbers agree with the text, and every unit that is not blank lies in some
 * chunk (the splitter drops only whitespace).
 *
 * Input: byte 0 picks chunkSize (1..64), byte 1 the overlap (< size), byte 2
 * the language; each further byte is one UTF-16 unit from an alphabet that
 * makes separators likely ("\n", " ", "def ", "<p>", "$", surrogate halves,
 * the blanks trim() knows).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "split.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const lang_names[] = { "text", "cpp", "go", "java", "js",
	"php", "proto", "python", "rst", "ruby", "rust", "scala", "swift",
	"markdown", "latex", "html", "sol" };

static const uint16_t alphabet[] = { '\n', '\n', ' ', ' ', '\t', 'a', 'b',
	'c', 'd', 'e', 'f', 'i', 'l', 'n', 'o', 's', 'r', 't', 'u', 'v', 'x',
	'#', '=', '-', '*', '.', '`', '_', '$', '\\', '{', '}', '<', '>', 'p',
	'h', '1', 'y', 0xa0, 0x3000, 0x2028, 0xfeff, 0xd83d, 0xde00, 0xe9,
	0x301, '\r', 0x0b };
#define NALPHA (sizeof alphabet / sizeof alphabet[0])

/* ------------------------------------------------------------ reference */

struct str {
	uint16_t *p;
	size_t n;
};

struct list {
	struct str *v;
	size_t n, cap;
};

static void
push(struct list *l, const uint16_t *p, size_t n)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->v = realloc(l->v, l->cap * sizeof *l->v);
		if (l->v == NULL)
			abort();
	}
	l->v[l->n].p = malloc(n * sizeof(uint16_t) + 1);
	if (l->v[l->n].p == NULL)
		abort();
	memcpy(l->v[l->n].p, p, n * sizeof(uint16_t));
	l->v[l->n++].n = n;
}

static void
list_free(struct list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].p);
	free(l->v);
	memset(l, 0, sizeof *l);
}

static int
has_at(const struct str *t, size_t p, const char *sep, size_t m)
{
	if (p + m > t->n)
		return 0;
	for (size_t k = 0; k < m; k++)
		if (t->p[p + k] != (uint8_t)sep[k])
			return 0;
	return 1;
}

static int
includes(const struct str *t, const char *sep)
{
	size_t m = strlen(sep);

	for (size_t p = 0; p + m <= t->n; p++)
		if (has_at(t, p, sep, m))
			return 1;
	return 0;
}

/* text.split(/(?=sep)/) or text.split(""), empty strings dropped */
static void
split_on(const struct str *t, const char *sep, struct list *out)
{
	size_t m = strlen(sep), last = 0;

	if (m == 0) {
		for (size_t i = 0; i < t->n; i++)
			push(out, t->p + i, 1);
		return;
	}
	for (size_t q = 1; q < t->n; q++)
		if (has_at(t, q, sep, m)) {
			push(out, t->p + last, q - last);
			last = q;
		}
	if (t->n > last)
		push(out, t->p + last, t->n - last);
}

/* joinDocs(docs, ""): join, trim, null when empty */
static void
join_docs(const struct list *l, size_t a, size_t b, struct list *docs)
{
	size_t n = 0, s, e;
	uint16_t *j;

	for (size_t i = a; i < b; i++)
		n += l->v[i].n;
	j = malloc(n * sizeof *j + 1);
	if (j == NULL)
		abort();
	n = 0;
	for (size_t i = a; i < b; i++) {
		memcpy(j + n, l->v[i].p, l->v[i].n * sizeof *j);
		n += l->v[i].n;
	}
	for (s = 0; s < n && split_is_space(j[s]); s++)
		;
	for (e = n; e > s && split_is_space(j[e - 1]); e--)
		;
	if (e > s)
		push(docs, j + s, e - s);
	free(j);
}

static void
merge_splits(const struct list *splits, size_t size, size_t overlap,
    struct list *docs)
{
	size_t head = 0, tail = 0, total = 0;   /* currentDoc = [head, tail) */

	for (size_t i = 0; i < splits->n; i++) {
		size_t len = splits->v[i].n;
		if (total + len > size) {
			if (tail > head) {
				join_docs(splits, head, tail, docs);
				while (total > overlap ||
				    (total + len > size && total > 0)) {
					total -= splits->v[head].n;
					head++;
				}
			}
		}
		tail = i + 1;
		total += len;
	}
	join_docs(splits, head, tail, docs);
}

static void
ref_split(const struct str *t, const char *const *seps, size_t nseps,
    int have_seps, size_t size, size_t overlap, struct list *out)
{
	const char *sep = have_seps && nseps ? seps[nseps - 1] : "";
	const char *const *next = NULL;
	size_t nnext = 0;
	struct list splits = { 0 }, good = { 0 };

	for (size_t i = 0; have_seps && i < nseps; i++) {
		if (seps[i][0] == '\0') {
			sep = seps[i];
			break;
		}
		if (includes(t, seps[i])) {
			sep = seps[i];
			next = seps + i + 1;
			nnext = nseps - i - 1;
			break;
		}
	}
	split_on(t, sep, &splits);
	for (size_t i = 0; i < splits.n; i++) {
		if (splits.v[i].n < size) {
			push(&good, splits.v[i].p, splits.v[i].n);
			continue;
		}
		if (good.n) {
			merge_splits(&good, size, overlap, out);
			list_free(&good);
		}
		if (next == NULL)
			push(out, splits.v[i].p, splits.v[i].n);
		else
			ref_split(&splits.v[i], next, nnext, 1, size, overlap, out);
	}
	if (good.n)
		merge_splits(&good, size, overlap, out);
	list_free(&good);
	list_free(&splits);
}

static int64_t
ref_index_of(const struct str *t, const struct str *c, int64_t from)
{
	if (from < 0)
		from = 0;
	for (size_t p = (size_t)from; p + c->n <= t->n; p++)
		if (memcmp(t->p + p, c->p, c->n * sizeof(uint16_t)) == 0)
			return (int64_t)p;
	return -1;
}

static uint64_t
ref_nl(const struct str *t, int64_t a, int64_t b)
{
	int64_t n = (int64_t)t->n;
	uint64_t c = 0;

	a = a < 0 ? (n + a < 0 ? 0 : n + a) : (a > n ? n : a);
	b = b < 0 ? (n + b < 0 ? 0 : n + b) : (b > n ? n : b);
	for (int64_t i = a; i < b; i++)
		c += t->p[i] == '\n';
	return c;
}

/* ------------------------------------------------------------ ours */

struct got {
	struct split_chunk *c;
	size_t n, cap;
};

static int
collect(void *ctx, const struct split_chunk *c)
{
	struct got *g = ctx;

	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 16;
		g->c = realloc(g->c, g->cap * sizeof *g->c);
		if (g->c == NULL)
			abort();
	}
	g->c[g->n++] = *c;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct split s;
	struct str t;
	struct list ref = { 0 };
	struct got g = { 0 };
	const struct split_lang *L;
	size_t csize, cover = 0;
	int64_t prev = -1;
	size_t prev_len = 0;
	uint64_t line = 1;

	if (size < 3)
		return 0;
	csize = (size_t)(data[0] % 64) + 1;
	L = split_lang_by_name(lang_names[data[2] % (sizeof lang_names /
	    sizeof lang_names[0])]);
	if (L == NULL || split_init(&s, csize, data[1] % csize) != 0)
		abort();
	t.n = size - 3;
	t.p = malloc(t.n * sizeof *t.p + 1);
	if (t.p == NULL)
		abort();
	for (size_t i = 0; i < t.n; i++)
		t.p[i] = alphabet[data[3 + i] % NALPHA];

	if (split_text(&s, L, t.p, t.n, collect, &g) != 0)
		abort();
	ref_split(&t, L->seps, L->nseps, 1, s.size, s.overlap, &ref);
	if (ref.n != g.n)
		abort();
	for (size_t i = 0; i < g.n; i++) {
		const struct split_chunk *c = &g.c[i];
		size_t n = c->end - c->start;
		int64_t idx;
		/* the same text */
		if (ref.v[i].n != n || memcmp(ref.v[i].p, t.p + c->start,
		    n * sizeof *t.p) != 0)
			abort();
		/* createDocuments()'s lines */
		idx = ref_index_of(&t, &ref.v[i], prev + 1);
		if (i == 0)
			line += ref_nl(&t, 0, idx);
		else if (prev + (int64_t)prev_len < idx)
			line += ref_nl(&t, prev + (int64_t)prev_len, idx);
		else if (prev + (int64_t)prev_len > idx)
			line -= ref_nl(&t, idx, prev + (int64_t)prev_len);
		if (c->line_from != line ||
		    c->line_to != line + ref_nl(&t, (int64_t)c->start,
		    (int64_t)c->end))
			abort();
		line = c->line_to;
		prev = idx;
		prev_len = n;
		/* invariants */
		if (n == 0 || n > s.size)
			abort();
		if (c->line_to - c->line_from != ref_nl(&t, (int64_t)c->start,
		    (int64_t)c->end))
			abort();
	}
	/* every non-blank unit is in a chunk (chunks come in text order) */
	for (size_t i = 0; i < g.n; i++) {
		for (size_t p = cover; p < g.c[i].start; p++)
			if (!split_is_space(t.p[p]))
				abort();
		if (g.c[i].end > cover)
			cover = g.c[i].end;
	}
	for (size_t p = cover; p < t.n; p++)
		if (!split_is_space(t.p[p]))
			abort();

	list_free(&ref);
	free(g.c);
	free(t.p);
	split_free(&s);
	return 0;
}
