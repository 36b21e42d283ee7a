#!/bin/sh
# The crash-safety acceptance of issue #14 in full: 30 rounds of SIGKILL
# to the daemon during a pull of a ~50 MB image (the suite runs 5, to stay
# quick). Needs root, the real CLI and docker-registry, like the suite.
#
#   sh scripts/pull-crash.sh [ROUNDS]
set -eu
cd "$(dirname "$0")/.."
DOCKBOX_PULL_CRASH_ROUNDS=${1:-30} exec cargo test --test integration \
    daemon_pull_crash:: -- --nocapture
