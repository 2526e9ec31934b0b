/*
 * auth.h - who may use the service (decisions 1 and 9): the API token,
 * where it may be presented, what of a request may be shown in a log,
 * and the listen-address rule. No I/O.
 *
 * With REPODIGEST_API_TOKEN set, every route but the open ones needs
 * "Authorization: Bearer TOKEN"; WebSocket and EventSource clients, which
 * cannot set headers, may send "?access_token=TOKEN" instead on the
 * routes that allow it. The token is compared in constant time and never
 * logged: auth_show_target() drops access_token from what is shown.
 * Without a token the service may only listen on loopback.
 */
#ifndef AUTH_H
#define AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "req.h"

#define AUTH_TOKEN_VAR  "REPODIGEST_API_TOKEN"
#define AUTH_QUERY_NAME "access_token"

/* 1 if a (an bytes, presented) equals secret (sn bytes), in a time that
 * depends on sn only: neither where they differ nor an's length leaks. */
int auth_equal(const uint8_t *a, size_t an, const uint8_t *secret,
    size_t sn);

/* 0 if r carries token (header, or the query when allow_query), else
 * ERR_AUTH. A NULL or empty token allows everything. */
int auth_check(const char *token, const struct req *r, int allow_query);

/*
 * The request's path and query as they may be logged or echoed: the
 * access_token parameter removed, the rest as sent; cut (with "...") to
 * fit cap - 1 bytes, NUL-terminated. Bytes are not escaped: the log does.
 */
void auth_show_target(const struct req *r, char *out, size_t cap);

/*
 * The listen rule: host is the address part of --listen. 0 if it is a
 * loopback address (127.0.0.0/8, ::1, "localhost") or a token is set;
 * else ERR_USAGE with a detail that names REPODIGEST_API_TOKEN (the
 * command exits 2 on it).
 */
int auth_listen_check(const char *host, const char *token,
    struct err_ctx *e);

/* 1 if host (a literal address or "localhost") is loopback. */
int auth_loopback(const char *host);

#endif
