# graphcode: two commands on a fresh machine (Python 3.11, no GPU).
#
#   make demo   installs what the main job needs into .venv/ and runs it
#   make test   installs the test tools too, then runs ruff and pytest
#
# Each target creates and fills .venv/ by itself; a second run skips what is done (stamp files).
# torch is installed first and pinned through constraints.txt, so no later step can swap it for a
# build with GBs of CUDA wheels.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt

.PHONY: demo test lint bench graphviz native clean wheel-check

$(VENV)/.base: pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) torch==2.13.0
	$(PIP) -e '.[train,eval,native]'
	@# codebleu's own pins are broken (it wants old tree-sitter): install it without its dependencies
	$(PIP) --no-deps codebleu==0.7.0
	@touch $@

# The compiled path of graph building: the tree walk and query (graphcode/graphs/_native.c, compiled against the C
# runtime of the pinned py-tree-sitter release) and the data-flow passes (graphcode/graphs/passes.py, compiled by
# mypyc). Optional: without a compiler graphs are built in pure Python, the same graphs.
$(VENV)/.native: $(VENV)/.base graphcode/graphs/_native.c graphcode/graphs/native.py graphcode/graphs/_compile.py graphcode/graphs/passes.py constraints.txt
	$(BIN)/graphcode native build --optional
	@touch $@

native: $(VENV)/.native

$(VENV)/.dev: $(VENV)/.base
	$(PIP) -e '.[dev]'
	@touch $@

# Graphviz draws the demo's SVG. It is optional: without it the demo writes DOT and says how to
# install it. As root with apt-get (a fresh Debian/Ubuntu machine) it is installed here.
graphviz:
	@command -v dot >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Graphviz (apt-get install graphviz) for the demo's SVG"; \
	    (apt-get install -y -q graphviz >/dev/null 2>&1 || (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q graphviz >/dev/null 2>&1)) \
	      || echo "could not install Graphviz: the demo will write DOT instead of SVG"; \
	  else echo "Graphviz not found: the demo will write DOT instead of SVG (see README)"; fi; }

demo: $(VENV)/.base $(VENV)/.native graphviz
	$(BIN)/graphcode demo

# With a C compiler here the accelerator is expected: its tests fail, rather than skip, when it is missing.
EXPECT_NATIVE := $(shell command -v $${CC:-cc} >/dev/null 2>&1 && echo 1 || echo 0)

test: $(VENV)/.dev $(VENV)/.native
	$(BIN)/ruff check .
	$(BIN)/graphcode native status || true
	GRAPHCODE_EXPECT_NATIVE=$(EXPECT_NATIVE) $(BIN)/pytest
	GRAPHCODE_EXPECT_NATIVE=$(EXPECT_NATIVE) .ci/wheel-check $(BIN)/python

# The wheel a user installs: built, installed without extras into a fresh venv, graphs and checks used there.
wheel-check: $(VENV)/.dev
	GRAPHCODE_EXPECT_NATIVE=$(EXPECT_NATIVE) .ci/wheel-check $(BIN)/python

lint: $(VENV)/.dev
	$(BIN)/ruff check .

bench: $(VENV)/.base $(VENV)/.native
	$(BIN)/python benchmarks/bench_graphs.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
