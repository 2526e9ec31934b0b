/*
 * test_sqlmem.c - SQLite's allocator (src/base/sqlmem.c): every request
 * size gets a block at least that large, 8-byte aligned, whose size xSize
 * and xRoundup agree on; realloc keeps the contents as a block grows
 * through the classes into a large block and shrinks back; the free lists
 * never hold more than SQLMEM_KEEP_MAX and a freed block is reused; eight
 * threads allocating, resizing and freeing each other's blocks (run under
 * ThreadSanitizer too); and SQLite itself on these methods, an FTS5 table
 * filled and searched.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlmem.h"
#include "t.h"

static const sqlite3_mem_methods *m;

/* Fill n bytes with a pattern that depends on seed; check it back. */
static void
fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(seed * 31 + i * 7);
}

static int
same(const unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)(seed * 31 + i * 7))
			return 0;
	return 1;
}

/* Every size up to past the largest class, then a few large ones. */
static void
test_sizes(void)
{
	int bad_round = 0, bad_size = 0, bad_align = 0, bad_fill = 0;

	for (int n = 1; n <= 70000; n += n < 300 ? 1 : 37) {
		unsigned char *p = m->xMalloc(n);
		int r = m->xRoundup(n);

		if (p == NULL) {
			CHECK(p != NULL, "malloc %d", n);
			return;
		}
		bad_round += r < n;
		bad_size += m->xSize(p) != r;
		bad_align += ((uintptr_t)p & 7) != 0;
		/* the whole usable size is the caller's (ASan checks) */
		fill(p, (size_t)m->xSize(p), (unsigned)n);
		bad_fill += !same(p, (size_t)m->xSize(p), (unsigned)n);
		m->xFree(p);
	}
	CHECK(bad_round == 0, "%d sizes rounded down", bad_round);
	CHECK(bad_size == 0, "%d blocks of another size than xRoundup's",
	    bad_size);
	CHECK(bad_align == 0, "%d blocks not 8-byte aligned", bad_align);
	CHECK(bad_fill == 0, "%d blocks lost their bytes", bad_fill);
	CHECK(m->xMalloc(0) == NULL, "0 bytes: NULL");
	CHECK(m->xSize(NULL) == 0, "size of NULL");
	m->xFree(NULL);
	/* classes step by at most a quarter */
	CHECK(m->xRoundup(1000) <= 1250 && m->xRoundup(40000) <= 50000,
	    "rounding %d %d", m->xRoundup(1000), m->xRoundup(40000));
}

/* Grow a block from 10 bytes to 200 KiB and back, contents kept. */
static void
test_realloc(void)
{
	int n = 10, lost = 0, moves = 0;
	unsigned char *p = m->xMalloc(n), *q;

	if (p == NULL) {
		CHECK(p != NULL, "malloc");
		return;
	}
	fill(p, (size_t)n, 1);
	while (n < 200000) {
		int to = n * 3 / 2 + 1;

		q = m->xRealloc(p, to);
		if (q == NULL)
			break;
		moves += q != p;
		lost += !same(q, (size_t)n, 1);
		CHECK(m->xSize(q) >= to, "grown to %d: size %d", to,
		    m->xSize(q));
		p = q;
		n = to;
		fill(p, (size_t)n, 1);
	}
	CHECK(n >= 200000, "grew to %d", n);
	CHECK(moves > 10, "moved %d times", moves);
	while (n > 10) {
		int to = n / 3 + 1;

		q = m->xRealloc(p, to);
		if (q == NULL)
			break;
		lost += !same(q, (size_t)to, 1);
		p = q;
		n = to;
	}
	CHECK(n <= 10, "shrank to %d", n);
	CHECK(lost == 0, "%d resizes lost bytes", lost);
	/* within a class: the same block */
	q = m->xRealloc(p, m->xSize(p));
	CHECK(q == p, "realloc to its own class moved it");
	m->xFree(q != NULL ? q : p);
}

/* Free more than the bound: the lists keep up to it, reuse what they
 * keep, and give everything back on trim. */
static void
test_bound(void)
{
	enum { N = 4000, SZ = 1000 };
	static void *v[N];
	size_t before, after;
	int got = 0;

	sqlmem_trim();
	CHECK(sqlmem_kept() == 0, "trimmed: %zu kept", sqlmem_kept());
	for (int i = 0; i < N; i++)
		got += (v[i] = m->xMalloc(SZ)) != NULL;
	CHECK(got == N, "%d of %d blocks", got, N);
	for (int i = 0; i < N; i++)
		m->xFree(v[i]);
	/* 4 MB freed: the lists hold up to the bound, and nearly all of it */
	CHECK(sqlmem_kept() <= SQLMEM_KEEP_MAX, "kept %zu, bound %zu",
	    sqlmem_kept(), (size_t)SQLMEM_KEEP_MAX);
	CHECK(sqlmem_kept() + (size_t)m->xRoundup(SZ) + 8 > SQLMEM_KEEP_MAX,
	    "kept only %zu", sqlmem_kept());
	before = sqlmem_kept();
	v[0] = m->xMalloc(SZ);
	after = sqlmem_kept();
	CHECK(v[0] != NULL && after < before, "a kept block reused: %zu -> %zu",
	    before, after);
	m->xFree(v[0]);
	/* a block past the classes is never kept */
	before = sqlmem_kept();
	v[0] = m->xMalloc(100000);
	m->xFree(v[0]);
	CHECK(sqlmem_kept() == before, "a large block kept");
	sqlmem_trim();
	CHECK(sqlmem_kept() == 0, "trimmed: %zu kept", sqlmem_kept());
}

/* Threads allocate, resize, check and free, half of them blocks another
 * thread allocated (through a shared slot table). */
enum { THREADS = 8, SLOTS = 64, ROUNDS = 20000 };

struct slot {
	pthread_mutex_t mu;
	unsigned char *p;
	int n;
	unsigned seed;
};

static struct slot slots[SLOTS];

static void *
worker(void *arg)
{
	unsigned r = (unsigned)(uintptr_t)arg * 2654435761u + 1;
	long bad = 0;

	for (int i = 0; i < ROUNDS; i++) {
		struct slot *s;
		unsigned char *q;
		int n;

		r = r * 1103515245u + 12345u;
		s = &slots[(r >> 8) % SLOTS];
		/* mostly small, sometimes past the classes */
		n = (r >> 20) % 8 == 0 ? 70000 + (int)(r % 5000) :
		    1 + (int)((r >> 4) % 3000);
		pthread_mutex_lock(&s->mu);
		if (s->p == NULL) {
			if ((s->p = m->xMalloc(n)) != NULL) {
				s->n = n;
				s->seed = r;
				fill(s->p, (size_t)n, r);
			}
		} else if (r % 3 == 0) {
			bad += !same(s->p, (size_t)s->n, s->seed);
			q = m->xRealloc(s->p, n);
			if (q != NULL) {
				bad += !same(q, (size_t)(n < s->n ? n : s->n),
				    s->seed);
				s->p = q;
				s->n = n;
				fill(q, (size_t)n, s->seed);
			}
		} else {
			bad += !same(s->p, (size_t)s->n, s->seed);
			m->xFree(s->p);
			s->p = NULL;
		}
		pthread_mutex_unlock(&s->mu);
	}
	return (void *)bad;
}

static void
test_threads(void)
{
	pthread_t th[THREADS];
	long bad = 0;
	int started = 0;

	for (int i = 0; i < SLOTS; i++)
		pthread_mutex_init(&slots[i].mu, NULL);
	for (int i = 0; i < THREADS; i++)
		started += pthread_create(&th[i], NULL, worker,
		    (void *)(uintptr_t)i) == 0;
	CHECK(started == THREADS, "%d threads", started);
	for (int i = 0; i < started; i++) {
		void *b;

		pthread_join(th[i], &b);
		bad += (long)b;
	}
	CHECK(bad == 0, "%ld blocks with other bytes than written", bad);
	CHECK(sqlmem_kept() <= SQLMEM_KEEP_MAX, "kept %zu", sqlmem_kept());
	for (int i = 0; i < SLOTS; i++) {
		m->xFree(slots[i].p);
		pthread_mutex_destroy(&slots[i].mu);
	}
	CHECK(sqlmem_kept() <= SQLMEM_KEEP_MAX, "kept %zu", sqlmem_kept());
}

/* SQLite on these methods: installed before its start, refused after. */
static void
test_sqlite(void)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char row[200];
	int rc, hits = 0;

	sqlmem_trim();
	CHECK(sqlmem_install() == SQLITE_OK, "install");
	rc = sqlite3_open(":memory:", &db);
	CHECK(rc == SQLITE_OK, "open");
	rc = sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5 (x)", NULL,
	    NULL, NULL);
	CHECK(rc == SQLITE_OK, "create: %s", sqlite3_errmsg(db));
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "INSERT INTO t (x) VALUES (?1)", -1,
		    &st, NULL);
	for (int i = 0; rc == SQLITE_OK && i < 3000; i++) {
		snprintf(row, sizeof row, "row %d word%d other%d common", i,
		    i % 97, i % 13);
		sqlite3_bind_text(st, 1, row, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = SQLITE_ERROR;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	CHECK(rc == SQLITE_OK, "insert: %s", sqlite3_errmsg(db));
	st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM t WHERE t MATCH"
	    " 'word5 AND other5'", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		hits = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	/* i % 97 == 5 and i % 13 == 5: i = 5 + 1261k, k = 0..2 */
	CHECK(hits == 3, "matches: %d", hits);
	/* SQLite's frees went to our lists */
	CHECK(sqlmem_kept() > 0, "nothing kept");
	CHECK(sqlite3_close(db) == SQLITE_OK, "close");
	CHECK(sqlmem_install() == SQLITE_MISUSE, "installed after the start");
	CHECK(sqlite3_shutdown() == SQLITE_OK, "shutdown");
	CHECK(sqlmem_kept() == 0, "shutdown kept %zu", sqlmem_kept());
}

int
main(void)
{
	m = sqlmem_methods();
	CHECK(m->xInit(m->pAppData) == SQLITE_OK, "init");
	test_sizes();
	test_realloc();
	test_bound();
	test_threads();
	test_sqlite();
	return T_DONE();
}
