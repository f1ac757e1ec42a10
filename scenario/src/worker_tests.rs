//! The parent's side of the worker protocol against workers that misbehave: small shell
//! scripts standing in for a worker whose sandbox was escaped. The real worker's confinement
//! is tested with the server binary (`server/tests/it/scenario_worker.rs`).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use super::runtime::{Limits, RunContext, RunReport};
use super::worker::{self, SecretLookup};
use shared::model::RunStatus;
use store::SecretValue;

const CONFINED: &str = r#"echo '{"type":"confined","landlock":"enforced"}'"#;
const DONE: &str = r#"echo '{"type":"done","status":"Ended","error":null}'"#;

/// The fake workers, by name: each reads its job first, as a worker does. Written once, before
/// any test starts a process (a script still open for writing in a forked child cannot run).
const SCRIPTS: [(&str, &str); 7] = [
    (
        "long-line",
        r#"printf '{"type":"log","line":{"at_ms":0,"text":"%10000000s"}}\n' ''"#,
    ),
    (
        "flood",
        r#"line=$(printf '%8000s' '')
i=0
while [ $i -lt 3000 ]; do
  echo "{\"type\":\"log\",\"line\":{\"at_ms\":0,\"text\":\"$line\"}}"
  i=$((i + 1))
done"#,
    ),
    (
        "bad-names",
        r#"for name in 'has space' 'x_is_65_characters_long_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' '9lives' 'fine_name'; do
  echo "{\"type\":\"read\",\"name\":\"$name\"}"
  read -r answer
  case "$answer" in *'"value":null'*) value=undefined ;; *) value=other ;; esac
  echo "{\"type\":\"log\",\"line\":{\"at_ms\":0,\"text\":\"$name: $value\"}}"
done"#,
    ),
    (
        "reads-unconfined",
        r#"echo '{"type":"read","name":"test"}'
read -r answer
echo '{"type":"done","status":"Ended","error":null}'"#,
    ),
    // Reports, then neither exits nor reads; `exec` keeps the pid it wrote.
    (
        "done-then-sleeps",
        r#"echo $$ > "$0.pid"
echo '{"type":"done","status":"Ended","error":null}'
exec sleep 1000"#,
    ),
    // Asks and asks, never reading an answer: the parent's writes fill the pipe.
    (
        "floods-reads",
        r#"echo $$ > "$0.pid"
while :; do echo '{"type":"read","name":"test"}'; done"#,
    ),
    (
        "confine-failed",
        r#"echo '{"type":"confine_failed","message":"cannot confine the scenario worker: seccomp: no"}'"#,
    ),
];

fn script(name: &str) -> PathBuf {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        for (name, body) in SCRIPTS {
            // The unconfined ones say nothing before their first message.
            let confined = if name.ends_with("unconfined") || name == "confine-failed" {
                ""
            } else {
                CONFINED
            };
            let done = if ["reads-unconfined", "confine-failed", "done-then-sleeps"].contains(&name)
            {
                ""
            } else {
                DONE
            };
            let text =
                format!("#!/bin/sh\nPATH=/usr/bin:/bin\nread -r job\n{confined}\n{body}\n{done}\n");
            let path = dir.path().join(name);
            std::fs::write(&path, text).expect("script");
            make_executable(&path);
        }
        dir
    });
    dir.path().join(name)
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// Every name looked up, with `test` the only secret.
#[derive(Default)]
struct Lookups(Vec<String>);

impl SecretLookup for Lookups {
    async fn lookup(&mut self, name: &str) -> Result<Option<SecretValue>, String> {
        self.0.push(name.to_owned());
        Ok((name == "test").then(|| SecretValue::new("value".into())))
    }
}

async fn run(name: &str) -> (RunReport, Vec<String>) {
    run_with(name, Limits::default()).await
}

async fn run_with(name: &str, limits: Limits) -> (RunReport, Vec<String>) {
    let mut lookups = Lookups::default();
    let report = worker::run_in_worker(
        &script(name),
        "unused".into(),
        RunContext::default(),
        limits,
        &mut lookups,
    )
    .await;
    (report, lookups.0)
}

/// Runs `name` with a one-second limit; a run still going after a minute is a failure (the
/// old parent waited forever on these), not a timing.
async fn run_briefly(name: &str) -> RunReport {
    let limits = Limits {
        wall_clock: Duration::from_secs(1),
        ..Limits::default()
    };
    tokio::time::timeout(Duration::from_secs(60), run_with(name, limits))
        .await
        .unwrap_or_else(|_| panic!("the run of {name} never ended"))
        .0
}

/// Whether the process `name` wrote its pid as is still there (not even a zombie: the parent
/// reaps what it kills).
fn still_there(name: &str) -> bool {
    let pid = std::fs::read_to_string(script(name).with_extension("pid")).expect("pid file");
    Path::new(&format!("/proc/{}", pid.trim())).exists()
}

fn message(report: &RunReport) -> &str {
    report.error.as_ref().map_or("", |e| e.message.as_str())
}

#[tokio::test]
async fn a_line_over_the_cap_stops_the_worker_and_is_not_kept() {
    let (report, _) = run("long-line").await;
    assert_eq!(report.status, RunStatus::Error, "{:?}", report.error);
    assert!(
        message(&report).contains("a line was longer than 64 KB"),
        "{}",
        message(&report)
    );
    let texts: Vec<_> = report.log.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(
        texts,
        ["[Strongroom: The scenario engine was stopped: a line was longer than 64 KB.]"]
    );
}

#[tokio::test]
async fn a_flood_is_cut_at_the_log_caps_and_stopped_at_the_run_budget() {
    let (report, _) = run("flood").await;
    assert_eq!(report.status, RunStatus::Error, "{:?}", report.error);
    assert!(
        message(&report).contains("more than the 4 MB a run may send"),
        "{}",
        message(&report)
    );
    let bytes: usize = report.log.iter().map(|l| l.text.len()).sum();
    assert!(bytes < 300 * 1024, "{bytes} bytes of log kept");
    let notes: Vec<_> = report
        .log
        .iter()
        .filter(|l| l.text.starts_with("[Strongroom:"))
        .map(|l| l.text.as_str())
        .collect();
    assert_eq!(
        notes,
        [
            "[Strongroom: the scenario engine sent more log than a run keeps; the rest is not kept]",
            "[Strongroom: The scenario engine was stopped: it sent more than the 4 MB a run may \
             send.]"
        ]
    );
}

#[tokio::test]
async fn names_that_cannot_exist_are_undefined_without_a_lookup() {
    let (report, looked_up) = run("bad-names").await;
    assert_eq!(report.status, RunStatus::Ended, "{:?}", report.error);
    assert_eq!(
        looked_up,
        ["fine_name"],
        "only a possible name is looked up"
    );
    let texts: Vec<_> = report.log.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "has space: undefined",
            "x_is_65_characters_long_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx: undefined",
            "9lives: undefined",
            "fine_name: undefined",
        ]
    );
}

#[tokio::test]
async fn nothing_is_answered_before_the_worker_is_confined() {
    let (report, looked_up) = run("reads-unconfined").await;
    assert_eq!(report.status, RunStatus::Error);
    assert_eq!(
        message(&report),
        "The scenario engine did not confine itself, so the run was stopped."
    );
    assert!(looked_up.is_empty(), "{looked_up:?}");
}

#[tokio::test]
async fn a_worker_that_cannot_confine_itself_runs_nothing() {
    let (report, looked_up) = run("confine-failed").await;
    assert_eq!(report.status, RunStatus::Error);
    assert!(
        message(&report).starts_with("The scenario engine could not confine itself"),
        "{}",
        message(&report)
    );
    assert!(looked_up.is_empty());
}

#[tokio::test]
async fn a_worker_that_reports_and_does_not_exit_is_killed() {
    let report = run_briefly("done-then-sleeps").await;
    assert_eq!(report.status, RunStatus::Ended, "{:?}", report.error);
    assert!(!still_there("done-then-sleeps"), "the worker was killed");
}

#[tokio::test]
async fn a_worker_that_never_reads_its_answers_is_stopped_at_the_deadline() {
    let report = run_briefly("floods-reads").await;
    assert_eq!(report.status, RunStatus::TimedOut, "{:?}", report.error);
    assert!(!still_there("floods-reads"), "the worker was killed");
}
