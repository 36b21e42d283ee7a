//! Facts about the host that `/info` and `/version` report, read from the
//! kernel each time they are asked for.

use std::path::Path;

/// `uname -r` and `uname -m`.
pub fn uname() -> (String, String) {
    match nix::sys::utsname::uname() {
        Ok(name) => (
            name.release().to_string_lossy().into_owned(),
            name.machine().to_string_lossy().into_owned(),
        ),
        Err(_) => (String::new(), String::new()),
    }
}

pub fn hostname() -> String {
    nix::unistd::gethostname()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The architecture in Go's spelling, as `/version` reports it.
pub fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    }
}

/// `PRETTY_NAME` and `VERSION_ID` from os-release.
pub fn operating_system() -> (String, String) {
    let text = std::fs::read_to_string("/etc/os-release")
        .or_else(|_| std::fs::read_to_string("/usr/lib/os-release"))
        .unwrap_or_default();
    let field = |key: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(key)?.strip_prefix('='))
            .map(|value| value.trim().trim_matches('"').to_string())
            .unwrap_or_default()
    };
    let pretty = field("PRETTY_NAME");
    (
        if pretty.is_empty() {
            "Linux".to_string()
        } else {
            pretty
        },
        field("VERSION_ID"),
    )
}

/// Total memory in bytes, from /proc/meminfo.
pub fn mem_total() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            let line = text.lines().find(|line| line.starts_with("MemTotal:"))?;
            let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib * 1024)
        })
        .unwrap_or(0)
}

/// CPUs this process may run on.
pub fn ncpu() -> u64 {
    std::thread::available_parallelism()
        .map(|n| n.get() as u64)
        .unwrap_or(1)
}

/// Open descriptors and threads of this process.
pub fn own_fds_and_threads() -> (u64, u64) {
    let fds = std::fs::read_dir("/proc/self/fd")
        .map(|dir| dir.count() as u64)
        .unwrap_or(0);
    let threads = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("Threads:"))
                .and_then(|n| n.trim().parse().ok())
        })
        .unwrap_or(0);
    (fds, threads)
}

/// What the cgroup hierarchy offers, as `/info` reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CgroupFacts {
    /// "1" on a v1 or hybrid host, "2" on a unified one.
    pub version: &'static str,
    pub memory_limit: bool,
    pub swap_limit: bool,
    pub kernel_memory_tcp: bool,
    pub cpu_cfs_period: bool,
    pub cpu_cfs_quota: bool,
    pub cpu_shares: bool,
    pub cpuset: bool,
    pub pids_limit: bool,
    pub oom_kill_disable: bool,
    /// Block I/O: `io.weight` on v2 (v1's weight is gone since kernel 5.0).
    pub io_weight: bool,
    pub io_weight_device: bool,
    pub io_read_bps: bool,
    pub io_write_bps: bool,
    pub io_read_iops: bool,
    pub io_write_iops: bool,
}

impl CgroupFacts {
    /// The missing features as `docker info` warns of them, in moby's
    /// words and order. Only what a user can act on: no kernel memory or
    /// oom-kill-disable warning on v2 (they do not exist there), no v1
    /// blkio weight warning (gone from the kernel). The bridge warnings
    /// wait for the bridge network.
    pub fn warnings(&self) -> Vec<String> {
        let v1 = self.version == "1";
        let io = |v2: &str, v1: &str| if self.version == "2" { v2 } else { v1 }.to_string();
        let checks = [
            (self.memory_limit, "No memory limit support".to_string()),
            (self.swap_limit, "No swap limit support".to_string()),
            (
                self.kernel_memory_tcp || !v1,
                "No kernel memory TCP limit support".to_string(),
            ),
            (
                self.oom_kill_disable || !v1,
                "No oom kill disable support".to_string(),
            ),
            (self.cpu_cfs_quota, "No cpu cfs quota support".to_string()),
            (self.cpu_cfs_period, "No cpu cfs period support".to_string()),
            (self.cpu_shares, "No cpu shares support".to_string()),
            (self.cpuset, "No cpuset support".to_string()),
            (self.io_weight || v1, "No io.weight support".to_string()),
            (
                self.io_weight_device || v1,
                "No io.weight (per device) support".to_string(),
            ),
            (
                self.io_read_bps,
                io(
                    "No io.max (rbps) support",
                    "No blkio throttle.read_bps_device support",
                ),
            ),
            (
                self.io_write_bps,
                io(
                    "No io.max (wbps) support",
                    "No blkio throttle.write_bps_device support",
                ),
            ),
            (
                self.io_read_iops,
                io(
                    "No io.max (riops) support",
                    "No blkio throttle.read_iops_device support",
                ),
            ),
            (
                self.io_write_iops,
                io(
                    "No io.max (wiops) support",
                    "No blkio throttle.write_iops_device support",
                ),
            ),
        ];
        checks
            .into_iter()
            .filter(|(supported, _)| !supported)
            .map(|(_, what)| format!("WARNING: {what}"))
            .collect()
    }
}

const CGROUP2_SUPER_MAGIC: i64 = 0x6367_7270;

pub fn cgroup_facts() -> CgroupFacts {
    let root = Path::new("/sys/fs/cgroup");
    // f_type is a long on glibc and an unsigned int on musl.
    #[allow(clippy::unnecessary_cast)]
    let unified = nix::sys::statfs::statfs(root)
        .map(|fs| fs.filesystem_type().0 as i64 == CGROUP2_SUPER_MAGIC)
        .unwrap_or(false);
    if unified {
        let controllers =
            std::fs::read_to_string(root.join("cgroup.controllers")).unwrap_or_default();
        let swap_limit = v2_swap_limit(root, &own_v2_cgroup(root));
        return v2_facts(&controllers, swap_limit);
    }
    v1_facts(root)
}

/// A unified host: a feature is there when its controller is (the
/// `controllers` of the root cgroup).
fn v2_facts(controllers: &str, swap_accounted: bool) -> CgroupFacts {
    let has = |name: &str| controllers.split_whitespace().any(|c| c == name);
    CgroupFacts {
        version: "2",
        memory_limit: has("memory"),
        swap_limit: has("memory") && swap_accounted,
        kernel_memory_tcp: false,
        cpu_cfs_period: has("cpu"),
        cpu_cfs_quota: has("cpu"),
        cpu_shares: has("cpu"),
        cpuset: has("cpuset"),
        pids_limit: has("pids"),
        oom_kill_disable: false,
        io_weight: has("io"),
        io_weight_device: has("io"),
        io_read_bps: has("io"),
        io_write_bps: has("io"),
        io_read_iops: has("io"),
        io_write_iops: has("io"),
    }
}

/// A v1 or hybrid host (`root` holds one directory per hierarchy): a
/// feature is there when its interface file is.
fn v1_facts(root: &Path) -> CgroupFacts {
    let exists = |relative: &str| root.join(relative).exists();
    CgroupFacts {
        version: "1",
        memory_limit: exists("memory/memory.limit_in_bytes"),
        swap_limit: exists("memory/memory.memsw.limit_in_bytes"),
        kernel_memory_tcp: exists("memory/memory.kmem.tcp.limit_in_bytes"),
        cpu_cfs_period: exists("cpu/cpu.cfs_period_us"),
        cpu_cfs_quota: exists("cpu/cpu.cfs_quota_us"),
        cpu_shares: exists("cpu/cpu.shares"),
        cpuset: exists("cpuset/cpuset.cpus"),
        pids_limit: exists("pids/pids.max") || exists("pids"),
        oom_kill_disable: exists("memory/memory.oom_control"),
        io_weight: exists("blkio/blkio.weight") || exists("blkio/blkio.bfq.weight"),
        io_weight_device: exists("blkio/blkio.weight_device")
            || exists("blkio/blkio.bfq.weight_device"),
        io_read_bps: exists("blkio/blkio.throttle.read_bps_device"),
        io_write_bps: exists("blkio/blkio.throttle.write_bps_device"),
        io_read_iops: exists("blkio/blkio.throttle.read_iops_device"),
        io_write_iops: exists("blkio/blkio.throttle.write_iops_device"),
    }
}

/// Whether containers can get a block I/O weight (moby's
/// `sysInfo.BlkioWeight`): CFQ's or BFQ's weight file on v1, the io
/// controller on v2.
pub fn blkio_weight_supported() -> bool {
    let root = Path::new("/sys/fs/cgroup");
    if cgroup_facts().version == "2" {
        let controllers =
            std::fs::read_to_string(root.join("cgroup.controllers")).unwrap_or_default();
        return controllers.split_whitespace().any(|c| c == "io");
    }
    ["blkio/blkio.weight", "blkio/blkio.bfq.weight"]
        .iter()
        .any(|file| root.join(file).exists())
}

/// This process's cgroup directory on a unified hierarchy.
/// memory.swap.max exists where the kernel accounts swap, except in the
/// root cgroup, which has no memory interface files at all: a daemon there
/// (the init of a minimal host) trusts the memory controller, as moby does
/// everywhere.
fn v2_swap_limit(root: &Path, own: &Path) -> bool {
    own == root || own.join("memory.swap.max").exists()
}

fn own_v2_cgroup(root: &Path) -> std::path::PathBuf {
    let own = std::fs::read_to_string("/proc/self/cgroup")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("0::"))
                .map(|path| path.trim_start_matches('/').to_string())
        })
        .unwrap_or_default();
    root.join(own)
}

/// Whether the kernel can filter syscalls (the `Seccomp:` line of
/// /proc/self/status exists only with CONFIG_SECCOMP).
pub fn seccomp_supported() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|text| text.lines().any(|line| line.starts_with("Seccomp:")))
        .unwrap_or(false)
}

/// The gid of group `name` from /etc/group (no NSS in a static binary).
pub fn group_id(name: &str) -> Option<u32> {
    let text = std::fs::read_to_string("/etc/group").ok()?;
    text.lines().find_map(|line| {
        let mut fields = line.split(':');
        if fields.next()? != name {
            return None;
        }
        fields.nth(1)?.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swap_limit_in_the_root_cgroup_follows_the_memory_controller() {
        let root = std::env::temp_dir().join(format!("dockbox-swap-{}", std::process::id()));
        let child = root.join("daemon");
        std::fs::create_dir_all(&child).unwrap();
        assert!(v2_swap_limit(&root, &root.join("")));
        assert!(!v2_swap_limit(&root, &child));
        std::fs::write(child.join("memory.swap.max"), "max\n").unwrap();
        assert!(v2_swap_limit(&root, &child));
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn v1_facts_come_from_interface_files_and_warn_in_mobys_words() {
        let root = std::env::temp_dir().join(format!("dockbox-v1facts-{}", std::process::id()));
        let files = [
            "memory/memory.limit_in_bytes",
            "memory/memory.kmem.tcp.limit_in_bytes",
            "memory/memory.oom_control",
            "cpu/cpu.cfs_period_us",
            "cpu/cpu.cfs_quota_us",
            "cpu/cpu.shares",
            "cpuset/cpuset.cpus",
            "blkio/blkio.throttle.read_bps_device",
            "blkio/blkio.throttle.write_bps_device",
            "blkio/blkio.throttle.write_iops_device",
        ];
        for file in files {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
        let facts = v1_facts(&root);
        std::fs::remove_dir_all(&root).unwrap();
        assert!(facts.kernel_memory_tcp && facts.oom_kill_disable && !facts.swap_limit);
        // No weight warning on v1: the kernel dropped it, nothing to do.
        assert_eq!(
            facts.warnings(),
            [
                "WARNING: No swap limit support",
                "WARNING: No blkio throttle.read_iops_device support",
            ]
        );
    }

    #[test]
    fn v2_facts_follow_the_controllers_and_skip_what_v2_never_has() {
        let full = v2_facts("cpuset cpu io memory hugetlb pids rdma misc", true);
        assert_eq!(full.warnings(), Vec::<String>::new());
        let bare = v2_facts("memory pids", false);
        assert_eq!(
            bare.warnings(),
            [
                "WARNING: No swap limit support",
                "WARNING: No cpu cfs quota support",
                "WARNING: No cpu cfs period support",
                "WARNING: No cpu shares support",
                "WARNING: No cpuset support",
                "WARNING: No io.weight support",
                "WARNING: No io.weight (per device) support",
                "WARNING: No io.max (rbps) support",
                "WARNING: No io.max (wbps) support",
                "WARNING: No io.max (riops) support",
                "WARNING: No io.max (wiops) support",
            ]
        );
        assert_eq!(
            v2_facts("", false).warnings()[0],
            "WARNING: No memory limit support"
        );
    }

    #[test]
    fn host_facts_are_plausible() {
        let (release, machine) = uname();
        assert!(!release.is_empty() && !machine.is_empty());
        assert!(mem_total() > 0);
        assert!(ncpu() >= 1);
        let (fds, threads) = own_fds_and_threads();
        assert!(fds >= 3 && threads >= 1);
        assert!(matches!(cgroup_facts().version, "1" | "2"));
        assert_eq!(group_id("root"), Some(0));
        assert_eq!(group_id("no-such-group-here"), None);
    }
}
