/*
 * test_log.c - log lines: JSON and text shapes, registered secrets replaced
 * by [REDACTED], and every URL in a message or value shown through
 * url_redact() (no userinfo, no query), wherever it sits in the string,
 * and the punctuation after it (": cause") kept; error lines on stderr
 * (log_err, log_say) redacted and escaped alike.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "t.h"

/* One line logged with format fmt, read back into out. */
static void
line(int fmt, const char *msg, const char *const *kv, char *out, size_t cap)
{
	struct log l;
	FILE *f = tmpfile();
	size_t n;

	if (f == NULL) {
		out[0] = '\0';
		return;
	}
	log_init(&l, f, fmt);
	log_add_secret(&l, "s3cr3t-key");
	log_msg(&l, LOG_WARN, "op", msg, kv);
	log_free(&l);
	rewind(f);
	n = fread(out, 1, cap - 1, f);
	out[n] = '\0';
	fclose(f);
}

/* What log_err (or log_say, cmd "") writes to fd 2, read back into out. */
static void
err_line(const char *cmd, const char *text, char *out, size_t cap)
{
	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n = 0;

	out[0] = '\0';
	if (f == NULL || saved < 0 || dup2(fileno(f), STDERR_FILENO) < 0)
		return;
	if (cmd != NULL && cmd[0] == '\0')
		log_say("%s", text);
	else
		log_err(cmd, "%s", text);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(f);
	n = fread(out, 1, cap - 1, f);
	out[n] = '\0';
	fclose(f);
}

/* Error lines on stderr: one writer, the same redaction as log lines,
 * control bytes escaped (a crafted argument cannot forge a line), one
 * newline at the end. */
static void
test_err(void)
{
	char out[4096];

	err_line("run", "--api-url must be an https:// URL: http://u:PASS@h/x"
	    "?token=TOK", out, sizeof out);
	CHECK(strcmp(out, "repodigest run: --api-url must be an https:// URL: "
	    "http://***@h/x?***\n") == 0, "usage line: %s", out);
	err_line(NULL, "Bad S3 configuration: s3://u:PASS@bkt/x?token=T: bad",
	    out, sizeof out);
	CHECK(strcmp(out, "repodigest: Bad S3 configuration: s3://***@bkt/x?***:"
	    " bad\n") == 0, "no command: %s", out);
	err_line(NULL, "a\nrepodigest: forged\x1b[2J", out, sizeof out);
	CHECK(strcmp(out, "repodigest: a\\x0arepodigest: forged\\x1b[2J\n") ==
	    0, "control bytes: %s", out);
	err_line("", "index: o/r: 3 files", out, sizeof out);
	CHECK(strcmp(out, "index: o/r: 3 files\n") == 0, "log_say: %s", out);
}

int
main(void)
{
	static const char *const kv[] = {
		"feed", "https://h.example/repos.json?token=abc123",
		"url", "https://user:pw@h.example:8443/o/r.tar.gz",
		"error", "https://h.example/x?sig=zz: HTTP 404 not found",
		"plain", "no URL here: a?b@c",
		"key", "value s3cr3t-key end",
		NULL
	};
	char out[4096];

	line(LOG_JSON, "fetch \"https://a:b@h.example/p?q=1\" failed", kv,
	    out, sizeof out);
	CHECK(strstr(out, "abc123") == NULL && strstr(out, ":pw@") == NULL &&
	    strstr(out, "sig=zz") == NULL && strstr(out, "a:b@") == NULL &&
	    strstr(out, "q=1") == NULL, "json: a secret survived: %s", out);
	CHECK(strstr(out, "\"feed\":\"https://h.example/repos.json?***\"") !=
	    NULL, "json feed: %s", out);
	CHECK(strstr(out, "\"url\":\"https://***@h.example:8443/o/r.tar.gz\"")
	    != NULL, "json url: %s", out);
	/* the ": " after a URL is the message's, kept through the redaction */
	CHECK(strstr(out, "\"error\":\"https://h.example/x?***: HTTP 404 not "
	    "found\"") != NULL, "json error value: %s", out);
	CHECK(strstr(out, "\"message\":\"fetch \\\"https://***@h.example/p?***"
	    "\\\" failed\"") != NULL, "json message: %s", out);
	CHECK(strstr(out, "\"plain\":\"no URL here: a?b@c\"") != NULL,
	    "text without a URL is left alone: %s", out);
	CHECK(strstr(out, "\"key\":\"value [REDACTED] end\"") != NULL,
	    "registered secret: %s", out);
	CHECK(strncmp(out, "{\"timestamp\":\"", 14) == 0 &&
	    strstr(out, "\"level\":\"warn\",\"severity\":\"WARNING\"") != NULL &&
	    strstr(out, "\"context\":{\"operation\":\"op\",\"metadata\":{\"feed\":")
	    != NULL && strcmp(out + strlen(out) - 4, "}}}\n") == 0,
	    "json shape: %s", out);

	line(LOG_TEXT, "see https://h.example/p?token=t0k and more", kv, out,
	    sizeof out);
	CHECK(strstr(out, "t0k") == NULL && strstr(out, "abc123") == NULL &&
	    strstr(out, ":pw@") == NULL, "text: a secret survived: %s", out);
	CHECK(strstr(out, " warn  see https://h.example/p?*** and more feed="
	    "https://h.example/repos.json?*** url=https://***@h.example:8443/"
	    "o/r.tar.gz ") != NULL, "text shape: %s", out);
	CHECK(strstr(out, " key=value [REDACTED] end\n") != NULL,
	    "text secret: %s", out);

	/* prose punctuation after a URL stays, the query does not */
	line(LOG_TEXT, "got https://u:pw@h.example/a?k=v1: bad (via "
	    "http://h.example/b?k=v2), then http://h.example/c?k=v3; and "
	    "http://h.example/d?k=v4.", NULL, out, sizeof out);
	CHECK(strstr(out, " got https://***@h.example/a?***: bad (via "
	    "http://h.example/b?***), then http://h.example/c?***; and "
	    "http://h.example/d?***.\n") != NULL && strstr(out, "v1") == NULL &&
	    strstr(out, "v2") == NULL && strstr(out, "v3") == NULL &&
	    strstr(out, "v4") == NULL && strstr(out, ":pw@") == NULL,
	    "punctuation: %s", out);

	/* no "://" at all, or one without a scheme */
	line(LOG_TEXT, "://x?y a://b@c", NULL, out, sizeof out);
	CHECK(strstr(out, " ://x?*** a://***@c\n") != NULL, "odd: %s", out);
	test_err();
	return T_DONE();
}
