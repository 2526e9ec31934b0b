/*
 * err.h - the one list of error codes, and the one place that names them.
 *
 * Errors are values: functions return an int code (0 = ERR_OK) and fill their outputs
 * through pointers. Each code has a fixed message and a class: permanent (bad input,
 * 4xx, verification failure: retrying cannot help) or retryable (timeouts, resets,
 * 5xx, throttling). Detail about *where* it happened (source, entry path, offset) goes
 * into a struct err_ctx at the failure point and is formatted by err_format() as one
 * line, input first and cause last:
 *     python.tar.gz: entry "Lib/x.py": tar header checksum mismatch at offset 1536
 *
 * The list is an X-macro (as musl's __strerror.h) so the enum and the message table
 * cannot drift apart.
 */
#ifndef ERR_H
#define ERR_H

#include <stddef.h>
#include <stdint.h>

#define ERR_PERM  0
#define ERR_RETRY 1

/* X(name, class, message) */
#define ERR_LIST(X) \
	X(ERR_OK,            ERR_PERM,  "success") \
	X(ERR_NOMEM,         ERR_PERM,  "out of memory") \
	X(ERR_IO,            ERR_PERM,  "I/O error") \
	X(ERR_USAGE,         ERR_PERM,  "invalid setting") \
	X(ERR_NOENT,         ERR_PERM,  "no such file or directory") \
	X(ERR_UNSUPPORTED,   ERR_PERM,  "unsupported input") \
	X(ERR_LIMIT,         ERR_PERM,  "limit exceeded") \
	X(ERR_CANCELLED,     ERR_PERM,  "cancelled") \
	X(ERR_JSON,          ERR_PERM,  "malformed JSON (or not the expected shape)") \
	/* gzip stage */ \
	X(ERR_GZ_MAGIC,      ERR_PERM,  "not gzip data (bad magic)") \
	X(ERR_GZ_HEADER,     ERR_PERM,  "malformed gzip header") \
	X(ERR_GZ_DATA,       ERR_PERM,  "corrupt deflate data") \
	X(ERR_GZ_CRC,        ERR_PERM,  "gzip trailer CRC mismatch") \
	X(ERR_GZ_SIZE,       ERR_PERM,  "gzip trailer size mismatch") \
	X(ERR_GZ_TRUNCATED,  ERR_PERM,  "truncated gzip stream") \
	X(ERR_GZ_RATIO,      ERR_PERM,  "gzip expansion ratio too high (gzip bomb?)") \
	X(ERR_GZ_TOO_BIG,    ERR_PERM,  "decompressed size over the limit") \
	/* tar reader */ \
	X(ERR_TAR_CHECKSUM,  ERR_PERM,  "tar header checksum mismatch") \
	X(ERR_TAR_HEADER,    ERR_PERM,  "malformed tar header") \
	X(ERR_TAR_NUMBER,    ERR_PERM,  "malformed number in tar header") \
	X(ERR_TAR_PAX,       ERR_PERM,  "malformed pax extended header") \
	X(ERR_TAR_PAX_SIZE,  ERR_PERM,  "pax/long-name header over the size limit") \
	X(ERR_TAR_PATH,      ERR_PERM,  "unsafe path in archive (absolute or ..)") \
	X(ERR_TAR_PATH_LEN,  ERR_PERM,  "path in archive too long") \
	X(ERR_TAR_TOP,       ERR_PERM,  "entry outside the top directory that --strip-components 1 removes") \
	X(ERR_TAR_ENTRIES,   ERR_PERM,  "too many entries in archive") \
	X(ERR_TAR_TRUNCATED, ERR_PERM,  "truncated tar archive") \
	X(ERR_TAR_NO_END,    ERR_PERM,  "truncated tar archive: the end-of-archive marker (two zero blocks) is missing") \
	X(ERR_TAR_SIZE,      ERR_PERM,  "archive larger than the limit") \
	/* ignore patterns */ \
	X(ERR_PATTERN,       ERR_PERM,  "invalid pattern") \
	X(ERR_PATTERN_COUNT, ERR_PERM,  "too many ignore patterns") \
	/* digest */ \
	X(ERR_DIGEST_DEPTH,  ERR_PERM,  "path nesting too deep") \
	X(ERR_DIGEST_MEM,    ERR_PERM,  "digest memory budget exceeded") \
	X(ERR_DIGEST_EVICTED, ERR_PERM, "a late archive entry (an ignore file after the files it names, or a path given twice) changed which files are kept after bodies that could no longer be printed were let go; exclude it with -e") \
	X(ERR_OUTPUT,        ERR_PERM,  "cannot write output") \
	/* sigv4 and s3 */ \
	X(ERR_SIGV4_DATE,    ERR_PERM,  "malformed x-amz-date (want YYYYMMDDTHHMMSSZ)") \
	X(ERR_SIGV4_CRED,    ERR_PERM,  "malformed credentials (access key, secret, region or service)") \
	X(ERR_SIGV4_METHOD,  ERR_PERM,  "malformed HTTP method") \
	X(ERR_SIGV4_PATH,    ERR_PERM,  "request path does not start with '/'") \
	X(ERR_SIGV4_QUERY,   ERR_PERM,  "malformed query string (raw '+', bad %-escape or control byte)") \
	X(ERR_SIGV4_HEADER_NAME, ERR_PERM, "malformed header name") \
	X(ERR_SIGV4_HEADER_VALUE, ERR_PERM, "control byte in header value") \
	X(ERR_SIGV4_HEADER_CONFLICT, ERR_PERM, "header differs from the signing date, payload hash or session token") \
	X(ERR_SIGV4_NO_HOST, ERR_PERM,  "no Host header to sign") \
	X(ERR_SIGV4_PAYLOAD_HASH, ERR_PERM, "payload hash is neither 64 lower-case hex digits nor UNSIGNED-PAYLOAD") \
	X(ERR_SIGV4_TOO_MANY, ERR_PERM, "too many headers or query parameters to sign") \
	X(ERR_SIGV4_OVERFLOW, ERR_PERM, "signing output does not fit its buffer") \
	X(ERR_S3_XML,        ERR_PERM,  "malformed S3 error body") \
	X(ERR_S3_XML_EMPTY,  ERR_PERM,  "S3 error response has no body") \
	X(ERR_S3_XML_NOT_ERROR, ERR_PERM, "S3 response body is not an <Error> document") \
	X(ERR_S3_XML_TRUNCATED, ERR_PERM, "truncated S3 error body") \
	X(ERR_S3_XML_DEPTH,  ERR_PERM,  "S3 error body nested too deeply") \
	X(ERR_S3_XML_ENTITY, ERR_PERM,  "invalid entity or character reference in S3 error body") \
	X(ERR_S3_XML_SIZE,   ERR_PERM,  "S3 error body over the size limit") \
	/* http and url */ \
	X(ERR_HTTP_REQUEST_SIZE, ERR_PERM, "HTTP request head does not fit the buffer") \
	X(ERR_HTTP_REQUEST_FIELD, ERR_PERM, "bad byte (CR, LF, NUL, control) or reserved name in an HTTP request field") \
	X(ERR_HTTP_STATUS_LINE, ERR_PERM, "malformed HTTP status line") \
	X(ERR_HTTP_VERSION,  ERR_PERM,  "unsupported HTTP version") \
	X(ERR_HTTP_HEADER,   ERR_PERM,  "malformed HTTP header line") \
	X(ERR_HTTP_HEADER_SIZE, ERR_PERM, "HTTP header section over the size limit") \
	X(ERR_HTTP_HEADER_COUNT, ERR_PERM, "too many HTTP header fields") \
	X(ERR_HTTP_FOLDING,  ERR_PERM,  "obsolete HTTP header line folding") \
	X(ERR_HTTP_CONTENT_LENGTH, ERR_PERM, "invalid or conflicting Content-Length") \
	X(ERR_HTTP_TRANSFER_ENCODING, ERR_PERM, "unsupported Transfer-Encoding") \
	X(ERR_HTTP_CHUNK,    ERR_PERM,  "malformed chunked encoding") \
	X(ERR_HTTP_CHUNK_SIZE, ERR_PERM, "chunk size overflows") \
	X(ERR_HTTP_TRAILER_SIZE, ERR_PERM, "chunked trailer section over the size limit") \
	X(ERR_HTTP_TRUNCATED, ERR_RETRY, "truncated body") \
	X(ERR_HTTP_TRUNCATED_HEAD, ERR_RETRY, "connection closed inside the HTTP response head") \
	X(ERR_HTTP_NO_RESPONSE, ERR_RETRY, "connection closed before any response") \
	X(ERR_HTTP_TIMEOUT,  ERR_RETRY, "HTTP request timed out") \
	X(ERR_HTTP_RESET,    ERR_RETRY, "connection reset") \
	X(ERR_HTTP_LOCATION, ERR_PERM,  "redirect without a usable Location") \
	X(ERR_HTTP_REDIRECTS, ERR_PERM, "too many redirects") \
	X(ERR_HTTP_REDIRECT_SCHEME, ERR_PERM, "redirect to a non-https URL refused") \
	X(ERR_HTTP_NOT_FOUND, ERR_PERM, "HTTP 404 not found") \
	X(ERR_HTTP_CLIENT,   ERR_PERM,  "HTTP client error status (4xx)") \
	X(ERR_HTTP_THROTTLED, ERR_RETRY, "HTTP request throttled (408/429)") \
	X(ERR_HTTP_SERVER,   ERR_RETRY, "HTTP server error status (5xx)") \
	X(ERR_HTTP_STATUS,   ERR_PERM,  "unexpected HTTP status") \
	X(ERR_URL_SYNTAX,    ERR_PERM,  "malformed URL") \
	X(ERR_URL_TOO_LONG,  ERR_PERM,  "URL too long") \
	X(ERR_URL_SCHEME,    ERR_PERM,  "unsupported URL scheme") \
	X(ERR_URL_USERINFO,  ERR_PERM,  "credentials in URLs are not allowed") \
	X(ERR_URL_HOST,      ERR_PERM,  "invalid host in URL") \
	X(ERR_URL_PORT,      ERR_PERM,  "invalid port in URL") \
	X(ERR_URL_ESCAPE,    ERR_PERM,  "invalid percent-escape in URL") \
	X(ERR_URL_SOURCE,    ERR_PERM,  "not a GitHub repository source") \
	X(ERR_URL_OWNER,     ERR_PERM,  "invalid GitHub owner name") \
	X(ERR_URL_REPO,      ERR_PERM,  "invalid GitHub repository name") \
	X(ERR_URL_REF,       ERR_PERM,  "invalid git ref") \
	X(ERR_URL_TEMPLATE,  ERR_PERM,  "bad archive URL template") \
	/* net and tls */ \
	X(ERR_NET_RESOLVE_SPEC, ERR_PERM, "malformed --resolve entry (want HOST:PORT:ADDR)") \
	X(ERR_NET_DNS_NONAME, ERR_PERM, "host name not found") \
	X(ERR_NET_DNS,       ERR_RETRY, "name resolution failed") \
	X(ERR_NET_REFUSED,   ERR_RETRY, "connection refused") \
	X(ERR_NET_UNREACHABLE, ERR_RETRY, "network or host unreachable") \
	X(ERR_NET_CONNECT_TIMEOUT, ERR_RETRY, "connect timed out") \
	X(ERR_NET_READ_TIMEOUT, ERR_RETRY, "read timed out") \
	X(ERR_NET_WRITE_TIMEOUT, ERR_RETRY, "write timed out") \
	X(ERR_NET_RESET,     ERR_RETRY, "connection reset by peer") \
	X(ERR_NET_CLOSED,    ERR_RETRY, "connection closed by peer") \
	X(ERR_TLS_UNTRUSTED, ERR_PERM,  "TLS: server certificate is untrusted (unknown CA)") \
	X(ERR_TLS_NAME,      ERR_PERM,  "TLS: server certificate does not match the host name") \
	X(ERR_TLS_EXPIRED,   ERR_PERM,  "TLS: server certificate expired or not yet valid") \
	X(ERR_TLS_NOT_CA,    ERR_PERM,  "TLS: server certificate's issuer is not a CA") \
	X(ERR_TLS_CERT,      ERR_PERM,  "TLS: invalid server certificate") \
	X(ERR_TLS_VERSION,   ERR_PERM,  "TLS: server does not support TLS 1.2 (unsupported protocol version)") \
	X(ERR_TLS_HANDSHAKE, ERR_PERM,  "TLS: handshake failed") \
	X(ERR_TLS_ALERT,     ERR_PERM,  "TLS: server sent a fatal alert") \
	X(ERR_TLS_PROTOCOL,  ERR_RETRY, "TLS: protocol error") \
	X(ERR_TLS_TRUNCATED, ERR_RETRY, "TLS: connection closed without close_notify (truncated)") \
	X(ERR_TLS_CLOSED,    ERR_RETRY, "TLS: session already closed") \
	X(ERR_TLS_CA_PEM,    ERR_PERM,  "malformed PEM in CA file") \
	X(ERR_TLS_CA_CERT,   ERR_PERM,  "CA certificate cannot be decoded") \
	X(ERR_TLS_CA_NONE,   ERR_PERM,  "no certificates in CA file") \
	X(ERR_TLS_CA_LIMIT,  ERR_PERM,  "too many CA certificates") \
	/* proxies (HTTPS_PROXY, HTTP_PROXY) */ \
	X(ERR_PROXY_URL,     ERR_PERM,  "malformed proxy URL (want http://HOST[:PORT], optionally USER:PASS@HOST)") \
	X(ERR_PROXY_SCHEME,  ERR_PERM,  "unsupported proxy scheme (http:// only)") \
	X(ERR_PROXY_AUTH,    ERR_PERM,  "proxy authentication required or refused") \
	X(ERR_PROXY_DENIED,  ERR_PERM,  "proxy refused the tunnel") \
	X(ERR_PROXY_UPSTREAM, ERR_RETRY, "proxy could not reach the server") \
	X(ERR_PROXY_CLOSED,  ERR_RETRY, "proxy closed the connection") \
	X(ERR_PROXY_PROTOCOL, ERR_PERM, "proxy sent data after its CONNECT answer") \
	/* s3 requests */ \
	X(ERR_S3_ERROR,      ERR_PERM,  "S3 request refused") \
	X(ERR_S3_RETRYABLE,  ERR_RETRY, "S3 request failed (retryable)") \
	X(ERR_S3_META,       ERR_PERM,  "S3 metadata refused before sending") \
	/* the job table (src/queue) */ \
	X(ERR_DB,            ERR_PERM,  "database error") \
	X(ERR_DB_BUSY,       ERR_RETRY, "database busy (another connection holds its write lock)") \
	X(ERR_DB_FULL,       ERR_PERM,  "database or disk is full") \
	X(ERR_DB_LOCKED,     ERR_PERM,  "database in use by another repodigest process") \
	X(ERR_DB_NOT_OURS,   ERR_PERM,  "not a repodigest job table") \
	X(ERR_DB_NEWER,      ERR_PERM,  "job table made by a newer repodigest (unknown schema version)") \
	X(ERR_DB_CORRUPT,    ERR_PERM,  "database is corrupt") \
	X(ERR_QUEUE_NOT_FOUND, ERR_PERM, "no such job") \
	X(ERR_QUEUE_STATE,   ERR_PERM,  "job is not in a state that allows this") \
	/* feed, shard and run reports */ \
	X(ERR_FEED_JSON,     ERR_PERM,  "feed is not valid JSON") \
	X(ERR_FEED_NOT_ARRAY, ERR_PERM, "feed is not a JSON array of records") \
	X(ERR_FEED_TOO_BIG,  ERR_PERM,  "feed over the size or record-count limit") \
	X(ERR_SHARD_SPEC,    ERR_PERM,  "invalid shard (want I/N, 0 <= I < N)") \
	X(ERR_SHARD_BATCH,   ERR_PERM,  "invalid --batch-size/--offset (want N >= 1, 0 <= K < N)") \
	X(ERR_SHARD_CONFLICT, ERR_PERM, "--shard and --batch-size/--offset cannot be combined") \
	X(ERR_SHARD_ENV,     ERR_PERM,  "invalid shard setting in the environment") \
	X(ERR_REPORT_JSON,   ERR_PERM,  "run report is not valid JSON") \
	X(ERR_REPORT_SHAPE,  ERR_PERM,  "not a repodigest run report") \
	/* search: stored chunks read back, the index */ \
	X(ERR_CHUNKS_JSON,   ERR_PERM,  "not a chunk line (malformed JSON)") \
	X(ERR_CHUNKS_FIELD,  ERR_PERM,  "chunk line with a missing or malformed field") \
	X(ERR_CHUNKS_LINE,   ERR_PERM,  "chunk line over the size limit") \
	X(ERR_INDEX,         ERR_PERM,  "search index error") \
	X(ERR_INDEX_BUSY,    ERR_RETRY, "search index busy (another writer)") \
	X(ERR_INDEX_SCHEMA,  ERR_PERM,  "not a search index of this version") \
	X(ERR_S3_LIST,       ERR_PERM,  "malformed S3 list response") \
	/* the service: requests, WebSocket, webhooks, request bodies */ \
	X(ERR_REQ_LINE,      ERR_PERM,  "malformed HTTP request line") \
	X(ERR_REQ_TARGET,    ERR_PERM,  "HTTP request target too long") \
	X(ERR_REQ_HEAD_SIZE, ERR_PERM,  "HTTP request header section too large") \
	X(ERR_REQ_FRAMING,   ERR_PERM,  "HTTP request framing is ambiguous (Content-Length with Transfer-Encoding, or a coding that does not end in chunked)") \
	X(ERR_REQ_HOST,      ERR_PERM,  "HTTP/1.1 request without exactly one Host field") \
	X(ERR_REQ_EXPECT,    ERR_PERM,  "unsupported Expect field (only 100-continue)") \
	X(ERR_REQ_BODY_SIZE, ERR_PERM,  "HTTP request body over the size limit") \
	X(ERR_WS_HANDSHAKE,  ERR_PERM,  "malformed WebSocket handshake") \
	X(ERR_WS_VERSION,    ERR_PERM,  "unsupported WebSocket version (want 13)") \
	X(ERR_WS_UNMASKED,   ERR_PERM,  "WebSocket client frame not masked") \
	X(ERR_WS_RESERVED,   ERR_PERM,  "WebSocket frame with a reserved bit or opcode") \
	X(ERR_WS_CONTROL,    ERR_PERM,  "WebSocket control frame fragmented or over 125 bytes") \
	X(ERR_WS_SEQUENCE,   ERR_PERM,  "WebSocket continuation frame outside a message, or a new message inside one") \
	X(ERR_WS_LENGTH,     ERR_PERM,  "WebSocket frame length not in its shortest form or over 2^63") \
	X(ERR_WS_UTF8,       ERR_PERM,  "WebSocket text is not valid UTF-8") \
	X(ERR_WS_TOO_BIG,    ERR_PERM,  "WebSocket message over the size limit") \
	X(ERR_WS_CLOSE,      ERR_PERM,  "WebSocket close frame with a bad length or code") \
	X(ERR_HOOK_NO_SIGNATURE, ERR_PERM, "webhook without an X-Hub-Signature-256 \"sha256=\" signature") \
	X(ERR_HOOK_SIGNATURE, ERR_PERM, "webhook signature does not match") \
	X(ERR_HOOK_PAYLOAD,  ERR_PERM,  "malformed webhook payload") \
	X(ERR_AUTH,          ERR_PERM,  "missing or wrong API token") \
	X(ERR_BODY_JSON,     ERR_PERM,  "request body is not a JSON object") \
	X(ERR_BODY_FIELD,    ERR_PERM,  "invalid field in request body")

enum err_code {
#define ERR_ENUM(name, cls, msg) name,
	ERR_LIST(ERR_ENUM)
#undef ERR_ENUM
	ERR__COUNT
};

/*
 * Where an error happened. Filled at the failure point (fixed size: no allocation on
 * the error path), formatted only by err_format(). Strings here may come from hostile
 * input: err_format() escapes them.
 */
struct err_ctx {
	int code;               /* enum err_code */
	char source[256];       /* the input: file name, URL (never with credentials) */
	char entry[256];        /* entry inside the input (archive path), or "" */
	uint64_t offset;        /* byte offset in the input stream, if has_offset */
	int has_offset;
	int sys_errno;          /* errno for ERR_IO/ERR_NOENT, else 0 */
	uint64_t retry_after;   /* seconds the server asked us to wait, or 0 */
	char detail[160];       /* free text, e.g. "limit 10485760 bytes" */
};

/* Message for a code; never NULL ("unknown error" for out-of-range codes). */
const char *err_str(int code);

/*
 * What BearSSL's X.509 status br means, in words, for the detail of a TLS
 * certificate error ("a signature in the chain does not verify"); NULL outside
 * its range. The numbers are BearSSL's BR_ERR_X509_* (32 to 63,
 * bearssl_x509.h), part of its API; tests/unit/test_tls.c checks the words
 * against those names, so base/ needs no BearSSL header.
 */
const char *err_x509_str(int br);

/* 1 if retrying the operation may succeed (timeouts, throttling, 5xx), else 0. */
int err_retryable(int code);

/* Reset ctx and record code plus an optional printf-style detail. Returns code. */
int err_set(struct err_ctx *ctx, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Copy an untrusted (ptr, len) string into a fixed field, NUL-terminated, truncated. */
void err_field(char *dst, size_t cap, const void *src, size_t len);

/*
 * One line, no trailing newline, into out (always NUL-terminated):
 *   SOURCE: entry "ENTRY": MESSAGE at offset N (DETAIL): strerror
 * Parts that are empty are left out. Non-printable bytes are escaped as \xNN.
 */
void err_format(const struct err_ctx *ctx, char *out, size_t cap);

#endif
