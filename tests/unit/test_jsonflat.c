/*
 * test_jsonflat.c - the flat-JSON push parser (jsonflat.h) and its two
 * readers: the state file (state.h) and a local object's sidecar
 * (sink_sidecar_parse). Table-driven: each case is fed whole, byte by byte
 * and split at every offset, and must give the same result and the same
 * events each way.
 */
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "jsonflat.h"
#include "sink.h"
#include "state.h"
#include "t.h"

struct rec {
	char text[4096];        /* "key=val|" per event, "key[" per array */
	size_t len;
};

static int
on_value(void *ctx, const char *key, const char *val, size_t len,
    int in_array, int cut)
{
	struct rec *r = ctx;

	(void)len;
	r->len += (size_t)snprintf(r->text + r->len, sizeof r->text - r->len,
	    val == NULL ? "%s[|" : "%s%s%s%s|", key, in_array ? ":" : "=",
	    val != NULL ? val : "", cut ? "~" : "");
	return 0;
}

/* Feed s in pieces of `step` bytes (0: whole), or split once at `at`. */
static int
feed(const char *s, size_t n, size_t step, size_t at, struct rec *r)
{
	struct jsonflat jf;

	memset(r, 0, sizeof *r);
	jsonflat_init(&jf, on_value, r);
	if (at > 0) {
		jsonflat_push(&jf, s, at);
		jsonflat_push(&jf, s + at, n - at);
	} else if (step == 0) {
		jsonflat_push(&jf, s, n);
	} else {
		for (size_t i = 0; i < n; i += step)
			jsonflat_push(&jf, s + i, n - i < step ? n - i : step);
	}
	return jsonflat_end(&jf, NULL);
}

struct jcase {
	const char *in;
	int want;               /* 0 or ERR_JSON */
	const char *events;     /* for want == 0 */
};

static const struct jcase jcases[] = {
	{ "{}", 0, "" },
	{ " \t\r\n{ } \n", 0, "" },
	{ "{\"a\":\"b\"}", 0, "a=b|" },
	{ "{\"a\" : [ \"x\" , \"y\" ] , \"b\":\"\"}", 0, "a[|a:x|a:y|b=|" },
	{ "{\"done\":[]}", 0, "done[|" },
	{ "{\"e\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}", 0, "e=\"\\/\b\f\n\r\t|" },
	{ "{\"u\":\"\\u00e9\\u20AC\\ud83d\\ude00\"}", 0,
	    "u=\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|" },
	{ "{\"raw\":\"\xc3\xa9\"}", 0, "raw=\xc3\xa9|" },
	/* refused */
	{ "", ERR_JSON, NULL },
	{ "[]", ERR_JSON, NULL },
	{ "{", ERR_JSON, NULL },
	{ "{\"a\":\"b\"", ERR_JSON, NULL },
	{ "{\"a\":\"b\",}", ERR_JSON, NULL },
	{ "{\"a\":1}", ERR_JSON, NULL },
	{ "{\"a\":null}", ERR_JSON, NULL },
	{ "{\"a\":[\"b\",]}", ERR_JSON, NULL },
	{ "{\"a\":[[]]}", ERR_JSON, NULL },
	{ "{\"a\":{}}", ERR_JSON, NULL },
	{ "{\"a\":\"b\"} {}", ERR_JSON, NULL },
	{ "{\"a\":\"b\nc\"}", ERR_JSON, NULL },
	{ "{\"a\":\"\\u0000\"}", ERR_JSON, NULL },
	{ "{\"a\":\"\\ud800\"}", ERR_JSON, NULL },
	{ "{\"a\":\"\\ud800\\u0041\"}", ERR_JSON, NULL },
	{ "{\"a\":\"\\udc00\"}", ERR_JSON, NULL },
	{ "{\"a\":\"\\x41\"}", ERR_JSON, NULL },
	{ "{\"a\":\"\\u12G4\"}", ERR_JSON, NULL },
	{ "{a:\"b\"}", ERR_JSON, NULL },
	{ "\xef\xbb\xbf{}", ERR_JSON, NULL },
	{ "{}\v", ERR_JSON, NULL },
};

static void
test_cases(void)
{
	for (size_t k = 0; k < sizeof jcases / sizeof jcases[0]; k++) {
		const struct jcase *c = &jcases[k];
		size_t n = strlen(c->in);
		struct rec whole, other;
		int e = feed(c->in, n, 0, 0, &whole);
		CHECK(e == c->want, "case %zu (%s): got %d want %d", k, c->in, e,
		    c->want);
		if (e == 0 && c->events != NULL)
			CHECK(strcmp(whole.text, c->events) == 0,
			    "case %zu: events %s, want %s", k, whole.text,
			    c->events);
		/* byte by byte and split at every offset: the same */
		CHECK(feed(c->in, n, 1, 0, &other) == e &&
		    strcmp(other.text, whole.text) == 0, "case %zu byte by byte",
		    k);
		for (size_t at = 1; at < n; at++)
			if (feed(c->in, n, 0, at, &other) != e ||
			    strcmp(other.text, whole.text) != 0)
				CHECK(0, "case %zu split at %zu", k, at);
	}
}

/* values over the cap come cut, keys over theirs as "" */
static void
test_limits(void)
{
	char doc[3000];
	struct rec r;
	size_t n;

	n = (size_t)snprintf(doc, sizeof doc, "{\"k\":\"%01100d\",\"%070d\":\"v\"}",
	    0, 0);
	CHECK(feed(doc, n, 0, 0, &r) == 0, "long value and key parse");
	CHECK(strstr(r.text, "~|") != NULL && strstr(r.text, "|=v|") != NULL,
	    "cut value and key: %.80s", r.text);
}

static size_t ndone;
static char last[256];

static void
on_done(void *ctx, const char *name, size_t n)
{
	(void)ctx;
	ndone++;
	snprintf(last, sizeof last, "%.*s", (int)n, name);
}

static int
state(const char *s)
{
	struct state_reader r;
	struct err_ctx ec;

	memset(&ec, 0, sizeof ec);
	ndone = 0;
	last[0] = '\0';
	state_reader_init(&r, on_done, NULL);
	state_push(&r, s, strlen(s));
	return state_end(&r, &ec);
}

static void
test_state(void)
{
	/* what cJSON_Print writes for a run's state */
	CHECK(state("{\n\t\"done\":\t[\"o/a\", \"o/b\"],\n\t\"failed\":\t[],\n"
	    "\t\"pending\":\t[\"o/c\"]\n}") == 0 && ndone == 2 &&
	    strcmp(last, "o/b") == 0, "a written state: %zu %s", ndone, last);
	CHECK(state("{\"done\":[]}") == 0 && ndone == 0, "empty done");
	CHECK(state("{\"pending\":[\"a/b\"]}") == ERR_UNSUPPORTED,
	    "no done array");
	CHECK(state("{\"done\":\"a/b\"}") == ERR_UNSUPPORTED, "done not array");
	CHECK(state("[\"a/b\"]") == ERR_UNSUPPORTED, "not an object");
	CHECK(state("{\"done\":[\"a/b\"") == ERR_UNSUPPORTED, "cut short");
}

static void
test_sidecar(void)
{
	static const char meta[] = "{\"pushedat\": \"2025-01-01T00:00:00Z\",\n"
	    " \"url\": \"https://github.com/o/r\",\n \"processedat\": \"x\",\n"
	    " \"commit\": \"abc\",\n \"generator\": \"repodigest/0.1.0 "
	    "digest/1 max-output/0\",\n \"content-type\": \"text/plain\",\n"
	    " \"size\": \"12\",\n \"sha256\": \"ff\"}\n";
	struct sink_sidecar sc;

	CHECK(sink_sidecar_parse((const uint8_t *)meta, sizeof meta - 1,
	    &sc) == 0 && strcmp(sc.m.pushedat, "2025-01-01T00:00:00Z") == 0 &&
	    strcmp(sc.m.commit, "abc") == 0 && strcmp(sc.size, "12") == 0 &&
	    strcmp(sc.sha256, "ff") == 0 && !sc.m.found &&
	    strcmp(sc.m.generator, "repodigest/0.1.0 digest/1 max-output/0") == 0,
	    "a written sidecar");
	/* the first of a duplicated key counts, as the old reader's did */
	CHECK(sink_sidecar_parse((const uint8_t *)"{\"size\":\"1\",\"size\":\"2\"}",
	    23, &sc) == 0 && strcmp(sc.size, "1") == 0, "duplicate: %s",
	    sc.size);
	CHECK(sink_sidecar_parse((const uint8_t *)"{\"size\":[\"1\"]}", 14,
	    &sc) == ERR_JSON, "an array is no sidecar");
	CHECK(sink_sidecar_parse((const uint8_t *)"{\"size\":\"1\"", 11,
	    &sc) == ERR_JSON, "cut short");
}

int
main(void)
{
	test_cases();
	test_limits();
	test_state();
	test_sidecar();
	return T_DONE();
}
