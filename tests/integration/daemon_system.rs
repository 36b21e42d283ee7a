//! The system endpoints through the real Docker CLI and docker-py.

use crate::daemon_support::{TestDaemon, need_docker_cli};
use crate::harness::{self, need_root, stderr_of, stdout_of};
use crate::require;
use std::process::Command;

#[test]
fn cli_version_shows_client_and_server_at_api_1_50() {
    require!(need_root());
    require!(need_docker_cli());
    let daemon = TestDaemon::start("cli-version");
    let output = daemon.docker(&["version"]);
    let text = stdout_of(&output);
    assert!(output.status.success(), "{text}{}", stderr_of(&output));
    let (client, server) = text.split_once("\nServer:").expect("a Server section");
    assert!(client.starts_with("Client:"), "{text}");
    assert!(client.contains("API version:       1.50"), "{text}");
    assert!(
        server.contains("API version:      1.50 (minimum version 1.24)"),
        "{text}"
    );
    assert!(server.contains("Engine:"), "{text}");
    let format = daemon.docker(&[
        "version",
        "--format",
        "{{.Server.APIVersion}} {{.Server.Os}}",
    ]);
    assert_eq!(
        stdout_of(&format).trim(),
        "1.50 linux",
        "{}",
        stderr_of(&format)
    );
}

#[test]
fn cli_info_shows_the_server_section_with_true_counts() {
    require!(need_root());
    require!(need_docker_cli());
    let daemon = TestDaemon::start("cli-info");
    let output = daemon.docker(&["info"]);
    let text = stdout_of(&output);
    assert!(output.status.success(), "{text}{}", stderr_of(&output));
    assert!(
        !stderr_of(&output).contains("ERROR"),
        "{}",
        stderr_of(&output)
    );
    let server = text.split_once("\nServer:\n").expect("a Server section").1;
    assert!(server.contains(" Containers: 0\n"), "{server}");
    assert!(server.contains("  Running: 0\n"), "{server}");
    assert!(server.contains(" Images: 0\n"), "{server}");
    assert!(server.contains(" Cgroup Driver: cgroupfs\n"), "{server}");
    let root = format!(" Docker Root Dir: {}\n", daemon.dir.join("data").display());
    assert!(server.contains(&root), "{server}");
    // The cgroup version is detected, not assumed.
    let unified = nix::sys::statfs::statfs("/sys/fs/cgroup")
        .map(|fs| fs.filesystem_type() == nix::sys::statfs::CGROUP2_SUPER_MAGIC)
        .unwrap();
    let expected = format!(" Cgroup Version: {}\n", if unified { 2 } else { 1 });
    assert!(server.contains(&expected), "{server}");
    let format = daemon.docker(&[
        "info",
        "--format",
        "{{.DefaultRuntime}} {{.Driver}} {{.ExperimentalBuild}} {{len .Runtimes}}",
    ]);
    assert_eq!(stdout_of(&format).trim(), "runc overlay2 false 1");
}

/// The limits `docker info` claims, and the warnings it prints for the
/// missing ones, follow the host's cgroup interface files (a v1 or hybrid
/// host here; the VM test covers a unified one).
#[test]
fn cli_info_measures_cgroup_features_and_warns_of_missing_ones() {
    require!(need_root());
    require!(need_docker_cli());
    let root = std::path::Path::new("/sys/fs/cgroup");
    if !root.join("memory").is_dir() {
        return harness::report_skip(
            "cli_info_measures_cgroup_features",
            "no v1 memory hierarchy on this host",
        );
    }
    let daemon = TestDaemon::start("cli-info-warnings");
    let format = "{{.KernelMemoryTCP}} {{.OomKillDisable}} {{.SwapLimit}} {{json .Warnings}}";
    let output = daemon.docker(&["info", "--format", format]);
    let has = |file: &str| root.join(file).exists();
    let mut warnings = Vec::new();
    if !has("memory/memory.memsw.limit_in_bytes") {
        warnings.push("WARNING: No swap limit support");
    }
    if !has("memory/memory.kmem.tcp.limit_in_bytes") {
        warnings.push("WARNING: No kernel memory TCP limit support");
    }
    let expected = format!(
        "{} {} {} {}",
        has("memory/memory.kmem.tcp.limit_in_bytes"),
        has("memory/memory.oom_control"),
        has("memory/memory.memsw.limit_in_bytes"),
        if warnings.is_empty() {
            "null".to_string()
        } else {
            serde_json::to_string(&warnings).unwrap()
        },
    );
    assert_eq!(
        stdout_of(&output).trim(),
        expected,
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn cli_ps_prints_an_empty_table() {
    require!(need_root());
    require!(need_docker_cli());
    let daemon = TestDaemon::start("cli-ps");
    for args in [
        &["ps"][..],
        &["ps", "-a"],
        &["ps", "-a", "--filter", "status=exited"],
    ] {
        let output = daemon.docker(args);
        assert!(output.status.success(), "{args:?}: {}", stderr_of(&output));
        let lines: Vec<String> = stdout_of(&output).lines().map(str::to_string).collect();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].starts_with("CONTAINER ID   IMAGE"), "{lines:?}");
    }
    let images = daemon.docker(&["images"]);
    assert!(images.status.success(), "{}", stderr_of(&images));
    assert_eq!(
        stdout_of(&images).lines().count(),
        1,
        "{}",
        stdout_of(&images)
    );
    // A bad filter is the client's fault, not a crash.
    let bad = daemon.docker(&["ps", "--filter", "colour=red"]);
    assert!(!bad.status.success());
    assert!(
        stderr_of(&bad).contains("invalid filter 'colour'"),
        "{}",
        stderr_of(&bad)
    );
}

#[test]
fn cli_inspect_of_an_unknown_name_says_no_such_object() {
    require!(need_root());
    require!(need_docker_cli());
    let daemon = TestDaemon::start("cli-inspect");
    let output = daemon.docker(&["inspect", "nosuch"]);
    assert!(!output.status.success());
    assert!(
        stderr_of(&output).contains("No such object: nosuch"),
        "{}",
        stderr_of(&output)
    );
    // Every lookup was a 404; the daemon is still up.
    assert!(daemon.docker(&["version"]).status.success());
}

#[test]
fn docker_py_pings_and_negotiates() {
    require!(need_root());
    let probe = harness::run(Command::new("python3").args(["-c", "import docker"]));
    require!(if probe.status.success() {
        Ok(())
    } else {
        Err("docker-py is not importable".to_string())
    });
    let daemon = TestDaemon::start("docker-py");
    let script = format!(
        "import docker\n\
         c = docker.DockerClient(base_url='{}')\n\
         print(c.ping(), c.version()['ApiVersion'])\n\
         print(c.info()['ExperimentalBuild'], c.containers.list(all=True), c.images.list())\n",
        daemon.host()
    );
    let output = harness::run(Command::new("python3").args(["-c", &script]));
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(stdout_of(&output), "True 1.50\nFalse [] []\n");
}

#[test]
fn cli_with_a_pinned_old_api_version_gets_mobys_error() {
    require!(need_root());
    require!(need_docker_cli());
    let daemon = TestDaemon::start("cli-old-api");
    let config = daemon.dir.join("cli-config");
    std::fs::create_dir_all(&config).unwrap();
    let run = |version: &str| {
        harness::run(
            Command::new(crate::daemon_support::DOCKER_CLI)
                .args(["version", "--format", "{{.Server.APIVersion}}"])
                .env("DOCKER_HOST", daemon.host())
                .env("DOCKER_CONFIG", &config)
                .env("DOCKER_API_VERSION", version),
        )
    };
    let old = run("1.23");
    assert!(!old.status.success());
    assert!(
        stderr_of(&old).contains(
            "Error response from daemon: client version 1.23 is too old. Minimum supported API version is 1.24"
        ),
        "{}",
        stderr_of(&old)
    );
    let oldest = run("1.24");
    assert!(oldest.status.success(), "{}", stderr_of(&oldest));
    assert_eq!(stdout_of(&oldest).trim(), "1.50");
}
