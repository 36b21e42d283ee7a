//! `docker version` and `docker info`.

use super::{Session, print};
use crate::applets::docker::args::Parsed;
use crate::applets::docker::client::{CLIENT_API_VERSION, Failure};
use crate::applets::docker::format::TabWriter;
use crate::applets::docker::template::{Template, Value};
use crate::gofmt::size::bytes_size;
use crate::version::{COMMIT, DOCKER_COMPAT_VERSION, VERSION};
use serde_json::{Value as Json, json};

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

fn text<'a>(json: &'a Json, key: &str) -> &'a str {
    json.get(key).and_then(Json::as_str).unwrap_or_default()
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

pub fn version(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let format = parsed.value("format").unwrap_or_default().to_string();
    let template = if format.is_empty() {
        None
    } else {
        Some(user_template(&format, "version")?)
    };
    let api_version = session.client.api_version();
    let client = json!({
        "Version": DOCKER_COMPAT_VERSION,
        "ApiVersion": api_version,
        "DefaultAPIVersion": CLIENT_API_VERSION,
        "GitCommit": COMMIT,
        "GoVersion": client_go_version(),
        "Os": "linux",
        "Arch": go_arch(),
        "BuildTime": "",
        "Context": session.client.endpoint.context,
    });
    let server = session.client.get_json("/version");
    let server_json = server.as_ref().ok().cloned();
    let out = match &template {
        Some(template) => {
            let data = json!({
                "Client": go_field_names(client.clone()),
                "Server": server_json.clone().map(go_field_names),
            });
            let mut text = template
                .execute(&Value::Data(data))
                .map_err(|e| Failure::new(1, named_template(&e.to_string(), "version")))?;
            text.push('\n');
            text
        }
        None => default_version(&client, server_json.as_ref()),
    };
    print(&out);
    server.map(|_| ())
}

fn default_version(client: &Json, server: Option<&Json>) -> String {
    let mut lines = String::from("Client:\n");
    let api = text(client, "ApiVersion");
    let downgraded = if api != CLIENT_API_VERSION {
        format!(" (downgraded from {CLIENT_API_VERSION})")
    } else {
        String::new()
    };
    lines.push_str(&format!(
        " Version:\t{}\n API version:\t{api}{downgraded}\n Go version:\t{}\n Git commit:\t{}\n Built:\t{}\n OS/Arch:\t{}/{}\n Context:\t{}",
        text(client, "Version"),
        text(client, "GoVersion"),
        text(client, "GitCommit"),
        text(client, "BuildTime"),
        text(client, "Os"),
        text(client, "Arch"),
        text(client, "Context"),
    ));
    if let Some(server) = server {
        let platform = server
            .get("Platform")
            .map(|p| text(p, "Name"))
            .unwrap_or_default();
        lines.push_str("\n\nServer:");
        if !platform.is_empty() {
            lines.push(' ');
            lines.push_str(platform);
        }
        for component in server_components(server) {
            let name = text(&component, "Name");
            let details = component.get("Details").cloned().unwrap_or(json!({}));
            let detail = |key: &str| text(&details, key).to_string();
            lines.push_str(&format!("\n {name}:"));
            if name == "Engine" {
                lines.push_str(&format!(
                    "\n  Version:\t{}\n  API version:\t{} (minimum version {})\n  Go version:\t{}\n  Git commit:\t{}\n  Built:\t{}\n  OS/Arch:\t{}/{}\n  Experimental:\t{}",
                    text(&component, "Version"),
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
                lines.push_str(&format!("\n  Version:\t{}", text(&component, "Version")));
                if let Some(map) = details.as_object() {
                    let mut keys: Vec<&String> = map.keys().collect();
                    keys.sort();
                    for key in keys {
                        lines.push_str(&format!("\n  {key}:\t{}", detail(key)));
                    }
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
fn server_components(server: &Json) -> Vec<Json> {
    let mut components: Vec<Json> = server
        .get("Components")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    if !components.iter().any(|c| text(c, "Name") == "Engine") {
        components.push(json!({
            "Name": "Engine",
            "Version": text(server, "Version"),
            "Details": {
                "ApiVersion": text(server, "ApiVersion"),
                "MinAPIVersion": text(server, "MinAPIVersion"),
                "GitCommit": text(server, "GitCommit"),
                "GoVersion": text(server, "GoVersion"),
                "Os": text(server, "Os"),
                "Arch": text(server, "Arch"),
                "BuildTime": text(server, "BuildTime"),
                "Experimental": server.get("Experimental").and_then(Json::as_bool).unwrap_or(false).to_string(),
            }
        }));
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
    let client_info = json!({
        "Debug": session.debug,
        "Version": DOCKER_COMPAT_VERSION,
        "DefaultAPIVersion": CLIENT_API_VERSION,
        "GitCommit": COMMIT,
        "GoVersion": client_go_version(),
        "Os": "linux",
        "Arch": go_arch(),
        "BuildTime": "",
        "Context": session.client.endpoint.context,
        "Plugins": [],
        "Warnings": null,
    });
    if let Some(template) = template {
        let mut data = session.client.get_json("/info")?;
        data["ClientInfo"] = client_info;
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
    let info = session.client.get_json("/info")?;
    let (out, warnings) = server_info(&info, session.debug);
    print(&out);
    for warning in warnings {
        eprintln!("{warning}");
    }
    Ok(())
}

fn strings(json: &Json, key: &str) -> Vec<String> {
    json.get(key)
        .and_then(Json::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Json::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn scalar(json: &Json, key: &str) -> String {
    match json.get(key) {
        Some(Json::String(s)) => s.clone(),
        Some(Json::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// `prettyPrintServerInfo`: the `Server:` section of `docker info`.
fn server_info(info: &Json, client_debug: bool) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut line = |label: &str, value: String| out.push_str(&format!("{label} {value}\n"));
    let non_empty = |line: &mut dyn FnMut(&str, String), label: &str, value: String| {
        if !value.is_empty() {
            line(label, value);
        }
    };
    let number = |key: &str| info.get(key).and_then(Json::as_i64).unwrap_or_default();
    line(" Containers:", number("Containers").to_string());
    line("  Running:", number("ContainersRunning").to_string());
    line("  Paused:", number("ContainersPaused").to_string());
    line("  Stopped:", number("ContainersStopped").to_string());
    line(" Images:", number("Images").to_string());
    non_empty(&mut line, " Server Version:", scalar(info, "ServerVersion"));
    non_empty(&mut line, " Storage Driver:", scalar(info, "Driver"));
    let pairs = |key: &str| -> Vec<(String, String)> {
        info.get(key)
            .and_then(Json::as_array)
            .map(|list| {
                list.iter()
                    .map(|pair| (scalar_at(pair, 0), scalar_at(pair, 1)))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut text = String::new();
    for (k, v) in pairs("DriverStatus") {
        text.push_str(&format!("  {k}: {v}\n"));
    }
    for (k, v) in pairs("SystemStatus") {
        text.push_str(&format!(" {k}: {v}\n"));
    }
    let mut out2 = std::mem::take(&mut out);
    out2.push_str(&text);
    let mut out = out2;
    let mut line = |label: &str, value: String| out.push_str(&format!("{label} {value}\n"));
    non_empty(&mut line, " Logging Driver:", scalar(info, "LoggingDriver"));
    non_empty(&mut line, " Cgroup Driver:", scalar(info, "CgroupDriver"));
    non_empty(&mut line, " Cgroup Version:", scalar(info, "CgroupVersion"));
    let plugins = info.get("Plugins").cloned().unwrap_or(json!({}));
    out.push_str(" Plugins:\n");
    let mut line = |label: &str, value: String| out.push_str(&format!("{label} {value}\n"));
    line("  Volume:", strings(&plugins, "Volume").join(" "));
    line("  Network:", strings(&plugins, "Network").join(" "));
    let authorization = strings(&plugins, "Authorization");
    if !authorization.is_empty() {
        line("  Authorization:", authorization.join(" "));
    }
    line("  Log:", strings(&plugins, "Log").join(" "));
    let cdi = strings(info, "CDISpecDirs");
    if !cdi.is_empty() {
        out.push_str(" CDI spec directories:\n");
        for dir in cdi {
            out.push_str(&format!("  {dir}\n"));
        }
    }
    let swarm = info.get("Swarm").cloned().unwrap_or(json!({}));
    let mut line = |label: &str, value: String| out.push_str(&format!("{label} {value}\n"));
    line(" Swarm:", scalar(&swarm, "LocalNodeState"));
    if let Some(runtimes) = info.get("Runtimes").and_then(Json::as_object)
        && !runtimes.is_empty()
    {
        // Go ranges over a map in random order; one runtime is the norm.
        let names: Vec<&str> = runtimes.keys().map(String::as_str).collect();
        line(" Runtimes:", names.join(" "));
        line(" Default Runtime:", scalar(info, "DefaultRuntime"));
    }
    let commit = |key: &str| info.get(key).map(|c| scalar(c, "ID")).unwrap_or_default();
    if scalar(info, "OSType") == "linux" {
        line(" Init Binary:", scalar(info, "InitBinary"));
        line(" containerd version:", commit("ContainerdCommit"));
        line(" runc version:", commit("RuncCommit"));
        line(" init version:", commit("InitCommit"));
        let options = strings(info, "SecurityOptions");
        if !options.is_empty() {
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
    }
    let mut line = |label: &str, value: String| out.push_str(&format!("{label} {value}\n"));
    non_empty(&mut line, " Kernel Version:", scalar(info, "KernelVersion"));
    non_empty(
        &mut line,
        " Operating System:",
        scalar(info, "OperatingSystem"),
    );
    non_empty(&mut line, " OSType:", scalar(info, "OSType"));
    non_empty(&mut line, " Architecture:", scalar(info, "Architecture"));
    line(" CPUs:", number("NCPU").to_string());
    line(" Total Memory:", bytes_size(number("MemTotal") as f64));
    non_empty(&mut line, " Name:", scalar(info, "Name"));
    non_empty(&mut line, " ID:", scalar(info, "ID"));
    line(" Docker Root Dir:", scalar(info, "DockerRootDir"));
    let debug = info.get("Debug").and_then(Json::as_bool).unwrap_or(false);
    line(" Debug Mode:", debug.to_string());
    if debug || client_debug {
        line("  File Descriptors:", scalar(info, "NFd"));
        line("  Goroutines:", scalar(info, "NGoroutines"));
        line("  System Time:", scalar(info, "SystemTime"));
        line("  EventsListeners:", scalar(info, "NEventsListener"));
    }
    non_empty(&mut line, " HTTP Proxy:", scalar(info, "HttpProxy"));
    non_empty(&mut line, " HTTPS Proxy:", scalar(info, "HttpsProxy"));
    non_empty(&mut line, " No Proxy:", scalar(info, "NoProxy"));
    non_empty(&mut line, " Username:", scalar(info, "Username"));
    let labels = strings(info, "Labels");
    if !labels.is_empty() {
        out.push_str(" Labels:\n");
        for label in labels {
            out.push_str(&format!("  {label}\n"));
        }
    }
    let mut line = |label: &str, value: String| out.push_str(&format!("{label} {value}\n"));
    line(
        " Experimental:",
        info.get("ExperimentalBuild")
            .and_then(Json::as_bool)
            .unwrap_or(false)
            .to_string(),
    );
    let registry = info.get("RegistryConfig").cloned().unwrap_or(Json::Null);
    let cidrs = registry
        .get("InsecureRegistryCIDRs")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    let indexes = registry
        .get("IndexConfigs")
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default();
    if !cidrs.is_empty() || !indexes.is_empty() {
        out.push_str(" Insecure Registries:\n");
        for index in indexes.values() {
            if !index.get("Secure").and_then(Json::as_bool).unwrap_or(false) {
                out.push_str(&format!("  {}\n", scalar(index, "Name")));
            }
        }
        for cidr in cidrs {
            out.push_str(&format!("  {}\n", cidr.as_str().unwrap_or_default()));
        }
    }
    let mirrors = strings(&registry, "Mirrors");
    if !mirrors.is_empty() {
        out.push_str(" Registry Mirrors:\n");
        for mirror in mirrors {
            out.push_str(&format!("  {mirror}\n"));
        }
    }
    let mut line = |label: &str, value: String| out.push_str(&format!("{label} {value}\n"));
    line(
        " Live Restore Enabled:",
        info.get("LiveRestoreEnabled")
            .and_then(Json::as_bool)
            .unwrap_or(false)
            .to_string(),
    );
    let license = scalar(info, "ProductLicense");
    if !license.is_empty() {
        line(" Product License:", license);
    }
    if let Some(pools) = info.get("DefaultAddressPools").and_then(Json::as_array)
        && !pools.is_empty()
    {
        out.push_str(" Default Address Pools:\n");
        for pool in pools {
            out.push_str(&format!(
                "   Base: {}, Size: {}\n",
                scalar(pool, "Base"),
                scalar(pool, "Size")
            ));
        }
    }
    out.push('\n');
    (out, strings(info, "Warnings"))
}

fn scalar_at(pair: &Json, index: usize) -> String {
    match pair.get(index) {
        Some(Json::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
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
