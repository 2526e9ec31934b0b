/*
 * sink.c - the local directory sink and atomic file writes. See sink.h.
 *
 * Every path below the root is walked with openat(..., O_NOFOLLOW|O_DIRECTORY)
 * and mkdirat(), one validated component at a time, so neither a crafted name
 * ("..", "a/b", NUL) nor a symlink placed in the tree can redirect a write.
 * The sidecar is a small JSON object; values are escaped, never formatted raw.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sink.h"

#define KEY_DIR   "gitingest"
#define BODY_NAME "summary.txt"
#define META_NAME "summary.txt.meta"

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

static int
sys_err(struct err_ctx *ec, int code, const char *what)
{
	ec->sys_errno = errno;
	return err_set(ec, code, "%s", what);
}

int
sink_open_local(struct sink *s, const char *dir, struct err_ctx *ec)
{
	memset(s, 0, sizeof *s);
	s->dirfd = -1;
	err_field(ec->source, sizeof ec->source, dir, strlen(dir));
	if (strlen(dir) >= sizeof s->dir)
		return err_set(ec, ERR_USAGE, "output directory path too long");
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return sys_err(ec, ERR_IO, "cannot create the output directory");
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0)
		return sys_err(ec, ERR_IO, "cannot open the output directory");
	s->kind = SINK_LOCAL;
	snprintf(s->dir, sizeof s->dir, "%s", dir);
	return 0;
}

void
sink_close(struct sink *s)
{
	if (s->dirfd >= 0)
		close(s->dirfd);
	s->dirfd = -1;
}

/* Open (creating if asked) the directory DIR/gitingest/OWNER/REPO. */
static int
open_repo_dir(struct sink *s, const char *owner, const char *repo, int create)
{
	const char *parts[3] = { KEY_DIR, owner, repo };
	int fd = s->dirfd, nfd;

	for (int i = 0; i < 3; i++) {
		if (create && mkdirat(fd, parts[i], 0755) != 0 && errno != EEXIST) {
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

struct fdout_ctx {
	int fd;
};

/*
 * Write render()'s bytes to a new temp file in dirfd and rename it to name.
 * On any failure the temp file is removed and name is untouched.
 */
/* Render into fd through a buffered writer. Returns 0 or an error code. */
static int
render_fd(int fd, sink_render_fn render, void *ctx)
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

static int
atomic_write(int dirfd, const char *name, sink_render_fn render, void *ctx,
    struct err_ctx *ec)
{
	char tmp[256];
	int fd, e;

	snprintf(tmp, sizeof tmp, ".%s.tmp.%ld", name, (long)getpid());
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	if (fd < 0)
		return sys_err(ec, ERR_IO, "cannot create a temporary file");
	if ((e = render_fd(fd, render, ctx)) != 0) {
		close(fd);
		unlinkat(dirfd, tmp, 0);
		return err_set(ec, e, "writing %s", name);
	}
	if (fsync(fd) != 0) {
		e = sys_err(ec, ERR_IO, "fsync failed");
		close(fd);
		unlinkat(dirfd, tmp, 0);
		return e;
	}
	if (close(fd) != 0 || renameat(dirfd, tmp, dirfd, name) != 0) {
		e = sys_err(ec, ERR_IO, "cannot rename the temporary file");
		unlinkat(dirfd, tmp, 0);
		return e;
	}
	return 0;
}

/* JSON string, escaped; bytes >= 0x80 pass (metadata values are UTF-8). */
static void
json_put(struct out *o, const char *s)
{
	char esc[8];

	out_write(o, "\"", 1);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			out_write(o, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof esc, "\\u%04x", c);
			out_write(o, esc, 6);
		} else {
			out_write(o, s, 1);
		}
	}
	out_write(o, "\"", 1);
}

static int
render_meta(void *ctx, struct out *o)
{
	const struct sink_meta *m = ctx;
	static const char *const keys[] = { "pushedat", "url", "processedat",
	    "commit", "generator", "content-type" };
	const char *vals[6] = { m->pushedat, m->url, m->processedat, m->commit,
	    m->generator, m->content_type };

	out_write(o, "{", 1);
	for (int i = 0; i < 6; i++) {
		out_puts(o, i ? ",\n \"" : "\"");
		out_puts(o, keys[i]);
		out_puts(o, "\": ");
		json_put(o, vals[i] ? vals[i] : "");
	}
	out_write(o, "}\n", 2);
	return o->err;
}

int
sink_put(struct sink *s, const char *owner, const char *repo,
    sink_render_fn render, void *ctx, const struct sink_meta *m,
    struct err_ctx *ec)
{
	int fd, e;

	if (!sink_name_ok(owner, repo)) {
		err_field(ec->entry, sizeof ec->entry, owner ? owner : "", owner ?
		    strlen(owner) : 0);
		return err_set(ec, ERR_USAGE, "unsafe owner/repo name");
	}
	snprintf(ec->entry, sizeof ec->entry, "%s/%s", owner, repo);
	if ((fd = open_repo_dir(s, owner, repo, 1)) < 0)
		return sys_err(ec, ERR_IO, "cannot create the object directory");
	/* metadata first: a body on disk always has its sidecar */
	e = atomic_write(fd, META_NAME, render_meta, (void *)(uintptr_t)m, ec);
	if (e == 0)
		e = atomic_write(fd, BODY_NAME, render, ctx, ec);
	close(fd);
	return e;
}

/* Find "key": "value" in a small JSON object we wrote; unescapes \" and \\. */
static void
meta_get(const char *js, const char *key, char *out, size_t cap)
{
	char pat[64];
	const char *p;
	size_t n = 0;

	out[0] = '\0';
	snprintf(pat, sizeof pat, "\"%s\": \"", key);
	if ((p = strstr(js, pat)) == NULL)
		return;
	for (p += strlen(pat); *p && *p != '"' && n + 1 < cap; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		out[n++] = *p;
	}
	out[n] = '\0';
}

int
sink_head(struct sink *s, const char *owner, const char *repo,
    struct sink_meta_read *out, struct err_ctx *ec)
{
	char buf[8192];
	ssize_t n;
	int dfd, fd;

	memset(out, 0, sizeof *out);
	if (!sink_name_ok(owner, repo))
		return err_set(ec, ERR_USAGE, "unsafe owner/repo name");
	if ((dfd = open_repo_dir(s, owner, repo, 0)) < 0)
		return errno == ENOENT ? 0 :
		    sys_err(ec, ERR_IO, "cannot open the object directory");
	/* both files must be there: a sidecar alone is not an object */
	if (faccessat(dfd, BODY_NAME, F_OK, AT_SYMLINK_NOFOLLOW) != 0) {
		close(dfd);
		return 0;
	}
	fd = openat(dfd, META_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	close(dfd);
	if (fd < 0)
		return errno == ENOENT ? 0 :
		    sys_err(ec, ERR_IO, "cannot open the metadata");
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0)
		return sys_err(ec, ERR_IO, "cannot read the metadata");
	buf[n] = '\0';
	out->found = 1;
	meta_get(buf, "pushedat", out->pushedat, sizeof out->pushedat);
	meta_get(buf, "generator", out->generator, sizeof out->generator);
	meta_get(buf, "commit", out->commit, sizeof out->commit);
	return 0;
}

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
		e = render_fd(fd, render, ctx);
		if (close(fd) != 0 && e == 0)
			return sys_err(ec, ERR_IO, "cannot write");
		return e ? err_set(ec, e, "writing %s", name) : 0;
	}
	e = atomic_write(dfd, name, render, ctx, ec);
	close(dfd);
	return e;
}
