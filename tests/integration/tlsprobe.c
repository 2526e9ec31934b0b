/*
 * tlsprobe.c - integration driver for net + tls: one HTTPS GET, by hand.
 *
 * Usage: tlsprobe [--resolve HOST:PORT:ADDR]... [--cacert FILE]...
 *                 [--timeout MS] [--deadline MS] [-o FILE] HOST PORT PATH
 *
 * Connects (net), handshakes (tls) with the built-in anchors plus
 * $SSL_CERT_FILE and every --cacert, sends "GET PATH HTTP/1.1" with
 * Connection: close, reads until the server closes, and prints the status
 * line and "body N bytes" on stdout (-o FILE: the body goes there). Any
 * failure prints one line, "tlsprobe: HOST:PORT: MESSAGE (DETAIL)", on stderr
 * and exits 1; usage errors exit 2. tests/integration/tls.sh runs it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "net.h"
#include "tls.h"

#define MAX_RESOLVE 8
#define HEAD_MAX    16384       /* response head kept to find the status */

static int
usage(void)
{
	fprintf(stderr, "usage: tlsprobe [--resolve HOST:PORT:ADDR] "
	    "[--cacert FILE] [--timeout MS] [--deadline MS] [-o FILE] "
	    "HOST PORT PATH\n");
	return 2;
}

static int
fail(struct err_ctx *e)
{
	char line[1024];

	err_format(e, line, sizeof line);
	fprintf(stderr, "tlsprobe: %s\n", line);
	return 1;
}

static int
num(const char *s, long max, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v <= 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

int
main(int argc, char **argv)
{
	static struct tls t;    /* 57 KiB: not on the stack */
	static struct net_resolve res[MAX_RESOLVE];
	static unsigned char head[HEAD_MAX];
	struct tls_anchors anchors;
	struct net_opts o;
	struct net_conn c;
	struct err_ctx e;
	const char *cacert[8], *outpath = NULL, *host, *path, *env;
	unsigned char buf[16384];
	char req[2048];
	size_t ncacert = 0, hlen = 0, got, i, body = 0;
	long timeout = 10000, deadline_ms = 0, port;
	int64_t deadline = 0;
	int rc, in_body = 0, reqlen;
	FILE *out = NULL;

	memset(&o, 0, sizeof o);
	memset(&e, 0, sizeof e);
	o.resolve = res;
	for (i = 1; i < (size_t)argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (i + 1 >= (size_t)argc)
			return usage();
		if (strcmp(a, "--resolve") == 0) {
			i++;
			if (o.nresolve == MAX_RESOLVE ||
			    net_resolve_parse(&res[o.nresolve], argv[i]) != 0) {
				fprintf(stderr, "tlsprobe: --resolve %s: %s\n",
				    argv[i], err_str(ERR_NET_RESOLVE_SPEC));
				return 2;
			}
			o.nresolve++;
		} else if (strcmp(a, "--cacert") == 0) {
			if (ncacert == sizeof cacert / sizeof cacert[0])
				return usage();
			cacert[ncacert++] = argv[++i];
		} else if (strcmp(a, "--timeout") == 0) {
			if (num(argv[++i], 3600000, &timeout) != 0)
				return usage();
		} else if (strcmp(a, "--deadline") == 0) {
			if (num(argv[++i], 3600000, &deadline_ms) != 0)
				return usage();
		} else if (strcmp(a, "-o") == 0) {
			outpath = argv[++i];
		} else {
			return usage();
		}
	}
	if (argc - (int)i != 3 || num(argv[i + 1], 65535, &port) != 0)
		return usage();
	host = argv[i];
	path = argv[i + 2];
	o.connect_ms = (int)timeout;
	o.io_ms = (int)timeout;

	/* files first, then the network (as OpenBSD nc orders it) */
	reqlen = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\n"
	    "User-Agent: repodigest-tlsprobe\r\nConnection: close\r\n\r\n",
	    path, host);
	if (reqlen < 0 || (size_t)reqlen >= sizeof req)
		return usage();
	tls_anchors_init(&anchors);
	env = getenv("SSL_CERT_FILE");
	rc = 0;
	if (env != NULL && *env != '\0')
		rc = tls_anchors_add_pem_file(&anchors, env, &e);
	for (i = 0; rc == 0 && i < ncacert; i++)
		rc = tls_anchors_add_pem_file(&anchors, cacert[i], &e);
	if (rc != 0) {
		tls_anchors_free(&anchors);
		return fail(&e);
	}
	if (outpath != NULL && (out = fopen(outpath, "wb")) == NULL) {
		perror(outpath);
		tls_anchors_free(&anchors);
		return 1;
	}

	memset(&e, 0, sizeof e);
	snprintf(e.source, sizeof e.source, "%s:%ld", host, port);
	if (deadline_ms > 0)
		deadline = net_now_ms() + deadline_ms;
	rc = net_connect(&c, host, (unsigned)port, &o, deadline, &e);
	if (rc == 0)
		rc = tls_connect(&t, &c, host, &anchors, deadline, &e);
	if (rc == 0)
		rc = tls_write(&t, req, (size_t)reqlen, &e);
	/* read to the close; the loop ends at EOF, an error, or the clock
	 * (each read waits at most --timeout, the whole at most --deadline) */
	while (rc == 0) {
		rc = tls_read(&t, buf, sizeof buf, &got, &e);
		if (rc != 0 || got == 0)
			break;
		if (in_body) {
			body += got;
			if (out != NULL)
				fwrite(buf, 1, got, out);
			continue;
		}
		for (i = 0; i < got; i++) {
			if (hlen == sizeof head) {
				rc = err_set(&e, ERR_LIMIT, "response head");
				break;
			}
			head[hlen++] = buf[i];
			if (hlen >= 4 && memcmp(head + hlen - 4, "\r\n\r\n",
			    4) == 0) {
				in_body = 1;
				body = got - i - 1;
				if (out != NULL)
					fwrite(buf + i + 1, 1, body, out);
				break;
			}
		}
	}
	tls_close(&t, NULL);
	net_close(&c);
	tls_anchors_free(&anchors);
	if (out != NULL && fclose(out) != 0) {
		perror(outpath);
		return 1;
	}
	if (rc != 0)
		return fail(&e);
	if (!in_body) {
		err_set(&e, ERR_LIMIT, "no complete HTTP response head");
		return fail(&e);
	}
	for (i = 0; i < hlen && head[i] != '\r'; i++)
		;
	printf("%.*s\nbody %zu bytes\n", (int)i, (const char *)head, body);
	return 0;
}
