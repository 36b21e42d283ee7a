//! The container process as the spec describes it, prepared in the parent
//! (all parsing and allocation before the clone) and applied in the init
//! just before execve.

use crate::inroot::{InRootError, Root};
use oci_spec::runtime::{PosixRlimitType, Spec};
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("config.json has no process")]
    NoProcess,
    #[error("process.args must not be empty")]
    NoArgs,
    #[error("{what} contains a NUL byte")]
    Nul { what: &'static str },
    #[error("exec: \"{0}\": executable file not found in $PATH")]
    NotFound(String),
    /// A path given with a slash that cannot be executed, with Go's words
    /// (`stat /x: no such file or directory`, `permission denied`, `is a
    /// directory`), which the Docker CLI turns into exit status 126/127.
    #[error("exec: \"{path}\": {reason}")]
    Unusable { path: String, reason: String },
    /// The cwd led out of the container's root: through an fd of the host
    /// (`/proc/self/fd/N`), say. getcwd shows such a cwd as
    /// `(unreachable)/...` or fails with ENOENT.
    #[error(
        "current working directory {cwd} is outside of the container's root ({seen}): \
         possible container breakout detected"
    )]
    CwdOutsideRoot { cwd: String, seen: String },
    #[error("chdir to cwd ({cwd:?}) set in config.json failed: {}", go_errno_text(.source))]
    Chdir { cwd: String, source: std::io::Error },
    #[error("make cwd {cwd}: {source}")]
    MakeCwd { cwd: String, source: InRootError },
    #[error("{op} {target}: {source}")]
    Os {
        op: &'static str,
        target: String,
        source: std::io::Error,
    },
}

fn os(op: &'static str, target: impl Into<String>) -> ProcessError {
    ProcessError::Os {
        op,
        target: target.into(),
        source: std::io::Error::last_os_error(),
    }
}

fn c_string(bytes: &[u8], what: &'static str) -> Result<CString, ProcessError> {
    CString::new(bytes).map_err(|_| ProcessError::Nul { what })
}

#[derive(Debug)]
pub struct Rlimit {
    pub resource: libc::c_int,
    pub soft: u64,
    pub hard: u64,
}

/// Everything the init needs to become the user's process.
#[derive(Debug)]
pub struct PreparedProcess {
    pub args: Vec<CString>,
    pub env: Vec<CString>,
    /// The PATH from `env`, for the executable lookup inside the container.
    pub path_env: Option<String>,
    pub cwd: PathBuf,
    pub uid: u32,
    pub gid: u32,
    pub additional_gids: Vec<libc::gid_t>,
    pub umask: Option<u32>,
    pub rlimits: Vec<Rlimit>,
    pub no_new_privileges: bool,
    pub oom_score_adj: Option<i32>,
    pub hostname: Option<CString>,
    pub domainname: Option<CString>,
    pub sysctl: Vec<(PathBuf, String)>,
    pub terminal: bool,
    /// (rows, columns)
    pub console_size: Option<(u16, u16)>,
}

impl PreparedProcess {
    /// `extra_env` (LISTEN_FDS and friends) is appended to the spec's env.
    pub fn from_spec(spec: &Spec, extra_env: &[String]) -> Result<PreparedProcess, ProcessError> {
        let process = spec.process().as_ref().ok_or(ProcessError::NoProcess)?;
        let args = process
            .args()
            .as_ref()
            .filter(|args| !args.is_empty())
            .ok_or(ProcessError::NoArgs)?
            .iter()
            .map(|arg| c_string(arg.as_bytes(), "process.args"))
            .collect::<Result<Vec<_>, _>>()?;
        let spec_env = process.env().clone().unwrap_or_default();
        let path_env = spec_env
            .iter()
            .rev()
            .find_map(|pair| pair.strip_prefix("PATH="))
            .map(str::to_string);
        let env = spec_env
            .iter()
            .chain(extra_env)
            .map(|pair| c_string(pair.as_bytes(), "process.env"))
            .collect::<Result<Vec<_>, _>>()?;
        let user = process.user();
        let rlimits = process
            .rlimits()
            .iter()
            .flatten()
            .map(|limit| Rlimit {
                resource: rlimit_resource(limit.typ()),
                soft: limit.soft(),
                hard: limit.hard(),
            })
            .collect();
        let linux = spec.linux().as_ref();
        let sysctl = linux
            .and_then(|l| l.sysctl().as_ref())
            .map(|map| {
                let mut pairs: Vec<(PathBuf, String)> = map
                    .iter()
                    .map(|(key, value)| {
                        let relative = key.replace('.', "/");
                        (Path::new("/proc/sys").join(relative), value.clone())
                    })
                    .collect();
                pairs.sort();
                pairs
            })
            .unwrap_or_default();
        Ok(PreparedProcess {
            args,
            env,
            path_env,
            cwd: process.cwd().clone(),
            uid: user.uid(),
            gid: user.gid(),
            additional_gids: user.additional_gids().clone().unwrap_or_default(),
            umask: user.umask(),
            rlimits,
            no_new_privileges: process.no_new_privileges().unwrap_or(false),
            oom_score_adj: process.oom_score_adj(),
            hostname: spec
                .hostname()
                .as_ref()
                .map(|h| c_string(h.as_bytes(), "hostname"))
                .transpose()?,
            domainname: spec
                .domainname()
                .as_ref()
                .map(|d| c_string(d.as_bytes(), "domainname"))
                .transpose()?,
            sysctl,
            terminal: process.terminal().unwrap_or(false),
            console_size: process
                .console_size()
                .as_ref()
                .map(|size| (size.height() as u16, size.width() as u16)),
        })
    }

    pub fn set_hostnames(&self) -> Result<(), ProcessError> {
        if let Some(name) = &self.hostname {
            // SAFETY: name is NUL-terminated and its length is passed.
            if unsafe { libc::sethostname(name.as_ptr(), name.as_bytes().len()) } != 0 {
                return Err(os("sethostname", name.to_string_lossy()));
            }
        }
        if let Some(name) = &self.domainname {
            // SAFETY: as above.
            if unsafe { libc::setdomainname(name.as_ptr(), name.as_bytes().len()) } != 0 {
                return Err(os("setdomainname", name.to_string_lossy()));
            }
        }
        Ok(())
    }

    /// Through [`super::procfs::write`]: a file mounted over the sysctl's
    /// procfs file must not take the write.
    pub fn write_sysctls(&self) -> Result<(), ProcessError> {
        for (path, value) in &self.sysctl {
            super::procfs::write(path, value.as_bytes()).map_err(|source| ProcessError::Os {
                op: "write sysctl",
                target: path.display().to_string(),
                source,
            })?;
        }
        Ok(())
    }

    pub fn write_oom_score_adj(&self) -> Result<(), ProcessError> {
        if let Some(score) = self.oom_score_adj {
            std::fs::write("/proc/self/oom_score_adj", score.to_string()).map_err(|source| {
                ProcessError::Os {
                    op: "write",
                    target: "/proc/self/oom_score_adj".into(),
                    source,
                }
            })?;
        }
        Ok(())
    }

    /// rlimits, no_new_privs and umask: what stays across the setuid.
    pub fn apply_limits(&self) -> Result<(), ProcessError> {
        for limit in &self.rlimits {
            let value = libc::rlimit {
                rlim_cur: limit.soft,
                rlim_max: limit.hard,
            };
            // SAFETY: value is a valid rlimit.
            if unsafe { libc::setrlimit(limit.resource as _, &value) } != 0 {
                return Err(os("setrlimit", format!("resource {}", limit.resource)));
            }
        }
        if self.no_new_privileges {
            // SAFETY: prctl with integer arguments.
            if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
                return Err(os("prctl", "PR_SET_NO_NEW_PRIVS"));
            }
        }
        // runc's default is 022 whatever the caller's umask.
        let mask = self.umask.unwrap_or(0o022);
        // SAFETY: umask cannot fail.
        unsafe { libc::umask(mask as libc::mode_t) };
        Ok(())
    }

    /// The cwd, created (as root, before the setuid) when missing. Resolved
    /// inside our root and without magic links, so that a cwd at or below
    /// `/proc/self/fd/N` never makes a directory outside the container.
    pub fn make_cwd(&self) -> Result<(), ProcessError> {
        let made = Root::open(Path::new("/")).and_then(|root| root.mkdir_all(&self.cwd, 0o755));
        made.map(drop).map_err(|source| ProcessError::MakeCwd {
            cwd: self.cwd.display().to_string(),
            source,
        })
    }

    /// Enters the cwd as root, before the setuid (and before any seccomp
    /// filter), as runc does: a directory only root may enter still works.
    /// Ok(false) when root may not enter it (a root-squashed mount, say):
    /// call [`PreparedProcess::enter_cwd`] again after the setuid.
    pub fn enter_cwd_as_root(&self) -> Result<bool, ProcessError> {
        match self.enter_cwd() {
            Err(ProcessError::Chdir { source, .. })
                if matches!(
                    source.raw_os_error(),
                    Some(libc::EACCES) | Some(libc::EPERM)
                ) =>
            {
                Ok(false)
            }
            other => other.map(|()| true),
        }
    }

    /// chdir into the cwd, then make sure it lies inside our root.
    pub fn enter_cwd(&self) -> Result<(), ProcessError> {
        std::env::set_current_dir(&self.cwd).map_err(|source| ProcessError::Chdir {
            cwd: self.cwd.display().to_string(),
            source,
        })?;
        self.verify_cwd_inside_root()
    }

    /// getcwd(2) names the cwd from our root; a cwd the root does not
    /// contain comes back as `(unreachable)/...`, or as ENOENT.
    fn verify_cwd_inside_root(&self) -> Result<(), ProcessError> {
        let mut buffer = vec![0u8; libc::PATH_MAX as usize + 1];
        // SAFETY: the kernel writes at most buffer.len() bytes.
        let rc = unsafe { libc::syscall(libc::SYS_getcwd, buffer.as_mut_ptr(), buffer.len()) };
        let outside = |seen: String| ProcessError::CwdOutsideRoot {
            cwd: self.cwd.display().to_string(),
            seen,
        };
        if rc < 0 {
            let error = std::io::Error::last_os_error();
            if error.raw_os_error() == Some(libc::ENOENT) {
                return Err(outside(format!("getcwd: {error}")));
            }
            return Err(ProcessError::Os {
                op: "getcwd after chdir to",
                target: self.cwd.display().to_string(),
                source: error,
            });
        }
        if buffer.first() != Some(&b'/') {
            let end = buffer.iter().position(|&b| b == 0).unwrap_or(buffer.len());
            return Err(outside(
                String::from_utf8_lossy(&buffer[..end]).into_owned(),
            ));
        }
        Ok(())
    }

    /// Supplementary groups, gid, uid. The cwd is entered apart, see
    /// [`PreparedProcess::enter_cwd_as_root`].
    /// Gives stdio (the pty, or the caller's pipes and files) to the user
    /// we are about to become, as runc does, so that a non-root process can
    /// use its console; the group stays (devpts makes ptys group tty).
    /// /dev/null and what we may not change (an unmapped owner, a
    /// read-only file system) are left alone.
    pub fn give_stdio_to_user(&self) -> Result<(), ProcessError> {
        let Ok(null) = stat_path(c"/dev/null") else {
            return Err(os("stat", "/dev/null"));
        };
        for fd in 0..3 {
            // SAFETY: fstat writes a stat buffer we own.
            let mut stat: libc::stat = unsafe { std::mem::zeroed() };
            // SAFETY: as above.
            if unsafe { libc::fstat(fd, &mut stat) } != 0 {
                return Err(os("fstat", format!("fd {fd}")));
            }
            if stat.st_uid == self.uid || stat.st_rdev == null.st_rdev {
                continue;
            }
            // SAFETY: a plain syscall on our own fd.
            if unsafe { libc::fchown(fd, self.uid, stat.st_gid) } != 0 {
                let errno = std::io::Error::last_os_error().raw_os_error();
                if !matches!(errno, Some(libc::EINVAL | libc::EPERM | libc::EROFS)) {
                    return Err(os("fchown", format!("fd {fd}")));
                }
            }
        }
        Ok(())
    }

    pub fn become_user(&self) -> Result<(), ProcessError> {
        // SAFETY: the slice is valid for its length.
        let rc =
            unsafe { libc::setgroups(self.additional_gids.len(), self.additional_gids.as_ptr()) };
        // Inside a user namespace with setgroups denied, keep going as runc does
        // when there is nothing to set.
        if rc != 0 && !self.additional_gids.is_empty() {
            return Err(os("setgroups", format!("{:?}", self.additional_gids)));
        }
        // SAFETY: plain syscalls with integer arguments.
        if unsafe { libc::setresgid(self.gid, self.gid, self.gid) } != 0 {
            return Err(os("setresgid", self.gid.to_string()));
        }
        // SAFETY: as above.
        if unsafe { libc::setresuid(self.uid, self.uid, self.uid) } != 0 {
            return Err(os("setresuid", self.uid.to_string()));
        }
        Ok(())
    }

    /// Name and home directory of our uid in the container's /etc/passwd.
    fn passwd_entry(&self) -> Option<(String, String)> {
        let uid = self.uid.to_string();
        let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
        passwd.lines().find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            (fields.len() > 5 && fields[2] == uid)
                .then(|| (fields[0].to_string(), fields[5].to_string()))
        })
    }

    /// HOME for the environment when the spec sets none, as runc does: the
    /// user's home from /etc/passwd, or `/`.
    pub fn home_env(&self) -> Option<CString> {
        if self
            .env
            .iter()
            .any(|pair| pair.to_bytes().starts_with(b"HOME="))
        {
            return None;
        }
        let home = self
            .passwd_entry()
            .map(|(_, home)| home)
            .unwrap_or_else(|| "/".to_string());
        CString::new(format!("HOME={home}")).ok()
    }

    /// The executable for `args[0]`, searched in the container's PATH like
    /// Go's exec.LookPath when the name has no slash.
    pub fn find_executable(&self) -> Result<CString, ProcessError> {
        let name = self.args[0].to_bytes();
        if name.contains(&b'/') {
            return check_executable(&self.args[0]).map(|()| self.args[0].clone());
        }
        let display = String::from_utf8_lossy(name).into_owned();
        let path = self.path_env.as_deref().unwrap_or("");
        for dir in path.split(':') {
            let dir = if dir.is_empty() { "." } else { dir };
            let mut candidate = Path::new(dir).as_os_str().as_bytes().to_vec();
            candidate.push(b'/');
            candidate.extend_from_slice(name);
            let candidate = c_string(&candidate, "executable path")?;
            if is_executable_file(&candidate) {
                return Ok(candidate);
            }
        }
        Err(ProcessError::NotFound(display))
    }

    /// execve with `extra_env` added; returns only on failure.
    pub fn exec(&self, executable: &CString, extra_env: Option<&CString>) -> ProcessError {
        let mut argv: Vec<*const libc::c_char> = self.args.iter().map(|a| a.as_ptr()).collect();
        argv.push(std::ptr::null());
        let mut envp: Vec<*const libc::c_char> = self
            .env
            .iter()
            .chain(extra_env)
            .map(|e| e.as_ptr())
            .collect();
        envp.push(std::ptr::null());
        // SAFETY: NUL-terminated arrays of C strings that outlive the call.
        unsafe { libc::execve(executable.as_ptr(), argv.as_ptr(), envp.as_ptr()) };
        os("exec", executable.to_string_lossy())
    }
}

/// Go's `exec.LookPath` on a name with a slash: it must exist, not be a
/// directory, and be executable for us.
fn check_executable(path: &CString) -> Result<(), ProcessError> {
    let shown = path.to_string_lossy().into_owned();
    let unusable = |reason: String| ProcessError::Unusable {
        path: shown.clone(),
        reason,
    };
    // SAFETY: stat into a zeroed buffer.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: path is NUL-terminated; stat is writable.
    if unsafe { libc::stat(path.as_ptr(), &mut stat) } != 0 {
        return Err(unusable(format!("stat {shown}: {}", errno_text())));
    }
    if stat.st_mode & libc::S_IFMT == libc::S_IFDIR {
        return Err(unusable("is a directory".into()));
    }
    // SAFETY: path is NUL-terminated.
    if unsafe { libc::access(path.as_ptr(), libc::X_OK) } != 0 {
        return Err(unusable(errno_text()));
    }
    Ok(())
}

/// The errno's text as Go prints it (lowercase, no "(os error n)").
fn errno_text() -> String {
    go_errno_text(&std::io::Error::last_os_error())
}

fn go_errno_text(error: &std::io::Error) -> String {
    match error.raw_os_error() {
        Some(errno) => nix::errno::Errno::from_raw(errno).desc().to_lowercase(),
        None => error.to_string(),
    }
}

fn is_executable_file(path: &CString) -> bool {
    // SAFETY: stat into a zeroed buffer.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: path is NUL-terminated; stat is writable.
    if unsafe { libc::stat(path.as_ptr(), &mut stat) } != 0 {
        return false;
    }
    stat.st_mode & libc::S_IFMT == libc::S_IFREG && stat.st_mode & 0o111 != 0
}

fn rlimit_resource(kind: PosixRlimitType) -> libc::c_int {
    (match kind {
        PosixRlimitType::RlimitCpu => libc::RLIMIT_CPU,
        PosixRlimitType::RlimitFsize => libc::RLIMIT_FSIZE,
        PosixRlimitType::RlimitData => libc::RLIMIT_DATA,
        PosixRlimitType::RlimitStack => libc::RLIMIT_STACK,
        PosixRlimitType::RlimitCore => libc::RLIMIT_CORE,
        PosixRlimitType::RlimitRss => libc::RLIMIT_RSS,
        PosixRlimitType::RlimitNproc => libc::RLIMIT_NPROC,
        PosixRlimitType::RlimitNofile => libc::RLIMIT_NOFILE,
        PosixRlimitType::RlimitMemlock => libc::RLIMIT_MEMLOCK,
        PosixRlimitType::RlimitAs => libc::RLIMIT_AS,
        PosixRlimitType::RlimitLocks => libc::RLIMIT_LOCKS,
        PosixRlimitType::RlimitSigpending => libc::RLIMIT_SIGPENDING,
        PosixRlimitType::RlimitMsgqueue => libc::RLIMIT_MSGQUEUE,
        PosixRlimitType::RlimitNice => libc::RLIMIT_NICE,
        PosixRlimitType::RlimitRtprio => libc::RLIMIT_RTPRIO,
        PosixRlimitType::RlimitRttime => libc::RLIMIT_RTTIME,
    }) as libc::c_int
}

fn stat_path(path: &std::ffi::CStr) -> std::io::Result<libc::stat> {
    // SAFETY: stat writes a buffer we own; the path is NUL-terminated.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    if unsafe { libc::stat(path.as_ptr(), &mut stat) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(stat)
}

#[cfg(test)]
mod tests {
    /// oci-spec checks `execCPUAffinity` with a regex, which comes from
    /// regex-lite through vendor/regex-lite-as-regex: lists and ranges of
    /// CPUs pass, anything else is refused while the spec is read.
    #[test]
    fn exec_cpu_affinity_is_checked_when_a_process_is_read() {
        let read = |affinity: &str| {
            let json = serde_json::json!({
                "cwd": "/",
                "user": {"uid": 0, "gid": 0},
                "execCPUAffinity": {"initial": affinity, "final": "0"}
            });
            serde_json::from_value::<oci_spec::runtime::Process>(json).is_ok()
        };
        for good in ["0", "0-3", "1,3-5,7", "12-15,31"] {
            assert!(read(good), "{good}");
        }
        for bad in ["", "a", "1-", "-1", "1,,2", "1 ,2", "٣"] {
            assert!(!read(bad), "{bad}");
        }
    }
}
