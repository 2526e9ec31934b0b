/*
 * s3xml.h - a bounded reader for S3 error bodies, and what to do about them.
 *
 * AWS S3, Cloudflare R2 and Ceph radosgw answer a failed request with
 *   <?xml ...?><Error><Code>SignatureDoesNotMatch</Code><Message>...</Message>
 *   <RequestId>...</RequestId>...</Error>
 * (HEAD responses carry no body at all). s3xml_parse() pulls Code, Message,
 * RequestId and ServerTime (sent with RequestTimeTooSkewed) out of such a
 * body: one pass over an untrusted (ptr, len) slice, no allocation, no
 * recursion (an explicit stack of at most S3XML_MAX_DEPTH elements), fields
 * cut to fixed sizes at a UTF-8 boundary. Everything else in the body
 * (StringToSign, CanonicalRequest, HostId, ...) is skipped, never copied:
 * S3 echoes signed header values there, including the session token.
 *
 * The fields are raw text from the server: print them only through
 * s3xml_format(), which escapes control bytes.
 */
#ifndef S3XML_H
#define S3XML_H

#include <stddef.h>
#include <stdint.h>

/* Field sizes including the NUL. S3 codes are under 40 bytes; messages
 * under 200; AWS request ids are 16 bytes, radosgw's about 60. */
#define S3XML_CODE_MAX    64
#define S3XML_MESSAGE_MAX 256
#define S3XML_REQID_MAX   128
#define S3XML_TIME_MAX    40
/* Real bodies nest 2 deep; 16 leaves room and bounds the name stack. */
#define S3XML_MAX_DEPTH   16
/* A SignatureDoesNotMatch body with a large canonical request is ~30 KiB;
 * anything over 1 MiB is not an S3 error document. */
#define S3XML_MAX_BODY    (1u << 20)

/* bits of s3xml_error.truncated */
#define S3XML_T_CODE      0x1u
#define S3XML_T_MESSAGE   0x2u
#define S3XML_T_REQID     0x4u
#define S3XML_T_TIME      0x8u

struct s3xml_error {
	char code[S3XML_CODE_MAX];              /* "SlowDown", or "" */
	char message[S3XML_MESSAGE_MAX];        /* entities decoded */
	char request_id[S3XML_REQID_MAX];
	char server_time[S3XML_TIME_MAX];       /* "2024-01-01T00:00:00Z", "" */
	unsigned truncated;                     /* S3XML_T_* of cut fields */
};

/*
 * Parse body (p, n) into *e. Every field is always NUL-terminated (set to ""
 * first); on error the fields hold what was read before it, so a body cut
 * short after <Code> still names the code. Leading/trailing white space of
 * each field is dropped; entities &amp; &lt; &gt; &quot; &apos; &#N; &#xH;
 * are decoded and CDATA sections taken as text. Only the direct children of
 * <Error> are read; the first of each name wins.
 * Returns 0 or:
 *   ERR_S3_XML_EMPTY      n == 0 or white space only (HEAD, some 5xx)
 *   ERR_S3_XML_NOT_ERROR  well-formed start but the root is not <Error>
 *                         (an HTML page from a proxy, a ListBucketResult...)
 *   ERR_S3_XML_TRUNCATED  input ended inside the document
 *   ERR_S3_XML_DEPTH      nested deeper than S3XML_MAX_DEPTH
 *   ERR_S3_XML_ENTITY     unknown entity or invalid character reference
 *   ERR_S3_XML_SIZE       n > S3XML_MAX_BODY (nothing parsed)
 *   ERR_S3_XML            anything else: text before the root, a DTD,
 *                         mismatched end tag, malformed tag, a control
 *                         byte (other than TAB, LF, CR) in text
 */
int s3xml_parse(const uint8_t *p, size_t n, struct s3xml_error *e);

/* What the caller should do about a failed S3 request. */
enum s3_retry {
	S3_RETRY_NO = 0,        /* permanent: configuration or input */
	S3_RETRY_YES,           /* transient: back off and retry */
	S3_RETRY_ONCE,          /* body may have been corrupted in transit
	                         * (BadDigest, XAmzContentSHA256Mismatch):
	                         * retry once, then permanent */
	S3_RETRY_CLOCK,         /* RequestTimeTooSkewed: correct the clock
	                         * from the Date header, re-sign, retry once */
	S3_RETRY_MISS           /* NoSuchKey / HEAD 404: not an error, a
	                         * cache miss */
};

/*
 * Classify by S3 code (may be NULL or "" when there was no body) and HTTP
 * status, as AWS's S3 error-retry guidance has it: known codes first
 * (SlowDown, RequestTimeout, InternalError, ServiceUnavailable,
 * OperationAborted -> YES; AccessDenied, SignatureDoesNotMatch,
 * NoSuchBucket, InvalidAccessKeyId, NotImplemented, ... -> NO), then the
 * status: 408, 429, 500, 502, 503, 504 and other 5xx but 501 -> YES, 404
 * without a code -> MISS, anything else -> NO. Returns enum s3_retry.
 */
int s3_error_retryable(const char *code, int http_status);

/*
 * One line for a log, always NUL-terminated when cap > 0:
 *   "Code: Message (request id X, server time T)"
 * with empty parts left out ("Code (request id X)", "Code: Message"), and
 * "HTTP <status>" when there is no code. Control bytes, '"' and '\' are
 * written as \xNN so a hostile server cannot forge log lines; truncated at
 * cap without cutting an escape.
 */
void s3xml_format(const struct s3xml_error *e, int http_status, char *out,
    size_t cap);

#endif
