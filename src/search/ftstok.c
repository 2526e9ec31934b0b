/*
 * ftstok.c - the search tokenizer as an FTS5 tokenizer, and FTS5's
 * unicode61 called from outside a table. See ftstok.h.
 *
 * FTS5 hands xTokenize an int length and wants int offsets; a chunk is at
 * most a few MB (chunkread.h), far below INT_MAX, and FTS5 never passes
 * more than an int anyway.
 */
#include <stdlib.h>
#include <string.h>

#include "ftstok.h"

/* One tokenizer instance: its mode, from the table's arguments. */
struct code_tok {
	enum tok_mode mode;
};

/* An FTS5 xToken callback and its context, behind tok_fn. */
struct fts_cb {
	void *ctx;
	int (*x)(void *, int, const char *, int, int, int);
};

static int
to_fts(void *ctx, const char *t, size_t n, size_t s, size_t e, int fl)
{
	struct fts_cb *cb = ctx;

	return cb->x(cb->ctx, fl & TOK_COLOCATED ? FTS5_TOKEN_COLOCATED : 0,
	    t, (int)n, (int)s, (int)e);
}

static int
mode_of(const char *s, enum tok_mode *m)
{
	if (strcmp(s, "parts") == 0)
		*m = TOK_PARTS;
	else if (strcmp(s, "separate") == 0)
		*m = TOK_SEPARATE;
	else if (strcmp(s, "one") == 0)
		*m = TOK_ONE;
	else
		return -1;
	return 0;
}

static int
code_create(void *ud, const char **argv, int argc, Fts5Tokenizer **out)
{
	struct code_tok *t;
	enum tok_mode m = TOK_ONE;

	(void)ud;
	if (argc > 1 || (argc == 1 && mode_of(argv[0], &m) != 0))
		return SQLITE_ERROR;
	if ((t = sqlite3_malloc(sizeof *t)) == NULL)
		return SQLITE_NOMEM;
	t->mode = m;
	*out = (Fts5Tokenizer *)t;
	return SQLITE_OK;
}

static void
code_delete(Fts5Tokenizer *t)
{
	sqlite3_free(t);
}

static int
code_tokenize(Fts5Tokenizer *tk, void *ctx, int flags, const char *text,
    int n, const char *locale, int nlocale,
    int (*x)(void *, int, const char *, int, int, int))
{
	struct code_tok *t = (struct code_tok *)tk;
	struct fts_cb cb = { ctx, x };
	char low[TOK_MAX];
	size_t k;

	(void)locale, (void)nlocale;
	if (n <= 0)
		return SQLITE_OK;
	if (flags & FTS5_TOKENIZE_QUERY) {
		/* one term, as index_query quoted it (see ftstok.h) */
		k = tok_lower((const uint8_t *)text, (size_t)n, low);
		return k == 0 ? SQLITE_OK : x(ctx, 0, low, (int)k, 0, n);
	}
	return tok_text((const uint8_t *)text, (size_t)n, t->mode, to_fts, &cb);
}

/* see ftstok.h */
fts5_api *
ftstok_fts5(sqlite3 *db)
{
	fts5_api *api = NULL;
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) !=
	    SQLITE_OK)
		return NULL;
	sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	sqlite3_finalize(st);
	return api != NULL && api->iVersion >= 3 ? api : NULL;
}

/* see ftstok.h */
int
ftstok_register(sqlite3 *db)
{
	static fts5_tokenizer_v2 code = {
		2, code_create, code_delete, code_tokenize
	};
	fts5_api *api = ftstok_fts5(db);

	if (api == NULL)
		return SQLITE_ERROR;
	return api->xCreateTokenizer_v2(api, "code", NULL, &code, NULL);
}

/* see ftstok.h */
int
ftstok_parse(struct ftstok *t, const char *spec, sqlite3 *db)
{
	memset(t, 0, sizeof *t);
	t->db = db;
	if (strcmp(spec, "unicode61") == 0)
		return 0;
	/* FTS5 stems what code makes, in documents and in the MATCH's
	 * terms: the terms stay code's (ftstok.h) */
	if (strcmp(spec, "porter code one") == 0)
		spec += 7;
	if (strncmp(spec, "code ", 5) != 0 || mode_of(spec + 5, &t->mode) != 0)
		return -1;
	t->code = 1;
	return 0;
}

/* unicode61's callback to ours: its tokens carry no colocation. */
struct u61_cb {
	tok_fn fn;
	void *ctx;
};

static int
from_fts(void *ctx, int fl, const char *t, int n, int s, int e)
{
	struct u61_cb *cb = ctx;

	return cb->fn(cb->ctx, t, (size_t)n, (size_t)s, (size_t)e,
	    fl & FTS5_TOKEN_COLOCATED ? TOK_COLOCATED : 0);
}

/* see ftstok.h */
int
ftstok_text(const struct ftstok *t, const uint8_t *p, size_t n, tok_fn fn,
    void *ctx)
{
	fts5_tokenizer_v2 *tk = NULL;
	Fts5Tokenizer *inst = NULL;
	fts5_api *api;
	void *ud = NULL;
	struct u61_cb cb = { fn, ctx };
	int r;

	if (t->code)
		return tok_text(p, n, t->mode, fn, ctx);
	if (n > (size_t)0x7fffffff)
		return SQLITE_TOOBIG;
	if ((api = ftstok_fts5(t->db)) == NULL ||
	    api->xFindTokenizer_v2(api, "unicode61", &ud, &tk) != SQLITE_OK)
		return SQLITE_ERROR;
	if ((r = tk->xCreate(ud, NULL, 0, &inst)) != SQLITE_OK)
		return r;
	r = tk->xTokenize(inst, &cb, FTS5_TOKENIZE_DOCUMENT, (const char *)p,
	    (int)n, NULL, 0, from_fts);
	tk->xDelete(inst);
	return r;
}
