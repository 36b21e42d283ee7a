//! Docker's json-file log: one JSON object a line,
//! `{"log":"...","stream":"stdout","time":"RFC3339Nano"}`, with `max-size`
//! / `max-file` rotation (`x.log` is live, `x.log.1` the newest rotated).

use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    pub log: String,
    pub stream: String,
    pub time: String,
}

pub struct LogWriter {
    path: PathBuf,
    file: File,
    size: u64,
    max_size: u64,
    max_file: u32,
    /// A line without its newline yet, per stream (stdout, stderr).
    partial: [Vec<u8>; 2],
    /// The newest stamp written: no entry is stamped before it, so the
    /// file's order is the time order `--since`, `--until`, `--tail` and
    /// `-t` rely on, even when the wall clock steps back (NTP, settimeofday).
    last_stamp: SystemTime,
    /// The wall clock; tests step it back.
    clock: fn() -> SystemTime,
}

/// Docker cuts a line that never ends at this size.
const MAX_PARTIAL: usize = 16 * 1024;

impl LogWriter {
    pub fn open(path: &Path, max_size: u64, max_file: u32) -> io::Result<LogWriter> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| io::Error::new(e.kind(), format!("open {}: {e}", path.display())))?;
        let size = file.metadata()?.len();
        Ok(LogWriter {
            path: path.to_path_buf(),
            file,
            size,
            max_size,
            max_file: max_file.max(1),
            partial: [Vec::new(), Vec::new()],
            last_stamp: SystemTime::UNIX_EPOCH,
            clock: SystemTime::now,
        })
    }

    /// Logs `bytes` of stream 1 (stdout) or 2 (stderr), one entry per
    /// complete line; the rest waits for its newline or [`Self::flush`].
    pub fn write(&mut self, stream: u8, bytes: &[u8]) -> io::Result<()> {
        let index = usize::from(stream == 2);
        let mut pending = std::mem::take(&mut self.partial[index]);
        pending.extend_from_slice(bytes);
        let mut start = 0;
        while let Some(offset) = pending[start..].iter().position(|b| *b == b'\n') {
            let end = start + offset + 1;
            self.entry(stream, &pending[start..end])?;
            start = end;
        }
        let mut rest = pending.split_off(start);
        while rest.len() >= MAX_PARTIAL {
            let tail = rest.split_off(MAX_PARTIAL);
            self.entry(stream, &rest)?;
            rest = tail;
        }
        self.partial[index] = rest;
        Ok(())
    }

    /// Logs what is left of unfinished lines, at the container's exit.
    pub fn flush(&mut self) -> io::Result<()> {
        for (index, stream) in [(0, 1u8), (1, 2u8)] {
            let rest = std::mem::take(&mut self.partial[index]);
            if !rest.is_empty() {
                self.entry(stream, &rest)?;
            }
        }
        Ok(())
    }

    /// The stamp of the next entry: now, unless the clock stepped back
    /// behind the entry before it.
    fn next_stamp(&mut self) -> SystemTime {
        self.last_stamp = (self.clock)().max(self.last_stamp);
        self.last_stamp
    }

    fn entry(&mut self, stream: u8, text: &[u8]) -> io::Result<()> {
        let line = LogLine {
            log: String::from_utf8_lossy(text).into_owned(),
            stream: if stream == 2 { "stderr" } else { "stdout" }.to_string(),
            time: crate::gofmt::time::rfc3339_nano(self.next_stamp()),
        };
        let mut bytes = serde_json::to_vec(&line).map_err(io::Error::other)?;
        bytes.push(b'\n');
        if self.max_size > 0 && self.size > 0 && self.size + bytes.len() as u64 > self.max_size {
            self.rotate()?;
        }
        self.file.write_all(&bytes)?;
        self.size += bytes.len() as u64;
        Ok(())
    }

    fn rotate(&mut self) -> io::Result<()> {
        if self.max_file <= 1 {
            self.file.set_len(0)?;
            self.size = 0;
            return Ok(());
        }
        for n in (1..self.max_file - 1).rev() {
            let _ = std::fs::rename(numbered(&self.path, n), numbered(&self.path, n + 1));
        }
        std::fs::rename(&self.path, numbered(&self.path, 1))?;
        *self = LogWriter {
            partial: std::mem::take(&mut self.partial),
            last_stamp: self.last_stamp,
            clock: self.clock,
            ..LogWriter::open(&self.path, self.max_size, self.max_file)?
        };
        Ok(())
    }
}

fn numbered(path: &Path, n: u32) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

/// The log files of `path`, oldest first.
pub fn log_files(path: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = (1..1000)
        .map(|n| numbered(path, n))
        .take_while(|p| p.exists())
        .collect();
    files.reverse();
    files.push(path.to_path_buf());
    files
}

/// The entries of one log file; lines that do not parse (a torn last
/// line) are skipped.
pub fn read_lines(reader: impl BufRead) -> impl Iterator<Item = LogLine> {
    reader
        .lines()
        .map_while(Result::ok)
        .filter_map(|line| serde_json::from_str(&line).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(label: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("dockbox-jsonlog-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn entries(path: &Path) -> Vec<LogLine> {
        read_lines(io::BufReader::new(File::open(path).unwrap())).collect()
    }

    #[test]
    fn lines_are_split_and_partial_lines_wait() {
        let dir = temp("split");
        let path = dir.join("c-json.log");
        let mut log = LogWriter::open(&path, 0, 1).unwrap();
        log.write(1, b"one\ntw").unwrap();
        log.write(2, b"err\n").unwrap();
        log.write(1, b"o\nthree").unwrap();
        log.flush().unwrap();
        let got: Vec<(String, String)> = entries(&path)
            .into_iter()
            .map(|l| (l.log, l.stream))
            .collect();
        let want = [
            ("one\n", "stdout"),
            ("err\n", "stderr"),
            ("two\n", "stdout"),
            ("three", "stdout"),
        ];
        assert_eq!(
            got,
            want.map(|(a, b)| (a.to_string(), b.to_string())).to_vec()
        );
        let raw = std::fs::read_to_string(&path).unwrap();
        assert!(
            raw.starts_with("{\"log\":\"one\\n\",\"stream\":\"stdout\",\"time\":\"20"),
            "{raw}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// A wall clock that reads 10 s, then 5 s (stepped back), then 7 s.
    fn stepping_back_clock() -> SystemTime {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static CALLS: AtomicUsize = AtomicUsize::new(0);
        let seconds = [10, 5, 7, 12][CALLS.fetch_add(1, Ordering::SeqCst).min(3)];
        SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(seconds)
    }

    #[test]
    fn stamps_never_go_back_in_file_order_when_the_clock_does() {
        let dir = temp("stamps");
        let path = dir.join("c-json.log");
        let mut log = LogWriter::open(&path, 0, 1).unwrap();
        log.clock = stepping_back_clock;
        log.write(1, b"a\n").unwrap();
        log.write(2, b"b\n").unwrap();
        log.write(1, b"c\nd\n").unwrap();
        let stamps: Vec<String> = entries(&path).into_iter().map(|l| l.time).collect();
        assert_eq!(
            stamps,
            [
                "1970-01-01T00:00:10Z",
                "1970-01-01T00:00:10Z",
                "1970-01-01T00:00:10Z",
                "1970-01-01T00:00:12Z"
            ]
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn rotation_keeps_max_file_files() {
        let dir = temp("rotate");
        let path = dir.join("c-json.log");
        let mut log = LogWriter::open(&path, 200, 3).unwrap();
        for n in 0..20 {
            log.write(1, format!("line {n}\n").as_bytes()).unwrap();
        }
        let files = log_files(&path);
        assert_eq!(files.len(), 3, "{files:?}");
        assert!(!numbered(&path, 3).exists());
        let all: Vec<String> = files
            .iter()
            .flat_map(|f| entries(f))
            .map(|l| l.log)
            .collect();
        assert_eq!(all.last().unwrap(), "line 19\n");
        for file in &files {
            assert!(std::fs::metadata(file).unwrap().len() <= 200);
        }
        let numbers: Vec<u32> = all
            .iter()
            .map(|l| l.trim().strip_prefix("line ").unwrap().parse().unwrap())
            .collect();
        assert!(numbers.windows(2).all(|w| w[1] == w[0] + 1), "{numbers:?}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
