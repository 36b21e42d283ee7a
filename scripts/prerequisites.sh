#!/bin/sh
# Debian packages dockbox needs. Idempotent; needs root to install.
#
#   sh scripts/prerequisites.sh user   what a user of dockbox needs (setup.sh)
#   sh scripts/prerequisites.sh test   that, plus what only the tests use (test.sh)
#
# user:
#   gcc, libc6-dev   the linker and glibc's static libraries for the
#                    static-pie build (cargo itself comes from rustup)
#   busybox-static   the first image, made offline from /bin/busybox
# test only:
#   runc             Debian's runc 1.1.5, to compare our runtime against
#   docker.io        dockerd 20.10 and containerd 1.6, for drop-in tests
#   docker-registry  a real registry on 127.0.0.1
#   skopeo           a second registry client, for interoperability (#14)
#   docker-compose   compose files against our daemon (#15)
#   util-linux, iproute2, procps, tmux, file, binutils: unshare/setpriv, ip, ps
#   (docker top), pty tests, checks, strip (bench/size.sh)
#   openssl, curl, zstd: the registry tests' CA and token keys, raw
#   POST /build streams, zstd layers (#14, #18)
#   qemu-system-x86, linux-image-amd64: the VM test boots Debian's kernel
#   with an initramfs of busybox and dockbox (tests/integration/vm_initramfs.rs)
set -eu
user_packages="gcc libc6-dev busybox-static"
test_packages="runc docker.io docker-registry skopeo docker-compose util-linux iproute2 procps tmux file binutils openssl curl zstd qemu-system-x86 linux-image-amd64"
case ${1:-} in
    user) packages=$user_packages ;;
    test) packages="$user_packages $test_packages" ;;
    *) echo "usage: prerequisites.sh user|test" >&2; exit 2 ;;
esac
missing=
for package in $packages; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' ||
        missing="$missing $package"
done
if [ -n "$missing" ]; then
    [ "$(id -u)" = 0 ] || { echo "prerequisites.sh: run as root to install:$missing" >&2; exit 1; }
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # policy-rc.d keeps the packages' services (dockerd, containerd, the
    # registry) from starting: tests start their own, on temp sockets.
    policy=/usr/sbin/policy-rc.d
    restore_policy=
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' > "$policy"
        chmod +x "$policy"
        restore_policy=yes
    fi
    apt-get install -y -qq --no-install-recommends $missing
    [ -z "$restore_policy" ] || rm -f "$policy"
fi
