/*
 * sink.h - where digests go: a local directory or an S3 bucket, behind one
 * interface (put, head, get), and the one place that names a stored object:
 * its key, its metadata and the generator string of the cache check.
 *
 * Objects (design.md, "Objects"): key "gitingest/OWNER/REPO/NAME", NAME the
 * format's object ("summary.txt" for the full text body; another format
 * another name, e.g. "chunks.jsonl"); a ref other than the default branch
 * has its own: "gitingest/OWNER/REPO/@REF/NAME", REF percent-encoded (RFC
 * 3986: every byte but the unreserved A-Z a-z 0-9 - . _ ~ as %XX, so "/"
 * too: one path component). Metadata: pushedat, url, processedat,
 * commit, generator, content-type. In S3 they are the object's x-amz-meta-*
 * (one PUT: whole or absent). In a local directory:
 *     DIR/gitingest/OWNER/REPO/NAME         the body
 *     DIR/gitingest/OWNER/REPO/NAME.meta    metadata sidecar (JSON), which
 *                                           also records the body's size and
 *                                           SHA-256
 * Owner and repo come from feed data, so they are checked against GitHub's
 * name rules before any key or path is built (owner [A-Za-z0-9-]{1,39}, repo
 * [A-Za-z0-9._-]{1,100}, not "." or ".."), and directories are opened one
 * component at a time with O_NOFOLLOW: nothing can land outside DIR, not even
 * through a symlink planted inside it.
 *
 * Local writes: each file is written to a new temporary file (O_EXCL, a
 * random name, so nothing planted there is written through), fsynced, renamed
 * into place, and the directory fsynced. A directory made on the way
 * (gitingest/, OWNER/, REPO/, @REF/, the root itself) has its parent
 * fsynced once, when it is made, so that a state file that says "done"
 * never outlives the directory entry of what it names. Before an object is
 * written, temporary files of that object that a stopped writer left
 * (".NAME.tmp." and 16 hex digits, last written before this sink was
 * opened) are removed: only ours, only that object's. The body is renamed first and the
 * sidecar last; the sidecar names the body by size and SHA-256, and head
 * reports a pair that does not match as absent. So whatever step a write is
 * stopped at (full disk, a kill), a stored pair is either the old object, or
 * the new one, or not current: never an old body taken for a new one.
 */
#ifndef SINK_H
#define SINK_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "err.h"
#include "isotime.h"
#include "out.h"
#include "s3.h"

#define SINK_PATH_MAX 4096
#define SINK_KEY_DIR  "gitingest"
#define SINK_SUMMARY  "summary.txt"     /* the full text body, as run stores */
#define SINK_CHUNKS   "chunks.jsonl"    /* --format chunks: JSON lines */
#define SINK_NAME_MAX 64                /* an object name */
#define SINK_REFDIR_MAX 256             /* "@" + the encoded ref: one file
                                         * name (NAME_MAX 255) */
/* "gitingest/" + 39 + "/" + 100 + "/" + ref directory + "/" + NAME */
#define SINK_KEY_MAX  (10 + 39 + 1 + 100 + 1 + SINK_REFDIR_MAX + 1 + \
	SINK_NAME_MAX)
#define SINK_GEN_MAX  192

/*
 * The settings that change a stored body. They make the generator string, so
 * a digest made with others is never taken as current: the same settings
 * give the same string whether `digest --out` or `run` stored the object.
 */
struct sink_settings {
	const char *format;             /* "full" (NULL too): the batch body;
	                                 * else recorded (text, json) */
	uint64_t max_output;            /* --max-output; 0: none */
	const char *const *includes;    /* -i, NULL-terminated, or NULL */
	const char *const *excludes;    /* -e, likewise */
	uint64_t max_file_size;         /* -s; 0: the default */
	int no_ignore_files;            /* --include-gitignored */
	uint64_t chunk_size;            /* format "chunks": --chunk-size and */
	uint64_t chunk_overlap;         /* --chunk-overlap (recorded) */
};

/* One stored object: what it is called and the metadata stored with it. */
struct sink_object {
	char owner[40];
	char repo[101];
	char refdir[SINK_REFDIR_MAX];   /* "@REF" encoded, or "" (the default
	                                 * branch) */
	char name[SINK_NAME_MAX];       /* "summary.txt" */
	char key[SINK_KEY_MAX];         /* gitingest/OWNER/REPO[/@REF]/NAME */
	char url[256];                  /* https://github.com/OWNER/REPO */
	char generator[SINK_GEN_MAX];
	char pushedat[64];              /* the feed's pushedAt, or "" */
	char commit[72];                /* 40 hex, or "" */
	char processedat[ISOTIME_LEN];  /* set by sink_put */
	uint64_t size;                  /* the body's bytes, set by sink_put */
	const char *content_type;       /* "text/plain"; for a NAME ending
	                                 * in ".jsonl", "application/jsonl" */
};

/*
 * Fill ob for owner/repo's object name at ref (NULL, "" or "HEAD": the
 * default branch): key, url, the generator string (made by sink_generator);
 * pushedat and commit empty (the caller sets them). ERR_USAGE when owner or
 * repo is not a safe GitHub name, name is not a plain file name, or the
 * encoded ref does not fit one file name.
 */
int sink_object_init(struct sink_object *ob, const char *owner,
    const char *repo, const char *ref, const char *name,
    const char *generator, struct err_ctx *ec);

/* The generator string of st: what an object made with st records, and
 * what the cache check compares (job.h). */
void sink_generator(char *out, size_t cap, const struct sink_settings *st);

/* 1 if owner/repo are safe GitHub names (see top comment). */
int sink_name_ok(const char *owner, const char *repo);

/* Metadata read back (cache check). Fixed fields, truncated if longer. */
struct sink_meta_read {
	int found;                      /* an intact object is stored */
	char pushedat[64];
	char generator[SINK_GEN_MAX];
	char commit[72];
};

/* A local object's sidecar as read back: its metadata and the body it
 * names. Sidecars are read up to SINK_SIDECAR_MAX bytes (ours are < 1 KiB). */
#define SINK_SIDECAR_MAX 8191
struct sink_sidecar {
	struct sink_meta_read m;        /* found left 0: the caller decides */
	char sha256[72];
	char size[24];
	unsigned seen;                  /* fields met (the first counts) */
};

/*
 * Parse a sidecar's n bytes (a push parser, jsonflat.h, over one buffer:
 * the file is read whole, up to SINK_SIDECAR_MAX). Returns 0, or ERR_JSON
 * when they are not a sidecar's shape (the object then counts as absent).
 */
int sink_sidecar_parse(const uint8_t *p, size_t n, struct sink_sidecar *sc);

/*
 * Renders the body into o. Called once per local write; an S3 sink renders
 * into memory (its length and SHA-256 are signed before it is sent). Returns 0
 * or an error code.
 */
typedef int (*sink_render_fn)(void *ctx, struct out *o);

enum sink_kind { SINK_LOCAL = 1, SINK_S3 };

/* Caller-allocated (the S3 client is large: allocate it on the heap). */
struct sink {
	int kind;                       /* enum sink_kind */
	char dir[SINK_PATH_MAX];        /* local root */
	int dirfd;                      /* open root directory, or -1 (a dry
	                                 * run's root that does not exist) */
	struct s3_client s3;            /* S3 */
	struct buf body;                /* S3: the rendered body */
	struct timespec opened;         /* when opened: temporary files of
	                                 * ours older than this are stale */
};

/* How an S3 destination is reached (flags over the environment). */
struct sink_net {
	const char *s3_endpoint;        /* --s3-endpoint, or NULL */
	const char *s3_region;          /* --s3-region, or NULL */
	const struct fetch_opts *fetch;
};

#define SINK_READONLY 1                 /* do not create the local root */

/*
 * Open dest: "s3://BUCKET[/PREFIX]" (credentials from the environment, see
 * s3.h) or a local directory, created unless flags has SINK_READONLY (a
 * missing directory then reads as empty). No request is made. Errors name
 * dest: ERR_USAGE (bad S3 settings), ERR_IO.
 */
int sink_open(struct sink *s, const char *dest, const struct sink_net *net,
    int flags, struct err_ctx *ec);
void sink_close(struct sink *s);

/*
 * Check, before any work, that a run can use s: for S3 one signed HEAD of
 * ob's key (what the cache check makes anyway, so a key limited to Get/Put on
 * the prefix passes); unless that finds the object, one GET of it, whose
 * answer names the cause a HEAD's cannot (a missing object is fine). Wrong
 * credentials, a missing bucket or an endpoint that does not answer are
 * errors naming the server's code. Local: nothing to do.
 */
int sink_check(struct sink *s, const struct sink_object *ob,
    struct err_ctx *ec);

/* Store ob's body, rendered by render, with its metadata (see top comment).
 * Sets ob->processedat. A failed put leaves the previous object current or
 * not current, never a mismatched pair taken as current. */
int sink_put(struct sink *s, struct sink_object *ob, sink_render_fn render,
    void *ctx, struct err_ctx *ec);

/* Read ob's stored metadata (found = 0 when there is no intact object). */
int sink_head(struct sink *s, const struct sink_object *ob,
    struct sink_meta_read *out, struct err_ctx *ec);

/* Append ob's stored body to b (*found = 0 when there is none). */
int sink_get(struct sink *s, const struct sink_object *ob, struct buf *b,
    int *found, struct err_ctx *ec);

/*
 * Delete ob's body and metadata; *deleted = 1 when there was an object.
 * Local: the sidecar first (the object stops being current at once), then
 * the body. S3: a HEAD (to count), then one signed DELETE. Deleting what
 * is not there is no error (idempotent).
 */
int sink_delete(struct sink *s, const struct sink_object *ob, int *deleted,
    struct err_ctx *ec);

/* Render into an open fd (stdout, or a temp file of the writers below)
 * through a buffered writer, flushed. Returns 0 or an error code. */
int sink_write_fd(int fd, sink_render_fn render, void *ctx);

/*
 * Write a whole file atomically at path (any path the user chose: -o FILE,
 * --state, --report): temp file beside it, fsync, rename, fsync of the
 * directory. The caller's path is trusted (it is not feed data). An existing
 * device, FIFO or socket at path (-o /dev/null, a named pipe) is written into
 * instead, never replaced.
 */
int sink_write_file(const char *path, sink_render_fn render, void *ctx,
    struct err_ctx *ec);

/*
 * A whole document (a run report, a merged report, a state file) to dest: a
 * file as sink_write_file, or s3://BUCKET/KEY as one PUT without metadata
 * (S3 settings from net over the environment).
 */
int sink_write_doc(const char *dest, const struct sink_net *net,
    const uint8_t *p, size_t n, const char *content_type, struct err_ctx *ec);

/*
 * Read a whole document (a state file, a run report) from src, a file or
 * s3://BUCKET/KEY, appending it to b (ERR_LIMIT past b's cap). Errors name
 * src: ERR_NOENT when there is no such file or object, ERR_IO (errno in
 * ec), the S3 server's refusal.
 */
int sink_read_doc(const char *src, const struct sink_net *net, struct buf *b,
    struct err_ctx *ec);

/*
 * Check, before any work, that dest can take a document: for s3://BUCKET/KEY
 * the settings (URL, credentials present; no request); a file: nothing.
 */
int sink_doc_check(const char *dest, const struct sink_net *net,
    struct err_ctx *ec);

/*
 * The secrets s holds (an S3 secret key and session token), for a log to
 * redact: up to max pointers into s, valid while s is open. Returns how many.
 */
size_t sink_secrets(const struct sink *s, const char **out, size_t max);

#endif
