# Two entry points for a fresh machine with Python 3.11 and pip (see README).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# One environment serves both targets, installed in two layers: Switchyard and what running
# needs (`make run`: pip install -e .), then the test tools on top (`make test`), each redone
# only when pyproject.toml changes. `make test` beside a running `make run` must not replace
# the package under it: a regular `pip install .` copies the modules into site-packages and
# the next install (editable or not) deletes those copies, while the running worker's
# workflow sandbox imports `workflows` afresh for every run (ModuleNotFoundError). So the
# install is editable (the modules stay where they are, in this tree), and the test tools
# are installed from the `test` extra's list alone, without reinstalling Switchyard.
INSTALLED := $(VENV)/.installed
TOOLS := $(VENV)/.installed-test

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(TOOLS): pyproject.toml $(INSTALLED)
	$(BIN)/python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["test"]))' > $(VENV)/test-requirements.txt
	$(BIN)/pip install -q -r $(VENV)/test-requirements.txt
	touch $@

## Install Switchyard (what running needs) and run it on its embedded defaults, placing three
## demo orders. Options go to `dom up`: make run ARGS="--api-port 8001 --temporal-port 7300"
run: $(INSTALLED)
	$(BIN)/dom up --demo 3 $(ARGS)

## Install Switchyard with its test tools and run the whole test suite (needs PostgreSQL
## on 127.0.0.1:5432; .ci/run starts it).
test: $(TOOLS)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n 2 --dist loadscope

## The checks `make test` runs before the suite (also pre-commit's: .pre-commit-config.yaml).
lint: $(TOOLS)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(TOOLS)
	$(BIN)/python benchmarks/routing.py
	$(BIN)/python benchmarks/throughput.py

clean:
	rm -rf $(VENV) .dom build *.egg-info .pytest_cache .ruff_cache
