//! Scenarios and their runs, as the panel shows them. A run's log and error can hold whatever
//! the scenario wrote (secret values included), so they travel only in `RunDetail`, which the
//! server hands out under the same rules as a revealed value.

use serde::{Deserialize, Serialize};
use std::fmt;

use super::Timestamp;

/// How many runs of each scenario are kept; older ones are deleted as new ones are recorded.
pub const RUNS_KEPT: i64 = 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ScenarioId(pub i64);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RunId(pub i64);

impl fmt::Display for ScenarioId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A scenario with its code (code is not secret: values are read at run time).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    pub id: ScenarioId,
    pub name: String,
    pub code: String,
    pub created: Timestamp,
    pub modified: Timestamp,
}

/// One row of an application's scenario list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScenarioSummary {
    pub id: ScenarioId,
    pub name: String,
    pub modified: Timestamp,
    pub last_run: Option<RunSummary>,
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RunStatus {
    /// The scenario called `VoxEngine.terminate()`.
    Terminated,
    /// Nothing was left to run and the scenario never called `VoxEngine.terminate()`.
    Ended,
    /// A script error: syntax, an uncaught exception, or a failed secret read.
    Error,
    /// The wall-clock limit stopped it.
    TimedOut,
    /// The memory limit stopped it.
    OutOfMemory,
}

impl RunStatus {
    pub const ALL: [RunStatus; 5] = [
        RunStatus::Terminated,
        RunStatus::Ended,
        RunStatus::Error,
        RunStatus::TimedOut,
        RunStatus::OutOfMemory,
    ];

    /// The stored name (and the command line's).
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Terminated => "terminated",
            RunStatus::Ended => "ended",
            RunStatus::Error => "error",
            RunStatus::TimedOut => "timed_out",
            RunStatus::OutOfMemory => "out_of_memory",
        }
    }

    /// What the panel shows.
    pub fn label(self) -> &'static str {
        match self {
            RunStatus::Terminated => "Finished (terminate)",
            RunStatus::Ended => "Ended without terminate",
            RunStatus::Error => "Error",
            RunStatus::TimedOut => "Timed out",
            RunStatus::OutOfMemory => "Out of memory",
        }
    }

    /// Whether the run went as a scenario should: the command line exits 0 only for these.
    pub fn is_success(self) -> bool {
        matches!(self, RunStatus::Terminated | RunStatus::Ended)
    }
}

impl std::str::FromStr for RunStatus {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        RunStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or(())
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A run without its log: who started it, when, and how it ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub id: RunId,
    pub status: RunStatus,
    pub started: Timestamp,
    pub duration_ms: i64,
    /// Who started it, as the audit log names them.
    pub started_by: String,
}

/// One `Logger.write` line, with the time it was written (milliseconds since the epoch).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogLine {
    pub at_ms: i64,
    pub text: String,
}

impl LogLine {
    /// `HH:MM:SS.mmm` in UTC.
    pub fn time(&self) -> String {
        let ms = self.at_ms.rem_euclid(86_400_000);
        format!(
            "{:02}:{:02}:{:02}.{:03}",
            ms / 3_600_000,
            ms / 60_000 % 60,
            ms / 1000 % 60,
            ms % 1000
        )
    }
}

/// Why a run failed, with the scenario's line when the engine knows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScriptError {
    pub message: String,
    pub line: Option<u32>,
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// A run with its log and error.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunDetail {
    pub summary: RunSummary,
    pub error: Option<ScriptError>,
    pub log: Vec<LogLine>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_their_stored_names() {
        for status in RunStatus::ALL {
            assert_eq!(status.as_str().parse(), Ok(status));
        }
        assert_eq!("running".parse::<RunStatus>(), Err(()));
    }

    #[test]
    fn log_times_are_utc_with_milliseconds() {
        let line = LogLine {
            at_ms: 1_795_000_000_123,
            text: String::new(),
        };
        assert_eq!(line.time(), "11:06:40.123");
    }
}
