/*
 * tokbench.c - throughput of the token estimator, src/digest/tokens.c against its
 * reference, the same code with the ASCII fast path off (tests/unit/tokens_ref.c),
 * on real text.
 *
 * Usage: tokbench [-r ROUNDS] [-c CHUNK] [-o new|ref] FILE...
 *
 * Reads every FILE into memory (one buffer, files back to back), then counts it
 * ROUNDS times (default 5) with each implementation, fed in CHUNK-byte pieces
 * (default 65536, as digest.c's token queue feeds it), and prints per
 * implementation the count, the best round's CPU time and MB/s, then the speed-up.
 * The two estimates must be equal to the thousandth: if not, it says so and
 * exits 1. -o runs only one of them (for callgrind, whose instruction counts
 * are the stable figure on a shared machine). Not a test: a measuring tool.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tokens.h"
/* The reference at the shipped optimisation level (src/digest/tokens.c is in the
 * Makefile's FAST list, -O2), not at the -Os this file gets. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O2")
#endif
#include "../unit/tokens_ref.c"
#include "../common/slurp.h"

/* one bench file: the largest file of the bench trees is a few MB */
#define TOKBENCH_FILE_MAX (256u << 20)

static uint8_t *buf;
static size_t len, cap;

/* FILE appended to buf (read with slurp(): one way to read files in tests). */
static int
append_file(const char *path)
{
	uint8_t *p, *nb;
	size_t n;

	if ((p = slurp(path, TOKBENCH_FILE_MAX, &n)) == NULL) {
		perror(path);
		return -1;
	}
	if (cap - len < n) {
		cap = 2 * (len + n);
		if ((nb = realloc(buf, cap)) == NULL) {
			free(p);
			return -1;
		}
		buf = nb;
	}
	memcpy(buf + len, p, n);
	len += n;
	free(p);
	return 0;
}

static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Best of rounds: CPU seconds; the estimate in thousandths in *out. */
static double
run(int ref, int rounds, size_t chunk, uint64_t *out)
{
	double best = 1e30, t0, dt;
	int r;

	for (r = 0; r < rounds; r++) {
		t0 = cpu_now();
		*out = tokens_milli(ref, buf, len, chunk);
		dt = cpu_now() - t0;
		if (dt < best)
			best = dt;
	}
	return best;
}

int
main(int argc, char **argv)
{
	int rounds = 5, i, only = -1;
	size_t chunk = 65536;
	uint64_t cn = 0, cr = 0;
	double tn = 0, tr = 0;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			chunk = (size_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			only = strcmp(argv[++i], "ref") == 0;
		else
			break;
	}
	if (i >= argc || rounds < 1 || chunk == 0) {
		fprintf(stderr, "usage: tokbench [-r ROUNDS] [-c CHUNK] "
		    "[-o new|ref] FILE...\n");
		return 2;
	}
	for (; i < argc; i++)
		if (append_file(argv[i]) != 0)
			return 1;
	if (len == 0) {
		fprintf(stderr, "tokbench: no bytes\n");
		return 1;
	}
	if (only != 1) {
		tn = run(0, rounds, chunk, &cn);
		printf("new: %llu tokens, %.3f s, %.1f MB/s\n",
		    (unsigned long long)(cn + 500) / 1000, tn,
		    (double)len / 1e6 / tn);
	}
	if (only != 0) {
		tr = run(1, rounds, chunk, &cr);
		printf("ref: %llu tokens, %.3f s, %.1f MB/s\n",
		    (unsigned long long)(cr + 500) / 1000, tr,
		    (double)len / 1e6 / tr);
	}
	if (only == -1) {
		printf("%zu bytes, speed-up %.2fx\n", len, tr / tn);
		if (cn != cr) {
			printf("ESTIMATES DIFFER: %llu, reference %llu thousandths\n",
			    (unsigned long long)cn, (unsigned long long)cr);
			return 1;
		}
	}
	return 0;
}
