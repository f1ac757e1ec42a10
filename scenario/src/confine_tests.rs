//! The worker's seccomp filters, run by a small classic-BPF interpreter on made-up system
//! calls: what the kernel would answer for calls a safe-Rust probe in the worker cannot make
//! (an executable or file-backed `mmap`), and for a few it can.

use super::linux::filters;
use seccompiler::sock_filter;

const PID: u32 = 4242;
const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;

const ALLOW: u32 = 0x7fff_0000;
const EPERM: u32 = 0x0005_0000 | libc::EPERM as u32;
const KILL_PROCESS: u32 = 0x8000_0000;

/// `struct seccomp_data` as 32-bit words: nr, arch, the instruction pointer, six arguments.
fn data(nr: i64, args: [u64; 6]) -> Vec<u32> {
    let mut words = vec![u32::try_from(nr).expect("nr"), AUDIT_ARCH_X86_64, 0, 0];
    for arg in args {
        // Little endian: the low word first.
        words.push(arg as u32);
        words.push((arg >> 32) as u32);
    }
    words
}

/// Runs one program on `data`: the instructions seccompiler emits.
fn run(program: &[sock_filter], data: &[u32]) -> u32 {
    let (mut pc, mut acc) = (0usize, 0u32);
    loop {
        let op = &program[pc];
        let k = op.k;
        let jump = |taken: bool| 1 + usize::from(if taken { op.jt } else { op.jf });
        pc += match op.code {
            // BPF_LD | BPF_W | BPF_ABS
            0x20 => {
                acc = data[k as usize / 4];
                1
            }
            // BPF_ALU | BPF_AND | BPF_K
            0x54 => {
                acc &= k;
                1
            }
            // BPF_JMP | BPF_JA
            0x05 => 1 + k as usize,
            // BPF_JMP | BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET (| BPF_K)
            0x15 => jump(acc == k),
            0x25 => jump(acc > k),
            0x35 => jump(acc >= k),
            0x45 => jump(acc & k != 0),
            // BPF_RET | BPF_K
            0x06 => return k,
            code => panic!("instruction {code:#x} is not interpreted here"),
        };
    }
}

/// The kernel's answer with both filters: the most severe.
fn verdict(nr: i64, args: [u64; 6]) -> u32 {
    let data = data(nr, args);
    let answers: Vec<u32> = filters(PID)
        .expect("filters")
        .iter()
        .map(|program| run(program, &data))
        .collect();
    for severe in [KILL_PROCESS, EPERM] {
        if answers.contains(&severe) {
            return severe;
        }
    }
    assert!(answers.iter().all(|a| *a == ALLOW), "{answers:x?}");
    ALLOW
}

fn mmap(prot: i32, flags: i32, fd: i32) -> u32 {
    let fd = u64::from(fd as u32);
    verdict(libc::SYS_mmap, [0, 4096, prot as u64, flags as u64, fd, 0])
}

#[test]
fn memory_is_only_anonymous_and_never_executable() {
    use libc::{MAP_ANONYMOUS, MAP_PRIVATE, MAP_SHARED, PROT_EXEC, PROT_READ, PROT_WRITE};
    let rw = PROT_READ | PROT_WRITE;
    assert_eq!(
        mmap(rw, MAP_PRIVATE | MAP_ANONYMOUS, -1),
        ALLOW,
        "malloc's mmap"
    );
    assert_eq!(
        mmap(PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1),
        EPERM
    );
    assert_eq!(mmap(PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1), EPERM);
    // A descriptor the worker inherited, mapped to be read.
    assert_eq!(mmap(PROT_READ, MAP_PRIVATE, 3), EPERM);
    assert_eq!(
        mmap(PROT_READ, MAP_SHARED, 0),
        EPERM,
        "not even standard input"
    );
    let mprotect = |prot: i32| verdict(libc::SYS_mprotect, [0, 4096, prot as u64, 0, 0, 0]);
    assert_eq!(mprotect(rw), ALLOW);
    assert_eq!(mprotect(PROT_READ | PROT_EXEC), EPERM);
}

#[test]
fn descriptors_are_only_the_pipes() {
    let on = |nr: i64, fd: u64| verdict(nr, [fd, 0, 8, 0, 0, 0]);
    assert_eq!(on(libc::SYS_read, 0), ALLOW);
    assert_eq!(on(libc::SYS_read, 3), EPERM);
    assert_eq!(on(libc::SYS_write, 1), ALLOW);
    assert_eq!(on(libc::SYS_write, 2), ALLOW);
    assert_eq!(on(libc::SYS_write, 3), EPERM);
    assert_eq!(on(libc::SYS_writev, 0), EPERM);
    for nr in [
        libc::SYS_openat,
        libc::SYS_open,
        libc::SYS_socket,
        libc::SYS_clone,
        libc::SYS_clone3,
        libc::SYS_fork,
        libc::SYS_pread64,
        libc::SYS_sendfile,
        libc::SYS_close_range,
    ] {
        assert_eq!(verdict(nr, [0; 6]), EPERM, "syscall {nr}");
    }
}

#[test]
fn exec_kills_and_signals_go_only_to_itself() {
    assert_eq!(verdict(libc::SYS_execve, [0; 6]), KILL_PROCESS);
    assert_eq!(verdict(libc::SYS_execveat, [0; 6]), KILL_PROCESS);
    let tgkill = |pid: u32| verdict(libc::SYS_tgkill, [u64::from(pid), 0, 6, 0, 0, 0]);
    assert_eq!(tgkill(PID), ALLOW);
    assert_eq!(tgkill(1), EPERM);
}
