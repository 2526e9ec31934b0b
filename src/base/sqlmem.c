/*
 * sqlmem.c - SQLite's allocator: size classes with free lists, up to a
 * bound. See sqlmem.h for why.
 *
 * A request is rounded up to a class (43 of them, four a power of two,
 * the largest 65,504 bytes). A class's block comes from its free list
 * when there is one, else from malloc; a freed block goes on its list
 * unless the lists already hold SQLMEM_KEEP_MAX bytes, in which case
 * malloc has it back. The count of bytes kept is one atomic, added to
 * before a block is pushed and taken back when that would pass the bound,
 * so the lists never hold more. Larger blocks are malloc's, with the same
 * size word.
 *
 * SQLite is built with SQLITE_DEFAULT_MEMSTATUS=0, so it calls these
 * methods without a lock of its own: each list has its mutex, held for a
 * pointer's swap (the index build is one thread; the service's threads
 * meet on a list only when they free or want the same class at once).
 * The state is one struct, process-wide, because SQLite's allocator is.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sqlmem.h"

/* the size word before each block: SQLite wants 8-byte alignment */
#define HDR 8

/*
 * The classes, in 16-byte units of a block with malloc's own 4-byte
 * header: the sizes musl's malloc rounds to (four a power of two), so a
 * class's block costs what the same request costs SQLite's own allocator
 * (its 8-byte size word, then malloc); classes of another rounding would
 * round twice (2.3 MiB more for an index build). A class's usable size is
 * units * 16 - 12 (malloc's 4 bytes and our 8).
 */
static const uint16_t class_units[] = {
	2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 18, 20, 25, 31, 36, 42, 50, 63,
	72, 84, 102, 127, 146, 170, 204, 255, 292, 340, 409, 511, 584, 682,
	818, 1023, 1169, 1364, 1637, 2047, 2340, 2730, 3276, 4095
};
#define NCLASS ((int)(sizeof class_units / sizeof class_units[0]))
#define UNITS_MAX 4095
#define UNITS(n) (((size_t)(n) + 12 + 15) >> 4)

struct freelist {
	pthread_mutex_t mu;
	void *head;             /* the first free block's size word */
};

static struct {
	pthread_once_t once;
	uint8_t class_of[UNITS_MAX + 1];        /* units needed -> class */
	struct freelist list[NCLASS];
	atomic_size_t kept;     /* bytes (usable + HDR) on the lists */
} mem = { .once = PTHREAD_ONCE_INIT };

static void
init_lists(void)
{
	int c = 0;

	for (int u = 0; u <= UNITS_MAX; u++) {
		if (u > class_units[c])
			c++;
		mem.class_of[u] = (uint8_t)c;
	}
	for (c = 0; c < NCLASS; c++)
		pthread_mutex_init(&mem.list[c].mu, NULL);
}

static void
ready(void)
{
	pthread_once(&mem.once, init_lists);
}

/* The class of a request of n bytes, -1 when it is past the largest. */
static int
class_of(size_t n)
{
	size_t u = UNITS(n);

	return u > UNITS_MAX ? -1 : mem.class_of[u];
}

/* Usable bytes of class c's blocks. */
static size_t
class_size(int c)
{
	return (size_t)class_units[c] * 16 - 12;
}

static void *
take(int c)
{
	struct freelist *l = &mem.list[c];
	void *b;

	pthread_mutex_lock(&l->mu);
	b = l->head;
	if (b != NULL)
		memcpy(&l->head, (char *)b + HDR, sizeof l->head);
	pthread_mutex_unlock(&l->mu);
	return b;
}

/* Keep block b (class c) if the bound allows; 0 if not. */
static int
keep(void *b, int c)
{
	struct freelist *l = &mem.list[c];
	size_t size = class_size(c) + HDR;

	if (atomic_fetch_add(&mem.kept, size) + size > SQLMEM_KEEP_MAX) {
		atomic_fetch_sub(&mem.kept, size);
		return 0;
	}
	pthread_mutex_lock(&l->mu);
	memcpy((char *)b + HDR, &l->head, sizeof l->head);
	l->head = b;
	pthread_mutex_unlock(&l->mu);
	return 1;
}

/* Usable bytes of a block past the classes: what malloc is asked for
 * less the size word (malloc's own rounding is not known here). */
static size_t
large_size(int n)
{
	return ((size_t)n + 7) & ~(size_t)7;
}

static void *
m_malloc(int n)
{
	uint64_t usable;
	void *b = NULL;
	int c;

	if (n <= 0)
		return NULL;
	c = class_of((size_t)n);
	usable = c < 0 ? large_size(n) : class_size(c);
	if (c >= 0 && (b = take(c)) != NULL)
		atomic_fetch_sub(&mem.kept, usable + HDR);
	else
		b = malloc(usable + HDR);
	if (b == NULL)
		return NULL;
	memcpy(b, &usable, HDR);
	return (char *)b + HDR;
}

static int
m_size(void *p)
{
	uint64_t usable;

	if (p == NULL)
		return 0;
	memcpy(&usable, (char *)p - HDR, HDR);
	return (int)usable;
}

static void
m_free(void *p)
{
	void *b;
	int c;

	if (p == NULL)
		return;
	b = (char *)p - HDR;
	/* a class's block has its class's exact size */
	c = class_of((size_t)m_size(p));
	if (c >= 0 && keep(b, c))
		return;
	free(b);
}

static void *
m_realloc(void *p, int n)
{
	size_t old = (size_t)m_size(p);
	int c_old = class_of(old), c_new;
	uint64_t usable;
	void *q;

	if (n <= 0)
		return NULL;
	c_new = class_of((size_t)n);
	/* the same class: nothing to move */
	if (c_new >= 0 && c_new == c_old)
		return p;
	if (c_new < 0 && c_old < 0) {
		usable = large_size(n);
		if ((q = realloc((char *)p - HDR, usable + HDR)) == NULL)
			return NULL;
		memcpy(q, &usable, HDR);
		return (char *)q + HDR;
	}
	if ((q = m_malloc(n)) == NULL)
		return NULL;
	memcpy(q, p, old < (size_t)n ? old : (size_t)n);
	m_free(p);
	return q;
}

static int
m_roundup(int n)
{
	int c = class_of((size_t)n);

	return (int)(c < 0 ? large_size(n) : class_size(c));
}

static int
m_init(void *app)
{
	(void)app;
	ready();
	return SQLITE_OK;
}

static void
m_shutdown(void *app)
{
	(void)app;
	sqlmem_trim();
}

static const sqlite3_mem_methods methods = {
	m_malloc, m_free, m_realloc, m_size, m_roundup, m_init, m_shutdown,
	NULL
};

/* see sqlmem.h */
int
sqlmem_install(void)
{
	ready();
	return sqlite3_config(SQLITE_CONFIG_MALLOC, &methods);
}

/* see sqlmem.h */
const sqlite3_mem_methods *
sqlmem_methods(void)
{
	ready();
	return &methods;
}

/* see sqlmem.h */
size_t
sqlmem_kept(void)
{
	return atomic_load(&mem.kept);
}

/* see sqlmem.h */
void
sqlmem_trim(void)
{
	ready();
	for (int c = 0; c < NCLASS; c++) {
		void *b;

		while ((b = take(c)) != NULL) {
			uint64_t usable;

			memcpy(&usable, b, HDR);
			atomic_fetch_sub(&mem.kept, usable + HDR);
			free(b);
		}
	}
}
