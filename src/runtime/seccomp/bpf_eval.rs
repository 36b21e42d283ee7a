//! A classic-BPF interpreter for the instruction subset seccompiler emits.
//! It lets us ask what a compiled profile answers for a syscall without
//! installing it: to order the stacked filters, and in tests to check the
//! combined verdict against the profile.

use seccompiler::sock_filter;

const BPF_LD_W_ABS: u16 = 0x20;
const BPF_ALU_AND_K: u16 = 0x54;
const BPF_JMP_JA: u16 = 0x05;
const BPF_JMP_JEQ_K: u16 = 0x15;
const BPF_JMP_JGT_K: u16 = 0x25;
const BPF_JMP_JGE_K: u16 = 0x35;
const BPF_JMP_JSET_K: u16 = 0x45;
const BPF_RET_K: u16 = 0x06;

/// The `struct seccomp_data` a filter sees.
#[derive(Clone, Copy, Debug)]
pub struct SyscallData {
    pub nr: i32,
    pub arch: u32,
    pub args: [u64; 6],
}

impl SyscallData {
    fn word(&self, offset: u32) -> Option<u32> {
        match offset {
            0 => Some(self.nr as u32),
            4 => Some(self.arch),
            8 | 12 => Some(0), // instruction pointer: no filter of ours reads it
            16..=63 if offset.is_multiple_of(4) => {
                let arg = self.args[((offset - 16) / 8) as usize];
                Some(if offset.is_multiple_of(8) {
                    arg as u32
                } else {
                    (arg >> 32) as u32
                })
            }
            _ => None,
        }
    }
}

/// Runs one filter; None when it uses an instruction we do not model or
/// runs off its end (the kernel's verifier would reject it too).
pub fn run(program: &[sock_filter], data: &SyscallData) -> Option<u32> {
    let mut accumulator: u32 = 0;
    let mut pc = 0usize;
    loop {
        let insn = program.get(pc)?;
        pc += 1;
        let jump = |taken: bool| usize::from(if taken { insn.jt } else { insn.jf });
        match insn.code {
            BPF_LD_W_ABS => accumulator = data.word(insn.k)?,
            BPF_ALU_AND_K => accumulator &= insn.k,
            BPF_JMP_JA => pc += insn.k as usize,
            BPF_JMP_JEQ_K => pc += jump(accumulator == insn.k),
            BPF_JMP_JGT_K => pc += jump(accumulator > insn.k),
            BPF_JMP_JGE_K => pc += jump(accumulator >= insn.k),
            BPF_JMP_JSET_K => pc += jump(accumulator & insn.k != 0),
            BPF_RET_K => return Some(insn.k),
            _ => return None,
        }
    }
}

/// The kernel's precedence of seccomp return values: lower is more
/// restrictive (SECCOMP_RET_KILL_PROCESS is negative as an i32).
pub fn action_rank(ret: u32) -> i32 {
    (ret & 0xffff_0000) as i32
}

/// What the kernel decides with all `filters` installed in this order: it
/// runs the newest first and keeps the most restrictive action; among equal
/// actions the newest filter's data wins.
#[cfg(test)]
pub fn combined(filters: &[Vec<sock_filter>], data: &SyscallData) -> Option<u32> {
    let mut verdict = libc::SECCOMP_RET_ALLOW;
    for filter in filters.iter().rev() {
        let ret = run(filter, data)?;
        if action_rank(ret) < action_rank(verdict) {
            verdict = ret;
        }
    }
    Some(verdict)
}
