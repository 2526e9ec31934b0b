/*
 * render.h - the bodies: one renderer per format, from a finished digest.
 *
 *   text    tree + "\n" + content, as gitingest -o writes (digest's default)
 *   full    summary + "\n" + tree + "\n" + content: the stored body
 *           (summary.txt of `run`, `digest --out`, the service)
 *   json    {"summary","tree","content"}, the cap on content only
 *   chunks  JSON lines, each kept text file split (chunk/jsonl.h); never cut
 * text and full are cut at max_output with out.h's notice. Every path that
 * renders a body (stdout, -o FILE, a stored object) calls render_body, so a
 * body the cache calls current is the body any of them would make.
 */
#ifndef RENDER_H
#define RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "jsonl.h"
#include "out.h"

enum render_format { RENDER_TEXT, RENDER_FULL, RENDER_JSON, RENDER_CHUNKS,
    RENDER__COUNT };

/* Names as --format spells them ("text", "full", "json", "chunks"). */
extern const char *const render_format_name[RENDER__COUNT];

/* What a body is made from (all borrowed). */
struct render_body {
	int format;                     /* enum render_format */
	struct digest *d;               /* finished (digest_finish) */
	const char *header;             /* the summary's first lines
	                                 * (source_info.header) */
	uint64_t max_output;            /* text, full, json's content; 0: none */
	size_t chunk_size, chunk_overlap;       /* chunks (split.h) */
	struct chunkw_meta chunk;       /* chunks: repo, ref, commit */
};

/*
 * Render b into o (a sink_render_fn: ctx is a struct render_body *).
 * Returns 0, ERR_NOMEM, the digest's or the chunk writer's error, or o's.
 */
int render_body(void *ctx, struct out *o);

/* The summary text of b (digest_summary with b's header) into s. Returns 0
 * or ERR_NOMEM. */
int render_summary(const struct render_body *b, struct buf *s);

#endif
