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

/*
 * BearSSL's X.509 statuses (BR_ERR_X509_OK = 32 ... BR_ERR_X509_NOT_TRUSTED =
 * 62), indexed from 32. Said as what the user's server sent, so that "issuer
 * is not a CA" or "out of order" reads as a fix, not as a number to look up.
 */
static const char *const x509_words[] = {
	/* 32 OK */ "no error",
	/* 33 INVALID_VALUE */ "a certificate field holds an invalid value",
	/* 34 TRUNCATED */ "a certificate is truncated",
	/* 35 EMPTY_CHAIN */ "the server sent no certificate",
	/* 36 INNER_TRUNC */ "a certificate is malformed (a DER element "
	    "overruns its container)",
	/* 37 BAD_TAG_CLASS */ "a certificate is malformed (unsupported DER "
	    "tag class)",
	/* 38 BAD_TAG_VALUE */ "a certificate is malformed (unsupported DER "
	    "tag)",
	/* 39 INDEFINITE_LENGTH */ "a certificate is malformed (indefinite "
	    "DER length)",
	/* 40 EXTRA_ELEMENT */ "a certificate is malformed (an extra DER "
	    "element)",
	/* 41 UNEXPECTED */ "a certificate is malformed (an unexpected DER "
	    "element)",
	/* 42 NOT_CONSTRUCTED */ "a certificate is malformed (a primitive DER "
	    "element where a constructed one belongs)",
	/* 43 NOT_PRIMITIVE */ "a certificate is malformed (a constructed DER "
	    "element where a primitive one belongs)",
	/* 44 PARTIAL_BYTE */ "a certificate is malformed (a BIT STRING of "
	    "partial bytes)",
	/* 45 BAD_BOOLEAN */ "a certificate is malformed (a BOOLEAN of the "
	    "wrong length)",
	/* 46 OVERFLOW */ "a certificate is malformed (a value out of range)",
	/* 47 BAD_DN */ "a certificate has an invalid distinguished name",
	/* 48 BAD_TIME */ "a certificate has an invalid date",
	/* 49 UNSUPPORTED */ "a certificate uses an unsupported feature that "
	    "cannot be ignored",
	/* 50 LIMIT_EXCEEDED */ "a key or signature is larger than supported",
	/* 51 WRONG_KEY_TYPE */ "a key is not of the type its use requires",
	/* 52 BAD_SIGNATURE */ "a signature in the chain does not verify",
	/* 53 TIME_UNKNOWN */ "no current time to check the validity dates "
	    "against",
	/* 54 EXPIRED */ "outside its validity dates",
	/* 55 DN_MISMATCH */ "chain out of order: an issuer name is not the "
	    "next certificate's subject",
	/* 56 BAD_SERVER_NAME */ "name not in the certificate",
	/* 57 CRITICAL_EXTENSION */ "a certificate has an unknown critical "
	    "extension",
	/* 58 NOT_CA */ "a certificate that signs another lacks CA:TRUE, or "
	    "its path length limit is exceeded",
	/* 59 FORBIDDEN_KEY_USAGE */ "a certificate's key usage forbids this "
	    "use",
	/* 60 WEAK_PUBLIC_KEY */ "a public key is too small",
	/* 61 (unused) */ NULL,
	/* 62 NOT_TRUSTED */ "no trust anchor for the chain",
};

/* see err.h */
const char *
err_x509_str(int br)
{
	size_t i = (size_t)br - 32;

	if (br < 32 || i >= sizeof x509_words / sizeof x509_words[0])
		return NULL;
	return x509_words[i];
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
