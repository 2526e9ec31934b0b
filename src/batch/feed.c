/*
 * feed.c - repos.json feed to jobs, streamed.
 *
 * Data flow: bytes pushed in pieces of any size -> a byte-at-a-time JSON
 * tokenizer (RFC 8259, strict: no comments, no "+1", "01" or ".5", only
 * space, tab, CR, LF as whitespace; a UTF-8 BOM at the start is skipped) ->
 * per string, a decoder (escapes to UTF-8) feeding a strict UTF-8 check and,
 * for the record's keys and for the values of owner, name, url and pushedAt,
 * a capture capped at the field's limit + 1 -> at the end of each member, the
 * record's first problem in member order -> at the end of each record, the
 * checks of feed.h, then the duplicate table (open addressing over the
 * sharding hash of lower-case "owner/name") -> a kept record's four strings
 * copied into FEED_BLOCK_SIZE blocks, its job appended to the array.
 *
 * Nothing else is held: the feed's bytes, other fields, nested values and
 * skipped records cost nothing once read. Memory is the job array (48 bytes
 * a record, grown by doubling, trimmed at the end), the strings (~110 bytes
 * a record in the real feed) and the duplicate table (uint32 slots, at most
 * half full); 200k records in the real format: about 32 MB.
 *
 * String rules are those of the cJSON-based parser this replaces (kept
 * byte for byte by the tests): "\u0000", a raw NUL byte and a lone surrogate
 * escape each make the string invalid, like bad UTF-8 (so the record is
 * skipped, never the feed; cJSON would have cut the string at the NUL, or
 * rejected the whole document over one surrogate); the skip's reason says
 * which of them it was. A high surrogate escape pairs only with a low one
 * that follows at once.
 *
 * Limits: FEED_MAX_BYTES, FEED_MAX_RECORDS, FEED_MAX_DEPTH (1000, as cJSON),
 * strings captured up to their field's cap (a 10 MB owner costs 40 bytes).
 * Measured on 200k records in the real format (114 MB, scripts/gen-feed):
 * see docs/performance.md.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "feed.h"
#include "shard.h"
#include "utf8enc.h"

/* ------------------------------------------------------------ checks */

/* see feed.h */
int
feed_check_owner(const char *s, size_t n)
{
	if (n < 1 || n > FEED_OWNER_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-'))
			return 0;
	}
	return 1;
}

/* see feed.h */
int
feed_check_repo(const char *s, size_t n)
{
	if (n < 1 || n > FEED_REPO_MAX)
		return 0;
	/* "." and ".." would name the owner's or the parent directory */
	if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_'))
			return 0;
	}
	return 1;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Case-insensitive ASCII prefix match of s[0..n) against lit; 1 on match. */
static int
eat(const char **s, size_t *n, const char *lit, size_t m)
{
	if (*n < m)
		return 0;
	for (size_t i = 0; i < m; i++) {
		int a = lower((unsigned char)(*s)[i]);
		if (a != lower((unsigned char)lit[i]))
			return 0;
	}
	*s += m;
	*n -= m;
	return 1;
}

/* see feed.h */
int
feed_check_url(const char *owner, const char *repo, const char *url,
    size_t n)
{
	/*
	 * An exact, anchored comparison: every byte of the URL is accounted
	 * for by the scheme+host literal, owner, "/", repo and one allowed
	 * suffix, so userinfo, ports, escapes, queries and extra segments
	 * cannot slip through a parser's interpretation.
	 */
	if (!eat(&url, &n, "https://github.com/", 19) ||
	    !eat(&url, &n, owner, strlen(owner)) ||
	    !eat(&url, &n, "/", 1) ||
	    !eat(&url, &n, repo, strlen(repo)))
		return 0;
	return n == 0 || (n == 1 && url[0] == '/') ||
	    (n == 4 && eat(&url, &n, ".git", 4));
}

static int
isdig(const char *s, size_t i)
{
	return s[i] >= '0' && s[i] <= '9';
}

/* see feed.h */
int
feed_check_time(const char *s, size_t n)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	size_t i, k;

	if (n < 20 || n > 35)
		return 0;
	for (i = 0; i < 19; i++) {
		if (shape[i] == 'd' ? !isdig(s, i) : s[i] != shape[i])
			return 0;
	}
	if (s[i] == '.') {
		for (k = ++i; i < n && isdig(s, i); i++)
			;
		if (i == k || i - k > 9)
			return 0;
	}
	if (i < n && s[i] == 'Z')
		return i + 1 == n;
	return n - i == 6 && (s[i] == '+' || s[i] == '-') &&
	    isdig(s, i + 1) && isdig(s, i + 2) && s[i + 3] == ':' &&
	    isdig(s, i + 4) && isdig(s, i + 5);
}

/* ------------------------------------------------------------ grammar */

/* where we are between tokens (fp->st) */
enum {
	S_START = 0,    /* before the top-level value */
	S_BOM,          /* inside a UTF-8 BOM at offset 0 */
	S_VALUE,        /* a value must come */
	S_VALUE_OR_END, /* just after '[' */
	S_KEY,          /* a key must come (after ',' in an object) */
	S_KEY_OR_END,   /* just after '{' */
	S_COLON,        /* after a key */
	S_AFTER,        /* after a value inside a container */
	S_DONE          /* after the top-level value */
};

/* inside a token (fp->tok) */
enum { TOK_NONE = 0, TOK_STR, TOK_NUM, TOK_LIT };

/* string decoder (fp->sub while TOK_STR) */
enum { SS_PLAIN = 0, SS_ESC, SS_HEX };

/* number (fp->sub while TOK_NUM), RFC 8259 section 6 */
enum { N_MINUS, N_ZERO, N_INT, N_DOT, N_FRAC, N_EXP, N_EXPSIGN, N_EXPD };

/* value types, named as the reasons name them */
enum { T_NULL, T_BOOL, T_NUMBER, T_STRING, T_ARRAY, T_OBJECT };
static const char *const type_name[] = {
	"null", "boolean", "number", "string", "array", "object"
};

/* why a string is refused (fp->str_why), the worst one found first */
enum { W_OK, W_NUL, W_SURROGATE, W_UTF8 };
static const char *const why_text[] = {
	"", "NUL character (U+0000)", "lone UTF-16 surrogate escape",
	"invalid UTF-8"
};

enum { F_OWNER, F_NAME, F_URL, F_PUSHED, F__N };
static const char *const field_key[F__N] = {
	"owner", "name", "url", "pushedAt"
};
static const size_t field_lim[F__N] = {
	FEED_OWNER_MAX, FEED_REPO_MAX, FEED_URL_MAX, FEED_PUSHED_MAX
};

/* ------------------------------------------------------------ errors */

/* Record the sticky error (the first one wins); returns it. */
static int
fail(struct feed_parser *fp, int code, int at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
fail(struct feed_parser *fp, int code, int at, const char *fmt, ...)
{
	va_list ap;

	if (fp->err != 0)
		return fp->err;
	fp->err = code;
	va_start(ap, fmt);
	vsnprintf(fp->detail, sizeof fp->detail, fmt, ap);
	va_end(ap);
	fp->has_err_at = at;
	fp->err_at = fp->here;
	return code;
}

/* A syntax error at the byte being read. */
static void
bad_json(struct feed_parser *fp, const char *what)
{
	fail(fp, ERR_FEED_JSON, 1, "%s", what);
}

/* The string being read is refused, for why (the worst reason is kept). */
static void
str_flag(struct feed_parser *fp, int why)
{
	fp->str_ok = 0;
	if (why > fp->str_why)
		fp->str_why = why;
}

/* ------------------------------------------------------------ output */

struct feed_block {
	struct feed_block *next;
	size_t used;
	char data[];                    /* FEED_BLOCK_SIZE - header */
};

#define BLOCK_DATA (FEED_BLOCK_SIZE - sizeof(struct feed_block))

/* see feed.h */
void
feed_list_free(struct feed_list *l)
{
	struct feed_block *b, *next;

	for (b = l->blocks; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(l->jobs);
	memset(l, 0, sizeof *l);
}

static int
same_ci(const char *a, const char *b)
{
	for (; *a != '\0' && lower((unsigned char)*a) ==
	    lower((unsigned char)*b); a++, b++)
		;
	return *a == '\0' && *b == '\0';
}

/* Double the duplicate table (at least 1024 slots) and re-insert. */
static int
table_grow(struct feed_parser *fp)
{
	size_t cap = fp->mask ? 2 * (fp->mask + 1) : 1024;
	uint32_t *slot = calloc(cap, sizeof *slot);

	if (slot == NULL)
		return fail(fp, ERR_NOMEM, 0, "duplicate table");
	for (size_t i = 0; i < fp->out.njobs; i++) {
		const struct feed_job *j = &fp->out.jobs[i];
		size_t h = (size_t)shard_hash(j->owner, j->repo) & (cap - 1);
		while (slot[h] != 0)
			h = (h + 1) & (cap - 1);
		slot[h] = (uint32_t)(i + 1);
	}
	free(fp->slot);
	fp->slot = slot;
	fp->mask = cap - 1;
	return 0;
}

/* n bytes of string space that stay put (blocks are never moved). */
static char *
arena_take(struct feed_parser *fp, size_t n)
{
	struct feed_block *b = fp->out.blocks;

	if (b == NULL || BLOCK_DATA - b->used < n) {
		if ((b = malloc(FEED_BLOCK_SIZE)) == NULL) {
			fail(fp, ERR_NOMEM, 0, "feed strings");
			return NULL;
		}
		b->next = fp->out.blocks;
		b->used = 0;
		fp->out.blocks = b;
	}
	b->used += n;
	return b->data + b->used - n;
}

static const char *
put_str(char **at, const char *s, size_t n)
{
	char *p = *at;

	memcpy(p, s, n);
	p[n] = '\0';
	*at = p + n + 1;
	return p;
}

/*
 * The record passed every check: keep it unless an earlier record has the
 * same identity. Returns the raw index of that record, SIZE_MAX when kept
 * (or on error: fp->err is set).
 */
static size_t
keep(struct feed_parser *fp)
{
	struct feed_list *l = &fp->out;
	struct feed_job *j;
	size_t h, need;
	char *at;

	if ((l->njobs + 1) * 2 > fp->mask + 1 && table_grow(fp) != 0)
		return SIZE_MAX;
	h = (size_t)shard_hash(fp->fowner, fp->frepo) & fp->mask;
	for (; fp->slot[h] != 0; h = (h + 1) & fp->mask) {
		const struct feed_job *o = &l->jobs[fp->slot[h] - 1];
		if (same_ci(o->owner, fp->fowner) &&
		    same_ci(o->repo, fp->frepo))
			return o->index;
	}
	if (l->njobs == fp->jcap) {
		/* njobs <= nrecords <= FEED_MAX_RECORDS: no overflow */
		size_t nc = fp->jcap ? 2 * fp->jcap : 1024;
		struct feed_job *g = realloc(l->jobs, nc * sizeof *g);
		if (g == NULL) {
			fail(fp, ERR_NOMEM, 0, "job array");
			return SIZE_MAX;
		}
		l->jobs = g;
		fp->jcap = nc;
	}
	need = fp->flen[F_OWNER] + fp->flen[F_NAME] + fp->flen[F_URL] + 3;
	if (fp->seen[F_PUSHED] && fp->ftype[F_PUSHED] == T_STRING)
		need += fp->flen[F_PUSHED] + 1;
	if ((at = arena_take(fp, need)) == NULL)
		return SIZE_MAX;
	j = &l->jobs[l->njobs];
	j->owner = put_str(&at, fp->fowner, fp->flen[F_OWNER]);
	j->repo = put_str(&at, fp->frepo, fp->flen[F_NAME]);
	j->url = put_str(&at, fp->furl, fp->flen[F_URL]);
	j->pushed_at = "";
	j->has_pushed_at = 0;
	if (fp->seen[F_PUSHED] && fp->ftype[F_PUSHED] == T_STRING) {
		j->pushed_at = put_str(&at, fp->fpushed, fp->flen[F_PUSHED]);
		j->has_pushed_at = 1;
	}
	j->index = fp->idx;
	fp->slot[h] = (uint32_t)(++l->njobs);
	return SIZE_MAX;
}

/* ------------------------------------------------------------ records */

/*
 * Name a top-level key for a reason text only when it is a plain short
 * identifier: reasons reach logs, and a hostile key must not.
 */
static const char *
key_label(const char *k, size_t n)
{
	if (n == 0 || n > 32)
		return "a field name";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)k[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_'))
			return "a field name";
	}
	return k;
}

/* The member's key is field k (whole, not a capped prefix). */
static int
key_is(const struct feed_parser *fp, int k)
{
	size_t n = strlen(field_key[k]);

	return fp->keylen == n && memcmp(fp->key, field_key[k], n) == 0;
}

static void
record_begin(struct feed_parser *fp, int type)
{
	if (fp->out.nrecords == FEED_MAX_RECORDS) {
		fail(fp, ERR_FEED_TOO_BIG, 0, "over %zu records",
		    FEED_MAX_RECORDS);
		return;
	}
	fp->idx = fp->out.nrecords++;
	fp->rec_obj = type == T_OBJECT;
	fp->rec_type = type;
	fp->early = NULL;
	for (int k = 0; k < F__N; k++) {
		fp->seen[k] = 0;
		fp->ftype[k] = T_NULL;
		fp->flen[k] = 0;
	}
	fp->fowner[0] = fp->frepo[0] = fp->furl[0] = fp->fpushed[0] = '\0';
}

/*
 * One member of the record ended: note its first problem (a key that is not
 * UTF-8 rules the member out; else its value's strings; else a field given
 * twice) and which of our fields it was. The first value of a field is the
 * one captured (see member_begin).
 */
static void
member_end(struct feed_parser *fp)
{
	if (!fp->key_ok) {
		if (fp->early == NULL) {
			snprintf(fp->rbuf, sizeof fp->rbuf, "%s in a field "
			    "name", why_text[fp->key_why]);
			fp->early = fp->rbuf;
		}
		return;
	}
	if (fp->early == NULL && !fp->mval_ok) {
		snprintf(fp->rbuf, sizeof fp->rbuf, "%s in %s",
		    why_text[fp->mval_why], key_label(fp->key, fp->keylen));
		fp->early = fp->rbuf;
	}
	for (int k = 0; k < F__N; k++) {
		if (!key_is(fp, k))
			continue;
		/* JSON says nothing about repeats; refuse to guess */
		if (fp->seen[k] && fp->early == NULL) {
			snprintf(fp->rbuf, sizeof fp->rbuf, "%s given twice",
			    field_key[k]);
			fp->early = fp->rbuf;
		}
		if (!fp->seen[k]) {
			fp->seen[k] = 1;
			fp->ftype[k] = fp->mtype;
		}
	}
}

/* The reason an object record is skipped, or NULL to keep it. */
static const char *
record_reason(struct feed_parser *fp, int ok_owner, int ok_repo)
{
	int str[F__N];

	if (fp->early != NULL)
		return fp->early;
	for (int k = 0; k < F__N; k++) {
		str[k] = fp->seen[k] && fp->ftype[k] == T_STRING;
		if (!fp->seen[k] || fp->ftype[k] == T_NULL) {
			if (k == F_PUSHED)
				continue;
			snprintf(fp->rbuf, sizeof fp->rbuf, "missing %s",
			    field_key[k]);
			return fp->rbuf;
		}
		if (!str[k]) {
			snprintf(fp->rbuf, sizeof fp->rbuf,
			    "wrong type for %s (%s)", field_key[k],
			    type_name[fp->ftype[k]]);
			return fp->rbuf;
		}
		if (fp->flen[k] == 0 && k != F_PUSHED) {
			snprintf(fp->rbuf, sizeof fp->rbuf, "empty %s",
			    field_key[k]);
			return fp->rbuf;
		}
	}
	if (!ok_owner)
		return "unsafe owner";
	if (!ok_repo)
		return "unsafe name";
	if (fp->flen[F_URL] > FEED_URL_MAX || !feed_check_url(fp->fowner,
	    fp->frepo, fp->furl, fp->flen[F_URL]))
		return "url is not https://github.com/OWNER/NAME";
	if (str[F_PUSHED] && !feed_check_time(fp->fpushed,
	    fp->flen[F_PUSHED]))
		return "pushedAt is not an ISO 8601 timestamp";
	return NULL;
}

/* The value at depth 1 ended: keep the record or say why not. */
static void
record_end(struct feed_parser *fp)
{
	char who[160];                  /* owner/name, each under its cap */
	const char *why;
	int ok_owner = 0, ok_repo = 0;
	size_t first;

	who[0] = '\0';
	if (!fp->rec_obj) {
		snprintf(fp->rbuf, sizeof fp->rbuf,
		    "record is not an object (%s)", type_name[fp->rec_type]);
		why = fp->rbuf;
	} else {
		/* who is known before the reason, so every skip line names
		 * the repo whenever its names are safe */
		if (fp->seen[F_OWNER] && fp->ftype[F_OWNER] == T_STRING)
			ok_owner = feed_check_owner(fp->fowner,
			    fp->flen[F_OWNER]);
		if (fp->seen[F_NAME] && fp->ftype[F_NAME] == T_STRING)
			ok_repo = feed_check_repo(fp->frepo, fp->flen[F_NAME]);
		if (ok_owner && ok_repo)
			snprintf(who, sizeof who, "%s/%s", fp->fowner,
			    fp->frepo);
		else if (ok_owner)
			snprintf(who, sizeof who, "%s", fp->fowner);
		why = record_reason(fp, ok_owner, ok_repo);
		if (why == NULL) {
			first = keep(fp);
			if (fp->err != 0 || first == SIZE_MAX)
				return;
			snprintf(fp->rbuf, sizeof fp->rbuf,
			    "duplicate of record %zu", first);
			why = fp->rbuf;
		}
	}
	if (fp->on_skip != NULL)
		fp->on_skip(fp->ctx, fp->idx, who, why);
}

/* ------------------------------------------------------------ values */

static int
type_of(int c)
{
	switch (c) {
	case '{':
		return T_OBJECT;
	case '[':
		return T_ARRAY;
	case '"':
		return T_STRING;
	case 't':
	case 'f':
		return T_BOOL;
	case 'n':
		return T_NULL;
	default:
		return c == '-' || (c >= '0' && c <= '9') ? T_NUMBER : -1;
	}
}

/* A value ended at the current depth (a closed container's parent). */
static void
value_done(struct feed_parser *fp)
{
	if (fp->depth == 0) {
		fp->st = S_DONE;        /* a top-level scalar: see S_START */
		return;
	}
	if (fp->depth == 1)
		record_end(fp);
	else if (fp->depth == 2 && fp->rec_obj)
		member_end(fp);
	fp->st = S_AFTER;
}

static void
string_begin(struct feed_parser *fp, int key)
{
	fp->tok = TOK_STR;
	fp->sub = SS_PLAIN;
	fp->str_key = key;
	fp->str_ok = 1;
	fp->str_why = W_OK;
	fp->hi = 0;
	fp->u8need = 0;
	fp->caplen = 0;
	fp->cap = NULL;
	if (fp->depth != 2 || !fp->rec_obj)
		return;
	if (key) {
		fp->cap = fp->key;
		fp->capmax = FEED_KEY_CAP;
	} else if (fp->target == F_OWNER) {
		fp->cap = fp->fowner;
	} else if (fp->target == F_NAME) {
		fp->cap = fp->frepo;
	} else if (fp->target == F_URL) {
		fp->cap = fp->furl;
	} else if (fp->target == F_PUSHED) {
		fp->cap = fp->fpushed;
	}
	if (!key && fp->cap != NULL)
		fp->capmax = field_lim[fp->target] + 1;
}

static void
string_end(struct feed_parser *fp)
{
	size_t n = fp->caplen < fp->capmax ? fp->caplen : fp->capmax;

	fp->tok = TOK_NONE;
	if (fp->u8need != 0)
		str_flag(fp, W_UTF8);   /* a sequence cut by the quote */
	if (fp->cap != NULL)
		fp->cap[n] = '\0';
	if (fp->depth >= 3 && fp->rec_obj) {
		/* inside a member's value */
		fp->mval_ok &= fp->str_ok;
		if (fp->str_why > fp->mval_why)
			fp->mval_why = fp->str_why;
	}
	if (fp->str_key) {
		if (fp->depth == 2 && fp->rec_obj) {
			fp->key_ok = fp->str_ok;
			fp->key_why = fp->str_why;
			fp->keylen = fp->caplen;
		}
		fp->st = S_COLON;
		return;
	}
	if (fp->depth == 2 && fp->rec_obj) {
		fp->mval_ok = fp->str_ok;
		fp->mval_why = fp->str_why;
		if (fp->target >= 0)
			fp->flen[fp->target] = n;
	}
	value_done(fp);
}

/* A value starts with byte c at the current depth. */
static void
value_begin(struct feed_parser *fp, int c)
{
	int type = type_of(c);
	uint8_t bit;

	if (type < 0) {
		bad_json(fp, "a value must start here");
		return;
	}
	if (fp->depth == 1) {
		record_begin(fp, type);
		if (fp->err != 0)
			return;
	} else if (fp->depth == 2 && fp->rec_obj) {
		/* a member's value: which field its string fills, if any */
		fp->mtype = type;
		fp->mval_ok = 1;
		fp->mval_why = W_OK;
		fp->target = -1;
		for (int k = 0; k < F__N && fp->key_ok; k++)
			if (key_is(fp, k) && !fp->seen[k])
				fp->target = k;
	}
	switch (type) {
	case T_OBJECT:
	case T_ARRAY:
		if (fp->depth >= FEED_MAX_DEPTH) {
			bad_json(fp, "nested deeper than 1000");
			return;
		}
		bit = (uint8_t)(1u << fp->depth % 8);
		if (type == T_OBJECT)
			fp->is_obj[fp->depth / 8] |= bit;
		else
			fp->is_obj[fp->depth / 8] &= (uint8_t)~bit;
		fp->depth++;
		fp->st = type == T_OBJECT ? S_KEY_OR_END : S_VALUE_OR_END;
		return;
	case T_STRING:
		string_begin(fp, 0);
		return;
	case T_NUMBER:
		fp->tok = TOK_NUM;
		fp->sub = c == '-' ? N_MINUS : c == '0' ? N_ZERO : N_INT;
		return;
	default:
		fp->tok = TOK_LIT;
		fp->lit = c == 't' ? "true" : c == 'f' ? "false" : "null";
		fp->sub = 1;
		return;
	}
}

static int
in_object(const struct feed_parser *fp)
{
	size_t d = fp->depth - 1;

	return (fp->is_obj[d / 8] >> (d % 8)) & 1;
}

/* ']' or '}' closes the innermost container. */
static void
close_container(struct feed_parser *fp, int c)
{
	if ((c == '}') != in_object(fp)) {
		bad_json(fp, c == '}' ? "'}' closes an array" :
		    "']' closes an object");
		return;
	}
	if (--fp->depth == 0)
		fp->st = S_DONE;
	else
		value_done(fp);
}

/* ------------------------------------------------------------ bytes */

/* One decoded byte of a string: the strict UTF-8 check, then the capture. */
static void
str_out(struct feed_parser *fp, unsigned b)
{
	if (fp->u8need == 0) {
		if (b == 0)
			str_flag(fp, W_NUL);    /* U+0000: see the top */
		else if (b < 0x80)
			;
		else if (b >= 0xC2 && b <= 0xDF) {
			fp->u8need = 1;
			fp->u8lo = 0x80, fp->u8hi = 0xBF;
		} else if (b >= 0xE0 && b <= 0xEF) {
			fp->u8need = 2;
			/* no overlong forms (E0 80..9F), no surrogates
			 * (ED A0..BF) */
			fp->u8lo = b == 0xE0 ? 0xA0 : 0x80;
			fp->u8hi = b == 0xED ? 0x9F : 0xBF;
		} else if (b >= 0xF0 && b <= 0xF4) {
			fp->u8need = 3;
			/* no overlong forms, nothing above U+10FFFF */
			fp->u8lo = b == 0xF0 ? 0x90 : 0x80;
			fp->u8hi = b == 0xF4 ? 0x8F : 0xBF;
		} else
			str_flag(fp, W_UTF8);
	} else if (b >= fp->u8lo && b <= fp->u8hi) {
		fp->u8need--;
		fp->u8lo = 0x80, fp->u8hi = 0xBF;
	} else {
		str_flag(fp, W_UTF8);
		fp->u8need = 0;
	}
	if (fp->cap != NULL && fp->caplen < fp->capmax)
		fp->cap[fp->caplen] = (char)b;
	if (fp->caplen < SIZE_MAX)
		fp->caplen++;
}

/* A code point from an escape, as UTF-8 (cp < 0x110000, not a surrogate). */
static void
str_cp(struct feed_parser *fp, unsigned cp)
{
	uint8_t u[4];
	size_t n = utf8_encode(cp, u);

	for (size_t k = 0; k < n; k++)
		str_out(fp, u[k]);}

/*
 * An escape the string may not hold (U+0000, a lone surrogate): the string
 * is refused for that reason, and a byte that is never valid UTF-8 is
 * captured in its place, so the field cannot pass as valid by any route.
 */
static void
str_reject(struct feed_parser *fp, int why)
{
	if (fp->u8need != 0) {
		str_flag(fp, W_UTF8);   /* a raw sequence cut by the escape */
		fp->u8need = 0;
	}
	str_flag(fp, why);
	if (fp->cap != NULL && fp->caplen < fp->capmax)
		fp->cap[fp->caplen] = (char)0xFF;
	if (fp->caplen < SIZE_MAX)
		fp->caplen++;
}

/* A pending high surrogate not followed by its low half: invalid. */
static void
lone_high(struct feed_parser *fp)
{
	if (fp->hi != 0) {
		fp->hi = 0;
		str_reject(fp, W_SURROGATE);
	}
}

/* The four hex digits of \uXXXX were read into fp->hex. */
static void
str_escape_u(struct feed_parser *fp)
{
	unsigned v = fp->hex;

	if (fp->hi != 0 && v >= 0xDC00 && v <= 0xDFFF) {
		str_cp(fp, 0x10000 + ((fp->hi - 0xD800) << 10) + (v - 0xDC00));
		fp->hi = 0;
		return;
	}
	lone_high(fp);
	if (v >= 0xD800 && v <= 0xDBFF)
		fp->hi = v;             /* wait for the low half */
	else if (v == 0)
		str_reject(fp, W_NUL);
	else if (v >= 0xDC00 && v <= 0xDFFF)
		str_reject(fp, W_SURROGATE);    /* a lone low half */
	else
		str_cp(fp, v);
}

/* One byte inside a string (after its opening quote). */
static void
str_byte(struct feed_parser *fp, unsigned c)
{
	static const char esc_in[] = "\"\\/bfnrt";
	static const char esc_out[] = "\"\\/\b\f\n\r\t";
	const char *at;
	int h;

	switch (fp->sub) {
	case SS_PLAIN:
		if (c == '"') {
			lone_high(fp);
			string_end(fp);
		} else if (c == '\\') {
			fp->sub = SS_ESC;
		} else {
			/* raw bytes as they are, control bytes too (as
			 * cJSON); a raw NUL is invalid (str_out) */
			lone_high(fp);
			str_out(fp, c);
		}
		return;
	case SS_ESC:
		if (c == 'u') {
			fp->sub = SS_HEX;
			fp->hex = fp->hexn = 0;
			return;
		}
		lone_high(fp);
		fp->sub = SS_PLAIN;
		/* the other escapes of RFC 8259 section 7, as cJSON takes */
		if ((at = memchr(esc_in, (int)c, sizeof esc_in - 1)) == NULL) {
			bad_json(fp, "bad escape in a string");
			return;
		}
		str_out(fp, (unsigned char)esc_out[at - esc_in]);
		return;
	default:        /* SS_HEX */
		if ((h = buf_hexval((int)c)) < 0) {
			bad_json(fp, "bad \\u escape in a string");
			return;
		}
		fp->hex = fp->hex << 4 | (unsigned)h;
		if (++fp->hexn == 4) {
			fp->sub = SS_PLAIN;
			str_escape_u(fp);
		}
		return;
	}
}

/* One byte of a number; 0 when the number ended before c (not consumed). */
static int
num_byte(struct feed_parser *fp, int c)
{
	int digit = c >= '0' && c <= '9';

	switch (fp->sub) {
	case N_MINUS:
		if (!digit)
			break;
		fp->sub = c == '0' ? N_ZERO : N_INT;
		return 1;
	case N_ZERO:
	case N_INT:
	case N_FRAC:
		if (digit && fp->sub == N_ZERO)
			break;          /* "01" */
		if (digit)
			return 1;
		if (c == '.' && fp->sub != N_FRAC) {
			fp->sub = N_DOT;
			return 1;
		}
		if (c == 'e' || c == 'E') {
			fp->sub = N_EXP;
			return 1;
		}
		return 0;
	case N_DOT:
		if (!digit)
			break;
		fp->sub = N_FRAC;
		return 1;
	case N_EXP:
		if (c == '+' || c == '-') {
			fp->sub = N_EXPSIGN;
			return 1;
		}
		/* FALLTHROUGH */
	case N_EXPSIGN:
		if (!digit)
			break;
		fp->sub = N_EXPD;
		return 1;
	default:        /* N_EXPD */
		return digit;
	}
	bad_json(fp, "bad number");
	return 1;
}

static int
is_ws(int c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* One byte between tokens. */
static void
structural(struct feed_parser *fp, int c)
{
	static const unsigned char bom[] = { 0xEF, 0xBB, 0xBF };
	int type;

	if (fp->st == S_BOM) {
		if (c != bom[fp->sub])
			bad_json(fp, "a value must start here");
		else if (++fp->sub == 3)
			fp->st = S_START;
		return;
	}
	if (is_ws(c))
		return;
	switch (fp->st) {
	case S_START:
		if (c == bom[0] && fp->here == 0) {
			fp->st = S_BOM;
			fp->sub = 1;
			return;
		}
		if (c == '[') {
			fp->top_type = T_ARRAY;
			value_begin(fp, c);
			return;
		}
		/*
		 * Not an array. An object is known by its '{' and need not
		 * be read (its members would be taken for records). Any
		 * other value is read to its end and checked as JSON first,
		 * so that "not json" is a syntax error at offset 1, not a
		 * null, and feed_end() names the type of a document that is
		 * one.
		 */
		if ((type = type_of(c)) < 0) {
			bad_json(fp, "a value must start here");
		} else if (type == T_OBJECT) {
			fail(fp, ERR_FEED_NOT_ARRAY, 0, "top level is %s",
			    type_name[type]);
		} else {
			fp->top_type = type;
			value_begin(fp, c);
		}
		return;
	case S_VALUE_OR_END:
		if (c == ']') {
			close_container(fp, c);
			return;
		}
		/* FALLTHROUGH */
	case S_VALUE:
		value_begin(fp, c);
		return;
	case S_KEY_OR_END:
		if (c == '}') {
			close_container(fp, c);
			return;
		}
		/* FALLTHROUGH */
	case S_KEY:
		if (c != '"')
			bad_json(fp, "a key must start here");
		else
			string_begin(fp, 1);
		return;
	case S_COLON:
		if (c != ':')
			bad_json(fp, "':' must follow a key");
		else
			fp->st = S_VALUE;
		return;
	case S_AFTER:
		if (c == ',')
			fp->st = in_object(fp) ? S_KEY : S_VALUE;
		else if (c == ']' || c == '}')
			close_container(fp, c);
		else
			bad_json(fp, "',' or a closing bracket must come here");
		return;
	default:        /* S_DONE */
		bad_json(fp, "data after the top-level value");
		return;
	}
}

/* ------------------------------------------------------------ push */

/* see feed.h */
void
feed_init(struct feed_parser *fp, feed_skip_fn *on_skip, void *ctx)
{
	memset(fp, 0, sizeof *fp);
	fp->on_skip = on_skip;
	fp->ctx = ctx;
	fp->target = -1;
}

/* see feed.h */
int
feed_push(struct feed_parser *fp, const void *data, size_t n)
{
	const uint8_t *p = data;
	size_t i = 0;

	if (fp->err != 0)
		return fp->err;
	if (n > FEED_MAX_BYTES - fp->pos) {
		fp->here = fp->pos;
		return fail(fp, ERR_FEED_TOO_BIG, 0, "over %llu bytes",
		    (unsigned long long)FEED_MAX_BYTES);
	}
	while (i < n && fp->err == 0) {
		unsigned c = p[i];

		fp->here = fp->pos + i;
		switch (fp->tok) {
		case TOK_STR:
			/*
			 * The common case, kept tight: plain ASCII inside a
			 * string, no escape or surrogate pending.
			 */
			if (fp->sub == SS_PLAIN && fp->hi == 0 &&
			    fp->u8need == 0) {
				while (c >= 0x20 && c < 0x80 && c != '"' &&
				    c != '\\') {
					if (fp->cap != NULL &&
					    fp->caplen < fp->capmax)
						fp->cap[fp->caplen] = (char)c;
					fp->caplen++;
					if (++i == n)
						goto out;
					c = p[i];
				}
				fp->here = fp->pos + i;
			}
			str_byte(fp, c);
			i++;
			continue;
		case TOK_NUM:
			if (num_byte(fp, (int)c)) {
				i++;
				continue;
			}
			/* the byte after the number: the number is a value,
			 * the byte is read again below */
			fp->tok = TOK_NONE;
			value_done(fp);
			break;
		case TOK_LIT:
			if ((int)c != fp->lit[fp->sub]) {
				bad_json(fp, "bad literal");
				break;
			}
			if (fp->lit[++fp->sub] == '\0') {
				fp->tok = TOK_NONE;
				value_done(fp);
			}
			i++;
			continue;
		default:
			break;
		}
		if (fp->err == 0)
			structural(fp, (int)c);
		i++;
	}
out:
	fp->pos += n;
	return fp->err;
}

/* see feed.h */
int
feed_end(struct feed_parser *fp, struct feed_list *out, struct err_ctx *ec)
{
	struct err_ctx dummy;

	if (ec == NULL)
		ec = &dummy;
	memset(out, 0, sizeof *out);
	fp->here = fp->pos;
	/* a number ends only at the next byte: at top level, EOF is one */
	if (fp->err == 0 && fp->tok == TOK_NUM && fp->depth == 0 &&
	    (fp->sub == N_ZERO || fp->sub == N_INT || fp->sub == N_FRAC ||
	    fp->sub == N_EXPD)) {
		fp->tok = TOK_NONE;
		value_done(fp);
	}
	/* a whole JSON document, but not an array (see S_START) */
	if (fp->err == 0 && fp->st == S_DONE && fp->top_type != T_ARRAY)
		fail(fp, ERR_FEED_NOT_ARRAY, 0, "top level is %s",
		    type_name[fp->top_type]);
	if (fp->err == 0 && fp->st != S_DONE)
		fail(fp, ERR_FEED_JSON, 1, "%s", fp->pos == 0 ||
		    (fp->st == S_START && fp->tok == TOK_NONE) ? "empty feed" :
		    "truncated");
	free(fp->slot);
	fp->slot = NULL;
	if (fp->err != 0) {
		feed_list_free(&fp->out);
		err_set(ec, fp->err, "%s", fp->detail);
		ec->has_offset = fp->has_err_at;
		ec->offset = fp->err_at;
		return fp->err;
	}
	ec->has_offset = 0;
	if (fp->out.njobs == 0) {
		free(fp->out.jobs);
		fp->out.jobs = NULL;
	} else if (fp->out.njobs < fp->jcap) {
		/* trim the doubling's slack (the strings stay put) */
		struct feed_job *t = realloc(fp->out.jobs,
		    fp->out.njobs * sizeof *t);
		if (t != NULL)
			fp->out.jobs = t;
	}
	*out = fp->out;
	memset(&fp->out, 0, sizeof fp->out);
	return ERR_OK;
}

/* see feed.h */
int
feed_parse(const char *p, size_t n, struct feed_list *out,
    feed_skip_fn *on_skip, void *ctx, struct err_ctx *ec)
{
	struct feed_parser *fp = malloc(sizeof *fp);
	int rc;

	if (fp == NULL) {
		memset(out, 0, sizeof *out);
		return ec ? err_set(ec, ERR_NOMEM, NULL) : ERR_NOMEM;
	}
	feed_init(fp, on_skip, ctx);
	feed_push(fp, p, n);
	rc = feed_end(fp, out, ec);
	free(fp);
	return rc;
}
