# Back-office portal. `make run` serves it; `make test` checks everything.
SHELL := /bin/bash
VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python
export PATH := $(VENV)/bin:$(PATH)
export REFLEX_USE_NPM := 1
export REFLEX_TELEMETRY_ENABLED := false
export PYTHONDONTWRITEBYTECODE := 1
PORT ?= 3000
POSTGRES_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
MARIADB_TEST_URL ?= mysql+pymysql://root:@127.0.0.1:3306/test

.PHONY: setup db run simulate test lint format test-unit test-databases test-browser bench bench-django bench-api bench-ws drill drill-worker clean

$(VENV)/.installed: pyproject.toml scripts/requirements.py
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) scripts/requirements.py > $(VENV)/requirements.txt
	$(PY) -m pip install --quiet -r $(VENV)/requirements.txt
	@touch $@

setup: $(VENV)/.installed

db: setup
	$(PY) -m backoffice seed --size small

run: db
	@$(PY) -m backoffice sign-ins
	reflex run --env prod --frontend-port $(PORT)

# the customer platform played against the running portal (make run in another terminal)
simulate: setup
	$(PY) -m backoffice simulate-platform --url http://localhost:$(PORT)

lint: setup
	ruff check .
	ruff format --check .

format: setup
	ruff format .
	ruff check --fix .

test-unit: setup
	$(PY) -m pytest -m "not browser" -q

test-databases: setup
	$(PY) scripts/test_databases.py "$(POSTGRES_TEST_URL)" "$(MARIADB_TEST_URL)"

test-browser: setup
	$(PY) -m pytest -m browser -q

test: lint
	$(PY) -m pytest -q
	$(PY) scripts/test_databases.py "$(POSTGRES_TEST_URL)" "$(MARIADB_TEST_URL)"

bench: setup
	$(PY) scripts/bench.py; status=$$?; \
	$(PY) scripts/bench_django.py || status=1; \
	$(PY) scripts/bench_api.py || status=1; \
	$(PY) scripts/bench_ws.py || status=1; exit $$status

# The same list in Django admin over the same data (Django goes into data/bench-django-venv/
# from PyPI on first use, never into the project's environment).
bench-django: setup
	$(PY) scripts/bench_django.py

# The REST API against Django REST Framework over the same transactions (DRF and gunicorn go
# into the same data/bench-django-venv/, never into the project's environment).
bench-api: setup
	$(PY) scripts/bench_api.py

# Signed-in sessions over the real websocket (production backend, several workers, Redis).
bench-ws: setup
	$(PY) scripts/bench_ws.py $(BENCH_WS_ARGS)

# Reliability drill: PostgreSQL goes away for a few seconds under load (a throw-away database).
drill: setup
	$(PY) scripts/drill_db_outage.py "$(POSTGRES_TEST_URL)"

# Kill a backend worker under load: tabs reconnect, no acknowledged write lost.
drill-worker: setup
	$(PY) scripts/drill_worker_kill.py

clean:
	rm -rf .web .states test-artifacts
