# Spiegel: the commands people run. `make run` and `make test` work on a fresh
# machine: they install what is missing into the git-ignored .cache/ first.

SHELL := /bin/bash
UV_VERSION := 0.13.9
CACHE := $(CURDIR)/.cache
UV := $(CACHE)/uv-tool/bin/uv
PY := $(CURDIR)/.venv/bin/python
export UV_CACHE_DIR := $(CACHE)/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := python3.11
export UV_LINK_MODE := copy

.PHONY: help setup proto generate servers browser office run test test-fast lint format bench helm-check clean

help:
	@echo "make run         start Kafka, FerretDB, every service and demo data (Ctrl-C stops)"
	@echo "make test        lint, contract checks and the whole test suite against real servers"
	@echo "make test-fast   unit tests only (no servers)"
	@echo "make lint        ruff and mypy"
	@echo "make bench       benchmarks (figures printed and written to bench-results/)"
	@echo "make helm-check  helm lint/template and offline manifest validation"
	@echo "make generate    chart, compose file, gateway routes and reference from the services' definitions"

$(UV):
	python3 -m venv $(CACHE)/uv-tool
	$(CACHE)/uv-tool/bin/pip install --quiet "uv==$(UV_VERSION)"

.venv/.synced: $(UV) uv.lock pyproject.toml $(wildcard libs/*/pyproject.toml services/*/pyproject.toml tools/*/pyproject.toml)
	$(UV) sync --locked
	@touch $@

libs/contracts/src/spiegel/.generated: .venv/.synced $(shell find proto -name '*.proto')
	$(PY) -m spiegel_dev.proto generate
	@touch $@

setup: .venv/.synced libs/contracts/src/spiegel/.generated

# Programs from Debian the tests use: Chromium (browser tests, via Playwright's
# executablePath: no browser download), poppler-utils (pdftotext for the PDF reports).
$(CACHE)/system-deps.done:
	@mkdir -p $(CACHE)
	@if ! command -v chromium >/dev/null || ! command -v pdftotext >/dev/null; then \
		echo "installing chromium and poppler-utils from Debian ..."; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
			chromium poppler-utils fonts-dejavu-core >/dev/null; \
	fi
	@touch $@

tools/browser/node_modules/.package-lock.json: tools/browser/package.json tools/browser/package-lock.json
	cd tools/browser && npm ci --no-audit --no-fund --silent

browser: $(CACHE)/system-deps.done tools/browser/node_modules/.package-lock.json

proto: setup

# From the services' definitions and proto/: the chart's services and schema, the compose file,
# the gateway's routing table, each service's OpenAPI document and settings schema, proto/EVENTS.md.
# A test (tools/devservers/tests/test_generated.py) fails while any of them is stale.
generate: setup
	$(PY) -m spiegel_dev.generate

servers: setup
	$(PY) -c "from spiegel_dev.servers import install_kafka, install_ferretdb; install_kafka(); install_ferretdb()"

# LibreOffice Calc (Debian) for the spreadsheet round-trip tests; best effort (skipped without root).
office:
	@tools/office/install.sh

run: servers
	$(PY) -m spiegel_dev.run

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy libs/platform/src libs/pages/src tools/devservers/src tools/demo/src services/*/src
	$(PY) -m spiegel_dev.proto check

# TEST_WORKERS=N spreads the suite over N processes (pytest-xdist, a file at a time), each with its
# own Kafka and FerretDB. On this project's 2-core machine it gains little (an idle deployment of
# every service costs half a core: see tools/devservers/README.md), so one process is the default.
TEST_WORKERS ?=

test: lint servers browser office
	$(PY) -m pytest $(if $(TEST_WORKERS),-n $(TEST_WORKERS) --dist loadfile) --durations=15

test-fast: setup
	$(PY) -m pytest -m "not integration and not chaos and not browser"

format: setup
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

bench: servers
	$(PY) -m bench

helm-check:
	charts/check.sh

clean:
	rm -rf .venv libs/contracts/src/spiegel .cache/run
