/*
 * isotime.c - see isotime.h. Seconds only: the stored value is compared and
 * sorted as text (report merges take the earliest start and latest finish), so
 * every writer must use this one fixed-width form. The millisecond form is for
 * what is read by people and clients (log lines, the service's answers).
 */
#include <stdio.h>
#include <time.h>

#include "isotime.h"

/* see isotime.h */
char *
isotime_now(char *buf, size_t cap)
{
	time_t t = time(NULL);
	struct tm tm;

	if (cap == 0)
		return buf;
	buf[0] = '\0';
	if (cap < ISOTIME_LEN || gmtime_r(&t, &tm) == NULL)
		return buf;
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/* see isotime.h */
int64_t
isotime_ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* see isotime.h */
char *
isotime_ms(int64_t ms, char *buf, size_t cap)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (cap == 0)
		return buf;
	buf[0] = '\0';
	if (ms <= 0 || cap < ISOTIME_MS_LEN || gmtime_r(&t, &tm) == NULL)
		return buf;
	snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	return buf;
}
