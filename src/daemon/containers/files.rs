//! Where a container's files are (its exec-root directory, the runtime's
//! root) and the files the daemon writes into its directory and the
//! runtime bind-mounts: /etc/hostname, /etc/hosts and /etc/resolv.conf.

use super::record::ContainerRecord;
use crate::daemon::state::Daemon;
use std::io;
use std::path::{Path, PathBuf};

/// The container's directory in the exec root: bundle, shim socket and
/// state file.
pub fn bundle_dir(daemon: &Daemon, id: &str) -> PathBuf {
    daemon.config().exec_root.join(id)
}

pub fn runtime_root(daemon: &Daemon) -> PathBuf {
    daemon.config().exec_root.join("runtime")
}

const DEFAULT_HOSTS: &str = "127.0.0.1\tlocalhost\n\
::1\tlocalhost ip6-localhost ip6-loopback\n\
fe00::0\tip6-localnet\n\
ff00::0\tip6-mcastprefix\n\
ff02::1\tip6-allnodes\n\
ff02::2\tip6-allrouters\n";

/// An `ExtraHosts` entry (`name:ip` or `name=ip`) as a hosts line.
pub fn extra_host_line(entry: &str) -> Option<String> {
    let (name, address) = entry.split_once('=').or_else(|| entry.split_once(':'))?;
    if name.is_empty() || address.is_empty() {
        return None;
    }
    let address = address.trim_start_matches('[').trim_end_matches(']');
    Some(format!("{address}\t{name}\n"))
}

/// /etc/hosts: the host's own for `--network host`, Docker's default
/// otherwise, then ExtraHosts.
pub fn hosts_content(record: &ContainerRecord, host_hosts: &str) -> String {
    let mut text = if record.host_config.network_mode == "host" {
        host_hosts.to_string()
    } else {
        DEFAULT_HOSTS.to_string()
    };
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    for entry in record.host_config.extra_hosts.iter().flatten() {
        if let Some(line) = extra_host_line(entry) {
            text.push_str(&line);
        }
    }
    text
}

/// /etc/resolv.conf: the Dns, DnsSearch and DnsOptions given, or the
/// host's file without loopback resolvers (unreachable from the
/// container's namespace), falling back to public resolvers as moby does.
pub fn resolv_conf_content(record: &ContainerRecord, host_resolv: &str) -> String {
    let host = &record.host_config;
    let given = |list: &Option<Vec<String>>| list.clone().unwrap_or_default();
    let (dns, search, options) = (
        given(&host.dns),
        given(&host.dns_search),
        given(&host.dns_options),
    );
    let keep_loopback = host.network_mode == "host";
    let mut nameservers = dns;
    let mut lines = Vec::new();
    if nameservers.is_empty() {
        for line in host_resolv.lines() {
            let mut words = line.split_whitespace();
            match words.next() {
                Some("nameserver") => {
                    if let Some(address) = words.next()
                        && (keep_loopback || !(address.starts_with("127.") || address == "::1"))
                    {
                        nameservers.push(address.to_string());
                    }
                }
                Some("search") if search.is_empty() => lines.push(line.to_string()),
                Some("options") if options.is_empty() => lines.push(line.to_string()),
                _ => {}
            }
        }
        if nameservers.is_empty() {
            nameservers = vec!["8.8.8.8".to_string(), "8.8.4.4".to_string()];
        }
    }
    let mut text = String::new();
    for server in nameservers {
        text.push_str(&format!("nameserver {server}\n"));
    }
    if !search.is_empty() {
        text.push_str(&format!("search {}\n", search.join(" ")));
    }
    if !options.is_empty() {
        text.push_str(&format!("options {}\n", options.join(" ")));
    }
    for line in lines {
        text.push_str(&line);
        text.push('\n');
    }
    text
}

fn write(path: &Path, text: &str) -> io::Result<()> {
    std::fs::write(path, text)
        .map_err(|e| io::Error::new(e.kind(), format!("write {}: {e}", path.display())))
}

/// Creates the container's directory and its three files.
pub fn write_container_files(record: &ContainerRecord, data_root: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    let dir = record.dir(data_root);
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o710)
        .create(&dir)
        .map_err(|e| io::Error::new(e.kind(), format!("create {}: {e}", dir.display())))?;
    let host_hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    let host_resolv = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    write(
        &record.hostname_path(data_root),
        &format!("{}\n", record.config.hostname),
    )?;
    write(
        &record.hosts_path(data_root),
        &hosts_content(record, &host_hosts),
    )?;
    write(
        &record.resolv_conf_path(data_root),
        &resolv_conf_content(record, &host_resolv),
    )?;
    Ok(())
}

/// /etc/hosts at start: the file of [`hosts_content`] and, as Docker
/// writes it, a line with each address of the container and its hostname.
/// Rewritten in place: it is a bind mount of a running container on a
/// restart.
pub fn write_hosts(
    record: &ContainerRecord,
    data_root: &Path,
    sandbox: Option<&crate::daemon::network_service::Sandbox>,
) -> io::Result<()> {
    let host_hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    let mut text = hosts_content(record, &host_hosts);
    for endpoint in sandbox.iter().flat_map(|sandbox| &sandbox.endpoints) {
        text.push_str(&format!(
            "{}\t{}\n",
            endpoint.ip_address, record.config.hostname
        ));
    }
    write(&record.hosts_path(data_root), &text)
}

/// Removes the container's directory and everything in it.
pub fn remove_container_files(data_root: &Path, id: &str) -> io::Result<()> {
    let dir = super::record::container_dir(data_root, id);
    match std::fs::remove_dir_all(&dir) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(io::Error::new(
            e.kind(),
            format!("remove {}: {e}", dir.display()),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_resolv_conf() {
        let mut record = ContainerRecord::default();
        record.host_config.extra_hosts = Some(vec![
            "db:10.0.0.2".into(),
            "v6:::1".into(),
            "eq=1.2.3.4".into(),
        ]);
        let hosts = hosts_content(&record, "1.1.1.1 myhost\n");
        assert!(hosts.starts_with("127.0.0.1\tlocalhost\n"));
        assert!(
            hosts.ends_with("10.0.0.2\tdb\n::1\tv6\n1.2.3.4\teq\n"),
            "{hosts}"
        );
        record.host_config.network_mode = "host".into();
        assert!(hosts_content(&record, "1.1.1.1 myhost").starts_with("1.1.1.1 myhost\n"));
        record.host_config.network_mode = "none".into();
        let host = "nameserver 127.0.0.53\nnameserver 9.9.9.9\nsearch example.com\n";
        assert_eq!(
            resolv_conf_content(&record, host),
            "nameserver 9.9.9.9\nsearch example.com\n"
        );
        assert_eq!(
            resolv_conf_content(&record, "nameserver 127.0.0.1\n"),
            "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"
        );
        record.host_config.dns = Some(vec!["1.1.1.1".into()]);
        record.host_config.dns_search = Some(vec!["a.b".into()]);
        assert_eq!(
            resolv_conf_content(&record, host),
            "nameserver 1.1.1.1\nsearch a.b\n"
        );
    }
}
