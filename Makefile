# Every target creates the local virtualenv (.venv) first and installs Recall
# into it, so a fresh machine needs only Python 3.11, pip and make.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run slack test lint typecheck layers pytest bench check demo clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)  ## set up and run the bot
	$(PY) -m bot

slack: $(STAMP)  ## set up and run the Slack app (Socket Mode; see slack-manifest.yml)
	$(PY) -m bot slack

test: lint typecheck layers pytest  ## set up and run ruff, mypy, the layer contracts and pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

layers: $(STAMP)  ## the import contracts of pyproject.toml (bot.core pure, no SQL outside bot.storage...)
	$(VENV)/bin/lint-imports --no-logo

pytest: $(STAMP)
	$(VENV)/bin/pytest

bench: $(STAMP)  ## benchmarks, printed as tables
	$(PY) -m bench

check: $(STAMP)  ## validate every deck in content/
	$(PY) -m bot check

demo: $(STAMP)  ## a real bot process against the local fake Discord, one full session
	$(PY) -m tests.fakediscord demo

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .import_linter_cache
