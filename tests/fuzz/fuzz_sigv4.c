/*
 * fuzz_sigv4.c - libFuzzer target for SigV4 canonicalisation.
 *
 * The input is a request in a line format: method, raw path, wire query,
 * then "name:value" header lines (a line without ':' is a header with an
 * empty value). Signing inputs are hostile in one way only: the HTTP layer
 * passes whatever the feed and the config produced. Checked with abort():
 * every output is NUL-terminated inside its cap with the bytes after the
 * cap untouched; sigv4_sign() succeeds exactly when the canonical request
 * can be built (or fails only for its own output cap); the signature in
 * the Authorization value equals the staged computation; the encoded path
 * and query hold only unreserved bytes, '/', '&', '=' and upper-case %XX.
 * Every loop is bounded by the input size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "sigv4.h"
#include "pieces.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NH (SIGV4_MAX_HEADERS + 8)

/* 512 KiB: more than a 64 KiB input can expand to (%XX is 3 bytes) */
static char creq[1 << 19], creq2[600], sts[1024], enc[1 << 19];

static int
hexup(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

/* Only unreserved bytes, the allowed separators and %XX. */
static void
check_encoded(const char *s, size_t n, const char *seps)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			if (n - i < 3)
				abort();
			if (!hexup(s[i + 1]) || !hexup(s[i + 2]))
				abort();
			i += 2;
			continue;
		}
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~' || strchr(seps, c) != NULL) || c == 0)
			abort();
	}
}

static void
canary(const char *buf, size_t cap, size_t bufsize)
{
	if (cap > 0 && memchr(buf, 0, cap) == NULL)
		abort();
	if (cap < bufsize && buf[cap] != 'Z')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sigv4_slice part[3] = { { "", 0 }, { "", 0 }, { "", 0 } };
	struct sigv4_header h[NH];
	struct sigv4_req req;
	struct sigv4_cred cred = { "AKID", "secret", NULL, "auto", "s3" };
	char auth[SIGV4_AUTH_MAX], sig[SIGV4_HEX_LEN + 1];
	const char *s = (const char *)data;
	uint64_t hs = split_hash(data, size);
	size_t i = 0, nh = 0, clen = 0, slen = 0, cap, n;
	int nl = 0, r, rs;

	/* split into lines; the first three are method, path, query */
	while (i <= size && nh < NH) {
		size_t start = i, colon;

		while (i < size && s[i] != '\n')
			i++;
		if (nl < 3) {
			part[nl].p = s + start;
			part[nl].n = i - start;
		} else if (i > start) {
			colon = start;
			while (colon < i && s[colon] != ':')
				colon++;
			h[nh].name.p = s + start;
			h[nh].name.n = colon - start;
			h[nh].value.p = s + (colon < i ? colon + 1 : i);
			h[nh].value.n = colon < i ? i - colon - 1 : 0;
			nh++;
		}
		nl++;
		i++;
	}
	memset(&req, 0, sizeof req);
	req.method = part[0];
	req.path = part[1];
	req.query = part[2];
	req.headers = h;
	req.nheaders = nh;
	req.payload_hash = (hs & 1) ? SIGV4_EMPTY_SHA256 :
	    SIGV4_UNSIGNED_PAYLOAD;
	req.flags = (hs & 2) ? SIGV4_F_NO_CONTENT_SHA256 : 0;
	if (hs & 4)
		cred.session_token = "tok/en+==";

	/* encoders */
	r = sigv4_uri_encode(req.path.p, req.path.n, 1, enc, sizeof enc, &n);
	if (r == 0)
		check_encoded(enc, n, "/");
	else if (r != ERR_SIGV4_OVERFLOW)
		abort();
	r = sigv4_canonical_query(req.query.p, req.query.n, enc, sizeof enc,
	    &n);
	if (r == 0)
		check_encoded(enc, n, "&=");
	else if (r != ERR_SIGV4_QUERY && r != ERR_SIGV4_TOO_MANY &&
	    r != ERR_SIGV4_OVERFLOW)
		abort();

	/* the canonical request, full and into a random short buffer */
	r = sigv4_canonical_request(&req, &cred, "20240101T000000Z", creq,
	    sizeof creq, &clen);
	if (err_str(r) == NULL || (r != 0 && creq[0] != '\0' &&
	    r != ERR_SIGV4_OVERFLOW))
		abort();
	cap = (size_t)((hs >> 8) % 512);
	memset(creq2, 'Z', 600);
	rs = sigv4_canonical_request(&req, &cred, "20240101T000000Z", creq2,
	    cap, NULL);
	canary(creq2, cap, 600);
	if (r == 0 && (rs == 0) != (clen < cap))
		abort();
	if (r == 0 && rs != 0 && rs != ERR_SIGV4_OVERFLOW)
		abort();
	if (r == 0 && cap > 0 && strncmp(creq2, creq, strlen(creq2)) != 0)
		abort();

	/* sign: full cap, then a random small one */
	rs = sigv4_sign(&req, &cred, "20240101T000000Z", auth, sizeof auth);
	if (r == 0 && rs != 0 && rs != ERR_SIGV4_OVERFLOW)
		abort();
	if (r != 0 && r != ERR_SIGV4_OVERFLOW && rs != r)
		abort();
	if (rs == 0 && r == 0) {
		const char *p = strstr(auth, ", Signature=");

		if (sigv4_string_to_sign(&cred, "20240101T000000Z", creq, clen,
		    sts, sizeof sts, &slen) != 0 ||
		    sigv4_signature(&cred, "20240101T000000Z", sts, slen,
		    sig) != 0 || p == NULL || strcmp(p + 12, sig) != 0)
			abort();
	}
	cap = (size_t)((hs >> 20) % 300);
	memset(auth, 'Z', sizeof auth);
	(void)sigv4_sign(&req, &cred, "20240101T000000Z", auth, cap);
	canary(auth, cap, sizeof auth);
	return 0;
}
