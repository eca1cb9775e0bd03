# Two commands set everything up on a fresh machine: `make demo` and `make test`.
# Only Python 3.11 and pip are assumed; uv is bootstrapped into .tools/ when it is not on PATH.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
LOCK := requirements/dev.lock
# This machine sets PYTHONDONTWRITEBYTECODE; compiling at install time keeps imports (and the benchmarks) honest.
UV_INSTALL := $(UV) pip install --quiet --python $(PY) --compile-bytecode

.PHONY: help venv test lint typecheck unit demo bench bench-startup bench-logs lock clean test-matrix compat-table test-upstream \
	dist test-dist docs docs-screenshots

help:
	@echo "make demo   run the example DAGs on the embedded Kubernetes API emulator"
	@echo "make test   ruff, mypy and pytest in .venv (Airflow 3.3 + cncf-kubernetes 10.25 from $(LOCK))"
	@echo "make bench  parse-time benchmark against stock KubernetesPodOperator"
	@echo "make test-ui  the connection form in real Airflow 3 and 2.11 UIs, driven by headless Chromium"
	@echo "make dist   the sdist and wheel in dist/, checked (twine, contents, version against CHANGELOG.md)"
	@echo "make test-dist  the built wheel installed as Composer installs it, then run, in the oldest and newest cell"
	@echo "make docs   the documentation site in docs/_build/html: Sphinx with warnings as errors, links, browser test"
	@echo "make test-airflow  real Airflow 3.3 and 2.11 (scheduler, triggerer, API) on PostgreSQL against the emulator"

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv

$(VENV)/.installed: $(LOCK) pyproject.toml | $(UV)
	$(UV) venv --quiet --allow-existing --python 3.11 $(VENV)
	$(UV_INSTALL) -r $(LOCK)
	$(UV_INSTALL) --no-deps -e .
	touch $@

venv: $(VENV)/.installed

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv
	$(VENV)/bin/mypy

unit: venv
	$(PY) -m pytest

test: lint typecheck unit

# The main job: the guide's example DAGs, each through `airflow dags test`, on the embedded Kubernetes API emulator.
demo: venv
	$(VENV)/bin/composer-pod demo --dags example_dags

bench: venv
	$(PY) bench/parse_overhead.py

# startup_wait: stock KubernetesPodTrigger against ComposerPodStartupTrigger (100/1000/5000 pods, 5000 also over 20
# namespaces), and the worker slot.
bench-startup: venv
	$(PY) bench/startup_wait.py

# log_throughput: worker CPU per log line, stock KPO beside ComposerPodOperator (10k/100k/1M lines, and 2 KB lines);
# `make bench-logs BENCH_ARGS=--quick` for a small run.
BENCH_ARGS ?=
bench-logs: venv
	$(PY) bench/log_throughput.py $(BENCH_ARGS)

# Install matrix (noxfile.py): one venv per Python x Airflow x cncf-kubernetes cell, each with a Composer-like pip
# install check, then the whole suite against the installed wheel; results in .matrix/, summarised as the table of
# docs/compatibility.md. `make test-matrix CELLS="af2.6.3-k4.4.0-py3.8 af3.3.2-k10.25.0-py3.11"` runs some;
# `.venv/bin/nox -l` lists.
# All cells run as MATRIX_JOBS nox processes side by side (.ci/matrix.py; cells wait on pods much of the time).
CELLS ?=
MATRIX_JOBS ?= 3
test-matrix: venv
	PATH="$(abspath $(dir $(UV))):$$PATH" $(if $(CELLS),$(VENV)/bin/nox -s $(CELLS),$(PY) .ci/matrix.py --jobs $(MATRIX_JOBS)); \
	status=$$?; $(PY) .ci/compat_table.py --print; exit $$status

# Browser lane (tests/ui/): the connection form in real Airflow UIs, driven by Debian's headless Chromium through
# Playwright (requirements/ui.txt, test tooling installed into .venv; it never downloads a browser). Airflow 3 runs
# from .venv, Airflow 2.11 from .ui/af2 (requirements/ui-af2.lock). Screenshots, server logs and what the browser saw
# go to tests/ui/artifacts/. Installs Debian's chromium where it is missing.
UI_AF2 := .ui/af2
CHROMIUM := /usr/bin/chromium

$(VENV)/.ui-installed: requirements/ui.txt $(VENV)/.installed
	$(UV_INSTALL) -r requirements/ui.txt
	touch $@

$(UI_AF2)/.installed: requirements/ui-af2.lock pyproject.toml | $(UV)
	UV_PYTHON_DOWNLOADS=never $(UV) venv --quiet --allow-existing --python 3.11 $(UI_AF2)
	$(UV) pip install --quiet --python $(UI_AF2)/bin/python --compile-bytecode -r requirements/ui-af2.lock
	$(UV) pip install --quiet --python $(UI_AF2)/bin/python --no-deps -e .
	touch $@

$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

.PHONY: test-ui
test-ui: $(VENV)/.ui-installed $(UI_AF2)/.installed | $(CHROMIUM)
	COMPOSER_POD_UI_TESTS=1 CHROMIUM=$(CHROMIUM) COMPOSER_POD_UI_AF2=$(abspath $(UI_AF2)) $(PY) -m pytest tests/ui -v

# Airflow lane (tests/airflow/): a real Airflow 3.3 (.venv: scheduler, dag-processor, triggerer, api-server) and 2.11
# (the browser lane's .ui/af2: scheduler, triggerer, webserver), LocalExecutor on a throwaway PostgreSQL (Debian's
# server, run as the postgres user), DAGs triggered through the REST API against `composer-pod emulator`. Server logs
# go to tests/airflow/artifacts/. Installs Debian's postgresql where it is missing.
PG_CTL := $(firstword $(wildcard /usr/lib/postgresql/*/bin/pg_ctl))

$(VENV)/.airflow-lane-installed: requirements/airflow-lane.txt $(VENV)/.installed
	$(UV_INSTALL) -r requirements/airflow-lane.txt
	touch $@

$(UI_AF2)/.airflow-lane-installed: requirements/airflow-lane.txt $(UI_AF2)/.installed
	$(UV) pip install --quiet --python $(UI_AF2)/bin/python -r requirements/airflow-lane.txt
	touch $@

.PHONY: postgresql test-airflow
postgresql:
	@test -n "$(PG_CTL)" || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; }

test-airflow: $(VENV)/.airflow-lane-installed $(UI_AF2)/.airflow-lane-installed postgresql
	COMPOSER_POD_AIRFLOW_TESTS=1 COMPOSER_POD_UI_AF2=$(abspath $(UI_AF2)) $(PY) -m pytest tests/airflow -v -p no:randomly

# Upstream conformance lane (.ci/upstream/): cncf-kubernetes' own pod operator and trigger unit tests, from the sdist
# of the provider in .venv (fetched from PyPI into .upstream/), run as shipped and with KubernetesPodOperator rebound
# to ComposerPodOperator; fails on a flip not in .ci/upstream/expected_flips.txt or a listed one that no longer flips.
# Triage of the flips: .upstream/triage.md. UPSTREAM_ARGS="--trigger" also measures the ComposerPodTrigger rebind.
UPSTREAM_ARGS ?=
$(VENV)/.upstream-installed: .ci/upstream/requirements.txt $(VENV)/.installed
	$(UV_INSTALL) -r .ci/upstream/requirements.txt
	touch $@

test-upstream: venv $(VENV)/.upstream-installed
	$(PY) .ci/upstream/run.py --python $(PY) $(UPSTREAM_ARGS)

# Documentation site (docs/): Sphinx + MyST + furo (requirements/docs.txt, installed into .venv constrained by the
# lock), autodoc importing this checkout. Warnings are errors (-W, nitpicky -n); docs/check_links.py then checks every
# internal link and #fragment of the built HTML (offline: external links are not followed); then tests/docs/ opens the
# built site in Debian's headless Chromium through Playwright (requirements/ui.txt; never downloads a browser): the
# navigation, the search box, no console errors; screenshots in tests/docs/artifacts/.
DOCS_OUT := docs/_build/html

$(VENV)/.docs-installed: requirements/docs.txt $(VENV)/.installed
	$(UV_INSTALL) -r requirements/docs.txt -c $(LOCK)
	touch $@

docs: $(VENV)/.docs-installed $(VENV)/.ui-installed | $(CHROMIUM)
	rm -rf docs/_build
	mkdir -p docs/_build/airflow-home
	AIRFLOW_HOME=$(abspath docs/_build/airflow-home) $(PY) -m sphinx -W --keep-going -n -q -b html docs $(DOCS_OUT)
	$(PY) docs/check_links.py $(DOCS_OUT)
	COMPOSER_POD_DOCS_TESTS=1 CHROMIUM=$(CHROMIUM) DOCS_SITE=$(abspath $(DOCS_OUT)) $(PY) -m pytest tests/docs -v

# The connection page's screenshots (docs/_static/screenshots/, committed) from the last `make test-ui`.
docs-screenshots:
	cp tests/ui/artifacts/airflow3-connection-form.png tests/ui/artifacts/airflow3-test-success.png \
		tests/ui/artifacts/airflow3-test-failure.png tests/ui/artifacts/airflow2-connection-form.png docs/_static/screenshots/

# Rewrite docs/compatibility.md's compatibility table (between the compat-table markers) from .matrix/.
compat-table: venv
	$(PY) .ci/compat_table.py

# Release artifacts: the sdist and, built from it, the wheel (dist/), with hatchling through pypa build; the wheel
# built from the tree too (.dist/from-tree/); then twine check --strict and .ci/dist_check.py (the version against
# CHANGELOG.md, the wheel's files against git ls-files, py.typed, the rules YAML, LICENSE, entry points, lower bounds
# only, and the sdist's wheel equal to the tree's). The tools (requirements/dist.txt) live in .dist/tools.
DIST_TOOLS := .dist/tools
UV_ON_PATH := PATH="$(abspath $(dir $(UV))):$$PATH"

$(DIST_TOOLS)/.installed: requirements/dist.txt | $(UV)
	UV_PYTHON_DOWNLOADS=never $(UV) venv --quiet --allow-existing --python 3.11 $(DIST_TOOLS)
	$(UV) pip install --quiet --python $(DIST_TOOLS)/bin/python -r requirements/dist.txt
	touch $@

dist: $(DIST_TOOLS)/.installed
	rm -rf dist .dist/from-tree
	$(UV_ON_PATH) $(DIST_TOOLS)/bin/python -m build --installer uv --outdir dist .
	$(UV_ON_PATH) $(DIST_TOOLS)/bin/python -m build --installer uv --wheel --outdir .dist/from-tree .
	$(DIST_TOOLS)/bin/twine check --strict dist/*
	$(DIST_TOOLS)/bin/python .ci/dist_check.py dist .dist/from-tree

# The built wheel installed as Composer installs it (plain pip into an environment that has Airflow and the provider,
# nothing upgraded or removed), then `airflow providers list`, `composer-pod --version`, `composer-pod demo` and the
# pytest plugin, in a fresh venv for the oldest and the newest cell (.ci/install_check.py; results in .dist/cells/).
# `make test-dist DIST_CELLS="af2.11.2-k8.4.2-py3.11"` checks other cells of noxfile.py.
DIST_CELLS ?=
test-dist: dist venv
	UV=$(abspath $(UV)) $(PY) .ci/install_check.py dist/*.whl $(DIST_CELLS)

# Re-resolve the development lock (Airflow 3.3.x with cncf-kubernetes 10.25.x) after editing requirements/dev.in.
lock: | $(UV)
	$(UV) pip compile --quiet --python-version 3.11 requirements/dev.in -o $(LOCK)

clean:
	rm -rf $(VENV) .tools .demo .bench .ui .dist dist docs/_build docs/_generated
