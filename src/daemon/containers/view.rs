//! Records as the API shows them: inspect, list entries, and the Status
//! text of `docker ps`.

use super::record::{ContainerRecord, Status};
use super::validate::parse_bind;
use crate::api::container_view::{
    ContainerInspect, ContainerSummary, EndpointSettings, GraphDriver, MountPoint, NetworkSettings,
    SummaryHostConfig, SummaryNetworkSettings,
};
use crate::gofmt::duration::human_duration_nanos;
use crate::gofmt::time::go_time;
use std::collections::BTreeMap;
use std::path::Path;

/// The `Mounts` of inspect and list: Binds, then Mounts of type bind and
/// tmpfs.
pub fn mount_points(record: &ContainerRecord) -> Vec<MountPoint> {
    let mut points = Vec::new();
    for bind in record
        .host_config
        .binds
        .iter()
        .flatten()
        .filter_map(|b| parse_bind(b).ok())
        .filter(|b| !b.is_volume())
    {
        points.push(MountPoint {
            kind: "bind".into(),
            source: bind.source,
            destination: bind.destination,
            mode: bind.mode,
            rw: !bind.read_only,
            propagation: if bind.propagation.is_empty() {
                "rprivate".into()
            } else {
                bind.propagation
            },
            ..MountPoint::default()
        });
    }
    for mount in record
        .host_config
        .mounts
        .iter()
        .flatten()
        .filter(|m| m.kind != "volume")
    {
        let propagation = match mount.kind.as_str() {
            "bind" => mount
                .bind_options
                .as_ref()
                .map(|o| o.propagation.clone())
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| "rprivate".into()),
            _ => String::new(),
        };
        points.push(MountPoint {
            kind: mount.kind.clone(),
            source: mount.source.clone(),
            destination: mount.target.clone(),
            rw: !mount.read_only,
            propagation,
            ..MountPoint::default()
        });
    }
    points.extend(record.volume_mounts.iter().map(|volume| MountPoint {
        kind: "volume".into(),
        name: volume.name.clone(),
        source: volume.source.clone(),
        destination: volume.destination.clone(),
        driver: crate::daemon::volume_service::LOCAL_DRIVER.into(),
        mode: volume.mode.clone(),
        rw: !volume.read_only,
        propagation: String::new(),
    }));
    points
}

/// The Status column: `Up 5 minutes`, `Exited (0) 3 seconds ago`, ...
pub fn status_text(record: &ContainerRecord, now: i64) -> String {
    let state = &record.state;
    match state.status {
        Status::Running => {
            let up = human_duration_nanos(now - state.started_at);
            match &state.health {
                Some(health) => format!("Up {up} ({})", health.status.ps_text()),
                None => format!("Up {up}"),
            }
        }
        Status::Paused => format!(
            "Up {} (Paused)",
            human_duration_nanos(now - state.started_at)
        ),
        Status::Restarting => format!(
            "Restarting ({}) {} ago",
            state.exit_code,
            human_duration_nanos(now - state.finished_at)
        ),
        Status::Removing => "Removal In Progress".into(),
        Status::Dead => "Dead".into(),
        Status::Created => "Created".into(),
        Status::Exited if state.finished_at == 0 => String::new(),
        Status::Exited => format!(
            "Exited ({}) {} ago",
            state.exit_code,
            human_duration_nanos(now - state.finished_at)
        ),
    }
}

/// The Command column: path and args, args with spaces quoted.
pub fn command_text(record: &ContainerRecord) -> String {
    let mut text = record.path.clone();
    for arg in &record.args {
        text.push(' ');
        if arg.contains(' ') {
            text.push_str(&format!("'{arg}'"));
        } else {
            text.push_str(arg);
        }
    }
    text
}

/// The networks a container shows (see [`super::networking::views`]).
pub fn networks(record: &ContainerRecord) -> BTreeMap<String, EndpointSettings> {
    super::networking::views(record)
}

/// moby's `NetworkSettings`: the sandbox's, and the top-level address
/// fields only from the default `bridge` network.
fn network_settings(record: &ContainerRecord) -> NetworkSettings {
    let networks = networks(record);
    let mut settings = NetworkSettings::default();
    if let Some(sandbox) = &record.sandbox {
        settings.sandbox_id = sandbox.sandbox_id.clone();
        settings.sandbox_key = sandbox.sandbox_key.clone();
    }
    if let Some(bridge) = networks
        .get("bridge")
        .filter(|bridge| !bridge.endpoint_id.is_empty())
    {
        settings.endpoint_id = bridge.endpoint_id.clone();
        settings.gateway = bridge.gateway.clone();
        settings.ip_address = bridge.ip_address.clone();
        settings.ip_prefix_len = bridge.ip_prefix_len;
        settings.mac_address = bridge.mac_address.clone();
    }
    settings.networks = networks;
    settings
}

pub fn inspect(record: &ContainerRecord, data_root: &Path) -> ContainerInspect {
    // moby fills these paths when the container first starts.
    let started = record.has_been_started;
    let path = |p: std::path::PathBuf| {
        if started {
            p.display().to_string()
        } else {
            String::new()
        }
    };
    ContainerInspect {
        id: record.id.clone(),
        created: go_time(record.created),
        path: record.path.clone(),
        args: record.args.clone(),
        state: record.state_view(),
        image: record.image_id.clone(),
        resolv_conf_path: path(record.resolv_conf_path(data_root)),
        hostname_path: path(record.hostname_path(data_root)),
        hosts_path: path(record.hosts_path(data_root)),
        log_path: if record.host_config.log_config.kind == "json-file" {
            path(record.log_path(data_root))
        } else {
            String::new()
        },
        name: format!("/{}", record.name),
        restart_count: record.restart_count,
        driver: record.driver.clone(),
        platform: "linux".into(),
        mount_label: String::new(),
        process_label: String::new(),
        app_armor_profile: record.app_armor_profile.clone(),
        exec_ids: if record.exec_ids.is_empty() {
            None
        } else {
            Some(record.exec_ids.clone())
        },
        host_config: record.host_config.clone(),
        graph_driver: GraphDriver {
            name: record.driver.clone(),
            data: Default::default(),
        },
        size_rw: None,
        size_root_fs: None,
        mounts: mount_points(record),
        config: record.config.clone(),
        network_settings: network_settings(record),
    }
}

pub fn summary(record: &ContainerRecord, now: i64) -> ContainerSummary {
    ContainerSummary {
        id: record.id.clone(),
        names: vec![format!("/{}", record.name)],
        image: record.image_name.clone(),
        image_id: record.image_id.clone(),
        command: command_text(record),
        created: record.created / 1_000_000_000,
        ports: Vec::new(),
        size_rw: 0,
        size_root_fs: 0,
        labels: record.config.labels.clone().unwrap_or_default(),
        state: record.state.status.as_str().into(),
        status: status_text(record, now),
        host_config: SummaryHostConfig {
            network_mode: record.host_config.network_mode.clone(),
            annotations: None,
        },
        network_settings: SummaryNetworkSettings {
            networks: networks(record),
        },
        mounts: mount_points(record),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    #[test]
    fn status_and_command_text() {
        let mut record = ContainerRecord {
            path: "sh".into(),
            args: vec!["-c".into(), "echo hi".into()],
            ..ContainerRecord::default()
        };
        assert_eq!(command_text(&record), "sh -c 'echo hi'");
        assert_eq!(status_text(&record, 100 * S), "Created");
        record.mark_started(5, 10 * S).unwrap();
        assert_eq!(status_text(&record, 70 * S + 1), "Up About a minute");
        record.mark_paused().unwrap();
        assert_eq!(status_text(&record, 15 * S), "Up 5 seconds (Paused)");
        record.mark_unpaused().unwrap();
        record.mark_exited(3, false, 20 * S).unwrap();
        assert_eq!(status_text(&record, 23 * S), "Exited (3) 3 seconds ago");
    }

    #[test]
    fn mounts_from_binds_and_mounts() {
        let mut record = ContainerRecord::default();
        record.host_config.binds = Some(vec!["/h:/c:ro".into()]);
        record.host_config.mounts = Some(vec![crate::api::container::MountSpec {
            kind: "tmpfs".into(),
            target: "/t".into(),
            ..Default::default()
        }]);
        let points = mount_points(&record);
        assert_eq!(points.len(), 2);
        assert_eq!(
            (
                points[0].kind.as_str(),
                points[0].rw,
                points[0].mode.as_str(),
                points[0].propagation.as_str()
            ),
            ("bind", false, "ro", "rprivate")
        );
        assert_eq!((points[1].kind.as_str(), points[1].rw), ("tmpfs", true));
        let shown = inspect(&record, Path::new("/data"));
        assert_eq!(shown.name, "/");
        assert_eq!(
            shown.hosts_path, "",
            "moby shows the paths from the first start"
        );
        assert!(shown.network_settings.networks.contains_key("bridge"));
        record.mark_started(1, 1).unwrap();
        let shown = inspect(&record, Path::new("/data"));
        assert!(shown.hosts_path.starts_with("/data/containers/"));
    }
}
