# The two commands that do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two stamps: what running needs (`make run`) and the development set (`make test`), which
# holds the first; each is redone when pyproject.toml changes.
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test lint typecheck pytest services system bench reliability clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUN_STAMP)

$(DEV_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(RUN_STAMP) $(DEV_STAMP)

run: system $(RUN_STAMP) services
	$(BIN)/accord serve

test: system $(DEV_STAMP) services lint typecheck pytest

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

# Every core runs tests (pytest-xdist): each test goes to whichever worker is free. Each
# worker has its own PostgreSQL databases (named for its process), SQLite files and servers on
# free ports. Not --dist loadgroup: under it schemathesis's per-operation subtests
# (tests/service/test_openapi.py) silently do not run. PYTEST_WORKERS=0: one process.
PYTEST_WORKERS ?= auto
pytest: $(DEV_STAMP)
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist load

# The system libraries WeasyPrint renders PDF with (Pango; HarfBuzz's subsetter, which puts
# only the letters used of each font in a PDF several times quicker than the fontTools
# WeasyPrint falls back on), poppler's pdftotext (the PDF tests read where words landed), and
# the Chromium the portal's browser tests drive (through Playwright, never a browser Playwright
# downloads), and Prometheus with promtool (the tests read evidence from a real server and check
# the burn-rate rules Accord writes): installed from the distribution's packages when missing,
# never downloaded otherwise.
system:
	@ldconfig -p | grep -q libpango-1.0 && ldconfig -p | grep -q libpangoft2-1.0 && \
	  ldconfig -p | grep -q libharfbuzz-subset || \
	  (apt-get update && apt-get install -y libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)
	@command -v pdftotext >/dev/null || (apt-get update && apt-get install -y poppler-utils)
	@test -x /usr/bin/chromium || (apt-get update && apt-get install -y chromium)
	@command -v prometheus >/dev/null && command -v promtool >/dev/null || \
	  (apt-get update && apt-get install -y --no-install-recommends prometheus)

# PostgreSQL is real here: start it when it is down instead of skipping its tests.
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || \
	  (command -v pg_ctlcluster >/dev/null && pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start) || true

bench: $(DEV_STAMP)
	$(BIN)/python benchmarks/calendar.py
	$(BIN)/python benchmarks/clocks.py
	$(BIN)/python benchmarks/availability.py

# The reliability suite (RELIABILITY.md): real server and worker processes, SQLite and
# PostgreSQL; exits non-zero when an invariant fails. ROUNDS=n repeats the probes more.
ROUNDS ?= 3
reliability: $(DEV_STAMP) services
	$(BIN)/python benchmarks/reliability.py --rounds $(ROUNDS)

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
