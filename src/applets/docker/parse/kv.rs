//! `-e`/`--env`, `--env-file`, `-l`/`--label` and `--label-file`, with
//! docker/cli's rules: a bare `-e NAME` takes the client's value when it
//! has one, files are `KEY[=VALUE]` lines with `#` comments, values kept
//! byte for byte (quotes included).

use std::collections::BTreeMap;
use std::path::Path;

/// Looks a name up in the client's environment.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// `-e`/`--env` (opts.ValidateEnv). `lookup` gives the client's own
/// environment.
pub fn validate_env(
    value: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, String> {
    let (key, has_value) = match value.split_once('=') {
        Some((key, _)) => (key, true),
        None => (value, false),
    };
    if key.is_empty() {
        return Err(format!("invalid environment variable: {value}"));
    }
    if has_value {
        return Ok(value.to_string());
    }
    Ok(match lookup(key) {
        Some(found) => format!("{key}={found}"),
        None => value.to_string(),
    })
}

/// Lines of an env or label file (docker/cli's kvfile). Keys without `=`
/// take `lookup`'s value, or are dropped when it has none.
pub fn parse_kv_text(text: &[u8], lookup: Option<Lookup<'_>>) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for (number, raw) in text.split(|&b| b == b'\n').enumerate() {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let Ok(line) = std::str::from_utf8(raw) else {
            let bytes: Vec<String> = raw.iter().map(u8::to_string).collect();
            return Err(format!(
                "invalid utf8 bytes at line {}: [{}]",
                number + 1,
                bytes.join(" ")
            ));
        };
        let line = if number == 0 {
            line.strip_prefix('\u{feff}').unwrap_or(line)
        } else {
            line
        };
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = match line.split_once('=') {
            Some((key, value)) => (key, Some(value)),
            None => (line, None),
        };
        if key.is_empty() {
            return Err(format!("no variable name on line '{line}'"));
        }
        if key.contains([' ', '\t']) {
            return Err(format!("variable '{key}' contains whitespaces"));
        }
        match (value, lookup) {
            (Some(value), _) => out.push(format!("{key}={value}")),
            (None, Some(lookup)) => {
                if let Some(found) = lookup(key) {
                    out.push(format!("{key}={found}"));
                }
            }
            (None, None) => {}
        }
    }
    Ok(out)
}

/// `--env-file` / `--label-file`: reads and parses `path`.
pub fn parse_kv_file(path: &Path, lookup: Option<Lookup<'_>>) -> Result<Vec<String>, String> {
    let text = std::fs::read(path)
        .map_err(|e| format!("open {}: {}", path.display(), go_errno_text(&e)))?;
    parse_kv_text(&text, lookup).map_err(|e| format!("invalid env file ({}): {e}", path.display()))
}

/// Go's wording of common errno values (`no such file or directory`).
pub fn go_errno_text(error: &std::io::Error) -> String {
    match error.raw_os_error() {
        Some(code) => nix::errno::Errno::from_raw(code).desc().to_lowercase(),
        None => error.to_string(),
    }
}

/// `k=v` entries as a map, later ones winning, as docker/cli builds
/// Config.Labels (from `--label-file`s then `-l`s), annotations and sysctls:
/// a bare `k` has an empty value.
pub fn key_value_map(entries: &[String]) -> BTreeMap<String, String> {
    entries
        .iter()
        .map(|entry| match entry.split_once('=') {
            Some((key, value)) => (key.to_string(), value.to_string()),
            None => (entry.clone(), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(key: &str) -> Option<String> {
        match key {
            "HOME" => Some("/root".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn env_flag_values() {
        assert_eq!(validate_env("A=1", &env), Ok("A=1".into()));
        assert_eq!(validate_env("A=", &env), Ok("A=".into()));
        assert_eq!(validate_env("HOME", &env), Ok("HOME=/root".into()));
        assert_eq!(validate_env("EMPTY", &env), Ok("EMPTY=".into()));
        assert_eq!(validate_env("UNSET", &env), Ok("UNSET".into()));
        assert_eq!(
            validate_env("=x", &env),
            Err("invalid environment variable: =x".into())
        );
    }

    #[test]
    fn env_file_lines_as_docker_create_sends_them() {
        // Checked by capturing `docker create --env-file` (CLI 28).
        let text =
            b"\xef\xbb\xbfA=1\n  # comment\nB=\"quoted\"\nC\nHOME\n\nE='x'\nF= spaced \nG=a=b\r\n";
        assert_eq!(
            parse_kv_text(text, Some(&env)).unwrap(),
            vec![
                "A=1",
                "B=\"quoted\"",
                "HOME=/root",
                "E='x'",
                "F= spaced ",
                "G=a=b"
            ]
        );
        // Label files look nothing up: bare keys vanish.
        assert_eq!(parse_kv_text(b"A=1\nC\n", None).unwrap(), vec!["A=1"]);
        assert_eq!(
            parse_kv_text(b"D = x\n", None).unwrap_err(),
            "variable 'D ' contains whitespaces"
        );
        assert_eq!(
            parse_kv_text(b"=x\n", None).unwrap_err(),
            "no variable name on line '=x'"
        );
        assert_eq!(
            parse_kv_text(b"A=\xff\n", None).unwrap_err(),
            "invalid utf8 bytes at line 1: [65 61 255]"
        );
    }

    #[test]
    fn env_file_errors_name_the_file() {
        assert_eq!(
            parse_kv_file(Path::new("/nonexistent/env"), None).unwrap_err(),
            "open /nonexistent/env: no such file or directory"
        );
    }

    #[test]
    fn labels_map() {
        let got = key_value_map(&["A=1".into(), "k=v".into(), "bare".into(), "k=w".into()]);
        let want: BTreeMap<String, String> = [("A", "1"), ("bare", ""), ("k", "w")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(got, want);
    }
}
