//! `docker network create|ls|inspect|rm|connect|disconnect|prune`, as
//! Docker CLI 28 runs and prints them.

use super::containers::{fetch_object, inspect_each, path_escape};
use super::{Session, confirm, print};
use crate::api::container::EndpointIpamConfig;
use crate::api::container_view::EndpointSettings;
use crate::api::network::{
    ConfigReference, Ipam, IpamPool, Network, NetworkConnectRequest, NetworkCreateRequest,
    NetworkCreateResponse, NetworkDisconnectRequest,
};
use crate::api::prune::NetworksPruneReport;
use crate::applets::docker::args::Parsed;
use crate::applets::docker::client::{Failure, daemon_error, version_less};
use crate::applets::docker::format::render;
use crate::applets::docker::parse::filters::{collect_filters, filters_json};
use crate::applets::docker::parse::kv::key_value_map;
use crate::applets::docker::queries::encode_query;
use crate::applets::docker::template::Value;
use crate::http::Headers;
use std::net::Ipv4Addr;

fn owned(parsed: &Parsed, flag: &str) -> Vec<String> {
    parsed
        .values(flag)
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// A `--subnet`/`--ip-range`/`--gateway` value as an IPv4 CIDR or address.
fn cidr(text: &str) -> Option<(u32, u32)> {
    let (address, prefix) = text.split_once('/')?;
    let address: Ipv4Addr = address.parse().ok()?;
    let prefix: u32 = prefix.parse().ok().filter(|p| *p <= 32)?;
    let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
    Some((u32::from(address) & mask, mask))
}

fn in_subnet(subnet: &str, address: &str) -> bool {
    let address = address.split('/').next().unwrap_or_default();
    match (cidr(subnet), address.parse::<Ipv4Addr>()) {
        (Some((base, mask)), Ok(address)) => u32::from(address) & mask == base,
        _ => false,
    }
}

/// The IPAM pools of the flags, paired as docker/cli's
/// `consolidateIpam` pairs them: each range and gateway to the subnet
/// that holds it.
fn ipam_pools(parsed: &Parsed) -> Result<Vec<IpamPool>, String> {
    let subnets = owned(parsed, "subnet");
    let ranges = owned(parsed, "ip-range");
    let gateways = owned(parsed, "gateway");
    if subnets.len() < ranges.len() || subnets.len() < gateways.len() {
        return Err("every ip-range or gateway must have a corresponding subnet".into());
    }
    let mut pools: Vec<IpamPool> = subnets
        .iter()
        .map(|subnet| IpamPool {
            subnet: subnet.clone(),
            ..IpamPool::default()
        })
        .collect();
    for range in &ranges {
        let pool = pools
            .iter_mut()
            .find(|pool| in_subnet(&pool.subnet, range))
            .ok_or_else(|| format!("no matching subnet for range {range}"))?;
        if !pool.ip_range.is_empty() {
            return Err(format!(
                "cannot configure multiple ranges ({range}, {}) on the same subnet ({})",
                pool.ip_range, pool.subnet
            ));
        }
        pool.ip_range = range.clone();
    }
    for gateway in &gateways {
        let pool = pools
            .iter_mut()
            .find(|pool| in_subnet(&pool.subnet, gateway))
            .ok_or_else(|| format!("no matching subnet for gateway {gateway}"))?;
        if !pool.gateway.is_empty() {
            return Err(format!(
                "cannot configure multiple gateways ({gateway}, {}) for the same subnet ({})",
                pool.gateway, pool.subnet
            ));
        }
        pool.gateway = gateway.clone();
    }
    let aux = key_value_map(&owned(parsed, "aux-address"));
    if !aux.is_empty() {
        return Err("--aux-address is not supported by dockbox yet".into());
    }
    Ok(pools)
}

pub fn create(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let pools = ipam_pools(parsed).map_err(|e| Failure::new(1, e))?;
    let version = session.client.api_version();
    let config_from = parsed.value("config-from").unwrap_or_default();
    let body = NetworkCreateRequest {
        name: parsed.args.first().cloned().unwrap_or_default(),
        check_duplicate: version_less(&version, "1.44").then_some(true),
        driver: parsed.value("driver").unwrap_or("bridge").to_string(),
        scope: parsed.value("scope").unwrap_or_default().to_string(),
        internal: parsed.is_true("internal"),
        attachable: parsed.is_true("attachable"),
        ingress: parsed.is_true("ingress"),
        config_only: parsed.is_true("config-only"),
        config_from: (!config_from.is_empty()).then(|| ConfigReference {
            network: config_from.to_string(),
        }),
        ipam: Some(Ipam {
            driver: parsed.value("ipam-driver").unwrap_or("default").to_string(),
            options: Some(key_value_map(&owned(parsed, "ipam-opt"))),
            config: Some(pools),
        }),
        enable_ipv4: (parsed.value("ipv4").is_some() && !version_less(&version, "1.47"))
            .then(|| parsed.is_true("ipv4")),
        enable_ipv6: parsed
            .value("ipv6")
            .is_some()
            .then(|| parsed.is_true("ipv6")),
        options: Some(key_value_map(&owned(parsed, "opt"))),
        labels: Some(key_value_map(&owned(parsed, "label"))),
    };
    let body = serde_json::to_vec(&body).expect("strings encode");
    let created: NetworkCreateResponse = session
        .client
        .call("POST", "/networks/create", &body)?
        .decode()?;
    if !created.warning.is_empty() {
        eprintln!("{}", created.warning);
    }
    print(&format!("{}\n", created.id));
    Ok(())
}

/// A `docker network ls` row as its templates see it.
#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct NetworkRow {
    #[serde(rename = "ID")]
    id: String,
    name: String,
    driver: String,
    scope: String,
    #[serde(rename = "IPv4")]
    ipv4: String,
    #[serde(rename = "IPv6")]
    ipv6: String,
    internal: String,
    labels: String,
    created_at: String,
}

/// Go's `time.Time.String()` of an RFC 3339 time.
fn go_time_string(rfc3339: &str) -> String {
    let spaced = rfc3339.replacen('T', " ", 1);
    if let Some(utc) = spaced.strip_suffix('Z') {
        return format!("{utc} +0000 UTC");
    }
    match spaced.rfind(['+', '-']).filter(|at| *at > 10) {
        Some(at) => {
            let zone = spaced[at..].replace(':', "");
            format!("{} {zone} {zone}", &spaced[..at])
        }
        None => spaced,
    }
}

impl NetworkRow {
    fn of(network: &Network, no_trunc: bool) -> NetworkRow {
        let labels: Vec<String> = network
            .labels
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect();
        let id = if no_trunc {
            network.id.clone()
        } else {
            network.id.chars().take(12).collect()
        };
        NetworkRow {
            id,
            name: network.name.clone(),
            driver: network.driver.clone(),
            scope: network.scope.clone(),
            // Absent before API 1.48, when every network had IPv4.
            ipv4: network.enable_ipv4.unwrap_or(true).to_string(),
            ipv6: network.enable_ipv6.to_string(),
            internal: network.internal.to_string(),
            labels: labels.join(","),
            created_at: go_time_string(&network.created),
        }
    }

    fn header() -> NetworkRow {
        NetworkRow {
            id: "NETWORK ID".into(),
            name: "NAME".into(),
            driver: "DRIVER".into(),
            scope: "SCOPE".into(),
            ipv4: "IPV4".into(),
            ipv6: "IPV6".into(),
            internal: "INTERNAL".into(),
            labels: "LABELS".into(),
            created_at: "CREATED AT".into(),
        }
    }

    fn value(&self) -> Value {
        Value::Data(serde_json::to_value(self).expect("strings encode"))
    }
}

fn with_filters(path: &str, parsed: &Parsed) -> Result<String, Failure> {
    let filters = collect_filters(parsed.values("filter")).map_err(|e| Failure::new(1, e))?;
    let mut params = Vec::new();
    if let Some(json) = filters_json(&filters) {
        params.push(("filters", json));
    }
    let query = encode_query(&mut params);
    Ok(if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    })
}

pub fn list(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let path = with_filters("/networks", parsed)?;
    let mut networks: Vec<Network> = session.client.get(&path)?;
    networks.sort_by(|a, b| natural_less(&a.name, &b.name));
    let format = match parsed.value("format").unwrap_or_default() {
        "" | "table" if parsed.is_true("quiet") => "{{.ID}}",
        "" | "table" => "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}",
        custom => custom,
    };
    let no_trunc = parsed.is_true("no-trunc");
    let rows: Vec<Value> = networks
        .iter()
        .map(|n| NetworkRow::of(n, no_trunc).value())
        .collect();
    let out =
        render(format, &NetworkRow::header().value(), &rows).map_err(|e| Failure::new(1, e))?;
    print(&out);
    Ok(())
}

/// docker/cli's `sortorder.NaturalLess`: digit runs compare as numbers.
fn natural_less(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (None, _) => return std::cmp::Ordering::Less,
            (_, None) => return std::cmp::Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let run = |s: &[u8]| s.iter().take_while(|c| c.is_ascii_digit()).count();
                let (ra, rb) = (run(a), run(b));
                let trim = |s: &[u8]| {
                    let zeros = s.iter().take_while(|c| **c == b'0').count();
                    s[zeros..].to_vec()
                };
                let (na, nb) = (trim(&a[..ra]), trim(&b[..rb]));
                let order = na.len().cmp(&nb.len()).then(na.cmp(&nb));
                if order != std::cmp::Ordering::Equal {
                    return order;
                }
                a = &a[ra..];
                b = &b[rb..];
            }
            (Some(x), Some(y)) if x != y => return x.cmp(y),
            _ => {
                a = &a[1..];
                b = &b[1..];
            }
        }
    }
}

pub fn inspect(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let verbose = parsed.is_true("verbose");
    inspect_each(session, parsed, |session, name| {
        let mut path = format!("/networks/{}", path_escape(name));
        if verbose {
            path.push_str("?verbose=true");
        }
        fetch_object(session, &path)
    })
}

/// Each network in turn; a failure is printed at once and the rest go
/// on, then the exit status is 1 (docker/cli's `runRemove`).
pub fn remove(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let force = parsed.is_true("force");
    let mut failed = false;
    for name in &parsed.args {
        let path = format!("/networks/{}", path_escape(name));
        let reply = session.client.send("DELETE", &path, &Headers::new(), &[])?;
        if reply.status < 400 {
            print(&format!("{name}\n"));
        } else if !(force && reply.status == 404) {
            eprintln!("{}", daemon_error(&reply).message);
            failed = true;
        }
    }
    if failed {
        // docker/cli ends with a bare status error, printed as such.
        return Err(Failure::new(1, "exit status 1"));
    }
    Ok(())
}

pub fn connect(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let driver_opts = key_value_map(&owned(parsed, "driver-opt"));
    let settings = EndpointSettings {
        ipam_config: Some(EndpointIpamConfig {
            ipv4_address: parsed.value("ip").unwrap_or_default().to_string(),
            ipv6_address: parsed.value("ip6").unwrap_or_default().to_string(),
            link_local_ips: Some(owned(parsed, "link-local-ip")).filter(|ips| !ips.is_empty()),
        }),
        links: Some(owned(parsed, "link")),
        aliases: Some(owned(parsed, "alias")).filter(|aliases| !aliases.is_empty()),
        driver_opts: (!driver_opts.is_empty()).then_some(driver_opts),
        gw_priority: parsed.int("gw-priority").unwrap_or_default(),
        ..EndpointSettings::default()
    };
    let body = NetworkConnectRequest {
        container: parsed.args[1].clone(),
        endpoint_config: Some(settings),
    };
    let path = format!("/networks/{}/connect", path_escape(&parsed.args[0]));
    let body = serde_json::to_vec(&body).expect("strings encode");
    session.client.call("POST", &path, &body)?;
    Ok(())
}

pub fn disconnect(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let body = NetworkDisconnectRequest {
        container: parsed.args[1].clone(),
        force: parsed.is_true("force"),
    };
    let path = format!("/networks/{}/disconnect", path_escape(&parsed.args[0]));
    let body = serde_json::to_vec(&body).expect("strings encode");
    session.client.call("POST", &path, &body)?;
    Ok(())
}

pub fn prune(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let path = with_filters("/networks/prune", parsed)?;
    if !parsed.is_true("force")
        && !confirm(
            "WARNING! This will remove all custom networks not used by at least one container.",
        )
    {
        return Ok(());
    }
    let report: NetworksPruneReport = session.client.call("POST", &path, &[])?.decode()?;
    let deleted = report.networks_deleted.unwrap_or_default();
    if !deleted.is_empty() {
        let mut out = String::from("Deleted Networks:\n");
        for name in deleted {
            out.push_str(&name);
            out.push('\n');
        }
        out.push('\n');
        print(&out);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_time_strings_and_natural_order() {
        assert_eq!(
            go_time_string("2026-12-06T14:59:23.5357Z"),
            "2026-12-06 14:59:23.5357 +0000 UTC"
        );
        assert_eq!(
            go_time_string("2026-12-06T14:59:23+01:00"),
            "2026-12-06 14:59:23 +0100 +0100"
        );
        let mut names = vec!["net10", "net9", "bridge", "Net1"];
        names.sort_by(|a, b| natural_less(a, b));
        assert_eq!(names, ["Net1", "bridge", "net9", "net10"]);
    }

    #[test]
    fn ranges_and_gateways_pair_with_their_subnets() {
        assert!(in_subnet("10.1.0.0/16", "10.1.2.0/24"));
        assert!(!in_subnet("10.1.0.0/16", "10.2.0.1"));
    }
}
