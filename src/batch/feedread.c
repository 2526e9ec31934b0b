/*
 * feedread.c - the I/O side of the feed: a file, standard input or a URL
 * streamed into the push parser (feed.h) as it is read. `run` reads its feed
 * once; `serve --feed` once per scheduled pass. See feed.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "feed.h"
#include "fetch.h"
#include "log.h"

/* fetch's body sink: each piece straight into the parser */
static int
push_piece(void *ctx, const uint8_t *p, size_t n)
{
	return feed_push(ctx, p, n);
}

/* see feed.h */
int
feed_read(const char *feed, const char *shown, const struct fetch_opts *fo,
    const struct cancel *cancel, struct feed_parser *fp, struct err_ctx *ec)
{
	memset(ec, 0, sizeof ec[0]);
	err_field(ec->source, sizeof ec->source, shown, strlen(shown));
	if (strncmp(feed, "https://", 8) == 0 ||
	    strncmp(feed, "http://", 7) == 0 ||
	    strncmp(feed, "file://", 7) == 0) {
		struct fetch_client fc;
		struct fetch_req rq;
		struct fetch_resp rs;
		int e;
		if ((e = fetch_init(&fc, fo)) != 0) {
			fetch_free(&fc);
			return err_set(ec, e, NULL);
		}
		memset(&rq, 0, sizeof rq);
		rq.method = "GET";
		rq.url = feed;
		rq.cancel = cancel;
		/* only a 2xx body reaches the parser (fetch.h) */
		e = fetch_do(&fc, &rq, &rs, push_piece, fp, ec);
		if (e == 0 && (rs.status < 200 || rs.status >= 300))
			e = err_set(ec, http_status_err(rs.status), "HTTP %d",
			    rs.status);
		fetch_resp_free(&rs);
		fetch_free(&fc);
		/* fetch names the URL it asked; name it without secrets */
		err_field(ec->source, sizeof ec->source, shown, strlen(shown));
		/* the parser stopped the transfer: its error, not a read's */
		return feed_push(fp, NULL, 0) != 0 ? 0 : e;
	} else {
		int fd = strcmp(feed, "-") == 0 ? 0 :
		    open(feed, O_RDONLY | O_CLOEXEC);
		uint8_t tmp[65536];
		if (fd < 0) {
			ec->sys_errno = errno;
			return err_set(ec, errno == ENOENT ? ERR_NOENT : ERR_IO,
			    NULL);
		}
		for (;;) {
			ssize_t n = read(fd, tmp, sizeof tmp);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				ec->sys_errno = errno;
				if (fd != 0)
					close(fd);
				return err_set(ec, ERR_IO, NULL);
			}
			if (n == 0 || feed_push(fp, tmp, (size_t)n) != 0)
				break;
		}
		if (fd != 0)
			close(fd);
	}
	return 0;
}

/* see feed.h */
void
feed_skip_log(struct log *l, const char *operation, size_t index,
    const char *who, const char *reason)
{
	char idx[32];
	const char *kv[] = { "index", idx, "repo", who, "reason", reason, NULL };

	snprintf(idx, sizeof idx, "%zu", index);
	log_msg(l, LOG_WARN, operation, "Skipping feed record", kv);
}
