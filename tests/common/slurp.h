/*
 * slurp.h - the tests' one way to read a whole file: reference data under
 * tests/data, fuzz corpora, bench inputs. Header-only (static inline), like t.h, so that each test
 * program stays one .c file.
 *
 * Reads to the end (pipes and files that grow included) rather than trusting a
 * size from stat(), and never more than the caller's cap: a stray large file
 * fails the test instead of eating memory. The buffer is cut to size at the end.
 */
#ifndef SLURP_H
#define SLURP_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The whole file at path, in a malloc'd buffer the caller frees, with a NUL after
 * the last byte (not counted in *n), so text fixtures can be used as strings.
 * NULL if it cannot be opened or read (errno from the C library), or holds more
 * than max bytes (errno EFBIG).
 */
static inline uint8_t *
slurp(const char *path, size_t max, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = NULL, *np;
	size_t len = 0, cap = 0, r;
	int e;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (len == cap) {
			if (cap > max) {
				e = EFBIG;
				goto fail;
			}
			/* room for max + 1 bytes at most: one more than
			 * allowed tells "too long" from "exactly max" */
			cap = cap ? 2 * cap : 65536;
			if (cap > max + 1)
				cap = max + 1;
			if ((np = realloc(p, cap + 1)) == NULL) {
				e = ENOMEM;
				goto fail;
			}
			p = np;
		}
		r = fread(p + len, 1, cap - len, f);
		len += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		e = EIO;
		goto fail;
	}
	if (len > max) {
		e = EFBIG;
		goto fail;
	}
	fclose(f);
	/* exactly the bytes and the NUL: ASan then sees a read past the end
	 * (the fuzz replay relies on it) */
	if ((np = realloc(p, len + 1)) != NULL)
		p = np;
	p[len] = '\0';
	*n = len;
	return p;
fail:
	fclose(f);
	free(p);
	errno = e;
	return NULL;
}

/* The tests' reference data (tests/data/README.md), relative to the checkout's
 * root, where tests/run runs every test program. */
#define TEST_DATA "tests/data"

/*
 * slurp() of TEST_DATA/dir/name. The path is printed to standard error if the
 * file cannot be read, so a failed check says which.
 */
static inline uint8_t *
slurp_data(const char *dir, const char *name, size_t max, size_t *n)
{
	char path[4096];
	uint8_t *p;

	if ((size_t)snprintf(path, sizeof path, "%s/%s/%s", TEST_DATA, dir,
	    name) >= sizeof path) {
		fprintf(stderr, "path too long: %s/%s\n", dir, name);
		return NULL;
	}
	if ((p = slurp(path, max, n)) == NULL)
		fprintf(stderr, "cannot read %s\n", path);
	return p;
}

/*
 * The whole file into the caller's buf of cap bytes, NUL-terminated: its length,
 * or -1 if it cannot be read or does not fit with the NUL.
 */
static inline long
slurp_into(const char *path, char *buf, size_t cap)
{
	uint8_t *p;
	size_t n;

	if (cap == 0 || (p = slurp(path, cap - 1, &n)) == NULL)
		return -1;
	memcpy(buf, p, n + 1);
	free(p);
	return (long)n;
}

#endif
