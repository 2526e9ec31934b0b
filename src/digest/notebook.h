/*
 * notebook.h - Jupyter notebook (.ipynb) to Python script text, as gitingest 0.3.1
 * renders it (spec section 6), including its quirks (a stream "text" given as a
 * plain string yields one output line per character).
 *
 * Uses cJSON (built from pinned source). Input is an untrusted (ptr, len) slice.
 */
#ifndef NOTEBOOK_H
#define NOTEBOOK_H

#include <stddef.h>

#include "buf.h"

/*
 * Append the converted text of notebook json[0..n) to out. On malformed input the
 * body gitingest would print is appended instead ("Error processing notebook: ...";
 * for invalid JSON we write "Error processing notebook: Invalid JSON in notebook"
 * with no local path: gitingest leaks an absolute temp path there). Returns 0, or
 * ERR_NOMEM / ERR_LIMIT from the buffer.
 */
int notebook_convert(const char *json, size_t n, struct buf *out);

#endif
