//! Background work through the server: a big import enqueues a statistics refresh in its own
//! transaction, run by the server's worker, or by a separate `tessera worker` process when the
//! server runs none.

use std::time::Duration;

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};

use crate::helpers::{TestApp, TEXT_CONFIG};

/// The statuses of the app's statistics refresh jobs.
async fn refresh_jobs(app: &TestApp) -> Vec<String> {
    let db = app.database().await;
    let conn = db.conn();
    let rows = conn
        .query_all(Statement::from_string(
            conn.get_database_backend(),
            "SELECT status FROM jobs WHERE kind = 'statistics.refresh' ORDER BY id",
        ))
        .await
        .expect("jobs");
    rows.iter()
        .map(|row| row.try_get::<String>("", "status").expect("status"))
        .collect()
}

async fn wait_for_refresh(app: &TestApp, status: &str) {
    for _ in 0..300 {
        if refresh_jobs(app).await == [status] {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {status} refresh job: {:?}", refresh_jobs(app).await);
}

fn tasks(count: usize) -> Value {
    Value::Array(
        (0..count)
            .map(|i| json!({"text": format!("task {i}")}))
            .collect(),
    )
}

#[tokio::test]
async fn a_big_import_refreshes_statistics_as_a_job_and_a_small_one_does_not() {
    let app = TestApp::spawn().await;
    let project = app.create_project(TEXT_CONFIG).await;
    app.import(project, tasks(10)).await;
    assert!(refresh_jobs(&app).await.is_empty());
    app.import(project, tasks(5_000)).await;
    wait_for_refresh(&app, "succeeded").await;
}

#[tokio::test]
async fn tessera_worker_runs_the_jobs_of_a_server_started_with_no_workers() {
    let app = TestApp::spawn_with(|config| config.workers = 0).await;
    let project = app.create_project(TEXT_CONFIG).await;
    app.import(project, tasks(5_000)).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        refresh_jobs(&app).await,
        ["queued"],
        "the server runs no jobs"
    );

    let mut worker = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .arg("worker")
        .arg("--database-url")
        .arg(&app.database_url)
        .arg("--data-dir")
        .arg(app.data_dir.path())
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("start tessera worker");
    wait_for_refresh(&app, "succeeded").await;
    worker.kill().expect("stop the worker");
    worker.wait().expect("reap the worker");
}
