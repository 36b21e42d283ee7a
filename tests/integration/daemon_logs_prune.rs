//! Measured answers of our daemon with the real Docker CLI: the json-file
//! log's timestamps follow the file's order (so `--since`, `--until`,
//! `--tail` and `-t` agree with it), and `container prune` reports the
//! bytes it freed.

use crate::daemon_run::{
    Leftovers, assert_nothing_left, daemon_with_busybox, ok, skip_unless_ready,
};
use crate::daemon_support::TestDaemon;
use crate::require;

/// The entries of a container's json-file log, in file order, as
/// (stream, text, time).
fn log_entries(daemon: &TestDaemon, id: &str) -> Vec<(String, String, String)> {
    let path = daemon
        .dir
        .join("data/containers")
        .join(id)
        .join(format!("{id}-json.log"));
    let text = std::fs::read_to_string(&path).unwrap();
    text.lines()
        .map(|line| {
            let entry: serde_json::Value = serde_json::from_str(line).unwrap();
            let field = |name: &str| entry[name].as_str().unwrap().to_string();
            (field("stream"), field("log"), field("time"))
        })
        .collect()
}

/// RFC 3339 with nanoseconds and trailing zeros dropped, as nanoseconds of
/// the day: enough to order stamps of one run.
fn nanos_of_day(stamp: &str) -> u64 {
    let time = stamp.split_once('T').unwrap().1.trim_end_matches('Z');
    let (clock, fraction) = time.split_once('.').unwrap_or((time, ""));
    let mut parts = clock.split(':').map(|p| p.parse::<u64>().unwrap());
    let (h, m, s) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let nanos: u64 = format!("{fraction:0<9}").parse().unwrap();
    ((h * 60 + m) * 60 + s) * 1_000_000_000 + nanos
}

/// Runs `script` to its end and checks that no entry of its log is
/// stamped earlier than the one before it; returns the log.
fn run_and_check_order(daemon: &TestDaemon, script: &str) -> Vec<(String, String, String)> {
    let id = ok(
        daemon,
        &daemon.docker(&["run", "-d", "busybox", "sh", "-c", script]),
    );
    let id = id.trim();
    ok(daemon, &daemon.docker(&["wait", id]));
    let entries = log_entries(daemon, id);
    for pair in entries.windows(2) {
        assert!(
            nanos_of_day(&pair[1].2) >= nanos_of_day(&pair[0].2),
            "an entry stamped before the one above it in the log of {script:?}: {pair:#?}\nwhole log: {entries:#?}"
        );
    }
    ok(daemon, &daemon.docker(&["rm", id]));
    entries
}

#[test]
fn json_log_timestamps_never_go_backwards_in_file_order() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("logs-order");
    let _leftovers = Leftovers::of(&daemon);
    for _ in 0..30 {
        let entries = run_and_check_order(&daemon, "echo a; echo b >&2; echo c");
        let mut texts: Vec<&str> = entries.iter().map(|e| e.1.as_str()).collect();
        texts.sort_unstable();
        assert_eq!(texts, ["a\n", "b\n", "c\n"], "{entries:?}");
    }
    // Both streams busy at once: many lines per read on each side.
    let stress = "i=0; while [ $i -lt 300 ]; do i=$((i+1)); echo out-$i; echo err-$i >&2; \
                  echo out2-$i; done";
    for _ in 0..3 {
        let entries = run_and_check_order(&daemon, stress);
        assert_eq!(entries.len(), 900, "every line logged once");
    }
    assert_nothing_left(&daemon);
}

/// `SizeRw` of one container as `docker ps -a -s` gets it
/// (`/containers/json?size=1`), in bytes rather than the CLI's rounding.
fn size_rw_shown(daemon: &TestDaemon, name: &str) -> u64 {
    let listed = daemon.connect().get("/containers/json?all=1&size=1").json();
    listed
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["Names"][0] == format!("/{name}"))
        .and_then(|c| c["SizeRw"].as_u64())
        .unwrap_or(0)
}

#[test]
fn container_prune_reports_the_bytes_of_the_writable_layers_it_removed() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("prune-reclaimed");
    let _leftovers = Leftovers::of(&daemon);
    // 300 KiB in one container, 100 KiB in the other.
    for (name, blocks) in [("prune-big", 300), ("prune-small", 100)] {
        let script = format!("dd if=/dev/zero of=/junk bs=1024 count={blocks} 2>/dev/null");
        ok(
            &daemon,
            &daemon.docker(&["run", "--name", name, "busybox", "sh", "-c", &script]),
        );
    }
    let big = size_rw_shown(&daemon, "prune-big");
    let small = size_rw_shown(&daemon, "prune-small");
    assert!(big >= 300 * 1024 && small >= 100 * 1024, "{big} {small}");
    let pruned = daemon
        .connect()
        .request("POST", "/containers/prune", "")
        .json();
    assert_eq!(
        pruned["SpaceReclaimed"].as_u64(),
        Some(big + small),
        "{pruned}"
    );
    assert_eq!(pruned["ContainersDeleted"].as_array().unwrap().len(), 2);
    // The CLI prints the same total in Docker's units.
    ok(
        &daemon,
        &daemon.docker(&[
            "run",
            "--name",
            "prune-cli",
            "busybox",
            "sh",
            "-c",
            "dd if=/dev/zero of=/junk bs=1024 count=2048 2>/dev/null",
        ]),
    );
    let one = size_rw_shown(&daemon, "prune-cli");
    let printed = ok(&daemon, &daemon.docker(&["container", "prune", "-f"]));
    let want = format!("Total reclaimed space: {}\n", docker_human_size(one));
    assert!(printed.ends_with(&want), "{printed:?}, wanted {want:?}");
    assert_nothing_left(&daemon);
}

/// go-units' `HumanSize`: decimal units, Go's `%.4g` of the number.
fn docker_human_size(bytes: u64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"];
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1000.0 && unit < units.len() - 1 {
        size /= 1000.0;
        unit += 1;
    }
    let decimals = 3usize.saturating_sub(size.log10().floor().max(0.0) as usize);
    let rounded = format!("{size:.decimals$}");
    let trimmed = if rounded.contains('.') {
        rounded.trim_end_matches('0').trim_end_matches('.')
    } else {
        rounded.as_str()
    };
    format!("{trimmed}{}", units[unit])
}
