//! Test images from Debian's static busybox: a rootfs directory, an OCI
//! bundle around it, a plain rootfs tar (`docker import`) and a
//! docker-archive tar (`docker load`).

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

pub const DEFAULT_PATH_ENV: &str =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Debian's static busybox (package `busybox-static`), or why it is unusable.
pub fn host_busybox() -> Result<PathBuf, String> {
    let path = ["/bin/busybox", "/usr/bin/busybox"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .ok_or("busybox is not installed (apt-get install busybox-static)")?;
    match super::elf_interpreter(&path) {
        Ok(None) => Ok(path),
        Ok(Some(interp)) => Err(format!(
            "{} is dynamically linked ({interp}); install busybox-static",
            path.display()
        )),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// A busybox root filesystem: the binary once, a hard link per applet at the
/// path busybox itself lists, and the few files in /etc that tools expect.
pub struct BusyboxRootfs {
    pub path: PathBuf,
}

impl BusyboxRootfs {
    pub fn build(path: &Path) -> Result<BusyboxRootfs, String> {
        let busybox = host_busybox()?;
        let io_err = |what: &str, p: &Path, e: io::Error| format!("{what} {}: {e}", p.display());
        for dir in [
            "bin", "sbin", "usr/bin", "usr/sbin", "etc", "dev", "proc", "sys", "root", "var", "run",
        ] {
            let dir_path = path.join(dir);
            fs::create_dir_all(&dir_path).map_err(|e| io_err("mkdir", &dir_path, e))?;
        }
        let tmp = path.join("tmp");
        fs::create_dir_all(&tmp).map_err(|e| io_err("mkdir", &tmp, e))?;
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o1777))
            .map_err(|e| io_err("chmod", &tmp, e))?;

        let binary = path.join("bin/busybox");
        fs::copy(&busybox, &binary).map_err(|e| io_err("copy busybox to", &binary, e))?;
        let listing = Command::new(&busybox)
            .arg("--list-full")
            .output()
            .map_err(|e| format!("busybox --list-full: {e}"))?;
        for relative in String::from_utf8_lossy(&listing.stdout).lines() {
            let link = path.join(relative.trim_start_matches('/'));
            if link != binary && !link.exists() {
                fs::hard_link(&binary, &link).map_err(|e| io_err("link", &link, e))?;
            }
        }
        let files = [
            (
                "etc/passwd",
                "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
            ),
            ("etc/group", "root:x:0:\ntty:x:5:\nnogroup:x:65534:\n"),
            (
                "etc/hosts",
                "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n",
            ),
            ("etc/resolv.conf", ""),
        ];
        for (relative, content) in files {
            let file = path.join(relative);
            fs::write(&file, content).map_err(|e| io_err("write", &file, e))?;
        }
        Ok(BusyboxRootfs {
            path: path.to_path_buf(),
        })
    }
}

/// An OCI bundle: `config.json` beside a busybox `rootfs/`.
pub struct Bundle {
    pub dir: PathBuf,
    pub rootfs: BusyboxRootfs,
}

impl Bundle {
    /// Builds a bundle in `dir` that runs `args`, with runc's default spec.
    pub fn build(dir: &Path, args: &[&str]) -> Result<Bundle, String> {
        let rootfs = BusyboxRootfs::build(&dir.join("rootfs"))?;
        let bundle = Bundle {
            dir: dir.to_path_buf(),
            rootfs,
        };
        bundle.write_config(&default_spec(args))?;
        Ok(bundle)
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.join("config.json")
    }

    pub fn read_config(&self) -> Value {
        let text = fs::read_to_string(self.config_path()).expect("read config.json");
        serde_json::from_str(&text).expect("parse config.json")
    }

    pub fn write_config(&self, spec: &Value) -> Result<(), String> {
        let text = serde_json::to_string_pretty(spec).map_err(|e| e.to_string())?;
        fs::write(self.config_path(), text).map_err(|e| format!("write config.json: {e}"))
    }

    /// Edits config.json in place.
    pub fn edit_config(&self, edit: impl FnOnce(&mut Value)) {
        let mut spec = self.read_config();
        edit(&mut spec);
        self.write_config(&spec).expect("write config.json");
    }
}

/// The spec `runc spec` writes, without a terminal, running `args`.
pub fn default_spec(args: &[&str]) -> Value {
    let caps = json!(["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]);
    json!({
        "ociVersion": "1.0.2-dev",
        "process": {
            "terminal": false,
            "user": {"uid": 0, "gid": 0},
            "args": args,
            "env": [DEFAULT_PATH_ENV, "TERM=xterm"],
            "cwd": "/",
            "capabilities": {
                "bounding": caps, "effective": caps, "permitted": caps, "ambient": caps
            },
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": true
        },
        "root": {"path": "rootfs", "readonly": true},
        "hostname": "runc",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
             "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
             "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}
        ],
        "linux": {
            "resources": {"devices": [{"allow": false, "access": "rwm"}]},
            "namespaces": [
                {"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}
            ],
            "maskedPaths": [
                "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"
            ],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
        }
    })
}

/// Writes `rootfs` as an uncompressed tar with relative names. Hard links
/// stay links, so the 400 busybox names cost one copy of the binary.
pub fn write_rootfs_tar(rootfs: &Path, out: impl Write) -> io::Result<()> {
    let mut builder = tar::Builder::new(out);
    builder.follow_symlinks(false);
    let mut first_path_of_inode: HashMap<(u64, u64), PathBuf> = HashMap::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(relative) = stack.pop() {
        let full = rootfs.join(&relative);
        let meta = fs::symlink_metadata(&full)?;
        if meta.is_dir() {
            if !relative.as_os_str().is_empty() {
                builder.append_dir(&relative, &full)?;
            }
            let mut children: Vec<PathBuf> = fs::read_dir(&full)?
                .map(|entry| entry.map(|e| relative.join(e.file_name())))
                .collect::<io::Result<_>>()?;
            children.sort();
            stack.extend(children.into_iter().rev());
            continue;
        }
        if meta.is_file() && meta.nlink() > 1 {
            if let Some(target) = first_path_of_inode.get(&(meta.dev(), meta.ino())) {
                let mut header = tar::Header::new_gnu();
                header.set_metadata(&meta);
                header.set_entry_type(tar::EntryType::Link);
                header.set_size(0);
                builder.append_link(&mut header, &relative, target)?;
                continue;
            }
            first_path_of_inode.insert((meta.dev(), meta.ino()), relative.clone());
        }
        builder.append_path_with_name(&full, &relative)?;
    }
    builder.into_inner()?.flush()
}

/// The hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Writes a docker-archive (what `docker save` writes and `docker load`
/// reads) of a one-layer image of `rootfs`, tagged `repo_tag`. Returns the
/// image ID (`sha256:` + the hash of the config).
pub fn write_docker_archive(rootfs: &Path, repo_tag: &str, out: &Path) -> io::Result<String> {
    let ids = write_docker_archive_images(rootfs, &[(repo_tag.to_string(), json!({}))], out)?;
    Ok(ids.into_iter().next().expect("one image"))
}

/// A docker-archive of several images that share one layer of `rootfs`:
/// each is tagged with its repo:tag and gets the keys of its JSON object
/// (`{"WorkingDir": "/w"}`, say) in its config. Returns their image IDs.
pub fn write_docker_archive_images(
    rootfs: &Path,
    images: &[(String, Value)],
    out: &Path,
) -> io::Result<Vec<String>> {
    let mut layer = Vec::new();
    write_rootfs_tar(rootfs, &mut layer)?;
    let layer_hex = sha256_hex(&layer);
    let mut builder = tar::Builder::new(fs::File::create(out)?);
    let mut add = |name: &str, bytes: &[u8]| -> io::Result<()> {
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(1_767_225_600);
        header.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut header, name, bytes)
    };
    add(&format!("{layer_hex}/VERSION"), b"1.0")?;
    add(&format!("{layer_hex}/layer.tar"), &layer)?;
    let mut manifest = Vec::new();
    let mut repositories = serde_json::Map::new();
    let mut ids = Vec::new();
    for (repo_tag, extra) in images {
        let mut image_config = json!({"Env": [DEFAULT_PATH_ENV], "Cmd": ["sh"]});
        for (key, value) in extra.as_object().into_iter().flatten() {
            image_config[key] = value.clone();
        }
        let config = json!({
            "architecture": "amd64",
            "os": "linux",
            "created": "2026-01-01T00:00:00Z",
            "config": image_config,
            "rootfs": {"type": "layers", "diff_ids": [format!("sha256:{layer_hex}")]},
            "history": [{"created": "2026-01-01T00:00:00Z", "created_by": "dockbox test harness"}]
        });
        let config_bytes = serde_json::to_vec(&config)?;
        let config_hex = sha256_hex(&config_bytes);
        let (repo, tag) = repo_tag.rsplit_once(':').unwrap_or((repo_tag, "latest"));
        manifest.push(json!({
            "Config": format!("{config_hex}.json"),
            "RepoTags": [format!("{repo}:{tag}")],
            "Layers": [format!("{layer_hex}/layer.tar")]
        }));
        let tags = repositories
            .entry(repo.to_string())
            .or_insert_with(|| json!({}));
        tags[tag] = json!(layer_hex);
        add(&format!("{config_hex}.json"), &config_bytes)?;
        ids.push(format!("sha256:{config_hex}"));
    }
    add("manifest.json", &serde_json::to_vec(&manifest)?)?;
    add("repositories", &serde_json::to_vec(&repositories)?)?;
    builder.into_inner()?.flush()?;
    Ok(ids)
}
