# Two commands: `make run` and `make test`. Both create .venv with Python 3.11+ and install what they need.
# `make test` runs `make lint` first: ruff check, ruff format --check, and mypy on cxos/ (pyproject.toml).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
# Where `make run` listens: this computer only. Any other address (HOST=0.0.0.0) needs CXOS_ACCESS_CODE or
# single sign-on ([auth] in .streamlit/secrets.toml), and HOSTNAMES, the names people type to reach it.
HOST ?= 127.0.0.1
HOSTNAMES ?=
ALLOWED_HOSTS := $(foreach name,localhost 127.0.0.1 ::1 $(HOSTNAMES),--server.allowedHosts $(name))

.PHONY: run test lint bench clean

$(VENV)/.runtime: requirements.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "CX OS needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime
	$(PY) -m cxos serve-check $(HOST)
	$(PY) -m cxos demo --if-empty
	$(VENV)/bin/streamlit run serve.py --server.address $(HOST) --server.port $(PORT) $(ALLOWED_HOSTS)

lint: $(VENV)/.dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

test: lint
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.dev
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
