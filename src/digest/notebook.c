/*
 * notebook.c - .ipynb to Python script text, as gitingest 0.3.1 does it.
 * See notebook.h.
 *
 * gitingest (src/gitingest/utils/notebook.py, process_notebook, _process_cell,
 * _extract_output) is a few lines of duck-typed Python; whatever it does not
 * expect ends in a Python exception whose str() becomes the body
 * "Error processing notebook: <str(exc)>". To be byte-identical on malformed
 * notebooks too, this file models the few Python operations it uses, with
 * CPython 3.11's messages:
 *
 *   obj["key"]      dict: the last duplicate wins (json.loads), else KeyError
 *                   "'key'"; list/str/other: the TypeError wordings
 *   obj.get(k)      AttributeError for anything but a dict
 *   for x in obj    list items; dict keys (unique, first position); str
 *                   characters; else "'int' object is not iterable"
 *   "".join(x)      "can only join an iterable" / "sequence item N: expected
 *                   str instance, int found"
 *   f"{x}"          str(): strings raw, everything else repr()
 *   truthiness      empty containers, "", 0, 0.0, false and null are false
 *
 * Data flow: the bytes must decode as strict UTF-8 (Python opens the file as
 * UTF-8: a decode error is the exception), then pass a strict syntax check
 * with Python json's grammar, then a tree of cJSON nodes is built from the
 * checked text (b_value(): not cJSON's parser, which keeps global state) in
 * an arena capped at NOTEBOOK_TREE_MAX per notebook. Each number node's
 * valueint is the offset of its token in the text: type (int/float), str()
 * and truthiness come from the token itself, as Python's would (NaN and
 * Infinity included); string nodes get their decoded length there.
 *
 * Known deviations (all need hand-made JSON, not a Jupyter notebook): a
 * "\u0000" escape in an object *key* ends the key (cJSON keys are C
 * strings; string values keep it, see b_value()); lone surrogate
 * escapes give the invalid-JSON body (Python keeps the surrogate); the
 * RecursionError body comes at nesting 1001 (cJSON's limit), where Python's
 * own threshold depends on its call stack (about 950..990); repr() of a
 * string treats every non-ASCII character above U+00A0 as printable (Python
 * escapes unassigned and format characters).
 *
 * Limits: the input must be under INT_MAX bytes (offsets live in valueint);
 * memory is the tree (about 64 bytes per JSON value plus the strings), at
 * most the caller's cap (NOTEBOOK_TREE_MAX by default; past it the body is
 * gitingest's "Error processing notebook: ..." for a notebook it cannot
 * convert), plus the output, which is capped by the caller's buf. Nothing is
 * shared between calls: notebooks convert on any number of threads.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "err.h"
#include "notebook.h"
#include "utf8.h"
#include "utf8enc.h"

/* A Python exception was raised: its str() is in nb->emsg. */
#define NB_EXC (-1)


#define HEADER "# Jupyter notebook converted to Python script."
#define ERR_PREFIX "Error processing notebook: "

/* Python type of a value; the names are Python's type names. */
enum pytype { PY_NONE, PY_BOOL, PY_INT, PY_FLOAT, PY_STR, PY_LIST, PY_DICT };

static const char *const type_names[] = {
	"NoneType", "bool", "int", "float", "str", "list", "dict"
};

/*
 * A Python value: a cJSON node, or a string that is not a node (a dict key
 * or one character of a string, both yielded by iteration).
 */
struct pv {
	enum pytype t;
	const cJSON *j;         /* NULL for a key or a character */
	const char *s;          /* PY_STR: the bytes */
	size_t n;
};

struct nb {
	const char *text;       /* the original JSON, for number tokens */
	struct buf *emsg;       /* str() of the raised exception */
};

/* ------------------------------------------------------------ values */

static size_t
number_len(const char *s)
{
	size_t i = 0;

	if (s[0] == 'N')
		return 3;
	if (s[0] == 'I')
		return 8;
	if (s[0] == '-' && s[1] == 'I')
		return 9;
	while (s[i] != '\0' && strchr("0123456789+-.eE", s[i]) != NULL)
		i++;
	return i;
}

/* The token text of a number node (valueint holds its offset). */
static const char *
number_text(const struct nb *nb, const cJSON *j, size_t *len)
{
	const char *s = nb->text + j->valueint;

	*len = number_len(s);
	return s;
}

static struct pv
pv_of(const struct nb *nb, const cJSON *j)
{
	struct pv v = { PY_NONE, j, NULL, 0 };
	size_t len;
	const char *s;

	if (cJSON_IsBool(j)) {
		v.t = PY_BOOL;
	} else if (cJSON_IsNumber(j)) {
		s = number_text(nb, j, &len);
		v.t = PY_INT;
		for (size_t i = 0; i < len; i++)
			if (strchr(".eENI", s[i]) != NULL)
				v.t = PY_FLOAT;
	} else if (cJSON_IsString(j)) {
		v.t = PY_STR;
		v.s = j->valuestring;
		v.n = (size_t)j->valueint;     /* see b_value() */
	} else if (cJSON_IsArray(j)) {
		v.t = PY_LIST;
	} else if (cJSON_IsObject(j)) {
		v.t = PY_DICT;
	}
	return v;
}

static struct pv
pv_str(const char *s, size_t n)
{
	struct pv v = { PY_STR, NULL, s, n };

	return v;
}

static int
str_eq(struct pv v, const char *lit)
{
	return v.t == PY_STR && v.n == strlen(lit) &&
	    memcmp(v.s, lit, v.n) == 0;
}

/* Set the exception text; returns NB_EXC, or a buffer error. */
static int
nb_raise(struct nb *nb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
nb_raise(struct nb *nb, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int e;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	buf_reset(nb->emsg);
	if ((e = buf_puts(nb->emsg, tmp)) != ERR_OK)
		return e;
	return NB_EXC;
}

static int
truthy(const struct nb *nb, struct pv v)
{
	const char *s;
	size_t len;

	switch (v.t) {
	case PY_NONE:
		return 0;
	case PY_BOOL:
		return cJSON_IsTrue(v.j);
	case PY_INT:
		s = number_text(nb, v.j, &len);
		return !(len == 1 && s[0] == '0') &&
		    !(len == 2 && s[0] == '-' && s[1] == '0');
	case PY_FLOAT:
		s = number_text(nb, v.j, &len);
		if (s[0] == 'N' || s[0] == 'I' || s[1] == 'I')
			return 1;
		return strtod(s, NULL) != 0;
	case PY_STR:
		return v.n > 0;
	case PY_LIST:
	case PY_DICT:
		return v.j->child != NULL;
	}
	return 0;
}

/* ------------------------------------------------------------ repr, str */

static int repr(struct nb *nb, struct buf *b, struct pv v, int depth);

/* Python's repr(float): shortest round-trip digits, its switch points. */
static int
repr_float(struct buf *b, const char *tok, size_t len)
{
	char dig[40], *e;
	double d;
	int exp10, nd, p;

	if (tok[0] == 'N')
		return buf_puts(b, "nan");
	if (tok[0] == 'I')
		return buf_puts(b, "inf");
	if (tok[1] == 'I')
		return buf_puts(b, "-inf");
	(void)len;
	d = strtod(tok, NULL);
	if (d > 1.7976931348623157e308)
		return buf_puts(b, "inf");
	if (d < -1.7976931348623157e308)
		return buf_puts(b, "-inf");
	for (p = 0; p < 17; p++) {
		snprintf(dig, sizeof dig, "%.*e", p, d);
		if (strtod(dig, NULL) == d)
			break;
	}
	/* dig is "[-]D.DDDDe[+-]XX": split into sign, digits, exponent */
	e = strchr(dig, 'e');
	exp10 = atoi(e + 1);
	*e = '\0';
	{
		char digits[32];
		const char *q = dig;
		int neg = 0, k = 0, rc;

		if (*q == '-') {
			neg = 1;
			q++;
		}
		for (; *q != '\0'; q++)
			if (*q != '.')
				digits[k++] = *q;
		while (k > 1 && digits[k - 1] == '0')
			k--;
		digits[k] = '\0';
		nd = k;
		if (neg && (rc = buf_putc(b, '-')) != ERR_OK)
			return rc;
		/* float_repr_style 'short', code 'r': exponent form when
		 * the decimal point would sit 4+ places before the first
		 * digit or 16+ places after it */
		if (exp10 < -4 || exp10 >= 16) {
			if ((rc = buf_putc(b, digits[0])) != ERR_OK)
				return rc;
			if (nd > 1 && (rc = buf_printf(b, ".%s",
			    digits + 1)) != ERR_OK)
				return rc;
			return buf_printf(b, "e%c%02d", exp10 < 0 ? '-' : '+',
			    exp10 < 0 ? -exp10 : exp10);
		}
		if (exp10 < 0) {
			if ((rc = buf_puts(b, "0.")) != ERR_OK)
				return rc;
			for (int z = -1; z > exp10; z--)
				if ((rc = buf_putc(b, '0')) != ERR_OK)
					return rc;
			return buf_puts(b, digits);
		}
		for (int i = 0; i <= exp10 || i < nd; i++) {
			if (i == exp10 + 1 && (rc = buf_putc(b, '.')) !=
			    ERR_OK)
				return rc;
			if ((rc = buf_putc(b, i < nd ? digits[i] : '0')) !=
			    ERR_OK)
				return rc;
		}
		if (nd <= exp10 + 1)
			return buf_puts(b, ".0");
		return ERR_OK;
	}
}

/* Python's repr(str), choosing the quote as unicode_repr() does. */
static int
repr_str(struct buf *b, const char *s, size_t n)
{
	int sq = 0, dq = 0, rc;
	char q;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\'')
			sq = 1;
		else if (s[i] == '"')
			dq = 1;
	}
	q = sq && !dq ? '"' : '\'';
	if ((rc = buf_putc(b, q)) != ERR_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)s[i];

		if (c == (uint8_t)q || c == '\\')
			rc = buf_printf(b, "\\%c", c);
		else if (c == '\t')
			rc = buf_puts(b, "\\t");
		else if (c == '\n')
			rc = buf_puts(b, "\\n");
		else if (c == '\r')
			rc = buf_puts(b, "\\r");
		else if (c < 0x20 || c == 0x7F)
			rc = buf_printf(b, "\\x%02x", c);
		else if (c == 0xC2 && i + 1 < n &&
		    ((uint8_t)s[i + 1] < 0xA1 || (uint8_t)s[i + 1] == 0xAD)) {
			/* U+0080..U+00A0 and U+00AD are not printable */
			rc = buf_printf(b, "\\x%02x", (uint8_t)s[++i]);
		} else
			rc = buf_putc(b, c);
		if (rc != ERR_OK)
			return rc;
	}
	return buf_putc(b, q);
}

/* ------------------------------------------------------------ dicts */

/*
 * Python's json.loads builds a dict: a repeated key keeps the position of its
 * first occurrence and the value of its last. cJSON keeps every member.
 */
static const cJSON *
dict_get(const cJSON *obj, const char *key)
{
	const cJSON *found = NULL;

	for (const cJSON *m = obj->child; m != NULL; m = m->next)
		if (strcmp(m->string, key) == 0)
			found = m;
	return found;
}

/*
 * Iteration over a dict yields each key once. A hash set of the keys seen so
 * far keeps that linear for hostile objects with many members.
 */
struct keyset {
	const cJSON **slot;
	size_t mask;
};

static uint32_t
key_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static int
keyset_init(struct keyset *ks, const cJSON *obj)
{
	size_t n = 0, cap = 16;

	for (const cJSON *m = obj->child; m != NULL; m = m->next)
		n++;
	while (cap < 2 * n)
		cap *= 2;
	ks->slot = calloc(cap, sizeof *ks->slot);
	ks->mask = cap - 1;
	return ks->slot == NULL ? ERR_NOMEM : ERR_OK;
}

/* 1 if m's key is new (and remember it), 0 if seen before. */
static int
keyset_add(struct keyset *ks, const cJSON *m)
{
	size_t i = key_hash(m->string) & ks->mask;

	while (ks->slot[i] != NULL) {
		if (strcmp(ks->slot[i]->string, m->string) == 0)
			return 0;
		i = (i + 1) & ks->mask;
	}
	ks->slot[i] = m;
	return 1;
}

/* ------------------------------------------------------------ iteration */

struct iter {
	struct pv v;
	const cJSON *cur;       /* list/dict: next member */
	size_t off;             /* str: next character */
	struct keyset ks;       /* dict: keys yielded */
};

/* iter(v): raises TypeError for values that are not iterable. */
static int
iter_init(struct nb *nb, struct iter *it, struct pv v)
{
	memset(it, 0, sizeof *it);
	it->v = v;
	switch (v.t) {
	case PY_LIST:
		it->cur = v.j->child;
		return ERR_OK;
	case PY_DICT:
		it->cur = v.j->child;
		return keyset_init(&it->ks, v.j);
	case PY_STR:
		return ERR_OK;
	default:
		return nb_raise(nb, "'%s' object is not iterable",
		    type_names[v.t]);
	}
}

/* next(it): 1 and *out set, or 0 at the end. */
static int
iter_next(struct nb *nb, struct iter *it, struct pv *out)
{
	switch (it->v.t) {
	case PY_LIST:
		if (it->cur == NULL)
			return 0;
		*out = pv_of(nb, it->cur);
		it->cur = it->cur->next;
		return 1;
	case PY_DICT:
		for (; it->cur != NULL; it->cur = it->cur->next) {
			if (keyset_add(&it->ks, it->cur)) {
				*out = pv_str(it->cur->string,
				    strlen(it->cur->string));
				it->cur = it->cur->next;
				return 1;
			}
		}
		return 0;
	case PY_STR: {
		/* one code point; the text is valid UTF-8 */
		size_t k = 1;

		if (it->off >= it->v.n)
			return 0;
		while (it->off + k < it->v.n &&
		    ((uint8_t)it->v.s[it->off + k] & 0xC0) == 0x80)
			k++;
		*out = pv_str(it->v.s + it->off, k);
		it->off += k;
		return 1;
	}
	default:
		return 0;
	}
}

static void
iter_free(struct iter *it)
{
	free(it->ks.slot);
	it->ks.slot = NULL;
}

/* ------------------------------------------------------------ repr/str */

static int
repr(struct nb *nb, struct buf *b, struct pv v, int depth)
{
	struct iter it;
	struct pv x;
	const char *tok;
	size_t len;
	int rc, first = 1;

	switch (v.t) {
	case PY_NONE:
		return buf_puts(b, "None");
	case PY_BOOL:
		return buf_puts(b, cJSON_IsTrue(v.j) ? "True" : "False");
	case PY_INT:
		tok = number_text(nb, v.j, &len);
		if (len == 2 && tok[0] == '-' && tok[1] == '0')
			return buf_putc(b, '0');
		return buf_append(b, tok, len);
	case PY_FLOAT:
		tok = number_text(nb, v.j, &len);
		return repr_float(b, tok, len);
	case PY_STR:
		return repr_str(b, v.s, v.n);
	case PY_LIST:
	case PY_DICT:
		break;
	}
	/* depth is bounded by the JSON nesting limit */
	if ((rc = buf_putc(b, v.t == PY_LIST ? '[' : '{')) != ERR_OK)
		return rc;
	if ((rc = iter_init(nb, &it, v)) != ERR_OK)
		return rc;
	while (iter_next(nb, &it, &x)) {
		if (!first && (rc = buf_puts(b, ", ")) != ERR_OK)
			break;
		first = 0;
		if ((rc = repr(nb, b, x, depth + 1)) != ERR_OK)
			break;
		if (v.t == PY_DICT) {
			/* x is the key; its value is the last duplicate */
			const cJSON *m = dict_get(v.j, x.s);

			if ((rc = buf_puts(b, ": ")) != ERR_OK ||
			    (rc = repr(nb, b, pv_of(nb, m), depth + 1)) !=
			    ERR_OK)
				break;
		}
	}
	iter_free(&it);
	if (rc != ERR_OK)
		return rc;
	return buf_putc(b, v.t == PY_LIST ? ']' : '}');
}

/* str(v) as an f-string does it: strings raw, the rest repr(). */
static int
str_of(struct nb *nb, struct buf *b, struct pv v)
{
	if (v.t == PY_STR)
		return buf_append(b, v.s, v.n);
	return repr(nb, b, v, 0);
}

/* ------------------------------------------------------------ indexing */

/* v[key] for a string key. */
static int
getitem(struct nb *nb, struct pv v, const char *key, struct pv *out)
{
	const cJSON *m;

	switch (v.t) {
	case PY_DICT:
		if ((m = dict_get(v.j, key)) == NULL)
			return nb_raise(nb, "'%s'", key);   /* KeyError */
		*out = pv_of(nb, m);
		return ERR_OK;
	case PY_LIST:
		return nb_raise(nb, "list indices must be integers or slices, "
		    "not str");
	case PY_STR:
		return nb_raise(nb, "string indices must be integers, "
		    "not 'str'");
	default:
		return nb_raise(nb, "'%s' object is not subscriptable",
		    type_names[v.t]);
	}
}

/* "".join(v) appended to b (iterating v as Python would). */
static int
join_empty(struct nb *nb, struct pv v, struct buf *b)
{
	struct iter it;
	struct pv x;
	size_t i = 0;
	int rc = ERR_OK;

	if (v.t != PY_LIST && v.t != PY_DICT && v.t != PY_STR)
		return nb_raise(nb, "can only join an iterable");
	if ((rc = iter_init(nb, &it, v)) != ERR_OK)
		return rc;
	while (iter_next(nb, &it, &x)) {
		if (x.t != PY_STR) {
			rc = nb_raise(nb, "sequence item %zu: expected str "
			    "instance, %s found", i, type_names[x.t]);
			break;
		}
		if ((rc = buf_append(b, x.s, x.n)) != ERR_OK)
			break;
		i++;
	}
	iter_free(&it);
	return rc;
}

/* ------------------------------------------------------------ cells */

/*
 * The value _extract_output(output) returns, or an exception. Python then
 * does raw_lines += value, which iterates it.
 */
static int
extract_output(struct nb *nb, struct pv output, struct pv *val,
    struct buf *tmp)
{
	struct pv ot, data, x;
	int rc;

	if ((rc = getitem(nb, output, "output_type", &ot)) != ERR_OK)
		return rc;
	if (str_eq(ot, "stream"))
		return getitem(nb, output, "text", val);
	if (str_eq(ot, "execute_result") || str_eq(ot, "display_data")) {
		if ((rc = getitem(nb, output, "data", &data)) != ERR_OK)
			return rc;
		return getitem(nb, data, "text/plain", val);
	}
	if (str_eq(ot, "error")) {
		/* [f"Error: {output['ename']}: {output['evalue']}"]: one
		 * string, built in tmp; val.j == NULL marks "a list of it" */
		buf_reset(tmp);
		if ((rc = getitem(nb, output, "ename", &x)) != ERR_OK)
			return rc;
		if ((rc = buf_puts(tmp, "Error: ")) != ERR_OK ||
		    (rc = str_of(nb, tmp, x)) != ERR_OK)
			return rc;
		if ((rc = getitem(nb, output, "evalue", &x)) != ERR_OK)
			return rc;
		if ((rc = buf_puts(tmp, ": ")) != ERR_OK ||
		    (rc = str_of(nb, tmp, x)) != ERR_OK)
			return rc;
		val->t = PY_LIST;
		val->j = NULL;
		return ERR_OK;
	}
	buf_reset(nb->emsg);
	if ((rc = buf_puts(nb->emsg, "Unknown output type: ")) != ERR_OK ||
	    (rc = str_of(nb, nb->emsg, ot)) != ERR_OK)
		return rc;
	return NB_EXC;
}

/*
 * The "\n# Output:\n#   " tail of a code cell: raw_lines collects the lines
 * of every output, then "\n#   ".join(raw_lines). Two passes over the
 * outputs keep Python's order of failures: any exception while collecting
 * comes before a join TypeError about a non-string line.
 */
static int
cell_outputs(struct nb *nb, struct pv outputs, struct buf *res)
{
	struct buf tmp;
	int rc = ERR_OK;
	size_t nlines = 0;

	buf_init(&tmp, res->cap);
	for (int pass = 0; pass < 2 && rc == ERR_OK; pass++) {
		struct iter oi;
		struct pv output;

		if ((rc = iter_init(nb, &oi, outputs)) != ERR_OK)
			break;
		nlines = 0;
		if (pass == 1)
			rc = buf_puts(res, "\n# Output:\n#   ");
		while (rc == ERR_OK && iter_next(nb, &oi, &output)) {
			struct iter li;
			struct pv val, line;

			if ((rc = extract_output(nb, output, &val, &tmp)) !=
			    ERR_OK)
				break;
			if (val.t == PY_LIST && val.j == NULL) {
				/* the error output's one-string list */
				if (pass == 1 && ((nlines > 0 && (rc =
				    buf_puts(res, "\n#   ")) != ERR_OK) ||
				    (rc = buf_append(res, tmp.p, tmp.len)) !=
				    ERR_OK))
					break;
				nlines++;
				continue;
			}
			if ((rc = iter_init(nb, &li, val)) != ERR_OK)
				break;
			while (iter_next(nb, &li, &line)) {
				if (pass == 0 && line.t != PY_STR) {
					/* reported after collecting, as
					 * join() would; first one wins */
					if (nb->emsg->len == 0)
						rc = nb_raise(nb, "sequence "
						    "item %zu: expected str "
						    "instance, %s found",
						    nlines,
						    type_names[line.t]);
					if (rc != NB_EXC && rc != ERR_OK)
						break;
					rc = ERR_OK;
				}
				if (pass == 1 && ((nlines > 0 && (rc =
				    buf_puts(res, "\n#   ")) != ERR_OK) ||
				    (rc = buf_append(res, line.s, line.n)) !=
				    ERR_OK))
					break;
				nlines++;
			}
			iter_free(&li);
		}
		iter_free(&oi);
		if (pass == 0 && rc == ERR_OK && nb->emsg->len > 0)
			rc = NB_EXC;
	}
	buf_free(&tmp);
	return rc;
}

/* _process_cell: appends "\n\n" + the cell's text, or nothing if empty. */
static int
process_cell(struct nb *nb, struct pv cell, struct buf *res)
{
	struct pv ct, src, outputs;
	const cJSON *m;
	size_t mark = res->len, start;
	int rc, code;

	if ((rc = getitem(nb, cell, "cell_type", &ct)) != ERR_OK)
		return rc;
	code = str_eq(ct, "code");
	if (!code && !str_eq(ct, "markdown") && !str_eq(ct, "raw")) {
		buf_reset(nb->emsg);
		if ((rc = buf_puts(nb->emsg, "Unknown cell type: ")) !=
		    ERR_OK || (rc = str_of(nb, nb->emsg, ct)) != ERR_OK)
			return rc;
		return NB_EXC;
	}
	if ((rc = getitem(nb, cell, "source", &src)) != ERR_OK)
		return rc;
	if ((rc = buf_puts(res, code ? "\n\n" : "\n\n\"\"\"\n")) != ERR_OK)
		return rc;
	start = res->len;
	if ((rc = join_empty(nb, src, res)) != ERR_OK)
		return rc;
	if (res->len == start) {
		/* an empty cell is skipped */
		res->len = mark;
		return ERR_OK;
	}
	if (!code)
		return buf_puts(res, "\n\"\"\"");
	/* cell is a dict here: cell["cell_type"] succeeded */
	m = dict_get(cell.j, "outputs");
	if (m == NULL)
		return ERR_OK;
	outputs = pv_of(nb, m);
	if (!truthy(nb, outputs))
		return ERR_OK;
	return cell_outputs(nb, outputs, res);
}

/*
 * process_notebook. With worksheets, Python first builds the whole cell list
 * (list(chain.from_iterable(...))), so pass 0 only walks it, raising what
 * that would raise, and pass 1 processes the cells.
 */
static int
process(struct nb *nb, struct pv root, struct buf *res)
{
	struct pv ws, cells, w, cell;
	struct iter wi, ci;
	const cJSON *m;
	int rc = ERR_OK;

	if (root.t != PY_DICT)
		return nb_raise(nb, "'%s' object has no attribute 'get'",
		    type_names[root.t]);
	if ((rc = buf_puts(res, HEADER)) != ERR_OK)
		return rc;
	m = dict_get(root.j, "worksheets");
	ws = m != NULL ? pv_of(nb, m) : pv_of(nb, NULL);
	if (m == NULL || !truthy(nb, ws)) {
		if ((rc = getitem(nb, root, "cells", &cells)) != ERR_OK)
			return rc;
		if ((rc = iter_init(nb, &ci, cells)) != ERR_OK)
			return rc;
		while (rc == ERR_OK && iter_next(nb, &ci, &cell))
			rc = process_cell(nb, cell, res);
		iter_free(&ci);
		return rc;
	}
	if (ws.t != PY_LIST && ws.t != PY_DICT && ws.t != PY_STR)
		return nb_raise(nb, "object of type '%s' has no len()",
		    type_names[ws.t]);
	for (int pass = 0; pass < 2 && rc == ERR_OK; pass++) {
		if ((rc = iter_init(nb, &wi, ws)) != ERR_OK)
			return rc;
		while (rc == ERR_OK && iter_next(nb, &wi, &w)) {
			if ((rc = getitem(nb, w, "cells", &cells)) != ERR_OK)
				break;
			if ((rc = iter_init(nb, &ci, cells)) != ERR_OK)
				break;
			while (rc == ERR_OK && iter_next(nb, &ci, &cell))
				if (pass == 1)
					rc = process_cell(nb, cell, res);
			iter_free(&ci);
		}
		iter_free(&wi);
	}
	return rc;
}

/* ------------------------------------------------------------ syntax */

/*
 * Strict syntax check with Python json's grammar (RFC 8259 plus NaN,
 * Infinity, -Infinity; strings without raw control characters; only
 * " \t\n\r" as whitespace), and the same nesting cap as cJSON's parser
 * (kept: the RecursionError body depends on it). blank records NaN or
 * Infinity (unused since the tree is ours; kept for the scan's shape).
 */
struct scan {
	const char *p;
	size_t n, i;
	int blank;
	char deep;              /* '[' or '{' that passed the nesting cap */
};

static void
skip_ws(struct scan *s)
{
	while (s->i < s->n && (s->p[s->i] == ' ' || s->p[s->i] == '\t' ||
	    s->p[s->i] == '\n' || s->p[s->i] == '\r'))
		s->i++;
}

static int
lit(struct scan *s, const char *w)
{
	size_t len = strlen(w);

	if (s->n - s->i < len || memcmp(s->p + s->i, w, len) != 0)
		return 0;
	s->i += len;
	return 1;
}

static int
is_digit(struct scan *s)
{
	return s->i < s->n && s->p[s->i] >= '0' && s->p[s->i] <= '9';
}

static int
scan_number(struct scan *s)
{
	size_t start = s->i;

	if (lit(s, "NaN") || lit(s, "Infinity") || lit(s, "-Infinity")) {
		s->blank = 1;
		return 1;
	}
	if (s->p[s->i] == '-')
		s->i++;
	if (!is_digit(s))
		return 0;
	if (s->p[s->i] == '0')
		s->i++;
	else
		while (is_digit(s))
			s->i++;
	if (s->i < s->n && s->p[s->i] == '.') {
		s->i++;
		if (!is_digit(s))
			return 0;
		while (is_digit(s))
			s->i++;
	}
	if (s->i < s->n && (s->p[s->i] == 'e' || s->p[s->i] == 'E')) {
		s->i++;
		if (s->i < s->n && (s->p[s->i] == '+' || s->p[s->i] == '-'))
			s->i++;
		if (!is_digit(s))
			return 0;
		while (is_digit(s))
			s->i++;
	}
	(void)start;
	return 1;
}

static int
scan_string(struct scan *s)
{
	s->i++;                 /* opening quote */
	while (s->i < s->n) {
		uint8_t c = (uint8_t)s->p[s->i++];

		if (c == '"')
			return 1;
		if (c < 0x20)
			return 0;
		if (c != '\\')
			continue;
		if (s->i >= s->n)
			return 0;
		c = (uint8_t)s->p[s->i++];
		if (c == 'u') {
			for (int k = 0; k < 4; k++, s->i++)
				if (s->i >= s->n || strchr("0123456789abcdef"
				    "ABCDEF", s->p[s->i]) == NULL ||
				    s->p[s->i] == '\0')
					return 0;
		} else if (strchr("\"\\/bfnrt", c) == NULL || c == '\0') {
			return 0;
		}
	}
	return 0;
}

static int
scan_value(struct scan *s, int depth)
{
	char close;

	skip_ws(s);
	if (s->i >= s->n)
		return 0;
	switch (s->p[s->i]) {
	case '"':
		return scan_string(s);
	case 't':
		return lit(s, "true");
	case 'f':
		return lit(s, "false");
	case 'n':
		return lit(s, "null");
	case '{':
	case '[':
		break;
	default:
		return scan_number(s);
	}
	if (depth >= CJSON_NESTING_LIMIT) {
		s->deep = s->p[s->i];
		return 0;
	}
	close = s->p[s->i] == '{' ? '}' : ']';
	s->i++;
	skip_ws(s);
	if (s->i < s->n && s->p[s->i] == close) {
		s->i++;
		return 1;
	}
	for (;;) {
		if (close == '}') {
			skip_ws(s);
			if (s->i >= s->n || s->p[s->i] != '"' ||
			    !scan_string(s))
				return 0;
			skip_ws(s);
			if (s->i >= s->n || s->p[s->i] != ':')
				return 0;
			s->i++;
		}
		if (!scan_value(s, depth + 1))
			return 0;
		skip_ws(s);
		if (s->i >= s->n)
			return 0;
		if (s->p[s->i] == close) {
			s->i++;
			return 1;
		}
		if (s->p[s->i] != ',')
			return 0;
		s->i++;
	}
}

/* ------------------------------------------------------------ tree */

/*
 * The tree is built here rather than by cJSON's parser, for two reasons:
 * cJSON_Parse* records its last error in a process-wide variable (a data race
 * between the batch run's workers), and it allocates through process-wide
 * hooks, so a memory cap per notebook would need global state too. The text
 * has passed scan_value(), so building is a plain walk with nothing left to
 * reject but what cJSON rejects (lone surrogate escapes). Nodes are cJSON
 * structs, read by the code above through cJSON's accessors, carved from one
 * arena per notebook that stops at a cap: a notebook of a million tiny
 * values would otherwise cost ~64 bytes per value (a 4 MiB file, 100 MiB).
 *
 * Number nodes get the offset of their token in valueint (cJSON keeps
 * numbers only as doubles; type, str() and truthiness come from the token,
 * as Python's would); string nodes get their decoded length there, because a
 * "\u0000" escape is a NUL byte inside valuestring.
 */
#define ARENA_BLOCK (64u << 10)

struct arena_blk {
	struct arena_blk *next;
	size_t used, cap;
	size_t pad;             /* data starts 32 bytes in: aligned for cJSON */
	unsigned char data[];
};

struct arena {
	struct arena_blk *head;
	size_t total, cap;
	int over;               /* the cap was reached */
};

static void *
arena_get(struct arena *a, size_t n)
{
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (a->head == NULL || a->head->cap - a->head->used < n) {
		size_t bc = n > ARENA_BLOCK ? n : ARENA_BLOCK;
		struct arena_blk *b;
		if (a->total + bc + sizeof *b > a->cap) {
			a->over = 1;
			return NULL;
		}
		if ((b = malloc(sizeof *b + bc)) == NULL)
			return NULL;
		b->next = a->head;
		b->used = 0;
		b->cap = bc;
		a->head = b;
		a->total += bc + sizeof *b;
	}
	p = a->head->data + a->head->used;
	a->head->used += n;
	return p;
}

static void
arena_free(struct arena *a)
{
	while (a->head != NULL) {
		struct arena_blk *b = a->head;
		a->head = b->next;
		free(b);
	}
}

struct build {
	const char *p;          /* validated, NUL-terminated text */
	size_t i;
	struct arena *a;
	int bad;                /* a lone surrogate escape (cJSON refuses) */
};

static unsigned
hex4(const char *p)
{
	unsigned v = 0;

	for (int k = 0; k < 4; k++) {
		char c = p[k];

		v = v << 4 | (unsigned)(c <= '9' ? c - '0' :
		    (c | 0x20) - 'a' + 10);
	}
	return v;
}

static void
b_ws(struct build *b)
{
	while (b->p[b->i] == ' ' || b->p[b->i] == '\t' || b->p[b->i] == '\n' ||
	    b->p[b->i] == '\r')
		b->i++;
}

/* The string token at b->i, decoded as cJSON decodes it; NULL on failure. */
static char *
b_string(struct build *b, size_t *len)
{
	size_t start = ++b->i, end = start, o = 0;
	char *s;

	while (b->p[end] != '"')
		end += b->p[end] == '\\' ? 2 : 1;
	/* decoding never makes a string longer */
	if ((s = arena_get(b->a, end - start + 1)) == NULL)
		return NULL;
	for (size_t i = start; i < end;) {
		char c = b->p[i];
		unsigned cp, lo;
		if (c != '\\') {
			s[o++] = c;
			i++;
			continue;
		}
		c = b->p[i + 1];
		if (c != 'u') {
			s[o++] = c == 'b' ? '\b' : c == 'f' ? '\f' : c == 'n' ?
			    '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c;
			i += 2;
			continue;
		}
		cp = hex4(b->p + i + 2);
		i += 6;
		if (cp >= 0xDC00 && cp <= 0xDFFF) {
			b->bad = 1;
			return NULL;
		}
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			if (end - i < 6 || b->p[i] != '\\' || b->p[i + 1] != 'u' ||
			    (lo = hex4(b->p + i + 2)) < 0xDC00 || lo > 0xDFFF) {
				b->bad = 1;
				return NULL;
			}
			cp = 0x10000 + (((cp & 0x3FF) << 10) | (lo & 0x3FF));
			i += 6;
		}
		o += utf8_encode(cp, (uint8_t *)s + o);
	}
	s[o] = '\0';
	*len = o;
	b->i = end + 1;
	return s;
}

/* The value at b->i (depth is bounded by scan_value's check). */
static cJSON *
b_value(struct build *b)
{
	cJSON *j, *last = NULL;
	size_t len;
	char close;

	b_ws(b);
	if ((j = arena_get(b->a, sizeof *j)) == NULL)
		return NULL;
	memset(j, 0, sizeof *j);
	switch (b->p[b->i]) {
	case '"':
		j->type = cJSON_String;
		if ((j->valuestring = b_string(b, &len)) == NULL)
			return NULL;
		j->valueint = (int)len;
		return j;
	case 't':
		j->type = cJSON_True;
		b->i += 4;
		return j;
	case 'f':
		j->type = cJSON_False;
		b->i += 5;
		return j;
	case 'n':
		j->type = cJSON_NULL;
		b->i += 4;
		return j;
	case '[':
	case '{':
		break;
	default:
		j->type = cJSON_Number;
		j->valueint = (int)b->i;
		b->i += number_len(b->p + b->i);
		return j;
	}
	close = b->p[b->i] == '{' ? '}' : ']';
	j->type = close == '}' ? cJSON_Object : cJSON_Array;
	b->i++;
	b_ws(b);
	if (b->p[b->i] == close) {
		b->i++;
		return j;
	}
	for (;;) {
		char *key = NULL;
		cJSON *v;
		if (close == '}') {
			b_ws(b);
			if ((key = b_string(b, &len)) == NULL)
				return NULL;
			b_ws(b);
			b->i++;         /* ':' */
		}
		if ((v = b_value(b)) == NULL)
			return NULL;
		v->string = key;
		if (last == NULL) {
			j->child = v;
		} else {
			last->next = v;
			v->prev = last;
		}
		last = v;
		j->child->prev = last;  /* as cJSON: the head points to the tail */
		b_ws(b);
		if (b->p[b->i++] == close)
			return j;       /* else ',' */
	}
}

/* ------------------------------------------------------------ entry */

static int
put_error(struct buf *out, const char *msg, size_t len)
{
	size_t mark = out->len;
	int rc;

	if ((rc = buf_puts(out, ERR_PREFIX)) == ERR_OK &&
	    (rc = buf_append(out, msg, len)) == ERR_OK)
		return ERR_OK;
	out->len = mark;
	return rc;
}

/* see notebook.h */
int
notebook_convert(const char *json, size_t n, struct buf *out)
{
	return notebook_convert_capped(json, n, out, NOTEBOOK_TREE_MAX, NULL);
}

/* see notebook.h */
int
notebook_convert_capped(const char *json, size_t n, struct buf *out,
    size_t tree_max, int *limited)
{
	struct utf8v v;
	struct scan s = { json, n, 0, 0, 0 };
	struct buf res, emsg;
	struct nb nb;
	struct arena ar = { NULL, 0, tree_max, 0 };
	struct build bd;
	cJSON *root;
	char *copy = NULL;
	size_t mark = out->len, room;
	int ok, rc;

	/* Python opens the file as UTF-8 and reads it whole: the first
	 * decode error, at its absolute position, is the exception. */
	utf8v_init(&v);
	utf8v_feed(&v, (const uint8_t *)json, n);
	utf8v_end(&v);
	if (v.bad)
		return put_error(out, v.msg, strlen(v.msg));
	if (n >= INT_MAX)
		return ERR_LIMIT;

	/* A text with a NUL byte is valid UTF-8 and valid nowhere in JSON
	 * outside a string, where it is a control character: the scan
	 * rejects it, so the C-string helpers below never see one. */
	ok = scan_value(&s, 0);
	if (ok) {
		skip_ws(&s);
		ok = s.i == n;
	}
	if (!ok && s.deep != 0) {
		/* Python's scanner recurses per level and hits the recursion
		 * limit before it reads further: RecursionError, which is no
		 * JSONDecodeError. Python's real depth is the limit minus its
		 * call stack (about 950..990), ours is cJSON's 1000. */
		return buf_printf(out, ERR_PREFIX "maximum recursion depth "
		    "exceeded while decoding a JSON %s from a unicode string",
		    s.deep == '[' ? "array" : "object");
	}
	if (!ok)
		return buf_puts(out, ERR_PREFIX "Invalid JSON in notebook");

	/* cJSON wants a terminator for nothing, but number_len() and the
	 * walks stop at NUL: keep a NUL-terminated copy in every case. */
	if ((copy = malloc(n + 1)) == NULL)
		return ERR_NOMEM;
	memcpy(copy, json, n);
	copy[n] = '\0';
	nb.text = copy;
	bd.p = copy;
	bd.i = 0;
	bd.a = &ar;
	bd.bad = 0;
	if ((root = b_value(&bd)) == NULL) {
		free(copy);
		arena_free(&ar);
		if (ar.over) {
			/* as gitingest's body for a notebook it cannot convert */
			if (limited != NULL)
				*limited = 1;
			return buf_printf(out, ERR_PREFIX "notebook needs more "
			    "than the %zu MiB conversion memory limit",
			    tree_max >> 20);
		}
		if (bd.bad)     /* a lone surrogate escape, as cJSON */
			return buf_puts(out, ERR_PREFIX "Invalid JSON in notebook");
		return ERR_NOMEM;
	}

	/* Slack: an empty cell's "\n\n" lead is written, then taken back,
	 * so the script may briefly pass the room left in out. The final
	 * append to out enforces the real cap. */
	room = out->cap - out->len;
	buf_init(&res, room > SIZE_MAX - 16 ? room : room + 16);
	buf_init(&emsg, out->cap);
	nb.emsg = &emsg;
	rc = process(&nb, pv_of(&nb, root), &res);
	if (rc == ERR_OK) {
		if ((rc = buf_putc(&res, '\n')) == ERR_OK)
			rc = buf_append(out, res.p, res.len);
	} else if (rc == NB_EXC) {
		rc = put_error(out, (const char *)emsg.p, emsg.len);
	}
	if (rc != ERR_OK)
		out->len = mark;
	buf_free(&res);
	buf_free(&emsg);
	arena_free(&ar);
	free(copy);
	return rc;
}
