#!/usr/bin/env bash
# Install everything protocol-kit's tests need on a Debian machine with Python >= 3.11 and Node.
# Python packages go into a virtual environment, .venv at the checkout's root (PROTOCOL_KIT_VENV
# names another), so it works where python3 is externally managed (Debian's own Python);
# run the tests with .venv/bin/python -m pytest.
# Idempotent: system packages are installed only when missing; run it as root (or with sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=()
command -v curl >/dev/null || apt_packages+=(curl)
# Debian's Python makes virtual environments only with python3-venv (ensurepip) installed.
python3 -c 'import ensurepip' 2>/dev/null || apt_packages+=(python3-venv)
command -v script >/dev/null || apt_packages+=(bsdutils)  # a terminal for the progress-bar test
command -v php >/dev/null || apt_packages+=(php-cli)
php -m 2>/dev/null | grep -qi '^curl$' || apt_packages+=(php-curl)
command -v chromium >/dev/null || apt_packages+=(chromium)
# The PHP client's documented install (a Composer path repository) is tested with Debian's composer.
command -v composer >/dev/null || apt_packages+=(composer)
command -v wrk >/dev/null || apt_packages+=(wrk)
command -v node >/dev/null || apt_packages+=(nodejs npm)
# openapi-generator (a jar in its PyPI wheel), for tests/peers, runs on Java 17.
command -v java >/dev/null || apt_packages+=(default-jre-headless)
# The PostgreSQL tests start a throw-away cluster with Debian's initdb and pg_ctl, and put
# replicas behind HAProxy; neither runs as a system service.
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || apt_packages+=(postgresql)
command -v haproxy >/dev/null || apt_packages+=(haproxy)
if ((${#apt_packages[@]})); then
  echo "setup: installing ${apt_packages[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_packages[@]}" >/dev/null
fi

venv="${PROTOCOL_KIT_VENV:-.venv}"
if [ ! -x "$venv/bin/python" ]; then
  echo "setup: creating a virtual environment in $venv" >&2
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check -e '.[test]'
echo "setup: protocol-kit and its test tools are installed in $venv; run the tests with $venv/bin/python -m pytest" >&2
if [ -f clients/js/package-lock.json ]; then
  npm ci --prefix clients/js --no-audit --no-fund --silent
fi
# Spec tools nobody on this project wrote (Spectral, Redocly, Prism, and TypeScript for the
# clients peer generators write), pinned by tests/tools' package-lock.json, for tests/peers.
npm ci --prefix tests/tools --no-audit --no-fund --silent
# The MDX compile test's @mdx-js/mdx, react and react-dom, pinned by its package-lock.json.
npm ci --prefix tests/docs/mdx --no-audit --no-fund --silent
# The Express implementation of the contract that tests/frameworks verifies.
npm ci --prefix tests/frameworks/express --no-audit --no-fund --silent
# The benches' peers (Prism, pinned in bench/tools/package.json), only when asked for:
# PROTOCOL_KIT_BENCH=1 scripts/setup.sh
if [ "${PROTOCOL_KIT_BENCH:-}" = 1 ]; then
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -e '.[test,bench]'
  npm ci --prefix bench/tools --no-audit --no-fund --silent
fi
