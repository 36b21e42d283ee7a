//! The container's user: `Config.User` (`name`, `uid`, `name:group`,
//! `uid:gid`) and `GroupAdd` resolved against the container's own
//! /etc/passwd and /etc/group, read inside its rootfs (a symlinked /etc
//! cannot lead to the host's). No NSS: the files are parsed here.

use crate::inroot::Root;
use std::io::Read;
use std::path::Path;

/// The process identity for the OCI spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecUser {
    pub uid: u32,
    pub gid: u32,
    pub additional_gids: Vec<u32>,
    pub home: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    #[error("unable to find user {0}: no matching entries in passwd file")]
    NoUser(String),
    #[error("unable to find group {0}: no matching entries in group file")]
    NoGroup(String),
    #[error("invalid user or group {0:?}: ids must be between 0 and 4294967294")]
    OutOfRange(String),
}

struct PasswdEntry {
    name: String,
    uid: u32,
    gid: u32,
    home: String,
}

struct GroupEntry {
    name: String,
    gid: u32,
    members: Vec<String>,
}

fn parse_passwd(text: &str) -> Vec<PasswdEntry> {
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            Some(PasswdEntry {
                name: fields.first()?.to_string(),
                uid: fields.get(2)?.parse().ok()?,
                gid: fields.get(3)?.parse().ok()?,
                home: fields.get(5).unwrap_or(&"").to_string(),
            })
        })
        .collect()
}

fn parse_group(text: &str) -> Vec<GroupEntry> {
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            Some(GroupEntry {
                name: fields.first()?.to_string(),
                gid: fields.get(2)?.parse().ok()?,
                members: fields
                    .get(3)
                    .map(|m| {
                        m.split(',')
                            .filter(|s| !s.is_empty())
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default(),
            })
        })
        .collect()
}

fn numeric(text: &str) -> Result<Option<u32>, UserError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    match text.parse::<u64>() {
        Ok(n) if n < u64::from(u32::MAX) => Ok(Some(n as u32)),
        _ => Err(UserError::OutOfRange(text.to_string())),
    }
}

/// Resolves `spec` and `group_add` against the two files' contents
/// (empty when a file is missing), as libcontainer's `GetExecUser` does.
pub fn resolve_user(
    spec: &str,
    group_add: &[String],
    passwd: &str,
    group: &str,
) -> Result<ExecUser, UserError> {
    let users = parse_passwd(passwd);
    let groups = parse_group(group);
    let (user_part, group_part) = match spec.split_once(':') {
        Some((user, group)) => (user, Some(group)),
        None => (spec, None),
    };
    let mut exec = ExecUser {
        uid: 0,
        gid: 0,
        additional_gids: Vec::new(),
        home: "/".to_string(),
    };
    let user_part = if user_part.is_empty() { "0" } else { user_part };
    let uid_number = numeric(user_part)?;
    let matched = users.iter().find(|u| match uid_number {
        Some(uid) => u.uid == uid,
        None => u.name == user_part,
    });
    match (matched, uid_number) {
        (Some(entry), _) => {
            exec.uid = entry.uid;
            exec.gid = entry.gid;
            if !entry.home.is_empty() {
                exec.home = entry.home.clone();
            }
        }
        (None, Some(uid)) => exec.uid = uid,
        (None, None) => return Err(UserError::NoUser(user_part.to_string())),
    }
    match group_part.filter(|g| !g.is_empty()) {
        Some(group_spec) => {
            let gid_number = numeric(group_spec)?;
            let found = groups.iter().find(|g| match gid_number {
                Some(gid) => g.gid == gid,
                None => g.name == group_spec,
            });
            exec.gid = match (found, gid_number) {
                (Some(entry), _) => entry.gid,
                (None, Some(gid)) => gid,
                (None, None) => return Err(UserError::NoGroup(group_spec.to_string())),
            };
        }
        None => {
            if let Some(entry) = matched {
                for g in groups.iter().filter(|g| g.members.contains(&entry.name)) {
                    if !exec.additional_gids.contains(&g.gid) {
                        exec.additional_gids.push(g.gid);
                    }
                }
            }
        }
    }
    for added in group_add {
        let gid = match numeric(added)? {
            Some(gid) => gid,
            None => groups
                .iter()
                .find(|g| g.name == *added)
                .map(|g| g.gid)
                .ok_or_else(|| UserError::NoGroup(added.clone()))?,
        };
        if !exec.additional_gids.contains(&gid) {
            exec.additional_gids.push(gid);
        }
    }
    Ok(exec)
}

/// Reads `inner` (such as `/etc/passwd`) inside `rootfs`; missing or
/// unreadable files read as empty, as libcontainer treats them.
fn read_in_root(root: &Root, inner: &str) -> String {
    let Ok(fd) = root.open_at(Path::new(inner), libc::O_RDONLY, 0) else {
        return String::new();
    };
    let mut text = String::new();
    let _ = std::fs::File::from(fd)
        .take(16 << 20)
        .read_to_string(&mut text);
    text
}

/// Resolves the user of a container whose root filesystem is at `rootfs`.
pub fn resolve_in_rootfs(
    rootfs: &Path,
    spec: &str,
    group_add: &[String],
) -> Result<ExecUser, UserError> {
    match Root::open(rootfs) {
        Ok(root) => resolve_in_root(&root, spec, group_add),
        Err(_) => resolve_user(spec, group_add, "", ""),
    }
}

/// Resolves the user from the passwd and group files inside `root`.
pub fn resolve_in_root(
    root: &Root,
    spec: &str,
    group_add: &[String],
) -> Result<ExecUser, UserError> {
    let passwd = read_in_root(root, "/etc/passwd");
    let group = read_in_root(root, "/etc/group");
    resolve_user(spec, group_add, &passwd, &group)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str =
        "root:x:0:0:root:/root:/bin/sh\nwww:x:33:33:www:/var/www:/bin/false\n# comment\nbad line\n";
    const GROUP: &str = "root:x:0:\nwww:x:33:\nstaff:x:50:www,other\naudio:x:29:www\n";

    fn resolve(spec: &str, add: &[&str]) -> Result<ExecUser, UserError> {
        let add: Vec<String> = add.iter().map(|s| s.to_string()).collect();
        resolve_user(spec, &add, PASSWD, GROUP)
    }

    #[test]
    fn names_and_numbers() {
        let root = resolve("", &[]).unwrap();
        assert_eq!((root.uid, root.gid, root.home.as_str()), (0, 0, "/root"));
        let www = resolve("www", &[]).unwrap();
        assert_eq!((www.uid, www.gid, www.home.as_str()), (33, 33, "/var/www"));
        assert_eq!(www.additional_gids, [50, 29]);
        let numeric = resolve("1000:1000", &[]).unwrap();
        assert_eq!(
            (numeric.uid, numeric.gid, numeric.home.as_str()),
            (1000, 1000, "/")
        );
        assert!(numeric.additional_gids.is_empty());
        // A uid in passwd takes that entry's home and group.
        assert_eq!(resolve("33", &[]).unwrap().home, "/var/www");
        let explicit = resolve("www:staff", &[]).unwrap();
        assert_eq!((explicit.gid, explicit.additional_gids.len()), (50, 0));
        assert_eq!(
            resolve("www", &["audio", "7"]).unwrap().additional_gids,
            [50, 29, 7]
        );
    }

    #[test]
    fn misses_say_which_file() {
        assert_eq!(
            resolve("nobody", &[]).unwrap_err().to_string(),
            "unable to find user nobody: no matching entries in passwd file"
        );
        assert_eq!(
            resolve("www:wheel", &[]).unwrap_err().to_string(),
            "unable to find group wheel: no matching entries in group file"
        );
        assert!(resolve("", &["nogroup"]).is_err());
        assert!(matches!(
            resolve("99999999999", &[]),
            Err(UserError::OutOfRange(_))
        ));
    }

    #[test]
    fn reads_inside_the_rootfs_only() {
        let dir = std::env::temp_dir().join(format!("dockbox-user-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("etc")).unwrap();
        std::fs::write(dir.join("etc/passwd"), PASSWD).unwrap();
        // A group file that escapes to the host's must not be followed out.
        std::os::unix::fs::symlink("/../../etc/group-dockbox-missing", dir.join("etc/group"))
            .unwrap();
        let www = resolve_in_rootfs(&dir, "www", &[]).unwrap();
        assert_eq!((www.uid, www.additional_gids.len()), (33, 0));
        assert_eq!(
            resolve_in_rootfs(Path::new("/nonexistent-rootfs"), "5:6", &[])
                .unwrap()
                .uid,
            5
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
