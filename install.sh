#!/bin/sh
# Installs dockbox: PREFIX/bin/dockbox plus one link per applet.
# Needs only a POSIX sh, coreutils and the binary (or cargo to build it).
#
#   ./install.sh [--prefix DIR] [--binary PATH] [--symlinks] [--force]
#   ./install.sh [--prefix DIR] --uninstall
#
# Existing files that are not dockbox's are kept unless --force is given.
# Every path this script creates is listed in PREFIX/share/dockbox/installed,
# and --uninstall removes exactly those.
set -eu

prefix=${PREFIX:-/usr/local}
binary=
link_mode=
force=
action=install

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
        --uninstall) action=uninstall ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option: $1" ;;
    esac
    shift
done

bindir=$prefix/bin
sharedir=$prefix/share/dockbox
manifest=$sharedir/installed

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
    make_dirs "$sharedir"
    # Keep what an earlier install recorded, so uninstall still finds it.
    {
        [ -f "$manifest" ] && cat "$manifest"
        printf '%s\n' "$created" | grep -E '^(file|dir) ' || true
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
