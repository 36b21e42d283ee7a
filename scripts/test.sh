#!/bin/sh
# Runs every test: formatting, clippy, and the unit and integration tests.
# Most integration tests need root; without it they print `skipped: ...`.
# The run ends with one line, `tests: N passed, M failed, K skipped`, where a
# skipped test is not counted as passed; under CI as root a skip fails the
# run, since every prerequisite is installed there.
set -eu
cd "$(dirname "$0")/.."
sh scripts/prerequisites.sh test
cargo fmt --check
cargo clippy --all-targets --quiet -- -D warnings
log=$(mktemp)
status=$(mktemp)
trap 'rm -f "$log" "$status"' EXIT
{ set +e; cargo test --no-fail-fast 2>&1; echo $? > "$status"; } | tee "$log"
rc=$(cat "$status")
# libtest counts a test that returned early through `require!` as passed.
# A skip line can land inside a line of libtest's, so count it anywhere.
skipped=$(grep -o 'skipped: [^ ]*: ' "$log" | wc -l)
passed=$(sed -n 's/^test result: .* \([0-9][0-9]*\) passed.*/\1/p' "$log" | awk '{s += $1} END {print s + 0}')
failed=$(sed -n 's/^test result: .* \([0-9][0-9]*\) failed.*/\1/p' "$log" | awk '{s += $1} END {print s + 0}')
if [ "$skipped" -gt 0 ]; then
    echo "skipped tests and their reasons:"
    grep -o 'skipped: .*' "$log" | sort
fi
echo "tests: $((passed - skipped)) passed, $failed failed, $skipped skipped"
[ "$rc" = 0 ] || exit "$rc"
if [ "$skipped" -gt 0 ] && [ "${CI:-}" = true ] && [ "$(id -u)" = 0 ]; then
    echo "test.sh: $skipped tests skipped under CI as root, where every prerequisite is installed" >&2
    exit 1
fi
