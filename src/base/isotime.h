/*
 * isotime.h - the current time as ISO 8601 UTC text, the one spelling used in
 * stored metadata (processedat), run reports (started, finished) and state.
 */
#ifndef ISOTIME_H
#define ISOTIME_H

#include <stddef.h>
#include <stdint.h>

#define ISOTIME_LEN 21          /* "2025-01-31T12:00:00Z" and its NUL */

/*
 * Write the current UTC time as "YYYY-MM-DDTHH:MM:SSZ" into buf (cap >=
 * ISOTIME_LEN; a smaller buffer gets "" rather than a cut date). Thread-safe
 * (gmtime_r). Returns buf.
 */
char *isotime_now(char *buf, size_t cap);

#define ISOTIME_MS_LEN 25       /* "2025-01-31T12:00:00.123Z" and its NUL */

/* The current time in milliseconds since the epoch (CLOCK_REALTIME). */
int64_t isotime_ms_now(void);

/*
 * Write ms (milliseconds since the epoch) as "YYYY-MM-DDTHH:MM:SS.mmmZ" into
 * buf (cap >= ISOTIME_MS_LEN); "" for ms <= 0 or a smaller buffer: the one
 * spelling of the service's timestamps and of log lines. Returns buf.
 */
char *isotime_ms(int64_t ms, char *buf, size_t cap);

#endif
