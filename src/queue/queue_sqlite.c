/*
 * queue_sqlite.c - the job table in one SQLite file (`--db FILE`). See
 * queue.h for the rules and queue_backend.h for the split with queue.c.
 *
 * Connections: the writer's (opened by queue_open, then used by the writer
 * thread alone) and one per reader (each used by the thread that opened it);
 * SQLITE_OPEN_NOMUTEX on all of them, since none is shared. WAL lets the
 * readers, and the sqlite3 shell, read while the writer writes.
 *
 * Durability, decided: synchronous=FULL. In WAL mode NORMAL syncs the WAL only
 * at checkpoints: a commit survives the process dying (SIGKILL) but not the
 * machine losing power, so a job answered 202 could vanish. FULL syncs the WAL
 * at every commit; the writer's group commit is what makes that affordable
 * (one fsync per batch of transitions, not per transition), so the promise
 * "answered only once committed" holds across power loss too.
 *
 * One server per file: an exclusive flock() on FILE.lock, held while open.
 * Not SQLite's locking_mode=EXCLUSIVE, which would also shut out the sqlite3
 * shell and `query`. flock (not fcntl) locks belong to the open file, so a
 * second open in the same process is refused as well; the file is left in
 * place on close (unlinking a lock file races with its next taker).
 *
 * SQL is fixed text: every value is bound with sqlite3_bind_*; the list
 * query's filters pick one of eight fixed statements.
 *
 * Limits: a batch of a few hundred ops per transaction (queue.c); PRUNE and
 * UNLINK work in bounded slices (QUEUE_PRUNE_BATCH, QUEUE_UNLINK_BATCH) so no
 * single op holds the writer for long.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "sqlite3.h"

#include "queue.h"
#include "queue_backend.h"
#include "utf8cut.h"

#define SQ_APP_ID   0x72646a71  /* "rdjq": PRAGMA application_id */
#define SQ_PATH_MAX 4096
#define SQ_BUSY_MS  5000

/* ============================================================ schema */

/* Migrations, in order; user_version is how many have run. A change to the
 * schema is a new entry, never an edit of one that has shipped. */
static const char *const migrations[] = {
	/* 1: the first version */
	"CREATE TABLE jobs ("
	" seq INTEGER PRIMARY KEY,"             /* creation order */
	" id TEXT NOT NULL UNIQUE,"             /* UUID */
	" name TEXT NOT NULL,"                  /* lower(owner/name) */
	" ref_key TEXT NOT NULL,"               /* ref, 'HEAD' for default */
	" repo TEXT NOT NULL,"                  /* as given */
	" ref TEXT NOT NULL,"                   /* as given */
	" formats INTEGER NOT NULL CHECK (formats > 0),"
	" project TEXT NOT NULL,"
	" dataset TEXT NOT NULL,"
	" scope TEXT NOT NULL,"
	" priority INTEGER NOT NULL,"
	" origin TEXT NOT NULL"
	"  CHECK (origin IN ('api', 'webhook', 'schedule', 'retry')),"
	" state TEXT NOT NULL CHECK (state IN ('queued', 'running',"
	"  'completed', 'failed', 'cancelled')),"
	" cancel_requested INTEGER NOT NULL DEFAULT 0,"
	" target_commit TEXT,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" max_attempts INTEGER NOT NULL,"
	" run_after INTEGER NOT NULL,"          /* ms: backoff */
	" error TEXT,"
	" r_objects INTEGER, r_bytes INTEGER, r_files INTEGER,"
	" r_tokens INTEGER, r_commit TEXT, r_pushed_at TEXT, r_cached INTEGER,"
	" created_at INTEGER NOT NULL,"         /* ms since the epoch */
	" started_at INTEGER,"
	" finished_at INTEGER,"
	" retry_of TEXT,"
	" merged_into TEXT);"
	/* one queued and one running job per key */
	"CREATE UNIQUE INDEX jobs_one_queued ON jobs (name, ref_key)"
	" WHERE state = 'queued';"
	"CREATE UNIQUE INDEX jobs_one_running ON jobs (name, ref_key)"
	" WHERE state = 'running';"
	"CREATE INDEX jobs_claim ON jobs (priority DESC, seq)"
	" WHERE state = 'queued';"
	"CREATE INDEX jobs_due ON jobs (run_after) WHERE state = 'queued';"
	"CREATE INDEX jobs_state ON jobs (state, seq);"
	"CREATE INDEX jobs_project ON jobs (project, seq);"
	"CREATE INDEX jobs_name ON jobs (name, seq);"
	"CREATE INDEX jobs_finished ON jobs (finished_at)"
	" WHERE finished_at IS NOT NULL;"
	"CREATE TABLE attempts ("
	" job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,"
	" n INTEGER NOT NULL,"
	" started_at INTEGER NOT NULL,"
	" finished_at INTEGER,"
	" outcome TEXT CHECK (outcome IN ('completed', 'failed', 'cancelled',"
	"  'interrupted')),"                    /* NULL: still running */
	" error TEXT,"
	" PRIMARY KEY (job_id, n)) WITHOUT ROWID;"
	/* who holds what is stored (DELETE by project, dataset, repo) */
	"CREATE TABLE memberships ("
	" project TEXT NOT NULL, dataset TEXT NOT NULL,"
	" name TEXT NOT NULL, ref_key TEXT NOT NULL,"
	" repo TEXT NOT NULL, ref TEXT NOT NULL, created_at INTEGER NOT NULL,"
	" PRIMARY KEY (project, dataset, name, ref_key)) WITHOUT ROWID;"
	"CREATE INDEX memberships_repo ON memberships (project, name, ref_key);"
	"CREATE INDEX memberships_key ON memberships (name, ref_key);"
	/* a repository as last seen (a scheduled pass that finds it
	 * unchanged writes here, not a job) */
	"CREATE TABLE repositories ("
	" name TEXT NOT NULL, ref_key TEXT NOT NULL,"
	" repo TEXT NOT NULL, ref TEXT NOT NULL,"
	" last_checked INTEGER, last_commit TEXT, last_pushed_at TEXT,"
	" last_job TEXT,"
	" PRIMARY KEY (name, ref_key)) WITHOUT ROWID;"
	/* /metrics counters that outlive pruning */
	"CREATE TABLE counters (name TEXT PRIMARY KEY,"
	" value INTEGER NOT NULL) WITHOUT ROWID;",
	/* 2: the formats a repository was stored in, which a push refreshes:
	 * its completed jobs' union (jobs are pruned, this row stays, and goes
	 * with the repositories row). A table of its own: ALTER TABLE is
	 * omitted from our SQLite. Filled from the completed jobs still kept
	 * (format bits are few: 8 here). */
	"CREATE TABLE stored_formats ("
	" name TEXT NOT NULL, ref_key TEXT NOT NULL,"
	" formats INTEGER NOT NULL,"
	" PRIMARY KEY (name, ref_key)) WITHOUT ROWID;"
	"INSERT INTO stored_formats (name, ref_key, formats)"
	" SELECT name, ref_key, max(formats & 1) | max(formats & 2)"
	" | max(formats & 4) | max(formats & 8) | max(formats & 16)"
	" | max(formats & 32) | max(formats & 64) | max(formats & 128)"
	" FROM jobs WHERE state = 'completed' GROUP BY name, ref_key;",
};
#define SQ_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

/* The columns of a job, in the order read_job() reads them. */
#define JOB_COLS \
	"seq, id, name, ref_key, repo, ref, formats, project, dataset, scope," \
	" priority, origin, state, cancel_requested, target_commit, attempts," \
	" max_attempts, run_after, error, r_objects, r_bytes, r_files," \
	" r_tokens, r_commit, r_pushed_at, r_cached, created_at, started_at," \
	" finished_at, retry_of, merged_into"

/* ============================================================ statements */

enum {
	S_BEGIN, S_COMMIT, S_ROLLBACK,
	S_BY_ID, S_BY_SEQ, S_QUEUED, S_RUNNING, S_MERGE, S_INSERT, S_MEMBER,
	S_PICK, S_WAKE, S_START, S_ATT_OPEN, S_ATT_CLOSE, S_COMPLETE,
	S_FINISH, S_REQUEUE, S_FLAG, S_COUNT, S_REPO_SEEN, S_ONE_RUNNING,
	S_PRUNE, S_MEMBER_DS, S_MEMBER_REPO, S_DEL_DS, S_DEL_REPO, S_HELD,
	S_REPO_DEL, S_FMT_ADD, S_FMT_DEL, S_KNOWN, S__COUNT
};

static const char *const wsql[S__COUNT] = {
	/* IMMEDIATE: the write lock at BEGIN, so a busy file fails here, before
	 * any op is applied, never halfway */
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_BY_ID] = "SELECT " JOB_COLS " FROM jobs WHERE id = ?1",
	[S_BY_SEQ] = "SELECT " JOB_COLS " FROM jobs WHERE seq = ?1",
	/* literal states: a partial index serves only a WHERE that implies
	 * its own when the statement is prepared */
	[S_QUEUED] = "SELECT " JOB_COLS " FROM jobs"
	    " WHERE name = ?1 AND ref_key = ?2 AND state = 'queued'",
	[S_RUNNING] = "SELECT " JOB_COLS " FROM jobs"
	    " WHERE name = ?1 AND ref_key = ?2 AND state = 'running'",
	[S_MERGE] = "UPDATE jobs SET formats = formats | ?2,"
	    " priority = max(priority, ?3),"
	    " target_commit = coalesce(?4, target_commit) WHERE seq = ?1",
	[S_INSERT] = "INSERT INTO jobs (id, name, ref_key, repo, ref, formats,"
	    " project, dataset, scope, priority, origin, state, target_commit,"
	    " max_attempts, run_after, created_at, retry_of) VALUES (?1, ?2,"
	    " ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'queued', ?12, ?13, ?14,"
	    " ?14, ?15)",
	[S_MEMBER] = "INSERT INTO memberships (project, dataset, name, ref_key,"
	    " repo, ref, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
	    " ON CONFLICT (project, dataset, name, ref_key) DO NOTHING",
	/* the claim: highest priority, then oldest, due, and no job of its
	 * key running (the one-running index would refuse it anyway). The
	 * index is named: without statistics the planner prefers jobs_state
	 * and sorts every queued job (a scheduled pass queues thousands) */
	[S_PICK] = "SELECT seq FROM jobs AS j INDEXED BY jobs_claim"
	    " WHERE state = 'queued'"
	    " AND run_after <= ?1 AND NOT EXISTS (SELECT 1 FROM jobs AS r"
	    " WHERE r.state = 'running' AND r.name = j.name"
	    " AND r.ref_key = j.ref_key)"
	    " ORDER BY priority DESC, seq LIMIT 1",
	[S_WAKE] = "SELECT min(run_after) FROM jobs INDEXED BY jobs_due"
	    " WHERE state = 'queued'"
	    " AND run_after > ?1",
	[S_START] = "UPDATE jobs SET state = 'running',"
	    " attempts = attempts + 1, started_at = ?2, cancel_requested = 0"
	    " WHERE seq = ?1",
	[S_ATT_OPEN] = "INSERT INTO attempts (job_id, n, started_at)"
	    " VALUES (?1, ?2, ?3)",
	[S_ATT_CLOSE] = "UPDATE attempts SET finished_at = ?3, outcome = ?4,"
	    " error = ?5 WHERE job_id = ?1 AND n = ?2 AND outcome IS NULL",
	[S_COMPLETE] = "UPDATE jobs SET state = 'completed', finished_at = ?2,"
	    " cancel_requested = 0, error = NULL, r_objects = ?3,"
	    " r_bytes = ?4, r_files = ?5, r_tokens = ?6, r_commit = ?7,"
	    " r_pushed_at = ?8, r_cached = ?9 WHERE seq = ?1",
	[S_FINISH] = "UPDATE jobs SET state = ?2, finished_at = ?3,"
	    " error = coalesce(?4, error), cancel_requested = 0,"
	    " merged_into = ?5 WHERE seq = ?1",
	[S_REQUEUE] = "UPDATE jobs SET state = 'queued', run_after = ?2,"
	    " error = coalesce(?3, error), cancel_requested = 0"
	    " WHERE seq = ?1",
	[S_FLAG] = "UPDATE jobs SET cancel_requested = 1 WHERE seq = ?1",
	[S_COUNT] = "INSERT INTO counters (name, value) VALUES (?1, ?2)"
	    " ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
	[S_REPO_SEEN] = "INSERT INTO repositories (name, ref_key, repo, ref,"
	    " last_checked, last_commit, last_pushed_at, last_job)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
	    " ON CONFLICT (name, ref_key) DO UPDATE SET repo = excluded.repo,"
	    " ref = excluded.ref, last_checked = excluded.last_checked,"
	    " last_commit = coalesce(excluded.last_commit, last_commit),"
	    " last_pushed_at = coalesce(excluded.last_pushed_at,"
	    " last_pushed_at),"
	    " last_job = coalesce(excluded.last_job, last_job)",
	[S_ONE_RUNNING] = "SELECT seq FROM jobs WHERE state = 'running'"
	    " LIMIT 1",
	/* attempts go with their job (ON DELETE CASCADE) */
	[S_PRUNE] = "DELETE FROM jobs WHERE seq IN (SELECT seq FROM jobs"
	    " WHERE finished_at < ?1 ORDER BY finished_at LIMIT ?2)",
	[S_MEMBER_DS] = "SELECT name, ref_key, repo, ref FROM memberships"
	    " WHERE project = ?1 AND dataset = ?2 ORDER BY name, ref_key"
	    " LIMIT 1",
	[S_MEMBER_REPO] = "SELECT name, ref_key, repo, ref FROM memberships"
	    " WHERE project = ?1 AND name = ?2 ORDER BY ref_key LIMIT 1",
	[S_DEL_DS] = "DELETE FROM memberships WHERE project = ?1"
	    " AND dataset = ?2 AND name = ?3 AND ref_key = ?4",
	[S_DEL_REPO] = "DELETE FROM memberships WHERE project = ?1"
	    " AND name = ?2 AND ref_key = ?3",
	[S_HELD] = "SELECT 1 FROM memberships WHERE name = ?1"
	    " AND ref_key = ?2 LIMIT 1",
	[S_REPO_DEL] = "DELETE FROM repositories WHERE name = ?1"
	    " AND ref_key = ?2",
	[S_FMT_ADD] = "INSERT INTO stored_formats (name, ref_key, formats)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT (name, ref_key)"
	    " DO UPDATE SET formats = formats | excluded.formats",
	[S_FMT_DEL] = "DELETE FROM stored_formats WHERE name = ?1"
	    " AND ref_key = ?2",
	/* the formats a key is known with: stored, queued, running */
	[S_KNOWN] = "SELECT coalesce((SELECT formats FROM stored_formats"
	    " WHERE name = ?1 AND ref_key = ?2), 0)"
	    " | coalesce((SELECT formats FROM jobs WHERE name = ?1"
	    " AND ref_key = ?2 AND state = 'queued'), 0)"
	    " | coalesce((SELECT formats FROM jobs WHERE name = ?1"
	    " AND ref_key = ?2 AND state = 'running'), 0)",
};

/* queue_list(): bit 1 state, 2 project, 4 name; unused parameters stay
 * unbound (NULL), which SQLite allows */
#define LIST_SQL(cond) "SELECT " JOB_COLS " FROM jobs WHERE seq < ?1" cond \
	" ORDER BY seq DESC LIMIT ?5"
static const char *const list_sql[8] = {
	LIST_SQL(""),
	LIST_SQL(" AND state = ?2"),
	LIST_SQL(" AND project = ?3"),
	LIST_SQL(" AND state = ?2 AND project = ?3"),
	LIST_SQL(" AND name = ?4"),
	LIST_SQL(" AND state = ?2 AND name = ?4"),
	LIST_SQL(" AND project = ?3 AND name = ?4"),
	LIST_SQL(" AND state = ?2 AND project = ?3 AND name = ?4"),
};

enum {
	R_BY_ID, R_ATTEMPTS, R_COUNTS, R_COUNTERS, R_REPO, R__COUNT
};

static const char *const rsql[R__COUNT] = {
	[R_BY_ID] = "SELECT " JOB_COLS " FROM jobs WHERE id = ?1",
	[R_ATTEMPTS] = "SELECT n, started_at, finished_at, outcome, error"
	    " FROM attempts WHERE job_id = ?1 ORDER BY n LIMIT ?2",
	[R_COUNTS] = "SELECT state, count(*) FROM jobs GROUP BY state",
	[R_COUNTERS] = "SELECT name, value FROM counters",
	[R_REPO] = "SELECT name, ref_key, repo, ref, last_checked,"
	    " last_commit, last_pushed_at, last_job FROM repositories"
	    " WHERE name = ?1 AND ref_key = ?2",
};

struct sq_writer {
	sqlite3 *db;
	int lockfd;
	char path[SQ_PATH_MAX];
	struct queue_config cfg;        /* cfg.path points at path */
	sqlite3_stmt *st[S__COUNT];
	struct err_ctx broken;          /* code != 0: an op failed after it
	                                 * wrote; the batch cannot commit */
};

struct sq_reader {
	sqlite3 *db;
	char path[SQ_PATH_MAX];         /* for error messages */
	sqlite3_stmt *st[R__COUNT];
	sqlite3_stmt *list[8];
};

/* ============================================================ helpers */

/* An SQLite result code as one of ours, the database's words in the
 * detail, path as the source. Returns the code. */
static int
db_err(sqlite3 *db, int rc, const char *path, struct err_ctx *ec)
{
	int code;

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		code = ERR_DB_BUSY;
		break;
	case SQLITE_FULL:
		code = ERR_DB_FULL;
		break;
	case SQLITE_CORRUPT:
		code = ERR_DB_CORRUPT;
		break;
	case SQLITE_NOTADB:
		code = ERR_DB_NOT_OURS;
		break;
	case SQLITE_NOMEM:
		code = ERR_NOMEM;
		break;
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
		code = ERR_IO;
		break;
	default:
		code = ERR_DB;
		break;
	}
	err_field(ec->source, sizeof ec->source, path, strlen(path));
	return err_set(ec, code, "%s", db != NULL && sqlite3_errcode(db) == rc ?
	    sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

/* Bind text; "" binds NULL where opt is set (an unknown commit). */
static void
bind_str(sqlite3_stmt *st, int i, const char *s, int opt)
{
	if (s == NULL || (opt && s[0] == '\0'))
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/* Copy a text column into dst (cap bytes, NUL-terminated; NULL is ""),
 * cut on a UTF-8 boundary should a hand-edited row be longer. */
static void
col_str(sqlite3_stmt *st, int i, char *dst, size_t cap)
{
	const unsigned char *p = sqlite3_column_text(st, i);
	size_t n = (size_t)sqlite3_column_bytes(st, i);

	if (p == NULL)
		n = 0;
	if (n >= cap)
		n = utf8cut(p, cap - 1);
	if (n > 0)
		memcpy(dst, p, n);
	dst[n] = '\0';
}

/* A stored word (state, origin, outcome) as its enum value, -1 unknown. */
static int
word(int (*parse)(const char *, size_t), sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s == NULL ? -1 : parse(s, (size_t)sqlite3_column_bytes(st, i));
}

/* One job from a row of JOB_COLS. */
static void
read_job(sqlite3_stmt *st, struct queue_job *j)
{
	memset(j, 0, sizeof *j);
	j->seq = sqlite3_column_int64(st, 0);
	col_str(st, 1, j->id, sizeof j->id);
	col_str(st, 2, j->key.name, sizeof j->key.name);
	col_str(st, 3, j->key.ref, sizeof j->key.ref);
	col_str(st, 4, j->repo, sizeof j->repo);
	col_str(st, 5, j->ref, sizeof j->ref);
	j->formats = (uint32_t)sqlite3_column_int64(st, 6);
	col_str(st, 7, j->project, sizeof j->project);
	col_str(st, 8, j->dataset, sizeof j->dataset);
	col_str(st, 9, j->scope, sizeof j->scope);
	j->priority = sqlite3_column_int(st, 10);
	j->origin = word(queue_origin_parse, st, 11);
	j->state = word(queue_state_parse, st, 12);
	j->cancel_requested = sqlite3_column_int(st, 13);
	col_str(st, 14, j->commit, sizeof j->commit);
	j->attempts = sqlite3_column_int(st, 15);
	j->max_attempts = sqlite3_column_int(st, 16);
	j->run_after = sqlite3_column_int64(st, 17);
	col_str(st, 18, j->error, sizeof j->error);
	if (sqlite3_column_type(st, 19) != SQLITE_NULL) {
		j->has_result = 1;
		j->result.objects = (uint64_t)sqlite3_column_int64(st, 19);
		j->result.bytes = (uint64_t)sqlite3_column_int64(st, 20);
		j->result.files = (uint64_t)sqlite3_column_int64(st, 21);
		j->result.tokens = (uint64_t)sqlite3_column_int64(st, 22);
		col_str(st, 23, j->result.commit, sizeof j->result.commit);
		col_str(st, 24, j->result.pushed_at,
		    sizeof j->result.pushed_at);
		j->result.cached = sqlite3_column_int(st, 25);
	}
	j->created_at = sqlite3_column_int64(st, 26);
	j->started_at = sqlite3_column_int64(st, 27);
	j->finished_at = sqlite3_column_int64(st, 28);
	col_str(st, 29, j->retry_of, sizeof j->retry_of);
	col_str(st, 30, j->merged_into, sizeof j->merged_into);
}

/* st reset, its bindings cleared: ready to bind and step. */
static sqlite3_stmt *
fresh(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

/* A fresh statement of the writer's. */
static sqlite3_stmt *
ws(struct sq_writer *w, int i)
{
	return fresh(w->st[i]);
}

/* Step a statement that returns no rows; reset it. 0 or an error in ec. */
static int
run(struct sq_writer *w, sqlite3_stmt *st, struct err_ctx *ec)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	return db_err(w->db, rc, w->path, ec);
}

/* The one job st selects into j: 0, ERR_QUEUE_NOT_FOUND or an error. */
static int
one_job(sqlite3 *db, const char *path, sqlite3_stmt *st, struct queue_job *j,
    struct err_ctx *ec)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		read_job(st, j);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return ERR_QUEUE_NOT_FOUND;
	return db_err(db, rc, path, ec);
}

static int
by_seq(struct sq_writer *w, int64_t seq, struct queue_job *j,
    struct err_ctx *ec)
{
	sqlite3_stmt *st = ws(w, S_BY_SEQ);

	sqlite3_bind_int64(st, 1, seq);
	return one_job(w->db, w->path, st, j, ec);
}

/* The queued (S_QUEUED) or running (S_RUNNING) job of a key. */
static int
by_key(struct sq_writer *w, int which, const struct queue_key *k,
    struct queue_job *j, struct err_ctx *ec)
{
	sqlite3_stmt *st = ws(w, which);

	bind_str(st, 1, k->name, 0);
	bind_str(st, 2, k->ref, 0);
	return one_job(w->db, w->path, st, j, ec);
}

/* The job named id, by st (JOB_COLS ... WHERE id = ?1): 0, an error, or
 * ERR_QUEUE_NOT_FOUND with the id as the source (an id longer than a UUID
 * names no job either). */
static int
job_by_id(sqlite3 *db, const char *path, sqlite3_stmt *st, const char *id,
    struct queue_job *j, struct err_ctx *ec)
{
	size_t n = strnlen(id, QUEUE_ID_LEN);
	int rc = ERR_QUEUE_NOT_FOUND;

	if (n < QUEUE_ID_LEN) {
		bind_str(fresh(st), 1, id, 0);
		rc = one_job(db, path, st, j, ec);
	}
	if (rc == ERR_QUEUE_NOT_FOUND) {
		err_field(ec->source, sizeof ec->source, id, n);
		err_set(ec, rc, NULL);
	}
	return rc;
}

/* The job an op names, which must exist. */
static int
by_id(struct sq_writer *w, const char *id, struct queue_job *j,
    struct err_ctx *ec)
{
	return job_by_id(w->db, w->path, w->st[S_BY_ID], id, j, ec);
}

/* ERR_QUEUE_STATE for job j: "ID: job is not in a state... (it is X)". */
static int
bad_state(const struct queue_job *j, struct err_ctx *ec)
{
	err_field(ec->source, sizeof ec->source, j->id, strlen(j->id));
	return err_set(ec, ERR_QUEUE_STATE, "it is %s",
	    queue_state_name(j->state));
}

static uint32_t
random32(void)
{
	uint32_t x;

	sqlite3_randomness((int)sizeof x, &x);
	return x;
}

/* A version 4 UUID (RFC 9562 section 5.4) from SQLite's seeded PRNG. */
static void
uuid4(char out[QUEUE_ID_LEN])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];
	int i, o = 0;

	sqlite3_randomness((int)sizeof b, b);
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
	out[o] = '\0';
}

/* A string field a caller filled: NUL-terminated within its array. */
static int
terminated(const char *s, size_t cap, const char *field, struct err_ctx *ec)
{
	if (memchr(s, '\0', cap) != NULL)
		return 0;
	return err_set(ec, ERR_LIMIT, "%s longer than %zu bytes", field,
	    cap - 1);
}

/* ============================================================ transitions */

/* Count a job's entry into a final state, and its run's time when it ran
 * until now (the /metrics counters). */
static int
count_end(struct sq_writer *w, int state, int64_t started, int64_t now,
    struct err_ctx *ec)
{
	static const int64_t bounds[QUEUE_BUCKETS] = QUEUE_BUCKET_BOUNDS;
	sqlite3_stmt *st;
	char name[32];
	int64_t d;
	int i, rc;

	st = ws(w, S_COUNT);
	bind_str(st, 1, queue_state_name(state), 0);
	sqlite3_bind_int64(st, 2, 1);
	if ((rc = run(w, st, ec)) != 0 || started <= 0)
		return rc;
	d = now > started ? now - started : 0;
	for (i = 0; i < QUEUE_BUCKETS && d > bounds[i]; i++)
		;
	if (i < QUEUE_BUCKETS) {
		snprintf(name, sizeof name, "le_%lld", (long long)bounds[i]);
		st = ws(w, S_COUNT);
		bind_str(st, 1, name, 0);
		sqlite3_bind_int64(st, 2, 1);
		if ((rc = run(w, st, ec)) != 0)
			return rc;
	}
	st = ws(w, S_COUNT);
	bind_str(st, 1, "runs", 0);
	sqlite3_bind_int64(st, 2, 1);
	if ((rc = run(w, st, ec)) != 0)
		return rc;
	st = ws(w, S_COUNT);
	bind_str(st, 1, "run_ms", 0);
	sqlite3_bind_int64(st, 2, d);
	return run(w, st, ec);
}

/* Close the open attempt of job j. */
static int
close_attempt(struct sq_writer *w, const struct queue_job *j, int outcome,
    const char *error, int64_t now, struct err_ctx *ec)
{
	sqlite3_stmt *st = ws(w, S_ATT_CLOSE);

	bind_str(st, 1, j->id, 0);
	sqlite3_bind_int(st, 2, j->attempts);
	sqlite3_bind_int64(st, 3, now);
	bind_str(st, 4, queue_outcome_name(outcome), 0);
	bind_str(st, 5, error, 1);
	return run(w, st, ec);
}

/* j ends in state (failed or cancelled): error NULL keeps the one it has. */
static int
finish(struct sq_writer *w, const struct queue_job *j, int state,
    const char *error, const char *merged_into, int64_t now,
    struct err_ctx *ec)
{
	sqlite3_stmt *st = ws(w, S_FINISH);
	int rc;

	sqlite3_bind_int64(st, 1, j->seq);
	bind_str(st, 2, queue_state_name(state), 0);
	sqlite3_bind_int64(st, 3, now);
	bind_str(st, 4, error, 1);
	bind_str(st, 5, merged_into, 1);
	if ((rc = run(w, st, ec)) != 0)
		return rc;
	/* a run ended now only if the job was running */
	return count_end(w, state, j->state == QUEUE_RUNNING ? j->started_at :
	    0, now, ec);
}

/* The queued job q takes formats and priority (and a commit, if named). */
static int
merge(struct sq_writer *w, const struct queue_job *q, uint32_t formats,
    int priority, const char *commit, struct err_ctx *ec)
{
	sqlite3_stmt *st = ws(w, S_MERGE);

	sqlite3_bind_int64(st, 1, q->seq);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)formats);
	sqlite3_bind_int(st, 3, priority);
	bind_str(st, 4, commit, 1);
	return run(w, st, ec);
}

/*
 * A running job j back to queued, due at run_after: a failure with retries
 * left (error set) or an interrupted run (error NULL, due now). Unless a
 * queued job of its key is there already (one queued per key): that one
 * takes j's formats and priority, and j ends failed, merged into it (see
 * QUEUE_OP_FAIL in queue.h).
 */
static int
back_to_queue(struct sq_writer *w, const struct queue_job *j,
    const char *error, int64_t run_after, int64_t now, struct err_ctx *ec)
{
	struct queue_job q;
	sqlite3_stmt *st;
	char why[QUEUE_ERROR_MAX];
	int rc;

	rc = by_key(w, S_QUEUED, &j->key, &q, ec);
	if (rc == 0) {
		if ((rc = merge(w, &q, j->formats, j->priority, NULL, ec)) != 0)
			return rc;
		if (error == NULL) {
			snprintf(why, sizeof why, "interrupted; queued job %s "
			    "does its work", q.id);
			error = why;
		}
		return finish(w, j, QUEUE_FAILED, error, q.id, now, ec);
	}
	if (rc != ERR_QUEUE_NOT_FOUND)
		return rc;
	st = ws(w, S_REQUEUE);
	sqlite3_bind_int64(st, 1, j->seq);
	sqlite3_bind_int64(st, 2, run_after);
	bind_str(st, 3, error, 1);
	return run(w, st, ec);
}

/* A running job whose run ended without an answer from its worker: a crash
 * (found at open) or a shutdown past its grace (REQUEUE). */
static int
interrupt(struct sq_writer *w, const struct queue_job *j, int64_t now,
    struct err_ctx *ec)
{
	char why[QUEUE_ERROR_MAX];
	int rc;

	rc = close_attempt(w, j, QUEUE_ATT_INTERRUPTED, NULL, now, ec);
	if (rc != 0)
		return rc;
	if (j->cancel_requested)
		return finish(w, j, QUEUE_CANCELLED, NULL, NULL, now, ec);
	/* the attempt counts: a repository that brings the process down
	 * every time (memory) ends failed, not in a crash loop */
	if (j->attempts >= j->max_attempts) {
		snprintf(why, sizeof why, "interrupted on its last attempt "
		    "(%d of %d)", j->attempts, j->max_attempts);
		return finish(w, j, QUEUE_FAILED, why, NULL, now, ec);
	}
	return back_to_queue(w, j, NULL, now, now, ec);
}

static int
add_member(struct sq_writer *w, const struct queue_request *rq,
    const struct queue_key *k, int64_t now, struct err_ctx *ec)
{
	sqlite3_stmt *st;

	if (rq->project[0] == '\0')
		return 0;
	st = ws(w, S_MEMBER);
	bind_str(st, 1, rq->project, 0);
	bind_str(st, 2, rq->dataset, 0);
	bind_str(st, 3, k->name, 0);
	bind_str(st, 4, k->ref, 0);
	bind_str(st, 5, rq->repo, 0);
	bind_str(st, 6, rq->ref, 0);
	sqlite3_bind_int64(st, 7, now);
	return run(w, st, ec);
}

/* The formats key k is known with (S_KNOWN), 0 none, into *out. */
static int
known_formats(struct sq_writer *w, const struct queue_key *k, uint32_t *out,
    struct err_ctx *ec)
{
	sqlite3_stmt *st = ws(w, S_KNOWN);
	int rc;

	bind_str(st, 1, k->name, 0);
	bind_str(st, 2, k->ref, 0);
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? (uint32_t)sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : db_err(w->db, rc, w->path, ec);
}

/* QUEUE_OP_SUBMIT's rules (queue.h) for rq at key k. */
static int
submit(struct sq_writer *w, struct queue_op *op, const struct queue_request *rq,
    const struct queue_key *k, const char *retry_of, int64_t now)
{
	struct err_ctx *ec = &op->out.ec;
	struct queue_request push;
	struct queue_job cur;
	sqlite3_stmt *st;
	char id[QUEUE_ID_LEN];
	uint32_t known;
	int rc;

	if (rq->origin == QUEUE_WEBHOOK) {
		/* a push refreshes what is there, in the formats it is in */
		if ((rc = known_formats(w, k, &known, ec)) != 0)
			return rc;
		if (known != 0) {
			push = *rq;
			push.formats = known;
			rq = &push;
		}
	}

	rc = by_key(w, S_QUEUED, k, &cur, ec);
	if (rc == 0) {                  /* 1: the queued job, merged */
		if ((rc = merge(w, &cur, rq->formats, rq->priority, rq->commit,
		    ec)) != 0 || (rc = add_member(w, rq, k, now, ec)) != 0)
			return rc;
		return by_seq(w, cur.seq, &op->out.job, ec);
	}
	if (rc != ERR_QUEUE_NOT_FOUND)
		return rc;
	rc = by_key(w, S_RUNNING, k, &cur, ec);
	if (rc == 0 && (cur.formats & rq->formats) == rq->formats &&
	    (rq->commit[0] == '\0' || strcmp(rq->commit, cur.commit) == 0)) {
		/* 2: the running job covers it */
		if ((rc = add_member(w, rq, k, now, ec)) != 0)
			return rc;
		op->out.job = cur;
		return 0;
	}
	if (rc != 0 && rc != ERR_QUEUE_NOT_FOUND)
		return rc;
	/* 3: a new job (a follow-up when one runs) */
	uuid4(id);
	st = ws(w, S_INSERT);
	bind_str(st, 1, id, 0);
	bind_str(st, 2, k->name, 0);
	bind_str(st, 3, k->ref, 0);
	bind_str(st, 4, rq->repo, 0);
	bind_str(st, 5, rq->ref, 0);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)rq->formats);
	bind_str(st, 7, rq->project, 0);
	bind_str(st, 8, rq->dataset, 0);
	bind_str(st, 9, rq->scope, 0);
	sqlite3_bind_int(st, 10, rq->priority);
	bind_str(st, 11, queue_origin_name(rq->origin), 0);
	bind_str(st, 12, rq->commit, 1);
	sqlite3_bind_int(st, 13, rq->max_attempts > 0 ? rq->max_attempts :
	    QUEUE_ATTEMPTS);
	sqlite3_bind_int64(st, 14, now);
	bind_str(st, 15, retry_of, 1);
	if ((rc = run(w, st, ec)) != 0 || (rc = add_member(w, rq, k, now,
	    ec)) != 0)
		return rc;
	op->out.created = 1;
	return by_id(w, id, &op->out.job, ec);
}

static int
op_submit(struct sq_writer *w, struct queue_op *op, int64_t now)
{
	const struct queue_request *rq = &op->in.submit;
	struct err_ctx *ec = &op->out.ec;
	struct queue_key k;
	int rc;

	if (terminated(rq->repo, sizeof rq->repo, "repo", ec) ||
	    terminated(rq->ref, sizeof rq->ref, "ref", ec) ||
	    terminated(rq->default_branch, sizeof rq->default_branch,
	    "default branch", ec) ||
	    terminated(rq->project, sizeof rq->project, "project", ec) ||
	    terminated(rq->dataset, sizeof rq->dataset, "dataset", ec) ||
	    terminated(rq->scope, sizeof rq->scope, "scope", ec) ||
	    terminated(rq->commit, sizeof rq->commit, "commit", ec))
		return ec->code;
	if (rq->formats == 0)
		return err_set(ec, ERR_USAGE, "no formats asked for");
	if (queue_origin_name(rq->origin) == NULL || rq->origin == QUEUE_RETRY)
		return err_set(ec, ERR_USAGE, "origin %d", rq->origin);
	if (rq->max_attempts < 0 || rq->max_attempts > 100)
		return err_set(ec, ERR_USAGE, "max attempts %d (0 to 100)",
		    rq->max_attempts);
	rc = queue_key_make(&k, rq->repo, rq->ref, rq->default_branch);
	if (rc != 0) {
		err_field(ec->source, sizeof ec->source, rq->repo,
		    strlen(rq->repo));
		return err_set(ec, rc, "want owner/name and a ref");
	}
	return submit(w, op, rq, &k, NULL, now);
}

static int
op_retry(struct sq_writer *w, struct queue_op *op, int64_t now)
{
	struct err_ctx *ec = &op->out.ec;
	struct queue_request rq;
	struct queue_job j;
	int rc;

	if ((rc = by_id(w, op->in.id, &j, ec)) != 0)
		return rc;
	if (j.state != QUEUE_FAILED && j.state != QUEUE_CANCELLED)
		return bad_state(&j, ec);
	memset(&rq, 0, sizeof rq);
	memcpy(rq.repo, j.repo, sizeof rq.repo);
	memcpy(rq.ref, j.ref, sizeof rq.ref);
	rq.formats = j.formats;
	memcpy(rq.project, j.project, sizeof rq.project);
	memcpy(rq.dataset, j.dataset, sizeof rq.dataset);
	memcpy(rq.scope, j.scope, sizeof rq.scope);
	rq.priority = j.priority;
	rq.origin = QUEUE_RETRY;
	memcpy(rq.commit, j.commit, sizeof rq.commit);
	rq.max_attempts = j.max_attempts;
	return submit(w, op, &rq, &j.key, j.id, now);
}

static int
op_claim(struct sq_writer *w, struct queue_op *op, int64_t now)
{
	struct err_ctx *ec = &op->out.ec;
	sqlite3_stmt *st;
	int64_t seq;
	int rc;

	st = ws(w, S_PICK);
	sqlite3_bind_int64(st, 1, now);
	rc = sqlite3_step(st);
	seq = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc == SQLITE_DONE) {
		st = ws(w, S_WAKE);
		sqlite3_bind_int64(st, 1, now);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			op->out.wake_at = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		return rc == SQLITE_ROW ? 0 : db_err(w->db, rc, w->path, ec);
	}
	if (rc != SQLITE_ROW)
		return db_err(w->db, rc, w->path, ec);
	st = ws(w, S_START);
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_int64(st, 2, now);
	if ((rc = run(w, st, ec)) != 0 ||
	    (rc = by_seq(w, seq, &op->out.job, ec)) != 0)
		return rc;
	st = ws(w, S_ATT_OPEN);
	bind_str(st, 1, op->out.job.id, 0);
	sqlite3_bind_int(st, 2, op->out.job.attempts);
	sqlite3_bind_int64(st, 3, now);
	if ((rc = run(w, st, ec)) != 0)
		return rc;
	op->out.found = 1;
	return 0;
}

/* The repository's row: seen now (commit, pushed_at and job when known). */
static int
repo_seen(struct sq_writer *w, const struct queue_key *k, const char *repo,
    const char *ref, const char *commit, const char *pushed_at,
    const char *job, int64_t now, struct err_ctx *ec)
{
	sqlite3_stmt *st = ws(w, S_REPO_SEEN);

	bind_str(st, 1, k->name, 0);
	bind_str(st, 2, k->ref, 0);
	bind_str(st, 3, repo, 0);
	bind_str(st, 4, ref, 0);
	sqlite3_bind_int64(st, 5, now);
	bind_str(st, 6, commit, 1);
	bind_str(st, 7, pushed_at, 1);
	bind_str(st, 8, job, 1);
	return run(w, st, ec);
}

/* Key k's stored formats take formats too (a job completed in them). */
static int
formats_add(struct sq_writer *w, const struct queue_key *k, uint32_t formats,
    struct err_ctx *ec)
{
	sqlite3_stmt *st = ws(w, S_FMT_ADD);

	bind_str(st, 1, k->name, 0);
	bind_str(st, 2, k->ref, 0);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)formats);
	return run(w, st, ec);
}

static int
op_complete(struct sq_writer *w, struct queue_op *op, int64_t now)
{
	const struct queue_result *r = &op->in.complete.result;
	struct err_ctx *ec = &op->out.ec;
	struct queue_job j;
	sqlite3_stmt *st;
	int rc;

	if (terminated(r->commit, sizeof r->commit, "commit", ec) ||
	    terminated(r->pushed_at, sizeof r->pushed_at, "pushed_at", ec))
		return ec->code;
	if ((rc = by_id(w, op->in.complete.id, &j, ec)) != 0)
		return rc;
	if (j.state != QUEUE_RUNNING)
		return bad_state(&j, ec);
	st = ws(w, S_COMPLETE);
	sqlite3_bind_int64(st, 1, j.seq);
	sqlite3_bind_int64(st, 2, now);
	/* counts past 2^63 do not happen; SQLite's integers are signed */
	sqlite3_bind_int64(st, 3, (sqlite3_int64)r->objects);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)r->bytes);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)r->files);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)r->tokens);
	bind_str(st, 7, r->commit, 1);
	bind_str(st, 8, r->pushed_at, 1);
	sqlite3_bind_int(st, 9, r->cached != 0);
	if ((rc = run(w, st, ec)) != 0 ||
	    (rc = close_attempt(w, &j, QUEUE_ATT_COMPLETED, NULL, now,
	    ec)) != 0 ||
	    (rc = repo_seen(w, &j.key, j.repo, j.ref, r->commit, r->pushed_at,
	    j.id, now, ec)) != 0 ||
	    (rc = formats_add(w, &j.key, j.formats, ec)) != 0 ||
	    (rc = count_end(w, QUEUE_COMPLETED, j.started_at, now, ec)) != 0)
		return rc;
	return by_seq(w, j.seq, &op->out.job, ec);
}

static int
op_fail(struct sq_writer *w, struct queue_op *op, int64_t now)
{
	struct err_ctx *ec = &op->out.ec;
	struct queue_job j;
	char error[QUEUE_ERROR_MAX];
	int64_t delay;
	size_t n;
	int rc;

	if (terminated(op->in.fail.error, sizeof op->in.fail.error, "error",
	    ec))
		return ec->code;
	if ((rc = by_id(w, op->in.fail.id, &j, ec)) != 0)
		return rc;
	if (j.state != QUEUE_RUNNING)
		return bad_state(&j, ec);
	/* a caller's snprintf may have cut a character in two */
	n = utf8cut(op->in.fail.error, strlen(op->in.fail.error));
	memcpy(error, op->in.fail.error, n);
	error[n] = '\0';
	if (n == 0)
		snprintf(error, sizeof error, "failed");
	if ((rc = close_attempt(w, &j, QUEUE_ATT_FAILED, error, now, ec)) != 0)
		return rc;
	if (op->in.fail.retryable && !j.cancel_requested &&
	    j.attempts < j.max_attempts) {
		delay = op->in.fail.retry_after_ms;
		if (delay <= 0)
			delay = queue_backoff_ms(j.attempts,
			    (double)random32() / 4294967296.0);
		else if (delay > QUEUE_RETRY_AFTER_CAP_MS)
			delay = QUEUE_RETRY_AFTER_CAP_MS;
		rc = back_to_queue(w, &j, error, now + delay, now, ec);
	} else {
		rc = finish(w, &j, j.cancel_requested ? QUEUE_CANCELLED :
		    QUEUE_FAILED, error, NULL, now, ec);
	}
	if (rc != 0)
		return rc;
	return by_seq(w, j.seq, &op->out.job, ec);
}

static int
op_cancel(struct sq_writer *w, struct queue_op *op, int64_t now)
{
	struct err_ctx *ec = &op->out.ec;
	struct queue_job j;
	sqlite3_stmt *st;
	int rc;

	if ((rc = by_id(w, op->in.id, &j, ec)) != 0)
		return rc;
	switch (j.state) {
	case QUEUE_QUEUED:
		rc = finish(w, &j, QUEUE_CANCELLED, NULL, NULL, now, ec);
		break;
	case QUEUE_RUNNING:
		/* the worker holds the job: it is told and answers */
		st = ws(w, S_FLAG);
		sqlite3_bind_int64(st, 1, j.seq);
		rc = run(w, st, ec);
		op->out.cancel_pending = 1;
		break;
	case QUEUE_CANCELLED:
		break;
	default:
		return bad_state(&j, ec);
	}
	if (rc != 0)
		return rc;
	return by_seq(w, j.seq, &op->out.job, ec);
}

/* CANCELLED (the worker stopped) and REQUEUE (its run was cut short). */
static int
op_stopped(struct sq_writer *w, struct queue_op *op, int64_t now)
{
	struct err_ctx *ec = &op->out.ec;
	struct queue_job j;
	int rc;

	if ((rc = by_id(w, op->in.id, &j, ec)) != 0)
		return rc;
	if (j.state != QUEUE_RUNNING)
		return bad_state(&j, ec);
	if (op->kind == QUEUE_OP_REQUEUE)
		rc = interrupt(w, &j, now, ec);
	else if ((rc = close_attempt(w, &j, QUEUE_ATT_CANCELLED, NULL, now,
	    ec)) == 0)
		rc = finish(w, &j, QUEUE_CANCELLED, NULL, NULL, now, ec);
	if (rc != 0)
		return rc;
	return by_seq(w, j.seq, &op->out.job, ec);
}

static int
op_prune(struct sq_writer *w, struct queue_op *op, int64_t now)
{
	sqlite3_stmt *st = ws(w, S_PRUNE);
	int rc;

	if (op->in.age_ms < 0)
		return err_set(&op->out.ec, ERR_USAGE, "negative age");
	sqlite3_bind_int64(st, 1, now - op->in.age_ms);
	sqlite3_bind_int(st, 2, QUEUE_PRUNE_BATCH);
	if ((rc = run(w, st, &op->out.ec)) != 0)
		return rc;
	op->out.count = sqlite3_changes(w->db);
	op->out.more = op->out.count == QUEUE_PRUNE_BATCH;
	return 0;
}

static int
op_checked(struct sq_writer *w, struct queue_op *op, int64_t now)
{
	struct err_ctx *ec = &op->out.ec;
	struct queue_key k;
	int rc;

	if (terminated(op->in.checked.repo, QUEUE_REPO_MAX, "repo", ec) ||
	    terminated(op->in.checked.ref, QUEUE_REF_MAX, "ref", ec) ||
	    terminated(op->in.checked.default_branch, QUEUE_REF_MAX,
	    "default branch", ec) ||
	    terminated(op->in.checked.commit, QUEUE_COMMIT_MAX, "commit", ec) ||
	    terminated(op->in.checked.pushed_at, QUEUE_PUSHED_MAX, "pushed_at",
	    ec))
		return ec->code;
	rc = queue_key_make(&k, op->in.checked.repo, op->in.checked.ref,
	    op->in.checked.default_branch);
	if (rc != 0)
		return err_set(ec, rc, "want owner/name and a ref");
	return repo_seen(w, &k, op->in.checked.repo, op->in.checked.ref,
	    op->in.checked.commit, op->in.checked.pushed_at, NULL, now, ec);
}

static int
op_unlink(struct sq_writer *w, struct queue_op *op, int64_t now)
{
	struct err_ctx *ec = &op->out.ec;
	struct queue_key k, rk;
	struct queue_pair *p;
	sqlite3_stmt *st;
	int by_ds, i, rc;
	char repo[QUEUE_REPO_MAX], ref[QUEUE_REF_MAX];

	(void)now;
	memset(&rk, 0, sizeof rk);
	if (terminated(op->in.unlink.project, QUEUE_NAME_MAX, "project", ec) ||
	    terminated(op->in.unlink.dataset, QUEUE_NAME_MAX, "dataset", ec) ||
	    terminated(op->in.unlink.repo, QUEUE_REPO_MAX, "repo", ec))
		return ec->code;
	by_ds = op->in.unlink.dataset[0] != '\0';
	if (op->in.unlink.project[0] == '\0' ||
	    by_ds == (op->in.unlink.repo[0] != '\0'))
		return err_set(ec, ERR_USAGE, "want a project and either a "
		    "dataset or a repo");
	if (!by_ds && (rc = queue_key_make(&rk, op->in.unlink.repo, NULL,
	    NULL)) != 0)
		return err_set(ec, rc, "want owner/name");
	for (i = 0; i < QUEUE_UNLINK_BATCH; i++) {
		st = ws(w, by_ds ? S_MEMBER_DS : S_MEMBER_REPO);
		bind_str(st, 1, op->in.unlink.project, 0);
		bind_str(st, 2, by_ds ? op->in.unlink.dataset : rk.name, 0);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			col_str(st, 0, k.name, sizeof k.name);
			col_str(st, 1, k.ref, sizeof k.ref);
			col_str(st, 2, repo, sizeof repo);
			col_str(st, 3, ref, sizeof ref);
		}
		sqlite3_reset(st);
		if (rc == SQLITE_DONE)
			return 0;
		if (rc != SQLITE_ROW)
			return db_err(w->db, rc, w->path, ec);
		/* room for this pair first: it may be the last holder */
		if (op->out.npairs == op->in.unlink.cap) {
			op->out.more = 1;
			return 0;
		}
		if (by_ds) {
			st = ws(w, S_DEL_DS);
			bind_str(st, 2, op->in.unlink.dataset, 0);
			bind_str(st, 3, k.name, 0);
			bind_str(st, 4, k.ref, 0);
		} else {
			st = ws(w, S_DEL_REPO);
			bind_str(st, 2, k.name, 0);
			bind_str(st, 3, k.ref, 0);
		}
		bind_str(st, 1, op->in.unlink.project, 0);
		if ((rc = run(w, st, ec)) != 0)
			return rc;
		op->out.count += sqlite3_changes(w->db);
		st = ws(w, S_HELD);
		bind_str(st, 1, k.name, 0);
		bind_str(st, 2, k.ref, 0);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc == SQLITE_ROW)
			continue;
		if (rc != SQLITE_DONE)
			return db_err(w->db, rc, w->path, ec);
		p = &op->in.unlink.pairs[op->out.npairs++];
		p->key = k;
		memcpy(p->repo, repo, sizeof p->repo);
		memcpy(p->ref, ref, sizeof p->ref);
		/* what was stored goes: the schedule must not call it
		 * unchanged */
		st = ws(w, S_REPO_DEL);
		bind_str(st, 1, k.name, 0);
		bind_str(st, 2, k.ref, 0);
		if ((rc = run(w, st, ec)) != 0)
			return rc;
		st = ws(w, S_FMT_DEL);
		bind_str(st, 1, k.name, 0);
		bind_str(st, 2, k.ref, 0);
		if ((rc = run(w, st, ec)) != 0)
			return rc;
	}
	op->out.more = 1;
	return 0;
}

/* ============================================================ writer */

static int
step_simple(struct sq_writer *w, int i, struct err_ctx *ec)
{
	return run(w, ws(w, i), ec);
}

/* The op of each kind, in one savepoint of the batch's transaction. */
static int (*const op_fns[QUEUE__OPS])(struct sq_writer *, struct queue_op *,
    int64_t) = {
	[QUEUE_OP_SUBMIT] = op_submit,
	[QUEUE_OP_RETRY] = op_retry,
	[QUEUE_OP_CLAIM] = op_claim,
	[QUEUE_OP_COMPLETE] = op_complete,
	[QUEUE_OP_FAIL] = op_fail,
	[QUEUE_OP_CANCEL] = op_cancel,
	[QUEUE_OP_CANCELLED] = op_stopped,
	[QUEUE_OP_REQUEUE] = op_stopped,
	[QUEUE_OP_PRUNE] = op_prune,
	[QUEUE_OP_CHECKED] = op_checked,
	[QUEUE_OP_UNLINK] = op_unlink,
};

/*
 * see queue_backend.h. One op is all or nothing without a savepoint per op
 * (whose page copies tripled the writer's CPU per op): every op checks what
 * can be refused (no such job, wrong state, bad input) before its first
 * write. Once it has written, a failure can only be the database's (I/O,
 * full disk, a broken constraint): SQLite undoes that one statement, and the
 * batch is rolled back whole at commit, each of its ops failing with it.
 */
static void
sq_apply(void *wv, struct queue_op *op)
{
	struct sq_writer *w = wv;
	struct err_ctx *ec = &op->out.ec;
	sqlite3_int64 before = sqlite3_total_changes64(w->db);
	int rc;

	if (w->broken.code != 0) {
		*ec = w->broken;
		return;
	}
	if (op->kind >= 0 && op->kind < QUEUE__OPS)
		rc = op_fns[op->kind](w, op, queue_now(&w->cfg));
	else
		rc = err_set(ec, ERR_USAGE, "unknown operation %d", op->kind);
	if (rc == 0)
		return;
	if (ec->code == 0)
		err_set(ec, rc, NULL);
	op->out.created = op->out.found = 0;
	if (sqlite3_total_changes64(w->db) != before)
		w->broken = *ec;
}

static int
sq_begin(void *wv, struct err_ctx *ec)
{
	struct sq_writer *w = wv;

	memset(&w->broken, 0, sizeof w->broken);
	return step_simple(w, S_BEGIN, ec);
}

static int
sq_commit(void *wv, struct err_ctx *ec)
{
	struct sq_writer *w = wv;

	if (w->broken.code != 0) {      /* the caller rolls back */
		*ec = w->broken;
		return ec->code;
	}
	/* SQLite rolls a transaction back by itself after some errors (full
	 * disk, I/O): then there is nothing to commit and nothing happened */
	if (sqlite3_get_autocommit(w->db)) {
		err_field(ec->source, sizeof ec->source, w->path,
		    strlen(w->path));
		return err_set(ec, ERR_DB, "the transaction was rolled back");
	}
	return step_simple(w, S_COMMIT, ec);
}

static void
sq_rollback(void *wv)
{
	struct sq_writer *w = wv;
	struct err_ctx ec;

	if (!sqlite3_get_autocommit(w->db))
		step_simple(w, S_ROLLBACK, &ec);
}

static void
sq_close(void *wv)
{
	struct sq_writer *w = wv;
	int i;

	if (w == NULL)
		return;
	for (i = 0; i < S__COUNT; i++)
		sqlite3_finalize(w->st[i]);
	sqlite3_close(w->db);
	if (w->lockfd >= 0)
		close(w->lockfd);       /* releases the flock */
	free(w);
}

/* ============================================================ open */

/* Run fixed SQL (schema, pragmas): 0 or an error. */
static int
exec(struct sq_writer *w, const char *sql, struct err_ctx *ec)
{
	int rc = sqlite3_exec(w->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : db_err(w->db, rc, w->path, ec);
}

/* The integer a one-value query returns. */
static int
query_int(struct sq_writer *w, const char *sql, int64_t *v,
    struct err_ctx *ec)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(w->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			*v = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	return db_err(w->db, rc, w->path, ec);
}

/* Write-ahead logging, or why not (a file system without shared memory
 * for its index, for one). */
static int
wal_on(struct sq_writer *w, struct err_ctx *ec)
{
	sqlite3_stmt *st = NULL;
	char mode[16] = "";
	int rc;

	rc = sqlite3_prepare_v2(w->db, "PRAGMA journal_mode = WAL", -1, &st,
	    NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		col_str(st, 0, mode, sizeof mode);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return db_err(w->db, rc, w->path, ec);
	if (strcmp(mode, "wal") != 0)
		return err_set(ec, ERR_DB, "cannot use write-ahead logging "
		    "(journal mode stays %s)", mode);
	return 0;
}

/* FILE.lock, exclusively, or ERR_DB_LOCKED naming its holder. */
static int
take_lock(struct sq_writer *w, struct err_ctx *ec)
{
	char lock[SQ_PATH_MAX + 8], pid[24];
	ssize_t n;
	int i;

	snprintf(lock, sizeof lock, "%s.lock", w->path);
	w->lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (w->lockfd < 0) {
		ec->sys_errno = errno;
		return err_set(ec, ERR_IO, "lock file %s", lock);
	}
	if (flock(w->lockfd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK) {
			ec->sys_errno = errno;
			return err_set(ec, ERR_IO, "lock file %s", lock);
		}
		/* who: the pid the holder wrote, digits only */
		n = pread(w->lockfd, pid, sizeof pid - 1, 0);
		for (i = 0; n > 0 && i < n && pid[i] >= '0' && pid[i] <= '9';
		    i++)
			;
		pid[i] = '\0';
		return err_set(ec, ERR_DB_LOCKED, "%s is held%s%s", lock,
		    i > 0 ? " by pid " : "", pid);
	}
	n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	/* the pid is for the message above: failing to write it is no
	 * reason to refuse to start, so the result is not checked */
	if (ftruncate(w->lockfd, 0) == 0) {
		n = pwrite(w->lockfd, pid, (size_t)n, 0);
		(void)n;
	}
	return 0;
}

/* Ours (or empty), of a known version, intact: 0 and *fresh, or why not. */
static int
check_file(struct sq_writer *w, int *fresh, int64_t *version,
    struct err_ctx *ec)
{
	sqlite3_stmt *st = NULL;
	int64_t app = 0, objects = 0;
	char row[128];
	int rc;

	*fresh = 0;
	if ((rc = query_int(w, "PRAGMA application_id", &app, ec)) != 0) {
		if (rc == ERR_DB_NOT_OURS)
			err_set(ec, rc, "not an SQLite database");
		return rc;
	}
	if ((rc = query_int(w, "PRAGMA user_version", version, ec)) != 0 ||
	    (rc = query_int(w, "SELECT count(*) FROM sqlite_schema", &objects,
	    ec)) != 0)
		return rc;
	if (app == 0 && *version == 0 && objects == 0) {
		*fresh = 1;
		return 0;
	}
	if (app != SQ_APP_ID)
		return err_set(ec, ERR_DB_NOT_OURS, "another program's SQLite "
		    "database: application_id %#llx, %lld tables and indexes",
		    (unsigned long long)(uint32_t)app, (long long)objects);
	if (*version > SQ_VERSION)
		return err_set(ec, ERR_DB_NEWER, "schema version %lld; this "
		    "repodigest knows up to %d", (long long)*version,
		    SQ_VERSION);
	/* quick_check: the b-trees and their pages (not index contents:
	 * O(N) rather than integrity_check's O(N log N) at every start) */
	rc = sqlite3_prepare_v2(w->db, "PRAGMA quick_check(1)", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		col_str(st, 0, row, sizeof row);
		sqlite3_finalize(st);
		if (strcmp(row, "ok") == 0)
			return 0;
		err_field(ec->source, sizeof ec->source, w->path,
		    strlen(w->path));
		return err_set(ec, ERR_DB_CORRUPT, "quick_check: %s", row);
	}
	sqlite3_finalize(st);
	return db_err(w->db, rc, w->path, ec);
}

/* Run the migrations past version, each in its own transaction with the
 * version it brings. */
static int
migrate(struct sq_writer *w, int64_t version, struct err_ctx *ec)
{
	char sql[96];
	int64_t v;
	int rc;

	for (v = version; v < SQ_VERSION; v++) {
		/* numbers from our constants, not from input */
		snprintf(sql, sizeof sql, "PRAGMA application_id = %d; "
		    "PRAGMA user_version = %lld", SQ_APP_ID, (long long)v + 1);
		if ((rc = exec(w, "BEGIN IMMEDIATE", ec)) != 0)
			return rc;
		if ((rc = exec(w, migrations[v], ec)) != 0 ||
		    (rc = exec(w, sql, ec)) != 0 ||
		    (rc = exec(w, "COMMIT", ec)) != 0) {
			sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
			return rc;
		}
	}
	return 0;
}

/* After a crash: every running job as interrupted (queue.h, queue_open). */
static int
recover(struct sq_writer *w, struct err_ctx *ec)
{
	struct queue_job j;
	sqlite3_stmt *st;
	int64_t now = queue_now(&w->cfg), seq;
	int rc;

	if ((rc = step_simple(w, S_BEGIN, ec)) != 0)
		return rc;
	/* one at a time: each leaves running, so this ends */
	for (;;) {
		st = ws(w, S_ONE_RUNNING);
		rc = sqlite3_step(st);
		seq = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
		sqlite3_reset(st);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW) {
			rc = db_err(w->db, rc, w->path, ec);
			goto fail;
		}
		if ((rc = by_seq(w, seq, &j, ec)) != 0 ||
		    (rc = interrupt(w, &j, now, ec)) != 0)
			goto fail;
	}
	if ((rc = step_simple(w, S_COMMIT, ec)) == 0)
		return 0;
fail:
	sq_rollback(w);
	return rc;
}

static int
sq_open(void **wp, const struct queue_config *cfg, struct err_ctx *ec)
{
	struct sq_writer *w;
	int64_t version = 0;
	int fresh, rc, i;

	*wp = NULL;
	if (cfg->path == NULL || cfg->path[0] == '\0')
		return err_set(ec, ERR_USAGE, "no database file");
	err_field(ec->source, sizeof ec->source, cfg->path, strlen(cfg->path));
	if (strlen(cfg->path) >= SQ_PATH_MAX)
		return err_set(ec, ERR_LIMIT, "path longer than %d bytes",
		    SQ_PATH_MAX - 1);
	w = calloc(1, sizeof *w);
	if (w == NULL)
		return err_set(ec, ERR_NOMEM, NULL);
	memcpy(w->path, cfg->path, strlen(cfg->path) + 1);
	w->cfg = *cfg;
	w->cfg.path = w->path;
	if (w->cfg.busy_timeout_ms <= 0)
		w->cfg.busy_timeout_ms = SQ_BUSY_MS;
	w->lockfd = -1;
	if ((rc = take_lock(w, ec)) != 0)
		goto fail;
	rc = sqlite3_open_v2(w->path, &w->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		rc = db_err(w->db, rc, w->path, ec);
		goto fail;
	}
	sqlite3_busy_timeout(w->db, w->cfg.busy_timeout_ms);
	if ((rc = check_file(w, &fresh, &version, ec)) != 0)
		goto fail;
	/* WAL: readers beside the writer; FULL: see the top of this file */
	if ((rc = wal_on(w, ec)) != 0)
		goto fail;
	if ((rc = exec(w, "PRAGMA synchronous = FULL; "
	    "PRAGMA foreign_keys = ON; "
	    "PRAGMA journal_size_limit = 67108864", ec)) != 0 ||
	    (rc = migrate(w, version, ec)) != 0)
		goto fail;
	for (i = 0; i < S__COUNT; i++) {
		rc = sqlite3_prepare_v3(w->db, wsql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &w->st[i], NULL);
		if (rc != SQLITE_OK) {
			rc = db_err(w->db, rc, w->path, ec);
			goto fail;
		}
	}
	if ((rc = recover(w, ec)) != 0)
		goto fail;
	memset(ec, 0, sizeof *ec);
	*wp = w;
	return 0;
fail:
	sq_close(w);
	return rc;
}

/* ============================================================ readers */

static void
sq_reader_close(void *rv)
{
	struct sq_reader *r = rv;
	int i;

	if (r == NULL)
		return;
	for (i = 0; i < R__COUNT; i++)
		sqlite3_finalize(r->st[i]);
	for (i = 0; i < 8; i++)
		sqlite3_finalize(r->list[i]);
	sqlite3_close(r->db);
	free(r);
}

static int
sq_reader_open(void *wv, void **rp, struct err_ctx *ec)
{
	struct sq_writer *w = wv;
	struct sq_reader *r;
	int rc, i;

	*rp = NULL;
	r = calloc(1, sizeof *r);
	if (r == NULL)
		return err_set(ec, ERR_NOMEM, NULL);
	memcpy(r->path, w->path, sizeof r->path);
	rc = sqlite3_open_v2(w->path, &r->db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(r->db, w->cfg.busy_timeout_ms);
		for (i = 0; rc == SQLITE_OK && i < R__COUNT; i++)
			rc = sqlite3_prepare_v3(r->db, rsql[i], -1,
			    SQLITE_PREPARE_PERSISTENT, &r->st[i], NULL);
		for (i = 0; rc == SQLITE_OK && i < 8; i++)
			rc = sqlite3_prepare_v3(r->db, list_sql[i], -1,
			    SQLITE_PREPARE_PERSISTENT, &r->list[i], NULL);
	}
	if (rc != SQLITE_OK) {
		db_err(r->db, rc, w->path, ec);
		sq_reader_close(r);
		return ec->code;
	}
	*rp = r;
	return 0;
}

static int
sq_get(void *rv, const char *id, struct queue_job *job, struct err_ctx *ec)
{
	struct sq_reader *r = rv;

	return job_by_id(r->db, r->path, r->st[R_BY_ID], id, job, ec);
}

static int
sq_list(void *rv, const struct queue_filter *f, struct queue_job *jobs,
    size_t cap, size_t *n, struct err_ctx *ec)
{
	struct sq_reader *r = rv;
	struct queue_key k;
	sqlite3_stmt *st;
	int which = 0, rc = SQLITE_DONE;

	*n = 0;
	memset(&k, 0, sizeof k);
	if (f->state >= 0) {
		if (queue_state_name(f->state) == NULL)
			return err_set(ec, ERR_USAGE, "state %d", f->state);
		which |= 1;
	}
	if (f->project != NULL && f->project[0] != '\0')
		which |= 2;
	if (f->repo != NULL && f->repo[0] != '\0') {
		if ((rc = queue_key_make(&k, f->repo, NULL, NULL)) != 0)
			return err_set(ec, rc, "want owner/name");
		which |= 4;
	}
	st = fresh(r->list[which]);
	sqlite3_bind_int64(st, 1, f->before > 0 ? f->before : INT64_MAX);
	if (which & 1)
		bind_str(st, 2, queue_state_name(f->state), 0);
	if (which & 2)
		bind_str(st, 3, f->project, 0);
	if (which & 4)
		bind_str(st, 4, k.name, 0);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)(cap < INT32_MAX ? cap :
	    INT32_MAX));
	while (*n < cap && (rc = sqlite3_step(st)) == SQLITE_ROW)
		read_job(st, &jobs[(*n)++]);
	sqlite3_reset(st);
	if (*n < cap && rc != SQLITE_DONE)
		return db_err(r->db, rc, r->path, ec);
	return 0;
}

static int
sq_attempts(void *rv, const char *id, struct queue_attempt *att, size_t cap,
    size_t *n, struct err_ctx *ec)
{
	struct sq_reader *r = rv;
	struct queue_job j;
	sqlite3_stmt *st;
	int rc;

	*n = 0;
	if ((rc = sq_get(rv, id, &j, ec)) != 0)
		return rc;
	rc = SQLITE_DONE;
	st = fresh(r->st[R_ATTEMPTS]);
	bind_str(st, 1, id, 0);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)(cap < INT32_MAX ? cap :
	    INT32_MAX));
	while (*n < cap && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct queue_attempt *a = &att[(*n)++];

		memset(a, 0, sizeof *a);
		a->n = sqlite3_column_int(st, 0);
		a->started_at = sqlite3_column_int64(st, 1);
		a->finished_at = sqlite3_column_int64(st, 2);
		a->outcome = sqlite3_column_type(st, 3) == SQLITE_NULL ?
		    QUEUE_ATT_RUNNING : word(queue_outcome_parse, st,
		    3);
		col_str(st, 4, a->error, sizeof a->error);
	}
	sqlite3_reset(st);
	if (*n < cap && rc != SQLITE_DONE)
		return db_err(r->db, rc, r->path, ec);
	return 0;
}

static int
sq_stats(void *rv, struct queue_stats *out, struct err_ctx *ec)
{
	static const int64_t bounds[QUEUE_BUCKETS] = QUEUE_BUCKET_BOUNDS;
	struct sq_reader *r = rv;
	sqlite3_stmt *st;
	const char *name;
	char le[32];
	int64_t v;
	int rc, s, i;

	memset(out, 0, sizeof *out);
	/* one read transaction: the gauges and the counters agree */
	if ((rc = sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL)) != SQLITE_OK)
		return db_err(r->db, rc, r->path, ec);
	st = fresh(r->st[R_COUNTS]);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		s = word(queue_state_parse, st, 0);
		if (s >= 0)
			out->jobs[s] = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE) {
		st = fresh(r->st[R_COUNTERS]);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			name = (const char *)sqlite3_column_text(st, 0);
			v = sqlite3_column_int64(st, 1);
			if (name == NULL)
				continue;
			if (strcmp(name, "runs") == 0)
				out->runs = v;
			else if (strcmp(name, "run_ms") == 0)
				out->run_ms = v;
			else if ((s = queue_state_parse(name,
			    strlen(name))) >= 0)
				out->finished[s] = v;
			for (i = 0; i < QUEUE_BUCKETS; i++) {
				snprintf(le, sizeof le, "le_%lld",
				    (long long)bounds[i]);
				if (strcmp(name, le) == 0)
					out->le[i] = v;
			}
		}
		sqlite3_reset(st);
	}
	sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_DONE)
		return db_err(r->db, rc, r->path, ec);
	/* stored per bucket; Prometheus's are cumulative */
	for (i = 1; i < QUEUE_BUCKETS; i++)
		out->le[i] += out->le[i - 1];
	return 0;
}

static int
sq_repo_get(void *rv, const struct queue_key *k, struct queue_repo *out,
    struct err_ctx *ec)
{
	struct sq_reader *r = rv;
	sqlite3_stmt *st = fresh(r->st[R_REPO]);
	int rc;

	memset(out, 0, sizeof *out);
	bind_str(st, 1, k->name, 0);
	bind_str(st, 2, k->ref, 0);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		col_str(st, 0, out->key.name, sizeof out->key.name);
		col_str(st, 1, out->key.ref, sizeof out->key.ref);
		col_str(st, 2, out->repo, sizeof out->repo);
		col_str(st, 3, out->ref, sizeof out->ref);
		out->last_checked = sqlite3_column_int64(st, 4);
		col_str(st, 5, out->last_commit, sizeof out->last_commit);
		col_str(st, 6, out->last_pushed_at,
		    sizeof out->last_pushed_at);
		col_str(st, 7, out->last_job, sizeof out->last_job);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE) {
		err_field(ec->source, sizeof ec->source, k->name,
		    strlen(k->name));
		return err_set(ec, ERR_QUEUE_NOT_FOUND, "no repository row");
	}
	return db_err(r->db, rc, r->path, ec);
}

const struct queue_backend queue_sqlite_backend = {
	.open = sq_open,
	.begin = sq_begin,
	.apply = sq_apply,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.close = sq_close,
	.reader_open = sq_reader_open,
	.reader_close = sq_reader_close,
	.get = sq_get,
	.list = sq_list,
	.attempts = sq_attempts,
	.stats = sq_stats,
	.repo_get = sq_repo_get,
};
