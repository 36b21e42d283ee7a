//! The busybox fixture itself: proves the bundle, the rootfs tar and the
//! docker-archive are sound before later tests depend on them.

use crate::harness::busybox::{Bundle, write_docker_archive, write_rootfs_tar};
use crate::harness::netns::in_new_netns;
use crate::harness::{self, TempDir, run, stderr_of, stdout_of};
use crate::require;
use std::process::Command;

#[test]
fn busybox_bundle_runs_true_under_unshare_and_chroot() {
    require!(harness::need_root());
    require!(harness::need_command("unshare").map(|_| ()));
    require!(harness::need_command("chroot").map(|_| ()));
    let dir = TempDir::new("fixture");
    let bundle = match Bundle::build(dir.path(), &["/bin/busybox", "true"]) {
        Ok(bundle) => bundle,
        Err(reason) => {
            harness::report_skip("fixture", &reason);
            return;
        }
    };
    let rootfs = &bundle.rootfs.path;
    let output = run(in_new_netns(
        Command::new("unshare")
            .args(["--mount", "--uts", "--ipc", "--pid", "--fork", "chroot"])
            .arg(rootfs)
            .args(["/bin/busybox", "true"]),
    ));
    assert!(output.status.success(), "{}", stderr_of(&output));

    // The applet links work, and the network namespace holds only lo.
    let output = run(in_new_netns(
        Command::new("unshare")
            .args(["--mount", "--pid", "--fork", "chroot"])
            .arg(rootfs)
            .args(["/bin/sh", "-c", "echo hello; cat /etc/passwd | head -n 1"]),
    ));
    assert_eq!(
        stdout_of(&output),
        "hello\nroot:x:0:0:root:/root:/bin/sh\n",
        "{output:?}"
    );
    let output = run(in_new_netns(&mut Command::new("cat")).arg("/proc/net/dev"));
    let interfaces: Vec<String> = stdout_of(&output)
        .lines()
        .skip(2)
        .filter_map(|line| line.split(':').next().map(|name| name.trim().to_string()))
        .collect();
    assert_eq!(interfaces, ["lo"]);

    let config = bundle.read_config();
    assert_eq!(config["process"]["args"][1], "true");
    assert_eq!(config["root"]["path"], "rootfs");
}

#[test]
fn rootfs_tar_and_docker_archive_are_well_formed() {
    require!(harness::busybox::host_busybox().map(|_| ()));
    let dir = TempDir::new("archives");
    let bundle = Bundle::build(&dir.join("bundle"), &["sh"]).unwrap();

    let mut tar_bytes = Vec::new();
    write_rootfs_tar(&bundle.rootfs.path, &mut tar_bytes).unwrap();
    let busybox_size = std::fs::metadata(bundle.rootfs.path.join("bin/busybox"))
        .unwrap()
        .len();
    assert!(
        (tar_bytes.len() as u64) < busybox_size * 2,
        "hard links were stored as copies: {} bytes",
        tar_bytes.len()
    );
    let mut archive = tar::Archive::new(tar_bytes.as_slice());
    let mut regular_files = Vec::new();
    let mut sh_target = None;
    for entry in archive.entries().unwrap() {
        let entry = entry.unwrap();
        let path = entry.path().unwrap().into_owned();
        assert!(path.is_relative(), "{path:?}");
        match entry.header().entry_type() {
            tar::EntryType::Regular => regular_files.push(path),
            tar::EntryType::Link if path.as_os_str() == "bin/sh" => {
                sh_target = Some(entry.link_name().unwrap().unwrap().into_owned());
            }
            _ => {}
        }
    }
    let sh_target = sh_target.expect("bin/sh is a hard link");
    assert!(
        regular_files.contains(&sh_target),
        "{sh_target:?} comes before bin/sh"
    );

    let archive_path = dir.join("busybox.tar");
    let image_id =
        write_docker_archive(&bundle.rootfs.path, "busybox:latest", &archive_path).unwrap();
    assert!(image_id.starts_with("sha256:") && image_id.len() == 71);
    let file = std::fs::File::open(&archive_path).unwrap();
    let mut names = Vec::new();
    let mut manifest = None;
    for entry in tar::Archive::new(file).entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().display().to_string();
        if name == "manifest.json" {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut entry, &mut text).unwrap();
            manifest = Some(serde_json::from_str::<serde_json::Value>(&text).unwrap());
        }
        names.push(name);
    }
    let manifest = manifest.expect("manifest.json");
    assert_eq!(manifest[0]["RepoTags"][0], "busybox:latest");
    let config_name = manifest[0]["Config"].as_str().unwrap();
    assert_eq!(
        format!("sha256:{}", config_name.trim_end_matches(".json")),
        image_id
    );
    assert!(names.iter().any(|n| n == config_name));
    assert!(names.iter().any(|n| n.ends_with("/layer.tar")));
}
