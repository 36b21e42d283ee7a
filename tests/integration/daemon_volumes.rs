//! Volumes of the `local` driver through our daemon with the real Docker
//! CLI 28: `volume create|ls|inspect|rm|prune` with their filters and
//! formats, named volumes in `-v name:/path` and `--mount type=volume`,
//! anonymous volumes and their removal by `rm -v` and `run --rm`, the
//! `Mounts` of inspect, and data that outlives its container, a daemon
//! restart and a daemon SIGKILL.

use crate::daemon_run::{Leftovers, daemon_with_busybox, inspect, ok, skip_unless_ready};
use crate::daemon_support::TestDaemon;
use crate::harness::busybox::{BusyboxRootfs, write_docker_archive};
use crate::harness::{stderr_of, stdout_of};
use crate::require;

fn lines(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort();
    lines
}

#[test]
fn volume_commands_create_list_filter_inspect_remove_and_prune() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("volumes-cli");
    let _leftovers = Leftovers::of(&daemon);
    let created = daemon.docker(&["volume", "create", "--label", "tier=db", "pgdata"]);
    assert_eq!(ok(&daemon, &created), "pgdata\n");
    ok(&daemon, &daemon.docker(&["volume", "create", "cache"]));
    let table = ok(&daemon, &daemon.docker(&["volume", "ls"]));
    assert_eq!(
        table,
        "DRIVER    VOLUME NAME\nlocal     cache\nlocal     pgdata\n"
    );
    let by_label = daemon.docker(&["volume", "ls", "-q", "--filter", "label=tier=db"]);
    assert_eq!(ok(&daemon, &by_label), "pgdata\n");
    let by_name = daemon.docker(&["volume", "ls", "-q", "--filter", "name=ach"]);
    assert_eq!(ok(&daemon, &by_name), "cache\n");
    let mountpoint = daemon.dir.join("data/volumes/pgdata/_data");
    assert!(mountpoint.is_dir());
    let shown = inspect_volume(&daemon, "pgdata");
    assert_eq!(shown["Name"], "pgdata");
    assert_eq!(shown["Driver"], "local");
    assert_eq!(shown["Scope"], "local");
    assert_eq!(shown["Labels"], serde_json::json!({"tier": "db"}));
    assert_eq!(shown["Options"], serde_json::Value::Null);
    assert_eq!(shown["Mountpoint"], mountpoint.to_string_lossy().as_ref());
    assert!(shown["CreatedAt"].as_str().unwrap().ends_with('Z'));
    let formatted = daemon.docker(&["volume", "inspect", "-f", "{{.Name}} {{.Driver}}", "cache"]);
    assert_eq!(ok(&daemon, &formatted), "cache local\n");

    let missing = daemon.docker(&["volume", "inspect", "nope"]);
    assert!(!missing.status.success());
    assert!(
        stderr_of(&missing).contains("no such volume"),
        "{}",
        stderr_of(&missing)
    );
    let bad = daemon.docker(&["volume", "create", "a/b"]);
    assert!(!bad.status.success());
    assert!(stderr_of(&bad).contains("includes invalid characters"));

    // A named volume in use: dangling=false lists it and rm refuses it.
    ok(
        &daemon,
        &daemon.docker(&["create", "--name", "user", "-v", "pgdata:/data", "busybox"]),
    );
    let used = daemon.docker(&["volume", "ls", "-q", "--filter", "dangling=false"]);
    assert_eq!(ok(&daemon, &used), "pgdata\n");
    let dangling = daemon.docker(&["volume", "ls", "-q", "--filter", "dangling=true"]);
    assert_eq!(ok(&daemon, &dangling), "cache\n");
    let refused = daemon.docker(&["volume", "rm", "pgdata"]);
    assert!(!refused.status.success());
    assert!(
        stderr_of(&refused).contains("remove pgdata: volume is in use"),
        "{}",
        stderr_of(&refused)
    );
    assert!(mountpoint.is_dir());
    let status = daemon
        .connect()
        .request("DELETE", "/v1.50/volumes/pgdata", "");
    assert_eq!(status.status, 409);

    // API 1.42+: a plain prune spares named volumes, --all takes the
    // unused ones.
    let pruned = daemon.docker(&["volume", "prune", "-f"]);
    assert!(ok(&daemon, &pruned).contains("Total reclaimed space: 0B"));
    assert_eq!(
        lines(&ok(&daemon, &daemon.docker(&["volume", "ls", "-q"]))),
        ["cache", "pgdata"]
    );
    let pruned = ok(&daemon, &daemon.docker(&["volume", "prune", "-f", "--all"]));
    assert!(pruned.contains("cache"), "{pruned}");
    assert!(!pruned.contains("pgdata"), "{pruned}");
    ok(&daemon, &daemon.docker(&["rm", "user"]));
    assert_eq!(
        ok(&daemon, &daemon.docker(&["volume", "rm", "pgdata"])),
        "pgdata\n"
    );
    assert!(!daemon.dir.join("data/volumes/pgdata").exists());
    assert_eq!(ok(&daemon, &daemon.docker(&["volume", "ls", "-q"])), "");
    let forced = daemon.docker(&["volume", "rm", "-f", "pgdata"]);
    assert!(forced.status.success(), "{}", stderr_of(&forced));
}

fn inspect_volume(daemon: &TestDaemon, name: &str) -> serde_json::Value {
    let text = ok(daemon, &daemon.docker(&["volume", "inspect", name]));
    let list: serde_json::Value = serde_json::from_str(&text).unwrap();
    list[0].clone()
}

fn mounts_of(daemon: &TestDaemon, container: &str) -> serde_json::Value {
    serde_json::from_str(&inspect(daemon, container, "{{json .Mounts}}")).unwrap()
}

#[test]
fn named_volume_data_survives_rm_restart_and_sigkill() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("volumes-keep");
    let _leftovers = Leftovers::of(&daemon);
    let write = "echo kept > /data/file";
    ok(
        &daemon,
        &daemon.docker(&[
            "run",
            "--name",
            "wr",
            "-v",
            "keep:/data",
            "busybox",
            "sh",
            "-c",
            write,
        ]),
    );
    let mounts = mounts_of(&daemon, "wr");
    let source = daemon.dir.join("data/volumes/keep/_data");
    assert_eq!(
        mounts,
        serde_json::json!([{
            "Type": "volume", "Name": "keep",
            "Source": source.to_string_lossy(),
            "Destination": "/data", "Driver": "local", "Mode": "z",
            "RW": true, "Propagation": ""
        }])
    );
    // system df: the volume's size and its one user.
    let df = daemon.connect().get("/system/df?type=volume").json();
    assert_eq!(
        (
            &df["Volumes"][0]["Name"],
            &df["Volumes"][0]["UsageData"]["Size"],
            &df["Volumes"][0]["UsageData"]["RefCount"]
        ),
        (
            &serde_json::json!("keep"),
            &serde_json::json!(5),
            &serde_json::json!(1)
        )
    );
    ok(&daemon, &daemon.docker(&["rm", "-v", "wr"]));
    let read = [
        "run",
        "--rm",
        "-v",
        "keep:/data:ro",
        "busybox",
        "cat",
        "/data/file",
    ];
    assert_eq!(ok(&daemon, &daemon.docker(&read)), "kept\n");
    // TestDaemon's guard kills with SIGKILL.
    let daemon = TestDaemon::start_in(daemon);
    assert_eq!(ok(&daemon, &daemon.docker(&read)), "kept\n");
    let mount = [
        "run",
        "--rm",
        "--mount",
        "type=volume,src=keep,dst=/m,readonly",
        "busybox",
        "cat",
        "/m/file",
    ];
    assert_eq!(ok(&daemon, &daemon.docker(&mount)), "kept\n");
    let readonly = daemon.docker(&[
        "run",
        "--rm",
        "-v",
        "keep:/data:ro",
        "busybox",
        "touch",
        "/data/x",
    ]);
    assert!(!readonly.status.success(), "{}", stdout_of(&readonly));
    assert_eq!(
        ok(&daemon, &daemon.docker(&["volume", "ls", "-q"])),
        "keep\n"
    );
}

#[test]
fn anonymous_volumes_go_with_rm_v_and_run_rm() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("volumes-anon");
    let _leftovers = Leftovers::of(&daemon);
    ok(
        &daemon,
        &daemon.docker(&[
            "run", "--name", "an", "-v", "/anon", "busybox", "touch", "/anon/f",
        ]),
    );
    let mounts = mounts_of(&daemon, "an");
    let name = mounts[0]["Name"].as_str().unwrap().to_string();
    assert_eq!(name.len(), 64, "{mounts}");
    let source = daemon.dir.join("data/volumes").join(&name).join("_data");
    assert_eq!(
        mounts,
        serde_json::json!([{
            "Type": "volume", "Name": name,
            "Source": source.to_string_lossy(),
            "Destination": "/anon", "Driver": "local", "Mode": "",
            "RW": true, "Propagation": ""
        }])
    );
    assert!(source.join("f").exists());
    let labels = ok(
        &daemon,
        &daemon.docker(&["volume", "inspect", "-f", "{{json .Labels}}", &name]),
    );
    assert_eq!(labels, "{\"com.docker.volume.anonymous\":\"\"}\n");
    assert_eq!(
        ok(&daemon, &daemon.docker(&["volume", "ls", "-q"])),
        format!("{name}\n")
    );
    // A plain prune (API 1.42+) takes unused anonymous volumes only.
    ok(&daemon, &daemon.docker(&["volume", "create", "named"]));
    ok(&daemon, &daemon.docker(&["rm", "-v", "an"]));
    assert!(!source.exists());
    ok(
        &daemon,
        &daemon.docker(&[
            "run",
            "--rm",
            "-v",
            "/x",
            "--mount",
            "type=volume,dst=/y",
            "busybox",
            "true",
        ]),
    );
    ok(
        &daemon,
        &daemon.docker(&["create", "--name", "bb", "-v", "/kept", "busybox"]),
    );
    ok(&daemon, &daemon.docker(&["rm", "bb"]));
    let left = ok(&daemon, &daemon.docker(&["volume", "ls", "-q"]));
    assert_eq!(left.lines().count(), 2, "{left}");
    let pruned = ok(&daemon, &daemon.docker(&["volume", "prune", "-f"]));
    assert!(!pruned.contains("named"), "{pruned}");
    assert_eq!(
        ok(&daemon, &daemon.docker(&["volume", "ls", "-q"])),
        "named\n"
    );
}

/// An image whose `/srv/data` (1234:5678, 0750) holds `file` (0640) and a
/// `sub` directory, and whose `/srv/escape` is a symlink climbing out
/// with `..` to `/srv/data`, loaded as `owned:latest`.
fn load_owned_image(daemon: &TestDaemon) {
    use std::os::unix::fs::{PermissionsExt, chown, symlink};
    let rootfs = BusyboxRootfs::build(&daemon.dir.join("owned-src")).unwrap();
    let data = rootfs.path.join("srv/data");
    std::fs::create_dir_all(data.join("sub")).unwrap();
    std::fs::write(data.join("file"), "from image\n").unwrap();
    for (path, mode) in [(&data, 0o750), (&data.join("file"), 0o640)] {
        chown(path, Some(1234), Some(5678)).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    symlink("../../../../../../srv/data", rootfs.path.join("srv/escape")).unwrap();
    let archive = daemon.dir.join("owned.tar");
    write_docker_archive(&rootfs.path, "owned:latest", &archive).unwrap();
    std::fs::remove_dir_all(&rootfs.path).unwrap();
    ok(
        daemon,
        &daemon.docker(&["load", "-q", "-i", &archive.to_string_lossy()]),
    );
    std::fs::remove_file(&archive).unwrap();
}

#[test]
fn empty_volumes_are_filled_from_the_image_with_owners_and_modes() {
    use std::os::unix::fs::MetadataExt;
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("volumes-fill");
    let _leftovers = Leftovers::of(&daemon);
    load_owned_image(&daemon);
    let stat = "stat -c '%u:%g %a %n' /srv/data /srv/data/file; cat /srv/data/file";
    let filled = daemon.docker(&[
        "run",
        "--rm",
        "-v",
        "filled:/srv/data",
        "owned",
        "sh",
        "-c",
        stat,
    ]);
    assert_eq!(
        ok(&daemon, &filled),
        "1234:5678 750 /srv/data\n1234:5678 640 /srv/data/file\nfrom image\n"
    );
    let on_host = daemon.dir.join("data/volumes/filled/_data");
    let meta = std::fs::metadata(&on_host).unwrap();
    assert_eq!(
        (meta.uid(), meta.gid(), meta.mode() & 0o7777),
        (1234, 5678, 0o750)
    );
    assert!(on_host.join("sub").is_dir());
    // A volume that holds something is not filled again.
    let emptied = "rm /srv/data/file";
    ok(
        &daemon,
        &daemon.docker(&[
            "run",
            "--rm",
            "-v",
            "filled:/srv/data",
            "owned",
            "sh",
            "-c",
            emptied,
        ]),
    );
    let again = daemon.docker(&[
        "run",
        "--rm",
        "-v",
        "filled:/srv/data",
        "owned",
        "ls",
        "/srv/data",
    ]);
    assert_eq!(ok(&daemon, &again), "sub\n");
    // nocopy and volume-nocopy leave it empty.
    let bare = daemon.docker(&[
        "run",
        "--rm",
        "-v",
        "bare:/srv/data:nocopy",
        "owned",
        "ls",
        "-A",
        "/srv/data",
    ]);
    assert_eq!(ok(&daemon, &bare), "");
    let mount = "type=volume,src=bare2,dst=/srv/data,volume-nocopy";
    let bare = daemon.docker(&[
        "run",
        "--rm",
        "--mount",
        mount,
        "owned",
        "ls",
        "-A",
        "/srv/data",
    ]);
    assert_eq!(ok(&daemon, &bare), "");
    // Anonymous volumes are filled too, and a symlinked destination is
    // followed inside the container's root only.
    let anonymous = daemon.docker(&[
        "run",
        "--rm",
        "-v",
        "/srv/data",
        "owned",
        "cat",
        "/srv/data/file",
    ]);
    assert_eq!(ok(&daemon, &anonymous), "from image\n");
    ok(
        &daemon,
        &daemon.docker(&["run", "--rm", "-v", "escape:/srv/escape", "owned", "true"]),
    );
    let escaped = daemon.dir.join("data/volumes/escape/_data");
    assert_eq!(
        std::fs::read_to_string(escaped.join("file")).unwrap(),
        "from image\n"
    );
}

/// The checks of docker-py's `api_volume` and `models_volumes` tests, run
/// with docker-py against our daemon.
#[test]
fn docker_py_volume_api_and_models() {
    use crate::harness::{TempDir, need_root};
    require!(need_root());
    let probe =
        crate::harness::run(std::process::Command::new("python3").args(["-c", "import docker"]));
    require!(if probe.status.success() {
        Ok(())
    } else {
        Err("docker-py is not importable".to_string())
    });
    let daemon = TestDaemon::start_in_dir(TempDir::new("volumes-py"));
    let script = format!(
        "import docker\n\
         c = docker.DockerClient(base_url='{host}')\n\
         api = c.api\n\
         made = api.create_volume('perfectcherryblossom')\n\
         print(made['Name'], made['Driver'])\n\
         try:\n    api.create_volume('x2', 'this-plugin-does-not-exist')\n\
         except docker.errors.APIError as e:\n    print('bad driver', e.response.status_code)\n\
         print(made in api.volumes()['Volumes'], api.inspect_volume('perfectcherryblossom') == made)\n\
         try:\n    api.inspect_volume('embodimentofscarletdevil')\n\
         except docker.errors.NotFound:\n    print('inspect missing: NotFound')\n\
         api.remove_volume('perfectcherryblossom')\n\
         api.create_volume('shootthebullet')\n\
         api.remove_volume('shootthebullet', force=True)\n\
         try:\n    api.remove_volume('shootthebullet')\n\
         except docker.errors.NotFound:\n    print('remove missing: NotFound')\n\
         v = api.create_volume()\n\
         print(v['Labels'])\n\
         print(v['Name'] in api.prune_volumes()['VolumesDeleted'])\n\
         m = c.volumes.create('dockerpytest_1', driver='local', labels={{'labelkey': 'labelvalue'}})\n\
         print(m.id, m.name, m.attrs['Labels'], c.volumes.get(m.id).name)\n\
         print(m in c.volumes.list(), m in c.volumes.list(filters={{'name': 'dockerpytest_'}}), m in c.volumes.list(filters={{'name': 'foobar'}}))\n\
         m.remove()\n\
         print(m in c.volumes.list())\n",
        host = daemon.host(),
    );
    let output = crate::harness::run(std::process::Command::new("python3").args(["-c", &script]));
    assert!(
        output.status.success(),
        "{}\n{}",
        stderr_of(&output),
        daemon.log()
    );
    assert_eq!(
        stdout_of(&output),
        "perfectcherryblossom local\n\
         bad driver 404\n\
         True True\n\
         inspect missing: NotFound\n\
         remove missing: NotFound\n\
         {'com.docker.volume.anonymous': ''}\n\
         True\n\
         dockerpytest_1 dockerpytest_1 {'labelkey': 'labelvalue'} dockerpytest_1\n\
         True True False\n\
         False\n"
    );
}

/// Before API 1.42 a prune takes every unused volume, named ones too; from
/// 1.42 only anonymous ones unless `all=true`.
#[test]
fn prune_by_api_version() {
    use crate::harness::{TempDir, need_root};
    require!(need_root());
    let daemon = TestDaemon::start_in_dir(TempDir::new("volumes-prune-api"));
    let create = |body: &str| {
        let answer = daemon.connect().request("POST", "/volumes/create", body);
        assert_eq!(answer.status, 201, "{}", answer.body_text());
        answer.json()["Name"].as_str().unwrap().to_string()
    };
    let named = create(r#"{"Name":"named"}"#);
    let anonymous = create("{}");
    let pruned = daemon.connect().request("POST", "/v1.50/volumes/prune", "");
    assert_eq!(
        pruned.json()["VolumesDeleted"],
        serde_json::json!([anonymous])
    );
    let pruned = daemon.connect().request("POST", "/v1.41/volumes/prune", "");
    assert_eq!(pruned.json()["VolumesDeleted"], serde_json::json!([named]));
    create(r#"{"Name":"again"}"#);
    let all = "/v1.50/volumes/prune?filters=%7B%22all%22%3A%5B%22true%22%5D%7D";
    let pruned = daemon.connect().request("POST", all, "");
    assert_eq!(
        pruned.json()["VolumesDeleted"],
        serde_json::json!(["again"])
    );
}

#[test]
fn volumes_from_shares_another_containers_volumes() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("volumes-from");
    let _leftovers = Leftovers::of(&daemon);
    let write = "echo shared > /anon/f && echo named > /nv/f";
    ok(
        &daemon,
        &daemon.docker(&[
            "run", "--name", "src", "-v", "/anon", "-v", "nv:/nv", "busybox", "sh", "-c", write,
        ]),
    );
    let read = daemon.docker(&[
        "run",
        "--rm",
        "--volumes-from",
        "src",
        "busybox",
        "cat",
        "/anon/f",
        "/nv/f",
    ]);
    assert_eq!(ok(&daemon, &read), "shared\nnamed\n");
    let readonly = daemon.docker(&[
        "run",
        "--rm",
        "--volumes-from",
        "src:ro",
        "busybox",
        "touch",
        "/nv/x",
    ]);
    assert!(!readonly.status.success());
    // A 404 (the CLI would take it for a missing image and try a pull).
    let body = r#"{"Image":"busybox","HostConfig":{"VolumesFrom":["nosuch"]}}"#;
    let missing = daemon.connect().request("POST", "/containers/create", body);
    assert_eq!(missing.status, 404, "{}", missing.body_text());
    assert!(missing.body_text().contains("No such container: nosuch"));
    ok(
        &daemon,
        &daemon.docker(&["create", "--name", "binder", "-v", "/tmp:/host", "busybox"]),
    );
    let binds = daemon.docker(&["create", "--volumes-from", "binder", "busybox"]);
    assert!(
        stderr_of(&binds).contains("sharing bind mounts is not supported"),
        "{}",
        stderr_of(&binds)
    );
    // The anonymous volume outlives a --rm container that shared it.
    assert_eq!(
        ok(&daemon, &daemon.docker(&["volume", "ls", "-q"]))
            .lines()
            .count(),
        2
    );
}
