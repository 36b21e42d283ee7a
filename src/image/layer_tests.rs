use super::*;
use crate::image::test_util::{LayerTar, TestDir, require_root};
use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};

fn xattr(path: &Path, key: &str) -> Option<Vec<u8>> {
    let parent = Root::open(path.parent().unwrap()).unwrap();
    let name = at::c_name(path.file_name().unwrap()).unwrap();
    at::get_xattr(parent.fd(), &name, key).unwrap()
}

#[test]
fn applies_every_entry_kind() {
    require_root!();
    let dir = TestDir::new("layer-kinds");
    let mut layer = LayerTar::new();
    layer
        .dir("bin", 0o755)
        .file("bin/tool", b"#!/bin/sh\n", 0o4755)
        .owned(1000, 1001)
        .dir("tmp", 0o1777)
        .symlink("bin/sh", "tool")
        .hardlink("bin/tool2", "bin/tool")
        .device("dev/null", tar::EntryType::Char, 1, 3)
        .device("dev/loop0", tar::EntryType::Block, 7, 0)
        .device("run/fifo", tar::EntryType::Fifo, 0, 0)
        .file_with_xattr("etc/attr", b"x", "user.note", b"hello")
        .dir_mtime("bin", 1_000_000);
    let size = apply_layer(dir.path(), &layer.finish()[..], Whiteouts::Apply).unwrap();
    assert_eq!(size, 10 + 1);

    let tool = fs::metadata(dir.join("bin/tool")).unwrap();
    assert_eq!(tool.permissions().mode() & 0o7777, 0o4755);
    assert_eq!((tool.uid(), tool.gid()), (1000, 1001));
    assert_eq!(tool.mtime(), 1_700_000_000);
    assert_eq!(
        fs::read_link(dir.join("bin/sh")).unwrap(),
        Path::new("tool")
    );
    assert_eq!(
        fs::metadata(dir.join("bin/tool2")).unwrap().ino(),
        tool.ino()
    );
    assert_eq!(
        fs::metadata(dir.join("tmp")).unwrap().permissions().mode() & 0o7777,
        0o1777
    );
    let null = fs::symlink_metadata(dir.join("dev/null")).unwrap();
    assert!(null.file_type().is_char_device());
    assert_eq!(null.rdev(), libc::makedev(1, 3));
    assert!(
        fs::symlink_metadata(dir.join("dev/loop0"))
            .unwrap()
            .file_type()
            .is_block_device()
    );
    assert!(
        fs::symlink_metadata(dir.join("run/fifo"))
            .unwrap()
            .file_type()
            .is_fifo()
    );
    assert_eq!(
        xattr(&dir.join("etc/attr"), "user.note").as_deref(),
        Some(&b"hello"[..])
    );
    // Set after bin/tool and the links were written into it.
    assert_eq!(fs::metadata(dir.join("bin")).unwrap().mtime(), 1_000_000);
}

#[test]
fn symlinked_directories_resolve_inside_the_layer() {
    require_root!();
    // The case that breaks tar's unpack_in: var/run -> /run, then a file
    // below var/run must land in the layer's /run, not the host's.
    let dir = TestDir::new("layer-varrun");
    let mut layer = LayerTar::new();
    layer
        .dir("run", 0o755)
        .dir("var", 0o755)
        .symlink("var/run", "/run")
        .file("var/run/dockbox-test.pid", b"1", 0o644);
    apply_layer(dir.path(), &layer.finish()[..], Whiteouts::Apply).unwrap();
    assert!(dir.join("run/dockbox-test.pid").is_file());
    assert!(!Path::new("/run/dockbox-test.pid").exists());
}

#[test]
fn dot_dot_entries_are_refused() {
    require_root!();
    let dir = TestDir::new("layer-dotdot");
    let target = dir.join("root");
    fs::create_dir(&target).unwrap();
    for name in ["../escaped", "a/../../escaped", "/../escaped"] {
        let mut layer = LayerTar::new();
        layer.file(name, b"x", 0o644);
        let error = apply_layer(&target, &layer.finish()[..], Whiteouts::Apply).unwrap_err();
        assert!(
            matches!(error, LayerError::Breakout { .. }),
            "{name}: {error}"
        );
        assert!(!dir.join("escaped").exists(), "{name} escaped");
    }
    // `..` that stays inside is plain path arithmetic.
    let mut layer = LayerTar::new();
    layer.file("a/../inside", b"x", 0o644);
    apply_layer(&target, &layer.finish()[..], Whiteouts::Apply).unwrap();
    assert!(target.join("inside").is_file());
}

#[test]
fn absolute_names_count_from_the_root() {
    require_root!();
    let dir = TestDir::new("layer-absolute");
    let mut layer = LayerTar::new();
    layer.file("/etc/dockbox-absolute", b"x", 0o644);
    apply_layer(dir.path(), &layer.finish()[..], Whiteouts::Apply).unwrap();
    assert!(dir.join("etc/dockbox-absolute").is_file());
    assert!(!Path::new("/etc/dockbox-absolute").exists());
}

#[test]
fn symlinked_parents_stay_inside() {
    require_root!();
    let outside = TestDir::new("layer-outside");
    let dir = TestDir::new("layer-symparent");
    let mut layer = LayerTar::new();
    let outside_text = outside.path().to_str().unwrap().to_string();
    layer
        .symlink("escape", &outside_text)
        .file("escape/file", b"x", 0o644)
        .symlink("up", "../../../../../..")
        .file("up/file2", b"x", 0o644);
    apply_layer(dir.path(), &layer.finish()[..], Whiteouts::Apply).unwrap();
    assert_eq!(
        fs::read_dir(outside.path()).unwrap().count(),
        0,
        "wrote outside"
    );
    assert!(
        dir.join(outside_text.trim_start_matches('/'))
            .join("file")
            .is_file()
    );
    assert!(dir.join("file2").is_file());
}

#[test]
fn hard_links_cannot_reach_outside() {
    require_root!();
    let outside = TestDir::new("layer-link-outside");
    fs::write(outside.join("secret"), b"host").unwrap();
    let dir = TestDir::new("layer-hardlink");
    let target = dir.join("root");
    fs::create_dir(&target).unwrap();
    fs::write(dir.join("secret"), b"host").unwrap();

    let mut layer = LayerTar::new();
    layer.hardlink("stolen", "../secret");
    let error = apply_layer(&target, &layer.finish()[..], Whiteouts::Apply).unwrap_err();
    assert!(matches!(error, LayerError::Breakout { .. }), "{error}");

    // Absolute and symlinked targets resolve inside the root, where the
    // host file does not exist.
    let secret = outside.join("secret");
    let mut layer = LayerTar::new();
    layer.hardlink("stolen", secret.to_str().unwrap());
    let error = apply_layer(&target, &layer.finish()[..], Whiteouts::Apply).unwrap_err();
    assert!(matches!(error, LayerError::InvalidEntry { .. }), "{error}");
    let mut layer = LayerTar::new();
    layer
        .symlink("hostdir", outside.path().to_str().unwrap())
        .hardlink("stolen", "hostdir/secret");
    assert!(apply_layer(&target, &layer.finish()[..], Whiteouts::Apply).is_err());
    assert!(!target.join("stolen").exists());
    assert_eq!(fs::metadata(&secret).unwrap().nlink(), 1);
}

fn lower_content(dir: &Path) {
    let mut lower = LayerTar::new();
    lower
        .file("etc/keep", b"k", 0o644)
        .file("etc/gone", b"g", 0o644)
        .file("opaque/old/deep", b"o", 0o644)
        .file("opaque/old2", b"o", 0o644);
    apply_layer(dir, &lower.finish()[..], Whiteouts::Apply).unwrap();
}

fn whiteout_layer() -> Vec<u8> {
    let mut upper = LayerTar::new();
    upper
        .file("etc/.wh.gone", b"", 0o644)
        .dir("opaque", 0o755)
        .file("opaque/new", b"n", 0o644)
        .file("opaque/.wh..wh..opq", b"", 0o644)
        .file("missing/.wh.nothing", b"", 0o644);
    upper.finish()
}

#[test]
fn whiteouts_delete_from_lower_content() {
    require_root!();
    let dir = TestDir::new("layer-wh-apply");
    lower_content(dir.path());
    apply_layer(dir.path(), &whiteout_layer()[..], Whiteouts::Apply).unwrap();
    assert!(dir.join("etc/keep").is_file());
    assert!(!dir.join("etc/gone").exists());
    assert!(!dir.join("etc/.wh.gone").exists());
    assert!(
        dir.join("opaque/new").is_file(),
        "opaque kept this layer's file"
    );
    assert!(!dir.join("opaque/old").exists());
    assert!(!dir.join("opaque/old2").exists());
    assert!(!dir.join("opaque/.wh..wh..opq").exists());
    assert!(!dir.join("missing").exists());
}

#[test]
fn whiteouts_become_overlay_markers() {
    require_root!();
    let dir = TestDir::new("layer-wh-overlay");
    apply_layer(dir.path(), &whiteout_layer()[..], Whiteouts::Overlay).unwrap();
    let gone = fs::symlink_metadata(dir.join("etc/gone")).unwrap();
    assert!(gone.file_type().is_char_device());
    assert_eq!(gone.rdev(), 0);
    assert!(dir.join("opaque/new").is_file());
    assert_eq!(
        xattr(&dir.join("opaque"), OVERLAY_OPAQUE_XATTR).as_deref(),
        Some(&b"y"[..])
    );
    assert!(
        fs::symlink_metadata(dir.join("missing/nothing"))
            .unwrap()
            .file_type()
            .is_char_device()
    );
    assert!(!dir.join("etc/.wh.gone").exists());
}

#[test]
fn later_entries_replace_earlier_ones() {
    require_root!();
    let dir = TestDir::new("layer-replace");
    lower_content(dir.path());
    let mut layer = LayerTar::new();
    layer
        .file("opaque", b"now a file", 0o600)
        .dir("etc/keep", 0o700)
        .symlink("etc/gone", "keep");
    apply_layer(dir.path(), &layer.finish()[..], Whiteouts::Apply).unwrap();
    assert_eq!(fs::read(dir.join("opaque")).unwrap(), b"now a file");
    assert!(fs::symlink_metadata(dir.join("etc/keep")).unwrap().is_dir());
    assert!(
        fs::symlink_metadata(dir.join("etc/gone"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn garbage_is_an_error() {
    let dir = TestDir::new("layer-garbage");
    let garbage = vec![0x55u8; 1024];
    assert!(apply_layer(dir.path(), &garbage[..], Whiteouts::Apply).is_err());
}

#[test]
fn archive_spooling_keeps_whiteout_names_and_drops_devices() {
    require_root!();
    let dir = TestDir::new("layer-spool");
    let mut layer = LayerTar::new();
    layer
        .file("a/.wh.b", b"plain", 0o644)
        .device("disk", tar::EntryType::Block, 8, 0)
        .device("pipe", tar::EntryType::Fifo, 0, 0);
    apply_layer(dir.path(), &layer.finish()[..], Whiteouts::Ignore).unwrap();
    assert_eq!(fs::read(dir.join("a/.wh.b")).unwrap(), b"plain");
    assert!(fs::symlink_metadata(dir.join("disk")).is_err());
    assert!(fs::symlink_metadata(dir.join("pipe")).is_err());
}

#[test]
fn long_names_and_link_targets_survive() {
    require_root!();
    let dir = TestDir::new("layer-long");
    let deep = format!("{}/file", ["directory-with-a-long-name"; 8].join("/"));
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(4);
    header.set_mode(0o644);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    builder
        .append_data(&mut header, &deep, &b"deep"[..])
        .unwrap();
    let mut link = tar::Header::new_gnu();
    link.set_entry_type(tar::EntryType::Symlink);
    link.set_size(0);
    link.set_mode(0o777);
    link.set_uid(0);
    link.set_gid(0);
    link.set_mtime(0);
    builder.append_link(&mut link, "shortcut", &deep).unwrap();
    let layer = builder.into_inner().unwrap();
    assert!(deep.len() > 200);
    apply_layer(dir.path(), &layer[..], Whiteouts::Apply).unwrap();
    assert_eq!(fs::read(dir.join(&deep)).unwrap(), b"deep");
    assert_eq!(
        fs::read_link(dir.join("shortcut")).unwrap(),
        Path::new(&deep)
    );
}

#[test]
fn pax_records_override_the_header() {
    require_root!();
    let dir = TestDir::new("layer-pax");
    let mut layer = LayerTar::new();
    layer
        .file("big-ids", b"x", 0o640)
        .pax("uid", b"3000000")
        .pax("gid", b"3000001")
        .pax("mtime", b"1234567890.123456789")
        .dir(".", 0o711)
        .owned(7, 8);
    apply_layer(dir.path(), &layer.finish()[..], Whiteouts::Apply).unwrap();
    let meta = fs::metadata(dir.join("big-ids")).unwrap();
    assert_eq!(
        (meta.uid(), meta.gid(), meta.mtime()),
        (3_000_000, 3_000_001, 1_234_567_890)
    );
    let root = fs::metadata(dir.path()).unwrap();
    assert_eq!((root.uid(), root.gid()), (7, 8));
    assert_eq!(root.permissions().mode() & 0o7777, 0o711);

    let mut bad = LayerTar::new();
    bad.file("x", b"x", 0o644).pax("uid", b"lots");
    assert!(apply_layer(dir.path(), &bad.finish()[..], Whiteouts::Apply).is_err());
}

/// Go's archive/tar reads blank numeric fields as 0, and Docker loads
/// archives written that way; so do we.
#[test]
fn blank_owner_fields_read_as_root() {
    require_root!();
    let dir = TestDir::new("layer-blank-ids");
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_ustar();
    header.set_size(2);
    header.set_mode(0o644);
    header.set_entry_type(tar::EntryType::Regular);
    builder.append_data(&mut header, "f", &b"hi"[..]).unwrap();
    let bytes = builder.into_inner().unwrap();
    assert!(
        tar::Archive::new(&bytes[..])
            .entries()
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .header()
            .uid()
            .is_err()
    );
    apply_layer(dir.path(), &bytes[..], Whiteouts::Apply).unwrap();
    let meta = fs::metadata(dir.join("f")).unwrap();
    assert_eq!((meta.uid(), meta.gid(), meta.len()), (0, 0, 2));
}

/// A layer with `name` and the directories above it, beside a lower
/// layer's content; the layer dir sits in a parent that holds a sibling,
/// as overlay2/diff holds every image's layers.
fn hostile_whiteout_leaves_everything(mode: Whiteouts, name: &str) {
    let parent = TestDir::new("layer-wh-hostile");
    let sibling = parent.join("other-layer");
    fs::create_dir(&sibling).unwrap();
    fs::write(sibling.join("keep"), b"other image").unwrap();
    let target = parent.join("layer");
    fs::create_dir(&target).unwrap();
    let mut lower = LayerTar::new();
    lower.file("a/b/keep", b"k", 0o644).file("top", b"t", 0o644);
    apply_layer(&target, &lower.finish()[..], Whiteouts::Apply).unwrap();

    let mut layer = LayerTar::new();
    layer.file(name, b"", 0o644);
    let error = apply_layer(&target, &layer.finish()[..], mode).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("whiteout must name an entry inside its directory"),
        "{name}: {error}"
    );
    assert!(
        sibling.join("keep").is_file(),
        "{name} ({mode:?}) deleted a sibling"
    );
    assert!(
        target.join("top").is_file(),
        "{name} ({mode:?}) emptied the layer"
    );
    assert!(target.join("a/b/keep").is_file(), "{name} ({mode:?})");
}

#[test]
fn whiteouts_of_the_root_or_above_are_refused() {
    require_root!();
    for mode in [Whiteouts::Apply, Whiteouts::Overlay] {
        for dir in ["", "a/", "a/b/", "./a/b/"] {
            for whiteout in [".wh.", ".wh..", ".wh..."] {
                hostile_whiteout_leaves_everything(mode, &format!("{dir}{whiteout}"));
            }
        }
    }
}

#[test]
fn whiteout_names_are_parsed_once() {
    fn parse(name: &str) -> Result<Option<Whiteout<'_>>> {
        Whiteout::parse(OsStr::new(name), name.as_bytes())
    }
    assert_eq!(parse(".wh..wh..opq").unwrap(), Some(Whiteout::Opaque));
    assert_eq!(parse(".wh..wh.plnk").unwrap(), Some(Whiteout::AufsMeta));
    assert_eq!(
        parse(".wh.gone").unwrap(),
        Some(Whiteout::Hide(OsStr::new("gone")))
    );
    assert_eq!(
        parse(".wh....").unwrap(),
        Some(Whiteout::Hide(OsStr::new("...")))
    );
    assert_eq!(parse("plain").unwrap(), None);
    for hostile in [".wh.", ".wh..", ".wh..."] {
        assert!(parse(hostile).is_err(), "{hostile}");
    }
}

/// A fifo as GNU tar writes it: GNU magic, device fields left all NUL.
fn gnu_tar_fifo(name: &str) -> Vec<u8> {
    let mut header = tar::Header::new_gnu();
    header.set_path(name).unwrap();
    header.set_entry_type(tar::EntryType::Fifo);
    header.set_mode(0o644);
    header.set_size(0);
    header.set_mtime(1_700_000_000);
    let gnu = header.as_gnu_mut().unwrap();
    gnu.dev_major = [0; 8];
    gnu.dev_minor = [0; 8];
    header.set_cksum();
    let mut builder = tar::Builder::new(Vec::new());
    builder.append(&header, io::empty()).unwrap();
    builder.into_inner().unwrap()
}

#[test]
fn fifos_with_blank_device_fields_are_created() {
    require_root!();
    for mode in [Whiteouts::Apply, Whiteouts::Overlay] {
        let dir = TestDir::new("layer-gnu-fifo");
        apply_layer(dir.path(), &gnu_tar_fifo("ff")[..], mode).unwrap();
        let fifo = fs::symlink_metadata(dir.join("ff")).unwrap();
        assert!(fifo.file_type().is_fifo());
        assert_eq!(fifo.permissions().mode() & 0o7777, 0o644);
    }
}
