//! Two instances (each its own pool and worker) sharing one database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;
use tessera_jobs::queue;
use tessera_jobs::{JobError, JobStatus, NewJob, Registry};

use crate::harness::{count, quick, worker, TestDb};

const JOBS: i64 = 1000;

/// A registry whose "effect" jobs write one row each, in the transaction that ends the job,
/// and note every run in `runs`.
fn effect_registry(
    name: &'static str,
    runs: Arc<Mutex<HashMap<i64, Vec<&'static str>>>>,
) -> Registry {
    let mut registry = Registry::default();
    registry.register("effect", move |ctx| {
        let runs = runs.clone();
        async move {
            runs.lock().unwrap().entry(ctx.id()).or_default().push(name);
            let txn = ctx.db().write().await?;
            let backend = txn.get_database_backend();
            txn.execute(Statement::from_string(
                backend,
                format!(
                    "INSERT INTO job_effects (job_id, worker) VALUES ({}, '{name}')",
                    ctx.id()
                ),
            ))
            .await
            .map_err(|err| JobError::Fatal(err.to_string()))?;
            let done = ctx.done_in(&*txn, json!({"by": name})).await?;
            txn.commit().await?;
            Ok(done)
        }
    });
    registry
}

#[tokio::test]
async fn a_thousand_jobs_over_two_instances_each_run_once_and_none_is_lost() {
    let test = TestDb::new().await;
    let (one, two) = (test.connect().await, test.connect().await);
    let txn = one.write().await.unwrap();
    for n in 0..JOBS {
        queue::enqueue(&*txn, NewJob::new("effect", json!({"n": n})))
            .await
            .unwrap();
    }
    txn.commit().await.unwrap();

    let runs = Arc::new(Mutex::new(HashMap::new()));
    let first = worker(&one, effect_registry("one", runs.clone()), quick());
    let second = worker(&two, effect_registry("two", runs.clone()), quick());
    let started = std::time::Instant::now();
    while count(
        &one,
        "SELECT COUNT(*) AS n FROM jobs WHERE status = 'succeeded'",
    )
    .await
        < JOBS
    {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "jobs did not finish in time"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    first.shutdown().await;
    second.shutdown().await;

    let runs = runs.lock().unwrap().clone();
    assert_eq!(runs.len() as i64, JOBS);
    let twice: Vec<_> = runs.iter().filter(|(_, by)| by.len() != 1).collect();
    assert!(twice.is_empty(), "jobs run more than once: {twice:?}");
    assert_eq!(
        count(&one, "SELECT COUNT(*) AS n FROM job_effects").await,
        JOBS
    );
    for name in ["one", "two"] {
        let took = count(
            &one,
            &format!("SELECT COUNT(*) AS n FROM job_effects WHERE worker = '{name}'"),
        )
        .await;
        assert!(took > 0, "instance {name} ran no job");
    }
    assert_eq!(
        count(
            &one,
            &format!(
                "SELECT COUNT(*) AS n FROM jobs WHERE status = '{}' AND attempts = 1",
                JobStatus::Succeeded.as_str()
            )
        )
        .await,
        JOBS
    );
    test.drop_schema().await;
}
