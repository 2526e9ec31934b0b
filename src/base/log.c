/*
 * log.c - JSON-lines and text log lines with redaction. See log.h.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
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

/* Length of a registered secret starting at s, or 0. */
static size_t
secret_at(const struct log *l, const char *s)
{
	for (size_t i = 0; i < l->nsecrets; i++) {
		size_t n = strlen(l->secrets[i]);
		if (strncmp(s, l->secrets[i], n) == 0)
			return n;
	}
	return 0;
}

/* A string, redacted; JSON-escaped when json (control bytes as \u00XX). */
static void
put_str(const struct log *l, const char *s, int json)
{
	if (json)
		fputc('"', l->f);
	for (; s != NULL && *s; s++) {
		unsigned char c = (unsigned char)*s;
		size_t k = secret_at(l, s);
		if (k > 0) {
			fputs("[REDACTED]", l->f);
			s += k - 1;
		} else if (json && (c == '"' || c == '\\')) {
			fputc('\\', l->f);
			fputc(c, l->f);
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(l->f, json ? "\\u%04x" : "\\x%02x", c);
		} else {
			fputc(c, l->f);
		}
	}
	if (json)
		fputc('"', l->f);
}

void
log_msg(struct log *l, enum log_level lv, const char *operation,
    const char *message, const char *const *kv)
{
	char ts[40];
	struct timespec now;
	struct tm tm;

	if (lv < l->min)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + strlen(ts), sizeof ts - strlen(ts), ".%03ldZ",
	    now.tv_nsec / 1000000);
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
		for (size_t i = 0; kv != NULL && kv[i] != NULL; i += 2) {
			if (i > 0)
				fputc(',', l->f);
			put_str(l, kv[i], 1);
			fputc(':', l->f);
			put_str(l, kv[i + 1] ? kv[i + 1] : "", 1);
		}
		fputs("}}}\n", l->f);
	} else {
		fprintf(l->f, "%s %-5s ", ts, level_name[lv]);
		put_str(l, message, 0);
		for (size_t i = 0; kv != NULL && kv[i] != NULL; i += 2) {
			fputc(' ', l->f);
			put_str(l, kv[i], 0);
			fputc('=', l->f);
			put_str(l, kv[i + 1] ? kv[i + 1] : "", 0);
		}
		fputc('\n', l->f);
	}
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
