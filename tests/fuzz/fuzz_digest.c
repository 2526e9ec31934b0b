/*
 * fuzz_digest.c - the digest end to end: input bytes as a tar archive (inflated
 * first when they start with the gzip magic) into the tar reader, the digest
 * builder and the renderer, with a small output cap half of the time so the
 * eviction path runs too. A first entry that is a one-component directory
 * is a tentative top directory, stripped until an entry lies outside it (then
 * the digest re-roots), as source.c does. Checks: no crash, no leak, and the
 * capped output never exceeds cap + notice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "gz.h"
#include "out.h"
#include "tar.h"

/* source.c's automatic top directory: -1 undecided, 0 none, else its length */
static long top_len;
static char top[256];

static int
entry(struct digest *d, enum digest_type ty, const struct tar_entry *te)
{
	const char *p = te->path;
	size_t n = te->path_len;

	if (top_len < 0) {
		top_len = 0;
		if (ty == DIGEST_DIR && n < sizeof top && memchr(p, '/', n) == NULL) {
			memcpy(top, p, n);
			top_len = (long)n;
			return digest_tentative_top(d, p, n) ? -1 : 1;
		}
	}
	if (top_len > 0) {
		if (n > (size_t)top_len && p[top_len] == '/' &&
		    memcmp(p, top, (size_t)top_len) == 0) {
			p += top_len + 1;
			n -= (size_t)top_len + 1;
		} else if (n == (size_t)top_len && memcmp(p, top, n) == 0 &&
		    ty == DIGEST_DIR) {
			return 1;
		} else {
			if (digest_reroot(d) != 0)
				return -1;
			top_len = 0;
		}
	}
	if (n == 0)
		return -1;
	return digest_entry(d, ty, p, n, te->size, te->link, te->link_len) ?
	    -1 : 0;
}

static void
feed_tar(struct tar *t, struct digest *d, const uint8_t *p, size_t n, int *stop)
{
	struct tar_ev ev;
	int skip = 0;

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
			int r = entry(d, ty, ev.entry);
			if (r < 0)
				*stop = 1;
			skip = r > 0;
			break;
		}
		case TAR_EV_DATA:
			if (!skip && digest_data(d, ev.data, ev.len) != 0)
				*stop = 1;
			break;
		case TAR_EV_ENTRY_END:
			if (!skip && digest_entry_end(d) != 0)
				*stop = 1;
			skip = 0;
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

	top_len = -1;
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
