//! Healthchecks as moby runs them: which probe a container's
//! `Config.Healthcheck` asks for, when the next probe is due, and what a
//! result does to `State.Health` (status, failing streak, the last five
//! results). Pure: the clock and the probe are the caller's (see
//! `health_monitor.rs`), so the rules are tested here without either.

use crate::api::container::{ContainerConfig, HealthConfig};
use crate::api::container_view::{Health, HealthcheckResult};
use crate::gofmt::time::go_time;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// moby keeps at most this many bytes of a probe's output, then "...".
pub const MAX_OUTPUT: usize = 4096;
/// moby keeps this many results in `Health.Log`.
pub const MAX_LOG: usize = 5;

const SECOND: i64 = 1_000_000_000;
const DEFAULT_INTERVAL: i64 = 30 * SECOND;
const DEFAULT_TIMEOUT: i64 = 30 * SECOND;
const DEFAULT_START_INTERVAL: i64 = 5 * SECOND;
const DEFAULT_RETRIES: i64 = 3;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    #[default]
    Starting,
    Healthy,
    Unhealthy,
}

impl HealthStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            HealthStatus::Starting => "starting",
            HealthStatus::Healthy => "healthy",
            HealthStatus::Unhealthy => "unhealthy",
        }
    }

    /// How `ps` shows it after "Up ...": moby's `Health.String`.
    pub fn ps_text(self) -> &'static str {
        match self {
            HealthStatus::Starting => "health: starting",
            other => other.as_str(),
        }
    }
}

/// One probe's result; times are nanoseconds since the epoch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProbeResult {
    pub start: i64,
    pub end: i64,
    pub exit_code: i64,
    pub output: String,
}

/// What the container record keeps: moby's `State.Health`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HealthState {
    pub status: HealthStatus,
    pub failing_streak: i64,
    pub log: Vec<ProbeResult>,
}

/// The command a container's healthcheck runs, or none: no healthcheck,
/// `NONE`, an empty test or a kind moby does not know (it warns and runs
/// nothing). `CMD-SHELL` runs through the container's `Shell`, else
/// `/bin/sh -c`.
pub fn probe_command(config: &ContainerConfig) -> Option<Vec<String>> {
    let test = config.healthcheck.as_ref()?.test.as_ref()?;
    let (kind, rest) = test.split_first()?;
    let command = match kind.as_str() {
        "CMD" => rest.to_vec(),
        "CMD-SHELL" => {
            let shell: Option<Vec<String>> = config
                .extra
                .get("Shell")
                .and_then(|shell| serde_json::from_value(shell.clone()).ok())
                .filter(|shell: &Vec<String>| !shell.is_empty());
            let mut command = shell.unwrap_or_else(|| vec!["/bin/sh".into(), "-c".into()]);
            command.extend(rest.iter().cloned());
            command
        }
        _ => return None,
    };
    (!command.is_empty()).then_some(command)
}

/// The smallest duration moby accepts for a healthcheck's timings.
const MINIMUM_DURATION: i64 = 1_000_000;

/// moby's `validateHealthCheck`, with its texts.
pub fn check_config(config: &HealthConfig) -> Result<(), String> {
    let too_short = |value: i64| value != 0 && value < MINIMUM_DURATION;
    for (name, value) in [
        ("Interval", config.interval),
        ("Timeout", config.timeout),
        ("StartPeriod", config.start_period),
        ("StartInterval", config.start_interval),
    ] {
        if too_short(value) {
            return Err(format!("{name} in Healthcheck cannot be less than 1ms"));
        }
    }
    if config.retries < 0 {
        return Err("Retries in Healthcheck cannot be negative".into());
    }
    Ok(())
}

/// The healthcheck's timings, moby's defaults in place of zeros.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub interval: i64,
    pub timeout: i64,
    pub start_period: i64,
    pub start_interval: i64,
    pub retries: i64,
}

fn or_default(value: i64, default: i64) -> i64 {
    if value == 0 { default } else { value }
}

impl Schedule {
    pub fn of(config: Option<&HealthConfig>) -> Schedule {
        let config = config.cloned().unwrap_or_default();
        Schedule {
            interval: or_default(config.interval, DEFAULT_INTERVAL),
            timeout: or_default(config.timeout, DEFAULT_TIMEOUT),
            start_period: config.start_period,
            start_interval: or_default(config.start_interval, DEFAULT_START_INTERVAL),
            retries: if config.retries <= 0 {
                DEFAULT_RETRIES
            } else {
                config.retries
            },
        }
    }

    pub fn timeout(&self) -> Duration {
        nanos(self.timeout)
    }

    /// The wait before the next probe, `elapsed` nanoseconds after the
    /// container started: the interval, except in the start period, where
    /// a start period about to end shortens it and a container still
    /// starting is probed at the start interval.
    pub fn next_delay(&self, elapsed: i64, status: HealthStatus) -> Duration {
        if elapsed >= self.start_period {
            return nanos(self.interval);
        }
        let remaining = self.start_period - elapsed;
        if remaining < self.interval {
            return nanos(remaining);
        }
        if status == HealthStatus::Starting {
            return nanos(self.start_interval);
        }
        nanos(self.interval)
    }
}

fn nanos(value: i64) -> Duration {
    Duration::from_nanos(value.max(0) as u64)
}

impl HealthState {
    /// A (re)started container's health, moby's `initHealthMonitor`:
    /// starting again with no failures; the log is kept.
    pub fn restarted(previous: Option<HealthState>) -> HealthState {
        HealthState {
            status: HealthStatus::Starting,
            failing_streak: 0,
            log: previous.map(|health| health.log).unwrap_or_default(),
        }
    }

    /// Takes in one probe's result for a container started at
    /// `started_at`; returns the new status when it changed. A failure in
    /// the start period, before any success, does not count.
    pub fn record(
        &mut self,
        result: ProbeResult,
        started_at: i64,
        schedule: &Schedule,
    ) -> Option<HealthStatus> {
        let before = self.status;
        let passed = result.exit_code == 0;
        let in_start_period = result.start - started_at < schedule.start_period;
        if self.log.len() >= MAX_LOG {
            self.log.drain(..=self.log.len() - MAX_LOG);
        }
        self.log.push(result);
        if passed {
            self.failing_streak = 0;
            self.status = HealthStatus::Healthy;
        } else if !(before == HealthStatus::Starting && in_start_period) {
            self.failing_streak += 1;
            if self.failing_streak >= schedule.retries {
                self.status = HealthStatus::Unhealthy;
            }
        }
        (self.status != before).then_some(self.status)
    }

    /// `State.Health` of inspect.
    pub fn view(&self) -> Health {
        Health {
            status: self.status.as_str().to_string(),
            failing_streak: self.failing_streak,
            log: self
                .log
                .iter()
                .map(|result| HealthcheckResult {
                    start: go_time(result.start),
                    end: go_time(result.end),
                    exit_code: result.exit_code,
                    output: result.output.clone(),
                })
                .collect(),
        }
    }
}

/// A probe's output as moby keeps it: the first [`MAX_OUTPUT`] bytes,
/// then "..." when there was more.
#[derive(Debug, Default)]
pub struct CappedOutput {
    kept: Vec<u8>,
    truncated: bool,
}

impl CappedOutput {
    pub fn push(&mut self, bytes: &[u8]) {
        let room = MAX_OUTPUT - self.kept.len();
        let keep = room.min(bytes.len());
        self.kept.extend_from_slice(&bytes[..keep]);
        self.truncated |= keep < bytes.len();
    }

    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }

    /// As Go's JSON writes it: invalid UTF-8 becomes U+FFFD.
    pub fn text(&self) -> String {
        let mut text = String::from_utf8_lossy(&self.kept).into_owned();
        if self.truncated {
            text.push_str("...");
        }
        text
    }
}

/// Docker's text for a probe that outlived its timeout.
pub fn timeout_text(timeout: Duration, output: &CappedOutput) -> String {
    let shown = crate::gofmt::duration::go_duration_string(timeout.as_nanos() as i64);
    match output.is_empty() {
        true => format!("Health check exceeded timeout ({shown})"),
        false => format!("Health check exceeded timeout ({shown}): {}", output.text()),
    }
}

#[cfg(test)]
#[path = "health_tests.rs"]
mod tests;
