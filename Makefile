# Two commands set everything up on a fresh machine: `make demo` and `make test`.
# Only Python 3.11 and pip are assumed; uv is bootstrapped into .tools/ when it is not on PATH.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
LOCK := requirements/dev.lock
# This machine sets PYTHONDONTWRITEBYTECODE; compiling at install time keeps imports (and the benchmarks) honest.
UV_INSTALL := $(UV) pip install --quiet --python $(PY) --compile-bytecode

.PHONY: help venv test lint typecheck unit demo bench bench-startup bench-logs lock clean test-matrix compat-table test-upstream

help:
	@echo "make demo   run the example DAGs on the embedded Kubernetes API emulator"
	@echo "make test   ruff, mypy and pytest in .venv (Airflow 3.3 + cncf-kubernetes 10.25 from $(LOCK))"
	@echo "make bench  parse-time benchmark against stock KubernetesPodOperator"
	@echo "make test-ui  the connection form in real Airflow 3 and 2.11 UIs, driven by headless Chromium"

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
# install check, then the whole suite against the installed wheel; results in .matrix/, summarised as the README's
# table. `make test-matrix CELLS="af2.6.3-k4.4.0-py3.8 af3.3.2-k10.25.0-py3.11"` runs some; `.venv/bin/nox -l` lists.
# All cells run as MATRIX_JOBS nox processes side by side (.ci/matrix.py; cells wait on pods much of the time).
CELLS ?=
MATRIX_JOBS ?= 2
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

# Rewrite README.md's compatibility table (between the compat-table markers) from .matrix/.
compat-table: venv
	$(PY) .ci/compat_table.py

# Re-resolve the development lock (Airflow 3.3.x with cncf-kubernetes 10.25.x) after editing requirements/dev.in.
lock: | $(UV)
	$(UV) pip compile --quiet --python-version 3.11 requirements/dev.in -o $(LOCK)

clean:
	rm -rf $(VENV) .tools .demo .bench .ui
