/*
 * sigv4.h - AWS Signature Version 4, Authorization-header form, S3 rules.
 *
 * Pure functions: no I/O, no allocation, no logging. Inputs are (ptr, len)
 * slices; outputs go to caller buffers with explicit caps, always
 * NUL-terminated when cap > 0, and ERR_SIGV4_OVERFLOW when they do not fit.
 * SHA-256 and HMAC come from BearSSL; derived keys are wiped after use.
 *
 * S3 rules (AWS's SigV4 documentation for S3): the path is encoded once,
 * segment by segment, and never normalised ("//", ".", ".." stay); the query is
 * decoded and re-encoded, sorted by name then value; header names are
 * lower-cased, values trimmed with runs of spaces collapsed, repeated headers
 * joined with ',' in the order given.
 *
 * Typical S3 use: build the request-line path with sigv4_uri_encode(raw path,
 * keep '/'), the query with sigv4_canonical_query(), sign with sigv4_sign(),
 * then send the caller's headers, the ones sigv4_added_headers() lists
 * (x-amz-date, x-amz-content-sha256, x-amz-security-token) and Authorization.
 * Never log the Authorization value, the secret or the session token.
 */
#ifndef SIGV4_H
#define SIGV4_H

#include <stddef.h>
#include <time.h>

#define SIGV4_DATE_LEN    16    /* YYYYMMDDTHHMMSSZ */
#define SIGV4_HEX_LEN     64    /* hex SHA-256 / signature */
/* Budgets: an S3 request signs host, content-type, 3 x-amz-* and a few
 * x-amz-meta-*; ListObjectsV2 has 7 query parameters. 64 is ample and keeps
 * the sort scratch on the stack at about 2 KiB. */
#define SIGV4_MAX_HEADERS 64    /* caller headers per request */
#define SIGV4_MAX_PARAMS  64    /* query parameters per request */
#define SIGV4_ADDED_MAX   3     /* headers sigv4 may add (see below) */
/* "AWS4" + secret is the first HMAC key and lives on the stack; AWS secrets
 * are 40 bytes, R2's 64. Region and service are at most 64 bytes each. */
#define SIGV4_SECRET_MAX  128
#define SIGV4_SCOPE_PART_MAX 64
/* Enough for an Authorization value signing SIGV4_MAX_HEADERS + 3 headers
 * whose names are up to 64 bytes (4,355) plus the fixed parts with the
 * longest key id, region and service (about 330); a real S3 one is under
 * 400 bytes. */
#define SIGV4_AUTH_MAX    4864

#define SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
/* hex SHA-256 of zero bytes: the payload hash of GET, HEAD and DELETE */
#define SIGV4_EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* Do not add x-amz-content-sha256 (non-S3 services, the generic vectors).
 * S3 requires the header, so the default (flags 0) adds it. */
#define SIGV4_F_NO_CONTENT_SHA256 0x1u

struct sigv4_slice {
	const char *p;
	size_t n;
};

struct sigv4_header {
	struct sigv4_slice name;        /* any case; HTTP token characters */
	struct sigv4_slice value;       /* no control bytes (CR, LF, TAB...) */
};

struct sigv4_req {
	struct sigv4_slice method;      /* "GET", "PUT", ... (A-Z only) */
	struct sigv4_slice path;        /* raw, NOT encoded: "/bucket/a b+c" */
	struct sigv4_slice query;       /* wire form without '?'; may be "" */
	const struct sigv4_header *headers;     /* must include Host */
	size_t nheaders;                /* <= SIGV4_MAX_HEADERS */
	const char *payload_hash;       /* 64 lower hex or UNSIGNED-PAYLOAD */
	unsigned flags;                 /* SIGV4_F_* */
};

/* NUL-terminated strings. session_token NULL or "" = none; otherwise it
 * is sent as x-amz-security-token and signed (S3 requires that). */
struct sigv4_cred {
	const char *access_key;         /* no '/', ',', space or control byte */
	const char *secret;             /* 1..SIGV4_SECRET_MAX bytes */
	const char *session_token;
	const char *region;             /* "auto" for R2, "us-east-1", ... */
	const char *service;            /* "s3" */
};

/*
 * UriEncode src (any bytes): everything except A-Z a-z 0-9 - . _ ~ becomes
 * %XX (upper-case hex); '/' is kept when keep_slash (paths), encoded otherwise
 * (query names and values). Use it for the request-line path so that the
 * bytes sent and the bytes signed are the same. *outlen (may be NULL) gets
 * the length without the NUL. 0 or ERR_SIGV4_OVERFLOW (out holds a
 * NUL-terminated prefix).
 */
int sigv4_uri_encode(const void *src, size_t n, int keep_slash, char *out,
    size_t cap, size_t *outlen);

/*
 * The canonical query string of q (wire form, '&'-separated, without '?'):
 * each name and value %-decoded then UriEncoded, sorted by name then value,
 * "name=value" joined by '&'; a parameter without '=' becomes "name=". Empty
 * parameters ("a=1&&b=2") are dropped. Send this string as the query. q may
 * hold raw UTF-8 and other bytes that are encoded here, but not a raw '+'
 * (space or plus? S3 and we would disagree), '#', space, control bytes or a
 * '%' not followed by two hex digits: those give ERR_SIGV4_QUERY. Also
 * ERR_SIGV4_TOO_MANY, ERR_SIGV4_OVERFLOW.
 */
int sigv4_canonical_query(const char *q, size_t n, char *out, size_t cap,
    size_t *outlen);

/* out = lower-case hex SHA-256 of the body (p may be NULL when n == 0). */
void sigv4_payload_hash(const void *p, size_t n,
    char out[SIGV4_HEX_LEN + 1]);

/* out = t as YYYYMMDDTHHMMSSZ (UTC). 0, or ERR_SIGV4_DATE if the year is
 * outside 0000..9999. */
int sigv4_amz_date(time_t t, char out[SIGV4_DATE_LEN + 1]);

/*
 * The headers that signing adds to req and that the caller must send too,
 * in this order, each only when req->headers lacks it (any case):
 *   x-amz-date: amz_date
 *   x-amz-content-sha256: req->payload_hash
 *                         (unless SIGV4_F_NO_CONTENT_SHA256)
 *   x-amz-security-token: cred->session_token (if set)
 * Values point into amz_date, req and cred (not copied). Sets *n (0..3).
 * Headers already in req must equal these values, or ERR_SIGV4_HEADER_CONFLICT.
 */
int sigv4_added_headers(const struct sigv4_req *req,
    const struct sigv4_cred *cred, const char *amz_date,
    struct sigv4_header out[SIGV4_ADDED_MAX], size_t *n);

/*
 * The canonical request (method, canonical URI, canonical query, canonical
 * headers including the added ones, signed header list, payload hash; LF
 * separated, no trailing LF) into out. For tests and debugging: it holds the
 * session token, so never log it. amz_date is YYYYMMDDTHHMMSSZ. Errors:
 * every ERR_SIGV4_* input check, ERR_SIGV4_OVERFLOW.
 */
int sigv4_canonical_request(const struct sigv4_req *req,
    const struct sigv4_cred *cred, const char *amz_date, char *out, size_t cap,
    size_t *outlen);

/*
 * The string to sign for a canonical request (creq, creq_len):
 * "AWS4-HMAC-SHA256\n" amz_date "\n" yyyymmdd/region/service/aws4_request
 * "\n" hex(SHA-256(creq)). Errors: ERR_SIGV4_DATE, ERR_SIGV4_CRED,
 * ERR_SIGV4_OVERFLOW.
 */
int sigv4_string_to_sign(const struct sigv4_cred *cred, const char *amz_date,
    const char *creq, size_t creq_len, char *out, size_t cap, size_t *outlen);

/*
 * out = lower-case hex HMAC(kSigning, sts) where kSigning is derived from
 * "AWS4"+secret, the date of amz_date, region, service and "aws4_request".
 * Usable for presigned URLs too. Errors: ERR_SIGV4_DATE, ERR_SIGV4_CRED.
 */
int sigv4_signature(const struct sigv4_cred *cred, const char *amz_date,
    const char *sts, size_t sts_len, char out[SIGV4_HEX_LEN + 1]);

/*
 * The Authorization header value into auth_out:
 *   AWS4-HMAC-SHA256 Credential=AKID/yyyymmdd/region/service/aws4_request,
 *   SignedHeaders=a;b;c, Signature=<64 hex>
 * (one line, ", " between the parts). SIGV4_AUTH_MAX is enough unless
 * header names are longer than 64 bytes. The canonical request is hashed
 * as it is produced, never stored, so its size has no cap. Errors: as
 * sigv4_canonical_request(); auth_out is "" on any error.
 */
int sigv4_sign(const struct sigv4_req *req, const struct sigv4_cred *cred,
    const char *amz_date, char *auth_out, size_t cap);

#endif
