//! The sandbox on its own, with an in-memory secret source.

use super::runtime::{Limits, RunContext, RunHost, RunReport, run};
use shared::model::RunStatus;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;
use store::SecretValue;

/// The example from the issue and `platform-api.md`, verbatim.
const SEED_EXAMPLE: &str = r#"VoxEngine.addEventListener(AppEvents.Started, () => {
  const secretKey = 'test';
  const secret = VoxEngine.getSecretValue(secretKey);
  const message = typeof secret === 'undefined' ? 'The secret value is undefined!' : secret;
  Logger.write(`===> ${message}`);
  VoxEngine.terminate();
});
"#;

/// Secrets by name, recording every name asked for.
struct Secrets {
    values: HashMap<String, String>,
    asked: Rc<RefCell<Vec<String>>>,
}

impl RunHost for Secrets {
    fn secret_value(&mut self, name: &str) -> Result<Option<SecretValue>, String> {
        self.asked.borrow_mut().push(name.to_owned());
        Ok(self.values.get(name).cloned().map(SecretValue::new))
    }
}

fn run_with(code: &str, secrets: &[(&str, &str)], limits: Limits) -> (RunReport, Vec<String>) {
    let asked = Rc::new(RefCell::new(Vec::new()));
    let source = Secrets {
        values: secrets
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        asked: Rc::clone(&asked),
    };
    let context = RunContext {
        application_id: 7,
        application_name: "calls".into(),
        scenario_name: "main".into(),
    };
    let report = run(code, Box::new(source), &context, limits);
    let asked = asked.borrow().clone();
    (report, asked)
}

fn run_code(code: &str, secrets: &[(&str, &str)]) -> RunReport {
    run_with(code, secrets, Limits::default()).0
}

fn texts(report: &RunReport) -> Vec<&str> {
    report.log.iter().map(|l| l.text.as_str()).collect()
}

#[test]
fn seed_example_logs_the_value_of_secret_test() {
    let report = run_code(SEED_EXAMPLE, &[("test", "s3cr3t-value"), ("other", "x")]);
    assert_eq!(report.status, RunStatus::Terminated, "{:?}", report.error);
    assert_eq!(texts(&report), ["===> s3cr3t-value"]);
    assert!(
        report.log[0].at_ms > 1_700_000_000_000,
        "log lines carry wall-clock times"
    );
}

#[test]
fn seed_example_reports_undefined_without_secret_test() {
    let report = run_code(SEED_EXAMPLE, &[("Test", "wrong case"), ("other", "x")]);
    assert_eq!(report.status, RunStatus::Terminated, "{:?}", report.error);
    assert_eq!(texts(&report), ["===> The secret value is undefined!"]);
}

#[test]
fn empty_and_missing_names_are_undefined_without_a_lookup() {
    let code = r#"
        VoxEngine.addEventListener(AppEvents.Started, () => {
          for (const name of ['', undefined, null, 'missing', 'present']) {
            Logger.write(`${String(name)}=${typeof VoxEngine.getSecretValue(name)}`);
          }
          Logger.write(VoxEngine.getSecretValue());
          VoxEngine.terminate();
        });
    "#;
    let (report, asked) = run_with(code, &[("present", "v")], Limits::default());
    assert_eq!(report.status, RunStatus::Terminated, "{:?}", report.error);
    assert_eq!(
        texts(&report),
        [
            "=undefined",
            "undefined=undefined",
            "null=undefined",
            "missing=undefined",
            "present=string",
            "undefined"
        ]
    );
    // Empty names (and `undefined` or `null`) never reach the store.
    assert_eq!(asked, ["missing", "present"]);
}

#[test]
fn names_that_cannot_exist_are_undefined_without_a_lookup() {
    // Too long (by one, and by 4 MB), a space, a leading digit, a non-Latin letter.
    let code = r#"
        const names = ['a'.repeat(65), 'N'.repeat(4 * 1024 * 1024), 'has space', '9lives', 'имя'];
        for (const name of names) {
          Logger.write(`${name.length}=${typeof VoxEngine.getSecretValue(name)}`);
        }
        Logger.write(`longest=${VoxEngine.getSecretValue('a'.repeat(64))}`);
        VoxEngine.terminate();
    "#;
    let longest = "a".repeat(64);
    let (report, asked) = run_with(code, &[(&longest, "found")], Limits::default());
    assert_eq!(report.status, RunStatus::Terminated, "{:?}", report.error);
    assert_eq!(
        texts(&report),
        [
            "65=undefined",
            "4194304=undefined",
            "9=undefined",
            "6=undefined",
            "3=undefined",
            "longest=found"
        ]
    );
    assert_eq!(asked, [longest], "only a name that can exist is asked for");
}

#[test]
fn terminate_stops_the_run() {
    let code = r#"
        VoxEngine.addEventListener(AppEvents.Started, () => {
          Logger.write('before');
          VoxEngine.terminate();
          Logger.write('after terminate');
          VoxEngine.getSecretValue('test');
          while (true) {}
        });
        VoxEngine.addEventListener(AppEvents.Started, () => Logger.write('second handler'));
        VoxEngine.addEventListener(AppEvents.Terminating, () => Logger.write('terminating'));
    "#;
    let limits = Limits {
        wall_clock: Duration::from_secs(30),
        ..Limits::default()
    };
    let (report, asked) = run_with(code, &[("test", "v")], limits);
    assert_eq!(report.status, RunStatus::Terminated, "{:?}", report.error);
    assert_eq!(texts(&report), ["before", "terminating"]);
    assert!(
        asked.is_empty(),
        "no secret is read after terminate: {asked:?}"
    );
    assert!(
        report.duration < Duration::from_secs(30),
        "the endless loop after terminate() was cut short, not timed out"
    );
}

#[test]
fn terminate_at_top_level_skips_started_but_not_terminating() {
    let code = r#"
        VoxEngine.addEventListener(AppEvents.Started, () => Logger.write('started'));
        VoxEngine.addEventListener(AppEvents.Terminating, (e) => Logger.write(`bye from ${e.name}`));
        VoxEngine.terminate();
        for (;;) {}
    "#;
    let report = run_code(code, &[]);
    assert_eq!(report.status, RunStatus::Terminated, "{:?}", report.error);
    assert_eq!(texts(&report), ["bye from Application.Terminating"]);
}

#[test]
fn a_run_without_terminate_ends_when_nothing_is_left() {
    let code = r#"
        Logger.write('top level');
        VoxEngine.addEventListener(AppEvents.Started, (e) => {
          Promise.resolve().then(() => Logger.write(`job in ${e.applicationName}/${e.scenarioName}`));
        });
    "#;
    let report = run_code(code, &[]);
    assert_eq!(report.status, RunStatus::Ended, "{:?}", report.error);
    assert_eq!(texts(&report), ["top level", "job in calls/main"]);
}

#[test]
fn an_endless_loop_is_stopped_by_the_time_limit() {
    let limits = Limits {
        wall_clock: Duration::from_millis(300),
        ..Limits::default()
    };
    let code = "VoxEngine.addEventListener(AppEvents.Started, () => { \
                Logger.write('spinning'); for (;;) { try { while (true) {} } catch (e) {} } });";
    let (report, _) = run_with(code, &[], limits);
    assert_eq!(report.status, RunStatus::TimedOut, "{:?}", report.error);
    assert_eq!(texts(&report), ["spinning"]);
    assert!(report.error.expect("a reason").message.contains("0.3 s"));
}

#[test]
fn an_allocation_bomb_is_stopped_by_the_memory_limit() {
    let code = r#"
        VoxEngine.addEventListener(AppEvents.Started, () => {
          Logger.write('allocating');
          const hoard = [];
          let chunk = 'x'.repeat(1024);
          while (true) { hoard.push(chunk + hoard.length); }
        });
    "#;
    let report = run_code(code, &[]);
    assert_eq!(report.status, RunStatus::OutOfMemory, "{:?}", report.error);
    assert_eq!(texts(&report), ["allocating"]);
    assert!(report.error.expect("a reason").message.contains("16 MB"));
}

#[test]
fn catching_out_of_memory_does_not_escape_the_limit() {
    // 32 MB of strings can never fit under 16 MB, caught or not.
    let code = r#"
        const hoard = [];
        for (let i = 0; i < 32; i++) {
          try { hoard.push('y'.repeat(1024 * 1024) + i); } catch (e) { Logger.write(`caught ${e}`); }
        }
        Logger.write(`kept ${hoard.length} MB`);
        VoxEngine.terminate();
    "#;
    let report = run_code(code, &[]);
    let log = texts(&report);
    let kept = log.last().expect("a last line");
    let megabytes: usize = kept
        .trim_start_matches("kept ")
        .trim_end_matches(" MB")
        .parse()
        .unwrap_or(usize::MAX);
    assert!(megabytes < 16, "{log:?}");
}

#[test]
fn a_syntax_error_names_its_line() {
    let code = "VoxEngine.addEventListener(AppEvents.Started, () => {\n  Logger.write('ok');\n  const x = ;\n});\n";
    let report = run_code(code, &[]);
    assert_eq!(report.status, RunStatus::Error);
    let error = report.error.expect("an error");
    assert_eq!(error.line, Some(3), "{error:?}");
    assert!(error.message.starts_with("SyntaxError"), "{error:?}");
    assert!(report.log.is_empty(), "nothing ran");
}

#[test]
fn an_uncaught_exception_in_a_handler_names_its_line() {
    let code = "VoxEngine.addEventListener(AppEvents.Started, () => {\n  Logger.write('first');\n\n  undefinedFunction();\n});\n";
    let report = run_code(code, &[]);
    assert_eq!(report.status, RunStatus::Error);
    assert_eq!(texts(&report), ["first"]);
    let error = report.error.expect("an error");
    assert_eq!(error.line, Some(4), "{error:?}");
    assert!(error.message.contains("undefinedFunction"), "{error:?}");
}

#[test]
fn deep_recursion_is_an_error_not_a_crash() {
    let report = run_code("function f(n) { return f(n + 1) + 1; }\nf(0);", &[]);
    assert_eq!(report.status, RunStatus::Error);
    let error = report.error.expect("an error");
    assert!(error.message.contains("stack"), "{error:?}");
}

#[test]
fn thrown_non_errors_are_reported() {
    let report = run_code("throw 'plain string';", &[]);
    assert_eq!(report.status, RunStatus::Error);
    assert_eq!(
        report.error.expect("an error").message,
        "Uncaught exception: plain string"
    );
}

#[test]
fn no_host_access_is_exposed() {
    let code = r#"
        const names = ['require', 'process', 'std', 'os', 'fetch', 'XMLHttpRequest', 'import',
                       'setTimeout', 'Deno', 'Bun'];
        Logger.write(names.filter((n) => typeof globalThis[n] !== 'undefined').join(',') || 'none');
        try { eval('import("os")').catch((e) => Logger.write(`import refused: ${e.name}`)); }
        catch (e) { Logger.write(`import refused: ${e.name}`); }
    "#;
    let report = run_code(code, &[]);
    let log = texts(&report);
    assert_eq!(log.first(), Some(&"none"), "{log:?}");
    assert!(
        log.iter().any(|l| l.starts_with("import refused")),
        "{log:?}"
    );
}

#[test]
fn the_voxengine_objects_cannot_be_replaced() {
    let code = r#"
        VoxEngine = null; Logger = null;
        VoxEngine.getSecretValue = () => 'forged';
        Logger.write(typeof VoxEngine.getSecretValue('test'));
        VoxEngine.terminate();
    "#;
    let report = run_code(code, &[]);
    assert_eq!(report.status, RunStatus::Terminated, "{:?}", report.error);
    assert_eq!(texts(&report), ["undefined"]);
}

#[test]
fn a_failed_secret_lookup_ends_the_run_as_an_error() {
    struct Broken;
    impl RunHost for Broken {
        fn secret_value(&mut self, _: &str) -> Result<Option<SecretValue>, String> {
            Err("the secret store is unavailable".into())
        }
    }
    let code = "VoxEngine.addEventListener(AppEvents.Started, () => { \
                const v = VoxEngine.getSecretValue('test'); while (true) {} });";
    let report = run(
        code,
        Box::new(Broken),
        &RunContext::default(),
        Limits::default(),
    );
    assert_eq!(report.status, RunStatus::Error);
    assert_eq!(
        report.error.expect("an error").message,
        "the secret store is unavailable"
    );
}

#[test]
fn a_failed_lookup_right_before_the_end_still_ends_the_run_as_an_error() {
    struct Broken;
    impl RunHost for Broken {
        fn secret_value(&mut self, _: &str) -> Result<Option<SecretValue>, String> {
            Err("the secret store is unavailable".into())
        }
    }
    // No interrupt check comes between the failed read and the end of the script.
    let code = "Logger.write(String(VoxEngine.getSecretValue('test'))); VoxEngine.terminate();";
    let report = run(
        code,
        Box::new(Broken),
        &RunContext::default(),
        Limits::default(),
    );
    assert_eq!(report.status, RunStatus::Error);
    assert_eq!(
        report.error.expect("an error").message,
        "the secret store is unavailable"
    );
}

#[test]
fn a_long_log_is_cut_with_a_note() {
    let report = run_code(
        "for (let i = 0; i < 5000; i++) Logger.write(`line ${i}`);",
        &[],
    );
    assert_eq!(report.status, RunStatus::Ended);
    assert_eq!(report.log.len(), 1001);
    assert!(report.log[1000].text.contains("log cut"));
    assert!(report.log.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
}

#[test]
fn a_name_is_read_once_per_run() {
    let code = "for (let i = 0; i < 5000; i++) VoxEngine.getSecretValue('test');\n\
                for (let i = 0; i < 5000; i++) VoxEngine.getSecretValue('missing');\n\
                Logger.write(VoxEngine.getSecretValue('test')); VoxEngine.terminate();";
    let (report, asked) = run_with(code, &[("test", "cached")], Limits::default());
    assert_eq!(texts(&report), ["cached"]);
    assert_eq!(
        asked,
        ["test", "missing"],
        "each name reaches the store (and the audit log) once"
    );
}

#[test]
fn thrown_messages_are_cut_to_a_line() {
    let report = run_code("throw new Error('x'.repeat(1000000));", &[]);
    assert_eq!(report.status, RunStatus::Error);
    let message = report.error.expect("an error").message;
    assert!(message.len() < 9000, "{} bytes", message.len());
    assert!(message.ends_with("[message cut]"));
}

#[test]
fn a_long_line_is_cut_and_the_log_goes_on() {
    let report = run_code(
        "Logger.write('y'.repeat(300000)); Logger.write('after'); VoxEngine.terminate();",
        &[],
    );
    let log = texts(&report);
    assert_eq!(
        log.len(),
        2,
        "{:?}",
        log.iter().map(|l| l.len()).collect::<Vec<_>>()
    );
    assert!(log[0].ends_with("[line cut]"));
    assert_eq!(log[1], "after");
}

#[test]
fn jobs_queued_before_terminate_do_not_run_after_it() {
    let code = r#"
        VoxEngine.addEventListener(AppEvents.Started, async () => {
          Promise.resolve().then(() => Logger.write(`late ${VoxEngine.getSecretValue('test')}`));
          VoxEngine.terminate();
        });
        VoxEngine.addEventListener(AppEvents.Terminating, () => Logger.write('terminating'));
    "#;
    let (report, asked) = run_with(code, &[("test", "v")], Limits::default());
    assert_eq!(report.status, RunStatus::Terminated, "{:?}", report.error);
    assert_eq!(texts(&report), ["terminating"]);
    assert!(asked.is_empty(), "{asked:?}");
}

#[test]
fn a_script_cannot_fake_the_engine_statuses() {
    for code in [
        "throw new Error('out of memory');",
        "throw new Error('interrupted');",
        "const e = new Error('x'); e.name = 'InternalError'; e.message = 'interrupted'; throw e;",
    ] {
        let report = run_code(code, &[]);
        assert_eq!(report.status, RunStatus::Error, "{code}");
    }
}
