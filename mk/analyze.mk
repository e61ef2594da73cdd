# SPDX-License-Identifier: GPL-2.0-or-later
# Static analysis: every source of lib/, platform/ and bin/ through
# `gcc -fanalyzer`; any finding fails (CI runs `make analyze`).

ANALYZE := build/analyze
ANALYZE_SRC := $(LIB_SRC) $(BIN_SRC)

$(ANALYZE)/%.ok: %.c
	@mkdir -p $(dir $@)
	@$(CC) $(filter-out -MMD -MP,$(BASE_CFLAGS)) -fanalyzer -Werror -O1 -c $< -o /dev/null 2>$(ANALYZE)/$*.log || { cat $(ANALYZE)/$*.log; exit 1; }
	@touch $@

analyze: $(patsubst %.c,$(ANALYZE)/%.ok,$(ANALYZE_SRC))
	@echo "analyze: $(words $(ANALYZE_SRC)) files, no findings"

.PHONY: analyze
