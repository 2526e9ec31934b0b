/*
 * s3.h - S3/R2 object requests signed by ourselves: PUT, HEAD, GET, and
 * the list of a prefix's keys (LIST).
 *
 * Addressing: virtual-hosted (https://BUCKET.s3.REGION.amazonaws.com/KEY)
 * for AWS endpoints when the bucket name is a DNS label, path-style
 * (ENDPOINT/BUCKET/KEY) for custom endpoints (R2, MinIO, radosgw) and for
 * buckets that cannot be a host name; REPODIGEST_S3_ADDRESSING=path|virtual
 * overrides (see s3_target()). Every request is signed with AWS
 * Signature V4 (sigv4.c) over the real SHA-256 of the body. Errors are the
 * server's XML parsed into "Code: Message (request id X)" (s3xml.c);
 * RequestTimeTooSkewed is corrected once from the server's Date header; 5xx and
 * SlowDown come back as retryable codes for the batch run.
 *
 * Secrets (the secret key, the session token) are kept in struct s3_config
 * only, never formatted into messages, and wiped by s3_config_wipe().
 */
#ifndef S3_H
#define S3_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "fetch.h"

#define S3_META_MAX 2048        /* AWS's limit on all user metadata, bytes */
#define S3_PATH_MAX 2200        /* raw request path: /BUCKET/PREFIX/KEY */

enum s3_addressing {
	S3_ADDR_AUTO = 0,       /* virtual-hosted for *.amazonaws.com, else path */
	S3_ADDR_PATH,
	S3_ADDR_VIRTUAL
};

struct s3_config {
	char endpoint[URL_MAX + 1];     /* scheme://host[:port], no path */
	char bucket[64];
	char prefix[1024];              /* key prefix, no leading/trailing '/' */
	char region[64];
	char access_key[129];
	char secret[129];
	char session_token[4096];
	int addressing;                 /* enum s3_addressing */
};

/* Fill from the environment (see README: REPODIGEST_S3_* > R2_* > AWS_*) and
 * the destination "s3://BUCKET[/PREFIX]". Flags override by setting fields
 * afterwards. Returns 0 or ERR_USAGE with ec naming what is missing. */
int s3_config_env(struct s3_config *c, const char *dest, struct err_ctx *ec);
void s3_config_wipe(struct s3_config *c);
/* s3_config_env, then --s3-endpoint and --s3-region (NULL: not given) over it. */
int s3_config_flags(struct s3_config *c, const char *dest, const char *endpoint,
    const char *region, struct err_ctx *ec);

/* Where a request for a key goes. */
struct s3_target {
	char url[URL_MAX + 1];          /* what is sent (path URI-encoded) */
	char host[URL_HOST_MAX + 72];   /* Host as sent and signed (:port if
					 * not the default; BUCKET. in front
					 * when virtual-hosted) */
	char path[S3_PATH_MAX];         /* raw path SigV4 canonicalises */
	int virtual_host;
};

/*
 * The URL, Host and path of key under c's bucket and prefix. Auto addressing
 * is virtual-hosted when the endpoint's host ends in .amazonaws.com and the
 * bucket is a DNS label (letters/digits at both ends, no "..", and no dot at
 * all under https, where it would not match the wildcard certificate), else
 * path-style. Errors: ERR_USAGE (no endpoint, an endpoint that is not
 * http(s)://host[:port], virtual-hosted with a numeric host), URL errors.
 */
int s3_target(const struct s3_config *c, const char *key, struct s3_target *t,
    struct err_ctx *ec);

struct s3_meta {
	const char *name;               /* "pushedat": sent as x-amz-meta-pushedat */
	const char *value;              /* printable ASCII only (see s3_put) */
};

struct s3_client {
	struct s3_config cfg;
	struct fetch_client fc;
	int64_t skew;                   /* seconds to add to our clock */
	int skew_corrected;
	int64_t test_skew;              /* REPODIGEST_TEST_CLOCK_SKEW (tests) */
};

int s3_init(struct s3_client *s, const struct s3_config *cfg,
    const struct fetch_opts *fo);
void s3_free(struct s3_client *s);

/*
 * PUT the whole body at key (the prefix is added). Metadata values must be
 * printable ASCII and all metadata together at most S3_META_MAX bytes: S3
 * would mangle or refuse anything else, so it is refused here (ERR_S3_META)
 * before anything is sent. A PUT is whole or absent on the server.
 */
int s3_put(struct s3_client *s, const char *key, const uint8_t *body,
    size_t len, const char *content_type, const struct s3_meta *meta,
    size_t nmeta, struct err_ctx *ec);

/* HEAD key: *found = 0 on 404; else the named metadata values are copied
 * (value[i] for name[i], empty when absent). */
int s3_head(struct s3_client *s, const char *key, int *found,
    const char *const *names, char (*values)[128], size_t n,
    struct err_ctx *ec);

/* DELETE key (signed). A key that is not there is no error (S3 answers
 * 204 for it, some servers 404). */
int s3_delete(struct s3_client *s, const char *key, struct err_ctx *ec);

/* GET key into fn. *found = 0 on 404. */
int s3_get(struct s3_client *s, const char *key, int *found, fetch_body_fn fn,
    void *ctx, struct err_ctx *ec);

/*
 * Each object whose key starts with sub (under the prefix of the
 * configuration), through ListObjectsV2 page by page (at most
 * S3_LIST_PAGES of 1,000 keys): fn gets the key as s3_get() takes it
 * (without the configured prefix) and its size. fn's non-zero value stops
 * the list and is returned. Errors: the server's (as s3_get), ERR_S3_LIST
 * for an answer that is not a list (s3list.h).
 */
#define S3_LIST_PAGES 100000u
typedef int (*s3_key_fn)(void *ctx, const char *key, uint64_t size);
int s3_list(struct s3_client *s, const char *sub, s3_key_fn fn, void *ctx,
    struct err_ctx *ec);

/*
 * GET key, for a run's start-up check: 0 when the object exists (its body
 * goes to fn) or when the answer is 404 NoSuchKey; any other answer (a
 * missing bucket, refused credentials) is an error naming the server's code.
 */
int s3_probe(struct s3_client *s, const char *key, fetch_body_fn fn,
    void *ctx, struct err_ctx *ec);

/*
 * One object named by its URL, s3://BUCKET/KEY (a run report): configured as
 * --out s3://BUCKET/DIR would be (the environment), with endpoint and region
 * overrides (NULL: none). put sends the body whole, without metadata; get
 * appends the object to b (ERR_LIMIT past b's cap; ERR_NOENT on 404).
 */
struct buf;
/* The configuration of url's directory (no request made; checks the URL and
 * the credentials' presence), and *key: its last part. */
int s3_object_config(struct s3_config *cfg, const char *url,
    const char *endpoint, const char *region, const char **key,
    struct err_ctx *ec);
int s3_object_put(const char *url, const char *endpoint, const char *region,
    const struct fetch_opts *fo, const uint8_t *body, size_t len,
    const char *content_type, struct err_ctx *ec);
int s3_object_get(const char *url, const char *endpoint, const char *region,
    const struct fetch_opts *fo, struct buf *b, struct err_ctx *ec);

#endif
