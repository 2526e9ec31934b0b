/*
 * chunkread.c - chunk lines read back. See chunkread.h.
 *
 * Two layers: the push layer finds lines (a line inside one piece is parsed
 * in place, a line cut between pieces is gathered in r->line, capped), and
 * parse_line() reads one whole line: a JSON object whose known fields are
 * decoded into r->rec and whose other members are skipped. Strings are
 * decoded in two steps: their end is found first (the decoded text is never
 * longer than the escaped one, so the text buffer is sized once), then the
 * escapes are decoded. Nothing here recurses: a skipped value's nesting is
 * a bit stack of CHUNKRD_DEPTH levels.
 */
#include <stdio.h>
#include <string.h>

#include "chunkread.h"
#include "err.h"
#include "utf8.h"
#include "utf8enc.h"

/* The fields read (bit per field, to find duplicates and missing ones). */
enum {
	F_REPO, F_REF, F_COMMIT, F_PATH, F_LANGUAGE, F_CHUNK, F_START, F_END,
	F_TEXT, F_TOKENS, F_ID, F__COUNT
};
static const char *const field_names[F__COUNT] = {
	"repo", "ref", "commit", "path", "language", "chunk", "start_line",
	"end_line", "text", "tokens", "id"
};
#define REQUIRED ((1u << F_REPO) | (1u << F_PATH) | (1u << F_CHUNK) | \
	(1u << F_START) | (1u << F_END) | (1u << F_TEXT) | (1u << F_ID))

/* One line being parsed. */
struct line {
	const uint8_t *p;
	size_t n, i;
	struct chunkrd *r;
};

/* see chunkread.h */
void
chunkrd_init(struct chunkrd *r)
{
	memset(r, 0, sizeof *r);
	buf_init(&r->line, CHUNKRD_LINE_MAX);
	buf_init(&r->rec.text, CHUNKRD_LINE_MAX);
}

/* see chunkread.h */
void
chunkrd_free(struct chunkrd *r)
{
	buf_free(&r->line);
	buf_free(&r->rec.text);
}

static int
fail(struct chunkrd *r, int code, const char *what, const char *field)
{
	r->err = code;
	if (field != NULL)
		snprintf(r->detail, sizeof r->detail, "\"%s\": %s", field, what);
	else
		snprintf(r->detail, sizeof r->detail, "%s", what);
	return code;
}

static void
ws(struct line *l)
{
	while (l->i < l->n && (l->p[l->i] == ' ' || l->p[l->i] == '\t' ||
	    l->p[l->i] == '\r' || l->p[l->i] == '\n'))
		l->i++;
}

/*
 * The end of the string whose opening quote is at l->i: the index of its
 * closing quote, or 0 (a string never ends at 0) when there is none or it
 * holds a raw control byte, which JSON forbids (RFC 8259 section 7).
 */
static size_t
string_end(const struct line *l)
{
	for (size_t j = l->i + 1; j < l->n; j++) {
		uint8_t c = l->p[j];
		if (c == '"')
			return j;
		if (c < 0x20)
			return 0;
		if (c == '\\' && ++j >= l->n)
			return 0;
	}
	return 0;
}

static int
hex4(const uint8_t *p, uint32_t *v)
{
	*v = 0;
	for (int k = 0; k < 4; k++) {
		int h = buf_hexval(p[k]);
		if (h < 0)
			return -1;
		*v = *v << 4 | (uint32_t)h;
	}
	return 0;
}

/*
 * Decode the string p[s..e) (between its quotes) into out (cap bytes).
 * Returns the length, or (size_t)-1 for a bad escape or -2 when it does not
 * fit. A surrogate that is not half of a pair becomes U+FFFD.
 */
static size_t
decode(const uint8_t *p, size_t s, size_t e, uint8_t *out, size_t cap)
{
	size_t o = 0, i = s;
	uint32_t cp, lo;

	while (i < e) {
		const uint8_t *bs = memchr(p + i, '\\', e - i);
		size_t run = bs ? (size_t)(bs - p) - i : e - i;

		if (run > cap - o)
			return (size_t)-2;
		memcpy(out + o, p + i, run);
		o += run;
		i += run;
		if (i >= e)
			break;
		/* a backslash: string_end() made sure a byte follows */
		switch (p[i + 1]) {
		case '"': cp = '"'; break;
		case '\\': cp = '\\'; break;
		case '/': cp = '/'; break;
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'u':
			if (e - i < 6 || hex4(p + i + 2, &cp) != 0)
				return (size_t)-1;
			i += 4;
			if (cp >= 0xD800 && cp <= 0xDBFF && e - i >= 8 &&
			    p[i + 2] == '\\' && p[i + 3] == 'u' &&
			    hex4(p + i + 4, &lo) == 0 && lo >= 0xDC00 &&
			    lo <= 0xDFFF) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				i += 6;
			} else if (cp >= 0xD800 && cp <= 0xDFFF) {
				cp = 0xFFFD;
			}
			break;
		default:
			return (size_t)-1;
		}
		i += 2;
		if (cap - o < 4)
			return (size_t)-2;
		o += utf8_encode(cp, out + o);
	}
	return o;
}

/* A string member's value into a fixed field (NUL-terminated). */
static int
str_field(struct line *l, int f, char *dst, size_t cap, size_t *len)
{
	size_t e, k;

	if (l->i >= l->n || l->p[l->i] != '"')
		return fail(l->r, ERR_CHUNKS_FIELD, "not a string",
		    field_names[f]);
	if ((e = string_end(l)) == 0)
		return fail(l->r, ERR_CHUNKS_JSON, "unterminated string",
		    field_names[f]);
	k = decode(l->p, l->i + 1, e, (uint8_t *)dst, cap - 1);
	if (k == (size_t)-1)
		return fail(l->r, ERR_CHUNKS_JSON, "bad escape", field_names[f]);
	if (k == (size_t)-2)
		return fail(l->r, ERR_CHUNKS_FIELD, "too long", field_names[f]);
	if (memchr(dst, 0, k) != NULL)
		return fail(l->r, ERR_CHUNKS_FIELD, "holds a NUL",
		    field_names[f]);
	dst[k] = '\0';
	if (len != NULL)
		*len = k;
	l->i = e + 1;
	return 0;
}

/* The text member: decoded into rec.text, sized once. */
static int
text_field(struct line *l)
{
	struct buf *b = &l->r->rec.text;
	size_t e, k;
	int err;

	if (l->i >= l->n || l->p[l->i] != '"')
		return fail(l->r, ERR_CHUNKS_FIELD, "not a string", "text");
	if ((e = string_end(l)) == 0)
		return fail(l->r, ERR_CHUNKS_JSON, "unterminated string", "text");
	buf_reset(b);
	/* decoded is never longer than escaped, but an escape may write 4
	 * bytes at a time: room for that */
	if ((err = buf_reserve(b, e - l->i + 4)) != 0)
		return fail(l->r, err, "no memory for the text", NULL);
	k = decode(l->p, l->i + 1, e, b->p, e - l->i + 4);
	if (k == (size_t)-1)
		return fail(l->r, ERR_CHUNKS_JSON, "bad escape", "text");
	if (k == (size_t)-2)
		return fail(l->r, ERR_CHUNKS_FIELD, "too long", "text");
	b->len = k;
	l->i = e + 1;
	return 0;
}

/* A whole number in [0, 2^53] (what JSON.parse reads exactly). */
static int
num_field(struct line *l, int f, uint64_t *v)
{
	size_t start = l->i;

	*v = 0;
	while (l->i < l->n && l->p[l->i] >= '0' && l->p[l->i] <= '9') {
		if (*v > ((uint64_t)1 << 53) / 10)
			return fail(l->r, ERR_CHUNKS_FIELD, "too large",
			    field_names[f]);
		*v = *v * 10 + (uint64_t)(l->p[l->i++] - '0');
	}
	if (l->i == start || *v > (uint64_t)1 << 53 ||
	    (l->p[start] == '0' && l->i - start > 1) ||
	    (l->i < l->n && (l->p[l->i] == '.' || l->p[l->i] == 'e' ||
	    l->p[l->i] == 'E')))
		return fail(l->r, ERR_CHUNKS_FIELD, "not a whole number",
		    field_names[f]);
	return 0;
}

/* Skip a literal (true, false, null) or a number: its characters. */
static int
skip_scalar(struct line *l)
{
	size_t start = l->i;

	while (l->i < l->n && ((l->p[l->i] >= 'a' && l->p[l->i] <= 'z') ||
	    (l->p[l->i] >= '0' && l->p[l->i] <= '9') || l->p[l->i] == '-' ||
	    l->p[l->i] == '+' || l->p[l->i] == '.' || l->p[l->i] == 'E'))
		l->i++;
	if (l->i == start)
		return fail(l->r, ERR_CHUNKS_JSON, "expected a value", NULL);
	/* the words JSON has; a number's shape is not checked further */
	if (l->p[start] >= 'a' && l->p[start] <= 'z' &&
	    !(l->i - start == 4 && memcmp(l->p + start, "true", 4) == 0) &&
	    !(l->i - start == 5 && memcmp(l->p + start, "false", 5) == 0) &&
	    !(l->i - start == 4 && memcmp(l->p + start, "null", 4) == 0))
		return fail(l->r, ERR_CHUNKS_JSON, "expected a value", NULL);
	return 0;
}

/*
 * Skip any value: scalars, strings, and objects and arrays to
 * CHUNKRD_DEPTH levels (bit k of the stack: level k is an object). Members
 * of a skipped object are checked for their shape (key, colon, value).
 */
static int
skip_value(struct line *l)
{
	uint64_t objs = 0;
	int depth = 0, want_value = 1;
	size_t e;

	for (;;) {
		ws(l);
		if (l->i >= l->n)
			return fail(l->r, ERR_CHUNKS_JSON, "line ends inside a "
			    "value", NULL);
		uint8_t c = l->p[l->i];
		if (want_value) {
			if (c == '{' || c == '[') {
				if (depth == CHUNKRD_DEPTH)
					return fail(l->r, ERR_CHUNKS_JSON,
					    "nested too deeply", NULL);
				objs = (objs & ~((uint64_t)1 << depth)) |
				    (uint64_t)(c == '{') << depth;
				depth++;
				l->i++;
				ws(l);
				if (l->i < l->n && l->p[l->i] == (c == '{' ?
				    '}' : ']')) {
					l->i++;
					depth--;
					want_value = 0;
				} else if (c == '{') {
					goto key;
				}
				if (depth == 0)
					return 0;
				continue;
			}
			if (c == '"') {
				if ((e = string_end(l)) == 0)
					return fail(l->r, ERR_CHUNKS_JSON,
					    "unterminated string", NULL);
				l->i = e + 1;
			} else if (skip_scalar(l) != 0) {
				return l->r->err;
			}
			want_value = 0;
			if (depth == 0)
				return 0;
			continue;
		}
		/* after a value inside a container: ',' or its end */
		int obj = (int)(objs >> (depth - 1) & 1);
		if (c == (obj ? '}' : ']')) {
			l->i++;
			if (--depth == 0)
				return 0;
			continue;
		}
		if (c != ',')
			return fail(l->r, ERR_CHUNKS_JSON, "expected ',' in a "
			    "value", NULL);
		l->i++;
		want_value = 1;
		if (!obj)
			continue;
		ws(l);
key:
		if (l->i >= l->n || l->p[l->i] != '"' || (e = string_end(l)) == 0)
			return fail(l->r, ERR_CHUNKS_JSON, "expected a key", NULL);
		l->i = e + 1;
		ws(l);
		if (l->i >= l->n || l->p[l->i] != ':')
			return fail(l->r, ERR_CHUNKS_JSON, "expected ':'", NULL);
		l->i++;
		want_value = 1;
	}
}

/* Which field a key names (keys are plain ASCII; an escaped key is
 * another key), or -1. */
static int
field_of(const uint8_t *k, size_t n)
{
	for (int f = 0; f < F__COUNT; f++)
		if (strlen(field_names[f]) == n && memcmp(field_names[f], k, n) == 0)
			return f;
	return -1;
}

static int
member(struct line *l, int f)
{
	struct chunkrd_rec *rec = &l->r->rec;

	switch (f) {
	case F_REPO:
		return str_field(l, f, rec->repo, sizeof rec->repo, NULL);
	case F_REF:
		return str_field(l, f, rec->ref, sizeof rec->ref, NULL);
	case F_COMMIT:
		return str_field(l, f, rec->commit, sizeof rec->commit, NULL);
	case F_PATH:
		return str_field(l, f, rec->path, sizeof rec->path,
		    &rec->path_len);
	case F_LANGUAGE:
		return str_field(l, f, rec->language, sizeof rec->language, NULL);
	case F_ID:
		return str_field(l, f, rec->id, sizeof rec->id, NULL);
	case F_TEXT:
		return text_field(l);
	case F_CHUNK:
		return num_field(l, f, &rec->chunk);
	case F_START:
		return num_field(l, f, &rec->start_line);
	case F_END:
		return num_field(l, f, &rec->end_line);
	case F_TOKENS:
		return num_field(l, f, &rec->tokens);
	default:
		return skip_value(l);
	}
}

/* The checks across fields once the object is read. */
static int
check_record(struct chunkrd *r, unsigned seen)
{
	struct chunkrd_rec *rec = &r->rec;

	for (int f = 0; f < F__COUNT; f++)
		if ((REQUIRED >> f & 1) && !(seen >> f & 1))
			return fail(r, ERR_CHUNKS_FIELD, "missing", field_names[f]);
	if (rec->repo[0] == '\0')
		return fail(r, ERR_CHUNKS_FIELD, "empty", "repo");
	if (rec->path_len == 0)
		return fail(r, ERR_CHUNKS_FIELD, "empty", "path");
	if (strlen(rec->id) != 32 || strspn(rec->id, "0123456789abcdef") != 32)
		return fail(r, ERR_CHUNKS_FIELD, "not 32 hex digits", "id");
	if (rec->start_line > rec->end_line)
		return fail(r, ERR_CHUNKS_FIELD, "after end_line", "start_line");
	return 0;
}

/* The length of p's ASCII prefix, eight bytes at a time: most lines are
 * ASCII all through, and what follows the prefix starts a character, so
 * utf8_valid() need only see the rest. */
static size_t
ascii_run(const uint8_t *p, size_t n)
{
	size_t i = 0;
	uint64_t w;

	for (; n - i >= 8; i += 8) {
		memcpy(&w, p + i, 8);
		if (w & 0x8080808080808080ull)
			break;
	}
	while (i < n && p[i] < 0x80)
		i++;
	return i;
}

/*
 * One whole line (without its newline). Returns 1 for a record, 0 for a
 * blank line, or the error code (r->err set).
 */
static int
parse_line(struct chunkrd *r, const uint8_t *p, size_t n)
{
	struct line l = { p, n, 0, r };
	struct chunkrd_rec *rec = &r->rec;
	unsigned seen = 0;
	size_t e;
	int f;

	ws(&l);
	if (l.i == n)
		return 0;
	e = ascii_run(p, n);
	if (e < n && !utf8_valid(p + e, n - e))
		return fail(r, ERR_CHUNKS_JSON, "not UTF-8", NULL);
	if (p[l.i] != '{')
		return fail(r, ERR_CHUNKS_JSON, "not a JSON object", NULL);
	l.i++;
	rec->repo[0] = rec->ref[0] = rec->commit[0] = rec->path[0] = '\0';
	rec->language[0] = rec->id[0] = '\0';
	rec->path_len = 0;
	rec->chunk = rec->start_line = rec->end_line = rec->tokens = 0;
	buf_reset(&rec->text);
	ws(&l);
	if (l.i < n && p[l.i] == '}') {
		l.i++;
		goto end;
	}
	for (;;) {
		ws(&l);
		if (l.i >= n || p[l.i] != '"' || (e = string_end(&l)) == 0)
			return fail(r, ERR_CHUNKS_JSON, "expected a key", NULL);
		f = field_of(p + l.i + 1, e - l.i - 1);
		l.i = e + 1;
		ws(&l);
		if (l.i >= n || p[l.i] != ':')
			return fail(r, ERR_CHUNKS_JSON, "expected ':'", NULL);
		l.i++;
		ws(&l);
		if (f >= 0 && (seen >> f & 1))
			return fail(r, ERR_CHUNKS_FIELD, "given twice",
			    field_names[f]);
		if (f >= 0)
			seen |= 1u << f;
		if (member(&l, f) != 0)
			return r->err;
		ws(&l);
		if (l.i < n && p[l.i] == ',') {
			l.i++;
			continue;
		}
		if (l.i < n && p[l.i] == '}') {
			l.i++;
			break;
		}
		return fail(r, ERR_CHUNKS_JSON, "expected ',' or '}'", NULL);
	}
end:
	ws(&l);
	if (l.i != n)
		return fail(r, ERR_CHUNKS_JSON, "text after the object", NULL);
	if (check_record(r, seen) != 0)
		return r->err;
	return 1;
}

/* A line is complete: parse it, say what came of it. */
static enum chunkrd_event
line_done(struct chunkrd *r, const uint8_t *p, size_t n)
{
	int k;

	r->lineno++;
	k = parse_line(r, p, n);
	if (k == 1)
		return CHUNKRD_RECORD;
	return k == 0 ? CHUNKRD_MORE : CHUNKRD_ERROR;
}

/* see chunkread.h */
size_t
chunkrd_push(struct chunkrd *r, const uint8_t *p, size_t n,
    enum chunkrd_event *ev)
{
	size_t used = 0;
	const uint8_t *nl;
	int e;

	*ev = r->err ? CHUNKRD_ERROR : CHUNKRD_MORE;
	while (*ev == CHUNKRD_MORE && used < n) {
		nl = memchr(p + used, '\n', n - used);
		if (nl == NULL) {
			if ((e = buf_append(&r->line, p + used, n - used)) != 0) {
				r->lineno++;
				fail(r, e == ERR_LIMIT ? ERR_CHUNKS_LINE : e,
				    e == ERR_LIMIT ? "line longer than 8 MiB" :
				    "no memory for the line", NULL);
				*ev = CHUNKRD_ERROR;
			}
			return n;
		}
		size_t k = (size_t)(nl - (p + used));
		if (r->line.len == 0) {
			/* the whole line is here: read it in place */
			if (k > CHUNKRD_LINE_MAX) {
				r->lineno++;
				fail(r, ERR_CHUNKS_LINE, "line longer than 8 MiB",
				    NULL);
				*ev = CHUNKRD_ERROR;
				return used + k + 1;
			}
			*ev = line_done(r, p + used, k);
		} else {
			if ((e = buf_append(&r->line, p + used, k)) != 0) {
				r->lineno++;
				fail(r, e == ERR_LIMIT ? ERR_CHUNKS_LINE : e,
				    e == ERR_LIMIT ? "line longer than 8 MiB" :
				    "no memory for the line", NULL);
				*ev = CHUNKRD_ERROR;
				return used + k + 1;
			}
			*ev = line_done(r, r->line.p, r->line.len);
			buf_reset(&r->line);
		}
		used += k + 1;
	}
	return used;
}

/* see chunkread.h */
enum chunkrd_event
chunkrd_end(struct chunkrd *r)
{
	enum chunkrd_event ev;

	if (r->err)
		return CHUNKRD_ERROR;
	if (r->line.len == 0)
		return CHUNKRD_MORE;
	ev = line_done(r, r->line.p, r->line.len);
	buf_reset(&r->line);
	return ev;
}
