#!/usr/bin/env bash
# Checks the library's layering over its source (tests/it/layers.rs): no import from a higher
# layer into a lower one, no cycle between files or layers, route handlers reach storage only
# through `service`. Part of `cargo test`; this runs just those checks.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo test --locked --test it layers -- --nocapture
