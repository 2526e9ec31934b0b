/*
 * fuzz_s3xml.c - libFuzzer target for the S3 error-body reader.
 *
 * The input is the response body. It is parsed whole and cut at a point
 * taken from a hash of the input (same input, same cut: a crash replays),
 * since s3xml_parse() is one-shot over a complete slice and a short read is
 * its "split". Invariants are checked with abort(): the code is one of the
 * documented ones, the same input gives the same result, every field is
 * NUL-terminated inside its array, a cut body never succeeds unless the
 * full one did, and the formatter never writes past its cap and always
 * terminates. Every loop here is bounded by the input size or a constant.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "s3xml.h"
#include "pieces.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_fields(const struct s3xml_error *e)
{
	if (memchr(e->code, 0, sizeof e->code) == NULL ||
	    memchr(e->message, 0, sizeof e->message) == NULL ||
	    memchr(e->request_id, 0, sizeof e->request_id) == NULL ||
	    memchr(e->server_time, 0, sizeof e->server_time) == NULL)
		abort();
	if (e->truncated & ~(S3XML_T_CODE | S3XML_T_MESSAGE | S3XML_T_REQID |
	    S3XML_T_TIME))
		abort();
}

static int
known(int r)
{
	return r == 0 || r == ERR_S3_XML || r == ERR_S3_XML_EMPTY ||
	    r == ERR_S3_XML_NOT_ERROR || r == ERR_S3_XML_TRUNCATED ||
	    r == ERR_S3_XML_DEPTH || r == ERR_S3_XML_ENTITY ||
	    r == ERR_S3_XML_SIZE;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int statuses[] = { 0, 400, 403, 404, 408, 429, 500, 501,
	    503 };
	struct s3xml_error e, e2;
	char line[600];
	uint64_t h = split_hash(data, size);
	size_t cut, cap;
	int r, r2, cls;

	r = s3xml_parse(data, size, &e);
	if (!known(r) || err_str(r) == NULL)
		abort();
	check_fields(&e);
	r2 = s3xml_parse(data, size, &e2);
	if (r2 != r || memcmp(&e, &e2, sizeof e) != 0)
		abort();

	cls = s3_error_retryable(e.code, statuses[h % 9]);
	if (cls < S3_RETRY_NO || cls > S3_RETRY_MISS)
		abort();

	/* formatter: a cap from the hash, a canary after it */
	cap = (size_t)((h >> 8) % 300);
	memset(line, 'Z', sizeof line);
	s3xml_format(&e, statuses[(h >> 4) % 9], line, cap);
	if (line[cap] != 'Z' || (cap > 0 && memchr(line, 0, cap) == NULL))
		abort();

	/* a short read of the same body */
	if (size > 0) {
		cut = (size_t)((h >> 16) % size);
		r2 = s3xml_parse(data, cut, &e2);
		if (!known(r2))
			abort();
		check_fields(&e2);
		/* a prefix can only succeed if it already holds the whole
		 * root, and then the whole input succeeds too */
		if (r2 == 0 && r != 0 && r != ERR_S3_XML_SIZE)
			abort();
	}
	return 0;
}
