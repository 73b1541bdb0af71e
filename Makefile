# The README's two commands: `make demo` (the main job) and `make test` (the whole test suite).
# Each creates .venv and installs what it needs, so both work on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium

.PHONY: demo test lint typecheck unit setup clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The dashboard test drives Debian's chromium (with a CJK font for the Chinese labels); installed as root with apt.
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null; \
	else echo "install Debian's chromium (apt-get install chromium fonts-wqy-zenhei) for the dashboard test"; fi

setup: $(STAMP) $(CHROMIUM)

demo: $(STAMP)
	$(BIN)/swsim demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) $(CHROMIUM)
	$(BIN)/pytest

test: lint typecheck unit

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
