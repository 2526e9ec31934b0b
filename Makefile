# repodigest - plain GNU make. `make` builds build/repodigest (static, musl, stripped).
# Targets: all, test (= check), demo, bench, fuzz, static, install, clean, vendor.
# Override CC CFLAGS LDFLAGS PREFIX BINDIR DESTDIR on the command line or in config.mk.
-include config.mk

# The first rule in this file is mkanchors's; `make` alone must build the binary.
.DEFAULT_GOAL := all

CC       = musl-gcc
CLANG    = clang
CFLAGS   =
# Size matters (scripts/check-static: at most 1.5 MiB): -Os by default,
# -O2 for the modules every byte of every repository goes through.
OPT      = -Os
FAST     = digest/tokens digest/utf8 digest/digest digest/store archive/gz archive/tar \
           digest/ignore base/out chunk/split chunk/jsonl chunk/sha256x \
           chunk/utf16 search/tokenize search/chunkread
LDFLAGS  =
LDLIBS   = -pthread -lm
PREFIX   = /usr/local
BINDIR   = $(PREFIX)/bin
DESTDIR  =
VERSION  = 0.1.1

V        = vendor/src
STAMP    = $(V)/.stamp
WARN     = -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wpointer-arith -Wvla -Wformat=2
DEFS     = -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DREPODIGEST_VERSION='"$(VERSION)"'
SRCDIRS  = base net archive digest sink job batch cli chunk queue search serve svc
INC      = $(addprefix -Isrc/,$(SRCDIRS)) -I$(V)/zlib -I$(V)/cjson -I$(V)/lz4/lib -I$(V)/bearssl/inc \
           -I$(V)/sqlite
# Our flags come first and user CFLAGS last, so CFLAGS cannot drop the warnings.
ALL_CFLAGS    = $(WARN) $(DEFS) $(INC) -MMD -MP -ffunction-sections -fdata-sections $(OPT) $(CFLAGS)
VENDOR_CFLAGS = -w $(INC) $(VDEFS) -ffunction-sections -fdata-sections $(OPT) $(CFLAGS)

SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
           -fno-omit-frame-pointer -g -O1
FUZZFLAGS = -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -g -O1

# ---------------------------------------------------------------- sources
MAIN_C   = src/cli/main.c
LIB_C    = $(filter-out $(MAIN_C),$(sort $(wildcard $(addsuffix /*.c,$(addprefix src/,$(SRCDIRS))))))
ZLIB_C   = $(addprefix $(V)/zlib/,adler32.c crc32.c inffast.c inflate.c \
           inftrees.c zutil.c deflate.c trees.c)
CJSON_C  = $(V)/cjson/cJSON.c
LZ4_C    = $(V)/lz4/lib/lz4.c
VENDOR_C = $(ZLIB_C) $(CJSON_C) $(LZ4_C)
TEST_C   = $(sort $(wildcard tests/unit/test_*.c))
FUZZ_C   = $(sort $(wildcard tests/fuzz/fuzz_*.c))

ITEST_C  = $(sort $(wildcard tests/integration/*.c))
TESTS    = $(patsubst tests/unit/%.c,%,$(TEST_C))
ITESTS   = $(patsubst tests/integration/%.c,%,$(ITEST_C))
FUZZERS  = $(patsubst tests/fuzz/%.c,%,$(FUZZ_C))

# Flavours: build/musl (shipped, static), build/asan (clang ASan+UBSan, glibc),
# build/fuzz (clang libFuzzer).
obj = $(patsubst %.c,build/$(1)/%.o,$(2))

M_LIB  = $(call obj,musl,$(LIB_C) $(VENDOR_C))
A_LIB  = $(call obj,asan,$(LIB_C) $(VENDOR_C))
F_LIB  = $(call obj,fuzz,$(LIB_C) $(VENDOR_C))

# ---------------------------------------------------------------- trust anchors
# The built-in CA set (src/net/tls.h): Mozilla's roots trusted for server
# authentication, from certdata.txt in the pinned Debian ca-certificates source
# (vendor/manifest), without those with a server distrust-after date. The
# build host's own CA store (/etc/ssl, /usr/local/share/ca-certificates) is
# never read: one commit gives the same binary everywhere. tools/mkanchors, a
# build-host program made with $(CC) against the musl BearSSL archive, writes
# $(ANCHORS_C), which every flavour compiles into its library objects.
# Generated, never committed; the binary carries its anchors, so a FROM-scratch
# image needs no CA file. `make CA_EXTRA=file.pem` bakes in more CAs, which
# `repodigest version` then counts as extra ($(TRUST_INPUTS) notices a change
# of CA_EXTRA or of its file). Explicit rules: the build/FLAVOUR/%.o pattern
# rules would look for gen/anchors.c.
CERTDATA     = $(V)/ca-certificates/mozilla/certdata.txt
CA_EXTRA     =
ANCHORS_C    = build/gen/anchors.c
TRUST_INPUTS = build/gen/trust-inputs
M_LIB += build/musl/gen/anchors.o
A_LIB += build/asan/gen/anchors.o
F_LIB += build/fuzz/gen/anchors.o

build/musl/tools/mkanchors: tools/mkanchors.c build/musl/libbearssl.a
	@mkdir -p $(@D)
	$(CC) $(WARN) $(DEFS) $(INC) $(CFLAGS) -static $(LDFLAGS) -o $@ \
	    tools/mkanchors.c build/musl/libbearssl.a
$(TRUST_INPUTS): FORCE
	@mkdir -p $(@D)
	@{ echo 'CA_EXTRA=$(CA_EXTRA)'; [ -z '$(CA_EXTRA)' ] || sha256sum < '$(CA_EXTRA)'; } > $@.tmp || \
	    { rm -f $@.tmp; echo "CA_EXTRA=$(CA_EXTRA): cannot read it" >&2; exit 1; }
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
# The store's name carries the Debian version the tree came from (its
# debian/changelog), so `version` says what an image trusts.
$(ANCHORS_C): build/musl/tools/mkanchors $(STAMP) $(TRUST_INPUTS)
	@mkdir -p $(@D)
	v=$$(sed -n '1s/^ca-certificates (\([0-9A-Za-z.+~-]*\)).*/\1/p' \
	    $(V)/ca-certificates/debian/changelog) && [ -n "$$v" ] && \
	build/musl/tools/mkanchors \
	    --name "Mozilla roots (certdata.txt via Debian ca-certificates $$v)" \
	    $(CERTDATA) $(CA_EXTRA) > $@.tmp && mv $@.tmp $@
# The shipped binary's objects but its anchors: tests/integration/trust.sh
# links them with anchors it generated (CA_EXTRA) into a scratch binary.
print-musl-objs:
	@echo build/musl/src/cli/main.o $(filter-out build/musl/gen/anchors.o,$(M_LIB)) \
	    build/musl/libsqlite3.a build/musl/libbearssl.a
build/musl/gen/anchors.o: $(ANCHORS_C) $(STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@
build/asan/gen/anchors.o: $(ANCHORS_C) $(STAMP)
	@mkdir -p $(@D)
	$(CLANG) $(ALL_CFLAGS) $(SANFLAGS) -c $< -o $@
build/fuzz/gen/anchors.o: $(ANCHORS_C) $(STAMP)
	@mkdir -p $(@D)
	$(CLANG) $(ALL_CFLAGS) $(FUZZFLAGS) -c $< -o $@

# ---------------------------------------------------------------- the page
# The service's page (src/svc/page.h): tools/mkpage, a build-host program
# made with $(CC) against the musl zlib objects and BearSSL, compresses each
# asset with the vendored zlib (level 9, a gzip header without name or time:
# the same bytes on every host) into $(PAGE_C), which every flavour compiles.
PAGE_SRC = / 'text/html; charset=utf-8' src/svc/page/index.html \
           /app.js 'text/javascript; charset=utf-8' src/svc/page/app.js \
           /style.css 'text/css; charset=utf-8' src/svc/page/style.css
PAGE_IN  = src/svc/page/index.html src/svc/page/app.js src/svc/page/style.css
PAGE_C   = build/gen/page_assets.c
MKPAGE_Z = $(call obj,musl,$(ZLIB_C))
M_LIB += build/musl/gen/page_assets.o
A_LIB += build/asan/gen/page_assets.o
F_LIB += build/fuzz/gen/page_assets.o

build/musl/tools/mkpage: tools/mkpage.c $(MKPAGE_Z) build/musl/libbearssl.a
	@mkdir -p $(@D)
	$(CC) $(WARN) $(DEFS) $(INC) $(CFLAGS) -static $(LDFLAGS) -o $@ \
	    tools/mkpage.c $(MKPAGE_Z) build/musl/libbearssl.a
$(PAGE_C): build/musl/tools/mkpage $(PAGE_IN)
	@mkdir -p $(@D)
	build/musl/tools/mkpage $(PAGE_SRC) > $@.tmp && mv $@.tmp $@
build/musl/gen/page_assets.o: $(PAGE_C) $(STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@
build/asan/gen/page_assets.o: $(PAGE_C) $(STAMP)
	@mkdir -p $(@D)
	$(CLANG) $(ALL_CFLAGS) $(SANFLAGS) -c $< -o $@
build/fuzz/gen/page_assets.o: $(PAGE_C) $(STAMP)
	@mkdir -p $(@D)
	$(CLANG) $(ALL_CFLAGS) $(FUZZFLAGS) -c $< -o $@
# the page's size, compressed and not (README: the budget is 48 KiB compressed)
page-size: $(PAGE_C)
	@tail -1 $(PAGE_C)

all: build/repodigest build/musl/libbearssl.a

# ---------------------------------------------------------------- vendor
# SQLite (the job table, the search index): Debian's patched source, made into
# one file (sqlite3.c) by scripts/sqlite-amalgamate with the one list of
# options below, which it also writes at the top of sqlite3.c and sqlite3.h:
# the parser and keyword table are generated code, and an OMIT option only
# holds when they are generated with it. A change of the list regenerates the
# amalgamation ($(SQLITE_OPTFILE) changes only when the list does). FTS5 is in;
# SQLITE_OMIT_INCRBLOB would break it, SQLITE_OMIT_WAL and _VIRTUALTABLE too.
SQLITE_OPTS = \
	-DSQLITE_THREADSAFE=1 \
	-DSQLITE_ENABLE_FTS5 \
	-DSQLITE_DQS=0 \
	-DSQLITE_DEFAULT_MEMSTATUS=0 \
	-DSQLITE_LIKE_DOESNT_MATCH_BLOBS \
	-DSQLITE_TEMP_STORE=2 \
	-DSQLITE_OMIT_LOAD_EXTENSION \
	-DSQLITE_OMIT_SHARED_CACHE \
	-DSQLITE_OMIT_DEPRECATED \
	-DSQLITE_OMIT_UTF16 \
	-DSQLITE_OMIT_COMPLETE \
	-DSQLITE_OMIT_GET_TABLE \
	-DSQLITE_OMIT_TCL_VARIABLE \
	-DSQLITE_OMIT_TRACE \
	-DSQLITE_OMIT_AUTHORIZATION \
	-DSQLITE_OMIT_DECLTYPE \
	-DSQLITE_OMIT_COMPILEOPTION_DIAGS \
	-DSQLITE_OMIT_REINDEX \
	-DSQLITE_OMIT_JSON \
	-DSQLITE_OMIT_WINDOWFUNC \
	-DSQLITE_OMIT_DATETIME_FUNCS \
	-DSQLITE_OMIT_ANALYZE \
	-DSQLITE_OMIT_EXPLAIN \
	-DSQLITE_OMIT_ALTERTABLE \
	-DSQLITE_OMIT_AUTOVACUUM \
	-DSQLITE_OMIT_INTROSPECTION_PRAGMAS \
	-DSQLITE_OMIT_PROGRESS_CALLBACK \
	-DSQLITE_OMIT_DESERIALIZE \
	-DSQLITE_OMIT_VIEW \
	-DSQLITE_OMIT_CTE \
	-DSQLITE_OMIT_GENERATED_COLUMNS \
	-DSQLITE_OMIT_XFER_OPT \
	-DSQLITE_OMIT_OR_OPTIMIZATION \
	-DSQLITE_OMIT_AUTOMATIC_INDEX \
	-DSQLITE_OMIT_TEMPDB \
	-DSQLITE_UNTESTABLE \
	-DHAVE_USLEEP=1 \
	-DHAVE_LOCALTIME_R=1 \
	-DHAVE_GMTIME_R=1 \
	-DHAVE_FDATASYNC=1 \
	-DHAVE_POSIX_FALLOCATE=1
SQLITE_OPTFILE = $(V)/.sqlite-opts
SQLITE_C = $(V)/sqlite/sqlite3.c
$(SQLITE_OPTFILE): FORCE
	@mkdir -p $(@D)
	@echo '$(strip $(SQLITE_OPTS))' | cmp -s - $@ || echo '$(strip $(SQLITE_OPTS))' > $@
FORCE:
# scripts/vendor-fetch fetches, verifies and unpacks vendor/manifest's sources;
# then SQLite's amalgamation is generated with SQLITE_OPTS (above).
vendor: $(STAMP)
$(STAMP): vendor/manifest scripts/vendor-fetch scripts/sqlite-amalgamate $(SQLITE_OPTFILE)
	./scripts/vendor-fetch
	HOSTCC=$(CLANG) ./scripts/sqlite-amalgamate $(V)/sqlite $(SQLITE_OPTFILE)
	touch $@
$(VENDOR_C) $(SQLITE_C): $(STAMP)
	@test -f $@ || { echo "missing $@ (vendor/manifest out of date?)" >&2; exit 1; }

# One object per flavour, in an archive of its own so that only what uses it
# links it (the test programs) and --gc-sections keeps what it calls.
build/musl/libsqlite3.a build/asan/libsqlite3.a build/fuzz/libsqlite3.a \
build/tsan/libsqlite3.a: build/%/libsqlite3.a: build/%/vendor/src/sqlite/sqlite3.o
	rm -f $@.tmp && ar rcs $@.tmp $< && mv $@.tmp $@

# BearSSL: every source file of the library, compiled per flavour into one
# archive (musl for the shipped binary; clang with the sanitizers for tests).
BEARSSL_C = $(sort $(shell test -f $(STAMP) && find $(V)/bearssl/src -name '*.c'))
BEARSSL_INC = -I$(V)/bearssl/inc -I$(V)/bearssl/src
bearssl_objs = $(patsubst $(V)/bearssl/src/%.c,build/$(1)/bearssl/%.o,$(BEARSSL_C))

build/musl/libbearssl.a build/asan/libbearssl.a build/fuzz/libbearssl.a: $(STAMP)
	$(MAKE) --no-print-directory BEARSSL_BUILD=1 $(@D)/bearssl/.built
	rm -f $@.tmp && ar rcs $@.tmp $$(find $(@D)/bearssl -name '*.o' | sort) && mv $@.tmp $@
build/musl/bearssl/.built: $(call bearssl_objs,musl)
	touch $@
build/asan/bearssl/.built: $(call bearssl_objs,asan)
	touch $@
build/fuzz/bearssl/.built: $(call bearssl_objs,fuzz)
	touch $@
build/musl/bearssl/%.o: $(V)/bearssl/src/%.c
	@mkdir -p $(@D)
	$(CC) -Os -w -ffunction-sections -fdata-sections $(BEARSSL_INC) -c $< -o $@
# BearSSL reads unaligned words on x86 on purpose; UBSan would abort on it, so
# the sanitizer builds use its portable (aligned) code paths.
BEARSSL_SAN = -DBR_LE_UNALIGNED=0 -DBR_BE_UNALIGNED=0
build/asan/bearssl/%.o: $(V)/bearssl/src/%.c
	@mkdir -p $(@D)
	$(CLANG) -O1 -g -w -fsanitize=address,undefined -fno-sanitize-recover=undefined $(BEARSSL_SAN) $(BEARSSL_INC) -c $< -o $@
build/fuzz/bearssl/%.o: $(V)/bearssl/src/%.c
	@mkdir -p $(@D)
	$(CLANG) -O1 -g -w $(FUZZFLAGS) $(BEARSSL_SAN) $(BEARSSL_INC) -c $< -o $@

$(foreach f,$(FAST),build/musl/src/$(f).o): OPT = -O2
build/musl/vendor/src/zlib/%.o build/musl/vendor/src/lz4/lib/%.o: OPT = -O2
# zlib's CRC-32 tables made at first use, in .bss (9 KiB less in the file; its
# once() is C11 atomics, so threads may race to the first CRC safely). The CRC
# of a gzip body is gz.c's own where the CPU has PCLMUL: zlib's is the fallback.
build/%/vendor/src/zlib/crc32.o: VDEFS = -DDYNAMIC_CRC_TABLE

# ---------------------------------------------------------------- compile
# The shipped binary carries no unwind tables (.eh_frame, ~36 KB of the
# 512 KiB budget): C without exceptions or pthread_cancel never unwinds, and
# the binary is stripped anyway. The sanitizer builds keep them for traces.
NOUNWIND = -fno-asynchronous-unwind-tables -fno-unwind-tables
build/musl/vendor/%.o: vendor/%.c $(STAMP)
	@mkdir -p $(@D)
	$(CC) $(VENDOR_CFLAGS) $(NOUNWIND) -c $< -o $@
build/musl/%.o: %.c $(STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(NOUNWIND) -c $< -o $@

build/asan/vendor/%.o: vendor/%.c $(STAMP)
	@mkdir -p $(@D)
	$(CLANG) $(VENDOR_CFLAGS) $(SANFLAGS) -c $< -o $@
build/asan/%.o: %.c $(STAMP)
	@mkdir -p $(@D)
	$(CLANG) $(ALL_CFLAGS) $(SANFLAGS) -c $< -o $@

build/fuzz/vendor/%.o: vendor/%.c $(STAMP)
	@mkdir -p $(@D)
	$(CLANG) $(VENDOR_CFLAGS) $(FUZZFLAGS) -c $< -o $@
build/fuzz/%.o: %.c $(STAMP)
	@mkdir -p $(@D)
	$(CLANG) $(ALL_CFLAGS) $(FUZZFLAGS) -c $< -o $@

# ---------------------------------------------------------------- link
build/repodigest: build/musl/src/cli/main.o $(M_LIB) build/musl/libsqlite3.a build/musl/libbearssl.a
	$(CC) -static -s -Wl,--gc-sections $(LDFLAGS) -o $@.tmp $^ $(LDLIBS) && mv $@.tmp $@

build/asan/repodigest: build/asan/src/cli/main.o $(A_LIB) build/asan/libsqlite3.a build/asan/libbearssl.a
	$(CLANG) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

build/musl/tests/%: build/musl/tests/unit/%.o $(M_LIB) build/musl/libsqlite3.a build/musl/libbearssl.a
	@mkdir -p $(@D)
	$(CC) -static $(LDFLAGS) -o $@ $^ $(LDLIBS)
build/asan/tests/%: build/asan/tests/unit/%.o $(A_LIB) build/asan/libsqlite3.a build/asan/libbearssl.a
	@mkdir -p $(@D)
	$(CLANG) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Integration test drivers (tests/integration/*.c): small programs the
# integration scripts run against real servers.
build/musl/itests/%: build/musl/tests/integration/%.o $(M_LIB) build/musl/libsqlite3.a build/musl/libbearssl.a
	@mkdir -p $(@D)
	$(CC) -static $(LDFLAGS) -o $@ $^ $(LDLIBS)
build/asan/itests/%: build/asan/tests/integration/%.o $(A_LIB) build/asan/libsqlite3.a build/asan/libbearssl.a
	@mkdir -p $(@D)
	$(CLANG) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Fuzz targets: libFuzzer binaries for `make fuzz`, and replay binaries (ASan, no
# libFuzzer) that run the committed corpora in `make test`.
build/fuzz/bin/%: build/fuzz/tests/fuzz/%.o $(F_LIB) build/fuzz/libsqlite3.a build/fuzz/libbearssl.a
	@mkdir -p $(@D)
	$(CLANG) -fsanitize=fuzzer,address,undefined $(LDFLAGS) -o $@ $^ $(LDLIBS)
build/asan/replay/%: build/asan/tests/fuzz/%.o build/asan/tests/fuzz/replay.o $(A_LIB) \
    build/asan/libsqlite3.a build/asan/libbearssl.a
	@mkdir -p $(@D)
	$(CLANG) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# ---------------------------------------------------------------- tsan
# build/tsan: clang ThreadSanitizer (glibc), for the batch run's threads:
# tests/run runs the run.sh and faults.sh integration tests with it. BearSSL
# is pure computation on per-connection state and is left uninstrumented.
TSANFLAGS = -fsanitize=thread -fno-omit-frame-pointer -g -O1
T_LIB  = $(call obj,tsan,$(LIB_C) $(VENDOR_C)) build/tsan/gen/anchors.o build/tsan/gen/page_assets.o
build/tsan/gen/page_assets.o: $(PAGE_C) $(STAMP)
	@mkdir -p $(@D)
	$(CLANG) $(ALL_CFLAGS) $(TSANFLAGS) -c $< -o $@
build/tsan/gen/anchors.o: $(ANCHORS_C) $(STAMP)
	@mkdir -p $(@D)
	$(CLANG) $(ALL_CFLAGS) $(TSANFLAGS) -c $< -o $@
build/tsan/vendor/%.o: vendor/%.c $(STAMP)
	@mkdir -p $(@D)
	$(CLANG) $(VENDOR_CFLAGS) $(TSANFLAGS) -c $< -o $@
build/tsan/%.o: %.c $(STAMP)
	@mkdir -p $(@D)
	$(CLANG) $(ALL_CFLAGS) $(TSANFLAGS) -c $< -o $@
build/tsan/libbearssl.a: $(STAMP)
	$(MAKE) --no-print-directory BEARSSL_BUILD=1 $(@D)/bearssl/.built
	rm -f $@.tmp && ar rcs $@.tmp $$(find $(@D)/bearssl -name '*.o' | sort) && mv $@.tmp $@
build/tsan/bearssl/.built: $(call bearssl_objs,tsan)
	touch $@
build/tsan/bearssl/%.o: $(V)/bearssl/src/%.c
	@mkdir -p $(@D)
	$(CLANG) -O1 -g -w $(BEARSSL_INC) -c $< -o $@
build/tsan/repodigest: build/tsan/src/cli/main.o $(T_LIB) build/tsan/libsqlite3.a build/tsan/libbearssl.a
	$(CLANG) $(TSANFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
# Unit tests of threaded modules, also under TSan (tests/run runs them), and
# the service's probe server with its event thread (tests/integration/serve.sh)
TSAN_TESTS = build/tsan/tests/test_queue build/tsan/tests/test_loop \
	build/tsan/tests/test_digest \
	build/tsan/tests/test_chunk build/tsan/tests/test_sqlmem \
	build/tsan/itests/serve_probe
build/tsan/tests/%: build/tsan/tests/unit/%.o $(T_LIB) build/tsan/libsqlite3.a build/tsan/libbearssl.a
	@mkdir -p $(@D)
	$(CLANG) $(TSANFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
build/tsan/itests/%: build/tsan/tests/integration/%.o $(T_LIB) build/tsan/libsqlite3.a build/tsan/libbearssl.a
	@mkdir -p $(@D)
	$(CLANG) $(TSANFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# ---------------------------------------------------------------- targets
MUSL_TESTS = $(addprefix build/musl/tests/,$(TESTS))
ASAN_TESTS = $(addprefix build/asan/tests/,$(TESTS))
REPLAYS    = $(addprefix build/asan/replay/,$(FUZZERS))

setup:
	./scripts/setup

FUZZ_BINS  = $(addprefix build/fuzz/bin/,$(FUZZERS))
ITEST_BINS = $(addprefix build/musl/itests/,$(ITESTS)) $(addprefix build/asan/itests/,$(ITESTS))

test-build: build/repodigest build/asan/repodigest build/tsan/repodigest $(MUSL_TESTS) $(ASAN_TESTS) $(TSAN_TESTS) $(REPLAYS) \
	$(FUZZ_BINS) $(ITEST_BINS)

test check: setup
	$(MAKE) --no-print-directory -j2 test-build
	./tests/run

static: build/repodigest
	./scripts/check-static build/repodigest

demo: setup
	$(MAKE) --no-print-directory build/repodigest
	./scripts/demo

fuzz: setup
	$(MAKE) --no-print-directory $(addprefix build/fuzz/bin/,$(FUZZERS))
	FUZZ_SECONDS=$${FUZZ_SECONDS:-60} ./scripts/fuzz $(FUZZERS)

bench: setup
	$(MAKE) --no-print-directory build/repodigest build/musl/itests/zfloor \
	    build/musl/itests/serve_probe build/musl/itests/serve_load
	./scripts/bench

install: build/repodigest
	mkdir -p $(DESTDIR)$(BINDIR)
	cp build/repodigest $(DESTDIR)$(BINDIR)/repodigest

clean:
	rm -rf build

# ---------------------------------------------------------------- image
# `make image`: Containerfile.scratch built by scripts/image with buildah (no
# daemon, offline, reproducible) into build/repodigest-$(VERSION).oci.tar.
IMAGE = build/repodigest-$(VERSION).oci.tar
image: build/repodigest
	./scripts/image build/repodigest $(VERSION)
.PHONY: image

.PHONY: FORCE print-musl-objs page-size all vendor setup test-build test check static demo fuzz bench install clean
.SECONDARY:

-include $(shell test -d build && find build -name '*.d')
