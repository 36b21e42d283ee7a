//! Drop-in under containerd: Debian's containerd 1.6 and its runc v2 shim
//! run busybox through `ctr run --runc-binary R`, once with Debian's runc
//! (proving the rig) and once with our binary (skipped until our
//! `runc run` can run a container).

use crate::harness::engine::{BUSYBOX_REF, Engine, Runtime};
use crate::harness::{self, stderr_of, stdout_of};
use crate::require;

mod ctr_run_returns_the_exit_code {
    use crate::harness::engine::Runtime;
    #[test]
    fn runc() {
        super::ctr_run_returns_the_exit_code(Runtime::Runc)
    }
    #[test]
    fn dockbox() {
        super::ctr_run_returns_the_exit_code(Runtime::Dockbox)
    }
}

fn ctr_run_returns_the_exit_code(runtime: Runtime) {
    require!(harness::engine::need_engine());
    require!(runtime.ready());
    let engine = match Engine::shared() {
        Ok(engine) => engine,
        Err(reason) => {
            harness::report_skip(module_path!(), &reason);
            return;
        }
    };
    engine.import_busybox();
    let id = format!("ctr-{}-{}", runtime.name(), std::process::id());
    let binary = engine.runtime_binary(runtime);
    let fifo_dir = engine.fifo_dir();
    let cgroup = engine.cgroups().child(&id);
    let output = engine.ctr(&[
        "run",
        "--runc-binary",
        binary.to_str().unwrap(),
        "--fifo-dir",
        fifo_dir.to_str().unwrap(),
        "--cgroup",
        &cgroup,
        "--rm",
        BUSYBOX_REF,
        &id,
        "sh",
        "-c",
        "echo pid $$; exit 3",
    ]);
    assert_eq!(
        output.status.code(),
        Some(3),
        "stdout: {}\nstderr: {}\n{}",
        stdout_of(&output),
        stderr_of(&output),
        engine.logs()
    );
    assert_eq!(stdout_of(&output), "pid 1\n");
    let listed = engine.ctr(&["containers", "ls", "-q"]);
    assert!(
        !stdout_of(&listed).lines().any(|line| line == id),
        "--rm left {id} behind"
    );
}
