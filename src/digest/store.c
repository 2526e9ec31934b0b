/*
 * store.c - chunked, optionally LZ4-compressed body store. See store.h.
 *
 * Each file is a singly linked list of chunks; each chunk holds up to STORE_CHUNK
 * body bytes, raw or as one LZ4 block. Chunks are allocated exactly to size, so a
 * small file costs its length plus a 24-byte header. Cutting at character
 * boundaries: when the stage fills mid-file, up to 3 trailing bytes of an
 * incomplete UTF-8 sequence are carried over to the next chunk.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <lz4.h>

#include "err.h"
#include "pages.h"
#include "store.h"
#include "utf8cut.h"

/*
 * Arena slabs (uncapped digests): chunks are carved one after another from
 * 2 MiB huge-page mappings (pages.h: page faults on fresh 4 KiB pages were a
 * tenth of a digest's time). A slab counts the bytes of its chunks still
 * held: once all are dropped (the file limits evict whole runs of bodies)
 * it goes back to the kernel, unless it is the one being filled. Slabs are
 * 2 MiB aligned (pages.h), so a chunk finds its slab by its address.
 */
#define SLAB_SIZE PAGES_HUGE
struct store_slab {
	struct store_slab *next, *prev;
	size_t used, cap;
	size_t live;            /* bytes of chunks not dropped */
	uint8_t data[];
};

struct store_chunk {
	struct store_chunk *next;
	uint32_t raw_len;       /* body bytes this chunk holds */
	uint32_t stored_len;    /* bytes in data[] */
	uint32_t lz4;           /* data[] is one LZ4 block */
	uint8_t data[];
};

/*
 * LZ4's acceleration: 4 skips more match candidates than the default 1.
 * Measured on Python 3.11's source tree (70 MB of text): the digest 418 ->
 * 379 ms, peak RSS 48.8 -> 51.0 MiB (8: 359 ms, 53.0 MiB); the tarball's full
 * digest stays at 55 MiB, under the 64 MiB plan.
 */
#define STORE_LZ4_ACCEL 4

/* see store.h */
void
store_init(struct store *s, uint64_t raw_budget, uint64_t mem_cap)
{
	s->raw_budget = raw_budget;
	s->mem_cap = mem_cap;
	s->raw_total = 0;
	s->mem_used = 0;
	s->mem_peak = 0;
	s->cur = NULL;
	s->tail = NULL;
	s->stage_len = 0;
	s->arena = 0;
	s->slabs = NULL;
}

/* see store.h */
void
store_reinit(struct store *s, uint64_t raw_budget, uint64_t mem_cap)
{
	struct store_slab *keep = s->slabs, *sl, *next;

	if (keep != NULL) {
		for (sl = keep->next; sl != NULL; sl = next) {
			next = sl->next;
			pages_free(sl, SLAB_SIZE);
		}
		keep->next = keep->prev = NULL;
		keep->used = keep->live = 0;
	}
	store_init(s, raw_budget, mem_cap);
	s->slabs = keep;
}

void
store_use_arena(struct store *s)
{
	s->arena = 1;
}

/*
 * Memory for one chunk. In arena mode it comes from slabs (malloc'ing
 * thousands of 64 KiB blocks made musl map and unmap each one: a third of the
 * run went to the kernel); slabs are only freed by store_free().
 */
static struct store_chunk *
chunk_alloc(struct store *s, size_t size)
{
	struct store_slab *sl = s->slabs;

	if (!s->arena)
		return malloc(size);
	size = (size + 15) & ~(size_t)15;
	if (sl == NULL || sl->cap - sl->used < size) {
		/* a chunk is at most STORE_CHUNK plus a header: it fits */
		if ((sl = pages_alloc(SLAB_SIZE)) == NULL)
			return NULL;
		sl->cap = SLAB_SIZE - sizeof *sl;
		sl->next = s->slabs;
		sl->prev = NULL;
		if (s->slabs != NULL)
			s->slabs->prev = sl;
		sl->used = 0;
		sl->live = 0;
		s->slabs = sl;
	}
	sl->used += size;
	sl->live += size;
	return (struct store_chunk *)(void *)(sl->data + sl->used - size);
}

/* Give an arena chunk back: its slab is unmapped once nothing in it is held. */
static void
chunk_release(struct store *s, struct store_chunk *c)
{
	struct store_slab *sl;
	size_t size = (sizeof *c + c->stored_len + 15) & ~(size_t)15;

	sl = (struct store_slab *)(void *)((uintptr_t)c &
	    ~(uintptr_t)(SLAB_SIZE - 1));
	sl->live -= size;
	if (sl->live > 0 || sl == s->slabs)
		return;         /* the head slab is still being filled */
	if (sl->prev != NULL)
		sl->prev->next = sl->next;
	if (sl->next != NULL)
		sl->next->prev = sl->prev;
	pages_free(sl, SLAB_SIZE);
}

void
store_begin(struct store *s, struct store_file *f)
{
	f->head = NULL;
	f->len = 0;
	s->cur = f;
	s->tail = NULL;
	s->stage_len = 0;
}

static int
flush_stage(struct store *s, size_t n)
{
	struct store_chunk *c;
	const uint8_t *src = s->stage;
	size_t stored = n;
	int lz = 0;

	if (n == 0)
		return 0;
	if (s->raw_total >= s->raw_budget) {
		int k = LZ4_compress_fast((const char *)s->stage,
		    (char *)s->scratch, (int)n, (int)sizeof s->scratch,
		    STORE_LZ4_ACCEL);
		/* Keep it raw when LZ4 does not pay (already dense data). */
		if (k > 0 && (size_t)k < n - n / 16) {
			src = s->scratch;
			stored = (size_t)k;
			lz = 1;
		}
	}
	if (s->mem_cap != 0 && s->mem_used + stored + sizeof *c > s->mem_cap)
		return ERR_DIGEST_MEM;
	c = chunk_alloc(s, sizeof *c + stored);
	if (c == NULL)
		return ERR_NOMEM;
	c->next = NULL;
	c->raw_len = (uint32_t)n;
	c->stored_len = (uint32_t)stored;
	c->lz4 = (uint32_t)lz;
	memcpy(c->data, src, stored);
	if (s->tail)
		s->tail->next = c;
	else
		s->cur->head = c;
	s->tail = c;
	s->raw_total += n;
	s->mem_used += sizeof *c + stored;
	if (s->mem_used > s->mem_peak)
		s->mem_peak = s->mem_used;
	/* carry the bytes that were not flushed to the front */
	memmove(s->stage, s->stage + n, s->stage_len - n);
	s->stage_len -= n;
	return 0;
}

int
store_append(struct store *s, const void *p, size_t n)
{
	const uint8_t *b = p;
	int e;

	while (n > 0) {
		size_t room = sizeof s->stage - s->stage_len;
		size_t k = n < room ? n : room;
		memcpy(s->stage + s->stage_len, b, k);
		s->stage_len += k;
		s->cur->len += k;
		b += k;
		n -= k;
		if (s->stage_len == sizeof s->stage) {
			/* invalid bytes are cut where they are: their file
			 * becomes an error body anyway */
			size_t cut = utf8cut(s->stage, s->stage_len);
			if ((e = flush_stage(s, cut)) != 0)
				return e;
		}
	}
	return 0;
}

int
store_end(struct store *s)
{
	int e = 0;

	if (s->cur != NULL)
		e = flush_stage(s, s->stage_len);
	s->cur = NULL;
	s->tail = NULL;
	s->stage_len = 0;
	return e;
}

void
store_drop(struct store *s, struct store_file *f)
{
	struct store_chunk *c = f->head, *next;

	for (; c != NULL; c = next) {
		next = c->next;
		s->mem_used -= sizeof *c + c->stored_len;
		if (!s->arena)
			free(c);
		else
			chunk_release(s, c);
	}
	f->head = NULL;
	f->len = 0;
}

int
store_read(struct store *s, const struct store_file *f,
    int (*fn)(void *ctx, const uint8_t *p, size_t n), void *ctx)
{
	const struct store_chunk *c;
	int e;

	for (c = f->head; c != NULL; c = c->next) {
		if (c->lz4) {
			int k = LZ4_decompress_safe((const char *)c->data,
			    (char *)s->scratch, (int)c->stored_len,
			    (int)sizeof s->scratch);
			if (k < 0 || (uint32_t)k != c->raw_len)
				return ERR_DIGEST_MEM;  /* cannot happen: our own data */
			e = fn(ctx, s->scratch, (size_t)k);
		} else {
			e = fn(ctx, c->data, c->raw_len);
		}
		if (e)
			return e;
	}
	return 0;
}

void
store_free(struct store *s)
{
	s->cur = NULL;
	s->stage_len = 0;
	while (s->slabs != NULL) {
		struct store_slab *next = s->slabs->next;
		pages_free(s->slabs, SLAB_SIZE);
		s->slabs = next;
	}
}
