# Two commands matter: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test lint check bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Layan needs Python 3.12 or newer") if sys.version_info < (3, 12) else None'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(VENV)/.installed $@

## Install, migrate, load demo data on first run, serve web + worker on http://127.0.0.1:8000
run: $(VENV)/.installed
	$(BIN)/layan setup
	$(BIN)/layan run

## Install with test extras and run the whole suite (browser tests run when Chromium is present)
test: $(VENV)/.installed-test
	$(BIN)/pytest -q

## Static checks that CI runs beside the tests
lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy layan
	$(BIN)/layan makemigrations --check --dry-run

bench: $(VENV)/.installed-test
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info
