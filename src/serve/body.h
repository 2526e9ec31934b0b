/*
 * body.h - the JSON request bodies the service takes, parsed and checked
 * into plain structs: POST /v1/jobs, POST and DELETE
 * /projects/{project}/ingest/github, the query routes, and the
 * WebSocket's subscribe message. No I/O; cJSON does the JSON (bodies are bounded by the server).
 *
 * Every refusal is ERR_BODY_JSON (not a JSON object) or ERR_BODY_FIELD,
 * with one line in e->detail that names the field and says what it
 * wants, e.g. `formats: unknown format "pdf"; want "full" or "chunks"`:
 * the message to answer with (err_format() is for logs, it escapes
 * quotes).
 * The /v1 body refuses fields it does not know (a typo is caught, not
 * ignored); the original routes' bodies ignore them, as the original did.
 */
#ifndef BODY_H
#define BODY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "url.h"

#define BODY_NAME_MAX   URL_REPO_MAX    /* project, dataset, scope, job id */
#define BODY_TOPICS_MAX 8

#define BODY_PRIORITY_MAX 1000  /* |priority| */

/* POST /v1/jobs {"repo", "ref", "formats", "priority", "index"} ("index":
 * true adds chunks to the formats: a job with chunks is indexed) */
struct body_job {
	struct url_github repo;         /* repo.ref: "ref", or from "repo" */
	unsigned formats;               /* JOB_FORMAT() bits (job.h) of
	                                 * RENDER_FULL, RENDER_CHUNKS ("full",
	                                 * "chunks"); default full */
	int priority;                   /* default 0 */
};

/* POST /projects/{project}/ingest/github {"repo", "branch", "dataset",
 * "scope"} */
struct body_ingest {
	struct url_github repo;         /* repo.ref: "branch" ("" = default) */
	char dataset[BODY_NAME_MAX + 1];        /* default: the repo's name */
	char scope[BODY_NAME_MAX + 1];          /* default "project" */
};

/* DELETE /projects/{project}/ingest/github {"dataset"} or {"repo"} */
struct body_delete {
	char dataset[BODY_NAME_MAX + 1];        /* "" if not given */
	int has_repo;
	struct url_github repo;
};

/* WebSocket {"action": "subscribe" | "unsubscribe", "project", "jobId",
 * "topics": ["github:progress"]} */
#define BODY_TOPIC_PROGRESS 1
struct body_sub {
	int subscribe;                  /* 1 subscribe, 0 unsubscribe */
	char project[BODY_NAME_MAX + 1];        /* "" if not given */
	char job[BODY_NAME_MAX + 1];            /* "" if not given */
	unsigned topics;                /* BODY_TOPIC_*; default progress */
};

/* POST /projects/{project}/query {"query", "k", "repo", "per_file"} and
 * POST /v1/query (also "project"); unknown fields are ignored, as the
 * original did. */
#define BODY_QUERY_MAX  4096            /* bytes of query text */
#define BODY_K_MAX      1000            /* = INDEX_K_MAX */
struct body_query {
	char query[BODY_QUERY_MAX + 1];         /* NUL-terminated, not "" */
	size_t k;                               /* 1..BODY_K_MAX; default 10 */
	int64_t per_file;                       /* 0..BODY_K_MAX; -1 if not
						 * given */
	char project[BODY_NAME_MAX + 1];        /* "" if not given */
	int has_repo;
	struct url_github repo;
};

int body_job(const uint8_t *p, size_t n, struct body_job *j,
    struct err_ctx *e);
int body_query(const uint8_t *p, size_t n, struct body_query *q,
    struct err_ctx *e);
int body_ingest(const uint8_t *p, size_t n, struct body_ingest *b,
    struct err_ctx *e);
int body_delete(const uint8_t *p, size_t n, struct body_delete *d,
    struct err_ctx *e);
int body_sub(const uint8_t *p, size_t n, struct body_sub *s,
    struct err_ctx *e);

/* Parse n bytes of JSON with cJSON, safely (a NUL-terminated copy): the
 * tree, which the caller frees with cJSON_Delete(), or NULL. */
struct cJSON;
struct cJSON *body_parse_json(const uint8_t *p, size_t n);

/* A project, dataset, scope or job id: GitHub's repository name rule
 * (url_valid_repo(): 1 to 100 of [A-Za-z0-9._-], not "." or ".."), so a
 * repository's name is a valid dataset. 1 if valid. */
int body_valid_name(const uint8_t *p, size_t n);

/*
 * A repository in one of the three forms users write: "owner/name",
 * "github.com/owner/name", "https://github.com/owner/name" (the URL forms
 * may end in ".git", "/" or "/tree/REF"; "owner/name@REF" names a ref
 * too). The names follow url.h's GitHub rules. 0, or a url.h error code.
 */
int body_repo(const uint8_t *p, size_t n, struct url_github *g);

#endif
