#!/usr/bin/env bash
# Browser tests of the web workspace (/ui/): Debian's Chromium driven by Playwright for Python,
# axe-core from npm for the accessibility scans. Installs what is missing (never downloads a
# browser through Playwright), uses the debug binary (building it when absent), and runs pytest;
# each test starts its own `persona serve` on a random port with a temporary database.
# Screenshots land in tests/browser/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
  local sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "$@" >/dev/null
}
if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing chromium (apt)"
  apt_install chromium
fi
command -v npm >/dev/null 2>&1 || apt_install npm
python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip
if ! python3 -c 'import playwright, pytest' >/dev/null 2>&1; then
  echo "== installing playwright and pytest (pip)"
  # Debian's own Python refuses user installs into it unless told (PEP 668).
  python3 -m pip install -q playwright pytest 2>/dev/null \
    || python3 -m pip install -q --break-system-packages playwright pytest
fi
if [ ! -f tests/browser/.deps/node_modules/axe-core/axe.min.js ]; then
  echo "== installing axe-core (npm)"
  npm install --no-audit --no-fund --silent --prefix tests/browser/.deps axe-core@4
fi
if [ ! -x target/debug/persona ]; then
  cargo build --locked
fi

echo "== browser tests ($(chromium --version 2>/dev/null || echo chromium))"
rm -rf tests/browser/screenshots
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
python3 -m pytest tests/browser -q -p no:cacheprovider "$@"
