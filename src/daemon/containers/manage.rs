//! Pause, unpause and top of a living container: the record is checked
//! and changed here, the container's shim acts (`shim_requests`).

use super::change::OperationGuard;
use super::record::{ContainerRecord, Status};
use super::shim_requests;
use crate::api::ApiError;
use crate::daemon::route::{Call, Reply};
use crate::daemon::state::Daemon;
use crate::http::Response;
use serde::Serialize;

fn refuse_unless_running(record: &ContainerRecord) -> Result<(), ApiError> {
    let id = &record.id;
    match record.state.status {
        Status::Running => Ok(()),
        Status::Paused => Err(ApiError::conflict(format!(
            "Container {id} is already paused"
        ))),
        Status::Restarting => Err(ApiError::conflict(format!(
            "Container {id} is restarting, wait until the container is running"
        ))),
        _ => Err(ApiError::conflict(format!("Container {id} is not running"))),
    }
}

/// Finds container `what` and holds it: the record returned is read
/// under the hold, so it names the process the caller acts on.
fn find_and_hold<'d>(
    daemon: &'d Daemon,
    what: &str,
) -> Result<(ContainerRecord, OperationGuard<'d>), ApiError> {
    let id = daemon.find_container(what)?.id;
    let operation = daemon.hold_operation(&id);
    Ok((daemon.find_container(&id)?, operation))
}

pub fn pause_route(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let (record, operation) = find_and_hold(daemon, call.param("id")?)?;
    refuse_unless_running(&record)?;
    let seen = daemon.shims().exits(&record.id);
    if let Err(error) = shim_requests::set_paused(daemon, &record.id, true) {
        drop(operation);
        return Err(shim_requests::gone_or(daemon, &record.id, seen, error));
    }
    daemon.update_container(&record.id, |rec| Ok(rec.mark_paused()?))?;
    daemon.log_container_event(&record, "pause", &[]);
    Ok(Reply::Response(Response::empty(204)))
}

pub fn unpause_route(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let (record, operation) = find_and_hold(daemon, call.param("id")?)?;
    if record.state.status != Status::Paused {
        return Err(ApiError::conflict(format!(
            "Container {} is not paused",
            record.id
        )));
    }
    let seen = daemon.shims().exits(&record.id);
    if let Err(error) = shim_requests::set_paused(daemon, &record.id, false) {
        drop(operation);
        return Err(shim_requests::gone_or(daemon, &record.id, seen, error));
    }
    daemon.update_container(&record.id, |rec| Ok(rec.mark_unpaused()?))?;
    daemon.log_container_event(&record, "unpause", &[]);
    Ok(Reply::Response(Response::empty(204)))
}

/// `docker top`'s answer: the header of `ps` and its rows for the
/// container's processes.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct TopResponse {
    pub titles: Vec<String>,
    pub processes: Vec<Vec<String>>,
}

/// Keeps the rows of `ps` output whose PID column names one of `pids`;
/// the last column (the command) keeps its spaces.
pub fn parse_ps_output(output: &str, pids: &[i32]) -> Result<TopResponse, String> {
    let mut lines = output.lines();
    let header = lines.next().unwrap_or("");
    let titles: Vec<String> = header.split_whitespace().map(str::to_string).collect();
    let pid_column = titles
        .iter()
        .position(|title| title == "PID")
        .ok_or("Couldn't find PID field in ps output")?;
    let mut processes = Vec::new();
    for line in lines.filter(|line| !line.trim().is_empty()) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let Some(pid) = fields.get(pid_column) else {
            continue;
        };
        let pid: i32 = pid
            .parse()
            .map_err(|_| format!("Unexpected pid '{pid}': invalid digit found in string"))?;
        if !pids.contains(&pid) {
            continue;
        }
        let split = titles.len().saturating_sub(1).min(fields.len());
        let mut row: Vec<String> = fields[..split].iter().map(|f| f.to_string()).collect();
        if fields.len() > split {
            row.push(fields[split..].join(" "));
        }
        processes.push(row);
    }
    Ok(TopResponse { titles, processes })
}

/// moby refuses `-o x=PID...` style renames of the PID column (it must
/// find the column named PID), except `pid=`.
fn check_ps_args(ps_args: &str) -> Result<(), String> {
    let words: Vec<&str> = ps_args.split(char::is_whitespace).collect();
    for (index, word) in words.iter().enumerate() {
        // moby's pattern: whitespace, a key, `=`, optional spaces, PID...
        if index == 0 {
            continue;
        }
        let Some((key, value)) = word.split_once('=') else {
            continue;
        };
        let value = if value.is_empty() {
            words[index + 1..]
                .iter()
                .find(|w| !w.is_empty())
                .copied()
                .unwrap_or("")
        } else {
            value
        };
        if value.starts_with("PID") && key != "pid" {
            return Err(format!("specifying \"{key}={value}\" is not allowed"));
        }
    }
    Ok(())
}

/// `ps` with the user's arguments (split on single spaces, as moby
/// does), limited to the container's processes with `-q`; when ps
/// refuses that combination, again without it. A failure reads as the
/// first line of ps's complaint.
fn run_ps(ps_args: &str, pids: &[i32]) -> Result<String, String> {
    let args: Vec<&str> = ps_args.split(' ').collect();
    let list = pids
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let run = |limit: bool| {
        let mut command = std::process::Command::new("ps");
        command.args(&args);
        if limit {
            command.args(["-q", &list]);
        }
        command.output()
    };
    let output = match run(true) {
        Ok(output) if output.status.success() => output,
        _ => run(false).map_err(|e| format!("ps: exec: \"ps\": {e}"))?,
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr.lines().next().unwrap_or("").to_string();
        return Err(if first.is_empty() {
            format!("ps: {}", output.status)
        } else {
            format!("ps: {first}")
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

pub fn top_route(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let record = daemon.find_container(call.param("id")?)?;
    if !matches!(record.state.status, Status::Running | Status::Paused) {
        return Err(ApiError::conflict(format!(
            "Container {} is not running",
            record.id
        )));
    }
    let ps_args = match call.query.get("ps_args").unwrap_or("") {
        "" => "-ef".to_string(),
        given => given.to_string(),
    };
    check_ps_args(&ps_args).map_err(ApiError::invalid)?;
    let pids = shim_requests::pids(daemon, &record.id)?;
    let output = run_ps(&ps_args, &pids).map_err(ApiError::internal)?;
    let top = parse_ps_output(&output, &pids).map_err(ApiError::internal)?;
    daemon.log_container_event(&record, "top", &[]);
    Reply::json(200, &top)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ps_rows_of_the_container_keep_their_command_whole() {
        let output = "UID PID PPID C STIME TTY TIME CMD\n\
                      root 1 0 0 20:50 ? 00:00:01 /sbin/init\n\
                      root 42 7 0 20:51 ? 00:00:00 sleep 1000 now\n";
        let top = parse_ps_output(output, &[42]).unwrap();
        assert_eq!(top.titles.len(), 8);
        assert_eq!(
            top.processes,
            vec![vec![
                "root",
                "42",
                "7",
                "0",
                "20:51",
                "?",
                "00:00:00",
                "sleep 1000 now"
            ]]
        );
        assert!(parse_ps_output("UID CMD\n", &[1]).is_err());
    }

    #[test]
    fn ps_args_may_not_rename_the_pid_column() {
        assert!(check_ps_args("-ef").is_ok());
        assert!(check_ps_args("-o pid=PID,comm").is_ok());
        assert_eq!(
            check_ps_args("-o user=PID").unwrap_err(),
            "specifying \"user=PID\" is not allowed"
        );
        assert_eq!(
            check_ps_args("-o user= PIDX").unwrap_err(),
            "specifying \"user=PIDX\" is not allowed"
        );
    }

    #[test]
    fn ps_failures_read_as_their_first_line() {
        let error = run_ps("-o no-such-column", &[1]).unwrap_err();
        assert!(error.starts_with("ps: "), "{error}");
        assert!(!error.contains('\n'), "{error}");
        let own = std::process::id() as i32;
        let table = run_ps("-o pid,comm", &[own]).unwrap();
        assert!(
            parse_ps_output(&table, &[own]).unwrap().processes.len() == 1,
            "{table}"
        );
    }
}
