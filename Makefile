# The two commands of the README's quick start are `make demo` and `make test`, on
# Python 3.11 and Django 5.2 LTS: they create .venv and install from pyproject.toml,
# pinned by constraints.txt, only the extras the target needs (demo: `demo`; test,
# lint: `dev`). `make test-django6` runs the same suite on Django 6.x and Python 3.12
# in .venv-dj6, pinned by constraints-django6.txt. Override PYTHON, VENV or
# CONSTRAINTS to run a target elsewhere, e.g. `make test VENV=/tmp/venv`.

PYTHON ?= python3
VENV ?= .venv
CONSTRAINTS ?= constraints.txt
PY = $(VENV)/bin/python
MANAGE = $(PY) manage.py

# Django 6 needs Python 3.12 or later: pyenv's 3.12 where there is one.
PYTHON_DJ6 ?= $(or $(lastword $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12)),python3.12)
VENV_DJ6 ?= .venv-dj6

.PHONY: install demo test test-django6 check-wheel lint format bench lock clean browser-deps

install: $(VENV)/.installed-dev

# One stamp per set of extras: `make demo` installs less than `make test`.
$(VENV)/.installed-%: pyproject.toml $(CONSTRAINTS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c $(CONSTRAINTS) -e '.[$*]'
	touch $@

demo: $(VENV)/.installed-demo
	$(MANAGE) migrate --noinput --verbosity 0
	$(MANAGE) check --fail-level WARNING
	@bash fixtures/demo.sh "$(MANAGE)"

test: $(VENV)/.installed-dev
	$(PY) -m pytest $(PYTEST_ARGS)

test-django6:
	$(MAKE) test PYTHON=$(PYTHON_DJ6) VENV=$(VENV_DJ6) CONSTRAINTS=constraints-django6.txt

# The built wheel, alone with its runtime dependencies, in a throwaway project.
check-wheel:
	PYTHON=$(PYTHON) bash .ci/check-wheel

# Chromium + Playwright for the admin's browser tests (as root; .ci/run does it).
browser-deps:
	.ci/browser-deps

lint: $(VENV)/.installed-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(VENV)/.installed-dev
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

bench: $(VENV)/.installed-dev,bench
	$(PY) bench/run.py $(BENCH_ARGS)

# Resolve afresh and pin what CI tests: Django 5.2 on $(PYTHON), 6.x on $(PYTHON_DJ6).
lock:
	$(call freeze,$(PYTHON),constraints.txt)
	$(call freeze,$(PYTHON_DJ6),constraints-django6.txt)

define freeze
	rm -rf /tmp/importers-lock && $(1) -m venv /tmp/importers-lock
	/tmp/importers-lock/bin/pip install --quiet -e '.[dev,bench]'
	(echo "# Versions CI tested on $$(/tmp/importers-lock/bin/python -V). Regenerate with: make lock"; \
	 /tmp/importers-lock/bin/pip freeze --exclude-editable) > $(2)
	rm -rf /tmp/importers-lock
endef

clean:
	rm -rf $(VENV) $(VENV_DJ6) build dist db.sqlite3 test_db.sqlite3 .pytest_cache .ruff_cache
