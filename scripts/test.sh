#!/bin/sh
# Runs every test: formatting, clippy, and the unit and integration tests.
# Most integration tests need root; without it they print `skipped: ...`.
set -eu
cd "$(dirname "$0")/.."
sh scripts/prerequisites.sh test
cargo fmt --check
cargo clippy --all-targets --quiet -- -D warnings
cargo test --no-fail-fast
