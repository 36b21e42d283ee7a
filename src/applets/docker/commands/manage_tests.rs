use super::*;
use crate::applets::docker::args::{find_command, parse};
use serde_json::json;
use std::cmp::Ordering;

fn parsed(words: &[&str]) -> Parsed {
    let spec = find_command(words[0]).expect("known command");
    let rest: Vec<String> = words[1..].iter().map(|w| w.to_string()).collect();
    parse(spec, &rest).expect("parses")
}

#[test]
fn natural_order_compares_numbers_by_value() {
    assert_eq!(natural_order("80/tcp", "8080/tcp"), Ordering::Less);
    assert_eq!(natural_order("9000/udp", "80/tcp"), Ordering::Greater);
    assert_eq!(natural_order("a2", "a10"), Ordering::Less);
    assert_eq!(natural_order("a01", "a1"), Ordering::Greater);
    assert_eq!(natural_order("1x", "x"), Ordering::Less);
    assert_eq!(natural_order("ab", "abc"), Ordering::Less);
    assert_eq!(natural_order("same", "same"), Ordering::Equal);
}

#[test]
fn port_lines_list_every_binding_in_natural_order() {
    let ports = json!({
        "9000/udp": [{"HostIp": "127.0.0.1", "HostPort": "9000"}],
        "80/tcp": [
            {"HostIp": "0.0.0.0", "HostPort": "8080"},
            {"HostIp": "::", "HostPort": "8080"}
        ],
        "443/tcp": null
    });
    assert_eq!(
        port_lines(&ports, "web", None).unwrap(),
        vec![
            "80/tcp -> 0.0.0.0:8080",
            "80/tcp -> [::]:8080",
            "9000/udp -> 127.0.0.1:9000"
        ]
    );
    assert_eq!(
        port_lines(&ports, "web", Some("80")).unwrap(),
        vec!["0.0.0.0:8080", "[::]:8080"]
    );
    assert_eq!(
        port_lines(&ports, "web", Some("9000/udp")).unwrap(),
        vec!["127.0.0.1:9000"]
    );
    assert_eq!(
        port_lines(&ports, "web", Some("443")).unwrap_err(),
        "Error: No public port '443' published for web"
    );
    assert_eq!(
        port_lines(&ports, "web", Some("http/tcp")).unwrap_err(),
        "Error: invalid port (http): strconv.ParseUint: parsing \"http\": invalid syntax"
    );
    assert_eq!(
        port_lines(&ports, "web", Some("70000")).unwrap_err(),
        "Error: invalid port (70000): strconv.ParseUint: parsing \"70000\": value out of range"
    );
    assert!(port_lines(&json!({}), "web", None).unwrap().is_empty());
}

#[test]
fn top_table_aligns_as_docker() {
    let answer = json!({
        "Titles": ["PID", "USER", "TIME", "COMMAND"],
        "Processes": [["1", "root", "0:00", "sleep 1000"], ["12", "root", "0:00", "sh"]]
    });
    assert_eq!(
        top_table(&answer),
        concat!(
            "PID                 USER                TIME                COMMAND\n",
            "1                   root                0:00                sleep 1000\n",
            "12                  root                0:00                sh\n",
        )
    );
}

#[test]
fn update_body_carries_the_flags() {
    let body = serde_json::to_value(
        update_body(&parsed(&[
            "update",
            "-m",
            "64m",
            "--memory-swap",
            "-1",
            "--cpus",
            "1.5",
            "--pids-limit",
            "20",
            "--restart",
            "on-failure:3",
            "c1",
        ]))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(body["Memory"], json!(64 << 20));
    assert_eq!(body["MemorySwap"], json!(-1));
    assert_eq!(body["NanoCpus"], json!(1_500_000_000));
    assert_eq!(body["PidsLimit"], json!(20));
    assert_eq!(
        body["RestartPolicy"],
        json!({"Name": "on-failure", "MaximumRetryCount": 3})
    );
    let plain = serde_json::to_value(
        update_body(&parsed(&["update", "--cpu-shares", "512", "c1"])).unwrap(),
    )
    .unwrap();
    assert_eq!(plain["PidsLimit"], Json::Null);
    assert_eq!(plain["CpuShares"], json!(512));
    assert_eq!(
        plain["RestartPolicy"],
        json!({"Name": "", "MaximumRetryCount": 0})
    );
    assert_eq!(
        update_body(&parsed(&["update", "--restart", ":3", "c1"])).unwrap_err(),
        "invalid restart policy format: no policy provided before colon"
    );
}

#[test]
fn update_body_has_the_fields_the_cli_sends() {
    // docker update (CLI 28) sends every Resources field and the restart
    // policy; KernelMemory only when set.
    let body =
        serde_json::to_value(update_body(&parsed(&["update", "-m", "8m", "c1"])).unwrap()).unwrap();
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut want = vec![
        "BlkioDeviceReadBps",
        "BlkioDeviceReadIOps",
        "BlkioDeviceWriteBps",
        "BlkioDeviceWriteIOps",
        "BlkioWeight",
        "BlkioWeightDevice",
        "CgroupParent",
        "CpuCount",
        "CpuPercent",
        "CpuPeriod",
        "CpuQuota",
        "CpuRealtimePeriod",
        "CpuRealtimeRuntime",
        "CpuShares",
        "CpusetCpus",
        "CpusetMems",
        "DeviceCgroupRules",
        "DeviceRequests",
        "Devices",
        "IOMaximumBandwidth",
        "IOMaximumIOps",
        "Memory",
        "MemoryReservation",
        "MemorySwap",
        "MemorySwappiness",
        "NanoCpus",
        "OomKillDisable",
        "PidsLimit",
        "RestartPolicy",
        "Ulimits",
    ];
    assert_eq!(keys, want);
    assert_eq!(body["Memory"], json!(8 << 20));
    assert_eq!(body["Devices"], Json::Null);
    let with_kernel = serde_json::to_value(
        update_body(&parsed(&["update", "--kernel-memory", "4m", "c1"])).unwrap(),
    )
    .unwrap();
    want.push("KernelMemory");
    want.sort();
    let keys: Vec<&str> = with_kernel
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, want);
    assert_eq!(with_kernel["KernelMemory"], json!(4 << 20));
}

#[test]
fn empty_names_fail_before_any_request() {
    assert_eq!(
        trimmed_id("  ").unwrap_err(),
        "invalid container name or ID: value is empty"
    );
    assert_eq!(trimmed_id(" c1 ").unwrap(), "c1");
}
