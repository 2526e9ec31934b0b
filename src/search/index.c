/*
 * index.c - the search index in SQLite. See index.h for the file's shape
 * and the rules of adding.
 *
 * Every statement is prepared once at open (SQL is never built from
 * input: the one string made at run time is a MATCH expression, bound as
 * a value, whose terms are quoted with their quotes doubled). Adding is a
 * small state machine over the current file (struct index_file): a cursor
 * over the file's stored chunks advances while the incoming chunks are
 * the same; at the first difference the stored tail is deleted and the
 * rest inserted. Chunk rows use AUTOINCREMENT ids, which are also the FTS
 * rowids: a rowid is never given to another chunk while an FTS segment
 * not yet merged may still hold its deletion. Deleting a chunk reads its
 * text back (inflating the LZ4 block) for FTS5's 'delete' command; an
 * unchanged file reads nothing but its chunk ids.
 */
#include <lz4.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "index.h"
#include "isotime.h"

/* ------------------------------------------------------------ schema */

static const char schema[] =
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
	" WITHOUT ROWID;"
	"CREATE TABLE repos (id INTEGER PRIMARY KEY, project TEXT NOT NULL,"
	" repo TEXT NOT NULL COLLATE NOCASE, ref TEXT NOT NULL,"
	" commit_id TEXT NOT NULL, indexed_at TEXT NOT NULL,"
	" UNIQUE (project, repo, ref));"
	"CREATE TABLE files (id INTEGER PRIMARY KEY, repo_id INTEGER NOT NULL"
	" REFERENCES repos (id), path TEXT NOT NULL, language TEXT NOT NULL,"
	" hash BLOB NOT NULL, nchunks INTEGER NOT NULL,"
	" UNIQUE (repo_id, path));"
	"CREATE TABLE chunks (id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" file_id INTEGER NOT NULL REFERENCES files (id), seq INTEGER NOT NULL,"
	" n INTEGER NOT NULL, start_line INTEGER NOT NULL,"
	" end_line INTEGER NOT NULL, chunk_id TEXT NOT NULL,"
	" tokens INTEGER NOT NULL, text_len INTEGER NOT NULL,"
	" text BLOB NOT NULL);"
	"CREATE INDEX chunks_file ON chunks (file_id, seq);";

/* The FTS table for each tokenizer (enum index_tokenizer): the spec in
 * tokenize='...' is also what meta records. */
static const char *const tok_specs[] = {
	"code one", "unicode61", "code parts", "code separate",
	"porter code one"
};

/* ------------------------------------------------------------ statements */

static const char *const sql[S__COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_REPO_GET] = "SELECT id FROM repos WHERE project = ?1 AND repo = ?2"
	    " AND ref = ?3",
	[S_REPO_ADD] = "INSERT INTO repos (project, repo, ref, commit_id,"
	    " indexed_at) VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_REPO_SET] = "UPDATE repos SET commit_id = ?2, indexed_at = ?3"
	    " WHERE id = ?1 AND (commit_id IS NOT ?2 OR ?4)",
	[S_FILE_GET] = "SELECT id FROM files WHERE repo_id = ?1 AND path = ?2",
	[S_FILE_ADD] = "INSERT INTO files (repo_id, path, language, hash,"
	    " nchunks) VALUES (?1, ?2, ?3, x'', 0)",
	[S_FILE_SET] = "UPDATE files SET language = ?2, hash = ?3,"
	    " nchunks = ?4 WHERE id = ?1",
	[S_FILE_LIST] = "SELECT id FROM files WHERE repo_id = ?1",
	[S_FILE_DEL] = "DELETE FROM files WHERE id = ?1",
	[S_CHUNK_CUR] = "SELECT chunk_id, start_line, end_line FROM chunks"
	    " WHERE file_id = ?1 ORDER BY seq",
	[S_CHUNK_ADD] = "INSERT INTO chunks (file_id, seq, n, start_line,"
	    " end_line, chunk_id, tokens, text_len, text)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[S_CHUNK_TAIL] = "SELECT c.id, f.path, c.text_len, c.text FROM chunks c"
	    " JOIN files f ON f.id = c.file_id WHERE c.file_id = ?1"
	    " AND c.seq >= ?2",
	[S_CHUNK_DEL_TAIL] = "DELETE FROM chunks WHERE file_id = ?1"
	    " AND seq >= ?2",
	[S_FTS_ADD] = "INSERT INTO fts (rowid, path, text) VALUES (?1, ?2, ?3)",
	/* a contentless table forgets a row when told the values it was
	 * made from: FTS5 tokenizes them again and takes their tokens and
	 * their counts out (its row count and lengths stay exact for bm25) */
	[S_FTS_DEL] = "INSERT INTO fts (fts, rowid, path, text)"
	    " VALUES ('delete', ?1, ?2, ?3)",
	[S_REPO_DEL] = "DELETE FROM repos WHERE id = ?1",
	/* the k best rows first (bm25 over the index alone), then their
	 * fields and text: the text is read for k rows, not for every match;
	 * S_QUERY_F joins the metadata for the filters, which costs a lookup
	 * per matching row, so it is used only when a filter is given */
	[S_QUERY] = "SELECT c.id, -top.s, r.project, r.repo, r.ref, f.path,"
	    " f.language, c.n, c.start_line, c.end_line, c.chunk_id,"
	    " c.text_len, c.text, c.file_id"
	    " FROM (SELECT rowid AS id, bm25(fts, ?7, 1.0) AS s FROM fts"
	    "  WHERE fts MATCH ?1 ORDER BY s, rowid LIMIT ?6) AS top"
	    " JOIN chunks c ON c.id = top.id JOIN files f ON f.id = c.file_id"
	    " JOIN repos r ON r.id = f.repo_id ORDER BY top.s, c.id",
	[S_QUERY_F] = "SELECT c.id, -top.s, r.project, r.repo, r.ref, f.path,"
	    " f.language, c.n, c.start_line, c.end_line, c.chunk_id,"
	    " c.text_len, c.text, c.file_id"
	    " FROM (SELECT fts.rowid AS id, bm25(fts, ?7, 1.0) AS s"
	    "  FROM fts JOIN chunks c ON c.id = fts.rowid"
	    "  JOIN files f ON f.id = c.file_id"
	    "  JOIN repos r ON r.id = f.repo_id"
	    "  WHERE fts MATCH ?1 AND (?2 IS NULL OR r.project = ?2)"
	    "  AND (?3 IS NULL OR r.repo = ?3)"
	    "  AND (?4 IS NULL OR f.path GLOB ?4)"
	    "  AND (?5 IS NULL OR f.language = ?5)"
	    "  ORDER BY s, fts.rowid LIMIT ?6) AS top"
	    " JOIN chunks c ON c.id = top.id JOIN files f ON f.id = c.file_id"
	    " JOIN repos r ON r.id = f.repo_id ORDER BY top.s, c.id",
	[S_RANK_STATS] = RANK_SQL_STATS,
	[S_RANK_ROWS] = RANK_SQL_ROWS,
	[S_RANK_VERSION] = RANK_SQL_VERSION,
	/* one ranked chunk's fields and text */
	[S_ROW] = "SELECT c.id, 0, r.project, r.repo, r.ref, f.path,"
	    " f.language, c.n, c.start_line, c.end_line, c.chunk_id,"
	    " c.text_len, c.text"
	    " FROM chunks c JOIN files f ON f.id = c.file_id"
	    " JOIN repos r ON r.id = f.repo_id WHERE c.id = ?1",
	/* whether a chunk passes the filters (S_QUERY_F's), and its file */
	[S_KEEP] = "SELECT c.file_id FROM chunks c"
	    " JOIN files f ON f.id = c.file_id"
	    " JOIN repos r ON r.id = f.repo_id WHERE c.id = ?1"
	    " AND (?2 IS NULL OR r.project = ?2)"
	    " AND (?3 IS NULL OR r.repo = ?3)"
	    " AND (?4 IS NULL OR f.path GLOB ?4)"
	    " AND (?5 IS NULL OR f.language = ?5)",
	/* a chunk's file, without filters (one lookup, not S_KEEP's three) */
	[S_FILE_OF] = "SELECT file_id FROM chunks WHERE id = ?1",
};

/* The error of the last SQLite call on ix, naming the index. */
static int
db_err(struct index *ix, struct err_ctx *ec, const char *what)
{
	int rc = sqlite3_extended_errcode(ix->db);
	int code = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED ?
	    ERR_INDEX_BUSY : rc == SQLITE_NOMEM ? ERR_NOMEM :
	    rc == SQLITE_NOTADB ? ERR_INDEX_SCHEMA : ERR_INDEX;

	err_set(ec, code, "%s: %s", what, sqlite3_errmsg(ix->db));
	err_field(ec->source, sizeof ec->source, ix->path, strlen(ix->path));
	return code;
}

/* Run a statement that returns no rows; 0 or the error. */
static int
run(struct index *ix, int s, struct err_ctx *ec)
{
	sqlite3_stmt *st = ix->st[s];
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_err(ix, ec, "write");
	return 0;
}

static int
exec(struct index *ix, const char *q, struct err_ctx *ec)
{
	if (sqlite3_exec(ix->db, q, NULL, NULL, NULL) != SQLITE_OK)
		return db_err(ix, ec, "set-up");
	return 0;
}

/* One value of a one-row query (a PRAGMA, a meta key), as int64 or text. */
static int
one_int(struct index *ix, const char *q, int64_t *v)
{
	sqlite3_stmt *st;
	int rc;

	*v = 0;
	if (sqlite3_prepare_v2(ix->db, q, -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static int
meta_get(struct index *ix, const char *key, char *out, size_t cap)
{
	sqlite3_stmt *st;
	int rc;

	out[0] = '\0';
	if (sqlite3_prepare_v2(ix->db, "SELECT value FROM meta WHERE key = ?1",
	    -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* A new file: the tables, the FTS table with the chosen tokenizer, the
 * meta rows, the version; one transaction. Unless make, only looks. */
static int
create_schema(struct index *ix, int tokenizer, int make, struct err_ctx *ec)
{
	char fts[256], w[32];
	sqlite3_stmt *st;
	int64_t ver = 0, ntables = 0;
	int e;

	snprintf(fts, sizeof fts, "CREATE VIRTUAL TABLE fts USING fts5 (path,"
	    " text, content='', tokenize='%s');", tok_specs[tokenizer]);
	snprintf(w, sizeof w, "%g", INDEX_PATH_WEIGHT);
	if ((e = exec(ix, "BEGIN IMMEDIATE", ec)) != 0)
		return e;
	/* several openers of a new file (the service's workers) may all
	 * have found it empty: the first to hold the write lock makes the
	 * schema, the others find it made and take it as it is */
	if (one_int(ix, "PRAGMA user_version", &ver) != 0 ||
	    one_int(ix, "SELECT count(*) FROM sqlite_schema", &ntables) != 0) {
		e = db_err(ix, ec, "open");
		goto fail;
	}
	if (ver != 0 || ntables != 0 || !make)
		return exec(ix, "COMMIT", ec);
	if ((e = exec(ix, schema, ec)) != 0 || (e = exec(ix, fts, ec)) != 0)
		goto fail;
	if (sqlite3_prepare_v2(ix->db, "INSERT INTO meta (key, value)"
	    " VALUES ('tokenizer', ?1), ('path_weight', ?2)", -1, &st,
	    NULL) != SQLITE_OK) {
		e = db_err(ix, ec, "set-up");
		goto fail;
	}
	sqlite3_bind_text(st, 1, tok_specs[tokenizer], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, w, -1, SQLITE_STATIC);
	e = sqlite3_step(st) == SQLITE_DONE ? 0 : db_err(ix, ec, "set-up");
	sqlite3_finalize(st);
	if (e != 0)
		goto fail;
	/* PRAGMA takes no parameters; the number is ours */
	/* merges when 8 segments of a size are there (not 4): on python3.11
	 * (115k chunks) about a fifth less time and I/O to build, the same
	 * file size. FTS5's leaves stay at its default size (4050 bytes):
	 * leaves as large as the 16 KiB pages built no faster, and a query
	 * reads every leaf into a buffer of its own, which musl's malloc
	 * maps and unmaps at that size (twice the system time, a query of
	 * the retrieval set a third slower) */
	if ((e = exec(ix, "INSERT INTO fts (fts, rank) VALUES ('automerge', 8)",
	    ec)) != 0)
		goto fail;
	if ((e = exec(ix, "PRAGMA user_version = " INDEX_VERSION_S, ec)) != 0 ||
	    (e = exec(ix, "COMMIT", ec)) != 0)
		goto fail;
	return 0;
fail:
	sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
	return e;
}

/* A new file's page size, its schema (create_schema), then WAL; unless
 * make, only a look at the schema under the write lock. Several openers
 * of one new file at once (the service's workers) get SQLITE_BUSY here
 * without SQLite's busy handler waiting (seen while another opener
 * turned the file to WAL): the steps are tried again, up to MAKE_TRIES
 * times 10 ms apart. */
#define MAKE_TRIES 100
static int
make_new(struct index *ix, int tokenizer, int make, struct err_ctx *ec)
{
	int e;

	for (int i = 1;; i++) {
		/* 16 KiB pages: a quarter of the reads and writes of 4 KiB
		 * ones for FTS5's merges (set before the first table). The
		 * schema before WAL: until it is committed the file has no
		 * bytes, so another opener never finds bytes of ours without
		 * it. WAL and synchronous=NORMAL: a crash keeps a consistent
		 * file (it may lose the last repository added, which the
		 * next `index` adds again); it is an index, not the record */
		e = make ? exec(ix, "PRAGMA page_size = 16384", ec) : 0;
		if (e == 0)
			e = create_schema(ix, tokenizer, make, ec);
		if (e == 0 && make)
			e = exec(ix, "PRAGMA journal_mode = WAL", ec);
		if (e == 0)
			return 0;
		if (e != ERR_INDEX_BUSY || i == MAKE_TRIES)
			return e;
		sqlite3_sleep(10);
	}
}

/* ------------------------------------------------------------ open */

/* see index.h */
int
index_open(struct index *ix, const char *path, const struct index_opts *o,
    struct err_ctx *ec)
{
	struct stat sb;
	int64_t ver = 0, ntables = 0;
	char w[32];
	int flags, e, had_bytes;

	memset(ix, 0, sizeof *ix);
	buf_init(&ix->f.path, 1 << 16);
	buf_init(&ix->lz, (size_t)16 << 20);
	buf_init(&ix->unlz, (size_t)16 << 20);
	buf_init(&ix->rank.expr, (size_t)INDEX_TERMS_MAX * 3 * (2 * TOK_MAX + 6) + 64);
	snprintf(ix->path, sizeof ix->path, "%s", path);
	/* a file that exists and is not empty is ours or refused: SQLite
	 * takes a file shorter than a page for an empty database and would
	 * write over it */
	had_bytes = stat(path, &sb) == 0 && sb.st_size > 0;
	if (stat(path, &sb) != 0 && !o->create) {
		err_set(ec, ERR_NOENT, "make one with `repodigest index`");
		err_field(ec->source, sizeof ec->source, path, strlen(path));
		return ERR_NOENT;
	}
	/* one connection per thread: no mutex of SQLite's own */
	flags = SQLITE_OPEN_NOMUTEX | (o->readonly ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | (o->create ? SQLITE_OPEN_CREATE : 0));
	if (sqlite3_open_v2(path, &ix->db, flags, NULL) != SQLITE_OK) {
		e = db_err(ix, ec, "open");
		goto fail;
	}
	sqlite3_extended_result_codes(ix->db, 1);
	sqlite3_busy_timeout(ix->db, INDEX_BUSY_MS);
	if (ftstok_register(ix->db) != SQLITE_OK ||
	    rank_register(ix->db) != SQLITE_OK) {
		e = db_err(ix, ec, "tokenizer");
		goto fail;
	}
	if (one_int(ix, "PRAGMA user_version", &ver) != 0 ||
	    one_int(ix, "SELECT count(*) FROM sqlite_schema", &ntables) != 0) {
		e = db_err(ix, ec, "open");
		goto fail;
	}
	if (ver == 0 && ntables == 0 && !o->readonly) {
		/* made here if the file was empty; if it had bytes, they
		 * may be another opener's that is making it now (or a
		 * foreign file's): looked at again under the write lock,
		 * never made */
		if ((e = make_new(ix, o->tokenizer, !had_bytes, ec)) != 0)
			goto fail;
		/* ours, or what another opener made first */
		if (one_int(ix, "PRAGMA user_version", &ver) != 0) {
			e = db_err(ix, ec, "open");
			goto fail;
		}
	}
	if (ver != INDEX_VERSION) {
		/* version 1's tokens had no paths: its chunks, unchanged,
		 * would never be tokenized again */
		err_set(ec, ERR_INDEX_SCHEMA, ver > INDEX_VERSION ?
		    "made by a newer repodigest (version %lld)" : ver > 0 ?
		    "made by an older repodigest (version %lld, other tokens):"
		    " index again into a new file" :
		    "not a repodigest search index", (long long)ver);
		err_field(ec->source, sizeof ec->source, path, strlen(path));
		e = ERR_INDEX_SCHEMA;
		goto fail;
	}
	if (!o->readonly && (e = exec(ix, "PRAGMA synchronous = NORMAL", ec)) != 0)
		goto fail;
	/* a reader maps the file (up to 256 MiB) instead of copying each page
	 * it reads into its cache: a query reads the same leaves of FTS5's
	 * lists several times, and pread's copies were a third of its system
	 * time (the retrieval set: 10% less CPU). Writers keep pread: nothing
	 * of ours shrinks the file under a reader (no VACUUM) */
	if (o->readonly && (e = exec(ix, "PRAGMA mmap_size = 268435456", ec)) != 0)
		goto fail;

	if (meta_get(ix, "tokenizer", ix->tok_spec, sizeof ix->tok_spec) != 0 ||
	    ftstok_parse(&ix->tok, ix->tok_spec, ix->db) != 0 ||
	    meta_get(ix, "path_weight", w, sizeof w) != 0) {
		err_set(ec, ERR_INDEX_SCHEMA, "its settings are missing or unknown");
		err_field(ec->source, sizeof ec->source, path, strlen(path));
		e = ERR_INDEX_SCHEMA;
		goto fail;
	}
	ix->path_weight = strtod(w, NULL);
	for (int s = 0; s < S__COUNT; s++) {
		/* a read-only opening prepares the reads only */
		if (o->readonly && s < S_QUERY)
			continue;
		if (sqlite3_prepare_v3(ix->db, sql[s], -1,
		    SQLITE_PREPARE_PERSISTENT, &ix->st[s], NULL) != SQLITE_OK) {
			e = db_err(ix, ec, "prepare");
			goto fail;
		}
	}
	ix->rank.stats = ix->st[S_RANK_STATS];
	ix->rank.rows = ix->st[S_RANK_ROWS];
	ix->rank.version = ix->st[S_RANK_VERSION];
	return 0;
fail:
	index_close(ix);
	return e;
}

/* see index.h */
void
index_close(struct index *ix)
{
	if (ix->in_repo)
		index_repo_abort(ix);
	for (int s = 0; s < S__COUNT; s++)
		sqlite3_finalize(ix->st[s]);
	sqlite3_close(ix->db);
	ix->db = NULL;
	buf_free(&ix->f.path);
	buf_free(&ix->lz);
	buf_free(&ix->unlz);
	buf_free(&ix->rank.expr);
	free(ix->seen);
	ix->seen = NULL;
}

/* see index.h */
const char *
index_tokenizer(const struct index *ix)
{
	return ix->tok_spec;
}

/* see index.h */
const char *
index_tokenizer_spec(int tokenizer)
{
	return tok_specs[tokenizer];
}

/* ------------------------------------------------------------ adding */

static int
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/* see index.h */
int
index_repo_begin(struct index *ix, const char *project, const char *repo,
    const char *ref, const char *commit, struct err_ctx *ec)
{
	sqlite3_stmt *st;
	char now[ISOTIME_LEN];
	int e;

	if (ix->in_repo)
		index_repo_abort(ix);
	if ((e = run(ix, S_BEGIN, ec)) != 0)
		return e;
	ix->in_repo = 1;
	memset(&ix->stats, 0, sizeof ix->stats);
	ix->nseen = 0;
	ix->f.seq = 0;
	buf_reset(&ix->f.path);
	isotime_now(now, sizeof now);
	st = ix->st[S_REPO_GET];
	bind_text(st, 1, project);
	bind_text(st, 2, repo);
	bind_text(st, 3, ref);
	if (sqlite3_step(st) == SQLITE_ROW) {
		ix->repo_id = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		/* the commit and time change only when the commit does: an
		 * unchanged repository writes nothing */
		st = ix->st[S_REPO_SET];
		sqlite3_bind_int64(st, 1, ix->repo_id);
		bind_text(st, 2, commit);
		bind_text(st, 3, now);
		sqlite3_bind_int(st, 4, 0);
		if ((e = run(ix, S_REPO_SET, ec)) != 0)
			goto fail;
		return 0;
	}
	if (sqlite3_reset(st) != SQLITE_OK) {
		e = db_err(ix, ec, "read");
		goto fail;
	}
	st = ix->st[S_REPO_ADD];
	bind_text(st, 1, project);
	bind_text(st, 2, repo);
	bind_text(st, 3, ref);
	bind_text(st, 4, commit);
	bind_text(st, 5, now);
	if ((e = run(ix, S_REPO_ADD, ec)) != 0)
		goto fail;
	ix->repo_id = sqlite3_last_insert_rowid(ix->db);
	return 0;
fail:
	index_repo_abort(ix);
	return e;
}

/* Remember a files row met in this repository (for removals). */
static int
seen_add(struct index *ix, int64_t id, struct err_ctx *ec)
{
	if (ix->nseen == ix->seen_cap) {
		size_t nc = ix->seen_cap ? ix->seen_cap * 2 : 1024;
		int64_t *p;
		if (ix->seen_cap >= INDEX_FILES_MAX)
			return err_set(ec, ERR_LIMIT, "more than %zu files in "
			    "one repository", INDEX_FILES_MAX);
		if ((p = realloc(ix->seen, nc * sizeof *p)) == NULL)
			return err_set(ec, ERR_NOMEM, NULL);
		ix->seen = p;
		ix->seen_cap = nc;
	}
	ix->seen[ix->nseen++] = id;
	return 0;
}

static int unpack(struct index *ix, sqlite3_stmt *st, int lcol, int tcol,
    const uint8_t **p, size_t *n);

/* Delete a file's stored chunks from position seq on: their FTS rows
 * (from their path and text, as FTS5 wants), then the rows. Counts them
 * in stats. */
static int
delete_tail(struct index *ix, int64_t file_id, uint64_t seq,
    struct err_ctx *ec)
{
	sqlite3_stmt *st = ix->st[S_CHUNK_TAIL], *del = ix->st[S_FTS_DEL];
	const uint8_t *text;
	size_t tn;
	int rc, e;

	sqlite3_bind_int64(st, 1, file_id);
	sqlite3_bind_int64(st, 2, (int64_t)seq);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((e = unpack(ix, st, 2, 3, &text, &tn)) != 0) {
			sqlite3_reset(st);
			err_set(ec, e, "a stored chunk's text is damaged");
			err_field(ec->source, sizeof ec->source, ix->path,
			    strlen(ix->path));
			return e;
		}
		sqlite3_bind_int64(del, 1, sqlite3_column_int64(st, 0));
		sqlite3_bind_value(del, 2, sqlite3_column_value(st, 1));
		sqlite3_bind_text64(del, 3, (const char *)text, tn,
		    SQLITE_STATIC, SQLITE_UTF8);
		if ((e = run(ix, S_FTS_DEL, ec)) != 0) {
			sqlite3_reset(st);
			return e;
		}
		ix->stats.chunks_removed++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_err(ix, ec, "read");
	st = ix->st[S_CHUNK_DEL_TAIL];
	sqlite3_bind_int64(st, 1, file_id);
	sqlite3_bind_int64(st, 2, (int64_t)seq);
	return run(ix, S_CHUNK_DEL_TAIL, ec);
}

/* Step the stored-chunk cursor: has_row says whether a row is there. */
static int
cursor_next(struct index *ix, struct err_ctx *ec)
{
	int rc = sqlite3_step(ix->st[S_CHUNK_CUR]);

	ix->f.has_row = rc == SQLITE_ROW;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sqlite3_reset(ix->st[S_CHUNK_CUR]);
		ix->f.cur_row = 0;
		return db_err(ix, ec, "read");
	}
	return 0;
}

static void
cursor_close(struct index *ix)
{
	if (ix->f.cur_row)
		sqlite3_reset(ix->st[S_CHUNK_CUR]);
	ix->f.cur_row = ix->f.has_row = 0;
}

/* A new file begins: its stored row, if any, and the cursor over its
 * stored chunks. */
static int
file_begin(struct index *ix, const struct index_chunk *c, struct err_ctx *ec)
{
	struct index_file *f = &ix->f;
	sqlite3_stmt *st = ix->st[S_FILE_GET];
	int rc, e;

	buf_reset(&f->path);
	if ((e = buf_append(&f->path, c->path, c->path_len)) != 0)
		return err_set(ec, e, "path of %zu bytes", c->path_len);
	snprintf(f->language, sizeof f->language, "%s", c->language);
	f->seq = 0;
	f->same = 0;
	sha256x_init(&f->hash);
	ix->stats.files++;
	sqlite3_bind_int64(st, 1, ix->repo_id);
	sqlite3_bind_text(st, 2, c->path, (int)c->path_len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	f->id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_err(ix, ec, "read");
	if (f->id != 0) {
		if ((e = seen_add(ix, f->id, ec)) != 0)
			return e;
		f->same = 1;
		f->cur_row = 1;
		sqlite3_bind_int64(ix->st[S_CHUNK_CUR], 1, f->id);
		return cursor_next(ix, ec);
	}
	st = ix->st[S_FILE_ADD];
	sqlite3_bind_int64(st, 1, ix->repo_id);
	sqlite3_bind_text(st, 2, c->path, (int)c->path_len, SQLITE_STATIC);
	bind_text(st, 3, c->language);
	if ((e = run(ix, S_FILE_ADD, ec)) != 0)
		return e;
	f->id = sqlite3_last_insert_rowid(ix->db);
	ix->stats.files_added++;
	return seen_add(ix, f->id, ec);
}

/* The file's chunks are over: drop a stored tail it no longer has, record
 * its hash and count, unless nothing changed. */
static int
file_end(struct index *ix, struct err_ctx *ec)
{
	struct index_file *f = &ix->f;
	sqlite3_stmt *st;
	uint8_t h[32];
	int was_same = f->same, more = f->has_row, e;

	if (f->path.len == 0)
		return 0;
	cursor_close(ix);
	buf_reset(&f->path);
	if (was_same && !more) {
		ix->stats.files_unchanged++;
		return 0;
	}
	if (was_same) {
		/* the same chunks, fewer of them */
		ix->stats.files_changed++;
		if ((e = delete_tail(ix, f->id, f->seq, ec)) != 0)
			return e;
	}
	sha256x_out(&f->hash, h);
	st = ix->st[S_FILE_SET];
	sqlite3_bind_int64(st, 1, f->id);
	bind_text(st, 2, f->language);
	sqlite3_bind_blob(st, 3, h, sizeof h, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, (int64_t)f->seq);
	return run(ix, S_FILE_SET, ec);
}

/* The text as stored: an LZ4 block when that is smaller, else raw (a
 * stored length equal to text_len means raw). */
static int
pack(struct index *ix, const uint8_t *p, size_t n, const void **out,
    size_t *on)
{
	int bound, k;

	*out = p;
	*on = n;
	if (n < 64 || n > (size_t)LZ4_MAX_INPUT_SIZE)
		return 0;
	bound = LZ4_compressBound((int)n);
	buf_reset(&ix->lz);
	if (buf_reserve(&ix->lz, (size_t)bound) != 0)
		return 0;               /* stored raw */
	k = LZ4_compress_default((const char *)p, (char *)ix->lz.p, (int)n,
	    bound);
	if (k > 0 && (size_t)k < n) {
		*out = ix->lz.p;
		*on = (size_t)k;
	}
	return 0;
}

/* Add one chunk at the file's current position. */
static int
add_chunk(struct index *ix, const struct index_chunk *c, struct err_ctx *ec)
{
	sqlite3_stmt *st = ix->st[S_CHUNK_ADD];
	const void *blob;
	size_t bn;
	int64_t id;
	int e;

	pack(ix, c->text, c->text_len, &blob, &bn);
	sqlite3_bind_int64(st, 1, ix->f.id);
	sqlite3_bind_int64(st, 2, (int64_t)ix->f.seq);
	sqlite3_bind_int64(st, 3, (int64_t)c->n);
	sqlite3_bind_int64(st, 4, (int64_t)c->start_line);
	sqlite3_bind_int64(st, 5, (int64_t)c->end_line);
	bind_text(st, 6, c->id);
	sqlite3_bind_int64(st, 7, (int64_t)c->tokens);
	sqlite3_bind_int64(st, 8, (int64_t)c->text_len);
	sqlite3_bind_blob64(st, 9, blob, bn, SQLITE_STATIC);
	if ((e = run(ix, S_CHUNK_ADD, ec)) != 0)
		return e;
	id = sqlite3_last_insert_rowid(ix->db);
	st = ix->st[S_FTS_ADD];
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, c->path, (int)c->path_len, SQLITE_STATIC);
	sqlite3_bind_text64(st, 3, (const char *)c->text, c->text_len,
	    SQLITE_STATIC, SQLITE_UTF8);
	if ((e = run(ix, S_FTS_ADD, ec)) != 0)
		return e;
	ix->stats.chunks_added++;
	ix->stats.text_bytes += c->text_len;
	return 0;
}

/* 1 if the cursor's stored chunk is c. */
static int
stored_is(struct index *ix, const struct index_chunk *c)
{
	sqlite3_stmt *st = ix->st[S_CHUNK_CUR];
	const unsigned char *id = sqlite3_column_text(st, 0);

	return id != NULL && strcmp((const char *)id, c->id) == 0 &&
	    sqlite3_column_int64(st, 1) == (int64_t)c->start_line &&
	    sqlite3_column_int64(st, 2) == (int64_t)c->end_line;
}

/* see index.h */
int
index_repo_chunk(struct index *ix, const struct index_chunk *c,
    struct err_ctx *ec)
{
	struct index_file *f = &ix->f;
	int e;

	if (!ix->in_repo)
		return err_set(ec, ERR_USAGE, "no repository begun");
	if (c->text_len > (size_t)0x7fffffff || c->path_len == 0 ||
	    c->path_len > (size_t)0x7fffffff)
		return err_set(ec, ERR_LIMIT, "chunk too large");
	/* a new file: another path, or chunk 0 again (a path given twice
	 * is two files in a row; the last one stays) */
	if (f->path.len != c->path_len || memcmp(f->path.p, c->path,
	    c->path_len) != 0 || (c->n == 0 && f->seq > 0)) {
		if ((e = file_end(ix, ec)) != 0 || (e = file_begin(ix, c, ec)) != 0)
			goto fail;
	}
	ix->stats.chunks++;
	sha256x_update(&f->hash, c->id, strlen(c->id));
	if (f->same && f->has_row && stored_is(ix, c)) {
		f->seq++;
		return cursor_next(ix, ec);
	}
	if (f->same) {
		/* the first difference: the stored chunks from here go */
		cursor_close(ix);
		f->same = 0;
		ix->stats.files_changed++;
		if ((e = delete_tail(ix, f->id, f->seq, ec)) != 0)
			goto fail;
	}
	if ((e = add_chunk(ix, c, ec)) != 0)
		goto fail;
	f->seq++;
	return 0;
fail:
	index_repo_abort(ix);
	return e;
}

static int
cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Delete one file: its chunks (FTS rows first), then its row. */
static int
delete_file(struct index *ix, int64_t id, struct err_ctx *ec)
{
	int e;

	if ((e = delete_tail(ix, id, 0, ec)) != 0)
		return e;
	sqlite3_bind_int64(ix->st[S_FILE_DEL], 1, id);
	return run(ix, S_FILE_DEL, ec);
}

/* Files of the repository that were not met: ids gathered first (the
 * list query is not stepped while rows are deleted), then deleted. */
static int
remove_unseen(struct index *ix, struct err_ctx *ec)
{
	sqlite3_stmt *st = ix->st[S_FILE_LIST];
	int64_t *gone = NULL, id;
	size_t n = 0, cap = 0;
	int rc, e = 0;

	if (ix->nseen > 1)
		qsort(ix->seen, ix->nseen, sizeof *ix->seen, cmp_id);
	sqlite3_bind_int64(st, 1, ix->repo_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		if (ix->nseen > 0 && bsearch(&id, ix->seen, ix->nseen,
		    sizeof id, cmp_id) != NULL)
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 256;
			int64_t *p = realloc(gone, nc * sizeof *p);
			if (p == NULL) {
				e = err_set(ec, ERR_NOMEM, NULL);
				break;
			}
			gone = p;
			cap = nc;
		}
		gone[n++] = id;
	}
	sqlite3_reset(st);
	if (e == 0 && rc != SQLITE_DONE)
		e = db_err(ix, ec, "read");
	for (size_t i = 0; e == 0 && i < n; i++) {
		e = delete_file(ix, gone[i], ec);
		ix->stats.files_removed++;
	}
	free(gone);
	return e;
}

/* see index.h */
int
index_repo_end(struct index *ix, struct index_stats *st, struct err_ctx *ec)
{
	int e;

	if (!ix->in_repo)
		return err_set(ec, ERR_USAGE, "no repository begun");
	if ((e = file_end(ix, ec)) != 0 || (e = remove_unseen(ix, ec)) != 0 ||
	    (e = run(ix, S_COMMIT, ec)) != 0) {
		index_repo_abort(ix);
		return e;
	}
	ix->in_repo = 0;
	if (st != NULL)
		*st = ix->stats;
	return 0;
}

/* see index.h */
void
index_repo_abort(struct index *ix)
{
	cursor_close(ix);
	buf_reset(&ix->f.path);
	if (ix->in_repo && sqlite3_get_autocommit(ix->db) == 0) {
		sqlite3_step(ix->st[S_ROLLBACK]);
		sqlite3_reset(ix->st[S_ROLLBACK]);
	}
	ix->in_repo = 0;
}

/* see index.h */
int
index_delete(struct index *ix, const char *project, const char *repo,
    const char *ref, uint64_t *chunks, struct err_ctx *ec)
{
	sqlite3_stmt *st;
	int64_t id;
	int rc, e;

	*chunks = 0;
	if (ix->in_repo)
		return err_set(ec, ERR_USAGE, "a repository is being added");
	if ((e = run(ix, S_BEGIN, ec)) != 0)
		return e;
	ix->in_repo = 1;
	memset(&ix->stats, 0, sizeof ix->stats);
	st = ix->st[S_REPO_GET];
	bind_text(st, 1, project);
	bind_text(st, 2, repo);
	bind_text(st, 3, ref);
	rc = sqlite3_step(st);
	id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		e = db_err(ix, ec, "read");
		goto fail;
	}
	if (id != 0) {
		/* every file is "unseen": remove_unseen deletes them all */
		ix->repo_id = id;
		ix->nseen = 0;
		if ((e = remove_unseen(ix, ec)) != 0)
			goto fail;
		sqlite3_bind_int64(ix->st[S_REPO_DEL], 1, id);
		if ((e = run(ix, S_REPO_DEL, ec)) != 0)
			goto fail;
	}
	if ((e = run(ix, S_COMMIT, ec)) != 0)
		goto fail;
	ix->in_repo = 0;
	*chunks = ix->stats.chunks_removed;
	return 0;
fail:
	index_repo_abort(ix);
	return e;
}

/* ------------------------------------------------------------ query */

/* Collect distinct tokens as terms. */
static int
add_term(void *ctx, const char *tok, size_t n, size_t s, size_t e, int fl)
{
	struct index_terms *t = ctx;

	(void)s, (void)e, (void)fl;
	if (n == 0 || n > TOK_MAX)
		return 0;
	for (size_t i = 0; i < t->n; i++)
		if (t->len[i] == n && memcmp(t->t[i], tok, n) == 0)
			return 0;
	if (t->n == INDEX_TERMS_MAX) {
		t->dropped++;
		return 0;
	}
	memcpy(t->t[t->n], tok, n);
	t->len[t->n++] = (uint8_t)n;
	return 0;
}

/* see index.h */
void
index_terms(const struct index *ix, const uint8_t *q, size_t n,
    struct index_terms *t)
{
	t->n = 0;
	t->dropped = 0;
	ftstok_text(&ix->tok, q, n, add_term, t);
}

/* see index.h */
int
index_tokenize(const struct index *ix, const uint8_t *p, size_t n,
    tok_fn fn, void *ctx)
{
	return ftstok_text(&ix->tok, p, n, fn, ctx);
}

/* The MATCH expression: "t1" OR "t2" ..., each term quoted, a quote in a
 * term doubled (FTS5's string rule); no other syntax is ever written. */
static int
match_expr(const struct index_terms *t, struct buf *b)
{
	for (size_t i = 0; i < t->n; i++) {
		if (i > 0 && buf_puts(b, " OR ") != 0)
			return ERR_NOMEM;
		if (buf_putc(b, '"') != 0)
			return ERR_NOMEM;
		for (size_t j = 0; j < t->len[i]; j++)
			if ((t->t[i][j] == '"' && buf_putc(b, '"') != 0) ||
			    buf_putc(b, t->t[i][j]) != 0)
				return ERR_NOMEM;
		if (buf_putc(b, '"') != 0)
			return ERR_NOMEM;
	}
	return 0;
}

static const char *
col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? (const char *)s : "";
}

static void
bind_opt(sqlite3_stmt *st, int i, const char *s)
{
	if (s != NULL)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* A stored text back: raw, or its LZ4 block inflated into ix->lz. */
static int
unpack(struct index *ix, sqlite3_stmt *st, int lcol, int tcol,
    const uint8_t **p, size_t *n)
{
	int64_t len = sqlite3_column_int64(st, lcol);
	const void *b = sqlite3_column_blob(st, tcol);
	int bn = sqlite3_column_bytes(st, tcol);

	*p = b;
	*n = (size_t)bn;
	if (len == bn || len <= 0)
		return 0;
	buf_reset(&ix->unlz);
	if (len > 0x7fffffff || buf_reserve(&ix->unlz, (size_t)len) != 0)
		return ERR_NOMEM;
	if (LZ4_decompress_safe(b, (char *)ix->unlz.p, bn, (int)len) != len)
		return ERR_INDEX;
	*p = ix->unlz.p;
	*n = (size_t)len;
	return 0;
}

/* One row of S_QUERY, S_QUERY_F or S_ROW to the caller. */
static int
hit_out(struct index *ix, sqlite3_stmt *st, double score, index_hit_fn fn,
    void *ctx, struct err_ctx *ec)
{
	struct index_hit h;
	int e;

	memset(&h, 0, sizeof h);
	h.score = score;
	h.project = col_text(st, 2);
	h.repo = col_text(st, 3);
	h.ref = col_text(st, 4);
	h.path = col_text(st, 5);
	h.language = col_text(st, 6);
	h.chunk = (uint64_t)sqlite3_column_int64(st, 7);
	h.start_line = (uint64_t)sqlite3_column_int64(st, 8);
	h.end_line = (uint64_t)sqlite3_column_int64(st, 9);
	h.id = col_text(st, 10);
	if ((e = unpack(ix, st, 11, 12, &h.text, &h.text_len)) != 0) {
		err_set(ec, e, "chunk %s: stored text is damaged", h.id);
		err_field(ec->source, sizeof ec->source, ix->path,
		    strlen(ix->path));
		return e;
	}
	return fn(ctx, &h);
}

static int
is_filtered(const struct index_filter *f)
{
	return f != NULL && (f->project || f->repo || f->path_glob ||
	    f->language);
}

static void
bind_filter(sqlite3_stmt *st, const struct index_filter *f)
{
	bind_opt(st, 2, f->project);
	bind_opt(st, 3, f->repo);
	bind_opt(st, 4, f->path_glob);
	bind_opt(st, 5, f->language);
}

/* Whether one more chunk of file id may go out: files[0..*n) are the
 * files sent so far with their counts (at most k of them). */
struct file_count {
	int64_t id;
	size_t n;
};

static int
file_take(struct file_count *files, size_t *n, int64_t id, size_t cap)
{
	for (size_t i = 0; i < *n; i++)
		if (files[i].id == id)
			return files[i].n < cap ? (int)++files[i].n : 0;
	files[*n].id = id;
	files[(*n)++].n = 1;
	return 1;
}

/* see index.h */
int
index_query_full(struct index *ix, const struct index_terms *t,
    const struct index_filter *f, size_t k, index_hit_fn fn, void *ctx,
    struct err_ctx *ec)
{
	int filtered = is_filtered(f);
	sqlite3_stmt *st = ix->st[filtered ? S_QUERY_F : S_QUERY];
	size_t cap = f != NULL ? f->per_file : 0, nfiles = 0, sent = 0;
	struct file_count *files = NULL;
	struct buf m;
	int rc = SQLITE_DONE, e = 0;

	if (t->n == 0 || k == 0)
		return 0;
	if (k > INDEX_K_MAX)
		k = INDEX_K_MAX;
	if (cap > 0 && (files = malloc(k * sizeof *files)) == NULL)
		return err_set(ec, ERR_NOMEM, NULL);
	buf_init(&m, (size_t)INDEX_TERMS_MAX * (2 * TOK_MAX + 6));
	if (match_expr(t, &m) != 0) {
		buf_free(&m);
		free(files);
		return err_set(ec, ERR_NOMEM, NULL);
	}
	sqlite3_bind_text(st, 1, (const char *)m.p, (int)m.len, SQLITE_STATIC);
	if (filtered)
		bind_filter(st, f);
	/* with a cap, every match in bm25()'s order until k are sent */
	sqlite3_bind_int64(st, 6, cap > 0 ? -1 : (int64_t)k);
	sqlite3_bind_double(st, 7, ix->path_weight);
	while (sent < k && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cap > 0 && !file_take(files, &nfiles,
		    sqlite3_column_int64(st, 13), cap))
			continue;
		sent++;
		if ((e = hit_out(ix, st, sqlite3_column_double(st, 1), fn, ctx,
		    ec)) != 0)
			break;
	}
	if (e == 0 && sent < k && rc != SQLITE_DONE)
		e = db_err(ix, ec, "query");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	buf_free(&m);
	free(files);
	return e;
}

/* rank_keep_fn: whether a chunk passes ix->filter (S_KEEP; S_FILE_OF
 * when it filters nothing), and its file (the group per_file counts). */
static int
keep_row(void *ctx, int64_t rowid, int64_t *group)
{
	struct index *ix = ctx;
	int filtered = is_filtered(ix->filter);
	sqlite3_stmt *st = ix->st[filtered ? S_KEEP : S_FILE_OF];
	int rc;

	sqlite3_bind_int64(st, 1, rowid);
	if (filtered)
		bind_filter(st, ix->filter);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*group = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* see index.h */
int
index_query(struct index *ix, const struct index_terms *t,
    const struct index_filter *f, size_t k, index_hit_fn fn, void *ctx,
    struct err_ctx *ec)
{
	const double w[2] = { ix->path_weight, 1.0 };
	sqlite3_stmt *st = ix->st[S_ROW];
	struct rank_row *top;
	size_t n = 0, cap;
	int rc, e = 0;

	memset(&ix->last, 0, sizeof ix->last);
	if (t->n == 0 || k == 0)
		return 0;
	if (k > INDEX_K_MAX)
		k = INDEX_K_MAX;
	if ((top = malloc(k * sizeof *top)) == NULL)
		return err_set(ec, ERR_NOMEM, NULL);
	ix->filter = f;
	cap = f != NULL ? f->per_file : 0;
	rc = rank_topk(&ix->rank, (const char (*)[TOK_MAX])t->t, t->len, t->n,
	    w, 2, k, is_filtered(f) || cap > 0 ? keep_row : NULL, ix, cap,
	    top, &n, &ix->last);
	ix->filter = NULL;
	if (rc != SQLITE_OK) {
		free(top);
		return rc == SQLITE_NOMEM ? err_set(ec, ERR_NOMEM, NULL) :
		    db_err(ix, ec, "query");
	}
	for (size_t i = 0; e == 0 && i < n; i++) {
		sqlite3_bind_int64(st, 1, top[i].rowid);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			e = hit_out(ix, st, top[i].score, fn, ctx, ec);
		else if (rc != SQLITE_DONE)
			e = db_err(ix, ec, "query");
		sqlite3_reset(st);
	}
	free(top);
	return e;
}

/* see index.h */
int
index_sizes(struct index *ix, struct index_sizes *s, struct err_ctx *ec)
{
	static const char q[] =
	    "SELECT (SELECT count(*) FROM chunks),"
	    " (SELECT coalesce(sum(length(block)), 0) + count(*) * 8"
	    "  FROM fts_data)"
	    " + (SELECT coalesce(sum(length(term)), 0) + count(*) * 16"
	    "  FROM fts_idx)"
	    " + (SELECT coalesce(sum(length(sz)), 0) + count(*) * 8"
	    "  FROM fts_docsize),"
	    " (SELECT coalesce(sum(length(text)), 0) FROM chunks),"
	    " (SELECT coalesce(sum(text_len), 0) FROM chunks)";
	sqlite3_stmt *st;
	int rc;

	memset(s, 0, sizeof *s);
	if (sqlite3_prepare_v2(ix->db, q, -1, &st, NULL) != SQLITE_OK)
		return db_err(ix, ec, "sizes");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		s->chunks = (uint64_t)sqlite3_column_int64(st, 0);
		s->fts_bytes = (uint64_t)sqlite3_column_int64(st, 1);
		s->stored_text_bytes = (uint64_t)sqlite3_column_int64(st, 2);
		s->text_bytes = (uint64_t)sqlite3_column_int64(st, 3);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : db_err(ix, ec, "sizes");
}

/* see index.h */
void
index_chunk_of(struct index_chunk *c, const struct chunkrd_rec *r)
{
	memset(c, 0, sizeof *c);
	c->path = r->path;
	c->path_len = r->path_len;
	c->language = r->language;
	c->id = r->id;
	c->n = r->chunk;
	c->start_line = r->start_line;
	c->end_line = r->end_line;
	c->tokens = r->tokens;
	c->text = r->text.p ? r->text.p : (const uint8_t *)"";
	c->text_len = r->text.len;
}
