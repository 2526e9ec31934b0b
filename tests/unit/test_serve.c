/*
 * test_serve.c - the service's smaller parts: the JSON writer (escaping,
 * separators, sticky errors, checked by parsing the output back with
 * cJSON), Server-Sent Events lines (a payload cannot end an event early),
 * topics and subscribers (caps, dedup, drop during a publish, the order
 * turning round), webhook signatures (GitHub's documented example) and
 * push payloads, and the request bodies (every form of repo, every refusal
 * naming its field).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "body.h"
#include "err.h"
#include "hook.h"
#include "job.h"
#include "jsonw.h"
#include "pubsub.h"
#include "render.h"
#include "sse.h"
#include "t.h"

/* ------------------------------------------------------------ jsonw */

static void
test_jsonw(void)
{
	struct buf b;
	struct jw w;
	cJSON *j;
	static const char nasty[] = "a\"b\\c\n\r\t\x01\x7f\xff\xc0\xaf"
	    "\xe2\x82\xac\xed\xa0\x80\xf4\x90\x80\x80 end";

	buf_init(&b, 1 << 16);
	jw_init(&w, &b);
	jw_obj(&w);
	jw_key(&w, "s");
	jw_strn(&w, nasty, sizeof nasty - 1);
	jw_key(&w, "n");
	jw_int(&w, -42);
	jw_key(&w, "u");
	jw_uint(&w, UINT64_C(18446744073709551615));
	jw_key(&w, "a");
	jw_arr(&w);
	jw_bool(&w, 1);
	jw_bool(&w, 0);
	jw_null(&w);
	jw_str(&w, NULL);
	jw_obj(&w);
	jw_obj_end(&w);
	jw_arr(&w);
	jw_arr_end(&w);
	jw_raw(&w, "{\"r\":1}", 7);
	jw_arr_end(&w);
	jw_key(&w, "k\"ey");
	jw_str(&w, "");
	jw_obj_end(&w);
	CHECK(jw_error(&w) == 0, "no error");
	j = cJSON_ParseWithLength((const char *)b.p, b.len);
	CHECK(j != NULL, "parses back: %.*s", (int)b.len, b.p);
	if (j != NULL) {
		const cJSON *s = cJSON_GetObjectItem(j, "s");
		const cJSON *a = cJSON_GetObjectItem(j, "a");
		CHECK(cJSON_IsString(s) && strcmp(s->valuestring,
		    "a\"b\\c\n\r\t\x01\x7f\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
		    "\xe2\x82\xac\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
		    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd end") == 0,
		    "string round trip, bad UTF-8 as U+FFFD: %s",
		    cJSON_IsString(s) ? s->valuestring : "?");
		CHECK(cJSON_GetArraySize(a) == 7, "array of 7");
		CHECK(cJSON_GetObjectItem(j, "k\"ey") != NULL, "escaped key");
		cJSON_Delete(j);
	}
	CHECK(memchr(b.p, '\n', b.len) == NULL, "one line");

	/* misuse is an error, not bad JSON */
	buf_reset(&b);
	jw_init(&w, &b);
	jw_obj(&w);
	jw_str(&w, "no key");
	CHECK(jw_error(&w) == ERR_USAGE, "value without key");
	jw_init(&w, &b);
	jw_arr(&w);
	jw_key(&w, "k");
	CHECK(jw_error(&w) == ERR_USAGE, "key in an array");
	jw_init(&w, &b);
	jw_obj(&w);
	jw_arr_end(&w);
	CHECK(jw_error(&w) == ERR_USAGE, "mismatched end");
	jw_init(&w, &b);
	for (int i = 0; i <= JW_DEPTH; i++)
		jw_arr(&w);
	CHECK(jw_error(&w) == ERR_USAGE, "too deep");
	buf_free(&b);
	/* the buffer's cap: sticky, nothing more written */
	buf_init(&b, 8);
	jw_init(&w, &b);
	jw_arr(&w);
	jw_str(&w, "a long string");
	jw_int(&w, 1);
	CHECK(jw_error(&w) == ERR_LIMIT && b.len <= 8, "cap");
	buf_free(&b);
}

/* ------------------------------------------------------------ sse */

static void
test_sse(void)
{
	struct buf b;
	const char *want = "id: 7\nevent: progress\ndata: a\ndata: b\n"
	    "data: \ndata: c\ndata: \n\n";

	buf_init(&b, 4096);
	CHECK(sse_event(&b, "7", "progress", (const uint8_t *)"a\nb\r\n\rc\n",
	    8) == 0 && b.len == strlen(want) && memcmp(b.p, want, b.len) == 0,
	    "lines split on CR, LF and CRLF: %.*s", (int)b.len, b.p);
	buf_reset(&b);
	CHECK(sse_event(&b, NULL, NULL, (const uint8_t *)"", 0) == 0 &&
	    b.len == 8 && memcmp(b.p, "data: \n\n", 8) == 0, "empty event");
	buf_reset(&b);
	CHECK(sse_event(&b, "1\n", NULL, (const uint8_t *)"x", 1) ==
	    ERR_USAGE && b.len == 0, "id with LF refused");
	CHECK(sse_event(&b, NULL, "a\rb", (const uint8_t *)"x", 1) ==
	    ERR_USAGE, "event with CR refused");
	CHECK(sse_comment(&b, "keep-alive") == 0 && b.len == 14 &&
	    memcmp(b.p, ": keep-alive\n\n", 14) == 0, "comment");
	buf_reset(&b);
	CHECK(sse_retry(&b, 2000) == 0 && b.len == 13, "retry");
	buf_free(&b);
	buf_init(&b, 10);
	CHECK(sse_event(&b, NULL, NULL, (const uint8_t *)"0123456789", 10) ==
	    ERR_LIMIT && b.len == 0, "no half event over the cap");
	buf_free(&b);
}

/* ------------------------------------------------------------ pubsub */

struct seen {
	uint64_t owners[64];
	size_t n;
	struct pubsub *ps;
	struct pubsub_sub **lists;      /* owner i's list: lists[i] */
	uint64_t drop;                  /* drop this owner when called */
};

static void
record(void *arg, uint64_t owner)
{
	struct seen *s = arg;

	if (s->n < 64)
		s->owners[s->n++] = owner;
	if (owner == s->drop)
		pubsub_drop(s->ps, &s->lists[owner]);
}

static void
test_pubsub(void)
{
	static struct pubsub ps;
	static struct pubsub_sub subs[8];
	static struct pubsub_node nodes[8];
	struct pubsub_sub *lists[8] = { 0 };
	struct pubsub_topic job, proj, all, other;
	struct seen s = { { 0 }, 0, &ps, lists, 99 };

	pubsub_init(&ps, subs, 8, nodes, 8, 3);
	pubsub_topic(&job, PUBSUB_JOB, "j1", 2);
	pubsub_topic(&proj, PUBSUB_PROJECT, "j1", 2);   /* same key, other kind */
	pubsub_topic(&all, PUBSUB_ALL, NULL, 0);
	pubsub_topic(&other, PUBSUB_JOB, "j2", 2);
	CHECK(pubsub_subscribe(&ps, &job, 1, &lists[1]) == 0 &&
	    pubsub_subscribe(&ps, &job, 2, &lists[2]) == 0 &&
	    pubsub_subscribe(&ps, &job, 3, &lists[3]) == 0, "three on job");
	CHECK(pubsub_subscribe(&ps, &job, 4, &lists[4]) == ERR_LIMIT,
	    "per-topic cap");
	CHECK(pubsub_subscribe(&ps, &job, 1, &lists[1]) == 0 &&
	    pubsub_count(&ps, &job) == 3, "twice is once");
	CHECK(pubsub_count(&ps, &proj) == 0, "kinds are apart");
	CHECK(pubsub_publish(&ps, &job, record, &s) == 3 && s.owners[0] == 1 &&
	    s.owners[1] == 2 && s.owners[2] == 3, "in subscription order");
	s.n = 0;
	CHECK(pubsub_publish(&ps, &job, record, &s) == 3 && s.owners[0] == 2 &&
	    s.owners[1] == 3 && s.owners[2] == 1, "the next from further round");
	s.n = 0;
	CHECK(pubsub_publish(&ps, &job, record, &s) == 3 && s.owners[0] == 3 &&
	    s.owners[1] == 1 && s.owners[2] == 2, "and further again");
	/* a subscriber dropped while it is being published to */
	s.n = 0;
	s.drop = 2;
	pubsub_subscribe(&ps, &all, 2, &lists[2]);
	CHECK(pubsub_publish(&ps, &job, record, &s) == 3 &&
	    pubsub_count(&ps, &job) == 2 && pubsub_count(&ps, &all) == 0,
	    "dropped mid-publish: all its subscriptions gone");
	s.drop = 99;
	/* the last subscriber gone mid-publish: the topic goes after */
	pubsub_subscribe(&ps, &other, 5, &lists[5]);
	s.drop = 5;
	CHECK(pubsub_publish(&ps, &other, record, &s) == 1 &&
	    pubsub_count(&ps, &other) == 0, "emptied mid-publish");
	s.drop = 99;
	/* total cap */
	for (uint64_t o = 0; o < 8; o++) {
		struct pubsub_topic t;
		char k[8];
		snprintf(k, sizeof k, "t%d", (int)o);
		pubsub_topic(&t, PUBSUB_JOB, k, strlen(k));
		pubsub_subscribe(&ps, &t, o, &lists[o]);
	}
	CHECK(pubsub_total(&ps) == 8, "total %zu", pubsub_total(&ps));
	CHECK(pubsub_subscribe(&ps, &all, 7, &lists[7]) == ERR_LIMIT,
	    "total cap");
	pubsub_unsubscribe(&ps, &job, &lists[1]);
	CHECK(pubsub_count(&ps, &job) == 1 && pubsub_total(&ps) == 7,
	    "unsubscribe one");
	for (int o = 0; o < 8; o++)
		pubsub_drop(&ps, &lists[o]);
	CHECK(pubsub_total(&ps) == 0 && pubsub_publish(&ps, &job, record,
	    &s) == 0, "all dropped");
	/* everything returned can be taken again */
	for (uint64_t o = 0; o < 8; o++) {
		struct pubsub_topic t;
		char k[8];
		snprintf(k, sizeof k, "u%d", (int)o);
		pubsub_topic(&t, PUBSUB_PROJECT, k, strlen(k));
		CHECK(pubsub_subscribe(&ps, &t, o, &lists[o]) == 0, "reuse %d",
		    (int)o);
	}
}

/* ------------------------------------------------------------ hook */

static struct slice
sl(const char *s)
{
	struct slice v = { (const uint8_t *)s, strlen(s) };
	return v;
}

static void
test_hook(void)
{
	/* GitHub's documented example ("Validating webhook deliveries") */
	const char *secret = "It's a Secret to Everybody";
	const char *body = "Hello, World!";
	const char *good = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d"
	    "7586c22c46f4379c8b043e17";
	const char *push = "{\"ref\":\"refs/heads/main\",\"after\":"
	    "\"0123456789abcdef0123456789abcdef01234567\",\"deleted\":false,"
	    "\"repository\":{\"full_name\":\"Octo-Org/hello.world\","
	    "\"default_branch\":\"main\"}}";
	struct hook_push p;
	struct err_ctx e;
	char line[256];
	const uint8_t *s = (const uint8_t *)secret, *b = (const uint8_t *)body;
	size_t sn = strlen(secret), bn = strlen(body);

	CHECK(hook_verify(s, sn, b, bn, sl(good)) == 0, "documented vector");
	CHECK(hook_verify(s, sn, b, bn, sl("sha256=757107EA0EB2509FC211221CCE"
	    "984B8A37570B6D7586C22C46F4379C8B043E17")) == 0, "hex any case");
	CHECK(hook_verify(s, sn, b, bn - 1, sl(good)) == ERR_HOOK_SIGNATURE,
	    "body changed");
	CHECK(hook_verify(s, sn - 1, b, bn, sl(good)) == ERR_HOOK_SIGNATURE,
	    "secret changed");
	CHECK(hook_verify(s, sn, b, bn, sl("sha256=857107ea0eb2509fc211221cce"
	    "984b8a37570b6d7586c22c46f4379c8b043e17")) == ERR_HOOK_SIGNATURE,
	    "one digit");
	CHECK(hook_verify(s, sn, b, bn, sl("")) == ERR_HOOK_NO_SIGNATURE,
	    "absent");
	CHECK(hook_verify(s, sn, b, bn, sl("sha1=757107ea0eb2509fc211221cce"
	    "984b8a37570b6d7586c22c46f4379c8b043e1")) == ERR_HOOK_NO_SIGNATURE,
	    "sha1 form");
	CHECK(hook_verify(s, sn, b, bn, sl("sha256=757107ea0eb2509fc211221cce"
	    "984b8a37570b6d7586c22c46f4379c8b043e1")) == ERR_HOOK_NO_SIGNATURE,
	    "short");
	CHECK(hook_verify(s, sn, b, bn, sl("sha256=757107ea0eb2509fc211221cce"
	    "984b8a37570b6d7586c22c46f4379c8b043e1g")) ==
	    ERR_HOOK_NO_SIGNATURE, "not hex");
	CHECK(hook_kind(sl("push")) == HOOK_PUSH &&
	    hook_kind(sl("ping")) == HOOK_PING &&
	    hook_kind(sl("issues")) == HOOK_OTHER, "kinds");

	CHECK(hook_parse_push((const uint8_t *)push, strlen(push), &p, &e) ==
	    0, "push parses");
	CHECK(strcmp(p.full_name, "Octo-Org/hello.world") == 0 &&
	    strcmp(p.repo.owner, "Octo-Org") == 0 &&
	    strcmp(p.repo.repo, "hello.world") == 0 && p.branch && !p.tag &&
	    strcmp(p.repo.ref, "main") == 0 && !p.deleted &&
	    strcmp(p.default_branch, "main") == 0 &&
	    strcmp(p.after, "0123456789abcdef0123456789abcdef01234567") == 0,
	    "push fields");
	{
		const char *del = "{\"ref\":\"refs/tags/v1\",\"after\":"
		    "\"0000000000000000000000000000000000000000\","
		    "\"repository\":{\"full_name\":\"o/r\"}}";
		CHECK(hook_parse_push((const uint8_t *)del, strlen(del), &p,
		    &e) == 0 && p.tag && p.deleted && strcmp(p.repo.ref,
		    "v1") == 0, "tag deletion");
	}
	{
		static const char *bad[] = {
			"[]",
			"{\"ref\":\"refs/heads/main\",\"after\":\"0123456789abcdef"
			"0123456789abcdef01234567\",\"repository\":{"
			"\"full_name\":\"o/../x\"}}",
			"{\"ref\":\"refs/heads/a..b\",\"after\":\"0123456789abcdef"
			"0123456789abcdef01234567\",\"repository\":{"
			"\"full_name\":\"o/r\"}}",
			"{\"ref\":\"refs/heads/main\",\"after\":\"xyz\","
			"\"repository\":{\"full_name\":\"o/r\"}}",
			"{\"after\":\"0123456789abcdef0123456789abcdef01234567\","
			"\"repository\":{\"full_name\":\"o/r\"}}",
		};
		static const char *field[] = { "JSON object",
		    "repository.full_name", "ref:", "after:", "ref:" };
		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			CHECK(hook_parse_push((const uint8_t *)bad[i],
			    strlen(bad[i]), &p, &e) == ERR_HOOK_PAYLOAD,
			    "bad push %zu", i);
			err_format(&e, line, sizeof line);
			CHECK(strstr(line, field[i]) != NULL, "names %s: %s",
			    field[i], line);
		}
	}
}

/* ------------------------------------------------------------ bodies */

static int
job(const char *js, struct body_job *j, char *line)
{
	struct err_ctx e;
	int r = body_job((const uint8_t *)js, strlen(js), j, &e);

	line[0] = '\0';
	if (r == ERR_BODY_JSON)
		err_format(&e, line, 256);
	else if (r != 0)
		snprintf(line, 256, "%s", e.detail);   /* what users see */
	return r;
}

static void
test_bodies(void)
{
	struct body_job j;
	struct body_ingest in;
	struct body_delete d;
	struct body_sub s;
	struct err_ctx e;
	char line[256];
	static const struct {
		const char *json, *owner, *repo, *ref;
	} forms[] = {
		{ "{\"repo\":\"o/r\"}", "o", "r", "" },
		{ "{\"repo\":\"github.com/o/r\"}", "o", "r", "" },
		{ "{\"repo\":\"https://github.com/o/r\"}", "o", "r", "" },
		{ "{\"repo\":\"https://github.com/o/r.git\"}", "o", "r", "" },
		{ "{\"repo\":\"https://github.com/o/r/tree/dev\"}", "o", "r",
		    "dev" },
		{ "{\"repo\":\"o/r@v1.2\"}", "o", "r", "v1.2" },
		{ "{\"repo\":\"o/r\",\"ref\":\"main\"}", "o", "r", "main" },
		{ "{\"repo\":\"o/r@main\",\"ref\":\"main\"}", "o", "r",
		    "main" },
		{ "{\"repo\":\"o/r\",\"ref\":\"\"}", "o", "r", "" },
	};
	static const struct {
		const char *json, *names;
		int code;
	} bad[] = {
		{ "", "JSON object", ERR_BODY_JSON },
		{ "[1]", "JSON object", ERR_BODY_JSON },
		{ "{\"repo\":\"o/r\"", "JSON object", ERR_BODY_JSON },
		{ "{}", "repo: missing", ERR_BODY_FIELD },
		{ "{\"repo\":7}", "repo: want a string", ERR_BODY_FIELD },
		{ "{\"repo\":\"o\"}", "repo:", ERR_BODY_FIELD },
		{ "{\"repo\":\"o/r/x\"}", "repo:", ERR_BODY_FIELD },
		{ "{\"repo\":\"http://github.com/o/r\"}", "repo:",
		    ERR_BODY_FIELD },
		{ "{\"repo\":\"https://gitlab.com/o/r\"}", "repo:",
		    ERR_BODY_FIELD },
		{ "{\"repo\":\"o_x/r\"}", "repo:", ERR_BODY_FIELD },
		{ "{\"repo\":\"o/..\"}", "repo:", ERR_BODY_FIELD },
		{ "{\"repo\":\"o/r\\u0000x\"}", "u0000", ERR_BODY_JSON },
		{ "{\"repo\":\"o/r\",\"repo\":\"a/b\"}", "repo: given twice",
		    ERR_BODY_FIELD },
		{ "{\"repo\":\"o/r\",\"formt\":[]}", "formt: unknown field",
		    ERR_BODY_FIELD },
		{ "{\"repo\":\"o/r\",\"ref\":\"a..b\"}", "ref: not a valid",
		    ERR_BODY_FIELD },
		{ "{\"repo\":\"o/r@x\",\"ref\":\"y\"}", "ref: differs",
		    ERR_BODY_FIELD },
		{ "{\"repo\":\"o/r\",\"formats\":[]}", "formats:",
		    ERR_BODY_FIELD },
		{ "{\"repo\":\"o/r\",\"formats\":\"full\"}", "formats:",
		    ERR_BODY_FIELD },
		{ "{\"repo\":\"o/r\",\"formats\":[\"pdf\"]}",
		    "unknown format \"pdf\"", ERR_BODY_FIELD },
		{ "{\"repo\":\"o/r\",\"formats\":[\"full\",\"full\"]}",
		    "given twice", ERR_BODY_FIELD },
		{ "{\"repo\":\"o/r\",\"priority\":1.5}", "priority:",
		    ERR_BODY_FIELD },
		{ "{\"repo\":\"o/r\",\"priority\":1001}", "priority:",
		    ERR_BODY_FIELD },
		{ "{\"repo\":\"o/r\",\"priority\":\"1\"}", "priority:",
		    ERR_BODY_FIELD },
		{ "{\"repo\":\"o/r\",\"priority\":1e300}", "priority:",
		    ERR_BODY_FIELD },
	};

	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++)
		CHECK(job(forms[i].json, &j, line) == 0 &&
		    strcmp(j.repo.owner, forms[i].owner) == 0 &&
		    strcmp(j.repo.repo, forms[i].repo) == 0 &&
		    strcmp(j.repo.ref, forms[i].ref) == 0 &&
		    j.formats == JOB_FORMAT(RENDER_FULL) && j.priority == 0,
		    "form %s: %s", forms[i].json, line);
	CHECK(job("{\"repo\":\"o/r\",\"formats\":[\"chunks\",\"full\"],"
	    "\"priority\":-7,\"ref\":null}", &j, line) == 0 &&
	    j.formats == (JOB_FORMAT(RENDER_FULL) |
	    JOB_FORMAT(RENDER_CHUNKS)) &&
	    j.priority == -7, "formats and priority: %s", line);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int r = job(bad[i].json, &j, line);
		CHECK(r == bad[i].code && strstr(line, bad[i].names) != NULL &&
		    strchr(line, '\n') == NULL, "refused %s: %s", bad[i].json,
		    line);
	}
	{
		/* many fields: refused before the pairwise duplicate check */
		char many[4096];
		size_t n = 1;
		many[0] = '{';
		for (int i = 0; i < 100; i++)
			n += (size_t)snprintf(many + n, sizeof many - n,
			    "%s\"k%d\":1", i ? "," : "", i);
		snprintf(many + n, sizeof many - n, "}");
		CHECK(job(many, &j, line) == ERR_BODY_JSON, "many fields: %s",
		    line);
	}

	CHECK(body_ingest((const uint8_t *)"{\"repo\":\"github.com/o/r\"}", 25,
	    &in, &e) == 0 && strcmp(in.dataset, "r") == 0 &&
	    strcmp(in.scope, "project") == 0 && in.repo.ref_len == 0,
	    "ingest defaults");
	{
		const char *js = "{\"repo\":\"o/r\",\"branch\":\"dev\","
		    "\"dataset\":\"ds-1\",\"scope\":\"global\",\"extra\":1}";
		CHECK(body_ingest((const uint8_t *)js, strlen(js), &in, &e) ==
		    0 && strcmp(in.repo.ref, "dev") == 0 &&
		    strcmp(in.dataset, "ds-1") == 0 &&
		    strcmp(in.scope, "global") == 0, "ingest fields (unknown "
		    "ones ignored, as the original did)");
		js = "{\"repo\":\"o/r\",\"dataset\":\"a/b\"}";
		CHECK(body_ingest((const uint8_t *)js, strlen(js), &in, &e) ==
		    ERR_BODY_FIELD && strstr(e.detail, "dataset") != NULL,
		    "bad dataset");
		js = "{\"repo\":\"o/r\",\"dataset\":\"..\"}";
		CHECK(body_ingest((const uint8_t *)js, strlen(js), &in, &e) ==
		    ERR_BODY_FIELD, "dot-dot dataset");
	}
	CHECK(body_delete((const uint8_t *)"{\"dataset\":\"d\"}", 15, &d, &e) ==
	    0 && strcmp(d.dataset, "d") == 0 && !d.has_repo, "delete dataset");
	CHECK(body_delete((const uint8_t *)"{\"repo\":\"o/r\"}", 14, &d, &e) ==
	    0 && d.has_repo && strcmp(d.repo.repo, "r") == 0, "delete repo");
	CHECK(body_delete((const uint8_t *)"{}", 2, &d, &e) == ERR_BODY_FIELD &&
	    strstr(e.detail, "dataset: missing") != NULL, "delete nothing");
	CHECK(body_delete((const uint8_t *)"{\"dataset\":\"d\",\"repo\":\"o/r\"}",
	    28, &d, &e) == ERR_BODY_FIELD, "delete both");

	{
		const char *js = "{\"action\":\"subscribe\",\"project\":"
		    "\"default\",\"topics\":[\"github:progress\"]}";
		CHECK(body_sub((const uint8_t *)js, strlen(js), &s, &e) == 0 &&
		    s.subscribe && strcmp(s.project, "default") == 0 &&
		    s.topics == BODY_TOPIC_PROGRESS && s.job[0] == '\0',
		    "the original's subscribe message");
		js = "{\"action\":\"unsubscribe\",\"jobId\":\"j-1\"}";
		CHECK(body_sub((const uint8_t *)js, strlen(js), &s, &e) == 0 &&
		    !s.subscribe && strcmp(s.job, "j-1") == 0, "unsubscribe");
		js = "{\"action\":\"listen\"}";
		CHECK(body_sub((const uint8_t *)js, strlen(js), &s, &e) ==
		    ERR_BODY_FIELD && strstr(e.detail, "action") != NULL,
		    "bad action");
		js = "{\"action\":\"subscribe\",\"topics\":[\"x\"]}";
		CHECK(body_sub((const uint8_t *)js, strlen(js), &s, &e) ==
		    ERR_BODY_FIELD && strstr(e.detail, "topics") != NULL,
		    "bad topic");
		js = "{\"action\":\"subscribe\",\"topics\":[]}";
		CHECK(body_sub((const uint8_t *)js, strlen(js), &s, &e) ==
		    ERR_BODY_FIELD, "no topics");
	}
	CHECK(body_valid_name((const uint8_t *)"a.b_c-1", 7) &&
	    !body_valid_name((const uint8_t *)"", 0) &&
	    !body_valid_name((const uint8_t *)"..", 2) &&
	    !body_valid_name((const uint8_t *)"a b", 3), "names");
}

int
main(void)
{
	test_jsonw();
	test_sse();
	test_pubsub();
	test_hook();
	test_bodies();
	return T_DONE();
}
