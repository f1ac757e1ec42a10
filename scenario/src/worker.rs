//! Runs the sandbox in a child process (`strongroom scenario-worker`) that the server kills
//! at the deadline: QuickJS stops itself at the deadline in the interpreter, but not inside a
//! few builtins' C loops, and only a process can be stopped from outside. The worker starts
//! with an empty environment (no master key), opens no database, and confines itself with the
//! kernel (`confine`) before it runs the script: it asks the parent for each secret over its
//! standard input and output, one JSON message per line.
//!
//! Neither side trusts the other's lines to be small: both read a line at most `MAX_LINE_BYTES`
//! long (the job, `MAX_JOB_BYTES`), and the parent stops a worker that sends more than
//! `MAX_RUN_BYTES` in one run. The parent answers nothing before the worker has said it is
//! confined, and looks up only names that can exist.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::confine::Landlock;
use super::runtime::RunContext;
use shared::model::{LogLine, RunStatus, ScriptError};

mod child;
mod parent;

pub use child::serve_worker;
pub use parent::{SecretLookup, run_in_worker};

/// The subcommand of the server binary that runs one scenario.
pub const WORKER_COMMAND: &str = "scenario-worker";

/// Longest line either side sends after the job. The longest real ones are a log line or an
/// error (8192 characters, each at most 6 bytes once JSON-escaped) and an answer carrying a
/// value (8192 characters).
pub const MAX_LINE_BYTES: usize = 64 * 1024;
/// The job's line: the code (256 K characters, escaped) and its context.
pub const MAX_JOB_BYTES: usize = 2 * 1024 * 1024;
/// Most a worker may send in one run. A whole log (1000 lines, 256 KB of text, escaped), 1000
/// reads and the report fit in under 2 MB.
pub const MAX_RUN_BYTES: usize = 4 * 1024 * 1024;

/// The first line the parent sends.
#[derive(Serialize, Deserialize)]
struct Job {
    code: String,
    context: RunContext,
    memory_bytes: usize,
    wall_clock_ms: u64,
}

/// What the worker says: `Confined` (or `ConfineFailed`) first, then reads and log lines,
/// then `Done`.
#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum FromWorker {
    Confined {
        landlock: Landlock,
    },
    /// A confinement step failed: the worker stops without running the script.
    ConfineFailed {
        message: String,
    },
    /// Only with `PROBE_VAR` set, which the parent never does (see `child::Probe`).
    Probe {
        before: Box<child::ProbeResults>,
        after: Box<child::ProbeResults>,
    },
    Read {
        name: String,
    },
    Log {
        line: LogLine,
    },
    Done {
        status: RunStatus,
        error: Option<ScriptError>,
    },
}

/// The parent's answer to a `Read`.
#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ToWorker {
    Value { value: Option<String> },
    Failed { message: String },
}

/// Why a line could not be taken.
#[derive(Debug, PartialEq)]
enum LineError {
    /// The other side closed its end (before a whole line, if any bytes came).
    Closed,
    TooLong(usize),
    /// More than `MAX_RUN_BYTES` in one run.
    RunTooLarge,
    Io(String),
    Unreadable(String),
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LineError::Closed => f.write_str("the other side closed the pipe"),
            LineError::TooLong(max) => write!(f, "a line was longer than {} KB", max / 1024),
            LineError::RunTooLarge => write!(
                f,
                "it sent more than the {} MB a run may send",
                MAX_RUN_BYTES / (1024 * 1024)
            ),
            LineError::Io(e) => write!(f, "the pipe failed: {e}"),
            LineError::Unreadable(e) => write!(f, "a line was not a message: {e}"),
        }
    }
}

/// `bytes` (one line, with or without its newline) read by a reader that stopped after
/// `max + 1` bytes, as a message.
fn parse_line<T: DeserializeOwned>(bytes: &[u8], max: usize) -> Result<T, LineError> {
    let Some(line) = bytes.strip_suffix(b"\n") else {
        return Err(if bytes.len() > max {
            LineError::TooLong(max)
        } else {
            LineError::Closed
        });
    };
    serde_json::from_slice(line).map_err(|e| LineError::Unreadable(e.to_string()))
}

/// One message as a line, newline included.
fn to_line(message: &impl Serialize) -> Result<Vec<u8>, String> {
    let mut line = serde_json::to_vec(message).map_err(|e| e.to_string())?;
    line.push(b'\n');
    Ok(line)
}
