//! The daemon's settings: flags merged with the same keys from the
//! `--config-file` JSON, as dockerd does it (a key given both ways is an
//! error; unknown keys are an error).

use crate::daemon::distribution::endpoint::Registries;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const DEFAULT_CONFIG_FILE: &str = "/etc/docker/daemon.json";
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";
pub const DEFAULT_DATA_ROOT: &str = "/var/lib/dockbox";
pub const DEFAULT_EXEC_ROOT: &str = "/run/dockbox";
pub const DEFAULT_PIDFILE: &str = "/var/run/dockbox.pid";
pub const DEFAULT_GROUP: &str = "docker";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("unable to configure the Docker daemon with file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("unable to configure the Docker daemon with file {}: {message}", path.display())]
    Parse { path: PathBuf, message: String },
    #[error("the following directives don't match any configuration option: {0}")]
    UnknownKeys(String),
    #[error(
        "the following directives are specified both as a flag and in the configuration file: {0}"
    )]
    Conflict(String),
    #[error("invalid value for {key}: {message}")]
    Invalid { key: &'static str, message: String },
}

/// A `--default-ulimit` entry: go-units' `name=soft[:hard]`.
pub use crate::gofmt::ulimit::Ulimit;

/// What the flags gave; `None` and empty mean "not given".
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub hosts: Vec<String>,
    pub data_root: Option<String>,
    pub exec_root: Option<String>,
    pub pidfile: Option<String>,
    pub log_level: Option<String>,
    pub debug: bool,
    pub storage_driver: Option<String>,
    pub live_restore: Option<bool>,
    pub cgroup_parent: Option<String>,
    pub default_ulimits: Vec<String>,
    pub log_driver: Option<String>,
    pub log_opts: Vec<String>,
    pub insecure_registries: Vec<String>,
    pub group: Option<String>,
    pub config_file: Option<String>,
}

/// The settings the daemon runs with.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Unix socket paths to listen on.
    pub sockets: Vec<PathBuf>,
    /// `-H fd://`: also serve the sockets systemd passed (socket activation).
    pub systemd_sockets: bool,
    pub data_root: PathBuf,
    pub exec_root: PathBuf,
    pub pidfile: PathBuf,
    pub log_level: LogLevel,
    pub storage_driver: Option<String>,
    pub live_restore: bool,
    pub cgroup_parent: Option<String>,
    pub default_ulimits: Vec<Ulimit>,
    /// `labels` of daemon.json, `KEY=VALUE` each; reloaded on SIGHUP.
    pub labels: Vec<String>,
    pub log_driver: String,
    pub log_opts: BTreeMap<String, String>,
    /// `--insecure-registry` / `insecure-registries`, with the defaults.
    pub registries: Registries,
    /// The socket's group, and whether the user named it (then it must exist).
    pub group: String,
    pub group_explicit: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
}

impl LogLevel {
    pub fn parse(text: &str) -> Result<LogLevel, String> {
        match text.to_ascii_lowercase().as_str() {
            "debug" | "trace" => Ok(LogLevel::Debug),
            "info" => Ok(LogLevel::Info),
            "warn" | "warning" => Ok(LogLevel::Warn),
            "error" => Ok(LogLevel::Error),
            "fatal" | "panic" => Ok(LogLevel::Fatal),
            _ => Err(format!("unable to parse logging level: {text}")),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warning",
            LogLevel::Error => "error",
            LogLevel::Fatal => "fatal",
        }
    }
}

/// Keys of moby's daemon.json that dockbox reads.
const KNOWN_KEYS: &[&str] = &[
    "hosts",
    "data-root",
    "exec-root",
    "pidfile",
    "log-level",
    "debug",
    "storage-driver",
    "live-restore",
    "cgroup-parent",
    "default-ulimits",
    "log-driver",
    "log-opts",
    "group",
    "labels",
    "insecure-registries",
];

/// moby keys that are valid but have no effect in dockbox yet; accepted
/// with a warning so an existing daemon.json does not stop the daemon.
const IGNORED_KEYS: &[&str] = &[
    "registry-mirrors",
    "experimental",
    "features",
    "dns",
    "dns-opts",
    "dns-search",
    "bip",
    "bridge",
    "iptables",
    "ip6tables",
    "ip-forward",
    "ip-masq",
    "ipv6",
    "default-address-pools",
    "max-concurrent-downloads",
    "max-concurrent-uploads",
    "storage-opts",
    "exec-opts",
    "runtimes",
    "default-runtime",
    "userland-proxy",
    "shutdown-timeout",
    "mtu",
    "init",
    "icc",
];

impl Config {
    /// Merges `flags` with the configuration file they name (or the
    /// default one, which may be missing). Returns the config and the
    /// warnings to log once logging is up.
    pub fn load(flags: &Flags) -> Result<(Config, Vec<String>), ConfigError> {
        let (path, explicit) = match &flags.config_file {
            Some(path) => (PathBuf::from(path), true),
            None => (PathBuf::from(DEFAULT_CONFIG_FILE), false),
        };
        let file = read_file(&path, explicit)?;
        Config::merge(flags, &file, &path)
    }

    pub fn merge(
        flags: &Flags,
        file: &Map<String, Value>,
        path: &Path,
    ) -> Result<(Config, Vec<String>), ConfigError> {
        let mut warnings = Vec::new();
        let unknown: Vec<&str> = file
            .keys()
            .map(String::as_str)
            .filter(|key| !KNOWN_KEYS.contains(key) && !IGNORED_KEYS.contains(key))
            .collect();
        if !unknown.is_empty() {
            return Err(ConfigError::UnknownKeys(unknown.join(", ")));
        }
        for key in file
            .keys()
            .filter(|key| IGNORED_KEYS.contains(&key.as_str()))
        {
            warnings.push(format!(
                "configuration option {key:?} in {} has no effect in dockbox",
                path.display()
            ));
        }
        let mut conflicts = Vec::new();
        let mut check = |key: &str, given_as_flag: bool, flag_value: String| {
            if given_as_flag && let Some(value) = file.get(key) {
                conflicts.push(format!(
                    "{key}: (from flag: {flag_value}, from file: {value})"
                ));
            }
        };
        check(
            "hosts",
            !flags.hosts.is_empty(),
            format!("{:?}", flags.hosts),
        );
        check(
            "data-root",
            flags.data_root.is_some(),
            opt(&flags.data_root),
        );
        check(
            "exec-root",
            flags.exec_root.is_some(),
            opt(&flags.exec_root),
        );
        check("pidfile", flags.pidfile.is_some(), opt(&flags.pidfile));
        check(
            "log-level",
            flags.log_level.is_some(),
            opt(&flags.log_level),
        );
        check(
            "storage-driver",
            flags.storage_driver.is_some(),
            opt(&flags.storage_driver),
        );
        check(
            "live-restore",
            flags.live_restore.is_some(),
            format!("{:?}", flags.live_restore.unwrap_or_default()),
        );
        check(
            "cgroup-parent",
            flags.cgroup_parent.is_some(),
            opt(&flags.cgroup_parent),
        );
        check(
            "default-ulimits",
            !flags.default_ulimits.is_empty(),
            format!("{:?}", flags.default_ulimits),
        );
        check(
            "log-driver",
            flags.log_driver.is_some(),
            opt(&flags.log_driver),
        );
        check(
            "log-opts",
            !flags.log_opts.is_empty(),
            format!("{:?}", flags.log_opts),
        );
        check(
            "insecure-registries",
            !flags.insecure_registries.is_empty(),
            format!("{:?}", flags.insecure_registries),
        );
        check("group", flags.group.is_some(), opt(&flags.group));
        if !conflicts.is_empty() {
            return Err(ConfigError::Conflict(conflicts.join(", ")));
        }

        let hosts = if !flags.hosts.is_empty() {
            flags.hosts.clone()
        } else if let Some(value) = file.get("hosts") {
            string_list("hosts", value)?
        } else {
            vec![DEFAULT_HOST.to_string()]
        };
        let systemd_sockets = hosts.iter().any(|host| host == "fd://");
        let sockets = hosts
            .iter()
            .filter(|host| *host != "fd://")
            .map(|host| parse_host(host))
            .collect::<Result<Vec<_>, _>>()?;

        let text =
            |flag: &Option<String>, key: &'static str| -> Result<Option<String>, ConfigError> {
                match (flag, file.get(key)) {
                    (Some(value), _) => Ok(Some(value.clone())),
                    (None, Some(Value::String(value))) => Ok(Some(value.clone())),
                    (None, Some(other)) => Err(ConfigError::Invalid {
                        key,
                        message: format!("expected a string, got {other}"),
                    }),
                    (None, None) => Ok(None),
                }
            };
        let boolean = |flag: Option<bool>, key: &'static str| -> Result<bool, ConfigError> {
            match (flag, file.get(key)) {
                (Some(value), _) => Ok(value),
                (None, Some(Value::Bool(value))) => Ok(*value),
                (None, Some(other)) => Err(ConfigError::Invalid {
                    key,
                    message: format!("expected true or false, got {other}"),
                }),
                (None, None) => Ok(false),
            }
        };

        let debug = flags.debug || boolean(None, "debug")?;
        let log_level = match text(&flags.log_level, "log-level")? {
            Some(level) => LogLevel::parse(&level).map_err(|message| ConfigError::Invalid {
                key: "log-level",
                message,
            })?,
            None if debug => LogLevel::Debug,
            None => LogLevel::Info,
        };
        let storage_driver = text(&flags.storage_driver, "storage-driver")?;
        if let Some(driver) = &storage_driver
            && !matches!(driver.as_str(), "overlay2" | "vfs")
        {
            return Err(ConfigError::Invalid {
                key: "storage-driver",
                message: format!(
                    "unsupported storage driver {driver:?} (dockbox has overlay2 and vfs)"
                ),
            });
        }
        let log_driver =
            text(&flags.log_driver, "log-driver")?.unwrap_or_else(|| "json-file".into());
        if !matches!(log_driver.as_str(), "json-file" | "none") {
            return Err(ConfigError::Invalid {
                key: "log-driver",
                message: format!("logger: no log driver named '{log_driver}' is registered"),
            });
        }

        let mut default_ulimits = Vec::new();
        for text in &flags.default_ulimits {
            default_ulimits.push(crate::gofmt::ulimit::parse(text).map_err(|message| {
                ConfigError::Invalid {
                    key: "default-ulimit",
                    message,
                }
            })?);
        }
        if let Some(value) = file.get("default-ulimits") {
            default_ulimits = file_ulimits(value)?;
        }

        let mut log_opts = BTreeMap::new();
        for pair in &flags.log_opts {
            let (key, value) = pair.split_once('=').ok_or_else(|| ConfigError::Invalid {
                key: "log-opt",
                message: format!("{pair:?} is not key=value"),
            })?;
            log_opts.insert(key.to_string(), value.to_string());
        }
        if let Some(value) = file.get("log-opts") {
            let Value::Object(map) = value else {
                return Err(ConfigError::Invalid {
                    key: "log-opts",
                    message: format!("expected an object, got {value}"),
                });
            };
            for (key, value) in map {
                let Value::String(value) = value else {
                    return Err(ConfigError::Invalid {
                        key: "log-opts",
                        message: format!("value of {key} must be a string, got {value}"),
                    });
                };
                log_opts.insert(key.clone(), value.clone());
            }
        }
        for key in log_opts.keys() {
            if !matches!(
                key.as_str(),
                "max-size" | "max-file" | "compress" | "labels" | "env" | "tag"
            ) {
                return Err(ConfigError::Invalid {
                    key: "log-opt",
                    message: format!("unknown log opt '{key}' for json-file log driver"),
                });
            }
        }

        let labels = match file.get("labels") {
            Some(value) => string_list("labels", value)?,
            None => Vec::new(),
        };
        if let Some(bad) = labels.iter().find(|label| !label.contains('=')) {
            return Err(ConfigError::Invalid {
                key: "labels",
                message: format!("bad attribute format: {bad}"),
            });
        }
        let insecure = match file.get("insecure-registries") {
            Some(value) => string_list("insecure-registries", value)?,
            None => flags.insecure_registries.clone(),
        };
        let registries = Registries::new(&insecure).map_err(|message| ConfigError::Invalid {
            key: "insecure-registries",
            message,
        })?;
        let group_given = text(&flags.group, "group")?;
        let config = Config {
            labels,
            sockets,
            systemd_sockets,
            data_root: absolute(
                text(&flags.data_root, "data-root")?,
                DEFAULT_DATA_ROOT,
                "data-root",
            )?,
            exec_root: absolute(
                text(&flags.exec_root, "exec-root")?,
                DEFAULT_EXEC_ROOT,
                "exec-root",
            )?,
            pidfile: absolute(text(&flags.pidfile, "pidfile")?, DEFAULT_PIDFILE, "pidfile")?,
            log_level,
            storage_driver,
            live_restore: boolean(flags.live_restore, "live-restore")?,
            cgroup_parent: text(&flags.cgroup_parent, "cgroup-parent")?,
            default_ulimits,
            log_driver,
            log_opts,
            registries,
            group_explicit: group_given.is_some(),
            group: group_given.unwrap_or_else(|| DEFAULT_GROUP.to_string()),
        };
        Ok((config, warnings))
    }
}

fn opt(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

fn read_file(path: &Path, explicit: bool) -> Result<Map<String, Value>, ConfigError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
            return Ok(Map::new());
        }
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ConfigError::Parse {
            path: path.to_path_buf(),
            message: "the file must hold a JSON object".to_string(),
        }),
        Err(e) => Err(ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        }),
    }
}

fn string_list(key: &'static str, value: &Value) -> Result<Vec<String>, ConfigError> {
    let invalid = || ConfigError::Invalid {
        key,
        message: format!("expected a list of strings, got {value}"),
    };
    value
        .as_array()
        .ok_or_else(invalid)?
        .iter()
        .map(|item| item.as_str().map(str::to_string).ok_or_else(invalid))
        .collect()
}

/// daemon.json writes ulimits as `{"nofile":{"Name":"nofile","Hard":n,"Soft":n}}`.
fn file_ulimits(value: &Value) -> Result<Vec<Ulimit>, ConfigError> {
    let invalid = |message: String| ConfigError::Invalid {
        key: "default-ulimits",
        message,
    };
    let Value::Object(map) = value else {
        return Err(invalid(format!("expected an object, got {value}")));
    };
    let mut ulimits = Vec::new();
    for (name, entry) in map {
        let limit = |field: &str| {
            entry
                .get(field)
                .and_then(Value::as_i64)
                .ok_or_else(|| invalid(format!("{name}: {field} must be an integer")))
        };
        let (soft, hard) = (limit("Soft")?, limit("Hard")?);
        let ulimit = crate::gofmt::ulimit::check(name, soft, hard).map_err(invalid)?;
        ulimits.push(ulimit);
    }
    Ok(ulimits)
}

/// `unix:///path` (or a bare absolute path) to the socket path.
fn parse_host(host: &str) -> Result<PathBuf, ConfigError> {
    let invalid = |message: String| ConfigError::Invalid {
        key: "host",
        message,
    };
    let path = if let Some(path) = host.strip_prefix("unix://") {
        if path.is_empty() {
            "/var/run/docker.sock"
        } else {
            path
        }
    } else if host.starts_with('/') {
        host
    } else if host.starts_with("fd://") {
        return Err(invalid(format!(
            "{host}: dockbox serves every socket systemd passes, as fd://, not one by name"
        )));
    } else if let Some((scheme, _)) = host.split_once("://") {
        return Err(invalid(format!(
            "{host}: dockbox serves only unix sockets, not {scheme}://"
        )));
    } else {
        return Err(invalid(format!("{host}: expected unix:///path")));
    };
    if !path.starts_with('/') {
        return Err(invalid(format!("{host}: the socket path must be absolute")));
    }
    Ok(PathBuf::from(path))
}

fn absolute(
    value: Option<String>,
    default: &str,
    key: &'static str,
) -> Result<PathBuf, ConfigError> {
    let path = PathBuf::from(value.unwrap_or_else(|| default.to_string()));
    if !path.is_absolute() {
        return Err(ConfigError::Invalid {
            key,
            message: format!("{} is not an absolute path", path.display()),
        });
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(json: &str) -> Map<String, Value> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn defaults() {
        let (config, warnings) =
            Config::merge(&Flags::default(), &Map::new(), Path::new("x")).unwrap();
        assert!(warnings.is_empty());
        assert_eq!(config.sockets, [PathBuf::from("/var/run/docker.sock")]);
        assert_eq!(config.data_root, PathBuf::from(DEFAULT_DATA_ROOT));
        assert_eq!(config.exec_root, PathBuf::from(DEFAULT_EXEC_ROOT));
        assert_eq!(config.log_level, LogLevel::Info);
        assert_eq!(config.log_driver, "json-file");
        assert_eq!(config.group, "docker");
        assert!(!config.group_explicit);
    }

    #[test]
    fn fd_host_asks_for_the_sockets_systemd_passes() {
        let flags = Flags {
            hosts: vec!["fd://".into(), "unix:///run/x.sock".into()],
            ..Flags::default()
        };
        let (config, _) = Config::merge(&flags, &Map::new(), Path::new("x")).unwrap();
        assert!(config.systemd_sockets);
        assert_eq!(config.sockets, [PathBuf::from("/run/x.sock")]);
        let flags = Flags {
            hosts: vec!["fd://3".into()],
            ..Flags::default()
        };
        assert!(Config::merge(&flags, &Map::new(), Path::new("x")).is_err());
    }

    #[test]
    fn file_keys_apply_and_conflict_with_flags() {
        let json = file(
            r#"{"data-root":"/d","log-opts":{"max-size":"10m","max-file":"3"},
                "default-ulimits":{"nofile":{"Name":"nofile","Hard":200,"Soft":100}},
                "live-restore":true,"registry-mirrors":[]}"#,
        );
        let (config, warnings) = Config::merge(&Flags::default(), &json, Path::new("f")).unwrap();
        assert_eq!(config.data_root, PathBuf::from("/d"));
        assert!(config.live_restore);
        assert_eq!(
            config.log_opts.get("max-size").map(String::as_str),
            Some("10m")
        );
        assert_eq!(
            config.default_ulimits,
            [Ulimit {
                name: "nofile".into(),
                soft: 100,
                hard: 200
            }]
        );
        assert_eq!(warnings.len(), 1);
        let flags = Flags {
            data_root: Some("/e".into()),
            ..Flags::default()
        };
        let error = Config::merge(&flags, &json, Path::new("f")).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("the following directives are specified both as a flag and in the configuration file: data-root"),
            "{error}"
        );
        let error =
            Config::merge(&Flags::default(), &file(r#"{"nope":1}"#), Path::new("f")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the following directives don't match any configuration option: nope"
        );
    }

    #[test]
    fn insecure_registries_come_from_the_flag_or_the_file() {
        let flags = Flags {
            insecure_registries: vec!["reg.example:5000".into()],
            ..Flags::default()
        };
        let (config, _) = Config::merge(&flags, &Map::new(), Path::new("f")).unwrap();
        assert!(!config.registries.is_secure("reg.example:5000"));
        let json = file(r#"{"insecure-registries":["10.0.0.0/8"]}"#);
        let (config, warnings) = Config::merge(&Flags::default(), &json, Path::new("f")).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(!config.registries.is_secure("10.1.1.1:5000"));
        assert!(Config::merge(&flags, &json, Path::new("f")).is_err());
        let bad = file(r#"{"insecure-registries":["ftp://x"]}"#);
        assert!(Config::merge(&Flags::default(), &bad, Path::new("f")).is_err());
    }

    #[test]
    fn bad_values_are_refused() {
        for flags in [
            Flags {
                hosts: vec!["tcp://0.0.0.0:2375".into()],
                ..Flags::default()
            },
            Flags {
                log_level: Some("loud".into()),
                ..Flags::default()
            },
            Flags {
                default_ulimits: vec!["nofile=10:5".into()],
                ..Flags::default()
            },
            Flags {
                log_opts: vec!["max-size".into()],
                ..Flags::default()
            },
            Flags {
                storage_driver: Some("btrfs".into()),
                ..Flags::default()
            },
            Flags {
                data_root: Some("relative".into()),
                ..Flags::default()
            },
        ] {
            assert!(
                Config::merge(&flags, &Map::new(), Path::new("f")).is_err(),
                "{flags:?}"
            );
        }
    }

    #[test]
    fn default_ulimits_are_go_units_ulimits() {
        let flags = Flags {
            default_ulimits: vec!["nofile=1024".into(), "core=100:-1".into()],
            ..Flags::default()
        };
        let (config, _) = Config::merge(&flags, &Map::new(), Path::new("f")).expect("merge");
        let limits: Vec<(&str, i64, i64)> = config
            .default_ulimits
            .iter()
            .map(|u| (u.name.as_str(), u.soft, u.hard))
            .collect();
        assert_eq!(limits, [("nofile", 1024, 1024), ("core", 100, -1)]);
        let flags = Flags {
            default_ulimits: vec!["nofile=x".into()],
            ..Flags::default()
        };
        let error = Config::merge(&flags, &Map::new(), Path::new("f")).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("strconv.ParseInt: parsing \"x\": invalid syntax"),
            "{error}"
        );
    }
}
