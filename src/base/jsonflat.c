/*
 * jsonflat.c - push parser for flat JSON objects. See jsonflat.h.
 *
 * A byte-at-a-time state machine over the grammar
 *   doc    = ws "{" ws [ member *( ws "," ws member ) ] ws "}" ws
 *   member = string ws ":" ws ( string / "[" ws [ string *( ws "," ws
 *            string ) ] ws "]" )
 * Strings are decoded into the key or value buffer as they come, so a piece
 * boundary anywhere (inside an escape too) changes nothing.
 */
#include <string.h>

#include "buf.h"
#include "err.h"
#include "jsonflat.h"
#include "utf8enc.h"

enum {
	S_START,        /* before "{" */
	S_OBJ_FIRST,    /* after "{": a key or "}" */
	S_OBJ_KEY,      /* after ",": a key */
	S_KEY,          /* in a key */
	S_COLON,        /* after a key */
	S_VALUE,        /* after ":" */
	S_STR,          /* in a string value */
	S_ARR_FIRST,    /* after "[": a string or "]" */
	S_ARR_ELEM,     /* after "," in an array: a string */
	S_ARR_NEXT,     /* after an element: "," or "]" */
	S_AFTER,        /* after a member: "," or "}" */
	S_END           /* after the object: white space only */
};

/* esc: the escape being read */
enum { E_NONE, E_BACKSLASH, E_HEX1, E_HEX2, E_HEX3, E_HEX4, E_PAIR_BS,
    E_PAIR_U };

/* see jsonflat.h */
void
jsonflat_init(struct jsonflat *p, jsonflat_fn *fn, void *ctx)
{
	memset(p, 0, sizeof *p);
	p->fn = fn;
	p->ctx = ctx;
	p->state = S_START;
}

static int
is_ws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Append bytes to the string being read, cut at its buffer. */
static void
put(struct jsonflat *p, const uint8_t *b, size_t n)
{
	char *dst = p->in_key ? p->key : p->val;
	size_t *len = p->in_key ? &p->klen : &p->vlen;
	size_t max = p->in_key ? JSONFLAT_KEY_MAX : JSONFLAT_VAL_MAX;
	int *cut = p->in_key ? &p->kcut : &p->vcut;

	if (*len + n > max) {
		*cut = 1;
		return;
	}
	memcpy(dst + *len, b, n);
	*len += n;
}

static void
put_cp(struct jsonflat *p, uint32_t cp)
{
	uint8_t b[4];

	put(p, b, utf8_encode(cp, b));
}

/* A complete \uXXXX in p->u: a character, half a pair, or an error. */
static int
got_u(struct jsonflat *p)
{
	uint32_t u = p->u;

	if (p->hi != 0) {
		if (u < 0xDC00 || u > 0xDFFF)
			return ERR_JSON;        /* a high half without its low */
		put_cp(p, 0x10000 + ((p->hi - 0xD800) << 10) + (u - 0xDC00));
		p->hi = 0;
		p->esc = E_NONE;
		return 0;
	}
	if (u == 0 || (u >= 0xDC00 && u <= 0xDFFF))
		return ERR_JSON;        /* NUL (no C string holds it), lone low */
	if (u >= 0xD800 && u <= 0xDBFF) {
		p->hi = u;
		p->esc = E_PAIR_BS;     /* the low half must follow at once */
		return 0;
	}
	put_cp(p, u);
	p->esc = E_NONE;
	return 0;
}

/* One byte inside a string. */
static int
str_byte(struct jsonflat *p, uint8_t c)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *at;
	int h;

	switch (p->esc) {
	case E_NONE:
		if (c == '"')
			return -1;      /* the end: the caller moves on */
		if (c == '\\') {
			p->esc = E_BACKSLASH;
			return 0;
		}
		if (c < 0x20)
			return ERR_JSON;
		put(p, &c, 1);
		return 0;
	case E_BACKSLASH:
		if (c == 'u') {
			p->esc = E_HEX1;
			p->u = 0;
			return 0;
		}
		if (c == 0 || (at = strchr(from, c)) == NULL)
			return ERR_JSON;
		put(p, (const uint8_t *)&to[at - from], 1);
		p->esc = E_NONE;
		return 0;
	case E_PAIR_BS:
		if (c != '\\')
			return ERR_JSON;
		p->esc = E_PAIR_U;
		return 0;
	case E_PAIR_U:
		if (c != 'u')
			return ERR_JSON;
		p->esc = E_HEX1;
		p->u = 0;
		return 0;
	default:                        /* E_HEX1..E_HEX4 */
		if ((h = buf_hexval(c)) < 0)
			return ERR_JSON;
		p->u = p->u << 4 | (uint32_t)h;
		if (p->esc++ == E_HEX4)
			return got_u(p);
		return 0;
	}
}

static void
begin_string(struct jsonflat *p, int key, int state)
{
	p->in_key = key;
	p->state = state;
	p->esc = E_NONE;
	p->hi = 0;
	if (key) {
		p->klen = 0;
		p->kcut = 0;
	} else {
		p->vlen = 0;
		p->vcut = 0;
	}
}

/* One byte: 0, -1 when it ended a string, or an error code. */
static int
step(struct jsonflat *p, uint8_t c)
{
	if (p->state == S_KEY || p->state == S_STR)
		return str_byte(p, c);
	if (is_ws(c))
		return 0;
	switch (p->state) {
	case S_START:
		if (c != '{')
			return ERR_JSON;
		p->state = S_OBJ_FIRST;
		return 0;
	case S_OBJ_FIRST:
		if (c == '}') {
			p->state = S_END;
			return 0;
		}
		/* fall through */
	case S_OBJ_KEY:
		if (c != '"')
			return ERR_JSON;
		begin_string(p, 1, S_KEY);
		return 0;
	case S_COLON:
		if (c != ':')
			return ERR_JSON;
		p->state = S_VALUE;
		return 0;
	case S_VALUE:
		p->in_array = c == '[';
		if (c == '[') {
			p->state = S_ARR_FIRST;
			return p->fn != NULL ? p->fn(p->ctx, p->key, NULL, 0, 1,
			    0) : 0;
		}
		if (c != '"')
			return ERR_JSON;
		begin_string(p, 0, S_STR);
		return 0;
	case S_ARR_FIRST:
		if (c == ']') {
			p->state = S_AFTER;
			return 0;
		}
		/* fall through */
	case S_ARR_ELEM:
		if (c != '"')
			return ERR_JSON;
		begin_string(p, 0, S_STR);
		return 0;
	case S_ARR_NEXT:
		if (c == ',')
			p->state = S_ARR_ELEM;
		else if (c == ']')
			p->state = S_AFTER;
		else
			return ERR_JSON;
		return 0;
	case S_AFTER:
		if (c == ',')
			p->state = S_OBJ_KEY;
		else if (c == '}')
			p->state = S_END;
		else
			return ERR_JSON;
		return 0;
	default:                        /* S_END: one document only */
		return ERR_JSON;
	}
}

/* see jsonflat.h */
size_t
jsonflat_push(struct jsonflat *p, const void *data, size_t n)
{
	const uint8_t *b = data;
	size_t i;

	for (i = 0; i < n && p->err == 0; i++) {
		int r = step(p, b[i]);
		if (r == -1) {          /* a string ended */
			if (p->state == S_KEY) {
				if (p->kcut)
					p->klen = 0;
				p->key[p->klen] = '\0';
				p->state = S_COLON;
			} else {
				p->val[p->vlen] = '\0';
				p->state = p->in_array ? S_ARR_NEXT : S_AFTER;
				if (p->fn != NULL && (r = p->fn(p->ctx, p->key,
				    p->val, p->vlen, p->in_array, p->vcut)) != 0) {
					p->err = r;
					break;
				}
			}
		} else if (r != 0) {
			p->err = r;
			break;
		}
		p->off++;
	}
	return i;
}

/* see jsonflat.h */
int
jsonflat_end(struct jsonflat *p, uint64_t *offset)
{
	if (p->err == 0 && p->state != S_END)
		p->err = ERR_JSON;      /* cut short */
	if (offset != NULL)
		*offset = p->off;
	return p->err;
}
