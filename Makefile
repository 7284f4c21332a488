# Thin wrapper over CMake. `make run` and `make test` are the two set-up commands.
BUILD ?= build
JOBS  ?= $(shell nproc)
DEBS  := cmake gcc make pkg-config lua5.4 liblua5.4-dev libopenblas-dev libopenblas0-openmp \
         libreadline-dev lua-busted
# the main example's corpus and its loss-curve plot
RUN_DEBS := fortunes gnuplot-nox

.PHONY: all deps test run install bench clean fuzz sanitize

all: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release > /dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# Installs the Debian packages that are missing (as root), or names them.
deps:
	@sh tools/deps.sh $(DEBS)

test: all
	@cd $(BUILD) && ctest --output-on-failure
	@lua5.4 $$(command -v busted)

# The main example: a character-level GRU language model trained on Debian's
# fortunes for about two minutes, then sampled (examples/char_lm.lua).
run: all
	@sh tools/deps.sh $(RUN_DEBS)
	@$(BUILD)/bin/lucid examples/char_lm.lua $(RUN_ARGS)

# The fuzzers of tests/fuzz for longer than make test does: SEEDS=1-500 (a range),
# each seed 2000 API calls and 2 rounds of damaged save files.
SEEDS ?= 1-100
fuzz: all
	@$(BUILD)/bin/lucid tests/fuzz/run.lua api --seeds $(SEEDS) --jobs $(JOBS)
	@$(BUILD)/bin/lucid tests/fuzz/run.lua saveload --seeds $(SEEDS) --jobs $(JOBS)

# The whole test suite and the fuzzers under AddressSanitizer and
# UndefinedBehaviorSanitizer (caching allocator bypassed), in build-sanitize/.
# lua5.4 itself is not instrumented: busted runs with the ASan runtime preloaded.
SANITIZE_BUILD ?= build-sanitize
SANITIZE_ENV := ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1:max_allocation_size_mb=4096:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 LUCID_BIN=$(CURDIR)/$(SANITIZE_BUILD)/bin/lucid
sanitize: deps
	@cmake -S . -B $(SANITIZE_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLUCID_SANITIZE=ON > /dev/null
	@cmake --build $(SANITIZE_BUILD) -j $(JOBS)
	@cd $(SANITIZE_BUILD) && $(SANITIZE_ENV) ctest --output-on-failure
	@$(SANITIZE_ENV) LD_PRELOAD=$$(gcc -print-file-name=libasan.so) \
		lua5.4 $$(command -v busted) --cpath='$(SANITIZE_BUILD)/lib/?.so'

install: all
	@cmake --install $(BUILD)
	@ldconfig 2>/dev/null || true

bench: all
	@$(BUILD)/bin/lucid bench/run.lua $(BENCH_ARGS)

clean:
	rm -rf $(BUILD)
