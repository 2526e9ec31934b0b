/*
 * test_job.c - job_run (job.h) end to end over real files: a tarball made
 * here (ustar, a pax global header naming the commit), read through a
 * file:// URL into a local sink in a temporary directory.
 *
 *   - a first job stores summary.txt and chunks.jsonl, with their sidecars;
 *     the result says so (objects, commit, files, bytes) and the progress
 *     hook saw every phase, the bytes up to the file's size, the files;
 *   - the "already stored" rule (decision 5): the same pushedAt is a cache
 *     hit with no download; another is not; a known commit decides over
 *     pushedAt (spec.commit, or a ref that is a full commit id); nothing
 *     known is never a hit; other settings (another generator) are not;
 *     --force is not; a dry run stores nothing;
 *   - cancel: the archive comes through a FIFO that a thread trickles into
 *     (a slow download); a cancel requested mid-download ends the job with
 *     ERR_CANCELLED well within a second (bound checked: 2 s), interrupted,
 *     with nothing stored and no temporary file left;
 *   - stopping before the first attempt: nothing is downloaded.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cancel.h"
#include "job.h"
#include "net.h"
#include "t.h"

#define COMMIT "0123456789abcdef0123456789abcdef01234567"

static char dir[256], tarpath[300], out[300], url[400];

/* ------------------------------------------------------------ a tarball */

static uint8_t A[1 << 16];
static size_t An;

static uint8_t *
block(void)
{
	uint8_t *b = A + An;

	memset(b, 0, 512);
	An += 512;
	return b;
}

static void
header(const char *name, char type, size_t size)
{
	uint8_t *h = block();
	unsigned sum = 0;

	snprintf((char *)h, 100, "%s", name);
	snprintf((char *)h + 100, 8, "%07o", type == '5' ? 0755 : 0644);
	snprintf((char *)h + 108, 8, "%07o", 0);
	snprintf((char *)h + 116, 8, "%07o", 0);
	snprintf((char *)h + 124, 12, "%011zo", size);
	snprintf((char *)h + 136, 12, "%011o", 0);
	h[156] = (uint8_t)type;
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
}

static void
data(const char *s, size_t n)
{
	for (size_t at = 0; at < n; at += 512) {
		uint8_t *b = block();
		memcpy(b, s + at, n - at < 512 ? n - at : 512);
	}
}

/* GitHub's shape: a pax global header with the commit, one top directory,
 * a README and a few source files (one large enough to take a while
 * through the trickle). */
static void
make_tar(void)
{
	char rec[64], big[20000];
	int n = snprintf(rec, sizeof rec, "52 comment=%s\n", COMMIT);

	An = 0;
	header("pax_global_header", 'g', (size_t)n);
	data(rec, (size_t)n);
	header("o-r-0123456/", '5', 0);
	header("o-r-0123456/README.md", '0', 14);
	data("# hello\nworld\n", 14);
	header("o-r-0123456/src/", '5', 0);
	header("o-r-0123456/src/a.c", '0', 24);
	data("int main(void) { }\n/**/\n", 24);
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = "abcdefghij\n"[i % 11];
	header("o-r-0123456/src/big.txt", '0', sizeof big);
	data(big, sizeof big);
	block();
	block();
}

static void
write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0)
		abort();
}

static int
exists(const char *rel)
{
	char p[600];
	struct stat st;

	snprintf(p, sizeof p, "%s/%s", out, rel);
	return stat(p, &st) == 0;
}

/* Any ".NAME.tmp.RANDOM" left in out/gitingest/o/REPO? */
static int
temp_left(const char *repo)
{
	char p[600];
	struct dirent *de;
	DIR *d;
	int found = 0;

	snprintf(p, sizeof p, "%s/gitingest/o/%s", out, repo);
	if ((d = opendir(p)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		found |= strstr(de->d_name, ".tmp.") != NULL;
	closedir(d);
	return found;
}

/* ------------------------------------------------------------ progress */

struct watch {
	pthread_mutex_t mu;
	unsigned phases;                /* bits of enum job_phase seen */
	uint64_t bytes, total, files;
	int calls;
};

static void
on_progress(void *ctx, const struct job_progress *p)
{
	struct watch *w = ctx;

	pthread_mutex_lock(&w->mu);
	w->phases |= 1u << p->phase;
	if (p->bytes > w->bytes)
		w->bytes = p->bytes;
	if (p->total != 0)
		w->total = p->total;
	if (p->files > w->files)
		w->files = p->files;
	w->calls++;
	pthread_mutex_unlock(&w->mu);
}

static struct job_config cfg;
static struct job_worker *wk;

static int
run(const char *repo, const char *source, const char *pushed,
    const char *commit, const char *ref, struct watch *w,
    const struct cancel *c, struct job_result *res)
{
	struct job_spec s;
	struct job_hooks h;

	memset(&s, 0, sizeof s);
	s.source = source;
	s.remote_only = 1;
	s.flavour = "o/r";
	s.strip = -1;
	s.owner = "o";
	s.repo = repo;
	s.pushed_at = pushed;
	s.commit = commit;
	s.ref = ref;
	s.formats = JOB_FORMAT(RENDER_FULL) | JOB_FORMAT(RENDER_CHUNKS);
	memset(&h, 0, sizeof h);
	h.ctx = w;
	h.progress = w != NULL ? on_progress : NULL;
	h.cancel = c;
	return job_run(wk, &cfg, &s, &h, res);
}

static void
test_store_and_cache(void)
{
	struct watch w;
	struct job_result res;
	int e;

	memset(&w, 0, sizeof w);
	pthread_mutex_init(&w.mu, NULL);
	e = run("r", url, "2025-01-01T00:00:00Z", NULL, NULL, &w, NULL, &res);
	CHECK(e == 0 && res.status == JOB_STORED, "first job: %d %s", e,
	    err_str(res.err.code));
	CHECK(res.stored == (JOB_FORMAT(RENDER_FULL) |
	    JOB_FORMAT(RENDER_CHUNKS)) && strcmp(res.objects,
	    "summary.txt,chunks.jsonl") == 0, "objects: %s", res.objects);
	CHECK(strcmp(res.commit, COMMIT) == 0 && res.files == 3 &&
	    res.bytes_in == An && res.bytes_out > 0 && res.attempts == 1,
	    "result: commit %s files %llu in %llu", res.commit,
	    (unsigned long long)res.files, (unsigned long long)res.bytes_in);
	CHECK(exists("gitingest/o/r/summary.txt") &&
	    exists("gitingest/o/r/summary.txt.meta") &&
	    exists("gitingest/o/r/chunks.jsonl") &&
	    exists("gitingest/o/r/chunks.jsonl.meta"), "objects on disk");
	CHECK(w.phases == ((1u << JOB_CHECKING) | (1u << JOB_DOWNLOADING) |
	    (1u << JOB_DIGESTING) | (1u << JOB_STORING)), "phases %x",
	    w.phases);
	CHECK(w.bytes == An && w.total == An && w.files == 3,
	    "progress: %llu of %llu bytes, %llu files",
	    (unsigned long long)w.bytes, (unsigned long long)w.total,
	    (unsigned long long)w.files);

	/* the same pushedAt: a hit, and no download */
	memset(&w, 0, sizeof w);
	e = run("r", url, "2025-01-01T00:00:00Z", NULL, NULL, &w, NULL, &res);
	CHECK(e == 0 && res.status == JOB_CACHED && res.attempts == 0 &&
	    !(w.phases & (1u << JOB_DOWNLOADING)), "same pushedAt: status %d",
	    res.status);
	/* another pushedAt: made again */
	e = run("r", url, "2025-02-01T00:00:00Z", NULL, NULL, NULL, NULL, &res);
	CHECK(e == 0 && res.status == JOB_STORED, "new pushedAt: %d",
	    res.status);
	/* a known commit decides, whatever pushedAt says */
	e = run("r", url, "2030-01-01T00:00:00Z", COMMIT, NULL, NULL, NULL, &res);
	CHECK(e == 0 && res.status == JOB_CACHED, "same commit: %d", res.status);
	e = run("r", url, "2025-02-01T00:00:00Z",
	    "1111111111111111111111111111111111111111", NULL, NULL, NULL, &res);
	CHECK(e == 0 && res.status == JOB_STORED, "other commit: %d",
	    res.status);
	/* a ref that is a full commit id is a known commit (a mirror with no
	 * API): its objects are its own (@REF, decision 4), made once, then
	 * current without pushedAt */
	e = run("r", url, NULL, NULL, COMMIT, NULL, NULL, &res);
	CHECK(e == 0 && res.status == JOB_STORED &&
	    exists("gitingest/o/r/@" COMMIT "/summary.txt"),
	    "ref = commit, first: %d", res.status);
	e = run("r", url, NULL, NULL, COMMIT, NULL, NULL, &res);
	CHECK(e == 0 && res.status == JOB_CACHED, "ref = commit, again: %d",
	    res.status);
	/* nothing known: never a hit */
	e = run("r", url, NULL, NULL, "main", NULL, NULL, &res);
	CHECK(e == 0 && res.status == JOB_STORED, "nothing known: %d",
	    res.status);
}

static void
test_settings_force_dry(void)
{
	struct job_settings s;
	struct job_config other = cfg;
	struct job_result res;
	struct err_ctx ec;
	int e;

	e = run("r", url, "2025-03-01T00:00:00Z", NULL, NULL, NULL, NULL, &res);
	CHECK(e == 0 && res.status == JOB_STORED, "store: %d", res.status);
	/* another cap, another generator: not current */
	memset(&s, 0, sizeof s);
	s.max_output = 1000;
	s.chunk_size = 1000;
	s.chunk_overlap = 100;
	memset(&ec, 0, sizeof ec);
	CHECK(job_config_init(&cfg, &s, &ec) == 0, "config");
	e = run("r", url, "2025-03-01T00:00:00Z", NULL, NULL, NULL, NULL, &res);
	CHECK(e == 0 && res.status == JOB_STORED &&
	    res.due == JOB_FORMAT(RENDER_FULL), "other cap: status %d due %x",
	    res.status, res.due);
	cfg = other;
	cfg.force = 1;
	e = run("r", url, "2025-03-01T00:00:00Z", NULL, NULL, NULL, NULL, &res);
	CHECK(e == 0 && res.status == JOB_STORED, "force: %d", res.status);
	cfg = other;
	cfg.dry_run = 1;
	e = run("dry", url, "2025-03-01T00:00:00Z", NULL, NULL, NULL, NULL, &res);
	CHECK(e == 0 && res.status == JOB_WOULD_STORE &&
	    !exists("gitingest/o/dry"), "dry run: %d", res.status);
	e = run("r", url, "2025-03-01T00:00:00Z", NULL, NULL, NULL, NULL, &res);
	CHECK(e == 0 && res.status == JOB_WOULD_SKIP, "dry run hit: %d",
	    res.status);
	cfg = other;
	/* a bad pattern is named before any work ("!" alone: git's
	 * "Invalid git pattern") */
	s.excludes = (const char *const[]){ "*.c", "!", NULL };
	memset(&ec, 0, sizeof ec);
	CHECK(job_config_init(&other, &s, &ec) == ERR_PATTERN &&
	    strcmp(ec.detail, "!") == 0, "bad pattern: %s", ec.detail);
}

/* ------------------------------------------------------------ cancel */

struct trickle {
	const char *path;
	volatile int stop;
	size_t sent;
};

/* The FIFO's writer: the tarball 512 bytes at a time, every 20 ms (a 21
 * KiB archive takes ~1 s), until done or told to stop; bounded by time. */
static void *
trickle_main(void *arg)
{
	struct trickle *t = arg;
	int64_t end = net_now_ms() + 10000;
	int fd = open(t->path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	while (!t->stop && t->sent < An && net_now_ms() < end) {
		struct timespec ts = { 0, 20 * 1000000L };
		size_t n = An - t->sent < 512 ? An - t->sent : 512;
		ssize_t w = write(fd, A + t->sent, n);
		if (w <= 0)
			break;          /* the reader went: EPIPE */
		t->sent += (size_t)w;
		nanosleep(&ts, NULL);
	}
	close(fd);
	return NULL;
}

/* The canceller: once 4 KiB came, wait a little (the download is then
 * most likely waiting for the next piece) and request the cancel. */
struct canceller {
	struct watch *w;
	struct cancel *c;
	int64_t at;                     /* when it was requested */
};

static void *
canceller_main(void *arg)
{
	struct canceller *k = arg;
	int64_t end = net_now_ms() + 5000;
	struct timespec ts = { 0, 10 * 1000000L };
	uint64_t got = 0;

	while (got < 4096 && net_now_ms() < end) {
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&k->w->mu);
		got = k->w->bytes;
		pthread_mutex_unlock(&k->w->mu);
	}
	ts.tv_nsec = 35 * 1000000L;
	nanosleep(&ts, NULL);
	k->at = net_now_ms();
	cancel_request(k->c);
	return NULL;
}

static void
test_cancel(void)
{
	char fifo[400], furl[500];
	struct trickle t = { fifo, 0, 0 };
	struct cancel c;
	struct watch w;
	struct job_result res;
	struct canceller k;
	pthread_t th, kt;
	int64_t back;
	int e;

	snprintf(fifo, sizeof fifo, "%s/slow.tar", dir);
	snprintf(furl, sizeof furl, "file://%s", fifo);
	if (mkfifo(fifo, 0600) != 0) {
		CHECK(0, "mkfifo: %s", strerror(errno));
		return;
	}
	cancel_init(&c, NULL);
	memset(&w, 0, sizeof w);
	pthread_mutex_init(&w.mu, NULL);
	k.w = &w;
	k.c = &c;
	k.at = 0;
	pthread_create(&th, NULL, trickle_main, &t);
	pthread_create(&kt, NULL, canceller_main, &k);
	e = run("slow", furl, "2025-01-01T00:00:00Z", NULL, NULL, &w, &c, &res);
	back = net_now_ms();
	pthread_join(kt, NULL);
	t.stop = 1;
	pthread_join(th, NULL);
	CHECK(e == ERR_CANCELLED && res.status == JOB_FAILED &&
	    res.interrupted && res.stored == 0, "cancelled: %d %s", e,
	    err_str(e));
	CHECK(k.at != 0 && back - k.at < 2000,
	    "stopped %lld ms after the cancel (want well under 1 s)",
	    (long long)(back - k.at));
	CHECK(t.sent < An, "the download was cut short (%zu of %zu)", t.sent,
	    An);
	CHECK(!exists("gitingest/o/slow/summary.txt") &&
	    !exists("gitingest/o/slow/chunks.jsonl") && !temp_left("slow"),
	    "nothing stored");
	fprintf(stderr, "cancel: job returned %lld ms after the request\n",
	    (long long)(back - k.at));
	pthread_mutex_destroy(&w.mu);

	/* cancelled before it starts: no download at all */
	memset(&w, 0, sizeof w);
	pthread_mutex_init(&w.mu, NULL);
	e = run("none", url, "2025-01-01T00:00:00Z", NULL, NULL, &w, &c, &res);
	CHECK(e == ERR_CANCELLED && res.attempts == 0 && res.interrupted &&
	    !exists("gitingest/o/none"), "cancelled first: %d", e);
	pthread_mutex_destroy(&w.mu);
}

int
main(void)
{
	struct job_settings s;
	struct fetch_opts fo;
	struct err_ctx ec;
	const char *tmp = getenv("TMPDIR");

	signal(SIGPIPE, SIG_IGN);       /* as cli does: EPIPE, not a signal */
	snprintf(dir, sizeof dir, "%s/test_job.XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		CHECK(0, "mkdtemp: %s", strerror(errno));
		return T_DONE();
	}
	snprintf(tarpath, sizeof tarpath, "%s/o-r.tar", dir);
	snprintf(out, sizeof out, "%s/out", dir);
	snprintf(url, sizeof url, "file://%s", tarpath);
	make_tar();
	write_file(tarpath, A, An);

	memset(&s, 0, sizeof s);
	s.max_output = 524288;
	s.chunk_size = 1000;
	s.chunk_overlap = 100;
	memset(&ec, 0, sizeof ec);
	CHECK(job_config_init(&cfg, &s, &ec) == 0, "config");
	memset(&fo, 0, sizeof fo);
	fo.total_ms = 30000;
	wk = malloc(sizeof *wk);
	memset(&ec, 0, sizeof ec);
	CHECK(wk != NULL && job_worker_init(wk, out, NULL, 0, &fo, 1, &ec) == 0,
	    "worker");
	test_store_and_cache();
	test_settings_force_dry();
	test_cancel();
	job_worker_free(wk);
	free(wk);
	{
		char cmd[400];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return T_DONE();
}
