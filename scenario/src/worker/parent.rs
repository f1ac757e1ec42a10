//! The server's side: starts a worker, answers its reads, keeps its log within the run's
//! bounds, and kills it at the deadline or at the first line it should not have sent. The
//! whole conversation is held to the deadline, not only the reads: a worker that stops reading
//! its answers (so a write blocks), or that reports and then does not exit, holds its run slot
//! until then and no longer (`futex` is allowed, so RLIMIT_CPU never fires on a blocked one).

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::Once;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout};
use tokio::time::Instant;

use super::{
    FromWorker, Job, LineError, MAX_LINE_BYTES, MAX_RUN_BYTES, ToWorker, WORKER_COMMAND,
    parse_line, to_line,
};
use crate::confine::Landlock;
use crate::runtime::{
    self, Limits, MAX_LOG_BYTES, MAX_LOG_LINES, MAX_SECRET_NAMES, RunContext, RunReport,
};
use shared::model::{LogLine, RunStatus, ScriptError};
use shared::validation::check_secret_name;
use store::SecretValue;

/// How long after the deadline a worker that has not finished is killed.
const GRACE: Duration = Duration::from_secs(2);

/// Looks secret names up for a worker (the parent's store, audited).
pub trait SecretLookup {
    fn lookup(
        &mut self,
        name: &str,
    ) -> impl std::future::Future<Output = Result<Option<SecretValue>, String>> + Send;
}

/// Starts `program scenario-worker`, answers its reads with `secrets`, and kills it if it is
/// still running `GRACE` after the deadline.
pub async fn run_in_worker(
    program: &Path,
    code: String,
    context: RunContext,
    limits: Limits,
    secrets: &mut impl SecretLookup,
) -> RunReport {
    let started = Instant::now();
    let mut log = KeptLog::default();
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
        log: log.lines,
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
    log: &mut KeptLog,
) -> Result<Done, String> {
    let deadline = Instant::now() + limits.wall_clock + GRACE;
    let mut child = tokio::process::Command::new(program)
        .arg(WORKER_COMMAND)
        .env_clear()
        // mimalloc reserves 1 GiB of address space up front by default; a small reserve lets
        // the worker's RLIMIT_AS be tight (see `confine`).
        .env("MIMALLOC_ARENA_RESERVE", "32MiB")
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
    let mut from = FromChild {
        output: BufReader::new(output),
        received: 0,
    };
    let job = Job {
        code,
        context,
        memory_bytes: limits.memory_bytes,
        wall_clock_ms: u64::try_from(limits.wall_clock.as_millis()).unwrap_or(u64::MAX),
    };
    let conversation = converse(&mut child, &mut input, &mut from, &job, secrets, log);
    let done = match tokio::time::timeout_at(deadline, conversation).await {
        Ok(done) => done,
        Err(_) => return Ok(timed_out(&mut child, limits).await),
    };
    // The report is in (or the run failed): nothing more is wanted from the worker, and one
    // that does not exit on its own must not linger.
    let _ = child.kill().await;
    done
}

/// Everything said between the parent and its worker, from the job to the report.
async fn converse(
    child: &mut Child,
    input: &mut ChildStdin,
    from: &mut FromChild,
    job: &Job,
    secrets: &mut impl SecretLookup,
    log: &mut KeptLog,
) -> Result<Done, String> {
    write_line(input, job).await?;
    let mut confined = false;
    let mut answered: HashMap<String, Option<String>> = HashMap::new();
    loop {
        let message = match from.next().await {
            Ok(message) => message,
            Err(LineError::Closed) => {
                let status = child.wait().await.map_err(|e| e.to_string())?;
                tracing::error!(%status, "a scenario worker ended without a report");
                return Err(format!(
                    "The scenario engine stopped unexpectedly ({status})."
                ));
            }
            Err(cut) => {
                let _ = child.kill().await;
                tracing::warn!(reason = %cut, "a scenario worker was stopped for what it sent");
                let message = format!("The scenario engine was stopped: {cut}.");
                log.note(&format!("[Strongroom: {message}]"));
                return Err(message);
            }
        };
        match message {
            FromWorker::Confined { landlock } if !confined => {
                note_landlock(landlock);
                confined = true;
            }
            FromWorker::ConfineFailed { message } if !confined => {
                let _ = child.wait().await;
                tracing::error!(%message, "a scenario worker could not confine itself");
                return Err(
                    "The scenario engine could not confine itself, so the run did not \
                            start; see the server log."
                        .into(),
                );
            }
            FromWorker::Log { line } if confined => log.keep(line),
            FromWorker::Read { name } if confined => {
                let answer = answer(&name, &mut answered, secrets).await;
                write_line(input, &answer).await?;
            }
            FromWorker::Done { status, error } if confined => return Ok((status, error)),
            _ => {
                let _ = child.kill().await;
                return Err(if confined {
                    "The scenario engine sent a message Strongroom cannot read.".into()
                } else {
                    "The scenario engine did not confine itself, so the run was stopped.".into()
                });
            }
        }
    }
}

/// The answer to a read: a name that breaks the naming rule cannot exist, so it is not looked
/// up (nor audited); each other name is looked up once per run, and at most
/// `MAX_SECRET_NAMES` of them.
async fn answer(
    name: &str,
    answered: &mut HashMap<String, Option<String>>,
    secrets: &mut impl SecretLookup,
) -> ToWorker {
    if check_secret_name(name).is_err() {
        return ToWorker::Value { value: None };
    }
    if let Some(value) = answered.get(name) {
        return ToWorker::Value {
            value: value.clone(),
        };
    }
    if answered.len() >= MAX_SECRET_NAMES {
        return ToWorker::Failed {
            message: format!("A run may read at most {MAX_SECRET_NAMES} different secret names."),
        };
    }
    match secrets.lookup(name).await {
        Ok(value) => {
            let value = value.map(|v| v.expose().to_owned());
            answered.insert(name.to_owned(), value.clone());
            ToWorker::Value { value }
        }
        Err(message) => ToWorker::Failed { message },
    }
}

async fn timed_out(child: &mut Child, limits: Limits) -> Done {
    let _ = child.kill().await;
    (RunStatus::TimedOut, Some(runtime::time_limit_error(limits)))
}

/// Says once per server that workers run without (all of) Landlock; seccomp still holds.
fn note_landlock(landlock: Landlock) {
    static NOTED: Once = Once::new();
    if landlock != Landlock::Enforced {
        NOTED.call_once(|| {
            tracing::warn!(
                ?landlock,
                "this kernel has no (or an early) Landlock: scenario workers are confined by \
                 seccomp and resource limits, without (all of) Landlock's file-system rules"
            );
        });
    }
}

/// The worker's standard output, read a bounded line at a time.
struct FromChild {
    output: BufReader<ChildStdout>,
    /// Bytes read so far in this run.
    received: usize,
}

impl FromChild {
    async fn next(&mut self) -> Result<FromWorker, LineError> {
        let mut line = Vec::new();
        (&mut self.output)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut line)
            .await
            .map_err(|e| LineError::Io(e.to_string()))?;
        self.received += line.len();
        if self.received > MAX_RUN_BYTES {
            return Err(LineError::RunTooLarge);
        }
        parse_line(&line, MAX_LINE_BYTES)
    }
}

/// The run's log as the parent keeps it: the worker cuts its log, and this holds a worker that
/// did not to the same bounds.
#[derive(Default)]
struct KeptLog {
    lines: Vec<LogLine>,
    bytes: usize,
    full: bool,
}

impl KeptLog {
    fn keep(&mut self, line: LogLine) {
        if self.full {
            return;
        }
        // The worker's own note that it cut the log is one line and a few bytes more.
        if self.lines.len() > MAX_LOG_LINES || self.bytes + line.text.len() > MAX_LOG_BYTES + 1024 {
            self.full = true;
            self.note("[Strongroom: the scenario engine sent more log than a run keeps; the rest is not kept]");
            return;
        }
        self.bytes += line.text.len();
        self.lines.push(line);
    }

    fn note(&mut self, text: &str) {
        self.lines.push(LogLine {
            at_ms: chrono::Utc::now().timestamp_millis(),
            text: text.to_owned(),
        });
    }
}

async fn write_line(input: &mut ChildStdin, message: &impl serde::Serialize) -> Result<(), String> {
    let line = to_line(message)?;
    input
        .write_all(&line)
        .await
        .map_err(|e| format!("The scenario engine stopped unexpectedly ({e})."))
}
