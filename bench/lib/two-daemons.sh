# Shared by bench scripts that put our daemon and Debian's dockerd 20.10
# side by side. Sourced after the script sets N, BENCH_NAME and the names
# of the containers to remove at the end (BENCH_CONTAINERS_OURS,
# BENCH_CONTAINERS_THEIRS). It re-executes the script in a fresh network
# and private mount namespace, starts both daemons with every root and
# socket in a temp dir and containers' cgroups below our own, stops them by
# pid on exit, and defines ours, theirs, time_us and median.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-20}
DOCKBOX=${DOCKBOX:-$HERE/target/x86_64-unknown-linux-gnu/release/dockbox}
DOCKERD=${DOCKERD:-/usr/sbin/dockerd}
CLI=${DOCKER_CLI:-/usr/local/bin/docker}
BUSYBOX=${BUSYBOX:-/bin/busybox}

[ "$(id -u)" = 0 ] || { echo "skipped: bench/$BENCH_NAME.sh needs root"; exit 0; }
for tool in "$DOCKBOX" "$DOCKERD" "$CLI" "$BUSYBOX" /usr/bin/containerd /usr/bin/containerd-shim-runc-v2; do
    [ -x "$tool" ] || { echo "skipped: $tool is missing"; exit 0; }
done
DOCKBOX=$(realpath "$DOCKBOX")

if [ -z "${BENCH_IN_NAMESPACES:-}" ]; then
    BENCH_IN_NAMESPACES=1 exec /usr/bin/unshare --net --mount --propagation private -- "$0" "$@"
fi
/usr/sbin/ip link set lo up
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs /run

WORK=$(mktemp -d "/tmp/dockbox-bench-$BENCH_NAME.XXXXXX")
CGROUP_OURS=dockbox-bench-ours-$$
CGROUP_THEIRS=dockbox-bench-dockerd-$$
ours_pid=
theirs_pid=

stop() {
    local pid=$1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid"
    for _ in $(seq 300); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}

# Our cgroup paths: the parents the daemons put containers below.
own_cgroups() {
    local deepest
    deepest=$(cut -d: -f3 /proc/self/cgroup | awk '{ print length, $0 }' | sort -n | tail -n 1 | cut -d' ' -f2)
    for hierarchy in /sys/fs/cgroup/*; do
        echo "$hierarchy$deepest"
    done
    cut -d: -f2,3 /proc/self/cgroup | while IFS=: read -r controllers path; do
        case $controllers in
        "") echo "/sys/fs/cgroup/unified$path" ;;
        name=*) echo "/sys/fs/cgroup/${controllers#name=}$path" ;;
        *) echo "/sys/fs/cgroup/${controllers%%,*}$path" ;;
        esac
    done
}

cleanup() {
    set +e
    for name in $BENCH_CONTAINERS_OURS; do DOCKER_HOST="unix://$WORK/ours.sock" "$CLI" rm -f "$name" >/dev/null 2>&1; done
    for name in $BENCH_CONTAINERS_THEIRS; do DOCKER_HOST="unix://$WORK/dockerd.sock" "$CLI" rm -f "$name" >/dev/null 2>&1; done
    stop "$ours_pid"
    stop "$theirs_pid"
    # Innermost first; everything is in our private mount namespace anyway.
    grep -o " $WORK[^ ]*" /proc/self/mountinfo | sort -r | while read -r mount; do
        umount -l "$mount" 2>/dev/null
    done
    for dir in $(own_cgroups | sort -u); do
        for parent in "$dir/$CGROUP_OURS" "$dir/$CGROUP_THEIRS"; do
            [ -d "$parent" ] && find "$parent" -depth -type d -exec rmdir {} \; 2>/dev/null
        done
    done
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

mkdir -p "$WORK/rootfs/bin" "$WORK/cli"
export DOCKER_CONFIG=$WORK/cli
unset DOCKER_API_VERSION DOCKER_CONTEXT DOCKER_HOST

# The busybox image: a one-layer rootfs tar, imported into both daemons.
cp "$BUSYBOX" "$WORK/rootfs/bin/busybox"
for applet in sh true sleep; do ln -s busybox "$WORK/rootfs/bin/$applet"; done
mkdir -p "$WORK/rootfs/etc" "$WORK/rootfs/proc" "$WORK/rootfs/sys" "$WORK/rootfs/dev" "$WORK/rootfs/tmp"
tar -C "$WORK/rootfs" -cf "$WORK/busybox.tar" .

echo '{}' >"$WORK/ours.json"
"$DOCKBOX" dockerd --data-root "$WORK/ours-data" --exec-root "$WORK/ours-exec" \
    -H "unix://$WORK/ours.sock" --pidfile "$WORK/ours.pid" --config-file "$WORK/ours.json" \
    --cgroup-parent "$CGROUP_OURS" >"$WORK/ours.log" 2>&1 &
ours_pid=$!
# dockerd 20.10 has no flag for its trust key, which would go to /etc/docker.
echo "{\"deprecated-key-path\": \"$WORK/dockerd-key.json\"}" >"$WORK/dockerd.json"
"$DOCKERD" --data-root "$WORK/dockerd-data" --exec-root "$WORK/dockerd-exec" \
    -H "unix://$WORK/dockerd.sock" --pidfile "$WORK/dockerd.pid" --config-file "$WORK/dockerd.json" \
    --bridge=none --iptables=false --ip6tables=false --ip-masq=false --userland-proxy=false \
    --exec-opt native.cgroupdriver=cgroupfs --cgroup-parent "$CGROUP_THEIRS" \
    >"$WORK/dockerd.log" 2>&1 &
theirs_pid=$!

ours() { DOCKER_HOST="unix://$WORK/ours.sock" "$CLI" "$@"; }
theirs() { DOCKER_HOST="unix://$WORK/dockerd.sock" "$CLI" "$@"; }

wait_ready() {
    local who=$1 pid=$2 log=$3
    for _ in $(seq 600); do
        "$who" version >/dev/null 2>&1 && return 0
        kill -0 "$pid" 2>/dev/null || { echo "$who: daemon exited"; cat "$log"; exit 1; }
        sleep 0.1
    done
    echo "$who: daemon did not serve within 60 s"
    cat "$log"
    exit 1
}
wait_ready ours "$ours_pid" "$WORK/ours.log"
wait_ready theirs "$theirs_pid" "$WORK/dockerd.log"
ours import "$WORK/busybox.tar" busybox:latest >/dev/null
theirs import "$WORK/busybox.tar" busybox:latest >/dev/null

# Wall time of one run in microseconds (bash's EPOCHREALTIME: no clock
# process in the measurement); failures are fatal.
time_us() {
    local start end
    start=${EPOCHREALTIME/./}
    "$@" >/dev/null 2>"$WORK/last.err" || { echo "failed: $*" >&2; cat "$WORK/last.err" >&2; exit 1; }
    end=${EPOCHREALTIME/./}
    echo $((end - start))
}
median() { sort -n | awk '{ v[NR] = $1 } END { m = int((NR + 1) / 2); if (NR % 2) print v[m]; else print int((v[m] + v[m + 1]) / 2) }'; }
# Microseconds as milliseconds, for the RESULT lines.
ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }
# shellcheck source=bench/lib/result.sh
. "$HERE/bench/lib/result.sh"
