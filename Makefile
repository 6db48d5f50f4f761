# Two commands from a fresh machine with Python 3.11:
#   make run    install, migrate the embedded SQLite database, load demo data, serve on :8000
#   make test   install the test tools, run ruff and the whole suite (SQLite, then
#               PostgreSQL when WMS_TEST_POSTGRES_URL is set; CI sets it)

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

# Reinstall only when the dependencies change.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

.PHONY: install install-dev browser run migrate demo test test-sqlite test-postgres lint bench clean

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

migrate: install
	$(BIN)/flask --app wsgi db upgrade

demo: migrate
	$(BIN)/flask --app wsgi demo load

run: demo
	@echo "Serving on http://$(HOST):$(PORT)/  (JSON API under /api/v1)"
	$(BIN)/gunicorn -c config/gunicorn.conf.py wsgi:app --bind $(HOST):$(PORT) --workers 2

lint: install-dev
	$(BIN)/ruff check . scripts/backup scripts/restore
	$(BIN)/ruff format --check . scripts/backup scripts/restore

# Debian's chromium and the pinned axe-core (npm) for the browser tests; never a
# browser download.
browser:
	scripts/ensure-browser

test-sqlite: install-dev browser
	env -u WMS_TEST_DATABASE_URL $(BIN)/python -m pytest

test-postgres: install-dev browser
	@if [ -z "$$WMS_TEST_POSTGRES_URL" ]; then \
		echo "WMS_TEST_POSTGRES_URL is not set"; exit 2; fi
	WMS_TEST_DATABASE_URL="$$WMS_TEST_POSTGRES_URL" $(BIN)/python -m pytest

# On CI the PostgreSQL run is mandatory: an unset URL or an unreachable server fails.
test: lint test-sqlite
	@if [ -n "$$WMS_TEST_POSTGRES_URL" ]; then \
		$(MAKE) --no-print-directory test-postgres; \
	elif [ "$$CI" = "true" ]; then \
		echo "CI requires WMS_TEST_POSTGRES_URL (PostgreSQL run)"; exit 2; \
	else \
		echo "(PostgreSQL run skipped: set WMS_TEST_POSTGRES_URL to include it)"; fi

bench: install
	$(BIN)/python bench/ledger.py

clean:
	rm -rf $(VENV) instance/wms.sqlite3* .pytest_cache .ruff_cache .hypothesis node_modules test-artifacts
