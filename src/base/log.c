/*
 * log.c - JSON-lines and text log lines with redaction. See log.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "isotime.h"
#include "jsonstr.h"
#include "log.h"
#include "url.h"
#include "utf8cut.h"

static const char *const level_name[] = { "debug", "info", "info", "warn",
    "error" };
static const char *const severity_name[] = { "DEBUG", "INFO", "INFO",
    "WARNING", "ERROR" };
/* carriage return, then erase to the end of the line (ECMA-48 EL) */
#define ERASE_LINE "\r\033[K"

/* see log.h */
int
log_term_cols(int fd)
{
	struct winsize ws;

	if (ioctl(fd, TIOCGWINSZ, &ws) != 0)
		return 0;
	return ws.ws_col > 0 ? ws.ws_col : 80;  /* a pty nobody sized */
}

/* see log.h */
void
log_init(struct log *l, FILE *f, int format)
{
	memset(l, 0, sizeof *l);
	l->f = f;
	l->json = format == LOG_JSON;
	l->tty = format == LOG_TTY;
	l->min = l->tty ? LOG_NOTE : LOG_INFO;
	l->cols = log_term_cols(STDOUT_FILENO);
	pthread_mutex_init(&l->mu, NULL);
}

void
log_free(struct log *l)
{
	pthread_mutex_destroy(&l->mu);
}

void
log_add_secret(struct log *l, const char *s)
{
	if (s != NULL && strlen(s) >= 4 && l->nsecrets < LOG_SECRETS_MAX)
		l->secrets[l->nsecrets++] = s;
}

/* Length of a registered secret starting at s (n bytes left), or 0. */
static size_t
secret_at(const struct log *l, const char *s, size_t n)
{
	for (size_t i = 0; i < l->nsecrets; i++) {
		size_t k = strlen(l->secrets[i]);
		if (k <= n && memcmp(s, l->secrets[i], k) == 0)
			return k;
	}
	return 0;
}

/* Text lines: control bytes as \xNN (a crafted name cannot forge a line
 * or a terminal escape); JSON lines: jsonstr's escapes. */
static void
put_plain(const struct log *l, const char *s, size_t n, int json)
{
	if (json) {
		jsonstr_write(s, n, JSONSTR_DEL, jsonstr_put_file, l->f);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			fprintf(l->f, "\\x%02x", c);
		else
			fputc(c, l->f);
	}
}

/* n bytes of s, registered secrets redacted, the rest as put_plain(). */
static void
put_raw(const struct log *l, const char *s, size_t n, int json)
{
	size_t start = 0;

	for (size_t i = 0; i < n; i++) {
		size_t k = secret_at(l, s + i, n - i);
		if (k == 0)
			continue;
		put_plain(l, s + start, i - start, json);
		fputs("[REDACTED]", l->f);
		i += k - 1;
		start = i + 1;
	}
	put_plain(l, s + start, n - start, json);
}

/*
 * Every URL in s, found and redacted: emit(ctx, p, n) gets the text between
 * URLs as it is and each URL through url_redact(), so a URL's userinfo and
 * query never reach a log or error line, whoever built the message. A URL
 * is the word around a "://", between white space, quotes or angle
 * brackets (none of which a URL holds: RFC 3986 appendix C), less the
 * punctuation that ends a word in prose (":,;.)": at worst a query's last
 * byte is shown, when it is one of those); a word longer than URL_MAX is
 * shown redacted up to there and cut, so that no query past the cut slips
 * through.
 */
static void
each_redacted(const char *s, void (*emit)(void *ctx, const char *p, size_t n),
    void *ctx)
{
	static const char delim[] = " \t\r\n\"'<>";
	char url[URL_MAX + 1], red[URL_MAX + 8];
	const char *at, *b;
	size_t n;

	while (s != NULL && (at = strstr(s, "://")) != NULL) {
		for (b = at; b > s && strchr(delim, b[-1]) == NULL; b--)
			;
		emit(ctx, s, (size_t)(b - s));
		n = strcspn(b, delim);
		/* punctuation a message puts right after a URL ("URL: cause",
		 * "(via URL)") is not the URL's: redacting it with a query
		 * would swallow it ("x.tar.gz?*** HTTP 404") */
		while (n > 0 && strchr(":,;.)", b[n - 1]) != NULL)
			n--;
		snprintf(url, sizeof url, "%.*s", (int)n, b);
		url_redact(url, red, sizeof red);
		emit(ctx, red, strlen(red));
		s = b + n;
	}
	if (s != NULL)
		emit(ctx, s, strlen(s));
}

struct put_ctx {
	const struct log *l;
	int json;
};

static void
put_piece(void *ctx, const char *p, size_t n)
{
	const struct put_ctx *pc = ctx;

	put_raw(pc->l, p, n, pc->json);
}

/* put_raw() with every URL in s redacted (each_redacted). */
static void
put_str(const struct log *l, const char *s, int json)
{
	struct put_ctx pc = { l, json };

	if (json)
		fputc('"', l->f);
	each_redacted(s, put_piece, &pc);
	if (json)
		fputc('"', l->f);
}

/* An error line being built: escaped, cut at its cap. */
struct line {
	char b[2048];
	size_t n;
};

static void
line_piece(void *ctx, const char *p, size_t n)
{
	struct line *ln = ctx;

	for (size_t i = 0; i < n && ln->n + 5 < sizeof ln->b; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c < 0x20 || c == 0x7f)
			ln->n += (size_t)snprintf(ln->b + ln->n,
			    sizeof ln->b - ln->n, "\\x%02x", c);
		else
			ln->b[ln->n++] = (char)c;
	}
}

/* prefix, then fmt's text redacted and escaped, as one line on stderr */
static void err_line(const char *prefix, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void
err_line(const char *prefix, const char *fmt, va_list ap)
{
	struct line ln;
	char text[2048];

	vsnprintf(text, sizeof text, fmt, ap);
	ln.n = 0;
	line_piece(&ln, prefix, strlen(prefix));
	each_redacted(text, line_piece, &ln);
	ln.b[ln.n++] = '\n';
	/* one write: lines of threads and processes do not interleave */
	fflush(stderr);
	(void)!write(STDERR_FILENO, ln.b, ln.n);
}

/* see log.h */
void
log_err(const char *cmd, const char *fmt, ...)
{
	char prefix[64];
	va_list ap;

	snprintf(prefix, sizeof prefix, "repodigest%s%s: ",
	    cmd != NULL ? " " : "", cmd != NULL ? cmd : "");
	va_start(ap, fmt);
	err_line(prefix, fmt, ap);
	va_end(ap);
}

/* see log.h */
void
log_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_line("", fmt, ap);
	va_end(ap);
}

void
log_msg(struct log *l, enum log_level lv, const char *operation,
    const char *message, const char *const *kv)
{
	char ts[40];

	if (lv < l->min)
		return;
	isotime_ms(isotime_ms_now(), ts, sizeof ts);
	pthread_mutex_lock(&l->mu);
	if (l->status[0])
		fputs(ERASE_LINE, l->f);
	if (l->json) {
		fprintf(l->f, "{\"timestamp\":\"%s\",\"level\":\"%s\","
		    "\"severity\":\"%s\",\"message\":", ts, level_name[lv],
		    severity_name[lv]);
		put_str(l, message, 1);
		fputs(",\"context\":{\"operation\":", l->f);
		put_str(l, operation, 1);
		fputs(",\"metadata\":{", l->f);
	} else {
		fprintf(l->f, "%s %-5s ", ts, level_name[lv]);
		put_str(l, message, 0);
	}
	/* "k":"v","k":"v" or  k=v k=v */
	for (size_t i = 0; kv != NULL && kv[i] != NULL; i += 2) {
		if (i > 0 || !l->json)
			fputc(l->json ? ',' : ' ', l->f);
		put_str(l, kv[i], l->json);
		fputc(l->json ? ':' : '=', l->f);
		put_str(l, kv[i + 1] ? kv[i + 1] : "", l->json);
	}
	fputs(l->json ? "}}}\n" : "\n", l->f);
	fputs(l->status, l->f);         /* the status line stays below */
	fflush(l->f);
	pthread_mutex_unlock(&l->mu);
}

/* see log.h */
void
log_status(struct log *l, const char *s)
{
	size_t n = strlen(s), max = (size_t)l->cols - 1;

	if (!l->tty)
		return;
	if (max >= sizeof l->status)
		max = sizeof l->status - 1;
	/* bytes over-count columns, so the line never wraps; never cut a
	 * UTF-8 sequence in two */
	if (n > max)
		n = utf8cut(s, max);
	pthread_mutex_lock(&l->mu);
	memcpy(l->status, s, n);
	l->status[n] = '\0';
	fputs(ERASE_LINE, l->f);
	fputs(l->status, l->f);
	fflush(l->f);
	pthread_mutex_unlock(&l->mu);
}
