//! `-p`/`--publish` and `--expose` into Config.ExposedPorts and
//! HostConfig.PortBindings, as docker/cli and go-connections/nat do it.

use crate::api::container::PortBinding;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// ExposedPorts (`"80/tcp": {}`) and PortBindings
/// (`"80/tcp": [{"HostIp": "", "HostPort": "8080"}]`), both keyed by
/// `port/proto`.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct PortSpecs {
    pub exposed: Vec<String>,
    pub bindings: Vec<(String, Vec<(String, String)>)>,
}

impl PortSpecs {
    fn expose(&mut self, port: &str) {
        if !self.exposed.iter().any(|p| p == port) {
            self.exposed.push(port.to_string());
        }
    }

    fn bind(&mut self, port: &str, host_ip: String, host_port: String) {
        self.expose(port);
        match self.bindings.iter_mut().find(|(p, _)| p == port) {
            Some((_, list)) => list.push((host_ip, host_port)),
            None => self
                .bindings
                .push((port.to_string(), vec![(host_ip, host_port)])),
        }
    }

    /// HostConfig.PortBindings, keyed by `port/proto`.
    pub fn port_bindings(&self) -> BTreeMap<String, Option<Vec<PortBinding>>> {
        self.bindings
            .iter()
            .map(|(port, list)| {
                let list = list
                    .iter()
                    .map(|(host_ip, host_port)| PortBinding {
                        host_ip: host_ip.clone(),
                        host_port: host_port.clone(),
                    })
                    .collect();
                (port.clone(), Some(list))
            })
            .collect()
    }
}

/// Parses all `-p` values then all `--expose` values.
pub fn parse_ports(publish: &[String], expose: &[String]) -> Result<PortSpecs, String> {
    let mut specs = PortSpecs::default();
    for raw in publish {
        let standard = standard_notation(raw)?;
        parse_port_spec(&standard, &mut specs)?;
    }
    for raw in expose {
        parse_expose(raw, &mut specs)?;
    }
    Ok(specs)
}

/// The long form `target=80,published=8080,protocol=udp` as
/// `8080:80/udp`.
fn standard_notation(publish: &str) -> Result<String, String> {
    if !publish.contains('=') {
        return Ok(publish.to_string());
    }
    let (mut published, mut target, mut protocol) = ("", "", "tcp");
    for param in publish.split(',') {
        match param.split_once('=') {
            Some((key, value)) if !key.is_empty() => match key {
                "published" => published = value,
                "target" => target = value,
                "protocol" => protocol = value,
                _ => {}
            },
            _ => {
                return Err(format!(
                    "invalid publish opts format (should be name=value but got '{param}')"
                ));
            }
        }
    }
    Ok(format!("{published}:{target}/{protocol}"))
}

fn split_parts(raw: &str) -> (String, &str, &str) {
    let parts: Vec<&str> = raw.split(':').collect();
    let n = parts.len();
    match n {
        1 => (String::new(), "", parts[0]),
        2 => (String::new(), parts[0], parts[1]),
        _ => (parts[..n - 2].join(":"), parts[n - 2], parts[n - 1]),
    }
}

/// go-connections' port range: `80` or `8000-8010`, each a uint16.
fn port_range(text: &str) -> Result<(u32, u32), String> {
    use super::units::parse_uint;
    if text.is_empty() {
        return Err("empty string specified for ports".into());
    }
    match text.split_once('-') {
        None => {
            let port = parse_uint(text, 16)? as u32;
            Ok((port, port))
        }
        Some((start, end)) => {
            let start = parse_uint(start, 16)? as u32;
            let end = parse_uint(end.split('-').next().unwrap_or(end), 16)? as u32;
            if end < start {
                return Err(format!("invalid range specified for port: {text}"));
            }
            Ok((start, end))
        }
    }
}

fn parse_port_spec(raw: &str, specs: &mut PortSpecs) -> Result<(), String> {
    let (mut ip, host_port, container) = split_parts(raw);
    let (container_port, proto) = match container.split_once('/') {
        Some((port, proto)) => (port, if proto.is_empty() { "tcp" } else { proto }),
        None => (container, "tcp"),
    };
    if container_port.is_empty() {
        return Err(format!("no port specified: {raw}<empty>"));
    }
    let proto = proto.to_lowercase();
    if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
        return Err(format!("invalid proto: {proto}"));
    }
    if let Some(inner) = ip.strip_prefix('[') {
        match inner.strip_suffix(']') {
            Some(inner) if !inner.contains(['[', ']']) => ip = inner.to_string(),
            _ => {
                return Err(format!(
                    "invalid IP address {ip}: address {ip}: missing ']' in address"
                ));
            }
        }
    }
    if !ip.is_empty() && ip.parse::<IpAddr>().is_err() {
        return Err(format!("invalid IP address: {ip}"));
    }
    let (start, end) = port_range(container_port)
        .map_err(|_| format!("invalid containerPort: {container_port}"))?;
    let (mut host_start, mut host_end) = (0, 0);
    if !host_port.is_empty() {
        (host_start, host_end) =
            port_range(host_port).map_err(|_| format!("invalid hostPort: {host_port}"))?;
        if end - start != host_end - host_start && end != start {
            return Err(format!(
                "invalid ranges specified for container and host Ports: {container_port} and {host_port}"
            ));
        }
    }
    let count = end - start + 1;
    for i in 0..count {
        let mut binding_port = String::new();
        if !host_port.is_empty() {
            binding_port = (host_start + i).to_string();
            // One container port with a host range: the daemon picks a
            // free port from the range.
            if count == 1 && host_start != host_end {
                binding_port = format!("{binding_port}-{host_end}");
            }
        }
        specs.bind(&format!("{}/{proto}", start + i), ip.clone(), binding_port);
    }
    Ok(())
}

fn parse_expose(raw: &str, specs: &mut PortSpecs) -> Result<(), String> {
    if raw.contains(':') {
        return Err(format!("invalid port format for --expose: {raw}"));
    }
    let (port, proto) = match raw.split_once('/') {
        Some((port, proto)) => (port, if proto.is_empty() { "tcp" } else { proto }),
        None => (raw, "tcp"),
    };
    let (start, end) = port_range(port)
        .map_err(|e| format!("invalid range format for --expose: {raw}, error: {e}"))?;
    for port in start..=end {
        specs.expose(&format!("{port}/{proto}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn publish_and_expose_as_docker_create_sends_them() {
        // Captured from `docker create` (CLI 28) with the same flags.
        let specs = parse_ports(
            &strings(&[
                "127.0.0.1:8080:80/udp",
                "8000-8001:80-81",
                ":90",
                "7000-7005:100",
                "[::1]:53:53/udp",
                "95",
            ]),
            &strings(&["3000-3001"]),
        )
        .unwrap();
        let mut exposed = specs.exposed.clone();
        exposed.sort();
        assert_eq!(
            exposed,
            [
                "100/tcp", "3000/tcp", "3001/tcp", "53/udp", "80/tcp", "80/udp", "81/tcp",
                "90/tcp", "95/tcp"
            ]
        );
        assert_eq!(
            serde_json::to_string(&specs.port_bindings()).unwrap(),
            concat!(
                r#"{"100/tcp":[{"HostIp":"","HostPort":"7000-7005"}],"53/udp":[{"HostIp":"::1","HostPort":"53"}],"#,
                r#""80/tcp":[{"HostIp":"","HostPort":"8000"}],"80/udp":[{"HostIp":"127.0.0.1","HostPort":"8080"}],"#,
                r#""81/tcp":[{"HostIp":"","HostPort":"8001"}],"90/tcp":[{"HostIp":"","HostPort":""}],"#,
                r#""95/tcp":[{"HostIp":"","HostPort":""}]}"#
            )
        );
    }

    #[test]
    fn repeated_ports_collect_bindings() {
        let specs = parse_ports(&strings(&["8080:80", "127.0.0.1:9090:80"]), &[]).unwrap();
        assert_eq!(
            specs.bindings,
            vec![(
                "80/tcp".to_string(),
                vec![
                    (String::new(), "8080".to_string()),
                    ("127.0.0.1".to_string(), "9090".to_string())
                ]
            )]
        );
    }

    #[test]
    fn long_syntax() {
        let specs = parse_ports(&strings(&["target=80,published=8080,protocol=udp"]), &[]).unwrap();
        assert_eq!(specs.bindings[0].0, "80/udp");
        assert_eq!(specs.bindings[0].1[0].1, "8080");
        assert_eq!(
            parse_ports(&strings(&["target=80,bogus"]), &[]).unwrap_err(),
            "invalid publish opts format (should be name=value but got 'bogus')"
        );
    }

    #[test]
    fn errors_as_docker_prints_them() {
        // Each message checked against `docker run -p ... busybox`.
        let cases = [
            ("99999:80", "invalid hostPort: 99999"),
            ("abc", "invalid containerPort: abc"),
            ("1.2.3.4:80:80:80", "invalid IP address: 1.2.3.4:80"),
            (
                "8000-8002:80-81",
                "invalid ranges specified for container and host Ports: 80-81 and 8000-8002",
            ),
            ("80/icmp", "invalid proto: icmp"),
            ("8080:", "no port specified: 8080:<empty>"),
            ("90-80", "invalid containerPort: 90-80"),
        ];
        for (spec, want) in cases {
            assert_eq!(
                parse_ports(&strings(&[spec]), &[]).unwrap_err(),
                want,
                "{spec}"
            );
        }
        assert_eq!(
            parse_ports(&[], &strings(&["abc"])).unwrap_err(),
            "invalid range format for --expose: abc, error: strconv.ParseUint: parsing \"abc\": invalid syntax"
        );
        assert_eq!(
            parse_ports(&[], &strings(&["80:80"])).unwrap_err(),
            "invalid port format for --expose: 80:80"
        );
    }
}
