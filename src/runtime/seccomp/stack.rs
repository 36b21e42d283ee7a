//! Splitting one profile into a stack of single-action filters.
//!
//! The kernel runs every installed filter and keeps the most restrictive
//! result (KILL_PROCESS > KILL_THREAD > TRAP > ERRNO > USER_NOTIF > TRACE >
//! LOG > ALLOW); between equal actions with different data (two errno
//! values) the newest filter wins. With default action D the stack is:
//!
//! * a base filter (when D is not ALLOW): match ALLOW for every rule whose
//!   action is less restrictive than D or is D's kind with other data,
//!   mismatch D. A rule that must override a stricter default thus lives in
//!   the base filter, never in a filter of its own.
//! * one filter per other action A among the rules: match A for the rules
//!   with action A, mismatch ALLOW.
//!
//! For a call matching a rule with action A, the base gives ALLOW or D (D
//! only when A is stricter than D) and A's filter gives A; every other
//! filter gives ALLOW; the result is A. For a call matching no rule the base
//! gives D and the rest ALLOW. Where rules of different actions overlap on
//! the same call, the most restrictive wins. Rules whose action equals the
//! default are dropped, as runc does.

use std::collections::BTreeMap;

use oci_spec::runtime::{
    Arch, LinuxSeccomp, LinuxSeccompAction, LinuxSeccompOperator, LinuxSyscall,
};
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, sock_filter,
};

use super::bpf_eval::{self, SyscallData, action_rank};
use super::{SeccompArch, SeccompError};

/// A `SECCOMP_RET_*` value: action and data.
type Verdict = u32;

/// Conditions ANDed together; None matches unconditionally.
type Conditions = Option<Vec<SeccompCondition>>;

/// Per syscall number: the rules ORed together for one action.
type RuleSet = BTreeMap<i64, Vec<Conditions>>;

/// The filters for one architecture. With `multi_arch`, a call from another
/// architecture passes these filters (ALLOW) and is left to that
/// architecture's filters and to [`arch_guard`].
pub fn build(
    profile: &LinuxSeccomp,
    arch: SeccompArch,
    multi_arch: bool,
) -> Result<Vec<Vec<sock_filter>>, SeccompError> {
    if profile.default_action() == LinuxSeccompAction::ScmpActNotify {
        return Err(SeccompError::NotifyDefault);
    }
    let default = verdict_of(profile.default_action(), profile.default_errno_ret())?;
    let mut by_action: BTreeMap<Verdict, RuleSet> = BTreeMap::new();
    for syscall in profile.syscalls().iter().flatten() {
        let label = syscall.names().join(",");
        if syscall.errno_ret().is_some()
            && !matches!(
                syscall.action(),
                LinuxSeccompAction::ScmpActErrno | LinuxSeccompAction::ScmpActTrace
            )
        {
            return Err(SeccompError::ErrnoRetWithoutErrno { syscall: label });
        }
        // The init reports to the runtime with write(2) after loading
        // the filter (runc's rule; our init's sendmsg is then allowed too).
        if syscall.action() == LinuxSeccompAction::ScmpActNotify
            && syscall.names().iter().any(|name| name == "write")
        {
            return Err(SeccompError::NotifyWrite);
        }
        let verdict = verdict_of(syscall.action(), syscall.errno_ret())?;
        if verdict == default {
            continue;
        }
        let alternatives = conditions_of(syscall, &label)?;
        for name in syscall.names() {
            let Some(nr) = arch.syscall_number(name) else {
                continue;
            };
            let rules = by_action.entry(verdict).or_default().entry(nr).or_default();
            rules.extend(alternatives.iter().cloned());
        }
    }

    let mut filters: Vec<BpfProgram> = Vec::new();
    if default != libc::SECCOMP_RET_ALLOW {
        let mut overriding = RuleSet::new();
        for (verdict, rules) in &by_action {
            let overrides = action_rank(*verdict) > action_rank(default)
                || (action_rank(*verdict) == action_rank(default) && *verdict != default);
            if overrides {
                for (nr, alternatives) in rules {
                    overriding
                        .entry(*nr)
                        .or_default()
                        .extend(alternatives.iter().cloned());
                }
            }
        }
        let mut base = program(
            overriding,
            libc::SECCOMP_RET_ALLOW,
            default,
            arch,
            multi_arch,
        )?;
        if let Some(newest) = newest_listed_syscall(profile, arch, default) {
            enosys_above(&mut base, newest, arch);
        }
        filters.push(base);
    }
    for (verdict, rules) in by_action {
        if verdict != libc::SECCOMP_RET_ALLOW {
            filters.push(program(
                rules,
                verdict,
                libc::SECCOMP_RET_ALLOW,
                arch,
                multi_arch,
            )?);
        }
    }
    Ok(filters)
}

/// The highest syscall number `profile` names for `arch`, when calls above
/// it must answer ENOSYS rather than the default action: as runc 1.1.5,
/// a kernel or libc newer than the profile then sees "not implemented"
/// and falls back (glibc from clone3 to clone, say). runc does this only
/// for a refusing default (not ALLOW, LOG or TRACE) and only for the
/// architectures the profile lists; every named syscall counts, whatever
/// its action, and names unknown on `arch` are skipped.
fn newest_listed_syscall(
    profile: &LinuxSeccomp,
    arch: SeccompArch,
    default: Verdict,
) -> Option<u32> {
    let lets_through = matches!(
        default & libc::SECCOMP_RET_ACTION_FULL,
        libc::SECCOMP_RET_ALLOW | libc::SECCOMP_RET_LOG | libc::SECCOMP_RET_TRACE
    );
    let listed = profile.architectures().iter().flatten().any(|listed| {
        *listed as u32 == arch.audit_arch()
            || (*listed == Arch::ScmpArchNative && SeccompArch::native() == Some(arch))
    });
    if lets_through || !listed {
        return None;
    }
    profile
        .syscalls()
        .iter()
        .flatten()
        .flat_map(|syscall| syscall.names())
        .filter_map(|name| arch.syscall_number(name))
        .max()
        .map(|nr| nr as u32)
}

/// Makes a base filter answer ENOSYS for every number above `newest`
/// (see [`newest_listed_syscall`]): three instructions after the arch
/// check (and on x86_64 after `reject_x32`'s guard), before the range
/// checks and the rules. Nothing jumps across that point.
fn enosys_above(bpf: &mut BpfProgram, newest: u32, arch: SeccompArch) {
    let insn = |code: u16, jt: u8, jf: u8, k: u32| sock_filter { code, jt, jf, k };
    let check = [
        insn(0x20, 0, 0, 0),      // A = seccomp_data.nr
        insn(0x25, 0, 1, newest), // nr > newest: ENOSYS
        insn(0x06, 0, 0, libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32),
    ];
    // On x86_64 the x32 guard (four instructions) already sits at 3.
    let at = if arch == SeccompArch::X86_64 { 7 } else { 3 };
    bpf.splice(at..at, check);
}

/// Kills calls from any architecture but `arches`, and x32 calls, when the
/// per-architecture filters let foreign architectures pass.
pub fn arch_guard(arches: &[SeccompArch]) -> Vec<sock_filter> {
    let insn = |code: u16, jt: u8, jf: u8, k: u32| sock_filter { code, jt, jf, k };
    let (load, jeq, jge, ret) = (0x20, 0x15, 0x35, 0x06);
    let mut guard = vec![insn(load, 0, 0, 4)]; // A = seccomp_data.arch
    for arch in arches {
        if *arch == SeccompArch::X86_64 {
            guard.extend([
                insn(jeq, 0, 5, arch.audit_arch()),
                insn(load, 0, 0, 0), // A = seccomp_data.nr
                insn(jeq, 2, 0, u32::MAX),
                insn(jge, 0, 1, 0x4000_0000),
                insn(ret, 0, 0, libc::SECCOMP_RET_KILL_PROCESS),
                insn(ret, 0, 0, libc::SECCOMP_RET_ALLOW),
            ]);
        } else {
            guard.extend([
                insn(jeq, 0, 1, arch.audit_arch()),
                insn(ret, 0, 0, libc::SECCOMP_RET_ALLOW),
            ]);
        }
    }
    guard.push(insn(ret, 0, 0, libc::SECCOMP_RET_KILL_PROCESS));
    guard
}

fn verdict_of(action: LinuxSeccompAction, errno: Option<u32>) -> Result<Verdict, SeccompError> {
    let data = errno.unwrap_or(libc::EPERM as u32) & libc::SECCOMP_RET_DATA;
    Ok(match action {
        LinuxSeccompAction::ScmpActKill | LinuxSeccompAction::ScmpActKillThread => {
            libc::SECCOMP_RET_KILL_THREAD
        }
        LinuxSeccompAction::ScmpActKillProcess => libc::SECCOMP_RET_KILL_PROCESS,
        LinuxSeccompAction::ScmpActTrap => libc::SECCOMP_RET_TRAP,
        LinuxSeccompAction::ScmpActErrno => libc::SECCOMP_RET_ERRNO | data,
        LinuxSeccompAction::ScmpActTrace => libc::SECCOMP_RET_TRACE | data,
        LinuxSeccompAction::ScmpActLog => libc::SECCOMP_RET_LOG,
        LinuxSeccompAction::ScmpActAllow => libc::SECCOMP_RET_ALLOW,
        LinuxSeccompAction::ScmpActNotify => libc::SECCOMP_RET_USER_NOTIF,
    })
}

fn seccompiler_action(verdict: Verdict) -> SeccompAction {
    let data = verdict & libc::SECCOMP_RET_DATA;
    match verdict & libc::SECCOMP_RET_ACTION_FULL {
        libc::SECCOMP_RET_KILL_PROCESS => SeccompAction::KillProcess,
        libc::SECCOMP_RET_KILL_THREAD => SeccompAction::KillThread,
        libc::SECCOMP_RET_TRAP => SeccompAction::Trap,
        libc::SECCOMP_RET_ERRNO => SeccompAction::Errno(data),
        libc::SECCOMP_RET_TRACE => SeccompAction::Trace(data),
        libc::SECCOMP_RET_LOG => SeccompAction::Log,
        // seccompiler has no USER_NOTIF: a notify filter (mismatch ALLOW)
        // is built with TRAP, which nothing else in it returns, and
        // patched (see `program`).
        libc::SECCOMP_RET_USER_NOTIF => SeccompAction::Trap,
        _ => SeccompAction::Allow,
    }
}

/// The alternatives (ORed) one OCI rule stands for. Conditions are ANDed,
/// except that when an argument index appears twice runc adds each
/// condition as a rule of its own, so they are ORed; we match that.
fn conditions_of(syscall: &LinuxSyscall, label: &str) -> Result<Vec<Conditions>, SeccompError> {
    let args = syscall.args().as_deref().unwrap_or_default();
    if args.is_empty() {
        return Ok(vec![None]);
    }
    let mut conditions = Vec::with_capacity(args.len());
    let mut seen = [0u8; 6];
    for arg in args {
        let index = arg.index();
        if index > 5 {
            return Err(SeccompError::ArgIndex {
                syscall: label.to_string(),
                index,
            });
        }
        seen[index] += 1;
        let (operator, value) = match arg.op() {
            LinuxSeccompOperator::ScmpCmpNe => (SeccompCmpOp::Ne, arg.value()),
            LinuxSeccompOperator::ScmpCmpLt => (SeccompCmpOp::Lt, arg.value()),
            LinuxSeccompOperator::ScmpCmpLe => (SeccompCmpOp::Le, arg.value()),
            LinuxSeccompOperator::ScmpCmpEq => (SeccompCmpOp::Eq, arg.value()),
            LinuxSeccompOperator::ScmpCmpGe => (SeccompCmpOp::Ge, arg.value()),
            LinuxSeccompOperator::ScmpCmpGt => (SeccompCmpOp::Gt, arg.value()),
            // libseccomp: (arg & value) == valueTwo.
            LinuxSeccompOperator::ScmpCmpMaskedEq => (
                SeccompCmpOp::MaskedEq(arg.value()),
                arg.value_two().unwrap_or(0),
            ),
        };
        let condition =
            SeccompCondition::new(index as u8, SeccompCmpArgLen::Qword, operator, value).map_err(
                |_| SeccompError::ArgIndex {
                    syscall: label.to_string(),
                    index,
                },
            )?;
        conditions.push(condition);
    }
    if seen.iter().any(|count| *count > 1) {
        Ok(conditions.into_iter().map(|c| Some(vec![c])).collect())
    } else {
        Ok(vec![Some(conditions)])
    }
}

fn program(
    rules: RuleSet,
    on_match: Verdict,
    on_mismatch: Verdict,
    arch: SeccompArch,
    multi_arch: bool,
) -> Result<BpfProgram, SeccompError> {
    let build_error = |source| SeccompError::Build { arch, source };
    let mut chains = BTreeMap::new();
    let mut always = Vec::new();
    for (nr, alternatives) in rules {
        // An unconditional alternative makes the others irrelevant.
        if alternatives.iter().any(Option::is_none) {
            always.push(nr);
            continue;
        }
        let chain = alternatives
            .into_iter()
            .flatten()
            .map(|conditions| SeccompRule::new(conditions).map_err(build_error))
            .collect::<Result<Vec<_>, _>>()?;
        chains.insert(nr, chain);
    }
    if chains.is_empty()
        && let Some(first) = always.first()
    {
        // seccompiler wants a rule; an empty chain is its "always".
        chains.insert(*first, Vec::new());
    }
    let filter = SeccompFilter::new(
        chains,
        seccompiler_action(on_mismatch),
        seccompiler_action(on_match),
        arch.seccompiler(),
    )
    .map_err(build_error)?;
    let mut bpf: BpfProgram = filter.try_into().map_err(build_error)?;
    if on_match == libc::SECCOMP_RET_USER_NOTIF {
        for insn in bpf.iter_mut() {
            if insn.code == 0x06 && insn.k == libc::SECCOMP_RET_TRAP {
                insn.k = libc::SECCOMP_RET_USER_NOTIF;
            }
        }
    }
    // seccompiler starts with [load arch; jeq AUDIT_ARCH, skip 1; ret KILL].
    bpf[1].k = arch.audit_arch();
    if multi_arch {
        bpf[2].k = libc::SECCOMP_RET_ALLOW;
    }
    bpf.splice(3..3, range_checks(&always, on_match));
    if arch == SeccompArch::X86_64 {
        reject_x32(&mut bpf);
    }
    Ok(bpf)
}

/// Matches the unconditional syscalls as runs of consecutive numbers, a
/// few instructions a run instead of a few a syscall: Docker's default
/// profile shrinks from about 1,500 instructions per architecture to a
/// few hundred, which the kernel checks and JIT-compiles at every
/// container start. Goes right after seccompiler's arch check (see
/// `reject_x32`), and falls through to seccompiler's rules on a miss.
fn range_checks(numbers: &[i64], on_match: Verdict) -> Vec<sock_filter> {
    let insn = |code: u16, jt: u8, jf: u8, k: u32| sock_filter { code, jt, jf, k };
    let (load, jeq, jge, jgt, ret) = (0x20, 0x15, 0x35, 0x25, 0x06);
    let mut sorted: Vec<u32> = numbers.iter().map(|nr| *nr as u32).collect();
    sorted.sort_unstable();
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for nr in sorted {
        match runs.last_mut() {
            Some((_, end)) if end.checked_add(1) == Some(nr) => *end = nr,
            _ => runs.push((nr, nr)),
        }
    }
    let mut checks = vec![insn(load, 0, 0, 0)]; // A = seccomp_data.nr
    for (start, end) in runs {
        if start == end {
            checks.extend([insn(jeq, 0, 1, start), insn(ret, 0, 0, on_match)]);
        } else {
            checks.extend([
                insn(jge, 0, 2, start),
                insn(jgt, 1, 0, end),
                insn(ret, 0, 0, on_match),
            ]);
        }
    }
    checks
}

/// x32 calls carry AUDIT_ARCH_X86_64 with bit 30 set in the number, so
/// seccompiler's arch check lets them through to the rules, where a
/// deny-list profile would miss them. Kill them as libseccomp does for an
/// ABI the filter does not cover (nr -1 is left alone: the kernel uses it
/// for skipped calls).
fn reject_x32(bpf: &mut BpfProgram) {
    const X32_SYSCALL_BIT: u32 = 0x4000_0000;
    let insn = |code: u16, jt: u8, jf: u8, k: u32| sock_filter { code, jt, jf, k };
    // seccompiler starts with three instructions checking the arch; the
    // jump out of them lands right after, where the guard goes. Nothing
    // jumps across this point, so relative offsets stay valid.
    let guard = [
        insn(0x20, 0, 0, 0),               // A = seccomp_data.nr
        insn(0x15, 2, 0, u32::MAX),        // nr == -1: skip the guard
        insn(0x35, 0, 1, X32_SYSCALL_BIT), // nr >= x32 bit: kill
        insn(0x06, 0, 0, libc::SECCOMP_RET_KILL_PROCESS),
    ];
    bpf.splice(3..3, guard);
}

/// One filter from filters built for different architectures with
/// `multi_arch`: where one lets a call of another architecture pass (its
/// third instruction, `ret ALLOW`), it jumps to the next one instead. Every
/// jump in a filter is forward and stays inside it, so they chain as they are.
pub fn chain_arch_filters(filters: Vec<BpfProgram>) -> Result<BpfProgram, SeccompError> {
    let count = filters.len();
    let mut chained = Vec::new();
    for (index, mut filter) in filters.into_iter().enumerate() {
        if index + 1 < count {
            let pass = filter.get(2);
            if pass.is_none_or(|insn| insn.code != 0x06 || insn.k != libc::SECCOMP_RET_ALLOW) {
                return Err(SeccompError::NotifyChain);
            }
            // BPF_JMP | BPF_JA: skip the rest of this filter.
            filter[2] = sock_filter {
                code: 0x05,
                jt: 0,
                jf: 0,
                k: (filter.len() - 3) as u32,
            };
        }
        chained.extend(filter);
    }
    Ok(chained)
}

/// Puts the filters that would refuse our own later seccomp(2) calls last.
/// Only one can be last; a profile needing two is rejected.
pub fn order_for_install(
    filters: Vec<BpfProgram>,
    arch: SeccompArch,
) -> Result<Vec<BpfProgram>, SeccompError> {
    let Some(seccomp_nr) = arch.syscall_number("seccomp") else {
        return Ok(filters);
    };
    let install_call = SyscallData {
        nr: seccomp_nr as i32,
        arch: arch.audit_arch(),
        args: [libc::SECCOMP_SET_MODE_FILTER as u64, 0, 0, 0, 0, 0],
    };
    let (blocking, passing): (Vec<_>, Vec<_>) = filters.into_iter().partition(|filter| {
        bpf_eval::run(filter, &install_call)
            .is_none_or(|ret| action_rank(ret) < action_rank(libc::SECCOMP_RET_LOG))
    });
    if blocking.len() > 1 {
        return Err(SeccompError::SelfBlocking(blocking.len()));
    }
    Ok(passing.into_iter().chain(blocking).collect())
}
