//! The columns of `docker ps`: short IDs, the quoted and cut COMMAND,
//! CREATED (`2 minutes ago`), STATUS as the daemon words it, and PORTS.

use super::tabwriter::display_width;
use crate::applets::docker::template::go_quote;
use crate::gofmt::duration::human_duration;
use std::time::{Duration, SystemTime};

/// docker's `TruncateID`: drops an algorithm prefix (`sha256:`) and keeps
/// 12 characters.
pub fn truncate_id(id: &str) -> &str {
    let id = match id.find(':') {
        Some(colon) => &id[colon + 1..],
        None => id,
    };
    match id.char_indices().nth(12) {
        Some((end, _)) => &id[..end],
        None => id,
    }
}

/// docker/cli's `Ellipsis`: cuts `text` to `max_width` terminal columns,
/// the last one being `…`.
pub fn ellipsis(text: &str, max_width: usize) -> String {
    if max_width == 0 {
        return String::new();
    }
    if max_width == 1 {
        return text.chars().next().map(String::from).unwrap_or_default();
    }
    if display_width(text) <= max_width {
        return text.to_string();
    }
    let mut width = 0;
    let mut out = String::new();
    for c in text.chars() {
        let char_width = display_width(c.encode_utf8(&mut [0; 4]));
        if width + char_width > max_width - 1 {
            break;
        }
        width += char_width;
        out.push(c);
    }
    out.push('…');
    out
}

/// The COMMAND column: cut to 20 columns unless `--no-trunc`, then quoted
/// as Go's `strconv.Quote` does.
pub fn quoted_command(command: &str, truncate: bool) -> String {
    if truncate {
        go_quote(&ellipsis(command, 20))
    } else {
        go_quote(command)
    }
}

/// The CREATED column: `2 minutes ago`.
pub fn running_for(created: SystemTime, now: SystemTime) -> String {
    let age = now.duration_since(created).unwrap_or(Duration::ZERO);
    format!("{} ago", human_duration(age))
}

/// One entry of a container's `Ports` in the list API.
#[derive(Debug, Clone, PartialEq)]
pub struct PortSummary {
    /// Host address; empty for a port that is only exposed.
    pub ip: String,
    pub private_port: u16,
    pub public_port: u16,
    pub kind: String,
}

fn join_host_port(host: &str, port: &str) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// The PORTS column: consecutive ports on the same address and protocol
/// collapse into ranges (`0.0.0.0:8000-8001->8000-8001/tcp`), mappings to a
/// different host port are listed after them
/// (`0.0.0.0:8080->80/tcp, [::]:8080->80/tcp`).
pub fn displayable_ports(ports: &[PortSummary]) -> String {
    let mut ports = ports.to_vec();
    ports.sort_by(|a, b| {
        (a.private_port, &a.ip, a.public_port, &a.kind).cmp(&(
            b.private_port,
            &b.ip,
            b.public_port,
            &b.kind,
        ))
    });
    // Groups keyed by "ip/type" or "type", in order of first appearance.
    let mut groups: Vec<(String, u16, u16)> = Vec::new();
    let mut result = Vec::new();
    let mut host_mappings = Vec::new();
    for port in &ports {
        let current = port.private_port;
        let mut key = port.kind.clone();
        if !port.ip.is_empty() {
            if port.public_port != current {
                host_mappings.push(format!(
                    "{}->{}/{}",
                    join_host_port(&port.ip, &port.public_port.to_string()),
                    port.private_port,
                    port.kind
                ));
                continue;
            }
            key = format!("{}/{}", port.ip, port.kind);
        }
        match groups.iter_mut().find(|(k, _, _)| *k == key) {
            None => groups.push((key, current, current)),
            Some(group) => {
                if current == group.2.wrapping_add(1) {
                    group.2 = current;
                } else {
                    result.push(form_group(&group.0, group.1, group.2));
                    group.1 = current;
                    group.2 = current;
                }
            }
        }
    }
    for (key, first, last) in &groups {
        result.push(form_group(key, *first, *last));
    }
    result.extend(host_mappings);
    result.join(", ")
}

fn form_group(key: &str, first: u16, last: u16) -> String {
    let parts: Vec<&str> = key.split('/').collect();
    let (ip, kind) = if parts.len() > 1 {
        (parts[0], parts[1])
    } else {
        ("", parts[0])
    };
    let mut group = first.to_string();
    if first != last {
        group = format!("{group}-{last}");
    }
    if !ip.is_empty() {
        group = format!("{}->{group}", join_host_port(ip, &group));
    }
    format!("{group}/{kind}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_truncate_to_twelve() {
        assert_eq!(
            truncate_id("4f66ad9a0b2e5c1e8d5c3f5d2e6b7a8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a"),
            "4f66ad9a0b2e"
        );
        assert_eq!(
            truncate_id("sha256:90659bf80b44ce6be8234e6ff90a1ac34acbeb826903b02cfa0da11c82cbc042"),
            "90659bf80b44"
        );
        assert_eq!(truncate_id("abc"), "abc");
    }

    #[test]
    fn ellipsis_as_docker_cli() {
        // docker/cli displayutils_test.go cases.
        let cases = [
            ("t🐳ststring", 0, ""),
            ("t🐳ststring", 1, "t"),
            ("t🐳ststring", 2, "t…"),
            ("t🐳ststring", 6, "t🐳st…"),
            ("t🐳ststring", 20, "t🐳ststring"),
            ("你好世界teststring", 0, ""),
            ("你好世界teststring", 1, "你"),
            ("你好世界teststring", 3, "你…"),
            ("你好世界teststring", 6, "你好…"),
            ("你好世界teststring", 20, "你好世界teststring"),
            ("abcdefghijklmnopqrstuvwxyz", 20, "abcdefghijklmnopqrs…"),
        ];
        for (text, width, want) in cases {
            assert_eq!(ellipsis(text, width), want, "{text} {width}");
        }
    }

    #[test]
    fn command_column_is_cut_and_quoted() {
        assert_eq!(
            quoted_command("sh -c 'sleep 1000; echo done'", true),
            "\"sh -c 'sleep 1000; …\""
        );
        assert_eq!(quoted_command("echo \"hi\"", true), r#""echo \"hi\"""#);
        assert_eq!(
            quoted_command("sh -c 'sleep 1000; echo done'", false),
            "\"sh -c 'sleep 1000; echo done'\""
        );
        assert_eq!(quoted_command("top", true), "\"top\"");
    }

    #[test]
    fn created_column_says_how_long_ago() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(
            running_for(now - Duration::from_secs(150), now),
            "2 minutes ago"
        );
        assert_eq!(running_for(now, now), "Less than a second ago");
    }

    fn port(ip: &str, private_port: u16, public_port: u16, kind: &str) -> PortSummary {
        PortSummary {
            ip: ip.into(),
            private_port,
            public_port,
            kind: kind.into(),
        }
    }

    #[test]
    fn ports_column_as_docker_ps() {
        // Cases and expectations from docker/cli's TestDisplayablePorts.
        let cases: Vec<(Vec<PortSummary>, &str)> = vec![
            (vec![port("", 9988, 0, "tcp")], "9988/tcp"),
            (vec![port("", 9988, 0, "udp")], "9988/udp"),
            (vec![port("0.0.0.0", 9988, 0, "tcp")], "0.0.0.0:0->9988/tcp"),
            (vec![port("::", 9988, 0, "tcp")], "[::]:0->9988/tcp"),
            (vec![port("", 9988, 8899, "tcp")], "9988/tcp"),
            (
                vec![port("4.3.2.1", 9988, 8899, "tcp")],
                "4.3.2.1:8899->9988/tcp",
            ),
            (
                vec![port("4.3.2.1", 9988, 9988, "tcp")],
                "4.3.2.1:9988->9988/tcp",
            ),
            (
                vec![port("", 9988, 0, "udp"), port("", 9988, 0, "udp")],
                "9988/udp, 9988/udp",
            ),
            (
                vec![
                    port("1.2.3.4", 9998, 9998, "udp"),
                    port("1.2.3.4", 9999, 9999, "udp"),
                ],
                "1.2.3.4:9998-9999->9998-9999/udp",
            ),
            (
                vec![
                    port("1.2.3.4", 9998, 8887, "udp"),
                    port("1.2.3.4", 9999, 8888, "udp"),
                ],
                "1.2.3.4:8887->9998/udp, 1.2.3.4:8888->9999/udp",
            ),
            (
                vec![port("", 9998, 0, "udp"), port("", 9999, 0, "udp")],
                "9998-9999/udp",
            ),
            (
                vec![
                    port("1.2.3.4", 6677, 7766, "tcp"),
                    port("", 9988, 8899, "udp"),
                ],
                "9988/udp, 1.2.3.4:7766->6677/tcp",
            ),
            (
                vec![
                    port("1.2.3.4", 9988, 8899, "udp"),
                    port("1.2.3.4", 9988, 8899, "tcp"),
                    port("4.3.2.1", 2233, 3322, "tcp"),
                ],
                "4.3.2.1:3322->2233/tcp, 1.2.3.4:8899->9988/tcp, 1.2.3.4:8899->9988/udp",
            ),
            (
                vec![
                    port("", 9988, 8899, "udp"),
                    port("1.2.3.4", 6677, 7766, "tcp"),
                    port("4.3.2.1", 2233, 3322, "tcp"),
                ],
                "9988/udp, 4.3.2.1:3322->2233/tcp, 1.2.3.4:7766->6677/tcp",
            ),
            (
                vec![
                    port("", 80, 0, "tcp"),
                    port("", 1024, 0, "tcp"),
                    port("", 80, 0, "udp"),
                    port("", 1024, 0, "udp"),
                    port("1.1.1.1", 1024, 80, "tcp"),
                    port("1.1.1.1", 1024, 80, "udp"),
                    port("1.1.1.1", 80, 1024, "tcp"),
                    port("1.1.1.1", 80, 1024, "udp"),
                    port("2.1.1.1", 1024, 80, "tcp"),
                    port("2.1.1.1", 1024, 80, "udp"),
                    port("2.1.1.1", 80, 1024, "tcp"),
                    port("2.1.1.1", 80, 1024, "udp"),
                    port("", 12345, 0, "sctp"),
                ],
                "80/tcp, 80/udp, 1024/tcp, 1024/udp, 12345/sctp, 1.1.1.1:1024->80/tcp, 1.1.1.1:1024->80/udp, 2.1.1.1:1024->80/tcp, 2.1.1.1:1024->80/udp, 1.1.1.1:80->1024/tcp, 1.1.1.1:80->1024/udp, 2.1.1.1:80->1024/tcp, 2.1.1.1:80->1024/udp",
            ),
            (
                vec![
                    port("0.0.0.0", 80, 8080, "tcp"),
                    port("::", 80, 8080, "tcp"),
                ],
                "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp",
            ),
            (vec![], ""),
        ];
        for (ports, want) in cases {
            assert_eq!(displayable_ports(&ports), want, "{ports:?}");
        }
    }
}
