/*
 * searchbench.c - benchmark driver for the search index's queries: what
 * `repodigest query` and the service's query route call (index_terms,
 * index_query), timed inside one process so the figures are the query's,
 * not a process start's.
 *
 * Usage: searchbench [--per-file N] [--full | --cold] INDEX QUERIES [ROUNDS]
 *        searchbench [--per-file N] --check INDEX QUERIES [K]
 *        searchbench --sizes INDEX
 *
 * QUERIES: one query per line (the text before the first tab). Every query
 * is run ROUNDS times (default 3; the first round warms the page cache the
 * later ones read, and the frequent terms' counts the connection keeps, as
 * a service's does: rank.h; ROUNDS 1 keeps only other queries' words),
 * k = 10, each result's text read. Prints one line:
 *   "queries N, runs R, p50 X ms, p90 X ms, p99 X ms, max X ms, mean X ms;
 *    CPU p50 X ms, p99 X ms" (the same runs' CPU time, which a loaded
 *    machine moves less than the wall time), and without --full what the
 *    ranking did per query (chunks scored, terms' rows read, rounds).
 * --full: index_query_full (FTS5's bm25() over every match) instead.
 * --cold: the connection's kept counts dropped before every query (what
 * `repodigest query`, one query a process, and a service's first query
 * after a write see; outside the timing).
 * --per-file N: at most N chunks of one file (index_filter's per_file;
 * default INDEX_PER_FILE, what `repodigest query` returns; 0: no cap).
 * --check: each query both ways, k = K (default 10): the same chunks in the
 * same order with the same scores, else a line naming the query, exit 1;
 * prints "checked N queries, same answers".
 * With --sizes: "chunks N fts_bytes N stored_text_bytes N text_bytes N"
 * (index_sizes: the FTS index's records, the stored text, the text).
 * Any failure: one line on stderr, exit 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "index.h"

#define MAX_RUNS 100000

/* the queries' filter: per_file only (--per-file) */
static struct index_filter filt = { NULL, NULL, NULL, NULL, INDEX_PER_FILE };

static int
take(void *ctx, const struct index_hit *h)
{
	size_t *bytes = ctx;

	*bytes += h->text_len;
	return 0;
}

/* --check: one answer's (id, score) pairs */
struct answer {
	size_t n;
	char id[1000][40];
	double score[1000];
};

static int
keep(void *ctx, const struct index_hit *h)
{
	struct answer *a = ctx;

	if (a->n < 1000) {
		snprintf(a->id[a->n], sizeof a->id[0], "%s", h->id);
		a->score[a->n++] = h->score;
	}
	return 0;
}

static int
check(struct index *ix, const char *queries, size_t k)
{
	static struct answer a, b;
	static struct index_terms t;
	struct err_ctx ec;
	char line[65536], msg[1024];
	size_t nq = 0;
	FILE *f = fopen(queries, "r");

	if (f == NULL) {
		perror(queries);
		return 1;
	}
	memset(&ec, 0, sizeof ec);
	while (fgets(line, sizeof line, f) != NULL) {
		size_t len = strcspn(line, "\t\n");
		index_terms(ix, (const uint8_t *)line, len, &t);
		a.n = b.n = 0;
		if (index_query(ix, &t, &filt, k, keep, &a, &ec) != 0 ||
		    index_query_full(ix, &t, &filt, k, keep, &b, &ec) != 0) {
			err_format(&ec, msg, sizeof msg);
			fprintf(stderr, "searchbench: %s\n", msg);
			return 1;
		}
		line[len] = '\0';
		if (a.n != b.n) {
			fprintf(stderr, "searchbench: %s: %zu results, full %zu\n",
			    line, a.n, b.n);
			return 1;
		}
		for (size_t i = 0; i < a.n; i++)
			if (strcmp(a.id[i], b.id[i]) != 0 ||
			    a.score[i] != b.score[i]) {
				fprintf(stderr, "searchbench: %s: result %zu: %s "
				    "%.17g, full %s %.17g\n", line, i, a.id[i],
				    a.score[i], b.id[i], b.score[i]);
				return 1;
			}
		nq++;
	}
	fclose(f);
	printf("checked %zu queries, same answers\n", nq);
	return 0;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* clock_gettime(CLOCK) in milliseconds */
static double
now_ms(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int
main(int argc, char **argv)
{
	static struct index ix;
	static struct index_terms t;
	static double ms[MAX_RUNS], cpu[MAX_RUNS];
	struct index_opts o = { 0, 1, 0 };
	struct err_ctx ec;
	char line[65536], msg[1024];
	size_t n = 0, nq = 0, bytes = 0;
	int rounds, full = 0, cold = 0;
	double sum = 0, scored = 0, ess = 0, rnds = 0;
	FILE *f;

	if (argc > 2 && strcmp(argv[1], "--per-file") == 0) {
		filt.per_file = (size_t)atoi(argv[2]);
		argc -= 2;
		argv += 2;
	}
	if (argc == 3 && strcmp(argv[1], "--sizes") == 0) {
		struct index_sizes sz;
		memset(&ec, 0, sizeof ec);
		if (index_open(&ix, argv[2], &o, &ec) != 0 ||
		    index_sizes(&ix, &sz, &ec) != 0) {
			err_format(&ec, msg, sizeof msg);
			fprintf(stderr, "searchbench: %s\n", msg);
			return 1;
		}
		printf("chunks %llu fts_bytes %llu stored_text_bytes %llu "
		    "text_bytes %llu\n", (unsigned long long)sz.chunks,
		    (unsigned long long)sz.fts_bytes,
		    (unsigned long long)sz.stored_text_bytes,
		    (unsigned long long)sz.text_bytes);
		index_close(&ix);
		return 0;
	}
	if (argc >= 4 && strcmp(argv[1], "--check") == 0) {
		memset(&ec, 0, sizeof ec);
		if (index_open(&ix, argv[2], &o, &ec) != 0) {
			err_format(&ec, msg, sizeof msg);
			fprintf(stderr, "searchbench: %s\n", msg);
			return 1;
		}
		n = check(&ix, argv[3], argc > 4 ? (size_t)atoi(argv[4]) : 10);
		index_close(&ix);
		return (int)n;
	}
	if (argc > 1 && (strcmp(argv[1], "--full") == 0 ||
	    strcmp(argv[1], "--cold") == 0)) {
		full = argv[1][2] == 'f';
		cold = !full;
		argc--;
		argv++;
	}
	rounds = argc > 3 ? atoi(argv[3]) : 3;
	if (argc < 3 || rounds < 1) {
		fprintf(stderr, "usage: searchbench [--per-file N] [--full | "
		    "--cold] INDEX QUERIES [ROUNDS]\n");
		return 2;
	}
	memset(&ec, 0, sizeof ec);
	if (index_open(&ix, argv[1], &o, &ec) != 0) {
		err_format(&ec, msg, sizeof msg);
		fprintf(stderr, "searchbench: %s\n", msg);
		return 1;
	}
	for (int r = 0; r < rounds; r++) {
		if ((f = fopen(argv[2], "r")) == NULL) {
			perror(argv[2]);
			return 1;
		}
		while (fgets(line, sizeof line, f) != NULL && n < MAX_RUNS) {
			size_t len = strcspn(line, "\t\n");
			double t0, c0;
			if (cold)
				memset(&ix.rank.counts, 0,
				    sizeof ix.rank.counts);
			t0 = now_ms(CLOCK_MONOTONIC);
			c0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
			index_terms(&ix, (const uint8_t *)line, len, &t);
			if ((full ? index_query_full : index_query)(&ix, &t, &filt,
			    10, take, &bytes, &ec) != 0) {
				err_format(&ec, msg, sizeof msg);
				fprintf(stderr, "searchbench: %s\n", msg);
				return 1;
			}
			ms[n] = now_ms(CLOCK_MONOTONIC) - t0;
			cpu[n] = now_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
			scored += (double)ix.last.scored;
			ess += ix.last.essential;
			rnds += ix.last.rounds;
			sum += ms[n++];
			nq += r == 0;
		}
		fclose(f);
	}
	index_close(&ix);
	if (n == 0) {
		fprintf(stderr, "searchbench: no queries in %s\n", argv[2]);
		return 1;
	}
	qsort(ms, n, sizeof ms[0], cmp_d);
	qsort(cpu, n, sizeof cpu[0], cmp_d);
	printf("queries %zu, runs %zu, p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, "
	    "max %.2f ms, mean %.2f ms; CPU p50 %.2f ms, p99 %.2f ms", nq, n,
	    ms[n / 2], ms[n * 9 / 10], ms[n * 99 / 100], ms[n - 1],
	    sum / (double)n, cpu[n / 2], cpu[n * 99 / 100]);
	if (!full)
		printf("; per query %.0f chunks scored, %.1f terms' rows, "
		    "%.1f rounds", scored / (double)n, ess / (double)n,
		    rnds / (double)n);
	printf("\n");
	return 0;
}
