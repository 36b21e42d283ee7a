//! Syscall names to numbers for the architectures we compile filters for.
//! The tables are generated from the kernel's uapi headers
//! (`asm/unistd_64.h` for x86_64, `asm-generic/unistd.h` for aarch64).

use std::collections::HashMap;
use std::sync::OnceLock;

const X86_64_TABLE: &str = include_str!("syscalls_x86_64.txt");
const AARCH64_TABLE: &str = include_str!("syscalls_aarch64.txt");
const I386_TABLE: &str = include_str!("syscalls_i386.txt");

/// An architecture a filter can be compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeccompArch {
    X86_64,
    Aarch64,
    /// The i386 ABI of an x86_64 kernel (`int 0x80`), filtered next to
    /// x86_64 when a profile lists SCMP_ARCH_X86.
    X86,
}

impl SeccompArch {
    /// The architecture this binary runs on, when we can filter it.
    pub fn native() -> Option<SeccompArch> {
        match std::env::consts::ARCH {
            "x86_64" => Some(SeccompArch::X86_64),
            "aarch64" => Some(SeccompArch::Aarch64),
            _ => None,
        }
    }

    /// The `AUDIT_ARCH_*` value the kernel puts in `seccomp_data.arch`.
    pub fn audit_arch(self) -> u32 {
        match self {
            SeccompArch::X86_64 => 0xc000_003e,
            SeccompArch::Aarch64 => 0xc000_00b7,
            SeccompArch::X86 => 0x4000_0003,
        }
    }

    /// seccompiler has no i386 target: its x86_64 filter is built and the
    /// arch check patched afterwards.
    pub(super) fn seccompiler(self) -> seccompiler::TargetArch {
        match self {
            SeccompArch::X86_64 | SeccompArch::X86 => seccompiler::TargetArch::x86_64,
            SeccompArch::Aarch64 => seccompiler::TargetArch::aarch64,
        }
    }

    /// The OCI (`SCMP_ARCH_*`) name.
    pub fn oci_name(self) -> &'static str {
        match self {
            SeccompArch::X86_64 => "SCMP_ARCH_X86_64",
            SeccompArch::Aarch64 => "SCMP_ARCH_AARCH64",
            SeccompArch::X86 => "SCMP_ARCH_X86",
        }
    }

    /// Go's GOARCH name, which Docker's profile uses in `includes.arches`.
    pub fn go_name(self) -> &'static str {
        match self {
            SeccompArch::X86_64 => "amd64",
            SeccompArch::Aarch64 => "arm64",
            SeccompArch::X86 => "386",
        }
    }

    fn table(self) -> &'static HashMap<&'static str, i64> {
        static X86_64: OnceLock<HashMap<&'static str, i64>> = OnceLock::new();
        static AARCH64: OnceLock<HashMap<&'static str, i64>> = OnceLock::new();
        static I386: OnceLock<HashMap<&'static str, i64>> = OnceLock::new();
        match self {
            SeccompArch::X86 => I386.get_or_init(|| parse_table(I386_TABLE)),
            SeccompArch::X86_64 => X86_64.get_or_init(|| parse_table(X86_64_TABLE)),
            SeccompArch::Aarch64 => AARCH64.get_or_init(|| parse_table(AARCH64_TABLE)),
        }
    }

    /// The number of syscall `name`, or None when this architecture lacks it.
    pub fn syscall_number(self, name: &str) -> Option<i64> {
        self.table().get(name).copied()
    }

    /// Every syscall the table knows, for tests that sweep all of them.
    #[cfg(test)]
    pub fn all_syscalls(self) -> Vec<(&'static str, i64)> {
        let mut all: Vec<_> = self.table().iter().map(|(n, nr)| (*n, *nr)).collect();
        all.sort_by_key(|(_, nr)| *nr);
        all
    }
}

fn parse_table(text: &'static str) -> HashMap<&'static str, i64> {
    text.lines()
        .filter_map(|line| {
            let (name, number) = line.split_once(' ')?;
            Some((name, number.trim().parse().ok()?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::SeccompArch;

    #[test]
    fn tables_know_well_known_syscalls() {
        assert_eq!(SeccompArch::X86_64.syscall_number("mkdir"), Some(83));
        assert_eq!(SeccompArch::X86_64.syscall_number("clone3"), Some(435));
        assert_eq!(SeccompArch::Aarch64.syscall_number("mkdirat"), Some(34));
        assert_eq!(SeccompArch::Aarch64.syscall_number("mkdir"), None);
        assert_eq!(SeccompArch::Aarch64.syscall_number("newfstatat"), Some(79));
        assert_eq!(SeccompArch::X86.syscall_number("mkdir"), Some(39));
        assert_eq!(SeccompArch::X86.syscall_number("socketcall"), Some(102));
        if SeccompArch::native() == Some(SeccompArch::X86_64) {
            assert_eq!(
                SeccompArch::X86_64.syscall_number("unshare"),
                Some(libc::SYS_unshare)
            );
        }
    }
}
