/*
 * test_notebook.c - notebook_convert() against gitingest 0.3.1.
 *
 * The first case is the mixed fixture's notebooks/demo.ipynb (the JSON is
 * copied from make-fixtures.sh, the body from expected/mixed/digest.txt).
 * The table after it was produced by running gitingest 0.3.1's
 * utils/notebook.py (process_notebook with the "Error processing notebook:
 * {exc}" wrapper of FileSystemNode.content) under CPython 3.11.7 on each
 * input; only "Invalid JSON in notebook" drops the temp path gitingest
 * prints after it.
 */
#include <string.h>

#include "buf.h"
#include "err.h"
#include "notebook.h"
#include "t.h"

static const char demo_json[] =
	    "{\"cells\":[{\"cell_type\":\"markdown\",\"metadata\":{},\"source\":"
	    "[\"# Title\\n\",\"Some *text*\"]},{\"cell_type\":\"code\",\"executi"
	    "on_count\":1,\"metadata\":{},\"outputs\":[{\"name\":\"stdout\",\"ou"
	    "tput_type\":\"stream\",\"text\":[\"hello\\n\",\"world\\n\"]}],\"sourc"
	    "e\":[\"print(\\\"hello\\\")\\n\",\"print(\\\"world\\\")\"]},{\"cell_type"
	    "\":\"code\",\"execution_count\":2,\"metadata\":{},\"outputs\":[{\"d"
	    "ata\":{\"text/plain\":[\"42\"]},\"execution_count\":2,\"metadata\""
	    ":{},\"output_type\":\"execute_result\"}],\"source\":[\"6 * 7\"]},"
	    "{\"cell_type\":\"code\",\"execution_count\":3,\"metadata\":{},\"ou"
	    "tputs\":[{\"ename\":\"ZeroDivisionError\",\"evalue\":\"division b"
	    "y zero\",\"output_type\":\"error\",\"traceback\":[]}],\"source\":\""
	    "1 / 0\"},{\"cell_type\":\"raw\",\"metadata\":{},\"source\":\"raw ce"
	    "ll\"},{\"cell_type\":\"code\",\"metadata\":{},\"outputs\":[],\"sour"
	    "ce\":[]}],\"metadata\":{},\"nbformat\":4,\"nbformat_minor\":5}";

static const char demo_body[] =
	    "# Jupyter notebook converted to Python script.\n"
	    "\n"
	    "\"\"\"\n"
	    "# Title\n"
	    "Some *text*\n"
	    "\"\"\"\n"
	    "\n"
	    "print(\"hello\")\n"
	    "print(\"world\")\n"
	    "# Output:\n"
	    "#   hello\n"
	    "\n"
	    "#   world\n"
	    "\n"
	    "\n"
	    "6 * 7\n"
	    "# Output:\n"
	    "#   42\n"
	    "\n"
	    "1 / 0\n"
	    "# Output:\n"
	    "#   Error: ZeroDivisionError: division by zero\n"
	    "\n"
	    "\"\"\"\n"
	    "raw cell\n"
	    "\"\"\"\n";

struct nbcase {
	const char *in;
	size_t n;
	const char *body;
};

/* Expected bodies came from gitingest's notebook.py run by CPython 3.11.7. */
static const struct nbcase cases[] = {
	/* not JSON */
	{ "{\"cells\": [}", 12,
	    "Error processing notebook: Invalid JSON in notebook" },
	/* empty file */
	{ "", 0,
	    "Error processing notebook: Invalid JSON in notebook" },
	/* BOM */
	{ "\xef\xbb\xbf{\"cells\": []}", 16,
	    "Error processing notebook: Invalid JSON in notebook" },
	/* trailing data */
	{ "{\"cells\": []} x", 15,
	    "Error processing notebook: Invalid JSON in notebook" },
	/* leading zero */
	{ "{\"cells\": [], \"n\": 01}", 22,
	    "Error processing notebook: Invalid JSON in notebook" },
	/* control char in string */
	{ "{\"cells\": [{\"cell_type\": \"code\", \"source\": \"a\x01\"}]}", 50,
	    "Error processing notebook: Invalid JSON in notebook" },
	/* invalid UTF-8 */
	{ "{\"cells\": [{\"cell_type\": \"code\", \"source\": \"caf\xe9\"}]}", 52,
	    "Error processing notebook: 'utf-8' codec can't decode byte 0xe9 in position 47: invalid continuation byte" },
	/* truncated UTF-8 */
	{ "{\"cells\": [{\"cell_type\": \"code\", \"source\": \"\xe2\x82", 46,
	    "Error processing notebook: 'utf-8' codec can't decode bytes in position 44-45: unexpected end of data" },
	/* top level list */
	{ "[1, 2]", 6,
	    "Error processing notebook: 'list' object has no attribute 'get'" },
	/* top level string */
	{ "\"cells\"", 7,
	    "Error processing notebook: 'str' object has no attribute 'get'" },
	/* top level null */
	{ "null", 4,
	    "Error processing notebook: 'NoneType' object has no attribute 'get'" },
	/* no cells */
	{ "{\"metadata\": {}}", 16,
	    "Error processing notebook: 'cells'" },
	/* cells null */
	{ "{\"cells\": null}", 15,
	    "Error processing notebook: 'NoneType' object is not iterable" },
	/* cells number */
	{ "{\"cells\": 3}", 12,
	    "Error processing notebook: 'int' object is not iterable" },
	/* cells string */
	{ "{\"cells\": \"ab\"}", 15,
	    "Error processing notebook: string indices must be integers, not 'str'" },
	/* cells dict */
	{ "{\"cells\": {\"a\": 1}}", 19,
	    "Error processing notebook: string indices must be integers, not 'str'" },
	/* cell is list */
	{ "{\"cells\": [[1]]}", 16,
	    "Error processing notebook: list indices must be integers or slices, not str" },
	/* cell is int */
	{ "{\"cells\": [5]}", 14,
	    "Error processing notebook: 'int' object is not subscriptable" },
	/* no cell_type */
	{ "{\"cells\": [{\"source\": \"x\"}]}", 28,
	    "Error processing notebook: 'cell_type'" },
	/* unknown cell type */
	{ "{\"cells\": [{\"cell_type\": \"heading\", \"source\": \"x\"}]}", 52,
	    "Error processing notebook: Unknown cell type: heading" },
	/* cell type float */
	{ "{\"cells\": [{\"cell_type\": 1.0, \"source\": \"x\"}]}", 46,
	    "Error processing notebook: Unknown cell type: 1.0" },
	/* cell type list */
	{ "{\"cells\": [{\"cell_type\": [\"a\", 1e16, null, true, \"it's\"], \"source\": \"x\"}]}", 74,
	    "Error processing notebook: Unknown cell type: ['a', 1e+16, None, True, \"it's\"]" },
	/* cell type dict */
	{ "{\"cells\": [{\"cell_type\": {\"k\": 1, \"k\": 2, \"j\": 1e-5}}]}", 55,
	    "Error processing notebook: Unknown cell type: {'k': 2, 'j': 1e-05}" },
	/* no source */
	{ "{\"cells\": [{\"cell_type\": \"code\"}]}", 34,
	    "Error processing notebook: 'source'" },
	/* source int */
	{ "{\"cells\": [{\"cell_type\": \"code\", \"source\": 1}]}", 47,
	    "Error processing notebook: can only join an iterable" },
	/* source list with int */
	{ "{\"cells\": [{\"cell_type\": \"code\", \"source\": [\"a\", 2]}]}", 54,
	    "Error processing notebook: sequence item 1: expected str instance, int found" },
	/* source dict joins keys */
	{ "{\"cells\": [{\"cell_type\": \"raw\", \"source\": {\"x\": 1, \"y\": 2, \"x\": 3}}]}", 69,
	    "# Jupyter notebook converted to Python script.\n\n\"\"\"\nxy\n\"\"\"\n" },
	/* duplicate key, last wins */
	{ "{\"cells\": [{\"cell_type\": \"raw\", \"source\": \"first\", \"source\": \"last\"}]}", 70,
	    "# Jupyter notebook converted to Python script.\n\n\"\"\"\nlast\n\"\"\"\n" },
	/* empty cells skipped */
	{ "{\"cells\": [{\"cell_type\": \"code\", \"source\": []}, {\"cell_type\": \"markdown\", \"source\": \"\"}]}", 89,
	    "# Jupyter notebook converted to Python script.\n" },
	/* stream text string: one line per character */
	{ "{\"cells\": [{\"cell_type\": \"code\", \"source\": \"p\", \"outputs\": [{\"output_type\": \"stream\", \"text\": \"hi\\n\"}]}]}", 105,
	    "# Jupyter notebook converted to Python script.\n\np\n# Output:\n#   h\n#   i\n#   \n\n" },
	/* outputs empty list */
	{ "{\"cells\": [{\"cell_type\": \"code\", \"source\": \"p\", \"outputs\": []}]}", 64,
	    "# Jupyter notebook converted to Python script.\n\np\n" },
	/* outputs missing */
	{ "{\"cells\": [{\"cell_type\": \"code\", \"source\": \"p\"}]}", 49,
	    "# Jupyter notebook converted to Python script.\n\np\n" },
	/* outputs true */
	{ "{\"cells\": [{\"cell_type\": \"code\", \"source\": \"p\", \"outputs\": true}]}", 66,
	    "Error processing notebook: 'bool' object is not iterable" },
	/* outputs zero */
	{ "{\"cells\": [{\"cell_type\": \"code\", \"source\": \"p\", \"outputs\": 0}]}", 63,
	    "# Jupyter notebook converted to Python script.\n\np\n" },
	/* output stream, empty text list */
	{ "{\"cells\": [{\"cell_type\": \"code\", \"source\": \"p\", \"outputs\": [{\"output_type\": \"stream\", \"text\": []}]}]}", 101,
	    "# Jupyter notebook converted to Python script.\n\np\n# Output:\n#   \n" },
	/* display_data without text/plain */
	{ "{\"cells\": [{\"cell_type\": \"code\", \"source\": \"p\", \"outputs\": [{\"output_type\": \"display_data\", \"data\": {\"image/png\": \"x\"}}]}]}", 123,
	    "Error processing notebook: 'text/plain'" },
	/* unknown output type */
	{ "{\"cells\": [{\"cell_type\": \"code\", \"source\": \"p\", \"outputs\": [{\"output_type\": \"weird\"}]}]}", 88,
	    "Error processing notebook: Unknown output type: weird" },
	/* error output non-string evalue */
	{ "{\"cells\": [{\"cell_type\": \"code\", \"source\": \"p\", \"outputs\": [{\"output_type\": \"error\", \"ename\": \"E\", \"evalue\": [1, \"x\"]}]}]}", 122,
	    "# Jupyter notebook converted to Python script.\n\np\n# Output:\n#   Error: E: [1, 'x']\n" },
	/* error output missing evalue */
	{ "{\"cells\": [{\"cell_type\": \"code\", \"source\": \"p\", \"outputs\": [{\"output_type\": \"error\", \"ename\": \"E\"}]}]}", 102,
	    "Error processing notebook: 'evalue'" },
	/* non-string output line */
	{ "{\"cells\": [{\"cell_type\": \"code\", \"source\": \"p\", \"outputs\": [{\"output_type\": \"stream\", \"text\": [\"a\", 5]}]}]}", 107,
	    "Error processing notebook: sequence item 1: expected str instance, int found" },
	/* join error loses to later exception */
	{ "{\"cells\": [{\"cell_type\": \"code\", \"source\": \"p\", \"outputs\": [{\"output_type\": \"stream\", \"text\": [5]}, {\"output_type\": \"x\"}]}]}", 124,
	    "Error processing notebook: Unknown output type: x" },
	/* text/plain int */
	{ "{\"cells\": [{\"cell_type\": \"code\", \"source\": \"p\", \"outputs\": [{\"output_type\": \"execute_result\", \"data\": {\"text/plain\": 42}}]}]}", 125,
	    "Error processing notebook: 'int' object is not iterable" },
	/* worksheets */
	{ "{\"worksheets\": [{\"cells\": [{\"cell_type\": \"code\", \"source\": \"a\"}]}, {\"cells\": [{\"cell_type\": \"markdown\", \"source\": [\"b\"]}]}]}", 124,
	    "# Jupyter notebook converted to Python script.\n\na\n\n\"\"\"\nb\n\"\"\"\n" },
	/* worksheets empty falls back to cells */
	{ "{\"worksheets\": [], \"cells\": [{\"cell_type\": \"raw\", \"source\": \"r\"}]}", 66,
	    "# Jupyter notebook converted to Python script.\n\n\"\"\"\nr\n\"\"\"\n" },
	/* worksheets number */
	{ "{\"worksheets\": 2}", 17,
	    "Error processing notebook: object of type 'int' has no len()" },
	/* worksheets cells missing, before any cell error */
	{ "{\"worksheets\": [{\"cells\": [{\"cell_type\": \"bad\"}]}, {}]}", 55,
	    "Error processing notebook: 'cells'" },
	/* NaN and Infinity are JSON to Python */
	{ "{\"cells\": [{\"cell_type\": NaN}]}", 31,
	    "Error processing notebook: Unknown cell type: nan" },
	/* -Infinity */
	{ "{\"cells\": [{\"cell_type\": [-Infinity, Infinity, -0, -0.0, 1E400]}]}", 66,
	    "Error processing notebook: Unknown cell type: [-inf, inf, 0, -0.0, inf]" },
	/* big int */
	{ "{\"cells\": [{\"cell_type\": 123456789012345678901234567890123456789012345678901234567890123456789}]}", 97,
	    "Error processing notebook: Unknown cell type: 123456789012345678901234567890123456789012345678901234567890123456789" },
	/* repr quoting */
	{ "{\"cells\": [{\"cell_type\": [\"a'b\", \"a\\\"b\", \"a'\\\"b\", \"\\t\\n\\u0001\\\\\", \"\\u00a0\\u00e9\"]}]}", 84,
	    "Error processing notebook: Unknown cell type: [\"a'b\", 'a\"b', 'a\\'\"b', '\\t\\n\\x01\\\\', '\\xa0\xc3\xa9']" },
	/* non-ASCII source and Sigma */
	{ "{\"cells\": [{\"cell_type\": \"markdown\", \"source\": [\"\xce\xa3 caf\xc3\xa9 \xf0\x9f\x98\x80\"]}]}", 67,
	    "# Jupyter notebook converted to Python script.\n\n\"\"\"\n\xce\xa3 caf\xc3\xa9 \xf0\x9f\x98\x80\n\"\"\"\n" },
	/* escapes decoded */
	{ "{\"cells\": [{\"cell_type\": \"code\", \"source\": \"\\u20ac\\ud83d\\ude00\\/\\b\"}]}", 70,
	    "# Jupyter notebook converted to Python script.\n\n\xe2\x82\xac\xf0\x9f\x98\x80/\x08\n" },
};

static void
check_case(const char *in, size_t n, const char *want, const char *name)
{
	struct buf out;
	int rc;

	/* a prefix already in the buffer must be kept */
	buf_init(&out, 1 << 20);
	buf_puts(&out, "X");
	rc = notebook_convert(in, n, &out);
	CHECK(rc == ERR_OK, "%s: rc %d", name, rc);
	CHECK(out.len == 1 + strlen(want) && out.p[0] == 'X' &&
	    memcmp(out.p + 1, want, strlen(want)) == 0,
	    "%s: got \"%.*s\"", name, (int)out.len, (const char *)out.p);
	buf_free(&out);
}

/*
 * Nesting: 1000 levels are JSON to both; at 1001 cJSON stops, and we give
 * Python's RecursionError text (Python's own threshold is a little lower
 * and depends on its call stack; see notebook.c).
 */
static void
test_nesting(void)
{
	static char deep[2 * 1001 + 2];

	memset(deep, '[', 1000);
	memset(deep + 1000, ']', 1000);
	check_case(deep, 2000, "Error processing notebook: 'list' object has "
	    "no attribute 'get'", "1000 levels");
	memset(deep, '[', 1001);
	memset(deep + 1001, ']', 1001);
	check_case(deep, 2002, "Error processing notebook: maximum recursion "
	    "depth exceeded while decoding a JSON array from a unicode string",
	    "1001 levels");
	deep[1000] = '{';
	check_case(deep, 1001, "Error processing notebook: maximum recursion "
	    "depth exceeded while decoding a JSON object from a unicode "
	    "string", "1001st is an object, truncated");
}

static void
test_limits(void)
{
	struct buf out;
	size_t need = strlen(demo_body);
	int rc;

	/* exactly enough room */
	buf_init(&out, need);
	rc = notebook_convert(demo_json, strlen(demo_json), &out);
	CHECK(rc == ERR_OK && out.len == need, "exact cap: rc %d", rc);
	buf_free(&out);

	/* one byte short: ERR_LIMIT and nothing appended */
	buf_init(&out, need + 2);
	buf_puts(&out, "ab");
	out.cap = need + 1;
	rc = notebook_convert(demo_json, strlen(demo_json), &out);
	CHECK(rc == ERR_LIMIT && out.len == 2, "short cap: rc %d len %zu",
	    rc, out.len);
	buf_free(&out);
}

/*
 * The tree's memory cap: a notebook of many tiny values (each ~64 bytes of
 * tree) gets the cannot-convert body and *limited; the same notebook under a
 * larger cap converts; and threads converting at once agree (nothing is
 * shared between calls).
 */
#include <pthread.h>
#include <stdlib.h>

static char *many_json;
static size_t many_len;

static char *
make_many(size_t count, size_t *len)
{
	static const char head[] = "{\"cells\":[{\"cell_type\":\"code\","
	    "\"outputs\":[],\"source\":[";
	static const char tail[] = "]}],\"metadata\":{},\"nbformat\":4}";
	char *p = malloc(sizeof head + count * 6 + sizeof tail), *q = p;

	memcpy(q, head, sizeof head - 1);
	q += sizeof head - 1;
	for (size_t i = 0; i < count; i++) {
		memcpy(q, i ? ",\"a\\n\"" : "\"a\\n\"", i ? 6 : 5);
		q += i ? 6 : 5;
	}
	memcpy(q, tail, sizeof tail - 1);
	q += sizeof tail - 1;
	*len = (size_t)(q - p);
	return p;
}

static void *
convert_thread(void *arg)
{
	struct buf *out = arg;

	notebook_convert(many_json, many_len, out);
	return NULL;
}

static void
test_tree_cap(void)
{
	struct buf out, ref;
	int limited = 0, rc;
	pthread_t th[4];
	struct buf res[4];

	many_json = make_many(20000, &many_len);
	buf_init(&out, 1 << 22);
	rc = notebook_convert_capped(many_json, many_len, &out, 256u << 10,
	    &limited);
	CHECK(rc == ERR_OK && limited == 1, "small cap: rc %d limited %d", rc,
	    limited);
	CHECK(out.len > 0 && strstr((const char *)out.p, "Error processing "
	    "notebook: notebook needs more than") == (const char *)out.p,
	    "cannot-convert body: %.*s", (int)out.len, (const char *)out.p);
	buf_free(&out);

	buf_init(&ref, 1 << 22);
	limited = 0;
	rc = notebook_convert_capped(many_json, many_len, &ref, 16u << 20,
	    &limited);
	CHECK(rc == ERR_OK && limited == 0 && ref.len > 20000 * 2,
	    "default cap converts: rc %d limited %d len %zu", rc, limited,
	    ref.len);

	for (int i = 0; i < 4; i++) {
		buf_init(&res[i], 1 << 22);
		pthread_create(&th[i], NULL, convert_thread, &res[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		CHECK(res[i].len == ref.len && memcmp(res[i].p, ref.p,
		    ref.len) == 0, "thread %d: same conversion", i);
		buf_free(&res[i]);
	}
	buf_free(&ref);
	free(many_json);
}

int
main(void)
{
	char name[32];

	check_case(demo_json, strlen(demo_json), demo_body, "demo.ipynb");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(name, sizeof name, "case %zu", i);
		check_case(cases[i].in, cases[i].n, cases[i].body, name);
	}
	test_nesting();
	test_limits();
	test_tree_cap();
	return T_DONE();
}
