/*
 * test_pages.c - pages_alloc(): 2 MiB-aligned, zeroed, writable to the last
 * byte of the rounded length, for sizes below, at and above one huge page;
 * refused sizes; pages_free(NULL) a no-op. Whether the kernel gives huge pages
 * is its business (and the benchmark's), not asserted here.
 */
#include <stdint.h>
#include <string.h>

#include "pages.h"
#include "t.h"

static void
one(size_t n)
{
	size_t len = (n + PAGES_HUGE - 1) / PAGES_HUGE * PAGES_HUGE, zero = 1;
	uint8_t *p = pages_alloc(n);

	CHECK(p != NULL, "pages_alloc(%zu)", n);
	if (p == NULL)
		return;
	CHECK(((uintptr_t)p & (PAGES_HUGE - 1)) == 0, "%zu: 2 MiB aligned (%p)",
	    n, (void *)p);
	for (size_t i = 0; i < len; i += 4096)
		zero &= p[i] == 0;
	zero &= p[len - 1] == 0;
	CHECK(zero, "%zu: zeroed", n);
	memset(p, 0xA5, len);           /* the whole rounded length is ours */
	CHECK(p[0] == 0xA5 && p[len - 1] == 0xA5, "%zu: writable", n);
	pages_free(p, n);
}

int
main(void)
{
	one(1);
	one(256 << 10);
	one(PAGES_HUGE - 1);
	one(PAGES_HUGE);
	one(PAGES_HUGE + 1);
	one(3 * PAGES_HUGE);
	CHECK(pages_alloc(0) == NULL, "0 bytes refused");
	CHECK(pages_alloc(SIZE_MAX - 100) == NULL, "SIZE_MAX refused");
	pages_free(NULL, PAGES_HUGE);   /* a no-op (a crash would end the test) */
	return T_DONE();
}
