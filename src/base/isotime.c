/*
 * isotime.c - see isotime.h. Seconds only: the stored value is compared and
 * sorted as text (report merges take the earliest start and latest finish), so
 * every writer must use this one fixed-width form.
 */
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
