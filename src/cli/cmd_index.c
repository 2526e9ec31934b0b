/*
 * cmd_index.c - `repodigest index SOURCE...`: chunks into the search index
 * (src/search/index.h). See cmd.h.
 *
 * Every source ends as the same JSON lines read by the same reader
 * (chunkread.h), so there is one path into the index:
 *   - FILE.jsonl: stored chunks (a run's chunks.jsonl), read from the file;
 *   - s3://BUCKET[/PREFIX]: the gitingest/.../chunks.jsonl objects under
 *     it, listed and read from S3;
 *   - anything `digest` takes: digested, then written by the chunk writer
 *     (chunk/jsonl.h, exactly `digest --format chunks`) on a second thread
 *     into a pipe this thread reads.
 * Lines of one repository (repo, ref) go into the index as one repository
 * (index_repo_begin .. index_repo_end); a source whose repositories come in
 * turns is refused (its lines must keep each repository together).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chunkread.h"
#include "cli.h"
#include "cmd.h"
#include "digest.h"
#include "err.h"
#include "index.h"
#include "jsonl.h"
#include "log.h"
#include "out.h"
#include "s3.h"
#include "sink.h"
#include "source.h"
#include "url.h"

struct index_args {
	const char *index;
	const char *project;
	int tokenizer;                  /* enum index_tokenizer */
	struct chunk_args chunk;
	int quiet;
	struct tree_args tree;
	struct archive_args arch;
	struct pattern_args pat;
	struct github_args gh;
	struct net_args net;
	struct s3_args s3;
};

#define IA(f) offsetof(struct index_args, f)
static const struct opt index_opts[] = {
	OPT_STR_("index", 0, "FILE", IA(index), CHK_NONEMPTY,
	    "the index file (made when absent)"),
	OPT_STR_("project", 0, "NAME", IA(project), CHK_NONEMPTY,
	    "the project the chunks belong to"),
	OPT_ENUM_("tokenizer", 0,
	    "code|unicode61|code-parts|code-separate|code-porter",
	    IA(tokenizer), "a new index's tokenizer: code (identifiers\n"
	    "split, README); the others to compare with\n"
	    "it: SQLite's unicode61, code with other\n"
	    "token positions, code stemmed (porter)"),
	OPT_FLAG_("quiet", 'q', IA(quiet), "print nothing but errors"),
	OPT_END
};

static const struct opt_group index_groups[] = {
	{ index_opts, 0 },
	{ tree_opts, IA(tree) },
	{ archive_opts, IA(arch) },
	{ chunk_opts, IA(chunk) },
	{ pattern_opts, IA(pat) },
	{ github_opts, IA(gh) },
	{ net_opts, IA(net) },
	{ s3_opts, IA(s3) },
	{ NULL, 0 }
};
#undef IA

static const struct opt_cmd index_cmd = {
	"index", "index SOURCE... [--index FILE] [--project NAME] [options]",
	"SOURCE", 1, 1 << 30,
	"Put chunks into the search index (`repodigest query` searches it).\n"
	"SOURCE is anything `digest` takes (a directory, a .tar or .tar.gz\n"
	"archive, - for an archive on stdin, an archive URL, a GitHub\n"
	"repository), chunked as `digest --format chunks` chunks it; or stored\n"
	"chunks: a FILE.jsonl of chunk lines, or s3://BUCKET[/PREFIX] holding\n"
	"gitingest/OWNER/REPO/chunks.jsonl objects (`run --format chunks`).\n"
	"Indexing a repository again replaces its chunks; files whose chunks\n"
	"are unchanged cost nothing.\n",
	index_groups,
	"Environment: as for digest (GITHUB_TOKEN, SSL_CERT_FILE, proxies);\n"
	"for s3:// the S3 variables (see README).\n"
	"\n"
	"Exit status: 0 success, 1 failure (a source could not be read or\n"
	"indexed; the others are), 2 usage error.\n"
};

static void
index_defaults(struct index_args *ia)
{
	memset(ia, 0, sizeof *ia);
	ia->index = INDEX_DEFAULT;
	ia->project = INDEX_PROJECT;
	archive_args_init(&ia->arch);
	ia->tokenizer = -1;
	chunk_args_init(&ia->chunk);
	net_args_init(&ia->net);
}

/* see cmd.h */
void
cmd_index_help(void)
{
	struct index_args ia;

	index_defaults(&ia);
	opts_help(&index_cmd, &ia, stdout);
}

/* ------------------------------------------------------------ lines in */

/* Repositories one source has finished (to refuse one that comes back). */
#define DONE_MAX 4096

/* Chunk lines of one source into the index. */
struct feeder {
	struct index *ix;
	const struct index_args *ia;
	const char *source;             /* for messages (no credentials) */
	struct chunkrd rd;
	int in_repo;
	char repo[CHUNKRD_NAME_MAX], ref[CHUNKRD_NAME_MAX];
	char (*done)[2 * CHUNKRD_NAME_MAX];     /* "repo\nref" finished */
	size_t ndone;
	struct index_stats total;
	uint64_t repos;
	struct err_ctx ec;
	int err;                        /* sticky */
	uint8_t block[1 << 16];         /* a read */
};

static void
say_repo(const struct feeder *fd, const struct index_stats *s)
{
	if (fd->ia->quiet)
		return;
	log_say("index: %s%s%s: %llu files (%llu added, %llu changed, "
	    "%llu unchanged, %llu removed), %llu chunks (%llu written, "
	    "%llu deleted)", fd->repo, fd->ref[0] ? "@" : "", fd->ref,
	    (unsigned long long)s->files, (unsigned long long)s->files_added,
	    (unsigned long long)s->files_changed,
	    (unsigned long long)s->files_unchanged,
	    (unsigned long long)s->files_removed,
	    (unsigned long long)s->chunks,
	    (unsigned long long)s->chunks_added,
	    (unsigned long long)s->chunks_removed);
}

/* Stop the source at its first error (detail: NULL when fd->ec holds it
 * already); the repository being added is rolled back. */
static int
feeder_fail(struct feeder *fd, int e, const char *detail)
{
	if (fd->err)
		return fd->err;
	if (detail != NULL)
		err_set(&fd->ec, e, "%s", detail);
	if (fd->ec.source[0] == '\0')
		err_field(fd->ec.source, sizeof fd->ec.source, fd->source,
		    strlen(fd->source));
	fd->err = e;
	if (fd->in_repo)
		index_repo_abort(fd->ix);
	fd->in_repo = 0;
	return e;
}

/* The repository in the lines is over: commit it. */
static int
repo_end(struct feeder *fd)
{
	struct index_stats s;
	int e;

	if (!fd->in_repo)
		return 0;
	fd->in_repo = 0;
	if ((e = index_repo_end(fd->ix, &s, &fd->ec)) != 0)
		return feeder_fail(fd, e, NULL);
	say_repo(fd, &s);
	fd->repos++;
	fd->total.files += s.files;
	fd->total.chunks += s.chunks;
	fd->total.chunks_added += s.chunks_added;
	fd->total.chunks_removed += s.chunks_removed;
	if (fd->ndone < DONE_MAX)
		snprintf(fd->done[fd->ndone++], sizeof fd->done[0], "%s\n%s",
		    fd->repo, fd->ref);
	return 0;
}

/* One record: a new repository begins when (repo, ref) changes. */
static int
record(struct feeder *fd)
{
	const struct chunkrd_rec *r = &fd->rd.rec;
	struct index_chunk c;
	char key[2 * CHUNKRD_NAME_MAX];
	char why[96];
	int e;

	if (!fd->in_repo || strcmp(r->repo, fd->repo) != 0 ||
	    strcmp(r->ref, fd->ref) != 0) {
		if ((e = repo_end(fd)) != 0)
			return e;
		snprintf(key, sizeof key, "%s\n%s", r->repo, r->ref);
		for (size_t i = 0; i < fd->ndone; i++)
			if (strcmp(fd->done[i], key) == 0) {
				snprintf(why, sizeof why, "line %llu: this "
				    "repository's lines are not together",
				    (unsigned long long)fd->rd.lineno);
				feeder_fail(fd, ERR_USAGE, why);
				err_field(fd->ec.entry, sizeof fd->ec.entry,
				    r->repo, strlen(r->repo));
				return fd->err;
			}
		snprintf(fd->repo, sizeof fd->repo, "%s", r->repo);
		snprintf(fd->ref, sizeof fd->ref, "%s", r->ref);
		if ((e = index_repo_begin(fd->ix, fd->ia->project, r->repo,
		    r->ref, r->commit, &fd->ec)) != 0)
			return feeder_fail(fd, e, NULL);
		fd->in_repo = 1;
	}
	index_chunk_of(&c, r);
	if ((e = index_repo_chunk(fd->ix, &c, &fd->ec)) != 0) {
		fd->in_repo = 0;        /* index_repo_chunk rolled back */
		return feeder_fail(fd, e, NULL);
	}
	return 0;
}

static int
reader_error(struct feeder *fd)
{
	char where[32];

	snprintf(where, sizeof where, "line %llu",
	    (unsigned long long)fd->rd.lineno);
	feeder_fail(fd, fd->rd.err, fd->rd.detail);
	err_field(fd->ec.entry, sizeof fd->ec.entry, where, strlen(where));
	return fd->err;
}

/* Bytes of the source (fetch_body_fn too). */
static int
feed_bytes(void *ctx, const uint8_t *p, size_t n)
{
	struct feeder *fd = ctx;
	enum chunkrd_event ev;
	size_t k;

	while (fd->err == 0 && n > 0) {
		k = chunkrd_push(&fd->rd, p, n, &ev);
		p += k;
		n -= k;
		if (ev == CHUNKRD_ERROR)
			return reader_error(fd);
		if (ev == CHUNKRD_RECORD && record(fd) != 0)
			return fd->err;
	}
	return fd->err;
}

/* The source is over: its last line and repository. */
static int
feed_end(struct feeder *fd)
{
	enum chunkrd_event ev;

	if (fd->err)
		return fd->err;
	ev = chunkrd_end(&fd->rd);
	if (ev == CHUNKRD_ERROR)
		return reader_error(fd);
	if (ev == CHUNKRD_RECORD && record(fd) != 0)
		return fd->err;
	return repo_end(fd);
}

static int
feeder_init(struct feeder *fd, struct index *ix, const struct index_args *ia,
    const char *source)
{
	memset(fd, 0, sizeof *fd);
	fd->ix = ix;
	fd->ia = ia;
	fd->source = source;
	chunkrd_init(&fd->rd);
	if ((fd->done = malloc(DONE_MAX * sizeof *fd->done)) == NULL)
		return ERR_NOMEM;
	return 0;
}

static void
feeder_free(struct feeder *fd)
{
	if (fd->in_repo)
		index_repo_abort(fd->ix);
	chunkrd_free(&fd->rd);
	free(fd->done);
}

/* Read an fd to its end into the feeder. */
static int
feed_fd(struct feeder *fd, int in)
{
	ssize_t r;

	for (;;) {
		r = read(in, fd->block, sizeof fd->block);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err_set(&fd->ec, ERR_IO, "cannot read");
			fd->ec.sys_errno = errno;
			return feeder_fail(fd, ERR_IO, NULL);
		}
		if (r == 0)
			return feed_end(fd);
		if (feed_bytes(fd, fd->block, (size_t)r) != 0)
			return fd->err;
	}
}

/* ------------------------------------------------------------ sources */

static int
from_jsonl(struct feeder *fd, const char *path)
{
	int in = open(path, O_RDONLY | O_CLOEXEC), e;

	if (in < 0) {
		err_set(&fd->ec, errno == ENOENT ? ERR_NOENT : ERR_IO,
		    "cannot open");
		fd->ec.sys_errno = errno;
		return feeder_fail(fd, fd->ec.code, NULL);
	}
	e = feed_fd(fd, in);
	close(in);
	return e;
}

/* Keys of chunk objects found by the list: gathered first, read after
 * (the list's connection is the one the reads use). */
struct keys {
	char **v;
	size_t n, cap;
};

/* The objects `run --format chunks` stores: NAME chunks.jsonl, in
 * gitingest/OWNER/REPO/ or gitingest/OWNER/REPO/@REF/. */
static int
want_key(void *ctx, const char *key, uint64_t size)
{
	static const char name[] = "/" SINK_CHUNKS;
	struct keys *k = ctx;
	size_t n = strlen(key);

	(void)size;
	if (n < sizeof name || strcmp(key + n - (sizeof name - 1), name) != 0)
		return 0;
	if (k->n == k->cap) {
		size_t nc = k->cap ? k->cap * 2 : 64;
		char **p = realloc(k->v, nc * sizeof *p);
		if (p == NULL)
			return ERR_NOMEM;
		k->v = p;
		k->cap = nc;
	}
	if ((k->v[k->n] = strdup(key)) == NULL)
		return ERR_NOMEM;
	k->n++;
	return 0;
}

static int
from_s3(struct index *ix, const struct index_args *ia, const char *dest,
    const struct fetch_opts *fo, uint64_t *repos)
{
	struct s3_client *s = calloc(1, sizeof *s);
	struct s3_config *cfg = calloc(1, sizeof *cfg);
	struct feeder *fd = malloc(sizeof *fd);
	struct keys k = { NULL, 0, 0 };
	struct err_ctx ec;
	char msg[1024], src[1400];
	int e, found, status = 0;

	memset(&ec, 0, sizeof ec);
	if (s == NULL || cfg == NULL || fd == NULL) {
		log_err("index", "%s", err_str(ERR_NOMEM));
		free(s);
		free(cfg);
		free(fd);
		return 1;
	}
	if ((e = s3_config_flags(cfg, dest, ia->s3.endpoint, ia->s3.region,
	    &ec)) != 0 || (e = s3_init(s, cfg, fo)) != 0 ||
	    (e = s3_list(s, SINK_KEY_DIR "/", want_key, &k, &ec)) != 0) {
		if (ec.code == 0)
			err_set(&ec, e, NULL);
		err_field(ec.source, sizeof ec.source, dest, strlen(dest));
		err_format(&ec, msg, sizeof msg);
		log_err(NULL, "%s", msg);
		status = 1;
	}
	if (status == 0 && k.n == 0 && !ia->quiet)
		log_say("index: %s: no %s objects under %s/", dest,
		    SINK_CHUNKS, SINK_KEY_DIR);
	/* an object that fails is said and skipped: the others go in */
	for (size_t i = 0; i < k.n; i++) {
		snprintf(src, sizeof src, "%s/%s", dest, k.v[i]);
		if (feeder_init(fd, ix, ia, src) != 0) {
			log_err("index", "%s", err_str(ERR_NOMEM));
			feeder_free(fd);
			status = 1;
			break;
		}
		memset(&ec, 0, sizeof ec);
		e = s3_get(s, k.v[i], &found, feed_bytes, fd, &ec);
		if (e == 0 && found)
			e = feed_end(fd);
		else if (e == 0)
			e = feeder_fail(fd, ERR_NOENT, "object gone since the "
			    "list");
		if (e != 0) {
			struct err_ctx *x = fd->err ? &fd->ec : &ec;
			err_field(x->source, sizeof x->source, src, strlen(src));
			err_format(x, msg, sizeof msg);
			log_err(NULL, "%s", msg);
			status = 1;
		}
		*repos += fd->repos;
		feeder_free(fd);
	}
	for (size_t i = 0; i < k.n; i++)
		free(k.v[i]);
	free(k.v);
	s3_free(s);
	s3_config_wipe(cfg);
	free(s);
	free(cfg);
	free(fd);
	return status;
}

/* The chunk writer's side of a tree source: its lines into the pipe. */
struct writer {
	struct digest *d;
	struct chunkw_meta meta;
	size_t size, overlap;
	int fd;
	int err;
};

static void *
write_chunks(void *arg)
{
	struct writer *w = arg;
	struct out *o = malloc(sizeof *o);

	if (o == NULL) {
		w->err = ERR_NOMEM;
	} else {
		out_init_fd(o, w->fd, 0);
		w->err = chunkw_render(o, &w->meta, w->size, w->overlap, w->d);
		if (w->err == 0)
			w->err = out_flush(o);
		free(o);
	}
	close(w->fd);
	return NULL;
}

/* Digest a tree, its chunks through the pipe into the feeder. */
static int
from_tree(struct feeder *fd, const char *source, const struct job_config *cfg,
    const struct fetch_opts *fo)
{
	const struct index_args *ia = fd->ia;
	struct digest_opts o;
	struct source_opts so;
	struct source_info info;
	struct digest *d = malloc(sizeof *d);
	struct writer w;
	struct url_github g;
	char repo[URL_OWNER_MAX + URL_REPO_MAX + 2];
	pthread_t th;
	int p[2], e;

	if (d == NULL)
		return feeder_fail(fd, ERR_NOMEM, NULL);
	/* the settings of `digest --format chunks` (each chunk carries its own
	 * token estimate) */
	job_digest_opts(cfg, JOB_FORMAT(RENDER_CHUNKS), &o);
	/* bodies past 1 MiB wait LZ4'd: the index's pages and FTS5's
	 * buffers share the memory a digest alone would have */
	o.raw_budget = (uint64_t)1 << 20;
	source_opts_args(&so, &ia->arch, &ia->gh, fo);
	if ((e = digest_init(d, &o)) != 0) {
		free(d);
		return feeder_fail(fd, e, NULL);
	}
	if ((e = source_digest(source, &so, d, &info, &fd->ec)) != 0)
		goto done;
	memset(&w, 0, sizeof w);
	w.d = d;
	source_github(source, &g);
	w.meta.repo = source_repo_name(ia->arch.repo, &g, info.root, repo,
	    sizeof repo);
	w.meta.ref = g.ref;
	w.meta.commit = info.commit;
	w.size = (size_t)ia->chunk.size;
	w.overlap = (size_t)ia->chunk.overlap;
	if (pipe(p) != 0) {
		err_set(&fd->ec, ERR_IO, "pipe");
		e = ERR_IO;
		goto done;
	}
	w.fd = p[1];
	if ((e = pthread_create(&th, NULL, write_chunks, &w)) != 0) {
		close(p[0]);
		close(p[1]);
		err_set(&fd->ec, ERR_NOMEM, "thread");
		e = ERR_NOMEM;
		goto done;
	}
	e = feed_fd(fd, p[0]);
	/* a reader that stopped early: the writer gets EPIPE and ends */
	close(p[0]);
	pthread_join(th, NULL);
	if (e == 0 && w.err != 0)
		err_set(&fd->ec, e = w.err, "writing chunks");
done:
	digest_free(d);
	free(d);
	if (e != 0 && !fd->err)
		feeder_fail(fd, e, NULL);
	return e;
}

/* One SOURCE: which kind, then into the index. Returns 0 or 1 (said). */
static int
index_source(struct index *ix, const struct index_args *ia, const char *src,
    const struct job_config *cfg, const struct fetch_opts *fo,
    uint64_t *repos)
{
	struct feeder *fd;
	struct stat st;
	size_t n = strlen(src);
	char msg[1024];
	int e, local = strcmp(src, "-") == 0 || stat(src, &st) == 0;

	if (strncmp(src, "s3://", 5) == 0)
		return from_s3(ix, ia, src, fo, repos);
	if ((fd = malloc(sizeof *fd)) == NULL || feeder_init(fd, ix, ia,
	    src) != 0) {
		log_err("index", "%s", err_str(ERR_NOMEM));
		if (fd)
			feeder_free(fd);
		free(fd);
		return 1;
	}
	if (n > 6 && strcmp(src + n - 6, ".jsonl") == 0 && local &&
	    S_ISREG(st.st_mode))
		e = from_jsonl(fd, src);
	else
		e = from_tree(fd, src, cfg, fo);
	if (e != 0) {
		if (fd->ec.source[0] == '\0')
			err_field(fd->ec.source, sizeof fd->ec.source, src, n);
		err_format(&fd->ec, msg, sizeof msg);
		log_err(NULL, "%s", msg);
	}
	*repos += fd->repos;
	feeder_free(fd);
	free(fd);
	return e != 0;
}

/* see cmd.h */
int
cmd_index(int argc, char **argv)
{
	struct index_args ia;
	struct job_settings set;
	struct job_config cfg;
	struct index_opts io;
	struct net_setup ns;
	struct err_ctx ec;
	struct index *ix;
	struct stat st;
	uint64_t repos = 0;
	char msg[1024];
	int r, e, nops, status = 0, remote = 0;

	index_defaults(&ia);
	if ((r = opts_parse(&index_cmd, argc, argv, &ia, &nops)) != 0) {
		if (r == OPTS_HELP)
			cmd_index_help();
		return r == OPTS_HELP ? 0 : r;
	}
	if ((r = chunk_args_check("index", &ia.chunk, 1)) != 0)
		return r;
	if ((r = archive_url_check("index", ia.gh.archive_url, 0)) != 0)
		return r;
	/* the body settings as digest has them: patterns checked up front */
	job_settings_args(&set, 0, &ia.pat, &ia.chunk);
	job_settings_tree(&set, &ia.tree);
	memset(&ec, 0, sizeof ec);
	if ((e = job_config_init(&cfg, &set, &ec)) != 0) {
		err_format(&ec, msg, sizeof msg);
		log_err("index", "%s", msg);
		return e == ERR_PATTERN || e == ERR_PATTERN_COUNT ? EXIT_USAGE : 1;
	}
	for (int i = 0; i < nops; i++)
		if (strcmp(argv[i], "-") != 0 && stat(argv[i], &st) != 0)
			remote = 1;
	if (net_setup(&ns, &ia.net, remote) != 0)
		return 1;
	if ((ix = malloc(sizeof *ix)) == NULL) {
		log_err("index", "%s", err_str(ERR_NOMEM));
		net_teardown(&ns);
		return 1;
	}
	memset(&io, 0, sizeof io);
	io.create = 1;
	io.tokenizer = ia.tokenizer < 0 ? INDEX_TOK_CODE : ia.tokenizer;
	memset(&ec, 0, sizeof ec);
	if (index_open(ix, ia.index, &io, &ec) != 0) {
		err_format(&ec, msg, sizeof msg);
		log_err(NULL, "%s", msg);
		free(ix);
		net_teardown(&ns);
		return 1;
	}
	if (ia.tokenizer >= 0 && strcmp(index_tokenizer(ix),
	    index_tokenizer_spec(ia.tokenizer)) != 0) {
		snprintf(msg, sizeof msg, "%s was made with the tokenizer \"%s\"",
		    ia.index, index_tokenizer(ix));
		index_close(ix);
		free(ix);
		net_teardown(&ns);
		return opts_usage_error("index", "--tokenizer", msg);
	}
	for (int i = 0; i < nops; i++)
		status |= index_source(ix, &ia, argv[i], &cfg, &ns.fo, &repos);
	if (!ia.quiet)
		log_say("index: %s: %llu %s indexed%s", ia.index,
		    (unsigned long long)repos, repos == 1 ? "repository" :
		    "repositories", status ? " (some sources failed)" : "");
	index_close(ix);
	free(ix);
	net_teardown(&ns);
	return status;
}
