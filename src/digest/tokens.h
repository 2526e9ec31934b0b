/*
 * tokens.h - estimate of the o200k_base token count of text, without the vocabulary.
 *
 * gitingest prints tiktoken o200k_base's count of tree + content. Shipping the 200k-
 * entry BPE vocabulary would double the binary, so we estimate: the text is split
 * the way o200k's pre-tokenizer splits it (letter runs with their leading space,
 * digit groups of up to 3, punctuation runs, whitespace runs, newlines), and each
 * piece is charged a cost by class and length calibrated against the real encoder
 * (see tokens.c for the table and how it was measured). Target: within 10% on
 * source code and prose; the figure is only ever shown rounded ("1.2k").
 *
 * Streaming: feed any split; the state carries a piece across chunk boundaries,
 * so the count equals that of the whole text fed at once.
 */
#ifndef TOKENS_H
#define TOKENS_H

#include <stddef.h>
#include <stdint.h>

struct tokens {
	uint64_t milli;         /* estimate of closed pieces, 1/1000 token */
	uint32_t plen;          /* characters in the piece in progress */
	uint32_t aux;           /* blank run: characters to its last newline;
	                         * punctuation: trailing newlines */
	uint32_t cp;            /* UTF-8 character being decoded */
	uint8_t need;           /* continuation bytes it still needs */
	uint8_t state;          /* splitter state (internal) */
	uint8_t prev;           /* class of the previous character */
	uint8_t feat;           /* features of the piece in progress */
	uint8_t first;          /* first byte of the piece ("=====" runs) */
	uint8_t last;           /* word: previous letter, lower-cased, or 0 */
	int32_t adj;            /* word: letter-pair adjustment, 1/1000 token */
};

void tokens_init(struct tokens *t);
void tokens_feed(struct tokens *t, const uint8_t *p, size_t n);
/* Finish the piece in progress and return the rounded estimate. The struct may be
 * fed again afterwards (for a running total). */
uint64_t tokens_end(struct tokens *t);

/* For tests that hold the block kernel's two x86 variants to the reference:
 * force 1 makes it classify with SSE2 alone, 0 with AVX2 where the CPU has it
 * (the default). Returns 1 when AVX2 is in use. Not for use while another
 * thread estimates. */
int tokens_kernel_sse2(int force);

/* The figure as gitingest prints it: "515", "1.2k", "12.3M" (printf %.1f). */
void tokens_format(uint64_t t, char *out, size_t cap);

#endif
