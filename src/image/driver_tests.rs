use super::*;
use crate::image::store::LayerExtent;
use crate::image::test_util::{LayerTar, TestDir, require_root, skip};

fn two_layers(store: &ContentStore) -> Vec<Digest> {
    let mut lower = LayerTar::new();
    lower
        .file("etc/keep", b"keep", 0o644)
        .file("etc/gone", b"gone", 0o644)
        .file("opaque/old", b"old", 0o644)
        .symlink("var/run", "/run")
        .dir("run", 0o755);
    let mut upper = LayerTar::new();
    upper
        .file("etc/.wh.gone", b"", 0o644)
        .dir("opaque", 0o755)
        .file("opaque/.wh..wh..opq", b"", 0o644)
        .file("opaque/new", b"new", 0o644)
        .file("run/pid", b"1", 0o644);
    [lower, upper]
        .iter()
        .map(|tar| {
            store
                .put_layer(&tar.finish()[..], LayerExtent::WholeStream)
                .unwrap()
                .diff_id
        })
        .collect()
}

fn check_merged(rootfs: &Path) {
    assert_eq!(fs::read(rootfs.join("etc/keep")).unwrap(), b"keep");
    assert!(!rootfs.join("etc/gone").exists());
    assert!(!rootfs.join("opaque/old").exists());
    assert_eq!(fs::read(rootfs.join("opaque/new")).unwrap(), b"new");
    assert_eq!(fs::read(rootfs.join("run/pid")).unwrap(), b"1");
    assert_eq!(
        fs::read_link(rootfs.join("var/run")).unwrap(),
        Path::new("/run")
    );
}

fn mounted(path: &Path) -> bool {
    mounts_under(path)
        .unwrap()
        .iter()
        .any(|mount| mount == path)
}

#[test]
fn vfs_copies_layers_and_applies_whiteouts() {
    require_root!();
    let dir = TestDir::new("driver-vfs");
    let store = ContentStore::open(&dir.join("store")).unwrap();
    let driver = GraphDriver::open(dir.path(), Some(DriverKind::Vfs)).unwrap();
    let layers = two_layers(&store);
    let rootfs = driver.create_rootfs(&store, "c1", &layers).unwrap();
    check_merged(&rootfs);
    // keep, new, pid and the 4-byte var/run link: vfs counts its whole copy.
    assert_eq!(driver.changes_size("c1").unwrap(), 4 + 3 + 1 + 4);
    // Each container has its own copy.
    let other = driver.create_rootfs(&store, "c2", &layers).unwrap();
    fs::write(rootfs.join("etc/keep"), b"changed").unwrap();
    assert_eq!(fs::read(other.join("etc/keep")).unwrap(), b"keep");
    assert!(matches!(
        driver.create_rootfs(&store, "c1", &layers),
        Err(DriverError::Io { .. })
    ));
    driver.remove_rootfs("c1").unwrap();
    driver.remove_rootfs("c2").unwrap();
    driver.remove_rootfs("c2").unwrap();
    assert_eq!(fs::read_dir(dir.join("vfs/containers")).unwrap().count(), 0);
}

#[test]
fn removal_detaches_mounts_before_deleting() {
    let dir = TestDir::new("driver-bind");
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return skip(
            "removal_detaches_mounts_before_deleting",
            "needs root to bind mount",
        );
    }
    let store = ContentStore::open(&dir.join("store")).unwrap();
    let driver = GraphDriver::open(dir.path(), Some(DriverKind::Vfs)).unwrap();
    let rootfs = driver
        .create_rootfs(&store, "c", &two_layers(&store))
        .unwrap();
    let precious = dir.join("precious dir");
    fs::create_dir(&precious).unwrap();
    fs::write(precious.join("data"), b"keep me").unwrap();
    let target = rootfs.join("mnt with space");
    fs::create_dir(&target).unwrap();
    nix::mount::mount(
        Some(&precious),
        &target,
        None::<&str>,
        nix::mount::MsFlags::MS_BIND,
        None::<&str>,
    )
    .unwrap();
    let guard = MountGuard(target.clone());
    driver.remove_rootfs("c").unwrap();
    std::mem::forget(guard);
    assert!(!mounted(&target));
    assert!(!rootfs.exists());
    assert_eq!(fs::read(precious.join("data")).unwrap(), b"keep me");
}

#[test]
fn mountinfo_escapes_are_undone() {
    assert_eq!(unescape_mountinfo("/a\\040b\\011c\\134d"), "/a b\tc\\d");
    assert_eq!(unescape_mountinfo("/plain\\9"), "/plain\\9");
}

#[test]
fn container_ids_must_be_plain_names() {
    require_root!();
    let dir = TestDir::new("driver-ids");
    let store = ContentStore::open(&dir.join("store")).unwrap();
    let driver = GraphDriver::open(dir.path(), Some(DriverKind::Vfs)).unwrap();
    for bad in ["", "..", "a/b", "../../etc"] {
        assert!(matches!(
            driver.create_rootfs(&store, bad, &[]),
            Err(DriverError::InvalidId(_))
        ));
    }
    assert!(driver.create_rootfs(&store, "empty", &[]).unwrap().is_dir());
    driver.remove_rootfs("empty").unwrap();
}

fn overlay_or_skip(test: &str, dir: &TestDir) -> Option<GraphDriver> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        skip(test, "needs root to mount overlayfs");
        return None;
    }
    if let Err(reason) = overlay_supported(dir.path()) {
        skip(test, &reason);
        return None;
    }
    Some(GraphDriver::open(dir.path(), Some(DriverKind::Overlay)).unwrap())
}

#[test]
fn overlay_mounts_layers_under_an_upper_dir() {
    let dir = TestDir::new("driver-overlay");
    let Some(driver) = overlay_or_skip("overlay_mounts_layers_under_an_upper_dir", &dir) else {
        return;
    };
    assert_eq!(driver.kind(), DriverKind::Overlay);
    let store = ContentStore::open(&dir.join("store")).unwrap();
    let layers = two_layers(&store);
    let rootfs = driver.create_rootfs(&store, "c1", &layers).unwrap();
    let guard = MountGuard(rootfs.clone());
    assert!(mounted(&rootfs));
    check_merged(&rootfs);
    assert_eq!(driver.changes_size("c1").unwrap(), 0);
    let (key, backing) = &driver.status()[0];
    assert_eq!(key, "Backing Filesystem");
    assert_ne!(backing, "<unknown>");

    let data = driver.inspect_data(Some("c1"), &layers).unwrap();
    let lower = format!(
        "{}:{}",
        driver.diff_path(&layers[1]).display(),
        driver.diff_path(&layers[0]).display()
    );
    assert_eq!(data[0], ("LowerDir".to_string(), lower));
    assert_eq!(
        data[1],
        ("MergedDir".to_string(), rootfs.display().to_string())
    );
    let image_data = driver.inspect_data(None, &layers).unwrap();
    assert_eq!(
        image_data[1],
        (
            "UpperDir".to_string(),
            driver.diff_path(&layers[1]).display().to_string()
        )
    );
    fs::write(rootfs.join("etc/keep"), b"changed").unwrap();
    fs::remove_file(rootfs.join("opaque/new")).unwrap();
    fs::write(rootfs.join("big"), vec![1u8; 10_000]).unwrap();
    fs::hard_link(rootfs.join("big"), rootfs.join("big2")).unwrap();
    // "changed", the file and its link once, and a 0/0 whiteout device.
    assert_eq!(driver.changes_size("c1").unwrap(), 7 + 10_000);
    let diff = dir.join("overlay2/diff").join(layers[0].hex());
    assert_eq!(
        fs::read(diff.join("etc/keep")).unwrap(),
        b"keep",
        "lower changed"
    );
    assert_eq!(
        fs::read(dir.join("overlay2/containers/c1/upper/etc/keep")).unwrap(),
        b"changed"
    );
    // As after a reboot: mounting again keeps the container's changes.
    unmount(&rootfs).unwrap();
    assert!(!mounted(&rootfs));
    assert_eq!(driver.mount_rootfs(&store, "c1", &layers).unwrap(), rootfs);
    assert!(mounted(&rootfs));
    assert_eq!(fs::read(rootfs.join("etc/keep")).unwrap(), b"changed");
    assert!(!rootfs.join("opaque/new").exists());
    // Mounting what is mounted changes nothing.
    driver.mount_rootfs(&store, "c1", &layers).unwrap();
    assert_eq!(
        fs::read_to_string("/proc/self/mountinfo")
            .unwrap()
            .matches(&format!(" {} ", rootfs.display()))
            .count(),
        1
    );
    driver.remove_rootfs("c1").unwrap();
    assert!(!mounted(&rootfs));
    assert!(!dir.join("overlay2/containers/c1").exists());
    assert!(matches!(
        driver.mount_rootfs(&store, "c1", &layers),
        Err(DriverError::NoRootfs(_))
    ));
    std::mem::forget(guard);

    // An image without layers mounts over an empty lower directory.
    let bare = driver.create_rootfs(&store, "bare", &[]).unwrap();
    assert!(mounted(&bare));
    assert_eq!(fs::read_dir(&bare).unwrap().count(), 0);
    driver.remove_rootfs("bare").unwrap();
    assert!(!mounted(&bare));

    driver.remove_layer(&layers[1]).unwrap();
    assert!(!dir.join("overlay2/diff").join(layers[1].hex()).exists());
    assert_eq!(fs::read_dir(dir.join("overlay2/l")).unwrap().count(), 1);
}

#[test]
fn overlay_mounts_more_layers_than_absolute_paths_allow() {
    let dir = TestDir::new("driver-overlay-many");
    let Some(driver) =
        overlay_or_skip("overlay_mounts_more_layers_than_absolute_paths_allow", &dir)
    else {
        return;
    };
    let store = ContentStore::open(&dir.join("store")).unwrap();
    let layers: Vec<Digest> = (0..90)
        .map(|n| {
            let mut tar = LayerTar::new();
            tar.file(&format!("layer{n}"), n.to_string().as_bytes(), 0o644)
                .file("top", n.to_string().as_bytes(), 0o644);
            store
                .put_layer(&tar.finish()[..], LayerExtent::WholeStream)
                .unwrap()
                .diff_id
        })
        .collect();
    let lowers: Vec<PathBuf> = layers.iter().map(|d| driver.short_link(d)).collect();
    let upper = dir.join("overlay2/containers/many/upper");
    assert!(overlay_options(&lowers, &upper, &upper).len() > MOUNT_DATA_MAX);
    let rootfs = driver.create_rootfs(&store, "many", &layers).unwrap();
    let guard = MountGuard(rootfs.clone());
    assert_eq!(fs::read(rootfs.join("layer0")).unwrap(), b"0");
    assert_eq!(fs::read(rootfs.join("top")).unwrap(), b"89");
    driver.remove_rootfs("many").unwrap();
    assert!(!mounted(&rootfs));
    std::mem::forget(guard);
}

/// Unmounts if a test fails between mount and its own cleanup.
struct MountGuard(PathBuf);

impl Drop for MountGuard {
    fn drop(&mut self) {
        let _ = unmount(&self.0);
    }
}

#[test]
fn overlay_works_under_a_data_root_with_a_colon() {
    let dir = TestDir::new("driver-overlay:colon,comma");
    let Some(driver) = overlay_or_skip("overlay_works_under_a_data_root_with_a_colon", &dir) else {
        return;
    };
    let store = ContentStore::open(&dir.join("store")).unwrap();
    let layers = two_layers(&store);
    let rootfs = driver.create_rootfs(&store, "c", &layers).unwrap();
    let guard = MountGuard(rootfs.clone());
    check_merged(&rootfs);
    driver.remove_rootfs("c").unwrap();
    std::mem::forget(guard);
}
