/*
 * test_gz.c - gz push stage: known streams fed whole, byte by byte and split
 * at every offset (with output buffers of 1, 7 and 4096 bytes), and one small
 * crafted stream per error path with the exact expected code.
 *
 * Streams are made at test time with zlib's deflate: deflateInit2 with 31
 * window bits for ordinary gzip members (deflateSetHeader for FEXTRA, FNAME,
 * FCOMMENT and FHCRC), and raw deflate plus a hand-built header and trailer
 * where a test needs to break the framing.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "err.h"
#include "gz.h"
#include "t.h"

#define CAP (1u << 16)

struct out {
	uint8_t b[CAP];
	size_t n;
	uint64_t total;         /* may exceed n: bombs are counted, not kept */
};

static struct out O;

/* ------------------------------------------------------------ makers */

/* One gzip member of src made by zlib itself; head may be NULL. */
static size_t
zgzip(const void *src, size_t n, gz_header *head, uint8_t *dst, size_t cap)
{
	z_stream zs;
	size_t len;

	memset(&zs, 0, sizeof zs);
	if (deflateInit2(&zs, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	if (head != NULL && deflateSetHeader(&zs, head) != Z_OK)
		abort();
	zs.next_in = (Bytef *)(uintptr_t)src;
	zs.avail_in = (uInt)n;
	zs.next_out = dst;
	zs.avail_out = (uInt)cap;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
		abort();
	len = cap - zs.avail_out;
	deflateEnd(&zs);
	return len;
}

/* Raw deflate of src (no framing). */
static size_t
zraw(const void *src, size_t n, uint8_t *dst, size_t cap)
{
	z_stream zs;
	size_t len;

	memset(&zs, 0, sizeof zs);
	if (deflateInit2(&zs, 6, Z_DEFLATED, -15, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	zs.next_in = (Bytef *)(uintptr_t)src;
	zs.avail_in = (uInt)n;
	zs.next_out = dst;
	zs.avail_out = (uInt)cap;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
		abort();
	len = cap - zs.avail_out;
	deflateEnd(&zs);
	return len;
}

static void
le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/*
 * A member with a hand-made header: flags as given; FEXTRA/FNAME/FCOMMENT
 * contents are fixed test strings; FHCRC computed unless bad_hcrc.
 */
static size_t
member(uint8_t flags, int bad_hcrc, const char *src, uint8_t *dst)
{
	size_t n = 0, sn = strlen(src);
	uint32_t crc;

	dst[n++] = 0x1f;
	dst[n++] = 0x8b;
	dst[n++] = 8;
	dst[n++] = flags;
	le32(dst + n, 0x5f000000u);
	n += 4;
	dst[n++] = 2;
	dst[n++] = 3;
	if (flags & 0x04) {
		static const uint8_t x[] = { 'A', 'B', 3, 0, 1, 2, 3 };
		dst[n++] = sizeof x;
		dst[n++] = 0;
		memcpy(dst + n, x, sizeof x);
		n += sizeof x;
	}
	if (flags & 0x08) {
		memcpy(dst + n, "name.tar", 9);
		n += 9;
	}
	if (flags & 0x10) {
		memcpy(dst + n, "a comment\n", 11);
		n += 11;
	}
	if (flags & 0x02) {
		uint32_t h = (uint32_t)crc32(0, dst, (uInt)n);
		if (bad_hcrc)
			h ^= 1;
		dst[n++] = (uint8_t)h;
		dst[n++] = (uint8_t)(h >> 8);
	}
	n += zraw(src, sn, dst + n, 4096);
	crc = (uint32_t)crc32(0, (const Bytef *)src, (uInt)sn);
	le32(dst + n, crc);
	le32(dst + n + 4, (uint32_t)sn);
	return n + 8;
}

/* ------------------------------------------------------------ driver */

/*
 * Push one piece, draining output through an outcap-byte buffer until the
 * piece is consumed and the stage has no more output for it.
 */
static int
feed(struct gz *g, const uint8_t *p, size_t n, size_t outcap)
{
	uint8_t tmp[4096];

	for (;;) {
		size_t c = 0, pr = 0;
		int r = gz_push(g, p, n, &c, tmp, outcap, &pr);

		if (c > n || pr > outcap)
			return -1;
		if (O.n + pr <= CAP) {
			memcpy(O.b + O.n, tmp, pr);
			O.n += pr;
		}
		O.total += pr;
		if (r != 0)
			return r;
		p += c;
		n -= c;
		if (n == 0 && pr < outcap)
			return 0;
		if (c == 0 && pr == 0)
			return -2;      /* no progress: a bug */
	}
}

enum { WHOLE, BYTES, SPLIT };

/* Decode in with a split pattern; returns the first error or gz_finish's. */
static int
decode(const uint8_t *in, size_t n, int mode, size_t at, size_t outcap,
    const struct gz_limits *lim)
{
	struct gz g;
	int r;

	O.n = 0;
	O.total = 0;
	if (gz_init(&g, lim) != 0)
		return -3;
	switch (mode) {
	case WHOLE:
		r = feed(&g, in, n, outcap);
		break;
	case BYTES:
		r = 0;
		for (size_t i = 0; i < n && r == 0; i++)
			r = feed(&g, in + i, 1, outcap);
		break;
	default:
		r = feed(&g, in, at, outcap);
		if (r == 0)
			r = feed(&g, in + at, n - at, outcap);
		break;
	}
	if (r == 0)
		r = gz_finish(&g);
	gz_free(&g);
	return r;
}

/* Decode every way; each must give code want and (if 0) output exp. */
static void
all_ways(const char *what, const uint8_t *in, size_t n, int want,
    const void *exp, size_t expn)
{
	static const size_t caps[] = { 4096, 1, 7 };
	int bad = 0;

	for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
		int r = decode(in, n, WHOLE, 0, caps[c], NULL);
		CHECK(r == want, "%s: whole, outcap %zu: got %d (%s), want %d",
		    what, caps[c], r, err_str(r), want);
		if (want == 0)
			CHECK(O.n == expn && memcmp(O.b, exp, expn) == 0,
			    "%s: whole, outcap %zu: output differs", what,
			    caps[c]);
		r = decode(in, n, BYTES, 0, caps[c], NULL);
		CHECK(r == want, "%s: bytes, outcap %zu: got %d, want %d", what,
		    caps[c], r, want);
		if (want == 0)
			CHECK(O.n == expn && memcmp(O.b, exp, expn) == 0,
			    "%s: bytes, outcap %zu: output differs", what,
			    caps[c]);
	}
	/* every split point; one CHECK for the lot keeps the log short */
	for (size_t at = 0; at <= n; at++) {
		int r = decode(in, n, SPLIT, at, at % 2 ? 7 : 4096, NULL);
		if (r != want || (want == 0 && (O.n != expn ||
		    memcmp(O.b, exp, expn) != 0))) {
			bad++;
			if (bad == 1)
				fprintf(stderr, "%s: split at %zu: got %d\n",
				    what, at, r);
		}
	}
	CHECK(bad == 0, "%s: %d of %zu splits wrong", what, bad, n + 1);
}

/* ------------------------------------------------------------ tests */

static const char text[] =
    "The quick brown fox jumps over the lazy dog.\n"
    "The quick brown fox jumps over the lazy dog.\n"
    "Pack my box with five dozen liquor jugs. 0123456789\n";

static void
test_basic(void)
{
	static uint8_t gz[4096], gz2[8192];
	size_t n = zgzip(text, sizeof text - 1, NULL, gz, sizeof gz), n2;
	char both[2 * sizeof text];

	CHECK(gz_is_gzip(gz, n), "zlib output has the magic");
	CHECK(!gz_is_gzip(gz, 1), "one byte is not enough");
	CHECK(!gz_is_gzip((const uint8_t *)"PK", 2), "zip is not gzip");
	all_ways("plain member", gz, n, 0, text, sizeof text - 1);

	/* empty content is a valid member */
	n2 = zgzip("", 0, NULL, gz2, sizeof gz2);
	all_ways("empty member", gz2, n2, 0, "", 0);

	/* concatenated members (RFC 1952 2.2): outputs concatenate */
	n2 = zgzip("first|", 6, NULL, gz2, sizeof gz2);
	memcpy(gz2 + n2, gz, n);
	n2 += n;
	memcpy(both, "first|", 6);
	memcpy(both + 6, text, sizeof text - 1);
	all_ways("two members", gz2, n2, 0, both, 6 + sizeof text - 1);

	/* trailing zero padding is accepted */
	memcpy(gz2, gz, n);
	memset(gz2 + n, 0, 100);
	all_ways("zero padding", gz2, n + 100, 0, text, sizeof text - 1);
}

static void
test_header_flags(void)
{
	static uint8_t gz[4096];
	gz_header h;
	size_t n;
	uint8_t flags[] = { 0x01, 0x02, 0x04, 0x08, 0x10, 0x1e, 0x1f, 0x06 };

	/* zlib's own writer with every optional field */
	memset(&h, 0, sizeof h);
	h.text = 1;
	h.extra = (Bytef *)(uintptr_t)"XYZ\x01\x00Q";
	h.extra_len = 6;
	h.name = (Bytef *)(uintptr_t)"repo.tar";
	h.comment = (Bytef *)(uintptr_t)"made by test_gz";
	h.hcrc = 1;
	n = zgzip(text, sizeof text - 1, &h, gz, sizeof gz);
	CHECK((gz[3] & 0x1e) == 0x1e, "zlib set all four flags: %02x", gz[3]);
	all_ways("zlib FEXTRA+FNAME+FCOMMENT+FHCRC", gz, n, 0, text,
	    sizeof text - 1);

	/* hand-made headers, one flag at a time and together */
	for (size_t i = 0; i < sizeof flags; i++) {
		char what[64];
		n = member(flags[i], 0, "flagged", gz);
		snprintf(what, sizeof what, "flags %02x", flags[i]);
		all_ways(what, gz, n, 0, "flagged", 7);
	}
}

struct bad {
	const char *what;
	int want;
};

static void
test_errors(void)
{
	static uint8_t gz[8192], tmp[8192];
	size_t n, n1;
	struct gz g;
	size_t c, pr;
	uint8_t ob[64];
	int r;

	n = zgzip(text, sizeof text - 1, NULL, gz, sizeof gz);

	/* not gzip at all */
	all_ways("bad magic 1", (const uint8_t *)"\x1e\x8b\x08\x00", 4,
	    ERR_GZ_MAGIC, NULL, 0);
	all_ways("bad magic 2", (const uint8_t *)"\x1f\x8c\x08\x00", 4,
	    ERR_GZ_MAGIC, NULL, 0);

	/* method other than deflate */
	memcpy(tmp, gz, n);
	tmp[2] = 7;
	all_ways("CM 7", tmp, n, ERR_GZ_HEADER, NULL, 0);

	/* reserved flag bit */
	memcpy(tmp, gz, n);
	tmp[3] |= 0x20;
	all_ways("reserved FLG bit", tmp, n, ERR_GZ_HEADER, NULL, 0);

	/* FHCRC that does not match */
	n1 = member(0x1e, 1, "flagged", tmp);
	all_ways("bad FHCRC", tmp, n1, ERR_GZ_HEADER, NULL, 0);

	/* trailer CRC and ISIZE */
	memcpy(tmp, gz, n);
	tmp[n - 8] ^= 0x40;
	all_ways("bad CRC", tmp, n, ERR_GZ_CRC, NULL, 0);
	memcpy(tmp, gz, n);
	tmp[n - 1] ^= 0x01;
	all_ways("bad ISIZE", tmp, n, ERR_GZ_SIZE, NULL, 0);

	/* BTYPE 11 is reserved (RFC 1951 3.2.3) */
	memcpy(tmp, gz, 10);
	tmp[10] = 0x07;
	memset(tmp + 11, 0, 16);
	all_ways("reserved BTYPE", tmp, 27, ERR_GZ_DATA, NULL, 0);

	/* garbage after a member */
	memcpy(tmp, gz, n);
	memcpy(tmp + n, "junk", 4);
	all_ways("trailing garbage", tmp, n + 4, ERR_GZ_MAGIC, NULL, 0);
	memcpy(tmp, gz, n);
	memcpy(tmp + n, "\0\0\0x", 4);
	all_ways("zeros then garbage", tmp, n + 4, ERR_GZ_MAGIC, NULL, 0);
	memcpy(tmp, gz, n);
	tmp[n] = 0;
	memcpy(tmp + n + 1, gz, n);
	all_ways("zero then member", tmp, 2 * n + 1, ERR_GZ_MAGIC, NULL, 0);
	memcpy(tmp, gz, n);
	memcpy(tmp + n, "\x1f\x00", 2);
	all_ways("second magic broken", tmp, n + 2, ERR_GZ_MAGIC, NULL, 0);

	/* truncated: every proper prefix, including empty and a lone 1f
	 * after a whole member */
	{
		int bad = 0;
		for (size_t k = 0; k < n; k++) {
			if (decode(gz, k, WHOLE, 0, 4096, NULL) !=
			    ERR_GZ_TRUNCATED)
				bad++;
			if (decode(gz, k, BYTES, 0, 3, NULL) !=
			    ERR_GZ_TRUNCATED)
				bad++;
		}
		CHECK(bad == 0, "truncated prefixes: %d wrong", bad);
	}
	memcpy(tmp, gz, n);
	tmp[n] = 0x1f;
	all_ways("lone 1f after member", tmp, n + 1, ERR_GZ_TRUNCATED, NULL,
	    0);

	/* errors are sticky and consume nothing */
	gz_init(&g, NULL);
	r = gz_push(&g, (const uint8_t *)"xx", 2, &c, ob, sizeof ob, &pr);
	CHECK(r == ERR_GZ_MAGIC, "first push: %d", r);
	CHECK(g.err_offset == 0, "error offset %llu",
	    (unsigned long long)g.err_offset);
	r = gz_push(&g, gz, n, &c, ob, sizeof ob, &pr);
	CHECK(r == ERR_GZ_MAGIC && c == 0 && pr == 0, "sticky: %d %zu %zu", r,
	    c, pr);
	CHECK(gz_finish(&g) == ERR_GZ_MAGIC, "finish keeps the error");
	gz_free(&g);
	gz_free(&g);            /* twice is safe */

	/* error offset points at the corrupt trailer */
	memcpy(tmp, gz, n);
	tmp[n - 8] ^= 1;
	gz_init(&g, NULL);
	r = gz_push(&g, tmp, n, &c, tmp + n, 4096, &pr);
	CHECK(r == ERR_GZ_CRC, "crc: %d", r);
	CHECK(g.err_offset == n - 1, "crc error offset %llu, want %zu",
	    (unsigned long long)g.err_offset, n - 1);
	gz_free(&g);
}

/* Ratio and size guards, with small limits so the test stays fast. */
static void
test_limits(void)
{
	size_t zn = 8u << 20, n;
	uint8_t *zeros = calloc(1, zn), *gz = malloc(zn);
	struct gz_limits lim;
	int r;

	if (zeros == NULL || gz == NULL)
		abort();
	n = zgzip(zeros, zn, NULL, gz, zn);
	CHECK(n < 64 * 1024, "8 MiB of zeros compress to %zu bytes", n);

	/* defaults: 8 MiB is under the 64 MiB floor, so it passes */
	r = decode(gz, n, WHOLE, 0, 4096, NULL);
	CHECK(r == 0 && O.total == zn, "default limits: %d, %llu bytes", r,
	    (unsigned long long)O.total);

	/* ratio 100:1 judged past 1 MiB: refused before 2 MiB is out */
	memset(&lim, 0, sizeof lim);
	lim.max_ratio = 100;
	lim.ratio_floor = 1u << 20;
	r = decode(gz, n, WHOLE, 0, 4096, &lim);
	CHECK(r == ERR_GZ_RATIO, "ratio: got %d (%s)", r, err_str(r));
	CHECK(O.total < (2u << 20), "ratio stopped after %llu bytes",
	    (unsigned long long)O.total);
	r = decode(gz, n, BYTES, 0, 4096, &lim);
	CHECK(r == ERR_GZ_RATIO, "ratio byte by byte: got %d", r);

	/* ratio 0 = no ratio guard */
	lim.max_ratio = 0;
	r = decode(gz, n, WHOLE, 0, 4096, &lim);
	CHECK(r == 0, "no ratio guard: %d", r);

	/* max_out: one byte over is refused, exact fits */
	lim.max_out = zn - 1;
	r = decode(gz, n, WHOLE, 0, 4096, &lim);
	CHECK(r == ERR_GZ_TOO_BIG, "max_out - 1: %d", r);
	CHECK(O.total <= zn, "max_out overshoot %llu",
	    (unsigned long long)O.total);
	lim.max_out = zn;
	r = decode(gz, n, WHOLE, 0, 4096, &lim);
	CHECK(r == 0, "max_out exact: %d", r);
	lim.max_out = 10;
	r = decode(gz, n, WHOLE, 0, 4096, &lim);
	CHECK(r == ERR_GZ_TOO_BIG && O.total <= 11, "max_out 10: %d, %llu",
	    r, (unsigned long long)O.total);
	free(zeros);
	free(gz);
}

/*
 * gz_crc32 against zlib's crc32(): every length up to 300 and a spread
 * beyond, at 16 alignments, continuing from a random value, and split in two
 * at every offset of a 200-byte buffer (the folded path and zlib's in turn).
 */
static void
test_crc32(void)
{
	static uint8_t buf[4096 + 16];
	uint32_t x = 12345, seed, a, b;
	int bad = 0, runs = 0;

	for (size_t i = 0; i < sizeof buf; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	for (size_t off = 0; off < 16; off++) {
		for (size_t n = 0; n + off <= 4096; n += n < 300 ? 1 : 61) {
			x = x * 1103515245u + 12345u;
			seed = n % 3 == 0 ? 0 : x;
			a = (uint32_t)crc32(seed, buf + off, (uInt)n);
			b = gz_crc32(seed, buf + off, n);
			bad += a != b;
			runs++;
		}
	}
	CHECK(bad == 0, "%d of %d CRC-32s differ from zlib's", bad, runs);
	a = (uint32_t)crc32(0, buf, 200);
	bad = 0;
	for (size_t k = 0; k <= 200; k++)
		bad += gz_crc32(gz_crc32(0, buf, k), buf + k, 200 - k) != a;
	CHECK(bad == 0, "%d splits of 200 bytes differ", bad);
	CHECK(gz_crc32(0, (const uint8_t *)"123456789", 9) == 0xcbf43926u,
	    "check value %08x", gz_crc32(0, (const uint8_t *)"123456789", 9));
}

int
main(void)
{
	test_crc32();
	test_basic();
	test_header_flags();
	test_errors();
	test_limits();
	return T_DONE();
}
