//! Device rules: OCI lists normalised to a state, the v1 writes that reach
//! it from what `devices.list` shows, and the rule list the v2 eBPF
//! program is built from. The expected writes are those runc 1.1.5's
//! emulator makes for the same lists.

use oci_spec::runtime::{LinuxDeviceCgroup, Spec};
use serde_json::json;

use super::device_rules::DeviceRules;
use super::devices_bpf::{self, interpreter};

fn rules(list: serde_json::Value) -> Vec<LinuxDeviceCgroup> {
    serde_json::from_value(list).expect("test device rules parse")
}

/// The v1 writes, `+` for devices.allow and `-` for devices.deny.
fn writes(current_list: &str, list: serde_json::Value) -> Vec<String> {
    let target = DeviceRules::from_oci(&rules(list)).expect("rules normalise");
    let current = DeviceRules::from_list(current_list).expect("list parses");
    current
        .transition(&target)
        .into_iter()
        .map(|write| format!("{}{}", if write.allow { '+' } else { '-' }, write.line))
        .collect()
}

fn spec(linux: serde_json::Value) -> Spec {
    serde_json::from_value(json!({"ociVersion": "1.0.2", "linux": linux})).unwrap()
}

/// The device rules `launch` gives the cgroup for a spec's `linux`.
fn launch_rules(linux: serde_json::Value) -> Vec<LinuxDeviceCgroup> {
    let resources = crate::runtime::prepare::resources_with_default_devices(&spec(linux)).unwrap();
    resources.devices().clone().unwrap()
}

const ALLOW_ALL: &str = "a *:* rwm\n";

/// What runc 1.1.5 writes for `runc spec`'s deny-all under an allow-all
/// parent: one reset, then the default devices in (major, minor) order.
const DEFAULTS_AFTER_DENY_ALL: &[&str] = &[
    "-a *:* rwm",
    "+b *:* m",
    "+c *:* m",
    "+c 1:3 rwm",
    "+c 1:5 rwm",
    "+c 1:7 rwm",
    "+c 1:8 rwm",
    "+c 1:9 rwm",
    "+c 5:0 rwm",
    "+c 5:2 rwm",
    "+c 10:200 rwm",
    "+c 136:* rwm",
];

#[test]
fn v1_writes_for_rule_lists() {
    let deny_all = json!({"allow": false, "access": "rwm"});
    let table: Vec<(&str, serde_json::Value, Vec<&str>)> = vec![
        // Redundant denies after deny-all are never written; `c *:* rwa`
        // would be refused by the kernel (`a` is no access letter).
        (
            "redundant denies",
            json!([deny_all, {"allow": false, "type": "a", "access": "rwa"},
                   {"allow": false, "type": "c", "access": "rwa"}]),
            vec!["-a *:* rwm"],
        ),
        (
            "split accesses merge",
            json!([deny_all, {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "r"},
                   {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "w"}]),
            vec!["-a *:* rwm", "+c 1:3 rw"],
        ),
        (
            "a later deny takes accesses back",
            json!([deny_all, {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
                   {"allow": false, "type": "c", "major": 1, "minor": 3, "access": "w"}]),
            vec!["-a *:* rwm", "+c 1:3 rm"],
        ),
        (
            "a type-a rule resets whatever its numbers",
            json!([deny_all, {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
                   {"allow": false, "type": "a", "major": 1, "minor": 3, "access": "r"}]),
            vec!["-a *:* rwm"],
        ),
        (
            "allow-all (privileged)",
            json!([deny_all, {"allow": true, "access": "rwm"},
                   {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]),
            vec!["+a *:* rwm"],
        ),
        (
            "deny list",
            json!([{"allow": true, "access": "rwm"},
                   {"allow": false, "type": "b", "major": 8, "access": "w"}]),
            vec!["+a *:* rwm", "-b 8:* w"],
        ),
        (
            "no rules at all denies everything",
            json!([]),
            vec!["-a *:* rwm"],
        ),
    ];
    for (case, list, expected) in table {
        assert_eq!(writes(ALLOW_ALL, list), expected, "{case}");
    }
}

#[test]
fn v1_writes_only_the_difference_from_a_deny_by_default_cgroup() {
    // No reset (it fails once the cgroup has children): the exceptions to
    // drop, then those to add.
    let current = "c 1:3 rwm\nc 1:5 rwm\nc 136:* rwm\n";
    let list = json!([
        {"allow": false, "access": "rwm"},
        {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rw"},
        {"allow": true, "type": "c", "major": 1, "minor": 9, "access": "rwm"},
        {"allow": true, "type": "c", "major": 136, "access": "rwm"}
    ]);
    assert_eq!(
        writes(current, list.clone()),
        ["-c 1:3 m", "-c 1:5 rwm", "+c 1:9 rwm"]
    );
    let reached = "c 1:3 rw\nc 1:9 rwm\nc 136:* rwm\n";
    assert_eq!(writes(reached, list), Vec::<String>::new());
}

#[test]
fn punching_a_hole_in_a_wildcard_exception_is_refused() {
    let list = rules(json!([
        {"allow": false, "access": "rwm"},
        {"allow": true, "type": "c", "access": "m"},
        {"allow": false, "type": "c", "major": 1, "minor": 3, "access": "m"}
    ]));
    let error = DeviceRules::from_oci(&list).unwrap_err().to_string();
    assert!(
        error.contains("c 1:3 m") && error.contains("c *:* m"),
        "{error}"
    );
}

#[test]
fn rules_runc_refuses_are_refused() {
    for (list, wanted) in [
        (
            json!([{"allow": true, "type": "p", "access": "rwm"}]),
            "type",
        ),
        (
            json!([{"allow": true, "type": "u", "access": "rwm"}]),
            "type",
        ),
        (
            json!([{"allow": true, "type": "c", "access": ""}]),
            "access",
        ),
        (json!([{"allow": true, "type": "c"}]), "access"),
    ] {
        let error = DeviceRules::from_oci(&rules(list.clone()))
            .unwrap_err()
            .to_string();
        assert!(error.contains(wanted), "{list}: {error}");
    }
}

#[test]
fn listed_devices_get_no_rule_and_replace_a_default_of_the_same_path() {
    let linux = json!({
        "resources": {"devices": [{"allow": false, "access": "rwm"}]},
        "devices": [
            {"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11},
            {"path": "/dev/null", "type": "c", "major": 1, "minor": 3}
        ]
    });
    let list = serde_json::to_value(launch_rules(linux)).unwrap();
    let expected: Vec<&str> = DEFAULTS_AFTER_DENY_ALL
        .iter()
        .copied()
        .filter(|write| *write != "+c 1:3 rwm")
        .collect();
    assert_eq!(writes(ALLOW_ALL, list), expected);
}

#[test]
fn a_spec_without_device_rules_still_gets_deny_all_and_the_defaults() {
    for linux in [json!({}), json!({"resources": {}})] {
        let list = serde_json::to_value(launch_rules(linux)).unwrap();
        assert_eq!(writes(ALLOW_ALL, list), DEFAULTS_AFTER_DENY_ALL);
    }
}

#[test]
fn v2_program_is_built_from_the_normalised_rules() {
    let linux = json!({
        "resources": {"devices": [
            {"allow": false, "access": "rwm"},
            {"allow": false, "type": "c", "access": "rwa"}
        ]},
        "devices": [{"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11}]
    });
    let normalised = devices_bpf::normalised(&launch_rules(linux)).unwrap();
    let as_json = serde_json::to_value(&normalised).unwrap();
    assert_eq!(as_json[0]["allow"], false);
    assert_eq!(as_json[0]["type"], "a");
    assert_eq!(normalised.len(), DEFAULTS_AFTER_DENY_ALL.len());
    assert!(normalised[1..].iter().all(|rule| rule.allow()));
    assert!(
        !normalised
            .iter()
            .any(|rule| rule.major() == Some(1) && rule.minor() == Some(11)),
        "{as_json}"
    );

    let program = devices_bpf::program(&normalised);
    let (char_dev, block_dev) = (2, 1);
    let (mknod, read, write) = (1, 2, 4);
    let allowed =
        |kind, access, major, minor| interpreter::run(&program, kind, access, major, minor) == 1;
    assert!(!allowed(char_dev, read, 1, 11), "/dev/kmsg read");
    assert!(!allowed(char_dev, write, 1, 11), "/dev/kmsg write");
    assert!(allowed(char_dev, mknod, 1, 11), "mknod of any char device");
    assert!(allowed(char_dev, read | write, 1, 3), "/dev/null");
    assert!(allowed(char_dev, read | write, 136, 4), "a pty");
    assert!(!allowed(block_dev, read, 8, 0), "a disk");
    assert!(allowed(block_dev, mknod, 8, 0), "mknod of a disk");
}
