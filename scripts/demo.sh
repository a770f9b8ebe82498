#!/usr/bin/env bash
# Sets up a fresh machine and runs the demo: master + simulated cluster + agent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/meshslo demo "$@"
