//! The tiny test harness every integration test shares: temp dirs, skip
//! reporting, cleanup guards, the busybox fixture, network namespaces and the
//! test's own cgroup.

#![allow(dead_code)] // Helpers serve later test modules too.

pub mod busybox;
pub mod cgroup;
pub mod cgroup_parent;
pub mod cleanup;
pub mod engine;
pub mod netns;

#[allow(unused_imports)] // Used by the runtime and daemon tests.
pub use cleanup::{ProcessGuard, TempDir};

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The dockbox binary under test.
pub fn dockbox() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_dockbox"))
}

/// Says which test does not run and why: `skipped: <test>: <reason>`,
/// the line scripts/test.sh counts and lists. Written straight to the
/// process's stderr, past the test runner's capture, so a skip is always
/// visible. The test is named as libtest names it (`module::test`), from
/// the thread libtest runs it on; `context` stands in off that thread.
pub fn report_skip(context: &str, reason: &str) {
    let current = std::thread::current();
    let test = skipped_test_name(current.name(), context);
    // One write: writeln! would write the pieces one by one, and libtest's
    // own output, on other threads, could land between them.
    let line = format!("skipped: {test}: {reason}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// libtest runs each test on a thread named after it; any other thread
/// (`main`, or a helper's unnamed one) gives no test name.
fn skipped_test_name<'a>(thread: Option<&'a str>, context: &'a str) -> &'a str {
    match thread {
        Some(name) if name != "main" => name,
        _ => context,
    }
}

/// Returns early from a test, loudly, when a requirement is missing.
/// `require!(harness::need_root())` where the check gives `Err(reason)`.
#[macro_export]
macro_rules! require {
    ($check:expr) => {
        if let Err(reason) = $check {
            $crate::harness::report_skip(module_path!(), &reason);
            return;
        }
    };
}

/// A test's skip reporter, for tests that skip from several places:
/// `return skip(&reason)` prints `skipped: <test>: <reason>`.
pub fn skipper(test: &'static str) -> impl Fn(&str) {
    move |reason| report_skip(test, reason)
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

pub fn need_root() -> Result<(), String> {
    if is_root() {
        Ok(())
    } else {
        Err("needs root".to_string())
    }
}

/// Finds `name` on PATH.
pub fn find_command(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

pub fn need_command(name: &str) -> Result<PathBuf, String> {
    find_command(name).ok_or_else(|| format!("{name} is not installed"))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Runs a command to completion, failing the test if it cannot be started.
pub fn run(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"))
}

/// Runs dockbox with `args`, argv[0] being `dockbox`.
pub fn run_dockbox(args: &[&str]) -> Output {
    run(Command::new(dockbox()).args(args))
}

/// Bytes a command wrote, as text (invalid UTF-8 replaced).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// 64-hex IDs (with or without `sha256:`) and their 12-hex short forms
/// become `<id>`; `tag` becomes `TAG`.
pub fn normalise(line: &str, tag: &str) -> String {
    let replaced = line.replace(tag, "TAG");
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let hex = word.bytes().all(|b| b.is_ascii_hexdigit());
        if hex && (word.len() == 64 || word.len() == 12) {
            out.push_str("<id>");
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in replaced.chars() {
        if c.is_ascii_alphanumeric() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

pub fn stdout_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The dynamic loader an ELF executable asks for (its PT_INTERP), if any.
pub fn elf_interpreter(path: &Path) -> Result<Option<String>, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let read_u16 = |at: usize| {
        bytes
            .get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let read_u32 = |at: usize| {
        bytes
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes(b.try_into().unwrap()))
    };
    let read_u64 = |at: usize| {
        bytes
            .get(at..at + 8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap()))
    };
    if bytes.get(..5) != Some(b"\x7fELF\x02") {
        return Err("not a 64-bit ELF file".to_string());
    }
    let malformed = || "malformed ELF header".to_string();
    let phoff = read_u64(0x20).ok_or_else(malformed)? as usize;
    let phentsize = read_u16(0x36).ok_or_else(malformed)? as usize;
    let phnum = read_u16(0x38).ok_or_else(malformed)? as usize;
    const PT_INTERP: u32 = 3;
    for index in 0..phnum {
        let header = phoff + index * phentsize;
        if read_u32(header).ok_or_else(malformed)? == PT_INTERP {
            let offset = read_u64(header + 8).ok_or_else(malformed)? as usize;
            let size = read_u64(header + 32).ok_or_else(malformed)? as usize;
            let interp = bytes.get(offset..offset + size).ok_or_else(malformed)?;
            return Ok(Some(
                String::from_utf8_lossy(interp)
                    .trim_end_matches('\0')
                    .to_string(),
            ));
        }
    }
    Ok(None)
}

/// The ELF type: 2 for a fixed-address executable, 3 for PIE or shared.
pub fn elf_type(path: &Path) -> Result<u16, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    bytes
        .get(0x10..0x12)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .ok_or_else(|| "short ELF file".to_string())
}

#[test]
fn a_skip_names_the_test_that_skipped() {
    assert_eq!(
        skipped_test_name(std::thread::current().name(), module_path!()),
        "harness::a_skip_names_the_test_that_skipped"
    );
    // Off libtest's thread the caller's context names it.
    let off_thread = std::thread::spawn(|| {
        skipped_test_name(std::thread::current().name(), "fixture").to_string()
    });
    assert_eq!(off_thread.join().unwrap(), "fixture");
}
