/*
 * s3.c - signed S3 requests over the fetch client. See s3.h.
 *
 * One request: build the raw path /BUCKET/PREFIX/KEY (or /PREFIX/KEY with
 * BUCKET. in front of the host when virtual-hosted), encode it once for the
 * URL (the same encoding SigV4 canonicalises, so what is signed is what is
 * sent), hash the body, sign Host + Content-Type + x-amz-meta-* + the headers
 * SigV4 adds (x-amz-date, x-amz-content-sha256, x-amz-security-token), send.
 * The Authorization value is handed to fetch with the endpoint's host as the
 * only host allowed to receive it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "s3.h"
#include "s3list.h"
#include "s3xml.h"
#include "sigv4.h"
#include "log.h"

#define MAX_META 16

static const char *
env_first(const char *a, const char *b, const char *c, const char *d)
{
	const char *names[4] = { a, b, c, d };

	for (int i = 0; i < 4; i++) {
		const char *v = names[i] ? getenv(names[i]) : NULL;
		if (v != NULL && v[0] != '\0')
			return v;
	}
	return NULL;
}

static int
copy_field(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

/* S3 bucket names: 3-63 of [a-z0-9.-] (R2 and radosgw accept the same). */
static int
bucket_ok(const char *b, size_t n)
{
	if (n < 3 || n > 63)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = b[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '.' || ch == '-'))
			return 0;
	}
	return 1;
}

/* s3_config_env(), with region (when not NULL) in place of the
 * environment's */
static int
config_env(struct s3_config *c, const char *dest, const char *region,
    struct err_ctx *ec)
{
	static const char addr_env[] = "REPODIGEST_S3_ADDRESSING";
	const char *ep, *ak, *sk, *tok, *rg, *ad, *rest, *sl;
	size_t bl, pl;

	memset(c, 0, sizeof *c);
	err_field(ec->source, sizeof ec->source, dest, strlen(dest));
	if (strncmp(dest, "s3://", 5) != 0)
		return err_set(ec, ERR_USAGE, "not an s3:// destination");
	/* a query is a URL's, not a key's: "?token=..." was meant as a
	 * secret, and would be sent (and shown) as part of the key */
	if (strpbrk(dest, "?#") != NULL)
		return err_set(ec, ERR_USAGE, "an s3:// destination has no "
		    "query or fragment ('?' or '#')");
	rest = dest + 5;
	sl = strchr(rest, '/');
	bl = sl ? (size_t)(sl - rest) : strlen(rest);
	if (!bucket_ok(rest, bl))
		return err_set(ec, ERR_USAGE,
		    "bucket name must be 3-63 of a-z 0-9 . -");
	memcpy(c->bucket, rest, bl);
	if (sl != NULL) {
		const char *p = sl;
		while (*p == '/')
			p++;
		pl = strlen(p);
		while (pl > 0 && p[pl - 1] == '/')
			pl--;
		if (pl >= sizeof c->prefix)
			return err_set(ec, ERR_USAGE, "key prefix too long");
		memcpy(c->prefix, p, pl);
		/* URLs drop "." and ".." segments (RFC 3986 5.2.4) while the
		 * signature covers the raw key: such a prefix would be signed for
		 * one key and sent for another, even outside the prefix */
		for (size_t i = 0; i <= pl; i++) {
			size_t j = i;
			while (j < pl && c->prefix[j] != '/')
				j++;
			if ((j - i == 1 && c->prefix[i] == '.') ||
			    (j - i == 2 && c->prefix[i] == '.' &&
			    c->prefix[i + 1] == '.'))
				return err_set(ec, ERR_USAGE, "key prefix must not "
				    "have . or .. segments");
			i = j;
		}
	}
	ep = env_first("REPODIGEST_S3_ENDPOINT", "R2_ENDPOINT",
	    "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL");
	ak = env_first("REPODIGEST_S3_ACCESS_KEY", "R2_ACCESS_KEY",
	    "AWS_ACCESS_KEY_ID", NULL);
	sk = env_first("REPODIGEST_S3_SECRET_KEY", "R2_SECRET_KEY",
	    "AWS_SECRET_ACCESS_KEY", NULL);
	tok = env_first("REPODIGEST_S3_SESSION_TOKEN", "AWS_SESSION_TOKEN", NULL,
	    NULL);
	rg = region != NULL ? region : env_first("REPODIGEST_S3_REGION",
	    "AWS_REGION", "AWS_DEFAULT_REGION", NULL);
	ad = env_first(addr_env, NULL, NULL, NULL);
	if (ad != NULL && strcmp(ad, "auto") != 0) {
		if (strcmp(ad, "path") == 0)
			c->addressing = S3_ADDR_PATH;
		else if (strcmp(ad, "virtual") == 0)
			c->addressing = S3_ADDR_VIRTUAL;
		else
			return err_set(ec, ERR_USAGE, "%s must be auto, path or "
			    "virtual", addr_env);
	}
	if (copy_field(c->region, sizeof c->region, rg ? rg : "auto") != 0)
		return err_set(ec, ERR_USAGE, "region too long");
	if (ep != NULL) {
		size_t n = strlen(ep);
		while (n > 0 && ep[n - 1] == '/')
			n--;
		if (n >= sizeof c->endpoint)
			return err_set(ec, ERR_USAGE, "endpoint URL too long");
		memcpy(c->endpoint, ep, n);
	} else if (strcmp(c->region, "auto") != 0) {
		snprintf(c->endpoint, sizeof c->endpoint,
		    "https://s3.%s.amazonaws.com", c->region);
	}
	if (ak == NULL || sk == NULL)
		return err_set(ec, ERR_USAGE, "no S3 credentials: set R2_ACCESS_KEY "
		    "and R2_SECRET_KEY, or AWS_ACCESS_KEY_ID and "
		    "AWS_SECRET_ACCESS_KEY");
	if (copy_field(c->access_key, sizeof c->access_key, ak) != 0 ||
	    copy_field(c->secret, sizeof c->secret, sk) != 0 ||
	    (tok != NULL && copy_field(c->session_token,
	    sizeof c->session_token, tok) != 0))
		return err_set(ec, ERR_USAGE, "S3 credential too long");
	return 0;
}

void
s3_config_wipe(struct s3_config *c)
{
	volatile char *p = (volatile char *)c;

	for (size_t i = 0; i < sizeof *c; i++)
		p[i] = 0;
}

int
s3_init(struct s3_client *s, const struct s3_config *cfg,
    const struct fetch_opts *fo)
{
	const char *ts = getenv("REPODIGEST_TEST_CLOCK_SKEW");

	memset(s, 0, sizeof *s);
	s->cfg = *cfg;
	/* test hook: pretend our clock is off by this many seconds, so tests
	 * can prove the skew correction against a real server */
	if (ts != NULL)
		s->test_skew = strtoll(ts, NULL, 10);
	return fetch_init(&s->fc, fo);
}

void
s3_free(struct s3_client *s)
{
	fetch_free(&s->fc);
	s3_config_wipe(&s->cfg);
}

/* The error of a non-2xx answer, from its XML body (or its status). */
static int
answer_error(const struct fetch_resp *rs, struct err_ctx *ec)
{
	struct s3xml_error x;
	char msg[sizeof ec->detail];
	int r;

	memset(&x, 0, sizeof x);
	if (rs->errbody.len > 0)
		s3xml_parse(rs->errbody.p, rs->errbody.len, &x);
	s3xml_format(&x, rs->status, msg, sizeof msg);
	r = s3_error_retryable(x.code[0] ? x.code : NULL, rs->status);
	return err_set(ec, r == S3_RETRY_YES || r == S3_RETRY_ONCE ?
	    ERR_S3_RETRYABLE : ERR_S3_ERROR, "%s", msg);
}

static int
is_skew(const struct fetch_resp *rs)
{
	struct s3xml_error x;

	memset(&x, 0, sizeof x);
	if (rs->status != 403 || rs->errbody.len == 0)
		return 0;
	s3xml_parse(rs->errbody.p, rs->errbody.len, &x);
	return strcmp(x.code, "RequestTimeTooSkewed") == 0;
}

struct req {
	const char *method;
	const char *key;
	const uint8_t *body;
	size_t len;
	int has_body;
	const char *content_type;
	const struct s3_meta *meta;
	size_t nmeta;
	const char *query;              /* canonical query ("" or NULL: none);
	                                 * set: a bucket request (the list) */
};

/* A bucket name usable as the first label of a host name (see s3.h). */
static int
bucket_dns_ok(const char *b, int https)
{
	size_t n = strlen(b);

	if (n < 3 || !((b[0] >= 'a' && b[0] <= 'z') || (b[0] >= '0' &&
	    b[0] <= '9')) || b[n - 1] == '.' || b[n - 1] == '-')
		return 0;
	for (size_t i = 1; i < n; i++)
		if (b[i] == '.' && (https || b[i - 1] == '.' || b[i - 1] == '-' ||
		    b[i + 1] == '-'))
			return 0;
	return 1;
}

/* see s3.h */
int
s3_target(const struct s3_config *c, const char *key, struct s3_target *t,
    struct err_ctx *ec)
{
	static const char aws[] = ".amazonaws.com";
	char enc[3 * S3_PATH_MAX];
	struct url *eu;
	size_t el, hl;
	int e, vh, n, https;

	if ((eu = malloc(sizeof *eu)) == NULL)
		return err_set(ec, ERR_NOMEM, NULL);
	e = url_parse((const uint8_t *)c->endpoint, strlen(c->endpoint), eu);
	if (e != 0) {
		free(eu);
		if (c->endpoint[0] == '\0')
			return err_set(ec, ERR_USAGE, "no S3 endpoint: set "
			    "R2_ENDPOINT or AWS_ENDPOINT_URL (or AWS_REGION "
			    "for AWS)");
		return err_set(ec, e, "S3 endpoint");
	}
	/* the signed path must be the whole path sent: no base path */
	if (eu->scheme == URL_FILE || eu->target_len != 1) {
		free(eu);
		return err_set(ec, ERR_USAGE, "S3 endpoint must be "
		    "http(s)://HOST[:PORT]");
	}
	hl = eu->host_len;
	https = eu->scheme == URL_HTTPS;
	vh = c->addressing == S3_ADDR_VIRTUAL || (c->addressing ==
	    S3_ADDR_AUTO && hl > sizeof aws - 1 &&
	    strcmp(eu->host + hl - (sizeof aws - 1), aws) == 0 &&
	    bucket_dns_ok(c->bucket, https));
	if (vh && eu->host_kind != URL_HOST_NAME) {
		free(eu);
		return err_set(ec, ERR_USAGE, "virtual-hosted S3 needs a host "
		    "name");
	}
	n = snprintf(t->host, sizeof t->host, eu->host_kind == URL_HOST_IPV6 ?
	    "%s%s[%s]" : "%s%s%s", vh ? c->bucket : "", vh ? "." : "", eu->host);
	if (n < (int)sizeof t->host && eu->port_explicit &&
	    eu->port != url_default_port(eu->scheme))
		n += snprintf(t->host + n, sizeof t->host - (size_t)n, ":%u",
		    (unsigned)eu->port);
	free(eu);
	t->virtual_host = vh;
	if (n >= (int)sizeof t->host)
		return err_set(ec, ERR_URL_HOST, "S3 endpoint");
	if (snprintf(t->path, sizeof t->path, "/%s%s%s%s%s", vh ? "" : c->bucket,
	    vh ? "" : "/", c->prefix, c->prefix[0] ? "/" : "", key) >=
	    (int)sizeof t->path)
		return err_set(ec, ERR_USAGE, "object key too long");
	if ((e = sigv4_uri_encode(t->path, strlen(t->path), 1, enc, sizeof enc,
	    &el)) != 0)
		return err_set(ec, e, NULL);
	if (snprintf(t->url, sizeof t->url, "http%s://%s%s", https ? "s" : "",
	    t->host, enc) >= (int)sizeof t->url)
		return err_set(ec, ERR_URL_TOO_LONG, NULL);
	return 0;
}

static int
request(struct s3_client *s, const struct req *q, struct fetch_resp *rs,
    fetch_body_fn fn, void *ctx, struct err_ctx *ec)
{
	char hash[SIGV4_HEX_LEN + 1], date[SIGV4_DATE_LEN + 1];
	char auth[SIGV4_AUTH_MAX], mnames[MAX_META][64];
	struct sigv4_header h[4 + MAX_META];
	struct sigv4_header added[SIGV4_ADDED_MAX];
	struct http_field f[2 + MAX_META + SIGV4_ADDED_MAX];
	struct sigv4_req sr;
	struct sigv4_cred cr;
	struct fetch_req fr;
	struct s3_target t;
	char *host = t.host, *path = t.path;
	size_t nh = 0, nf = 0, na = 0;
	int e;

	if (q->nmeta > MAX_META)
		return err_set(ec, ERR_S3_META, "too many metadata fields");
	if ((e = s3_target(&s->cfg, q->key, &t, ec)) != 0)
		return e;
	if (q->query != NULL && q->query[0] != '\0') {
		/* the bucket itself: its path without the key prefix or a
		 * trailing '/', then ?query on the URL (signed as sent) */
		size_t pl = strlen(t.path), ul = strlen(t.url);
		size_t cut = strlen(s->cfg.prefix) + (s->cfg.prefix[0] ? 1 : 0) +
		    (t.virtual_host ? 0 : 1);
		if (cut >= pl || cut >= ul)
			return err_set(ec, ERR_USAGE, "object key too long");
		if (t.virtual_host)
			cut--;  /* keep the root "/" */
		t.path[pl - cut] = '\0';
		t.url[ul - cut] = '\0';
		if (strlen(t.url) + 1 + strlen(q->query) >= sizeof t.url)
			return err_set(ec, ERR_URL_TOO_LONG, NULL);
		strcat(t.url, "?");
		strcat(t.url, q->query);
	}

	sigv4_payload_hash(q->body, q->has_body ? q->len : 0, hash);
	sigv4_amz_date(time(NULL) + s->skew + s->test_skew, date);
	h[nh].name.p = "host";
	h[nh].name.n = 4;
	h[nh].value.p = host;
	h[nh].value.n = strlen(host);
	nh++;
	if (q->content_type != NULL) {
		h[nh].name.p = "content-type";
		h[nh].name.n = 12;
		h[nh].value.p = q->content_type;
		h[nh].value.n = strlen(q->content_type);
		f[nf].name = "Content-Type";
		f[nf].name_len = 12;
		f[nf].value = q->content_type;
		f[nf].value_len = strlen(q->content_type);
		nh++, nf++;
	}
	for (size_t i = 0; i < q->nmeta; i++) {
		snprintf(mnames[i], sizeof mnames[i], "x-amz-meta-%s",
		    q->meta[i].name);
		h[nh].name.p = mnames[i];
		h[nh].name.n = strlen(mnames[i]);
		h[nh].value.p = q->meta[i].value;
		h[nh].value.n = strlen(q->meta[i].value);
		f[nf].name = mnames[i];
		f[nf].name_len = strlen(mnames[i]);
		f[nf].value = q->meta[i].value;
		f[nf].value_len = strlen(q->meta[i].value);
		nh++, nf++;
	}
	memset(&sr, 0, sizeof sr);
	sr.method.p = q->method;
	sr.method.n = strlen(q->method);
	sr.path.p = path;
	sr.path.n = strlen(path);
	sr.query.p = q->query != NULL ? q->query : "";
	sr.query.n = strlen(sr.query.p);
	sr.headers = h;
	sr.nheaders = nh;
	sr.payload_hash = hash;
	memset(&cr, 0, sizeof cr);
	cr.access_key = s->cfg.access_key;
	cr.secret = s->cfg.secret;
	cr.session_token = s->cfg.session_token[0] ? s->cfg.session_token : NULL;
	cr.region = s->cfg.region;
	cr.service = "s3";
	if ((e = sigv4_added_headers(&sr, &cr, date, added, &na)) != 0 ||
	    (e = sigv4_sign(&sr, &cr, date, auth, sizeof auth)) != 0)
		return err_set(ec, e, "signing");
	for (size_t i = 0; i < na; i++) {
		f[nf].name = added[i].name.p;
		f[nf].name_len = added[i].name.n;
		f[nf].value = added[i].value.p;
		f[nf].value_len = added[i].value.n;
		nf++;
	}
	memset(&fr, 0, sizeof fr);
	fr.method = q->method;
	fr.url = t.url;
	fr.fields = f;
	fr.nfields = nf;
	fr.auth = auth;
	fr.auth_host = host;    /* with port: compared with the URL's host */
	{
		/* fetch compares the bare host */
		char *colon = strrchr(host, ':');
		if (colon != NULL && host[0] != '[')
			*colon = '\0';
		else if (host[0] == '[') {
			memmove(host, host + 1, strlen(host));
			if ((colon = strchr(host, ']')) != NULL)
				*colon = '\0';
		}
	}
	fr.body = q->body;
	fr.body_len = q->len;
	fr.has_body = q->has_body;
	fr.no_redirect = 1;
	e = fetch_do(&s->fc, &fr, rs, fn, ctx, ec);
	for (volatile char *p = auth; p < auth + sizeof auth; p++)
		*p = 0;
	return e;
}

/* Send; correct the clock once on RequestTimeTooSkewed; map the answer. */
static int
request_checked(struct s3_client *s, const struct req *q, int *found,
    fetch_body_fn fn, void *ctx, struct fetch_resp *rs, struct err_ctx *ec)
{
	int e;

	for (int attempt = 0; attempt < 2; attempt++) {
		e = request(s, q, rs, fn, ctx, ec);
		if (e != 0)
			return e;
		if (rs->status >= 200 && rs->status < 300) {
			if (found)
				*found = 1;
			return 0;
		}
		if (rs->status == 404 && found != NULL) {
			*found = 0;
			return 0;
		}
		if (attempt == 0 && !s->skew_corrected && rs->has_date &&
		    (is_skew(rs) || (rs->status == 403 && rs->errbody.len == 0 &&
		    strcmp(q->method, "HEAD") == 0))) {
			int64_t ours = (int64_t)time(NULL) + s->skew + s->test_skew;
			int64_t off = (int64_t)rs->date - ours;
			/* a HEAD 403 has no body to say why: only a large
			 * difference counts as skew (S3 allows 15 minutes) */
			if (is_skew(rs) || off > 600 || off < -600) {
				s->skew += off;
				s->skew_corrected = 1;
				log_err(NULL, "%s: server clock differs by "
				    "%lld s; corrected once", ec->source,
				    (long long)off);
				fetch_resp_free(rs);
				continue;
			}
		}
		return answer_error(rs, ec);
	}
	return answer_error(rs, ec);
}

int
s3_put(struct s3_client *s, const char *key, const uint8_t *body,
    size_t len, const char *content_type, const struct s3_meta *meta,
    size_t nmeta, struct err_ctx *ec)
{
	struct fetch_resp rs;
	struct req q;
	size_t total = 0;
	int e;

	/* S3 signs and stores metadata as ASCII headers; refuse what would be
	 * mangled, and the 2 KB limit, before anything is sent */
	for (size_t i = 0; i < nmeta; i++) {
		for (const char *p = meta[i].value; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
				return err_set(ec, ERR_S3_META, "metadata %s is not "
				    "printable ASCII", meta[i].name);
		total += strlen(meta[i].name) + strlen(meta[i].value);
	}
	if (total > S3_META_MAX)
		return err_set(ec, ERR_S3_META, "%zu bytes of metadata, limit %d",
		    total, S3_META_MAX);
	memset(&q, 0, sizeof q);
	q.method = "PUT";
	q.key = key;
	q.body = body;
	q.len = len;
	q.has_body = 1;
	q.content_type = content_type;
	q.meta = meta;
	q.nmeta = nmeta;
	memset(&rs, 0, sizeof rs);
	e = request_checked(s, &q, NULL, NULL, NULL, &rs, ec);
	fetch_resp_free(&rs);
	return e;
}

/* A HEAD or GET of key with no body sent; the caller frees rs. */
static int
object_request(struct s3_client *s, const char *method, const char *key,
    int *found, fetch_body_fn fn, void *ctx, struct fetch_resp *rs,
    struct err_ctx *ec)
{
	struct req q;

	memset(&q, 0, sizeof q);
	q.method = method;
	q.key = key;
	memset(rs, 0, sizeof *rs);
	return request_checked(s, &q, found, fn, ctx, rs, ec);
}

int
s3_head(struct s3_client *s, const char *key, int *found,
    const char *const *names, char (*values)[128], size_t n,
    struct err_ctx *ec)
{
	struct fetch_resp rs;
	int e = object_request(s, "HEAD", key, found, NULL, NULL, &rs, ec);

	for (size_t i = 0; i < n; i++) {
		char hn[80];
		struct slice v;
		values[i][0] = '\0';
		snprintf(hn, sizeof hn, "x-amz-meta-%s", names[i]);
		if (e == 0 && *found && rs.head != NULL &&
		    http_resp_get(rs.head, hn, &v) == 1)
			err_field(values[i], sizeof values[i], v.p, v.n);
	}
	fetch_resp_free(&rs);
	return e;
}

/* see s3.h */
int
s3_delete(struct s3_client *s, const char *key, struct err_ctx *ec)
{
	struct fetch_resp rs;
	int found = 0;
	int e = object_request(s, "DELETE", key, &found, NULL, NULL, &rs, ec);

	fetch_resp_free(&rs);
	return e;
}

int
s3_get(struct s3_client *s, const char *key, int *found, fetch_body_fn fn,
    void *ctx, struct err_ctx *ec)
{
	struct fetch_resp rs;
	int e = object_request(s, "GET", key, found, fn, ctx, &rs, ec);

	fetch_resp_free(&rs);
	return e;
}

/* A list page's body through the list parser, each key to the caller. */
struct list_page {
	struct s3list l;
	s3_key_fn fn;
	void *ctx;
	size_t skip;                    /* the config prefix and its '/' */
	int err;                        /* the caller's or the parser's */
};

static int
list_body(void *ctx, const uint8_t *p, size_t n)
{
	struct list_page *lp = ctx;
	enum s3list_event ev;
	size_t k;

	while (n > 0 && lp->err == 0) {
		k = s3list_push(&lp->l, p, n, &ev);
		p += k;
		n -= k;
		if (ev == S3LIST_ERROR)
			lp->err = ERR_S3_LIST;
		else if (ev == S3LIST_KEY && lp->l.key_len > lp->skip)
			lp->err = lp->fn(lp->ctx, lp->l.key + lp->skip,
			    lp->l.size);
	}
	return lp->err;
}

/* see s3.h */
int
s3_list(struct s3_client *s, const char *sub, s3_key_fn fn, void *ctx,
    struct err_ctx *ec)
{
	char prefix[S3_PATH_MAX], tok[S3LIST_TOKEN_MAX + 1] = "";
	char penc[3 * S3_PATH_MAX], tenc[3 * S3LIST_TOKEN_MAX + 1];
	char query[3 * S3_PATH_MAX + 3 * S3LIST_TOKEN_MAX + 64];
	struct list_page *lp;
	struct fetch_resp rs;
	struct req q;
	int e = 0;

	if ((size_t)snprintf(prefix, sizeof prefix, "%s%s%s", s->cfg.prefix,
	    s->cfg.prefix[0] ? "/" : "", sub) >= sizeof prefix)
		return err_set(ec, ERR_USAGE, "list prefix too long");
	if (sigv4_uri_encode(prefix, strlen(prefix), 0, penc, sizeof penc,
	    NULL) != 0)
		return err_set(ec, ERR_USAGE, "list prefix too long");
	if ((lp = malloc(sizeof *lp)) == NULL)
		return err_set(ec, ERR_NOMEM, NULL);
	/* a server that says "truncated" forever with new tokens is stopped
	 * by the page cap (S3_LIST_PAGES), one that repeats a token at once */
	for (unsigned page = 0; e == 0; page++) {
		if (page == S3_LIST_PAGES) {
			e = err_set(ec, ERR_S3_LIST, "more than %u pages",
			    S3_LIST_PAGES);
			break;
		}
		/* the canonical order: parameters sorted by name */
		if (tok[0] != '\0') {
			if (sigv4_uri_encode(tok, strlen(tok), 0, tenc,
			    sizeof tenc, NULL) != 0) {
				e = err_set(ec, ERR_S3_LIST, "token too long");
				break;
			}
			snprintf(query, sizeof query, "continuation-token=%s&"
			    "list-type=2&prefix=%s", tenc, penc);
		} else {
			snprintf(query, sizeof query, "list-type=2&prefix=%s",
			    penc);
		}
		memset(lp, 0, sizeof *lp);
		s3list_init(&lp->l);
		lp->fn = fn;
		lp->ctx = ctx;
		lp->skip = s->cfg.prefix[0] ? strlen(s->cfg.prefix) + 1 : 0;
		memset(&q, 0, sizeof q);
		q.method = "GET";
		q.key = "";
		q.query = query;
		memset(&rs, 0, sizeof rs);
		e = request_checked(s, &q, NULL, list_body, lp, &rs, ec);
		fetch_resp_free(&rs);
		if (e == 0 && lp->err == 0 && s3list_end(&lp->l) != 0)
			lp->err = ERR_S3_LIST;
		if (lp->err == ERR_S3_LIST)
			e = err_set(ec, ERR_S3_LIST, "%s", lp->l.detail);
		else if (e == 0 && lp->err != 0)
			e = lp->err;
		if (e != 0 || !lp->l.truncated)
			break;
		if (lp->l.token[0] == '\0' || strcmp(lp->l.token, tok) == 0) {
			e = err_set(ec, ERR_S3_LIST, "truncated list without a "
			    "new continuation token");
			break;
		}
		memcpy(tok, lp->l.token, sizeof tok);
	}
	free(lp);
	return e;
}

/* see s3.h */
int
s3_config_env(struct s3_config *c, const char *dest, struct err_ctx *ec)
{
	return config_env(c, dest, NULL, ec);
}

/* see s3.h */
int
s3_probe(struct s3_client *s, const char *key, fetch_body_fn fn, void *ctx,
    struct err_ctx *ec)
{
	struct fetch_resp rs;
	struct s3xml_error x;
	struct req q;
	int e;

	memset(&q, 0, sizeof q);
	q.method = "GET";
	q.key = key;
	memset(&rs, 0, sizeof rs);
	e = request(s, &q, &rs, fn, ctx, ec);
	if (e == 0 && (rs.status < 200 || rs.status >= 300)) {
		memset(&x, 0, sizeof x);
		if (rs.errbody.len > 0)
			s3xml_parse(rs.errbody.p, rs.errbody.len, &x);
		/* only a missing key is fine: a 404 for the bucket is not */
		if (!(rs.status == 404 && strcmp(x.code, "NoSuchKey") == 0))
			e = answer_error(&rs, ec);
	}
	fetch_resp_free(&rs);
	return e;
}

/* ------------------------------------------------------------ one object */

/* see s3.h */
int
s3_config_flags(struct s3_config *c, const char *dest, const char *endpoint,
    const char *region, struct err_ctx *ec)
{
	/* the region first, so that the AWS endpoint derived from it (when
	 * no variable names one) is the flag's region's */
	int e = config_env(c, dest, region, ec);

	if (e == 0 && endpoint != NULL)
		snprintf(c->endpoint, sizeof c->endpoint, "%s", endpoint);
	return e;
}

/* see s3.h */
int
s3_object_config(struct s3_config *cfg, const char *url, const char *endpoint,
    const char *region, const char **key, struct err_ctx *ec)
{
	const char *sl = strrchr(url, '/');
	char dest[sizeof cfg->prefix + 80];
	int e;

	if (strncmp(url, "s3://", 5) != 0 || sl == NULL || sl < url + 5 ||
	    sl[1] == '\0' || (size_t)(sl - url) >= sizeof dest) {
		err_field(ec->source, sizeof ec->source, url, strlen(url));
		return err_set(ec, ERR_USAGE, "not an s3://BUCKET/KEY object");
	}
	if (strpbrk(url, "?#") != NULL) {
		err_field(ec->source, sizeof ec->source, url, strlen(url));
		return err_set(ec, ERR_USAGE, "an s3:// destination has no "
		    "query or fragment ('?' or '#')");
	}
	memcpy(dest, url, (size_t)(sl - url));
	dest[sl - url] = '\0';
	*key = sl + 1;
	e = s3_config_flags(cfg, dest, endpoint, region, ec);
	err_field(ec->source, sizeof ec->source, url, strlen(url));
	return e;
}

static int
object_open(struct s3_client *s, const char *url, const char *endpoint,
    const char *region, const struct fetch_opts *fo, const char **key,
    struct err_ctx *ec)
{
	struct s3_config *cfg = malloc(sizeof *cfg);
	int e;

	if (cfg == NULL)
		return err_set(ec, ERR_NOMEM, NULL);
	e = s3_object_config(cfg, url, endpoint, region, key, ec);
	if (e == 0 && (e = s3_init(s, cfg, fo)) != 0)
		err_set(ec, e, NULL);
	s3_config_wipe(cfg);
	free(cfg);
	return e;
}

/* see s3.h */
int
s3_object_put(const char *url, const char *endpoint, const char *region,
    const struct fetch_opts *fo, const uint8_t *body, size_t len,
    const char *content_type, struct err_ctx *ec)
{
	struct s3_client *s = malloc(sizeof *s);
	const char *key;
	int e;

	if (s == NULL)
		return err_set(ec, ERR_NOMEM, NULL);
	if ((e = object_open(s, url, endpoint, region, fo, &key, ec)) == 0) {
		e = s3_put(s, key, body, len, content_type, NULL, 0, ec);
		err_field(ec->source, sizeof ec->source, url, strlen(url));
		s3_free(s);
	}
	free(s);
	return e;
}

static int
get_into_buf(void *ctx, const uint8_t *p, size_t n)
{
	return buf_append(ctx, p, n);
}

/* see s3.h */
int
s3_object_get(const char *url, const char *endpoint, const char *region,
    const struct fetch_opts *fo, struct buf *b, struct err_ctx *ec)
{
	struct s3_client *s = malloc(sizeof *s);
	const char *key;
	int e, found = 1;

	if (s == NULL)
		return err_set(ec, ERR_NOMEM, NULL);
	if ((e = object_open(s, url, endpoint, region, fo, &key, ec)) == 0) {
		e = s3_get(s, key, &found, get_into_buf, b, ec);
		if (e == 0 && !found)
			e = err_set(ec, ERR_NOENT, NULL);
		/* name what the user named, not the request's URL */
		err_field(ec->source, sizeof ec->source, url, strlen(url));
		s3_free(s);
	}
	free(s);
	return e;
}
