//! The path rules of `docker cp` on the client, as moby's pkg/archive
//! has them (`CopyInfo`, `PrepareArchiveCopy`, `GetRebaseName`): paths
//! are Go strings where a trailing `/` means "a directory" and a
//! trailing `/.` means "the directory's contents".

use super::super::client::Failure;
use crate::applets::docker::parse::kv::go_errno_text;
use std::path::Path;

/// What is known of one end of a copy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyInfo {
    pub path: String,
    pub exists: bool,
    pub is_dir: bool,
    /// The name the entries take instead of the path's base name.
    pub rebase_name: String,
}

pub fn has_trailing_separator(path: &str) -> bool {
    path.ends_with('/')
}

pub fn specifies_current_dir(path: &str) -> bool {
    base(path) == "."
}

/// Go's `filepath.Clean`.
pub fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|last| *last != "..") => {
                parts.pop();
            }
            ".." if rooted => {}
            name => parts.push(name),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// Go's `filepath.Base`.
pub fn base(path: &str) -> &str {
    if path.is_empty() {
        return ".";
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/";
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed)
}

/// Go's `filepath.Dir`.
pub fn dir(path: &str) -> String {
    match path.rfind('/') {
        Some(at) => clean(&path[..=at]),
        None => ".".to_string(),
    }
}

/// Go's `filepath.Join` of two parts.
pub fn join(first: &str, second: &str) -> String {
    if first.is_empty() {
        return clean(second);
    }
    clean(&format!("{first}/{second}"))
}

/// moby's `SplitPathDirEntry`: the directory and the entry in it, with
/// `.` kept as the entry of a path that names a directory's contents.
pub fn split_dir_entry(path: &str) -> (String, String) {
    let mut cleaned = clean(path);
    if specifies_current_dir(path) {
        cleaned.push_str("/.");
    }
    (dir(&cleaned), base(&cleaned).to_string())
}

/// moby's `PreserveTrailingDotOrSeparator`.
pub fn preserve_trailing(cleaned: &str, original: &str) -> String {
    let mut path = cleaned.to_string();
    if !specifies_current_dir(&path) && specifies_current_dir(original) {
        if !has_trailing_separator(&path) {
            path.push('/');
        }
        path.push('.');
    }
    if !has_trailing_separator(&path) && has_trailing_separator(original) {
        path.push('/');
    }
    path
}

/// moby's `GetRebaseName`: the resolved path with the original's
/// trailing meaning, and the original's base name if the resolution
/// changed it.
pub fn rebase_name(path: &str, resolved: &str) -> (String, String) {
    let mut resolved = resolved.to_string();
    if specifies_current_dir(path) && !specifies_current_dir(&resolved) {
        resolved.push_str("/.");
    }
    if has_trailing_separator(path) && !has_trailing_separator(&resolved) {
        resolved.push('/');
    }
    let name = if base(path) != base(&resolved) {
        base(path).to_string()
    } else {
        String::new()
    };
    (resolved, name)
}

/// An absolute local path, its trailing meaning kept.
pub fn resolve_local(path: &str) -> String {
    let absolute = if path.starts_with('/') {
        clean(path)
    } else {
        let cwd = std::env::current_dir().unwrap_or_default();
        join(&cwd.display().to_string(), path)
    };
    preserve_trailing(&absolute, path)
}

fn os_failure(op: &str, path: &str, error: &std::io::Error) -> Failure {
    Failure::new(1, format!("{op} {path}: {}", go_errno_text(error)))
}

/// Go's `filepath.EvalSymlinks` (the kernel's resolution of an existing
/// path), cleaned.
fn eval_symlinks(path: &str) -> Result<String, Failure> {
    let target = if path.is_empty() { "." } else { path };
    std::fs::canonicalize(target)
        .map(|p| p.display().to_string())
        .map_err(|e| os_failure("lstat", &clean(target), &e))
}

/// moby's `CopyInfoSourcePath`: the local source, its parent directory's
/// symlinks resolved (and its own too with `-L`).
pub fn source_info(path: &str, follow_link: bool) -> Result<CopyInfo, Failure> {
    let (resolved, rebase) = if follow_link {
        let resolved = eval_symlinks(path)?;
        rebase_name(path, &resolved)
    } else {
        let at = path.rfind('/').map_or(0, |at| at + 1);
        let (dir_part, base_part) = path.split_at(at);
        let resolved_dir = eval_symlinks(dir_part)?;
        let resolved = format!("{}/{base_part}", resolved_dir.trim_end_matches('/'));
        let rebase = if has_trailing_separator(path) && base(path) != base(&resolved) {
            base(path).to_string()
        } else {
            String::new()
        };
        (resolved, rebase)
    };
    let meta = std::fs::symlink_metadata(&resolved)
        .map_err(|e| os_failure("lstat", &clean(&resolved), &e))?;
    Ok(CopyInfo {
        path: resolved,
        exists: true,
        is_dir: meta.is_dir(),
        rebase_name: rebase,
    })
}

/// moby's `CopyInfoDestinationPath`: the local destination with its
/// symlinks followed; a missing one is fine if its parent is a directory.
pub fn destination_info(path: &str) -> Result<CopyInfo, Failure> {
    const MAX_LINKS: usize = 10;
    let original = path.to_string();
    let mut path = path.to_string();
    let mut stat = std::fs::symlink_metadata(&path);
    let mut followed = 0;
    while let Ok(meta) = &stat {
        if !meta.file_type().is_symlink() {
            break;
        }
        followed += 1;
        if followed > MAX_LINKS {
            return Err(Failure::new(1, format!("too many symlinks in {original}")));
        }
        let target = std::fs::read_link(&path)
            .map_err(|e| os_failure("readlink", &path, &e))?
            .display()
            .to_string();
        path = if target.starts_with('/') {
            target
        } else {
            join(&split_dir_entry(&path).0, &target)
        };
        stat = std::fs::symlink_metadata(&path);
    }
    match stat {
        Ok(meta) => Ok(CopyInfo {
            path,
            exists: true,
            is_dir: meta.is_dir(),
            rebase_name: String::new(),
        }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let parent = split_dir_entry(&path).0;
            let meta = std::fs::metadata(&parent).map_err(|e| os_failure("stat", &parent, &e))?;
            if !meta.is_dir() {
                return Err(Failure::new(1, "not a directory"));
            }
            Ok(CopyInfo {
                path,
                ..CopyInfo::default()
            })
        }
        Err(error) => Err(os_failure("lstat", &path, &error)),
    }
}

/// How the archive goes into the destination: the directory to extract
/// into and the renaming of the top entry (old base, new base), if any.
#[derive(Debug, PartialEq, Eq)]
pub struct Prepared {
    pub dir: String,
    pub rebase: Option<(String, String)>,
}

/// moby's `PrepareArchiveCopy`.
pub fn prepare_copy(source: &CopyInfo, dest: &CopyInfo) -> Result<Prepared, Failure> {
    let (_, mut source_base) = split_dir_entry(&source.path);
    let (dest_dir, dest_base) = split_dir_entry(&dest.path);
    if !source.rebase_name.is_empty() {
        source_base = source.rebase_name.clone();
    }
    let renamed = Prepared {
        dir: dest_dir,
        rebase: Some((source_base, dest_base)),
    };
    if dest.exists && dest.is_dir {
        return Ok(Prepared {
            dir: dest.path.clone(),
            rebase: None,
        });
    }
    if dest.exists && source.is_dir {
        return Err(Failure::new(1, "cannot copy directory"));
    }
    if dest.exists || source.is_dir {
        return Ok(renamed);
    }
    if has_trailing_separator(&dest.path) || specifies_current_dir(&dest.path) {
        return Err(Failure::new(1, "no such directory"));
    }
    Ok(renamed)
}

/// An entry name with its top `old` part replaced by `new`.
pub fn rebase_entry(name: &[u8], old: &str, new: &str) -> Vec<u8> {
    let old = if old == "/" { "" } else { old };
    match name.strip_prefix(old.as_bytes()) {
        Some(rest) if rest.is_empty() || rest.starts_with(b"/") => [new.as_bytes(), rest].concat(),
        _ => name.to_vec(),
    }
}

/// docker/cli's `ValidateOutputPath` for a local destination.
pub fn validate_output_path(path: &str) -> Result<(), Failure> {
    let parent = dir(&clean(path));
    if parent != "." && !Path::new(&parent).exists() {
        return Err(Failure::new(
            1,
            format!("invalid output path: directory {parent:?} does not exist"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_path_rules() {
        assert_eq!(clean("/a/../b/./c/"), "/b/c");
        assert_eq!(clean("../a/.."), "..");
        assert_eq!((base("/a/b/"), base("/"), base("a/.")), ("b", "/", "."));
        assert_eq!(dir("/a/b"), "/a");
        assert_eq!(dir("b"), ".");
        assert_eq!(split_dir_entry("/a/b/."), ("/a/b".into(), ".".into()));
        assert_eq!(split_dir_entry("/a/b/"), ("/a".into(), "b".into()));
        assert_eq!(preserve_trailing("/a/b", "a/b/."), "/a/b/.");
        assert_eq!(preserve_trailing("/a/b", "a/b/"), "/a/b/");
        assert_eq!(
            rebase_name("/x/link/", "/x/real"),
            ("/x/real/".into(), "link".into())
        );
        assert_eq!(rebase_entry(b"src/inner/g", "src", "new"), b"new/inner/g");
        assert_eq!(rebase_entry(b"./g", ".", "fresh"), b"fresh/g");
        assert_eq!(rebase_entry(b"srcx/g", "src", "new"), b"srcx/g");
    }

    #[test]
    fn prepare_follows_moby() {
        let file = CopyInfo {
            path: "/s/f".into(),
            exists: true,
            ..CopyInfo::default()
        };
        let dir = CopyInfo {
            is_dir: true,
            ..file.clone()
        };
        let existing_dir = CopyInfo {
            path: "/d".into(),
            exists: true,
            is_dir: true,
            ..CopyInfo::default()
        };
        let existing_file = CopyInfo {
            is_dir: false,
            ..existing_dir.clone()
        };
        let missing = |path: &str| CopyInfo {
            path: path.into(),
            ..CopyInfo::default()
        };
        assert_eq!(prepare_copy(&file, &existing_dir).unwrap().rebase, None);
        assert!(prepare_copy(&dir, &existing_file).is_err());
        assert_eq!(
            prepare_copy(&file, &existing_file).unwrap(),
            Prepared {
                dir: "/".into(),
                rebase: Some(("f".into(), "d".into()))
            }
        );
        assert_eq!(
            prepare_copy(&file, &missing("/n/")).unwrap_err().message,
            "no such directory"
        );
        assert_eq!(
            prepare_copy(&dir, &missing("/n/new")).unwrap().rebase,
            Some(("f".into(), "new".into()))
        );
    }
}
