# Thin wrapper over CMake. `make run` and `make test` are the two set-up commands.
BUILD ?= build
JOBS  ?= $(shell nproc)
DEBS  := cmake gcc make pkg-config lua5.4 liblua5.4-dev libopenblas-dev libopenblas0-openmp \
         libreadline-dev lua-busted openmpi-bin libopenmpi-dev zlib1g-dev
# what the tests read: lucid.datasets' sources, gnuplot for lucid.plot
TEST_DEBS := fortunes wamerican miscfiles python3-statsmodels python3-vega-datasets gnuplot-nox
# the main example's corpus and its loss-curve plot
RUN_DEBS := fortunes gnuplot-nox

PREFIX ?= /usr/local
# busted runs under lua5.4 whatever `lua` is: its #!/usr/bin/env lua would
# find lua5.1 once Debian's luarocks has switched the alternative.
BUSTED := lua5.4 $$(command -v busted)

.PHONY: all deps test specs run install uninstall bench bench-ddp jupyter-install clean

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

# the Jupyter kernel, registered for this user (Debian: jupyter-notebook, python3-ipykernel)
jupyter-install: all
	@sh tools/deps.sh jupyter-notebook python3-ipykernel jupyter-nbconvert
	@sh jupyter/install.sh $(BUILD)/bin/lucid

clean:
	rm -rf $(BUILD)
