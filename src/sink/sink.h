/*
 * sink.h - where digests go: a local directory (this module) or S3 (s3.c, to
 * come), behind one interface.
 *
 * Local layout, as the batch run stores objects (design.md, "Objects"):
 *     DIR/gitingest/OWNER/REPO/summary.txt         the body
 *     DIR/gitingest/OWNER/REPO/summary.txt.meta    metadata sidecar (JSON)
 * Owner and repo come from feed data, so they are checked against GitHub's
 * name rules before any path is built (owner [A-Za-z0-9-]{1,39}, repo
 * [A-Za-z0-9._-]{1,100}, not "." or ".."), and directories are opened one
 * component at a time with O_NOFOLLOW: nothing can land outside DIR, not even
 * through a symlink planted inside it.
 *
 * Writes are atomic: a temporary file in the target directory, fsync, rename;
 * the sidecar is renamed first and the body last, so a reader that sees the body
 * sees its metadata. A failed write leaves the previous object untouched.
 */
#ifndef SINK_H
#define SINK_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "out.h"

#define SINK_PATH_MAX 4096

struct sink_meta {
	const char *pushedat;           /* the feed's pushedAt, verbatim ("" if none) */
	const char *url;                /* https://github.com/OWNER/REPO */
	const char *processedat;        /* ISO 8601 UTC time of processing */
	const char *commit;             /* 40 hex, or "" */
	const char *generator;          /* "repodigest/VERSION digest/N ..." */
	const char *content_type;       /* "text/plain" */
};

/* Metadata read back (cache check). Fixed fields, truncated if longer. */
struct sink_meta_read {
	int found;
	char pushedat[64];
	char generator[128];
	char commit[72];
};

/*
 * Renders the body into o. Called once per write for a local sink; an S3 sink
 * calls it twice (length and SHA-256 first, then the upload), so it must
 * produce the same bytes each time. Returns 0 or an error code.
 */
typedef int (*sink_render_fn)(void *ctx, struct out *o);

struct sink {
	int kind;                       /* SINK_LOCAL */
	char dir[SINK_PATH_MAX];        /* local root */
	int dirfd;                      /* open root directory */
};

#define SINK_LOCAL 1

/* 1 if owner/repo are safe GitHub names (see top comment). */
int sink_name_ok(const char *owner, const char *repo);

/* Open a local sink rooted at dir (created if missing). */
int sink_open_local(struct sink *s, const char *dir, struct err_ctx *ec);
void sink_close(struct sink *s);

/* Store the body for owner/repo with its metadata. */
int sink_put(struct sink *s, const char *owner, const char *repo,
    sink_render_fn render, void *ctx, const struct sink_meta *m,
    struct err_ctx *ec);

/* Read owner/repo's metadata (found = 0 when there is no object). */
int sink_head(struct sink *s, const char *owner, const char *repo,
    struct sink_meta_read *out, struct err_ctx *ec);

/*
 * Write a whole file atomically at path (any path the user chose: -o FILE):
 * temp file beside it, fsync, rename. The caller's path is trusted (it is not
 * feed data). An existing device, FIFO or socket at path (-o /dev/null, a
 * named pipe) is written into instead, never replaced.
 */
int sink_write_file(const char *path, sink_render_fn render, void *ctx,
    struct err_ctx *ec);

#endif
