/*
 * fuzz_notebook.c - libFuzzer target for notebook_convert().
 *
 * Any input must give ERR_OK with a body that is either the converted script
 * or an "Error processing notebook: " line, or a clean ERR_LIMIT/ERR_NOMEM
 * that leaves the buffer as it was. The input is copied to an exact-size
 * heap block so ASan catches any read past its end (the module must never
 * rely on a terminator).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "notebook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SCRIPT "# Jupyter notebook converted to Python script."
#define ERRB "Error processing notebook: "

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out;
	char *copy;
	int rc;

	if ((copy = malloc(size ? size : 1)) == NULL)
		return 0;
	if (size)
		memcpy(copy, data, size);

	buf_init(&out, 1 << 20);
	rc = notebook_convert(copy, size, &out);
	if (rc == ERR_OK) {
		if (!(out.len >= sizeof SCRIPT - 1 &&
		    memcmp(out.p, SCRIPT, sizeof SCRIPT - 1) == 0) &&
		    !(out.len >= sizeof ERRB - 1 &&
		    memcmp(out.p, ERRB, sizeof ERRB - 1) == 0))
			abort();
	} else if ((rc != ERR_LIMIT && rc != ERR_NOMEM) || out.len != 0) {
		abort();
	}
	buf_free(&out);

	/* a tiny cap: must fail cleanly or fit */
	buf_init(&out, 40);
	rc = notebook_convert(copy, size, &out);
	if (rc != ERR_OK && (rc != ERR_LIMIT || out.len != 0))
		abort();
	if (out.len > 40)
		abort();
	buf_free(&out);
	free(copy);
	return 0;
}
