/*
 * gz.h - gzip push stage over zlib.
 *
 * Bytes go in as they arrive (any split), inflated bytes come out into a buffer the
 * caller owns. Handles RFC 1952 members with every header flag (FEXTRA, FNAME,
 * FCOMMENT, FHCRC), checks each member's trailer (CRC-32 and ISIZE), and accepts
 * concatenated members (as gzip(1) does). Guards: a total output cap and an
 * expansion-ratio cap (gzip bomb), both checked while streaming.
 *
 * Memory: the struct plus zlib's inflate state (about 7 KiB + the 32 KiB window),
 * which zlib allocates once in gz_init() (and gz_reset() keeps); nothing else.
 */
#ifndef GZ_H
#define GZ_H

#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

struct gz_limits {
	uint64_t max_out;       /* total inflated bytes allowed; 0 = no limit */
	uint32_t max_ratio;     /* out/in allowed once out > ratio_floor; 0 = none */
	uint64_t ratio_floor;   /* the ratio is only judged past this many out bytes */
};

/* Defaults: no size cap, ratio 1000:1 judged past 64 MiB (real source tarballs
 * inflate 4-10x; a bomb inflates ~1000x). */
#define GZ_DEFAULT_MAX_RATIO   1000u
#define GZ_DEFAULT_RATIO_FLOOR (64ull << 20)

struct gz {
	z_stream zs;
	int zinit;              /* inflateInit2 done */
	int state;              /* internal: see gz.c */
	int err;                /* sticky enum err_code, 0 = none */
	struct gz_limits lim;
	uint64_t in_total;      /* compressed bytes consumed */
	uint64_t out_total;     /* inflated bytes produced (all members) */
	uint64_t err_offset;    /* input offset where err was detected */
	uint32_t members;       /* completed members */
	/* header/trailer parsing scratch (fixed size, no allocation) */
	uint8_t hbuf[8];        /* fixed header fields, XLEN, HCRC, trailer */
	size_t hlen;            /* bytes in hbuf */
	uint32_t hflags;        /* FLG of this member */
	uint32_t hskip;         /* bytes of FEXTRA still to skip */
	uint32_t hcrc;          /* CRC-32 of the header so far (for FHCRC) */
	uint32_t crc;           /* running CRC-32 of this member's output */
	uint32_t isize;         /* this member's output size mod 2^32 */
};

/* Initialise; lim may be NULL for defaults. Returns 0 or ERR_NOMEM. */
int gz_init(struct gz *g, const struct gz_limits *lim);

/* The same for a stream that was initialised before (and maybe used or
 * failed): zlib's state and window are kept (inflateReset), so the next
 * stream allocates nothing. Free with gz_free as usual. */
int gz_reset(struct gz *g, const struct gz_limits *lim);

/*
 * Push compressed input and pull inflated output.
 *   in/inlen      compressed bytes available
 *   *consumed     set to how many of them were used
 *   out/outcap    where to put inflated bytes
 *   *produced     set to how many were written
 * Call repeatedly: when *produced == outcap there may be more output for the same
 * input; when *consumed < inlen, call again with the rest. Returns 0 or a sticky
 * error (ERR_GZ_*); once an error is returned every later call returns it too.
 */
int gz_push(struct gz *g, const uint8_t *in, size_t inlen, size_t *consumed,
    uint8_t *out, size_t outcap, size_t *produced);

/* The input has ended: 0 if it ended cleanly after at least one whole member,
 * ERR_GZ_TRUNCATED otherwise (or the sticky error).
 *
 * After a member, the input may continue with another member or with zero bytes
 * (tape/record padding, which gzip(1) also ignores); any other byte is refused
 * with ERR_GZ_MAGIC, as is a zero byte followed by anything but zeros: we never
 * silently drop data that might be a corrupted member. */
int gz_finish(struct gz *g);

/*
 * CRC-32 as gzip and zlib's crc32() define it: crc32 of p[0..n) continuing from
 * crc (0 to start). The same values as crc32(), faster where the CPU can fold
 * with carry-less multiplication (see gz.c). Any n; p needs no alignment.
 */
uint32_t gz_crc32(uint32_t crc, const uint8_t *p, size_t n);

/* 1 if the bytes start with the gzip magic 1f 8b (n >= 2). */
int gz_is_gzip(const uint8_t *p, size_t n);

/* Release zlib's state. Safe on a zeroed or failed struct. */
void gz_free(struct gz *g);

#endif
