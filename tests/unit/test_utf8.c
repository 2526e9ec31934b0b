/*
 * test_utf8.c - utf8_valid, the streaming validator's verdict and message, and
 * the str.lower() sort key.
 *
 * Every expected message and lower-cased key below was produced by CPython
 * 3.11.7 (Unicode 14.0.0) on this machine:
 *     python3 -c "b'\xe2\x82\x28'.decode('utf-8')"
 *     python3 -c "print('A\u03a3'.lower().encode())"
 * The validator is checked fed whole, byte by byte, and split at every offset
 * (two pieces), as every push parser is.
 */
#include <stdint.h>
#include <string.h>

#include "t.h"
#include "utf8.h"

struct vcase {
	const char *in;
	size_t n;
	const char *msg;        /* NULL: valid UTF-8; else CPython's str(exc) */
};

/* Expected messages came from CPython 3.11.7 (bytes.decode('utf-8')). */
static const struct vcase vcases[] = {
	{ "", 0, NULL },
	{ "abc", 3, NULL },
	{ "\x00", 1, NULL },
	{ "caf\xc3\xa9", 5, NULL },
	{ "\xe2\x82\xac", 3, NULL },
	{ "\xf0\x9f\x98\x80", 4, NULL },
	{ "\xf4\x8f\xbf\xbf", 4, NULL },
	{ "\xed\x9f\xbf", 3, NULL },
	{ "\xee\x80\x80", 3, NULL },
	{ "\xff", 1, "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte" },
	{ "a\xff", 2, "'utf-8' codec can't decode byte 0xff in position 1: invalid start byte" },
	{ "\x80", 1, "'utf-8' codec can't decode byte 0x80 in position 0: invalid start byte" },
	{ "\xbf", 1, "'utf-8' codec can't decode byte 0xbf in position 0: invalid start byte" },
	{ "\xc0\x80", 2, "'utf-8' codec can't decode byte 0xc0 in position 0: invalid start byte" },
	{ "\xc1\xbf", 2, "'utf-8' codec can't decode byte 0xc1 in position 0: invalid start byte" },
	{ "\xf5\x80\x80\x80", 4, "'utf-8' codec can't decode byte 0xf5 in position 0: invalid start byte" },
	{ "\xf8", 1, "'utf-8' codec can't decode byte 0xf8 in position 0: invalid start byte" },
	{ "\xfe", 1, "'utf-8' codec can't decode byte 0xfe in position 0: invalid start byte" },
	{ "\xe2\x82(", 3, "'utf-8' codec can't decode bytes in position 0-1: invalid continuation byte" },
	{ "\xe2(", 2, "'utf-8' codec can't decode byte 0xe2 in position 0: invalid continuation byte" },
	{ "\xf0\x9f\x98", 3, "'utf-8' codec can't decode bytes in position 0-2: unexpected end of data" },
	{ "\xf0\x9f", 2, "'utf-8' codec can't decode bytes in position 0-1: unexpected end of data" },
	{ "\xf0", 1, "'utf-8' codec can't decode byte 0xf0 in position 0: unexpected end of data" },
	{ "\xc3", 1, "'utf-8' codec can't decode byte 0xc3 in position 0: unexpected end of data" },
	{ "\xe2\x82", 2, "'utf-8' codec can't decode bytes in position 0-1: unexpected end of data" },
	{ "ab\xe2", 3, "'utf-8' codec can't decode byte 0xe2 in position 2: unexpected end of data" },
	{ "\xed\xa0\x80", 3, "'utf-8' codec can't decode byte 0xed in position 0: invalid continuation byte" },
	{ "\xed\xbf\xbf", 3, "'utf-8' codec can't decode byte 0xed in position 0: invalid continuation byte" },
	{ "\xed\xa0", 2, "'utf-8' codec can't decode byte 0xed in position 0: invalid continuation byte" },
	{ "\xe0\x80\x80", 3, "'utf-8' codec can't decode byte 0xe0 in position 0: invalid continuation byte" },
	{ "\xe0\x9f\xbf", 3, "'utf-8' codec can't decode byte 0xe0 in position 0: invalid continuation byte" },
	{ "\xe0\xa0", 2, "'utf-8' codec can't decode bytes in position 0-1: unexpected end of data" },
	{ "\xe0\x80", 2, "'utf-8' codec can't decode byte 0xe0 in position 0: invalid continuation byte" },
	{ "\xf0\x80\x80\x80", 4, "'utf-8' codec can't decode byte 0xf0 in position 0: invalid continuation byte" },
	{ "\xf0\x8f\xbf\xbf", 4, "'utf-8' codec can't decode byte 0xf0 in position 0: invalid continuation byte" },
	{ "\xf4\x90\x80\x80", 4, "'utf-8' codec can't decode byte 0xf4 in position 0: invalid continuation byte" },
	{ "\xf4\x90", 2, "'utf-8' codec can't decode byte 0xf4 in position 0: invalid continuation byte" },
	{ "\xf0\x9f\x98(", 4, "'utf-8' codec can't decode bytes in position 0-2: invalid continuation byte" },
	{ "\xf0\x9f(", 3, "'utf-8' codec can't decode bytes in position 0-1: invalid continuation byte" },
	{ "\xc3(", 2, "'utf-8' codec can't decode byte 0xc3 in position 0: invalid continuation byte" },
	{ "\xc3\xc3\xa9", 3, "'utf-8' codec can't decode byte 0xc3 in position 0: invalid continuation byte" },
	{ "ok\xc3\xa9\xe2\x82\xacx\xff", 9, "'utf-8' codec can't decode byte 0xff in position 8: invalid start byte" },
	{ "\xc2\x80", 2, NULL },
	{ "\xdf\xbf", 2, NULL },
	{ "\xe1\x80\xc0", 3, "'utf-8' codec can't decode bytes in position 0-1: invalid continuation byte" },
	{ "\xf1\x80\x80\x7f", 4, "'utf-8' codec can't decode bytes in position 0-2: invalid continuation byte" },
	{ "\xf3\xbf\xbf\xbf", 4, NULL },
	{ "\xc3\xa9\xed\xa0\x80", 5, "'utf-8' codec can't decode byte 0xed in position 2: invalid continuation byte" },
};

struct lcase {
	const char *in, *out;
};

/* Expected keys came from CPython 3.11.7: name.lower().encode('utf-8'). */
static const struct lcase lcases[] = {
	{ "README.md", "readme.md" },  /* 'README.md' */
	{ "Makefile", "makefile" },  /* 'Makefile' */
	{ "\xc3\x89""COLE.txt", "\xc3\xa9""cole.txt" },  /* '\xc9COLE.txt' */
	{ "\xc4\xb0stanbul", "i\xcc\x87stanbul" },  /* '\u0130stanbul' */
	{ "\xe2\x84\xaa.txt", "k.txt" },  /* '\u212a.txt' */
	{ "\xce\x9f\xce\x94\xce\x9f\xce\xa3", "\xce\xbf\xce\xb4\xce\xbf\xcf\x82" },  /* '\u039f\u0394\u039f\u03a3' */
	{ "\xce\xa3\xce\x91", "\xcf\x83\xce\xb1" },  /* '\u03a3\u0391' */
	{ "\xce\xa3", "\xcf\x83" },  /* '\u03a3' */
	{ "A\xce\xa3", "a\xcf\x82" },  /* 'A\u03a3' */
	{ "A\xce\xa3.txt", "a\xcf\x83.txt" },  /* 'A\u03a3.txt' */
	{ "A\xce\xa3.", "a\xcf\x82." },  /* 'A\u03a3.' */
	{ "A'\xce\xa3", "a'\xcf\x82" },  /* "A'\u03a3" */
	{ "\xce\xa3\xce\xa3", "\xcf\x83\xcf\x82" },  /* '\u03a3\u03a3' */
	{ "\xe1\xba\x9e", "\xc3\x9f" },  /* '\u1e9e' */
	{ "\xc8\xba", "\xe2\xb1\xa5" },  /* '\u023a' */
	{ "\xc7\x85", "\xc7\x86" },  /* '\u01c5' */
	{ "\xe2\x84\xa6", "\xcf\x89" },  /* '\u2126' */
	{ "\xe1\x8e\xa0", "\xea\xad\xb0" },  /* '\u13a0' */
	{ "\xf0\x90\x90\x80", "\xf0\x90\x90\xa8" },  /* '\U00010400' */
	{ "a\xcc\x81\xce\xa3", "a\xcc\x81\xcf\x82" },  /* 'a\u0301\u03a3' */
	{ "\xce\xa3\xcc\x81", "\xcf\x83\xcc\x81" },  /* '\u03a3\u0301' */
	{ "A\xce\xa3\xcc\x81""b", "a\xcf\x83\xcc\x81""b" },  /* 'A\u03a3\u0301b' */
	{ "\xc3\xa9""a.txt", "\xc3\xa9""a.txt" },  /* '\xe9a.txt' */
	{ "10.txt", "10.txt" },  /* '10.txt' */
	{ "_under.txt", "_under.txt" },  /* '_under.txt' */
	{ "\xc4\xb0\xc4\xb0", "i\xcc\x87i\xcc\x87" },  /* '\u0130\u0130' */
	{ "\xef\xbc\xa1", "\xef\xbd\x81" },  /* '\uff21' */
	{ "\xe2\x92\xb6", "\xe2\x93\x90" },  /* '\u24b6' */
	{ "\xe2\x85\xa0", "\xe2\x85\xb0" },  /* '\u2160' */
};

/* Run the validator over in[0..n) split into pieces at the offsets cut[]. */
static void
run_split(struct utf8v *v, const uint8_t *in, size_t n, const size_t *cut,
    size_t ncut)
{
	size_t at = 0;

	utf8v_init(v);
	for (size_t k = 0; k <= ncut; k++) {
		size_t end = k < ncut ? cut[k] : n;

		utf8v_feed(v, in + at, end - at);
		at = end;
	}
	utf8v_end(v);
}

static void
check_result(const struct utf8v *v, const struct vcase *c, const char *how)
{
	if (c->msg == NULL) {
		CHECK(!v->bad, "case %s (%s): unexpected error: %s",
		    c->in, how, v->msg);
	} else {
		CHECK(v->bad && strcmp(v->msg, c->msg) == 0,
		    "case (%s): got \"%s\", want \"%s\"", how,
		    v->bad ? v->msg : "(valid)", c->msg);
	}
}

static void
test_validator(void)
{
	struct utf8v v;

	for (size_t i = 0; i < sizeof vcases / sizeof vcases[0]; i++) {
		const struct vcase *c = &vcases[i];
		const uint8_t *in = (const uint8_t *)c->in;
		size_t cut[64];
		int whole_ok = utf8_valid(in, c->n);

		CHECK(whole_ok == (c->msg == NULL), "utf8_valid case %zu", i);

		run_split(&v, in, c->n, NULL, 0);
		check_result(&v, c, "whole");
		CHECK(v.pos == c->n, "pos %llu after case %zu",
		    (unsigned long long)v.pos, i);

		/* byte by byte */
		for (size_t k = 0; k + 1 < c->n && k < 64; k++)
			cut[k] = k + 1;
		if (c->n <= 64) {
			run_split(&v, in, c->n, cut, c->n ? c->n - 1 : 0);
			check_result(&v, c, "byte by byte");
		}

		/* two pieces, split at every offset (incl. empty pieces) */
		for (size_t s = 0; s <= c->n; s++) {
			cut[0] = s;
			run_split(&v, in, c->n, cut, 1);
			check_result(&v, c, "split");
		}
	}
}

/* The position is absolute across feeds, and only the first error counts. */
static void
test_positions(void)
{
	static uint8_t big[3000];
	struct utf8v v;

	memset(big, 'x', sizeof big);
	big[1500] = 0xFF;
	big[2000] = 0xC3;       /* a later, different error must not win */
	utf8v_init(&v);
	for (size_t i = 0; i < sizeof big; i += 100)
		utf8v_feed(&v, big + i, 100);
	utf8v_end(&v);
	CHECK(v.bad && strcmp(v.msg, "'utf-8' codec can't decode byte 0xff "
	    "in position 1500: invalid start byte") == 0, "got %s", v.msg);
	CHECK(v.pos == sizeof big, "pos");

	/* 'x' * 1500 + b'\xe2\x82' at the end, from CPython */
	big[1500] = 0xE2;
	big[1501] = 0x82;
	utf8v_init(&v);
	utf8v_feed(&v, big, 1000);
	utf8v_feed(&v, big + 1000, 502);
	utf8v_end(&v);
	CHECK(v.bad && strcmp(v.msg, "'utf-8' codec can't decode bytes in "
	    "position 1500-1501: unexpected end of data") == 0, "got %s",
	    v.msg);

	/* A character cut by the first 1024 bytes is invalid in that prefix. */
	memset(big, 'a', sizeof big);
	big[1023] = 0xC3;
	big[1024] = 0xA9;
	CHECK(!utf8_valid(big, 1024), "cut at 1024 must be invalid");
	CHECK(utf8_valid(big, 1025), "whole char valid");
}

static void
test_lower(void)
{
	uint8_t out[256];
	size_t n;

	for (size_t i = 0; i < sizeof lcases / sizeof lcases[0]; i++) {
		const struct lcase *c = &lcases[i];
		size_t inlen = strlen(c->in), want = strlen(c->out);

		n = utf8_lower_key((const uint8_t *)c->in, inlen, out,
		    sizeof out);
		CHECK(n == want && memcmp(out, c->out, want) == 0,
		    "lower case %zu (%s): got %zu bytes", i, c->in, n);
		/* exact capacity works, one byte less is refused */
		n = utf8_lower_key((const uint8_t *)c->in, inlen, out, want);
		CHECK(n == want, "exact cap case %zu", i);
		if (want > 0) {
			n = utf8_lower_key((const uint8_t *)c->in, inlen, out,
			    want - 1);
			CHECK(n == (size_t)-1, "short cap case %zu", i);
		}
		CHECK(want <= 3 * inlen, "3x bound case %zu", i);
	}

	/* Invalid UTF-8 is copied byte for byte, upper case kept. */
	n = utf8_lower_key((const uint8_t *)"AB\xff", 3, out, sizeof out);
	CHECK(n == 3 && memcmp(out, "AB\xff", 3) == 0, "invalid copied");
	n = utf8_lower_key((const uint8_t *)"\xed\xa0\x80", 3, out, 2);
	CHECK(n == (size_t)-1, "invalid, short cap");
	n = utf8_lower_key((const uint8_t *)"", 0, out, 0);
	CHECK(n == 0, "empty name");
}

int
main(void)
{
	test_validator();
	test_positions();
	test_lower();
	return T_DONE();
}
