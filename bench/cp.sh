#!/usr/bin/env bash
# `docker cp` of a 200 MB tree (100 directories of 20 files of 100 KB)
# into a running busybox container and back out, through the real Docker
# CLI, N times each (default 3), against our daemon and against Debian's
# dockerd 20.10, interleaved. Prints each median wall time and the ratios
# ours/dockerd.
#
#   bench/cp.sh [N]   (needs root, /usr/sbin/dockerd, the CLI)
#   DOCKBOX=path/to/dockbox bench/cp.sh
#
# The daemons run as in bench/exec.sh (see bench/lib/two-daemons.sh).
BENCH_NAME=cp
BENCH_CONTAINERS_OURS="cp-ours"
BENCH_CONTAINERS_THEIRS="cp-theirs"
# shellcheck source=bench/lib/two-daemons.sh
. "$(dirname "$0")/lib/two-daemons.sh"
N=${1:-3}

# The tree: distinct contents, so no layer of either side can shortcut.
mkdir -p "$WORK/tree"
for dir in $(seq 100); do
    mkdir "$WORK/tree/d$dir"
    for file in $(seq 20); do
        head -c 102400 /dev/zero | tr '\0' "$(printf '\\%03o' $(((dir + file) % 200 + 32)))" \
            >"$WORK/tree/d$dir/f$file"
    done
done

ours run -d --name cp-ours busybox sleep 100000 >/dev/null 2>&1
theirs run -d --name cp-theirs busybox sleep 100000 >/dev/null 2>&1
: >"$WORK/ours-in.txt"
: >"$WORK/theirs-in.txt"
: >"$WORK/ours-out.txt"
: >"$WORK/theirs-out.txt"
for round in $(seq "$N"); do
    time_us ours cp "$WORK/tree" "cp-ours:/tmp/tree$round" >>"$WORK/ours-in.txt"
    time_us theirs cp "$WORK/tree" "cp-theirs:/tmp/tree$round" >>"$WORK/theirs-in.txt"
    time_us ours cp "cp-ours:/tmp/tree$round" "$WORK/ours-out$round" >>"$WORK/ours-out.txt"
    time_us theirs cp "cp-theirs:/tmp/tree$round" "$WORK/theirs-out$round" >>"$WORK/theirs-out.txt"
    # Both copies came back whole.
    diff -r "$WORK/tree" "$WORK/ours-out$round" >/dev/null || { echo "ours: tree $round differs"; exit 1; }
    diff -r "$WORK/tree" "$WORK/theirs-out$round" >/dev/null || { echo "dockerd: tree $round differs"; exit 1; }
    rm -rf "$WORK/ours-out$round" "$WORK/theirs-out$round"
done

awk -v n="$N" \
    -v oi="$(median <"$WORK/ours-in.txt")" -v ti="$(median <"$WORK/theirs-in.txt")" \
    -v oo="$(median <"$WORK/ours-out.txt")" -v to="$(median <"$WORK/theirs-out.txt")" 'BEGIN {
    printf "docker cp of a 200 MB tree, %d runs each way, interleaved\n", n
    printf "  into the container: dockbox %8.1f ms, dockerd %8.1f ms, ratio %6.3f\n", oi / 1000, ti / 1000, oi / ti
    printf "  out of it:          dockbox %8.1f ms, dockerd %8.1f ms, ratio %6.3f\n", oo / 1000, to / 1000, oo / to
}'
# Issue #17: <= 0.5 x dockerd 20.10 each way.
result cp cp_in_ms "$(ms "$(median <"$WORK/ours-in.txt")")" "$(ms "$(median <"$WORK/theirs-in.txt")")" "ratio<=0.5"
result cp cp_out_ms "$(ms "$(median <"$WORK/ours-out.txt")")" "$(ms "$(median <"$WORK/theirs-out.txt")")" "ratio<=0.5"
