use super::*;
use crate::daemon::containers::record::ContainerRecord;
use serde_json::json;

const MS: i64 = 1_000_000;

fn config(test: &[&str]) -> ContainerConfig {
    ContainerConfig {
        healthcheck: Some(HealthConfig {
            test: Some(test.iter().map(|s| s.to_string()).collect()),
            ..HealthConfig::default()
        }),
        ..ContainerConfig::default()
    }
}

fn schedule(retries: i64, start_period: i64) -> Schedule {
    Schedule::of(Some(&HealthConfig {
        interval: SECOND,
        retries,
        start_period,
        ..HealthConfig::default()
    }))
}

/// A fake probe's result: `exit_code` at `at` seconds after the start
/// (the container started at 0).
fn result(at: i64, exit_code: i64) -> ProbeResult {
    ProbeResult {
        start: at * SECOND,
        end: at * SECOND + MS,
        exit_code,
        output: format!("run {at}"),
    }
}

#[test]
fn probe_commands_as_moby_reads_the_test() {
    let cmd = |c: &ContainerConfig| probe_command(c);
    assert_eq!(
        cmd(&config(&["CMD-SHELL", "curl -f x || exit 1"])),
        Some(vec![
            "/bin/sh".into(),
            "-c".into(),
            "curl -f x || exit 1".into()
        ])
    );
    assert_eq!(
        cmd(&config(&["CMD", "true", "a"])),
        Some(vec!["true".into(), "a".into()])
    );
    assert_eq!(cmd(&config(&["NONE"])), None);
    assert_eq!(cmd(&config(&[])), None);
    assert_eq!(cmd(&config(&["CMD"])), None);
    assert_eq!(cmd(&config(&["BOGUS", "x"])), None);
    assert_eq!(cmd(&ContainerConfig::default()), None);
    let mut shelled = config(&["CMD-SHELL", "true"]);
    shelled
        .extra
        .insert("Shell".into(), json!(["/bin/ash", "-eo"]));
    assert_eq!(
        cmd(&shelled),
        Some(vec!["/bin/ash".into(), "-eo".into(), "true".into()])
    );
}

#[test]
fn defaults_fill_the_zeros() {
    let schedule = Schedule::of(None);
    assert_eq!(
        (schedule.interval, schedule.timeout, schedule.start_period),
        (30 * SECOND, 30 * SECOND, 0)
    );
    assert_eq!((schedule.start_interval, schedule.retries), (5 * SECOND, 3));
    let negative = Schedule::of(Some(&HealthConfig {
        retries: -1,
        ..HealthConfig::default()
    }));
    assert_eq!(negative.retries, 3);
}

#[test]
fn healthy_then_unhealthy_after_the_retries() {
    let schedule = schedule(2, 0);
    let mut health = HealthState::restarted(None);
    assert_eq!(health.status, HealthStatus::Starting);
    assert_eq!(
        health.record(result(1, 0), 0, &schedule),
        Some(HealthStatus::Healthy)
    );
    assert_eq!(health.record(result(2, 1), 0, &schedule), None);
    assert_eq!(health.failing_streak, 1);
    assert_eq!(
        health.record(result(3, 1), 0, &schedule),
        Some(HealthStatus::Unhealthy)
    );
    assert_eq!(health.record(result(4, 2), 0, &schedule), None);
    assert_eq!(health.failing_streak, 3);
    assert_eq!(
        health.record(result(5, 0), 0, &schedule),
        Some(HealthStatus::Healthy)
    );
    assert_eq!(health.failing_streak, 0);
}

#[test]
fn a_timeout_counts_as_a_failure() {
    let schedule = schedule(1, 0);
    let mut health = HealthState::default();
    assert_eq!(
        health.record(result(1, -1), 0, &schedule),
        Some(HealthStatus::Unhealthy)
    );
}

#[test]
fn failures_in_the_start_period_do_not_count_until_a_success() {
    let schedule = schedule(1, 10 * SECOND);
    let mut health = HealthState::default();
    assert_eq!(health.record(result(3, 1), 0, &schedule), None);
    assert_eq!(
        (health.status, health.failing_streak),
        (HealthStatus::Starting, 0)
    );
    // After a success, a failure counts even in the start period.
    health.record(result(4, 0), 0, &schedule);
    assert_eq!(
        health.record(result(5, 1), 0, &schedule),
        Some(HealthStatus::Unhealthy)
    );
    // Past the start period, the first failure counts.
    let mut late = HealthState::default();
    assert_eq!(
        late.record(result(10, 1), 0, &schedule),
        Some(HealthStatus::Unhealthy)
    );
}

#[test]
fn the_log_keeps_the_last_five() {
    let schedule = schedule(3, 0);
    let mut health = HealthState::default();
    for at in 1..=7 {
        health.record(result(at, 0), 0, &schedule);
    }
    let starts: Vec<i64> = health.log.iter().map(|r| r.start / SECOND).collect();
    assert_eq!(starts, [3, 4, 5, 6, 7]);
    // A restart starts over but keeps the log.
    let restarted = HealthState::restarted(Some(health.clone()));
    assert_eq!(restarted.status, HealthStatus::Starting);
    assert_eq!(restarted.log, health.log);
}

#[test]
fn the_next_probe_is_due_as_moby_schedules_it() {
    let config = HealthConfig {
        interval: 30 * SECOND,
        start_period: 60 * SECOND,
        start_interval: 2 * SECOND,
        ..HealthConfig::default()
    };
    let schedule = Schedule::of(Some(&config));
    let starting = HealthStatus::Starting;
    // In the start period, starting: the start interval.
    assert_eq!(schedule.next_delay(0, starting), Duration::from_secs(2));
    // Healthy already: the interval.
    assert_eq!(
        schedule.next_delay(0, HealthStatus::Healthy),
        Duration::from_secs(30)
    );
    // The start period ends before the interval would: at its end.
    assert_eq!(
        schedule.next_delay(50 * SECOND, HealthStatus::Healthy),
        Duration::from_secs(10)
    );
    // After it: the interval.
    assert_eq!(
        schedule.next_delay(61 * SECOND, starting),
        Duration::from_secs(30)
    );
    // No start period: the interval from the start.
    assert_eq!(
        Schedule::of(None).next_delay(0, starting),
        Duration::from_secs(30)
    );
}

#[test]
fn output_is_capped_as_moby_caps_it() {
    let mut output = CappedOutput::default();
    output.push(&[b'a'; 4000]);
    output.push(&[b'b'; 200]);
    let text = output.text();
    assert_eq!(text.len(), MAX_OUTPUT + 3);
    assert!(text.ends_with("bbb..."));
    let mut short = CappedOutput::default();
    short.push(b"ok\n");
    assert_eq!(short.text(), "ok\n");
    let mut invalid = CappedOutput::default();
    invalid.push(&[0xff, b'x']);
    assert_eq!(invalid.text(), "\u{fffd}x");
}

#[test]
fn timeout_texts() {
    let mut output = CappedOutput::default();
    assert_eq!(
        timeout_text(Duration::from_secs(1), &output),
        "Health check exceeded timeout (1s)"
    );
    output.push(b"partial");
    assert_eq!(
        timeout_text(Duration::from_millis(1500), &output),
        "Health check exceeded timeout (1.5s): partial"
    );
}

#[test]
fn config_checks_with_moby_texts() {
    let check = |config: HealthConfig| check_config(&config).err();
    assert_eq!(check(HealthConfig::default()), None);
    assert_eq!(
        check(HealthConfig {
            interval: MS - 1,
            ..HealthConfig::default()
        }),
        Some("Interval in Healthcheck cannot be less than 1ms".into())
    );
    assert_eq!(
        check(HealthConfig {
            start_interval: 1,
            ..HealthConfig::default()
        }),
        Some("StartInterval in Healthcheck cannot be less than 1ms".into())
    );
    assert_eq!(
        check(HealthConfig {
            retries: -1,
            ..HealthConfig::default()
        }),
        Some("Retries in Healthcheck cannot be negative".into())
    );
}

#[test]
fn inspect_and_ps_show_the_health() {
    let mut record = ContainerRecord {
        config: config(&["CMD-SHELL", "true"]),
        ..ContainerRecord::default()
    };
    assert_eq!(record.state_view().health, None);
    record.mark_started(5, 10 * SECOND).unwrap();
    let now = 15 * SECOND;
    assert_eq!(
        super::super::view::status_text(&record, now),
        "Up 5 seconds (health: starting)"
    );
    let health = record.state.health.as_mut().unwrap();
    health.record(result(11, 0), 10 * SECOND, &schedule(3, 0));
    assert_eq!(
        super::super::view::status_text(&record, now),
        "Up 5 seconds (healthy)"
    );
    let view = record.state_view().health.unwrap();
    assert_eq!((view.status.as_str(), view.failing_streak), ("healthy", 0));
    assert_eq!(view.log[0].start, "1970-01-01T00:00:11Z");
    assert_eq!(view.log[0].end, "1970-01-01T00:00:11.001Z");
    assert_eq!(view.log[0].output, "run 11");
    let json = serde_json::to_value(record.state_view()).unwrap();
    assert_eq!(json["Health"]["Log"][0]["ExitCode"], 0);
    // A container without a healthcheck has no Health in inspect.
    let plain = serde_json::to_value(ContainerRecord::default().state_view()).unwrap();
    assert!(plain.get("Health").is_none());
    // NONE disables it: no health at start.
    let mut none = ContainerRecord {
        config: config(&["NONE"]),
        ..ContainerRecord::default()
    };
    none.mark_started(5, 10 * SECOND).unwrap();
    assert_eq!(none.state.health, None);
}

#[test]
fn the_image_fills_what_the_container_leaves_unset() {
    use crate::daemon::containers::create::merge_image_config;
    // As the image lookup reads the image's config.
    let image: ContainerConfig = serde_json::from_value(json!({"Healthcheck": {
        "Test": ["CMD-SHELL", "image-check"], "Interval": 5 * SECOND, "Retries": 4
    }}))
    .unwrap();
    let mut none = ContainerConfig::default();
    merge_image_config(&mut none, &image);
    let merged = none.healthcheck.unwrap();
    assert_eq!(merged.test.unwrap()[1], "image-check");
    assert_eq!((merged.interval, merged.retries), (5 * SECOND, 4));
    let mut mine = ContainerConfig {
        healthcheck: Some(HealthConfig {
            interval: SECOND,
            ..HealthConfig::default()
        }),
        ..ContainerConfig::default()
    };
    merge_image_config(&mut mine, &image);
    let merged = mine.healthcheck.unwrap();
    assert_eq!(merged.test.unwrap()[1], "image-check");
    assert_eq!((merged.interval, merged.retries), (SECOND, 4));
    // --no-healthcheck's NONE wins over the image's test.
    let mut disabled = config(&["NONE"]);
    merge_image_config(&mut disabled, &image);
    assert_eq!(probe_command(&disabled), None);
    // An image without one leaves the container's alone.
    let mut own = config(&["CMD", "true"]);
    merge_image_config(&mut own, &ContainerConfig::default());
    assert_eq!(own.healthcheck.unwrap().interval, 0);
}
