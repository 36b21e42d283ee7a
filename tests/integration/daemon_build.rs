//! `docker build` with the classic builder (`DOCKER_BUILDKIT=0`): the
//! real Docker CLI 28 against our daemon and against Debian's dockerd
//! 20.10, with the build output, the exit codes, the built images'
//! config and history and what their containers see compared after
//! normalising IDs.

use crate::daemon_run::{daemon_with_busybox, skip_unless_ready};
use crate::daemon_support::DOCKER_CLI;
use crate::harness::engine::{Engine, need_engine};
use crate::harness::{TempDir, normalise, text};
use crate::require;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Runs the CLI with `args` in `dir`, stdin from `stdin` (if any).
type Cli<'a> = &'a dyn Fn(&[&str], &Path, Option<&[u8]>) -> Output;

fn run(mut command: Command, args: &[&str], dir: &Path, stdin: Option<&[u8]>) -> Output {
    command
        .args(args)
        .current_dir(dir)
        .env("DOCKER_BUILDKIT", "0")
        .env_remove("DOCKER_API_VERSION")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("run docker");
    if let Some(input) = stdin {
        use std::io::Write;
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(input).unwrap();
    }
    child.wait_with_output().expect("wait for docker")
}

fn shown(output: &Output, tag: &str) -> String {
    normalise(
        &format!(
            "exit {:?}\n--stdout--\n{}--stderr--\n{}",
            output.status.code(),
            text(&output.stdout),
            text(&output.stderr)
        ),
        tag,
    )
}

fn must(cli: Cli<'_>, args: &[&str], dir: &Path) -> String {
    let output = cli(args, dir, None);
    assert!(
        output.status.success(),
        "{args:?}: {}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

fn write(dir: &Path, name: &str, content: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

const SINGLE: &str = "FROM busybox
ENV GREETING=hello
WORKDIR /app
COPY hello.txt .
COPY dir/ /data/
RUN echo built > /app/built && cat hello.txt
LABEL purpose=test
EXPOSE 8080
USER 1000
HEALTHCHECK --interval=5s --retries=3 CMD true
CMD [\"sh\", \"-c\", \"cat /app/hello.txt /app/built; echo $GREETING; pwd; id -u; stat -c '%n %a %u %g %s' /data/a /data/sub /data/sub/b\"]
";

/// A single-stage build, the image it makes, a second build all from
/// the cache, and `--no-cache`.
fn single_stage(cli: Cli<'_>, tag: &str) -> Vec<String> {
    let dir_guard = TempDir::new("build-single");
    let dir = dir_guard.path();
    write(dir, "Dockerfile", SINGLE);
    write(dir, "hello.txt", "hello from the context\n");
    write(dir, "dir/a", "a\n");
    write(dir, "dir/sub/b", "b\n");
    let image = format!("build18-{tag}:single");
    let mut seen = Vec::new();
    let first = cli(&["build", "-t", &image, "."], dir, None);
    seen.push(shown(&first, tag));
    seen.push(must(cli, &["run", "--rm", &image], dir));
    let format = "{{json .Config.Env}} {{.Config.WorkingDir}} {{.Config.User}} \
                  {{json .Config.Healthcheck.Test}} {{json .Config.Healthcheck.Interval}} {{.Config.Healthcheck.Retries}} {{json .Config.Labels}} \
                  {{json .Config.ExposedPorts}} {{json .Config.Cmd}} {{len .RootFS.Layers}}";
    seen.push(must(cli, &["inspect", "-f", format, &image], dir));
    let history = must(
        cli,
        &[
            "history",
            "--no-trunc",
            "--format",
            "{{.CreatedBy}}|{{.Size}}",
            &image,
        ],
        dir,
    );
    seen.push(normalise(&history, tag));
    let again = cli(&["build", "-t", &image, "."], dir, None);
    seen.push(shown(&again, tag));
    let fresh = cli(&["build", "--no-cache", "-q", "."], dir, None);
    seen.push(shown(&fresh, tag));
    seen
}

/// A failing RUN: Docker's message and the command's exit code; the
/// container kept (rm keeps a failed step's container).
fn failing_run(cli: Cli<'_>, tag: &str) -> Vec<String> {
    let dir_guard = TempDir::new("build-fail");
    let dir = dir_guard.path();
    write(
        dir,
        "Dockerfile",
        "FROM busybox\nRUN echo before\nRUN exit 3\nRUN echo never\n",
    );
    let failed = cli(&["build", "."], dir, None);
    let mut seen = vec![shown(&failed, tag)];
    let forced = cli(&["build", "--force-rm", "-f", "Dockerfile", "."], dir, None);
    seen.push(shown(&forced, tag));
    seen
}

/// ARG before FROM, two stages, COPY --from by name and by index,
/// build args (one unused) and --target.
fn multi_stage(cli: Cli<'_>, tag: &str) -> Vec<String> {
    let dir_guard = TempDir::new("build-multi");
    let dir = dir_guard.path();
    write(
        dir,
        "Dockerfile",
        "ARG BASE=busybox\nFROM $BASE AS maker\nARG WHO=nobody\n\
         RUN mkdir /out && echo made by $WHO > /out/result\n\
         FROM ${BASE}\nCOPY --from=maker /out/result /result\nCOPY --from=0 /out /out2\n\
         CMD cat /result /out2/result\n",
    );
    let image = format!("build18-{tag}:multi");
    let built = cli(
        &[
            "build",
            "--build-arg",
            "WHO=me",
            "--build-arg",
            "UNUSED=1",
            "--label",
            "from.cli=yes",
            "-t",
            &image,
            ".",
        ],
        dir,
        None,
    );
    let mut seen = vec![shown(&built, tag)];
    seen.push(must(cli, &["run", "--rm", &image], dir));
    seen.push(must(
        cli,
        &["inspect", "-f", "{{json .Config.Labels}}", &image],
        dir,
    ));
    std::fs::create_dir_all(dir.join("scratch")).unwrap();
    std::fs::write(
        dir.join("scratch/Dockerfile"),
        format!("FROM scratch\nCOPY --from={image} /result /\nLABEL kind=scratch\n"),
    )
    .unwrap();
    let scratch = format!("build18-{tag}:scratch");
    let from_scratch = cli(&["build", "-t", &scratch, "scratch"], dir, None);
    seen.push(shown(&from_scratch, tag));
    seen.push(must(
        cli,
        &[
            "inspect",
            "-f",
            "{{len .RootFS.Layers}} {{json .Config.Labels}}",
            &scratch,
        ],
        dir,
    ));
    let history = must(
        cli,
        &[
            "history",
            "--no-trunc",
            "--format",
            "{{.CreatedBy}}|{{.Size}}",
            &scratch,
        ],
        dir,
    );
    seen.push(normalise(&history, tag));
    // Metadata alone on scratch (docker-py's test_build_with_buildargs):
    // an image with no layer. Only the result is compared: moby also
    // prints Running in/Removing lines for these steps, we do not.
    // `json .RootFS`, not `len .RootFS.Layers`: moby omits the empty list,
    // and our client's templates, which read the JSON as it came, fail on
    // the missing key where the Go CLI's typed struct has a nil slice.
    std::fs::create_dir_all(dir.join("meta")).unwrap();
    std::fs::write(
        dir.join("meta/Dockerfile"),
        "FROM scratch\nARG test\nUSER $test\nLABEL kind=meta\n",
    )
    .unwrap();
    let meta = format!("build18-{tag}:meta");
    let built_meta = cli(
        &["build", "--build-arg", "test=OK", "-t", &meta, "meta"],
        dir,
        None,
    );
    seen.push(format!("meta build exit {:?}", built_meta.status.code()));
    seen.push(must(
        cli,
        &[
            "inspect",
            "-f",
            "{{json .RootFS}} {{.Config.User}} {{json .Config.Labels}}",
            &meta,
        ],
        dir,
    ));
    let target = format!("build18-{tag}:maker");
    let stage = cli(
        &["build", "--target", "maker", "-t", &target, "."],
        dir,
        None,
    );
    seen.push(shown(&stage, tag));
    seen.push(must(
        cli,
        &["run", "--rm", &target, "cat", "/out/result"],
        dir,
    ));
    seen
}

/// `.dockerignore` with `**` and `!`, and ADD of a local .tar.gz.
fn ignore_and_add(cli: Cli<'_>, tag: &str) -> Vec<String> {
    let dir_guard = TempDir::new("build-ignore");
    let dir = dir_guard.path();
    write(
        dir,
        "Dockerfile",
        "FROM busybox\nCOPY . /ctx/\nADD bundle.tar.gz /unpacked/\n\
         CMD find /ctx /unpacked | sort\n",
    );
    write(dir, ".dockerignore", "**/*.log\n!keep.log\nsecret\n");
    write(dir, "a.log", "x");
    write(dir, "deep/er/b.log", "x");
    write(dir, "keep.log", "kept");
    write(dir, "secret/key", "hidden");
    write(dir, "deep/er/file", "f");
    let tree_guard = TempDir::new("build-bundle");
    let tree = tree_guard.path();
    write(tree, "bundle/inner.txt", "inside the tarball\n");
    let made = Command::new("tar")
        .arg("czf")
        .arg(dir.join("bundle.tar.gz"))
        .arg("-C")
        .arg(tree)
        .arg("bundle")
        .status()
        .expect("run tar");
    assert!(made.success());
    let image = format!("build18-{tag}:ignore");
    let built = cli(&["build", "-t", &image, "."], dir, None);
    let mut seen = vec![shown(&built, tag)];
    seen.push(must(cli, &["run", "--rm", &image], dir));
    seen
}

/// A context whose symlink points out of it, and a tar context with a
/// `..` name: nothing from outside the context is copied.
fn hostile(cli: Cli<'_>, tag: &str) -> Vec<String> {
    let dir_guard = TempDir::new("build-hostile");
    let dir = dir_guard.path();
    write(dir, "Dockerfile", "FROM busybox\nCOPY link /copied\n");
    std::os::unix::fs::symlink("/etc/hostname", dir.join("link")).unwrap();
    let image = format!("build18-{tag}:hostile");
    let linked = cli(&["build", "-t", &image, "."], dir, None);
    let mut seen = vec![shown(&linked, tag)];
    let mut archive = tar::Builder::new(Vec::new());
    let dockerfile = b"FROM busybox\nCOPY . /ctx/\nRUN find /ctx | sort\n";
    let mut header = tar::Header::new_gnu();
    header.set_size(dockerfile.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    archive
        .append_data(&mut header, "Dockerfile", &dockerfile[..])
        .unwrap();
    let mut evil = tar::Header::new_old();
    let name = b"../../escaped";
    evil.as_old_mut().name[..name.len()].copy_from_slice(name);
    evil.set_size(3);
    evil.set_mode(0o644);
    evil.set_cksum();
    archive.append(&evil, &b"bad"[..]).unwrap();
    let bytes = archive.into_inner().unwrap();
    let piped = cli(&["build", "-"], dir, Some(&bytes));
    seen.push(shown(&piped, tag));
    seen.push(format!(
        "escaped file present: {}",
        Path::new("/escaped").exists() || dir.join("../escaped").exists()
    ));
    seen
}

/// A Dockerfile on stdin (alone, and with `-f -` beside a context
/// directory), `--iidfile`, and a missing Dockerfile.
fn stdin_and_iidfile(cli: Cli<'_>, tag: &str) -> Vec<String> {
    let dir_guard = TempDir::new("build-stdin");
    let dir = dir_guard.path();
    write(dir, "data.txt", "data\n");
    let alone = cli(
        &["build", "-"],
        dir,
        Some(b"FROM busybox\nRUN echo from stdin\n"),
    );
    let mut seen = vec![shown(&alone, tag)];
    let iid = dir.join("iid");
    let beside = cli(
        &["build", "-f", "-", "--iidfile", iid.to_str().unwrap(), "."],
        dir,
        Some(b"FROM busybox\nCOPY data.txt /\nRUN cat /data.txt\n"),
    );
    seen.push(shown(&beside, tag));
    let written = std::fs::read_to_string(&iid).unwrap_or_default();
    seen.push(format!(
        "iidfile: {} chars, sha256: {}",
        written.len(),
        written.starts_with("sha256:")
    ));
    let missing = cli(&["build", "-f", "Nope", "."], dir, None);
    seen.push(format!("exit {:?}", missing.status.code()));
    seen
}

fn scenario(cli: Cli<'_>, tag: &str) -> Vec<String> {
    let mut seen = single_stage(cli, tag);
    seen.extend(stdin_and_iidfile(cli, tag));
    seen.extend(failing_run(cli, tag));
    seen.extend(multi_stage(cli, tag));
    seen.extend(ignore_and_add(cli, tag));
    seen.extend(hostile(cli, tag));
    seen
}

/// The JSON stream of `POST /build` as it comes off the wire (curl on
/// the daemon's socket): ONBUILD triggers, `COPY --chown`, the aux ID,
/// `q` and a failing step's error with its code. Each RUN writes its
/// output at once, since how a process's writes split into messages
/// depends on timing.
fn raw_stream(socket: &Path, cli: Cli<'_>, tag: &str) -> Vec<String> {
    let dir_guard = TempDir::new("build-raw");
    let dir = dir_guard.path();
    let base = format!("build18-{tag}:onbuild");
    write(
        dir,
        "base/Dockerfile",
        "FROM busybox\nONBUILD RUN echo triggered > /t\nONBUILD ENV FROM_TRIGGER=1\n",
    );
    must(cli, &["build", "-q", "-t", &base, "base"], dir);
    let mut archive = tar::Builder::new(Vec::new());
    let dockerfile = format!(
        "FROM {base}\nCOPY --chown=1000:1001 f /f\nCOPY --chown=nobody:nogroup f /g\nRUN echo \"$(stat -c '%u %g' /f /g | tr '\\n' ' ') $(cat /t) $FROM_TRIGGER\"\nRUN exit 7\n"
    );
    for (name, content) in [("Dockerfile", dockerfile.as_bytes()), ("f", b"file\n")] {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        archive.append_data(&mut header, name, content).unwrap();
    }
    let tar_path = dir.join("context.tar");
    std::fs::write(&tar_path, archive.into_inner().unwrap()).unwrap();
    let mut seen = Vec::new();
    for query in [
        "t=build18-raw:1",
        "t=build18-raw:1&q=1",
        "t=build18-raw:1&forcerm=1",
    ] {
        let output = Command::new("curl")
            .args(["-s", "--unix-socket"])
            .arg(socket)
            .args(["-H", "Content-Type: application/x-tar", "--data-binary"])
            .arg(format!("@{}", tar_path.display()))
            .arg(format!("http://localhost/v1.41/build?{query}"))
            .output()
            .expect("run curl");
        seen.push(normalise(&text(&output.stdout), tag));
    }
    // A RUN that writes to stderr: moby marks it in red in the stream.
    let good = b"FROM busybox\nLABEL a=b\nRUN echo to-stderr >&2\n";
    let mut archive = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(good.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    archive
        .append_data(&mut header, "Dockerfile", &good[..])
        .unwrap();
    std::fs::write(&tar_path, archive.into_inner().unwrap()).unwrap();
    let output = Command::new("curl")
        .args(["-s", "--unix-socket"])
        .arg(socket)
        .args(["--data-binary"])
        .arg(format!("@{}", tar_path.display()))
        .arg("http://localhost/v1.41/build?t=build18-raw:2&nocache=1")
        .output()
        .expect("run curl");
    seen.push(normalise(&text(&output.stdout), tag));
    seen
}

fn compare(mine: &[String], theirs: &[String], log: &str) {
    let differing: Vec<String> = mine
        .iter()
        .zip(theirs)
        .enumerate()
        .filter(|(_, (mine, theirs))| mine != theirs)
        .map(|(index, (mine, theirs))| {
            format!("item {index}:\nours:\n{mine}\nreference:\n{theirs}")
        })
        .collect();
    assert!(
        differing.is_empty() && mine.len() == theirs.len(),
        "{}\ndaemon log:\n{log}",
        differing.join("\n\n"),
    );
}

/// The real CLI against one of our daemons.
fn real_cli(
    daemon: &crate::daemon_support::TestDaemon,
) -> impl Fn(&[&str], &Path, Option<&[u8]>) -> Output + '_ {
    let config = daemon.dir.join("cli-config");
    std::fs::create_dir_all(&config).unwrap();
    move |args, dir, stdin| {
        let mut command = Command::new(DOCKER_CLI);
        command
            .env("DOCKER_HOST", daemon.host())
            .env("DOCKER_CONFIG", &config)
            .env_remove("DOCKER_CONTEXT");
        run(command, args, dir, stdin)
    }
}

/// Our client, run as the real one is (same environment).
#[test]
fn our_client_builds_as_the_real_cli() {
    require!(skip_unless_ready());
    let reference = daemon_with_busybox("build-real-cli");
    let theirs = scenario(&real_cli(&reference), "ours");
    drop(reference);
    let daemon = daemon_with_busybox("build-our-cli");
    let config = daemon.dir.join("cli-config-ours");
    std::fs::create_dir_all(&config).unwrap();
    let ours = |args: &[&str], dir: &Path, stdin: Option<&[u8]>| {
        let mut command = Command::new(crate::harness::dockbox());
        command
            .arg("docker")
            .env("DOCKER_HOST", daemon.host())
            .env("DOCKER_CONFIG", &config)
            .env_remove("DOCKER_CONTEXT");
        run(command, args, dir, stdin)
    };
    let mine = scenario(&ours, "ours");
    compare(&mine, &theirs, &daemon.log());
}

#[test]
fn classic_builds_match_dockerd_20_10() {
    require!(skip_unless_ready());
    require!(need_engine());
    let engine = Engine::shared().expect("start dockerd 20.10");
    engine.load_busybox();
    let theirs = scenario(
        &|args, dir, stdin| run(engine.cli(), args, dir, stdin),
        "dockerd",
    );
    let theirs_raw = raw_stream(
        &engine.dir().join("docker.sock"),
        &|args, dir, stdin| run(engine.cli(), args, dir, stdin),
        "dockerd",
    );
    let daemon = daemon_with_busybox("build");
    let mine = scenario(&real_cli(&daemon), "ours");
    compare(&mine, &theirs, &daemon.log());
    let mine_raw = raw_stream(&daemon.socket, &real_cli(&daemon), "ours");
    compare(&mine_raw, &theirs_raw, &daemon.log());
}
