/*
 * test_tar.c - tar push reader: archives built here block by block (headers
 * with computed checksums), fed whole, byte by byte and split at every offset;
 * every event is written to a transcript that must be the same for every
 * split and match the expected text. One crafted archive per error path with
 * the exact expected code.
 *
 * Transcript: per entry "<t> <path>[ -> <link>] <size>:" then the data bytes,
 * then "|\n" at ENTRY_END (t is f d l h o), "END\n" at TAR_EV_END.
 *
 * Optional: with TAR_FIXTURE_DIR set, every *.tar.gz in it goes through
 * gz -> tar (strip_top) and must parse without error.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "gz.h"
#include "tar.h"
#include "t.h"

/* ------------------------------------------------------------ builder */

static uint8_t A[1 << 17];      /* the archive under construction */
static size_t An;

static void
a_reset(void)
{
	memset(A, 0, sizeof A);
	An = 0;
}

static uint8_t *
a_block(void)
{
	uint8_t *b = A + An;

	if (An + 512 > sizeof A)
		abort();
	memset(b, 0, 512);
	An += 512;
	return b;
}

/* Copy s into a field; no NUL if it fills the field (as tar does). */
static void
h_str(uint8_t *h, size_t off, size_t len, const char *s)
{
	size_t n = strlen(s);

	memcpy(h + off, s, n < len ? n : len);
}

static void
h_oct(uint8_t *h, size_t off, size_t len, unsigned long long v)
{
	char tmp[32];

	snprintf(tmp, sizeof tmp, "%0*llo", (int)(len - 1), v);
	memcpy(h + off, tmp, len - 1);
	h[off + len - 1] = 0;
}

/* POSIX checksum ("%06o\0 "), or the signed-char sum old tars wrote. */
static void
h_sum(uint8_t *h, int as_signed)
{
	long sum = 0;
	char tmp[16];

	memset(h + 148, ' ', 8);
	for (size_t i = 0; i < 512; i++)
		sum += as_signed ? (long)(signed char)h[i] : (long)h[i];
	snprintf(tmp, sizeof tmp, "%06lo", sum);
	memcpy(h + 148, tmp, 6);
	h[154] = 0;
	h[155] = ' ';
}

enum { USTAR, GNU, V7 };

struct hopt {
	const char *prefix;
	const char *link;
	int format;
};

static uint8_t *
hdr(const char *name, char type, unsigned long long size,
    const struct hopt *o)
{
	uint8_t *h = a_block();
	int fmt = o ? o->format : USTAR;

	h_str(h, 0, 100, name);
	h_oct(h, 100, 8, type == '5' ? 0755 : 0644);
	h_oct(h, 108, 8, 1000);
	h_oct(h, 116, 8, 1000);
	h_oct(h, 124, 12, size);
	h_oct(h, 136, 12, 1700000000);
	h[156] = (uint8_t)type;
	if (o && o->link)
		h_str(h, 157, 100, o->link);
	if (fmt == USTAR) {
		memcpy(h + 257, "ustar\0" "00", 8);
		if (o && o->prefix)
			h_str(h, 345, 155, o->prefix);
	} else if (fmt == GNU) {
		memcpy(h + 257, "ustar  \0", 8);
	}
	h_sum(h, 0);
	return h;
}

static void
body(const void *p, size_t n)
{
	if (An + n + 512 > sizeof A)
		abort();
	memcpy(A + An, p, n);
	An += n;
	while (An % 512)
		A[An++] = 0;
}

static void
end(void)
{
	a_block();
	a_block();
}

/* One pax record "LEN key=value\n" appended to dst; returns its length. */
static size_t
rec(char *dst, const char *key, const char *val, size_t vn)
{
	size_t kn = strlen(key), len = kn + vn + 3, d;

	/* LEN counts its own digits: find d with digits(len + d) == d */
	for (d = 1; ; d++) {
		char tmp[24];
		if ((size_t)snprintf(tmp, sizeof tmp, "%zu", len + d) == d)
			break;
	}
	len += d;
	d = (size_t)sprintf(dst, "%zu %s=", len, key);
	memcpy(dst + d, val, vn);
	dst[d + vn] = '\n';
	return len;
}

static void
pax(char kind, const char *recs, size_t n)
{
	hdr(kind == 'g' ? "pax_global_header" : "PaxHeaders/x", kind, n, NULL);
	body(recs, n);
}

/* ------------------------------------------------------------ driver */

static char T[1 << 17];         /* transcript */
static size_t Tn;
static int stuck;

static void
tput(const void *p, size_t n)
{
	if (Tn + n < sizeof T) {
		memcpy(T + Tn, p, n);
		Tn += n;
		T[Tn] = 0;
	}
}

static int
drive(struct tar *t, const uint8_t *p, size_t n)
{
	static const char tc[] = "fdlho";
	struct tar_ev ev;

	for (;;) {
		size_t c = tar_push(t, p, n, &ev);
		char line[TAR_PATH_MAX * 2 + 64];
		int k;

		if (c > n) {
			stuck++;
			return -1;
		}
		if (ev.type == TAR_EV_DATA && (ev.data < p || ev.len > c ||
		    ev.data + ev.len > p + c || ev.len == 0))
			stuck++;        /* DATA must be inside what was used */
		p += c;
		n -= c;
		switch (ev.type) {
		case TAR_EV_NONE:
			if (n == 0)
				return 0;
			if (c == 0) {
				stuck++;
				return -1;
			}
			break;
		case TAR_EV_ENTRY:
			if (ev.entry->link_len > 0)
				k = snprintf(line, sizeof line,
				    "%c %s -> %s %llu:",
				    tc[ev.entry->type], ev.entry->path,
				    ev.entry->link,
				    (unsigned long long)ev.entry->size);
			else
				k = snprintf(line, sizeof line, "%c %s %llu:",
				    tc[ev.entry->type], ev.entry->path,
				    (unsigned long long)ev.entry->size);
			tput(line, (size_t)k);
			if (strlen(ev.entry->path) != ev.entry->path_len)
				stuck++;
			break;
		case TAR_EV_DATA:
			tput(ev.data, ev.len);
			break;
		case TAR_EV_ENTRY_END:
			tput("|\n", 2);
			break;
		case TAR_EV_END:
			tput("END\n", 4);
			break;
		case TAR_EV_ERROR:
			return ev.err;
		}
	}
}

enum { WHOLE, BYTES, SPLIT };

static struct tar Tr;

static int
parse(const uint8_t *p, size_t n, int mode, size_t at,
    const struct tar_limits *lim)
{
	int r = 0;

	Tn = 0;
	T[0] = 0;
	tar_init(&Tr, lim);
	if (mode == WHOLE) {
		r = drive(&Tr, p, n);
	} else if (mode == BYTES) {
		for (size_t i = 0; i < n && r == 0; i++)
			r = drive(&Tr, p + i, 1);
	} else {
		r = drive(&Tr, p, at);
		if (r == 0)
			r = drive(&Tr, p + at, n - at);
	}
	if (r == 0)
		r = tar_finish(&Tr);
	return r;
}

/* Parse A every way; each must give code want and transcript exp. */
static void
all_ways(const char *what, int strip, int want, const char *exp)
{
	struct tar_limits lim = { 0, 0, strip };
	int r, bad = 0;

	stuck = 0;
	r = parse(A, An, WHOLE, 0, &lim);
	CHECK(r == want, "%s: whole: got %d (%s), want %d (%s)", what, r,
	    err_str(r), want, err_str(want));
	if (exp != NULL)
		CHECK(strcmp(T, exp) == 0,
		    "%s: whole: transcript\n%s\nwant\n%s", what, T, exp);
	r = parse(A, An, BYTES, 0, &lim);
	CHECK(r == want, "%s: bytes: got %d, want %d", what, r, want);
	if (exp != NULL)
		CHECK(strcmp(T, exp) == 0, "%s: bytes: transcript\n%s", what,
		    T);
	for (size_t at = 0; at <= An; at++) {
		r = parse(A, An, SPLIT, at, &lim);
		if (r != want || (exp != NULL && strcmp(T, exp) != 0)) {
			if (bad++ == 0)
				fprintf(stderr, "%s: split at %zu: %d\n%s\n",
				    what, at, r, T);
		}
	}
	CHECK(bad == 0, "%s: %d of %zu splits wrong", what, bad, An + 1);
	CHECK(stuck == 0, "%s: %d protocol violations", what, stuck);
}

/* ------------------------------------------------------------ tests */

static char big[600];

static void
basic_archive(void)
{
	struct hopt sl = { NULL, "a.txt", USTAR };
	struct hopt hl = { NULL, "top/a.txt", USTAR };

	a_reset();
	hdr("top/", '5', 0, NULL);
	hdr("top/a.txt", '0', 5, NULL);
	body("hello", 5);
	hdr("top/sub/b", '0', sizeof big, NULL);
	body(big, sizeof big);
	hdr("top/l", '2', 0, &sl);
	hdr("top/h", '1', 0, &hl);
	hdr("top/empty", '0', 0, NULL);
	hdr("top/fifo", '6', 0, NULL);
	end();
}

static void
test_basic(void)
{
	char exp[2048];
	int n;

	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (char)('a' + i % 26);

	basic_archive();
	n = snprintf(exp, sizeof exp,
	    "d top 0:|\n"
	    "f top/a.txt 5:hello|\n"
	    "f top/sub/b 600:%.*s|\n"
	    "l top/l -> a.txt 0:|\n"
	    "h top/h -> top/a.txt 0:|\n"
	    "f top/empty 0:|\n"
	    "o top/fifo 0:|\n"
	    "END\n", (int)sizeof big, big);
	CHECK(n > 0 && (size_t)n < sizeof exp, "expected fits");
	all_ways("basic", 0, 0, exp);

	snprintf(exp, sizeof exp,
	    "f a.txt 5:hello|\n"
	    "f sub/b 600:%.*s|\n"
	    "l l -> a.txt 0:|\n"
	    "h h -> a.txt 0:|\n"
	    "f empty 0:|\n"
	    "o fifo 0:|\n"
	    "END\n", (int)sizeof big, big);
	all_ways("basic strip_top", 1, 0, exp);
	CHECK(tar_commit(&Tr) == NULL, "no commit without a global header");

	/* trailing bytes after the end marker are swallowed */
	memset(A + An, 0, 9000);
	memcpy(A + An + 100, "junk", 4);
	An += 9000;
	all_ways("after end", 1, 0, exp);

	/* EOF at an entry boundary without the end marker is a cut
	 * archive (a download whose connection closed early ends so), even
	 * though every entry so far is whole; the first zero block and then
	 * EOF is complete (nothing may follow it), and so is part of the
	 * second block, as long as it is zeros */
	basic_archive();
	An -= 1024;
	all_ways("no end marker", 1, ERR_TAR_NO_END, NULL);
	An += 512;
	all_ways("one zero block", 1, 0, NULL);
	An += 100;
	all_ways("one zero block and part of the second", 1, 0, NULL);
	A[An - 1] = 1;
	all_ways("one zero block, then not zeros", 1, ERR_TAR_TRUNCATED, NULL);

	/* an empty input is not an archive */
	a_reset();
	all_ways("empty", 0, ERR_TAR_TRUNCATED, "");
}

static void
test_names(void)
{
	static char recs[8192], name[200], longname[400];
	struct hopt pre = { "top/dir1/dir2", NULL, USTAR };
	struct hopt gnu = { NULL, NULL, GNU };
	struct hopt v7 = { NULL, NULL, V7 };
	struct hopt lk = { NULL, "short", GNU };
	char exp[2048];
	size_t n;

	/* pax path over 100 bytes; pax linkpath; pax size over the header */
	memset(name, 'n', 150);
	name[150] = 0;
	a_reset();
	hdr("top/", '5', 0, NULL);
	n = rec(recs, "path", "top/d/", 6);
	n += rec(recs + n, "path", "top/d/", 6);  /* later wins: same */
	memcpy(longname, "top/d/", 6);
	memcpy(longname + 6, name, 151);
	n = rec(recs, "path", longname, strlen(longname));
	n += rec(recs + n, "mtime", "1700000000.5", 12);
	n += rec(recs + n, "size", "3", 1);
	pax('x', recs, n);
	hdr("top/d/nnnnnnnnnnnnn", '0', 0, NULL);       /* size from pax */
	body("xyz", 3);
	n = rec(recs, "linkpath", longname + 4, strlen(longname) - 4);
	pax('x', recs, n);
	hdr("top/link", '2', 0, &lk);
	hdr("x", '0', 4, &pre);         /* ustar prefix */
	body("pref", 4);
	end();
	snprintf(exp, sizeof exp,
	    "f d/%s 3:xyz|\n"
	    "l link -> d/%s 0:|\n"
	    "f dir1/dir2/x 4:pref|\n"
	    "END\n", name, name);
	all_ways("pax path, linkpath, size, prefix", 1, 0, exp);

	/* GNU long name and long link ('L', 'K'), NUL included in size */
	a_reset();
	hdr("././@LongLink", 'L', strlen(longname) + 1, &gnu);
	body(longname, strlen(longname) + 1);
	hdr("top/d/nnnn", '0', 2, &gnu);
	body("ab", 2);
	hdr("././@LongLink", 'K', strlen(longname) + 1, &gnu);
	body(longname, strlen(longname) + 1);
	hdr("././@LongLink", 'L', 9, &gnu);
	body("top/hard", 9);
	hdr("top/xx", '1', 0, &lk);
	end();
	snprintf(exp, sizeof exp,
	    "f d/%s 2:ab|\n"
	    "h hard -> d/%s 0:|\n"
	    "END\n", name, name);
	all_ways("GNU long name and link", 1, 0, exp);

	/* GNU magic: bytes at the ustar prefix offset are not a prefix */
	a_reset();
	{
		uint8_t *h = hdr("top/g", '0', 0, &gnu);
		memcpy(h + 345, "\x01\x02", 2);
		h_sum(h, 0);
	}
	end();
	all_ways("GNU no prefix", 1, 0, "f g 0:|\nEND\n");

	/* "./" names (tar -C dir .), v7 header, trailing-slash dir, empty
	 * and "." components */
	a_reset();
	hdr("./", '5', 0, NULL);
	hdr("./a//b/./c", '0', 1, &v7);
	body("c", 1);
	hdr("./v7dir/", '\0', 0, &v7);
	hdr("x/", '7', 2, NULL);
	body("77", 2);
	end();
	all_ways("dot names, v7", 0, 0,
	    "f a/b/c 1:c|\nd v7dir 0:|\nf x 2:77|\nEND\n");

	/* signed checksum (old tars) with a high byte in the name */
	a_reset();
	{
		uint8_t *h = hdr("caf\xc3\xa9", '0', 0, NULL);
		h_sum(h, 1);
	}
	end();
	all_ways("signed checksum", 0, 0, "f caf\xc3\xa9 0:|\nEND\n");

	/* base-256 size (GNU, first byte 0x80) and an all-blank size */
	a_reset();
	{
		uint8_t *h = hdr("big", '0', 0, NULL);
		memset(h + 124, 0, 12);
		h[124] = 0x80;
		h[135] = 5;
		h_sum(h, 0);
		body("12345", 5);
		h = hdr("blank", '0', 0, NULL);
		memset(h + 124, ' ', 12);
		h_sum(h, 0);
	}
	end();
	all_ways("base-256 size", 0, 0, "f big 5:12345|\nf blank 0:|\nEND\n");

	/* other types: data skipped silently, entry still reported */
	a_reset();
	hdr("top/dev", '3', 0, NULL);
	hdr("top/sparse", 'S', 700, NULL);
	body(recs, 700);
	hdr("top/dirdata", '5', 10, NULL);
	body("0123456789", 10);
	hdr("label", 'V', 0, &gnu);
	hdr("top/f", '0', 1, NULL);
	body("!", 1);
	end();
	all_ways("other types", 1, 0,
	    "o dev 0:|\no sparse 0:|\nd dirdata 0:|\nf f 1:!|\nEND\n");
}

static void
test_global(void)
{
	static char recs[512];
	const char *sha = "0123456789abcdef0123456789abcdef01234567";
	size_t n;

	/* GitHub/git-archive layout: global header first, then top dir */
	a_reset();
	n = rec(recs, "comment", sha, 40);
	pax('g', recs, n);
	hdr("Owner-Repo-0123456/", '5', 0, NULL);
	hdr("Owner-Repo-0123456/README", '0', 2, NULL);
	body("hi", 2);
	end();
	all_ways("global comment", 1, 0, "f README 2:hi|\nEND\n");
	CHECK(tar_commit(&Tr) != NULL && strcmp(tar_commit(&Tr), sha) == 0,
	    "commit %s", tar_commit(&Tr) ? tar_commit(&Tr) : "(null)");
	all_ways("global comment, no strip", 0, 0,
	    "d Owner-Repo-0123456 0:|\nf Owner-Repo-0123456/README 2:hi|\n"
	    "END\n");

	/* git archive of an empty tree: global header, then the end */
	a_reset();
	n = rec(recs, "comment", sha, 40);
	pax('g', recs, n);
	end();
	all_ways("global only", 1, 0, "END\n");
	CHECK(tar_commit(&Tr) != NULL, "commit from a global-only archive");
	An -= 1024;
	all_ways("global only, no end marker", 1, ERR_TAR_NO_END, "");

	/* not a commit id: ignored; global path: ignored */
	a_reset();
	n = rec(recs, "comment", "hello", 5);
	n += rec(recs + n, "path", "evil/../../x", 12);
	pax('g', recs, n);
	hdr("t/a", '0', 0, NULL);
	end();
	all_ways("global non-commit", 1, 0, "f a 0:|\nEND\n");
	CHECK(tar_commit(&Tr) == NULL, "no commit from a plain comment");
}

/* Each case: build, then the exact code. */
static void
test_errors(void)
{
	static char recs[70000];
	char pth[5000];
	struct hopt lk = { NULL, "../x", USTAR };
	struct hopt abs = { "/abs", NULL, USTAR };
	struct tar_limits lim;
	size_t n;
	int r;

	/* unsafe paths */
	a_reset();
	hdr("../evil", '0', 0, NULL);
	end();
	all_ways("dotdot", 0, ERR_TAR_PATH, "");
	CHECK(tar_error_offset(&Tr) == 0, "offset %llu",
	    (unsigned long long)tar_error_offset(&Tr));

	a_reset();
	hdr("top/", '5', 0, NULL);
	hdr("top/a/../../b", '0', 0, NULL);
	end();
	all_ways("inner dotdot", 1, ERR_TAR_PATH, "");
	CHECK(tar_error_offset(&Tr) == 512, "offset %llu",
	    (unsigned long long)tar_error_offset(&Tr));

	a_reset();
	hdr("/etc/passwd", '0', 0, NULL);
	end();
	all_ways("absolute", 0, ERR_TAR_PATH, "");

	a_reset();
	hdr("x", '0', 0, &abs);
	end();
	all_ways("absolute prefix", 0, ERR_TAR_PATH, "");

	a_reset();
	n = rec(recs, "path", "ok\0/x", 5);
	pax('x', recs, n);
	hdr("ok", '0', 0, NULL);
	end();
	all_ways("NUL in pax path", 0, ERR_TAR_PATH, "");

	a_reset();
	n = rec(recs, "path", "/root/x", 7);
	pax('x', recs, n);
	hdr("ok", '0', 0, NULL);
	end();
	all_ways("absolute pax path", 0, ERR_TAR_PATH, "");

	a_reset();
	hdr("././@LongLink", 'L', 8, NULL);
	body("a/../..", 8);
	hdr("ok", '0', 0, NULL);
	end();
	all_ways("dotdot long name", 0, ERR_TAR_PATH, "");

	a_reset();
	hdr("top/h", '1', 0, &lk);
	end();
	all_ways("dotdot hardlink target", 1, ERR_TAR_PATH, "");

	a_reset();
	hdr("", '0', 0, NULL);
	end();
	all_ways("empty name", 0, ERR_TAR_HEADER, "");

	/* strip_top: a second top-level name */
	a_reset();
	hdr("top/", '5', 0, NULL);
	hdr("top/a", '0', 0, NULL);
	hdr("other/b", '0', 0, NULL);
	end();
	all_ways("second top", 1, ERR_TAR_PATH, "f a 0:|\n");

	/* path too long after pax */
	memset(pth, 'p', sizeof pth);
	a_reset();
	n = rec(recs, "path", pth, sizeof pth);
	pax('x', recs, n);
	hdr("ok", '0', 0, NULL);
	end();
	all_ways("path too long", 0, ERR_TAR_PATH_LEN, "");

	/* checksum mismatch in the second header, reported at its offset */
	a_reset();
	hdr("a", '0', 0, NULL);
	hdr("b", '0', 0, NULL);
	A[An - 512 + 10] ^= 1;
	end();
	all_ways("checksum", 0, ERR_TAR_CHECKSUM, "f a 0:|\n");
	CHECK(tar_error_offset(&Tr) == 512, "checksum offset %llu",
	    (unsigned long long)tar_error_offset(&Tr));

	/* numbers */
	a_reset();
	{
		uint8_t *h = hdr("a", '0', 0, NULL);
		memcpy(h + 124, "0000000001x", 11);
		h_sum(h, 0);
	}
	end();
	all_ways("bad octal size", 0, ERR_TAR_NUMBER, "");
	a_reset();
	{
		uint8_t *h = hdr("a", '0', 0, NULL);
		memset(h + 124, 0xff, 12);
		h_sum(h, 0);
	}
	end();
	all_ways("negative base-256", 0, ERR_TAR_NUMBER, "");
	a_reset();
	{
		uint8_t *h = hdr("a", '0', 0, NULL);
		memset(h + 124, 0, 12);
		h[124] = 0x80;
		h[126] = 1;     /* 2^72 */
		h_sum(h, 0);
	}
	end();
	all_ways("base-256 over 64 bits", 0, ERR_TAR_NUMBER, "");
	a_reset();
	{
		uint8_t *h = hdr("a", '0', 0, NULL);
		memcpy(h + 100, "0644x", 5);
		h_sum(h, 0);
	}
	end();
	all_ways("bad mode", 0, ERR_TAR_NUMBER, "");

	/* hostile pax: 10 GB claimed, refused at the header */
	a_reset();
	hdr("PaxHeaders/x", 'x', 10000000000ull, NULL);
	end();
	all_ways("10 GB pax header", 0, ERR_TAR_PAX_SIZE, "");
	CHECK(Tr.offset <= 2048, "refused after %llu bytes",
	    (unsigned long long)Tr.offset);
	a_reset();
	{
		static char v[TAR_PAX_MAX];
		memset(v, 'v', sizeof v);
		n = rec(recs, "comment", v, sizeof v);
	}
	pax('x', recs, n);
	end();
	all_ways("pax over TAR_PAX_MAX", 0, ERR_TAR_PAX_SIZE, "");
	/* a pax size of 10 GB for a file: just a truncated archive */
	a_reset();
	n = rec(recs, "size", "10000000000", 11);
	pax('x', recs, n);
	hdr("huge", '0', 0, NULL);
	body("abc", 3);
	all_ways("10 GB pax size", 0, ERR_TAR_TRUNCATED, NULL);

	/* malformed pax records */
	{
		static const struct {
			const char *what, *recs;
		} bad[] = {
			{ "LEN too small", "10 path=abc\n" },
			{ "LEN too big", "13 path=abc\n" },
			{ "LEN past end", "99 path=abc\n" },
			{ "leading zero", "012 path=abc\n" },
			{ "no newline", "12 path=abcX" },
			{ "no equals", "12 pathxabc\n" },
			{ "empty key", "8 =abcd\n" },
			{ "no space", "12path=abcd\n" },
			{ "no digits", " path=abc\n" },
			{ "junk after", "12 path=abc\nxx" },
			{ "bad size", "12 size=12a\n" },
			{ "huge size", "31 size=99999999999999999999\n" },
		};
		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			a_reset();
			pax('x', bad[i].recs, strlen(bad[i].recs));
			hdr("ok", '0', 0, NULL);
			end();
			all_ways(bad[i].what, 0, ERR_TAR_PAX, "");
		}
	}

	/* a pax header followed by the end marker */
	a_reset();
	n = rec(recs, "path", "abc", 3);
	pax('x', recs, n);
	end();
	all_ways("pax then end", 0, ERR_TAR_HEADER, "");

	/* a lone zero block inside the archive */
	a_reset();
	hdr("a", '0', 0, NULL);
	a_block();
	hdr("b", '0', 0, NULL);
	end();
	all_ways("lone zero block", 0, ERR_TAR_HEADER, "f a 0:|\n");

	/* too many entries */
	a_reset();
	for (int i = 0; i < 5; i++)
		hdr("f", '0', 0, NULL);
	end();
	memset(&lim, 0, sizeof lim);
	lim.max_entries = 3;
	r = parse(A, An, WHOLE, 0, &lim);
	CHECK(r == ERR_TAR_ENTRIES, "max_entries: %d", r);
	CHECK(strcmp(T, "f f 0:|\nf f 0:|\nf f 0:|\n") == 0, "3 entries: %s",
	    T);
	lim.max_entries = 5;
	r = parse(A, An, BYTES, 0, &lim);
	CHECK(r == 0, "max_entries exact: %d", r);

	/* max_total */
	lim.max_entries = 0;
	lim.max_total = 512 * 4;
	r = parse(A, An, WHOLE, 0, &lim);
	CHECK(r == ERR_TAR_SIZE, "max_total: %d", r);
	r = parse(A, An, BYTES, 0, &lim);
	CHECK(r == ERR_TAR_SIZE, "max_total bytes: %d", r);
	lim.max_total = An;
	r = parse(A, An, WHOLE, 0, &lim);
	CHECK(r == 0, "max_total exact: %d", r);

	/* truncation: every prefix of a real archive that stops before its
	 * first zero block is ERR_TAR_NO_END at an entry boundary and
	 * ERR_TAR_TRUNCATED elsewhere, never accepted, never anything else;
	 * from the first zero block on, every prefix is complete */
	basic_archive();
	{
		int bad = 0, ok = 0, at_entry = 0;
		size_t first_zero = An - 1024;
		struct tar_limits sl = { 0, 0, 1 };
		for (size_t k = 0; k < An; k++) {
			r = parse(A, k, k % 3 ? WHOLE : BYTES, 0, &sl);
			if (r == 0)
				ok++;
			if (r == ERR_TAR_NO_END)
				at_entry++;
			if (k >= first_zero + 512 ? r != 0 :
			    (r != ERR_TAR_TRUNCATED && r != ERR_TAR_NO_END) ||
			    (r == ERR_TAR_NO_END && k % 512 != 0))
				bad++;
		}
		CHECK(bad == 0, "truncated prefixes: %d wrong", bad);
		CHECK(ok == 512, "prefixes accepted: %d", ok);
		CHECK(at_entry > 3 && at_entry < 12,
		    "prefixes cut at an entry boundary: %d", at_entry);
		r = parse(A, 300, WHOLE, 0, &sl);
		CHECK(r == ERR_TAR_TRUNCATED, "cut in header: %d", r);
		r = parse(A, 1024 + 3, WHOLE, 0, &sl);
		CHECK(r == ERR_TAR_TRUNCATED, "cut in data: %d", r);
		r = parse(A, 1024 + 100, WHOLE, 0, &sl);
		CHECK(r == ERR_TAR_TRUNCATED, "cut in padding: %d", r);
	}

	/* sticky: after an error nothing more is consumed */
	a_reset();
	hdr("/x", '0', 0, NULL);
	end();
	{
		struct tar_ev ev;
		size_t c;
		tar_init(&Tr, NULL);
		c = tar_push(&Tr, A, An, &ev);
		CHECK(ev.type == TAR_EV_ERROR && ev.err == ERR_TAR_PATH,
		    "first error %d", ev.err);
		c = tar_push(&Tr, A + c, An - c, &ev);
		CHECK(c == 0 && ev.type == TAR_EV_ERROR &&
		    ev.err == ERR_TAR_PATH, "sticky");
		CHECK(tar_finish(&Tr) == ERR_TAR_PATH, "finish sticky");
	}
}

static void
test_is_tar(void)
{
	uint8_t z[512];

	basic_archive();
	CHECK(tar_is_tar(A, An), "ustar header");
	CHECK(!tar_is_tar(A, 511), "short");
	memset(z, 0, sizeof z);
	CHECK(!tar_is_tar(z, sizeof z), "zero block");
	a_reset();
	hdr("v7", '0', 0, &(struct hopt){ NULL, NULL, V7 });
	CHECK(tar_is_tar(A, 512), "v7 header by checksum");
	A[0] ^= 1;
	CHECK(!tar_is_tar(A, 512), "bad checksum, no magic");
}

/* ------------------------------------------------------------ fixtures */

static int
fixture(const char *path)
{
	static uint8_t in[1 << 16], out[1 << 16];
	struct tar_limits lim = { 0, 0, 1 };
	struct gz g;
	FILE *f = fopen(path, "rb");
	size_t n;
	int r = 0;

	if (f == NULL)
		return ERR_IO;
	tar_init(&Tr, &lim);
	if (gz_init(&g, NULL) != 0) {
		fclose(f);
		return ERR_NOMEM;
	}
	while (r == 0 && (n = fread(in, 1, sizeof in, f)) > 0) {
		const uint8_t *p = in;
		while (r == 0) {
			size_t c, pr;
			r = gz_push(&g, p, n, &c, out, sizeof out, &pr);
			if (r == 0)
				r = drive(&Tr, out, pr);
			p += c;
			n -= c;
			if (n == 0 && pr < sizeof out)
				break;
		}
	}
	if (r == 0)
		r = gz_finish(&g);
	if (r == 0)
		r = tar_finish(&Tr);
	gz_free(&g);
	fclose(f);
	return r;
}

static void
test_fixtures(void)
{
	const char *dir = getenv("TAR_FIXTURE_DIR");
	struct dirent *d;
	DIR *dp;

	if (dir == NULL || (dp = opendir(dir)) == NULL)
		return;
	while ((d = readdir(dp)) != NULL) {
		size_t l = strlen(d->d_name);
		char path[4096];
		int r;

		if (l < 7 || strcmp(d->d_name + l - 7, ".tar.gz") != 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, d->d_name);
		Tn = 0;
		r = fixture(path);
		CHECK(r == 0, "%s: %s", path, err_str(r));
		printf("fixture %s: %llu entries, commit %s\n", d->d_name,
		    (unsigned long long)Tr.entries,
		    tar_commit(&Tr) ? tar_commit(&Tr) : "-");
	}
	closedir(dp);
}

int
main(void)
{
	test_basic();
	test_names();
	test_global();
	test_errors();
	test_is_tar();
	test_fixtures();
	return T_DONE();
}
