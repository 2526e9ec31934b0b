/*
 * test_s3list.c - ListObjectsV2 answers as AWS and radosgw send them, fed
 * whole, byte by byte and cut at every offset (the same keys every time);
 * entities, CDATA, comments, attributes, empty lists, the continuation
 * token; hostile answers (another root, a DOCTYPE, mismatched tags, a key
 * over 1024 bytes, deep nesting, a cut answer) each refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "s3list.h"
#include "t.h"

/* AWS's documented example (ListObjectsV2, "Sample Response"). */
static const char AWS[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
    "  <Name>bucket</Name>\n  <Prefix/>\n  <KeyCount>205</KeyCount>\n"
    "  <MaxKeys>1000</MaxKeys>\n  <IsTruncated>false</IsTruncated>\n"
    "  <Contents>\n    <Key>my-image.jpg</Key>\n"
    "    <LastModified>2009-10-12T17:50:30.000Z</LastModified>\n"
    "    <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag>\n"
    "    <Size>434234</Size>\n    <StorageClass>STANDARD</StorageClass>\n"
    "  </Contents>\n"
    "  <Contents><Key>gitingest/o/r/chunks.jsonl</Key><Size>12</Size>"
    "<Owner><ID>x</ID><DisplayName>y</DisplayName></Owner></Contents>\n"
    "</ListBucketResult>\n";

/* radosgw: one line, a continuation token, entities and a CDATA key. */
static const char RGW[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult "
    "xmlns='http://s3.amazonaws.com/doc/2006-03-01/'><Name>b</Name>"
    "<Prefix>gitingest/</Prefix><MaxKeys>2</MaxKeys>"
    "<IsTruncated>true</IsTruncated><!-- a comment -- with dashes -->"
    "<Contents><Key>gitingest/a&amp;b/r&#x2F;x&#47;&lt;y&gt;</Key>"
    "<Size>0</Size></Contents>"
    "<Contents><Key><![CDATA[gitingest/c]]d]]]>/e</Key><Size>7</Size>"
    "</Contents>"
    "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="
    "</NextContinuationToken><?pi x?></ListBucketResult>";

/* The keys and sizes of a whole parse, "key=size;..." and the end code. */
struct got {
	char keys[4096];
	size_t len;
	int err;
	int truncated;
	char token[S3LIST_TOKEN_MAX + 1];
};

static void
parse(const char *body, size_t n, size_t piece, struct got *g)
{
	struct s3list *l = malloc(sizeof *l);
	enum s3list_event ev;
	size_t off = 0, k, step;

	memset(g, 0, sizeof *g);
	s3list_init(l);
	while (off < n) {
		step = piece == 0 || piece > n - off ? n - off : piece;
		k = s3list_push(l, (const uint8_t *)body + off, step, &ev);
		off += k;
		if (ev == S3LIST_ERROR) {
			g->err = l->err;
			free(l);
			return;
		}
		if (ev == S3LIST_KEY)
			g->len += (size_t)snprintf(g->keys + g->len,
			    sizeof g->keys - g->len, "%s=%llu;", l->key,
			    (unsigned long long)l->size);
		if (k == 0 && ev != S3LIST_KEY)
			break;
	}
	g->err = s3list_end(l);
	g->truncated = l->truncated;
	snprintf(g->token, sizeof g->token, "%s", l->token);
	free(l);
}

/* Whole, byte by byte, and cut once at every offset: the same result. */
static void
same_every_way(const char *name, const char *body, const char *keys,
    int err)
{
	size_t n = strlen(body);
	struct got whole, g;
	int bad = 0;

	parse(body, n, 0, &whole);
	CHECK(whole.err == err, "%s: code %d, want %d", name, whole.err, err);
	if (keys != NULL)
		CHECK(strcmp(whole.keys, keys) == 0, "%s: keys \"%s\"", name,
		    whole.keys);
	parse(body, n, 1, &g);
	CHECK(g.err == whole.err && strcmp(g.keys, whole.keys) == 0,
	    "%s: byte by byte", name);
	for (size_t cut = 1; cut < n; cut++) {
		struct s3list *l = malloc(sizeof *l);
		enum s3list_event ev;
		char keys2[4096];
		size_t len = 0, off = 0, k;
		int e = 0;

		s3list_init(l);
		for (int part = 0; part < 2 && !e; part++) {
			size_t end = part == 0 ? cut : n;
			while (off < end) {
				k = s3list_push(l, (const uint8_t *)body + off,
				    end - off, &ev);
				off += k;
				if (ev == S3LIST_ERROR) {
					e = l->err;
					break;
				}
				if (ev == S3LIST_KEY)
					len += (size_t)snprintf(keys2 + len,
					    sizeof keys2 - len, "%s=%llu;", l->key,
					    (unsigned long long)l->size);
			}
		}
		if (!e)
			e = s3list_end(l);
		keys2[len] = '\0';
		if (e != whole.err || strcmp(keys2, whole.keys) != 0)
			bad++;
		free(l);
	}
	CHECK(bad == 0, "%s: %d cuts differ", name, bad);
}

static void
test_samples(void)
{
	struct got g;

	same_every_way("aws", AWS, "my-image.jpg=434234;"
	    "gitingest/o/r/chunks.jsonl=12;", 0);
	parse(AWS, strlen(AWS), 0, &g);
	CHECK(!g.truncated && g.token[0] == '\0', "aws: not truncated");
	same_every_way("rgw", RGW, "gitingest/a&b/r/x/<y>=0;"
	    "gitingest/c]]d]/e=7;", 0);
	parse(RGW, strlen(RGW), 7, &g);
	CHECK(g.truncated && strcmp(g.token,
	    "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=") == 0,
	    "rgw: truncated, token %s", g.token);
	same_every_way("empty", "<ListBucketResult><IsTruncated>false"
	    "</IsTruncated></ListBucketResult>", "", 0);
	same_every_way("self-closing", "<ListBucketResult><Prefix/>"
	    "<Contents><Key>k</Key><Size>1</Size><X a=\"/>\"/></Contents>"
	    "</ListBucketResult>", "k=1;", 0);
}

static void
test_hostile(void)
{
	char big[2048], deep[1024];
	size_t o = 0;

	same_every_way("an error document", "<Error><Code>AccessDenied</Code>"
	    "</Error>", NULL, ERR_S3_LIST);
	same_every_way("doctype", "<!DOCTYPE x [<!ENTITY a \"b\">]>"
	    "<ListBucketResult></ListBucketResult>", NULL, ERR_S3_LIST);
	same_every_way("mismatch", "<ListBucketResult><Contents><Key>k"
	    "</Contents></Key></ListBucketResult>", NULL, ERR_S3_LIST);
	same_every_way("cut", "<ListBucketResult><Contents><Key>k</Key>",
	    NULL, ERR_S3_LIST);
	same_every_way("no key", "<ListBucketResult><Contents><Size>1</Size>"
	    "</Contents></ListBucketResult>", NULL, ERR_S3_LIST);
	same_every_way("bad size", "<ListBucketResult><Contents><Key>k</Key>"
	    "<Size>-1</Size></Contents></ListBucketResult>", NULL,
	    ERR_S3_LIST);
	same_every_way("bad entity", "<ListBucketResult><Contents><Key>&x;"
	    "</Key></Contents></ListBucketResult>", NULL, ERR_S3_LIST);
	same_every_way("nul reference", "<ListBucketResult><Contents><Key>"
	    "a&#0;</Key></Contents></ListBucketResult>", NULL, ERR_S3_LIST);
	same_every_way("text outside", "junk<ListBucketResult>"
	    "</ListBucketResult>", NULL, ERR_S3_LIST);
	same_every_way("two roots", "<ListBucketResult></ListBucketResult>"
	    "<ListBucketResult></ListBucketResult>", NULL, ERR_S3_LIST);
	same_every_way("element in a key", "<ListBucketResult><Contents><Key>"
	    "a<b/></Key></Contents></ListBucketResult>", NULL, ERR_S3_LIST);
	same_every_way("bad truncated", "<ListBucketResult><IsTruncated>yes"
	    "</IsTruncated></ListBucketResult>", NULL, ERR_S3_LIST);
	/* a key over S3's 1024 bytes */
	o = (size_t)snprintf(big, sizeof big, "<ListBucketResult><Contents>"
	    "<Key>");
	memset(big + o, 'k', 1025);
	o += 1025;
	snprintf(big + o, sizeof big - o, "</Key></Contents>"
	    "</ListBucketResult>");
	same_every_way("long key", big, NULL, ERR_S3_LIST);
	/* exactly 1024 is fine */
	memmove(big + o - 1, big + o, strlen(big + o) + 1);
	same_every_way("1024-byte key", big, NULL, 0);
	/* nesting past S3LIST_DEPTH */
	o = (size_t)snprintf(deep, sizeof deep, "<ListBucketResult>");
	for (int i = 0; i < S3LIST_DEPTH + 2; i++)
		o += (size_t)snprintf(deep + o, sizeof deep - o, "<a>");
	same_every_way("deep", deep, NULL, ERR_S3_LIST);
	/* errors are sticky */
	{
		struct s3list l;
		enum s3list_event ev;
		s3list_init(&l);
		s3list_push(&l, (const uint8_t *)"<Error>", 7, &ev);
		CHECK(ev == S3LIST_ERROR, "error event");
		CHECK(s3list_push(&l, (const uint8_t *)"<x>", 3, &ev) == 0 &&
		    ev == S3LIST_ERROR, "sticky");
	}
}

int
main(void)
{
	test_samples();
	test_hostile();
	return T_DONE();
}
