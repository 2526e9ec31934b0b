/*
 * fuzz_digest.c - the digest end to end: input bytes as a tar archive (inflated
 * first when they start with the gzip magic) into the tar reader, the digest
 * builder and the renderer, with a small output cap half of the time so the
 * eviction path runs too. Checks: no crash, no leak, and the capped output
 * never exceeds cap + notice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "gz.h"
#include "out.h"
#include "tar.h"

static void
feed_tar(struct tar *t, struct digest *d, const uint8_t *p, size_t n, int *stop)
{
	struct tar_ev ev;

	while (!*stop) {
		size_t used = tar_push(t, p, n, &ev);
		p += used;
		n -= used;
		switch (ev.type) {
		case TAR_EV_NONE:
			if (n == 0)
				return;
			break;
		case TAR_EV_ENTRY: {
			enum digest_type ty = ev.entry->type == TAR_FILE ? DIGEST_FILE :
			    ev.entry->type == TAR_DIR ? DIGEST_DIR :
			    ev.entry->type == TAR_SYMLINK ? DIGEST_SYMLINK : DIGEST_OTHER;
			if (ev.entry->path_len == 0 || digest_entry(d, ty, ev.entry->path,
			    ev.entry->path_len, ev.entry->size, ev.entry->link,
			    ev.entry->link_len) != 0)
				*stop = 1;
			break;
		}
		case TAR_EV_DATA:
			if (digest_data(d, ev.data, ev.len) != 0)
				*stop = 1;
			break;
		case TAR_EV_ENTRY_END:
			if (digest_entry_end(d) != 0)
				*stop = 1;
			break;
		default:
			*stop = 1;
			break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct tar_limits tl = { 2000, 1u << 24, 1 };
	struct digest *d = malloc(sizeof *d);
	struct tar *t = malloc(sizeof *t);
	struct digest_opts o;
	struct out *w = malloc(sizeof *w);
	struct buf out;
	uint64_t cap = (size & 1) ? 300 : 0;
	int stop = 0;

	memset(&o, 0, sizeof o);
	o.max_depth = -1;
	o.use_ignore_files = 1;
	o.max_output = cap;
	o.raw_budget = 64;
	o.mem_cap = 1u << 26;
	if (digest_init(d, &o) != 0)
		goto done;
	tar_init(t, &tl);
	if (gz_is_gzip(data, size)) {
		struct gz g;
		static uint8_t buf[4096];
		struct gz_limits gl = { 1u << 22, 100, 1u << 16 };
		size_t at = 0;
		if (gz_init(&g, &gl) == 0) {
			while (!stop) {
				size_t used = 0, made = 0;
				if (gz_push(&g, data + at, size - at, &used, buf,
				    sizeof buf, &made) != 0)
					break;
				at += used;
				if (made)
					feed_tar(t, d, buf, made, &stop);
				if (used == 0 && made == 0)
					break;
			}
		}
		gz_free(&g);
	} else {
		feed_tar(t, d, data, size, &stop);
	}
	if (digest_finish(d, "root") == 0) {
		buf_init(&out, 1u << 26);
		out_init_mem(w, &out, cap);
		digest_write_tree(d, w);
		out_write(w, "\n", 1);
		digest_write_content(d, w);
		if (cap && out.len > cap + 64)
			abort();
		buf_free(&out);
	}
done:
	digest_free(d);
	free(d);
	free(t);
	free(w);
	return 0;
}
