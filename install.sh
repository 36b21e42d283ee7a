#!/bin/sh
# Installs dockbox: PREFIX/bin/dockbox plus one link per applet.
# Needs only a POSIX sh, coreutils and the binary (or cargo to build it).
#
#   ./install.sh [--prefix DIR] [--binary PATH] [--symlinks] [--force] [--no-service]
#   ./install.sh [--prefix DIR] --uninstall
#
# With systemd as the init (/run/systemd/system exists) it installs
# docker.service and docker.socket in /etc/systemd/system, otherwise an
# init script /etc/init.d/docker; --no-service skips them. SERVICE_ROOT=DIR
# puts those paths (and the systemd check) below DIR.
# Existing files that are not dockbox's are kept unless --force is given.
# Every path this script creates is listed in PREFIX/share/dockbox/installed,
# and --uninstall removes exactly those.
set -eu

prefix=${PREFIX:-/usr/local}
binary=
link_mode=
force=
service=yes
action=install
service_root=${SERVICE_ROOT:-}

die() { echo "install.sh: $*" >&2; exit 1; }
say() { echo "install.sh: $*"; }

while [ $# -gt 0 ]; do
    case $1 in
        --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; prefix=$2; shift ;;
        --prefix=*) prefix=${1#--prefix=} ;;
        --binary) [ $# -ge 2 ] || die "--binary needs a path"; binary=$2; shift ;;
        --binary=*) binary=${1#--binary=} ;;
        --symlinks|-s) link_mode=-s ;;
        --force) force=--force ;;
        --no-service) service= ;;
        --uninstall) action=uninstall ;;
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option: $1" ;;
    esac
    shift
done

bindir=$prefix/bin
sharedir=$prefix/share/dockbox
manifest=$sharedir/installed
unit_dir=$service_root/etc/systemd/system
init_dir=$service_root/etc/init.d
# The first line of every service file this script writes.
service_marker="# Installed by dockbox's install.sh; install.sh --uninstall removes it."

# True when PATH is a dockbox binary or a link to one.
is_dockbox() {
    [ -f "$1" ] && [ -x "$1" ] || return 1
    case $("$1" --version 2>/dev/null | head -n 1) in
        "dockbox "*) return 0 ;;
    esac
    # An applet link answers under its own name; compare with PREFIX/bin/dockbox.
    [ -e "$bindir/dockbox" ] && [ "$1" -ef "$bindir/dockbox" ]
}

# mkdir -p that records each directory it had to create.
make_dirs() {
    missing=
    dir=$1
    while [ ! -d "$dir" ]; do
        missing="$dir $missing"
        dir=$(dirname "$dir")
    done
    for dir in $missing; do
        mkdir "$dir"
        created="$created
dir $dir"
    done
}

uninstall() {
    [ -f "$manifest" ] || die "nothing to uninstall: $manifest not found"
    # The binary goes last: the links are recognised by being the same file.
    { grep '^file ' "$manifest" | grep -v " $bindir/dockbox\$"; grep " $bindir/dockbox\$" "$manifest"; } |
    while read -r kind path; do
        if [ -L "$path" ] || [ "$path" -ef "$bindir/dockbox" ] || is_dockbox "$path"; then
            rm -f "$path" && say "removed $path"
        elif [ -e "$path" ]; then
            say "kept $path: it is no longer dockbox's"
        fi
    done
    grep '^service ' "$manifest" | while read -r kind path; do
        if is_our_service_file "$path"; then
            rm -f "$path" && say "removed $path"
        elif [ -e "$path" ]; then
            say "kept $path: it is no longer dockbox's"
        fi
    done
    if grep -q "^service $unit_dir/" "$manifest"; then reload_systemd; fi
    dirs=$(grep '^dir ' "$manifest" | sort -r || true)
    rm -f "$manifest"
    # Reverse order puts a directory's children before it.
    printf '%s\n' "$dirs" | while read -r kind path; do
        [ -n "$path" ] && rmdir "$path" 2>/dev/null && say "removed $path/"
    done
}

build_binary() {
    here=$(cd "$(dirname "$0")" && pwd)
    [ -f "$here/Cargo.toml" ] || die "no --binary given and no source tree beside install.sh"
    command -v cargo >/dev/null 2>&1 || die "no --binary given and cargo is not installed"
    say "building the release binary"
    (cd "$here" && cargo build --release --quiet) || die "cargo build failed"
    binary=$here/target/x86_64-unknown-linux-gnu/release/dockbox
}

is_our_service_file() {
    [ -f "$1" ] && [ "$(head -n 1 "$1")" = "$service_marker" ]
}

# systemd rereads its units, when it is this machine's init.
reload_systemd() {
    if [ -z "$service_root" ] && command -v systemctl >/dev/null 2>&1; then
        systemctl daemon-reload || say "systemctl daemon-reload failed"
    fi
}

# Writes standard input to PATH, unless a file that is not ours is there.
write_service_file() {
    path=$1
    mode=$2
    if [ -e "$path" ] && [ -z "$force" ] && ! is_our_service_file "$path"; then
        say "kept $path: it is not dockbox's (use --force to replace it)"
        cat >/dev/null
        return 0
    fi
    make_dirs "$(dirname "$path")"
    { echo "$service_marker"; cat; } >"$path.new"
    chmod "$mode" "$path.new"
    mv -f "$path.new" "$path"
    created="$created
service $path"
    say "installed $path"
}

# As Docker's units: socket activation, containers kept across a daemon
# restart (KillMode=process: their shims are not killed with the daemon).
systemd_units() {
    write_service_file "$unit_dir/docker.socket" 0644 <<UNIT
[Unit]
Description=Docker Socket for the API (dockbox)

[Socket]
ListenStream=/run/docker.sock
SocketMode=0660
SocketUser=root
SocketGroup=docker

[Install]
WantedBy=sockets.target
UNIT
    write_service_file "$unit_dir/docker.service" 0644 <<UNIT
[Unit]
Description=Docker Application Container Engine (dockbox)
Documentation=https://docs.docker.com
After=network-online.target docker.socket
Wants=network-online.target
Requires=docker.socket

[Service]
Type=simple
ExecStart=$bindir/dockbox dockerd -H fd://
ExecReload=/bin/kill -s HUP \$MAINPID
TimeoutStartSec=0
RestartSec=2
Restart=always
StartLimitBurst=3
StartLimitInterval=60s
LimitNOFILE=infinity
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
Delegate=yes
KillMode=process
OOMScoreAdjust=-500

[Install]
WantedBy=multi-user.target
UNIT
    reload_systemd
    say "start it with: systemctl enable --now docker.socket docker.service"
}

# For sysvinit and OpenRC (which runs LSB scripts too).
init_script() {
    write_service_file "$init_dir/docker" 0755 <<SCRIPT
#!/bin/sh
### BEGIN INIT INFO
# Provides:          docker
# Required-Start:    \$local_fs \$remote_fs
# Required-Stop:     \$local_fs \$remote_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: dockbox's Docker daemon
### END INIT INFO
dockerd=$bindir/dockbox
pidfile=/var/run/dockbox.pid
log=/var/log/dockbox-dockerd.log
DOCKER_OPTS=
[ -r /etc/default/docker ] && . /etc/default/docker
running() { [ -f "\$pidfile" ] && kill -0 "\$(cat "\$pidfile")" 2>/dev/null; }
case "\$1" in
    start)
        running && { echo "dockerd is running"; exit 0; }
        ulimit -n 1048576 2>/dev/null || true
        nohup "\$dockerd" dockerd --pidfile "\$pidfile" \$DOCKER_OPTS </dev/null >>"\$log" 2>&1 &
        echo -500 >/proc/\$!/oom_score_adj 2>/dev/null || true
        ;;
    stop)
        running || exit 0
        kill "\$(cat "\$pidfile")"
        tries=0
        while running && [ "\$tries" -lt 150 ]; do sleep 0.2; tries=\$((tries + 1)); done
        ;;
    reload|force-reload) running && kill -HUP "\$(cat "\$pidfile")" ;;
    restart) "\$0" stop; "\$0" start ;;
    status) if running; then echo "dockerd is running"; else echo "dockerd is not running"; exit 3; fi ;;
    *) echo "usage: \$0 start|stop|restart|reload|status" >&2; exit 2 ;;
esac
SCRIPT
}

install_service() {
    if [ -d "$service_root/run/systemd/system" ]; then
        systemd_units
    else
        init_script
    fi
}

install() {
    [ -n "$binary" ] || build_binary
    [ -f "$binary" ] || die "$binary: no such file"
    "$binary" --version >/dev/null 2>&1 || die "$binary does not run as dockbox"
    created=
    make_dirs "$bindir"
    target=$bindir/dockbox
    if [ -e "$target" ] && [ -z "$force" ] && ! is_dockbox "$target"; then
        die "$target exists and is not dockbox (use --force to replace it)"
    fi
    # Links made by an older dockbox point at the old inode: drop them first
    # so that the new binary sees them as its own.
    if [ -e "$target" ]; then
        for name in $("$target" --list 2>/dev/null); do
            if [ "$bindir/$name" -ef "$target" ]; then rm -f "$bindir/$name"; fi
        done
    fi
    cp "$binary" "$target.new"
    chmod 0755 "$target.new"
    mv -f "$target.new" "$target"
    created="$created
file $target"
    links=$("$target" --install $link_mode $force "$bindir") || true
    for link in $links; do
        created="$created
file $link"
    done
    [ -z "$service" ] || install_service
    make_dirs "$sharedir"
    # Keep what an earlier install recorded, so uninstall still finds it.
    {
        [ -f "$manifest" ] && cat "$manifest"
        printf '%s\n' "$created" | grep -E '^(file|dir|service) ' || true
    } | sort -u > "$manifest.new"
    mv -f "$manifest.new" "$manifest"

    say "installed $target"
    for name in $("$target" --list); do
        [ "$bindir/$name" -ef "$target" ] && say "  $bindir/$name -> dockbox"
        first=$(command -v "$name" 2>/dev/null || true)
        if [ -n "$first" ] && [ "$first" != "$bindir/$name" ] && ! [ "$first" -ef "$target" ]; then
            say "  note: $first comes first in PATH and is not dockbox"
        fi
    done
}

$action
