/*
 * t.h - the unit-test harness: one line per failed check, and a closing
 * "N passed, N failed" line that tests/run adds up. Include once per test program.
 */
#ifndef T_H
#define T_H

#include <stdio.h>

static int t_passed, t_failed;

#define CHECK(cond, ...) do { \
	if (cond) { \
		t_passed++; \
	} else { \
		t_failed++; \
		fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
	} \
} while (0)

/* Print the summary line; use as `return T_DONE();` from main. */
#define T_DONE() (printf("%d passed, %d failed\n", t_passed, t_failed), \
	t_failed != 0 || t_passed == 0)

#endif
