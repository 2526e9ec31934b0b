/*
 * feed.h - parse a repos.json feed (see tests/data/feeds/README.md) into jobs.
 *
 * The caller pushes the feed's bytes (file, URL or stdin) in pieces as they
 * arrive; the parser does no I/O and no logging. Whole-feed problems (not
 * JSON, not an array, too big) are fatal and returned as an error;
 * record-level problems skip that record and are reported through a
 * callback, never fatal.
 */
#ifndef FEED_H
#define FEED_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/*
 * Budgets. The real feed is ~15 MB and ~25k records (2026). Memory no longer
 * follows the feed's bytes (they stream through; only four short strings of
 * each kept record stay), so the byte cap only bounds the time a hostile feed
 * can take: 1 GiB holds a million records in the real format (~600 bytes
 * each). A million records is a 40x margin; at the per-record costs below it
 * is ~170 MB of jobs, strings and duplicate table.
 */
#define FEED_MAX_BYTES   ((uint64_t)1 << 30)
#define FEED_MAX_RECORDS ((size_t)1000000)
#define FEED_MAX_DEPTH   1000   /* nesting, as cJSON's limit before us */
#define FEED_OWNER_MAX   39     /* GitHub login limit */
#define FEED_REPO_MAX    100    /* GitHub repository name limit */
/* "https://github.com/" + owner + "/" + repo + ".git" */
#define FEED_URL_MAX     (19 + FEED_OWNER_MAX + 1 + FEED_REPO_MAX + 4)
#define FEED_PUSHED_MAX  63     /* longest accepted ISO 8601 form is 35 */
#define FEED_KEY_CAP     33     /* a key is matched or named up to this */
/* strings of kept records live in blocks of this size (each record's four
 * strings, at most ~380 bytes, always fit in one) */
#define FEED_BLOCK_SIZE  ((size_t)1 << 20)

/*
 * One repository to digest. The strings are NUL-terminated, safe ASCII, and
 * point into the strings of the struct feed_list that holds the job: they
 * live as long as it does (copying a job copies the pointers).
 */
struct feed_job {
	const char *owner;              /* as in the feed, case kept */
	const char *repo;               /* as in the feed, case kept */
	const char *url;                /* the record's url, verbatim */
	const char *pushed_at;          /* verbatim, "" if absent */
	size_t index;                   /* raw position in the feed array */
	int has_pushed_at;              /* 0: pushedAt missing or null */
};

struct feed_block;

/* What a parse leaves: the kept records, in feed order, and their strings. */
struct feed_list {
	struct feed_job *jobs;          /* njobs (NULL when 0); malloc'd */
	size_t njobs;                   /* records kept */
	size_t nrecords;                /* array length, skipped records too
	                                 * (--batch-size/--offset count raw
	                                 * positions) */
	struct feed_block *blocks;      /* the strings the jobs point into */
};

/* Free what l holds and zero it; l may be zeroed already. */
void feed_list_free(struct feed_list *l);

/*
 * Called once per skipped record, in array order, as soon as the record ends
 * (a feed that turns out malformed further on still fails as a whole, after
 * the skips before that point were reported). index is the raw array
 * position. who is "owner/name" when both passed the name-safety rules,
 * else the owner alone when it did, else "" (hostile bytes never reach it).
 * reason is a short fixed-vocabulary text, e.g. "missing url",
 * "url is not https://github.com/OWNER/NAME", "unsafe name",
 * "duplicate of record 12", "wrong type for pushedAt (number)",
 * "invalid UTF-8 in description", "record is not an object (string)".
 * Both strings are valid only during the call.
 */
typedef void feed_skip_fn(void *ctx, size_t index, const char *who,
    const char *reason);

/*
 * The streaming parser: a push engine over a strict RFC 8259 JSON tokenizer
 * that never holds the feed. The caller allocates it (about 1 KB), then
 * feed_init(), feed_push() the bytes in pieces of any size as they arrive
 * (file, URL or stdin), and feed_end(). Only the four fields a run uses are
 * kept, each kept record's strings copied into FEED_BLOCK_SIZE blocks; a
 * string being read is held only up to its field's cap (a 10 MB owner costs
 * 40 bytes), other values are checked and dropped. Memory is therefore the
 * kept records only: per record about 48 bytes of job, its strings (~110
 * bytes in the real feed) and 4 to 16 bytes of duplicate table; 32 MB for
 * 200k records. The fields below are private.
 */
struct feed_parser {
	feed_skip_fn *on_skip;
	void *ctx;
	int err;                        /* sticky error code, 0 = none */
	char detail[96];                /* its detail */
	uint64_t err_at;                /* and where, if has_err_at */
	int has_err_at;
	uint64_t pos;                   /* bytes pushed before this push */
	uint64_t here;                  /* offset of the byte being read */
	/* tokenizer */
	int st;                         /* where we are in the grammar */
	int tok;                        /* inside a token: string, number... */
	int sub;                        /* the token's own state */
	unsigned hex, hexn, hi;         /* \u escape being read; pending high
	                                 * surrogate */
	unsigned u8need, u8lo, u8hi;    /* UTF-8 validation of the string */
	int str_ok;                     /* the string is strict UTF-8, no
	                                 * U+0000, no lone surrogate */
	int str_why;                    /* else why not (feed.c, W_*) */
	int str_key;                    /* the string is an object key */
	int top_type;                   /* the top-level value's type */
	const char *lit;                /* literal being matched */
	size_t depth;                   /* open containers */
	uint8_t is_obj[(FEED_MAX_DEPTH + 8) / 8]; /* per level: 1 object */
	/* the record (the value at depth 1) and its member (at depth 2) */
	int rec_obj;                    /* the record is an object */
	int rec_type;                   /* its type, for a non-object */
	size_t idx;                     /* its raw index */
	const char *early;              /* first problem, in member order */
	char rbuf[96];                  /* a reason built with text */
	char key[FEED_KEY_CAP + 1];     /* the member's key, up to the cap */
	size_t keylen;
	int key_ok, key_why;
	int mtype;                      /* the member value's type */
	int mval_ok;                    /* every string in it valid */
	int mval_why;                   /* else the worst reason */
	int target;                     /* field its string fills, or -1 */
	char *cap;                      /* where the string's bytes go */
	size_t caplen, capmax;
	int seen[4], ftype[4];          /* owner, name, url, pushedAt */
	char fowner[FEED_OWNER_MAX + 2], frepo[FEED_REPO_MAX + 2];
	char furl[FEED_URL_MAX + 2], fpushed[FEED_PUSHED_MAX + 2];
	size_t flen[4];                 /* up to the cap + 1 */
	/* output */
	struct feed_list out;
	size_t jcap;                    /* jobs allocated */
	uint32_t *slot;                 /* duplicate table: job index + 1 */
	size_t mask;                    /* table size - 1 (0: none yet) */
};

/* Start a parse; on_skip may be NULL. */
void feed_init(struct feed_parser *fp, feed_skip_fn *on_skip, void *ctx);

/*
 * Parse p[0..n), the next bytes of the feed. Returns 0, or the error that
 * stopped the parse (sticky: later pushes do nothing and return it again;
 * pushing 0 bytes asks for it).
 */
int feed_push(struct feed_parser *fp, const void *p, size_t n);

/*
 * End of input. On success returns ERR_OK and moves the result into *out
 * (the caller frees it with feed_list_free). Else returns the error with ec
 * filled, *out zeroed, and everything freed. Either way fp is finished (a
 * new parse needs feed_init). feed_end must be called once per feed_init,
 * also after an error, so that memory is released.
 *
 * Record rules, in the order checked (first failure is the reason):
 * an object; every string in it (keys and values, nested too) valid UTF-8,
 * and without U+0000 or a lone surrogate escape; owner, name, url present,
 * non-null, strings, non-empty, and not given twice; owner [A-Za-z0-9-]{1,39},
 * name [A-Za-z0-9._-]{1,100} and not "." or ".."; url as in
 * feed_check_url(); pushedAt missing, null or a timestamp as in
 * feed_check_time(); and the first record with that owner/name compared
 * case-insensitively (later ones are duplicates). Unknown fields and the
 * types of unused fields are ignored.
 *
 * Errors: ERR_FEED_TOO_BIG (over FEED_MAX_BYTES or FEED_MAX_RECORDS),
 * ERR_FEED_JSON (syntax, truncated, nesting deeper than FEED_MAX_DEPTH,
 * trailing data; ec->offset is the byte where it stopped), ERR_FEED_NOT_ARRAY
 * (known from the first byte: the rest is not read), ERR_NOMEM.
 */
int feed_end(struct feed_parser *fp, struct feed_list *out,
    struct err_ctx *ec);

/* The whole feed p[0..n) in one push: feed_init, feed_push, feed_end. */
int feed_parse(const char *p, size_t n, struct feed_list *out,
    feed_skip_fn *on_skip, void *ctx, struct err_ctx *ec);

struct cancel;
struct fetch_opts;

/*
 * The I/O side (feedread.c): stream feed (a file, "-" for standard input,
 * or an https://, http:// or file:// URL fetched with fo) into fp as it is
 * read, never held whole. shown is the feed's name without secrets
 * (url_redact), the source of every error. cancel (or NULL) stops a
 * download. Returns a read error (ec filled), or 0 when the input ended or
 * the parser refused it (feed_end then says why).
 */
int feed_read(const char *feed, const char *shown, const struct fetch_opts *fo,
    const struct cancel *cancel, struct feed_parser *fp, struct err_ctx *ec);

struct log;

/* A skipped record's one log line (feed_skip_fn's arguments), the same in
 * `run` and in `serve --feed`: operation names who logs it. */
void feed_skip_log(struct log *l, const char *operation, size_t index,
    const char *who, const char *reason);

/* 1 if s[0..n) is a safe owner: [A-Za-z0-9-]{1,39}. */
int feed_check_owner(const char *s, size_t n);

/* 1 if s[0..n) is a safe repo name: [A-Za-z0-9._-]{1,100}, not "." "..". */
int feed_check_repo(const char *s, size_t n);

/*
 * 1 if url[0..n) is https://github.com/{owner}/{repo}, compared
 * case-insensitively, optionally followed by one "/" or ".git"; owner and
 * repo must already have passed the checks above. Anything else (scheme,
 * host, userinfo, port, query, fragment, more segments, escapes) is 0.
 */
int feed_check_url(const char *owner, const char *repo, const char *url,
    size_t n);

/*
 * 1 if s[0..n) is YYYY-MM-DDTHH:MM:SS, optional "." and 1-9 digits, then
 * "Z" or +HH:MM/-HH:MM. Covers both producer forms ("...:33Z" and
 * "...:33.000Z") and keeps control bytes out of the pushedat header.
 */
int feed_check_time(const char *s, size_t n);

#endif
