/*
 * store.c - chunked, optionally LZ4-compressed body store. See store.h.
 *
 * Each file is a singly linked list of chunks; each chunk holds up to STORE_CHUNK
 * body bytes, raw or as one LZ4 block. Chunks are allocated exactly to size, so a
 * small file costs its length plus a 24-byte header. Cutting at character
 * boundaries: when the stage fills mid-file, up to 3 trailing bytes of an
 * incomplete UTF-8 sequence are carried over to the next chunk.
 *
 * With store_use_thread, stages past the raw budget are compressed on a
 * second thread (see "compressing thread" below): the cuts, the chunks and
 * the order they are carved from the slabs are the same as without it.
 */
#include <pthread.h>
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

/*
 * Run once a digest (or on rare paths): compiled for size, not speed, which
 * keeps the binary under its limit (README) at no measurable cost.
 */
#define COLD __attribute__((cold))

/*
 * The compressing thread. Stages are written into a ring of slots; a slot
 * holds the stages of several files one after another (most files are
 * small: handing over each alone would wake the thread per file), each
 * flushed stage a segment. A stage starts in a slot only where a whole
 * STORE_CHUNK still fits, so its cuts are where they would be in
 * stage_buf. A slot is handed over (published) once it is past
 * STORE_CHUNK or out of segments; the thread compresses each segment,
 * carves its chunk and links it after its file's last one. Past the raw
 * budget every stage goes there, so from then on only the thread
 * allocates chunks and counts memory, and the slabs fill in the same
 * order as without it. The caller's side owns the slot being filled; the
 * thread owns head and what it links until the caller waits for it.
 */
#define ASYNC_SLOTS 4
#define ASYNC_SEGS  64

struct store_seg {
	struct store_file *f;
	struct store_chunk *prev;       /* f's last chunk stored before, when
	                                 * !cont; NULL: f has none */
	uint32_t off, n;                /* the stage's bytes in the slot */
	int cont;                       /* f's previous chunk came from here */
};

struct store_slot {
	unsigned nseg;
	struct store_seg seg[ASYNC_SEGS];
	uint8_t buf[2 * STORE_CHUNK];
};

struct store_async {
	struct store *s;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;              /* either side waiting for the other */
	unsigned head, count;           /* published slots, oldest first */
	int quit;
	int err;                        /* the thread's first error */
	unsigned fill;                  /* caller: the slot being filled */
	uint32_t off;                   /* caller: where the open stage starts */
	struct store_chunk *tail;       /* thread: the last chunk it linked */
	uint8_t scratch[STORE_CHUNK + STORE_CHUNK / 255 + 32];
	struct store_slot slot[ASYNC_SLOTS];
};

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
	s->stage = s->stage_buf;
	s->arena = 0;
	s->async_ok = 0;
	s->acont = 0;
	s->as = NULL;
	s->aerr = 0;
	s->slabs = NULL;
}

/* see store.h */
COLD void
store_reinit(struct store *s, uint64_t raw_budget, uint64_t mem_cap)
{
	struct store_slab *keep, *sl, *next;

	store_sync(s, 1);
	keep = s->slabs;
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

/* see store.h */
void
store_use_thread(struct store *s)
{
	s->async_ok = s->arena;
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
	s->acont = 0;
	s->stage_len = 0;
}

/*
 * n bytes of body at src as a new chunk, compressed when compress and LZ4
 * pays; *out is the chunk (not linked yet). scratch: an LZ4 bound's room.
 */
static int
chunk_put(struct store *s, const uint8_t *src, size_t n, int compress,
    uint8_t *scratch, size_t scratch_len, struct store_chunk **out)
{
	struct store_chunk *c;
	size_t stored = n;
	int lz = 0;

	if (compress) {
		int k = LZ4_compress_fast((const char *)src, (char *)scratch,
		    (int)n, (int)scratch_len, STORE_LZ4_ACCEL);
		/* Keep it raw when LZ4 does not pay (already dense data). */
		if (k > 0 && (size_t)k < n - n / 16) {
			src = scratch;
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
	s->mem_used += sizeof *c + stored;
	if (s->mem_used > s->mem_peak)
		s->mem_peak = s->mem_used;
	*out = c;
	return 0;
}

/* ------------------------------------------------------------ compressing thread */

static void *
async_main(void *arg)
{
	struct store_async *as = arg;
	struct store *s = as->s;

	for (;;) {
		struct store_slot *sl;
		int e;
		pthread_mutex_lock(&as->mu);
		while (as->count == 0 && !as->quit)
			pthread_cond_wait(&as->cv, &as->mu);
		if (as->count == 0) {
			pthread_mutex_unlock(&as->mu);
			return NULL;
		}
		sl = &as->slot[as->head];
		e = as->err;
		pthread_mutex_unlock(&as->mu);
		/* after an error nothing more is stored: the caller fails */
		for (unsigned i = 0; i < sl->nseg && e == 0; i++) {
			const struct store_seg *g = &sl->seg[i];
			struct store_chunk *c, *prev;
			e = chunk_put(s, sl->buf + g->off, g->n, 1, as->scratch,
			    sizeof as->scratch, &c);
			if (e != 0)
				break;
			prev = g->cont ? as->tail : g->prev;
			if (prev != NULL)
				prev->next = c;
			else
				g->f->head = c;
			as->tail = c;
		}
		pthread_mutex_lock(&as->mu);
		if (as->err == 0)
			as->err = e;
		as->head = (as->head + 1) % ASYNC_SLOTS;
		as->count--;
		pthread_cond_broadcast(&as->cv);
		pthread_mutex_unlock(&as->mu);
	}
}

/*
 * The thread, started, with the open stage (stage_len bytes) moved into its
 * first slot. ERR_NOMEM when there is no memory; a thread the system will
 * not make leaves the store compressing inline (*started 0).
 */
static COLD int
async_start(struct store *s, int *started)
{
	struct store_async *as = malloc(sizeof *as);

	*started = 0;
	if (as == NULL)
		return ERR_NOMEM;
	as->s = s;
	as->head = as->count = 0;
	as->quit = 0;
	as->err = 0;
	as->fill = 0;
	as->off = 0;
	as->tail = NULL;
	as->slot[0].nseg = 0;
	pthread_mutex_init(&as->mu, NULL);
	pthread_cond_init(&as->cv, NULL);
	if (pthread_create(&as->th, NULL, async_main, as) != 0) {
		pthread_mutex_destroy(&as->mu);
		pthread_cond_destroy(&as->cv);
		free(as);
		s->async_ok = 0;
		return 0;
	}
	memcpy(as->slot[0].buf, s->stage, s->stage_len);
	s->stage = as->slot[0].buf;
	s->as = as;
	*started = 1;
	return 0;
}

/*
 * Hand the slot being filled to the thread (when it has segments) and move
 * the open stage to the start of the next one, waiting for it to be free.
 * Returns the thread's error, if it met one.
 */
static int
async_publish(struct store *s)
{
	struct store_async *as = s->as;
	struct store_slot *nx;
	int e;

	pthread_mutex_lock(&as->mu);
	if (as->slot[as->fill].nseg > 0) {
		as->count++;
		pthread_cond_broadcast(&as->cv);
		while (as->count == ASYNC_SLOTS)
			pthread_cond_wait(&as->cv, &as->mu);
		as->fill = (as->fill + 1) % ASYNC_SLOTS;
		nx = &as->slot[as->fill];
		nx->nseg = 0;
		/* the open stage follows the segments: the thread reads none
		 * of it */
		memcpy(nx->buf, s->stage, s->stage_len);
		s->stage = nx->buf;
		as->off = 0;
	}
	e = as->err;
	pthread_mutex_unlock(&as->mu);
	return e;
}

/* The first n bytes of the stage as a segment for the thread. */
static int
async_flush(struct store *s, size_t n)
{
	struct store_async *as = s->as;
	struct store_slot *sl = &as->slot[as->fill];
	struct store_seg *g = &sl->seg[sl->nseg++];

	g->f = s->cur;
	g->prev = s->tail;
	g->off = as->off;
	g->n = (uint32_t)n;
	g->cont = s->acont;
	s->acont = 1;
	s->raw_total += n;
	/* the carried bytes are already where the next stage starts */
	as->off += (uint32_t)n;
	s->stage += n;
	s->stage_len -= n;
	if (as->off > STORE_CHUNK || sl->nseg == ASYNC_SEGS)
		return async_publish(s);
	return 0;
}

/* see store.h */
COLD int
store_sync(struct store *s, int stop)
{
	struct store_async *as = s->as;
	int e;

	if (as == NULL)
		return s->aerr;
	e = async_publish(s);
	pthread_mutex_lock(&as->mu);
	while (as->count > 0)
		pthread_cond_wait(&as->cv, &as->mu);
	if (e == 0)
		e = as->err;
	if (stop) {
		as->quit = 1;
		pthread_cond_broadcast(&as->cv);
	}
	pthread_mutex_unlock(&as->mu);
	if (!stop)
		return e;
	pthread_join(as->th, NULL);
	memmove(s->stage_buf, s->stage, s->stage_len);
	s->stage = s->stage_buf;
	if (s->acont)
		s->tail = as->tail;     /* the open file goes on inline */
	s->acont = 0;
	pthread_mutex_destroy(&as->mu);
	pthread_cond_destroy(&as->cv);
	free(as);
	s->as = NULL;
	if (s->aerr == 0)
		s->aerr = e;
	return s->aerr;
}

/* ------------------------------------------------------------ staging */

static int
flush_stage(struct store *s, size_t n)
{
	struct store_chunk *c;
	int e, compress;

	if (n == 0)
		return 0;
	compress = s->raw_total >= s->raw_budget;
	if (compress && s->async_ok) {
		int started = 1;
		if (s->as == NULL && (e = async_start(s, &started)) != 0)
			return e;
		if (started)
			return async_flush(s, n);
	}
	if ((e = chunk_put(s, s->stage, n, compress, s->scratch,
	    sizeof s->scratch, &c)) != 0)
		return e;
	if (s->tail)
		s->tail->next = c;
	else
		s->cur->head = c;
	s->tail = c;
	s->raw_total += n;
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
		size_t room = STORE_CHUNK - s->stage_len;
		size_t k = n < room ? n : room;
		memcpy(s->stage + s->stage_len, b, k);
		s->stage_len += k;
		s->cur->len += k;
		b += k;
		n -= k;
		if (s->stage_len == STORE_CHUNK) {
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
	struct store_chunk *c, *next;

	/* its chunks may still be on their way (an error here is the
	 * thread's: store_sync and the next append report it) */
	if (s->as != NULL && f->len > 0)
		store_sync(s, 0);
	for (c = f->head; c != NULL; c = next) {
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

	if (s->as != NULL && (e = store_sync(s, 0)) != 0)
		return e;
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

COLD void
store_free(struct store *s)
{
	store_sync(s, 1);
	s->cur = NULL;
	s->stage_len = 0;
	while (s->slabs != NULL) {
		struct store_slab *next = s->slabs->next;
		pages_free(s->slabs, SLAB_SIZE);
		s->slabs = next;
	}
}
