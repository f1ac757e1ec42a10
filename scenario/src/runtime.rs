//! The sandbox a scenario runs in: one QuickJS runtime per run, with a heap limit, a stack
//! limit and an interrupt hook for the wall clock. QuickJS without its `std`/`os` modules has
//! no file, network or process access; a scenario sees only the VoxEngine subset that
//! `prelude.js` defines and the secrets its `RunHost` hands out.
//!
//! The interrupt hook is polled by the interpreter, not by every builtin: a few C loops over an
//! array-like's `length` never poll it. The server therefore runs this in a worker process
//! (`worker`) that it kills at the deadline; the in-process call is for tests and the worker.

use rquickjs::function::Opt;
use rquickjs::{CaughtError, Context, Ctx, Function, Object, Runtime};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use shared::model::{LogLine, RunStatus, ScriptError};
use shared::validation::check_secret_name;
use store::SecretValue;

/// The file name errors name, so their line numbers point into the scenario.
const SCENARIO_FILE: &str = "scenario.js";
const PRELUDE: &str = include_str!("prelude.js");
/// QuickJS's stack guard: deep recursion ends in a `RangeError`, not a crashed thread.
const MAX_STACK_BYTES: usize = 512 * 1024;
/// A run's log is kept whole up to these bounds, then cut with a note.
pub const MAX_LOG_LINES: usize = 1000;
pub const MAX_LOG_BYTES: usize = 256 * 1024;
pub const MAX_LINE_CHARS: usize = 8192;
/// How many different names one run may look up (each distinct read is audited once per run).
pub const MAX_SECRET_NAMES: usize = 1000;

/// What a run may use, and how many runs one person may have going at once.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The QuickJS heap, in bytes.
    pub memory_bytes: usize,
    pub wall_clock: Duration,
    /// Runs one person may have going at once; `None`: half the server's run slots, at least
    /// one (see `ScenarioRunner`).
    pub runs_per_user: Option<usize>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: 16 * 1024 * 1024,
            wall_clock: Duration::from_secs(10),
            runs_per_user: None,
        }
    }
}

/// What a run needs from outside the sandbox.
pub trait RunHost {
    /// The value of the secret `name`: `Ok(None)` when there is none; `Err` when the lookup
    /// failed, which ends the run with that message. Asked at most once per name per run.
    fn secret_value(&mut self, name: &str) -> Result<Option<SecretValue>, String>;

    /// A line was added to the log (the worker streams them, so a killed run keeps its log).
    fn logged(&mut self, _line: &LogLine) {}
}

/// What the `AppEvents` handlers receive besides the event's name.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct RunContext {
    pub application_id: i64,
    pub application_name: String,
    pub scenario_name: String,
}

/// How a run went.
#[derive(Debug)]
pub struct RunReport {
    pub status: RunStatus,
    pub error: Option<ScriptError>,
    pub log: Vec<LogLine>,
    pub duration: Duration,
}

/// The run's state, shared by the native hooks and the interrupt handler.
struct RunState {
    deadline: Instant,
    /// `VoxEngine.terminate()` was called: the rest of the current handler is cut short.
    terminate_requested: Cell<bool>,
    /// The Terminating handlers are running: they may log and finish despite the request.
    in_terminating: Cell<bool>,
    timed_out: Cell<bool>,
    /// A failure outside the script (a secret lookup): ends the run as an error.
    host_failure: RefCell<Option<String>>,
    log: RefCell<Log>,
    host: RefCell<Box<dyn RunHost>>,
    /// Values already read in this run, by name: a loop over one name reads (and audits) once.
    reads: RefCell<std::collections::HashMap<String, Option<String>>>,
}

impl RunState {
    /// True once the scenario should do nothing more.
    fn stopping(&self) -> bool {
        self.terminate_requested.get() && !self.in_terminating.get()
    }

    /// The interrupt hook's answer: stop at the deadline, or after `terminate()`.
    fn should_interrupt(&self) -> bool {
        if Instant::now() >= self.deadline {
            self.timed_out.set(true);
            return true;
        }
        self.stopping() || self.host_failure.borrow().is_some()
    }
}

#[derive(Default)]
struct Log {
    lines: Vec<LogLine>,
    bytes: usize,
    truncated: bool,
}

impl Log {
    /// Adds a line (cut to `MAX_LINE_CHARS`), or the one note that the log is full; the line
    /// kept, if any.
    fn write(&mut self, text: &str) -> Option<LogLine> {
        if self.truncated {
            return None;
        }
        let text = cut(text, MAX_LINE_CHARS, " [line cut]");
        if self.lines.len() >= MAX_LOG_LINES || self.bytes + text.len() > MAX_LOG_BYTES {
            self.truncated = true;
            return Some(self.push(format!(
                "[Strongroom: log cut here; a run keeps at most {MAX_LOG_LINES} lines and \
                 {} KB]",
                MAX_LOG_BYTES / 1024
            )));
        }
        self.bytes += text.len();
        Some(self.push(text))
    }

    fn push(&mut self, text: String) -> LogLine {
        let line = LogLine {
            at_ms: chrono::Utc::now().timestamp_millis(),
            text,
        };
        self.lines.push(line.clone());
        line
    }
}

/// `text`, or its first `max` characters followed by `marker`.
fn cut(text: &str, max: usize, marker: &str) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}{marker}", &text[..end]),
        None => text.to_owned(),
    }
}

/// Runs `code` to its end: top-level code, then the `Started` handlers, promise jobs, and the
/// `Terminating` handlers. Blocking and CPU-bound: call it off the async runtime.
pub fn run(code: &str, host: Box<dyn RunHost>, context: &RunContext, limits: Limits) -> RunReport {
    let started = Instant::now();
    let state = Rc::new(RunState {
        deadline: started + limits.wall_clock,
        terminate_requested: Cell::new(false),
        in_terminating: Cell::new(false),
        timed_out: Cell::new(false),
        host_failure: RefCell::new(None),
        log: RefCell::new(Log::default()),
        host: RefCell::new(host),
        reads: RefCell::new(std::collections::HashMap::new()),
    });
    let outcome = match execute(code, &state, context, limits) {
        // A read refused at the deadline or after a failed lookup gave the script `undefined`:
        // the run did not go as written, even if the script then reached its end.
        Ok(()) if state.timed_out.get() || state.host_failure.borrow().is_some() => {
            Err(Failure::Interrupted)
        }
        other => other,
    };
    let (status, mut error) = match outcome {
        Ok(()) if state.terminate_requested.get() => (RunStatus::Terminated, None),
        Ok(()) => (RunStatus::Ended, None),
        Err(failure) => classify(&state, failure, limits),
    };
    // A thrown message is the script's to choose: keep it to a log line's size.
    if let Some(error) = &mut error {
        error.message = cut(&error.message, MAX_LINE_CHARS, " [message cut]");
    }
    let log = std::mem::take(&mut state.log.borrow_mut().lines);
    RunReport {
        status,
        error,
        log,
        duration: started.elapsed(),
    }
}

/// Why the engine stopped early, before the run's state decides what that means.
enum Failure {
    Script(ScriptError),
    OutOfMemory,
    /// The interrupt hook fired (deadline, terminate, or a host failure).
    Interrupted,
    /// QuickJS could not even set up the runtime.
    Engine(String),
}

/// What a run stopped at the wall-clock limit reports, here or by the worker's parent.
pub fn time_limit_error(limits: Limits) -> ScriptError {
    ScriptError {
        message: format!(
            "Stopped after the {} s time limit.",
            limits.wall_clock.as_secs_f64()
        ),
        line: None,
    }
}

fn classify(
    state: &RunState,
    failure: Failure,
    limits: Limits,
) -> (RunStatus, Option<ScriptError>) {
    if let Some(message) = state.host_failure.borrow_mut().take() {
        return (
            RunStatus::Error,
            Some(ScriptError {
                message,
                line: None,
            }),
        );
    }
    if state.timed_out.get() {
        return (RunStatus::TimedOut, Some(time_limit_error(limits)));
    }
    match failure {
        // `terminate()` then code that kept running: the run still ended by terminate.
        Failure::Interrupted if state.terminate_requested.get() => (RunStatus::Terminated, None),
        Failure::Interrupted => (
            RunStatus::Error,
            Some(ScriptError {
                message: "The run was interrupted.".into(),
                line: None,
            }),
        ),
        Failure::OutOfMemory => (
            RunStatus::OutOfMemory,
            Some(ScriptError {
                message: format!(
                    "Stopped at the {} MB memory limit.",
                    limits.memory_bytes / (1024 * 1024)
                ),
                line: None,
            }),
        ),
        Failure::Script(error) => (RunStatus::Error, Some(error)),
        Failure::Engine(message) => (
            RunStatus::Error,
            Some(ScriptError {
                message,
                line: None,
            }),
        ),
    }
}

fn execute(
    code: &str,
    state: &Rc<RunState>,
    context: &RunContext,
    limits: Limits,
) -> Result<(), Failure> {
    let runtime = Runtime::new().map_err(|e| Failure::Engine(e.to_string()))?;
    runtime.set_memory_limit(limits.memory_bytes);
    runtime.set_max_stack_size(MAX_STACK_BYTES);
    let hook = Rc::clone(state);
    runtime.set_interrupt_handler(Some(Box::new(move || hook.should_interrupt())));
    let js = Context::full(&runtime).map_err(|e| Failure::Engine(e.to_string()))?;

    js.with(|ctx| {
        let dispatch = install_prelude(&ctx, state)?;
        let top_level = ctx
            .eval_with_options::<(), _>(code, eval_options())
            .map_err(|e| failure(&ctx, e));
        after_terminate(state, top_level)?;
        let details = event_details(&ctx, context)?;
        if !state.terminate_requested.get() {
            let started = dispatch
                .call::<_, ()>(("Application.Started", details.clone()))
                .map_err(|e| failure(&ctx, e));
            after_terminate(state, started)?;
        }
        run_jobs(&ctx, state)?;
        // Jobs still queued after terminate() run with every hook switched off (and each is
        // cut at its first interrupt check), so none of them acts in the Terminating phase.
        if state.stopping() {
            while ctx.execute_pending_job() {
                if state.timed_out.get() {
                    return Err(Failure::Interrupted);
                }
            }
        }
        // The session is ending, by terminate() or for want of anything left to do.
        state.in_terminating.set(true);
        dispatch
            .call::<_, ()>(("Application.Terminating", details))
            .map_err(|e| failure(&ctx, e))?;
        run_jobs(&ctx, state)
    })
}

/// Code that ran on after `terminate()` is cut short by the interrupt hook: that is how the
/// session ends normally (its Terminating handlers still run), not a failure.
fn after_terminate(state: &RunState, result: Result<(), Failure>) -> Result<(), Failure> {
    match result {
        Err(Failure::Interrupted) if state.stopping() && !state.timed_out.get() => Ok(()),
        other => other,
    }
}

fn eval_options() -> rquickjs::context::EvalOptions {
    let mut options = rquickjs::context::EvalOptions::default();
    options.global = true;
    options.strict = false;
    options.filename = Some(SCENARIO_FILE.to_owned());
    options
}

/// Promise reactions queued by the handlers. A job's own exception is dropped by QuickJS (an
/// unhandled rejection); the interrupt hook still stops runaway jobs.
fn run_jobs(ctx: &Ctx<'_>, state: &RunState) -> Result<(), Failure> {
    while !state.stopping() && ctx.execute_pending_job() {
        if state.timed_out.get() || state.host_failure.borrow().is_some() {
            return Err(Failure::Interrupted);
        }
    }
    Ok(())
}

/// Defines `AppEvents`, `VoxEngine` and `Logger`, and returns the event dispatcher.
fn install_prelude<'js>(ctx: &Ctx<'js>, state: &Rc<RunState>) -> Result<Function<'js>, Failure> {
    let native = Object::new(ctx.clone()).map_err(|e| failure(ctx, e))?;

    let reader = Rc::clone(state);
    let get_secret = Function::new(ctx.clone(), move |name: String| -> Option<String> {
        // A name no secret can have (empty, too long, other characters) is `undefined` at
        // once: it is not asked for, audited or remembered. Past the deadline or after
        // terminate(): no read either (the interrupt check ends the run).
        if check_secret_name(&name).is_err() || reader.should_interrupt() {
            return None;
        }
        if let Some(known) = reader.reads.borrow().get(&name) {
            return known.clone();
        }
        if reader.reads.borrow().len() >= MAX_SECRET_NAMES {
            *reader.host_failure.borrow_mut() = Some(format!(
                "A run may read at most {MAX_SECRET_NAMES} different secret names."
            ));
            return None;
        }
        let found = reader.host.borrow_mut().secret_value(&name);
        match found {
            Ok(value) => {
                let value = value.map(|v| v.expose().to_owned());
                reader.reads.borrow_mut().insert(name, value.clone());
                value
            }
            Err(message) => {
                // Ends the run at the next interrupt check; the script sees `undefined`.
                *reader.host_failure.borrow_mut() = Some(message);
                None
            }
        }
    })
    .map_err(|e| failure(ctx, e))?;

    let stopper = Rc::clone(state);
    let terminate = Function::new(ctx.clone(), move || {
        stopper.terminate_requested.set(true);
    })
    .map_err(|e| failure(ctx, e))?;

    let writer = Rc::clone(state);
    let write = Function::new(ctx.clone(), move |text: Opt<String>| {
        if writer.stopping() {
            return;
        }
        let kept = writer.log.borrow_mut().write(&text.0.unwrap_or_default());
        if let Some(line) = kept {
            writer.host.borrow_mut().logged(&line);
        }
    })
    .map_err(|e| failure(ctx, e))?;

    let set = |name: &str, f: Function<'js>| native.set(name, f).map_err(|e| failure(ctx, e));
    set("getSecretValue", get_secret)?;
    set("terminate", terminate)?;
    set("write", write)?;

    let mut options = rquickjs::context::EvalOptions::default();
    options.global = true;
    options.strict = true;
    options.filename = Some("strongroom-prelude.js".to_owned());
    let factory: Function = ctx
        .eval_with_options(PRELUDE, options)
        .map_err(|e| failure(ctx, e))?;
    factory.call((native,)).map_err(|e| failure(ctx, e))
}

fn event_details<'js>(ctx: &Ctx<'js>, context: &RunContext) -> Result<Object<'js>, Failure> {
    let details = Object::new(ctx.clone()).map_err(|e| failure(ctx, e))?;
    details
        .set("applicationId", context.application_id)
        .and_then(|()| details.set("applicationName", context.application_name.as_str()))
        .and_then(|()| details.set("scenarioName", context.scenario_name.as_str()))
        .map_err(|e| failure(ctx, e))?;
    Ok(details)
}

/// Turns an engine error into what the run reports, with the scenario's line if any.
fn failure(ctx: &Ctx<'_>, error: rquickjs::Error) -> Failure {
    if matches!(error, rquickjs::Error::Allocation) {
        return Failure::OutOfMemory;
    }
    match CaughtError::from_error(ctx, error) {
        CaughtError::Exception(exception) => {
            // The interrupt hook's error is uncatchable: a script cannot fake it.
            if exception.as_object().as_value().is_uncatchable_error() {
                return Failure::Interrupted;
            }
            let message = exception.message().unwrap_or_default();
            let name: Option<String> = exception.get("name").ok();
            if name.as_deref() == Some("InternalError") && message.starts_with("out of memory") {
                return Failure::OutOfMemory;
            }
            let stack = exception.stack().unwrap_or_default();
            Failure::Script(ScriptError {
                message: match name {
                    Some(name) if !name.is_empty() => format!("{name}: {message}"),
                    _ => message,
                },
                line: scenario_line(&stack),
            })
        }
        CaughtError::Value(value) => {
            if value.is_uncatchable_error() {
                return Failure::Interrupted;
            }
            // QuickJS throws `null` when it cannot even allocate the "out of memory" error.
            // (A scenario that itself throws `null` is reported the same way.)
            if value.is_null() {
                return Failure::OutOfMemory;
            }
            let shown = value
                .as_string()
                .and_then(|s| s.to_string().ok())
                .unwrap_or_else(|| format!("a {} value", value.type_name()));
            Failure::Script(ScriptError {
                message: format!("Uncaught exception: {shown}"),
                line: None,
            })
        }
        CaughtError::Error(rquickjs::Error::Allocation) => Failure::OutOfMemory,
        CaughtError::Error(other) => Failure::Engine(other.to_string()),
    }
}

/// The first `scenario.js:LINE` frame of a QuickJS stack trace.
fn scenario_line(stack: &str) -> Option<u32> {
    let marker = format!("{SCENARIO_FILE}:");
    stack.match_indices(&marker).find_map(|(at, _)| {
        let digits: String = stack[at + marker.len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    })
}
