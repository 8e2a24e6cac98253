#!/usr/bin/env bash
# Python SDK checks, for CI and by hand, on a machine with only Rust and Python 3.11 + pip:
# a venv with pinned tools from PyPI, the extension (debug build, the repository's target dir),
# the server binary for the live-server tests, then mypy --strict and pytest.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(dirname "$HERE")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/target}"
VENV="${PERSONA_PYTHON_VENV:-$CARGO_TARGET_DIR/python-venv}"
PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
started=$SECONDS

echo "== python sdk: venv ($("$PYTHON" --version))"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  maturin==1.9.4 httpx==0.28.1 pytest==8.4.2 mypy==1.18.2

echo "== python sdk: server binary and extension (debug)"
# `cargo test --no-run` builds the binary with the test feature set, so after the cargo tests
# (as in .ci/run) it is already up to date instead of rebuilt with other features.
(cd "$REPO" && cargo test --locked --no-run --quiet)
(cd "$HERE" && VIRTUAL_ENV="$VENV" PATH="$VENV/bin:$PATH" maturin develop --locked --quiet)

echo "== python sdk: mypy --strict"
(cd "$HERE" && "$VENV/bin/mypy" --strict)

echo "== python sdk: pytest"
(cd "$HERE" && PERSONA_BIN="$CARGO_TARGET_DIR/debug/persona" "$VENV/bin/python" -m pytest -q -p no:cacheprovider tests)

echo "== python sdk: done in $((SECONDS - started)) s"
