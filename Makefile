# Thin wrapper over CMake. `make run` and `make test` are the two set-up commands.
BUILD ?= build
JOBS  ?= $(shell nproc)
DEBS  := cmake gcc make pkg-config lua5.4 liblua5.4-dev libopenblas-dev libopenblas0-openmp \
         libreadline-dev lua-busted openmpi-bin libopenmpi-dev zlib1g-dev libxsmm-dev
# what the tests read: lucid.datasets' sources, gnuplot for lucid.plot
TEST_DEBS := fortunes wamerican miscfiles python3-statsmodels python3-vega-datasets gnuplot-nox
# the main example's corpus and its loss-curve plot
RUN_DEBS := fortunes gnuplot-nox

PREFIX ?= /usr/local
# busted runs under lua5.4 whatever `lua` is: its #!/usr/bin/env lua would
# find lua5.1 once Debian's luarocks has switched the alternative.
BUSTED := lua5.4 $$(command -v busted)

.PHONY: all deps test specs run install uninstall bench bench-ddp bench-variants jupyter-install clean fuzz sanitize

all: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release > /dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# Installs the Debian packages that are missing (as root), or names them.
deps:
	@sh tools/deps.sh $(DEBS)

test: all
	@sh tools/deps.sh $(TEST_DEBS)
	@cd $(BUILD) && ctest --output-on-failure
	@$(MAKE) -s specs

# The busted specs alone (.busted's folders, or SPECS='tests/lua/nn ...').
specs:
	@$(BUSTED) $(SPECS)

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
# SANITIZE_SPECS: the busted specs to run (default: all of .busted's folders).
SANITIZE_BUILD ?= build-sanitize
SANITIZE_SPECS ?=
SANITIZE_ENV := ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1:max_allocation_size_mb=4096:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 LUCID_BIN=$(CURDIR)/$(SANITIZE_BUILD)/bin/lucid
sanitize: deps
	@cmake -S . -B $(SANITIZE_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLUCID_SANITIZE=ON > /dev/null
	@cmake --build $(SANITIZE_BUILD) -j $(JOBS)
	@cd $(SANITIZE_BUILD) && $(SANITIZE_ENV) ctest --output-on-failure
	@$(SANITIZE_ENV) LD_PRELOAD=$$(gcc -print-file-name=libasan.so) \
		$(BUSTED) --cpath='$(SANITIZE_BUILD)/lib/?.so' $(SANITIZE_SPECS)

# Installs into PREFIX (/usr/local): the launcher, liblucid and liblucidcore,
# the headers, lucid.pc, the Lua modules, the docs and the LuaLS annotations;
# the list of installed files is kept in $(BUILD)/install_manifest.txt.
install: all
	@cmake --install $(BUILD) --prefix $(PREFIX)
	@ldconfig 2>/dev/null || true

# Removes what `make install` installed (read from the manifest), then the
# folders it made that are left empty.
uninstall:
	@sh tools/uninstall.sh $(BUILD)/install_manifest.txt

bench: all
	@$(BUILD)/bin/lucid bench/run.lua $(BENCH_ARGS)

# data-parallel scaling: 2 ranks x 1 thread against 1 process x 2 threads
bench-ddp: all
	@$(BUILD)/bin/lucid bench/ddp_scaling.lua $(BENCH_ARGS)

# lucid-only: the recurrent variants of issue 15 side by side (dropout options, MinGRU/MinLSTM)
bench-variants: all
	@$(BUILD)/bin/lucid bench/variants.lua $(BENCH_ARGS)

# the Jupyter kernel, registered for this user (Debian: jupyter-notebook, python3-ipykernel)
jupyter-install: all
	@sh tools/deps.sh jupyter-notebook python3-ipykernel jupyter-nbconvert
	@sh jupyter/install.sh $(BUILD)/bin/lucid

clean:
	rm -rf $(BUILD)
