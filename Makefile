# SafeCommons: everything a fresh machine with Python 3.11+ and make needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT

.PHONY: run test bench install install-test migrate demo lint messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

migrate: install
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0

demo: migrate
	$(BIN)/python manage.py load_demo_city

## make run: install, migrate, load the demo city and serve http://127.0.0.1:$(PORT)
run: demo
	@echo "SafeCommons on http://127.0.0.1:$(PORT)  (demo sign-ins: see README.md)"
	$(BIN)/python manage.py serve --port $(PORT)

## make test: the whole suite (SQLite unless DATABASE_URL points elsewhere)
test: install-test
	$(BIN)/python -m pytest

## make bench: one JSON line per benchmark (those needing PostgreSQL say so and step aside without it)
bench: export BENCH_SKIP_MISSING_SERVICES ?= 1
bench: install-test
	@for script in bench/bench_*.py; do $(BIN)/python $$script || exit 1; done

lint: install-test
	$(BIN)/ruff check safecommons bench

## make messages: refresh and compile the translation catalogues (needs GNU gettext)
messages: install
	$(BIN)/python manage.py makemessages -l es --ignore '.venv/*' --ignore 'var/*'
	$(BIN)/python manage.py compilemessages --ignore '.venv/*'

clean:
	rm -rf $(VENV) var staticfiles
