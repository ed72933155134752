# The two commands of the README's quick start are `make demo` and `make test`.
# Both create .venv and install from pyproject.toml pinned by constraints.txt.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
MANAGE := $(PY) manage.py

.PHONY: install demo test lint format bench lock clean browser-deps

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: install
	$(MANAGE) migrate --noinput --verbosity 0
	$(MANAGE) check --fail-level WARNING
	@bash fixtures/demo.sh "$(MANAGE)"

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

# Chromium + Playwright for the admin's browser tests (as root; .ci/run does it).
browser-deps: install
	.ci/browser-deps

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: install
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

bench: install
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev,bench]'
	$(PY) bench/run.py $(BENCH_ARGS)

lock:
	rm -rf /tmp/importers-lock && $(PYTHON) -m venv /tmp/importers-lock
	/tmp/importers-lock/bin/pip install --quiet -e '.[dev,bench]'
	(echo "# Versions CI tested. Regenerate with: make lock"; \
	 /tmp/importers-lock/bin/pip freeze --exclude-editable) > constraints.txt

clean:
	rm -rf $(VENV) db.sqlite3 test_db.sqlite3 .pytest_cache .ruff_cache
