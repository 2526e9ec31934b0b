/*
 * isotime.h - the current time as ISO 8601 UTC text, the one spelling used in
 * stored metadata (processedat), run reports (started, finished) and state.
 */
#ifndef ISOTIME_H
#define ISOTIME_H

#include <stddef.h>

#define ISOTIME_LEN 21          /* "2025-01-31T12:00:00Z" and its NUL */

/*
 * Write the current UTC time as "YYYY-MM-DDTHH:MM:SSZ" into buf (cap >=
 * ISOTIME_LEN; a smaller buffer gets "" rather than a cut date). Thread-safe
 * (gmtime_r). Returns buf.
 */
char *isotime_now(char *buf, size_t cap);

#endif
