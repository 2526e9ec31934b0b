/*
 * s3xml.c - bounded scanner for S3 <Error> bodies, retry classes, one-line
 * formatter.
 *
 * Data flow: s3xml_parse() walks the body once, left to right. Markup is
 * recognised just enough to find element boundaries: XML declaration and
 * processing instructions and comments are skipped, CDATA is text, a
 * DOCTYPE is refused (no DTD means no entity-expansion tricks), start tags
 * push their name (as an offset into the input, so the stack costs 16
 * bytes an entry) and end tags must match the top. Text is decoded only
 * while inside a direct child of <Error> that we keep (Code, Message,
 * RequestId, ServerTime), and goes straight into its fixed field.
 *
 * Limits: S3XML_MAX_BODY bytes in, S3XML_MAX_DEPTH open elements, field
 * sizes in s3xml.h. Every scan moves the cursor forward (the searches for
 * "?>", "-->" and "]]>" start where the construct starts and the cursor
 * jumps past the match), so time is linear in the input; there is no
 * recursion and no allocation.
 */
#include <string.h>

#include "err.h"
#include "s3xml.h"
#include "utf8enc.h"

/* ------------------------------------------------------------ fields */

struct field {
	char *p;
	size_t cap, len;
	unsigned bit;           /* S3XML_T_* */
};

static void
field_put(struct field *f, unsigned *trunc, const void *src, size_t n)
{
	size_t room = f->cap - 1 - f->len;

	if (n > room) {
		n = room;
		*trunc |= f->bit;
	}
	memcpy(f->p + f->len, src, n);
	f->len += n;
	f->p[f->len] = '\0';
}

/* Drop a UTF-8 sequence cut by truncation at the end of s[0..*len). */
static void
utf8_trim_tail(char *s, size_t *len)
{
	size_t n = *len, j = n, need;
	unsigned char lead;

	/* back over up to 3 continuation bytes to the lead byte */
	while (j > 0 && n - j < 3 && ((unsigned char)s[j - 1] & 0xc0) == 0x80)
		j--;
	if (j == 0)
		return;
	lead = (unsigned char)s[j - 1];
	if (lead < 0x80)
		return;
	need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
	if (n - (j - 1) < need) {
		*len = j - 1;
		s[*len] = '\0';
	}
}

static int
xml_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Trim white space at both ends in place. */
static void
trim_field(char *s)
{
	size_t n = strlen(s), a = 0;

	while (n > 0 && xml_space((unsigned char)s[n - 1]))
		n--;
	while (a < n && xml_space((unsigned char)s[a]))
		a++;
	memmove(s, s + a, n - a);
	s[n - a] = '\0';
}

/* ------------------------------------------------------------ scanner */

struct scan {
	const uint8_t *p;
	size_t n, i;
	size_t st_off[S3XML_MAX_DEPTH];         /* open element names */
	size_t st_len[S3XML_MAX_DEPTH];
	int depth;
	struct field f[4];                      /* code, message, id, time */
	unsigned seen;                          /* fields already read */
	struct field *cur;                      /* field being filled or NULL */
	struct s3xml_error *e;
};

static const char *const field_names[4] = {
	"Code", "Message", "RequestId", "ServerTime"
};

/* Offset of the first `pat` at or after from, or n if none. */
static size_t
find(const struct scan *s, size_t from, const char *pat)
{
	size_t k = strlen(pat);

	for (size_t i = from; i + k <= s->n; i++) {
		if (memcmp(s->p + i, pat, k) == 0)
			return i;
	}
	return s->n;
}

static int
starts(const struct scan *s, const char *pat)
{
	size_t k = strlen(pat);

	return s->n - s->i >= k && memcmp(s->p + s->i, pat, k) == 0;
}

/* XML NameStartChar / NameChar, loosely: ASCII letters, '_', ':', and
 * any byte >= 0x80 (UTF-8 names); digits, '-', '.' after the first. */
static int
name_char(unsigned char c, int first)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
	    c == ':' || c >= 0x80)
		return 1;
	return !first && ((c >= '0' && c <= '9') || c == '-' || c == '.');
}

/* Read a name at s->i; returns its length (0 = no name there). */
static size_t
read_name(struct scan *s)
{
	size_t start = s->i;

	if (s->i >= s->n || !name_char(s->p[s->i], 1))
		return 0;
	while (s->i < s->n && name_char(s->p[s->i], 0))
		s->i++;
	return s->i - start;
}

static int
name_is(const struct scan *s, size_t off, size_t len, const char *lit)
{
	return len == strlen(lit) && memcmp(s->p + off, lit, len) == 0;
}

static void
put(struct scan *s, const void *p, size_t n)
{
	if (s->cur != NULL)
		field_put(s->cur, &s->e->truncated, p, n);
}

/*
 * An entity at s->i ('&'). The longest valid one is "&#x10FFFF;" or
 * "&#1114111;" (10 bytes), so ';' is looked for in the next 11 bytes only:
 * a stray '&' in a huge text costs constant time, not a scan to the end.
 */
static int
entity(struct scan *s)
{
	static const struct {
		const char *name;
		char c;
	} named[] = {
		{ "amp", '&' }, { "lt", '<' }, { "gt", '>' },
		{ "quot", '"' }, { "apos", '\'' },
	};
	size_t start = s->i + 1, end = start, len;
	const uint8_t *q;
	char u[4];

	while (end < s->n && end - start < 11 && s->p[end] != ';')
		end++;
	if (end >= s->n)
		return ERR_S3_XML_TRUNCATED;
	if (s->p[end] != ';')
		return ERR_S3_XML_ENTITY;
	q = s->p + start;
	len = end - start;
	s->i = end + 1;
	for (size_t k = 0; k < sizeof named / sizeof named[0]; k++) {
		if (len == strlen(named[k].name) &&
		    memcmp(q, named[k].name, len) == 0) {
			put(s, &named[k].c, 1);
			return 0;
		}
	}
	if (len >= 2 && q[0] == '#') {
		uint32_t cp = 0;
		size_t k = 1;
		int hex = q[1] == 'x';

		if (hex)
			k = 2;
		if (k >= len)
			return ERR_S3_XML_ENTITY;
		for (; k < len; k++) {
			unsigned char c = q[k];
			int d;

			if (c >= '0' && c <= '9')
				d = c - '0';
			else if (hex && c >= 'a' && c <= 'f')
				d = c - 'a' + 10;
			else if (hex && c >= 'A' && c <= 'F')
				d = c - 'A' + 10;
			else
				return ERR_S3_XML_ENTITY;
			cp = cp * (hex ? 16u : 10u) + (uint32_t)d;
			if (cp > 0x10ffff)      /* also stops overflow */
				return ERR_S3_XML_ENTITY;
		}
		/* XML 1.0 Char: no NUL, C0 controls but TAB/LF/CR, surrogates,
		 * or U+FFFE/U+FFFF */
		if ((cp < 0x20 && cp != 0x9 && cp != 0xa && cp != 0xd) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe ||
		    cp == 0xffff)
			return ERR_S3_XML_ENTITY;
		put(s, u, utf8_encode(cp, (uint8_t *)u));
		return 0;
	}
	return ERR_S3_XML_ENTITY;
}

/* Skip attributes up to '>' (quoted values may hold '>'); sets *empty for
 * "/>". */
static int
skip_attrs(struct scan *s, int *empty)
{
	*empty = 0;
	while (s->i < s->n && s->p[s->i] != '>') {
		unsigned char c = s->p[s->i];

		if (c == '"' || c == '\'') {
			size_t k = s->i + 1;

			while (k < s->n && s->p[k] != c) {
				if (s->p[k] == '<')
					return ERR_S3_XML;
				k++;
			}
			if (k >= s->n)
				return ERR_S3_XML_TRUNCATED;
			s->i = k + 1;
			continue;
		}
		if (c == '<')
			return ERR_S3_XML;
		s->i++;
	}
	if (s->i >= s->n)
		return ERR_S3_XML_TRUNCATED;
	*empty = s->p[s->i - 1] == '/';
	s->i++;         /* '>' */
	return 0;
}

static int
start_tag(struct scan *s)
{
	size_t off, len;
	int r, empty;

	s->i++;         /* '<' */
	off = s->i;
	if ((len = read_name(s)) == 0)
		return s->i >= s->n ? ERR_S3_XML_TRUNCATED : ERR_S3_XML;
	if (s->i < s->n && !xml_space(s->p[s->i]) && s->p[s->i] != '>' &&
	    s->p[s->i] != '/')
		return ERR_S3_XML;
	if ((r = skip_attrs(s, &empty)) != 0)
		return r;
	if (s->depth == 0 && !name_is(s, off, len, "Error"))
		return ERR_S3_XML_NOT_ERROR;
	if (empty)
		return s->depth == 0 ? -1 : 0;  /* -1: <Error/>, done */
	if (s->depth == S3XML_MAX_DEPTH)
		return ERR_S3_XML_DEPTH;
	s->st_off[s->depth] = off;
	s->st_len[s->depth] = len;
	s->depth++;
	s->cur = NULL;
	if (s->depth == 2) {
		for (unsigned k = 0; k < 4; k++) {
			if (name_is(s, off, len, field_names[k]) &&
			    !(s->seen & (1u << k))) {
				s->seen |= 1u << k;
				s->cur = &s->f[k];
			}
		}
	}
	return 0;
}

static int
end_tag(struct scan *s)
{
	size_t off, len;

	s->i += 2;      /* "</" */
	off = s->i;
	if ((len = read_name(s)) == 0)
		return s->i >= s->n ? ERR_S3_XML_TRUNCATED : ERR_S3_XML;
	while (s->i < s->n && xml_space(s->p[s->i]))
		s->i++;
	if (s->i >= s->n)
		return ERR_S3_XML_TRUNCATED;
	if (s->p[s->i] != '>' || s->depth == 0 ||
	    s->st_len[s->depth - 1] != len ||
	    memcmp(s->p + s->st_off[s->depth - 1], s->p + off, len) != 0)
		return ERR_S3_XML;
	s->i++;
	s->depth--;
	s->cur = NULL;          /* text after a child's end is not its text */
	return s->depth == 0 ? -1 : 0;
}

/* One step at s->i: 0 = go on, -1 = root closed, else an error. */
static int
step(struct scan *s)
{
	unsigned char c = s->p[s->i];
	size_t k;

	if (c != '<') {
		if (s->depth == 0) {
			/* only white space outside the root */
			if (!xml_space(c))
				return ERR_S3_XML;
			s->i++;
			return 0;
		}
		if (c == '&')
			return entity(s);
		/* a run of plain text at once; XML 1.0 allows no C0 control
		 * but TAB, LF and CR, and a NUL would cut the field short */
		k = s->i;
		while (k < s->n && s->p[k] != '<' && s->p[k] != '&') {
			if (s->p[k] < 0x20 && !xml_space(s->p[k]))
				return ERR_S3_XML;
			k++;
		}
		put(s, s->p + s->i, k - s->i);
		s->i = k;
		return 0;
	}
	if (starts(s, "<?")) {
		if ((k = find(s, s->i + 2, "?>")) == s->n)
			return ERR_S3_XML_TRUNCATED;
		s->i = k + 2;
		return 0;
	}
	if (starts(s, "<!--")) {
		if ((k = find(s, s->i + 4, "-->")) == s->n)
			return ERR_S3_XML_TRUNCATED;
		s->i = k + 3;
		return 0;
	}
	if (starts(s, "<![CDATA[")) {
		if (s->depth == 0)
			return ERR_S3_XML;
		if ((k = find(s, s->i + 9, "]]>")) == s->n)
			return ERR_S3_XML_TRUNCATED;
		for (size_t j = s->i + 9; j < k; j++) {
			if (s->p[j] < 0x20 && !xml_space(s->p[j]))
				return ERR_S3_XML;
		}
		put(s, s->p + s->i + 9, k - (s->i + 9));
		s->i = k + 3;
		return 0;
	}
	/* input ends inside "<![CDATA[" or "<!--": cut, not malformed */
	if (s->n - s->i < 9 && (memcmp(s->p + s->i, "<![CDATA[",
	    s->n - s->i) == 0 || (s->n - s->i < 4 &&
	    memcmp(s->p + s->i, "<!--", s->n - s->i) == 0)))
		return ERR_S3_XML_TRUNCATED;
	if (starts(s, "<!"))
		return ERR_S3_XML;      /* DOCTYPE and friends: refused */
	if (starts(s, "</"))
		return end_tag(s);
	return start_tag(s);
}

/* see s3xml.h */
int
s3xml_parse(const uint8_t *p, size_t n, struct s3xml_error *e)
{
	struct scan s;
	int r = 0, any = 0;

	memset(e, 0, sizeof *e);
	if (n > S3XML_MAX_BODY)
		return ERR_S3_XML_SIZE;
	memset(&s, 0, sizeof s);
	s.p = p;
	s.n = n;
	s.e = e;
	s.f[0] = (struct field){ e->code, sizeof e->code, 0, S3XML_T_CODE };
	s.f[1] = (struct field){ e->message, sizeof e->message, 0,
	    S3XML_T_MESSAGE };
	s.f[2] = (struct field){ e->request_id, sizeof e->request_id, 0,
	    S3XML_T_REQID };
	s.f[3] = (struct field){ e->server_time, sizeof e->server_time, 0,
	    S3XML_T_TIME };
	/* UTF-8 byte order mark */
	if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		s.i = 3;
	while (s.i < s.n) {
		if (!xml_space(s.p[s.i]))
			any = 1;
		if ((r = step(&s)) != 0)
			break;
	}
	if (r == 0)
		r = any ? ERR_S3_XML_TRUNCATED : ERR_S3_XML_EMPTY;
	else if (r == -1)
		r = 0;          /* root closed; what follows is ignored */
	for (int k = 0; k < 4; k++) {
		if (e->truncated & s.f[k].bit)
			utf8_trim_tail(s.f[k].p, &s.f[k].len);
		trim_field(s.f[k].p);
	}
	return r;
}

/* ------------------------------------------------------------ classifier */

static int
in_list(const char *code, const char *const *list)
{
	for (; *list != NULL; list++) {
		if (strcmp(code, *list) == 0)
			return 1;
	}
	return 0;
}

/* see s3xml.h */
int
s3_error_retryable(const char *code, int http_status)
{
	static const char *const retry[] = {
		"SlowDown", "RequestTimeout", "InternalError",
		"ServiceUnavailable", "OperationAborted", NULL
	};
	static const char *const once[] = {
		"BadDigest", "XAmzContentSHA256Mismatch", "IncompleteBody", NULL
	};
	/* configuration or input: retrying sends the same bytes again */
	static const char *const never[] = {
		"AccessDenied", "SignatureDoesNotMatch", "NoSuchBucket",
		"InvalidAccessKeyId", "InvalidBucketName", "MetadataTooLarge",
		"EntityTooLarge", "InvalidRequest", "InvalidArgument",
		"NotImplemented", "AuthorizationHeaderMalformed",
		"InvalidDigest", "KeyTooLongError", "MissingContentLength", NULL
	};

	if (code != NULL && code[0] != '\0') {
		if (strcmp(code, "RequestTimeTooSkewed") == 0)
			return S3_RETRY_CLOCK;
		if (strcmp(code, "NoSuchKey") == 0)
			return S3_RETRY_MISS;
		if (in_list(code, retry))
			return S3_RETRY_YES;
		if (in_list(code, once))
			return S3_RETRY_ONCE;
		if (in_list(code, never))
			return S3_RETRY_NO;
	}
	if (http_status == 408 || http_status == 429)
		return S3_RETRY_YES;
	if (http_status >= 500 && http_status <= 599 && http_status != 501)
		return S3_RETRY_YES;
	/* HEAD has no body: a bare 404 is a missing key (a missing bucket
	 * shows up on the first PUT, whose body says NoSuchBucket) */
	if (http_status == 404 && (code == NULL || code[0] == '\0'))
		return S3_RETRY_MISS;
	return S3_RETRY_NO;
}

/* ------------------------------------------------------------ formatter */

struct out {
	char *p;
	size_t cap, len;
	int full;
};

/* Append s escaped; stop, without cutting an escape, when out is full. */
static void
out_esc(struct out *o, const char *s)
{
	static const char hx[] = "0123456789abcdef";

	for (; *s != '\0' && !o->full; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
			if (o->cap - 1 - o->len < 4) {
				o->full = 1;
				break;
			}
			o->p[o->len++] = '\\';
			o->p[o->len++] = 'x';
			o->p[o->len++] = hx[c >> 4];
			o->p[o->len++] = hx[c & 15];
		} else {
			if (o->cap - 1 - o->len < 1) {
				o->full = 1;
				break;
			}
			o->p[o->len++] = (char)c;
		}
	}
	o->p[o->len] = '\0';
}

/* see s3xml.h */
void
s3xml_format(const struct s3xml_error *e, int http_status, char *out,
    size_t cap)
{
	struct out o = { out, cap, 0, 0 };
	char num[16];
	int paren = 0;

	if (cap == 0)
		return;
	out[0] = '\0';
	if (e->code[0] == '\0') {
		/* status digits by hand: no printf in a formatter of hostile
		 * text, and the value is a plain int */
		unsigned v = http_status < 0 ? 0u : (unsigned)http_status;
		size_t k = sizeof num - 1;

		num[k] = '\0';
		do {
			num[--k] = (char)('0' + v % 10);
			v /= 10;
		} while (v != 0 && k > 0);
		out_esc(&o, "HTTP ");
		out_esc(&o, num + k);
	} else {
		out_esc(&o, e->code);
	}
	if (e->message[0] != '\0') {
		out_esc(&o, ": ");
		out_esc(&o, e->message);
	}
	if (e->request_id[0] != '\0') {
		out_esc(&o, " (request id ");
		out_esc(&o, e->request_id);
		paren = 1;
	}
	if (e->server_time[0] != '\0') {
		out_esc(&o, paren ? ", server time " : " (server time ");
		out_esc(&o, e->server_time);
		paren = 1;
	}
	if (paren)
		out_esc(&o, ")");
	if (o.full)
		utf8_trim_tail(o.p, &o.len);
}
