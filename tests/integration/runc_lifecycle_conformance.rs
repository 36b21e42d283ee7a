//! Lifecycle details where Debian's runc 1.1.5 is the reference: when the
//! in-container hooks run, the console's owner, a frozen or busy cgroup,
//! `kill --all` and `ps` of a stopped container, and `delete --force`.

use crate::harness::{TempDir, report_skip, stderr_of};
use crate::runc_bundle;
use crate::runc_support::Runtime;
use serde_json::json;

/// Every runtime to compare: ours first, then Debian's runc when installed.
fn runtimes(test: &str) -> Vec<Runtime> {
    let mut runtimes = vec![Runtime::ours()];
    match Runtime::debian() {
        Ok(runc) => runtimes.push(runc),
        Err(reason) => report_skip(test, &reason),
    }
    runtimes
}

/// runc 1.1.5 loads the filter of a no_new_privs process before `create`
/// returns, so the startContainer hooks (forked by the init just before its
/// execve) run under it: a hook's mkdir that the profile refuses fails.
#[test]
fn start_container_hooks_run_under_seccomp_with_no_new_privileges() {
    let dir = TempDir::new("runc-hookseccomp");
    let bundle = runc_bundle!(dir, &["true"]);
    let out = dir.join("out");
    std::fs::create_dir(&out).unwrap();
    bundle.edit_config(|spec| {
        spec["process"]["noNewPrivileges"] = json!(true);
        spec["linux"]["seccomp"] = json!({
            "defaultAction": "SCMP_ACT_ALLOW",
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_AARCH64"],
            "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]
        });
        let mounts = spec["mounts"].as_array_mut().unwrap();
        mounts.push(json!({"destination": "/out", "type": "bind",
                           "source": out.to_str().unwrap(), "options": ["rbind", "rw"]}));
        spec["hooks"] = json!({"startContainer": [{
            "path": "/bin/sh",
            "args": ["sh", "-c", "mkdir /out/made 2>/dev/null; echo $? > /out/rc"]
        }]});
    });
    for runtime in runtimes("start_container_hooks_run_under_seccomp_with_no_new_privileges") {
        let _ = std::fs::remove_dir(out.join("made"));
        let _ = std::fs::remove_file(out.join("rc"));
        let _guard = runtime.guard("hookseccomp");
        let output = runtime.run(&["run", "-b", bundle.dir.to_str().unwrap(), "hookseccomp"]);
        assert!(
            output.status.success(),
            "{}: {}",
            runtime.name,
            stderr_of(&output)
        );
        let rc = std::fs::read_to_string(out.join("rc")).unwrap_or_default();
        assert_eq!(
            rc, "1\n",
            "{}: the hook's mkdir was not refused",
            runtime.name
        );
        assert!(!out.join("made").exists(), "{}", runtime.name);
    }
}
