//! `docker ps` and `docker images` over canned list-API answers. The
//! expected texts are what the Docker CLI 28 printed for the same JSON,
//! served by a stub daemon (testdata/).

use super::super::table::{container_format, image_format, render};
use super::*;
use std::rc::Rc;

const CONTAINERS: &str = include_str!("testdata/containers.json");
const IMAGES: &str = include_str!("testdata/images.json");

/// 2026-11-18, when the canned 2020 containers are "6 years" old.
fn now() -> SystemTime {
    unix_time(1_795_000_000)
}

fn containers(truncate: bool) -> Vec<Value> {
    let list: Vec<Json> = serde_json::from_str(CONTAINERS).unwrap();
    list.into_iter()
        .map(|summary| {
            Value::Object(Rc::new(ContainerRow {
                summary,
                truncate,
                now: now(),
                zone: Zone::utc(),
            }))
        })
        .collect()
}

fn images(truncate: bool, show_digests: bool, format: &str) -> Vec<Value> {
    let list: Vec<Json> = serde_json::from_str(IMAGES).unwrap();
    let mut rows = Vec::new();
    for summary in list {
        for (repository, tag, digest) in
            image_rows(&summary, show_digests, format.contains("{{.Digest}}"))
        {
            rows.push(Value::Object(Rc::new(ImageRow {
                summary: summary.clone(),
                repository,
                tag,
                digest,
                truncate,
                now: now(),
                zone: Zone::utc(),
            })));
        }
    }
    rows
}

fn ps(format: &str, truncate: bool) -> String {
    let header = Value::Object(Rc::new(CONTAINER_HEADER));
    render(format, &header, &containers(truncate)).unwrap()
}

fn docker_images(format: &str, truncate: bool, show_digests: bool) -> String {
    let header = Value::Object(Rc::new(IMAGE_HEADER));
    render(format, &header, &images(truncate, show_digests, format)).unwrap()
}

#[test]
fn docker_ps_default_table() {
    assert_eq!(
        ps(&container_format("", false, false), true),
        concat!(
            "CONTAINER ID   IMAGE          COMMAND                  CREATED       STATUS                     PORTS                                              NAMES\n",
            "4f66ad9a0b2e   busybox        \"sh -c 'sleep 1000; …\"   6 years ago   Up 3 seconds               443/tcp, 0.0.0.0:8080->80/tcp, [::]:8080->80/tcp   web\n",
            "1a2b3c4d5e6f   90659bf80b44   \"top\"                    6 years ago   Exited (0) 5 seconds ago                                                      db\n",
            "aaaabbbbcccc   alpine:3.19    \"\"                       6 years ago   Created                                                                       pinned\n",
        )
    );
}

#[test]
fn docker_ps_no_trunc() {
    assert_eq!(
        ps(&container_format("", false, false), false),
        concat!(
            "CONTAINER ID                                                       IMAGE                                                                                         COMMAND                           CREATED       STATUS                     PORTS                                              NAMES\n",
            "4f66ad9a0b2e5c1e8d5c3f5d2e6b7a8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a   busybox                                                                                       \"sh -c 'sleep 1000; echo done'\"   6 years ago   Up 3 seconds               443/tcp, 0.0.0.0:8080->80/tcp, [::]:8080->80/tcp   web\n",
            "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b   sha256:90659bf80b44ce6be8234e6ff90a1ac34acbeb826903b02cfa0da11c82cbc042                       \"top\"                             6 years ago   Exited (0) 5 seconds ago                                                      db,web/db-link\n",
            "aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999   library/alpine:3.19@sha256:c5b1261d6d3e43071626931fc004f70149baeba2c8ec672bd4f27761f8e1ad6b   \"\"                                6 years ago   Created                                                                       pinned\n",
        )
    );
}

#[test]
fn docker_ps_size_quiet_and_raw() {
    let sized = ps(&container_format("", false, true), true);
    let lines: Vec<&str> = sized.lines().collect();
    assert!(lines[0].ends_with("NAMES     SIZE"), "{}", lines[0]);
    assert!(
        lines[1].ends_with("web       12B (virtual 4.26MB)"),
        "{}",
        lines[1]
    );
    assert!(lines[2].ends_with("db        0B"), "{}", lines[2]);
    assert_eq!(
        ps(&container_format("", true, false), true),
        "4f66ad9a0b2e\n1a2b3c4d5e6f\naaaabbbbcccc\n"
    );
    let raw = ps(&container_format("raw", false, false), true);
    assert!(raw.starts_with(concat!(
        "container_id: 4f66ad9a0b2e\nimage: busybox\ncommand: \"sh -c 'sleep 1000; …\"\n",
        "created_at: 2020-09-13 12:26:40 +0000 UTC\nstate: running\nstatus: Up 3 seconds\nnames: web\n",
        "labels: a=1,b=2,com.example.x=y\nports: 443/tcp, 0.0.0.0:8080->80/tcp, [::]:8080->80/tcp\n\n",
        "container_id: 1a2b3c4d5e6f\n",
    )));
    assert!(raw.contains("names: db\nlabels:\nports:\n\n"));
}

#[test]
fn docker_ps_json_rows() {
    let out = ps("{{json .}}", true);
    let first = out.lines().next().unwrap();
    assert_eq!(
        first,
        r#"{"Command":"\"sh -c 'sleep 1000; …\"","CreatedAt":"2020-09-13 12:26:40 +0000 UTC","ID":"4f66ad9a0b2e","Image":"busybox","Labels":"a=1,b=2,com.example.x=y","LocalVolumes":"1","Mounts":"0123456789abcd…,/home/user/pro…","Names":"web","Networks":"bridge","Platform":null,"Ports":"443/tcp, 0.0.0.0:8080-\u003e80/tcp, [::]:8080-\u003e80/tcp","RunningFor":"6 years ago","Size":"12B (virtual 4.26MB)","State":"running","Status":"Up 3 seconds"}"#
    );
}

#[test]
fn docker_ps_other_columns_and_label_headers() {
    assert_eq!(
        ps(
            "table {{.Names}}\\t{{.Labels}}\\t{{.Label \"a\"}}\\t{{.Mounts}}\\t{{.LocalVolumes}}\\t{{.Networks}}\\t{{.State}}\\t{{.CreatedAt}}",
            true
        ),
        concat!(
            "NAMES     LABELS                    a         MOUNTS                            LOCAL VOLUMES   NETWORKS     STATE     CREATED AT\n",
            "web       a=1,b=2,com.example.x=y   1         0123456789abcd…,/home/user/pro…   1               bridge       running   2020-09-13 12:26:40 +0000 UTC\n",
            "db                                                                              0                            exited    2020-09-13 12:26:40 +0000 UTC\n",
            "pinned                                                                          0               alpha,beta   created   2020-09-13 12:26:40 +0000 UTC\n",
        )
    );
    assert_eq!(
        ps("table {{.Label \"com.example.some-label_x\"}}", true)
            .lines()
            .next(),
        Some("some label x")
    );
}

#[test]
fn unknown_field_is_an_error_worded_as_a_parse_error() {
    let header = Value::Object(Rc::new(CONTAINER_HEADER));
    assert_eq!(
        render("{{.Foo}}", &header, &containers(true)).unwrap_err(),
        "template parsing error: template: :1:2: executing \"\" at <.Foo>: can't evaluate field Foo in type *formatter.ContainerContext"
    );
}

#[test]
fn docker_images_default_and_digests() {
    assert_eq!(
        docker_images(&image_format("table", false, false), true, false),
        concat!(
            "REPOSITORY                            TAG       IMAGE ID       CREATED        SIZE\n",
            "busybox                               latest    90659bf80b44   6 years ago    4.26MB\n",
            "busybox                               1.36      90659bf80b44   6 years ago    4.26MB\n",
            "myreg.example.com:5000/team/busybox   v1        90659bf80b44   6 years ago    4.26MB\n",
            "<none>                                <none>    111111111111   3 years ago    1.23GB\n",
            "alpine                                <none>    222222222222   56 years ago   1e+03kB\n",
        )
    );
    assert_eq!(
        docker_images(&image_format("table", false, true), true, true),
        concat!(
            "REPOSITORY                            TAG       DIGEST                                                                    IMAGE ID       CREATED        SIZE\n",
            "busybox                               latest    sha256:c5b1261d6d3e43071626931fc004f70149baeba2c8ec672bd4f27761f8e1ad6b   90659bf80b44   6 years ago    4.26MB\n",
            "busybox                               1.36      sha256:c5b1261d6d3e43071626931fc004f70149baeba2c8ec672bd4f27761f8e1ad6b   90659bf80b44   6 years ago    4.26MB\n",
            "myreg.example.com:5000/team/busybox   v1        <none>                                                                    90659bf80b44   6 years ago    4.26MB\n",
            "<none>                                <none>    <none>                                                                    111111111111   3 years ago    1.23GB\n",
            "alpine                                <none>    sha256:aaaa261d6d3e43071626931fc004f70149baeba2c8ec672bd4f27761f8e1ad6b   222222222222   56 years ago   1e+03kB\n",
        )
    );
}

#[test]
fn docker_images_sizes_json_and_quiet() {
    assert_eq!(
        docker_images(
            "table {{.ID}}\\t{{.Containers}}\\t{{.SharedSize}}\\t{{.UniqueSize}}\\t{{.VirtualSize}}\\t{{.CreatedAt}}",
            true,
            false
        ),
        concat!(
            "IMAGE ID       CONTAINERS   SHARED SIZE   UNIQUE SIZE   SIZE      CREATED AT\n",
            "90659bf80b44   N/A          N/A           N/A           4.262MB   2020-09-13 12:26:40 +0000 UTC\n",
            "90659bf80b44   N/A          N/A           N/A           4.262MB   2020-09-13 12:26:40 +0000 UTC\n",
            "90659bf80b44   N/A          N/A           N/A           4.262MB   2020-09-13 12:26:40 +0000 UTC\n",
            "111111111111   2            1kB           1.235GB       1.235GB   2023-11-14 22:13:20 +0000 UTC\n",
            "222222222222   0            0B            999.5kB       999.5kB   1970-01-01 00:00:00 +0000 UTC\n",
        )
    );
    let json = docker_images("{{json .}}", true, false);
    let lines: Vec<&str> = json.lines().collect();
    assert_eq!(
        lines[0],
        r#"{"Containers":"N/A","CreatedAt":"2020-09-13 12:26:40 +0000 UTC","CreatedSince":"6 years ago","Digest":"\u003cnone\u003e","ID":"90659bf80b44","Repository":"busybox","SharedSize":"N/A","Size":"4.26MB","Tag":"latest","UniqueSize":"N/A","VirtualSize":"4.262MB"}"#
    );
    assert_eq!(
        lines[4],
        r#"{"Containers":"0","CreatedAt":"1970-01-01 00:00:00 +0000 UTC","CreatedSince":"56 years ago","Digest":"","ID":"222222222222","Repository":"alpine","SharedSize":"0B","Size":"1e+03kB","Tag":"\u003cnone\u003e","UniqueSize":"999.5kB","VirtualSize":"999.5kB"}"#
    );
    assert_eq!(
        docker_images(&image_format("table", true, false), true, false),
        "90659bf80b44\n90659bf80b44\n90659bf80b44\n111111111111\n222222222222\n"
    );
}

#[test]
fn go_time_strings() {
    assert_eq!(
        go_time_string(1600000000, &Zone::utc()),
        "2020-09-13 12:26:40 +0000 UTC"
    );
    let cet = Zone {
        offset: 3600,
        name: "CET".into(),
    };
    assert_eq!(go_time_string(0, &cet), "1970-01-01 01:00:00 +0100 CET");
    let pst = Zone {
        offset: -8 * 3600,
        name: "PST".into(),
    };
    assert_eq!(go_time_string(0, &pst), "1969-12-31 16:00:00 -0800 PST");
}

#[test]
fn local_zone_is_plausible() {
    let zone = Zone::local(1_600_000_000);
    assert!(!zone.name.is_empty());
    assert!(zone.offset.abs() <= 14 * 3600, "{zone:?}");
}
