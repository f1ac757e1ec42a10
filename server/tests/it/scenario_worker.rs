//! The scenario worker as the server starts it: confined by the kernel before it runs a
//! script, with bounded pipes (names that cannot exist never cross them, and do not grow the
//! server), and run slots shared fairly between people.

use crate::support::Server;
use crate::support::scenarios::{log_texts, reads, run_as, scenario_id};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

const PASSWORD: &str = "worker-test-password";

const READS_TEST: &str = "VoxEngine.addEventListener(AppEvents.Started, () => {
  Logger.write(`===> ${VoxEngine.getSecretValue('test')}`);
  VoxEngine.terminate();
});";

/// Starts `strongroom scenario-worker` the way the server does (no environment but the
/// allocator's reserve, piped standard streams), with `probe` in `STRONGROOM_WORKER_PROBE`,
/// sends it `code`, answers its reads from `secrets`, and returns every message it sent.
fn run_worker(probe: &Value, code: &str, secrets: &[(&str, &str)]) -> Vec<Value> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_strongroom"));
    command.arg("scenario-worker");
    let (messages, out) = drive_worker(command, probe, code, secrets, |_| {});
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    messages
}

/// `run_worker` with `command` for the worker (which must become the worker process), calling
/// `on_read` with the worker's pid at each read before answering it.
fn drive_worker(
    mut command: Command,
    probe: &Value,
    code: &str,
    secrets: &[(&str, &str)],
    mut on_read: impl FnMut(u32),
) -> (Vec<Value>, std::process::Output) {
    let mut child = command
        .env_clear()
        .env("MIMALLOC_ARENA_RESERVE", "32MiB")
        .env("STRONGROOM_WORKER_PROBE", probe.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the worker");
    let mut input = child.stdin.take().expect("stdin");
    let output = BufReader::new(child.stdout.take().expect("stdout"));
    let job = json!({
        "code": code,
        "context": { "application_id": 1, "application_name": "calls", "scenario_name": "probe" },
        "memory_bytes": 16 * 1024 * 1024,
        "wall_clock_ms": 10_000,
    });
    writeln!(input, "{job}").expect("send the job");
    let mut messages = Vec::new();
    for line in output.lines() {
        let message: Value = serde_json::from_str(&line.expect("a line")).expect("JSON");
        if message["type"] == "read" {
            on_read(child.id());
            let name = message["name"].as_str().expect("name");
            let value = secrets.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
            writeln!(input, "{}", json!({ "type": "value", "value": value })).expect("answer");
        }
        messages.push(message);
    }
    drop(input);
    let out = child.wait_with_output().expect("wait for the worker");
    (messages, out)
}

#[test]
fn the_worker_can_open_connect_and_spawn_nothing_once_confined() {
    let dir = tempfile::tempdir().expect("temp dir");
    let key = dir.path().join("master.key");
    std::fs::write(&key, "stands in for the master key").expect("key file");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
    listener.set_nonblocking(true).expect("nonblocking");
    let probe = json!({
        "open": key,
        "connect": listener.local_addr().expect("address").to_string(),
        "spawn": "/bin/true",
    });

    let messages = run_worker(&probe, READS_TEST, &[("test", "worker-value-8d2e")]);
    let types: Vec<_> = messages.iter().map(|m| m["type"].as_str()).collect();
    assert_eq!(
        types,
        [
            Some("confined"),
            Some("probe"),
            Some("read"),
            Some("log"),
            Some("done")
        ],
        "{messages:?}"
    );
    // "enforced" means every right of Landlock ABI 6 (signal and abstract-socket scoping:
    // Linux 6.12+, Landlock enabled at boot), which this suite's kernel has. From 5.13 to 6.11
    // the worker says "partial", before 5.13 "unavailable", and runs under seccomp alone.
    assert_eq!(messages[0]["landlock"], "enforced");

    // Each attempt works before confinement (so the probe itself is sound) ...
    let probe = &messages[1];
    for what in ["open", "connect", "spawn", "thread"] {
        assert_eq!(
            probe["before"][what],
            json!({ "Ok": null }),
            "{what}: {probe}"
        );
    }
    // ... and fails after it, refused by seccomp (EPERM, before Landlock's EACCES).
    for what in ["open", "connect", "spawn", "thread"] {
        let error = probe["after"][what]["Err"].as_str().unwrap_or_default();
        assert!(
            error.contains("os error 1"),
            "{what} was not refused: {probe}"
        );
    }
    let mut connections = 0;
    while listener.accept().is_ok() {
        connections += 1;
    }
    assert_eq!(
        connections, 1,
        "only the connection made before confinement"
    );

    // And the run itself still works: a read over the pipe, a log line, a clean end.
    assert_eq!(messages[2]["name"], "test");
    assert_eq!(messages[3]["line"]["text"], "===> worker-value-8d2e");
    assert_eq!(messages[4]["status"], "Terminated");
}

async fn run_ok(server: &Server, app: i64, id: i64) -> Value {
    let (status, run) = run_as(server, server.session.as_ref(), app, id).await;
    assert_eq!(status, 200, "{run}");
    run
}

/// The server process serving `data_dir` (its workers have no `--data-dir`).
fn server_pid(data_dir: &Path) -> u32 {
    let data_dir = data_dir.to_str().expect("UTF-8 path");
    std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            let args: Vec<_> = cmdline.split(|b| *b == 0).collect();
            let serves = args.contains(&b"serve".as_slice()) && args.contains(&data_dir.as_bytes());
            serves.then_some(pid)
        })
        .next()
        .expect("the server's process")
}

/// Resident memory of process `pid`, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|kb| kb.trim().parse().ok())
        .expect("VmRSS")
}

#[tokio::test]
async fn names_that_cannot_exist_neither_reach_the_server_nor_grow_it() {
    // Time enough for a debug build to pass 240 MB through the pipe, were it to.
    let tmp = tempfile::tempdir().expect("temp dir");
    let server = Server::start_with(
        &tmp.path().join("data"),
        &[("STRONGROOM_SCENARIO_TIMEOUT_SECS", "30")],
    )
    .await;
    let app = server.create_application("calls").await;
    server
        .create_secret(app, "test", "rss-test-value", "")
        .await;
    let reader = scenario_id(&server, app, "reader", READS_TEST).await;
    // 60 names of 4 MB each, then names that break the rule in other ways.
    let names = "const base = 'N'.repeat(4 * 1024 * 1024);
let missing = 0;
for (let i = 0; i < 60; i++) {
  if (VoxEngine.getSecretValue(base + i) === undefined) missing++;
}
for (const name of ['has space', 'a'.repeat(65), '9lives', 'tëst']) {
  if (VoxEngine.getSecretValue(name) === undefined) missing++;
}
Logger.write(`undefined: ${missing}`);
Logger.write(`test: ${VoxEngine.getSecretValue('test')}`);
VoxEngine.terminate();";
    let big_names = scenario_id(&server, app, "big-names", names).await;
    let flood = scenario_id(
        &server,
        app,
        "flood",
        "for (let i = 0; i < 20000; i++) Logger.write('y'.repeat(8192));",
    )
    .await;

    // Warm: the server has run scenarios, so its pools and caches are what they will be.
    for _ in 0..3 {
        assert_eq!(
            log_texts(&run_ok(&server, app, reader).await),
            ["===> rss-test-value"]
        );
    }
    let pid = server_pid(&server.data_dir);
    let rss_before = rss_kib(pid);
    let reads_before = reads(&server).await.len();

    let names_run = run_ok(&server, app, big_names).await;
    let flood_run = run_ok(&server, app, flood).await;
    let rss_after = rss_kib(pid);
    let grown = rss_after.saturating_sub(rss_before);
    assert!(
        grown < 32 * 1024,
        "the server grew by {grown} KiB ({rss_before} KiB before, {rss_after} KiB after)"
    );

    let status = &names_run["summary"]["status"];
    assert_eq!(status, "Terminated", "{}", names_run["error"]);
    assert_eq!(
        log_texts(&names_run),
        ["undefined: 64", "test: rss-test-value"]
    );
    let all = reads(&server).await;
    assert_eq!(
        all.len(),
        reads_before + 1,
        "only `test` was read and audited"
    );
    assert_eq!(all[0]["secret_name"], "test");

    let log = log_texts(&flood_run);
    assert_eq!(log.len(), 33, "cut at 256 KB of text");
    assert!(
        log[32].starts_with("[Strongroom: log cut here"),
        "{}",
        log[32]
    );
}

#[tokio::test]
async fn one_person_cannot_hold_every_run_slot() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let server = Server::start_with(
        &tmp.path().join("data"),
        &[
            ("STRONGROOM_SCENARIO_RUNS_PER_USER", "1"),
            ("STRONGROOM_SCENARIO_TIMEOUT_SECS", "30"),
        ],
    )
    .await;
    let app = server.create_application("calls").await;
    // Busy for 3 s of wall clock, then done: another run waiting for its slot gets one.
    let busy = scenario_id(
        &server,
        app,
        "busy",
        "const end = Date.now() + 3000; while (Date.now() < end) {} VoxEngine.terminate();",
    )
    .await;
    let quick = scenario_id(&server, app, "quick", "VoxEngine.terminate();").await;
    server.create_user("dev", PASSWORD, "Developer").await;
    let dev = server.sign_in("dev", PASSWORD).await.expect("dev signs in");

    let owner = server.session.as_ref();
    let (first, second, by_dev) = tokio::join!(
        run_as(&server, owner, app, busy),
        run_as(&server, owner, app, busy),
        run_as(&server, Some(&dev), app, quick),
    );
    let (accepted, refused) = if first.0 == 200 {
        (first, second)
    } else {
        (second, first)
    };
    assert_eq!(accepted.0, 200, "{}", accepted.1);
    assert_eq!(accepted.1["summary"]["status"], "Terminated");
    assert_eq!(refused.0, 429, "{}", refused.1);
    let message = refused.1["Throttled"].as_str().unwrap_or_default();
    assert!(
        message.contains("at most 1 scenario run(s)"),
        "{}",
        refused.1
    );
    assert_eq!(by_dev.0, 200, "{}", by_dev.1);
    assert_eq!(by_dev.1["summary"]["status"], "Terminated");

    // The refused run was not recorded; the owner may run again now.
    let runs = server
        .call(
            "list_runs",
            &[
                ("application_id", &app.to_string()),
                ("scenario_id", &busy.to_string()),
            ],
        )
        .await
        .expect("list_runs");
    assert_eq!(runs.as_array().expect("runs").len(), 1);
    let (status, _) = run_as(&server, owner, app, quick).await;
    assert_eq!(status, 200);
}

/// The open descriptors of process `pid`, seen from outside. The worker is not dumpable, so
/// this takes CAP_SYS_PTRACE: this suite runs as root.
fn descriptors_of(pid: u32) -> Vec<String> {
    let mut fds: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("the worker's descriptors (needs root)")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    fds.sort();
    fds
}

#[test]
fn a_descriptor_inherited_without_close_on_exec_is_closed_before_the_script_runs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let key = dir.path().join("master.key");
    std::fs::write(&key, "stands in for the master key").expect("key file");
    // A shell's redirection has no close-on-exec, as a supervisor's lock file may not: the
    // worker that `exec` becomes starts with descriptor 7 open on the key.
    let mut command = Command::new("/bin/sh");
    command.arg("-c").arg(format!(
        "exec 7< '{}'; exec '{}' scenario-worker",
        key.display(),
        env!("CARGO_BIN_EXE_strongroom")
    ));
    let probe = json!({ "open": key, "connect": "127.0.0.1:9", "spawn": "/bin/true" });
    let mut seen = Vec::new();
    let (messages, out) = drive_worker(command, &probe, READS_TEST, &[("test", "v")], |pid| {
        seen = descriptors_of(pid);
    });
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let types: Vec<_> = messages.iter().map(|m| m["type"].as_str()).collect();
    assert_eq!(
        types,
        [
            Some("confined"),
            Some("probe"),
            Some("read"),
            Some("log"),
            Some("done")
        ],
        "{messages:?}"
    );
    let before = messages[1]["before"]["descriptors"]["Ok"]
        .as_array()
        .expect("listed before confinement");
    assert!(before.contains(&json!("7")), "inherited: {before:?}");
    // While the script waits for its read, the worker holds only its three pipes.
    assert_eq!(seen, ["0", "1", "2"]);
}

#[test]
fn a_worker_with_a_second_thread_does_not_confine_itself_and_runs_nothing() {
    let probe = json!({
        "open": "/nonexistent",
        "connect": "127.0.0.1:9",
        "spawn": "/bin/true",
        "leave_a_thread": true,
    });
    let mut command = Command::new(env!("CARGO_BIN_EXE_strongroom"));
    command.arg("scenario-worker");
    let (messages, out) = drive_worker(command, &probe, READS_TEST, &[("test", "v")], |_| {});
    assert!(!out.status.success(), "the worker failed");
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0]["type"], "confine_failed");
    let message = messages[0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("threads: the worker has 2 threads"),
        "{message}"
    );
}
