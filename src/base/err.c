/*
 * err.c - error messages and the one-line formatter. See err.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

struct err_info {
	int cls;
	const char *msg;
};

static const struct err_info err_table[] = {
#define ERR_ROW(name, cls, msg) { cls, msg },
	ERR_LIST(ERR_ROW)
#undef ERR_ROW
};

/* see err.h */
const char *
err_str(int code)
{
	if (code < 0 || code >= ERR__COUNT)
		return "unknown error";
	return err_table[code].msg;
}

int
err_retryable(int code)
{
	if (code <= 0 || code >= ERR__COUNT)
		return 0;
	return err_table[code].cls == ERR_RETRY;
}

int
err_set(struct err_ctx *ctx, int code, const char *fmt, ...)
{
	va_list ap;

	ctx->code = code;
	ctx->detail[0] = '\0';
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(ctx->detail, sizeof ctx->detail, fmt, ap);
		va_end(ap);
	}
	return code;
}

void
err_field(char *dst, size_t cap, const void *src, size_t len)
{
	if (cap == 0)
		return;
	if (len > cap - 1)
		len = cap - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/*
 * Append s to out with hostile bytes escaped: control characters, DEL, '"' and '\'
 * become \xNN so a crafted archive name cannot forge log lines or terminal escapes.
 * Bytes >= 0x80 pass (UTF-8 names are common in real repositories).
 */
static void
put_escaped(char *out, size_t cap, size_t *at, const char *s)
{
	for (; *s != '\0' && *at + 5 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			*at += (size_t)snprintf(out + *at, cap - *at, "\\x%02x", c);
		else
			out[(*at)++] = (char)c;
	}
	out[*at] = '\0';
}

static void
put_plain(char *out, size_t cap, size_t *at, const char *s)
{
	size_t n = strlen(s);

	if (*at >= cap)
		return;
	if (n > cap - 1 - *at)
		n = cap - 1 - *at;
	memcpy(out + *at, s, n);
	*at += n;
	out[*at] = '\0';
}

void
err_format(const struct err_ctx *ctx, char *out, size_t cap)
{
	size_t at = 0;
	char num[48];

	if (cap == 0)
		return;
	out[0] = '\0';
	if (ctx->source[0] != '\0') {
		put_escaped(out, cap, &at, ctx->source);
		put_plain(out, cap, &at, ": ");
	}
	if (ctx->entry[0] != '\0') {
		put_plain(out, cap, &at, "entry \"");
		put_escaped(out, cap, &at, ctx->entry);
		put_plain(out, cap, &at, "\": ");
	}
	put_plain(out, cap, &at, err_str(ctx->code));
	if (ctx->has_offset) {
		snprintf(num, sizeof num, " at offset %llu",
		    (unsigned long long)ctx->offset);
		put_plain(out, cap, &at, num);
	}
	if (ctx->detail[0] != '\0') {
		put_plain(out, cap, &at, " (");
		put_escaped(out, cap, &at, ctx->detail);
		put_plain(out, cap, &at, ")");
	}
	/* ERR_NOENT already says what ENOENT would */
	if (ctx->sys_errno != 0 &&
	    !(ctx->code == ERR_NOENT && ctx->sys_errno == ENOENT)) {
		put_plain(out, cap, &at, ": ");
		put_plain(out, cap, &at, strerror(ctx->sys_errno));
	}
}
