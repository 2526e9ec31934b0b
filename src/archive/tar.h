/*
 * tar.h - push tar reader.
 *
 * Takes archive bytes in any split and reports events: an entry header (with the
 * effective path after pax/GNU long-name records), the entry's data in chunks that
 * point straight into the caller's input (zero copy), the end of an entry, and the
 * end of the archive. Understands ustar (prefix + name), pax extended headers
 * (path, linkpath, size) and pax global headers (comment = the commit id in GitHub
 * and git-archive tarballs), GNU long names/links ('L'/'K'), old v7 headers.
 *
 * Safety: every path is normalised and checked *before* it is reported: absolute
 * names and ".." components are refused (ERR_TAR_PATH), "./" and empty components
 * are dropped. With strip_top set, the first component (GitHub's "Owner-Repo-sha/")
 * is removed and the top directory entry itself is not reported; a second top-level
 * name is refused. Caps on entries, pax/long-name sizes, path length and total size
 * end the stream with an error instead of growing memory.
 *
 * Memory: the struct only (fixed buffers below). No allocation.
 */
#ifndef TAR_H
#define TAR_H

#include <stddef.h>
#include <stdint.h>

#define TAR_PATH_MAX   4096     /* longest path reported (PATH_MAX on Linux) */
#define TAR_PAX_MAX    65536    /* largest pax/long-name record we buffer */

enum tar_type {
	TAR_FILE = 0,           /* '0', '\0', '7' (contiguous) */
	TAR_DIR,                /* '5' */
	TAR_SYMLINK,            /* '2' */
	TAR_HARDLINK,           /* '1' */
	TAR_OTHER               /* fifo, devices, unknown: reported, data skipped */
};

enum tar_event {
	TAR_EV_NONE = 0,        /* needs more input */
	TAR_EV_ENTRY,           /* ev->entry describes the next entry */
	TAR_EV_DATA,            /* ev->data/ev->len: a chunk of the entry's data */
	TAR_EV_ENTRY_END,       /* all the entry's data has been reported */
	TAR_EV_END,             /* end-of-archive marker (two zero blocks) */
	TAR_EV_ERROR            /* ev->err (sticky): see tar_error_offset() */
};

struct tar_limits {
	uint64_t max_entries;   /* 0 = default 1,000,000 */
	uint64_t max_total;     /* total archive bytes; 0 = no limit */
	int strip_top;          /* strip the first path component (GitHub tarballs) */
};

struct tar_entry {
	enum tar_type type;
	char path[TAR_PATH_MAX + 1];    /* normalised, relative, NUL-terminated */
	size_t path_len;
	/* Link target, NUL-terminated. Symlinks: as written (relative to the
	 * link; may be absolute or hold ".." - never follow it blindly).
	 * Hardlinks: an archive member: normalised and stripped like path. */
	char link[TAR_PATH_MAX + 1];
	size_t link_len;
	uint64_t size;          /* bytes DATA events carry (0 unless a file) */
	uint32_t mode;          /* permission bits (07777) */
};

struct tar_ev {
	enum tar_event type;
	const struct tar_entry *entry;  /* TAR_EV_ENTRY: valid until the next push */
	const uint8_t *data;            /* TAR_EV_DATA: points into the pushed input */
	size_t len;
	int err;                        /* TAR_EV_ERROR: enum err_code */
};

struct tar {
	/* internal state: see tar.c. Callers only read it through the functions below. */
	struct tar_limits lim;
	int state;
	int err;
	uint64_t offset;        /* archive bytes consumed so far */
	uint64_t err_offset;
	uint64_t hdr_offset;    /* offset of the header being handled */
	uint64_t entries;       /* real (non-meta) headers seen */
	uint64_t remaining;     /* data bytes left in the current entry */
	uint32_t pad;           /* padding bytes left after the data */
	int reported;           /* current entry was reported: ENTRY_END owed */
	uint8_t block[512];
	size_t blen;
	int zero_blocks;
	/* pending pax/GNU overrides for the next header */
	int pax_kind;           /* typeflag of the record being buffered */
	uint8_t pax_buf[TAR_PAX_MAX];
	size_t pax_len;
	uint64_t pax_need;
	int pending;            /* meta headers seen since the last entry */
	char next_path[TAR_PATH_MAX + 1];       /* already normalised */
	size_t next_path_len;
	int has_next_path;
	char next_link[TAR_PATH_MAX + 1];       /* raw */
	size_t next_link_len;
	int has_next_link;
	uint64_t next_size;
	int has_next_size;
	char top[256];          /* stripped top-level name, when strip_top */
	size_t top_len;
	char commit[65];        /* pax global comment: 40 (or 64) hex digits */
	size_t commit_len;
	struct tar_entry cur;
};

/* Initialise; lim may be NULL (defaults, no stripping). */
void tar_init(struct tar *t, const struct tar_limits *lim);

/*
 * Push archive bytes; returns how many were consumed (possibly 0 when an event is
 * returned without needing input) and fills *ev. Loop: while input remains or the
 * event is not TAR_EV_NONE, handle ev and push the rest; stop on TAR_EV_ERROR
 * (sticky: every later push returns it again, consuming nothing). Each
 * TAR_EV_ENTRY is followed by zero or more TAR_EV_DATA (files only; the data of
 * other types is skipped) and one TAR_EV_ENTRY_END. Entries whose path is empty
 * once normalised/stripped (the top directory), pax and GNU meta headers and
 * GNU volume labels are not reported. TAR_EV_END is reported once; after it
 * further bytes (trailing zero blocks, padding) are consumed and ignored.
 */
size_t tar_push(struct tar *t, const uint8_t *p, size_t n, struct tar_ev *ev);

/*
 * The input has ended. Returns 0 if the archive was complete: its end marker
 * (two zero blocks) was seen, or its first zero block and then EOF (nothing can
 * follow that block). ERR_TAR_NO_END if the input stopped at an entry boundary
 * without the marker (a download or file cut at a 512-byte multiple looks just
 * so), ERR_TAR_TRUNCATED if it stopped inside an entry or header (or was
 * empty), or the sticky error.
 */
int tar_finish(struct tar *t);

/* Commit id from the pax global header ("comment=<40 hex>"), or NULL. */
const char *tar_commit(const struct tar *t);

/* Archive offset of the last error (start of the offending header). */
uint64_t tar_error_offset(const struct tar *t);

/* 1 if the 512-byte block looks like a tar header (ustar magic or valid checksum). */
int tar_is_tar(const uint8_t *p, size_t n);

#endif
