/*
 * render.c - the bodies, one renderer per format. See render.h.
 */
#include <stdlib.h>

#include "err.h"
#include "jsonstr.h"
#include "render.h"

/* --format json's strings: \n \r \t short, other bytes as they are */
#define JSON_BODY (JSONSTR_QUOTE | JSONSTR_NTR)

/* a summary is a few lines; the cap only bounds a hostile header */
#define SUMMARY_MAX (1u << 20)

const char *const render_format_name[RENDER__COUNT] = {
	[RENDER_TEXT] = "text", [RENDER_FULL] = "full",
	[RENDER_JSON] = "json", [RENDER_CHUNKS] = "chunks",
};

/* see render.h */
int
render_summary(const struct render_body *b, struct buf *s)
{
	return digest_summary(b->d, b->header, s) != 0 ? ERR_NOMEM : 0;
}

/* {"summary","tree","content"}: the cap applies to the content string, so
 * the JSON stays valid */
static int
render_json(const struct render_body *b, const struct buf *sum, struct out *o)
{
	struct buf content;
	struct out *co = malloc(sizeof *co);
	int e;

	if (co == NULL)
		return ERR_NOMEM;
	buf_init(&content, (size_t)2 << 30);
	out_init_mem(co, &content, b->max_output);
	e = digest_write_content(b->d, co);
	free(co);
	if (e == 0) {
		out_puts(o, "{\"summary\":");
		jsonstr_write(sum->p, sum->len, JSON_BODY, jsonstr_put_out, o);
		out_puts(o, ",\"tree\":");
		jsonstr_write(b->d->tree, b->d->tree_len, JSON_BODY,
		    jsonstr_put_out, o);
		out_puts(o, ",\"content\":");
		jsonstr_write(content.p, content.len, JSON_BODY, jsonstr_put_out,
		    o);
		out_puts(o, "}\n");
		e = o->err;
	}
	buf_free(&content);
	return e;
}

/* see render.h */
int
render_body(void *ctx, struct out *o)
{
	const struct render_body *b = ctx;
	struct buf sum;
	int e;

	if (b->format == RENDER_CHUNKS)
		return chunkw_render(o, &b->chunk, b->chunk_size,
		    b->chunk_overlap, b->d);
	buf_init(&sum, SUMMARY_MAX);
	if (b->format != RENDER_TEXT && render_summary(b, &sum) != 0) {
		buf_free(&sum);
		return ERR_NOMEM;
	}
	if (b->format == RENDER_JSON) {
		e = render_json(b, &sum, o);
		buf_free(&sum);
		return e;
	}
	o->cap = b->max_output;
	if (b->format == RENDER_FULL) {
		out_write(o, sum.p, sum.len);
		out_write(o, "\n", 1);
	}
	buf_free(&sum);
	digest_write_tree(b->d, o);
	out_write(o, "\n", 1);
	e = digest_write_content(b->d, o);
	return e ? e : o->err;
}
