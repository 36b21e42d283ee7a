//! The commands that act on existing containers one by one: `stop`,
//! `restart`, `kill`, `pause`, `unpause`, `update`, `top` and `port`.
//! Each name on the command line is answered in order: the name on stdout
//! when it worked, the daemon's error collected for the end (exit 1).

use super::containers::path_escape;
use super::{Session, joined, print};
use crate::api::container::{RestartPolicy, UpdateConfig, UpdateResponse};
use crate::applets::docker::args::Parsed;
use crate::applets::docker::client::{Client, Failure, daemon_error, version_less};
use crate::applets::docker::format::TabWriter;
use crate::applets::docker::parse::host::parse_restart_policy;
use crate::applets::docker::queries::{encode_query, kill_query, query_escape};
use crate::http::Headers;
use serde_json::Value as Json;

/// docker/cli runs stop, kill, pause and unpause for up to 50 containers
/// at once.
const PARALLEL_LIMIT: usize = 50;

/// The Go client's check of an object name: spaces around it go, and
/// nothing left is an error before any request.
pub fn trimmed_id(name: &str) -> Result<&str, String> {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        Err("invalid container name or ID: value is empty".into())
    } else {
        Ok(trimmed)
    }
}

/// `POST /containers/{name}/{action}?{query}`; an error is the message
/// the CLI prints for this container.
fn post_action(client: &mut Client, name: &str, action: &str, query: &str) -> Result<(), String> {
    let id = trimmed_id(name)?;
    let mut path = format!("/containers/{}/{action}", path_escape(id));
    if !query.is_empty() {
        path.push('?');
        path.push_str(query);
    }
    let reply = client
        .send("POST", &path, &Headers::new(), &[])
        .map_err(|failure| failure.message)?;
    // 304 (already stopped, already started) is no error to the Go client.
    if reply.status >= 400 {
        return Err(daemon_error(&reply).message);
    }
    Ok(())
}

/// Runs `action` for every container side by side (each on a connection
/// of its own), and reports in command-line order as the CLI does: names
/// of the ones that worked on stdout as they finish, errors joined at the
/// end.
fn each_in_parallel(
    session: &mut Session,
    names: &[String],
    action: &'static str,
    query: &str,
) -> Result<(), Failure> {
    let mut errors = Vec::new();
    for batch in names.chunks(PARALLEL_LIMIT) {
        let workers: Vec<_> = batch
            .iter()
            .map(|name| {
                let mut client = session.client.another();
                let (name, query) = (name.clone(), query.to_string());
                std::thread::spawn(move || post_action(&mut client, &name, action, &query))
            })
            .collect();
        for (name, worker) in batch.iter().zip(workers) {
            match worker.join() {
                Ok(Ok(())) => print(&format!("{name}\n")),
                Ok(Err(message)) => errors.push(message),
                Err(_) => errors.push(format!("{action} {name}: worker panicked")),
            }
        }
    }
    finish_errors(errors)
}

fn finish_errors(errors: Vec<String>) -> Result<(), Failure> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(joined(&errors))
    }
}

/// The query of stop and restart. The signal is sent only to daemons of
/// API 1.42 and up, as the Go client does. `--time` is the deprecated
/// spelling of `--timeout`: pflag warns at each use, and the command
/// refuses both at once.
fn stop_query(session: &mut Session, parsed: &Parsed) -> Result<String, Failure> {
    // The CLI writes the warning to stdout.
    for _ in parsed.flags.iter().filter(|(name, _)| *name == "time") {
        print("Flag --time has been deprecated, use --timeout instead\n");
    }
    if parsed.is_set("time") && parsed.is_set("timeout") {
        return Err(Failure::new(
            1,
            "conflicting options: cannot specify both --timeout and --time",
        ));
    }
    let mut params = Vec::new();
    if let Some(timeout) = parsed.int("timeout").or(parsed.int("time")) {
        params.push(("t", timeout.to_string()));
    }
    if let Some(signal) = parsed.value("signal").filter(|s| !s.is_empty())
        && !version_less(&session.client.api_version(), "1.42")
    {
        params.push(("signal", signal.to_string()));
    }
    Ok(encode_query(&mut params))
}

pub fn stop(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let query = stop_query(session, parsed)?;
    each_in_parallel(session, &parsed.args, "stop", &query)
}

/// Restarts one container after the other, as docker/cli does.
pub fn restart(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let query = stop_query(session, parsed)?;
    let mut errors = Vec::new();
    for name in &parsed.args {
        match post_action(&mut session.client, name, "restart", &query) {
            Ok(()) => print(&format!("{name}\n")),
            Err(message) => errors.push(message),
        }
    }
    finish_errors(errors)
}

pub fn kill(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let query = kill_query(parsed);
    each_in_parallel(session, &parsed.args, "kill", &query)
}

pub fn pause(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    each_in_parallel(session, &parsed.args, "pause", "")
}

pub fn unpause(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    each_in_parallel(session, &parsed.args, "unpause", "")
}

/// `docker update`'s body: moby's UpdateConfig, the Resources the flags
/// set (unset ones zero, as the CLI sends them) and the restart policy.
pub fn update_body(parsed: &Parsed) -> Result<UpdateConfig, String> {
    let int = |long: &str| parsed.int(long).unwrap_or_default();
    let bytes = |long: &str| parsed.bytes(long).map_or(0, |bytes| bytes.0);
    let text = |long: &str| parsed.value(long).unwrap_or_default().to_string();
    let (policy_name, policy_count) = match parsed.value("restart").unwrap_or_default() {
        "" => (String::new(), 0),
        policy => parse_restart_policy(policy)?,
    };
    let pids_limit = int("pids-limit");
    Ok(UpdateConfig {
        cpu_shares: int("cpu-shares"),
        memory: bytes("memory"),
        nano_cpus: parsed.nano_cpus("cpus").map_or(0, |cpus| cpus.0),
        blkio_weight: u16::try_from(parsed.uint("blkio-weight").unwrap_or_default())
            .expect("--blkio-weight is read as uint16"),
        cpu_period: int("cpu-period"),
        cpu_quota: int("cpu-quota"),
        cpu_realtime_period: int("cpu-rt-period"),
        cpu_realtime_runtime: int("cpu-rt-runtime"),
        cpuset_cpus: text("cpuset-cpus"),
        cpuset_mems: text("cpuset-mems"),
        kernel_memory: bytes("kernel-memory"),
        memory_reservation: bytes("memory-reservation"),
        memory_swap: bytes("memory-swap"),
        pids_limit: (pids_limit != 0).then_some(pids_limit),
        restart_policy: Some(RestartPolicy {
            name: policy_name,
            maximum_retry_count: policy_count,
        }),
        ..UpdateConfig::default()
    })
}

pub fn update(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    if parsed.flags.is_empty() {
        return Err(Failure::new(
            1,
            "you must provide one or more flags when using this command",
        ));
    }
    let body = update_body(parsed).map_err(|e| Failure::new(1, e))?;
    let body = serde_json::to_vec(&body).expect("JSON encodes");
    let mut warnings = Vec::new();
    let mut errors = Vec::new();
    for name in &parsed.args {
        let id = match trimmed_id(name) {
            Ok(id) => id,
            Err(message) => {
                errors.push(message);
                continue;
            }
        };
        let path = format!("/containers/{}/update", path_escape(id));
        let reply = match session.client.send("POST", &path, &Headers::new(), &body) {
            Ok(reply) => reply,
            Err(failure) => {
                errors.push(failure.message);
                continue;
            }
        };
        if reply.status >= 400 {
            errors.push(daemon_error(&reply).message);
            continue;
        }
        print(&format!("{name}\n"));
        if let Ok(answer) = reply.decode::<UpdateResponse>() {
            warnings.extend(answer.warnings.unwrap_or_default());
        }
    }
    if !warnings.is_empty() {
        print(&format!("{}\n", warnings.join("\n")));
    }
    finish_errors(errors)
}

/// `docker top CONTAINER [ps OPTIONS]`: the daemon's `ps` table, aligned
/// as docker does (columns at least 20 wide, 3 spaces apart).
pub fn top(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let id = trimmed_id(&parsed.args[0]).map_err(|e| Failure::new(1, e))?;
    let mut path = format!("/containers/{}/top", path_escape(id));
    let ps_args = &parsed.args[1..];
    if !ps_args.is_empty() {
        path.push_str(&format!("?ps_args={}", query_escape(&ps_args.join(" "))));
    }
    let answer = session.client.get_json(&path)?;
    print(&top_table(&answer));
    Ok(())
}

pub fn top_table(answer: &Json) -> String {
    let cells = |row: &Json| -> String {
        row.as_array()
            .map(|cells| {
                cells
                    .iter()
                    .map(|cell| cell.as_str().unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join("\t")
            })
            .unwrap_or_default()
    };
    let mut writer = TabWriter::new(20, 3);
    writer.write(&cells(&answer["Titles"]));
    writer.write("\n");
    for process in answer["Processes"].as_array().into_iter().flatten() {
        writer.write(&cells(process));
        writer.write("\n");
    }
    writer.finish()
}

/// `docker port CONTAINER [PRIVATE_PORT[/PROTO]]`, from the container's
/// `NetworkSettings.Ports`.
pub fn port(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let container = &parsed.args[0];
    let id = trimmed_id(container).map_err(|e| Failure::new(1, e))?;
    let inspect = session
        .client
        .get_json(&format!("/containers/{}/json", path_escape(id)))?;
    let ports = &inspect["NetworkSettings"]["Ports"];
    let lines = port_lines(ports, container, parsed.args.get(1).map(String::as_str))
        .map_err(|e| Failure::new(1, e))?;
    if !lines.is_empty() {
        print(&format!("{}\n", lines.join("\n")));
    }
    Ok(())
}

/// Go's `net.JoinHostPort`.
fn join_host_port(host: &str, port: &str) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

fn frontends(bindings: &Json) -> Vec<String> {
    bindings
        .as_array()
        .into_iter()
        .flatten()
        .map(|binding| {
            join_host_port(
                binding["HostIp"].as_str().unwrap_or_default(),
                binding["HostPort"].as_str().unwrap_or_default(),
            )
        })
        .collect()
}

/// The lines `docker port` prints for `ports` (a `NetworkSettings.Ports`
/// map), for every port or for `wanted`, in natural order.
pub fn port_lines(
    ports: &Json,
    container: &str,
    wanted: Option<&str>,
) -> Result<Vec<String>, String> {
    let mut lines = match wanted {
        Some(wanted) => {
            let (number, proto) = wanted.split_once('/').unwrap_or((wanted, ""));
            let proto = if proto.is_empty() { "tcp" } else { proto };
            if let Err(reason) = parse_port_number(number) {
                return Err(format!(
                    "Error: invalid port ({number}): strconv.ParseUint: parsing {}: {reason}",
                    crate::applets::docker::template::go_quote(number)
                ));
            }
            let found = frontends(&ports[format!("{number}/{proto}")]);
            if found.is_empty() {
                return Err(format!(
                    "Error: No public port '{wanted}' published for {container}"
                ));
            }
            found
        }
        None => ports
            .as_object()
            .into_iter()
            .flatten()
            .flat_map(|(private, bindings)| {
                frontends(bindings)
                    .into_iter()
                    .map(move |frontend| format!("{private} -> {frontend}"))
            })
            .collect(),
    };
    lines.sort_by(|a, b| natural_order(a, b));
    Ok(lines)
}

/// `strconv.ParseUint(text, 10, 16)`'s failure reason.
fn parse_port_number(text: &str) -> Result<u16, &'static str> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err("invalid syntax");
    }
    text.parse().map_err(|_| "value out of range")
}

/// The natural order of fvbommel/sortorder, which docker sorts port lines
/// by: runs of digits compare as numbers (fewer leading zeros first),
/// digits sort before other bytes, and a prefix sorts first.
pub fn natural_order(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (digit_a, digit_b) = (a[i].is_ascii_digit(), b[j].is_ascii_digit());
        if digit_a != digit_b {
            return if digit_a {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        if !digit_a {
            if a[i] != b[j] {
                return a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
            continue;
        }
        let skip_zeros = |text: &[u8], mut at: usize| {
            while at < text.len() && text[at] == b'0' {
                at += 1;
            }
            at
        };
        let skip_digits = |text: &[u8], mut at: usize| {
            while at < text.len() && text[at].is_ascii_digit() {
                at += 1;
            }
            at
        };
        let (start_a, start_b) = (skip_zeros(a, i), skip_zeros(b, j));
        let (end_a, end_b) = (skip_digits(a, start_a), skip_digits(b, start_b));
        let by_number = (end_a - start_a)
            .cmp(&(end_b - start_b))
            .then_with(|| a[start_a..end_a].cmp(&b[start_b..end_b]))
            .then_with(|| start_a.cmp(&start_b));
        if by_number != Ordering::Equal {
            return by_number;
        }
        (i, j) = (end_a, end_b);
    }
    a.len().cmp(&b.len())
}

#[cfg(test)]
#[path = "manage_tests.rs"]
mod tests;
