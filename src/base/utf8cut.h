/*
 * utf8cut.h - where to cut UTF-8 text short without splitting a character.
 *
 * Output truncated at a byte cap, a stored chunk flushed when its stage is full,
 * a status line cut to the terminal's width: each keeps a prefix of text that
 * goes on after it, and must not end that prefix in the middle of a character
 * (half a character is invalid UTF-8 for JSON, search indexers and terminals).
 */
#ifndef UTF8CUT_H
#define UTF8CUT_H

#include <stddef.h>

/*
 * Length of the longest prefix of p[0..n) that does not end inside a UTF-8
 * character, the text going on after p[n-1]: n, or n less the 1 to 3 bytes of
 * a character whose lead byte says it runs past n. Looks back at most 4 bytes.
 * Bytes that are not UTF-8 (a lead byte F8..FF, more than 3 continuation bytes)
 * are cut where asked: n.
 */
size_t utf8cut(const void *p, size_t n);

#endif
