/*
 * slice.h - untrusted bytes as (pointer, length): a header value, a path, a body
 * piece. Borrowed: a slice points into a buffer it does not own, valid as long as
 * that buffer is; never NUL-terminated, so never handed to str* functions.
 */
#ifndef SLICE_H
#define SLICE_H

#include <stddef.h>
#include <stdint.h>

struct slice {
	const uint8_t *p;
	size_t n;
};

#endif
