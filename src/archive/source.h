/*
 * source.h - feed a digest from a local source: a directory, a .tar or .tar.gz
 * file, or standard input ("-", tar or tar.gz told apart by magic bytes).
 *
 * Archives stream through gz (when compressed) and tar into the digest; nothing is
 * extracted or written to disk. A top-level directory holding every entry
 * (GitHub's "Owner-Repo-sha/", git archive --prefix) is stripped automatically:
 * tentatively, from the first entry on, undone when an entry lies outside it
 * (git archive without --prefix). A gzip stream must end with its trailer. A
 * pax global header's commit id is kept for the summary. Directories are walked in byte order
 * of names, without following symlinks, skipping excluded directories.
 */
#ifndef SOURCE_H
#define SOURCE_H

#include <stdint.h>

#include "cancel.h"
#include "digest.h"
#include "err.h"
#include "fetch.h"

/*
 * A digest's progress, for whoever shows it (job.h). bytes() comes from the
 * download's thread as the body arrives (got so far; total when the server
 * or the file said, else 0; done once the body is complete), file() from the
 * calling thread for each regular file the archive or directory holds, its
 * path relative to the root (valid during the call). The two may run at the
 * same time: a caller that needs them in order serialises them itself.
 */
struct source_watch {
	void (*bytes)(void *ctx, uint64_t got, uint64_t total, int done);
	void (*file)(void *ctx, const char *path, size_t n);
	void *ctx;
};

struct source_opts {
	const char *repo;       /* "owner/repo": remote flavour (summary, root name) */
	const char *name;       /* override the root name / slug */
	int strip;              /* -1 auto, 0 never, 1 always strip the top dir */
	uint64_t max_archive;   /* inflated archive bytes allowed; 0 = default */
	/* remote sources */
	const struct fetch_opts *fetch; /* network settings (NULL: no network) */
	const char *archive_url;        /* mirror template ({owner} {repo} {ref}) */
	const char *token;              /* GITHUB_TOKEN: sent to the API host only */
	const char *api_base;           /* NULL: SOURCE_API_BASE (GitHub Enterprise,
	                                 * tests: another base) */
	struct fetch_client *client;    /* reused (a kept-alive connection) when
	                                 * not NULL; its options are used, not
	                                 * fetch's */
	int remote_only;                /* src is a repository or URL, never a
	                                 * local path (the batch run: a directory
	                                 * OWNER/REPO where it runs is not read) */
	/* stop when requested (ERR_CANCELLED): watched by the download, the
	 * archive reader, the inflater thread and the directory walk */
	const struct cancel *cancel;
	const struct source_watch *watch;       /* progress, or NULL */
	struct source_mem *mem;         /* kept buffers (below), or NULL */
};

/*
 * What one source_digest needs besides the digest and the download client:
 * the read buffer, the tar and gzip states, the inflater's ring and the
 * threads' stacks (about 0.3 MiB; 0.8 MiB once an archive needed a ring).
 * Given in source_opts.mem, each part is made by the first call that needs
 * it and kept for the next, so a thread digesting repository after
 * repository touches no fresh memory for them: fresh memory is a page fault
 * per 4 KiB touched, and giving it back unmaps it, which interrupts every
 * other core to flush its TLB (with many small repositories, a fleet run
 * spent about a third of its CPU so). A call uses it whole: one per thread.
 * Without it each call allocates and frees its own.
 */
struct source_mem;

/* NULL when there is no memory. */
struct source_mem *source_mem_new(void);
/* Free m and everything it holds; m may be NULL. */
void source_mem_free(struct source_mem *m);

#define SOURCE_API_BASE "https://api.github.com"

/* Default cap on the inflated size of one archive (tar bytes). */
#define SOURCE_MAX_ARCHIVE (8ull << 30)

struct source_info {
	char root[512];         /* tree root name */
	char header[1024];      /* summary header lines, each ending in '\n' */
	char commit[64];        /* from the archive, or "" */
	uint64_t bytes_in;      /* bytes read from the source */
};

/*
 * Read src into d and call digest_finish(). src is a local directory or
 * archive, "-", an archive URL (https://, http://, file://), or a GitHub
 * repository (https://github.com/OWNER/REPO[/tree/REF], OWNER/REPO[@REF]),
 * downloaded as a tarball (codeload; the API endpoint with a token; or the
 * archive_url template) and streamed straight into the digest. On error returns
 * the code and fills ec (source name, entry, offset) for err_format().
 */
int source_digest(const char *src, const struct source_opts *so,
    struct digest *d, struct source_info *info, struct err_ctx *ec);

#endif
