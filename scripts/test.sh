#!/usr/bin/env bash
# Sets up a fresh machine and runs every check: ruff, unit tests, e2e and browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
.venv/bin/ruff check src tests benchmarks
.venv/bin/python -m pytest "$@"
