//! Golden tests of the `docker` applet: each case runs the same command
//! line through the real Docker CLI and through ours (a `docker` symlink
//! to dockbox) against one of our daemons, and compares stdout, stderr
//! and the exit status after normalising IDs, times and the lines that
//! name the client build. Stateful cases set up and clean up the same
//! state around each client's run, so both start from the same daemon.

#[path = "client_golden_cases.rs"]
mod cases;

use crate::daemon_support::{DOCKER_CLI, TestDaemon, need_docker_cli};
use crate::harness::{self, TempDir, busybox, need_root};
use crate::require;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Where a case's stdin comes from.
#[derive(Clone, Copy)]
pub enum Input {
    Null,
    /// A file in the case directory.
    File(&'static str),
}

pub struct Case {
    pub args: &'static [&'static str],
    pub stdin: Input,
    /// Commands run through the real CLI before each client's run; their
    /// outcome is not compared.
    pub setup: &'static [&'static [&'static str]],
    /// Commands run through the real CLI after each client's run.
    pub cleanup: &'static [&'static [&'static str]],
    pub env: &'static [(&'static str, &'static str)],
    /// A file the command writes in the case directory, compared byte for
    /// byte between the two clients and removed after each run.
    pub writes: Option<&'static str>,
    /// Sends an archive body. A daemon without image endpoints answers 404
    /// and hangs up while the real CLI is still writing, which it reports
    /// either way at random; such cases run only where images are served.
    pub uploads: bool,
}

pub const fn case(args: &'static [&'static str]) -> Case {
    Case {
        args,
        stdin: Input::Null,
        setup: &[],
        cleanup: &[],
        env: &[],
        writes: None,
        uploads: false,
    }
}

/// One client's result: normalised stdout, stderr, exit status, and the
/// bytes of the file the case writes.
#[derive(PartialEq, Debug)]
struct Outcome {
    stdout: String,
    stderr: String,
    status: Option<i32>,
    file: Option<Vec<u8>>,
}

struct Bench {
    daemon: TestDaemon,
    work: TempDir,
    ours: PathBuf,
}

impl Bench {
    fn command(&self, program: &Path, config: &str, case: &Case) -> Command {
        let config_dir = self.work.join(config);
        std::fs::create_dir_all(&config_dir).unwrap();
        let work = self.work.path().display().to_string();
        let mut command = Command::new(program);
        command
            .args(case.args.iter().map(|arg| arg.replace("$WORK", &work)))
            .current_dir(self.work.path())
            .env("DOCKER_HOST", self.daemon.host())
            .env("DOCKER_CONFIG", &config_dir)
            .env("HOME", self.work.path())
            .env("TZ", "UTC")
            .env_remove("DOCKER_API_VERSION")
            .env_remove("DOCKER_CONTEXT");
        for (key, value) in case.env {
            command.env(key, value.replace("$WORK", &work));
        }
        command.stdin(match case.stdin {
            Input::Null => Stdio::null(),
            Input::File(name) => Stdio::from(std::fs::File::open(self.work.join(name)).unwrap()),
        });
        command
    }

    /// Runs a setup or cleanup command through the real CLI.
    fn real(&self, args: &[&str]) -> Output {
        harness::run(
            Command::new(DOCKER_CLI)
                .args(args)
                .current_dir(self.work.path())
                .env("DOCKER_HOST", self.daemon.host())
                .env("DOCKER_CONFIG", self.work.join("setup-config"))
                .stdin(Stdio::null()),
        )
    }

    fn run(&self, program: &Path, config: &str, case: &Case) -> Outcome {
        for args in case.setup {
            self.real(args);
        }
        let output = harness::run(&mut self.command(program, config, case));
        let file = case.writes.map(|name| {
            let path = self.work.join(name);
            let bytes = std::fs::read(&path).unwrap_or_default();
            let _ = std::fs::remove_file(&path);
            bytes
        });
        for args in case.cleanup {
            self.real(args);
        }
        // Each client has a config dir of its own, which help texts name.
        let own_config =
            |text: &[u8]| normalise(&String::from_utf8_lossy(text)).replace(config, "<CONFIG>");
        Outcome {
            stdout: own_config(&output.stdout),
            stderr: own_config(&output.stderr),
            status: output.status.code(),
            file,
        }
    }
}

fn is_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Replaces runs of exactly 64 or 12 lowercase hex digits standing alone
/// (IDs) with placeholders.
fn normalise_ids(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if is_hex(bytes[i]) && (i == 0 || !is_word(bytes[i - 1])) {
            let mut end = i;
            while end < bytes.len() && is_hex(bytes[end]) {
                end += 1;
            }
            let alone = end == bytes.len() || !is_word(bytes[end]);
            let run = end - i;
            let has_letter = bytes[i..end].iter().any(u8::is_ascii_alphabetic);
            if alone && (run == 64 || (run == 12 && has_letter)) {
                out.push_str(if run == 64 { "<ID64>" } else { "<ID12>" });
                i = end;
                continue;
            }
        }
        let c = text[i..].chars().next().unwrap();
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// Human ages (`2 seconds ago`, `About a minute ago`) become `<AGO>`.
fn normalise_ages(text: &str) -> String {
    let mut out = Vec::new();
    for line in text.split('\n') {
        let mut line = line.to_string();
        while let Some(end) = line.find(" ago") {
            let before = &line[..end];
            let phrases = [
                "Less than a second",
                "About a minute",
                "About an hour",
                "An hour",
                "A minute",
            ];
            let start = phrases
                .iter()
                .find_map(|p| before.ends_with(p).then(|| end - p.len()))
                .or_else(|| {
                    // `<n> <unit>`
                    let unit_start = before.rfind(' ')?;
                    let number_start = before[..unit_start]
                        .rfind(|c: char| !c.is_ascii_digit())
                        .map_or(0, |i| i + 1);
                    (number_start < unit_start).then_some(number_start)
                });
            match start {
                Some(start) => line.replace_range(start..end + 4, "<AGO>"),
                None => break,
            }
        }
        out.push(line);
    }
    out.join("\n")
}

/// RFC 3339 timestamps and Go's `2006-01-02 15:04:05 -0700 MST` become
/// `<TIME>`.
fn normalise_times(text: &str) -> String {
    let bytes = text.as_bytes();
    let digit = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_digit);
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let date = (0..4).all(|k| digit(i + k))
            && bytes.get(i + 4) == Some(&b'-')
            && digit(i + 5)
            && bytes.get(i + 7) == Some(&b'-')
            && matches!(bytes.get(i + 10), Some(b'T') | Some(b' '))
            && digit(i + 11)
            && bytes.get(i + 13) == Some(&b':');
        if date {
            let mut end = i + 19;
            while end < bytes.len()
                && !matches!(bytes[end], b'"' | b'\n' | b',' | b'\t')
                && !(bytes[end] == b' ' && bytes[i + 10] == b'T')
            {
                end += 1;
            }
            out.push_str("<TIME>");
            i = end.min(bytes.len());
            continue;
        }
        let c = text[i..].chars().next().unwrap();
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// The lines that describe the client binary itself, which differ by
/// design (Go version, commit, build time, `docker --version`).
fn normalise_client_lines(text: &str) -> String {
    text.split('\n')
        .map(|line| {
            for label in [" Go version:", " Git commit:", " Built:"] {
                if line.starts_with(label) {
                    return format!("{label} <CLIENT>");
                }
            }
            if line.starts_with("Docker version ") {
                return "Docker version <CLIENT>".to_string();
            }
            line.to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Also used for the JSON of `{{json .}}` where the client section sits
/// on one line.
fn normalise_client_json(text: &str) -> String {
    let mut out = text.to_string();
    for key in ["\"GoVersion\":\"", "\"GitCommit\":\"", "\"BuildTime\":\""] {
        if let Some(client) = out
            .find("\"Client\":{")
            .or_else(|| out.find("\"ClientInfo\":{"))
            && let Some(offset) = out[client..].find(key)
        {
            let start = client + offset + key.len();
            if let Some(len) = out[start..].find('"') {
                out.replace_range(start..start + len, "<CLIENT>");
            }
        }
    }
    out
}

pub fn normalise(text: &str) -> String {
    let text = normalise_client_json(&normalise_client_lines(&normalise_ages(&normalise_times(
        &normalise_ids(text),
    ))));
    // An age's text sets its column's width ("Less than a second ago" vs
    // "1 second ago"), and the two clients run at different moments: in a
    // table with ages, compare the cells, not the padding.
    if text.contains("<AGO>") {
        collapse_padding(&text)
    } else {
        text
    }
}

/// Every run of two or more spaces becomes exactly three.
fn collapse_padding(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut spaces = 0;
    for c in text.chars() {
        if c == ' ' {
            spaces += 1;
            continue;
        }
        out.push_str(match spaces {
            0 => "",
            1 => " ",
            _ => "   ",
        });
        spaces = 0;
        out.push(c);
    }
    out.push_str(match spaces {
        0 => "",
        1 => " ",
        _ => "   ",
    });
    out
}

#[test]
fn normaliser_replaces_ids_ages_and_times() {
    let text = "f2bb881cb076   11 months ago   1.98MB\nAbout a minute ago\n2026-01-01T00:00:00Z x\n0123456789ab1\n012345678901\n";
    assert_eq!(
        normalise(text),
        "<ID12>   <AGO>   1.98MB\n<AGO>\n<TIME> x\n0123456789ab1\n012345678901\n"
    );
    assert_eq!(normalise(&"a".repeat(64)), "<ID64>");
    assert_eq!(
        normalise("ID      CREATED                  NAME\nx       Less than a second ago   y"),
        normalise("ID      CREATED        NAME\nx       1 second ago   y")
    );
    assert_eq!(
        normalise(" Go version:   go1.24.3"),
        " Go version: <CLIENT>"
    );
}

fn prepare(work: &TempDir) -> Result<(), String> {
    let rootfs_dir = work.join("rootfs");
    let rootfs = busybox::BusyboxRootfs::build(&rootfs_dir)?;
    busybox::write_docker_archive(&rootfs.path, "busybox:latest", &work.join("busybox.tar"))
        .map_err(|e| format!("write busybox archive: {e}"))?;
    let tar = std::fs::File::create(work.join("rootfs.tar")).map_err(|e| e.to_string())?;
    busybox::write_rootfs_tar(&rootfs.path, tar).map_err(|e| e.to_string())?;
    std::fs::write(work.join("empty"), b"").map_err(|e| e.to_string())?;
    std::fs::write(work.join("answer-yes"), b"y\n").map_err(|e| e.to_string())?;
    std::fs::write(work.join("answer-no"), b"n\n").map_err(|e| e.to_string())?;
    std::fs::create_dir_all(work.join("cfg-default")).map_err(|e| e.to_string())?;
    std::fs::write(
        work.join("cfg-default/config.json"),
        br#"{"currentContext":"default","detachKeys":"ctrl-x,x","auths":{},"statsFormat":"table {{.Name}}\t{{.PIDs}}"}"#,
    )
    .map_err(|e| e.to_string())?;
    std::fs::create_dir_all(work.join("cfg-other")).map_err(|e| e.to_string())?;
    std::fs::write(
        work.join("cfg-other/config.json"),
        br#"{"currentContext":"remote"}"#,
    )
    .map_err(|e| e.to_string())
}

#[test]
fn real_cli_and_ours_print_the_same() {
    compare_clients("client-golden", cases::FIXTURE, cases::CASES);
}

/// Runs every case of `cases` through both clients against one fresh
/// daemon, after running `fixture` once through the real CLI, and fails
/// listing each case whose outcome differs. Other test modules call it
/// with their own case tables.
pub fn compare_clients(label: &str, fixture: &[&[&str]], cases: &[Case]) {
    compare_clients_with(label, fixture, cases, &|_, _| Vec::new());
}

/// `compare_clients`, with `serve` run first: it gets the daemon and the
/// work directory (which holds rootfs.tar and busybox.tar) and starts what
/// the cases need, such as a server in the daemon's network namespace;
/// its guards end those processes when the comparison is over.
pub fn compare_clients_with(
    label: &str,
    fixture: &[&[&str]],
    cases: &[Case],
    serve: &dyn Fn(&mut TestDaemon, &Path) -> Vec<harness::ProcessGuard>,
) {
    require!(need_root());
    require!(need_docker_cli());
    require!(busybox::host_busybox().map(|_| ()));
    // Containers' cgroups below the test's own, removed with the daemon.
    let dir = TempDir::new(label);
    let cgroup_parent = format!("dockbox-golden-{}-{label}", std::process::id());
    std::fs::write(
        dir.join("daemon.json"),
        serde_json::json!({ "cgroup-parent": cgroup_parent }).to_string(),
    )
    .unwrap();
    let mut daemon = TestDaemon::start_in_dir(dir);
    let work = TempDir::new(&format!("{label}-work"));
    prepare(&work).unwrap();
    let _served = serve(&mut daemon, work.path());
    let bin = work.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let ours = bin.join("docker");
    std::os::unix::fs::symlink(harness::dockbox(), &ours).unwrap();
    let bench = Bench { daemon, work, ours };
    for args in fixture {
        bench.real(args);
    }
    let serves_images = bench
        .real(&["image", "inspect", "busybox"])
        .status
        .success();
    let mut failures = Vec::new();
    let mut skipped = 0;
    for case in cases {
        if case.uploads && !serves_images {
            skipped += 1;
            continue;
        }
        let real = bench.run(Path::new(DOCKER_CLI), "config-real", case);
        let mine = bench.run(&bench.ours, "config-ours", case);
        if real != mine {
            failures.push(format!(
                "docker {:?}\n--- real CLI: {:?}\n{}\n{}\n--- ours: {:?}\n{}\n{}",
                case.args,
                real.status,
                real.stdout,
                real.stderr,
                mine.status,
                mine.stdout,
                mine.stderr
            ));
        }
    }
    // Shims outlive the daemon: running containers go before it does.
    let listed = bench.real(&["ps", "-aq"]);
    let ids: Vec<String> = String::from_utf8_lossy(&listed.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect();
    if !ids.is_empty() {
        let mut args = vec!["rm", "-f"];
        args.extend(ids.iter().map(String::as_str));
        bench.real(&args);
    }
    if skipped > 0 {
        eprintln!("skipped: {skipped} upload cases, the daemon serves no image endpoints");
    }
    eprintln!(
        "{label}: {} cases run, {} differ",
        cases.len() - skipped,
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
