use super::*;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::PathBuf;

fn dir(label: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "dockbox-export-{label}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = fs::remove_dir_all(&path);
    fs::create_dir_all(&path).unwrap();
    path
}

/// (name, kind, link target) of each entry.
fn entries(tar: &[u8]) -> Vec<(String, tar::EntryType, String)> {
    let mut archive = tar::Archive::new(tar);
    archive
        .entries()
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let link = entry
                .link_name_bytes()
                .map(|l| String::from_utf8_lossy(&l).into_owned())
                .unwrap_or_default();
            (name, entry.header().entry_type(), link)
        })
        .collect()
}

#[test]
fn a_tree_is_written_in_name_order_with_links_kept_and_init_entries_added() {
    let root = dir("tree");
    fs::create_dir_all(root.join("etc")).unwrap();
    fs::write(root.join("etc/hosts"), "h").unwrap();
    fs::write(root.join("a"), "x").unwrap();
    fs::hard_link(root.join("a"), root.join("b")).unwrap();
    symlink("/", root.join("escape")).unwrap();
    let long_target = format!("/{}", "x/".repeat(80));
    symlink(&long_target, root.join("long")).unwrap();
    let mut out = Vec::new();
    export_tree(&root, &mut out).unwrap();
    let found = entries(&out);
    let names: Vec<&str> = found.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            ".dockerenv",
            "a",
            "b",
            "dev/",
            "dev/console",
            "dev/pts/",
            "dev/shm/",
            "escape",
            "etc/",
            "etc/hostname",
            "etc/hosts",
            "etc/mtab",
            "etc/resolv.conf",
            "long",
            "proc/",
            "sys/",
        ]
    );
    let kind = |name: &str| found.iter().find(|(n, _, _)| n == name).unwrap().clone();
    assert_eq!(kind("b").1, tar::EntryType::Link);
    assert_eq!(kind("b").2, "a");
    assert_eq!(kind("escape").1, tar::EntryType::Symlink);
    assert_eq!(kind("escape").2, "/");
    assert_eq!(kind("etc/mtab").2, "/proc/mounts");
    assert_eq!(kind("long").2, long_target);
    let _ = fs::remove_dir_all(&root);
}

#[test]
fn changes_become_a_layer_with_whiteouts() {
    let root = dir("changes");
    fs::create_dir_all(root.join("etc")).unwrap();
    fs::write(root.join("etc/passwd"), "root").unwrap();
    let changes = [
        Change {
            path: "/etc".into(),
            kind: ChangeKind::Modify,
        },
        Change {
            path: "/etc/group".into(),
            kind: ChangeKind::Delete,
        },
        Change {
            path: "/etc/passwd".into(),
            kind: ChangeKind::Modify,
        },
    ];
    let mut out = Vec::new();
    assert_eq!(export_changes(&root, &changes, &mut out).unwrap(), 3);
    let names: Vec<String> = entries(&out).into_iter().map(|(n, _, _)| n).collect();
    assert_eq!(names, ["etc/", "etc/.wh.group", "etc/passwd"]);
    let _ = fs::remove_dir_all(&root);
}

#[test]
fn only_regular_files_are_read() {
    let root = dir("fifo");
    let fifo = std::ffi::CString::new(root.join("pipe").as_os_str().as_bytes()).unwrap();
    // SAFETY: the path is NUL-terminated.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    let dir_fd = open_root(&root).unwrap();
    let error = open_regular(dir_fd.as_fd(), c"pipe").unwrap_err();
    assert!(
        error.to_string().contains("changed from a regular file"),
        "{error}"
    );
    let _ = fs::remove_dir_all(&root);
}
