/*
 * fuzz_tar.c - libFuzzer target for the tar reader.
 *
 * The input is a raw (uncompressed) archive, so seeds are plain .tar files
 * and headers stay block-aligned. Piece sizes and the strip_top/limit choices
 * come from a hash of the input, so a crash replays exactly. Invariants
 * checked with abort(): DATA slices lie inside the bytes the push consumed,
 * data per entry adds up to the entry's size, every reported path is
 * relative, NUL-free, free of "." and ".." components and of the stated
 * length, events follow ENTRY (DATA*) ENTRY_END, errors stick, and an
 * archive is complete only once its end marker began: a whole zero block
 * where a header belongs (END, or the first of the two zero blocks), never
 * EOF at a mere entry boundary.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "tar.h"
#include "pieces.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tar T;            /* ~80 KiB: not on the fuzzer's stack */

static void
check_path(const char *p, size_t n)
{
	size_t s = 0;

	if (strlen(p) != n || n > TAR_PATH_MAX)
		abort();
	if (n == 0 || p[0] == '/' || p[n - 1] == '/')
		abort();
	for (size_t i = 0; i <= n; i++) {
		if (i == n || p[i] == '/') {
			size_t c = i - s;
			if (c == 0 || (c == 1 && p[s] == '.') ||
			    (c == 2 && p[s] == '.' && p[s + 1] == '.'))
				abort();
			s = i + 1;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t got = 0, want = 0;
	struct split sp;
	const uint8_t *p;
	size_t n;
	struct tar_limits lim;
	int in_entry = 0, ended = 0, err = 0;

	split_init(&sp, data, size, 1100, 4);
	memset(&lim, 0, sizeof lim);
	lim.strip_top = (int)(sp.seed >> 8 & 1);
	if (sp.seed >> 9 & 1)
		lim.max_entries = 1 + (sp.seed >> 10) % 8;
	tar_init(&T, &lim);

	while (!err && split_next(&sp, &p, &n)) {
		for (;;) {
			struct tar_ev ev;
			size_t c = tar_push(&T, p, n, &ev);

			if (c > n)
				abort();
			switch (ev.type) {
			case TAR_EV_NONE:
				if (n - c != 0)
					abort();
				break;
			case TAR_EV_ENTRY:
				if (in_entry || ended)
					abort();
				check_path(ev.entry->path,
				    ev.entry->path_len);
				if (ev.entry->type != TAR_FILE &&
				    ev.entry->size != 0)
					abort();
				if (strlen(ev.entry->link) !=
				    ev.entry->link_len)
					abort();
				if (ev.entry->type == TAR_HARDLINK)
					check_path(ev.entry->link,
					    ev.entry->link_len);
				in_entry = 1;
				got = 0;
				want = ev.entry->size;
				break;
			case TAR_EV_DATA:
				if (!in_entry || ev.len == 0 ||
				    ev.data < p || ev.data + ev.len > p + c)
					abort();
				got += ev.len;
				if (got > want)
					abort();
				break;
			case TAR_EV_ENTRY_END:
				if (!in_entry || got != want)
					abort();
				in_entry = 0;
				break;
			case TAR_EV_END:
				if (in_entry || ended)
					abort();
				ended = 1;
				break;
			case TAR_EV_ERROR:
				err = ev.err;
				break;
			}
			p += c;
			n -= c;
			if (err || (n == 0 && ev.type == TAR_EV_NONE))
				break;
		}
	}
	if (!err)
		err = tar_finish(&T);
	if (!err && !ended && T.zero_blocks != 1)
		abort();
	if (err == ERR_TAR_NO_END && (in_entry || T.offset % 512 != 0))
		abort();
	if (err) {
		struct tar_ev ev;
		if (tar_push(&T, data, size, &ev) != 0 ||
		    ev.type != TAR_EV_ERROR || ev.err != err ||
		    tar_finish(&T) != err || err_str(err) == NULL)
			abort();
	}
	return 0;
}
