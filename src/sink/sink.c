/*
 * sink.c - the local directory sink, the S3 sink and atomic file writes. See
 * sink.h.
 *
 * Every path below the local root is walked with openat(..., O_NOFOLLOW|
 * O_DIRECTORY) and mkdirat(), one validated component at a time, so neither a
 * crafted name ("..", "a/b", NUL) nor a symlink placed in the tree can redirect
 * a write. The sidecar is a small JSON object; values are escaped, never
 * formatted raw.
 *
 * Order of a local put, and what a stop after each step leaves:
 *   1. body temp file written and fsynced        old pair, a stray temp file
 *   2. body renamed into place, directory synced new body + old sidecar: the
 *                                                body changed after the
 *                                                sidecar was written, so head
 *                                                hashes it; not the sidecar's
 *                                                SHA-256: absent
 *   3. sidecar temp file written and fsynced     as 2
 *   4. sidecar renamed, directory synced         new pair
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bearssl_hash.h"
#include "fnv.h"
#include "jsonflat.h"
#include "jsonstr.h"
#include "sink.h"

#define META_SUFFIX ".meta"
#define DIGEST_FORMAT "1"       /* the body's layout; part of the generator */

/* ------------------------------------------------------------ names */

/* see sink.h */
int
sink_name_ok(const char *owner, const char *repo)
{
	size_t n;

	if (owner == NULL || repo == NULL)
		return 0;
	n = strlen(owner);
	if (n < 1 || n > 39)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = owner[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-'))
			return 0;
	}
	n = strlen(repo);
	if (n < 1 || n > 100 || strcmp(repo, ".") == 0 || strcmp(repo, "..") == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = repo[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

/* An object name is one plain file name: [A-Za-z0-9._-], not starting with
 * a dot (temp files and sidecars do), room left for ".meta". */
static int
object_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n < 1 || n + sizeof META_SUFFIX > SINK_NAME_MAX || name[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

/* -i and -e in the generator: FNV-1a 64 of each list, patterns in order. */
static uint64_t
patterns_hash(const struct sink_settings *st)
{
	const char *const *lists[2] = { st->includes, st->excludes };
	uint64_t h = FNV1A64_INIT;

	for (int k = 0; k < 2; k++) {
		for (const char *const *p = lists[k]; p != NULL && *p != NULL; p++)
			for (const char *c = *p;; c++) {
				h = fnv1a64_byte(h, (unsigned char)*c);
				if (*c == '\0')
					break;
			}
		h = fnv1a64_byte(h, 0xFF);     /* end of a list */
	}
	return h;
}

/*
 * see sink.h. The build and every setting that changes the stored body: a
 * run with another cap, other patterns or another format must not take
 * digests made with the old ones as current. Settings at their batch
 * defaults add nothing, so the string of a plain run stays what it was.
 */
void
sink_generator(char *out, size_t cap, const struct sink_settings *st)
{
	size_t n;

	snprintf(out, cap, "repodigest/%s digest/%s max-output/%llu",
	    REPODIGEST_VERSION, DIGEST_FORMAT,
	    (unsigned long long)st->max_output);
#define MORE(...) do { n = strlen(out); \
	snprintf(out + n, cap - n, __VA_ARGS__); } while (0)
	if ((st->includes != NULL && st->includes[0] != NULL) ||
	    (st->excludes != NULL && st->excludes[0] != NULL))
		MORE(" patterns/%016llx", (unsigned long long)patterns_hash(st));
	if (st->format != NULL && strcmp(st->format, "full") != 0)
		MORE(" format/%s", st->format);
	if (st->max_file_size != 0 && st->max_file_size != (10ull << 20))
		MORE(" max-size/%llu", (unsigned long long)st->max_file_size);
	if (st->no_ignore_files)
		MORE(" gitignored");
	/* the split changes with either number: another is not current */
	if (st->format != NULL && strcmp(st->format, "chunks") == 0)
		MORE(" chunk-size/%llu chunk-overlap/%llu",
		    (unsigned long long)st->chunk_size,
		    (unsigned long long)st->chunk_overlap);
#undef MORE
}

/*
 * "@" + ref percent-encoded into out (cap bytes): RFC 3986's unreserved
 * characters kept, every other byte %XX (upper-case hex). -1 when it does
 * not fit.
 */
static int
ref_dir(const char *ref, char *out, size_t cap)
{
	static const char hx[] = "0123456789ABCDEF";
	size_t at = 0;

	out[at++] = '@';
	for (const unsigned char *p = (const unsigned char *)ref; *p; p++) {
		int keep = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		    *p == '_' || *p == '~';
		if (at + (keep ? 1 : 3) >= cap)
			return -1;
		if (keep) {
			out[at++] = (char)*p;
		} else {
			out[at++] = '%';
			out[at++] = hx[*p >> 4];
			out[at++] = hx[*p & 15];
		}
	}
	out[at] = '\0';
	return 0;
}

/* see sink.h */
int
sink_object_init(struct sink_object *ob, const char *owner, const char *repo,
    const char *ref, const char *name, const char *generator,
    struct err_ctx *ec)
{
	size_t n;

	memset(ob, 0, sizeof *ob);
	if (!sink_name_ok(owner, repo)) {
		err_field(ec->entry, sizeof ec->entry, owner ? owner : "",
		    owner ? strlen(owner) : 0);
		return err_set(ec, ERR_USAGE, "unsafe owner/repo name");
	}
	if (!object_name_ok(name))
		return err_set(ec, ERR_USAGE, "unsafe object name");
	/* the default branch keeps the key it always had */
	if (ref != NULL && ref[0] != '\0' && strcmp(ref, "HEAD") != 0 &&
	    ref_dir(ref, ob->refdir, sizeof ob->refdir) != 0)
		return err_set(ec, ERR_USAGE, "ref too long for an object name");
	snprintf(ob->owner, sizeof ob->owner, "%s", owner);
	snprintf(ob->repo, sizeof ob->repo, "%s", repo);
	snprintf(ob->name, sizeof ob->name, "%s", name);
	snprintf(ob->key, sizeof ob->key, SINK_KEY_DIR "/%s/%s/%s%s%s", owner,
	    repo, ob->refdir, ob->refdir[0] ? "/" : "", name);
	snprintf(ob->url, sizeof ob->url, "https://github.com/%s/%s", owner,
	    repo);
	snprintf(ob->generator, sizeof ob->generator, "%s", generator);
	n = strlen(name);
	ob->content_type = n > 6 && strcmp(name + n - 6, ".jsonl") == 0 ?
	    "application/jsonl" : "text/plain";
	return 0;
}

/* ------------------------------------------------------------ files */

static int
sys_err(struct err_ctx *ec, int code, const char *what)
{
	ec->sys_errno = errno;
	return err_set(ec, code, "%s", what);
}

/* Open (creating if asked) the directory DIR/gitingest/OWNER/REPO, or its
 * @REF directory for another ref. A directory it makes has its parent
 * fsynced then (once per directory: an existing one costs nothing), or a
 * power loss could forget the entry of an object whose state says done. */
static int
open_repo_dir(struct sink *s, const struct sink_object *ob, int create)
{
	const char *parts[4] = { SINK_KEY_DIR, ob->owner, ob->repo, ob->refdir };
	int fd = s->dirfd, nfd, np = ob->refdir[0] ? 4 : 3;

	if (fd < 0) {
		errno = ENOENT;
		return -1;
	}
	for (int i = 0; i < np; i++) {
		int made = create && mkdirat(fd, parts[i], 0755) == 0;
		if (create && !made && errno != EEXIST) {
			nfd = -1;
		} else if (made && fsync(fd) != 0) {
			nfd = -1;
		} else {
			nfd = openat(fd, parts[i],
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (fd != s->dirfd)
			close(fd);
		if (nfd < 0)
			return -1;
		fd = nfd;
	}
	return fd;
}

/* see sink.h */
int
sink_write_fd(int fd, sink_render_fn render, void *ctx)
{
	struct out *o = malloc(sizeof *o);
	int e;

	if (o == NULL)
		return ERR_NOMEM;
	out_init_fd(o, fd, 0);
	e = render(ctx, o);
	if (e == 0)
		e = out_flush(o);
	free(o);
	return e;
}

/* The SHA-256 of fd's bytes from offset 0 and their count. */
static int
hash_fd(int fd, unsigned char sha[32], uint64_t *size)
{
	br_sha256_context h;
	unsigned char tmp[65536];
	off_t off = 0;
	ssize_t n;

	br_sha256_init(&h);
	for (;;) {
		n = pread(fd, tmp, sizeof tmp, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		br_sha256_update(&h, tmp, (size_t)n);
		off += n;
	}
	br_sha256_out(&h, sha);
	*size = (uint64_t)off;
	return 0;
}

static void
hex(const unsigned char *p, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/*
 * A new temporary file beside name: O_EXCL with 64 random bits in its name,
 * so a file or link planted there in advance is never written through, and
 * two writers never share one. Returns the fd (tmp filled) or -1.
 */
static int
open_temp(int dirfd, const char *name, char *tmp, size_t cap)
{
	for (int tries = 0; tries < 8; tries++) {
		unsigned char rnd[8];
		char rh[17];
		int fd;
		if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
			return -1;
		hex(rnd, sizeof rnd, rh);
		if ((size_t)snprintf(tmp, cap, ".%s.tmp.%s", name, rh) >= cap) {
			errno = ENAMETOOLONG;
			return -1;
		}
		fd = openat(dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0644);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

/* a < b (eq: a <= b) */
static int
ts_before(const struct timespec *a, const struct timespec *b, int eq)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec;
	return eq ? a->tv_nsec <= b->tv_nsec : a->tv_nsec < b->tv_nsec;
}

/*
 * Remove the temporary files of name that a writer stopped mid-write left in
 * dirfd (the grace period ran out, a kill, a full disk before the unlink):
 * ".NAME.tmp." and 16 lower-case hex digits (open_temp's names: nothing
 * else is touched), regular files last written before `before` (a writer
 * still at work keeps its file fresh). Errors are ignored: a file left is
 * only space.
 */
static void
sweep_temps(int dirfd, const char *name, const struct timespec *before)
{
	size_t n = strlen(name);
	struct dirent *de;
	DIR *d;
	int fd = dup(dirfd);

	if (fd < 0)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	/* the dup shares dirfd's offset, which an earlier sweep left at the
	 * end */
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		const char *p = de->d_name;
		struct stat st;
		size_t k;
		if (p[0] != '.' || strncmp(p + 1, name, n) != 0 ||
		    strncmp(p + 1 + n, ".tmp.", 5) != 0)
			continue;
		p += 1 + n + 5;
		for (k = 0; (p[k] >= '0' && p[k] <= '9') ||
		    (p[k] >= 'a' && p[k] <= 'f'); k++)
			;
		if (k != 16 || p[k] != '\0')
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (ts_before(&st.st_mtim, before, 0))
			unlinkat(dirfd, de->d_name, 0);
	}
	closedir(d);
}

/*
 * Set fd's mtime to now until now is past *t (the filesystem's clock moves
 * in ticks of a few ms: a file written in the tick of t has t's time). At
 * most SETTLE_TRIES tries, 1 ms apart: a filesystem with a coarser clock
 * keeps a time equal to t, which only costs its reader a hash (body_trusted).
 */
#define SETTLE_TRIES 20
static void
mtime_after(int fd, const struct timespec *t)
{
	static const struct timespec ms = { 0, 1000000 };
	struct stat st;
	int i;

	for (i = 0; i < SETTLE_TRIES; i++) {
		if (fstat(fd, &st) != 0 || ts_before(t, &st.st_mtim, 0))
			return;
		nanosleep(&ms, NULL);
		if (futimens(fd, NULL) != 0)
			return;
	}
}

/*
 * Write render()'s bytes to a new temp file in dirfd, fsync it, rename it to
 * name and fsync the directory (else a crash may forget the rename after a
 * later step was made durable). On failure the temp file is removed and name
 * is untouched. sha/size (if not NULL) get the written bytes' SHA-256 and
 * count, read back from the file before it is renamed. after (if not NULL):
 * the file's mtime is made later than it (mtime_after).
 */
static int
atomic_write(int dirfd, const char *name, sink_render_fn render, void *ctx,
    const struct timespec *after, unsigned char *sha, uint64_t *size,
    struct err_ctx *ec)
{
	char tmp[512];         /* a file name (<= 255) + .tmp.RANDOM */
	int fd, e;

	if ((fd = open_temp(dirfd, name, tmp, sizeof tmp)) < 0)
		return sys_err(ec, ERR_IO, "cannot create a temporary file");
	if ((e = sink_write_fd(fd, render, ctx)) != 0) {
		int se = errno;
		close(fd);
		unlinkat(dirfd, tmp, 0);
		if (e == ERR_OUTPUT || e == ERR_IO)
			ec->sys_errno = se;
		return err_set(ec, e, "writing %s", name);
	}
	if (after != NULL)
		mtime_after(fd, after);
	if (fsync(fd) != 0) {
		e = sys_err(ec, ERR_IO, "fsync failed");
		close(fd);
		unlinkat(dirfd, tmp, 0);
		return e;
	}
	if (sha != NULL && hash_fd(fd, sha, size) != 0) {
		e = sys_err(ec, ERR_IO, "cannot read back the temporary file");
		close(fd);
		unlinkat(dirfd, tmp, 0);
		return e;
	}
	if (close(fd) != 0 || renameat(dirfd, tmp, dirfd, name) != 0) {
		e = sys_err(ec, ERR_IO, "cannot rename the temporary file");
		unlinkat(dirfd, tmp, 0);
		return e;
	}
	if (fsync(dirfd) != 0)
		return sys_err(ec, ERR_IO, "cannot sync the directory");
	return 0;
}

struct meta_ctx {
	const struct sink_object *ob;
	char size[24];
	char sha[65];
};

static int
render_meta(void *ctx, struct out *o)
{
	const struct meta_ctx *mc = ctx;
	const struct sink_object *ob = mc->ob;
	static const char *const keys[] = { "pushedat", "url", "processedat",
	    "commit", "generator", "content-type", "size", "sha256" };
	const char *vals[8] = { ob->pushedat, ob->url, ob->processedat,
	    ob->commit, ob->generator, ob->content_type, mc->size, mc->sha };

	out_write(o, "{", 1);
	for (int i = 0; i < 8; i++) {
		out_puts(o, i ? ",\n \"" : "\"");
		out_puts(o, keys[i]);
		out_puts(o, "\": ");
		if (vals[i] != NULL)
			jsonstr_write(vals[i], strlen(vals[i]), JSONSTR_META,
			    jsonstr_put_out, o);
		else
			out_write(o, "\"\"", 2);
	}
	out_write(o, "}\n", 2);
	return o->err;
}

/* jsonflat_fn: a sidecar's members into their fields, the first of each */
static int
on_meta(void *ctx, const char *key, const char *val, size_t len,
    int in_array, int cut)
{
	struct sink_sidecar *sc = ctx;
	static const char *const keys[] = { "pushedat", "generator", "commit",
	    "sha256", "size" };
	char *const dst[] = { sc->m.pushedat, sc->m.generator, sc->m.commit,
	    sc->sha256, sc->size };
	const size_t cap[] = { sizeof sc->m.pushedat, sizeof sc->m.generator,
	    sizeof sc->m.commit, sizeof sc->sha256, sizeof sc->size };

	(void)cut;
	if (in_array)
		return ERR_JSON;        /* a sidecar holds strings only */
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (strcmp(key, keys[i]) != 0 || (sc->seen & (1u << i)))
			continue;
		/* cut, not overflowed: a longer value compares unequal */
		snprintf(dst[i], cap[i], "%.*s", (int)(len < cap[i] ? len :
		    cap[i] - 1), val);
		sc->seen |= 1u << i;
	}
	return 0;
}

/* see sink.h */
int
sink_sidecar_parse(const uint8_t *p, size_t n, struct sink_sidecar *sc)
{
	struct jsonflat jf;

	memset(sc, 0, sizeof *sc);
	jsonflat_init(&jf, on_meta, sc);
	jsonflat_push(&jf, p, n);
	return jsonflat_end(&jf, NULL);
}

/* ------------------------------------------------------------ local */

/*
 * A local write failed (ec): a file that cannot be written (a full disk, a
 * read-only directory) is named by its path, DIR/gitingest/.../name (or
 * the object's directory when name is ""), not by the source its body came
 * from. Other errors (rendering, memory) keep the source. Returns ec->code.
 */
static int
dest_err(const struct sink *s, const struct sink_object *ob, const char *name,
    struct err_ctx *ec)
{
	char path[SINK_PATH_MAX + SINK_KEY_MAX + 8];
	size_t dn = strlen(ob->key) - strlen(ob->name);

	if (ec->code != ERR_IO && ec->code != ERR_OUTPUT)
		return ec->code;
	snprintf(path, sizeof path, "%s/%.*s%s", s->dir, (int)dn, ob->key,
	    name);
	err_field(ec->source, sizeof ec->source, path, strlen(path));
	ec->entry[0] = '\0';
	return ec->code;
}

static int
local_put(struct sink *s, struct sink_object *ob, sink_render_fn render,
    void *ctx, struct err_ctx *ec)
{
	char meta_name[SINK_NAME_MAX + sizeof META_SUFFIX];
	unsigned char sha[32];
	uint64_t size = 0;
	struct meta_ctx mc;
	struct stat bst;
	int fd, e;

	if ((fd = open_repo_dir(s, ob, 1)) < 0) {
		e = sys_err(ec, ERR_IO, "cannot create the object directory");
		return dest_err(s, ob, "", ec);
	}
	snprintf(meta_name, sizeof meta_name, "%s" META_SUFFIX, ob->name);
	sweep_temps(fd, ob->name, &s->opened);
	sweep_temps(fd, meta_name, &s->opened);
	/* the body first: until the sidecar naming it is in place, the pair
	 * does not match and head reports no object (see the top comment) */
	e = atomic_write(fd, ob->name, render, ctx, NULL, sha, &size, ec);
	if (e != 0) {
		close(fd);
		return dest_err(s, ob, ob->name, ec);
	}
	/* the sidecar written in a later clock tick than the body's last
	 * change (its rename), so that a check can tell a body changed after
	 * it from this one (body_trusted) */
	if (fstatat(fd, ob->name, &bst, AT_SYMLINK_NOFOLLOW) != 0) {
		e = sys_err(ec, ERR_IO, "cannot read back the body");
		close(fd);
		return dest_err(s, ob, ob->name, ec);
	}
	ob->size = size;
	mc.ob = ob;
	snprintf(mc.size, sizeof mc.size, "%llu", (unsigned long long)size);
	hex(sha, sizeof sha, mc.sha);
	e = atomic_write(fd, meta_name, render_meta, &mc, &bst.st_ctim, NULL,
	    NULL, ec);
	close(fd);
	return e != 0 ? dest_err(s, ob, meta_name, ec) : 0;
}

/*
 * Whether a body (bst) can be taken as the one its sidecar (mst, recorded
 * size) names without hashing it: a regular file of the recorded size, last
 * changed before the sidecar was written. A put renames the body into place,
 * then writes the sidecar in a later clock tick (mtime_after), so the pair it
 * makes passes. Any change to the body after that (a write, a truncation, a
 * rename over it, touch -d of its mtime to any date) sets its ctime to the
 * time of the change, which no one can set back: not before the sidecar's
 * mtime, so it is hashed. Strictly before: a change in the sidecar's own tick
 * has its time. ctime, not only mtime: mtime can be set back. What passes
 * unhashed is a body changed while its put ran: two writers of one object at
 * once (the service runs one job per key) whose bodies have equal sizes;
 * docs/design.md says so.
 */
static int
body_trusted(const struct stat *bst, const struct stat *mst,
    const char *size)
{
	char got[24];

	if (!S_ISREG(bst->st_mode))
		return 0;
	snprintf(got, sizeof got, "%llu", (unsigned long long)bst->st_size);
	return strcmp(got, size) == 0 &&
	    ts_before(&bst->st_mtim, &mst->st_mtim, 1) &&
	    ts_before(&bst->st_ctim, &mst->st_mtim, 0);
}

static int
local_head(struct sink *s, const struct sink_object *ob,
    struct sink_meta_read *out, struct err_ctx *ec)
{
	char buf[SINK_SIDECAR_MAX], meta_name[SINK_NAME_MAX + sizeof META_SUFFIX];
	struct stat mst, bst;
	struct sink_sidecar sc;
	char got_sha[65], got_size[24];
	unsigned char sha[32];
	uint64_t size;
	ssize_t n;
	int dfd, fd, e;

	if ((dfd = open_repo_dir(s, ob, 0)) < 0)
		return errno == ENOENT ? 0 :
		    sys_err(ec, ERR_IO, "cannot open the object directory");
	snprintf(meta_name, sizeof meta_name, "%s" META_SUFFIX, ob->name);
	fd = openat(dfd, meta_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		e = errno == ENOENT ? 0 :
		    sys_err(ec, ERR_IO, "cannot open the metadata");
		close(dfd);
		return e;
	}
	/* the stat of the sidecar read (fd, not the name: a put may rename
	 * another in place meanwhile) */
	if (fstat(fd, &mst) != 0) {
		close(fd);
		close(dfd);
		return sys_err(ec, ERR_IO, "cannot read the metadata");
	}
	n = read(fd, buf, sizeof buf);
	close(fd);
	if (n < 0) {
		close(dfd);
		return sys_err(ec, ERR_IO, "cannot read the metadata");
	}
	/* not a sidecar (another's file, cut short, over the cap): absent */
	if (sink_sidecar_parse((const uint8_t *)buf, (size_t)n, &sc) != 0) {
		close(dfd);
		return 0;
	}
	/* the body must be the one the sidecar names: a body renamed into
	 * place whose sidecar never followed is not this object. Untouched
	 * since the sidecar was written, it is (body_trusted); else hashed. */
	if (fstatat(dfd, ob->name, &bst, AT_SYMLINK_NOFOLLOW) != 0) {
		e = errno;
		close(dfd);
		return e == ENOENT ? 0 : sys_err(ec, ERR_IO,
		    "cannot open the body");
	}
	if (body_trusted(&bst, &mst, sc.size)) {
		close(dfd);
		*out = sc.m;
		out->found = 1;
		return 0;
	}
	fd = openat(dfd, ob->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	close(dfd);
	if (fd < 0)
		return errno == ENOENT ? 0 :
		    sys_err(ec, ERR_IO, "cannot open the body");
	e = hash_fd(fd, sha, &size);
	close(fd);
	if (e != 0)
		return sys_err(ec, ERR_IO, "cannot read the body");
	hex(sha, sizeof sha, got_sha);
	snprintf(got_size, sizeof got_size, "%llu", (unsigned long long)size);
	if (strcmp(sc.sha256, got_sha) != 0 || strcmp(sc.size, got_size) != 0)
		return 0;
	*out = sc.m;
	out->found = 1;
	return 0;
}

static int
local_get(struct sink *s, const struct sink_object *ob, struct buf *b,
    int *found, struct err_ctx *ec)
{
	uint8_t tmp[65536];
	ssize_t n;
	int dfd, fd;

	*found = 0;
	if ((dfd = open_repo_dir(s, ob, 0)) < 0)
		return errno == ENOENT ? 0 :
		    sys_err(ec, ERR_IO, "cannot open the object directory");
	fd = openat(dfd, ob->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	close(dfd);
	if (fd < 0)
		return errno == ENOENT ? 0 :
		    sys_err(ec, ERR_IO, "cannot open the body");
	*found = 1;
	for (;;) {
		n = read(fd, tmp, sizeof tmp);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (buf_append(b, tmp, (size_t)n) != 0) {
			close(fd);
			return err_set(ec, ERR_LIMIT, NULL);
		}
	}
	close(fd);
	return n < 0 ? sys_err(ec, ERR_IO, "cannot read the body") : 0;
}

/* The sidecar first: from then on the object is not current (head finds
 * no pair), whatever happens to the body's unlink. */
static int
local_delete(struct sink *s, const struct sink_object *ob, int *deleted,
    struct err_ctx *ec)
{
	char meta_name[SINK_NAME_MAX + sizeof META_SUFFIX];
	const char *names[2] = { meta_name, ob->name };
	int dfd, n = 0;

	if ((dfd = open_repo_dir(s, ob, 0)) < 0)
		return errno == ENOENT ? 0 :
		    sys_err(ec, ERR_IO, "cannot open the object directory");
	snprintf(meta_name, sizeof meta_name, "%s" META_SUFFIX, ob->name);
	for (int i = 0; i < 2; i++) {
		if (unlinkat(dfd, names[i], 0) == 0) {
			n++;
		} else if (errno != ENOENT) {
			close(dfd);
			return sys_err(ec, ERR_IO, "cannot delete the object");
		}
	}
	if (n > 0)
		fsync(dfd);
	close(dfd);
	*deleted = n > 0;
	return 0;
}

/* ------------------------------------------------------------ S3 */

static int
s3_sink_put(struct sink *s, struct sink_object *ob, sink_render_fn render,
    void *ctx, struct err_ctx *ec)
{
	struct out *o = malloc(sizeof *o);
	struct s3_meta m[5] = {
		{ "pushedat", ob->pushedat }, { "url", ob->url },
		{ "processedat", ob->processedat }, { "commit", ob->commit },
		{ "generator", ob->generator },
	};
	int e;

	if (o == NULL)
		return err_set(ec, ERR_NOMEM, NULL);
	buf_reset(&s->body);
	out_init_mem(o, &s->body, 0);
	e = render(ctx, o);
	free(o);
	if (e != 0)
		return err_set(ec, e, "rendering");
	ob->size = s->body.len;
	return s3_put(&s->s3, ob->key, s->body.p != NULL ? s->body.p :
	    (const uint8_t *)"", s->body.len, ob->content_type, m, 5, ec);
}

static int
s3_sink_head(struct sink *s, const struct sink_object *ob,
    struct sink_meta_read *out, struct err_ctx *ec)
{
	static const char *const names[] = { "pushedat", "generator", "commit" };
	char vals[3][128];
	int found = 0, e;

	if ((e = s3_head(&s->s3, ob->key, &found, names, vals, 3, ec)) != 0)
		return e;
	out->found = found;
	/* cut, not overflowed: a longer value compares unequal anyway */
	snprintf(out->pushedat, sizeof out->pushedat, "%.*s",
	    (int)sizeof out->pushedat - 1, vals[0]);
	snprintf(out->generator, sizeof out->generator, "%s", vals[1]);
	snprintf(out->commit, sizeof out->commit, "%.*s",
	    (int)sizeof out->commit - 1, vals[2]);
	return 0;
}

static int
append_buf(void *ctx, const uint8_t *p, size_t n)
{
	return buf_append(ctx, p, n) ? ERR_LIMIT : 0;
}

/* ------------------------------------------------------------ interface */

/* fsync the directory that holds path (its entry for path). */
static int
fsync_parent(const char *path)
{
	char dir[SINK_PATH_MAX];
	size_t n = strlen(path);
	int fd, e;

	while (n > 1 && path[n - 1] == '/')
		n--;                    /* "out/" names out */
	while (n > 0 && path[n - 1] != '/')
		n--;
	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n == 0)
		snprintf(dir, sizeof dir, ".");
	else
		snprintf(dir, sizeof dir, "%.*s", (int)n, path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	e = fsync(fd);
	close(fd);
	return e;
}

/* see sink.h */
int
sink_open(struct sink *s, const char *dest, const struct sink_net *net,
    int flags, struct err_ctx *ec)
{
	memset(s, 0, sizeof *s);
	s->dirfd = -1;
	err_field(ec->source, sizeof ec->source, dest, strlen(dest));
	if (strncmp(dest, "s3://", 5) == 0) {
		struct s3_config *cfg = malloc(sizeof *cfg);
		int e;
		if (cfg == NULL)
			return err_set(ec, ERR_NOMEM, NULL);
		e = s3_config_flags(cfg, dest, net ? net->s3_endpoint : NULL,
		    net ? net->s3_region : NULL, ec);
		if (e == 0 && (e = s3_init(&s->s3, cfg, net ? net->fetch :
		    NULL)) != 0)
			err_set(ec, e, NULL);
		s3_config_wipe(cfg);
		free(cfg);
		if (e != 0)
			return e;
		buf_init(&s->body, (size_t)1 << 30);
		s->kind = SINK_S3;
		return 0;
	}
	if (strlen(dest) >= sizeof s->dir)
		return err_set(ec, ERR_USAGE, "output directory path too long");
	snprintf(s->dir, sizeof s->dir, "%s", dest);
	s->kind = SINK_LOCAL;
	clock_gettime(CLOCK_REALTIME, &s->opened);
	if (!(flags & SINK_READONLY) && mkdir(dest, 0755) == 0) {
		/* made: its entry in the parent is made durable too */
		if (fsync_parent(dest) != 0)
			return sys_err(ec, ERR_IO, "cannot sync the directory "
			    "that holds the output directory");
	} else if (!(flags & SINK_READONLY) && errno != EEXIST) {
		return sys_err(ec, ERR_IO, "cannot create the output directory");
	}
	s->dirfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0 && !((flags & SINK_READONLY) && errno == ENOENT))
		return sys_err(ec, ERR_IO, "cannot open the output directory");
	return 0;
}

/* see sink.h */
void
sink_close(struct sink *s)
{
	if (s->kind == SINK_S3) {
		s3_free(&s->s3);
		buf_free(&s->body);
	}
	if (s->dirfd >= 0)
		close(s->dirfd);
	s->dirfd = -1;
	s->kind = 0;
}

static int
discard(void *ctx, const uint8_t *p, size_t n)
{
	(void)ctx;
	(void)p;
	(void)n;
	return 0;
}

/* see sink.h */
int
sink_check(struct sink *s, const struct sink_object *ob, struct err_ctx *ec)
{
	struct sink_meta_read m;
	int e;

	if (s->kind != SINK_S3)
		return 0;
	err_field(ec->entry, sizeof ec->entry, ob->key, strlen(ob->key));
	memset(&m, 0, sizeof m);
	if ((e = s3_sink_head(s, ob, &m, ec)) == 0 && m.found)
		return 0;
	/* an answer to a HEAD has no body: a missing key and a missing
	 * bucket look alike, and a refusal does not say why. A GET's answer
	 * does (NoSuchKey, NoSuchBucket, SignatureDoesNotMatch...). */
	memset(ec, 0, sizeof *ec);
	return s3_probe(&s->s3, ob->key, discard, NULL, ec);
}

/* see sink.h */
int
sink_put(struct sink *s, struct sink_object *ob, sink_render_fn render,
    void *ctx, struct err_ctx *ec)
{
	err_field(ec->entry, sizeof ec->entry, ob->key, strlen(ob->key));
	isotime_now(ob->processedat, sizeof ob->processedat);
	if (s->kind == SINK_S3)
		return s3_sink_put(s, ob, render, ctx, ec);
	return local_put(s, ob, render, ctx, ec);
}

/* see sink.h */
int
sink_head(struct sink *s, const struct sink_object *ob,
    struct sink_meta_read *out, struct err_ctx *ec)
{
	memset(out, 0, sizeof *out);
	if (s->kind == SINK_S3)
		return s3_sink_head(s, ob, out, ec);
	return local_head(s, ob, out, ec);
}

/* see sink.h */
int
sink_get(struct sink *s, const struct sink_object *ob, struct buf *b,
    int *found, struct err_ctx *ec)
{
	if (s->kind == SINK_S3)
		return s3_get(&s->s3, ob->key, found, append_buf, b, ec);
	return local_get(s, ob, b, found, ec);
}

/* see sink.h */
int
sink_delete(struct sink *s, const struct sink_object *ob, int *deleted,
    struct err_ctx *ec)
{
	int found = 0, e;

	*deleted = 0;
	if (s->kind != SINK_S3)
		return local_delete(s, ob, deleted, ec);
	/* DELETE answers alike for a missing key: a HEAD says whether
	 * there was one to count */
	if ((e = s3_head(&s->s3, ob->key, &found, NULL, NULL, 0, ec)) != 0)
		return e;
	if (found && (e = s3_delete(&s->s3, ob->key, ec)) != 0)
		return e;
	*deleted = found;
	return 0;
}

struct mem_doc {
	const uint8_t *p;
	size_t n;
};

static int
render_mem(void *ctx, struct out *o)
{
	const struct mem_doc *d = ctx;

	return out_write(o, d->p, d->n);
}

/* see sink.h */
int
sink_write_doc(const char *dest, const struct sink_net *net, const uint8_t *p,
    size_t n, const char *content_type, struct err_ctx *ec)
{
	struct mem_doc d = { p, n };

	if (strncmp(dest, "s3://", 5) == 0)
		return s3_object_put(dest, net ? net->s3_endpoint : NULL,
		    net ? net->s3_region : NULL, net ? net->fetch : NULL, p, n,
		    content_type, ec);
	return sink_write_file(dest, render_mem, &d, ec);
}

/* see sink.h */
int
sink_read_doc(const char *src, const struct sink_net *net, struct buf *b,
    struct err_ctx *ec)
{
	uint8_t tmp[65536];
	ssize_t n;
	int fd, e = 0;

	if (strncmp(src, "s3://", 5) == 0)
		return s3_object_get(src, net ? net->s3_endpoint : NULL,
		    net ? net->s3_region : NULL, net ? net->fetch : NULL, b, ec);
	err_field(ec->source, sizeof ec->source, src, strlen(src));
	if ((fd = open(src, O_RDONLY | O_CLOEXEC)) < 0)
		return sys_err(ec, errno == ENOENT ? ERR_NOENT : ERR_IO, "");
	for (;;) {
		n = read(fd, tmp, sizeof tmp);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = sys_err(ec, ERR_IO, "");
			break;
		}
		if (n == 0)
			break;
		if (buf_append(b, tmp, (size_t)n) != 0) {
			e = err_set(ec, ERR_LIMIT, NULL);
			break;
		}
	}
	close(fd);
	return e;
}

/* see sink.h */
int
sink_doc_check(const char *dest, const struct sink_net *net,
    struct err_ctx *ec)
{
	struct s3_config *rc;
	const char *key;
	int e;

	if (strncmp(dest, "s3://", 5) != 0)
		return 0;
	if ((rc = malloc(sizeof *rc)) == NULL)
		return err_set(ec, ERR_NOMEM, NULL);
	e = s3_object_config(rc, dest, net ? net->s3_endpoint : NULL,
	    net ? net->s3_region : NULL, &key, ec);
	s3_config_wipe(rc);
	free(rc);
	return e;
}

/* see sink.h */
size_t
sink_secrets(const struct sink *s, const char **out, size_t max)
{
	size_t n = 0;

	if (s->kind != SINK_S3)
		return 0;
	if (n < max && s->s3.cfg.secret[0] != '\0')
		out[n++] = s->s3.cfg.secret;
	if (n < max && s->s3.cfg.session_token[0] != '\0')
		out[n++] = s->s3.cfg.session_token;
	return n;
}

/* see sink.h */
int
sink_write_file(const char *path, sink_render_fn render, void *ctx,
    struct err_ctx *ec)
{
	char dir[SINK_PATH_MAX];
	const char *slash = strrchr(path, '/'), *name;
	struct stat st;
	int dfd, fd, e;

	err_field(ec->source, sizeof ec->source, path, strlen(path));
	if (strlen(path) >= sizeof dir)
		return err_set(ec, ERR_USAGE, "path too long");
	if (slash == NULL) {
		snprintf(dir, sizeof dir, ".");
		name = path;
	} else {
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - path) + (slash ==
		    path), path);
		name = slash + 1;
	}
	if (*name == '\0')
		return err_set(ec, ERR_USAGE, "path names a directory");
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return sys_err(ec, ERR_IO, "cannot create");
	/* A device, FIFO or socket (-o /dev/null, /dev/stdout, a named pipe)
	 * is written into: renaming a temporary file over it would replace
	 * the device node with a regular file. Only files are made atomic. */
	if (fstatat(dfd, name, &st, 0) == 0 && !S_ISREG(st.st_mode) &&
	    !S_ISDIR(st.st_mode)) {
		close(dfd);
		if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
			return sys_err(ec, ERR_IO, "cannot open");
		e = sink_write_fd(fd, render, ctx);
		if (close(fd) != 0 && e == 0)
			return sys_err(ec, ERR_IO, "cannot write");
		return e ? err_set(ec, e, "writing %s", name) : 0;
	}
	e = atomic_write(dfd, name, render, ctx, NULL, NULL, NULL, ec);
	close(dfd);
	return e;
}
