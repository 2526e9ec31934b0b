/*
 * zfloor.c - the floor under `repodigest digest` of a tarball: zlib inflating
 * the same gzip file and doing nothing else, for scripts/bench (part 1).
 *
 * Usage: zfloor [-c] FILE
 *
 * Reads FILE 64 KiB at a time (as src/archive/source.c does) and inflates it
 * with the vendored zlib into one 128 KiB buffer that is thrown away: the
 * least any gunzip must do. Without -c the deflate data is inflated raw (the
 * gzip header skipped, no CRC-32: the floor itself); with -c zlib's own gzip
 * mode does it, CRC-32 and trailer checks included (what zlib costs as a
 * gunzip). Concatenated members are followed. Prints the inflated size.
 * Not a test: a measuring tool.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define IN_CHUNK 65536
#define OUT_CHUNK (128 * 1024)

static uint8_t in[IN_CHUNK], out[OUT_CHUNK];

/*
 * Length of the gzip member header at p[0..n) (RFC 1952 2.3), or 0 when it is
 * not a whole gzip header: enough for a measuring tool that reads the header
 * from its first read.
 */
static size_t
header_len(const uint8_t *p, size_t n)
{
	size_t at = 10;
	uint8_t flg;

	if (n < 10 || p[0] != 0x1f || p[1] != 0x8b || p[2] != 8)
		return 0;
	flg = p[3];
	if (flg & 4) {                  /* FEXTRA */
		if (at + 2 > n)
			return 0;
		at += 2 + (size_t)(p[at] | p[at + 1] << 8);
	}
	for (int f = 8; f <= 16; f <<= 1)       /* FNAME, FCOMMENT */
		if (flg & f) {
			while (at < n && p[at] != 0)
				at++;
			at++;
		}
	if (flg & 2)                    /* FHCRC */
		at += 2;
	return at <= n ? at : 0;
}

int
main(int argc, char **argv)
{
	int crc = 0, fd, r = Z_OK;
	z_stream zs;
	uint64_t total = 0;
	ssize_t got;
	size_t skip;

	if (argc == 3 && strcmp(argv[1], "-c") == 0) {
		crc = 1;
		argv++;
		argc--;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: zfloor [-c] FILE\n");
		return 2;
	}
	if ((fd = open(argv[1], O_RDONLY)) < 0) {
		perror(argv[1]);
		return 1;
	}
	got = read(fd, in, IN_CHUNK);
	skip = crc ? 0 : header_len(in, got > 0 ? (size_t)got : 0);
	if (got <= 0 || (!crc && skip == 0)) {
		fprintf(stderr, "zfloor: %s: not a gzip file\n", argv[1]);
		return 1;
	}
	memset(&zs, 0, sizeof zs);
	/* 15 + 16: zlib's gzip mode; -15: raw deflate */
	if (inflateInit2(&zs, crc ? 15 + 16 : -15) != Z_OK)
		return 1;
	zs.next_in = in + skip;
	zs.avail_in = (uInt)((size_t)got - skip);
	for (;;) {
		if (zs.avail_in == 0) {
			if ((got = read(fd, in, IN_CHUNK)) <= 0)
				break;
			zs.next_in = in;
			zs.avail_in = (uInt)got;
		}
		zs.next_out = out;
		zs.avail_out = OUT_CHUNK;
		r = inflate(&zs, Z_NO_FLUSH);
		total += OUT_CHUNK - zs.avail_out;
		if (r == Z_STREAM_END) {
			/* raw: the 8-byte trailer, then maybe another member */
			size_t more = zs.avail_in, hl;
			if (!crc) {
				if (more < 8)
					break;  /* the trailer is the file's end */
				more -= 8;
				zs.next_in += 8;
			}
			if (more == 0)
				break;
			hl = crc ? 0 : header_len(zs.next_in, more);
			if (!crc && hl == 0)
				break;          /* padding, or a header cut by a read */
			zs.next_in += hl;
			zs.avail_in = (uInt)(more - hl);
			inflateReset(&zs);
		} else if (r != Z_OK && r != Z_BUF_ERROR) {
			fprintf(stderr, "zfloor: %s: inflate error %d\n", argv[1], r);
			return 1;
		}
	}
	inflateEnd(&zs);
	close(fd);
	printf("%llu\n", (unsigned long long)total);
	return 0;
}
