/*
 * utf8cut.c - the longest prefix that ends on a character boundary. See utf8cut.h.
 */
#include <stdint.h>

#include "utf8cut.h"

/* see utf8cut.h */
size_t
utf8cut(const void *v, size_t n)
{
	const uint8_t *p = v;
	size_t back, need;
	uint8_t c;

	for (back = 1; back <= 4 && back <= n; back++) {
		c = p[n - back];
		if ((c & 0xC0) == 0x80)
			continue;       /* continuation: keep looking for the lead */
		if (c < 0x80)
			need = 1;
		else if ((c & 0xE0) == 0xC0)
			need = 2;
		else if ((c & 0xF0) == 0xE0)
			need = 3;
		else if ((c & 0xF8) == 0xF0)
			need = 4;
		else
			return n;       /* not UTF-8 anyway: cut where asked */
		return need > back ? n - back : n;
	}
	return n;
}
