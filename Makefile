# VDX developer commands. Every target creates .venv and installs the project first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test lint types contracts pytest sandbox bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall when the dependency list changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

test: lint types contracts pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

pytest: $(STAMP)
	$(BIN)/pytest --cov --cov-report=term $(PYTEST_ARGS)

# A whole federation on 127.0.0.1 (test CA, central server, two security servers, demo
# services), onboarded through the admin APIs; Ctrl-C stops it, a second run restarts it.
# E.g. make sandbox SANDBOX_ARGS="--data-dir /tmp/vdx --port-base 20000"
sandbox: $(STAMP)
	$(BIN)/vdx sandbox $(SANDBOX_ARGS)

# The benchmark (benchmarks/README.md); QUICK=1: SOAP 1 KiB, concurrency 16, SQLite, < 60 s.
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run $(if $(QUICK),--quick,)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage
