/*
 * jsonl.c - chunks as JSON lines. See jsonl.h.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "err.h"
#include "jsonl.h"
#include "jsonstr.h"
#include "sha256x.h"
#include "tokens.h"
#include "utf16.h"
#include "utf8enc.h"

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
	buf_init(&w->head, LINE_MAX_BYTES);
	buf_init(&w->text, (size_t)SPLIT_MAX_SIZE * 4);
	buf_init(&w->line, LINE_MAX_BYTES);
	return 0;
}

void
chunkw_free(struct chunkw *w)
{
	split_free(&w->sp);
	buf_free(&w->path);
	buf_free(&w->head);
	buf_free(&w->text);
	buf_free(&w->line);
	free(w->u);
	w->u = NULL;
}

int
chunkw_begin(struct chunkw *w, const char *path, size_t n)
{
	buf_reset(&w->path);
	buf_reset(&w->head);
	w->un = 0;
	w->ncarry = 0;
	w->bytes = 0;
	w->n = 0;
	w->lang = split_lang_for_path(path, n);
	return buf_append(&w->path, path, n);
}

/* ------------------------------------------------------------ UTF-8 in */

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

/* Decode p[0..n) into units; returns bytes used (a cut sequence stays). */
static size_t
decode(struct chunkw *w, const uint8_t *p, size_t n, int final)
{
	return utf16_from_utf8(w->u, &w->un, p, n, final);
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
	jsonstr_write(s, n, JSONSTR_QUOTE | JSONSTR_BAD_REPL, jsonstr_put_buf,
	    b);
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
		uint32_t c;
#ifdef __SSE2__
		/* 16 units at a time: the bytes are stored whole (both sides have
		 * the room: 6 and 3 bytes a unit reserved). Units with a two-byte
		 * escape (newline, tab, CR, quote, backslash: a line of source has
		 * at least one) are written in place, so a line break costs no
		 * trip through the loop below; the units before the first that
		 * needs more are kept */
		while (z - i >= 16) {
			const __m128i sp = _mm_set1_epi16(0x20);
			const __m128i de = _mm_set1_epi16(0x7f);
			const __m128i qu = _mm_set1_epi16('"');
			const __m128i bs = _mm_set1_epi16('\\');
			const __m128i nl = _mm_set1_epi16('\n');
			const __m128i tb = _mm_set1_epi16('\t');
			const __m128i cr = _mm_set1_epi16('\r');
			__m128i x = _mm_loadu_si128((const __m128i *)(u + i));
			__m128i y = _mm_loadu_si128((const __m128i *)(u + i + 8));
			/* signed compares: units from 0x8000 up count as < 0x20 */
			__m128i qx = _mm_or_si128(_mm_cmpeq_epi16(x, qu),
			    _mm_cmpeq_epi16(x, bs));
			__m128i qy = _mm_or_si128(_mm_cmpeq_epi16(y, qu),
			    _mm_cmpeq_epi16(y, bs));
			__m128i bx = _mm_or_si128(qx, _mm_or_si128(
			    _mm_cmplt_epi16(x, sp), _mm_cmpgt_epi16(x, de)));
			__m128i by = _mm_or_si128(qy, _mm_or_si128(
			    _mm_cmplt_epi16(y, sp), _mm_cmpgt_epi16(y, de)));
			__m128i sx = _mm_or_si128(qx, _mm_or_si128(_mm_or_si128(
			    _mm_cmpeq_epi16(x, nl), _mm_cmpeq_epi16(x, tb)),
			    _mm_cmpeq_epi16(x, cr)));
			__m128i sy = _mm_or_si128(qy, _mm_or_si128(_mm_or_si128(
			    _mm_cmpeq_epi16(y, nl), _mm_cmpeq_epi16(y, tb)),
			    _mm_cmpeq_epi16(y, cr)));
			unsigned bad = (unsigned)_mm_movemask_epi8(
			    _mm_packs_epi16(bx, by));
			unsigned two = (unsigned)_mm_movemask_epi8(
			    _mm_packs_epi16(sx, sy));
			unsigned more = bad & ~two;
			unsigned k = more ? (unsigned)__builtin_ctz(more) : 16;
			unsigned lo = (1u << k) - 1;
			x = _mm_packus_epi16(x, y);
			_mm_storeu_si128((__m128i *)t, x);
			t += k;
			if ((bad & lo) == 0) {
				/* nothing to escape before unit k */
				_mm_storeu_si128((__m128i *)o, x);
				o += k;
			} else {
				/* the block from blk, each escape in turn; o stays
				 * within the room (2 bytes a unit at most, 16 more
				 * stored) */
				uint8_t blk[32] = { 0 };
				unsigned m = bad & lo, s = 0;
				_mm_storeu_si128((__m128i *)blk, x);
				for (; m != 0; m &= m - 1) {
					unsigned j = (unsigned)__builtin_ctz(m);
					uint8_t ch = blk[j];
					_mm_storeu_si128((__m128i *)o, _mm_loadu_si128(
					    (const __m128i *)(blk + s)));
					o += j - s;
					*o++ = '\\';
					*o++ = ch == '\n' ? 'n' : ch == '\t' ? 't' :
					    ch == '\r' ? 'r' : ch;
					s = j + 1;
				}
				_mm_storeu_si128((__m128i *)o, _mm_loadu_si128(
				    (const __m128i *)(blk + s)));
				o += k - s;
			}
			i += k;
			if (k < 16)
				break;
		}
		if (i >= z)
			break;
#endif
		c = u[i];
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
			t += utf8_encode(0xfffd, t);
			continue;
		}
		t += utf8_encode(c, t);
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
				o += utf8_encode(c, o);
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

/* An id's hex: the first 16 bytes of the digest d. */
static void
id_hex(const uint8_t d[32], char out[33])
{
	static const char hx[] = "0123456789abcdef";

	for (int i = 0; i < 16; i++) {
		out[2 * i] = hx[d[i] >> 4];
		out[2 * i + 1] = hx[d[i] & 15];
	}
	out[32] = '\0';
}

void
chunkw_id(const char *repo, const char *path, size_t pathlen, uint64_t n,
    const uint8_t *text, size_t tlen, char out[33])
{
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
	id_hex(d, out);
}

/* One field of an id's message (chunkw_id's), its length first. */
static uint8_t *
put_field(uint8_t *o, const void *p, size_t n)
{
	for (int i = 0; i < 8; i++)
		*o++ = (uint8_t)((uint64_t)n >> (56 - 8 * i));
	memcpy(o, p, n);
	return o + n;
}

/* The message chunkw_id hashes, whole, into m with SHA256X_PAD bytes of
 * room after it (sha256x_two); returns its length, or 0 without memory. */
static size_t
id_message(struct buf *m, const char *repo, const char *path, size_t plen,
    uint64_t n, const uint8_t *text, size_t tlen)
{
	size_t rl = strlen(repo), len = 32 + rl + plen + 8 + tlen;
	uint8_t num[8], *o;

	buf_reset(m);
	if (buf_reserve(m, len + SHA256X_PAD) != 0)
		return 0;
	for (int i = 0; i < 8; i++)
		num[i] = (uint8_t)(n >> (56 - 8 * i));
	o = put_field(m->p, repo, rl);
	o = put_field(o, path, plen);
	o = put_field(o, num, sizeof num);
	put_field(o, text, tlen);
	return len;
}

/* v in decimal at the end of b (room reserved by the caller). */
static void
put_u64(struct buf *b, uint64_t v)
{
	char tmp[20];
	int k = 0;

	do
		tmp[k++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (k > 0)
		b->p[b->len++] = (uint8_t)tmp[--k];
}

/*
 * The line up to and including the text field into w->line, and the text as
 * UTF-8 into w->text (for the token estimate and the id).
 */
static int
line_head(struct chunkw *w, const struct split_chunk *c)
{
	struct buf *b = &w->line;
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
	if (w->head.len == 0) {
		/* the same for every chunk of the file: made once */
		struct buf *h = &w->head;
		if ((e = buf_reserve(h, 6 * (w->path.len +
		    strlen(w->meta.repo) + strlen(w->meta.ref) +
		    strlen(w->meta.commit)) + 128)) != 0)
			return e;
		buf_puts(h, "{\"repo\":");
		json_bytes(h, w->meta.repo, strlen(w->meta.repo));
		buf_puts(h, ",\"ref\":");
		json_bytes(h, w->meta.ref, strlen(w->meta.ref));
		buf_puts(h, ",\"commit\":");
		json_bytes(h, w->meta.commit, strlen(w->meta.commit));
		buf_puts(h, ",\"path\":");
		json_bytes(h, (const char *)w->path.p, w->path.len);
		buf_puts(h, ",\"language\":\"");
		buf_puts(h, w->lang->name);
		buf_puts(h, "\",\"chunk\":");
	}
	buf_append(b, w->head.p, w->head.len);
	put_u64(b, w->n);
	buf_append(b, ",\"start_line\":", 14);
	put_u64(b, c->line_from);
	buf_append(b, ",\"end_line\":", 12);
	put_u64(b, c->line_to);
	buf_append(b, ",\"text\":", 8);
	json_units(b, &w->text, w->u, c->start, c->end);
	return 0;
}

/* The estimate of a chunk's text alone. */
static uint64_t
text_tokens(const uint8_t *text, size_t tlen)
{
	struct tokens tk;

	tokens_init(&tk);
	tokens_feed(&tk, text, tlen);
	return tokens_end(&tk);
}

/* The end of a line (its token figure and id) appended to b (room for 64
 * bytes reserved by the callers). */
static void
line_end(struct buf *b, uint64_t tokens, const char id[33])
{
	if (buf_reserve(b, 96) != 0)
		return;                 /* not with the room the callers reserve */
	buf_append(b, ",\"tokens\":", 10);
	put_u64(b, tokens);
	buf_append(b, ",\"id\":\"", 7);
	buf_append(b, id, 32);
	buf_append(b, "\"}\n", 3);
}

/* The rest of the line (the token estimate and the id of chunk n of path,
 * whose UTF-8 is text) appended to b. */
static void
line_tail(const struct chunkw *w, struct buf *b, const char *path, size_t plen,
    uint64_t n, const uint8_t *text, size_t tlen)
{
	char id[33];

	chunkw_id(w->meta.repo, path, plen, n, text, tlen, id);
	line_end(b, text_tokens(text, tlen), id);
}

/* ------------------------------------------------------------ second thread
 *
 * In chunkw_digest the token estimates and ids (a third of a chunked digest,
 * after the split) run on a second thread, in batches: the main thread splits
 * and writes each chunk's line head and UTF-8 text into one of two batches,
 * the other thread finishes and writes the lines of the other batch, in
 * order. The thread starts only when a first batch fills (small repositories
 * never start it), and only it writes to the output until chunkw_digest joins
 * it; its first error is sticky and returned to the main thread at the next
 * hand-over. chunkw_end() on its own stays synchronous.
 *
 * That thread has more to do than the main thread (profiled on the five
 * bench tarballs: 1.2 to 1.7 times the main thread's share of the chunking),
 * so the main thread, rather than wait for it at a hand-over, estimates the
 * batch it has just handed over from its last chunk down, while the thread
 * takes the chunks from the first up; a chunk is claimed by one of them
 * under the pipe's lock, and the thread writes its lines in order whoever
 * estimated them. Which thread estimates a chunk changes nothing in the
 * output: the estimate is a function of the chunk's text alone.
 */
#define BATCH_BYTES ((size_t)256 << 10)

/* One chunk in a batch, followed by its path, line head and text, padded to 8. */
struct rec {
	uint64_t n;
	size_t plen, hlen, tlen;
};

/* A batch's chunks: where each starts, and the estimates the main thread made. */
struct bidx {
	size_t *off;                    /* offsets of the records in the batch */
	uint64_t *tok;                  /* estimates, for those in [done, n) */
	size_t n, cap;
	/* under the lock once handed over: the thread has taken [0, lo), the
	 * main thread [hi, n), and has finished [done, n) */
	size_t lo, hi, done;
};

struct chunkw_pipe {
	struct chunkw *w;
	pthread_t th;
	int started, quit, err;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct buf bt[2];               /* the batches */
	struct bidx ix[2];              /* and their chunks */
	int full[2];                    /* handed to the thread, not done yet */
	int fill;                       /* the batch the main thread fills */
	struct buf line;                /* the thread's line */
	struct buf msg[2];              /* two ids' messages (sha256x_two) */
};

static size_t
rec_size(const struct rec *r)
{
	return (sizeof *r + r->plen + r->hlen + r->tlen + 7) & ~(size_t)7;
}

/* The estimate of record i of batch bi. */
static uint64_t
rec_tokens(const struct chunkw_pipe *P, int bi, size_t i)
{
	struct rec r;
	const uint8_t *p = P->bt[bi].p + P->ix[bi].off[i];

	memcpy(&r, p, sizeof r);
	return text_tokens(p + sizeof r + r.plen + r.hlen, r.tlen);
}

/* Batch bi handed over (called under the lock, or before the thread runs):
 * nothing taken yet. */
static void
batch_open(struct chunkw_pipe *P, int bi)
{
	struct bidx *x = &P->ix[bi];

	x->lo = 0;
	x->hi = x->done = x->n;
}

/* The estimate of record i of batch bi for its line: made here when the main
 * thread has not taken the record, else the main thread's, once made. */
static uint64_t
batch_tokens(struct chunkw_pipe *P, int bi, size_t i)
{
	struct bidx *x = &P->ix[bi];
	uint64_t t;
	int own;

	pthread_mutex_lock(&P->mu);
	if ((own = i < x->hi) != 0)
		x->lo = i + 1;
	else
		while (x->done > i)
			pthread_cond_wait(&P->cv, &P->mu);
	t = own ? 0 : x->tok[i];
	pthread_mutex_unlock(&P->mu);
	return own ? rec_tokens(P, bi, i) : t;
}

/* The main thread, under the lock: estimate the last record of batch bi
 * that the thread has not taken. Returns 0 when none is left. */
static int
batch_help(struct chunkw_pipe *P, int bi)
{
	struct bidx *x = &P->ix[bi];
	size_t j;
	uint64_t t;

	if (x->hi <= x->lo)
		return 0;
	j = --x->hi;
	pthread_mutex_unlock(&P->mu);
	t = rec_tokens(P, bi, j);
	pthread_mutex_lock(&P->mu);
	x->tok[j] = t;
	x->done = j;
	pthread_cond_broadcast(&P->cv);
	return 1;
}

/* Finish and write every line of batch bi (the thread, or the main thread
 * when the thread never started): the ids two at a time (sha256x_two). */
static int
run_batch(struct chunkw_pipe *P, int bi)
{
	struct out *o = P->w->o;
	const char *repo = P->w->meta.repo;
	struct buf *b = &P->bt[bi];
	struct bidx *x = &P->ix[bi];
	int e = 0;

	for (size_t i = 0; i < x->n && e == 0;) {
		struct rec r[2];
		const uint8_t *p[2];
		size_t ml[2], i0 = i;
		uint8_t d[2][32];
		char id[33];
		int k = 0;
		for (; k < 2 && i < x->n; k++, i++) {
			memcpy(&r[k], b->p + x->off[i], sizeof r[k]);
			p[k] = b->p + x->off[i] + sizeof r[k];
		}
		for (int j = 0; k == 2 && j < 2 && e == 0; j++)
			if ((ml[j] = id_message(&P->msg[j], repo,
			    (const char *)p[j], r[j].plen, r[j].n, p[j] +
			    r[j].plen + r[j].hlen, r[j].tlen)) == 0)
				e = ERR_NOMEM;
		if (e != 0)
			break;
		if (k == 2)
			sha256x_two(P->msg[0].p, ml[0], P->msg[1].p, ml[1], d[0],
			    d[1]);
		for (int j = 0; j < k && e == 0; j++) {
			const uint8_t *text = p[j] + r[j].plen + r[j].hlen;
			buf_reset(&P->line);
			if ((e = buf_reserve(&P->line, r[j].hlen + 96)) != 0)
				break;
			buf_append(&P->line, p[j] + r[j].plen, r[j].hlen);
			if (k == 2)
				id_hex(d[j], id);
			else            /* the batch's last, alone */
				chunkw_id(repo, (const char *)p[j], r[j].plen,
				    r[j].n, text, r[j].tlen, id);
			line_end(&P->line, batch_tokens(P, bi, i0 + (size_t)j),
			    id);
			e = out_write(o, P->line.p, P->line.len);
		}
	}
	if (e != 0) {
		/* none of the rest is written: the main thread takes no more */
		pthread_mutex_lock(&P->mu);
		x->lo = x->hi;
		pthread_mutex_unlock(&P->mu);
	}
	buf_reset(b);
	x->n = 0;
	return e;
}

static void *
pipe_main(void *arg)
{
	struct chunkw_pipe *P = arg;
	int cur = 0, e;

	pthread_mutex_lock(&P->mu);
	for (;;) {
		while (!P->full[cur] && !P->quit)
			pthread_cond_wait(&P->cv, &P->mu);
		if (!P->full[cur])
			break;
		pthread_mutex_unlock(&P->mu);
		e = run_batch(P, cur);
		pthread_mutex_lock(&P->mu);
		if (e && !P->err)
			P->err = e;
		P->full[cur] = 0;
		cur ^= 1;
		pthread_cond_broadcast(&P->cv);
	}
	pthread_mutex_unlock(&P->mu);
	return NULL;
}

/* Hand the filled batch over and take the other one when the thread is done
 * with it, estimating the handed-over batch's chunks meanwhile. Returns the
 * thread's error, if any. */
static int
pipe_handoff(struct chunkw_pipe *P)
{
	int e, next = P->fill ^ 1;

	if (!P->started) {
		pthread_attr_t a;
		int ok = pthread_attr_init(&a) == 0;
		if (ok)
			pthread_attr_setstacksize(&a, 256 << 10);
		if (ok && pthread_create(&P->th, &a, pipe_main, P) == 0)
			P->started = 1;
		if (ok)
			pthread_attr_destroy(&a);
		if (!P->started) {      /* no thread: this one does it all */
			batch_open(P, P->fill);
			return run_batch(P, P->fill);
		}
	}
	pthread_mutex_lock(&P->mu);
	batch_open(P, P->fill);
	P->full[P->fill] = 1;
	pthread_cond_broadcast(&P->cv);
	while (P->full[next] && !P->err)
		if (!batch_help(P, P->fill))
			pthread_cond_wait(&P->cv, &P->mu);
	e = P->err;
	pthread_mutex_unlock(&P->mu);
	P->fill = next;
	return e;
}

/* The last batch written, the thread joined. Returns its first error. */
static int
pipe_finish(struct chunkw_pipe *P, int e)
{
	int te;

	if (!P->started) {
		batch_open(P, P->fill);
		return e ? e : run_batch(P, P->fill);
	}
	pthread_mutex_lock(&P->mu);
	if (e == 0 && P->bt[P->fill].len > 0) {
		batch_open(P, P->fill);
		P->full[P->fill] = 1;
		/* the thread writes it; meanwhile, its chunks from the end */
		while (!P->err && batch_help(P, P->fill))
			;
	}
	P->quit = 1;
	pthread_cond_broadcast(&P->cv);
	pthread_mutex_unlock(&P->mu);
	pthread_join(P->th, NULL);
	te = P->err;
	return e ? e : te;
}

/* split_emit_fn: one chunk into the current batch. */
static int
queue_chunk(void *ctx, const struct split_chunk *c)
{
	struct chunkw *w = ctx;
	struct chunkw_pipe *P = w->pipe;
	struct buf *b = &P->bt[P->fill];
	struct bidx *x = &P->ix[P->fill];
	struct rec r;
	int e;

	if ((e = line_head(w, c)) != 0)
		return e;
	r.n = w->n;
	r.plen = w->path.len;
	r.hlen = w->line.len;
	r.tlen = w->text.len;
	if ((e = buf_reserve(b, rec_size(&r))) != 0)
		return e;
	if (x->n == x->cap) {
		size_t nc = x->cap ? 2 * x->cap : 256;
		size_t *no = realloc(x->off, nc * sizeof *no);
		uint64_t *nt;
		if (no == NULL)
			return ERR_NOMEM;
		x->off = no;
		if ((nt = realloc(x->tok, nc * sizeof *nt)) == NULL)
			return ERR_NOMEM;
		x->tok = nt;
		x->cap = nc;
	}
	x->off[x->n++] = b->len;
	memcpy(b->p + b->len, &r, sizeof r);
	memcpy(b->p + b->len + sizeof r, w->path.p, r.plen);
	memcpy(b->p + b->len + sizeof r + r.plen, w->line.p, r.hlen);
	memcpy(b->p + b->len + sizeof r + r.plen + r.hlen, w->text.p, r.tlen);
	b->len += rec_size(&r);
	w->n++;
	w->chunks++;
	return b->len >= BATCH_BYTES ? pipe_handoff(P) : 0;
}

/* split_emit_fn: one chunk written now. */
static int
write_chunk(void *ctx, const struct split_chunk *c)
{
	struct chunkw *w = ctx;
	int e;

	if ((e = line_head(w, c)) != 0)
		return e;
	line_tail(w, &w->line, (const char *)w->path.p, w->path.len, w->n,
	    w->text.p, w->text.len);
	w->n++;
	w->chunks++;
	return out_write(w->o, w->line.p, w->line.len);
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
	e = split_text(&w->sp, w->lang, w->u, w->un,
	    w->pipe != NULL ? queue_chunk : write_chunk, w);
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
	struct chunkw_pipe *P;
	int e;

	if ((P = calloc(1, sizeof *P)) == NULL)
		return ERR_NOMEM;
	P->w = w;
	pthread_mutex_init(&P->mu, NULL);
	pthread_cond_init(&P->cv, NULL);
	for (int i = 0; i < 2; i++)
		buf_init(&P->bt[i], 2 * LINE_MAX_BYTES + BATCH_BYTES);
	buf_init(&P->line, LINE_MAX_BYTES + 128);
	for (int i = 0; i < 2; i++)
		buf_init(&P->msg[i], (size_t)SPLIT_MAX_SIZE * 4 + PATH_MAX_BYTES +
		    4096);
	w->pipe = P;
	e = digest_each_text(d, &v);
	e = pipe_finish(P, e);
	w->pipe = NULL;
	for (int i = 0; i < 2; i++)
		buf_free(&P->bt[i]);
	buf_free(&P->line);
	for (int i = 0; i < 2; i++) {
		buf_free(&P->msg[i]);
		free(P->ix[i].off);
		free(P->ix[i].tok);
	}
	pthread_cond_destroy(&P->cv);
	pthread_mutex_destroy(&P->mu);
	free(P);
	return e;
}

/* see jsonl.h */
int
chunkw_render(struct out *o, const struct chunkw_meta *m, size_t size,
    size_t overlap, struct digest *d)
{
	/* the writer holds the split state and a line buffer: not for a stack */
	struct chunkw *w = malloc(sizeof *w);
	int e;

	if (w == NULL)
		return ERR_NOMEM;
	e = chunkw_init(w, o, m, size, overlap);
	if (e == 0)
		e = chunkw_digest(w, d);
	chunkw_free(w);
	free(w);
	return e ? e : o->err;
}

/* see jsonl.h */
void
chunkw_json_str(struct buf *b, const char *s, size_t n)
{
	json_bytes(b, s, n);
}
