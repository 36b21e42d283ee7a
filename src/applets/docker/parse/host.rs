//! HostConfig values from `run`/`create` flags: `--ulimit`, `--restart`,
//! `--add-host`, `--device`, `--security-opt`, `--cap-add`/`--cap-drop`
//! and `--sysctl`, with docker/cli's checks and error texts.

use crate::api::container::{DeviceMapping, Ulimit};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// go-units `ParseUlimit`: `nofile=1024[:2048]`, as the API's type.
pub fn parse_ulimit(value: &str) -> Result<Ulimit, String> {
    let parsed = crate::gofmt::ulimit::parse(value)?;
    Ok(Ulimit {
        name: parsed.name,
        soft: parsed.soft,
        hard: parsed.hard,
    })
}

/// All `--ulimit`s: one per name, the last one winning, sorted by name.
pub fn ulimits(values: &[String]) -> Result<Vec<Ulimit>, String> {
    let mut by_name = BTreeMap::new();
    for value in values {
        let ulimit = parse_ulimit(value)?;
        by_name.insert(ulimit.name.clone(), ulimit);
    }
    Ok(by_name.into_values().collect())
}

/// `--restart no|always|unless-stopped|on-failure[:N]`. The policy name
/// is the daemon's to check; only the shape is checked here.
pub fn parse_restart_policy(value: &str) -> Result<(String, i64), String> {
    let (name, count) = match value.split_once(':') {
        Some(("", _)) => {
            return Err("invalid restart policy format: no policy provided before colon".into());
        }
        Some((name, count)) => (name, count),
        None => (value, ""),
    };
    let count = if count.is_empty() {
        0
    } else {
        count.parse::<i64>().map_err(|_| {
            "invalid restart policy format: maximum retry count must be an integer".to_string()
        })?
    };
    Ok((name.to_string(), count))
}

/// `--add-host host:ip` or `host=ip` as `host:ip` (opts.ValidateExtraHost).
pub fn validate_extra_host(value: &str) -> Result<String, String> {
    let split = value.split_once('=').or_else(|| value.split_once(':'));
    let (host, mut ip) = match split {
        Some((host, ip)) if !host.is_empty() && !host.contains(':') => (host, ip),
        _ => return Err(format!("bad format for add-host: {}", quote(value))),
    };
    if ip != "host-gateway" {
        if ip.len() > 2 && ip.starts_with('[') && ip.ends_with(']') {
            ip = &ip[1..ip.len() - 1];
        }
        if ip.parse::<IpAddr>().is_err() {
            return Err(format!("invalid IP address in add-host: {}", quote(ip)));
        }
    }
    Ok(format!("{host}:{ip}"))
}

fn quote(text: &str) -> String {
    crate::applets::docker::template::go_quote(text)
}

fn valid_device_mode(mode: &str) -> bool {
    if mode.is_empty() || mode.len() > 3 {
        return false;
    }
    let mut seen = Vec::new();
    for c in mode.chars() {
        if !matches!(c, 'r' | 'w' | 'm') || seen.contains(&c) {
            return false;
        }
        seen.push(c);
    }
    true
}

/// `--device /dev/sda[:/dev/xvda][:rwm]` as a DeviceMapping, with
/// docker/cli's path checks.
pub fn parse_device(value: &str) -> Result<DeviceMapping, String> {
    if value.matches(':').count() > 2 || value.split(':').next() == Some("") {
        return Err(format!("bad format for path: {value}"));
    }
    let parts: Vec<&str> = value.split(':').collect();
    let (source, mut target, mut mode) = (parts[0], "", "rwm");
    match parts.as_slice() {
        [_] => {}
        [_, second] => {
            if valid_device_mode(second) {
                mode = second;
            } else {
                target = second;
            }
        }
        [_, second, third] => {
            if !valid_device_mode(third) {
                return Err(format!("bad mode specified: {third}"));
            }
            target = second;
            mode = third;
        }
        _ => unreachable!("at most two colons"),
    }
    let checked = if target.is_empty() { source } else { target };
    if !checked.starts_with('/') {
        return Err(format!("{checked} is not an absolute path"));
    }
    if target.is_empty() {
        target = source;
    }
    Ok(DeviceMapping {
        path_on_host: source.to_string(),
        path_in_container: target.to_string(),
        cgroup_permissions: mode.to_string(),
    })
}

/// `--security-opt` values after docker/cli's checks: a seccomp profile
/// file is sent inline, compacted; `systempaths=unconfined` is no option
/// for the daemon but empties MaskedPaths and ReadonlyPaths.
#[derive(Debug, Default, PartialEq)]
pub struct SecurityOpts {
    pub options: Vec<String>,
    pub unconfined_system_paths: bool,
}

pub fn parse_security_opts(values: &[String]) -> Result<SecurityOpts, String> {
    let mut result = SecurityOpts::default();
    for opt in values {
        let mut split = opt.split_once('=');
        if split.is_none() && opt != "no-new-privileges" {
            split = opt.split_once(':');
        }
        let (key, value) = split.unwrap_or((opt, ""));
        if value.is_empty() && key != "no-new-privileges" {
            return Err(format!("Invalid --security-opt: {}", quote(opt)));
        }
        if opt == "systempaths=unconfined" {
            result.unconfined_system_paths = true;
            continue;
        }
        if key == "seccomp" && !matches!(value, "builtin" | "unconfined") {
            let text = std::fs::read(value).map_err(|e| {
                format!(
                    "opening seccomp profile ({value}) failed: open {value}: {}",
                    super::kv::go_errno_text(&e)
                )
            })?;
            let compact = compact_json(&text).map_err(|e| {
                format!("compacting json for seccomp profile ({value}) failed: {e}")
            })?;
            result.options.push(format!("seccomp={compact}"));
            continue;
        }
        result.options.push(opt.clone());
    }
    Ok(result)
}

/// Go's `json.Compact`: the same document without insignificant space,
/// keys and numbers exactly as written.
pub fn compact_json(text: &[u8]) -> Result<String, String> {
    serde_json::from_slice::<serde::de::IgnoredAny>(text).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(text);
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            out.push(c);
        }
    }
    Ok(out)
}

/// `--cap-add`/`--cap-drop`: upper-cased with a `CAP_` prefix (except
/// `ALL`), duplicates dropped, sorted.
pub fn capabilities(values: &[String]) -> Vec<String> {
    let mut caps: Vec<String> = values
        .iter()
        .map(|value| {
            let upper = value.to_uppercase();
            if upper == "ALL" || upper.starts_with("CAP_") {
                upper
            } else {
                format!("CAP_{upper}")
            }
        })
        .collect();
    caps.sort();
    caps.dedup();
    caps
}

/// `--sysctl`: only namespaced sysctls are accepted (opts.ValidateSysctl).
pub fn validate_sysctl(value: &str) -> Result<(String, String), String> {
    const ALLOWED: &[&str] = &[
        "kernel.msgmax",
        "kernel.msgmnb",
        "kernel.msgmni",
        "kernel.sem",
        "kernel.shmall",
        "kernel.shmmax",
        "kernel.shmmni",
        "kernel.shm_rmid_forced",
    ];
    let not_allowed = || format!("sysctl '{value}' is not allowed");
    let Some((key, rest)) = value.split_once('=') else {
        return Err(not_allowed());
    };
    if ALLOWED.contains(&key) || key.starts_with("net.") || key.starts_with("fs.mqueue.") {
        return Ok((key.to_string(), rest.to_string()));
    }
    Err(not_allowed())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn ulimits_as_docker() {
        // Values and errors checked with `docker create --ulimit` (CLI 28).
        let got = ulimits(&strings(&["nproc=5", "nofile=1024:2048", "nproc=6"])).unwrap();
        assert_eq!(
            serde_json::to_value(&got).unwrap(),
            serde_json::json!([{"Hard":2048,"Name":"nofile","Soft":1024},{"Hard":6,"Name":"nproc","Soft":6}])
        );
        assert_eq!(parse_ulimit("nofile=5:-1").unwrap().hard, -1);
        assert_eq!(parse_ulimit("nofile=-1:-1").unwrap().soft, -1);
        let errors = [
            ("nofile", "invalid ulimit argument: nofile"),
            ("bogus=1", "invalid ulimit type: bogus"),
            (
                "nofile=x",
                "strconv.ParseInt: parsing \"x\": invalid syntax",
            ),
            (
                "nofile=10:5",
                "ulimit soft limit must be less than or equal to hard limit: 10 > 5",
            ),
            (
                "nofile=1:2:3",
                "too many limit value arguments - 1:2:3, can only have up to two, `soft[:hard]`",
            ),
        ];
        for (value, want) in errors {
            assert_eq!(parse_ulimit(value).unwrap_err(), want, "{value}");
        }
    }

    #[test]
    fn restart_policies() {
        let cases = [
            ("no", ("no", 0)),
            ("always", ("always", 0)),
            ("unless-stopped", ("unless-stopped", 0)),
            ("on-failure", ("on-failure", 0)),
            ("on-failure:3", ("on-failure", 3)),
            ("on-failure:-1", ("on-failure", -1)),
            ("always:3", ("always", 3)),
            ("bogus", ("bogus", 0)),
        ];
        for (value, (name, count)) in cases {
            assert_eq!(
                parse_restart_policy(value),
                Ok((name.to_string(), count)),
                "{value}"
            );
        }
        assert_eq!(
            parse_restart_policy(":3").unwrap_err(),
            "invalid restart policy format: no policy provided before colon"
        );
        assert_eq!(
            parse_restart_policy("on-failure:x").unwrap_err(),
            "invalid restart policy format: maximum retry count must be an integer"
        );
    }

    #[test]
    fn extra_hosts() {
        let cases = [
            ("a:1.2.3.4", Ok("a:1.2.3.4")),
            ("b=::1", Ok("b:::1")),
            ("c:host-gateway", Ok("c:host-gateway")),
            ("a:[::1]", Ok("a:::1")),
            ("a:[1.2.3.4]", Ok("a:1.2.3.4")),
            ("bad", Err("bad format for add-host: \"bad\"")),
            (":1.2.3.4", Err("bad format for add-host: \":1.2.3.4\"")),
            ("h:notip", Err("invalid IP address in add-host: \"notip\"")),
            (
                "a:b:1.2.3.4",
                Err("invalid IP address in add-host: \"b:1.2.3.4\""),
            ),
            (
                "a=1.2.3.4:x",
                Err("invalid IP address in add-host: \"1.2.3.4:x\""),
            ),
        ];
        for (value, want) in cases {
            assert_eq!(
                validate_extra_host(value),
                want.map(str::to_string).map_err(str::to_string),
                "{value}"
            );
        }
    }

    #[test]
    fn devices() {
        let ok = [
            (
                "/dev/null",
                r#"{"CgroupPermissions":"rwm","PathInContainer":"/dev/null","PathOnHost":"/dev/null"}"#,
            ),
            (
                "/dev/zero:/z:r",
                r#"{"CgroupPermissions":"r","PathInContainer":"/z","PathOnHost":"/dev/zero"}"#,
            ),
            (
                "/dev/null:rw",
                r#"{"CgroupPermissions":"rw","PathInContainer":"/dev/null","PathOnHost":"/dev/null"}"#,
            ),
            (
                "/dev/sda:/dev/xvda:r",
                r#"{"CgroupPermissions":"r","PathInContainer":"/dev/xvda","PathOnHost":"/dev/sda"}"#,
            ),
        ];
        for (value, want) in ok {
            assert_eq!(
                serde_json::to_value(parse_device(value).unwrap()).unwrap(),
                serde_json::from_str::<serde_json::Value>(want).unwrap(),
                "{value}"
            );
        }
        let errors = [
            ("/dev/null:rel", "rel is not an absolute path"),
            ("/dev/null:/x:bad", "bad mode specified: bad"),
            ("/dev/a:/b:c:d", "bad format for path: /dev/a:/b:c:d"),
            (":/x", "bad format for path: :/x"),
            ("rel", "rel is not an absolute path"),
        ];
        for (value, want) in errors {
            assert_eq!(parse_device(value).unwrap_err(), want, "{value}");
        }
    }

    #[test]
    fn security_opts() {
        let dir = std::env::temp_dir().join(format!("dockbox-secopt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let profile = dir.join("profile.json");
        std::fs::write(&profile, "{\n \"b\": 1.50, \"a\": [ 1 , \"x y\" ]\n}\n").unwrap();
        let got = parse_security_opts(&strings(&[
            &format!("seccomp={}", profile.display()),
            "label:disable",
            "apparmor=unconfined",
            "seccomp:unconfined",
            "no-new-privileges",
            "systempaths=unconfined",
        ]))
        .unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            got.options,
            vec![
                r#"seccomp={"b":1.50,"a":[1,"x y"]}"#,
                "label:disable",
                "apparmor=unconfined",
                "seccomp:unconfined",
                "no-new-privileges"
            ]
        );
        assert!(got.unconfined_system_paths);
        assert_eq!(
            parse_security_opts(&strings(&["bogus"])).unwrap_err(),
            "Invalid --security-opt: \"bogus\""
        );
        assert_eq!(
            parse_security_opts(&strings(&["label="])).unwrap_err(),
            "Invalid --security-opt: \"label=\""
        );
        assert_eq!(
            parse_security_opts(&strings(&["seccomp=/nonexist"])).unwrap_err(),
            "opening seccomp profile (/nonexist) failed: open /nonexist: no such file or directory"
        );
    }

    #[test]
    fn capabilities_normalised() {
        // As `docker create --cap-add net_admin --cap-add CAP_SYS_TIME --cap-add all` sends them.
        assert_eq!(
            capabilities(&strings(&["net_admin", "CAP_SYS_TIME", "all"])),
            vec!["ALL", "CAP_NET_ADMIN", "CAP_SYS_TIME"]
        );
        assert_eq!(
            capabilities(&strings(&["sys_time", "net_admin", "net_admin"])),
            vec!["CAP_NET_ADMIN", "CAP_SYS_TIME"]
        );
        assert_eq!(
            capabilities(&strings(&[" kill ", "Sys_Admin"])),
            vec!["CAP_ KILL ", "CAP_SYS_ADMIN"]
        );
        assert!(capabilities(&[]).is_empty());
    }

    #[test]
    fn sysctls() {
        assert_eq!(
            validate_sysctl("net.ipv4.ip_forward=1"),
            Ok(("net.ipv4.ip_forward".into(), "1".into()))
        );
        assert_eq!(
            validate_sysctl("kernel.shm_rmid_forced=1"),
            Ok(("kernel.shm_rmid_forced".into(), "1".into()))
        );
        assert_eq!(
            validate_sysctl("fs.mqueue.x=1"),
            Ok(("fs.mqueue.x".into(), "1".into()))
        );
        for bad in ["vm.swappiness=1", "kernel.domainname=x", "a=b=c", "bad"] {
            assert_eq!(
                validate_sysctl(bad).unwrap_err(),
                format!("sysctl '{bad}' is not allowed")
            );
        }
    }
}
