/*
 * tar.c - push tar reader: 512-byte headers in, entry events out.
 *
 * Data flow: tar_push() copies header bytes into t->block until a whole
 * 512-byte block is there (the only copy of archive bytes, apart from pax and
 * GNU long-name records, which are buffered whole in t->pax_buf because their
 * keys can only be read once complete). Entry data is never copied: DATA
 * events point into the caller's slice. Each push returns at most one event, so
 * the caller handles it before the next one overwrites t->cur.
 *
 * Header handling (POSIX.1-2001 ustar/pax, GNU, v7): checksum (unsigned sum,
 * or signed as some old tars computed it), octal or GNU base-256 numbers,
 * prefix + name for ustar, pax 'x' records (path, linkpath, size), pax 'g'
 * records (comment = commit id), GNU 'L'/'K' long names. Paths are normalised
 * and checked before anything is reported: absolute names and ".." are refused
 * rather than sanitised, because a tarball that contains them is not a git
 * archive and anything we guessed would be wrong somewhere.
 *
 * Limits: meta records over TAR_PAX_MAX, paths over TAR_PATH_MAX, more than
 * max_entries headers or max_total archive bytes end the stream with an error,
 * so a hostile archive costs at most sizeof(struct tar) and linear time.
 * No allocation anywhere.
 */
#include <stddef.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "err.h"
#include "tar.h"

#define TAR_BLOCK               512
#define TAR_DEFAULT_ENTRIES     1000000u

/* Header field offsets and sizes (POSIX.1-2001 ustar, GNU tar manual) */
#define H_NAME          0
#define H_NAME_LEN      100
#define H_MODE          100
#define H_MODE_LEN      8
#define H_SIZE          124
#define H_SIZE_LEN      12
#define H_CHKSUM        148
#define H_CHKSUM_LEN    8
#define H_TYPE          156
#define H_LINK          157
#define H_LINK_LEN      100
#define H_MAGIC         257
#define H_VERSION       263
#define H_PREFIX        345
#define H_PREFIX_LEN    155

enum {
	ST_HEADER = 0,  /* filling t->block */
	ST_DATA,        /* reporting a file's data */
	ST_SKIP,        /* skipping data silently */
	ST_PAD,         /* skipping padding to the next block */
	ST_META,        /* buffering a pax or long-name record */
	ST_END          /* end marker seen: swallow the rest */
};

/* ------------------------------------------------------------ helpers */

static uint32_t
pad_of(uint64_t size)
{
	return (uint32_t)((TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK);
}

/* Length of a NUL-padded field: up to the first NUL or the whole field. */
static size_t
field_len(const uint8_t *f, size_t cap)
{
	size_t n = 0;

	while (n < cap && f[n] != 0)
		n++;
	return n;
}

/*
 * A numeric header field. Octal: optional leading spaces, digits, then only
 * NULs or spaces to the end of the field (an all-blank field is 0). GNU
 * base-256 (first byte 0x80 with the top bit set): big-endian binary in the
 * rest of the field, used by GNU tar and star for sizes of 8 GiB and more; a
 * negative value (0xff lead) or one over 64 bits is refused.
 */
static int
tar_number(const uint8_t *f, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	if (len > 0 && (f[0] & 0x80)) {
		if (f[0] & 0x40)
			return ERR_TAR_NUMBER;
		v = f[0] & 0x3f;
		for (i = 1; i < len; i++) {
			if (v > (UINT64_MAX >> 8))
				return ERR_TAR_NUMBER;
			v = v << 8 | f[i];
		}
		*out = v;
		return 0;
	}
	while (i < len && f[i] == ' ')
		i++;
	for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v > (UINT64_MAX >> 3))
			return ERR_TAR_NUMBER;
		v = v << 3 | (uint64_t)(f[i] - '0');
	}
	for (; i < len; i++)
		if (f[i] != 0 && f[i] != ' ')
			return ERR_TAR_NUMBER;
	*out = v;
	return 0;
}

/*
 * Normalise a raw path into dst (TAR_PATH_MAX + 1 bytes, NUL-terminated):
 * drop empty and "." components, refuse a leading '/', any ".." and any NUL
 * (a NUL can only come from a pax record and would cut the name short for
 * whoever uses it as a C string).
 */
static int
norm_path(const uint8_t *p, size_t n, char *dst, size_t *dlen)
{
	size_t i = 0, o = 0;

	if (n > 0 && p[0] == '/')
		return ERR_TAR_PATH;
	while (i < n) {
		size_t s = i, c;

		while (i < n && p[i] != '/') {
			if (p[i] == 0)
				return ERR_TAR_PATH;
			i++;
		}
		c = i - s;
		if (i < n)
			i++;
		if (c == 0 || (c == 1 && p[s] == '.'))
			continue;
		if (c == 2 && p[s] == '.' && p[s + 1] == '.')
			return ERR_TAR_PATH;
		if (o + (o > 0) + c > TAR_PATH_MAX)
			return ERR_TAR_PATH_LEN;
		if (o > 0)
			dst[o++] = '/';
		/* memmove: callers may normalise in place (o <= s) */
		memmove(dst + o, p + s, c);
		o += c;
	}
	dst[o] = 0;
	*dlen = o;
	return 0;
}

/* Copy a raw link target, refusing NULs and overlong ones. */
static int
copy_link(const uint8_t *p, size_t n, char *dst, size_t *dlen)
{
	if (n > TAR_PATH_MAX)
		return ERR_TAR_PATH_LEN;
	if (memchr(p, 0, n) != NULL)
		return ERR_TAR_PATH;
	memcpy(dst, p, n);
	dst[n] = 0;
	*dlen = n;
	return 0;
}

/*
 * Remove the first component of a normalised path. The first one seen
 * becomes the archive's top; any other top is refused, since a GitHub or
 * git-archive tarball has exactly one and a second could shadow it.
 */
static int
strip_top(struct tar *t, char *path, size_t *len)
{
	size_t c = 0;

	if (*len == 0)
		return 0;
	while (c < *len && path[c] != '/')
		c++;
	if (t->top_len == 0) {
		if (c >= sizeof t->top)
			return ERR_TAR_PATH_LEN;
		memcpy(t->top, path, c);
		t->top[c] = 0;
		t->top_len = c;
	} else if (c != t->top_len || memcmp(path, t->top, c) != 0) {
		return ERR_TAR_PATH;
	}
	if (c < *len)
		c++;
	memmove(path, path + c, *len - c);
	*len -= c;
	path[*len] = 0;
	return 0;
}

static int
is_hex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		    (c >= 'A' && c <= 'F')))
			return 0;
	}
	return 1;
}

static int
key_is(const uint8_t *k, size_t kn, const char *lit)
{
	size_t n = strlen(lit);         /* our literal, not input */

	return kn == n && memcmp(k, lit, n) == 0;
}

/* ------------------------------------------------------------ pax records */

/* Apply one pax keyword (POSIX.1-2001 "pax Extended Header"). */
static int
pax_apply(struct tar *t, const uint8_t *k, size_t kn, const uint8_t *v,
    size_t vn)
{
	int r;

	if (t->pax_kind == 'g') {
		/* git archive: "comment=<commit id>"; other globals (even
		 * path) are ignored: they would rename every later entry. */
		if (key_is(k, kn, "comment") && (vn == 40 || vn == 64) &&
		    is_hex(v, vn)) {
			memcpy(t->commit, v, vn);
			t->commit[vn] = 0;
			t->commit_len = vn;
		}
		return 0;
	}
	/* An empty value deletes the keyword: fall back to the header. */
	if (key_is(k, kn, "path")) {
		t->has_next_path = 0;
		if (vn == 0)
			return 0;
		if ((r = norm_path(v, vn, t->next_path, &t->next_path_len)))
			return r;
		t->has_next_path = 1;
	} else if (key_is(k, kn, "linkpath")) {
		t->has_next_link = 0;
		if (vn == 0)
			return 0;
		if ((r = copy_link(v, vn, t->next_link, &t->next_link_len)))
			return r;
		t->has_next_link = 1;
	} else if (key_is(k, kn, "size")) {
		uint64_t s = 0;

		t->has_next_size = 0;
		if (vn == 0)
			return 0;
		for (size_t i = 0; i < vn; i++) {
			if (v[i] < '0' || v[i] > '9' ||
			    s > (UINT64_MAX - 9) / 10)
				return ERR_TAR_PAX;
			s = s * 10 + (uint64_t)(v[i] - '0');
		}
		t->next_size = s;
		t->has_next_size = 1;
	}
	return 0;
}

/*
 * Parse the buffered records, each "LEN key=value\n" where LEN (decimal, no
 * leading zero) counts the whole record. Every byte must belong to a record
 * whose LEN matches exactly: a record that lies about its length is how one
 * crafts a second, hidden keyword.
 */
static int
pax_parse(struct tar *t)
{
	const uint8_t *b = t->pax_buf;
	size_t n = t->pax_len, i = 0;
	int r;

	while (i < n) {
		size_t len = 0, j = i, end, eq;

		if (b[i] == '0')
			return ERR_TAR_PAX;
		while (j < n && b[j] >= '0' && b[j] <= '9') {
			len = len * 10 + (size_t)(b[j] - '0');
			if (len > n - i)
				return ERR_TAR_PAX;
			j++;
		}
		/* digits, ' ', a key of at least one byte, '=', '\n' */
		if (j == i || j >= n || b[j] != ' ' || len < (j - i) + 4)
			return ERR_TAR_PAX;
		end = i + len;
		if (b[end - 1] != '\n')
			return ERR_TAR_PAX;
		for (eq = j + 1; eq < end - 1 && b[eq] != '='; eq++)
			;
		if (eq == j + 1 || eq >= end - 1)
			return ERR_TAR_PAX;
		r = pax_apply(t, b + j + 1, eq - (j + 1), b + eq + 1,
		    end - 1 - (eq + 1));
		if (r != 0)
			return r;
		i = end;
	}
	return 0;
}

/* A buffered meta record is complete: turn it into overrides. */
static int
meta_done(struct tar *t)
{
	size_t n;
	int r;

	switch (t->pax_kind) {
	case 'x':
	case 'g':
		return pax_parse(t);
	case 'L':
		/* GNU long name: a C string, NUL included in the size. */
		n = field_len(t->pax_buf, t->pax_len);
		t->has_next_path = 0;
		if (n == 0)
			return 0;
		if ((r = norm_path(t->pax_buf, n, t->next_path,
		    &t->next_path_len)))
			return r;
		t->has_next_path = 1;
		return 0;
	case 'K':
		n = field_len(t->pax_buf, t->pax_len);
		t->has_next_link = 0;
		if (n == 0)
			return 0;
		if ((r = copy_link(t->pax_buf, n, t->next_link,
		    &t->next_link_len)))
			return r;
		t->has_next_link = 1;
		return 0;
	default:
		return ERR_TAR_HEADER;
	}
}

/* ------------------------------------------------------------ headers */

/* The sums of a header's bytes, unsigned and as signed chars: 16 bytes at a
 * time with SSE2 (a small repository is mostly headers: per byte, this was
 * a few percent of a fleet run). */
static void
header_sums(const uint8_t *h, uint32_t *usum, int32_t *ssum)
{
	size_t i = 0;
	uint32_t u = 0, x = 0;

#ifdef __SSE2__
	const __m128i z = _mm_setzero_si128(), hi = _mm_set1_epi8((char)0x80);
	__m128i au = z, ax = z;

	for (; i < TAR_BLOCK; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(h + i));
		au = _mm_add_epi64(au, _mm_sad_epu8(v, z));
		ax = _mm_add_epi64(ax, _mm_sad_epu8(_mm_xor_si128(v, hi), z));
	}
	u = (uint32_t)_mm_cvtsi128_si32(au) +
	    (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(au, 8));
	x = (uint32_t)_mm_cvtsi128_si32(ax) +
	    (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(ax, 8));
#endif
	for (; i < TAR_BLOCK; i++) {
		u += h[i];
		x += h[i] ^ 0x80u;
	}
	*usum = u;
	/* (c ^ 0x80) - 128 is c as a signed char */
	*ssum = (int32_t)x - 128 * TAR_BLOCK;
}

static int
checksum_ok(const uint8_t *h)
{
	uint64_t stored;
	uint32_t usum;
	int32_t ssum;

	if (tar_number(h + H_CHKSUM, H_CHKSUM_LEN, &stored) != 0)
		return 0;
	/* The checksum field counts as eight spaces (POSIX); some old tars
	 * summed signed chars, so either sum is accepted. */
	header_sums(h, &usum, &ssum);
	for (size_t i = H_CHKSUM; i < H_CHKSUM + H_CHKSUM_LEN; i++) {
		usum += (uint32_t)' ' - h[i];
		ssum += ' ' - (int8_t)h[i];
	}
	return stored == usum || (ssum >= 0 && stored == (uint64_t)ssum);
}

static int
all_zero(const uint8_t *h)
{
	for (size_t i = 0; i < TAR_BLOCK; i++)
		if (h[i] != 0)
			return 0;
	return 1;
}

static enum tar_type
type_of(uint8_t flag)
{
	switch (flag) {
	case '0':
	case '\0':
	case '7':
		return TAR_FILE;
	case '1':
		return TAR_HARDLINK;
	case '2':
		return TAR_SYMLINK;
	case '5':
		return TAR_DIR;
	default:
		return TAR_OTHER;
	}
}

/* Effective path of a real header into t->cur (normalised, not stripped). */
static int
entry_path(struct tar *t, const uint8_t *h)
{
	uint8_t raw[H_PREFIX_LEN + 1 + H_NAME_LEN];
	size_t nn = field_len(h + H_NAME, H_NAME_LEN), pn = 0, rn = 0;

	if (t->has_next_path) {
		memcpy(t->cur.path, t->next_path, t->next_path_len + 1);
		t->cur.path_len = t->next_path_len;
		return 0;
	}
	/* The prefix field exists only in POSIX ustar ("ustar\0" "00"); in
	 * old GNU headers ("ustar  \0") the same bytes hold atime/ctime. */
	if (memcmp(h + H_MAGIC, "ustar\0", 6) == 0)
		pn = field_len(h + H_PREFIX, H_PREFIX_LEN);
	if (pn > 0) {
		memcpy(raw, h + H_PREFIX, pn);
		raw[pn] = '/';
		rn = pn + 1;
	}
	memcpy(raw + rn, h + H_NAME, nn);
	rn += nn;
	if (rn == 0)
		return ERR_TAR_HEADER;
	return norm_path(raw, rn, t->cur.path, &t->cur.path_len);
}

/* Link target of a real header into t->cur. */
static int
entry_link(struct tar *t, const uint8_t *h)
{
	int r;

	t->cur.link[0] = 0;
	t->cur.link_len = 0;
	if (t->cur.type != TAR_SYMLINK && t->cur.type != TAR_HARDLINK)
		return 0;
	if (t->has_next_link) {
		memcpy(t->cur.link, t->next_link, t->next_link_len + 1);
		t->cur.link_len = t->next_link_len;
	} else {
		size_t n = field_len(h + H_LINK, H_LINK_LEN);
		memcpy(t->cur.link, h + H_LINK, n);
		t->cur.link[n] = 0;
		t->cur.link_len = n;
	}
	if (t->cur.link_len == 0)
		return ERR_TAR_HEADER;
	if (t->cur.type == TAR_SYMLINK)
		return 0;
	/* A hardlink names another member: hold it to the same rules. */
	r = norm_path((const uint8_t *)t->cur.link, t->cur.link_len,
	    t->cur.link, &t->cur.link_len);
	if (r == 0 && t->lim.strip_top)
		r = strip_top(t, t->cur.link, &t->cur.link_len);
	if (r == 0 && t->cur.link_len == 0)
		r = ERR_TAR_PATH;
	return r;
}

/*
 * A whole header block is in t->block. Returns 0 (continue; *ev may have
 * been set to ENTRY or END) or an error code.
 */
static int
header(struct tar *t, struct tar_ev *ev)
{
	const uint8_t *h = t->block;
	uint64_t size = 0, mode = 0;
	uint8_t flag;
	int r, meta;

	t->hdr_offset = t->offset - TAR_BLOCK;
	if (all_zero(h)) {
		/* Two zero blocks end the archive. A pax header that
		 * describes no entry means the archive was cut. */
		if (t->pending)
			return ERR_TAR_HEADER;
		if (++t->zero_blocks == 2) {
			t->state = ST_END;
			ev->type = TAR_EV_END;
		}
		return 0;
	}
	/* A lone zero block inside the archive: GNU tar stops there with a
	 * warning; data after it is not something we can trust. */
	if (t->zero_blocks != 0)
		return ERR_TAR_HEADER;
	if (!checksum_ok(h))
		return ERR_TAR_CHECKSUM;

	flag = h[H_TYPE];
	meta = flag == 'x' || flag == 'g' || flag == 'L' || flag == 'K';
	if (!meta && t->has_next_size) {
		size = t->next_size;
	} else if ((r = tar_number(h + H_SIZE, H_SIZE_LEN, &size))) {
		return r;
	}

	if (meta) {
		/* Refuse before buffering: a 10 GB "pax header" costs
		 * one block of input, not 10 GB of memory. */
		if (size > TAR_PAX_MAX)
			return ERR_TAR_PAX_SIZE;
		t->pax_kind = flag;
		t->pax_need = size;
		t->pax_len = 0;
		t->pad = pad_of(size);
		/* 'g' applies to the archive, not to a next entry: an
		 * empty git archive is a global header and the end marker. */
		if (flag != 'g')
			t->pending = 1;
		t->state = ST_META;
		return 0;
	}

	/* A real entry (reported or not) counts against max_entries. */
	if (++t->entries > t->lim.max_entries)
		return ERR_TAR_ENTRIES;
	if ((r = tar_number(h + H_MODE, H_MODE_LEN, &mode)))
		return r;

	t->cur.size = 0;
	t->cur.type = type_of(flag);
	t->cur.mode = (uint32_t)(mode & 07777);
	t->reported = 1;
	if (flag == 'V') {
		/* GNU volume label: a name, not a path. */
		t->reported = 0;
		t->cur.path[0] = 0;
		t->cur.path_len = 0;
	} else {
		size_t nn = field_len(h + H_NAME, H_NAME_LEN);

		/* v7 and old GNU: a regular file whose name ends in '/'
		 * is a directory. */
		if (flag == '\0' && nn > 0 && h[H_NAME + nn - 1] == '/')
			t->cur.type = TAR_DIR;
		if ((r = entry_path(t, h)))
			return r;
		if (t->lim.strip_top &&
		    (r = strip_top(t, t->cur.path, &t->cur.path_len)))
			return r;
		if (t->cur.path_len == 0)
			t->reported = 0;
		if ((r = entry_link(t, h)))
			return r;
	}
	t->has_next_path = t->has_next_link = t->has_next_size = 0;
	t->pending = 0;

	t->pad = pad_of(size);
	t->remaining = size;
	if (t->reported && t->cur.type == TAR_FILE) {
		t->cur.size = size;
		t->state = ST_DATA;
	} else {
		t->state = ST_SKIP;
	}
	if (t->reported) {
		ev->type = TAR_EV_ENTRY;
		ev->entry = &t->cur;
	}
	return 0;
}

/* ------------------------------------------------------------ push */

/* see tar.h */
void
tar_init(struct tar *t, const struct tar_limits *lim)
{
	/* all but the pax buffer (64 KiB, read only up to pax_len): a fleet
	 * run starts one of these per repository */
	memset(t, 0, offsetof(struct tar, pax_buf));
	memset(&t->pax_len, 0, sizeof *t - offsetof(struct tar, pax_len));
	if (lim != NULL)
		t->lim = *lim;
	if (t->lim.max_entries == 0)
		t->lim.max_entries = TAR_DEFAULT_ENTRIES;
	t->state = ST_HEADER;
}

static size_t
fail(struct tar *t, struct tar_ev *ev, int code, uint64_t at, size_t used)
{
	t->err = code;
	t->err_offset = at;
	ev->type = TAR_EV_ERROR;
	ev->err = code;
	ev->entry = NULL;
	return used;
}

static size_t
min_sz(uint64_t a, size_t b)
{
	return a < b ? (size_t)a : b;
}

/* see tar.h */
size_t
tar_push(struct tar *t, const uint8_t *p, size_t n, struct tar_ev *ev)
{
	size_t used = 0, lim_n = n, k;
	int over = 0, r;

	memset(ev, 0, sizeof *ev);
	if (t->err != 0) {
		ev->type = TAR_EV_ERROR;
		ev->err = t->err;
		return 0;
	}
	if (t->state == ST_END) {
		t->offset += n;
		return n;
	}
	/* max_total: work on at most the bytes still allowed, and fail only
	 * when more than that is actually needed. */
	if (t->lim.max_total != 0) {
		uint64_t room = t->offset < t->lim.max_total ?
		    t->lim.max_total - t->offset : 0;
		if ((uint64_t)n > room) {
			lim_n = (size_t)room;
			over = 1;
		}
	}

	for (;;) {
		size_t avail = lim_n - used;

		switch (t->state) {
		case ST_HEADER:
			if (avail == 0)
				goto need;
			k = min_sz(TAR_BLOCK - t->blen, avail);
			memcpy(t->block + t->blen, p + used, k);
			t->blen += k;
			used += k;
			t->offset += k;
			if (t->blen < TAR_BLOCK)
				goto need;
			t->blen = 0;
			if ((r = header(t, ev)) != 0)
				return fail(t, ev, r, t->hdr_offset, used);
			if (ev->type != TAR_EV_NONE)
				return used;
			break;
		case ST_DATA:
			if (t->remaining == 0) {
				ev->type = TAR_EV_ENTRY_END;
				ev->entry = &t->cur;
				t->state = ST_PAD;
				return used;
			}
			if (avail == 0)
				goto need;
			k = min_sz(t->remaining, avail);
			ev->type = TAR_EV_DATA;
			ev->entry = &t->cur;
			ev->data = p + used;
			ev->len = k;
			used += k;
			t->offset += k;
			t->remaining -= k;
			return used;
		case ST_SKIP:
			if (t->remaining == 0) {
				t->state = ST_PAD;
				if (t->reported) {
					ev->type = TAR_EV_ENTRY_END;
					ev->entry = &t->cur;
					return used;
				}
				break;
			}
			if (avail == 0)
				goto need;
			k = min_sz(t->remaining, avail);
			used += k;
			t->offset += k;
			t->remaining -= k;
			break;
		case ST_PAD:
			if (t->pad == 0) {
				t->state = ST_HEADER;
				break;
			}
			if (avail == 0)
				goto need;
			k = min_sz(t->pad, avail);
			used += k;
			t->offset += k;
			t->pad -= (uint32_t)k;
			break;
		case ST_META:
			if (t->pax_len == t->pax_need) {
				if ((r = meta_done(t)) != 0)
					return fail(t, ev, r, t->hdr_offset,
					    used);
				t->state = ST_PAD;
				break;
			}
			if (avail == 0)
				goto need;
			k = min_sz(t->pax_need - t->pax_len, avail);
			memcpy(t->pax_buf + t->pax_len, p + used, k);
			t->pax_len += k;
			used += k;
			t->offset += k;
			break;
		default:
			return fail(t, ev, ERR_TAR_HEADER, t->offset, used);
		}
	}
need:
	if (over)
		return fail(t, ev, ERR_TAR_SIZE, t->offset, used);
	return used;
}

/* see tar.h */
int
tar_finish(struct tar *t)
{
	if (t->err != 0)
		return t->err;
	if (t->state == ST_END)
		return 0;
	/*
	 * An archive ends with two zero blocks (POSIX). Without them, EOF at
	 * an entry boundary looks exactly like a download whose connection
	 * closed early (no Content-Length, Connection: close) or a file cut
	 * at a 512-byte multiple: the entries so far are whole, the rest is
	 * gone. So it is an error, although GNU tar and Python's tarfile
	 * list such an archive without one. EOF after the first zero block
	 * is accepted, as they do (GNU tar warns "A lone zero block"): no
	 * entry may follow that block (header() refuses one), so nothing can
	 * be missing; what arrived of the second block must be zeros.
	 */
	if (t->zero_blocks == 1 && t->state == ST_HEADER && !t->pending) {
		size_t i = 0;

		while (i < t->blen && t->block[i] == 0)
			i++;
		if (i == t->blen)
			return 0;
	}
	if ((t->state == ST_HEADER || (t->state == ST_PAD && t->pad == 0)) &&
	    t->blen == 0 && !t->pending && t->offset > 0)
		t->err = ERR_TAR_NO_END;
	else
		t->err = ERR_TAR_TRUNCATED;
	t->err_offset = t->offset;
	return t->err;
}

/* see tar.h */
const char *
tar_commit(const struct tar *t)
{
	return t->commit_len > 0 ? t->commit : NULL;
}

/* see tar.h */
uint64_t
tar_error_offset(const struct tar *t)
{
	return t->err_offset;
}

/* see tar.h */
int
tar_is_tar(const uint8_t *p, size_t n)
{
	if (n < TAR_BLOCK)
		return 0;
	if (memcmp(p + H_MAGIC, "ustar", 5) == 0)
		return 1;
	return !all_zero(p) && checksum_ok(p);
}
