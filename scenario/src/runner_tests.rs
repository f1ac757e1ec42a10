//! Scenarios against a real store on a temporary SQLite file: isolation between
//! applications, the audit trail of reads, and the record of runs.

use super::{Limits, RunError, ScenarioRunner};
use shared::model::{
    ApplicationId, AuditAction, AuditQuery, RUNS_KEPT, RunStatus, ScenarioId, Source,
};
use std::time::Duration;
use store::{Actor, MasterKey, NewSecret, SecretStore, SecretValue};

const READ_TEST: &str = "VoxEngine.addEventListener(AppEvents.Started, () => {
  Logger.write(`test=${VoxEngine.getSecretValue('test')}`);
  Logger.write(`only_b=${VoxEngine.getSecretValue('only_b')}`);
  VoxEngine.terminate();
});";

struct Fixture {
    store: SecretStore,
    runner: ScenarioRunner,
    path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("scenarios.db");
    let url = format!("sqlite://{}", path.display());
    let store = SecretStore::open(&url, MasterKey::from_bytes(&[9; 32]).expect("key"))
        .await
        .expect("store");
    let runner = ScenarioRunner::new(store.clone(), Limits::default(), 2).in_process();
    Fixture {
        store,
        runner,
        path,
        _dir: dir,
    }
}

fn alice() -> Actor {
    Actor::user("alice", Source::Panel, Some("127.0.0.1".into()))
}

fn bob() -> Actor {
    Actor::user("bob", Source::Panel, Some("127.0.0.1".into()))
}

/// The audit records of value reads, newest first.
async fn reads(store: &SecretStore) -> Vec<shared::model::AuditEntry> {
    store
        .audit_page(&AuditQuery {
            action: Some(AuditAction::SecretRead),
            ..AuditQuery::default()
        })
        .await
        .expect("audit")
        .items
}

async fn app_with(store: &SecretStore, name: &str, secrets: &[(&str, &str)]) -> ApplicationId {
    let app = store
        .create_application(&alice(), name)
        .await
        .expect("app")
        .id;
    for (secret, value) in secrets {
        let new = NewSecret {
            name: (*secret).into(),
            value: SecretValue::new((*value).into()),
            description: String::new(),
        };
        store
            .create_secret(&alice(), app, new)
            .await
            .expect("secret");
    }
    app
}

async fn scenario(store: &SecretStore, app: ApplicationId, name: &str, code: &str) -> ScenarioId {
    store
        .create_scenario(&alice(), app, name, code)
        .await
        .expect("scenario")
        .id
}

#[tokio::test]
async fn a_scenario_reads_only_its_own_applications_secrets() {
    let f = fixture().await;
    let a = app_with(&f.store, "app-a", &[("test", "value-of-a")]).await;
    let b = app_with(
        &f.store,
        "app-b",
        &[("test", "value-of-b"), ("only_b", "b-only")],
    )
    .await;
    let in_a = scenario(&f.store, a, "reader", READ_TEST).await;
    let in_b = scenario(&f.store, b, "reader", READ_TEST).await;

    let run_a = f.runner.run(&alice(), a, in_a).await.expect("run in a");
    let texts: Vec<_> = run_a.log.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(texts, ["test=value-of-a", "only_b=undefined"]);

    let run_b = f.runner.run(&alice(), b, in_b).await.expect("run in b");
    let texts: Vec<_> = run_b.log.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(texts, ["test=value-of-b", "only_b=b-only"]);

    // A scenario id is only good with its own application.
    assert!(f.runner.run(&alice(), a, in_b).await.is_err());
}

#[tokio::test]
async fn each_read_is_audited_as_the_scenario() {
    let f = fixture().await;
    let app = app_with(&f.store, "calls", &[("test", "v")]).await;
    let id = scenario(&f.store, app, "greeter", READ_TEST).await;
    let run = f.runner.run(&alice(), app, id).await.expect("run");
    assert_eq!(run.summary.status, RunStatus::Terminated);
    assert_eq!(run.summary.started_by, "alice");

    let reads = f
        .store
        .audit_page(&AuditQuery {
            action: Some(AuditAction::SecretRead),
            ..AuditQuery::default()
        })
        .await
        .expect("audit");
    assert_eq!(
        reads.items.len(),
        1,
        "one value read (the missing name reads nothing)"
    );
    let read = &reads.items[0];
    assert_eq!(read.source, "scenario");
    assert_eq!(read.actor, "alice");
    assert_eq!(read.detail, "scenario greeter");
    assert_eq!(read.secret_name.as_deref(), Some("test"));

    let runs = f
        .store
        .audit_page(&AuditQuery {
            action: Some(AuditAction::ScenarioRun),
            ..AuditQuery::default()
        })
        .await
        .expect("audit");
    assert_eq!(runs.items.len(), 1);
    assert_eq!(runs.items[0].source, "panel");
    assert_eq!(runs.items[0].detail, "terminated");
}

#[tokio::test]
async fn the_latest_twenty_runs_are_kept_with_their_logs() {
    let f = fixture().await;
    let app = app_with(&f.store, "calls", &[]).await;
    let code = "Logger.write('run ' + Math.random()); VoxEngine.terminate();";
    let id = scenario(&f.store, app, "counter", code).await;
    let mut runs = Vec::new();
    for _ in 0..RUNS_KEPT + 3 {
        runs.push(f.runner.run(&alice(), app, id).await.expect("run"));
    }
    let kept = f.store.list_runs(app, id).await.expect("runs");
    assert_eq!(kept.len(), RUNS_KEPT as usize);
    let newest_first: Vec<_> = runs.iter().rev().take(20).map(|r| r.summary.id).collect();
    assert_eq!(kept.iter().map(|r| r.id).collect::<Vec<_>>(), newest_first);

    let last = runs.last().expect("a run");
    let detail = f
        .store
        .read_run(&alice(), app, id, last.summary.id)
        .await
        .expect("detail");
    assert_eq!(detail.log, last.log, "the log reads back as it was written");
    let oldest = runs.first().expect("a run").summary.id;
    assert!(
        f.store.read_run(&alice(), app, id, oldest).await.is_err(),
        "pruned"
    );

    let listed = f.store.list_scenarios(app).await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0].last_run.as_ref().map(|r| r.id),
        Some(last.summary.id)
    );
}

#[tokio::test]
async fn run_logs_are_sealed_at_rest() {
    let f = fixture().await;
    let app = app_with(&f.store, "calls", &[("test", "plaintext-canary-4711")]).await;
    let code = "Logger.write(VoxEngine.getSecretValue('test')); \
                throw new Error('failed with ' + VoxEngine.getSecretValue('test'));";
    let id = scenario(&f.store, app, "leaky", code).await;
    let run = f.runner.run(&alice(), app, id).await.expect("run");
    assert_eq!(run.summary.status, RunStatus::Error);
    assert!(
        run.error
            .expect("error")
            .message
            .contains("plaintext-canary-4711")
    );
    f.store.close().await;
    let bytes = std::fs::read(&f.path).expect("database file");
    let canary = b"plaintext-canary-4711";
    assert!(
        !bytes.windows(canary.len()).any(|w| w == canary),
        "a secret value written to a run's log is stored in the clear"
    );
}

#[tokio::test]
async fn scenario_names_are_unique_per_application_and_deletes_take_runs() {
    let f = fixture().await;
    let a = app_with(&f.store, "app-a", &[]).await;
    let b = app_with(&f.store, "app-b", &[]).await;
    let id = scenario(&f.store, a, "main", "VoxEngine.terminate();").await;
    scenario(&f.store, b, "main", "VoxEngine.terminate();").await;
    let duplicate = f
        .store
        .create_scenario(&alice(), a, "main", "VoxEngine.terminate();")
        .await;
    assert!(duplicate.is_err());
    let bad = f.store.create_scenario(&alice(), a, "bad name", "x").await;
    assert!(bad.is_err());

    f.runner.run(&alice(), a, id).await.expect("run");
    f.store
        .delete_scenario(&alice(), a, id)
        .await
        .expect("delete");
    assert!(f.store.list_runs(a, id).await.expect("runs").is_empty());
    assert!(f.store.get_scenario(a, id).await.is_err());
    assert_eq!(f.store.list_scenarios(b).await.expect("list").len(), 1);
}

#[tokio::test]
async fn opening_a_runs_log_is_audited_as_a_read_and_listing_is_not() {
    let f = fixture().await;
    let app = app_with(&f.store, "calls", &[("test", "v")]).await;
    let id = scenario(&f.store, app, "greeter", READ_TEST).await;
    let run = f.runner.run(&alice(), app, id).await.expect("run");
    let before = reads(&f.store).await.len();

    f.store.list_runs(app, id).await.expect("list");
    f.store.list_scenarios(app).await.expect("list");
    assert_eq!(reads(&f.store).await.len(), before, "listing reads no log");

    let detail = f
        .store
        .read_run(&bob(), app, id, run.summary.id)
        .await
        .expect("open the log");
    assert_eq!(detail.log, run.log);
    let all = reads(&f.store).await;
    assert_eq!(all.len(), before + 1);
    let opened = &all[0];
    assert_eq!(opened.actor, "bob");
    assert_eq!(opened.source, "panel");
    assert_eq!(opened.application_name.as_deref(), Some("calls"));
    assert_eq!(opened.target.as_deref(), Some("scenario greeter"));
    assert_eq!(opened.detail, format!("log of run {}", run.summary.id.0));
    assert_eq!(opened.secret_name, None);
}

#[tokio::test]
async fn one_person_cannot_hold_every_run_slot() {
    let f = fixture().await;
    let limits = Limits {
        wall_clock: Duration::from_secs(3),
        runs_per_user: Some(1),
        ..Limits::default()
    };
    // Two slots, one per person.
    let runner = ScenarioRunner::new(f.store.clone(), limits, 2).in_process();
    let app = app_with(&f.store, "calls", &[]).await;
    let spin = scenario(&f.store, app, "spin", "for (;;) {}").await;
    let quick = scenario(&f.store, app, "quick", "VoxEngine.terminate();").await;

    let first = tokio::spawn({
        let runner = runner.clone();
        async move { runner.run(&alice(), app, spin).await }
    });
    while runner.runs_going(&alice()) == 0 {
        tokio::task::yield_now().await;
    }
    let refused = runner.run(&alice(), app, quick).await;
    match refused {
        Err(err @ RunError::UserBusy(1)) => assert!(
            err.to_string().contains("at most 1 scenario run(s)"),
            "{err}"
        ),
        other => panic!("a second run by alice was not refused: {other:?}"),
    }
    let by_bob = runner.run(&bob(), app, quick).await.expect("bob's run");
    assert_eq!(by_bob.summary.status, RunStatus::Terminated);

    let spun = first.await.expect("task").expect("alice's first run");
    assert_eq!(spun.summary.status, RunStatus::TimedOut);
    assert_eq!(runner.runs_going(&alice()), 0, "the run was given back");
    let again = runner.run(&alice(), app, quick).await.expect("alice again");
    assert_eq!(again.summary.status, RunStatus::Terminated);
}

#[tokio::test]
async fn by_default_one_person_gets_half_the_slots() {
    let f = fixture().await;
    let cap = |concurrent| {
        ScenarioRunner::new(f.store.clone(), Limits::default(), concurrent).runs_per_user()
    };
    assert_eq!([cap(1), cap(2), cap(3), cap(8)], [1, 1, 1, 4]);
    let set = Limits {
        runs_per_user: Some(3),
        ..Limits::default()
    };
    assert_eq!(
        ScenarioRunner::new(f.store.clone(), set, 2).runs_per_user(),
        3
    );
}

#[tokio::test]
async fn without_a_worker_program_nothing_runs() {
    let f = fixture().await;
    // As a server that could not locate its own binary would build it.
    let runner = ScenarioRunner::new(f.store.clone(), Limits::default(), 2);
    let app = app_with(&f.store, "calls", &[("test", "v")]).await;
    let id = scenario(&f.store, app, "reader", READ_TEST).await;
    match runner.run(&alice(), app, id).await {
        Err(err @ RunError::Engine(_)) => {
            assert!(err.to_string().contains("no scenario worker"), "{err}")
        }
        other => panic!("a run without a worker was not refused: {other:?}"),
    }
    assert!(reads(&f.store).await.is_empty(), "no secret was read");
    let runs = f.store.list_runs(app, id).await.expect("runs");
    assert!(runs.is_empty(), "nothing ran, so nothing is recorded");
}

#[tokio::test]
async fn a_user_and_a_service_account_of_one_name_have_a_cap_each() {
    let f = fixture().await;
    let limits = Limits {
        wall_clock: Duration::from_secs(3),
        runs_per_user: Some(1),
        ..Limits::default()
    };
    let runner = ScenarioRunner::new(f.store.clone(), limits, 2).in_process();
    let app = app_with(&f.store, "calls", &[]).await;
    let spin = scenario(&f.store, app, "spin", "for (;;) {}").await;
    let quick = scenario(&f.store, app, "quick", "VoxEngine.terminate();").await;
    let account = Actor {
        kind: store::ActorKind::ServiceAccount("alice".into()),
        ..alice()
    };

    let first = tokio::spawn({
        let runner = runner.clone();
        async move { runner.run(&alice(), app, spin).await }
    });
    while runner.runs_going(&alice()) == 0 {
        tokio::task::yield_now().await;
    }
    assert_eq!(runner.runs_going(&account), 0);
    let by_account = runner
        .run(&account, app, quick)
        .await
        .expect("the service account's run");
    assert_eq!(by_account.summary.status, RunStatus::Terminated);
    let spun = first.await.expect("task").expect("alice's run");
    assert_eq!(spun.summary.status, RunStatus::TimedOut);
}
