/*
 * fnv.h - FNV-1a 64, the one non-cryptographic hash: the shard a repository
 * falls in, the cache key's pattern hash. Stable across builds and machines
 * (it decides which shard does which repository), so never change it.
 */
#ifndef FNV_H
#define FNV_H

#include <stdint.h>

/* A byte at a time: h = FNV1A64_INIT, then h = fnv1a64_byte(h, c). */
#define FNV1A64_INIT 14695981039346656037ull
static inline uint64_t
fnv1a64_byte(uint64_t h, unsigned char c)
{
	return (h ^ c) * 1099511628211ull;
}

#endif
