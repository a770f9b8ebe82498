#!/usr/bin/env bash
# Prepares a fresh machine: a virtualenv with meshslo installed in it.
#   scripts/setup.sh           runtime only
#   scripts/setup.sh --dev     plus test tools, Debian packages for the tests and a running PostgreSQL
#   scripts/setup.sh --system  only the Debian packages for the tests (no virtualenv)
# SETUP_APT_SIMULATE=1 runs apt-get with --simulate: it shows what would be installed.
# SETUP_APT_LOCK_TIMEOUT (seconds, default 600) is how long to wait for another apt or dpkg.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi; }

# binary, Debian package, why the tests need it
SYSTEM_PACKAGES=(
  "chromium chromium the browser tests drive Debian's Chromium (the test tools download nothing)"
  "prometheus prometheus tests use a real Prometheus as a peer"
  "prometheus-alertmanager prometheus-alertmanager tests use a real Alertmanager as a peer"
)

# apt-get update ignores DPkg::Lock::Timeout for the package lists' lock (apt 2.6): retry it by hand.
apt_update() {
  local deadline=$((SECONDS + $1)) out said=""
  shift
  while ! out=$(as_root "$@" update -qq 2>&1); do
    if ! grep -q "Could not get lock" <<<"$out" || [ "$SECONDS" -ge "$deadline" ]; then
      echo "$out" >&2
      return 1
    fi
    [ -z "$said" ] && echo "setup: another apt holds the package lists; waiting" && said=1
    sleep 3
  done
  if [ -n "$out" ]; then echo "$out"; fi
}

install_system_packages() {
  local entry binary package why missing=()
  for entry in "${SYSTEM_PACKAGES[@]}"; do
    read -r binary package why <<<"$entry"
    if ! command -v "$binary" >/dev/null 2>&1; then
      echo "setup: will install Debian package $package: $why"
      missing+=("$package")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: no apt-get here; install ${missing[*]} by hand" >&2
    return 1
  fi
  # Another apt or dpkg (unattended-upgrades, a second setup) holds the lock: wait for it, not fail.
  local wait_s=${SETUP_APT_LOCK_TIMEOUT:-600}
  local apt=(apt-get -q -o "DPkg::Lock::Timeout=$wait_s")
  local simulate=()
  [ -n "${SETUP_APT_SIMULATE:-}" ] && simulate=(--simulate)
  echo "setup: apt-get update, then apt-get install ${missing[*]} (waiting up to ${wait_s}s for the apt lock)"
  apt_update "$wait_s" "${apt[@]}"
  # No recommends: the prometheus package would also bring node-exporter and its service.
  as_root env DEBIAN_FRONTEND=noninteractive "${apt[@]}" install "${simulate[@]}" -y -qq \
    --no-install-recommends "${missing[@]}"
}

if [ "${1:-}" = "--system" ]; then
  install_system_packages
  exit 0
fi

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

install_system_packages

# Storage tests run against PostgreSQL too; start the local cluster if it is installed but down.
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "setup: starting the local PostgreSQL cluster"
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
fi
