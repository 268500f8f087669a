# OneScreen: `make run` serves the dashboard, `make test` runs the whole suite.
# Both install what is needed first (a .venv from the lock files), so they work on a fresh machine.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# the same settings the app reads (README: Configuration), so `make run` listens where they say
HOST ?= $(or $(ONESCREEN_HOST),127.0.0.1)
PORT ?= $(or $(ONESCREEN_PORT),8050)
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test lint types unit integration browser bench seed routes clean system-deps help

help:
	@echo "make run     install, create the demo park on first start, serve http://$(HOST):$(PORT)"
	@echo "make test    install, then lint, types and the whole test suite"
	@echo "make seed    (re)create the embedded store with the demo park"
	@echo "make bench   run the benchmarks in bench/ (prints figures)"

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("OneScreen needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# One stamp per lock file: reinstall only when a lock changes.
$(VENV)/.run-installed: requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.lock
	touch $@

$(VENV)/.dev-installed: requirements-dev.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	touch $@ $(VENV)/.run-installed

run: $(VENV)/.run-installed
	$(BIN)/flask --app app store init
	$(BIN)/gunicorn --config config/gunicorn.conf.py --bind $(HOST):$(PORT) "app:create_app()"

seed: $(VENV)/.run-installed
	$(BIN)/flask --app app store init --fresh --yes

# The production profile on this machine's PostgreSQL, Redis and Mosquitto (README: Production):
# gunicorn with WEB_CONCURRENCY workers (2) and one feed worker, settings from deploy/onescreen.env
# if present; Ctrl-C stops all. exec: the supervisor, not a shell, receives the signals.
.PHONY: prod
prod: $(VENV)/.run-installed
	exec $(BIN)/python scripts/prod.py

# Debian's chromium and a small CJK font for the browser tests and Chinese screenshots,
# installed when missing and apt is usable (we are root); never a browser download.
system-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi -e wqy -e "noto sans cjk"; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium and fonts-wqy-microhei"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	  else echo "chromium or a CJK font is missing and apt-get is not usable: browser tests will be skipped"; fi; \
	fi
	@# Debian's nginx, for the test that checks deploy/nginx/onescreen.conf with `nginx -t`
	@if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's nginx"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null || \
	      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; }; \
	  else echo "nginx is missing and apt-get is not usable: the nginx configuration test will be skipped"; fi; \
	fi

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(VENV)/.dev-installed
	$(BIN)/mypy

# The suite runs on two processes (pytest-xdist), one test file per process at a time so that a
# file's module fixtures (a demo park, a server) are built once: most tests wait on a database,
# a broker, a server or a browser, and two processes keep both cores busy. PYTEST_ARGS replaces
# it (e.g. PYTEST_ARGS="tests/unit/test_kpis.py" runs one file in this process).
PYTEST_ARGS ?= -n 2 --dist loadfile
# pytest's exit code 5 means it collected no test (e.g. PYTEST_ARGS selecting nothing): that is
# said out loud and not treated as a failure; every other non-zero code fails.
test: $(VENV)/.dev-installed system-deps lint types
	@$(BIN)/python -m pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests (exit 5)"; exit 0; fi; exit $$status

unit: $(VENV)/.dev-installed
	$(BIN)/python -m pytest tests/unit tests/contract $(PYTEST_ARGS)

bench: $(VENV)/.dev-installed
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache
