#!/usr/bin/env bash
# A crowd of connections that never finish a request, against our daemon
# and Debian's dockerd 20.10 side by side: IDLE connections that send
# nothing (default 10000) and SLOW ones that send half a request head and
# stop (default 200). For each daemon it prints the /_ping latency of a new
# client before and while the crowd is connected (median and worst of 20;
# target with the crowd: under 100 ms), and the daemon's RSS before, during
# and after (target: after within 2 MB of before).
#
#   bench/connections.sh [IDLE] [SLOW]   (needs root, /usr/sbin/dockerd, python3)
#   DOCKBOX=path/to/dockbox bench/connections.sh
#
# Both daemons run in one fresh network namespace (only lo, up) and a
# private mount namespace with a tmpfs on /run (dockerd starts its own
# containerd there); roots and sockets are in a temp dir; daemons are
# stopped by pid. The client raises its own soft descriptor limit to the
# hard one and opens fewer connections if even that is too low.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
IDLE=${1:-10000}
SLOW=${2:-200}
DOCKBOX=${DOCKBOX:-$HERE/target/x86_64-unknown-linux-gnu/release/dockbox}
DOCKERD=${DOCKERD:-/usr/sbin/dockerd}

[ "$(id -u)" = 0 ] || { echo "skipped: bench/connections.sh needs root"; exit 0; }
for tool in "$DOCKBOX" "$DOCKERD" /usr/bin/containerd /usr/bin/python3; do
    [ -x "$tool" ] || { echo "skipped: $tool is missing"; exit 0; }
done
DOCKBOX=$(realpath "$DOCKBOX")

if [ -z "${BENCH_IN_NAMESPACES:-}" ]; then
    BENCH_IN_NAMESPACES=1 exec /usr/bin/unshare --net --mount --propagation private -- "$0" "$@"
fi
/usr/sbin/ip link set lo up
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs /run

WORK=$(mktemp -d /tmp/dockbox-bench-conn.XXXXXX)
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

cleanup() {
    set +e
    stop "$ours_pid"
    stop "$theirs_pid"
    grep -o " $WORK[^ ]*" /proc/self/mountinfo | sort -r | while read -r mount; do
        umount -l "$mount" 2>/dev/null
    done
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

echo '{}' >"$WORK/ours.json"
"$DOCKBOX" dockerd --data-root "$WORK/ours-data" --exec-root "$WORK/ours-exec" \
    -H "unix://$WORK/ours.sock" --pidfile "$WORK/ours.pid" --config-file "$WORK/ours.json" \
    >"$WORK/ours.log" 2>&1 &
ours_pid=$!
# dockerd 20.10 has no flag for its trust key, which would go to /etc/docker.
echo "{\"deprecated-key-path\": \"$WORK/dockerd-key.json\"}" >"$WORK/dockerd.json"
"$DOCKERD" --data-root "$WORK/dockerd-data" --exec-root "$WORK/dockerd-exec" \
    -H "unix://$WORK/dockerd.sock" --pidfile "$WORK/dockerd.pid" --config-file "$WORK/dockerd.json" \
    --bridge=none --iptables=false --ip6tables=false --ip-masq=false --userland-proxy=false \
    --exec-opt native.cgroupdriver=cgroupfs \
    >"$WORK/dockerd.log" 2>&1 &
theirs_pid=$!

# The client: opens the crowd, pings through it, closes it, and watches
# the daemon's descriptors and RSS in /proc.
cat >"$WORK/crowd.py" <<'EOF'
import os, resource, socket, statistics, sys, time

path, pid, idle, slow = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
room = hard - len(os.listdir("/proc/self/fd")) - 100 - slow
if idle > room:
    print(f"  (only {room} idle connections: the hard descriptor limit is {hard})")
    idle = room

def rss_kib():
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

def descriptors():
    return len(os.listdir(f"/proc/{pid}/fd"))

def ping(timeout=10.0):
    started = time.monotonic()
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.settimeout(timeout)
    try:
        client.connect(path)
        client.sendall(b"GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n")
        answer = b""
        while not answer.endswith(b"OK"):
            chunk = client.recv(4096)
            if not chunk:
                break
            answer += chunk
        if not answer.startswith(b"HTTP/1.1 200"):
            return None
        return (time.monotonic() - started) * 1000
    except OSError:
        return None
    finally:
        client.close()

# The last pings' median and worst in ms (inf when none answered), for
# the RESULT lines.
last = {"median": float("inf"), "worst": float("inf")}

def pings(count=20):
    times = [ping() for _ in range(count)]
    answered = [t for t in times if t is not None]
    last["median"] = last["worst"] = float("inf")
    if not answered:
        return f"no answer in {count} tries (10 s each)"
    last["median"], last["worst"] = statistics.median(answered), max(answered)
    failed = count - len(answered)
    text = f"median {statistics.median(answered):7.2f} ms, worst {max(answered):7.2f} ms"
    return text + (f", {failed} of {count} unanswered" if failed else "")

pings(5)
time.sleep(1)
rss_before, fds_before = rss_kib(), descriptors()
print(f"  /_ping alone:           {pings()}")
crowd = []
opened_at = time.monotonic()
# Blocking connects: a unix socket's connect waits for room in the
# listener's backlog only when blocking (non-blocking gives EAGAIN).
for _ in range(idle):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except OSError as error:
        print(f"  idle connection {len(crowd)} failed: {error}")
        sock.close()
        break
    crowd.append(sock)
for _ in range(slow):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
        sock.sendall(b"GET /_ping HTTP/1.1\r\nHost: docker\r\nX-Slow: ")
    except OSError as error:
        print(f"  slow connection failed: {error}")
        sock.close()
        break
    crowd.append(sock)
# Until the daemon holds the crowd (or 10 s): the pings measure serving
# beside it, not waiting behind its accepts.
while descriptors() < fds_before + len(crowd) and time.monotonic() < opened_at + 10:
    time.sleep(0.05)
print(f"  crowd: {len(crowd)} connections opened in {time.monotonic() - opened_at:.1f} s, "
      f"daemon holds {descriptors() - fds_before} more descriptors")
print(f"  /_ping with the crowd:  {pings()}")
crowd_median, crowd_worst = last["median"], last["worst"]
rss_during = rss_kib()
for sock in crowd:
    sock.close()
crowd = []
deadline = time.monotonic() + 30
while descriptors() > fds_before + 2 and time.monotonic() < deadline:
    time.sleep(0.05)
time.sleep(2)
ping()
rss_after = rss_kib()
print(f"  RSS before {rss_before / 1024:6.1f} MB, during {rss_during / 1024:6.1f} MB, "
      f"after {rss_after / 1024:6.1f} MB (after - before: {(rss_after - rss_before) / 1024:+.1f} MB)")
with open(sys.argv[5], "w") as figures:
    # "-" for pings that never answered: no figure, so the target fails.
    shown = [f"{ms:.2f}" if ms != float("inf") else "-" for ms in (crowd_median, crowd_worst)]
    print(*shown, f"{(rss_after - rss_before) / 1024:.2f}", file=figures)
EOF

wait_ready() {
    local socket=$1 pid=$2 log=$3
    for _ in $(seq 600); do
        python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(sys.argv[1])
s.sendall(b"GET /_ping HTTP/1.1\r\nHost: d\r\n\r\n"); sys.exit(0 if s.recv(100).startswith(b"HTTP/1.1 200") else 1)' \
            "$socket" 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || { echo "daemon $pid exited"; cat "$log"; exit 1; }
        sleep 0.1
    done
    echo "daemon $pid did not serve within 60 s"
    cat "$log"
    exit 1
}
wait_ready "$WORK/ours.sock" "$ours_pid" "$WORK/ours.log"
wait_ready "$WORK/dockerd.sock" "$theirs_pid" "$WORK/dockerd.log"

echo "$IDLE idle + $SLOW slow-header connections"
echo "dockbox dockerd ($DOCKBOX)"
python3 "$WORK/crowd.py" "$WORK/ours.sock" "$ours_pid" "$IDLE" "$SLOW" "$WORK/ours.figures"
echo "Debian dockerd 20.10 ($DOCKERD)"
python3 "$WORK/crowd.py" "$WORK/dockerd.sock" "$theirs_pid" "$IDLE" "$SLOW" "$WORK/dockerd.figures"

# Targets as above: /_ping beside the crowd under 100 ms (the median of
# 20; the worst is shown without a target), RSS after within 2 MB of before.
# shellcheck source=bench/lib/result.sh
. "$HERE/bench/lib/result.sh"
read -r ours_median ours_worst ours_growth <"$WORK/ours.figures"
read -r theirs_median theirs_worst theirs_growth <"$WORK/dockerd.figures"
result connections crowd_ping_median_ms "$ours_median" "$theirs_median" "ours<=100"
result connections crowd_ping_worst_ms "$ours_worst" "$theirs_worst" "-"
result connections rss_growth_mb "$ours_growth" "$theirs_growth" "ours<=2"
