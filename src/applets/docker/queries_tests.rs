//! Queries compared with the request paths the Docker CLI 28 sent to a
//! stub daemon for the same command lines.

use super::*;
use crate::applets::docker::args::{CommandSpec, PS, find_command, parse};

fn parsed(spec: &'static CommandSpec, line: &[&str]) -> Parsed {
    let words: Vec<String> = line.iter().map(|s| s.to_string()).collect();
    parse(spec, &words).unwrap_or_else(|e| panic!("{line:?}: {e:?}"))
}

fn command(name: &str) -> &'static CommandSpec {
    find_command(name).unwrap()
}

#[test]
fn ps_queries_as_docker_sends_them() {
    // Request paths captured from `docker ps ...` (CLI 28).
    let cases: &[(&[&str], &str)] = &[
        (&[], ""),
        (&["-a"], "all=1"),
        (&["-n", "3"], "limit=3"),
        (&["-l"], "limit=1"),
        (&["-s"], "size=1"),
        (&["-q"], ""),
        (&["-a", "-n", "0"], "all=1"),
        (&["-n", "-1"], ""),
        (&["--format", "{{.Size}}"], "size=1"),
        (&["--format", "table {{.Names}}\\t{{.Size}}"], "size=1"),
        (&["--format", "{{.Names}}"], ""),
        (&["--format", "{{json .}}"], "size=1"),
        (&["--format", "json"], ""),
        (&["-q", "--format", "{{.Size}}"], ""),
        (&["--size=false", "--format", "{{.Size}}"], ""),
        (&["-l", "-n", "5"], "limit=5"),
        (
            &["-a", "-f", "status=exited"],
            "all=1&filters=%7B%22status%22%3A%7B%22exited%22%3Atrue%7D%7D",
        ),
        (&["--no-trunc"], ""),
    ];
    for (words, want) in cases {
        let words: Vec<String> = words.iter().map(|s| s.to_string()).collect();
        let parsed = parse(&PS, &words).unwrap();
        assert_eq!(ps_query(&parsed).unwrap(), *want, "{words:?}");
    }
    assert_eq!(query_escape("a b/c~"), "a+b%2Fc~");
}

#[test]
fn logs_queries() {
    // Captured at Unix time 1795815836 (the "10m" below) in UTC.
    let now = 1_795_815_836;
    let logs = command("logs");
    assert_eq!(
        logs_query(&parsed(logs, &["web"]), now, 0).unwrap(),
        "stderr=1&stdout=1&tail=all"
    );
    assert_eq!(
        logs_query(
            &parsed(
                logs,
                &[
                    "-f",
                    "-t",
                    "--tail",
                    "10",
                    "--since",
                    "10m",
                    "--until",
                    "2020-09-13",
                    "--details",
                    "web"
                ]
            ),
            now,
            0
        )
        .unwrap(),
        "details=1&follow=1&since=1795815236&stderr=1&stdout=1&tail=10&timestamps=1&until=1599955200.000000000"
    );
    assert_eq!(
        logs_query(&parsed(logs, &["-n", "all", "web"]), now, 0).unwrap(),
        "stderr=1&stdout=1&tail=all"
    );
    assert_eq!(
        logs_query(
            &parsed(
                logs,
                &["--since", "1600000000", "--until", "1600000000.5", "web"]
            ),
            now,
            0
        )
        .unwrap(),
        "since=1600000000&stderr=1&stdout=1&tail=all&until=1600000000.5"
    );
}

#[test]
fn image_and_lifecycle_queries() {
    assert_eq!(images_query(&parsed(command("images"), &[])).unwrap(), "");
    assert_eq!(
        images_query(&parsed(command("images"), &["-a", "--digests", "busybox"])).unwrap(),
        "all=1&filters=%7B%22reference%22%3A%7B%22busybox%22%3Atrue%7D%7D"
    );
    assert_eq!(
        images_query(&parsed(
            command("images"),
            &["--filter", "dangling=true", "-q"]
        ))
        .unwrap(),
        "filters=%7B%22dangling%22%3A%7B%22true%22%3Atrue%7D%7D"
    );
    assert_eq!(kill_query(&parsed(command("kill"), &["web"])), "");
    assert_eq!(
        kill_query(&parsed(command("kill"), &["-s", "HUP", "web"])),
        "signal=HUP"
    );
    assert_eq!(
        image_prune_query(&parsed(command("image prune"), &["-a", "-f"])).unwrap(),
        "filters=%7B%22dangling%22%3A%7B%22false%22%3Atrue%7D%7D"
    );
    assert_eq!(
        image_prune_query(&parsed(
            command("image prune"),
            &["-f", "--filter", "label=a"]
        ))
        .unwrap(),
        "filters=%7B%22dangling%22%3A%7B%22true%22%3Atrue%7D%2C%22label%22%3A%7B%22a%22%3Atrue%7D%7D"
    );
    assert_eq!(
        container_prune_query(&parsed(
            command("container prune"),
            &["-f", "--filter", "until=1h"]
        ))
        .unwrap(),
        "filters=%7B%22until%22%3A%7B%221h%22%3Atrue%7D%7D"
    );
    assert_eq!(
        container_prune_query(&parsed(command("container prune"), &["-f"])).unwrap(),
        ""
    );
}
