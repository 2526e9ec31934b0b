/*
 * test_sqlite.c - the vendored SQLite as the Makefile builds it: prepared
 * statements with every kind of bind, an in-memory database, a WAL file
 * database read by a second connection while a write is open, an FTS5 table
 * searched with MATCH and ranked by bm25, and the options of the one list in
 * the Makefile (SQLITE_OPTS) in force: threadsafe, no extension loading, and
 * REINDEX gone from the grammar, which only happens when the parser was
 * generated with its OMIT option (scripts/sqlite-amalgamate).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "sqlite3.h"
#include "t.h"

/* exec DB SQL: run statements that return no rows; 0 or the SQLite code */
static int
exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc;

	rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		fprintf(stderr, "sqlite: %s: %s\n", sql, msg ? msg : "?");
	sqlite3_free(msg);
	return rc;
}

/* One row of each type in, through bound parameters, and back out. */
static void
test_bind(sqlite3 *db)
{
	static const char hostile[] = "x'); DROP TABLE t; --";
	static const unsigned char blob[4] = { 0, 0xff, 0x80, 0 };
	sqlite3_stmt *st = NULL;
	int rc;

	CHECK(exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT "
	    "NOT NULL, n INTEGER, b BLOB, x REAL)") == SQLITE_OK, "create");
	rc = sqlite3_prepare_v2(db, "INSERT INTO t (name, n, b, x) "
	    "VALUES (?1, ?2, ?3, ?4)", -1, &st, NULL);
	CHECK(rc == SQLITE_OK, "prepare insert: %s", sqlite3_errmsg(db));
	if (rc != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, hostile, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, INT64_C(1) << 40);
	sqlite3_bind_blob(st, 3, blob, sizeof blob, SQLITE_STATIC);
	sqlite3_bind_null(st, 4);
	CHECK(sqlite3_step(st) == SQLITE_DONE, "insert: %s",
	    sqlite3_errmsg(db));
	/* the same statement again: reset keeps the bindings it is given */
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	sqlite3_bind_text(st, 1, "second", -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 4, 0.5);
	CHECK(sqlite3_step(st) == SQLITE_DONE, "insert 2: %s",
	    sqlite3_errmsg(db));
	/* name is NOT NULL: a cleared binding is NULL, refused */
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	CHECK(sqlite3_step(st) == SQLITE_CONSTRAINT, "NULL name refused");
	sqlite3_finalize(st);

	rc = sqlite3_prepare_v2(db, "SELECT name, n, b, x FROM t WHERE id = ?",
	    -1, &st, NULL);
	CHECK(rc == SQLITE_OK, "prepare select: %s", sqlite3_errmsg(db));
	if (rc != SQLITE_OK)
		return;
	sqlite3_bind_int(st, 1, 1);
	CHECK(sqlite3_step(st) == SQLITE_ROW, "row 1");
	CHECK(strcmp((const char *)sqlite3_column_text(st, 0), hostile) == 0,
	    "the text went in as data, not SQL");
	CHECK(sqlite3_column_int64(st, 1) == INT64_C(1) << 40, "int64");
	CHECK(sqlite3_column_bytes(st, 2) == (int)sizeof blob &&
	    memcmp(sqlite3_column_blob(st, 2), blob, sizeof blob) == 0,
	    "blob with NULs");
	CHECK(sqlite3_column_type(st, 3) == SQLITE_NULL, "null");
	CHECK(sqlite3_step(st) == SQLITE_DONE, "one row");
	sqlite3_reset(st);
	sqlite3_bind_int(st, 1, 2);
	CHECK(sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_double(st, 3) == 0.5, "row 2, double");
	sqlite3_finalize(st);
	CHECK(exec(db, "SELECT count(*) FROM t") == SQLITE_OK,
	    "table t still there");
}

/* FTS5: a MATCH over bound words, best bm25 first (bm25 is negative:
 * smaller is better, hence ORDER BY rank ascending). */
static void
test_fts5(sqlite3 *db)
{
	static const char *docs[][2] = {
		{ "src/net/tls.c", "trust anchors for the TLS client" },
		{ "src/digest/tokens.c", "count tokens of every file" },
		{ "README.md", "tokens tokens tokens: the tokenizer counts "
		    "tokens" },
		{ "src/base/log.c", "one log line per event" },
	};
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc, rows;

	rc = exec(db, "CREATE VIRTUAL TABLE docs USING fts5(path, body)");
	CHECK(rc == SQLITE_OK, "fts5 table");
	if (rc != SQLITE_OK)
		return;
	rc = sqlite3_prepare_v2(db, "INSERT INTO docs (path, body) "
	    "VALUES (?, ?)", -1, &st, NULL);
	CHECK(rc == SQLITE_OK, "prepare fts insert");
	if (rc != SQLITE_OK)
		return;
	for (i = 0; i < sizeof docs / sizeof docs[0]; i++) {
		sqlite3_bind_text(st, 1, docs[i][0], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, docs[i][1], -1, SQLITE_STATIC);
		CHECK(sqlite3_step(st) == SQLITE_DONE, "fts insert %zu", i);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);

	rc = sqlite3_prepare_v2(db, "SELECT path, bm25(docs) FROM docs "
	    "WHERE docs MATCH ? ORDER BY rank", -1, &st, NULL);
	CHECK(rc == SQLITE_OK, "prepare match: %s", sqlite3_errmsg(db));
	if (rc != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, "tokens", -1, SQLITE_STATIC);
	rows = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (rows == 0)
			CHECK(strcmp((const char *)sqlite3_column_text(st, 0),
			    "README.md") == 0, "most frequent first: %s",
			    sqlite3_column_text(st, 0));
		CHECK(sqlite3_column_double(st, 1) < 0, "bm25 score");
		rows++;
	}
	CHECK(rows == 2, "two documents match 'tokens': %d", rows);
	/* a column filter and a phrase, then a word nothing has */
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, "path:tls AND \"trust anchors\"", -1,
	    SQLITE_STATIC);
	CHECK(sqlite3_step(st) == SQLITE_ROW && strcmp((const char *)
	    sqlite3_column_text(st, 0), "src/net/tls.c") == 0, "phrase");
	CHECK(sqlite3_step(st) == SQLITE_DONE, "one phrase match");
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, "nowhere", -1, SQLITE_STATIC);
	CHECK(sqlite3_step(st) == SQLITE_DONE, "no match");
	sqlite3_finalize(st);
}

/* What the option list promises, seen from SQL and the API. */
static void
test_options(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int rc;

	CHECK(sqlite3_threadsafe() == 1, "serialized threading mode: %d",
	    sqlite3_threadsafe());
	CHECK(strcmp(sqlite3_libversion(), SQLITE_VERSION) == 0,
	    "header and library agree");
	/* no extension loading at all: the SQL function does not exist */
	rc = sqlite3_prepare_v2(db, "SELECT load_extension('x')", -1, &st,
	    NULL);
	CHECK(rc == SQLITE_ERROR && strstr(sqlite3_errmsg(db),
	    "no such function") != NULL, "load_extension: %s",
	    sqlite3_errmsg(db));
	sqlite3_finalize(st);
	/* REINDEX left the grammar: a syntax error, not a runtime refusal */
	st = NULL;
	rc = sqlite3_prepare_v2(db, "REINDEX", -1, &st, NULL);
	CHECK(rc == SQLITE_ERROR && strstr(sqlite3_errmsg(db),
	    "syntax error") != NULL, "REINDEX: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	/* double-quoted strings are identifiers only (SQLITE_DQS=0) */
	st = NULL;
	rc = sqlite3_prepare_v2(db, "SELECT \"no such column\"", -1, &st,
	    NULL);
	CHECK(rc == SQLITE_ERROR, "double-quoted string refused");
	sqlite3_finalize(st);
}

/* A file database in WAL mode: a second connection reads the committed
 * state while the first holds an open write transaction. */
static void
test_wal(const char *dir)
{
	char path[512], side[600];
	sqlite3 *w = NULL, *r = NULL;
	sqlite3_stmt *st = NULL;
	struct stat sb;
	int rc;

	snprintf(path, sizeof path, "%s/wal.db", dir);
	rc = sqlite3_open_v2(path, &w, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL);
	CHECK(rc == SQLITE_OK, "open %s", path);
	if (rc != SQLITE_OK)
		goto out;
	sqlite3_busy_timeout(w, 2000);
	rc = sqlite3_prepare_v2(w, "PRAGMA journal_mode=WAL", -1, &st, NULL);
	CHECK(rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
	    strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0,
	    "journal_mode is wal");
	sqlite3_finalize(st);
	CHECK(exec(w, "PRAGMA synchronous=FULL; CREATE TABLE jobs (id "
	    "INTEGER PRIMARY KEY, state TEXT NOT NULL); INSERT INTO jobs "
	    "(state) VALUES ('queued')") == SQLITE_OK, "schema");
	snprintf(side, sizeof side, "%s-wal", path);
	CHECK(access(side, F_OK) == 0, "%s exists", side);

	rc = sqlite3_open_v2(path, &r, SQLITE_OPEN_READONLY, NULL);
	CHECK(rc == SQLITE_OK, "second connection");
	if (rc != SQLITE_OK)
		goto out;
	CHECK(exec(w, "BEGIN IMMEDIATE; UPDATE jobs SET state = 'running'")
	    == SQLITE_OK, "open write");
	rc = sqlite3_prepare_v2(r, "SELECT state FROM jobs WHERE id = 1", -1,
	    &st, NULL);
	CHECK(rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
	    strcmp((const char *)sqlite3_column_text(st, 0), "queued") == 0,
	    "reader sees the committed row while a write is open");
	sqlite3_reset(st);
	CHECK(exec(w, "COMMIT") == SQLITE_OK, "commit");
	CHECK(sqlite3_step(st) == SQLITE_ROW &&
	    strcmp((const char *)sqlite3_column_text(st, 0), "running") == 0,
	    "reader sees the commit");
	sqlite3_finalize(st);
	/* the commit is in the WAL; a checkpoint moves it into the database
	 * and truncates the WAL (no reader holds a snapshot now) */
	CHECK(stat(side, &sb) == 0 && sb.st_size > 0, "WAL holds the commit");
	CHECK(sqlite3_wal_checkpoint_v2(w, NULL, SQLITE_CHECKPOINT_TRUNCATE,
	    NULL, NULL) == SQLITE_OK, "checkpoint: %s", sqlite3_errmsg(w));
	CHECK(stat(side, &sb) == 0 && sb.st_size == 0, "WAL truncated");
out:
	CHECK(sqlite3_close(r) == SQLITE_OK, "close reader");
	CHECK(sqlite3_close(w) == SQLITE_OK, "close writer");
	unlink(path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
}

int
main(void)
{
	char dir[256];
	const char *tmp;
	sqlite3 *db = NULL;
	int rc;

	rc = sqlite3_open(":memory:", &db);
	CHECK(rc == SQLITE_OK, "open :memory:");
	if (rc == SQLITE_OK) {
		test_bind(db);
		test_fts5(db);
		test_options(db);
	}
	CHECK(sqlite3_close(db) == SQLITE_OK, "close :memory:");

	tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/test_sqlite.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	CHECK(mkdtemp(dir) != NULL, "mkdtemp %s", dir);
	test_wal(dir);
	CHECK(rmdir(dir) == 0, "nothing left in %s", dir);
	CHECK(sqlite3_shutdown() == SQLITE_OK, "shutdown");
	return T_DONE();
}
