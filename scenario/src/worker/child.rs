//! The worker's side: reads its job, confines itself, runs the script, and talks to the parent
//! over its standard input and output.

use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::io::{BufRead, Read, StdinLock, Write};
use std::rc::Rc;
use std::time::Duration;

use super::{
    FromWorker, Job, LineError, MAX_JOB_BYTES, MAX_LINE_BYTES, MAX_RUN_BYTES, ToWorker, parse_line,
    to_line,
};
use crate::confine::{self, Budget};
use crate::runtime::{self, Limits, RunHost};
use shared::model::LogLine;
use store::SecretValue;

/// A test's way to try, in a real worker, what confinement must stop: a JSON `Probe`. The
/// parent starts workers with an empty environment, so a server never sets it.
pub const PROBE_VAR: &str = "STRONGROOM_WORKER_PROBE";

/// Runs one job: reads it from standard input, confines the process, runs it, and reports on
/// standard output. Returns when the run is over; an error means it could not run.
pub fn serve_worker() -> Result<(), String> {
    let pipes = Rc::new(RefCell::new(Pipes {
        input: std::io::stdin().lock(),
        sent: 0,
    }));
    let job: Job = pipes
        .borrow_mut()
        .receive(MAX_JOB_BYTES)
        .map_err(|e| format!("cannot read the job: {e}"))?;
    let limits = Limits {
        memory_bytes: job.memory_bytes,
        wall_clock: Duration::from_millis(job.wall_clock_ms),
        ..Limits::default()
    };
    let probe = std::env::var(PROBE_VAR)
        .ok()
        .map(|text| serde_json::from_str::<Probe>(&text))
        .transpose()
        .map_err(|e| format!("{PROBE_VAR} is not a probe: {e}"))?;
    let before = probe.as_ref().map(Probe::run);
    // Stands in for a worker that started a thread before confining itself.
    if probe.as_ref().is_some_and(|p| p.leave_a_thread) {
        std::thread::spawn(|| {
            loop {
                std::thread::park();
            }
        });
    }

    let budget = Budget {
        heap_bytes: limits.memory_bytes,
        wall_clock: limits.wall_clock,
    };
    match confine::confine(budget) {
        Ok(landlock) => pipes
            .borrow_mut()
            .send(&FromWorker::Confined { landlock })?,
        Err(message) => {
            // Nothing secret exists yet: the parent may log this as it is.
            let _ = pipes.borrow_mut().send(&FromWorker::ConfineFailed {
                message: message.clone(),
            });
            return Err(message);
        }
    }
    if let (Some(probe), Some(before)) = (&probe, before) {
        let after = probe.run();
        pipes.borrow_mut().send(&FromWorker::Probe {
            before: Box::new(before),
            after: Box::new(after),
        })?;
    }

    let host = PipeHost {
        pipes: Rc::clone(&pipes),
    };
    let report = runtime::run(&job.code, Box::new(host), &job.context, limits);
    pipes.borrow_mut().send(&FromWorker::Done {
        status: report.status,
        error: report.error,
    })
}

struct Pipes {
    input: StdinLock<'static>,
    /// Bytes sent so far in this run.
    sent: usize,
}

impl Pipes {
    fn send(&mut self, message: &FromWorker) -> Result<(), String> {
        let line = to_line(message)?;
        // The report always fits: only what comes before it is held to the run's budget.
        let budget = match message {
            FromWorker::Done { .. } => MAX_RUN_BYTES,
            _ => MAX_RUN_BYTES - MAX_LINE_BYTES,
        };
        if line.len() > MAX_LINE_BYTES || self.sent + line.len() > budget {
            return Err(format!(
                "the run has sent what one run may ({} MB), or a line over {} KB",
                MAX_RUN_BYTES / (1024 * 1024),
                MAX_LINE_BYTES / 1024
            ));
        }
        self.sent += line.len();
        let mut out = std::io::stdout().lock();
        out.write_all(&line)
            .and_then(|()| out.flush())
            .map_err(|e| format!("the parent went away: {e}"))
    }

    fn receive<T: serde::de::DeserializeOwned>(&mut self, max: usize) -> Result<T, LineError> {
        let mut line = Vec::new();
        (&mut self.input)
            .take(max as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| LineError::Io(e.to_string()))?;
        parse_line(&line, max)
    }
}

/// The worker's host: everything goes through the pipes to the parent.
struct PipeHost {
    pipes: Rc<RefCell<Pipes>>,
}

impl RunHost for PipeHost {
    fn secret_value(&mut self, name: &str) -> Result<Option<SecretValue>, String> {
        let mut pipes = self.pipes.borrow_mut();
        pipes.send(&FromWorker::Read {
            name: name.to_owned(),
        })?;
        match pipes
            .receive(MAX_LINE_BYTES)
            .map_err(|e| format!("bad answer: {e}"))?
        {
            ToWorker::Value { value } => Ok(value.map(SecretValue::new)),
            ToWorker::Failed { message } => Err(message),
        }
    }

    fn logged(&mut self, line: &LogLine) {
        // A failed send means the parent is gone or the run is over budget; its end says so.
        let _ = self
            .pipes
            .borrow_mut()
            .send(&FromWorker::Log { line: line.clone() });
    }
}

/// What to try before and after confinement: open a file, connect to a TCP address, start a
/// program, and (always) start a thread and list the open descriptors. With
/// `leave_a_thread`, a thread is left running into confinement.
#[derive(Deserialize)]
struct Probe {
    open: String,
    connect: String,
    spawn: String,
    #[serde(default)]
    leave_a_thread: bool,
}

/// Each attempt's outcome: `Ok` if it worked, else the error.
#[derive(Serialize, Deserialize)]
pub(super) struct ProbeResults {
    open: Result<(), String>,
    connect: Result<(), String>,
    spawn: Result<(), String>,
    thread: Result<(), String>,
    /// The numbers in /proc/self/fd (the listing's own among them).
    descriptors: Result<Vec<String>, String>,
}

impl Probe {
    fn run(&self) -> ProbeResults {
        let text = |e: std::io::Error| e.to_string();
        ProbeResults {
            open: std::fs::File::open(&self.open).map(drop).map_err(text),
            connect: std::net::TcpStream::connect(&self.connect)
                .map(drop)
                .map_err(text),
            // Inherited standard streams: nothing to open, so the start itself is what fails.
            spawn: std::process::Command::new(&self.spawn)
                .status()
                .map(drop)
                .map_err(text),
            thread: std::thread::Builder::new()
                .spawn(|| ())
                .map_err(text)
                .and_then(|t| t.join().map_err(|_| "the thread panicked".to_owned())),
            descriptors: std::fs::read_dir("/proc/self/fd")
                .and_then(|entries| {
                    entries
                        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
                        .collect()
                })
                .map_err(text),
        }
    }
}
