/*
 * replay.c - run a libFuzzer target's corpus without libFuzzer (as SQLite's
 * fuzzcheck): every file named on the command line, or every file in the named
 * directories, is fed once to LLVMFuzzerTestOneInput under ASan+UBSan. Files over
 * REPLAY_MAX bytes are refused, so a stray large file cannot stall `make test`.
 * Prints "N passed, N failed" (a crash aborts the process, which tests/run counts
 * as a failure).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define REPLAY_MAX (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int passed, failed;

static void
run_file(const char *path)
{
	FILE *f;
	uint8_t *p;
	size_t n;
	struct stat st;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return;
	if ((uint64_t)st.st_size > REPLAY_MAX) {
		fprintf(stderr, "replay: %s: over %u bytes\n", path, REPLAY_MAX);
		failed++;
		return;
	}
	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "replay: %s: cannot open\n", path);
		failed++;
		return;
	}
	/* +1 so a zero-length file still gets a valid pointer */
	p = malloc((size_t)st.st_size + 1);
	n = p ? fread(p, 1, (size_t)st.st_size, f) : 0;
	fclose(f);
	if (p == NULL || n != (size_t)st.st_size) {
		fprintf(stderr, "replay: %s: read failed\n", path);
		free(p);
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
