//! dockbox on a minimal host for real: Debian's kernel under qemu (TCG)
//! with an initramfs of busybox, the freshly built dockbox and a busybox
//! image. Its /init (vm_init.sh) starts dockerd and runs containers; the
//! results come back as `RESULT` lines on the serial console. The host
//! root there is the initramfs itself, where pivot_root is impossible.

use crate::harness::busybox::{BusyboxRootfs, host_busybox, write_docker_archive};
use crate::harness::{self, ProcessGuard, TempDir, need_command};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const INIT_SCRIPT: &str = include_str!("vm_init.sh");
const BOOT_TIMEOUT: Duration = Duration::from_secs(420);

/// What one boot looks like.
struct Variant {
    label: &'static str,
    cgroup: &'static str,
    data_root: &'static str,
    overlay: bool,
}

/// Debian's kernel from linux-image-amd64 and its overlay module.
struct Kernel {
    image: PathBuf,
    overlay_module: PathBuf,
}

fn find_kernel() -> Result<Kernel, String> {
    let mut versions: Vec<String> = std::fs::read_dir("/boot")
        .map_err(|e| format!("read /boot: {e}"))?
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            Some(name.strip_prefix("vmlinuz-")?.to_string())
        })
        .filter(|version| version.ends_with("-amd64"))
        .collect();
    versions.sort();
    let version = versions
        .pop()
        .ok_or("no /boot/vmlinuz-*-amd64 (apt-get install linux-image-amd64)")?;
    let overlay_module = PathBuf::from(format!(
        "/lib/modules/{version}/kernel/fs/overlayfs/overlay.ko"
    ));
    if !overlay_module.is_file() {
        return Err(format!("{} is missing", overlay_module.display()));
    }
    Ok(Kernel {
        image: PathBuf::from(format!("/boot/vmlinuz-{version}")),
        overlay_module,
    })
}

fn skip_unless_ready() -> Result<(PathBuf, Kernel), String> {
    harness::need_root()?;
    host_busybox()?;
    need_command("strip")?;
    let qemu = need_command("qemu-system-x86_64")
        .map_err(|e| format!("{e} (apt-get install qemu-system-x86)"))?;
    Ok((qemu, find_kernel()?))
}

/// A cpio archive in the kernel's `newc` format, written as it goes.
struct Cpio<W: Write> {
    out: W,
    inode: u32,
}

impl<W: Write> Cpio<W> {
    fn entry(&mut self, name: &str, mode: u32, rdev: (u32, u32), data: &[u8]) -> io::Result<()> {
        self.inode += 1;
        let fields = [
            self.inode,
            mode,
            0,
            0,
            1,
            0,
            data.len() as u32,
            0,
            0,
            rdev.0,
            rdev.1,
            name.len() as u32 + 1,
            0,
        ];
        let mut head = String::from("070701");
        for field in fields {
            head.push_str(&format!("{field:08x}"));
        }
        self.out.write_all(head.as_bytes())?;
        self.out.write_all(name.as_bytes())?;
        self.out.write_all(&[0])?;
        self.pad(head.len() + name.len() + 1)?;
        self.out.write_all(data)?;
        self.pad(data.len())
    }

    fn pad(&mut self, written: usize) -> io::Result<()> {
        self.out.write_all(&[0; 3][..(4 - written % 4) % 4])
    }

    fn directory(&mut self, name: &str) -> io::Result<()> {
        self.entry(name, 0o040755, (0, 0), &[])
    }

    fn file(&mut self, name: &str, mode: u32, source: &Path) -> io::Result<()> {
        self.entry(name, 0o100000 | mode, (0, 0), &std::fs::read(source)?)
    }

    fn finish(mut self) -> io::Result<()> {
        self.entry("TRAILER!!!", 0, (0, 0), &[])?;
        self.out.flush()
    }
}

/// The initramfs: busybox, a stripped copy of dockbox, /init, the
/// variant's settings, the overlay module and the image as `docker load`
/// takes it.
fn build_initramfs(dir: &Path, kernel: &Kernel, variant: &Variant) -> PathBuf {
    let stripped = dir.join("dockbox");
    let status = Command::new("strip")
        .arg("--strip-debug")
        .arg("-o")
        .arg(&stripped)
        .arg(harness::dockbox())
        .status()
        .unwrap();
    assert!(status.success(), "strip dockbox");
    let rootfs = BusyboxRootfs::build(&dir.join("image-rootfs")).unwrap();
    let image = dir.join("busybox.tar");
    write_docker_archive(&rootfs.path, "busybox:latest", &image).unwrap();
    let settings = dir.join("variant");
    std::fs::write(
        &settings,
        format!(
            "CGROUP={} DATA={} OVERLAY={}\n",
            variant.cgroup,
            variant.data_root,
            u8::from(variant.overlay)
        ),
    )
    .unwrap();
    let path = dir.join("initramfs.cpio");
    let out = io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut cpio = Cpio { out, inode: 0 };
    for name in ["bin", "dev", "proc", "sys", "run", "tmp", "var", "lib"] {
        cpio.directory(name).unwrap();
    }
    cpio.directory("lib/modules").unwrap();
    cpio.entry("dev/console", 0o020600, (5, 1), &[]).unwrap();
    cpio.file("bin/busybox", 0o755, &host_busybox().unwrap())
        .unwrap();
    cpio.entry("bin/sh", 0o120777, (0, 0), b"busybox").unwrap();
    cpio.file("bin/dockbox", 0o755, &stripped).unwrap();
    cpio.entry("init", 0o100755, (0, 0), INIT_SCRIPT.as_bytes())
        .unwrap();
    cpio.file("variant", 0o644, &settings).unwrap();
    if variant.overlay {
        cpio.file("lib/modules/overlay.ko", 0o644, &kernel.overlay_module)
            .unwrap();
    }
    cpio.file("busybox.tar", 0o644, &image).unwrap();
    cpio.finish().unwrap();
    path
}

/// Boots the VM and returns its serial console's text once it powered
/// off (or the timeout killed it).
fn boot(qemu: &Path, kernel: &Kernel, initramfs: &Path, variant: &Variant, dir: &Path) -> String {
    let console = dir.join("console.log");
    let mut append = String::from("console=ttyS0 panic=-1 quiet");
    if variant.cgroup == "v2" {
        append.push_str(" cgroup_no_v1=all");
    }
    let child = Command::new(qemu)
        .args(["-accel", "tcg", "-m", "1024", "-smp", "1", "-no-reboot"])
        .args(["-display", "none", "-monitor", "none", "-nic", "none"])
        .arg("-serial")
        .arg(format!("file:{}", console.display()))
        .arg("-kernel")
        .arg(&kernel.image)
        .arg("-initrd")
        .arg(initramfs)
        .arg("-append")
        .arg(&append)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start qemu");
    let mut guard = ProcessGuard::child(child);
    let deadline = Instant::now() + BOOT_TIMEOUT;
    let child = guard.child_mut().unwrap();
    let exited = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    drop(guard);
    let text = String::from_utf8_lossy(&std::fs::read(&console).unwrap_or_default()).into_owned();
    assert!(
        exited.is_some(),
        "the VM did not power off within {BOOT_TIMEOUT:?}; console:\n{text}"
    );
    text
}

fn run_variant(variant: Variant) {
    let (qemu, kernel) = match skip_unless_ready() {
        Ok(found) => found,
        Err(reason) => {
            harness::report_skip(module_path!(), &reason);
            return;
        }
    };
    let dir = TempDir::new(&format!("vm-{}", variant.label));
    let started = Instant::now();
    let initramfs = build_initramfs(dir.path(), &kernel, &variant);
    let console = boot(&qemu, &kernel, &initramfs, &variant, dir.path());
    let results: Vec<&str> = console
        .lines()
        .filter_map(|line| line.trim_end().strip_prefix("RESULT "))
        .collect();
    let failed: Vec<&&str> = results
        .iter()
        .filter(|result| result.split(' ').nth(1) != Some("ok"))
        .collect();
    for line in console.lines().filter(|l| l.starts_with("TIMING ")) {
        eprintln!("vm {}: {line}", variant.label);
    }
    if let Some(first) = console
        .lines()
        .find_map(|l| l.trim_end().strip_prefix("TIMING first-container "))
    {
        eprintln!(
            "vm {}: boot to first container {first} s (kernel uptime); whole test {:.1} s",
            variant.label,
            started.elapsed().as_secs_f64()
        );
    }
    assert!(
        failed.is_empty() && results.last() == Some(&"done ok"),
        "vm {}: failed {failed:#?}\nconsole:\n{console}",
        variant.label
    );
}

#[test]
fn vm_cgroup_v2_data_root_on_the_initramfs() {
    run_variant(Variant {
        label: "v2",
        cgroup: "v2",
        data_root: "initramfs",
        overlay: true,
    });
}

#[test]
fn vm_cgroup_v1_data_root_on_a_tmpfs() {
    run_variant(Variant {
        label: "v1",
        cgroup: "v1",
        data_root: "tmpfs",
        overlay: true,
    });
}

/// Without the overlay module the daemon falls back to copying (vfs).
#[test]
fn vm_without_overlayfs_copies_layers() {
    run_variant(Variant {
        label: "v2-vfs",
        cgroup: "v2",
        data_root: "initramfs",
        overlay: false,
    });
}
