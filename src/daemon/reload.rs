//! SIGHUP: the daemon rereads its configuration file and applies the
//! options dockerd reloads without a restart (here: debug and log level,
//! labels); the rest needs a restart, as with dockerd.

use super::config::{Config, Flags, LogLevel};
use super::log;
use std::sync::RwLock;

/// The settings a reload may change, read by whoever needs them now.
#[derive(Debug)]
pub struct Reloadable {
    inner: RwLock<ReloadableValues>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReloadableValues {
    pub log_level: LogLevel,
    pub labels: Vec<String>,
}

impl Reloadable {
    pub fn new(config: &Config) -> Reloadable {
        Reloadable {
            inner: RwLock::new(ReloadableValues {
                log_level: config.log_level,
                labels: config.labels.clone(),
            }),
        }
    }

    pub fn get(&self) -> ReloadableValues {
        self.inner.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Rereads the file `flags` name, as on SIGHUP; a bad file changes
    /// nothing and is logged, as dockerd logs it.
    pub fn reload(&self, flags: &Flags) {
        let path = flags
            .config_file
            .as_deref()
            .unwrap_or(super::config::DEFAULT_CONFIG_FILE);
        log::info(&format!(
            "Got signal to reload configuration, reloading from: {path}"
        ));
        let config = match Config::load(flags) {
            Ok((config, _)) => config,
            Err(error) => {
                log::error(&format!("Error reconfiguring the daemon: {error}"));
                return;
            }
        };
        let values = ReloadableValues {
            log_level: config.log_level,
            labels: config.labels,
        };
        log::set_level(values.log_level);
        let summary = serde_json::json!({
            "debug": values.log_level == LogLevel::Debug,
            "log-level": values.log_level.name(),
            "labels": values.labels,
        });
        *self.inner.write().unwrap_or_else(|e| e.into_inner()) = values;
        log::info(&format!("Reloaded configuration: {summary}"));
    }
}
