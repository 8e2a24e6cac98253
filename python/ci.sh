#!/usr/bin/env bash
# Python SDK checks, for CI (.ci/run calls it after the cargo tests) and by hand, on a machine
# with only Rust and Python >= 3.11 with pip: a venv with the pinned tools of
# requirements-dev.txt from PyPI, the lock and format checks of the extension, the server binary
# and the extension (debug builds, the repository's target dir), then mypy --strict and pytest.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(dirname "$HERE")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/target}"
VENV="${PERSONA_PYTHON_VENV:-$CARGO_TARGET_DIR/python-venv}"
PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
started=$SECONDS
step() { echo "== python sdk: $1 (at $((SECONDS - started)) s)"; }

step "venv ($("$PYTHON" --version))"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$HERE/requirements-dev.txt"

step "extension lock and format"
# The extension's lock must keep the root's versions (scripts/sync_lock.py fixes it).
"$VENV/bin/python" "$HERE/scripts/sync_lock.py" --check
cargo fmt --manifest-path "$HERE/Cargo.toml" -- --check

step "server binary and extension (debug)"
# `cargo test --no-run` builds the binary with the test feature set, so after the cargo tests
# (as in .ci/run) it is already up to date instead of rebuilt with other features.
(cd "$REPO" && cargo test --locked --no-run --quiet)
(cd "$HERE" && VIRTUAL_ENV="$VENV" PATH="$VENV/bin:$PATH" maturin develop --locked --quiet)

step "mypy --strict"
(cd "$HERE" && "$VENV/bin/mypy" --strict)

step "pytest"
(cd "$HERE" && PERSONA_BIN="$CARGO_TARGET_DIR/debug/persona" "$VENV/bin/python" -m pytest -q -p no:cacheprovider tests)

step "done"
