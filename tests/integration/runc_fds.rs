//! What the init holds while it becomes the container's process: no fd of
//! the host may serve as the working directory (the CVE-2024-21626 class,
//! `process.cwd` = `/proc/self/fd/N`), the fds are dealt with before a
//! seccomp allowlist without close_range or fcntl is loaded, and masked
//! paths are covered by the real null device only (the CVE-2025-31133
//! class). Debian's runc 1.1.5 runs alongside as a control; what it does is
//! printed, not asserted.

use crate::harness::busybox::Bundle;
use crate::harness::{TempDir, report_skip, stderr_of, stdout_of};
use crate::runc_bundle;
use crate::runc_cgroups::run_detached;
use crate::runc_support::{Runtime, output_via_files};
use serde_json::json;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// The fd numbers tried as `/proc/self/fd/N`.
const TRIED_FDS: std::ops::RangeInclusive<i32> = 3..=64;

/// `../` enough times to climb from any directory to `/`, then `path`.
fn climbing_to(path: &Path) -> String {
    format!(
        "{}{}",
        "../".repeat(24),
        path.display().to_string().trim_start_matches('/')
    )
}

/// Runs `command` with a directory of the host (`/`) open without
/// close-on-exec at `leaked`, as a careless caller (a shim, a daemon)
/// would leave one.
fn with_leaked_directory(mut command: Command, leaked: i32) -> Output {
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(move || {
            let fd = libc::open(c"/".as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY);
            if fd < 0 {
                return Err(std::io::Error::last_os_error());
            }
            if fd == leaked {
                libc::fcntl(fd, libc::F_SETFD, 0);
            } else {
                // dup2 leaves the copy without close-on-exec.
                if libc::dup2(fd, leaked) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                libc::close(fd);
            }
            Ok(())
        });
    }
    output_via_files(&mut command)
}

/// What one runtime did with a cwd of `/proc/self/fd/N` for every N: the
/// Ns whose process read or wrote the host, and how many started at all.
struct Escapes {
    read: Vec<i32>,
    written: Vec<i32>,
    started: usize,
    first_error: Option<String>,
}

impl Escapes {
    fn report(&self, runtime: &Runtime) -> String {
        format!(
            "{} read the host with N in {:?}, wrote it with N in {:?}, started {} of {}; \
             first error: {}",
            runtime.name,
            self.read,
            self.written,
            self.started,
            TRIED_FDS.count(),
            self.first_error.as_deref().unwrap_or_default().trim()
        )
    }

    fn assert_none_reached_the_host(&self, runtime: &Runtime) {
        assert!(
            self.read.is_empty() && self.written.is_empty() && self.started == 0,
            "{}",
            self.report(runtime)
        );
        let error = self.first_error.as_deref().unwrap_or_default();
        assert!(
            error.contains("/proc/self/fd/"),
            "the error names the cwd: {error}"
        );
    }
}

/// The shell script that tries to read and write the host from a cwd of
/// /proc/self/fd/N; the paths of the marker and of the file it writes.
fn escape_script(dir: &TempDir) -> (String, std::path::PathBuf) {
    let marker = dir.join("host-marker");
    let written = dir.join("written-from-container");
    std::fs::write(&marker, "HOST-SECRET\n").unwrap();
    let script = format!(
        "cat {} ; echo escaped > {} ; echo cwd=$(pwd)",
        climbing_to(&marker),
        climbing_to(&written)
    );
    (script, written)
}

/// Runs `attempt(n)` for every N with a host directory leaked at N.
fn try_every_fd(written: &Path, attempt: impl Fn(i32) -> Command) -> Escapes {
    let mut escapes = Escapes {
        read: Vec::new(),
        written: Vec::new(),
        started: 0,
        first_error: None,
    };
    for n in TRIED_FDS {
        let output = with_leaked_directory(attempt(n), n);
        let stdout = stdout_of(&output);
        if stdout.contains("HOST-SECRET") {
            escapes.read.push(n);
        }
        if written.exists() {
            escapes.written.push(n);
            std::fs::remove_file(written).unwrap();
        }
        if stdout.contains("cwd=") {
            escapes.started += 1;
        } else if escapes.first_error.is_none() {
            escapes.first_error = Some(stderr_of(&output));
        }
    }
    escapes
}

/// `runc run` of one bundle whose process.cwd is /proc/self/fd/N.
fn run_every_fd(runtime: &Runtime, bundle: &Bundle, written: &Path) -> Escapes {
    try_every_fd(written, |n| {
        bundle.edit_config(|spec| spec["process"]["cwd"] = json!(format!("/proc/self/fd/{n}")));
        // A foreground `run` deletes its container, started or not.
        runtime.command(&["run", "-b", bundle.dir.to_str().unwrap(), &format!("fd{n}")])
    })
}

#[test]
fn cwd_through_proc_self_fd_never_reaches_the_host() {
    let dir = TempDir::new("runc-fdcwd");
    let bundle = runc_bundle!(dir, &["true"]);
    let (script, written) = escape_script(&dir);
    bundle.edit_config(|spec| spec["process"]["args"] = json!(["sh", "-c", script]));
    let ours = Runtime::ours();
    run_every_fd(&ours, &bundle, &written).assert_none_reached_the_host(&ours);
    match Runtime::debian() {
        Ok(runc) => eprintln!(
            "control: {}",
            run_every_fd(&runc, &bundle, &written).report(&runc)
        ),
        Err(reason) => report_skip("cwd_through_proc_self_fd_never_reaches_the_host", &reason),
    }
}

/// `runc exec --cwd /proc/self/fd/N` into a running container.
fn exec_every_fd(runtime: &Runtime, bundle: &Bundle, script: &str, written: &Path) -> Escapes {
    let _guard = runtime.guard("fdexec");
    run_detached(runtime, bundle, "fdexec");
    try_every_fd(written, |n| {
        let cwd = format!("/proc/self/fd/{n}");
        runtime.command(&["exec", "--cwd", &cwd, "fdexec", "sh", "-c", script])
    })
}

#[test]
fn exec_cwd_through_proc_self_fd_never_reaches_the_host() {
    let dir = TempDir::new("runc-fdexec");
    let bundle = runc_bundle!(dir, &["sleep", "100"]);
    let (script, written) = escape_script(&dir);
    let ours = Runtime::ours();
    exec_every_fd(&ours, &bundle, &script, &written).assert_none_reached_the_host(&ours);
    match Runtime::debian() {
        Ok(runc) => {
            let control = exec_every_fd(&runc, &bundle, &script, &written);
            eprintln!("control: {}", control.report(&runc));
        }
        Err(reason) => report_skip(
            "exec_cwd_through_proc_self_fd_never_reaches_the_host",
            &reason,
        ),
    }
}

/// A host directory that the caller passes on (--preserve-fds) is the
/// user's to use, but not as the cwd: `run` must not make a cwd through
/// it, and where the chdir into it succeeds (`exec`), the check that
/// follows (getcwd reads `(unreachable)/`) must refuse it.
fn passed_directory_as_cwd(runtime: &Runtime, bundle: &Bundle, script: &str) -> [Output; 2] {
    let with_fd3 = |args: &str| {
        let line = format!(
            "exec {} --root {} {args} 3</",
            runtime.exe.display(),
            runtime.root.path().display(),
        );
        output_via_files(Command::new("/bin/sh").args(["-c", &line]))
    };
    bundle.edit_config(|spec| {
        spec["process"]["args"] = json!(["sh", "-c", script]);
        spec["process"]["cwd"] = json!("/proc/self/fd/3");
    });
    let bundle_dir = bundle.dir.display();
    let run = with_fd3(&format!("run --preserve-fds 1 -b {bundle_dir} passed"));
    bundle.edit_config(|spec| {
        spec["process"]["args"] = json!(["sleep", "100"]);
        spec["process"]["cwd"] = json!("/");
    });
    let _guard = runtime.guard("passed");
    run_detached(runtime, bundle, "passed");
    let exec = with_fd3(&format!(
        "exec --preserve-fds 1 --cwd /proc/self/fd/3 passed sh -c '{script}'"
    ));
    [run, exec]
}

#[test]
fn a_passed_host_directory_is_refused_as_the_cwd() {
    let dir = TempDir::new("runc-passedcwd");
    let bundle = runc_bundle!(dir, &["true"]);
    let (script, written) = escape_script(&dir);
    let ours = Runtime::ours();
    let [run, exec] = passed_directory_as_cwd(&ours, &bundle, &script);
    for output in [&run, &exec] {
        assert!(
            !stdout_of(output).contains("HOST-SECRET"),
            "{}",
            stdout_of(output)
        );
        assert!(!written.exists(), "the container wrote the host");
        assert!(!output.status.success(), "{}", stdout_of(output));
    }
    // `run` makes the cwd first, inside the root and without magic links,
    // so it stops there; `exec` makes none and stops after the chdir.
    assert!(
        stderr_of(&run).contains("/proc/self/fd/3: Too many levels of symbolic links"),
        "{}",
        stderr_of(&run)
    );
    assert!(
        stderr_of(&exec).contains("outside of the container's root ((unreachable)/)"),
        "{}",
        stderr_of(&exec)
    );
    match Runtime::debian() {
        Ok(runc) => {
            for (what, output) in ["run", "exec"]
                .iter()
                .zip(passed_directory_as_cwd(&runc, &bundle, &script))
            {
                eprintln!(
                    "control: Debian runc {what}: {}, {:?}, wrote the host: {}, {}",
                    output.status,
                    stdout_of(&output),
                    written.exists(),
                    stderr_of(&output).trim()
                );
                let _ = std::fs::remove_file(&written);
            }
        }
        Err(reason) => report_skip("a_passed_host_directory_is_refused_as_the_cwd", &reason),
    }
}

/// A missing cwd is made inside the root: one below a passed host
/// directory (`/proc/self/fd/3/made`) must not appear on the host.
#[test]
fn a_missing_cwd_is_never_made_outside_the_root() {
    let dir = TempDir::new("runc-makecwd");
    let bundle = runc_bundle!(dir, &["true"]);
    let host_dir = dir.join("host-dir");
    std::fs::create_dir(&host_dir).unwrap();
    bundle.edit_config(|spec| spec["process"]["cwd"] = json!("/proc/self/fd/3/made"));
    let attempt = |runtime: &Runtime| {
        let line = format!(
            "exec {} --root {} run --preserve-fds 1 -b {} makecwd 3<{}",
            runtime.exe.display(),
            runtime.root.path().display(),
            bundle.dir.display(),
            host_dir.display()
        );
        let output = output_via_files(Command::new("/bin/sh").args(["-c", &line]));
        let made = host_dir.join("made").exists();
        let _ = std::fs::remove_dir(host_dir.join("made"));
        (output, made)
    };
    let (output, made) = attempt(&Runtime::ours());
    assert!(
        !made,
        "the cwd was made on the host: {}",
        stderr_of(&output)
    );
    assert!(
        stderr_of(&output).contains("/proc/self/fd/3/made"),
        "{}",
        stderr_of(&output)
    );
    match Runtime::debian() {
        Ok(runc) => {
            let (output, made) = attempt(&runc);
            eprintln!(
                "control: Debian runc made the cwd on the host: {made}; {}",
                stderr_of(&output).trim()
            );
        }
        Err(reason) => report_skip("a_missing_cwd_is_never_made_outside_the_root", &reason),
    }
}

/// The init's fds and cwd, as a hook it runs sees them, into /out; the
/// pipes the init holds to the hook's own stdio are left out.
const LIST_INIT_FDS: &str = "own=\" $(readlink /proc/$$/fd/0) $(readlink /proc/$$/fd/1) \
     $(readlink /proc/$$/fd/2) \"; \
     for fd in /proc/1/fd/*; do target=$(readlink $fd); \
     case \"$own\" in *\" $target \"*) continue;; esac; \
     echo \"${fd##*/} $target\"; done > /out/fds; readlink /proc/1/cwd > /out/cwd";

/// A startContainer hook runs in the container, a child of the init, after
/// the init entered its cwd and just before it execs: it lists the init's
/// fds and cwd. The spec grants CAP_SYS_PTRACE so that the hook may read
/// the /proc entries of the (non-dumpable) init.
#[test]
fn init_holds_only_the_specs_fds_when_it_enters_the_cwd() {
    let dir = TempDir::new("runc-initfds");
    let bundle = runc_bundle!(dir, &["true"]);
    let out = dir.join("out");
    std::fs::create_dir(&out).unwrap();
    bundle.edit_config(|spec| {
        spec["process"]["cwd"] = json!("/tmp");
        spec["process"]["args"] = json!(["sh", "-c", "echo fd3 >&3"]);
        let caps = json!(["CAP_SYS_PTRACE", "CAP_DAC_OVERRIDE"]);
        for set in ["bounding", "effective", "permitted", "ambient"] {
            spec["process"]["capabilities"][set] = caps.clone();
        }
        let mounts = spec["mounts"].as_array_mut().unwrap();
        mounts.push(json!({"destination": "/out", "type": "bind",
                           "source": out.to_str().unwrap(), "options": ["rbind", "rw"]}));
        spec["hooks"] = json!({"startContainer": [{
            "path": "/bin/sh",
            "args": ["sh", "-c", LIST_INIT_FDS]
        }]});
    });
    let ours = Runtime::ours();
    let _guard = ours.guard("initfds");
    let preserved = dir.join("preserved");
    // fd 3 is preserved; fd 9, a host directory, is not.
    let script = format!(
        "exec {} --root {} run --preserve-fds 1 -b {} initfds 3>{} 9</",
        ours.exe.display(),
        ours.root.path().display(),
        bundle.dir.display(),
        preserved.display()
    );
    let output = output_via_files(std::process::Command::new("/bin/sh").args(["-c", &script]));
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(std::fs::read_to_string(&preserved).unwrap(), "fd3\n");
    assert_eq!(std::fs::read_to_string(out.join("cwd")).unwrap(), "/tmp\n");
    let listing = std::fs::read_to_string(out.join("fds")).unwrap();
    let mut fds: Vec<(i32, &str)> = listing
        .lines()
        .map(|line| {
            let (fd, target) = line.split_once(' ').unwrap();
            (fd.parse().unwrap(), target)
        })
        .collect();
    fds.sort();
    let numbers: Vec<i32> = fds.iter().map(|(fd, _)| *fd).collect();
    // stdio, the preserved fd, and the sync socket (a socket, never a
    // directory) that reports an exec failure.
    assert_eq!(numbers.len(), 5, "{listing}");
    assert_eq!(numbers[..4], [0, 1, 2, 3], "{listing}");
    assert!(fds[3].1.ends_with("/preserved"), "{listing}");
    assert!(fds[4].1.starts_with("socket:["), "{listing}");
}

/// Docker's default allowlist (its unconditional names) without the calls
/// a runtime might use to close fds.
fn allowlist_without_fd_closing() -> serde_json::Value {
    let profile: serde_json::Value = serde_json::from_str(include_str!(
        "../../src/runtime/seccomp/docker-default.json"
    ))
    .unwrap();
    let names: Vec<&str> = profile["syscalls"][0]["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|name| name.as_str().unwrap())
        .filter(|name| !matches!(*name, "close_range" | "fcntl" | "fcntl64"))
        .chain(["arch_prctl"]) // in the profile's x86-only block
        .collect();
    assert!(names.contains(&"execve") && names.len() > 300);
    json!({
        "defaultAction": "SCMP_ACT_ERRNO",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "syscalls": [{"names": names, "action": "SCMP_ACT_ALLOW"}]
    })
}

#[test]
fn seccomp_allowlist_without_close_range_or_fcntl_starts() {
    let dir = TempDir::new("runc-noclose");
    let bundle = runc_bundle!(dir, &["echo", "started"]);
    bundle.edit_config(|spec| {
        spec["linux"]["seccomp"] = allowlist_without_fd_closing();
    });
    let mut runtimes = vec![Runtime::ours()];
    match Runtime::debian() {
        Ok(runc) => runtimes.push(runc),
        Err(reason) => report_skip(
            "seccomp_allowlist_without_close_range_or_fcntl_starts",
            &reason,
        ),
    }
    for no_new_privileges in [false, true] {
        bundle.edit_config(|spec| spec["process"]["noNewPrivileges"] = json!(no_new_privileges));
        for runtime in &runtimes {
            let _guard = runtime.guard("noclose");
            let output = runtime.run(&["run", "-b", bundle.dir.to_str().unwrap(), "noclose"]);
            if runtime.name != "dockbox" {
                eprintln!(
                    "control: Debian runc, noNewPrivileges {no_new_privileges}: {:?} {}",
                    stdout_of(&output),
                    stderr_of(&output).trim()
                );
                continue;
            }
            assert_eq!(
                stdout_of(&output),
                "started\n",
                "noNewPrivileges {no_new_privileges}: {}",
                stderr_of(&output)
            );
        }
    }
}

/// A rootfs whose /dev/null is a symlink to core_pattern (with no /dev
/// tmpfs to hide it): a masked file must get the null device or the
/// container must not start; it must never get core_pattern. The
/// container writes only to /out, never to its stdio: a runtime that takes
/// that "/dev/null" for stdio (Debian's runc replaces every stdio fd whose
/// st_rdev matches, and a regular file's is 0 like core_pattern's) would
/// otherwise write the host's core_pattern.
#[test]
fn masked_paths_never_get_what_a_dev_null_symlink_names() {
    let dir = TempDir::new("runc-masknull");
    let bundle = runc_bundle!(dir, &["true"]);
    let dev = bundle.rootfs.path.join("dev");
    std::os::unix::fs::symlink("/proc/sys/kernel/core_pattern", dev.join("null")).unwrap();
    let out = dir.join("out");
    std::fs::create_dir(&out).unwrap();
    bundle.edit_config(|spec| {
        spec["process"]["args"] = json!([
            "sh",
            "-c",
            "exec > /out/result 2>&1; for f in /proc/keys /proc/timer_list; do \
             echo \"$f $(stat -L -c '%F %t:%T' $f) $(grep -c . $f)\"; done; \
             grep -E ' /proc/(keys|timer_list) ' /proc/self/mountinfo | cut -d' ' -f4,5"
        ]);
        spec["mounts"] = json!([
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/out", "type": "bind", "source": out.to_str().unwrap(),
             "options": ["rbind", "rw"]}
        ]);
        spec["linux"]["maskedPaths"] = json!(["/proc/keys", "/proc/timer_list"]);
    });
    let run = |runtime: &Runtime| {
        let _ = std::fs::remove_file(out.join("result"));
        let _guard = runtime.guard("masknull");
        let mut command = runtime.command(&["run", "-b", bundle.dir.to_str().unwrap(), "masknull"]);
        let stderr = dir.join("stderr");
        let status = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .status()
            .unwrap();
        let result = std::fs::read_to_string(out.join("result")).unwrap_or_default();
        (status, result, std::fs::read_to_string(&stderr).unwrap())
    };
    let (status, result, stderr) = run(&Runtime::ours());
    eprintln!("ours: {status}, {result:?} {}", stderr.trim());
    assert!(!result.contains("core_pattern"), "{result}");
    if status.success() {
        assert!(
            result.contains("/proc/keys character special file 1:3 0")
                && result.contains("/proc/timer_list character special file 1:3 0"),
            "{result}"
        );
    } else {
        assert!(
            stderr.contains("/dev/null") && stderr.contains("1:3"),
            "{stderr}"
        );
    }
    match Runtime::debian() {
        Ok(runc) => {
            let (status, result, stderr) = run(&runc);
            eprintln!(
                "control: Debian runc: {status}, {result:?} {}",
                stderr.trim()
            );
        }
        Err(reason) => report_skip(
            "masked_paths_never_get_what_a_dev_null_symlink_names",
            &reason,
        ),
    }
}
