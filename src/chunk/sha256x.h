/*
 * sha256x.h - SHA-256 for chunk ids, with the x86 SHA extensions when the
 * CPU has them.
 *
 * A chunked digest hashes every chunk's text (about the size of the whole
 * tree again): with BearSSL's portable rounds that was a seventh of the run,
 * on one thread. Where the CPU has SHA-NI (and SSSE3, SSE4.1), detected once
 * at run time, the blocks go through sha256rnds2 instead, several times as
 * fast; elsewhere this is BearSSL's br_sha256, so the bytes are the same on
 * every machine. The context holds no pointers: a plain copy snapshots it.
 */
#ifndef SHA256X_H
#define SHA256X_H

#include <stddef.h>
#include <stdint.h>

#include <bearssl.h>

struct sha256x {
	int ni;                         /* 1: the SHA-NI path below */
	uint32_t h[8];                  /* SHA-NI: the state */
	uint8_t blk[64];                /* SHA-NI: a partial block */
	size_t nblk;
	uint64_t total;                 /* SHA-NI: bytes hashed */
	br_sha256_context br;           /* the portable path */
};

void sha256x_init(struct sha256x *c);
void sha256x_update(struct sha256x *c, const void *p, size_t n);
void sha256x_out(struct sha256x *c, uint8_t out[32]);

/* Room a message of sha256x_two needs after its bytes (the padding). */
#define SHA256X_PAD 72

/*
 * The SHA-256 of a[0..alen) into da and of b[0..blen) into db, hashed side
 * by side: with SHA-NI the two chains of rounds overlap (1.7 to 1.8 times
 * the throughput of one message at a time). Each buffer must have
 * SHA256X_PAD bytes of room after its message, which are overwritten.
 */
void sha256x_two(uint8_t *a, size_t alen, uint8_t *b, size_t blen,
    uint8_t da[32], uint8_t db[32]);

#endif
