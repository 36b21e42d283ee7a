//! The rows `docker ps` and `docker images` hand to their templates, built
//! from the Engine API's list entries: the same fields and methods as
//! docker/cli's ContainerContext and imageContext, and their column titles.

use super::ps::{
    PortSummary, displayable_ports, ellipsis, quoted_command, running_for, truncate_id,
};
use crate::applets::docker::template::{Object, Value};
use crate::gofmt::reference::Named;
use crate::gofmt::size::{human_size, human_size_with_precision};
use crate::gofmt::time::UnixTime;
use serde_json::{Map, Value as Json};
use std::time::SystemTime;

/// The local time zone, for Go's `time.Time.String()` of creation times.
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    /// Seconds east of UTC.
    pub offset: i64,
    pub name: String,
}

impl Zone {
    pub fn utc() -> Self {
        Zone {
            offset: 0,
            name: "UTC".into(),
        }
    }

    /// The local zone in effect at Unix time `at` (TZ or /etc/localtime,
    /// through the C library as Go's time package reads the same data).
    pub fn local(at: i64) -> Self {
        let time: libc::time_t = at as libc::time_t;
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        // SAFETY: localtime_r writes only into `tm`; both pointers are valid.
        let result = unsafe { libc::localtime_r(&time, &mut tm) };
        if result.is_null() || tm.tm_zone.is_null() {
            return Zone::utc();
        }
        // SAFETY: tm_zone points at a NUL-terminated abbreviation owned by
        // the C library's zone data, valid until the next tzset.
        let name = unsafe { std::ffi::CStr::from_ptr(tm.tm_zone) }
            .to_string_lossy()
            .into_owned();
        Zone {
            offset: tm.tm_gmtoff,
            name,
        }
    }
}

/// Go's `time.Unix(seconds, 0).String()`: `2020-09-13 12:26:40 +0000 UTC`.
pub fn go_time_string(seconds: i64, zone: &Zone) -> String {
    UnixTime::from_seconds(seconds).go_string(zone.offset, &zone.name)
}

fn unix_time(seconds: i64) -> SystemTime {
    UnixTime::from_seconds(seconds).to_system()
}

fn str_field<'a>(json: &'a Json, key: &str) -> &'a str {
    json.get(key).and_then(Json::as_str).unwrap_or_default()
}

fn int_field(json: &Json, key: &str) -> i64 {
    json.get(key).and_then(Json::as_i64).unwrap_or_default()
}

/// The column titles of a table (docker's `SubHeaderContext`), which also
/// answers `.Label "com.example.some-label"` with `some label`.
pub struct Header {
    titles: &'static [(&'static str, &'static str)],
}

impl Header {
    pub const fn new(titles: &'static [(&'static str, &'static str)]) -> Header {
        Header { titles }
    }
}

impl Object for Header {
    fn type_name(&self) -> &str {
        "formatter.SubHeaderContext"
    }

    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        if name == "Label" {
            return Some(match args {
                [key] => {
                    let key = key.as_str().unwrap_or_default();
                    let last = key.rsplit('.').next().unwrap_or(key);
                    Ok(last.replace(['-', '_'], " ").into())
                }
                _ => Err(format!(
                    "wrong number of args for Label: want 1 got {}",
                    args.len()
                )),
            });
        }
        if !args.is_empty() {
            return Some(Err(format!("{name} is not a method but has arguments")));
        }
        let title = self.titles.iter().find(|(field, _)| *field == name);
        Some(Ok(
            title.map_or(Value::Missing, |(_, title)| (*title).into())
        ))
    }

    fn to_json(&self) -> Json {
        Json::Object(
            self.titles
                .iter()
                .map(|(field, title)| (field.to_string(), Json::from(*title)))
                .collect(),
        )
    }
}

pub const CONTAINER_HEADER: Header = Header {
    titles: &[
        ("ID", "CONTAINER ID"),
        ("Names", "NAMES"),
        ("Image", "IMAGE"),
        ("Command", "COMMAND"),
        ("CreatedAt", "CREATED AT"),
        ("RunningFor", "CREATED"),
        ("Ports", "PORTS"),
        ("State", "STATE"),
        ("Status", "STATUS"),
        ("Size", "SIZE"),
        ("Labels", "LABELS"),
        ("Mounts", "MOUNTS"),
        ("LocalVolumes", "LOCAL VOLUMES"),
        ("Networks", "NETWORKS"),
        ("Platform", "PLATFORM"),
    ],
};

pub const IMAGE_HEADER: Header = Header {
    titles: &[
        ("ID", "IMAGE ID"),
        ("Repository", "REPOSITORY"),
        ("Tag", "TAG"),
        ("Digest", "DIGEST"),
        ("CreatedSince", "CREATED"),
        ("CreatedAt", "CREATED AT"),
        ("Size", "SIZE"),
        ("Containers", "CONTAINERS"),
        ("VirtualSize", "SIZE"),
        ("SharedSize", "SHARED SIZE"),
        ("UniqueSize", "UNIQUE SIZE"),
    ],
};

/// One entry of `GET /containers/json` as `docker ps` shows it.
pub struct ContainerRow {
    pub summary: Json,
    /// Without `--no-trunc`: short IDs, one name, cut command and mounts.
    pub truncate: bool,
    pub now: SystemTime,
    pub zone: Zone,
}

const CONTAINER_FIELDS: &[&str] = &[
    "Command",
    "CreatedAt",
    "ID",
    "Image",
    "Labels",
    "LocalVolumes",
    "Mounts",
    "Names",
    "Networks",
    "Ports",
    "RunningFor",
    "Size",
    "State",
    "Status",
];

impl ContainerRow {
    fn field(&self, name: &str) -> Option<String> {
        let c = &self.summary;
        Some(match name {
            "ID" => {
                let id = str_field(c, "Id");
                if self.truncate { truncate_id(id) } else { id }.to_string()
            }
            "Names" => self.names(),
            "Image" => self.image(),
            "Command" => quoted_command(str_field(c, "Command"), self.truncate),
            "CreatedAt" => go_time_string(int_field(c, "Created"), &self.zone),
            "RunningFor" => running_for(unix_time(int_field(c, "Created")), self.now),
            "Ports" => displayable_ports(&self.ports()),
            "State" => str_field(c, "State").to_string(),
            "Status" => str_field(c, "Status").to_string(),
            "Size" => {
                let rw = human_size_with_precision(int_field(c, "SizeRw") as f64, 3);
                let root = int_field(c, "SizeRootFs");
                if root > 0 {
                    format!(
                        "{rw} (virtual {})",
                        human_size_with_precision(root as f64, 3)
                    )
                } else {
                    rw
                }
            }
            "Labels" => {
                let mut labels: Vec<String> = c
                    .get("Labels")
                    .and_then(Json::as_object)
                    .map(|map| {
                        map.iter()
                            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                            .collect()
                    })
                    .unwrap_or_default();
                labels.sort();
                labels.join(",")
            }
            "Mounts" => self
                .mounts()
                .map(|m| {
                    let name = match str_field(m, "Name") {
                        "" => str_field(m, "Source"),
                        name => name,
                    };
                    if self.truncate {
                        ellipsis(name, 15)
                    } else {
                        name.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join(","),
            "LocalVolumes" => self
                .mounts()
                .filter(|m| str_field(m, "Driver") == "local")
                .count()
                .to_string(),
            "Networks" => {
                // Go lists a map in random order; sorted is one of those.
                let mut names: Vec<&String> = c
                    .pointer("/NetworkSettings/Networks")
                    .and_then(Json::as_object)
                    .map(|map| map.keys().collect())
                    .unwrap_or_default();
                names.sort();
                names
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            }
            _ => return None,
        })
    }

    fn names(&self) -> String {
        let names: Vec<&str> = self
            .summary
            .get("Names")
            .and_then(Json::as_array)
            .map(|list| list.iter().filter_map(Json::as_str).collect())
            .unwrap_or_default();
        let stripped = names.iter().map(|n| n.strip_prefix('/').unwrap_or(n));
        if self.truncate {
            // Legacy link names (`/other/alias`) are left out.
            return stripped
                .into_iter()
                .find(|n| !n.contains('/'))
                .unwrap_or_default()
                .to_string();
        }
        stripped.collect::<Vec<_>>().join(",")
    }

    fn image(&self) -> String {
        let image = str_field(&self.summary, "Image");
        if image.is_empty() {
            return "<no image>".into();
        }
        if !self.truncate {
            return image.to_string();
        }
        let short_id = truncate_id(str_field(&self.summary, "ImageID"));
        if short_id == truncate_id(image) {
            return short_id.to_string();
        }
        // The familiar name and tag, without a digest.
        match Named::parse_normalized(image) {
            Ok(named) => match named.tag() {
                Some(tag) => format!("{}:{tag}", named.familiar_name()),
                None => named.familiar_name(),
            },
            Err(_) => image.to_string(),
        }
    }

    fn ports(&self) -> Vec<PortSummary> {
        self.summary
            .get("Ports")
            .and_then(Json::as_array)
            .map(|list| {
                list.iter()
                    .map(|p| PortSummary {
                        ip: str_field(p, "IP").to_string(),
                        private_port: int_field(p, "PrivatePort") as u16,
                        public_port: int_field(p, "PublicPort") as u16,
                        kind: str_field(p, "Type").to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn mounts(&self) -> impl Iterator<Item = &Json> {
        self.summary
            .get("Mounts")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
    }

    fn platform(&self) -> Json {
        let platform = self.summary.pointer("/ImageManifestDescriptor/platform");
        match platform {
            Some(p) if p.is_object() => {
                let mut text = format!("{}/{}", str_field(p, "os"), str_field(p, "architecture"));
                if !str_field(p, "variant").is_empty() {
                    text = format!("{text}/{}", str_field(p, "variant"));
                }
                Json::String(text)
            }
            _ => Json::Null,
        }
    }
}

fn no_args(name: &str, args: &[Value]) -> Result<(), String> {
    if args.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "wrong number of args for {name}: want 0 got {}",
            args.len()
        ))
    }
}

impl Object for ContainerRow {
    fn type_name(&self) -> &str {
        "*formatter.ContainerContext"
    }

    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        if name == "Label" {
            return Some(match args {
                [key] => {
                    let key = key.as_str().unwrap_or_default();
                    let value = self.summary.pointer("/Labels").and_then(|l| l.get(key));
                    Ok(value.and_then(Json::as_str).unwrap_or_default().into())
                }
                _ => Err(format!(
                    "wrong number of args for Label: want 1 got {}",
                    args.len()
                )),
            });
        }
        if name == "Platform" {
            return Some(no_args(name, args).map(|_| Value::Data(self.platform())));
        }
        let value = self.field(name)?;
        Some(no_args(name, args).map(|_| value.into()))
    }

    fn to_json(&self) -> Json {
        let mut map: Map<String, Json> = CONTAINER_FIELDS
            .iter()
            .filter_map(|name| Some((name.to_string(), Json::String(self.field(name)?))))
            .collect();
        map.insert("Platform".into(), self.platform());
        let sorted: std::collections::BTreeMap<String, Json> = map.into_iter().collect();
        Json::Object(sorted.into_iter().collect())
    }
}

/// One line of `docker images`: an image under one repository and tag.
pub struct ImageRow {
    pub summary: Json,
    pub repository: String,
    pub tag: String,
    pub digest: String,
    pub truncate: bool,
    pub now: SystemTime,
    pub zone: Zone,
}

const IMAGE_FIELDS: &[&str] = &[
    "Containers",
    "CreatedAt",
    "CreatedSince",
    "Digest",
    "ID",
    "Repository",
    "SharedSize",
    "Size",
    "Tag",
    "UniqueSize",
    "VirtualSize",
];

impl ImageRow {
    fn field(&self, name: &str) -> Option<String> {
        let i = &self.summary;
        let size = int_field(i, "Size");
        let shared = int_field(i, "SharedSize");
        Some(match name {
            "ID" => {
                let id = str_field(i, "Id");
                if self.truncate { truncate_id(id) } else { id }.to_string()
            }
            "Repository" => self.repository.clone(),
            "Tag" => self.tag.clone(),
            "Digest" => self.digest.clone(),
            "CreatedSince" => running_for(unix_time(int_field(i, "Created")), self.now),
            "CreatedAt" => go_time_string(int_field(i, "Created"), &self.zone),
            "Size" => human_size_with_precision(size as f64, 3),
            "Containers" => match int_field(i, "Containers") {
                -1 => "N/A".into(),
                n => n.to_string(),
            },
            "VirtualSize" => human_size(size as f64),
            "SharedSize" => match shared {
                -1 => "N/A".into(),
                n => human_size(n as f64),
            },
            "UniqueSize" => {
                if size == -1 || shared == -1 {
                    "N/A".into()
                } else {
                    human_size((size - shared) as f64)
                }
            }
            _ => return None,
        })
    }
}

impl Object for ImageRow {
    fn type_name(&self) -> &str {
        "*formatter.imageContext"
    }

    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        let value = self.field(name)?;
        Some(no_args(name, args).map(|_| value.into()))
    }

    fn to_json(&self) -> Json {
        Json::Object(
            IMAGE_FIELDS
                .iter()
                .filter_map(|name| Some((name.to_string(), Json::String(self.field(name)?))))
                .collect(),
        )
    }
}

/// The rows one image makes: one per repository and tag (per digest too
/// when digests are shown), `<none>` for dangling images. `show_digests`
/// is `--digests`; `format_uses_digest` whether the format names
/// `{{.Digest}}`.
pub fn image_rows(
    summary: &Json,
    show_digests: bool,
    format_uses_digest: bool,
) -> Vec<(String, String, String)> {
    let list = |key: &str| -> Vec<String> {
        summary
            .get(key)
            .and_then(Json::as_array)
            .map(|l| {
                l.iter()
                    .filter_map(Json::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let (tags, digests) = (list("RepoTags"), list("RepoDigests"));
    let none = || "<none>".to_string();
    let dangling = (tags.is_empty() && digests.is_empty())
        || (tags == ["<none>:<none>"] && digests == ["<none>@<none>"]);
    if dangling {
        return vec![(none(), none(), none())];
    }
    // Repositories in order of first appearance, with their tags and digests.
    let mut repos: Vec<(String, Vec<String>, Vec<String>)> = Vec::new();
    let entry = |repos: &mut Vec<(String, Vec<String>, Vec<String>)>, name: String| -> usize {
        match repos.iter().position(|(n, _, _)| *n == name) {
            Some(i) => i,
            None => {
                repos.push((name, Vec::new(), Vec::new()));
                repos.len() - 1
            }
        }
    };
    for text in &tags {
        if let Ok(named) = Named::parse_normalized(text)
            && let Some(tag) = named.tag()
        {
            let i = entry(&mut repos, named.familiar_name());
            repos[i].1.push(tag.to_string());
        }
    }
    for text in &digests {
        if let Ok(named) = Named::parse_normalized(text)
            && let Some(digest) = named.digest()
        {
            let i = entry(&mut repos, named.familiar_name());
            repos[i].2.push(digest.to_string());
        }
    }
    let need_digest = show_digests || format_uses_digest;
    let mut rows = Vec::new();
    for (repo, repo_tags, repo_digests) in &repos {
        if repo_tags.is_empty() {
            // Only digests: one row per digest with --digests, else one.
            if show_digests {
                for digest in repo_digests {
                    rows.push((repo.clone(), none(), digest.clone()));
                }
            } else {
                rows.push((repo.clone(), none(), String::new()));
            }
            continue;
        }
        for tag in repo_tags {
            if !need_digest || repo_digests.is_empty() {
                rows.push((repo.clone(), tag.clone(), none()));
                continue;
            }
            for digest in repo_digests {
                rows.push((repo.clone(), tag.clone(), digest.clone()));
            }
        }
    }
    rows
}

#[cfg(test)]
#[path = "rows_tests.rs"]
mod tests;
