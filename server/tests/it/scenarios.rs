//! Scenarios through a real `strongroom` process: the panel's server functions, who may run
//! what, the size limit, the configurable time limit, and `strongroom scenario run`.

use crate::support::api::now;
use crate::support::scenarios::{create_scenario, log_texts, reads, run_as, scenario_id};
use crate::support::step_up::{
    LONG_WINDOW_SECS, SHORT_WINDOW_SECS, password_at, start_with_window, surely_stale_after,
};
use crate::support::{Server, Session, start_temp};
use serde_json::{Value, json};
use std::process::Command;
use std::time::Instant;

const PASSWORD: &str = "scenario-test-password";

/// The example from the issue, verbatim.
const EXAMPLE: &str = "VoxEngine.addEventListener(AppEvents.Started, () => {
  const secretKey = 'test';
  const secret = VoxEngine.getSecretValue(secretKey);
  const message = typeof secret === 'undefined' ? 'The secret value is undefined!' : secret;
  Logger.write(`===> ${message}`);
  VoxEngine.terminate();
});
";

/// Runs `strongroom scenario ARGS --data-dir DIR`: exit code, stdout, stderr.
fn scenario_cli(data_dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_strongroom"))
        .arg("scenario")
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("STRONGROOM_MASTER_KEY")
        .env_remove("STRONGROOM_SCENARIO_TIMEOUT_SECS")
        .output()
        .expect("strongroom scenario");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn the_example_runs_from_the_panel_and_the_command_line() {
    let (tmp, server) = start_temp().await;
    let data = tmp.path().join("data");
    let app = server.create_application("calls").await;
    server
        .create_secret(app, "test", "panel-run-value-31c7", "")
        .await;
    let id = scenario_id(&server, app, "seed", EXAMPLE).await;

    let (status, run) = run_as(&server, server.session.as_ref(), app, id).await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["summary"]["status"], "Terminated");
    assert_eq!(log_texts(&run), ["===> panel-run-value-31c7"]);

    // The same scenario from the command line, against the running server's database.
    let (code, stdout, stderr) = scenario_cli(&data, &["run", "calls", "seed"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("===> panel-run-value-31c7"), "{stdout}");
    assert!(stderr.contains("Finished (terminate)"), "{stderr}");

    // Both runs are kept, newest first, the command line's named as such.
    let (app_s, id_s) = (app.to_string(), id.to_string());
    let runs = server
        .call(
            "list_runs",
            &[("application_id", &app_s), ("scenario_id", &id_s)],
        )
        .await
        .expect("list_runs");
    let by: Vec<_> = runs
        .as_array()
        .expect("runs")
        .iter()
        .map(|r| r["started_by"].as_str().expect("by").to_owned())
        .collect();
    assert_eq!(by, ["cli", "owner"]);

    // Failures exit non-zero, each with its own code and a message naming the problem.
    let broken = "VoxEngine.addEventListener(AppEvents.Started, () => {\n  const x = ;\n});";
    scenario_id(&server, app, "broken", broken).await;
    let (code, _, stderr) = scenario_cli(&data, &["run", "calls", "broken"]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("line 2: SyntaxError"), "{stderr}");

    scenario_id(&server, app, "spin", "while (true) {}").await;
    let (code, _, stderr) = scenario_cli(&data, &["run", "calls", "spin", "--timeout-secs", "1"]);
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains("Timed out"), "{stderr}");

    scenario_id(
        &server,
        app,
        "hog",
        "const a = []; for (;;) a.push(new Array(1000).fill(a.length));",
    )
    .await;
    let (code, _, stderr) = scenario_cli(&data, &["run", "calls", "hog"]);
    assert_eq!(code, 5, "{stderr}");
    assert!(stderr.contains("16 MB"), "{stderr}");

    let (code, _, stderr) = scenario_cli(&data, &["run", "calls", "nope"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("no scenario named \"nope\""), "{stderr}");
    let (code, _, stderr) = scenario_cli(&data, &["run", "nowhere", "seed"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("no application is named \"nowhere\""),
        "{stderr}"
    );

    let (code, stdout, _) = scenario_cli(&data, &["list", "calls"]);
    assert_eq!(code, 0);
    for name in ["seed", "broken", "spin", "hog"] {
        assert!(stdout.contains(name), "{stdout}");
    }
    assert!(
        !server.logs().contains("panel-run-value-31c7"),
        "a value reached the server log"
    );
}

async fn get_run(server: &Server, session: &Session, app: i64, id: i64, run: i64) -> (u16, Value) {
    let (app, id, run) = (app.to_string(), id.to_string(), run.to_string());
    let args = [
        ("application_id", &*app),
        ("scenario_id", &id),
        ("run_id", &run),
    ];
    server.call_as(Some(session), "get_run", &args).await
}

#[tokio::test]
async fn running_needs_a_role_that_reads_values_and_a_fresh_password() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let data = tmp.path().join("data");
    let mut server = start_with_window(&data, LONG_WINDOW_SECS).await;
    let app = server.create_application("calls").await;
    server
        .create_secret(app, "test", "role-test-value", "")
        .await;
    let id = scenario_id(&server, app, "seed", EXAMPLE).await;
    server.create_user("viewer", PASSWORD, "Viewer").await;
    server.create_user("dev", PASSWORD, "Developer").await;
    let viewer = server.sign_in("viewer", PASSWORD).await.expect("viewer");

    // A Viewer sees scenarios and their code, but may neither run nor change them.
    let app_s = app.to_string();
    let (status, list) = server
        .call_as(
            Some(&viewer),
            "list_scenarios",
            &[("application_id", &app_s)],
        )
        .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list[0]["name"], "seed");
    let (status, body) = run_as(&server, Some(&viewer), app, id).await;
    assert_eq!(status, 403, "{body}");
    let args = json!({ "application_id": app, "name": "mine", "code": "VoxEngine.terminate();" });
    let (status, _) = server
        .call_json_as(Some(&viewer), "create_scenario", &args)
        .await;
    assert_eq!(status, 403);

    // A Developer runs it right after signing in (the next call, well inside the window) ...
    let dev = server.sign_in("dev", PASSWORD).await.expect("dev");
    let signed_in = Instant::now();
    let (status, run) = run_as(&server, Some(&dev), app, id).await;
    assert_eq!(
        status,
        200,
        "{run} ({:?} after signing in, window {LONG_WINDOW_SECS} s)",
        signed_in.elapsed()
    );
    assert_eq!(log_texts(&run), ["===> role-test-value"]);
    let run_id = run["summary"]["id"].as_i64().expect("run id");

    // ... but once the step-up window has passed, the run (and any run's log) needs the
    // password again: a scenario's log can quote values. The same data (sessions included)
    // under a short window, waited out.
    assert!(server.stop().success());
    let mut server = start_with_window(&data, SHORT_WINDOW_SECS).await;
    tokio::time::sleep_until(surely_stale_after(signed_in, SHORT_WINDOW_SECS).into()).await;
    let (status, body) = run_as(&server, Some(&dev), app, id).await;
    assert_eq!((status, body), (403, json!("PasswordRequired")));
    let (status, body) = get_run(&server, &dev, app, id, run_id).await;
    assert_eq!((status, body), (403, json!("PasswordRequired")));
    let confirming = now();
    let (status, _) = server
        .call_as(Some(&dev), "confirm_password", &[("password", PASSWORD)])
        .await;
    assert_eq!(status, 200);

    // Confirming renewed this session's password time. No call shows it, so it is read from
    // the stopped server's database: under the long window below, the password typed at
    // sign-in would still be fresh, so the read that follows alone would not show it.
    assert!(server.stop().success());
    let password_at = password_at(&data, &dev).await;
    assert!(
        password_at >= confirming,
        "password time {password_at}, confirmed at {confirming} or later"
    );

    // Within the window, the run's log can be read again.
    let server = start_with_window(&data, LONG_WINDOW_SECS).await;
    let (status, detail) = get_run(&server, &dev, app, id, run_id).await;
    assert_eq!(status, 200, "{detail} (window {LONG_WINDOW_SECS} s)");
    assert_eq!(log_texts(&detail), ["===> role-test-value"]);
}

#[tokio::test]
async fn code_up_to_256k_characters_is_accepted_and_longer_is_refused() {
    let (_tmp, server) = start_temp().await;
    let app = server.create_application("calls").await;
    // Two-byte characters inside a comment: 256 × 1024 characters, about 512 KB.
    let limit = 256 * 1024;
    let body = "ж".repeat(limit - "VoxEngine.terminate(); //".chars().count());
    let code = format!("VoxEngine.terminate(); //{body}");
    assert_eq!(code.chars().count(), limit);
    let id = scenario_id(&server, app, "big", &code).await;
    let (status, run) = run_as(&server, server.session.as_ref(), app, id).await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["summary"]["status"], "Terminated");

    let (status, body) = create_scenario(&server, app, "bigger", &format!("{code}ж")).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["Invalid"]["field"], "ScenarioCode");
    assert!(
        body["Invalid"]["message"]
            .as_str()
            .expect("message")
            .contains("262145"),
        "{body}"
    );
    // The refused scenario does not exist.
    let app_s = app.to_string();
    let list = server
        .call("list_scenarios", &[("application_id", &app_s)])
        .await
        .expect("list");
    assert_eq!(list.as_array().expect("list").len(), 1);
}

#[tokio::test]
async fn the_time_limit_is_configurable() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let server = Server::start_with(
        &tmp.path().join("data"),
        &[("STRONGROOM_SCENARIO_TIMEOUT_SECS", "1")],
    )
    .await;
    let app = server.create_application("calls").await;
    let id = scenario_id(&server, app, "spin", "Logger.write('start');\nfor (;;) {}").await;
    let (status, run) = run_as(&server, server.session.as_ref(), app, id).await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["summary"]["status"], "TimedOut");
    assert_eq!(run["error"]["message"], "Stopped after the 1 s time limit.");
    assert_eq!(log_texts(&run), ["start"]);

    // A builtin whose C loop never polls the interrupt hook: the worker process is killed
    // instead, its log so far kept, and the server goes on serving.
    let code = "Logger.write('before');\nArray.prototype.reverse.call({ length: 2 ** 53 - 1 });";
    let id = scenario_id(&server, app, "stuck", code).await;
    let (status, run) = run_as(&server, server.session.as_ref(), app, id).await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["summary"]["status"], "TimedOut");
    assert_eq!(log_texts(&run), ["before"]);
    let (status, _) = run_as(&server, server.session.as_ref(), app, id - 1).await;
    assert_eq!(status, 200, "the next run works");
}

#[tokio::test]
async fn opening_a_runs_log_is_audited_as_a_read_and_listing_runs_is_not() {
    let (_tmp, server) = start_temp().await;
    let app = server.create_application("calls").await;
    server
        .create_secret(app, "test", "logged-value-5b1", "")
        .await;
    let id = scenario_id(&server, app, "seed", EXAMPLE).await;
    let (status, run) = run_as(&server, server.session.as_ref(), app, id).await;
    assert_eq!(status, 200, "{run}");
    let run_id = run["summary"]["id"].as_i64().expect("run id");
    let before = reads(&server).await.len();

    let (app_s, id_s) = (app.to_string(), id.to_string());
    let listed = server
        .call(
            "list_runs",
            &[("application_id", &app_s), ("scenario_id", &id_s)],
        )
        .await
        .expect("list_runs");
    assert_eq!(listed.as_array().expect("runs").len(), 1);
    assert_eq!(
        reads(&server).await.len(),
        before,
        "listing runs reads no log"
    );

    let session = server.session.clone().expect("the Owner's session");
    let (status, detail) = get_run(&server, &session, app, id, run_id).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(log_texts(&detail), ["===> logged-value-5b1"]);
    let all = reads(&server).await;
    assert_eq!(all.len(), before + 1, "opening the log is one read");
    let opened = &all[0];
    assert_eq!(opened["actor"], "owner");
    assert_eq!(opened["source"], "panel");
    assert_eq!(opened["application_name"], "calls");
    assert_eq!(opened["target"], "scenario seed");
    assert_eq!(opened["detail"], format!("log of run {run_id}"));
}
