/*
 * replay.c - run a libFuzzer target's corpus without libFuzzer (as SQLite's
 * fuzzcheck): every file named on the command line, or every file in the named
 * directories, is fed once to LLVMFuzzerTestOneInput under ASan+UBSan. Files over
 * REPLAY_MAX bytes are refused, so a stray large file cannot stall `make test`.
 * Prints "N passed, N failed" (a crash aborts the process, which tests/run counts
 * as a failure).
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../common/slurp.h"

#define REPLAY_MAX (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int passed, failed;

static void
run_file(const char *path)
{
	uint8_t *p;
	size_t n;
	struct stat st;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return;
	if ((p = slurp(path, REPLAY_MAX, &n)) == NULL) {
		if (errno == EFBIG)
			fprintf(stderr, "replay: %s: over %u bytes\n", path,
			    REPLAY_MAX);
		else
			fprintf(stderr, "replay: %s: %s\n", path,
			    strerror(errno));
		failed++;
		return;
	}
	LLVMFuzzerTestOneInput(p, n);
	free(p);
	passed++;
}

int
main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			struct dirent **names;
			int k = scandir(argv[i], &names, NULL, alphasort);
			for (int j = 0; j < k; j++) {
				char path[4096];
				if (names[j]->d_name[0] != '.') {
					snprintf(path, sizeof path, "%s/%s", argv[i],
					    names[j]->d_name);
					run_file(path);
				}
				free(names[j]);
			}
			free(k >= 0 ? names : NULL);
		} else {
			run_file(argv[i]);
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0 || passed == 0;
}
