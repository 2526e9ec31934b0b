/*
 * utf8.c - strict UTF-8 validation, Python's decode-error wording, and the
 * str.lower() sort key. See utf8.h.
 *
 * Validation is one small state machine shared by the one-shot and the
 * streaming checker: a lead byte fixes the sequence length and the allowed
 * range of the *second* byte (that is where overlongs, surrogates and code
 * points above U+10FFFF are excluded, RFC 3629 section 4); later bytes only
 * need to be continuation bytes. The streaming checker keeps at most 3
 * pending bytes, so a file can be fed in any split and the verdict and
 * message do not change.
 *
 * Error ranges follow CPython's decoder (Objects/stringlib/codecs.h and
 * unicode_decode_utf8() in unicodeobject.c): an invalid start byte is a range
 * of one byte; an invalid continuation covers the lead byte plus the valid
 * continuation bytes before the bad one; a sequence cut by the end of input
 * covers all its remaining bytes ("unexpected end of data").
 *
 * The lower-case key uses tables generated from Python itself
 * (scripts/gen-lower-table.py -> utf8_lower.h, about 7 KiB) and applies
 * Python's final-sigma rule. No allocation anywhere in this file.
 */
#include <stdio.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "utf8.h"
#include "utf8_lower.h"
#include "utf8enc.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The ASCII run from p[i]: the first index from i on (below n) whose byte
 * has its high bit set, or n. Every text byte of a digest goes through here
 * (twice: the first KiB's check and the stream's), nearly all of it ASCII:
 * 32 bytes a test with SSE2 (every x86-64), 8 without.
 */
static size_t
ascii_end(const uint8_t *p, size_t i, size_t n)
{
#ifdef __SSE2__
	while (n - i >= 32) {
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_loadu_si128((const __m128i *)(p + i)),
		    _mm_loadu_si128((const __m128i *)(p + i + 16))));
		if (m != 0)
			break;
		i += 32;
	}
#endif
	while (n - i >= 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		if (w & 0x8080808080808080ull)
			break;
		i += 8;
	}
	while (i < n && p[i] < 0x80)
		i++;
	return i;
}

/* ------------------------------------------------------------ validation */

/*
 * Length of the sequence a lead byte starts (1..4), or 0 if the byte cannot
 * start one: 80..BF are continuations, C0/C1 only make overlongs, F5..FF would
 * encode past U+10FFFF. Python calls all of these "invalid start byte".
 */
static int
seq_len(uint8_t b)
{
	if (b < 0x80)
		return 1;
	if (b < 0xC2)
		return 0;
	if (b < 0xE0)
		return 2;
	if (b < 0xF0)
		return 3;
	if (b < 0xF5)
		return 4;
	return 0;
}

/*
 * 1 if c may follow lead at offset k (k >= 1) of the sequence. Only the second
 * byte has a narrowed range: E0 A0.. (no overlong), ED ..9F (no surrogates),
 * F0 90.. (no overlong), F4 ..8F (nothing above U+10FFFF).
 */
static int
cont_ok(uint8_t lead, int k, uint8_t c)
{
	if (c < 0x80 || c > 0xBF)
		return 0;
	if (k != 1)
		return 1;
	switch (lead) {
	case 0xE0:
		return c >= 0xA0;
	case 0xED:
		return c <= 0x9F;
	case 0xF0:
		return c >= 0x90;
	case 0xF4:
		return c <= 0x8F;
	}
	return 1;
}

/* see utf8.h */
int
utf8_valid(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		int len;

		if (p[i] < 0x80) {
			i = ascii_end(p, i, n);
			continue;
		}
		len = seq_len(p[i]);
		if (len == 0 || (size_t)len > n - i)
			return 0;
		for (int k = 1; k < len; k++)
			if (!cont_ok(p[i], k, p[i + k]))
				return 0;
		i += (size_t)len;
	}
	return 1;
}

/*
 * Record the first error. start is the absolute offset of the first byte of
 * the range, len its length (>= 1), first the byte at start. The wording is
 * CPython's UnicodeDecodeError.__str__.
 */
static void
v_fail(struct utf8v *v, uint64_t start, int len, uint8_t first,
    const char *why)
{
	v->bad = 1;
	if (len == 1)
		snprintf(v->msg, sizeof v->msg, "'utf-8' codec can't decode "
		    "byte 0x%02x in position %llu: %s", first,
		    (unsigned long long)start, why);
	else
		snprintf(v->msg, sizeof v->msg, "'utf-8' codec can't decode "
		    "bytes in position %llu-%llu: %s",
		    (unsigned long long)start,
		    (unsigned long long)(start + (uint64_t)len - 1), why);
}

/* see utf8.h */
void
utf8v_init(struct utf8v *v)
{
	memset(v, 0, sizeof *v);
}

/* see utf8.h */
void
utf8v_feed(struct utf8v *v, const uint8_t *p, size_t n)
{
	size_t i = 0;

	if (v->bad) {
		v->pos += n;
		return;
	}
	while (i < n) {
		uint8_t c = p[i];

		if (v->seqlen == 0) {
			/* ASCII fast path: most text files are mostly ASCII */
			if (c < 0x80) {
				i = ascii_end(p, i, n);
				continue;
			}
			v->need = seq_len(c);
			if (v->need == 0) {
				v_fail(v, v->pos + i, 1, c,
				    "invalid start byte");
				break;
			}
			v->seq[0] = c;
			v->seqlen = 1;
			i++;
			continue;
		}
		if (!cont_ok(v->seq[0], v->seqlen, c)) {
			/*
			 * The bad byte is not part of the range: CPython
			 * reports lead + the valid continuations seen so far,
			 * and resumes decoding at the bad byte.
			 */
			v_fail(v, v->pos + i - (uint64_t)v->seqlen,
			    v->seqlen, v->seq[0], "invalid continuation byte");
			break;
		}
		v->seq[v->seqlen++] = c;
		if (v->seqlen == v->need)
			v->seqlen = v->need = 0;
		i++;
	}
	v->pos += n;
}

/* see utf8.h */
void
utf8v_end(struct utf8v *v)
{
	/* A pending sequence was cut by the end of the file: every byte is a
	 * valid prefix, so CPython's range runs to the end of the input. */
	if (!v->bad && v->seqlen > 0)
		v_fail(v, v->pos - (uint64_t)v->seqlen, v->seqlen, v->seq[0],
		    "unexpected end of data");
	v->seqlen = v->need = 0;
}

/* ------------------------------------------------------------ lower-case */

/* Decode the valid sequence at p (caller checked validity); sets *len. */
static uint32_t
decode_at(const uint8_t *p, int *len)
{
	int n = seq_len(p[0]);
	uint32_t cp;

	*len = n;
	switch (n) {
	case 2:
		cp = p[0] & 0x1Fu;
		break;
	case 3:
		cp = p[0] & 0x0Fu;
		break;
	case 4:
		cp = p[0] & 0x07u;
		break;
	default:
		return p[0];
	}
	for (int k = 1; k < n; k++)
		cp = cp << 6 | (p[k] & 0x3Fu);
	return cp;
}

/* Decode the code point that ends just before p[i] (i > 0, valid input). */
static uint32_t
decode_before(const uint8_t *p, size_t i, size_t *start)
{
	int len;

	i--;
	while (i > 0 && (p[i] & 0xC0) == 0x80)
		i--;
	*start = i;
	return decode_at(p + i, &len);
}

static int
in_ranges(const struct utf8_lower_range *r, size_t n, uint32_t cp)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cp < r[mid].lo)
			hi = mid;
		else if (cp > r[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

/* Single-code-point lower case of cp (the runs table), cp if unchanged. */
static uint32_t
lower1(uint32_t cp)
{
	size_t lo = 0, hi = NELEM(utf8_lower_runs);

	/* last run whose first <= cp */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (utf8_lower_runs[mid].first <= cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0) {
		const struct utf8_lower_run *r = &utf8_lower_runs[lo - 1];
		uint32_t off = cp - r->first;

		if (off % r->step == 0 && off / r->step < r->count)
			return (uint32_t)((int32_t)cp + r->delta);
	}
	return cp;
}

/* The one-to-many lower case of cp (U+0130 only, in Unicode 14), or NULL. */
static const uint8_t *
lower_multi(uint32_t cp, size_t *len)
{
	for (size_t m = 0; m < NELEM(utf8_lower_multis); m++) {
		if (utf8_lower_multis[m].cp == cp) {
			*len = utf8_lower_multis[m].len;
			return utf8_lower_multis[m].utf8;
		}
	}
	return NULL;
}

/*
 * Python's Final_Sigma context (unicodeobject.c handle_capital_sigma): the
 * capital sigma at [i, i+len) becomes final sigma when, skipping
 * case-ignorable characters, a cased character comes before it and none comes
 * after it.
 */
static int
final_sigma(const uint8_t *p, size_t n, size_t i, int len)
{
	size_t j = i, start;
	uint32_t c;
	int found = 0, clen;

	while (j > 0) {
		c = decode_before(p, j, &start);
		j = start;
		if (!in_ranges(utf8_lower_ignorable,
		    NELEM(utf8_lower_ignorable), c)) {
			found = in_ranges(utf8_lower_cased,
			    NELEM(utf8_lower_cased), c);
			break;
		}
	}
	if (!found)
		return 0;
	for (j = i + (size_t)len; j < n; j += (size_t)clen) {
		c = decode_at(p + j, &clen);
		if (!in_ranges(utf8_lower_ignorable,
		    NELEM(utf8_lower_ignorable), c))
			return !in_ranges(utf8_lower_cased,
			    NELEM(utf8_lower_cased), c);
	}
	return 1;
}

/* see utf8.h */
uint32_t
utf8_lower_cp(uint32_t cp)
{
	return cp == 0x0130 ? 'i' : lower1(cp);
}

/* see utf8.h */
size_t
utf8_lower_key(const uint8_t *name, size_t n, uint8_t *out, size_t cap)
{
	size_t i = 0, o = 0;

	if (!utf8_valid(name, n)) {
		if (n > cap)
			return (size_t)-1;
		memcpy(out, name, n);
		return n;
	}
	while (i < n) {
		uint8_t tmp[11];
		const uint8_t *src = tmp;
		size_t tlen;
		int len;
		uint32_t cp;

		if (name[i] < 0x80) {
			/* ASCII: the common case, no table lookup */
			tmp[0] = name[i] >= 'A' && name[i] <= 'Z' ?
			    (uint8_t)(name[i] + 32) : name[i];
			tlen = 1;
			len = 1;
		} else {
			cp = decode_at(name + i, &len);
			if (cp == 0x03A3) {
				tlen = utf8_encode(final_sigma(name, n, i, len) ?
				    0x03C2 : 0x03C3, tmp);
			} else if ((src = lower_multi(cp, &tlen)) == NULL) {
				src = tmp;
				tlen = utf8_encode(lower1(cp), tmp);
			}
		}
		if (tlen > cap - o)
			return (size_t)-1;
		memcpy(out + o, src, tlen);
		o += tlen;
		i += (size_t)len;
	}
	return o;
}
