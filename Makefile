# qsim developer entry points. `make test` and `make demo` do all set-up themselves.
#
#   make install  create .venv, install qsim (editable, with dev tools) and Debian helpers
#   make test     run the test suite (default markers: everything but `slow`);
#                 extra pytest arguments: make test PYTEST_ARGS="-m rtlsim"
#   make demo     run the end-to-end demo
#   make golden   rewrite the golden regression vectors (the only way they change)
#   make mutate   mutation campaign over the SV cores (hours on 2 cores; not part of `test`);
#                 arguments: make mutate MUTATE_ARGS="--cores qsim_mvtu --per-core 10"
#   make mutate-hls the same over the HLS kernel headers (hls/qsim/*.hpp, cppsim tests)
#   make lint     ruff + mypy
#   make clean    remove build and simulation outputs (keeps .venv)

PYTHON3 ?= python3
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.qsim-installed
# Debian packages: ccache speeds up Verilator rebuilds, liblz4-dev enables FST traces,
# g++ builds cppsim and Verilator models, perl runs Verilator's driver script.
# tcl: tclsh parses the board package's Vivado TCL (tests/board).
APT_PACKAGES := ccache liblz4-dev g++ perl tcl
# Wheels used only for the files they ship, installed without their dependencies:
# hls4ml carries the Apache-2.0 ap_int.h/ap_fixed.h headers that cppsim compiles against.
NO_DEPS_WHEELS := hls4ml==1.3.0

MUTATE_ARGS ?=

.PHONY: install test demo lint clean golden mutate mutate-hls

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON3) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -e '.[dev]'
	$(PY) -m pip install --no-deps $(NO_DEPS_WHEELS)
	@missing=""; \
	for pkg in $(APT_PACKAGES); do \
	  dpkg -s "$$pkg" >/dev/null 2>&1 || missing="$$missing $$pkg"; \
	done; \
	if [ -z "$$missing" ]; then \
	  :; \
	elif [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then \
	  echo "warning: not root or no apt-get; install these Debian packages by hand:$$missing" >&2; \
	else \
	  echo "apt-get install:$$missing"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; } \
	    || echo "warning: apt-get could not install:$$missing" >&2; \
	fi
	@touch $@

test: $(STAMP)
	$(PY) -m pytest -q $(PYTEST_ARGS)

demo: $(STAMP)
	$(PY) -m qsim.demo

golden: $(STAMP)
	$(PY) -m qsim.verify.golden --write

mutate: $(STAMP)
	$(PY) -m qsim.cli mutate --out results/mutate $(MUTATE_ARGS)

mutate-hls: $(STAMP)
	$(PY) -m qsim.cli mutate --cores hls --out results/mutate-hls $(MUTATE_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy qsim

clean:
	rm -rf .qsim_cache sim_build build results reports *.egg-info .pytest_cache .mypy_cache \
	  .ruff_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
