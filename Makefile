# netscope — the two commands that matter: `make demo` and `make test`.
SHELL := /bin/bash
export PATH := $(HOME)/.local/bin:$(PATH)

.PHONY: setup demo test test-ntopng lint typecheck protos check-protos docs check-docs check audit

setup:            ## install apt packages, uv and the Python workspace
	@scripts/setup.sh

demo: setup       ## run the whole system on embedded defaults (Ctrl-C stops it)
	uv run netscope demo

TEST_WORKERS ?= 2  # test processes (pytest-xdist); each module's tests stay in one process with their stacks

test: setup       ## run the test suite (unit, integration with real servers, e2e)
	uv run pytest -q -n $(TEST_WORKERS) --dist loadscope

test-ntopng: setup  ## the live tests against a real ntopng: NETSCOPE_TEST_NTOPNG_URL=http://host:3000 (+ _TOKEN or _USER/_PASSWORD, _IFID)
	@test -n "$$NETSCOPE_TEST_NTOPNG_URL" || { echo "set NETSCOPE_TEST_NTOPNG_URL to a real ntopng (e.g. http://127.0.0.1:3000)"; exit 2; }
	uv run pytest -q tests/integration/live/test_live_ntopng.py

lint: setup
	uv run ruff check .
	uv run ruff format --check .

typecheck: setup
	uv run mypy services/common/src services/ntopng/src services/flows/src services/alerts/src services/snmp/src \
	  services/live/src aggregator/src scenario/src

protos:           ## regenerate protos/src from protos/netscope/**/*.proto
	scripts/gen_protos.sh

check-protos: setup
	scripts/gen_protos.sh --check

docs:             ## regenerate docs/tools.md from the aggregator's catalog
	uv run python -m netscope_aggregator.reference --write docs/tools.md

check-docs: setup
	uv run python -m netscope_aggregator.reference --check docs/tools.md

audit: setup      ## known vulnerabilities in the locked dependencies (policy: docs/security.md)
	uv run python scripts/audit.py

check: lint typecheck check-protos check-docs audit test   ## what CI runs
