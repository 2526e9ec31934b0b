/*
 * rank.c - exact top-k by bm25 over FTS5 (MaxScore). See rank.h.
 *
 * The auxiliary function rd_rank(fts, STATE) does FTS5's side: STATE is a
 * pointer (sqlite3_bind_pointer, type "rd_rank") to the query's struct
 * qstate. In the statistics query (LIMIT 1) it reads the row count, the
 * token count and, with xQueryPhrase, each term's row count: exactly the
 * numbers bm25() reads (fts5Bm25GetData). In a scoring query it returns the
 * row's score: each term's frequency (the sum of the column weights of its
 * instances: the phrase's positions, xPhraseFirst, the ones bm25() counts
 * through xInst), the row's length (xColumnSize), and bm25()'s formula
 * term by term in the query's order, so that the sum is bm25()'s to the
 * bit (x + 0.0 is x, so the terms a row lacks change nothing). A row that
 * could not beat the k-th best score at any length gets -1 instead, its
 * length unread.
 *
 * Kept counts (rank.h): an open-addressed table of terms and row counts,
 * tagged with the file's version and the connection's change count; the
 * statistics query counts only the terms it lacks.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ftstok.h"
#include "rank.h"

enum { Q_STATS = 1, Q_SCORE };

/* One query's state, shared with rd_rank through a pointer value. */
struct qstate {
	int mode;                       /* Q_STATS, Q_SCORE */
	size_t n;                       /* terms */
	int64_t df[RANK_TERMS_MAX];     /* rows that have term i */
	int64_t known[RANK_TERMS_MAX];  /* its kept count + 1, or 0 */
	double idf[RANK_TERMS_MAX];
	double w[2];                    /* column weights */
	int ncol;
	sqlite3_int64 nrow, ntok;
	double avgdl;
	int have_stats;
	/* scoring: the expression's phrases from `first` on are the terms
	 * phrase_term[] names; the others are there to select rows */
	int first, nphrase;
	int phrase_term[2 * RANK_TERMS_MAX];
	double freq[RANK_TERMS_MAX];
	double theta;                   /* the k-th best so far, or 0 */
};

static int
count_cb(const Fts5ExtensionApi *api, Fts5Context *fts, void *ctx)
{
	(void)api, (void)fts;
	(*(sqlite3_int64 *)ctx)++;
	return SQLITE_OK;
}

/* Q_STATS: the numbers bm25() reads, once per query (see the top). */
static int
stats(const Fts5ExtensionApi *api, Fts5Context *fts, struct qstate *q)
{
	int rc;

	if ((rc = api->xRowCount(fts, &q->nrow)) != SQLITE_OK ||
	    (rc = api->xColumnTotalSize(fts, -1, &q->ntok)) != SQLITE_OK)
		return rc;
	if (q->nrow <= 0)
		return SQLITE_CORRUPT;
	q->avgdl = (double)q->ntok / (double)q->nrow;
	for (size_t i = 0; i < q->n; i++) {
		sqlite3_int64 nhit = q->known[i] - 1;
		double idf;
		if (nhit < 0) {
			nhit = 0;
			if ((rc = api->xQueryPhrase(fts, (int)i, &nhit,
			    count_cb)) != SQLITE_OK)
				return rc;
		}
		/* bm25()'s idf and its clamp, the same expression */
		idf = log((q->nrow - nhit + 0.5) / (nhit + 0.5));
		if (idf <= 0.0)
			idf = 1e-6;
		q->df[i] = nhit;
		q->idf[i] = idf;
	}
	q->have_stats = 1;
	return SQLITE_OK;
}

/* Q_SCORE: the row's bm25 over all the query's terms (see the top); or,
 * when even its length could not lift it above q->theta (a row of no
 * tokens at all would score below it), -1 without reading its length. */
static int
score(const Fts5ExtensionApi *api, Fts5Context *fts, struct qstate *q,
    double *out)
{
	const double k1 = RANK_K1, b = RANK_B;
	double s = 0.0, bound = 0.0, D;
	int ntok, rc;

	memset(q->freq, 0, q->n * sizeof q->freq[0]);
	for (int ip = q->first; ip < q->nphrase; ip++) {
		Fts5PhraseIter it;
		int tn = q->phrase_term[ip - q->first], c, o;
		if ((rc = api->xPhraseFirst(fts, ip, &it, &c, &o)) != SQLITE_OK)
			return rc;
		for (; c >= 0; api->xPhraseNext(fts, &it, &c, &o))
			q->freq[tn] += c < q->ncol ? q->w[c] : 1.0;
	}
	if (q->theta > 0.0) {
		for (size_t i = 0; i < q->n; i++)
			bound += q->idf[i] * ((q->freq[i] * (k1 + 1.0)) /
			    (q->freq[i] + k1 * (1 - b)));
		if (bound * (1.0 + 1e-9) < q->theta) {
			*out = -1.0;
			return SQLITE_OK;
		}
	}
	if ((rc = api->xColumnSize(fts, -1, &ntok)) != SQLITE_OK)
		return rc;
	D = (double)ntok;
	for (size_t i = 0; i < q->n; i++)
		s += q->idf[i] * ((q->freq[i] * (k1 + 1.0)) /
		    (q->freq[i] + k1 * (1 - b + b * D / q->avgdl)));
	*out = s;
	return SQLITE_OK;
}

static void
rd_rank(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx,
    int nval, sqlite3_value **val)
{
	struct qstate *q = nval == 1 ?
	    sqlite3_value_pointer(val[0], "rd_rank") : NULL;
	double s = 0.0;
	int rc;

	if (q == NULL) {
		sqlite3_result_error(ctx, "rd_rank: no state", -1);
		return;
	}
	if (q->mode == Q_STATS)
		rc = stats(api, fts, q);
	else
		rc = score(api, fts, q, &s);
	if (rc != SQLITE_OK)
		sqlite3_result_error_code(ctx, rc);
	else
		sqlite3_result_double(ctx, s);
}

/* see rank.h */
int
rank_register(sqlite3 *db)
{
	fts5_api *api = ftstok_fts5(db);

	if (api == NULL)
		return SQLITE_ERROR;
	return api->xCreateFunction(api, "rd_rank", NULL, rd_rank, NULL);
}

/* ------------------------------------------------------------ expressions */

/* "term", its quotes doubled */
static int
put_term(struct buf *b, const char *t, size_t n)
{
	if (buf_putc(b, '"') != 0)
		return -1;
	for (size_t j = 0; j < n; j++)
		if ((t[j] == '"' && buf_putc(b, '"') != 0) ||
		    buf_putc(b, t[j]) != 0)
			return -1;
	return buf_putc(b, '"');
}

/* (t[ix[0]] OR t[ix[1]] ...) */
static int
put_or(struct buf *b, const char (*t)[TOK_MAX], const uint8_t *len,
    const int *ix, size_t n)
{
	if (buf_putc(b, '(') != 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((i > 0 && buf_puts(b, " OR ") != 0) ||
		    put_term(b, t[ix[i]], len[ix[i]]) != 0)
			return -1;
	return buf_putc(b, ')');
}

/* ------------------------------------------------------------ top k */

/* a is better than b: a higher score, or the same and a lower rowid */
static int
better(const struct rank_row *a, const struct rank_row *b)
{
	return a->score > b->score || (a->score == b->score &&
	    a->rowid < b->rowid);
}

/* A heap of the k best so far, the worst at the root. */
static void
heap_sift(struct rank_row *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct rank_row tmp;
		if (l < n && better(&h[m], &h[l]))
			m = l;
		if (r < n && better(&h[m], &h[r]))
			m = r;
		if (m == i)
			return;
		tmp = h[i];
		h[i] = h[m];
		h[m] = tmp;
		i = m;
	}
}

static void
heap_push(struct rank_row *h, size_t *n, size_t k, struct rank_row x)
{
	size_t i;

	if (*n == k) {
		h[0] = x;
		heap_sift(h, k, 0);
		return;
	}
	i = (*n)++;
	h[i] = x;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		struct rank_row tmp;
		if (!better(&h[p], &h[i]))
			break;
		tmp = h[p];
		h[p] = h[i];
		h[i] = tmp;
		i = p;
	}
}

/*
 * Offer x to the kept rows h[0..*n) (at most k, the worst at the root),
 * at most cap (0: any number) of one group: when x's group has cap rows
 * kept already, x takes the place of the worst of them if it is better;
 * otherwise as heap_push. The caller has checked that x beats the root
 * when *n == k.
 */
static void
kept_offer(struct rank_row *h, size_t *n, size_t k, size_t cap,
    struct rank_row x)
{
	size_t same = 0, worst = 0;

	if (cap > 0) {
		for (size_t i = 0; i < *n; i++)
			if (h[i].group == x.group && (same++ == 0 ||
			    better(&h[worst], &h[i])))
				worst = i;
		if (same >= cap) {
			if (better(&x, &h[worst])) {
				h[worst] = x;
				heap_sift(h, *n, worst);
			}
			return;
		}
	}
	heap_push(h, n, k, x);
}

static int
cmp_best(const void *a, const void *b)
{
	return better(a, b) ? -1 : better(b, a) ? 1 : 0;
}

/* The terms in the index, rarest first (ties: the query's order). */
struct plan {
	int order[RANK_TERMS_MAX];      /* term indexes */
	size_t n;
};

/* Insertion sort of order[] by df (at most RANK_TERMS_MAX terms). */
static void
sort_by_df(struct plan *p, const int64_t *df)
{
	for (size_t i = 1; i < p->n; i++) {
		int x = p->order[i];
		size_t j = i;
		while (j > 0 && df[p->order[j - 1]] > df[x]) {
			p->order[j] = p->order[j - 1];
			j--;
		}
		p->order[j] = x;
	}
}

/* ------------------------------------------------------------ kept counts */

/* term's slot in c: its own, or the empty one it would take (linear
 * probing; a query starts with fewer than 3/4 of the slots taken and adds
 * at most RANK_TERMS_MAX, so an empty one is always found) */
_Static_assert(RANK_KEEP_SLOTS / 4 * 3 + RANK_TERMS_MAX <= RANK_KEEP_SLOTS,
    "a slot stays empty");
static struct rank_count *
counts_slot(struct rank_counts *c, const char *t, size_t n)
{
	uint32_t h = 2166136261u;               /* FNV-1a */
	struct rank_count *s;

	for (size_t j = 0; j < n; j++)
		h = (h ^ (uint8_t)t[j]) * 16777619u;
	for (;; h++) {
		s = &c->slot[h % RANK_KEEP_SLOTS];
		if (s->len == 0 || (s->len == n && memcmp(s->t, t, n) == 0))
			return s;
	}
}

/* Bind and step the statistics query; 0 rows: no term is in the index. */
static int
read_stats(struct rank *r, struct qstate *q, const char (*t)[TOK_MAX],
    const uint8_t *len, size_t n)
{
	int ix[RANK_TERMS_MAX], rc;

	for (size_t i = 0; i < n; i++)
		ix[i] = (int)i;
	buf_reset(&r->expr);
	if (put_or(&r->expr, t, len, ix, n) != 0)
		return SQLITE_NOMEM;
	q->mode = Q_STATS;
	sqlite3_bind_text(r->stats, 1, (const char *)r->expr.p,
	    (int)r->expr.len, SQLITE_STATIC);
	sqlite3_bind_pointer(r->stats, 2, q, "rd_rank", NULL);
	rc = sqlite3_step(r->stats);
	sqlite3_reset(r->stats);
	sqlite3_clear_bindings(r->stats);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/*
 * read_stats with the kept counts: the terms r->counts has are not
 * counted again, and the frequent ones counted are kept, tagged with the
 * version read before the statistics query. A commit between the two moves
 * the version the next query reads, which then drops them; a commit during
 * this query's statements is the race the rounds have already (each is a
 * statement of its own). Inside a transaction of this connection, which
 * may roll back, nothing is kept.
 */
static int
read_counts(struct rank *r, struct qstate *q, const char (*t)[TOK_MAX],
    const uint8_t *len, size_t n)
{
	struct rank_counts *c = &r->counts;
	struct rank_count *sl[RANK_TERMS_MAX];
	sqlite3 *db = sqlite3_db_handle(r->stats);
	sqlite3_int64 v[2];
	int rc;

	/* the file's version: another connection's commit moves v[0],
	 * this connection's writes v[1]; when it cannot be read, the
	 * statistics query counts every term (and meets the error) */
	rc = sqlite3_step(r->version);
	v[0] = sqlite3_column_int64(r->version, 0);
	v[1] = sqlite3_total_changes64(db);
	sqlite3_reset(r->version);
	if (rc != SQLITE_ROW || !sqlite3_get_autocommit(db))
		return read_stats(r, q, t, len, n);
	if (memcmp(c->version, v, sizeof v) != 0 ||
	    c->n >= RANK_KEEP_SLOTS / 4 * 3) {
		memset(c, 0, sizeof *c);
		memcpy(c->version, v, sizeof v);
	}
	for (size_t i = 0; i < n; i++) {
		sl[i] = counts_slot(c, t[i], len[i]);
		if (sl[i]->len != 0)
			q->known[i] = sl[i]->df + 1;
	}
	if ((rc = read_stats(r, q, t, len, n)) != SQLITE_OK)
		return rc;
	for (size_t i = 0; q->have_stats && i < n; i++)
		if (sl[i]->len == 0 && q->df[i] >= RANK_KEEP_ROWS) {
			sl[i]->len = len[i];
			memcpy(sl[i]->t, t[i], len[i]);
			sl[i]->df = q->df[i];
			c->n++;
		}
	return SQLITE_OK;
}

/* see rank.h */
int
rank_topk(struct rank *r, const char (*t)[TOK_MAX], const uint8_t *len,
    size_t n, const double *w, int ncol, size_t k, rank_keep_fn keep,
    void *kctx, size_t per_group, struct rank_row *out, size_t *nout,
    struct rank_stats *st)
{
	struct qstate *q = calloc(1, sizeof *q);
	struct rank_stats rs;
	struct plan p;
	size_t nh = 0, taken = 0;
	int64_t budget, in_e = 0;
	double ub[RANK_TERMS_MAX], rest = 0.0;
	int rc = SQLITE_OK;

	memset(&rs, 0, sizeof rs);
	*nout = 0;
	if (q == NULL)
		return SQLITE_NOMEM;
	if (n > RANK_TERMS_MAX)
		n = RANK_TERMS_MAX;
	q->n = n;
	q->ncol = ncol > 2 ? 2 : ncol;
	for (int c = 0; c < q->ncol; c++)
		q->w[c] = w[c];
	if (n == 0 || k == 0 || (rc = read_counts(r, q, t, len, n)) !=
	    SQLITE_OK || !q->have_stats)
		goto done;
	/* the terms in the index, rarest first (a term in no row adds 0.0
	 * to every score: left out) */
	p.n = 0;
	for (size_t i = 0; i < n; i++)
		if (q->df[i] > 0) {
			p.order[p.n++] = (int)i;
			ub[i] = q->idf[i] * (RANK_K1 + 1.0);
			rest += ub[i];
			rs.postings += (uint64_t)q->df[i];
		}
	sort_by_df(&p, q->df);
	/* the first round takes terms up to a few thousand rows, the later
	 * ones as many rows again as are taken, so rounds stay few */
	budget = r->first_rows > 0 ? r->first_rows : RANK_FIRST_ROWS;
	while (taken < p.n) {
		size_t a0 = taken, g = 0;
		int64_t rows = 0, rowid;
		struct buf *e = &r->expr;

		/* A: the next terms; then the expression
		 * ((A) NOT (E)) AND (A OR the rest), E the terms taken before */
		while (taken < p.n && (taken == a0 ||
		    rows + q->df[p.order[taken]] <= budget))
			rows += q->df[p.order[taken++]];
		for (size_t i = a0; i < taken; i++)
			rest -= ub[p.order[i]];
		/* after the first round, the k-th best score so far says
		 * which terms must be taken: all of them in one round (the
		 * k-th best can only rise, so they are enough) */
		while (a0 > 0 && nh == k && taken < p.n &&
		    !(rest * (1.0 + 1e-9) + 1e-12 < out[0].score)) {
			rows += q->df[p.order[taken]];
			rest -= ub[p.order[taken++]];
		}
		in_e += rows;
		budget = in_e > budget ? in_e : budget;
		buf_reset(e);
		if (buf_puts(e, "(") != 0 ||
		    put_or(e, t, len, p.order + a0, taken - a0) != 0 ||
		    (a0 > 0 && (buf_puts(e, " NOT ") != 0 ||
		    put_or(e, t, len, p.order, a0) != 0)) ||
		    buf_puts(e, ") AND ") != 0 ||
		    put_or(e, t, len, p.order + a0, p.n - a0) != 0) {
			rc = SQLITE_NOMEM;
			goto done;
		}
		q->first = (int)taken;          /* phrases of (A) and (E) */
		q->nphrase = q->first + (int)(p.n - a0);
		for (size_t i = a0; i < p.n; i++)
			q->phrase_term[g++] = p.order[i];
		q->mode = Q_SCORE;
		sqlite3_bind_text(r->rows, 1, (const char *)e->p, (int)e->len,
		    SQLITE_STATIC);
		sqlite3_bind_pointer(r->rows, 2, q, "rd_rank", NULL);
		rs.rounds++;
		while ((rc = sqlite3_step(r->rows)) == SQLITE_ROW) {
			struct rank_row x;
			rowid = sqlite3_column_int64(r->rows, 0);
			x.rowid = rowid;
			x.score = sqlite3_column_double(r->rows, 1);
			x.group = 0;
			rs.scored++;
			if (x.score < 0.0)
				continue;       /* below theta, unread */
			if (nh == k && !better(&x, &out[0]))
				continue;
			if (keep != NULL) {
				int kr = keep(kctx, rowid, &x.group);
				if (kr < 0) {
					rc = kr;
					break;
				}
				if (kr == 0)
					continue;
			}
			kept_offer(out, &nh, k, keep != NULL ? per_group : 0,
			    x);
			if (nh == k)
				q->theta = out[0].score;
		}
		sqlite3_reset(r->rows);
		sqlite3_clear_bindings(r->rows);
		if (rc != SQLITE_DONE)
			goto done;
		rc = SQLITE_OK;
		/* a row without the terms taken scores below `rest` (each
		 * term gives less than its bound); the margin covers the
		 * rounding of the sums */
		if (nh == k && rest * (1.0 + 1e-9) + 1e-12 < out[0].score)
			break;
	}
	rs.essential = (unsigned)taken;
	qsort(out, nh, sizeof out[0], cmp_best);
	*nout = nh;
done:
	if (st != NULL)
		*st = rs;
	free(q);
	return rc;
}
