#!/bin/sh
# Sets up a fresh Debian 12 machine for dockbox, offline once packages are
# cached: apt prerequisites, a release build, and the install to /usr/local.
set -eu
cd "$(dirname "$0")/.."
sh scripts/prerequisites.sh
cargo build --release
sh install.sh --binary target/x86_64-unknown-linux-gnu/release/dockbox "$@"
