/*
 * digest.c - entries in, gitingest digest out. See digest.h.
 *
 * Data flow per entry: digest_entry() records the path and decides what it can
 * right away (depth, size limit, include patterns for files, the ignore rules
 * known so far); digest_data() streams the body through the binary test (the
 * first 1024 bytes must be strict UTF-8), universal-newline translation, a UTF-8
 * validator for the rest and the token estimator into the content store;
 * digest_entry_end() settles the body. digest_finish() applies the complete
 * ignore set, sorts the kept leaves in gitingest's tree order, applies the count
 * and total-size limits in that order, builds the tree string and the token
 * figure. Rendering then walks the sorted leaves.
 *
 * Deterministic where gitingest is not (documented in README.md too):
 *  - ignore rules: last match wins in the order defaults, -e, ignore files
 *    (gitingest uses one Python set, so negation follows hash order);
 *  - names equal after lower-casing: raw byte order of the name;
 *  - count and total-size limits: applied in tree order, not filesystem order;
 *  - a decode error after the first KiB: Python's message with the absolute
 *    byte offset in the file (gitingest's is relative to its read chunk).
 * Archive-specific, so that a tarball gives its directory's digest:
 *  - an ignore file that arrives after the entries it affects is still applied
 *    to them (bodies are held until the end), and ignore files are applied in
 *    the directory walk's order (shallow first, then bytes), whatever the
 *    archive's (igf_rebuild);
 *  - an entry left out on arrival keeps its body while a later ignore file
 *    could still re-include it (may_reinclude: in a sorted archive only paths
 *    with a component sorting before ".gitingestignore"), provisionally and
 *    outside the output cap's heap; only in an unsorted archive can an entry
 *    judged too early end as DROPPED_EARLY;
 *  - a top directory is stripped tentatively (digest_tentative_top): bodies
 *    the unstripped paths would keep are kept too, and digest_reroot() puts
 *    the directory back when an entry lies outside it;
 *  - the same path twice keeps the last entry (REPLACED), and members below
 *    a symlink or file of the archive are left out (UNDER_LINK), as
 *    extraction would leave them.
 * Names holding control characters are printed escaped (digest_escape_name).
 *
 * Limits: DIGEST_MAX_ENTRIES entries, paths as the archive reader caps them,
 * bodies within the store's memory cap, 1 MiB per ignore file.
 *
 * Memory: only bodies that can still be printed are held, those before the
 * output cap and those the file limits cannot cut (see "output cap" and
 * "file limits"); a body known to be cut on arrival is not even read. What
 * stays per entry is its node (64 bytes), its path and sort key in d->strs
 * (the key is the path itself when lower-casing changes nothing) and a
 * path-map slot; an entry whose body was read also has a digest_body (48).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "digest.h"
#include "err.h"
#include "jsonstr.h"
#include "notebook.h"
#include "tokens.h"
#include "utf8.h"

#define HEAD_LEN 1024           /* gitingest's binary test reads this much */
#define SEP "================================================"

/* Why a notebook's body is an error rather than its conversion (--report). */
enum note {
	NOTE_NONE = 0,
	NOTE_NB_SIZE,           /* over DIGEST_NOTEBOOK_MAX */
	NOTE_NB_TREE            /* its tree over NOTEBOOK_TREE_MAX */
};

static const char *const note_text[] = {
	"",
	"notebook not converted: larger than the 4 MiB conversion limit",
	"notebook not converted: its JSON tree is over the memory limit",
};

enum body {
	BODY_NONE = 0,          /* symlink: empty */
	BODY_TEXT,              /* in the store */
	BODY_BINARY,
	BODY_EMPTY,
	BODY_ERROR              /* msg */
};

/*
 * One per archive entry (Linux: 84k), so its size is most of a capped
 * digest's memory: widest fields first, no holes (64 bytes). What only a
 * body that was read needs lives in a digest_body (Linux: 84k entries, 19k
 * bodies read in a capped digest).
 */
struct digest_node {
	char *path;             /* NUL-terminated copy, relative (d->strs) */
	char *link;             /* symlink text, or NULL */
	char *lkey;             /* lower-cased path (sort key; d->strs, or
	                         * path itself when lower-casing changes
	                         * nothing), kept leaves only */
	uint64_t size;          /* size declared by the source */
	uint32_t path_len;
	uint32_t link_len;
	uint32_t lkey_len;
	uint32_t ig_gen;        /* d->ig_epoch when the entry was judged */
	uint32_t bi;            /* its body is d->bodies[bi - 1]; 0: never read */
	uint8_t type;           /* enum digest_type */
	uint8_t reason;         /* enum digest_reason */
	uint8_t body;           /* enum body */
	uint8_t prov;           /* body kept though the entry was left out
	                         * when it arrived: a later ignore file or an
	                         * un-stripped top directory may bring it back */
	uint8_t has_body;       /* the body was read (files) or needs none */
	uint8_t in_heap;        /* in the output cap's heap */
	uint8_t dead;           /* replaced while in the heap: pop, not count */
	uint8_t note;           /* enum note: why a notebook was not converted */
	uint8_t evicted;        /* body discarded: it lies past the output cap
	                         * or the file limits cut it */
	uint8_t in_lim;         /* one of the file limits' firm leaves */
	uint8_t lim_cut;        /* the file limits cut it: body not kept (and
	                         * not read when known on arrival) */
};

/*
 * One per body that was read (digest_entry() starts it, never freed before
 * digest_free()): entries left out or cut on arrival have none, and count
 * as an empty body of 0 tokens.
 */
struct digest_body {
	struct store_file sf;   /* the text, while held */
	char *msg;              /* BODY_ERROR text, or NULL */
	uint64_t text_len;      /* text body bytes (for token scaling) */
	uint64_t tokens;        /* estimate for the body */
	uint32_t tok_fed;       /* bytes of it the token count saw (at most
	                         * DIGEST_TOKEN_SAMPLE) */
};

struct digest_cur {
	size_t idx;             /* node being streamed */
	int active;
	int storing;            /* the body is processed (tokens, body kind) */
	int discard;            /* ... but not kept: it lies past the output cap */
	int notebook;           /* buffer raw JSON, convert at the end */
	int nb_too_big;         /* over DIGEST_NOTEBOOK_MAX: not converted */
	uint64_t text_len;      /* body bytes produced */
	uint64_t tok_fed;       /* ... of which counted for tokens */
	int capture;            /* this is an ignore file: keep its bytes */
	int decided, text;
	uint64_t seen;
	size_t head_len;
	int pending_cr;
	struct utf8v v;
	struct tokens tk;
	struct buf nb;          /* notebook JSON */
	struct buf ig;          /* ignore file bytes */
	uint8_t head[HEAD_LEN];
	uint8_t xbuf[8192];     /* newline translation output */
};

/* Cache of "is this directory excluded" along the current path, by depth: archives
 * list a directory's entries together, so most lookups hit. */
struct dircache {
	uint64_t gen;
};

static int cmp_leaf(const void *pa, const void *pb);
static int tokq_finish(struct digest *d);
static int make_lkey(struct digest *d, struct digest_node *nd);
static size_t next_comp(const char *s, size_t n, size_t *at, size_t *len);
static int memcmp_len(const char *a, size_t an, const char *b, size_t bn);

static const char *const reason_text[] = {
#define DIGEST_REASON_TEXT(name, text) text,
	DIGEST_REASONS(DIGEST_REASON_TEXT)
#undef DIGEST_REASON_TEXT
};

/* see digest.h */
const char *
digest_reason_str(int reason)
{
	if (reason < 0 || (size_t)reason >= sizeof reason_text / sizeof *reason_text)
		return "unknown";
	return reason_text[reason];
}

/*
 * Run once a digest (or on rare paths): compiled for size, not speed, which
 * keeps the binary under its limit (README) at no measurable cost.
 */
#define COLD __attribute__((cold))

/* ------------------------------------------------------------ set-up */

static char *
dupn(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s != NULL) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

static int
add_user_exclude(void *ctx, const char *p, size_t n)
{
	return ignore_add(ctx, p, n);
}

static int
add_include(void *ctx, const char *p, size_t n)
{
	struct digest *d = ctx;
	int e;

	/* gitingest: an include pattern removes the identical ignore pattern */
	ignore_remove(&d->ig, p, n);
	if ((e = ignore_add(&d->inc, p, n)) != 0)
		return e;
	d->n_includes++;
	return 0;
}

/*
 * The buffers digest_recycle keeps for the next digest (d->spare): their
 * contents are set up anew by setup(). KEEP_MAX bounds each, so a worker
 * that once digested a large repository does not hold its arrays for the
 * rest of the run.
 */
#define KEEP_MAX ((size_t)1 << 20)

static int setup(struct digest *d, const struct digest_opts *o);
static void release(struct digest *d, int keep);
static void spare_free(struct digest_spare *k);
static void pm_clear(struct digest_pathmap *m);

int
digest_init(struct digest *d, const struct digest_opts *o)
{
	memset(d, 0, sizeof *d);
	return setup(d, o);
}

/* see digest.h */
void
digest_recycle(struct digest *d)
{
	release(d, 1);
}

/* see digest.h */
int
digest_reinit(struct digest *d, const struct digest_opts *o)
{
	release(d, 1);
	return setup(d, o);
}

/* digest_init on a zeroed d but for d->spare, whose buffers it takes (or
 * frees): the spare is empty afterwards. */
static COLD int
setup(struct digest *d, const struct digest_opts *o)
{
	struct digest_spare *k = &d->spare;
	int e;

	d->opt = *o;
	if (d->opt.max_file_size == 0)
		d->opt.max_file_size = DIGEST_MAX_FILE_SIZE;
	if (d->opt.max_files == 0)
		d->opt.max_files = DIGEST_MAX_FILES;
	if (d->opt.max_total == 0)
		d->opt.max_total = DIGEST_MAX_TOTAL;
	if (d->opt.max_depth < 0)
		d->opt.max_depth = DIGEST_MAX_DEPTH;
	if (d->opt.raw_budget == 0)
		d->opt.raw_budget = DIGEST_RAW_BUDGET;
	if (d->opt.mem_cap == 0)
		d->opt.mem_cap = DIGEST_MEM_CAP;
	/* emptied sets keep their memory (a zeroed one is ignore_init's) */
	d->ig = k->ig;
	d->inc = k->inc;
	d->igalt = k->igalt;
	ignore_init(&k->ig);
	ignore_init(&k->inc);
	ignore_init(&k->igalt);
	d->prev = k->prev;
	d->prev_cap = k->prev_cap;
	d->altp = k->altp;
	d->altp_cap = k->altp_cap;
	k->prev = k->altp = NULL;
	d->strs = k->strs;
	d->nodes = k->nodes;
	d->cap = k->cap;
	d->bodies = k->bodies;
	d->bodies_cap = k->bodies_cap;
	d->heap = k->heap;
	d->heap_cap = k->heap_cap;
	d->order = k->order;
	d->order_cap = k->order_cap;
	if (k->lim != NULL && k->lim_files == d->opt.max_files) {
		d->lim = k->lim;
		k->lim = NULL;
	}
	if ((d->pm = k->pm) != NULL)
		pm_clear(d->pm);
	if (k->cur != NULL) {
		/* as calloc'd, but the buffers keep their memory */
		struct buf nb = k->cur->nb, ig = k->cur->ig;
		memset(k->cur, 0, sizeof *k->cur);
		k->cur->nb = nb;
		k->cur->ig = ig;
		buf_reset(&k->cur->nb);
		buf_reset(&k->cur->ig);
		d->cur = k->cur;
	} else if ((d->cur = calloc(1, sizeof *d->cur)) != NULL) {
		buf_init(&d->cur->nb, DIGEST_MAX_FILE_SIZE);
		buf_init(&d->cur->ig, DIGEST_IGNORE_FILE_MAX);
	}
	if ((d->store = k->store) == NULL &&
	    (d->store = malloc(sizeof *d->store)) != NULL)
		store_init(d->store, 0, 0);
	k->cur = NULL;
	k->store = NULL;
	k->strs = NULL;
	k->pm = NULL;
	k->nodes = NULL;
	k->bodies = NULL;
	k->order = NULL;
	k->heap = NULL;
	spare_free(k);                  /* a lim of another size */
	if (d->cur == NULL || d->store == NULL)
		return ERR_NOMEM;
	/* a store from before keeps one slab for the next chunks */
	store_reinit(d->store, d->opt.raw_budget, d->opt.mem_cap);
	if (d->opt.max_output == 0)
		store_use_arena(d->store);
	if ((e = ignore_add_defaults(&d->ig)) != 0)
		return e;
	/* user excludes first, then includes remove identical strings (gitingest
	 * builds the set the same way) */
	for (const char *const *p = o->excludes; p && *p; p++)
		if ((e = ignore_split_user(*p, strlen(*p), add_user_exclude,
		    &d->ig)) != 0)
			return e;
	for (const char *const *p = o->includes; p && *p; p++)
		if ((e = ignore_split_user(*p, strlen(*p), add_include, d)) != 0)
			return e;
	return 0;
}

static int
remove_include(void *ctx, const char *p, size_t n)
{
	ignore_remove(ctx, p, n);
	return 0;
}

/* The set before any ignore file: defaults, -e, minus -i strings (as init),
 * into ig (a set in use is emptied first, keeping its memory). */
static int
base_ignore(const struct digest *d, struct ignore *ig)
{
	int e;

	ignore_clear(ig);
	if ((e = ignore_add_defaults(ig)) != 0)
		return e;
	for (const char *const *p = d->opt.excludes; p && *p; p++)
		if ((e = ignore_split_user(*p, strlen(*p), add_user_exclude,
		    ig)) != 0)
			return e;
	for (const char *const *p = d->opt.includes; p && *p; p++)
		if ((e = ignore_split_user(*p, strlen(*p), remove_include,
		    ig)) != 0)
			return e;
	return 0;
}

/* ------------------------------------------------------------ strings */

/*
 * Paths and sort keys of every entry, carved from 64 KiB blocks: a malloc
 * each cost ~16 bytes of allocator overhead on ~38 bytes of path (Linux:
 * 84k entries). Freed all at once by digest_free(); a string replaced by
 * digest_reroot() stays until then (once per archive).
 */
#define STRS_BLOCK 65536
struct digest_strs {
	struct digest_strs *next;
	size_t used, cap;
	char data[];
};

static char *
str_alloc(struct digest *d, size_t n)
{
	struct digest_strs *b = d->strs;

	if (b == NULL || b->cap - b->used < n) {
		size_t cap = n > STRS_BLOCK ? n : STRS_BLOCK;
		if ((b = malloc(sizeof *b + cap)) == NULL)
			return NULL;
		b->cap = cap;
		b->used = 0;
		b->next = d->strs;
		d->strs = b;
	}
	b->used += n;
	return b->data + b->used - n;
}

static char *
str_dup(struct digest *d, const char *p, size_t n)
{
	char *s = str_alloc(d, n + 1);

	if (s != NULL) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

/* ------------------------------------------------------------ bodies */

static struct digest_body *
body_of(const struct digest *d, const struct digest_node *nd)
{
	return nd->bi ? &d->bodies[nd->bi - 1] : NULL;
}

/*
 * p (an array of *cap elements of elem bytes) reallocated with twice the
 * room, or first elements when it has none; *cap is updated. NULL when
 * there is no memory: p is then unchanged, still the caller's. The one
 * growth rule for this file's arrays (nodes, bodies, heap, ignore files).
 */
static void *
grow(void *p, size_t *cap, size_t elem, size_t first)
{
	size_t nc = *cap ? *cap * 2 : first;
	void *np = realloc(p, nc * elem);

	if (np != NULL)
		*cap = nc;
	return np;
}

/* The body record of node nd, made on its first use. */
static struct digest_body *
body_make(struct digest *d, struct digest_node *nd)
{
	if (nd->bi != 0)
		return body_of(d, nd);
	if (d->n_bodies == d->bodies_cap) {
		struct digest_body *nb = grow(d->bodies, &d->bodies_cap,
		    sizeof *nb, 256);
		if (nb == NULL)
			return NULL;
		d->bodies = nb;
	}
	memset(&d->bodies[d->n_bodies], 0, sizeof *d->bodies);
	nd->bi = (uint32_t)++d->n_bodies;
	return body_of(d, nd);
}

/* Let go of node nd's stored text, if any. */
static void
body_drop(struct digest *d, struct digest_node *nd)
{
	struct digest_body *b = body_of(d, nd);

	if (b != NULL)
		store_drop(d->store, &b->sf);
}

static uint64_t
body_tokens(const struct digest *d, const struct digest_node *nd)
{
	const struct digest_body *b = body_of(d, nd);

	return b != NULL ? b->tokens : 0;
}

/* ------------------------------------------------------------ path map */

/*
 * Archive paths to the latest node reporting them: a path listed twice keeps
 * the last entry, as extraction would leave it, and a member below another
 * member that is not a directory is found by looking its ancestors up.
 * Open addressing, slots hold index + 1, at most three quarters full
 * (Linux's 84k paths: 128k slots, 512 KiB).
 */
struct digest_pathmap {
	uint32_t *slot;         /* entries are fewer than DIGEST_MAX_ENTRIES */
	size_t cap;             /* power of two */
	size_t n;
};

/* Empty again, its slots kept. */
static void
pm_clear(struct digest_pathmap *m)
{
	memset(m->slot, 0, m->cap * sizeof *m->slot);
	m->n = 0;
}

static uint64_t
path_hash(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)p[i]) * 0x100000001b3ull;
	return h;
}

/* The slot for path: holding its node, or the empty one where it would go. */
static uint32_t *
pm_slot(const struct digest *d, const char *p, size_t n)
{
	const struct digest_pathmap *m = d->pm;
	size_t i = (size_t)path_hash(p, n) & (m->cap - 1);

	for (;;) {
		size_t v = m->slot[i];

		if (v == 0)
			return &m->slot[i];
		if (d->nodes[v - 1].path_len == n &&
		    memcmp(d->nodes[v - 1].path, p, n) == 0)
			return &m->slot[i];
		i = (i + 1) & (m->cap - 1);
	}
}

/* Node index of path, or SIZE_MAX. */
static size_t
pm_get(const struct digest *d, const char *p, size_t n)
{
	uint32_t *sl;

	if (d->pm == NULL || d->pm->cap == 0)
		return SIZE_MAX;
	sl = pm_slot(d, p, n);
	return *sl ? *sl - 1 : SIZE_MAX;
}

static int
pm_rehash(struct digest *d, size_t cap)
{
	struct digest_pathmap *m = d->pm;
	uint32_t *old = m->slot;
	size_t oldcap = m->cap;

	if ((m->slot = calloc(cap, sizeof *m->slot)) == NULL) {
		m->slot = old;
		return ERR_NOMEM;
	}
	m->cap = cap;
	m->n = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i] != 0) {
			const struct digest_node *nd = &d->nodes[old[i] - 1];
			*pm_slot(d, nd->path, nd->path_len) = old[i];
			m->n++;
		}
	free(old);
	return 0;
}

/* Map node idx's path to idx (replacing an earlier node of that path). */
static int
pm_put(struct digest *d, size_t idx)
{
	const struct digest_node *nd = &d->nodes[idx];
	uint32_t *sl;
	int e;

	if (d->pm == NULL && (d->pm = calloc(1, sizeof *d->pm)) == NULL)
		return ERR_NOMEM;
	if ((d->pm->n + 1) * 4 > d->pm->cap * 3 &&
	    (e = pm_rehash(d, d->pm->cap ? d->pm->cap * 2 : 1024)) != 0)
		return e;
	sl = pm_slot(d, nd->path, nd->path_len);
	if (*sl == 0)
		d->pm->n++;
	*sl = (uint32_t)(idx + 1);
	return 0;
}

/* ------------------------------------------------------------ ignore files */

static size_t
slashes(const char *p, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += p[i] == '/';
	return c;
}

/* The directory walk's order of ignore files: shallow first, then bytes. */
static int
igf_cmp(const struct digest_igfile *a, const struct digest_igfile *b)
{
	size_t da = slashes(a->path, a->path_len), db = slashes(b->path,
	    b->path_len);
	size_t m = a->path_len < b->path_len ? a->path_len : b->path_len;
	int r;

	if (da != db)
		return da < db ? -1 : 1;
	if ((r = memcmp(a->path, b->path, m)) != 0)
		return r;
	return a->path_len < b->path_len ? -1 : a->path_len > b->path_len;
}

static int
igf_qcmp(const void *a, const void *b)
{
	return igf_cmp(*(struct digest_igfile *const *)a,
	    *(struct digest_igfile *const *)b);
}

/* Directory part of an ignore file's path ("" at the root). */
static size_t
dir_len(const char *p, size_t n)
{
	while (n > 0 && p[n - 1] != '/')
		n--;
	return n > 0 ? n - 1 : 0;
}

/* Add an ignore file's patterns to ig, its directory prefixed with pre/. */
static int
add_file_to(struct digest *d, struct ignore *ig, const char *pre,
    size_t prelen, const char *path, size_t plen, const uint8_t *data,
    size_t len, int count_bad)
{
	size_t dl = dir_len(path, plen), bad = 0;
	char *dir = NULL;
	int e;

	if (prelen > 0) {
		if ((dir = malloc(prelen + 1 + dl + 1)) == NULL)
			return ERR_NOMEM;
		memcpy(dir, pre, prelen);
		if (dl > 0) {
			dir[prelen] = '/';
			memcpy(dir + prelen + 1, path, dl);
		}
		dl = prelen + (dl > 0 ? 1 + dl : 0);
	}
	e = ignore_add_file(ig, dir ? dir : path, dl, (const char *)data, len,
	    &bad);
	if (count_bad)
		d->ignore_bad_lines += bad;
	free(dir);
	return e;
}

/*
 * An archive's ignore file: remember it, apply it now (to the tentative
 * alternative set too). Out of the walk's order, it is rebuilt at finish.
 */
static int
igf_add(struct digest *d, const char *path, size_t plen, const uint8_t *data,
    size_t len)
{
	struct digest_igfile *f;
	int e;

	if (d->n_igf == d->cap_igf) {
		struct digest_igfile *nv = grow(d->igf, &d->cap_igf,
		    sizeof *nv, 16);
		if (nv == NULL)
			return ERR_NOMEM;
		d->igf = nv;
	}
	f = &d->igf[d->n_igf];
	memset(f, 0, sizeof *f);
	if ((f->path = dupn(path, plen)) == NULL ||
	    (f->data = malloc(len ? len : 1)) == NULL) {
		free(f->path);
		return ERR_NOMEM;
	}
	memcpy(f->data, data, len);
	f->path_len = plen;
	f->len = len;
	d->n_igf++;
	for (size_t i = 0; i + 1 < d->n_igf && !d->igf_rebuild; i++)
		if (!d->igf[i].dead && igf_cmp(&d->igf[i], f) > 0)
			d->igf_rebuild = 1;
	d->ig_epoch++;
	if ((e = add_file_to(d, &d->ig, NULL, 0, path, plen, data, len, 1)) != 0)
		return e;
	if (d->alt != NULL)
		e = add_file_to(d, &d->igalt, d->alt, d->alt_len, path, plen,
		    data, len, 0);
	return e;
}

/* A replaced ignore file no longer counts: rebuild without it at finish. */
static void
igf_kill(struct digest *d, const char *path, size_t plen)
{
	for (size_t i = 0; i < d->n_igf; i++)
		if (!d->igf[i].dead && d->igf[i].path_len == plen &&
		    memcmp(d->igf[i].path, path, plen) == 0) {
			d->igf[i].dead = 1;
			d->igf_rebuild = 1;
		}
}

/* The set from scratch: base, then the live ignore files in walk order. */
static int
igf_rebuild(struct digest *d)
{
	struct digest_igfile **v;
	size_t n = 0;
	int e;

	if ((v = malloc((d->n_igf ? d->n_igf : 1) * sizeof *v)) == NULL)
		return ERR_NOMEM;
	for (size_t i = 0; i < d->n_igf; i++)
		if (!d->igf[i].dead)
			v[n++] = &d->igf[i];
	qsort(v, n, sizeof *v, igf_qcmp);
	d->ignore_bad_lines = 0;
	e = base_ignore(d, &d->ig);
	for (size_t i = 0; i < n && e == 0; i++)
		e = add_file_to(d, &d->ig, NULL, 0, v[i]->path, v[i]->path_len,
		    v[i]->data, v[i]->len, 1);
	free(v);
	d->ig_epoch++;
	d->igf_rebuild = 0;
	return e;
}

void
digest_free(struct digest *d)
{
	release(d, 0);
	spare_free(&d->spare);
	memset(d, 0, sizeof *d);
}

/* Free what a spare holds; it is empty afterwards. */
static COLD void
spare_free(struct digest_spare *k)
{
	if (k->cur != NULL) {
		buf_free(&k->cur->nb);
		buf_free(&k->cur->ig);
		free(k->cur);
	}
	if (k->store != NULL)
		store_free(k->store);
	free(k->store);
	free(k->strs);
	if (k->pm != NULL)
		free(k->pm->slot);
	free(k->pm);
	free(k->nodes);
	free(k->bodies);
	free(k->order);
	free(k->heap);
	free(k->lim);
	ignore_free(&k->ig);
	ignore_free(&k->inc);
	ignore_free(&k->igalt);
	free(k->prev);
	free(k->altp);
	memset(k, 0, sizeof *k);
}

/* Does an n-byte buffer of a digest going away go to the spare slot that
 * holds have? With keep, when the slot is empty and the buffer small enough. */
static int
to_spare(int keep, const void *have, size_t n)
{
	return keep && have == NULL && n <= KEEP_MAX;
}

/* An ignore set of a digest going away: emptied into the spare's (with
 * keep, when that one holds no memory yet), else freed. */
static void
spare_set(int keep, struct ignore *to, struct ignore *ig)
{
	if (keep && to->pats == NULL && to->ix == NULL) {
		ignore_clear(ig);
		*to = *ig;
	} else {
		ignore_free(ig);
	}
	ignore_init(ig);
}

/* digest_free but for d->spare: with keep, the buffers the next digest can
 * use go there (where it has none of the kind yet). d zeroed but for its
 * spare. */
static COLD void
release(struct digest *d, int keep)
{
	struct digest_spare *k = &d->spare, sp;

	tokq_finish(d);
	for (size_t i = 0; i < d->n_igf; i++) {
		free(d->igf[i].path);
		free(d->igf[i].data);
	}
	free(d->igf);
	if (d->pm != NULL && to_spare(keep, k->pm, d->pm->cap *
	    sizeof *d->pm->slot)) {
		k->pm = d->pm;
	} else if (d->pm != NULL) {
		free(d->pm->slot);
		free(d->pm);
	}
	if (to_spare(keep, k->prev, d->prev_cap)) {
		k->prev = d->prev;
		k->prev_cap = d->prev_cap;
	} else {
		free(d->prev);
	}
	if (to_spare(keep, k->altp, d->altp_cap)) {
		k->altp = d->altp;
		k->altp_cap = d->altp_cap;
	} else {
		free(d->altp);
	}
	free(d->alt);
	spare_set(keep, &k->igalt, &d->igalt);
	for (size_t i = 0; i < d->n; i++)
		free(d->nodes[i].link);
	for (size_t i = 0; i < d->n_bodies; i++) {
		if (d->store)
			store_drop(d->store, &d->bodies[i].sf);
		free(d->bodies[i].msg);
	}
	if (to_spare(keep, k->bodies, d->bodies_cap * sizeof *d->bodies)) {
		k->bodies = d->bodies;
		k->bodies_cap = d->bodies_cap;
	} else {
		free(d->bodies);
	}
	while (d->strs != NULL) {
		struct digest_strs *next = d->strs->next;
		if (d->strs->cap == STRS_BLOCK && to_spare(keep, k->strs, 0)) {
			k->strs = d->strs;
			k->strs->next = NULL;
			k->strs->used = 0;
		} else {
			free(d->strs);
		}
		d->strs = next;
	}
	if (to_spare(keep, k->nodes, d->cap * sizeof *d->nodes)) {
		k->nodes = d->nodes;
		k->cap = d->cap;
	} else {
		free(d->nodes);
	}
	if (to_spare(keep, k->order, d->order_cap * sizeof *d->order)) {
		k->order = d->order;
		k->order_cap = d->order_cap;
	} else {
		free(d->order);
	}
	if (to_spare(keep, k->heap, d->heap_cap * sizeof *d->heap)) {
		k->heap = d->heap;
		k->heap_cap = d->heap_cap;
	} else {
		free(d->heap);
	}
	if (to_spare(keep, k->lim, (size_t)d->opt.max_files *
	    sizeof *d->lim)) {
		k->lim = d->lim;
		k->lim_files = d->opt.max_files;
	} else {
		free(d->lim);
	}
	free(d->tree);
	if (d->cur != NULL && to_spare(keep, k->cur, 0)) {
		/* a large notebook's or ignore file's buffer goes */
		if (d->cur->nb.alloc > KEEP_MAX)
			buf_free(&d->cur->nb);
		if (d->cur->ig.alloc > KEEP_MAX)
			buf_free(&d->cur->ig);
		k->cur = d->cur;
	} else if (d->cur != NULL) {
		buf_free(&d->cur->nb);
		buf_free(&d->cur->ig);
		free(d->cur);
	}
	/* the store's chunks were dropped with the bodies; the struct and one
	 * slab stay (store_reinit) */
	if (d->store != NULL && to_spare(keep, k->store, 0)) {
		k->store = d->store;
	} else if (d->store != NULL) {
		store_free(d->store);
		free(d->store);
	}
	spare_set(keep, &k->ig, &d->ig);
	spare_set(keep, &k->inc, &d->inc);
	sp = *k;
	memset(d, 0, sizeof *d);
	d->spare = sp;
}

/* ------------------------------------------------------------ filters */

/*
 * gitingest tests each path as it walks: an excluded directory is not descended,
 * so a path is excluded when any ancestor directory or the path itself matches.
 * Ancestors are looked up through a per-level cache of the last directory seen:
 * archives list a directory's entries together, so nearly every lookup reuses
 * the levels of the previous path and matches only the entry itself. The cache
 * is keyed by the number of patterns (patterns are only ever added after init).
 */
static int
ancestors_excluded(struct digest *d, const struct ignore *ig,
    struct digest_dcache *c, const char *path, size_t dirlen)
{
	size_t lv = 0, i;
	int hit = 0;

	if (dirlen == 0)
		return 0;
	if (c->gen != d->ig_epoch || dirlen > DIGEST_DCACHE_PATH) {
		c->gen = d->ig_epoch;
		c->levels = 0;
		c->len = 0;
	}
	/* reuse the cached levels that are a prefix of this directory */
	while (lv < c->levels) {
		size_t end = c->ends[lv];
		if (end > dirlen || (end < dirlen && path[end] != '/') ||
		    memcmp(c->path, path, end) != 0)
			break;
		hit |= c->hit[lv];
		lv++;
	}
	i = lv > 0 ? c->ends[lv - 1] + 1 : 0;
	if (dirlen > DIGEST_DCACHE_PATH) {
		/* too long to cache: plain lookups */
		for (; i <= dirlen; i++)
			if ((i == dirlen || path[i] == '/') &&
			    ignore_match(ig, path, i))
				hit = 1;
		return hit;
	}
	memcpy(c->path, path, dirlen);
	c->len = dirlen;
	for (; i <= dirlen && lv < DIGEST_DCACHE_LEVELS; i++) {
		if (i < dirlen && path[i] != '/')
			continue;
		c->ends[lv] = (uint16_t)i;
		c->hit[lv] = (uint8_t)ignore_match(ig, path, i);
		hit |= c->hit[lv];
		lv++;
	}
	c->levels = lv;
	/* levels past the cache's depth (hostile nesting) are looked up plainly */
	for (; i <= dirlen; i++)
		if ((i == dirlen || path[i] == '/') &&
		    ignore_match(ig, path, i))
			hit = 1;
	return hit;
}

static int
path_excluded_in(struct digest *d, const struct ignore *ig,
    struct digest_dcache *c, const char *path, size_t len)
{
	size_t dl = len;

	while (dl > 0 && path[dl - 1] != '/')
		dl--;
	if (dl > 0 && ancestors_excluded(d, ig, c, path, dl - 1))
		return 1;
	return ignore_match(ig, path, len);
}

static int
path_excluded(struct digest *d, const char *path, size_t len)
{
	return path_excluded_in(d, &d->ig, &d->dc, path, len);
}

/* see digest.h */
int
digest_dir_excluded(struct digest *d, const char *path, size_t len)
{
	return path_excluded(d, path, len);
}

int
digest_add_ignore_file(struct digest *d, const char *dir, size_t dirlen,
    const uint8_t *data, size_t len)
{
	size_t bad = 0;
	int e;

	e = ignore_add_file(&d->ig, dir, dirlen, (const char *)data, len, &bad);
	d->ignore_bad_lines += bad;
	d->ig_epoch++;
	return e;
}

static size_t
components(const char *p, size_t n)
{
	size_t c = 1;

	for (size_t i = 0; i < n; i++)
		c += p[i] == '/';
	return c;
}

static const char *
basename_of(const char *p, size_t n, size_t *blen)
{
	size_t i = n;

	while (i > 0 && p[i - 1] != '/')
		i--;
	*blen = n - i;
	return p + i;
}

static int
is_ignore_file_name(const char *b, size_t n)
{
	return (n == 10 && memcmp(b, ".gitignore", 10) == 0) ||
	    (n == 16 && memcmp(b, ".gitingestignore", 16) == 0);
}

/*
 * The token figure of a body counted only in part: the count of the sample
 * scaled by bytes. Counting is the costliest step per byte, bodies past 256 KiB
 * are rare and mostly uniform (translations, generated tables, data), and the
 * figure is printed rounded to three digits.
 */
static uint64_t
scale_tokens(uint64_t counted, uint64_t text_len, uint64_t fed)
{
	if (fed == 0 || text_len <= fed)
		return counted;
	return (uint64_t)((double)counted * (double)text_len / (double)fed + 0.5);
}

/* ------------------------------------------------------------ token thread */

/*
 * Counting tokens is the costliest per-byte step (400-550 MB/s, tokens.c),
 * and it depends on nothing but the text. With opt.token_thread it
 * runs on its own thread: text is copied into a ring of TOKQ_SLOTS buffers,
 * each message tagged with its node, and the thread hands back (node, count)
 * pairs that digest_finish() applies. Without it, counting is inline; with
 * it, too, until DIGEST_TOKQ_START bytes have been counted, and the thread
 * starts at the next file (each file is counted wholly on one side).
 */
#define TOKQ_SLOTS 8
#define TOKQ_SLOT  65536
#define TOKQ_SEGS  128          /* files per slot: small files share a slot, so
                                 * the thread is woken per 64 KiB, not per file */

struct tokq_res {
	size_t idx;
	uint64_t tokens;
};

struct tokq_slot {
	size_t len;                     /* bytes in buf */
	unsigned nseg;
	size_t seg_idx[TOKQ_SEGS];      /* node of each segment */
	uint32_t seg_len[TOKQ_SEGS];
	uint8_t seg_end[TOKQ_SEGS];     /* the node's text ends here */
	uint8_t *buf;
};

struct tokq {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int quit;                       /* producer is done: drain and exit */
	struct tokq_slot slot[TOKQ_SLOTS];
	uint8_t *ring;                  /* the slots' buffers (malloc) */
	unsigned head, count;           /* filled slots */
	int filling;                    /* producer holds slot (head+count) */
	unsigned fi;                    /* ... its index */
	struct tokq_res *res;           /* consumer-owned until joined */
	size_t nres, capres;
	int err;                        /* ERR_NOMEM from the consumer */
};

static void
tokq_result(struct tokq *q, size_t idx, uint64_t tokens)
{
	if (q->nres == q->capres) {
		size_t nc = q->capres ? q->capres * 2 : 256;
		struct tokq_res *nr = realloc(q->res, nc * sizeof *nr);
		if (nr == NULL) {
			q->err = ERR_NOMEM;
			return;
		}
		q->res = nr;
		q->capres = nc;
	}
	q->res[q->nres].idx = idx;
	q->res[q->nres].tokens = tokens;
	q->nres++;
}

static void *
tokq_main(void *arg)
{
	struct tokq *q = arg;
	struct tokens tk;

	tokens_init(&tk);
	for (;;) {
		struct tokq_slot *sl;
		const uint8_t *p;
		pthread_mutex_lock(&q->mu);
		while (q->count == 0 && !q->quit)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->count == 0) {
			pthread_mutex_unlock(&q->mu);
			return NULL;
		}
		sl = &q->slot[q->head];
		pthread_mutex_unlock(&q->mu);
		p = sl->buf;
		for (unsigned k = 0; k < sl->nseg; k++) {
			tokens_feed(&tk, p, sl->seg_len[k]);
			p += sl->seg_len[k];
			if (sl->seg_end[k]) {
				tokq_result(q, sl->seg_idx[k], tokens_end(&tk));
				tokens_init(&tk);
			}
		}
		pthread_mutex_lock(&q->mu);
		q->head = (q->head + 1) % TOKQ_SLOTS;
		q->count--;
		pthread_cond_broadcast(&q->cv);
		pthread_mutex_unlock(&q->mu);
	}
}

static int
tokq_start(struct digest *d)
{
	struct tokq *q = calloc(1, sizeof *q);

	if (q == NULL)
		return ERR_NOMEM;
	/* malloc, not pages_alloc: a huge page would hold 2 MiB for 512 KiB,
	 * and 128 page faults cost under 2 ms */
	if ((q->ring = malloc(TOKQ_SLOTS * TOKQ_SLOT)) == NULL)
		goto fail;
	for (int i = 0; i < TOKQ_SLOTS; i++)
		q->slot[i].buf = q->ring + (size_t)i * TOKQ_SLOT;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	if (pthread_create(&q->th, NULL, tokq_main, q) != 0) {
		pthread_mutex_destroy(&q->mu);
		pthread_cond_destroy(&q->cv);
		goto fail;
	}
	d->tq = q;
	return 0;
fail:
	free(q->ring);
	free(q);
	return ERR_NOMEM;
}

static void
tokq_publish(struct tokq *q)
{
	pthread_mutex_lock(&q->mu);
	q->filling = 0;
	q->count++;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

/* Producer: the slot being filled, with a segment for idx open at its end. */
static struct tokq_slot *
tokq_seg(struct tokq *q, size_t idx)
{
	struct tokq_slot *sl;

	for (;;) {
		if (!q->filling) {
			pthread_mutex_lock(&q->mu);
			while (q->count == TOKQ_SLOTS)
				pthread_cond_wait(&q->cv, &q->mu);
			q->fi = (q->head + q->count) % TOKQ_SLOTS;
			pthread_mutex_unlock(&q->mu);
			q->filling = 1;
			q->slot[q->fi].len = 0;
			q->slot[q->fi].nseg = 0;
		}
		sl = &q->slot[q->fi];
		if (sl->nseg > 0 && sl->seg_idx[sl->nseg - 1] == idx &&
		    !sl->seg_end[sl->nseg - 1])
			return sl;
		if (sl->nseg < TOKQ_SEGS) {
			sl->seg_idx[sl->nseg] = idx;
			sl->seg_len[sl->nseg] = 0;
			sl->seg_end[sl->nseg] = 0;
			sl->nseg++;
			return sl;
		}
		tokq_publish(q);
	}
}

static void
tokq_feed(struct tokq *q, size_t idx, const uint8_t *p, size_t n)
{
	while (n > 0) {
		struct tokq_slot *sl = tokq_seg(q, idx);
		size_t k = TOKQ_SLOT - sl->len;
		if (k > n)
			k = n;
		memcpy(sl->buf + sl->len, p, k);
		sl->len += k;
		sl->seg_len[sl->nseg - 1] += (uint32_t)k;
		p += k;
		n -= k;
		if (sl->len == TOKQ_SLOT)
			tokq_publish(q);
	}
}

static void
tokq_end(struct tokq *q, size_t idx)
{
	struct tokq_slot *sl = tokq_seg(q, idx);

	sl->seg_end[sl->nseg - 1] = 1;
}

/* Drain, stop the thread, apply the counts to text bodies. */
static int
tokq_finish(struct digest *d)
{
	struct tokq *q = d->tq;
	int e;

	if (q == NULL)
		return 0;
	if (q->filling)
		tokq_publish(q);
	pthread_mutex_lock(&q->mu);
	q->quit = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->th, NULL);
	for (size_t i = 0; i < q->nres; i++) {
		struct digest_node *nd = &d->nodes[q->res[i].idx];
		struct digest_body *b = body_of(d, nd);
		if (nd->body == BODY_TEXT && b != NULL)
			b->tokens = scale_tokens(q->res[i].tokens, b->text_len,
			    b->tok_fed);
	}
	e = q->err;
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	free(q->ring);
	free(q->res);
	free(q);
	d->tq = NULL;
	return e;
}

/* ------------------------------------------------------------ output cap */

/*
 * With an output cap, bodies that can never be shown need not be held. The
 * stored bodies form a max-heap in tree order; the latest one is evicted while
 * the others alone already fill the cap (bodies alone are a lower bound on the
 * output before it, so an evicted body always starts past the cap). Memory is
 * then about the cap plus one file, whatever the repository's size.
 *
 * Without a cap the file limits do the same (see "file limits" below): the
 * latest body is evicted while the count limit cuts it for sure.
 */
static int
node_cmp(const struct digest *d, size_t a, size_t b)
{
	const struct digest_node *pa = &d->nodes[a], *pb = &d->nodes[b];

	return cmp_leaf(&pa, &pb);
}

/* Max-heap in tree order over h[0..n): restore from i up, or from i down. */
static void
hsift_up(const struct digest *d, size_t *h, size_t i)
{
	while (i > 0 && node_cmp(d, h[(i - 1) / 2], h[i]) < 0) {
		size_t t = h[i];
		h[i] = h[(i - 1) / 2];
		h[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static void
hsift_down(const struct digest *d, size_t *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i, t;
		if (l < n && node_cmp(d, h[l], h[m]) > 0)
			m = l;
		if (r < n && node_cmp(d, h[r], h[m]) > 0)
			m = r;
		if (m == i)
			break;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static int
heap_push(struct digest *d, size_t idx)
{
	if (d->heap_n == d->heap_cap) {
		size_t *nh = grow(d->heap, &d->heap_cap, sizeof *nh, 64);
		if (nh == NULL)
			return ERR_NOMEM;
		d->heap = nh;
	}
	d->heap[d->heap_n++] = idx;
	hsift_up(d, d->heap, d->heap_n - 1);
	return 0;
}

static void
heap_pop(struct digest *d)
{
	d->heap[0] = d->heap[--d->heap_n];
	hsift_down(d, d->heap, d->heap_n, 0);
}

/* Pop bodies replaced by a later entry of their path (no longer counted). */
static void
heap_clean(struct digest *d)
{
	while (d->heap_n > 0 && d->nodes[d->heap[0]].dead) {
		d->nodes[d->heap[0]].in_heap = 0;
		heap_pop(d);
	}
}

static int lim_cuts(const struct digest *d, size_t idx);

static void
evict(struct digest *d)
{
	for (heap_clean(d); d->heap_n > 0; heap_clean(d)) {
		struct digest_node *top = &d->nodes[d->heap[0]];
		struct digest_body *b = body_of(d, top);  /* held: has one */
		int cap = d->opt.max_output > 0 &&
		    d->heap_bytes - b->sf.len >= d->opt.max_output;
		if (!cap && !lim_cuts(d, d->heap[0]))
			break;
		if (!cap) {
			top->lim_cut = 1;
			d->lim_evicted++;
		}
		d->heap_bytes -= b->sf.len;
		store_drop(d->store, &b->sf);
		top->evicted = 1;
		top->in_heap = 0;
		heap_pop(d);
	}
}

/* Would a body for node idx be evicted at once? Then it is not stored at all. */
static int
past_cap(struct digest *d, size_t idx)
{
	heap_clean(d);
	return d->opt.max_output > 0 && d->heap_n > 0 &&
	    d->heap_bytes >= d->opt.max_output &&
	    node_cmp(d, idx, d->heap[0]) > 0;
}

/* ------------------------------------------------------------ file limits */

/*
 * digest_finish() keeps the first max_files leaves in tree order (those the
 * total-size limit does not cut); on a Linux-sized tree that is a tenth of
 * them, and holding every other body until the end cost 455 MB for a 65 MB
 * digest. A body is dropped as soon as the count limit is sure to cut it.
 *
 * A leaf is firm when nothing still to come can take it out of the digest:
 * it is kept now, every ignore file that applies to it has arrived (no
 * may_reinclude), it would be kept were the tentative top directory not
 * stripped, and no ancestor is a member that is not a directory. d->lim
 * holds the max_files first firm leaves in tree order (a max-heap: its top
 * K is the max_files-th). A leaf after K has max_files leaves before it, so
 * the count limit cuts it unless the total-size limit cuts one of those
 * first, which it cannot while their sizes plus those of every kept leaf
 * that is not firm (loose_bytes) fit in max_total. Later entries only add
 * leaves (K only moves earlier), so a cut stays a cut.
 *
 * Only a hostile or unsorted archive takes a firm leaf away (the same path
 * again, a member turned into a symlink, entries out of order): lim_off then
 * stops the evictions, and digest_finish() checks that no evicted body would
 * be printed (ERR_DIGEST_EVICTED), as for the output cap.
 */
static int
lim_cuts(const struct digest *d, size_t idx)
{
	return !d->lim_off && d->lim_n == d->opt.max_files &&
	    d->lim_bytes + d->loose_bytes <= d->opt.max_total &&
	    node_cmp(d, idx, d->lim[0]) > 0;
}

static int make_lkey(struct digest *d, struct digest_node *nd);

/* Count firm leaf idx (its lkey made) among the first max_files. */
static int
lim_add(struct digest *d, size_t idx)
{
	struct digest_node *nd = &d->nodes[idx], *top;

	if (d->lim == NULL) {
		/* at most one slot per entry there can be */
		if (d->opt.max_files > DIGEST_MAX_ENTRIES) {
			d->lim_off = 1;
			return 0;
		}
		d->lim = malloc((size_t)d->opt.max_files * sizeof *d->lim);
		if (d->lim == NULL)
			return ERR_NOMEM;
	}
	if (d->lim_n < d->opt.max_files) {
		d->lim[d->lim_n++] = idx;
		hsift_up(d, d->lim, d->lim_n - 1);
	} else {
		top = &d->nodes[d->lim[0]];
		if (node_cmp(d, idx, d->lim[0]) >= 0)
			return 0;       /* after K: the count limit cuts it */
		top->in_lim = 0;
		d->lim_bytes -= top->size;
		d->lim[0] = idx;
		hsift_down(d, d->lim, d->lim_n, 0);
	}
	nd->in_lim = 1;
	d->lim_bytes += nd->size;
	return 0;
}

/* ------------------------------------------------------------ entries */

/* Is path excluded by ig (not d->ig: no cache), an ancestor or itself? */
static int
excluded_by(const struct ignore *ig, const char *path, size_t len)
{
	for (size_t i = 1; i < len; i++)
		if (path[i] == '/' && ignore_match(ig, path, i))
			return 1;
	return ignore_match(ig, path, len);
}

/*
 * Why an entry would be left out, or DIGEST_KEPT: depth, the ignore set ig
 * (none when ig is NULL), include patterns, size, in that order (the first
 * that applies is the reason reported).
 */
static int
judge(struct digest *d, const struct ignore *ig, const char *path, size_t len,
    int type, uint64_t size)
{
	if (components(path, len) - 1 > (size_t)d->opt.max_depth)
		return DIGEST_DEPTH;
	if (ig == &d->ig ? path_excluded(d, path, len) :
	    ig == &d->igalt ? path_excluded_in(d, ig, &d->dc_alt, path, len) :
	    ig != NULL && excluded_by(ig, path, len))
		return DIGEST_IGNORED;
	if (type == DIGEST_SYMLINK)
		return DIGEST_KEPT;
	if (d->n_includes > 0 && !ignore_match(&d->inc, path, len))
		return DIGEST_NOT_INCLUDED;
	if (size > d->opt.max_file_size)
		return DIGEST_TOO_LARGE;
	return DIGEST_KEPT;
}

/*
 * Can an ignore file still arrive that applies to path? Only those of its
 * ancestor directories apply. In an archive in sorted order (git's, or plain
 * byte order: GitHub, git archive, tar --sort=name) a directory's ignore
 * files come before any of its entries whose name sorts after
 * ".gitingestignore": a path none of whose components sorts before that has
 * met every ignore file it ever will. In an unsorted archive, any path may.
 */
static int
may_reinclude(const struct digest *d, const char *path, size_t len)
{
	static const char last[] = ".gitingestignore";
	size_t at = 0, cl;

	if (d->prescanned || !d->opt.use_ignore_files)
		return 0;
	if (d->unsorted)
		return 1;
	while (at <= len) {
		size_t s = next_comp(path, len, &at, &cl);
		if (memcmp_len(path + s, cl, last, sizeof last - 1) <= 0)
			return 1;
	}
	return 0;
}

/* Component order of two names, git's (a directory as "name/") or bytes. */
static int
name_cmp(const char *a, size_t al, int adir, const char *b, size_t bl,
    int bdir)
{
	size_t m = al < bl ? al : bl;
	int r = memcmp(a, b, m), ca, cb;

	if (r != 0)
		return r;
	ca = al > m ? (uint8_t)a[m] : adir ? '/' : -1;
	cb = bl > m ? (uint8_t)b[m] : bdir ? '/' : -1;
	return ca < cb ? -1 : ca > cb;
}

/* Note whether entries still come in sorted order (see may_reinclude). */
static int
check_order(struct digest *d, const char *path, size_t len, int type)
{
	size_t ap = 0, bp = 0, al, bl;

	if (d->prescanned || d->unsorted)
		return 0;
	if (d->prev_len > 0) {
		for (;;) {
			size_t sa = next_comp(d->prev, d->prev_len, &ap, &al);
			size_t sb = next_comp(path, len, &bp, &bl);
			int alast = ap > d->prev_len, blast = bp > len;
			if (al == bl && memcmp(d->prev + sa, path + sb, al) == 0) {
				if (alast || blast)
					break;  /* one is the other's ancestor */
				continue;
			}
			int adir = !alast || d->prev_type == DIGEST_DIR;
			int bdir = !blast || type == DIGEST_DIR;
			if (name_cmp(d->prev + sa, al, 0, path + sb, bl, 0) > 0 &&
			    name_cmp(d->prev + sa, al, adir, path + sb, bl,
			    bdir) > 0)
				d->unsorted = 1;
			break;
		}
	}
	if (len > d->prev_cap) {
		char *np = realloc(d->prev, len);
		if (np == NULL)
			return ERR_NOMEM;
		d->prev = np;
		d->prev_cap = len;
	}
	memcpy(d->prev, path, len);
	d->prev_len = len;
	d->prev_type = type;
	return 0;
}

/*
 * path[0..len) as it would be were the tentative top directory not
 * stripped ("alt/path"), in d->altp (one buffer for every entry: a
 * malloc and free per entry made and unmapped a page each time), or NULL
 * without memory.
 */
static char *
alt_path(struct digest *d, const char *path, size_t len)
{
	size_t fl = d->alt_len + 1 + len;

	if (fl > d->altp_cap) {
		char *np = realloc(d->altp, fl);
		if (np == NULL)
			return NULL;
		d->altp = np;
		d->altp_cap = fl;
	}
	memcpy(d->altp, d->alt, d->alt_len);
	d->altp[d->alt_len] = '/';
	memcpy(d->altp + d->alt_len + 1, path, len);
	return d->altp;
}

/*
 * Would the entry be kept were the tentative top directory not stripped, or
 * could a later ignore file bring it back that way? (digest_tentative_top)
 */
static int
alt_wants(struct digest *d, const char *path, size_t len, int type,
    uint64_t size)
{
	size_t fl = d->alt_len + 1 + len;
	char *fp = alt_path(d, path, len);
	int r;

	if (fp == NULL)
		return -1;
	r = judge(d, &d->igalt, fp, fl, type, size);
	return r == DIGEST_KEPT || (r == DIGEST_IGNORED &&
	    judge(d, NULL, fp, fl, type, size) == DIGEST_KEPT &&
	    may_reinclude(d, fp, fl));
}

/*
 * Is the kept leaf nd firm (see "file limits")? Its ancestors are looked up
 * in the path map: a member below a symlink or file of the archive is left
 * out at the end (mark_under_links).
 */
static int
leaf_firm(struct digest *d, const struct digest_node *nd)
{
	int firm = 1;

	if (nd->type == DIGEST_SYMLINK && d->n_includes > 0)
		return 0;       /* judged against the directories at the end */
	if (may_reinclude(d, nd->path, nd->path_len))
		return 0;
	if (d->alt != NULL) {
		size_t fl = d->alt_len + 1 + nd->path_len;
		char *fp = alt_path(d, nd->path, nd->path_len);
		if (fp == NULL)
			return 0;
		firm = judge(d, &d->igalt, fp, fl, nd->type, nd->size) ==
		    DIGEST_KEPT && !may_reinclude(d, fp, fl);
	}
	for (size_t j = 1; firm && !d->prescanned && j < nd->path_len; j++) {
		size_t k;
		if (nd->path[j] != '/')
			continue;
		k = pm_get(d, nd->path, j);
		if (k != SIZE_MAX && d->nodes[k].type != DIGEST_DIR)
			firm = 0;
	}
	return firm;
}

/*
 * A leaf that may be printed, for the file limits: a firm one is counted
 * among the first max_files (bodies it puts past them are dropped), any
 * other's size is loose.
 */
static int
lim_note(struct digest *d, size_t idx)
{
	struct digest_node *nd = &d->nodes[idx];
	int e;

	if (d->lim_off)
		return 0;
	if (nd->reason == DIGEST_KEPT && !nd->prov && leaf_firm(d, nd)) {
		if ((e = make_lkey(d, nd)) != 0 || (e = lim_add(d, idx)) != 0)
			return e;
		evict(d);
		return 0;
	}
	d->loose_bytes += nd->size;
	return 0;
}

/* Drop node j's body and mark it replaced by a later entry of its path. */
static void
replace_node(struct digest *d, size_t j)
{
	struct digest_node *old = &d->nodes[j];

	if (old->type == DIGEST_FILE && old->path_len >= 10) {
		size_t bl;
		const char *b = basename_of(old->path, old->path_len, &bl);
		if (is_ignore_file_name(b, bl))
			igf_kill(d, old->path, old->path_len);
	}
	if (old->in_heap) {
		d->heap_bytes -= body_of(d, old)->sf.len;
		old->dead = 1;
	}
	body_drop(d, old);
	old->reason = DIGEST_REPLACED;
	old->prov = 0;
}

int
digest_entry(struct digest *d, enum digest_type type, const char *path,
    size_t pathlen, uint64_t size, const char *link, size_t linklen)
{
	struct digest_cur *c = d->cur;
	struct digest_node *nd;
	const char *base;
	size_t blen, dup;
	int e, want;

	if (c->active)
		digest_entry_end(d);
	if (pathlen == 0 || pathlen > UINT32_MAX || linklen > UINT32_MAX)
		return ERR_TAR_PATH;
	if (d->n >= DIGEST_MAX_ENTRIES)
		return ERR_TAR_ENTRIES;
	if (d->n == d->cap) {
		struct digest_node *nn = grow(d->nodes, &d->cap, sizeof *nn, 256);
		if (nn == NULL)
			return ERR_NOMEM;
		d->nodes = nn;
	}
	/* the file limits' firm leaves hold only in a sorted archive where a
	 * member never comes back as something else (here: a non-directory
	 * after members below it) */
	if (type != DIGEST_DIR && d->prev_len > pathlen &&
	    d->prev[pathlen] == '/' && memcmp(d->prev, path, pathlen) == 0)
		d->lim_off = 1;
	if ((e = check_order(d, path, pathlen, type)) != 0)
		return e;
	if (d->unsorted)
		d->lim_off = 1;
	/* the same path again: extraction leaves the last one */
	if (!d->prescanned && (dup = pm_get(d, path, pathlen)) != SIZE_MAX) {
		if (d->nodes[dup].in_lim || (d->nodes[dup].type == DIGEST_DIR &&
		    type != DIGEST_DIR))
			d->lim_off = 1;
		replace_node(d, dup);
	}
	nd = &d->nodes[d->n];
	memset(nd, 0, sizeof *nd);
	if ((nd->path = str_dup(d, path, pathlen)) == NULL)
		return ERR_NOMEM;
	nd->path_len = (uint32_t)pathlen;
	if (type == DIGEST_SYMLINK) {
		if ((nd->link = dupn(link ? link : "", linklen)) == NULL)
			return ERR_NOMEM;
		nd->link_len = (uint32_t)linklen;
	}
	nd->type = (uint8_t)type;
	nd->size = type == DIGEST_FILE ? size : 0;
	nd->reason = DIGEST_KEPT;
	d->n++;
	if (!d->prescanned && (e = pm_put(d, d->n - 1)) != 0)
		return e;

	memset(c, 0, offsetof(struct digest_cur, nb));
	c->idx = d->n - 1;
	c->active = 1;
	buf_reset(&c->nb);
	buf_reset(&c->ig);

	if (type == DIGEST_DIR)
		return 0;
	base = basename_of(path, pathlen, &blen);
	/* Every ignore file is read, even inside excluded directories (as
	 * gitingest's rglob), unless a directory scan already supplied them. */
	if (type == DIGEST_FILE && d->opt.use_ignore_files && !d->prescanned &&
	    is_ignore_file_name(base, blen))
		c->capture = 1;

	if (type == DIGEST_OTHER) {
		nd->reason = DIGEST_OTHER_TYPE;
		return 0;
	}
	nd->ig_gen = (uint32_t)d->ig_epoch;
	nd->reason = (uint8_t)judge(d, &d->ig, path, pathlen, type, size);
	if (type == DIGEST_SYMLINK) {
		nd->has_body = 1;
		nd->body = BODY_NONE;
		return nd->reason == DIGEST_KEPT ? lim_note(d, c->idx) : 0;
	}
	/*
	 * Left out for now: keep the body all the same when the decision may
	 * still change (a later ignore file's negation, or a top directory that
	 * turns out not to be stripped), so that a tarball gives what the
	 * directory gives. Such bodies stay out of the output cap's heap.
	 */
	want = nd->reason == DIGEST_KEPT;
	if (!want && nd->reason == DIGEST_IGNORED && judge(d, NULL, path,
	    pathlen, type, size) == DIGEST_KEPT && may_reinclude(d, path,
	    pathlen))
		want = 1;
	if (!want && d->alt != NULL && (want = alt_wants(d, path, pathlen,
	    type, size)) < 0)
		return ERR_NOMEM;
	if (!want)
		return 0;
	nd->prov = nd->reason != DIGEST_KEPT;
	nd->has_body = 1;
	if ((e = lim_note(d, c->idx)) != 0)
		return e;
	if (!d->lim_off) {
		if ((e = make_lkey(d, nd)) != 0)
			return e;
		if (lim_cuts(d, c->idx)) {
			/* the file limits cut it: its body is not even read
			 * (digest_finish() checks that it is never printed) */
			nd->lim_cut = 1;
			nd->evicted = 1;
			d->lim_evicted++;
			return 0;
		}
	}
	/* the store's thread may be linking chunks into the bodies: they
	 * move only when it is done */
	if (nd->bi == 0 && d->n_bodies == d->bodies_cap &&
	    (e = store_sync(d->store, 0)) != 0)
		return e;
	if (body_make(d, nd) == NULL)
		return ERR_NOMEM;
	c->storing = 1;
	if (blen >= 6 && memcmp(base + blen - 6, ".ipynb", 6) == 0)
		c->notebook = 1;
	utf8v_init(&c->v);
	tokens_init(&c->tk);
	if (d->opt.token_thread && d->tq == NULL &&
	    d->tok_inline >= DIGEST_TOKQ_START) {
		if ((e = tokq_start(d)) != 0)
			return e;
	}
	/* bodies are tracked in tree order while something may evict them */
	if (d->opt.max_output > 0 || !d->lim_off) {
		if ((e = make_lkey(d, nd)) != 0)
			return e;
		c->discard = past_cap(d, c->idx);
	}
	if (!c->discard)
		store_begin(d->store, &body_of(d, nd)->sf);
	return 0;
}

/* see digest.h */
void
digest_walks_tree(struct digest *d)
{
	if (d->opt.token_thread)
		store_use_thread(d->store);
}

/* see digest.h */
COLD int
digest_tentative_top(struct digest *d, const char *alt, size_t len)
{
	if (d->prescanned || d->alt != NULL)
		return 0;
	if ((d->alt = dupn(alt, len)) == NULL)
		return ERR_NOMEM;
	d->alt_len = len;
	return base_ignore(d, &d->igalt);
}

/* path = pre/path, in place */
static COLD int
prefix_path(char **path, uint32_t *plen, const char *pre, size_t prelen)
{
	size_t n = prelen + 1 + *plen;
	char *np;

	if (n > UINT32_MAX || (np = malloc(n + 1)) == NULL)
		return ERR_NOMEM;
	memcpy(np, pre, prelen);
	np[prelen] = '/';
	memcpy(np + prelen + 1, *path, *plen + 1);
	free(*path);
	*path = np;
	*plen = (uint32_t)n;
	return 0;
}

/* see digest.h */
COLD int
digest_reroot(struct digest *d)
{
	struct ignore t;
	int e;

	if (d->alt == NULL)
		return 0;
	for (size_t i = 0; i < d->n; i++) {
		struct digest_node *nd = &d->nodes[i];
		int had_key = nd->lkey != NULL;
		size_t n = d->alt_len + 1 + nd->path_len;
		char *np;
		if (n > UINT32_MAX || (np = str_alloc(d, n + 1)) == NULL)
			return ERR_NOMEM;
		memcpy(np, d->alt, d->alt_len);
		np[d->alt_len] = '/';
		memcpy(np + d->alt_len + 1, nd->path, nd->path_len + 1);
		nd->path = np;
		nd->path_len = (uint32_t)n;
		nd->lkey = NULL;
		if (had_key && (e = make_lkey(d, nd)) != 0)
			return e;
		nd->ig_gen = UINT32_MAX;        /* judged again at finish */
	}
	for (size_t i = 0; i < d->n_igf; i++) {
		uint32_t pl = (uint32_t)d->igf[i].path_len;
		if ((e = prefix_path(&d->igf[i].path, &pl, d->alt,
		    d->alt_len)) != 0)
			return e;
		d->igf[i].path_len = pl;
	}
	if (d->pm != NULL && d->pm->cap > 0 &&
	    (e = pm_rehash(d, d->pm->cap)) != 0)
		return e;
	/* the alternative set was kept in step: it is the set now */
	t = d->ig;
	d->ig = d->igalt;
	d->igalt = t;
	ignore_clear(&d->igalt);        /* its memory kept (digest_recycle) */
	d->igf_rebuild = d->n_igf > 0;
	d->ig_epoch++;
	d->prev_len = 0;
	free(d->alt);
	d->alt = NULL;
	d->alt_len = 0;
	return 0;
}

/* Store translated text and count its tokens. */
static int
emit(struct digest *d, const uint8_t *p, size_t n)
{
	struct digest_cur *c = d->cur;
	size_t k = n;

	/* tokens of a large body are estimated from its first
	 * DIGEST_TOKEN_SAMPLE bytes (see scale_tokens) */
	if (c->tok_fed + k > DIGEST_TOKEN_SAMPLE)
		k = (size_t)(DIGEST_TOKEN_SAMPLE - c->tok_fed);
	if (k > 0 && !d->opt.no_tokens) {
		if (d->tq != NULL) {
			tokq_feed(d->tq, c->idx, p, k);
		} else {
			tokens_feed(&c->tk, p, k);
			d->tok_inline += k;
		}
		c->tok_fed += k;
	}
	c->text_len += n;
	if (c->discard)
		return 0;
	return store_append(d->store, p, n);
}

/* 1 if p[0..n) holds a '\r': memchr() 32 bytes a test (SSE2; musl's goes a
 * word at a time, and every text byte passes here). */
static int
has_cr(const uint8_t *p, size_t n)
{
	size_t i = 0;

#ifdef __SSE2__
	const __m128i cr = _mm_set1_epi8('\r');

	for (; n - i >= 32; i += 32)
		if (_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(
		    _mm_loadu_si128((const __m128i *)(p + i)), cr),
		    _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i +
		    16)), cr))) != 0)
			return 1;
#endif
	return memchr(p + i, '\r', n - i) != NULL;
}

/*
 * Universal newlines: "\r\n" and a lone "\r" become "\n" (Python's text mode).
 * A "\r" at the end of a chunk is held until the next byte is known.
 */
static int
emit_text(struct digest *d, const uint8_t *p, size_t n)
{
	struct digest_cur *c = d->cur;
	size_t o = 0;
	int e;

	utf8v_feed(&c->v, p, n);
	if (!c->pending_cr && !has_cr(p, n))
		return emit(d, p, n);
	for (size_t i = 0; i < n; i++) {
		uint8_t b = p[i];
		if (c->pending_cr) {
			c->pending_cr = 0;
			c->xbuf[o++] = '\n';
			if (b == '\n')
				goto next;
		}
		if (b == '\r')
			c->pending_cr = 1;
		else
			c->xbuf[o++] = b;
next:
		if (o >= sizeof c->xbuf - 2) {
			if ((e = emit(d, c->xbuf, o)) != 0)
				return e;
			o = 0;
		}
	}
	return o ? emit(d, c->xbuf, o) : 0;
}

int
digest_data(struct digest *d, const uint8_t *p, size_t n)
{
	struct digest_cur *c = d->cur;
	int e;

	if (!c->active || n == 0)
		return 0;
	if (c->capture) {
		size_t room = DIGEST_IGNORE_FILE_MAX - c->ig.len;
		if ((e = buf_append(&c->ig, p, n < room ? n : room)) != 0)
			return e;
	}
	if (!c->storing)
		return 0;
	c->seen += n;
	if (c->notebook) {
		/* cJSON's tree costs ~64 bytes per JSON value: cap the input */
		if (c->nb.len + n > DIGEST_NOTEBOOK_MAX) {
			c->nb_too_big = 1;
			return 0;
		}
		return buf_append(&c->nb, p, n);
	}
	if (!c->decided) {
		size_t k = HEAD_LEN - c->head_len;
		if (k > n)
			k = n;
		memcpy(c->head + c->head_len, p, k);
		c->head_len += k;
		p += k;
		n -= k;
		if (c->head_len < HEAD_LEN)
			return 0;
		c->decided = 1;
		c->text = utf8_valid(c->head, HEAD_LEN);
		if (c->text && (e = emit_text(d, c->head, HEAD_LEN)) != 0)
			return e;
	}
	if (!c->text || n == 0)
		return 0;
	return emit_text(d, p, n);
}

int
digest_wants_data(const struct digest *d)
{
	return d->cur->active && (d->cur->storing || d->cur->capture);
}

static const char *
literal_body(const struct digest *d, const struct digest_node *nd)
{
	switch (nd->body) {
	case BODY_BINARY:
		return "[Binary file]";
	case BODY_EMPTY:
		return "[Empty file]";
	case BODY_ERROR:
		return body_of(d, nd)->msg;
	default:
		return "";
	}
}

static uint64_t
count_tokens(const char *s, size_t n)
{
	struct tokens t;

	tokens_init(&t);
	tokens_feed(&t, (const uint8_t *)s, n);
	return tokens_end(&t);
}

int
digest_entry_end(struct digest *d)
{
	struct digest_cur *c = d->cur;
	struct digest_node *nd;
	struct digest_body *b;
	int e = 0;

	if (!c->active)
		return 0;
	c->active = 0;
	nd = &d->nodes[c->idx];
	if (c->capture && (e = igf_add(d, nd->path, nd->path_len, c->ig.p,
	    c->ig.len)) != 0)
		return e;
	if (!c->storing)
		return 0;
	b = body_of(d, nd);     /* made when storing began */

	if (c->notebook) {
		struct buf conv;
		buf_init(&conv, 4 * DIGEST_MAX_FILE_SIZE);
		int limited = 0;
		if (c->nb_too_big) {
			e = buf_puts(&conv, "Error processing notebook: notebook "
			    "larger than the 4 MiB conversion limit");
			nd->note = NOTE_NB_SIZE;
		} else {
			e = notebook_convert_capped((const char *)c->nb.p,
			    c->nb.len, &conv, NOTEBOOK_TREE_MAX, &limited);
			if (limited)
				nd->note = NOTE_NB_TREE;
		}
		if (e == 0)
			e = emit(d, conv.p, conv.len);
		buf_free(&conv);
		nd->body = BODY_TEXT;
	} else if (c->seen == 0) {
		nd->body = BODY_EMPTY;
	} else {
		if (!c->decided) {
			c->decided = 1;
			c->text = utf8_valid(c->head, c->head_len);
			if (c->text)
				e = emit_text(d, c->head, c->head_len);
		}
		if (e == 0 && c->text && c->pending_cr) {
			c->pending_cr = 0;
			e = emit(d, (const uint8_t *)"\n", 1);
		}
		if (!c->text) {
			nd->body = BODY_BINARY;
		} else {
			utf8v_end(&c->v);
			if (c->v.bad) {
				size_t ml = strlen(c->v.msg);
				nd->body = BODY_ERROR;
				b->msg = malloc(ml + 40);
				if (b->msg == NULL)
					return ERR_NOMEM;
				memcpy(b->msg, "Error reading file with 'UTF-8': ", 33);
				memcpy(b->msg + 33, c->v.msg, ml + 1);
			} else {
				nd->body = BODY_TEXT;
			}
		}
	}
	{
		int e2 = store_end(d->store);
		if (e == 0)
			e = e2;
	}
	if (d->tq != NULL)
		tokq_end(d->tq, c->idx);        /* applied in digest_finish() */
	b->text_len = c->text_len;
	b->tok_fed = (uint32_t)c->tok_fed;
	if (nd->body == BODY_TEXT) {
		if (d->tq == NULL)
			b->tokens = scale_tokens(tokens_end(&c->tk), c->text_len,
			    c->tok_fed);
		if (c->discard) {
			nd->evicted = 1;
		} else if (e == 0 && !nd->prov && nd->lkey != NULL &&
		    (d->opt.max_output > 0 || !d->lim_off)) {
			/* a provisional body is not counted: it may never
			 * be shown, and must not push shown ones out */
			d->heap_bytes += b->sf.len;
			e = heap_push(d, c->idx);
			nd->in_heap = e == 0;
			evict(d);
		}
	} else {
		const char *lit = literal_body(d, nd);
		store_drop(d->store, &b->sf);
		b->tokens = count_tokens(lit, strlen(lit));
	}
	return e;
}

/* ------------------------------------------------------------ order */

/*
 * The lower-cased sort key, in d->strs; the path itself when lower-casing
 * changes nothing (four paths in five in the Linux tree).
 */
static int
make_lkey(struct digest *d, struct digest_node *nd)
{
	size_t cap = (size_t)nd->path_len * 3 + 1, kl;
	char stack[1024], *k = stack;

	if (nd->lkey != NULL)
		return 0;
	if (cap > sizeof stack && (k = malloc(cap)) == NULL)
		return ERR_NOMEM;
	kl = utf8_lower_key((const uint8_t *)nd->path, nd->path_len,
	    (uint8_t *)k, cap);
	if (kl == (size_t)-1) {
		if (k != stack)
			free(k);
		return ERR_NOMEM;
	}
	if (kl == nd->path_len && memcmp(k, nd->path, kl) == 0)
		nd->lkey = nd->path;
	else
		nd->lkey = str_dup(d, k, kl);
	if (k != stack)
		free(k);
	if (nd->lkey == NULL)
		return ERR_NOMEM;
	nd->lkey_len = (uint32_t)kl;
	return 0;
}

/* A component of a path: [off, off+len) in the raw path and the lower-cased key. */
static int
group_of(const char *name, size_t n, const char *lname, size_t ln, int type)
{
	int dot = n > 0 && name[0] == '.';

	if (type == DIGEST_FILE) {
		if ((ln == 6 && memcmp(lname, "readme", 6) == 0) ||
		    (ln > 6 && memcmp(lname, "readme.", 7) == 0))
			return 0;
		return dot ? 2 : 1;
	}
	return dot ? 4 : 3;
}

/*
 * memcmp() 8 bytes at a time: the sort compares paths' components over and
 * over (git's tarball: 160k comparisons), and musl's memcmp goes byte by
 * byte. Only the sign of the result is used.
 */
static int
bytes_cmp(const char *a, const char *b, size_t n)
{
	size_t i = 0;

	for (; n - i >= 8; i += 8) {
		uint64_t x, y;
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			/* the first byte the most significant */
			x = __builtin_bswap64(x);
			y = __builtin_bswap64(y);
#endif
			return x < y ? -1 : 1;
		}
	}
	for (; i < n; i++)
		if (a[i] != b[i])
			return (unsigned char)a[i] < (unsigned char)b[i] ? -1 : 1;
	return 0;
}

static int
memcmp_len(const char *a, size_t an, const char *b, size_t bn)
{
	int r = bytes_cmp(a, b, an < bn ? an : bn);

	if (r != 0)
		return r;
	return an < bn ? -1 : an > bn;
}

/* Next component starting at *at in s[0..n): sets *len, returns start. */
static size_t
next_comp(const char *s, size_t n, size_t *at, size_t *len)
{
	size_t start = *at, i = start;

	while (i < n && s[i] != '/')
		i++;
	*len = i - start;
	*at = i < n ? i + 1 : n + 1;
	return start;
}

/*
 * gitingest's tree pre-order: at the first component where the two paths differ,
 * compare (group, lower-cased name), then raw bytes (our tie-break).
 */
static int
cmp_leaf(const void *pa, const void *pb)
{
	const struct digest_node *a = *(const struct digest_node *const *)pa;
	const struct digest_node *b = *(const struct digest_node *const *)pb;
	size_t ra = 0, rb = 0, la = 0, lb = 0, m = 0, n;

	/* Components the two share, whole and followed by '/', would only be
	 * stepped over below: skip them at once (the same components of the
	 * keys: lower-casing keeps every '/' and adds none). */
	n = a->path_len < b->path_len ? a->path_len : b->path_len;
	while (n - m >= 8) {
		uint64_t x, y;
		memcpy(&x, a->path + m, 8);
		memcpy(&y, b->path + m, 8);
		if (x != y)
			break;
		m += 8;
	}
	while (m < n && a->path[m] == b->path[m])
		m++;
	while (m > 0 && a->path[m - 1] != '/')
		m--;
	if (m > 0) {
		ra = rb = m;
		if (a->lkey == a->path && b->lkey == b->path) {
			la = lb = m;
		} else {
			size_t k = 0, len;
			for (size_t i = 0; i < m; i++)
				k += a->path[i] == '/';
			for (size_t i = 0; i < k; i++) {
				next_comp(a->lkey, a->lkey_len, &la, &len);
				next_comp(b->lkey, b->lkey_len, &lb, &len);
			}
		}
	}
	for (;;) {
		size_t ran, rbn, lan, lbn, sa, sb, sla, slb;
		int a_last, b_last, ga, gb, r;

		sa = next_comp(a->path, a->path_len, &ra, &ran);
		sb = next_comp(b->path, b->path_len, &rb, &rbn);
		sla = next_comp(a->lkey, a->lkey_len, &la, &lan);
		slb = next_comp(b->lkey, b->lkey_len, &lb, &lbn);
		a_last = ra > a->path_len;
		b_last = rb > b->path_len;
		if (ran == rbn && !a_last && !b_last &&
		    bytes_cmp(a->path + sa, b->path + sb, ran) == 0)
			continue;       /* same directory: go deeper */
		ga = group_of(a->path + sa, ran, a->lkey + sla, lan,
		    a_last ? a->type : DIGEST_DIR);
		gb = group_of(b->path + sb, rbn, b->lkey + slb, lbn,
		    b_last ? b->type : DIGEST_DIR);
		if (ga != gb)
			return ga < gb ? -1 : 1;
		r = memcmp_len(a->lkey + sla, lan, b->lkey + slb, lbn);
		if (r != 0)
			return r;
		r = memcmp_len(a->path + sa, ran, b->path + sb, rbn);
		if (r != 0)
			return r;
		/* same name, one a file and one a directory: cannot happen in a
		 * real tree; order by length for a total order */
		return a->path_len < b->path_len ? -1 : a->path_len > b->path_len;
	}
}

/* ------------------------------------------------------------ symlink targets */

static int
cmp_str(const void *pa, const void *pb)
{
	const char *a = *(const char *const *)pa, *b = *(const char *const *)pb;

	return strcmp(a, b);
}

/*
 * Is the symlink's target a directory inside the tree? gitingest's include
 * filter lets symlinks to directories through (Path.is_dir() follows links).
 * Resolved within the archive: absolute targets and targets that leave the root
 * are not directories; chains are followed up to 40 links (as Linux's ELOOP).
 */
static COLD int
link_is_dir(const struct digest *d, char **dirs, size_t ndirs,
    const struct digest_node *nd)
{
	char path[8192];
	const struct digest_node *cur = nd;

	for (int hops = 0; hops < 40; hops++) {
		size_t plen, dl = cur->path_len;
		const char *l = cur->link;
		char *key;
		size_t i = 0;
		char out[8192];
		size_t olen = 0;

		if (cur->link_len == 0 || l[0] == '/')
			return 0;
		while (dl > 0 && cur->path[dl - 1] != '/')
			dl--;
		if (dl + cur->link_len + 1 >= sizeof path)
			return 0;
		memcpy(path, cur->path, dl);
		memcpy(path + dl, l, cur->link_len);
		plen = dl + cur->link_len;
		/* normalise: drop "." and empty, resolve ".." */
		while (i <= plen) {
			size_t s = i;
			while (i < plen && path[i] != '/')
				i++;
			size_t cl = i - s;
			if (cl == 0 || (cl == 1 && path[s] == '.')) {
				/* skip */
			} else if (cl == 2 && path[s] == '.' && path[s + 1] == '.') {
				if (olen == 0)
					return 0;       /* leaves the root */
				while (olen > 0 && out[olen - 1] != '/')
					olen--;
				if (olen > 0)
					olen--;
			} else {
				if (olen > 0)
					out[olen++] = '/';
				memcpy(out + olen, path + s, cl);
				olen += cl;
			}
			i++;
		}
		if (olen == 0)
			return 1;               /* the root itself */
		out[olen] = '\0';
		key = out;
		if (bsearch(&key, dirs, ndirs, sizeof *dirs, cmp_str) != NULL)
			return 1;
		/* another symlink? follow it */
		cur = NULL;
		for (size_t k = 0; k < d->n; k++) {
			const struct digest_node *x = &d->nodes[k];
			if (x->type == DIGEST_SYMLINK && x->path_len == olen &&
			    memcmp(x->path, out, olen) == 0) {
				cur = x;
				break;
			}
		}
		if (cur == NULL)
			return 0;
	}
	return 0;
}

/* All directory paths of the tree: explicit entries and every parent. */
static int
collect_dirs(const struct digest *d, char ***out, size_t *nout)
{
	size_t n = 0, cap = 0;
	char **v = NULL;

	for (size_t i = 0; i < d->n; i++) {
		const struct digest_node *nd = &d->nodes[i];
		for (size_t j = 0; j <= nd->path_len; j++) {
			int is_dir_end = (j < nd->path_len && nd->path[j] == '/') ||
			    (j == nd->path_len && nd->type == DIGEST_DIR);
			if (!is_dir_end)
				continue;
			if (n == cap) {
				char **nv = grow(v, &cap, sizeof *nv, 256);
				if (nv == NULL)
					goto fail;
				v = nv;
			}
			if ((v[n] = dupn(nd->path, j)) == NULL)
				goto fail;
			n++;
		}
	}
	if (n > 0)
		qsort(v, n, sizeof *v, cmp_str);
	*out = v;
	*nout = n;
	return 0;
fail:
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return ERR_NOMEM;
}

/* ------------------------------------------------------------ tree */

/* Last component of a symlink's text as pathlib's PurePosixPath.name gives it:
 * empty and "." components dropped, "/" alone gives "". */
static void
link_display(const char *l, size_t n, const char **out, size_t *olen)
{
	size_t end = n;

	for (;;) {
		while (end > 0 && l[end - 1] == '/')
			end--;
		size_t s = end;
		while (s > 0 && l[s - 1] != '/')
			s--;
		if (end - s == 1 && l[s] == '.') {
			end = s;
			continue;
		}
		*out = l + s;
		*olen = end - s;
		return;
	}
}

/* ------------------------------------------------------------ names */

/*
 * Names and symlink targets are printed as they are, as gitingest does, unless
 * they hold a byte that could forge the digest's structure (a newline starting
 * a "FILE:" line under a "====" rule) or a terminal: C0 controls, DEL, the C1
 * controls U+0080..U+009F and the line and paragraph separators U+2028/U+2029.
 * Such a name is printed escaped as a whole: \n \r \t, \xHH for the other
 * bytes, \uHHHH for the Unicode ones, and '\' as "\\" (so the escaped form
 * cannot be mistaken for another name's raw bytes).
 */
static size_t
special_at(const uint8_t *p, size_t n, size_t i)
{
	if (p[i] < 0x20 || p[i] == 0x7f)
		return 1;
	if (p[i] == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
		return 2;
	if (p[i] == 0xe2 && i + 2 < n && p[i + 1] == 0x80 &&
	    (p[i + 2] == 0xa8 || p[i + 2] == 0xa9))
		return 3;
	return 0;
}

static int
needs_escape(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (special_at((const uint8_t *)s, n, i))
			return 1;
	return 0;
}

/* see digest.h */
size_t
digest_escape_name(const char *s, size_t n, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p = (const uint8_t *)s;
	size_t o = 0;

	if (!needs_escape(s, n)) {
		if (out != NULL && n <= cap)
			memcpy(out, s, n);
		return n;
	}
	for (size_t i = 0; i < n; i++) {
		char t[8];
		size_t tl = 0, k = special_at(p, n, i);
		unsigned cp = p[i];
		if (k == 1 && (cp == '\n' || cp == '\r' || cp == '\t')) {
			t[tl++] = '\\';
			t[tl++] = cp == '\n' ? 'n' : cp == '\r' ? 'r' : 't';
		} else if (k == 1) {
			t[tl++] = '\\';
			t[tl++] = 'x';
			t[tl++] = hex[cp >> 4];
			t[tl++] = hex[cp & 15];
		} else if (k > 1) {
			cp = k == 2 ? p[i + 1] : 0x2000u | (p[i + 2] & 0x3fu);
			t[tl++] = '\\';
			t[tl++] = 'u';
			for (int sh = 12; sh >= 0; sh -= 4)
				t[tl++] = hex[(cp >> sh) & 15];
			i += k - 1;
		} else if (cp == '\\') {
			t[tl++] = '\\';
			t[tl++] = '\\';
		} else {
			t[tl++] = (char)cp;
		}
		if (out != NULL && o + tl <= cap)
			memcpy(out + o, t, tl);
		o += tl;
	}
	return o;
}

/* A name as printed: s itself, or an escaped copy in *tmp (to free). */
static const char *
shown(const char *s, size_t n, size_t *olen, char **tmp)
{
	*tmp = NULL;
	*olen = n;
	if (!needs_escape(s, n))
		return s;
	*olen = digest_escape_name(s, n, NULL, 0);
	if ((*tmp = malloc(*olen ? *olen : 1)) == NULL) {
		*olen = 0;
		return "";
	}
	digest_escape_name(s, n, *tmp, *olen);
	return *tmp;
}

struct tnode {
	const char *name;
	size_t nlen;
	const struct digest_node *leaf;         /* NULL for a directory */
	size_t first, next;                     /* child/sibling indexes, 0 = none */
};

static int
tree_line(struct buf *b, const char *prefix, size_t plen, int last,
    const struct tnode *t)
{
	int e = 0;

	const char *x;
	size_t xl;
	char *tmp;

	e |= buf_append(b, prefix, plen);
	e |= buf_puts(b, last ? "\xe2\x94\x94\xe2\x94\x80\xe2\x94\x80 " :
	    "\xe2\x94\x9c\xe2\x94\x80\xe2\x94\x80 ");
	x = shown(t->name, t->nlen, &xl, &tmp);
	e |= buf_append(b, x, xl);
	free(tmp);
	if (t->leaf == NULL) {
		e |= buf_putc(b, '/');
	} else if (t->leaf->type == DIGEST_SYMLINK) {
		link_display(t->leaf->link, t->leaf->link_len, &x, &xl);
		x = shown(x, xl, &xl, &tmp);
		e |= buf_puts(b, " -> ");
		e |= buf_append(b, x, xl);
		free(tmp);
	}
	e |= buf_putc(b, '\n');
	return e ? ERR_NOMEM : 0;
}

/* Depth-first rendering with an explicit stack (depth is capped by max_depth but
 * the stack keeps hostile depth settings from recursing the C stack). */
static int
render_tree(struct tnode *t, size_t root, struct buf *b)
{
	struct frame { size_t node; size_t plen; } *st;
	struct buf prefix;
	size_t sp = 0, cap = 64;
	int e = 0;

	st = malloc(cap * sizeof *st);
	if (st == NULL)
		return ERR_NOMEM;
	buf_init(&prefix, (size_t)1 << 24);
	if (buf_puts(&prefix, "    ")) {
		free(st);
		return ERR_NOMEM;
	}
	st[sp].node = t[root].first;
	st[sp].plen = prefix.len;
	sp++;
	while (sp > 0 && e == 0) {
		struct frame *f = &st[sp - 1];
		size_t k = f->node;
		if (k == 0) {
			sp--;
			continue;
		}
		f->node = t[k].next;
		prefix.len = f->plen;
		int last = t[k].next == 0;
		e = tree_line(b, (const char *)prefix.p, prefix.len, last, &t[k]);
		if (e == 0 && t[k].leaf == NULL) {
			e = buf_puts(&prefix, last ? "    " : "\xe2\x94\x82   ");
			if (e == 0 && sp == cap) {
				struct frame *ns = realloc(st, 2 * cap * sizeof *st);
				if (ns == NULL) {
					e = ERR_NOMEM;
					break;
				}
				st = ns;
				cap *= 2;
			}
			if (e == 0) {
				st[sp].node = t[k].first;
				st[sp].plen = prefix.len;
				sp++;
			}
		}
	}
	free(st);
	buf_free(&prefix);
	return e;
}

static int
build_tree(struct digest *d, const char *root_name)
{
	struct tnode *t;
	size_t nt = 1, cap;
	size_t *stack, *lastchild, depth = 0;
	struct buf b;
	int e;

	/* every leaf adds itself plus at most its new directories; bound the array
	 * by the number of components instead of reallocating */
	cap = 1;
	for (size_t i = 0; i < d->n_order; i++)
		cap += components(d->order[i]->path, d->order[i]->path_len);
	t = calloc(cap, sizeof *t);
	stack = calloc(cap + 1, sizeof *stack);
	lastchild = calloc(cap, sizeof *lastchild);
	if (t == NULL || stack == NULL || lastchild == NULL) {
		free(t);
		free(stack);
		free(lastchild);
		return ERR_NOMEM;
	}
	t[0].name = root_name;
	t[0].nlen = strlen(root_name);
	stack[0] = 0;
	for (size_t i = 0; i < d->n_order; i++) {
		const struct digest_node *nd = d->order[i];
		size_t at = 0, len, s, lvl = 0;
		/*
		 * stack[1..depth] are the directories open on the previous leaf's
		 * path; leaves arrive in pre-order, so a directory is reused while
		 * the names match and never reopened after it was left.
		 */
		for (;;) {
			s = next_comp(nd->path, nd->path_len, &at, &len);
			int last = at > nd->path_len;
			size_t parent = stack[lvl], lc;
			if (!last && lvl < depth &&
			    t[stack[lvl + 1]].nlen == len &&
			    memcmp(t[stack[lvl + 1]].name, nd->path + s, len) == 0) {
				lvl++;
				continue;
			}
			t[nt].name = nd->path + s;
			t[nt].nlen = len;
			t[nt].leaf = last ? nd : NULL;
			lc = lastchild[parent];
			if (lc)
				t[lc].next = nt;
			else
				t[parent].first = nt;
			lastchild[parent] = nt;
			if (last) {
				nt++;
				depth = lvl;
				break;
			}
			stack[++lvl] = nt++;
			depth = lvl;
		}
	}
	buf_init(&b, (size_t)1 << 30);
	e = buf_puts(&b, "Directory structure:\n");
	if (e == 0) {
		e = buf_puts(&b, "\xe2\x94\x94\xe2\x94\x80\xe2\x94\x80 ");
		e |= buf_append(&b, root_name, t[0].nlen);
		e |= buf_puts(&b, "/\n");
		if (e)
			e = ERR_NOMEM;
	}
	if (e == 0)
		e = render_tree(t, 0, &b);
	free(t);
	free(stack);
	free(lastchild);
	if (e) {
		buf_free(&b);
		return e;
	}
	d->tree = (char *)b.p;
	d->tree_len = b.len;
	return 0;
}

/* ------------------------------------------------------------ finish */

static void
drop_body(struct digest *d, struct digest_node *nd, int reason)
{
	nd->reason = (uint8_t)reason;
	body_drop(d, nd);
}

/*
 * A member below a symlink, a file or any member that is not a directory
 * cannot exist after extraction (GNU tar refuses to write through a symlink
 * it extracted, and a file is no directory): it is left out with a reason,
 * never shown. The map holds each path's last entry.
 */
static void
mark_under_links(struct digest *d)
{
	if (d->pm == NULL)
		return;
	for (size_t i = 0; i < d->n; i++) {
		struct digest_node *nd = &d->nodes[i];
		if (nd->reason == DIGEST_REPLACED)
			continue;
		for (size_t j = 1; j < nd->path_len; j++) {
			size_t k;
			if (nd->path[j] != '/')
				continue;
			k = pm_get(d, nd->path, j);
			if (k != SIZE_MAX && d->nodes[k].type != DIGEST_DIR) {
				drop_body(d, nd, DIGEST_UNDER_LINK);
				nd->prov = 0;
				break;
			}
		}
	}
}

/* Tokens of one block's header and separators (the body is counted already). */
static uint64_t
header_tokens(const struct digest_node *nd)
{
	struct tokens t;
	const char *x = "", *pth;
	size_t xl = 0, pl;
	char *tmp, *tmp2 = NULL;

	/* the block's header exactly as rendered, counted in one stream (the
	 * newlines after the body join the body's last whitespace run) */
	tokens_init(&t);
	tokens_feed(&t, (const uint8_t *)SEP "\n", sizeof SEP);
	if (nd->type == DIGEST_SYMLINK) {
		link_display(nd->link, nd->link_len, &x, &xl);
		x = shown(x, xl, &xl, &tmp2);
		tokens_feed(&t, (const uint8_t *)"SYMLINK: ", 9);
	} else {
		tokens_feed(&t, (const uint8_t *)"FILE: ", 6);
	}
	pth = shown(nd->path, nd->path_len, &pl, &tmp);
	tokens_feed(&t, (const uint8_t *)pth, pl);
	free(tmp);
	if (xl > 0) {
		tokens_feed(&t, (const uint8_t *)" -> ", 4);
		tokens_feed(&t, (const uint8_t *)x, xl);
	}
	free(tmp2);
	tokens_feed(&t, (const uint8_t *)"\n" SEP "\n", sizeof SEP + 1);
	return tokens_end(&t);
}


int
digest_finish(struct digest *d, const char *root_name)
{
	char **dirs = NULL;
	size_t ndirs = 0, k = 0;
	uint64_t files = 0, total = 0;
	int e, have_dirs = 0;

	if (d->cur->active && (e = digest_entry_end(d)) != 0)
		return e;
	if ((e = tokq_finish(d)) != 0)
		return e;
	if ((e = store_sync(d->store, 1)) != 0)
		return e;
	/* 1. the top directory stays stripped; the ignore files in the walk's
	 * order; members extraction would not create; then every entry judged
	 * before the last pattern came (or kept provisionally) is judged again
	 * with the complete set, and include patterns for symlinks */
	if (d->alt != NULL) {
		ignore_clear(&d->igalt);        /* kept, as above */
		free(d->alt);
		d->alt = NULL;
	}
	if (d->igf_rebuild && (e = igf_rebuild(d)) != 0)
		return e;
	if (!d->prescanned)
		mark_under_links(d);
	for (size_t i = 0; i < d->n; i++) {
		struct digest_node *nd = &d->nodes[i];
		if (nd->type != DIGEST_FILE && nd->type != DIGEST_SYMLINK)
			continue;
		if (nd->reason == DIGEST_REPLACED ||
		    nd->reason == DIGEST_UNDER_LINK)
			continue;
		if (nd->prov || nd->ig_gen != (uint32_t)d->ig_epoch) {
			int r = judge(d, &d->ig, nd->path, nd->path_len,
			    nd->type, nd->size);
			if (r == DIGEST_KEPT && !nd->has_body) {
				/* only in an archive out of sorted order */
				nd->reason = DIGEST_DROPPED_EARLY;
				d->dropped_early++;
				continue;
			}
			nd->prov = 0;
			nd->ig_gen = (uint32_t)d->ig_epoch;
			if (r != DIGEST_KEPT) {
				drop_body(d, nd, r);
				continue;
			}
			nd->reason = DIGEST_KEPT;
		}
		if (nd->reason != DIGEST_KEPT)
			continue;
		if (nd->type == DIGEST_SYMLINK && d->n_includes > 0 &&
		    !ignore_match(&d->inc, nd->path, nd->path_len)) {
			if (!have_dirs) {
				if ((e = collect_dirs(d, &dirs, &ndirs)) != 0)
					return e;
				have_dirs = 1;
			}
			if (!link_is_dir(d, dirs, ndirs, nd))
				nd->reason = DIGEST_NOT_INCLUDED;
		}
	}
	for (size_t i = 0; i < ndirs; i++)
		free(dirs[i]);
	free(dirs);

	/* 2. sort the kept leaves */
	for (size_t i = 0; i < d->n; i++)
		k += d->nodes[i].reason == DIGEST_KEPT &&
		    (d->nodes[i].type == DIGEST_FILE ||
		    d->nodes[i].type == DIGEST_SYMLINK);
	if (d->order_cap < (k ? k : 1)) {
		free(d->order);
		d->order_cap = 0;
		if ((d->order = malloc((k ? k : 1) * sizeof *d->order)) == NULL)
			return ERR_NOMEM;
		d->order_cap = k ? k : 1;
	}
	d->n_order = 0;
	for (size_t i = 0; i < d->n; i++) {
		struct digest_node *nd = &d->nodes[i];
		if (nd->reason != DIGEST_KEPT ||
		    (nd->type != DIGEST_FILE && nd->type != DIGEST_SYMLINK))
			continue;
		if ((e = make_lkey(d, nd)) != 0)
			return e;
		d->order[d->n_order++] = nd;
	}
	qsort(d->order, d->n_order, sizeof *d->order, cmp_leaf);

	/* 3. count and total-size limits, deterministically in tree order */
	k = 0;
	for (size_t i = 0; i < d->n_order; i++) {
		struct digest_node *nd = d->order[i];
		if (files + 1 > d->opt.max_files) {
			drop_body(d, nd, DIGEST_FILE_LIMIT);
			continue;
		}
		if (nd->type == DIGEST_FILE && total + nd->size > d->opt.max_total) {
			drop_body(d, nd, DIGEST_TOTAL_LIMIT);
			continue;
		}
		files++;
		total += nd->size;
		d->order[k++] = nd;
	}
	d->n_order = k;
	d->files_analyzed = files;

	/* an evicted body must lie past the cap, or be cut by the file limits;
	 * a late ignore rule, or a hostile archive, that removed earlier
	 * bodies could break that, and we must not render a hole */
	for (size_t i = 0; i < d->n_order; i++)
		if (d->order[i]->lim_cut)
			return ERR_DIGEST_EVICTED;
	if (d->opt.max_output > 0) {
		uint64_t off = 0;
		for (size_t i = 0; i < d->n_order; i++) {
			struct digest_node *nd = d->order[i];
			off += (i > 0) + 2 * sizeof SEP + 8 + nd->path_len;
			if (nd->evicted && off < d->opt.max_output)
				return ERR_DIGEST_EVICTED;
			if (off >= d->opt.max_output)
				break;
			off += nd->body == BODY_TEXT ? body_of(d, nd)->sf.len :
			    strlen(literal_body(d, nd));
			off += 2;
		}
	}

	/* 4. tree and token figure */
	if ((e = build_tree(d, root_name)) != 0)
		return e;
	d->tokens = count_tokens(d->tree, d->tree_len);
	for (size_t i = 0; i < d->n_order; i++)
		d->tokens += header_tokens(d->order[i]) +
		    body_tokens(d, d->order[i]);
	d->finished = 1;
	return 0;
}

/* ------------------------------------------------------------ output */

int
digest_summary(const struct digest *d, const char *header, struct buf *out)
{
	char t[32];

	tokens_format(d->tokens, t, sizeof t);
	if (buf_puts(out, header) || buf_printf(out,
	    "Files analyzed: %llu\n\nEstimated tokens: %s",
	    (unsigned long long)d->files_analyzed, t))
		return ERR_NOMEM;
	return 0;
}

int
digest_write_tree(struct digest *d, struct out *o)
{
	return out_write(o, d->tree, d->tree_len);
}

static int
write_chunk(void *ctx, const uint8_t *p, size_t n)
{
	struct out *o = ctx;

	out_write(o, p, n);
	/* stop reading the store once the cap has cut the output */
	return out_full(o) ? (o->err ? o->err : -1) : 0;
}

int
digest_write_content(struct digest *d, struct out *o)
{
	for (size_t i = 0; i < d->n_order && !out_full(o); i++) {
		const struct digest_node *nd = d->order[i];
		if (i > 0)
			out_write(o, "\n", 1);
		out_write(o, SEP "\n", sizeof SEP);
		const char *x, *pth;
		size_t xl, pl;
		char *tmp, *tmp2;
		pth = shown(nd->path, nd->path_len, &pl, &tmp);
		if (nd->type == DIGEST_SYMLINK) {
			link_display(nd->link, nd->link_len, &x, &xl);
			x = shown(x, xl, &xl, &tmp2);
			out_write(o, "SYMLINK: ", 9);
			out_write(o, pth, pl);
			out_write(o, " -> ", 4);
			out_write(o, x, xl);
			free(tmp2);
		} else {
			out_write(o, "FILE: ", 6);
			out_write(o, pth, pl);
		}
		free(tmp);
		out_write(o, "\n" SEP "\n", sizeof SEP + 1);
		if (nd->body == BODY_TEXT && nd->evicted) {
			/* digest_finish() proved this is past the cap */
			return ERR_DIGEST_EVICTED;
		} else if (nd->body == BODY_TEXT) {
			int e = store_read(d->store, &body_of(d, nd)->sf,
			    write_chunk, o);
			if (e > 0)
				return e;
		} else {
			out_puts(o, literal_body(d, nd));
		}
		out_write(o, "\n\n", 2);
	}
	return o->err;
}

int
digest_each_text(struct digest *d, const struct digest_visit *v)
{
	int e;

	for (size_t i = 0; i < d->n_order; i++) {
		const struct digest_node *nd = d->order[i];
		if (nd->type != DIGEST_FILE || nd->body != BODY_TEXT)
			continue;
		if (nd->evicted)
			return ERR_DIGEST_EVICTED;
		if ((e = v->begin(v->ctx, nd->path, nd->path_len)) != 0 ||
		    (e = store_read(d->store, &body_of(d, nd)->sf, v->data,
		    v->ctx)) != 0 ||
		    (e = v->end(v->ctx)) != 0)
			return e;
	}
	return 0;
}

/* The report's strings: bytes that are not valid UTF-8 become \ufffd. */
static void
json_str(FILE *f, const char *s, size_t n)
{
	jsonstr_write(s, n, JSONSTR_QUOTE | JSONSTR_DEL | JSONSTR_BAD_ESC,
	    jsonstr_put_file, f);
}

COLD int
digest_report_json(const struct digest *d, FILE *f)
{
	int first = 1;
	uint64_t skipped = 0;

	fprintf(f, "{\n  \"files_analyzed\": %llu,\n  \"estimated_tokens\": %llu,\n"
	    "  \"included\": [",
	    (unsigned long long)d->files_analyzed, (unsigned long long)d->tokens);
	for (size_t i = 0; i < d->n_order; i++) {
		const struct digest_node *nd = d->order[i];
		fputs(first ? "\n    {\"path\": " : ",\n    {\"path\": ", f);
		first = 0;
		json_str(f, nd->path, nd->path_len);
		fprintf(f, ", \"type\": \"%s\", \"bytes\": %llu, \"tokens\": %llu",
		    nd->type == DIGEST_SYMLINK ? "symlink" :
		    nd->body == BODY_BINARY ? "binary" :
		    nd->body == BODY_ERROR ? "unreadable" : "text",
		    (unsigned long long)nd->size,
		    (unsigned long long)(body_tokens(d, nd) + header_tokens(nd)));
		if (nd->note != NOTE_NONE)
			fprintf(f, ", \"note\": \"%s\"", note_text[nd->note]);
		fputc('}', f);
	}
	fputs(first ? "],\n  \"skipped\": [" : "\n  ],\n  \"skipped\": [", f);
	first = 1;
	for (size_t i = 0; i < d->n; i++) {
		const struct digest_node *nd = &d->nodes[i];
		if (nd->type == DIGEST_DIR || nd->reason == DIGEST_KEPT)
			continue;
		skipped++;
		fputs(first ? "\n    {\"path\": " : ",\n    {\"path\": ", f);
		first = 0;
		json_str(f, nd->path, nd->path_len);
		fprintf(f, ", \"bytes\": %llu, \"reason\": \"%s\"}",
		    (unsigned long long)nd->size, digest_reason_str(nd->reason));
	}
	fputs(first ? "],\n" : "\n  ],\n", f);
	fprintf(f, "  \"skipped_count\": %llu,\n  \"ignore_file_bad_lines\": %llu\n}\n",
	    (unsigned long long)skipped, (unsigned long long)d->ignore_bad_lines);
	return ferror(f) ? ERR_OUTPUT : 0;
}
