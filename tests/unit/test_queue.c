/*
 * test_queue.c - the job table (src/queue) against real SQLite files:
 * the singleton submit rules one by one, 100 threads submitting for 20 keys,
 * claim order (priority, then first come), backoff with a moved clock,
 * cancel of queued and running jobs, recovery after a child process is
 * killed (SIGKILL) while it writes, the side lock against a second opener
 * (this process and another), files that are not ours, newer or corrupt,
 * prune, DELETE's memberships, the counters for /metrics, answers only
 * after commit, and Debian's sqlite3 shell reading the table while it is
 * held. Run under musl, ASan+UBSan and TSan (the writer thread).
 *
 * `test_queue --bench [THREADS [JOBS]]` measures committed transitions per
 * second through the group-committing writer (submit, claim, complete per
 * job) and prints one line; `make bench` is where it is quoted from.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sqlite3.h"

#include "queue.h"
#include "t.h"

#define F_FULL   1u
#define F_CHUNKS 2u
#define MINUTE   60000
#define DAY      86400000LL

static char dir[256];
static _Atomic int64_t fake_now = 1700000000000LL;

/* the clock the table reads: moved by the tests, not by time */
static int64_t
clk(void *arg)
{
	(void)arg;
	return atomic_load(&fake_now);
}

static void
advance(int64_t ms)
{
	atomic_fetch_add(&fake_now, ms);
}

static void
db_path(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", dir, name);
}

/* The database and the files beside it. */
static void
rm_db(const char *path)
{
	static const char *const sfx[] = { "", "-wal", "-shm", ".lock" };
	char p[600];
	size_t i;

	for (i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
		snprintf(p, sizeof p, "%s%s", path, sfx[i]);
		unlink(p);
	}
}

static struct queue *
open_q(const char *path, int real_clock)
{
	struct queue_config cfg = { 0 };
	struct queue *q = NULL;
	struct err_ctx ec;
	char line[512];
	int rc;

	cfg.path = path;
	if (!real_clock)
		cfg.clock = clk;
	rc = queue_open(&q, &cfg, &ec);
	if (rc != 0)
		err_format(&ec, line, sizeof line);
	CHECK(rc == 0, "open %s: %s", path, rc ? line : "");
	return q;
}

static struct queue_reader *
reader(struct queue *q)
{
	struct queue_reader *r = NULL;
	struct err_ctx ec;

	CHECK(queue_reader_open(q, &r, &ec) == 0, "reader");
	return r;
}

/* op as a SUBMIT of an API request (origin 0) */
static void
request_op(struct queue_op *op, const char *repo, const char *ref,
    uint32_t formats, int prio, const char *commit)
{
	memset(op, 0, sizeof *op);
	op->kind = QUEUE_OP_SUBMIT;
	snprintf(op->in.submit.repo, QUEUE_REPO_MAX, "%s", repo);
	snprintf(op->in.submit.ref, QUEUE_REF_MAX, "%s", ref);
	op->in.submit.formats = formats;
	op->in.submit.priority = prio;
	snprintf(op->in.submit.commit, QUEUE_COMMIT_MAX, "%s", commit);
}

static int
submit(struct queue *q, struct queue_op *op, const char *repo,
    const char *ref, uint32_t formats, int prio, const char *commit)
{
	request_op(op, repo, ref, formats, prio, commit);
	return queue_run(q, op);
}

/* A new job for repo (full, priority 0), its id into id. */
static void
new_job(struct queue *q, const char *repo, char id[QUEUE_ID_LEN])
{
	struct queue_op op;

	CHECK(submit(q, &op, repo, "", F_FULL, 0, "") == 0 && op.out.created,
	    "new job %s", repo);
	memcpy(id, op.out.job.id, QUEUE_ID_LEN);
}

/* (id may point into op: copied first) */
static int
with_id(struct queue *q, struct queue_op *op, int kind, const char *id)
{
	char idc[QUEUE_ID_LEN];

	snprintf(idc, sizeof idc, "%s", id);
	memset(op, 0, sizeof *op);
	op->kind = kind;
	memcpy(op->in.id, idc, sizeof idc);
	return queue_run(q, op);
}

static int
claim(struct queue *q, struct queue_op *op)
{
	memset(op, 0, sizeof *op);
	op->kind = QUEUE_OP_CLAIM;
	return queue_run(q, op);
}

static int
complete(struct queue *q, struct queue_op *op, const char *id,
    const char *commit)
{
	char idc[QUEUE_ID_LEN];

	snprintf(idc, sizeof idc, "%s", id);
	memset(op, 0, sizeof *op);
	op->kind = QUEUE_OP_COMPLETE;
	memcpy(op->in.complete.id, idc, sizeof idc);
	op->in.complete.result.objects = 2;
	op->in.complete.result.bytes = 1234;
	op->in.complete.result.files = 7;
	op->in.complete.result.tokens = 99;
	snprintf(op->in.complete.result.commit, QUEUE_COMMIT_MAX, "%s",
	    commit);
	snprintf(op->in.complete.result.pushed_at, QUEUE_PUSHED_MAX,
	    "2024-05-01T00:00:00Z");
	return queue_run(q, op);
}

static int
fail(struct queue *q, struct queue_op *op, const char *id, const char *why,
    int retryable, int64_t retry_after)
{
	char idc[QUEUE_ID_LEN];

	snprintf(idc, sizeof idc, "%s", id);
	memset(op, 0, sizeof *op);
	op->kind = QUEUE_OP_FAIL;
	memcpy(op->in.fail.id, idc, sizeof idc);
	snprintf(op->in.fail.error, QUEUE_ERROR_MAX, "%s", why);
	op->in.fail.retryable = retryable;
	op->in.fail.retry_after_ms = retry_after;
	return queue_run(q, op);
}

static int
state_of(struct queue_reader *r, const char *id, struct queue_job *j)
{
	struct err_ctx ec;

	if (queue_get(r, id, j, &ec) != 0)
		return -1;
	return j->state;
}

/* ------------------------------------------------------------ pure parts */

static void
test_key(void)
{
	static const struct {
		const char *repo, *ref, *def, *name, *kref;
		int rc;
	} cases[] = {
		{ "Owner/Repo", "", NULL, "owner/repo", "HEAD", 0 },
		{ "owner/repo", "HEAD", NULL, "owner/repo", "HEAD", 0 },
		{ "owner/repo", "main", "main", "owner/repo", "HEAD", 0 },
		{ "owner/repo", "main", NULL, "owner/repo", "main", 0 },
		{ "owner/repo", "Main", "main", "owner/repo", "Main", 0 },
		{ "o/r", "v1.0", "", "o/r", "v1.0", 0 },
		{ "noslash", "", NULL, "", "", ERR_USAGE },
		{ "/repo", "", NULL, "", "", ERR_USAGE },
		{ "owner/", "", NULL, "", "", ERR_USAGE },
		{ "a/b/c", "", NULL, "", "", ERR_USAGE },
		{ "a b/c", "", NULL, "", "", ERR_USAGE },
		{ "a/b", "x\ny", NULL, "", "", ERR_USAGE },
	};
	struct queue_key k;
	char longname[400];
	size_t i;
	int rc;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		rc = queue_key_make(&k, cases[i].repo, cases[i].ref,
		    cases[i].def);
		CHECK(rc == cases[i].rc, "key %zu (%s): %d", i, cases[i].repo,
		    rc);
		if (rc == 0)
			CHECK(strcmp(k.name, cases[i].name) == 0 &&
			    strcmp(k.ref, cases[i].kref) == 0,
			    "key %zu: %s @ %s", i, k.name, k.ref);
	}
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	longname[10] = '/';
	CHECK(queue_key_make(&k, longname, "", NULL) == ERR_LIMIT,
	    "a name over the cap");

	/* 1 s, 2 s, 4 s ... +-25%, capped */
	CHECK(queue_backoff_ms(1, 0.0) == 750 && queue_backoff_ms(1, 0.999999)
	    <= 1250 && queue_backoff_ms(1, 0.5) == 1000, "first retry 1 s");
	CHECK(queue_backoff_ms(2, 0.5) == 2000 && queue_backoff_ms(3, 0.5) ==
	    4000, "then 2 s, 4 s");
	CHECK(queue_backoff_ms(40, 0.5) == QUEUE_BACKOFF_CAP_MS &&
	    queue_backoff_ms(1000, 0.999) <= QUEUE_BACKOFF_CAP_MS * 5 / 4,
	    "capped");
	CHECK(strcmp(queue_state_name(QUEUE_CANCELLED), "cancelled") == 0 &&
	    queue_state_parse("running", 7) == QUEUE_RUNNING &&
	    queue_state_parse("runnin", 6) == -1 &&
	    queue_state_name(QUEUE__STATES) == NULL, "state words");
}

/* ------------------------------------------------------- one job per key */

static void
test_rules(void)
{
	struct queue_op op;
	struct queue_job j;
	struct queue_reader *r;
	struct queue *q;
	char path[512], a[QUEUE_ID_LEN], dev[QUEUE_ID_LEN],
	    follow[QUEUE_ID_LEN], b[QUEUE_ID_LEN], id[QUEUE_ID_LEN];
	int rc;

	db_path(path, sizeof path, "rules.db");
	if ((q = open_q(path, 0)) == NULL)
		return;
	r = reader(q);

	/* a new key: a new queued job (202) */
	rc = submit(q, &op, "Octo/Cat", "", F_FULL, 0, "");
	CHECK(rc == 0 && op.out.created == 1 && op.out.job.state ==
	    QUEUE_QUEUED && op.out.job.attempts == 0, "first submit creates");
	memcpy(a, op.out.job.id, sizeof a);
	CHECK(strlen(a) == 36 && a[14] == '4', "a v4 UUID: %s", a);
	CHECK(strcmp(op.out.job.repo, "Octo/Cat") == 0 &&
	    strcmp(op.out.job.key.name, "octo/cat") == 0 &&
	    strcmp(op.out.job.key.ref, "HEAD") == 0, "repo as given, key "
	    "lower-cased");
	CHECK(op.out.job.origin == QUEUE_API && op.out.job.max_attempts ==
	    QUEUE_ATTEMPTS, "defaults");

	/* rule 1: while queued, the same job (200): formats unioned,
	 * priority raised, the named commit taken */
	rc = submit(q, &op, "octo/cat", "HEAD", F_CHUNKS, 5, "c1");
	CHECK(rc == 0 && op.out.created == 0 && strcmp(op.out.job.id, a) == 0,
	    "queued: the same job");
	CHECK(op.out.job.formats == (F_FULL | F_CHUNKS) &&
	    op.out.job.priority == 5 && strcmp(op.out.job.commit, "c1") == 0,
	    "merged: formats %u prio %d commit %s", op.out.job.formats,
	    op.out.job.priority, op.out.job.commit);
	rc = submit(q, &op, "OCTO/CAT", "", F_FULL, 1, "c2");
	CHECK(rc == 0 && op.out.created == 0 && op.out.job.priority == 5 &&
	    strcmp(op.out.job.commit, "c2") == 0, "priority only rises; the "
	    "newest commit wins");
	rc = submit(q, &op, "octo/cat", "", F_FULL, 0, "");
	CHECK(rc == 0 && strcmp(op.out.job.commit, "c2") == 0, "no commit "
	    "named: the commit stays");
	/* the default branch by name is HEAD too */
	memset(&op, 0, sizeof op);
	op.kind = QUEUE_OP_SUBMIT;
	snprintf(op.in.submit.repo, QUEUE_REPO_MAX, "octo/cat");
	snprintf(op.in.submit.ref, QUEUE_REF_MAX, "trunk");
	snprintf(op.in.submit.default_branch, QUEUE_REF_MAX, "trunk");
	op.in.submit.formats = F_FULL;
	op.in.submit.origin = QUEUE_WEBHOOK;
	rc = queue_run(q, &op);
	CHECK(rc == 0 && op.out.created == 0 && strcmp(op.out.job.id, a) == 0 &&
	    op.out.job.origin == QUEUE_API, "the default branch by name");

	/* another ref is another key */
	rc = submit(q, &op, "octo/cat", "dev", F_FULL, 0, "");
	CHECK(rc == 0 && op.out.created == 1 && strcmp(op.out.job.id, a) != 0,
	    "another ref, another job");
	memcpy(dev, op.out.job.id, sizeof dev);

	/* the claim takes the higher priority: a (5) before dev (0) */
	rc = claim(q, &op);
	CHECK(rc == 0 && op.out.found && strcmp(op.out.job.id, a) == 0 &&
	    op.out.job.state == QUEUE_RUNNING && op.out.job.attempts == 1,
	    "claim: priority first");

	/* rule 2: only running, formats covered, no other commit: it */
	rc = submit(q, &op, "octo/cat", "", F_CHUNKS, 0, "");
	CHECK(rc == 0 && op.out.created == 0 && strcmp(op.out.job.id, a) == 0 &&
	    op.out.job.state == QUEUE_RUNNING, "running covers: it (200)");
	rc = submit(q, &op, "octo/cat", "", F_FULL | F_CHUNKS, 0, "c2");
	CHECK(rc == 0 && op.out.created == 0 && strcmp(op.out.job.id, a) == 0,
	    "running covers, same commit: it");
	/* rule 3: a newer commit: one follow-up */
	rc = submit(q, &op, "octo/cat", "", F_FULL, 0, "c3");
	CHECK(rc == 0 && op.out.created == 1 && op.out.job.state ==
	    QUEUE_QUEUED && strcmp(op.out.job.commit, "c3") == 0,
	    "a newer commit: a follow-up (202)");
	memcpy(follow, op.out.job.id, sizeof follow);
	/* ... and then rule 1 again: the follow-up, not a third job */
	rc = submit(q, &op, "octo/cat", "", F_CHUNKS, 3, "c4");
	CHECK(rc == 0 && op.out.created == 0 && strcmp(op.out.job.id,
	    follow) == 0 && op.out.job.formats == (F_FULL | F_CHUNKS) &&
	    strcmp(op.out.job.commit, "c4") == 0, "running and queued: the "
	    "queued one");
	/* formats the running job does not cover: a follow-up */
	rc = submit(q, &op, "x/b", "", F_FULL, 9, "");
	memcpy(b, op.out.job.id, sizeof b);
	rc = claim(q, &op);
	CHECK(rc == 0 && op.out.found && strcmp(op.out.job.id, b) == 0,
	    "claim b");
	rc = submit(q, &op, "x/b", "", F_CHUNKS, 0, "");
	CHECK(rc == 0 && op.out.created == 1 && strcmp(op.out.job.id, b) != 0,
	    "formats not covered: a follow-up");
	memcpy(id, op.out.job.id, sizeof id);
	/* the follow-up waits for its key's running job */
	rc = claim(q, &op);
	CHECK(rc == 0 && op.out.found && strcmp(op.out.job.id, follow) != 0 &&
	    strcmp(op.out.job.id, id) != 0 && strcmp(op.out.job.id, dev) == 0,
	    "claim skips keys that run: %s", op.out.job.id);
	rc = claim(q, &op);
	CHECK(rc == 0 && !op.out.found && op.out.wake_at == 0,
	    "nothing claimable: both follow-ups wait");

	/* retry follows the same rules */
	rc = fail(q, &op, b, "HTTP 404", 0, 0);
	CHECK(rc == 0 && op.out.job.state == QUEUE_FAILED, "b failed");
	rc = with_id(q, &op, QUEUE_OP_RETRY, b);
	CHECK(rc == 0 && op.out.created == 0 && strcmp(op.out.job.id, id) == 0,
	    "retry while queued: the queued one");
	rc = with_id(q, &op, QUEUE_OP_CANCEL, id);
	CHECK(rc == 0 && op.out.job.state == QUEUE_CANCELLED, "cancel it");
	rc = with_id(q, &op, QUEUE_OP_RETRY, b);
	CHECK(rc == 0 && op.out.created == 1 && op.out.job.origin ==
	    QUEUE_RETRY && strcmp(op.out.job.retry_of, b) == 0 &&
	    op.out.job.priority == 9 && op.out.job.formats == F_FULL,
	    "retry: a new job, retry_of the old");
	rc = with_id(q, &op, QUEUE_OP_RETRY, dev);
	CHECK(rc == ERR_QUEUE_STATE, "retry of a running job refused");
	rc = with_id(q, &op, QUEUE_OP_RETRY, "00000000-0000-4000-8000-0000");
	CHECK(rc == ERR_QUEUE_NOT_FOUND, "retry of no job");
	CHECK(state_of(r, b, &j) == QUEUE_FAILED && j.attempts == 1,
	    "the old job keeps its history");

	/* bad requests */
	rc = submit(q, &op, "not-a-repo", "", F_FULL, 0, "");
	CHECK(rc == ERR_USAGE, "bad repo");
	rc = submit(q, &op, "o/r", "", 0, 0, "");
	CHECK(rc == ERR_USAGE, "no formats");
	memset(&op, 0, sizeof op);
	op.kind = QUEUE_OP_SUBMIT;
	memset(op.in.submit.repo, 'a', sizeof op.in.submit.repo);
	op.in.submit.formats = F_FULL;
	CHECK(queue_run(q, &op) == ERR_LIMIT, "unterminated field");
	memset(&op, 0, sizeof op);
	op.kind = 99;
	CHECK(queue_run(q, &op) == ERR_USAGE, "unknown op");

	queue_reader_close(r);
	queue_close(q);
	rm_db(path);
}

/* ------------------------------------------------------------ a push's formats */

static int
push(struct queue *q, struct queue_op *op, const char *repo,
    const char *commit)
{
	request_op(op, repo, "", F_FULL, 0, commit);
	op->in.submit.origin = QUEUE_WEBHOOK;
	return queue_run(q, op);
}

/* A push asks for the formats its key is known with (queue.h). */
static void
test_push_formats(void)
{
	char path[300], id[QUEUE_ID_LEN];
	struct queue_op op;
	struct queue *q;
	sqlite3 *db = NULL;
	int rc;

	db_path(path, sizeof path, "push.db");
	if ((q = open_q(path, 0)) == NULL)
		return;
	/* nothing known: the push's own (full) */
	rc = push(q, &op, "p/none", "c1");
	CHECK(rc == 0 && op.out.created && op.out.job.formats == F_FULL,
	    "unknown key: full (%u)", op.out.job.formats);
	/* chunks only, completed: a push refreshes chunks, not full */
	CHECK(submit(q, &op, "p/c", "", F_CHUNKS, 0, "") == 0, "chunks job");
	memcpy(id, op.out.job.id, sizeof id);
	CHECK(claim(q, &op) == 0 && op.out.found, "claim");
	CHECK(claim(q, &op) == 0 && op.out.found && strcmp(op.out.job.id,
	    id) == 0, "claim p/c");
	CHECK(complete(q, &op, id, "c1") == 0, "complete p/c");
	rc = push(q, &op, "P/C", "c2");
	CHECK(rc == 0 && op.out.created && op.out.job.formats == F_CHUNKS &&
	    strcmp(op.out.job.commit, "c2") == 0, "stored chunks: a chunks "
	    "job (%u)", op.out.job.formats);
	/* ... and after it ran, a later push still knows chunks; the
	 * formats survive pruning (the repositories row) */
	memcpy(id, op.out.job.id, sizeof id);
	CHECK(claim(q, &op) == 0 && op.out.found && strcmp(op.out.job.id,
	    id) == 0, "claim the push");
	/* running: a push of a newer commit, a follow-up in its formats */
	rc = push(q, &op, "p/c", "c3");
	CHECK(rc == 0 && op.out.created && op.out.job.formats == F_CHUNKS,
	    "running chunks: the follow-up in chunks (%u)",
	    op.out.job.formats);
	CHECK(with_id(q, &op, QUEUE_OP_CANCEL, op.out.job.id) == 0 &&
	    complete(q, &op, id, "c2") == 0, "follow-up cancelled, push done");
	/* an API job queued with both: a push merges into it, no new bits */
	CHECK(submit(q, &op, "p/q", "", F_FULL | F_CHUNKS, 0, "") == 0,
	    "queued both");
	rc = push(q, &op, "p/q", "c9");
	CHECK(rc == 0 && !op.out.created && op.out.job.formats == (F_FULL |
	    F_CHUNKS), "queued: merged, formats kept");
	queue_close(q);

	/* a table from version 1 (no stored formats): migrated, filled
	 * from the completed jobs still kept */
	CHECK(sqlite3_open(path, &db) == SQLITE_OK && sqlite3_exec(db,
	    "DROP TABLE stored_formats;"
	    "PRAGMA user_version = 1", NULL, NULL, NULL) == SQLITE_OK,
	    "back to version 1: %s", sqlite3_errmsg(db));
	sqlite3_close(db);
	if ((q = open_q(path, 0)) == NULL)
		return;
	rc = push(q, &op, "p/c", "c4");
	CHECK(rc == 0 && op.out.job.formats == F_CHUNKS, "migrated: the "
	    "stored formats known (%u)", op.out.job.formats);
	queue_close(q);
	rm_db(path);
}

/* ------------------------------------------------------------ 100 threads */

#define BURST_THREADS 100
#define BURST_KEYS 20

struct burst {
	struct queue *q;
	pthread_barrier_t *go;
	int i;
	int rc, created;
	char id[QUEUE_ID_LEN];
};

static void *
burst_one(void *arg)
{
	struct burst *b = arg;
	struct queue_op op;
	char repo[32];

	/* one key, several spellings: case, and no ref or "HEAD" */
	if (b->i % 2)
		snprintf(repo, sizeof repo, "owner/repo%d", b->i % BURST_KEYS);
	else
		snprintf(repo, sizeof repo, "Owner/Repo%d", b->i % BURST_KEYS);
	pthread_barrier_wait(b->go);
	b->rc = submit(b->q, &op, repo, b->i % 3 ? "" : "HEAD", F_FULL, 0, "");
	b->created = op.out.created;
	memcpy(b->id, op.out.job.id, sizeof b->id);
	return NULL;
}

static void
test_burst(void)
{
	static struct burst b[BURST_THREADS];
	static struct queue_job jobs[64];
	pthread_t th[BURST_THREADS];
	pthread_barrier_t go;
	struct queue_filter f = { .state = QUEUE_QUEUED };
	struct queue_reader *r;
	struct queue *q;
	struct err_ctx ec;
	char path[512];
	size_t n;
	int i, k, created = 0, same = 1, ok = 1;

	db_path(path, sizeof path, "burst.db");
	if ((q = open_q(path, 1)) == NULL)
		return;
	pthread_barrier_init(&go, NULL, BURST_THREADS);
	for (i = 0; i < BURST_THREADS; i++) {
		b[i].q = q;
		b[i].go = &go;
		b[i].i = i;
		pthread_create(&th[i], NULL, burst_one, &b[i]);
	}
	for (i = 0; i < BURST_THREADS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&go);
	for (i = 0; i < BURST_THREADS; i++) {
		ok &= b[i].rc == 0;
		created += b[i].created;
		for (k = 0; k < BURST_THREADS; k++)
			if (b[k].i % BURST_KEYS == b[i].i % BURST_KEYS &&
			    strcmp(b[k].id, b[i].id) != 0)
				same = 0;
	}
	CHECK(ok, "every submit answered");
	CHECK(created == BURST_KEYS, "%d created (202) for %d keys", created,
	    BURST_KEYS);
	CHECK(same, "one job id per key across threads");
	r = reader(q);
	CHECK(queue_list(r, &f, jobs, 64, &n, &ec) == 0 && n == BURST_KEYS,
	    "exactly %d queued jobs: %zu", BURST_KEYS, n);
	queue_reader_close(r);
	queue_close(q);
	rm_db(path);
}

/* ------------------------------------------------------------ claim order */

static void
test_order(void)
{
	static const struct {
		const char *repo;
		int prio;
	} in[] = {
		{ "p/zero-a", 0 }, { "p/five-a", 5 }, { "p/zero-b", 0 },
		{ "p/five-b", 5 }, { "p/nine", 9 }, { "p/minus", -3 },
	};
	static const char *const want[] = {
		"p/nine", "p/five-a", "p/five-b", "p/zero-a", "p/zero-b",
		"p/minus",
	};
	struct queue_op op;
	struct queue *q;
	char path[512];
	size_t i;

	db_path(path, sizeof path, "order.db");
	if ((q = open_q(path, 0)) == NULL)
		return;
	for (i = 0; i < sizeof in / sizeof in[0]; i++) {
		CHECK(submit(q, &op, in[i].repo, "", F_FULL, in[i].prio, "") ==
		    0, "submit %s", in[i].repo);
		advance(1);
	}
	for (i = 0; i < sizeof want / sizeof want[0]; i++) {
		CHECK(claim(q, &op) == 0 && op.out.found &&
		    strcmp(op.out.job.repo, want[i]) == 0,
		    "claim %zu: %s, want %s", i, op.out.job.repo, want[i]);
	}
	CHECK(claim(q, &op) == 0 && !op.out.found, "then none");
	queue_close(q);
	rm_db(path);
}

/* ------------------------------------------------------------ backoff */

static void
test_backoff(void)
{
	struct queue_attempt att[8];
	struct queue_op op;
	struct queue_reader *r;
	struct queue *q;
	struct err_ctx ec;
	char path[512], id[QUEUE_ID_LEN];
	int64_t t, d;
	size_t n;

	db_path(path, sizeof path, "backoff.db");
	if ((q = open_q(path, 0)) == NULL)
		return;
	r = reader(q);
	new_job(q, "b/one", id);

	claim(q, &op);
	t = clk(NULL);
	CHECK(fail(q, &op, id, "connection reset", 1, 0) == 0 &&
	    op.out.job.state == QUEUE_QUEUED && op.out.job.attempts == 1,
	    "retryable, attempts left: queued again");
	d = op.out.job.run_after - t;
	CHECK(d >= 750 && d <= 1250, "first backoff 1 s +-25%%: %lld",
	    (long long)d);
	CHECK(strcmp(op.out.job.error, "connection reset") == 0,
	    "the error shows while it waits");
	CHECK(claim(q, &op) == 0 && !op.out.found && op.out.wake_at == t + d,
	    "not before its time; wake_at says when");
	advance(d);
	CHECK(claim(q, &op) == 0 && op.out.found && op.out.job.attempts == 2,
	    "claimed when due, attempt 2");
	t = clk(NULL);
	fail(q, &op, id, "timed out", 1, 0);
	d = op.out.job.run_after - t;
	CHECK(d >= 1500 && d <= 2500, "second backoff 2 s +-25%%: %lld",
	    (long long)d);
	advance(d);
	claim(q, &op);
	CHECK(fail(q, &op, id, "HTTP 503", 1, 0) == 0 && op.out.job.state ==
	    QUEUE_FAILED && op.out.job.attempts == 3 && op.out.job.finished_at
	    == clk(NULL), "no attempts left: failed");
	CHECK(queue_attempts(r, id, att, 8, &n, &ec) == 0 && n == 3 &&
	    att[0].outcome == QUEUE_ATT_FAILED &&
	    strcmp(att[0].error, "connection reset") == 0 &&
	    strcmp(att[2].error, "HTTP 503") == 0 && att[1].n == 2 &&
	    att[2].finished_at == clk(NULL), "three attempts in the history");

	/* a server's Retry-After is taken (capped at an hour) */
	new_job(q, "b/two", id);
	claim(q, &op);
	fail(q, &op, id, "429", 1, 30000);
	CHECK(op.out.job.run_after == clk(NULL) + 30000, "Retry-After 30 s");
	advance(30000);
	claim(q, &op);
	fail(q, &op, id, "429", 1, 99 * 3600000LL);
	CHECK(op.out.job.run_after == clk(NULL) + QUEUE_RETRY_AFTER_CAP_MS,
	    "Retry-After capped");
	advance(QUEUE_RETRY_AFTER_CAP_MS);
	/* permanent: failed at once */
	claim(q, &op);
	CHECK(fail(q, &op, id, "not found", 0, 0) == 0 && op.out.job.state ==
	    QUEUE_FAILED && op.out.job.attempts == 3, "permanent: failed");
	CHECK(fail(q, &op, id, "x", 1, 0) == ERR_QUEUE_STATE,
	    "fail of a failed job refused");

	queue_reader_close(r);
	queue_close(q);
	rm_db(path);
}

/* ------------------------------------------------------------ cancel */

static void
test_cancel(void)
{
	struct queue_attempt att[4];
	struct queue_op op;
	struct queue_job j;
	struct queue_reader *r;
	struct queue *q;
	struct err_ctx ec;
	char path[512], id[QUEUE_ID_LEN], follow[QUEUE_ID_LEN];
	size_t n;

	db_path(path, sizeof path, "cancel.db");
	if ((q = open_q(path, 0)) == NULL)
		return;
	r = reader(q);

	/* queued: cancelled at once */
	new_job(q, "c/queued", id);
	CHECK(with_id(q, &op, QUEUE_OP_CANCEL, id) == 0 && op.out.job.state ==
	    QUEUE_CANCELLED && !op.out.cancel_pending &&
	    op.out.job.finished_at == clk(NULL), "queued: cancelled at once");
	CHECK(with_id(q, &op, QUEUE_OP_CANCEL, id) == 0 && op.out.job.state ==
	    QUEUE_CANCELLED, "again: no change, no error");
	CHECK(claim(q, &op) == 0 && !op.out.found, "a cancelled job is never "
	    "claimed");

	/* running: flagged; the worker answers */
	new_job(q, "c/running", id);
	claim(q, &op);
	CHECK(with_id(q, &op, QUEUE_OP_CANCEL, id) == 0 &&
	    op.out.cancel_pending == 1 && op.out.job.state == QUEUE_RUNNING &&
	    op.out.job.cancel_requested == 1, "running: flagged");
	CHECK(state_of(r, id, &j) == QUEUE_RUNNING && j.cancel_requested,
	    "a reader sees the flag");
	CHECK(with_id(q, &op, QUEUE_OP_CANCELLED, id) == 0 &&
	    op.out.job.state == QUEUE_CANCELLED, "the worker stopped");
	CHECK(queue_attempts(r, id, att, 4, &n, &ec) == 0 && n == 1 &&
	    att[0].outcome == QUEUE_ATT_CANCELLED, "attempt cancelled");
	CHECK(with_id(q, &op, QUEUE_OP_CANCELLED, id) == ERR_QUEUE_STATE,
	    "stopped twice refused");

	/* the worker finished first: completed stands */
	new_job(q, "c/fast", id);
	claim(q, &op);
	with_id(q, &op, QUEUE_OP_CANCEL, id);
	CHECK(complete(q, &op, id, "abc") == 0 && op.out.job.state ==
	    QUEUE_COMPLETED && !op.out.job.cancel_requested,
	    "completed before it saw the flag");
	CHECK(with_id(q, &op, QUEUE_OP_CANCEL, id) == ERR_QUEUE_STATE,
	    "cancel of a completed job refused");
	CHECK(with_id(q, &op, QUEUE_OP_CANCEL, "nope") == ERR_QUEUE_NOT_FOUND,
	    "cancel of no job");
	/* a failure after a cancel is not retried */
	new_job(q, "c/failing", id);
	claim(q, &op);
	with_id(q, &op, QUEUE_OP_CANCEL, id);
	CHECK(fail(q, &op, id, "reset", 1, 0) == 0 && op.out.job.state ==
	    QUEUE_CANCELLED, "cancel asked: no retry");

	/* a retry that meets a queued follow-up: failed, merged into it */
	submit(q, &op, "c/merge", "", F_FULL, 0, "c1");
	memcpy(id, op.out.job.id, sizeof id);
	claim(q, &op);
	submit(q, &op, "c/merge", "", F_CHUNKS, 4, "c2");
	memcpy(follow, op.out.job.id, sizeof follow);
	CHECK(fail(q, &op, id, "reset", 1, 0) == 0 && op.out.job.state ==
	    QUEUE_FAILED && strcmp(op.out.job.merged_into, follow) == 0,
	    "retry beside a follow-up: merged into it");
	CHECK(state_of(r, follow, &j) == QUEUE_QUEUED && j.formats == (F_FULL |
	    F_CHUNKS) && strcmp(j.commit, "c2") == 0 && j.priority == 4,
	    "the follow-up took its formats, kept its commit");

	/* REQUEUE (shutdown past its grace): queued, attempt interrupted */
	claim(q, &op);
	CHECK(op.out.found && strcmp(op.out.job.id, follow) == 0, "claim");
	CHECK(with_id(q, &op, QUEUE_OP_REQUEUE, follow) == 0 &&
	    op.out.job.state == QUEUE_QUEUED && op.out.job.attempts == 1,
	    "requeued, the attempt counted");
	CHECK(queue_attempts(r, follow, att, 4, &n, &ec) == 0 && n == 1 &&
	    att[0].outcome == QUEUE_ATT_INTERRUPTED, "attempt interrupted");
	CHECK(claim(q, &op) == 0 && op.out.found && op.out.job.attempts == 2,
	    "claimed again at once");

	queue_reader_close(r);
	queue_close(q);
	rm_db(path);
}

/* ------------------------------------------------------------ recovery */

/* A restart with running jobs, made on purpose (no process killed): each
 * recovery rule once. */
static void
test_recover_rules(void)
{
	struct queue_attempt att[4];
	struct queue_op op;
	struct queue_job j;
	struct queue_reader *r;
	struct queue *q;
	struct err_ctx ec;
	char path[512], plain[QUEUE_ID_LEN], flagged[QUEUE_ID_LEN],
	    last[QUEUE_ID_LEN], waiting[QUEUE_ID_LEN], done[QUEUE_ID_LEN];
	size_t n;

	db_path(path, sizeof path, "recover.db");
	if ((q = open_q(path, 0)) == NULL)
		return;
	new_job(q, "r/plain", plain);
	new_job(q, "r/flagged", flagged);
	memset(&op, 0, sizeof op);
	op.kind = QUEUE_OP_SUBMIT;
	snprintf(op.in.submit.repo, QUEUE_REPO_MAX, "r/last");
	op.in.submit.formats = F_FULL;
	op.in.submit.max_attempts = 1;
	queue_run(q, &op);
	memcpy(last, op.out.job.id, sizeof last);
	new_job(q, "r/done", done);
	while (claim(q, &op) == 0 && op.out.found)
		;
	complete(q, &op, done, "d1");
	with_id(q, &op, QUEUE_OP_CANCEL, flagged);
	new_job(q, "r/waiting", waiting);
	queue_close(q);                 /* three left running */

	advance(MINUTE);
	if ((q = open_q(path, 0)) == NULL)
		return;
	r = reader(q);
	CHECK(state_of(r, plain, &j) == QUEUE_QUEUED && j.attempts == 1 &&
	    j.run_after == clk(NULL), "running → queued, attempt counted, due");
	CHECK(queue_attempts(r, plain, att, 4, &n, &ec) == 0 && n == 1 &&
	    att[0].outcome == QUEUE_ATT_INTERRUPTED && att[0].finished_at ==
	    clk(NULL), "its attempt closed as interrupted");
	CHECK(state_of(r, flagged, &j) == QUEUE_CANCELLED, "cancel asked "
	    "before the crash: cancelled");
	CHECK(state_of(r, last, &j) == QUEUE_FAILED && j.attempts == 1 &&
	    strstr(j.error, "last attempt") != NULL, "its last attempt: "
	    "failed (%s)", j.error);
	CHECK(state_of(r, waiting, &j) == QUEUE_QUEUED && j.attempts == 0,
	    "queued stays queued");
	CHECK(state_of(r, done, &j) == QUEUE_COMPLETED && j.has_result &&
	    j.result.files == 7 && strcmp(j.result.commit, "d1") == 0,
	    "completed stays completed");
	queue_reader_close(r);
	queue_close(q);
	rm_db(path);
}

/* The child: writes as fast as it can from four threads until killed. */
static void *
crash_writer(void *arg)
{
	struct queue *q = arg;
	struct queue_op op;
	char repo[32], running[8][QUEUE_ID_LEN];
	unsigned i, nrun = 0, seed = (unsigned)(uintptr_t)&op;

	for (i = 0;; i++) {
		seed = seed * 1103515245u + 12345u;
		snprintf(repo, sizeof repo, "crash/r%u", (seed >> 8) % 40);
		submit(q, &op, repo, "", (seed >> 4) % 2 ? F_FULL : F_CHUNKS,
		    (int)((seed >> 12) % 3), "");
		if (claim(q, &op) == 0 && op.out.found) {
			if (nrun == 8) {        /* finish the oldest */
				if ((seed >> 16) % 4 == 0)
					fail(q, &op, running[0], "reset", 1,
					    1);
				else
					complete(q, &op, running[0], "c");
				memmove(running[0], running[1],
				    sizeof running[0] * 7);
				nrun--;
			}
			memcpy(running[nrun++], op.out.job.id, QUEUE_ID_LEN);
		}
	}
	return NULL;
}

static int
crash_child(const char *path)
{
	struct queue_config cfg = { 0 };
	struct queue *q;
	struct err_ctx ec;
	pthread_t th[4];
	int i;

	cfg.path = path;
	if (queue_open(&q, &cfg, &ec) != 0)
		return 3;
	for (i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, crash_writer, q);
	for (;;)
		pause();
}

struct seen {
	char id[QUEUE_ID_LEN];
	int attempts;
};

/* ids and attempts of the jobs in state, read with a plain connection */
static int
snapshot(sqlite3 *db, const char *state, struct seen *s, int cap)
{
	sqlite3_stmt *st = NULL;
	int n = 0;

	sqlite3_prepare_v2(db, "SELECT id, attempts FROM jobs WHERE state = ?",
	    -1, &st, NULL);
	sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW && n < cap) {
		snprintf(s[n].id, QUEUE_ID_LEN, "%s",
		    (const char *)sqlite3_column_text(st, 0));
		s[n++].attempts = sqlite3_column_int(st, 1);
	}
	sqlite3_finalize(st);
	return n;
}

static int64_t
count_sql(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void
test_crash(const char *self)
{
	static struct seen run[128], qd[128];
	struct queue_attempt att[8];
	struct queue_job j;
	struct queue_reader *r;
	struct queue *q;
	struct err_ctx ec;
	struct stat sb;
	sqlite3 *db;
	char path[512], wal[600];
	int64_t finished, after;
	int round, nrun, nq, i, status, ok;
	size_t n;
	pid_t pid;

	db_path(path, sizeof path, "crash.db");
	snprintf(wal, sizeof wal, "%s-wal", path);
	for (round = 0; round < 3; round++) {
		pid = fork();
		if (pid == 0) {
			execl(self, self, "--crash-child", path, (char *)NULL);
			_exit(127);
		}
		/* let it write until jobs run (at most 10 s: a sanitizer
		 * build starts slowly), then a little more, then kill it
		 * wherever it is (in an fsync, a step or between) */
		for (i = 0; i < 500 && waitpid(pid, &status, WNOHANG) == 0;
		    i++) {
			usleep(20000);
			db = NULL;
			if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
			    NULL) == SQLITE_OK && count_sql(db, "SELECT "
			    "count(*) FROM jobs WHERE state = 'running'") >=
			    8) {
				sqlite3_close(db);
				break;
			}
			sqlite3_close(db);
		}
		usleep((useconds_t)(10000 + round * 37000));
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		    "round %d: the child was killed (status %d)", round,
		    status);
		CHECK(stat(wal, &sb) == 0 && sb.st_size > 0, "round %d: it "
		    "was writing (a WAL of %lld bytes)", round,
		    (long long)sb.st_size);

		/* before recovery, as SQLite left it */
		db = NULL;
		sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
		nrun = snapshot(db, "running", run, 128);
		nq = snapshot(db, "queued", qd, 128);
		finished = count_sql(db, "SELECT count(*) FROM jobs WHERE "
		    "state IN ('completed', 'failed', 'cancelled')");
		CHECK(count_sql(db, "SELECT count(*) FROM jobs") > 0,
		    "round %d: jobs were committed", round);
		sqlite3_close(db);
		CHECK(nrun > 0, "round %d: %d running at the kill", round,
		    nrun);

		if ((q = open_q(path, 1)) == NULL)
			return;
		r = reader(q);
		ok = 1;
		for (i = 0; i < nrun; i++) {
			/* queued again with the attempt counted; or failed
			 * beside a queued follow-up (merged), or on its last
			 * attempt; its attempt closed as interrupted */
			if (state_of(r, run[i].id, &j) < 0 ||
			    j.attempts != run[i].attempts ||
			    !(j.state == QUEUE_QUEUED || (j.state ==
			    QUEUE_FAILED && (j.merged_into[0] != '\0' ||
			    j.attempts >= j.max_attempts))))
				ok = 0;
			if (queue_attempts(r, run[i].id, att, 8, &n, &ec) !=
			    0 || n == 0 || n != (size_t)run[i].attempts ||
			    att[n - 1].outcome != QUEUE_ATT_INTERRUPTED)
				ok = 0;
		}
		CHECK(ok, "round %d: every running job requeued (or merged), "
		    "its attempt interrupted", round);
		ok = 1;
		for (i = 0; i < nq; i++)
			if (state_of(r, qd[i].id, &j) != QUEUE_QUEUED ||
			    j.attempts != qd[i].attempts)
				ok = 0;
		CHECK(ok, "round %d: %d queued stay queued", round, nq);
		queue_reader_close(r);
		queue_close(q);

		db = NULL;
		sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
		after = count_sql(db, "SELECT count(*) FROM jobs WHERE "
		    "state IN ('completed', 'failed', 'cancelled')");
		CHECK(count_sql(db, "SELECT count(*) FROM jobs WHERE state = "
		    "'running'") == 0, "round %d: nothing running", round);
		CHECK(after >= finished && after - finished <= nrun,
		    "round %d: finished jobs unchanged but for merged ones "
		    "(%lld → %lld)", round, (long long)finished,
		    (long long)after);
		CHECK(count_sql(db, "SELECT count(*) FROM "
		    "pragma_integrity_check WHERE integrity_check = 'ok'") == 1,
		    "round %d: integrity_check ok", round);
		CHECK(count_sql(db, "SELECT count(*) FROM attempts WHERE "
		    "outcome IS NULL") == 0, "round %d: no open attempt",
		    round);
		sqlite3_close(db);
	}
	rm_db(path);
}

/* A database failure after an op wrote (here a trigger an operator might
 * add with the sqlite3 shell): the batch is rolled back whole, nothing of
 * the op stays, and the table goes on once the cause is gone. */
static void
test_broken(void)
{
	struct queue_op op;
	struct queue_job j;
	struct queue_reader *r;
	struct queue *q;
	sqlite3 *db = NULL;
	char path[512], id[QUEUE_ID_LEN], line[512];

	db_path(path, sizeof path, "broken.db");
	if ((q = open_q(path, 0)) == NULL)
		return;
	r = reader(q);
	new_job(q, "k/one", id);
	sqlite3_open(path, &db);
	CHECK(sqlite3_exec(db, "CREATE TRIGGER boom BEFORE INSERT ON attempts "
	    "BEGIN SELECT RAISE(ABORT, 'boom'); END", NULL, NULL, NULL) ==
	    SQLITE_OK, "trigger");
	/* the claim marks the job running, then its attempt row fails */
	CHECK(claim(q, &op) == ERR_DB && !op.out.found, "claim fails: %d",
	    op.out.ec.code);
	err_format(&op.out.ec, line, sizeof line);
	CHECK(strstr(line, "boom") != NULL && strncmp(line, path,
	    strlen(path)) == 0, "the database's words, the file: %s", line);
	CHECK(state_of(r, id, &j) == QUEUE_QUEUED && j.attempts == 0 &&
	    j.started_at == 0, "nothing of it stayed");
	CHECK(sqlite3_exec(db, "DROP TRIGGER boom", NULL, NULL, NULL) ==
	    SQLITE_OK, "drop trigger");
	sqlite3_close(db);
	CHECK(claim(q, &op) == 0 && op.out.found && strcmp(op.out.job.id, id) ==
	    0 && op.out.job.attempts == 1, "then the claim works");
	queue_reader_close(r);
	queue_close(q);
	rm_db(path);
}

/* ------------------------------------------------------------ open refusals */

/* The child that opens a table and says how it went. */
static int
open_child(const char *path)
{
	struct queue_config cfg = { 0 };
	struct queue *q;
	struct err_ctx ec;
	char line[600];

	cfg.path = path;
	if (queue_open(&q, &cfg, &ec) != 0) {
		err_format(&ec, line, sizeof line);
		printf("%s\n", line);
		return 3;
	}
	queue_close(q);
	printf("opened\n");
	return 0;
}

/* Open path and expect code, with the path first in the one-line message
 * and want in it. */
static void
refused(const char *path, int code, const char *want)
{
	struct queue_config cfg = { 0 };
	struct queue *q = NULL;
	struct err_ctx ec;
	char line[600];
	int rc;

	cfg.path = path;
	rc = queue_open(&q, &cfg, &ec);
	err_format(&ec, line, sizeof line);
	CHECK(rc == code && q == NULL, "%s: code %d, want %d (%s)", path, rc,
	    code, line);
	CHECK(strncmp(line, path, strlen(path)) == 0 && strstr(line, want) !=
	    NULL && strchr(line, '\n') == NULL, "message: %s", line);
	if (rc == 0)
		queue_close(q);
}

static void
test_lock(const char *self)
{
	struct queue *q;
	FILE *p;
	char path[512], cmd[1200], line[600], want[64];
	int st;

	db_path(path, sizeof path, "lock.db");
	if ((q = open_q(path, 0)) == NULL)
		return;
	snprintf(want, sizeof want, "held by pid %ld", (long)getpid());
	refused(path, ERR_DB_LOCKED, want);
	/* another process: the same refusal, on its standard output */
	snprintf(cmd, sizeof cmd, "'%s' --open '%s'", self, path);
	p = popen(cmd, "r");
	line[0] = '\0';
	if (p != NULL && fgets(line, sizeof line, p) == NULL)
		line[0] = '\0';
	st = p != NULL ? pclose(p) : -1;
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3 && strstr(line,
	    "database in use by another repodigest process") != NULL &&
	    strstr(line, want) != NULL && strncmp(line, path, strlen(path))
	    == 0, "another process refused: %s", line);
	queue_close(q);
	/* released on close: the other process opens it now */
	p = popen(cmd, "r");
	line[0] = '\0';
	if (p != NULL && fgets(line, sizeof line, p) == NULL)
		line[0] = '\0';
	st = p != NULL ? pclose(p) : -1;
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0 && strcmp(line, "opened\n")
	    == 0, "after close another process opens it: %s", line);
	rm_db(path);
}

static void
write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	CHECK(f != NULL && fwrite(p, 1, n, f) == n && fclose(f) == 0,
	    "write %s", path);
}

static void
test_not_ours(void)
{
	static const char text[] = "hello, this is a text file and not a "
	    "database at all; it is long enough to be read as a header, "
	    "which SQLite then refuses\n";
	unsigned char junk[4096];
	struct queue_op op;
	struct queue *q;
	sqlite3 *db;
	char path[512];
	int fd, i;

	db_path(path, sizeof path, "text.db");
	write_file(path, text, sizeof text - 1);
	refused(path, ERR_DB_NOT_OURS, "not an SQLite database");
	rm_db(path);

	/* another program's database */
	db_path(path, sizeof path, "other.db");
	sqlite3_open(path, &db);
	sqlite3_exec(db, "CREATE TABLE notes (x TEXT); PRAGMA application_id "
	    "= 1234", NULL, NULL, NULL);
	sqlite3_close(db);
	refused(path, ERR_DB_NOT_OURS, "another program's SQLite database");
	rm_db(path);

	/* ours, but from a newer version */
	db_path(path, sizeof path, "newer.db");
	if ((q = open_q(path, 0)) == NULL)
		return;
	queue_close(q);
	sqlite3_open(path, &db);
	sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL);
	sqlite3_close(db);
	refused(path, ERR_DB_NEWER, "schema version 99");
	rm_db(path);

	/* an empty file is a new table */
	db_path(path, sizeof path, "empty.db");
	write_file(path, "", 0);
	if ((q = open_q(path, 0)) != NULL)
		queue_close(q);
	rm_db(path);

	/* corrupt: pages of the jobs table overwritten */
	db_path(path, sizeof path, "corrupt.db");
	if ((q = open_q(path, 0)) == NULL)
		return;
	for (i = 0; i < 200; i++) {
		char repo[32];

		snprintf(repo, sizeof repo, "corrupt/r%d", i);
		submit(q, &op, repo, "", F_FULL, 0, "");
	}
	queue_close(q);                 /* checkpointed into the file */
	for (i = 0; i < (int)sizeof junk; i++)
		junk[i] = (unsigned char)(i * 37 + 11);
	fd = open(path, O_WRONLY);
	CHECK(fd >= 0 && pwrite(fd, junk, sizeof junk, 4096 * 3) ==
	    (ssize_t)sizeof junk && close(fd) == 0, "overwrite page 4");
	refused(path, ERR_DB_CORRUPT, "corrupt");
	rm_db(path);

	/* a directory that is not there */
	db_path(path, sizeof path, "no/such/dir/x.db");
	refused(path, ERR_IO, "lock file");
}

/* ------------------------------------------------------------ prune, DELETE */

static void
test_prune(void)
{
	struct queue_attempt att[4];
	struct queue_op op;
	struct queue_job j;
	struct queue_repo rp;
	struct queue_key k;
	struct queue_reader *r;
	struct queue *q;
	struct err_ctx ec;
	char path[512], old[QUEUE_ID_LEN], recent[QUEUE_ID_LEN],
	    queued[QUEUE_ID_LEN], oldfail[QUEUE_ID_LEN];
	size_t n;

	db_path(path, sizeof path, "prune.db");
	if ((q = open_q(path, 0)) == NULL)
		return;
	r = reader(q);
	new_job(q, "p/old", old);
	claim(q, &op);
	complete(q, &op, old, "o1");
	new_job(q, "p/oldfail", oldfail);
	claim(q, &op);
	fail(q, &op, oldfail, "gone", 0, 0);
	new_job(q, "p/queued", queued);
	advance(10 * DAY);
	new_job(q, "p/recent", recent);
	with_id(q, &op, QUEUE_OP_CANCEL, recent);
	advance(5 * DAY);

	memset(&op, 0, sizeof op);
	op.kind = QUEUE_OP_PRUNE;
	op.in.age_ms = 14 * DAY;
	CHECK(queue_run(q, &op) == 0 && op.out.count == 2 && !op.out.more,
	    "two finished jobs older than 14 days pruned: %lld",
	    (long long)op.out.count);
	CHECK(state_of(r, old, &j) < 0 && state_of(r, oldfail, &j) < 0,
	    "gone");
	CHECK(queue_attempts(r, old, att, 4, &n, &ec) == ERR_QUEUE_NOT_FOUND,
	    "with their attempts");
	CHECK(state_of(r, recent, &j) == QUEUE_CANCELLED, "a recent one "
	    "stays");
	CHECK(state_of(r, queued, &j) == QUEUE_QUEUED, "an old queued job "
	    "stays");
	queue_key_make(&k, "p/old", "", NULL);
	CHECK(queue_repo_get(r, &k, &rp, &ec) == 0 && strcmp(rp.last_commit,
	    "o1") == 0 && strcmp(rp.last_job, old) == 0, "the repository row "
	    "stays");
	memset(&op, 0, sizeof op);
	op.kind = QUEUE_OP_PRUNE;
	op.in.age_ms = 14 * DAY;
	CHECK(queue_run(q, &op) == 0 && op.out.count == 0, "nothing more");

	/* the schedule's unchanged repository: its row, no job */
	memset(&op, 0, sizeof op);
	op.kind = QUEUE_OP_CHECKED;
	snprintf(op.in.checked.repo, QUEUE_REPO_MAX, "P/Old");
	snprintf(op.in.checked.pushed_at, QUEUE_PUSHED_MAX, "2024-06-01");
	CHECK(queue_run(q, &op) == 0, "checked");
	CHECK(queue_repo_get(r, &k, &rp, &ec) == 0 && rp.last_checked ==
	    clk(NULL) && strcmp(rp.last_commit, "o1") == 0 &&
	    strcmp(rp.last_pushed_at, "2024-06-01") == 0 &&
	    strcmp(rp.repo, "P/Old") == 0, "its row: checked now, commit "
	    "kept, pushedAt new");
	queue_key_make(&k, "p/never", "", NULL);
	CHECK(queue_repo_get(r, &k, &rp, &ec) == ERR_QUEUE_NOT_FOUND,
	    "no row for a repository never seen");

	queue_reader_close(r);
	queue_close(q);
	rm_db(path);
}

static int
member(struct queue *q, const char *project, const char *dataset,
    const char *repo, const char *ref)
{
	struct queue_op op;

	memset(&op, 0, sizeof op);
	op.kind = QUEUE_OP_SUBMIT;
	snprintf(op.in.submit.repo, QUEUE_REPO_MAX, "%s", repo);
	snprintf(op.in.submit.ref, QUEUE_REF_MAX, "%s", ref);
	snprintf(op.in.submit.project, QUEUE_NAME_MAX, "%s", project);
	snprintf(op.in.submit.dataset, QUEUE_NAME_MAX, "%s", dataset);
	op.in.submit.formats = F_FULL;
	return queue_run(q, &op);
}

static int
unlink_op(struct queue *q, struct queue_op *op, const char *project,
    const char *dataset, const char *repo, struct queue_pair *pairs,
    size_t cap)
{
	memset(op, 0, sizeof *op);
	op->kind = QUEUE_OP_UNLINK;
	snprintf(op->in.unlink.project, QUEUE_NAME_MAX, "%s", project);
	snprintf(op->in.unlink.dataset, QUEUE_NAME_MAX, "%s", dataset);
	snprintf(op->in.unlink.repo, QUEUE_REPO_MAX, "%s", repo);
	op->in.unlink.pairs = pairs;
	op->in.unlink.cap = cap;
	return queue_run(q, op);
}

static void
test_unlink(void)
{
	struct queue_pair pairs[4];
	struct queue_op op;
	struct queue *q;
	char path[512];

	db_path(path, sizeof path, "unlink.db");
	if ((q = open_q(path, 0)) == NULL)
		return;
	member(q, "p1", "d1", "Own/A", "");
	member(q, "p1", "d2", "own/a", "HEAD");         /* the same key */
	member(q, "p1", "d1", "own/b", "");
	member(q, "p2", "d9", "own/b", "");
	member(q, "p1", "d3", "own/c", "v1");
	member(q, "p1", "d3", "own/c", "v2");
	member(q, "p1", "d3", "own/d", "");

	CHECK(unlink_op(q, &op, "p1", "d1", "", pairs, 4) == 0 &&
	    op.out.count == 2 && op.out.npairs == 0 && !op.out.more,
	    "p1/d1: two memberships, every pair still held elsewhere");
	CHECK(unlink_op(q, &op, "p1", "d2", "", pairs, 4) == 0 &&
	    op.out.count == 1 && op.out.npairs == 1 &&
	    strcmp(pairs[0].key.name, "own/a") == 0 &&
	    strcmp(pairs[0].key.ref, "HEAD") == 0 &&
	    strcmp(pairs[0].repo, "own/a") == 0, "p1/d2: own/a no longer "
	    "held");
	CHECK(unlink_op(q, &op, "p1", "d1", "", pairs, 4) == 0 &&
	    op.out.count == 0, "again: nothing matches (404)");
	CHECK(unlink_op(q, &op, "p2", "", "OWN/B", pairs, 4) == 0 &&
	    op.out.count == 1 && op.out.npairs == 1 &&
	    strcmp(pairs[0].key.name, "own/b") == 0, "p2, repo own/b: gone");
	/* a cap of one pair: two calls */
	CHECK(unlink_op(q, &op, "p1", "d3", "", pairs, 1) == 0 &&
	    op.out.npairs == 1 && op.out.more == 1 && strcmp(pairs[0].ref,
	    "v1") == 0, "cap 1: the first pair, more");
	CHECK(unlink_op(q, &op, "p1", "d3", "", pairs, 1) == 0 &&
	    op.out.npairs == 1 && op.out.more == 1 && strcmp(pairs[0].ref,
	    "v2") == 0, "then the next");
	CHECK(unlink_op(q, &op, "p1", "d3", "", pairs, 1) == 0 &&
	    op.out.npairs == 1 && op.out.more == 0 &&
	    strcmp(pairs[0].key.name, "own/d") == 0, "then the last");
	CHECK(unlink_op(q, &op, "p1", "d1", "own/a", pairs, 4) == ERR_USAGE &&
	    unlink_op(q, &op, "", "d1", "", pairs, 4) == ERR_USAGE,
	    "dataset or repo, and a project");
	queue_close(q);
	rm_db(path);
}

/* ------------------------------------------------------------ history */

static void
test_list(void)
{
	static struct queue_job jobs[16];
	struct queue_filter f = { .state = -1 };
	struct queue_op op;
	struct queue_reader *r;
	struct queue *q;
	struct err_ctx ec;
	char path[512], repo[32];
	int64_t before;
	size_t n, total;
	int i, ok;

	db_path(path, sizeof path, "list.db");
	if ((q = open_q(path, 0)) == NULL)
		return;
	/* ten jobs: even ones in project "even", every third one running */
	for (i = 0; i < 10; i++) {
		snprintf(repo, sizeof repo, "list/R%d", i);
		memset(&op, 0, sizeof op);
		op.kind = QUEUE_OP_SUBMIT;
		snprintf(op.in.submit.repo, QUEUE_REPO_MAX, "%s", repo);
		snprintf(op.in.submit.project, QUEUE_NAME_MAX, "%s",
		    i % 2 ? "odd" : "even");
		op.in.submit.formats = F_FULL;
		op.in.submit.priority = i % 3 == 0 ? 1 : 0;
		queue_run(q, &op);
	}
	for (i = 0; i < 4; i++)         /* the four of priority 1 */
		claim(q, &op);
	r = reader(q);
	CHECK(queue_list(r, &f, jobs, 16, &n, &ec) == 0 && n == 10,
	    "all: %zu", n);
	ok = 1;
	for (i = 1; i < (int)n; i++)
		ok &= jobs[i].seq < jobs[i - 1].seq;
	CHECK(ok && strcmp(jobs[0].repo, "list/R9") == 0, "newest first");
	/* pages of three, by the cursor */
	before = 0;
	total = 0;
	for (i = 0; i < 10; i++) {
		f.before = before;
		if (queue_list(r, &f, jobs, 3, &n, &ec) != 0 || n == 0)
			break;
		total += n;
		before = jobs[n - 1].seq;
	}
	CHECK(total == 10 && i == 4, "four pages of at most three: %zu in "
	    "%d", total, i);
	f.before = 0;
	f.state = QUEUE_RUNNING;
	CHECK(queue_list(r, &f, jobs, 16, &n, &ec) == 0 && n == 4,
	    "running: %zu", n);
	f.project = "even";
	CHECK(queue_list(r, &f, jobs, 16, &n, &ec) == 0 && n == 2 &&
	    strcmp(jobs[0].repo, "list/R6") == 0 && strcmp(jobs[1].repo,
	    "list/R0") == 0, "running in project even: R6, R0");
	f.state = -1;
	f.repo = "LIST/r4";
	CHECK(queue_list(r, &f, jobs, 16, &n, &ec) == 0 && n == 1 &&
	    strcmp(jobs[0].repo, "list/R4") == 0, "a repo in any case");
	f.project = "odd";
	CHECK(queue_list(r, &f, jobs, 16, &n, &ec) == 0 && n == 0,
	    "not in that project");
	f.project = NULL;
	f.repo = "not a repo";
	CHECK(queue_list(r, &f, jobs, 16, &n, &ec) == ERR_USAGE,
	    "a bad repo filter");
	CHECK(queue_get(r, "x", jobs, &ec) == ERR_QUEUE_NOT_FOUND &&
	    strcmp(ec.source, "x") == 0, "no such job, named");
	queue_reader_close(r);
	queue_close(q);
	rm_db(path);
}

/* ------------------------------------------------------------ metrics */

static void
test_stats(void)
{
	struct queue_stats st;
	struct queue_op op;
	struct queue_reader *r;
	struct queue *q;
	struct err_ctx ec;
	char path[512], id[QUEUE_ID_LEN];

	db_path(path, sizeof path, "stats.db");
	if ((q = open_q(path, 0)) == NULL)
		return;
	new_job(q, "s/a", id);
	claim(q, &op);
	advance(300);
	complete(q, &op, id, "x");
	new_job(q, "s/b", id);
	claim(q, &op);
	advance(70000);
	fail(q, &op, id, "bad", 0, 0);
	submit(q, &op, "s/c", "", F_FULL, 0, "");
	with_id(q, &op, QUEUE_OP_CANCEL, op.out.job.id);
	submit(q, &op, "s/d", "", F_FULL, 0, "");
	submit(q, &op, "s/e", "", F_FULL, 0, "");
	claim(q, &op);
	r = reader(q);
	CHECK(queue_stats(r, &st, &ec) == 0, "stats");
	CHECK(st.jobs[QUEUE_QUEUED] == 1 && st.jobs[QUEUE_RUNNING] == 1 &&
	    st.jobs[QUEUE_COMPLETED] == 1 && st.jobs[QUEUE_FAILED] == 1 &&
	    st.jobs[QUEUE_CANCELLED] == 1, "one in each state");
	CHECK(st.finished[QUEUE_COMPLETED] == 1 && st.finished[QUEUE_FAILED]
	    == 1 && st.finished[QUEUE_CANCELLED] == 1, "counters");
	/* runs: 300 ms (completed) and 70 s (failed); the cancelled one
	 * never ran */
	CHECK(st.runs == 2 && st.run_ms == 70300, "runs %lld, %lld ms",
	    (long long)st.runs, (long long)st.run_ms);
	CHECK(st.le[1] == 0 && st.le[2] == 1 && st.le[7] == 1 && st.le[8] ==
	    1 && st.le[9] == 2, "buckets cumulative: 300 ms <= 500, 70 s <= "
	    "300 s");
	queue_reader_close(r);
	queue_close(q);
	rm_db(path);
}

/* ------------------------------------------------------------ async */

#define ASYNC_OPS 16

struct async {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done, order[ASYNC_OPS], visible[ASYNC_OPS];
	const char *path;
};

struct async_op {
	struct queue_op op;
	struct async *a;
	int i;
};

/* done(): on the writer thread, after the commit; a connection of its own
 * must already see the job */
static void
async_done(struct queue_op *op)
{
	struct async_op *ao = op->arg;
	struct async *a = ao->a;
	sqlite3_stmt *st = NULL;
	sqlite3 *db = NULL;
	int seen = 0;

	if (op->out.ec.code == 0 &&
	    sqlite3_open_v2(a->path, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(db, "SELECT count(*) FROM jobs "
	    "WHERE id = ?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, op->out.job.id, -1, SQLITE_STATIC);
		seen = sqlite3_step(st) == SQLITE_ROW &&
		    sqlite3_column_int(st, 0) == 1;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	pthread_mutex_lock(&a->mu);
	a->visible[ao->i] = seen;
	a->order[a->done++] = ao->i;
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
}

/* A SUBMIT of repo (full, priority 0) for queue_post, done() given. */
static void
submit_op(struct queue_op *op, const char *repo,
    void (*done)(struct queue_op *))
{
	memset(op, 0, sizeof *op);
	op->kind = QUEUE_OP_SUBMIT;
	snprintf(op->in.submit.repo, QUEUE_REPO_MAX, "%s", repo);
	op->in.submit.formats = F_FULL;
	op->done = done;
}

static void
test_async(void)
{
	static struct async_op ops[ASYNC_OPS];
	struct async a;
	struct queue *q;
	struct timespec until;
	char path[512];
	int i, inorder = 1, seen = 1;

	db_path(path, sizeof path, "async.db");
	if ((q = open_q(path, 0)) == NULL)
		return;
	memset(&a, 0, sizeof a);
	pthread_mutex_init(&a.mu, NULL);
	pthread_cond_init(&a.cv, NULL);
	a.path = path;
	for (i = 0; i < ASYNC_OPS; i++) {
		char repo[32];
		memset(&ops[i], 0, sizeof ops[i]);
		ops[i].a = &a;
		ops[i].i = i;
		snprintf(repo, sizeof repo, "async/r%d", i);
		submit_op(&ops[i].op, repo, async_done);
		ops[i].op.arg = &ops[i];
		queue_post(q, &ops[i].op);
	}
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 30;
	pthread_mutex_lock(&a.mu);
	while (a.done < ASYNC_OPS)
		if (pthread_cond_timedwait(&a.cv, &a.mu, &until) != 0)
			break;
	pthread_mutex_unlock(&a.mu);
	CHECK(a.done == ASYNC_OPS, "every done() called: %d", a.done);
	for (i = 0; i < a.done; i++) {
		inorder &= a.order[i] == i;
		seen &= a.visible[i];
	}
	CHECK(inorder, "answered in the order posted");
	CHECK(seen, "each committed before its done()");
	queue_close(q);
	pthread_cond_destroy(&a.cv);
	pthread_mutex_destroy(&a.mu);
	rm_db(path);
}

/* ------------------------------------------------------------ post2 */

/* A job's end and the next claim posted as one (queue_post2) share a
 * transaction even where a batch would end between them: the writer is held
 * in a done() while QUEUE_GROUP - 1 submits and the pair gather, so the pair
 * straddles the group's bound. */
#define P2_FILL 255     /* QUEUE_GROUP - 1 (queue.c) */

struct p2 {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int holding, release, done, a_saw_b, a_first;
	const char *path;
	char b_job[QUEUE_ID_LEN];       /* the job b should claim */
};

static struct p2 p2;

static void
p2_hold(struct queue_op *op)
{
	(void)op;
	pthread_mutex_lock(&p2.mu);
	p2.holding = 1;
	pthread_cond_broadcast(&p2.cv);
	while (!p2.release)
		pthread_cond_wait(&p2.cv, &p2.mu);
	p2.done++;
	pthread_mutex_unlock(&p2.mu);
}

static void
p2_count(struct queue_op *op)
{
	(void)op;
	pthread_mutex_lock(&p2.mu);
	p2.done++;
	pthread_cond_signal(&p2.cv);
	pthread_mutex_unlock(&p2.mu);
}

/* a's done(): b's claim must be committed already (one transaction) */
static void
p2_a(struct queue_op *op)
{
	sqlite3_stmt *st = NULL;
	sqlite3 *db = NULL;
	int saw = 0;

	if (op->out.ec.code == 0 &&
	    sqlite3_open_v2(p2.path, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(db, "SELECT state FROM jobs "
	    "WHERE id = ?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, p2.b_job, -1, SQLITE_STATIC);
		saw = sqlite3_step(st) == SQLITE_ROW &&
		    strcmp((const char *)sqlite3_column_text(st, 0),
		    "running") == 0;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	pthread_mutex_lock(&p2.mu);
	p2.a_saw_b = saw;
	p2.a_first = p2.done == P2_FILL + 1;
	p2.done++;
	pthread_cond_signal(&p2.cv);
	pthread_mutex_unlock(&p2.mu);
}

static void
test_post2(void)
{
	static struct queue_op fill[P2_FILL];
	struct queue_op hold, a, b, op;
	struct timespec until;
	struct queue *q;
	char path[512], ja[QUEUE_ID_LEN];
	int i;

	db_path(path, sizeof path, "post2.db");
	if ((q = open_q(path, 0)) == NULL)
		return;
	memset(&p2, 0, sizeof p2);
	pthread_mutex_init(&p2.mu, NULL);
	pthread_cond_init(&p2.cv, NULL);
	p2.path = path;
	new_job(q, "post2/a", ja);
	new_job(q, "post2/b", p2.b_job);
	CHECK(claim(q, &op) == 0 && op.out.found &&
	    strcmp(op.out.job.id, ja) == 0, "a claimed first");
	submit_op(&hold, "post2/hold", p2_hold);
	queue_post(q, &hold);
	/* the writer is in hold's done(): what follows gathers behind it */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 30;
	pthread_mutex_lock(&p2.mu);
	while (!p2.holding)
		if (pthread_cond_timedwait(&p2.cv, &p2.mu, &until) != 0)
			break;
	pthread_mutex_unlock(&p2.mu);
	CHECK(p2.holding, "the writer held");
	for (i = 0; i < P2_FILL; i++) {
		char repo[32];
		snprintf(repo, sizeof repo, "post2/f%d", i);
		submit_op(&fill[i], repo, p2_count);
		queue_post(q, &fill[i]);
	}
	memset(&a, 0, sizeof a);
	a.kind = QUEUE_OP_COMPLETE;
	memcpy(a.in.complete.id, ja, sizeof ja);
	a.done = p2_a;
	memset(&b, 0, sizeof b);
	b.kind = QUEUE_OP_CLAIM;
	b.done = p2_count;
	queue_post2(q, &a, &b);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 30;
	pthread_mutex_lock(&p2.mu);
	p2.release = 1;
	pthread_cond_broadcast(&p2.cv);
	while (p2.done < P2_FILL + 3)
		if (pthread_cond_timedwait(&p2.cv, &p2.mu, &until) != 0)
			break;
	pthread_mutex_unlock(&p2.mu);
	CHECK(p2.done == P2_FILL + 3, "every done() called: %d", p2.done);
	CHECK(a.out.ec.code == 0 && a.out.job.state == QUEUE_COMPLETED,
	    "a completed");
	CHECK(b.out.ec.code == 0 && b.out.found &&
	    strcmp(b.out.job.id, p2.b_job) == 0, "b claimed the next job");
	CHECK(p2.a_first, "a's done() after the fill's, before b's");
	CHECK(p2.a_saw_b, "the pair in one commit across the group's bound");
	queue_close(q);
	pthread_cond_destroy(&p2.cv);
	pthread_mutex_destroy(&p2.mu);
	rm_db(path);
}

/* ------------------------------------------------------------ sqlite3 shell */

static void
test_shell(void)
{
	struct queue_stats st;
	struct queue_op op;
	struct queue_reader *r;
	struct queue *q;
	struct err_ctx ec;
	FILE *p;
	char path[512], cmd[800], line[256], want[256];
	int i, rows = 0, match = 0, rc;

	if (system("command -v sqlite3 >/dev/null 2>&1") != 0) {
		printf("skip: sqlite3 shell check (no sqlite3 command: "
		    "scripts/setup installs Debian's sqlite3)\n");
		return;
	}
	db_path(path, sizeof path, "shell.db");
	if ((q = open_q(path, 0)) == NULL)
		return;
	for (i = 0; i < 5; i++) {
		char repo[32];

		snprintf(repo, sizeof repo, "shell/r%d", i);
		submit(q, &op, repo, "", F_FULL, 0, "");
	}
	claim(q, &op);
	claim(q, &op);
	complete(q, &op, op.out.job.id, "z");
	r = reader(q);
	queue_stats(r, &st, &ec);
	queue_reader_close(r);
	/* README's line, while this process holds FILE.lock and its
	 * writer connection is open */
	snprintf(cmd, sizeof cmd, "sqlite3 '%s' 'select state, count(*) from "
	    "jobs group by 1' 2>&1", path);
	p = popen(cmd, "r");
	while (p != NULL && fgets(line, sizeof line, p) != NULL) {
		rows++;
		for (i = 0; i < QUEUE__STATES; i++) {
			snprintf(want, sizeof want, "%s|%lld\n",
			    queue_state_name(i), (long long)st.jobs[i]);
			if (strcmp(line, want) == 0)
				match++;
		}
	}
	rc = p != NULL ? pclose(p) : -1;
	CHECK(rc == 0 && rows == 3 && match == 3, "sqlite3 shell: %d rows, %d "
	    "as the table says (exit %d)", rows, match, rc);
	/* and the writer goes on after it */
	CHECK(submit(q, &op, "shell/after", "", F_FULL, 0, "") == 0 &&
	    op.out.created, "writes after the shell read");
	queue_close(q);
	rm_db(path);
}

/* ------------------------------------------------------------ throughput */

struct bench {
	struct queue *q;
	int t, jobs;
	long transitions;
};

/* submit, claim, complete: three committed transitions per job */
static void *
bench_one(void *arg)
{
	struct bench *b = arg;
	struct queue_op op;
	char repo[48];
	int i;

	for (i = 0; i < b->jobs; i++) {
		snprintf(repo, sizeof repo, "bench/t%d-%d", b->t, i);
		if (submit(b->q, &op, repo, "", F_FULL, 0, "") == 0)
			b->transitions++;
		if (claim(b->q, &op) == 0 && op.out.found) {
			b->transitions++;
			if (complete(b->q, &op, op.out.job.id, "c") == 0)
				b->transitions++;
		}
	}
	return NULL;
}

static double
bench(int threads, int jobs, long *transitions)
{
	static struct bench b[256];
	pthread_t th[256];
	struct queue_op op;
	struct timespec t0, t1;
	struct queue *q;
	char path[512];
	int i;

	db_path(path, sizeof path, "bench.db");
	rm_db(path);
	if ((q = open_q(path, 1)) == NULL)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < threads; i++) {
		b[i].q = q;
		b[i].t = i;
		b[i].jobs = jobs;
		b[i].transitions = 0;
		pthread_create(&th[i], NULL, bench_one, &b[i]);
	}
	*transitions = 0;
	for (i = 0; i < threads; i++) {
		pthread_join(th[i], NULL);
		*transitions += b[i].transitions;
	}
	/* claims that found another thread's job first leave some queued */
	while (claim(q, &op) == 0 && op.out.found) {
		complete(q, &op, op.out.job.id, "c");
		*transitions += 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	queue_close(q);
	rm_db(path);
	return (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

static void
test_throughput(void)
{
	long n;
	double s = bench(32, 10, &n);

	CHECK(n == 32 * 10 * 3, "32 threads x 10 jobs: %ld transitions", n);
	printf("info: %ld transitions in %.3f s (%.0f/s) from 32 threads "
	    "(this build; `test_queue --bench` for the figure)\n", n, s,
	    s > 0 ? (double)n / s : 0);
}

/* ------------------------------------------------------------ main */

int
main(int argc, char **argv)
{
	const char *tmp;
	char self[512];
	ssize_t n;

	if (argc == 3 && strcmp(argv[1], "--crash-child") == 0)
		return crash_child(argv[2]);
	if (argc == 3 && strcmp(argv[1], "--open") == 0)
		return open_child(argv[2]);
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	self[n > 0 ? n : 0] = '\0';

	tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/test_queue.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror(dir);
		return 1;
	}
	if (argc >= 2 && strcmp(argv[1], "--bench") == 0) {
		int threads = argc > 2 ? atoi(argv[2]) : 32;
		int jobs = argc > 3 ? atoi(argv[3]) : 300;
		long t;
		double s;

		if (threads < 1 || threads > 256 || jobs < 1)
			return 2;
		s = bench(threads, jobs, &t);
		printf("queue: %ld committed transitions in %.3f s: %.0f/s "
		    "(%d threads, %d jobs each, synchronous=FULL)\n", t, s,
		    s > 0 ? (double)t / s : 0, threads, jobs);
		rmdir(dir);
		return 0;
	}
	test_key();
	test_rules();
	test_push_formats();
	test_burst();
	test_order();
	test_backoff();
	test_cancel();
	test_recover_rules();
	test_broken();
	test_crash(self);
	test_lock(self);
	test_not_ours();
	test_prune();
	test_unlink();
	test_list();
	test_stats();
	test_async();
	test_post2();
	test_shell();
	test_throughput();
	CHECK(rmdir(dir) == 0, "nothing left in %s: %s", dir,
	    strerror(errno));
	return T_DONE();
}
