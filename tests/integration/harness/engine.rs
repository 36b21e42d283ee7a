//! Debian's Docker engine (dockerd 20.10 on containerd 1.6) started on temp
//! roots, for the drop-in tests that run containers through a runtime of
//! our choosing.
//!
//! Both daemons share one fresh network namespace (only `lo`, up) and one
//! private mount namespace with a tmpfs on /run: containerd's shims put
//! their sockets below the hard-coded /run/containerd/s, and the overlay and
//! netns mounts dockerd makes stay out of the host's mount table and vanish
//! with the namespace. Everything else (data, exec and state roots, the
//! sockets, the trust key) lives in the engine's temp dir. Containers go in
//! a cgroup below the test's own ([`CgroupParent`]). Teardown removes the
//! containers, stops dockerd and containerd, and kills by pid whatever is
//! left in the mount namespace or the cgroups.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::cgroup_parent::CgroupParent;
use super::{ProcessGuard, TempDir};

pub const DOCKERD: &str = "/usr/sbin/dockerd";
pub const CONTAINERD: &str = "/usr/bin/containerd";
pub const SHIM: &str = "/usr/bin/containerd-shim-runc-v2";
pub const CTR: &str = "/usr/bin/ctr";
pub const DEBIAN_RUNC: &str = "/usr/sbin/runc";
/// The real Docker CLI (28), not our applet.
pub const DOCKER_CLI: &str = "/usr/local/bin/docker";
/// The image name both daemons know the busybox fixture by.
pub const BUSYBOX_REF: &str = "docker.io/library/busybox:latest";
const DAEMON_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The OCI runtime a drop-in test runs its containers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    /// Debian's runc 1.1.5: proves the rig itself works.
    Runc,
    /// Our binary, called as `runc` through a symlink.
    Dockbox,
}

impl Runtime {
    /// The name dockerd knows it by (`docker run --runtime NAME`).
    pub fn name(self) -> &'static str {
        match self {
            Runtime::Runc => "runc",
            Runtime::Dockbox => "dockbox",
        }
    }

    /// Whether this runtime can run a container at all; `Err` is the skip
    /// reason. For dockbox this runs a busybox bundle through `runc run`
    /// once per test process and expects its exit code back.
    pub fn ready(self) -> Result<(), String> {
        match self {
            Runtime::Runc => {
                if Path::new(DEBIAN_RUNC).is_file() {
                    Ok(())
                } else {
                    Err(format!("{DEBIAN_RUNC} is not installed"))
                }
            }
            Runtime::Dockbox => {
                // Our runc is built with the tests: when it cannot run a
                // container, that is a failure, never a skip.
                super::need_root()?;
                static PROBE: OnceLock<Result<(), String>> = OnceLock::new();
                if let Err(reason) = PROBE.get_or_init(probe_dockbox_runc) {
                    panic!("{reason}");
                }
                Ok(())
            }
        }
    }
}

/// `runc run` of a bundle whose process exits 7, through our binary.
fn probe_dockbox_runc() -> Result<(), String> {
    super::need_root()?;
    let dir = TempDir::new("dropin-probe");
    let link = dir.join("runc");
    std::os::unix::fs::symlink(super::dockbox(), &link).map_err(|e| format!("symlink: {e}"))?;
    let bundle = super::busybox::Bundle::build(&dir.join("bundle"), &["sh", "-c", "exit 7"])?;
    // Our cgroup guard removes whatever the probe leaves behind.
    let cgroups = CgroupParent::create("dropin-probe")?;
    let cgroups_path = cgroups.child("probe");
    bundle.edit_config(|spec| spec["linux"]["cgroupsPath"] = cgroups_path.into());
    let root = dir.join("state");
    let mut command = Command::new(&link);
    command
        .arg("--root")
        .arg(&root)
        .args(["run", "--bundle"])
        .arg(&bundle.dir)
        .arg(format!("dropin-probe-{}", std::process::id()))
        .stdin(Stdio::null());
    let output = run_with_timeout(&mut command, Duration::from_secs(20));
    let _ = Command::new(&link)
        .arg("--root")
        .arg(&root)
        .args(["delete", "--force"])
        .arg(format!("dropin-probe-{}", std::process::id()))
        .output();
    let output = output.map_err(|e| format!("dockbox runc not ready: {e}"))?;
    if output.status.code() == Some(7) {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    Err(format!(
        "dockbox runc not ready: `runc run` of a busybox bundle exiting 7 gave {}: {}",
        output.status,
        stderr.lines().last().unwrap_or("")
    ))
}

/// Runs `command` to completion, killing it after `limit`.
pub fn run_with_timeout(command: &mut Command, limit: Duration) -> Result<Output, String> {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    // Drain both pipes in threads so a chatty child cannot block on a full
    // pipe while we poll it.
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let err = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{command:?} did not finish within {limit:?}"));
            }
        }
    };
    Ok(Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    })
}

/// Why the engine cannot run here, if it cannot.
pub fn need_engine() -> Result<(), String> {
    super::need_root()?;
    for tool in [DOCKERD, CONTAINERD, SHIM, CTR] {
        if !Path::new(tool).is_file() {
            return Err(format!(
                "{tool} is missing: docker.io is not installed (apt-get install docker.io)"
            ));
        }
    }
    if !Path::new(DOCKER_CLI).is_file() {
        return Err(format!("the Docker CLI {DOCKER_CLI} is not installed"));
    }
    if std::env::temp_dir().starts_with("/run") {
        return Err("the temp dir is below /run, which the engine's mount namespace hides".into());
    }
    Ok(())
}

#[derive(Clone, Copy, Debug, Default)]
pub struct EngineOptions {
    /// `--default-runtime`; dockerd's own default (runc) when None.
    pub default_runtime: Option<Runtime>,
    /// dockerd's default bridge (docker0, in the engine's own network
    /// namespace) instead of `--bridge=none`; still no iptables.
    pub default_bridge: bool,
}

pub struct Engine {
    /// Field order is drop order after `Drop::drop`: the cgroups go before
    /// the temp dir.
    containerd: Option<ProcessGuard>,
    dockerd: Option<ProcessGuard>,
    cgroups: CgroupParent,
    /// (dev, inode) of the daemons' mount namespace.
    mount_ns: (u64, u64),
    busybox_in_docker: Mutex<bool>,
    busybox_in_containerd: Mutex<bool>,
    dir: TempDir,
}

impl Engine {
    /// One engine with dockerd's defaults, shared by every test of this
    /// test process that asks for it: started by the first, torn down when
    /// the process exits (an atexit handler), so the drop-in tests pay for
    /// one start-up. Tests give their containers unique names and remove
    /// them.
    pub fn shared() -> Result<Arc<Engine>, String> {
        static SHARED: Mutex<Option<Arc<Engine>>> = Mutex::new(None);
        extern "C" fn tear_down_shared() {
            let engine = SHARED.lock().unwrap_or_else(|p| p.into_inner()).take();
            drop(engine);
        }
        let mut slot = SHARED
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(engine) = slot.as_ref() {
            return Ok(engine.clone());
        }
        let engine = Arc::new(Engine::start("dropin", EngineOptions::default())?);
        static REGISTERED: std::sync::Once = std::sync::Once::new();
        REGISTERED.call_once(|| {
            // SAFETY: registering a plain extern "C" fn has no preconditions.
            unsafe { libc::atexit(tear_down_shared) };
        });
        *slot = Some(engine.clone());
        Ok(engine)
    }

    /// Starts containerd, then dockerd, and waits until both answer.
    /// Panics (with the daemons' logs) when they fail to come up; `Err` only
    /// for a host where the rig cannot run at all.
    pub fn start(label: &str, options: EngineOptions) -> Result<Engine, String> {
        need_engine()?;
        let cgroups = CgroupParent::create(label)?;
        let dir = TempDir::new(label);
        for sub in ["bin", "fifo", "cli"] {
            std::fs::create_dir_all(dir.join(sub)).expect("mkdir in the engine's temp dir");
        }
        std::os::unix::fs::symlink(super::dockbox(), dir.join("bin/runc"))
            .expect("symlink bin/runc to dockbox");
        std::fs::write(dir.join("containerd.toml"), containerd_config(dir.path()))
            .expect("write containerd.toml");
        // The trust key would otherwise go to /etc/docker/key.json; there is
        // no command-line flag for it in 20.10.
        let daemon_json = serde_json::json!({
            "deprecated-key-path": dir.join("key.json"),
        });
        std::fs::write(dir.join("daemon.json"), daemon_json.to_string()).expect("daemon.json");

        let mut containerd = Command::new(CONTAINERD);
        containerd
            .arg("--config")
            .arg(dir.join("containerd.toml"))
            .env_clear()
            .env("PATH", DAEMON_PATH)
            .stdin(Stdio::null())
            .stdout(log_file(&dir, "containerd.log"))
            .stderr(log_file(&dir, "containerd.log"));
        super::netns::in_new_netns(&mut containerd);
        private_run(&mut containerd);
        let containerd = ProcessGuard::child(
            containerd
                .spawn()
                .unwrap_or_else(|e| panic!("spawn {CONTAINERD}: {e}")),
        );
        let ns_of = |kind: &str| {
            let path = format!("/proc/{}/ns/{kind}", containerd.id());
            File::open(&path).unwrap_or_else(|e| panic!("open {path}: {e}"))
        };
        let (net_ns, mnt_ns) = (ns_of("net"), ns_of("mnt"));
        let mount_ns = {
            let meta = mnt_ns.metadata().expect("fstat the mount namespace");
            (meta.dev(), meta.ino())
        };
        let mut engine = Engine {
            containerd: Some(containerd),
            dockerd: None,
            cgroups,
            mount_ns,
            busybox_in_docker: Mutex::new(false),
            busybox_in_containerd: Mutex::new(false),
            dir,
        };
        engine.wait_for_containerd();

        let mut dockerd = Command::new(DOCKERD);
        let root = engine.dir.path();
        dockerd
            .arg("--data-root")
            .arg(root.join("data"))
            .arg("--exec-root")
            .arg(root.join("exec"))
            .arg("-H")
            .arg(format!("unix://{}", root.join("docker.sock").display()))
            .arg("--pidfile")
            .arg(root.join("dockerd.pid"))
            .arg("--containerd")
            .arg(root.join("containerd.sock"))
            .arg("--config-file")
            .arg(root.join("daemon.json"))
            .args(if options.default_bridge {
                &[][..]
            } else {
                &["--bridge=none"][..]
            })
            .args([
                "--iptables=false",
                "--ip-masq=false",
                "--userland-proxy=false",
                "--exec-opt",
                "native.cgroupdriver=cgroupfs",
            ])
            .arg(format!("--cgroup-parent={}", engine.cgroups.path()))
            .arg(format!(
                "--add-runtime=dockbox={}",
                root.join("bin/runc").display()
            ));
        if let Some(runtime) = options.default_runtime {
            dockerd.arg(format!("--default-runtime={}", runtime.name()));
        }
        dockerd
            .env_clear()
            .env("PATH", DAEMON_PATH)
            .stdin(Stdio::null())
            .stdout(log_file(&engine.dir, "dockerd.log"))
            .stderr(log_file(&engine.dir, "dockerd.log"));
        let (net_fd, mnt_fd) = (net_ns.as_raw_fd(), mnt_ns.as_raw_fd());
        // SAFETY: between fork and exec the closure makes only setns calls on
        // descriptors the parent keeps open until spawn returns.
        unsafe {
            dockerd.pre_exec(move || {
                for (fd, kind) in [(net_fd, libc::CLONE_NEWNET), (mnt_fd, libc::CLONE_NEWNS)] {
                    if libc::setns(fd, kind) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
        let dockerd = dockerd
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {DOCKERD}: {e}"));
        drop((net_ns, mnt_ns));
        engine.dockerd = Some(ProcessGuard::child(dockerd));
        engine.wait_for_dockerd();
        Ok(engine)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The pid of the engine's dockerd.
    pub fn dockerd_pid(&self) -> i32 {
        self.dockerd.as_ref().expect("dockerd runs").id()
    }

    pub fn containerd_socket(&self) -> PathBuf {
        self.dir.join("containerd.sock")
    }

    /// The binary `ctr run --runc-binary` gets for `runtime`.
    pub fn runtime_binary(&self, runtime: Runtime) -> PathBuf {
        match runtime {
            Runtime::Runc => PathBuf::from(DEBIAN_RUNC),
            Runtime::Dockbox => self.dir.join("bin/runc"),
        }
    }

    pub fn cgroups(&self) -> &CgroupParent {
        &self.cgroups
    }

    /// The real Docker CLI against this engine, with a client config of
    /// its own (no ~/.docker).
    pub fn cli(&self) -> Command {
        let mut command = Command::new(DOCKER_CLI);
        command
            .env(
                "DOCKER_HOST",
                format!("unix://{}", self.dir.join("docker.sock").display()),
            )
            .env("DOCKER_CONFIG", self.dir.join("cli"))
            .env_remove("DOCKER_CONTEXT")
            .env_remove("DOCKER_TLS_VERIFY")
            .stdin(Stdio::null());
        command
    }

    /// `docker ARGS` against this engine (panics with the daemons' logs if
    /// it hangs for a minute).
    pub fn docker(&self, args: &[&str]) -> Output {
        run_with_timeout(self.cli().args(args), Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("{e}\n{}", self.logs()))
    }

    /// `docker ARGS` that must succeed; its stdout, trimmed.
    pub fn docker_ok(&self, args: &[&str]) -> String {
        let output = self.docker(args);
        assert!(
            output.status.success(),
            "docker {args:?}: {}\nstdout: {}\nstderr: {}",
            output.status,
            super::stdout_of(&output),
            super::stderr_of(&output)
        );
        super::stdout_of(&output).trim().to_string()
    }

    /// Debian's ctr against this engine's containerd. It stays in the
    /// host's mount namespace, so callers of `ctr run` pass
    /// `--fifo-dir` [`Engine::fifo_dir`] (a path both namespaces see).
    pub fn ctr(&self, args: &[&str]) -> Output {
        let mut command = Command::new(CTR);
        command
            .arg("--address")
            .arg(self.containerd_socket())
            .args(args)
            .stdin(Stdio::null());
        run_with_timeout(&mut command, Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("{e}\n{}", self.logs()))
    }

    pub fn fifo_dir(&self) -> PathBuf {
        self.dir.join("fifo")
    }

    /// Loads the busybox fixture with `docker load` (once per engine).
    pub fn load_busybox(&self) {
        let mut loaded = self.busybox_in_docker.lock().unwrap();
        if !*loaded {
            let archive = self.busybox_archive();
            self.docker_ok(&["load", "-i", archive.to_str().unwrap()]);
            *loaded = true;
        }
    }

    /// Imports the busybox fixture into containerd's `default` namespace
    /// with `ctr images import` (once per engine).
    pub fn import_busybox(&self) {
        let mut imported = self.busybox_in_containerd.lock().unwrap();
        if !*imported {
            let archive = self.busybox_archive();
            let output = self.ctr(&["images", "import", archive.to_str().unwrap()]);
            assert!(
                output.status.success(),
                "ctr images import: {}",
                super::stderr_of(&output)
            );
            *imported = true;
        }
    }

    fn busybox_archive(&self) -> PathBuf {
        static ARCHIVE_LOCK: Mutex<()> = Mutex::new(());
        let _serial = ARCHIVE_LOCK.lock().unwrap();
        let archive = self.dir.join("busybox.tar");
        if !archive.exists() {
            let rootfs = super::busybox::BusyboxRootfs::build(&self.dir.join("image-rootfs"))
                .expect("build the busybox rootfs");
            super::busybox::write_docker_archive(&rootfs.path, "busybox:latest", &archive)
                .expect("write the busybox docker-archive");
        }
        archive
    }

    /// The tail of both daemons' logs, for failure messages.
    pub fn logs(&self) -> String {
        let tail = |name: &str| {
            let text = std::fs::read_to_string(self.dir.join(name)).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(30)..].join("\n")
        };
        format!(
            "--- containerd.log ---\n{}\n--- dockerd.log ---\n{}",
            tail("containerd.log"),
            tail("dockerd.log")
        )
    }

    fn wait_for_containerd(&mut self) {
        let socket = self.containerd_socket();
        self.wait_until("containerd", || UnixStream::connect(&socket).is_ok());
    }

    fn wait_for_dockerd(&mut self) {
        let socket = self.dir.join("docker.sock");
        self.wait_until("dockerd", || ping(&socket));
    }

    fn wait_until(&mut self, what: &str, ready: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if ready() {
                return;
            }
            let mut exited = None;
            for guard in [&mut self.containerd, &mut self.dockerd]
                .into_iter()
                .flatten()
            {
                if let Some(Ok(Some(status))) = guard.child_mut().map(|c| c.try_wait()) {
                    exited = Some(status);
                }
            }
            if let Some(status) = exited {
                panic!(
                    "a daemon exited ({status}) while waiting for {what}\n{}",
                    self.logs()
                );
            }
            if Instant::now() > deadline {
                panic!("{what} did not come up within 30s\n{}", self.logs());
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Pids of the processes in the daemons' mount namespace (the daemons
    /// and containerd's shims; containers have mount namespaces of their
    /// own).
    pub fn pids_in_mount_ns(&self) -> Vec<i32> {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
            .filter(|pid| {
                std::fs::metadata(format!("/proc/{pid}/ns/mnt"))
                    .map(|meta| (meta.dev(), meta.ino()) == self.mount_ns)
                    .unwrap_or(false)
            })
            .collect()
    }

    fn stop(guard: &mut Option<ProcessGuard>, grace: Duration) {
        let Some(mut guard) = guard.take() else {
            return;
        };
        // SAFETY: kill has no memory-safety preconditions.
        unsafe { libc::kill(guard.id(), libc::SIGTERM) };
        let deadline = Instant::now() + grace;
        while let Some(child) = guard.child_mut() {
            match child.try_wait() {
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                _ => break,
            }
        }
        // Dropping the guard SIGKILLs and reaps it if it is still there.
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        // `docker rm -f` first: on SIGTERM dockerd would give every running
        // container its 10 s stop timeout.
        if self.dockerd.is_some() {
            let listed = run_with_timeout(self.cli().args(["ps", "-aq"]), Duration::from_secs(10));
            if let Ok(output) = listed {
                let ids = String::from_utf8_lossy(&output.stdout).to_string();
                let ids: Vec<&str> = ids.split_whitespace().collect();
                if !ids.is_empty() {
                    let mut remove = self.cli();
                    remove.args(["rm", "-f"]).args(&ids);
                    let _ = run_with_timeout(&mut remove, Duration::from_secs(20));
                }
            }
        }
        Engine::stop(&mut self.dockerd, Duration::from_secs(10));
        Engine::stop(&mut self.containerd, Duration::from_secs(5));
        for _ in 0..50 {
            let left = self.pids_in_mount_ns();
            if left.is_empty() {
                break;
            }
            for pid in left {
                // SAFETY: kill has no memory-safety preconditions.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.cgroups.kill_all();
    }
}

/// A private mount namespace with a tmpfs on /run (see the module comment).
fn private_run(command: &mut Command) {
    // SAFETY: between fork and exec the closure makes only unshare and mount
    // syscalls with string constants.
    unsafe {
        command.pre_exec(|| {
            let check = |rc: libc::c_int| {
                if rc != 0 {
                    Err(std::io::Error::last_os_error())
                } else {
                    Ok(())
                }
            };
            check(libc::unshare(libc::CLONE_NEWNS))?;
            check(libc::mount(
                c"none".as_ptr(),
                c"/".as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            ))?;
            check(libc::mount(
                c"tmpfs".as_ptr(),
                c"/run".as_ptr(),
                c"tmpfs".as_ptr(),
                libc::MS_NOSUID | libc::MS_NODEV,
                c"mode=755".as_ptr().cast(),
            ))
        });
    }
}

fn containerd_config(root: &Path) -> String {
    let at = |name: &str| root.join(name).display().to_string();
    format!(
        "version = 2\n\
         root = {root:?}\n\
         state = {state:?}\n\
         disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n\
         [grpc]\n  address = {grpc:?}\n\
         [ttrpc]\n  address = {ttrpc:?}\n\
         [debug]\n  address = \"\"\n\
         [metrics]\n  address = \"\"\n\
         [plugins.\"io.containerd.internal.v1.opt\"]\n  path = {opt:?}\n",
        root = at("containerd-root"),
        state = at("containerd-state"),
        grpc = at("containerd.sock"),
        ttrpc = at("containerd.sock.ttrpc"),
        opt = at("containerd-opt"),
    )
}

fn log_file(dir: &TempDir, name: &str) -> File {
    File::options()
        .create(true)
        .append(true)
        .open(dir.join(name))
        .unwrap_or_else(|e| panic!("open {name}: {e}"))
}

/// `GET /_ping` answers 200.
fn ping(socket: &Path) -> bool {
    let Ok(mut stream) = UnixStream::connect(socket) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut reply = [0u8; 64];
    let n = stream.read(&mut reply).unwrap_or(0);
    reply[..n].starts_with(b"HTTP/1.0 200") || reply[..n].starts_with(b"HTTP/1.1 200")
}
