//! Runs setup_rootfs and finish_rootfs for real: a forked child unshares
//! mount, pid, uts, ipc and network namespaces, forks again so the
//! grandchild is pid 1, sets up a busybox rootfs and execs a shell script
//! whose output comes back over a pipe. Where Debian's runc is installed,
//! the same script runs under it and the shapes are compared.

use super::*;
use serde_json::{Value, json};
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

const RUNC: &str = "/usr/sbin/runc";

fn skip(test: &str, reason: &str) {
    use std::io::Write;
    // One write, so that libtest's output cannot land inside the line.
    let line = format!("skipped: {test}: {reason}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// A temp dir; on drop anything still mounted below it is detached (a
/// leak, which the tests assert against) and the tree removed.
struct Scratch(PathBuf);

impl Scratch {
    fn new(label: &str) -> Scratch {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "dockbox-rootfs-{label}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Scratch(std::fs::canonicalize(&path).unwrap())
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for mount_point in host_mounts_below(&self.0).into_iter().rev() {
            let _ = nix::mount::umount2(&mount_point, nix::mount::MntFlags::MNT_DETACH);
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn host_mounts_below(dir: &Path) -> Vec<PathBuf> {
    MountInfo::read_own()
        .unwrap()
        .entries
        .into_iter()
        .map(|entry| entry.mount_point)
        .filter(|mount_point| mount_point.starts_with(dir))
        .collect()
}

/// Held while an executable is being written and across fork(): a child
/// that inherited another test's write descriptor of its busybox would make
/// that test's execve fail with ETXTBSY.
static FORK_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A busybox rootfs as the integration harness builds it.
fn busybox_rootfs(path: &Path) -> Option<PathBuf> {
    let _writing = FORK_LOCK
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let busybox = Path::new("/bin/busybox");
    if !busybox.is_file() {
        return None;
    }
    for dir in [
        "bin", "sbin", "usr/bin", "usr/sbin", "etc", "dev", "proc", "sys", "root", "tmp",
    ] {
        std::fs::create_dir_all(path.join(dir)).unwrap();
    }
    std::fs::set_permissions(path.join("tmp"), std::fs::Permissions::from_mode(0o1777)).unwrap();
    let binary = path.join("bin/busybox");
    std::fs::copy(busybox, &binary).unwrap();
    let listing = Command::new(busybox).arg("--list-full").output().unwrap();
    for relative in String::from_utf8_lossy(&listing.stdout).lines() {
        let link = path.join(relative.trim_start_matches('/'));
        if link != binary && !link.exists() {
            std::fs::hard_link(&binary, &link).unwrap();
        }
    }
    std::fs::write(path.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n").unwrap();
    std::fs::write(path.join("etc/group"), "root:x:0:\ntty:x:5:\n").unwrap();
    Some(path.to_path_buf())
}

/// The config `runc spec` writes, running `sh -c script`.
fn default_spec(script: &str) -> Value {
    let caps = json!(["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]);
    json!({
        "ociVersion": "1.0.2-dev",
        "process": {
            "terminal": false, "user": {"uid": 0, "gid": 0},
            "args": ["sh", "-c", script],
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "cwd": "/",
            "capabilities": {"bounding": caps, "effective": caps, "permitted": caps, "ambient": caps},
            "noNewPrivileges": true
        },
        "root": {"path": "rootfs", "readonly": true},
        "hostname": "runc",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
             "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
             "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}
        ],
        "linux": {
            "resources": {"devices": [{"allow": false, "access": "rwm"}]},
            "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"},
                           {"type": "uts"}, {"type": "mount"}],
            "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
        }
    })
}

struct Outcome {
    status: i32,
    output: String,
}

/// The launcher's part in miniature: namespaces, pid 1, setup_rootfs,
/// finish_rootfs, exec. stdout and stderr of the script come back together.
fn run_in_container(
    spec: &Value,
    rootfs: &Path,
    no_pivot: bool,
    console: Option<&Path>,
    script: &str,
) -> Outcome {
    let launch = Launch {
        no_pivot,
        console,
        ..Launch::default()
    };
    run_with(spec, rootfs, &launch, script)
}

/// How the driver starts the container, beyond the plain case.
#[derive(Default)]
struct Launch<'a> {
    no_pivot: bool,
    console: Option<&'a Path>,
    /// Runs in the child, still in the host namespaces, before unshare:
    /// (a mount namespace of its own is already made for it).
    prelude: Option<&'a dyn Fn() -> std::io::Result<()>>,
    /// Unshare a user namespace first, mapping root to root, so that the
    /// mounts copied from the host become locked as for a rootless runc.
    user_namespace: bool,
    /// Given to setup_rootfs_with.
    before_pivot: Option<fn() -> std::result::Result<(), BoxedError>>,
    /// Runs in the container's init after setup_rootfs.
    after_setup: Option<&'a dyn Fn() -> Result<()>>,
}

fn run_with(spec: &Value, rootfs: &Path, launch: &Launch, script: &str) -> Outcome {
    let (no_pivot, console) = (launch.no_pivot, launch.console);
    let cgroup_namespace = spec["linux"]["namespaces"]
        .as_array()
        .is_some_and(|all| all.iter().any(|ns| ns["type"] == "cgroup"));
    let spec: Spec = serde_json::from_value(spec.clone()).expect("valid spec");
    let mut fds = [0; 2];
    // SAFETY: fds has room for two descriptors.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    let (read_end, write_end) = (fds[0], fds[1]);
    let shell = [
        c"sh".to_owned(),
        c"-c".to_owned(),
        CString::new(script).unwrap(),
    ];
    let env = [c"PATH=/usr/sbin:/usr/bin:/sbin:/bin".to_owned()];
    let pid = {
        let _forking = FORK_LOCK
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // SAFETY: the child only makes syscalls and calls the code under
        // test (glibc's fork makes malloc usable in the child), then exits
        // or execs.
        unsafe { libc::fork() }
    };
    assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
    if pid == 0 {
        // SAFETY: plain syscalls on descriptors this process owns.
        unsafe {
            libc::dup2(write_end, 1);
            libc::dup2(write_end, 2);
            let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY);
            libc::dup2(null, 0);
            // Nothing of the other test threads stays open in here.
            libc::syscall(libc::SYS_close_range, 3, u32::MAX, 0);
            if let Some(prelude) = launch.prelude {
                if libc::unshare(libc::CLONE_NEWNS) != 0 {
                    child_fail(&format!("unshare: {}", std::io::Error::last_os_error()));
                }
                if let Err(error) = prelude() {
                    child_fail(&format!("prelude: {error}"));
                }
            }
            if launch.user_namespace {
                enter_root_user_namespace();
            }
            let mut flags = libc::CLONE_NEWNS
                | libc::CLONE_NEWPID
                | libc::CLONE_NEWUTS
                | libc::CLONE_NEWIPC
                | libc::CLONE_NEWNET;
            if cgroup_namespace {
                flags |= libc::CLONE_NEWCGROUP;
            }
            if libc::unshare(flags) != 0 {
                child_fail(&format!("unshare: {}", std::io::Error::last_os_error()));
            }
            let init = libc::fork();
            if init == 0 {
                let setup = RootfsSetup {
                    spec: &spec,
                    rootfs,
                    no_pivot,
                    mount_namespace: true,
                    console,
                    bind_sources: None,
                };
                let result = match launch.before_pivot {
                    Some(step) => setup_rootfs_with(&setup, step),
                    None => setup_rootfs_with(&setup, || Ok(())),
                };
                if let Err(error) = result {
                    child_fail(&format!("setup_rootfs: {error}"));
                }
                if let Some(after_setup) = launch.after_setup
                    && let Err(error) = after_setup()
                {
                    child_fail(&format!("after setup_rootfs: {error}"));
                }
                if let Err(error) = finish_rootfs(&spec) {
                    child_fail(&format!("finish_rootfs: {error}"));
                }
                let argv: Vec<*const libc::c_char> = shell
                    .iter()
                    .map(|a| a.as_ptr())
                    .chain([std::ptr::null()])
                    .collect();
                let envp = [env[0].as_ptr(), std::ptr::null()];
                libc::execve(c"/bin/sh".as_ptr(), argv.as_ptr(), envp.as_ptr());
                child_fail(&format!("execve: {}", std::io::Error::last_os_error()));
            }
            let mut status = 0;
            libc::waitpid(init, &mut status, 0);
            let code = if libc::WIFEXITED(status) {
                libc::WEXITSTATUS(status)
            } else {
                128 + libc::WTERMSIG(status)
            };
            libc::_exit(code);
        }
    }
    // SAFETY: the parent's copy of the write end is ours to close.
    unsafe { libc::close(write_end) };
    // SAFETY: read_end is an open descriptor that we own from here on.
    let mut reader = unsafe { std::fs::File::from_raw_fd(read_end) };
    let mut output = String::new();
    let _ = reader.read_to_string(&mut output);
    let mut status = 0;
    // SAFETY: pid is our child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    Outcome {
        status: if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            128 + libc::WTERMSIG(status)
        },
        output,
    }
}

/// unshare(CLONE_NEWUSER) and map uid and gid 0 to themselves, which a
/// process may do for its own ids.
fn enter_root_user_namespace() {
    // SAFETY: unshare has no memory-safety preconditions.
    if unsafe { libc::unshare(libc::CLONE_NEWUSER) } != 0 {
        child_fail(&format!(
            "unshare user: {}",
            std::io::Error::last_os_error()
        ));
    }
    for (file, content) in [
        ("/proc/self/uid_map", "0 0 1\n"),
        ("/proc/self/setgroups", "deny\n"),
        ("/proc/self/gid_map", "0 0 1\n"),
    ] {
        if let Err(error) = std::fs::write(file, content) {
            child_fail(&format!("write {file}: {error}"));
        }
    }
}

fn child_fail(message: &str) -> ! {
    let line = format!("{message}\n");
    // SAFETY: writes a buffer we own to stderr, then exits without unwinding.
    unsafe {
        libc::write(2, line.as_ptr().cast(), line.len());
        libc::_exit(120)
    }
}

/// Runs `script` under Debian's runc on a bundle of `rootfs`'s twin, with
/// runc's default spec edited by `edit`. None (after saying why) when runc
/// is missing. The container's cgroup is relative, so below our own.
fn run_under_runc(
    test: &str,
    script: &str,
    run_flags: &[&str],
    edit: impl FnOnce(&mut Value),
) -> Option<String> {
    if !Path::new(RUNC).is_file() {
        skip(test, "Debian's runc is not installed at /usr/sbin/runc");
        return None;
    }
    let scratch = Scratch::new("runc");
    busybox_rootfs(&scratch.path().join("bundle/rootfs"))?;
    let mut spec = default_spec(script);
    let id = scratch
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    spec["linux"]["cgroupsPath"] = json!(id.clone());
    edit(&mut spec);
    std::fs::write(
        scratch.path().join("bundle/config.json"),
        serde_json::to_vec_pretty(&spec).unwrap(),
    )
    .unwrap();
    let output = Command::new(RUNC)
        .arg("--root")
        .arg(scratch.path().join("state"))
        .arg("run")
        .args(run_flags)
        .arg("--bundle")
        .arg(scratch.path().join("bundle"))
        .arg(&id)
        .stdin(Stdio::null())
        .output()
        .expect("run runc");
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "runc failed: {text}");
    Some(text)
}

/// `ls -l` lines without sizes and dates: type and mode, owner, group,
/// device numbers, name and link target.
fn listing_shape(text: &str) -> Vec<String> {
    text.lines()
        .filter(|line| !line.starts_with("total"))
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let is_device = line.starts_with('c') || line.starts_with('b');
            let name_at = if is_device { 9 } else { 8 };
            let mut shape = vec![fields[0], fields[2], fields[3]];
            if is_device {
                shape.extend(&fields[4..6]);
            }
            shape.extend(&fields[name_at..]);
            shape.join(" ")
        })
        .collect()
}

/// mountinfo without ids and roots: mount point, per-mount options, type.
fn mountinfo_shape(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let (before, after) = line.split_once(" - ")?;
            let fields: Vec<&str> = before.split(' ').collect();
            let fs_type = after.split(' ').next()?;
            Some(format!("{} {} {fs_type}", fields.get(4)?, fields.get(5)?))
        })
        .collect()
}

fn section<'a>(output: &'a str, name: &str) -> &'a str {
    let start = format!("=={name}==\n");
    let from = output
        .find(&start)
        .unwrap_or_else(|| panic!("no section {name} in:\n{output}"))
        + start.len();
    let rest = &output[from..];
    let end = if rest.starts_with("==") {
        0
    } else {
        rest.find("\n==").map_or(rest.len(), |end| end + 1)
    };
    &rest[..end]
}

const SHAPE_SCRIPT: &str = "echo ==dev==; ls -l /dev; echo ==mountinfo==; cat /proc/self/mountinfo; \
     echo ==timer_list==; cat /proc/timer_list; echo ==firmware==; ls -A /sys/firmware; \
     echo ==checks==; \
     touch /newfile 2>/dev/null && echo root-writable || echo root-readonly; \
     echo x 2>/dev/null > /proc/sys/kernel/hostname && echo procsys-writable || echo procsys-readonly; \
     touch /dev/newnode && echo dev-writable || echo dev-readonly; \
     touch /sys/fs/cgroup/pids/x 2>/dev/null && echo cgroup-writable || echo cgroup-readonly; \
     echo hello > /dev/null && echo null-ok; head -c 4 /dev/zero | wc -c; \
     echo pid=$$; echo ==end==";

#[test]
fn rootfs_default_spec_matches_runc_shape() {
    if !is_root() {
        return skip("rootfs_default_spec_matches_runc_shape", "needs root");
    }
    let before = MountInfo::read_own().unwrap().entries;
    let scratch = Scratch::new("default");
    let Some(rootfs) = busybox_rootfs(&scratch.path().join("rootfs")) else {
        return skip("rootfs_default_spec", "busybox-static is not installed");
    };
    let outcome = run_in_container(
        &default_spec(SHAPE_SCRIPT),
        &rootfs,
        false,
        None,
        SHAPE_SCRIPT,
    );
    let output = &outcome.output;
    assert_eq!(outcome.status, 0, "{output}");

    let dev = listing_shape(section(output, "dev"));
    for expected in [
        "crw-rw-rw- root root 1, 3 null",
        "crw-rw-rw- root root 1, 5 zero",
        "crw-rw-rw- root root 1, 7 full",
        "crw-rw-rw- root root 1, 8 random",
        "crw-rw-rw- root root 1, 9 urandom",
        "crw-rw-rw- root root 5, 0 tty",
        "lrwxrwxrwx root root ptmx -> pts/ptmx",
        "lrwxrwxrwx root root fd -> /proc/self/fd",
        "lrwxrwxrwx root root stdin -> /proc/self/fd/0",
        "lrwxrwxrwx root root stdout -> /proc/self/fd/1",
        "lrwxrwxrwx root root stderr -> /proc/self/fd/2",
        "drwxrwxrwt root root shm",
        "drwxrwxrwt root root mqueue",
        "drwxr-xr-x root root pts",
    ] {
        assert!(
            dev.iter().any(|line| line == expected),
            "no {expected:?} in {dev:#?}"
        );
    }
    assert_eq!(section(output, "timer_list"), "", "masked file not empty");
    assert_eq!(section(output, "firmware"), "", "masked dir not empty");
    let checks = section(output, "checks");
    for expected in [
        "root-readonly",
        "procsys-readonly",
        "dev-writable",
        "cgroup-readonly",
        "null-ok",
        "4",
        "pid=1",
    ] {
        assert!(
            checks.lines().any(|l| l == expected),
            "no {expected} in {checks}"
        );
    }
    let mounts = mountinfo_shape(section(output, "mountinfo"));
    assert!(
        mounts[0].starts_with("/ ro,"),
        "root not read-only: {mounts:#?}"
    );
    assert!(
        mounts
            .iter()
            .all(|m| !m.contains(scratch.path().to_str().unwrap()))
    );

    // Nothing reached the host's mount table.
    assert_eq!(host_mounts_below(scratch.path()), Vec::<PathBuf>::new());
    let after = MountInfo::read_own().unwrap().entries;
    let leaked: Vec<_> = after.iter().filter(|e| !before.contains(e)).collect();
    assert!(
        leaked
            .iter()
            .all(|e| !matches!(e.fs_type.as_str(), "proc" | "sysfs" | "devpts" | "mqueue")),
        "new host mounts: {leaked:#?}"
    );

    let test = "rootfs_default_spec_matches_runc_shape";
    let Some(reference) = run_under_runc(test, SHAPE_SCRIPT, &[], |_| {}) else {
        return;
    };
    let ours = listing_shape(section(output, "dev"));
    let theirs = listing_shape(section(&reference, "dev"));
    assert_eq!(ours, theirs, "/dev differs from runc's");
    let ours = mountinfo_shape(section(output, "mountinfo"));
    let theirs = mountinfo_shape(section(&reference, "mountinfo"));
    assert_eq!(ours, theirs, "mountinfo shape differs from runc's");
    assert_eq!(checks, section(&reference, "checks"));
}

/// A scratch dir with a busybox rootfs in `rootfs/`, or None after saying
/// why the test cannot run.
fn prepare(test: &str) -> Option<(Scratch, PathBuf)> {
    if !is_root() {
        skip(test, "needs root");
        return None;
    }
    let scratch = Scratch::new(test.trim_start_matches("rootfs_"));
    let Some(rootfs) = busybox_rootfs(&scratch.path().join("rootfs")) else {
        skip(test, "busybox-static is not installed");
        return None;
    };
    Some((scratch, rootfs))
}

fn push_mounts(spec: &mut Value, mounts: Value) {
    let list = spec["mounts"].as_array_mut().unwrap();
    list.extend(mounts.as_array().unwrap().iter().cloned());
}

fn assert_nothing_mounted_below(scratch: &Scratch) {
    assert_eq!(host_mounts_below(scratch.path()), Vec::<PathBuf>::new());
}

#[test]
fn rootfs_symlink_escape_stays_inside() {
    let Some((scratch, rootfs)) = prepare("rootfs_symlink_escape") else {
        return;
    };
    let outside = scratch.path().join("outside");
    let payload = scratch.path().join("payload");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::create_dir_all(&payload).unwrap();
    std::fs::write(payload.join("secret"), "payload\n").unwrap();
    std::fs::remove_dir_all(rootfs.join("etc")).unwrap();
    std::os::unix::fs::symlink(&outside, rootfs.join("etc")).unwrap();
    let escape_name = format!("dockbox-escape-test-{}", std::process::id());
    std::os::unix::fs::symlink("../../../../../../..", rootfs.join("up")).unwrap();

    let script = "cat /etc/evil/secret; cat /etc/file; ls -A /etc/scratch; readlink /etc; \
                  ls -d /up/ESCAPE && echo up-inside; grep -c ' /up\\| /tmp' /proc/self/mountinfo";
    let script = script.replace("ESCAPE", &escape_name);
    let mut spec = default_spec(&script);
    push_mounts(
        &mut spec,
        json!([
            {"destination": "/etc/evil", "type": "bind", "source": payload, "options": ["rbind", "ro"]},
            {"destination": "/etc/file", "type": "bind", "source": payload.join("secret"), "options": ["bind"]},
            {"destination": "/etc/scratch", "type": "tmpfs", "source": "tmpfs"},
            {"destination": format!("/up/{escape_name}"), "type": "tmpfs", "source": "tmpfs"}
        ]),
    );
    let outcome = run_in_container(&spec, &rootfs, false, None, &script);
    assert_eq!(outcome.status, 0, "{}", outcome.output);
    let lines: Vec<&str> = outcome.output.lines().collect();
    assert_eq!(lines[0], "payload", "{}", outcome.output);
    assert_eq!(lines[1], "payload", "{}", outcome.output);
    assert_eq!(lines[2], outside.to_str().unwrap(), "{}", outcome.output);
    assert!(outcome.output.contains("up-inside"), "{}", outcome.output);

    // The host side of the symlinks is untouched: the targets were made
    // inside the rootfs instead, and nothing is mounted on the host.
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
    assert!(!Path::new("/").join(&escape_name).exists());
    let twin = rootfs.join(outside.strip_prefix("/").unwrap());
    assert!(twin.join("evil").is_dir() && twin.join("file").is_file());
    assert!(rootfs.join(&escape_name).is_dir());
    assert_nothing_mounted_below(&scratch);
}

#[test]
fn rootfs_no_pivot_moves_and_chroots() {
    let test = "rootfs_no_pivot_moves_and_chroots";
    let Some((scratch, rootfs)) = prepare(test) else {
        return;
    };
    let script = "echo ==mountinfo==; cat /proc/self/mountinfo; echo ==checks==; \
                  touch /x 2>/dev/null || echo root-readonly; ls /bin/busybox; echo ==end==";
    let outcome = run_in_container(&default_spec(script), &rootfs, true, None, script);
    assert_eq!(outcome.status, 0, "{}", outcome.output);
    assert_eq!(
        section(&outcome.output, "checks"),
        "root-readonly\n/bin/busybox\n"
    );
    let ours = mountinfo_shape(section(&outcome.output, "mountinfo"));
    assert!(ours[0].starts_with("/ ro,"), "{ours:#?}");
    assert_nothing_mounted_below(&scratch);
    let Some(reference) = run_under_runc(test, script, &["--no-pivot"], |_| {}) else {
        return;
    };
    let theirs = mountinfo_shape(section(&reference, "mountinfo"));
    assert_eq!(ours, theirs);
}

#[test]
fn rootfs_bind_and_tmpfs_options_apply() {
    let test = "rootfs_bind_and_tmpfs_options_apply";
    let Some((scratch, rootfs)) = prepare(test) else {
        return;
    };
    let source = scratch.path().join("source");
    std::fs::create_dir_all(source.join("sub")).unwrap();
    std::fs::write(source.join("file"), "from host\n").unwrap();
    let mounts = json!([
        {"destination": "/mnt/ro", "type": "bind", "source": source,
         "options": ["rbind", "ro", "nosuid", "nodev", "noexec", "rprivate"]},
        {"destination": "/mnt/rw", "type": "none", "source": source,
         "options": ["bind", "noatime", "rshared"]},
        {"destination": "/mnt/rro", "type": "bind", "source": source, "options": ["rbind", "rro"]},
        {"destination": "/mnt/file", "type": "bind", "source": source.join("file"),
         "options": ["bind", "ro"]},
        {"destination": "/mnt/tmp", "type": "tmpfs", "source": "tmpfs",
         "options": ["mode=1777", "size=1m", "noexec", "nosuid", "strictatime"]},
        {"destination": "/etc", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup", "ro"]}
    ]);
    let script = "echo ==mountinfo==; grep ' /mnt\\| /etc' /proc/self/mountinfo; echo ==checks==; \
                  touch /mnt/ro/x 2>/dev/null || echo ro-refused; \
                  touch /mnt/rro/x 2>/dev/null || echo rro-refused; \
                  touch /mnt/rw/x && echo rw-written; rm /mnt/rw/x; \
                  cat /mnt/file; ls -ld /mnt/tmp | cut -c1-10; head -n 1 /etc/passwd; \
                  touch /etc/x 2>/dev/null || echo etc-readonly; echo ==end==";
    let mut spec = default_spec(script);
    push_mounts(&mut spec, mounts.clone());
    let outcome = run_in_container(&spec, &rootfs, false, None, script);
    assert_eq!(outcome.status, 0, "{}", outcome.output);
    assert_eq!(
        section(&outcome.output, "checks"),
        "ro-refused\nrro-refused\nrw-written\nfrom host\ndrwxrwxrwt\n\
         root:x:0:0:root:/root:/bin/sh\netc-readonly\n"
    );
    let info = section(&outcome.output, "mountinfo");
    let line_of = |mount_point: &str| {
        info.lines()
            .find(|l| l.split(' ').nth(4) == Some(mount_point))
            .unwrap_or_else(|| panic!("no {mount_point} in {info}"))
    };
    assert!(line_of("/mnt/ro").contains(" ro,nosuid,nodev,noexec,"));
    assert!(line_of("/mnt/rw").contains(" rw,noatime shared:"), "{info}");
    assert!(line_of("/mnt/rro").contains(" ro,"));
    assert!(line_of("/mnt/file").contains(" ro,"));
    assert!(
        line_of("/mnt/tmp").contains(" rw,nosuid,noexec - tmpfs tmpfs rw,size=1024k"),
        "{info}"
    );
    assert!(line_of("/etc").contains(" ro,") && line_of("/etc").contains(" - tmpfs "));
    assert_eq!(std::fs::read_dir(&source).unwrap().count(), 2);
    assert_nothing_mounted_below(&scratch);

    let Some(reference) = run_under_runc(test, script, &[], |spec| push_mounts(spec, mounts))
    else {
        return;
    };
    assert_eq!(
        mountinfo_shape(info),
        mountinfo_shape(section(&reference, "mountinfo"))
    );
    assert_eq!(
        section(&outcome.output, "checks"),
        section(&reference, "checks")
    );
}

#[path = "rootfs_tests_devices.rs"]
mod devices_and_propagation;
