/*
 * gz.c - gzip push stage: RFC 1952 framing parsed here, deflate left to zlib.
 *
 * Data flow: gz_push() takes compressed bytes in any split. The member header
 * (magic, method, flags, FEXTRA, FNAME, FCOMMENT, FHCRC) is parsed one byte at
 * a time by a small state machine, so a header cut at any offset needs no
 * buffering beyond the 8-byte scratch in struct gz. The body goes to zlib's raw
 * inflate (no zlib/gzip wrapper: we check the framing ourselves so the errors
 * are ours and exact), and its output goes straight into the caller's buffer
 * while we keep the CRC-32 and the size for the 8-byte trailer. After a member
 * comes another member, zero padding, or the end of input.
 *
 * Limits: a total output cap (max_out) and an expansion-ratio cap judged only
 * past ratio_floor bytes, both checked after every inflate call, so a gzip bomb
 * is stopped after at most one output buffer past the limit. FNAME/FCOMMENT
 * have no length cap because they are skipped, never stored: they cost time
 * linear in the input and no memory.
 */
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define GZ_FOLD
#include <cpuid.h>
#include <immintrin.h>
#endif

#include "err.h"
#include "gz.h"

/* RFC 1952 section 2.3.1 */
#define GZ_ID1      0x1f
#define GZ_ID2      0x8b
#define GZ_CM_DEFL  8
#define GZ_FTEXT    0x01
#define GZ_FHCRC    0x02
#define GZ_FEXTRA   0x04
#define GZ_FNAME    0x08
#define GZ_FCOMMENT 0x10
#define GZ_FRESERVED 0xe0

/* Largest slice handed to zlib at once: its counters are 32-bit (uInt). */
#define GZ_ZCHUNK   (1u << 30)

enum {
	ST_ID1 = 0,     /* first member: must be 1f */
	ST_ID2,         /* 8b */
	ST_FIXED,       /* CM FLG MTIME(4) XFL OS: 8 bytes into hbuf */
	ST_XLEN,        /* 2 bytes */
	ST_EXTRA,       /* hskip bytes */
	ST_NAME,        /* up to and including NUL */
	ST_COMMENT,     /* up to and including NUL */
	ST_HCRC,        /* 2 bytes */
	ST_BODY,        /* raw deflate through zlib */
	ST_TRAILER,     /* CRC32 + ISIZE, little-endian */
	ST_AFTER,       /* a member ended: next member, padding or EOF */
	ST_PADDING      /* only zero bytes may follow */
};

/* ------------------------------------------------------------ CRC-32 */

/*
 * The member's CRC-32 over every inflated byte: with zlib's crc32() (tables,
 * about 2 GB/s here) it was a sixth of the inflater thread's time. Where the
 * CPU has carry-less multiplication (PCLMULQDQ: every x86-64 since 2010, asked
 * at run time), the bulk is folded 64 bytes at a time instead, the method of
 * Intel's white paper "Fast CRC Computation for Generic Polynomials Using
 * PCLMULQDQ Instruction" (2009) for the bit-reflected gzip polynomial: four
 * 128-bit lanes multiplied forward by x^(512+-32) mod P, folded into one,
 * then to 64 bits and Barrett-reduced to 32. Under 64 bytes, and the tail
 * past the last whole 16, stay with zlib. tests/unit/test_gz.c compares the
 * two on every length and alignment.
 */
#ifdef GZ_FOLD
#define CRC_FOLD_MIN 64

/* The folding constants (x^n mod P, bit-reflected, as the paper's
 * appendix gives them) and, last, P itself and the Barrett constant. */
static const uint64_t crc_k[8] __attribute__((aligned(16))) = {
	0x0154442bd4, 0x01c6e41596,     /* x^(4*128+32), x^(4*128-32) */
	0x01751997d0, 0x00ccaa009e,     /* x^(128+32), x^(128-32) */
	0x0163cd6124, 0,                /* x^64 */
	0x01db710641, 0x01f7011641,     /* P, floor(x^64 / P) */
};

/* c: the CRC register (not inverted by the caller: zlib's crc32() value
 * inverted), n >= CRC_FOLD_MIN and a multiple of 16. */
__attribute__((target("pclmul,sse2")))
static uint32_t
crc_fold(uint32_t c, const uint8_t *p, size_t n)
{
	const __m128i lo32 = _mm_setr_epi32(-1, 0, -1, 0);
	__m128i k, a, b, d, e, t;

	a = _mm_xor_si128(_mm_loadu_si128((const __m128i *)p),
	    _mm_cvtsi32_si128((int)c));
	b = _mm_loadu_si128((const __m128i *)(p + 16));
	d = _mm_loadu_si128((const __m128i *)(p + 32));
	e = _mm_loadu_si128((const __m128i *)(p + 48));
	p += 64;
	n -= 64;
	k = _mm_load_si128((const __m128i *)&crc_k[0]);
#define FOLD(x, next) \
	(t = _mm_clmulepi64_si128((x), k, 0x00), \
	 (x) = _mm_clmulepi64_si128((x), k, 0x11), \
	 (x) = _mm_xor_si128(_mm_xor_si128((x), t), (next)))
	for (; n >= 64; p += 64, n -= 64) {
		FOLD(a, _mm_loadu_si128((const __m128i *)p));
		FOLD(b, _mm_loadu_si128((const __m128i *)(p + 16)));
		FOLD(d, _mm_loadu_si128((const __m128i *)(p + 32)));
		FOLD(e, _mm_loadu_si128((const __m128i *)(p + 48)));
	}
	/* four lanes into one, then the remaining 16-byte blocks */
	k = _mm_load_si128((const __m128i *)&crc_k[2]);
	FOLD(a, b);
	FOLD(a, d);
	FOLD(a, e);
	for (; n >= 16; p += 16, n -= 16)
		FOLD(a, _mm_loadu_si128((const __m128i *)p));
#undef FOLD
	/* 128 bits to 64, then to 32 + 32 */
	t = _mm_clmulepi64_si128(a, k, 0x10);
	a = _mm_xor_si128(_mm_srli_si128(a, 8), t);
	k = _mm_loadl_epi64((const __m128i *)&crc_k[4]);
	t = _mm_srli_si128(a, 4);
	a = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(a, lo32), k,
	    0x00), t);
	/* Barrett reduction */
	k = _mm_load_si128((const __m128i *)&crc_k[6]);
	t = _mm_clmulepi64_si128(_mm_and_si128(a, lo32), k, 0x10);
	t = _mm_clmulepi64_si128(_mm_and_si128(t, lo32), k, 0x00);
	a = _mm_xor_si128(a, t);
	return (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(a, 4));
}

/* Asked once per process; inflaters may ask at the same time: each stores
 * the same answer. */
static int
have_pclmul(void)
{
	static atomic_int known = -1;
	unsigned a, b, c, d;
	int k = atomic_load_explicit(&known, memory_order_relaxed);

	if (k < 0) {
		k = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_PCLMUL) != 0;
		atomic_store_explicit(&known, k, memory_order_relaxed);
	}
	return k;
}

/* see gz.h */
uint32_t
gz_crc32(uint32_t crc, const uint8_t *p, size_t n)
{
	if (n >= CRC_FOLD_MIN && have_pclmul()) {
		size_t m = n & ~(size_t)15;
		crc = ~crc_fold(~crc, p, m);
		p += m;
		n -= m;
	}
	return (uint32_t)crc32(crc, p, (uInt)n);
}
#else
/* see gz.h */
uint32_t
gz_crc32(uint32_t crc, const uint8_t *p, size_t n)
{
	return (uint32_t)crc32(crc, p, (uInt)n);
}
#endif

/* ------------------------------------------------------------ framing */

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static int
fail(struct gz *g, int code)
{
	g->err = code;
	g->err_offset = g->in_total;
	return code;
}

/* see gz.h */
int
gz_is_gzip(const uint8_t *p, size_t n)
{
	return n >= 2 && p[0] == GZ_ID1 && p[1] == GZ_ID2;
}

static void
set_limits(struct gz *g, const struct gz_limits *lim)
{
	if (lim != NULL) {
		g->lim = *lim;
	} else {
		g->lim.max_ratio = GZ_DEFAULT_MAX_RATIO;
		g->lim.ratio_floor = GZ_DEFAULT_RATIO_FLOOR;
	}
}

/* see gz.h */
int
gz_init(struct gz *g, const struct gz_limits *lim)
{
	memset(g, 0, sizeof *g);
	set_limits(g, lim);
	/* Negative window bits: raw deflate, 32 KiB window (RFC 1951 max). */
	if (inflateInit2(&g->zs, -15) != Z_OK) {
		g->err = ERR_NOMEM;
		return ERR_NOMEM;
	}
	g->zinit = 1;
	g->state = ST_ID1;
	return 0;
}

/* see gz.h */
int
gz_reset(struct gz *g, const struct gz_limits *lim)
{
	if (!g->zinit || inflateReset(&g->zs) != Z_OK) {
		gz_free(g);
		return gz_init(g, lim);
	}
	/* everything after the z_stream, whose state zlib has reset (its
	 * state points back at it: it stays where it is) */
	memset(&g->zinit, 0, sizeof *g - offsetof(struct gz, zinit));
	set_limits(g, lim);
	g->zinit = 1;
	g->state = ST_ID1;
	return 0;
}

/* see gz.h */
void
gz_free(struct gz *g)
{
	if (g->zinit)
		inflateEnd(&g->zs);
	g->zinit = 0;
}

/* Start of a new member's header (the magic has been seen). */
static void
member_start(struct gz *g)
{
	static const uint8_t magic[2] = { GZ_ID1, GZ_ID2 };

	g->hlen = 0;
	g->hflags = 0;
	g->hskip = 0;
	g->crc = crc32(0L, Z_NULL, 0);
	g->isize = 0;
	g->hcrc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), magic, 2);
}

/* The header is complete (or the next optional part is absent): move on. */
static void
header_next(struct gz *g)
{
	if (g->state < ST_XLEN && (g->hflags & GZ_FEXTRA)) {
		g->state = ST_XLEN;
		g->hlen = 0;
	} else if (g->state < ST_NAME && (g->hflags & GZ_FNAME)) {
		g->state = ST_NAME;
	} else if (g->state < ST_COMMENT && (g->hflags & GZ_FCOMMENT)) {
		g->state = ST_COMMENT;
	} else if (g->state < ST_HCRC && (g->hflags & GZ_FHCRC)) {
		g->state = ST_HCRC;
		g->hlen = 0;
	} else {
		g->state = ST_BODY;
	}
}

/*
 * One byte of framing (everything but the body). Returns 0 or an error code;
 * the caller has already counted the byte in in_total. The header CRC covers
 * every header byte before the CRC16 itself (RFC 1952 2.3.1, FHCRC).
 */
static int
frame_byte(struct gz *g, uint8_t b)
{
	if (g->state >= ST_FIXED && g->state < ST_HCRC)
		g->hcrc = (uint32_t)crc32(g->hcrc, &b, 1);

	switch (g->state) {
	case ST_ID1:
		if (b != GZ_ID1)
			return ERR_GZ_MAGIC;
		g->state = ST_ID2;
		return 0;
	case ST_AFTER:
		/* gzip(1) accepts concatenated members (RFC 1952 2.2) and
		 * ignores zero padding after the last one. */
		if (b == GZ_ID1)
			g->state = ST_ID2;
		else if (b == 0)
			g->state = ST_PADDING;
		else
			return ERR_GZ_MAGIC;
		return 0;
	case ST_PADDING:
		return b == 0 ? 0 : ERR_GZ_MAGIC;
	case ST_ID2:
		if (b != GZ_ID2)
			return ERR_GZ_MAGIC;
		member_start(g);
		g->state = ST_FIXED;
		return 0;
	case ST_FIXED:
		g->hbuf[g->hlen++] = b;
		if (g->hlen < 8)
			return 0;
		if (g->hbuf[0] != GZ_CM_DEFL)
			return ERR_GZ_HEADER;
		/* Reserved flag bits must be zero: a decoder that sees them
		 * cannot know what fields follow (RFC 1952 2.3.1.2). */
		if (g->hbuf[1] & GZ_FRESERVED)
			return ERR_GZ_HEADER;
		g->hflags = g->hbuf[1];
		header_next(g);
		return 0;
	case ST_XLEN:
		g->hbuf[g->hlen++] = b;
		if (g->hlen < 2)
			return 0;
		g->hskip = (uint32_t)g->hbuf[0] | (uint32_t)g->hbuf[1] << 8;
		if (g->hskip > 0)
			g->state = ST_EXTRA;
		else
			header_next(g);
		return 0;
	case ST_EXTRA:
		if (--g->hskip == 0)
			header_next(g);
		return 0;
	case ST_NAME:
	case ST_COMMENT:
		if (b == 0)
			header_next(g);
		return 0;
	case ST_HCRC:
		g->hbuf[g->hlen++] = b;
		if (g->hlen < 2)
			return 0;
		if (((uint32_t)g->hbuf[0] | (uint32_t)g->hbuf[1] << 8) !=
		    (g->hcrc & 0xffffu))
			return ERR_GZ_HEADER;
		g->state = ST_BODY;
		return 0;
	case ST_TRAILER:
		g->hbuf[g->hlen++] = b;
		if (g->hlen < 8)
			return 0;
		if (le32(g->hbuf) != g->crc)
			return ERR_GZ_CRC;
		if (le32(g->hbuf + 4) != g->isize)
			return ERR_GZ_SIZE;
		g->members++;
		g->state = ST_AFTER;
		return 0;
	default:
		return ERR_GZ_HEADER;
	}
}

/* Judge the output so far against the limits. */
static int
check_limits(const struct gz *g)
{
	const struct gz_limits *l = &g->lim;

	if (l->max_out != 0 && g->out_total > l->max_out)
		return ERR_GZ_TOO_BIG;
	/* out > in * ratio, written so the product cannot overflow. */
	if (l->max_ratio != 0 && g->out_total > l->ratio_floor &&
	    g->in_total <= UINT64_MAX / l->max_ratio &&
	    g->out_total > g->in_total * l->max_ratio)
		return ERR_GZ_RATIO;
	return 0;
}

/*
 * One inflate call over the body. Returns 0 or an error; *in_used and *out_used
 * say what zlib took and gave (both may be 0: then no progress is possible).
 */
static int
body(struct gz *g, const uint8_t *in, size_t inlen, uint8_t *out,
    size_t outcap, size_t *in_used, size_t *out_used)
{
	uInt ain = inlen > GZ_ZCHUNK ? GZ_ZCHUNK : (uInt)inlen;
	uInt aout = outcap > GZ_ZCHUNK ? GZ_ZCHUNK : (uInt)outcap;
	int r;

	/* Never produce more than one byte past max_out: the overshoot is
	 * detected without writing a whole buffer of bomb output. */
	if (g->lim.max_out != 0) {
		uint64_t room = g->out_total < g->lim.max_out ?
		    g->lim.max_out - g->out_total + 1 : 1;
		if ((uint64_t)aout > room)
			aout = (uInt)room;
	}
	/* zlib does not write through next_in; the cast only drops const. */
	g->zs.next_in = (Bytef *)(uintptr_t)in;
	g->zs.avail_in = ain;
	g->zs.next_out = out;
	g->zs.avail_out = aout;
	r = inflate(&g->zs, Z_NO_FLUSH);
	*in_used = ain - g->zs.avail_in;
	*out_used = aout - g->zs.avail_out;
	g->zs.next_in = Z_NULL;
	g->zs.next_out = Z_NULL;

	g->in_total += *in_used;
	g->out_total += *out_used;
	if (*out_used > 0) {
		g->crc = gz_crc32(g->crc, out, *out_used);
		g->isize += (uint32_t)*out_used;
	}
	switch (r) {
	case Z_OK:
	case Z_BUF_ERROR:       /* no progress possible: not an error here */
		break;
	case Z_STREAM_END:
		if (inflateReset(&g->zs) != Z_OK)
			return ERR_GZ_DATA;
		g->state = ST_TRAILER;
		g->hlen = 0;
		break;
	case Z_MEM_ERROR:
		return ERR_NOMEM;
	default:                /* Z_DATA_ERROR, Z_NEED_DICT, Z_STREAM_ERROR */
		return ERR_GZ_DATA;
	}
	return check_limits(g);
}

/* see gz.h */
int
gz_push(struct gz *g, const uint8_t *in, size_t inlen, size_t *consumed,
    uint8_t *out, size_t outcap, size_t *produced)
{
	size_t ci = 0, co = 0;
	int r = 0;

	*consumed = 0;
	*produced = 0;
	if (g->err != 0)
		return g->err;
	if (!g->zinit)
		return fail(g, ERR_NOMEM);

	/*
	 * Loop until no progress is possible: out of input for the framing,
	 * or out of output room (or input) for the body. zlib may still hold
	 * output with no input left (a long match), so the body is tried with
	 * empty input as long as there is output room.
	 */
	for (;;) {
		if (g->state == ST_BODY) {
			size_t iu, ou;

			if (co == outcap)
				break;
			r = body(g, in + ci, inlen - ci, out + co, outcap - co,
			    &iu, &ou);
			ci += iu;
			co += ou;
			if (r != 0)
				break;
			if (iu == 0 && ou == 0 && g->state == ST_BODY)
				break;
		} else {
			if (ci == inlen)
				break;
			r = frame_byte(g, in[ci]);
			if (r != 0)
				break;
			ci++;
			g->in_total++;
		}
	}
	*consumed = ci;
	*produced = co;
	if (r != 0)
		return fail(g, r);
	return 0;
}

/* see gz.h */
int
gz_finish(struct gz *g)
{
	if (g->err != 0)
		return g->err;
	if (g->members > 0 && (g->state == ST_AFTER || g->state == ST_PADDING))
		return 0;
	return fail(g, ERR_GZ_TRUNCATED);
}
