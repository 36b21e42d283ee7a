#!/bin/sh
# Start-up cost of the OCI runtime: N times `run` + `delete` of busybox
# `true`, dockbox's runc and Debian's runc interleaved, each with its own
# temporary --root, inside a private network namespace. Prints each median
# and the ratio dockbox/runc.
#
#   bench/runtime.sh [N]      (default 100; needs root, busybox-static, runc)
#   DOCKBOX=path/to/dockbox bench/runtime.sh
#   SECCOMP=path/to/seccomp-default.json bench/runtime.sh
#       also applies Docker's default seccomp profile (turned into the OCI
#       form for the spec's capabilities and x86_64, as dockerd does;
#       needs python3), so both runtimes compile and load the filter.
set -eu

N=${1:-100}
HERE=$(cd "$(dirname "$0")/.." && pwd)
DOCKBOX=${DOCKBOX:-$HERE/target/x86_64-unknown-linux-gnu/release/dockbox}
RUNC=${RUNC:-/usr/sbin/runc}
BUSYBOX=${BUSYBOX:-/bin/busybox}

[ "$(id -u)" = 0 ] || { echo "bench/runtime.sh: needs root" >&2; exit 1; }
for tool in "$DOCKBOX" "$RUNC" "$BUSYBOX"; do
    [ -x "$tool" ] || { echo "bench/runtime.sh: missing $tool" >&2; exit 1; }
done

# Re-enter in a private network namespace, so that nothing touches the host's.
if [ -z "${BENCH_IN_NETNS:-}" ]; then
    BENCH_IN_NETNS=1 exec unshare --net -- "$0" "$@"
fi

WORK=$(mktemp -d /tmp/dockbox-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT INT TERM
mkdir -p "$WORK/bin" "$WORK/bundle/rootfs/bin" "$WORK/bundle/rootfs/proc" \
    "$WORK/bundle/rootfs/dev" "$WORK/bundle/rootfs/sys" "$WORK/root-ours" "$WORK/root-runc"
cp "$BUSYBOX" "$WORK/bundle/rootfs/bin/busybox"
ln -s busybox "$WORK/bundle/rootfs/bin/true"
ln -s busybox "$WORK/bundle/rootfs/bin/sh"
ln -s "$DOCKBOX" "$WORK/bin/runc"
(cd "$WORK/bundle" && "$RUNC" spec)
# Cgroups (runc makes one per container) only below our own: the deepest
# of our cgroup paths, when every other one is a prefix of it.
OWN=$(cut -d: -f3 /proc/self/cgroup | awk '{ print length, $0 }' | sort -n | tail -n 1 | cut -d' ' -f2)
for path in $(cut -d: -f3 /proc/self/cgroup); do
    case "$OWN/" in
    "${path%/}"/*) ;;
    *) echo "bench/runtime.sh: own cgroups are not nested ($path vs $OWN)" >&2; exit 1 ;;
    esac
done
CGROUP="${OWN%/}/dockbox-bench-$$"
# No terminal, run `true`, in a cgroup below ours.
sed -i -e 's/"terminal": true/"terminal": false/' -e 's/"sh"$/"true"/' \
    -e "s|\"linux\": {|\"linux\": {\n\t\t\"cgroupsPath\": \"$CGROUP\",|" \
    "$WORK/bundle/config.json"

if [ -n "${SECCOMP:-}" ]; then
    python3 - "$SECCOMP" "$WORK/bundle/config.json" <<'PY'
import json, sys
profile = json.load(open(sys.argv[1]))
spec = json.load(open(sys.argv[2]))
caps = set(c.removeprefix("CAP_") for c in spec["process"]["capabilities"]["bounding"])
arches = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
syscalls = []
for rule in profile["syscalls"]:
    includes, excludes = rule.get("includes", {}), rule.get("excludes", {})
    if any(c.removeprefix("CAP_") not in caps for c in includes.get("caps", [])):
        continue
    if includes.get("arches") and "amd64" not in includes["arches"]:
        continue
    if any(c.removeprefix("CAP_") in caps for c in excludes.get("caps", [])):
        continue
    if "amd64" in excludes.get("arches", []):
        continue
    out = {k: rule[k] for k in ("names", "action", "args", "errnoRet") if k in rule}
    syscalls.append(out)
seccomp = {"defaultAction": profile["defaultAction"], "architectures": arches, "syscalls": syscalls}
if "defaultErrnoRet" in profile:
    seccomp["defaultErrnoRet"] = profile["defaultErrnoRet"]
spec["linux"]["seccomp"] = seccomp
json.dump(spec, open(sys.argv[2], "w"), indent=1)
PY
fi

now_ns() { date +%s%N; }

# One run+delete; prints its duration in nanoseconds.
measure() {
    runtime=$1 root=$2 id=$3
    start=$(now_ns)
    "$runtime" --root "$root" run -b "$WORK/bundle" "$id" >/dev/null
    "$runtime" --root "$root" delete -f "$id" >/dev/null 2>&1 || true
    end=$(now_ns)
    echo $((end - start))
}

: >"$WORK/ours.txt"
: >"$WORK/runc.txt"
i=0
while [ "$i" -lt "$N" ]; do
    measure "$WORK/bin/runc" "$WORK/root-ours" "bench$i" >>"$WORK/ours.txt"
    measure "$RUNC" "$WORK/root-runc" "bench$i" >>"$WORK/runc.txt"
    i=$((i + 1))
done

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
OURS=$(median "$WORK/ours.txt")
THEIRS=$(median "$WORK/runc.txt")
awk -v n="$N" -v ours="$OURS" -v runc="$THEIRS" 'BEGIN {
    printf "runs:            %d\n", n
    printf "dockbox median:  %.2f ms\n", ours / 1e6
    printf "runc median:     %.2f ms\n", runc / 1e6
    printf "ratio ours/runc: %.2f\n", ours / runc
}'
# shellcheck source=bench/lib/result.sh
. "$HERE/bench/lib/result.sh"
ms() { awk -v ns="$1" 'BEGIN { printf "%.2f", ns / 1e6 }'; }
# Issue #20: <= 0.2 x Debian's runc (with SECCOMP set to Docker's profile).
result runtime run_delete_ms "$(ms "$OURS")" "$(ms "$THEIRS")" "ratio<=0.2"
