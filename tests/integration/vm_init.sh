#!/bin/sh
# /init of the VM test's initramfs (tests/integration/vm_initramfs.rs): a
# minimal init's mounts, dockerd, a busybox image, containers. Every check
# prints `RESULT name ok|fail detail` on the serial console; the test reads
# them. /variant sets CGROUP (v1|v2), DATA (initramfs|tmpfs), OVERLAY (0|1).
/bin/busybox --install -s /bin
export PATH=/bin HOME=/root
. /variant

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /run /tmp /var/lib/dockbox /root
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
/bin/dockbox --install -s /bin >/dev/null

if [ "$CGROUP" = v2 ]; then
    mount -t cgroup2 cgroup2 /sys/fs/cgroup
    echo +memory +pids +cpu > /sys/fs/cgroup/cgroup.subtree_control
else
    mount -t tmpfs cgroup /sys/fs/cgroup
    for controller in memory cpu pids devices freezer; do
        mkdir /sys/fs/cgroup/$controller
        mount -t cgroup -o $controller cgroup /sys/fs/cgroup/$controller
    done
fi
[ "$OVERLAY" = 1 ] && insmod /lib/modules/overlay.ko
[ "$DATA" = tmpfs ] && mount -t tmpfs tmpfs /var/lib/dockbox

result() { # name ok|fail detail
    echo "RESULT $1 $2 $(echo "$3" | tr '\n' ' ' | head -c 300)"
}
expect() { # name expected command... (its stdout; stderr in the detail)
    name=$1 expected=$2
    shift 2
    got=$("$@" 2>/run/stderr)
    if [ "$got" = "$expected" ]; then result "$name" ok ""; else
        result "$name" fail "want [$expected] got [$got] stderr [$(cat /run/stderr)]"; fi
}
wait_for() { # name expected command... (up to 60 s)
    name=$1 expected=$2
    shift 2
    tries=0
    while got=$("$@" 2>&1) && [ "$got" != "$expected" ] && [ $tries -lt 300 ]; do
        sleep 0.2
        tries=$((tries + 1))
    done
    if [ "$got" = "$expected" ]; then result "$name" ok ""; else
        result "$name" fail "want [$expected] got [$got]"; fi
}
uptime_s() { cut -d' ' -f1 /proc/uptime; }

dockerd --data-root /var/lib/dockbox >/run/dockerd.log 2>&1 &
tries=0
until docker version >/dev/null 2>&1 || [ $tries -gt 600 ]; do
    sleep 0.1
    tries=$((tries + 1))
done
echo "TIMING daemon-up $(uptime_s)"
expect load "Loaded image: busybox:latest" docker load -q -i /busybox.tar
expect run-echo "hello" docker run --rm busybox echo hello
echo "TIMING first-container $(uptime_s)"

if [ "$OVERLAY" = 1 ]; then driver=overlay2; else driver=vfs; fi
expect storage-driver "$driver" docker info --format '{{.Driver}}'
expect copy-up "changed" docker run --rm busybox sh -c 'echo changed > /etc/hostname; cat /etc/hostname'
if [ "$CGROUP" = v2 ]; then
    expect memory-limit 67108864 docker run --rm -m 64m busybox cat /sys/fs/cgroup/memory.max
else
    expect memory-limit 67108864 docker run --rm -m 64m busybox cat /sys/fs/cgroup/memory/memory.limit_in_bytes
fi

docker run -d --name bg busybox sleep 1000 >/dev/null 2>&1
expect ps "bg" docker ps --format '{{.Names}}'
expect stop "bg" docker stop -t 1 bg
expect rm "bg" docker rm bg
expect ps-empty "" docker ps -a --format '{{.Names}}'

got=$(docker run --rm --read-only busybox touch /file 2>&1)
case "$got" in
*"Read-only file system"*) result read-only ok "" ;;
*) result read-only fail "$got" ;;
esac

docker run -d --name again --restart on-failure:2 busybox sh -c 'exit 3' >/dev/null 2>&1
wait_for restart-policy "2 exited 3" docker inspect -f '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}' again
docker rm -f again >/dev/null

# Only the warnings that apply: none on v2 (every controller is there);
# the v1 layout above leaves out cpuset and blkio, which moby warns of.
expected=
if [ "$CGROUP" = v1 ]; then
    expected="WARNING: No cpuset support
WARNING: No blkio throttle.read_bps_device support
WARNING: No blkio throttle.write_bps_device support
WARNING: No blkio throttle.read_iops_device support
WARNING: No blkio throttle.write_iops_device support"
fi
warnings=$(docker info 2>&1 >/dev/null | grep -i warning)
if [ "$warnings" = "$expected" ]; then result info-warnings ok ""; else
    result info-warnings fail "$warnings"; fi

if [ "$CGROUP" = v2 ]; then
    expect v2-pids 50 docker run --rm --pids-limit 50 busybox cat /sys/fs/cgroup/pids.max
    expect v2-cpu "50000 100000" docker run --rm --cpus 0.5 busybox cat /sys/fs/cgroup/cpu.max
    # /dev/kmsg (c 1:11) is outside the default device rules; the eBPF
    # program denies its open, a --device-cgroup-rule allows it.
    kmsg='mknod /kmsg c 1 11 && echo x > /kmsg && echo written'
    got=$(docker run --rm busybox sh -c "$kmsg" 2>&1)
    case "$got" in
    *"Operation not permitted"*) result v2-devices-deny ok "" ;;
    *) result v2-devices-deny fail "$got" ;;
    esac
    expect v2-devices-allow written docker run --rm --device-cgroup-rule 'c 1:11 w' busybox sh -c "$kmsg"

    docker run -d --name frozen busybox sleep 1000 >/dev/null 2>&1
    docker pause frozen >/dev/null
    pid=$(docker inspect -f '{{.State.Pid}}' frozen)
    cgroup=$(cut -d: -f3 /proc/"$pid"/cgroup)
    expect v2-freezer "frozen 1 true" sh -c "echo \$(grep frozen /sys/fs/cgroup$cgroup/cgroup.events) \$(docker inspect -f '{{.State.Paused}}' frozen)"
    docker rm -f frozen >/dev/null

    docker run --name oom -m 16m --memory-swap 16m busybox tail /dev/zero >/dev/null 2>&1
    expect v2-oom "137 true" docker inspect -f '{{.State.ExitCode}} {{.State.OOMKilled}}' oom
    docker rm oom >/dev/null
fi

echo "TIMING done $(uptime_s)"
result done ok ""
grep -i -E 'error|warn' /run/dockerd.log | head -20 | sed 's/^/DOCKERD /'
sync
poweroff -f
