use super::*;
use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};

fn dir(label: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "dockbox-changes-{label}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = fs::remove_dir_all(&path);
    fs::create_dir_all(&path).unwrap();
    path
}

fn shown(found: &[Change]) -> Vec<String> {
    let letter = |kind| match kind {
        ChangeKind::Modify => 'C',
        ChangeKind::Add => 'A',
        ChangeKind::Delete => 'D',
    };
    found
        .iter()
        .map(|c| format!("{} {}", letter(c.kind), c.path.display()))
        .collect()
}

/// The same file in both trees, same times: no change.
fn copy_with_times(from: &Path, to: &Path) {
    fs::copy(from, to).unwrap();
    let modified = fs::metadata(from).unwrap().modified().unwrap();
    fs::File::options()
        .write(true)
        .open(to)
        .unwrap()
        .set_modified(modified)
        .unwrap();
}

#[test]
fn full_trees_compare_as_moby_naive_diff_does() {
    let root = dir("full");
    let (old, new) = (root.join("old"), root.join("new"));
    for tree in [&old, &new] {
        fs::create_dir_all(tree.join("etc")).unwrap();
        fs::create_dir_all(tree.join("usr/sbin")).unwrap();
        fs::create_dir_all(tree.join("same")).unwrap();
    }
    fs::write(old.join("etc/passwd"), "root\n").unwrap();
    fs::write(old.join("etc/group"), "root\n").unwrap();
    fs::write(old.join("same/file"), "x").unwrap();
    copy_with_times(&old.join("same/file"), &new.join("same/file"));
    fs::write(new.join("etc/passwd"), "root\nx\n").unwrap();
    fs::remove_dir_all(new.join("usr/sbin")).unwrap();
    fs::create_dir_all(new.join("newdir/sub")).unwrap();
    fs::write(new.join("newdir/sub/file"), "hi").unwrap();
    symlink("/etc/passwd", new.join("link")).unwrap();
    let found = changes(&new, &[old], Compare::Full).unwrap();
    assert_eq!(
        shown(&found),
        [
            "C /etc",
            "D /etc/group",
            "C /etc/passwd",
            "A /link",
            "A /newdir",
            "A /newdir/sub",
            "A /newdir/sub/file",
            "C /usr",
            "D /usr/sbin",
        ]
    );
    let _ = fs::remove_dir_all(&root);
}

#[test]
fn an_upper_directory_counts_whiteouts_and_leaves_the_rest_unchanged() {
    let root = dir("overlay");
    let (lower, upper) = (root.join("lower"), root.join("upper"));
    fs::create_dir_all(lower.join("etc")).unwrap();
    fs::create_dir_all(lower.join("bin")).unwrap();
    fs::write(lower.join("etc/group"), "root\n").unwrap();
    fs::write(lower.join("etc/passwd"), "root\n").unwrap();
    fs::write(lower.join("bin/sh"), "sh").unwrap();
    fs::create_dir_all(upper.join("etc")).unwrap();
    let whiteout = std::ffi::CString::new(upper.join("etc/group").as_os_str().as_bytes()).unwrap();
    // SAFETY: the path is NUL-terminated.
    let made = unsafe { libc::mknod(whiteout.as_ptr(), libc::S_IFCHR | 0o600, 0) };
    if made != 0 {
        crate::test_skip::report("mknod of a whiteout needs CAP_MKNOD");
        return;
    }
    fs::write(upper.join("new"), "n").unwrap();
    fs::set_permissions(upper.join("new"), fs::Permissions::from_mode(0o600)).unwrap();
    let found = changes(&upper, std::slice::from_ref(&lower), Compare::Overlay).unwrap();
    assert_eq!(shown(&found), ["C /etc", "D /etc/group", "A /new"]);
    // A directory the container made in place of a file holds only additions.
    fs::create_dir_all(upper.join("bin/sh/inner")).unwrap();
    let found = changes(&upper, &[lower], Compare::Overlay).unwrap();
    assert!(
        shown(&found).contains(&"C /bin/sh".to_string()),
        "{found:?}"
    );
    assert!(
        shown(&found).contains(&"A /bin/sh/inner".to_string()),
        "{found:?}"
    );
    let _ = fs::remove_dir_all(&root);
}

#[test]
fn a_symlinked_directory_in_the_container_is_not_followed() {
    let root = dir("symlink");
    let (lower, upper, outside) = (root.join("lower"), root.join("upper"), root.join("outside"));
    fs::create_dir_all(&lower).unwrap();
    fs::create_dir_all(outside.join("secret")).unwrap();
    fs::write(outside.join("secret/key"), "k").unwrap();
    fs::create_dir_all(&upper).unwrap();
    symlink(&outside, upper.join("escape")).unwrap();
    let found = changes(&upper, &[lower], Compare::Overlay).unwrap();
    assert_eq!(shown(&found), ["A /escape"]);
    let _ = fs::remove_dir_all(&root);
}
