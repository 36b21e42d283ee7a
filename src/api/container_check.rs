//! The type check moby's JSON decoder does on a create body, with Go's
//! wording, so that a field of the wrong type gets the same 400 message
//! (`invalid JSON: json: cannot unmarshal string into Go struct field
//! HostConfig.HostConfig.Memory of type int64`). Unknown fields pass.

use serde_json::Value;

/// A Go type as the decoder names it.
#[derive(Clone, Copy)]
enum Go {
    /// A string type (`string`, `container.NetworkMode`, ...).
    Text(&'static str),
    Bool,
    /// A signed integer type and its bit width.
    Int(&'static str, u32),
    /// An unsigned integer type and its bit width.
    Uint(&'static str, u32),
    /// `[]string`.
    Strings,
    /// `strslice.StrSlice`, whose own decoder accepts a string or a list.
    StrSlice,
    /// An object type (struct or map) named as Go prints it.
    Object(&'static str),
    /// A list type named as Go prints it.
    List(&'static str),
    /// `[2]uint`.
    UintPair,
}

const CONFIG_FIELDS: &[(&str, Go)] = &[
    ("Hostname", Go::Text("string")),
    ("Domainname", Go::Text("string")),
    ("User", Go::Text("string")),
    ("AttachStdin", Go::Bool),
    ("AttachStdout", Go::Bool),
    ("AttachStderr", Go::Bool),
    ("ExposedPorts", Go::Object("nat.PortSet")),
    ("Tty", Go::Bool),
    ("OpenStdin", Go::Bool),
    ("StdinOnce", Go::Bool),
    ("Env", Go::Strings),
    ("Cmd", Go::StrSlice),
    ("Healthcheck", Go::Object("container.HealthConfig")),
    ("ArgsEscaped", Go::Bool),
    ("Image", Go::Text("string")),
    ("Volumes", Go::Object("map[string]struct {}")),
    ("WorkingDir", Go::Text("string")),
    ("Entrypoint", Go::StrSlice),
    ("NetworkDisabled", Go::Bool),
    ("MacAddress", Go::Text("string")),
    ("OnBuild", Go::Strings),
    ("Labels", Go::Object("map[string]string")),
    ("StopSignal", Go::Text("string")),
    ("StopTimeout", Go::Int("int", 64)),
    ("Shell", Go::StrSlice),
    ("HostConfig", Go::Object("container.HostConfig")),
    ("NetworkingConfig", Go::Object("network.NetworkingConfig")),
];

const HOST_CONFIG_FIELDS: &[(&str, Go)] = &[
    ("Binds", Go::Strings),
    ("ContainerIDFile", Go::Text("string")),
    ("LogConfig", Go::Object("container.LogConfig")),
    ("NetworkMode", Go::Text("container.NetworkMode")),
    ("PortBindings", Go::Object("nat.PortMap")),
    ("RestartPolicy", Go::Object("container.RestartPolicy")),
    ("AutoRemove", Go::Bool),
    ("VolumeDriver", Go::Text("string")),
    ("VolumesFrom", Go::Strings),
    ("ConsoleSize", Go::UintPair),
    ("Annotations", Go::Object("map[string]string")),
    ("CapAdd", Go::StrSlice),
    ("CapDrop", Go::StrSlice),
    ("CgroupnsMode", Go::Text("container.CgroupnsMode")),
    ("Dns", Go::Strings),
    ("DnsOptions", Go::Strings),
    ("DnsSearch", Go::Strings),
    ("ExtraHosts", Go::Strings),
    ("GroupAdd", Go::Strings),
    ("IpcMode", Go::Text("container.IpcMode")),
    ("Cgroup", Go::Text("container.CgroupSpec")),
    ("Links", Go::Strings),
    ("OomScoreAdj", Go::Int("int", 64)),
    ("PidMode", Go::Text("container.PidMode")),
    ("Privileged", Go::Bool),
    ("PublishAllPorts", Go::Bool),
    ("ReadonlyRootfs", Go::Bool),
    ("SecurityOpt", Go::Strings),
    ("StorageOpt", Go::Object("map[string]string")),
    ("Tmpfs", Go::Object("map[string]string")),
    ("UTSMode", Go::Text("container.UTSMode")),
    ("UsernsMode", Go::Text("container.UsernsMode")),
    ("ShmSize", Go::Int("int64", 64)),
    ("Sysctls", Go::Object("map[string]string")),
    ("Runtime", Go::Text("string")),
    ("Isolation", Go::Text("container.Isolation")),
    ("CpuShares", Go::Int("int64", 64)),
    ("Memory", Go::Int("int64", 64)),
    ("NanoCpus", Go::Int("int64", 64)),
    ("CgroupParent", Go::Text("string")),
    ("BlkioWeight", Go::Uint("uint16", 16)),
    ("CpuPeriod", Go::Int("int64", 64)),
    ("CpuQuota", Go::Int("int64", 64)),
    ("CpuRealtimePeriod", Go::Int("int64", 64)),
    ("CpuRealtimeRuntime", Go::Int("int64", 64)),
    ("CpusetCpus", Go::Text("string")),
    ("CpusetMems", Go::Text("string")),
    ("Devices", Go::List("[]container.DeviceMapping")),
    ("DeviceCgroupRules", Go::Strings),
    ("KernelMemory", Go::Int("int64", 64)),
    ("KernelMemoryTCP", Go::Int("int64", 64)),
    ("MemoryReservation", Go::Int("int64", 64)),
    ("MemorySwap", Go::Int("int64", 64)),
    ("MemorySwappiness", Go::Int("int64", 64)),
    ("OomKillDisable", Go::Bool),
    ("PidsLimit", Go::Int("int64", 64)),
    ("Ulimits", Go::List("[]*container.Ulimit")),
    ("CpuCount", Go::Int("int64", 64)),
    ("CpuPercent", Go::Int("int64", 64)),
    ("IOMaximumIOps", Go::Uint("uint64", 64)),
    ("IOMaximumBandwidth", Go::Uint("uint64", 64)),
    ("Mounts", Go::List("[]mount.Mount")),
    ("MaskedPaths", Go::Strings),
    ("ReadonlyPaths", Go::Strings),
    ("Init", Go::Bool),
];

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn field_error(found: &str, owner: &str, path: &str, go_type: &str) -> String {
    format!("json: cannot unmarshal {found} into Go struct field {owner}.{path} of type {go_type}")
}

fn fits_int(value: &Value, bits: u32) -> bool {
    value
        .as_i64()
        .is_some_and(|n| bits >= 64 || (n >= -(1i64 << (bits - 1)) && n < (1i64 << (bits - 1))))
}

fn fits_uint(value: &Value, bits: u32) -> bool {
    value
        .as_u64()
        .is_some_and(|n| bits >= 64 || n < (1u64 << bits))
}

/// Checks one field; `owner` is the Go struct holding it and `path` the
/// JSON path from the body's root, both as Go's decoder reports them.
fn check_field(value: &Value, go: Go, owner: &str, path: &str) -> Result<(), String> {
    if value.is_null() {
        return Ok(());
    }
    let wrong = |go_type: &str| Err(field_error(kind(value), owner, path, go_type));
    match go {
        Go::Text(name) if !value.is_string() => wrong(name),
        Go::Bool if !value.is_boolean() => wrong("bool"),
        Go::Int(name, bits) => match value {
            Value::Number(n) if !fits_int(value, bits) => {
                Err(field_error(&format!("number {n}"), owner, path, name))
            }
            Value::Number(_) => Ok(()),
            _ => wrong(name),
        },
        Go::Uint(name, bits) => match value {
            Value::Number(n) if !fits_uint(value, bits) => {
                Err(field_error(&format!("number {n}"), owner, path, name))
            }
            Value::Number(_) => Ok(()),
            _ => wrong(name),
        },
        Go::Strings => match value {
            Value::Array(items) => match items.iter().find(|i| !i.is_string() && !i.is_null()) {
                Some(item) => Err(field_error(kind(item), owner, path, "string")),
                None => Ok(()),
            },
            _ => wrong("[]string"),
        },
        Go::StrSlice => {
            let ok = match value {
                Value::String(_) => true,
                Value::Array(items) => items.iter().all(|i| i.is_string() || i.is_null()),
                _ => false,
            };
            if ok {
                Ok(())
            } else {
                // StrSlice decodes itself; its error carries no field.
                let found = match value {
                    Value::Array(items) => {
                        kind(items.iter().find(|i| !i.is_string()).unwrap_or(value))
                    }
                    other => kind(other),
                };
                Err(format!(
                    "json: cannot unmarshal {found} into Go value of type string"
                ))
            }
        }
        Go::Object(name) if !value.is_object() => wrong(name),
        Go::List(name) if !value.is_array() => wrong(name),
        Go::UintPair => match value {
            Value::Array(items) => match items.iter().find(|i| !fits_uint(i, 64)) {
                Some(Value::Number(n)) => {
                    Err(field_error(&format!("number {n}"), owner, path, "uint"))
                }
                Some(item) => Err(field_error(kind(item), owner, path, "uint")),
                None => Ok(()),
            },
            _ => wrong("[2]uint"),
        },
        _ => Ok(()),
    }
}

/// Renames keys to their canonical case: Go's decoder matches field names
/// case-insensitively (`{"memory": 1}` sets Memory), serde does not.
pub fn canonicalize_field_names(body: &mut Value) {
    fn rename(object: &mut serde_json::Map<String, Value>, fields: &[(&str, Go)]) {
        let keys: Vec<String> = object.keys().cloned().collect();
        for key in keys {
            if fields.iter().any(|(name, _)| *name == key) {
                continue;
            }
            let canonical = fields
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(&key));
            if let Some((name, _)) = canonical
                && !object.contains_key(*name)
                && let Some(value) = object.remove(&key)
            {
                object.insert(name.to_string(), value);
            }
        }
    }
    if let Value::Object(fields) = body {
        rename(fields, CONFIG_FIELDS);
        if let Some(Value::Object(host)) = fields.get_mut("HostConfig") {
            rename(host, HOST_CONFIG_FIELDS);
        }
    }
}

/// Checks a create body's fields against the types moby decodes them
/// into; the error is Go's message, to be prefixed with `invalid JSON: `.
pub fn check_create_body(body: &Value) -> Result<(), String> {
    let Value::Object(fields) = body else {
        return Err(format!(
            "json: cannot unmarshal {} into Go value of type container.CreateRequest",
            kind(body)
        ));
    };
    for (name, go) in CONFIG_FIELDS {
        if let Some(value) = fields.get(*name) {
            check_field(value, *go, "CreateRequest", name)?;
        }
    }
    if let Some(Value::Object(host)) = fields.get("HostConfig") {
        for (name, go) in HOST_CONFIG_FIELDS {
            if let Some(value) = host.get(*name) {
                check_field(value, *go, "HostConfig", &format!("HostConfig.{name}"))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message(body: Value) -> String {
        check_create_body(&body).unwrap_err()
    }

    #[test]
    fn wrong_types_get_gos_words() {
        assert_eq!(
            message(json!({"HostConfig": {"Memory": "64m"}})),
            "json: cannot unmarshal string into Go struct field HostConfig.HostConfig.Memory of type int64"
        );
        assert_eq!(
            message(json!({"Env": "A=1"})),
            "json: cannot unmarshal string into Go struct field CreateRequest.Env of type []string"
        );
        assert_eq!(
            message(json!({"Env": ["A=1", 2]})),
            "json: cannot unmarshal number into Go struct field CreateRequest.Env of type string"
        );
        assert_eq!(
            message(json!({"Tty": "yes"})),
            "json: cannot unmarshal string into Go struct field CreateRequest.Tty of type bool"
        );
        assert_eq!(
            message(json!({"HostConfig": {"BlkioWeight": -1}})),
            "json: cannot unmarshal number -1 into Go struct field HostConfig.HostConfig.BlkioWeight of type uint16"
        );
        assert_eq!(
            message(json!({"HostConfig": {"NetworkMode": 1}})),
            "json: cannot unmarshal number into Go struct field HostConfig.HostConfig.NetworkMode of type container.NetworkMode"
        );
        assert_eq!(
            message(json!({"Cmd": 5})),
            "json: cannot unmarshal number into Go value of type string"
        );
        assert_eq!(
            message(json!({"HostConfig": {"Memory": 1.5}})),
            "json: cannot unmarshal number 1.5 into Go struct field HostConfig.HostConfig.Memory of type int64"
        );
        assert!(message(json!([1])).contains("container.CreateRequest"));
    }

    #[test]
    fn field_names_match_in_any_case() {
        let mut body =
            json!({"image": "busybox", "hostconfig": {"memory": 1, "Memory": 2, "NANOCPUS": 3}});
        canonicalize_field_names(&mut body);
        assert_eq!(
            body,
            json!({"Image": "busybox", "HostConfig": {"Memory": 2, "memory": 1, "NanoCpus": 3}})
        );
    }

    #[test]
    fn right_types_and_unknown_fields_pass() {
        let body = json!({
            "Cmd": "true", "Entrypoint": ["sh"], "Env": null, "Colour": 5,
            "HostConfig": {"Memory": 1, "Init": null, "ConsoleSize": [24, 80],
                           "Whatever": [1], "PidsLimit": -1, "CapAdd": "CAP_X"}
        });
        assert_eq!(check_create_body(&body), Ok(()));
    }
}
