# Two entry points for a fresh machine with Python 3.11 and pip (see README).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

## Install Switchyard and run it on its embedded defaults, placing three demo orders.
run: $(BIN)/python
	$(BIN)/pip install -q .
	$(BIN)/dom up --demo 3

## Install Switchyard with its test tools and run the whole test suite.
test: $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(BIN)/python
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: $(BIN)/python
	$(BIN)/python benchmarks/routing.py
	$(BIN)/python benchmarks/throughput.py

clean:
	rm -rf $(VENV) .dom build *.egg-info .pytest_cache .ruff_cache
