/*
 * sqlmem.h - SQLite's memory allocator: freed blocks kept for reuse.
 *
 * FTS5 frees its whole term hash at every flush (about every MiB of
 * postings) and fills it again; given to musl's malloc, each flush empties
 * whole groups, which malloc unmaps and maps again a moment later (a build
 * of python3.11's 115k chunks made 71,000 mmaps, as many munmaps and 83,000
 * madvises). These methods keep freed blocks on free lists, one per size
 * class, for the next allocation of that class, up to SQLMEM_KEEP_MAX bytes
 * in all: a block freed past the bound goes back to malloc, so the memory
 * held idle stays small. Blocks above 64 KiB (FTS5's hash slots, the page
 * cache's bulk: few, long-lived) go straight to malloc and free.
 *
 * Process-wide (SQLite has one allocator): the job table's connections and
 * the search index's, on any thread, share it; every list has its own
 * mutex. sqlmem_install() must run before SQLite is first used.
 */
#ifndef SQLMEM_H
#define SQLMEM_H

#include <stddef.h>

#include "sqlite3.h"

/* Bytes kept on the free lists at most: most of what FTS5's term hash
 * frees at a flush (a python3.11 build's system time 1.2 -> 0.4 s), in
 * what that build's peak RSS has left under its 64 MiB (2 MiB would save
 * 0.1 s more at 64.6 MiB; docs/performance.md, round 4) */
#define SQLMEM_KEEP_MAX ((size_t)1 << 20)

/* Make these methods SQLite's allocator (sqlite3_config): call once, before
 * anything else in the process uses SQLite. Returns SQLITE_OK, or
 * SQLITE_MISUSE when SQLite has already started (its own allocator then
 * stays, which is only slower). */
int sqlmem_install(void);

/* The methods themselves, for the unit test (which calls them directly).
 * Every block carries its size in 8 bytes before it, as SQLite's own
 * default allocator does on this build (xSize needs it). */
const sqlite3_mem_methods *sqlmem_methods(void);

/* Bytes on the free lists now (at most SQLMEM_KEEP_MAX). */
size_t sqlmem_kept(void);

/* Give every kept block back to malloc (sqlite3_shutdown does, through
 * xShutdown). Safe at any time, from any thread. */
void sqlmem_trim(void);

#endif
