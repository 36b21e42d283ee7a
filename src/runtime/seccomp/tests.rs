//! Seccomp tests: the stacked filters' combined verdict against an
//! independent reading of the profile, and enforcement on busybox.

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use oci_spec::runtime::{LinuxSeccomp, LinuxSeccompAction, LinuxSeccompOperator};

use super::docker::docker_default_for;
use super::*;

const RET_ALLOW: u32 = 0x7fff_0000;
const RET_ERRNO: u32 = 0x0005_0000;
const RET_KILL_THREAD: u32 = 0;
const RET_KILL_PROCESS: u32 = 0x8000_0000;
const RET_TRAP: u32 = 0x0003_0000;
const RET_LOG: u32 = 0x7ffc_0000;
const RET_TRACE: u32 = 0x7ff0_0000;

fn profile(json: serde_json::Value) -> LinuxSeccomp {
    serde_json::from_value(json).expect("test profile parses")
}

/// The verdict the profile means, read directly from the OCI rules as runc
/// and libseccomp apply them.
fn expected(profile: &LinuxSeccomp, arch: SeccompArch, name: &str, args: [u64; 6]) -> u32 {
    let ret = |action: LinuxSeccompAction, errno: Option<u32>| match action {
        LinuxSeccompAction::ScmpActKill | LinuxSeccompAction::ScmpActKillThread => RET_KILL_THREAD,
        LinuxSeccompAction::ScmpActKillProcess => RET_KILL_PROCESS,
        LinuxSeccompAction::ScmpActTrap => RET_TRAP,
        LinuxSeccompAction::ScmpActErrno => RET_ERRNO | errno.unwrap_or(1),
        LinuxSeccompAction::ScmpActTrace => RET_TRACE | errno.unwrap_or(1),
        LinuxSeccompAction::ScmpActLog => RET_LOG,
        LinuxSeccompAction::ScmpActAllow => RET_ALLOW,
        LinuxSeccompAction::ScmpActNotify => unreachable!(),
    };
    let default = ret(profile.default_action(), profile.default_errno_ret());
    if let Some(nr) = arch.syscall_number(name)
        && newer_than_the_profile(profile, arch, nr)
    {
        return RET_ERRNO | libc::ENOSYS as u32;
    }
    let mut verdict: Option<u32> = None;
    for rule in profile.syscalls().iter().flatten() {
        if !rule.names().iter().any(|n| n == name) || arch.syscall_number(name).is_none() {
            continue;
        }
        let action = ret(rule.action(), rule.errno_ret());
        if action == default {
            continue;
        }
        let conditions = rule.args().clone().unwrap_or_default();
        let holds = |c: &oci_spec::runtime::LinuxSeccompArg| {
            let a = args[c.index()];
            match c.op() {
                LinuxSeccompOperator::ScmpCmpNe => a != c.value(),
                LinuxSeccompOperator::ScmpCmpLt => a < c.value(),
                LinuxSeccompOperator::ScmpCmpLe => a <= c.value(),
                LinuxSeccompOperator::ScmpCmpEq => a == c.value(),
                LinuxSeccompOperator::ScmpCmpGe => a >= c.value(),
                LinuxSeccompOperator::ScmpCmpGt => a > c.value(),
                LinuxSeccompOperator::ScmpCmpMaskedEq => {
                    a & c.value() == c.value_two().unwrap_or(0)
                }
            }
        };
        let mut indexes: Vec<usize> = conditions.iter().map(|c| c.index()).collect();
        indexes.sort();
        let repeated = indexes.windows(2).any(|w| w[0] == w[1]);
        let matched = conditions.is_empty()
            || if repeated {
                conditions.iter().any(holds)
            } else {
                conditions.iter().all(holds)
            };
        if matched {
            let stricter = |x: u32, y: u32| ((x & 0xffff_0000) as i32) < ((y & 0xffff_0000) as i32);
            verdict = Some(match verdict {
                Some(v) if !stricter(action, v) => v,
                _ => action,
            });
        }
    }
    verdict.unwrap_or(default)
}

/// runc 1.1.5's ENOSYS rule: with a default that is not ALLOW, LOG or
/// TRACE, a syscall numbered above every one the profile names for a
/// listed architecture answers ENOSYS.
fn newer_than_the_profile(profile: &LinuxSeccomp, arch: SeccompArch, nr: i64) -> bool {
    let lets_through = matches!(
        profile.default_action(),
        LinuxSeccompAction::ScmpActAllow
            | LinuxSeccompAction::ScmpActLog
            | LinuxSeccompAction::ScmpActTrace
    );
    let listed = profile
        .architectures()
        .iter()
        .flatten()
        .any(|a| a.to_string() == arch.oci_name());
    let newest = profile
        .syscalls()
        .iter()
        .flatten()
        .flat_map(|rule| rule.names())
        .filter_map(|name| arch.syscall_number(name))
        .max();
    !lets_through && listed && newest.is_some_and(|newest| nr > newest)
}

/// Argument vectors around every value the profile compares with.
fn probe_args(profile: &LinuxSeccomp, name: &str) -> Vec<[u64; 6]> {
    let mut pools: Vec<Vec<u64>> = vec![vec![0, 1, u64::MAX, 0xffff_ffff, 1 << 32]; 6];
    for rule in profile.syscalls().iter().flatten() {
        if !rule.names().iter().any(|n| n == name) {
            continue;
        }
        for c in rule.args().iter().flatten() {
            let pool = &mut pools[c.index()];
            let v = c.value();
            pool.extend([v, v.wrapping_add(1), v.wrapping_sub(1), v | (1 << 40)]);
            if let Some(two) = c.value_two() {
                pool.extend([two, two | !v, two ^ (v & v.wrapping_neg())]);
            }
        }
    }
    let mut probes = vec![[0u64; 6]];
    for (index, pool) in pools.iter().enumerate() {
        for value in pool {
            let mut args = [0u64; 6];
            args[index] = *value;
            probes.push(args);
        }
    }
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..64 {
        let mut args = [0u64; 6];
        for (index, pool) in pools.iter().enumerate() {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            args[index] = pool[(seed >> 33) as usize % pool.len()];
        }
        probes.push(args);
    }
    probes
}

fn assert_same_verdicts(profile: &LinuxSeccomp, arch: SeccompArch) {
    let compiled = compile_for(profile, arch).expect("profile compiles");
    assert_same_verdicts_via(profile, &compiled, arch);
}

/// Every syscall of `arch`'s ABI, with probing arguments, through `compiled`.
fn assert_same_verdicts_via(profile: &LinuxSeccomp, compiled: &CompiledSeccomp, arch: SeccompArch) {
    for (name, nr) in arch.all_syscalls() {
        for args in probe_args(profile, name) {
            let want = expected(profile, arch, name, args);
            let got = compiled.verdict_for(arch, nr, args);
            assert_eq!(
                got,
                Some(want),
                "{arch:?} {name} args {args:x?}: stack gives {got:x?}, profile says {want:#x}"
            );
        }
    }
}

fn default_caps() -> Vec<String> {
    [
        "CAP_CHOWN",
        "CAP_DAC_OVERRIDE",
        "CAP_FSETID",
        "CAP_FOWNER",
        "CAP_MKNOD",
        "CAP_NET_RAW",
        "CAP_SETGID",
        "CAP_SETUID",
        "CAP_SETFCAP",
        "CAP_SETPCAP",
        "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT",
        "CAP_KILL",
        "CAP_AUDIT_WRITE",
    ]
    .map(String::from)
    .to_vec()
}

#[test]
fn docker_default_stack_matches_profile_on_every_syscall() {
    for arch in [SeccompArch::X86_64, SeccompArch::Aarch64] {
        for caps in [default_caps(), vec!["CAP_SYS_ADMIN".to_string()]] {
            let oci = docker_default_for(&caps, arch, (6, 1)).unwrap();
            assert_same_verdicts(&oci, arch);
            if arch == SeccompArch::X86_64 {
                // The profile lists SCMP_ARCH_X86: i386 calls get the same rules.
                let compiled = compile_for(&oci, arch).unwrap();
                assert_same_verdicts_via(&oci, &compiled, SeccompArch::X86);
            }
        }
    }
}

#[test]
fn foreign_and_x32_calls_are_killed() {
    let arch = SeccompArch::X86_64;
    let with_i386 = profile(serde_json::json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
        "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]
    }));
    let native_only = profile(serde_json::json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]
    }));
    let read = arch.syscall_number("read").unwrap();
    let i386_mkdir = SeccompArch::X86.syscall_number("mkdir").unwrap();
    let both = compile_for(&with_i386, arch).unwrap();
    let one = compile_for(&native_only, arch).unwrap();
    assert_eq!(
        both.verdict_for(SeccompArch::X86, i386_mkdir, [0; 6]),
        Some(RET_ERRNO | 1)
    );
    assert_eq!(
        both.verdict_for(SeccompArch::X86, 3, [0; 6]),
        Some(RET_ALLOW)
    );
    assert_eq!(
        one.verdict_for(SeccompArch::X86, 3, [0; 6]),
        Some(RET_KILL_PROCESS)
    );
    for compiled in [&both, &one] {
        assert_eq!(compiled.verdict(read, [0; 6]), Some(RET_ALLOW));
        assert_eq!(
            compiled.verdict(read | 0x4000_0000, [0; 6]),
            Some(RET_KILL_PROCESS)
        );
        assert_eq!(
            compiled.verdict_for(SeccompArch::Aarch64, read, [0; 6]),
            Some(RET_KILL_PROCESS)
        );
    }
    let bytes = both.to_bytes();
    assert_eq!(CompiledSeccomp::from_bytes(&bytes).unwrap(), both);
}

#[test]
fn docker_default_conversion_follows_includes_and_excludes() {
    let arch = SeccompArch::X86_64;
    let plain = compile_for(
        &docker_default_for(&default_caps(), arch, (6, 1)).unwrap(),
        arch,
    )
    .unwrap();
    let nr = |n: &str| arch.syscall_number(n).unwrap();
    // clone3 answers ENOSYS so libc falls back to clone, whose namespace
    // flags the MASKED_EQ rule refuses.
    assert_eq!(plain.verdict(nr("clone3"), [0; 6]), Some(RET_ERRNO | 38));
    assert_eq!(
        plain.verdict(nr("clone"), [0x11, 0, 0, 0, 0, 0]),
        Some(RET_ALLOW)
    );
    let newns = libc::CLONE_NEWNS as u64;
    assert_eq!(
        plain.verdict(nr("clone"), [newns, 0, 0, 0, 0, 0]),
        Some(RET_ERRNO | 1)
    );
    assert_eq!(plain.verdict(nr("unshare"), [0; 6]), Some(RET_ERRNO | 1));
    assert_eq!(plain.verdict(nr("mount"), [0; 6]), Some(RET_ERRNO | 1));
    assert_eq!(plain.verdict(nr("arch_prctl"), [0; 6]), Some(RET_ALLOW));
    assert_eq!(
        plain.verdict(nr("socket"), [40, 0, 0, 0, 0, 0]),
        Some(RET_ERRNO | 1)
    );
    assert_eq!(
        plain.verdict(nr("socket"), [2, 0, 0, 0, 0, 0]),
        Some(RET_ALLOW)
    );
    assert_eq!(plain.verdict(nr("ptrace"), [0; 6]), Some(RET_ALLOW)); // minKernel 4.8
    let admin = vec!["CAP_SYS_ADMIN".to_string()];
    let admin = compile_for(&docker_default_for(&admin, arch, (6, 1)).unwrap(), arch).unwrap();
    assert_eq!(admin.verdict(nr("clone3"), [0; 6]), Some(RET_ALLOW));
    assert_eq!(admin.verdict(nr("mount"), [0; 6]), Some(RET_ALLOW));
    let old_kernel = docker_default_for(&default_caps(), arch, (4, 4)).unwrap();
    let old_kernel = compile_for(&old_kernel, arch).unwrap();
    assert_eq!(
        old_kernel.verdict(nr("ptrace"), [0; 6]),
        Some(RET_ERRNO | 1)
    );
    // aarch64 gets the arm rules and not the x86 ones.
    let arm = SeccompArch::Aarch64;
    let arm_profile = docker_default_for(&default_caps(), arm, (6, 1)).unwrap();
    let names: Vec<&String> = arm_profile
        .syscalls()
        .iter()
        .flatten()
        .flat_map(|s| s.names())
        .collect();
    assert!(names.iter().any(|n| *n == "set_tls"));
    assert!(!names.iter().any(|n| *n == "arch_prctl"));
}

#[test]
fn stacked_filters_keep_each_errno_and_masked_eq() {
    let p = profile(serde_json::json!({
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": 13,
        "syscalls": [
            {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
            {"names": ["rmdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
            {"names": ["rmdir"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 4096, "op": "SCMP_CMP_EQ"}]},
            {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 0x7e020000u64, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
            {"names": ["ioctl"], "action": "SCMP_ACT_ERRNO", "errnoRet": 25,
             "args": [{"index": 1, "value": 0xff00, "valueTwo": 0x5400, "op": "SCMP_CMP_MASKED_EQ"},
                      {"index": 0, "value": 2, "op": "SCMP_CMP_LE"}]},
            {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"},
                      {"index": 0, "value": 0xffffffffu64, "op": "SCMP_CMP_EQ"}]},
            {"names": ["kill"], "action": "SCMP_ACT_KILL_PROCESS"},
            {"names": ["getpid"], "action": "SCMP_ACT_LOG"},
            {"names": ["getppid"], "action": "SCMP_ACT_TRAP"},
            {"names": ["getuid"], "action": "SCMP_ACT_TRACE", "errnoRet": 7},
            {"names": ["no_such_syscall", "getgid"], "action": "SCMP_ACT_ALLOW"}
        ]
    }));
    let arch = SeccompArch::X86_64;
    assert_same_verdicts(&p, arch);
    let compiled = compile_for(&p, arch).unwrap();
    let nr = |n: &str| arch.syscall_number(n).unwrap();
    assert_eq!(compiled.verdict(nr("read"), [0; 6]), Some(RET_ALLOW));
    assert_eq!(compiled.verdict(nr("openat"), [0; 6]), Some(RET_ERRNO | 13));
    assert_eq!(compiled.verdict(nr("mkdir"), [0; 6]), Some(RET_ERRNO | 1));
    assert_eq!(compiled.verdict(nr("rmdir"), [0; 6]), Some(RET_ERRNO | 38));
    // Overlap: the stricter rule (ERRNO 38) wins over the ALLOW for 4096.
    assert_eq!(
        compiled.verdict(nr("rmdir"), [4096, 0, 0, 0, 0, 0]),
        Some(RET_ERRNO | 38)
    );
    assert_eq!(
        compiled.verdict(nr("clone"), [0x11, 0, 0, 0, 0, 0]),
        Some(RET_ALLOW)
    );
    assert_eq!(
        compiled.verdict(nr("clone"), [0x2000_0011, 0, 0, 0, 0, 0]),
        Some(RET_ERRNO | 13)
    );
    assert_eq!(
        compiled.verdict(nr("ioctl"), [1, 0x5401, 0, 0, 0, 0]),
        Some(RET_ERRNO | 25)
    );
    assert_eq!(
        compiled.verdict(nr("ioctl"), [3, 0x5401, 0, 0, 0, 0]),
        Some(RET_ERRNO | 13)
    );
    assert_eq!(
        compiled.verdict(nr("ioctl"), [1, 0x8901, 0, 0, 0, 0]),
        Some(RET_ERRNO | 13)
    );
    // Repeated index: the conditions are alternatives.
    assert_eq!(
        compiled.verdict(nr("personality"), [8, 0, 0, 0, 0, 0]),
        Some(RET_ALLOW)
    );
    assert_eq!(
        compiled.verdict(nr("personality"), [0xffff_ffff, 0, 0, 0, 0, 0]),
        Some(RET_ALLOW)
    );
    assert_eq!(
        compiled.verdict(nr("personality"), [9, 0, 0, 0, 0, 0]),
        Some(RET_ERRNO | 13)
    );
    assert_eq!(compiled.verdict(nr("kill"), [0; 6]), Some(RET_KILL_PROCESS));
    assert_eq!(compiled.verdict(nr("getpid"), [0; 6]), Some(RET_LOG));
    assert_eq!(compiled.verdict(nr("getppid"), [0; 6]), Some(RET_TRAP));
    assert_eq!(compiled.verdict(nr("getuid"), [0; 6]), Some(RET_TRACE | 7));
    assert_eq!(compiled.verdict(nr("getgid"), [0; 6]), Some(RET_ALLOW));
    // x32 calls never reach the rules.
    assert_eq!(
        compiled.verdict(nr("read") | 0x4000_0000, [0; 6]),
        Some(RET_KILL_PROCESS)
    );
}

#[test]
fn allow_default_with_deny_rules_and_log_default() {
    let deny = profile(serde_json::json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [
            {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"},
            {"names": ["unshare"], "action": "SCMP_ACT_KILL"},
            {"names": ["getpid"], "action": "SCMP_ACT_ALLOW"}
        ]
    }));
    let log = profile(serde_json::json!({
        "defaultAction": "SCMP_ACT_LOG",
        "syscalls": [
            {"names": ["read"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 30}
        ]
    }));
    for arch in [SeccompArch::X86_64, SeccompArch::Aarch64] {
        assert_same_verdicts(&deny, arch);
        assert_same_verdicts(&log, arch);
    }
}

#[test]
fn bad_profiles_are_refused_clearly() {
    let notify_default = profile(serde_json::json!({"defaultAction": "SCMP_ACT_NOTIFY"}));
    let err = compile(&notify_default).unwrap_err().to_string();
    assert!(err.contains("cannot be used as default action"), "{err}");
    let notify_write = profile(serde_json::json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["write"], "action": "SCMP_ACT_NOTIFY"}]
    }));
    let err = compile(&notify_write).unwrap_err().to_string();
    assert!(
        err.contains("cannot be used for the write syscall"),
        "{err}"
    );
    let bad_index = profile(serde_json::json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO",
                      "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]
    }));
    let err = compile(&bad_index).unwrap_err().to_string();
    assert!(err.contains("argument index 6"), "{err}");
    let self_blocking = profile(serde_json::json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["seccomp"], "action": "SCMP_ACT_ERRNO"},
                     {"names": ["seccomp"], "action": "SCMP_ACT_TRAP",
                      "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]}]
    }));
    assert!(matches!(
        compile(&self_blocking),
        Err(SeccompError::SelfBlocking(2))
    ));
}

#[test]
fn compiled_filters_survive_bytes_round_trip() {
    let oci = docker_default_for(&default_caps(), SeccompArch::X86_64, (6, 1)).unwrap();
    let compiled = compile_for(&oci, SeccompArch::X86_64).unwrap();
    let bytes = compiled.to_bytes();
    assert_eq!(CompiledSeccomp::from_bytes(&bytes).unwrap(), compiled);
    assert!(CompiledSeccomp::from_bytes(&bytes[..bytes.len() - 3]).is_err());
    assert!(CompiledSeccomp::from_bytes(b"garbage!").is_err());
}

fn native_or_skip() -> bool {
    if SeccompArch::native().is_none() {
        crate::test_skip::report(&format!(
            "no seccomp filter support for {}",
            std::env::consts::ARCH
        ));
        return false;
    }
    if !std::path::Path::new("/bin/busybox").exists() {
        crate::test_skip::report("/bin/busybox missing");
        return false;
    }
    true
}

/// Runs busybox `script` under `compiled`, installed as the launcher will:
/// no_new_privs, then the filters, then execve.
fn run_filtered(compiled: &CompiledSeccomp, script: &str) -> std::process::Output {
    let compiled = compiled.clone();
    let mut command = Command::new("/bin/busybox");
    command.args(["sh", "-c", script]).stdin(Stdio::null());
    // SAFETY: the hook only makes syscalls (prctl, seccomp).
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            install(&compiled)
                .map(drop)
                .map_err(|e| std::io::Error::other(e.to_string()))
        });
    }
    command.output().expect("spawn busybox")
}

#[test]
fn mkdir_blocked_with_eperm_fails_in_busybox() {
    if !native_or_skip() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("dockbox-seccomp-{}", std::process::id()));
    let p = profile(serde_json::json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]
    }));
    let compiled = CompiledSeccomp::from_bytes(&compile(&p).unwrap().to_bytes()).unwrap();
    let out = run_filtered(&compiled, &format!("/bin/busybox mkdir {}", dir.display()));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let created = dir.exists();
    let _ = std::fs::remove_dir(&dir);
    assert!(!out.status.success(), "mkdir succeeded under the filter");
    assert!(
        stderr.contains("Operation not permitted"),
        "stderr: {stderr}"
    );
    assert!(!created);
}

#[test]
fn docker_default_runs_a_shell_and_denies_unshare_and_mount() {
    if !native_or_skip() {
        return;
    }
    let compiled = compile(&docker_default(&default_caps()).unwrap()).unwrap();
    let out = run_filtered(
        &compiled,
        "echo shell-ok; /bin/busybox ls / >/dev/null && echo ls-ok",
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "shell-ok\nls-ok\n",
        "{out:?}"
    );
    let out = run_filtered(&compiled, "/bin/busybox unshare -u true");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "unshare succeeded under Docker's profile"
    );
    assert!(
        stderr.contains("Operation not permitted"),
        "unshare: {stderr}"
    );
    // busybox words EPERM from mount(2) as "permission denied".
    let target = std::env::temp_dir().join(format!("dockbox-seccomp-mnt-{}", std::process::id()));
    std::fs::create_dir_all(&target).unwrap();
    let out = run_filtered(
        &compiled,
        &format!("/bin/busybox mount -t tmpfs none {}", target.display()),
    );
    let mounted = nix::mount::umount(&target).is_ok();
    let _ = std::fs::remove_dir(&target);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && !mounted,
        "mount succeeded under Docker's profile"
    );
    assert!(stderr.contains("permission denied"), "mount: {stderr}");
}

#[test]
fn trap_and_kill_actions_are_enforced() {
    if !native_or_skip() {
        return;
    }
    use std::os::unix::process::ExitStatusExt;
    let p = profile(serde_json::json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL_PROCESS"},
                     {"names": ["rmdir"], "action": "SCMP_ACT_TRAP"}]
    }));
    let compiled = compile(&p).unwrap();
    let out = run_filtered(&compiled, "exec /bin/busybox mkdir /tmp/dockbox-never");
    assert_eq!(out.status.signal(), Some(libc::SIGSYS), "{out:?}");
    let out = run_filtered(&compiled, "exec /bin/busybox rmdir /tmp/dockbox-never");
    assert_eq!(out.status.signal(), Some(libc::SIGSYS), "{out:?}");
}

#[test]
fn docker_default_filters_stay_small() {
    // Runs of unconditional syscalls are range checks: the kernel checks
    // and JIT-compiles every instruction at each container start.
    let compiled = compile(&docker_default(&default_caps()).unwrap()).unwrap();
    let total: usize = compiled.filters.iter().map(Vec::len).sum();
    assert!(total < 1000, "{total} instructions");
}

#[test]
fn syscalls_newer_than_the_profile_answer_enosys_like_runc() {
    let nr = |arch: SeccompArch, name: &str| arch.syscall_number(name).unwrap();
    let x86_64 = SeccompArch::X86_64;
    let enosys = RET_ERRNO | libc::ENOSYS as u32;
    let with = |default: &str, arches: serde_json::Value| {
        profile(serde_json::json!({
            "defaultAction": default,
            "defaultErrnoRet": 1,
            "architectures": arches,
            "syscalls": [
                {"names": ["read", "write", "rseq"], "action": "SCMP_ACT_ALLOW"},
                {"names": ["no_such_call"], "action": "SCMP_ACT_ALLOW"}
            ]
        }))
    };
    let listed = serde_json::json!(["SCMP_ARCH_X86_64"]);
    // (default, architectures, verdict for clone3, for getppid)
    let table = [
        ("SCMP_ACT_ERRNO", listed.clone(), enosys, RET_ERRNO | 1),
        (
            "SCMP_ACT_KILL_PROCESS",
            listed.clone(),
            enosys,
            RET_KILL_PROCESS,
        ),
        ("SCMP_ACT_TRAP", listed.clone(), enosys, RET_TRAP),
        ("SCMP_ACT_LOG", listed.clone(), RET_LOG, RET_LOG),
        (
            "SCMP_ACT_TRACE",
            listed.clone(),
            RET_TRACE | 1,
            RET_TRACE | 1,
        ),
        (
            "SCMP_ACT_ERRNO",
            serde_json::json!([]),
            RET_ERRNO | 1,
            RET_ERRNO | 1,
        ),
        (
            "SCMP_ACT_ERRNO",
            serde_json::json!(["SCMP_ARCH_AARCH64"]),
            RET_ERRNO | 1,
            RET_ERRNO | 1,
        ),
    ];
    for (default, arches, clone3, getppid) in table {
        let profile = with(default, arches.clone());
        let compiled = compile_for(&profile, x86_64).unwrap();
        let case = format!("{default} {arches}");
        assert_eq!(
            compiled.verdict_for(x86_64, nr(x86_64, "clone3"), [0; 6]),
            Some(clone3),
            "{case}"
        );
        assert_eq!(
            compiled.verdict_for(x86_64, 1000, [0; 6]),
            Some(clone3),
            "{case}"
        );
        assert_eq!(
            compiled.verdict_for(x86_64, nr(x86_64, "getppid"), [0; 6]),
            Some(getppid),
            "{case}"
        );
        assert_eq!(
            compiled.verdict_for(x86_64, nr(x86_64, "rseq"), [0; 6]),
            Some(RET_ALLOW),
            "{case}"
        );
        assert_same_verdicts_via(&profile, &compiled, x86_64);
    }

    // Each listed architecture has its own newest syscall: rseq is 334 on
    // x86_64 but 386 on i386, where 385 (io_pgetevents) is older.
    let both = with(
        "SCMP_ACT_ERRNO",
        serde_json::json!(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"]),
    );
    let compiled = compile_for(&both, x86_64).unwrap();
    let i386 = SeccompArch::X86;
    assert_eq!(nr(i386, "rseq"), 386);
    assert_eq!(compiled.verdict_for(i386, 385, [0; 6]), Some(RET_ERRNO | 1));
    assert_eq!(
        compiled.verdict_for(i386, nr(i386, "clone3"), [0; 6]),
        Some(enosys)
    );
    assert_eq!(compiled.verdict_for(x86_64, 385, [0; 6]), Some(enosys));
    assert_same_verdicts_via(&both, &compiled, i386);
}

#[test]
fn notify_rules_make_one_listener_filter_for_every_architecture() {
    let notify = profile(serde_json::json!({
        "defaultAction": "SCMP_ACT_ERRNO",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
        "syscalls": [
            {"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"},
            {"names": ["getpid"], "action": "SCMP_ACT_ALLOW"}
        ]
    }));
    let compiled = compile_for(&notify, SeccompArch::X86_64).unwrap();
    assert!(compiled.has_listener());
    let listeners = compiled
        .filters
        .iter()
        .filter(|f| super::notifies(f))
        .count();
    assert_eq!(listeners, 1);
    let nr = |arch: SeccompArch, name| arch.syscall_number(name).unwrap();
    for arch in [SeccompArch::X86_64, SeccompArch::X86] {
        let mkdir = compiled.verdict_for(arch, nr(arch, "mkdir"), [0; 6]);
        assert_eq!(mkdir, Some(libc::SECCOMP_RET_USER_NOTIF), "{arch:?}");
        let getpid = compiled.verdict_for(arch, nr(arch, "getpid"), [0; 6]);
        assert_eq!(getpid, Some(libc::SECCOMP_RET_ALLOW), "{arch:?}");
    }
}
