//! `POST /containers/{id}/update`: new resource limits and restart
//! policy, saved in the record and, for a living container, handed to its
//! shim, which writes them into the cgroup.

use super::record::{ContainerRecord, Status};
use super::shim_requests;
use super::{spec, validate};
use crate::api::ApiError;
use crate::api::container::{HostConfig, UpdateConfig};
use crate::daemon::route::{Call, Reply};
use crate::daemon::state::Daemon;

fn conflict(message: &str) -> ApiError {
    ApiError::invalid(format!("Cannot update container: {message}"))
}

/// Applies `update` to `host` as moby's `UpdateContainer` does.
fn apply(host: &mut HostConfig, update: &UpdateConfig) -> Result<(), ApiError> {
    if update.nano_cpus > 0 && (host.cpu_period > 0 || update.cpu_period > 0) {
        return Err(conflict(
            "Conflicting options: Nano CPUs and CPU Period cannot both be set",
        ));
    }
    if update.nano_cpus > 0 && (host.cpu_quota > 0 || update.cpu_quota > 0) {
        return Err(conflict(
            "Conflicting options: Nano CPUs and CPU Quota cannot both be set",
        ));
    }
    if (update.cpu_period > 0 || update.cpu_quota > 0) && host.nano_cpus > 0 {
        return Err(conflict(
            "Conflicting options: CPU Period/Quota cannot be updated as NanoCPUs has already been set",
        ));
    }
    if update.memory != 0 {
        if update.memory > host.memory_swap && host.memory_swap > 0 && update.memory_swap == 0 {
            return Err(conflict(
                "Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time",
            ));
        }
        host.memory = update.memory;
    }
    if update.memory_swap != 0 {
        host.memory_swap = update.memory_swap;
    }
    if update.memory_reservation != 0 {
        host.memory_reservation = update.memory_reservation;
    }
    if update.nano_cpus != 0 {
        host.nano_cpus = update.nano_cpus;
    }
    if update.cpu_shares != 0 {
        host.cpu_shares = update.cpu_shares;
    }
    if update.cpu_period != 0 {
        host.cpu_period = update.cpu_period;
    }
    if update.cpu_quota != 0 {
        host.cpu_quota = update.cpu_quota;
    }
    if update.blkio_weight != 0 {
        host.blkio_weight = Some(update.blkio_weight);
    }
    if !update.cpuset_cpus.is_empty() {
        host.cpuset_cpus = update.cpuset_cpus.clone();
    }
    if !update.cpuset_mems.is_empty() {
        host.cpuset_mems = update.cpuset_mems.clone();
    }
    if let Some(limit) = update.pids_limit {
        host.pids_limit = Some(limit);
    }
    if let Some(policy) = &update.restart_policy
        && !policy.name.is_empty()
    {
        if host.auto_remove && policy.name != "no" {
            return Err(conflict(
                "Restart policy cannot be updated because AutoRemove is enabled for the container",
            ));
        }
        host.restart_policy = policy.clone();
    }
    Ok(())
}

/// The OCI resources of `record` without devices: an update leaves the
/// device rules the container started with.
fn cgroup_resources(
    record: &ContainerRecord,
) -> Result<oci_spec::runtime::LinuxResources, ApiError> {
    spec::resources(record).map_err(|e| ApiError::internal(format!("the new resources: {e}")))
}

/// moby checks the update's own resources before it looks the container
/// up: an unsupported block I/O weight is dropped with a warning.
fn check_update(
    update: &mut UpdateConfig,
    facts: &validate::HostFacts,
) -> Result<Vec<String>, ApiError> {
    let mut resources = HostConfig {
        blkio_weight: Some(update.blkio_weight),
        ..HostConfig::default()
    };
    let mut warnings = Vec::new();
    validate::check_blkio_weight(&mut resources, facts, &mut warnings)?;
    update.blkio_weight = validate::blkio_weight(&resources) as u16;
    Ok(warnings)
}

pub fn update_route(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let mut update: UpdateConfig = call.read_json()?.unwrap_or_default();
    let facts = validate::HostFacts {
        ncpu: crate::daemon::host::ncpu(),
        cgroup_v2: crate::daemon::host::cgroup_facts().version == "2",
        blkio_weight: crate::daemon::host::blkio_weight_supported(),
    };
    let warnings = check_update(&mut update, &facts)?;
    let record = daemon.find_container(call.param("id")?)?;
    // Held across the record and the cgroup: a start under way reads the
    // limits before or after both, never between.
    let operation = daemon.hold_operation(&record.id);
    let seen = daemon.shims().exits(&record.id);
    // Applied to the record as it is when stored, so two updates (or an
    // update and an exit) at once keep each other's changes.
    let updated = daemon.update_container(&record.id, |rec| {
        if matches!(rec.state.status, Status::Removing | Status::Dead) {
            return Err(conflict(&format!(
                "container {} is marked for removal and cannot be \"update\"",
                rec.id
            )));
        }
        let mut host = rec.host_config.clone();
        apply(&mut host, &update)?;
        validate::check_resources(&host, &facts)?;
        validate::check_restart_policy(&host)?;
        rec.host_config = host;
        Ok(rec.clone())
    })?;
    // Logged once the record changed, whether or not the running
    // container takes the new limits, as moby does.
    daemon.log_container_event(&updated, "update", &[]);
    if updated.is_running() {
        let resources = cgroup_resources(&updated)?;
        let applied = shim_requests::update(daemon, &updated.id, resources);
        drop(operation);
        // A container that exited meanwhile takes the limits at its next
        // start, as a stopped one does.
        if let Err(error) = applied
            && shim_requests::gone_or(daemon, &updated.id, seen, error.clone()).status() != 409
        {
            return Err(error);
        }
    }
    Reply::json(200, &serde_json::json!({ "Warnings": warnings }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::container::RestartPolicy;

    #[test]
    fn updates_keep_unset_fields_and_refuse_moby_conflicts() {
        let mut host = HostConfig {
            memory: 64 << 20,
            memory_swap: 128 << 20,
            cpu_shares: 100,
            ..HostConfig::default()
        };
        let update = UpdateConfig {
            memory: 96 << 20,
            pids_limit: Some(20),
            ..UpdateConfig::default()
        };
        apply(&mut host, &update).unwrap();
        assert_eq!(
            (
                host.memory,
                host.memory_swap,
                host.cpu_shares,
                host.pids_limit
            ),
            (96 << 20, 128 << 20, 100, Some(20))
        );
        let too_big = UpdateConfig {
            memory: 256 << 20,
            ..UpdateConfig::default()
        };
        assert!(
            apply(&mut host, &too_big)
                .unwrap_err()
                .message
                .contains("Memory limit should be smaller than already set memoryswap limit")
        );
        host.auto_remove = true;
        let policy = UpdateConfig {
            restart_policy: Some(RestartPolicy {
                name: "always".into(),
                maximum_retry_count: 0,
            }),
            ..UpdateConfig::default()
        };
        assert!(apply(&mut host, &policy).is_err());
        host.nano_cpus = 500_000_000;
        let quota = UpdateConfig {
            cpu_quota: 20_000,
            ..UpdateConfig::default()
        };
        assert!(apply(&mut host, &quota).is_err());
    }

    #[test]
    fn blkio_weight_is_dropped_without_kernel_support_and_range_checked_with_it() {
        let facts = |blkio_weight| validate::HostFacts {
            ncpu: 2,
            cgroup_v2: false,
            blkio_weight,
        };
        let mut update = UpdateConfig {
            blkio_weight: 300,
            ..UpdateConfig::default()
        };
        let warnings = check_update(&mut update, &facts(false)).unwrap();
        assert_eq!(
            warnings,
            vec![
                "Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded."
            ]
        );
        assert_eq!(update.blkio_weight, 0);

        let mut too_light = UpdateConfig {
            blkio_weight: 5,
            ..UpdateConfig::default()
        };
        assert_eq!(
            check_update(&mut too_light, &facts(true))
                .unwrap_err()
                .message,
            "Range of blkio weight is from 10 to 1000"
        );

        let mut update = UpdateConfig {
            blkio_weight: 300,
            ..UpdateConfig::default()
        };
        assert!(check_update(&mut update, &facts(true)).unwrap().is_empty());
        let mut host = HostConfig::default();
        apply(&mut host, &update).unwrap();
        assert_eq!(validate::blkio_weight(&host), 300);
        let record = ContainerRecord {
            host_config: host,
            ..ContainerRecord::default()
        };
        let resources = cgroup_resources(&record).unwrap();
        assert_eq!(
            resources.block_io().as_ref().and_then(|io| io.weight()),
            Some(300)
        );
    }

    /// Every limit an update can write, as the runtime receives it: the
    /// spec's resources without the device rules.
    #[test]
    fn update_resources_keep_their_recorded_layout() {
        let host = HostConfig {
            memory: 64 << 20,
            memory_swap: 128 << 20,
            memory_reservation: 32 << 20,
            memory_swappiness: Some(30),
            oom_kill_disable: Some(false),
            nano_cpus: 1_500_000_000,
            cpu_shares: 512,
            cpuset_cpus: "0-1".into(),
            cpuset_mems: "0".into(),
            pids_limit: Some(-5),
            blkio_weight: Some(300),
            ..HostConfig::default()
        };
        let record = ContainerRecord {
            host_config: host,
            ..ContainerRecord::default()
        };
        let resources = cgroup_resources(&record).unwrap();
        assert_eq!(
            serde_json::to_value(&resources).unwrap(),
            serde_json::json!({
                "memory": {
                    "limit": 64 << 20,
                    "swap": 128 << 20,
                    "reservation": 32 << 20,
                    "swappiness": 30,
                    "disableOOMKiller": false
                },
                "cpu": {"shares": 512, "cpus": "0-1", "mems": "0", "period": 100_000, "quota": 150_000},
                "blockIO": {"weight": 300},
                "pids": {"limit": -1}
            })
        );
        let empty = cgroup_resources(&ContainerRecord::default()).unwrap();
        assert_eq!(
            serde_json::to_value(&empty).unwrap(),
            serde_json::json!({"memory": {}, "cpu": {}})
        );
    }
}
