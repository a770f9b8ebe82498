#!/usr/bin/env bash
# Prepares a fresh machine: a virtualenv with meshslo installed in it.
#   scripts/setup.sh          runtime only
#   scripts/setup.sh --dev    plus test tools, headless Chromium and a running PostgreSQL
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null

if [ "${1:-}" != "--dev" ]; then
  .venv/bin/python -m pip install -q -e .
  exit 0
fi
.venv/bin/python -m pip install -q -e '.[dev]'

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi; }

# Browser tests drive Debian's Chromium; nothing is downloaded by the test tools themselves.
if ! command -v chromium >/dev/null 2>&1; then
  echo "setup: installing chromium (Debian package) for the browser tests"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >/dev/null
fi

# Storage tests run against PostgreSQL too; start the local cluster if it is installed but down.
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "setup: starting the local PostgreSQL cluster"
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
fi
