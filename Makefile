# subnetra -- plain Makefile.  `make` builds, `make test` installs test
# dependencies, builds with -Werror and runs every suite, `make demo` runs a
# hub and two spokes, then a base and two mesh nodes behind NAT routers, in
# network namespaces.  V=1 shows the commands.
#
#   make [BUILD=dir] [CC=clang] [SAN=1] [MAX_PEERS=N] [WERROR=1]
#   make TSAN=1               ThreadSanitizer build in build-tsan (unless BUILD=)
#   make CRYPTO=openssl BUILD=build-openssl   data-plane AEAD from libcrypto
#   make fuzz [FUZZ_SECS=N]   libFuzzer harnesses (clang, ASan+UBSan), N s each
#   make SECCOMP_ARCH=aarch64 the seccomp filter for another architecture
#                             (cross builds: scripts/release.sh sets it)

TSAN      ?= 0
ifeq ($(TSAN),1)
BUILD     ?= build-tsan
endif
BUILD     ?= build
CC        ?= cc
PREFIX    ?= /usr/local
MANDIR    ?= $(PREFIX)/share/man
DESTDIR   ?=
MAX_PEERS ?= 32
SAN       ?= 0
WERROR    ?= 0
FUZZ      ?= 0
CRYPTO    ?= sodium
FUZZ_SECS ?= 180
# The seccomp filter is compiled at build time, on and for the build host
# unless SECCOMP_ARCH names a libseccomp architecture (aarch64, arm, mipsel).
HOSTCC       ?= cc
SECCOMP_ARCH ?= native
# Sub-makes of test, demo, ... build with one job per CPU.
NPROC     := $(shell nproc 2>/dev/null || echo 2)

WARN := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wpointer-arith -Wcast-qual -Wvla -Wnull-dereference
ifeq ($(WERROR),1)
WARN += -Werror
endif

CPPFLAGS += -D_GNU_SOURCE -Isrc -I. -I$(BUILD)/gen -MMD -MP -DSUBNETRA_MAX_PEERS=$(MAX_PEERS)
ifeq ($(FUZZ),1)
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=all -DSUBNETRA_FUZZING
LDSAN := -fsanitize=address,undefined
else ifeq ($(SAN),1)
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDSAN := -fsanitize=address,undefined
else ifeq ($(TSAN),1)
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=thread
LDSAN := -fsanitize=thread
else
OPT := -O2 -g -D_FORTIFY_SOURCE=2 -fstack-protector-strong
LDSAN :=
endif
CFLAGS  += $(WARN) $(OPT) -fPIE -pthread
LDFLAGS += -pie -pthread -Wl,-z,relro,-z,now $(LDSAN)
LDLIBS  += -lsodium -ljson-c -lcap-ng
# Workers share 64-bit atomics; 32-bit targets without native ones (mipsel)
# get them from libatomic.  Probed once per make: only linked when needed.
NEED_LIBATOMIC := $(shell printf '#include <stdatomic.h>\n#include <stdint.h>\n_Atomic uint64_t v;\nint main(void) { return (int)atomic_fetch_add(&v, 1); }\n' | \
	$(CC) -std=c11 -x c - -o /dev/null >/dev/null 2>&1 || echo 1)
ifeq ($(NEED_LIBATOMIC),1)
LDLIBS  += -latomic
endif
ifeq ($(CRYPTO),openssl)
CPPFLAGS += -DSUBNETRA_CRYPTO_OPENSSL
LDLIBS   += -lcrypto
else ifneq ($(CRYPTO),sodium)
$(error CRYPTO must be sodium or openssl)
endif

ifneq ($(V),1)
Q = @
E = @printf '  %-6s %s\n'
else
Q =
E = @true
endif

# One library per layer; dependencies point one way:
#   daemon -> os -> core,   tools/lib -> os -> core,   everything -> common;
#   core/mgmt -> core (libmgmtcore: linked by subnetra-mgmtd and the tests);
#   agent -> core/mgmt, os (libagent: the device's management client, linked
#   by the CLI for `subnetra agent`, never by subnetrad).
# Tool-only code (tools/lib) never goes into the daemon, nor the daemon's
# into the tools.
# src/core/mgmt (the management plane's pure modules) is a library of its
# own: subnetra-mgmtd, the CLI (for the agent) and the tests link it,
# subnetrad not.
MGMT_CORE_SRCS := $(wildcard src/core/mgmt/*.c)
CORE_SRCS   := $(filter-out $(MGMT_CORE_SRCS),$(wildcard src/core/*.c src/core/*/*.c))
OS_SRCS     := $(wildcard src/os/linux/*.c)
COMMON_SRCS := $(wildcard src/common/*.c)
DAEMON_SRCS := $(filter-out src/daemon/main.c,$(wildcard src/daemon/*.c src/daemon/*/*.c))
TLIB_SRCS   := $(wildcard tools/lib/*.c)
MGMT_SRCS   := $(filter-out src/mgmt/main.c,$(wildcard src/mgmt/*.c))
AGENT_SRCS  := $(wildcard src/agent/*.c)
LIBCORE   := $(BUILD)/libcore.a
LIBOS     := $(BUILD)/libos.a
LIBCOMMON := $(BUILD)/libcommon.a
LIBDAEMON := $(BUILD)/libdaemon.a
LIBTOOLS  := $(BUILD)/libtools.a
LIBMGMT   := $(BUILD)/libmgmt.a
LIBMGMTCORE := $(BUILD)/libmgmtcore.a
LIBAGENT  := $(BUILD)/libagent.a
BASE_LIBS := $(LIBOS) $(LIBCORE) $(LIBCOMMON)
ALL_LIBS  := $(LIBDAEMON) $(LIBAGENT) $(LIBTOOLS) $(LIBMGMTCORE) $(BASE_LIBS)

# Every tools/NAME.c is a helper tool: build/subnetra-NAME.
TOOL_PROGS := $(patsubst tools/%.c,$(BUILD)/subnetra-%,$(wildcard tools/*.c))
# The management server: its own library and Debian's shared libraries,
# never linked into subnetrad (whose static size budget stays as it is).
MGMT_PROG := $(BUILD)/subnetra-mgmtd
MGMT_LDLIBS := -lmicrohttpd -lgnutls -lsqlite3 -lpq -lqrencode
# Debian keeps libpq's headers in a folder of their own.
$(BUILD)/obj/src/mgmt/%.o: CPPFLAGS += -isystem /usr/include/postgresql
BINS := $(BUILD)/subnetrad $(BUILD)/subnetra $(TOOL_PROGS) $(MGMT_PROG)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOL_BINS := $(TOOL_SRCS:tests/tools/%.c=$(BUILD)/tests/tools/%)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)

.PHONY: all deps test test-build fuzz-build fuzz unit netns demo bench soak clean install install-man \
	test-fresh FORCE
all: $(BINS)

# The seccomp filter (src/os/linux/sandbox.c loads it): scripts/seccomp-gen.c,
# built for and run on the build host against its libseccomp, compiles the
# rules of src/os/linux/sandbox_rules.h into BPF for SECCOMP_ARCH.  Only the
# unit tests link libseccomp (test_sandbox builds the filter again and
# compares).  seccomp-arch changes only when SECCOMP_ARCH does.
$(BUILD)/gen/seccomp-arch: FORCE
	@mkdir -p $(dir $@)
	@echo '$(SECCOMP_ARCH)' | cmp -s - $@ || echo '$(SECCOMP_ARCH)' >$@

$(BUILD)/gen/seccomp-gen: scripts/seccomp-gen.c src/os/linux/sandbox_rules.h
	$(E) HOSTCC $@
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) -D_GNU_SOURCE -Isrc $(WARN) -O2 $< -o $@ -lseccomp

$(BUILD)/gen/seccomp_bpf.h: $(BUILD)/gen/seccomp-gen $(BUILD)/gen/seccomp-arch
	$(E) GEN $@
	$(Q)$(BUILD)/gen/seccomp-gen $(SECCOMP_ARCH) >$@.tmp && mv -f $@.tmp $@

$(BUILD)/obj/src/os/linux/sandbox.o: $(BUILD)/gen/seccomp_bpf.h

$(BUILD)/obj/%.o: %.c
	$(E) CC $<
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

define make_lib
$(1): $$($(2):%.c=$$(BUILD)/obj/%.o)
	$$(E) AR $$@
	$$(Q)rm -f $$@ && ar rcs $$@ $$^
endef
$(eval $(call make_lib,$(LIBCORE),CORE_SRCS))
$(eval $(call make_lib,$(LIBOS),OS_SRCS))
$(eval $(call make_lib,$(LIBCOMMON),COMMON_SRCS))
$(eval $(call make_lib,$(LIBDAEMON),DAEMON_SRCS))
$(eval $(call make_lib,$(LIBTOOLS),TLIB_SRCS))
$(eval $(call make_lib,$(LIBMGMT),MGMT_SRCS))
$(eval $(call make_lib,$(LIBMGMTCORE),MGMT_CORE_SRCS))
$(eval $(call make_lib,$(LIBAGENT),AGENT_SRCS))

$(BUILD)/subnetrad: $(BUILD)/obj/src/daemon/main.o $(LIBDAEMON) $(BASE_LIBS)
	$(E) LD $@
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# The CLI carries the management agent (src/agent: `subnetra agent`), which
# subnetrad never links (its static size budget; privilege separation).
$(BUILD)/subnetra: $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard cli/*.c)) $(LIBAGENT) $(LIBMGMTCORE) $(BASE_LIBS)
	$(E) LD $@
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# The OpenAPI document, embedded (GET /api/v1/openapi.yaml serves these bytes).
$(BUILD)/gen/openapi_yaml.h: docs/api/openapi.yaml
	$(E) GEN $@
	@mkdir -p $(dir $@)
	$(Q){ echo 'static const char openapi_yaml[] = {'; \
	      od -An -v -tx1 $< | sed 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	      echo '};'; } >$@.tmp && mv -f $@.tmp $@
$(BUILD)/obj/src/mgmt/http_routes.o: $(BUILD)/gen/openapi_yaml.h

# The dashboard (src/mgmt/ui/: plain HTML, CSS and JavaScript, no build
# step), embedded the same way: GET / and /ui/{file} serve these bytes.
UI_FILES := $(sort $(wildcard src/mgmt/ui/*.html src/mgmt/ui/*.css src/mgmt/ui/*.js src/mgmt/ui/*.svg))
$(BUILD)/gen/ui_assets.h: $(UI_FILES) scripts/embed-ui.sh
	$(E) GEN $@
	@mkdir -p $(dir $@)
	$(Q)./scripts/embed-ui.sh $(UI_FILES) >$@.tmp && mv -f $@.tmp $@
$(BUILD)/obj/src/mgmt/ui.o: $(BUILD)/gen/ui_assets.h

$(MGMT_PROG): $(BUILD)/obj/src/mgmt/main.o $(LIBMGMT) $(LIBMGMTCORE) $(BASE_LIBS)
	$(E) LD $@
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) $(MGMT_LDLIBS) -o $@

$(BUILD)/subnetra-%: $(BUILD)/obj/tools/%.o $(LIBTOOLS) $(BASE_LIBS)
	$(E) LD $@
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# Tests drive every layer (the fuzzers and unit tests use daemon contexts).
$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(ALL_LIBS)
	$(E) LD $@
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -lcmocka -lseccomp -o $@

# The management server's unit tests link its library (the more specific
# pattern wins over the one above).
$(BUILD)/tests/test_mgmtd_%: $(BUILD)/obj/tests/unit/test_mgmtd_%.o $(LIBMGMT) $(LIBMGMTCORE) $(BASE_LIBS)
	$(E) LD $@
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) $(MGMT_LDLIBS) -lcmocka -o $@

$(BUILD)/tests/tools/%: $(BUILD)/obj/tests/tools/%.o $(ALL_LIBS)
	$(E) LD $@
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/fuzz/%: $(BUILD)/obj/tests/fuzz/%.o $(ALL_LIBS)
	$(E) LD $@
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -fsanitize=fuzzer $^ $(LDLIBS) -o $@

# The server's harnesses link its library (the more specific pattern wins).
$(BUILD)/fuzz/fuzz_mgmtd_%: $(BUILD)/obj/tests/fuzz/fuzz_mgmtd_%.o $(LIBMGMT) $(LIBMGMTCORE) $(BASE_LIBS)
	$(E) LD $@
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -fsanitize=fuzzer $^ $(LDLIBS) $(MGMT_LDLIBS) -o $@

fuzz-build: $(FUZZ_BINS)

# Each harness replays its corpus and regressions, then fuzzes FUZZ_SECS s.
fuzz: deps
	$(Q)$(MAKE) --no-print-directory CC=clang FUZZ=1 BUILD=build-fuzz fuzz-build
	$(Q)./tests/fuzz/run.sh --build build-fuzz --seconds $(FUZZ_SECS)

# Installs (as root, via apt) whatever build/run/test dependency is missing.
deps:
	$(Q)./scripts/deps.sh
	$(Q)./scripts/ui-deps.sh

test-build: $(BINS) $(UNIT_BINS) $(TOOL_BINS)

# The full suite: -Werror build, unit tests, vectors, netns scenarios; the
# same unit and netns suites against an ASan/UBSan build; unit tests and
# vectors against the OpenSSL AEAD backend; a short run of every fuzzer.
test: deps
	$(Q)$(MAKE) --no-print-directory -j$(NPROC) WERROR=1 test-build
	$(Q)$(MAKE) --no-print-directory -j$(NPROC) WERROR=1 SAN=1 BUILD=build-asan test-build
	$(Q)$(MAKE) --no-print-directory -j$(NPROC) WERROR=1 CRYPTO=openssl BUILD=build-openssl test-build
	$(Q)$(MAKE) --no-print-directory -j$(NPROC) WERROR=1 CC=clang FUZZ=1 BUILD=build-fuzz fuzz-build
	$(Q)./tests/run.sh

unit: test-build
	$(Q)./tests/run.sh --only unit

netns: test-build
	$(Q)./tests/run.sh --only netns

# The fresh-machine contract (root; not part of `make test`): `make demo` and
# `make test` from a clone of HEAD in a pristine Debian 12 minbase chroot
# without udev, cached in /var/cache/subnetra-fresh; CROSS=armhf (or
# "armhf arm64 ...") adds `make test-cross ARCH=...`.  See docs/testing.md.
test-fresh:
	$(Q)./scripts/test-fresh.sh $(if $(CROSS),--cross "$(CROSS)")

# The long fault scenarios (SUBNETRA_SOAK=1: 300 s RSS run, 20 restarts...)
# against the plain and the ASan build, and the several-workers stress run
# (three minutes per load run) on those and the OpenSSL build; about 35 minutes.
soak: deps
	$(Q)$(MAKE) --no-print-directory WERROR=1 test-build
	$(Q)$(MAKE) --no-print-directory WERROR=1 SAN=1 BUILD=build-asan test-build
	$(Q)$(MAKE) --no-print-directory WERROR=1 CRYPTO=openssl BUILD=build-openssl test-build
	$(Q)./scripts/soak.sh --build build --build build-asan --build build-openssl

# Side-by-side benchmark (root): our tunnel vs the veth ceiling, wireguard-go
# and Nebula in network namespaces.  Options: ROUNDS=, SECS=, SYSTEMS=,
# WGGO=/path/to/wireguard-go.  Writes build/bench/latest.json.
bench:
	$(Q)ROUNDS="$(ROUNDS)" SECS="$(SECS)" SYSTEMS="$(SYSTEMS)" WGGO="$(WGGO)" ./bench/run.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory -j$(NPROC) all
	$(Q)./scripts/demo.sh

SHIPPED_TOOLS := keygen config-gen config-lint wire-decode mtu-probe

install: all install-man
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BUILD)/subnetrad $(DESTDIR)$(PREFIX)/sbin/subnetrad
	install -m 0755 $(BUILD)/subnetra $(DESTDIR)$(PREFIX)/bin/subnetra
	install -m 0755 $(MGMT_PROG) $(DESTDIR)$(PREFIX)/sbin/subnetra-mgmtd
	for t in $(SHIPPED_TOOLS); do \
		install -m 0755 $(BUILD)/subnetra-$$t $(DESTDIR)$(PREFIX)/bin/subnetra-$$t || exit 1; \
	done
	install -m 0755 tools/doctor.sh $(DESTDIR)$(PREFIX)/bin/subnetra-doctor

# Manual pages: man/NAME.1 and man/NAME.8 (section from the suffix).
install-man:
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 $(wildcard man/*.1) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(wildcard man/*.8) $(DESTDIR)$(MANDIR)/man8/

clean:
	rm -rf build build-asan build-tsan build-fuzz build-clang build-openssl
	rm -rf build-release build-cross-arm64 build-cross-armhf build-cross-mipsel dist

include mk/release.mk

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
