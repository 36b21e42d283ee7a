//! How a unit test that cannot run here says so: one line,
//! `skipped: <test>: <reason>`, written straight to stderr past libtest's
//! output capture, which scripts/test.sh counts and lists (a test that
//! returns early otherwise reports as `ok`).

use std::io::Write;

/// Reports the calling test as skipped. libtest runs each test on a thread
/// named after it (`runtime::caps::tests::...`); off that thread the line
/// says `unnamed test`.
pub fn report(reason: &str) {
    let current = std::thread::current();
    let test = current.name().unwrap_or("unnamed test");
    // One write: writeln! would write the pieces one by one, and libtest's
    // own output, on other threads, could land between them.
    let line = format!("skipped: {test}: {reason}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
}
