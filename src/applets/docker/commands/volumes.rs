//! `docker volume create|ls|inspect|rm|prune`, as Docker CLI 28 runs and
//! prints them.

use super::containers::{fetch_object, finish, inspect_each, path_escape};
use super::{Session, confirm, print};
use crate::api::volume::{Volume, VolumeCreateOptions, VolumeListResponse};
use crate::applets::docker::args::Parsed;
use crate::applets::docker::client::{Failure, daemon_error, version_less};
use crate::applets::docker::format::render;
use crate::applets::docker::parse::filters::{collect_filters, filters_json};
use crate::applets::docker::parse::kv::key_value_map;
use crate::applets::docker::queries::encode_query;
use crate::applets::docker::template::Value;
use crate::http::Headers;

/// The flags that describe a Swarm cluster volume, which needs a swarm
/// manager: dockbox has none.
const CLUSTER_FLAGS: &[&str] = &[
    "availability",
    "group",
    "limit-bytes",
    "required-bytes",
    "scope",
    "secret",
    "sharing",
    "topology-preferred",
    "topology-required",
    "type",
];

pub fn create(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    if let Some(flag) = CLUSTER_FLAGS.iter().find(|f| parsed.value(f).is_some()) {
        return Err(Failure::new(
            1,
            format!("--{flag}: cluster volumes need a swarm manager, which dockbox does not run"),
        ));
    }
    let owned = |flag: &str| -> Vec<String> {
        parsed
            .values(flag)
            .into_iter()
            .map(str::to_string)
            .collect()
    };
    let labels = key_value_map(&owned("label"));
    let options = key_value_map(&owned("opt"));
    let body = VolumeCreateOptions {
        name: parsed.args.first().cloned().unwrap_or_default(),
        driver: parsed.value("driver").unwrap_or("local").to_string(),
        driver_opts: (!options.is_empty()).then_some(options),
        labels: (!labels.is_empty()).then_some(labels),
    };
    let body = serde_json::to_vec(&body).expect("strings encode");
    let volume: Volume = session
        .client
        .call("POST", "/volumes/create", &body)?
        .decode()?;
    print(&format!("{}\n", volume.name));
    Ok(())
}

/// A `docker volume ls` row as its templates see it.
#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct VolumeRow {
    driver: String,
    name: String,
    scope: String,
    mountpoint: String,
    labels: String,
    links: String,
    size: String,
    /// The cluster volume columns, `N/A` for local volumes.
    availability: String,
    group: String,
    status: String,
}

impl VolumeRow {
    fn of(volume: &Volume) -> VolumeRow {
        let labels: Vec<String> = volume
            .labels
            .iter()
            .flatten()
            .map(|(key, value)| format!("{key}={value}"))
            .collect();
        VolumeRow {
            driver: volume.driver.clone(),
            name: volume.name.clone(),
            scope: volume.scope.clone(),
            mountpoint: volume.mountpoint.clone(),
            labels: labels.join(","),
            links: "N/A".into(),
            size: "N/A".into(),
            availability: "N/A".into(),
            group: "N/A".into(),
            status: "N/A".into(),
        }
    }

    fn header() -> VolumeRow {
        VolumeRow {
            driver: "DRIVER".into(),
            name: "VOLUME NAME".into(),
            scope: "SCOPE".into(),
            mountpoint: "MOUNTPOINT".into(),
            labels: "LABELS".into(),
            links: "LINKS".into(),
            size: "SIZE".into(),
            availability: "AVAILABILITY".into(),
            group: "GROUP".into(),
            status: "STATUS".into(),
        }
    }

    fn value(&self) -> Value {
        Value::Data(serde_json::to_value(self).expect("strings encode"))
    }
}

pub fn list(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    if parsed.is_true("cluster") {
        return Err(Failure::new(
            1,
            "--cluster: cluster volumes need a swarm manager, which dockbox does not run",
        ));
    }
    let filters = collect_filters(parsed.values("filter")).map_err(|e| Failure::new(1, e))?;
    let mut params = Vec::new();
    if let Some(json) = filters_json(&filters) {
        params.push(("filters", json));
    }
    let query = encode_query(&mut params);
    let path = if query.is_empty() {
        "/volumes".to_string()
    } else {
        format!("/volumes?{query}")
    };
    let answer: VolumeListResponse = session.client.get(&path)?;
    for warning in answer.warnings.iter().flatten() {
        eprintln!("{warning}");
    }
    let mut volumes = answer.volumes.unwrap_or_default();
    volumes.sort_by(|a, b| a.name.cmp(&b.name));
    let format = match parsed.value("format").unwrap_or_default() {
        "" | "table" if parsed.is_true("quiet") => "{{.Name}}",
        "" | "table" => "table {{.Driver}}\t{{.Name}}",
        custom => custom,
    };
    let rows: Vec<Value> = volumes.iter().map(|v| VolumeRow::of(v).value()).collect();
    let out =
        render(format, &VolumeRow::header().value(), &rows).map_err(|e| Failure::new(1, e))?;
    print(&out);
    Ok(())
}

pub fn inspect(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    inspect_each(session, parsed, |session, name| {
        fetch_object(session, &format!("/volumes/{}", path_escape(name)))
    })
}

pub fn remove(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let force = parsed.is_true("force");
    let mut errors = Vec::new();
    for name in &parsed.args {
        let mut path = format!("/volumes/{}", path_escape(name));
        if force {
            path.push_str("?force=1");
        }
        let reply = session.client.send("DELETE", &path, &Headers::new(), &[])?;
        if reply.status < 400 {
            print(&format!("{name}\n"));
        } else {
            errors.push(daemon_error(&reply).message);
        }
    }
    finish(errors, Vec::new())
}

pub fn prune(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let mut filters = collect_filters(parsed.values("filter")).map_err(|e| Failure::new(1, e))?;
    let all = parsed.is_true("all");
    let warning = if all {
        "WARNING! This will remove all local volumes not used by at least one container."
    } else {
        "WARNING! This will remove anonymous local volumes not used by at least one container."
    };
    if !parsed.is_true("force") && !confirm(warning) {
        return Ok(());
    }
    // `all` is a filter from API 1.42; older daemons prune every unused
    // volume anyway.
    if all && !version_less(&session.client.api_version(), "1.42") {
        filters
            .entry("all".into())
            .or_default()
            .insert("true".into());
    }
    let (space, output) = super::prune::prune_volumes(session, parsed, &filters)?;
    super::prune::print_report(space, &output);
    Ok(())
}
