# Two entry points: `make run` (dashboard on the demo workspace) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUNTIME := $(VENV)/.runtime-installed
DEV := $(VENV)/.dev-installed

.PHONY: run test sandbox bench lint chromium postgresql clean

$(RUNTIME): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(DEV): $(RUNTIME) requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(RUNTIME)
	$(VENV)/bin/streamlit run app.py --server.address 127.0.0.1 --server.port 8501

test: $(DEV) chromium postgresql
	$(PY) -m pytest

# Debian's Chromium drives the browser tests (Playwright's own browser download cannot work offline).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "warning: could not install chromium; browser tests will skip (fail under CI=true)"; \
	  else echo "warning: /usr/bin/chromium missing; browser tests will skip (fail under CI=true)"; fi; \
	fi

# Debian's PostgreSQL server binaries: the storage tests start a throw-away cluster of their own (tests/postgres.py).
postgresql:
	@if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) \
	      || echo "warning: could not install postgresql; PostgreSQL tests will skip (fail under CI=true)"; \
	  else echo "warning: PostgreSQL's initdb missing; PostgreSQL tests will skip (fail under CI=true)"; fi; \
	fi

sandbox: $(RUNTIME)
	$(PY) -m ceox_sandbox

bench: $(DEV)
	$(PY) -m bench

lint: $(DEV)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
