/*
 * log.h - the run's log lines: one JSON object per line in the seed's shape,
 *   {"timestamp","level","severity","message","context":{"operation","metadata"}}
 * (severity added so Cloud Logging grades lines), or plain text for people.
 * The only module that formats log lines. Thread-safe (one mutex).
 *
 * Redaction: every registered secret (S3 secret key, session token, GitHub
 * token) is replaced by "[REDACTED]" wherever it appears in a message or a
 * value, as a last line of defence: callers never pass secrets on purpose.
 */
#ifndef LOG_H
#define LOG_H

#include <pthread.h>
#include <stdio.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

#define LOG_SECRETS_MAX 8

struct log {
	FILE *f;
	int json;
	enum log_level min;
	pthread_mutex_t mu;
	const char *secrets[LOG_SECRETS_MAX];
	size_t nsecrets;
};

void log_init(struct log *l, FILE *f, int json);
void log_free(struct log *l);
/* Register a secret to redact (ignored if NULL or shorter than 4 bytes). */
void log_add_secret(struct log *l, const char *s);
/*
 * One line. kv is a NULL-terminated list of key, value, key, value ...
 * (values are strings; may be NULL for none).
 */
void log_msg(struct log *l, enum log_level lv, const char *operation,
    const char *message, const char *const *kv);

#endif
