//! `-v`/`--volume`, `--mount` and `--tmpfs` as docker/cli turns them into
//! HostConfig.Binds, Config.Volumes, HostConfig.Mounts and HostConfig.Tmpfs.

use super::units::parse_bool;
use crate::api::container::{BindOptions, ImageOptions, MountSpec, TmpfsOptions, VolumeOptions};
use crate::gofmt::size::ram_in_bytes;
use std::path::Path;

/// Where one `-v` value goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Volume {
    /// `src:dst[:opts]` for HostConfig.Binds, a relative `./src` made
    /// absolute against the working directory.
    Bind(String),
    /// An anonymous volume: Config.Volumes[target].
    Anonymous(String),
}

/// Parses a `-v` value as docker/cli's compose-style volume parser does.
pub fn parse_volume(spec: &str, cwd: &Path) -> Result<Volume, String> {
    if spec.is_empty() {
        return Err("invalid empty volume spec".into());
    }
    if spec.len() <= 2 {
        return Ok(Volume::Anonymous(spec.to_string()));
    }
    let (mut source, mut target) = (None::<&str>, None::<&str>);
    let sections: Vec<&str> = spec.split(':').collect();
    for (i, section) in sections.iter().enumerate() {
        let last = i + 1 == sections.len();
        let error = |message: &str| format!("invalid spec: {spec}: {message}");
        if section.is_empty() {
            return Err(error("empty section between colons"));
        }
        if source.is_none() && last {
            target = Some(section);
        } else if source.is_none() {
            source = Some(section);
        } else if target.is_none() {
            target = Some(section);
        } else if !last {
            return Err(error("too many colons"));
        }
    }
    let Some(source) = source else {
        return Ok(Volume::Anonymous(spec.to_string()));
    };
    let (host, rest) = spec.split_once(':').unwrap_or((spec, ""));
    let is_path = source.starts_with(['.', '/', '~']);
    if is_path && host.starts_with('.') {
        let absolute = clean_path(&cwd.join(host));
        return Ok(Volume::Bind(format!("{absolute}:{rest}")));
    }
    let _ = target;
    Ok(Volume::Bind(spec.to_string()))
}

/// Go's `filepath.Clean` of an absolute path.
fn clean_path(path: &Path) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.to_str().unwrap_or_default().split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    format!("/{}", parts.join("/"))
}

/// `--tmpfs /t:size=64m` as a HostConfig.Tmpfs entry.
pub fn parse_tmpfs(value: &str) -> (String, String) {
    match value.split_once(':') {
        Some((path, options)) => (path.to_string(), options.to_string()),
        None => (value.to_string(), String::new()),
    }
}

/// One record of Go's `encoding/csv`: commas separate fields, a field
/// may be quoted with `"` and a doubled `""` is a quote inside it.
pub fn csv_fields(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = line.char_indices().peekable();
    loop {
        let mut field = String::new();
        if chars.peek().is_some_and(|&(_, c)| c == '"') {
            chars.next();
            loop {
                match chars.next() {
                    Some((_, '"')) => {
                        if chars.peek().is_some_and(|&(_, c)| c == '"') {
                            chars.next();
                            field.push('"');
                        } else {
                            break;
                        }
                    }
                    Some((_, c)) => field.push(c),
                    None => {
                        return Err(format!(
                            "parse error on line 1, column {}: extraneous or missing \" in quoted-field",
                            line.chars().count() + 1
                        ));
                    }
                }
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some((_, ',')) => fields.push(field),
                Some((i, _)) => {
                    return Err(format!(
                        "parse error on line 1, column {}: extraneous or missing \" in quoted-field",
                        line[..i].chars().count() + 1
                    ));
                }
            }
            continue;
        }
        loop {
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some((_, ',')) => break,
                Some((i, '"')) => {
                    return Err(format!(
                        "parse error on line 1, column {}: bare \" in non-quoted-field",
                        line[..i].chars().count() + 1
                    ));
                }
                Some((_, c)) => field.push(c),
            }
        }
        fields.push(field);
    }
}

/// A `--mount` value as the API's Mount object (opts.MountOpt). Each kind
/// of option block exists once one of its keys was given.
pub fn parse_mount(value: &str, cwd: &Path) -> Result<MountSpec, String> {
    let mut mount = MountSpec {
        kind: "volume".to_string(),
        ..MountSpec::default()
    };
    let mut bind = None::<BindOptions>;
    let mut volume = None::<VolumeOptions>;
    let mut tmpfs = None::<TmpfsOptions>;
    let mut image = None::<ImageOptions>;
    let mut bind_recursive = None::<String>;
    for field in csv_fields(value)? {
        let Some((key, val)) = field.split_once('=') else {
            match field.as_str() {
                "readonly" | "ro" => mount.read_only = true,
                "volume-nocopy" => volume.get_or_insert_default().no_copy = Some(true),
                "bind-nonrecursive" => return Err(BIND_NONRECURSIVE.into()),
                _ => return Err(format!("invalid field '{field}' must be a key=value pair")),
            }
            continue;
        };
        let empty_pair_key = val.split_once('=').map_or(val, |(k, _)| k).is_empty();
        if matches!(key, "volume-label" | "volume-opt") && empty_pair_key {
            // docker/cli drops `volume-label==x` without a word.
            continue;
        }
        if key.starts_with("bind-") {
            bind_option(bind.get_or_insert_default(), key, val, &mut bind_recursive)?;
        } else if key.starts_with("volume-") {
            volume_option(volume.get_or_insert_default(), key, val)?;
        } else if key.starts_with("tmpfs-") {
            tmpfs_option(tmpfs.get_or_insert_default(), key, val)?;
        } else if key == "image-subpath" {
            image.get_or_insert_default().subpath = Some(val.to_string());
        } else {
            mount_option(&mut mount, key, val, &field, cwd)?;
        }
    }
    if mount.kind.is_empty() {
        return Err("type is required".into());
    }
    if mount.target.is_empty() {
        return Err("target is required".into());
    }
    let kind = mount.kind.as_str();
    for (given, options, wanted) in [
        (volume.is_some(), "volume-*", "volume"),
        (bind.is_some(), "bind-*", "bind"),
        (tmpfs.is_some(), "tmpfs-*", "tmpfs"),
        (image.is_some(), "image-*", "image"),
    ] {
        if given && kind != wanted {
            return Err(format!(
                "cannot mix '{options}' options with mount type '{kind}'"
            ));
        }
    }
    if let Some(mode) = bind_recursive.as_deref()
        && matches!(mode, "writable" | "readonly")
    {
        if !mount.read_only {
            return Err(format!(
                "option 'bind-recursive={mode}' requires 'readonly' to be specified in conjunction"
            ));
        }
        let propagation = bind.as_ref().map_or("", |b| b.propagation.as_str());
        if mode == "readonly" && !matches!(propagation, "" | "rprivate") {
            return Err(
                "option 'bind-recursive=readonly' requires 'bind-propagation=rprivate' to be specified in conjunction"
                    .into(),
            );
        }
    }
    mount.bind_options = bind;
    mount.volume_options = volume;
    mount.tmpfs_options = tmpfs;
    mount.image_options = image;
    Ok(mount)
}

const BIND_NONRECURSIVE: &str =
    "bind-nonrecursive is deprecated, use bind-recursive=disabled instead";

fn invalid(key: &str, val: &str) -> String {
    format!("invalid value for {key}: {val}")
}

/// The keys of the mount itself: type, source, target, readonly,
/// consistency.
fn mount_option(
    mount: &mut MountSpec,
    key: &str,
    val: &str,
    field: &str,
    cwd: &Path,
) -> Result<(), String> {
    match key {
        "type" => mount.kind = val.to_lowercase(),
        "source" | "src" => {
            mount.source = if val == "." || val.starts_with("./") {
                clean_path(&cwd.join(val))
            } else {
                val.to_string()
            };
        }
        "target" | "dst" | "destination" => mount.target = val.to_string(),
        "readonly" | "ro" => mount.read_only = parse_bool(val).map_err(|_| invalid(key, val))?,
        "consistency" => mount.consistency = val.to_lowercase(),
        _ => return Err(format!("unexpected key '{key}' in '{field}'")),
    }
    Ok(())
}

fn bind_option(
    bind: &mut BindOptions,
    key: &str,
    val: &str,
    recursive: &mut Option<String>,
) -> Result<(), String> {
    match key {
        "bind-propagation" => bind.propagation = val.to_lowercase(),
        "bind-nonrecursive" => return Err(BIND_NONRECURSIVE.into()),
        "bind-recursive" => {
            match val {
                "enabled" => {}
                "disabled" => bind.non_recursive = Some(true),
                "writable" => bind.read_only_non_recursive = Some(true),
                "readonly" => bind.read_only_force_recursive = Some(true),
                _ => {
                    return Err(format!(
                        "invalid value for {key}: {val} (must be \"enabled\", \"disabled\", \"writable\", or \"readonly\")"
                    ));
                }
            }
            *recursive = Some(val.to_string());
        }
        "bind-create-mountpoint" => {
            bind.create_mountpoint = Some(parse_bool(val).map_err(|_| invalid(key, val))?);
        }
        _ => return Err(format!("unexpected key '{key}' in '{key}={val}'")),
    }
    Ok(())
}

fn volume_option(volume: &mut VolumeOptions, key: &str, val: &str) -> Result<(), String> {
    let pair = || val.split_once('=').unwrap_or((val, ""));
    match key {
        "volume-nocopy" => {
            let nocopy =
                parse_bool(val).map_err(|_| format!("invalid value for volume-nocopy: {val}"))?;
            volume.no_copy = Some(nocopy);
        }
        "volume-label" => {
            let (k, v) = pair();
            volume
                .labels
                .get_or_insert_default()
                .insert(k.into(), v.into());
        }
        "volume-driver" => volume.driver_config.get_or_insert_default().name = val.to_string(),
        "volume-subpath" => volume.subpath = Some(val.to_string()),
        "volume-opt" => {
            let (k, v) = pair();
            volume
                .driver_config
                .get_or_insert_default()
                .options
                .get_or_insert_default()
                .insert(k.into(), v.into());
        }
        _ => return Err(format!("unexpected key '{key}' in '{key}={val}'")),
    }
    Ok(())
}

fn tmpfs_option(tmpfs: &mut TmpfsOptions, key: &str, val: &str) -> Result<(), String> {
    match key {
        "tmpfs-size" => tmpfs.size_bytes = ram_in_bytes(val).map_err(|_| invalid(key, val))?,
        "tmpfs-mode" => {
            tmpfs.mode = u32::from_str_radix(val, 8).map_err(|_| invalid(key, val))?;
        }
        _ => return Err(format!("unexpected key '{key}' in '{key}={val}'")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_specs_as_docker_create_sends_them() {
        // Captured from `docker create -v ...` (CLI 28) run in /tmp.
        let cwd = Path::new("/tmp");
        let cases = [
            ("/a", Ok(Volume::Anonymous("/a".into()))),
            ("a", Ok(Volume::Anonymous("a".into()))),
            ("/a:/b:ro", Ok(Volume::Bind("/a:/b:ro".into()))),
            (
                "/host:/ctr:ro,z",
                Ok(Volume::Bind("/host:/ctr:ro,z".into())),
            ),
            (
                "/a:/b:rw,rshared",
                Ok(Volume::Bind("/a:/b:rw,rshared".into())),
            ),
            ("vol:/b:nocopy", Ok(Volume::Bind("vol:/b:nocopy".into()))),
            ("named:/n", Ok(Volume::Bind("named:/n".into()))),
            ("~/x:/y", Ok(Volume::Bind("~/x:/y".into()))),
            ("./x:/y", Ok(Volume::Bind("/tmp/x:/y".into()))),
            ("./rel:/r", Ok(Volume::Bind("/tmp/rel:/r".into()))),
            ("../x:/y", Ok(Volume::Bind("/x:/y".into()))),
            (".:/y", Ok(Volume::Bind("/tmp:/y".into()))),
            ("x:/y:bogus", Ok(Volume::Bind("x:/y:bogus".into()))),
            (
                "/a::/b",
                Err("invalid spec: /a::/b: empty section between colons".to_string()),
            ),
            (
                "/a:/b:/c:ro",
                Err("invalid spec: /a:/b:/c:ro: too many colons".to_string()),
            ),
            (
                "/a:",
                Err("invalid spec: /a:: empty section between colons".to_string()),
            ),
            (
                ":/b",
                Err("invalid spec: :/b: empty section between colons".to_string()),
            ),
            ("", Err("invalid empty volume spec".to_string())),
        ];
        for (spec, want) in cases {
            assert_eq!(parse_volume(spec, cwd), want, "{spec:?}");
        }
    }

    #[test]
    fn tmpfs_entries() {
        assert_eq!(parse_tmpfs("/t:size=64m"), ("/t".into(), "size=64m".into()));
        assert_eq!(parse_tmpfs("/u"), ("/u".into(), String::new()));
    }

    #[test]
    fn csv_like_go() {
        assert_eq!(csv_fields("a,b,,c").unwrap(), vec!["a", "b", "", "c"]);
        assert_eq!(
            csv_fields(r#"type=bind,"src=/a,b",dst=/c"#).unwrap(),
            vec!["type=bind", "src=/a,b", "dst=/c"]
        );
        assert_eq!(csv_fields(r#""a""b",c"#).unwrap(), vec!["a\"b", "c"]);
        assert_eq!(
            csv_fields(r#"a"b"#).unwrap_err(),
            "parse error on line 1, column 2: bare \" in non-quoted-field"
        );
    }

    #[test]
    fn mounts_as_docker_create_sends_them() {
        // Captured from `docker create --mount ...` (CLI 28).
        let cwd = Path::new("/tmp");
        let cases = [
            (
                "type=bind,source=/a,target=/b,readonly",
                r#"{"ReadOnly":true,"Source":"/a","Target":"/b","Type":"bind"}"#,
            ),
            (
                "type=bind,source=/a,target=/b,readonly=false",
                r#"{"Source":"/a","Target":"/b","Type":"bind"}"#,
            ),
            (
                "type=bind,source=/a,target=/b,ro=1",
                r#"{"ReadOnly":true,"Source":"/a","Target":"/b","Type":"bind"}"#,
            ),
            (
                "type=volume,src=vol,dst=/v,volume-opt=o=1,volume-label=l=2,volume-nocopy",
                r#"{"Source":"vol","Target":"/v","Type":"volume","VolumeOptions":{"DriverConfig":{"Options":{"o":"1"}},"Labels":{"l":"2"},"NoCopy":true}}"#,
            ),
            (
                "type=tmpfs,target=/t,tmpfs-size=64m,tmpfs-mode=1770",
                r#"{"Target":"/t","TmpfsOptions":{"Mode":1016,"SizeBytes":67108864},"Type":"tmpfs"}"#,
            ),
            (
                "type=bind,src=/x,dst=/y,bind-propagation=rshared,ro=false",
                r#"{"BindOptions":{"Propagation":"rshared"},"Source":"/x","Target":"/y","Type":"bind"}"#,
            ),
            ("target=/x", r#"{"Target":"/x","Type":"volume"}"#),
            ("type=bind,target=/b", r#"{"Target":"/b","Type":"bind"}"#),
            (
                "type=tmpfs,target=/t,source=/x",
                r#"{"Source":"/x","Target":"/t","Type":"tmpfs"}"#,
            ),
            (
                "type=bind,src=/a,dst=/b,consistency=cached",
                r#"{"Consistency":"cached","Source":"/a","Target":"/b","Type":"bind"}"#,
            ),
            (
                "type=image,src=busybox,dst=/img",
                r#"{"Source":"busybox","Target":"/img","Type":"image"}"#,
            ),
            (
                r#"type=bind,"src=/a,b",dst=/c"#,
                r#"{"Source":"/a,b","Target":"/c","Type":"bind"}"#,
            ),
            (
                "type=bind,src=./d,dst=/c",
                r#"{"Source":"/tmp/d","Target":"/c","Type":"bind"}"#,
            ),
        ];
        for (value, want) in cases {
            let got = parse_mount(value, cwd).unwrap_or_else(|e| panic!("{value}: {e}"));
            let got: std::collections::BTreeMap<String, serde_json::Value> =
                serde_json::from_value(serde_json::to_value(got).unwrap()).unwrap();
            assert_eq!(serde_json::to_string(&got).unwrap(), want, "{value}");
        }
    }

    #[test]
    fn mount_errors_as_docker_prints_them() {
        let cwd = Path::new("/tmp");
        let cases = [
            ("type=bind", "target is required"),
            ("type=bind,source=/a", "target is required"),
            ("foo=bar", "unexpected key 'foo' in 'foo=bar'"),
            (
                "type=tmpfs,target=/t,tmpfs-size=x",
                "invalid value for tmpfs-size: x",
            ),
            (
                "type=bind,source=/a,target=/b,readonly=maybe",
                "invalid value for readonly: maybe",
            ),
            (
                "type=tmpfs,dst=/t,tmpfs-mode=abc",
                "invalid value for tmpfs-mode: abc",
            ),
            (
                "type=bind,src=/a,dst=/b,volume-nocopy",
                "cannot mix 'volume-*' options with mount type 'bind'",
            ),
            (
                "type=volume,dst=/b,bind-propagation=shared",
                "cannot mix 'bind-*' options with mount type 'volume'",
            ),
            (
                "type=bind,src=/a,dst=/b,bind-recursive=readonly",
                "option 'bind-recursive=readonly' requires 'readonly' to be specified in conjunction",
            ),
            (
                "type=bind,src=/a,dst=/b,bogus",
                "invalid field 'bogus' must be a key=value pair",
            ),
        ];
        for (value, want) in cases {
            assert_eq!(parse_mount(value, cwd).unwrap_err(), want, "{value}");
        }
    }
}
