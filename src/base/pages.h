/*
 * pages.h - large buffers straight from the kernel, in 2 MiB huge pages where
 * it allows.
 *
 * Why: every fresh 4 KiB page is a page fault on first touch, and on virtual
 * machines a fault costs microseconds (measured on the 2-core bench VM: 13 us a
 * fault, so 64 MiB touched page by page took 210 ms; in huge pages, 4.5 ms once
 * the host had backed them). A digest touches tens of MiB of new memory (the
 * held bodies) and a few MiB of fixed buffers, so this was a tenth of its wall
 * time. Buffers that are filled whole (store slabs, the inflate ring, the
 * token ring) come from here; everything small stays with malloc.
 *
 * The memory is zeroed and 2 MiB aligned; n is rounded up to 2 MiB.
 * MADV_HUGEPAGE is a hint: where transparent huge pages are off, this is an
 * ordinary mapping of small pages; where no free huge page is at hand the
 * kernel falls back to small pages, or (defrag=madvise, Debian's default)
 * compacts memory first, which can cost a few milliseconds on a fragmented
 * host: still cheaper than 512 faults.
 */
#ifndef PAGES_H
#define PAGES_H

#include <stddef.h>

#define PAGES_HUGE ((size_t)2 << 20)

/* NULL when the kernel refuses (ERR_NOMEM to the caller). */
void *pages_alloc(size_t n);
/* p and n as given to (or returned by) pages_alloc; p may be NULL. */
void pages_free(void *p, size_t n);

#endif
