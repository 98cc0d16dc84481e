# Parta — `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTEST := $(BIN)/pytest
# Tests of the journal side and of the platform side run in separate processes, each with its settings.
JOURNAL_TESTS  := parta/journal parta/integration parta/core parta/sites
PLATFORM_TESTS := parta/identity parta/messenger

.DEFAULT_GOAL := help
.PHONY: help install demo test test-journal test-platform test-e2e lint fmt migrations clean

help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-15s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install Parta with its development tools.

demo: $(STAMP) ## Migrate, load the demo region and run both sides with their workers (Ctrl-C stops).
	$(BIN)/parta demo

test: $(STAMP) lint test-journal test-platform test-e2e ## Lint, then every test of both sides and the browser tests.

test-journal: $(STAMP) ## Tests of the journal side.
	PARTA_TESTING=1 $(PYTEST) --ds=parta.sites.journal.settings $(JOURNAL_TESTS) $(PYTEST_ARGS)

test-platform: $(STAMP) ## Tests of the platform side.
	PARTA_TESTING=1 $(PYTEST) --ds=parta.sites.platform.settings $(PLATFORM_TESTS) $(PYTEST_ARGS)

test-e2e: $(STAMP) ## Browser tests: both sides as real servers, driven through Debian's chromium.
	PARTA_TESTING=1 $(PYTEST) -p no:django tests/e2e $(PYTEST_ARGS)

lint: $(STAMP) ## ruff, mypy, import-linter and the migrations check.
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy parta
	$(BIN)/lint-imports
	$(MAKE) --no-print-directory migrations ARGS="--check --dry-run"

migrations: $(STAMP) ## Make migrations for both sides (ARGS="--check --dry-run" only checks).
	$(BIN)/parta journal makemigrations $(ARGS)
	$(BIN)/parta platform makemigrations $(ARGS)

fmt: $(STAMP) ## Format and fix what ruff can.
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean: ## Remove the virtualenv, the databases and caches.
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
