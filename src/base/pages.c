/*
 * pages.c - 2 MiB-aligned anonymous mappings with the huge-page hint. See
 * pages.h.
 */
#include <sys/mman.h>

#include <stdint.h>

#include "pages.h"

static size_t
round_huge(size_t n)
{
	return (n + PAGES_HUGE - 1) & ~(PAGES_HUGE - 1);
}

/*
 * Map n + 2 MiB and trim both ends to get an aligned run: a huge page can only
 * back a 2 MiB-aligned 2 MiB range.
 */
void *
pages_alloc(size_t n)
{
	size_t len, map, head;
	uint8_t *p;

	if (n == 0 || n > SIZE_MAX - 2 * PAGES_HUGE)
		return NULL;
	len = round_huge(n);
	map = len + PAGES_HUGE;
	p = mmap(NULL, map, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	head = (PAGES_HUGE - ((uintptr_t)p & (PAGES_HUGE - 1))) &
	    (PAGES_HUGE - 1);
	if (head > 0)
		munmap(p, head);
	if (map - head - len > 0)
		munmap(p + head + len, map - head - len);
	p += head;
#ifdef MADV_HUGEPAGE
	(void)madvise(p, len, MADV_HUGEPAGE);
#endif
	return p;
}

void
pages_free(void *p, size_t n)
{
	if (p != NULL)
		munmap(p, round_huge(n));
}
