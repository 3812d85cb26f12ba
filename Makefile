# Tidemark: the developer commands. `make help` lists them.
# Everything installs itself: hatch goes into .tools/, environments into .hatch/.

PYTHON ?= python3
TOOLS := .tools
HATCH := $(TOOLS)/bin/hatch
PY_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
# The test environment that matches the local Python (see the matrix in hatch.toml).
TEST_ENV := $(if $(filter 3.11,$(PY_VERSION)),test.py3.11-5.2,$(if $(filter 3.12,$(PY_VERSION)),test.py3.12-6.0,test.py3.13-6.1))
# Interpreters installed through pyenv, put on PATH for the full matrix only.
PYENV_PATH := $(subst $() ,:,$(wildcard $(HOME)/.pyenv/versions/3.1[123].*/bin))
# hatch keeps its environments inside the repository.
export HATCH_DATA_DIR := $(CURDIR)/.hatch
DEMO_PYTHON := .hatch/env/virtual/demo/bin/python

.DEFAULT_GOAL := help
.PHONY: help test test-all test-psycopg2 demo demo-manage lint docs bench build clean

help:  ## Show this help.
	@awk 'BEGIN {FS = ":.*## "} /^[a-z0-9-]+:.*## / {printf "  make %-13s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(HATCH):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Tidemark needs Python 3.11 or newer as $(PYTHON)."; exit 1; }
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check "hatch>=1.18,<2" "ruff==0.17.*"

test: $(HATCH)  ## Run every test suite against PostgreSQL (DATABASE_URL, else embedded).
	@sh scripts/ensure_browser.sh
	$(HATCH) run $(TEST_ENV):all $(ARGS)

test-all: $(HATCH)  ## Run the suites on every Python x Django pair, then with psycopg2.
	@sh scripts/ensure_browser.sh
	PATH="$(PYENV_PATH):$$PATH" $(HATCH) run test:all $(ARGS)
	PATH="$(PYENV_PATH):$$PATH" $(HATCH) run psycopg2:all $(ARGS)

test-psycopg2: $(HATCH)  ## Run the history and data-sync suites with psycopg2 (Python 3.11).
	@sh scripts/ensure_browser.sh
	PATH="$(PYENV_PATH):$$PATH" $(HATCH) run psycopg2:all $(ARGS)

demo: $(HATCH)  ## Tell the deploy story of the example shop, then serve its admin on :8000.
	$(HATCH) run demo:run $(ARGS)

demo-manage: $(HATCH)  ## manage.py on the demo's databases: make demo-manage ARGS="showmigrations".
	$(HATCH) run demo:manage $(ARGS)

lint: $(HATCH)  ## ruff (format, rules, complexity), mypy (strict) and the import contracts.
	$(HATCH) run lint:all

docs: $(HATCH)  ## Build the documentation site into site/ (mkdocs --strict).
	$(HATCH) run docs:build

bench: $(HATCH)  ## Run the benchmarks against the anchors and print the ratios.
	$(HATCH) run bench:all $(ARGS)

build: $(HATCH)  ## Build the wheel and sdist of the five distributions into dist/.
	rm -rf dist
	for package in packages/*/; do (cd $$package && ../../$(HATCH) build ../../dist) || exit 1; done
	@ls dist

clean:  ## Remove the environments, the embedded database, the demo and the build outputs.
	@# With DATABASE_URL the demo's databases live on that server: drop them there.
	@if [ -n "$$DATABASE_URL" ] && [ -x $(DEMO_PYTHON) ]; then $(DEMO_PYTHON) example_project/demo.py clean; fi
	rm -rf $(TOOLS) .hatch dist site .coverage .coverage.* htmlcov .tidemark-devdb .tidemark-demo \
		test-artifacts
