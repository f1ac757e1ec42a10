//! Runs the sandbox in a child process (`strongroom scenario-worker`) that the server kills
//! at the deadline: QuickJS stops itself at the deadline in the interpreter, but not inside a
//! few builtins' C loops, and only a process can be stopped from outside. The worker starts
//! with an empty environment (no master key) and opens no database: it asks the parent for
//! each secret over its standard input and output, one JSON message per line.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::time::Instant;

use super::runtime::{self, Limits, RunContext, RunHost, RunReport};
use crate::model::{LogLine, RunStatus, ScriptError};
use crate::store::SecretValue;

/// The subcommand of the server binary that runs one scenario.
pub const WORKER_COMMAND: &str = "scenario-worker";
/// How long after the deadline a worker that has not finished is killed.
const GRACE: Duration = Duration::from_secs(2);

/// The first line the parent sends.
#[derive(Serialize, Deserialize)]
struct Job {
    code: String,
    context: RunContext,
    memory_bytes: usize,
    wall_clock_ms: u64,
}

/// What the worker says.
#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum FromWorker {
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

/// The worker's side: reads the job from standard input, runs it, and reports on standard
/// output. Returns when the run is over.
pub fn serve_worker() -> Result<(), String> {
    let mut first = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut first)
        .map_err(|e| format!("cannot read the job: {e}"))?;
    let job: Job = serde_json::from_str(&first).map_err(|e| format!("bad job: {e}"))?;
    let limits = Limits {
        memory_bytes: job.memory_bytes,
        wall_clock: Duration::from_millis(job.wall_clock_ms),
    };
    let report = runtime::run(&job.code, Box::new(PipeHost), &job.context, limits);
    send(&FromWorker::Done {
        status: report.status,
        error: report.error,
    })
}

fn send(message: &FromWorker) -> Result<(), String> {
    let mut line = serde_json::to_string(message).map_err(|e| e.to_string())?;
    line.push('\n');
    let mut out = std::io::stdout().lock();
    out.write_all(line.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| format!("the parent went away: {e}"))
}

/// The worker's host: everything goes through the pipes to the parent.
struct PipeHost;

impl RunHost for PipeHost {
    fn secret_value(&mut self, name: &str) -> Result<Option<SecretValue>, String> {
        send(&FromWorker::Read {
            name: name.to_owned(),
        })?;
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .map_err(|e| format!("the parent went away: {e}"))?;
        match serde_json::from_str(&answer).map_err(|e| format!("bad answer: {e}"))? {
            ToWorker::Value { value } => Ok(value.map(SecretValue::new)),
            ToWorker::Failed { message } => Err(message),
        }
    }

    fn logged(&mut self, line: &LogLine) {
        // A failed send means the parent is gone; the run's end will say so.
        let _ = send(&FromWorker::Log { line: line.clone() });
    }
}

/// Looks secret names up for a worker (the parent's store, audited).
pub trait SecretLookup {
    fn lookup(
        &mut self,
        name: &str,
    ) -> impl std::future::Future<Output = Result<Option<SecretValue>, String>> + Send;
}

/// The parent's side: starts `program scenario-worker`, answers its reads with `secrets`, and
/// kills it if it is still running `GRACE` after the deadline.
pub async fn run_in_worker(
    program: &Path,
    code: String,
    context: RunContext,
    limits: Limits,
    secrets: &mut impl SecretLookup,
) -> RunReport {
    let started = Instant::now();
    let mut log = Vec::new();
    let outcome = drive(program, code, context, limits, secrets, &mut log).await;
    let (status, error) = match outcome {
        Ok(done) => done,
        Err(message) => (
            RunStatus::Error,
            Some(ScriptError {
                message,
                line: None,
            }),
        ),
    };
    RunReport {
        status,
        error,
        log,
        duration: started.elapsed(),
    }
}

type Done = (RunStatus, Option<ScriptError>);

async fn drive(
    program: &Path,
    code: String,
    context: RunContext,
    limits: Limits,
    secrets: &mut impl SecretLookup,
    log: &mut Vec<LogLine>,
) -> Result<Done, String> {
    let deadline = Instant::now() + limits.wall_clock + GRACE;
    let mut child = tokio::process::Command::new(program)
        .arg(WORKER_COMMAND)
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        // A dropped request (or server shutdown) takes its run with it.
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            tracing::error!(error = %e, program = %program.display(), "cannot start a scenario worker");
            "Strongroom could not start the scenario engine; see the server log.".to_owned()
        })?;
    let mut input = child
        .stdin
        .take()
        .ok_or("the worker has no standard input")?;
    let output = child
        .stdout
        .take()
        .ok_or("the worker has no standard output")?;
    let mut lines = BufReader::new(output).lines();
    let job = Job {
        code,
        context,
        memory_bytes: limits.memory_bytes,
        wall_clock_ms: u64::try_from(limits.wall_clock.as_millis()).unwrap_or(u64::MAX),
    };
    write_line(&mut input, &job).await?;

    let mut answered: HashMap<String, Option<String>> = HashMap::new();
    loop {
        let next = match tokio::time::timeout_at(deadline, lines.next_line()).await {
            Ok(next) => next,
            Err(_) => {
                let _ = child.kill().await;
                return Ok((RunStatus::TimedOut, Some(runtime::time_limit_error(limits))));
            }
        };
        let Ok(Some(line)) = next else {
            let status = child.wait().await.map_err(|e| e.to_string())?;
            tracing::error!(%status, "a scenario worker ended without a report");
            return Err(format!(
                "The scenario engine stopped unexpectedly ({status})."
            ));
        };
        match serde_json::from_str::<FromWorker>(&line) {
            Ok(FromWorker::Log { line }) => {
                // The worker caps its log; this only guards against a misbehaving one.
                if log.len() <= 1000 {
                    log.push(line);
                }
            }
            Ok(FromWorker::Read { name }) => {
                let answer = match answered.get(&name) {
                    Some(value) => ToWorker::Value {
                        value: value.clone(),
                    },
                    None => match secrets.lookup(&name).await {
                        Ok(value) => {
                            let value = value.map(|v| v.expose().to_owned());
                            answered.insert(name, value.clone());
                            ToWorker::Value { value }
                        }
                        Err(message) => ToWorker::Failed { message },
                    },
                };
                write_line(&mut input, &answer).await?;
            }
            Ok(FromWorker::Done { status, error }) => {
                let _ = child.wait().await;
                return Ok((status, error));
            }
            Err(_) => {
                let _ = child.kill().await;
                return Err("The scenario engine sent a message Strongroom cannot read.".into());
            }
        }
    }
}

async fn write_line(
    input: &mut tokio::process::ChildStdin,
    message: &impl Serialize,
) -> Result<(), String> {
    let mut line = serde_json::to_string(message).map_err(|e| e.to_string())?;
    line.push('\n');
    input
        .write_all(line.as_bytes())
        .await
        .map_err(|e| format!("The scenario engine stopped unexpectedly ({e})."))
}
