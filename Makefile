# Two commands set everything up on a fresh machine: `make demo` and `make test`.
# Only Python 3.11 and pip are assumed; uv is bootstrapped into .tools/ when it is not on PATH.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
LOCK := requirements/dev.lock
# This machine sets PYTHONDONTWRITEBYTECODE; compiling at install time keeps imports (and the benchmarks) honest.
UV_INSTALL := $(UV) pip install --quiet --python $(PY) --compile-bytecode

.PHONY: help venv test lint typecheck unit demo bench lock clean test-matrix compat-table

help:
	@echo "make demo   run the example DAGs on the embedded Kubernetes API emulator"
	@echo "make test   ruff, mypy and pytest in .venv (Airflow 3.3 + cncf-kubernetes 10.25 from $(LOCK))"
	@echo "make bench  parse-time benchmark against stock KubernetesPodOperator"

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

# Install matrix (noxfile.py): one venv per Python x Airflow x cncf-kubernetes cell, each with a Composer-like pip
# install check, then the whole suite against the installed wheel; results in .matrix/, summarised as the README's
# table. `make test-matrix CELLS="af2.6.3-k4.4.0-py3.8 af3.3.2-k10.25.0-py3.11"` runs some; `.venv/bin/nox -l` lists.
CELLS ?=
test-matrix: venv
	PATH="$(abspath $(dir $(UV))):$$PATH" $(VENV)/bin/nox $(if $(CELLS),-s $(CELLS),-t matrix); status=$$?; \
	$(PY) .ci/compat_table.py --print; exit $$status

# Rewrite README.md's compatibility table (between the compat-table markers) from .matrix/.
compat-table: venv
	$(PY) .ci/compat_table.py

# Re-resolve the development lock (Airflow 3.3.x with cncf-kubernetes 10.25.x) after editing requirements/dev.in.
lock: | $(UV)
	$(UV) pip compile --quiet --python-version 3.11 requirements/dev.in -o $(LOCK)

clean:
	rm -rf $(VENV) .tools .demo .bench
