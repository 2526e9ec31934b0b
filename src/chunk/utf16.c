/*
 * utf16.c - UTF-8 to UTF-16 units. See utf16.h.
 */
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "utf16.h"

int
utf16_dec1(const uint8_t *p, size_t n, uint32_t *cp)
{
	uint32_t c = p[0], min;
	int len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, c &= 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, c &= 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, c &= 0x07, min = 0x10000;
	else
		return -1;
	for (int i = 1; i < len; i++) {
		if ((size_t)i >= n)
			return 0;
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		c = c << 6 | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*cp = c;
	return len;
}

size_t
utf16_from_utf8(uint16_t *u, size_t *un, const uint8_t *p, size_t n, int final)
{
	size_t i = 0, k = *un;
	uint32_t c;
	int len;

	while (i < n) {
#ifdef __SSE2__
		/* 16 ASCII bytes at a time */
		if (n - i >= 16) {
			__m128i x = _mm_loadu_si128((const __m128i *)(p + i));
			if (_mm_movemask_epi8(x) == 0) {
				__m128i z = _mm_setzero_si128();
				_mm_storeu_si128((__m128i *)(u + k),
				    _mm_unpacklo_epi8(x, z));
				_mm_storeu_si128((__m128i *)(u + k + 8),
				    _mm_unpackhi_epi8(x, z));
				k += 16;
				i += 16;
				continue;
			}
		}
#endif
		if (p[i] < 0x80) {
			u[k++] = p[i++];
			continue;
		}
		len = utf16_dec1(p + i, n - i, &c);
		if (len == 0 && !final)
			break;
		if (len <= 0) {
			c = 0xfffd;
			len = 1;
		}
		if (c >= 0x10000) {
			c -= 0x10000;
			u[k++] = (uint16_t)(0xd800 | c >> 10);
			u[k++] = (uint16_t)(0xdc00 | (c & 0x3ff));
		} else {
			u[k++] = (uint16_t)c;
		}
		i += (size_t)len;
	}
	*un = k;
	return i;
}
