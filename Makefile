# SPDX-License-Identifier: GPL-2.0-or-later
# imgbuild: `make` builds, `make check` runs every test, `make run` builds the
# bundled example, `make install` honours PREFIX and DESTDIR.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
CC ?= cc

PKGS := yaml-0.1 zlib libcrypto hivex libelf libarchive libntfs-3g libxml-2.0
# libnbd (a base's overlay served by qemu-nbd) where the system has it (Debian:
# libnbd-dev, which the README's commands install); without it, base: builds
# copy the base into a raw work image, and the plan says so.
HAVE_LIBNBD := $(shell pkg-config --exists libnbd 2>/dev/null && echo 1)
ifeq ($(HAVE_LIBNBD),1)
PKGS += libnbd
NBD_CFLAGS := -DIB_HAVE_LIBNBD
endif
# wimlib (Windows install media) likewise (Debian: libwim-dev). Found by its
# header: Debian's wimlib.pc requires FUSE 2's pkg-config file, which a
# machine with only FUSE 3 lacks.
HAVE_WIMLIB := $(shell printf '\043include <wimlib.h>\n' | $(CC) -E -x c - >/dev/null 2>&1 && echo 1)
ifeq ($(HAVE_WIMLIB),1)
NBD_CFLAGS += -DIB_HAVE_WIMLIB
WIM_LIBS := -lwim
endif
# Warnings are errors in the test build (build/san: `make test-build`,
# `make check`, CI) and with WERROR=1; a plain `make` (packagers, newer
# compilers) only warns.
WERROR ?= 0
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral
ifeq ($(WERROR),1)
WARN += -Werror
endif
# -MMD -MP: each object's header dependencies, so touching a header rebuilds
# only what includes it.
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -I. -Ilib $(WARN) -MMD -MP $(NBD_CFLAGS) \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lyaml -lz -lcrypto -lhivex -lelf -larchive -lntfs-3g -lxml2 $(if $(HAVE_LIBNBD),-lnbd)) $(WIM_LIBS)

HARDEN := -fstack-protector-strong -fPIE
# -U first: some compilers predefine another level.
OPT_CFLAGS := -O2 -g -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2 $(HARDEN)
SAN_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined $(HARDEN) \
	$(if $(filter-out 1,$(WERROR)),-Werror) # (WARN has it with WERROR=1)
LINK_FLAGS := -pie

LIB_SRC := $(sort $(wildcard lib/*.c lib/*/*.c platform/*.c platform/*/*.c))
BIN_SRC := $(sort $(wildcard bin/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
# Helpers the unit tests share (temp dirs, peer tools, fixtures, loop devices).
TEST_SUPPORT_SRC := $(sort $(wildcard tests/unit/support/*.c))

REL := build/rel
SAN := build/san

all: $(REL)/imgbuild

define variant
$(1)/obj/%.o: %.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(BASE_CFLAGS) $(2) $$(CFLAGS) -c $$< -o $$@
$(1)/libimgbuild.a: $$(patsubst %.c,$(1)/obj/%.o,$$(LIB_SRC))
	@rm -f $$@
	ar rcs $$@ $$^
$(1)/imgbuild: $$(patsubst %.c,$(1)/obj/%.o,$$(BIN_SRC)) $(1)/libimgbuild.a
	$$(CC) $(2) $$(LINK_FLAGS) $$(LDFLAGS) -o $$@ $$^ $$(LIBS)
endef
$(eval $(call variant,$(REL),$(OPT_CFLAGS)))
$(eval $(call variant,$(SAN),$(SAN_CFLAGS)))

TEST_SUPPORT_OBJ := $(patsubst %.c,$(SAN)/obj/%.o,$(TEST_SUPPORT_SRC))

$(SAN)/tests/%: $(SAN)/obj/tests/unit/%.o $(TEST_SUPPORT_OBJ) $(SAN)/libimgbuild.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN_CFLAGS) $(LINK_FLAGS) -o $@ $^ $(LIBS) -lcmocka

UNIT_BINS := $(patsubst tests/unit/%.c,$(SAN)/tests/%,$(UNIT_SRC))

deps:
	@scripts/install-deps.sh

# Everything the tests need: the sanitizer build, unit tests and the helpers.
test-build: $(SAN)/imgbuild $(UNIT_BINS)

check: deps
	@$(MAKE) --no-print-directory WERROR=1 test-build
	@tests/run-all.sh $(SAN)

run: deps
	@$(MAKE) --no-print-directory $(REL)/imgbuild
	$(REL)/imgbuild build recipes/example.yml -o out
	@echo "images are in ./out:"; ls -l out

bench: deps
	@$(MAKE) --no-print-directory $(REL)/imgbuild
	bench/run.sh $(BENCH_ARGS)

install: $(REL)/imgbuild
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(REL)/imgbuild $(DESTDIR)$(BINDIR)/imgbuild

clean:
	rm -rf build out

.PHONY: all deps test-build check run bench install clean
.SECONDARY:

# Fuzzing and static analysis (mk/fuzz.mk, mk/analyze.mk).
-include mk/*.mk

# The header dependencies -MMD wrote.
-include $(shell find build -name '*.d' 2>/dev/null)
