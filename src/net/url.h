/*
 * url.h - absolute URLs, relative references (redirects), GitHub sources and
 * archive URLs. No I/O, no allocation: results go to fixed buffers in
 * caller-allocated structs.
 *
 * Parsing follows RFC 3986 and is strict where a lenient parser would let a
 * URL mean two things: only the RFC 3986 character set (no space, control,
 * NUL, backslash or raw non-ASCII byte), percent-escapes must be %XX, no
 * userinfo for http/https (credentials are never taken from a URL), no
 * percent-escapes in hosts, numeric-looking hosts must be strict dotted
 * quads (so "0x7f.1" cannot reach inet_aton()), bracketed IPv6 without zone
 * ids. Fragments are dropped; dot-segments are removed (RFC 3986 5.2.4).
 */
#ifndef URL_H
#define URL_H

#include <stddef.h>
#include <stdint.h>

#define URL_MAX        4096     /* whole URL; S3 presigned URLs are ~1.5 KiB */
#define URL_HOST_MAX   253      /* DNS name limit (RFC 1035 2.3.4) */
#define URL_OWNER_MAX  39       /* GitHub login limit */
#define URL_REPO_MAX   100      /* GitHub repository name limit */
#define URL_REF_MAX    255      /* git has no limit; file systems do */

enum url_scheme {
	URL_HTTP = 1,
	URL_HTTPS,
	URL_FILE
};

enum url_host_kind {
	URL_HOST_NONE = 0,      /* file URLs */
	URL_HOST_NAME,
	URL_HOST_IPV4,
	URL_HOST_IPV6           /* host[] holds it without brackets */
};

struct url {
	int scheme;                     /* enum url_scheme */
	int host_kind;                  /* enum url_host_kind */
	char host[URL_HOST_MAX + 1];    /* lower-case, NUL-terminated */
	size_t host_len;
	uint16_t port;                  /* explicit or default; 0 for file */
	int port_explicit;
	/* path [ "?" query ]: the origin-form request-target ("/" when the
	 * path is empty), NUL-terminated, escapes kept as sent. For file
	 * URLs the (still escaped) path; see url_file_path(). */
	char target[URL_MAX + 1];
	size_t target_len;
	size_t path_len;                /* target[0..path_len) is the path */
};

/*
 * Parse an absolute http, https or file URL. Errors: ERR_URL_TOO_LONG
 * (over URL_MAX), ERR_URL_SYNTAX (bad byte, no "//", bad structure),
 * ERR_URL_SCHEME, ERR_URL_USERINFO ("user@" in any scheme), ERR_URL_HOST,
 * ERR_URL_PORT (not 1..65535; for file: any port), ERR_URL_ESCAPE.
 * File URLs: "file:///p", "file://localhost/p" or "file:/p".
 */
int url_parse(const uint8_t *p, size_t n, struct url *u);

/*
 * Resolve a reference (a Location value) against base (RFC 3986 5.2.2,
 * with merge and remove_dot_segments) into out (which may not be base).
 * The reference may be absolute, network-path ("//host/p"), absolute-path
 * or relative. Same errors as url_parse(). Whether to follow the result
 * (https only, host change drops credentials) is the caller's policy.
 */
int url_resolve(const struct url *base, const uint8_t *ref, size_t n,
    struct url *out);

/* "scheme://host[:port]target" (port only when explicit and not the
 * default; IPv6 bracketed) into out, NUL-terminated. 0 or ERR_URL_TOO_LONG
 * if cap is too small. Beware: query strings may hold credentials (GitHub's
 * ?token=, S3 signatures); never log this without url_redact(). */
int url_format(const struct url *u, char *out, size_t cap, size_t *len);

/*
 * A URL as it may be shown to a person or stored in a log or report: the
 * userinfo and everything after the first '?' or '#' replaced by "***"
 * (https://u:p@h/p?token=x becomes https: // *** @h/p?***, without the
 * spaces). The one place
 * where URLs lose their secrets: GitHub's ?token=, S3 signatures and
 * "user:password@" must never reach a message.
 *
 * Works on any string, parsed or not (a URL that url_parse() refuses for
 * its credentials is the one most in need of it): the userinfo is what
 * comes before the last '@' ahead of the query, counted from after
 * "scheme://" (or from the start when there is none), so that a malformed
 * "https://u:p/w@h" hides "u:p/w" too; a path holding '@' then loses its
 * host in the message, the safe side. Control bytes are left for the log
 * to escape.
 *
 * Writes at most cap - 1 bytes and a NUL (nothing when cap is 0; url NULL
 * is ""); returns the length of the whole redacted form, so a result >= cap
 * means it was cut, as snprintf(). Cutting only drops bytes from the end.
 */
size_t url_redact(const char *url, char *out, size_t cap);

/* 80, 443, or 0 for file. */
uint16_t url_default_port(int scheme);

/* A file URL's path, percent-decoded, NUL-terminated. ERR_URL_ESCAPE if
 * it decodes to a NUL, ERR_URL_SCHEME if u is not a file URL,
 * ERR_URL_TOO_LONG if cap is too small. The query, if any, is not part of
 * the path. */
int url_file_path(const struct url *u, char *out, size_t cap, size_t *len);

/* ------------------------------------------------------------ GitHub */

struct url_github {
	char owner[URL_OWNER_MAX + 1];  /* NUL-terminated, case as given */
	size_t owner_len;
	char repo[URL_REPO_MAX + 1];    /* without a ".git" suffix */
	size_t repo_len;
	char ref[URL_REF_MAX + 1];      /* "" = the default branch */
	size_t ref_len;
};

/*
 * A repository as the command line names it:
 *   https://github.com/OWNER/REPO         (optional ".git", trailing '/')
 *   https://github.com/OWNER/REPO/tree/REF
 *   OWNER/REPO
 *   OWNER/REPO@REF
 * In the /tree/ form everything after "/tree/" is the ref (one trailing '/'
 * dropped, percent-escapes decoded): GitHub's own /tree/BRANCH/SUBDIR URLs
 * cannot be told from a branch named BRANCH/SUBDIR without asking the API,
 * so we take the whole rest as the ref. The scheme must be https, the host
 * github.com, no port, userinfo or query; a fragment ("#readme") is
 * ignored. In OWNER/REPO@REF the ref is taken literally (no decoding).
 * Whether "a/b" is a local directory instead is the caller's question.
 * Errors: ERR_URL_SOURCE (none of these shapes), ERR_URL_OWNER,
 * ERR_URL_REPO, ERR_URL_REF, ERR_URL_TOO_LONG, and url_parse()'s.
 */
int url_github_source(const uint8_t *p, size_t n, struct url_github *g);

/* Name rules (feeds/README.md): owner [A-Za-z0-9-]{1,39}; repo
 * [A-Za-z0-9._-]{1,100} and not "." or "..". 1 if valid. */
int url_valid_owner(const uint8_t *p, size_t n);
int url_valid_repo(const uint8_t *p, size_t n);

/* git check-ref-format rules, 1..URL_REF_MAX bytes: no control byte,
 * space, ~ ^ : ? * [ or backslash; no "..", "@{", "//"; not "@"; not
 * starting with '-' or '/'; not ending with '/', '.' or ".lock" (per
 * component: none starts with '.' or ends with ".lock"). 1 if valid. */
int url_valid_ref(const uint8_t *p, size_t n);

/* "https://codeload.github.com/OWNER/REPO/tar.gz/REF" (REF = HEAD when
 * g->ref is empty), NUL-terminated. 0 or ERR_URL_TOO_LONG. */
int url_codeload(const struct url_github *g, char *out, size_t cap,
    size_t *len);

/*
 * Expand an archive URL template for a mirror: {owner}, {repo}, {ref}
 * (HEAD when empty) and {sha} (40 or 64 hex digits; required only if the
 * template uses it; sha may be NULL otherwise). Values are percent-encoded
 * as path segment bytes, except that '/' in {ref} is kept: codeload and
 * git hosts map the rest of the path to the ref, and an encoded %2F is
 * refused by many proxies (Apache's AllowEncodedSlashes off by default).
 * The result must parse with url_parse(). Errors: ERR_URL_TEMPLATE
 * (unknown placeholder, unbalanced brace, missing or bad sha),
 * ERR_URL_TOO_LONG, url_parse()'s.
 */
int url_template(const char *tmpl, size_t tn, const struct url_github *g,
    const char *sha, size_t sha_len, char *out, size_t cap, size_t *len);

#endif
