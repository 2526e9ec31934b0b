/*
 * test_s3.c - S3 configuration precedence and the checks made before any
 * request is sent (the real requests are tested against radosgw in
 * tests/integration/s3.sh), and where requests go: URL, Host and signed
 * path for path-style and virtual-hosted addressing (virtual-hosted is also
 * exercised against radosgw there, through an amazonaws.com test name).
 */
#include <stdlib.h>
#include <string.h>

#include "s3.h"
#include "t.h"

/* s3_target() of key under dest with the environment as set; 0 or the error */
static int
target(struct s3_config *c, const char *dest, const char *key,
    struct s3_target *t)
{
	struct err_ctx ec;
	int e;

	memset(&ec, 0, sizeof ec);
	if ((e = s3_config_env(c, dest, &ec)) != 0)
		return e;
	return s3_target(c, key, t, &ec);
}

/* t is url, host, path, virtual_host */
static int
same(const struct s3_target *t, const char *url, const char *host,
    const char *path, int vh)
{
	if (strcmp(t->url, url) == 0 && strcmp(t->host, host) == 0 &&
	    strcmp(t->path, path) == 0 && t->virtual_host == vh)
		return 1;
	fprintf(stderr, "got url %s host %s path %s virtual %d\n", t->url,
	    t->host, t->path, t->virtual_host);
	return 0;
}

static void
clear_env(void)
{
	static const char *const v[] = { "REPODIGEST_S3_ENDPOINT", "R2_ENDPOINT",
	    "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "REPODIGEST_S3_ACCESS_KEY",
	    "R2_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "REPODIGEST_S3_SECRET_KEY",
	    "R2_SECRET_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	    "REPODIGEST_S3_SESSION_TOKEN", "REPODIGEST_S3_REGION", "AWS_REGION",
	    "AWS_DEFAULT_REGION", "REPODIGEST_TEST_CLOCK_SKEW",
	    "REPODIGEST_S3_ADDRESSING" };

	for (size_t i = 0; i < sizeof v / sizeof *v; i++)
		unsetenv(v[i]);
}

int
main(void)
{
	struct s3_config *c = malloc(sizeof *c);
	struct s3_client *s = malloc(sizeof *s);
	struct s3_target *t;
	struct err_ctx ec;
	struct fetch_opts fo;
	struct s3_meta m[2];
	char big[3000];
	int e;

	/* the seed's R2_* variables */
	clear_env();
	setenv("R2_ENDPOINT", "https://acct.r2.cloudflarestorage.com/", 1);
	setenv("R2_ACCESS_KEY", "AK", 1);
	setenv("R2_SECRET_KEY", "SK", 1);
	memset(&ec, 0, sizeof ec);
	e = s3_config_env(c, "s3://digests/some/prefix/", &ec);
	CHECK(e == 0, "r2 env: %d %s", e, ec.detail);
	CHECK(strcmp(c->endpoint, "https://acct.r2.cloudflarestorage.com") == 0,
	    "endpoint without trailing /: %s", c->endpoint);
	CHECK(strcmp(c->bucket, "digests") == 0, "bucket %s", c->bucket);
	CHECK(strcmp(c->prefix, "some/prefix") == 0, "prefix %s", c->prefix);
	CHECK(strcmp(c->region, "auto") == 0, "region auto for R2: %s", c->region);
	CHECK(strcmp(c->access_key, "AK") == 0 && strcmp(c->secret, "SK") == 0,
	    "r2 keys");
	/* REPODIGEST_* beats R2_* beats AWS_* */
	setenv("AWS_ACCESS_KEY_ID", "AWSAK", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "AWSSK", 1);
	setenv("REPODIGEST_S3_ACCESS_KEY", "RDAK", 1);
	setenv("AWS_REGION", "eu-west-2", 1);
	e = s3_config_env(c, "s3://digests", &ec);
	CHECK(e == 0 && strcmp(c->access_key, "RDAK") == 0 &&
	    strcmp(c->secret, "SK") == 0, "precedence: %s %s", c->access_key,
	    c->secret);
	CHECK(strcmp(c->region, "eu-west-2") == 0, "AWS_REGION");
	/* AWS only: endpoint from the region */
	clear_env();
	setenv("AWS_ACCESS_KEY_ID", "AWSAK", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "AWSSK", 1);
	setenv("AWS_DEFAULT_REGION", "us-east-2", 1);
	setenv("AWS_SESSION_TOKEN", "TOKEN", 1);
	e = s3_config_env(c, "s3://my.bucket-1", &ec);
	CHECK(e == 0 && strcmp(c->endpoint, "https://s3.us-east-2.amazonaws.com") == 0,
	    "aws endpoint: %s", c->endpoint);
	CHECK(strcmp(c->session_token, "TOKEN") == 0, "session token");
	/* --s3-region decides the AWS endpoint when no variable names one,
	 * whatever region the environment had (or none) */
	e = s3_config_flags(c, "s3://digests", NULL, "eu-central-1", &ec);
	CHECK(e == 0 && strcmp(c->endpoint,
	    "https://s3.eu-central-1.amazonaws.com") == 0 &&
	    strcmp(c->region, "eu-central-1") == 0,
	    "--s3-region over AWS_DEFAULT_REGION: %s", c->endpoint);
	unsetenv("AWS_DEFAULT_REGION");
	e = s3_config_flags(c, "s3://digests", NULL, "eu-west-3", &ec);
	CHECK(e == 0 && strcmp(c->endpoint,
	    "https://s3.eu-west-3.amazonaws.com") == 0,
	    "--s3-region without any variable: %s", c->endpoint);
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9000", 1);
	e = s3_config_flags(c, "s3://digests", NULL, "eu-west-3", &ec);
	CHECK(e == 0 && strcmp(c->endpoint, "http://127.0.0.1:9000") == 0 &&
	    strcmp(c->region, "eu-west-3") == 0,
	    "--s3-region keeps an endpoint variable: %s", c->endpoint);
	e = s3_config_flags(c, "s3://digests", "https://x.example", "eu-west-3",
	    &ec);
	CHECK(e == 0 && strcmp(c->endpoint, "https://x.example") == 0,
	    "--s3-endpoint wins: %s", c->endpoint);
	unsetenv("AWS_ENDPOINT_URL");
	setenv("AWS_DEFAULT_REGION", "us-east-2", 1);
	e = s3_config_env(c, "s3://my.bucket-1", &ec);
	/* addressing: AWS endpoints are virtual-hosted when the bucket is a
	 * DNS label; dots only under http (the wildcard certificate does not
	 * cover them); everything else is path-style */
	t = malloc(sizeof *t);
	CHECK(target(c, "s3://digests/pre/fix", "a b/k.txt", t) == 0 &&
	    same(t, "https://digests.s3.us-east-2.amazonaws.com/pre/fix/a%20b/k.txt",
	    "digests.s3.us-east-2.amazonaws.com", "/pre/fix/a b/k.txt", 1),
	    "aws virtual-hosted");
	CHECK(target(c, "s3://my.bucket-1", "k", t) == 0 &&
	    same(t, "https://s3.us-east-2.amazonaws.com/my.bucket-1/k",
	    "s3.us-east-2.amazonaws.com", "/my.bucket-1/k", 0),
	    "dotted bucket under https: path-style");
	setenv("AWS_ENDPOINT_URL", "http://s3.eu-west-1.amazonaws.com:8080/", 1);
	CHECK(target(c, "s3://my.bucket-1", "k", t) == 0 &&
	    same(t, "http://my.bucket-1.s3.eu-west-1.amazonaws.com:8080/k",
	    "my.bucket-1.s3.eu-west-1.amazonaws.com:8080", "/k", 1),
	    "dotted bucket under http: virtual-hosted");
	CHECK(target(c, "s3://a..b", "k", t) == 0 && t->virtual_host == 0 &&
	    target(c, "s3://-ab", "k", t) == 0 && t->virtual_host == 0 &&
	    target(c, "s3://ab-", "k", t) == 0 && t->virtual_host == 0 &&
	    target(c, "s3://a.-b", "k", t) == 0 && t->virtual_host == 0,
	    "not DNS labels: path-style");
	setenv("AWS_ENDPOINT_URL", "https://s3.amazonaws.com.evil.test", 1);
	CHECK(target(c, "s3://digests", "k", t) == 0 && t->virtual_host == 0,
	    "only hosts ending in .amazonaws.com");
	setenv("REPODIGEST_S3_ADDRESSING", "path", 1);
	unsetenv("AWS_ENDPOINT_URL");
	CHECK(target(c, "s3://digests", "k", t) == 0 &&
	    same(t, "https://s3.us-east-2.amazonaws.com/digests/k",
	    "s3.us-east-2.amazonaws.com", "/digests/k", 0), "forced path");
	/* custom endpoints (R2, MinIO, radosgw) are path-style unless forced */
	setenv("REPODIGEST_S3_ADDRESSING", "auto", 1);
	setenv("R2_ENDPOINT", "https://acct.r2.cloudflarestorage.com", 1);
	CHECK(target(c, "s3://digests", "k", t) == 0 &&
	    same(t, "https://acct.r2.cloudflarestorage.com/digests/k",
	    "acct.r2.cloudflarestorage.com", "/digests/k", 0), "r2 path-style");
	setenv("REPODIGEST_S3_ADDRESSING", "virtual", 1);
	setenv("R2_ENDPOINT", "https://MinIO.test:9000", 1);
	CHECK(target(c, "s3://digests/p", "k", t) == 0 &&
	    same(t, "https://digests.minio.test:9000/p/k",
	    "digests.minio.test:9000", "/p/k", 1), "forced virtual");
	setenv("R2_ENDPOINT", "http://127.0.0.1:9000", 1);
	CHECK(target(c, "s3://digests", "k", t) == ERR_USAGE,
	    "virtual-hosted needs a host name");
	unsetenv("REPODIGEST_S3_ADDRESSING");
	setenv("R2_ENDPOINT", "http://[::1]:9000", 1);
	CHECK(target(c, "s3://digests", "k", t) == 0 &&
	    same(t, "http://[::1]:9000/digests/k", "[::1]:9000", "/digests/k",
	    0), "ipv6 endpoint");
	setenv("R2_ENDPOINT", "https://host.test/base", 1);
	CHECK(target(c, "s3://digests", "k", t) == ERR_USAGE,
	    "endpoint with a path refused");
	setenv("R2_ENDPOINT", "file:///tmp", 1);
	CHECK(target(c, "s3://digests", "k", t) == ERR_USAGE, "file endpoint");
	setenv("REPODIGEST_S3_ADDRESSING", "host", 1);
	CHECK(target(c, "s3://digests", "k", t) == ERR_USAGE,
	    "bad REPODIGEST_S3_ADDRESSING");
	unsetenv("REPODIGEST_S3_ADDRESSING");
	unsetenv("R2_ENDPOINT");
	free(t);
	/* bad destinations and missing credentials */
	CHECK(s3_config_env(c, "s3://A_B", &ec) == ERR_USAGE, "bad bucket");
	CHECK(s3_config_env(c, "s3://ab", &ec) == ERR_USAGE, "short bucket");
	CHECK(s3_config_env(c, "http://x/y", &ec) == ERR_USAGE, "not s3://");
	setenv("R2_ACCESS_KEY", "AK", 1);
	setenv("R2_SECRET_KEY", "SK", 1);
	CHECK(s3_config_env(c, "s3://digests/a/./b", &ec) == ERR_USAGE &&
	    strstr(ec.detail, "segments") != NULL, "dot segment refused");
	CHECK(s3_config_env(c, "s3://digests/x/..", &ec) == ERR_USAGE,
	    "dot-dot segment refused");
	CHECK(s3_config_env(c, "s3://digests/a.b/..c/d..", &ec) == 0,
	    "dots inside names are fine: %s", ec.detail);
	clear_env();
	CHECK(s3_config_env(c, "s3://digests", &ec) == ERR_USAGE &&
	    strstr(ec.detail, "credentials") != NULL, "no credentials: %s",
	    ec.detail);
	/* secrets are wiped */
	setenv("R2_ACCESS_KEY", "AK", 1);
	setenv("R2_SECRET_KEY", "SECRETVALUE", 1);
	setenv("R2_ENDPOINT", "http://127.0.0.1:9", 1);
	s3_config_env(c, "s3://digests", &ec);
	/* metadata checks happen before any request: port 9 is never used */
	memset(&fo, 0, sizeof fo);
	fo.connect_ms = 500;
	CHECK(s3_init(s, c, &fo) == 0, "init");
	m[0].name = "url";
	m[0].value = "caf\xc3\xa9";
	e = s3_put(s, "k", (const uint8_t *)"x", 1, "text/plain", m, 1, &ec);
	CHECK(e == ERR_S3_META, "non-ASCII metadata refused: %d", e);
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	m[0].value = "ok";
	m[1].name = "big";
	m[1].value = big;
	e = s3_put(s, "k", (const uint8_t *)"x", 1, "text/plain", m, 2, &ec);
	CHECK(e == ERR_S3_META && strstr(ec.detail, "limit 2048") != NULL,
	    "2 KB limit: %d %s", e, ec.detail);
	CHECK(strstr(ec.detail, "SECRETVALUE") == NULL, "no secret in errors");
	s3_free(s);
	s3_config_wipe(c);
	for (size_t i = 0; i < sizeof *c; i++)
		if (((unsigned char *)c)[i] != 0) {
			CHECK(0, "config not wiped at byte %zu", i);
			break;
		}
	CHECK(1, "wipe checked");
	free(c);
	free(s);
	return T_DONE();
}
