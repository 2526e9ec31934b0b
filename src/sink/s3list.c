/*
 * s3list.c - the ListObjectsV2 answer, pushed byte by byte through a small
 * XML tokenizer. See s3list.h.
 *
 * The tokenizer keeps its whole state in struct s3list (a state number and
 * the name, entity and text being read), so a piece may end anywhere: in
 * a tag, an entity, a comment. Only the elements s3list.h names are read;
 * their text goes to a fixed buffer sized for the field, and is moved to
 * the result when the element closes.
 */
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "s3list.h"
#include "utf8enc.h"

enum {
	ST_TEXT, ST_LT, ST_NAME, ST_ATTRS, ST_AVAL, ST_SLASH, ST_END,
	ST_END_WS, ST_PI, ST_PI_Q, ST_BANG, ST_BANG_DASH, ST_COMMENT,
	ST_CDATA_OPEN, ST_CDATA, ST_ENT
};

/* Element names read (0: any other). */
enum { E_OTHER, E_ROOT, E_CONTENTS, E_KEY, E_SIZE, E_TRUNC, E_NEXT };
static const char *const elem_names[] = {
	"", "ListBucketResult", "Contents", "Key", "Size", "IsTruncated",
	"NextContinuationToken"
};

/* Fields, and the most bytes of text each may have. */
enum { F_NONE, F_KEY, F_SIZE, F_TRUNC, F_NEXT };
static const size_t field_max[] = {
	0, S3LIST_KEY_MAX, 20, 8, S3LIST_TOKEN_MAX
};

static const char cdata_open[] = "[CDATA[";

/* see s3list.h */
void
s3list_init(struct s3list *l)
{
	memset(l, 0, sizeof *l);
}

static int
fail(struct s3list *l, const char *why)
{
	l->err = ERR_S3_LIST;
	snprintf(l->detail, sizeof l->detail, "%s", why);
	return ERR_S3_LIST;
}

static int
is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
elem_id(const struct s3list *l)
{
	if (l->name_long)
		return E_OTHER;
	for (int i = 1; i < (int)(sizeof elem_names / sizeof elem_names[0]);
	    i++)
		if (strlen(elem_names[i]) == l->name_len &&
		    memcmp(elem_names[i], l->name, l->name_len) == 0)
			return i;
	return E_OTHER;
}

/* Text of the current element: into the field, or checked as white space
 * where none may be (outside the root). */
static int
text_byte(struct s3list *l, uint8_t c)
{
	if (l->field == F_NONE) {
		if (l->depth == 0 && !is_space(c))
			return fail(l, "text outside the document's element");
		return 0;
	}
	if (c == 0)
		return fail(l, "NUL in a field");
	if (l->text_len >= field_max[l->field])
		return fail(l, l->field == F_KEY ? "key longer than 1024 bytes" :
		    "field too long");
	l->text[l->text_len++] = (char)c;
	return 0;
}

/* An entity's text (between '&' and ';') to its character. */
static int
entity(struct s3list *l)
{
	static const struct {
		const char *name;
		char c;
	} named[] = {
		{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
		{ "apos", '\'' }
	};
	uint8_t u[4];
	uint32_t cp = 0;
	size_t i, k;

	for (i = 0; i < sizeof named / sizeof named[0]; i++)
		if (strlen(named[i].name) == l->ent_len &&
		    memcmp(named[i].name, l->ent, l->ent_len) == 0)
			return text_byte(l, (uint8_t)named[i].c);
	if (l->ent_len < 2 || l->ent[0] != '#')
		return fail(l, "unknown entity");
	if (l->ent[1] == 'x') {
		if (l->ent_len < 3)
			return fail(l, "bad character reference");
		for (i = 2; i < l->ent_len; i++) {
			int h = l->ent[i] >= '0' && l->ent[i] <= '9' ? l->ent[i] - '0' :
			    l->ent[i] >= 'a' && l->ent[i] <= 'f' ? l->ent[i] - 'a' + 10 :
			    l->ent[i] >= 'A' && l->ent[i] <= 'F' ? l->ent[i] - 'A' + 10 :
			    -1;
			if (h < 0)
				return fail(l, "bad character reference");
			cp = cp << 4 | (uint32_t)h;
		}
	} else {
		for (i = 1; i < l->ent_len; i++) {
			if (l->ent[i] < '0' || l->ent[i] > '9')
				return fail(l, "bad character reference");
			cp = cp * 10 + (uint32_t)(l->ent[i] - '0');
		}
	}
	/* ent_len <= 10 keeps cp below 2^40: no overflow above */
	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return fail(l, "bad character reference");
	k = utf8_encode(cp, u);
	for (i = 0; i < k; i++)
		if (text_byte(l, u[i]) != 0)
			return l->err;
	return 0;
}

/* An element opens (its name in l->name). */
static int
open_elem(struct s3list *l)
{
	int id = elem_id(l), parent = l->depth > 0 ? l->stack[l->depth - 1] : -1;

	if (l->field != F_NONE)
		return fail(l, "element inside a field");
	if (l->depth == 0 && (l->root_done || id != E_ROOT))
		return fail(l, l->root_done ? "a second document element" :
		    "not a ListBucketResult");
	if (l->depth == S3LIST_DEPTH)
		return fail(l, "nested too deeply");
	l->stack[l->depth++] = (uint8_t)id;
	l->text_len = 0;
	if (parent == E_ROOT && id == E_CONTENTS) {
		l->key_len = 0;
		l->key[0] = '\0';
		l->size = 0;
		l->has_size = 0;
	} else if (parent == E_ROOT && id == E_TRUNC) {
		l->field = F_TRUNC;
	} else if (parent == E_ROOT && id == E_NEXT) {
		l->field = F_NEXT;
	} else if (parent == E_CONTENTS && l->depth == 3 && id == E_KEY) {
		l->field = F_KEY;
	} else if (parent == E_CONTENTS && l->depth == 3 && id == E_SIZE) {
		l->field = F_SIZE;
	}
	return 0;
}

/* The element on top closes: its field's text to the result. Returns 1
 * when a <Contents> closed (an event), 0, or the error. */
static int
close_elem(struct s3list *l)
{
	int id;

	if (l->depth == 0)
		return fail(l, "end tag without a start tag");
	id = l->stack[--l->depth];
	switch (l->field) {
	case F_KEY:
		memcpy(l->key, l->text, l->text_len);
		l->key[l->text_len] = '\0';
		l->key_len = l->text_len;
		break;
	case F_SIZE:
		l->size = 0;
		if (l->text_len == 0)
			return fail(l, "empty Size");
		for (size_t i = 0; i < l->text_len; i++) {
			if (l->text[i] < '0' || l->text[i] > '9')
				return fail(l, "Size is not a number");
			l->size = l->size * 10 + (uint64_t)(l->text[i] - '0');
		}
		l->has_size = 1;
		break;
	case F_TRUNC:
		if (l->text_len == 4 && memcmp(l->text, "true", 4) == 0)
			l->truncated = 1;
		else if (l->text_len == 5 && memcmp(l->text, "false", 5) == 0)
			l->truncated = 0;
		else
			return fail(l, "IsTruncated is not true or false");
		break;
	case F_NEXT:
		memcpy(l->token, l->text, l->text_len);
		l->token[l->text_len] = '\0';
		break;
	}
	l->field = F_NONE;
	l->text_len = 0;
	if (l->depth == 0)
		l->root_done = 1;
	if (id == E_CONTENTS && l->depth == 1) {
		if (l->key_len == 0)
			return fail(l, "Contents without a Key");
		l->keys++;
		return 1;
	}
	return 0;
}

static int
name_byte(struct s3list *l, uint8_t c)
{
	if (l->name_len < sizeof l->name)
		l->name[l->name_len++] = (char)c;
	else
		l->name_long = 1;
	return 0;
}

/*
 * One byte through the tokenizer. Returns 0, 1 (a <Contents> closed with
 * this byte) or the error.
 */
static int
step(struct s3list *l, uint8_t c)
{
	int r;

	switch (l->state) {
	case ST_TEXT:
		if (c == '<') {
			l->state = ST_LT;
			return 0;
		}
		if (c == '&') {
			l->ent_len = 0;
			l->state = ST_ENT;
			return 0;
		}
		return text_byte(l, c);
	case ST_ENT:
		if (c == ';') {
			l->state = ST_TEXT;
			return entity(l);
		}
		if (l->ent_len >= 10)
			return fail(l, "entity too long");
		l->ent[l->ent_len++] = (char)c;
		return 0;
	case ST_LT:
		l->name_len = 0;
		l->name_long = 0;
		if (c == '/') {
			l->state = ST_END;
		} else if (c == '?') {
			l->state = ST_PI;
		} else if (c == '!') {
			l->state = ST_BANG;
			l->dashes = 0;
		} else if (is_space(c) || c == '>' || c == '<' || c == '=') {
			return fail(l, "malformed tag");
		} else {
			l->state = ST_NAME;
			return name_byte(l, c);
		}
		return 0;
	case ST_NAME:
		if (c == '>' || c == '/' || is_space(c)) {
			if ((r = open_elem(l)) != 0)
				return r;
			l->state = c == '>' ? ST_TEXT : c == '/' ? ST_SLASH :
			    ST_ATTRS;
			return 0;
		}
		if (c == '<' || c == '=' || c == '"' || c == '\'')
			return fail(l, "malformed tag");
		return name_byte(l, c);
	case ST_ATTRS:
		if (c == '>')
			l->state = ST_TEXT;
		else if (c == '/')
			l->state = ST_SLASH;
		else if (c == '"' || c == '\'') {
			l->quote = c;
			l->state = ST_AVAL;
		} else if (c == '<')
			return fail(l, "malformed tag");
		return 0;
	case ST_AVAL:
		if (c == l->quote)
			l->state = ST_ATTRS;
		else if (c == '<')
			return fail(l, "'<' in an attribute");
		return 0;
	case ST_SLASH:
		if (c != '>')
			return fail(l, "malformed empty element");
		l->state = ST_TEXT;
		return close_elem(l);
	case ST_END:
		if (c == '>' || is_space(c)) {
			if (elem_id(l) != (l->depth ? l->stack[l->depth - 1] : -1) ||
			    (elem_id(l) == E_OTHER && l->name_len == 0))
				return fail(l, "mismatched end tag");
			l->state = c == '>' ? ST_TEXT : ST_END_WS;
			return c == '>' ? close_elem(l) : 0;
		}
		return name_byte(l, c);
	case ST_END_WS:
		if (c == '>') {
			l->state = ST_TEXT;
			return close_elem(l);
		}
		return is_space(c) ? 0 : fail(l, "malformed end tag");
	case ST_PI:
		if (c == '?')
			l->state = ST_PI_Q;
		return 0;
	case ST_PI_Q:
		l->state = c == '>' ? ST_TEXT : c == '?' ? ST_PI_Q : ST_PI;
		return 0;
	case ST_BANG:
		if (c == '-') {
			l->state = ST_BANG_DASH;
			return 0;
		}
		if (c == '[' && l->field != F_NONE) {
			l->state = ST_CDATA_OPEN;
			l->dashes = 1;
			return 0;
		}
		return fail(l, c == '[' ? "CDATA outside a field" :
		    "DOCTYPE or declaration");
	case ST_BANG_DASH:
		if (c != '-')
			return fail(l, "malformed comment");
		l->state = ST_COMMENT;
		l->dashes = 0;
		return 0;
	case ST_COMMENT:
		/* "--" then '>' ends it */
		if (c == '>' && l->dashes >= 2)
			l->state = ST_TEXT;
		else
			l->dashes = c == '-' ? l->dashes + 1 : 0;
		return 0;
	case ST_CDATA_OPEN:
		if (c != (uint8_t)cdata_open[l->dashes])
			return fail(l, "malformed CDATA");
		if (cdata_open[++l->dashes] == '\0') {
			l->state = ST_CDATA;
			l->dashes = 0;
		}
		return 0;
	case ST_CDATA:
		/* "]]>" ends it; ']' held back until we know */
		if (c == ']') {
			if (l->dashes == 2)
				return text_byte(l, ']');
			l->dashes++;
			return 0;
		}
		if (c == '>' && l->dashes == 2) {
			l->state = ST_TEXT;
			return 0;
		}
		for (; l->dashes > 0; l->dashes--)
			if ((r = text_byte(l, ']')) != 0)
				return r;
		return text_byte(l, c);
	}
	return fail(l, "internal state");
}

/* see s3list.h */
size_t
s3list_push(struct s3list *l, const uint8_t *p, size_t n,
    enum s3list_event *ev)
{
	size_t i;
	int r;

	*ev = l->err ? S3LIST_ERROR : S3LIST_MORE;
	if (l->err)
		return 0;
	for (i = 0; i < n; i++) {
		/* plain text between tags: the common run, taken at once
		 * when it goes nowhere */
		if (l->state == ST_TEXT && l->field == F_NONE && l->depth > 0) {
			const uint8_t *lt = memchr(p + i, '<', n - i);
			const uint8_t *amp = memchr(p + i, '&', n - i);
			size_t stop = lt ? (size_t)(lt - p) : n;
			if (amp != NULL && (size_t)(amp - p) < stop)
				stop = (size_t)(amp - p);
			i = stop;
			if (i == n)
				break;
		}
		r = step(l, p[i]);
		if (r == 1) {
			*ev = S3LIST_KEY;
			return i + 1;
		}
		if (r != 0) {
			*ev = S3LIST_ERROR;
			return i + 1;
		}
	}
	return n;
}

/* see s3list.h */
int
s3list_end(struct s3list *l)
{
	if (l->err)
		return l->err;
	if (!l->root_done || l->state != ST_TEXT)
		return fail(l, "the answer ends inside the document");
	return 0;
}
