//! Starting our daemon for a test, and talking to it: in a fresh network
//! namespace, with temp roots and socket, killed by pid on drop.

#![allow(dead_code)] // Shared by every daemon test module.

use crate::harness::{self, ProcessGuard, TempDir, netns};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const DOCKER_CLI: &str = "/usr/local/bin/docker";

pub struct TestDaemon {
    pub guard: ProcessGuard,
    /// After the daemon is gone: its --cgroup-parent directories.
    pub cgroups: CgroupParentCleanup,
    pub socket: PathBuf,
    // Last, so the daemon is killed before its directory goes.
    pub dir: TempDir,
}

/// Removes the relative `cgroup-parent` of a daemon's config file from
/// below the test's own cgroup in every hierarchy, on drop.
pub struct CgroupParentCleanup {
    config: PathBuf,
}

impl CgroupParentCleanup {
    /// Cleans up after a daemon started with the config file `config`.
    pub fn for_config(config: PathBuf) -> CgroupParentCleanup {
        CgroupParentCleanup { config }
    }
}

impl Drop for CgroupParentCleanup {
    fn drop(&mut self) {
        let Ok(text) = std::fs::read_to_string(&self.config) else {
            return;
        };
        let parent = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|config| config["cgroup-parent"].as_str().map(str::to_string));
        let Some(parent) = parent.filter(|p| !p.is_empty() && !p.starts_with('/')) else {
            return;
        };
        // The daemon places it below its deepest own cgroup in every
        // hierarchy (they nest on this host); look below each own path too.
        let own = harness::cgroup::OwnCgroup::read();
        let membership = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
        let deepest = membership
            .lines()
            .filter_map(|line| line.splitn(3, ':').nth(2))
            .max_by_key(|path| path.len())
            .unwrap_or("/")
            .trim_start_matches('/')
            .to_string();
        let mut candidates: Vec<PathBuf> = own.v1.values().chain(own.v2.iter()).cloned().collect();
        if let Ok(hierarchies) = std::fs::read_dir("/sys/fs/cgroup") {
            candidates.extend(hierarchies.flatten().map(|h| h.path().join(&deepest)));
        }
        for dir in candidates {
            let path = dir.join(&parent);
            if path.is_dir() {
                harness::cgroup::remove_tree(&path);
            }
        }
    }
}

impl TestDaemon {
    /// The command line that starts a daemon with everything below `dir`.
    pub fn command(dir: &Path, socket: &Path, pidfile: &Path) -> Command {
        let config = dir.join("daemon.json");
        if !config.exists() {
            // Containers' cgroups below the test's own (a relative parent),
            // never in the daemon's default /docker; removed on drop.
            let name = dir.file_name().unwrap_or_default().to_string_lossy();
            let parent = serde_json::json!({ "cgroup-parent": format!("dockbox-test-{name}") });
            std::fs::write(&config, format!("{parent}\n")).unwrap();
        }
        let mut command = Command::new(harness::dockbox());
        command
            .arg("dockerd")
            .arg("--data-root")
            .arg(dir.join("data"))
            .arg("--exec-root")
            .arg(dir.join("exec"))
            .arg("-H")
            .arg(format!("unix://{}", socket.display()))
            .arg("--pidfile")
            .arg(pidfile)
            .arg("--config-file")
            .arg(&config)
            // The daemon checks it is not in the host's network namespace.
            .env("DOCKBOX_TEST_NETNS", "1");
        netns::in_new_netns(&mut command);
        command
    }

    /// Starts a daemon and waits until its socket answers.
    pub fn start(label: &str) -> TestDaemon {
        TestDaemon::start_in_dir(TempDir::new(label))
    }

    /// Starts a new daemon on the data root of `old`, which must be dead.
    pub fn start_in(old: TestDaemon) -> TestDaemon {
        let TestDaemon { guard, dir, .. } = old;
        drop(guard);
        TestDaemon::start_in_dir(dir)
    }

    /// Starts a new daemon on the data root of `old` in `old`'s network
    /// namespace (which its containers' shims keep alive), as a restarted
    /// dockerd stays in the host's: the bridges and veths it made are
    /// still there.
    pub fn restart_in_same_netns(old: TestDaemon) -> TestDaemon {
        use std::os::fd::AsRawFd;
        use std::os::unix::process::CommandExt;
        let pid = std::fs::read_to_string(old.dir.join("pid")).unwrap();
        let netns = std::fs::File::open(format!("/proc/{}/ns/net", pid.trim())).unwrap();
        let TestDaemon { guard, dir, .. } = old;
        drop(guard);
        TestDaemon::start_customised(dir, move |command| {
            // SAFETY: setns is a raw syscall, async-signal-safe; it runs
            // after the harness's unshare and replaces that namespace.
            unsafe {
                command.pre_exec(move || {
                    if libc::setns(netns.as_raw_fd(), libc::CLONE_NEWNET) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        })
    }

    pub fn start_in_dir(dir: TempDir) -> TestDaemon {
        TestDaemon::start_customised(dir, |_| {})
    }

    /// Starts a daemon in `dir` after `customise` had its say on the
    /// command (a pre_exec or an environment variable, say).
    pub fn start_customised(dir: TempDir, customise: impl FnOnce(&mut Command)) -> TestDaemon {
        let socket = dir.join("sock");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("daemon.log"))
            .unwrap();
        let mut command = TestDaemon::command(dir.path(), &socket, &dir.join("pid"));
        customise(&mut command);
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start dockbox dockerd");
        let mut daemon = TestDaemon {
            guard: ProcessGuard::child(child),
            cgroups: CgroupParentCleanup {
                config: dir.join("daemon.json"),
            },
            socket,
            dir,
        };
        daemon.wait_ready();
        daemon
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if UnixStream::connect(&self.socket).is_ok() {
                return;
            }
            if let Some(status) = self.child().try_wait().unwrap() {
                panic!(
                    "daemon exited with {status} before serving:\n{}",
                    self.log()
                );
            }
            if Instant::now() > deadline {
                panic!("daemon did not serve within 20s:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn child(&mut self) -> &mut Child {
        self.guard.child_mut().expect("daemon child")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("daemon.log")).unwrap_or_default()
    }

    pub fn host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    /// The real Docker CLI against this daemon, with a config dir of its own.
    pub fn docker(&self, args: &[&str]) -> Output {
        let config = self.dir.join("cli-config");
        std::fs::create_dir_all(&config).unwrap();
        harness::run(
            Command::new(DOCKER_CLI)
                .args(args)
                .env("DOCKER_HOST", self.host())
                .env("DOCKER_CONFIG", &config)
                .env_remove("DOCKER_API_VERSION")
                .env_remove("DOCKER_CONTEXT"),
        )
    }

    pub fn connect(&self) -> RawConnection {
        RawConnection::connect(&self.socket)
    }
}

pub fn need_docker_cli() -> Result<(), String> {
    if Path::new(DOCKER_CLI).exists() {
        Ok(())
    } else {
        Err(format!("{DOCKER_CLI} is not installed"))
    }
}

/// One parsed HTTP response.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.body_text()))
    }
}

/// A hand-driven connection: writes exactly the bytes a test gives and
/// parses responses with Content-Length or chunked bodies.
pub struct RawConnection {
    pub reader: BufReader<UnixStream>,
    pub writer: UnixStream,
}

impl RawConnection {
    pub fn connect(socket: &Path) -> RawConnection {
        let stream = UnixStream::connect(socket).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        RawConnection {
            writer: stream.try_clone().unwrap(),
            reader: BufReader::new(stream),
        }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
    }

    /// Reads one response to a request with `method`.
    pub fn read_response(&mut self, method: &str) -> RawResponse {
        let mut head = String::new();
        loop {
            let mut line = String::new();
            let n = self.reader.read_line(&mut line).unwrap();
            assert!(n > 0, "connection closed inside a response head: {head:?}");
            head.push_str(&line);
            if line == "\r\n" {
                break;
            }
        }
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("bad status line: {head:?}"));
        let mut response = RawResponse {
            status,
            head,
            body: Vec::new(),
        };
        if method == "HEAD" || status == 304 || status == 101 {
            return response;
        }
        if response
            .header("Transfer-Encoding")
            .is_some_and(|e| e.eq_ignore_ascii_case("chunked"))
        {
            loop {
                let mut size = String::new();
                self.reader.read_line(&mut size).unwrap();
                let size = usize::from_str_radix(size.trim(), 16).unwrap();
                let mut chunk = vec![0; size + 2];
                self.reader.read_exact(&mut chunk).unwrap();
                if size == 0 {
                    break;
                }
                response.body.extend_from_slice(&chunk[..size]);
            }
        } else if let Some(length) = response.header("Content-Length") {
            let mut body = vec![0; length.parse().unwrap()];
            self.reader.read_exact(&mut body).unwrap();
            response.body = body;
        } else {
            self.reader.read_to_end(&mut response.body).unwrap();
        }
        response
    }

    /// Sends `GET path` on this connection and reads the answer.
    pub fn get(&mut self, path: &str) -> RawResponse {
        self.send(format!("GET {path} HTTP/1.1\r\nHost: docker\r\n\r\n").as_bytes());
        self.read_response("GET")
    }

    /// Sends `method path` with the JSON `body` (none when empty) and
    /// reads the answer.
    pub fn request(&mut self, method: &str, path: &str, body: &str) -> RawResponse {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: docker\r\n");
        if !body.is_empty() {
            head.push_str("Content-Type: application/json\r\n");
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        self.send(head.as_bytes());
        self.read_response(method)
    }

    /// Whether the server has closed the connection (EOF within 5s).
    pub fn is_closed(&mut self) -> bool {
        self.reader
            .get_ref()
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut byte = [0u8; 1];
        matches!(self.reader.read(&mut byte), Ok(0))
    }
}
