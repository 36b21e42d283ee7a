//! Test helpers: temp dirs that clean up, and layer tars built entry by
//! entry with raw names, so tests can write what a hostile layer would.

use std::path::{Path, PathBuf};

pub struct TestDir {
    path: PathBuf,
}

impl TestDir {
    pub fn new(label: &str) -> TestDir {
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let unique = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("dockbox-{label}-{}-{unique}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TestDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn join(&self, relative: &str) -> PathBuf {
        self.path.join(relative)
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

struct Entry {
    name: String,
    kind: tar::EntryType,
    data: Vec<u8>,
    link: String,
    mode: u32,
    owner: (u64, u64),
    device: (u32, u32),
    mtime: u64,
    pax: Vec<(String, Vec<u8>)>,
}

#[derive(Default)]
pub struct LayerTar {
    entries: Vec<Entry>,
}

impl LayerTar {
    pub fn new() -> LayerTar {
        LayerTar::default()
    }

    fn push(
        &mut self,
        name: &str,
        kind: tar::EntryType,
        data: &[u8],
        link: &str,
        mode: u32,
    ) -> &mut Self {
        self.entries.push(Entry {
            name: name.to_string(),
            kind,
            data: data.to_vec(),
            link: link.to_string(),
            mode,
            owner: (0, 0),
            device: (0, 0),
            mtime: 1_700_000_000,
            pax: Vec::new(),
        });
        self
    }

    pub fn dir(&mut self, name: &str, mode: u32) -> &mut Self {
        self.push(name, tar::EntryType::Directory, b"", "", mode)
    }

    pub fn file(&mut self, name: &str, data: &[u8], mode: u32) -> &mut Self {
        self.push(name, tar::EntryType::Regular, data, "", mode)
    }

    pub fn file_with_xattr(
        &mut self,
        name: &str,
        data: &[u8],
        key: &str,
        value: &[u8],
    ) -> &mut Self {
        self.file(name, data, 0o644);
        self.pax(&format!("SCHILY.xattr.{key}"), value)
    }

    /// A PAX record for the last entry.
    pub fn pax(&mut self, key: &str, value: &[u8]) -> &mut Self {
        let last = self.entries.last_mut().unwrap();
        last.pax.push((key.to_string(), value.to_vec()));
        self
    }

    pub fn symlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.push(name, tar::EntryType::Symlink, b"", target, 0o777)
    }

    pub fn hardlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.push(name, tar::EntryType::Link, b"", target, 0o644)
    }

    pub fn device(
        &mut self,
        name: &str,
        kind: tar::EntryType,
        major: u32,
        minor: u32,
    ) -> &mut Self {
        self.push(name, kind, b"", "", 0o666);
        self.entries.last_mut().unwrap().device = (major, minor);
        self
    }

    /// Owner of the last entry.
    pub fn owned(&mut self, uid: u64, gid: u64) -> &mut Self {
        self.entries.last_mut().unwrap().owner = (uid, gid);
        self
    }

    /// The mtime of the (earlier) entry called `name`.
    pub fn dir_mtime(&mut self, name: &str, mtime: u64) -> &mut Self {
        for entry in self.entries.iter_mut().filter(|e| e.name == name) {
            entry.mtime = mtime;
        }
        self
    }

    pub fn finish(&self) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for entry in &self.entries {
            if !entry.pax.is_empty() {
                let mut records = Vec::new();
                for (key, value) in &entry.pax {
                    let body_len = key.len() + value.len() + 3;
                    let mut total = body_len + 1;
                    while format!("{total}").len() + body_len != total {
                        total += 1;
                    }
                    records.extend_from_slice(format!("{total} {key}=").as_bytes());
                    records.extend_from_slice(value);
                    records.push(b'\n');
                }
                let mut header = tar::Header::new_ustar();
                header.set_entry_type(tar::EntryType::XHeader);
                set_raw(&mut header, 0, 100, "PaxHeader");
                header.set_size(records.len() as u64);
                header.set_uid(0);
                header.set_gid(0);
                header.set_mode(0o644);
                header.set_mtime(0);
                header.set_cksum();
                builder.append(&header, &records[..]).unwrap();
            }
            let mut header = tar::Header::new_ustar();
            header.set_entry_type(entry.kind);
            set_raw(&mut header, 0, 100, &entry.name);
            set_raw(&mut header, 157, 100, &entry.link);
            header.set_mode(entry.mode);
            header.set_uid(entry.owner.0);
            header.set_gid(entry.owner.1);
            header.set_mtime(entry.mtime);
            header.set_device_major(entry.device.0).unwrap();
            header.set_device_minor(entry.device.1).unwrap();
            header.set_size(entry.data.len() as u64);
            header.set_cksum();
            builder.append(&header, &entry.data[..]).unwrap();
        }
        builder.into_inner().unwrap()
    }
}

/// Writes `text` into the header's bytes as is: the tar crate's setters
/// refuse `..`, which hostile-layer tests need.
fn set_raw(header: &mut tar::Header, offset: usize, length: usize, text: &str) {
    assert!(text.len() <= length, "test name too long: {text}");
    let bytes = &mut header.as_mut_bytes()[offset..offset + length];
    bytes.fill(0);
    bytes[..text.len()].copy_from_slice(text.as_bytes());
}

/// Says why a test does not run, past the test runner's output capture.
pub fn skip(test: &str, reason: &str) {
    use std::io::Write;
    // One write, so that libtest's output cannot land inside the line.
    let line = format!("skipped: {test}: {reason}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// A small busybox root filesystem, as the harness builds it but with a
/// few applets (hard links, and `sh` as a symlink), or None (with a loud skip) if busybox is missing.
pub fn busybox_rootfs(test: &str, dir: &Path) -> Option<()> {
    let Some(busybox) = ["/bin/busybox", "/usr/bin/busybox"]
        .iter()
        .map(Path::new)
        .find(|p| p.is_file())
    else {
        skip(test, "busybox is not installed");
        return None;
    };
    for sub in ["bin", "etc", "tmp", "var"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    std::fs::copy(busybox, dir.join("bin/busybox")).unwrap();
    std::os::unix::fs::symlink("busybox", dir.join("bin/sh")).unwrap();
    for applet in ["echo", "cat", "ls", "cut"] {
        std::fs::hard_link(dir.join("bin/busybox"), dir.join("bin").join(applet)).unwrap();
    }
    std::fs::write(dir.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n").unwrap();
    std::os::unix::fs::symlink("/run", dir.join("var/run")).unwrap();
    Some(())
}

/// An uncompressed tar of `dir` with relative names, written the way the
/// integration harness's write_rootfs_tar does: hard links stay links.
pub fn tar_of_dir(dir: &Path) -> Vec<u8> {
    use std::collections::HashMap;
    use std::os::unix::fs::MetadataExt;
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    let mut first_path: HashMap<(u64, u64), PathBuf> = HashMap::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(relative) = stack.pop() {
        let full = dir.join(&relative);
        let meta = std::fs::symlink_metadata(&full).unwrap();
        if meta.is_dir() {
            if !relative.as_os_str().is_empty() {
                builder.append_dir(&relative, &full).unwrap();
            }
            let mut children: Vec<PathBuf> = std::fs::read_dir(&full)
                .unwrap()
                .map(|entry| relative.join(entry.unwrap().file_name()))
                .collect();
            children.sort();
            stack.extend(children.into_iter().rev());
            continue;
        }
        if meta.is_file() && meta.nlink() > 1 {
            if let Some(target) = first_path.get(&(meta.dev(), meta.ino())) {
                let mut header = tar::Header::new_gnu();
                header.set_metadata(&meta);
                header.set_entry_type(tar::EntryType::Link);
                header.set_size(0);
                builder.append_link(&mut header, &relative, target).unwrap();
                continue;
            }
            first_path.insert((meta.dev(), meta.ino()), relative.clone());
        }
        builder.append_path_with_name(&full, &relative).unwrap();
    }
    builder.into_inner().unwrap()
}

/// A tar holding `files` (name, bytes) and `links` (name, target).
pub fn tar_of_files(files: &[(&str, &[u8])], links: &[(&str, &str)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, bytes) in files {
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        builder.append_data(&mut header, name, *bytes).unwrap();
    }
    for (name, target) in links {
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(tar::EntryType::Symlink);
        header.set_size(0);
        header.set_mode(0o777);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        builder.append_link(&mut header, name, target).unwrap();
    }
    builder.into_inner().unwrap()
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// A config JSON for `diff_ids` with a Cmd.
pub fn config_for(diff_ids: &[crate::image::Digest], cmd: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "created": "2026-01-01T00:00:00Z",
        "config": {"Env": ["PATH=/bin"], "Cmd": [cmd], "Healthcheck": {"Test": ["NONE"]}},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }))
    .unwrap()
}

/// Returns from the test, loudly, unless it runs as root: applying layers
/// chowns, makes device nodes and sets trusted xattrs.
macro_rules! require_root {
    () => {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            fn here() {}
            let test = std::any::type_name_of_val(&here).trim_end_matches("::here");
            $crate::image::test_util::skip(test, "needs root to apply layers");
            return;
        }
    };
}
pub(crate) use require_root;
