#!/usr/bin/env bash
# Install everything protocol-kit's tests need on a Debian machine with Python >= 3.11 and Node.
# Idempotent: system packages are installed only when missing; run it as root (or with sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=()
command -v curl >/dev/null || apt_packages+=(curl)
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

python3 -m pip install -q --disable-pip-version-check -e '.[test]'
if [ -f clients/js/package-lock.json ]; then
  npm ci --prefix clients/js --no-audit --no-fund --silent
fi
# Spec tools nobody on this project wrote (Spectral, Redocly, Prism, and TypeScript for the
# clients peer generators write), pinned by tests/tools' package-lock.json, for tests/peers.
npm ci --prefix tests/tools --no-audit --no-fund --silent
# The MDX compile test's @mdx-js/mdx, react and react-dom, pinned by its package-lock.json.
npm ci --prefix tests/docs/mdx --no-audit --no-fund --silent
# The benches' peers (Prism, pinned in bench/tools/package.json), only when asked for:
# PROTOCOL_KIT_BENCH=1 scripts/setup.sh
if [ "${PROTOCOL_KIT_BENCH:-}" = 1 ]; then
  python3 -m pip install -q --disable-pip-version-check -e '.[test,bench]'
  npm ci --prefix bench/tools --no-audit --no-fund --silent
fi
