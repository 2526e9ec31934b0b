/*
 * test_s3xml.c - S3 error bodies as AWS, R2 and radosgw send them, fed
 * whole and cut at every offset; hostile bodies (deep nesting, huge
 * elements, bad entities, DTDs, garbage) each with the exact expected code;
 * the retry classifier and the one-line formatter.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "s3xml.h"
#include "t.h"

/* ------------------------------------------------------------ samples */

/* AWS S3: SignatureDoesNotMatch echoes the string to sign and the
 * canonical request (which we must not copy anywhere). */
static const char AWS_SIG[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature "
    "we calculated does not match the signature you provided. Check your key "
    "and signing method.</Message><AWSAccessKeyId>AKIAIOSFODNN7EXAMPLE"
    "</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256\n20130524T000000Z\n"
    "20130524/us-east-1/s3/aws4_request\n"
    "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"
    "</StringToSign><SignatureProvided>f0e8bdb87c964420e857bd35b5d6ed310bd44f"
    "0170aba48dd91039c6036bdb41</SignatureProvided><StringToSignBytes>41 57 "
    "53 34</StringToSignBytes><CanonicalRequest>GET\n/test.txt\n\n"
    "host:examplebucket.s3.amazonaws.com\nx-amz-security-token:SECRETTOKEN\n"
    "\nhost;x-amz-security-token\nUNSIGNED-PAYLOAD</CanonicalRequest>"
    "<CanonicalRequestBytes>47 45 54</CanonicalRequestBytes>"
    "<RequestId>4442587FB7D0A2F9</RequestId><HostId>wzBNEgJ7lqXL+kH0Ek2TVwm"
    "5jbXfgpG8ptg1iKy7OAbOg1hNuyR0ysDVEbrwoN0lhEu6c5hfW0o=</HostId></Error>";

static const char AWS_SKEW[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between "
    "the request time and the current time is too large.</Message>"
    "<RequestTime>20130524T000000Z</RequestTime><ServerTime>"
    "2024-05-01T12:00:00Z</ServerTime><MaxAllowedSkewMilliseconds>900000"
    "</MaxAllowedSkewMilliseconds><RequestId>B6D1D2E9C3A2E7F1</RequestId>"
    "<HostId>aGVsbG8=</HostId></Error>";

static const char AWS_SLOWDOWN[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Error>\n  <Code>SlowDown</Code>\n  <Message>Please reduce your request "
    "rate.</Message>\n  <RequestId>0A1B2C3D4E5F6071</RequestId>\n"
    "  <HostId>eHl6</HostId>\n</Error>\n";

/* entities as AWS writes them in AuthorizationHeaderMalformed */
static const char AWS_REGION[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Error><Code>AuthorizationHeaderMalformed</Code><Message>The "
    "authorization header is malformed; the region &apos;us-east-1&apos; is "
    "wrong; expecting &apos;eu-west-1&apos;</Message><Region>eu-west-1"
    "</Region><RequestId>F1E2D3C4B5A69788</RequestId><HostId>x</HostId>"
    "</Error>";

/* R2: no RequestId */
static const char R2_NOBUCKET[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not "
    "exist.</Message></Error>";

static const char R2_HDR[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<Error><Code>NotImplemented</Code><Message>Header &quot;x-amz-checksum-"
    "crc32&quot; with value &quot;AAAAAA==&quot; not implemented</Message>"
    "</Error>";

/* radosgw 16.2: empty Message, BucketName, tx... request id */
static const char RGW_SIG[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>"
    "SignatureDoesNotMatch</Code><Message></Message><BucketName>b"
    "</BucketName><RequestId>tx00000a1b2c3d4e5f60718-0065f1c2d3-1234-default"
    "</RequestId><HostId>1234-default-default</HostId></Error>";

static const char RGW_DENIED[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied"
    "</Code><BucketName>b</BucketName><RequestId>tx0000012-0065f1c2d3-1234-"
    "default</RequestId><HostId>1234-default-default</HostId></Error>";

static const struct sample {
	const char *name, *body;
	const char *code, *message, *reqid, *stime;
	int retry, status;
	const char *line;
} SAMPLES[] = {
	{ "aws-signature", AWS_SIG, "SignatureDoesNotMatch",
	  "The request signature we calculated does not match the signature "
	  "you provided. Check your key and signing method.",
	  "4442587FB7D0A2F9", "", S3_RETRY_NO, 403,
	  "SignatureDoesNotMatch: The request signature we calculated does not "
	  "match the signature you provided. Check your key and signing "
	  "method. (request id 4442587FB7D0A2F9)" },
	{ "aws-skew", AWS_SKEW, "RequestTimeTooSkewed",
	  "The difference between the request time and the current time is too "
	  "large.", "B6D1D2E9C3A2E7F1", "2024-05-01T12:00:00Z", S3_RETRY_CLOCK,
	  403, "RequestTimeTooSkewed: The difference between the request time "
	  "and the current time is too large. (request id B6D1D2E9C3A2E7F1, "
	  "server time 2024-05-01T12:00:00Z)" },
	{ "aws-slowdown", AWS_SLOWDOWN, "SlowDown",
	  "Please reduce your request rate.", "0A1B2C3D4E5F6071", "",
	  S3_RETRY_YES, 503,
	  "SlowDown: Please reduce your request rate. (request id "
	  "0A1B2C3D4E5F6071)" },
	{ "aws-region", AWS_REGION, "AuthorizationHeaderMalformed",
	  "The authorization header is malformed; the region 'us-east-1' is "
	  "wrong; expecting 'eu-west-1'", "F1E2D3C4B5A69788", "", S3_RETRY_NO,
	  400, NULL },
	{ "r2-nobucket", R2_NOBUCKET, "NoSuchBucket",
	  "The specified bucket does not exist.", "", "", S3_RETRY_NO, 404,
	  "NoSuchBucket: The specified bucket does not exist." },
	{ "r2-checksum", R2_HDR, "NotImplemented",
	  "Header \"x-amz-checksum-crc32\" with value \"AAAAAA==\" not "
	  "implemented", "", "", S3_RETRY_NO, 501,
	  "NotImplemented: Header \\x22x-amz-checksum-crc32\\x22 with value "
	  "\\x22AAAAAA==\\x22 not implemented" },
	{ "rgw-signature", RGW_SIG, "SignatureDoesNotMatch", "",
	  "tx00000a1b2c3d4e5f60718-0065f1c2d3-1234-default", "", S3_RETRY_NO,
	  403, "SignatureDoesNotMatch (request id "
	  "tx00000a1b2c3d4e5f60718-0065f1c2d3-1234-default)" },
	{ "rgw-denied", RGW_DENIED, "AccessDenied", "",
	  "tx0000012-0065f1c2d3-1234-default", "", S3_RETRY_NO, 403, NULL },
};

static int
parse(const char *s, struct s3xml_error *e)
{
	return s3xml_parse((const uint8_t *)s, strlen(s), e);
}

static int
terminated(const struct s3xml_error *e)
{
	return memchr(e->code, 0, sizeof e->code) != NULL &&
	    memchr(e->message, 0, sizeof e->message) != NULL &&
	    memchr(e->request_id, 0, sizeof e->request_id) != NULL &&
	    memchr(e->server_time, 0, sizeof e->server_time) != NULL;
}

static int
prefix_of(const char *got, const char *full)
{
	return strncmp(got, full, strlen(got)) == 0;
}

static void
test_samples(void)
{
	for (size_t i = 0; i < sizeof SAMPLES / sizeof SAMPLES[0]; i++) {
		const struct sample *S = &SAMPLES[i];
		struct s3xml_error e;
		char line[512];
		size_t n = strlen(S->body);
		int r = parse(S->body, &e);

		CHECK(r == 0, "%s: %s", S->name, err_str(r));
		CHECK(strcmp(e.code, S->code) == 0, "%s: code '%s'", S->name,
		    e.code);
		CHECK(strcmp(e.message, S->message) == 0, "%s: message '%s'",
		    S->name, e.message);
		CHECK(strcmp(e.request_id, S->reqid) == 0, "%s: id '%s'",
		    S->name, e.request_id);
		CHECK(strcmp(e.server_time, S->stime) == 0, "%s: time '%s'",
		    S->name, e.server_time);
		CHECK(e.truncated == 0, "%s: truncated %u", S->name,
		    e.truncated);
		CHECK(s3_error_retryable(e.code, S->status) == S->retry,
		    "%s: retry class %d", S->name,
		    s3_error_retryable(e.code, S->status));
		if (S->line != NULL) {
			s3xml_format(&e, S->status, line, sizeof line);
			CHECK(strcmp(line, S->line) == 0, "%s: line\n%s\n%s",
			    S->name, line, S->line);
		}
		/* never copies the secrets S3 echoes back */
		CHECK(strstr(e.message, "SECRETTOKEN") == NULL &&
		    strstr(e.code, "SECRETTOKEN") == NULL, "%s: leak", S->name);

		/* cut at every offset: truncated until the root is closed,
		 * always a clean field state, and whatever was read is a
		 * prefix of the real value */
		size_t root_end = (size_t)(strstr(S->body, "</Error>") -
		    S->body) + 8, k;

		for (k = 0; k < n; k++) {
			int want = k >= root_end ? 0 : k == 0 ?
			    ERR_S3_XML_EMPTY : ERR_S3_XML_TRUNCATED;

			r = s3xml_parse((const uint8_t *)S->body, k, &e);
			if (r != want || !terminated(&e) ||
			    !prefix_of(e.code, S->code) ||
			    !prefix_of(e.request_id, S->reqid))
				break;
		}
		/* one check for all offsets; the first bad one is named */
		CHECK(k == n, "%s: cut at %zu: %s, fields '%s' '%s'", S->name,
		    k, err_str(r), e.code, e.request_id);
		/* the code is known as soon as its end tag is in */
		{
			const char *ec = strstr(S->body, "</Code>");

			r = s3xml_parse((const uint8_t *)S->body,
			    (size_t)(ec - S->body) + 7, &e);
			CHECK(r == ERR_S3_XML_TRUNCATED &&
			    strcmp(e.code, S->code) == 0, "%s: early code '%s'",
			    S->name, e.code);
		}
	}
}

/* ------------------------------------------------------------ hostile */

static char big[S3XML_MAX_BODY + 64];

static void
test_cases(void)
{
	static const struct {
		const char *body;
		int err;
		const char *code, *message;
		const char *why;
	} C[] = {
		{ "", ERR_S3_XML_EMPTY, "", "", "HEAD: no body" },
		{ " \r\n\t", ERR_S3_XML_EMPTY, "", "", "white space only" },
		{ "\xef\xbb\xbf", ERR_S3_XML_EMPTY, "", "", "BOM only" },
		{ "\xef\xbb\xbf<Error><Code>C</Code></Error>", 0, "C", "",
		  "BOM then document" },
		{ "Internal Server Error", ERR_S3_XML, "", "", "plain text" },
		{ "<html><body><h1>502 Bad Gateway</h1></body></html>",
		  ERR_S3_XML_NOT_ERROR, "", "", "proxy HTML page" },
		{ "<?xml version=\"1.0\"?><ListBucketResult>"
		  "</ListBucketResult>",
		  ERR_S3_XML_NOT_ERROR, "", "", "not an error document" },
		{ "<?xml version=\"1.0\"?><!DOCTYPE Error [<!ENTITY x \"y\">]>"
		  "<Error><Code>&x;</Code></Error>", ERR_S3_XML, "", "",
		  "DTD refused (entity expansion)" },
		{ "<Error><Code>x</Message></Error>", ERR_S3_XML, "x", "",
		  "mismatched end tag" },
		{ "<Error><Code>x</Code></Error></Error>", 0, "x", "",
		  "after the root: ignored" },
		{ "<Error><Code>x</Code></Error>trailing garbage", 0, "x", "",
		  "after the root: ignored" },
		{ "<Error/>", 0, "", "", "empty root" },
		{ "<Error><Code/><Message>m</Message></Error>", 0, "", "m",
		  "empty element" },
		{ "<Error xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\" "
		  "a='x>y'><Code>C</Code></Error>", 0, "C", "",
		  "attributes, '>' inside quotes" },
		{ "<Error><Code a=\"<\">C</Code></Error>", ERR_S3_XML, "", "",
		  "'<' in attribute value" },
		{ "<Error><Code>First</Code><Code>Second</Code></Error>", 0,
		  "First", "", "first of each name wins" },
		{ "<Error><Detail><Code>Inner</Code></Detail><Code>Outer</Code>"
		  "</Error>", 0, "Outer", "", "only direct children" },
		{ "<Error><Code>A<b>B</b>C</Code></Error>", 0, "A", "",
		  "text after a nested child is not kept" },
		{ "<Error><Message><![CDATA[a <b> & c]]></Message></Error>", 0,
		  "", "a <b> & c", "CDATA is text" },
		{ "<Error><Message>x<!-- <Code>no</Code> -->y</Message>"
		  "</Error>",
		  0, "", "xy", "comments skipped" },
		{ "<Error><?pi <Code>no</Code> ?><Code>C</Code></Error>", 0,
		  "C", "", "processing instruction skipped" },
		{ "<Error>\n <Code>\n  SlowDown \n</Code></Error>", 0,
		  "SlowDown", "", "white space trimmed" },
		{ "<Error><Message>&amp;&lt;&gt;&quot;&apos;&#65;&#x42;&#xe9;"
		  "&#x10FFFF;&#9;</Message></Error>", 0, "",
		  "&<>\"'AB\xc3\xa9\xf4\x8f\xbf\xbf", "every entity form" },
		{ "<Error><Message>&foo;</Message></Error>", ERR_S3_XML_ENTITY,
		  "", "", "unknown entity" },
		{ "<Error><Message>&#0;</Message></Error>", ERR_S3_XML_ENTITY,
		  "", "", "NUL reference" },
		{ "<Error><Message>&#1;</Message></Error>", ERR_S3_XML_ENTITY,
		  "", "", "control reference" },
		{ "<Error><Message>&#xD800;</Message></Error>",
		  ERR_S3_XML_ENTITY, "", "", "surrogate" },
		{ "<Error><Message>&#x110000;</Message></Error>",
		  ERR_S3_XML_ENTITY, "", "", "past U+10FFFF" },
		{ "<Error><Message>&#99999999999999999999;</Message></Error>",
		  ERR_S3_XML_ENTITY, "", "", "overflowing decimal" },
		{ "<Error><Message>&#xFFFE;</Message></Error>",
		  ERR_S3_XML_ENTITY, "", "", "non-character" },
		{ "<Error><Message>&;</Message></Error>", ERR_S3_XML_ENTITY, "",
		  "", "empty entity" },
		{ "<Error><Message>&#;</Message></Error>", ERR_S3_XML_ENTITY,
		  "", "", "empty reference" },
		{ "<Error><Message>&#x;</Message></Error>", ERR_S3_XML_ENTITY,
		  "", "", "empty hex reference" },
		{ "<Error><Message>&#12a;</Message></Error>", ERR_S3_XML_ENTITY,
		  "", "", "bad digit" },
		{ "<Error><Message>a & b</Message></Error>", ERR_S3_XML_ENTITY,
		  "", "", "bare '&' (no ';' nearby)" },
		{ "<Error><Message>AT&T rocks;</Message></Error>",
		  ERR_S3_XML_ENTITY, "", "", "bare '&' ('; ' further on)" },
		{ "<Error><Code>a\x01" "b</Code></Error>", ERR_S3_XML, "", "",
		  "control byte in text" },
		{ "<Error><1Code>x</1Code></Error>", ERR_S3_XML, "", "",
		  "name starting with a digit" },
		{ "<Error>< Code>x</Code></Error>", ERR_S3_XML, "", "",
		  "space after '<'" },
		{ "<Error><Code\x01>x</Code></Error>", ERR_S3_XML, "", "",
		  "junk after a name" },
		{ "<Error><![CDATA[x]]></Error>", 0, "", "", "CDATA in root" },
		{ "<![CDATA[x]]><Error/>", ERR_S3_XML, "", "",
		  "CDATA before root" },
		{ "<Error><Code>x</Code>", ERR_S3_XML_TRUNCATED, "x", "",
		  "no end of root" },
		{ "<Error><!-", ERR_S3_XML_TRUNCATED, "", "", "cut comment" },
		{ "<Error><![CDA", ERR_S3_XML_TRUNCATED, "", "", "cut CDATA" },
		{ "<?xml version=\"1.0\"?>", ERR_S3_XML_TRUNCATED, "", "",
		  "declaration only" },
		{ "<Error></Error >", 0, "", "",
		  "space before '>' in end tag" },
		{ "</Error>", ERR_S3_XML, "", "", "end tag first" },
	};
	static const char nul[] = "<Error><Code>a\0b</Code></Error>";
	struct s3xml_error e;

	/* a NUL would cut the field short: refused like other controls */
	CHECK(s3xml_parse((const uint8_t *)nul, sizeof nul - 1, &e) ==
	    ERR_S3_XML, "NUL in text");
	for (size_t i = 0; i < sizeof C / sizeof C[0]; i++) {
		size_t n = strlen(C[i].body);
		int r;

		r = s3xml_parse((const uint8_t *)C[i].body, n, &e);
		CHECK(r == C[i].err, "%s: got %s, want %s", C[i].why,
		    err_str(r), err_str(C[i].err));
		CHECK(terminated(&e), "%s: fields", C[i].why);
		if (C[i].err == 0 || C[i].code[0] != '\0')
			CHECK(strcmp(e.code, C[i].code) == 0 &&
			    strcmp(e.message, C[i].message) == 0,
			    "%s: code '%s' message '%s'", C[i].why, e.code,
			    e.message);
	}
}

static void
test_limits(void)
{
	struct s3xml_error e;
	size_t n = 0;
	int r;

	/* nesting: root + 15 children is the maximum */
	n = (size_t)sprintf(big, "<Error>");
	for (int i = 1; i < S3XML_MAX_DEPTH; i++)
		n += (size_t)sprintf(big + n, "<a>");
	n += (size_t)sprintf(big + n, "x");
	for (int i = 1; i < S3XML_MAX_DEPTH; i++)
		n += (size_t)sprintf(big + n, "</a>");
	n += (size_t)sprintf(big + n, "<Code>C</Code></Error>");
	r = s3xml_parse((const uint8_t *)big, n, &e);
	CHECK(r == 0 && strcmp(e.code, "C") == 0, "max depth: %s", err_str(r));
	n = (size_t)sprintf(big, "<Error><Code>C</Code>");
	for (int i = 0; i < 100000; i++)
		n += (size_t)sprintf(big + n, "<a>");
	r = s3xml_parse((const uint8_t *)big, n, &e);
	CHECK(r == ERR_S3_XML_DEPTH && strcmp(e.code, "C") == 0,
	    "deep nesting: %s", err_str(r));

	/* a huge element: cut to the field, the rest still parsed */
	n = (size_t)sprintf(big, "<Error><Message>");
	memset(big + n, 'x', 500000);
	n += 500000;
	n += (size_t)sprintf(big + n, "</Message><Code>C</Code><RequestId>");
	memset(big + n, 'r', 100000);
	n += 100000;
	n += (size_t)sprintf(big + n, "</RequestId></Error>");
	r = s3xml_parse((const uint8_t *)big, n, &e);
	CHECK(r == 0 && strlen(e.message) == S3XML_MESSAGE_MAX - 1 &&
	    strlen(e.request_id) == S3XML_REQID_MAX - 1 &&
	    strcmp(e.code, "C") == 0 &&
	    e.truncated == (S3XML_T_MESSAGE | S3XML_T_REQID),
	    "huge element: %s len %zu trunc %u", err_str(r), strlen(e.message),
	    e.truncated);

	/* cut inside a UTF-8 character: dropped whole */
	n = (size_t)sprintf(big, "<Error><Message>");
	for (int i = 0; i < 200; i++)
		n += (size_t)sprintf(big + n, "\xe1\x88\xb4");
	n += (size_t)sprintf(big + n, "</Message><Code>");
	for (int i = 0; i < 100; i++)
		n += (size_t)sprintf(big + n, "\xf0\x9f\x98\x80");
	n += (size_t)sprintf(big + n, "</Code></Error>");
	r = s3xml_parse((const uint8_t *)big, n, &e);
	CHECK(r == 0 && strlen(e.message) % 3 == 0 &&
	    strlen(e.message) >= S3XML_MESSAGE_MAX - 3 &&
	    strlen(e.code) % 4 == 0 && strlen(e.code) >= S3XML_CODE_MAX - 4,
	    "utf-8 cut: %zu %zu", strlen(e.message), strlen(e.code));

	/* a stray '&' in a huge text costs no scan to the end */
	n = (size_t)sprintf(big, "<Error><Message>&");
	memset(big + n, 'a', 800000);
	n += 800000;
	r = s3xml_parse((const uint8_t *)big, n, &e);
	CHECK(r == ERR_S3_XML_ENTITY, "long entity: %s", err_str(r));

	/* size cap: nothing parsed */
	memset(big, ' ', S3XML_MAX_BODY + 1);
	memcpy(big, "<Error><Code>C</Code></Error>", 29);
	r = s3xml_parse((const uint8_t *)big, S3XML_MAX_BODY + 1, &e);
	CHECK(r == ERR_S3_XML_SIZE && e.code[0] == '\0', "size: %s",
	    err_str(r));
	r = s3xml_parse((const uint8_t *)big, S3XML_MAX_BODY, &e);
	CHECK(r == 0 && strcmp(e.code, "C") == 0, "at size cap: %s",
	    err_str(r));

	/* unterminated comment / PI over a large input: linear, truncated */
	n = (size_t)sprintf(big, "<Error><!--");
	memset(big + n, '-', 700000);
	n += 700000;
	r = s3xml_parse((const uint8_t *)big, n, &e);
	CHECK(r == ERR_S3_XML_TRUNCATED, "open comment: %s", err_str(r));
}

/* ------------------------------------------------------------ classifier */

static void
test_classifier(void)
{
	static const struct {
		const char *code;
		int status, want;
	} C[] = {
		{ "SlowDown", 503, S3_RETRY_YES },
		{ "RequestTimeout", 400, S3_RETRY_YES },
		{ "InternalError", 500, S3_RETRY_YES },
		{ "ServiceUnavailable", 503, S3_RETRY_YES },
		{ "OperationAborted", 409, S3_RETRY_YES },
		{ "RequestTimeTooSkewed", 403, S3_RETRY_CLOCK },
		{ "XAmzContentSHA256Mismatch", 400, S3_RETRY_ONCE },
		{ "BadDigest", 400, S3_RETRY_ONCE },
		{ "AccessDenied", 403, S3_RETRY_NO },
		{ "SignatureDoesNotMatch", 403, S3_RETRY_NO },
		{ "NoSuchBucket", 404, S3_RETRY_NO },
		{ "InvalidAccessKeyId", 403, S3_RETRY_NO },
		{ "MetadataTooLarge", 400, S3_RETRY_NO },
		{ "EntityTooLarge", 400, S3_RETRY_NO },
		{ "NotImplemented", 501, S3_RETRY_NO },
		{ "NoSuchKey", 404, S3_RETRY_MISS },
		/* a known permanent code wins over a 5xx status */
		{ "AccessDenied", 500, S3_RETRY_NO },
		/* unknown codes and no body: the status decides */
		{ "SomethingNew", 503, S3_RETRY_YES },
		{ "SomethingNew", 400, S3_RETRY_NO },
		{ "", 500, S3_RETRY_YES },
		{ "", 502, S3_RETRY_YES },
		{ "", 504, S3_RETRY_YES },
		{ "", 501, S3_RETRY_NO },
		{ "", 408, S3_RETRY_YES },
		{ "", 429, S3_RETRY_YES },
		{ "", 404, S3_RETRY_MISS },
		{ NULL, 404, S3_RETRY_MISS },
		{ NULL, 403, S3_RETRY_NO },
		{ NULL, 400, S3_RETRY_NO },
		{ NULL, 0, S3_RETRY_NO },
		{ "SomethingNew", 404, S3_RETRY_NO },
	};

	for (size_t i = 0; i < sizeof C / sizeof C[0]; i++) {
		int r = s3_error_retryable(C[i].code, C[i].status);

		CHECK(r == C[i].want, "%s %d: %d want %d",
		    C[i].code ? C[i].code : "(null)", C[i].status, r,
		    C[i].want);
	}
}

/* ------------------------------------------------------------ formatter */

static void
test_format(void)
{
	struct s3xml_error e;
	char out[512], full[512];

	memset(&e, 0, sizeof e);
	s3xml_format(&e, 404, out, sizeof out);
	CHECK(strcmp(out, "HTTP 404") == 0, "%s", out);
	s3xml_format(&e, -1, out, sizeof out);
	CHECK(strcmp(out, "HTTP 0") == 0, "%s", out);
	strcpy(e.code, "C");
	s3xml_format(&e, 400, out, sizeof out);
	CHECK(strcmp(out, "C") == 0, "%s", out);
	strcpy(e.server_time, "T");
	s3xml_format(&e, 400, out, sizeof out);
	CHECK(strcmp(out, "C (server time T)") == 0, "%s", out);
	/* hostile text: no log forging, no terminal escapes */
	strcpy(e.message, "line\n{\"level\":\"error\"}\x1b[2J\\ \xc3\xa9");
	strcpy(e.request_id, "id");
	s3xml_format(&e, 400, full, sizeof full);
	CHECK(strcmp(full, "C: line\\x0a{\\x22level\\x22:\\x22error\\x22}"
	    "\\x1b[2J\\x5c \xc3\xa9 (request id id, server time T)") == 0,
	    "%s", full);
	/* every cap: NUL-terminated, a prefix, no cut escape */
	for (size_t cap = 0; cap <= strlen(full) + 1; cap++) {
		memset(out, 'Z', sizeof out);
		s3xml_format(&e, 400, out, cap);
		if (cap == 0) {
			CHECK(out[0] == 'Z', "cap 0 writes nothing");
			continue;
		}
		size_t n = strnlen(out, cap);
		const char *bs = strrchr(out, '\\');

		CHECK(n < cap && strncmp(out, full, n) == 0 &&
		    out[cap] == 'Z' && (bs == NULL || strlen(bs) >= 4),
		    "cap %zu: '%s'", cap, out);
	}
	/* cut inside a UTF-8 character: dropped whole */
	memset(&e, 0, sizeof e);
	strcpy(e.code, "\xe1\x88\xb4\xe1\x88\xb4");
	s3xml_format(&e, 400, out, 6);
	CHECK(strcmp(out, "\xe1\x88\xb4") == 0, "utf-8 cut '%s'", out);
}

int
main(void)
{
	test_samples();
	test_cases();
	test_limits();
	test_classifier();
	test_format();
	return T_DONE();
}
