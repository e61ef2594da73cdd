# SPDX-License-Identifier: GPL-2.0-or-later
# Fuzzing with clang's libFuzzer (tests/fuzz/): `make fuzz-smoke` runs every
# target for FUZZ_SECONDS (default 15) each, as CI does; `make fuzz
# FUZZ_SECONDS=3600` runs longer. Corpora start from tests/ and the shared
# fixtures; crashes land in build/fuzz/crashes/ and fail the run.

FUZZ := build/fuzz
FUZZ_CC ?= clang
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -I. -Ilib -g -O1 -fno-omit-frame-pointer -MMD -MP \
	-fsanitize=fuzzer-no-link,address,undefined $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(FUZZ)/%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_LIB_OBJ := $(patsubst %.c,$(FUZZ)/obj/%.o,$(LIB_SRC))

$(FUZZ)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@
$(FUZZ)/libimgbuild.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(FUZZ)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h $(FUZZ)/libimgbuild.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ)/libimgbuild.a $(LIBS) -o $@

fuzz-build: $(FUZZ_TARGETS)

fuzz-smoke: deps
	@scripts/install-deps.sh --fuzz
	@$(MAKE) --no-print-directory -j2 fuzz-build
	@tests/fuzz/run.sh $(FUZZ) $(or $(FUZZ_SECONDS),15)

fuzz: deps
	@scripts/install-deps.sh --fuzz
	@$(MAKE) --no-print-directory -j2 fuzz-build
	@tests/fuzz/run.sh $(FUZZ) $(or $(FUZZ_SECONDS),300)

.PHONY: fuzz fuzz-build fuzz-smoke
