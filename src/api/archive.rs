//! `X-Docker-Container-Path-Stat`: what HEAD and GET
//! `/containers/{id}/archive` say about the path, as base64 (standard
//! alphabet) of JSON, with the mode in Go's `os.FileMode` bits.

use serde::{Deserialize, Serialize};

pub const PATH_STAT_HEADER: &str = "X-Docker-Container-Path-Stat";

/// Go's `os.FileMode` type bits (the permission bits are the low 9).
pub const MODE_DIR: u32 = 1 << 31;
pub const MODE_SYMLINK: u32 = 1 << 27;
pub const MODE_DEVICE: u32 = 1 << 26;
pub const MODE_NAMED_PIPE: u32 = 1 << 25;
pub const MODE_SOCKET: u32 = 1 << 24;
pub const MODE_SETUID: u32 = 1 << 23;
pub const MODE_SETGID: u32 = 1 << 22;
pub const MODE_CHAR_DEVICE: u32 = 1 << 21;
pub const MODE_STICKY: u32 = 1 << 20;
const MODE_TYPE: u32 =
    MODE_DIR | MODE_SYMLINK | MODE_DEVICE | MODE_NAMED_PIPE | MODE_SOCKET | MODE_CHAR_DEVICE;

/// moby's `ContainerPathStat`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathStat {
    pub name: String,
    pub size: i64,
    pub mode: u32,
    /// RFC 3339 with nanoseconds, as Go marshals a time.
    pub mtime: String,
    #[serde(rename = "linkTarget")]
    pub link_target: String,
}

impl PathStat {
    pub fn is_dir(&self) -> bool {
        self.mode & MODE_DIR != 0
    }

    pub fn is_symlink(&self) -> bool {
        self.mode & MODE_SYMLINK != 0
    }

    /// A regular file: no type bit set.
    pub fn is_regular(&self) -> bool {
        self.mode & MODE_TYPE == 0
    }

    /// The header value: base64 of the JSON.
    pub fn header_value(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        crate::gofmt::base64::encode_standard(&json)
    }

    /// Reads a header value; None if it is not base64 of the JSON.
    pub fn from_header_value(value: &str) -> Option<PathStat> {
        let json = crate::gofmt::base64::decode_any(value.trim())?;
        serde_json::from_slice(&json).ok()
    }
}

/// Go's `os.FileMode` of a stat(2) `st_mode`.
pub fn go_file_mode(st_mode: u32) -> u32 {
    let mut mode = st_mode & 0o777;
    mode |= match st_mode & libc::S_IFMT {
        libc::S_IFDIR => MODE_DIR,
        libc::S_IFLNK => MODE_SYMLINK,
        libc::S_IFBLK => MODE_DEVICE,
        libc::S_IFCHR => MODE_DEVICE | MODE_CHAR_DEVICE,
        libc::S_IFIFO => MODE_NAMED_PIPE,
        libc::S_IFSOCK => MODE_SOCKET,
        _ => 0,
    };
    for (bit, go_bit) in [
        (libc::S_ISUID, MODE_SETUID),
        (libc::S_ISGID, MODE_SETGID),
        (libc::S_ISVTX, MODE_STICKY),
    ] {
        if st_mode & bit != 0 {
            mode |= go_bit;
        }
    }
    mode
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_and_header_round_trip() {
        assert_eq!(go_file_mode(libc::S_IFDIR | 0o755), MODE_DIR | 0o755);
        assert_eq!(go_file_mode(libc::S_IFREG | 0o4644), MODE_SETUID | 0o644);
        assert_eq!(
            go_file_mode(libc::S_IFCHR | 0o666),
            MODE_DEVICE | MODE_CHAR_DEVICE | 0o666
        );
        let stat = PathStat {
            name: "etc".into(),
            size: 4096,
            mode: MODE_DIR | 0o755,
            mtime: "2024-01-02T03:04:05.000000006Z".into(),
            link_target: String::new(),
        };
        let value = stat.header_value();
        let json = crate::gofmt::base64::decode_any(&value).unwrap();
        assert_eq!(
            String::from_utf8(json).unwrap(),
            r#"{"name":"etc","size":4096,"mode":2147484141,"mtime":"2024-01-02T03:04:05.000000006Z","linkTarget":""}"#
        );
        assert_eq!(PathStat::from_header_value(&value), Some(stat.clone()));
        assert!(stat.is_dir() && !stat.is_regular() && !stat.is_symlink());
    }
}
