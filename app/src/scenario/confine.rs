//! The kernel's hold on a scenario worker. QuickJS has no file, network or process access, but
//! if a script ever escaped it, the process around it should still be unable to open
//! `master.key` or the database, connect anywhere, start a process, or grow without bound.
//! `confine` is called once the worker has read its job and before it runs any of it.
//!
//! The steps, in this order (each needs the ones before it, or would block the next):
//! 1. change to `/`, so nothing is relative to the server's data directory;
//! 2. `PR_SET_NO_NEW_PRIVS`, and not dumpable (no core file with values in it, no ptrace);
//! 3. Landlock: every file-system right, TCP bind and connect, abstract sockets and signals
//!    handled and none granted. A kernel without Landlock is reported (the parent logs it
//!    once) and the run goes on: seccomp still holds;
//! 4. rlimits: address space, CPU seconds, no new file descriptors, no processes, no file
//!    writes, no core files;
//! 5. every capability dropped (a worker of a server that runs as root keeps none);
//! 6. seccomp: an allowlist of what computing and the three pipes need. Any other call fails
//!    with EPERM (the worker can still report how its run ended); `execve` kills it.
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

    /// Confines the calling process (single-threaded: the worker never starts a thread).
    pub fn confine(budget: Budget) -> Result<Landlock, String> {
        let os = |e: rustix::io::Errno| e.to_string();
        rustix::process::chdir("/")
            .map_err(os)
            .map_err(step("chdir /"))?;
        rustix::thread::set_no_new_privs(true)
            .map_err(os)
            .map_err(step("PR_SET_NO_NEW_PRIVS"))?;
        rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
            .map_err(os)
            .map_err(step("PR_SET_DUMPABLE"))?;
        // Read before Landlock and the descriptor limit take /proc away.
        let mapped = mapped_bytes().map_err(step("reading /proc/self/status"))?;
        let landlock = restrict_file_system().map_err(step("Landlock"))?;
        set_limits(budget, mapped).map_err(step("rlimits"))?;
        drop_capabilities().map_err(step("capabilities"))?;
        install_seccomp().map_err(step("seccomp"))?;
        Ok(landlock)
    }

    fn step(what: &str) -> impl FnOnce(String) -> String + '_ {
        move |e| format!("cannot confine the scenario worker: {what}: {e}")
    }

    /// `VmSize` of this process, in bytes.
    fn mapped_bytes() -> Result<u64, String> {
        let status = std::fs::read_to_string("/proc/self/status").map_err(|e| e.to_string())?;
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
        let fatal = filter(
            [libc::SYS_execve, libc::SYS_execveat]
                .into_iter()
                .map(|nr| (nr, vec![]))
                .collect(),
            SeccompAction::Allow,
            SeccompAction::KillProcess,
        )?;
        let allowed = filter(
            allowlist()?,
            SeccompAction::Errno(libc::EPERM as u32),
            SeccompAction::Allow,
        )?;
        // The allowlist has no `seccomp`: it goes last.
        for program in [fatal, allowed] {
            seccompiler::apply_filter(&program).map_err(|e| e.to_string())?;
        }
        Ok(())
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
    /// matters: reads only from standard input, writes only to standard output and error, no
    /// executable memory, signals only to itself.
    fn allowlist() -> Result<BTreeMap<i64, Vec<SeccompRule>>, String> {
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
        let not_executable = || -> Result<Vec<SeccompRule>, String> {
            let exec = libc::PROT_EXEC as u64;
            Ok(vec![rule(vec![arg(2, SeccompCmpOp::MaskedEq(exec), 0)?])?])
        };
        let pid = u64::from(
            rustix::process::getpid()
                .as_raw_nonzero()
                .get()
                .unsigned_abs(),
        );
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
        rules.insert(libc::SYS_mmap, not_executable()?);
        rules.insert(libc::SYS_mprotect, not_executable()?);
        // abort() raises SIGABRT at itself.
        rules.insert(libc::SYS_tgkill, vec![first_is(pid)?]);
        Ok(rules)
    }
}
