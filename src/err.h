/*
 * err.h - the one list of error codes, and the one place that names them.
 *
 * Errors are values: functions return an int code (0 = ERR_OK) and fill their outputs
 * through pointers. Each code has a fixed message and a class: permanent (bad input,
 * 4xx, verification failure: retrying cannot help) or retryable (timeouts, resets,
 * 5xx, throttling). Detail about *where* it happened (source, entry path, offset) goes
 * into a struct err_ctx at the failure point and is formatted by err_format() as one
 * line, input first and cause last:
 *     python.tar.gz: entry "Lib/x.py": tar header checksum mismatch at offset 1536
 *
 * The list is an X-macro (as musl's __strerror.h) so the enum and the message table
 * cannot drift apart.
 */
#ifndef ERR_H
#define ERR_H

#include <stddef.h>
#include <stdint.h>

#define ERR_PERM  0
#define ERR_RETRY 1

/* X(name, class, message) */
#define ERR_LIST(X) \
	X(ERR_OK,            ERR_PERM,  "success") \
	X(ERR_NOMEM,         ERR_PERM,  "out of memory") \
	X(ERR_IO,            ERR_PERM,  "I/O error") \
	X(ERR_USAGE,         ERR_PERM,  "usage error") \
	X(ERR_NOENT,         ERR_PERM,  "no such file or directory") \
	X(ERR_UNSUPPORTED,   ERR_PERM,  "unsupported input") \
	X(ERR_LIMIT,         ERR_PERM,  "limit exceeded") \
	/* gzip stage */ \
	X(ERR_GZ_MAGIC,      ERR_PERM,  "not gzip data (bad magic)") \
	X(ERR_GZ_HEADER,     ERR_PERM,  "malformed gzip header") \
	X(ERR_GZ_DATA,       ERR_PERM,  "corrupt deflate data") \
	X(ERR_GZ_CRC,        ERR_PERM,  "gzip trailer CRC mismatch") \
	X(ERR_GZ_SIZE,       ERR_PERM,  "gzip trailer size mismatch") \
	X(ERR_GZ_TRUNCATED,  ERR_PERM,  "truncated gzip stream") \
	X(ERR_GZ_RATIO,      ERR_PERM,  "gzip expansion ratio too high (gzip bomb?)") \
	X(ERR_GZ_TOO_BIG,    ERR_PERM,  "decompressed size over the limit") \
	/* tar reader */ \
	X(ERR_TAR_CHECKSUM,  ERR_PERM,  "tar header checksum mismatch") \
	X(ERR_TAR_HEADER,    ERR_PERM,  "malformed tar header") \
	X(ERR_TAR_NUMBER,    ERR_PERM,  "malformed number in tar header") \
	X(ERR_TAR_PAX,       ERR_PERM,  "malformed pax extended header") \
	X(ERR_TAR_PAX_SIZE,  ERR_PERM,  "pax/long-name header over the size limit") \
	X(ERR_TAR_PATH,      ERR_PERM,  "unsafe path in archive (absolute or ..)") \
	X(ERR_TAR_PATH_LEN,  ERR_PERM,  "path in archive too long") \
	X(ERR_TAR_ENTRIES,   ERR_PERM,  "too many entries in archive") \
	X(ERR_TAR_TRUNCATED, ERR_PERM,  "truncated tar archive") \
	X(ERR_TAR_SIZE,      ERR_PERM,  "archive larger than the limit") \
	/* ignore patterns */ \
	X(ERR_PATTERN,       ERR_PERM,  "invalid pattern") \
	X(ERR_PATTERN_COUNT, ERR_PERM,  "too many ignore patterns") \
	/* digest */ \
	X(ERR_DIGEST_DEPTH,  ERR_PERM,  "path nesting too deep") \
	X(ERR_DIGEST_MEM,    ERR_PERM,  "digest memory budget exceeded") \
	X(ERR_DIGEST_EVICTED, ERR_PERM, "an ignore rule arrived after bodies past the output cap were discarded; retry without --max-output") \
	X(ERR_OUTPUT,        ERR_PERM,  "cannot write output")

enum err_code {
#define ERR_ENUM(name, cls, msg) name,
	ERR_LIST(ERR_ENUM)
#undef ERR_ENUM
	ERR__COUNT
};

/*
 * Where an error happened. Filled at the failure point (fixed size: no allocation on
 * the error path), formatted only by err_format(). Strings here may come from hostile
 * input: err_format() escapes them.
 */
struct err_ctx {
	int code;               /* enum err_code */
	char source[256];       /* the input: file name, URL (never with credentials) */
	char entry[256];        /* entry inside the input (archive path), or "" */
	uint64_t offset;        /* byte offset in the input stream, if has_offset */
	int has_offset;
	int sys_errno;          /* errno for ERR_IO/ERR_NOENT, else 0 */
	char detail[160];       /* free text, e.g. "limit 10485760 bytes" */
};

/* Message for a code; never NULL ("unknown error" for out-of-range codes). */
const char *err_str(int code);

/* 1 if retrying the operation may succeed (timeouts, throttling, 5xx), else 0. */
int err_retryable(int code);

/* Reset ctx and record code plus an optional printf-style detail. Returns code. */
int err_set(struct err_ctx *ctx, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Copy an untrusted (ptr, len) string into a fixed field, NUL-terminated, truncated. */
void err_field(char *dst, size_t cap, const void *src, size_t len);

/*
 * One line, no trailing newline, into out (always NUL-terminated):
 *   SOURCE: entry "ENTRY": MESSAGE at offset N (DETAIL): strerror
 * Parts that are empty are left out. Non-printable bytes are escaped as \xNN.
 */
void err_format(const struct err_ctx *ctx, char *out, size_t cap);

#endif
