#!/bin/sh
# First contact on a fresh Debian 12 machine, offline once packages are
# cached: the user prerequisites, a release build, the install (to
# /usr/local unless --prefix says otherwise), a dockerd started unless one
# answers, a busybox image, and `docker run --rm busybox echo hello from dockbox`.
#
#   sh scripts/setup.sh [install.sh options]
#
# Arguments go to install.sh; with --binary PATH nothing is built.
# Environment:
#   DOCKER_HOST          the daemon socket (default unix:///var/run/docker.sock)
#   DOCKBOX_DAEMON_LOG   the log of a dockerd this script starts
#                        (default /var/log/dockbox-dockerd.log)
#   DOCKERD_FLAGS        more flags for that dockerd (--data-root DIR, say)
set -eu
cd "$(dirname "$0")/.."

say() { echo "setup.sh: $*"; }
die() { echo "setup.sh: $*" >&2; exit 1; }

prefix=${PREFIX:-/usr/local}
binary=
previous=
for arg in "$@"; do
    case $previous in
        --prefix) prefix=$arg ;;
        --binary) binary=$arg ;;
    esac
    case $arg in
        --prefix=*) prefix=${arg#--prefix=} ;;
        --binary=*) binary=${arg#--binary=} ;;
    esac
    previous=$arg
done

sh scripts/prerequisites.sh user
if [ -z "$binary" ]; then
    cargo build --release
    set -- --binary target/x86_64-unknown-linux-gnu/release/dockbox "$@"
fi
sh ./install.sh "$@"

# Our own client and daemon, called through the binary: install.sh keeps a
# `docker` or `dockerd` in PREFIX/bin that is not dockbox's.
dockbox=$prefix/bin/dockbox
host=${DOCKER_HOST:-unix:///var/run/docker.sock}
export DOCKER_HOST="$host"
log=${DOCKBOX_DAEMON_LOG:-/var/log/dockbox-dockerd.log}

daemon_answers() { "$dockbox" docker version >/dev/null 2>&1; }

start_daemon() {
    say "starting dockerd on $host, its log in $log"
    mkdir -p "$(dirname "$log")"
    # shellcheck disable=SC2086 # DOCKERD_FLAGS is a list of flags
    nohup "$dockbox" dockerd -H "$host" ${DOCKERD_FLAGS:-} </dev/null >>"$log" 2>&1 &
    pid=$!
    tries=0
    until daemon_answers; do
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 20 "$log" >&2 || true
            die "dockerd exited; its log is $log"
        fi
        tries=$((tries + 1))
        [ "$tries" -lt 300 ] || die "dockerd does not answer on $host after 30 s; its log is $log"
        sleep 0.1
    done
    say "dockerd is running as pid $pid (stop it with: kill $pid)"
}

# The image from the host's static busybox, for a machine that cannot reach
# a registry (or a daemon that does not pull yet).
import_busybox() {
    busybox=/bin/busybox
    file=$(od -An -c -N4 "$busybox" 2>/dev/null | tr -d ' ')
    [ "$file" = '177ELF' ] || die "$busybox missing: install busybox-static"
    rootfs=$(mktemp -d)
    trap 'rm -rf "$rootfs"' EXIT
    mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/root"
    chmod 1777 "$rootfs/tmp"
    cp "$busybox" "$rootfs/bin/busybox"
    for applet in $("$busybox" --list); do
        [ -e "$rootfs/bin/$applet" ] || ln -s busybox "$rootfs/bin/$applet"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$rootfs/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
    tar -C "$rootfs" -cf - . | "$dockbox" docker import --change 'CMD ["sh"]' - busybox:latest >/dev/null
    rm -rf "$rootfs"
    trap - EXIT
    say "made the busybox image from $busybox"
}

if daemon_answers; then
    say "a daemon already answers on $host; using it"
else
    start_daemon
fi
if ! "$dockbox" docker image inspect busybox >/dev/null 2>&1; then
    "$dockbox" docker pull busybox >/dev/null 2>&1 || import_busybox
fi
say "docker run --rm busybox echo hello from dockbox"
"$dockbox" docker run --rm busybox echo hello from dockbox
