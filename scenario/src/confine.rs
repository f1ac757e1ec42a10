//! The kernel's hold on a scenario worker. QuickJS has no file, network or process access, but
//! if a script ever escaped it, the process around it should still be unable to open
//! `master.key` or the database, connect anywhere, start a process, or grow without bound.
//! `confine` is called once the worker has read its job and before it runs any of it.
//!
//! The steps, in this order (each needs the ones before it, or would block the next):
//! 0. close every descriptor but the three pipes: one inherited without close-on-exec (a
//!    supervisor's lock file, say) would otherwise stay readable through Landlock, which only
//!    governs opening; and check that the process has one thread, since Landlock and seccomp
//!    bind only the thread that asks (and those it starts later);
//! 1. change to `/`, so nothing is relative to the server's data directory;
//! 2. `PR_SET_NO_NEW_PRIVS`, and not dumpable (no core file with values in it, no ptrace);
//! 3. Landlock: every file-system right, TCP bind and connect, abstract sockets and signals
//!    handled and none granted. A kernel without Landlock is reported (the parent logs it
//!    once) and the run goes on: seccomp still holds;
//! 4. rlimits: address space, CPU seconds, no new file descriptors, no processes, no file
//!    writes, no core files;
//! 5. every capability dropped (a worker of a server that runs as root keeps none);
//! 6. seccomp: an allowlist of what computing and the three pipes need (memory only anonymous
//!    and never executable). Any other call fails with EPERM (the worker can still report how
//!    its run ended); `execve` kills it.
//!
//! Any step that fails stops the worker (fail closed). The syscall list was taken with strace
//! on x86_64; on any other architecture `confine` refuses, and with it every run.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How far Landlock confines the worker on this kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Landlock {
    /// Every right asked for is enforced.
    Enforced,
    /// An older kernel enforces only some of them (file access, at least).
    Partial,
    /// The kernel has no Landlock (before 5.13, or not enabled at boot).
    Unavailable,
}

/// What the worker may use beyond its QuickJS heap: the rlimits are sized from these.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// The QuickJS heap limit of the run.
    pub heap_bytes: usize,
    /// The run's time limit; its CPU seconds are capped a little above it.
    pub wall_clock: Duration,
}

/// Address space allowed beyond what the worker has mapped when it confines itself: the QuickJS
/// heap (with malloc's overhead), the log and the pipes' buffers, and a few allocator arenas.
fn address_space_headroom(heap_bytes: usize) -> u64 {
    const FIXED: u64 = 96 * 1024 * 1024;
    FIXED.saturating_add(
        u64::try_from(heap_bytes)
            .unwrap_or(u64::MAX)
            .saturating_mul(4),
    )
}

/// CPU seconds beyond the time limit. The parent kills the worker 2 s after its deadline, so
/// this only bites if the parent is gone.
const CPU_GRACE_SECS: u64 = 4;

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
pub use linux::confine;

/// Refuses: the syscall allowlist has not been checked on this architecture.
#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
pub fn confine(_: Budget) -> Result<Landlock, String> {
    Err(format!(
        "scenario workers are confined only on Linux x86_64; this build is for {} {}, so \
         scenarios cannot run here",
        std::env::consts::OS,
        std::env::consts::ARCH
    ))
}

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
mod linux {
    use super::{Budget, CPU_GRACE_SECS, Landlock, address_space_headroom};
    use landlock::{
        ABI, Access, AccessFs, AccessNet, LandlockStatus, Ruleset, RulesetAttr, RulesetStatus,
        Scope,
    };
    use rustix::process::{Resource, Rlimit, setrlimit};
    use seccompiler::{
        BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
        SeccompRule, TargetArch,
    };
    use std::collections::BTreeMap;

    /// Confines the calling process, which must have one thread and own no descriptor but
    /// standard input, output and error.
    pub fn confine(budget: Budget) -> Result<Landlock, String> {
        let os = |e: rustix::io::Errno| e.to_string();
        close_inherited_descriptors().map_err(step("closing inherited descriptors"))?;
        // Read before Landlock and the descriptor limit take /proc away.
        let status = std::fs::read_to_string("/proc/self/status")
            .map_err(|e| e.to_string())
            .map_err(step("reading /proc/self/status"))?;
        single_threaded(&status).map_err(step("threads"))?;
        let mapped = mapped_bytes(&status).map_err(step("reading /proc/self/status"))?;
        std::env::set_current_dir("/")
            .map_err(|e| e.to_string())
            .map_err(step("chdir /"))?;
        rustix::thread::set_no_new_privs(true)
            .map_err(os)
            .map_err(step("PR_SET_NO_NEW_PRIVS"))?;
        rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
            .map_err(os)
            .map_err(step("PR_SET_DUMPABLE"))?;
        let landlock = restrict_file_system().map_err(step("Landlock"))?;
        set_limits(budget, mapped).map_err(step("rlimits"))?;
        drop_capabilities().map_err(step("capabilities"))?;
        install_seccomp().map_err(step("seccomp"))?;
        Ok(landlock)
    }

    fn step(what: &str) -> impl FnOnce(String) -> String + '_ {
        move |e| format!("cannot confine the scenario worker: {what}: {e}")
    }

    /// Closes every descriptor above 2. Nothing in the worker owns one when it confines
    /// itself (std opens none at start, the job came on standard input, a probe's files are
    /// dropped), so what is there was inherited.
    fn close_inherited_descriptors() -> Result<(), String> {
        for fd in open_descriptors()?.into_iter().filter(|fd| *fd > 2) {
            match nix::unistd::close(fd) {
                // The listing's own descriptor, closed when the listing was.
                Ok(()) | Err(nix::errno::Errno::EBADF) => {}
                Err(e) => return Err(format!("descriptor {fd}: {e}")),
            }
        }
        // The listing now holds the lowest free number, 3: anything above it is still open.
        let left: Vec<_> = open_descriptors()?
            .into_iter()
            .filter(|fd| *fd > 3)
            .collect();
        if left.is_empty() {
            Ok(())
        } else {
            Err(format!("still open after closing: {left:?}"))
        }
    }

    /// The numbers in /proc/self/fd, with the listing's own among them.
    fn open_descriptors() -> Result<Vec<i32>, String> {
        let entries = std::fs::read_dir("/proc/self/fd").map_err(|e| e.to_string())?;
        let mut fds = Vec::new();
        for entry in entries {
            let name = entry.map_err(|e| e.to_string())?.file_name();
            let fd = name
                .to_str()
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| format!("{name:?} in /proc/self/fd is not a number"))?;
            fds.push(fd);
        }
        Ok(fds)
    }

    /// Fails unless the process has exactly one thread.
    fn single_threaded(status: &str) -> Result<(), String> {
        let threads = status
            .lines()
            .find_map(|line| line.strip_prefix("Threads:"))
            .and_then(|n| n.trim().parse::<u64>().ok())
            .ok_or("no Threads line")?;
        if threads == 1 {
            Ok(())
        } else {
            Err(format!(
                "the worker has {threads} threads, and Landlock and seccomp would bind only one"
            ))
        }
    }

    /// `VmSize` of this process, in bytes.
    fn mapped_bytes(status: &str) -> Result<u64, String> {
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmSize:"))
            .and_then(|rest| rest.trim().strip_suffix("kB"))
            .and_then(|kb| kb.trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
            .ok_or_else(|| "no VmSize line".to_owned())
    }

    /// Handles every right Landlock knows (ABI 6: files, TCP, abstract sockets, signals) and
    /// grants none. Best effort on older kernels; fails only when the kernel has Landlock and
    /// still enforces nothing.
    fn restrict_file_system() -> Result<Landlock, String> {
        let abi = ABI::V6;
        let status = Ruleset::default()
            .handle_access(AccessFs::from_all(abi))
            .and_then(|r| r.handle_access(AccessNet::from_all(abi)))
            .and_then(|r| r.scope(Scope::from_all(abi)))
            .and_then(|r| r.create())
            .and_then(|r| r.restrict_self())
            .map_err(|e| e.to_string())?;
        match (status.landlock, status.ruleset) {
            (LandlockStatus::NotEnabled | LandlockStatus::NotImplemented, _) => {
                Ok(Landlock::Unavailable)
            }
            (LandlockStatus::Available { .. }, RulesetStatus::FullyEnforced) => {
                Ok(Landlock::Enforced)
            }
            (LandlockStatus::Available { .. }, RulesetStatus::PartiallyEnforced) => {
                Ok(Landlock::Partial)
            }
            (LandlockStatus::Available { .. }, RulesetStatus::NotEnforced) => {
                Err("the kernel has Landlock but enforced none of the rules".into())
            }
        }
    }

    fn set_limits(budget: Budget, mapped: u64) -> Result<(), String> {
        let both = |n: u64| Rlimit {
            current: Some(n),
            maximum: Some(n),
        };
        let address_space = mapped.saturating_add(address_space_headroom(budget.heap_bytes));
        // A soft limit sends SIGXCPU; the hard one, a second later, SIGKILL.
        let cpu = budget.wall_clock.as_secs() + 1 + CPU_GRACE_SECS;
        let limits = [
            (Resource::As, "RLIMIT_AS", both(address_space)),
            (
                Resource::Cpu,
                "RLIMIT_CPU",
                Rlimit {
                    current: Some(cpu),
                    maximum: Some(cpu + 1),
                },
            ),
            // No new descriptor at all: the worker only uses the three it was given.
            (Resource::Nofile, "RLIMIT_NOFILE", both(0)),
            // Does not bind root (seccomp does that), but does bind everyone else.
            (Resource::Nproc, "RLIMIT_NPROC", both(0)),
            (Resource::Fsize, "RLIMIT_FSIZE", both(0)),
            (Resource::Core, "RLIMIT_CORE", both(0)),
            (Resource::Memlock, "RLIMIT_MEMLOCK", both(0)),
        ];
        for (resource, name, limit) in limits {
            setrlimit(resource, limit).map_err(|e| format!("{name}: {e}"))?;
        }
        Ok(())
    }

    fn drop_capabilities() -> Result<(), String> {
        use rustix::thread::{CapabilitySet, CapabilitySets, set_capabilities};
        set_capabilities(
            None,
            CapabilitySets {
                effective: CapabilitySet::empty(),
                permitted: CapabilitySet::empty(),
                inheritable: CapabilitySet::empty(),
            },
        )
        .map_err(|e| e.to_string())
    }

    /// Two filters; the kernel applies the stricter answer. The first kills on `execve`; the
    /// second allows the listed calls and fails every other with EPERM.
    fn install_seccomp() -> Result<(), String> {
        let pid = rustix::process::getpid()
            .as_raw_nonzero()
            .get()
            .unsigned_abs();
        // The allowlist has no `seccomp`: it goes last. Every thread, though there is one.
        for program in filters(pid)? {
            seccompiler::apply_filter_all_threads(&program).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// The two programs `install_seccomp` applies, in order, for process `pid`.
    pub(crate) fn filters(pid: u32) -> Result<[BpfProgram; 2], String> {
        let fatal = filter(
            [libc::SYS_execve, libc::SYS_execveat]
                .into_iter()
                .map(|nr| (nr, vec![]))
                .collect(),
            SeccompAction::Allow,
            SeccompAction::KillProcess,
        )?;
        let allowed = filter(
            allowlist(pid)?,
            SeccompAction::Errno(libc::EPERM as u32),
            SeccompAction::Allow,
        )?;
        Ok([fatal, allowed])
    }

    fn filter(
        rules: BTreeMap<i64, Vec<SeccompRule>>,
        otherwise: SeccompAction,
        on_match: SeccompAction,
    ) -> Result<BpfProgram, String> {
        SeccompFilter::new(rules, otherwise, on_match, TargetArch::x86_64)
            .and_then(BpfProgram::try_from)
            .map_err(|e| e.to_string())
    }

    /// What a run was seen to call (strace, x86_64), with the arguments pinned where that
    /// matters: reads only from standard input, writes only to standard output and error,
    /// memory only anonymous (no file mapped, not even one inherited) and never executable,
    /// signals only to itself.
    fn allowlist(pid: u32) -> Result<BTreeMap<i64, Vec<SeccompRule>>, String> {
        // Dword: the kernel reads these arguments (descriptors, pids, protections) as 32 bits.
        let arg = |index: u8, op: SeccompCmpOp, value: u64| {
            SeccompCondition::new(index, SeccompCmpArgLen::Dword, op, value)
                .map_err(|e| e.to_string())
        };
        let rule = |conditions: Vec<SeccompCondition>| {
            SeccompRule::new(conditions).map_err(|e| e.to_string())
        };
        let first_is = |value: u64| -> Result<SeccompRule, String> {
            rule(vec![arg(0, SeccompCmpOp::Eq, value)?])
        };
        let exec = libc::PROT_EXEC as u64;
        let not_executable = || arg(2, SeccompCmpOp::MaskedEq(exec), 0);
        // With MAP_ANONYMOUS the kernel ignores the descriptor argument.
        let anonymous = libc::MAP_ANONYMOUS as u64;
        let mmap = rule(vec![
            not_executable()?,
            arg(3, SeccompCmpOp::MaskedEq(anonymous), anonymous)?,
        ])?;
        let pid = u64::from(pid);
        let mut rules = BTreeMap::new();
        for nr in [
            // Memory: malloc (brk, mmap) and mimalloc (madvise, mremap).
            libc::SYS_brk,
            libc::SYS_munmap,
            libc::SYS_mremap,
            libc::SYS_madvise,
            // Locks, time (normally the vDSO), randomness (hash seeds).
            libc::SYS_futex,
            libc::SYS_sched_yield,
            libc::SYS_clock_gettime,
            libc::SYS_clock_getres,
            libc::SYS_gettimeofday,
            libc::SYS_getrandom,
            // Signals and ending: a panic, a stack overflow, an abort.
            libc::SYS_rt_sigreturn,
            libc::SYS_rt_sigaction,
            libc::SYS_rt_sigprocmask,
            libc::SYS_sigaltstack,
            libc::SYS_restart_syscall,
            libc::SYS_getpid,
            libc::SYS_gettid,
            libc::SYS_exit,
            libc::SYS_exit_group,
        ] {
            rules.insert(nr, vec![]);
        }
        rules.insert(libc::SYS_read, vec![first_is(0)?]);
        rules.insert(libc::SYS_write, vec![first_is(1)?, first_is(2)?]);
        rules.insert(libc::SYS_writev, vec![first_is(1)?, first_is(2)?]);
        rules.insert(libc::SYS_mmap, vec![mmap]);
        rules.insert(libc::SYS_mprotect, vec![rule(vec![not_executable()?])?]);
        // abort() raises SIGABRT at itself.
        rules.insert(libc::SYS_tgkill, vec![first_is(pid)?]);
        Ok(rules)
    }
}

#[cfg(all(test, target_os = "linux", target_arch = "x86_64"))]
#[path = "confine_tests.rs"]
mod tests;
