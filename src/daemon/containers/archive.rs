//! `HEAD|GET|PUT /containers/{id}/archive?path=`: what `docker cp` asks
//! of a container's filesystem. HEAD answers only the stat header, GET a
//! tar of the path, PUT extracts a tar into a directory. Paths are the
//! container's (volumes and binds included, see `archive_fs`), resolved
//! by the kernel inside its root, and held as descriptors from then on.

use super::archive_fs::{resolve_in_scope, with_container_fs};
use super::record::ContainerRecord;
use crate::api::ApiError;
use crate::api::archive::{PATH_STAT_HEADER, PathStat, go_file_mode};
use crate::daemon::log;
use crate::daemon::route::{Call, Reply};
use crate::daemon::state::Daemon;
use crate::http::{Headers, Response};
use crate::image::layer::{CopyOptions, LayerError, extract_copy};
use crate::inroot::{InRootError, Root};
use crate::tarball::Tarballer;
use std::ffi::CString;
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::Path;

/// The path a request names, as moby reads it: absolute in the
/// container, cleaned, with a trailing `/` or `/.` kept (they mean "the
/// directory" and "the directory's contents").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AskedPath {
    /// As given, for messages.
    pub given: String,
    pub absolute: String,
}

impl AskedPath {
    pub fn parse(given: Option<&str>) -> Result<AskedPath, ApiError> {
        let given = given.unwrap_or("");
        if given.is_empty() {
            // moby's text, its missing space included.
            return Err(ApiError::invalid("bad parameter: pathcannot be empty"));
        }
        let mut absolute = clean_absolute(given);
        let names_current_dir = |path: &str| path == "." || path.ends_with("/.");
        if !names_current_dir(&absolute) && names_current_dir(given) {
            if !absolute.ends_with('/') {
                absolute.push('/');
            }
            absolute.push('.');
        }
        if !absolute.ends_with('/') && given.ends_with('/') {
            absolute.push('/');
        }
        Ok(AskedPath {
            given: given.to_string(),
            absolute,
        })
    }

    /// The directory part (up to the last `/`) and the final name, which
    /// is empty or `.` for a path that ends in `/` or `/.`.
    fn split(&self) -> (&str, &str) {
        let at = self.absolute.rfind('/').map_or(0, |at| at + 1);
        self.absolute.split_at(at)
    }

    /// Go's `filepath.Base`: the last name, trailing slashes ignored.
    fn base_name(&self) -> &str {
        let trimmed = self.absolute.trim_end_matches('/');
        if trimmed.is_empty() {
            return "/";
        }
        trimmed.rsplit('/').next().unwrap_or(trimmed)
    }
}

/// Go's `filepath.Clean` of `/` joined with `path`.
fn clean_absolute(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            name => parts.push(name),
        }
    }
    format!("/{}", parts.join("/"))
}

fn not_found(asked: &AskedPath, container: &str) -> ApiError {
    ApiError::not_found(format!(
        "Could not find the file {} in container {container}",
        asked.given
    ))
}

fn is_missing(error: &InRootError) -> bool {
    let InRootError::Io { source, .. } = error;
    matches!(source.raw_os_error(), Some(libc::ENOENT | libc::ENOTDIR))
}

/// What the asked path names: the directory it is in (or the directory
/// itself, with an empty name, for a path ending in `/` or `/.`).
struct Found {
    dir: OwnedFd,
    name: CString,
    stat: PathStat,
}

fn find(root: &Root, asked: &AskedPath, container: &str) -> Result<Found, ApiError> {
    let (dir_part, name_part) = asked.split();
    let dir = root
        .open_at(Path::new(dir_part), libc::O_PATH | libc::O_DIRECTORY, 0)
        .map_err(|e| {
            if is_missing(&e) {
                not_found(asked, container)
            } else {
                ApiError::internal(e.to_string())
            }
        })?;
    let name = match name_part {
        "" | "." => CString::default(),
        name => CString::new(name).map_err(|_| ApiError::invalid("path with a NUL byte"))?,
    };
    let mut flags = libc::AT_SYMLINK_NOFOLLOW;
    if name.is_empty() {
        flags |= libc::AT_EMPTY_PATH;
    }
    // SAFETY: stat is plain data, filled by the kernel on success.
    let mut raw: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: name is NUL-terminated and raw is writable.
    if unsafe { libc::fstatat(dir.as_raw_fd(), name.as_ptr(), &mut raw, flags) } != 0 {
        let error = io::Error::last_os_error();
        return Err(match error.raw_os_error() {
            Some(libc::ENOENT | libc::ENOTDIR) => not_found(asked, container),
            _ => ApiError::internal(format!("lstat {}: {error}", asked.absolute)),
        });
    }
    let mode = go_file_mode(raw.st_mode);
    let mut stat = PathStat {
        name: asked.base_name().to_string(),
        size: raw.st_size,
        mode,
        mtime: crate::gofmt::time::UnixTime::from_nanos(
            i128::from(raw.st_mtime) * 1_000_000_000 + i128::from(raw.st_mtime_nsec),
        )
        .rfc3339_nano(0),
        link_target: String::new(),
    };
    if stat.is_symlink() {
        stat.link_target = resolve_in_scope(root, Path::new(&asked.absolute))?
            .display()
            .to_string();
    }
    Ok(Found { dir, name, stat })
}

/// `HEAD /containers/{id}/archive`: the stat header alone.
pub fn stat_route(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let given = call.param("id")?.to_string();
    let asked = AskedPath::parse(call.query.get("path"))?;
    let record = daemon.find_container(&given)?;
    let stat = with_container_fs(daemon, &record, |root| {
        find(root, &asked, &given).map(|found| found.stat)
    })?;
    Ok(Reply::Response(
        Response::empty(200).with_header(PATH_STAT_HEADER, stat.header_value()),
    ))
}

/// `GET /containers/{id}/archive`: a tar of the path, its entries named
/// from the path's last name (`.` for a path ending in `/.`).
pub fn get_route(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let given = call.param("id")?.to_string();
    let asked = AskedPath::parse(call.query.get("path"))?;
    let record = daemon.find_container(&given)?;
    let exchange = &mut *call.exchange;
    with_container_fs(daemon, &record, |root| {
        let found = find(root, &asked, &given)?;
        let mut headers = Headers::new();
        headers.add("Content-Type", "application/x-tar");
        headers.add(PATH_STAT_HEADER, found.stat.header_value());
        let writer = exchange
            .stream(200, &headers)
            .map_err(|e| ApiError::internal(format!("start archive stream: {e}")))?;
        daemon.log_container_event(&record, "archive-path", &[]);
        let mut tarball = Tarballer::new(io::BufWriter::with_capacity(64 << 10, writer));
        let sent = tarball
            .add(found.dir.as_fd(), &found.name, asked.base_name().as_bytes())
            .and_then(|()| tarball.finish())
            .and_then(|out| out.into_inner().map_err(|e| e.into_error()))
            .and_then(|mut writer| {
                writer.flush()?;
                writer.finish().map(drop)
            });
        // Dropped unfinished, the stream ends without its last chunk and
        // the client sees a broken archive rather than a short one.
        if let Err(error) = sent {
            log::warn(&format!("archive {}: {error}", asked.absolute));
        }
        Ok(())
    })?;
    Ok(Reply::Done)
}

/// `PUT /containers/{id}/archive`: extracts the body into the directory
/// at the path (a symlink to one is followed).
pub fn put_route(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let given = call.param("id")?.to_string();
    let asked = AskedPath::parse(call.query.get("path"))?;
    let copy_uid_gid = call.query.bool("copyUIDGID");
    let no_overwrite_dir_non_dir = call.query.bool("noOverwriteDirNonDir");
    let record = daemon.find_container(&given)?;
    // Large reads: the tar's small headers would otherwise each cost a
    // read of the connection.
    let body = io::BufReader::with_capacity(256 << 10, call.exchange.body());
    with_container_fs(daemon, &record, |root| {
        let dest = root
            .open_at(Path::new(&asked.absolute), libc::O_PATH, 0)
            .map_err(|e| {
                if is_missing(&e) {
                    not_found(&asked, &given)
                } else {
                    ApiError::internal(e.to_string())
                }
            })?;
        let meta = std::fs::metadata(crate::inroot::fd_path(dest.as_fd()))
            .map_err(|e| ApiError::internal(format!("stat {}: {e}", asked.absolute)))?;
        if !meta.is_dir() {
            // 500, as dockerd 20.10 answers.
            return Err(ApiError::internal("extraction point is not a directory"));
        }
        let inside = resolve_in_scope(root, Path::new(&asked.absolute))?;
        check_writable(&record, &inside)?;
        let chown = if copy_uid_gid {
            container_user(root, &record)?
        } else {
            None
        };
        let options = CopyOptions {
            chown,
            no_overwrite_dir_non_dir,
        };
        let dest_root = Root::from_fd(
            dest,
            root.path()
                .join(inside.strip_prefix("/").unwrap_or(&inside)),
        );
        extract_copy(&dest_root, body, options).map_err(|error| extract_error(error, &inside))?;
        Ok(())
    })?;
    daemon.log_container_event(&record, "extract-to-dir", &[]);
    Ok(Reply::Response(Response::empty(200)))
}

/// A failed extraction as dockerd 20.10 words it (its untar ran in a
/// child chrooted into the container, whose exit it reports).
fn extract_error(error: LayerError, dest: &Path) -> ApiError {
    let message = match error {
        LayerError::Overwrite { path, directory } => {
            let (existing, new) = if directory {
                ("directory", "non-directory")
            } else {
                ("non-directory", "directory")
            };
            format!(
                "cannot overwrite {existing} {:?} with {new} {:?}",
                dest.join(path),
                dest
            )
        }
        other => other.to_string(),
    };
    ApiError::internal(format!(
        "Error processing tar file(exit status 1): {message}"
    ))
}

/// moby's refusals: a read-only volume, or a read-only root filesystem
/// for a path in no volume (500s in dockerd 20.10).
fn check_writable(record: &ContainerRecord, inside: &Path) -> Result<(), ApiError> {
    let mounts =
        super::spec_mounts::user_mounts(record).map_err(|e| ApiError::internal(e.to_string()))?;
    let mut in_volume = false;
    for mount in &mounts {
        if inside.starts_with(mount.destination()) {
            let options = mount.options().clone().unwrap_or_default();
            if options.iter().any(|o| o == "ro") {
                return Err(ApiError::internal("mounted volume is marked read-only"));
            }
            in_volume = true;
        }
    }
    if !in_volume && record.host_config.readonly_rootfs {
        return Err(ApiError::internal("container rootfs is marked read-only"));
    }
    Ok(())
}

/// The uid and gid of the container's `User`, from its own /etc/passwd
/// and /etc/group (read by our parser: nothing of the container is
/// loaded in the daemon, CVE-2019-14271); None when it runs as root.
fn container_user(root: &Root, record: &ContainerRecord) -> Result<Option<(u32, u32)>, ApiError> {
    let spec = &record.config.user;
    if spec.is_empty() {
        return Ok(None);
    }
    let user = super::user::resolve_in_root(root, spec, &[])
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(Some((user.uid, user.gid)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn absolute(given: &str) -> String {
        AskedPath::parse(Some(given)).unwrap().absolute
    }

    #[test]
    fn paths_keep_their_trailing_meaning() {
        assert_eq!(absolute("etc"), "/etc");
        assert_eq!(absolute("/etc/"), "/etc/");
        assert_eq!(absolute("/etc/."), "/etc/.");
        assert_eq!(absolute("/etc/./"), "/etc/");
        assert_eq!(absolute("."), "/.");
        assert_eq!(absolute("/"), "/");
        assert_eq!(absolute("../../x/../y"), "/y");
        let asked = AskedPath::parse(Some("/a/b/.")).unwrap();
        assert_eq!((asked.split(), asked.base_name()), (("/a/b/", "."), "."));
        let asked = AskedPath::parse(Some("/a/b/")).unwrap();
        assert_eq!((asked.split(), asked.base_name()), (("/a/b/", ""), "b"));
        assert_eq!(AskedPath::parse(Some("/")).unwrap().base_name(), "/");
        assert_eq!(
            AskedPath::parse(None).unwrap_err().to_string(),
            "bad parameter: pathcannot be empty"
        );
    }
}
