/*
 * jsonl.c - chunks as JSON lines. See jsonl.h.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "jsonl.h"
#include "sha256x.h"
#include "tokens.h"

/* Paths are capped by the archive reader; this is only a ceiling. */
#define PATH_MAX_BYTES 65536
/* One JSON line: 6 bytes per unit at worst for the text, plus the rest. */
#define LINE_MAX_BYTES ((size_t)SPLIT_MAX_SIZE * 6 + 4 * PATH_MAX_BYTES)

int
chunkw_init(struct chunkw *w, struct out *o, const struct chunkw_meta *m,
    size_t size, size_t overlap)
{
	int e;

	memset(w, 0, sizeof *w);
	if ((e = split_init(&w->sp, size, overlap)) != 0)
		return e;
	w->o = o;
	w->meta = *m;
	buf_init(&w->path, PATH_MAX_BYTES);
	buf_init(&w->text, (size_t)SPLIT_MAX_SIZE * 4);
	buf_init(&w->line, LINE_MAX_BYTES);
	return 0;
}

void
chunkw_free(struct chunkw *w)
{
	split_free(&w->sp);
	buf_free(&w->path);
	buf_free(&w->text);
	buf_free(&w->line);
	free(w->u);
	w->u = NULL;
}

int
chunkw_begin(struct chunkw *w, const char *path, size_t n)
{
	buf_reset(&w->path);
	w->un = 0;
	w->ncarry = 0;
	w->bytes = 0;
	w->n = 0;
	w->lang = split_lang_for_path(path, n);
	return buf_append(&w->path, path, n);
}

/* ------------------------------------------------------------ UTF-8 in */

/*
 * Decode one UTF-8 character at p (n bytes available). Returns its length
 * and sets *cp; 0 if more bytes are needed; -1 for an invalid sequence (one
 * byte is then taken as U+FFFD; the digest has validated the text, so this
 * only keeps hostile input defined).
 */
static int
utf8_dec(const uint8_t *p, size_t n, uint32_t *cp)
{
	uint32_t c = p[0], min;
	int len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, c &= 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, c &= 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, c &= 0x07, min = 0x10000;
	else
		return -1;
	for (int i = 1; i < len; i++) {
		if ((size_t)i >= n)
			return 0;
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		c = c << 6 | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*cp = c;
	return len;
}

static int
u_reserve(struct chunkw *w, size_t extra)
{
	size_t need = w->un + extra, nc;
	uint16_t *nu;

	if (need <= w->ucap)
		return 0;
	if (need > CHUNKW_MAX_FILE)
		return ERR_LIMIT;
	nc = w->ucap ? w->ucap : 4096;
	while (nc < need)
		nc *= 2;
	if (nc > CHUNKW_MAX_FILE)
		nc = CHUNKW_MAX_FILE;
	if ((nu = realloc(w->u, nc * sizeof *nu)) == NULL)
		return ERR_NOMEM;
	w->u = nu;
	w->ucap = nc;
	return 0;
}

static void
put_cp(struct chunkw *w, uint32_t c)
{
	if (c >= 0x10000) {
		c -= 0x10000;
		w->u[w->un++] = (uint16_t)(0xd800 | c >> 10);
		w->u[w->un++] = (uint16_t)(0xdc00 | (c & 0x3ff));
	} else {
		w->u[w->un++] = (uint16_t)c;
	}
}

/* Decode p[0..n) into units; returns bytes used (a cut sequence stays). */
static size_t
decode(struct chunkw *w, const uint8_t *p, size_t n, int final)
{
	size_t i = 0;
	uint32_t c;
	int k;

	while (i < n) {
		if (p[i] < 0x80) {
			w->u[w->un++] = p[i++];
			continue;
		}
		k = utf8_dec(p + i, n - i, &c);
		if (k == 0 && !final)
			break;
		if (k <= 0) {
			c = 0xfffd;
			k = 1;
		}
		put_cp(w, c);
		i += (size_t)k;
	}
	return i;
}

int
chunkw_data(struct chunkw *w, const uint8_t *p, size_t n)
{
	int e;

	w->bytes += n;
	if (w->bytes > CHUNKW_MAX_FILE)
		return ERR_LIMIT;
	/* at most one unit per byte, plus the carried sequence's two */
	if ((e = u_reserve(w, n + w->ncarry + 2)) != 0)
		return e;
	while (w->ncarry > 0 && n > 0) {
		size_t used;
		w->carry[w->ncarry++] = *p++;
		n--;
		used = decode(w, w->carry, w->ncarry, 0);
		if (used > 0) {
			/* the sequence completed, or was invalid and one byte went */
			memmove(w->carry, w->carry + used, w->ncarry - used);
			w->ncarry -= used;
		}
	}
	{
		size_t used = decode(w, p, n, 0);
		memcpy(w->carry + w->ncarry, p + used, n - used);
		w->ncarry += n - used;
	}
	return 0;
}

/* ------------------------------------------------------------ JSON out */

/* Bytes as a JSON string; valid UTF-8 as is, anything else as U+FFFD. */
static void
json_bytes(struct buf *b, const char *s, size_t n)
{
	size_t i = 0;
	uint32_t c;
	int k;

	buf_putc(b, '"');
	while (i < n) {
		uint8_t x = (uint8_t)s[i];
		if (x < 0x80) {
			if (x == '"' || x == '\\') {
				buf_putc(b, '\\');
				buf_putc(b, x);
			} else if (x < 0x20) {
				buf_printf(b, "\\u%04x", x);
			} else {
				buf_putc(b, x);
			}
			i++;
			continue;
		}
		k = utf8_dec((const uint8_t *)s + i, n - i, &c);
		if (k <= 0) {
			buf_append(b, "\xef\xbf\xbd", 3);
			i++;
		} else {
			buf_append(b, s + i, (size_t)k);
			i += (size_t)k;
		}
	}
	buf_putc(b, '"');
}

/* c as UTF-8 at o; returns the end. */
static uint8_t *
utf8_put(uint8_t *o, uint32_t c)
{
	if (c < 0x80) {
		*o++ = (uint8_t)c;
	} else if (c < 0x800) {
		*o++ = (uint8_t)(0xc0 | c >> 6);
		*o++ = (uint8_t)(0x80 | (c & 0x3f));
	} else if (c < 0x10000) {
		*o++ = (uint8_t)(0xe0 | c >> 12);
		*o++ = (uint8_t)(0x80 | (c >> 6 & 0x3f));
		*o++ = (uint8_t)(0x80 | (c & 0x3f));
	} else {
		*o++ = (uint8_t)(0xf0 | c >> 18);
		*o++ = (uint8_t)(0x80 | (c >> 12 & 0x3f));
		*o++ = (uint8_t)(0x80 | (c >> 6 & 0x3f));
		*o++ = (uint8_t)(0x80 | (c & 0x3f));
	}
	return o;
}

/*
 * Units [a, z) as a JSON string the way JSON.stringify() writes one (", \,
 * and control characters escaped, \b \f \n \r \t short), lone surrogates as
 * \udXXX; and as UTF-8 into txt (lone surrogates as U+FFFD) for the token
 * estimate and the id. The caller has reserved 6 bytes per unit in b and 3
 * in txt (the worst cases), so this writes through plain pointers: a call per
 * character was most of the time of a whole chunked digest.
 */
static void
json_units(struct buf *b, struct buf *txt, const uint16_t *u, size_t a, size_t z)
{
	static const char hx[] = "0123456789abcdef";
	uint8_t *o = b->p + b->len, *t = txt->p + txt->len;

	*o++ = '"';
	for (size_t i = a; i < z; i++) {
		uint32_t c = u[i];
		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			*o++ = (uint8_t)c;
			*t++ = (uint8_t)c;
			continue;
		}
		if (c >= 0xd800 && c <= 0xdbff && i + 1 < z &&
		    u[i + 1] >= 0xdc00 && u[i + 1] <= 0xdfff) {
			c = 0x10000 + ((c - 0xd800) << 10) + (u[i + 1] - 0xdc00);
			i++;
		} else if (c >= 0xd800 && c <= 0xdfff) {
			*o++ = '\\';
			*o++ = 'u';
			for (int k = 12; k >= 0; k -= 4)
				*o++ = (uint8_t)hx[c >> k & 15];
			t = utf8_put(t, 0xfffd);
			continue;
		}
		t = utf8_put(t, c);
		switch (c) {
		case '"': *o++ = '\\'; *o++ = '"'; break;
		case '\\': *o++ = '\\'; *o++ = '\\'; break;
		case '\b': *o++ = '\\'; *o++ = 'b'; break;
		case '\f': *o++ = '\\'; *o++ = 'f'; break;
		case '\n': *o++ = '\\'; *o++ = 'n'; break;
		case '\r': *o++ = '\\'; *o++ = 'r'; break;
		case '\t': *o++ = '\\'; *o++ = 't'; break;
		default:
			if (c < 0x20) {
				*o++ = '\\';
				*o++ = 'u';
				*o++ = '0';
				*o++ = '0';
				*o++ = (uint8_t)hx[c >> 4];
				*o++ = (uint8_t)hx[c & 15];
			} else {
				o = utf8_put(o, c);
			}
		}
	}
	*o++ = '"';
	b->len = (size_t)(o - b->p);
	txt->len = (size_t)(t - txt->p);
}

static void
hash_field(struct sha256x *h, const void *p, size_t n)
{
	uint8_t len[8];

	for (int i = 0; i < 8; i++)
		len[i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
	sha256x_update(h, len, 8);
	sha256x_update(h, p, n);
}

void
chunkw_id(const char *repo, const char *path, size_t pathlen, uint64_t n,
    const uint8_t *text, size_t tlen, char out[33])
{
	static const char hx[] = "0123456789abcdef";
	struct sha256x h;
	uint8_t d[32], num[8];

	for (int i = 0; i < 8; i++)
		num[i] = (uint8_t)(n >> (56 - 8 * i));
	sha256x_init(&h);
	hash_field(&h, repo, strlen(repo));
	hash_field(&h, path, pathlen);
	hash_field(&h, num, sizeof num);
	hash_field(&h, text, tlen);
	sha256x_out(&h, d);
	for (int i = 0; i < 16; i++) {
		out[2 * i] = hx[d[i] >> 4];
		out[2 * i + 1] = hx[d[i] & 15];
	}
	out[32] = '\0';
}

static int
write_chunk(void *ctx, const struct split_chunk *c)
{
	struct chunkw *w = ctx;
	struct buf *b = &w->line;
	struct tokens tk;
	char id[33];
	size_t units = c->end - c->start;
	int e;

	buf_reset(b);
	buf_reset(&w->text);
	/* room for the worst case up front (6 bytes per unit or byte escaped),
	 * so none of the appends below can fail half-way */
	if ((e = buf_reserve(b, 6 * (units + w->path.len + strlen(w->meta.repo) +
	    strlen(w->meta.ref) + strlen(w->meta.commit)) + 256)) != 0 ||
	    (e = buf_reserve(&w->text, 3 * units + 4)) != 0)
		return e;
	buf_puts(b, "{\"repo\":");
	json_bytes(b, w->meta.repo, strlen(w->meta.repo));
	buf_puts(b, ",\"ref\":");
	json_bytes(b, w->meta.ref, strlen(w->meta.ref));
	buf_puts(b, ",\"commit\":");
	json_bytes(b, w->meta.commit, strlen(w->meta.commit));
	buf_puts(b, ",\"path\":");
	json_bytes(b, (const char *)w->path.p, w->path.len);
	buf_printf(b, ",\"language\":\"%s\",\"chunk\":%llu,\"start_line\":%llu,"
	    "\"end_line\":%llu,\"text\":", w->lang->name,
	    (unsigned long long)w->n, (unsigned long long)c->line_from,
	    (unsigned long long)c->line_to);
	json_units(b, &w->text, w->u, c->start, c->end);
	tokens_init(&tk);
	tokens_feed(&tk, w->text.p, w->text.len);
	chunkw_id(w->meta.repo, (const char *)w->path.p, w->path.len, w->n,
	    w->text.p, w->text.len, id);
	buf_printf(b, ",\"tokens\":%llu,\"id\":\"%s\"}\n",
	    (unsigned long long)tokens_end(&tk), id);
	w->n++;
	w->chunks++;
	return out_write(w->o, b->p, b->len);
}

int
chunkw_end(struct chunkw *w)
{
	int e;

	if (w->ncarry > 0) {
		/* a sequence cut at the end of the text: U+FFFD per byte */
		decode(w, w->carry, w->ncarry, 1);
		w->ncarry = 0;
	}
	w->files++;
	e = split_text(&w->sp, w->lang, w->u, w->un, write_chunk, w);
	/* keep a large file's buffer from pinning memory for the rest */
	if (w->ucap > (1u << 20)) {
		free(w->u);
		w->u = NULL;
		w->ucap = 0;
	}
	w->un = 0;
	return e;
}

/* digest_visit adapters */
static int
v_begin(void *ctx, const char *path, size_t n)
{
	return chunkw_begin(ctx, path, n);
}

static int
v_data(void *ctx, const uint8_t *p, size_t n)
{
	return chunkw_data(ctx, p, n);
}

static int
v_end(void *ctx)
{
	return chunkw_end(ctx);
}

int
chunkw_digest(struct chunkw *w, struct digest *d)
{
	struct digest_visit v = { v_begin, v_data, v_end, w };

	return digest_each_text(d, &v);
}
