//! `docker version` and `docker info`.

use super::{Session, print};
use crate::api::types::{ComponentVersion, RegistryConfig, SystemInfo, SystemVersion};
use crate::applets::docker::args::Parsed;
use crate::applets::docker::client::{CLIENT_API_VERSION, Failure};
use crate::applets::docker::format::TabWriter;
use crate::applets::docker::template::{Template, Value};
use crate::gofmt::size::bytes_size;
use crate::version::{COMMIT, DOCKER_COMPAT_VERSION, VERSION};
use serde::Serialize;
use serde_json::Value as Json;

fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    }
}

fn client_go_version() -> String {
    format!("n/a (dockbox {VERSION} is written in Rust)")
}

/// A `--format` template of version/info: `json` is `{{json .}}`; a
/// template that does not parse is exit status 64.
fn user_template(format: &str, name: &str) -> Result<Template, Failure> {
    let text = if format == "json" {
        "{{json .}}"
    } else {
        format
    };
    Template::parse(text).map_err(|e| {
        Failure::new(
            64,
            format!(
                "template parsing error: {}",
                named_template(&e.to_string(), name)
            ),
        )
    })
}

/// Go names the template in its messages; `version`'s is `version`.
fn named_template(message: &str, name: &str) -> String {
    if name.is_empty() {
        return message.to_string();
    }
    message
        .replacen("template: :", &format!("template: {name}:"), 1)
        .replacen("executing \"\"", &format!("executing \"{name}\""), 1)
}

/// The CLI's structs name the field `APIVersion` where the JSON says
/// `ApiVersion`; templates see the struct names.
fn go_field_names(mut value: Json) -> Json {
    if let Some(map) = value.as_object_mut()
        && let Some(version) = map.remove("ApiVersion")
    {
        map.insert("APIVersion".into(), version);
    }
    value
}

/// Go's `time.ANSIC` of an RFC 3339 build time, in the zone it was
/// written in; other texts unchanged.
fn reformat_date(text: &str) -> String {
    ansic(text).unwrap_or_else(|| text.to_string())
}

fn ansic(text: &str) -> Option<String> {
    let (time, offset) = crate::gofmt::time::parse_rfc3339_zoned(text)?;
    Some(crate::gofmt::time::DateTime::at(time.seconds, offset).ansic())
}

/// The `Client` part of `docker version`, as its templates see it.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ClientVersion {
    version: String,
    api_version: String,
    #[serde(rename = "DefaultAPIVersion")]
    default_api_version: String,
    git_commit: String,
    go_version: String,
    os: String,
    arch: String,
    build_time: String,
    context: String,
}

/// What a `docker version --format` template reads.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct VersionData {
    client: Json,
    server: Option<Json>,
}

pub fn version(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let format = parsed.value("format").unwrap_or_default().to_string();
    let template = if format.is_empty() {
        None
    } else {
        Some(user_template(&format, "version")?)
    };
    let client = ClientVersion {
        version: DOCKER_COMPAT_VERSION.into(),
        api_version: session.client.api_version(),
        default_api_version: CLIENT_API_VERSION.into(),
        git_commit: COMMIT.into(),
        go_version: client_go_version(),
        os: "linux".into(),
        arch: go_arch().into(),
        build_time: String::new(),
        context: session.client.endpoint.context.clone(),
    };
    // Templates see the daemon's answer as it came; the default output
    // reads it as the API's type.
    let server = session.client.get_json("/version");
    let server_json = server.as_ref().ok().cloned();
    let out = match &template {
        Some(template) => {
            let data = VersionData {
                client: go_field_names(encode(&client)),
                server: server_json.clone().map(go_field_names),
            };
            let mut text = template
                .execute(&Value::Data(encode(&data)))
                .map_err(|e| Failure::new(1, named_template(&e.to_string(), "version")))?;
            text.push('\n');
            text
        }
        None => {
            let typed = match server_json {
                Some(raw) => Some(serde_json::from_value::<SystemVersion>(raw).map_err(|e| {
                    Failure::new(1, format!("error decoding daemon response: {e}"))
                })?),
                None => None,
            };
            default_version(&client, typed.as_ref())
        }
    };
    print(&out);
    server.map(|_| ())
}

/// A value the client made, as JSON for a template.
fn encode(value: &impl Serialize) -> Json {
    serde_json::to_value(value).expect("the client's own values encode")
}

fn default_version(client: &ClientVersion, server: Option<&SystemVersion>) -> String {
    let mut lines = String::from("Client:\n");
    let api = &client.api_version;
    let downgraded = if api != CLIENT_API_VERSION {
        format!(" (downgraded from {CLIENT_API_VERSION})")
    } else {
        String::new()
    };
    lines.push_str(&format!(
        " Version:\t{}\n API version:\t{api}{downgraded}\n Go version:\t{}\n Git commit:\t{}\n Built:\t{}\n OS/Arch:\t{}/{}\n Context:\t{}",
        client.version,
        client.go_version,
        client.git_commit,
        client.build_time,
        client.os,
        client.arch,
        client.context,
    ));
    if let Some(server) = server {
        let platform = &server.platform.name;
        lines.push_str("\n\nServer:");
        if !platform.is_empty() {
            lines.push(' ');
            lines.push_str(platform);
        }
        for component in server_components(server) {
            let name = &component.name;
            let details = component.details.clone().unwrap_or_default();
            let detail = |key: &str| details.get(key).cloned().unwrap_or_default();
            lines.push_str(&format!("\n {name}:"));
            if name == "Engine" {
                lines.push_str(&format!(
                    "\n  Version:\t{}\n  API version:\t{} (minimum version {})\n  Go version:\t{}\n  Git commit:\t{}\n  Built:\t{}\n  OS/Arch:\t{}/{}\n  Experimental:\t{}",
                    component.version,
                    detail("ApiVersion"),
                    detail("MinAPIVersion"),
                    detail("GoVersion"),
                    detail("GitCommit"),
                    reformat_date(&detail("BuildTime")),
                    detail("Os"),
                    detail("Arch"),
                    detail("Experimental"),
                ));
            } else {
                lines.push_str(&format!("\n  Version:\t{}", component.version));
                // Sorted: a BTreeMap's order.
                for (key, value) in &details {
                    lines.push_str(&format!("\n  {key}:\t{value}"));
                }
            }
        }
    }
    lines.push('\n');
    let mut writer = TabWriter::new(20, 1);
    writer.write(&lines);
    writer.finish()
}

/// The server's components, with an Engine made from the top-level
/// fields when the daemon lists none, as the CLI does.
fn server_components(server: &SystemVersion) -> Vec<ComponentVersion> {
    let mut components = server.components.clone();
    if !components.iter().any(|c| c.name == "Engine") {
        let details = [
            ("ApiVersion", server.api_version.clone()),
            ("MinAPIVersion", server.min_api_version.clone()),
            ("GitCommit", server.git_commit.clone()),
            ("GoVersion", server.go_version.clone()),
            ("Os", server.os.clone()),
            ("Arch", server.arch.clone()),
            ("BuildTime", server.build_time.clone()),
            ("Experimental", server.experimental.to_string()),
        ];
        components.push(ComponentVersion {
            name: "Engine".into(),
            version: server.version.clone(),
            details: Some(details.map(|(k, v)| (k.to_string(), v)).into()),
        });
    }
    components
}

pub fn info(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let format = parsed.value("format").unwrap_or_default().to_string();
    let template = if format.is_empty() {
        None
    } else {
        Some(user_template(&format, "")?)
    };
    let client_info = ClientInfo {
        debug: session.debug,
        version: DOCKER_COMPAT_VERSION.into(),
        default_api_version: CLIENT_API_VERSION.into(),
        git_commit: COMMIT.into(),
        go_version: client_go_version(),
        os: "linux".into(),
        arch: go_arch().into(),
        build_time: String::new(),
        context: session.client.endpoint.context.clone(),
        plugins: Vec::new(),
        warnings: None,
    };
    if let Some(template) = template {
        let mut data = session.client.get_json("/info")?;
        data["ClientInfo"] = encode(&client_info);
        let mut out = template
            .execute(&Value::Data(data))
            .map_err(|e| Failure::new(1, e.to_string()))?;
        out.push('\n');
        print(&out);
        return Ok(());
    }
    print(&format!(
        "Client:\n Version:    {DOCKER_COMPAT_VERSION}\n Context:    {}\n Debug Mode: {}\n\nServer:\n",
        session.client.endpoint.context, session.debug
    ));
    let info: SystemInfo = session.client.get("/info")?;
    let (out, warnings) = server_info(&info, session.debug);
    print(&out);
    for warning in warnings {
        eprintln!("{warning}");
    }
    Ok(())
}

/// The `ClientInfo` that a `docker info --format` template reads.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ClientInfo {
    debug: bool,
    version: String,
    #[serde(rename = "DefaultAPIVersion")]
    default_api_version: String,
    git_commit: String,
    go_version: String,
    os: String,
    arch: String,
    build_time: String,
    context: String,
    plugins: Vec<Json>,
    warnings: Option<Vec<String>>,
}

/// `prettyPrintServerInfo`: the `Server:` section of `docker info`.
fn server_info(info: &SystemInfo, client_debug: bool) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut line = |label: &str, value: String| out.push_str(&format!("{label} {value}\n"));
    let non_empty = |line: &mut dyn FnMut(&str, String), label: &str, value: &str| {
        if !value.is_empty() {
            line(label, value.to_string());
        }
    };
    line(" Containers:", info.containers.to_string());
    line("  Running:", info.containers_running.to_string());
    line("  Paused:", info.containers_paused.to_string());
    line("  Stopped:", info.containers_stopped.to_string());
    line(" Images:", info.images.to_string());
    non_empty(&mut line, " Server Version:", &info.server_version);
    non_empty(&mut line, " Storage Driver:", &info.driver);
    for [k, v] in &info.driver_status {
        out.push_str(&format!("  {k}: {v}\n"));
    }
    for [k, v] in info.system_status.iter().flatten() {
        out.push_str(&format!(" {k}: {v}\n"));
    }
    let mut line = |label: &str, value: String| out.push_str(&format!("{label} {value}\n"));
    non_empty(&mut line, " Logging Driver:", &info.logging_driver);
    non_empty(&mut line, " Cgroup Driver:", &info.cgroup_driver);
    non_empty(&mut line, " Cgroup Version:", &info.cgroup_version);
    let plugins = &info.plugins;
    out.push_str(" Plugins:\n");
    let mut line = |label: &str, value: String| out.push_str(&format!("{label} {value}\n"));
    line("  Volume:", plugins.volume.join(" "));
    line("  Network:", plugins.network.join(" "));
    let authorization = plugins.authorization.clone().unwrap_or_default();
    if !authorization.is_empty() {
        line("  Authorization:", authorization.join(" "));
    }
    line("  Log:", plugins.log.join(" "));
    let cdi = info.cdi_spec_dirs.clone().unwrap_or_default();
    if !cdi.is_empty() {
        out.push_str(" CDI spec directories:\n");
        for dir in cdi {
            out.push_str(&format!("  {dir}\n"));
        }
    }
    let mut line = |label: &str, value: String| out.push_str(&format!("{label} {value}\n"));
    line(" Swarm:", info.swarm.local_node_state.clone());
    if !info.runtimes.is_empty() {
        // Go ranges over a map in random order; one runtime is the norm.
        let names: Vec<&str> = info.runtimes.keys().map(String::as_str).collect();
        line(" Runtimes:", names.join(" "));
        line(" Default Runtime:", info.default_runtime.clone());
    }
    if info.os_type == "linux" {
        line(" Init Binary:", info.init_binary.clone());
        line(" containerd version:", info.containerd_commit.id.clone());
        line(" runc version:", info.runc_commit.id.clone());
        line(" init version:", info.init_commit.id.clone());
        security_options(&mut out, &info.security_options);
    }
    let mut line = |label: &str, value: String| out.push_str(&format!("{label} {value}\n"));
    non_empty(&mut line, " Kernel Version:", &info.kernel_version);
    non_empty(&mut line, " Operating System:", &info.operating_system);
    non_empty(&mut line, " OSType:", &info.os_type);
    non_empty(&mut line, " Architecture:", &info.architecture);
    line(" CPUs:", info.ncpu.to_string());
    line(" Total Memory:", bytes_size(info.mem_total as f64));
    non_empty(&mut line, " Name:", &info.name);
    non_empty(&mut line, " ID:", &info.id);
    line(" Docker Root Dir:", info.docker_root_dir.clone());
    line(" Debug Mode:", info.debug.to_string());
    if info.debug || client_debug {
        line("  File Descriptors:", info.n_fd.to_string());
        line("  Goroutines:", info.n_goroutines.to_string());
        line("  System Time:", info.system_time.clone());
        line("  EventsListeners:", info.n_events_listener.to_string());
    }
    non_empty(&mut line, " HTTP Proxy:", &info.http_proxy);
    non_empty(&mut line, " HTTPS Proxy:", &info.https_proxy);
    non_empty(&mut line, " No Proxy:", &info.no_proxy);
    non_empty(&mut line, " Username:", &info.username);
    if !info.labels.is_empty() {
        out.push_str(" Labels:\n");
        for label in &info.labels {
            out.push_str(&format!("  {label}\n"));
        }
    }
    let mut line = |label: &str, value: String| out.push_str(&format!("{label} {value}\n"));
    line(" Experimental:", info.experimental_build.to_string());
    registries(&mut out, &info.registry_config);
    let mut line = |label: &str, value: String| out.push_str(&format!("{label} {value}\n"));
    line(
        " Live Restore Enabled:",
        info.live_restore_enabled.to_string(),
    );
    if !info.product_license.is_empty() {
        line(" Product License:", info.product_license.clone());
    }
    let pools = info.default_address_pools.clone().unwrap_or_default();
    if !pools.is_empty() {
        out.push_str(" Default Address Pools:\n");
        for pool in pools {
            out.push_str(&format!("   Base: {}, Size: {}\n", pool.base, pool.size));
        }
    }
    out.push('\n');
    (out, info.warnings.clone())
}

/// The security options, each name with its profile when it has one.
fn security_options(out: &mut String, options: &[String]) {
    if options.is_empty() {
        return;
    }
    out.push_str(" Security Options:\n");
    for option in options {
        let mut name = String::new();
        let mut profile = None;
        for field in option.split(',') {
            let (k, v) = field.split_once('=').unwrap_or((field, ""));
            match k {
                "name" => name = v.to_string(),
                "profile" => profile = Some(v.to_string()),
                _ => {}
            }
        }
        out.push_str(&format!("  {name}\n"));
        if let Some(profile) = profile {
            out.push_str(&format!("   Profile: {profile}\n"));
        }
    }
}

/// The insecure registries (indexes not secure, then CIDRs) and mirrors.
fn registries(out: &mut String, registry: &RegistryConfig) {
    let cidrs = &registry.insecure_registry_cidrs;
    let indexes = &registry.index_configs;
    if !cidrs.is_empty() || !indexes.is_empty() {
        out.push_str(" Insecure Registries:\n");
        for index in indexes.values().filter(|index| !index.secure) {
            out.push_str(&format!("  {}\n", index.name));
        }
        for cidr in cidrs {
            out.push_str(&format!("  {cidr}\n"));
        }
    }
    if !registry.mirrors.is_empty() {
        out.push_str(" Registry Mirrors:\n");
        for mirror in &registry.mirrors {
            out.push_str(&format!("  {mirror}\n"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_time_as_ansic() {
        assert_eq!(
            reformat_date("2025-05-30T12:07:14.000000000+00:00"),
            "Fri May 30 12:07:14 2025"
        );
        assert_eq!(
            reformat_date("2024-03-01T01:02:03Z"),
            "Fri Mar  1 01:02:03 2024"
        );
        assert_eq!(reformat_date(""), "");
    }
}
