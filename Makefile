# One command per habit; README documents each.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Marker files so `make` reinstalls only when a dependency list changes.
INSTALLED := $(VENV)/.installed
DEV       := $(VENV)/.dev-installed

# How many pytest-xdist processes run each test pass of `make test` (CI's machine has 2 cores).
TEST_WORKERS ?= 2

.PHONY: run install dev test services bench bench-quick lint format dist clean

run: $(INSTALLED) ## Start the server on the embedded SQLite database (var/buena.db)
	$(BIN)/buena-server serve

install: $(INSTALLED)

dev: $(DEV)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(INSTALLED): $(BIN)/python server/pyproject.toml sdk/pyproject.toml
	$(BIN)/python -m pip install --quiet -e ./server -e ./sdk
	touch $@

$(DEV): $(INSTALLED) requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

test: $(DEV) ## Every test on SQLite, the SDK's on Python 3.9, then server + e2e on PostgreSQL + Redis
	$(BIN)/coverage erase
	$(BIN)/coverage run -m pytest -n $(TEST_WORKERS) --dist loadgroup
	scripts/test-sdk-oldest-python
	TEST_WORKERS=$(TEST_WORKERS) scripts/test-production-backends $(BIN)/python
	scripts/coverage-check $(BIN)/coverage

services: ## Start PostgreSQL and Redis if they are down (this machine's commands)
	scripts/ensure-services

bench: $(DEV) ## Every performance target on 1M leads; writes BENCHMARKS.md and bench/results/
	scripts/ensure-services
	$(BIN)/python -m bench.run

bench-quick: $(DEV) ## The same harness on 20k leads in under 3 minutes (no BENCHMARKS.md)
	scripts/ensure-services
	$(BIN)/python -m bench.run --quick

lint: $(DEV) ## ruff (lint + format check) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(DEV)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

dist: $(DEV) ## Build sdist and wheel of both distributions into dist/
	rm -rf dist
	$(BIN)/python -m build --outdir dist ./server
	$(BIN)/python -m build --outdir dist ./sdk

clean:
	rm -rf $(VENV) .venv-py39 dist .pytest_cache .mypy_cache .ruff_cache
