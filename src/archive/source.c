/*
 * source.c - local sources into the digest. See source.h.
 *
 * Archive path: read(2) 64 KiB at a time -> gz_push (if the stream starts with the
 * gzip magic) -> tar_push -> digest_entry/digest_data. Each stage works on the
 * slice it was given; the only buffers are the fixed ones below, so memory does
 * not depend on the archive's size (bodies kept for rendering live in the
 * digest's store).
 *
 * Directory path: ignore files are gathered first (so every rule is known before
 * a file is judged), then the tree is walked depth-first in byte order of names
 * with lstat(2): symlinks are reported, never followed; directories the ignore
 * rules exclude are not entered (as gitingest), nor are those past the depth
 * limit.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gz.h"
#include "pages.h"
#include "source.h"
#include "tar.h"
#include "utf8.h"

#define READ_CHUNK 65536
#define WALK_PATH_MAX 4096
#define WALK_MAX_DEPTH 256      /* ignore-file scan: deeper trees are hostile */
/*
 * Gzip bomb guard: source tarballs inflate 4-10x, repositories of generated data
 * rarely past 50x; deflate's ceiling is about 1030x. Judged only past 32 MiB of
 * output so small, very regular archives pass.
 */
#define SOURCE_MAX_RATIO 250u
#define SOURCE_RATIO_FLOOR (32ull << 20)

/* ------------------------------------------------------------ kept memory */

/*
 * See source.h. Every part is a plain buffer: its contents are set up anew by
 * each call, so nothing of one repository can reach the next.
 */
struct source_mem {
	void *in;                       /* READ_CHUNK */
	void *arc;                      /* struct arc */
	void *inf;                      /* struct inflater */
	void *ring;                     /* PIPE_SLOTS * PIPE_SLOT */
	void *remote;                   /* struct remote */
	void *first;                    /* READ_CHUNK: a download's first bytes */
	struct gz gz;                   /* zlib's state and window kept */
	uint8_t *stack[2];              /* the archive path's (a spilled
	                                 * download) and the inflater's (mappings,
	                                 * a guard page below each) */
};

/*
 * A thread's stack: musl's own size and more (the download thread runs the
 * TLS client and the progress hook); mapped with a guard page below it, as
 * pthread_create maps one, once per source_mem instead of once per thread.
 */
#define THREAD_STACK (256u << 10)
#define THREAD_GUARD 4096u

/* see source.h */
struct source_mem *
source_mem_new(void)
{
	return calloc(1, sizeof(struct source_mem));
}

/* see source.h */
void
source_mem_free(struct source_mem *m)
{
	if (m == NULL)
		return;
	free(m->in);
	free(m->arc);
	free(m->inf);
	free(m->ring);
	free(m->remote);
	free(m->first);
	gz_free(&m->gz);
	for (int i = 0; i < 2; i++)
		if (m->stack[i] != NULL)
			munmap(m->stack[i], THREAD_STACK + THREAD_GUARD);
	free(m);
}

/* n bytes: without m a new buffer (the caller frees it, mem_put), else the
 * one m keeps in *slot, made on first use. */
static void *
mem_get(struct source_mem *m, void **slot, size_t n)
{
	if (m == NULL)
		return malloc(n);
	if (*slot == NULL)
		*slot = malloc(n);
	return *slot;
}

static void
mem_put(struct source_mem *m, void *p)
{
	if (m == NULL)
		free(p);
}

/* Start fn(arg) on a thread; its stack is stack[which] of m, when there is
 * one (made on first use), else pthread_create's own. */
static int
thread_start(pthread_t *th, struct source_mem *m, int which,
    void *(*fn)(void *), void *arg)
{
	pthread_attr_t at;
	uint8_t *st;
	int e;

	if (m == NULL)
		return pthread_create(th, NULL, fn, arg);
	if (m->stack[which] == NULL) {
		st = mmap(NULL, THREAD_STACK + THREAD_GUARD, PROT_READ |
		    PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (st == MAP_FAILED)
			return pthread_create(th, NULL, fn, arg);
		if (mprotect(st, THREAD_GUARD, PROT_NONE) != 0) {
			munmap(st, THREAD_STACK + THREAD_GUARD);
			return pthread_create(th, NULL, fn, arg);
		}
		m->stack[which] = st;
	}
	if (pthread_attr_init(&at) != 0)
		return pthread_create(th, NULL, fn, arg);
	e = pthread_attr_setstack(&at, m->stack[which] + THREAD_GUARD,
	    THREAD_STACK) == 0 ? pthread_create(th, &at, fn, arg) :
	    pthread_create(th, NULL, fn, arg);
	pthread_attr_destroy(&at);
	return e;
}

static void
set_source(struct err_ctx *ec, const char *src)
{
	memset(ec, 0, sizeof *ec);
	/* a URL may carry credentials: they never reach a message */
	if (strstr(src, "://") != NULL)
		url_redact(src, ec->source, sizeof ec->source);
	else
		err_field(ec->source, sizeof ec->source, src, strlen(src));
}

static void
lower_ascii(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* The tree root's name, escaped as the digest prints names (digest.h). */
static void
root_name(struct source_info *info, const char *p, size_t n)
{
	size_t len = digest_escape_name(p, n, info->root, sizeof info->root - 1);

	info->root[len < sizeof info->root ? len : sizeof info->root - 1] = '\0';
}

/* ------------------------------------------------------------ archives */

struct arc {
	struct digest *d;
	const struct source_opts *so;
	struct tar tar;
	struct err_ctx *ec;
	int strip;              /* -1 undecided, 0, 1 */
	int tentative;          /* strip == 1 until an entry lies outside top */
	char top[TAR_PATH_MAX + 1];
	size_t top_len;
	int ended;
	int in_entry;
};

static enum digest_type
map_type(enum tar_type t)
{
	switch (t) {
	case TAR_FILE:
		return DIGEST_FILE;
	case TAR_DIR:
		return DIGEST_DIR;
	case TAR_SYMLINK:
		return DIGEST_SYMLINK;
	default:
		return DIGEST_OTHER;
	}
}

/*
 * The top directory. Automatic: a first entry that is a directory with one
 * component (GitHub's "Owner-Repo-sha/", git archive --prefix) is stripped
 * from every path, tentatively: should a later entry lie outside it (git
 * archive without --prefix lists ".ci/" and then ".gitignore"), nothing was
 * stripped after all and the digest re-roots what it has (digest_reroot).
 * Forced (--strip-components 1): the first entry's first component, and an
 * entry outside it is an error naming both.
 */
static int
on_entry(struct arc *a, const struct tar_entry *te)
{
	const char *p = te->path;
	size_t n = te->path_len;
	int e;

	if (a->strip < 0) {
		a->strip = te->type == TAR_DIR && memchr(p, '/', n) == NULL;
		if (a->strip) {
			memcpy(a->top, p, n);
			a->top_len = n;
			a->top[n] = '\0';
			a->tentative = 1;
			return digest_tentative_top(a->d, p, n);
		}
	} else if (a->strip == 1 && a->top_len == 0) {
		/* forced: take the first component of the first entry; a
		 * first entry that is a file or a symlink is no directory */
		const char *sl = memchr(p, '/', n);
		if (sl == NULL && te->type != TAR_DIR) {
			err_field(a->ec->entry, sizeof a->ec->entry, p, n);
			return err_set(a->ec, ERR_TAR_TOP, "the first entry is "
			    "not a directory; use --strip-components 0");
		}
		a->top_len = sl ? (size_t)(sl - p) : n;
		memcpy(a->top, p, a->top_len);
		a->top[a->top_len] = '\0';
	}
	if (a->strip == 1) {
		int inside = n > a->top_len && p[a->top_len] == '/' &&
		    memcmp(p, a->top, a->top_len) == 0;
		if (n == a->top_len && memcmp(p, a->top, n) == 0) {
			if (te->type == TAR_DIR)
				return 0;       /* the top directory again */
			inside = 0;     /* replaced by a file or symlink */
		}
		if (!inside && a->tentative) {
			if ((e = digest_reroot(a->d)) != 0)
				return err_set(a->ec, e, NULL);
			a->strip = 0;
			a->tentative = 0;
		} else if (!inside) {
			char top[160];
			err_field(a->ec->entry, sizeof a->ec->entry, p, n);
			err_field(top, sizeof top, a->top, a->top_len);
			return err_set(a->ec, ERR_TAR_TOP, "the top directory is "
			    "%s/; use --strip-components 0", top);
		} else {
			p += a->top_len + 1;
			n -= a->top_len + 1;
		}
	}
	if (n == 0)
		return 0;
	a->in_entry = 1;
	if (te->type == TAR_FILE && a->so->watch != NULL &&
	    a->so->watch->file != NULL)
		a->so->watch->file(a->so->watch->ctx, p, n);
	return digest_entry(a->d, map_type(te->type), p, n, te->size, te->link,
	    te->link_len);
}

/* Push tar bytes; returns 0 or an error (ec filled). */
static int
tar_feed(struct arc *a, const uint8_t *p, size_t n)
{
	struct tar_ev ev;
	int e;

	/* at most a read or a ring slot (128 KiB) between two looks */
	if (cancel_requested(a->so->cancel))
		return err_set(a->ec, ERR_CANCELLED, NULL);

	while (!a->ended) {
		size_t used = tar_push(&a->tar, p, n, &ev);
		p += used;
		n -= used;
		switch (ev.type) {
		case TAR_EV_NONE:
			if (n == 0)
				return 0;
			break;
		case TAR_EV_ENTRY:
			if ((e = on_entry(a, ev.entry)) != 0) {
				if (a->ec->code == 0)
					err_set(a->ec, e, NULL);
				if (a->ec->entry[0] == '\0')
					err_field(a->ec->entry, sizeof a->ec->entry,
					    ev.entry->path, ev.entry->path_len);
				return e;
			}
			break;
		case TAR_EV_DATA:
			if (a->in_entry && (e = digest_data(a->d, ev.data,
			    ev.len)) != 0)
				return err_set(a->ec, e, NULL);
			break;
		case TAR_EV_ENTRY_END:
			if (a->in_entry && (e = digest_entry_end(a->d)) != 0)
				return err_set(a->ec, e, NULL);
			a->in_entry = 0;
			break;
		case TAR_EV_END:
			a->ended = 1;
			return 0;
		case TAR_EV_ERROR:
			a->ec->offset = tar_error_offset(&a->tar);
			a->ec->has_offset = 1;
			return err_set(a->ec, ev.err, NULL);
		}
		if (n == 0 && ev.type == TAR_EV_NONE)
			return 0;
	}
	return 0;
}

/* Up to n bytes from fd (-1: none, the end); -1 with errno on an error. */
static int
read_full(int fd, uint8_t *p, size_t n, size_t *got)
{
	*got = 0;
	if (fd < 0)
		return 0;
	while (*got < n) {
		ssize_t r = read(fd, p + *got, n - *got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		*got += (size_t)r;
	}
	return 0;
}

/*
 * The inflater thread. Inflating is a quarter to a third of the work on a
 * source tarball and independent of the rest, so with two cores it runs beside
 * the tar reader and the digest: a ring of PIPE_SLOTS buffers of inflated bytes
 * sits between them (the only shared state, under one mutex). Memory stays
 * fixed: PIPE_SLOTS * PIPE_SLOT bytes, from malloc: in a huge page (pages.h)
 * it held 2 MiB of RSS for 1 MiB, against 256 page faults (~3 ms) once.
 * 128 KiB slots rather than 256: 0.5 MiB less at the peak of a capped
 * Linux digest (15.6 against 16.1 MiB), for 11k hand-overs instead of 5.5k
 * over its 1.4 GB of tar (user CPU 5.4 against 5.2 s on a loaded machine).
 */
#define PIPE_SLOTS 4
#define PIPE_SLOT (128 * 1024)

struct inflater {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int fd;
	struct gz *gz;
	const struct cancel *cancel;
	uint8_t *in;                    /* READ_CHUNK; holds the first chunk */
	size_t first_len;
	uint8_t *slot[PIPE_SLOTS];
	size_t len[PIPE_SLOTS];
	unsigned head, count;           /* ring of filled slots */
	int done;                       /* producer finished (err says how) */
	int stop;                       /* consumer gave up: producer exits */
	int err;                        /* ERR_IO, gz errors, or 0 */
	int sys_errno;
	uint64_t err_offset;
	uint64_t bytes_in;
	uint8_t out[16384];             /* inflate_inline()'s output */
};

/* Producer: wait for a free slot; returns its index or -1 when told to stop. */
static int
slot_get(struct inflater *f)
{
	int i;

	pthread_mutex_lock(&f->mu);
	while (f->count == PIPE_SLOTS && !f->stop)
		pthread_cond_wait(&f->cv, &f->mu);
	i = f->stop ? -1 : (int)((f->head + f->count) % PIPE_SLOTS);
	pthread_mutex_unlock(&f->mu);
	return i;
}

static void
slot_publish(struct inflater *f, int i, size_t n)
{
	pthread_mutex_lock(&f->mu);
	f->len[i] = n;
	f->count++;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

static void *
inflater_main(void *arg)
{
	struct inflater *f = arg;
	size_t got = f->first_len, n = 0;
	int cur = slot_get(f), e = 0, first = 1;

	while (cur >= 0) {
		size_t at = 0;
		if (cancel_requested(f->cancel)) {
			e = ERR_CANCELLED;
			break;
		}
		if (!first) {
			if (read_full(f->fd, f->in, READ_CHUNK, &got) != 0) {
				f->sys_errno = errno;
				e = ERR_IO;
				break;
			}
			f->bytes_in += got;
		}
		first = 0;
		if (got == 0)
			break;
		for (;;) {
			size_t used = 0, made = 0;
			e = gz_push(f->gz, f->in + at, got - at, &used,
			    f->slot[cur] + n, PIPE_SLOT - n, &made);
			if (e) {
				f->err_offset = f->gz->err_offset;
				break;
			}
			at += used;
			n += made;
			if (n == PIPE_SLOT) {
				slot_publish(f, cur, n);
				n = 0;
				if ((cur = slot_get(f)) < 0)
					break;
				continue;
			}
			if (used == 0 && made == 0)
				break;
		}
		if (e || cur < 0 || got < READ_CHUNK)
			break;
	}
	if (cur >= 0 && n > 0)
		slot_publish(f, cur, n);
	if (e == 0 && cur >= 0)
		e = gz_finish(f->gz);
	pthread_mutex_lock(&f->mu);
	f->err = e;
	f->done = 1;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

/*
 * Consumer side: feed the tar reader from the ring until the producer is done.
 * Returns the consumer's error (ec filled) or 0; the producer's result is left
 * in f->err for the caller.
 */
static int
inflate_threaded(struct inflater *f, struct arc *a)
{
	pthread_t th;
	int e = 0;

	if (thread_start(&th, a->so->mem, 1, inflater_main, f) != 0)
		return err_set(a->ec, ERR_NOMEM, "cannot start the inflater thread");
	for (;;) {
		unsigned i;
		pthread_mutex_lock(&f->mu);
		while (f->count == 0 && !f->done)
			pthread_cond_wait(&f->cv, &f->mu);
		if (f->count == 0) {
			pthread_mutex_unlock(&f->mu);
			break;
		}
		i = f->head;
		pthread_mutex_unlock(&f->mu);
		/* after the end marker the rest is drained unread, so the gzip
		 * trailer is still checked */
		if (e == 0 && !a->ended)
			e = tar_feed(a, f->slot[i], f->len[i]);
		pthread_mutex_lock(&f->mu);
		f->head = (f->head + 1) % PIPE_SLOTS;
		f->count--;
		if (e)
			f->stop = 1;
		pthread_cond_broadcast(&f->cv);
		pthread_mutex_unlock(&f->mu);
	}
	pthread_join(th, NULL);
	return e;
}

/*
 * An archive that came whole in the first read (at most READ_CHUNK compressed
 * bytes) is inflated on this thread: a second thread, with its stack and ring,
 * costs more than such a repository's whole digest (a fleet run is mostly
 * small repositories). Same results as inflate_threaded(): the consumer's
 * error returned, the producer's left in f->err.
 */
static int
inflate_inline(struct inflater *f, struct arc *a)
{
	size_t at = 0;
	int e;

	for (;;) {
		size_t used = 0, made = 0;
		f->err = gz_push(f->gz, f->in + at, f->first_len - at, &used,
		    f->out, sizeof f->out, &made);
		if (f->err != 0) {
			f->err_offset = f->gz->err_offset;
			return 0;
		}
		at += used;
		if (made > 0 && !a->ended && (e = tar_feed(a, f->out, made)) != 0)
			return e;
		if (used == 0 && made == 0)
			break;
	}
	f->err = gz_finish(f->gz);
	return 0;
}

/*
 * An archive from fd into d. pre, when not NULL, holds its first pre_len
 * bytes (a download that came whole: fd is then -1, no more to read).
 */
static int
archive_digest(int fd, uint8_t *pre, size_t pre_len, const char *src,
    const struct source_opts *so, struct digest *d, struct source_info *info,
    struct err_ctx *ec)
{
	uint8_t *in = NULL;
	struct gz *gz = NULL;
	struct arc *a = NULL;
	struct gz_limits gl = { so->max_archive ? so->max_archive :
	    SOURCE_MAX_ARCHIVE, SOURCE_MAX_RATIO, SOURCE_RATIO_FLOOR };
	struct tar_limits tl = { 0, so->max_archive ? so->max_archive :
	    SOURCE_MAX_ARCHIVE, 0 };
	struct source_mem *m = so->mem;
	int e = 0, compressed = 0;
	size_t got;

	in = pre != NULL ? pre : mem_get(m, m ? &m->in : NULL, READ_CHUNK);
	a = mem_get(m, m ? &m->arc : NULL, sizeof *a);
	gz = m ? &m->gz : calloc(1, sizeof *gz);
	if (!in || !a || !gz) {
		e = err_set(ec, ERR_NOMEM, NULL);
		goto done;
	}
	/* every field but the tar state (tar_init) and top[] (top_len) */
	a->d = d;
	a->so = so;
	a->ec = ec;
	a->strip = so->strip;
	a->tentative = 0;
	a->top_len = 0;
	a->ended = 0;
	a->in_entry = 0;
	tar_init(&a->tar, &tl);
	got = pre_len;
	if (pre == NULL && read_full(fd, in, READ_CHUNK, &got) != 0) {
		ec->sys_errno = errno;
		e = err_set(ec, ERR_IO, NULL);
		goto done;
	}
	info->bytes_in += got;
	if (got == 0) {
		e = err_set(ec, ERR_UNSUPPORTED, "empty input");
		goto done;
	}
	compressed = gz_is_gzip(in, got);
	if (!compressed && !tar_is_tar(in, got)) {
		e = err_set(ec, ERR_UNSUPPORTED, "not a tar or tar.gz archive");
		goto done;
	}
	if (compressed) {
		struct inflater *f = mem_get(m, m ? &m->inf : NULL, sizeof *f);
		uint8_t *ring = NULL;
		int small = got < READ_CHUNK;
		int ok = f != NULL && (m ? gz_reset(gz, &gl) : gz_init(gz,
		    &gl)) == 0 && (small || (ring = mem_get(m, m ? &m->ring :
		    NULL, PIPE_SLOTS * PIPE_SLOT)) != NULL);
		if (f != NULL)
			memset(f, 0, sizeof *f);
		for (int i = 0; ok && ring != NULL && i < PIPE_SLOTS; i++)
			f->slot[i] = ring + (size_t)i * PIPE_SLOT;
		if (ok) {
			pthread_mutex_init(&f->mu, NULL);
			pthread_cond_init(&f->cv, NULL);
			f->fd = fd;
			f->gz = gz;
			f->cancel = so->cancel;
			f->in = in;
			f->first_len = got;
			e = small ? inflate_inline(f, a) :
			    inflate_threaded(f, a);
			info->bytes_in += f->bytes_in;
			/* the consumer's error first; then the producer's: a
			 * stream without its gzip trailer (CRC-32 and size) is a
			 * truncated download, even when the tar inside looks
			 * complete */
			if (e == 0 && f->err == ERR_CANCELLED) {
				e = err_set(ec, ERR_CANCELLED, NULL);
			} else if (e == 0 && f->err != 0) {
				e = f->err;
				ec->sys_errno = f->sys_errno;
				ec->offset = f->err == ERR_GZ_TRUNCATED ?
				    info->bytes_in : f->err_offset;
				ec->has_offset = f->err != ERR_IO;
				err_set(ec, e, NULL);
			}
			pthread_mutex_destroy(&f->mu);
			pthread_cond_destroy(&f->cv);
		} else {
			e = err_set(ec, ERR_NOMEM, NULL);
		}
		mem_put(m, ring);
		mem_put(m, f);
		if (e)
			goto done;
	} else {
		for (;;) {
			if ((e = tar_feed(a, in, got)) != 0)
				goto done;
			if (got < READ_CHUNK)
				break;
			if (read_full(fd, in, READ_CHUNK, &got) != 0) {
				ec->sys_errno = errno;
				e = err_set(ec, ERR_IO, NULL);
				goto done;
			}
			info->bytes_in += got;
			if (got == 0)
				break;
		}
	}
	if (!a->ended && (e = tar_finish(&a->tar)) != 0) {
		ec->offset = tar_error_offset(&a->tar);
		ec->has_offset = 1;
		err_set(ec, e, NULL);
		goto done;
	}
	if (tar_commit(&a->tar) != NULL)
		err_field(info->commit, sizeof info->commit, tar_commit(&a->tar),
		    strlen(tar_commit(&a->tar)));
	if (so->repo == NULL && so->name == NULL) {
		if (a->strip == 1 && a->top_len > 0) {
			root_name(info, a->top, a->top_len);
		} else {
			/* the file name without its archive extensions */
			const char *b = strrchr(src, '/');
			size_t bl;
			b = b ? b + 1 : src;
			bl = strlen(b);
			static const char *const ext[] = { ".tar.gz", ".tgz",
			    ".tar", ".gz" };
			for (size_t i = 0; i < sizeof ext / sizeof *ext; i++) {
				size_t el = strlen(ext[i]);
				if (bl > el && strcmp(b + bl - el, ext[i]) == 0) {
					bl -= el;
					break;
				}
			}
			if (strcmp(src, "-") == 0)
				b = "stdin", bl = 5;
			root_name(info, b, bl);
		}
	}
done:
	if (m == NULL && gz != NULL) {
		gz_free(gz);
		free(gz);
	}
	if (in != pre)
		mem_put(m, in);
	mem_put(m, a);
	return e;
}

/* ------------------------------------------------------------ directories */

struct walk {
	struct digest *d;
	const struct source_opts *so;
	struct err_ctx *ec;
	char path[WALK_PATH_MAX + 1];   /* absolute-or-given root + "/" + rel */
	size_t root_len;                /* bytes of path before the relative part */
	uint8_t *io;
	/* ignore files found by the scan */
	char **ig;
	size_t n_ig, cap_ig;
};

/*
 * A directory listing: each name is stored after one byte holding its d_type
 * (DT_UNKNOWN where the file system does not say), so most entries need no
 * stat at all. The directory stays open while it is walked and its entries
 * are opened relative to it: one path component to resolve instead of the
 * whole path (on the bench VM every system call is expensive, and path lookup
 * alone was a tenth of a directory digest).
 */
struct listing {
	DIR *dir;
	char **v;               /* v[i][0] = d_type, v[i] + 1 = the name */
	size_t n;
};

static int
names_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a + 1, *(char *const *)b + 1);
}

static void
list_free(struct listing *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	if (l->dir != NULL)
		closedir(l->dir);
	l->dir = NULL;
	l->v = NULL;
	l->n = 0;
}

/*
 * List directory fd (taken over: list_free() closes it) without . and ..,
 * sorted by bytes. -1 with errno on failure.
 */
static int
list_dir(int fd, struct listing *l)
{
	struct dirent *de;
	size_t cap = 0;

	l->v = NULL;
	l->n = 0;
	if (fd < 0 || (l->dir = fdopendir(fd)) == NULL) {
		int sys = errno;
		if (fd >= 0)
			close(fd);
		errno = sys;
		return -1;
	}
	while ((de = readdir(l->dir)) != NULL) {
		size_t nl = strlen(de->d_name);
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (l->n == cap) {
			size_t nc = cap ? cap * 2 : 32;
			char **nv = realloc(l->v, nc * sizeof *nv);
			if (nv == NULL)
				goto fail;
			l->v = nv;
			cap = nc;
		}
		if ((l->v[l->n] = malloc(nl + 2)) == NULL)
			goto fail;
		l->v[l->n][0] = (char)de->d_type;
		memcpy(l->v[l->n] + 1, de->d_name, nl + 1);
		l->n++;
	}
	if (l->n > 0)
		qsort(l->v, l->n, sizeof *l->v, names_cmp);
	return 0;
fail:
	list_free(l);
	errno = ENOMEM;
	return -1;
}

/* Open directory entry i of l, not through a symlink. */
static int
open_subdir(const struct listing *l, size_t i)
{
	return openat(dirfd(l->dir), l->v[i] + 1,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/*
 * The kind of entry i (S_IFDIR, S_IFREG...): from the listing, or from
 * fstatat where it does not say or where the caller needs st (a regular
 * file's size). 0 with errno when the entry cannot be stat'ed.
 */
static unsigned
entry_kind(const struct listing *l, size_t i, int need_stat, struct stat *st)
{
	switch ((unsigned char)l->v[i][0]) {
	case DT_DIR:
		return S_IFDIR;
	case DT_LNK:
		return S_IFLNK;
	case DT_REG:
		if (!need_stat)
			return S_IFREG;
		break;
	case DT_UNKNOWN:
		break;
	default:
		return S_IFIFO;         /* a device, FIFO or socket: never read */
	}
	if (fstatat(dirfd(l->dir), l->v[i] + 1, st, AT_SYMLINK_NOFOLLOW) != 0)
		return 0;
	return st->st_mode & S_IFMT;
}

static int
walk_err(struct walk *w, int code, int sys)
{
	const char *rel = w->path + w->root_len;

	if (*rel == '/')
		rel++;
	err_field(w->ec->entry, sizeof w->ec->entry, rel, strlen(rel));
	w->ec->sys_errno = sys;
	return err_set(w->ec, code, NULL);
}

/* Append "/name" to w->path; returns the old length or -1 if too long. */
static long
push_name(struct walk *w, const char *name)
{
	size_t len = strlen(w->path), nl = strlen(name);

	if (len + 1 + nl > WALK_PATH_MAX)
		return -1;
	w->path[len] = '/';
	memcpy(w->path + len + 1, name, nl + 1);
	return (long)len;
}

static const char *
rel_path(const struct walk *w, size_t *len)
{
	const char *r = w->path + w->root_len + 1;

	*len = strlen(r);
	return r;
}

/* Pass 1: find every .gitignore/.gitingestignore, not through symlinks. */
static int
scan_ignores(struct walk *w, int fd, int depth)
{
	struct listing l;
	int e = 0;

	if (depth > WALK_MAX_DEPTH) {
		close(fd);
		return 0;
	}
	if (list_dir(fd, &l) != 0)
		return 0;       /* unreadable directories show up in pass 2 */
	for (size_t i = 0; i < l.n && e == 0; i++) {
		struct stat st;
		const char *name = l.v[i] + 1;
		int ignore_file = strcmp(name, ".gitignore") == 0 ||
		    strcmp(name, ".gitingestignore") == 0;
		unsigned kind = entry_kind(&l, i, 0, &st);
		long old = push_name(w, name);
		if (old < 0)
			continue;
		if (kind == S_IFDIR) {
			int sub = open_subdir(&l, i);
			if (sub >= 0)
				e = scan_ignores(w, sub, depth + 1);
		} else if (kind == S_IFREG && ignore_file) {
			size_t rl;
			const char *r = rel_path(w, &rl);
			if (w->n_ig == w->cap_ig) {
				size_t nc = w->cap_ig ? w->cap_ig * 2 : 8;
				char **nv = realloc(w->ig, nc * sizeof *nv);
				if (nv == NULL) {
					e = ERR_NOMEM;
					break;
				}
				w->ig = nv;
				w->cap_ig = nc;
			}
			if ((w->ig[w->n_ig] = strndup(r, rl)) == NULL)
				e = ERR_NOMEM;
			else
				w->n_ig++;
		}
		w->path[old] = '\0';
	}
	list_free(&l);
	return e;
}

static size_t
depth_of(const char *s)
{
	size_t c = 0;

	for (; *s; s++)
		c += *s == '/';
	return c;
}

/* Shallow files first, then byte order: git's precedence (deeper wins). */
static int
ig_cmp(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	size_t dx = depth_of(x), dy = depth_of(y);

	if (dx != dy)
		return dx < dy ? -1 : 1;
	return strcmp(x, y);
}

static int
load_ignores(struct walk *w)
{
	int e = 0;

	if (w->n_ig > 1)
		qsort(w->ig, w->n_ig, sizeof *w->ig, ig_cmp);
	for (size_t i = 0; i < w->n_ig && e == 0; i++) {
		char full[WALK_PATH_MAX + 2];
		const char *rel = w->ig[i], *sl = strrchr(rel, '/');
		size_t dl = sl ? (size_t)(sl - rel) : 0, got;
		int fd;

		snprintf(full, sizeof full, "%.*s/%s", (int)w->root_len, w->path,
		    rel);
		if ((fd = open(full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
			continue;
		if (read_full(fd, w->io, DIGEST_IGNORE_FILE_MAX, &got) == 0)
			e = digest_add_ignore_file(w->d, rel, dl, w->io, got);
		close(fd);
	}
	return e;
}

/*
 * Read the regular file entry i of l, size bytes as stat'ed: the digest was told
 * that size, and stopping there saves the read that would only see the end.
 * O_NONBLOCK: should the entry have become a FIFO since, open does not wait.
 */
static int
feed_file(struct walk *w, const struct listing *l, size_t i, uint64_t size)
{
	int fd = openat(dirfd(l->dir), l->v[i] + 1,
	    O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	int e = 0;

	if (fd < 0)
		return walk_err(w, ERR_IO, errno);
	while (size > 0) {
		ssize_t r = read(fd, w->io,
		    size < READ_CHUNK ? (size_t)size : READ_CHUNK);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = walk_err(w, ERR_IO, errno);
			break;
		}
		if (r == 0)
			break;          /* shrunk since stat'ed */
		size -= (uint64_t)r;
		if ((e = digest_data(w->d, w->io, (size_t)r)) != 0) {
			walk_err(w, e, 0);
			break;
		}
	}
	close(fd);
	return e;
}

/* Pass 2: report entries of directory fd (taken over), w->path. */
static int
walk_dir(struct walk *w, int fd, int depth)
{
	struct listing l;
	int e = 0;

	if (list_dir(fd, &l) != 0)
		return walk_err(w, errno == ENOENT ? ERR_NOENT : ERR_IO, errno);
	for (size_t i = 0; i < l.n && e == 0; i++) {
		struct stat st;
		size_t rl;
		const char *rel;
		long old = push_name(w, l.v[i] + 1);
		unsigned kind;

		if (old < 0) {
			e = walk_err(w, ERR_TAR_PATH_LEN, 0);
			break;
		}
		if (cancel_requested(w->so->cancel)) {
			w->path[old] = '\0';
			e = err_set(w->ec, ERR_CANCELLED, NULL);
			break;
		}
		rel = rel_path(w, &rl);
		kind = entry_kind(&l, i, 1, &st);
		if (kind == 0) {
			e = walk_err(w, ERR_IO, errno);
		} else if (kind == S_IFDIR) {
			/* gitingest does not enter excluded directories nor
			 * those past the depth limit (root = depth 0) */
			if (!digest_dir_excluded(w->d, rel, rl) &&
			    depth + 1 <= w->d->opt.max_depth) {
				e = digest_entry(w->d, DIGEST_DIR, rel, rl, 0, NULL, 0);
				if (e == 0) {
					int sub = open_subdir(&l, i);
					e = sub < 0 ? walk_err(w, ERR_IO, errno) :
					    walk_dir(w, sub, depth + 1);
				}
			}
		} else if (kind == S_IFLNK) {
			char link[WALK_PATH_MAX];
			ssize_t ll = readlinkat(dirfd(l.dir), l.v[i] + 1, link,
			    sizeof link);
			if (ll < 0)
				e = walk_err(w, ERR_IO, errno);
			else
				e = digest_entry(w->d, DIGEST_SYMLINK, rel, rl, 0,
				    link, (size_t)ll);
		} else if (kind == S_IFREG) {
			if (w->so->watch != NULL && w->so->watch->file != NULL)
				w->so->watch->file(w->so->watch->ctx, rel, rl);
			e = digest_entry(w->d, DIGEST_FILE, rel, rl,
			    (uint64_t)st.st_size, NULL, 0);
			if (e == 0 && digest_wants_data(w->d))
				e = feed_file(w, &l, i, (uint64_t)st.st_size);
			if (e == 0)
				e = digest_entry_end(w->d);
		} else {
			e = digest_entry(w->d, DIGEST_OTHER, rel, rl, 0, NULL, 0);
		}
		if (e != 0 && w->ec->code == 0)
			walk_err(w, e, 0);
		w->path[old] = '\0';
	}
	list_free(&l);
	return e;
}

/* The root as given: a symlink to a directory is followed there only. */
static int
open_root(const struct walk *w)
{
	return open(w->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static int
dir_digest(const char *src, struct digest *d, const struct source_opts *so,
    struct source_info *info, struct err_ctx *ec)
{
	struct walk *w = calloc(1, sizeof *w);
	char *real;
	size_t sl;
	int e = 0;

	if (w == NULL)
		return err_set(ec, ERR_NOMEM, NULL);
	w->d = d;
	w->so = so;
	w->ec = ec;
	w->io = malloc(DIGEST_IGNORE_FILE_MAX > READ_CHUNK ?
	    DIGEST_IGNORE_FILE_MAX : READ_CHUNK);
	sl = strlen(src);
	while (sl > 1 && src[sl - 1] == '/')
		sl--;
	if (w->io == NULL || sl > WALK_PATH_MAX - 2) {
		e = err_set(ec, w->io ? ERR_TAR_PATH_LEN : ERR_NOMEM, NULL);
		goto done;
	}
	memcpy(w->path, src, sl);
	w->path[sl] = '\0';
	w->root_len = sl;
	digest_walks_tree(d);
	if (d->opt.use_ignore_files) {
		if ((e = scan_ignores(w, open_root(w), 0)) == 0)
			e = load_ignores(w);
		if (e) {
			err_set(ec, e, NULL);
			goto done;
		}
		d->prescanned = 1;
	}
	if ((e = walk_dir(w, open_root(w), 0)) != 0)
		goto done;
	if (so->name == NULL) {
		/* root: the directory's own name; slug: the argument with its
		 * leading and trailing '/' removed, "." -> the directory's name */
		const char *b;
		if ((real = realpath(src, NULL)) == NULL) {
			e = err_set(ec, ERR_IO, NULL);
			goto done;
		}
		b = strrchr(real, '/');
		b = b && b[1] ? b + 1 : real;
		root_name(info, b, strlen(b));
		free(real);
	}
done:
	for (size_t i = 0; i < w->n_ig; i++)
		free(w->ig[i]);
	free(w->ig);
	free(w->io);
	free(w);
	return e;
}

/* ------------------------------------------------------------ remote */

/*
 * A download runs on the calling thread; its body goes to the archive path.
 * A body that fits in one read (READ_CHUNK: most repositories of a fleet)
 * is only collected, and digested on this same thread once it is whole: no
 * second thread, no pipe, no hand-over between cores, which cost a small
 * repository more than its digest. A longer body "spills": the archive path
 * starts on a second thread reading a pipe, the bytes so far go in first and
 * the rest as it arrives. The pipe holds at most 64 KiB, so the download
 * proceeds at the pace of the digest and is never stored whole.
 */
struct remote {
	char auth[512];                 /* "token ..."; wiped before free */
	struct fetch_client own;        /* when the caller has no client */
	struct fetch_client *fc;
	struct fetch_req rq;
	struct fetch_resp rs;
	struct err_ctx ec;              /* the download's error */
	const struct source_watch *watch;
	uint64_t got;                   /* body bytes so far */
	uint8_t *first;                 /* READ_CHUNK: the body until it spills */
	size_t first_len;
	int spilled;                    /* the archive path runs on th */
	int failed;                     /* ... could not be started: ae says */
	int wfd;                        /* the pipe to it, once spilled */
	pthread_t th;
	/* the archive path's arguments and result (on th once spilled) */
	int rfd;
	const char *url;
	const struct source_opts *so;
	struct digest *d;
	struct source_info *info;
	struct err_ctx *aec;
	int ae;
};

/* Is url GitHub's own (codeload, or the API base in use)? */
static int
github_host(const char *url, const struct source_opts *so)
{
	static const char codeload[] = "https://codeload.github.com/";
	const char *base = so->api_base ? so->api_base : SOURCE_API_BASE;
	size_t bn = strlen(base);

	if (bn > 0 && base[bn - 1] == '/')
		bn--;
	return strncmp(url, codeload, sizeof codeload - 1) == 0 ||
	    (strncmp(url, base, bn) == 0 && url[bn] == '/');
}

/* All n bytes into fd: 0, or ERR_IO when the reader stopped (it has the
 * cause). */
static int
write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return ERR_IO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The archive path, once the body spilled (its thread). */
static void *
archive_main(void *arg)
{
	struct remote *r = arg;

	r->ae = archive_digest(r->rfd, NULL, 0, r->url, r->so, r->d, r->info,
	    r->aec);
	close(r->rfd);          /* a write still to come fails: the download
	                         * stops */
	return NULL;
}

/* The body outgrew r->first: the archive path on a thread, fed by a pipe,
 * the bytes so far first. */
static int
spill(struct remote *r)
{
	int fds[2];

	if (pipe(fds) != 0) {
		r->aec->sys_errno = errno;
		r->ae = err_set(r->aec, ERR_IO, "pipe");
		r->failed = 1;
		return ERR_IO;
	}
	r->rfd = fds[0];
	r->wfd = fds[1];
	if (thread_start(&r->th, r->so->mem, 0, archive_main, r) != 0) {
		close(fds[0]);
		close(fds[1]);
		r->ae = err_set(r->aec, ERR_NOMEM, "cannot start the archive "
		    "thread");
		r->failed = 1;
		return ERR_IO;
	}
	r->spilled = 1;
	return write_all(r->wfd, r->first, r->first_len);
}

/* fetch_body_fn: collect, or spill and pass on. */
static int
take_body(void *ctx, const uint8_t *p, size_t n)
{
	struct remote *r = ctx;
	int e;

	if (!r->spilled && n <= READ_CHUNK - r->first_len) {
		memcpy(r->first + r->first_len, p, n);
		r->first_len += n;
	} else if ((!r->spilled && (e = spill(r)) != 0) ||
	    (e = write_all(r->wfd, p, n)) != 0) {
		return e;
	}
	r->got += n;
	if (r->watch != NULL && r->watch->bytes != NULL)
		r->watch->bytes(r->watch->ctx, r->got, r->rs.has_length ?
		    r->rs.length : 0, 0);
	return 0;
}

static int
remote_digest(const char *url, int github, const struct source_opts *so,
    struct digest *d, struct source_info *info, struct err_ctx *ec)
{
	struct source_mem *m = so->mem;
	struct remote *r;
	int e;

	if (so->fetch == NULL)
		return err_set(ec, ERR_UNSUPPORTED, "network sources are disabled");
	if ((r = mem_get(m, m ? &m->remote : NULL, sizeof *r)) == NULL)
		return err_set(ec, ERR_NOMEM, NULL);
	memset(r, 0, sizeof *r);
	if ((r->first = mem_get(m, m ? &m->first : NULL, READ_CHUNK)) == NULL) {
		mem_put(m, r);
		return err_set(ec, ERR_NOMEM, NULL);
	}
	/* the caller's client keeps its connection between repositories */
	r->fc = so->client != NULL ? so->client : &r->own;
	if (so->client == NULL && (e = fetch_init(&r->own, so->fetch)) != 0) {
		fetch_free(&r->own);
		mem_put(m, r->first);
		mem_put(m, r);
		return err_set(ec, e, NULL);
	}
	r->rq.method = "GET";
	r->rq.url = url;
	r->rq.cancel = so->cancel;
	r->watch = so->watch;
	r->url = url;
	r->so = so;
	r->d = d;
	r->info = info;
	r->aec = ec;
	if (github && so->token != NULL && so->token[0] != '\0') {
		static const struct http_field api_fields[] = {
			{ "Accept", 6, "application/vnd.github+json", 27 },
			{ "X-GitHub-Api-Version", 20, "2022-11-28", 10 },
		};
		snprintf(r->auth, sizeof r->auth, "token %s", so->token);
		r->rq.auth = r->auth;
		/* the token goes over https to the API's origin and nowhere
		 * else (fetch enforces it) */
		r->rq.auth_origin = so->api_base ? so->api_base : SOURCE_API_BASE;
		r->rq.fields = api_fields;
		r->rq.nfields = 2;
	}
	e = fetch_do(r->fc, &r->rq, &r->rs, take_body, r, &r->ec);
	if (e == 0 && r->watch != NULL && r->watch->bytes != NULL)
		r->watch->bytes(r->watch->ctx, r->got, r->rs.has_length ?
		    r->rs.length : 0, 1);
	if (r->spilled) {
		close(r->wfd);  /* the end of the body */
		pthread_join(r->th, NULL);
	}
	/* the download's failure is the cause of whatever the reader saw */
	if (e != 0 && e != ERR_IO) {
		*ec = r->ec;
	} else if (r->rs.status != 0 && (r->rs.status < 200 ||
	    r->rs.status >= 300)) {
		memset(ec, 0, sizeof *ec);
		url_redact(url, ec->source, sizeof ec->source);
		e = http_status_err(r->rs.status);
		/* the hint is GitHub's: a mirror's 404 is only a 404 */
		if (r->rs.status == 404 && github && github_host(url, so))
			err_set(ec, e, "or private: set GITHUB_TOKEN");
		else if (r->rs.has_retry_after)
			err_set(ec, e, "HTTP %d, retry after %llu s", r->rs.status,
			    (unsigned long long)r->rs.retry_after);
		else if (r->rs.has_rl_remaining && r->rs.rl_remaining == 0 &&
		    r->rs.has_rl_reset)
			err_set(ec, e, "HTTP %d, rate limit resets at %llu",
			    r->rs.status, (unsigned long long)r->rs.rl_reset);
		else
			err_set(ec, e, "HTTP %d", r->rs.status);
		/* what the batch run's retry waits for */
		if (r->rs.has_retry_after)
			ec->retry_after = r->rs.retry_after;
		else if (r->rs.has_rl_remaining && r->rs.rl_remaining == 0 &&
		    r->rs.has_rl_reset && r->rs.rl_reset > (uint64_t)time(NULL))
			ec->retry_after = r->rs.rl_reset - (uint64_t)time(NULL);
	} else if (r->spilled || r->failed) {
		e = r->ae;
	} else {
		/* the whole body (or what came before an I/O error), here */
		e = archive_digest(-1, r->first, r->first_len, url, so, d, info,
		    ec);
	}
	fetch_resp_free(&r->rs);
	fetch_free(&r->own);
	for (volatile char *p = r->auth; p < r->auth + sizeof r->auth; p++)
		*p = 0;
	mem_put(m, r->first);
	mem_put(m, r);
	return e;
}

/* Work out what a non-local source names; fills url (archive URL). */
static int
remote_url(const char *src, const struct source_opts *so, char *url,
    size_t cap, int *github, char *repo, size_t repocap, struct err_ctx *ec)
{
	struct url_github g;
	size_t len;
	int e;

	*github = 0;
	if (url_github_source((const uint8_t *)src, strlen(src), &g) == 0) {
		*github = 1;
		snprintf(repo, repocap, "%s/%s", g.owner, g.repo);
		if (so->archive_url != NULL)
			e = url_template(so->archive_url, strlen(so->archive_url),
			    &g, NULL, 0, url, cap, &len);
		else if (so->token != NULL && so->token[0] != '\0') {
			/* through the template expander: the ref is escaped
			 * ("a#b" is a ref, not "a" and a fragment) */
			char t[URL_MAX + 1];
			e = snprintf(t, sizeof t, "%s/repos/{owner}/{repo}/"
			    "tarball/{ref}", so->api_base ? so->api_base :
			    SOURCE_API_BASE) >= (int)sizeof t ? ERR_URL_TOO_LONG :
			    url_template(t, strlen(t), &g, NULL, 0, url, cap,
			    &len);
		} else {
			e = url_codeload(&g, url, cap, &len);
		}
		return e ? err_set(ec, e, NULL) : 0;
	}
	if (strncmp(src, "https://", 8) == 0 || strncmp(src, "http://", 7) == 0 ||
	    strncmp(src, "file://", 7) == 0) {
		if (strlen(src) >= cap)
			return err_set(ec, ERR_URL_TOO_LONG, NULL);
		snprintf(url, cap, "%s", src);
		return 0;
	}
	return -1;
}

/* ------------------------------------------------------------ entry point */

static void
slug_of(const char *src, const char *root, char *out, size_t cap)
{
	const char *s = src;
	size_t n;

	while (*s == '/')
		s++;
	n = strlen(s);
	while (n > 0 && s[n - 1] == '/')
		n--;
	if (n == 0 || (n == 1 && s[0] == '.'))
		snprintf(out, cap, "%s", root);
	else
		err_field(out, cap, s, n);
}

int
source_digest(const char *src, const struct source_opts *so,
    struct digest *d, struct source_info *info, struct err_ctx *ec)
{
	struct stat st;
	char slug[512];
	int e, fd, is_dir = 0;

	struct source_opts ro;
	char url[URL_MAX + 1], repo[160];
	int github = 0;

	memset(info, 0, sizeof *info);
	set_source(ec, src);
	if (strcmp(src, "-") == 0) {
		e = archive_digest(0, NULL, 0, src, so, d, info, ec);
	} else if (so->remote_only || stat(src, &st) != 0) {
		int se = so->remote_only ? ENOENT : errno;
		e = remote_url(src, so, url, sizeof url, &github, repo,
		    sizeof repo, ec);
		if (e < 0) {
			ec->sys_errno = se;
			return err_set(ec, se == ENOENT ? ERR_NOENT : ERR_IO, NULL);
		}
		if (e > 0)
			return e;
		/* a GitHub source gets the remote flavour of the summary */
		ro = *so;
		if (github && ro.repo == NULL && ro.name == NULL)
			ro.repo = repo;
		so = &ro;
		url_redact(url, ec->source, sizeof ec->source);
		e = remote_digest(url, github, so, d, info, ec);
	} else if (S_ISDIR(st.st_mode)) {
		is_dir = 1;
		e = dir_digest(src, d, so, info, ec);
	} else {
		if ((fd = open(src, O_RDONLY | O_CLOEXEC)) < 0) {
			ec->sys_errno = errno;
			return err_set(ec, ERR_IO, NULL);
		}
		e = archive_digest(fd, NULL, 0, src, so, d, info, ec);
		close(fd);
	}
	if (e)
		return e;

	if (so->repo != NULL) {
		/* remote flavour: "Repository: owner/repo", root "owner-repo",
		 * both lower-cased as gitingest does */
		char r[256];
		const char *sl = strchr(so->repo, '/');
		snprintf(r, sizeof r, "%s", so->repo);
		lower_ascii(r);
		snprintf(info->header, sizeof info->header, "Repository: %s\n", r);
		if (info->commit[0])
			snprintf(info->header + strlen(info->header),
			    sizeof info->header - strlen(info->header),
			    "Commit: %s\n", info->commit);
		if (sl != NULL)
			r[sl - so->repo] = '-';
		snprintf(info->root, sizeof info->root, "%s", r);
	} else {
		if (so->name != NULL)
			snprintf(info->root, sizeof info->root, "%s", so->name);
		if (is_dir && so->name == NULL)
			slug_of(src, info->root, slug, sizeof slug);
		else
			snprintf(slug, sizeof slug, "%s", info->root);
		snprintf(info->header, sizeof info->header, "Directory: %s\n", slug);
		if (info->commit[0])
			snprintf(info->header + strlen(info->header),
			    sizeof info->header - strlen(info->header),
			    "Commit: %s\n", info->commit);
	}
	if ((e = digest_finish(d, info->root)) != 0) {
		ec->entry[0] = '\0';
		return err_set(ec, e, NULL);
	}
	return 0;
}
