/*
 * s3list.h - the answer to an S3 ListObjectsV2 request, read as it
 * arrives: each object's key and size, whether the list goes on, and the
 * token of its next page.
 *
 *   <ListBucketResult ...><IsTruncated>true</IsTruncated>
 *     <Contents><Key>gitingest/o/r/chunks.jsonl</Key><Size>123</Size>
 *     ...</Contents>...
 *     <NextContinuationToken>...</NextContinuationToken></ListBucketResult>
 *
 * A push parser: the caller hands it the body in pieces of any size; it
 * stops after each <Contents> element (S3LIST_KEY: l->key, l->size) and
 * the caller pushes the rest. No allocation, no recursion: the element
 * stack is S3LIST_DEPTH names deep, each field has a fixed size (S3 keys
 * are at most 1024 bytes). Entities (&amp; &lt; &gt; &quot; &apos; &#N;
 * &#xH;) and CDATA are decoded; comments and processing instructions are
 * skipped; a DOCTYPE, a root other than ListBucketResult, a mismatched end
 * tag or a field too long is an error (ERR_S3_LIST, sticky).
 */
#ifndef S3LIST_H
#define S3LIST_H

#include <stddef.h>
#include <stdint.h>

#define S3LIST_KEY_MAX   1024   /* S3's limit on a key, in bytes */
#define S3LIST_TOKEN_MAX 2048   /* continuation tokens: AWS's are ~200 */
#define S3LIST_DEPTH     16     /* real answers nest 3 deep */

enum s3list_event {
	S3LIST_MORE = 0,        /* all bytes taken */
	S3LIST_KEY,             /* l->key, l->key_len, l->size: one object */
	S3LIST_ERROR            /* l->err (ERR_S3_LIST), l->detail */
};

struct s3list {
	int state;                      /* the tokenizer's (s3list.c) */
	int err;
	char detail[64];
	uint8_t stack[S3LIST_DEPTH];    /* element names, as ids */
	int depth;
	int root_done;                  /* </ListBucketResult> seen */
	char name[32];                  /* a tag's name being read */
	size_t name_len;
	int name_long;                  /* longer than name: an unknown one */
	int closing, quote, dashes;     /* within a tag, comment, CDATA */
	char ent[12];                   /* an entity being read */
	size_t ent_len;
	int field;                      /* which field text goes to, or 0 */
	char text[S3LIST_TOKEN_MAX];    /* that field's text so far */
	size_t text_len;
	/* results */
	char key[S3LIST_KEY_MAX + 1];   /* NUL-terminated */
	size_t key_len;
	uint64_t size;
	int has_size;
	int truncated;                  /* IsTruncated was true */
	char token[S3LIST_TOKEN_MAX + 1];       /* NextContinuationToken */
	uint64_t keys;                  /* S3LIST_KEY events so far */
};

void s3list_init(struct s3list *l);

/* Take bytes of the body up to the end of the next <Contents>, or all of
 * them; *ev says which (see enum s3list_event). Returns bytes taken. */
size_t s3list_push(struct s3list *l, const uint8_t *p, size_t n,
    enum s3list_event *ev);

/* The body is over: 0 if it was a whole ListBucketResult, else ERR_S3_LIST
 * (l->detail says why). */
int s3list_end(struct s3list *l);

#endif
