# Two commands on a fresh machine: `make run` and `make test`. Every set-up step lives here.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .make-stamps
CHROMIUM := /usr/bin/chromium

.PHONY: run test test-python test-frontend test-e2e bench setup frontend-build lint clean

setup: $(STAMPS)/venv frontend-build

# torch==2.13.0 first: it takes the CPU wheel on this machine's disk, never a multi-GB CUDA download.
$(STAMPS)/venv: pyproject.toml
	@mkdir -p $(STAMPS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[scale,train,dev]'
	@touch $@

$(STAMPS)/node_modules: frontend/package.json frontend/package-lock.json
	@mkdir -p $(STAMPS)
	cd frontend && npm ci --no-audit --no-fund
	@touch $@

# Rebuilt on every run (about two seconds) so the served web app always matches the sources.
frontend-build: $(STAMPS)/node_modules
	cd frontend && npm run build

$(STAMPS)/chromium:
	@mkdir -p $(STAMPS)
	@if [ ! -x $(CHROMIUM) ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi
	@touch $@

run: setup
	$(BIN)/heimdall serve

test: setup $(STAMPS)/chromium
	$(MAKE) test-python
	$(MAKE) test-frontend

test-python:
	$(BIN)/ruff check src tests
	$(BIN)/mypy
	$(BIN)/python -m pytest tests -q -p no:cacheprovider

test-frontend:
	cd frontend && npm run lint --silent && npm test --silent

# Long benchmarks: numbers go to docs/benchmarks.md (never timed assertions in tests).
bench: setup
	$(BIN)/heimdall bench localization
	$(BIN)/python -m heimdall.synth.bench
	$(BIN)/python -m heimdall.events.bench
	$(BIN)/python -m heimdall.training.bench
	$(BIN)/python -m heimdall.capture.bench

lint: setup
	$(BIN)/ruff check src tests
	$(BIN)/mypy
	$(BIN)/lint-imports
	cd frontend && npm run lint --silent

clean:
	rm -rf $(VENV) $(STAMPS) frontend/node_modules frontend/dist
