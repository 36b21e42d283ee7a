//! The local driver's `DriverOpts` (`type`, `device`, `o`), `--mount`
//! `volume-opt` and `volume-nocopy`, and tmpfs mounts, run through the real
//! CLI 28 against our daemon and Debian's dockerd 20.10 with the outputs
//! compared: `volume inspect` `Options`, what a container sees of a tmpfs
//! or bound volume, a volume unmounted once no container uses it, the
//! host directory of a bind volume surviving `volume rm`, and the errors.

use crate::daemon_run::{daemon_with_busybox, skip_unless_ready};
use crate::harness::TempDir;
use crate::harness::engine::{Engine, need_engine};
use crate::require;
use serde_json::Value;
use std::path::Path;
use std::process::Output;

/// Paths up to `/volumes/` become `<root>`, the scenario's host directory
/// `<host>`, the side's tag `TAG`, times `<time>`.
fn normalise(text: &str, tag: &str, host: &Path) -> String {
    let mut text = text
        .replace(&host.display().to_string(), "<host>")
        .replace(tag, "TAG");
    while let Some(at) = text.find("/volumes/") {
        let start = text[..at].rfind([' ', '\'', '"', ':']).map_or(0, |i| i + 1);
        text.replace_range(start..at + "/volumes/".len(), "<root>/VOLUMES/");
    }
    text
}

fn inspect_options(
    docker: &dyn Fn(&[&str]) -> Output,
    name: &str,
    tag: &str,
    host: &Path,
) -> String {
    let output = docker(&["volume", "inspect", name]);
    let mut volumes: Value = serde_json::from_slice(&output.stdout).expect("inspect JSON");
    for volume in volumes.as_array_mut().into_iter().flatten() {
        volume["CreatedAt"] = Value::String("<time>".into());
    }
    normalise(&volumes.to_string(), tag, host)
}

/// Container IDs (runs of 64 hex digits) become `<id>`.
fn without_ids(text: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        out.push_str(if run.len() == 64 { "<id>" } else { run });
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_hexdigit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Exit code, stdout and stderr of one command, normalised.
fn seen(output: &Output, tag: &str, host: &Path) -> String {
    normalise(
        &format!(
            "exit {:?}\nout: {}\nerr: {}",
            output.status.code(),
            without_ids(&String::from_utf8_lossy(&output.stdout)),
            without_ids(&String::from_utf8_lossy(&output.stderr))
        ),
        tag,
        host,
    )
}

/// moby's init layer adds `/etc/mtab`, which dockbox's rootfs lacks: left
/// out of the comparison of what fills a volume.
const LIST_ETC: &str = "ls -A /etc | sed /^mtab$/d";

fn scenario(docker: &dyn Fn(&[&str]) -> Output, tag: &str, host: &Path) -> Vec<String> {
    let record = std::cell::RefCell::new(Vec::new());
    let run = |args: &[&str]| {
        let output = docker(args);
        let shown = normalise(&format!("{args:?}"), tag, host);
        record
            .borrow_mut()
            .push(format!("{shown}\n{}", seen(&output, tag, host)));
    };
    let tmp = format!("vopt-{tag}-tmp");
    let bind = format!("vopt-{tag}-bind");
    let device = format!("device={}", host.display());
    run(&[
        "volume",
        "create",
        "--opt",
        "type=tmpfs",
        "--opt",
        "device=tmpfs",
        "--opt",
        "o=size=100m,uid=1000",
        &tmp,
    ]);
    run(&[
        "volume",
        "create",
        "--opt",
        "type=none",
        "--opt",
        "o=bind",
        "--opt",
        &device,
        &bind,
    ]);
    run(&[
        "volume",
        "create",
        "--opt",
        "foo=bar",
        &format!("vopt-{tag}-bad"),
    ]);
    // The tmpfs: its size and owner inside; data kept while a container
    // holds it, gone once none does (unmounted).
    let holder = format!("vopt-{tag}-holder");
    let at_data = format!("{tmp}:/data");
    let at_plain = format!("vopt-{tag}-plain:/plain");
    run(&[
        "run", "-d", "--name", &holder, "-v", &at_data, "-v", &at_plain, "busybox", "sleep", "300",
    ]);
    let shell = "df -k /data | awk 'NR==2{print $1, $2}'; stat -c %u /data; ls /data";
    run(&[
        "exec",
        &holder,
        "sh",
        "-c",
        "echo kept > /data/f; echo plain > /plain/g",
    ]);
    // `system df -v`: the mounted volume's size and its one user.
    let df = docker(&["system", "df", "-v"]);
    let marker = format!("vopt-{tag}-");
    let volume_lines: Vec<String> = String::from_utf8_lossy(&df.stdout)
        .lines()
        .filter(|line| line.starts_with(&marker))
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    record
        .borrow_mut()
        .push(normalise(&volume_lines.join("\n"), tag, host));
    if volume_lines.is_empty() {
        eprintln!("{tag} df: {}", seen(&df, tag, host));
    }
    run(&["run", "--rm", "-v", &at_data, "busybox", "sh", "-c", shell]);
    run(&["rm", "-f", &holder]);
    run(&["run", "--rm", "-v", &at_data, "busybox", "sh", "-c", shell]);
    // The bind: the host's files inside, the container's on the host.
    let at_bind = format!("{bind}:/data");
    run(&[
        "run",
        "--rm",
        "-v",
        &at_bind,
        "busybox",
        "sh",
        "-c",
        "cat /data/hello; echo w > /data/from-ctr",
    ]);
    record.borrow_mut().push(format!(
        "host sees: {:?}",
        std::fs::read_to_string(host.join("from-ctr")).ok()
    ));
    record
        .borrow_mut()
        .push(inspect_options(docker, &tmp, tag, host));
    record
        .borrow_mut()
        .push(inspect_options(docker, &bind, tag, host));
    run(&["volume", "rm", &tmp, &bind]);
    record.borrow_mut().push(format!(
        "host keeps: {:?}",
        std::fs::read_to_string(host.join("hello")).ok()
    ));
    // volume-opt makes the named volume with those options.
    let opt_mount = format!(
        "type=volume,src=vopt-{tag}-vo,dst=/data,volume-opt=type=tmpfs,volume-opt=device=tmpfs,volume-opt=o=size=2m"
    );
    run(&[
        "run",
        "--rm",
        "--mount",
        &opt_mount,
        "busybox",
        "sh",
        "-c",
        "df -k /data | awk 'NR==2{print $1, $2}'",
    ]);
    record.borrow_mut().push(inspect_options(
        docker,
        &format!("vopt-{tag}-vo"),
        tag,
        host,
    ));
    let bad_opt = format!("type=volume,src=vopt-{tag}-vb,dst=/data,volume-opt=foo=bar");
    run(&["create", "--mount", &bad_opt, "busybox"]);
    // A create refused for its name makes none of its volumes.
    let taken = format!("vopt-{tag}-taken");
    let unborn = format!("vopt-{tag}-unborn:/d");
    run(&["create", "--name", &taken, "busybox"]);
    run(&["create", "--name", &taken, "-v", &unborn, "busybox"]);
    run(&[
        "volume",
        "ls",
        "-q",
        "--filter",
        &format!("name=vopt-{tag}-unborn"),
    ]);
    run(&["rm", &taken]);
    // volume-nocopy leaves the volume empty; without it the image fills it.
    let nocopy = format!("type=volume,src=vopt-{tag}-nc,dst=/etc,volume-nocopy");
    run(&[
        "run", "--rm", "--mount", &nocopy, "busybox", "sh", "-c", LIST_ETC,
    ]);
    let copy = format!("type=volume,src=vopt-{tag}-cp,dst=/etc");
    run(&[
        "run", "--rm", "--mount", &copy, "busybox", "sh", "-c", LIST_ETC,
    ]);
    // A missing device fails the start with moby's words.
    let missing = format!("vopt-{tag}-missing");
    run(&[
        "volume",
        "create",
        "--opt",
        "type=none",
        "--opt",
        "o=bind",
        "--opt",
        "device=/dockbox-no-such-dir",
        &missing,
    ]);
    run(&[
        "run",
        "--rm",
        "-v",
        &format!("{missing}:/d"),
        "busybox",
        "true",
    ]);
    // tmpfs mounts: the size and mode inside, and Mounts of inspect.
    let tmpfs = format!("vopt-{tag}-tmpfs");
    run(&[
        "create",
        "--name",
        &tmpfs,
        "--mount",
        "type=tmpfs,dst=/x,tmpfs-size=1m,tmpfs-mode=1770",
        "--tmpfs",
        "/y:size=2m",
        "busybox",
        "sh",
        "-c",
        "df -k /x /y | awk 'NR>1{print $1, $2}'; stat -c %a /x",
    ]);
    run(&["start", "-a", &tmpfs]);
    run(&[
        "inspect",
        "--format",
        "{{json .Mounts}} {{json .HostConfig.Tmpfs}}",
        &tmpfs,
    ]);
    run(&["rm", &tmpfs]);
    for name in ["vo", "nc", "cp", "missing", "plain"] {
        let _ = docker(&["volume", "rm", &format!("vopt-{tag}-{name}")]);
    }
    record.into_inner()
}

fn host_dir(label: &str) -> TempDir {
    let dir = TempDir::new(&format!("vopt-{label}"));
    std::fs::write(dir.join("hello"), "from the host\n").expect("write hello");
    dir
}

#[test]
fn local_driver_options_and_tmpfs_mounts_match_dockerd_20_10() {
    require!(skip_unless_ready());
    require!(need_engine());
    let engine = Engine::shared().expect("start dockerd 20.10");
    engine.load_busybox();
    let theirs_dir = host_dir("ref");
    let reference = scenario(&|args| engine.docker(args), "ref", theirs_dir.path());
    let daemon = daemon_with_busybox("volume-opts");
    let ours_dir = host_dir("ours");
    let ours = scenario(&|args| daemon.docker(args), "ours", ours_dir.path());
    let differences: Vec<String> = ours
        .iter()
        .zip(&reference)
        .filter(|(mine, theirs)| mine != theirs)
        .map(|(mine, theirs)| format!("ours:\n{mine}\ndockerd 20.10:\n{theirs}\n"))
        .collect();
    assert!(
        differences.is_empty() && ours.len() == reference.len(),
        "{}\ndaemon log:\n{}",
        differences.join("\n"),
        daemon.log()
    );
}

fn mounted(path: &Path) -> bool {
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let wanted = path.display().to_string();
    info.lines()
        .any(|line| line.split(' ').nth(4) == Some(wanted.as_str()))
}

/// Our daemon alone: a device volume stays mounted while a container
/// holds it, across a daemon restart (SIGKILL, the container living on),
/// and is unmounted when the last holder goes; a bound host directory
/// keeps its files when the volume is removed; a refused create leaves no
/// volume directory behind.
#[test]
fn device_volumes_are_held_across_a_restart_and_never_take_the_host_dir() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("volume-opts-restart");
    let host = host_dir("held");
    let volumes = daemon.dir.join("data/volumes");
    let data = |name: &str| volumes.join(name).join("_data");
    let device = format!("device={}", host.path().display());
    let create = |daemon: &crate::daemon_support::TestDaemon, args: &[&str]| {
        let output = daemon.docker(args);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            seen(&output, "held-tag", host.path())
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    create(
        &daemon,
        &[
            "volume",
            "create",
            "--opt",
            "type=tmpfs",
            "--opt",
            "device=tmpfs",
            "tv",
        ],
    );
    create(
        &daemon,
        &[
            "volume",
            "create",
            "--opt",
            "type=none",
            "--opt",
            "o=bind",
            "--opt",
            &device,
            "bv",
        ],
    );
    assert!(
        !mounted(&data("tv")),
        "mounted before any container uses it"
    );
    create(
        &daemon,
        &[
            "run",
            "-d",
            "--name",
            "holder",
            "-v",
            "tv:/data",
            "-v",
            "bv:/bound",
            "busybox",
            "sleep",
            "300",
        ],
    );
    assert!(mounted(&data("tv")) && mounted(&data("bv")));
    create(
        &daemon,
        &["exec", "holder", "sh", "-c", "echo kept > /data/f"],
    );
    let daemon = crate::daemon_support::TestDaemon::restart_in_same_netns(daemon);
    let read = ["run", "--rm", "-v", "tv:/data", "busybox", "cat", "/data/f"];
    assert_eq!(create(&daemon, &read), "kept\n", "{}", daemon.log());
    let in_use = daemon.docker(&["volume", "rm", "bv"]);
    assert_eq!(in_use.status.code(), Some(1));
    create(&daemon, &["rm", "-f", "holder"]);
    assert!(
        !mounted(&data("tv")) && !mounted(&data("bv")),
        "{}",
        daemon.log()
    );
    create(&daemon, &["volume", "rm", "tv", "bv"]);
    assert_eq!(
        std::fs::read_to_string(host.join("hello")).ok().as_deref(),
        Some("from the host\n")
    );
    assert!(!volumes.join("bv").exists());
    create(&daemon, &["create", "--name", "taken", "busybox"]);
    let refused = daemon.docker(&[
        "create",
        "--name",
        "taken",
        "-v",
        "unborn:/d",
        "-v",
        "/anon",
        "busybox",
    ]);
    assert!(!refused.status.success());
    let left: Vec<String> = std::fs::read_dir(&volumes)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(left.is_empty(), "volume directories left: {left:?}");
    create(&daemon, &["rm", "taken"]);
}
