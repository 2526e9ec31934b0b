/*
 * digest.h - the digest builder: entries in, gitingest's summary, tree and content
 * out (gitingest 0.3.1's format; tests/data/gitingest holds its expected outputs).
 *
 * Push-style: the caller (source.c) reports entries in any order, each followed by
 * its data in any split, and then asks for the result. The builder applies the
 * filters (ignore set, include patterns, sizes, depth, count and total limits),
 * decides each body (text with universal newlines, [Binary file], [Empty file],
 * notebook conversion, decode error), keeps bodies in the content store, sorts in
 * gitingest's tree order and renders. Where gitingest depends on filesystem or
 * hash order we are deterministic instead (see digest.c's top comment).
 *
 * Every entry ends up either kept or left out with a reason; digest_report_json()
 * lists both (gitingest drops files silently).
 */
#ifndef DIGEST_H
#define DIGEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ignore.h"
#include "out.h"
#include "store.h"

/* gitingest's limits (spec 7) */
#define DIGEST_MAX_FILE_SIZE  (10ull << 20)
#define DIGEST_MAX_FILES      10000u
#define DIGEST_MAX_TOTAL      (500ull << 20)
#define DIGEST_MAX_DEPTH      20
/* ours: bodies kept raw up to this, LZ4 beyond (store.h). 8 MiB: Python
 * 3.11's full digest 52.5 -> 46.3 MiB (16 MiB before), user CPU unchanged */
#define DIGEST_RAW_BUDGET     (8ull << 20)
/* ours: with opt.token_thread, text counted inline before the thread starts
 * (a small repository is done before a thread would pay for itself) */
#define DIGEST_TOKQ_START     (256u << 10)
/* ours: hard cap on memory held for bodies */
#define DIGEST_MEM_CAP        (768ull << 20)
/* ours: entries tracked per archive (each costs a node and a path, ~150 bytes;
 * the Linux kernel has ~90k): more is an error, so memory stays bounded */
#define DIGEST_MAX_ENTRIES    200000u
/* ours: token counting reads at most this much of one body and scales */
#define DIGEST_TOKEN_SAMPLE   (256u << 10)
/* ours: largest notebook converted (cJSON holds ~64 bytes per JSON value) */
#define DIGEST_NOTEBOOK_MAX   (4u << 20)
/* ours: .gitignore / .gitingestignore bytes read per file */
#define DIGEST_IGNORE_FILE_MAX (1u << 20)

enum digest_type {
	DIGEST_FILE = 0,
	DIGEST_DIR,
	DIGEST_SYMLINK,
	DIGEST_OTHER            /* fifo, device, hard link: left out */
};

/* Why an entry is not in the digest. */
#define DIGEST_REASONS(X) \
	X(KEPT,          "kept") \
	X(IGNORED,       "ignored") \
	X(NOT_INCLUDED,  "not matched by an include pattern") \
	X(TOO_LARGE,     "larger than the file size limit") \
	X(DEPTH,         "deeper than the depth limit") \
	X(FILE_LIMIT,    "file count limit reached") \
	X(TOTAL_LIMIT,   "total size limit reached") \
	X(OTHER_TYPE,    "not a regular file or symlink") \
	X(DROPPED_EARLY, "excluded before a later ignore rule re-included it") \
	X(REPLACED,      "replaced by a later archive entry with the same path") \
	X(UNDER_LINK,    "inside a symlink or file of the archive (extraction would not create it)")

enum digest_reason {
#define DIGEST_REASON_ENUM(name, text) DIGEST_##name,
	DIGEST_REASONS(DIGEST_REASON_ENUM)
#undef DIGEST_REASON_ENUM
};

struct digest_opts {
	uint64_t max_file_size;         /* -s; 0 = default */
	uint32_t max_files;             /* 0 = default */
	uint64_t max_total;             /* 0 = default */
	int max_depth;                  /* < 0 = default */
	int use_ignore_files;           /* honour .gitignore/.gitingestignore */
	const char *const *includes;    /* -i patterns (split), NULL-terminated or NULL */
	const char *const *excludes;    /* -e patterns (split), NULL-terminated or NULL */
	uint64_t raw_budget;            /* 0 = DIGEST_RAW_BUDGET */
	uint64_t mem_cap;               /* 0 = DIGEST_MEM_CAP */
	int token_thread;               /* count tokens on a second thread */
	int no_tokens;                  /* no token estimate is wanted (chunks
	                                 * alone, no report): bodies are not
	                                 * counted and every figure is 0 */
	uint64_t max_output;            /* cap on the rendered output, 0 = none:
	                                 * bodies past it are not kept */
};

struct digest_node;                     /* see digest.c */
struct digest_body;                     /* see digest.c */
struct tokq;
struct digest_pathmap;                  /* see digest.c */
struct digest_strs;                     /* see digest.c */

/* An ignore file seen in an archive: kept so the set can be rebuilt in the
 * directory walk's order (shallow files first, then byte order). */
struct digest_igfile {
	char *path;                     /* relative path of the file */
	size_t path_len;
	uint8_t *data;
	size_t len;
	int dead;                       /* replaced by a later entry */
};

/* Per-level cache of ancestor-directory exclusion (digest.c, path_excluded). */
#define DIGEST_DCACHE_PATH   4096
#define DIGEST_DCACHE_LEVELS 128
struct digest_dcache {
	uint64_t gen;                   /* ig_epoch the cache is valid for */
	size_t len, levels;
	uint16_t ends[DIGEST_DCACHE_LEVELS];
	uint8_t hit[DIGEST_DCACHE_LEVELS];
	char path[DIGEST_DCACHE_PATH + 1];
};
struct digest_cur;

/* The buffers a recycled digest keeps (digest_recycle; digest.c). */
struct digest_cur;
struct digest_spare {
	struct digest_cur *cur;
	struct store *store;
	struct digest_strs *strs;
	struct digest_pathmap *pm;
	struct digest_node *nodes;
	struct digest_body *bodies;
	struct digest_node **order;
	size_t *heap, *lim;
	size_t cap, bodies_cap, heap_cap, order_cap;
	uint32_t lim_files;             /* the max_files lim was made for */
	struct ignore ig, inc, igalt;   /* emptied (ignore_clear) */
	char *prev, *altp;              /* path buffers */
	size_t prev_cap, altp_cap;
};

struct digest {
	struct digest_opts opt;
	struct ignore ig;               /* defaults + -e - includes + ignore files */
	struct ignore inc;              /* include patterns */
	int n_includes;
	struct digest_node *nodes;
	size_t n, cap;
	struct digest_body *bodies;     /* of the entries whose body was read */
	size_t n_bodies, bodies_cap;
	struct digest_node **order;     /* kept leaves in tree order (after finish) */
	size_t n_order, order_cap;
	struct digest_cur *cur;         /* entry being streamed (internal) */
	size_t *heap;                   /* stored bodies, max-heap in tree order */
	size_t heap_n, heap_cap;
	uint64_t heap_bytes;            /* body bytes held by the heap's files */
	size_t *lim;                    /* firm leaves (digest.c, "file
	                                 * limits"): the max_files first in
	                                 * tree order, a max-heap */
	size_t lim_n;
	uint64_t lim_bytes;             /* their declared sizes */
	uint64_t loose_bytes;           /* sizes of kept leaves not firm */
	int lim_off;                    /* a counted leaf may yet go: no more
	                                 * evictions by the file limits */
	uint64_t lim_evicted;           /* bodies dropped by the file limits */
	struct store *store;
	struct tokq *tq;                /* token thread, when opt.token_thread */
	uint64_t tok_inline;            /* text bytes counted on this thread */
	uint64_t files_analyzed;
	uint64_t tokens;
	uint64_t dropped_early;         /* entries that hit DIGEST_DROPPED_EARLY */
	uint64_t ig_epoch;              /* bumped whenever d->ig changes */
	struct digest_igfile *igf;      /* ignore files seen (archives) */
	size_t n_igf, cap_igf;
	int igf_rebuild;                /* igf not in canonical order, or a
	                                 * file replaced: rebuild at finish */
	struct digest_pathmap *pm;      /* path -> latest node (duplicates) */
	struct digest_strs *strs;       /* paths and sort keys (digest.c) */
	char *prev;                     /* previous entry's path (order check) */
	size_t prev_len, prev_cap;
	int prev_type;
	int unsorted;                   /* entries not in sorted order seen */
	char *alt;                      /* tentative top directory ("top/") */
	size_t alt_len;
	char *altp;                     /* a path under it (digest.c, alt_path) */
	size_t altp_cap;
	struct ignore igalt;            /* the ignore set were alt not stripped */
	uint64_t ignore_bad_lines;      /* non-UTF-8 lines skipped in ignore files */
	int finished;
	struct digest_dcache dc;
	struct digest_dcache dc_alt;    /* the same for igalt */
	int prescanned;                 /* ignore files were supplied up front */
	char *tree;                     /* rendered tree string, after finish */
	size_t tree_len;
	struct digest_spare spare;      /* see digest_recycle */
};

/* Set up with options (copied; pattern arrays must outlive d). Returns 0 or error. */
int digest_init(struct digest *d, const struct digest_opts *o);
void digest_free(struct digest *d);

/*
 * Memory from one digest to the next, for a thread that digests repository
 * after repository. digest_recycle lets go of everything a digest holds
 * (bodies, entries, ignore sets, the tree) but the buffers every digest
 * needs: the entry, body and order arrays, the first block of paths, the
 * path map, the streaming state, the store and one slab of it (up to 1 MiB
 * each), which stay in d->spare; d is then good only for digest_reinit or
 * digest_free. digest_reinit is digest_init for such a d (or for a digest in
 * use, which it recycles first), taking the spare buffers instead of fresh
 * memory (source.h, struct source_mem, says why that counts in a fleet
 * run). The output is the same as after digest_init. digest_free frees the
 * spare buffers too.
 */
void digest_recycle(struct digest *d);
int digest_reinit(struct digest *d, const struct digest_opts *o);

/*
 * Add the patterns of an ignore file ahead of time (directory sources scan for
 * them first, so every rule is known before any file is judged). dir is the
 * file's directory relative to the root ("" for the root).
 */
int digest_add_ignore_file(struct digest *d, const char *dir, size_t dirlen,
    const uint8_t *data, size_t len);

/*
 * A directory walk: the reader is the digest's only busy thread (no inflater;
 * tokens on their own thread), so with opt.token_thread the store compresses
 * the bodies past the raw budget on a second thread too (store_use_thread).
 * Archives keep LZ4 on the reader: their inflater already takes the second
 * core. Call before the first entry.
 */
void digest_walks_tree(struct digest *d);

/*
 * Archives: the source strips a top directory alt[0..len) (no '/') from every
 * path it reports, but only if every entry shares it, which is known at the
 * end. Until digest_reroot() or digest_finish(), bodies that would be kept
 * were the paths "alt/..." are kept too. Returns 0 or ERR_NOMEM.
 */
int digest_tentative_top(struct digest *d, const char *alt, size_t len);

/*
 * The archive had an entry outside the tentative top directory: every entry
 * reported so far is re-rooted under it (as if never stripped) and will be
 * judged again at digest_finish(). Returns 0 or ERR_NOMEM.
 */
int digest_reroot(struct digest *d);

/* 1 if a directory at path would be excluded (callers may skip walking it). */
int digest_dir_excluded(struct digest *d, const char *path, size_t len);

/*
 * Report one entry: path relative to the root ('/'-separated, normalised, no
 * trailing '/'), its type, its size (bytes of data that will follow, for files),
 * and for symlinks the link text. Data for a file follows through digest_data(),
 * then digest_entry_end(). Returns 0 or an error (ERR_TAR_ENTRIES for too many entries,
 * ERR_NOMEM, ERR_DIGEST_MEM).
 */
int digest_entry(struct digest *d, enum digest_type type, const char *path,
    size_t pathlen, uint64_t size, const char *link, size_t linklen);
int digest_data(struct digest *d, const uint8_t *p, size_t n);
/* 1 if the current entry's data is needed (sources may skip reading it). */
int digest_wants_data(const struct digest *d);
int digest_entry_end(struct digest *d);

/* All entries are in: filter, sort, decide limits, render the tree, count tokens. */
int digest_finish(struct digest *d, const char *root_name);

/*
 * Summary lines: header (e.g. "Directory: x\n" or "Repository: o/r\nCommit: sha\n",
 * each line ending in '\n') followed by "Files analyzed: N\n\nEstimated tokens: T".
 */
int digest_summary(const struct digest *d, const char *header, struct buf *out);

/* Write the tree string; then the content string (blocks in tree order). */
int digest_write_tree(struct digest *d, struct out *o);
int digest_write_content(struct digest *d, struct out *o);

/*
 * Other renderers (--format chunks): the kept text files in digest order, each
 * as begin(path), its body in pieces through data() (as the content section
 * has it: newlines translated, notebooks converted), then end(). Binary, empty
 * and unreadable files and symlinks are not visited. Stops at the first
 * non-zero return and returns it.
 */
struct digest_visit {
	int (*begin)(void *ctx, const char *path, size_t n);
	int (*data)(void *ctx, const uint8_t *p, size_t n);
	int (*end)(void *ctx);
	void *ctx;
};
int digest_each_text(struct digest *d, const struct digest_visit *v);

/* JSON run report of every entry: kept ones with bytes and tokens, the others
 * with their reason. */
int digest_report_json(const struct digest *d, FILE *f);

const char *digest_reason_str(int reason);

/*
 * A name or symlink target as the digest prints it: unchanged, unless it holds
 * a control character (C0, DEL, C1, U+2028, U+2029), which could forge the
 * digest's structure; then escaped as a whole (\n \r \t \xHH \uHHHH, '\' as
 * "\\"). Writes at most cap bytes to out (may be NULL) and returns the full
 * length.
 */
size_t digest_escape_name(const char *s, size_t n, char *out, size_t cap);

#endif
