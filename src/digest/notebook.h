/*
 * notebook.h - Jupyter notebook (.ipynb) to Python script text, as gitingest 0.3.1
 * renders it (spec section 6), including its quirks (a stream "text" given as a
 * plain string yields one output line per character).
 *
 * The tree is made of cJSON nodes (cJSON's header, from pinned source) but built
 * here, in an arena per call: no global state, safe on any number of threads.
 * Input is an untrusted (ptr, len) slice.
 */
#ifndef NOTEBOOK_H
#define NOTEBOOK_H

#include <stddef.h>

#include "buf.h"

/* Memory for one notebook's tree: real notebooks are mostly long strings
 * (outputs, images) and cost about their size; a 4 MiB file of a million tiny
 * values would cost ~100 MiB. Past it: the body says so (gitingest's
 * "Error processing notebook: ..." for a notebook it cannot convert). */
#define NOTEBOOK_TREE_MAX (16u << 20)

/*
 * Append the converted text of notebook json[0..n) to out. On malformed input the
 * body gitingest would print is appended instead ("Error processing notebook: ...";
 * for invalid JSON we write "Error processing notebook: Invalid JSON in notebook"
 * with no local path: gitingest leaks an absolute temp path there). Returns 0, or
 * ERR_NOMEM / ERR_LIMIT from the buffer.
 */
int notebook_convert(const char *json, size_t n, struct buf *out);

/*
 * notebook_convert() with the tree capped at tree_max bytes instead of
 * NOTEBOOK_TREE_MAX. Past the cap the body is "Error processing notebook:
 * notebook needs more than the N MiB conversion memory limit" and *limited
 * (may be NULL) is set to 1.
 */
int notebook_convert_capped(const char *json, size_t n, struct buf *out,
    size_t tree_max, int *limited);

#endif
