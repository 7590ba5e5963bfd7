# The two commands: `make run` (set up, demo data, serve on SQLite) and `make test` (set up, run the suite).
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
FLASK   = $(BIN)/flask --app app
HOST   ?= 127.0.0.1
PORT   ?= 5000
# Test processes (pytest-xdist): one per core; each has a database of its own.
JOBS   ?= auto

.PHONY: setup run test clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/activate requirements.txt requirements-dev.txt tests/sso/provider/package-lock.json
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@# The single sign-on tests run a real OpenID provider on Node.js; without npm they are skipped.
	if command -v npm >/dev/null; then npm ci --prefix tests/sso/provider --no-audit --no-fund; fi
	touch $@

setup: $(VENV)/.installed

run: setup
	$(FLASK) db upgrade
	$(FLASK) seed
	$(FLASK) demo
	@echo "AOCP is starting at http://$(HOST):$(PORT)/ (press Ctrl+C to stop); demo emails go to instance/outbox/."
	$(FLASK) run --host $(HOST) --port $(PORT)

# Lint (ruff: pyflakes, import order, complexity), then the suite on SQLite, and once more on PostgreSQL when
# AOCP_TEST_DATABASE_URL is set.
test: setup
	@[ -x "$${AOCP_CHROMIUM:-/usr/bin/chromium}" ] || \
	  echo "NOTE: Chromium not found at $${AOCP_CHROMIUM:-/usr/bin/chromium}: browser journeys will be skipped (apt-get install chromium)."
	$(BIN)/ruff check .
	AOCP_TEST_DATABASE_URL= $(BIN)/pytest -n $(JOBS)
	@if [ -n "$$AOCP_TEST_DATABASE_URL" ]; then \
	  echo "== The whole suite again on $$AOCP_TEST_DATABASE_URL"; \
	  $(BIN)/pytest -n $(JOBS); \
	fi

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
