/*
 * tokens.c - estimate of tiktoken o200k_base's token count, without its vocabulary.
 *
 * Method. o200k_base first splits text with a regular expression into pieces, then
 * runs BPE inside each piece; no token crosses a piece boundary. We reproduce the
 * split exactly for ASCII and closely for the rest of Unicode, as a streaming state
 * machine over code points (one character of lookahead, plus the "last blank of a
 * blank run joins the next word" rule), and charge each piece the mean number of
 * tokens the real encoder gives pieces of its kind and length. The regex, in order
 * of preference at each position:
 *
 *   word   [^\r\n\pL\pN]? [Lu Lo M]* [Ll Lo M]+ | same with the cases swapped
 *          (one leading blank or punctuation character, then letters; a new word
 *          starts where an upper-case letter follows a non-upper one)
 *   number \pN{1,3}
 *   punct  " "? [^\s\pL\pN]+ [\r\n/]*
 *   eol    \s*[\r\n]+        (blanks and newlines, up to the last newline)
 *   blank  \s+(?!\S) | \s+   (a blank run gives its last character to what follows)
 *
 * The English-style contractions ('s, 't, 'll...) that the real regex glues to a
 * word are not glued here: "don't" becomes "don" + "'t" instead of "don't", which
 * costs the same two tokens almost always.
 *
 * A piece's kind (the table row) is: for words, the leading character (none, space,
 * other blank, punctuation), the case shape (lower, Capitalised, UPPER) and the
 * script (ASCII, Latin/Greek/Cyrillic, CJK, other); for punctuation, a leading space,
 * trailing newlines, and whether it is one repeated ASCII character ("====="), mixed
 * ASCII, box drawing (the digest tree) or other non-ASCII; blank runs; newline runs
 * (plain, with CR, with blanks); numbers. The length is in characters; pieces of 32
 * characters or more are charged per character. Costs are thousandths of a token.
 *
 * Calibration. scripts/calibrate-tokens splits a corpus with this very code (it
 * compiles tokens.c with TOKENS_TRACE defined to dump each piece), encodes every piece
 * with the real encoder (npm tiktoken 1.0.22, the version that made the goldens) and
 * prints the mean per (kind, length) as the tok_cost table below; it then reports the
 * error of the estimate against whole-file counts. Training set: every other file of
 * a sample of the bench corpus (curl, git, nginx, python3.11, redis sources) plus the
 * gitingest goldens; the errors below are on the other half. Re-run with
 *     scripts/calibrate-tokens [corpus-dir]
 * and paste the printed table over tok_cost if the errors drift.
 *
 * Measured accuracy (estimate / real - 1, summed over files):
 *     MEASURED_ACCURACY
 *
 * Speed: one table lookup per ASCII byte and a few branches; a piece costs one
 * table lookup. No allocation; the whole state is the caller's struct tokens.
 */
#include <stdio.h>

#include "tokens.h"

/* ------------------------------------------------------------------ classes */

/*
 * Character classes. K_MARK (combining marks, variation selectors) is a letter
 * everywhere except inside a punctuation run, which it extends: the regex's
 * [^\s\pL\pN] includes \pM.
 */
enum {
	K_LU,           /* upper-case letter */
	K_LL,           /* lower-case letter */
	K_LO,           /* letter without case (CJK, Arabic...) or modifier */
	K_MARK,         /* combining mark */
	K_DIG,          /* \pN */
	K_SP,           /* U+0020 */
	K_WS,           /* other \s except CR and LF (tab, NBSP, ideographic space) */
	K_NL,           /* CR, LF */
	K_PUN           /* everything else: punctuation, symbols, controls, emoji */
};

/* Sub-kinds: script of a letter, kind of a punctuation character. */
enum { S_ASCII, S_LATIN, S_CJK, S_OTHER };
enum { P_SAME, P_MIXED, P_BOX, P_OTHER };

#define CL(k, s) ((uint8_t)((k) | (s) << 4))
#define CL_K(c) ((c) & 15)
#define CL_S(c) ((c) >> 4)

/* The ASCII classes, indexed by byte. Of the controls, only \t \v \f and the
 * separators 1c..1f are \s (CR and LF are newlines); the rest are punctuation. */
#define LU CL(K_LU, S_ASCII)
#define LL CL(K_LL, S_ASCII)
#define DG CL(K_DIG, 0)
#define SP CL(K_SP, 0)
#define WS CL(K_WS, 0)
#define NL CL(K_NL, 0)
#define PU CL(K_PUN, P_MIXED)
static const uint8_t ascii_cls[128] = {
	PU, PU, PU, PU, PU, PU, PU, PU,	/* 00 */
	PU, WS, NL, WS, WS, NL, PU, PU,	/* 08 */
	PU, PU, PU, PU, PU, PU, PU, PU,	/* 10 */
	PU, PU, PU, PU, WS, WS, WS, WS,	/* 18 */
	SP, PU, PU, PU, PU, PU, PU, PU,	/* 20 */
	PU, PU, PU, PU, PU, PU, PU, PU,	/* 28 */
	DG, DG, DG, DG, DG, DG, DG, DG,	/* 30 */
	DG, DG, PU, PU, PU, PU, PU, PU,	/* 38 */
	PU, LU, LU, LU, LU, LU, LU, LU,	/* 40 */
	LU, LU, LU, LU, LU, LU, LU, LU,	/* 48 */
	LU, LU, LU, LU, LU, LU, LU, LU,	/* 50 */
	LU, LU, LU, PU, PU, PU, PU, PU,	/* 58 */
	PU, LL, LL, LL, LL, LL, LL, LL,	/* 60 */
	LL, LL, LL, LL, LL, LL, LL, LL,	/* 68 */
	LL, LL, LL, LL, LL, LL, LL, LL,	/* 70 */
	LL, LL, LL, PU, PU, PU, PU, PU,	/* 78 */
};
#undef LU
#undef LL
#undef DG
#undef SP
#undef WS
#undef NL
#undef PU

/*
 * Class of a non-ASCII code point: a coarse map of the Unicode general categories
 * that the regex distinguishes (\pL with its cases, \pM, \pN, \s). Blocks are taken
 * whole where they are nearly uniform; errors here move a character between pieces,
 * which changes the estimate by a fraction of a token.
 */
static uint8_t
uni_cls(uint32_t c)
{
	if (c < 0x100) {
		if (c == 0x85 || c == 0xa0)
			return CL(K_WS, 0);
		if (c == 0xaa || c == 0xb5 || c == 0xba)
			return CL(K_LO, S_LATIN);
		if (c == 0xb2 || c == 0xb3 || c == 0xb9 || (c >= 0xbc && c <= 0xbe))
			return CL(K_DIG, 0);
		if (c < 0xc0 || c == 0xd7 || c == 0xf7)
			return CL(K_PUN, P_OTHER);
		return c < 0xdf ? CL(K_LU, S_LATIN) : CL(K_LL, S_LATIN);
	}
	if (c < 0x530) {
		/* Latin Extended-A and Cyrillic alternate upper/lower (roughly);
		 * Greek and Cyrillic have their capitals first */
		if (c < 0x180 || (c >= 0x460 && c < 0x530))
			return c & 1 ? CL(K_LL, S_LATIN) : CL(K_LU, S_LATIN);
		if (c >= 0x300 && c < 0x370)
			return CL(K_MARK, S_LATIN);
		if ((c >= 0x391 && c <= 0x3a9) || (c >= 0x400 && c < 0x430))
			return CL(K_LU, S_LATIN);
		if ((c >= 0x3ac && c <= 0x3ce) || (c >= 0x430 && c < 0x460))
			return CL(K_LL, S_LATIN);
		return CL(K_LO, S_LATIN);
	}
	if (c < 0x2000) {
		if ((c >= 0x660 && c <= 0x669) || (c >= 0x6f0 && c <= 0x6f9) ||
		    (c >= 0x966 && c <= 0x96f))
			return CL(K_DIG, 0);
		if (c == 0x1680)
			return CL(K_WS, 0);
		if ((c >= 0x1ab0 && c < 0x1b00) || (c >= 0x1dc0 && c < 0x1e00))
			return CL(K_MARK, S_LATIN);
		if (c >= 0x1e00)
			return CL(K_LO, S_LATIN);
		return CL(K_LO, S_OTHER);
	}
	if (c < 0x2e80) {
		if (c <= 0x200a || c == 0x2028 || c == 0x2029 || c == 0x202f ||
		    c == 0x205f)
			return CL(K_WS, 0);
		if (c < 0x2070)
			return CL(K_PUN, P_OTHER);
		if (c < 0x208a || (c >= 0x2150 && c < 0x2190) ||
		    (c >= 0x2460 && c < 0x249c))
			return CL(K_DIG, 0);
		if (c >= 0x20d0 && c < 0x2100)
			return CL(K_MARK, S_LATIN);
		if (c >= 0x2500 && c < 0x2580)
			return CL(K_PUN, P_BOX);
		if (c >= 0x2c00 && c < 0x2e00)
			return CL(K_LO, S_OTHER);
		return CL(K_PUN, P_OTHER);
	}
	if (c < 0xa000) {
		if (c == 0x3000)
			return CL(K_WS, 0);
		if (c < 0x3005 || (c >= 0x3008 && c < 0x3021) ||
		    (c >= 0x3030 && c < 0x3040) || c == 0x30fb ||
		    (c >= 0x3200 && c < 0x3400))
			return CL(K_PUN, P_OTHER);
		if (c >= 0x3021 && c < 0x302a)
			return CL(K_DIG, 0);
		return CL(K_LO, S_CJK);
	}
	if (c < 0x10000) {
		if (c >= 0xac00 && c < 0xd7b0)
			return CL(K_LO, S_CJK);
		if ((c >= 0xe000 && c < 0xf900) || c == 0xfeff ||
		    (c >= 0xfe10 && c < 0xfe20) || (c >= 0xfe30 && c < 0xfe70) ||
		    (c >= 0xff01 && c < 0xff10) || (c >= 0xff1a && c < 0xff21) ||
		    (c >= 0xff3b && c < 0xff41) || (c >= 0xff5b && c < 0xff66) ||
		    c >= 0xffe0)
			return CL(K_PUN, P_OTHER);
		if ((c >= 0xfe00 && c < 0xfe10) || (c >= 0xfe20 && c < 0xfe30))
			return CL(K_MARK, S_OTHER);
		if (c >= 0xff10 && c < 0xff1a)
			return CL(K_DIG, 0);
		if (c >= 0xff21 && c < 0xff3b)
			return CL(K_LU, S_CJK);
		if (c >= 0xff41 && c < 0xff5b)
			return CL(K_LL, S_CJK);
		if ((c >= 0xf900 && c < 0xfb00) || c >= 0xff66)
			return CL(K_LO, S_CJK);
		return CL(K_LO, S_OTHER);
	}
	if (c >= 0x1f000 && c < 0x1fc00)
		return CL(K_PUN, P_OTHER);      /* emoji and pictographs */
	if (c >= 0xe0100 && c < 0xe01f0)
		return CL(K_MARK, S_OTHER);
	if (c >= 0xe0000 && c < 0xe0080)
		return CL(K_PUN, P_OTHER);      /* tag characters (flags) */
	if (c >= 0x20000 && c < 0x40000)
		return CL(K_LO, S_CJK);
	return CL(K_LO, S_OTHER);
}

/* ------------------------------------------------------------------ cost table */

/*
 * Table rows (kinds). Words: (lead * 3 + shape) * 4 + script. Punctuation:
 * V_PUNCT + (space * 2 + tail) * 4 + kind. Then blank runs (spaces only, other),
 * newline runs (+1 with CR, +2 with blanks), numbers.
 */
enum { L_NONE, L_SPACE, L_BLANK, L_PUNCT };      /* word lead character */
enum { SH_LOWER, SH_CAP, SH_UPPER };
#define V_PUNCT 48
#define V_BLANK 64
#define V_EOL   66
#define V_NUM   70
#define TOK_NVAR 71
#define TOK_NLEN 32     /* lengths 1..31 exact; the last column is per character */

/* Mean tokens per piece in thousandths, from scripts/calibrate-tokens. */
static const uint16_t tok_cost[TOK_NVAR][TOK_NLEN] = {
/* BEGIN TABLE */
	/* lower ascii */
	{1000, 1001, 1083, 1056, 1239, 1306, 1395, 1576,
	 1696, 1925, 1827, 2207, 2425, 2563, 2503, 3149,
	 3541, 3300, 3662, 4677, 4030, 5584, 5917, 5969,
	 6312, 2921, 6637, 7324, 7067, 7698, 7923, 401},
	/* lower latin */
	{1000, 1222, 1844, 1803, 2578, 2907, 3196, 3119,
	 3740, 4097, 3719, 3998, 4000, 4537, 4514, 4637,
	 5886, 6193, 6537, 6881, 7225, 7569, 7913, 8257,
	 8602, 8946, 9290, 9634, 9978, 10322, 10666, 251},
	/* lower cjk */
	{1682, 1836, 2721, 2871, 3722, 4436, 5146, 5839,
	 6302, 7114, 7932, 7962, 8886, 9099, 10516, 11123,
	 12647, 13148, 13111, 14747, 15555, 16275, 17086, 18070,
	 18524, 19475, 20224, 20973, 21666, 22471, 23220, 800},
	/* lower other */
	{2365, 4603, 6904, 9205, 11507, 13808, 16110, 18411,
	 20712, 22433, 25315, 27616, 29918, 32219, 34521, 36822,
	 39123, 41425, 43726, 46027, 48329, 50630, 52932, 55233,
	 57534, 59836, 62137, 64438, 65535, 65535, 65535, 2301},
	/* Cap ascii */
	{1000, 1022, 1059, 1048, 1085, 1079, 1180, 1362,
	 1551, 1576, 1740, 2457, 1921, 1787, 2362, 3701,
	 3033, 3726, 3819, 4534, 3861, 5700, 5863, 6218,
	 6477, 6736, 6995, 7407, 7513, 7772, 8031, 390},
	/* Cap latin */
	{1000, 1510, 1791, 2018, 2085, 2516, 2934, 3072,
	 3469, 3678, 4114, 4195, 4451, 4870, 4840, 4578,
	 6325, 6452, 7069, 7394, 7690, 8185, 8557, 8929,
	 9301, 9673, 10045, 10417, 10789, 11161, 11533, 251},
	/* Cap cjk */
	{1647, 2328, 3300, 3589, 3932, 4697, 5406, 5838,
	 6434, 7082, 7938, 7974, 8927, 9395, 10410, 11984,
	 12733, 13482, 14231, 14980, 15729, 16478, 17227, 17976,
	 18726, 19475, 20224, 20973, 21722, 22471, 23220, 759},
	/* Cap other */
	{2301, 4603, 6904, 9205, 11507, 13808, 16110, 18411,
	 20712, 23014, 25315, 27616, 29918, 32219, 34521, 36822,
	 39123, 41425, 43726, 46027, 48329, 50630, 52932, 55233,
	 57534, 59836, 62137, 64438, 65535, 65535, 65535, 2301},
	/* UPPER ascii */
	{1011, 1007, 1275, 1400, 1751, 2017, 2101, 2628,
	 2892, 3195, 2834, 3761, 3800, 4326, 3488, 4814,
	 3888, 4263, 4471, 4521, 4659, 5786, 6102, 5955,
	 6601, 3030, 7101, 7364, 7703, 7890, 8153, 531},
	/* UPPER latin */
	{1089, 1178, 1374, 1725, 2050, 2385, 2777, 2877,
	 2864, 3332, 3646, 3931, 3914, 4645, 4630, 4563,
	 6071, 6429, 6786, 7143, 7500, 7857, 8214, 8571,
	 8929, 9286, 9643, 10000, 10357, 10714, 11072, 251},
	/* UPPER cjk */
	{1647, 2328, 3300, 3589, 3932, 4697, 5406, 5838,
	 6434, 7082, 7938, 7974, 8927, 9395, 10410, 11984,
	 12733, 13482, 14231, 14980, 15729, 16478, 17227, 17976,
	 18726, 19475, 20224, 20973, 21722, 22471, 23220, 759},
	/* UPPER other */
	{2301, 4603, 6904, 9205, 11507, 13808, 16110, 18411,
	 20712, 23014, 25315, 27616, 29918, 32219, 34521, 36822,
	 39123, 41425, 43726, 46027, 48329, 50630, 52932, 55233,
	 57534, 59836, 62137, 64438, 65535, 65535, 65535, 2301},
	/* sp lower ascii */
	{1000, 1000, 1024, 1029, 1037, 1057, 1098, 1118,
	 1164, 1191, 1265, 1448, 1365, 1604, 1739, 2679,
	 2897, 3086, 3640, 4267, 4032, 5584, 5878, 6134,
	 6384, 3169, 6901, 7156, 7412, 7637, 7923, 279},
	/* sp lower latin */
	{1004, 1024, 1096, 1267, 1569, 1699, 2186, 2181,
	 2397, 2722, 3275, 3670, 3622, 4217, 4393, 4582,
	 5569, 6087, 6537, 6821, 7225, 7569, 7913, 8257,
	 8602, 8946, 9290, 9634, 9978, 10322, 10666, 251},
	/* sp lower cjk */
	{1468, 2884, 3771, 4384, 3924, 4922, 5683, 5717,
	 6459, 6899, 7881, 7848, 8595, 9497, 10231, 11585,
	 12429, 13296, 13000, 14980, 15590, 16216, 17318, 17976,
	 18726, 19475, 19931, 20973, 21722, 22471, 23220, 759},
	/* sp lower other */
	{2301, 4885, 7186, 9550, 11652, 13427, 16110, 18411,
	 20205, 23014, 25595, 27616, 29918, 32219, 34521, 36822,
	 39123, 41425, 43726, 46027, 48329, 50630, 52932, 55233,
	 57534, 59836, 62137, 64438, 65535, 65535, 65535, 2301},
	/* sp Cap ascii */
	{1000, 1003, 1013, 1028, 1112, 1121, 1202, 1365,
	 1454, 1671, 1745, 1613, 1562, 1664, 1564, 3667,
	 3125, 3718, 3760, 4392, 3748, 5700, 6053, 6218,
	 6477, 6736, 6995, 7254, 7513, 7772, 8031, 390},
	/* sp Cap latin */
	{1116, 1264, 1593, 2063, 2026, 2907, 3357, 3470,
	 3659, 3451, 4215, 4211, 4143, 4944, 4817, 4313,
	 6325, 6577, 7069, 7441, 7813, 8185, 8557, 8929,
	 9301, 9673, 10045, 10417, 10789, 11161, 11533, 251},
	/* sp Cap cjk */
	{1647, 2328, 3300, 3589, 3932, 4697, 5406, 5838,
	 6434, 7082, 7938, 7974, 8927, 9395, 10410, 11984,
	 12733, 13482, 14231, 14980, 15729, 16478, 17227, 17976,
	 18726, 19475, 20224, 20973, 21722, 22471, 23220, 759},
	/* sp Cap other */
	{2301, 4603, 6904, 9205, 11507, 13808, 16110, 18411,
	 20712, 23014, 25315, 27616, 29918, 32219, 34521, 36822,
	 39123, 41425, 43726, 46027, 48329, 50630, 52932, 55233,
	 57534, 59836, 62137, 64438, 65535, 65535, 65535, 2301},
	/* sp UPPER ascii */
	{1011, 1013, 1266, 1232, 1584, 1554, 1414, 2098,
	 2389, 2591, 2346, 2923, 2817, 4476, 2283, 4197,
	 3611, 4386, 4233, 4521, 4442, 5786, 6046, 6366,
	 6588, 3368, 7101, 7364, 7703, 7890, 8153, 404},
	/* sp UPPER latin */
	{1089, 1124, 1374, 1488, 1954, 2164, 2481, 2565,
	 2864, 3176, 3646, 3931, 3914, 4645, 4630, 4563,
	 6071, 6429, 6786, 7143, 7500, 7857, 8214, 8571,
	 8929, 9286, 9643, 10000, 10357, 10714, 11072, 251},
	/* sp UPPER cjk */
	{1647, 2328, 3300, 3589, 3932, 4697, 5406, 5838,
	 6434, 7082, 7938, 7974, 8927, 9395, 10410, 11984,
	 12733, 13482, 14231, 14980, 15729, 16478, 17227, 17976,
	 18726, 19475, 20224, 20973, 21722, 22471, 23220, 759},
	/* sp UPPER other */
	{2301, 4603, 6904, 9205, 11507, 13808, 16110, 18411,
	 20712, 23014, 25315, 27616, 29918, 32219, 34521, 36822,
	 39123, 41425, 43726, 46027, 48329, 50630, 52932, 55233,
	 57534, 59836, 62137, 64438, 65535, 65535, 65535, 2301},
	/* bl lower ascii */
	{1000, 1042, 1660, 1145, 1303, 1281, 1648, 1627,
	 2337, 2254, 2164, 2324, 1982, 2375, 2308, 3198,
	 3249, 3640, 3702, 4408, 4000, 5623, 5878, 6134,
	 6390, 3108, 6901, 7156, 7412, 7667, 7923, 381},
	/* bl lower latin */
	{1075, 1085, 1204, 1412, 1721, 1948, 2380, 2439,
	 2729, 3041, 3550, 3864, 3833, 4527, 4514, 4592,
	 5849, 6193, 6537, 6881, 7225, 7569, 7913, 8257,
	 8602, 8946, 9290, 9634, 9978, 10322, 10666, 251},
	/* bl lower cjk */
	{1647, 2328, 3300, 3589, 3932, 4697, 5406, 5838,
	 6434, 7082, 7938, 7977, 8927, 9395, 10410, 11360,
	 12733, 13482, 13133, 14980, 15729, 16478, 17227, 17976,
	 18726, 19475, 20224, 20973, 21722, 22471, 23220, 759},
	/* bl lower other */
	{2301, 4603, 6904, 9205, 11507, 13808, 16110, 18411,
	 20712, 23014, 25315, 27616, 29918, 32219, 34521, 36822,
	 39123, 41425, 43726, 46027, 48329, 50630, 52932, 55233,
	 57534, 59836, 62137, 64438, 65535, 65535, 65535, 2301},
	/* bl Cap ascii */
	{1000, 1350, 1523, 1520, 1765, 2000, 1923, 2065,
	 2927, 1888, 1663, 2098, 1878, 1931, 2333, 3478,
	 3246, 3775, 3819, 4457, 3923, 5700, 5959, 6218,
	 6477, 6736, 6995, 7254, 7513, 7772, 8031, 390},
	/* bl Cap latin */
	{1111, 1185, 1351, 1588, 1847, 2195, 2579, 2707,
	 3036, 3288, 3775, 4021, 4029, 4779, 4766, 4532,
	 6325, 6697, 7069, 7441, 7813, 8185, 8557, 8929,
	 9301, 9673, 10045, 10417, 10789, 11161, 11533, 251},
	/* bl Cap cjk */
	{1647, 2328, 3300, 3589, 3932, 4697, 5406, 5838,
	 6434, 7082, 7938, 7974, 8927, 9395, 10410, 11984,
	 12733, 13482, 14231, 14980, 15729, 16478, 17227, 17976,
	 18726, 19475, 20224, 20973, 21722, 22471, 23220, 759},
	/* bl Cap other */
	{2301, 4603, 6904, 9205, 11507, 13808, 16110, 18411,
	 20712, 23014, 25315, 27616, 29918, 32219, 34521, 36822,
	 39123, 41425, 43726, 46027, 48329, 50630, 52932, 55233,
	 57534, 59836, 62137, 64438, 65535, 65535, 65535, 2301},
	/* bl UPPER ascii */
	{1011, 1949, 2001, 2243, 2277, 2762, 2848, 2973,
	 3313, 1875, 1821, 1934, 1911, 2035, 2483, 3636,
	 3373, 4023, 4064, 4521, 4357, 5786, 6049, 6312,
	 6575, 3368, 7101, 7364, 7627, 7890, 8153, 404},
	/* bl UPPER latin */
	{1089, 1124, 1265, 1488, 1786, 2069, 2481, 2565,
	 2864, 3176, 3646, 3931, 3914, 4645, 4630, 4563,
	 6071, 6429, 6786, 7143, 7500, 7857, 8214, 8571,
	 8929, 9286, 9643, 10000, 10357, 10714, 11072, 251},
	/* bl UPPER cjk */
	{1647, 2328, 3300, 3589, 3932, 4697, 5406, 5838,
	 6434, 7082, 7938, 7974, 8927, 9395, 10410, 11984,
	 12733, 13482, 14231, 14980, 15729, 16478, 17227, 17976,
	 18726, 19475, 20224, 20973, 21722, 22471, 23220, 759},
	/* bl UPPER other */
	{2301, 4603, 6904, 9205, 11507, 13808, 16110, 18411,
	 20712, 23014, 25315, 27616, 29918, 32219, 34521, 36822,
	 39123, 41425, 43726, 46027, 48329, 50630, 52932, 55233,
	 57534, 59836, 62137, 64438, 65535, 65535, 65535, 2301},
	/* pu lower ascii */
	{1037, 1151, 1302, 1189, 1270, 1266, 1464, 1684,
	 2000, 1908, 2443, 2641, 2840, 3172, 3470, 3389,
	 3252, 4019, 3486, 4178, 3813, 5620, 5677, 6097,
	 6312, 3146, 6839, 7119, 7412, 7678, 7893, 202},
	/* pu lower latin */
	{1638, 1491, 2625, 2972, 2339, 2499, 3008, 3133,
	 4097, 3658, 4324, 4298, 4000, 4612, 4561, 4592,
	 5849, 6193, 6537, 6881, 7225, 7569, 7913, 8257,
	 8602, 8946, 9290, 9634, 9978, 10322, 10666, 251},
	/* pu lower cjk */
	{1819, 2383, 3500, 3648, 4111, 4665, 5403, 5982,
	 6572, 7227, 8003, 8101, 9232, 9640, 10436, 11373,
	 12667, 13469, 13294, 14827, 15706, 16366, 17227, 17976,
	 18611, 19491, 20203, 20812, 21583, 22471, 23220, 579},
	/* pu lower other */
	{2301, 4603, 6904, 9205, 11507, 13808, 16110, 18411,
	 20712, 23014, 25315, 27616, 29918, 32219, 34521, 36822,
	 39123, 41425, 43726, 46027, 48329, 50630, 52932, 55233,
	 57534, 59836, 62137, 64438, 65535, 65535, 65535, 2301},
	/* pu Cap ascii */
	{1026, 1197, 1345, 1253, 1344, 1727, 1638, 1999,
	 2002, 2132, 2863, 2326, 2371, 1932, 2455, 3437,
	 3238, 3775, 3819, 4457, 3923, 5700, 5959, 6218,
	 6477, 6736, 6995, 7254, 7513, 7772, 8031, 390},
	/* pu Cap latin */
	{1487, 2358, 2175, 2625, 2459, 3065, 3008, 3411,
	 3911, 3634, 4006, 4275, 4029, 4779, 4805, 4686,
	 6250, 6697, 7069, 7441, 7813, 8185, 8557, 8929,
	 9301, 9673, 10045, 10417, 10789, 11161, 11533, 251},
	/* pu Cap cjk */
	{1647, 2328, 3300, 3589, 3932, 4697, 5406, 5838,
	 6434, 7082, 7938, 7974, 8927, 9395, 10410, 11984,
	 12733, 13482, 14231, 14980, 15729, 16478, 17227, 17976,
	 18726, 19475, 20224, 20973, 21722, 22471, 23220, 759},
	/* pu Cap other */
	{2301, 4603, 6904, 9205, 11507, 13808, 16110, 18411,
	 20712, 23014, 25315, 27616, 29918, 32219, 34521, 36822,
	 39123, 41425, 43726, 46027, 48329, 50630, 52932, 55233,
	 57534, 59836, 62137, 64438, 65535, 65535, 65535, 2301},
	/* pu UPPER ascii */
	{1011, 1264, 1424, 1409, 1551, 1599, 1801, 2171,
	 2498, 2851, 2866, 3616, 3657, 3116, 4846, 3573,
	 3408, 4857, 4055, 4676, 4346, 5793, 6049, 6312,
	 6621, 3765, 6973, 7364, 7627, 7890, 8153, 404},
	/* pu UPPER latin */
	{1089, 1124, 1265, 1488, 1786, 2190, 2770, 2565,
	 2864, 3540, 3646, 3931, 3914, 4645, 4630, 4563,
	 6071, 6429, 6786, 7143, 7500, 7857, 8214, 8571,
	 8929, 9286, 9643, 10000, 10357, 10714, 11072, 251},
	/* pu UPPER cjk */
	{1647, 2328, 3300, 3589, 3932, 4697, 5406, 5838,
	 6434, 7082, 7938, 7974, 8927, 9395, 10410, 11984,
	 12733, 13482, 14231, 14980, 15729, 16478, 17227, 17976,
	 18726, 19475, 20224, 20973, 21722, 22471, 23220, 759},
	/* pu UPPER other */
	{2301, 4603, 6904, 9205, 11507, 13808, 16110, 18411,
	 20712, 23014, 25315, 27616, 29918, 32219, 34521, 36822,
	 39123, 41425, 43726, 46027, 48329, 50630, 52932, 55233,
	 57534, 59836, 62137, 64438, 65535, 65535, 65535, 2301},
	/* punct same */
	{1000, 1000, 1028, 1020, 1995, 2710, 2197, 3042,
	 3298, 3137, 2555, 2191, 5122, 1612, 2426, 2084,
	 2580, 2344, 2822, 2774, 3113, 2766, 2811, 2628,
	 3052, 3060, 3145, 3087, 3396, 3527, 3588, 47},
	/* punct mixed */
	{1000, 1013, 1288, 1800, 2307, 2969, 3550, 4348,
	 4269, 5578, 5767, 4099, 6554, 3678, 5399, 3973,
	 4168, 3622, 3923, 4799, 4622, 3945, 4919, 2896,
	 4708, 3559, 3130, 3645, 3814, 4109, 5567, 266},
	/* punct box */
	{1000, 1029, 1670, 1812, 2347, 2808, 3227, 3520,
	 3828, 3779, 3302, 2545, 5756, 1906, 3482, 2640,
	 3008, 2698, 2969, 3246, 3476, 3121, 3364, 2720,
	 3620, 3111, 3140, 3359, 3548, 3764, 4103, 61},
	/* punct other */
	{1014, 1340, 2281, 1953, 3000, 2815, 3227, 3525,
	 3828, 3779, 3302, 2545, 5756, 1906, 3482, 2640,
	 3008, 2698, 2969, 3246, 3476, 3121, 3364, 2720,
	 3620, 3111, 3140, 3359, 3548, 3764, 4103, 61},
	/* punct nl same */
	{1000, 1055, 1177, 1056, 1417, 1143, 1443, 1167,
	 1375, 1583, 1938, 1743, 2304, 1266, 2591, 2132,
	 2211, 2291, 2730, 2471, 2773, 2753, 2695, 2717,
	 2897, 2979, 3162, 3226, 3378, 3410, 3633, 47},
	/* punct nl mixed */
	{1000, 1039, 1294, 1664, 2248, 2620, 3332, 3900,
	 4266, 4867, 4546, 4339, 5935, 3212, 4332, 3481,
	 3749, 3079, 3213, 5084, 4416, 3704, 4479, 2896,
	 4569, 3211, 3158, 4129, 3814, 4597, 4738, 82},
	/* punct nl box */
	{1000, 1029, 1316, 1812, 2347, 2808, 3227, 3520,
	 3828, 3779, 3302, 2545, 5756, 1906, 3482, 2640,
	 3008, 2698, 2969, 3246, 3476, 3121, 3364, 2720,
	 3620, 3111, 3140, 3359, 3548, 3764, 4103, 61},
	/* punct nl other */
	{1000, 1995, 2213, 1903, 2352, 2809, 3227, 3617,
	 3828, 3779, 3302, 2545, 5756, 1906, 3482, 2640,
	 3008, 2698, 2969, 3246, 3476, 3121, 3364, 2720,
	 3620, 3111, 3140, 3359, 3548, 3764, 4103, 61},
	/* punct sp same */
	{1000, 1000, 1000, 1051, 1770, 2455, 2533, 2802,
	 3367, 2889, 2621, 2042, 4755, 1636, 2854, 2373,
	 2461, 2391, 2747, 2623, 2928, 2920, 2857, 2428,
	 3052, 2909, 3145, 2944, 3364, 3495, 3588, 39},
	/* punct sp mixed */
	{1000, 1062, 1602, 2001, 2614, 2964, 3864, 4578,
	 4216, 4978, 4710, 4554, 6961, 2795, 5194, 3939,
	 4721, 3574, 3194, 4092, 4239, 3750, 4333, 2896,
	 5590, 3211, 3130, 4000, 4175, 4109, 4682, 106},
	/* punct sp box */
	{1000, 1093, 3000, 1812, 2347, 2808, 3227, 3520,
	 3828, 3779, 3302, 2545, 5756, 1906, 3482, 2640,
	 3008, 2698, 2969, 3246, 3476, 3121, 3364, 2720,
	 3620, 3111, 3140, 3359, 3548, 3764, 4103, 61},
	/* punct sp other */
	{1190, 2090, 1865, 2092, 2469, 2853, 3227, 3525,
	 3828, 3779, 3302, 2545, 5756, 1906, 3482, 2640,
	 3008, 2698, 2969, 3246, 3476, 3121, 3364, 2720,
	 3620, 3111, 3140, 3359, 3548, 3764, 4103, 61},
	/* punct sp nl same */
	{1001, 1069, 1053, 1854, 2277, 2770, 2907, 2920,
	 3415, 3137, 2694, 2344, 5086, 1656, 2936, 2287,
	 2681, 2499, 2694, 2744, 3073, 2920, 2950, 2519,
	 3188, 3273, 3131, 3153, 3322, 3410, 3747, 33},
	/* punct sp nl mixed */
	{1000, 1048, 1437, 2213, 2426, 2768, 3349, 3911,
	 4040, 4596, 4360, 3693, 5173, 2649, 4343, 3318,
	 3591, 3356, 3213, 3910, 4724, 3508, 4075, 3390,
	 4262, 3211, 3091, 3667, 3814, 4109, 4738, 103},
	/* punct sp nl box */
	{1000, 1029, 1316, 1812, 2347, 2808, 3227, 3520,
	 3828, 3779, 3302, 2545, 5756, 1906, 3482, 2640,
	 3008, 2698, 2969, 3246, 3476, 3121, 3364, 2720,
	 3620, 3111, 3140, 3359, 3548, 3764, 4103, 61},
	/* punct sp nl other */
	{1121, 1030, 1739, 1851, 2352, 2809, 3227, 3525,
	 3828, 3779, 3302, 2545, 5756, 1906, 3482, 2640,
	 3008, 2698, 2969, 3246, 3476, 3121, 3364, 2720,
	 3620, 3111, 3140, 3359, 3548, 3764, 4103, 61},
	/* blank spaces */
	{1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000,
	 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000,
	 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000,
	 1000, 1000, 1000, 1000, 1000, 1000, 1000, 26},
	/* blank other */
	{1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000,
	 1000, 1060, 1353, 1226, 1094, 1024, 1493, 1788,
	 1697, 1247, 1426, 1253, 1239, 1267, 1253, 1196,
	 1299, 1362, 1310, 1195, 1126, 1399, 1498, 59},
	/* eol */
	{1000, 1000, 1000, 1000, 4350, 5214, 6246, 7139,
	 8031, 8923, 9816, 10708, 11600, 12493, 13385, 14277,
	 15170, 16062, 16954, 17847, 18739, 19631, 20524, 21416,
	 22308, 23201, 24093, 24985, 25878, 26770, 27662, 13},
	/* eol cr */
	{1000, 1000, 1001, 1000, 4462, 5354, 6246, 7139,
	 8031, 8923, 9816, 10708, 11600, 12493, 13385, 14277,
	 15170, 16062, 16954, 17847, 18739, 19631, 20524, 21416,
	 22308, 23201, 24093, 24985, 25878, 26770, 27662, 13},
	/* eol blanks */
	{1000, 1020, 1018, 1000, 2892, 3822, 5241, 6446,
	 4943, 5322, 8837, 10101, 9154, 11774, 13018, 14277,
	 14284, 16062, 16954, 17847, 17126, 19631, 20524, 21416,
	 22308, 23201, 24093, 24985, 25878, 26770, 27662, 13},
	/* eol cr blanks */
	{1000, 1000, 1001, 1000, 4462, 5354, 6246, 7139,
	 8031, 8923, 9816, 10708, 11600, 12493, 13385, 14277,
	 15170, 16062, 16954, 17847, 18739, 19631, 20524, 21416,
	 22308, 23201, 24093, 24985, 25878, 26770, 27662, 13},
	/* number */
	{1000, 1000, 1000, 2260, 2825, 3389, 3954, 4519,
	 5084, 5649, 6214, 6779, 7344, 7909, 8474, 9038,
	 9603, 10168, 10733, 11298, 11863, 12428, 12993, 13558,
	 14123, 14688, 15252, 15817, 16382, 16947, 17512, 565},
/* END TABLE */
};

/* ------------------------------------------------------------------ splitter */

enum {
	ST_NONE,        /* between pieces */
	ST_PRE,         /* one blank or punctuation character, fate undecided */
	ST_WORD,
	ST_NUM,
	ST_PUNCT,
	ST_PTAIL,       /* punctuation followed by newlines (and slashes) */
	ST_WS           /* a run of blanks and newlines */
};

/* feat bits. Word: script (2 bits), lead (2), first letter upper, has lower. */
#define F_W_UPPER1 0x10
#define F_W_LOWER  0x20
/* Punctuation: kind (2 bits), lead space, trailing newlines. */
#define F_P_SPACE  0x04
#define F_P_TAIL   0x08
/* Blank run: blanks other than spaces after the last newline; CR, blanks before
 * the last newline; blanks since the last newline seen. */
#define F_B_OTHER  0x01
#define F_B_CR     0x02
#define F_B_NLWS   0x04
#define F_B_PEND   0x08

#ifndef TOKENS_TRACE
#define TOKENS_TRACE(v, len, nchars) ((void)0)
#endif

/* Charge one piece of kind v and length len (characters in its main part); nchars
 * is its whole length, for the calibration trace only. */
static void
charge(struct tokens *t, unsigned v, uint32_t len, uint32_t nchars)
{
	(void)nchars;
	TOKENS_TRACE(v, len, nchars);
	if (len < TOK_NLEN)
		t->milli += tok_cost[v][len - 1];
	else
		t->milli += (uint64_t)tok_cost[v][TOK_NLEN - 1] * len;
}

static void
end_word(struct tokens *t)
{
	unsigned lead = t->feat >> 2 & 3, shape;

	if (!(t->feat & F_W_UPPER1))
		shape = SH_LOWER;
	else if ((t->feat & F_W_LOWER) || t->plen == 1)
		shape = SH_CAP;
	else
		shape = SH_UPPER;
	charge(t, (lead * 3 + shape) * 4 + (t->feat & 3), t->plen,
	    t->plen + (lead != L_NONE));
}

/* Kind of a punctuation run of one character c: one ASCII character is "same". */
static uint8_t
one_kind(uint8_t c)
{
	return CL_S(c) == P_MIXED ? P_SAME : (uint8_t)CL_S(c);
}

static void
end_punct(struct tokens *t)
{
	unsigned sp = !!(t->feat & F_P_SPACE), tail = !!(t->feat & F_P_TAIL);

	charge(t, V_PUNCT + (sp * 2 + tail) * 4 + (t->feat & 3), t->plen,
	    t->plen + sp + (tail ? t->aux : 0));
}

static void
end_blank(struct tokens *t, uint32_t n, int other)
{
	charge(t, V_BLANK + !!other, n, n);
}

/* Close whatever piece is in progress (not ST_WS, see end_ws). */
static void
end_piece(struct tokens *t)
{
	switch (t->state) {
	case ST_PRE:
		if (CL_K(t->prev) == K_PUN) {
			t->plen = 1;
			t->feat = one_kind(t->prev);
			end_punct(t);
		} else {
			end_blank(t, 1, CL_K(t->prev) != K_SP);
		}
		break;
	case ST_WORD:
		end_word(t);
		break;
	case ST_NUM:
		charge(t, V_NUM, t->plen, t->plen);
		break;
	case ST_PUNCT:
	case ST_PTAIL:
		end_punct(t);
		break;
	}
	t->state = ST_NONE;
}

static void
start_word(struct tokens *t, uint8_t c, unsigned lead)
{
	t->state = ST_WORD;
	t->plen = 1;
	t->prev = c;
	t->feat = (uint8_t)(lead << 2 | CL_S(c));
	if (CL_K(c) == K_LU)
		t->feat |= F_W_UPPER1;
}

/* Begin a piece with character x of class c. */
static void
start(struct tokens *t, uint8_t c, uint32_t x)
{
	switch (CL_K(c)) {
	case K_LU:
	case K_LL:
	case K_LO:
	case K_MARK:
		start_word(t, c, L_NONE);
		break;
	case K_DIG:
		t->state = ST_NUM;
		t->plen = 1;
		break;
	case K_NL:
		t->state = ST_WS;
		t->plen = 1;
		t->aux = 1;
		t->feat = x == '\r' ? F_B_CR : 0;
		t->prev = c;
		break;
	default:
		/* blank or punctuation: depends on the next character */
		t->state = ST_PRE;
		t->prev = c;
		t->first = (uint8_t)x;
		break;
	}
}

/*
 * End a blank run at a non-blank character (c) or at the end (eof). The part up to
 * the last newline is one piece; of the blanks after it, all but the last are one
 * piece and the last one waits for the next character, as for "\s+(?!\S)".
 */
static void
end_ws(struct tokens *t, int eof)
{
	uint32_t r = t->plen - t->aux;

	if (t->aux > 0)
		charge(t, V_EOL + (t->feat & (F_B_CR | F_B_NLWS)) / F_B_CR, t->aux,
		    t->aux);
	t->state = ST_NONE;
	if (r == 0)
		return;
	if (eof) {
		end_blank(t, r, t->feat & F_B_OTHER);
		return;
	}
	if (r > 1)
		end_blank(t, r - 1, t->feat & F_B_OTHER);
	t->state = ST_PRE;      /* t->prev is the last blank's class */
}

/* One character x of class c. */
static inline void
step(struct tokens *t, uint8_t c, uint32_t x)
{
	unsigned k = CL_K(c), pk;

	switch (t->state) {
	case ST_NONE:
		start(t, c, x);
		return;
	case ST_PRE:
		pk = CL_K(t->prev);
		if (k <= K_MARK) {
			start_word(t, c, pk == K_SP ? L_SPACE :
			    pk == K_WS ? L_BLANK : L_PUNCT);
			return;
		}
		if (pk == K_PUN) {
			if (k == K_PUN) {
				t->state = ST_PUNCT;
				t->plen = 2;
				t->feat = one_kind(t->prev);
				if (t->feat == P_SAME && x != t->first)
					t->feat = P_MIXED;
				if (CL_S(c) >= P_BOX && CL_S(c) > t->feat)
					t->feat = (uint8_t)CL_S(c);
				return;
			}
			if (k == K_NL) {
				t->state = ST_PTAIL;
				t->plen = 1;
				t->aux = 1;
				t->feat = one_kind(t->prev) | F_P_TAIL;
				return;
			}
		} else if (k == K_PUN && pk == K_SP) {
			t->state = ST_PUNCT;
			t->plen = 1;
			t->first = (uint8_t)x;
			t->feat = one_kind(c) | F_P_SPACE;
			return;
		} else if (k == K_SP || k == K_WS || k == K_NL) {
			t->state = ST_WS;
			t->plen = 2;
			t->aux = k == K_NL ? 2 : 0;
			t->feat = 0;
			if (k == K_NL) {
				t->feat = F_B_NLWS | (x == '\r' ? F_B_CR : 0);
			} else {
				t->feat = pk == K_WS || k == K_WS ?
				    F_B_OTHER | F_B_PEND : F_B_PEND;
			}
			t->prev = c;
			return;
		}
		end_piece(t);
		start(t, c, x);
		return;
	case ST_WORD:
		if (k <= K_MARK) {
			/* a capital after a non-capital starts a new word */
			if (k == K_LU && CL_K(t->prev) != K_LU) {
				end_word(t);
				start_word(t, c, L_NONE);
				return;
			}
			t->plen++;
			t->prev = c;
			if (CL_S(c) > (t->feat & 3))
				t->feat = (uint8_t)((t->feat & ~3) | CL_S(c));
			if (k != K_LU)
				t->feat |= F_W_LOWER;
			return;
		}
		break;
	case ST_NUM:
		if (k == K_DIG) {
			if (t->plen < 3) {
				t->plen++;
				return;
			}
			end_piece(t);
			start(t, c, x);
			return;
		}
		break;
	case ST_PUNCT:
		if (k == K_PUN || k == K_MARK) {
			t->plen++;
			if ((t->feat & 3) == P_SAME && x != t->first)
				t->feat = (uint8_t)((t->feat & ~3) | P_MIXED);
			if (k == K_PUN && CL_S(c) >= P_BOX &&
			    CL_S(c) > (t->feat & 3))
				t->feat = (uint8_t)((t->feat & ~3) | CL_S(c));
			return;
		}
		if (k == K_NL) {
			t->state = ST_PTAIL;
			t->feat |= F_P_TAIL;
			t->aux = 1;
			return;
		}
		break;
	case ST_PTAIL:
		if (k == K_NL || x == '/') {
			t->aux++;
			return;
		}
		break;
	case ST_WS:
		if (k == K_SP || k == K_WS || k == K_NL) {
			t->plen++;
			if (k == K_NL) {
				t->aux = t->plen;
				if (x == '\r')
					t->feat |= F_B_CR;
				if (t->feat & F_B_PEND)
					t->feat |= F_B_NLWS;
				t->feat &= (uint8_t)~(F_B_PEND | F_B_OTHER);
			} else {
				t->feat |= F_B_PEND;
				if (k == K_WS)
					t->feat |= F_B_OTHER;
			}
			t->prev = c;
			return;
		}
		end_ws(t, 0);
		step(t, c, x);
		return;
	}
	end_piece(t);
	start(t, c, x);
}

/* ------------------------------------------------------------------ API */

/* see tokens.h */
void
tokens_init(struct tokens *t)
{
	*t = (struct tokens){ 0 };
}

/* Bytes that are not valid UTF-8 count as U+FFFD, which Python's decoder would
 * put in their place: a punctuation character. */
#define BAD_CHAR CL(K_PUN, P_OTHER)

/* see tokens.h */
void
tokens_feed(struct tokens *t, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t b = p[i];

		if (t->need == 0) {
			if (b < 0x80) {
				step(t, ascii_cls[b], b);
			} else if (b >= 0xc2 && b < 0xf5) {
				t->need = b < 0xe0 ? 1 : b < 0xf0 ? 2 : 3;
				t->cp = b & (0x3f >> t->need);
			} else {
				step(t, BAD_CHAR, 0xfffd);
			}
		} else if ((b & 0xc0) == 0x80) {
			t->cp = t->cp << 6 | (b & 0x3f);
			if (--t->need == 0)
				step(t, uni_cls(t->cp), t->cp);
		} else {
			/* a sequence cut short: one bad character, then b afresh */
			t->need = 0;
			step(t, BAD_CHAR, 0xfffd);
			i--;
		}
	}
}

/* see tokens.h */
uint64_t
tokens_end(struct tokens *t)
{
	if (t->need != 0) {
		t->need = 0;
		step(t, BAD_CHAR, 0xfffd);
	}
	if (t->state == ST_WS)
		end_ws(t, 1);
	end_piece(t);
	return (t->milli + 500) / 1000;
}

/* see tokens.h */
void
tokens_format(uint64_t t, char *out, size_t cap)
{
	if (cap == 0)
		return;
	if (t >= 1000000)
		snprintf(out, cap, "%.1fM", (double)t / 1e6);
	else if (t >= 1000)
		snprintf(out, cap, "%.1fk", (double)t / 1000.0);
	else
		snprintf(out, cap, "%llu", (unsigned long long)t);
}
