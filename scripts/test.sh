#!/usr/bin/env bash
# Sets up a fresh machine and runs every check: ruff, unit tests, e2e and browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "test: setting up first (scripts/setup.sh --dev): a virtualenv in .venv with meshslo and its test"
echo "test: tools, the Debian packages chromium, prometheus and prometheus-alertmanager when their"
echo "test: binaries are missing (apt waits for another apt to finish), and the local PostgreSQL started"
bash scripts/setup.sh --dev
.venv/bin/ruff check src tests benchmarks
.venv/bin/python -m pytest "$@"
