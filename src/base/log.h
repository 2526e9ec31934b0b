/*
 * log.h - the run's log lines: one JSON object per line in the seed's shape,
 *   {"timestamp","level","severity","message","context":{"operation","metadata"}}
 * (severity added so Cloud Logging grades lines), or plain text for people.
 * The only module that formats log lines. Thread-safe (one mutex).
 *
 * LOG_TTY is for a person at a terminal: plain text lines, but only the
 * notable ones (LOG_NOTE and up: the start, warnings, errors, the summary),
 * printed above one status line that log_status rewrites in place
 * ("\r" + erase to end of line). LOG_NOTE lines are "info" in JSON and text.
 *
 * Redaction: every registered secret (S3 secret key, session token, GitHub
 * token) is replaced by "[REDACTED]" wherever it appears in a message or a
 * value, as a last line of defence: callers never pass secrets on purpose.
 * Every URL ("scheme://...") in a message or value is shown through
 * url_redact() (url.h): its userinfo and query become "***".
 */
#ifndef LOG_H
#define LOG_H

#include <pthread.h>
#include <stdio.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_NOTE, LOG_WARN, LOG_ERROR };
enum log_format { LOG_TEXT, LOG_JSON, LOG_TTY };

#define LOG_SECRETS_MAX 8

struct log {
	FILE *f;
	int json;
	int tty;                        /* LOG_TTY: status line below the lines */
	int cols;                       /* terminal width */
	char status[256];               /* the status line shown, or "" */
	enum log_level min;
	pthread_mutex_t mu;
	const char *secrets[LOG_SECRETS_MAX];
	size_t nsecrets;
};

/* format: enum log_format; LOG_TTY writes to stdout (f must be stdout). */
void log_init(struct log *l, FILE *f, int format);
/* Width of the terminal on fd, or 0 when fd is not a terminal. */
int log_term_cols(int fd);
void log_free(struct log *l);
/* Register a secret to redact (ignored if NULL or shorter than 4 bytes). */
void log_add_secret(struct log *l, const char *s);
/*
 * One line. kv is a NULL-terminated list of key, value, key, value ...
 * (values are strings; may be NULL for none).
 */
void log_msg(struct log *l, enum log_level lv, const char *operation,
    const char *message, const char *const *kv);
/*
 * One error line on standard error for whoever ran the command:
 * "repodigest[ CMD]: " and fmt's text with every URL in it shown through
 * url_redact() (userinfo, query and fragment as "***", as in log lines) and
 * control bytes as \xNN, in one write. The one writer of error lines: usage
 * errors, commands' failures, a run's fatal errors and hints. cmd may be
 * NULL ("repodigest: ...").
 */
void log_err(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A line on standard error as log_err writes it, without the "repodigest:"
 * prefix: a command's account of what it did (index's lines). */
void log_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * LOG_TTY only (else ignored): show s as the status line, replacing the one
 * shown (cut to the terminal's width); "" clears it.
 */
void log_status(struct log *l, const char *s);

#endif
