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

sandbox: $(STAMP)
	@echo "make sandbox arrives with issue 9 (One command, a whole federation), which depends on"
	@echo "the central server (5), security server (6) and message log (7) issues."
	@echo "Until then: 'make test' runs the protocol core's tests; '$(BIN)/vdx --help' lists the commands."
	@exit 2

bench: $(STAMP)
	@echo "make bench arrives with issue 10 (Performance)."
	@exit 2

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage
