//! The daemon's log on stderr, in logrus's text format as dockerd writes it:
//! `time="..." level=info msg="..."`.

use super::config::LogLevel;
use std::sync::atomic::{AtomicU8, Ordering};

static LEVEL: AtomicU8 = AtomicU8::new(LogLevel::Info as u8);

pub fn set_level(level: LogLevel) {
    LEVEL.store(level as u8, Ordering::Relaxed);
}

pub fn enabled(level: LogLevel) -> bool {
    level as u8 >= LEVEL.load(Ordering::Relaxed)
}

pub fn log(level: LogLevel, message: &str) {
    if !enabled(level) {
        return;
    }
    let time = crate::gofmt::time::rfc3339_nano_fixed(std::time::SystemTime::now());
    let line = format!(
        "time=\"{time}\" level={} msg={}\n",
        level.name(),
        serde_json::to_string(message).unwrap_or_default()
    );
    use std::io::Write;
    let _ = std::io::stderr().write_all(line.as_bytes());
}

pub fn debug(message: &str) {
    log(LogLevel::Debug, message);
}

pub fn info(message: &str) {
    log(LogLevel::Info, message);
}

pub fn warn(message: &str) {
    log(LogLevel::Warn, message);
}

pub fn error(message: &str) {
    log(LogLevel::Error, message);
}
