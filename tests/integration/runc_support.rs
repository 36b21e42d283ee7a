//! What the runc tests share: our runc and Debian's side by side, each with
//! its own temporary --root, busybox bundles, and guards that delete every
//! container a test made.

use crate::harness::busybox::Bundle;
use crate::harness::{self, TempDir, stderr_of, stdout_of};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const DEBIAN_RUNC: &str = "/usr/sbin/runc";

/// One OCI runtime binary with a state root of its own.
pub struct Runtime {
    pub name: &'static str,
    pub exe: PathBuf,
    pub root: TempDir,
    _link_dir: Option<TempDir>,
    /// Every init pid `state` showed: reaped on drop, so that no zombie
    /// outlives the test (we are their subreaper).
    seen_pids: std::sync::Mutex<Vec<i32>>,
}

impl Drop for Runtime {
    fn drop(&mut self) {
        for pid in self.seen_pids.lock().unwrap().drain(..) {
            // Only the dead: a live process (a bug elsewhere) would block us.
            if !alive(pid) {
                let mut status = 0;
                // SAFETY: waitpid for one pid, without blocking.
                unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
            }
        }
    }
}

impl Runtime {
    /// dockbox, called as `runc` through a symlink.
    pub fn ours() -> Runtime {
        become_subreaper();
        let link_dir = TempDir::new("runc-bin");
        let exe = link_dir.join("runc");
        std::os::unix::fs::symlink(harness::dockbox(), &exe).expect("symlink runc");
        Runtime {
            name: "dockbox",
            exe,
            root: TempDir::new("runc-root"),
            _link_dir: Some(link_dir),
            seen_pids: Default::default(),
        }
    }

    /// Debian's runc, or why it cannot run.
    pub fn debian() -> Result<Runtime, String> {
        if !Path::new(DEBIAN_RUNC).is_file() {
            return Err(format!("{DEBIAN_RUNC} is not installed"));
        }
        become_subreaper();
        Ok(Runtime {
            name: "runc",
            exe: PathBuf::from(DEBIAN_RUNC),
            root: TempDir::new("debian-runc-root"),
            _link_dir: None,
            seen_pids: Default::default(),
        })
    }

    /// A private copy of `binary`, run as `runc`: a test that lets a
    /// container try to overwrite the runtime's executable aims at this
    /// copy, which no other test is running (so no ETXTBSY hides a write).
    pub fn from_copy(name: &'static str, binary: &Path) -> Runtime {
        become_subreaper();
        let copy_dir = TempDir::new("runc-copy");
        let exe = copy_dir.join("runc");
        std::fs::copy(binary, &exe)
            .unwrap_or_else(|e| panic!("copy {} to {}: {e}", binary.display(), exe.display()));
        Runtime {
            name,
            exe,
            root: TempDir::new("runc-copy-root"),
            _link_dir: Some(copy_dir),
            seen_pids: Default::default(),
        }
    }

    /// `runc --root ROOT args...`, not yet run.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.exe);
        command.arg("--root").arg(self.root.path()).args(args);
        command
    }

    /// Runs to completion with stdout and stderr in files: a detached
    /// init inherits them, so pipes would never see end-of-file.
    pub fn run(&self, args: &[&str]) -> Output {
        output_via_files(&mut self.command(args))
    }

    /// Runs and fails the test unless the command succeeds.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "{} {args:?} failed: {}",
            self.name,
            stderr_of(&output)
        );
        stdout_of(&output)
    }

    pub fn state(&self, id: &str) -> serde_json::Value {
        let state: serde_json::Value =
            serde_json::from_str(&self.ok(&["state", id])).expect("state prints JSON");
        if let Some(pid) = state["pid"].as_i64().filter(|pid| *pid > 0) {
            self.seen_pids.lock().unwrap().push(pid as i32);
        }
        state
    }

    pub fn status(&self, id: &str) -> String {
        self.state(id)["status"].as_str().unwrap_or("").to_string()
    }

    /// Deletes `id` (forcibly) when the guard drops, even after a panic.
    pub fn guard<'a>(&'a self, id: &str) -> ContainerGuard<'a> {
        ContainerGuard {
            runtime: self,
            id: id.to_string(),
        }
    }
}

pub struct ContainerGuard<'a> {
    runtime: &'a Runtime,
    id: String,
}

impl Drop for ContainerGuard<'_> {
    fn drop(&mut self) {
        let pid = self
            .runtime
            .run(&["state", &self.id])
            .status
            .success()
            .then(|| self.runtime.state(&self.id)["pid"].as_i64())
            .flatten()
            .unwrap_or(0);
        let _ = self.runtime.run(&["delete", "--force", &self.id]);
        reap(pid as i32);
    }
}

/// Detached inits outlive the runtime command that made them; as a
/// subreaper the test process inherits them and can reap them, instead of
/// leaving zombies to a host init that may not reap.
fn become_subreaper() {
    // SAFETY: prctl with integer arguments.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
}

/// Reaps `pid` if it is (by now) our child; returns at once otherwise,
/// and gives up after 10 s: a container's init cannot finish exiting while
/// another process of its pid namespace is a zombie that only we could
/// reap (a failed `exec` reparented to the test process), and a blocking
/// wait there hung the whole run.
pub fn reap(pid: i32) {
    if pid <= 0 {
        return;
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let mut status = 0;
        // SAFETY: waitpid for one specific pid; status is writable.
        let got = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if got != 0 || std::time::Instant::now() >= deadline {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Whether `pid` still runs (a zombie does not count).
pub fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            let state = stat.rsplit_once(") ").map(|(_, rest)| rest.as_bytes()[0]);
            !matches!(state, Some(b'Z') | Some(b'X'))
        })
        .unwrap_or(false)
}

/// A busybox bundle running `args`, or None after reporting the skip. Its
/// cgroupsPath lies below this test process's own cgroups, so that Debian's
/// runc (and ours, once it makes cgroups) never creates one elsewhere.
pub fn bundle(dir: &TempDir, args: &[&str]) -> Option<Bundle> {
    let cgroup = match cgroup_below_own(dir) {
        Ok(path) => path,
        Err(reason) => {
            harness::report_skip("runc", &reason);
            return None;
        }
    };
    match Bundle::build(&dir.join("bundle"), args) {
        Ok(bundle) => {
            bundle.edit_config(|spec| spec["linux"]["cgroupsPath"] = cgroup.into());
            Some(bundle)
        }
        Err(reason) => {
            harness::report_skip("runc", &reason);
            None
        }
    }
}

/// A fresh cgroup path (relative to each hierarchy's root) that lies below
/// our own cgroup in every hierarchy: the deepest own path, when every
/// other own path is a prefix of it.
pub fn cgroup_below_own(dir: &TempDir) -> Result<String, String> {
    let text = std::fs::read_to_string("/proc/self/cgroup").map_err(|e| e.to_string())?;
    let own: Vec<&str> = text
        .lines()
        .filter_map(|line| line.splitn(3, ':').nth(2))
        .collect();
    let deepest = own
        .iter()
        .max_by_key(|path| path.len())
        .copied()
        .unwrap_or("/");
    if !own.iter().all(|path| Path::new(deepest).starts_with(path)) {
        return Err(format!("own cgroups are not nested: {own:?}"));
    }
    let unique = dir
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    Ok(Path::new(deepest).join(unique).display().to_string())
}

/// Like `Command::output`, but through temp files instead of pipes.
pub fn output_via_files(command: &mut Command) -> Output {
    let dir = TempDir::new("runc-out");
    let stdout_path = dir.join("stdout");
    let stderr_path = dir.join("stderr");
    let status = command
        .stdin(std::process::Stdio::null())
        .stdout(std::fs::File::create(&stdout_path).unwrap())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .status()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    Output {
        status,
        stdout: std::fs::read(&stdout_path).unwrap(),
        stderr: std::fs::read(&stderr_path).unwrap(),
    }
}

/// Skips the test (with a visible reason) unless we are root and busybox
/// is there; gives a bundle running `args`.
#[macro_export]
macro_rules! runc_bundle {
    ($dir:expr, $args:expr) => {{
        $crate::require!($crate::harness::need_root());
        match $crate::runc_support::bundle(&$dir, $args) {
            Some(bundle) => bundle,
            None => return,
        }
    }};
}
