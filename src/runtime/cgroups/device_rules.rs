//! The device rules of a cgroup as a state rather than a list: a default
//! (allow or deny everything) and the exceptions to it, each a device
//! pattern with the accesses it differs in. The OCI list is replayed onto
//! that state in order, as the v1 devices cgroup itself would, so that
//! repeated or redundant rules vanish; v1 then writes only the difference
//! from what `devices.list` shows, and v2 compiles the state into its eBPF
//! program. This is the behaviour of runc's device-rule emulator (rules a
//! later one overrides are dropped, a deny-all or allow-all resets the
//! exceptions, a type-`a` rule means "everything" whatever its numbers and
//! access say).

use std::collections::BTreeMap;

use oci_spec::runtime::{LinuxDeviceCgroup, LinuxDeviceType};

use super::CgroupError;

/// Accesses to a device node, as a set of `r`, `w` and `m`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Access(u8);

impl Access {
    const READ: u8 = 1;
    const WRITE: u8 = 2;
    const MKNOD: u8 = 4;

    /// The letters it knows; others are ignored (the kernel would refuse
    /// them, but a rule that only repeats the default is never written).
    pub fn parse(letters: &str) -> Access {
        Access(letters.chars().fold(0, |bits, letter| {
            bits | match letter {
                'r' => Self::READ,
                'w' => Self::WRITE,
                'm' => Self::MKNOD,
                _ => 0,
            }
        }))
    }

    fn is_empty(self) -> bool {
        self.0 == 0
    }

    fn union(self, other: Access) -> Access {
        Access(self.0 | other.0)
    }

    fn minus(self, other: Access) -> Access {
        Access(self.0 & !other.0)
    }

    fn overlaps(self, other: Access) -> bool {
        self.0 & other.0 != 0
    }
}

impl std::fmt::Display for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (bit, letter) in [(Self::READ, 'r'), (Self::WRITE, 'w'), (Self::MKNOD, 'm')] {
            if self.0 & bit != 0 {
                write!(f, "{letter}")?;
            }
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum NodeKind {
    Block,
    Char,
}

/// Which device nodes an exception covers; `None` numbers are wildcards.
/// Ordered by major, minor, then kind, wildcards first: the order the
/// rules are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DevicePattern {
    pub major: Option<u32>,
    pub minor: Option<u32>,
    pub kind: NodeKind,
}

impl DevicePattern {
    fn with_major(self, major: Option<u32>) -> DevicePattern {
        DevicePattern { major, ..self }
    }

    fn with_minor(self, minor: Option<u32>) -> DevicePattern {
        DevicePattern { minor, ..self }
    }
}

impl std::fmt::Display for DevicePattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.kind {
            NodeKind::Block => 'b',
            NodeKind::Char => 'c',
        };
        let number = |n: Option<u32>| n.map_or("*".to_string(), |n| n.to_string());
        write!(f, "{kind} {}:{}", number(self.major), number(self.minor))
    }
}

/// One line for `devices.allow` (allow) or `devices.deny`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceWrite {
    pub allow: bool,
    pub line: String,
}

/// A device cgroup's effective rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceRules {
    pub default_allow: bool,
    /// Accesses that differ from the default, per pattern.
    pub exceptions: BTreeMap<DevicePattern, Access>,
}

/// One OCI rule, parsed: `None` pattern for type `a` (everything).
struct Rule {
    allow: bool,
    pattern: Option<DevicePattern>,
    access: Access,
}

fn parse_rule(index: usize, rule: &LinuxDeviceCgroup) -> Result<Rule, CgroupError> {
    let kind = match rule.typ().unwrap_or(LinuxDeviceType::A) {
        LinuxDeviceType::A => None,
        LinuxDeviceType::B => Some(NodeKind::Block),
        LinuxDeviceType::C => Some(NodeKind::Char),
        other => {
            return Err(CgroupError::Invalid(format!(
                "linux.resources.devices[{index}]: invalid cgroup device type {:?}",
                other.as_str()
            )));
        }
    };
    let access = rule.access().as_deref().unwrap_or_default();
    if access.is_empty() {
        return Err(CgroupError::Invalid(format!(
            "linux.resources.devices[{index}]: access cannot be empty"
        )));
    }
    let number = |n: Option<i64>| n.and_then(|n| u32::try_from(n).ok());
    Ok(Rule {
        allow: rule.allow(),
        pattern: kind.map(|kind| DevicePattern {
            major: number(rule.major()),
            minor: number(rule.minor()),
            kind,
        }),
        access: Access::parse(access),
    })
}

impl DeviceRules {
    /// Everything denied, nothing excepted: where the OCI list starts from.
    pub fn deny_all() -> DeviceRules {
        DeviceRules {
            default_allow: false,
            exceptions: BTreeMap::new(),
        }
    }

    /// The state the OCI `rules` describe, replayed in order onto deny-all.
    pub fn from_oci(rules: &[LinuxDeviceCgroup]) -> Result<DeviceRules, CgroupError> {
        let mut state = DeviceRules::deny_all();
        for (index, rule) in rules.iter().enumerate() {
            state.apply(parse_rule(index, rule)?)?;
        }
        Ok(state)
    }

    /// The state a v1 `devices.list` shows: `a *:* rwm` for allow-all
    /// (whose deny exceptions the file cannot show), else the allowed
    /// patterns.
    pub fn from_list(list: &str) -> Result<DeviceRules, CgroupError> {
        let mut state = DeviceRules::deny_all();
        for line in list.lines().filter(|line| !line.trim().is_empty()) {
            let malformed =
                || CgroupError::Invalid(format!("devices.list: malformed line {line:?}"));
            let mut fields = line.split([' ', ':']).filter(|f| !f.is_empty());
            let (Some(kind), Some(major), Some(minor), Some(access), None) = (
                fields.next(),
                fields.next(),
                fields.next(),
                fields.next(),
                fields.next(),
            ) else {
                return Err(malformed());
            };
            let number = |field: &str| match field {
                "*" => Ok(None),
                n => n.parse().map(Some).map_err(|_| malformed()),
            };
            let kind = match kind {
                "a" => None,
                "b" => Some(NodeKind::Block),
                "c" => Some(NodeKind::Char),
                _ => return Err(malformed()),
            };
            let pattern = match kind {
                None => None,
                Some(kind) => Some(DevicePattern {
                    major: number(major)?,
                    minor: number(minor)?,
                    kind,
                }),
            };
            state.apply(Rule {
                allow: true,
                pattern,
                access: Access::parse(access),
            })?;
        }
        Ok(state)
    }

    fn apply(&mut self, rule: Rule) -> Result<(), CgroupError> {
        let Some(pattern) = rule.pattern else {
            *self = DeviceRules {
                default_allow: rule.allow,
                exceptions: BTreeMap::new(),
            };
            return Ok(());
        };
        if rule.allow == self.default_allow {
            self.remove_exception(pattern, rule.access)
        } else {
            let access = self.exceptions.entry(pattern).or_default();
            *access = access.union(rule.access);
            if access.is_empty() {
                self.exceptions.remove(&pattern);
            }
            Ok(())
        }
    }

    /// Takes `access` back from the exception for exactly `pattern`. The
    /// kernel silently ignores taking it back from a wider (wildcard)
    /// exception, which would leave the access in place: refuse that.
    fn remove_exception(
        &mut self,
        pattern: DevicePattern,
        access: Access,
    ) -> Result<(), CgroupError> {
        for wider in [
            pattern.with_major(None),
            pattern.with_minor(None),
            pattern.with_major(None).with_minor(None),
        ] {
            let held = self.exceptions.get(&wider).copied().unwrap_or_default();
            if wider != pattern && held.overlaps(access) {
                return Err(CgroupError::Invalid(format!(
                    "device rule {pattern} {access} cannot be carved out of the wider rule {wider} {held}"
                )));
            }
        }
        if let Some(held) = self.exceptions.get_mut(&pattern) {
            *held = held.minus(access);
            if held.is_empty() {
                self.exceptions.remove(&pattern);
            }
        }
        Ok(())
    }

    /// The writes that take a v1 cgroup from `self` to `target`: a reset
    /// (`a *:* rwm`) only when the default changes or `self` allows all
    /// (whose deny exceptions `devices.list` hides), then the exceptions
    /// to drop and those to add, in pattern order.
    pub fn transition(&self, target: &DeviceRules) -> Vec<DeviceWrite> {
        let mut writes = Vec::new();
        let empty = BTreeMap::new();
        let mut current = &self.exceptions;
        if self.default_allow || self.default_allow != target.default_allow {
            writes.push(DeviceWrite {
                allow: target.default_allow,
                line: "a *:* rwm".to_string(),
            });
            current = &empty;
        }
        for (pattern, held) in current {
            let wanted = target.exceptions.get(pattern).copied().unwrap_or_default();
            let dropped = held.minus(wanted);
            if !dropped.is_empty() {
                writes.push(DeviceWrite {
                    allow: target.default_allow,
                    line: format!("{pattern} {dropped}"),
                });
            }
        }
        for (pattern, wanted) in &target.exceptions {
            let held = current.get(pattern).copied().unwrap_or_default();
            let gained = wanted.minus(held);
            if !gained.is_empty() {
                writes.push(DeviceWrite {
                    allow: !target.default_allow,
                    line: format!("{pattern} {gained}"),
                });
            }
        }
        writes
    }

    /// The state as an OCI list that needs no ordering subtleties: the
    /// default first, then each exception with the opposite verdict.
    pub fn to_oci(&self) -> Vec<LinuxDeviceCgroup> {
        let rule = |allow: bool, pattern: Option<&DevicePattern>, access: Access| {
            let mut rule = LinuxDeviceCgroup::default();
            rule.set_allow(allow);
            rule.set_typ(Some(match pattern.map(|p| p.kind) {
                None => LinuxDeviceType::A,
                Some(NodeKind::Block) => LinuxDeviceType::B,
                Some(NodeKind::Char) => LinuxDeviceType::C,
            }));
            rule.set_major(pattern.and_then(|p| p.major).map(i64::from));
            rule.set_minor(pattern.and_then(|p| p.minor).map(i64::from));
            rule.set_access(Some(access.to_string()));
            rule
        };
        let mut rules = vec![rule(self.default_allow, None, Access::parse("rwm"))];
        for (pattern, access) in &self.exceptions {
            rules.push(rule(!self.default_allow, Some(pattern), *access));
        }
        rules
    }
}
