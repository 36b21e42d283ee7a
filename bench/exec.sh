#!/usr/bin/env bash
# `docker exec c true` through the real Docker CLI, N times (default 20),
# against our daemon and against Debian's dockerd 20.10 (with the
# containerd it launches itself), interleaved, each on a running busybox
# container. Prints each median wall time and the ratio ours/dockerd
# (target: ours <= 0.2 x).
#
#   bench/exec.sh [N]   (needs root, /usr/sbin/dockerd, the CLI)
#   DOCKBOX=path/to/dockbox bench/exec.sh
#
# The daemons run as in bench/docker-run.sh: one fresh network namespace
# (only lo, up), a private mount namespace with a tmpfs on /run, every root
# and socket in a temp dir, containers' cgroups below our own, daemons
# stopped by pid.
BENCH_NAME=exec
BENCH_CONTAINERS_OURS="exec-ours"
BENCH_CONTAINERS_THEIRS="exec-theirs"
# shellcheck source=bench/lib/two-daemons.sh
. "$(dirname "$0")/lib/two-daemons.sh"

ours run -d --name exec-ours busybox sleep 100000 >/dev/null 2>&1
theirs run -d --name exec-theirs busybox sleep 100000 >/dev/null 2>&1
# One warm-up each, so neither pays alone for a cold page cache.
time_us ours exec exec-ours true >/dev/null
time_us theirs exec exec-theirs true >/dev/null
: >"$WORK/ours.txt"
: >"$WORK/theirs.txt"
for _ in $(seq "$N"); do
    time_us ours exec exec-ours true >>"$WORK/ours.txt"
    time_us theirs exec exec-theirs true >>"$WORK/theirs.txt"
done
ours_median=$(median <"$WORK/ours.txt")
theirs_median=$(median <"$WORK/theirs.txt")

awk -v n="$N" -v o="$ours_median" -v t="$theirs_median" 'BEGIN {
    printf "docker exec c true, %d runs each, interleaved\n", n
    printf "  dockbox dockerd median:   %8.1f ms\n", o / 1000
    printf "  Debian dockerd median:    %8.1f ms\n", t / 1000
    printf "  ratio ours/dockerd:       %8.3f   (target <= 0.2)\n", o / t
}'
# Issue #16: <= 0.2 x dockerd 20.10.
result exec exec_ms "$(ms "$ours_median")" "$(ms "$theirs_median")" "ratio<=0.2"
