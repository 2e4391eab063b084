# Two entry points for a fresh machine with Python 3.11 and pip (see README).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# One install serves both targets: editable, with the test tools, redone only when
# pyproject.toml changes. `make test` beside a running `make run` must not replace the
# package under it: a regular `pip install .` copies the modules into site-packages and
# the next install (editable or not) deletes those copies, while the running worker's
# workflow sandbox imports `workflows` afresh for every run (ModuleNotFoundError).
# An editable install keeps the modules where they are, in this tree.
INSTALLED := $(VENV)/.installed

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@

## Install Switchyard and run it on its embedded defaults, placing three demo orders.
run: $(INSTALLED)
	$(BIN)/dom up --demo 3

## Install Switchyard with its test tools and run the whole test suite (needs PostgreSQL
## on 127.0.0.1:5432; .ci/run starts it).
test: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

## The checks `make test` runs before the suite (also pre-commit's: .pre-commit-config.yaml).
lint: $(INSTALLED)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(INSTALLED)
	$(BIN)/python benchmarks/routing.py
	$(BIN)/python benchmarks/throughput.py

clean:
	rm -rf $(VENV) .dom build *.egg-info .pytest_cache .ruff_cache
