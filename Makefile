# The README's two commands: `make demo` (the main job) and `make test` (the whole test suite).
# Each creates .venv and installs what it needs, so both work on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
PG_CTL := /usr/bin/pg_ctlcluster

.PHONY: demo test lint typecheck unit setup clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,fuzz]'
	touch $(STAMP)

# The dashboard test drives Debian's chromium (with a CJK font for the Chinese labels); the ledger contract tests
# start a private PostgreSQL server. Both come from Debian's packages, installed as root with apt.
DEBS := chromium fonts-wqy-zenhei postgresql
$(CHROMIUM) $(PG_CTL):
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBS) >/dev/null; \
	else echo "install Debian's $(DEBS) (apt-get install) for the dashboard and PostgreSQL tests"; fi

setup: $(STAMP) $(CHROMIUM) $(PG_CTL)

demo: $(STAMP)
	$(BIN)/swsim demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) $(CHROMIUM) $(PG_CTL)
	$(BIN)/pytest

test: lint typecheck unit

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
