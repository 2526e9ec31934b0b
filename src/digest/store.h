/*
 * store.h - in-memory content store for file bodies waiting to be rendered.
 *
 * gitingest's content section is in tree order, not archive order, so bodies are
 * held until the whole archive has been read (design.md, "Memory without temp
 * files"). Bodies are appended as they stream in and cut into chunks of at most
 * STORE_CHUNK bytes, always at UTF-8 character boundaries (so an output cap never
 * splits a character). The first raw_budget bytes are kept as they are; past that
 * every chunk is LZ4-compressed (2-3x on source code at several hundred MB/s),
 * which keeps a whole-repository digest within tens of MiB without a temp file.
 * Total memory held is capped (mem_cap): going over is ERR_DIGEST_MEM, never an
 * unbounded allocation.
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_CHUNK 65536      /* one LZ4 block; also the read-back scratch size */

struct store_chunk;
struct store_slab;
struct store_async;

struct store_file {
	struct store_chunk *head;
	uint64_t len;           /* body bytes stored (uncompressed) */
};

struct store {
	uint64_t raw_budget;    /* bytes kept uncompressed before LZ4 starts */
	uint64_t mem_cap;       /* hard cap on chunk memory; 0 = none */
	uint64_t raw_total;     /* uncompressed bytes appended, all files */
	uint64_t mem_used;      /* bytes held in chunks now */
	uint64_t mem_peak;
	struct store_file *cur; /* file being appended to */
	struct store_chunk *tail; /* its last chunk (one per store, not per
	                           * file: a digest holds 84k of those) */
	int arena;              /* chunks come from slabs (see store_use_arena) */
	int async_ok;           /* store_use_thread: LZ4 may go to a thread */
	int acont;              /* the current file has chunks on the thread */
	struct store_async *as; /* that thread, once started */
	int aerr;               /* the error it met, kept once it stopped */
	struct store_slab *slabs;
	size_t stage_len;
	uint8_t *stage;         /* stage_buf, or a slot of the thread's ring */
	uint8_t stage_buf[STORE_CHUNK];
	uint8_t scratch[STORE_CHUNK + STORE_CHUNK / 255 + 32]; /* LZ4 bound */
};

void store_init(struct store *s, uint64_t raw_budget, uint64_t mem_cap);
/*
 * Start over on a store that was used (every file dropped or abandoned): as
 * store_free then store_init, but the newest slab stays mapped, empty, for
 * the next arena's chunks (its pages already faulted in: see pages.h).
 */
void store_reinit(struct store *s, uint64_t raw_budget, uint64_t mem_cap);
/*
 * Carve chunks from 1 MiB slabs instead of one malloc each: much cheaper, but a
 * dropped chunk's memory is only reclaimed by store_free(). For digests that
 * keep (nearly) every body to the end; capped digests evict, so they do not.
 */
void store_use_arena(struct store *s);
/*
 * Let an arena store compress on a second thread: once the raw budget is
 * spent, each full stage goes to a thread that compresses it, allocates its
 * chunk and links it to its file, while the caller fills the next stage.
 * Until store_sync() returns, the thread may write the head of a file being
 * stored and the store's memory figures: the caller must not move a
 * store_file (e.g. realloc an array of them) nor read mem_used or mem_peak
 * before it. store_read, store_drop, store_reinit and store_free sync by
 * themselves. A memory cap passed on the thread is reported by a later
 * store_append, store_end or store_sync. Call after store_use_arena.
 */
void store_use_thread(struct store *s);
/*
 * Wait until every stage handed to the thread is stored; with stop, end the
 * thread too and give back its memory (a later stage past the budget starts
 * it again). Returns 0 or the error the thread met (ERR_NOMEM,
 * ERR_DIGEST_MEM), which later calls return too.
 */
int store_sync(struct store *s, int stop);
/* Start appending to f (zeroed by the caller or by store_drop()). */
void store_begin(struct store *s, struct store_file *f);
/* Append body bytes to the current file. Returns 0, ERR_NOMEM or ERR_DIGEST_MEM. */
int store_append(struct store *s, const void *p, size_t n);
/* Finish the current file (flushes the staged tail). */
int store_end(struct store *s);
/* Free f's chunks; f becomes empty. */
void store_drop(struct store *s, struct store_file *f);
/*
 * Call fn with f's body in order, chunk by chunk (decompressing into an internal
 * scratch buffer, so this is not re-entrant per store). Stops at fn's first
 * non-zero return and returns it; 0 when done.
 */
int store_read(struct store *s, const struct store_file *f,
    int (*fn)(void *ctx, const uint8_t *p, size_t n), void *ctx);
/* Free everything (all files must have been dropped or are abandoned here). */
void store_free(struct store *s);

#endif
