# Release and cross builds (included by the Makefile; see docs/deployment.md,
# "Release build" and "Other architectures").
#
#   make release                 static stripped musl subnetrad + subnetra for
#                                this machine in dist/, with the tarball and
#                                SHA256SUMS.txt; fails if a binary exceeds
#                                SIZE_BUDGET bytes
#   make release ARCH=arm64      the same for another architecture (tarball only)
#   make cross [ARCH=arm64|armhf|mipsel]   cross-build binaries, unit tests and
#                                the conformance tool in build-cross-ARCH/,
#                                plus the tarball (default: all three)
#   make test-cross [ARCH=...]   run those under qemu-user-static (TAP)
#
# The libraries are built once per architecture from Debian's source
# packages (build-release/src, build-*/deps): the first run takes minutes,
# later ones only relink.

CROSS_ARCHS := arm64 armhf mipsel
SIZE_BUDGET ?= 524288
# ARCH given: that one; otherwise all of them (cross) or this machine (release).
REL_ARCHS   := $(if $(ARCH),$(ARCH),$(CROSS_ARCHS))
REL_ENV     := SIZE_BUDGET=$(SIZE_BUDGET) WERROR=$(WERROR) MAX_PEERS=$(MAX_PEERS) V=$(V)

.PHONY: release cross test-cross

release:
ifeq ($(filter-out native,$(ARCH)),)
	$(Q)./scripts/deps-release.sh
	$(Q)$(REL_ENV) ./scripts/release.sh --arch native
else
	$(Q)./scripts/deps-cross.sh $(ARCH)
	$(Q)$(REL_ENV) ./scripts/release.sh --arch $(ARCH)
endif

cross:
	$(Q)./scripts/deps-cross.sh $(REL_ARCHS)
	$(Q)set -e; for a in $(REL_ARCHS); do $(REL_ENV) ./scripts/release.sh --arch $$a --tests; done

test-cross: cross
	$(Q)./scripts/test-cross.sh $(REL_ARCHS)
