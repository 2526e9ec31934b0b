/*
 * test_ignore.c - ignore.c against pathspec 0.12.1 / gitingest 0.3.1.
 *
 * Tables: single patterns (spec 7.2 rows, pathspec's normalisation edge
 * cases, Python regex quirks), the default list (spec 7.1), user patterns
 * (spec 7.3 and the `patterns` fixture), ignore files (spec 7.4 and the
 * `ignore` fixture, whose kept/dropped lists come from
 * tests/data/gitingest/expected/ignore),
 * the splitter, limits, and patterns that would blow up a backtracking matcher.
 * Expected values were cross-checked against a transcription of pathspec's
 * regex translation run through Python's re.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "ignore.h"
#include "t.h"

#define S(s) (s), (sizeof(s) - 1)

/* ------------------------------------------------------------ one pattern */

struct one {
	const char *pat;
	const char *path;
	int want;
};

static const struct one one_cases[] = {
	/* no slash: that name at any depth, file or dir, and all below */
	{ "env", "env", 1 },
	{ "env", "a/env", 1 },
	{ "env", "a/env/b", 1 },
	{ "env", "env.example", 0 },
	{ "env", "xenv", 0 },
	{ "*.log", "app.log", 1 },
	{ "*.log", "logs.log/inner.txt", 1 },
	{ "*.log", "a/b.log", 1 },
	{ "*.log", ".log", 1 },
	{ "*.log", "a.log.txt", 0 },
	{ "build", "build", 1 },
	{ "build", "Build", 0 },
	{ "build", "Build/keep.txt", 0 },
	{ "*.png", "x.PNG", 0 },
	/* trailing slash only: paths inside such a dir, not the entry */
	{ "vendor/", "vendor", 0 },
	{ "vendor/", "vendor/lib.go", 1 },
	{ "vendor/", "a/vendor/x", 1 },
	{ "vendor/", "vendorx/y", 0 },
	{ "*.xcodeproj/", "App.xcodeproj", 0 },
	{ "*.xcodeproj/", "App.xcodeproj/project.pbxproj", 1 },
	{ "docs/", "src/docs/inner.md", 1 },
	{ "docs/", "src/docs", 0 },
	/* an inner slash anchors at the root */
	{ "vendor/bundle", "vendor/bundle", 1 },
	{ "vendor/bundle", "vendor/bundle/x", 1 },
	{ "vendor/bundle", "a/vendor/bundle", 0 },
	{ "data/*.csv", "data/a.csv", 1 },
	{ "data/*.csv", "data/sub/b.csv", 0 },
	{ "data/*.csv", "x/data/a.csv", 0 },
	{ "src/skip*", "src/skip_me.c", 1 },
	{ "src/skip*", "src/a/skip_me.c", 0 },
	{ "sub/*.dat", "sub/x.dat", 1 },
	{ "sub/*.dat", "sub/deep/y.dat", 0 },
	/* a leading slash anchors too (pathspec; the file loader strips it) */
	{ "/rootonly.txt", "rootonly.txt", 1 },
	{ "/rootonly.txt", "src/rootonly.txt", 0 },
	{ "/a/", "a/b", 1 },
	{ "/a/", "a", 0 },
	/* "**" */
	{ "**", "a", 1 },
	{ "**", "a/b/c", 1 },
	{ "/**", "a/b", 1 },
	{ "**/", "a", 0 },
	{ "**/", "a/b", 1 },
	{ "**/**/", "a/b", 1 },
	{ "**/**/", "a", 0 },
	{ "**/x", "x", 1 },
	{ "**/x", "a/b/x", 1 },
	{ "**/x", "a/b/x/y", 1 },
	{ "**/x", "ax", 0 },
	{ "**/*.rs.bk", "src/main.rs.bk", 1 },
	{ "**/*.rs.bk", "main.rs.bk", 1 },
	{ "a/**", "a", 0 },
	{ "a/**", "a/b", 1 },
	{ "a/**", "a/b/c", 1 },
	{ "a/**/b", "a/b", 1 },
	{ "a/**/b", "a/x/b", 1 },
	{ "a/**/b", "a/x/y/b", 1 },
	{ "a/**/b", "a/x/y/b/z", 1 },
	{ "a/**/b", "ab", 0 },
	{ "a/**/b", "a/xb", 0 },
	{ "a/**/**/b", "a/b", 1 },
	{ "docs/**/*.draft", "docs/top.draft", 1 },
	{ "docs/**/*.draft", "docs/a/b/c.draft", 1 },
	{ "docs/**/*.draft", "doc/top.draft", 0 },
	{ "a**b", "axxb", 1 },
	{ "a**b", "ax/xb", 0 },
	{ "***", "abc", 1 },
	{ "a/***", "a/b", 1 },
	/* "*" as a whole segment is [^/]+, elsewhere [^/]* */
	{ "*", "a", 1 },
	{ "*", "a/b", 1 },
	{ "a/*", "a", 0 },
	{ "a/*", "a/b", 1 },
	{ "a/*", "a/b/c", 1 },
	{ "a/*/c", "a/b/c", 1 },
	{ "a/*/c", "a/c", 0 },
	{ "a*", "a", 1 },
	{ "*a", "a", 1 },
	/* '?' and '*' never cross '/' */
	{ "a?c", "abc", 1 },
	{ "a?c", "a/c", 0 },
	{ "a?c", "ac", 0 },
	{ "a*c", "a/c", 0 },
	{ "?", "\xc3\xa9", 1 },                 /* a character, not a byte */
	{ "??", "\xc3\xa9", 0 },
	{ "?", "\xff", 1 },                     /* undecodable byte = 1 char */
	/* bracket expressions (a Python regex set) */
	{ "[ab]", "a", 1 },
	{ "[ab]", "c", 0 },
	{ "[a-c]x", "bx", 1 },
	{ "[a-c]x", "dx", 0 },
	{ "[!a]", "b", 1 },
	{ "[!a]", "a", 0 },
	{ "[^a]", "b", 1 },
	{ "[^a]", "a", 0 },
	{ "x[!a]y", "x/y", 1 },                 /* a negated set matches '/' */
	{ "[]a]", "]", 1 },
	{ "[]a]", "a", 1 },
	{ "[!]a]", "b", 1 },
	{ "[!]a]", "]", 0 },
	{ "[a-]", "-", 1 },
	{ "[]-a]", "^", 1 },                    /* ']'..'a' range */
	{ "[\\]", "\\", 1 },                    /* backslash literal in [] */
	{ "[\\]]", "\\]", 1 },
	{ "[", "[", 1 },
	{ "[a", "[a", 1 },
	{ "[]", "[]", 1 },
	{ "[!]", "[!]", 1 },
	{ "[\xc3\xa0-\xc3\xaf]", "\xc3\xa9", 1 },
	{ "[[:alpha:]]", "a]", 1 },             /* no POSIX classes */
	{ "[[:alpha:]]", "a", 0 },
	/* escapes, '#', '!', spaces */
	{ "\\#hash.txt", "#hash.txt", 1 },
	{ "#hash.txt", "#hash.txt", 0 },        /* a comment */
	{ "\\!x", "!x", 1 },
	{ "!x", "x", 1 },                       /* reported, not inverted */
	{ "!!x", "!x", 1 },
	{ "\\*", "*", 1 },
	{ "\\*", "a", 0 },
	{ "a\\b", "ab", 1 },
	{ "spaced.txt   ", "spaced.txt", 1 },
	{ "  lead", "lead", 1 },
	{ "a\\ ", "a ", 1 },                    /* escaped space kept */
	{ "a\\ ", "a", 0 },
	{ "a \\ ", "a  ", 1 },
	{ "a\xc2\xa0", "a", 1 },                /* NBSP is stripped */
	{ "a b", "x/a b", 1 },
	/* no-ops and invalid patterns never match */
	{ "/", "a", 0 },
	{ "", "a", 0 },
	{ "   ", "a", 0 },
	{ "!", "a", 0 },
	{ "a\\", "a", 0 },
	{ "[z-a]", "b", 0 },
	/* "!/" is not "/": it becomes "^(?:/.*)?$" */
	{ "!/", "a", 0 },
	/* odd shapes */
	{ "a//b", "a//b", 1 },
	{ "a//b", "a/b", 0 },
	{ ".", ".", 1 },
	{ ".", "a", 0 },
	{ "./a", "./a", 1 },
	{ "./a", "a", 0 },
	/* Python's '.' does not match '\n', '$' matches before a final '\n' */
	{ "foo", "foo\n", 1 },
	{ "foo", "a/foo\n", 1 },
	{ "foo", "foo\nx", 0 },
	{ "foo", "foo/a\nb", 0 },
	{ "vendor/", "vendor/a\nb", 0 },
	{ "vendor/", "vendor/ab\n", 1 },
	{ "*.c", "a\n/b.c", 0 },
	{ "a?b", "a\nb", 1 },                   /* [^/] does match '\n' */
	/* the literal prefilter: raw bytes and multi-byte characters */
	{ "\xff" "ab", "x/\xff" "ab", 1 },
	{ "\xff" "ab", "x/\xfe" "ab", 0 },
	{ "\xc3\xa9t\xc3\xa9", "a/\xc3\xa9t\xc3\xa9/b", 1 },
	{ "\xf0\x9f\x98\x80.md", "\xf0\x9f\x98\x80.md", 1 },
	{ "\xf0\x9f\x98\x80.md", "\xf0\x9f\x98\x81.md", 0 },
	{ "x/\xe2\x82", "x/\xe2\x82", 1 },         /* cut sequence = 2 bytes */
	/* case-sensitive */
	{ "Dist/", "dist/x", 0 },
	{ "BUILD", "build", 0 },
};

static void
test_one(void)
{
	size_t n = sizeof one_cases / sizeof one_cases[0];

	for (size_t i = 0; i < n; i++) {
		const struct one *c = &one_cases[i];
		int got = ignore_match_one(c->pat, strlen(c->pat), c->path,
		    strlen(c->path));
		CHECK(got == c->want, "pattern \"%s\" path \"%s\": got %d",
		    c->pat, c->path, got);
	}
	/* NUL bytes are ordinary characters in both */
	CHECK(ignore_match_one(S("a\0b"), S("a\0b")) == 1, "NUL in pattern");
	CHECK(ignore_match_one(S("a?b"), S("a\0b")) == 1, "? matches NUL");
}

/* ------------------------------------------------------------ add errors */

struct addcase {
	const char *pat;
	int want;
};

static const struct addcase add_cases[] = {
	{ "", 0 }, { "#c", 0 }, { "/", 0 }, { " \t", 0 }, { "a", 0 },
	{ "!", ERR_PATTERN }, { "!  ", ERR_PATTERN }, { "a\\", ERR_PATTERN },
	{ "a\\  ", ERR_PATTERN }, { "[z-a]", ERR_PATTERN },
	{ "x/[b-a]/y", ERR_PATTERN }, { "[a--]", ERR_PATTERN },
	{ "[+--]", 0 }, { "\\", ERR_PATTERN }, { "**/", 0 }, { "!/", 0 },
	{ "[\\-a]", 0 },
};

static void
test_add(void)
{
	size_t n = sizeof add_cases / sizeof add_cases[0];
	struct ignore ig;

	for (size_t i = 0; i < n; i++) {
		int e;

		ignore_init(&ig);
		e = ignore_add(&ig, add_cases[i].pat, strlen(add_cases[i].pat));
		CHECK(e == add_cases[i].want, "add \"%s\": got %d",
		    add_cases[i].pat, e);
		ignore_free(&ig);
	}
	/* no-ops are not stored */
	ignore_init(&ig);
	CHECK(ignore_add(&ig, S("# x")) == 0 && ig.n == 0, "comment stored");
	CHECK(ignore_add(&ig, S("!x")) == 0 && ig.has_negation == 1,
	    "negation flag");
	ignore_remove(&ig, S("!x"));
	CHECK(ig.n == 0 && ig.has_negation == 0, "remove negation");
	ignore_free(&ig);
}

/* ------------------------------------------------------------ defaults */

struct want {
	const char *path;
	int excluded;
};

/* ignore_match() on the path alone, defaults only (spec 7.1, 7.2). */
static const struct want default_cases[] = {
	{ ".git", 1 }, { "node_modules", 1 }, { "a/node_modules", 1 },
	{ "src/mod.pyc", 1 }, { "__pycache__", 1 }, { "logs.log", 1 },
	{ "app.log", 1 }, { "vendor", 0 }, { "vendor/lib.go", 1 },
	{ "build", 1 }, { "Build", 0 }, { "Build/keep.txt", 0 },
	{ "build.gradle", 1 }, { "dist", 1 }, { "Dist", 0 }, { "out", 1 },
	{ "target", 1 }, { "pkg", 0 }, { "pkg/x.go", 1 }, { "bin", 0 },
	{ "bin/tool.sh", 1 }, { "obj/x", 1 }, { ".env", 1 },
	{ ".env.example", 0 }, { "env", 1 }, { "venv", 1 },
	{ ".github", 0 }, { ".github/dependabot.yml", 0 },
	{ "docs/digest.txt", 1 }, { "digest.txt", 1 },
	{ "assets/app.js.map", 1 }, { "assets/app.js", 0 },
	{ "assets/app.min.js", 1 }, { "assets/style.min.css", 1 },
	{ "assets/photo.jpg", 1 }, { "x.PNG", 0 }, { "icon.png", 1 },
	{ ".gitignore", 1 }, { ".gitattributes", 1 }, { ".gitmodules", 1 },
	{ ".gitingestignore", 0 }, { "Cargo.lock", 1 }, { "yarn.lock", 1 },
	{ "package-lock.json", 1 }, { ".DS_Store", 1 }, { "src/Thumbs.db", 1 },
	{ "site.egg-info", 1 }, { ".vscode", 1 }, { ".idea", 1 },
	{ "x.sublime-project", 1 }, { "tf.tfstate.backup", 1 },
	{ "vendor/bundle", 1 }, { "a/vendor/bundle", 1 },  /* via vendor/ */
	{ "App.xcodeproj", 0 }, { "App.xcodeproj/x", 1 },
	{ ".settings", 1 }, { ".gradle", 1 }, /* *.gradle */ { ".gradle/x", 1 },
	{ "src/main.rs.bk", 1 }, { "README.md", 0 }, { "main.c", 0 },
	{ "lib.a", 1 }, { "x.out", 1 }, { "data.db", 1 }, { "x.bin", 1 },
};

static void
test_defaults(void)
{
	size_t n = sizeof default_cases / sizeof default_cases[0];
	struct ignore ig;

	CHECK(ignore_default_count() == 133, "count %zu",
	    ignore_default_count());
	ignore_init(&ig);
	CHECK(ignore_add_defaults(&ig) == 0, "add_defaults");
	CHECK(ig.n == 133, "stored %zu", ig.n);
	CHECK(ig.has_negation == 0, "defaults have no negation");
	for (size_t i = 0; i < n; i++) {
		const struct want *w = &default_cases[i];
		int got = ignore_match(&ig, w->path, strlen(w->path));
		CHECK(got == w->excluded, "default: \"%s\": got %d", w->path,
		    got);
	}
	ignore_free(&ig);
}

/* ------------------------------------------------------------ walk helper */

/*
 * As gitingest's walk: a path is dropped if it or any ancestor is excluded
 * (excluded directories are not descended).
 */
static int
walk_excluded(const struct ignore *ig, const char *path)
{
	size_t n = strlen(path);

	for (size_t i = 1; i <= n; i++)
		if ((i == n || path[i] == '/') && ignore_match(ig, path, i))
			return 1;
	return 0;
}

/* ------------------------------------------------------------ user patterns */

static int
add_cb(void *ctx, const char *pat, size_t len)
{
	return ignore_add(ctx, pat, len);
}

static int
remove_cb(void *ctx, const char *pat, size_t len)
{
	ignore_remove(ctx, pat, len);
	return 0;
}

/*
 * The `patterns` fixture: includes "*.md", "src/" + "**", "node_modules";
 * excludes "src/" + "skip*", "docs/". "incl" is the include verdict for files.
 */
static const struct {
	const char *path;
	int excluded, incl;
} patterns_cases[] = {
	{ "README.md", 0, 1 },
	{ "notes.md", 0, 1 },
	{ "main.c", 0, 0 },
	{ "CHANGELOG.txt", 0, 0 },
	{ "src/app.c", 0, 1 },
	{ "src/skip_me.c", 1, 1 },
	{ "src/docs/inner.md", 1, 1 },
	{ "docs/guide.md", 1, 1 },
	{ "docs/ref.txt", 1, 0 },
	{ "node_modules/left-pad/README.md", 0, 1 },
	{ "node_modules/left-pad/index.js", 0, 1 },
	{ "node_modules/pkg/README.md", 1, 1 },
	{ "lib/deep/x.md", 0, 1 },
	{ "lib/deep/x.txt", 0, 0 },
	{ "link.md", 0, 1 },
	{ "link-file", 0, 0 },
	{ "link-dir", 0, 0 },   /* dir symlinks pass -i by being dirs */
};

static void
test_patterns_fixture(void)
{
	size_t n = sizeof patterns_cases / sizeof patterns_cases[0];
	struct ignore ig, inc;

	ignore_init(&ig);
	ignore_init(&inc);
	CHECK(ignore_add_defaults(&ig) == 0, "defaults");
	CHECK(ignore_split_user(S("src/skip*"), add_cb, &ig) == 0, "-e 1");
	CHECK(ignore_split_user(S("docs/"), add_cb, &ig) == 0, "-e 2");
	CHECK(ig.n == 135, "n %zu", ig.n);
	const char *incs[] = { "*.md", "src/**", "node_modules" };
	for (size_t i = 0; i < 3; i++) {
		CHECK(ignore_split_user(incs[i], strlen(incs[i]), remove_cb,
		    &ig) == 0, "-i remove");
		CHECK(ignore_split_user(incs[i], strlen(incs[i]), add_cb,
		    &inc) == 0, "-i add");
	}
	CHECK(ig.n == 134, "node_modules removed: n %zu", ig.n);
	for (size_t i = 0; i < n; i++) {
		const char *p = patterns_cases[i].path;
		int ex = walk_excluded(&ig, p);
		int in = ignore_match(&inc, p, strlen(p));
		CHECK(ex == patterns_cases[i].excluded,
		    "patterns: \"%s\" excl %d", p, ex);
		CHECK(in == patterns_cases[i].incl, "patterns: \"%s\" incl %d",
		    p, in);
	}
	ignore_free(&ig);
	ignore_free(&inc);
}

/* ---------------------------------------------------------- ignore fixture */

static const char fixture_gitignore[] =
    "# comment lines and blank lines are skipped\n\n*.tmpfile\nsecrets/\n"
    "/rootonly.txt\n*.secret\n!keep.secret\ndocs/**/*.draft\ngenerated-*.c\n"
    "data/*.csv\nlogs/\n!logs/keep.txt\n\\#hash.txt\nspaced.txt   \n";

static const struct want ignore_fixture[] = {
	/* kept: the tree of expected/ignore/digest.txt */
	{ "README.md", 0 }, { "keep.secret", 0 }, { ".env.example", 0 },
	{ ".gitingestignore", 0 }, { "assets/app.js", 0 },
	{ "Build/keep.txt", 0 }, { "data/readme.md", 0 },
	{ "data/sub/b.csv", 0 }, { "docs/guide.md", 0 }, { "src/main.py", 0 },
	{ "sub/deep/local.txt", 0 }, { "sub/deep/y.dat", 0 },
	{ ".github/dependabot.yml", 0 },
	/* everything else fx_ignore writes */
	{ ".gitignore", 1 }, { "api.secret", 1 }, { "rootonly.txt", 1 },
	{ "src/rootonly.txt", 1 }, { "src/generated-y.c", 1 },
	{ "generated-x.c", 1 }, { "secrets/token.txt", 1 },
	{ "docs/top.draft", 1 }, { "docs/a/b/c.draft", 1 },
	{ "data/a.csv", 1 }, { "logs/keep.txt", 1 }, { "logs/x.txt", 1 },
	{ "#hash.txt", 1 }, { "spaced.txt", 1 }, { "temp.tmpfile", 1 },
	{ "notes/todo.md", 1 }, { "draft.wip", 1 }, { "sub/.gitignore", 1 },
	{ "sub/x.dat", 1 }, { "sub/local.txt", 1 }, { ".git/HEAD", 1 },
	{ ".git/config", 1 }, { "node_modules/left-pad/index.js", 1 },
	{ "node_modules/.gitignore", 1 },
	{ "__pycache__/mod.cpython-311.pyc", 1 }, { "src/mod.pyc", 1 },
	{ ".DS_Store", 1 }, { "package-lock.json", 1 }, { "yarn.lock", 1 },
	{ "Cargo.lock", 1 }, { "assets/app.min.js", 1 },
	{ "assets/style.min.css", 1 }, { "assets/app.js.map", 1 },
	{ "assets/photo.jpg", 1 }, { "assets/manual.pdf", 1 },
	{ "build/out.txt", 1 }, { "vendor/lib.go", 1 }, { "bin/tool.sh", 1 },
	{ "pkg/x.go", 1 }, { "dist/bundle.js", 1 }, { "target/debug.txt", 1 },
	{ ".env", 1 }, { ".vscode/settings.json", 1 },
	{ ".idea/workspace.xml", 1 }, { "app.log", 1 },
	{ "logs.log/inner.txt", 1 }, { "docs/digest.txt", 1 },
	{ "src/Thumbs.db", 1 }, { ".gitattributes", 1 }, { ".gitmodules", 1 },
	{ "venv/pyvenv.cfg", 1 }, { "site.egg-info/PKG-INFO", 1 },
};

static void
test_ignore_fixture(void)
{
	size_t n = sizeof ignore_fixture / sizeof ignore_fixture[0], bad = 9;
	struct ignore ig;

	ignore_init(&ig);
	CHECK(ignore_add_defaults(&ig) == 0, "defaults");
	CHECK(ignore_add_file(&ig, S(""), S(fixture_gitignore), &bad) == 0 &&
	    bad == 0, ".gitignore bad %zu", bad);
	CHECK(ignore_add_file(&ig, S(""), S("notes/\n*.wip\n"), &bad) == 0,
	    ".gitingestignore");
	CHECK(ignore_add_file(&ig, S("node_modules"), S("*.md\n"), NULL) == 0,
	    "node_modules/.gitignore");
	CHECK(ignore_add_file(&ig, S("sub"), S("*.dat\n/local.txt\n"), &bad) ==
	    0, "sub/.gitignore");
	CHECK(ig.n == 133 + 12 + 2 + 1 + 2, "n %zu", ig.n);
	CHECK(ig.has_negation == 1, "has_negation");
	for (size_t i = 0; i < n; i++) {
		const struct want *w = &ignore_fixture[i];
		int got = walk_excluded(&ig, w->path);
		CHECK(got == w->excluded, "ignore fixture: \"%s\": got %d",
		    w->path, got);
	}
	/* logs/ became "logs": the directory entry itself is excluded */
	CHECK(ignore_match(&ig, S("logs")) == 1, "logs dir");
	CHECK(ignore_match(&ig, S("logs/keep.txt")) == 0,
	    "!logs/keep.txt alone un-ignores (but the walk never gets there)");
	ignore_free(&ig);
}

/* ------------------------------------------------------------ ignore files */

struct filecase {
	const char *dir;
	const char *data;
	size_t datalen;         /* 0: strlen(data) */
	const char *path;
	int excluded;           /* ignore_match() on path alone */
	size_t bad;
};

static const struct filecase file_cases[] = {
	/* leading '/' stripped and not re-anchored (spec 7.4) */
	{ "", "/rootonly.txt", 0, "src/rootonly.txt", 1, 0 },
	{ "", "//x", 0, "a/x", 1, 0 },
	{ "sub", "/local.txt", 0, "sub/local.txt", 1, 0 },
	{ "sub", "/local.txt", 0, "sub/deep/local.txt", 0, 0 },
	{ "sub", "/local.txt", 0, "local.txt", 0, 0 },
	/* prefixing anchors: "sub/" + "*.dat" */
	{ "sub", "*.dat", 0, "sub/x.dat", 1, 0 },
	{ "sub", "*.dat", 0, "sub/deep/y.dat", 0, 0 },
	{ "sub", "*.dat", 0, "x.dat", 0, 0 },
	{ "a/b", "c", 0, "a/b/c/d", 1, 0 },
	{ "a/b", "c", 0, "a/c", 0, 0 },
	/* trailing '/' dropped: logs/ -> logs, now matches files */
	{ "", "dir/", 0, "dir", 1, 0 },
	{ "", "dir/", 0, "x/dir", 1, 0 },
	{ "sub", "dir/", 0, "sub/dir", 1, 0 },
	/* "./" and "//" and "." removed; ".." kept */
	{ "", "./x", 0, "x", 1, 0 },
	{ "", "./x", 0, "a/x", 1, 0 },
	{ "sub", "./x", 0, "sub/x", 1, 0 },
	{ "", "a//b", 0, "a/b", 1, 0 },
	{ "", "a/./b/.", 0, "a/b", 1, 0 },
	{ "sub/./deep/", "x", 0, "sub/deep/x", 1, 0 },
	{ "", "a/../b", 0, "b", 0, 0 },
	{ "", "a/../b", 0, "a/../b", 1, 0 },
	/* a line of only '/' becomes the directory itself */
	{ "sub", "/", 0, "sub", 1, 0 },
	{ "sub", "/", 0, "sub/x", 1, 0 },
	{ "", "/", 0, "x", 0, 0 },
	{ "", ".", 0, "x", 0, 0 },
	/* negation kept in front of the prefixed pattern */
	{ "", "*.secret\n!keep.secret", 0, "keep.secret", 0, 0 },
	{ "", "*.secret\n!keep.secret", 0, "api.secret", 1, 0 },
	{ "", "!keep.secret\n*.secret", 0, "keep.secret", 1, 0 },
	{ "sub", "*.s\n!k.s", 0, "sub/k.s", 0, 0 },
	{ "sub", "*.s\n!/k.s", 0, "sub/k.s", 0, 0 },
	{ "sub", "*\n!", 0, "sub/x", 0, 0 },    /* "!" -> "!sub" */
	{ "", "*\n!", 0, "x", 1, 0 },           /* "!" -> "!." */
	/* comments, escapes, whitespace */
	{ "", "#x", 0, "#x", 0, 0 },
	{ "", "\\#hash.txt", 0, "#hash.txt", 1, 0 },
	{ "", "  #x", 0, "#x", 0, 0 },
	{ "", "spaced.txt   ", 0, "spaced.txt", 1, 0 },
	{ "", "\tx \t", 0, "x", 1, 0 },
	{ "", "x\\ ", 0, "x", 0, 1 },           /* "x\" after strip: invalid */
	{ "", "x\xc2\xa0", 0, "x", 1, 0 },      /* NBSP stripped (Python) */
	{ "", "\xef\xbb\xbfx", 0, "x", 0, 0 },  /* BOM is not whitespace */
	{ "", "\xef\xbb\xbfx", 0, "\xef\xbb\xbfx", 1, 0 },
	/* line ends: \n, \r\n, lone \r; no final newline */
	{ "", "a\r\nb", 0, "b", 1, 0 },
	{ "", "a\rb", 0, "b", 1, 0 },
	{ "", "a\rb", 0, "a", 1, 0 },
	{ "", "a\r\n\r\nb\n", 0, "b", 1, 0 },
	{ "", "a\vb", 0, "a\vb", 1, 0 },        /* \v does not end a line */
	/* bad lines are skipped and counted, the rest still applies */
	{ "", "\xff\nb", 0, "b", 1, 1 },
	{ "", "a\xc3\nb\n\xed\xa0\x80\nc", 0, "c", 1, 2 },
	{ "", "[z-a]\nb", 0, "b", 1, 1 },
	{ "", "x\\\ny", 0, "y", 1, 1 },
	{ "", "\xc3\xa9", 0, "\xc3\xa9", 1, 0 },
	/* NUL inside a line is an ordinary character */
	{ "", "a\0b\nc", 5, "a\0b", 0, 0 },
	{ "", "", 0, "x", 0, 0 },
	{ "", "\n\n\n", 0, "x", 0, 0 },
};

static void
test_files(void)
{
	size_t n = sizeof file_cases / sizeof file_cases[0];

	for (size_t i = 0; i < n; i++) {
		const struct filecase *c = &file_cases[i];
		size_t dl = c->datalen ? c->datalen : strlen(c->data);
		size_t bad = 99;
		struct ignore ig;
		int e, got;

		ignore_init(&ig);
		e = ignore_add_file(&ig, c->dir, strlen(c->dir), c->data, dl,
		    &bad);
		got = ignore_match(&ig, c->path, strlen(c->path));
		CHECK(e == 0, "file case %zu: error %d", i, e);
		CHECK(got == c->excluded, "file case %zu (dir \"%s\"): \"%s\": "
		    "got %d", i, c->dir, c->path, got);
		CHECK(bad == c->bad, "file case %zu: bad %zu", i, bad);
		ignore_free(&ig);
	}

	/* "a\0b" (NUL in a line) matches the path with the NUL */
	struct ignore ig;
	ignore_init(&ig);
	CHECK(ignore_add_file(&ig, S(""), S("a\0b\nc"), NULL) == 0, "nul");
	CHECK(ignore_match(&ig, S("a\0b")) == 1, "nul line matches");
	ignore_free(&ig);
}

/* ------------------------------------------------------------ splitter */

struct splitcase {
	const char *arg;
	const char *want;       /* pieces joined with '|' */
};

static const struct splitcase split_cases[] = {
	{ "src/*, tests *.md", "src/*|tests|*.md" },
	{ "a", "a" },
	{ "", "" },
	{ " , ,\t\n", "" },
	{ ",a,,b,", "a|b" },
	{ "a\\b\\c", "a/b/c" },
	{ "  x  ", "x" },
	{ "a\xc2\xa0" "b", "a|b" },             /* NBSP is \s in Python */
	{ "a\xe3\x80\x80" "b", "a|b" },         /* U+3000 too */
	{ "a\x1f" "b", "a|b" },                 /* so is U+001F */
	{ "a\xc2" "b", "a\xc2" "b" },           /* broken UTF-8 kept */
	{ "\xc3\xa9,x", "\xc3\xa9|x" },
	{ "a;b", "a;b" },
};

struct joined {
	char buf[256];
	size_t n;
};

static int
join_cb(void *ctx, const char *pat, size_t len)
{
	struct joined *j = ctx;

	if (j->n > 0)
		j->buf[j->n++] = '|';
	memcpy(j->buf + j->n, pat, len);
	j->n += len;
	j->buf[j->n] = '\0';
	return 0;
}

static int
stop_cb(void *ctx, const char *pat, size_t len)
{
	(void)pat;
	(void)len;
	return ++*(int *)ctx == 2 ? 42 : 0;
}

static void
test_split(void)
{
	size_t n = sizeof split_cases / sizeof split_cases[0];
	static char big[IGNORE_PATTERN_MAX + 8];
	int calls = 0;

	for (size_t i = 0; i < n; i++) {
		struct joined j = { .n = 0 };

		j.buf[0] = '\0';
		CHECK(ignore_split_user(split_cases[i].arg,
		    strlen(split_cases[i].arg), join_cb, &j) == 0, "split rc");
		CHECK(strcmp(j.buf, split_cases[i].want) == 0,
		    "split \"%s\": got \"%s\"", split_cases[i].arg, j.buf);
	}
	CHECK(ignore_split_user(S("a b c"), stop_cb, &calls) == 42 &&
	    calls == 2, "split stops on the callback's error");
	memset(big, 'x', sizeof big);
	CHECK(ignore_split_user(big, IGNORE_PATTERN_MAX, stop_cb, &calls) == 0,
	    "max-length piece");
	CHECK(ignore_split_user(big, sizeof big, stop_cb, &calls) ==
	    ERR_PATTERN, "over-long piece");
}

/* ------------------------------------------------------------ order, remove */

static void
test_order(void)
{
	struct ignore ig;

	ignore_init(&ig);
	CHECK(ignore_add(&ig, S("*.secret")) == 0, "add");
	CHECK(ignore_add(&ig, S("!keep.secret")) == 0, "add");
	CHECK(ignore_match(&ig, S("keep.secret")) == 0, "last wins (neg)");
	CHECK(ignore_match(&ig, S("a.secret")) == 1, "other still hidden");
	CHECK(ignore_add(&ig, S("keep.*")) == 0, "add");
	CHECK(ignore_match(&ig, S("keep.secret")) == 1, "last wins (pos)");
	ignore_remove(&ig, S("keep.*"));
	CHECK(ig.n == 2 && ignore_match(&ig, S("keep.secret")) == 0, "remove");
	ignore_remove(&ig, S("*.secre"));
	CHECK(ig.n == 2, "remove needs an exact string");
	/* duplicates are all removed, as from a Python set */
	CHECK(ignore_add(&ig, S("x")) == 0 && ignore_add(&ig, S("x")) == 0,
	    "dup");
	ignore_remove(&ig, S("x"));
	CHECK(ig.n == 2 && ignore_match(&ig, S("x")) == 0, "dup removed");
	ignore_free(&ig);
	CHECK(ig.n == 0 && ig.pats == NULL, "free resets");
	ignore_free(&ig);       /* twice is fine */
}

/* ------------------------------------------------------------ limits */

static void
test_limits(void)
{
	static char big[IGNORE_PATTERN_MAX + 2];
	struct ignore ig;
	int e = 0;
	size_t i;

	ignore_init(&ig);
	memset(big, 'a', sizeof big);
	CHECK(ignore_add(&ig, big, IGNORE_PATTERN_MAX) == 0, "max pattern");
	CHECK(ignore_add(&ig, big, IGNORE_PATTERN_MAX + 1) == ERR_PATTERN,
	    "over-long pattern");
	CHECK(ignore_match(&ig, big, IGNORE_PATTERN_MAX) == 1, "long match");
	ignore_free(&ig);

	/* count cap */
	ignore_init(&ig);
	for (i = 0; i < IGNORE_MAX_PATTERNS && e == 0; i++)
		e = ignore_add(&ig, S("a"));
	CHECK(e == 0 && ig.n == IGNORE_MAX_PATTERNS, "fill: %d", e);
	CHECK(ignore_add(&ig, S("b")) == ERR_PATTERN_COUNT, "count cap");
	CHECK(ignore_add_file(&ig, S(""), S("c\n"), NULL) == ERR_PATTERN_COUNT,
	    "count cap via file");
	ignore_free(&ig);

	/* byte cap: star-heavy max-size patterns */
	for (i = 0; i < IGNORE_PATTERN_MAX; i += 2) {
		big[i] = '*';
		big[i + 1] = '/';
	}
	ignore_init(&ig);
	e = 0;
	for (i = 0; i < IGNORE_MAX_PATTERNS && e == 0; i++)
		e = ignore_add(&ig, big, IGNORE_PATTERN_MAX);
	CHECK(e == ERR_PATTERN_COUNT && ig.bytes <= IGNORE_MAX_BYTES &&
	    ig.n < IGNORE_MAX_PATTERNS, "byte cap: %d after %zu", e, ig.n);
	ignore_free(&ig);
}

/* ------------------------------------------------------------ blowup */

static void
test_blowup(void)
{
	static char path[IGNORE_PATTERN_MAX + 1], pat[IGNORE_PATTERN_MAX + 1];
	clock_t t0 = clock();
	double secs;
	size_t i;

	memset(path, 'a', IGNORE_PATTERN_MAX);
	CHECK(ignore_match_one(S("a*a*a*a*a*a*a*a*a*b"), path,
	    IGNORE_PATTERN_MAX) == 0, "a*..b");
	CHECK(ignore_match_one(S("a*a*a*a*a*a*a*a*a*a"), path,
	    IGNORE_PATTERN_MAX) == 1, "a*..a");
	for (i = 0; i + 1 < IGNORE_PATTERN_MAX; i += 2) {
		pat[i] = 'a';
		pat[i + 1] = '*';
	}
	pat[IGNORE_PATTERN_MAX - 1] = 'b';
	CHECK(ignore_match_one(pat, IGNORE_PATTERN_MAX, path,
	    IGNORE_PATTERN_MAX) == 0, "2048 stars");
	/* "**" segments against a deep path */
	for (i = 0; i + 1 < IGNORE_PATTERN_MAX; i += 2) {
		path[i] = 'a';
		path[i + 1] = '/';
	}
	CHECK(ignore_match_one(S("a/**/a/**/a/**/a/**/a/**/b"), path,
	    IGNORE_PATTERN_MAX - 1) == 0, "** chain");
	CHECK(ignore_match_one(S("**/a/**/a/**/a/**/a/**/a"), path,
	    IGNORE_PATTERN_MAX - 1) == 1, "** chain match");
	for (i = 0; i + 3 < IGNORE_PATTERN_MAX; i += 3)
		memcpy(pat + i, "a/*", 3);
	CHECK(ignore_match_one(pat, i, path, IGNORE_PATTERN_MAX - 1) == 1,
	    "long a/*/a/* chain");
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	CHECK(secs < 5.0, "pathological patterns took %.2f s", secs);
}

/*
 * The byte and byte-pair prefilter in ignore_match() only skips patterns that
 * cannot match: the set's answer must equal the last match found by running
 * every pattern alone (ignore_match_one has no prefilter), over paths made
 * of fragments that share and miss the patterns' literals.
 */
static void
test_prefilter(void)
{
	static const char *const pats[] = {
		"/git-add", "*.o", "tags", "a?c", "[ab]x", "caf\xc3\xa9",
		"docs/**/x.md", "!keep.o", "\xff\xfe", "build/", "t/t1*-*.sh",
		"!t/t1000-x.sh", "Makefile", "*.tar.gz", "x", "ab",
	};
	static const char *const frags[] = {
		"git-add", "git", "-add", "a.o", "keep.o", "tags", "abc", "axc",
		"bx", "caf\xc3\xa9", "cafe", "docs", "x.md", "\xff\xfe", "\xfe",
		"build", "t1000-x.sh", "t1234-y.sh", "t", "Makefile", "a.tar.gz",
		"x", "ab", "ba",
	};
	struct ignore ig;
	char path[128];
	size_t nf = sizeof frags / sizeof frags[0], np = sizeof pats / sizeof pats[0];
	int bad = 0, n = 0, hits = 0;

	ignore_init(&ig);
	for (size_t i = 0; i < np; i++)
		CHECK(ignore_add(&ig, pats[i], strlen(pats[i])) == 0, "add %s", pats[i]);
	for (size_t a = 0; a < nf; a++)
		for (size_t b = 0; b <= nf; b++)
			for (size_t c = 0; c < 3; c++) {
				/* a, a/b, b/a, t/a, docs/q/a ... */
				static const char *const pre[] = { "", "t/", "docs/q/" };
				int len = b == nf ?
				    snprintf(path, sizeof path, "%s%s", pre[c], frags[a]) :
				    snprintf(path, sizeof path, "%s%s/%s", pre[c], frags[a], frags[b]);
				int want = 0;
				for (size_t i = np; i-- > 0;) {
					const char *q = pats[i];
					int neg = q[0] == '!';
					if (ignore_match_one(q + neg, strlen(q + neg), path,
					    (size_t)len)) {
						want = !neg;
						break;
					}
				}
				n++;
				hits += want;
				if (ignore_match(&ig, path, (size_t)len) != want && bad++ < 5)
					CHECK(0, "prefilter: %s: want %d", path, want);
			}
	CHECK(bad == 0, "prefilter: %d of %d paths differ", bad, n);
	CHECK(hits > n / 10 && hits < n - n / 10, "prefilter: %d of %d paths "
	    "ignored: the table should both match and miss", hits, n);
	ignore_free(&ig);
}

/*
 * The index of pattern shapes (ignore.c, "index") against every pattern
 * through its NFA (ignore_match_nfa): sets of random patterns of every shape
 * the index knows and of many it does not (globs, classes, "**", escapes,
 * negations, trailing spaces), added one by one and as a file in a
 * directory, and then with some removed; paths made of the same names,
 * some with a leading '/', a '\n', empty components or non-ASCII bytes.
 */
static uint32_t ix_rng = 12345;

static const char *
pick(const char *const *v, uint32_t n)
{
	ix_rng = ix_rng * 1103515245u + 12345u;
	return v[(ix_rng >> 16) % n];
}

static uint32_t
upto(uint32_t n)
{
	ix_rng = ix_rng * 1103515245u + 12345u;
	return (ix_rng >> 16) % n;
}

static void
test_index(void)
{
	static const char *const words[] = {
		"a", "b", "build", "node_modules", ".git", "x.o", "lib.so",
		"t", "foo-bar", "README.md", "\xc3\xa9t\xc3\xa9", "\xff", "c d",
		"Makefile", ".o", "o", "x.tar.gz", "*", "[ab]", "\n", "",
	};
	static const char *const decor[] = {
		"", "", "", "/", "*", "*.", "**/", "/**", "!", "\\", "?", " ",
		"[!x]", "a/", "/", "**", "\\ ",
	};
	const uint32_t nw = sizeof words / sizeof *words;
	const uint32_t nd = sizeof decor / sizeof *decor;
	int bad = 0, n = 0, hits = 0;
	char pat[256], path[256];

	for (int round = 0; round < 300; round++) {
		struct ignore ig;
		int np = 1 + (int)upto(40);
		ignore_init(&ig);
		if (round % 3 == 0)
			ignore_add_defaults(&ig);
		for (int k = 0; k < np; k++) {
			/* decor word decor [/ word decor] */
			const char *d1 = pick(decor, nd), *w1 = pick(words, nw);
			const char *d2 = pick(decor, nd), *w2 = pick(words, nw);
			const char *d3 = pick(decor, nd), *dir = pick(words, 3);
			int l = snprintf(pat, sizeof pat, "%s%s%s", d1, w1, d2);
			if (upto(3) == 0)
				snprintf(pat + l, sizeof pat - (size_t)l,
				    "/%s%s", w2, d3);
			if (round % 2 == 0)
				ignore_add(&ig, pat, strlen(pat));
			else
				ignore_add_file(&ig, dir, strlen(dir), pat,
				    strlen(pat), NULL);
		}
		for (int phase = 0; phase < 2; phase++) {
			for (int q = 0; q < 60; q++) {
				int parts = 1 + (int)upto(4), l = 0, want;
				if (upto(20) == 0)
					path[l++] = '/';
				for (int c = 0; c < parts && l < 200; c++) {
					const char *w = pick(words, nw);
					l += snprintf(path + l, sizeof path -
					    (size_t)l, "%s%s", c ? "/" : "", w);
				}
				want = ignore_match_nfa(&ig, path, (size_t)l);
				n++;
				hits += want;
				if (ignore_match(&ig, path, (size_t)l) != want &&
				    bad++ < 5)
					CHECK(0, "index: \"%s\": want %d", path,
					    want);
			}
			/* take some out: the index is built again */
			for (int r = 0; r < 3; r++) {
				const char *w = pick(words, nw);
				ignore_remove(&ig, w, strlen(w));
			}
		}
		ignore_free(&ig);
	}
	CHECK(bad == 0, "index: %d of %d (set, path) pairs differ", bad, n);
	CHECK(hits > n / 20 && hits < n - n / 20, "index: %d of %d ignored: "
	    "the sets should both match and miss", hits, n);
}

int
main(void)
{
	test_index();
	test_one();
	test_add();
	test_defaults();
	test_patterns_fixture();
	test_ignore_fixture();
	test_files();
	test_split();
	test_order();
	test_limits();
	test_blowup();
	test_prefilter();
	return T_DONE();
}
