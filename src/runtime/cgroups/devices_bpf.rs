//! cgroup v2 device rules: an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE,
//! generated here and loaded and attached with raw bpf(2) calls.
//!
//! The program sees `struct bpf_cgroup_dev_ctx { u32 access_type; u32 major;
//! u32 minor; }` (access in the high 16 bits of access_type, device type in
//! the low ones) and returns 1 to allow. As with v1's device whitelist, the
//! last OCI rule that matches decides; no match denies.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;

use oci_spec::runtime::{LinuxDeviceCgroup, LinuxDeviceType};

use super::CgroupError;
use super::device_rules::DeviceRules;

/// One eBPF instruction, as `struct bpf_insn`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BpfInsn {
    pub code: u8,
    /// dst register in the low nibble, src in the high one.
    pub regs: u8,
    pub off: i16,
    pub imm: i32,
}

const LDX_MEM_W: u8 = 0x61;
const ALU32_MOV_X: u8 = 0xbc;
const ALU32_MOV_K: u8 = 0xb4;
const ALU32_AND_K: u8 = 0x54;
const ALU32_RSH_K: u8 = 0x74;
const JMP32_JNE_K: u8 = 0x56;
const JMP_EXIT: u8 = 0x95;

const DEV_BLOCK: i32 = 1;
const DEV_CHAR: i32 = 2;
const ACC_MKNOD: i32 = 1;
const ACC_READ: i32 = 2;
const ACC_WRITE: i32 = 4;

const BPF_PROG_LOAD: libc::c_int = 5;
const BPF_PROG_ATTACH: libc::c_int = 8;
const BPF_PROG_DETACH: libc::c_int = 9;
const BPF_PROG_GET_FD_BY_ID: libc::c_int = 13;
const BPF_PROG_QUERY: libc::c_int = 16;
const BPF_PROG_TYPE_CGROUP_DEVICE: u32 = 15;
const BPF_CGROUP_DEVICE: u32 = 6;
const BPF_F_ALLOW_MULTI: u32 = 2;

fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> BpfInsn {
    BpfInsn {
        code,
        regs: (src << 4) | dst,
        off,
        imm,
    }
}

/// The filter program for `rules`.
pub fn program(rules: &[LinuxDeviceCgroup]) -> Vec<BpfInsn> {
    let mut program = vec![
        insn(LDX_MEM_W, 2, 1, 0, 0),        // r2 = ctx->access_type
        insn(ALU32_MOV_X, 3, 2, 0, 0),      // w3 = w2
        insn(ALU32_AND_K, 2, 0, 0, 0xffff), // w2 = device type
        insn(ALU32_RSH_K, 3, 0, 0, 16),     // w3 = requested access
        insn(LDX_MEM_W, 4, 1, 4, 0),        // r4 = ctx->major
        insn(LDX_MEM_W, 5, 1, 8, 0),        // r5 = ctx->minor
    ];
    for rule in rules.iter().rev() {
        let kind = match rule.typ().unwrap_or(LinuxDeviceType::A) {
            LinuxDeviceType::A => None,
            LinuxDeviceType::B => Some(DEV_BLOCK),
            LinuxDeviceType::C | LinuxDeviceType::U => Some(DEV_CHAR),
            // The device hook never sees FIFOs.
            LinuxDeviceType::P => continue,
        };
        let access = rule
            .access()
            .as_deref()
            .filter(|a| !a.is_empty())
            .unwrap_or("rwm")
            .chars()
            .fold(0, |bits, c| {
                bits | match c {
                    'r' => ACC_READ,
                    'w' => ACC_WRITE,
                    'm' => ACC_MKNOD,
                    _ => 0,
                }
            });
        // Jumps whose target is "the next rule" get their offset below.
        let mut block: Vec<(BpfInsn, bool)> = Vec::new();
        if let Some(kind) = kind {
            block.push((insn(JMP32_JNE_K, 2, 0, 0, kind), true));
        }
        let all = ACC_READ | ACC_WRITE | ACC_MKNOD;
        if access & all != all {
            block.push((insn(ALU32_MOV_X, 1, 3, 0, 0), false));
            block.push((insn(ALU32_AND_K, 1, 0, 0, !access & all), false));
            block.push((insn(JMP32_JNE_K, 1, 0, 0, 0), true));
        }
        for (register, number) in [(4, rule.major()), (5, rule.minor())] {
            if let Some(number) = number.filter(|n| *n >= 0) {
                block.push((
                    insn(JMP32_JNE_K, register, 0, 0, number as u32 as i32),
                    true,
                ));
            }
        }
        block.push((insn(ALU32_MOV_K, 0, 0, 0, i32::from(rule.allow())), false));
        block.push((insn(JMP_EXIT, 0, 0, 0, 0), false));
        let len = block.len();
        let unconditional = !block.iter().any(|(_, to_next)| *to_next);
        for (index, (mut instruction, to_next)) in block.into_iter().enumerate() {
            if to_next {
                instruction.off = (len - index - 1) as i16;
            }
            program.push(instruction);
        }
        if unconditional {
            // Earlier rules can never decide; the verifier refuses
            // unreachable instructions, so stop here.
            return program;
        }
    }
    program.push(insn(ALU32_MOV_K, 0, 0, 0, 0));
    program.push(insn(JMP_EXIT, 0, 0, 0, 0));
    program
}

/// A zeroed `union bpf_attr`, big enough for every command we use and for
/// fields newer kernels write back.
#[repr(C, align(8))]
struct BpfAttr([u8; 128]);

impl BpfAttr {
    fn new() -> BpfAttr {
        BpfAttr([0; 128])
    }

    fn put_u32(&mut self, offset: usize, value: u32) {
        self.0[offset..offset + 4].copy_from_slice(&value.to_ne_bytes());
    }

    fn put_u64(&mut self, offset: usize, value: u64) {
        self.0[offset..offset + 8].copy_from_slice(&value.to_ne_bytes());
    }

    fn get_u32(&self, offset: usize) -> u32 {
        u32::from_ne_bytes(self.0[offset..offset + 4].try_into().unwrap_or([0; 4]))
    }
}

fn bpf(
    command: libc::c_int,
    attr: &mut BpfAttr,
    operation: &'static str,
) -> Result<i64, CgroupError> {
    // SAFETY: attr is a zero-initialised bpf_attr of the size we pass.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            command,
            attr as *mut BpfAttr,
            std::mem::size_of::<BpfAttr>() as libc::c_uint,
        )
    };
    if rc < 0 {
        return Err(CgroupError::Bpf {
            operation,
            errno: nix::errno::Errno::last(),
        });
    }
    Ok(rc)
}

fn owned(fd: i64) -> OwnedFd {
    // SAFETY: bpf(2) returned a fresh descriptor.
    unsafe { OwnedFd::from_raw_fd(fd as i32) }
}

fn load(program: &[BpfInsn]) -> Result<OwnedFd, CgroupError> {
    let license = c"Apache-2.0";
    let mut log = vec![0u8; 65536];
    for log_level in [0u32, 1] {
        let mut attr = BpfAttr::new();
        attr.put_u32(0, BPF_PROG_TYPE_CGROUP_DEVICE);
        attr.put_u32(4, program.len() as u32);
        attr.put_u64(8, program.as_ptr() as u64);
        attr.put_u64(16, license.as_ptr() as u64);
        if log_level > 0 {
            attr.put_u32(24, log_level);
            attr.put_u32(28, log.len() as u32);
            attr.put_u64(32, log.as_mut_ptr() as u64);
        }
        attr.0[48..58].copy_from_slice(b"dockbox_dv");
        match bpf(BPF_PROG_LOAD, &mut attr, "bpf(BPF_PROG_LOAD) device filter") {
            Ok(fd) => return Ok(owned(fd)),
            Err(CgroupError::Bpf { errno, .. }) if log_level > 0 => {
                let end = log.iter().position(|b| *b == 0).unwrap_or(log.len());
                return Err(CgroupError::Invalid(format!(
                    "bpf(BPF_PROG_LOAD) device filter: {errno}: {}",
                    String::from_utf8_lossy(&log[..end]).trim()
                )));
            }
            Err(CgroupError::Bpf { errno, .. }) if errno == nix::errno::Errno::EPERM => {
                return Err(CgroupError::Bpf {
                    operation: "bpf(BPF_PROG_LOAD) device filter",
                    errno,
                });
            }
            Err(_) => continue,
        }
    }
    unreachable!("the second attempt returns")
}

/// Ids of the device programs attached to `cgroup`.
fn attached(cgroup: &OwnedFd) -> Result<Vec<u32>, CgroupError> {
    let mut ids = vec![0u32; 64];
    let mut attr = BpfAttr::new();
    attr.put_u32(0, cgroup.as_raw_fd() as u32);
    attr.put_u32(4, BPF_CGROUP_DEVICE);
    attr.put_u64(16, ids.as_mut_ptr() as u64);
    attr.put_u32(24, ids.len() as u32);
    bpf(
        BPF_PROG_QUERY,
        &mut attr,
        "bpf(BPF_PROG_QUERY) device filters",
    )?;
    ids.truncate(attr.get_u32(24) as usize);
    Ok(ids)
}

/// The rules the program is built from: the OCI list normalised as v1's
/// (see [`DeviceRules`]), so both versions decide every access alike.
pub fn normalised(rules: &[LinuxDeviceCgroup]) -> Result<Vec<LinuxDeviceCgroup>, CgroupError> {
    Ok(DeviceRules::from_oci(rules)?.to_oci())
}

/// Replaces the device filter of the cgroup at `dir` with one for `rules`.
pub fn apply(dir: &Path, rules: &[LinuxDeviceCgroup]) -> Result<(), CgroupError> {
    let program = program(&normalised(rules)?);
    let prog = load(&program)?;
    let cgroup = std::fs::File::open(dir)
        .map(OwnedFd::from)
        .map_err(|e| super::fs::io_error("open", dir, e))?;
    let previous = attached(&cgroup)?;

    let mut attr = BpfAttr::new();
    attr.put_u32(0, cgroup.as_raw_fd() as u32);
    attr.put_u32(4, prog.as_raw_fd() as u32);
    attr.put_u32(8, BPF_CGROUP_DEVICE);
    attr.put_u32(12, BPF_F_ALLOW_MULTI);
    bpf(
        BPF_PROG_ATTACH,
        &mut attr,
        "bpf(BPF_PROG_ATTACH) device filter",
    )?;

    // The new program is in place before the old ones go, so there is no
    // moment without a filter.
    for id in previous {
        let mut attr = BpfAttr::new();
        attr.put_u32(0, id);
        let old = owned(bpf(
            BPF_PROG_GET_FD_BY_ID,
            &mut attr,
            "bpf(BPF_PROG_GET_FD_BY_ID)",
        )?);
        let mut attr = BpfAttr::new();
        attr.put_u32(0, cgroup.as_raw_fd() as u32);
        attr.put_u32(4, old.as_raw_fd() as u32);
        attr.put_u32(8, BPF_CGROUP_DEVICE);
        bpf(
            BPF_PROG_DETACH,
            &mut attr,
            "bpf(BPF_PROG_DETACH) old device filter",
        )?;
    }
    Ok(())
}

#[cfg(test)]
pub mod interpreter {
    //! Runs a generated program on a device access, to check its logic
    //! without the kernel.

    use super::*;

    pub fn run(program: &[BpfInsn], kind: i32, access: i32, major: u32, minor: u32) -> u32 {
        let ctx = [((access as u32) << 16) | kind as u32, major, minor];
        let mut regs = [0u64; 11];
        let mut pc = 0usize;
        loop {
            let i = program[pc];
            let (dst, src) = ((i.regs & 0xf) as usize, (i.regs >> 4) as usize);
            pc += 1;
            match i.code {
                LDX_MEM_W => regs[dst] = u64::from(ctx[i.off as usize / 4]),
                ALU32_MOV_X => regs[dst] = regs[src] & 0xffff_ffff,
                ALU32_MOV_K => regs[dst] = u64::from(i.imm as u32),
                ALU32_AND_K => regs[dst] = (regs[dst] as u32 & i.imm as u32) as u64,
                ALU32_RSH_K => regs[dst] = ((regs[dst] as u32) >> i.imm) as u64,
                JMP32_JNE_K => {
                    if regs[dst] as u32 != i.imm as u32 {
                        pc += i.off as usize;
                    }
                }
                JMP_EXIT => return regs[0] as u32,
                other => panic!("unexpected opcode {other:#x}"),
            }
        }
    }
}
